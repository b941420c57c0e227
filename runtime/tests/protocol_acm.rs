//! Active connection management (Ice 3.7 ACM): heartbeats while dispatching, forceful close
//! of a silent connection with outstanding invocations, graceful close of idle connections.

mod protocol_support;
use ice_runtime::communicator::Communicator;
use ice_runtime::connection::{self, ConnectionConfig, Side};
use ice_runtime::incoming::{IncomingRequest, RequestHandler, Responder};
use ice_runtime::protocol::{encode_request, RequestFields, CLOSE_CONNECTION, VALIDATE_CONNECTION};
use ice_runtime::{Context, Error, Identity, OperationMode, ReplyStatus};
use parking_lot::Mutex;
use protocol_support::*;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Default)]
struct Holder {
    held: Mutex<Vec<Responder>>,
}

impl RequestHandler for Holder {
    fn handle_request(&self, _: IncomingRequest, responder: Responder) {
        self.held.lock().push(responder);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_sends_heartbeats_only_while_dispatching() {
    let holder = Arc::new(Holder::default());
    let mut config = ConnectionConfig::defaults(Side::Server);
    config.acm.timeout = Duration::from_secs(1);
    let listener = connection::listen("127.0.0.1", 0, config, holder.clone())
        .await
        .unwrap();
    let mut s = TcpStream::connect(listener.local_addr()).await.unwrap();
    assert_eq!(read_message(&mut s).await.unwrap(), VALIDATE_CONNECTION);
    // Idle: nothing for 1.2 s.
    let mut buf = [0u8; 14];
    assert!(
        tokio::time::timeout(Duration::from_millis(1200), s.read_exact(&mut buf))
            .await
            .is_err()
    );
    // While a dispatch runs: heartbeats.
    let request = encode_request(
        0,
        &RequestFields {
            identity: &Identity::new("x"),
            facet: "",
            operation: "long",
            mode: OperationMode::Normal,
            context: &Context::new(),
            encoding: ice_runtime::encoding::ENCODING_1_1,
            params: &[],
        },
    );
    let mut request = request;
    request[14..18].copy_from_slice(&1i32.to_le_bytes());
    s.write_all(&request).await.unwrap();
    let started = Instant::now();
    let mut heartbeats = 0;
    while started.elapsed() < Duration::from_millis(1600) {
        if let Ok(Some(m)) =
            tokio::time::timeout(Duration::from_millis(200), read_message(&mut s)).await
        {
            assert_eq!(m, VALIDATE_CONNECTION);
            heartbeats += 1;
        }
    }
    assert!(heartbeats >= 2, "{heartbeats} heartbeats");
    // The reply follows when the dispatch ends.
    let responder = holder.held.lock().pop().unwrap();
    let mut out = responder.start_reply(ReplyStatus::Ok, 6);
    out.write_empty_encapsulation(ice_runtime::encoding::ENCODING_1_1);
    responder.send(out);
    let reply = loop {
        let m = read_message(&mut s).await.unwrap();
        if m != VALIDATE_CONNECTION {
            break m;
        }
    };
    assert_eq!(reply[8], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_server_times_out_pending_calls_and_an_idle_connection_closes() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    // A server that validates, then never says anything; it closes on a close message.
    let server = tokio::spawn(async move {
        let mut log = Vec::new();
        for _ in 0..2 {
            let (mut s, _) = listener.accept().await.unwrap();
            s.write_all(&VALIDATE_CONNECTION).await.unwrap();
            let mut types = Vec::new();
            while let Some(m) = read_message(&mut s).await {
                types.push(m[8]);
                if m == CLOSE_CONNECTION {
                    break;
                }
            }
            log.push(types);
        }
        log
    });
    let (comm, _) =
        Communicator::initialize(["--Ice.ACM.Client.Timeout=1", "--Ice.RetryIntervals=-1"])
            .unwrap();
    let prx = comm
        .string_to_proxy(&format!("svc:tcp -h 127.0.0.1 -p {port}"))
        .unwrap();
    let started = Instant::now();
    let e = prx.ice_ping().await.unwrap_err();
    assert!(
        matches!(&e, Error::ConnectionLost(t) if t.contains("ACM")),
        "{e:?}"
    );
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert!(started.elapsed() < Duration::from_secs(3));
    // Second connection: a oneway, then idle: the client closes it gracefully.
    prx.ice_oneway()
        .invoke("op", OperationMode::Normal, &[], None)
        .await
        .unwrap();
    let log = tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the idle connection was not closed")
        .unwrap();
    assert_eq!(log[0], [0], "first connection: the ping only");
    assert_eq!(log[1], [0, 4], "second connection: the oneway, then close");
    comm.destroy_async().await;
}
