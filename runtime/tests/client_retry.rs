//! Client retry rules and fixed connections, against scripted raw servers: a request the
//! server closed gracefully before dispatching is retried; after a connection loss only
//! idempotent requests are; a fixed proxy never reconnects.

mod protocol_support;
use ice_runtime::communicator::Communicator;
use ice_runtime::protocol::{self, Message, CLOSE_CONNECTION, VALIDATE_CONNECTION};
use ice_runtime::{Error, OperationMode};
use protocol_support::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// An empty Ok reply to `request`.
fn ok_reply(request: &[u8]) -> Vec<u8> {
    let Ok(Message::Request(r)) = protocol::read_message(request, 1 << 20) else {
        panic!("not a request");
    };
    let mut m = b"IceP\x01\x00\x01\x00\x02\x00\x19\x00\x00\x00".to_vec();
    m.extend_from_slice(&r.request_id.to_le_bytes());
    m.extend_from_slice(&[0, 6, 0, 0, 0, 1, 1]);
    m
}

#[derive(Clone, Copy)]
enum Behaviour {
    /// Read the request, send close connection, wait for the client to close.
    CloseGracefully,
    /// Read the request, drop the socket.
    Drop,
    /// Answer every request.
    Serve,
}

/// Accepts connections and treats the n-th one per `script[n]` (the last entry repeats).
async fn scripted(script: Vec<Behaviour>) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            let n = count.fetch_add(1, Ordering::SeqCst);
            let behaviour = script[n.min(script.len() - 1)];
            tokio::spawn(async move {
                s.write_all(&VALIDATE_CONNECTION).await.unwrap();
                while let Some(m) = read_message(&mut s).await {
                    if m[8] == 4 {
                        // Close connection: close the socket, as an Ice server does.
                        return;
                    }
                    if m[8] != 0 {
                        continue;
                    }
                    match behaviour {
                        Behaviour::CloseGracefully => {
                            s.write_all(&CLOSE_CONNECTION).await.unwrap();
                            let mut rest = Vec::new();
                            let _ = s.read_to_end(&mut rest).await;
                            return;
                        }
                        Behaviour::Drop => return,
                        Behaviour::Serve => s.write_all(&ok_reply(&m)).await.unwrap(),
                    }
                }
            });
        }
    });
    (port, accepted)
}

async fn proxy(port: u16, props: &[&str]) -> (Communicator, ice_runtime::proxy::ObjectPrx) {
    let (comm, _) = Communicator::initialize(props.iter().copied()).unwrap();
    let prx = comm
        .string_to_proxy(&format!("svc:tcp -h 127.0.0.1 -p {port}"))
        .unwrap();
    (comm, prx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_close_before_the_reply_is_retried_even_for_normal_operations() {
    let (port, accepted) = scripted(vec![Behaviour::CloseGracefully, Behaviour::Serve]).await;
    let (comm, prx) = proxy(port, &[]).await;
    prx.invoke("op", OperationMode::Normal, &[], None)
        .await
        .unwrap();
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
    comm.destroy_async().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_connection_is_retried_only_for_idempotent_operations() {
    let (port, accepted) = scripted(vec![Behaviour::Drop, Behaviour::Serve]).await;
    let (comm, prx) = proxy(port, &[]).await;
    let e = prx
        .invoke("op", OperationMode::Normal, &[], None)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::ConnectionLost(_)), "{e:?}");
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
    comm.destroy_async().await;

    let (port, accepted) = scripted(vec![Behaviour::Drop, Behaviour::Serve]).await;
    let (comm, prx) = proxy(port, &[]).await;
    prx.invoke("op", OperationMode::Idempotent, &[], None)
        .await
        .unwrap();
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
    comm.destroy_async().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_intervals_are_followed_and_can_be_disabled() {
    let (port, accepted) = scripted(vec![Behaviour::Drop]).await;
    let (comm, prx) = proxy(port, &["--Ice.RetryIntervals=0 100 200"]).await;
    let started = std::time::Instant::now();
    let e = prx
        .invoke("op", OperationMode::Idempotent, &[], None)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::ConnectionLost(_)), "{e:?}");
    assert_eq!(accepted.load(Ordering::SeqCst), 4);
    assert!(started.elapsed() >= Duration::from_millis(300));
    comm.destroy_async().await;

    let (port, accepted) = scripted(vec![Behaviour::Drop]).await;
    let (comm, prx) = proxy(port, &["--Ice.RetryIntervals=-1"]).await;
    assert!(prx
        .invoke("op", OperationMode::Idempotent, &[], None)
        .await
        .is_err());
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
    comm.destroy_async().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fixed_proxy_uses_its_connection_and_never_reconnects() {
    let (port, accepted) = scripted(vec![Behaviour::Serve]).await;
    let (comm, prx) = proxy(port, &[]).await;
    let conn = prx.ice_get_connection().await.unwrap();
    let fixed = prx.ice_fixed(&conn);
    fixed.ice_ping().await.unwrap();
    prx.ice_ping().await.unwrap();
    assert_eq!(accepted.load(Ordering::SeqCst), 1, "one cached connection");
    conn.close().await;
    let e = fixed.ice_ping().await.unwrap_err();
    assert!(
        matches!(e, Error::ConnectionClosed(_) | Error::ConnectionLost(_)),
        "{e:?}"
    );
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
    // The unfixed proxy reconnects.
    prx.ice_ping().await.unwrap();
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
    comm.destroy_async().await;
    // After destruction every call fails at once.
    assert_eq!(
        prx.ice_ping().await.unwrap_err(),
        Error::CommunicatorDestroyed
    );
}
