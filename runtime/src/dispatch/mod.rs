//! Asynchronous Method Dispatch: what a servant method returns ([`Dispatch`]), how a request
//! reaches it ([`Request`], [`Servant`]), and how its result becomes a reply.
//!
//! The path of one request, top to bottom: a connection hands an [`IncomingRequest`] to its
//! object adapter ([`crate::incoming::RequestHandler`]); the adapter queues it for one of its
//! dispatch threads ([`crate::adapter::ThreadPoolConfig`]); the thread finds the servant and calls
//! [`Servant::dispatch`] with a [`Request`]; the generated code for the interface calls
//! [`Request::dispatch`] with three closures (decode the in-parameters, call the typed servant
//! method, encode the results). A `Ready` result is marshaled into the reply at once, on the
//! dispatch thread; a `Pending` one is returned as a future that the adapter spawns on the I/O
//! runtime, which marshals the reply on whatever thread completes it. No dispatch thread is
//! held while a future is pending.
//!
//! This module must never block an I/O thread and never let a request go unanswered: a
//! panicking servant, a dropped promise or a failed encoder all produce a reply.
//!
//! # What generated code looks like
//!
//! For `interface Hello { string sayHello(int delay) throws Busy; idempotent int load(); }`
//! the code generator emits a servant trait, a wrapper that implements [`Servant`], and an
//! error enum for operations with a `throws` clause:
//!
//! ```
//! use ice_runtime::dispatch::{
//!     Current, Dispatch, DispatchError, Dispatched, ErrorReply, Request, Servant,
//! };
//! use ice_runtime::encoding::{OutputStream, UserException};
//! use ice_runtime::{Error, OperationMode};
//! use std::sync::Arc;
//!
//! # #[derive(Debug, Default)] pub struct Busy { pub why: String }
//! # impl std::fmt::Display for Busy {
//! #     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str("Busy") }
//! # }
//! # impl std::error::Error for Busy {}
//! # impl UserException for Busy {
//! #     fn ice_id(&self) -> &'static str { "::Demo::Busy" }
//! #     fn ice_write_slices(&self, out: &mut OutputStream) {
//! #         out.start_slice("::Demo::Busy", None, true);
//! #         out.write_string(&self.why);
//! #         out.end_slice();
//! #     }
//! # }
//! /// The error of `sayHello`: its declared exceptions, plus runtime errors.
//! #[derive(Debug)]
//! pub enum SayHelloError {
//!     Busy(Busy),
//!     Ice(Error),
//! }
//! impl From<Error> for SayHelloError {
//!     fn from(e: Error) -> Self {
//!         SayHelloError::Ice(e)
//!     }
//! }
//! impl DispatchError for SayHelloError {
//!     fn error_reply(&self) -> ErrorReply<'_> {
//!         match self {
//!             SayHelloError::Busy(e) => ErrorReply::User(e),
//!             SayHelloError::Ice(e) => ErrorReply::Runtime(e),
//!         }
//!     }
//! }
//!
//! /// The servant trait: implement it, wrap it in `HelloServant`, add it to an adapter.
//! pub trait Hello: Send + Sync + 'static {
//!     fn say_hello(&self, delay: i32, current: &Current) -> Dispatch<String, SayHelloError>;
//!     fn load(&self, current: &Current) -> Dispatch<i32, Error>;
//! }
//!
//! /// Makes a `Hello` an Ice object (`adapter.add(HelloServant::new(my_hello), id)`).
//! pub struct HelloServant<S: ?Sized>(pub Arc<S>);
//! impl<S: Hello> HelloServant<S> {
//!     pub fn new(servant: S) -> Self {
//!         HelloServant(Arc::new(servant))
//!     }
//! }
//!
//! impl<S: Hello + ?Sized> Servant for HelloServant<S> {
//!     fn ice_ids(&self) -> &'static [&'static str] {
//!         &["::Demo::Hello", "::Ice::Object"] // sorted
//!     }
//!     fn ice_id(&self) -> &'static str {
//!         "::Demo::Hello"
//!     }
//!     fn dispatch(&self, request: Request) -> Dispatched {
//!         let s = &*self.0;
//!         match request.operation() {
//!             "sayHello" => request.dispatch(
//!                 OperationMode::Normal,                      // the declared mode
//!                 |input| input.read_i32(),                   // in-parameters, in order
//!                 |delay, current| s.say_hello(delay, current),
//!                 |out, ret| out.write_string(&ret),          // out-parameters, then return
//!             ),
//!             "load" => request.dispatch(
//!                 OperationMode::Idempotent,
//!                 |_| Ok(()),
//!                 |(), current| s.load(current),
//!                 |out, ret| out.write_i32(ret),
//!             ),
//!             // ice_ping, ice_isA, ice_id, ice_ids; OperationNotExist otherwise.
//!             _ => request.dispatch_builtin(self),
//!         }
//!     }
//! }
//!
//! // A servant answering in each style.
//! struct MyHello;
//! impl Hello for MyHello {
//!     fn say_hello(&self, delay: i32, _: &Current) -> Dispatch<String, SayHelloError> {
//!         if delay < 0 {
//!             return Dispatch::err(SayHelloError::Busy(Busy { why: "negative".into() }));
//!         }
//!         if delay == 0 {
//!             return Dispatch::ok("hello".into()); // marshaled at once, on this thread
//!         }
//!         // Completed later by a worker (any thread); the dispatch thread is free now.
//!         let (promise, dispatch) = Dispatch::promise();
//!         std::thread::spawn(move || {
//!             std::thread::sleep(std::time::Duration::from_millis(delay as u64));
//!             promise.set_result(format!("hello after {delay} ms"));
//!         });
//!         dispatch
//!     }
//!     fn load(&self, _: &Current) -> Dispatch<i32, Error> {
//!         Dispatch::pending(async {
//!             // Timers and other runtime resources are created inside the future: it runs
//!             // on the I/O runtime (dispatch threads are outside the runtime's context).
//!             tokio::task::yield_now().await;
//!             Ok(42)
//!         })
//!     }
//! }
//! let _servant: Arc<dyn Servant> = Arc::new(HelloServant::new(MyHello));
//! ```
//!
//! For `["format:sliced"]` operations, call `request.with_format(Format::Sliced)` before
//! `dispatch`. A servant that wants `self: Arc<Self>` in its async bodies can clone the
//! wrapper's `Arc` (`Arc::clone(&self.0)`) in the generated call closure.
//!
//! [`IncomingRequest`]: crate::incoming::IncomingRequest

mod current;
pub(crate) mod pending;
pub(crate) mod pool;
mod reply;
mod request;
mod servant;

pub use current::Current;
pub(crate) use current::DisplayIdentity as DisplayIdentityOwned;
pub use pool::is_dispatch_thread;
pub(crate) use reply::send_not_exist;
pub use reply::{local_exception_text, DispatchError, ErrorReply};
pub(crate) use request::{Completion, Located};
pub use request::{Dispatched, Request};
pub use servant::{
    Cookie, IntoServant, Located as LocatedServant, Servant, ServantLocator, ICE_OBJECT_ID,
};

use crate::error::Error;
use futures::channel::oneshot;
use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// What a servant method returns: a result now, or one that completes later.
///
/// `T` is the operation's result (`()`, the single value, or a tuple of the return value
/// followed by the out-parameters); `E` the operation's error (the runtime [`Error`], or a
/// generated enum of the declared exceptions plus the runtime error).
pub enum Dispatch<T, E> {
    /// The result is known now; it is marshaled on the dispatch thread at once.
    Ready(Result<T, E>),
    /// The result comes later; the dispatch thread is freed at once and the reply is
    /// marshaled by whichever thread completes the future.
    Pending(Pin<Box<dyn Future<Output = Result<T, E>> + Send + 'static>>),
}

impl<T, E> fmt::Debug for Dispatch<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dispatch::Ready(r) => write!(
                f,
                "Dispatch::Ready({})",
                if r.is_ok() { "Ok(..)" } else { "Err(..)" }
            ),
            Dispatch::Pending(_) => f.write_str("Dispatch::Pending(..)"),
        }
    }
}

impl<T, E> Dispatch<T, E> {
    /// A successful result, now.
    pub fn ok(value: T) -> Dispatch<T, E> {
        Dispatch::Ready(Ok(value))
    }

    /// A failure, now.
    pub fn err(error: E) -> Dispatch<T, E> {
        Dispatch::Ready(Err(error))
    }

    /// A result that a future produces later: an `async` block, a proxy invocation (the
    /// future of a call on another object, to chain it), or anything else that is `Send`.
    pub fn pending<F>(future: F) -> Dispatch<T, E>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
    {
        Dispatch::Pending(Box::pin(future))
    }
}

impl<T: Send + 'static, E: From<Error> + Send + 'static> Dispatch<T, E> {
    /// A result that some code completes later, from any thread, through the returned
    /// [`Promise`] (the seed's `Ice.Future`). Return the `Dispatch` from the servant method
    /// and hand the promise to a worker.
    ///
    /// A promise dropped without a result answers the client with `UnknownException` naming
    /// the operation, as soon as it is dropped.
    pub fn promise() -> (Promise<T, E>, Dispatch<T, E>) {
        let (tx, rx) = oneshot::channel();
        let label = DISPATCH_LABEL.with(|l| l.borrow().clone());
        let label = if label.is_empty() {
            String::from("a dispatch")
        } else {
            label
        };
        let future = PromiseFuture { rx, label };
        (Promise { tx }, Dispatch::Pending(Box::pin(future)))
    }
}

impl<T, E> From<Result<T, E>> for Dispatch<T, E> {
    fn from(r: Result<T, E>) -> Dispatch<T, E> {
        Dispatch::Ready(r)
    }
}

/// The completing side of [`Dispatch::promise`]: `Send`, usable from any thread, completed
/// once. Dropping it without completing answers `UnknownException`.
pub struct Promise<T, E> {
    tx: oneshot::Sender<Result<T, E>>,
}

impl<T, E> fmt::Debug for Promise<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Promise")
            .field("canceled", &self.tx.is_canceled())
            .finish()
    }
}

impl<T, E> Promise<T, E> {
    /// Completes the dispatch with a result; the reply is marshaled and sent on this thread.
    pub fn set_result(self, value: T) {
        self.complete(Ok(value));
    }

    /// Completes the dispatch with an error (a declared user exception or a runtime error).
    pub fn set_exception(self, error: E) {
        self.complete(Err(error));
    }

    /// Completes the dispatch with `result`.
    pub fn complete(self, result: Result<T, E>) {
        // The receiver is gone only when the request was abandoned (e.g. the adapter was
        // destroyed); there is nobody left to answer.
        let _ = self.tx.send(result);
    }

    /// Whether nobody waits for the result any more (the request was abandoned).
    pub fn is_canceled(&self) -> bool {
        self.tx.is_canceled()
    }
}

/// The future behind a promise: the value sent, or `UnknownException` if the promise died.
struct PromiseFuture<T, E> {
    rx: oneshot::Receiver<Result<T, E>>,
    label: String,
}

impl<T, E: From<Error>> Future for PromiseFuture<T, E> {
    type Output = Result<T, E>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match Pin::new(&mut self.rx).poll(cx) {
            Poll::Ready(Ok(result)) => Poll::Ready(result),
            Poll::Ready(Err(oneshot::Canceled)) => {
                Poll::Ready(Err(E::from(Error::UnknownException(format!(
                    "the promise of {} was dropped without a result",
                    self.label
                )))))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

thread_local! {
    /// "operation `op' on identity `name'" while a dispatch thread runs servant code; read by
    /// [`Dispatch::promise`] so a dropped promise can name its request. The buffer is reused,
    /// so setting it allocates nothing once warm.
    static DISPATCH_LABEL: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Sets the label for the servant call that `f` makes, and clears it afterwards.
pub(crate) fn with_dispatch_label<R>(current: &Current, f: impl FnOnce() -> R) -> R {
    DISPATCH_LABEL.with(|l| {
        use std::fmt::Write;
        let mut l = l.borrow_mut();
        l.clear();
        let _ = write!(
            l,
            "operation `{}' on `{}'",
            current.operation,
            current::DisplayIdentity(&current.id)
        );
    });
    struct Clear;
    impl Drop for Clear {
        fn drop(&mut self) {
            DISPATCH_LABEL.with(|l| l.borrow_mut().clear());
        }
    }
    let _clear = Clear;
    f()
}
