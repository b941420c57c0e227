//! The captured client requests (`vectors/wire/client_requests.json`): for each scenario, a
//! raw TCP listener plays the captured server side byte for byte, and the Rust client makes
//! the same calls as the captured Ice client. Every message the Rust client writes must be
//! byte-identical to the Ice client's, and the client must accept the captured replies and
//! return the same results.

mod common;

mod protocol_support;
use ice_runtime::communicator::Communicator;
use ice_runtime::encoding::{InputStream, OutputStream};
use ice_runtime::proxy::ObjectPrx;
use ice_runtime::{Context, Error, OperationMode};
use protocol_support::*;
use serde_json::Value;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn case(name: &str) -> Value {
    let path = common::vectors_dir().join("wire/client_requests.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let all: Value = serde_json::from_str(&text).unwrap();
    all["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no case {name}"))
        .clone()
}

/// Plays the server side of connection 0 of `case`: writes what the listener wrote, and checks
/// that each message the client writes equals the captured one. Validate messages sent as
/// heartbeats are counted, not compared, when `heartbeats` is set (their number depends on
/// timing). Returns the number of heartbeats seen.
async fn play(listener: TcpListener, case: Value, heartbeats: bool) -> usize {
    // The captured replies that hold a proxy name the capture's listener port (47682,
    // `42ba0000`); point them at ours.
    let port = listener.local_addr().unwrap().port();
    let (mut s, _) = listener.accept().await.unwrap();
    let mut seen_heartbeats = 0;
    for event in case["transcript"].as_array().unwrap() {
        if event["connection"] != 0 {
            continue;
        }
        let Some(hex) = event["hex"].as_str() else {
            continue;
        };
        match event["direction"].as_str().unwrap() {
            "server->client" => {
                let patched =
                    hex.replace("42ba0000", &common::to_hex(&i32::from(port).to_le_bytes()));
                s.write_all(&common::hex(&patched)).await.unwrap()
            }
            "client->server" => {
                if heartbeats && event["decoded"]["type"] == "validateConnection" {
                    continue;
                }
                let got = loop {
                    let m = tokio::time::timeout(Duration::from_secs(10), read_message(&mut s))
                        .await
                        .expect("the client sent nothing")
                        .expect("the client closed the connection early");
                    if heartbeats && m[8] == 3 {
                        seen_heartbeats += 1;
                        continue;
                    }
                    break m;
                };
                assert_eq!(
                    common::to_hex(&got),
                    hex,
                    "case {}: message differs ({})",
                    case["name"],
                    event["decoded"]
                );
            }
            _ => {}
        }
    }
    // After the close message the client waits for us to close: check it sends nothing more.
    seen_heartbeats
}

async fn setup(name: &str, props: &[&str]) -> (Communicator, ObjectPrx, TcpListener, Value) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (comm, _) = Communicator::initialize(props.iter().copied()).unwrap();
    let prx = comm
        .string_to_proxy(&format!("service:tcp -h 127.0.0.1 -p {port}"))
        .unwrap();
    (comm, prx, listener, case(name))
}

fn string(s: &str) -> Vec<u8> {
    let mut out = OutputStream::new();
    out.write_string(s);
    out.into_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twoway_with_context() {
    let (comm, prx, listener, case) = setup("twoway_with_context", &[]).await;
    let server = tokio::spawn(play(listener, case, false));
    let ctx: Context = [("user", "alice"), ("trace", "1")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    // The in-place form generated proxies use: parameters written into the message.
    let mut request = prx.start_request("echoString", OperationMode::Normal, Some(&ctx));
    request.params().write_string("hi");
    let reply = request.invoke().await.unwrap();
    assert_eq!(reply.input().read_string().unwrap(), "hi");
    comm.destroy_async().await;
    server.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oneway() {
    let (comm, prx, listener, case) = setup("oneway", &[]).await;
    let server = tokio::spawn(play(listener, case, false));
    prx.ice_oneway()
        .invoke("notify", OperationMode::Normal, &string("fire"), None)
        .await
        .unwrap();
    comm.destroy_async().await;
    server.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_oneway() {
    let (comm, prx, listener, case) = setup("batch_oneway", &[]).await;
    let server = tokio::spawn(play(listener, case, false));
    let batch = prx.ice_batch_oneway();
    for s in ["a", "b", "c"] {
        batch
            .invoke("notify", OperationMode::Normal, &string(s), None)
            .await
            .unwrap();
    }
    batch.ice_flush_batch_requests().await.unwrap();
    comm.destroy_async().await;
    server.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn builtin_operations() {
    let (comm, prx, listener, case) = setup("builtin_operations", &[]).await;
    let server = tokio::spawn(play(listener, case, false));
    assert!(prx.ice_is_a("::Vec::Service").await.unwrap());
    prx.ice_ping().await.unwrap();
    assert_eq!(prx.ice_id().await.unwrap(), "::Vec::Service");
    assert_eq!(
        prx.ice_ids().await.unwrap(),
        ["::Ice::Object", "::Vec::Service"]
    );
    comm.destroy_async().await;
    server.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotent_operation() {
    let (comm, prx, listener, case) = setup("idempotent_operation", &[]).await;
    let server = tokio::spawn(play(listener, case, false));
    let reply = prx
        .invoke("getValue", OperationMode::Idempotent, &[], None)
        .await
        .unwrap();
    assert_eq!(reply.input().read_i32().unwrap(), 7);
    comm.destroy_async().await;
    server.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compression() {
    let (comm, prx, listener, case) = setup("compression", &[]).await;
    let server = tokio::spawn(play(listener, case, false));
    let prx = prx.ice_compress(true);
    let long = "abcdefgh".repeat(40);
    let reply = prx
        .invoke("echoString", OperationMode::Normal, &string(&long), None)
        .await
        .unwrap();
    assert_eq!(reply.input().read_string().unwrap(), long);
    let reply = prx
        .invoke("echoString", OperationMode::Normal, &string("tiny"), None)
        .await
        .unwrap();
    assert_eq!(reply.input().read_string().unwrap(), "tiny");
    comm.destroy_async().await;
    server.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encoding_1_0_proxy() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (comm, _) = Communicator::initialize(Vec::<String>::new()).unwrap();
    let prx = comm
        .string_to_proxy(&format!("service -e 1.0:tcp -h 127.0.0.1 -p {port}"))
        .unwrap();
    let server = tokio::spawn(play(listener, case("encoding_1_0_proxy"), false));
    let reply = prx
        .invoke("echoString", OperationMode::Normal, &string("old"), None)
        .await
        .unwrap();
    assert_eq!(reply.encoding(), ice_runtime::encoding::ENCODING_1_0);
    assert_eq!(
        InputStream::new(reply.payload()).read_string().unwrap(),
        "old"
    );
    comm.destroy_async().await;
    server.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeat() {
    let (comm, prx, listener, case) = setup(
        "heartbeat",
        &["--Ice.ACM.Client.Heartbeat=3", "--Ice.ACM.Client.Timeout=1"],
    )
    .await;
    let server = tokio::spawn(play(listener, case, true));
    prx.ice_ping().await.unwrap();
    tokio::time::sleep(Duration::from_millis(1300)).await;
    comm.destroy_async().await;
    let heartbeats = server.await.unwrap();
    assert!(heartbeats >= 2, "{heartbeats} heartbeats in 1.3 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_validation() {
    let (comm, prx, listener, _) =
        setup("no_validation", &["--Ice.Override.ConnectTimeout=1000"]).await;
    // Accept connections but never validate them; record what the client writes.
    let server = tokio::spawn(async move {
        let mut written = Vec::new();
        for _ in 0..2 {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = Vec::new();
            let _ = tokio::time::timeout(Duration::from_secs(3), s.read_to_end(&mut buf)).await;
            written.push(buf);
        }
        written
    });
    let started = std::time::Instant::now();
    let e = prx.ice_ping().await.unwrap_err();
    assert!(matches!(e, Error::ConnectTimeout(_)), "{e:?}");
    // One retry, as the Ice client did: two connections, about one second each.
    assert!(started.elapsed() >= Duration::from_millis(1900));
    let written = server.await.unwrap();
    assert_eq!(written, [Vec::<u8>::new(), Vec::new()]);
    comm.destroy_async().await;
}

async fn locator_case(name: &str, proxy: &str) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let locator = format!("--Ice.Default.Locator=Locator:tcp -h 127.0.0.1 -p {port}");
    let (comm, _) = Communicator::initialize([locator.as_str()]).unwrap();
    let prx = comm.string_to_proxy(proxy).unwrap();
    let server = tokio::spawn(play(listener, case(name), false));
    prx.ice_ping().await.unwrap();
    comm.destroy_async().await;
    server.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn locator_find_adapter() {
    locator_case("locator_find_adapter", "svc @ MyAdapter").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn locator_find_object() {
    locator_case("locator_find_object", "wellknown").await;
}
