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
    // ---- positions and tokens ---------------------------------------------------------

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

    // ---- diagnostics and recovery -----------------------------------------------------

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
        let input = text.get(at..).unwrap_or("");
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

    // ---- definition lists -------------------------------------------------------------

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
        let mut open = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::simple_name => {
                    let ident = self.ident(&c);
                    self.define(&ident);
                    name = Some(ident);
                }
                Rule::lbrace => open = Some(c),
                _ => {}
            }
        }
        let (name, open) = (name?, open?);
        let doc = self.docs.take(self.pstart(&open), self.sources);
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

    // ---- names, metadata, types, literals ---------------------------------------------

    /// An identifier pair (`simple_name`, `identifier`, `any_word`).
    fn ident(&self, p: &Pair<'a, Rule>) -> ast::Ident {
        let text = p.as_str();
        let escaped = text.starts_with('\\');
        ast::Ident {
            name: text.trim_start_matches('\\').to_string(),
            escaped,
            span: self.pspan(p),
        }
    }

    /// A `def_name`: an identifier, or a keyword reported as "cannot be used as WHAT".
    fn def_name(&mut self, p: &Pair<'a, Rule>, what: &str) -> ast::Ident {
        let inner = p.clone().into_inner().next().unwrap_or_else(|| p.clone());
        if inner.as_rule() == Rule::keyword {
            self.keyword_as_name(&inner, what);
        }
        let ident = self.ident(&inner);
        self.define(&ident);
        ident
    }

    /// Records a defined name for [`Driver::certainly_undefined`].
    fn define(&mut self, name: &ast::Ident) {
        self.defined.insert(name.name.to_ascii_lowercase());
    }

    /// Whether a type named in a member or parameter without a name cannot resolve: no
    /// definition so far has its name, in any scope or case. bison looks the type up before
    /// it sees the missing name and, when that fails, reports only "`T' is not defined"
    /// (which the checker does, on the member kept under a placeholder name) instead of
    /// "missing data member name". The typical case is a blank lost between type and name
    /// (`intx;`). When unsure, the grammar's message stays.
    fn certainly_undefined(&self, ty: &ast::TypeRef) -> bool {
        let (ast::TypeRefKind::Named(n) | ast::TypeRefKind::Proxy(n)) = &ty.kind else {
            return false;
        };
        let last = n.last().trim_start_matches('\\').to_ascii_lowercase();
        const BUILTIN: [&str; 11] = [
            "bool",
            "byte",
            "short",
            "int",
            "long",
            "float",
            "double",
            "string",
            "object",
            "localobject",
            "value",
        ];
        !self.defined.contains(&last) && !BUILTIN.contains(&last.as_str())
    }

    fn keyword_as_name(&mut self, p: &Pair<'a, Rule>, what: &str) {
        let span = self.pspan(p);
        self.error(
            "keyword-as-name",
            span,
            format!("keyword `{}' cannot be used as {what}", p.as_str()),
        );
    }

    fn scoped(&self, p: &Pair<'a, Rule>) -> ast::ScopedName {
        let text = p.as_str();
        let escaped = text.starts_with('\\');
        ast::ScopedName {
            text: text.strip_prefix('\\').unwrap_or(text).to_string(),
            escaped,
            span: self.pspan(p),
        }
    }

    fn metadata(&mut self, p: Pair<'a, Rule>) -> ast::Metadata {
        let span = self.pspan(&p);
        let mut directives = Vec::new();
        for s in p.into_inner() {
            if s.as_rule() != Rule::metadata_string {
                continue;
            }
            let dspan = self.pspan(&s);
            let mut bytes = Vec::new();
            for lit in s.into_inner() {
                bytes.extend(self.string_literal(&lit));
            }
            directives.push(ast::MetadataDirective {
                value: String::from_utf8_lossy(&bytes).into_owned(),
                span: dspan,
            });
        }
        ast::Metadata { directives, span }
    }

    fn report(&mut self, span: Span, problem: literal::Problem) {
        match problem {
            literal::Problem::Error(code, msg) => self.error(code, span, msg),
            literal::Problem::Warning(code, msg) => {
                self.diags.push(Diagnostic::warning(code, span, msg))
            }
        }
    }

    fn string_literal(&mut self, p: &Pair<'a, Rule>) -> Vec<u8> {
        let (bytes, problems) = literal::string(p.as_str());
        let span = self.pspan(p);
        for problem in problems {
            self.report(span, problem);
        }
        bytes
    }

    fn int_literal(&mut self, p: &Pair<'a, Rule>) -> ast::IntLiteral {
        let (value, problem) = literal::integer(p.as_str());
        let span = self.pspan(p);
        if let Some(problem) = problem {
            self.report(span, problem);
        }
        ast::IntLiteral {
            value,
            text: p.as_str().to_string(),
            span,
        }
    }

    /// An `int_or_name` pair.
    fn int_or_name(&mut self, p: Pair<'a, Rule>) -> Option<ast::IntOrName> {
        let inner = p.into_inner().next()?;
        Some(match inner.as_rule() {
            Rule::integer => ast::IntOrName::Int(self.int_literal(&inner)),
            _ => ast::IntOrName::Name(self.scoped(&inner)),
        })
    }

    fn const_value(&mut self, p: Pair<'a, Rule>) -> Option<ast::ConstValue> {
        let span = self.pspan(&p);
        let text = p.as_str().to_string();
        let inner = p.into_inner().next()?;
        let kind = match inner.as_rule() {
            Rule::floating => {
                let (value, problem) = literal::floating(inner.as_str());
                if let Some(problem) = problem {
                    self.report(span, problem);
                }
                ast::ConstValueKind::Float(value)
            }
            Rule::integer => ast::ConstValueKind::Integer(self.int_literal(&inner).value),
            Rule::string_lit => ast::ConstValueKind::String(self.string_literal(&inner)),
            Rule::kw_true => ast::ConstValueKind::Bool(true),
            Rule::kw_false => ast::ConstValueKind::Bool(false),
            _ => ast::ConstValueKind::Name(self.scoped(&inner)),
        };
        Some(ast::ConstValue { kind, text, span })
    }

    /// A `ty` pair.
    fn ty(&self, p: Pair<'a, Rule>) -> Option<ast::TypeRef> {
        let span = self.pspan(&p);
        let inner = p.into_inner().next()?;
        let kind = match inner.as_rule() {
            Rule::object_proxy => ast::TypeRefKind::Builtin(ast::Builtin::ObjectProxy),
            Rule::builtin => ast::TypeRefKind::Builtin(match inner.as_str() {
                "bool" => ast::Builtin::Bool,
                "byte" => ast::Builtin::Byte,
                "short" => ast::Builtin::Short,
                "int" => ast::Builtin::Int,
                "long" => ast::Builtin::Long,
                "float" => ast::Builtin::Float,
                "double" => ast::Builtin::Double,
                "string" => ast::Builtin::String,
                "Object" => ast::Builtin::Object,
                "LocalObject" => ast::Builtin::LocalObject,
                _ => ast::Builtin::Value,
            }),
            Rule::proxy => ast::TypeRefKind::Proxy(self.scoped(&inner.into_inner().next()?)),
            _ => ast::TypeRefKind::Named(self.scoped(&inner.into_inner().next()?)),
        };
        Some(ast::TypeRef {
            metadata: None,
            kind,
            span,
        })
    }

    /// A `meta_ty` pair: a type with its optional metadata.
    fn meta_ty(&mut self, p: Pair<'a, Rule>) -> Option<ast::TypeRef> {
        let mut metadata = None;
        let mut ty = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::local_metadata => metadata = Some(self.metadata(c)),
                Rule::ty => ty = self.ty(c),
                _ => {}
            }
        }
        let mut ty = ty?;
        ty.metadata = metadata;
        Some(ty)
    }

    /// An `optional_tag` pair; `None` (after an error) when the tag is missing.
    fn optional_tag(&mut self, p: Pair<'a, Rule>) -> Option<ast::OptionalTag> {
        let span = self.pspan(&p);
        let end = self.pend(&p);
        let mut tag = None;
        let mut rparen = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::int_or_name => tag = self.int_or_name(c),
                Rule::rparen => rparen = Some(self.pspan(&c)),
                _ => {}
            }
        }
        match tag {
            Some(tag) => Some(ast::OptionalTag { tag, span }),
            None => {
                let at = rparen.unwrap_or_else(|| self.next_token(end).1);
                self.error("optional-missing-tag", at, "missing tag for optional");
                None
            }
        }
    }

    // ---- definitions with bodies ------------------------------------------------------

    fn class(&mut self, p: Pair<'a, Rule>) -> (ast::DefinitionKind, Option<ast::DocComment>) {
        let mut local = false;
        let mut name = None;
        let mut compact_id = None;
        let mut extends = None;
        let mut implements = Vec::new();
        let mut open = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::kw_local => local = true,
                Rule::class_id => {
                    for part in c.into_inner() {
                        match part.as_rule() {
                            Rule::def_name | Rule::compact_name => {
                                name = Some(self.def_name(&part, "class name"))
                            }
                            Rule::int_or_name => compact_id = self.int_or_name(part),
                            _ => {}
                        }
                    }
                }
                Rule::class_extends => {
                    extends = c
                        .into_inner()
                        .find(|x| x.as_rule() == Rule::scoped_name)
                        .map(|x| self.scoped(&x));
                }
                Rule::class_implements => implements = self.base_names(c),
                Rule::lbrace => open = Some(c),
                _ => {}
            }
        }
        let (doc, open) = self.open_body(open);
        let (members, close) = self.body(Body::Class);
        self.optional_semicolon();
        let members = members
            .into_iter()
            .map(|m| match m {
                Member::Data(d) => ast::ClassMember::Data(d),
                Member::Operation(o) => ast::ClassMember::Operation(o),
            })
            .collect();
        let class = ast::Class {
            local,
            name: name.unwrap_or_else(|| self.missing_ident(open)),
            compact_id,
            extends,
            implements,
            members,
            braces: ast::Braces { open, close },
        };
        (ast::DefinitionKind::Class(class), doc)
    }

    fn interface(&mut self, p: Pair<'a, Rule>) -> (ast::DefinitionKind, Option<ast::DocComment>) {
        let mut local = false;
        let mut name = None;
        let mut extends = Vec::new();
        let mut open = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::kw_local => local = true,
                Rule::def_name => name = Some(self.def_name(&c, "interface name")),
                Rule::interface_extends => extends = self.base_names(c),
                Rule::lbrace => open = Some(c),
                _ => {}
            }
        }
        let (doc, open) = self.open_body(open);
        let (members, close) = self.body(Body::Interface);
        self.optional_semicolon();
        let operations = members
            .into_iter()
            .filter_map(|m| match m {
                Member::Operation(o) => Some(o),
                Member::Data(_) => None,
            })
            .collect();
        let interface = ast::Interface {
            local,
            name: name.unwrap_or_else(|| self.missing_ident(open)),
            extends,
            operations,
            braces: ast::Braces { open, close },
        };
        (ast::DefinitionKind::Interface(interface), doc)
    }

    fn exception(&mut self, p: Pair<'a, Rule>) -> (ast::DefinitionKind, Option<ast::DocComment>) {
        let mut local = false;
        let mut name = None;
        let mut extends = None;
        let mut open = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::kw_local => local = true,
                Rule::def_name => name = Some(self.def_name(&c, "exception name")),
                Rule::class_extends => {
                    extends = c
                        .into_inner()
                        .find(|x| x.as_rule() == Rule::scoped_name)
                        .map(|x| self.scoped(&x));
                }
                Rule::lbrace => open = Some(c),
                _ => {}
            }
        }
        let (doc, open) = self.open_body(open);
        let (members, close) = self.body(Body::Exception);
        self.optional_semicolon();
        let exception = ast::Exception {
            local,
            name: name.unwrap_or_else(|| self.missing_ident(open)),
            extends,
            members: data_members(members),
            braces: ast::Braces { open, close },
        };
        (ast::DefinitionKind::Exception(exception), doc)
    }

    fn structure(&mut self, p: Pair<'a, Rule>) -> (ast::DefinitionKind, Option<ast::DocComment>) {
        let mut local = false;
        let mut name = None;
        let mut open = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::kw_local => local = true,
                Rule::def_name => name = Some(self.def_name(&c, "struct name")),
                Rule::lbrace => open = Some(c),
                _ => {}
            }
        }
        let (doc, open) = self.open_body(open);
        let (members, close) = self.body(Body::Struct);
        self.optional_semicolon();
        let structure = ast::Struct {
            local,
            name: name.unwrap_or_else(|| self.missing_ident(open)),
            members: data_members(members),
            braces: ast::Braces { open, close },
        };
        (ast::DefinitionKind::Struct(structure), doc)
    }

    /// The doc comment taken at a body's `{`, and the `{` span.
    fn open_body(&mut self, open: Option<Pair<'a, Rule>>) -> (Option<ast::DocComment>, Span) {
        match open {
            Some(open) => {
                let doc = self.docs.take(self.pstart(&open), self.sources);
                (doc, self.pspan(&open))
            }
            None => (None, self.span(self.pos, self.pos)),
        }
    }

    /// A placeholder name (never produced by the grammar, kept for robustness).
    fn missing_ident(&self, at: Span) -> ast::Ident {
        ast::Ident {
            name: String::new(),
            escaped: false,
            span: at,
        }
    }

    /// The names after `extends` (interfaces) or `implements` (classes); `Object` or
    /// `Value` at the end is reported and dropped.
    fn base_names(&mut self, p: Pair<'a, Rule>) -> Vec<ast::ScopedName> {
        let mut names = Vec::new();
        for b in p.into_inner() {
            match b.as_rule() {
                Rule::base_name => {
                    if let Some(inner) = b.into_inner().next() {
                        names.push(self.scoped(&inner));
                    }
                }
                Rule::kw_Object | Rule::kw_Value => {
                    let span = self.pspan(&b);
                    self.error(
                        "illegal-inheritance",
                        span,
                        format!("illegal inheritance from type {}", b.as_str()),
                    );
                }
                _ => {}
            }
        }
        names
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

    /// Lowers a member phrase (`class_member`, `interface_member`, `data_member_item`).
    fn member(&mut self, p: Pair<'a, Rule>, body: Body, start: usize) -> Option<Member> {
        let end = self.pend(&p);
        let mut metadata = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::local_metadata => metadata = Some(self.metadata(c)),
                Rule::operation => {
                    return self.operation(c, metadata, start).map(Member::Operation)
                }
                Rule::data_member => {
                    return self
                        .data_member(c, metadata, body, start, end)
                        .map(Member::Data)
                }
                _ => {}
            }
        }
        None
    }

    fn data_member(
        &mut self,
        p: Pair<'a, Rule>,
        metadata: Option<ast::Metadata>,
        body: Body,
        start: usize,
        end: usize,
    ) -> Option<ast::DataMember> {
        let mut optional = None;
        let mut had_optional = false;
        let mut ty = None;
        let mut ty_end = end;
        let mut name = None;
        let mut name_end = end;
        let mut eq = None;
        let mut default = None;
        let mut default_start = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::optional_tag => {
                    had_optional = true;
                    optional = self.optional_tag(c);
                }
                Rule::ty => {
                    ty_end = self.pend(&c);
                    ty = self.ty(c);
                }
                Rule::member_name => {
                    let inner = c.into_inner().next()?;
                    if inner.as_rule() == Rule::keyword {
                        self.keyword_as_name(&inner, "data member name");
                    }
                    name_end = self.pend(&inner);
                    name = Some(self.ident(&inner));
                }
                Rule::eq => eq = Some(self.pspan(&c)),
                Rule::const_value => {
                    default_start = Some(self.pstart(&c));
                    default = self.const_value(c);
                }
                _ => {}
            }
        }
        let ty = ty?;
        let name = match name {
            Some(name) => name,
            None => {
                // Like the reference, keep a member under a unique placeholder name, so the
                // body is not reported empty and the type is still checked.
                let (at, span) = self.next_token(ty_end);
                if self.certainly_undefined(&ty) {
                    self.silent_error = true;
                } else {
                    self.error("missing-name", span, "missing data member name");
                }
                name_end = at;
                placeholder_name(span)
            }
        };
        let (after_at, after) = self.next_token(name_end);
        let after_name = eq.unwrap_or(after);
        if had_optional && body == Body::Struct {
            self.error(
                "optional-in-struct",
                after_name,
                "optional data members not supported in struct",
            );
            optional = None;
        }
        let trigger = default_start.unwrap_or(after_at);
        let doc = self.docs.take(trigger, self.sources);
        Some(ast::DataMember {
            metadata,
            doc,
            optional,
            ty,
            name,
            default,
            after_name,
            span: self.span(start, end),
        })
    }

    fn operation(
        &mut self,
        p: Pair<'a, Rule>,
        metadata: Option<ast::Metadata>,
        start: usize,
    ) -> Option<ast::Operation> {
        let end = self.pend(&p);
        let mut op = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::op_preamble => op = self.preamble(c, metadata.clone(), start),
                Rule::params => {
                    let params = self.params(c);
                    if let Some(op) = op.as_mut() {
                        op.params = params;
                    }
                }
                Rule::throws_clause => {
                    let throws = self.throws(c);
                    if let Some(op) = op.as_mut() {
                        op.throws = throws;
                    }
                }
                _ => {}
            }
        }
        let mut op = op?;
        op.span = self.span(start, end);
        Some(op)
    }

    /// An operation from its `op_preamble` (no parameters or exceptions yet).
    fn preamble(
        &mut self,
        p: Pair<'a, Rule>,
        metadata: Option<ast::Metadata>,
        start: usize,
    ) -> Option<ast::Operation> {
        let end = self.pend(&p);
        let mut idempotent = false;
        let mut return_type = None;
        let mut name = None;
        let mut name_start = 0;
        let mut doc = None;
        let mut name_paren = None;
        for part in p.into_inner() {
            match part.as_rule() {
                Rule::kw_idempotent => idempotent = true,
                Rule::return_type => return_type = self.return_type(part),
                Rule::op_name => {
                    name_start = self.pstart(&part);
                    name = self.op_name(part);
                }
                Rule::lparen => {
                    let paren_end = self.pend(&part);
                    doc = self.docs.take(self.pstart(&part), self.sources);
                    name_paren = Some(self.span(name_start, paren_end));
                }
                _ => {}
            }
        }
        Some(ast::Operation {
            metadata,
            doc,
            idempotent,
            return_type: return_type?,
            name: name?,
            name_paren: name_paren?,
            params: Vec::new(),
            throws: Vec::new(),
            span: self.span(start, end),
        })
    }

    fn params(&mut self, p: Pair<'a, Rule>) -> Vec<ast::Parameter> {
        let mut params = Vec::new();
        for param in p.into_inner().filter(|c| c.as_rule() == Rule::param) {
            if let Some(param) = self.parameter(param) {
                params.push(param);
            }
        }
        params
    }

    /// The operation starting at `start` (`at`: after its metadata) whose parameter list,
    /// starting at `params_at`, has a syntax error: its preamble and the parameters before
    /// the error.
    fn broken_operation(
        &mut self,
        start: usize,
        at: usize,
        params_at: usize,
        error_at: usize,
    ) -> Option<ast::Operation> {
        let metadata = match self.byte(start) {
            Some(b'[') => {
                let (p, _) = self.phrase_at(Rule::local_metadata, start).ok()?;
                Some(self.metadata(p))
            }
            _ => None,
        };
        let (p, _) = self.phrase_at(Rule::op_preamble, at).ok()?;
        let mut op = self.preamble(p, metadata, start)?;
        let mut read = params_at;
        if let Ok((p, end)) = self.phrase_at(Rule::params, params_at) {
            op.params = self.params(p);
            read = end;
        }
        self.prefix_literals(read, error_at);
        Some(op)
    }

    /// After a syntax error at `error_at` in the parameters of `op`: skips to the `)` and
    /// reads the throws clause.
    fn operation_tail(
        &mut self,
        mut op: ast::Operation,
        start: usize,
        error_at: usize,
    ) -> ast::Operation {
        if self.recover(error_at, b')') {
            let tail_at = self.trivia_end(self.pos);
            if let Ok((p, end)) = self.phrase_at(Rule::op_tail, tail_at) {
                self.pos = end;
                if let Some(t) = p.into_inner().next() {
                    op.throws = self.throws(t);
                }
            }
        }
        op.span = self.span(start, self.pos);
        op
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
                let (next, span) = self.next_token(end);
                let tagless = match self.byte(next) {
                    Some(b'(') => {
                        let (close, span) = self.next_token(next + 1);
                        (self.byte(close) == Some(b')') && close < at).then_some(span)
                    }
                    _ => (next <= at).then_some(span),
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

    fn return_type(&mut self, p: Pair<'a, Rule>) -> Option<ast::ReturnType> {
        let mut optional = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::kw_void => return Some(ast::ReturnType::Void(self.pspan(&c))),
                Rule::optional_tag => optional = self.optional_tag(c),
                Rule::ty => {
                    return Some(ast::ReturnType::Type {
                        optional,
                        ty: self.ty(c)?,
                    })
                }
                _ => {}
            }
        }
        None
    }

    fn op_name(&mut self, p: Pair<'a, Rule>) -> Option<ast::Ident> {
        let inner = p.into_inner().next()?;
        if inner.as_rule() == Rule::keyword {
            self.keyword_as_name(&inner, "operation name");
            return Some(self.ident(&inner));
        }
        let scoped = self.scoped(&inner);
        if scoped.text.contains("::") {
            self.error(
                "scoped-operation-name",
                scoped.span,
                format!("Operation identifiers cannot be scoped: `{}'", scoped.text),
            );
            let last = scoped.last().to_string();
            return Some(ast::Ident {
                name: last,
                escaped: false,
                span: scoped.span,
            });
        }
        Some(ast::Ident {
            name: scoped.text,
            escaped: scoped.escaped,
            span: scoped.span,
        })
    }

    fn parameter(&mut self, p: Pair<'a, Rule>) -> Option<ast::Parameter> {
        let span = self.pspan(&p);
        let end = self.pend(&p);
        let mut out = false;
        let mut metadata = None;
        let mut optional = None;
        let mut ty = None;
        let mut name = None;
        let mut name_start = 0;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::kw_out => out = true,
                Rule::local_metadata => metadata = Some(self.metadata(c)),
                Rule::optional_tag => optional = self.optional_tag(c),
                Rule::ty => ty = self.ty(c),
                Rule::simple_name => {
                    name_start = self.pstart(&c);
                    name = Some(self.ident(&c));
                }
                Rule::keyword => {
                    name_start = self.pstart(&c);
                    self.keyword_as_name(&c, "parameter name");
                    name = Some(self.ident(&c));
                }
                _ => {}
            }
        }
        let ty = ty?;
        let name = match name {
            Some(name) => name,
            None => {
                let (at, span) = self.next_token(end);
                if !self.certainly_undefined(&ty) {
                    self.error("missing-name", span, "missing parameter name");
                }
                name_start = at;
                placeholder_name(span)
            }
        };
        let doc = self.docs.take(name_start, self.sources);
        Some(ast::Parameter {
            metadata,
            doc,
            out,
            optional,
            ty,
            name,
            span,
        })
    }

    fn throws(&mut self, p: Pair<'a, Rule>) -> Vec<ast::ScopedName> {
        let mut names = Vec::new();
        for t in p.into_inner() {
            if t.as_rule() != Rule::throws_name {
                continue;
            }
            let Some(inner) = t.into_inner().next() else {
                continue;
            };
            if inner.as_rule() == Rule::keyword {
                self.keyword_as_name(&inner, "exception name");
            } else {
                names.push(self.scoped(&inner));
            }
        }
        names
    }

    // ---- definitions without bodies --------------------------------------------------

    fn forward_decl(
        &mut self,
        p: Pair<'a, Rule>,
    ) -> (ast::DefinitionKind, Option<ast::DocComment>) {
        let is_class = p.as_rule() == Rule::class_decl;
        let mut local = false;
        let mut name = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::kw_local => local = true,
                Rule::def_name => {
                    let what = if is_class {
                        "class name"
                    } else {
                        "interface name"
                    };
                    name = Some(self.def_name(&c, what));
                }
                _ => {}
            }
        }
        let trigger = self.trivia_end(self.pos);
        let what = if is_class {
            "class forward declaration"
        } else {
            "interface forward declaration"
        };
        let semicolon = self.expect_semicolon(what);
        let doc = self.docs.take(trigger, self.sources);
        let decl = ast::ForwardDecl {
            kind: if is_class {
                ast::DeclKind::Class
            } else {
                ast::DeclKind::Interface
            },
            local,
            name: name.unwrap_or_else(|| self.missing_ident(semicolon)),
            semicolon,
        };
        (ast::DefinitionKind::ForwardDecl(decl), doc)
    }

    /// `exception E;` and `struct S;`: errors in 3.7.
    fn bad_forward_decl(&mut self, p: Pair<'a, Rule>) {
        let is_exception = p.as_rule() == Rule::exception_decl;
        for c in p.into_inner() {
            if c.as_rule() == Rule::def_name {
                let what = if is_exception {
                    "exception name"
                } else {
                    "struct name"
                };
                self.def_name(&c, what);
            }
        }
        let at = self.next_token(self.pos).1;
        let (msg, what) = if is_exception {
            (
                "exceptions cannot be forward declared",
                "exception forward declaration",
            )
        } else {
            (
                "structs cannot be forward declared",
                "struct forward declaration",
            )
        };
        self.error("forward-declared", at, msg);
        self.expect_semicolon(what);
    }

    /// An enum: its head (up to `{`) was parsed; reads the enumerators one by one up to
    /// the `}`. After a syntax error the enum is dropped and bison's recovery (to the next
    /// `;`) happens in the enclosing definition list.
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
                Rule::def_name => name = Some(self.def_name(&c, "enumeration name")),
                Rule::lbrace => {
                    doc = self.docs.take(self.pstart(&c), self.sources);
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
                        self.enum_error(at);
                        return None;
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
                _ => {
                    self.enum_error(at);
                    return None;
                }
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
    fn enum_error(&mut self, at: usize) {
        self.syntax_error(at);
        if self.byte(at).is_none() {
            self.aborted = true;
        } else {
            self.recover(at, b';');
        }
    }

    /// One enumerator; `after_at`/`after` is the token after it (`,` or `}`, or whatever
    /// stands there).
    fn enumerator(
        &mut self,
        p: Pair<'a, Rule>,
        after_at: usize,
        after: Span,
    ) -> Option<ast::Enumerator> {
        let mut name = None;
        let mut value = None;
        let mut value_at = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::def_name => name = Some(self.def_name(&c, "enumerator")),
                Rule::int_or_name => {
                    value_at = Some(self.pstart(&c));
                    value = self.int_or_name(c);
                }
                _ => {}
            }
        }
        let name = name?;
        // Value checks are reported at the value, or else at the `,` or `}` after it.
        let (trigger, after) = match &value {
            Some(v) => (value_at.unwrap_or(after_at), v.span()),
            None => (after_at, after),
        };
        let doc = self.docs.take(trigger, self.sources);
        Some(ast::Enumerator {
            doc,
            name,
            value,
            after,
        })
    }

    fn sequence(&mut self, p: Pair<'a, Rule>) -> (ast::DefinitionKind, Option<ast::DocComment>) {
        let mut local = false;
        let mut element = None;
        let mut name = None;
        let mut doc = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::kw_local => local = true,
                Rule::meta_ty => element = self.meta_ty(c),
                Rule::def_name => {
                    doc = self.docs.take(self.pstart(&c), self.sources);
                    name = Some(self.def_name(&c, "sequence name"));
                }
                _ => {}
            }
        }
        let semicolon = self.expect_semicolon("sequence definition");
        let name = name.unwrap_or_else(|| self.missing_ident(semicolon));
        let element = element.unwrap_or_else(|| placeholder_type(semicolon));
        let s = ast::Sequence {
            local,
            element,
            name,
        };
        (ast::DefinitionKind::Sequence(s), doc)
    }

    fn dictionary(&mut self, p: Pair<'a, Rule>) -> (ast::DefinitionKind, Option<ast::DocComment>) {
        let mut local = false;
        let mut types = Vec::new();
        let mut name = None;
        let mut doc = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::kw_local => local = true,
                Rule::meta_ty => types.extend(self.meta_ty(c)),
                Rule::def_name => {
                    doc = self.docs.take(self.pstart(&c), self.sources);
                    name = Some(self.def_name(&c, "dictionary name"));
                }
                _ => {}
            }
        }
        let semicolon = self.expect_semicolon("dictionary definition");
        let mut types = types.into_iter();
        let key = types.next().unwrap_or_else(|| placeholder_type(semicolon));
        let value = types.next().unwrap_or_else(|| placeholder_type(semicolon));
        let d = ast::Dictionary {
            local,
            key,
            value,
            name: name.unwrap_or_else(|| self.missing_ident(semicolon)),
        };
        (ast::DefinitionKind::Dictionary(d), doc)
    }

    fn constant(
        &mut self,
        p: Pair<'a, Rule>,
    ) -> Option<(ast::DefinitionKind, Option<ast::DocComment>)> {
        let mut ty = None;
        let mut name = None;
        let mut value = None;
        let mut value_start = 0;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::meta_ty => ty = self.meta_ty(c),
                Rule::simple_name => {
                    let ident = self.ident(&c);
                    self.define(&ident);
                    name = Some(ident);
                }
                Rule::const_value => {
                    value_start = self.pstart(&c);
                    value = self.const_value(c);
                }
                _ => {}
            }
        }
        let (ty, value) = (ty?, value?);
        let name = match name {
            Some(name) => name,
            // bison looks the type up first; an unknown type is all it reports (the checker
            // does, on the constant kept under a placeholder name).
            None if self.certainly_undefined(&ty) => placeholder_name(ty.span),
            None => {
                self.error("missing-name", value.span, "missing constant name");
                self.expect_semicolon("const definition");
                return None;
            }
        };
        let doc = self.docs.take(value_start, self.sources);
        self.expect_semicolon("const definition");
        let c = ast::Const { ty, name, value };
        Some((ast::DefinitionKind::Const(c), doc))
    }
}

/// Only data members (exception and struct bodies).
fn data_members(members: Vec<Member>) -> Vec<ast::DataMember> {
    members
        .into_iter()
        .filter_map(|m| match m {
            Member::Data(d) => Some(d),
            Member::Operation(_) => None,
        })
        .collect()
}

/// The name given to a member or parameter written without one (the reference uses a
/// UUID): unique, and not a valid Slice identifier, so it can never clash with a real name.
fn placeholder_name(at: Span) -> ast::Ident {
    ast::Ident {
        name: format!("<unnamed@{}:{}>", at.file.0, at.start),
        escaped: false,
        span: at,
    }
}

/// A stand-in type (never produced by the grammar, kept for robustness).
fn placeholder_type(span: Span) -> ast::TypeRef {
    ast::TypeRef {
        metadata: None,
        kind: ast::TypeRefKind::Builtin(ast::Builtin::Int),
        span,
    }
}
