//! Semantic checks and name resolution (SLICE-LANGUAGE.md 6 to 12).
//!
//! One walk over the AST in source order, registering each entity when the reference parser
//! would create it. Because nothing is visible before it is registered, this reproduces for
//! free the absence of forward references, the "has changed meaning" bookkeeping and the
//! order of the reference compiler's messages. The symbol table mirrors slice2py's: a tree
//! of entities plus a map from lower-cased scoped name to every entity with that name (so
//! lookups are case-insensitive and can report capitalization mistakes).
//!
//! Where a check is reported follows SLICE-LANGUAGE.md 13.2: the token slice2py has just
//! read when the check runs (a look-ahead token is found with `Checker::next_token`);
//! diagnostics are put in source order by the driver, so identifier rules (checked per
//! definition, before its semantic checks) land before the errors of the same construct.
//!
//! Known, deliberate differences from slice2py 3.7.8: placeholders slice2py names with a
//! UUID (a struct or enum that could not be created) keep their written name in messages;
//! a newline between a name and `(` does not shift later line numbers (slice2py's bug);
//! checks slice2py runs on constructs it later abandons on a syntax error only happen when
//! the grammar produced the construct.
//!
//! Submodules: `symbols` (entities, lookup, "has changed meaning", name rules),
//! `idents` (lexical identifier rules and per-file context), `walk` (the walk over
//! definitions), `values` (constants, default values, tags), `lower` (building the
//! [`Model`]). This module never panics on any input and never recurses deeper than the
//! input's nesting.

mod idents;
mod lower;
pub(crate) mod symbols;
mod values;
mod walk;

use std::collections::HashMap;

use crate::ast;
use crate::diagnostics::{Diagnostic, Diagnostics, Severity};
use crate::model::Model;
use crate::source::{FileId, SourceMap, Span};
use crate::Options;

use symbols::Ent;

/// Warning categories of `[["suppress-warning:..."]]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Category {
    /// Deprecated features.
    Deprecated,
    /// Metadata a generator does not understand.
    InvalidMetadata,
}

/// Per-file state (the reference's "definition context").
#[derive(Clone, Debug, Default)]
pub(crate) struct FileCtx {
    /// File metadata accepted so far.
    pub(crate) metadata: Vec<String>,
    /// Whether a definition was seen in this file (file metadata is then too late).
    pub(crate) seen_definition: bool,
    /// `suppress-warning` with no category (or `all`).
    pub(crate) suppress_all: bool,
    /// `suppress-warning:deprecated`.
    pub(crate) suppress_deprecated: bool,
    /// `suppress-warning:invalid-metadata`.
    pub(crate) suppress_invalid_metadata: bool,
    /// Unknown `suppress-warning` categories (warned about again after a successful check).
    pub(crate) bad_categories: Vec<String>,
}

/// The checker's state during the walk.
pub(crate) struct Checker<'a> {
    pub(crate) sources: &'a SourceMap,
    pub(crate) main: FileId,
    pub(crate) options: &'a Options,
    pub(crate) diags: &'a mut Diagnostics,
    /// Every entity; index 0 is the global scope (the "unit").
    pub(crate) ents: Vec<Ent>,
    /// Lower-cased scoped name → entities with that name, in creation order.
    pub(crate) content_map: HashMap<String, Vec<usize>>,
    /// File contexts.
    pub(crate) files: HashMap<FileId, FileCtx>,
    /// Compact id → scoped class name.
    pub(crate) type_ids: HashMap<i64, String>,
    /// Number of errors this checker reported.
    pub(crate) errors: usize,
    /// Counter for names of dummy entities.
    pub(crate) dummies: usize,
}

/// Checks the AST in source order and builds the resolved model.
///
/// Returns `None` when an error was reported (errors go to `diags`, in source order).
pub fn check(
    file: &ast::File,
    sources: &SourceMap,
    main: FileId,
    options: &Options,
    diags: &mut Diagnostics,
) -> Option<Model> {
    let mut checker = Checker::new(sources, main, options, diags);
    checker.walk_items(&file.items, symbols::UNIT);
    if checker.errors > 0 || checker.diags.has_errors() {
        return None;
    }
    checker.rewarn_bad_categories();
    Some(checker.lower())
}

impl<'a> Checker<'a> {
    fn new(
        sources: &'a SourceMap,
        main: FileId,
        options: &'a Options,
        diags: &'a mut Diagnostics,
    ) -> Checker<'a> {
        Checker {
            sources,
            main,
            options,
            diags,
            ents: vec![Ent::unit()],
            content_map: HashMap::new(),
            files: HashMap::new(),
            type_ids: HashMap::new(),
            errors: 0,
            dummies: 0,
        }
    }

    /// Reports an error.
    pub(crate) fn error(&mut self, code: &'static str, span: Span, message: impl Into<String>) {
        self.errors += 1;
        self.diags.push(Diagnostic::error(code, span, message));
    }

    /// Reports a warning unless the file of `span` suppresses its category.
    pub(crate) fn warning(
        &mut self,
        code: &'static str,
        category: Category,
        span: Span,
        message: impl Into<String>,
    ) {
        if self.suppressed(span.file, category) {
            return;
        }
        self.diags.push(Diagnostic::warning(code, span, message));
    }

    pub(crate) fn suppressed(&self, file: FileId, category: Category) -> bool {
        match self.files.get(&file) {
            None => false,
            Some(ctx) => {
                ctx.suppress_all
                    || match category {
                        Category::Deprecated => ctx.suppress_deprecated,
                        Category::InvalidMetadata => ctx.suppress_invalid_metadata,
                    }
            }
        }
    }

    /// Handles `[[...]]`: placement rule, accumulation and `suppress-warning`.
    pub(crate) fn file_metadata(&mut self, md: &ast::Metadata) {
        let file = md.span.file;
        let ctx = self.files.entry(file).or_default();
        if ctx.seen_definition {
            self.error(
                "file-metadata-late",
                md.span,
                "file metadata must appear before any definitions",
            );
            return;
        }
        ctx.metadata
            .extend(md.directives.iter().map(|d| d.value.clone()));
        self.init_suppressed(file);
    }

    /// Recomputes the suppressed categories of a file from its metadata (the first
    /// `suppress-warning` directive counts, as in the reference).
    fn init_suppressed(&mut self, file: FileId) {
        let Some(ctx) = self.files.get_mut(&file) else {
            return;
        };
        ctx.suppress_all = false;
        ctx.suppress_deprecated = false;
        ctx.suppress_invalid_metadata = false;
        ctx.bad_categories.clear();
        let Some(value) = ctx
            .metadata
            .iter()
            .find(|m| m.starts_with("suppress-warning"))
            .cloned()
        else {
            return;
        };
        if value == "suppress-warning" {
            ctx.suppress_all = true;
            return;
        }
        let Some(list) = value.strip_prefix("suppress-warning:") else {
            return;
        };
        let mut bad = Vec::new();
        for item in list.split(',') {
            match item.trim() {
                "all" => ctx.suppress_all = true,
                "deprecated" => ctx.suppress_deprecated = true,
                "invalid-metadata" => ctx.suppress_invalid_metadata = true,
                other => bad.push(other.to_string()),
            }
        }
        ctx.bad_categories.clone_from(&bad);
        if self.suppressed(file, Category::InvalidMetadata) {
            return;
        }
        for b in bad {
            self.bad_category_warning(&b);
        }
    }

    /// slice2py prints this warning without file or line.
    fn bad_category_warning(&mut self, category: &str) {
        self.diags.push(Diagnostic::global(
            Severity::Warning,
            "suppress-warning-category",
            format!("invalid category `{category}' in file metadata suppress-warning"),
        ));
    }

    /// slice2py re-reads every file's metadata once more after a successful parse (when its
    /// generator validates metadata), so each unknown category is reported a second time,
    /// after everything else.
    fn rewarn_bad_categories(&mut self) {
        let mut files: Vec<FileId> = self.files.keys().copied().collect();
        files.sort();
        for f in files {
            if self.suppressed(f, Category::InvalidMetadata) {
                continue;
            }
            let bad = self.files.get(&f).map(|c| c.bad_categories.clone());
            for b in bad.unwrap_or_default() {
                self.bad_category_warning(&b);
            }
        }
    }

    /// Marks that a definition was seen in the file of `span`.
    pub(crate) fn seen_definition(&mut self, span: Span) {
        self.files.entry(span.file).or_default().seen_definition = true;
    }

    /// Whether file metadata of `file` contains `directive`.
    pub(crate) fn file_has_metadata(&self, file: FileId, directive: &str) -> bool {
        self.files
            .get(&file)
            .is_some_and(|c| c.metadata.iter().any(|m| m == directive))
    }

    /// The first token after `span` in its file (comments and blanks skipped): where the
    /// reference reports checks that run once it has read one token of look-ahead.
    pub(crate) fn next_token(&self, span: Span) -> Span {
        let text = self.sources.file(span.file).text.as_bytes();
        let mut i = span.end as usize;
        while i < text.len() {
            match (text[i], text.get(i + 1)) {
                (b' ' | b'\t' | b'\r' | b'\n' | 0x0b | 0x0c, _) => i += 1,
                (b'/', Some(b'/')) => {
                    while i < text.len() && text[i] != b'\n' {
                        i += 1;
                    }
                }
                (b'/', Some(b'*')) => {
                    i += 2;
                    while i + 1 < text.len() && !(text[i] == b'*' && text[i + 1] == b'/') {
                        i += 1;
                    }
                    i = (i + 2).min(text.len());
                }
                _ => break,
            }
        }
        let at = i.min(text.len()) as u32;
        Span::new(span.file, at, (at + 1).min(text.len() as u32).max(at))
    }

    /// The last byte of a span (e.g. the `)` closing `optional(...)`).
    pub(crate) fn last_byte(span: Span) -> Span {
        Span::new(
            span.file,
            span.end.saturating_sub(1).max(span.start),
            span.end,
        )
    }

    /// "FILE:LINE" of a span, as the reference prints it inside messages.
    pub(crate) fn file_line(&self, span: Span) -> String {
        let (name, line) = self.sources.file(span.file).presumed_line(span.start);
        format!("{name}:{line}")
    }
}
