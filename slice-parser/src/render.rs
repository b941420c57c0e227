//! Rendering diagnostics: human (rustc-like), short (gcc-like), json. STUB: being written.

use crate::diagnostics::Diagnostic;
use crate::source::SourceMap;

/// Output formats for diagnostics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    /// rustc-like with source snippets.
    #[default]
    Human,
    /// `FILE:LINE:COL: error: MESSAGE`.
    Short,
    /// One JSON object per line.
    Json,
}

/// Renders diagnostics to a string.
pub fn render(diags: &[Diagnostic], sources: &SourceMap, _format: Format) -> String {
    let mut out = String::new();
    for d in diags {
        if let Some(span) = d.span() {
            let (l, c) = sources.line_col(span);
            out.push_str(&format!(
                "{}:{l}:{c}: {}\n",
                sources.file(span.file).name,
                d.message
            ));
        } else {
            out.push_str(&format!("{}\n", d.message));
        }
    }
    out
}
