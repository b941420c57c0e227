//! Slice types to Rust types: field types, parameter types, and which derives fit.

use super::Ctx;
use proc_macro2::TokenStream;
use quote::quote;
use slice_parser::model::{Builtin, Type};

/// The Rust type of a value of `ty` (a field, a result, a decoded parameter).
pub fn rust(ctx: &Ctx, ty: Type) -> TokenStream {
    let m = ctx.model;
    let rt = ctx.rt();
    let opt = ctx.std("Option");
    match ty {
        Type::Builtin(b) => match b {
            Builtin::Bool => quote!(bool),
            Builtin::Byte => quote!(u8),
            Builtin::Short => quote!(i16),
            Builtin::Int => quote!(i32),
            Builtin::Long => quote!(i64),
            Builtin::Float => quote!(f32),
            Builtin::Double => quote!(f64),
            Builtin::String => ctx.std("String"),
            Builtin::Object | Builtin::Value => quote!(#opt<#rt::encoding::ValueRef>),
            Builtin::ObjectProxy => quote!(#opt<#rt::proxy::ObjectPrx>),
            Builtin::LocalObject => quote!(()),
        },
        Type::Struct(i) => {
            let info = &m.structs[i].info;
            ctx.path(info, &info.name)
        }
        Type::Enum(i) => {
            let info = &m.enums[i].info;
            ctx.path(info, &info.name)
        }
        Type::Sequence(i) => {
            let info = &m.sequences[i].info;
            ctx.path(info, &info.name)
        }
        Type::Dictionary(i) => {
            let info = &m.dictionaries[i].info;
            ctx.path(info, &info.name)
        }
        Type::Class(i) => {
            let c = &m.classes[i];
            if c.defined && !c.local {
                let p = ctx.path(&c.info, &c.info.name);
                quote!(#opt<#rt::encoding::Value<#p>>)
            } else {
                quote!(#opt<#rt::encoding::ValueRef>)
            }
        }
        Type::Interface(_) => quote!(#opt<#rt::encoding::ValueRef>),
        Type::Proxy(i) => {
            let it = &m.interfaces[i];
            if it.defined && !it.local {
                let p = ctx.path(&it.info, &format!("{}Prx", it.info.name));
                quote!(#opt<#p>)
            } else {
                quote!(#opt<#rt::proxy::ObjectPrx>)
            }
        }
        Type::ClassProxy(_) => quote!(#opt<#rt::proxy::ObjectPrx>),
    }
}

/// The Rust type of a value that may be unset (`optional(tag) T`): `Option<T>`, except for
/// class references, which are already optional.
pub fn optional(ctx: &Ctx, ty: Type) -> TokenStream {
    let inner = rust(ctx, ty);
    if is_class_ref(ty) {
        inner
    } else {
        let opt = ctx.std("Option");
        quote!(#opt<#inner>)
    }
}

/// Whether values of `ty` are class references (`Option<Value<T>>` / `Option<ValueRef>`).
pub fn is_class_ref(ty: Type) -> bool {
    matches!(
        ty,
        Type::Class(_) | Type::Interface(_) | Type::Builtin(Builtin::Object | Builtin::Value)
    )
}

/// Whether `ty` maps to a `Copy` Rust type passed by value in proxy calls.
pub fn is_copy(ctx: &Ctx, ty: Type) -> bool {
    match ty {
        Type::Builtin(b) => !matches!(
            b,
            Builtin::String
                | Builtin::Object
                | Builtin::Value
                | Builtin::ObjectProxy
                | Builtin::LocalObject
        ),
        Type::Enum(_) => true,
        Type::Struct(_) => caps(ctx, ty).copy,
        _ => false,
    }
}

/// The type of an in-parameter of a proxy method (borrowed where that is cheaper).
pub fn param(ctx: &Ctx, ty: Type, tagged: bool) -> TokenStream {
    let opt = ctx.std("Option");
    let inner = match ty {
        _ if is_copy(ctx, ty) => rust(ctx, ty),
        Type::Builtin(Builtin::String) => quote!(&str),
        Type::Sequence(s) => {
            let e = rust(ctx, ctx.model.sequences[s].element);
            quote!(&[#e])
        }
        _ => reference(ctx, ty),
    };
    if tagged && !is_class_ref(ty) {
        quote!(#opt<#inner>)
    } else {
        inner
    }
}

fn reference(ctx: &Ctx, ty: Type) -> TokenStream {
    let t = rust(ctx, ty);
    quote!(&#t)
}

/// Which derives a Rust type supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caps {
    /// `Eq`.
    pub eq: bool,
    /// `Hash`.
    pub hash: bool,
    /// `PartialOrd` + `Ord`.
    pub ord: bool,
    /// `Copy`.
    pub copy: bool,
}

const ALL: Caps = Caps {
    eq: true,
    hash: true,
    ord: true,
    copy: true,
};

/// The derives `ty` allows (every type allows `Clone`, `Debug`, `PartialEq`, `Default`).
pub fn caps(ctx: &Ctx, ty: Type) -> Caps {
    caps_depth(ctx, ty, 0)
}

fn caps_depth(ctx: &Ctx, ty: Type, depth: usize) -> Caps {
    let none = Caps {
        eq: false,
        hash: false,
        ord: false,
        copy: false,
    };
    if depth > 64 {
        return none;
    }
    let m = ctx.model;
    match ty {
        Type::Builtin(b) => match b {
            Builtin::Float | Builtin::Double => Caps { copy: true, ..none },
            Builtin::String => Caps { copy: false, ..ALL },
            Builtin::Object | Builtin::Value => Caps { eq: true, ..none },
            Builtin::ObjectProxy | Builtin::LocalObject => none,
            _ => ALL,
        },
        Type::Enum(_) => ALL,
        Type::Struct(s) => m.structs[s]
            .members
            .iter()
            .map(|f| caps_depth(ctx, f.ty, depth + 1))
            .fold(ALL, and),
        Type::Sequence(s) => Caps {
            copy: false,
            ..caps_depth(ctx, m.sequences[s].element, depth + 1)
        },
        Type::Dictionary(d) => {
            let d = &m.dictionaries[d];
            let c = and(
                caps_depth(ctx, d.key, depth + 1),
                caps_depth(ctx, d.value, depth + 1),
            );
            Caps { eq: c.eq, ..none }
        }
        Type::Class(_) | Type::Interface(_) => Caps { eq: true, ..none },
        Type::Proxy(_) | Type::ClassProxy(_) => none,
    }
}

fn and(a: Caps, b: Caps) -> Caps {
    Caps {
        eq: a.eq && b.eq,
        hash: a.hash && b.hash,
        ord: a.ord && b.ord,
        copy: a.copy && b.copy,
    }
}

/// Whether decoding `ty` may decode a proxy (which needs the communicator).
pub fn has_proxy(ctx: &Ctx, ty: Type) -> bool {
    has_proxy_depth(ctx, ty, 0)
}

fn has_proxy_depth(ctx: &Ctx, ty: Type, depth: usize) -> bool {
    if depth > 64 {
        return true;
    }
    let m = ctx.model;
    match ty {
        Type::Proxy(_) | Type::ClassProxy(_) | Type::Builtin(Builtin::ObjectProxy) => true,
        // Any class may carry proxies (subclasses included).
        Type::Class(_) | Type::Interface(_) | Type::Builtin(Builtin::Object | Builtin::Value) => {
            true
        }
        Type::Struct(s) => m.structs[s]
            .members
            .iter()
            .any(|f| has_proxy_depth(ctx, f.ty, depth + 1)),
        Type::Sequence(s) => has_proxy_depth(ctx, m.sequences[s].element, depth + 1),
        Type::Dictionary(d) => {
            let d = &m.dictionaries[d];
            has_proxy_depth(ctx, d.key, depth + 1) || has_proxy_depth(ctx, d.value, depth + 1)
        }
        _ => false,
    }
}

/// Whether the type names a deprecated definition (so code using it needs
/// `#[allow(deprecated)]`).
pub fn is_deprecated(ctx: &Ctx, ty: Type) -> bool {
    let m = ctx.model;
    let info = match ty {
        Type::Struct(i) => &m.structs[i].info,
        Type::Enum(i) => &m.enums[i].info,
        Type::Sequence(i) => &m.sequences[i].info,
        Type::Dictionary(i) => &m.dictionaries[i].info,
        Type::Class(i) | Type::ClassProxy(i) => &m.classes[i].info,
        Type::Proxy(i) | Type::Interface(i) => &m.interfaces[i].info,
        Type::Builtin(_) => return false,
    };
    info.deprecated().is_some()
}
