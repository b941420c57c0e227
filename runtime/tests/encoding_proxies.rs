//! Proxies and endpoints against the vectors of ZeroC Ice 3.7 (`encoding/proxies.json`).

mod common;

use common::{load_encoding, to_hex};
use ice_runtime::encoding::{InputStream, OutputStream, ProxyData, ENCODING_1_1};

#[test]
fn proxy_vectors_decode_print_parse_and_encode_like_ice() {
    let vectors = load_encoding("proxies.json");
    assert!(!vectors.is_empty());
    for v in vectors {
        let mut input = InputStream::with_encoding(&v.bytes, ENCODING_1_1);
        let decoded = ProxyData::decode(&mut input).unwrap_or_else(|e| panic!("{}: {e}", v.name));
        assert!(input.at_end(), "{}: trailing bytes", v.name);
        let printed = decoded.as_ref().map(|p| p.to_string());
        assert_eq!(printed.as_deref(), v.str_field("stringified"), "{}", v.name);

        let parsed = match v.str_field("input_string") {
            Some(s) => ProxyData::parse_nullable(s).unwrap_or_else(|e| panic!("{}: {e}", v.name)),
            None => None,
        };
        assert_eq!(parsed, decoded, "{}", v.name);
        let mut out = OutputStream::new();
        ProxyData::encode_nullable(parsed.as_ref(), &mut out);
        assert_eq!(to_hex(out.as_slice()), to_hex(&v.bytes), "{}", v.name);

        // Ice's own output parses back to the same proxy.
        if let Some(s) = v.str_field("stringified") {
            assert_eq!(ProxyData::parse(s).ok(), decoded, "{}", v.name);
        }
    }
}
