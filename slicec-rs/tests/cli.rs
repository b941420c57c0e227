//! The `slicec-rs` command line, run as a process: exit statuses, diagnostic formats, `-E`,
//! and `--depend` compared with the real `slice2py` (which must be installed) on the same
//! files.

// The slice-parser tests' helpers (temporary directories, corpus location, token streams).
#[path = "../../slice-parser/tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::corpus::{corpus_dir, ICE_SLICE_DIR};
use support::{preprocessed_tokens as tokens_of_preprocessed, TempDir};

fn slicec() -> Command {
    Command::new(env!("CARGO_BIN_EXE_slicec-rs"))
}

fn slice2py() -> Command {
    let found = Command::new("slice2py").arg("-v").output();
    assert!(
        found.is_ok(),
        "slice2py is not installed (Debian package zeroc-ice-compilers)"
    );
    Command::new("slice2py")
}

fn run(cmd: &mut Command, dir: &Path) -> Output {
    cmd.current_dir(dir).output().expect("run the command")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn exit_status_follows_errors_not_warnings() {
    let corpus = corpus_dir();
    let valid = corpus.join("valid");
    let invalid = corpus.join("invalid");
    let ok = run(slicec().args(["--validate", "empty-file.ice"]), &valid);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    assert_eq!(stderr(&ok), "");
    let warn = run(
        slicec().args(["--validate", "warn-unterminated-comment.ice"]),
        &valid,
    );
    assert_eq!(warn.status.code(), Some(0), "{}", stderr(&warn));
    assert!(stderr(&warn).contains("warning"), "{}", stderr(&warn));
    let bad = run(
        slicec().args(["--validate", "sem-struct-empty.ice"]),
        &invalid,
    );
    assert_eq!(bad.status.code(), Some(1));
}

#[test]
fn short_format_is_one_line_per_diagnostic() {
    let invalid = corpus_dir().join("invalid");
    let o = run(
        slicec().args([
            "--validate",
            "--diagnostic-format",
            "short",
            "pp-include-not-found.ice",
        ]),
        &invalid,
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "pp-include-not-found.ice:2:1: error: Can't open include file \"DoesNotExist.ice\"\n"
    );
    let o = run(
        slicec().args([
            "--validate",
            "--diagnostic-format=short",
            "sem-struct-empty.ice",
        ]),
        &invalid,
    );
    let err = stderr(&o);
    let first = err.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("sem-struct-empty.ice:4:")
            && first.ends_with(": error: struct `Nothing' must have at least one member"),
        "{err}"
    );
}

#[test]
fn json_format_is_one_object_per_line() {
    let invalid = corpus_dir().join("invalid");
    let o = run(
        slicec().args([
            "--validate",
            "--diagnostic-format",
            "json",
            "pp-unterminated-if.ice",
        ]),
        &invalid,
    );
    let err = stderr(&o);
    let v: serde_json::Value = serde_json::from_str(err.trim()).expect("one JSON object");
    assert_eq!(v["severity"], "error");
    assert_eq!(v["code"], "pp-unterminated-if");
    assert_eq!(v["file"], "pp-unterminated-if.ice");
    assert_eq!(v["line"], 6);
    assert_eq!(v["column"], 1);
    assert_eq!(v["labels"][0]["line"], 2);
    assert_eq!(
        v["message"],
        "End of input within #if (#ifdef) section started at line 2"
    );
}

#[test]
fn human_format_has_no_color_unless_asked() {
    let invalid = corpus_dir().join("invalid");
    let plain = run(
        slicec().args(["--validate", "pp-unknown-directive.ice"]),
        &invalid,
    );
    assert_eq!(
        stderr(&plain),
        "error[pp-unknown-directive]: Unknown #directive \"import\"\n  --> pp-unknown-directive.ice:2:1\n  |\n2 | #import \"Other.ice\"\n  | ^^^^^^^^^^^^^^^^^^^\n\n"
    );
    let color = run(
        slicec().args([
            "--validate",
            "--color",
            "always",
            "pp-unknown-directive.ice",
        ]),
        &invalid,
    );
    assert!(stderr(&color).contains("\u{1b}["), "{}", stderr(&color));
}

#[test]
fn driver_errors() {
    let dir = TempDir::new();
    dir.write("a.txt", "");
    dir.write("ok.ice", "module M { const int A = 1; }\n");
    let cases: [(&[&str], &str); 4] = [
        (&["--validate"], "slicec-rs: error: no input file\n"),
        (
            &["--validate", "a.txt"],
            "slicec-rs: error: input files must end with `.ice'\n",
        ),
        (
            &["--validate", "missing.ice"],
            &format!(
                "slicec-rs: error: cannot open `{}/missing.ice' for reading\n",
                dir.path().display()
            ),
        ),
        (
            &["--output-dir", "nowhere", "ok.ice"],
            "slicec-rs: error: argument for --output-dir does not exist or is not a directory\n",
        ),
    ];
    for (args, want) in cases {
        let o = run(slicec().args(args), dir.path());
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert_eq!(stderr(&o), want, "{args:?}");
    }
    let bogus = run(slicec().args(["--bogus", "ok.ice"]), dir.path());
    assert_eq!(bogus.status.code(), Some(1));
    // Uppercase suffixes are accepted, like slice2py does.
    dir.write("UP.ICE", "module M { const int A = 1; }\n");
    let up = run(slicec().args(["--validate", "UP.ICE"]), dir.path());
    assert_eq!(up.status.code(), Some(0), "{}", stderr(&up));
}

#[test]
fn a_file_named_twice_is_processed_once() {
    let invalid = corpus_dir().join("invalid");
    let once = run(
        slicec().args([
            "--validate",
            "--diagnostic-format",
            "short",
            "pp-error-directive.ice",
        ]),
        &invalid,
    );
    let twice = run(
        slicec().args([
            "--validate",
            "--diagnostic-format",
            "short",
            "pp-error-directive.ice",
            "./pp-error-directive.ice",
        ]),
        &invalid,
    );
    assert_eq!(stderr(&once), stderr(&twice));
    assert_eq!(stderr(&once).lines().count(), 1);
}

#[test]
fn version_goes_to_stderr() {
    let o = run(slicec().arg("-v"), Path::new("."));
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stderr(&o).trim(), env!("CARGO_PKG_VERSION"));
    assert_eq!(stdout(&o), "");
}

#[test]
fn defines_attached_or_separate_and_undefines_in_order() {
    let dir = TempDir::new();
    dir.write(
        "d.ice",
        "#ifndef A\n#error A\n#endif\n#if B != 7\n#error B\n#endif\n#ifdef C\n#error C\n#endif\nmodule M { const int X = 1; }\n",
    );
    let ok = run(
        slicec().args(["--validate", "-DA", "-D", "B=7", "-DC", "-UC", "d.ice"]),
        dir.path(),
    );
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    let bad = run(
        slicec().args([
            "--validate",
            "--diagnostic-format=short",
            "-UC",
            "-DA",
            "-DB=7",
            "-DC",
            "d.ice",
        ]),
        dir.path(),
    );
    assert_eq!(bad.status.code(), Some(1));
    assert_eq!(stderr(&bad), "d.ice:8:1: error: #error C\n");
}

/// `-E`: the same tokens as slice2py -E on every valid corpus file.
#[test]
fn preprocessed_text_matches_slice2py() {
    let valid = corpus_dir().join("valid");
    let mut checked = 0;
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&valid)
        .expect("corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "ice"))
        .collect();
    entries.sort();
    let mut mismatches = Vec::new();
    for f in entries {
        let name = f.file_name().expect("name").to_string_lossy().into_owned();
        let args = args_of(&f);
        let ours = run(slicec().arg("-E").args(&args).arg(&name), &valid);
        let theirs = run(slice2py().arg("-E").args(&args).arg(&name), &valid);
        assert_eq!(ours.status.code(), Some(0), "{name}: {}", stderr(&ours));
        let (a, b) = (
            tokens_of_preprocessed(&stdout(&ours)),
            tokens_of_preprocessed(&stdout(&theirs)),
        );
        if a != b {
            mismatches.push(format!("{name}:\n  ours:   {a}\n  theirs: {b}"));
        }
        checked += 1;
        // The #line markers name the compiled file.
        assert!(stdout(&ours).starts_with("#line 1 \""), "{name}");
    }
    assert!(checked > 40);
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// The `.args` of a corpus file, `@ICE_SLICE_DIR@` replaced.
fn args_of(ice: &Path) -> Vec<String> {
    std::fs::read_to_string(ice.with_extension("args"))
        .unwrap_or_default()
        .split_whitespace()
        .map(|a| a.replace("@ICE_SLICE_DIR@", ICE_SLICE_DIR))
        .collect()
}

/// slice2py's `--depend` output with its target name (`X_ice.py`) replaced by ours (`X.rs`).
fn slice2py_depend(args: &[&str], dir: &Path) -> String {
    let o = run(slice2py().arg("--depend").args(args), dir);
    assert_eq!(
        o.status.code(),
        Some(0),
        "slice2py {args:?}: {}",
        stderr(&o)
    );
    stdout(&o).replace("_ice.py:", ".rs:")
}

#[test]
fn depend_matches_slice2py_on_include_trees() {
    let dir = TempDir::new();
    dir.write("inc/I.ice", "#pragma once\nmodule M { const int X = 1; }\n");
    dir.write(
        "a/b/Q.ice",
        "#pragma once\n#include <I.ice>\nmodule N { const int Y = 1; }\n",
    );
    dir.write(
        "sub/S.ice",
        "#pragma once\nmodule S { const int S1 = 1; }\n",
    );
    dir.write(
        "main.ice",
        "#include \"a/b/Q.ice\"\n#include <I.ice>\n#include \"sub/S.ice\"\nmodule Z { const int Z1 = 2; }\n",
    );
    dir.write(
        "other.ice",
        "#include \"sub/S.ice\"\nmodule O { const int O1 = 2; }\n",
    );
    let root = dir.path().display().to_string();
    let cases: Vec<Vec<String>> = vec![
        vec!["-Iinc".into(), "main.ice".into()],
        vec!["-I./inc".into(), "main.ice".into()],
        vec![format!("-I{root}/inc"), "main.ice".into()],
        vec!["-Ia".into(), "-Iinc".into(), "main.ice".into()],
        vec!["-I.".into(), "-Iinc".into(), "main.ice".into()],
        vec!["-Iinc/".into(), "main.ice".into()],
        vec![format!("-I{root}/"), "-Iinc".into(), "main.ice".into()],
        vec!["-Iinc".into(), format!("{root}/main.ice")],
        vec!["-Iinc".into(), "main.ice".into(), "other.ice".into()],
    ];
    for args in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let want = slice2py_depend(&args, dir.path());
        let ours = run(slicec().arg("--depend").args(&args), dir.path());
        assert_eq!(ours.status.code(), Some(0), "{args:?}: {}", stderr(&ours));
        assert_eq!(stdout(&ours), want, "{args:?}");
    }
    // --depend-file writes the same text to a file, --depend-xml in XML.
    let out = dir.path().join("deps.mk");
    let o = run(
        slicec()
            .args(["--depend", "-Iinc", "main.ice", "--depend-file"])
            .arg(&out),
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(&out).expect("deps file"),
        slice2py_depend(&["-Iinc", "main.ice"], dir.path())
    );
    let xml = run(
        slicec().args(["--depend-xml", "-Iinc", "main.ice"]),
        dir.path(),
    );
    let theirs = run(
        slice2py().args(["--depend-xml", "-Iinc", "main.ice"]),
        dir.path(),
    );
    assert_eq!(stdout(&xml), stdout(&theirs));
}

#[test]
fn depend_matches_slice2py_on_corpus_files() {
    let valid = corpus_dir().join("valid");
    for name in ["includes.ice", "ice-includes.ice", "realistic-service.ice"] {
        let args = args_of(&valid.join(name));
        let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
        all.push(name);
        let want = slice2py_depend(&all, &valid);
        let ours = run(slicec().arg("--depend").args(&all), &valid);
        assert_eq!(ours.status.code(), Some(0), "{name}: {}", stderr(&ours));
        assert_eq!(stdout(&ours), want, "{name}");
    }
}

#[test]
fn code_generation_writes_rust_files() {
    let dir = TempDir::new();
    dir.write("ok.ice", "module M { const int A = 1; }\n");
    dir.write("bad.ice", "module M { struct S {} }\n");
    std::fs::create_dir_all(dir.path().join("out")).expect("out dir");
    let ok = run(
        slicec().args(["--output-dir", "out", "--impl", "ok.ice"]),
        dir.path(),
    );
    // Generation (issue 5, helper codegen) writes ok.rs; --impl adds no skeleton for a
    // file without interfaces.
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    assert_eq!(stderr(&ok), "");
    assert!(dir.path().join("out/ok.rs").is_file());
    // Errors in the input still come first, with exit status 1.
    let bad = run(
        slicec().args(["--diagnostic-format=short", "bad.ice"]),
        dir.path(),
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).starts_with("bad.ice:1:"), "{}", stderr(&bad));
}

/// Every Slice file Ice ships: `-E` gives slice2py's tokens and `--depend` its rule.
#[test]
fn ice_distribution_preprocesses_and_depends_like_slice2py() {
    let root = Path::new(ICE_SLICE_DIR);
    assert!(
        root.join("Ice").is_dir(),
        "{ICE_SLICE_DIR} is missing (zeroc-ice-slice)"
    );
    let files = support::corpus::ice_distribution_files();
    let include = format!("-I{ICE_SLICE_DIR}");
    let mut mismatches = Vec::new();
    for f in &files {
        let ours = run(slicec().arg("-E").arg(&include).arg(f), root);
        let theirs = run(slice2py().arg("-E").arg(&include).arg(f), root);
        if tokens_of_preprocessed(&stdout(&ours)) != tokens_of_preprocessed(&stdout(&theirs)) {
            mismatches.push(format!("-E {}", f.display()));
        }
        let arg = f.to_string_lossy();
        let want = slice2py_depend(&[include.as_str(), &arg], root);
        let ours = run(slicec().arg("--depend").arg(&include).arg(f), root);
        if stdout(&ours) != want {
            mismatches.push(format!(
                "--depend {}\n  ours:\n{}  theirs:\n{want}",
                f.display(),
                stdout(&ours)
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
