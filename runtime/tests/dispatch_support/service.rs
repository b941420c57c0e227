//! `Vec::Service` as slicec-rs will generate it (written by hand for now), and a servant that
//! does what the Python servant of `gen/wire_server.py` does.

use ice_runtime::dispatch::{
    Current, Dispatch, DispatchError, Dispatched, ErrorReply, Request, Servant,
};
use ice_runtime::encoding::{OutputStream, UserException};
use ice_runtime::identity::OperationMode;
use ice_runtime::Error;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;
use std::time::Duration;

// ---------------------------------------------------------------- generated shape ----

/// `exception BaseError { string reason; }`
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BaseError {
    pub reason: String,
}

/// `exception DerivedError extends BaseError { int code; optional(2) string detail; }`
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DerivedError {
    pub reason: String,
    pub code: i32,
    pub detail: Option<String>,
}

/// `exception UndeclaredError { string what; }`
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UndeclaredError {
    pub what: String,
}

macro_rules! display_as_id {
    ($($t:ty => $id:literal),*) => {$(
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($id)
            }
        }
        impl std::error::Error for $t {}
    )*};
}
display_as_id!(BaseError => "::Vec::BaseError", DerivedError => "::Vec::DerivedError",
    UndeclaredError => "::Vec::UndeclaredError");

// As slicec-rs generates them: one slice per exception in the hierarchy, most derived
// first; the runtime writes the format (compact or sliced) the operation asks for.
impl UserException for BaseError {
    fn ice_id(&self) -> &'static str {
        "::Vec::BaseError"
    }
    fn ice_write_slices(&self, out: &mut OutputStream) {
        out.start_slice("::Vec::BaseError", None, true);
        out.write_string(&self.reason);
        out.end_slice();
    }
}

impl UserException for DerivedError {
    fn ice_id(&self) -> &'static str {
        "::Vec::DerivedError"
    }
    fn ice_write_slices(&self, out: &mut OutputStream) {
        out.start_slice("::Vec::DerivedError", None, false);
        out.write_i32(self.code);
        out.end_slice();
        out.start_slice("::Vec::BaseError", None, true);
        out.write_string(&self.reason);
        out.end_slice();
    }
}

impl UserException for UndeclaredError {
    fn ice_id(&self) -> &'static str {
        "::Vec::UndeclaredError"
    }
    fn ice_write_slices(&self, out: &mut OutputStream) {
        out.start_slice("::Vec::UndeclaredError", None, true);
        out.write_string(&self.what);
        out.end_slice();
    }
}

/// The error of `fail` and `failAsync` (`throws BaseError`). The `Undeclared` variant exists
/// only to mirror the Python servant, which raises an undeclared exception (a generated enum
/// would not have it: Rust servants cannot raise undeclared exceptions).
#[derive(Debug)]
pub enum FailError {
    BaseError(BaseError),
    DerivedError(DerivedError),
    Undeclared(UndeclaredError),
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
            FailError::Undeclared(e) => ErrorReply::User(e),
            FailError::Ice(e) => ErrorReply::Runtime(e),
        }
    }
}

/// `interface Service`: the servant trait.
pub trait Service: Send + Sync + 'static {
    fn op_out(&self, a: i32, current: &Current) -> Dispatch<(i32, String, i32), Error>;
    fn notify(&self, msg: String, current: &Current) -> Dispatch<(), Error>;
    fn get_value(&self, current: &Current) -> Dispatch<i32, Error>;
    fn echo_string(&self, v: String, current: &Current) -> Dispatch<String, Error>;
    fn fail(&self, kind: String, current: &Current) -> Dispatch<(), FailError>;
    fn add_async(&self, a: i32, b: i32, current: &Current) -> Dispatch<i32, Error>;
    fn fail_async(&self, kind: String, current: &Current) -> Dispatch<(), FailError>;
    fn count(&self, current: &Current) -> Dispatch<i32, Error>;
}

/// Makes any `Service` implementation an Ice object for an adapter.
pub struct ServiceServant<S: ?Sized>(pub Arc<S>);

impl<S: Service> ServiceServant<S> {
    pub fn new(servant: S) -> Self {
        ServiceServant(Arc::new(servant))
    }
}

impl<S: Service + ?Sized> Servant for ServiceServant<S> {
    fn ice_ids(&self) -> &'static [&'static str] {
        &["::Ice::Object", "::Vec::Service"]
    }

    fn ice_id(&self) -> &'static str {
        "::Vec::Service"
    }

    fn dispatch(&self, request: Request) -> Dispatched {
        let s = &*self.0;
        match request.operation() {
            "opOut" => request.dispatch(
                OperationMode::Normal,
                |input| input.read_i32(),
                |a, current| s.op_out(a, current),
                |out, (ret, text, twice)| {
                    out.write_string(&text);
                    out.write_i32(twice);
                    out.write_i32(ret);
                },
            ),
            "notify" => request.dispatch(
                OperationMode::Normal,
                |input| input.read_string(),
                |msg, current| s.notify(msg, current),
                |_, ()| {},
            ),
            "getValue" => request.dispatch(
                OperationMode::Idempotent,
                |_| Ok(()),
                |(), current| s.get_value(current),
                |out, ret| out.write_i32(ret),
            ),
            "echoString" => request.dispatch(
                OperationMode::Normal,
                |input| input.read_string(),
                |v, current| s.echo_string(v, current),
                |out, ret| out.write_string(&ret),
            ),
            "fail" => request.dispatch(
                OperationMode::Normal,
                |input| input.read_string(),
                |kind, current| s.fail(kind, current),
                |_, ()| {},
            ),
            "addAsync" => request.dispatch(
                OperationMode::Normal,
                |input| Ok((input.read_i32()?, input.read_i32()?)),
                |(a, b), current| s.add_async(a, b, current),
                |out, ret| out.write_i32(ret),
            ),
            "failAsync" => request.dispatch(
                OperationMode::Normal,
                |input| input.read_string(),
                |kind, current| s.fail_async(kind, current),
                |_, ()| {},
            ),
            "count" => request.dispatch(
                OperationMode::Normal,
                |_| Ok(()),
                |(), current| s.count(current),
                |out, ret| out.write_i32(ret),
            ),
            _ => request.dispatch_builtin(self),
        }
    }
}

// ---------------------------------------------------------------- implementation ----

/// What `gen/wire_server.py`'s `ServiceI` does.
#[derive(Default)]
pub struct ServiceI {
    pub notified: AtomicI32,
}

impl Service for ServiceI {
    fn op_out(&self, a: i32, _: &Current) -> Dispatch<(i32, String, i32), Error> {
        Dispatch::ok((a + 1, format!("got {a}"), a * 2))
    }

    fn notify(&self, _msg: String, _: &Current) -> Dispatch<(), Error> {
        self.notified.fetch_add(1, Ordering::SeqCst);
        Dispatch::ok(())
    }

    fn get_value(&self, _: &Current) -> Dispatch<i32, Error> {
        Dispatch::ok(7)
    }

    fn echo_string(&self, v: String, _: &Current) -> Dispatch<String, Error> {
        Ok(v).into()
    }

    fn fail(&self, kind: String, _: &Current) -> Dispatch<(), FailError> {
        let e = match kind.as_str() {
            "user" => FailError::DerivedError(DerivedError {
                reason: "denied".into(),
                code: 13,
                detail: None,
            }),
            "undeclared" => FailError::Undeclared(UndeclaredError {
                what: "not in the throws clause".into(),
            }),
            "local" => FailError::Ice(Error::MemoryLimit { size: 0, max: 0 }),
            "unknownlocal" => FailError::Ice(Error::UnknownLocalException(
                "explicit unknown local text".into(),
            )),
            "unknownuser" => FailError::Ice(Error::UnknownUserException(
                "explicit unknown user text".into(),
            )),
            "unknown" => FailError::Ice(Error::UnknownException("explicit unknown text".into())),
            "python" => panic!("boom"),
            "objectnotexist" => FailError::Ice(Error::ObjectNotExist {
                identity: Default::default(),
                facet: String::new(),
                operation: String::new(),
            }),
            _ => return Dispatch::ok(()),
        };
        Dispatch::err(e)
    }

    fn add_async(&self, a: i32, b: i32, _: &Current) -> Dispatch<i32, Error> {
        let (promise, dispatch) = Dispatch::promise();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            promise.set_result(a + b);
        });
        dispatch
    }

    fn fail_async(&self, kind: String, _: &Current) -> Dispatch<(), FailError> {
        let (promise, dispatch) = Dispatch::promise();
        let user = kind == "user";
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            if user {
                promise.set_exception(FailError::BaseError(BaseError {
                    reason: "async denied".into(),
                }));
            } else {
                // The Python servant sets a ValueError; a Rust servant's nearest is a panic
                // in code that completes the dispatch: here, the future.
                drop(promise);
            }
        });
        if user {
            dispatch
        } else {
            Dispatch::pending(async move {
                let _ = match dispatch {
                    Dispatch::Pending(f) => f.await,
                    Dispatch::Ready(r) => r,
                };
                panic!("async boom")
            })
        }
    }

    fn count(&self, _: &Current) -> Dispatch<i32, Error> {
        Dispatch::ok(self.notified.load(Ordering::SeqCst))
    }
}
