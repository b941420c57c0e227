//! Optional (tagged) values, ICE-PROTOCOL.md section 4: the header byte, the eight formats,
//! tags of 30 and more, and skipping what a reader does not know.
//!
//! Generated code writes optional parameters and members, sorted by tag, with
//! [`OutputStream::write_optional`] and reads them, in the same order, with
//! [`InputStream::read_optional`]; the format comes from the type
//! ([`Encode::OPTIONAL_FORMAT`], [`Decode::OPTIONAL_FORMAT`]). In encoding 1.0 optional values
//! do not exist: writing them writes nothing and reading them finds nothing.

use super::{Decode, Encode, InputStream, MarshalError, OutputStream, ENCODING_1_0};

/// The end marker of the optional values of a class or exception slice.
pub const OPTIONAL_END_MARKER: u8 = 0xff;

/// The format of an optional value: what follows its header (the low 3 bits of the header).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum OptionalFormat {
    /// 1 byte: bool, byte.
    F1 = 0,
    /// 2 bytes: short.
    F2 = 1,
    /// 4 bytes: int, float.
    F4 = 2,
    /// 8 bytes: long, double.
    F8 = 3,
    /// A size: enums.
    Size = 4,
    /// A size N then N bytes: strings, fixed-size structs, containers of fixed-size
    /// elements.
    VSize = 5,
    /// An int N then N bytes: everything else of variable size, proxies.
    FSize = 6,
    /// A class instance.
    Class = 7,
}

impl OptionalFormat {
    /// The format for the low 3 bits of a header byte.
    pub fn from_bits(bits: u8) -> OptionalFormat {
        match bits & 7 {
            0 => OptionalFormat::F1,
            1 => OptionalFormat::F2,
            2 => OptionalFormat::F4,
            3 => OptionalFormat::F8,
            4 => OptionalFormat::Size,
            5 => OptionalFormat::VSize,
            6 => OptionalFormat::FSize,
            _ => OptionalFormat::Class,
        }
    }
}

impl OutputStream {
    /// Writes the header of an optional value; `false` (and nothing written) in encoding
    /// 1.0, where optional values do not exist.
    pub fn write_optional_header(&mut self, tag: u32, format: OptionalFormat) -> bool {
        if self.encoding() == ENCODING_1_0 {
            return false;
        }
        if tag < 30 {
            self.write_u8(((tag as u8) << 3) | format as u8);
        } else {
            self.write_u8(0xf0 | format as u8);
            self.write_size(tag as usize);
        }
        true
    }

    /// Writes an optional value if it is set: its header, then its body in the type's
    /// optional format. Call it for each optional parameter or member in increasing tag
    /// order, after all required values: `out.write_optional(2, self.o2.as_deref())`.
    pub fn write_optional<T: Encode + ?Sized>(&mut self, tag: u32, value: Option<&T>) {
        if let Some(v) = value {
            if self.write_optional_header(tag, T::OPTIONAL_FORMAT) {
                v.encode_optional_body(self);
            }
        }
    }

    /// Writes a placeholder for the int byte count of an FSize value; returns its position
    /// for [`OutputStream::end_fsize`].
    pub fn start_fsize(&mut self) -> usize {
        let start = self.len();
        self.write_i32(0);
        start
    }

    /// Patches the byte count written by [`OutputStream::start_fsize`] (it does not count
    /// itself).
    pub fn end_fsize(&mut self, start: usize) {
        let size = self.len().saturating_sub(start + 4);
        let size = i32::try_from(size).unwrap_or(i32::MAX).to_le_bytes();
        if let Some(slot) = self.as_mut_slice().get_mut(start..start + 4) {
            slot.copy_from_slice(&size);
        }
    }

    /// Writes an enumerator's value: a size in encoding 1.1; in 1.0 a byte, short or int
    /// depending on the enum's largest value `max_value` (ICE-PROTOCOL.md 14).
    pub fn write_enum(&mut self, value: i32, max_value: i32) {
        if self.encoding() == ENCODING_1_0 {
            if max_value < 127 {
                self.write_u8(value as u8);
            } else if max_value < 32767 {
                self.write_i16(value as i16);
            } else {
                self.write_i32(value);
            }
        } else {
            self.write_size(value.max(0) as usize);
        }
    }

    /// Writes `entries` as a dictionary (count, then key/value pairs) in the iterator's
    /// order; `HashMap`'s `Encode` uses its own iteration order.
    pub fn write_dictionary<'e, K, V, I>(&mut self, entries: I)
    where
        K: Encode + ?Sized + 'e,
        V: Encode + ?Sized + 'e,
        I: IntoIterator<Item = (&'e K, &'e V)>,
        I::IntoIter: ExactSizeIterator,
    {
        let entries = entries.into_iter();
        self.write_size(entries.len());
        if let (Some(k), Some(v)) = (K::FIXED_SIZE, V::FIXED_SIZE) {
            self.reserve((k + v).saturating_mul(entries.len()));
        }
        for (k, v) in entries {
            k.encode(self);
            v.encode(self);
        }
    }
}

impl InputStream<'_> {
    /// Looks for the optional value with `tag` among the optional values at the current
    /// position (Ice's `readOptional`): values with smaller tags are skipped; `Ok(false)`
    /// when the value is absent (a larger tag, the end marker or the end of the
    /// encapsulation, none of which is consumed); `Ok(true)` with the position after the
    /// header when found. A found value written in another format is an error.
    pub fn find_optional(
        &mut self,
        tag: u32,
        expected: OptionalFormat,
    ) -> Result<bool, MarshalError> {
        if self.encoding() == ENCODING_1_0 {
            return Ok(false);
        }
        loop {
            if self.at_end() {
                return Ok(false);
            }
            let start = self.pos();
            let v = self.read_u8()?;
            if v == OPTIONAL_END_MARKER {
                self.set_pos(start);
                return Ok(false);
            }
            let format = OptionalFormat::from_bits(v);
            let mut found = u32::from(v >> 3);
            if found == 30 {
                found = u32::try_from(self.read_size()?).unwrap_or(u32::MAX);
            }
            if found > tag {
                self.set_pos(start);
                return Ok(false);
            }
            if found < tag {
                self.skip_optional(format)?;
                continue;
            }
            if format != expected {
                return Err(MarshalError::new(
                    start,
                    format!(
                        "invalid optional data member `{tag}': unexpected format {format:?} (expected {expected:?})"
                    ),
                ));
            }
            return Ok(true);
        }
    }

    /// Reads the optional value with `tag` if present. Call it for each optional parameter
    /// or member in increasing tag order, after all required values:
    /// `let o2: Option<String> = input.read_optional(2)?;`.
    pub fn read_optional<T: Decode>(&mut self, tag: u32) -> Result<Option<T>, MarshalError> {
        if self.find_optional(tag, T::OPTIONAL_FORMAT)? {
            T::decode_optional_body(self).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Skips the body of an optional value of `format` (its header already read).
    pub fn skip_optional(&mut self, format: OptionalFormat) -> Result<(), MarshalError> {
        match format {
            OptionalFormat::F1 => self.skip(1),
            OptionalFormat::F2 => self.skip(2),
            OptionalFormat::F4 => self.skip(4),
            OptionalFormat::F8 => self.skip(8),
            OptionalFormat::Size => self.read_size().map(|_| ()),
            OptionalFormat::VSize => {
                let n = self.read_size()?;
                self.skip(n)
            }
            OptionalFormat::FSize => {
                let n = self.read_fsize()?;
                self.skip(n)
            }
            OptionalFormat::Class => self.skip_class_instance(),
        }
    }

    /// Skips every optional value up to the end of the encapsulation, or up to and
    /// including the end marker (what a reader does after the optional values it knows).
    pub fn skip_optionals(&mut self) -> Result<(), MarshalError> {
        while !self.at_end() {
            let v = self.read_u8()?;
            if v == OPTIONAL_END_MARKER {
                return Ok(());
            }
            if v >> 3 == 30 {
                self.read_size()?;
            }
            self.skip_optional(OptionalFormat::from_bits(v))?;
        }
        Ok(())
    }

    /// Reads the int byte count of an FSize value; refuses a negative count or one that
    /// runs past the bytes that remain.
    pub fn read_fsize(&mut self) -> Result<usize, MarshalError> {
        let start = self.pos();
        let n = self.read_i32()?;
        match usize::try_from(n) {
            Ok(n) if n <= self.remaining() => Ok(n),
            _ => Err(MarshalError::new(
                start,
                format!(
                    "optional value size {n} exceeds the {} bytes that remain",
                    self.remaining()
                ),
            )),
        }
    }

    /// Skips a class instance inside an optional value of format Class: the class layer
    /// reads the instance (and whatever it references) and drops it.
    fn skip_class_instance(&mut self) -> Result<(), MarshalError> {
        self.skip_class_reference()
    }

    /// Reads an enumerator's value written by [`OutputStream::write_enum`] (refuses a
    /// negative value); the caller maps it to an enumerator and refuses unknown values.
    pub fn read_enum(&mut self, max_value: i32) -> Result<i32, MarshalError> {
        let start = self.pos();
        let v = if self.encoding() == ENCODING_1_0 {
            if max_value < 127 {
                i32::from(self.read_u8()?)
            } else if max_value < 32767 {
                i32::from(self.read_i16()?)
            } else {
                self.read_i32()?
            }
        } else {
            // A size is at most i32::MAX.
            self.read_size()? as i32
        };
        if v < 0 || v > max_value {
            return Err(MarshalError::new(
                start,
                format!("enumerator value {v} out of range 0..={max_value}"),
            ));
        }
        Ok(v)
    }
}
