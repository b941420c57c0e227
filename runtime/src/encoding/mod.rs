//! The Ice encoding 1.1 (and 1.0 where Ice still uses it): byte-exact with ZeroC Ice 3.7.
//!
//! [`OutputStream`] and [`InputStream`] write and read the wire form; [`Encode`] and
//! [`Decode`] are the traits generated code implements for Slice types; [`optional`] holds
//! tagged values; [`ProxyData`] and [`EndpointData`] are what a proxy carries, with their
//! wire and string forms.
//! Reference: `ICE-PROTOCOL.md` sections 1 to 7, 11, 14 and 15.

mod builtin;
pub mod endpoint;
mod error;
pub mod exception;
pub mod optional;
pub mod proxy;
mod stream;

pub use endpoint::{
    EndpointData, OpaqueEndpoint, ParseDefaults, TcpEndpoint, UdpEndpoint, WsEndpoint,
};
pub use error::MarshalError;
pub use exception::UserException;
pub use optional::OptionalFormat;
pub use proxy::{InvocationMode, ProxyData};
pub use stream::{
    Decode, Encode, EncodingVersion, InputStream, OutputStream, ENCODING_1_0, ENCODING_1_1,
};
