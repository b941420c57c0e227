//! Constants: `const T NAME = v;` → `pub const NAME: T = v;` (strings are `&str`).

use super::{docs, names, types, Ctx};
use proc_macro2::{Literal, TokenStream};
use quote::quote;
use slice_parser::model::{Builtin, ConstId, ConstValue, Type};

/// Emits one constant.
pub fn emit(ctx: &Ctx, id: ConstId) -> TokenStream {
    let c = &ctx.model.consts[id];
    let doc = docs::item(&c.info);
    let name = names::ident(&names::upper_snake(&c.info.name));
    let ty = match c.ty {
        Type::Builtin(Builtin::String) => quote!(&str),
        t => types::rust(ctx, t),
    };
    let value = value(ctx, c.ty, &c.value, false);
    quote! {
        #doc
        pub const #name: #ty = #value;
    }
}

/// A constant or default value of type `ty`; `owned` gives a `String` for strings.
pub fn value(ctx: &Ctx, ty: Type, v: &ConstValue, owned: bool) -> TokenStream {
    match (ty, v) {
        (_, ConstValue::Bool(b)) => quote!(#b),
        (Type::Builtin(b), ConstValue::Int(i)) => int(b, *i),
        (Type::Builtin(Builtin::Float), ConstValue::Float(f)) => float(*f, true),
        (Type::Builtin(_), ConstValue::Float(f)) => float(*f, false),
        (_, ConstValue::String(bytes)) => {
            let s = String::from_utf8_lossy(bytes).into_owned();
            if owned {
                quote!(#s.to_owned())
            } else {
                quote!(#s)
            }
        }
        (_, ConstValue::Enumerator(e, index)) => {
            let en = &ctx.model.enums[*e];
            let path = ctx.path(&en.info, &en.info.name);
            match en.enumerators.get(*index) {
                Some(x) => {
                    let v = names::ident(&x.info.name);
                    quote!(#path::#v)
                }
                None => quote!(#path::default()),
            }
        }
        (_, ConstValue::Int(i)) => {
            let l = Literal::i64_unsuffixed(*i);
            quote!(#l)
        }
        (_, ConstValue::Float(f)) => float(*f, false),
    }
}

fn int(b: Builtin, i: i64) -> TokenStream {
    let l = match b {
        Builtin::Byte => Literal::u8_suffixed(u8::try_from(i.rem_euclid(256)).unwrap_or(0)),
        Builtin::Short => Literal::i16_suffixed(i16::try_from(i).unwrap_or_default()),
        Builtin::Int => Literal::i32_suffixed(i32::try_from(i).unwrap_or_default()),
        Builtin::Float => return float(i as f64, true),
        Builtin::Double => return float(i as f64, false),
        _ => Literal::i64_suffixed(i),
    };
    quote!(#l)
}

fn float(f: f64, single: bool) -> TokenStream {
    let t = if single { quote!(f32) } else { quote!(f64) };
    if f.is_nan() {
        quote!(#t::NAN)
    } else if f.is_infinite() && f > 0.0 {
        quote!(#t::INFINITY)
    } else if f.is_infinite() {
        quote!(#t::NEG_INFINITY)
    } else if single {
        let l = Literal::f32_suffixed(f as f32);
        quote!(#l)
    } else {
        let l = Literal::f64_suffixed(f);
        quote!(#l)
    }
}
