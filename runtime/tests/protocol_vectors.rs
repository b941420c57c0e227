//! Every message of the captured wire exchanges (`vectors/wire/*.json`) parsed by the Rust
//! message reader and compared with the independent decoding stored next to it.

mod common;

use ice_runtime::identity::ReplyStatus;
use ice_runtime::incoming::IncomingRequest;
use ice_runtime::protocol::{self, Message, ReplyBody};
use serde_json::Value;

fn messages(file: &str) -> Vec<(String, Vec<u8>, Value)> {
    let path = common::vectors_dir().join("wire").join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let all: Value = serde_json::from_str(&text).unwrap();
    let mut out = Vec::new();
    for case in all["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap().to_owned();
        let events = case
            .get("exchanges")
            .or_else(|| case.get("transcript"))
            .and_then(Value::as_array)
            .unwrap();
        for e in events {
            if let Some(hex) = e["hex"].as_str().filter(|h| !h.is_empty()) {
                out.push((name.clone(), common::hex(hex), e["decoded"].clone()));
            }
        }
    }
    out
}

fn mode_name(m: ice_runtime::OperationMode) -> &'static str {
    match m {
        ice_runtime::OperationMode::Normal => "Normal",
        ice_runtime::OperationMode::Nonmutating => "Nonmutating",
        ice_runtime::OperationMode::Idempotent => "Idempotent",
    }
}

fn check_request(r: &IncomingRequest, d: &Value, name: &str) {
    assert_eq!(r.identity.name, d["identity"]["name"], "{name}");
    assert_eq!(r.identity.category, d["identity"]["category"], "{name}");
    let facet: Vec<&str> = d["facet"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(facet.first().copied().unwrap_or(""), r.facet, "{name}");
    assert_eq!(r.operation, d["operation"], "{name}");
    assert_eq!(mode_name(r.mode), d["mode"], "{name}");
    let ctx = d["context"].as_object().unwrap();
    assert_eq!(r.context.len(), ctx.len(), "{name}");
    for (k, v) in ctx {
        assert_eq!(r.context.get(k).map(String::as_str), v.as_str(), "{name}");
    }
    let params = &d["params"];
    assert_eq!(
        format!("{}.{}", r.encoding.major, r.encoding.minor),
        params["encoding"],
        "{name}"
    );
    assert_eq!(common::to_hex(&r.params), params["body_hex"], "{name}");
}

fn status_name(s: ReplyStatus) -> &'static str {
    match s {
        ReplyStatus::Ok => "Ok",
        ReplyStatus::UserException => "UserException",
        ReplyStatus::ObjectNotExist => "ObjectNotExist",
        ReplyStatus::FacetNotExist => "FacetNotExist",
        ReplyStatus::OperationNotExist => "OperationNotExist",
        ReplyStatus::UnknownLocalException => "UnknownLocalException",
        ReplyStatus::UnknownUserException => "UnknownUserException",
        ReplyStatus::UnknownException => "UnknownException",
    }
}

fn check(name: &str, bytes: &[u8], d: &Value) {
    if d.is_null() {
        // Only the bad-magic message has no decoding: the reader must refuse it.
        let e = protocol::read_message(bytes, 1 << 20).unwrap_err();
        assert!(e.to_string().contains("bad magic"), "{name}: {e}");
        return;
    }
    let msg = protocol::read_message(bytes, 1 << 20)
        .unwrap_or_else(|e| panic!("{name}: cannot read {}: {e}", common::to_hex(bytes)));
    assert_eq!(
        bytes[9] as u64,
        d["compression_status"].as_u64().unwrap(),
        "{name}"
    );
    match (&msg, d["type"].as_str().unwrap()) {
        (Message::ValidateConnection, "validateConnection") => {}
        (Message::CloseConnection, "closeConnection") => {}
        (Message::Request(r), "request") => {
            assert_eq!(
                r.request_id as i64,
                d["request_id"].as_i64().unwrap(),
                "{name}"
            );
            check_request(r, d, name);
        }
        (Message::BatchRequest(rs), "batchRequest") => {
            let ds = d["requests"].as_array().unwrap();
            assert_eq!(rs.len(), ds.len(), "{name}");
            assert_eq!(rs.len() as u64, d["count"].as_u64().unwrap(), "{name}");
            for (r, d) in rs.iter().zip(ds) {
                check_request(r, d, name);
            }
        }
        (Message::Reply(r), "reply") => {
            assert_eq!(
                r.request_id as i64,
                d["request_id"].as_i64().unwrap(),
                "{name}"
            );
            match &r.body {
                ReplyBody::Encapsulation {
                    status,
                    encoding,
                    payload,
                } => {
                    assert_eq!(status_name(*status), d["reply_status"], "{name}");
                    assert_eq!(
                        format!("{}.{}", encoding.major, encoding.minor),
                        d["result"]["encoding"],
                        "{name}"
                    );
                    assert_eq!(common::to_hex(payload), d["result"]["body_hex"], "{name}");
                }
                ReplyBody::NotExist {
                    status,
                    identity,
                    facet,
                    operation,
                } => {
                    assert_eq!(status_name(*status), d["reply_status"], "{name}");
                    assert_eq!(identity.name, d["identity"]["name"], "{name}");
                    assert_eq!(identity.category, d["identity"]["category"], "{name}");
                    assert_eq!(
                        facet.as_str(),
                        d["facet"].get(0).and_then(Value::as_str).unwrap_or(""),
                        "{name}"
                    );
                    assert_eq!(operation, d["operation"].as_str().unwrap(), "{name}");
                }
                ReplyBody::Unknown { status, text } => {
                    assert_eq!(status_name(*status), d["reply_status"], "{name}");
                    assert_eq!(text, d["unknown"].as_str().unwrap(), "{name}");
                }
            }
        }
        (m, t) => panic!("{name}: decoded {m:?}, expected a {t}"),
    }
}

#[test]
fn every_server_reply_exchange_parses() {
    let all = messages("server_replies.json");
    assert!(all.len() > 50, "only {} messages", all.len());
    for (name, bytes, decoded) in &all {
        check(name, bytes, decoded);
    }
}

#[test]
fn every_client_request_transcript_parses() {
    let all = messages("client_requests.json");
    assert!(all.len() > 30, "only {} messages", all.len());
    for (name, bytes, decoded) in &all {
        check(name, bytes, decoded);
    }
}

#[test]
fn replies_map_to_the_errors_ice_raises() {
    for (name, bytes, decoded) in messages("server_replies.json") {
        let Ok(Message::Reply(r)) = protocol::read_message(&bytes, 1 << 20) else {
            continue;
        };
        let status = decoded["reply_status"].as_str().unwrap();
        let result = r.body.into_result();
        let expected_variant = match status {
            "Ok" | "UserException" => {
                assert!(result.is_ok(), "{name}");
                continue;
            }
            "ObjectNotExist" => "ObjectNotExist",
            "FacetNotExist" => "FacetNotExist",
            "OperationNotExist" => "OperationNotExist",
            other => other,
        };
        let e = result.unwrap_err();
        assert!(
            format!("{e:?}").starts_with(expected_variant),
            "{name}: {e:?}"
        );
    }
}

#[test]
fn truncated_and_oversized_messages_are_refused() {
    for (name, bytes, decoded) in messages("server_replies.json") {
        if decoded.is_null() {
            continue;
        }
        // Every strict prefix fails cleanly (size mismatch or truncated body).
        for cut in [0, 5, 13, 14, bytes.len() / 2, bytes.len() - 1] {
            if cut < bytes.len() {
                assert!(
                    protocol::read_message(&bytes[..cut], 1 << 20).is_err(),
                    "{name} cut {cut}"
                );
            }
        }
        // A limit below the message size is a MemoryLimit error.
        if bytes.len() > 14 {
            let e = protocol::read_message(&bytes, 14).unwrap_err();
            assert!(
                matches!(e, ice_runtime::Error::MemoryLimit { .. }),
                "{name}: {e:?}"
            );
        }
    }
}
