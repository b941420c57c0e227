//! The grammar against small inputs and against the shared corpus.
//!
//! Each case gives a Slice text and the first diagnostic the reference compiler (slice2py
//! 3.7.8) prints for it, as `LINE: message`, or `ok` when the grammar must accept it.

mod support;

use slice_parser::ast;
use slice_parser::grammar;
use slice_parser::preprocess::{self, Preprocessed};
use slice_parser::source::{Segment, SourceFile, SourceMap};
use slice_parser::{Diagnostics, Options, Severity};
use std::path::{Path, PathBuf};

/// A preprocessed buffer for one file without directives (one segment covering it).
fn single(name: &str, text: &str) -> (Preprocessed, SourceMap) {
    let mut sources = SourceMap::new();
    let id = sources.add_file(SourceFile::new(
        name.to_string(),
        PathBuf::from(name),
        text.to_string(),
    ));
    let bom = if text.starts_with('\u{FEFF}') { 3 } else { 0 };
    sources.push_segment(Segment {
        pp_start: 0,
        file: id,
        file_start: bom,
        exact: true,
        level: 0,
    });
    let pp = Preprocessed {
        main_file: id,
        text: text[bom as usize..].to_string(),
        doc_comments: Vec::new(),
        includes: Vec::new(),
    };
    (pp, sources)
}

/// Parses and renders every diagnostic as `LINE: message` (`LINE: warning: message`).
fn run(pp: &Preprocessed, sources: &SourceMap) -> (ast::File, Vec<String>) {
    let mut diags = Diagnostics::new();
    let file = grammar::parse(pp, sources, &mut diags);
    let lines = diags
        .iter()
        .map(|d| {
            let line = d.span().map_or(0, |s| sources.line_col(s).0);
            match d.severity {
                Severity::Error => format!("{line}: {}", d.message),
                Severity::Warning => format!("{line}: warning: {}", d.message),
            }
        })
        .collect();
    (file, lines)
}

fn parse_str(text: &str) -> (ast::File, Vec<String>) {
    let (pp, sources) = single("test.ice", text);
    run(&pp, &sources)
}

/// Checks the first diagnostic (`"ok"`: none at all).
fn check(input: &str, expected: &str) {
    let (_, diags) = parse_str(input);
    if expected == "ok" {
        assert!(diags.is_empty(), "input:\n{input}\nunexpected: {diags:#?}");
    } else {
        assert_eq!(
            diags.first().map(String::as_str),
            Some(expected),
            "input:\n{input}\nall: {diags:#?}"
        );
    }
}

/// Checks every diagnostic.
fn check_all(input: &str, expected: &[&str]) {
    let (_, diags) = parse_str(input);
    assert_eq!(diags, expected, "input:\n{input}");
}

#[test]
fn accepts_the_language() {
    let cases = [
        "",
        "\u{FEFF}module M { const int A = 1; }",
        "module M { module N { struct S { int x; } } }",
        "module M { struct A { int x; }; struct B { int x; } };",
        "module M { class C; class C { int x; } interface I; interface I { void op(); } }",
        "module M { local class C(3) extends B implements I, J { int x = 3; void op(); } }",
        "module M { class C (3) { } class D(K::V) { } }",
        "module M { exception E extends F { string reason = \"x\"; optional(2) int x; } }",
        "module M { interface I extends A, ::B::C { idempotent optional(1) int op(int a, \
         out optional(2) string b, out [\"m\"] Object* p) throws E, F; } }",
        "module M { enum E { a, b = 3, c = K, d = -1, } enum F { a,, b } enum G { } }",
        "module M { sequence<[\"m\"] int> S; dictionary<[\"k\"] string, [\"v\"] Object*> D; }",
        "module M { const double D = 1.5e3; const float F = .5f; const string S = \"a\\n\"; \
         const bool B = true; const long L = -0x10; const Color C = ::M::red; }",
        "[[\"python:package:x\"]] [[\"a\", \"b\" \"c\"]] module M { [\"amd\", \"x\"] interface I { \
         [\"amd\"] void op(); } }",
        "module \\module { struct \\struct { int \\int; } }",
        "module M { sequence<\\int> S; }",
        "module M { interface I { void op(int a /* c */, int b); } } // end",
        "module M { interface I { void op /* c */ (); } }",
        "module M { class C { Object o; Value v; LocalObject l; Object * p; Door *d; } }",
        "module M { local interface I { LocalObject op(); }; }",
        "module M { struct S { int x; } } module M { }",
        "module M { const int A = 1; }\r\n",
    ];
    for case in cases {
        check(case, "ok");
    }
}

#[test]
fn rejects_3_8_syntax() {
    check("module A::B { }", "1: syntax error");
    check(
        "module M {\n/// not a doc comment\nconst int A = 1; }",
        "ok",
    );
    check("module M { class C extends Value { } }", "1: syntax error");
}

#[test]
fn syntax_errors_and_lines() {
    check(
        "module Syn\n{\n    const int A = 1\n}\n",
        "4: `;' missing after const definition",
    );
    check(
        "module Syn\n{\n    sequence<int> Ints\n}\n",
        "4: `;' missing after sequence definition",
    );
    check(
        "module Syn\n{\n    dictionary<int, int> D\n}\n",
        "4: `;' missing after dictionary definition",
    );
    check(
        "module Syn\n{\n    class Node\n}\n",
        "4: `;' missing after class forward declaration",
    );
    check(
        "module Syn\n{\n    interface Node\n}\n",
        "4: `;' missing after interface forward declaration",
    );
    check("module Syn\n{\n    const int A = 1;\n", "4: syntax error");
    check("module Syn\n{\n    const int A = 1;", "3: syntax error");
    check("module Syn { struct P { int x; };; }", "1: syntax error");
    check("module Syn { const int A = - 1; }", "1: syntax error");
    check(
        "module Syn { const int A = 0XFF; }",
        "1: `;' missing after const definition",
    );
    check(
        "module Syn { const float A = 1f; }",
        "1: `;' missing after const definition",
    );
    check(
        "module Syn {\n interface I {\n void op(); int x; } }",
        "3: syntax error",
    );
    check(
        "module Syn { interface I { optional(1) void op(); } }",
        "1: syntax error",
    );
    check("module Syn { struct S { void f(); } }", "1: syntax error");
    check("module Syn { local module N { } }", "1: syntax error");
    check("module Syn { local const int A = 1; }", "1: syntax error");
    check(
        "module Syn { ['amd'] interface I { void op(); } }",
        "1: syntax error",
    );
    check("module Syn { [] struct S { int x; } }", "1: syntax error");
    check(
        "module Syn { interface I { [\"a\"] [\"b\"] void op(); } }",
        "1: syntax error",
    );
    check(
        "module Syn { interface I { void op([\"x\"] out int c); } }",
        "1: syntax error",
    );
    check("module Syn { enum E { [\"x\"] a } }", "1: syntax error");
    check(
        "module Syn { [ [\"x\"] ] struct S { int x; } }",
        "1: syntax error",
    );
    check("[[\"x\"] ]", "1: syntax error");
    check("module Syn { struct S { int x; } $ }", "1: syntax error");
    check("module M :: N { }", "1: syntax error");
    check(
        "module Syn { class C { int x } }",
        "1: `;' missing after definition",
    );
    check(
        "module Syn { const string S = \"a\" \"b\"; }",
        "1: `;' missing after const definition",
    );
}

#[test]
fn error_rules() {
    check(
        "module Syn { exception E; }",
        "1: exceptions cannot be forward declared",
    );
    check(
        "module Syn { struct S; }",
        "1: structs cannot be forward declared",
    );
    check(
        "module Syn { struct string { int x; } }",
        "1: keyword `string' cannot be used as struct name",
    );
    check(
        "module Syn { class int { } }",
        "1: keyword `int' cannot be used as class name",
    );
    check(
        "module Syn { interface out { } }",
        "1: keyword `out' cannot be used as interface name",
    );
    check(
        "module Syn { exception long { } }",
        "1: keyword `long' cannot be used as exception name",
    );
    check(
        "module Syn { enum enum { a } }",
        "1: keyword `enum' cannot be used as enumeration name",
    );
    check(
        "module Syn { enum E { a, long } }",
        "1: keyword `long' cannot be used as enumerator",
    );
    check(
        "module Syn { sequence<int> out; }",
        "1: keyword `out' cannot be used as sequence name",
    );
    check(
        "module Syn { dictionary<int, int> true; }",
        "1: keyword `true' cannot be used as dictionary name",
    );
    check(
        "module Syn { class C { double long; } }",
        "1: keyword `long' cannot be used as data member name",
    );
    check(
        "module Syn { interface I { void out(); } }",
        "1: keyword `out' cannot be used as operation name",
    );
    check(
        "module Syn { interface I { void op(bool idempotent); } }",
        "1: keyword `idempotent' cannot be used as parameter name",
    );
    check(
        "module Syn { interface I { void op() throws int; } }",
        "1: keyword `int' cannot be used as exception name",
    );
    check(
        "module Syn { struct S { int; } }",
        "1: missing data member name",
    );
    check(
        "module Syn { interface I { void op(int); } }",
        "1: missing parameter name",
    );
    check("module Syn { const int = 4; }", "1: missing constant name");
    check("module Syn { enum { a } }", "1: missing enumeration name");
    check(
        "module Syn { class C { optional string s; } }",
        "1: missing tag for optional",
    );
    check(
        "module Syn { class C { optional() string s; } }",
        "1: missing tag for optional",
    );
    check(
        "module Syn { struct S { optional(1) int x; } }",
        "1: optional data members not supported in struct",
    );
    check(
        "module Syn { interface I extends Object { } }",
        "1: illegal inheritance from type Object",
    );
    check(
        "module Syn { interface I { void Syn::op(); } }",
        "1: Operation identifiers cannot be scoped: `Syn::op'",
    );
}

#[test]
fn lexical_errors() {
    check(
        "module L { const long B = 9223372036854775808; }",
        "1: integer constant `9223372036854775808' out of range",
    );
    check("module L { const long B = -9223372036854775808; }", "ok");
    check(
        "module L { const double D = 2.5e309; }",
        "1: floating-point constant `2.5e309' too large (overflow)",
    );
    check(
        "module L { const double D = 1.0e-400; }",
        "1: floating-point constant `1.0e-400' too small (underflow)",
    );
    check(
        "module L { const string S = \"x\\xZ\"; }",
        "1: no hex digit in hex escape sequence",
    );
    check(
        "module L { const string S = \"x\\477\"; }",
        "1: octal escape sequence out of range: `\\477'",
    );
    check(
        "module L { const string S = \"x\\u12G4\"; }",
        "1: unknown escape sequence in string literal: `\\u12G'",
    );
    check(
        "module L { const string S = \"x\\uD801\"; }",
        "1: a universal character name cannot designate a surrogate: `\\uD801'",
    );
    check(
        "module L { const string S = \"x\\q\"; }",
        "1: warning: unknown escape sequence `\\q'",
    );
    check(
        "module L { const string S = \"a\tb\"; }",
        "1: a string literal can only contain printable ASCII characters and non-ASCII characters",
    );
    // slice2py crashes on constants that are not UTF-8; we report them.
    check(
        "module L { const string S = \"\\xff\"; }",
        "1: string literal is not valid UTF-8",
    );
    check("module L { const string S = \"\\303\\251\"; }", "ok");
    check_all(
        "module Lex\n{\n    const int café = 1;\n}\n",
        &[
            "3: illegal input character: '\\303'",
            "3: syntax error",
            "3: illegal input character: '\\251'",
        ],
    );
    check_all(
        "module Lex\n{\n    const int A = 1;\n}\n\u{FEFF}\n",
        &[
            "5: illegal input character: '\\357'",
            "5: syntax error",
            "5: illegal input character: '\\273'",
            "5: illegal input character: '\\277'",
        ],
    );
}

#[test]
fn recovery_matches_the_reference() {
    check_all(
        "module Syn\n{\n    class C extends Value { int c; }\n}\n",
        &["3: syntax error", "4: syntax error"],
    );
    check_all(
        "module Syn\n{\n    [] struct Point { int x; }\n}\n",
        &["3: syntax error", "3: syntax error"],
    );
    check_all(
        "module Syn\n{\n    exception Failure\n    {\n        string reason();\n    }\n}\n",
        &[
            "5: missing data member name",
            "5: `;' missing after definition",
            "5: syntax error",
        ],
    );
    check_all(
        "module Syn\n{\n    const string G = \"a\" \"b\";\n}\n",
        &["3: `;' missing after const definition", "3: syntax error"],
    );
    check_all(
        "module Syn\n{\n    enum Size { [\"deprecate\"] small, large }\n}\n",
        &["3: syntax error"],
    );
    // Once `=` or `throws` is read, what follows is required (no "missing `;'").
    check_all(
        "module M {\n  struct S { int x = ; int y = ; }\n}\n",
        &["2: syntax error", "2: syntax error"],
    );
    check_all(
        "module M {\n  interface I { void op() throws; }\n}\n",
        &["2: syntax error"],
    );
    // bison stays quiet until three tokens were read after a recovery in a body.
    check_all(
        "module M {\n  struct S { int x = ; int = ; int z = ; }\n}\n",
        &[
            "2: syntax error",
            "2: missing data member name",
            "2: `;' missing after definition",
            "2: syntax error",
        ],
    );
    // The scanner reports an illegal byte when it reads it, before the parser reacts.
    check_all(
        "module M {\n  struct S { int café; }\n}\n",
        &[
            "2: illegal input character: '\\303'",
            "2: `;' missing after definition",
            "2: syntax error",
            "2: illegal input character: '\\251'",
        ],
    );
    // Literals are checked when scanned: before a later syntax error, and while skipping.
    check_all(
        "module M {\n enum E { a = 99999999999999999999 b }\n}\n",
        &[
            "2: integer constant `99999999999999999999' out of range",
            "2: syntax error",
        ],
    );
    check_all(
        "module M {\n interface I { void op(int a, string b = \"\\q\"); }\n}\n",
        &[
            "2: syntax error",
            "2: warning: unknown escape sequence `\\q'",
        ],
    );
    // The reference's tokens: a backslash continues an identifier, a name or keyword before
    // `(` is an operation-name token, `optional(` is its own token.
    check("module M { struct S { int a\\b; } }", "ok");
    check("module M {\n struct\\T { int a; }\n}\n", "2: syntax error");
    check("module M { class C { string ( item; } }", "1: syntax error");
    check(
        "module M { interface I { int optional(1) level(); } }",
        "1: syntax error",
    );
    // The error forms (keyword or missing name) exist only without `optional(...)`.
    check(
        "module M { class C { optional(2) int extends x; } }",
        "1: syntax error",
    );
    check(
        "module M { class C { optional(2) int; } }",
        "1: syntax error",
    );
    // Messages bison gave before a later syntax error in the same construct.
    check(
        "module M { enum enum E { a } }",
        "1: keyword `enum' cannot be used as enumeration name",
    );
    check(
        "module M { interface I { optional void op(); } }",
        "1: missing tag for optional",
    );
    // A type that no definition has named: bison reports only the failed lookup (the
    // checker's job), not the missing name.
    check_all("module M { struct S { int x; intv; } }", &[]);
    check_all("module M { const intmax = 10; }", &[]);
    check_all(
        "module M { struct S { int x; } struct T { S; } }",
        &["1: missing data member name"],
    );
    // A stray `}` at file level ends everything.
    check_all(
        "Class X;\nmodule B { struct S { int x; }\n}\n}\n}\n",
        &["1: syntax error", "4: syntax error"],
    );
    // `Object` or `Value` may only end a list of bases.
    check_all(
        "module M {\n interface I extends Value { }\n interface J extends I, Object { }\n}\n",
        &[
            "2: illegal inheritance from type Value",
            "3: illegal inheritance from type Object",
        ],
    );
    check_all(
        "module M {\n interface I extends Object, J { }\n}\n",
        &["2: syntax error"],
    );
    // Several independent mistakes are all reported.
    check_all(
        "module M {\n struct S { int; }\n struct T { double long; }\n const int = 1;\n}\n",
        &[
            "2: missing data member name",
            "3: keyword `long' cannot be used as data member name",
            "4: missing constant name",
        ],
    );
    check_all(
        "module M {\n interface I { void a(int x,, int y); void b(int); }\n}\n",
        &["2: syntax error", "2: missing parameter name"],
    );
    // An error in a parameter list keeps the operation and the parameters read so far.
    let (file, diags) =
        parse_str("module M { interface I { void op(out int a, int b, out) throws E; } }");
    assert_eq!(diags, ["1: syntax error"]);
    let ast::Item::Definition(def) = &file.items[0] else {
        panic!()
    };
    let ast::DefinitionKind::Module(m) = &def.kind else {
        panic!()
    };
    let ast::Item::Definition(idef) = &m.items[0] else {
        panic!()
    };
    let ast::DefinitionKind::Interface(i) = &idef.kind else {
        panic!()
    };
    assert_eq!(i.operations[0].params.len(), 2);
    assert_eq!(i.operations[0].throws[0].text, "E");
}

#[test]
fn deep_nesting_is_bounded() {
    let deep = "module A { ".repeat(100_000);
    let (_, diags) = parse_str(&deep);
    assert_eq!(
        diags.first().map(String::as_str),
        Some("1: modules are nested too deeply (more than 100 levels)")
    );
    let ok = format!("{}{}", "module A { ".repeat(100), "}".repeat(100));
    check(&ok, "ok");
    let seq = format!(
        "module M {{ sequence<{}int> S; }}",
        "sequence<".repeat(100_000)
    );
    check(&seq, "1: syntax error");
    let meta = format!(
        "module M {{ [{}] struct S {{ int x; }} }}",
        "\"a\",".repeat(10_000)
    );
    check(&meta, "1: syntax error");
}

/// Many errors on one long line stay linear (pest's error reports copy the rest of the
/// line, so each phrase gets only the text up to the next `;`, `{` or `}`); the quadratic
/// version took minutes here.
#[test]
fn many_errors_on_one_line_stay_fast() {
    let text = format!("module M {{ {} }}", ";".repeat(10_000));
    let started = std::time::Instant::now();
    let (_, diags) = parse_str(&text);
    assert_eq!(diags.len(), 10_000);
    assert!(
        started.elapsed().as_secs() < 30,
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn builds_the_ast() {
    let (file, diags) = parse_str(
        "[[\"python:package:p\"]]\nmodule M\n{\n    [\"amd\"] interface I extends B\n    {\n        \
         idempotent optional(1) int op(out [\"m\"] string s, optional(2) Object* p) throws E;\n    }\n    \
         struct S { int x = 5; string \\module; }\n    enum E { a, b = 3, }\n    const long L = -0x10;\n}\n",
    );
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(file.items.len(), 2);
    let ast::Item::FileMetadata(md) = &file.items[0] else {
        panic!("file metadata expected")
    };
    assert_eq!(md.directives[0].value, "python:package:p");
    let ast::Item::Definition(def) = &file.items[1] else {
        panic!("module expected")
    };
    let ast::DefinitionKind::Module(m) = &def.kind else {
        panic!("module expected")
    };
    assert_eq!(m.name.name, "M");
    assert_eq!(m.items.len(), 4);
    let ast::Item::Definition(idef) = &m.items[0] else {
        panic!()
    };
    assert_eq!(
        idef.metadata
            .as_ref()
            .map(|m| m.directives[0].value.as_str()),
        Some("amd")
    );
    let ast::DefinitionKind::Interface(i) = &idef.kind else {
        panic!()
    };
    assert_eq!(i.extends[0].text, "B");
    let op = &i.operations[0];
    assert!(op.idempotent);
    assert_eq!(op.name.name, "op");
    assert_eq!(op.params.len(), 2);
    assert!(op.params[0].out);
    assert_eq!(
        op.params[0]
            .metadata
            .as_ref()
            .map(|m| m.directives[0].value.as_str()),
        Some("m")
    );
    assert!(matches!(
        op.params[1].ty.kind,
        ast::TypeRefKind::Builtin(ast::Builtin::ObjectProxy)
    ));
    assert_eq!(op.throws[0].text, "E");
    let ast::ReturnType::Type {
        optional: Some(tag),
        ..
    } = &op.return_type
    else {
        panic!()
    };
    assert!(matches!(&tag.tag, ast::IntOrName::Int(l) if l.value == 1));
    let ast::Item::Definition(sdef) = &m.items[1] else {
        panic!()
    };
    let ast::DefinitionKind::Struct(s) = &sdef.kind else {
        panic!()
    };
    assert_eq!(s.members[1].name.name, "module");
    assert!(s.members[1].name.escaped);
    assert!(matches!(
        s.members[0].default.as_ref().map(|d| &d.kind),
        Some(ast::ConstValueKind::Integer(5))
    ));
    let ast::Item::Definition(edef) = &m.items[2] else {
        panic!()
    };
    let ast::DefinitionKind::Enum(e) = &edef.kind else {
        panic!()
    };
    assert_eq!(e.enumerators.len(), 2);
    let ast::Item::Definition(cdef) = &m.items[3] else {
        panic!()
    };
    let ast::DefinitionKind::Const(c) = &cdef.kind else {
        panic!()
    };
    assert_eq!(c.value.kind, ast::ConstValueKind::Integer(-16));
}

/// The text a span covers, in the single test file.
fn text_of(src: &str, span: slice_parser::Span) -> &str {
    &src[span.start as usize..span.end as usize]
}

#[test]
fn spans_point_at_the_right_tokens() {
    let src = "module M {\n struct S { int x; int y = 4; }\n enum E { a, b = 2 }\n \
               interface I { void op (int p); }\n class C; }";
    let (file, diags) = parse_str(src);
    assert!(diags.is_empty(), "{diags:?}");
    let ast::Item::Definition(def) = &file.items[0] else {
        panic!()
    };
    let ast::DefinitionKind::Module(m) = &def.kind else {
        panic!()
    };
    assert_eq!(text_of(src, m.braces.open), "{");
    assert_eq!(text_of(src, m.braces.close), "}");
    assert!(text_of(src, def.span).starts_with("module M {"));
    assert!(text_of(src, def.span).ends_with("class C; }"));
    let kinds: Vec<&ast::DefinitionKind> = m
        .items
        .iter()
        .filter_map(|i| match i {
            ast::Item::Definition(d) => Some(&d.kind),
            ast::Item::FileMetadata(_) => None,
        })
        .collect();
    let ast::DefinitionKind::Struct(s) = kinds[0] else {
        panic!()
    };
    assert_eq!(text_of(src, s.members[0].after_name), ";");
    assert_eq!(text_of(src, s.members[1].after_name), "=");
    assert_eq!(text_of(src, s.members[1].span), "int y = 4");
    let ast::DefinitionKind::Enum(e) = kinds[1] else {
        panic!()
    };
    assert_eq!(text_of(src, e.enumerators[0].after), ",");
    assert_eq!(text_of(src, e.enumerators[1].after), "2");
    let ast::DefinitionKind::Interface(i) = kinds[2] else {
        panic!()
    };
    assert_eq!(text_of(src, i.operations[0].name_paren), "op (");
    assert_eq!(text_of(src, i.operations[0].params[0].span), "int p");
    let ast::DefinitionKind::ForwardDecl(f) = kinds[3] else {
        panic!()
    };
    assert_eq!(text_of(src, f.semicolon), ";");
}

#[test]
fn doc_comments_attach_like_the_reference() {
    let src = "/** M */\nmodule M {\n /** S */ struct S {\n  int number; /** T */\n  int b;\n }\n \
               /** A */ sequence<int>\n /** B */ Ints;\n /** I */ interface I {\n /** D */ void op(int x, /** E */\n int y); }\n \
               /**/ /* plain */ struct P { int a; /** C */ }\n}\n";
    let (file, diags) = parse_str(src);
    assert!(diags.is_empty(), "{diags:?}");
    let ast::Item::Definition(def) = &file.items[0] else {
        panic!()
    };
    let overview = |d: &Option<ast::DocComment>| d.as_ref().map(|d| d.overview.clone());
    assert_eq!(overview(&def.doc).as_deref(), Some("M"));
    let ast::DefinitionKind::Module(m) = &def.kind else {
        panic!()
    };
    let defs: Vec<&ast::Definition> = m
        .items
        .iter()
        .filter_map(|i| match i {
            ast::Item::Definition(d) => Some(d),
            ast::Item::FileMetadata(_) => None,
        })
        .collect();
    assert_eq!(overview(&defs[0].doc).as_deref(), Some("S"));
    let ast::DefinitionKind::Struct(s) = &defs[0].kind else {
        panic!()
    };
    assert_eq!(overview(&s.members[0].doc).as_deref(), Some("T"));
    assert_eq!(overview(&s.members[1].doc), None);
    assert_eq!(overview(&defs[1].doc).as_deref(), Some("B"));
    assert_eq!(overview(&defs[2].doc).as_deref(), Some("I"));
    let ast::DefinitionKind::Interface(i) = &defs[2].kind else {
        panic!()
    };
    assert_eq!(overview(&i.operations[0].doc).as_deref(), Some("E"));
    assert_eq!(overview(&defs[3].doc).as_deref(), Some("C"));
}

// ---- the shared corpus ------------------------------------------------------------------

fn corpus() -> PathBuf {
    support::corpus::corpus_dir()
}

fn ice_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("corpus folder {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "ice"))
        .collect();
    files.sort();
    files
}

/// Options from a `NAME.args` file (`-I`, `-D`, `-U`).
fn options_for(path: &Path) -> Options {
    let mut options = Options::default();
    let Ok(args) = std::fs::read_to_string(path.with_extension("args")) else {
        return options;
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    for arg in args.split_whitespace() {
        let arg = arg.replace("@ICE_SLICE_DIR@", "/usr/share/ice/slice");
        if let Some(d) = arg.strip_prefix("-I") {
            options.include_dirs.push(dir.join(d));
        } else if let Some(d) = arg.strip_prefix("-D") {
            let (name, value) = match d.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None => (d.to_string(), None),
            };
            options
                .macros
                .push(slice_parser::MacroArg::Define(name, value));
        } else if let Some(u) = arg.strip_prefix("-U") {
            options
                .macros
                .push(slice_parser::MacroArg::Undefine(u.to_string()));
        }
    }
    options
}

/// Preprocesses a corpus file with the real preprocessor, or, while it is not available,
/// reads a file without directives as one segment. `None`: cannot be handled yet.
fn load(path: &Path) -> Option<(Preprocessed, SourceMap)> {
    let mut sources = SourceMap::new();
    let mut diags = Diagnostics::new();
    if let Some(pp) = preprocess::preprocess(path, &options_for(path), &mut sources, &mut diags) {
        return Some((pp, sources));
    }
    let text = std::fs::read_to_string(path).ok()?;
    if text.lines().any(|l| l.trim_start().starts_with('#')) {
        return None;
    }
    let name = path.file_name()?.to_string_lossy().into_owned();
    Some(single(&name, &text))
}

#[test]
fn corpus_valid_files_parse_without_errors() {
    let mut parsed = 0;
    let mut skipped = Vec::new();
    for path in ice_files(&corpus().join("valid")) {
        let Some((pp, sources)) = load(&path) else {
            skipped.push(path);
            continue;
        };
        let (_, diags) = run(&pp, &sources);
        let errors: Vec<&String> = diags
            .iter()
            .filter(|d| !d.contains(": warning: "))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
        parsed += 1;
    }
    eprintln!("parsed {parsed} valid corpus files; skipped (need the preprocessor): {skipped:?}");
    assert!(parsed >= 30, "only {parsed} valid files parsed");
}

/// Whether a reference message is one the grammar produces (the rest is the checker's).
fn is_grammar_message(msg: &str) -> bool {
    [
        "syntax error",
        "' missing after ",
        "keyword `",
        "missing data member name",
        "missing parameter name",
        "missing constant name",
        "missing enumeration name",
        "missing tag for optional",
        "optional data members not supported in struct",
        "cannot be forward declared",
        "illegal inheritance from type",
        "Operation identifiers cannot be scoped",
        "illegal input character",
        "integer constant `",
        "floating-point constant `",
        "a string literal can only contain",
        "escape sequence",
        "universal character name",
    ]
    .iter()
    .any(|m| msg.contains(m))
}

#[test]
fn corpus_invalid_files_give_the_reference_first_error() {
    let mut checked = 0;
    for path in ice_files(&corpus().join("invalid")) {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let name = name.unwrap_or_default();
        if !(name.starts_with("syn-") || name.starts_with("lex-")) {
            continue;
        }
        let expected = std::fs::read_to_string(path.with_extension("expected"))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let Some(first) = expected.lines().nth(1) else {
            continue;
        };
        // "NAME.ice:LINE: message" -> "LINE: message"
        let first = first
            .strip_prefix(&format!("{name}:"))
            .unwrap_or(first)
            .to_string();
        let message = first.split_once(": ").map_or("", |(_, m)| m);
        let Some((pp, sources)) = load(&path) else {
            continue;
        };
        let (_, diags) = run(&pp, &sources);
        let errors: Vec<&String> = diags
            .iter()
            .filter(|d| !d.contains(": warning: "))
            .collect();
        if is_grammar_message(message) {
            assert_eq!(
                errors.first().map(|s| s.as_str()),
                Some(first.as_str()),
                "{name}: all: {diags:#?}"
            );
        } else {
            assert!(
                errors.is_empty(),
                "{name}: the checker's case, but: {errors:#?}"
            );
        }
        checked += 1;
    }
    assert!(checked >= 50, "only {checked} invalid files checked");
}

/// Ice's own Slice files, with directive lines blanked (both branches of a conditional are
/// kept, which is harmless for syntax): a smoke test for doc comments, metadata and
/// `local` types over real files.
#[test]
fn ice_distribution_files_parse_without_errors() {
    let root = Path::new("/usr/share/ice/slice");
    let mut files = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let entries = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("Ice's Slice files ({}): {e}", dir.display()));
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|x| x == "ice") {
                files.push(path);
            }
        }
    }
    assert!(files.len() >= 60, "Ice's Slice files are missing");
    let mut documented = 0;
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let blanked: String = text
            .split_inclusive('\n')
            .map(|l| {
                if l.trim_start().starts_with('#') {
                    "\n"
                } else {
                    l
                }
            })
            .collect();
        let (pp, sources) = single(&path.display().to_string(), &blanked);
        let (file, diags) = run(&pp, &sources);
        assert!(diags.is_empty(), "{}: {diags:#?}", path.display());
        documented += count_docs(&file.items);
    }
    assert!(documented > 1000, "only {documented} doc comments attached");
}

fn count_docs(items: &[ast::Item]) -> usize {
    let mut n = 0;
    for item in items {
        let ast::Item::Definition(d) = item else {
            continue;
        };
        n += usize::from(d.doc.is_some());
        match &d.kind {
            ast::DefinitionKind::Module(m) => n += count_docs(&m.items),
            ast::DefinitionKind::Interface(i) => {
                for op in &i.operations {
                    n += usize::from(op.doc.is_some());
                }
            }
            ast::DefinitionKind::Class(c) => {
                n += c
                    .members
                    .iter()
                    .filter(|m| match m {
                        ast::ClassMember::Data(d) => d.doc.is_some(),
                        ast::ClassMember::Operation(o) => o.doc.is_some(),
                    })
                    .count()
            }
            ast::DefinitionKind::Struct(s) => {
                n += s.members.iter().filter(|m| m.doc.is_some()).count()
            }
            ast::DefinitionKind::Exception(e) => {
                n += e.members.iter().filter(|m| m.doc.is_some()).count()
            }
            ast::DefinitionKind::Enum(e) => {
                n += e.enumerators.iter().filter(|m| m.doc.is_some()).count()
            }
            _ => {}
        }
    }
    n
}

/// The one-rule grammar (`file`) accepts every valid corpus file too, so the phrases the
/// parser uses compose into the documented language.
#[test]
fn whole_file_rule_accepts_valid_corpus() {
    use pest::Parser as _;
    for path in ice_files(&corpus().join("valid")) {
        let Some((pp, _)) = load(&path) else { continue };
        if let Err(e) = grammar::SliceParser::parse(grammar::Rule::file, &pp.text) {
            panic!("{}: {e}", path.display());
        }
    }
}

/// A small deterministic pseudo-random generator (xorshift), so the robustness test needs
/// no extra dependency and always runs the same cases.
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

/// Mangled corpus files and token soup never make the parser panic or loop, and every
/// diagnostic it gives points inside the file.
#[test]
fn never_panics_on_mangled_input() {
    let mut seeds: Vec<String> = ice_files(&corpus().join("valid"))
        .iter()
        .chain(ice_files(&corpus().join("invalid")).iter())
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .filter(|t| !t.contains('#'))
        .collect();
    seeds.sort();
    let vocabulary = [
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
        "\"",
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
        "\\x",
        "/**",
        "*/",
        "/*",
        "//",
        "\n",
        " ",
        "é",
        "\u{FEFF}",
        "\t",
        "'",
        "0x",
        "true",
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for round in 0..1500 {
        let text = if round % 3 == 0 {
            let n = rng.below(60);
            (0..n)
                .map(|_| vocabulary[rng.below(vocabulary.len())])
                .collect::<Vec<_>>()
                .join(" ")
        } else {
            let mut bytes = seeds[rng.below(seeds.len())].clone().into_bytes();
            for _ in 0..=rng.below(4) {
                let at = rng.below(bytes.len() + 1);
                match rng.below(3) {
                    0 if at < bytes.len() => {
                        bytes.remove(at);
                    }
                    1 => {
                        let word = vocabulary[rng.below(vocabulary.len())];
                        bytes.splice(at..at, word.bytes());
                    }
                    _ => bytes.truncate(at),
                }
            }
            String::from_utf8_lossy(&bytes).into_owned()
        };
        let (pp, sources) = single("fuzz.ice", &text);
        let mut diags = Diagnostics::new();
        grammar::parse(&pp, &sources, &mut diags);
        for d in diags.iter() {
            let span = d.span().unwrap_or_else(|| panic!("no span: {d:?}"));
            assert!(
                span.start <= span.end && span.end as usize <= text.len(),
                "{text:?}: {d:?}"
            );
        }
    }
}

/// Where each doc comment goes, as slice2cpp 3.7.8 shows it in the header it generates for
/// this file (comments are hoisted to the start of their line, the last one seen wins, and
/// an entity created later on the line takes it: here the enum takes `e2doc` and `op1`
/// takes `xdoc`; the module `N` takes `orphan`).
#[test]
fn doc_comments_match_slice2cpp() {
    let src = "/** M1 */\nmodule M\n{\n    /** A1 */ /** A2 */\n    struct A\n    {\n        \
               int a; /** after-a */\n        int b;\n        /** before-c */ int c;\n    }\n    \
               /** E1 */\n    enum E { e1, /** e2doc */ e2 = 3, e3 }\n    /** S1 */ sequence<int>\n    \
               /** S2 */ Ints;\n    /** I1 */\n    interface I\n    {\n        \
               /** op1 */ void op1(int x, /** xdoc */\n            int y);\n        \
               /** op2 */\n        int op2();\n    }\n    /** C1 */\n    const int K = 3;\n    \
               /** orphan */\n}\nmodule N\n{\n    struct B { int z; }\n}\n";
    let (file, diags) = parse_str(src);
    assert!(diags.is_empty(), "{diags:?}");
    let mut out = Vec::new();
    docs_of(&file.items, &mut out);
    assert_eq!(
        out,
        [
            "M=M1",
            "A=A2",
            "a=after-a",
            "b=",
            "c=before-c",
            "E=e2doc",
            "e1=",
            "e2=",
            "e3=",
            "Ints=S2",
            "I=I1",
            "op1=xdoc",
            "x=",
            "y=",
            "op2=op2",
            "K=C1",
            "N=orphan",
            "B=",
            "z=",
        ]
    );
}

/// slice2cpp 3.7.8 again: an enum (like a module) is created right after its name, a
/// struct at its `{`, so a comment between name and `{` goes to the first enumerator but to
/// the struct itself.
#[test]
fn enums_take_doc_comments_at_their_name() {
    let src = "module M\n{\n    /** A */\n    enum E\n    /** X */\n    { a, b }\n    \
               /** S1 */\n    struct S\n    /** S2 */\n    { int x; }\n}\n";
    let (file, diags) = parse_str(src);
    assert!(diags.is_empty(), "{diags:?}");
    let mut out = Vec::new();
    docs_of(&file.items, &mut out);
    assert_eq!(out, ["M=", "E=A", "a=X", "b=", "S=S2", "x="]);
}

fn docs_of(items: &[ast::Item], out: &mut Vec<String>) {
    fn o(d: &Option<ast::DocComment>) -> String {
        d.as_ref().map(|d| d.overview.clone()).unwrap_or_default()
    }
    for item in items {
        let ast::Item::Definition(d) = item else {
            continue;
        };
        let name = match &d.kind {
            ast::DefinitionKind::Module(m) => &m.name.name,
            ast::DefinitionKind::Struct(s) => &s.name.name,
            ast::DefinitionKind::Enum(e) => &e.name.name,
            ast::DefinitionKind::Interface(i) => &i.name.name,
            ast::DefinitionKind::Sequence(s) => &s.name.name,
            ast::DefinitionKind::Const(c) => &c.name.name,
            _ => "?",
        };
        out.push(format!("{name}={}", o(&d.doc)));
        match &d.kind {
            ast::DefinitionKind::Module(m) => docs_of(&m.items, out),
            ast::DefinitionKind::Struct(s) => {
                for m in &s.members {
                    out.push(format!("{}={}", m.name.name, o(&m.doc)));
                }
            }
            ast::DefinitionKind::Enum(e) => {
                for m in &e.enumerators {
                    out.push(format!("{}={}", m.name.name, o(&m.doc)));
                }
            }
            ast::DefinitionKind::Interface(i) => {
                for op in &i.operations {
                    out.push(format!("{}={}", op.name.name, o(&op.doc)));
                    for p in &op.params {
                        out.push(format!("{}={}", p.name.name, o(&p.doc)));
                    }
                }
            }
            _ => {}
        }
    }
}

/// Tag parsing as slice2cpp 3.7.8 renders it: blank lines kept in the overview, dropped
/// inside a tag; tags without their text, and lines after `@see`, are miscellaneous.
#[test]
fn doc_comment_tags_match_slice2cpp() {
    let raw = "*\n     * First line.\n     *\n     *\n     * After two blank lines.\n     \
               * @param a  The a. More\n     *\n     *   text after blank.\n     * @param\n     \
               * @param b\n     * @return\n     * @deprecated\n     * @see Other\n     \
               * with more\n     * @since 3.7\n     * continued misc\n     * @throws E   why\n     \
               * @exception F because\n     ";
    let d = grammar::parse_doc_comment(raw);
    assert_eq!(d.overview, "First line.\n\n\nAfter two blank lines.");
    assert_eq!(
        d.params,
        [(
            "a".to_string(),
            "The a. More\ntext after blank.".to_string()
        )]
    );
    assert_eq!(
        d.throws,
        [
            ("E".to_string(), "why".to_string()),
            ("F".to_string(), "because".to_string())
        ]
    );
    assert_eq!(d.see, ["Other"]);
    assert_eq!(d.returns, None);
    assert_eq!(d.deprecated, None);
    assert_eq!(
        d.misc,
        [
            "@param",
            "@param b",
            "@return",
            "@deprecated",
            "with more",
            "@since 3.7",
            "continued misc"
        ]
    );
}
