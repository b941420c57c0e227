//! What the preprocessor's result looks like to users: `-E` text and `--depend` rules.

use super::Preprocessed;
use crate::source::SourceMap;
use std::path::{Path, PathBuf};

/// The preprocessed text as `slice2py -E` shows it: `#line N "file"` before the text of each
/// file (and after returning from an include), blank lines for directives and excluded text.
pub fn expanded_text(pp: &Preprocessed, sources: &SourceMap) -> String {
    let segs = sources.segments();
    let text = pp.text.as_bytes();
    let mut out = String::with_capacity(text.len() + 64);
    let mut current: Option<(crate::FileId, u32)> = None;
    for (i, s) in segs.iter().enumerate() {
        let start = (s.pp_start as usize).min(text.len());
        let end = segs
            .get(i + 1)
            .map_or(text.len(), |n| (n.pp_start as usize).min(text.len()));
        if start >= end {
            continue;
        }
        let file = sources.file(s.file);
        let (name, line) = file.presumed_line(s.file_start);
        let at_line_start = start == 0 || text.get(start - 1) == Some(&b'\n');
        let continues = current == Some((s.file, line)) || !at_line_start;
        if !continues {
            if !out.is_empty() && !out.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&format!("#line {line} \"{}\"\n", escape(name)));
        }
        let chunk = String::from_utf8_lossy(&text[start..end]);
        for piece in chunk.split_inclusive('\n') {
            let at_line_start = out.is_empty() || out.ends_with('\n');
            if at_line_start && piece.trim().is_empty() {
                if piece.ends_with('\n') {
                    out.push('\n');
                }
            } else {
                out.push_str(piece);
            }
        }
        let newlines = chunk.bytes().filter(|&c| c == b'\n').count() as u32;
        current = Some((s.file, line + newlines));
    }
    out
}

fn escape(name: &str) -> String {
    name.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The files a compilation depends on, spelled as slice2py's `--depend` spells them: a file
/// inside an `-I` directory as `<that -I argument as given>/<rest>` (the shortest such form),
/// any other one by its absolute path. Only `.ice` files are listed, each once, in
/// first-inclusion order; the compiled file itself is not.
pub fn dependencies(
    pp: &Preprocessed,
    sources: &SourceMap,
    include_dirs: &[PathBuf],
) -> Vec<String> {
    let dirs: Vec<(PathBuf, &PathBuf)> = include_dirs
        .iter()
        .filter_map(|d| std::fs::canonicalize(d).ok().map(|c| (c, d)))
        .collect();
    pp.includes
        .iter()
        .map(|&id| &sources.file(id).path)
        .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("ice")))
        .map(|p| spell_dependency(p, &dirs))
        .collect()
}

fn spell_dependency(path: &Path, dirs: &[(PathBuf, &PathBuf)]) -> String {
    let mut best: Option<String> = None;
    for (canon, given) in dirs {
        if let Ok(rest) = path.strip_prefix(canon) {
            let s = format!("{}/{}", given.to_string_lossy(), rest.to_string_lossy());
            if best.as_ref().is_none_or(|b| s.len() < b.len()) {
                best = Some(s);
            }
        }
    }
    best.unwrap_or_else(|| path.to_string_lossy().into_owned())
}

/// One Makefile rule: `target: \` then one prerequisite per line (the compiled file as given
/// first), spaces escaped with a backslash.
pub fn make_rule(target: &str, source: &str, deps: &[String]) -> String {
    let mut s = format!("{}:", make_escape(target));
    for d in std::iter::once(source).chain(deps.iter().map(String::as_str)) {
        s.push_str(" \\\n ");
        s.push_str(&make_escape(d));
    }
    s.push('\n');
    s
}

fn make_escape(s: &str) -> String {
    s.replace(' ', "\\ ")
}

/// The same dependencies as XML (`--depend-xml`), one `<source>` element.
pub fn xml_source(source: &str, deps: &[String]) -> String {
    let mut s = format!("  <source name=\"{}\">\n", xml_escape(source));
    for d in deps {
        s.push_str(&format!("    <dependsOn name=\"{}\"/>\n", xml_escape(d)));
    }
    s.push_str("  </source>\n");
    s
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
