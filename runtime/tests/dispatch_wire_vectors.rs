//! Every request of `wire/server_replies.json` (captured against a real Ice 3.7 server) goes
//! to the Rust twin of the Python servant; the reply bytes must be those Ice sent (see
//! `dispatch_support::compare_reply` for what is not ours to match). Once through the
//! `RequestHandler` contract with a capturing reply sink, once over TCP from a raw socket.

mod dispatch_support;

use dispatch_support::service::{ServiceI, ServiceServant};
use dispatch_support::{capture, compare_reply, parse_requests, server_exchanges, wait, Compared};
use ice_runtime::adapter::{AdapterConfig, ObjectAdapter};
use ice_runtime::communicator::Communicator;
use ice_runtime::identity::Identity;
use ice_runtime::incoming::RequestHandler;
use ice_runtime::properties::Properties;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

#[test]
fn replies_through_the_request_handler_match_ice() {
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

    let (mut compared, mut exact) = (0, 0);
    for ex in server_exchanges() {
        let mut replies = ex.replies.iter();
        for request in parse_requests(&ex.request) {
            let id = request.request_id;
            let (responder, rx) = capture(id);
            adapter.handle_request(request, responder);
            let got = wait(&rx);
            if id == 0 {
                assert!(got.is_none(), "{}: a oneway request got a reply", ex.case);
                continue;
            }
            let got = got.unwrap_or_else(|| panic!("{}: no reply to request {id}", ex.case));
            let want = replies.next().expect("captured reply");
            compared += 1;
            if compare_reply(&ex.case, &got, want) == Compared::Exact {
                exact += 1;
            }
        }
    }
    adapter.destroy();
    eprintln!("{compared} replies compared, {exact} byte for byte");
    assert!(compared >= 28, "only {compared} replies compared");
    assert!(exact >= 22, "only {exact} replies byte-exact");
}

fn read_message(sock: &mut TcpStream) -> Vec<u8> {
    let mut header = [0u8; 14];
    sock.read_exact(&mut header).expect("header");
    let size = i32::from_le_bytes([header[10], header[11], header[12], header[13]]) as usize;
    let mut msg = header.to_vec();
    msg.resize(size, 0);
    sock.read_exact(&mut msg[14..]).expect("body");
    msg
}

#[test]
fn replies_over_tcp_match_ice() {
    let properties = Properties::new();
    properties.set("S.Endpoints", "tcp -h 127.0.0.1 -p 0");
    let communicator = Communicator::with_properties(properties).expect("communicator");
    let adapter = communicator.create_object_adapter("S").expect("adapter");
    adapter
        .add(
            ServiceServant::new(ServiceI::default()),
            Identity::new("service"),
        )
        .expect("add");
    adapter.activate().expect("activate");
    let port = adapter.endpoints()[0].port;

    let mut sock = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let validate = read_message(&mut sock);
    assert_eq!(
        dispatch_support::hex(&validate),
        "496365500100010003000e000000"
    );

    let (mut compared, mut exact) = (0, 0);
    for ex in server_exchanges() {
        let mut msg = ex.request.clone();
        msg[9] = ex.compression.min(1);
        sock.write_all(&msg).expect("send");
        for want in &ex.replies {
            let mut got = read_message(&mut sock);
            if got[9] == 2 {
                got = ice_runtime::protocol::decompress(&got, 1 << 20).expect("decompress");
            }
            // Ice answers a request that allowed compression with status 1 or 2.
            assert_eq!(got[9] != 0, ex.compression != 0, "{}: compression", ex.case);
            compared += 1;
            let mut got_plain = got.clone();
            got_plain[9] = want[9];
            if compare_reply(&ex.case, &got_plain, want) == Compared::Exact {
                exact += 1;
            }
        }
    }
    eprintln!("{compared} replies compared over TCP, {exact} byte for byte");
    assert!(compared >= 28, "only {compared} replies compared");
    assert!(exact >= 22, "only {exact} replies byte-exact");
    drop(sock);
    adapter.destroy();
    communicator.destroy();
}
