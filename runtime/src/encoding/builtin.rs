//! `Encode` and `Decode` for the built-in Slice types: the primitives, `string`,
//! `sequence<T>` (`Vec<T>`, `[T]`) and `dictionary<K, V>` (`HashMap`, `BTreeMap`).
//!
//! Sequences of fixed-size primitives are copied in one go on little-endian hosts (the wire
//! order); nothing here allocates per element beyond the element itself.

use super::{Decode, Encode, InputStream, MarshalError, OptionalFormat, OutputStream};
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, Hash};

impl Encode for u8 {
    const FIXED_SIZE: Option<usize> = Some(1);
    const OPTIONAL_FORMAT: OptionalFormat = OptionalFormat::F1;
    #[inline]
    fn encode(&self, out: &mut OutputStream) {
        out.write_u8(*self);
    }
    #[inline]
    fn encode_slice(values: &[u8], out: &mut OutputStream) {
        out.write_size(values.len());
        out.write_blob(values);
    }
}

impl Decode for u8 {
    const FIXED_SIZE: Option<usize> = Some(1);
    const OPTIONAL_FORMAT: OptionalFormat = OptionalFormat::F1;
    #[inline]
    fn decode(input: &mut InputStream<'_>) -> Result<u8, MarshalError> {
        input.read_u8()
    }
    #[inline]
    fn decode_vec(input: &mut InputStream<'_>) -> Result<Vec<u8>, MarshalError> {
        let n = input.read_count(1)?;
        Ok(input.read_blob(n)?.to_vec())
    }
}

impl Encode for bool {
    const FIXED_SIZE: Option<usize> = Some(1);
    const OPTIONAL_FORMAT: OptionalFormat = OptionalFormat::F1;
    #[inline]
    fn encode(&self, out: &mut OutputStream) {
        out.write_bool(*self);
    }
    #[inline]
    fn encode_slice(values: &[bool], out: &mut OutputStream) {
        out.write_size(values.len());
        out.reserve(values.len());
        for &v in values {
            out.write_bool(v);
        }
    }
}

impl Decode for bool {
    const FIXED_SIZE: Option<usize> = Some(1);
    const OPTIONAL_FORMAT: OptionalFormat = OptionalFormat::F1;
    #[inline]
    fn decode(input: &mut InputStream<'_>) -> Result<bool, MarshalError> {
        input.read_bool()
    }
    #[inline]
    fn decode_vec(input: &mut InputStream<'_>) -> Result<Vec<bool>, MarshalError> {
        let n = input.read_count(1)?;
        Ok(input.read_blob(n)?.iter().map(|&b| b != 0).collect())
    }
}

/// `Encode`/`Decode` for a fixed-size number, with whole-slice copies on little-endian hosts.
macro_rules! number {
    ($t:ty, $size:expr, $format:ident, $write:ident, $read:ident) => {
        impl Encode for $t {
            const FIXED_SIZE: Option<usize> = Some($size);
            const OPTIONAL_FORMAT: OptionalFormat = OptionalFormat::$format;
            #[inline]
            fn encode(&self, out: &mut OutputStream) {
                out.$write(*self);
            }
            #[inline]
            fn encode_slice(values: &[$t], out: &mut OutputStream) {
                out.write_size(values.len());
                if cfg!(target_endian = "little") {
                    out.write_blob(bytemuck::cast_slice(values));
                } else {
                    out.reserve(values.len() * $size);
                    for v in values {
                        out.write_blob(&v.to_le_bytes());
                    }
                }
            }
        }

        impl Decode for $t {
            const FIXED_SIZE: Option<usize> = Some($size);
            const OPTIONAL_FORMAT: OptionalFormat = OptionalFormat::$format;
            #[inline]
            fn decode(input: &mut InputStream<'_>) -> Result<$t, MarshalError> {
                input.$read()
            }
            #[inline]
            fn decode_vec(input: &mut InputStream<'_>) -> Result<Vec<$t>, MarshalError> {
                let n = input.read_count($size)?;
                let bytes = input.read_blob(n * $size)?;
                // One pass over the bytes; on little-endian hosts the loop compiles to a
                // plain copy.
                Ok(bytes
                    .chunks_exact($size)
                    .map(|c| {
                        let mut a = [0u8; $size];
                        a.copy_from_slice(c);
                        <$t>::from_le_bytes(a)
                    })
                    .collect())
            }
        }
    };
}

number!(i16, 2, F2, write_i16, read_i16);
number!(i32, 4, F4, write_i32, read_i32);
number!(i64, 8, F8, write_i64, read_i64);
number!(f32, 4, F4, write_f32, read_f32);
number!(f64, 8, F8, write_f64, read_f64);

impl Encode for str {
    const OPTIONAL_FORMAT: OptionalFormat = OptionalFormat::VSize;
    #[inline]
    fn encode(&self, out: &mut OutputStream) {
        out.write_string(self);
    }
}

impl Encode for String {
    const OPTIONAL_FORMAT: OptionalFormat = OptionalFormat::VSize;
    #[inline]
    fn encode(&self, out: &mut OutputStream) {
        out.write_string(self);
    }
}

impl Decode for String {
    const OPTIONAL_FORMAT: OptionalFormat = OptionalFormat::VSize;
    #[inline]
    fn decode(input: &mut InputStream<'_>) -> Result<String, MarshalError> {
        input.read_string()
    }
}

impl<T: Encode + ?Sized> Encode for &T {
    const FIXED_SIZE: Option<usize> = T::FIXED_SIZE;
    const OPTIONAL_FORMAT: OptionalFormat = T::OPTIONAL_FORMAT;
    #[inline]
    fn encode(&self, out: &mut OutputStream) {
        (**self).encode(out);
    }
    fn encode_optional_body(&self, out: &mut OutputStream) {
        (**self).encode_optional_body(out);
    }
}

/// The optional format of a sequence whose elements have the given fixed size (if any).
const fn sequence_format(element_size: Option<usize>) -> OptionalFormat {
    match element_size {
        Some(_) => OptionalFormat::VSize,
        None => OptionalFormat::FSize,
    }
}

/// The VSize prefix of a container of `n` fixed-size entries of `entry_size` bytes: the
/// byte length of the whole encoded container, count included.
fn write_container_vsize(out: &mut OutputStream, entry_size: usize, n: usize) {
    let count_size = if n < 255 { 1 } else { 5 };
    out.write_size(entry_size.saturating_mul(n).saturating_add(count_size));
}

impl<T: Encode> Encode for [T] {
    const OPTIONAL_FORMAT: OptionalFormat = sequence_format(T::FIXED_SIZE);
    #[inline]
    fn encode(&self, out: &mut OutputStream) {
        T::encode_slice(self, out);
    }
    fn encode_optional_body(&self, out: &mut OutputStream) {
        match T::FIXED_SIZE {
            // Bytes and bools: the count is the VSize size.
            Some(1) => self.encode(out),
            Some(e) => {
                write_container_vsize(out, e, self.len());
                self.encode(out);
            }
            None => {
                let start = out.start_fsize();
                self.encode(out);
                out.end_fsize(start);
            }
        }
    }
}

impl<T: Encode> Encode for Vec<T> {
    const OPTIONAL_FORMAT: OptionalFormat = sequence_format(T::FIXED_SIZE);
    #[inline]
    fn encode(&self, out: &mut OutputStream) {
        T::encode_slice(self, out);
    }
    fn encode_optional_body(&self, out: &mut OutputStream) {
        self.as_slice().encode_optional_body(out);
    }
}

impl<T: Decode> Decode for Vec<T> {
    const OPTIONAL_FORMAT: OptionalFormat = sequence_format(T::FIXED_SIZE);
    #[inline]
    fn decode(input: &mut InputStream<'_>) -> Result<Vec<T>, MarshalError> {
        T::decode_vec(input)
    }
    fn decode_optional_body(input: &mut InputStream<'_>) -> Result<Vec<T>, MarshalError> {
        match T::FIXED_SIZE {
            Some(1) => {}
            Some(_) => {
                input.read_size()?;
            }
            None => {
                input.read_fsize()?;
            }
        }
        T::decode_vec(input)
    }
}

/// The optional format of a dictionary: VSize when keys and values are fixed-size.
const fn dictionary_format(key: Option<usize>, value: Option<usize>) -> OptionalFormat {
    match (key, value) {
        (Some(_), Some(_)) => OptionalFormat::VSize,
        _ => OptionalFormat::FSize,
    }
}

/// Writes a dictionary as the body of an optional value.
fn encode_dictionary_optional<'e, K, V, I>(out: &mut OutputStream, entries: I)
where
    K: Encode + 'e,
    V: Encode + 'e,
    I: IntoIterator<Item = (&'e K, &'e V)>,
    I::IntoIter: ExactSizeIterator,
{
    let entries = entries.into_iter();
    match (K::FIXED_SIZE, V::FIXED_SIZE) {
        (Some(k), Some(v)) => {
            write_container_vsize(out, k + v, entries.len());
            out.write_dictionary(entries);
        }
        _ => {
            let start = out.start_fsize();
            out.write_dictionary(entries);
            out.end_fsize(start);
        }
    }
}

/// Reads the prefix of a dictionary in an optional value.
fn read_dictionary_optional_prefix<K: Decode, V: Decode>(
    input: &mut InputStream<'_>,
) -> Result<(), MarshalError> {
    match dictionary_format(K::FIXED_SIZE, V::FIXED_SIZE) {
        OptionalFormat::VSize => input.read_size().map(|_| ()),
        _ => input.read_fsize().map(|_| ()),
    }
}

impl<K: Encode, V: Encode, S> Encode for HashMap<K, V, S> {
    const OPTIONAL_FORMAT: OptionalFormat = dictionary_format(K::FIXED_SIZE, V::FIXED_SIZE);
    fn encode(&self, out: &mut OutputStream) {
        out.write_dictionary(self.iter());
    }
    fn encode_optional_body(&self, out: &mut OutputStream) {
        encode_dictionary_optional(out, self.iter());
    }
}

impl<K, V, S> Decode for HashMap<K, V, S>
where
    K: Decode + Eq + Hash,
    V: Decode,
    S: BuildHasher + Default,
{
    const OPTIONAL_FORMAT: OptionalFormat = dictionary_format(K::FIXED_SIZE, V::FIXED_SIZE);
    fn decode(input: &mut InputStream<'_>) -> Result<Self, MarshalError> {
        let n = input.read_count(K::MIN_WIRE_SIZE + V::MIN_WIRE_SIZE)?;
        let mut map = HashMap::with_capacity_and_hasher(n, S::default());
        for _ in 0..n {
            let k = K::decode(input)?;
            map.insert(k, V::decode(input)?);
        }
        Ok(map)
    }
    fn decode_optional_body(input: &mut InputStream<'_>) -> Result<Self, MarshalError> {
        read_dictionary_optional_prefix::<K, V>(input)?;
        Self::decode(input)
    }
}

impl<K: Encode, V: Encode> Encode for BTreeMap<K, V> {
    const OPTIONAL_FORMAT: OptionalFormat = dictionary_format(K::FIXED_SIZE, V::FIXED_SIZE);
    fn encode(&self, out: &mut OutputStream) {
        out.write_dictionary(self.iter());
    }
    fn encode_optional_body(&self, out: &mut OutputStream) {
        encode_dictionary_optional(out, self.iter());
    }
}

impl<K: Decode + Ord, V: Decode> Decode for BTreeMap<K, V> {
    const OPTIONAL_FORMAT: OptionalFormat = dictionary_format(K::FIXED_SIZE, V::FIXED_SIZE);
    fn decode(input: &mut InputStream<'_>) -> Result<Self, MarshalError> {
        let n = input.read_count(K::MIN_WIRE_SIZE + V::MIN_WIRE_SIZE)?;
        let mut map = BTreeMap::new();
        for _ in 0..n {
            let k = K::decode(input)?;
            map.insert(k, V::decode(input)?);
        }
        Ok(map)
    }
    fn decode_optional_body(input: &mut InputStream<'_>) -> Result<Self, MarshalError> {
        read_dictionary_optional_prefix::<K, V>(input)?;
        Self::decode(input)
    }
}
