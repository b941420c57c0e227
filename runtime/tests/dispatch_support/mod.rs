//! Shared by the dispatch tests: `Vec::Service` (vectors/slice/Vectors.ice) written by hand in
//! exactly the shape the code generator emits, a request parser standing in for the
//! connection's framing, and a reply sink that captures what the dispatch side sends.

#![allow(dead_code)]

pub mod service;

use ice_runtime::encoding::{EncodingVersion, InputStream, MarshalError};
use ice_runtime::identity::{Identity, OperationMode};
use ice_runtime::incoming::{IncomingRequest, ReplySink, Responder};
use std::sync::mpsc;
use std::time::Duration;

/// Where the golden vectors live.
pub fn vectors_dir() -> std::path::PathBuf {
    std::env::var_os("ICE_VECTORS_DIR")
        .map(Into::into)
        .unwrap_or_else(|| "/work/shared/protocol/vectors".into())
}

/// Decodes a lowercase hex string.
pub fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}

/// Encodes bytes as lowercase hex.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}

/// What a captured dispatch produced: a reply message, or "finished without a reply".
pub type Captured = Option<Vec<u8>>;

/// A reply sink that sends what it gets down a channel.
pub struct CaptureSink(pub mpsc::Sender<Captured>);

impl ReplySink for CaptureSink {
    fn send_reply(self: Box<Self>, message: Vec<u8>) {
        let _ = self.0.send(Some(message));
    }
    fn finish_without_reply(self: Box<Self>) {
        let _ = self.0.send(None);
    }
}

/// A responder for `request_id` and the receiving end of what it sends.
pub fn capture(request_id: i32) -> (Responder, mpsc::Receiver<Captured>) {
    let (tx, rx) = mpsc::channel();
    (Responder::new(request_id, Box::new(CaptureSink(tx))), rx)
}

/// Waits for the outcome of one captured dispatch.
pub fn wait(rx: &mpsc::Receiver<Captured>) -> Captured {
    rx.recv_timeout(Duration::from_secs(10))
        .expect("the dispatch answered within 10 s")
}

fn read_request_body(
    input: &mut InputStream<'_>,
    request_id: i32,
) -> Result<IncomingRequest, MarshalError> {
    let identity = Identity {
        name: input.read_string()?,
        category: input.read_string()?,
    };
    let facet = match input.read_size()? {
        0 => String::new(),
        _ => input.read_string()?,
    };
    let operation = input.read_string()?;
    let mode = OperationMode::from_byte(input.read_u8()?).expect("mode");
    let mut context = ice_runtime::Context::new();
    for _ in 0..input.read_size()? {
        let k = input.read_string()?;
        let v = input.read_string()?;
        context.insert(k, v);
    }
    let size = input.read_i32()? as usize;
    let major = input.read_u8()?;
    let minor = input.read_u8()?;
    let params = input.read_blob(size - 6)?.to_vec();
    Ok(IncomingRequest {
        request_id,
        identity,
        facet,
        operation,
        mode,
        context,
        encoding: EncodingVersion { major, minor },
        params,
        connection_description: "local address = 127.0.0.1:1\nremote address = 127.0.0.1:2".into(),
    })
}

/// The requests in a whole (uncompressed) request or batch request message.
pub fn parse_requests(msg: &[u8]) -> Vec<IncomingRequest> {
    let mut input = InputStream::new(&msg[14..]);
    match msg[8] {
        0 => {
            let id = input.read_i32().expect("request id");
            vec![read_request_body(&mut input, id).expect("request")]
        }
        1 => {
            let n = input.read_i32().expect("count");
            (0..n)
                .map(|_| read_request_body(&mut input, 0).expect("batch request"))
                .collect()
        }
        t => panic!("not a request: type {t}"),
    }
}

/// Runs an interoperability peer script with `/usr/bin/python3` (Debian's, which has Ice).
pub fn python() -> std::process::Command {
    let python = std::path::Path::new("/usr/bin/python3");
    assert!(
        python.exists(),
        "/usr/bin/python3 (with python3-zeroc-ice) is required by this test"
    );
    std::process::Command::new(python)
}

/// A request built directly (what a connection would decode), with parameters `params` in
/// encoding 1.1 and a connection named `conn`.
pub fn request(
    request_id: i32,
    identity: Identity,
    facet: &str,
    operation: &str,
    mode: OperationMode,
    params: Vec<u8>,
    conn: &str,
) -> IncomingRequest {
    IncomingRequest {
        request_id,
        identity,
        facet: facet.into(),
        operation: operation.into(),
        mode,
        context: Default::default(),
        encoding: ice_runtime::encoding::ENCODING_1_1,
        params,
        connection_description: conn.into(),
    }
}

/// The status byte of a reply message.
pub fn status(reply: &[u8]) -> u8 {
    reply[18]
}
