//! Modules: `module A` → `pub mod a`, nested; a module reopened across files gets the
//! definitions of this file only.

use super::{alias, names};
use super::{class, constant, docs, enumeration, exception, interface, structure, Ctx};
use proc_macro2::TokenStream;
use quote::quote;
use slice_parser::model::{Definition, ModuleId};

/// The whole file: the top-level modules with content from this file, and the class
/// registration function when the file defines classes or exceptions.
pub fn file(ctx: &Ctx) -> TokenStream {
    let mut out = TokenStream::new();
    for &m in &ctx.model.top_level {
        out.extend(module(ctx, m));
    }
    out.extend(register_classes(ctx));
    out
}

/// The classes generated into this file.
pub fn file_classes(ctx: &Ctx) -> Vec<slice_parser::model::ClassId> {
    ctx.model
        .classes
        .iter()
        .filter(|(_, c)| {
            c.defined && !c.local && ctx.in_this_file(&c.info) && !ctx.provided_by_runtime(&c.info)
        })
        .map(|(id, _)| id)
        .collect()
}

/// `register_classes()` at the file's root: registers the file's classes with the runtime's
/// value factories once (generated servants and proxies call it before decoding classes).
fn register_classes(ctx: &Ctx) -> TokenStream {
    let classes = file_classes(ctx);
    if classes.is_empty() {
        return TokenStream::new();
    }
    let rt = ctx.rt();
    let paths = ctx.within(Vec::new(), || {
        classes
            .iter()
            .map(|c| {
                let i = &ctx.model.classes[*c].info;
                ctx.path(i, &i.name)
            })
            .collect::<Vec<_>>()
    });
    quote! {
        /// Registers the classes of this Slice file with the runtime's value factories, so
        /// that an instance of a derived class arriving where a base class is expected is
        /// decoded as itself. The generated servants and proxies of this file call it; classes
        /// of included files are registered by their own file's `register_classes`.
        pub fn register_classes() {
            static ONCE: ::std::sync::Once = ::std::sync::Once::new();
            ONCE.call_once(|| {
                #(#rt::encoding::register_class::<#paths>();)*
            });
        }
    }
}

fn module(ctx: &Ctx, id: ModuleId) -> TokenStream {
    let m = &ctx.model.modules[id];
    let scoped: Vec<String> = m
        .info
        .scoped
        .split("::")
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let body = ctx.within(scoped, || {
        let mut body = TokenStream::new();
        for &d in &m.contents {
            body.extend(definition(ctx, d));
        }
        body
    });
    if body.is_empty() {
        return body;
    }
    let snake = names::snake(&m.info.name);
    let name = names::ident(&snake);
    // `mod classes { mod classes { .. } }` when the file is mounted under its own name.
    let inception = (m.parent.is_none() && ctx.mount_name().as_deref() == Some(snake.as_str()))
        .then(|| quote!(#[allow(clippy::module_inception)]));
    let doc = docs::item(&m.info);
    quote! {
        #doc
        #inception
        pub mod #name {
            #body
        }
    }
}

fn definition(ctx: &Ctx, d: Definition) -> TokenStream {
    if let Definition::Module(sub) = d {
        return module(ctx, sub);
    }
    let model = ctx.model;
    let info = model.info(d);
    if !ctx.in_this_file(info) || ctx.provided_by_runtime(info) {
        return TokenStream::new();
    }
    match d {
        Definition::Module(_) => TokenStream::new(),
        Definition::Struct(i) if !model.structs[i].local => structure::emit(ctx, i),
        Definition::Enum(i) if !model.enums[i].local => enumeration::emit(ctx, i),
        Definition::Sequence(i) if !model.sequences[i].local => alias::sequence(ctx, i),
        Definition::Dictionary(i) if !model.dictionaries[i].local => alias::dictionary(ctx, i),
        Definition::Const(i) => constant::emit(ctx, i),
        Definition::Exception(i) if !model.exceptions[i].local => exception::emit(ctx, i),
        Definition::Class(i) if !model.classes[i].local && model.classes[i].defined => {
            class::emit(ctx, i)
        }
        Definition::Interface(i) if !model.interfaces[i].local && model.interfaces[i].defined => {
            interface::emit(ctx, i)
        }
        _ => TokenStream::new(),
    }
}
