//! Structs: `pub` fields, the derives every field allows, Slice defaults in `Default`,
//! `Encode`/`Decode` (with `FIXED_SIZE` for fixed-size structs, so sequences of them are
//! sized up front).

use super::{constant, docs, names, types, Ctx};
use proc_macro2::{Literal, TokenStream};
use quote::quote;
use slice_parser::model::{ConstValue, DataMember, StructId, Type};

/// Field names for members (snake case, collisions resolved).
pub fn field_names(members: &[&DataMember]) -> Vec<proc_macro2::Ident> {
    names::unique(members.iter().map(|m| names::snake(&m.info.name)))
        .iter()
        .map(|n| names::ident(n))
        .collect()
}

/// `pub name: T` declarations with docs.
pub fn fields(
    ctx: &Ctx,
    members: &[&DataMember],
    idents: &[proc_macro2::Ident],
) -> Vec<TokenStream> {
    members
        .iter()
        .zip(idents)
        .map(|(m, id)| {
            let d = docs::item(&m.info);
            let t = if m.tag.is_some() {
                types::optional(ctx, m.ty)
            } else {
                types::rust(ctx, m.ty)
            };
            quote!(#d pub #id: #t)
        })
        .collect()
}

/// `Default` initialisers when some member has a Slice default (`None` otherwise: derive).
pub fn defaults(
    ctx: &Ctx,
    members: &[&DataMember],
    idents: &[proc_macro2::Ident],
) -> Option<Vec<TokenStream>> {
    // Defaults equal to Rust's own (0, false, "", the first enumerator) need no impl.
    let trivial = |m: &DataMember| match &m.default {
        None => true,
        Some(_) if m.tag.is_some() => false,
        Some(ConstValue::Int(0) | ConstValue::Bool(false)) => true,
        Some(ConstValue::Float(f)) => *f == 0.0 && f.is_sign_positive(),
        Some(ConstValue::String(s)) => s.is_empty(),
        Some(ConstValue::Enumerator(_, i)) => *i == 0,
        Some(_) => false,
    };
    if members.iter().all(|m| trivial(m)) {
        return None;
    }
    Some(
        members
            .iter()
            .zip(idents)
            .map(|(m, id)| match &m.default {
                Some(v) => {
                    let v = constant::value(ctx, m.ty, v, true);
                    if m.tag.is_some() {
                        quote!(#id: Some(#v))
                    } else {
                        quote!(#id: #v)
                    }
                }
                None => quote!(#id: Default::default()),
            })
            .collect(),
    )
}

/// Whether any member's type is deprecated (the impls then allow `deprecated`).
pub fn uses_deprecated(ctx: &Ctx, members: &[&DataMember]) -> bool {
    members.iter().any(|m| types::is_deprecated(ctx, m.ty))
}

/// Emits one struct.
pub fn emit(ctx: &Ctx, id: StructId) -> TokenStream {
    let s = &ctx.model.structs[id];
    let rt = ctx.rt();
    let res = ctx.std("Result");
    let doc = docs::item(&s.info);
    let name = names::ident(&s.info.name);
    let members: Vec<&DataMember> = s.members.iter().collect();
    let idents = field_names(&members);
    let fields = fields(ctx, &members, &idents);
    let caps = types::caps(ctx, Type::Struct(id));
    let mut derives = vec![quote!(Clone), quote!(Debug)];
    let defaults = defaults(ctx, &members, &idents);
    if defaults.is_none() {
        derives.push(quote!(Default));
    }
    derives.push(quote!(PartialEq));
    if caps.copy {
        derives.insert(0, quote!(Copy));
    }
    if caps.eq {
        derives.push(quote!(Eq));
    }
    if caps.hash {
        derives.push(quote!(Hash));
    }
    if caps.ord {
        derives.push(quote!(PartialOrd));
        derives.push(quote!(Ord));
    }
    let allow = if s.info.deprecated().is_some() || uses_deprecated(ctx, &members) {
        quote!(#[allow(deprecated)])
    } else {
        quote!()
    };
    let default_impl = defaults.map(|inits| {
        quote! {
            #allow
            impl Default for #name {
                fn default() -> Self {
                    #name { #(#inits,)* }
                }
            }
        }
    });
    let case = names::allow_case([s.info.name.as_str()]);
    let opt = ctx.std("Option");
    let fixed = if ctx.model.is_fixed_size(Type::Struct(id)) {
        let n = Literal::usize_unsuffixed(ctx.model.min_wire_size(Type::Struct(id)));
        quote!(const FIXED_SIZE: #opt<usize> = Some(#n);)
    } else {
        quote!()
    };
    let mut writes: Vec<TokenStream> = idents
        .iter()
        .map(|f| quote!(out.write(&self.#f);))
        .collect();
    if writes.is_empty() {
        writes.push(quote!(let _ = out;));
    }
    let unused_input = idents.is_empty().then(|| quote!(let _ = input;));
    let reads = idents.iter().map(|f| quote!(#f: input.read()?));
    quote! {
        #doc
        #[derive(#(#derives),*)]
        #case
        pub struct #name {
            #(#fields,)*
        }

        #default_impl

        #allow
        impl #rt::encoding::Encode for #name {
            #fixed
            fn encode(&self, out: &mut #rt::encoding::OutputStream) {
                #(#writes)*
            }
        }

        #allow
        impl #rt::encoding::Decode for #name {
            #fixed
            fn decode(input: &mut #rt::encoding::InputStream<'_>) -> #res<Self, #rt::encoding::MarshalError> {
                #unused_input
                Ok(#name { #(#reads,)* })
            }
        }
    }
}
