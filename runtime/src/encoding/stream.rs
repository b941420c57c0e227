//! The byte streams: primitives, sizes, strings, blobs and encapsulations.

use super::{MarshalError, OptionalFormat};

/// An encoding version (`major.minor`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EncodingVersion {
    /// Major version (always 1).
    pub major: u8,
    /// Minor version (0 or 1).
    pub minor: u8,
}

/// Encoding 1.0.
pub const ENCODING_1_0: EncodingVersion = EncodingVersion { major: 1, minor: 0 };
/// Encoding 1.1 (Ice 3.7's default).
pub const ENCODING_1_1: EncodingVersion = EncodingVersion { major: 1, minor: 1 };

/// `major.minor`, as Ice prints versions.
impl std::fmt::Display for EncodingVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// A value that can be written in the Ice encoding.
///
/// Generated code implements [`Encode::encode`] (and, for fixed-size structs,
/// [`Encode::FIXED_SIZE`]); the other items have defaults that fit most types.
pub trait Encode {
    /// The encoded size in bytes when every value of the type has the same size (bool, byte,
    /// short, int, long, float, double, and structs made only of those); `None` otherwise.
    /// Decides the optional format of sequences and dictionaries (ICE-PROTOCOL.md 4).
    const FIXED_SIZE: Option<usize> = None;

    /// The format of an optional value of this type (ICE-PROTOCOL.md 4): F1..F8 for
    /// primitives, Size for enums, VSize for strings, fixed-size structs and containers of
    /// fixed-size elements, FSize for the rest, Class for classes. The default fits structs:
    /// VSize when [`Encode::FIXED_SIZE`] is set, else FSize.
    const OPTIONAL_FORMAT: OptionalFormat = match Self::FIXED_SIZE {
        Some(_) => OptionalFormat::VSize,
        None => OptionalFormat::FSize,
    };

    /// Appends the value's encoding to `out`.
    fn encode(&self, out: &mut OutputStream);

    /// Writes a sequence of values (count, then elements). Overridden by the primitives to
    /// copy the whole slice at once.
    #[doc(hidden)]
    #[inline]
    fn encode_slice(values: &[Self], out: &mut OutputStream)
    where
        Self: Sized,
    {
        out.write_size(values.len());
        if let Some(n) = Self::FIXED_SIZE {
            out.reserve(n.saturating_mul(values.len()));
        }
        for v in values {
            v.encode(out);
        }
    }

    /// Writes the value as the body of an optional value, after its header: FSize values are
    /// preceded by their byte count, fixed-size VSize values by their size.
    #[doc(hidden)]
    fn encode_optional_body(&self, out: &mut OutputStream) {
        match Self::OPTIONAL_FORMAT {
            OptionalFormat::FSize => {
                let start = out.start_fsize();
                self.encode(out);
                out.end_fsize(start);
            }
            OptionalFormat::VSize => {
                if let Some(n) = Self::FIXED_SIZE {
                    out.write_size(n);
                }
                self.encode(out);
            }
            _ => self.encode(out),
        }
    }
}

/// A value that can be read from the Ice encoding.
///
/// Generated code implements [`Decode::decode`] (and, for fixed-size structs,
/// [`Decode::FIXED_SIZE`]); the other items have defaults that fit most types.
pub trait Decode: Sized {
    /// The encoded size when it is the same for every value (see [`Encode::FIXED_SIZE`]).
    const FIXED_SIZE: Option<usize> = None;

    /// The fewest bytes one value can take on the wire; a sequence count is refused before
    /// anything is allocated when `count * MIN_WIRE_SIZE` exceeds the bytes that remain.
    const MIN_WIRE_SIZE: usize = match Self::FIXED_SIZE {
        Some(n) => n,
        None => 1,
    };

    /// The format of an optional value of this type (see [`Encode::OPTIONAL_FORMAT`]; the
    /// default is VSize when [`Decode::FIXED_SIZE`] is set, else FSize).
    const OPTIONAL_FORMAT: OptionalFormat = match Self::FIXED_SIZE {
        Some(_) => OptionalFormat::VSize,
        None => OptionalFormat::FSize,
    };

    /// Reads one value from `input`.
    fn decode(input: &mut InputStream<'_>) -> Result<Self, MarshalError>;

    /// Reads a sequence (count, then elements). Overridden by the primitives to copy the
    /// whole sequence at once.
    #[doc(hidden)]
    #[inline]
    fn decode_vec(input: &mut InputStream<'_>) -> Result<Vec<Self>, MarshalError> {
        let n = input.read_count(Self::MIN_WIRE_SIZE)?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(Self::decode(input)?);
        }
        Ok(v)
    }

    /// Reads the body of an optional value written by [`Encode::encode_optional_body`].
    #[doc(hidden)]
    fn decode_optional_body(input: &mut InputStream<'_>) -> Result<Self, MarshalError> {
        match Self::OPTIONAL_FORMAT {
            OptionalFormat::FSize => {
                input.read_fsize()?;
            }
            OptionalFormat::VSize if Self::FIXED_SIZE.is_some() => {
                input.read_size()?;
            }
            _ => {}
        }
        Self::decode(input)
    }
}

/// The open encapsulations of an [`OutputStream`]: (start offset, version), innermost last.
/// The outermost one is kept inline, so the usual single encapsulation of a request or reply
/// allocates nothing; nested ones go to the vector.
#[derive(Clone, Debug, Default)]
struct EncapsStack {
    /// The outermost open encapsulation; `more` is empty while it is `None`.
    first: Option<(usize, EncodingVersion)>,
    more: Vec<(usize, EncodingVersion)>,
}

impl EncapsStack {
    fn push(&mut self, e: (usize, EncodingVersion)) {
        if self.first.is_none() {
            self.first = Some(e);
        } else {
            self.more.push(e);
        }
    }

    fn pop(&mut self) -> Option<(usize, EncodingVersion)> {
        self.more.pop().or_else(|| self.first.take())
    }

    fn last(&self) -> Option<(usize, EncodingVersion)> {
        self.more.last().copied().or(self.first)
    }
}

/// Writes the Ice encoding into a growable buffer.
#[derive(Clone, Debug, Default)]
pub struct OutputStream {
    buf: Vec<u8>,
    /// Start offsets of the open encapsulations, innermost last.
    encaps: EncapsStack,
    encoding: Option<EncodingVersion>,
    /// Class and exception state (instance ids, type ids, format): see `class_encoder.rs`.
    pub(crate) classes: Option<Box<super::class_encoder::ClassEncoder>>,
}

impl OutputStream {
    /// An empty stream (encoding 1.1 outside any encapsulation).
    pub fn new() -> OutputStream {
        OutputStream::default()
    }

    /// An empty stream with room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> OutputStream {
        OutputStream {
            buf: Vec::with_capacity(capacity),
            ..OutputStream::default()
        }
    }

    /// Continues writing at the end of `buf` (e.g. a reply buffer with a header already in it).
    pub fn from_vec(buf: Vec<u8>) -> OutputStream {
        OutputStream {
            buf,
            ..OutputStream::default()
        }
    }

    /// The encoding in effect: the innermost encapsulation's, else 1.1.
    pub fn encoding(&self) -> EncodingVersion {
        self.encaps
            .last()
            .map(|e| e.1)
            .or(self.encoding)
            .unwrap_or(ENCODING_1_1)
    }

    /// Sets the encoding used outside encapsulations.
    pub fn set_encoding(&mut self, v: EncodingVersion) {
        self.encoding = Some(v);
    }

    /// Bytes written so far.
    pub fn as_slice(&self) -> &[u8] {
        &self.buf
    }

    /// Mutable access to the bytes written so far (to patch sizes and headers).
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        &mut self.buf
    }

    /// The buffer.
    pub fn into_vec(self) -> Vec<u8> {
        self.buf
    }

    /// Number of bytes written.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Reserves room for `additional` more bytes.
    pub fn reserve(&mut self, additional: usize) {
        self.buf.reserve(additional);
    }

    /// Writes a byte.
    #[inline]
    pub fn write_u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    /// Writes a bool (`00` / `01`).
    #[inline]
    pub fn write_bool(&mut self, v: bool) {
        self.buf.push(v as u8);
    }

    /// Writes a short.
    #[inline]
    pub fn write_i16(&mut self, v: i16) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    /// Writes an int.
    #[inline]
    pub fn write_i32(&mut self, v: i32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    /// Writes a long.
    #[inline]
    pub fn write_i64(&mut self, v: i64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    /// Writes a float.
    #[inline]
    pub fn write_f32(&mut self, v: f32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    /// Writes a double.
    #[inline]
    pub fn write_f64(&mut self, v: f64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    /// Writes a size (1 byte below 255, else `ff` + int). Sizes above `i32::MAX` cannot be
    /// represented; they are clamped (callers never produce them: Ice.MessageSizeMax is far
    /// below).
    #[inline]
    pub fn write_size(&mut self, v: usize) {
        if v < 255 {
            self.buf.push(v as u8);
        } else {
            self.buf.push(0xff);
            self.write_i32(v.min(i32::MAX as usize) as i32);
        }
    }

    /// Writes raw bytes.
    #[inline]
    pub fn write_blob(&mut self, v: &[u8]) {
        self.buf.extend_from_slice(v);
    }

    /// Writes a string (size + UTF-8 bytes).
    #[inline]
    pub fn write_string(&mut self, v: &str) {
        self.write_size(v.len());
        self.buf.extend_from_slice(v.as_bytes());
    }

    /// Opens an encapsulation: writes a placeholder size and the version.
    pub fn start_encapsulation(&mut self, v: EncodingVersion) {
        self.encaps.push((self.buf.len(), v));
        self.write_i32(0);
        self.buf.push(v.major);
        self.buf.push(v.minor);
    }

    /// Closes the innermost encapsulation: patches its size.
    pub fn end_encapsulation(&mut self) {
        if let Some((start, _)) = self.encaps.pop() {
            let size = (self.buf.len() - start) as i32;
            self.buf[start..start + 4].copy_from_slice(&size.to_le_bytes());
        }
    }

    /// Writes an empty encapsulation of version `v`.
    pub fn write_empty_encapsulation(&mut self, v: EncodingVersion) {
        self.write_i32(6);
        self.buf.push(v.major);
        self.buf.push(v.minor);
    }

    /// Writes a complete encapsulation (size, version and body) given as bytes.
    pub fn write_encapsulation(&mut self, encaps: &[u8]) {
        self.buf.extend_from_slice(encaps);
    }

    /// Writes any encodable value.
    #[inline]
    pub fn write<T: Encode + ?Sized>(&mut self, v: &T) {
        v.encode(self);
    }

    /// Identifies the innermost open encapsulation (class state is scoped to it).
    pub(crate) fn encaps_key(&self) -> Option<usize> {
        self.encaps.last().map(|e| e.0)
    }
}

/// Reads the Ice encoding from a borrowed buffer. Every read is bounds-checked and every
/// size is checked against the bytes that remain before anything is allocated.
#[derive(Clone, Debug)]
pub struct InputStream<'a> {
    buf: &'a [u8],
    pos: usize,
    /// The end of the innermost open encapsulation (or of the buffer).
    limit: usize,
    /// Open encapsulations: (end, enclosing limit, version), innermost last.
    encaps: Vec<(usize, usize, EncodingVersion)>,
    encoding: EncodingVersion,
    /// Class and exception state (instances, type ids, limits): see `class_decoder.rs`.
    pub(crate) classes: Option<Box<super::class_decoder::ClassDecoder>>,
}

impl<'a> InputStream<'a> {
    /// A stream over `buf` (encoding 1.1 outside any encapsulation).
    pub fn new(buf: &'a [u8]) -> InputStream<'a> {
        InputStream {
            buf,
            pos: 0,
            limit: buf.len(),
            encaps: Vec::new(),
            encoding: ENCODING_1_1,
            classes: None,
        }
    }

    /// A stream reading `buf` with `encoding` in effect (e.g. an encapsulation body).
    pub fn with_encoding(buf: &'a [u8], encoding: EncodingVersion) -> InputStream<'a> {
        InputStream {
            encoding,
            ..InputStream::new(buf)
        }
    }

    /// The encoding in effect.
    pub fn encoding(&self) -> EncodingVersion {
        self.encaps.last().map(|e| e.2).unwrap_or(self.encoding)
    }

    /// Current read position in the whole buffer.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Moves the read position (clamped to the current limit).
    pub fn set_pos(&mut self, pos: usize) {
        self.pos = pos.min(self.limit);
    }

    /// Bytes that remain before the end of the innermost encapsulation (or buffer).
    pub fn remaining(&self) -> usize {
        self.limit - self.pos
    }

    /// The whole underlying buffer.
    pub fn buffer(&self) -> &'a [u8] {
        self.buf
    }

    /// An error at the current position.
    pub fn error(&self, message: impl Into<String>) -> MarshalError {
        MarshalError::new(self.pos, message)
    }

    /// Reads `n` raw bytes, borrowed from the buffer.
    #[inline]
    pub fn read_blob(&mut self, n: usize) -> Result<&'a [u8], MarshalError> {
        let end = self.pos.saturating_add(n);
        let s = match self.buf.get(self.pos..end) {
            Some(s) if end <= self.limit => s,
            _ => return Err(self.out_of_bounds(n)),
        };
        self.pos += n;
        Ok(s)
    }

    /// The error of a read past the end (kept out of line: the hot path only checks).
    #[cold]
    #[inline(never)]
    fn out_of_bounds(&self, n: usize) -> MarshalError {
        self.error(format!(
            "need {n} bytes but only {} remain",
            self.remaining()
        ))
    }

    #[inline]
    fn read_array<const N: usize>(&mut self) -> Result<[u8; N], MarshalError> {
        let s = self.read_blob(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    /// Reads a byte.
    #[inline]
    pub fn read_u8(&mut self) -> Result<u8, MarshalError> {
        Ok(self.read_array::<1>()?[0])
    }

    /// Reads a bool (any non-zero byte is true, as in Ice).
    #[inline]
    pub fn read_bool(&mut self) -> Result<bool, MarshalError> {
        Ok(self.read_u8()? != 0)
    }

    /// Reads a short.
    #[inline]
    pub fn read_i16(&mut self) -> Result<i16, MarshalError> {
        Ok(i16::from_le_bytes(self.read_array()?))
    }

    /// Reads an int.
    #[inline]
    pub fn read_i32(&mut self) -> Result<i32, MarshalError> {
        Ok(i32::from_le_bytes(self.read_array()?))
    }

    /// Reads a long.
    #[inline]
    pub fn read_i64(&mut self) -> Result<i64, MarshalError> {
        Ok(i64::from_le_bytes(self.read_array()?))
    }

    /// Reads a float.
    #[inline]
    pub fn read_f32(&mut self) -> Result<f32, MarshalError> {
        Ok(f32::from_le_bytes(self.read_array()?))
    }

    /// Reads a double.
    #[inline]
    pub fn read_f64(&mut self) -> Result<f64, MarshalError> {
        Ok(f64::from_le_bytes(self.read_array()?))
    }

    /// Reads a size; rejects a negative long form.
    #[inline]
    pub fn read_size(&mut self) -> Result<usize, MarshalError> {
        let b = self.read_u8()?;
        if b < 255 {
            return Ok(b as usize);
        }
        let v = self.read_i32()?;
        if v < 0 {
            return Err(MarshalError::new(
                self.pos - 4,
                format!("negative size {v}"),
            ));
        }
        Ok(v as usize)
    }

    /// Reads a size that counts elements of at least `min_elem_size` bytes each, and checks
    /// that they can fit in the bytes that remain (so nothing is allocated for a lie).
    #[inline]
    pub fn read_count(&mut self, min_elem_size: usize) -> Result<usize, MarshalError> {
        let n = self.read_size()?;
        if n.saturating_mul(min_elem_size) > self.remaining() {
            return Err(self.error(format!(
                "count {n} of elements of at least {min_elem_size} byte(s) exceeds the {} bytes that remain",
                self.remaining()
            )));
        }
        Ok(n)
    }

    /// Skips `n` bytes.
    #[inline]
    pub fn skip(&mut self, n: usize) -> Result<(), MarshalError> {
        self.read_blob(n).map(|_| ())
    }

    /// Whether the innermost encapsulation (or the buffer) has been read entirely.
    #[inline]
    pub fn at_end(&self) -> bool {
        self.pos >= self.limit
    }

    /// Reads a string, borrowed; checks UTF-8.
    pub fn read_str(&mut self) -> Result<&'a str, MarshalError> {
        let start = self.pos;
        let n = self.read_size()?;
        let bytes = self.read_blob(n)?;
        std::str::from_utf8(bytes)
            .map_err(|e| MarshalError::new(start, format!("string is not valid UTF-8: {e}")))
    }

    /// Reads a string.
    pub fn read_string(&mut self) -> Result<String, MarshalError> {
        self.read_str().map(str::to_owned)
    }

    /// Opens an encapsulation: reads and checks its size and version, and limits reads to
    /// its body until [`InputStream::end_encapsulation`].
    pub fn start_encapsulation(&mut self) -> Result<EncodingVersion, MarshalError> {
        let start = self.pos;
        let size = self.read_i32()?;
        if size < 6 {
            return Err(MarshalError::new(
                start,
                format!("encapsulation size {size} is below 6"),
            ));
        }
        let end = start + size as usize;
        if end > self.limit {
            return Err(MarshalError::new(
                start,
                format!(
                    "encapsulation size {size} runs past the {} bytes that remain",
                    self.limit - start
                ),
            ));
        }
        let major = self.read_u8()?;
        let minor = self.read_u8()?;
        let v = EncodingVersion { major, minor };
        if major != 1 || minor > 1 {
            return Err(MarshalError::new(
                start + 4,
                format!("unsupported encoding {major}.{minor}"),
            ));
        }
        self.encaps.push((end, self.limit, v));
        self.limit = end;
        Ok(v)
    }

    /// Closes the innermost encapsulation as Ice does: in encoding 1.1 optional values that
    /// were not read are skipped first; then the body must be entirely read (encoding 1.0
    /// tolerates one extra byte, which Ice 3.2 and earlier could write).
    pub fn end_encapsulation(&mut self) -> Result<(), MarshalError> {
        let Some(&(end, outer, encoding)) = self.encaps.last() else {
            return Err(self.error("no encapsulation is open"));
        };
        let mut result = Ok(());
        if encoding != ENCODING_1_0 {
            result = self.skip_optionals();
        } else if end - self.pos == 1 {
            self.pos = end;
        }
        if result.is_ok() && self.pos != end {
            result = Err(self.error(format!(
                "{} bytes left unread at the end of the encapsulation",
                end - self.pos
            )));
        }
        self.encaps.pop();
        self.pos = end;
        self.limit = outer;
        result
    }

    /// Skips the innermost open encapsulation's remaining bytes and closes it.
    pub fn skip_to_encapsulation_end(&mut self) {
        if let Some((end, outer, _)) = self.encaps.pop() {
            self.pos = end;
            self.limit = outer;
        }
    }

    /// Reads a whole encapsulation (size, version, body) without decoding it.
    pub fn read_encapsulation(&mut self) -> Result<&'a [u8], MarshalError> {
        let start = self.pos;
        let size = self.read_i32()?;
        if size < 6 {
            return Err(MarshalError::new(
                start,
                format!("encapsulation size {size} is below 6"),
            ));
        }
        self.pos = start;
        self.read_blob(size as usize)
    }

    /// Reads any decodable value.
    #[inline]
    pub fn read<T: Decode>(&mut self) -> Result<T, MarshalError> {
        T::decode(self)
    }

    /// Identifies the innermost open encapsulation (class state is scoped to it).
    pub(crate) fn encaps_key(&self) -> Option<usize> {
        self.encaps.last().map(|e| e.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_use_the_long_form_from_255() {
        let mut out = OutputStream::new();
        out.write_size(254);
        out.write_size(255);
        out.write_size(300);
        assert_eq!(
            out.as_slice(),
            [0xfe, 0xff, 0xff, 0, 0, 0, 0xff, 0x2c, 1, 0, 0]
        );
        let mut input = InputStream::new(out.as_slice());
        assert_eq!(input.read_size().unwrap(), 254);
        assert_eq!(input.read_size().unwrap(), 255);
        assert_eq!(input.read_size().unwrap(), 300);
    }

    #[test]
    fn a_huge_count_is_refused_before_allocating() {
        let bytes = [0xff, 0xff, 0xff, 0xff, 0x7f];
        let mut input = InputStream::new(&bytes);
        assert!(input.read_count(1).is_err());
    }

    #[test]
    fn encapsulations_nest_and_patch_their_size() {
        let mut out = OutputStream::new();
        out.start_encapsulation(ENCODING_1_1);
        out.write_i32(7);
        out.end_encapsulation();
        assert_eq!(out.as_slice(), [10, 0, 0, 0, 1, 1, 7, 0, 0, 0]);
        let mut input = InputStream::new(out.as_slice());
        assert_eq!(input.start_encapsulation().unwrap(), ENCODING_1_1);
        assert_eq!(input.read_i32().unwrap(), 7);
        input.end_encapsulation().unwrap();
    }
}
