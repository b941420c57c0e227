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

#[path = "../common/mod.rs"]
mod common;

/// Where the golden vectors live (the shared locator of the data-driven tests).
pub use common::vectors_dir;

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
        params: params.into(),
        connection_description: "local address = 127.0.0.1:1\nremote address = 127.0.0.1:2".into(),
        connection: None,
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

/// The parameters of an operation taking one string (encoding 1.1).
pub fn string_param(s: &str) -> Vec<u8> {
    let mut out = ice_runtime::encoding::OutputStream::new();
    out.write_string(s);
    out.into_vec()
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
        params: params.into(),
        connection_description: conn.into(),
        connection: None,
    }
}

/// The status byte of a reply message.
pub fn status(reply: &[u8]) -> u8 {
    reply[18]
}

fn unknown_text(reply: &[u8]) -> String {
    InputStream::new(&reply[19..])
        .read_string()
        .expect("reply text")
}

/// How a reply compared with the captured one.
#[derive(Debug, PartialEq, Eq)]
pub enum Compared {
    /// Every byte equal.
    Exact,
    /// Equal except what is not ours to match: a Python traceback text (status only), the
    /// C++ `file:line: ` prefix of Ice's MarshalException text, or the compression byte and
    /// size of the header (the body is compared uncompressed).
    Equivalent,
}

/// Compares reply `got` (uncompressed) with the captured reply `want` (uncompressed, with
/// its original header); panics with both in hex when they differ.
pub fn compare_reply(name: &str, got: &[u8], want: &[u8]) -> Compared {
    let id = &want[14..18];
    assert_eq!(
        got[..9],
        want[..9],
        "{name} {id:?}: header: {} vs {}",
        hex(got),
        hex(want)
    );
    assert_eq!(
        got[14..19],
        want[14..19],
        "{name} {id:?}: id/status: {} vs {}",
        hex(got),
        hex(want)
    );
    let status = want[18];
    if status == 5 || status == 7 {
        let want_text = unknown_text(want);
        if want_text.starts_with("Traceback") || want_text.starts_with("builtins.") {
            return Compared::Equivalent;
        }
        let stripped = want_text
            .strip_prefix("src/Ice/Object.cpp:343: ")
            .unwrap_or(&want_text);
        assert_eq!(unknown_text(got), stripped, "{name}: text");
        return if stripped == want_text {
            Compared::Exact
        } else {
            Compared::Equivalent
        };
    }
    if want[9] == 0 && got[9] == 0 {
        assert_eq!(hex(got), hex(want), "{name}: reply");
        Compared::Exact
    } else {
        assert_eq!(hex(&got[14..]), hex(&want[14..]), "{name}: body");
        Compared::Equivalent
    }
}

/// One captured exchange: the request message (uncompressed) and, for twoway requests, the
/// captured reply (uncompressed).
pub struct Exchange {
    pub case: String,
    pub request: Vec<u8>,
    /// Whether the request was sent compressed (status 2) or with status 1.
    pub compression: u8,
    pub replies: Vec<Vec<u8>>,
}

/// The requests of `wire/server_replies.json` with the replies Ice sent, in order.
pub fn server_exchanges() -> Vec<Exchange> {
    let path = vectors_dir().join("wire/server_replies.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let doc: serde_json::Value = serde_json::from_str(&text).expect("json");
    let mut out = Vec::new();
    for case in doc["cases"].as_array().expect("cases") {
        let name = case["name"].as_str().unwrap_or("?").to_owned();
        let exchanges = case["exchanges"].as_array().expect("exchanges");
        let mut replies = exchanges
            .iter()
            .filter(|e| e["direction"] == "server->client" && e["decoded"]["type"] == "reply")
            .map(|e| {
                unhex(
                    e["uncompressed_hex"]
                        .as_str()
                        .or(e["hex"].as_str())
                        .expect("hex"),
                )
            });
        for e in exchanges
            .iter()
            .filter(|e| e["direction"] == "client->server")
        {
            let ty = e["decoded"]["type"].as_str().unwrap_or("");
            if ty != "request" && ty != "batchRequest" {
                continue;
            }
            let raw = unhex(e["hex"].as_str().expect("hex"));
            let request = unhex(
                e["uncompressed_hex"]
                    .as_str()
                    .or(e["hex"].as_str())
                    .expect("hex"),
            );
            let twoway = parse_requests(&request)
                .iter()
                .filter(|r| r.request_id != 0)
                .count();
            out.push(Exchange {
                case: name.clone(),
                compression: raw[9],
                replies: (0..twoway).filter_map(|_| replies.next()).collect(),
                request,
            });
        }
    }
    out
}
