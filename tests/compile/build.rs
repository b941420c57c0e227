//! Generates Rust from the demo's Slice file, from every file of Ice's own Slice
//! distribution and from the valid files of the Slice corpus; `src/lib.rs` mounts them all.
//!
//! Environment overrides: `ICE_SLICE_DIR` (Ice's Slice files, default
//! `/usr/share/ice/slice`), `SLICE_CORPUS_DIR` (the corpus root, holding `valid/`; default `../../../shared/slice/corpus`
//! relative to this crate, as for slice-parser's and slicec-rs's tests).

use slicec_rs::Builder;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The directories of Ice's distribution that hold non-local definitions we compile.
const ICE_DIRS: &[&str] = &[
    "Ice",
    "Glacier2",
    "IceGrid",
    "IceStorm",
    "IceBox",
    "IcePatch2",
    "IceSSL",
];

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn ice_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|r| {
            r.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "ice"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

fn module_name(stem: &str) -> String {
    let mut out = String::new();
    for (i, c) in stem.chars().enumerate() {
        if c.is_uppercase() {
            let prev = stem.chars().nth(i.wrapping_sub(1));
            let next = stem.chars().nth(i + 1);
            if i > 0
                && (prev.is_some_and(|p| p.is_lowercase() || p.is_ascii_digit())
                    || (prev.is_some_and(char::is_uppercase)
                        && next.is_some_and(char::is_lowercase)))
            {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else if c.is_alphanumeric() {
            out.push(c);
        } else {
            out.push('_');
        }
    }
    out
}

fn stem(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    println!("cargo:rerun-if-env-changed=ICE_SLICE_DIR");
    println!("cargo:rerun-if-env-changed=SLICE_CORPUS_DIR");

    // The demo.
    Builder::new()
        .include_dir(manifest.join("slice"))
        .compile(&[manifest.join("slice/Demo.ice")])?;

    // The Slice file of the generated-code interop test (tests/tests/interop_codegen_*.rs).
    Builder::new().compile(&[manifest.join("../tests/interop_codegen.ice")])?;

    let mut mods = String::new();

    // Ice's own distribution.
    let ice = std::env::var("ICE_SLICE_DIR")
        .map_or_else(|_| PathBuf::from("/usr/share/ice/slice"), PathBuf::from);
    writeln!(mods, "/// Ice's own Slice files.\npub mod dist {{")?;
    for dir in ICE_DIRS {
        let target = out.join("dist").join(dir);
        std::fs::create_dir_all(&target)?;
        writeln!(mods, "/// `{dir}/`.\npub mod {} {{", module_name(dir))?;
        for file in ice_files(&ice.join(dir)) {
            Builder::new()
                .include_dir(&ice)
                .ice_prefix(true)
                .out_dir(&target)
                .compile(&[&file])?;
            let s = stem(&file);
            writeln!(
                mods,
                "/// `{dir}/{s}.ice`.\n{}pub mod {} {{ include!(concat!(env!(\"OUT_DIR\"), \"/dist/{dir}/{s}.rs\")); }}",
                if module_name(&s) == module_name(dir) { "#[allow(clippy::module_inception)]\n" } else { "" },
                module_name(&s)
            )?;
        }
        writeln!(mods, "}}")?;
    }
    writeln!(mods, "}}")?;

    // The corpus.
    let corpus = std::env::var("SLICE_CORPUS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| manifest.join("../../../shared/slice/corpus"))
        .join("valid");
    let corpus = Some(corpus)
        .filter(|p| p.is_dir())
        .ok_or("the Slice corpus is missing: set SLICE_CORPUS_DIR")?;
    let target = out.join("corpus");
    std::fs::create_dir_all(&target)?;
    writeln!(
        mods,
        "/// The valid files of the Slice corpus.\npub mod corpus {{"
    )?;
    let mut files = ice_files(&corpus);
    files.extend(ice_files(&corpus.join("include")));
    for file in files {
        // The corpus's warn-*.ice files warn on purpose; their warnings are slice-parser's tests.
        let mut b = Builder::new().out_dir(&target).quiet_warnings(true);
        let args = file.with_extension("args");
        if let Ok(text) = std::fs::read_to_string(&args) {
            for word in text.split_whitespace() {
                let word = word.replace("@ICE_SLICE_DIR@", &ice.to_string_lossy());
                if let Some(d) = word.strip_prefix("-I") {
                    let d = Path::new(d);
                    b = b.include_dir(if d.is_absolute() {
                        d.to_path_buf()
                    } else {
                        corpus.join(d)
                    });
                } else if let Some(d) = word.strip_prefix("-D") {
                    let (n, v) = d.split_once('=').map_or((d, None), |(n, v)| (n, Some(v)));
                    b = b.define(n, v);
                } else if let Some(n) = word.strip_prefix("-U") {
                    b = b.undefine(n);
                }
            }
        }
        b.compile(&[&file])?;
        let s = stem(&file);
        writeln!(
            mods,
            "/// `{s}.ice`.\npub mod {} {{ include!(concat!(env!(\"OUT_DIR\"), \"/corpus/{s}.rs\")); }}",
            module_name(&s)
        )?;
    }
    writeln!(mods, "}}")?;
    std::fs::write(out.join("mods.rs"), mods)?;
    Ok(())
}
