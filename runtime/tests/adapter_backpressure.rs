//! Adapter-wide limits seen from real connections: a full dispatch queue (`QueueMax`) stops
//! every connection from reading, and a blocking self-call that would deadlock a full pool is
//! refused.

use ice_runtime::adapter::ObjectAdapter;
use ice_runtime::communicator::Communicator;
use ice_runtime::dispatch::{Current, Dispatch, Dispatched, Request, Servant};
use ice_runtime::identity::{Identity, OperationMode};
use ice_runtime::properties::Properties;
use ice_runtime::proxy::Wait;
use ice_runtime::Error;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// `sleep(ms)` blocks its dispatch thread and records the most requests the adapter held at
/// once; `selfCall()` waits for a call to itself and returns the outcome as text.
struct Slow {
    max_in_flight: Arc<AtomicUsize>,
}

impl Servant for Slow {
    fn ice_ids(&self) -> &'static [&'static str] {
        &["::Ice::Object", "::T::Slow"]
    }
    fn ice_id(&self) -> &'static str {
        "::T::Slow"
    }
    fn dispatch(&self, request: Request) -> Dispatched {
        match request.operation() {
            "sleep" => request.dispatch(
                OperationMode::Normal,
                |i| i.read_i32(),
                |ms, current: &Current| {
                    let n = current.adapter.dispatch_count();
                    self.max_in_flight.fetch_max(n, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(ms as u64));
                    Dispatch::<i32, Error>::ok(ms)
                },
                |out, v| out.write_i32(v),
            ),
            "selfCall" => request.dispatch(
                OperationMode::Normal,
                |_| Ok(()),
                |(), current: &Current| {
                    let outcome = match current.adapter.create_proxy(&current.id) {
                        // The timeout turns a deadlock into a failure of this test.
                        Ok(me) => match me.ice_invocation_timeout(3000).ice_ping().wait() {
                            Ok(()) => "ok".to_owned(),
                            Err(e) => format!("{e}"),
                        },
                        Err(e) => format!("no proxy: {e}"),
                    };
                    Dispatch::<String, Error>::ok(outcome)
                },
                |out, v| out.write_string(&v),
            ),
            _ => request.dispatch_builtin(self),
        }
    }
}

fn server(queue_max: usize, size_max: usize) -> (Communicator, ObjectAdapter, Arc<AtomicUsize>) {
    let props = Properties::new();
    props.set("A.Endpoints", "tcp -h 127.0.0.1 -p 0");
    props.set("A.ThreadPool.Size", "1");
    props.set("A.ThreadPool.SizeMax", &size_max.to_string());
    props.set("A.ThreadPool.QueueMax", &queue_max.to_string());
    let communicator = Communicator::with_properties(props).unwrap();
    let adapter = communicator.create_object_adapter("A").unwrap();
    let max_in_flight = Arc::new(AtomicUsize::new(0));
    adapter
        .add(
            Slow {
                max_in_flight: max_in_flight.clone(),
            },
            Identity::new("slow"),
        )
        .unwrap();
    adapter.activate().unwrap();
    (communicator, adapter, max_in_flight)
}

#[test]
fn a_full_queue_stops_every_connection_from_reading() {
    const QUEUE_MAX: usize = 2;
    const CLIENTS: usize = 4;
    const CALLS: usize = 25;
    let (communicator, adapter, max_in_flight) = server(QUEUE_MAX, 1);
    let text = adapter.proxy_string(&Identity::new("slow"));

    // One communicator per client, so that each has its own connection.
    let clients: Vec<Communicator> = (0..CLIENTS)
        .map(|_| Communicator::with_properties(Properties::new()).unwrap())
        .collect();
    let calls: Vec<_> = clients
        .iter()
        .flat_map(|c| {
            let prx = c.string_to_proxy(&text).unwrap();
            (0..CALLS)
                .map(move |_| prx.invoke("sleep", OperationMode::Normal, &2i32.to_le_bytes(), None))
        })
        .collect();
    for call in calls {
        let reply = call.wait().unwrap();
        assert_eq!(reply.input().read_i32().unwrap(), 2);
    }
    // Each connection may have one request past the readiness check when the queue fills:
    // the queue, the running request and one per connection. Without back-pressure, every
    // connection hands over up to its `MaxDispatches` (100): all 100 requests.
    let max = max_in_flight.load(Ordering::SeqCst);
    assert!(
        max <= QUEUE_MAX + 1 + CLIENTS,
        "the adapter held {max} requests at once"
    );
    for c in clients {
        c.destroy();
    }
    communicator.destroy();
}

#[test]
fn a_blocking_self_call_that_would_deadlock_is_refused() {
    let (communicator, adapter, _) = server(10, 1);
    let prx = adapter.create_proxy(&Identity::new("slow")).unwrap();
    let reply = prx
        .invoke("selfCall", OperationMode::Normal, &[], None)
        .wait()
        .unwrap();
    let outcome = reply.input().read_string().unwrap();
    assert!(
        outcome.contains("would deadlock") && outcome.contains("`A'"),
        "{outcome}"
    );

    // With room to grow the pool, the same call succeeds.
    let (communicator2, adapter2, _) = server(10, 2);
    let prx = adapter2.create_proxy(&Identity::new("slow")).unwrap();
    let reply = prx
        .invoke("selfCall", OperationMode::Normal, &[], None)
        .wait()
        .unwrap();
    assert_eq!(reply.input().read_string().unwrap(), "ok");
    communicator.destroy();
    communicator2.destroy();
}
