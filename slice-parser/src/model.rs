//! The resolved semantic model: what code generators read. STUB: being written.

/// The resolved definitions of one compilation.
#[derive(Clone, Debug, Default)]
pub struct Model {}
