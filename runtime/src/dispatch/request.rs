//! [`Request`]: one request on its way to a servant, and the generic dispatch routine that
//! generated code calls for every operation.

use super::reply::{
    marshal_exception_text, panic_text, send_error, send_ok, send_request_failed,
    send_runtime_error,
};
use super::{with_dispatch_label, Cookie, Current, Dispatch, DispatchError, Servant};
use crate::encoding::{ClassOptions, Format, InputStream, MarshalError, OutputStream};
use crate::error::Error;
use crate::identity::{OperationMode, ReplyStatus};
use crate::incoming::Responder;
use futures::FutureExt;
use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;

/// A request ready for its servant: the [`Current`], the parameter bytes and the means to
/// reply. [`Servant::dispatch`] consumes it through [`Request::dispatch`] or
/// [`Request::dispatch_builtin`].
pub struct Request {
    completion: Completion,
    params: bytes::Bytes,
    responder: Responder,
    format: Format,
    /// The communicator's class decoding limits, when not Ice's defaults.
    class_options: Option<Arc<ClassOptions>>,
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("current", &self.completion.current)
            .field("params", &self.params.len())
            .finish()
    }
}

/// What [`Servant::dispatch`] returns: either nothing more to do (the reply was sent, or there
/// is none), or a future that sends it when the servant's pending result completes. The
/// object adapter spawns that future on the I/O runtime.
#[must_use = "a pending dispatch replies only when its future runs"]
pub struct Dispatched(Option<Pin<Box<dyn Future<Output = ()> + Send + 'static>>>);

impl fmt::Debug for Dispatched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "Dispatched::Pending"
        } else {
            "Dispatched::Done"
        })
    }
}

impl Dispatched {
    /// Nothing left to do.
    pub fn done() -> Dispatched {
        Dispatched(None)
    }

    /// Whether a future remains to be run.
    pub fn is_pending(&self) -> bool {
        self.0.is_some()
    }

    /// The future that completes the dispatch, if any.
    pub fn into_future(self) -> Option<Pin<Box<dyn Future<Output = ()> + Send + 'static>>> {
        self.0
    }
}

/// Runs when a dispatch is over (its reply sent or abandoned): tells the servant locator and
/// releases the adapter's count of dispatches in progress.
pub(crate) struct Completion {
    pub(crate) current: Current,
    pub(crate) located: Option<Located>,
    pub(crate) token: Option<crate::adapter::DispatchToken>,
}

/// A servant found by a locator, with what `finished` needs.
pub(crate) struct Located {
    pub(crate) locator: Arc<dyn super::ServantLocator>,
    pub(crate) servant: Arc<dyn Servant>,
    pub(crate) cookie: Option<Cookie>,
}

impl Drop for Completion {
    fn drop(&mut self) {
        if let Some(l) = self.located.take() {
            let current = &self.current;
            // A panicking locator must not take the dispatch thread (or the I/O task) down.
            let _ = catch_unwind(AssertUnwindSafe(|| {
                l.locator.finished(current, &l.servant, l.cookie)
            }));
        }
        drop(self.token.take());
    }
}

impl Request {
    pub(crate) fn new(
        completion: Completion,
        params: bytes::Bytes,
        responder: Responder,
    ) -> Request {
        // `Ice.Default.SlicedFormat` and the class limits of the adapter's communicator.
        let (format, class_options) = match completion.current.adapter.communicator() {
            Some(c) => {
                let d = c.client_defaults();
                (d.default_format, d.class_options.clone())
            }
            None => (Format::Compact, None),
        };
        Request {
            completion,
            params,
            responder,
            format,
            class_options,
        }
    }

    /// Marshals results and user exceptions in `format` (generated code calls it for
    /// operations with `["format:sliced"]`; the default is compact, as Ice's).
    pub fn with_format(mut self, format: Format) -> Request {
        self.format = format;
        self
    }

    /// The operation name (what generated code matches on).
    pub fn operation(&self) -> &str {
        &self.completion.current.operation
    }

    /// The request's [`Current`].
    pub fn current(&self) -> &Current {
        &self.completion.current
    }

    /// The parameter encapsulation's body, in the encoding `current().encoding`.
    pub fn params(&self) -> &[u8] {
        &self.params
    }

    /// Dispatches an operation declared with `mode`: checks the mode the client sent,
    /// decodes the in-parameters with `decode`, calls the servant through `call`, and
    /// replies: `Ok` results are encoded with `encode` into an encapsulation in the request's
    /// encoding, errors per [`DispatchError`]. A `Ready` result is answered before this
    /// returns; a `Pending` one by the returned future.
    ///
    /// A mode mismatch or undecodable parameters answer `UnknownLocalException` (a
    /// `MarshalException`, as Ice); a panic in `decode`, `call`, the pending future or
    /// `encode` answers `UnknownException` with the panic message.
    pub fn dispatch<P, T, E, D, C, W>(
        self,
        mode: OperationMode,
        decode: D,
        call: C,
        encode: W,
    ) -> Dispatched
    where
        D: FnOnce(&mut InputStream<'_>) -> Result<P, MarshalError>,
        C: FnOnce(P, &Current) -> Dispatch<T, E>,
        W: FnOnce(&mut OutputStream, T) + Send + 'static,
        T: Send + 'static,
        E: DispatchError,
    {
        self.run(Some(mode), decode, call, encode)
    }

    /// Answers the built-in operations of `Ice::Object` (`ice_ping`, `ice_isA`, `ice_id`,
    /// `ice_ids`; any mode is accepted, as the Ice 3.7 servers do) for `servant`, and
    /// `OperationNotExist` for any other operation.
    pub fn dispatch_builtin(self, servant: &dyn Servant) -> Dispatched {
        match self.operation() {
            "ice_ping" => self.run(
                None,
                |_| Ok(()),
                |(), current| {
                    servant.ice_ping(current);
                    Dispatch::<(), Error>::ok(())
                },
                |_, ()| {},
            ),
            "ice_isA" => self.run(
                None,
                |input| input.read_string(),
                |type_id, current| Dispatch::<bool, Error>::ok(servant.ice_is_a(&type_id, current)),
                |out, is_a| out.write_bool(is_a),
            ),
            "ice_id" => self.run(
                None,
                |_| Ok(()),
                |(), _| Dispatch::<&'static str, Error>::ok(servant.ice_id()),
                |out, id| out.write_string(id),
            ),
            "ice_ids" => self.run(
                None,
                |_| Ok(()),
                |(), _| Dispatch::<&'static [&'static str], Error>::ok(servant.ice_ids()),
                |out, ids| {
                    out.write_size(ids.len());
                    for id in ids {
                        out.write_string(id);
                    }
                },
            ),
            _ => {
                self.fail(&Error::OperationNotExist {
                    identity: Default::default(),
                    facet: String::new(),
                    operation: String::new(),
                });
                Dispatched::done()
            }
        }
    }

    /// Answers the request with a runtime error now (statuses 2 to 7; see
    /// [`DispatchError`]).
    pub fn fail(self, error: &Error) {
        let Request {
            completion,
            responder,
            ..
        } = self;
        send_runtime_error(responder, &completion.current, error);
    }

    /// Answers `ObjectNotExist` or `FacetNotExist` for the request's own identity and facet.
    pub(crate) fn not_found(self, status: ReplyStatus) {
        let Request {
            completion,
            responder,
            ..
        } = self;
        let c = &completion.current;
        send_request_failed(responder, status, &c.id, &c.facet, &c.operation);
    }

    fn run<P, T, E, D, C, W>(
        self,
        mode: Option<OperationMode>,
        decode: D,
        call: C,
        encode: W,
    ) -> Dispatched
    where
        D: FnOnce(&mut InputStream<'_>) -> Result<P, MarshalError>,
        C: FnOnce(P, &Current) -> Dispatch<T, E>,
        W: FnOnce(&mut OutputStream, T) + Send + 'static,
        T: Send + 'static,
        E: DispatchError,
    {
        let Request {
            completion,
            params,
            responder,
            format,
            class_options,
        } = self;
        let current = &completion.current;
        if let Some(expected) = mode {
            if let Some(text) = mode_mismatch(expected, current.mode) {
                responder.send_unknown(ReplyStatus::UnknownLocalException, &text);
                return Dispatched::done();
            }
        }
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let mut input = InputStream::with_encoding(&params, current.encoding);
            if let Some(options) = &class_options {
                input.set_class_options(options);
            }
            let args = decode(&mut input)?;
            Ok::<_, MarshalError>(with_dispatch_label(current, || call(args, current)))
        }));
        drop(params);
        match outcome {
            Err(payload) => {
                let text = panic_text(payload.as_ref(), current, "in the call");
                tracing::warn!(target: "Ice.Warn.Dispatch", "{text}");
                responder.send_unknown(ReplyStatus::UnknownException, &text);
                Dispatched::done()
            }
            Ok(Err(e)) => {
                responder.send_unknown(
                    ReplyStatus::UnknownLocalException,
                    &marshal_exception_text(&format!("cannot decode the in-parameters: {e}")),
                );
                Dispatched::done()
            }
            Ok(Ok(Dispatch::Ready(result))) => {
                finish(responder, current, format, result, encode);
                Dispatched::done()
            }
            Ok(Ok(Dispatch::Pending(future))) => Dispatched(Some(Box::pin(async move {
                match AssertUnwindSafe(future).catch_unwind().await {
                    Ok(result) => finish(responder, &completion.current, format, result, encode),
                    Err(payload) => {
                        let text =
                            panic_text(payload.as_ref(), &completion.current, "in the future");
                        tracing::warn!(target: "Ice.Warn.Dispatch", "{text}");
                        responder.send_unknown(ReplyStatus::UnknownException, &text);
                    }
                }
                drop(completion);
            }))),
        }
    }
}

/// Marshals and sends the outcome of a dispatch.
fn finish<T, E: DispatchError>(
    responder: Responder,
    current: &Current,
    format: Format,
    result: Result<T, E>,
    encode: impl FnOnce(&mut OutputStream, T),
) {
    match result {
        // A panicking encoder drops the responder while unwinding, which answers
        // UnknownException by itself; the panic must not escape to the thread.
        Ok(value) => {
            let _ = catch_unwind(AssertUnwindSafe(|| {
                send_ok(responder, current, format, value, encode)
            }));
        }
        Err(e) => send_error(responder, current, format, e.error_reply()),
    }
}

/// The `MarshalException` text Ice sends when the mode the client sent does not match the
/// declaration: `Idempotent` operations also accept `Nonmutating` (old clients).
fn mode_mismatch(expected: OperationMode, received: OperationMode) -> Option<String> {
    let accepted = expected == received
        || (matches!(
            expected,
            OperationMode::Idempotent | OperationMode::Nonmutating
        ) && matches!(
            received,
            OperationMode::Idempotent | OperationMode::Nonmutating
        ));
    if accepted {
        return None;
    }
    fn name(m: OperationMode) -> &'static str {
        match m {
            OperationMode::Normal => "::Ice::Normal",
            OperationMode::Nonmutating => "::Ice::Nonmutating",
            OperationMode::Idempotent => "::Ice::Idempotent",
        }
    }
    Some(marshal_exception_text(&format!(
        "unexpected operation mode. expected = {} received = {}",
        name(expected),
        name(received)
    )))
}
