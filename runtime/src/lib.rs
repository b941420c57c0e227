//! A ZeroC Ice runtime for Rust: the Ice encoding 1.1, the Ice protocol 1.0 over TCP, object
//! adapters and Asynchronous Method Dispatch, wire-compatible with ZeroC Ice 3.7.

#[macro_use]
mod macros;
pub mod adapter;
pub mod communicator;
pub mod connection;
pub mod dispatch;
pub mod encoding;
pub mod error;
pub mod identity;
pub mod incoming;
pub mod properties;
pub mod protocol;
pub mod proxy;
pub mod slice;
pub mod transport;

pub use error::{Error, Result};
pub use identity::{Context, Identity, OperationMode, ProtocolVersion, ReplyStatus};
