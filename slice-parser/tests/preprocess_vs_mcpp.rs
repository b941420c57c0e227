//! Differential test: for each input, the preprocessor's verdict equals mcpp's as run by the
//! real `slice2py` (which must be installed): the same errors (lines and messages, in order),
//! or no error on both sides and then the same tokens in the `-E` output.

mod support;

use slice_parser::preprocess::{self, output};
use slice_parser::{Diagnostics, Options, SourceMap};
use std::process::Command;
use support::{preprocessed_tokens, TempDir};

/// mcpp's errors in slice2py's stderr: (line, message without `error: `), in order.
fn mcpp_errors(stderr: &str) -> Vec<(u32, String)> {
    stderr
        .lines()
        .filter_map(|l| {
            let rest = l.split_once("main.ice:")?.1;
            let (line, msg) = rest
                .split_once(": error: ")
                .or_else(|| rest.split_once(": fatal error: "))?;
            Some((line.parse().ok()?, msg.to_string()))
        })
        .collect()
}

/// Our errors, and the `-E` text when there is none.
fn ours(dir: &TempDir) -> (Vec<(u32, String)>, String) {
    let mut sources = SourceMap::new();
    let mut diags = Diagnostics::new();
    let opts = Options {
        include_dirs: vec![dir.path().join("inc")],
        ..Options::default()
    };
    let main = dir.path().join("main.ice");
    let pp = preprocess::preprocess(&main, &opts, &mut sources, &mut diags);
    let text = pp.map_or_else(String::new, |pp| output::expanded_text(&pp, &sources));
    let errors = diags
        .iter()
        .filter(|d| d.is_error())
        .map(|d| {
            let s = d.span().expect("preprocessor errors have a span");
            (
                sources.file(s.file).presumed_line(s.start).1,
                d.message.clone(),
            )
        })
        .collect();
    (errors, text)
}

const CASES: &[&str] = &[
    // Accepted.
    "module M { const int A = 1; }\n",
    "#if 0\n#bogus\n'unbalanced\n#endif\n",
    "#if 0\n#if 1\n#else\n#endif\n#elif 1\n#else\n#endif\n",
    "#ifdef __ICE_VERSION__\n#else\n#error no version\n#endif\n",
    "#if ICE_VERSION / 100 == 307 && defined ICE_VERSION\n#else\n#error bad\n#endif\n",
    "#define TWICE(x) ((x) + (x))\n#if TWICE(2) != 4\n#error arithmetic\n#endif\n",
    "#define EMPTY\n#if defined(EMPTY) && !defined UNDEF\n#else\n#error defined\n#endif\n",
    "/*\n#error in a comment\n*/\n// #error in a line comment\n",
    "module M { const string S = \"#error in a string\"; }\n",
    "#include \"once.ice\"\n#include <once.ice>\n",
    "#pragma once\n#pragma once\n",
    "#\n",
    "#define A 1\n#undef A\n#undef A\n#ifdef A\n#error A\n#endif\n",
    "#if 1 ? 0 : 1\n#error ternary\n#endif\n",
    "#if (2 || 1/0)\n#endif\n",
    "#line 100\n",
    "#if 0x10 == 16 && 010 == 8 && 'a' == 97 && -1 < 0\n#else\n#error literals\n#endif\n",
    "#define F(x) x\nF(1\n)\n",
    "#define HDR \"once.ice\"\n#include HDR\n",
    "#define ANGLED <once.ice>\n#include ANGLED\n",
    "#if defined(A) || defined B || (defined(C))\n#error none defined\n#endif\n",
    "#define A B\n#define B A\n#if A\n#error cyclic\n#endif\n",
    "#if 0\n#error skipped\n#elif 0\n#error skipped too\n#endif\n",
    "#ifndef G\n#define G\n#include \"main.ice\"\n#endif\n",
    "#define S(x) #x\nmodule M { const string A = S(a \"b\" c); }\n",
    "#if 1\n#endif // trailing comment\n#ifdef X /* c */\n#endif\n",
    "  #  define  SPACED  1\n#if SPACED\n#else\n#error spaced\n#endif\n",
    "#if 1 \\\n + 1 == 2\n#else\n#error splice\n#endif\n",
    "#if ~0 == -1 && (1 << 62) > 0 && -9223372036854775807 - 1 < 0\n#else\n#error wide\n#endif\n",
    "#if __LINE__ == 1 && __STDC__ && defined __FILE__\nx\n#endif\n__LINE__ __FILE__ __STDC_VERSION__\n",
    "#define L __LINE__\n\nL\n#if L != 4\n#error line\n#endif\n",
    "#if 18446744073709551615\n#endif\n#undef __STDC_HOSTED__\n",
    // Rejected.
    "#if 18446744073709551616\n#endif\n",
    "#if 0x1ffffffffffffffff\n#endif\n",
    "#undef __FILE__\n#undef __STDC__\n#undef __DATE__\n#undef __TIME__\n",
    "#define __LINE__ 3\n#define __STDC_VERSION__ 1\n#define __TIME__\n",
    "#include_next <once.ice>\n",
    "#define HDR nothing\n#include HDR\n",
    "#assert x\n",
    "#if 1\n#endif\n#endif\n",
    "#include \"main.ice\"\n",
    "#define F(x) x\n#if F(\n#endif\n",
    "#include \"nope.ice\"\n",
    "// c\n#include <nope.ice>\n",
    "#include\n",
    "#include nope\n",
    "#include \"once.ice\" junk\n",
    "\n#import \"x\"\n",
    "#warning x\n",
    "#endif\n",
    "#if 1\n#else\n#elif 0\n#endif\n",
    "#if 1\n#else\n#else\n#endif\n",
    "#ifdef X\nmodule M {}\n",
    "#if 1\n#if 0\n#endif\n",
    "#error stop here\n",
    "#if\n#endif\n",
    "#if 1/0\n#endif\n",
    "#if 1 %% 0\n#endif\n",
    "#if (1\n#endif\n",
    "#if 1 )\n#endif\n",
    "#if 1 +\n#endif\n",
    "#if 1 x\n#endif\n",
    "#if \"s\"\n#endif\n",
    "#if 1.5\n#endif\n",
    "#if defined(\n#endif\n",
    "#ifdef\n#endif\n",
    "#ifdef 3\n#endif\n",
    "#ifndef A B\n#endif\n",
    "#define\n",
    "#define 3 x\n",
    "#define defined\n",
    "#define F(a,a) a\n",
    "#define F(a b) a\n",
    "#undef\n",
    "#undef A B\n",
    "#line\n",
    "#line x\n",
    "#line 0\n",
    "# 12 \"x\"\n",
    "module M {\n  const string S = \"open;\n}\n",
    "module M { x 'y; }\n",
    "module M {\x01 }\n",
    "#define F(x, y) x y\nmodule M { F(1) }\n",
    "#define F(x) x\nmodule M { F(1; }\n",
    "#define G(x,y) x y\nG(1\n)\nend\n",
    "#define G(x,y) x y\n#if G(1\n)\n#endif\n",
];

#[test]
fn preprocessor_verdicts_match_mcpp() {
    let probe = Command::new("slice2py").arg("-v").output();
    assert!(
        probe.is_ok(),
        "slice2py is not installed (zeroc-ice-compilers)"
    );
    let mut mismatches = Vec::new();
    let mut rejected = 0;
    let mut compared = 0;
    for case in CASES {
        let dir = TempDir::new();
        dir.write("main.ice", case);
        dir.write(
            "inc/once.ice",
            "#pragma once\nmodule Once { const int O = 1; }\n",
        );
        dir.write(
            "once.ice",
            "#pragma once\nmodule Local { const int L = 1; }\n",
        );
        let out = dir.path().join("out");
        std::fs::create_dir_all(&out).expect("out dir");
        let theirs = Command::new("slice2py")
            .arg("-Iinc")
            .arg("--output-dir")
            .arg(&out)
            .arg("main.ice")
            .current_dir(dir.path())
            .output()
            .expect("run slice2py");
        let want = mcpp_errors(&String::from_utf8_lossy(&theirs.stderr));
        let (got, text) = ours(&dir);
        rejected += usize::from(!want.is_empty());
        if want != got {
            mismatches.push(format!("{case:?}\n  mcpp: {want:?}\n  ours: {got:?}"));
        } else if want.is_empty() {
            let e = Command::new("slice2py")
                .args(["-Iinc", "-E", "main.ice"])
                .current_dir(dir.path())
                .output()
                .expect("run slice2py -E");
            let (a, b) = (
                preprocessed_tokens(&text),
                preprocessed_tokens(&String::from_utf8_lossy(&e.stdout)),
            );
            compared += usize::from(!b.is_empty());
            if a != b {
                mismatches.push(format!("{case:?} -E\n  mcpp: {b}\n  ours: {a}"));
            }
        }
    }
    assert!(mismatches.is_empty(), "\n{}", mismatches.join("\n"));
    // Guards the harness itself: mcpp's messages were recognised.
    assert!(rejected > 40, "only {rejected} cases rejected by mcpp");
    assert!(compared >= 5, "only {compared} -E outputs compared");
}

/// Lines random inputs are made of: directives over a few macro names, and text using them.
const LINES: &[&str] = &[
    "#define A 1",
    "#define A 2",
    "#define B A + 1",
    "#define C",
    "#define F(x) (x * 2)",
    "#define G(x, y) x ## y",
    "#define S(x) #x",
    "#undef A",
    "#undef F",
    "#if A",
    "#if B > 2",
    "#if defined(C) && F(3) == 6",
    "#if 10 / A",
    "#if F(A) || !defined B",
    "#ifdef C",
    "#ifndef A",
    "#elif B",
    "#elif defined F",
    "#else",
    "#endif",
    "#error stop",
    "#include \"once.ice\"",
    "#line 7",
    "#pragma once",
    "A B C F(1) F(A) G(A, B) S(A)",
    "module M { const int X = B; }",
    "/* A \n #endif */ B",
    "\"A string with A\" A",
    "// A comment with #if",
    "#define H(x) F(x) + G(x, 1) S(x)",
    "#define FF F",
    "FF(2) H(A) F(F(1)) S(\"q\\\"\")",
    "F(1",
    ")",
    "#if A ? B : 1 / 0",
    "#if 'a' == 97 && 0x1F == 31 && 07 == 7",
    "#define E() empty",
    "E() E ( ) E",
    "#bogus directive",
    "#include <missing.ice>",
    "const string U = \"unterminated;",
    "x 'y",
    "/* starts here",
    "ends here */ A",
    "#if A /* spans",
    "lines */ + 1",
    "#define M(a) a \\",
    "  + a",
    "  # if 0",
    "#ifdef A junk",
    "#endif junk",
    "#define A(x) x",
    "G(A,",
    "G(",
    "__LINE__ L __FILE__",
    "#define L __LINE__",
    "#if __LINE__ > 5",
    "#if 99999999999999999999",
    "#undef __STDC__",
    "",
];

fn compare_with_mcpp(text: &str) -> Result<(), String> {
    let dir = TempDir::new();
    dir.write("main.ice", text);
    dir.write(
        "once.ice",
        "#pragma once\nmodule Local { const int L = 1; }\n",
    );
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    let run = |args: &[&str]| {
        Command::new("slice2py")
            .args(args)
            .current_dir(dir.path())
            .output()
            .map_err(|e| e.to_string())
    };
    let theirs = run(&["--output-dir", "out", "main.ice"])?;
    let want = mcpp_errors(&String::from_utf8_lossy(&theirs.stderr));
    let (got, ours_text) = ours(&dir);
    if want != got {
        return Err(format!("mcpp: {want:?}\nours: {got:?}"));
    }
    if want.is_empty() {
        let e = run(&["-E", "main.ice"])?;
        let (a, b) = (
            preprocessed_tokens(&ours_text),
            preprocessed_tokens(&String::from_utf8_lossy(&e.stdout)),
        );
        if a != b {
            return Err(format!("-E\nmcpp: {b}\nours: {a}"));
        }
    }
    Ok(())
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: support::proptest_cases(48),
        ..proptest::prelude::ProptestConfig::default()
    })]

    /// Random sequences of directives and text: same verdict and tokens as mcpp.
    #[test]
    fn random_directive_sequences_match_mcpp(
        lines in proptest::collection::vec(proptest::sample::select(LINES), 0..24)
    ) {
        // A final text line: when a file ends right after `#line N`, mcpp reports end-of-input
        // errors on line N-1, which no span in the file can express (a known difference).
        let text = lines.join("\n") + "\nend\n";
        let r = compare_with_mcpp(&text);
        proptest::prop_assert!(r.is_ok(), "{text:?}\n{}", r.err().unwrap_or_default());
    }
}
