//! Constants, default values, optional tags, compact ids and enumerator initializers
//! (SLICE-LANGUAGE.md 9 and 10).

use super::symbols::{article, EntId, Kind, Ty, Val};
use super::{Category, Checker};
use crate::ast::{Builtin, ConstValue, ConstValueKind, IntOrName, ScopedName};
use crate::source::Span;

/// An initializer after lookup (the reference's `ConstDefTok`).
#[derive(Clone, Debug)]
pub(crate) struct Init {
    pub(crate) kind: InitKind,
    /// The value as the reference prints it in messages (`valueAsString`).
    pub(crate) text: String,
    /// The initializer as written.
    pub(crate) literal: String,
    pub(crate) span: Span,
}

/// What an initializer turned out to be.
#[derive(Clone, Debug)]
pub(crate) enum InitKind {
    /// A name that resolves to nothing (or to something that is not a value).
    Nothing,
    /// A literal of a builtin type.
    Literal(Builtin, Val),
    /// An enumerator.
    Enumerator(EntId),
    /// Another constant.
    Const(EntId),
}

/// Outcome of an `optional(tag)` or compact id.
pub(crate) enum TagOutcome {
    /// The tag (or `None` when invalid; the member is created non-optional).
    Tag(Option<i32>),
    /// The name did not resolve: the reference drops the whole construct.
    Abort,
}

const INT32_MAX: i64 = i32::MAX as i64;

fn val_text(v: &Val) -> String {
    match v {
        Val::Bool(b) => b.to_string(),
        Val::Int(i) => i.to_string(),
        Val::Float(f) => f.to_string(),
        Val::Str(s) => String::from_utf8_lossy(s).into_owned(),
        Val::Enumerator(_) => String::new(),
    }
}

impl Checker<'_> {
    /// Evaluates a constant/default initializer (`const_initializer`).
    pub(crate) fn eval_init(&mut self, cont: EntId, value: &ConstValue) -> Init {
        let span = value.span;
        let lit = |b: Builtin, v: Val| Init {
            text: val_text(&v),
            kind: InitKind::Literal(b, v),
            literal: value.text.clone(),
            span,
        };
        match &value.kind {
            ConstValueKind::Integer(i) => lit(Builtin::Long, Val::Int(*i)),
            ConstValueKind::Float(f) => lit(Builtin::Double, Val::Float(*f)),
            ConstValueKind::String(s) => lit(Builtin::String, Val::Str(s.clone())),
            ConstValueKind::Bool(b) => lit(Builtin::Bool, Val::Bool(*b)),
            ConstValueKind::Name(name) => {
                let sc = name.text.as_str();
                let found = self.lookup_contained(cont, sc, span, false);
                let nothing = |text: String| Init {
                    kind: InitKind::Nothing,
                    text,
                    literal: value.text.clone(),
                    span,
                };
                let Some(&first) = found.first() else {
                    return nothing(sc.to_string());
                };
                match &self.ent(first).kind {
                    Kind::Enumerator { .. } => {
                        self.check_introduced(cont, sc, Some(first), span);
                        Init {
                            kind: InitKind::Enumerator(first),
                            text: sc.to_string(),
                            literal: value.text.clone(),
                            span,
                        }
                    }
                    Kind::Const { value: v, .. } => {
                        let text = val_text(v);
                        self.check_introduced(cont, sc, Some(first), span);
                        Init {
                            kind: InitKind::Const(first),
                            text,
                            literal: value.text.clone(),
                            span,
                        }
                    }
                    _ => {
                        let kind = self.ent(first).kind_of();
                        self.error(
                            "illegal-initializer",
                            span,
                            format!("illegal initializer: `{sc}' is {} {kind}", article(kind)),
                        );
                        nothing(String::new())
                    }
                }
            }
        }
    }

    /// `validateConstant`: checks that `init` fits `ty`; returns the normalised value.
    /// `what` is `constant` or `data member`.
    pub(crate) fn validate_constant(
        &mut self,
        name: &str,
        ty: Ty,
        init: &Init,
        is_constant: bool,
    ) -> Option<Val> {
        let desc = if is_constant {
            "constant"
        } else {
            "data member"
        };
        let span = init.span;
        let enum_ty = match ty {
            Ty::Named(e) if matches!(self.ent(e).kind, Kind::Enum { .. }) => Some(e),
            _ => None,
        };
        let builtin = match ty {
            Ty::Builtin(b) => Some(b),
            _ => None,
        };
        if let Some(b) = builtin {
            if matches!(
                b,
                Builtin::Object | Builtin::ObjectProxy | Builtin::LocalObject | Builtin::Value
            ) {
                let msg = if is_constant {
                    format!("constant `{name}' has illegal type: `{}'", b.name())
                } else {
                    format!(
                        "default value not allowed for data member `{name}' of type `{}'",
                        b.name()
                    )
                };
                self.error("illegal-constant-type", span, msg);
                return None;
            }
        } else if enum_ty.is_none() {
            let msg = if is_constant {
                format!("constant `{name}' has illegal type")
            } else {
                format!("default value not allowed for data member `{name}'")
            };
            self.error("illegal-constant-type", span, msg);
            return None;
        }

        if let Some(b) = builtin {
            let (lt, value) = match &init.kind {
                InitKind::Literal(lt, v) => (Some(*lt), Some(v.clone())),
                InitKind::Const(c) => match &self.ent(*c).kind {
                    Kind::Const {
                        ty: Ty::Builtin(cb),
                        value,
                        ..
                    } => (Some(*cb), Some(value.clone())),
                    _ => (None, None),
                },
                _ => (None, None),
            };
            let (Some(lt), Some(value)) = (lt, value) else {
                self.error(
                    "incompatible-initializer",
                    span,
                    format!(
                        "type of initializer is incompatible with the type `{}' of {desc} `{name}'",
                        b.name()
                    ),
                );
                return None;
            };
            let integral = |k: Builtin| {
                matches!(
                    k,
                    Builtin::Byte | Builtin::Short | Builtin::Int | Builtin::Long
                )
            };
            let ok = match b {
                Builtin::Bool => lt == Builtin::Bool,
                Builtin::Byte | Builtin::Short | Builtin::Int | Builtin::Long => integral(lt),
                Builtin::Float | Builtin::Double => {
                    integral(lt) || matches!(lt, Builtin::Float | Builtin::Double)
                }
                Builtin::String => lt == Builtin::String,
                _ => false,
            };
            if !ok {
                self.error(
                    "incompatible-initializer",
                    span,
                    format!(
                        "initializer of type `{}' is incompatible with the type `{}' of {desc} `{name}'",
                        lt.name(),
                        b.name()
                    ),
                );
                return None;
            }
            let range = match b {
                Builtin::Byte => Some((0, 255)),
                Builtin::Short => Some((i16::MIN as i64, i16::MAX as i64)),
                Builtin::Int => Some((i32::MIN as i64, i32::MAX as i64)),
                _ => None,
            };
            if let (Some((lo, hi)), Val::Int(v)) = (range, &value) {
                if *v < lo || *v > hi {
                    self.error(
                        "initializer-out-of-range",
                        span,
                        format!(
                            "initializer `{}' for {desc} `{name}' out of range for type {}",
                            init.text,
                            b.name()
                        ),
                    );
                    return None;
                }
            }
            // Normalise integers given to floating-point types.
            return Some(match (b, value) {
                (Builtin::Float | Builtin::Double, Val::Int(i)) => Val::Float(i as f64),
                (_, v) => v,
            });
        }

        let e = enum_ty?;
        let enum_scoped = self.ent(e).scoped.clone();
        let incompatible = |this: &mut Self| {
            this.error(
                "incompatible-initializer",
                span,
                format!("type of initializer is incompatible with the type of {desc} `{name}'"),
            );
            None
        };
        match &init.kind {
            InitKind::Const(c) => match &self.ent(*c).kind {
                Kind::Const {
                    ty: Ty::Named(ce),
                    value,
                    ..
                } if *ce == e => Some(value.clone()),
                _ => incompatible(self),
            },
            InitKind::Enumerator(en) => {
                if self.ent(*en).parent != e {
                    self.error(
                        "wrong-enumerator",
                        span,
                        format!(
                            "enumerator `{}' is not defined in enumeration `{enum_scoped}'",
                            init.text
                        ),
                    );
                    return None;
                }
                Some(Val::Enumerator(*en))
            }
            InitKind::Literal(..) => incompatible(self),
            InitKind::Nothing => {
                let value = init.text.clone();
                let enum_name = self.ent(e).name.clone();
                let (lookup, qualified) = match value.rfind(':') {
                    Some(pos) if pos + 1 < value.len() => (
                        format!("{}{}::{}", &value[..=pos], enum_name, &value[pos + 1..]),
                        true,
                    ),
                    Some(_) => (value.clone(), true),
                    None => (value.clone(), false),
                };
                let found = if lookup.is_empty() {
                    Vec::new()
                } else {
                    self.lookup_contained(e, &lookup, span, false)
                };
                let Some(&first) = found.first() else {
                    self.error(
                        "wrong-enumerator",
                        span,
                        format!("`{value}' does not designate an enumerator of `{enum_scoped}'"),
                    );
                    return None;
                };
                if !matches!(self.ent(first).kind, Kind::Enumerator { .. }) {
                    return incompatible(self);
                }
                if qualified {
                    let en_name = self.ent(first).name.clone();
                    self.warning(
                        "deprecated-enumerator-scope",
                        Category::Deprecated,
                        span,
                        format!(
                            "referencing enumerator `{en_name}' in its enumeration's enclosing scope is deprecated"
                        ),
                    );
                }
                Some(Val::Enumerator(first))
            }
        }
    }

    /// Resolves a name used as an optional tag or compact id (grammar rules for
    /// `optional(NAME)` and `class C(NAME)`): returns the entity, or `None` after reporting.
    fn resolve_tag_name(&mut self, cont: EntId, name: &str, span: Span) -> Option<(EntId, String)> {
        let found = self.lookup_contained(cont, name, span, false);
        let mut scoped = name.to_string();
        let first = match found.first() {
            Some(&f) => f,
            None => {
                let ens = self.unscoped_enumerators(cont, name, span);
                match ens.as_slice() {
                    [one] => {
                        scoped = self.ent(*one).scoped.clone();
                        self.warning(
                            "deprecated-unscoped-enumerator",
                            Category::Deprecated,
                            span,
                            format!(
                                "referencing enumerator `{scoped}' without its enumeration's scope is deprecated"
                            ),
                        );
                        *one
                    }
                    [] => {
                        self.error("undefined", span, format!("`{name}' is not defined"));
                        return None;
                    }
                    many => {
                        let list: Vec<String> = many
                            .iter()
                            .map(|&e| format!(" `{}'", self.ent(e).scoped))
                            .collect();
                        self.error(
                            "ambiguous-enumerator",
                            span,
                            format!("enumerator `{name}' could designate{}", list.join(" or")),
                        );
                        return None;
                    }
                }
            }
        };
        self.check_introduced(cont, &scoped, None, span);
        Some((first, scoped))
    }

    /// The integer value of a constant or enumerator named as a tag or compact id:
    /// `Some(Ok(v))` for an integer, `Some(Err(()))` for a constant of another type.
    fn int_value_of(&self, e: EntId) -> Result<i64, ()> {
        match &self.ent(e).kind {
            Kind::Const {
                ty: Ty::Builtin(Builtin::Byte | Builtin::Short | Builtin::Int | Builtin::Long),
                value: Val::Int(v),
                ..
            } => Ok(*v),
            Kind::Enumerator { value, .. } => Ok(*value),
            _ => Err(()),
        }
    }

    /// `optional(tag)`.
    pub(crate) fn eval_tag(&mut self, cont: EntId, tag: &IntOrName, span: Span) -> TagOutcome {
        match tag {
            IntOrName::Int(i) => {
                if i.value < 0 || i.value > INT32_MAX {
                    self.error("tag-out-of-range", span, "tag for optional is out of range");
                    TagOutcome::Tag(None)
                } else {
                    TagOutcome::Tag(Some(i.value as i32))
                }
            }
            IntOrName::Name(n) => {
                let Some((tag, scoped)) = self.named_int(
                    cont,
                    n,
                    span,
                    "tag-out-of-range",
                    "tag for optional is out of range",
                ) else {
                    return TagOutcome::Abort;
                };
                if tag < 0 {
                    self.error(
                        "invalid-tag",
                        span,
                        format!("invalid tag `{scoped}' for optional"),
                    );
                    return TagOutcome::Tag(None);
                }
                TagOutcome::Tag(Some(tag as i32))
            }
        }
    }

    /// A constant or enumerator named as a tag or compact id: its value as the reference
    /// reads it (wrapped to 32 bits; -1 when it is not an integer), with the resolved name.
    /// `None` when the name does not resolve (the construct is then dropped).
    fn named_int(
        &mut self,
        cont: EntId,
        n: &ScopedName,
        span: Span,
        code: &'static str,
        out_of_range: &str,
    ) -> Option<(i64, String)> {
        let (e, scoped) = self.resolve_tag_name(cont, &n.text, span)?;
        let is_const = matches!(self.ent(e).kind, Kind::Const { .. });
        let mut v: i64 = -1;
        if let Ok(x) = self.int_value_of(e) {
            if is_const && !(0..=INT32_MAX).contains(&x) {
                self.error(code, span, out_of_range.to_string());
            }
            v = i64::from(x as i32);
        }
        Some((v, scoped))
    }

    /// `class C(id)`: returns the compact id to register (negative: none).
    pub(crate) fn eval_compact_id(&mut self, cont: EntId, id: &IntOrName) -> TagOutcome {
        // Reported once the closing `)` is read.
        let span = self.next_token(id.span());
        let value: i64 = match id {
            IntOrName::Int(i) => {
                if i.value < 0 {
                    self.error(
                        "compact-id",
                        span,
                        "invalid compact id for class: id must be a positive integer",
                    );
                } else if i.value > INT32_MAX {
                    self.error(
                        "compact-id",
                        span,
                        "invalid compact id for class: value is out of range",
                    );
                } else {
                    self.check_compact_id_unique(i.value, span);
                }
                (i.value as i32) as i64
            }
            IntOrName::Name(n) => {
                let Some((v, _)) = self.named_int(
                    cont,
                    n,
                    span,
                    "compact-id",
                    "compact id for class is out of range",
                ) else {
                    return TagOutcome::Abort;
                };
                if v < 0 {
                    self.error(
                        "compact-id",
                        span,
                        "invalid compact id for class: id must be a positive integer",
                    );
                } else {
                    self.check_compact_id_unique(v, span);
                }
                v
            }
        };
        TagOutcome::Tag((value >= 0).then_some(value as i32))
    }

    fn check_compact_id_unique(&mut self, id: i64, span: Span) {
        if let Some(owner) = self.type_ids.get(&id).cloned() {
            self.error(
                "compact-id-duplicate",
                span,
                format!("invalid compact id for class: already assigned to class `{owner}'"),
            );
        }
    }

    /// `enumerator = value`: the value, or `None` after reporting.
    pub(crate) fn eval_enumerator_value(&mut self, cont: EntId, v: &IntOrName) -> Option<i64> {
        match v {
            IntOrName::Int(i) => Some(i.value),
            IntOrName::Name(n) => {
                let span = n.span;
                let found = self.lookup_contained(cont, &n.text, span, true);
                let mut result = None;
                if let Some(&first) = found.first() {
                    if matches!(self.ent(first).kind, Kind::Const { .. }) {
                        self.check_introduced(cont, &n.text, Some(first), span);
                        if let Ok(x) = self.int_value_of(first) {
                            result = Some(x);
                        }
                    }
                }
                if result.is_none() {
                    self.error(
                        "illegal-initializer",
                        span,
                        format!(
                            "illegal initializer: `{}' is not an integer constant",
                            n.text
                        ),
                    );
                }
                result
            }
        }
    }
}
