//! Rendering diagnostics: human (rustc-like, with source snippets), short (one
//! `FILE:LINE:COL: error: MESSAGE` line each, as gcc does) and JSON lines.
//!
//! Line numbers are the ones a reader expects: physical lines, renumbered by `#line`
//! directives where the file has them. Rendering never fails: a span that does not fit its
//! file is clamped.

use crate::diagnostics::{Diagnostic, Location, Severity};
use crate::source::{FileId, SourceMap, Span};
use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::{Error as FilesError, Files};
use codespan_reporting::term::{self, termcolor, Chars, Config, Styles, StylesWriter};
use std::ops::Range;

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

/// Renders diagnostics to a string, without color.
pub fn render(diags: &[Diagnostic], sources: &SourceMap, format: Format) -> String {
    render_with_color(diags, sources, format, false)
}

/// Renders diagnostics to a string; `color` adds ANSI colors to the human format.
pub fn render_with_color(
    diags: &[Diagnostic],
    sources: &SourceMap,
    format: Format,
    color: bool,
) -> String {
    let mut out = String::new();
    for d in diags {
        match format {
            Format::Human => out.push_str(&human(d, sources, color)),
            Format::Short => {
                out.push_str(&short(d, sources));
                out.push('\n');
            }
            Format::Json => {
                out.push_str(&json(d, sources).to_string());
                out.push('\n');
            }
        }
    }
    out
}

/// The word for a severity.
fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// A span clamped to its file's text (and to character boundaries).
fn clamp(span: Span, sources: &SourceMap) -> Range<usize> {
    let text = &sources.file(span.file).text;
    let fix = |mut i: usize| {
        i = i.min(text.len());
        while i > 0 && !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let start = fix(span.start as usize);
    let end = fix(span.end as usize).max(start);
    start..end
}

/// `(file name, line, column)` of a byte offset, `#line` applied.
fn position(sources: &SourceMap, file: FileId, offset: u32) -> (String, u32, u32) {
    let f = sources.file(file);
    let (_, col) = f.line_col(offset);
    let (name, line) = f.presumed_line(offset);
    (name.to_string(), line, col)
}

/// One line: `FILE:LINE:COL: error: MESSAGE` (or `FILE: warning: ...`, `error: ...`).
pub fn short(d: &Diagnostic, sources: &SourceMap) -> String {
    let sev = severity_word(d.severity);
    match d.location {
        Location::Span(s) => {
            let (name, line, col) = position(sources, s.file, s.start);
            format!("{name}:{line}:{col}: {sev}: {}", d.message)
        }
        Location::File(f) => format!("{}: {sev}: {}", sources.file(f).name, d.message),
        Location::None => format!("{sev}: {}", d.message),
    }
}

/// One JSON object describing `d`.
pub fn json(d: &Diagnostic, sources: &SourceMap) -> serde_json::Value {
    let place = |span: Span| {
        let (file, line, column) = position(sources, span.file, span.start);
        let (_, end_line, end_column) = position(sources, span.file, span.end.max(span.start));
        (file, line, column, end_line, end_column)
    };
    let mut v = serde_json::json!({
        "severity": severity_word(d.severity),
        "code": d.code,
        "message": d.message,
        "file": null,
        "line": null,
        "column": null,
        "end_line": null,
        "end_column": null,
        "labels": d.labels.iter().map(|(s, msg)| {
            let (file, line, column, end_line, end_column) = place(*s);
            serde_json::json!({
                "file": file, "line": line, "column": column,
                "end_line": end_line, "end_column": end_column, "message": msg,
            })
        }).collect::<Vec<_>>(),
        "notes": d.notes,
    });
    match d.location {
        Location::Span(s) => {
            let (file, line, column, end_line, end_column) = place(s);
            v["file"] = file.into();
            v["line"] = line.into();
            v["column"] = column.into();
            v["end_line"] = end_line.into();
            v["end_column"] = end_column.into();
        }
        Location::File(f) => v["file"] = sources.file(f).name.clone().into(),
        Location::None => {}
    }
    v
}

/// rustc-like rendering with a snippet of the source.
pub fn human(d: &Diagnostic, sources: &SourceMap, color: bool) -> String {
    let mut labels: Vec<cs::Label<FileId>> = Vec::new();
    if let Location::Span(s) = d.location {
        labels.push(cs::Label::primary(s.file, clamp(s, sources)));
    }
    for (s, msg) in &d.labels {
        labels.push(cs::Label::secondary(s.file, clamp(*s, sources)).with_message(msg));
    }
    let mut notes = d.notes.clone();
    if let Location::File(f) = d.location {
        notes.insert(0, format!("in {}", sources.file(f).name));
    }
    let diag = match d.severity {
        Severity::Error => cs::Diagnostic::error(),
        Severity::Warning => cs::Diagnostic::warning(),
    }
    .with_code(d.code)
    .with_message(&d.message)
    .with_labels(labels)
    .with_notes(notes);
    let files = SourceFiles(sources);
    // rustc's look: `-->` and `|`, plain ASCII.
    let config = Config {
        chars: Chars::ascii(),
        ..Config::default()
    };
    let rendered = if color {
        let styles = Styles::default();
        let mut buf = Vec::new();
        let r = term::emit_to_write_style(
            &mut StylesWriter::new(termcolor::Ansi::new(&mut buf), &styles),
            &config,
            &files,
            &diag,
        );
        r.map(|()| String::from_utf8_lossy(&buf).into_owned())
    } else {
        term::emit_into_string(&config, &files, &diag)
    };
    // Spans are clamped and file ids come from the map, so this only falls back on a bug.
    rendered.unwrap_or_else(|_| format!("{}\n", short(d, sources)))
}

/// The [`SourceMap`] as codespan's file database.
struct SourceFiles<'a>(&'a SourceMap);

impl<'a> Files<'a> for SourceFiles<'a> {
    type FileId = FileId;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: FileId) -> Result<&'a str, FilesError> {
        self.file(id).map(|f| f.name.as_str())
    }

    fn source(&'a self, id: FileId) -> Result<&'a str, FilesError> {
        self.file(id).map(|f| f.text.as_str())
    }

    fn line_index(&'a self, id: FileId, byte_index: usize) -> Result<usize, FilesError> {
        let f = self.file(id)?;
        Ok(f.line_starts()
            .partition_point(|&s| s as usize <= byte_index)
            .saturating_sub(1))
    }

    fn line_number(&'a self, id: FileId, line_index: usize) -> Result<usize, FilesError> {
        let f = self.file(id)?;
        let start = f.line_starts().get(line_index).copied().unwrap_or(0);
        Ok(f.presumed_line(start).1 as usize)
    }

    fn line_range(&'a self, id: FileId, line_index: usize) -> Result<Range<usize>, FilesError> {
        let f = self.file(id)?;
        let starts = f.line_starts();
        let start = *starts.get(line_index).ok_or(FilesError::LineTooLarge {
            given: line_index,
            max: starts.len().saturating_sub(1),
        })? as usize;
        let end = starts
            .get(line_index + 1)
            .map_or(f.text.len(), |&e| e as usize);
        Ok(start..end)
    }
}

impl SourceFiles<'_> {
    fn file(&self, id: FileId) -> Result<&crate::source::SourceFile, FilesError> {
        self.0
            .files()
            .get(id.0 as usize)
            .ok_or(FilesError::FileMissing)
    }
}
