//! `--impl`: a servant skeleton to start from, one `impl` per interface of the file, every
//! method answering a runtime error saying it is not implemented yet.

use super::{interface, names, types, Ctx};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use slice_parser::model::{Definition, ModuleId};

/// The skeleton file for the main file of `ctx`.
pub fn file(ctx: &Ctx) -> TokenStream {
    let mut out = TokenStream::new();
    for &m in &ctx.model.top_level {
        walk(ctx, m, &mut out);
    }
    out
}

fn walk(ctx: &Ctx, id: ModuleId, out: &mut TokenStream) {
    let m = ctx.model;
    let module = &m.modules[id];
    for &d in &module.contents {
        match d {
            Definition::Module(sub) => walk(ctx, sub, out),
            Definition::Interface(i) => {
                let it = &m.interfaces[i];
                if it.local || !it.defined || !ctx.in_this_file(&it.info) {
                    continue;
                }
                ctx.within(Vec::new(), || out.extend(servant(ctx, i)));
            }
            _ => {}
        }
    }
}

fn servant(ctx: &Ctx, id: slice_parser::model::InterfaceId) -> TokenStream {
    let m = ctx.model;
    let it = &m.interfaces[id];
    let rt = ctx.rt();
    let name = format_ident!("{}I", it.info.name);
    let mut impls = Vec::new();
    let mut owners: Vec<slice_parser::model::InterfaceId> = m.all_interface_bases(id);
    owners.push(id);
    for owner in owners {
        let oi = &m.interfaces[owner];
        if !oi.defined {
            continue;
        }
        let tr = ctx.path(&oi.info, &oi.info.name);
        let methods = oi.operations.iter().map(|op| {
            let f = names::ident(&names::snake(&op.info.name));
            let params = op.in_params().map(|p| {
                let n = format_ident!("_{}", names::snake(&p.info.name));
                let t = if p.tag.is_some() { types::optional(ctx, p.ty) } else { types::rust(ctx, p.ty) };
                quote!(#n: #t)
            });
            let t = interface::result_type(ctx, op);
            let e = interface::error_type(ctx, owner, op);
            let msg = format!("{} is not implemented yet", op.info.name);
            quote! {
                fn #f(&self, #(#params,)* _current: &#rt::dispatch::Current) -> #rt::dispatch::Dispatch<#t, #e> {
                    #rt::dispatch::Dispatch::err(#rt::Error::Other(#msg.into()).into())
                }
            }
        });
        impls.push(quote! {
            impl #tr for #name {
                #(#methods)*
            }
        });
    }
    let doc = format!(" A servant for `{}`: fill in the methods.", it.info.scoped);
    quote! {
        #[doc = #doc]
        #[derive(Debug, Default)]
        pub struct #name;
        #(#impls)*
    }
}
