//! Helpers shared by the integration tests: temporary directories and a compact form of
//! diagnostics.
#![allow(dead_code)] // each test crate uses a different subset

pub mod corpus;

use slice_parser::diagnostics::Location;
use slice_parser::{Diagnostic, Severity, SourceMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A directory under the system temporary directory, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    /// A new, empty directory.
    pub fn new() -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!(
            "slice-parser-test-{}-{n}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(std::fs::canonicalize(&dir).expect("canonical temp dir"))
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `text` to `name` (sub-directories are created).
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("create dirs");
        }
        std::fs::write(&p, text).expect("write file");
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `FILE:LINE: message` (errors) / `FILE:LINE: warning: message`, slice2py's layout, with
/// the presumed line (after `#line`).
pub fn brief(d: &Diagnostic, sources: &SourceMap) -> String {
    let warn = if d.severity == Severity::Warning {
        "warning: "
    } else {
        ""
    };
    match d.location {
        Location::Span(s) => {
            let (name, line) = sources.file(s.file).presumed_line(s.start);
            format!("{name}:{line}: {warn}{}", d.message)
        }
        Location::File(f) => format!("{}: {warn}{}", sources.file(f).name, d.message),
        Location::None => format!("{warn}{}", d.message),
    }
}

/// The token stream of preprocessed text: comments, `#line` markers, byte-order marks and
/// white-space differences removed (mcpp moves comments around; we keep them in place).
pub fn preprocessed_tokens(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    let mut at_line_start = true;
    while let Some(c) = rest.chars().next() {
        if at_line_start && rest.starts_with("#line") {
            rest = rest.find('\n').map_or("", |e| &rest[e..]);
            continue;
        }
        at_line_start = c == '\n';
        if rest.starts_with("//") {
            rest = rest.find('\n').map_or("", |e| &rest[e..]);
        } else if let Some(body) = rest.strip_prefix("/*") {
            rest = body.find("*/").map_or("", |e| &body[e + 2..]);
            out.push(' ');
        } else if c == '"' {
            let mut end = 1;
            let b = rest.as_bytes();
            while end < b.len() && b[end] != b'"' && b[end] != b'\n' {
                end += if b[end] == b'\\' { 2 } else { 1 };
            }
            let end = (end + 1).min(b.len());
            let end = (0..=end)
                .rev()
                .find(|&e| rest.is_char_boundary(e))
                .unwrap_or(0);
            out.push_str(&rest[..end]);
            rest = &rest[end..];
        } else {
            if c == '\u{feff}' || c.is_whitespace() {
                out.push(' ');
            } else {
                out.push(c);
            }
            rest = &rest[c.len_utf8()..];
        }
    }
    // White space next to a bracket or separator never separates tokens (mcpp and we pad
    // macro expansions differently).
    let joined = out.split_whitespace().collect::<Vec<_>>().join(" ");
    let tight = |c: Option<char>| c.is_some_and(|c| "()[]{}<>,;=".contains(c));
    let chars: Vec<char> = joined.chars().collect();
    chars
        .iter()
        .enumerate()
        .filter(|&(i, &c)| {
            let prev = i.checked_sub(1).and_then(|p| chars.get(p)).copied();
            !(c == ' ' && (tight(prev) || tight(chars.get(i + 1).copied())))
        })
        .map(|(_, &c)| c)
        .collect()
}

/// How many cases a proptest runs: `$PROPTEST_CASES` when set, else `default` (an explicit
/// count in a proptest config would otherwise hide the variable).
pub fn proptest_cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
