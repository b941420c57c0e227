//! Whatever the input, compiling never panics and never overflows the stack: random token
//! soup, mutated corpus files, and pathological nesting all end in diagnostics.

mod support;

use proptest::prelude::*;
use slice_parser::render::{render, Format};
use slice_parser::{compile_source, Options};
use support::corpus;

/// Compiles `text` and renders every diagnostic in every format (rendering must be total
/// too). Returns whether an error was reported.
fn compile_all_the_way(text: &str) -> bool {
    compile_and_render(text, &[Format::Human, Format::Short, Format::Json])
}

/// Compiles `text` and renders its diagnostics in `formats`, on a thread with a 2 MiB
/// stack (Rust's default for spawned threads), so that unbounded recursion shows up as a
/// crash, and within a time limit, so that a loop that never ends shows up as a failure.
/// Returns whether an error was reported.
fn compile_and_render(text: &str, formats: &[Format]) -> bool {
    let (tx, rx) = std::sync::mpsc::channel();
    let text_owned = text.to_string();
    let formats = formats.to_vec();
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let comp = compile_source("fuzz.ice", &text_owned, &Options::default());
            for format in formats {
                let _ = render(&comp.diagnostics, &comp.sources, format);
            }
            let _ = tx.send(comp.has_errors());
        })
        .expect("spawn");
    match rx.recv_timeout(std::time::Duration::from_secs(60)) {
        Ok(errors) => errors,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("no result after 60 s (endless loop?) for {text:?}")
        }
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            panic!("the compiler crashed (panic or stack overflow) on {text:?}")
        }
    }
}

/// The corpus files' texts (the seeds of the mutations).
fn seeds() -> Vec<String> {
    let dir = corpus::corpus_dir();
    let mut v = Vec::new();
    for sub in ["valid", "invalid"] {
        for f in corpus::ice_files(&dir.join(sub)) {
            if let Ok(t) = std::fs::read(&f) {
                v.push(String::from_utf8_lossy(&t).into_owned());
            }
        }
    }
    assert!(!v.is_empty(), "no corpus files");
    v
}

/// Pieces of Slice and preprocessor syntax to build random inputs from.
const TOKENS: &[&str] = &[
    "module",
    "struct",
    "class",
    "interface",
    "exception",
    "enum",
    "sequence",
    "dictionary",
    "const",
    "local",
    "extends",
    "implements",
    "throws",
    "optional",
    "idempotent",
    "out",
    "void",
    "int",
    "long",
    "string",
    "bool",
    "byte",
    "float",
    "double",
    "short",
    "Object",
    "Object*",
    "LocalObject",
    "Value",
    "true",
    "false",
    "A",
    "B",
    "::",
    "::A",
    "A::B",
    "\\module",
    "{",
    "}",
    "(",
    ")",
    "<",
    ">",
    "[",
    "]",
    "[[",
    "]]",
    ";",
    ",",
    "=",
    "*",
    "?",
    "\"s\"",
    "\"\\u12\"",
    "'c'",
    "0",
    "-1",
    "0x7f",
    "1.5e3",
    "99999999999999999999",
    "/*",
    "*/",
    "/** doc */",
    "//",
    "\n",
    " ",
    "\t",
    "\r\n",
    "#include \"x.ice\"\n",
    "#include <Ice/Identity.ice>\n",
    "#if 1\n",
    "#if\n",
    "#ifdef A\n",
    "#else\n",
    "#elif 0\n",
    "#endif\n",
    "#define A B\n",
    "#define F(x) x x\n",
    "F(",
    "#pragma once\n",
    "#error e\n",
    "#line 0\n",
    "\u{feff}",
    "é",
    "\u{1}",
    "\"",
];

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..200).prop_map(|v| v.join(" "))
}

#[derive(Clone, Debug)]
enum Mutation {
    Delete(usize, usize),
    Insert(usize, Vec<u8>),
    InsertToken(usize, &'static str),
    Swap(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0usize..20).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(a, b)| Mutation::Insert(a, b)),
        (any::<usize>(), prop::sample::select(TOKENS))
            .prop_map(|(a, t)| Mutation::InsertToken(a, t)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Swap(a, b)),
    ]
}

fn mutate(seed: &str, ms: &[Mutation]) -> String {
    let mut b = seed.as_bytes().to_vec();
    for m in ms {
        let len = b.len().max(1);
        match m {
            Mutation::Delete(a, n) => {
                let a = a % len;
                let e = (a + n).min(b.len());
                if a < e {
                    b.drain(a..e);
                }
            }
            Mutation::Insert(a, bytes) => {
                let a = (a % len).min(b.len());
                b.splice(a..a, bytes.iter().copied());
            }
            Mutation::InsertToken(a, t) => {
                let a = (a % len).min(b.len());
                b.splice(a..a, t.bytes());
            }
            Mutation::Swap(x, y) => {
                if !b.is_empty() {
                    let (x, y) = (x % b.len(), y % b.len());
                    b.swap(x, y);
                }
            }
        }
    }
    String::from_utf8_lossy(&b).into_owned()
}

proptest! {
    // PROPTEST_CASES=N runs more (or fewer) cases than the default.
    #![proptest_config(ProptestConfig { cases: support::proptest_cases(96), ..ProptestConfig::default() })]

    #[test]
    fn token_soup_never_panics(text in token_soup()) {
        compile_all_the_way(&text);
    }

    #[test]
    fn mutated_corpus_files_never_panic(
        pick in any::<prop::sample::Index>(),
        ms in prop::collection::vec(mutation(), 1..12),
    ) {
        let seeds = seeds();
        let seed = pick.get(&seeds);
        compile_all_the_way(&mutate(seed, &ms));
    }

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,400}") {
        compile_all_the_way(&text);
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let cases = [
        "module A {".repeat(100_000),
        format!("module M {{ const int X = {}1; }}", "(".repeat(100_000)),
        format!("module M {{ sequence<{} S; }}", "sequence<".repeat(100_000)),
        format!("module M {{ struct S {{ {} }} }}", "[".repeat(100_000)),
        format!("{}\n", "#if 1\n".repeat(100_000)),
        format!("#if {}1\n#endif\n", "(".repeat(100_000)),
        format!("#if {}1\n#endif\n", "-".repeat(100_000)),
    ];
    for text in cases {
        let head: String = text.chars().take(30).collect();
        assert!(
            // Human rendering copies each (here megabyte-long) source line into every
            // snippet; the short form is enough to show the diagnostics are sound.
            compile_and_render(&text, &[Format::Short]),
            "no error for {head}..."
        );
    }
}

#[test]
fn deep_macro_chains_are_bounded() {
    let mut text = String::from("#define M0 x\n");
    for i in 1..5000 {
        text.push_str(&format!("#define M{i} M{}\n", i - 1));
    }
    text.push_str("module M { const int A = M4999; }\n");
    assert!(compile_all_the_way(&text));
}

/// Inputs that once made the compiler loop, crash or blow up.
#[test]
fn past_failures_stay_fixed() {
    for text in [
        // An open quote as the very last byte of a macro call's arguments looped forever.
        "#define F()\nF(\"",
        "#define F(x) x\nF(1 // c",
        "module \r\n #line 0\n module",
    ] {
        compile_all_the_way(text);
    }
}
