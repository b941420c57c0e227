//! Directive lines: `#include`, `#define` / `#undef`, the conditionals, `#error`, `#line`,
//! `#pragma`. Each is handled on its whole logical line (splices and comments included) and
//! blanked in the output; errors carry mcpp's messages and are reported on the line where the
//! directive ends, as mcpp does.

use super::lex::{self, Kind, Tok, Unclosed};
use super::macros::{self, Expander};
use super::*;

impl Pp<'_> {
    /// Handles the directive whose `#` is at `hash`; blanks its line(s).
    pub(super) fn directive(
        &mut self,
        f: &mut Frame,
        b: &[u8],
        hash: usize,
    ) -> Option<(FileId, Span, PathBuf)> {
        let line_start = f.pos;
        let (toks, end, lex_err) = lex::tokenize_line(b, hash + 1, false, |_| false);
        f.pos = end;
        // mcpp reports a directive on the line where it ends (splices and comments can
        // continue it): the span covers that last line.
        let last = trim_newline(b, end);
        let from = b[hash..last]
            .iter()
            .rposition(|&c| c == b'\n')
            .map_or(hash, |p| hash + p + 1);
        let span = Span::new(f.file, from as u32, last as u32);
        let name = toks.first().map(|t| (t.kind, t.text.as_str()));
        let active = f.active();
        // `#pragma` other than `once` goes through to the parser unchanged (mcpp does so).
        let passthrough = active
            && matches!(name, Some((Kind::Ident, "pragma")))
            && toks.get(1).is_none_or(|t| t.text != "once");
        if passthrough {
            self.out.extend_from_slice(&b[line_start..end]);
        } else {
            blank_into(&mut self.out, &b[line_start..end]);
        }
        let Some((kind, name)) = name else {
            return None; // the null directive `#`
        };
        self.nested_comment_warnings_in_directive(f.file, b, hash, end);
        if let Some(Unclosed::Comment(o)) = lex_err {
            self.unterminated_comment(f.file, b, o as usize);
        }
        // An open quote is reported even in excluded text, as mcpp does.
        if let Some(Unclosed::String(o) | Unclosed::Char(o)) = lex_err {
            let (code, msg) = unterminated(b.get(o as usize).copied().unwrap_or(b'"'));
            self.error(code, Span::new(f.file, o, span.end.max(o)), msg);
            return None;
        }
        let is_conditional = matches!(name, "if" | "ifdef" | "ifndef" | "elif" | "else" | "endif");
        if !active && !is_conditional {
            return None;
        }
        if kind != Kind::Ident {
            self.error(
                "pp-unknown-directive",
                span,
                format!("Illegal #directive \"{name}\""),
            );
            return None;
        }
        let args = &toks[1..];
        match name {
            "if" | "ifdef" | "ifndef" => {
                let taken = if active {
                    let r = if name == "if" {
                        self.condition(args, span)
                    } else {
                        self.defined_arg(args, span).map(|d| d == (name == "ifdef"))
                    };
                    r.unwrap_or_else(|msg| {
                        self.error("pp-expression", span, msg);
                        false
                    })
                } else {
                    false
                };
                f.conds.push(Cond {
                    span,
                    else_line: None,
                    taken: taken || !active,
                    active: taken,
                    parent_active: active,
                });
            }
            "elif" | "else" | "endif" => self.section(f, name, args, span),
            "include" => return self.include(f, b, args, span),
            "define" => match macros::parse_define(args) {
                Ok((n, _)) if NO_REDEFINE.contains(&n.as_str()) => {
                    self.error("pp-define", span, format!("\"{n}\" shouldn't be redefined"));
                }
                Ok((n, m)) => {
                    if let Some(old) = self.macros.get(&n) {
                        if !old.same_as(&m) {
                            let d = Diagnostic::warning(
                                "pp-macro-redefined",
                                span,
                                "The macro is redefined",
                            )
                            .with_note(format!(
                                "previously macro \"{n}\" defined as: {}",
                                old.text
                            ));
                            self.push(d);
                        }
                    }
                    self.macros.insert(n, m);
                }
                Err(msg) => self.error("pp-define", span, msg),
            },
            "undef" => match self.identifier_arg(args) {
                Ok(n) if NO_UNDEFINE.contains(&n.as_str()) => {
                    self.error("pp-define", span, format!("\"{n}\" shouldn't be undefined"));
                }
                Ok(n) => {
                    self.macros.remove(&n);
                }
                Err(msg) => self.error("pp-define", span, msg),
            },
            "error" => {
                let text = lex::spell(args);
                let msg = if text.is_empty() {
                    "#error".to_string()
                } else {
                    format!("#error {text}")
                };
                self.error("pp-error", span, msg);
            }
            "line" => self.line_directive(f, args, span, end),
            "pragma" => {
                if args.first().is_some_and(|t| t.text == "once") {
                    self.once.insert(f.file);
                }
            }
            _ => self.error(
                "pp-unknown-directive",
                span,
                format!("Unknown #directive \"{name}\""),
            ),
        }
        None
    }

    /// `#elif`, `#else`, `#endif`.
    fn section(&mut self, f: &mut Frame, name: &str, args: &[Tok], span: Span) {
        let line = self.line_of(span);
        let Some(c) = f.conds.last_mut() else {
            self.error("pp-unbalanced", span, "Not in a #if (#ifdef) section");
            return;
        };
        let parent_active = c.parent_active;
        if name != "endif" {
            if let Some(else_line) = c.else_line {
                self.error(
                    "pp-unbalanced",
                    span,
                    format!("Already seen #else at line {else_line}"),
                );
                return;
            }
        }
        match name {
            "elif" => {
                let evaluate = parent_active && !c.taken;
                c.active = false;
                if evaluate {
                    let v = self.condition(args, span).unwrap_or_else(|msg| {
                        self.error("pp-expression", span, msg);
                        false
                    });
                    if let Some(c) = f.conds.last_mut() {
                        c.active = v;
                        c.taken = v;
                    }
                }
            }
            "else" => {
                c.active = parent_active && !c.taken;
                c.taken = true;
                c.else_line = Some(line);
                // Checked even in excluded text, as mcpp does.
                self.no_more_tokens(args, span);
            }
            _ => {
                f.conds.pop();
                self.no_more_tokens(args, span);
            }
        }
    }

    fn no_more_tokens(&mut self, extra: &[Tok], span: Span) {
        if !extra.is_empty() {
            let msg = format!("Excessive token sequence \"{}\"", lex::spell(extra));
            self.error("pp-syntax", span, msg);
        }
    }

    /// The single identifier of `#ifdef`, `#ifndef`, `#undef`.
    fn identifier_arg(&mut self, args: &[Tok]) -> Result<String, String> {
        match args.first() {
            None => Err("No identifier".into()),
            Some(t) if t.kind != Kind::Ident => Err(format!("Not an identifier \"{}\"", t.text)),
            Some(_) if args.len() > 1 => Err(format!(
                "Excessive token sequence \"{}\"",
                lex::spell(&args[1..])
            )),
            Some(t) => Ok(t.text.clone()),
        }
    }

    /// Whether the macro named by `#ifdef` / `#ifndef`'s argument is defined.
    /// Extra tokens are reported but, as with mcpp, the test is still made.
    fn defined_arg(&mut self, args: &[Tok], span: Span) -> Result<bool, String> {
        match args.first() {
            None => Err("No argument".into()),
            Some(t) if t.kind == Kind::Ident => {
                self.no_more_tokens(&args[1..], span);
                Ok(self.macros.contains_key(&t.text))
            }
            Some(_) => self.identifier_arg(args).map(|_| false),
        }
    }

    /// Evaluates a `#if` / `#elif` condition.
    fn condition(&mut self, args: &[Tok], span: Span) -> Result<bool, String> {
        self.refresh_position_macros(span.file, span.start as usize);
        let mut toks = Vec::with_capacity(args.len());
        let mut i = 0;
        while let Some(t) = args.get(i) {
            if t.kind == Kind::Ident && t.text == "defined" {
                let (name, next) = match (args.get(i + 1), args.get(i + 2), args.get(i + 3)) {
                    (Some(n), _, _) if n.kind == Kind::Ident => (n, i + 2),
                    (Some(p), Some(n), Some(q))
                        if p.is("(") && n.kind == Kind::Ident && q.is(")") =>
                    {
                        (n, i + 4)
                    }
                    _ => return Err("Bad defined syntax: ".into()),
                };
                let v = if self.macros.contains_key(&name.text) {
                    "1"
                } else {
                    "0"
                };
                toks.push(Tok::new(Kind::Number, v, t.off));
                i = next;
            } else {
                toks.push(t.clone());
                i += 1;
            }
        }
        let expanded = Expander::new(&self.macros)
            .expand(toks)
            .map_err(|e| e.message())?;
        expr::eval(&expanded).map(|v| v != 0)
    }

    /// `#line N ["file"]`: later lines of this file are numbered from N.
    fn line_directive(&mut self, f: &Frame, args: &[Tok], span: Span, end: usize) {
        let Some(n) = args.first() else {
            self.error("pp-syntax", span, "No argument");
            return;
        };
        if n.kind == Kind::Number && n.text.bytes().all(|c| c.is_ascii_digit()) {
            match n.text.parse::<u32>() {
                Ok(v) if (1..=32767).contains(&v) => {}
                _ => {
                    let msg = format!("Line number \"{}\" is out of range of [1,32767]", n.text);
                    self.error("pp-syntax", span, msg);
                    return;
                }
            }
        }
        let line = match n.text.parse::<u32>() {
            Ok(v) if n.kind == Kind::Number => v,
            _ => {
                self.error(
                    "pp-syntax",
                    span,
                    format!("Not a line number \"{}\"", n.text),
                );
                return;
            }
        };
        let name = match args.get(1) {
            Some(t) if t.kind == Kind::Str => Some(t.text.trim_matches('"').to_string()),
            Some(t) => {
                self.error("pp-syntax", span, format!("Not a file name \"{}\"", t.text));
                return;
            }
            None => None,
        };
        self.sources
            .add_line_directive(f.file, end as u32, line, name);
    }

    /// `#include "F"` / `#include <F>`: finds the file and returns it for reading.
    fn include(
        &mut self,
        f: &Frame,
        b: &[u8],
        args: &[Tok],
        span: Span,
    ) -> Option<(FileId, Span, PathBuf)> {
        let Some(first) = args.first() else {
            self.error("pp-syntax", span, "No header name");
            return None;
        };
        let (target, angle, extra) = if first.kind == Kind::Str {
            (first.text.trim_matches('"').to_string(), false, &args[1..])
        } else if first.is("<") {
            // The header name is the raw text up to `>` (it is not made of tokens).
            let from = first.off as usize + 1;
            let line_end = span.end as usize;
            match b
                .get(from..line_end)
                .and_then(|s| s.iter().position(|&c| c == b'>'))
            {
                Some(k) => {
                    let close = (from + k) as u32;
                    let rest_start = args
                        .iter()
                        .position(|t| t.off > close)
                        .unwrap_or(args.len());
                    (
                        String::from_utf8_lossy(&b[from..from + k]).into_owned(),
                        true,
                        &args[rest_start..],
                    )
                }
                None => {
                    self.error(
                        "pp-syntax",
                        span,
                        format!("Not a header name \"{}\"", lex::spell(args)),
                    );
                    return None;
                }
            }
        } else {
            // A computed include: the tokens are macro-expanded first.
            let expanded = Expander::new(&self.macros)
                .expand(args.to_vec())
                .unwrap_or_default();
            match expanded.first() {
                Some(t) if t.kind == Kind::Str && expanded.len() == 1 => (
                    t.text.trim_matches('"').to_string(),
                    false,
                    &args[args.len()..],
                ),
                Some(t) if t.is("<") && expanded.last().is_some_and(|l| l.is(">")) => {
                    let inner = &expanded[1..expanded.len() - 1];
                    let name: String = inner.iter().map(|t| t.text.as_str()).collect();
                    (name, true, &args[args.len()..])
                }
                _ => {
                    self.error(
                        "pp-syntax",
                        span,
                        format!("Not a header name \"{}\"", lex::spell(args)),
                    );
                    return None;
                }
            }
        };
        if !extra.is_empty() {
            self.no_more_tokens(extra, span);
            return None;
        }
        let Some((display, open)) = self.search(f, &target, angle) else {
            self.error(
                "pp-include-not-found",
                span,
                format!("Can't open include file \"{target}\""),
            );
            return None;
        };
        let path = canonical(&open);
        let file = match self.sources.find_path(&path) {
            Some(id) => id,
            None => match read_source(&open) {
                Ok(text) => self
                    .sources
                    .add_file(SourceFile::new(display.clone(), path, text)),
                Err(_) => {
                    self.error(
                        "pp-include-not-found",
                        span,
                        format!("Can't open include file \"{target}\""),
                    );
                    return None;
                }
            },
        };
        if self.once.contains(&file) {
            return None;
        }
        if file != self.main && !self.includes.contains(&file) {
            self.includes.push(file);
        }
        Some((file, span, parent_dir(&self.sources.file(file).name)))
    }

    /// Finds an included file: next to the includer first for `"F"`, then in the `-I`
    /// directories in order. Returns the name to show and the path to open.
    fn search(&self, f: &Frame, target: &str, angle: bool) -> Option<(String, PathBuf)> {
        if target.is_empty() {
            return None;
        }
        let t = Path::new(target);
        if t.is_absolute() {
            return t.is_file().then(|| (target.to_string(), t.to_path_buf()));
        }
        let local = (!angle).then(|| f.dir.join(t));
        local
            .into_iter()
            .chain(self.options.include_dirs.iter().map(|d| d.join(t)))
            .find(|p| p.is_file())
            .map(|p| (p.to_string_lossy().into_owned(), p))
    }
}
