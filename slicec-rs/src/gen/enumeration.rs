//! Enums: `#[repr(i32)]` with the Slice values; an unknown value on the wire is a
//! `MarshalError`; the first enumerator is the `Default`.

use super::{docs, names, Ctx};
use proc_macro2::{Literal, TokenStream};
use quote::quote;
use slice_parser::model::EnumId;

/// Emits one enum with its `Encode`/`Decode`.
pub fn emit(ctx: &Ctx, id: EnumId) -> TokenStream {
    let e = &ctx.model.enums[id];
    let doc = docs::item(&e.info);
    let name = names::ident(&e.info.name);
    let rt = ctx.rt();
    let max = Literal::i32_unsuffixed(e.max_value());
    let variants = e.enumerators.iter().enumerate().map(|(i, x)| {
        let d = docs::item(&x.info);
        let v = names::ident(&x.info.name);
        let val = Literal::i32_unsuffixed(x.value);
        let default = if i == 0 { quote!(#[default]) } else { quote!() };
        quote!(#d #default #v = #val)
    });
    let arms = e.enumerators.iter().map(|x| {
        let v = names::ident(&x.info.name);
        let val = Literal::i32_unsuffixed(x.value);
        quote!(#val => #name::#v)
    });
    let allow = if e.info.deprecated().is_some() {
        quote!(#[allow(deprecated)])
    } else {
        quote!()
    };
    let type_id = &e.info.scoped;
    let case = names::allow_case(
        std::iter::once(e.info.name.as_str())
            .chain(e.enumerators.iter().map(|x| x.info.name.as_str())),
    );
    let res = ctx.std("Result");
    let default_derive = if e.enumerators.is_empty() {
        quote!()
    } else {
        quote!(Default,)
    };
    quote! {
        #doc
        #[derive(Clone, Copy, Debug, #default_derive PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(i32)]
        #case
        pub enum #name {
            #(#variants,)*
        }

        #allow
        impl #rt::encoding::Encode for #name {
            const OPTIONAL_FORMAT: #rt::encoding::OptionalFormat = #rt::encoding::OptionalFormat::Size;
            fn encode(&self, out: &mut #rt::encoding::OutputStream) {
                out.write_enum(*self as i32, #max);
            }
        }

        #allow
        impl #rt::encoding::Decode for #name {
            const OPTIONAL_FORMAT: #rt::encoding::OptionalFormat = #rt::encoding::OptionalFormat::Size;
            fn decode(input: &mut #rt::encoding::InputStream<'_>) -> #res<Self, #rt::encoding::MarshalError> {
                let pos = input.pos();
                Ok(match input.read_enum(#max)? {
                    #(#arms,)*
                    other => return Err(#rt::encoding::MarshalError::new(
                        pos,
                        format!("{} is not an enumerator of {}", other, #type_id),
                    )),
                })
            }
        }
    }
}
