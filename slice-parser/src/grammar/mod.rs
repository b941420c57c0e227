//! The pest grammar (`slice.pest`) and its lowering to the [`crate::ast`].
//!
//! The grammar is parsed phrase by phrase: Rust walks definition lists, bodies and enum
//! bodies (braces, the `;` or `,` after each item) and hands each definition header, member
//! or enumerator to pest. This mirrors the reference bison parser (slice2py 3.7.8) where it
//! matters for users; every rule below was checked against slice2py's output:
//!
//! * tokens: the reference scanner's, not a textbook's: a name or keyword before `(` is one
//!   "operation name" token (so never a type), a backslash may continue an identifier, the
//!   sign belongs to a number, `[[`/`]]` are single tokens (see `slice.pest`);
//! * messages: bison's error rules ("`;' missing after const definition", "keyword `K'
//!   cannot be used as struct name", "missing data member name", ...) are reproduced by
//!   accepting a superset in the grammar and reporting while lowering, exactly where bison
//!   has them (e.g. not after `optional(...)`); literals are decoded (and their errors
//!   reported) as the scanner reads them, also in tokens skipped by recovery;
//! * recovery: after a `syntax error` the tokens up to the next `;` are discarded and
//!   parsing resumes in the list bison resumes in (an error inside `[...]` metadata of a
//!   module's definition abandons that module; an error in a parameter list resumes after
//!   its `)` and keeps the operation; a stray `}` at file level ends the parse), and, like
//!   bison, a syntax error less than three tokens after a recovery inside a body is not
//!   reported. So one mistake does not hide the rest and follow-up errors match;
//! * lines: every error points at the token bison had in hand (SLICE-LANGUAGE.md 13.2).
//!
//! What only the checker can know stays with it: bison looks types up while parsing and
//! then reports a failed lookup *instead of* some syntax messages; the grammar drops its
//! "missing ... name" message only when no definition so far has the type's name at all.
//!
//! This module must never panic and never recurse without bound: pest only ever sees one
//! phrase (whose nesting is fixed by the grammar), and module nesting is capped at
//! [`MAX_MODULE_DEPTH`].

mod doc;
mod literal;
mod lower;

use crate::ast;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::preprocess::Preprocessed;
use crate::source::{SourceMap, Span};
use pest::iterators::Pair;
use pest::Parser as _;
use std::collections::HashSet;

pub use doc::parse as parse_doc_comment;

/// The pest parser generated from `slice.pest` and its rules (one variant per rule).
#[allow(missing_docs)]
pub mod generated {
    use pest_derive::Parser;

    /// The pest parser of `slice.pest`.
    #[derive(Parser)]
    #[grammar = "grammar/slice.pest"]
    pub struct SliceParser;
}

pub use generated::{Rule, SliceParser};

/// Deepest module nesting accepted; deeper input is reported and not parsed further (so
/// no later phase can overflow its stack on the tree).
pub const MAX_MODULE_DEPTH: usize = 100;

/// Parses the preprocessed buffer; syntax errors go to `diags` and parsing goes on where it
/// can resynchronise.
pub fn parse(pp: &Preprocessed, sources: &SourceMap, diags: &mut Diagnostics) -> ast::File {
    let mut driver = Driver {
        text: &pp.text,
        sources,
        diags,
        docs: doc::DocSlot::new(&pp.text, sources),
        pos: 0,
        base: 0,
        aborted: false,
        defined: HashSet::new(),
        silent_error: false,
        quiet_from: None,
        last_illegal: None,
    };
    if driver.text.starts_with('\u{FEFF}') {
        driver.pos = '\u{FEFF}'.len_utf8();
    }
    let (items, _) = driver.definitions(0);
    ast::File { items }
}

/// How a definition list ended.
enum End {
    /// At its `}`.
    Closed(Span),
    /// At the end of input (reported by the list itself when it was inside a module).
    Eof,
    /// An error inside metadata: bison abandons the enclosing module and recovers in the
    /// list around it, starting at this offset.
    Unwind(usize),
}

/// Which body a member list belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Body {
    Class,
    Interface,
    Exception,
    Struct,
}

/// A member of a class, interface, exception or struct body.
enum Member {
    Data(ast::DataMember),
    Operation(ast::Operation),
}

struct Driver<'a, 'd> {
    text: &'a str,
    sources: &'a SourceMap,
    diags: &'d mut Diagnostics,
    docs: doc::DocSlot<'a>,
    /// The next unread byte of `text`.
    pos: usize,
    /// Where the phrase being lowered started (pest positions are relative to it).
    base: usize,
    /// Set when bison would have given up (end of input during error recovery).
    aborted: bool,
    /// Every name defined so far, lower-cased (see [`Driver::certainly_undefined`]).
    defined: HashSet<String>,
    /// Set by the lowering of a member whose type cannot resolve (bison's `YYERROR`).
    silent_error: bool,
    /// Where the last recovery inside a body ended (see [`Driver::syntax_error`]).
    quiet_from: Option<usize>,
    /// The last non-ASCII byte reported as an illegal input character.
    last_illegal: Option<usize>,
}

impl<'a> Driver<'a, '_> {
    fn span(&self, start: usize, end: usize) -> Span {
        self.sources.pp_span(start as u32, end as u32)
    }

    fn pspan(&self, p: &Pair<'a, Rule>) -> Span {
        let s = p.as_span();
        self.span(self.base + s.start(), self.base + s.end())
    }

    fn pstart(&self, p: &Pair<'a, Rule>) -> usize {
        self.base + p.as_span().start()
    }

    fn pend(&self, p: &Pair<'a, Rule>) -> usize {
        self.base + p.as_span().end()
    }

    fn byte(&self, at: usize) -> Option<u8> {
        self.text.as_bytes().get(at).copied()
    }

    /// Skips blanks and comments from `i`.
    fn trivia_end(&self, mut i: usize) -> usize {
        let b = self.text.as_bytes();
        loop {
            match b.get(i) {
                Some(b' ' | b'\t' | b'\r' | b'\n' | 0x0B | 0x0C) => i += 1,
                Some(b'/') if b.get(i + 1) == Some(&b'/') => {
                    i = self.text[i..].find('\n').map_or(b.len(), |n| i + n);
                }
                Some(b'/') if b.get(i + 1) == Some(&b'*') => {
                    i = self.text[i + 2..]
                        .find("*/")
                        .map_or(b.len(), |n| i + 2 + n + 2);
                }
                _ => return i,
            }
        }
    }

    fn skip(&mut self) {
        self.pos = self.trivia_end(self.pos);
    }

    /// End of the token starting at `i` (a rough copy of the reference scanner, used for
    /// spans of unexpected tokens and for skipping during error recovery).
    fn token_end(&self, i: usize) -> usize {
        let b = self.text.as_bytes();
        let Some(&c) = b.get(i) else { return i };
        let is_word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
        let mut j = i + 1;
        match c {
            b'"' => self.string_token(i).0,
            b'[' if b.get(j) == Some(&b'[') => j + 1,
            b']' if b.get(j) == Some(&b']') => j + 1,
            b'\\' | b':' | b'_' | b'a'..=b'z' | b'A'..=b'Z' => {
                while j < b.len() && (is_word(b[j]) || b[j] == b':' || b[j] == b'\\') {
                    j += 1;
                }
                j
            }
            b'0'..=b'9' | b'.' => {
                while j < b.len() && (is_word(b[j]) || b[j] == b'.') {
                    j += 1;
                }
                j
            }
            0x80.. => {
                while j < b.len() && !self.text.is_char_boundary(j) {
                    j += 1;
                }
                j
            }
            _ => j,
        }
    }

    /// End of the string literal starting at `i`, and whether it has its closing quote
    /// (like the reference scanner, a control character or newline ends it early).
    fn string_token(&self, i: usize) -> (usize, bool) {
        let b = self.text.as_bytes();
        let control = |c: u8| c < 0x20 || c == 0x7F;
        let mut j = i + 1;
        while j < b.len() && !control(b[j]) {
            match b[j] {
                b'"' => return (j + 1, true),
                b'\\' if b.get(j + 1).is_some_and(|&c| !control(c)) => j += 2,
                _ => j += 1,
            }
        }
        (j.min(b.len()), false)
    }

    fn token_span(&self, at: usize) -> Span {
        self.span(at, self.token_end(at))
    }

    /// The span of the first token at or after `from`, and its offset.
    fn next_token(&self, from: usize) -> (usize, Span) {
        let at = self.trivia_end(from);
        (at, self.token_span(at))
    }

    fn error(&mut self, code: &'static str, span: Span, message: impl Into<String>) {
        self.diags.push(Diagnostic::error(code, span, message));
    }

    fn illegal_byte(&mut self, at: usize) {
        let b = self.byte(at).unwrap_or(0);
        let mut start = at;
        while start > 0 && !self.text.is_char_boundary(start) {
            start -= 1;
        }
        let span = self.span(start, self.token_end(start));
        self.error(
            "illegal-character",
            span,
            format!("illegal input character: '\\{b:03o}'"),
        );
    }

    /// The reference scanner reports a non-ASCII byte when it reads it as the next token,
    /// before the parser looks at it: call this before reporting anything at `at`.
    fn scan_token(&mut self, at: usize) {
        if self.byte(at).is_some_and(|b| b >= 0x80) && self.last_illegal != Some(at) {
            self.last_illegal = Some(at);
            self.illegal_byte(at);
        }
    }

    /// `syntax error` at the token starting at `at`. Like bison, the message is left out
    /// when fewer than three tokens were read since the last recovery in a body (bison's
    /// `yyerrstatus`; definition lists reset it with `yyerrok`).
    fn syntax_error(&mut self, at: usize) {
        self.scan_token(at);
        if let Some(from) = self.quiet_from.take() {
            // The `;` or `)` that ended the recovery counts as the first token.
            let mut shifted = 1;
            let mut i = from;
            while shifted < 3 {
                i = self.trivia_end(i);
                if i >= at {
                    return;
                }
                shifted += 1;
                i = self.token_end(i).max(i + 1);
            }
        }
        let span = self.token_span(at);
        self.error("syntax", span, "syntax error");
    }

    /// Bison's recovery: discards the tokens from `at` up to and including the next `stop`
    /// (`;` or `)`). Returns false, and gives up on the rest of the input as bison does,
    /// when the input ends first.
    fn recover(&mut self, at: usize, stop: u8) -> bool {
        let mut i = at;
        loop {
            i = self.trivia_end(i);
            // Skipped literals are still checked by the scanner.
            if let Some(end) = self.scan_literal(i, usize::MAX) {
                i = end;
                continue;
            }
            match self.byte(i) {
                None => {
                    self.pos = i;
                    self.aborted = true;
                    return false;
                }
                Some(c) if c == stop => {
                    self.pos = i + 1;
                    return true;
                }
                Some(c) if c >= 0x80 => {
                    let end = self.token_end(i);
                    for k in i..end {
                        self.scan_token(k);
                    }
                    i = end;
                }
                Some(b'"') => {
                    let (end, terminated) = self.string_token(i);
                    if !terminated {
                        let span = self.span(i, end);
                        self.report(span, literal::control_character());
                    }
                    i = end.max(i + 1);
                }
                Some(_) => i = self.token_end(i).max(i + 1),
            }
        }
    }

    /// Parses `rule` at `at`; on success returns the pair and where it ended (and sets
    /// `base` for lowering it), on failure the offset of the unexpected token.
    fn phrase_at(&mut self, rule: Rule, at: usize) -> Result<(Pair<'a, Rule>, usize), usize> {
        let text: &'a str = self.text;
        let input = text.get(at..self.phrase_limit(at)).unwrap_or("");
        match SliceParser::parse(rule, input) {
            Ok(mut pairs) => match pairs.next() {
                Some(p) => {
                    self.base = at;
                    let end = at + p.as_span().end();
                    Ok((p, end))
                }
                None => Err(at),
            },
            Err(e) => {
                let off = match e.location {
                    pest::error::InputLocation::Pos(p) => p,
                    pest::error::InputLocation::Span((s, _)) => s,
                };
                // pest reports the position before blanks in some cases; point at a token.
                Err(self.trivia_end(at + off))
            }
        }
    }

    /// Where the text a phrase starting at `at` may use ends: just after the first `;`, `{`
    /// or `}` token (no phrase reaches past one). Giving pest no more than that keeps the
    /// cost of each attempt, and of pest's error reports (which copy the rest of the line),
    /// proportional to the phrase, whatever the input.
    fn phrase_limit(&self, at: usize) -> usize {
        let mut i = at;
        loop {
            i = self.trivia_end(i);
            match self.byte(i) {
                None => return i,
                Some(b';' | b'{' | b'}') => return i + 1,
                Some(b'"') => i = self.string_token(i).0.max(i + 1),
                Some(_) => i = self.token_end(i).max(i + 1),
            }
        }
    }

    fn phrase(&mut self, rule: Rule) -> Result<(Pair<'a, Rule>, usize), usize> {
        self.phrase_at(rule, self.pos)
    }

    /// Consumes the `;` that must follow a definition, or reports it missing (without
    /// consuming anything, as bison's error rule does). Returns the `;` (or next token).
    fn expect_semicolon(&mut self, what: &str) -> Span {
        let (at, span) = self.next_token(self.pos);
        if self.byte(at) == Some(b';') {
            self.pos = at + 1;
        } else {
            self.scan_token(at);
            self.error(
                "missing-semicolon",
                span,
                format!("`;' missing after {what}"),
            );
        }
        span
    }

    /// Consumes an optional `;` after a `}`.
    fn optional_semicolon(&mut self) {
        let at = self.trivia_end(self.pos);
        if self.byte(at) == Some(b';') {
            self.pos = at + 1;
        }
    }

    /// A definition list: the whole file (`depth` 0) or a module body.
    fn definitions(&mut self, depth: usize) -> (Vec<ast::Item>, End) {
        let mut items = Vec::new();
        loop {
            if self.aborted {
                return (items, End::Eof);
            }
            self.skip();
            let start = self.pos;
            match self.byte(start) {
                None => {
                    if depth > 0 {
                        self.syntax_error(start);
                        self.aborted = true;
                    }
                    return (items, End::Eof);
                }
                Some(b'}') if depth > 0 => {
                    self.pos = start + 1;
                    return (items, End::Closed(self.span(start, start + 1)));
                }
                Some(b'}') => {
                    // A stray `}` at file level: bison finds no state to recover in and
                    // stops there.
                    self.syntax_error(start);
                    self.aborted = true;
                    return (items, End::Eof);
                }
                Some(b'[') if self.byte(start + 1) == Some(b'[') => {
                    match self.phrase(Rule::file_metadata) {
                        Ok((p, end)) => {
                            let md = self.metadata(p);
                            items.push(ast::Item::FileMetadata(md));
                            self.pos = end;
                        }
                        Err(at) => {
                            self.syntax_error(at);
                            if let Some(end) = self.unwind(depth, at) {
                                return (items, end);
                            }
                        }
                    }
                    continue;
                }
                _ => {}
            }
            match self.phrase(Rule::definition) {
                Ok((p, end)) => {
                    self.pos = end;
                    if let Some(def) = self.definition(p, start, depth) {
                        items.push(ast::Item::Definition(def));
                    }
                }
                Err(at) => {
                    self.prefix_literals(start, at);
                    self.head_keyword(start, at);
                    self.syntax_error(at);
                    let in_metadata = self.byte(start) == Some(b'[')
                        && self.phrase_at(Rule::local_metadata, start).is_err();
                    if in_metadata {
                        if let Some(end) = self.unwind(depth, at) {
                            return (items, end);
                        }
                    } else {
                        self.recover(at, b';');
                    }
                }
            }
        }
    }

    /// After an error inside metadata: bison pops past the current module (or gives up at
    /// file level).
    fn unwind(&mut self, depth: usize, at: usize) -> Option<End> {
        if depth > 0 {
            Some(End::Unwind(at))
        } else {
            self.aborted = true;
            Some(End::Eof)
        }
    }

    /// Lowers one parsed `definition` phrase and parses the body that follows it.
    fn definition(
        &mut self,
        p: Pair<'a, Rule>,
        start: usize,
        depth: usize,
    ) -> Option<ast::Definition> {
        let mut inner = p.into_inner();
        let mut first = inner.next()?;
        let mut metadata = None;
        if first.as_rule() == Rule::local_metadata {
            metadata = Some(self.metadata(first));
            first = inner.next()?;
        }
        let kind = match first.as_rule() {
            Rule::module_head => self.module(first, depth)?,
            Rule::class_head => self.class(first),
            Rule::interface_head => self.interface(first),
            Rule::exception_head => self.exception(first),
            Rule::struct_head => self.structure(first),
            Rule::class_decl | Rule::interface_decl => self.forward_decl(first),
            Rule::exception_decl | Rule::struct_decl => {
                self.bad_forward_decl(first);
                return None;
            }
            Rule::enum_head => {
                let kind = self.enumeration(first)?;
                self.optional_semicolon();
                kind
            }
            Rule::sequence_def => self.sequence(first),
            Rule::dictionary_def => self.dictionary(first),
            Rule::const_def => self.constant(first)?,
            _ => return None,
        };
        let (kind, doc) = kind;
        let span = self.span(start, self.pos);
        Some(ast::Definition {
            metadata,
            doc,
            span,
            kind,
        })
    }

    fn module(
        &mut self,
        p: Pair<'a, Rule>,
        depth: usize,
    ) -> Option<(ast::DefinitionKind, Option<ast::DocComment>)> {
        let mut name = None;
        let mut name_at = 0;
        let mut open = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::simple_name => {
                    name_at = self.pstart(&c);
                    let ident = self.ident(&c);
                    self.define(&ident);
                    name = Some(ident);
                }
                Rule::lbrace => open = Some(c),
                _ => {}
            }
        }
        let (name, open) = (name?, open?);
        // bison creates a module right after its name (a mid-rule action that needs no
        // look-ahead), so that is where it takes the pending doc comment.
        let doc = self.docs.take(name_at, self.sources);
        let open = self.pspan(&open);
        if depth + 1 > MAX_MODULE_DEPTH {
            self.error(
                "nesting-too-deep",
                name.span,
                format!("modules are nested too deeply (more than {MAX_MODULE_DEPTH} levels)"),
            );
            self.aborted = true;
            return None;
        }
        let (items, end) = self.definitions(depth + 1);
        let close = match end {
            End::Closed(span) => {
                self.optional_semicolon();
                span
            }
            End::Eof => self.span(self.pos, self.pos),
            End::Unwind(at) => {
                let span = self.token_span(at);
                self.recover(at, b';');
                span
            }
        };
        let module = ast::Module {
            name,
            items,
            braces: ast::Braces { open, close },
        };
        Some((ast::DefinitionKind::Module(module), doc))
    }

    /// The members of a body, up to and including its `}`; returns them and the `}`.
    fn body(&mut self, body: Body) -> (Vec<Member>, Span) {
        let rule = match body {
            Body::Class => Rule::class_member,
            Body::Interface => Rule::interface_member,
            Body::Exception | Body::Struct => Rule::data_member_item,
        };
        let mut members = Vec::new();
        loop {
            if self.aborted {
                return (members, self.span(self.pos, self.pos));
            }
            self.skip();
            let start = self.pos;
            match self.byte(start) {
                None => {
                    self.syntax_error(start);
                    self.aborted = true;
                    return (members, self.span(start, start));
                }
                Some(b'}') => {
                    self.pos = start + 1;
                    return (members, self.span(start, start + 1));
                }
                _ => {}
            }
            match self.phrase(rule) {
                Ok((p, end)) => {
                    self.pos = end;
                    if let Some(m) = self.member(p, body, start) {
                        members.push(m);
                    }
                    if std::mem::take(&mut self.silent_error) {
                        // bison's YYERROR after a failed type lookup: quiet recovery.
                        if self.recover(self.pos, b';') {
                            self.quiet_from = Some(self.pos);
                        }
                    } else {
                        self.end_member();
                    }
                }
                Err(at) => match self.params_start(start, body) {
                    Some((op_at, params_at)) if at >= params_at => {
                        // bison: `operation_preamble error ')'`: the operation and the
                        // parameters read so far are kept, the rest up to `)` is skipped,
                        // then come the throws clause and the `;`.
                        let op = self.broken_operation(start, op_at, params_at, at);
                        self.syntax_error(at);
                        match op {
                            Some(op) => {
                                let op = self.operation_tail(op, start, at);
                                members.push(Member::Operation(op));
                            }
                            None => {
                                self.recover(at, b')');
                            }
                        }
                        if !self.aborted {
                            self.end_member();
                        }
                    }
                    _ => {
                        self.prefix_literals(start, at);
                        self.syntax_error(at);
                        if self.recover(at, b';') {
                            self.quiet_from = Some(self.pos);
                        }
                    }
                },
            }
        }
    }

    /// Where the operation starting at `start` begins after its metadata, and where its
    /// parameters begin, if its `name(` could be read.
    fn params_start(&mut self, start: usize, body: Body) -> Option<(usize, usize)> {
        if !matches!(body, Body::Class | Body::Interface) {
            return None;
        }
        let mut at = start;
        if self.byte(at) == Some(b'[') {
            let end = self.phrase_at(Rule::local_metadata, at).ok()?.1;
            at = self.trivia_end(end);
        }
        let end = self.phrase_at(Rule::op_preamble, at).ok()?.1;
        Some((at, self.trivia_end(end)))
    }

    /// The `;` after a member; when it is missing, bison ends the member list there.
    fn end_member(&mut self) {
        let (at, span) = self.next_token(self.pos);
        if self.byte(at) == Some(b';') {
            self.pos = at + 1;
            return;
        }
        self.scan_token(at);
        self.error("missing-semicolon", span, "`;' missing after definition");
        self.pos = at;
        if matches!(self.byte(at), None | Some(b'}')) {
            return;
        }
        self.syntax_error(at);
        if self.recover(at, b';') {
            self.quiet_from = Some(self.pos);
        }
    }

    /// The reference scanner checks literals as it reads them: those before the point where
    /// a phrase failed were reported before its syntax error.
    /// Also reports an `optional` without its tag there (bison reduced it before failing).
    fn prefix_literals(&mut self, start: usize, at: usize) {
        let mut i = start;
        loop {
            i = self.trivia_end(i);
            if i >= at {
                return;
            }
            if let Some(end) = self.scan_literal(i, at) {
                i = end;
                continue;
            }
            let end = self.token_end(i).max(i + 1);
            if self.text.get(i..end) == Some("optional") {
                let next = self.trivia_end(end);
                let tagless = match self.byte(next) {
                    Some(b'(') => {
                        let (close, span) = self.next_token(next + 1);
                        (self.byte(close) == Some(b')') && close < at).then_some(span)
                    }
                    _ => (next <= at).then(|| self.span(i, end)),
                };
                if let Some(span) = tagless {
                    self.error("optional-missing-tag", span, "missing tag for optional");
                }
            }
            i = end;
        }
    }

    /// A definition that failed after `class`/`interface`/`exception`/`struct`/`enum` and a
    /// keyword: bison had already reported the keyword as a name.
    fn head_keyword(&mut self, start: usize, at: usize) {
        if let Ok((_, end)) = self.phrase_at(Rule::enum_nameless, start) {
            let (next, span) = self.next_token(end);
            if next <= at {
                self.error("missing-name", span, "missing enumeration name");
            }
            return;
        }
        let Ok((p, end)) = self.phrase_at(Rule::head_prefix, start) else {
            return;
        };
        if end > at {
            return;
        }
        let mut what = "";
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::kw_class => what = "class name",
                Rule::kw_interface => what = "interface name",
                Rule::kw_exception => what = "exception name",
                Rule::kw_struct => what = "struct name",
                Rule::kw_enum => what = "enumeration name",
                Rule::keyword => self.keyword_as_name(&c, what),
                _ => {}
            }
        }
    }

    /// Decodes the literal token at `i` if there is one ending by `limit`, reporting its
    /// problems as the reference scanner does; returns its end.
    fn scan_literal(&mut self, i: usize, limit: usize) -> Option<usize> {
        let (p, end) = match self.byte(i)? {
            b'"' => self.phrase_at(Rule::string_lit, i).ok()?,
            b'0'..=b'9' | b'.' | b'+' | b'-' => self
                .phrase_at(Rule::floating, i)
                .or_else(|_| self.phrase_at(Rule::integer, i))
                .ok()?,
            _ => return None,
        };
        if end > limit {
            return None;
        }
        match p.as_rule() {
            Rule::string_lit => {
                self.string_literal(&p);
            }
            Rule::integer => {
                self.int_literal(&p);
            }
            _ => {
                if let (_, Some(problem)) = literal::floating(p.as_str()) {
                    let span = self.pspan(&p);
                    self.report(span, problem);
                }
            }
        }
        Some(end)
    }

    /// An enum: its head (up to `{`) was parsed; reads the enumerators one by one up to
    /// the `}`. After a syntax error bison's recovery (to the next `;`) happens in the
    /// enclosing definition list (see [`Driver::enum_error`]).
    fn enumeration(
        &mut self,
        p: Pair<'a, Rule>,
    ) -> Option<(ast::DefinitionKind, Option<ast::DocComment>)> {
        let mut local = false;
        let mut name = None;
        let mut open = None;
        let mut doc = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::kw_local => local = true,
                Rule::def_name => {
                    // Like a module, an enum is created right after its name.
                    doc = self.docs.take(self.pstart(&c), self.sources);
                    name = Some(self.def_name(&c, "enumeration name"));
                }
                Rule::lbrace => {
                    if name.is_none() {
                        doc = self.docs.take(self.pstart(&c), self.sources);
                    }
                    open = Some(self.pspan(&c));
                }
                _ => {}
            }
        }
        let open = open?;
        if name.is_none() {
            // bison's mid-rule action runs as soon as `enum` is not followed by a name.
            self.error("missing-name", open, "missing enumeration name");
        }
        let mut enumerators = Vec::new();
        let close = loop {
            self.skip();
            let start = self.pos;
            let mut parsed = None;
            if !matches!(self.byte(start), Some(b',' | b'}')) {
                match self.phrase(Rule::enumerator) {
                    Ok((p, end)) => {
                        self.pos = end;
                        parsed = Some(p);
                    }
                    Err(at) => {
                        self.prefix_literals(start, at);
                        break self.enum_error(at, enumerators.is_empty())?;
                    }
                }
            }
            let (at, after) = self.next_token(self.pos);
            if let Some(p) = parsed {
                if let Some(e) = self.enumerator(p, at, after) {
                    enumerators.push(e);
                }
            }
            match self.byte(at) {
                Some(b',') => self.pos = at + 1,
                Some(b'}') => {
                    self.pos = at + 1;
                    break after;
                }
                _ => break self.enum_error(at, enumerators.is_empty())?,
            }
        };
        let name = name?;
        let e = ast::Enum {
            local,
            name,
            enumerators,
            braces: ast::Braces { open, close },
        };
        Some((ast::DefinitionKind::Enum(e), doc))
    }

    /// A syntax error in an enum body: bison recovers in the enclosing definition list.
    /// The enumerators read so far exist (and were checked) in the reference, so the enum
    /// is kept when there are some; returns where it "closes".
    fn enum_error(&mut self, at: usize, empty: bool) -> Option<Span> {
        self.syntax_error(at);
        let span = self.token_span(at);
        if self.byte(at).is_none() {
            self.aborted = true;
        } else {
            self.recover(at, b';');
        }
        (!empty).then_some(span)
    }
}
