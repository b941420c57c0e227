//! Helpers shared by the connection tests: raw message I/O, request building, an echo reply.

#![allow(dead_code)]

use ice_runtime::encoding::ENCODING_1_1;
use ice_runtime::incoming::{IncomingRequest, Responder};
use ice_runtime::protocol::{encode_request, RequestFields};
use ice_runtime::{Context, Identity, OperationMode, ReplyStatus};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

/// Reads one whole message (header first, then the size it announces); `None` on EOF.
pub async fn read_message(s: &mut TcpStream) -> Option<Vec<u8>> {
    let mut header = [0u8; 14];
    s.read_exact(&mut header).await.ok()?;
    let size = i32::from_le_bytes([header[10], header[11], header[12], header[13]]) as usize;
    let mut msg = header.to_vec();
    msg.resize(size.max(14), 0);
    s.read_exact(&mut msg[14..]).await.ok()?;
    Some(msg)
}

/// A request message for identity `x` with request id `id` (patched into the id field).
pub fn request(id: i32, op: &str, params: &[u8]) -> Vec<u8> {
    let mut m = encode_request(
        0,
        &RequestFields {
            identity: &Identity::new("x"),
            facet: "",
            operation: op,
            mode: OperationMode::Normal,
            context: &Context::new(),
            encoding: ENCODING_1_1,
            params,
        },
    );
    m[14..18].copy_from_slice(&id.to_le_bytes());
    m
}

/// Answers `request` with its own parameters as results.
pub fn echo_reply(request: IncomingRequest, responder: Responder) {
    let mut out = responder.start_reply(ReplyStatus::Ok, request.params.len() + 6);
    out.start_encapsulation(request.encoding);
    out.write_blob(&request.params);
    out.end_encapsulation();
    responder.send(out);
}
