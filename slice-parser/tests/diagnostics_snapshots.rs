//! Exact rendered diagnostics (human without color, then short) for representative errors of
//! every phase. Refresh with `UPDATE_EXPECT=1 cargo test --test diagnostics_snapshots` and
//! review the diff like code.

use expect_test::{expect, Expect};
use slice_parser::render::{render, Format};
use slice_parser::{compile_source, Options};

#[track_caller]
fn check(text: &str, expect: Expect) {
    let comp = compile_source("snap.ice", text, &Options::default());
    let human = render(&comp.diagnostics, &comp.sources, Format::Human);
    let short = render(&comp.diagnostics, &comp.sources, Format::Short);
    expect.assert_eq(&format!("{human}---\n{short}"));
}

#[test]
fn include_not_found() {
    check(
        "// x\n#include <Missing.ice>\nmodule M {}\n",
        expect![[r#"
        error[pp-include-not-found]: Can't open include file "Missing.ice"
          --> snap.ice:2:1
          |
        2 | #include <Missing.ice>
          | ^^^^^^^^^^^^^^^^^^^^^^

        ---
        snap.ice:2:1: error: Can't open include file "Missing.ice"
    "#]],
    );
}

#[test]
fn error_directive() {
    check(
        "#ifndef FEATURE\n#error FEATURE must be defined\n#endif\n",
        expect![[r#"
            error[pp-error]: #error FEATURE must be defined
              --> snap.ice:2:1
              |
            2 | #error FEATURE must be defined
              | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^

            ---
            snap.ice:2:1: error: #error FEATURE must be defined
        "#]],
    );
}

#[test]
fn unterminated_if() {
    check(
        "#ifdef __SLICE2RS__\nmodule M\n{\n    const int A = 1;\n}\n",
        expect![[r#"
            error[pp-unterminated-if]: End of input within #if (#ifdef) section started at line 1
              --> snap.ice:5:1
              |
            1 | #ifdef __SLICE2RS__
              | ------------------- the section starts here
              .
            5 | }
              | ^

            ---
            snap.ice:5:1: error: End of input within #if (#ifdef) section started at line 1
        "#]],
    );
}

#[test]
fn unknown_directive() {
    check(
        "#import \"Other.ice\"\n",
        expect![[r#"
        error[pp-unknown-directive]: Unknown #directive "import"
          --> snap.ice:1:1
          |
        1 | #import "Other.ice"
          | ^^^^^^^^^^^^^^^^^^^

        ---
        snap.ice:1:1: error: Unknown #directive "import"
    "#]],
    );
}

#[test]
fn macro_redefined_and_unterminated_comment() {
    check(
        "#define A 1\n#define A 2\nmodule M { const int X = A; }\n/* never closed\n",
        expect![[r#"
            warning[pp-macro-redefined]: The macro is redefined
              --> snap.ice:2:1
              |
            2 | #define A 2
              | ^^^^^^^^^^^
              |
              = previously macro "A" defined as: #define A 1

            warning[pp-unterminated-comment]: End of input with unterminated comment, terminated the comment
              --> snap.ice:4:1
              |
            4 | /* never closed
              | ^^^^^^^^^^^^^^^
              | |
              | the comment starts here

            ---
            snap.ice:2:1: warning: The macro is redefined
            snap.ice:4:1: warning: End of input with unterminated comment, terminated the comment
        "#]],
    );
}

#[test]
fn unterminated_string() {
    check(
        "module M\n{\n    const string S = \"no end;\n}\n",
        expect![[r#"
            error[pp-unterminated-string]: Unterminated string literal, skipped the line
              --> snap.ice:3:22
              |
            3 |     const string S = "no end;
              |                      ^^^^^^^^

            ---
            snap.ice:3:22: error: Unterminated string literal, skipped the line
        "#]],
    );
}

#[test]
fn syntax_error() {
    check(
        "module M\n{\n    struct S { int x; }\n    ;;\n}\n",
        expect![[r#"
        error[syntax]: syntax error
          --> snap.ice:4:6
          |
        4 |     ;;
          |      ^

        ---
        snap.ice:4:6: error: syntax error
    "#]],
    );
}

#[test]
fn empty_struct() {
    check(
        "module M\n{\n    struct Nothing\n    {\n    }\n}\n",
        expect![[r#"
        error[empty-struct]: struct `Nothing' must have at least one member
          --> snap.ice:5:5
          |
        5 |     }
          |     ^

        ---
        snap.ice:5:5: error: struct `Nothing' must have at least one member
    "#]],
    );
}

#[test]
fn redefinition() {
    check(
        "module M\n{\n    struct P { int x; }\n    struct P { int y; }\n}\n",
        expect![[r#"
            error[redefinition]: redefinition of struct `P' as struct
              --> snap.ice:4:14
              |
            4 |     struct P { int y; }
              |              ^

            ---
            snap.ice:4:14: error: redefinition of struct `P' as struct
        "#]],
    );
}

#[test]
fn undefined_type() {
    check(
        "module M\n{\n    struct S { Missing m; }\n}\n",
        expect![[r#"
        error[undefined]: `Missing' is not defined
          --> snap.ice:3:24
          |
        3 |     struct S { Missing m; }
          |                        ^

        error[empty-struct]: struct `S' must have at least one member
          --> snap.ice:3:27
          |
        3 |     struct S { Missing m; }
          |                           ^

        ---
        snap.ice:3:24: error: `Missing' is not defined
        snap.ice:3:27: error: struct `S' must have at least one member
    "#]],
    );
}

#[test]
fn reserved_suffix() {
    check(
        "module M\n{\n    struct FooHelper { int x; }\n}\n",
        expect![[r#"
        error[reserved-suffix]: illegal identifier `FooHelper': `Helper' suffix is reserved
          --> snap.ice:3:12
          |
        3 |     struct FooHelper { int x; }
          |            ^^^^^^^^^

        ---
        snap.ice:3:12: error: illegal identifier `FooHelper': `Helper' suffix is reserved
    "#]],
    );
}

#[test]
fn deprecation_warning() {
    check(
        "module M\n{\n    class C\n    {\n        void op();\n    }\n}\n",
        expect![[r#"
            warning[deprecated-class-operations]: classes with operations are deprecated
              --> snap.ice:5:14
              |
            5 |         void op();
              |              ^^^

            ---
            snap.ice:5:14: warning: classes with operations are deprecated
        "#]],
    );
}

#[test]
fn file_level_warning() {
    check(
        "[[\"suppress-warning:bogus\"]]\nmodule M { const int A = 1; }\n",
        expect![[r#"
            warning[suppress-warning-category]: invalid category `bogus' in file metadata suppress-warning

            warning[suppress-warning-category]: invalid category `bogus' in file metadata suppress-warning

            ---
            warning: invalid category `bogus' in file metadata suppress-warning
            warning: invalid category `bogus' in file metadata suppress-warning
        "#]],
    );
}
