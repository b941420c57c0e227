//! Compile tests for `slicec-rs`: the Rust generated from the demo, from every file of Ice's
//! own Slice distribution and from the Slice corpus must build without a single warning.
#![deny(warnings, missing_docs)]

/// The demo's `Demo.ice`.
pub mod demo_ice {
    ice_runtime::include_slice!("Demo");
}

/// `tests/tests/interop_codegen.ice`, for the round trips with real Ice.
pub mod interop_codegen {
    ice_runtime::include_slice!("interop_codegen");
}

include!(concat!(env!("OUT_DIR"), "/mods.rs"));
