//! Hostile and broken clients against the server side of the connection code: each gets the
//! documented error or close, and a well-behaved client of the same server keeps being
//! served throughout.

mod protocol_support;
use ice_runtime::connection::{self, Connection, ConnectionConfig, Listener, Side};
use ice_runtime::incoming::{IncomingRequest, RequestHandler, Responder};
use ice_runtime::protocol::{self, ReplyBody};
use parking_lot::Mutex;
use protocol_support::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Echoes parameters; `hold` keeps the responder until `release` is called.
#[derive(Default)]
struct Handler {
    held: Mutex<Vec<(IncomingRequest, Responder)>>,
    received: AtomicUsize,
}

impl Handler {
    fn release_all(&self) {
        for (req, resp) in std::mem::take(&mut *self.held.lock()) {
            echo_reply(req, resp);
        }
    }
}

impl RequestHandler for Handler {
    fn handle_request(&self, request: IncomingRequest, responder: Responder) {
        if request.operation == "hold" {
            self.held.lock().push((request, responder));
        } else {
            echo_reply(request, responder);
        }
        // Counted last, so a test that sees the count also finds the request held.
        self.received.fetch_add(1, Ordering::SeqCst);
    }
}

async fn server(handler: Arc<Handler>, tune: impl FnOnce(&mut ConnectionConfig)) -> Listener {
    let mut config = ConnectionConfig::defaults(Side::Server);
    tune(&mut config);
    connection::listen("127.0.0.1", 0, config, handler)
        .await
        .unwrap()
}

/// A raw client that has read the validation message.
async fn raw(listener: &Listener) -> TcpStream {
    let mut s = TcpStream::connect(listener.local_addr()).await.unwrap();
    let mut v = [0u8; 14];
    s.read_exact(&mut v).await.unwrap();
    assert_eq!(v, protocol::VALIDATE_CONNECTION);
    s
}

/// Waits until the server closes `s` (EOF or reset), ignoring anything it sends first.
async fn expect_closed(s: &mut TcpStream) {
    let mut buf = vec![0u8; 65536];
    let deadline = Duration::from_secs(5);
    let r = tokio::time::timeout(deadline, async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(r.is_ok(), "the server did not close the connection");
}

/// The well-behaved client: a round trip must work.
async fn good_call(c: &Connection, n: u32) {
    let body = n.to_le_bytes();
    let r = c
        .invoke(request(0, "echo", &body), true, false)
        .await
        .unwrap()
        .unwrap();
    match r.body {
        ReplyBody::Encapsulation { payload, .. } => assert_eq!(payload, body),
        b => panic!("{b:?}"),
    }
}

async fn good_client(listener: &Listener) -> Connection {
    connection::connect(
        "127.0.0.1",
        listener.local_addr().port(),
        ConnectionConfig::default(),
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_messages_close_only_their_connection() {
    let handler = Arc::new(Handler::default());
    let listener = server(handler.clone(), |_| {}).await;
    let good = good_client(&listener).await;
    good_call(&good, 1).await;

    let mut bad_inputs: Vec<(&str, Vec<u8>)> = vec![
        (
            "wrong magic",
            b"XceP\x01\x00\x01\x00\x03\x00\x0e\x00\x00\x00".to_vec(),
        ),
        (
            "garbage",
            (0..200u32).map(|i| (i * 37 % 251) as u8).collect(),
        ),
        (
            "protocol 2.0",
            b"IceP\x02\x00\x01\x00\x03\x00\x0e\x00\x00\x00".to_vec(),
        ),
        (
            "unknown type",
            b"IceP\x01\x00\x01\x00\x07\x00\x0e\x00\x00\x00".to_vec(),
        ),
        (
            "size below 14",
            b"IceP\x01\x00\x01\x00\x00\x00\x0d\x00\x00\x00".to_vec(),
        ),
        (
            "negative size",
            b"IceP\x01\x00\x01\x00\x00\x00\xff\xff\xff\xff".to_vec(),
        ),
        (
            "oversized",
            b"IceP\x01\x00\x01\x00\x00\x00\x00\x00\x20\x00".to_vec(), // 2 MiB > 1 MiB
        ),
        (
            "validate with a body",
            b"IceP\x01\x00\x01\x00\x03\x00\x0f\x00\x00\x00\x00".to_vec(),
        ),
    ];
    // A request whose mode byte is invalid, and one with trailing bytes.
    let mut bad_mode = request(5, "echo", b"");
    let mode_at = bad_mode.len() - 8; // mode, context size, then the 6-byte encapsulation
    bad_mode[mode_at] = 9;
    bad_inputs.push(("invalid mode", bad_mode));
    let mut trailing = request(6, "echo", b"");
    trailing.push(0);
    let n = trailing.len() as i32;
    trailing[10..14].copy_from_slice(&n.to_le_bytes());
    bad_inputs.push(("trailing bytes", trailing));
    // A compressed request that is not bzip2, and one claiming a huge uncompressed size.
    let mut not_bzip = b"IceP\x01\x00\x01\x00\x00\x02\x1c\x00\x00\x00\x40\x00\x00\x00".to_vec();
    not_bzip.extend_from_slice(b"notbzip2da");
    bad_inputs.push(("not bzip2", not_bzip));
    let mut huge = b"IceP\x01\x00\x01\x00\x00\x02\x1c\x00\x00\x00\x00\x00\x00\x7f".to_vec();
    huge.extend_from_slice(b"BZh1xxxxxx");
    bad_inputs.push(("huge uncompressed size", huge));

    for (what, bytes) in bad_inputs {
        let mut s = raw(&listener).await;
        s.write_all(&bytes).await.unwrap();
        expect_closed(&mut s).await;
        good_call(&good, 2).await;
        eprintln!("{what}: closed");
    }
    assert!(good.is_active());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_and_vanishing_peers() {
    let handler = Arc::new(Handler::default());
    let listener = server(handler.clone(), |_| {}).await;
    let good = good_client(&listener).await;

    // Half a message, then the peer disappears: the server drops the connection.
    let msg = request(1, "echo", &[7; 100]);
    let mut s = raw(&listener).await;
    s.write_all(&msg[..60]).await.unwrap();
    drop(s);
    // A peer that sends a request whose reply is held, and vanishes before the reply.
    let mut s = raw(&listener).await;
    s.write_all(&request(1, "hold", b"abc")).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while handler.held.lock().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    drop(s);
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Replying to the vanished peer is harmless.
    handler.release_all();
    good_call(&good, 3).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while listener.connections().len() > 1 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        listener.connections().len(),
        1,
        "only the good client remains"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_stops_reading_is_disconnected_with_bounded_memory() {
    let handler = Arc::new(Handler::default());
    let listener = server(handler.clone(), |c| c.write_queue_max = 256 * 1024).await;
    let good = good_client(&listener).await;
    let mut s = raw(&listener).await;
    let me = s.local_addr().unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let server_side = listener
        .connections()
        .into_iter()
        .find(|c| c.remote_addr() == me)
        .unwrap();
    // Requests with 60 KiB replies; never read them. The kernel buffers fill, then the
    // server's queue (256 KiB), then the server disconnects us.
    let msg = request(1, "echo", &vec![1u8; 60 * 1024]);
    let started = Instant::now();
    let mut sent = 0usize;
    let mut closed = false;
    while started.elapsed() < Duration::from_secs(20) {
        match tokio::time::timeout(Duration::from_secs(2), s.write_all(&msg)).await {
            Ok(Ok(())) => sent += msg.len(),
            Ok(Err(_)) => {
                closed = true;
                break;
            }
            // Our own writes block: the server stopped reading us, which is the
            // back-pressure working; it must still disconnect us shortly.
            Err(_) => break,
        }
        if sent % (1024 * 1024) < msg.len() {
            good_call(&good, sent as u32).await;
        }
    }
    if !closed {
        // Read-side check: the server must have closed (we may see some replies first).
        expect_closed(&mut s).await;
    }
    eprintln!("sent {sent} bytes before the server closed (closed while writing: {closed})");
    assert!(sent > 0);
    let reason = server_side.close_reason().unwrap().to_string();
    assert!(reason.contains("does not read its replies"), "{reason}");
    good_call(&good, 4).await;
    assert!(good.is_active());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_dispatches_stops_reading_until_a_dispatch_completes() {
    let handler = Arc::new(Handler::default());
    let listener = server(handler.clone(), |c| c.max_dispatches = 2).await;
    let conn = good_client(&listener).await;
    let mut calls = Vec::new();
    for i in 0..5u32 {
        let c = conn.clone();
        calls.push(tokio::spawn(async move {
            c.invoke(request(0, "hold", &i.to_le_bytes()), true, false)
                .await
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        handler.received.load(Ordering::SeqCst),
        2,
        "at most 2 dispatches"
    );
    assert_eq!(listener.connections()[0].dispatch_count(), 2);
    // Each completed dispatch lets one more request in.
    let deadline = Instant::now() + Duration::from_secs(5);
    while handler.received.load(Ordering::SeqCst) < 5 && Instant::now() < deadline {
        handler.release_all();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    handler.release_all();
    for c in calls {
        assert!(c.await.unwrap().unwrap().is_some());
    }
    assert_eq!(handler.received.load(Ordering::SeqCst), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_requests_count_against_max_dispatches() {
    let handler = Arc::new(Handler::default());
    let listener = server(handler.clone(), |c| c.max_dispatches = 1).await;
    let mut s = raw(&listener).await;
    // A batch of three held requests: only the first is dispatched until it completes.
    let mut batch = vec![];
    for i in 0..3u8 {
        let one = request(0, "hold", &[i]);
        batch.extend_from_slice(&one[18..]);
    }
    let mut msg = b"IceP\x01\x00\x01\x00\x01\x00\x00\x00\x00\x00".to_vec();
    msg.extend_from_slice(&3i32.to_le_bytes());
    msg.extend_from_slice(&batch);
    let n = msg.len() as i32;
    msg[10..14].copy_from_slice(&n.to_le_bytes());
    s.write_all(&msg).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(handler.received.load(Ordering::SeqCst), 1);
    for expected in 2..=3 {
        handler.release_all();
        let deadline = Instant::now() + Duration::from_secs(5);
        while handler.received.load(Ordering::SeqCst) < expected && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(handler.received.load(Ordering::SeqCst), expected);
    }
    handler.release_all();
    // Batch requests get no reply: the next thing we read is nothing (until we close).
    let mut buf = [0u8; 1];
    let r = tokio::time::timeout(Duration::from_millis(200), s.read(&mut buf)).await;
    assert!(r.is_err(), "no reply to batch requests");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_whose_socket_stays_full_is_disconnected_by_the_write_timeout() {
    let handler = Arc::new(Handler::default());
    // A queue large enough never to fill here: only the write timeout can act.
    let listener = server(handler.clone(), |c| {
        c.write_queue_max = 256 * 1024 * 1024;
        c.write_timeout = Duration::from_millis(500);
    })
    .await;
    let good = good_client(&listener).await;
    let mut s = raw(&listener).await;
    let me = s.local_addr().unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let server_side = listener
        .connections()
        .into_iter()
        .find(|c| c.remote_addr() == me)
        .unwrap();
    let msg = request(1, "echo", &vec![1u8; 60 * 1024]);
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(20) && server_side.close_reason().is_none() {
        match tokio::time::timeout(Duration::from_millis(200), s.write_all(&msg)).await {
            // Paced (about 30 MB/s), so that on an idle machine the queue cannot reach its
            // 256 MiB limit before the write timeout acts.
            Ok(Ok(())) => tokio::time::sleep(Duration::from_millis(2)).await,
            Ok(Err(_)) => break,
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while server_side.close_reason().is_none() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let reason = server_side.close_reason().unwrap().to_string();
    assert!(reason.contains("write timed out"), "{reason}");
    good_call(&good, 5).await;
}
