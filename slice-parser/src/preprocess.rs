//! The preprocessor (SLICE-LANGUAGE.md 2). STUB: being written.

use crate::diagnostics::Diagnostics;
use crate::source::{FileId, SourceMap};
use crate::Options;
use std::path::Path;

/// The preprocessor's output for one compiled file.
#[derive(Clone, Debug)]
pub struct Preprocessed {
    /// The compiled file.
    pub main_file: FileId,
    /// The buffer the grammar parses: included files spliced in, directive lines and
    /// excluded lines blanked, comments kept in place.
    pub text: String,
    /// Byte ranges (in `text`) of every doc comment `/** ... */`, in order.
    pub doc_comments: Vec<(u32, u32)>,
    /// Every file included, directly or not, each once, in first-inclusion order.
    pub includes: Vec<FileId>,
}

/// Preprocesses `path`; `None` after a fatal error (reported in `diags`).
pub fn preprocess(
    path: &Path,
    _options: &Options,
    _sources: &mut SourceMap,
    _diags: &mut Diagnostics,
) -> Option<Preprocessed> {
    let _ = path;
    None
}
