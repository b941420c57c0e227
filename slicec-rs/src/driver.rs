//! The command-line driver: what `slicec-rs` does with already-parsed arguments.
//!
//! It behaves like ZeroC's `slice2py` where slice2py has the option (same option names,
//! same driver messages, same `--depend` output, same exit statuses: 0 without errors, 1
//! otherwise). It writes to the `out` / `err` it is given, never to the process's streams
//! directly, so it can be tested in process. It never calls `exit`.

use slice_parser::preprocess::{self, output};
use slice_parser::render::{self, Format};
use slice_parser::{compile_file, Compilation, Diagnostic, Diagnostics, Options, SourceMap};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The program name used in driver messages.
pub const PROGRAM: &str = "slicec-rs";

/// What to do with the input files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Check the files and report diagnostics only (`--validate`).
    Validate,
    /// Print the preprocessed text (`-E`).
    Preprocess,
    /// Print Makefile dependencies (`--depend`, `--depend-xml`), to stdout or to a file
    /// (`--depend-file`).
    Depend {
        /// XML instead of Makefile rules.
        xml: bool,
        /// Where to write them (stdout when absent).
        file: Option<PathBuf>,
    },
    /// Generate Rust code (the default mode).
    Generate {
        /// `--output-dir`.
        output_dir: Option<PathBuf>,
        /// `--impl`: also write a servant skeleton (`<Name>I.rs`).
        implementation: bool,
    },
}

/// One invocation of the compiler.
#[derive(Clone, Debug)]
pub struct Request {
    /// Input files, as given.
    pub files: Vec<PathBuf>,
    /// Preprocessor and checker options.
    pub options: Options,
    /// What to do.
    pub mode: Mode,
    /// How to print diagnostics.
    pub format: Format,
    /// Whether to color human diagnostics.
    pub color: bool,
}

/// Exit status: success.
pub const EXIT_OK: i32 = 0;
/// Exit status: errors in the input or on the command line.
pub const EXIT_ERROR: i32 = 1;
/// Exit status: the request needs something not implemented yet.
pub const EXIT_UNSUPPORTED: i32 = 2;

/// Runs a request; returns the exit status.
pub fn run(req: &Request, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    match run_inner(req, out, err) {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(err, "{PROGRAM}: error: {e}");
            EXIT_ERROR
        }
    }
}

/// A driver error (printed as `slicec-rs: error: MESSAGE`).
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    /// No input file on the command line.
    #[error("no input file")]
    NoInput,
    /// An input file without the `.ice` suffix.
    #[error("input files must end with `.ice'")]
    NotIce,
    /// An input file that cannot be read.
    #[error("cannot open `{0}' for reading")]
    CannotOpen(String),
    /// `--output-dir` is not a directory.
    #[error("argument for --output-dir does not exist or is not a directory")]
    BadOutputDir,
    /// Writing an output failed.
    #[error("cannot write `{0}': {1}")]
    Write(String, std::io::Error),
}

fn run_inner(req: &Request, out: &mut dyn Write, err: &mut dyn Write) -> Result<i32, DriverError> {
    if req.files.is_empty() {
        return Err(DriverError::NoInput);
    }
    let files = unique_inputs(&req.files)?;
    if let Mode::Generate {
        output_dir: Some(dir),
        ..
    } = &req.mode
    {
        if !dir.is_dir() {
            return Err(DriverError::BadOutputDir);
        }
    }
    let mut status = EXIT_OK;
    let mut depend = String::new();
    // Files are compiled (and their Rust generated) in parallel, then reported and written
    // in command-line order, exactly as a sequential run would.
    let mut prepared = if req.mode == Mode::Preprocess {
        Vec::new()
    } else {
        prepare_all(&files, req)
    }
    .into_iter();
    for file in &files {
        if req.mode == Mode::Preprocess {
            // `-E` only preprocesses: the text is printed even if it would not parse.
            let mut sources = SourceMap::new();
            let mut diags = Diagnostics::new();
            let pp = preprocess::preprocess(file, &req.options, &mut sources, &mut diags);
            print_diagnostics(&diags.into_vec(), &sources, req, err);
            let Some(pp) = pp else {
                return Ok(EXIT_ERROR);
            };
            let text = output::expanded_text(&pp, &sources);
            write_all(out, text.as_bytes(), "<stdout>")?;
            continue;
        }
        let Some(Prepared { comp, generated }) = prepared.next() else {
            break;
        };
        report(&comp, req, err);
        if comp.preprocessed.is_none() {
            // A preprocessor failure stops everything, as with slice2py.
            return Ok(EXIT_ERROR);
        }
        match &req.mode {
            Mode::Depend { xml, .. } => {
                if comp.has_errors() {
                    status = EXIT_ERROR;
                    continue;
                }
                if let Some(pp) = &comp.preprocessed {
                    let deps = output::dependencies(pp, &comp.sources, &req.options.include_dirs);
                    let source = file.to_string_lossy();
                    if *xml {
                        depend.push_str(&output::xml_source(&source, &deps));
                    } else {
                        depend.push_str(&output::make_rule(&target_name(file), &source, &deps));
                    }
                }
            }
            Mode::Generate { output_dir, .. } => {
                let dir = output_dir
                    .as_deref()
                    .map_or_else(PathBuf::new, Path::to_path_buf);
                for f in generated {
                    let path = dir.join(&f.name);
                    crate::gen::write_if_changed(&path, &f.contents)
                        .map_err(|e| DriverError::Write(path.display().to_string(), e))?;
                }
            }
            Mode::Validate | Mode::Preprocess => {}
        }
        if comp.has_errors() {
            status = EXIT_ERROR;
        }
    }
    if let Mode::Depend { xml, file } = &req.mode {
        if status == EXIT_OK {
            let text = if *xml {
                format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<dependencies>\n{depend}</dependencies>\n"
                )
            } else {
                depend
            };
            match file {
                Some(path) => std::fs::write(path, text)
                    .map_err(|e| DriverError::Write(path.display().to_string(), e))?,
                None => write_all(out, text.as_bytes(), "<stdout>")?,
            }
        }
    }
    Ok(status)
}

/// One input file, compiled, with the Rust generated for it (in generate mode, when clean).
struct Prepared {
    comp: Compilation,
    generated: Vec<crate::gen::GeneratedFile>,
}

/// Compiles every file and generates its Rust, on all available cores; results come back in
/// the order of `files`.
fn prepare_all(files: &[PathBuf], req: &Request) -> Vec<Prepared> {
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(files.len());
    if workers <= 1 {
        return files.iter().map(|f| prepare(f, req)).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut slots: Vec<Option<Prepared>> = Vec::new();
    slots.resize_with(files.len(), || None);
    let done = std::sync::Mutex::new(slots);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(file) = files.get(i) else { break };
                let p = prepare(file, req);
                if let Ok(mut slots) = done.lock() {
                    slots[i] = Some(p);
                }
            });
        }
    });
    let slots = done.into_inner().unwrap_or_else(|e| e.into_inner());
    // A slot is empty only if its worker panicked; compile it again here so the panic (a bug)
    // surfaces on this thread with its message.
    slots
        .into_iter()
        .zip(files)
        .map(|(p, f)| p.unwrap_or_else(|| prepare(f, req)))
        .collect()
}

/// Compiles one file and, in generate mode, generates its Rust (and the `--impl` skeleton).
fn prepare(file: &Path, req: &Request) -> Prepared {
    let comp = compile_file(file, &req.options);
    let mut generated = Vec::new();
    if let Mode::Generate { implementation, .. } = &req.mode {
        if let Some(model) = comp.model.as_ref().filter(|_| !comp.has_errors()) {
            let options = crate::gen::Options {
                include_dirs: req.options.include_dirs.clone(),
                ..crate::gen::Options::default()
            };
            generated = crate::gen::generate(model, &comp.sources, &options);
            if *implementation {
                generated.extend(crate::gen::generate_skeleton(
                    model,
                    &comp.sources,
                    &options,
                ));
            }
        }
    }
    Prepared { comp, generated }
}

fn write_all(out: &mut dyn Write, bytes: &[u8], what: &str) -> Result<(), DriverError> {
    out.write_all(bytes)
        .map_err(|e| DriverError::Write(what.to_string(), e))
}

/// Prints a compilation's diagnostics in the requested format.
fn report(comp: &Compilation, req: &Request, err: &mut dyn Write) {
    print_diagnostics(&comp.diagnostics, &comp.sources, req, err);
}

fn print_diagnostics(
    diags: &[Diagnostic],
    sources: &SourceMap,
    req: &Request,
    err: &mut dyn Write,
) {
    let text = render::render_with_color(diags, sources, req.format, req.color);
    let _ = err.write_all(text.as_bytes());
}

/// Checks the inputs (`.ice` suffix, readable) and drops repeated ones, keeping the order.
fn unique_inputs(files: &[PathBuf]) -> Result<Vec<PathBuf>, DriverError> {
    let mut seen = Vec::new();
    let mut unique = Vec::new();
    for f in files {
        let is_ice = f.extension().is_some_and(|e| e.eq_ignore_ascii_case("ice"));
        if !is_ice {
            return Err(DriverError::NotIce);
        }
    }
    for f in files {
        if !f.is_file() || std::fs::File::open(f).is_err() {
            return Err(DriverError::CannotOpen(absolute(f).display().to_string()));
        }
        let key = std::fs::canonicalize(f).unwrap_or_else(|_| absolute(f));
        if !seen.contains(&key) {
            seen.push(key);
            unique.push(f.clone());
        }
    }
    Ok(unique)
}

fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().map_or_else(|_| p.to_path_buf(), |d| d.join(p))
    }
}

/// The name of the file generated for `input`: its base name with `.rs`.
pub fn target_name(input: &Path) -> String {
    let stem = input
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    format!("{stem}.rs")
}
