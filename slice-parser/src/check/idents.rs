//! Identifier rules of SLICE-LANGUAGE.md 3.4, applied to every identifier token (definitions
//! and references; the last component of a scoped name). Some apply to the top-level file
//! only, unless lifted by `--ice`/`--underscore` or the file's `[["ice-prefix"]]` /
//! `[["underscore"]]`.

use super::Checker;
use crate::ast::{
    self, ClassMember, ConstValue, ConstValueKind, DataMember, DefinitionKind, Ident, IntOrName,
    Operation, OptionalTag, ReturnType, ScopedName, TypeRef, TypeRefKind,
};
use crate::source::Span;

const RESERVED_SUFFIXES: [&str; 4] = ["Helper", "Holder", "Prx", "Ptr"];

impl Checker<'_> {
    /// Checks every identifier token of a definition (not the body of a module, whose
    /// definitions are checked when the walk reaches them).
    pub(crate) fn check_definition_idents(&mut self, def: &ast::Definition) {
        match &def.kind {
            DefinitionKind::Module(m) => self.check_ident(&m.name),
            DefinitionKind::ForwardDecl(fd) => self.check_ident(&fd.name),
            DefinitionKind::Class(c) => {
                self.check_ident(&c.name);
                if let Some(IntOrName::Name(n)) = &c.compact_id {
                    self.check_scoped(n);
                }
                for b in c.extends.iter().chain(&c.implements) {
                    self.check_scoped(b);
                }
                for m in &c.members {
                    match m {
                        ClassMember::Data(d) => self.check_member_idents(d),
                        ClassMember::Operation(op) => self.check_operation_idents(op),
                    }
                }
            }
            DefinitionKind::Interface(i) => {
                self.check_ident(&i.name);
                for b in &i.extends {
                    self.check_scoped(b);
                }
                for op in &i.operations {
                    self.check_operation_idents(op);
                }
            }
            DefinitionKind::Exception(e) => {
                self.check_ident(&e.name);
                if let Some(b) = &e.extends {
                    self.check_scoped(b);
                }
                for d in &e.members {
                    self.check_member_idents(d);
                }
            }
            DefinitionKind::Struct(s) => {
                self.check_ident(&s.name);
                for d in &s.members {
                    self.check_member_idents(d);
                }
            }
            DefinitionKind::Enum(e) => {
                self.check_ident(&e.name);
                for er in &e.enumerators {
                    self.check_ident(&er.name);
                    if let Some(IntOrName::Name(n)) = &er.value {
                        self.check_scoped(n);
                    }
                }
            }
            DefinitionKind::Sequence(s) => {
                self.check_type_idents(&s.element);
                self.check_ident(&s.name);
            }
            DefinitionKind::Dictionary(d) => {
                self.check_type_idents(&d.key);
                self.check_type_idents(&d.value);
                self.check_ident(&d.name);
            }
            DefinitionKind::Const(c) => {
                self.check_type_idents(&c.ty);
                self.check_ident(&c.name);
                self.check_value_idents(&c.value);
            }
        }
    }

    fn check_type_idents(&mut self, ty: &TypeRef) {
        match &ty.kind {
            TypeRefKind::Builtin(_) => {}
            TypeRefKind::Named(n) | TypeRefKind::Proxy(n) => self.check_scoped(n),
        }
    }

    fn check_value_idents(&mut self, v: &ConstValue) {
        if let ConstValueKind::Name(n) = &v.kind {
            self.check_scoped(n);
        }
    }

    fn check_tag_idents(&mut self, tag: &Option<OptionalTag>) {
        if let Some(OptionalTag {
            tag: IntOrName::Name(n),
            ..
        }) = tag
        {
            self.check_scoped(n);
        }
    }

    fn check_member_idents(&mut self, d: &DataMember) {
        self.check_tag_idents(&d.optional);
        self.check_type_idents(&d.ty);
        self.check_ident(&d.name);
        if let Some(v) = &d.default {
            self.check_value_idents(v);
        }
    }

    fn check_operation_idents(&mut self, op: &Operation) {
        if let ReturnType::Type { optional, ty } = &op.return_type {
            self.check_tag_idents(optional);
            self.check_type_idents(ty);
        }
        self.check_ident(&op.name);
        for p in &op.params {
            self.check_tag_idents(&p.optional);
            self.check_type_idents(&p.ty);
            self.check_ident(&p.name);
        }
        for t in &op.throws {
            self.check_scoped(t);
        }
    }

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
