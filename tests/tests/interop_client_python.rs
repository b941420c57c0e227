//! A Rust client (ObjectPrx, blocking and async calls) against a real ZeroC Ice 3.7 server
//! written in Python (`tests/src/py/server.py`, Slice `Interop.ice`).

use ice_runtime::communicator::Communicator;
use ice_runtime::encoding::{InputStream, OutputStream};
use ice_runtime::proxy::{ObjectPrx, Wait};
use ice_runtime::{Context, Error, Identity, OperationMode, ReplyStatus};
use ice_tests::{py_script, string_param, PythonPeer};
use std::time::{Duration, Instant};

fn server(args: &[&str]) -> PythonPeer {
    PythonPeer::spawn_server(&py_script("server.py"), args)
}

fn client(peer: &PythonPeer, props: &[&str]) -> (Communicator, ObjectPrx) {
    let (comm, _) = Communicator::initialize(props.iter().copied()).unwrap();
    let prx = comm.string_to_proxy(&peer.proxy("service")).unwrap();
    (comm, prx)
}

fn call(
    prx: &ObjectPrx,
    op: &str,
    params: &[u8],
) -> ice_runtime::Result<ice_runtime::proxy::Reply> {
    prx.invoke(op, OperationMode::Normal, params, None).wait()
}

fn count(prx: &ObjectPrx) -> i32 {
    let reply = call(prx, "count", &[]).unwrap();
    InputStream::new(reply.payload()).read_i32().unwrap()
}

#[test]
fn results_with_out_parameters_and_builtins() {
    let peer = server(&[]);
    let (comm, prx) = client(&peer, &[]);
    let reply = call(&prx, "opOut", &20i32.to_le_bytes()).unwrap();
    assert!(reply.is_ok());
    let mut input = reply.input();
    assert_eq!(input.read_string().unwrap(), "got 20");
    assert_eq!(input.read_i32().unwrap(), 40);
    assert_eq!(input.read_i32().unwrap(), 21);
    assert_eq!(input.remaining(), 0);

    let reply = call(&prx, "echoString", &string_param("héllo")).unwrap();
    assert_eq!(reply.input().read_string().unwrap(), "héllo");

    prx.ice_ping().wait().unwrap();
    assert!(prx.ice_is_a("::Interop::Service").wait().unwrap());
    assert!(!prx.ice_is_a("::Interop::Other").wait().unwrap());
    assert_eq!(prx.ice_id().wait().unwrap(), "::Interop::Service");
    assert_eq!(
        prx.ice_ids().wait().unwrap(),
        ["::Ice::Object", "::Interop::Service"]
    );
    let cast: Option<ObjectPrx> = prx.checked_cast().wait().unwrap();
    assert!(cast.is_some());
    // Idempotent operations go out with mode 2 and are accepted.
    let reply = prx
        .invoke("getValue", OperationMode::Idempotent, &[], None)
        .wait()
        .unwrap();
    assert_eq!(reply.input().read_i32().unwrap(), 7);
    // A normal operation sent as idempotent is refused by Ice (status 5).
    let e = prx
        .invoke(
            "echoString",
            OperationMode::Idempotent,
            &string_param("x"),
            None,
        )
        .wait()
        .unwrap_err();
    assert!(
        matches!(&e, Error::UnknownLocalException(t) if t.contains("unexpected operation mode")),
        "{e:?}"
    );
    comm.destroy();
}

#[test]
fn every_reply_status() {
    let peer = server(&[]);
    let (comm, prx) = client(&peer, &[]);

    let reply = call(&prx, "fail", &string_param("user")).unwrap();
    assert_eq!(reply.status(), ReplyStatus::UserException);
    // Compact format: flags, then the most derived type id.
    let mut input = reply.input();
    input.read_u8().unwrap();
    assert_eq!(input.read_string().unwrap(), "::Interop::DerivedError");
    let e = reply.into_ok_payload().unwrap_err();
    assert_eq!(
        e,
        Error::UnknownUserException("::Interop::DerivedError".into())
    );

    match call(&prx, "fail", &string_param("objectnotexist")).unwrap_err() {
        Error::ObjectNotExist {
            identity,
            facet,
            operation,
        } => {
            assert_eq!(identity, Identity::new("service"));
            assert_eq!(facet, "");
            assert_eq!(operation, "fail");
        }
        e => panic!("{e:?}"),
    }
    let missing = prx.ice_identity(Identity::with_category("missing", "cat"));
    match missing.ice_ping().wait().unwrap_err() {
        Error::ObjectNotExist {
            identity,
            operation,
            ..
        } => {
            assert_eq!(identity, Identity::with_category("missing", "cat"));
            assert_eq!(operation, "ice_ping");
        }
        e => panic!("{e:?}"),
    }
    match prx.ice_facet("nofacet").ice_ping().wait().unwrap_err() {
        Error::FacetNotExist { facet, .. } => assert_eq!(facet, "nofacet"),
        e => panic!("{e:?}"),
    }
    match call(&prx, "noSuchOp", &[]).unwrap_err() {
        Error::OperationNotExist { operation, .. } => assert_eq!(operation, "noSuchOp"),
        e => panic!("{e:?}"),
    }
    match call(&prx, "fail", &string_param("local")).unwrap_err() {
        Error::UnknownLocalException(t) => assert!(t.contains("MemoryLimitException"), "{t}"),
        e => panic!("{e:?}"),
    }
    assert_eq!(
        call(&prx, "fail", &string_param("unknownlocal")).unwrap_err(),
        Error::UnknownLocalException("explicit unknown local text".into())
    );
    assert_eq!(
        call(&prx, "fail", &string_param("unknownuser")).unwrap_err(),
        Error::UnknownUserException("explicit unknown user text".into())
    );
    assert_eq!(
        call(&prx, "fail", &string_param("unknown")).unwrap_err(),
        Error::UnknownException("explicit unknown text".into())
    );
    match call(&prx, "fail", &string_param("python")).unwrap_err() {
        Error::UnknownException(t) => assert!(t.contains("ValueError: boom"), "{t}"),
        e => panic!("{e:?}"),
    }
    // The connection survived all of it.
    prx.ice_ping().wait().unwrap();
    comm.destroy();
}

#[test]
fn oneway_and_batch_oneway_reach_the_servant() {
    let peer = server(&[]);
    let (comm, prx) = client(&peer, &[]);
    prx.ice_oneway()
        .invoke("notify", OperationMode::Normal, &string_param("one"), None)
        .wait()
        .unwrap();
    assert!(peer.output().wait_for("NOTIFY one", Duration::from_secs(5)));

    let batch = prx.ice_batch_oneway();
    for s in ["b1", "b2", "b3"] {
        batch
            .invoke("notify", OperationMode::Normal, &string_param(s), None)
            .wait()
            .unwrap();
    }
    // Nothing is sent before the flush.
    std::thread::sleep(Duration::from_millis(200));
    assert!(!peer.output().contains("NOTIFY b1"));
    batch.ice_flush_batch_requests().wait().unwrap();
    assert!(peer.output().wait_for("NOTIFY b3", Duration::from_secs(5)));
    assert_eq!(count(&prx), 4);
    let lines = peer.output().lines();
    let order: Vec<&String> = lines.iter().filter(|l| l.starts_with("NOTIFY")).collect();
    assert_eq!(order, ["NOTIFY one", "NOTIFY b1", "NOTIFY b2", "NOTIFY b3"]);
    // A twoway-only built-in is refused on a oneway proxy.
    assert!(matches!(
        prx.ice_oneway().ice_id().wait(),
        Err(Error::TwowayOnly(_))
    ));
    comm.destroy();
}

#[test]
fn batch_auto_flush() {
    let peer = server(&[]);
    // 1 KiB: the batch is sent whenever the next request would not fit.
    let (comm, prx) = client(&peer, &["--Ice.BatchAutoFlushSize=1"]);
    let batch = prx.ice_batch_oneway();
    let big = "x".repeat(300);
    for _ in 0..4 {
        batch
            .invoke("notify", OperationMode::Normal, &string_param(&big), None)
            .wait()
            .unwrap();
    }
    // Three requests of ~330 bytes fill 1 KiB: the fourth flushed the first three.
    let deadline = Instant::now() + Duration::from_secs(5);
    while count(&prx) < 3 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(count(&prx), 3);
    batch.ice_flush_batch_requests().wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while count(&prx) < 4 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(count(&prx), 4);
    comm.destroy();
}

fn read_context(reply: &ice_runtime::proxy::Reply) -> Context {
    let mut input = reply.input();
    let n = input.read_size().unwrap();
    (0..n)
        .map(|_| (input.read_string().unwrap(), input.read_string().unwrap()))
        .collect()
}

#[test]
fn contexts_per_proxy_and_per_call() {
    let peer = server(&[]);
    let (comm, prx) = client(&peer, &[]);
    assert!(read_context(&call(&prx, "getContext", &[]).unwrap()).is_empty());
    let ctx: Context = [("user", "alice"), ("trace", "1")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let with_ctx = prx.ice_context(ctx.clone());
    assert_eq!(
        read_context(&call(&with_ctx, "getContext", &[]).unwrap()),
        ctx
    );
    // A per-call context replaces the proxy's.
    let call_ctx: Context = [("k".to_owned(), "v".to_owned())].into_iter().collect();
    let reply = with_ctx
        .invoke("getContext", OperationMode::Normal, &[], Some(&call_ctx))
        .wait()
        .unwrap();
    assert_eq!(read_context(&reply), call_ctx);
    comm.destroy();
}

#[test]
fn compression_both_ways() {
    let peer = server(&["--Ice.Trace.Protocol=1"]);
    let (comm, prx) = client(&peer, &[]);
    let prx = prx.ice_compress(true);
    assert!(prx.to_string().contains(" -z"), "{prx}");
    let data: Vec<u8> = (0..20000u32).map(|i| (i % 7) as u8).collect();
    let mut params = OutputStream::new();
    params.write_size(data.len());
    params.write_blob(&data);
    let reply = call(&prx, "echoBytes", params.as_slice()).unwrap();
    let mut input = reply.input();
    let n = input.read_size().unwrap();
    assert_eq!(input.read_blob(n).unwrap(), &data[..]);
    // A small request goes out uncompressed with status 1, and so does its reply.
    let reply = call(&prx, "echoString", &string_param("tiny")).unwrap();
    assert_eq!(reply.input().read_string().unwrap(), "tiny");
    comm.destroy();
    let out = peer.output();
    assert!(out.wait_for("received close connection", Duration::from_secs(2)));
    // The server's protocol trace: one block per message.
    let text = out.text();
    let blocks: Vec<&str> = text.split("Protocol: ").skip(1).collect();
    let status_of = |kind: &str, id: &str| -> String {
        let block = blocks
            .iter()
            .find(|b| b.starts_with(kind) && b.contains(&format!("request id = {id}\n")))
            .unwrap_or_else(|| panic!("no `{kind}' for request {id} in:\n{text}"));
        let line = block
            .lines()
            .find(|l| l.contains("compression status"))
            .unwrap();
        line.trim_start_matches("E:").trim().to_owned()
    };
    // The large request went out compressed and its reply came back compressed.
    assert!(status_of("received request", "1").starts_with("compression status = 2"));
    assert!(status_of("sending reply", "1").starts_with("compression status = 2"));
    // The small one went out plain with status 1; so did its reply.
    assert!(status_of("received request", "2").starts_with("compression status = 1"));
    assert!(status_of("sending reply", "2").starts_with("compression status = 1"));
}

#[test]
fn a_thousand_concurrent_calls_share_one_connection() {
    let peer = server(&["--Ice.Trace.Network=1"]);
    let (comm, prx) = client(&peer, &[]);
    let calls: Vec<_> = (0..1000)
        .map(|i| {
            prx.invoke(
                "echoString",
                OperationMode::Normal,
                &string_param(&format!("call {i}")),
                None,
            )
        })
        .collect();
    let replies = comm.block_on(futures::future::join_all(calls)).unwrap();
    for (i, r) in replies.into_iter().enumerate() {
        assert_eq!(
            r.unwrap().input().read_string().unwrap(),
            format!("call {i}")
        );
    }
    let accepted = peer
        .output()
        .lines()
        .iter()
        .filter(|l| l.contains("accepted tcp connection"))
        .count();
    assert_eq!(accepted, 1, "{}", peer.output().text());
    comm.destroy();
}

#[test]
fn invocation_timeout_then_the_connection_still_works() {
    let peer = server(&[]);
    let (comm, prx) = client(&peer, &[]);
    let started = Instant::now();
    let e = call(
        &prx.ice_invocation_timeout(300),
        "sleep",
        &1500i32.to_le_bytes(),
    )
    .unwrap_err();
    assert_eq!(e, Error::InvocationTimeout(300));
    assert!(started.elapsed() < Duration::from_millis(1400));
    prx.ice_ping().wait().unwrap();
    comm.destroy();
}

#[test]
fn losing_the_connection_fails_every_pending_call() {
    let mut peer = server(&[]);
    let (comm, prx) = client(&peer, &[]);
    prx.ice_ping().wait().unwrap();
    let calls: Vec<_> = (0..5)
        .map(|_| {
            prx.invoke(
                "sleep",
                OperationMode::Normal,
                &10000i32.to_le_bytes(),
                None,
            )
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    peer.kill();
    let results = comm.block_on(futures::future::join_all(calls)).unwrap();
    assert!(started.elapsed() < Duration::from_secs(3));
    for r in results {
        assert!(matches!(r, Err(Error::ConnectionLost(_))), "{r:?}");
    }
    // A new call finds nobody (one retry, then the refusal).
    assert!(matches!(
        prx.ice_ping().wait(),
        Err(Error::ConnectionRefused(_))
    ));
    comm.destroy();
}

#[test]
fn idempotent_calls_are_retried_after_a_connection_loss() {
    let peer = server(&[]);
    let (comm, prx) = client(&peer, &[]);
    // The server drops the connection during the first dispatch; the retry succeeds.
    prx.invoke("dropConnectionOnce", OperationMode::Idempotent, &[], None)
        .wait()
        .unwrap();
    comm.destroy();
}

#[test]
fn blocking_on_a_runtime_thread_is_refused() {
    let peer = server(&[]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let proxy = peer.proxy("service");
    rt.block_on(async move {
        let (comm, _) = Communicator::initialize(Vec::<String>::new()).unwrap();
        let prx = comm.string_to_proxy(&proxy).unwrap();
        // Inside a task: refused.
        let p = prx.clone();
        let r = tokio::spawn(async move { p.ice_ping().wait() })
            .await
            .unwrap();
        assert!(matches!(r, Err(Error::WouldBlock(_))), "{r:?}");
        prx.ice_ping().await.unwrap();
        // A thread that only entered the runtime's context (as dispatch threads do) may block.
        let p = prx.clone();
        let handle = tokio::runtime::Handle::current();
        let r = std::thread::spawn(move || {
            let _context = handle.enter();
            p.ice_ping().wait()
        })
        .join()
        .unwrap();
        assert!(r.is_ok(), "{r:?}");
        comm.destroy_async().await;
    });
}

#[test]
fn idle_connections_close_gracefully_and_reconnect_with_settings_from_a_config_file() {
    let peer = server(&["--Ice.Trace.Network=1", "--Ice.Trace.Protocol=1"]);
    let dir = std::env::temp_dir().join(format!("ice-rs-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("client.cfg");
    std::fs::write(&file, "# client settings\nIce.ACM.Client.Timeout = 1\n").unwrap();
    let arg = format!("--Ice.Config={}", file.display());
    let (comm, prx) = client(&peer, &[arg.as_str()]);
    assert_eq!(comm.properties().get("Ice.ACM.Client.Timeout"), "1");
    prx.ice_ping().wait().unwrap();
    // Idle for more than the timeout: the client sends close connection, the server closes.
    assert!(
        peer.output()
            .wait_for("closed tcp connection", Duration::from_secs(10)),
        "{}",
        peer.output().text()
    );
    let text = peer.output().text();
    assert!(text.contains("received close connection"), "{text}");
    prx.ice_ping().wait().unwrap();
    let accepted = peer
        .output()
        .lines()
        .iter()
        .filter(|l| l.contains("accepted tcp connection"))
        .count();
    assert_eq!(accepted, 2);
    comm.destroy();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn indirect_and_well_known_proxies_are_resolved_by_an_ice_locator() {
    let peer = server(&[]);
    let locator = format!("--Ice.Default.Locator={}", peer.proxy("Locator"));
    let (comm, _) = Communicator::initialize([locator.as_str()]).unwrap();
    let indirect = comm.string_to_proxy("service @ Interop").unwrap();
    assert_eq!(indirect.to_string(), "service -t -e 1.1 @ Interop");
    indirect.ice_ping().wait().unwrap();
    // Cached: a second call does not ask again.
    indirect.ice_ping().wait().unwrap();
    let well_known = comm.string_to_proxy("service").unwrap();
    assert_eq!(well_known.ice_id().wait().unwrap(), "::Interop::Service");
    // A well-known object registered with an adapter id: two lookups, and the request
    // reaches the server (which has no servant `indirect`).
    let e = comm
        .string_to_proxy("indirect")
        .unwrap()
        .ice_ping()
        .wait()
        .unwrap_err();
    assert!(matches!(e, Error::ObjectNotExist { .. }), "{e:?}");
    let lines = peer.output().lines();
    let lookups: Vec<&String> = lines.iter().filter(|l| l.starts_with("LOCATE")).collect();
    assert_eq!(
        lookups,
        [
            "LOCATE adapter Interop",
            "LOCATE object service",
            "LOCATE object indirect",
            "LOCATE adapter Interop",
            // ObjectNotExist through a well-known proxy: the answer is forgotten and the
            // call retried once (Ice.RetryIntervals=0), as Ice does.
            "LOCATE object indirect",
            "LOCATE adapter Interop"
        ],
        "{}",
        peer.output().text()
    );
    // A stale answer (the object is not where the locator said): Ice forgets it and asks again.
    comm.string_to_proxy("moving")
        .unwrap()
        .ice_ping()
        .wait()
        .unwrap();
    let moves = peer
        .output()
        .lines()
        .iter()
        .filter(|l| *l == "LOCATE object moving")
        .count();
    assert_eq!(moves, 2);
    // Unknown adapters and objects are not registered.
    let e = comm
        .string_to_proxy("service @ Nowhere")
        .unwrap()
        .ice_ping()
        .wait()
        .unwrap_err();
    assert!(
        matches!(&e, Error::NotRegistered(t) if t.contains("AdapterNotFoundException")),
        "{e:?}"
    );
    let e = comm
        .string_to_proxy("nobody")
        .unwrap()
        .ice_ping()
        .wait()
        .unwrap_err();
    assert!(
        matches!(&e, Error::NotRegistered(t) if t.contains("ObjectNotFoundException")),
        "{e:?}"
    );
    // Without a locator, such proxies have no endpoint to use.
    let (plain, _) = Communicator::initialize(Vec::<String>::new()).unwrap();
    let e = plain
        .string_to_proxy("service @ Interop")
        .unwrap()
        .ice_ping()
        .wait()
        .unwrap_err();
    assert!(matches!(e, Error::NoEndpoint(_)), "{e:?}");
    plain.destroy();
    comm.destroy();
}

#[test]
fn message_size_limits_are_enforced_both_ways() {
    let peer = server(&["--Ice.MessageSizeMax=100"]);
    let (comm, prx) = client(&peer, &["--Ice.MessageSizeMax=50"]);
    let bytes = |n: usize| {
        let mut out = OutputStream::new();
        out.write_size(n);
        out.write_blob(&vec![7u8; n]);
        out.into_vec()
    };
    // 150 KiB request: the Ice server (limit 100 KiB) drops the connection.
    let e = call(&prx, "echoBytes", &bytes(150 * 1024)).unwrap_err();
    assert!(matches!(e, Error::ConnectionLost(_)), "{e:?}");
    // 80 KiB: the server accepts it, but its reply exceeds our 50 KiB limit.
    let e = call(&prx, "echoBytes", &bytes(80 * 1024)).unwrap_err();
    assert!(
        matches!(e, Error::MemoryLimit { max, .. } if max == 50 * 1024),
        "{e:?}"
    );
    // 20 KiB: fine both ways.
    let reply = call(&prx, "echoBytes", &bytes(20 * 1024)).unwrap();
    assert_eq!(reply.payload().len(), 20 * 1024 + 5);
    comm.destroy();
}
