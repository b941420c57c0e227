//! `slicec-rs`: the Slice-to-Rust compiler (library used by the CLI and by build scripts).
//!
//! The command line (`main.rs`) only parses flags into a [`driver::Request`]; everything it
//! does happens in [`driver::run`], which tests call in process.

pub mod driver;
