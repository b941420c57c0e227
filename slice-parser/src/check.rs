//! Semantic checks and name resolution. STUB: being written.

use crate::ast;
use crate::diagnostics::Diagnostics;
use crate::model::Model;
use crate::source::{FileId, SourceMap};
use crate::Options;

/// Checks the AST in source order and builds the resolved model.
pub fn check(
    _file: &ast::File,
    _sources: &SourceMap,
    _main: FileId,
    _options: &Options,
    _diags: &mut Diagnostics,
) -> Option<Model> {
    Some(Model::default())
}
