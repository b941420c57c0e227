//! Every encoding vector produced by ZeroC Ice 3.7 (`vectors/encoding/*.json`, except the
//! classes and exceptions files, which `encoding_classes*.rs` covers) must decode to the
//! value it describes and encode back to exactly its bytes, both as a bare body and inside
//! its encapsulation. Each vector's `slice` type picks the Rust type; an unknown type fails
//! the test, so a new vector is a new test case or a loud failure, never skipped.

mod common;

use common::{load_encoding, to_hex, Vector};
use ice_runtime::encoding::{
    Decode, Encode, EncodingVersion, InputStream, MarshalError, OutputStream, ProxyData,
    ENCODING_1_0, ENCODING_1_1,
};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;
use std::hash::Hash;

// ---------------------------------------------------------------------------------------
// The types of module Vec (slice/Vectors.ice) used here, written as slicec-rs will emit them.

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(i32)]
enum Color {
    Red = 0,
    Green = 1,
    Blue = 2,
}

impl Encode for Color {
    const OPTIONAL_FORMAT: ice_runtime::encoding::OptionalFormat =
        ice_runtime::encoding::OptionalFormat::Size;
    fn encode(&self, out: &mut OutputStream) {
        out.write_enum(*self as i32, 2);
    }
}

impl Decode for Color {
    const OPTIONAL_FORMAT: ice_runtime::encoding::OptionalFormat =
        ice_runtime::encoding::OptionalFormat::Size;
    fn decode(input: &mut InputStream<'_>) -> Result<Self, MarshalError> {
        let start = input.pos();
        match input.read_enum(2)? {
            0 => Ok(Color::Red),
            1 => Ok(Color::Green),
            2 => Ok(Color::Blue),
            v => Err(MarshalError::new(start, format!("invalid Color value {v}"))),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(i32)]
enum Sparse {
    Low = 0,
    Mid = 254,
    High = 300,
}

impl Encode for Sparse {
    const OPTIONAL_FORMAT: ice_runtime::encoding::OptionalFormat =
        ice_runtime::encoding::OptionalFormat::Size;
    fn encode(&self, out: &mut OutputStream) {
        out.write_enum(*self as i32, 300);
    }
}

impl Decode for Sparse {
    const OPTIONAL_FORMAT: ice_runtime::encoding::OptionalFormat =
        ice_runtime::encoding::OptionalFormat::Size;
    fn decode(input: &mut InputStream<'_>) -> Result<Self, MarshalError> {
        let start = input.pos();
        match input.read_enum(300)? {
            0 => Ok(Sparse::Low),
            254 => Ok(Sparse::Mid),
            300 => Ok(Sparse::High),
            v => Err(MarshalError::new(
                start,
                format!("invalid Sparse value {v}"),
            )),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
struct Point {
    x: i32,
    y: i32,
}

impl Encode for Point {
    const FIXED_SIZE: Option<usize> = Some(8);
    fn encode(&self, out: &mut OutputStream) {
        self.x.encode(out);
        self.y.encode(out);
    }
}

impl Decode for Point {
    const FIXED_SIZE: Option<usize> = Some(8);
    fn decode(input: &mut InputStream<'_>) -> Result<Self, MarshalError> {
        Ok(Point {
            x: input.read()?,
            y: input.read()?,
        })
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
struct Line {
    start: Point,
    end: Point,
    label: String,
}

impl Encode for Line {
    fn encode(&self, out: &mut OutputStream) {
        self.start.encode(out);
        self.end.encode(out);
        self.label.encode(out);
    }
}

impl Decode for Line {
    const MIN_WIRE_SIZE: usize = 17;
    fn decode(input: &mut InputStream<'_>) -> Result<Self, MarshalError> {
        Ok(Line {
            start: input.read()?,
            end: input.read()?,
            label: input.read()?,
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
struct Mixed {
    b: bool,
    by: u8,
    s: i16,
    i: i32,
    l: i64,
    f: f32,
    d: f64,
    str: String,
    c: Color,
}

impl Encode for Mixed {
    fn encode(&self, out: &mut OutputStream) {
        self.b.encode(out);
        self.by.encode(out);
        self.s.encode(out);
        self.i.encode(out);
        self.l.encode(out);
        self.f.encode(out);
        self.d.encode(out);
        self.str.encode(out);
        self.c.encode(out);
    }
}

impl Decode for Mixed {
    const MIN_WIRE_SIZE: usize = 30;
    fn decode(input: &mut InputStream<'_>) -> Result<Self, MarshalError> {
        Ok(Mixed {
            b: input.read()?,
            by: input.read()?,
            s: input.read()?,
            i: input.read()?,
            l: input.read()?,
            f: input.read()?,
            d: input.read()?,
            str: input.read()?,
            c: input.read()?,
        })
    }
}

// ---------------------------------------------------------------------------------------
// JSON values of the vectors to Rust values.

trait FromJson: Sized {
    fn from_json(v: &Value) -> Self;
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not an integer: {v}"))
}

fn float(v: &Value) -> f64 {
    match v {
        Value::String(s) => match s.as_str() {
            "NaN" => f64::NAN,
            "Infinity" => f64::INFINITY,
            "-Infinity" => f64::NEG_INFINITY,
            "-0.0" => -0.0,
            _ => panic!("not a float: {s}"),
        },
        _ => v.as_f64().unwrap_or_else(|| panic!("not a float: {v}")),
    }
}

impl FromJson for bool {
    fn from_json(v: &Value) -> Self {
        v.as_bool().expect("bool")
    }
}
impl FromJson for u8 {
    fn from_json(v: &Value) -> Self {
        int(v) as u8
    }
}
impl FromJson for i16 {
    fn from_json(v: &Value) -> Self {
        int(v) as i16
    }
}
impl FromJson for i32 {
    fn from_json(v: &Value) -> Self {
        int(v) as i32
    }
}
impl FromJson for i64 {
    fn from_json(v: &Value) -> Self {
        int(v)
    }
}
impl FromJson for f32 {
    fn from_json(v: &Value) -> Self {
        float(v) as f32
    }
}
impl FromJson for f64 {
    fn from_json(v: &Value) -> Self {
        float(v)
    }
}
impl FromJson for String {
    fn from_json(v: &Value) -> Self {
        v.as_str().expect("string").to_owned()
    }
}
impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(v: &Value) -> Self {
        v.as_array()
            .expect("list")
            .iter()
            .map(T::from_json)
            .collect()
    }
}
impl FromJson for Color {
    fn from_json(v: &Value) -> Self {
        match v["enum"].as_str() {
            Some("Red") => Color::Red,
            Some("Green") => Color::Green,
            Some("Blue") => Color::Blue,
            other => panic!("not a Color: {other:?}"),
        }
    }
}
impl FromJson for Sparse {
    fn from_json(v: &Value) -> Self {
        match v["enum"].as_str() {
            Some("Low") => Sparse::Low,
            Some("Mid") => Sparse::Mid,
            Some("High") => Sparse::High,
            other => panic!("not a Sparse: {other:?}"),
        }
    }
}
impl FromJson for Point {
    fn from_json(v: &Value) -> Self {
        Point {
            x: i32::from_json(&v["x"]),
            y: i32::from_json(&v["y"]),
        }
    }
}
impl FromJson for Line {
    fn from_json(v: &Value) -> Self {
        Line {
            start: Point::from_json(&v["start"]),
            end: Point::from_json(&v["end"]),
            label: String::from_json(&v["label"]),
        }
    }
}
impl FromJson for Mixed {
    fn from_json(v: &Value) -> Self {
        Mixed {
            b: FromJson::from_json(&v["b"]),
            by: FromJson::from_json(&v["by"]),
            s: FromJson::from_json(&v["s"]),
            i: FromJson::from_json(&v["i"]),
            l: FromJson::from_json(&v["l"]),
            f: FromJson::from_json(&v["f"]),
            d: FromJson::from_json(&v["d"]),
            str: FromJson::from_json(&v["str"]),
            c: FromJson::from_json(&v["c"]),
        }
    }
}
/// A proxy vector value: `{"proxy": string}` or null.
impl FromJson for Option<ProxyData> {
    fn from_json(v: &Value) -> Self {
        match v {
            Value::Null => None,
            _ => Some(ProxyData::parse(v["proxy"].as_str().expect("proxy string")).expect("parse")),
        }
    }
}

/// Dictionary entries in the vector's wire order.
struct Entries<K, V>(Vec<(K, V)>);

impl<K: FromJson, V: FromJson> FromJson for Entries<K, V> {
    fn from_json(v: &Value) -> Self {
        Entries(
            v.as_array()
                .expect("list of pairs")
                .iter()
                .map(|p| (K::from_json(&p[0]), V::from_json(&p[1])))
                .collect(),
        )
    }
}

// ---------------------------------------------------------------------------------------
// Checks.

type Check = Result<(), String>;

fn version(v: &Vector) -> EncodingVersion {
    match v.encoding.as_str() {
        "1.0" => ENCODING_1_0,
        "1.1" => ENCODING_1_1,
        other => panic!("{}: unknown encoding {other}", v.name),
    }
}

/// Encodes with `write` as a bare body and inside an encapsulation; both must be the
/// vector's bytes.
fn check_encode(v: &Vector, write: impl Fn(&mut OutputStream)) -> Check {
    let mut out = OutputStream::new();
    out.set_encoding(version(v));
    write(&mut out);
    if out.as_slice() != v.bytes.as_slice() {
        return Err(format!(
            "encoded {} expected {}",
            to_hex(out.as_slice()),
            to_hex(&v.bytes)
        ));
    }
    let mut out = OutputStream::new();
    out.start_encapsulation(version(v));
    write(&mut out);
    out.end_encapsulation();
    if out.as_slice() != v.encaps.as_slice() {
        return Err(format!(
            "encapsulation {} expected {}",
            to_hex(out.as_slice()),
            to_hex(&v.encaps)
        ));
    }
    Ok(())
}

/// Decodes with `read` from the bare body (which must be consumed entirely) and from the
/// encapsulation (which must close cleanly); both results must be the same.
fn check_decode<T: Debug>(
    v: &Vector,
    read: impl Fn(&mut InputStream<'_>) -> Result<T, MarshalError>,
) -> Result<T, String> {
    let mut input = InputStream::with_encoding(&v.bytes, version(v));
    let value = read(&mut input).map_err(|e| format!("decoding the body: {e}"))?;
    if !input.at_end() {
        return Err(format!("{} bytes left after decoding", input.remaining()));
    }
    let mut input = InputStream::new(&v.encaps);
    let got = input.start_encapsulation().map_err(|e| e.to_string())?;
    if got != version(v) {
        return Err(format!(
            "encapsulation version {got} expected {}",
            v.encoding
        ));
    }
    let again = read(&mut input).map_err(|e| format!("decoding the encapsulation: {e}"))?;
    input
        .end_encapsulation()
        .map_err(|e| format!("closing the encapsulation: {e}"))?;
    same(&value, &again)?;
    Ok(value)
}

/// Compares by `Debug` form, which tells NaN from NaN equal and -0.0 from 0.0 apart.
fn same<T: Debug>(got: &T, expected: &T) -> Check {
    let (g, e) = (format!("{got:?}"), format!("{expected:?}"));
    if g == e {
        Ok(())
    } else {
        Err(format!("decoded {g}, expected {e}"))
    }
}

/// A value of type `T`: decodes to the vector's value, which encodes to its bytes.
fn value<T: Encode + Decode + FromJson + Debug>(v: &Vector) -> Check {
    let expected = T::from_json(&v.value);
    let got = check_decode(v, |i| T::decode(i))?;
    same(&got, &expected)?;
    check_encode(v, |o| expected.encode(o))?;
    check_encode(v, |o| got.encode(o))
}

/// A dictionary: decoded into a `BTreeMap` and a `HashMap` (order does not matter),
/// encoded in the vector's wire order.
fn dictionary<K, V>(v: &Vector) -> Check
where
    K: Encode + Decode + FromJson + Debug + Eq + Hash + Ord + Clone,
    V: Encode + Decode + FromJson + Debug + PartialEq + Clone,
{
    let Entries(expected) = Entries::<K, V>::from_json(&v.value);
    let sorted: BTreeMap<K, V> = expected.iter().cloned().collect();
    let got: BTreeMap<K, V> = check_decode(v, BTreeMap::decode)?;
    same(&got, &sorted)?;
    let hashed = HashMap::<K, V>::decode(&mut InputStream::with_encoding(&v.bytes, version(v)))
        .map_err(|e| e.to_string())?;
    if hashed.len() != sorted.len() || sorted.iter().any(|(k, val)| hashed.get(k) != Some(val)) {
        return Err(format!("decoded {hashed:?}, expected {sorted:?}"));
    }
    check_encode(v, |o| {
        o.write_dictionary(expected.iter().map(|(k, val)| (k, val)))
    })
}

/// An optional parameter `optional(tag) T`; a null value means unset.
fn optional<T: Encode + Decode + FromJson + Debug>(v: &Vector, tag: u32) -> Check {
    let expected: Option<T> = match &v.value {
        Value::Null => None,
        value => Some(T::from_json(value)),
    };
    let got = check_decode(v, |i| i.read_optional::<T>(tag))?;
    same(&got, &expected)?;
    check_encode(v, |o| o.write_optional(tag, expected.as_ref()))?;
    check_encode(v, |o| o.write_optional(tag, got.as_ref()))
}

/// An optional dictionary parameter, compared order-insensitively.
fn optional_dictionary<K, V>(v: &Vector, tag: u32) -> Check
where
    K: Encode + Decode + FromJson + Debug + Eq + Hash + Ord + Clone,
    V: Encode + Decode + FromJson + Debug + PartialEq + Clone,
{
    let Entries(expected) = Entries::<K, V>::from_json(&v.value);
    let got: Option<BTreeMap<K, V>> = check_decode(v, |i| i.read_optional(tag))?;
    let expected_map: BTreeMap<K, V> = expected.iter().cloned().collect();
    same(&got, &Some(expected_map.clone()))?;
    // The vectors' entries are in key order, so the BTreeMap writes the same bytes.
    check_encode(v, |o| o.write_optional(tag, Some(&expected_map)))
}

/// A proxy (`Object*`): decodes to Ice's stringified form, and the parsed input string
/// encodes to the bytes.
fn proxy(v: &Vector) -> Check {
    let decoded = check_decode(v, ProxyData::decode)?;
    let expected = Option::<ProxyData>::from_json(&v.value);
    if version(v) == ENCODING_1_1 {
        let printed = decoded.as_ref().map(|p| p.to_string());
        if printed.as_deref() != v.str_field("stringified") {
            return Err(format!(
                "printed {printed:?}, Ice printed {:?}",
                v.str_field("stringified")
            ));
        }
        let parsed = v
            .str_field("input_string")
            .map(|s| ProxyData::parse_nullable(s).map_err(|e| e.to_string()))
            .transpose()?
            .flatten();
        same(&parsed, &expected)?;
    } else {
        // A 1.0 proxy carries no versions: it reads back with protocol 1.0 and encoding 1.0.
        let expected_10 = expected.clone().map(|p| ProxyData {
            encoding: ENCODING_1_0,
            ..p
        });
        same(&decoded, &expected_10)?;
    }
    same(&decoded.is_some(), &expected.is_some())?;
    check_encode(v, |o| ProxyData::encode_nullable(expected.as_ref(), o))?;
    check_encode(v, |o| ProxyData::encode_nullable(decoded.as_ref(), o))
}

/// `void echoMany(int a, string b, Color c, ...)`: required parameters in order.
fn echo_many(v: &Vector) -> Check {
    let a = &v.value;
    let expected = (
        i32::from_json(&a[0]),
        String::from_json(&a[1]),
        Color::from_json(&a[2]),
    );
    let got = check_decode(v, |i| {
        Ok((i.read::<i32>()?, i.read::<String>()?, i.read::<Color>()?))
    })?;
    same(&got, &expected)?;
    check_encode(v, |o| {
        o.write(&expected.0);
        o.write(&expected.1);
        o.write(&expected.2);
    })
}

/// `void sendOptMany(int req, optional(5) string s, optional(2) int i, optional(9) Color c)`:
/// the required parameter, then the optional ones sorted by tag.
fn send_opt_many(v: &Vector) -> Check {
    let a = &v.value;
    fn opt(x: &Value) -> Option<&Value> {
        (!x.is_null()).then_some(x)
    }
    let req = i32::from_json(&a[0]);
    let s = opt(&a[1]).map(String::from_json);
    let i = opt(&a[2]).map(i32::from_json);
    let c = opt(&a[3]).map(Color::from_json);
    let got = check_decode(v, |input| {
        let req = input.read::<i32>()?;
        let i = input.read_optional::<i32>(2)?;
        let s = input.read_optional::<String>(5)?;
        let c = input.read_optional::<Color>(9)?;
        Ok((req, s, i, c))
    })?;
    same(&got, &(req, s.clone(), i, c))?;
    check_encode(v, |o| {
        o.write(&req);
        o.write_optional(2, i.as_ref());
        o.write_optional(5, s.as_deref());
        o.write_optional(9, c.as_ref());
    })
}

/// Types whose vectors belong to the class and exception tests (`encoding_classes*.rs`).
const CLASS_TYPES: &[&str] = &["class Base", "::Vec::DerivedError", "optional(1) Base"];

/// Runs the check for the vector's Slice type; `None` for an unknown type.
fn check_by_type(v: &Vector) -> Option<Check> {
    if let Some(rest) = v.slice.strip_prefix("optional(") {
        let (tag, ty) = rest.split_once(") ")?;
        let tag: u32 = tag.parse().ok()?;
        return Some(match ty {
            "byte" => optional::<u8>(v, tag),
            "bool" => optional::<bool>(v, tag),
            "short" => optional::<i16>(v, tag),
            "int" => optional::<i32>(v, tag),
            "long" => optional::<i64>(v, tag),
            "float" => optional::<f32>(v, tag),
            "double" => optional::<f64>(v, tag),
            "string" => optional::<String>(v, tag),
            "Color" => optional::<Color>(v, tag),
            "Point" => optional::<Point>(v, tag),
            "Line" => optional::<Line>(v, tag),
            "sequence<int>" => optional::<Vec<i32>>(v, tag),
            "sequence<byte>" => optional::<Vec<u8>>(v, tag),
            "sequence<string>" => optional::<Vec<String>>(v, tag),
            "dictionary<string,int>" => optional_dictionary::<String, i32>(v, tag),
            "dictionary<byte,bool>" => optional_dictionary::<u8, bool>(v, tag),
            "Object*" => optional::<Option<ProxyData>>(v, tag),
            _ => return None,
        });
    }
    Some(match v.slice.as_str() {
        "bool" => value::<bool>(v),
        "byte" => value::<u8>(v),
        "short" => value::<i16>(v),
        "int" => value::<i32>(v),
        "long" => value::<i64>(v),
        "float" => value::<f32>(v),
        "double" => value::<f64>(v),
        "string" => value::<String>(v),
        "enum Color { Red, Green, Blue }" | "enum Color" => value::<Color>(v),
        "enum Sparse { Low = 0, Mid = 254, High = 300 }" | "enum Sparse (max 300)" => {
            value::<Sparse>(v)
        }
        "struct Point { int x; int y; }" => value::<Point>(v),
        "struct Line { Point start; Point end; string label; }" => value::<Line>(v),
        "struct Mixed { bool b; byte by; short s; int i; long l; float f; double d; string str; Color c; }" => {
            value::<Mixed>(v)
        }
        "sequence<bool>" => value::<Vec<bool>>(v),
        "sequence<byte>" => value::<Vec<u8>>(v),
        "sequence<short>" => value::<Vec<i16>>(v),
        "sequence<int>" => value::<Vec<i32>>(v),
        "sequence<long>" => value::<Vec<i64>>(v),
        "sequence<float>" => value::<Vec<f32>>(v),
        "sequence<double>" => value::<Vec<f64>>(v),
        "sequence<string>" => value::<Vec<String>>(v),
        "sequence<Point>" => value::<Vec<Point>>(v),
        "sequence<Line>" => value::<Vec<Line>>(v),
        "sequence<Color>" => value::<Vec<Color>>(v),
        "sequence<sequence<int>>" => value::<Vec<Vec<i32>>>(v),
        "dictionary<string,int>" => dictionary::<String, i32>(v),
        "dictionary<int,string>" => dictionary::<i32, String>(v),
        "dictionary<string,Point>" => dictionary::<String, Point>(v),
        "dictionary<byte,bool>" => dictionary::<u8, bool>(v),
        "Object*" => proxy(v),
        "void echoMany(int a, string b, Color c, out int ra, out string rb, out Color rc)" => {
            echo_many(v)
        }
        "void sendOptMany(int req, optional(5) string s, optional(2) int i, optional(9) Color c)" => {
            send_opt_many(v)
        }
        _ => return None,
    })
}

#[test]
fn every_encoding_vector_decodes_and_encodes_like_ice() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for file in common::encoding_files() {
        if file == "classes.json" || file == "exceptions.json" {
            continue;
        }
        for v in load_encoding(&file) {
            if CLASS_TYPES.contains(&v.slice.as_str()) {
                continue;
            }
            match check_by_type(&v) {
                Some(Ok(())) => checked += 1,
                Some(Err(e)) => failures.push(format!("{file} {}: {e}", v.name)),
                None => failures.push(format!(
                    "{file} {}: unknown slice type `{}'",
                    v.name, v.slice
                )),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // 163 vectors in all, minus the classes and exceptions files and the class-typed ones.
    assert!(checked >= 120, "only {checked} vectors checked");
    println!("{checked} vectors checked");
}

#[test]
fn nested_encapsulations_patch_their_own_sizes() {
    use ice_runtime::encoding::{InputStream, OutputStream, ENCODING_1_0, ENCODING_1_1};
    let mut out = OutputStream::new();
    out.start_encapsulation(ENCODING_1_1);
    out.write_i32(7);
    out.start_encapsulation(ENCODING_1_0);
    out.start_encapsulation(ENCODING_1_1);
    out.write_u8(9);
    out.end_encapsulation();
    assert_eq!(out.encoding(), ENCODING_1_0);
    out.end_encapsulation();
    assert_eq!(out.encoding(), ENCODING_1_1);
    out.end_encapsulation();
    let b = out.as_slice();
    assert_eq!(b.len(), 6 + 4 + 6 + 7);
    assert_eq!(&b[..4], &23i32.to_le_bytes());
    assert_eq!(&b[10..14], &13i32.to_le_bytes());
    assert_eq!(&b[16..20], &7i32.to_le_bytes());
    let mut input = InputStream::new(b);
    assert_eq!(input.start_encapsulation().unwrap(), ENCODING_1_1);
    assert_eq!(input.read_i32().unwrap(), 7);
    assert_eq!(input.start_encapsulation().unwrap(), ENCODING_1_0);
    assert_eq!(input.start_encapsulation().unwrap(), ENCODING_1_1);
    assert_eq!(input.read_u8().unwrap(), 9);
    for _ in 0..3 {
        input.end_encapsulation().unwrap();
    }
}
