//! The build.rs API: compile Slice files into `OUT_DIR` from a build script.
//!
//! ```no_run
//! // build.rs
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     slicec_rs::Builder::new().include_dir("slice").compile(&["slice/Demo.ice"])?;
//!     Ok(())
//! }
//! ```
//! and in the crate: `mod demo { ice_runtime::include_slice!("Demo"); }`.
//!
//! It prints `cargo:rerun-if-changed` for every file the preprocessor read (includes too)
//! and, on Slice errors, the same rendered diagnostics as the command line, then fails.

use crate::gen::{self, write_if_changed, Options};
use slice_parser::render::{self, Format};
use slice_parser::{compile_file, MacroArg};
use std::path::{Path, PathBuf};

/// Why a build failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The Slice files have errors (already printed on stderr).
    #[error("{0} has Slice errors (see above)")]
    Slice(String),
    /// `OUT_DIR` is not set and no output directory was given.
    #[error("OUT_DIR is not set: call Builder::out_dir outside build scripts")]
    NoOutDir,
    /// Writing a generated file failed.
    #[error("cannot write `{0}': {1}")]
    Write(String, std::io::Error),
}

/// Compiles Slice files to Rust for a build script.
#[derive(Clone, Debug, Default)]
pub struct Builder {
    include_dirs: Vec<PathBuf>,
    macros: Vec<MacroArg>,
    out_dir: Option<PathBuf>,
    ice_prefix: bool,
    runtime: Option<String>,
    emit_cargo: Option<bool>,
    quiet_warnings: bool,
}

impl Builder {
    /// A builder with no include directory, writing into `OUT_DIR`.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Adds an include directory (`-I`).
    pub fn include_dir(mut self, dir: impl AsRef<Path>) -> Builder {
        self.include_dirs.push(dir.as_ref().to_path_buf());
        self
    }

    /// Defines a preprocessor macro (`-DNAME` or `-DNAME=VALUE`).
    pub fn define(mut self, name: &str, value: Option<&str>) -> Builder {
        self.macros.push(MacroArg::Define(
            name.to_string(),
            value.map(str::to_string),
        ));
        self
    }

    /// Removes a preprocessor macro (`-UNAME`); `-D` and `-U` act in call order.
    pub fn undefine(mut self, name: &str) -> Builder {
        self.macros.push(MacroArg::Undefine(name.to_string()));
        self
    }

    /// Writes into `dir` instead of `OUT_DIR`.
    pub fn out_dir(mut self, dir: impl AsRef<Path>) -> Builder {
        self.out_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Allows the reserved `Ice` prefix (`--ice`), for compiling Ice's own Slice files.
    pub fn ice_prefix(mut self, allow: bool) -> Builder {
        self.ice_prefix = allow;
        self
    }

    /// The path of the Ice runtime crate in generated code (default `ice_runtime`).
    pub fn runtime_path(mut self, path: &str) -> Builder {
        self.runtime = Some(path.to_string());
        self
    }

    /// Whether to print `cargo:` lines (default: when `OUT_DIR` is set, i.e. in a build
    /// script).
    pub fn emit_cargo_lines(mut self, emit: bool) -> Builder {
        self.emit_cargo = Some(emit);
        self
    }

    /// Whether to keep Slice warnings off Cargo's output (`cargo:warning=` lines); they are
    /// still printed on stderr, which Cargo shows only when the build fails. For crates that
    /// compile files whose warnings are expected (default: warnings are shown).
    pub fn quiet_warnings(mut self, quiet: bool) -> Builder {
        self.quiet_warnings = quiet;
        self
    }

    /// Compiles each file; returns the paths written (or left unchanged).
    pub fn compile(&self, files: &[impl AsRef<Path>]) -> Result<Vec<PathBuf>, BuildError> {
        let env_out = std::env::var_os("OUT_DIR").map(PathBuf::from);
        let out_dir = self
            .out_dir
            .clone()
            .or(env_out.clone())
            .ok_or(BuildError::NoOutDir)?;
        let cargo = self.emit_cargo.unwrap_or(env_out.is_some());
        let options = slice_parser::Options {
            include_dirs: self.include_dirs.clone(),
            macros: self.macros.clone(),
            ice_prefix: self.ice_prefix,
            underscore: false,
        };
        let gen_options = Options {
            runtime: self.runtime.clone().unwrap_or_else(|| "ice_runtime".into()),
            include_dirs: self.include_dirs.clone(),
        };
        let mut written = Vec::new();
        for file in files {
            let file = file.as_ref();
            let comp = compile_file(file, &options);
            if cargo {
                if comp.sources.files().is_empty() {
                    println!("cargo:rerun-if-changed={}", file.display());
                }
                for f in comp.sources.files() {
                    println!("cargo:rerun-if-changed={}", f.path.display());
                }
            }
            let text =
                render::render_with_color(&comp.diagnostics, &comp.sources, Format::Human, false);
            if !text.is_empty() {
                eprint!("{text}");
                if cargo && !self.quiet_warnings {
                    for line in text.lines().filter(|l| l.starts_with("warning")) {
                        println!("cargo:warning={line}");
                    }
                }
            }
            let model = match &comp.model {
                Some(m) if !comp.has_errors() => m,
                _ => return Err(BuildError::Slice(file.display().to_string())),
            };
            for g in gen::generate(model, &comp.sources, &gen_options) {
                let path = out_dir.join(&g.name);
                write_if_changed(&path, &g.contents)
                    .map_err(|e| BuildError::Write(path.display().to_string(), e))?;
                written.push(path);
            }
        }
        Ok(written)
    }
}
