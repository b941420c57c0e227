//! The symbol table: entities, case-insensitive lookup, "has changed meaning", and the name
//! rules every definition goes through (SLICE-LANGUAGE.md 6).

use std::collections::{HashMap, HashSet};

use super::Checker;
use crate::ast::{Builtin, DocComment};
use crate::source::{FileId, Span};

/// Index of an entity in [`Checker::ents`].
pub(crate) type EntId = usize;

/// The global scope.
pub(crate) const UNIT: EntId = 0;

/// A resolved type during checking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ty {
    /// A builtin.
    Builtin(Builtin),
    /// A class or interface by value (the entity is its declaration).
    Decl(EntId),
    /// A proxy to a class or interface (the entity is its declaration).
    Proxy(EntId),
    /// A struct, sequence, dictionary or enum.
    Named(EntId),
}

/// A constant value during checking.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Val {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Vec<u8>),
    /// An enumerator entity.
    Enumerator(EntId),
}

/// A data member during checking.
#[derive(Clone, Debug)]
pub(crate) struct MemberData {
    pub(crate) ty: Ty,
    pub(crate) tag: Option<i32>,
    pub(crate) default: Option<(Val, String)>,
}

/// What an entity is.
#[derive(Clone, Debug)]
pub(crate) enum Kind {
    Unit,
    Module,
    ClassDecl {
        intf: bool,
        definition: Option<EntId>,
    },
    ClassDef {
        intf: bool,
        bases: Vec<EntId>,
        compact_id: Option<i32>,
        has_operations: bool,
        decl: Option<EntId>,
    },
    Exception {
        base: Option<EntId>,
    },
    Struct,
    Sequence {
        elem: Ty,
        elem_meta: Vec<String>,
    },
    Dictionary {
        key: Ty,
        key_meta: Vec<String>,
        value: Ty,
        value_meta: Vec<String>,
    },
    Enum {
        last: i64,
        min: i64,
        max: i64,
    },
    Enumerator {
        value: i64,
        explicit: bool,
    },
    Const {
        ty: Ty,
        ty_meta: Vec<String>,
        value: Val,
        literal: String,
    },
    Operation {
        ret: Option<Ty>,
        ret_tag: Option<i32>,
        idempotent: bool,
        throws: Vec<EntId>,
    },
    Param {
        ty: Ty,
        out: bool,
        tag: Option<i32>,
    },
    DataMember(MemberData),
}

/// One named entity (or the global scope).
#[derive(Clone, Debug)]
pub(crate) struct Ent {
    pub(crate) name: String,
    pub(crate) scoped: String,
    pub(crate) parent: EntId,
    pub(crate) kind: Kind,
    pub(crate) span: Span,
    /// Where slice2py creates it (its "line" in later messages).
    pub(crate) created: Span,
    pub(crate) local: bool,
    pub(crate) doc: Option<DocComment>,
    pub(crate) metadata: Vec<String>,
    pub(crate) contents: Vec<EntId>,
    /// First component (lower-cased) → what it meant in this scope.
    pub(crate) introduced: HashMap<String, EntId>,
}

impl Ent {
    pub(crate) fn unit() -> Ent {
        Ent {
            name: String::new(),
            scoped: String::new(),
            parent: UNIT,
            kind: Kind::Unit,
            span: Span::new(FileId(0), 0, 0),
            created: Span::new(FileId(0), 0, 0),
            local: false,
            doc: None,
            metadata: Vec::new(),
            contents: Vec::new(),
            introduced: HashMap::new(),
        }
    }

    /// The reference's `kindOf()` word.
    pub(crate) fn kind_of(&self) -> &'static str {
        match &self.kind {
            Kind::Unit => "unit",
            Kind::Module => "module",
            Kind::ClassDecl { intf, .. } | Kind::ClassDef { intf, .. } => {
                match (self.local, *intf) {
                    (true, true) => "local interface",
                    (true, false) => "local class",
                    (false, true) => "interface",
                    (false, false) => "class",
                }
            }
            Kind::Exception { .. } => "exception",
            Kind::Struct => "struct",
            Kind::Sequence { .. } => "sequence",
            Kind::Dictionary { .. } => "dictionary",
            Kind::Enum { .. } => "enumeration",
            Kind::Enumerator { .. } => "enumerator",
            Kind::Const { .. } => "constant",
            Kind::Operation { .. } => "operation",
            Kind::Param { .. } => "parameter declaration",
            Kind::DataMember(_) => "data member",
        }
    }

    pub(crate) fn is_class_def(&self) -> bool {
        matches!(self.kind, Kind::ClassDef { .. })
    }
}

/// `a` or `an` before a word, as the reference chooses it.
pub(crate) fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// The builtin named by an identifier (the `sequence<\int>` quirk).
fn builtin_named(name: &str) -> Option<Builtin> {
    Some(match name {
        "byte" => Builtin::Byte,
        "bool" => Builtin::Bool,
        "short" => Builtin::Short,
        "int" => Builtin::Int,
        "long" => Builtin::Long,
        "float" => Builtin::Float,
        "double" => Builtin::Double,
        "string" => Builtin::String,
        "Object" => Builtin::Object,
        "Object*" => Builtin::ObjectProxy,
        "LocalObject" => Builtin::LocalObject,
        "Value" => Builtin::Value,
        _ => return None,
    })
}

impl Checker<'_> {
    pub(crate) fn ent(&self, id: EntId) -> &Ent {
        &self.ents[id]
    }

    /// `::` for the global scope, `::M::` for a module, and so on.
    pub(crate) fn this_scope(&self, cont: EntId) -> String {
        format!("{}::", self.ents[cont].scoped)
    }

    /// Every entity whose scoped name equals `scoped`, case-insensitively.
    pub(crate) fn find_contents(&self, scoped: &str) -> Vec<EntId> {
        self.content_map
            .get(&scoped.to_ascii_lowercase())
            .cloned()
            .unwrap_or_default()
    }

    /// Creates an entity in `parent` and registers it for lookup.
    pub(crate) fn add_ent(
        &mut self,
        parent: EntId,
        name: &str,
        kind: Kind,
        span: Span,
        local: bool,
    ) -> EntId {
        let scoped = format!("{}::{}", self.ents[parent].scoped, name);
        let id = self.ents.len();
        self.content_map
            .entry(scoped.to_ascii_lowercase())
            .or_default()
            .push(id);
        self.ents.push(Ent {
            name: name.to_string(),
            scoped,
            parent,
            kind,
            span,
            created: span,
            local,
            doc: None,
            metadata: Vec::new(),
            contents: Vec::new(),
            introduced: HashMap::new(),
        });
        self.ents[parent].contents.push(id);
        id
    }

    /// A placeholder (the reference's UUID-named dummies): it holds members so they are
    /// checked, but no lookup by name can find it. Messages show `name`; its scoped name is
    /// unique and no valid identifier. Like the reference's, it is part of its container's
    /// contents (so, for instance, the old unscoped enumerator lookup sees its enumerators).
    pub(crate) fn add_dummy(
        &mut self,
        parent: EntId,
        name: &str,
        kind: Kind,
        span: Span,
        local: bool,
    ) -> EntId {
        self.dummies += 1;
        let id = self.ents.len();
        self.ents.push(Ent {
            scoped: format!(
                "{}::<placeholder-{}>",
                self.ents[parent].scoped, self.dummies
            ),
            name: name.to_string(),
            parent,
            kind,
            span,
            created: span,
            local,
            doc: None,
            metadata: Vec::new(),
            contents: Vec::new(),
            introduced: HashMap::new(),
        });
        self.ents[parent].contents.push(id);
        id
    }

    /// The type an entity denotes, if it is a type.
    fn ent_type(&self, id: EntId) -> Option<Ty> {
        match self.ents[id].kind {
            Kind::ClassDecl { .. } => Some(Ty::Decl(id)),
            Kind::Struct | Kind::Sequence { .. } | Kind::Dictionary { .. } | Kind::Enum { .. } => {
                Some(Ty::Named(id))
            }
            _ => None,
        }
    }

    /// Type lookup (`lookupType`): builtin names first, then constructed types.
    pub(crate) fn lookup_type(&mut self, cont: EntId, name: &str, span: Span) -> Option<Ty> {
        if let Some(b) = builtin_named(name) {
            return Some(Ty::Builtin(b));
        }
        self.lookup_type_no_builtin(cont, name, name, span, false)
            .into_iter()
            .next()
    }

    fn lookup_type_no_builtin(
        &mut self,
        cont: EntId,
        sc: &str,
        given: &str,
        span: Span,
        ignore_undefined: bool,
    ) -> Vec<Ty> {
        if let Some(rest) = sc.strip_prefix("::") {
            return self.lookup_type_no_builtin(UNIT, rest, rest, span, ignore_undefined);
        }
        let full = format!("{}{}", self.this_scope(cont), sc);
        let matches = self.find_contents(&full);
        let mut results = Vec::new();
        let mut type_error = false;
        let mut errors: Vec<String> = Vec::new();
        let front_scoped = matches.first().map(|&m| self.ents[m].scoped.clone());
        for &p in &matches {
            if self.ents[p].is_class_def() {
                continue;
            }
            if front_scoped.as_deref() != Some(full.as_str()) {
                errors.push(format!(
                    "{} name `{}' is capitalized inconsistently with its previous name: `{}'",
                    self.ents[p].kind_of(),
                    given,
                    front_scoped.clone().unwrap_or_default()
                ));
            }
            if matches!(self.ents[p].kind, Kind::Exception { .. }) {
                self.error(
                    "exception-not-a-type",
                    span,
                    format!("`{sc}' is an exception, which cannot be used as a type"),
                );
                return Vec::new();
            }
            match self.ent_type(p) {
                Some(t) => results.push(t),
                None => {
                    type_error = true;
                    errors.push(format!("`{sc}' is not a type"));
                    break;
                }
            }
        }
        if results.is_empty() {
            if cont != UNIT {
                let parent = self.ents[cont].parent;
                results = self.lookup_type_no_builtin(
                    parent,
                    sc,
                    given,
                    span,
                    type_error || ignore_undefined,
                );
            } else if !type_error {
                if !ignore_undefined {
                    self.error("undefined", span, format!("`{sc}' is not defined"));
                }
                return Vec::new();
            }
        }
        if !type_error || results.is_empty() {
            for e in errors {
                let code = if e.ends_with("is not a type") {
                    "not-a-type"
                } else {
                    "capitalization"
                };
                self.error(code, span, e);
            }
        }
        results
    }

    /// `lookupContained`: any entity but class definitions, innermost scope first.
    pub(crate) fn lookup_contained(
        &mut self,
        cont: EntId,
        sc: &str,
        span: Span,
        print_error: bool,
    ) -> Vec<EntId> {
        let mut cont = cont;
        let mut sc = sc;
        if let Some(rest) = sc.strip_prefix("::") {
            cont = UNIT;
            sc = rest;
        }
        loop {
            let full = format!("{}{}", self.this_scope(cont), sc);
            let matches = self.find_contents(&full);
            let mut results = Vec::new();
            for p in matches {
                if self.ents[p].is_class_def() {
                    continue;
                }
                results.push(p);
                if print_error && self.ents[p].scoped != full {
                    let msg = format!(
                        "{} name `{}' is capitalized inconsistently with its previous name: `{}'",
                        self.ents[p].kind_of(),
                        sc,
                        self.ents[p].scoped
                    );
                    self.error("capitalization", span, msg);
                }
            }
            if !results.is_empty() {
                return results;
            }
            if cont == UNIT {
                if print_error {
                    self.error("undefined", span, format!("`{sc}' is not defined"));
                }
                return Vec::new();
            }
            cont = self.ents[cont].parent;
        }
    }

    /// `lookupException`: reports "is not an exception" for anything else.
    pub(crate) fn lookup_exception(&mut self, cont: EntId, sc: &str, span: Span) -> Option<EntId> {
        let found = self.lookup_contained(cont, sc, span, true);
        let first = *found.first()?;
        for &p in &found {
            if !matches!(self.ents[p].kind, Kind::Exception { .. }) {
                self.error(
                    "not-an-exception",
                    span,
                    format!("`{sc}' is not an exception"),
                );
                return None;
            }
        }
        Some(first)
    }

    /// The old unscoped enumerator lookup (`Container::enumerators(scoped)`).
    pub(crate) fn unscoped_enumerators(&mut self, cont: EntId, sc: &str, span: Span) -> Vec<EntId> {
        let mut result = Vec::new();
        match sc.rfind("::") {
            None => {
                // The innermost enclosing scope with an enum that has such an enumerator.
                let mut cur = cont;
                loop {
                    self.enumerators_named(cur, sc, span, &mut result);
                    if !result.is_empty() || cur == UNIT {
                        break;
                    }
                    cur = self.ents[cur].parent;
                }
            }
            Some(pos) => {
                let (scope, name) = (&sc[..pos], &sc[pos + 2..]);
                if let Some(&found) = self.lookup_contained(cont, scope, span, false).first() {
                    self.enumerators_named(found, name, span, &mut result);
                }
            }
        }
        result
            .into_iter()
            .filter(|&e| matches!(self.ents[e].kind, Kind::Enumerator { .. }))
            .collect()
    }

    /// For each enum directly in `cont`, what `name` designates from inside it.
    fn enumerators_named(&mut self, cont: EntId, name: &str, span: Span, out: &mut Vec<EntId>) {
        let enums: Vec<EntId> = self.ents[cont]
            .contents
            .iter()
            .copied()
            .filter(|&e| matches!(self.ents[e].kind, Kind::Enum { .. }))
            .collect();
        for e in enums {
            if let Some(&f) = self.lookup_contained(e, name, span, false).first() {
                out.push(f);
            }
        }
    }

    /// `checkIntroduced`: records what the first component of `scoped` means in `cont` and
    /// reports "has changed meaning" when it meant something else before.
    pub(crate) fn check_introduced(
        &mut self,
        cont: EntId,
        scoped: &str,
        named: Option<EntId>,
        span: Span,
    ) -> bool {
        if scoped.starts_with(':') {
            return true;
        }
        let first = scoped.split("::").next().unwrap_or(scoped).to_string();
        let thing = match named {
            None => match self.lookup_contained(cont, &first, span, false).first() {
                Some(&t) => t,
                None => return true,
            },
            Some(t) => {
                // Walk up one container per extra component to reach the entity the first
                // component names.
                let extra = scoped.matches("::").count();
                let mut c = t;
                for _ in 0..extra {
                    c = self.ents[c].parent;
                }
                if extra > 0 && c == UNIT {
                    t
                } else {
                    c
                }
            }
        };
        let key = first.to_ascii_lowercase();
        match self.ents[cont].introduced.get(&key).copied() {
            None => {
                self.ents[cont].introduced.insert(key, thing);
                true
            }
            // The reference compares entities by scoped name (IceUtil handles compare
            // their pointees), so a class definition and its declaration, or two openings
            // of a module, are the same thing.
            Some(prev) if prev == thing || self.ents[prev].scoped == self.ents[thing].scoped => {
                true
            }
            Some(prev) => {
                let is_param = |k: &Kind| matches!(k, Kind::Param { .. });
                let is_member = |k: &Kind| matches!(k, Kind::DataMember(_));
                let (pk, tk) = (&self.ents[prev].kind, &self.ents[thing].kind);
                if is_param(pk) != is_param(tk) || is_member(pk) != is_member(tk) {
                    return true;
                }
                self.error(
                    "changed-meaning",
                    span,
                    format!("`{first}' has changed meaning"),
                );
                false
            }
        }
    }

    /// `nameIsLegal`: a definition may not be named like an enclosing module.
    pub(crate) fn name_is_legal(
        &mut self,
        cont: EntId,
        name: &str,
        construct: &str,
        span: Span,
    ) -> bool {
        if !matches!(self.ents[cont].kind, Kind::Module) {
            return true;
        }
        let lower = name.to_ascii_lowercase();
        let mut cur = cont;
        let mut immediate = true;
        while matches!(self.ents[cur].kind, Kind::Module) {
            let m = &self.ents[cur];
            let same = name == m.name;
            if same || lower == m.name.to_ascii_lowercase() {
                let msg = match (immediate, same) {
                    (true, true) => format!(
                        "{construct} name `{name}' must differ from the name of its immediately enclosing module"
                    ),
                    (true, false) => format!(
                        "{construct} name `{lower}' cannot differ only in capitalization from its immediately enclosing module name `{}'",
                        m.name
                    ),
                    (false, true) => format!(
                        "{construct} name `{name}' must differ from the name of enclosing module `{}' (first defined at {})",
                        m.name,
                        self.file_line(m.span)
                    ),
                    (false, false) => format!(
                        "{construct} name `{lower}' cannot differ only in capitalization from enclosing module `{}' (first defined at {})",
                        m.name,
                        self.file_line(m.span)
                    ),
                };
                self.error("name-is-module", span, msg);
                return false;
            }
            immediate = false;
            cur = m.parent;
        }
        true
    }

    /// `checkForGlobalDef`: only modules may be defined at global scope.
    pub(crate) fn check_for_global_def(
        &mut self,
        cont: EntId,
        name: &str,
        construct: &str,
        span: Span,
    ) -> bool {
        if cont == UNIT && construct != "module" {
            let msg = format!(
                "`{name}': {} {construct} can be defined only at module scope",
                article(construct)
            );
            self.error("global-definition", span, msg);
            return false;
        }
        true
    }

    /// `checkInterfaceAndLocal`: declarations and definitions must agree.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn check_interface_and_local(
        &mut self,
        name: &str,
        defined: bool,
        intf: bool,
        intf_other: bool,
        local: bool,
        local_other: bool,
        span: Span,
    ) -> bool {
        let how = if defined { "defined" } else { "declared" };
        let msg = if !intf && intf_other {
            format!("class `{name}' was {how} as interface")
        } else if intf && !intf_other {
            format!("interface `{name}' was {how} as class")
        } else if !local && local_other {
            format!("non-local `{name}' was {how} local")
        } else if local && !local_other {
            format!("local `{name}' was {how} non-local")
        } else {
            return true;
        };
        self.error("declaration-mismatch", span, msg);
        false
    }

    /// Whether a type is local.
    pub(crate) fn ty_is_local(&self, ty: Ty) -> bool {
        match ty {
            Ty::Builtin(b) => b == Builtin::LocalObject,
            Ty::Decl(e) | Ty::Proxy(e) | Ty::Named(e) => self.ents[e].local,
        }
    }

    /// The definition behind a class/interface declaration.
    pub(crate) fn definition_of(&self, decl: EntId) -> Option<EntId> {
        match self.ents[decl].kind {
            Kind::ClassDecl { definition, .. } => definition,
            Kind::ClassDef { .. } => Some(decl),
            _ => None,
        }
    }

    pub(crate) fn is_interface(&self, e: EntId) -> bool {
        matches!(
            self.ents[e].kind,
            Kind::ClassDecl { intf: true, .. } | Kind::ClassDef { intf: true, .. }
        )
    }

    /// Bases (class definitions) of a class definition.
    pub(crate) fn bases_of(&self, def: EntId) -> Vec<EntId> {
        match &self.ents[def].kind {
            Kind::ClassDef { bases, .. } => bases.clone(),
            _ => Vec::new(),
        }
    }

    /// `allOperations`: operations of the bases (recursively) then own ones, each once.
    pub(crate) fn all_operations(&self, def: EntId) -> Vec<EntId> {
        let mut out = Vec::new();
        let mut seen_ops = HashSet::new();
        let mut visited = HashSet::new();
        // Iterative depth-first walk (bases before the class itself), so long inheritance
        // chains neither recurse deeply nor cost more than linear time.
        let mut stack: Vec<(EntId, bool)> = vec![(def, false)];
        while let Some((c, expanded)) = stack.pop() {
            if expanded {
                for &o in &self.ents[c].contents {
                    if matches!(self.ents[o].kind, Kind::Operation { .. }) && seen_ops.insert(o) {
                        out.push(o);
                    }
                }
                continue;
            }
            if !visited.insert(c) {
                continue;
            }
            stack.push((c, true));
            for b in self.bases_of(c).into_iter().rev() {
                stack.push((b, false));
            }
        }
        out
    }

    /// `allDataMembers` of a class definition: the base class chain's, then own.
    pub(crate) fn all_class_data_members(&self, def: EntId) -> Vec<EntId> {
        let mut chain = vec![def];
        let mut cur = def;
        while let Some(&b) = self.bases_of(cur).first() {
            if self.is_interface(b) || chain.contains(&b) {
                break;
            }
            chain.push(b);
            cur = b;
        }
        chain.reverse();
        chain
            .into_iter()
            .flat_map(|c| self.data_members(c))
            .collect()
    }

    /// Own data members of a container.
    pub(crate) fn data_members(&self, cont: EntId) -> Vec<EntId> {
        self.ents[cont]
            .contents
            .iter()
            .copied()
            .filter(|&c| matches!(self.ents[c].kind, Kind::DataMember(_)))
            .collect()
    }

    /// Base exceptions, nearest first.
    pub(crate) fn exception_bases(&self, ex: EntId) -> Vec<EntId> {
        let mut out = Vec::new();
        let mut cur = ex;
        while let Kind::Exception { base: Some(b) } = self.ents[cur].kind {
            if out.contains(&b) || b == ex {
                break;
            }
            out.push(b);
            cur = b;
        }
        out
    }
}
