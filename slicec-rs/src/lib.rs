//! `slicec-rs`: the Slice-to-Rust compiler (library used by the CLI and by build scripts).
