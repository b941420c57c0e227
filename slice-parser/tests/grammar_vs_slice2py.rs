//! Differential test of the grammar against the reference compiler: valid corpus files,
//! damaged at random (a token removed, replaced or inserted), go through slice2py 3.7.8 and
//! through our front end; the verdict and the first error line must be the same.
//!
//! One family of differences is known and tolerated: slice2py looks types up *while*
//! parsing, and when a lookup fails it reports only that (`` `T' is not defined``, "is not a
//! type", ...) and skips the rest of the construct silently, where we report the syntax
//! error the damaged text contains (SLICE-LANGUAGE.md 13.1; the grammar cannot know which
//! names exist). Every other difference fails the test.

mod support;

use slice_parser::{compile_file, Options, Severity};
use std::path::Path;
use std::process::Command;
use support::{brief, corpus::corpus_dir, corpus::ice_files, TempDir};

/// Deterministic pseudo-random numbers (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Splits Slice text into rough tokens (blanks, strings, words, `::`, `[[`, `]]`, other).
fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let c = b[i];
        i += 1;
        if c.is_ascii_whitespace() {
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
        } else if c == b'"' {
            while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                i += 1;
            }
            i = (i + 1).min(b.len());
        } else if c.is_ascii_alphanumeric() || c == b'_' {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
        } else if (c == b':' || c == b'[' || c == b']') && b.get(i) == Some(&c) {
            i += 1;
        } else {
            while i < b.len() && !text.is_char_boundary(i) {
                i += 1;
            }
        }
        out.push(text[start..i].to_string());
    }
    out
}

const VOCABULARY: &[&str] = &[
    "module",
    "M",
    "{",
    "}",
    ";",
    "[",
    "]",
    "[[",
    "]]",
    "\"a\"",
    "(",
    ")",
    "<",
    ">",
    ",",
    "::",
    "=",
    "*",
    "class",
    "interface",
    "struct",
    "enum",
    "exception",
    "sequence",
    "dictionary",
    "const",
    "local",
    "out",
    "optional",
    "optional(1)",
    "idempotent",
    "void",
    "int",
    "string",
    "Object",
    "extends",
    "implements",
    "throws",
    "1",
    "-1",
    "1.5e3",
    "true",
    "x",
    "\n",
];

/// The first error line of slice2py's output (`FILE:LINE: message`; mcpp's `error: ` and
/// continuation lines dropped), or `None` when it accepted the file.
fn reference_first_error(file: &Path) -> (bool, Option<String>) {
    let out = Command::new("slice2py")
        .arg("--output-dir")
        .arg(file.parent().unwrap_or(Path::new(".")))
        .arg(file)
        .output()
        .expect("slice2py (zeroc-ice-compilers 3.7) must be installed to run this test");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let first = stderr
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.starts_with("warning: ") && !l.is_empty())
        .filter(|l| !l.contains(": warning: "))
        .find(|l| !l.ends_with("in preprocessor."))
        .map(|l| l.replacen(": error: ", ": ", 1));
    (!out.status.success(), first)
}

fn is_lookup_message(line: &str) -> bool {
    [
        "' is not defined",
        "' is not a type",
        "' is not an exception",
        "is capitalized inconsistently",
        "has changed meaning",
    ]
    .iter()
    .any(|m| line.contains(m))
}

#[test]
fn damaged_files_get_the_reference_verdict_and_first_error() {
    let seeds: Vec<String> = ice_files(&corpus_dir().join("valid"))
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .filter(|t| !t.contains('#'))
        .collect();
    assert!(seeds.len() > 30, "corpus files missing");
    let dir = TempDir::new();
    // GRAMMAR_DIFF_SEED / GRAMMAR_DIFF_CASES explore further than the default run.
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    let mut rng = Rng(env("GRAMMAR_DIFF_SEED").unwrap_or(0x0005_EED0_F5A1_CE37) | 1);
    let cases = env("GRAMMAR_DIFF_CASES").unwrap_or(150) as usize;
    let mut tolerated = 0;
    let mut failures = Vec::new();
    for case in 0..cases {
        let mut toks = tokens(&seeds[rng.below(seeds.len())]);
        for _ in 0..=rng.below(2) {
            let at = rng.below(toks.len());
            let word = format!(" {} ", VOCABULARY[rng.below(VOCABULARY.len())]);
            match rng.below(3) {
                0 if !toks.is_empty() => {
                    toks.remove(at);
                }
                1 => toks.insert(at, word),
                _ if at < toks.len() => toks[at] = word,
                _ => toks.push(word),
            }
        }
        let text = toks.concat();
        let name = format!("case{case}.ice");
        let file = dir.write(&name, &text);
        let (ref_failed, ref_first) = reference_first_error(&file);
        let ref_first = ref_first.map(|l| l.replace(&format!("{}/", dir.path().display()), ""));

        let comp = compile_file(&file, &Options::default());
        let ours_failed = comp.has_errors();
        let ours_first = comp
            .diagnostics
            .iter()
            .find(|d| d.severity == Severity::Error)
            .map(|d| brief(d, &comp.sources))
            .map(|l| l.replace(&format!("{}/", dir.path().display()), ""));

        let same_verdict = ref_failed == ours_failed;
        // slice2py crashes (no location) on strings that are not UTF-8; we report them.
        let crash = ref_first
            .as_deref()
            .is_some_and(|l| l.starts_with("slice2py: error:"));
        if same_verdict && (ref_first == ours_first || crash) {
            continue;
        }
        if same_verdict && ref_first.as_deref().is_some_and(is_lookup_message) {
            tolerated += 1;
            continue;
        }
        if std::env::var_os("GRAMMAR_DIFF_KEEP").is_some() {
            std::fs::write(std::env::temp_dir().join(&name), &text).ok();
        }
        failures.push(format!(
            "{name}: slice2py {ref_first:?}, ours {ours_first:?}\n{text}"
        ));
    }
    assert!(
        failures.is_empty(),
        "{} of {cases} differ ({tolerated} tolerated lookup cases):\n{}",
        failures.len(),
        failures.join("\n----\n")
    );
    assert!(tolerated < cases / 10, "{tolerated} lookup differences");
}
