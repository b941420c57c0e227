//! A ZeroC Ice runtime for Rust: the Ice encoding 1.1, the Ice protocol 1.0 over TCP, object
//! adapters and Asynchronous Method Dispatch, wire-compatible with ZeroC Ice 3.7.

pub mod encoding;
