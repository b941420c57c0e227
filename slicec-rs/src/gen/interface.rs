//! Interfaces: the servant trait (`I: J`, methods returning `Dispatch<T, E>` and taking
//! `&Current`), the servant wrapper implementing the runtime's `Servant` (the dispatch
//! function), the typed proxy `IPrx` (async methods that marshal at once), and the error
//! enum of each operation with a throws clause.
//!
//! An operation's error enum has one variant per declared exception and per exception the
//! compiler sees that derives from a declared one (so a derived exception keeps its concrete
//! type), plus `Ice(ice_runtime::Error)`. A servant cannot return any other exception: that
//! is a type error. Its name is `<Operation>Error`; when that collides with a Slice type
//! or with another interface's operation of the same name in the module, it is
//! `<Interface><Operation>Error` (then `_` is appended while it still collides).
//!
//! Metadata: `idempotent` (and `["nonmutating"]`) set the mode sent and checked;
//! `["format:sliced"]` and `["format:compact"]` (on the operation, else on the interface)
//! choose the class format of the parameters, results and user exceptions over the
//! communicator's `Ice.Default.SlicedFormat`;
//! `["amd"]` is accepted with no effect (every method may answer now or later);
//! `["marshaled-result"]` is accepted with no effect: a result is moved into the
//! `Dispatch`, so nothing can change it before it is marshaled (`Ready` results are marshaled
//! on the dispatch thread at once, `Pending` ones by whoever completes them).
//! `["deprecate"]` gives `#[deprecated]` on the servant method and the proxy method.
//! Proxy methods named like the generated `checked_cast`, `unchecked_cast`,
//! `as_object_prx` or the `ice_*` factories would clash: Slice reserves `ice`, the others
//! are the user's to avoid.

use super::{docs, names, types, Ctx};
use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};
use slice_parser::model::{ExceptionId, InterfaceId, Operation, Parameter, Type};

/// The name of the error enum of operation `op` of `iface` (see the module docs).
pub fn error_name(ctx: &Ctx, iface: InterfaceId, op: &Operation) -> String {
    let m = ctx.model;
    let it = &m.interfaces[iface];
    let module = it.info.scoped.rsplit_once("::").map_or("", |(a, _)| a);
    let simple = format!("{}Error", names::pascal(&op.info.name));
    let clash_type = m.find(&format!("{module}::{simple}")).is_some();
    let clash_op = m.interfaces.iter().any(|(other, o)| {
        other != iface
            && o.defined
            && !o.local
            && o.info.scoped.rsplit_once("::").map_or("", |(a, _)| a) == module
            && o.operations
                .iter()
                .any(|x| !x.throws.is_empty() && x.info.name == op.info.name)
    });
    if !clash_type && !clash_op {
        return simple;
    }
    let mut name = format!("{}{}Error", it.info.name, names::pascal(&op.info.name));
    while m.find(&format!("{module}::{name}")).is_some() {
        name.push('_');
    }
    name
}

/// The exceptions an operation may raise: the declared ones and every exception of the
/// model derived from one of them, each once, declared first.
pub fn raisable(ctx: &Ctx, op: &Operation) -> Vec<ExceptionId> {
    let m = ctx.model;
    let mut out: Vec<ExceptionId> = Vec::new();
    for &t in &op.throws {
        if !out.contains(&t) && !m.exceptions[t].local {
            out.push(t);
        }
    }
    for (e, ex) in m.exceptions.iter() {
        if ex.local || out.contains(&e) {
            continue;
        }
        if m.exception_bases(e).iter().any(|b| op.throws.contains(b)) {
            out.push(e);
        }
    }
    out
}

/// The error type of an operation, from the current module.
pub fn error_type(ctx: &Ctx, iface: InterfaceId, op: &Operation) -> TokenStream {
    if op.throws.is_empty() {
        let rt = ctx.rt();
        quote!(#rt::Error)
    } else {
        ctx.path(
            &ctx.model.interfaces[iface].info,
            &error_name(ctx, iface, op),
        )
    }
}

/// The results of an operation: `(type, tag)` of the return value then of each out-param.
fn results(op: &Operation) -> Vec<(Type, Option<i32>)> {
    op.return_type
        .map(|t| (t, op.return_tag))
        .into_iter()
        .chain(op.out_params().map(|p| (p.ty, p.tag)))
        .collect()
}

/// The Rust result type `T` of an operation.
pub fn result_type(ctx: &Ctx, op: &Operation) -> TokenStream {
    let ts: Vec<TokenStream> = results(op)
        .into_iter()
        .map(|(t, tag)| value_type(ctx, t, tag))
        .collect();
    match ts.as_slice() {
        [] => quote!(()),
        [one] => one.clone(),
        many => quote!((#(#many),*)),
    }
}

fn value_type(ctx: &Ctx, ty: Type, tag: Option<i32>) -> TokenStream {
    if tag.is_some() {
        types::optional(ctx, ty)
    } else {
        types::rust(ctx, ty)
    }
}

/// Parameter names of an operation (snake case, unique, `current` reserved).
fn param_names(op: &Operation) -> Vec<String> {
    let mut all = vec!["current".to_string()];
    all.extend(op.params.iter().map(|p| names::snake(&p.info.name)));
    names::unique(all).into_iter().skip(1).collect()
}

/// Writes values in Ice's parameter order: required ones as given, then tagged ones sorted by
/// tag. `items` are (type, tag, expression of a reference to the value).
fn write_values(
    ctx: &Ctx,
    items: Vec<(Type, Option<i32>, TokenStream)>,
    out: &Ident,
) -> TokenStream {
    let mut ordered: Vec<_> = items.iter().filter(|i| i.1.is_none()).collect();
    let mut tagged: Vec<_> = items.iter().filter(|i| i.1.is_some()).collect();
    tagged.sort_by_key(|i| i.1);
    ordered.extend(tagged);
    let _ = ctx;
    let w = ordered.into_iter().map(|(_, tag, e)| match tag {
        None => quote!(#out.write(#e);),
        Some(t) => {
            let t = Literal::u32_unsuffixed((*t).max(0) as u32);
            quote!(#out.write_optional(#t, #e);)
        }
    });
    quote!(#(#w)*)
}

/// Reads values in Ice's parameter order into locals named `vars`.
fn read_values(ctx: &Ctx, items: &[(Type, Option<i32>, Ident)], input: &Ident) -> TokenStream {
    let mut ordered: Vec<_> = items.iter().filter(|i| i.1.is_none()).collect();
    let mut tagged: Vec<_> = items.iter().filter(|i| i.1.is_some()).collect();
    tagged.sort_by_key(|i| i.1);
    ordered.extend(tagged);
    let r = ordered.into_iter().map(|(ty, tag, v)| match tag {
        None => {
            let t = types::rust(ctx, *ty);
            quote!(let #v: #t = #input.read()?;)
        }
        Some(tag) => {
            let tg = Literal::u32_unsuffixed((*tag).max(0) as u32);
            let t = types::rust(ctx, *ty);
            if types::is_class_ref(*ty) {
                quote!(let #v: #t = #input.read_optional::<#t>(#tg)?.flatten();)
            } else {
                {
                    let opt = ctx.std("Option");
                    quote!(let #v: #opt<#t> = #input.read_optional(#tg)?;)
                }
            }
        }
    });
    quote!(#(#r)*)
}

fn uses_classes(ctx: &Ctx, items: &[(Type, Option<i32>)]) -> bool {
    items.iter().any(|(t, _)| ctx.model.uses_classes(*t))
}

/// The class format `["format:compact"]` or `["format:sliced"]` (on the operation, else on
/// its interface) asks for; `None` for `["format:default"]` or none (the communicator's
/// `Ice.Default.SlicedFormat` then).
fn class_format(ctx: &Ctx, iface: InterfaceId, op: &Operation) -> Option<TokenStream> {
    let rt = ctx.rt();
    match op.format(&ctx.model.interfaces[iface].info) {
        Some("sliced") => Some(quote!(#rt::encoding::Format::Sliced)),
        Some("compact") => Some(quote!(#rt::encoding::Format::Compact)),
        _ => None,
    }
}

/// Emits one interface.
pub fn emit(ctx: &Ctx, id: InterfaceId) -> TokenStream {
    let m = ctx.model;
    let it = &m.interfaces[id];
    let mut out = TokenStream::new();
    for op in &it.operations {
        if !op.throws.is_empty() {
            out.extend(error_enum(ctx, id, op));
        }
    }
    out.extend(servant_trait(ctx, id));
    out.extend(servant_dispatch(ctx, id));
    out.extend(proxy(ctx, id));
    out
}

fn error_enum(ctx: &Ctx, iface: InterfaceId, op: &Operation) -> TokenStream {
    let m = ctx.model;
    let rt = ctx.rt();
    let opt = ctx.std("Option");
    let bx = ctx.std("Box");
    let name = format_ident!("{}", error_name(ctx, iface, op));
    let exs = raisable(ctx, op);
    let variant_names = names::unique(exs.iter().map(|e| m.exceptions[*e].info.name.clone()));
    let variants: Vec<Ident> = variant_names.iter().map(|v| names::ident(v)).collect();
    let paths: Vec<TokenStream> = exs
        .iter()
        .map(|e| {
            let i = &m.exceptions[*e].info;
            ctx.path(i, &i.name)
        })
        .collect();
    let ids: Vec<&String> = exs.iter().map(|e| &m.exceptions[*e].info.scoped).collect();
    let case = names::allow_case(variant_names.iter().map(String::as_str));
    let doc = docs::line(&format!(
        "The errors of `{}`: the exceptions it may raise, or a runtime error.",
        op.info.name
    ));
    let vdocs = ids
        .iter()
        .map(|i| docs::line(&format!("The user exception `{i}`.")));
    let allow = if exs
        .iter()
        .any(|e| m.exceptions[*e].info.deprecated().is_some())
    {
        quote!(#[allow(deprecated)])
    } else {
        quote!()
    };
    quote! {
        #doc
        #[derive(Debug)]
        #allow
        #case
        pub enum #name {
            #(#vdocs #variants(#paths),)*
            /// A runtime error (connection failure, `ObjectNotExistException`, ...).
            Ice(#rt::Error),
        }

        #allow
        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                match self {
                    #(#name::#variants(e) => ::std::fmt::Display::fmt(e, f),)*
                    #name::Ice(e) => ::std::fmt::Display::fmt(e, f),
                }
            }
        }

        #allow
        impl ::std::error::Error for #name {}

        #allow
        impl From<#rt::Error> for #name {
            fn from(e: #rt::Error) -> Self {
                #name::Ice(e)
            }
        }

        #(
            #allow
            impl From<#paths> for #name {
                fn from(e: #paths) -> Self {
                    #name::#variants(e)
                }
            }
        )*

        #allow
        impl #rt::dispatch::DispatchError for #name {
            fn error_reply(&self) -> #rt::dispatch::ErrorReply<'_> {
                match self {
                    #(#name::#variants(e) => #rt::dispatch::ErrorReply::User(e),)*
                    #name::Ice(e) => #rt::dispatch::ErrorReply::Runtime(e),
                }
            }
        }

        #allow
        impl #rt::slice::OperationError for #name {
            fn ice_create(type_id: &str) -> #opt<#bx<dyn #rt::encoding::UserException>> {
                match type_id {
                    #(#ids => Some(#bx::new(<#paths>::default())),)*
                    _ => None,
                }
            }
            fn ice_from_user_exception(exception: #bx<dyn #rt::encoding::UserException>) -> Self {
                #(
                    let exception = match exception.downcast::<#paths>() {
                        Ok(e) => return #name::#variants(*e),
                        Err(other) => other,
                    };
                )*
                #name::Ice(#rt::slice::unknown_user_exception(exception.as_ref()))
            }
        }

        #allow
        impl #name {
            /// The error as a boxed user exception, when it is one.
            pub fn user_exception(&self) -> #opt<&dyn #rt::encoding::UserException> {
                match self {
                    #(#name::#variants(e) => Some(e),)*
                    #name::Ice(_) => None,
                }
            }
        }
    }
}

fn op_deprecated(ctx: &Ctx, iface: InterfaceId, op: &Operation) -> bool {
    op.info.deprecated().is_some()
        || ctx.model.interfaces[iface].info.deprecated().is_some()
        || op.params.iter().any(|p| types::is_deprecated(ctx, p.ty))
        || op.return_type.is_some_and(|t| types::is_deprecated(ctx, t))
}

/// `emit` for every operation of the interface and its bases, with `#[allow(deprecated)]`
/// when one of them uses something deprecated.
fn each_operation(
    ctx: &Ctx,
    id: InterfaceId,
    emit: impl Fn(&Ctx, InterfaceId, &Operation) -> TokenStream,
) -> (Vec<TokenStream>, TokenStream) {
    let mut any_deprecated = false;
    let items = ctx
        .model
        .all_interface_operations(id)
        .into_iter()
        .map(|(owner, op)| {
            any_deprecated |= op_deprecated(ctx, owner, op);
            emit(ctx, owner, op)
        })
        .collect();
    let allow = if any_deprecated {
        quote!(#[allow(deprecated)])
    } else {
        quote!()
    };
    (items, allow)
}

fn too_many(n: usize) -> TokenStream {
    if n > 7 {
        quote!(#[allow(clippy::too_many_arguments)])
    } else {
        quote!()
    }
}

fn servant_trait(ctx: &Ctx, id: InterfaceId) -> TokenStream {
    let m = ctx.model;
    let it = &m.interfaces[id];
    let rt = ctx.rt();
    let name = names::ident(&it.info.name);
    let doc = docs::item(&it.info);
    let bases = it
        .bases
        .iter()
        .filter(|b| m.interfaces[**b].defined)
        .map(|b| {
            let i = &m.interfaces[*b].info;
            ctx.path(i, &i.name)
        });
    let methods = it.operations.iter().map(|op| {
        let d = docs::operation(&op.info);
        let f = names::ident(&names::snake(&op.info.name));
        let pn = param_names(op);
        let params = op.params.iter().zip(&pn).filter(|(p, _)| !p.out).map(|(p, n)| {
            let n = names::ident(n);
            let t = value_type(ctx, p.ty, p.tag);
            quote!(#n: #t)
        });
        let t = result_type(ctx, op);
        let e = error_type(ctx, id, op);
        let many = too_many(op.in_params().count() + 2);
        quote! {
            #d
            #many
            fn #f(&self, #(#params,)* current: &#rt::dispatch::Current) -> #rt::dispatch::Dispatch<#t, #e>;
        }
    });
    let case = names::allow_case([it.info.name.as_str()]);
    let title = docs::line(&format!(
        "Servant trait of `{}`: implement it, wrap the servant in [`{}Servant`] and add it to an object adapter.",
        it.info.scoped, it.info.name
    ));
    let sep = if doc.is_empty() {
        quote!()
    } else {
        quote!(#[doc = ""])
    };
    quote! {
        #doc
        #sep
        #title
        #case
        pub trait #name: #(#bases +)* Send + Sync + 'static {
            #(#methods)*
        }
    }
}

fn servant_dispatch(ctx: &Ctx, id: InterfaceId) -> TokenStream {
    let m = ctx.model;
    let it = &m.interfaces[id];
    let rt = ctx.rt();
    let trait_name = names::ident(&it.info.name);
    let servant = format_ident!("{}Servant", it.info.name);
    let type_ids = m.interface_type_ids(id);
    let case = names::allow_case([it.info.name.as_str()]);
    let type_id = &it.info.scoped;
    let (arms, allow) = each_operation(ctx, id, dispatch_arm);
    let body = if arms.is_empty() {
        quote!(request.dispatch_builtin(self))
    } else {
        quote! {
            let servant = &*self.0;
            match request.operation() {
                #(#arms)*
                _ => request.dispatch_builtin(self),
            }
        }
    };
    let doc = docs::line(&format!(
        "Makes a [`{}`] implementation an Ice object: add `{}Servant::new(servant)` to an object adapter.",
        it.info.name, it.info.name
    ));
    quote! {
        #doc
        #case
        pub struct #servant<S: ?Sized + #trait_name = dyn #trait_name>(pub ::std::sync::Arc<S>);

        impl<S: #trait_name> #servant<S> {
            /// Wraps `servant` for an object adapter.
            #[allow(clippy::new_ret_no_self)]
            pub fn new(servant: S) -> ::std::sync::Arc<dyn #rt::dispatch::Servant> {
                ::std::sync::Arc::new(#servant(::std::sync::Arc::new(servant)))
            }
        }

        impl<S: ?Sized + #trait_name> #servant<S> {
            /// Wraps a shared servant for an object adapter.
            pub fn from_arc(servant: ::std::sync::Arc<S>) -> ::std::sync::Arc<dyn #rt::dispatch::Servant> {
                ::std::sync::Arc::new(#servant(servant))
            }
        }

        #allow
        impl<S: ?Sized + #trait_name> #rt::dispatch::Servant for #servant<S> {
            fn ice_ids(&self) -> &'static [&'static str] {
                &[#(#type_ids),*]
            }
            fn ice_id(&self) -> &'static str {
                #type_id
            }
            fn dispatch(&self, request: #rt::dispatch::Request) -> #rt::dispatch::Dispatched {
                #body
            }
        }
    }
}

fn mode(ctx: &Ctx, op: &Operation) -> TokenStream {
    let rt = ctx.rt();
    if op.idempotent {
        quote!(#rt::OperationMode::Idempotent)
    } else if op.info.has_metadata("nonmutating") {
        quote!(#rt::OperationMode::Nonmutating)
    } else {
        quote!(#rt::OperationMode::Normal)
    }
}

fn dispatch_arm(ctx: &Ctx, iface: InterfaceId, op: &Operation) -> TokenStream {
    let rt = ctx.rt();
    let wire = &op.info.name;
    let f = names::ident(&names::snake(&op.info.name));
    let pn = param_names(op);
    let ins: Vec<(&Parameter, Ident)> = op
        .params
        .iter()
        .zip(&pn)
        .filter(|(p, _)| !p.out)
        .map(|(p, n)| (p, format_ident!("p_{}", n.trim_start_matches("r#"))))
        .collect();
    let items: Vec<(Type, Option<i32>, Ident)> =
        ins.iter().map(|(p, v)| (p.ty, p.tag, v.clone())).collect();
    let input = format_ident!("input");
    let reads = read_values(ctx, &items, &input);
    let vars: Vec<&Ident> = ins.iter().map(|(_, v)| v).collect();
    let in_types: Vec<(Type, Option<i32>)> = ins.iter().map(|(p, _)| (p.ty, p.tag)).collect();
    let in_classes = uses_classes(ctx, &in_types);
    let needs_comm = in_classes || in_types.iter().any(|(t, _)| types::has_proxy(ctx, *t));
    let pending = in_classes.then(|| quote!(input.read_pending_values()?;));
    let register = if in_classes {
        ctx.register_call()
    } else {
        quote!()
    };
    let body = quote! {
        #register
        #reads
        #pending
        Ok((#(#vars,)*))
    };
    let decode = if needs_comm {
        quote! {
            |input| {
                #rt::slice::prepare_input(input, ice_communicator.as_ref());
                #rt::slice::with_communicator(ice_communicator.as_ref(), || { #body })
            }
        }
    } else if vars.is_empty() {
        quote!(|_| Ok(()))
    } else {
        quote!(|input| { #body })
    };
    let comm = needs_comm
        .then(|| quote!(let ice_communicator = request.current().adapter.communicator().cloned();));
    let pattern = if vars.is_empty() {
        quote!(())
    } else {
        quote!((#(#vars,)*))
    };
    // Results.
    let res = results(op);
    let rvars: Vec<Ident> = (0..res.len()).map(|i| format_ident!("r{}", i)).collect();
    let out_ident = format_ident!("ice_out");
    let mut wire_items: Vec<(Type, Option<i32>, TokenStream)> = Vec::new();
    let with_ret = op.return_type.is_some();
    for (i, ((t, tag), v)) in res.iter().zip(&rvars).enumerate() {
        let e = if tag.is_some() {
            quote!(#v.as_ref())
        } else {
            quote!(&#v)
        };
        if i == 0 && with_ret {
            continue;
        }
        wire_items.push((*t, *tag, e));
    }
    if let (true, Some((t, tag)), Some(v)) = (with_ret, res.first(), rvars.first()) {
        let e = if tag.is_some() {
            quote!(#v.as_ref())
        } else {
            quote!(&#v)
        };
        wire_items.push((*t, *tag, e));
    }
    let writes = write_values(ctx, wire_items, &out_ident);
    let out_classes = uses_classes(ctx, &res);
    let flush = out_classes.then(|| quote!(ice_out.write_pending_values();));
    let with_format = class_format(ctx, iface, op).map(|f| quote!(.with_format(#f)));
    let rpattern = match rvars.as_slice() {
        [] => quote!(()),
        [one] => quote!(#one),
        many => quote!((#(#many),*)),
    };
    let encode = if res.is_empty() {
        quote!(|_, ()| {})
    } else {
        quote!(|ice_out, #rpattern| { #writes #flush })
    };
    let md = mode(ctx, op);
    quote! {
        #wire => {
            #comm
            request #with_format .dispatch(
                #md,
                #decode,
                |#pattern, current| servant.#f(#(#vars,)* current),
                #encode,
            )
        }
    }
}

fn proxy(ctx: &Ctx, id: InterfaceId) -> TokenStream {
    let m = ctx.model;
    let it = &m.interfaces[id];
    let rt = ctx.rt();
    let prx = format_ident!("{}Prx", it.info.name);
    let type_id = &it.info.scoped;
    let case = names::allow_case([it.info.name.as_str()]);
    let (methods, allow) = each_operation(ctx, id, proxy_method);
    let bases: Vec<TokenStream> = m
        .all_interface_bases(id)
        .into_iter()
        .filter(|b| m.interfaces[*b].defined)
        .map(|b| {
            let i = &m.interfaces[b].info;
            ctx.path(i, &format!("{}Prx", i.name))
        })
        .collect();
    let doc = docs::line(&format!(
        "Typed proxy for `{type_id}`: cheap to clone; every call marshals at once and returns a `Send + 'static` future."
    ));
    quote! {
        #doc
        #[derive(Clone, Debug, PartialEq)]
        #case
        pub struct #prx(#rt::proxy::ObjectPrx);

        impl #rt::proxy::TypedProxy for #prx {
            const TYPE_ID: &'static str = #type_id;
            fn from_object_prx(proxy: #rt::proxy::ObjectPrx) -> Self {
                #prx(proxy)
            }
            fn as_object_prx(&self) -> &#rt::proxy::ObjectPrx {
                &self.0
            }
        }

        impl ::std::ops::Deref for #prx {
            type Target = #rt::proxy::ObjectPrx;
            fn deref(&self) -> &#rt::proxy::ObjectPrx {
                &self.0
            }
        }

        impl ::std::fmt::Display for #prx {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(&self.0, f)
            }
        }

        impl From<#prx> for #rt::proxy::ObjectPrx {
            fn from(p: #prx) -> Self {
                p.0
            }
        }

        #(
            impl From<#prx> for #bases {
                fn from(p: #prx) -> Self {
                    <#bases as #rt::proxy::TypedProxy>::from_object_prx(p.0)
                }
            }
        )*

        #allow
        impl #prx {
            /// The proxy for `proxy`'s object if it implements this interface (asks the
            /// server with `ice_isA`), else `None`.
            pub fn checked_cast(proxy: &#rt::proxy::ObjectPrx) -> impl ::std::future::Future<Output = ::std::result::Result<::std::option::Option<Self>, #rt::Error>> + Send + 'static {
                proxy.checked_cast::<Self>()
            }

            /// The proxy for `proxy`'s object, without asking the server.
            pub fn unchecked_cast(proxy: &#rt::proxy::ObjectPrx) -> Self {
                #prx(proxy.clone())
            }

            /// The untyped proxy.
            pub fn as_object_prx(&self) -> &#rt::proxy::ObjectPrx {
                &self.0
            }

            #rt::typed_proxy_factories!();

            #(#methods)*
        }
    }
}

fn proxy_method(ctx: &Ctx, iface: InterfaceId, op: &Operation) -> TokenStream {
    let rt = ctx.rt();
    let wire = &op.info.name;
    let d = docs::operation(&op.info);
    let f = names::ident(&names::snake(&op.info.name));
    let pn = param_names(op);
    let ins: Vec<(&Parameter, Ident)> = op
        .params
        .iter()
        .zip(&pn)
        .filter(|(p, _)| !p.out)
        .map(|(p, n)| (p, names::ident(n)))
        .collect();
    let params = ins.iter().map(|(p, n)| {
        let t = types::param(ctx, p.ty, p.tag.is_some());
        quote!(#n: #t)
    });
    let out_ident = format_ident!("ice_out");
    let writes = write_values(
        ctx,
        ins.iter()
            .map(|(p, n)| {
                let e = match (
                    p.tag.is_some(),
                    types::is_copy(ctx, p.ty),
                    types::is_class_ref(p.ty),
                ) {
                    (true, _, true) => quote!(#n.as_ref()),
                    (true, true, false) => quote!(#n.as_ref()),
                    (true, false, false) => quote!(#n),
                    (false, true, _) => quote!(&#n),
                    (false, false, _) => quote!(#n),
                };
                (p.ty, p.tag, e)
            })
            .collect(),
        &out_ident,
    );
    let in_types: Vec<(Type, Option<i32>)> = ins.iter().map(|(p, _)| (p.ty, p.tag)).collect();
    let flush = uses_classes(ctx, &in_types).then(|| quote!(ice_out.write_pending_values();));
    let format = class_format(ctx, iface, op).map(|f| quote!(ice_out.set_format(#f);));
    let res = results(op);
    let rvars: Vec<Ident> = (0..res.len()).map(|i| format_ident!("r{}", i)).collect();
    // Decode in wire order into r0 (return), r1.. (outs).
    let mut wire_items: Vec<(Type, Option<i32>, Ident)> = Vec::new();
    let with_ret = op.return_type.is_some();
    for (i, ((t, tag), v)) in res.iter().zip(&rvars).enumerate() {
        if i == 0 && with_ret {
            continue;
        }
        wire_items.push((*t, *tag, v.clone()));
    }
    if with_ret {
        if let (Some((t, tag)), Some(v)) = (res.first(), rvars.first()) {
            wire_items.push((*t, *tag, v.clone()));
        }
    }
    let input = format_ident!("input");
    let reads = read_values(ctx, &wire_items, &input);
    let out_classes = uses_classes(ctx, &res);
    let pending = out_classes.then(|| quote!(input.read_pending_values()?;));
    let register = if out_classes {
        ctx.register_call()
    } else {
        quote!()
    };
    let rexpr = match rvars.as_slice() {
        [] => quote!(()),
        [one] => quote!(#one),
        many => quote!((#(#many),*)),
    };
    let t = result_type(ctx, op);
    let e = error_type(ctx, iface, op);
    let md = mode(ctx, op);
    let twoway = (!res.is_empty())
        .then(|| quote!(let ice_twoway = #rt::slice::require_twoway(&self.0, #wire);));
    let check = (!res.is_empty()).then(|| quote!(ice_twoway?;));
    let decode_input = if res.is_empty() {
        quote!(_)
    } else {
        quote!(input)
    };
    let many = too_many(ins.len() + 1);
    quote! {
        #d
        #many
        pub fn #f(&self, #(#params),*) -> impl ::std::future::Future<Output = ::std::result::Result<#t, #e>> + Send + 'static {
            #twoway
            let mut ice_out = #rt::encoding::OutputStream::new();
            ice_out.set_encoding(self.0.ice_get_encoding_version());
            #format
            #writes
            #flush
            let ice_call = self.0.invoke(#wire, #md, ice_out.as_slice(), None);
            async move {
                #check
                let ice_reply = ice_call.await?;
                #rt::slice::decode_reply(ice_reply, |#decode_input| {
                    #register
                    #reads
                    #pending
                    Ok(#rexpr)
                })
            }
        }
    }
}
