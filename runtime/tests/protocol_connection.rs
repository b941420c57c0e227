//! Client and server connections of this runtime talking to each other.

mod protocol_support;
use ice_runtime::connection::{self, ConnectionConfig, Side};
use ice_runtime::incoming::{IncomingRequest, RequestHandler, Responder};
use ice_runtime::protocol::ReplyBody;
use ice_runtime::{Error, ReplyStatus};
use protocol_support::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Echoes the parameters back (status 0); `sleep` waits 200 ms on a thread first; `drop`
/// drops the responder; counts oneway calls.
#[derive(Default)]
struct Echo {
    oneways: AtomicUsize,
}

impl RequestHandler for Echo {
    fn handle_request(&self, request: IncomingRequest, responder: Responder) {
        if responder.is_oneway() {
            self.oneways.fetch_add(1, Ordering::SeqCst);
        }
        match request.operation.as_str() {
            "drop" => drop(responder),
            "sleep" => {
                std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_millis(200));
                    echo_reply(request, responder)
                });
            }
            _ => echo_reply(request, responder),
        }
    }
}

async fn server(handler: Arc<Echo>) -> connection::Listener {
    let config = ConnectionConfig::defaults(Side::Server);
    connection::listen("127.0.0.1", 0, config, handler)
        .await
        .unwrap()
}

fn payload(reply: Option<ice_runtime::protocol::ReplyMessage>) -> Vec<u8> {
    match reply.unwrap().body {
        ReplyBody::Encapsulation { payload, .. } => payload,
        other => panic!("unexpected reply {other:?}"),
    }
}

#[tokio::test]
async fn twoway_oneway_compressed_and_concurrent_calls() {
    let echo = Arc::new(Echo::default());
    let listener = server(echo.clone()).await;
    let port = listener.local_addr().port();
    let conn = connection::connect("127.0.0.1", port, ConnectionConfig::default())
        .await
        .unwrap();
    assert!(conn.description().contains("remote address = 127.0.0.1:"));

    let r = conn
        .invoke(request(0, "op", b"\x02hi"), true, false)
        .await
        .unwrap();
    assert_eq!(payload(r), b"\x02hi");

    // Compressed both ways.
    let big = vec![b'z'; 5000];
    let r = conn
        .invoke(request(0, "op", &big), true, true)
        .await
        .unwrap();
    assert_eq!(payload(r), big);

    // Oneway: queued, never answered.
    assert!(conn
        .invoke(request(0, "op", b""), false, false)
        .await
        .unwrap()
        .is_none());

    // Many concurrent calls on one connection, replies out of order.
    let mut calls = Vec::new();
    for i in 0..200u32 {
        let c = conn.clone();
        let op = if i % 2 == 0 { "sleep" } else { "op" };
        let body = i.to_le_bytes().to_vec();
        calls.push(tokio::spawn(async move {
            (
                body.clone(),
                c.invoke(request(0, op, &body), true, false).await,
            )
        }));
    }
    for call in calls {
        let (body, r) = call.await.unwrap();
        assert_eq!(payload(r.unwrap()), body);
    }
    assert_eq!(echo.oneways.load(Ordering::SeqCst), 1);

    // A dropped responder answers UnknownException.
    let r = conn
        .invoke(request(0, "drop", b""), true, false)
        .await
        .unwrap();
    assert!(matches!(
        r.unwrap().body,
        ReplyBody::Unknown {
            status: ReplyStatus::UnknownException,
            ..
        }
    ));

    // Graceful close by the server: the client sees it.
    listener.close().await;
    tokio::time::timeout(Duration::from_secs(5), conn.closed())
        .await
        .unwrap();
    assert!(matches!(
        conn.close_reason(),
        Some(Error::ConnectionClosed(_))
    ));
}

#[tokio::test]
async fn closing_the_server_fails_or_answers_pending_calls() {
    let echo = Arc::new(Echo::default());
    let listener = server(echo).await;
    let port = listener.local_addr().port();
    let conn = connection::connect("127.0.0.1", port, ConnectionConfig::default())
        .await
        .unwrap();
    let c = conn.clone();
    let slow = tokio::spawn(async move { c.invoke(request(0, "sleep", b"x"), true, false).await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    // The graceful close waits for the dispatch in progress: the call gets its reply.
    listener.close().await;
    assert_eq!(payload(slow.await.unwrap().unwrap()), b"x");
}

#[tokio::test]
async fn connecting_to_a_closed_port_is_refused() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    let e = connection::connect("127.0.0.1", port, ConnectionConfig::default())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::ConnectionRefused(_)), "{e:?}");
}

#[tokio::test]
async fn ipv6_and_endpoint_listeners() {
    let echo = Arc::new(Echo::default());
    let endpoint: ice_runtime::encoding::EndpointData = "tcp -h ::1 -p 0 -t 5000".parse().unwrap();
    let config = ConnectionConfig::defaults(Side::Server);
    let listener = match connection::listen_endpoint(&endpoint, config, echo).await {
        Ok(l) => l,
        Err(e) => {
            // Machines without IPv6 loopback cannot run this test; say so loudly.
            panic!("cannot listen on ::1: {e}");
        }
    };
    let published = listener.local_endpoint().to_string();
    assert!(published.starts_with("tcp -h \"::1\" -p "), "{published}");
    assert!(published.ends_with("-t 5000"), "{published}");
    let port = listener.local_addr().port();
    assert_ne!(port, 0);
    for host in ["::1", "[::1]"] {
        let conn = connection::connect(host, port, ConnectionConfig::default())
            .await
            .unwrap();
        let r = conn
            .invoke(request(0, "op", b"\x01"), true, false)
            .await
            .unwrap();
        assert_eq!(payload(r), b"\x01");
    }
    let udp: ice_runtime::encoding::EndpointData = "udp -h 127.0.0.1 -p 0".parse().unwrap();
    let e =
        connection::listen_endpoint(&udp, ConnectionConfig::default(), Arc::new(Echo::default()))
            .await
            .unwrap_err();
    assert!(matches!(e, Error::EndpointParse { .. }), "{e:?}");
}
