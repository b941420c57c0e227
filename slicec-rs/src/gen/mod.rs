//! The code generator: reads the resolved [`Model`] and writes Rust source.
//!
//! One file per Slice construct's emission: [`module`] walks the modules and calls
//! [`constant`], [`enumeration`], [`structure`], [`alias`] (sequences and dictionaries),
//! [`exception`], [`class`] and [`interface`] (servant trait, dispatch, proxy, operation
//! errors); [`types`] maps Slice types to Rust types, [`docs`] turns doc comments into
//! rustdoc, [`names`] converts names, [`skeleton`] writes the `--impl` servant skeleton.
//! Everything is emitted with `quote!` and printed with `prettyplease`.
//!
//! # Output layout
//!
//! One `.rs` file per Slice file: `Demo.ice` gives `Demo.rs`, holding `pub mod demo { ... }`
//! for its modules (only the definitions of that Slice file; included files get their own
//! output). Within a file, items refer to each other by relative paths (`super::...`), so a
//! file can be mounted anywhere. An item of another (included) Slice file is reached by
//! going up to the mount point of the including file and down to the mount point of the
//! included one: a file found as `Dir/Name.ice` under an include directory (or beside the
//! compiled file) is expected to be mounted as module `dir::name` (snake case), next to the
//! others. Files of Ice's own `Ice/` directory are not mounted: their types come from the
//! runtime crate (`ice_runtime::Identity`, `ice_runtime::Context`, and
//! `ice_runtime::slice::ice::<file>::ice::<Type>` for the rest).
//!
//! Generation never fails on a valid model; it never panics.

pub mod alias;
pub mod class;
pub mod constant;
pub mod docs;
pub mod enumeration;
pub mod exception;
pub mod interface;
pub mod module;
pub mod names;
pub mod skeleton;
pub mod structure;
pub mod types;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use slice_parser::model::{Info, Model};
use slice_parser::{FileId, SourceMap};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// How to generate.
#[derive(Clone, Debug)]
pub struct Options {
    /// The path of the Ice runtime crate in generated code (`ice_runtime`; `crate` when
    /// generating into the runtime itself).
    pub runtime: String,
    /// The include directories of the compilation (to find where included files mount).
    pub include_dirs: Vec<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            runtime: "ice_runtime".into(),
            include_dirs: Vec::new(),
        }
    }
}

/// One generated Rust file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedFile {
    /// The file name, relative to the output directory (`Demo.rs`).
    pub name: String,
    /// The Rust source.
    pub contents: String,
}

/// Generates the Rust file for the top-level Slice file of `model` (`sources` is the
/// compilation's source map, for file names). Returns no file when the model has no main
/// file.
pub fn generate(model: &Model, sources: &SourceMap, options: &Options) -> Vec<GeneratedFile> {
    let Some(main) = model.main_file else {
        return Vec::new();
    };
    let ctx = Ctx::new(model, sources, options, main);
    let body = module::file(&ctx);
    let source_name = file_name(sources, main);
    let text = print(&source_name, body);
    vec![GeneratedFile {
        name: rust_file_name(&sources.file(main).path),
        contents: text,
    }]
}

/// Generates the `--impl` servant skeleton (`<Name>I.rs`) for the top-level file: one
/// struct per interface implementing its servant traits, every method failing with "not
/// implemented yet". It expects the generated file to be mounted as `crate::<file module>`.
pub fn generate_skeleton(
    model: &Model,
    sources: &SourceMap,
    options: &Options,
) -> Vec<GeneratedFile> {
    let Some(main) = model.main_file else {
        return Vec::new();
    };
    let ctx = Ctx::new(model, sources, options, main);
    let body = skeleton::file(&ctx);
    if body.is_empty() {
        return Vec::new();
    }
    let tops = model
        .top_level
        .iter()
        .filter(|m| model.modules[**m].any_from_main)
        .map(|m| names::ident(&names::snake(&model.modules[*m].info.name)));
    let body = quote! {
        use crate::{#(#tops),*};
        #body
    };
    let source_name = file_name(sources, main);
    let stem = rust_file_name(&sources.file(main).path);
    let text = print(&source_name, body).replacen(
        "; do not edit.\n",
        ": a servant skeleton to edit.\n// It expects the generated file mounted at the crate root \
         (`ice_runtime::include_slice!(..)` in lib.rs or main.rs).\n",
        1,
    );
    vec![GeneratedFile {
        name: format!("{}I.rs", stem.trim_end_matches(".rs")),
        contents: text,
    }]
}

/// `Demo.ice` → `Demo.rs`.
pub fn rust_file_name(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map_or_else(|| "out".to_string(), |s| s.to_string_lossy().into_owned());
    format!("{stem}.rs")
}

fn file_name(sources: &SourceMap, file: FileId) -> String {
    let f = sources.file(file);
    f.path
        .file_name()
        .map_or_else(|| f.name.clone(), |n| n.to_string_lossy().into_owned())
}

/// Pretty-prints generated tokens with the `@generated` header.
pub fn print(source_name: &str, tokens: TokenStream) -> String {
    let header = format!("// @generated by slicec-rs from {source_name}; do not edit.\n");
    match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(file) => format!("{header}{}", prettyplease::unparse(&file)),
        // Unreachable for tokens we build; still give the user something to look at.
        Err(e) => format!("{header}// slicec-rs could not format this file: {e}\n{tokens}\n"),
    }
}

/// Writes `contents` to `path` unless the file already holds exactly that (so Cargo does
/// not rebuild for nothing). Returns whether it wrote.
pub fn write_if_changed(path: &Path, contents: &str) -> std::io::Result<bool> {
    if std::fs::read(path).is_ok_and(|old| old == contents.as_bytes()) {
        return Ok(false);
    }
    std::fs::write(path, contents)?;
    Ok(true)
}

/// What every emitter reads: the model, where we are, and how to name things.
pub struct Ctx<'a> {
    /// The model.
    pub model: &'a Model,
    /// The file being generated.
    pub main: FileId,
    /// Options.
    pub options: &'a Options,
    sources: &'a SourceMap,
    /// Scoped-name components of the module being emitted (set by [`Ctx::within`]).
    current: std::cell::RefCell<Vec<String>>,
    /// Type names defined anywhere in the model (to avoid shadowed prelude names).
    names: HashSet<String>,
    mounts: std::cell::RefCell<HashMap<FileId, Option<Vec<String>>>>,
}

impl<'a> Ctx<'a> {
    fn new(model: &'a Model, sources: &'a SourceMap, options: &'a Options, main: FileId) -> Self {
        let mut names = HashSet::new();
        for m in model.modules.iter() {
            for &d in &m.1.contents {
                names.insert(model.info(d).name.clone());
            }
        }
        Ctx {
            model,
            main,
            options,
            sources,
            current: Default::default(),
            names,
            mounts: Default::default(),
        }
    }

    /// The runtime crate path.
    pub fn rt(&self) -> TokenStream {
        let parts = self.options.runtime.split("::").map(|p| match p {
            "crate" | "self" | "super" => format_ident!("{}", p),
            p => names::ident(p),
        });
        quote!(#(#parts)::*)
    }

    /// A prelude item (`Vec`, `String`, `Option`, `Result`, `Box`), by full path when a Slice
    /// type of the same name could shadow it.
    pub fn std(&self, name: &str) -> TokenStream {
        let id = format_ident!("{}", name);
        if !self.names.contains(name) {
            return quote!(#id);
        }
        match name {
            "Vec" => quote!(::std::vec::Vec),
            "String" => quote!(::std::string::String),
            "Option" => quote!(::std::option::Option),
            "Result" => quote!(::std::result::Result),
            "Box" => quote!(::std::boxed::Box),
            _ => quote!(#id),
        }
    }

    /// Runs `f` with `module` (scoped components) as the current module.
    pub fn within<R>(&self, module: Vec<String>, f: impl FnOnce() -> R) -> R {
        let saved = self.current.replace(module);
        let r = f();
        self.current.replace(saved);
        r
    }

    /// Whether a definition is generated into this file.
    pub fn in_this_file(&self, info: &Info) -> bool {
        info.file() == self.main
    }

    /// The mount path of a file (see the module docs): `None` for Ice's own `Ice/` files.
    fn mount(&self, file: FileId) -> Option<Vec<String>> {
        if let Some(m) = self.mounts.borrow().get(&file) {
            return m.clone();
        }
        let path = &self.sources.file(file).path;
        let main_dir = self
            .sources
            .file(self.main)
            .path
            .parent()
            .map(Path::to_path_buf);
        let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        let full = canon(path);
        let under = |dirs: &mut dyn Iterator<Item = &PathBuf>| {
            dirs.filter_map(|d| full.strip_prefix(canon(d)).ok().map(Path::to_path_buf))
                .min_by_key(|r| r.components().count())
        };
        // Include directories first (a file is found through them), then the directory of
        // the compiled file.
        let rel = under(&mut self.options.include_dirs.iter())
            .or_else(|| under(&mut main_dir.iter()))
            .unwrap_or_else(|| PathBuf::from(path.file_name().unwrap_or_default()));
        let mut parts: Vec<String> = rel
            .parent()
            .into_iter()
            .flat_map(|p| p.components())
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let is_ice = parts.len() == 1 && parts.first().is_some_and(|p| p == "Ice");
        parts.push(
            rel.file_stem()
                .map_or_else(String::new, |s| s.to_string_lossy().into_owned()),
        );
        let parts: Vec<String> = parts.iter().map(|p| names::file_module(p)).collect();
        let m = (!is_ice || file == self.main).then_some(parts);
        self.mounts.borrow_mut().insert(file, m.clone());
        m
    }

    /// The mount path of an `Ice/` file inside the runtime's `slice` module.
    fn runtime_mount(&self, file: FileId) -> Vec<String> {
        let path = &self.sources.file(file).path;
        let stem = path
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        vec!["slice".into(), "ice".into(), names::file_module(&stem)]
    }

    /// The path from the current module to the item `rust_name` of the definition `info`.
    pub fn path(&self, info: &Info, rust_name: &str) -> TokenStream {
        let comps: Vec<&str> = info.scoped.split("::").filter(|s| !s.is_empty()).collect();
        let mods: Vec<String> = comps
            .iter()
            .take(comps.len().saturating_sub(1))
            .map(|s| (*s).to_string())
            .collect();
        let name = names::ident(rust_name);
        let modi = |m: &[String]| {
            m.iter()
                .map(|s| names::ident(&names::snake(s)))
                .collect::<Vec<_>>()
        };
        if info.file() != self.main || self.options.runtime == "crate" {
            if let Some(native) = native(&info.scoped) {
                let rt = self.rt();
                let id = format_ident!("{}", native);
                return quote!(#rt::#id);
            }
        }
        let current = self.current.borrow().clone();
        if info.file() == self.main {
            let common = current
                .iter()
                .zip(&mods)
                .take_while(|(a, b)| a == b)
                .count();
            let ups = (common..current.len()).map(|_| quote!(super));
            let down = modi(&mods[common..]);
            return quote!(#(#ups::)* #(#down::)* #name);
        }
        match self.mount(info.file()) {
            Some(target) => {
                let own = self.mount(self.main).unwrap_or_default();
                let ups = (0..current.len() + own.len()).map(|_| quote!(super));
                let file = target.iter().map(|s| names::ident(s));
                let down = modi(&mods);
                quote!(#(#ups::)* #(#file::)* #(#down::)* #name)
            }
            None => {
                let rt = self.rt();
                let file = self.runtime_mount(info.file());
                let file = file.iter().map(|s| names::ident(s));
                let down = modi(&mods);
                quote!(#rt::#(#file::)* #(#down::)* #name)
            }
        }
    }

    /// The last component of this file's mount path (`demo` for `Demo.ice`).
    pub fn mount_name(&self) -> Option<String> {
        self.mount(self.main).and_then(|m| m.last().cloned())
    }

    /// A call to this file's `register_classes()` when the file defines classes.
    pub fn register_call(&self) -> TokenStream {
        if module::file_classes(self).is_empty() {
            return TokenStream::new();
        }
        let ups = self
            .current
            .borrow()
            .iter()
            .map(|_| quote!(super))
            .collect::<Vec<_>>();
        quote!(#(#ups::)* register_classes();)
    }

    /// Whether the generator skips a definition of the main file because the runtime
    /// provides it natively (only when generating into the runtime).
    pub fn provided_by_runtime(&self, info: &Info) -> bool {
        self.options.runtime == "crate" && native(&info.scoped).is_some()
    }
}

/// Ice types the runtime implements by hand, by scoped name → item at the runtime's root.
fn native(scoped: &str) -> Option<&'static str> {
    match scoped {
        "::Ice::Identity" => Some("Identity"),
        "::Ice::Context" => Some("Context"),
        _ => None,
    }
}
