//! The preprocessor, case by case: each case writes files into a temporary directory,
//! preprocesses `main.ice` and compares the `-E` text (or the diagnostics) with the
//! expectation. `$DIR` in expectations stands for the temporary directory.

mod support;

use slice_parser::preprocess::{self, output};
use slice_parser::{Diagnostics, MacroArg, Options, SourceMap};
use std::path::PathBuf;
use support::{brief, TempDir};

/// Parses slice2py-style arguments (`-Idir`, `-DX=1`, `-UX`); relative `-I` directories are
/// relative to the temporary directory.
fn options(dir: &TempDir, args: &[&str]) -> Options {
    let mut o = Options::default();
    for a in args {
        if let Some(d) = a.strip_prefix("-I") {
            o.include_dirs.push(dir.path().join(d));
        } else if let Some(d) = a.strip_prefix("-D") {
            let (n, v) = match d.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None => (d.to_string(), None),
            };
            o.macros.push(MacroArg::Define(n, v));
        } else if let Some(u) = a.strip_prefix("-U") {
            o.macros.push(MacroArg::Undefine(u.to_string()));
        }
    }
    o
}

/// Preprocesses `files[0]` (written with the others into a fresh directory) and returns the
/// `-E` text followed by the diagnostics, one per line, with the directory replaced by `$DIR`.
fn run(files: &[(&str, &str)], args: &[&str]) -> String {
    let dir = TempDir::new();
    for (name, text) in files {
        dir.write(name, text);
    }
    let main = dir.path().join(files[0].0);
    let mut sources = SourceMap::new();
    let mut diags = Diagnostics::new();
    let pp = preprocess::preprocess(&main, &options(&dir, args), &mut sources, &mut diags);
    let mut out = match &pp {
        Some(pp) => output::expanded_text(pp, &sources),
        None => "<failed>\n".to_string(),
    };
    for d in diags.iter() {
        out.push_str(&brief(d, &sources));
        out.push('\n');
    }
    out.replace(&dir.path().display().to_string(), "$DIR")
}

#[track_caller]
fn check(files: &[(&str, &str)], args: &[&str], expect: &str) {
    let got = run(files, args);
    assert_eq!(
        got, expect,
        "\n--- got ---\n{got}--- expected ---\n{expect}"
    );
}

#[test]
fn plain_text_is_copied() {
    check(
        &[("main.ice", "module M { const int A = 1; }\n")],
        &[],
        "#line 1 \"$DIR/main.ice\"\nmodule M { const int A = 1; }\n",
    );
}

#[test]
fn includes_quoted_and_angled() {
    check(
        &[
            (
                "main.ice",
                "#include \"a.ice\"\n#include <b.ice>\nmodule M {}\n",
            ),
            ("a.ice", "module A {}\n"),
            ("inc/b.ice", "module B {}"),
        ],
        &["-Iinc"],
        "#line 1 \"$DIR/main.ice\"\n\
         \n\
         #line 1 \"$DIR/a.ice\"\n\
         module A {}\n\
         #line 2 \"$DIR/main.ice\"\n\
         \n\
         #line 1 \"$DIR/inc/b.ice\"\n\
         module B {}\n\
         #line 3 \"$DIR/main.ice\"\n\
         module M {}\n",
    );
}

#[test]
fn quoted_include_searches_the_includer_directory_first() {
    check(
        &[
            ("main.ice", "#include \"sub/a.ice\"\n"),
            ("sub/a.ice", "#include \"b.ice\"\n"),
            ("sub/b.ice", "module SubB {}\n"),
            ("inc/b.ice", "module IncB {}\n"),
        ],
        &["-Iinc"],
        "#line 1 \"$DIR/main.ice\"\n\
         \n\
         #line 1 \"$DIR/sub/a.ice\"\n\
         \n\
         #line 1 \"$DIR/sub/b.ice\"\n\
         module SubB {}\n",
    );
}

#[test]
fn angled_include_does_not_search_the_includer_directory() {
    check(
        &[("main.ice", "// x\n#include <a.ice>\n"), ("a.ice", "\n")],
        &[],
        "<failed>\n$DIR/main.ice:2: Can't open include file \"a.ice\"\n",
    );
}

#[test]
fn pragma_once_and_double_inclusion() {
    check(
        &[
            (
                "main.ice",
                "#include \"once.ice\"\n#include \"once.ice\"\n#include \"twice.ice\"\n#include \"twice.ice\"\n",
            ),
            ("once.ice", "#pragma once\nmodule O {}\n"),
            ("twice.ice", "module T {}\n"),
        ],
        &[],
        "#line 1 \"$DIR/main.ice\"\n\
         \n\
         #line 1 \"$DIR/once.ice\"\n\
         \n\
         module O {}\n\
         #line 2 \"$DIR/main.ice\"\n\
         \n\
         \n\
         #line 1 \"$DIR/twice.ice\"\n\
         module T {}\n\
         #line 4 \"$DIR/main.ice\"\n\
         \n\
         #line 1 \"$DIR/twice.ice\"\n\
         module T {}\n",
    );
}

#[test]
fn mutual_inclusion_with_pragma_once() {
    check(
        &[
            (
                "main.ice",
                "#pragma once\n#include \"b.ice\"\nmodule A {}\n",
            ),
            (
                "b.ice",
                "#pragma once\n#include \"main.ice\"\nmodule B {}\n",
            ),
        ],
        &[],
        "#line 1 \"$DIR/main.ice\"\n\
         \n\
         \n\
         #line 1 \"$DIR/b.ice\"\n\
         \n\
         \n\
         module B {}\n\
         #line 3 \"$DIR/main.ice\"\n\
         module A {}\n",
    );
}

#[test]
fn recursive_inclusion_is_bounded() {
    let got = run(&[("main.ice", "#include \"main.ice\"\n")], &[]);
    assert!(
        got.ends_with("$DIR/main.ice:1: More than 256 nesting of #include\n"),
        "{got}"
    );
}

#[test]
fn conditionals() {
    check(
        &[(
            "main.ice",
            "#if defined(__SLICE2RS__) && __ICE_VERSION__ >= 30700 && ICE_VERSION == 30708\n\
             a\n\
             #elif 1\n\
             b\n\
             #else\n\
             c\n\
             #endif\n\
             #ifdef __SLICE2PY__\n\
             d\n\
             #elif X + 1 == 2\n\
             e\n\
             #endif\n\
             #ifndef NOPE\n\
             #if 0\n\
             #bogus directive ignored in skipped text\n\
             #else\n\
             f\n\
             #endif\n\
             #endif\n",
        )],
        &["-DX=1"],
        "#line 1 \"$DIR/main.ice\"\n\na\n\n\n\n\n\n\n\n\ne\n\n\n\n\n\nf\n\n\n",
    );
}

#[test]
fn command_line_defines_in_order() {
    check(
        &[("main.ice", "#ifdef A\na\n#endif\n#ifdef B\nb\n#endif\nC\n")],
        &["-DA", "-DB", "-UB", "-DC=3"],
        "#line 1 \"$DIR/main.ice\"\n\na\n\n\n\n\n 3 \n",
    );
}

#[test]
fn macros_object_and_function_like() {
    check(
        &[(
            "main.ice",
            "#define INT_TYPE int\n#define DEFAULT(X) = X\nINT_TYPE retries DEFAULT(3);\nstring s DEFAULT(\"m\");\n",
        )],
        &[],
        "#line 1 \"$DIR/main.ice\"\n\n\n int  retries  = 3 ;\nstring s  = \"m\" ;\n",
    );
}

#[test]
fn macro_call_across_lines_keeps_line_numbers() {
    check(
        &[("main.ice", "#define F(x) x\nconst int A = F(1\n);\nnext\n")],
        &[],
        "#line 1 \"$DIR/main.ice\"\n\nconst int A =  1 \n;\nnext\n",
    );
}

#[test]
fn comments_are_kept_and_hide_directives() {
    check(
        &[(
            "main.ice",
            "/** doc */ module M {}\n/*\n#error not a directive\n*/\n// #error nor this\n",
        )],
        &[],
        "#line 1 \"$DIR/main.ice\"\n/** doc */ module M {}\n/*\n#error not a directive\n*/\n// #error nor this\n",
    );
}

#[test]
fn doc_comment_ranges() {
    let dir = TempDir::new();
    let main = dir.write(
        "main.ice",
        "/** one */\n/**/ /* no */\n#if 0\n/** skipped */\n#endif\nmodule M { /** two\n */ }\n",
    );
    let mut sources = SourceMap::new();
    let mut diags = Diagnostics::new();
    let pp = preprocess::preprocess(&main, &Options::default(), &mut sources, &mut diags)
        .expect("preprocessed");
    let docs: Vec<&str> = pp
        .doc_comments
        .iter()
        .map(|&(s, e)| &pp.text[s as usize..e as usize])
        .collect();
    assert_eq!(docs, ["/** one */", "/** two\n */"]);
}

#[test]
fn errors_use_mcpp_messages() {
    let cases: &[(&str, &str)] = &[
        (
            "#import \"x\"\n",
            "main.ice:1: Unknown #directive \"import\"",
        ),
        ("#warning x\n", "main.ice:1: Unknown #directive \"warning\""),
        ("x\n#endif\n", "main.ice:2: Not in a #if (#ifdef) section"),
        ("#else\n", "main.ice:1: Not in a #if (#ifdef) section"),
        (
            "#ifdef A\nx\n}\n",
            "main.ice:3: End of input within #if (#ifdef) section started at line 1",
        ),
        (
            "#ifndef F\n#error F must be defined\n#endif\n",
            "main.ice:2: #error F must be defined",
        ),
        ("#error\n", "main.ice:1: #error"),
        (
            "#include <Nope.ice>\n",
            "main.ice:1: Can't open include file \"Nope.ice\"",
        ),
        ("#include\n", "main.ice:1: No header name"),
        ("#include foo\n", "main.ice:1: Not a header name \"foo\""),
        (
            "a\n  const string A = \"no end;\n",
            "main.ice:2: Unterminated string literal, skipped the line",
        ),
        (
            "a 'x;\n",
            "main.ice:1: Unterminated character constant 39, skipped the line",
        ),
        (
            "a\x01\n",
            "main.ice:1: Illegal control character 0x01, skipped the character",
        ),
        ("#if\n#endif\n", "main.ice:1: No argument"),
        ("#if 1/0\n#endif\n", "main.ice:1: Division by zero"),
        ("#if (1\n#endif\n", "main.ice:1: Missing \")\""),
        (
            "#if 1\n#else\n#else\n#endif\n",
            "main.ice:3: Already seen #else at line 2",
        ),
        (
            "#if 1\n#endif junk\n",
            "main.ice:2: Excessive token sequence \"junk\"",
        ),
        ("#define\n", "main.ice:1: No identifier"),
        ("#define 3\n", "main.ice:1: Not an identifier \"3\""),
        (
            "#define defined 1\n",
            "main.ice:1: \"defined\" shouldn't be defined",
        ),
        (
            "#define F(x,y) x y\nF(1)\n",
            "main.ice:2: Less than necessary 2 argument(s) in macro call \"F(1)\"",
        ),
        (
            "#define F(x) x\nF(1;\n",
            "main.ice:2: End of input within macro call started at line 2",
        ),
        ("#if defined(\n#endif\n", "main.ice:1: Bad defined syntax: "),
        ("# 5 \"x\"\n", "main.ice:1: Illegal #directive \"5\""),
        ("#line x\n", "main.ice:1: Not a line number \"x\""),
        (
            "#line 0\n",
            "main.ice:1: Line number \"0\" is out of range of [1,32767]",
        ),
    ];
    let mut failures = Vec::new();
    for (text, expect) in cases {
        let got = run(&[("main.ice", text)], &[]);
        let want = format!("<failed>\n$DIR/{expect}\n");
        if got != want {
            failures.push(format!("input {text:?}\n  got:  {got:?}\n  want: {want:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn warnings_do_not_fail() {
    check(
        &[("main.ice", "a\n/* never closed\nmore\n")],
        &[],
        "#line 1 \"$DIR/main.ice\"\na\n/* never closed\nmore\n*/\
         $DIR/main.ice:3: warning: End of input with unterminated comment, terminated the comment\n",
    );
    check(
        &[("main.ice", "#define A 1\n#define A 1\n#define A 2\nA\n")],
        &[],
        "#line 1 \"$DIR/main.ice\"\n\n\n\n 2 \n$DIR/main.ice:3: warning: The macro is redefined\n",
    );
    check(
        &[("main.ice", "\"a\x01b\"\n")],
        &[],
        "#line 1 \"$DIR/main.ice\"\n\"a\x01b\"\n$DIR/main.ice:1: warning: Illegal control character 0x01 in quotation\n",
    );
}

#[test]
fn line_directive_renumbers() {
    check(
        &[("main.ice", "#line 10\nx\n\x01\n")],
        &[],
        "<failed>\n$DIR/main.ice:11: Illegal control character 0x01, skipped the character\n",
    );
}

#[test]
fn unknown_pragma_goes_through() {
    check(
        &[("main.ice", "#pragma foo\nx\n")],
        &[],
        "#line 1 \"$DIR/main.ice\"\n#pragma foo\nx\n",
    );
}

#[test]
fn byte_order_mark_is_dropped() {
    check(
        &[("main.ice", "\u{feff}#pragma once\nx\n")],
        &[],
        "#line 1 \"$DIR/main.ice\"\n\nx\n",
    );
}

#[test]
fn every_byte_maps_back_to_its_file() {
    let dir = TempDir::new();
    let main = dir.write(
        "main.ice",
        "#define T int\nmodule M {\n#include \"a.ice\"\n  T x;\n}\n",
    );
    dir.write("a.ice", "  struct S { T y; }\n");
    let mut sources = SourceMap::new();
    let mut diags = Diagnostics::new();
    let pp = preprocess::preprocess(&main, &Options::default(), &mut sources, &mut diags)
        .expect("preprocessed");
    let at = |needle: &str| {
        let off = pp.text.find(needle).expect("needle") as u32;
        let (file, pos) = sources.pp_to_file(off).expect("mapped");
        let f = sources.file(file);
        let (line, col) = f.line_col(pos);
        let name = PathBuf::from(&f.name);
        let level = sources.pp_level(off);
        (
            name.file_name().unwrap().to_string_lossy().into_owned(),
            line,
            col,
            level,
        )
    };
    assert_eq!(at("module"), ("main.ice".into(), 2, 1, 0));
    assert_eq!(at("struct"), ("a.ice".into(), 1, 3, 1));
    assert_eq!(at("y;"), ("a.ice".into(), 1, 16, 1));
    assert_eq!(at("int  y"), ("a.ice".into(), 1, 14, 1));
    assert_eq!(at("x;"), ("main.ice".into(), 4, 5, 0));
    assert_eq!(at("}\n"), ("a.ice".into(), 1, 19, 1));
    assert_eq!(pp.includes.len(), 1);
}

#[test]
fn errors_in_included_files_note_the_include_chain() {
    let dir = TempDir::new();
    let main = dir.write("main.ice", "// top\n#include \"a.ice\"\n");
    dir.write("a.ice", "#include \"b.ice\"\n");
    dir.write("b.ice", "\n\n#error deep\n");
    let mut sources = SourceMap::new();
    let mut diags = Diagnostics::new();
    let pp = preprocess::preprocess(&main, &Options::default(), &mut sources, &mut diags);
    assert!(pp.is_none());
    let d: Vec<_> = diags.iter().collect();
    assert_eq!(d.len(), 1);
    let root = dir.path().display().to_string();
    assert_eq!(
        brief(d[0], &sources),
        format!("{root}/b.ice:3: #error deep")
    );
    assert_eq!(
        d[0].notes,
        [
            format!("included from {root}/a.ice:1"),
            format!("included from {root}/main.ice:2"),
        ]
    );
}

/// Warnings mcpp gives (checked against slice2py by hand; the differential test compares
/// errors only).
#[test]
fn mcpp_warnings() {
    let cases: &[(&str, &[&str])] = &[
        (
            "/* a /* b */\n#define X /* c /* d */ 1\n",
            &["main.ice:1: warning: \"/*\" within comment", "main.ice:2: warning: \"/*\" within comment"],
        ),
        (
            "#define F(x) x\nF(1\n#if 1\n)\n",
            &["main.ice:3: warning: Macro started at line 2 swallowed directive-like line"],
        ),
        (
            "#define F(x) (x * 2)\n#define FF F\nFF(2)\n",
            &["main.ice:3: warning: Replacement text \"F\" of macro \"FF\" involved subsequent text"],
        ),
        (
            "#if 1 /* open\n#endif\n",
            &[
                "main.ice:2: warning: End of input with unterminated comment, terminated the comment",
                "main.ice:2: End of input within #if (#ifdef) section started at line 2",
            ],
        ),
    ];
    let mut failures = Vec::new();
    for (text, want) in cases {
        let got = run(&[("main.ice", text)], &[]);
        let got: Vec<&str> = got
            .lines()
            .filter_map(|l| l.strip_prefix("$DIR/"))
            .collect();
        if got != *want {
            failures.push(format!("{text:?}\n  got:  {got:?}\n  want: {want:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn rescanning_takes_arguments_from_the_following_text() {
    check(
        &[("main.ice", "#define F(x) [x]\n#define FF F\nFF(2) z\n")],
        &[],
        "#line 1 \"$DIR/main.ice\"\n\n\n [2]  z\n\
         $DIR/main.ice:3: warning: Replacement text \"F\" of macro \"FF\" involved subsequent text\n",
    );
}
