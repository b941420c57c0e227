//! Every request of `wire/server_replies.json` (captured against a real Ice 3.7 server) goes
//! through an object adapter's `RequestHandler` with the Rust twin of the Python servant;
//! the reply bytes must be those Ice sent. Texts that are Python tracebacks are compared by
//! status only, and the C++ `file:line: ` prefix of Ice's MarshalException text is not ours.
//! Compression is the connection's business: compressed cases compare the uncompressed body.

mod dispatch_support;

use dispatch_support::service::{ServiceI, ServiceServant};
use dispatch_support::{capture, hex, parse_requests, unhex, vectors_dir, wait};
use ice_runtime::adapter::{AdapterConfig, ObjectAdapter};
use ice_runtime::encoding::InputStream;
use ice_runtime::identity::Identity;
use ice_runtime::incoming::RequestHandler;
use serde_json::Value;

fn unknown_text(reply: &[u8]) -> String {
    InputStream::new(&reply[19..])
        .read_string()
        .expect("reply text")
}

#[test]
fn replies_match_the_captured_ice_replies() {
    let path = vectors_dir().join("wire/server_replies.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let doc: Value = serde_json::from_str(&text).expect("json");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let adapter =
        ObjectAdapter::new("S", AdapterConfig::default(), rt.handle().clone()).expect("adapter");
    adapter
        .add(
            ServiceServant::new(ServiceI::default()),
            Identity::new("service"),
        )
        .expect("add");
    adapter.activate().expect("activate");

    let mut compared = 0;
    let mut exact = 0;
    for case in doc["cases"].as_array().expect("cases") {
        let name = case["name"].as_str().unwrap_or("?");
        let exchanges = case["exchanges"].as_array().expect("exchanges");
        let mut replies = exchanges
            .iter()
            .filter(|e| e["direction"] == "server->client" && e["decoded"]["type"] == "reply");
        for e in exchanges
            .iter()
            .filter(|e| e["direction"] == "client->server")
        {
            let ty = e["decoded"]["type"].as_str().unwrap_or("");
            if ty != "request" && ty != "batchRequest" {
                continue;
            }
            let msg = unhex(
                e["uncompressed_hex"]
                    .as_str()
                    .or(e["hex"].as_str())
                    .expect("hex"),
            );
            for request in parse_requests(&msg) {
                let id = request.request_id;
                let (responder, rx) = capture(id);
                adapter.handle_request(request, responder);
                let got = wait(&rx);
                if id == 0 {
                    assert!(got.is_none(), "{name}: a oneway request got a reply");
                    continue;
                }
                let got = got.unwrap_or_else(|| panic!("{name}: no reply to request {id}"));
                let want = replies
                    .next()
                    .unwrap_or_else(|| panic!("{name}: no captured reply for request {id}"));
                let want_hex = want["uncompressed_hex"]
                    .as_str()
                    .or(want["hex"].as_str())
                    .expect("reply hex");
                let want = unhex(want_hex);
                compared += 1;
                assert_eq!(
                    got[..9],
                    want[..9],
                    "{name}: header of reply {id}: {} vs {want_hex}",
                    hex(&got)
                );
                assert_eq!(
                    got[14..19],
                    want[14..19],
                    "{name}: id/status of reply {id}: {} vs {want_hex}",
                    hex(&got)
                );
                let status = want[18];
                if status == 5 || status == 7 {
                    let want_text = unknown_text(&want);
                    if want_text.starts_with("Traceback") || want_text.starts_with("builtins.") {
                        continue; // a Python traceback: status only
                    }
                    let want_text = want_text
                        .strip_prefix("src/Ice/Object.cpp:343: ")
                        .unwrap_or(&want_text);
                    assert_eq!(unknown_text(&got), want_text, "{name}: text of reply {id}");
                    continue;
                }
                if want[9] == 0 {
                    assert_eq!(hex(&got), want_hex, "{name}: reply {id}");
                    exact += 1;
                } else {
                    assert_eq!(
                        hex(&got[14..]),
                        hex(&want[14..]),
                        "{name}: body of reply {id}"
                    );
                }
            }
        }
    }
    adapter.destroy();
    eprintln!("{compared} replies compared, {exact} byte for byte");
    assert!(compared >= 28, "only {compared} replies compared");
    assert!(exact >= 20, "only {exact} replies byte-exact");
}
