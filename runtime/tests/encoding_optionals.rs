//! Optional values beyond the golden vectors: skipping unknown tags of every format,
//! missing tags, the end marker, escaped tags, format mismatches, encoding 1.0.

use ice_runtime::encoding::optional::OPTIONAL_END_MARKER;
use ice_runtime::encoding::{
    InputStream, OptionalFormat, OutputStream, ProxyData, ENCODING_1_0, ENCODING_1_1,
};
use std::collections::HashMap;

#[test]
fn a_reader_skips_unknown_optionals_of_every_format_and_finds_later_ones() {
    let mut out = OutputStream::new();
    out.start_encapsulation(ENCODING_1_1);
    out.write_i32(42); // a required value
    out.write_optional(1, Some(&true));
    out.write_optional(2, Some(&-2i16));
    out.write_optional(3, Some(&7i32));
    out.write_optional(4, Some(&-9i64));
    out.write_optional_header(5, OptionalFormat::Size);
    out.write_size(300);
    out.write_optional(6, Some("hello"));
    out.write_optional(7, Some(&vec![1i32, 2, 3]));
    out.write_optional(8, Some(&vec!["a".to_owned(), "bc".to_owned()]));
    let mut map = HashMap::new();
    map.insert(1u8, true);
    out.write_optional(9, Some(&map));
    out.write_optional(30, Some(&ProxyData::parse("p:tcp -h h -p 1").ok()));
    out.write_optional(300, Some(&5i32));
    out.end_encapsulation();

    // A reader that knows only tag 300 skips everything before it.
    let mut input = InputStream::new(out.as_slice());
    input.start_encapsulation().unwrap();
    assert_eq!(input.read_i32().unwrap(), 42);
    assert_eq!(input.read_optional::<i32>(300).unwrap(), Some(5));
    input.end_encapsulation().unwrap();

    // A reader that knows tags 6 and 30 gets them, and tags it asks for but that are
    // missing are absent without consuming anything.
    let mut input = InputStream::new(out.as_slice());
    input.start_encapsulation().unwrap();
    assert_eq!(input.read_i32().unwrap(), 42);
    assert_eq!(input.read_optional::<String>(0).unwrap(), None);
    assert_eq!(
        input.read_optional::<String>(6).unwrap().as_deref(),
        Some("hello")
    );
    let p = input.read_optional::<Option<ProxyData>>(30).unwrap();
    assert_eq!(
        p.flatten().unwrap().to_string(),
        "p -t -e 1.1:tcp -h h -p 1 -t 60000"
    );
    assert_eq!(input.read_optional::<i32>(31).unwrap(), None);
    // Closing the encapsulation skips tag 300, which nobody read.
    input.end_encapsulation().unwrap();

    // A reader that knows nothing: closing skips every optional value.
    let mut input = InputStream::new(out.as_slice());
    input.start_encapsulation().unwrap();
    assert_eq!(input.read_i32().unwrap(), 42);
    input.end_encapsulation().unwrap();
}

#[test]
fn an_absent_tag_before_a_larger_escaped_tag_rewinds_the_whole_header() {
    let mut out = OutputStream::new();
    out.write_optional(300, Some(&5i32));
    out.write_optional(301, Some(&6i32));
    let mut input = InputStream::new(out.as_slice());
    assert_eq!(input.read_optional::<i32>(200).unwrap(), None);
    assert_eq!(input.pos(), 0);
    assert_eq!(input.read_optional::<i32>(300).unwrap(), Some(5));
    assert_eq!(input.read_optional::<i32>(301).unwrap(), Some(6));
    assert!(input.at_end());
}

#[test]
fn the_end_marker_ends_the_optionals_of_a_slice() {
    let mut out = OutputStream::new();
    out.write_optional(1, Some(&1i32));
    out.write_optional(5, Some("x"));
    out.write_u8(OPTIONAL_END_MARKER);
    out.write_i32(99); // what follows the slice
    let mut input = InputStream::new(out.as_slice());
    assert_eq!(input.read_optional::<i32>(1).unwrap(), Some(1));
    // Tag 9 is absent: the reader stops at the marker without consuming it.
    assert_eq!(input.read_optional::<i32>(9).unwrap(), None);
    assert_eq!(input.read_u8().unwrap(), OPTIONAL_END_MARKER);
    let mut input = InputStream::new(out.as_slice());
    input.skip_optionals().unwrap();
    assert_eq!(input.read_i32().unwrap(), 99);
}

#[test]
fn a_known_tag_in_another_format_is_an_error() {
    let mut out = OutputStream::new();
    out.write_optional(1, Some(&1i32));
    let mut input = InputStream::new(out.as_slice());
    assert!(input.read_optional::<i64>(1).is_err());
}

#[test]
fn a_lying_fsize_or_vsize_is_refused() {
    // FSize claiming more bytes than remain.
    let bytes = [0x0e, 0xff, 0xff, 0xff, 0x7f, 0x01];
    let mut input = InputStream::new(&bytes);
    assert!(input.read_optional::<i32>(2).is_err());
    // Negative FSize.
    let bytes = [0x0e, 0xff, 0xff, 0xff, 0xff];
    let mut input = InputStream::new(&bytes);
    assert!(input.read_optional::<i32>(2).is_err());
    // VSize past the end.
    let bytes = [0x0d, 0x20, 0x01];
    let mut input = InputStream::new(&bytes);
    assert!(input.read_optional::<i32>(2).is_err());
}

#[test]
fn encoding_1_0_has_no_optionals() {
    let mut out = OutputStream::new();
    out.start_encapsulation(ENCODING_1_0);
    out.write_optional(1, Some(&5i32));
    out.end_encapsulation();
    assert_eq!(out.as_slice(), [6, 0, 0, 0, 1, 0]);
    let bytes = [0x0a, 5, 0, 0, 0];
    let mut input = InputStream::with_encoding(&bytes, ENCODING_1_0);
    assert_eq!(input.read_optional::<i32>(1).unwrap(), None);
    assert_eq!(input.pos(), 0);
}

#[test]
fn encapsulation_ends_follow_ice() {
    // 1.1: bytes that are not optional values are an error.
    let bytes = [8, 0, 0, 0, 1, 1, 0x0b, 0];
    let mut input = InputStream::new(&bytes);
    input.start_encapsulation().unwrap();
    assert!(input.end_encapsulation().is_err());
    // 1.0: one extra byte is tolerated, two are not.
    let bytes = [7, 0, 0, 0, 1, 0, 0];
    let mut input = InputStream::new(&bytes);
    input.start_encapsulation().unwrap();
    input.end_encapsulation().unwrap();
    let bytes = [8, 0, 0, 0, 1, 0, 0, 0];
    let mut input = InputStream::new(&bytes);
    input.start_encapsulation().unwrap();
    assert!(input.end_encapsulation().is_err());
}

#[test]
fn an_unknown_optional_class_instance_is_skipped_at_the_end_of_the_parameters() {
    // optional(1) Base in the sliced format (`classes.json: Base.single.sliced` after the
    // header 0x0f) then optional(2) int 5: a reader that does not know class Base skips the
    // instance by its slice size, finds tag 2, and closes the encapsulation.
    let instance = common_hex("01310b3a3a5665633a3a426173650c00000001000000036f6e65");
    let mut body = vec![0x0f];
    body.extend_from_slice(&instance);
    body.extend_from_slice(&[0x12, 5, 0, 0, 0]);
    let mut out = OutputStream::new();
    out.start_encapsulation(ENCODING_1_1);
    out.write_blob(&body);
    out.end_encapsulation();
    let mut input = InputStream::new(out.as_slice());
    input.start_encapsulation().unwrap();
    assert_eq!(input.read_optional::<i32>(2).unwrap(), Some(5));
    input.end_encapsulation().unwrap();
    // And when nothing is read, closing skips both.
    let mut input = InputStream::new(out.as_slice());
    input.start_encapsulation().unwrap();
    input.end_encapsulation().unwrap();
    // The compact format cannot be skipped without the class (as in Ice).
    let compact = common_hex("0f01210b3a3a5665633a3a4261736501000000036f6e65");
    let mut input = InputStream::new(&compact);
    assert!(input.read_optional::<i32>(2).is_err());
}

fn common_hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}
