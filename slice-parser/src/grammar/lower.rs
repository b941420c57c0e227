//! Lowering: turning the pest pairs of one phrase into [`crate::ast`] nodes.
//!
//! Every function here reads a pair that pest produced for the phrase being lowered
//! ([`Driver::base`] is where that phrase started) and reports what bison's error rules and
//! the scanner's literal checks would have reported for it. The order of the calls follows
//! the source, so diagnostics and doc comments come out in the reference's order.

use super::{literal, Body, Driver, Member, Rule};
use crate::ast;
use crate::diagnostics::Diagnostic;
use crate::source::Span;
use pest::iterators::Pair;

impl<'a> Driver<'a, '_> {
    /// An identifier pair (`simple_name`, `identifier`, `any_word`).
    pub(super) fn ident(&self, p: &Pair<'a, Rule>) -> ast::Ident {
        let text = p.as_str();
        let escaped = text.starts_with('\\');
        ast::Ident {
            name: text.trim_start_matches('\\').to_string(),
            escaped,
            span: self.pspan(p),
        }
    }

    /// A `def_name`: an identifier, or a keyword reported as "cannot be used as WHAT".
    pub(super) fn def_name(&mut self, p: &Pair<'a, Rule>, what: &str) -> ast::Ident {
        let inner = p.clone().into_inner().next().unwrap_or_else(|| p.clone());
        if inner.as_rule() == Rule::keyword {
            self.keyword_as_name(&inner, what);
        }
        let ident = self.ident(&inner);
        self.define(&ident);
        ident
    }

    /// Records a defined name for [`Driver::certainly_undefined`].
    pub(super) fn define(&mut self, name: &ast::Ident) {
        self.defined.insert(name.name.to_ascii_lowercase());
    }

    /// Whether a type named in a member or parameter without a name cannot resolve: no
    /// definition so far has its name, in any scope or case. bison looks the type up before
    /// it sees the missing name and, when that fails, reports only "`T' is not defined"
    /// (which the checker does, on the member kept under a placeholder name) instead of
    /// "missing data member name". The typical case is a blank lost between type and name
    /// (`intx;`). When unsure, the grammar's message stays.
    pub(super) fn certainly_undefined(&self, ty: &ast::TypeRef) -> bool {
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

    pub(super) fn keyword_as_name(&mut self, p: &Pair<'a, Rule>, what: &str) {
        let span = self.pspan(p);
        self.error(
            "keyword-as-name",
            span,
            format!("keyword `{}' cannot be used as {what}", p.as_str()),
        );
    }

    pub(super) fn scoped(&self, p: &Pair<'a, Rule>) -> ast::ScopedName {
        let text = p.as_str();
        let escaped = text.starts_with('\\');
        ast::ScopedName {
            text: text.strip_prefix('\\').unwrap_or(text).to_string(),
            escaped,
            span: self.pspan(p),
        }
    }

    pub(super) fn metadata(&mut self, p: Pair<'a, Rule>) -> ast::Metadata {
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

    pub(super) fn report(&mut self, span: Span, problem: literal::Problem) {
        match problem {
            literal::Problem::Error(code, msg) => self.error(code, span, msg),
            literal::Problem::Warning(code, msg) => {
                self.diags.push(Diagnostic::warning(code, span, msg))
            }
        }
    }

    pub(super) fn string_literal(&mut self, p: &Pair<'a, Rule>) -> Vec<u8> {
        let (bytes, problems) = literal::string(p.as_str());
        let span = self.pspan(p);
        for problem in problems {
            self.report(span, problem);
        }
        bytes
    }

    pub(super) fn int_literal(&mut self, p: &Pair<'a, Rule>) -> ast::IntLiteral {
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
    pub(super) fn int_or_name(&mut self, p: Pair<'a, Rule>) -> Option<ast::IntOrName> {
        let inner = p.into_inner().next()?;
        Some(match inner.as_rule() {
            Rule::integer => ast::IntOrName::Int(self.int_literal(&inner)),
            _ => ast::IntOrName::Name(self.scoped(&inner)),
        })
    }

    pub(super) fn const_value(&mut self, p: Pair<'a, Rule>) -> Option<ast::ConstValue> {
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
            Rule::string_lit => {
                let bytes = self.string_literal(&inner);
                // slice2py's code generator crashes on a constant or default value that is
                // not UTF-8 (an internal IllegalConversionException, exit status 1); it only
                // generates code for the compiled file. Report it properly instead.
                let start = self.pstart(&inner) as u32;
                if std::str::from_utf8(&bytes).is_err() && self.sources.pp_level(start) == 0 {
                    self.error("string-utf8", span, "string literal is not valid UTF-8");
                }
                ast::ConstValueKind::String(bytes)
            }
            Rule::kw_true => ast::ConstValueKind::Bool(true),
            Rule::kw_false => ast::ConstValueKind::Bool(false),
            _ => ast::ConstValueKind::Name(self.scoped(&inner)),
        };
        Some(ast::ConstValue { kind, text, span })
    }

    /// A `ty` pair.
    pub(super) fn ty(&self, p: Pair<'a, Rule>) -> Option<ast::TypeRef> {
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
    pub(super) fn meta_ty(&mut self, p: Pair<'a, Rule>) -> Option<ast::TypeRef> {
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
    pub(super) fn optional_tag(&mut self, p: Pair<'a, Rule>) -> Option<ast::OptionalTag> {
        let span = self.pspan(&p);
        let mut keyword = span;
        let mut tag = None;
        let mut rparen = None;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::kw_optional => keyword = self.pspan(&c),
                Rule::int_or_name => tag = self.int_or_name(c),
                Rule::rparen => rparen = Some(self.pspan(&c)),
                _ => {}
            }
        }
        match tag {
            Some(tag) => Some(ast::OptionalTag { tag, span }),
            None => {
                // bison reduces a bare `optional` at once (no look-ahead), `optional()` at `)`.
                let at = rparen.unwrap_or(keyword);
                self.error("optional-missing-tag", at, "missing tag for optional");
                None
            }
        }
    }

    pub(super) fn class(
        &mut self,
        p: Pair<'a, Rule>,
    ) -> (ast::DefinitionKind, Option<ast::DocComment>) {
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

    pub(super) fn interface(
        &mut self,
        p: Pair<'a, Rule>,
    ) -> (ast::DefinitionKind, Option<ast::DocComment>) {
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

    pub(super) fn exception(
        &mut self,
        p: Pair<'a, Rule>,
    ) -> (ast::DefinitionKind, Option<ast::DocComment>) {
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

    pub(super) fn structure(
        &mut self,
        p: Pair<'a, Rule>,
    ) -> (ast::DefinitionKind, Option<ast::DocComment>) {
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
    pub(super) fn open_body(
        &mut self,
        open: Option<Pair<'a, Rule>>,
    ) -> (Option<ast::DocComment>, Span) {
        match open {
            Some(open) => {
                let doc = self.docs.take(self.pstart(&open), self.sources);
                (doc, self.pspan(&open))
            }
            None => (None, self.span(self.pos, self.pos)),
        }
    }

    /// A placeholder name (never produced by the grammar, kept for robustness).
    pub(super) fn missing_ident(&self, at: Span) -> ast::Ident {
        ast::Ident {
            name: String::new(),
            escaped: false,
            span: at,
        }
    }

    /// The names after `extends` (interfaces) or `implements` (classes); `Object` or
    /// `Value` at the end is reported and dropped.
    pub(super) fn base_names(&mut self, p: Pair<'a, Rule>) -> Vec<ast::ScopedName> {
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

    /// Lowers a member phrase (`class_member`, `interface_member`, `data_member_item`).
    pub(super) fn member(&mut self, p: Pair<'a, Rule>, body: Body, start: usize) -> Option<Member> {
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

    pub(super) fn data_member(
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

    pub(super) fn operation(
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
    pub(super) fn preamble(
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

    pub(super) fn params(&mut self, p: Pair<'a, Rule>) -> Vec<ast::Parameter> {
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
    pub(super) fn broken_operation(
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
    pub(super) fn operation_tail(
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

    pub(super) fn return_type(&mut self, p: Pair<'a, Rule>) -> Option<ast::ReturnType> {
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

    pub(super) fn op_name(&mut self, p: Pair<'a, Rule>) -> Option<ast::Ident> {
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

    pub(super) fn parameter(&mut self, p: Pair<'a, Rule>) -> Option<ast::Parameter> {
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

    pub(super) fn throws(&mut self, p: Pair<'a, Rule>) -> Vec<ast::ScopedName> {
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

    pub(super) fn forward_decl(
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
    pub(super) fn bad_forward_decl(&mut self, p: Pair<'a, Rule>) {
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

    /// One enumerator; `after_at`/`after` is the token after it (`,` or `}`, or whatever
    /// stands there).
    pub(super) fn enumerator(
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

    pub(super) fn sequence(
        &mut self,
        p: Pair<'a, Rule>,
    ) -> (ast::DefinitionKind, Option<ast::DocComment>) {
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

    pub(super) fn dictionary(
        &mut self,
        p: Pair<'a, Rule>,
    ) -> (ast::DefinitionKind, Option<ast::DocComment>) {
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

    pub(super) fn constant(
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
pub(super) fn data_members(members: Vec<Member>) -> Vec<ast::DataMember> {
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
pub(super) fn placeholder_name(at: Span) -> ast::Ident {
    ast::Ident {
        name: format!("<unnamed@{}:{}>", at.file.0, at.start),
        escaped: false,
        span: at,
    }
}

/// A stand-in type (never produced by the grammar, kept for robustness).
pub(super) fn placeholder_type(span: Span) -> ast::TypeRef {
    ast::TypeRef {
        metadata: None,
        kind: ast::TypeRefKind::Builtin(ast::Builtin::Int),
        span,
    }
}
