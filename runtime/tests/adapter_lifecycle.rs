//! Object adapter behaviour through the `RequestHandler` contract (the real dispatch path,
//! with a reply sink that captures bytes): Ice's servant lookup order, servant locators,
//! hold/activate, deactivation draining pending dispatches, thread pool growth, `Serialize`,
//! queue back-pressure, deadlock detection, mode and parameter errors.

mod dispatch_support;

use dispatch_support::service::{ServiceI, ServiceServant};
use dispatch_support::{capture, request, status, wait};
use ice_runtime::adapter::{AdapterConfig, ObjectAdapter, ThreadPoolConfig};
use ice_runtime::dispatch::{
    Cookie, Current, Dispatch, Dispatched, LocatedServant, Request, Servant, ServantLocator,
};
use ice_runtime::encoding::InputStream;
use ice_runtime::identity::{Identity, OperationMode};
use ice_runtime::incoming::RequestHandler;
use ice_runtime::Error;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake};
use std::time::{Duration, Instant};

/// `sleep(int ms)` blocking, `sleepPending(int ms)` pending, `deadlock()` reporting whether a
/// blocking call would deadlock, `tag()` returning the servant's tag.
struct Sleeper {
    tag: &'static str,
    log: Mutex<Vec<i32>>,
    running: AtomicUsize,
    max_running: AtomicUsize,
}

impl Sleeper {
    fn new(tag: &'static str) -> Arc<Sleeper> {
        Arc::new(Sleeper {
            tag,
            log: Mutex::new(Vec::new()),
            running: AtomicUsize::new(0),
            max_running: AtomicUsize::new(0),
        })
    }
}

struct SleeperServant(Arc<Sleeper>);

impl Servant for SleeperServant {
    fn ice_ids(&self) -> &'static [&'static str] {
        &["::Ice::Object", "::T::Sleeper"]
    }
    fn ice_id(&self) -> &'static str {
        "::T::Sleeper"
    }
    fn dispatch(&self, request: Request) -> Dispatched {
        let s = &self.0;
        match request.operation() {
            "sleep" => request.dispatch(
                OperationMode::Normal,
                |i| i.read_i32(),
                |ms, _| {
                    let n = s.running.fetch_add(1, Ordering::SeqCst) + 1;
                    s.max_running.fetch_max(n, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(ms as u64));
                    s.running.fetch_sub(1, Ordering::SeqCst);
                    Dispatch::<i32, Error>::ok(ms)
                },
                |out, v| out.write_i32(v),
            ),
            "sleepPending" => request.dispatch(
                OperationMode::Normal,
                |i| i.read_i32(),
                |ms, _| {
                    Dispatch::<i32, Error>::pending(async move {
                        tokio::time::sleep(Duration::from_millis(ms as u64)).await;
                        Ok(ms)
                    })
                },
                |out, v| out.write_i32(v),
            ),
            "deadlock" => request.dispatch(
                OperationMode::Normal,
                |_| Ok(()),
                |(), current: &Current| {
                    Dispatch::<bool, Error>::ok(current.adapter.blocking_call_would_deadlock())
                },
                |out, v| out.write_bool(v),
            ),
            "record" => request.dispatch(
                OperationMode::Normal,
                |i| i.read_i32(),
                |n, _| {
                    s.log.lock().unwrap().push(n);
                    Dispatch::<(), Error>::ok(())
                },
                |_, ()| {},
            ),
            "tag" => request.dispatch(
                OperationMode::Normal,
                |_| Ok(()),
                |(), current: &Current| {
                    Dispatch::<String, Error>::ok(format!("{}:{}", s.tag, current.id.name))
                },
                |out, v| out.write_string(&v),
            ),
            _ => request.dispatch_builtin(self),
        }
    }
}

fn sleeper(tag: &'static str) -> SleeperServant {
    SleeperServant(Sleeper::new(tag))
}

struct Fixture {
    _rt: tokio::runtime::Runtime,
    adapter: ObjectAdapter,
}

fn fixture(pool: ThreadPoolConfig) -> Fixture {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let adapter = ObjectAdapter::new(
        "A",
        AdapterConfig {
            thread_pool: pool,
            ..AdapterConfig::default()
        },
        rt.handle().clone(),
    )
    .unwrap();
    Fixture { _rt: rt, adapter }
}

fn pool(size: usize, size_max: usize) -> ThreadPoolConfig {
    ThreadPoolConfig {
        size,
        size_max,
        ..ThreadPoolConfig::default()
    }
}

/// Sends a request and returns the receiver of its outcome.
fn send(
    a: &ObjectAdapter,
    id: i32,
    identity: &str,
    facet: &str,
    op: &str,
    params: Vec<u8>,
) -> std::sync::mpsc::Receiver<Option<Vec<u8>>> {
    send_on(a, id, identity, facet, op, params, "c1")
}

fn send_on(
    a: &ObjectAdapter,
    id: i32,
    identity: &str,
    facet: &str,
    op: &str,
    params: Vec<u8>,
    conn: &str,
) -> std::sync::mpsc::Receiver<Option<Vec<u8>>> {
    let (responder, rx) = capture(id);
    let identity = match identity.split_once('/') {
        Some((c, n)) => Identity::with_category(n, c),
        None => Identity::new(identity),
    };
    a.handle_request(
        request(id, identity, facet, op, OperationMode::Normal, params, conn),
        responder,
    );
    rx
}

fn reply(a: &ObjectAdapter, identity: &str, facet: &str, op: &str) -> Vec<u8> {
    wait(&send(a, 1, identity, facet, op, Vec::new())).expect("a reply")
}

fn string_result(reply: &[u8]) -> String {
    InputStream::new(&reply[25..]).read_string().unwrap()
}

#[test]
fn lookup_follows_ice_order_and_statuses() {
    let f = fixture(pool(1, 1));
    let a = &f.adapter;
    a.add(sleeper("active"), Identity::new("obj")).unwrap();
    a.add_facet(sleeper("facet"), Identity::new("obj"), "f")
        .unwrap();
    a.activate().unwrap();

    assert_eq!(string_result(&reply(a, "obj", "", "tag")), "active:obj");
    assert_eq!(string_result(&reply(a, "obj", "f", "tag")), "facet:obj");
    assert_eq!(status(&reply(a, "obj", "nofacet", "tag")), 3);
    assert_eq!(status(&reply(a, "nobody", "", "tag")), 2);
    assert_eq!(status(&reply(a, "obj", "", "noSuchOp")), 4);

    // Default servants: the category's, else the "" one; they ignore the facet.
    a.add_default_servant(sleeper("cat"), "c").unwrap();
    assert_eq!(string_result(&reply(a, "c/x", "", "tag")), "cat:x");
    assert_eq!(status(&reply(a, "d/x", "", "tag")), 2);
    a.add_default_servant(sleeper("any"), "").unwrap();
    assert_eq!(string_result(&reply(a, "d/x", "", "tag")), "any:x");
    assert_eq!(string_result(&reply(a, "nobody", "", "tag")), "any:nobody");
    // An active servant wins over default servants.
    assert_eq!(string_result(&reply(a, "obj", "", "tag")), "active:obj");
    a.remove_default_servant("").unwrap();
    assert!(a.remove_default_servant("").is_err());

    // Registration errors.
    assert!(matches!(
        a.add(sleeper("again"), Identity::new("obj")),
        Err(Error::AlreadyRegistered(_))
    ));
    assert!(matches!(
        a.remove(&Identity::new("nobody")),
        Err(Error::NotRegistered(_))
    ));
    assert!(a.add(sleeper("x"), Identity::new("")).is_err());
    assert!(a.find(&Identity::new("obj")).is_some());
    assert_eq!(a.find_all_facets(&Identity::new("obj")).len(), 2);
    a.remove(&Identity::new("obj")).unwrap();
    // The identity still has facet "f": the default facet is now FacetNotExist.
    assert_eq!(status(&reply(a, "obj", "", "tag")), 3);
    a.remove_facet(&Identity::new("obj"), "f").unwrap();
    assert_eq!(status(&reply(a, "obj", "", "tag")), 2);

    let id = a.add_with_uuid(sleeper("uuid")).unwrap();
    assert_eq!(id.name.len(), 36);
    assert_eq!(id.name.as_bytes()[14], b'4');
    assert_eq!(
        string_result(&reply(a, &id.name, "", "tag")),
        format!("uuid:{}", id.name)
    );
    a.destroy();
}

/// Locates `Sleeper`s on demand; records `finished` calls.
struct Locator {
    finished: Mutex<Vec<String>>,
    fail: AtomicBool,
    deactivated: Mutex<Vec<String>>,
}

impl ServantLocator for Locator {
    fn locate(&self, current: &Current) -> Result<Option<LocatedServant>, Error> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(Error::UnknownException("locator refused".into()));
        }
        if current.id.name == "none" {
            return Ok(None);
        }
        let cookie: Cookie = Box::new(current.id.name.clone());
        Ok(Some((Arc::new(sleeper("located")), Some(cookie))))
    }

    fn finished(&self, current: &Current, _: &Arc<dyn Servant>, cookie: Option<Cookie>) {
        let cookie = cookie
            .and_then(|c| c.downcast::<String>().ok())
            .map(|c| *c)
            .unwrap_or_default();
        self.finished
            .lock()
            .unwrap()
            .push(format!("{}:{cookie}", current.operation));
    }

    fn deactivate(&self, category: &str) {
        self.deactivated.lock().unwrap().push(category.to_owned());
    }
}

#[test]
fn servant_locators_locate_and_finish() {
    let f = fixture(pool(1, 1));
    let a = &f.adapter;
    let locator = Arc::new(Locator {
        finished: Mutex::new(Vec::new()),
        fail: AtomicBool::new(false),
        deactivated: Mutex::new(Vec::new()),
    });
    a.add_servant_locator(locator.clone(), "loc").unwrap();
    a.activate().unwrap();
    assert_eq!(
        string_result(&reply(a, "loc/one", "", "tag")),
        "located:one"
    );
    assert_eq!(status(&reply(a, "loc/none", "", "tag")), 2);
    // A pending dispatch: finished runs once it completed.
    let r = wait(&send(
        a,
        2,
        "loc/two",
        "",
        "sleepPending",
        50i32.to_le_bytes().to_vec(),
    ));
    assert_eq!(status(&r.unwrap()), 0);
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(
        *locator.finished.lock().unwrap(),
        vec!["tag:one".to_owned(), "sleepPending:two".to_owned()]
    );
    locator.fail.store(true, Ordering::SeqCst);
    let r = reply(a, "loc/three", "", "tag");
    assert_eq!(status(&r), 7);
    // Other categories are not the locator's.
    assert_eq!(status(&reply(a, "other/x", "", "tag")), 2);
    assert!(a.find_servant_locator("loc").is_some());
    a.destroy();
    assert_eq!(*locator.deactivated.lock().unwrap(), vec!["loc".to_owned()]);
}

struct Flag(AtomicBool);
impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[test]
fn hold_queues_requests_until_activate() {
    let f = fixture(pool(1, 1));
    let a = &f.adapter;
    a.add(sleeper("s"), Identity::new("s")).unwrap();
    // A new adapter holds.
    let rx = send(a, 1, "s", "", "tag", Vec::new());
    assert!(rx.recv_timeout(Duration::from_millis(200)).is_err());
    let flag = Arc::new(Flag(AtomicBool::new(false)));
    let waker = std::task::Waker::from(flag.clone());
    assert!(a.poll_ready(&mut Context::from_waker(&waker)).is_pending());
    a.activate().unwrap();
    assert!(
        flag.0.load(Ordering::SeqCst),
        "activate wakes the connection"
    );
    assert_eq!(status(&wait(&rx).unwrap()), 0);
    assert!(a.poll_ready(&mut Context::from_waker(&waker)).is_ready());
    a.hold().unwrap();
    let rx = send(a, 2, "s", "", "tag", Vec::new());
    assert!(rx.recv_timeout(Duration::from_millis(200)).is_err());
    a.activate().unwrap();
    assert_eq!(status(&wait(&rx).unwrap()), 0);
    a.destroy();
}

#[test]
fn deactivate_waits_for_pending_dispatches_then_refuses() {
    let f = fixture(pool(1, 1));
    let a = &f.adapter;
    a.add(sleeper("s"), Identity::new("s")).unwrap();
    a.activate().unwrap();
    let pending = send(a, 1, "s", "", "sleepPending", 300i32.to_le_bytes().to_vec());
    let blocking = send(a, 2, "s", "", "sleep", 100i32.to_le_bytes().to_vec());
    std::thread::sleep(Duration::from_millis(20));
    let start = Instant::now();
    a.deactivate();
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(250),
        "deactivate returned after {waited:?}"
    );
    assert_eq!(a.dispatch_count(), 0);
    assert_eq!(status(&wait(&pending).unwrap()), 0);
    assert_eq!(status(&wait(&blocking).unwrap()), 0);
    assert_eq!(status(&reply(a, "s", "", "tag")), 2);
    assert!(a.activate().is_err());
    a.destroy();
    assert!(a.add(sleeper("late"), Identity::new("late")).is_err());
}

#[test]
fn the_pool_grows_to_size_max_when_all_threads_are_busy() {
    let f = fixture(ThreadPoolConfig {
        thread_idle_time: Duration::from_millis(200),
        ..pool(1, 3)
    });
    let a = &f.adapter;
    let s = Sleeper::new("s");
    a.add(SleeperServant(s.clone()), Identity::new("s"))
        .unwrap();
    a.activate().unwrap();
    let start = Instant::now();
    let rxs: Vec<_> = (1..=3)
        .map(|i| send(a, i, "s", "", "sleep", 300i32.to_le_bytes().to_vec()))
        .collect();
    for rx in &rxs {
        assert_eq!(status(&wait(rx).unwrap()), 0);
    }
    let t = start.elapsed();
    assert!(
        t < Duration::from_millis(800),
        "3 calls on up to 3 threads took {t:?}"
    );
    assert_eq!(s.max_running.load(Ordering::SeqCst), 3);
    assert_eq!(a.dispatch_thread_count(), 3);
    // The threads started for the burst exit once idle for ThreadIdleTime.
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(a.dispatch_thread_count(), 1);
    a.destroy();
}

#[test]
fn serialize_dispatches_one_request_per_connection_at_a_time() {
    let f = fixture(ThreadPoolConfig {
        size: 4,
        size_max: 4,
        serialize: true,
        ..ThreadPoolConfig::default()
    });
    let a = &f.adapter;
    let s = Sleeper::new("s");
    a.add(SleeperServant(s.clone()), Identity::new("s"))
        .unwrap();
    a.activate().unwrap();
    let ms = 150i32.to_le_bytes().to_vec();
    let same: Vec<_> = (1..=3)
        .map(|i| send_on(a, i, "s", "", "sleep", ms.clone(), "conn-1"))
        .collect();
    for rx in &same {
        assert_eq!(status(&wait(rx).unwrap()), 0);
    }
    assert_eq!(s.max_running.load(Ordering::SeqCst), 1);
    let other: Vec<_> = (1..=3)
        .map(|i| send_on(a, i, "s", "", "sleep", ms.clone(), &format!("conn-{i}")))
        .collect();
    for rx in &other {
        assert_eq!(status(&wait(rx).unwrap()), 0);
    }
    assert_eq!(s.max_running.load(Ordering::SeqCst), 3);
    a.destroy();
}

#[test]
fn a_full_queue_applies_back_pressure() {
    let f = fixture(ThreadPoolConfig {
        size: 1,
        size_max: 1,
        queue_max: 2,
        ..ThreadPoolConfig::default()
    });
    let a = &f.adapter;
    a.add(sleeper("s"), Identity::new("s")).unwrap();
    a.activate().unwrap();
    let flag = Arc::new(Flag(AtomicBool::new(false)));
    let waker = std::task::Waker::from(flag.clone());
    let mut cx = Context::from_waker(&waker);
    let ms = 200i32.to_le_bytes().to_vec();
    let first = send(a, 1, "s", "", "sleep", ms.clone());
    std::thread::sleep(Duration::from_millis(50)); // the thread took it
    let queued: Vec<_> = (2..=3)
        .map(|i| send(a, i, "s", "", "sleep", ms.clone()))
        .collect();
    assert_eq!(a.poll_ready(&mut cx), Poll::Pending, "2 queued = QueueMax");
    assert_eq!(status(&wait(&first).unwrap()), 0);
    std::thread::sleep(Duration::from_millis(20));
    assert!(
        flag.0.load(Ordering::SeqCst),
        "taking work wakes the connection"
    );
    assert_eq!(a.poll_ready(&mut cx), Poll::Ready(()));
    for rx in &queued {
        assert_eq!(status(&wait(rx).unwrap()), 0);
    }
    a.destroy();
}

#[test]
fn blocking_calls_that_would_deadlock_are_detected() {
    let f = fixture(pool(1, 1));
    let a = &f.adapter;
    a.add(sleeper("s"), Identity::new("s")).unwrap();
    a.activate().unwrap();
    let r = reply(a, "s", "", "deadlock");
    assert_eq!(r[25], 1, "one thread, busy with this very dispatch");
    assert!(!a.blocking_call_would_deadlock(), "not a dispatch thread");
    a.destroy();

    let f = fixture(pool(1, 2));
    let a = &f.adapter;
    a.add(sleeper("s"), Identity::new("s")).unwrap();
    a.activate().unwrap();
    let r = reply(a, "s", "", "deadlock");
    assert_eq!(r[25], 0, "the pool can still grow");
    a.destroy();
}

#[test]
fn mode_mismatch_and_bad_parameters_answer_marshal_errors() {
    let f = fixture(pool(1, 1));
    let a = &f.adapter;
    a.add(
        ServiceServant::new(ServiceI::default()),
        Identity::new("service"),
    )
    .unwrap();
    a.activate().unwrap();
    // echoString with a truncated string.
    let r = wait(&send(a, 1, "service", "", "echoString", vec![5, b'a'])).unwrap();
    assert_eq!(status(&r), 5);
    let text = InputStream::new(&r[19..]).read_string().unwrap();
    assert!(text.starts_with("::Ice::MarshalException:\n"), "{text}");
    // Ice accepts Nonmutating for idempotent operations and any mode for built-ins.
    for (op, mode, want) in [
        ("getValue", OperationMode::Nonmutating, 0),
        ("getValue", OperationMode::Normal, 5),
        ("count", OperationMode::Idempotent, 5),
        ("ice_ping", OperationMode::Normal, 0),
        ("ice_ping", OperationMode::Idempotent, 0),
    ] {
        let (responder, rx) = capture(1);
        a.handle_request(
            request(1, Identity::new("service"), "", op, mode, Vec::new(), "c"),
            responder,
        );
        assert_eq!(status(&wait(&rx).unwrap()), want, "{op} {mode:?}");
    }
    // A oneway request never gets a reply, even when it fails.
    let (responder, rx) = capture(0);
    a.handle_request(
        request(
            0,
            Identity::new("nobody"),
            "",
            "x",
            OperationMode::Normal,
            vec![],
            "c",
        ),
        responder,
    );
    assert_eq!(wait(&rx), None);
    a.destroy();
}

#[test]
fn requests_of_a_connection_are_dispatched_in_arrival_order() {
    let f = fixture(pool(1, 1));
    let a = &f.adapter;
    let s = Sleeper::new("s");
    a.add(SleeperServant(s.clone()), Identity::new("s"))
        .unwrap();
    let rxs: Vec<_> = (1..=500)
        .map(|i: i32| send(a, 0, "s", "", "record", i.to_le_bytes().to_vec()))
        .collect();
    a.activate().unwrap();
    for rx in &rxs {
        assert_eq!(wait(rx), None, "oneway: no reply");
    }
    assert_eq!(*s.log.lock().unwrap(), (1..=500).collect::<Vec<i32>>());
    a.destroy();
}
