//! The Ice encoding 1.1 (and 1.0 where Ice still uses it): byte-exact with ZeroC Ice 3.7.
//!
//! [`OutputStream`] and [`InputStream`] write and read the wire form; [`Encode`] and
//! [`Decode`] are the traits generated code implements for Slice types.
//! Reference: `ICE-PROTOCOL.md` sections 1 to 7, 14 and 15.

mod class_decoder;
mod class_encoder;
mod error;
pub mod exception;
mod stream;
pub mod value;

pub use class_decoder::{ExceptionFactoryFn, DEFAULT_CLASS_GRAPH_DEPTH_MAX};
pub use class_encoder::Format;
pub use error::MarshalError;
pub use exception::{
    register_exception, ExceptionFactories, ExceptionFactory, UnknownSlicedException, UserException,
};
pub use stream::{
    Decode, Encode, EncodingVersion, InputStream, OutputStream, ENCODING_1_0, ENCODING_1_1,
};
pub use value::{
    register_class, AnyValue, Class, Extends, SliceInfo, SlicedData, UnknownSlicedValue, Value,
    ValueFactories, ValueFactory, ValueRef,
};
