//! Property tests: random values of every kind round-trip; random and mutated bytes never
//! make a decoder panic or allocate out of proportion to their length.

mod common;

use ice_runtime::encoding::endpoint::{
    EndpointData, OpaqueEndpoint, TcpEndpoint, UdpEndpoint, WsEndpoint,
};
use ice_runtime::encoding::{
    Decode, Encode, EncodingVersion, InputStream, InvocationMode, OutputStream, ProxyData,
    ENCODING_1_0, ENCODING_1_1,
};
use ice_runtime::identity::{Identity, ProtocolVersion};
use proptest::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;

/// Encodes and decodes `value` in `encoding`; the decoder must use every byte.
fn round_trip<T: Encode + Decode + Debug>(value: &T, encoding: EncodingVersion) -> T {
    let mut out = OutputStream::new();
    out.set_encoding(encoding);
    value.encode(&mut out);
    let mut input = InputStream::with_encoding(out.as_slice(), encoding);
    let back = T::decode(&mut input).unwrap_or_else(|e| panic!("{value:?}: {e}"));
    assert!(
        input.at_end(),
        "{value:?}: {} bytes left",
        input.remaining()
    );
    back
}

/// Same as `round_trip`, through an optional value with `tag` inside an encapsulation.
fn optional_round_trip<T: Encode + Decode + Debug>(value: &T, tag: u32) -> Option<T> {
    let mut out = OutputStream::new();
    out.start_encapsulation(ENCODING_1_1);
    out.write_optional(tag, Some(value));
    out.write_optional(tag + 1, Some(&1u8));
    out.end_encapsulation();
    let mut input = InputStream::new(out.as_slice());
    input.start_encapsulation().unwrap();
    let back = input
        .read_optional::<T>(tag)
        .unwrap_or_else(|e| panic!("{value:?}: {e}"));
    assert_eq!(input.read_optional::<u8>(tag + 1).unwrap(), Some(1));
    input.end_encapsulation().unwrap();
    back
}

/// Bitwise equality for floats (NaN payloads included) through `Debug` of the bit patterns.
fn f32_bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|f| f.to_bits()).collect()
}
fn f64_bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|f| f.to_bits()).collect()
}

fn encodings() -> impl Strategy<Value = EncodingVersion> {
    prop_oneof![Just(ENCODING_1_0), Just(ENCODING_1_1)]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 ._-]{0,12}",
        any::<String>(),
        "[\\\\/\"' :@\t\n\u{1}\u{7f}é€😀-]{1,8}",
    ]
}

fn identity() -> impl Strategy<Value = Identity> {
    (text(), text()).prop_map(|(name, category)| Identity { name, category })
}

fn tcp() -> impl Strategy<Value = TcpEndpoint> {
    (text(), any::<i32>(), any::<i32>(), any::<bool>()).prop_map(
        |(host, port, timeout, compress)| TcpEndpoint {
            host,
            port,
            timeout,
            compress,
            source_address: None,
        },
    )
}

fn endpoint() -> impl Strategy<Value = EndpointData> {
    prop_oneof![
        tcp().prop_map(EndpointData::Tcp),
        tcp().prop_map(EndpointData::Ssl),
        (tcp(), text()).prop_map(|(tcp, resource)| EndpointData::Ws(WsEndpoint { tcp, resource })),
        (tcp(), text()).prop_map(|(tcp, resource)| EndpointData::Wss(WsEndpoint { tcp, resource })),
        (text(), any::<i32>(), any::<bool>()).prop_map(|(host, port, compress)| {
            EndpointData::Udp(UdpEndpoint {
                host,
                port,
                compress,
                connect: false,
                mcast_interface: String::new(),
                mcast_ttl: -1,
                source_address: None,
            })
        }),
        (
            6i16..i16::MAX,
            0u8..2,
            proptest::collection::vec(any::<u8>(), 0..40)
        )
            .prop_map(|(t, minor, bytes)| {
                EndpointData::Opaque(OpaqueEndpoint {
                    endpoint_type: t,
                    encoding: EncodingVersion { major: 1, minor },
                    bytes,
                })
            }),
    ]
}

fn proxy() -> impl Strategy<Value = ProxyData> {
    (
        (identity(), text(), 0u8..5, any::<bool>()),
        (
            any::<(u8, u8, u8, u8)>(),
            proptest::collection::vec(endpoint(), 0..4),
            text(),
        ),
    )
        .prop_map(
            |((identity, facet, mode, secure), ((pa, pb, ea, eb), endpoints, adapter_id))| {
                let mut identity = identity;
                if identity.name.is_empty() {
                    identity.name.push('n');
                }
                ProxyData {
                    identity,
                    facet,
                    mode: InvocationMode::from_byte(mode).unwrap_or_default(),
                    secure,
                    protocol: ProtocolVersion {
                        major: pa,
                        minor: pb,
                    },
                    encoding: EncodingVersion {
                        major: ea,
                        minor: eb,
                    },
                    adapter_id: if endpoints.is_empty() {
                        adapter_id
                    } else {
                        String::new()
                    },
                    endpoints,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn primitives_round_trip(b in any::<bool>(), y in any::<u8>(), s in any::<i16>(), i in any::<i32>(),
                             l in any::<i64>(), f in any::<f32>(), d in any::<f64>(), e in encodings()) {
        prop_assert_eq!(round_trip(&b, e), b);
        prop_assert_eq!(round_trip(&y, e), y);
        prop_assert_eq!(round_trip(&s, e), s);
        prop_assert_eq!(round_trip(&i, e), i);
        prop_assert_eq!(round_trip(&l, e), l);
        prop_assert_eq!(round_trip(&f, e).to_bits(), f.to_bits());
        prop_assert_eq!(round_trip(&d, e).to_bits(), d.to_bits());
        prop_assert_eq!(optional_round_trip(&b, 0), Some(b));
        prop_assert_eq!(optional_round_trip(&y, 29), Some(y));
        prop_assert_eq!(optional_round_trip(&s, 30), Some(s));
        prop_assert_eq!(optional_round_trip(&i, 254), Some(i));
        prop_assert_eq!(optional_round_trip(&l, 1000), Some(l));
        prop_assert_eq!(optional_round_trip(&f, 7).map(f32::to_bits), Some(f.to_bits()));
        prop_assert_eq!(optional_round_trip(&d, 70000).map(f64::to_bits), Some(d.to_bits()));
    }

    #[test]
    fn strings_and_sequences_round_trip(
        s in any::<String>(),
        bytes in proptest::collection::vec(any::<u8>(), 0..600),
        bools in proptest::collection::vec(any::<bool>(), 0..300),
        shorts in proptest::collection::vec(any::<i16>(), 0..300),
        ints in proptest::collection::vec(any::<i32>(), 0..300),
        longs in proptest::collection::vec(any::<i64>(), 0..300),
        floats in proptest::collection::vec(any::<f32>(), 0..300),
        doubles in proptest::collection::vec(any::<f64>(), 0..300),
        strings in proptest::collection::vec(any::<String>(), 0..20),
        nested in proptest::collection::vec(proptest::collection::vec(any::<i32>(), 0..5), 0..300),
        e in encodings(),
    ) {
        prop_assert_eq!(&round_trip(&s, e), &s);
        prop_assert_eq!(&round_trip(&bytes, e), &bytes);
        prop_assert_eq!(&round_trip(&bools, e), &bools);
        prop_assert_eq!(&round_trip(&shorts, e), &shorts);
        prop_assert_eq!(&round_trip(&ints, e), &ints);
        prop_assert_eq!(&round_trip(&longs, e), &longs);
        prop_assert_eq!(f32_bits(&round_trip(&floats, e)), f32_bits(&floats));
        prop_assert_eq!(f64_bits(&round_trip(&doubles, e)), f64_bits(&doubles));
        prop_assert_eq!(&round_trip(&strings, e), &strings);
        prop_assert_eq!(&round_trip(&nested, e), &nested);
        prop_assert_eq!(optional_round_trip(&s, 1), Some(s.clone()));
        prop_assert_eq!(optional_round_trip(&bytes, 2), Some(bytes.clone()));
        prop_assert_eq!(optional_round_trip(&bools, 3), Some(bools.clone()));
        prop_assert_eq!(optional_round_trip(&ints, 4), Some(ints.clone()));
        prop_assert_eq!(optional_round_trip(&longs, 40), Some(longs.clone()));
        prop_assert_eq!(optional_round_trip(&strings, 5), Some(strings.clone()));
        prop_assert_eq!(optional_round_trip(&nested, 6), Some(nested.clone()));
        // The VSize of a fixed-size sequence is its whole encoded length.
        let mut out = OutputStream::new();
        out.write_optional(1, Some(&ints));
        let mut input = InputStream::new(out.as_slice());
        input.read_u8().unwrap();
        let vsize = input.read_size().unwrap();
        prop_assert_eq!(vsize, input.remaining());
    }

    #[test]
    fn dictionaries_round_trip(
        a in proptest::collection::hash_map(any::<String>(), any::<i32>(), 0..30),
        b in proptest::collection::btree_map(any::<i32>(), any::<String>(), 0..30),
        c in proptest::collection::hash_map(any::<u8>(), any::<bool>(), 0..256),
        e in encodings(),
    ) {
        prop_assert_eq!(&round_trip(&a, e), &a);
        prop_assert_eq!(&round_trip(&b, e), &b);
        prop_assert_eq!(&round_trip(&c, e), &c);
        prop_assert_eq!(optional_round_trip(&a, 1), Some(a.clone()));
        prop_assert_eq!(optional_round_trip(&b, 2), Some(b.clone()));
        prop_assert_eq!(optional_round_trip(&c, 3), Some(c.clone()));
        let sorted: BTreeMap<u8, bool> = c.iter().map(|(k, v)| (*k, *v)).collect();
        let again: HashMap<u8, bool> = round_trip(&sorted, e).into_iter().collect();
        prop_assert_eq!(again, c);
    }

    #[test]
    fn proxies_round_trip_on_the_wire(p in proxy(), e in encodings()) {
        let some = Some(p.clone());
        let back = round_trip(&some, e).expect("not null");
        if e == ENCODING_1_1 {
            prop_assert_eq!(&back, &p);
        } else {
            // Encoding 1.0 carries no versions.
            prop_assert_eq!(back.identity, p.identity);
            prop_assert_eq!(back.endpoints, p.endpoints);
        }
        prop_assert_eq!(optional_round_trip(&some, 3), Some(some.clone()));
        prop_assert_eq!(round_trip(&None::<ProxyData>, e), None);
    }

    #[test]
    fn identities_round_trip_as_strings(id in identity()) {
        prop_assume!(!id.name.is_empty());
        let s = id.to_string();
        prop_assert_eq!(Identity::parse(&s).unwrap(), id);
    }

    #[test]
    fn random_bytes_never_panic_or_overallocate(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        common::decode_everything(&bytes);
    }

    #[test]
    fn mutated_encodings_never_panic_or_overallocate(
        p in proxy(),
        ints in proptest::collection::vec(any::<i32>(), 0..20),
        strings in proptest::collection::vec("[a-z]{0,5}", 0..5),
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6),
    ) {
        let mut out = OutputStream::new();
        out.start_encapsulation(ENCODING_1_1);
        Some(p).encode(&mut out);
        out.write_optional(1, Some(&ints));
        out.write_optional(2, Some(&strings));
        out.end_encapsulation();
        let mut bytes = out.into_vec();
        for (at, v) in flips {
            let n = bytes.len();
            bytes[at % n] = v;
        }
        common::decode_everything(&bytes);
        // Also at every offset, so that sizes land on every position.
        for start in 0..bytes.len().min(64) {
            common::decode_everything(&bytes[start..]);
        }
    }
}

#[test]
fn counts_claiming_2_pow_31_elements_fail_before_allocating() {
    for prefix in [
        [0xff, 0xff, 0xff, 0xff, 0x7f],
        [0xff, 0x00, 0x00, 0x00, 0x80],
    ] {
        let mut bytes = prefix.to_vec();
        bytes.extend_from_slice(&[0u8; 16]);
        let input = InputStream::new(&bytes);
        assert!(Vec::<u8>::decode(&mut input.clone()).is_err());
        assert!(Vec::<bool>::decode(&mut input.clone()).is_err());
        assert!(Vec::<i64>::decode(&mut input.clone()).is_err());
        assert!(Vec::<String>::decode(&mut input.clone()).is_err());
        assert!(Vec::<Vec<u8>>::decode(&mut input.clone()).is_err());
        assert!(HashMap::<String, String>::decode(&mut input.clone()).is_err());
        assert!(String::decode(&mut input.clone()).is_err());
    }
}
