//! Identifier rules of SLICE-LANGUAGE.md 3.4, applied to every identifier token (definitions
//! and references; the last component of a scoped name). Some apply to the top-level file
//! only, unless lifted by `--ice`/`--underscore` or the file's `[["ice-prefix"]]` /
//! `[["underscore"]]`.

use super::Checker;
use crate::ast::{Ident, ScopedName};
use crate::source::Span;

const RESERVED_SUFFIXES: [&str; 4] = ["Helper", "Holder", "Prx", "Ptr"];

impl Checker<'_> {
    /// Checks an unscoped identifier.
    pub(crate) fn check_ident(&mut self, ident: &Ident) {
        self.check_name_token(&ident.name, ident.span);
    }

    /// Checks the last component of a scoped name.
    pub(crate) fn check_scoped(&mut self, name: &ScopedName) {
        let last = name.last().to_string();
        self.check_name_token(&last, name.span);
    }

    fn check_name_token(&mut self, name: &str, span: Span) {
        // Placeholders the grammar gives nameless members (`<unnamed@...>`) are no tokens.
        if name.starts_with('<') {
            return;
        }
        for suffix in RESERVED_SUFFIXES {
            if name.ends_with(suffix) {
                self.error(
                    "reserved-suffix",
                    span,
                    format!("illegal identifier `{name}': `{suffix}' suffix is reserved"),
                );
            }
        }
        let top_level = span.file == self.main;
        if name.starts_with('_') {
            self.error(
                "underscore",
                span,
                format!("illegal leading underscore in identifier `{name}'"),
            );
        } else if name.ends_with('_') {
            self.error(
                "underscore",
                span,
                format!("illegal trailing underscore in identifier `{name}'"),
            );
        } else if name.contains("__") {
            self.error(
                "underscore",
                span,
                format!("illegal double underscore in identifier `{name}'"),
            );
        } else if name.contains('_')
            && top_level
            && !self.options.underscore
            && !self.file_has_metadata(span.file, "underscore")
        {
            self.error(
                "underscore",
                span,
                format!("illegal underscore in identifier `{name}'"),
            );
        }
        if top_level
            && !self.options.ice_prefix
            && !self.file_has_metadata(span.file, "ice-prefix")
            && name.len() > 2
            && name.is_char_boundary(3)
            && name[..3].eq_ignore_ascii_case("ice")
        {
            self.error(
                "ice-prefix",
                span,
                format!(
                    "illegal identifier `{name}': `{}' prefix is reserved",
                    &name[..3]
                ),
            );
        }
    }
}
