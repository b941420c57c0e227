//! Differential test: for each input, the preprocessor's verdict equals mcpp's as run by the
//! real `slice2py` (which must be installed): the same first error (line and message), or no
//! error on both sides.

mod support;

use slice_parser::preprocess;
use slice_parser::{Diagnostics, Options, SourceMap};
use std::process::Command;
use support::TempDir;

/// mcpp's first error in slice2py's stderr: (line, message without `error: `).
fn mcpp_first_error(stderr: &str) -> Option<(u32, String)> {
    stderr.lines().find_map(|l| {
        let rest = l.split_once("main.ice:")?.1;
        let (line, msg) = rest.split_once(": error: ")?;
        Some((line.parse().ok()?, msg.to_string()))
    })
}

fn ours_first_error(dir: &TempDir) -> Option<(u32, String)> {
    let mut sources = SourceMap::new();
    let mut diags = Diagnostics::new();
    let opts = Options {
        include_dirs: vec![dir.path().join("inc")],
        ..Options::default()
    };
    let _ = preprocess::preprocess(
        &dir.path().join("main.ice"),
        &opts,
        &mut sources,
        &mut diags,
    );
    let first = diags.iter().find(|d| d.is_error()).map(|d| {
        let s = d.span().expect("preprocessor errors have a span");
        (
            sources.file(s.file).presumed_line(s.start).1,
            d.message.clone(),
        )
    });
    first
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
    // Rejected.
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
];

#[test]
fn preprocessor_verdicts_match_mcpp() {
    let probe = Command::new("slice2py").arg("-v").output();
    assert!(
        probe.is_ok(),
        "slice2py is not installed (zeroc-ice-compilers)"
    );
    let mut mismatches = Vec::new();
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
        let want = mcpp_first_error(&String::from_utf8_lossy(&theirs.stderr));
        let got = ours_first_error(&dir);
        if want != got {
            mismatches.push(format!("{case:?}\n  mcpp: {want:?}\n  ours: {got:?}"));
        }
    }
    assert!(mismatches.is_empty(), "\n{}", mismatches.join("\n"));
}
