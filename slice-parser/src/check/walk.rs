//! The walk over definitions, in source order, creating entities the way the reference parser
//! does and running each check at the point (and with the span) where slice2py runs it
//! (SLICE-LANGUAGE.md 8, 11 and 13.2).

use super::symbols::{EntId, Kind, MemberData, Ty};
use super::values::{Init, TagOutcome};
use super::{Category, Checker};
use crate::ast::{self, Builtin, DeclKind, DefinitionKind, Item, TypeRefKind};
use crate::source::Span;

fn meta_strings(md: &Option<ast::Metadata>) -> Vec<String> {
    md.as_ref()
        .map(|m| m.directives.iter().map(|d| d.value.clone()).collect())
        .unwrap_or_default()
}

impl Checker<'_> {
    /// Walks a definition list (global scope or a module body).
    pub(crate) fn walk_items(&mut self, items: &[Item], cont: EntId) {
        for item in items {
            match item {
                Item::FileMetadata(md) => self.file_metadata(md),
                Item::Definition(def) => {
                    if let Some(id) = self.walk_definition(def, cont) {
                        let e = &mut self.ents[id];
                        if e.metadata.is_empty() {
                            e.metadata = meta_strings(&def.metadata);
                        }
                        if e.doc.is_none() {
                            e.doc.clone_from(&def.doc);
                        }
                    }
                }
            }
        }
    }

    fn set_doc_meta(
        &mut self,
        id: EntId,
        doc: &Option<ast::DocComment>,
        md: &Option<ast::Metadata>,
    ) {
        let e = &mut self.ents[id];
        e.doc.clone_from(doc);
        e.metadata = meta_strings(md);
    }

    /// Walks one definition; returns the entity that takes the definition's metadata and doc.
    fn walk_definition(&mut self, def: &ast::Definition, cont: EntId) -> Option<EntId> {
        // The reference checks identifiers as it scans them, whatever becomes of the
        // construct; diagnostics are put in source order afterwards.
        self.check_definition_idents(def);
        match &def.kind {
            DefinitionKind::Module(m) => self.walk_module(m, cont, def),
            DefinitionKind::ForwardDecl(fd) => {
                let intf = fd.kind == DeclKind::Interface;
                let decl =
                    self.create_class_decl(cont, &fd.name.name, intf, fd.local, fd.semicolon);
                if intf {
                    self.check_introduced(cont, &fd.name.name, decl, fd.semicolon);
                }
                decl
            }
            DefinitionKind::Class(c) => self.walk_class(c, cont, def),
            DefinitionKind::Interface(i) => self.walk_interface(i, cont, def),
            DefinitionKind::Exception(e) => self.walk_exception(e, cont, def),
            DefinitionKind::Struct(s) => self.walk_struct(s, cont, def),
            DefinitionKind::Enum(e) => self.walk_enum(e, cont, def),
            DefinitionKind::Sequence(s) => {
                let at = self.next_token(s.element.span);
                let elem = self.resolve_type(cont, &s.element, at)?;
                self.create_sequence(cont, s, elem)
            }
            DefinitionKind::Dictionary(d) => {
                let at = self.next_token(d.key.span);
                let key = self.resolve_type(cont, &d.key, at)?;
                let at = self.next_token(d.value.span);
                let value = self.resolve_type(cont, &d.value, at)?;
                self.create_dictionary(cont, d, key, value)
            }
            DefinitionKind::Const(c) => {
                let ty = self.resolve_type(cont, &c.ty, c.name.span)?;
                let init = self.eval_init(cont, &c.value);
                self.create_const(cont, c, ty, &init)
            }
        }
    }

    fn walk_module(
        &mut self,
        m: &ast::Module,
        cont: EntId,
        def: &ast::Definition,
    ) -> Option<EntId> {
        self.seen_definition(m.name.span);
        // Module checks run as soon as the name is read (before the `{`).
        let span = m.name.span;
        let created = self.create_module(cont, &m.name.name, m.name.span, span);
        match created {
            Some(id) => {
                self.check_introduced(cont, &m.name.name, Some(id), span);
                self.set_doc_meta(id, &def.doc, &def.metadata);
                self.walk_items(&m.items, id);
            }
            // The reference parses the body of a module it could not create in the
            // enclosing scope.
            None => self.walk_items(&m.items, cont),
        }
        created
    }

    fn create_module(
        &mut self,
        cont: EntId,
        name: &str,
        name_span: Span,
        span: Span,
    ) -> Option<EntId> {
        let mut matches = self.find_contents(&format!("{}{}", self.this_scope(cont), name));
        matches.sort_by(|a, b| self.ents[*a].scoped.cmp(&self.ents[*b].scoped));
        matches.dedup_by(|a, b| self.ents[*a].scoped == self.ents[*b].scoped);
        let front = matches.first().copied();
        for &p in &matches {
            let Some(front) = front else { break };
            let differs = self.ents[front].name != name;
            let (fk, fname) = (self.ents[front].kind_of(), self.ents[front].name.clone());
            if matches!(self.ents[p].kind, Kind::Module) {
                if differs {
                    let prev = self.ents[p].name.clone();
                    self.error(
                        "capitalization",
                        span,
                        format!(
                            "module `{name}' is capitalized inconsistently with its previous name: `{prev}'"
                        ),
                    );
                    return None;
                }
            } else if !differs {
                self.error(
                    "redefinition",
                    span,
                    format!("redefinition of {fk} `{fname}' as module"),
                );
                return None;
            } else {
                self.error(
                    "case-clash",
                    span,
                    format!(
                        "module `{name}' differs only in capitalization from {fk} name `{fname}'"
                    ),
                );
                return None;
            }
        }
        if !self.name_is_legal(cont, name, "module", span) {
            return None;
        }
        Some(self.add_ent(cont, name, Kind::Module, name_span, false))
    }

    /// `createClassDecl`.
    fn create_class_decl(
        &mut self,
        cont: EntId,
        name: &str,
        intf: bool,
        local: bool,
        span: Span,
    ) -> Option<EntId> {
        let matches = self.find_contents(&format!("{}{}", self.this_scope(cont), name));
        let mut def = None;
        for &p in &matches {
            match self.ents[p].kind {
                Kind::ClassDef { intf: oi, .. } => {
                    let ol = self.ents[p].local;
                    if self.check_interface_and_local(name, true, intf, oi, local, ol, span) {
                        def = Some(p);
                        continue;
                    }
                    return None;
                }
                Kind::ClassDecl { intf: oi, .. } => {
                    let ol = self.ents[p].local;
                    if self.check_interface_and_local(name, false, intf, oi, local, ol, span) {
                        continue;
                    }
                    return None;
                }
                _ => {}
            }
            let front = matches[0];
            let (fk, fname) = (self.ents[front].kind_of(), self.ents[front].name.clone());
            if fname != name {
                self.error(
                    "case-clash",
                    span,
                    format!(
                        "class declaration `{name}' differs only in capitalization from {fk} name `{fname}'"
                    ),
                );
            } else {
                let what = if intf { "interface" } else { "class" };
                self.error(
                    "redefinition",
                    span,
                    format!("declaration of already defined `{name}' as {what}"),
                );
                return None;
            }
        }
        let construct = if intf { "interface" } else { "class" };
        if !self.name_is_legal(cont, name, construct, span) {
            return None;
        }
        if !self.check_for_global_def(cont, name, construct, span) {
            return None;
        }
        let existing = self.ents[cont].contents.iter().copied().find(|&c| {
            self.ents[c].name == name && matches!(self.ents[c].kind, Kind::ClassDecl { .. })
        });
        if let Some(existing) = existing {
            return Some(existing);
        }
        let decl = self.add_ent(
            cont,
            name,
            Kind::ClassDecl {
                intf,
                definition: def,
            },
            span,
            local,
        );
        Some(decl)
    }

    /// `createClassDef`.
    #[allow(clippy::too_many_arguments)]
    fn create_class_def(
        &mut self,
        cont: EntId,
        name: &ast::Ident,
        compact_id: Option<i32>,
        intf: bool,
        bases: Vec<EntId>,
        local: bool,
        span: Span,
    ) -> Option<EntId> {
        let n = name.name.as_str();
        let what = if intf { "interface" } else { "class" };
        let matches = self.find_contents(&format!("{}{}", self.this_scope(cont), n));
        for &p in &matches {
            if let Kind::ClassDecl { intf: oi, .. } = self.ents[p].kind {
                let ol = self.ents[p].local;
                if self.check_interface_and_local(n, false, intf, oi, local, ol, span) {
                    continue;
                }
                return None;
            }
            let front = matches[0];
            let differs = self.ents[front].name != n;
            let (fk, fname) = (self.ents[front].kind_of(), self.ents[front].name.clone());
            if self.ents[p].is_class_def() {
                if differs {
                    let prev = self.ents[p].name.clone();
                    self.error(
                        "capitalization",
                        span,
                        format!(
                            "{what} definition `{n}' is capitalized inconsistently with its previous name: `{prev}'"
                        ),
                    );
                } else {
                    self.error(
                        "redefinition",
                        span,
                        format!("redefinition of {what} `{n}'"),
                    );
                }
            } else if differs {
                // 3.7 drops the leading word here; the message starts with a blank.
                self.error(
                    "case-clash",
                    span,
                    format!(
                        " definition `{n}' differs only in capitalization from {fk} name `{fname}'"
                    ),
                );
            } else {
                self.error(
                    "redefinition",
                    span,
                    format!("redefinition of {fk} `{fname}' as {what}"),
                );
            }
            return None;
        }
        if !self.name_is_legal(cont, n, what, span) {
            return None;
        }
        if !self.check_for_global_def(cont, n, what, span) {
            return None;
        }
        self.check_bases_are_legal(n, intf, local, &bases, span);
        let def = self.add_ent(
            cont,
            n,
            Kind::ClassDef {
                intf,
                bases: bases.clone(),
                compact_id,
                has_operations: false,
                decl: None,
            },
            name.span,
            local,
        );
        self.ents[def].created = span;
        if !local && !intf && bases.iter().any(|&b| self.is_interface(b)) {
            self.warning(
                "deprecated-implements",
                Category::Deprecated,
                span,
                "classes implementing interfaces are deprecated",
            );
        }
        if let Some(id) = compact_id {
            let scoped = self.ents[def].scoped.clone();
            self.type_ids.entry(i64::from(id)).or_insert(scoped);
        }
        for &p in &matches {
            if let Kind::ClassDecl { definition, .. } = &mut self.ents[p].kind {
                *definition = Some(def);
            }
        }
        let decl = self.create_class_decl(cont, n, intf, local, span);
        if let Kind::ClassDef { decl: d, .. } = &mut self.ents[def].kind {
            *d = decl;
        }
        Some(def)
    }

    /// `checkBasesAreLegal`: local/non-local agreement and ambiguous multiple inheritance.
    fn check_bases_are_legal(
        &mut self,
        name: &str,
        intf: bool,
        local: bool,
        bases: &[EntId],
        span: Span,
    ) {
        for &b in bases {
            let bl = self.ents[b].local;
            if local != bl {
                let msg = format!(
                    "{} {} `{name}' cannot have {} base {} `{}'",
                    if local { "local" } else { "non-local" },
                    if intf { "interface" } else { "class" },
                    if bl { "local" } else { "non-local" },
                    if self.is_interface(b) {
                        "interface"
                    } else {
                        "class"
                    },
                    self.ents[b].name
                );
                self.error("local-base", span, msg);
            }
        }
        if bases.len() < 2 {
            return;
        }
        // Partition the inheritance graph into paths; inheritance is ambiguous when two
        // partitions define an operation with the same name.
        let mut partitions: Vec<Vec<EntId>> = Vec::new();
        for &b in bases {
            partitions.push(Vec::new());
            let idx = partitions.len() - 1;
            self.add_partition(&mut partitions, idx, b, 0);
        }
        let names: Vec<Vec<String>> = partitions
            .iter()
            .map(|part| {
                part.iter()
                    .flat_map(|&c| {
                        self.ents[c]
                            .contents
                            .iter()
                            .filter(|&&o| matches!(self.ents[o].kind, Kind::Operation { .. }))
                            .map(|&o| self.ents[o].name.clone())
                            .collect::<Vec<_>>()
                    })
                    .collect()
            })
            .collect();
        let mut reported: Vec<String> = Vec::new();
        for i in 0..names.len() {
            for j in i + 1..names.len() {
                for s1 in &names[i] {
                    for s2 in &names[j] {
                        if s1 == s2 && !reported.contains(s1) {
                            self.error(
                                "ambiguous-inheritance",
                                span,
                                format!(
                                    "ambiguous multiple inheritance: `{name}' inherits operation `{s1}' from two or more unrelated base interfaces"
                                ),
                            );
                            reported.push(s1.clone());
                        } else if s1 != s2
                            && s1.eq_ignore_ascii_case(s2)
                            && !reported.contains(s1)
                            && !reported.contains(s2)
                        {
                            self.error(
                                "ambiguous-inheritance",
                                span,
                                format!(
                                    "ambiguous multiple inheritance: `{name}' inherits operations `{s1}' and `{s2}', which differ only in capitalization, from unrelated base interfaces"
                                ),
                            );
                            reported.push(s1.clone());
                            reported.push(s2.clone());
                        }
                    }
                }
            }
        }
    }

    fn add_partition(&self, parts: &mut Vec<Vec<EntId>>, tail: usize, base: EntId, depth: usize) {
        if depth > 256 || parts.iter().any(|p| p.contains(&base)) {
            return;
        }
        if let Some(p) = parts.get_mut(tail) {
            p.push(base);
        }
        let bb = self.bases_of(base);
        if let Some(&first) = bb.first() {
            self.add_partition(parts, tail, first, depth + 1);
        }
        for &g in bb.iter().skip(1) {
            parts.push(Vec::new());
            let idx = parts.len() - 1;
            self.add_partition(parts, idx, g, depth + 1);
        }
    }

    /// Resolves a class base (`extends`) or an interface base; `want_intf` selects which.
    fn resolve_base(
        &mut self,
        cont: EntId,
        name: &ast::ScopedName,
        want_intf: bool,
        span: Span,
    ) -> Option<EntId> {
        let ty = self.lookup_type(cont, &name.text, span)?;
        let decl = match ty {
            Ty::Decl(d) if self.is_interface(d) == want_intf => Some(d),
            _ => None,
        };
        let Some(decl) = decl else {
            let what = if want_intf { "an interface" } else { "a class" };
            self.error("bad-base", span, format!("`{}' is not {what}", name.text));
            return None;
        };
        let Some(def) = self.definition_of(decl) else {
            self.error(
                "declared-not-defined",
                span,
                format!("`{}' has been declared but not defined", name.text),
            );
            return None;
        };
        self.check_introduced(cont, &name.text, None, span);
        Some(def)
    }

    /// Interface lists are right-recursive in the reference grammar: the last name is
    /// resolved first.
    fn resolve_interface_list(
        &mut self,
        cont: EntId,
        names: &[ast::ScopedName],
        span: Span,
    ) -> Vec<EntId> {
        let mut out = Vec::new();
        for n in names.iter().rev() {
            if let Some(def) = self.resolve_base(cont, n, true, span) {
                out.insert(0, def);
            }
        }
        out
    }

    /// After a class, interface or exception was created (or not): records its name in
    /// `cont`, attaches its doc and metadata, and returns the scope its members are looked
    /// up from (the enclosing one when creation failed, as in the reference).
    fn enter_container(
        &mut self,
        cont: EntId,
        created: Option<EntId>,
        name: &str,
        span: Span,
        def: &ast::Definition,
    ) -> EntId {
        match created {
            Some(id) => {
                self.check_introduced(cont, name, Some(id), span);
                self.set_doc_meta(id, &def.doc, &def.metadata);
                id
            }
            None => cont,
        }
    }

    fn walk_class(&mut self, c: &ast::Class, cont: EntId, def: &ast::Definition) -> Option<EntId> {
        let mut compact_id = None;
        if let Some(id) = &c.compact_id {
            match self.eval_compact_id(cont, id) {
                TagOutcome::Abort => return None,
                TagOutcome::Tag(t) => compact_id = t,
            }
        }
        let span = c.braces.open;
        let mut bases = Vec::new();
        if let Some(b) = &c.extends {
            // `extends NAME` is reduced as soon as the name is read.
            if let Some(d) = self.resolve_base(cont, b, false, b.span) {
                bases.push(d);
            }
        }
        bases.extend(self.resolve_interface_list(cont, &c.implements, span));
        let created = self.create_class_def(cont, &c.name, compact_id, false, bases, c.local, span);
        let cur = self.enter_container(cont, created, &c.name.name, span, def);
        for m in &c.members {
            match m {
                ast::ClassMember::Data(dm) => self.walk_data_member(dm, created, cur),
                ast::ClassMember::Operation(op) => self.walk_operation(op, created, cur),
            }
        }
        created
    }

    fn walk_interface(
        &mut self,
        i: &ast::Interface,
        cont: EntId,
        def: &ast::Definition,
    ) -> Option<EntId> {
        let span = i.braces.open;
        let bases = self.resolve_interface_list(cont, &i.extends, span);
        let created = self.create_class_def(cont, &i.name, None, true, bases, i.local, span);
        let cur = self.enter_container(cont, created, &i.name.name, span, def);
        for op in &i.operations {
            self.walk_operation(op, created, cur);
        }
        created
    }

    fn walk_exception(
        &mut self,
        e: &ast::Exception,
        cont: EntId,
        def: &ast::Definition,
    ) -> Option<EntId> {
        // With `extends NAME` the exception is created as soon as the name is read; without,
        // once the `{` shows it is not a forward declaration.
        let span = e.extends.as_ref().map_or(e.braces.open, |b| b.span);
        let mut base = None;
        if let Some(b) = &e.extends {
            base = self.lookup_exception(cont, &b.text, b.span);
            self.check_introduced(cont, &b.text, None, b.span);
        }
        let created = self.create_simple(cont, &e.name, "exception", "exception", span);
        let created = created.map(|()| {
            if !e.local {
                if let Some(b) = base {
                    if self.ents[b].local {
                        let msg = format!(
                            "non-local exception `{}' cannot have local base exception `{}'",
                            e.name.name, self.ents[b].name
                        );
                        self.error("local-base", span, msg);
                    }
                }
            }
            let id = self.add_ent(
                cont,
                &e.name.name,
                Kind::Exception { base },
                e.name.span,
                e.local,
            );
            self.ents[id].created = span;
            id
        });
        let cur = self.enter_container(cont, created, &e.name.name, span, def);
        for m in &e.members {
            self.walk_data_member(m, created, cur);
        }
        created
    }

    /// The shared prologue of `createException/Struct/Sequence/Dictionary/Enum/Const`:
    /// redefinition and case clashes, then the (non-fatal) name rules. `Some(())` when the
    /// entity may be created.
    fn create_simple(
        &mut self,
        cont: EntId,
        name: &ast::Ident,
        new_kind: &str,
        construct: &str,
        span: Span,
    ) -> Option<()> {
        let n = name.name.as_str();
        let matches = self.find_contents(&format!("{}{}", self.this_scope(cont), n));
        if let Some(&front) = matches.first() {
            let (fk, fname) = (self.ents[front].kind_of(), self.ents[front].name.clone());
            if fname == n {
                self.error(
                    "redefinition",
                    span,
                    format!("redefinition of {fk} `{fname}' as {new_kind}"),
                );
            } else {
                self.error(
                    "case-clash",
                    span,
                    format!("{new_kind} `{n}' differs only in capitalization from {fk} `{fname}'"),
                );
            }
            return None;
        }
        self.name_is_legal(cont, n, construct, span);
        self.check_for_global_def(cont, n, construct, span);
        Some(())
    }

    fn walk_struct(
        &mut self,
        s: &ast::Struct,
        cont: EntId,
        def: &ast::Definition,
    ) -> Option<EntId> {
        let span = s.braces.open;
        let created = self
            .create_simple(cont, &s.name, "struct", "structure", span)
            .map(|()| self.add_ent(cont, &s.name.name, Kind::Struct, s.name.span, s.local));
        if let Some(id) = created {
            self.ents[id].created = span;
        }
        let st = match created {
            Some(id) => {
                self.check_introduced(cont, &s.name.name, Some(id), span);
                self.set_doc_meta(id, &def.doc, &def.metadata);
                id
            }
            None => {
                // The reference's placeholder struct goes through the global-scope rule.
                self.check_for_global_def(cont, &s.name.name, "structure", span);
                self.add_dummy(cont, &s.name.name, Kind::Struct, s.name.span, s.local)
            }
        };
        for m in &s.members {
            self.walk_data_member(m, Some(st), st);
        }
        if self.data_members(st).is_empty() {
            self.error(
                "empty-struct",
                s.braces.close,
                format!("struct `{}' must have at least one member", s.name.name),
            );
        }
        created
    }

    fn walk_enum(&mut self, e: &ast::Enum, cont: EntId, def: &ast::Definition) -> Option<EntId> {
        // Enums cannot be forward declared, so slice2py creates one as soon as its name is
        // read (no look-ahead needed).
        let span = e.name.span;
        let kind = || Kind::Enum {
            last: -1,
            min: i64::from(i32::MAX),
            max: 0,
        };
        let created = self
            .create_simple(cont, &e.name, "enumeration", "enumeration", span)
            .map(|()| self.add_ent(cont, &e.name.name, kind(), e.name.span, e.local));
        if let Some(id) = created {
            self.ents[id].created = span;
        }
        let en = match created {
            Some(id) => {
                self.check_introduced(cont, &e.name.name, Some(id), span);
                self.set_doc_meta(id, &def.doc, &def.metadata);
                id
            }
            None => self.add_dummy(cont, &e.name.name, kind(), e.name.span, e.local),
        };
        let mut count = 0usize;
        for er in &e.enumerators {
            let at = er.value.as_ref().map_or(er.after, |v| v.span());
            let value = match &er.value {
                None => None,
                Some(v) => match self.eval_enumerator_value(en, v) {
                    None => continue,
                    Some(x) if !(0..=i64::from(i32::MAX)).contains(&x) => {
                        self.error(
                            "enumerator-out-of-range",
                            at,
                            format!("value for enumerator `{}' is out of range", er.name.name),
                        );
                        continue;
                    }
                    Some(x) => Some(x),
                },
            };
            let id = self.create_enumerator(en, &er.name, value, at);
            self.ents[id].doc.clone_from(&er.doc);
            count += 1;
        }
        if count == 0 {
            self.error(
                "empty-enum",
                e.braces.close,
                format!("enum `{}' must have at least one enumerator", e.name.name),
            );
        }
        created
    }

    fn create_enumerator(
        &mut self,
        en: EntId,
        name: &ast::Ident,
        value: Option<i64>,
        span: Span,
    ) -> EntId {
        let n = name.name.as_str();
        let matches = self.find_contents(&format!("{}{}", self.this_scope(en), n));
        if let Some(&front) = matches.first() {
            let fname = self.ents[front].name.clone();
            if fname == n {
                self.error(
                    "redefinition",
                    span,
                    format!("redefinition of enumerator `{n}'"),
                );
            } else {
                self.error(
                    "case-clash",
                    span,
                    format!("enumerator `{n}' differs only in capitalization from `{fname}'"),
                );
            }
        }
        // newEnumerator: value assignment and duplicate detection.
        let (mut last, mut min, mut max) = match self.ents[en].kind {
            Kind::Enum { last, min, max } => (last, min, max),
            _ => (-1, i64::from(i32::MAX), 0),
        };
        match value {
            Some(v) => last = v,
            None => {
                if last == i64::from(i32::MAX) {
                    self.error(
                        "enumerator-out-of-range",
                        span,
                        format!("value for enumerator `{n}' is out of range"),
                    );
                } else {
                    last += 1;
                }
            }
        }
        let mut check_dups = true;
        if last > max {
            max = last;
            check_dups = false;
        }
        if last < min {
            min = last;
            check_dups = false;
        }
        if check_dups {
            let existing: Vec<EntId> = self.ents[en].contents.clone();
            let scoped = format!("{}{}", self.this_scope(en), n);
            for r in existing {
                if let Kind::Enumerator { value, .. } = self.ents[r].kind {
                    // Entities compare by scoped name in the reference: a redefined
                    // enumerator is not compared with its namesake.
                    if value == last && self.ents[r].scoped != scoped {
                        let rname = self.ents[r].name.clone();
                        self.error(
                            "enumerator-duplicate-value",
                            span,
                            format!("enumerator `{n}' has the same value as enumerator `{rname}'"),
                        );
                    }
                }
            }
        }
        self.ents[en].kind = Kind::Enum { last, min, max };
        let local = self.ents[en].local;
        let id = self.add_ent(
            en,
            n,
            Kind::Enumerator {
                value: last,
                explicit: value.is_some(),
            },
            name.span,
            local,
        );
        self.ents[id].created = span;
        id
    }

    fn create_sequence(&mut self, cont: EntId, s: &ast::Sequence, elem: Ty) -> Option<EntId> {
        let span = s.name.span;
        self.create_simple(cont, &s.name, "sequence", "sequence", span)?;
        if !s.local && self.ty_is_local(elem) {
            self.error(
                "local-in-nonlocal",
                span,
                format!(
                    "non-local sequence `{}' cannot have local element type",
                    s.name.name
                ),
            );
        }
        self.check_deprecated_type(elem, span);
        Some(self.add_ent(
            cont,
            &s.name.name,
            Kind::Sequence {
                elem,
                elem_meta: meta_strings(&s.element.metadata),
            },
            span,
            s.local,
        ))
    }

    fn create_dictionary(
        &mut self,
        cont: EntId,
        d: &ast::Dictionary,
        key: Ty,
        value: Ty,
    ) -> Option<EntId> {
        let span = d.name.span;
        let name = d.name.name.as_str();
        self.create_simple(cont, &d.name, "dictionary", "dictionary", span)?;
        let mut contains_sequence = false;
        if !self.legal_key_type(key, &mut contains_sequence, 0) {
            self.error(
                "illegal-key-type",
                span,
                format!("dictionary `{name}' uses an illegal key type"),
            );
            return None;
        }
        if contains_sequence {
            self.warning(
                "deprecated-sequence-key",
                Category::Deprecated,
                span,
                "use of sequences in dictionary keys has been deprecated",
            );
        }
        if !d.local {
            if self.ty_is_local(key) {
                self.error(
                    "local-in-nonlocal",
                    span,
                    format!("non-local dictionary `{name}' cannot have local key type"),
                );
            }
            if self.ty_is_local(value) {
                self.error(
                    "local-in-nonlocal",
                    span,
                    format!("non-local dictionary `{name}' cannot have local value type"),
                );
            }
        }
        self.check_deprecated_type(value, span);
        Some(self.add_ent(
            cont,
            name,
            Kind::Dictionary {
                key,
                key_meta: meta_strings(&d.key.metadata),
                value,
                value_meta: meta_strings(&d.value.metadata),
            },
            span,
            d.local,
        ))
    }

    /// `Dictionary::legalKeyType`.
    fn legal_key_type(&self, ty: Ty, contains_sequence: &mut bool, depth: usize) -> bool {
        if depth > 256 {
            return false;
        }
        match ty {
            Ty::Builtin(b) => matches!(
                b,
                Builtin::Byte
                    | Builtin::Bool
                    | Builtin::Short
                    | Builtin::Int
                    | Builtin::Long
                    | Builtin::String
            ),
            Ty::Decl(_) | Ty::Proxy(_) => false,
            Ty::Named(e) => match &self.ents[e].kind {
                Kind::Enum { .. } => true,
                Kind::Sequence { elem, .. } => {
                    *contains_sequence = true;
                    self.legal_key_type(*elem, contains_sequence, depth + 1)
                }
                Kind::Struct => {
                    self.data_members(e)
                        .into_iter()
                        .all(|m| match &self.ents[m].kind {
                            Kind::DataMember(md) => {
                                self.legal_key_type(md.ty, contains_sequence, depth + 1)
                            }
                            _ => true,
                        })
                }
                _ => false,
            },
        }
    }

    fn create_const(&mut self, cont: EntId, c: &ast::Const, ty: Ty, init: &Init) -> Option<EntId> {
        let span = c.value.span;
        self.create_simple(cont, &c.name, "constant", "constant", span)?;
        let value = self.validate_constant(&c.name.name, ty, init, true)?;
        let id = self.add_ent(
            cont,
            &c.name.name,
            Kind::Const {
                ty,
                ty_meta: meta_strings(&c.ty.metadata),
                value,
                literal: init.literal.clone(),
            },
            c.name.span,
            false,
        );
        self.ents[id].created = span;
        Some(id)
    }

    /// Resolves a type reference (the grammar's `type` rule); `span` is where lookup errors
    /// are reported. `None` means the reference dropped the construct.
    pub(crate) fn resolve_type(
        &mut self,
        cont: EntId,
        tr: &ast::TypeRef,
        span: Span,
    ) -> Option<Ty> {
        match &tr.kind {
            TypeRefKind::Builtin(b) => Some(Ty::Builtin(*b)),
            TypeRefKind::Named(n) => {
                let ty = self.lookup_type(cont, &n.text, span)?;
                self.check_introduced(cont, &n.text, None, span);
                Some(ty)
            }
            TypeRefKind::Proxy(n) => {
                // `NAME *` is reduced as soon as the `*` is read.
                let span = Self::last_byte(tr.span);
                let ty = self.lookup_type(cont, &n.text, span)?;
                let Ty::Decl(d) = ty else {
                    self.error(
                        "proxy-of-non-class",
                        span,
                        format!("`{}' must be class or interface", n.text),
                    );
                    return None;
                };
                self.check_introduced(cont, &n.text, None, span);
                if self.ents[d].local {
                    let msg = format!(
                        "cannot create proxy for {} `{}'",
                        self.ents[d].kind_of(),
                        self.ents[d].name
                    );
                    self.error("proxy-of-local", span, msg);
                }
                Some(Ty::Proxy(d))
            }
        }
    }

    /// `checkDeprecatedType`: interfaces by value and class proxies.
    fn check_deprecated_type(&mut self, ty: Ty, span: Span) {
        match ty {
            Ty::Decl(d) if !self.ents[d].local && self.is_interface(d) => self.warning(
                "deprecated-interface-by-value",
                Category::Deprecated,
                span,
                "interface by value is deprecated",
            ),
            Ty::Proxy(d) if !self.is_interface(d) => self.warning(
                "deprecated-class-proxy",
                Category::Deprecated,
                span,
                "proxy for a class is deprecated",
            ),
            _ => {}
        }
    }

    /// A data member of a struct, class or exception. `owner` is the created container
    /// (`None` when its creation failed: members are then only looked at, as in the
    /// reference); `cur` is the scope used for lookups.
    fn walk_data_member(&mut self, dm: &ast::DataMember, owner: Option<EntId>, cur: EntId) {
        let mut tag = None;
        if let Some(opt) = &dm.optional {
            match self.eval_tag(cur, &opt.tag, Self::last_byte(opt.span)) {
                TagOutcome::Abort => return,
                TagOutcome::Tag(t) => tag = t,
            }
        }
        let Some(ty) = self.resolve_type(cur, &dm.ty, dm.name.span) else {
            return;
        };
        let init = dm.default.as_ref().map(|d| self.eval_init(cur, d));
        let span = dm.default.as_ref().map_or(dm.after_name, |d| d.span);
        let is_struct = owner.is_some_and(|o| matches!(self.ents[o].kind, Kind::Struct));
        let created = match owner {
            Some(o) => {
                let tag = if is_struct { None } else { tag };
                self.create_data_member(o, &dm.name, ty, tag, init.as_ref(), span)
            }
            None => None,
        };
        if is_struct && dm.optional.is_some() {
            self.error(
                "optional-in-struct",
                span,
                "optional data members not supported in struct",
            );
            return;
        }
        if let Some(id) = created {
            self.set_doc_meta(id, &dm.doc, &dm.metadata);
        }
        self.check_introduced(cur, &dm.name.name, created, span);
    }

    fn create_data_member(
        &mut self,
        owner: EntId,
        name: &ast::Ident,
        ty: Ty,
        tag: Option<i32>,
        init: Option<&Init>,
        span: Span,
    ) -> Option<EntId> {
        let n = name.name.as_str();
        let matches = self.find_contents(&format!("{}{}", self.this_scope(owner), n));
        let owner_kind = self.ents[owner].kind.clone();
        if let Some(&front) = matches.first() {
            let (fk, fname) = (self.ents[front].kind_of(), self.ents[front].name.clone());
            let differs = fname != n;
            match owner_kind {
                Kind::Struct => {
                    if differs {
                        self.error(
                            "case-clash",
                            span,
                            format!(
                                "member `{n}' differs only in capitalization from member `{fname}'"
                            ),
                        );
                    } else {
                        self.error(
                            "redefinition",
                            span,
                            format!("redefinition of struct member `{n}'"),
                        );
                        return None;
                    }
                }
                Kind::Exception { .. } => {
                    if differs {
                        self.error(
                            "case-clash",
                            span,
                            format!(
                                "exception member `{n}' differs only in capitalization from exception member `{fname}'"
                            ),
                        );
                    } else {
                        self.error(
                            "redefinition",
                            span,
                            format!("redefinition of exception member `{n}'"),
                        );
                        return None;
                    }
                }
                _ => {
                    if differs {
                        self.error(
                            "case-clash",
                            span,
                            format!("data member `{n}' differs only in capitalization from {fk} `{fname}'"),
                        );
                    } else {
                        self.error(
                            "redefinition",
                            span,
                            format!("redefinition of {fk} `{fname}' as data member `{n}'"),
                        );
                        return None;
                    }
                }
            }
        }
        match &owner_kind {
            Kind::Struct if ty == Ty::Named(owner) => {
                let msg = format!("struct `{}' cannot contain itself", self.ents[owner].name);
                self.error("struct-contains-itself", span, msg);
                return None;
            }
            Kind::Exception { .. } => {
                for b in self.exception_bases(owner) {
                    for m in self.data_members(b) {
                        let mname = self.ents[m].name.clone();
                        if mname == n {
                            self.error(
                                "member-in-base",
                                span,
                                format!(
                                    "exception member `{n}' is already defined in a base exception"
                                ),
                            );
                            return None;
                        }
                        if mname.eq_ignore_ascii_case(n) {
                            self.error(
                                "member-in-base",
                                span,
                                format!(
                                    "exception member `{n}' differs only in capitalization from exception member `{mname}', which is defined in a base exception"
                                ),
                            );
                        }
                    }
                }
            }
            Kind::ClassDef { .. } if !self.check_base_members(owner, n, "data member", span) => {
                return None;
            }
            _ => {}
        }
        if !self.ents[owner].local && self.ty_is_local(ty) {
            let msg = format!(
                "non-local {}`{}' cannot contain local member `{n}'",
                self.ents[owner].kind_of(),
                self.ents[owner].name
            );
            self.error("local-in-nonlocal", span, msg);
        }
        let mut default = None;
        let has_default = init.is_some_and(|i| {
            !matches!(i.kind, super::values::InitKind::Nothing) || {
                let is_enum =
                    matches!(ty, Ty::Named(e) if matches!(self.ents[e].kind, Kind::Enum { .. }));
                is_enum && !i.text.is_empty()
            }
        });
        if let (true, Some(init)) = (has_default, init) {
            if let Some(v) = self.validate_constant(n, ty, init, false) {
                default = Some((v, init.literal.clone()));
            }
        }
        if let Some(t) = tag {
            let dup = self
                .data_members(owner)
                .into_iter()
                .any(|m| matches!(&self.ents[m].kind, Kind::DataMember(md) if md.tag == Some(t)));
            if dup {
                self.error(
                    "tag-duplicate",
                    span,
                    format!("tag for optional data member `{n}' is already in use"),
                );
            }
        }
        self.check_deprecated_type(ty, span);
        let local = self.ents[owner].local;
        let id = self.add_ent(
            owner,
            n,
            Kind::DataMember(MemberData { ty, tag, default }),
            name.span,
            local,
        );
        self.ents[id].created = span;
        Some(id)
    }

    /// Checks a new class member name against every operation and data member of the
    /// class's bases; `false` when the member must not be created.
    fn check_base_members(&mut self, class: EntId, n: &str, what: &str, span: Span) -> bool {
        for b in self.bases_of(class) {
            let mut inherited = self.all_operations(b);
            inherited.extend(self.all_class_data_members(b));
            for q in inherited {
                if !self.ents[q].name.eq_ignore_ascii_case(n) {
                    continue;
                }
                let (qk, qname) = (self.ents[q].kind_of(), self.ents[q].name.clone());
                if qname == n {
                    self.error(
                        "member-in-base",
                        span,
                        format!(
                            "{what} `{n}' is already defined as {} {qk} in a base interface or class",
                            super::symbols::article(qk)
                        ),
                    );
                    return false;
                }
                self.error(
                    "member-in-base",
                    span,
                    format!(
                        "{what} `{n}' differs only in capitalization from {qk} `{qname}', which is defined in a base interface or class"
                    ),
                );
            }
        }
        true
    }

    /// An operation of a class or interface (`owner` `None` when the container could not
    /// be created).
    fn walk_operation(&mut self, op: &ast::Operation, owner: Option<EntId>, cur: EntId) {
        let span = op.name_paren;
        let mut ret = None;
        let mut ret_tag = None;
        if let ast::ReturnType::Type { optional, ty } = &op.return_type {
            if let Some(opt) = optional {
                match self.eval_tag(cur, &opt.tag, Self::last_byte(opt.span)) {
                    TagOutcome::Abort => return,
                    TagOutcome::Tag(t) => ret_tag = t,
                }
            }
            let Some(t) = self.resolve_type(cur, ty, span) else {
                return;
            };
            ret = Some(t);
        }
        let created = match owner {
            Some(cl) => {
                let o = self.create_operation(cl, &op.name, ret, ret_tag, op.idempotent, span);
                if let Some(o) = o {
                    self.check_introduced(cl, &op.name.name, Some(o), span);
                    self.set_doc_meta(o, &op.doc, &op.metadata);
                }
                o
            }
            None => None,
        };
        let pcur = created.unwrap_or(cur);
        // A parameter whose type does not resolve makes the reference skip the rest of the
        // parameter list: it recovers at the `)` and still reads the throws clause, but then
        // never checks the clause as a whole (duplicates, local exceptions).
        let mut params_ok = true;
        for p in &op.params {
            let mut tag = None;
            if let Some(opt) = &p.optional {
                match self.eval_tag(pcur, &opt.tag, Self::last_byte(opt.span)) {
                    TagOutcome::Abort => {
                        params_ok = false;
                        break;
                    }
                    TagOutcome::Tag(t) => tag = t,
                }
            }
            let Some(ty) = self.resolve_type(pcur, &p.ty, p.name.span) else {
                params_ok = false;
                break;
            };
            if let Some(o) = created {
                let pd = self.create_param(o, &p.name, ty, p.out, tag);
                if let Some(pd) = pd {
                    self.set_doc_meta(pd, &p.doc, &p.metadata);
                }
                self.check_introduced(o, &p.name.name, pd, p.name.span);
            }
        }
        let mut throws = Vec::new();
        let mut last_span = span;
        for t in &op.throws {
            last_span = t.span;
            let e = self.lookup_exception(cur, &t.text, t.span);
            match e {
                Some(e) => {
                    self.check_introduced(cur, &t.text, Some(e), t.span);
                    throws.push(e);
                }
                None => {
                    // The reference stands a fresh placeholder exception in for a name that
                    // does not resolve, so the same bad name twice "changes meaning".
                    let dummy =
                        self.add_dummy(cur, &t.text, Kind::Exception { base: None }, t.span, false);
                    self.check_introduced(cur, &t.text, Some(dummy), t.span);
                }
            }
        }
        if let (Some(o), true) = (created, params_ok) {
            self.set_exception_list(o, throws, last_span);
        }
    }

    fn create_operation(
        &mut self,
        cl: EntId,
        name: &ast::Ident,
        ret: Option<Ty>,
        ret_tag: Option<i32>,
        idempotent: bool,
        span: Span,
    ) -> Option<EntId> {
        let n = name.name.as_str();
        let matches = self.find_contents(&format!("{}{}", self.this_scope(cl), n));
        if let Some(&front) = matches.first() {
            let (fk, fname) = (self.ents[front].kind_of(), self.ents[front].name.clone());
            if fname != n {
                self.error(
                    "case-clash",
                    span,
                    format!("operation `{n}' differs only in capitalization from {fk} `{fname}'"),
                );
            }
            self.error(
                "redefinition",
                span,
                format!("redefinition of {fk} `{fname}' as operation `{n}'"),
            );
            return None;
        }
        let cname = self.ents[cl].name.clone();
        let intf = self.is_interface(cl);
        let what = if intf { "interface" } else { "class" };
        if n == cname {
            self.error(
                "operation-named-like-container",
                span,
                format!("{what} name `{n}' cannot be used as operation name"),
            );
            return None;
        }
        if n.eq_ignore_ascii_case(&cname) {
            self.error(
                "operation-named-like-container",
                span,
                format!("operation `{n}' differs only in capitalization from enclosing {what} name `{cname}'"),
            );
        }
        if !self.check_base_members(cl, n, "operation", span) {
            return None;
        }
        let local = self.ents[cl].local;
        if !local && ret.is_some_and(|t| self.ty_is_local(t)) {
            let msg = format!(
                "non-local {} `{cname}' cannot have operation `{n}' with local return type",
                self.ents[cl].kind_of()
            );
            self.error("local-in-nonlocal", span, msg);
        }
        if let Kind::ClassDef { has_operations, .. } = &mut self.ents[cl].kind {
            let first = !*has_operations;
            *has_operations = true;
            if !intf && !local && first {
                self.warning(
                    "deprecated-class-operations",
                    Category::Deprecated,
                    span,
                    "classes with operations are deprecated",
                );
            }
        }
        let op = self.add_ent(
            cl,
            n,
            Kind::Operation {
                ret,
                ret_tag,
                idempotent,
                throws: Vec::new(),
            },
            name.span,
            local,
        );
        self.ents[op].created = span;
        if let Some(t) = ret {
            self.check_deprecated_type(t, span);
        }
        Some(op)
    }

    fn create_param(
        &mut self,
        op: EntId,
        name: &ast::Ident,
        ty: Ty,
        out: bool,
        tag: Option<i32>,
    ) -> Option<EntId> {
        let n = name.name.as_str();
        let span = name.span;
        let matches = self.find_contents(&format!("{}{}", self.this_scope(op), n));
        if let Some(&front) = matches.first() {
            let fname = self.ents[front].name.clone();
            if fname != n {
                self.error(
                    "case-clash",
                    span,
                    format!(
                        "parameter `{n}' differs only in capitalization from parameter `{fname}'"
                    ),
                );
            } else {
                self.error(
                    "redefinition",
                    span,
                    format!("redefinition of parameter `{n}'"),
                );
                return None;
            }
        }
        if let Some(&last) = self.ents[op].contents.last() {
            if matches!(self.ents[last].kind, Kind::Param { out: true, .. }) && !out {
                self.error(
                    "in-after-out",
                    span,
                    format!("`{n}': in parameters cannot follow out parameters"),
                );
            }
        }
        let cl = self.ents[op].parent;
        if self.ty_is_local(ty) && !self.ents[cl].local {
            let msg = format!(
                "non-local {} `{}' cannot have local parameter `{n}' in operation `{}'",
                self.ents[cl].kind_of(),
                self.ents[cl].name,
                self.ents[op].name
            );
            self.error("local-in-nonlocal", span, msg);
        }
        self.check_deprecated_type(ty, span);
        if let Some(t) = tag {
            let ret_tag = match self.ents[op].kind {
                Kind::Operation { ret_tag, .. } => ret_tag,
                _ => None,
            };
            let dup = ret_tag == Some(t)
                || self.ents[op].contents.iter().any(
                    |&p| matches!(self.ents[p].kind, Kind::Param { tag: Some(pt), .. } if pt == t),
                );
            if dup {
                self.error(
                    "tag-duplicate",
                    span,
                    format!("tag for optional parameter `{n}' is already in use"),
                );
            }
        }
        let local = self.ents[op].local;
        Some(self.add_ent(op, n, Kind::Param { ty, out, tag }, span, local))
    }

    /// `setExceptionList`: duplicates and local exceptions in a throws clause.
    fn set_exception_list(&mut self, op: EntId, list: Vec<EntId>, span: Span) {
        let mut sorted = list.clone();
        sorted.sort_by(|a, b| self.ents[*a].scoped.cmp(&self.ents[*b].scoped));
        let mut dups = Vec::new();
        for w in sorted.windows(2) {
            if let [a, b] = w {
                if a == b {
                    dups.push(*b);
                }
            }
        }
        if !dups.is_empty() {
            let names: Vec<String> = dups
                .iter()
                .map(|&d| format!("`{}'", self.ents[d].name))
                .collect();
            let msg = format!(
                "operation `{}' has a throws clause with {}: {}",
                self.ents[op].name,
                if dups.len() == 1 {
                    "a duplicate exception"
                } else {
                    "duplicate exceptions"
                },
                names.join(", ")
            );
            self.error("throws-duplicate", span, msg);
        }
        let cl = self.ents[op].parent;
        if !self.ents[cl].local {
            for &e in &list {
                if self.ents[e].local {
                    let msg = format!(
                        "non-local {} `{}' cannot have operation `{}' throwing local exception `{}'",
                        self.ents[cl].kind_of(),
                        self.ents[cl].name,
                        self.ents[op].name,
                        self.ents[e].name
                    );
                    self.error("throws-local", span, msg);
                }
            }
        }
        if let Kind::Operation { throws, .. } = &mut self.ents[op].kind {
            *throws = list;
        }
    }
}
