//! The Ice encoding 1.1 (and 1.0 where Ice still uses it): byte-exact with ZeroC Ice 3.7.
//!
//! [`OutputStream`] and [`InputStream`] write and read the wire form; [`Encode`] and
//! [`Decode`] are the traits generated code implements for Slice types; [`optional`] holds
//! tagged values; [`ProxyData`] and [`EndpointData`] are what a proxy carries, with their
//! wire and string forms.
//! Reference: `ICE-PROTOCOL.md` sections 1 to 7, 11, 14 and 15.

mod builtin;
mod class_decoder;
mod class_encoder;
pub mod endpoint;
mod error;
pub mod exception;
pub mod optional;
pub mod proxy;
mod stream;
pub mod value;

pub use class_decoder::{ExceptionFactoryFn, DEFAULT_CLASS_GRAPH_DEPTH_MAX};
pub use class_encoder::Format;
pub use endpoint::{
    EndpointData, OpaqueEndpoint, ParseDefaults, TcpEndpoint, UdpEndpoint, WsEndpoint,
};
pub use error::MarshalError;
pub use exception::{
    register_exception, ExceptionFactories, ExceptionFactory, UnknownSlicedException, UserException,
};
pub use optional::OptionalFormat;
pub use proxy::{InvocationMode, ProxyData};
pub use stream::{
    Decode, Encode, EncodingVersion, InputStream, OutputStream, ENCODING_1_0, ENCODING_1_1,
};
pub use value::{
    register_class, AnyValue, Class, Extends, SliceInfo, SlicedData, UnknownSlicedValue, Value,
    ValueFactories, ValueFactory, ValueRef,
};
