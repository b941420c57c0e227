//! Turning a dispatch's outcome into reply bytes: results (status 0), user exceptions
//! (status 1) and runtime errors (statuses 2 to 7), as Ice 3.7 writes them.

use super::current::DisplayIdentity;
use super::Current;
use crate::encoding::{Format, OutputStream, UserException};
use crate::error::Error;
use crate::identity::{Identity, ReplyStatus};
use crate::incoming::Responder;
use std::any::Any;

/// How an operation's error is answered: see [`DispatchError`].
#[derive(Debug)]
pub enum ErrorReply<'a> {
    /// A Slice user exception: reply status 1 with the exception in an encapsulation.
    User(&'a dyn UserException),
    /// A runtime error: statuses 2 to 7.
    Runtime(&'a Error),
}

/// The error type `E` of a [`super::Dispatch`]: the runtime's [`Error`], or a generated enum
/// with one variant per declared exception plus one for runtime errors.
pub trait DispatchError: Send + 'static {
    /// Which reply the error becomes.
    fn error_reply(&self) -> ErrorReply<'_>;
}

impl DispatchError for Error {
    fn error_reply(&self) -> ErrorReply<'_> {
        ErrorReply::Runtime(self)
    }
}

/// Sends the results of a successful dispatch: an encapsulation in the request's encoding,
/// filled by `encode`. Nothing is marshaled for a oneway request.
pub(crate) fn send_ok<T>(
    responder: Responder,
    current: &Current,
    format: Format,
    value: T,
    encode: impl FnOnce(&mut OutputStream, T),
) {
    if responder.is_oneway() {
        return;
    }
    let mut out = responder.start_reply(ReplyStatus::Ok, 64);
    if format != Format::Compact {
        out.set_format(format);
    }
    out.start_encapsulation(current.encoding);
    encode(&mut out, value);
    out.end_encapsulation();
    responder.send(out);
}

/// Sends the reply for a failed dispatch.
pub(crate) fn send_error(
    responder: Responder,
    current: &Current,
    format: Format,
    error: ErrorReply<'_>,
) {
    if responder.is_oneway() {
        return;
    }
    match error {
        ErrorReply::User(ex) => {
            let mut out = responder.start_reply(ReplyStatus::UserException, 64);
            out.set_format(format);
            out.start_encapsulation(current.encoding);
            ex.encode_exception(&mut out);
            out.end_encapsulation();
            responder.send(out);
        }
        ErrorReply::Runtime(e) => send_runtime_error(responder, current, e),
    }
}

/// Sends a runtime error as Ice does: statuses 2 to 4 with the identity, facet and operation
/// (those of the request where the error left them empty), 5 to 7 with a text.
pub(crate) fn send_runtime_error(responder: Responder, current: &Current, error: &Error) {
    if responder.is_oneway() {
        return;
    }
    let (status, identity, facet, operation) = match error {
        Error::ObjectNotExist {
            identity,
            facet,
            operation,
        } => (ReplyStatus::ObjectNotExist, identity, facet, operation),
        Error::FacetNotExist {
            identity,
            facet,
            operation,
        } => (ReplyStatus::FacetNotExist, identity, facet, operation),
        Error::OperationNotExist {
            identity,
            facet,
            operation,
        } => (ReplyStatus::OperationNotExist, identity, facet, operation),
        Error::UnknownLocalException(text) => {
            return responder.send_unknown(ReplyStatus::UnknownLocalException, text)
        }
        Error::UnknownUserException(text) => {
            return responder.send_unknown(ReplyStatus::UnknownUserException, text)
        }
        Error::UnknownException(text) => {
            return responder.send_unknown(ReplyStatus::UnknownException, text)
        }
        other => {
            return responder.send_unknown(
                ReplyStatus::UnknownLocalException,
                &local_exception_text(other),
            )
        }
    };
    // As Ice's IncomingBase: the request's identity when the error's is empty, the
    // request's facet and operation when the error's are empty.
    let (identity, facet) = if identity.name.is_empty() {
        (
            &current.id,
            if facet.is_empty() {
                &current.facet
            } else {
                facet
            },
        )
    } else {
        (identity, facet)
    };
    let operation = if operation.is_empty() {
        &current.operation
    } else {
        operation
    };
    send_request_failed(responder, status, identity, facet, operation);
}

/// Answers `ObjectNotExist` for a request that was not dispatched (e.g. the adapter is
/// deactivated).
pub(crate) fn send_not_exist(responder: Responder, request: &crate::incoming::IncomingRequest) {
    send_request_failed(
        responder,
        ReplyStatus::ObjectNotExist,
        &request.identity,
        &request.facet,
        &request.operation,
    );
}

/// Sends status 2, 3 or 4 with its body.
pub(crate) fn send_request_failed(
    responder: Responder,
    status: ReplyStatus,
    identity: &Identity,
    facet: &str,
    operation: &str,
) {
    if responder.is_oneway() {
        return;
    }
    let mut out = responder.start_reply(
        status,
        identity.name.len() + identity.category.len() + facet.len() + operation.len() + 8,
    );
    crate::protocol::write_target(&mut out, identity, facet, operation);
    responder.send(out);
}

/// The text of an `UnknownLocalException` reply for a runtime error: the Ice type id of the
/// matching local exception, then the error's message (Ice prints `file:line: ` before it;
/// we have no C++ file to name).
pub fn local_exception_text(error: &Error) -> String {
    if let Error::Marshal(e) = error {
        return marshal_exception_text(&e.to_string());
    }
    format!("{}:\n{error}", ice_type_id(error))
}

/// The text Ice gives a `MarshalException` with `reason`.
pub(crate) fn marshal_exception_text(reason: &str) -> String {
    format!(
        "::Ice::MarshalException:\nprotocol error: error during marshaling or unmarshaling:\n{reason}"
    )
}

/// The Ice local exception that corresponds to a runtime error.
fn ice_type_id(error: &Error) -> &'static str {
    #[allow(unreachable_patterns)]
    match error {
        Error::ConnectionRefused(_) => "::Ice::ConnectionRefusedException",
        Error::ConnectionLost(_) => "::Ice::ConnectionLostException",
        Error::ConnectTimeout(_) => "::Ice::ConnectTimeoutException",
        Error::InvocationTimeout(_) => "::Ice::InvocationTimeoutException",
        Error::ConnectionClosed(_) => "::Ice::CloseConnectionException",
        Error::ObjectNotExist { .. } => "::Ice::ObjectNotExistException",
        Error::FacetNotExist { .. } => "::Ice::FacetNotExistException",
        Error::OperationNotExist { .. } => "::Ice::OperationNotExistException",
        Error::UnknownLocalException(_) => "::Ice::UnknownLocalException",
        Error::UnknownUserException(_) => "::Ice::UnknownUserException",
        Error::UnknownException(_) => "::Ice::UnknownException",
        Error::Marshal(_) => "::Ice::MarshalException",
        Error::Protocol(_) => "::Ice::ProtocolException",
        Error::MemoryLimit { .. } => "::Ice::MemoryLimitException",
        Error::ProxyParse { .. } => "::Ice::ProxyParseException",
        Error::EndpointParse { .. } => "::Ice::EndpointParseException",
        Error::CommunicatorDestroyed => "::Ice::CommunicatorDestroyedException",
        Error::ObjectAdapterDeactivated(_) => "::Ice::ObjectAdapterDeactivatedException",
        Error::AlreadyRegistered(_) => "::Ice::AlreadyRegisteredException",
        Error::NotRegistered(_) => "::Ice::NotRegisteredException",
        Error::TwowayOnly(_) => "::Ice::TwowayOnlyException",
        Error::Socket(_) => "::Ice::SocketException",
        Error::InvalidProperty { .. } => "::Ice::InitializationException",
        _ => "::Ice::LocalException",
    }
}

/// The `UnknownException` text for a panic in servant code.
pub(crate) fn panic_text(payload: &(dyn Any + Send), current: &Current, place: &str) -> String {
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(a panic payload that is not a string)");
    format!(
        "servant code panicked {place} of operation `{}' on `{}': {message}",
        current.operation,
        DisplayIdentity(&current.id)
    )
}
