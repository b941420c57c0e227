//! The demo of ice-rs: `Demo::Model::interpolate` (bilinear resampling of a grid, see
//! [`interpolate`]) served by Rust in every dispatch style ([`servants`]), a load generator
//! that measures them ([`client`]), and the server start-up shared by the binaries
//! ([`server`]).
//!
//! Binaries: `demo` (everything in one process, prints a table), `demo-server` and
//! `demo-client`; `python/client.py` is a ZeroC Ice for Python client of the same servers.

#![warn(missing_docs)]

pub mod client;
pub mod generated;
pub mod interpolate;
pub mod progress;
pub mod servants;
pub mod server;

pub use generated::demo;

/// Splits command-line arguments into Ice properties (`--Ice.*`, `--Ice.Config=file`, and
/// the demo adapters' `--Model.*` and `--Internal.*`) and the rest (program name first),
/// and creates a communicator with those properties on the current tokio runtime.
pub fn communicator_from_args(
    args: impl IntoIterator<Item = String>,
) -> ice_runtime::Result<(ice_runtime::communicator::Communicator, Vec<String>)> {
    let (props, rest) = ice_runtime::properties::Properties::from_args(args)?;
    let rest = props.parse_command_line_options("Model", rest);
    let rest = props.parse_command_line_options("Internal", rest);
    let communicator = ice_runtime::communicator::Communicator::with_properties(props)?;
    Ok((communicator, rest))
}
