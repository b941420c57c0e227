//! Sequences and dictionaries: type aliases (`Vec<T>`, `HashMap<K, V>`). The runtime's
//! `Encode`/`Decode` for `Vec` copy fixed-size elements in bulk.

use super::{docs, names, types, Ctx};
use proc_macro2::TokenStream;
use quote::quote;
use slice_parser::model::{DictionaryId, SequenceId};

/// `sequence<T> S;` → `pub type S = Vec<T>;`.
pub fn sequence(ctx: &Ctx, id: SequenceId) -> TokenStream {
    let s = &ctx.model.sequences[id];
    let doc = docs::item(&s.info);
    let name = names::ident(&s.info.name);
    let e = types::rust(ctx, s.element);
    let vec = ctx.std("Vec");
    let case = names::allow_case([s.info.name.as_str()]);
    quote! {
        #doc
        #case
        pub type #name = #vec<#e>;
    }
}

/// `dictionary<K, V> D;` → `pub type D = HashMap<K, V>;`.
pub fn dictionary(ctx: &Ctx, id: DictionaryId) -> TokenStream {
    let d = &ctx.model.dictionaries[id];
    let doc = docs::item(&d.info);
    let name = names::ident(&d.info.name);
    let k = types::rust(ctx, d.key);
    let v = types::rust(ctx, d.value);
    let case = names::allow_case([d.info.name.as_str()]);
    quote! {
        #doc
        #case
        pub type #name = ::std::collections::HashMap<#k, #v>;
    }
}
