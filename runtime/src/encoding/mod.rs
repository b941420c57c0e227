//! The Ice encoding 1.1 (and 1.0 where Ice still uses it): byte-exact with ZeroC Ice 3.7.
//!
//! [`OutputStream`] and [`InputStream`] write and read the wire form; [`Encode`] and
//! [`Decode`] are the traits generated code implements for Slice types; [`optional`] holds
//! tagged values; [`ProxyData`] and [`EndpointData`] are what a proxy carries, with their
//! wire and string forms.
//! Reference: `ICE-PROTOCOL.md` sections 1 to 7, 11, 14 and 15.
//!
//! # What generated code writes
//!
//! Built-in types need nothing: the primitives, `String`, `Vec<T>`, `HashMap<K, V>` and
//! `BTreeMap<K, V>` implement [`Encode`] and [`Decode`] (sequences of numbers are copied in
//! one go). A struct writes its members in order and states its size when fixed; an enum
//! goes through [`OutputStream::write_enum`] / [`InputStream::read_enum`] with its largest
//! value (for encoding 1.0); optional parameters and members go through
//! [`OutputStream::write_optional`] / [`InputStream::read_optional`], sorted by tag:
//!
//! ```
//! use ice_runtime::encoding::{
//!     Decode, Encode, InputStream, MarshalError, OptionalFormat, OutputStream, ENCODING_1_1,
//! };
//!
//! // struct Point { int x; int y; }
//! #[derive(Debug, PartialEq)]
//! struct Point { x: i32, y: i32 }
//! impl Encode for Point {
//!     const FIXED_SIZE: Option<usize> = Some(8); // only for fixed-size structs
//!     fn encode(&self, out: &mut OutputStream) {
//!         self.x.encode(out);
//!         self.y.encode(out);
//!     }
//! }
//! impl Decode for Point {
//!     const FIXED_SIZE: Option<usize> = Some(8);
//!     fn decode(input: &mut InputStream<'_>) -> Result<Self, MarshalError> {
//!         Ok(Point { x: input.read()?, y: input.read()? })
//!     }
//! }
//!
//! // enum Color { Red, Green, Blue }
//! #[derive(Clone, Copy, Debug, PartialEq)]
//! enum Color { Red = 0, Green = 1, Blue = 2 }
//! impl Encode for Color {
//!     const OPTIONAL_FORMAT: OptionalFormat = OptionalFormat::Size;
//!     fn encode(&self, out: &mut OutputStream) {
//!         out.write_enum(*self as i32, 2);
//!     }
//! }
//! impl Decode for Color {
//!     const OPTIONAL_FORMAT: OptionalFormat = OptionalFormat::Size;
//!     fn decode(input: &mut InputStream<'_>) -> Result<Self, MarshalError> {
//!         let at = input.pos();
//!         match input.read_enum(2)? {
//!             0 => Ok(Color::Red),
//!             1 => Ok(Color::Green),
//!             2 => Ok(Color::Blue),
//!             v => Err(MarshalError::new(at, format!("invalid Color value {v}"))),
//!         }
//!     }
//! }
//!
//! // void op(Point p, sequence<Color> cs, optional(3) string s, optional(1) Point q)
//! let (p, cs, s, q) = (Point { x: 1, y: 2 }, vec![Color::Blue], Some("x".to_owned()), None::<Point>);
//! let mut out = OutputStream::new();
//! out.start_encapsulation(ENCODING_1_1);
//! p.encode(&mut out);
//! cs.encode(&mut out);
//! out.write_optional(1, q.as_ref()); // optional values sorted by tag
//! out.write_optional(3, s.as_deref());
//! out.end_encapsulation();
//!
//! let mut input = InputStream::new(out.as_slice());
//! input.start_encapsulation()?;
//! assert_eq!(input.read::<Point>()?, p);
//! assert_eq!(input.read::<Vec<Color>>()?, cs);
//! assert_eq!(input.read_optional::<Point>(1)?, q);
//! assert_eq!(input.read_optional::<String>(3)?, s);
//! input.end_encapsulation()?; // skips optional values nobody asked for, as Ice does
//! # Ok::<(), MarshalError>(())
//! ```

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

pub use class_decoder::{ClassOptions, ExceptionFactoryFn, DEFAULT_CLASS_GRAPH_DEPTH_MAX};
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
