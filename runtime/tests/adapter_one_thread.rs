//! An adapter with one dispatch thread (Ice's default) runs its connections on that thread and
//! dispatches each request where it was read. Seen from real sockets: the thread is the
//! adapter's dispatch thread, one dispatch runs at a time, a synchronous servant may still
//! block on calls to other servers, a self-call that would deadlock is refused, pending
//! results do not hold the thread, and destruction does not wait for clients to leave.

mod dispatch_support;

use dispatch_support::string_param;
use ice_runtime::adapter::ObjectAdapter;
use ice_runtime::communicator::Communicator;
use ice_runtime::dispatch::{is_dispatch_thread, Current, Dispatch, Dispatched, Request, Servant};
use ice_runtime::identity::{Identity, OperationMode};
use ice_runtime::properties::Properties;
use ice_runtime::protocol;
use ice_runtime::proxy::Wait;
use ice_runtime::Error;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// `where()`: the name of the dispatching thread and whether it is a dispatch thread;
/// `sleep(ms)`: blocks the thread; `later(ms)`: a pending result after `ms`, whose timer is
/// created before the future is returned; `forward(proxy)`: a blocking `ice_ping` on `proxy`,
/// answered with the outcome as text.
struct Probe {
    running: AtomicUsize,
    max_running: AtomicUsize,
}

impl Probe {
    fn new() -> Arc<Probe> {
        Arc::new(Probe {
            running: AtomicUsize::new(0),
            max_running: AtomicUsize::new(0),
        })
    }
}

struct ProbeServant(Arc<Probe>);

/// Threads that complete promises: `echo(s)` answers `s` from one of them.
type Completion = (ice_runtime::dispatch::Promise<String, Error>, String);

fn completer_threads(n: usize) -> std::sync::mpsc::Sender<Completion> {
    let (tx, rx) = std::sync::mpsc::channel::<Completion>();
    let rx = Arc::new(std::sync::Mutex::new(rx));
    for _ in 0..n {
        let rx = rx.clone();
        std::thread::spawn(move || loop {
            let next = rx.lock().unwrap().recv();
            match next {
                Ok((promise, text)) => promise.set_result(text),
                Err(_) => return,
            }
        });
    }
    tx
}

struct EchoServant(std::sync::Mutex<std::sync::mpsc::Sender<Completion>>);

impl Servant for EchoServant {
    fn ice_ids(&self) -> &'static [&'static str] {
        &["::Ice::Object", "::T::Echo"]
    }
    fn ice_id(&self) -> &'static str {
        "::T::Echo"
    }
    fn dispatch(&self, request: Request) -> Dispatched {
        match request.operation() {
            "echo" => request.dispatch(
                OperationMode::Normal,
                |i| i.read_string(),
                |text, _: &Current| {
                    let (promise, dispatch) = Dispatch::<String, Error>::promise();
                    let _ = self.0.lock().unwrap().send((promise, text));
                    dispatch
                },
                |out, v| out.write_string(&v),
            ),
            _ => request.dispatch_builtin(self),
        }
    }
}

impl Servant for ProbeServant {
    fn ice_ids(&self) -> &'static [&'static str] {
        &["::Ice::Object", "::T::Probe"]
    }
    fn ice_id(&self) -> &'static str {
        "::T::Probe"
    }
    fn dispatch(&self, request: Request) -> Dispatched {
        let probe = &self.0;
        match request.operation() {
            "where" => request.dispatch(
                OperationMode::Normal,
                |_| Ok(()),
                |(), _: &Current| {
                    let name = std::thread::current().name().unwrap_or("").to_owned();
                    Dispatch::<String, Error>::ok(format!("{name} {}", is_dispatch_thread()))
                },
                |out, v| out.write_string(&v),
            ),
            "sleep" => request.dispatch(
                OperationMode::Normal,
                |i| i.read_i32(),
                |ms, _: &Current| {
                    let now = probe.running.fetch_add(1, Ordering::SeqCst) + 1;
                    probe.max_running.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(ms as u64));
                    probe.running.fetch_sub(1, Ordering::SeqCst);
                    Dispatch::<i32, Error>::ok(ms)
                },
                |out, v| out.write_i32(v),
            ),
            "later" => request.dispatch(
                OperationMode::Normal,
                |i| i.read_i32(),
                |ms, _: &Current| {
                    // Created here, on the dispatching thread; awaited elsewhere.
                    let timer = tokio::time::sleep(Duration::from_millis(ms as u64));
                    Dispatch::<i32, Error>::pending(async move {
                        timer.await;
                        Ok(ms)
                    })
                },
                |out, v| out.write_i32(v),
            ),
            "never" => request.dispatch(
                OperationMode::Normal,
                |_| Ok(()),
                |(), _: &Current| {
                    // Nothing can ever wake this future.
                    Dispatch::<(), Error>::pending(std::future::pending())
                },
                |_, ()| {},
            ),
            "destroy" => request.dispatch(
                OperationMode::Normal,
                |_| Ok(()),
                |(), current: &Current| {
                    if let Some(c) = current.adapter.communicator() {
                        c.destroy();
                    }
                    Dispatch::<(), Error>::ok(())
                },
                |_, ()| {},
            ),
            "forward" => request.dispatch(
                OperationMode::Normal,
                |i| i.read_string(),
                |target, current: &Current| {
                    let communicator = current.adapter.communicator().cloned();
                    let outcome = match communicator.map(|c| c.string_to_proxy(&target)) {
                        Some(Ok(prx)) => match prx.ice_invocation_timeout(3000).ice_ping().wait() {
                            Ok(()) => "ok".to_owned(),
                            Err(e) => format!("{e}"),
                        },
                        Some(Err(e)) => format!("bad proxy: {e}"),
                        None => "no communicator".to_owned(),
                    };
                    Dispatch::<String, Error>::ok(outcome)
                },
                |out, v| out.write_string(&v),
            ),
            _ => request.dispatch_builtin(self),
        }
    }
}

fn adapter(communicator: &Communicator, name: &str, probe: &Arc<Probe>) -> ObjectAdapter {
    communicator
        .properties()
        .set(&format!("{name}.ThreadPool.Size"), "1");
    let adapter = communicator
        .create_object_adapter_with_endpoints(name, "tcp -h 127.0.0.1 -p 0")
        .unwrap();
    adapter
        .add(ProbeServant(probe.clone()), Identity::new("probe"))
        .unwrap();
    adapter.activate().unwrap();
    adapter
}

fn call_string(
    communicator: &Communicator,
    proxy: &str,
    op: &str,
    params: &[u8],
) -> Result<String, Error> {
    let prx = communicator.string_to_proxy(proxy)?;
    let reply = prx.invoke(op, OperationMode::Normal, params, None).wait()?;
    reply.input().read_string().map_err(Error::from)
}

#[test]
fn requests_run_on_the_adapters_one_dispatch_thread() {
    let server = Communicator::with_properties(Properties::new()).unwrap();
    let probe = Probe::new();
    let a = adapter(&server, "Solo", &probe);
    assert_eq!(a.dispatch_thread_count(), 1);
    let text = a.proxy_string(&Identity::new("probe"));
    // Two clients, two connections: both are served by the same thread.
    for _ in 0..2 {
        let client = Communicator::with_properties(Properties::new()).unwrap();
        let got = call_string(&client, &text, "where", &[]).unwrap();
        assert_eq!(got, "Solo-dispatch-0 true");
        client.destroy();
    }
    server.destroy();
}

#[test]
fn one_thread_runs_one_synchronous_dispatch_at_a_time_and_pending_ones_do_not_hold_it() {
    let server = Communicator::with_properties(Properties::new()).unwrap();
    let probe = Probe::new();
    let a = adapter(&server, "Solo", &probe);
    let text = a.proxy_string(&Identity::new("probe"));
    let clients: Vec<Communicator> = (0..3)
        .map(|_| Communicator::with_properties(Properties::new()).unwrap())
        .collect();

    // Three blocking calls from three connections: one after the other.
    let start = Instant::now();
    let calls: Vec<_> = clients
        .iter()
        .map(|c| {
            let prx = c.string_to_proxy(&text).unwrap();
            prx.invoke("sleep", OperationMode::Normal, &100i32.to_le_bytes(), None)
        })
        .collect();
    for call in calls {
        assert_eq!(call.wait().unwrap().input().read_i32().unwrap(), 100);
    }
    assert!(start.elapsed() >= Duration::from_millis(300));
    assert_eq!(probe.max_running.load(Ordering::SeqCst), 1);

    // 300 pending calls of 200 ms on the same thread: together, not one after the other.
    let start = Instant::now();
    let calls: Vec<_> = clients
        .iter()
        .flat_map(|c| {
            let prx = c.string_to_proxy(&text).unwrap();
            (0..100).map(move |_| {
                prx.invoke("later", OperationMode::Normal, &200i32.to_le_bytes(), None)
            })
        })
        .collect();
    for call in calls {
        assert_eq!(call.wait().unwrap().input().read_i32().unwrap(), 200);
    }
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(200));
    assert!(
        took < Duration::from_secs(3),
        "300 pending calls took {took:?}"
    );
    for c in clients {
        c.destroy();
    }
    server.destroy();
}

#[test]
fn a_synchronous_servant_blocks_on_other_servers_but_not_on_itself() {
    let server = Communicator::with_properties(Properties::new()).unwrap();
    let probe = Probe::new();
    let first = adapter(&server, "First", &probe);
    let second = adapter(&server, "Second", &probe);
    let client = Communicator::with_properties(Properties::new()).unwrap();
    let first_text = first.proxy_string(&Identity::new("probe"));
    let second_text = second.proxy_string(&Identity::new("probe"));

    // First's thread waits for Second's (another adapter, another thread).
    let got = call_string(&client, &first_text, "forward", &string_param(&second_text)).unwrap();
    assert_eq!(got, "ok");
    // Chained twice: Second's thread waits for First's, which is free again by then.
    let got = call_string(&client, &second_text, "forward", &string_param(&first_text)).unwrap();
    assert_eq!(got, "ok");
    // First's only thread waiting for First would never return: refused at once.
    let start = Instant::now();
    let got = call_string(&client, &first_text, "forward", &string_param(&first_text)).unwrap();
    assert!(got.contains("deadlock"), "self-call outcome: {got}");
    assert!(start.elapsed() < Duration::from_secs(2));
    // The refusal left the adapter healthy.
    assert_eq!(
        call_string(&client, &first_text, "where", &[]).unwrap(),
        "First-dispatch-0 true"
    );
    client.destroy();
    server.destroy();
}

#[test]
fn destruction_closes_the_connections_without_waiting_for_the_clients() {
    let server = Communicator::with_properties(Properties::new()).unwrap();
    let probe = Probe::new();
    let a = adapter(&server, "Solo", &probe);
    let text = a.proxy_string(&Identity::new("probe"));
    let client = Communicator::with_properties(Properties::new()).unwrap();
    let prx = client.string_to_proxy(&text).unwrap();
    prx.ice_ping().wait().unwrap();
    // The client keeps its connection open; destroying the server still ends promptly.
    let start = Instant::now();
    server.destroy();
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "destroy took {:?}",
        start.elapsed()
    );
    // The client sees the server gone.
    assert!(prx.ice_ping().wait().is_err());
    client.destroy();
}

#[test]
fn servant_code_may_create_timers_on_any_dispatch_thread() {
    // One thread (the adapter's own runtime) and two (plain threads in the communicator's
    // runtime context): a timer created before the pending future is returned works on both.
    for threads in ["1", "2"] {
        let server = Communicator::with_properties(Properties::new()).unwrap();
        server.properties().set("Multi.ThreadPool.Size", threads);
        let probe = Probe::new();
        let a = server
            .create_object_adapter_with_endpoints("Multi", "tcp -h 127.0.0.1 -p 0")
            .unwrap();
        a.add(ProbeServant(probe.clone()), Identity::new("probe"))
            .unwrap();
        a.activate().unwrap();
        assert_eq!(a.dispatch_thread_count().to_string(), threads);
        let client = Communicator::with_properties(Properties::new()).unwrap();
        let prx = client
            .string_to_proxy(&a.proxy_string(&Identity::new("probe")))
            .unwrap();
        let reply = prx
            .invoke("later", OperationMode::Normal, &20i32.to_le_bytes(), None)
            .wait()
            .unwrap();
        assert_eq!(reply.input().read_i32().unwrap(), 20, "{threads} thread(s)");
        client.destroy();
        server.destroy();
    }
}

/// Reads one whole protocol message from a blocking socket.
fn read_message(stream: &mut std::net::TcpStream) -> Vec<u8> {
    use std::io::Read;
    let mut header = [0u8; ice_runtime::incoming::HEADER_SIZE];
    stream.read_exact(&mut header).unwrap();
    let size = i32::from_le_bytes([header[10], header[11], header[12], header[13]]) as usize;
    let mut message = header.to_vec();
    message.resize(size, 0);
    stream
        .read_exact(&mut message[ice_runtime::incoming::HEADER_SIZE..])
        .unwrap();
    message
}

#[test]
fn requests_sent_together_are_all_answered_in_order() {
    use std::io::Write;
    let server = Communicator::with_properties(Properties::new()).unwrap();
    let probe = Probe::new();
    let a = adapter(&server, "Solo", &probe);
    let port = a.endpoints()[0].port;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let validate = read_message(&mut stream);
    assert_eq!(validate[8], 3, "validate connection first");

    // 200 requests in one write, twice: ready ones, blocking ones and pending ones mixed.
    // Every reply arrives, in request order for the ready and blocking ones (each is answered
    // before the next is read), none waits for the last one, which stays pending.
    let identity = Identity::new("probe");
    let context = Default::default();
    for round in 0..2 {
        let mut burst = Vec::new();
        for id in 1..=200 {
            let (operation, params) = match id % 50 {
                // Pending ones (the last one too) stay pending long: they must not hold back
                // the others' replies.
                _ if id == 200 => ("later", 1500i32.to_le_bytes().to_vec()),
                0 => ("sleep", 5i32.to_le_bytes().to_vec()),
                25 => ("later", 1500i32.to_le_bytes().to_vec()),
                _ => ("where", Vec::new()),
            };
            burst.extend(protocol::encode_request(
                id,
                &protocol::RequestFields {
                    identity: &identity,
                    facet: "",
                    operation,
                    mode: OperationMode::Normal,
                    context: &context,
                    encoding: ice_runtime::encoding::ENCODING_1_1,
                    params: &params,
                },
            ));
        }
        stream.write_all(&burst).unwrap();
        let start = Instant::now();
        let mut ids = Vec::new();
        for n in 1..=200 {
            if n == 196 {
                let took = start.elapsed();
                assert!(
                    took < Duration::from_millis(1000),
                    "195 replies took {took:?}"
                );
            }
            let message = read_message(&mut stream);
            match protocol::read_message(&message, 1 << 20).unwrap() {
                protocol::Message::Reply(reply) => {
                    let (status, _, _) = reply.body.into_result().unwrap();
                    assert_eq!(status, ice_runtime::identity::ReplyStatus::Ok);
                    ids.push(reply.request_id);
                }
                other => panic!("round {round}: expected a reply, got {other:?}"),
            }
        }
        let pending: Vec<i32> = (1..=200).filter(|id| id % 50 == 25 || *id == 200).collect();
        let direct: Vec<i32> = ids
            .iter()
            .copied()
            .filter(|id| !pending.contains(id))
            .collect();
        let expected: Vec<i32> = (1..=200).filter(|id| !pending.contains(id)).collect();
        assert_eq!(direct, expected, "round {round}");
        let mut all = ids.clone();
        all.sort_unstable();
        assert_eq!(all, (1..=200).collect::<Vec<i32>>(), "round {round}");
    }
    drop(stream);
    server.destroy();
}

#[test]
fn replies_completed_by_many_threads_at_once_arrive_whole() {
    let server = Communicator::with_properties(Properties::new()).unwrap();
    let a = server
        .create_object_adapter_with_endpoints("Echo", "tcp -h 127.0.0.1 -p 0")
        .unwrap();
    a.add(
        EchoServant(std::sync::Mutex::new(completer_threads(6))),
        Identity::new("echo"),
    )
    .unwrap();
    a.activate().unwrap();
    let client = Communicator::with_properties(Properties::new()).unwrap();
    let prx = client
        .string_to_proxy(&a.proxy_string(&Identity::new("echo")))
        .unwrap()
        .ice_invocation_timeout(10_000);
    // 3,000 calls in flight on one connection, their replies of many sizes completed by six
    // threads together: a reply cut into or lost would fail a call or its check.
    let texts: Vec<String> = (0..3000)
        .map(|i| format!("{i}:{}", "x".repeat(i * 37 % 700)))
        .collect();
    let calls: Vec<_> = texts
        .iter()
        .map(|t| prx.invoke("echo", OperationMode::Normal, &string_param(t), None))
        .collect();
    for (call, text) in calls.into_iter().zip(&texts) {
        let reply = call.wait().unwrap();
        assert_eq!(&reply.input().read_string().unwrap(), text);
    }
    client.destroy();
    server.destroy();
}

#[test]
fn heartbeats_keep_flowing_while_the_one_thread_is_blocked() {
    // The server sends heartbeats while it dispatches; the client closes a connection on
    // which an invocation waits and nothing arrives for a second. A 2.5 s synchronous
    // dispatch holds the adapter's only thread; its heartbeats must still leave.
    let server = Communicator::with_properties(Properties::new()).unwrap();
    server.properties().set("Solo.ACM.Timeout", "1");
    server.properties().set("Solo.ACM.Heartbeat", "1");
    let probe = Probe::new();
    let a = adapter(&server, "Solo", &probe);
    let props = Properties::new();
    props.set("Ice.ACM.Client.Timeout", "1");
    props.set("Ice.ACM.Client.Close", "2");
    props.set("Ice.ACM.Client.Heartbeat", "0");
    let client = Communicator::with_properties(props).unwrap();
    let prx = client
        .string_to_proxy(&a.proxy_string(&Identity::new("probe")))
        .unwrap();
    let reply = prx
        .invoke("sleep", OperationMode::Normal, &2500i32.to_le_bytes(), None)
        .wait()
        .unwrap();
    assert_eq!(reply.input().read_i32().unwrap(), 2500);
    client.destroy();
    server.destroy();
}

#[test]
fn a_servant_may_destroy_its_communicator() {
    // Destruction waits for the dispatches in progress: from a dispatch it starts and
    // returns, instead of waiting for itself.
    for threads in ["1", "2"] {
        let server = Communicator::with_properties(Properties::new()).unwrap();
        server.properties().set("Solo.ThreadPool.Size", threads);
        let probe = Probe::new();
        let a = server
            .create_object_adapter_with_endpoints("Solo", "tcp -h 127.0.0.1 -p 0")
            .unwrap();
        a.add(ProbeServant(probe.clone()), Identity::new("probe"))
            .unwrap();
        a.activate().unwrap();
        let client = Communicator::with_properties(Properties::new()).unwrap();
        let prx = client
            .string_to_proxy(&a.proxy_string(&Identity::new("probe")))
            .unwrap()
            .ice_invocation_timeout(5000);
        let start = Instant::now();
        // The reply may or may not leave before the connection closes; neither hangs.
        let _ = prx
            .invoke("destroy", OperationMode::Normal, &[], None)
            .wait();
        let deadline = Instant::now() + Duration::from_secs(5);
        while !server.is_destroyed() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(server.is_destroyed(), "{threads} thread(s)");
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{threads} thread(s)"
        );
        let _ = server.wait_for_shutdown();
        client.destroy();
    }
}

#[test]
fn a_pending_result_nothing_can_complete_is_answered_not_left_hanging() {
    for threads in ["1", "2"] {
        let server = Communicator::with_properties(Properties::new()).unwrap();
        server.properties().set("Solo.ThreadPool.Size", threads);
        let probe = Probe::new();
        let a = server
            .create_object_adapter_with_endpoints("Solo", "tcp -h 127.0.0.1 -p 0")
            .unwrap();
        a.add(ProbeServant(probe.clone()), Identity::new("probe"))
            .unwrap();
        a.activate().unwrap();
        let client = Communicator::with_properties(Properties::new()).unwrap();
        let prx = client
            .string_to_proxy(&a.proxy_string(&Identity::new("probe")))
            .unwrap()
            .ice_invocation_timeout(5000);
        let start = Instant::now();
        let outcome = prx.invoke("never", OperationMode::Normal, &[], None).wait();
        match outcome {
            Err(Error::UnknownException(text)) => {
                assert!(text.contains("without a reply"), "{text}")
            }
            other => panic!("{threads} thread(s): expected UnknownException, got {other:?}"),
        }
        assert!(start.elapsed() < Duration::from_secs(2));
        // The reply leaves as the future is dropped; the count follows just after.
        let deadline = Instant::now() + Duration::from_secs(2);
        while a.dispatch_count() != 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(a.dispatch_count(), 0);
        client.destroy();
        server.destroy();
    }
}

#[test]
fn a_holding_adapter_reads_nothing_until_activated_again() {
    let server = Communicator::with_properties(Properties::new()).unwrap();
    let probe = Probe::new();
    let a = adapter(&server, "Solo", &probe);
    let client = Communicator::with_properties(Properties::new()).unwrap();
    let prx = client
        .string_to_proxy(&a.proxy_string(&Identity::new("probe")))
        .unwrap()
        .ice_invocation_timeout(10_000);
    prx.ice_ping().wait().unwrap();
    a.hold().unwrap();
    let call = {
        let prx = prx.clone();
        std::thread::spawn(move || {
            let reply = prx
                .invoke("where", OperationMode::Normal, &[], None)
                .wait()?;
            reply.input().read_string().map_err(Error::from)
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    assert!(!call.is_finished(), "answered while holding");
    a.activate().unwrap();
    assert_eq!(call.join().unwrap().unwrap(), "Solo-dispatch-0 true");
    client.destroy();
    server.destroy();
}
