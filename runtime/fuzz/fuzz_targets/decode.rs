//! Feeds arbitrary bytes to every decoder of the encoding layer (sequences, dictionaries,
//! strings, proxies, endpoints, optional values, encapsulations) and to the proxy, endpoint
//! and identity string parsers. Any panic is a bug; so is a sequence holding more elements
//! than the input has bytes.
#![no_main]

use ice_runtime::encoding::{
    Decode, EndpointData, InputStream, ProxyData, ENCODING_1_0, ENCODING_1_1,
};
use ice_runtime::Identity;
use libfuzzer_sys::fuzz_target;
use std::collections::{BTreeMap, HashMap};

fn seq<T: Decode>(bytes: &[u8], input: &InputStream<'_>) {
    if let Ok(v) = Vec::<T>::decode(&mut input.clone()) {
        assert!(v.capacity() <= bytes.len());
    }
}

fuzz_target!(|bytes: &[u8]| {
    for encoding in [ENCODING_1_0, ENCODING_1_1] {
        let input = InputStream::with_encoding(bytes, encoding);
        seq::<u8>(bytes, &input);
        seq::<bool>(bytes, &input);
        seq::<i32>(bytes, &input);
        seq::<f64>(bytes, &input);
        seq::<String>(bytes, &input);
        seq::<Vec<i16>>(bytes, &input);
        seq::<Option<ProxyData>>(bytes, &input);
        let _ = HashMap::<String, i32>::decode(&mut input.clone());
        let _ = BTreeMap::<i64, Vec<u8>>::decode(&mut input.clone());
        let _ = Identity::decode(&mut input.clone());
        let _ = EndpointData::decode(&mut input.clone());
        let mut i = input.clone();
        if i.start_encapsulation().is_ok() {
            let _ = i.read::<i32>();
            let _ = i.read_optional::<String>(1);
            let _ = i.read_optional::<Vec<i32>>(2);
            let _ = i.read_optional::<HashMap<String, i32>>(3);
            let _ = i.read_optional::<Option<ProxyData>>(30);
            let _ = i.end_encapsulation();
        }
        let _ = input.clone().skip_optionals();
    }
    // Invalid UTF-8 becomes U+FFFD, so multi-byte characters reach the parsers too.
    let s = String::from_utf8_lossy(bytes);
    if let Ok(Some(p)) = ProxyData::parse_nullable(&s) {
        // What we print, we can try to read back.
        let _ = ProxyData::parse(&p.to_string());
    }
    let _ = EndpointData::parse(&s);
    let _ = Identity::parse(&s);
});
