//! `include_slice!`: mounts a Rust file that `slicec_rs::Builder` generated into `OUT_DIR`.

/// Mounts the Rust code generated from a Slice file by `slicec_rs::Builder` in a build
/// script: `ice_runtime::include_slice!("Demo")` includes `$OUT_DIR/Demo.rs` here.
///
/// ```ignore
/// mod generated {
///     ice_runtime::include_slice!("Demo");
/// }
/// use generated::demo::{Model, ModelPrx};
/// ```
#[macro_export]
macro_rules! include_slice {
    ($name:literal) => {
        include!(concat!(env!("OUT_DIR"), "/", $name, ".rs"));
    };
}
