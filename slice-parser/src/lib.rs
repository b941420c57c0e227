//! The Slice 3.7 front end: reads `.ice` files exactly as ZeroC's own compilers do.
//!
//! Phases, one module each (read top to bottom):
//! 1. [`preprocess`]: `#include`, `#pragma once`, conditionals, macros → one buffer plus a
//!    [`source::SourceMap`] back to the original files.
//! 2. [`grammar`]: the pest grammar and the lowering of its parse tree to the [`ast`].
//! 3. [`check`]: one walk over the AST in source order, building scopes and running every
//!    semantic check slice2py makes; produces the resolved [`model`].
//! 4. [`render`]: diagnostics printed as rustc does (`human`), as gcc does (`short`) or as
//!    JSON lines (`json`).
//!
//! Entry points: [`compile_file`] for a file on disk, [`compile_source`] for text in memory
//! (tests, fuzzing, editors). No phase stops at the first error; the grammar and checker run
//! unless preprocessing failed (mcpp's errors are fatal). Nothing here panics, overflows the
//! stack or allocates without bound on any input (`tests/robustness.rs`, `fuzz/`).

pub mod ast;
pub mod check;
pub mod diagnostics;
pub mod grammar;
pub mod model;
pub mod preprocess;
pub mod render;
pub mod source;

use std::path::{Path, PathBuf};

pub use diagnostics::{Diagnostic, Diagnostics, Severity};
pub use source::{FileId, SourceMap, Span};

/// A `-D` or `-U` argument, kept in command-line order (a later `-U` undoes an earlier `-D`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MacroArg {
    /// `-DNAME` (value `1`) or `-DNAME=VALUE`.
    Define(String, Option<String>),
    /// `-UNAME`.
    Undefine(String),
}

/// Options of one compilation, as given on the command line or by the build.rs `Builder`.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `-I` directories, in search order, as given.
    pub include_dirs: Vec<PathBuf>,
    /// `-D` / `-U`, in order.
    pub macros: Vec<MacroArg>,
    /// `--ice`: allow the reserved `Ice` prefix in the top-level file.
    pub ice_prefix: bool,
    /// `--underscore`: allow underscores in identifiers of the top-level file.
    pub underscore: bool,
}

/// Everything known about one compiled file.
#[derive(Debug, Default)]
pub struct Compilation {
    /// Every file read (the compiled file first).
    pub sources: SourceMap,
    /// The compiled file, once it could be read.
    pub main_file: Option<FileId>,
    /// The preprocessor's output (absent after a fatal preprocessor error).
    pub preprocessed: Option<preprocess::Preprocessed>,
    /// The syntax tree (absent when preprocessing failed).
    pub ast: Option<ast::File>,
    /// The resolved model (absent when any error was found).
    pub model: Option<model::Model>,
    /// Every diagnostic: the preprocessor's first (as mcpp runs before the parser), then
    /// those of the grammar and the checker merged in source order (slice2py's order).
    pub diagnostics: Vec<Diagnostic>,
}

impl Compilation {
    /// Whether any error was reported.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Preprocesses, parses and checks one Slice file (with everything it includes).
pub fn compile_file(path: &Path, options: &Options) -> Compilation {
    let mut sources = SourceMap::new();
    let mut diags = Diagnostics::new();
    let pp = preprocess::preprocess(path, options, &mut sources, &mut diags);
    finish(pp, sources, diags, options)
}

/// Like [`compile_file`], for text that is not (or not yet) in a file: `name` is used in
/// messages and its directory is searched first by quoted `#include`s.
pub fn compile_source(name: &str, text: &str, options: &Options) -> Compilation {
    let mut sources = SourceMap::new();
    let mut diags = Diagnostics::new();
    let pp =
        preprocess::preprocess_source(name, text.to_string(), options, &mut sources, &mut diags);
    finish(pp, sources, diags, options)
}

/// Runs the phases after preprocessing and orders the diagnostics.
fn finish(
    pp: Option<preprocess::Preprocessed>,
    sources: SourceMap,
    mut diags: Diagnostics,
    options: &Options,
) -> Compilation {
    let mut comp = Compilation {
        main_file: pp.as_ref().map(|p| p.main_file),
        ..Compilation::default()
    };
    if let Some(pp) = pp {
        if !diags.has_errors() {
            let first_later = diags.len();
            let ast = grammar::parse(&pp, &sources, &mut diags);
            let model = check::check(&ast, &sources, pp.main_file, options, &mut diags);
            comp.model = if diags.has_errors() { None } else { model };
            comp.ast = Some(ast);
            let mut all = diags.into_vec();
            let later = all.split_off(first_later.min(all.len()));
            all.extend(in_source_order(later, &sources));
            comp.preprocessed = Some(pp);
            comp.sources = sources;
            comp.diagnostics = all;
            return comp;
        }
        comp.preprocessed = Some(pp);
    }
    comp.sources = sources;
    comp.diagnostics = diags.into_vec();
    comp
}

/// Sorts diagnostics by where their span first appears in the preprocessed buffer (the order
/// slice2py reports them in, as it checks while parsing). The sort is stable, and a
/// diagnostic without a span stays right after the one before it.
fn in_source_order(diags: Vec<Diagnostic>, sources: &SourceMap) -> Vec<Diagnostic> {
    let index = source::PpIndex::new(sources);
    let mut last = 0u32;
    let mut keyed: Vec<(u32, Diagnostic)> = diags
        .into_iter()
        .map(|d| {
            if let Some(k) = d.span().and_then(|s| index.pp_offset(s)) {
                last = k;
            }
            (last, d)
        })
        .collect();
    keyed.sort_by_key(|(k, _)| *k);
    keyed.into_iter().map(|(_, d)| d).collect()
}
