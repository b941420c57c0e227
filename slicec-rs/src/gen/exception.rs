//! Exceptions: a struct with the fields of every base (base first), `Display`,
//! `std::error::Error`, and the runtime's `UserException` (slices most derived first).

use super::structure::{defaults, field_names, fields, uses_deprecated};
use super::{docs, names, types, Ctx};
use proc_macro2::{Ident, Literal, TokenStream};
use quote::quote;
use slice_parser::model::{DataMember, ExceptionId};

/// Writes and reads one slice's members: required ones in order, then optional ones by tag
/// (with the slice-aware optional calls of classes and exceptions).
pub fn slice_members(
    ctx: &Ctx,
    members: &[(&DataMember, Ident)],
    target: TokenStream,
) -> (Vec<TokenStream>, Vec<TokenStream>) {
    let mut ordered: Vec<&(&DataMember, Ident)> =
        members.iter().filter(|(m, _)| m.tag.is_none()).collect();
    let mut tagged: Vec<&(&DataMember, Ident)> =
        members.iter().filter(|(m, _)| m.tag.is_some()).collect();
    tagged.sort_by_key(|(m, _)| m.tag);
    ordered.extend(tagged);
    let mut writes = Vec::new();
    let mut reads = Vec::new();
    for (m, f) in ordered {
        match m.tag {
            None => {
                writes.push(quote!(out.write(&#target.#f);));
                reads.push(quote!(#target.#f = input.read()?;));
            }
            Some(tag) => {
                let tag = Literal::u32_unsuffixed(tag.max(0) as u32);
                if types::is_class_ref(m.ty) {
                    let t = types::rust(ctx, m.ty);
                    writes.push(quote!(out.write_optional_member(#tag, #target.#f.as_ref());));
                    reads.push(
                        quote!(#target.#f = input.read_optional_member::<#t>(#tag)?.flatten();),
                    );
                } else {
                    writes.push(quote!(out.write_optional_member(#tag, #target.#f.as_ref());));
                    reads.push(quote!(#target.#f = input.read_optional_member(#tag)?;));
                }
            }
        }
    }
    (writes, reads)
}

/// Whether the exception or a base has `["preserve-slice"]`.
pub fn preserves(ctx: &Ctx, id: ExceptionId) -> bool {
    let m = ctx.model;
    std::iter::once(id)
        .chain(m.exception_bases(id))
        .any(|e| m.exceptions[e].info.has_metadata("preserve-slice"))
}

/// Emits one exception.
pub fn emit(ctx: &Ctx, id: ExceptionId) -> TokenStream {
    let m = ctx.model;
    let e = &m.exceptions[id];
    let rt = ctx.rt();
    let res = ctx.std("Result");
    let opt = ctx.std("Option");
    let doc = docs::item(&e.info);
    let name = names::ident(&e.info.name);
    let members = m.all_exception_members(id);
    let idents = field_names(&members);
    let mut fields = fields(ctx, &members, &idents);
    let preserve = preserves(ctx, id);
    if preserve {
        fields.push(quote! {
            /// Slices of unknown derived exceptions, kept to be sent on.
            pub ice_sliced_data: #opt<#rt::encoding::SlicedData>
        });
    }
    let defaults = defaults(ctx, &members, &idents);
    let derive_default = if defaults.is_none() {
        quote!(Default,)
    } else {
        quote!()
    };
    let allow = if e.info.deprecated().is_some() || uses_deprecated(ctx, &members) {
        quote!(#[allow(deprecated)])
    } else {
        quote!()
    };
    let default_impl = defaults.map(|mut inits| {
        if preserve {
            inits.push(quote!(ice_sliced_data: None));
        }
        quote! {
            #allow
            impl Default for #name {
                fn default() -> Self {
                    #name { #(#inits,)* }
                }
            }
        }
    });
    // The slices, most derived first; each level writes its own members.
    let mut chain = vec![id];
    chain.extend(m.exception_bases(id));
    let mut offset = members.len();
    let mut writes = Vec::new();
    let mut reads = Vec::new();
    for (i, &level) in chain.iter().enumerate() {
        let own = &m.exceptions[level].members;
        offset -= own.len().min(offset);
        let pairs: Vec<(&DataMember, Ident)> = own
            .iter()
            .zip(idents.iter().skip(offset).cloned())
            .collect();
        let (w, r) = slice_members(ctx, &pairs, quote!(self));
        let type_id = &m.exceptions[level].info.scoped;
        let last = i + 1 == chain.len();
        writes.push(quote! {
            out.start_slice(#type_id, None, #last);
            #(#w)*
            out.end_slice();
        });
        reads.push(quote! {
            input.start_slice()?;
            #(#r)*
            input.end_slice()?;
        });
    }
    let type_id = &e.info.scoped;
    let case = names::allow_case([e.info.name.as_str()]);
    let uses_classes = members.iter().any(|x| m.uses_classes(x.ty));
    let uses_classes_fn = uses_classes.then(|| {
        quote!(
            fn ice_uses_classes(&self) -> bool {
                true
            }
        )
    });
    let sliced = preserve.then(|| {
        quote! {
            fn ice_sliced_data(&self) -> #opt<&#rt::encoding::SlicedData> {
                self.ice_sliced_data.as_ref()
            }
            fn ice_set_sliced_data(&mut self, data: #rt::encoding::SlicedData) {
                self.ice_sliced_data = Some(data);
            }
        }
    });
    quote! {
        #doc
        #[derive(Clone, Debug, #derive_default PartialEq)]
        #case
        pub struct #name {
            #(#fields,)*
        }

        #default_impl

        #allow
        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(#type_id)
            }
        }

        #allow
        impl ::std::error::Error for #name {}

        #allow
        impl #rt::encoding::UserException for #name {
            fn ice_id(&self) -> &'static str {
                #type_id
            }
            fn ice_write_slices(&self, out: &mut #rt::encoding::OutputStream) {
                #(#writes)*
            }
            fn ice_read_slices(&mut self, input: &mut #rt::encoding::InputStream<'_>) -> #res<(), #rt::encoding::MarshalError> {
                #(#reads)*
                Ok(())
            }
            #uses_classes_fn
            #sliced
        }
    }
}
