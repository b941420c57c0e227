//! Feeds arbitrary bytes to the protocol message reader (header checks, bzip2 decompression,
//! requests, batch requests, replies) as a connection would see them. Any panic is a bug; so
//! is a decoded message holding more than the size limit allows.
#![no_main]

use ice_runtime::protocol::{self, Message, ReplyBody};
use libfuzzer_sys::fuzz_target;

/// A small limit so that the fuzzer reaches the size checks quickly.
const MAX: usize = 64 * 1024;

fuzz_target!(|bytes: &[u8]| {
    if let Some(h) = bytes.get(..14).and_then(|h| <&[u8; 14]>::try_from(h).ok()) {
        if let Ok(header) = protocol::parse_header(h, MAX) {
            assert!(header.size >= 14 && header.size <= MAX);
        }
    }
    if let Ok(d) = protocol::decompress(bytes, MAX) {
        assert!(d.len() <= MAX);
    }
    match protocol::read_message(bytes, MAX) {
        Ok(Message::Request(r)) => assert!(r.params.len() <= MAX),
        Ok(Message::BatchRequest(rs)) => {
            assert!(rs.iter().map(|r| r.params.len()).sum::<usize>() <= MAX)
        }
        Ok(Message::Reply(r)) => {
            if let ReplyBody::Encapsulation { payload, .. } = &r.body {
                assert!(payload.len() <= MAX);
            }
            let _ = r.body.into_result();
        }
        _ => {}
    }
});
