//! Shared by the interop server and AMD tests: `Disp::Server` (Disp.ice) written by hand in
//! the shape slicec-rs generates, a servant that waits in every AMD style, and a server
//! harness (communicator + adapter on 127.0.0.1 with an OS-assigned port).

#![allow(dead_code)]

use ice_runtime::adapter::ObjectAdapter;
use ice_runtime::communicator::Communicator;
use ice_runtime::dispatch::{
    Current, Dispatch, DispatchError, Dispatched, ErrorReply, Promise, Request, Servant,
};
use ice_runtime::encoding::{Format, InputStream, OutputStream, UserException};
use ice_runtime::identity::{Identity, OperationMode};
use ice_runtime::properties::Properties;
use ice_runtime::proxy::{ObjectPrx, Wait};
use ice_runtime::Error;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------- generated shape ----

/// `exception BaseError { string reason; }`
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BaseError {
    pub reason: String,
}

/// `exception DerivedError extends BaseError { int code; }`
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DerivedError {
    pub reason: String,
    pub code: i32,
}

impl std::fmt::Display for BaseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "::Disp::BaseError {{ reason = {} }}", self.reason)
    }
}
impl std::error::Error for BaseError {}
impl std::fmt::Display for DerivedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "::Disp::DerivedError {{ reason = {}, code = {} }}",
            self.reason, self.code
        )
    }
}
impl std::error::Error for DerivedError {}

// As slicec-rs generates them: one slice per exception in the hierarchy, most derived
// first; the runtime writes the format (compact or sliced) the operation asks for.
impl UserException for BaseError {
    fn ice_id(&self) -> &'static str {
        "::Disp::BaseError"
    }
    fn ice_write_slices(&self, out: &mut OutputStream) {
        out.start_slice("::Disp::BaseError", None, true);
        out.write_string(&self.reason);
        out.end_slice();
    }
}

impl UserException for DerivedError {
    fn ice_id(&self) -> &'static str {
        "::Disp::DerivedError"
    }
    fn ice_write_slices(&self, out: &mut OutputStream) {
        out.start_slice("::Disp::DerivedError", None, false);
        out.write_i32(self.code);
        out.end_slice();
        out.start_slice("::Disp::BaseError", None, true);
        out.write_string(&self.reason);
        out.end_slice();
    }
}

/// The error of `fail` (`throws BaseError`).
#[derive(Debug)]
pub enum FailError {
    BaseError(BaseError),
    DerivedError(DerivedError),
    Ice(Error),
}

impl From<Error> for FailError {
    fn from(e: Error) -> FailError {
        FailError::Ice(e)
    }
}

impl DispatchError for FailError {
    fn error_reply(&self) -> ErrorReply<'_> {
        match self {
            FailError::BaseError(e) => ErrorReply::User(e),
            FailError::DerivedError(e) => ErrorReply::User(e),
            FailError::Ice(e) => ErrorReply::Runtime(e),
        }
    }
}

/// `interface Server`.
pub trait Server: Send + Sync + 'static {
    fn op_out(&self, a: i32, current: &Current) -> Dispatch<(i32, String, i32), Error>;
    fn echo_string(&self, s: String, current: &Current) -> Dispatch<String, Error>;
    fn get_value(&self, current: &Current) -> Dispatch<i32, Error>;
    fn fail(&self, kind: String, current: &Current) -> Dispatch<(), FailError>;
    fn notify(&self, msg: String, current: &Current) -> Dispatch<(), Error>;
    fn count(&self, current: &Current) -> Dispatch<i32, Error>;
    fn get_context(&self, current: &Current) -> Dispatch<HashMap<String, String>, Error>;
    fn sleep_sync(&self, ms: i32, current: &Current) -> Dispatch<i32, Error>;
    fn sleep_pending(&self, ms: i32, current: &Current) -> Dispatch<i32, Error>;
    fn sleep_promise(&self, ms: i32, current: &Current) -> Dispatch<i32, Error>;
    fn sleep_chained(&self, ms: i32, current: &Current) -> Dispatch<i32, Error>;
    fn sleep_async(&self, ms: i32, current: &Current) -> Dispatch<i32, Error>;
    fn drop_promise(&self, ms: i32, current: &Current) -> Dispatch<i32, Error>;
    fn nested_blocking(&self, ms: i32, current: &Current) -> Dispatch<i32, Error>;
    fn self_call(&self, ms: i32, current: &Current) -> Dispatch<i32, Error>;
}

/// Makes a `Server` implementation an Ice object.
pub struct ServerServant<S: ?Sized>(pub Arc<S>);

impl<S: Server> ServerServant<S> {
    pub fn new(servant: S) -> Self {
        ServerServant(Arc::new(servant))
    }
}

fn write_ctx(out: &mut OutputStream, ctx: HashMap<String, String>) {
    out.write_size(ctx.len());
    for (k, v) in &ctx {
        out.write_string(k);
        out.write_string(v);
    }
}

impl<S: Server + ?Sized> Servant for ServerServant<S> {
    fn ice_ids(&self) -> &'static [&'static str] {
        &["::Disp::Server", "::Ice::Object"]
    }

    fn ice_id(&self) -> &'static str {
        "::Disp::Server"
    }

    fn dispatch(&self, request: Request) -> Dispatched {
        let s = &*self.0;
        let normal = OperationMode::Normal;
        let int_op = |request: Request, f: fn(&S, i32, &Current) -> Dispatch<i32, Error>| {
            request.dispatch(
                normal,
                |input| input.read_i32(),
                |ms, current| f(s, ms, current),
                |out, r| out.write_i32(r),
            )
        };
        match request.operation() {
            "opOut" => request.dispatch(
                normal,
                |input| input.read_i32(),
                |a, current| s.op_out(a, current),
                |out, (ret, text, twice)| {
                    out.write_string(&text);
                    out.write_i32(twice);
                    out.write_i32(ret);
                },
            ),
            "echoString" => request.dispatch(
                normal,
                |input| input.read_string(),
                |v, current| s.echo_string(v, current),
                |out, r| out.write_string(&r),
            ),
            "getValue" => request.dispatch(
                OperationMode::Idempotent,
                |_| Ok(()),
                |(), current| s.get_value(current),
                |out, r| out.write_i32(r),
            ),
            "fail" => request.dispatch(
                normal,
                |input| input.read_string(),
                |kind, current| s.fail(kind, current),
                |_, ()| {},
            ),
            "failSliced" => request.with_format(Format::Sliced).dispatch(
                normal,
                |input| input.read_string(),
                |kind, current| s.fail(kind, current),
                |_, ()| {},
            ),
            "notify" => request.dispatch(
                normal,
                |input| input.read_string(),
                |msg, current| s.notify(msg, current),
                |_, ()| {},
            ),
            "count" => request.dispatch(
                normal,
                |_| Ok(()),
                |(), current| s.count(current),
                |out, r| out.write_i32(r),
            ),
            "getContext" => request.dispatch(
                normal,
                |_| Ok(()),
                |(), current| s.get_context(current),
                write_ctx,
            ),
            "sleepSync" => int_op(request, S::sleep_sync),
            "sleepPending" => int_op(request, S::sleep_pending),
            "sleepPromise" => int_op(request, S::sleep_promise),
            "sleepChained" => int_op(request, S::sleep_chained),
            "sleepAsync" => int_op(request, S::sleep_async),
            "dropPromise" => int_op(request, S::drop_promise),
            "nestedBlocking" => int_op(request, S::nested_blocking),
            "selfCall" => int_op(request, S::self_call),
            _ => request.dispatch_builtin(self),
        }
    }
}

// ---------------------------------------------------------------- implementation ----

/// One worker thread that completes promises when their time comes (the seed's job queue).
pub struct Worker {
    jobs: mpsc::Sender<(Instant, Promise<i32, Error>, i32)>,
}

impl Worker {
    pub fn start() -> Worker {
        let (tx, rx) = mpsc::channel::<(Instant, Promise<i32, Error>, i32)>();
        std::thread::spawn(move || {
            let mut waiting: Vec<(Instant, Promise<i32, Error>, i32)> = Vec::new();
            loop {
                let timeout = waiting
                    .iter()
                    .map(|(t, _, _)| t.saturating_duration_since(Instant::now()))
                    .min()
                    .unwrap_or(Duration::from_secs(3600));
                match rx.recv_timeout(timeout) {
                    Ok(job) => waiting.push(job),
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    Err(mpsc::RecvTimeoutError::Disconnected) => return,
                }
                let now = Instant::now();
                let (due, rest): (Vec<_>, Vec<_>) =
                    waiting.into_iter().partition(|(t, _, _)| *t <= now);
                waiting = rest;
                for (_, promise, v) in due {
                    promise.set_result(v);
                }
            }
        });
        Worker { jobs: tx }
    }
}

/// Where `sleepChained` and `nestedBlocking` forward their call (`sleepPending` on
/// another adapter), and the server's own endpoint for `selfCall`.
#[derive(Clone)]
pub struct ChainTarget {
    /// A proxy for the backend object.
    pub backend: ObjectPrx,
    /// A proxy for this server's own object.
    pub own: ObjectPrx,
    /// The port of this server's adapter.
    pub own_port: u16,
}

pub struct ServerI {
    pub name: String,
    pub notified: AtomicI32,
    pub worker: Worker,
    pub chain: Option<ChainTarget>,
}

impl ServerI {
    pub fn new(name: &str, chain: Option<ChainTarget>) -> ServerI {
        ServerI {
            name: name.to_owned(),
            notified: AtomicI32::new(0),
            worker: Worker::start(),
            chain,
        }
    }
}

/// The chained invocation, as generated code will write it: encode the parameters, invoke,
/// decode the result; the future is `'static + Send`.
fn sleep_pending_call(
    prx: &ObjectPrx,
    ms: i32,
) -> impl std::future::Future<Output = Result<i32, Error>> + Send + 'static {
    let reply = prx.invoke(
        "sleepPending",
        OperationMode::Normal,
        &ms.to_le_bytes(),
        None,
    );
    async move {
        let payload = reply.await?.into_ok_payload()?;
        Ok(InputStream::new(&payload).read_i32()?)
    }
}

impl Server for ServerI {
    fn op_out(&self, a: i32, _: &Current) -> Dispatch<(i32, String, i32), Error> {
        Dispatch::ok((a + 1, format!("got {a}"), a * 2))
    }

    fn echo_string(&self, s: String, current: &Current) -> Dispatch<String, Error> {
        if current.id.category == "dflt" {
            return Dispatch::ok(format!("default:{}", current.id.name));
        }
        Dispatch::ok(s)
    }

    fn get_value(&self, _: &Current) -> Dispatch<i32, Error> {
        Dispatch::ok(7)
    }

    fn fail(&self, kind: String, _: &Current) -> Dispatch<(), FailError> {
        let none = || (Identity::default(), String::new(), String::new());
        let e = match kind.as_str() {
            "user" => FailError::DerivedError(DerivedError {
                reason: "denied".into(),
                code: 13,
            }),
            "base" => FailError::BaseError(BaseError {
                reason: "base reason".into(),
            }),
            "objectnotexist" => {
                let (identity, facet, operation) = none();
                FailError::Ice(Error::ObjectNotExist {
                    identity,
                    facet,
                    operation,
                })
            }
            "facet" => {
                let (identity, facet, operation) = none();
                FailError::Ice(Error::FacetNotExist {
                    identity,
                    facet,
                    operation,
                })
            }
            "operation" => {
                let (identity, facet, operation) = none();
                FailError::Ice(Error::OperationNotExist {
                    identity,
                    facet,
                    operation,
                })
            }
            "local" => FailError::Ice(Error::MemoryLimit { size: 10, max: 5 }),
            "unknownlocal" => FailError::Ice(Error::UnknownLocalException(
                "explicit unknown local text".into(),
            )),
            "unknownuser" => FailError::Ice(Error::UnknownUserException(
                "explicit unknown user text".into(),
            )),
            "unknown" => FailError::Ice(Error::UnknownException("explicit unknown text".into())),
            "panic" => panic!("kaboom"),
            "asyncpanic" => {
                return Dispatch::pending(async {
                    tokio::task::yield_now().await;
                    panic!("async kaboom")
                })
            }
            _ => return Dispatch::ok(()),
        };
        Dispatch::err(e)
    }

    fn notify(&self, _msg: String, _: &Current) -> Dispatch<(), Error> {
        self.notified.fetch_add(1, Ordering::SeqCst);
        Dispatch::ok(())
    }

    fn count(&self, _: &Current) -> Dispatch<i32, Error> {
        Dispatch::ok(self.notified.load(Ordering::SeqCst))
    }

    fn get_context(&self, current: &Current) -> Dispatch<HashMap<String, String>, Error> {
        Dispatch::ok(current.ctx.clone())
    }

    fn sleep_sync(&self, ms: i32, _: &Current) -> Dispatch<i32, Error> {
        std::thread::sleep(Duration::from_millis(ms as u64));
        Dispatch::ok(ms)
    }

    fn sleep_pending(&self, ms: i32, _: &Current) -> Dispatch<i32, Error> {
        // A future built from combinators (not an async block); the timer is created when
        // the future is first polled, on the I/O runtime.
        use futures::FutureExt;
        let d = Duration::from_millis(ms as u64);
        Dispatch::pending(
            futures::future::ready(())
                .then(move |()| tokio::time::sleep(d))
                .map(move |()| Ok(ms)),
        )
    }

    fn sleep_promise(&self, ms: i32, _: &Current) -> Dispatch<i32, Error> {
        let (promise, dispatch) = Dispatch::promise();
        let due = Instant::now() + Duration::from_millis(ms as u64);
        if let Err(mpsc::SendError((_, promise, _))) = self.worker.jobs.send((due, promise, ms)) {
            promise.set_exception(Error::Other("worker stopped".into()));
        }
        dispatch
    }

    fn sleep_chained(&self, ms: i32, _: &Current) -> Dispatch<i32, Error> {
        match &self.chain {
            Some(target) => Dispatch::pending(sleep_pending_call(&target.backend, ms)),
            None => Dispatch::err(Error::Other("no chain target".into())),
        }
    }

    fn sleep_async(&self, ms: i32, _: &Current) -> Dispatch<i32, Error> {
        let half = Duration::from_millis(ms as u64 / 2);
        Dispatch::pending(async move {
            tokio::time::sleep(half).await;
            tokio::time::sleep(half).await;
            Ok(ms)
        })
    }

    fn nested_blocking(&self, ms: i32, _: &Current) -> Dispatch<i32, Error> {
        // A synchronous servant blocking on a call to another server (allowed: replies are
        // read by the I/O runtime, not by this dispatch thread).
        let Some(target) = &self.chain else {
            return Dispatch::err(Error::Other("no chain target".into()));
        };
        Dispatch::Ready(sleep_pending_call(&target.backend, ms).wait())
    }

    fn self_call(&self, _ms: i32, _: &Current) -> Dispatch<i32, Error> {
        // A synchronous servant about to block on a call to its own adapter, every dispatch
        // thread busy: the check refuses it instead of deadlocking.
        let Some(target) = &self.chain else {
            return Dispatch::err(Error::Other("no chain target".into()));
        };
        if let Err(e) =
            ice_runtime::adapter::check_blocking_invocation("127.0.0.1", target.own_port)
        {
            return Dispatch::err(Error::UnknownException(e.to_string()));
        }
        Dispatch::Ready(sleep_pending_call(&target.own, 1).wait())
    }

    fn drop_promise(&self, _ms: i32, _: &Current) -> Dispatch<i32, Error> {
        let (promise, dispatch) = Dispatch::promise();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            drop(promise);
        });
        dispatch
    }
}

// ---------------------------------------------------------------- harness ----

/// The folder with Disp.ice and client.py.
pub fn support_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop_server_support")
}

/// A Rust server: a communicator and an adapter named `Server` on 127.0.0.1.
pub struct RustServer {
    pub communicator: Communicator,
    pub adapter: ObjectAdapter,
    port: u16,
}

impl RustServer {
    /// Starts with extra properties (`name=value`).
    pub fn start(props: &[(&str, &str)]) -> RustServer {
        let properties = Properties::new();
        properties.set("Server.Endpoints", "tcp -h 127.0.0.1 -p 0");
        for (k, v) in props {
            properties.set(k, v);
        }
        let communicator = Communicator::with_properties(properties).expect("communicator");
        let adapter = communicator
            .create_object_adapter("Server")
            .expect("adapter");
        let port = adapter.endpoints()[0].port;
        RustServer {
            communicator,
            adapter,
            port,
        }
    }

    /// Another adapter of the same communicator, on 127.0.0.1, activated; returns it with
    /// its port.
    pub fn second_adapter(&self, name: &str) -> (ObjectAdapter, u16) {
        let adapter = self
            .communicator
            .create_object_adapter_with_endpoints(name, "tcp -h 127.0.0.1 -p 0")
            .expect("second adapter");
        let port = adapter.endpoints()[0].port;
        (adapter, port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A proxy string for `identity`.
    pub fn proxy(&self, identity: &str) -> String {
        format!("{identity}:tcp -h 127.0.0.1 -p {}", self.port())
    }
}

impl Drop for RustServer {
    fn drop(&mut self) {
        self.adapter.destroy();
        self.communicator.destroy();
    }
}
