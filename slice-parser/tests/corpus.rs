//! The shared corpus (`shared/slice/corpus`), file by file, against slice2py's verdicts.
//!
//! * `valid/NAME.ice`: no error, and exactly slice2py's warnings (file, line, message).
//! * `invalid/NAME.ice`: our first error is in the same file, on the same line, with the same
//!   message as slice2py's first error (mcpp's `error: ` prefix removed for `pp-` cases);
//!   for `lex-` and `sem-` cases every line must match, as the corpus README suggests (the
//!   later lines of `syn-` cases are bison's recovery noise, those of `pp-` cases mcpp's
//!   formatting).
//!
//! Cases that are known not to match yet are listed, each with a reason, in
//! `tests/corpus-known-failures.txt`; the test fails when an unlisted case fails *or* a
//! listed case passes, so the list can only shrink.

mod support;

use slice_parser::compile_file;
use std::path::Path;
use support::corpus::{self, Line};

/// Why a case does not match, or `None` when it does.
fn verdict(ice: &Path) -> Option<String> {
    let folder = ice.parent().expect("corpus file has a folder");
    let expected = corpus::read_expected(ice);
    let comp = compile_file(ice, &corpus::options_for(ice));
    let ours = corpus::our_lines(&comp, folder);
    let show = |lines: &[Line]| {
        if lines.is_empty() {
            "(nothing)".to_string()
        } else {
            lines
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        }
    };
    if expected.status == 0 {
        let warnings: Vec<Line> = ours.iter().filter(|l| l.warning).cloned().collect();
        let errors = ours.iter().any(|l| !l.warning);
        if errors || warnings != expected.lines {
            return Some(format!(
                "expected:\n{}\ngot:\n{}",
                show(&expected.lines),
                show(&ours)
            ));
        }
        return None;
    }
    // lex- and sem- cases: every line (slice2py reports these without recovery noise).
    let name = ice.file_name().unwrap_or_default().to_string_lossy();
    if (name.starts_with("lex-") || name.starts_with("sem-")) && ours != expected.lines {
        return Some(format!(
            "expected:\n{}\ngot:\n{}",
            show(&expected.lines),
            show(&ours)
        ));
    }
    let want = expected.lines.iter().find(|l| !l.warning);
    let got = ours.iter().find(|l| !l.warning);
    match (want, got) {
        (Some(w), Some(g)) if w == g => None,
        (Some(w), _) => Some(format!("expected first error:\n{w}\ngot:\n{}", show(&ours))),
        (None, _) => Some("the .expected file has no error line".into()),
    }
}

#[test]
fn corpus_matches_slice2py() {
    corpus::require_ice_slice_dir();
    let dir = corpus::corpus_dir();
    let mut results = Vec::new();
    for sub in ["valid", "invalid"] {
        for ice in corpus::ice_files(&dir.join(sub)) {
            let name = format!(
                "{sub}/{}",
                ice.file_name().unwrap_or_default().to_string_lossy()
            );
            results.push((name, verdict(&ice)));
        }
    }
    assert!(
        results.len() > 150,
        "only {} corpus files found",
        results.len()
    );
    corpus::enforce(
        &results,
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus-known-failures.txt"),
    );
}
