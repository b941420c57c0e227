//! User exceptions against the golden vectors of ZeroC Ice 3.7 (`encoding/exceptions.json`
//! and the exception vector of `encoding10.json`): decoding to the most derived known type,
//! slicing, unknown exceptions, class members, and hostile input.

mod classes_support;

use classes_support::*;
use ice_runtime::encoding::{
    Format, InputStream, OutputStream, UnknownSlicedException, UserException, Value, ENCODING_1_0,
    ENCODING_1_1,
};
use proptest::prelude::*;
use serde_json::Value as Json;
use std::collections::HashMap;

/// The classes of module Vec are registered, as generated code does before decoding
/// (in the sliced format a class member is read from an indirection table, before the
/// member's declared type is known).
fn exception_vectors() -> Vec<Json> {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| register_vec_classes(ice_runtime::encoding::ValueFactories::global()));
    let mut all = load_vectors("exceptions.json");
    all.extend(
        load_vectors("encoding10.json")
            .into_iter()
            .filter(|v| v["value"].get("exception").is_some()),
    );
    assert!(
        all.len() >= 8,
        "expected the exception vectors, found {}",
        all.len()
    );
    all
}

fn version(v: &Json) -> ice_runtime::encoding::EncodingVersion {
    if v["encoding"] == "1.0" {
        ENCODING_1_0
    } else {
        ENCODING_1_1
    }
}

fn format_of(v: &Json) -> Format {
    if v["format"] == "sliced" {
        Format::Sliced
    } else {
        Format::Compact
    }
}

/// The exception a vector describes, built as user code would.
fn build_exception(v: &Json) -> Box<dyn UserException> {
    let e = &v["value"];
    let m = &e["members"];
    let s = |k: &str| m[k].as_str().map(str::to_owned);
    match e["exception"].as_str().unwrap() {
        "::Vec::BaseError" => Box::new(BaseError {
            reason: s("reason").unwrap(),
        }),
        "::Vec::DerivedError" => Box::new(DerivedError {
            reason: s("reason").unwrap(),
            code: m["code"].as_i64().unwrap() as i32,
            detail: s("detail"),
        }),
        "::Vec::ClassCarrier" => {
            let mut labels = HashMap::new();
            let obj = build(&m["obj"], &mut labels).map(|r| r.downcast::<Base>().unwrap());
            Box::new(ClassCarrier {
                reason: s("reason").unwrap(),
                obj,
            })
        }
        other => panic!("no Rust type for {other}"),
    }
}

/// Checks a decoded exception against the vector's JSON value.
fn check_exception(v: &Json, ex: &dyn UserException) {
    let name = v["name"].as_str().unwrap();
    let e = &v["value"];
    let m = &e["members"];
    assert_eq!(ex.ice_id(), e["exception"].as_str().unwrap(), "{name}");
    if let Some(d) = ex.downcast_ref::<DerivedError>() {
        assert_eq!(d.reason, m["reason"].as_str().unwrap(), "{name}");
        assert_eq!(i64::from(d.code), m["code"].as_i64().unwrap(), "{name}");
        assert_eq!(d.detail.as_deref(), m["detail"].as_str(), "{name}");
    } else if let Some(c) = ex.downcast_ref::<ClassCarrier>() {
        assert_eq!(c.reason, m["reason"].as_str().unwrap(), "{name}");
        let field = Field::Class(c.obj.clone().map(Value::into_value_ref));
        check(&m["obj"], &field, &mut HashMap::new(), name);
    } else if let Some(b) = ex.downcast_ref::<BaseError>() {
        assert_eq!(b.reason, m["reason"].as_str().unwrap(), "{name}");
    } else {
        panic!("{name}: unexpected exception {ex:?}");
    }
}

fn encode_exception(v: &Json, ex: &dyn UserException, encaps: bool) -> Vec<u8> {
    let mut out = OutputStream::new();
    out.set_format(format_of(v));
    if encaps {
        out.start_encapsulation(version(v));
    } else {
        out.set_encoding(version(v));
    }
    ex.encode_exception(&mut out);
    if encaps {
        out.end_encapsulation();
    }
    out.into_vec()
}

fn decode_exception(
    v: &Json,
    bytes: &[u8],
    encaps: bool,
    factory: ice_runtime::encoding::ExceptionFactoryFn<'_>,
) -> Box<dyn UserException> {
    let name = v["name"].as_str().unwrap();
    let mut input = InputStream::with_encoding(bytes, version(v));
    if encaps {
        input.start_encapsulation().unwrap();
    }
    let ex = input
        .read_exception(Some(factory))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    if encaps {
        input.end_encapsulation().unwrap();
    }
    assert_eq!(input.remaining(), 0, "{name}: bytes left");
    ex
}

#[test]
fn every_exception_vector_decodes_to_its_value() {
    for v in exception_vectors() {
        for encaps in [false, true] {
            let bytes = hex(v[if encaps { "encaps_hex" } else { "hex" }]
                .as_str()
                .unwrap());
            let ex = decode_exception(&v, &bytes, encaps, &vec_exceptions);
            check_exception(&v, ex.as_ref());
        }
    }
}

#[test]
fn every_exception_vector_encodes_to_its_bytes() {
    for v in exception_vectors() {
        let name = v["name"].as_str().unwrap();
        let ex = build_exception(&v);
        assert_eq!(
            to_hex(&encode_exception(&v, ex.as_ref(), false)),
            v["hex"].as_str().unwrap(),
            "{name}"
        );
        assert_eq!(
            to_hex(&encode_exception(&v, ex.as_ref(), true)),
            v["encaps_hex"].as_str().unwrap(),
            "{name}"
        );
        // And what we decode encodes back to the same bytes.
        let bytes = hex(v["encaps_hex"].as_str().unwrap());
        let decoded = decode_exception(&v, &bytes, true, &vec_exceptions);
        assert_eq!(
            to_hex(&encode_exception(&v, decoded.as_ref(), true)),
            v["encaps_hex"].as_str().unwrap(),
            "{name}: re-encoded"
        );
    }
}

fn only_base_error(type_id: &str) -> Option<Box<dyn UserException>> {
    (type_id == "::Vec::BaseError")
        .then(|| Box::new(BaseError::default()) as Box<dyn UserException>)
}

fn nothing(_: &str) -> Option<Box<dyn UserException>> {
    None
}

fn vector(name: &str) -> Json {
    exception_vectors()
        .into_iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("no vector {name}"))
}

#[test]
fn sliced_format_slices_to_the_most_derived_known_exception() {
    for name in [
        "DerivedError.sliced",
        "DerivedError.with_optional.sliced",
        "ClassCarrier.sliced",
    ] {
        let v = vector(name);
        let bytes = hex(v["encaps_hex"].as_str().unwrap());
        let ex = decode_exception(&v, &bytes, true, &only_base_error);
        let b = ex
            .downcast_ref::<BaseError>()
            .unwrap_or_else(|| panic!("{name}: {ex:?}"));
        assert_eq!(b.reason, v["value"]["members"]["reason"].as_str().unwrap());
    }
}

#[test]
fn compact_format_gives_an_unknown_exception_for_an_unknown_derived_type() {
    let v = vector("DerivedError.compact");
    let bytes = hex(v["hex"].as_str().unwrap());
    let mut input = InputStream::new(&bytes);
    let ex = input.read_exception(Some(&only_base_error)).unwrap();
    let u = ex
        .downcast::<UnknownSlicedException>()
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(u.unknown_type_id, "::Vec::DerivedError");
}

#[test]
fn an_exception_no_slice_of_which_is_known_keeps_its_slices() {
    let v = vector("ClassCarrier.sliced");
    let bytes = hex(v["encaps_hex"].as_str().unwrap());
    let mut input = InputStream::new(&bytes);
    input.start_encapsulation().unwrap();
    let ex = input.read_exception(Some(&nothing)).unwrap();
    input.end_encapsulation().unwrap();
    let u = ex
        .downcast_ref::<UnknownSlicedException>()
        .expect("unknown");
    assert_eq!(u.unknown_type_id, "::Vec::ClassCarrier");
    assert_eq!(u.sliced_data.slices.len(), 2);
    assert_eq!(u.sliced_data.slices[0].instances.len(), 1);
    assert!(u.sliced_data.slices[1].is_last_slice);
    // A middle tier can send it on unchanged in the sliced format.
    assert_eq!(
        to_hex(&reencode(Format::Sliced, ex.as_ref())),
        v["encaps_hex"].as_str().unwrap()
    );
    // In the compact format it keeps its slices too (the only decodable form); its class
    // member, a known Base, is written compact.
    let compact = reencode(Format::Compact, ex.as_ref());
    let again = decode_reply(&compact);
    check_exception(&v, again.as_ref());
}

#[test]
fn registered_exceptions_are_found_without_a_factory() {
    ice_runtime::encoding::register_exception::<BaseError>("::Vec::BaseError");
    let v = vector("BaseError.compact");
    let bytes = hex(v["hex"].as_str().unwrap());
    let ex = InputStream::new(&bytes).read_exception(None).unwrap();
    assert!(ex.is::<BaseError>());
    assert_eq!(ex.downcast_ref::<BaseError>().unwrap().reason, "plain");
}

#[test]
fn hostile_exception_bytes_are_errors() {
    let cases: &[(&str, &str)] = &[
        ("", "need"),
        ("20ff", "need"),
        // Sliced slice size larger than the buffer.
        ("30103a3a5665633a3a426173654572726f72ff000000", "invalid slice size"),
        // A ClassCarrier whose class member refers to an indirection entry that is absent.
        (
            "18133a3a5665633a3a436c6173734361727269657205000000020101310b3a3a5665633a3a426173651000000009000000076361727269656430103a3a5665633a3a426173654572726f7207000000026363",
            "indirection index 2 is out of range",
        ),
    ];
    for (h, what) in cases {
        let bytes = hex(h);
        let err = InputStream::new(&bytes)
            .read_exception(Some(&vec_exceptions))
            .unwrap_err();
        assert!(err.message.contains(what), "{h}: {err}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn mutated_exception_bytes_never_panic(
        which in 0usize..8,
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..5),
        truncate in any::<prop::sample::Index>(),
    ) {
        let vs = exception_vectors();
        let v = &vs[which % vs.len()];
        let mut bytes = hex(v["hex"].as_str().unwrap());
        for (i, b) in flips {
            let i = i.index(bytes.len());
            bytes[i] = b;
        }
        let cut = truncate.index(bytes.len() + 1);
        for data in [&bytes[..], &bytes[..cut]] {
            let mut input = InputStream::with_encoding(data, version(v));
            let _ = input.read_exception(Some(&vec_exceptions));
            let mut input = InputStream::with_encoding(data, version(v));
            let _ = input.read_exception(Some(&nothing));
        }
    }

    #[test]
    fn random_exception_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..160)) {
        let _ = InputStream::new(&bytes).read_exception(Some(&vec_exceptions));
        let _ = InputStream::with_encoding(&bytes, ENCODING_1_0).read_exception(Some(&vec_exceptions));
    }
}

/// Encodes `ex` in its own encapsulation (1.1) in `format`.
fn reencode(format: Format, ex: &dyn UserException) -> Vec<u8> {
    let mut out = OutputStream::new();
    out.set_format(format);
    out.start_encapsulation(ENCODING_1_1);
    ex.encode_exception(&mut out);
    out.end_encapsulation();
    out.into_vec()
}

/// Decodes the exception in a reply's encapsulation.
fn decode_reply(reply: &[u8]) -> Box<dyn UserException> {
    let mut input = InputStream::new(reply);
    input.start_encapsulation().unwrap();
    let ex = input.read_exception(Some(&vec_exceptions)).unwrap();
    input.end_encapsulation().unwrap();
    ex
}

/// A real Ice 3.7 server raises `DerivedError` and `ClassCarrier` with random members, in
/// the compact and sliced formats: each reply decodes to the exception that was raised and
/// our encoder reproduces its bytes exactly.
#[test]
fn exceptions_raised_by_zeroc_ice_decode_and_encode_back_identically() {
    exception_vectors();
    let peer = std::cell::RefCell::new(IcePeer::start());
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(40));
    runner
        .run(
            &(
                "[a-zA-Z0-9 é]{0,20}",
                any::<i32>(),
                proptest::option::of("[a-z]{0,8}"),
            ),
            |(reason, code, detail)| {
                for (format, op) in [
                    (Format::Compact, "throwDerived"),
                    (Format::Sliced, "throwDerivedSliced"),
                ] {
                    let mut params = OutputStream::new();
                    params.start_encapsulation(ENCODING_1_1);
                    params.write_string(&reason);
                    params.write_i32(code);
                    params.write_optional(2, detail.as_deref());
                    params.end_encapsulation();
                    let (status, reply) = peer.borrow_mut().invoke_any(op, params.as_slice());
                    prop_assert_eq!(status, 1);
                    let ex = decode_reply(&reply);
                    let d = ex.downcast_ref::<DerivedError>().expect("DerivedError");
                    prop_assert_eq!(&d.reason, &reason);
                    prop_assert_eq!(d.code, code);
                    prop_assert_eq!(&d.detail, &detail);
                    prop_assert_eq!(to_hex(&reencode(format, ex.as_ref())), to_hex(&reply));
                }
                for (format, op) in [
                    (Format::Compact, "throwClassCarrier"),
                    (Format::Sliced, "throwClassCarrierSliced"),
                ] {
                    let mut params = OutputStream::new();
                    params.start_encapsulation(ENCODING_1_1);
                    params.write_string(&reason);
                    params.end_encapsulation();
                    let (status, reply) = peer.borrow_mut().invoke_any(op, params.as_slice());
                    prop_assert_eq!(status, 1);
                    let ex = decode_reply(&reply);
                    let c = ex.downcast_ref::<ClassCarrier>().expect("ClassCarrier");
                    prop_assert_eq!(&c.reason, &reason);
                    let obj = c.obj.as_ref().expect("obj").read().clone();
                    prop_assert_eq!(
                        obj,
                        Base {
                            id: reason.chars().count() as i32,
                            name: reason.clone()
                        }
                    );
                    prop_assert_eq!(to_hex(&reencode(format, ex.as_ref())), to_hex(&reply));
                }
                // Encoding 1.0: "uses classes", then the instance after the slices.
                let mut params = OutputStream::new();
                params.start_encapsulation(ENCODING_1_0);
                params.write_string(&reason);
                params.end_encapsulation();
                let (status, reply) = peer
                    .borrow_mut()
                    .invoke_any("throwClassCarrier", params.as_slice());
                prop_assert_eq!(status, 1);
                prop_assert_eq!(&reply[4..6], &[1u8, 0][..]);
                let ex = decode_reply(&reply);
                let c = ex.downcast_ref::<ClassCarrier>().expect("ClassCarrier");
                prop_assert_eq!(&c.reason, &reason);
                prop_assert_eq!(&c.obj.as_ref().expect("obj").read().name, &reason);
                let mut out = OutputStream::new();
                out.start_encapsulation(ENCODING_1_0);
                ex.encode_exception(&mut out);
                out.end_encapsulation();
                prop_assert_eq!(to_hex(out.as_slice()), to_hex(&reply));
                Ok(())
            },
        )
        .unwrap();
}
