//! `slicec-rs`: the Slice-to-Rust compiler (library used by the CLI and by build scripts).
//!
//! The command line (`main.rs`) only parses flags into a [`driver::Request`]; everything it
//! does happens in [`driver::run`], which tests call in process. Build scripts use
//! [`Builder`]. Both call the same [`generate`].

pub mod builder;
pub mod driver;
pub mod gen;

pub use builder::Builder;
pub use gen::{generate, GeneratedFile, Options};
