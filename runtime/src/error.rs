//! The runtime's error type: Ice's local exceptions, each with a message a user can act on.

use crate::encoding::MarshalError;
use crate::identity::Identity;

/// A runtime failure (Ice's local exceptions).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The peer refused the connection.
    #[error("connection refused: {0}")]
    ConnectionRefused(String),
    /// The connection was lost or closed by the peer.
    #[error("connection lost: {0}")]
    ConnectionLost(String),
    /// Could not connect in time.
    #[error("connect timed out: {0}")]
    ConnectTimeout(String),
    /// The invocation timed out (`ice_invocationTimeout`).
    #[error("invocation timed out after {0} ms")]
    InvocationTimeout(u64),
    /// The connection was closed gracefully (by us or the peer) before the reply came.
    #[error("connection closed: {0}")]
    ConnectionClosed(String),
    /// No servant for the identity (reply status 2).
    #[error(
        "object does not exist: identity `{identity:?}', facet `{facet}', operation `{operation}'"
    )]
    ObjectNotExist {
        /// The identity.
        identity: Identity,
        /// The facet.
        facet: String,
        /// The operation.
        operation: String,
    },
    /// No servant for the facet (reply status 3).
    #[error(
        "facet does not exist: identity `{identity:?}', facet `{facet}', operation `{operation}'"
    )]
    FacetNotExist {
        /// The identity.
        identity: Identity,
        /// The facet.
        facet: String,
        /// The operation.
        operation: String,
    },
    /// The servant does not implement the operation (reply status 4).
    #[error("operation does not exist: identity `{identity:?}', facet `{facet}', operation `{operation}'")]
    OperationNotExist {
        /// The identity.
        identity: Identity,
        /// The facet.
        facet: String,
        /// The operation.
        operation: String,
    },
    /// The server failed with a local exception (reply status 5).
    #[error("unknown local exception: {0}")]
    UnknownLocalException(String),
    /// The server raised an undeclared user exception (reply status 6).
    #[error("unknown user exception: {0}")]
    UnknownUserException(String),
    /// The server failed otherwise (reply status 7).
    #[error("unknown exception: {0}")]
    UnknownException(String),
    /// Bytes could not be encoded or decoded.
    #[error("marshal error: {0}")]
    Marshal(#[from] MarshalError),
    /// The peer broke the protocol.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// A message exceeded `Ice.MessageSizeMax`.
    #[error("message of {size} bytes exceeds Ice.MessageSizeMax ({max} bytes)")]
    MemoryLimit {
        /// The size announced.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// A proxy or endpoint string could not be parsed.
    #[error("cannot parse proxy `{input}': {reason}")]
    ProxyParse {
        /// The input.
        input: String,
        /// What was wrong.
        reason: String,
    },
    /// An identity string could not be parsed (Ice's `IdentityParseException`).
    #[error("cannot parse identity `{input}': {reason}")]
    IdentityParse {
        /// The input.
        input: String,
        /// What was wrong.
        reason: String,
    },
    /// An endpoint string could not be parsed.
    #[error("cannot parse endpoint `{input}': {reason}")]
    EndpointParse {
        /// The input.
        input: String,
        /// What was wrong.
        reason: String,
    },
    /// The communicator was destroyed.
    #[error("communicator destroyed")]
    CommunicatorDestroyed,
    /// The object adapter was deactivated.
    #[error("object adapter `{0}' deactivated")]
    ObjectAdapterDeactivated(String),
    /// A servant is already registered for this identity and facet.
    #[error("already registered: {0}")]
    AlreadyRegistered(String),
    /// Nothing is registered for this identity and facet.
    #[error("not registered: {0}")]
    NotRegistered(String),
    /// Two-way call through a oneway/batch proxy, and similar misuse.
    #[error("twoway only: {0}")]
    TwowayOnly(String),
    /// A blocking call was made where it would deadlock or block an I/O thread.
    #[error("blocking call not allowed here: {0}")]
    WouldBlock(String),
    /// An I/O error on a socket.
    #[error("socket error: {0}")]
    Socket(String),
    /// A property value is invalid.
    #[error("invalid property {name}: {reason}")]
    InvalidProperty {
        /// The property.
        name: String,
        /// What was wrong.
        reason: String,
    },
    /// A proxy has no endpoint this runtime can use (none, only unsupported transports, or an
    /// adapter id without a locator).
    #[error("no usable endpoint: {0}")]
    NoEndpoint(String),
    /// Anything else, with a message.
    #[error("{0}")]
    Other(String),
}

/// The runtime's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
