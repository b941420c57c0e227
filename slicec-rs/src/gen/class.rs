//! Classes: a struct holding its own members and, for a derived class, its base class as the
//! field `base` (with `Deref`/`DerefMut` to it); shared by handle through the runtime's
//! `Value<T>` (null is `None`, cycles allowed); compact ids; optional members;
//! `["preserve-slice"]`. Operations on classes (deprecated in Slice) are not generated.

use super::exception::slice_members;
use super::structure::{defaults, field_names, fields, uses_deprecated};
use super::{docs, names, Ctx};
use proc_macro2::{Ident, Literal, TokenStream};
use quote::quote;
use slice_parser::model::{ClassId, DataMember};

/// Whether the class or a base has `["preserve-slice"]`.
fn preserves(ctx: &Ctx, id: ClassId) -> bool {
    let m = ctx.model;
    std::iter::once(id)
        .chain(m.class_bases(id))
        .any(|c| m.classes[c].info.has_metadata("preserve-slice"))
}

/// The name of the field holding the base class.
pub fn base_field(ctx: &Ctx, id: ClassId) -> Ident {
    let own = &ctx.model.classes[id].members;
    if own.iter().any(|m| names::snake(&m.info.name) == "base") {
        names::ident("ice_base")
    } else {
        names::ident("base")
    }
}

/// Emits one class.
pub fn emit(ctx: &Ctx, id: ClassId) -> TokenStream {
    let m = ctx.model;
    let c = &m.classes[id];
    let rt = ctx.rt();
    let res = ctx.std("Result");
    let opt = ctx.std("Option");
    let doc = docs::item(&c.info);
    let name = names::ident(&c.info.name);
    let members: Vec<&DataMember> = c.members.iter().collect();
    let idents = field_names(&members);
    let mut field_decls = Vec::new();
    let base = c.base.filter(|b| m.classes[*b].defined);
    let bf = base_field(ctx, id);
    let base_path = base.map(|b| {
        let i = &m.classes[b].info;
        ctx.path(i, &i.name)
    });
    if let Some(bp) = &base_path {
        field_decls.push(quote!(#[doc = " The members of the base class."] pub #bf: #bp));
    }
    field_decls.extend(fields(ctx, &members, &idents));
    let preserve = preserves(ctx, id);
    let own_sliced = preserve && base.is_none_or(|b| !preserves(ctx, b));
    if own_sliced {
        field_decls.push(quote! {
            /// Slices of unknown derived classes, kept to be sent on.
            pub ice_sliced_data: #opt<#rt::encoding::SlicedData>
        });
    }
    let all_members = m.all_class_members(id);
    let allow = if c.info.deprecated().is_some() || uses_deprecated(ctx, &all_members) {
        quote!(#[allow(deprecated)])
    } else {
        quote!()
    };
    let defaults = defaults(ctx, &members, &idents);
    let derive_default = if defaults.is_none() {
        quote!(Default,)
    } else {
        quote!()
    };
    let default_impl = defaults.map(|mut inits| {
        if base.is_some() {
            inits.insert(0, quote!(#bf: Default::default()));
        }
        if own_sliced {
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
    let pairs: Vec<(&DataMember, Ident)> = members
        .iter()
        .copied()
        .zip(idents.iter().cloned())
        .collect();
    let (writes, reads) = slice_members(ctx, &pairs, quote!(self));
    let last = base.is_none();
    let write_base = base.map(|_| quote!(#rt::encoding::AnyValue::ice_write(&self.#bf, out);));
    let read_base = match base {
        Some(_) => quote!(#rt::encoding::AnyValue::ice_read(&mut self.#bf, input)),
        None => quote!(Ok(())),
    };
    let mut ids: Vec<String> = std::iter::once(id)
        .chain(m.class_bases(id))
        .map(|c| m.classes[c].info.scoped.clone())
        .collect();
    ids.push("::Ice::Object".into());
    ids.sort();
    ids.dedup();
    let type_id = &c.info.scoped;
    let case = names::allow_case([c.info.name.as_str()]);
    let compact = c.compact_id.map(|n| {
        let n = Literal::i32_unsuffixed(n);
        quote!(const COMPACT_ID: #opt<i32> = Some(#n);)
    });
    let upcast = match base {
        Some(_) => quote!(#rt::ice_upcast_derived!(#bf);),
        None => quote!(#rt::ice_upcast_root!();),
    };
    let sliced = if own_sliced {
        quote! {
            fn ice_sliced_data(&self) -> #opt<&#rt::encoding::SlicedData> {
                self.ice_sliced_data.as_ref()
            }
            fn ice_set_sliced_data(&mut self, data: #rt::encoding::SlicedData) {
                self.ice_sliced_data = Some(data);
            }
        }
    } else if preserve {
        quote! {
            fn ice_sliced_data(&self) -> #opt<&#rt::encoding::SlicedData> {
                #rt::encoding::AnyValue::ice_sliced_data(&self.#bf)
            }
            fn ice_set_sliced_data(&mut self, data: #rt::encoding::SlicedData) {
                #rt::encoding::AnyValue::ice_set_sliced_data(&mut self.#bf, data);
            }
        }
    } else {
        quote!()
    };
    let deref = base_path.as_ref().map(|bp| {
        let ancestors = m
            .class_bases(id)
            .into_iter()
            .filter(|b| m.classes[*b].defined)
            .map(|b| {
                let i = &m.classes[b].info;
                ctx.path(i, &i.name)
            });
        quote! {
            #allow
            impl ::std::ops::Deref for #name {
                type Target = #bp;
                fn deref(&self) -> &#bp {
                    &self.#bf
                }
            }

            #allow
            impl ::std::ops::DerefMut for #name {
                fn deref_mut(&mut self) -> &mut #bp {
                    &mut self.#bf
                }
            }

            #(
                #allow
                impl #rt::encoding::Extends<#ancestors> for #name {}
            )*
        }
    });
    quote! {
        #doc
        #[derive(Clone, Debug, #derive_default PartialEq)]
        #case
        pub struct #name {
            #(#field_decls,)*
        }

        #default_impl
        #deref

        #allow
        impl #rt::encoding::Class for #name {
            const ICE_ID: &'static str = #type_id;
            #compact
        }

        #allow
        impl #rt::encoding::AnyValue for #name {
            fn ice_id(&self) -> &str {
                #type_id
            }
            fn ice_ids(&self) -> &'static [&'static str] {
                &[#(#ids),*]
            }
            fn ice_write(&self, out: &mut #rt::encoding::OutputStream) {
                out.start_slice(#type_id, <Self as #rt::encoding::Class>::COMPACT_ID, #last);
                #(#writes)*
                out.end_slice();
                #write_base
            }
            fn ice_read(&mut self, input: &mut #rt::encoding::InputStream<'_>) -> #res<(), #rt::encoding::MarshalError> {
                input.start_slice()?;
                #(#reads)*
                input.end_slice()?;
                #read_base
            }
            #upcast
            #sliced
        }
    }
}
