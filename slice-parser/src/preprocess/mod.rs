//! The preprocessor (SLICE-LANGUAGE.md 2): what mcpp does for ZeroC's compilers.
//!
//! It reads the compiled file and everything it includes and produces one buffer for the
//! grammar, plus the [`SourceMap`] segments that lead every byte of that buffer back to its
//! original file. Directive lines and lines excluded by `#if` become blank (every byte but
//! the newline turns into a space), so byte offsets inside a file stay the same and most of
//! the buffer maps one for one; only included files and macro expansions start new segments.
//! Comments are copied verbatim (the grammar skips them) and doc comments are listed.
//!
//! Errors use mcpp's messages (the corpus and `tests/preprocess_vs_mcpp.rs` compare them
//! with the real thing) and are fatal: after any error the result is `None`.
//!
//! This module reads files and text lines; `directive` handles directive lines, `macros`
//! defines and expands macros, `expr` evaluates `#if`, `lex` has the token scanner they
//! share, and [`output`] turns a result into `-E` text or `--depend` rules.
//!
//! None of it may panic, recurse without bound or allocate without bound, whatever the
//! input: include depth, inclusions, macro expansion, `#if` nesting and output size are
//! capped.

mod directive;
mod expr;
mod lex;
mod macros;
pub mod output;

use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::source::{FileId, Segment, SourceFile, SourceMap, Span};
use crate::{MacroArg, Options};
use lex::{Kind, Tok, Unclosed};
use macros::{Expander, Macro, MacroTable};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// The Ice version the predefined `__ICE_VERSION__` / `ICE_VERSION` macros announce.
pub const ICE_VERSION: u32 = 30708;
/// mcpp's limit on `#include` nesting.
const MAX_INCLUDE_DEPTH: usize = 256;
/// Largest preprocessed buffer we build (guards against exponential inclusion).
const MAX_OUTPUT: usize = 64 << 20;
/// Largest source file read (`#include` of anything bigger fails like a missing file).
const MAX_FILE: usize = 64 << 20;
/// Most files one compilation may open through `#include` (a file included twice counts
/// twice); Ice's own largest file needs a few dozen.
const MAX_INCLUSIONS: usize = 1 << 16;

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
    options: &Options,
    sources: &mut SourceMap,
    diags: &mut Diagnostics,
) -> Option<Preprocessed> {
    let name = path.to_string_lossy().into_owned();
    match read_source(path) {
        Ok(text) => preprocess_source(&name, text, options, sources, diags),
        Err(_) => {
            diags.push(Diagnostic::global(
                crate::Severity::Error,
                "io",
                format!("cannot open `{}' for reading", absolute(path).display()),
            ));
            None
        }
    }
}

/// Preprocesses `text` as if it were the content of the file `name` (which need not exist;
/// quoted includes are still searched in its directory, then in the `-I` directories).
pub fn preprocess_source(
    name: &str,
    text: String,
    options: &Options,
    sources: &mut SourceMap,
    diags: &mut Diagnostics,
) -> Option<Preprocessed> {
    if text.len() > MAX_FILE {
        // Offsets are u32: refuse rather than wrap (no real Slice file comes close).
        diags.push(Diagnostic::global(
            crate::Severity::Error,
            "io",
            format!("`{name}' is too large (more than {MAX_FILE} bytes)"),
        ));
        return None;
    }
    let path = canonical(Path::new(name));
    let main = sources.add_file(SourceFile::new(name.to_string(), path, text));
    let mut pp = Pp {
        options,
        sources,
        diags,
        out: Vec::new(),
        doc_comments: Vec::new(),
        includes: Vec::new(),
        once: HashSet::new(),
        macros: initial_macros(options),
        errors: 0,
        fatal: false,
        main,
        included_from: Vec::new(),
        at_end_of_file: Vec::new(),
    };
    pp.run(main);
    if pp.errors > 0 {
        return None;
    }
    let text = match String::from_utf8(pp.out) {
        Ok(s) => s,
        // Only whole characters are ever blanked, so this cannot happen; stay total anyway.
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    Some(Preprocessed {
        main_file: main,
        text,
        doc_comments: pp.doc_comments,
        includes: pp.includes,
    })
}

/// Reads a source file: at most [`MAX_FILE`] bytes (offsets are `u32`, and no Slice file is
/// anywhere near that size), decoded lossily when it is not UTF-8.
fn read_source(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_FILE as u64 + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() > MAX_FILE {
        return Err(std::io::Error::other("file too large"));
    }
    Ok(decode(bytes))
}

/// Decodes a file's bytes (lossily when it is not UTF-8).
fn decode(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// The absolute form of `p` (relative to the current directory), without touching the disk.
fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().map_or_else(|_| p.to_path_buf(), |d| d.join(p))
    }
}

/// The canonical path of `p` (symbolic links resolved), or its absolute form when it does
/// not exist.
fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| absolute(p))
}

/// Predefined macros, then `-D` / `-U` in command-line order.
fn initial_macros(options: &Options) -> MacroTable {
    let mut t = MacroTable::new();
    let version = ICE_VERSION.to_string();
    for (name, value) in [
        ("__SLICE2RS__", "1"),
        ("__ICE_VERSION__", version.as_str()),
        ("ICE_VERSION", version.as_str()),
    ] {
        t.insert(name.to_string(), Macro::object(name, value));
    }
    // C's standard macros, as mcpp defines them (`__LINE__` and `__FILE__` are refreshed
    // before every expansion).
    let (date, time) = date_and_time();
    for (name, value) in [
        ("__STDC__", "1".to_string()),
        ("__STDC_VERSION__", "199409L".to_string()),
        ("__STDC_HOSTED__", "1".to_string()),
        ("__DATE__", format!("\"{date}\"")),
        ("__TIME__", format!("\"{time}\"")),
        ("__LINE__", "1".to_string()),
        ("__FILE__", "\"\"".to_string()),
    ] {
        t.insert(name.to_string(), Macro::object(name, &value));
    }
    for m in &options.macros {
        match m {
            MacroArg::Define(name, value) => {
                let value = value.as_deref().unwrap_or("1");
                // `-D'F(x)=x'` defines a function-like macro, as with a C compiler.
                let line = format!("{name} {value}");
                let (toks, _, _) = lex::tokenize_line(line.as_bytes(), 0, false, |_| false);
                if let Ok((n, m)) = macros::parse_define(&toks) {
                    t.insert(n, m);
                }
            }
            MacroArg::Undefine(name) => {
                t.remove(name);
            }
        }
    }
    t
}

/// Macros that may not be redefined (mcpp's list).
const NO_REDEFINE: [&str; 4] = ["__FILE__", "__LINE__", "__DATE__", "__TIME__"];
/// Macros that may not be undefined (mcpp's list).
const NO_UNDEFINE: [&str; 6] = [
    "__FILE__",
    "__LINE__",
    "__DATE__",
    "__TIME__",
    "__STDC__",
    "__STDC_VERSION__",
];

/// Today's date and the time (UTC) as `__DATE__` / `__TIME__` spell them: `Nov 25 2026`,
/// `13:05:09`.
fn date_and_time() -> (String, String) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let name = MONTHS.get((month - 1) as usize).copied().unwrap_or("Jan");
    let time = format!("{:02}:{:02}:{:02}", rem / 3600, rem / 60 % 60, rem % 60);
    (format!("{name} {day:>2} {year}"), time)
}

/// One open `#if` section.
#[derive(Clone, Copy, Debug)]
struct Cond {
    /// Where its `#if` / `#ifdef` / `#ifndef` is.
    span: Span,
    /// Line of its `#else`, once seen.
    else_line: Option<u32>,
    /// Whether one of its branches was taken already.
    taken: bool,
    /// Whether the current branch is being kept.
    active: bool,
    /// Whether the text around the section is kept.
    parent_active: bool,
}

/// A file being read.
struct Frame {
    file: FileId,
    text: Rc<[u8]>,
    /// Directory of the file as the user named it (quoted includes are searched there).
    dir: PathBuf,
    pos: usize,
    conds: Vec<Cond>,
    level: u32,
}

impl Frame {
    fn active(&self) -> bool {
        self.conds.last().is_none_or(|c| c.active)
    }
}

/// The state of one preprocessing run.
struct Pp<'a> {
    options: &'a Options,
    sources: &'a mut SourceMap,
    diags: &'a mut Diagnostics,
    out: Vec<u8>,
    doc_comments: Vec<(u32, u32)>,
    includes: Vec<FileId>,
    once: HashSet<FileId>,
    macros: MacroTable,
    errors: usize,
    fatal: bool,
    main: FileId,
    /// The `#include` directives that led to the file being read, outermost first.
    included_from: Vec<Span>,
    /// Errors to report when the current file ends (after its unterminated sections).
    at_end_of_file: Vec<Diagnostic>,
}

impl Pp<'_> {
    fn run(&mut self, main: FileId) {
        let dir = parent_dir(&self.sources.file(main).name);
        let mut stack = vec![self.open_frame(main, dir, 0)];
        let mut inclusions = 0usize;
        while !self.fatal {
            let Some(f) = stack.last_mut() else { break };
            if f.pos >= f.text.len() {
                self.finish_frame(f);
                stack.pop();
                self.included_from.pop();
                if let Some(p) = stack.last() {
                    self.segment(p.file, p.pos, true, p.level);
                }
                continue;
            }
            if let Some(include) = self.step(f) {
                inclusions += 1;
                if inclusions > MAX_INCLUSIONS {
                    let msg = format!("More than {MAX_INCLUSIONS} inclusions of files");
                    self.error("pp-include-depth", include.1, msg);
                    self.fatal = true;
                } else if stack.len() >= MAX_INCLUDE_DEPTH {
                    let span = include.1;
                    self.error(
                        "pp-include-depth",
                        span,
                        format!("More than {MAX_INCLUDE_DEPTH} nesting of #include"),
                    );
                    self.fatal = true;
                } else {
                    let level = stack.len() as u32;
                    let (file, site, dir) = include;
                    let frame = self.open_frame(file, dir, level);
                    stack.push(frame);
                    self.included_from.push(site);
                }
            }
            if self.out.len() > MAX_OUTPUT {
                let span = Span::new(main, 0, 0);
                self.error("pp-too-large", span, "Preprocessed output too large");
                self.fatal = true;
            }
        }
    }

    fn open_frame(&mut self, file: FileId, dir: PathBuf, level: u32) -> Frame {
        let text: Rc<[u8]> = Rc::from(self.sources.file(file).text.as_bytes());
        self.segment(file, 0, true, level);
        let mut pos = 0;
        if text.starts_with("\u{feff}".as_bytes()) {
            // A byte-order mark is not part of the text (mcpp drops it).
            self.out.extend_from_slice(b"   ");
            pos = 3;
        }
        Frame {
            file,
            text,
            dir,
            pos,
            conds: Vec::new(),
            level,
        }
    }

    /// End of a file: unclosed sections are errors; the text must end with a newline.
    fn finish_frame(&mut self, f: &Frame) {
        let last = last_line_span(f.file, &f.text);
        // mcpp reports the outermost open section only.
        if let Some(c) = f.conds.first().copied() {
            // The span is the directive's last line: mcpp counts it from there.
            let line = self.line_of(c.span);
            let d = Diagnostic::error(
                "pp-unterminated-if",
                last,
                format!("End of input within #if (#ifdef) section started at line {line}"),
            )
            .with_label(c.span, "the section starts here");
            self.push_error(d);
        }
        for d in std::mem::take(&mut self.at_end_of_file) {
            self.push_error(d);
        }
        if !f.text.is_empty() && !f.text.ends_with(b"\n") {
            self.out.push(b'\n');
        }
    }

    fn segment(&mut self, file: FileId, file_start: usize, exact: bool, level: u32) {
        self.sources.push_segment(Segment {
            pp_start: self.out.len() as u32,
            file,
            file_start: file_start as u32,
            exact,
            level,
        });
    }

    /// The line a message names (as renumbered by `#line`).
    fn line_of(&self, span: Span) -> u32 {
        self.sources.file(span.file).presumed_line(span.start).1
    }

    fn error(&mut self, code: &'static str, span: Span, message: impl Into<String>) {
        self.push_error(Diagnostic::error(code, span, message));
    }

    fn push_error(&mut self, d: Diagnostic) {
        self.errors += 1;
        self.push(d);
    }

    fn warning(&mut self, code: &'static str, span: Span, message: impl Into<String>) {
        self.push(Diagnostic::warning(code, span, message));
    }

    /// Records a diagnostic, noting the chain of includes that led to its file (as mcpp's
    /// `from FILE: LINE:` lines do).
    fn push(&mut self, mut d: Diagnostic) {
        // The innermost few are what a reader needs (the chain can be 256 long).
        for site in self.included_from.iter().rev().take(16) {
            let f = self.sources.file(site.file);
            let (name, line) = f.presumed_line(site.start);
            d.notes.push(format!("included from {name}:{line}"));
        }
        self.diags.push(d);
    }

    /// Processes one line of `f` (a directive, or text possibly continued by a comment).
    /// Returns the file to include next, if the line was an `#include` to follow.
    fn step(&mut self, f: &mut Frame) -> Option<(FileId, Span, PathBuf)> {
        let b = Rc::clone(&f.text);
        let mut p = f.pos;
        while p < b.len() && lex::is_blank(b[p]) {
            p += 1;
        }
        if b.get(p) == Some(&b'#') {
            return self.directive(f, &b, p);
        }
        let active = f.active();
        self.text_line(f, &b, active);
        None
    }

    /// Copies (or, in an excluded section, blanks) text up to the end of its line.
    fn text_line(&mut self, f: &mut Frame, b: &[u8], active: bool) {
        let mut i = f.pos;
        let mut copied = i;
        while let Some(&c) = b.get(i) {
            match c {
                b'\n' => {
                    i += 1;
                    break;
                }
                b'/' if b.get(i + 1) == Some(&b'*') => {
                    let is_doc = b.get(i + 2) == Some(&b'*') && b.get(i + 3) != Some(&b'/');
                    let pp_start = (self.out.len() + (i - copied)) as u32;
                    let body_end = lex::find(b, i + 2, b"*/").unwrap_or(b.len());
                    self.nested_comment_warnings(f.file, b, i + 2, body_end);
                    match lex::find(b, i + 2, b"*/") {
                        Some(e) => {
                            i = e + 2;
                            if active && is_doc {
                                let pp_end = (self.out.len() + (i - copied)) as u32;
                                self.doc_comments.push((pp_start, pp_end));
                            }
                        }
                        None => {
                            self.unterminated_comment(f.file, b, i);
                            i = b.len();
                            if active {
                                self.out.extend_from_slice(&b[copied..i]);
                                self.out.extend_from_slice(b"*/");
                                copied = i;
                                if is_doc {
                                    self.doc_comments.push((pp_start, self.out.len() as u32));
                                }
                            }
                        }
                    }
                }
                b'/' if b.get(i + 1) == Some(&b'/') => {
                    while i < b.len() && b[i] != b'\n' {
                        i += 1;
                    }
                }
                b'"' | b'\'' => match lex::quoted_end(b, i) {
                    Some(e) => {
                        if active && c == b'"' {
                            self.check_quoted(f.file, b, i, e);
                        }
                        i = e;
                    }
                    None => {
                        let (code, msg) = unterminated(c);
                        let end = lex::line_end(b, i);
                        let span = Span::new(f.file, i as u32, trim_newline(b, end) as u32);
                        self.error(code, span, msg);
                        i = trim_newline(b, end);
                    }
                },
                c if lex::is_ident_start(c) => {
                    let e = lex::ident_end(b, i);
                    if active {
                        if let Some(end) = self.try_expand(f, b, i, e, copied) {
                            copied = end;
                            i = end;
                            continue;
                        }
                    }
                    i = e;
                }
                c if c.is_ascii_digit()
                    || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit)) =>
                {
                    i = lex::number_end(b, i);
                }
                c if (c < 0x20 && !lex::is_blank(c)) || c == 0x7f => {
                    if active {
                        self.error(
                            "pp-control-char",
                            span_at(f.file, i, 1),
                            format!("Illegal control character 0x{c:02x}, skipped the character"),
                        );
                        self.out.extend_from_slice(&b[copied..i]);
                        self.out.push(b' ');
                        copied = i + 1;
                    }
                    i += 1;
                }
                _ => i += 1,
            }
        }
        let i = i.min(b.len());
        if active {
            self.out.extend_from_slice(&b[copied..i]);
        } else {
            blank_into(&mut self.out, &b[copied..i]);
        }
        f.pos = i;
    }

    /// Warns about control characters inside the string literal `b[start..end]`.
    fn check_quoted(&mut self, file: FileId, b: &[u8], start: usize, end: usize) {
        for (k, &c) in b[start..end].iter().enumerate() {
            if (c < 0x20 && c != b'\t') || c == 0x7f {
                self.warning(
                    "pp-control-char",
                    span_at(file, start + k, 1),
                    format!("Illegal control character 0x{c:02x} in quotation"),
                );
            }
        }
    }

    /// If the identifier `b[start..ident_end]` is a macro (called, for a function-like one),
    /// writes its expansion and returns the offset after the call.
    fn try_expand(
        &mut self,
        f: &Frame,
        b: &[u8],
        start: usize,
        ident_end: usize,
        copied: usize,
    ) -> Option<usize> {
        let name = std::str::from_utf8(&b[start..ident_end]).ok()?;
        let function_like = self.macros.get(name)?.params.is_some();
        let (toks, end) = if function_like {
            let mut k = ident_end;
            while k < b.len() && lex::is_blank(b[k]) {
                k += 1;
            }
            if b.get(k) != Some(&b'(') {
                return None;
            }
            // The arguments may run over several lines; a line with an open quote is
            // reported and skipped, and reading goes on (as mcpp does).
            // Messages come in source order: lines that look like directives are warned
            // about up to each error.
            let mut toks: Vec<Tok> = Vec::new();
            let mut end = start;
            let mut scanned = start;
            loop {
                let (more, e, err) = lex::tokenize_line(b, end, true, |t| {
                    Expander::call_complete(toks.iter().chain(t))
                });
                let mut more = more;
                if end > start {
                    // A later chunk starts on a new line: white space before its first token.
                    if let Some(first) = more.first_mut() {
                        first.space = true;
                    }
                }
                if let Some(Unclosed::String(o) | Unclosed::Char(o)) = err {
                    // The rest of the line is skipped, and with it (mcpp reads whole lines)
                    // what came before the quote on that line, unless the call starts there.
                    let o = o as usize;
                    let line_start = b[..o]
                        .iter()
                        .rposition(|&c| c == b'\n')
                        .map_or(0, |p| p + 1);
                    if line_start > start {
                        more.retain(|t| (t.off as usize) < line_start);
                    }
                }
                toks.extend(more);
                end = e;
                match err {
                    Some(Unclosed::String(o) | Unclosed::Char(o)) => {
                        self.warn_swallowed_directives(f.file, b, start, scanned, o as usize);
                        let (code, msg) = unterminated(b.get(o as usize).copied().unwrap_or(b'"'));
                        self.error(code, span_at(f.file, o as usize, 1), msg);
                        // Resume at the newline that ends the skipped line.
                        scanned = e.saturating_sub(1).max(o as usize);
                    }
                    Some(Unclosed::Comment(o)) => {
                        self.warn_swallowed_directives(f.file, b, start, scanned, o as usize);
                        self.unterminated_comment(f.file, b, o as usize);
                        break;
                    }
                    None => {
                        self.warn_swallowed_directives(f.file, b, start, scanned, end);
                        break;
                    }
                }
            }
            if !Expander::call_complete(&toks) {
                let line = self.line_of(span_at(f.file, start, 0));
                // Reported at the end of the file, like mcpp.
                let d = Diagnostic::error(
                    "pp-macro-call",
                    last_line_span(f.file, b),
                    format!("End of input within macro call started at line {line}"),
                )
                .with_label(
                    span_at(f.file, start, ident_end - start),
                    "the macro call starts here",
                )
                .with_note(self.macro_note(name));
                // mcpp reports it after an unterminated `#if` of the same file.
                self.at_end_of_file.push(d);
                return Some(b.len());
            }
            (toks, end)
        } else {
            (vec![Tok::new(Kind::Ident, name, start as u32)], ident_end)
        };
        // `__LINE__` is the line where the call ends (mcpp expands after reading it all).
        self.refresh_position_macros(f.file, end.saturating_sub(1).max(start));
        let mut end = end;
        let expanded = Expander::new(&self.macros)
            .expand(toks)
            .and_then(|r| self.call_with_following_text(f.file, b, name, r, &mut end));
        match expanded {
            Ok(r) => {
                self.out.extend_from_slice(&b[copied..start]);
                self.segment(f.file, start, false, f.level);
                self.out.push(b' ');
                self.out.extend_from_slice(lex::spell(&r).as_bytes());
                self.out.push(b' ');
                let newlines = b[start..end].iter().filter(|&&c| c == b'\n').count();
                self.out.extend(std::iter::repeat_n(b'\n', newlines));
                self.segment(f.file, end, true, f.level);
            }
            Err(e) => {
                // Reported on the line where the call ends, like mcpp.
                let from = b[start..end]
                    .iter()
                    .rposition(|&c| c == b'\n')
                    .map_or(start, |p| start + p + 1);
                let span = Span::new(f.file, from as u32, end.max(from) as u32);
                let d = Diagnostic::error("pp-macro-call", span, e.message())
                    .with_note(self.macro_note(name));
                self.push_error(d);
                self.out.extend_from_slice(&b[copied..end]);
            }
        }
        Some(end)
    }

    /// mcpp warns about every `/*` inside a block comment (`b[start..end]` is its body).
    fn nested_comment_warnings(&mut self, file: FileId, b: &[u8], start: usize, end: usize) {
        let mut i = start;
        while let Some(p) = lex::find(&b[..end], i, b"/*") {
            self.warning(
                "pp-nested-comment",
                span_at(file, p, 2),
                "\"/*\" within comment",
            );
            i = p + 2;
        }
    }

    /// The same for the block comments of a directive line `b[start..end]`.
    fn nested_comment_warnings_in_directive(
        &mut self,
        file: FileId,
        b: &[u8],
        start: usize,
        end: usize,
    ) {
        let mut i = start;
        while i < end {
            match b[i] {
                b'"' | b'\'' => i = lex::quoted_end(b, i).unwrap_or(end),
                b'/' if b.get(i + 1) == Some(&b'/') => return,
                b'/' if b.get(i + 1) == Some(&b'*') => {
                    let body_end = lex::find(b, i + 2, b"*/").unwrap_or(b.len()).min(end);
                    self.nested_comment_warnings(file, b, i + 2, body_end);
                    i = body_end + 2;
                }
                _ => i += 1,
            }
        }
    }

    /// mcpp's warning for a `/*` at `at` that the file does not close.
    fn unterminated_comment(&mut self, file: FileId, b: &[u8], at: usize) {
        let d = Diagnostic::warning(
            "pp-unterminated-comment",
            last_line_span(file, b),
            "End of input with unterminated comment, terminated the comment",
        )
        .with_label(span_at(file, at, 2), "the comment starts here");
        self.push(d);
    }

    /// Warns about lines starting with `#` inside the arguments of a macro call at
    /// `b[start..end]` (they are read as arguments, not as directives).
    /// `call` is where the call starts; `b[from..end]` the stretch to look at.
    fn warn_swallowed_directives(
        &mut self,
        file: FileId,
        b: &[u8],
        call: usize,
        from: usize,
        end: usize,
    ) {
        let line = self.line_of(span_at(file, call, 0));
        let end = end.min(b.len());
        let mut i = from;
        while i < end {
            match b[i] {
                // Every branch moves forward (an open quote skips to its line's newline).
                b'"' | b'\'' => {
                    i = lex::quoted_end(b, i)
                        .unwrap_or_else(|| lex::line_end(b, i) - 1)
                        .max(i + 1)
                }
                b'/' if b.get(i + 1) == Some(&b'/') => {
                    i = (lex::line_end(b, i) - 1).max(i + 1);
                }
                b'/' if b.get(i + 1) == Some(&b'*') => {
                    i = lex::find(b, i + 2, b"*/").map_or(b.len(), |e| e + 2);
                }
                b'\n' => {
                    let line_start = i + 1;
                    let mut k = line_start;
                    while k < end && lex::is_blank(b[k]) {
                        k += 1;
                    }
                    if k < end && b[k] == b'#' {
                        let to = trim_newline(b, lex::line_end(b, k));
                        let msg =
                            format!("Macro started at line {line} swallowed directive-like line");
                        self.warning(
                            "pp-macro-call",
                            Span::new(file, line_start as u32, to as u32),
                            msg,
                        );
                    }
                    i = line_start;
                }
                _ => i += 1,
            }
        }
    }

    /// When an expansion ends with the name of a function-like macro and the text after the
    /// call opens a parenthesis, the call takes its arguments from that text (C's rescanning
    /// rule); mcpp warns about it. `end` moves past the arguments read.
    fn call_with_following_text(
        &mut self,
        file: FileId,
        b: &[u8],
        name: &str,
        mut r: Vec<Tok>,
        end: &mut usize,
    ) -> Result<Vec<Tok>, macros::ExpandError> {
        // Each round consumes source text, so this ends.
        loop {
            let Some(last) = r.last() else { return Ok(r) };
            let function_like = last.kind == Kind::Ident
                && !last.painted
                && self
                    .macros
                    .get(&last.text)
                    .is_some_and(|m| m.params.is_some());
            let mut k = *end;
            while k < b.len() && lex::is_blank(b[k]) {
                k += 1;
            }
            if !function_like || b.get(k) != Some(&b'(') {
                return Ok(r);
            }
            let head = last.clone();
            let (more, e, _) = lex::tokenize_line(b, k, true, |t| {
                Expander::call_complete(std::iter::once(&head).chain(t))
            });
            let msg = format!(
                "Replacement text \"{}\" of macro \"{name}\" involved subsequent text",
                lex::spell(&r)
            );
            self.warning("pp-macro-call", span_at(file, k, 1), msg);
            let mut call = vec![head];
            call.extend(more);
            r.pop();
            r.extend(Expander::new(&self.macros).expand(call)?);
            *end = e;
        }
    }

    /// Sets `__LINE__` and `__FILE__` for an expansion at `offset` of `file`.
    fn refresh_position_macros(&mut self, file: FileId, offset: usize) {
        let f = self.sources.file(file);
        let line = f.presumed_line(offset as u32).1.to_string();
        let path = format!("\"{}\"", f.path.display()).replace('\\', "\\\\");
        self.macros
            .insert("__LINE__".into(), Macro::object("__LINE__", &line));
        self.macros
            .insert("__FILE__".into(), Macro::object("__FILE__", &path));
    }

    /// `macro "F" defined as: #define F(x) ...`, as mcpp shows it.
    fn macro_note(&self, name: &str) -> String {
        let text = self.macros.get(name).map_or("", |m| m.text.as_str());
        format!("macro \"{name}\" defined as: {text}")
    }
}

/// mcpp's code and message for a quote left open on its line.
fn unterminated(quote: u8) -> (&'static str, &'static str) {
    if quote == b'"' {
        (
            "pp-unterminated-string",
            "Unterminated string literal, skipped the line",
        )
    } else {
        (
            "pp-unterminated-char",
            "Unterminated character constant 39, skipped the line",
        )
    }
}

/// The directory part of a file name as given (empty for a bare name).
fn parent_dir(name: &str) -> PathBuf {
    Path::new(name)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Appends `b` with every byte but newlines turned into a space.
fn blank_into(out: &mut Vec<u8>, b: &[u8]) {
    out.extend(b.iter().map(|&c| if c == b'\n' { b'\n' } else { b' ' }));
}

/// `end` moved back over a final `\n` / `\r\n`.
fn trim_newline(b: &[u8], mut end: usize) -> usize {
    end = end.min(b.len());
    if end > 0 && b[end - 1] == b'\n' {
        end -= 1;
    }
    if end > 0 && b[end - 1] == b'\r' {
        end -= 1;
    }
    end
}

fn span_at(file: FileId, start: usize, len: usize) -> Span {
    Span::new(file, start as u32, (start + len) as u32)
}

/// The last line of a file that has text (mcpp reports end-of-input conditions there).
fn last_line_span(file: FileId, b: &[u8]) -> Span {
    let end = trim_newline(b, b.len());
    let start = b[..end]
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(0, |p| p + 1);
    Span::new(file, start as u32, end as u32)
}
