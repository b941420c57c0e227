//! The checker against the shared corpus: every `valid/` file must give exactly slice2py's
//! output (usually nothing, or its warnings), every `invalid/sem-*` file and the
//! identifier-rule `invalid/lex-*` files exactly slice2py's lines, and every Slice file Ice
//! ships must compile without any diagnostic.

mod support;

use std::path::{Path, PathBuf};

use slice_parser::diagnostics::Location;
use slice_parser::{compile_file, Compilation, MacroArg, Options, Severity};

const ICE_SLICE_DIR: &str = "/usr/share/ice/slice";

/// The identifier-rule cases of `invalid/lex-*` (the other `lex-` cases are the grammar's).
const LEX_IDENTIFIER_CASES: [&str; 10] = [
    "lex-double-underscore",
    "lex-escaped-keyword-still-checked",
    "lex-ice-prefix",
    "lex-leading-underscore",
    "lex-reserved-suffix-helper",
    "lex-reserved-suffix-holder",
    "lex-reserved-suffix-prx",
    "lex-reserved-suffix-ptr",
    "lex-trailing-underscore",
    "lex-underscore",
];

fn options_for(ice: &Path) -> Options {
    let mut opts = Options::default();
    let args = ice.with_extension("args");
    let Ok(text) = std::fs::read_to_string(&args) else {
        return opts;
    };
    let dir = ice.parent().unwrap_or(Path::new("."));
    for arg in text.split_whitespace() {
        let arg = arg.replace("@ICE_SLICE_DIR@", ICE_SLICE_DIR);
        if let Some(d) = arg.strip_prefix("-I") {
            opts.include_dirs.push(dir.join(d));
        } else if let Some(d) = arg.strip_prefix("-D") {
            let (n, v) = match d.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None => (d.to_string(), None),
            };
            opts.macros.push(MacroArg::Define(n, v));
        } else if let Some(u) = arg.strip_prefix("-U") {
            opts.macros.push(MacroArg::Undefine(u.to_string()));
        } else if arg == "--ice" {
            opts.ice_prefix = true;
        } else if arg == "--underscore" {
            opts.underscore = true;
        }
    }
    opts
}

/// slice2py's layout (`FILE:LINE: [warning: ]message`), paths relative to `dir`.
fn lines(comp: &Compilation, dir: &Path) -> Vec<String> {
    let prefix = format!("{}/", dir.display());
    comp.diagnostics
        .iter()
        .filter(|d| d.code != "pp-warning" && !d.message.starts_with("End of input with"))
        .map(|d| {
            let warn = if d.severity == Severity::Warning {
                "warning: "
            } else {
                ""
            };
            let s = match d.location {
                Location::Span(s) => {
                    let (name, line) = comp.sources.file(s.file).presumed_line(s.start);
                    format!("{name}:{line}: {warn}{}", d.message)
                }
                Location::File(f) => format!("{}: {warn}{}", comp.sources.file(f).name, d.message),
                Location::None => format!("{warn}{}", d.message),
            };
            s.replace(&prefix, "")
        })
        .collect()
}

fn expected(ice: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(ice.with_extension("expected")).unwrap_or_default();
    text.lines().skip(1).map(str::to_string).collect()
}

fn ice_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "ice"))
        .collect();
    v.sort();
    v
}

/// Runs the cases; returns the descriptions of the failures.
fn run(files: &[PathBuf], filter: impl Fn(&[String]) -> Vec<String>) -> Vec<String> {
    let mut failures = Vec::new();
    for ice in files {
        let dir = ice.parent().unwrap_or(Path::new("."));
        let comp = compile_file(ice, &options_for(ice));
        let got = lines(&comp, dir);
        let want = filter(&expected(ice));
        if got != want {
            failures.push(format!(
                "{}:\n  want: {want:?}\n  got:  {got:?}",
                ice.file_name()
                    .map_or(String::new(), |n| n.to_string_lossy().into_owned())
            ));
        }
    }
    failures
}

#[test]
fn valid_corpus_files_give_exactly_the_reference_output() {
    let files = ice_files(&support::corpus::corpus_dir().join("valid"));
    // The unterminated-comment warning is the preprocessor's, with mcpp's extra source line.
    let failures = run(&files, |want| {
        want.iter()
            .filter(|l| !l.contains("End of input with") && !l.starts_with("    "))
            .cloned()
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn semantic_and_identifier_cases_give_exactly_the_reference_output() {
    let files: Vec<PathBuf> = ice_files(&support::corpus::corpus_dir().join("invalid"))
        .into_iter()
        .filter(|p| {
            let stem = p
                .file_stem()
                .map_or(String::new(), |s| s.to_string_lossy().into_owned());
            stem.starts_with("sem-") || LEX_IDENTIFIER_CASES.contains(&stem.as_str())
        })
        .collect();
    assert!(
        files.len() >= 94,
        "corpus incomplete: {} files",
        files.len()
    );
    let failures = run(&files, <[String]>::to_vec);
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn ice_slice_files_compile_without_diagnostics() {
    let root = Path::new(ICE_SLICE_DIR);
    let mut files = Vec::new();
    for entry in
        std::fs::read_dir(root).expect("Ice's Slice files (zeroc-ice-slice) must be installed")
    {
        let Ok(entry) = entry else { continue };
        if entry.path().is_dir() {
            files.extend(ice_files(&entry.path()));
        }
    }
    assert!(
        files.len() > 50,
        "only {} Ice Slice files found",
        files.len()
    );
    let opts = Options {
        include_dirs: vec![root.to_path_buf()],
        ..Options::default()
    };
    let mut failures = Vec::new();
    for f in &files {
        let comp = compile_file(f, &opts);
        let got = lines(&comp, root);
        if !got.is_empty() || comp.model.is_none() {
            failures.push(format!("{}: {got:?}", f.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
