//! Helpers shared by the data-driven tests: loading the golden vectors produced by ZeroC Ice
//! 3.7 (`shared/protocol/vectors`, or `$ICE_VECTORS_DIR`) and hex conversion.

#![allow(dead_code)]

use serde_json::Value;
use std::path::PathBuf;

/// The folder holding the vector sets (`encoding/`, `wire/`, `slice/`): `$ICE_VECTORS_DIR`,
/// else `../../shared/protocol/vectors` from this crate (the repository's neighbour
/// `shared/`), else the first `shared/protocol/vectors` found further up.
pub fn vectors_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("ICE_VECTORS_DIR") {
        return PathBuf::from(dir);
    }
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let default = manifest.join("../../shared/protocol/vectors");
    if default.is_dir() {
        return default;
    }
    manifest
        .ancestors()
        .map(|a| a.join("shared/protocol/vectors"))
        .find(|p| p.is_dir())
        .unwrap_or(default)
}

/// One encoding vector (`encoding/*.json`).
#[derive(Clone, Debug)]
pub struct Vector {
    /// The file it comes from, e.g. `primitives.json`.
    pub file: String,
    /// Unique name, e.g. `int.-1`.
    pub name: String,
    /// The Slice type or signature.
    pub slice: String,
    /// The value in the vectors' JSON form.
    pub value: Value,
    /// `1.0` or `1.1`.
    pub encoding: String,
    /// The encapsulation body.
    pub bytes: Vec<u8>,
    /// The whole encapsulation (size, version, body).
    pub encaps: Vec<u8>,
    /// The whole JSON object (for keys such as `stringified`, `format`).
    pub raw: Value,
}

impl Vector {
    /// A string field of the raw vector, if present and a string.
    pub fn str_field(&self, key: &str) -> Option<&str> {
        self.raw.get(key).and_then(Value::as_str)
    }
}

/// Decodes a lowercase hex string.
pub fn hex(s: &str) -> Vec<u8> {
    assert!(s.len() % 2 == 0, "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit"))
        .collect()
}

/// Encodes bytes as lowercase hex.
pub fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The names of the files in `encoding/`, sorted.
pub fn encoding_files() -> Vec<String> {
    let dir = vectors_dir().join("encoding");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    names
}

/// Loads the vectors of one file of `encoding/`.
pub fn load_encoding(file: &str) -> Vec<Vector> {
    let path = vectors_dir().join("encoding").join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let json: Value = serde_json::from_str(&text).expect("valid JSON");
    json["vectors"]
        .as_array()
        .expect("a vectors array")
        .iter()
        .map(|v| Vector {
            file: file.to_owned(),
            name: v["name"].as_str().expect("name").to_owned(),
            slice: v["slice"].as_str().expect("slice").to_owned(),
            value: v["value"].clone(),
            encoding: v["encoding"].as_str().unwrap_or("1.1").to_owned(),
            bytes: hex(v["hex"].as_str().expect("hex")),
            encaps: hex(v["encaps_hex"].as_str().expect("encaps_hex")),
            raw: v.clone(),
        })
        .collect()
}

/// Decodes `bytes` as every kind of value the encoding layer knows, in both encodings,
/// ignoring the results: used to check that no input makes a decoder panic or allocate
/// out of proportion to the input. Sequences decoded without error are checked to hold no
/// more elements than the input has bytes.
pub fn decode_everything(bytes: &[u8]) {
    use ice_runtime::encoding::{
        Decode, EndpointData, InputStream, ProxyData, ENCODING_1_0, ENCODING_1_1,
    };
    use ice_runtime::Identity;
    use std::collections::{BTreeMap, HashMap};

    fn seq<T: Decode>(bytes: &[u8], input: &InputStream<'_>) {
        if let Ok(v) = Vec::<T>::decode(&mut input.clone()) {
            assert!(
                v.capacity() <= bytes.len(),
                "{} elements allocated for {} bytes",
                v.capacity(),
                bytes.len()
            );
        }
    }
    fn one<T: Decode>(input: &InputStream<'_>) {
        let _ = T::decode(&mut input.clone());
    }

    for encoding in [ENCODING_1_0, ENCODING_1_1] {
        let input = InputStream::with_encoding(bytes, encoding);
        seq::<u8>(bytes, &input);
        seq::<bool>(bytes, &input);
        seq::<i16>(bytes, &input);
        seq::<i32>(bytes, &input);
        seq::<i64>(bytes, &input);
        seq::<f32>(bytes, &input);
        seq::<f64>(bytes, &input);
        seq::<String>(bytes, &input);
        seq::<Vec<i32>>(bytes, &input);
        seq::<Vec<String>>(bytes, &input);
        seq::<Option<ProxyData>>(bytes, &input);
        one::<HashMap<String, i32>>(&input);
        one::<BTreeMap<i32, String>>(&input);
        one::<HashMap<u8, Vec<u8>>>(&input);
        one::<Identity>(&input);
        let _ = EndpointData::decode(&mut input.clone());
        // An operation's parameters: an encapsulation with a required value and optionals.
        let mut i = input.clone();
        if i.start_encapsulation().is_ok() {
            let _ = i.read::<i32>();
            let _ = i.read_optional::<String>(1);
            let _ = i.read_optional::<Vec<i32>>(2);
            let _ = i.read_optional::<HashMap<String, i32>>(3);
            let _ = i.read_optional::<Option<ProxyData>>(30);
            let _ = i.end_encapsulation();
        }
        let mut i = input.clone();
        let _ = i.skip_optionals();
    }
    // Invalid UTF-8 becomes U+FFFD, so multi-byte characters reach the parsers too.
    let s = String::from_utf8_lossy(bytes);
    let _ = ProxyData::parse_nullable(&s);
    let _ = EndpointData::parse(&s);
    let _ = Identity::parse(&s);
}
