//! Data-driven tests of the semantic checker: each case is a small Slice file and the exact
//! diagnostics slice2py 3.7.8 prints for it (`LINE: message`, `LINE: warning: message`, or
//! `warning: message` for diagnostics without a location). Expected outputs were taken from
//! slice2py itself.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use slice_parser::diagnostics::Location;
use slice_parser::{compile_file, Compilation, Options, Severity};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh directory holding `t.ice` with `src`.
fn write_case(src: &str) -> PathBuf {
    let dir: PathBuf = std::env::temp_dir().join(format!(
        "slice-check-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("t.ice"), src).expect("write");
    dir
}

fn render(comp: &Compilation, dir: &Path) -> String {
    let prefix = format!("{}/", dir.display());
    let mut out = Vec::new();
    for d in &comp.diagnostics {
        let sev = match d.severity {
            Severity::Error => "",
            Severity::Warning => "warning: ",
        };
        let line = match d.location {
            Location::Span(s) => {
                let (_, line) = comp.sources.file(s.file).presumed_line(s.start);
                format!("{line}: {sev}{}", d.message)
            }
            Location::File(_) | Location::None => format!("{sev}{}", d.message),
        };
        out.push(line.replace(&prefix, ""));
    }
    out.join("\n")
}

/// Runs the reference compiler on the case; its output in the same `LINE: message` form.
fn reference(dir: &Path, options: &Options) -> String {
    let mut cmd = Command::new("slice2py");
    cmd.current_dir(dir).arg("--output-dir").arg(dir);
    if options.ice_prefix {
        cmd.arg("--ice");
    }
    if options.underscore {
        cmd.arg("--underscore");
    }
    let out = cmd
        .arg("t.ice")
        .output()
        .expect("slice2py (zeroc-ice-compilers 3.7) must be installed to run these tests");
    let prefix = format!("{}/", dir.display());
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .map(|l| {
            let l = l.replace(&prefix, "");
            l.strip_prefix("t.ice:").map_or(l.clone(), str::to_string)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[track_caller]
fn check_opts(src: &str, options: &Options, expected: &str) {
    let dir = write_case(src);
    let want: Vec<&str> = expected
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let want = want.join("\n");
    // The expectation itself is checked against slice2py, so a wrong expectation fails too.
    let reference = reference(&dir, options);
    assert_eq!(
        reference, want,
        "slice2py disagrees with the expectation\n--- input ---\n{src}"
    );
    if std::env::var_os("SLICE_REFERENCE_ONLY").is_none() {
        let comp = compile_file(&dir.join("t.ice"), options);
        let got = render(&comp, &dir);
        assert_eq!(got, want, "\n--- input ---\n{src}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[track_caller]
fn check(src: &str, expected: &str) {
    check_opts(src, &Options::default(), expected);
}

#[test]
fn global_scope() {
    check(
        "struct Point { int x; };",
        "1: `Point': a structure can be defined only at module scope",
    );
    check(
        "const int A = 1;",
        "1: `A': a constant can be defined only at module scope",
    );
    check(
        "interface I {};",
        "1: `I': an interface can be defined only at module scope",
    );
    check(
        "exception E {};",
        "1: `E': an exception can be defined only at module scope",
    );
    check(
        "enum E { a };",
        "1: `E': an enumeration can be defined only at module scope",
    );
    check(
        "sequence<int> S;",
        "1: `S': a sequence can be defined only at module scope",
    );
    check("", "");
}

#[test]
fn redefinitions() {
    check(
        "module M {\nstruct P { int x; };\nstruct P { int x; };\n};",
        "3: redefinition of struct `P' as struct",
    );
    check(
        "module M {\nsequence<int> D;\ndictionary<int, int> D;\n};",
        "3: redefinition of sequence `D' as dictionary",
    );
    check(
        "module M {\nclass C { int a; };\nclass C { int b; };\n};",
        "3: redefinition of class `C'",
    );
    check(
        "module M {\nconst int Inner = 1;\nmodule Inner { const int B = 2; };\n};",
        "3: redefinition of constant `Inner' as module",
    );
    check(
        "module M {\nsequence<int> Values;\nsequence<long> values;\n};",
        "3: sequence `values' differs only in capitalization from sequence `Values'",
    );
    check(
        "module Sem { const int A = 1; };\nmodule SEM\n{\nconst int B = 2;\n};",
        "2: module `SEM' is capitalized inconsistently with its previous name: `Sem'\n\
         4: `B': a constant can be defined only at module scope",
    );
    check(
        "module M { enum Level { low, high, low }; };",
        "1: redefinition of enumerator `low'",
    );
}

#[test]
fn module_names() {
    check(
        "module Sem { struct Sem { int x; }; };",
        "1: structure name `Sem' must differ from the name of its immediately enclosing module",
    );
    check(
        "module Sem { struct sem { int x; }; };",
        "1: structure name `sem' cannot differ only in capitalization from its immediately enclosing module name `Sem'",
    );
    check(
        "module Sem\n{\nmodule Inner { interface Sem { void op(); }; };\n};",
        "3: interface name `Sem' must differ from the name of enclosing module `Sem' (first defined at t.ice:1)",
    );
}

#[test]
fn lookup() {
    check(
        "module M {\nstruct Line { Point from; };\n};",
        "2: `Point' is not defined\n2: struct `Line' must have at least one member",
    );
    check(
        "module M { module Geo { const int A = 1; }; sequence<Geo> Things; };",
        "1: `Geo' is not a type",
    );
    check(
        "module M { exception F {}; struct R { int c; F cause; }; };",
        "1: `F' is an exception, which cannot be used as a type",
    );
    check(
        "module Sem { struct Point { int x; }; sequence<point> Points; };",
        "1: struct name `point' is capitalized inconsistently with its previous name: `::Sem::Point'",
    );
    check(
        "module Sem\n{\nstruct Point { int x; };\nmodule Inner\n{\nsequence<Point> Points;\nstruct Point { long y; };\n};\n};",
        "7: `Point' has changed meaning",
    );
    check(
        "module M { sequence<Point> Ps; struct Point { int x; }; };",
        "1: `Point' is not defined",
    );
    check(
        "module M { struct P { int x; }; sequence<P*> Ps; };",
        "1: `P' must be class or interface",
    );
    check(
        "module M { local interface L { void p(); }; local sequence<L*> Ls; };",
        "1: cannot create proxy for local interface `L'",
    );
}

#[test]
fn classes_and_interfaces() {
    check(
        "module M { interface D { void open(); }; class P extends D { int x; }; };",
        "1: `D' is not a class",
    );
    check(
        "module M { class B; class D extends B { int x; }; };",
        "1: `B' has been declared but not defined",
    );
    check(
        "module M { interface D; class D { int x; }; };",
        "1: class `D' was declared as interface",
    );
    check(
        "module M { local interface L; interface L { void p(); }; };",
        "1: non-local `L' was declared local",
    );
    check(
        "module M { class B { int size; }; class D extends B { long size; }; };",
        "1: data member `size' is already defined as a data member in a base interface or class",
    );
    check(
        "module M\n{\nclass Item\n{\nstring name;\nstring Name;\n};\n};",
        "6: data member `Name' differs only in capitalization from data member `name'\n\
         6: `Name' has changed meaning",
    );
    check(
        "module M { interface L { void ping(); }; interface R { void ping(); }; interface B extends L, R { void o(); }; };",
        "1: ambiguous multiple inheritance: `B' inherits operation `ping' from two or more unrelated base interfaces",
    );
    check(
        "module M { interface A { void ping(); }; interface L extends A {}; interface R extends A {}; interface B extends L, R {}; };",
        "",
    );
    check(
        "module M { interface B { void open(); }; interface D extends B { void open(); }; };",
        "1: operation `open' is already defined as an operation in a base interface or class",
    );
    check(
        "module M\n{\ninterface D\n{\nvoid open();\nvoid Open();\n};\n};",
        "6: operation `Open' differs only in capitalization from operation `open'\n\
         6: redefinition of operation `open' as operation `Open'",
    );
    check(
        "module M { interface D { void open(); void open(int how); }; };",
        "1: redefinition of operation `open' as operation `open'",
    );
    check(
        "module M { interface Door { void Door(); }; };",
        "1: interface name `Door' cannot be used as operation name",
    );
    check(
        "module M { interface D { void open(); }; local interface W extends D { void close(); }; };",
        "1: local interface `W' cannot have non-local base interface `D'",
    );
}

#[test]
fn operations() {
    check(
        "module M { interface D { void open(out int code, string who); }; };",
        "1: `who': in parameters cannot follow out parameters",
    );
    check(
        "module M { interface D { void open(int a, out int a); }; };",
        "1: redefinition of parameter `a'",
    );
    check(
        "module M { interface D { void open(int a, int A); }; };",
        "1: parameter `A' differs only in capitalization from parameter `a'\n1: `A' has changed meaning",
    );
    check(
        "module M { exception F {}; interface D { void open() throws F, F; }; };",
        "1: operation `open' has a throws clause with a duplicate exception: `F'",
    );
    check(
        "module M { struct I { int c; }; interface D { void open() throws I; }; };",
        "1: `I' is not an exception",
    );
    check(
        "module M { local exception O {}; interface D { void open() throws O; }; };",
        "1: non-local interface `D' cannot have operation `open' throwing local exception `O'",
    );
    check(
        "module M { local interface L { void p(string s); }; interface D { void open(L log); }; };",
        "1: non-local interface `D' cannot have local parameter `log' in operation `open'",
    );
    check(
        "module M { interface D { LocalObject open(); }; };",
        "1: non-local interface `D' cannot have operation `open' with local return type",
    );
    check(
        "module M { interface D { optional(2) int open(optional(1) string who, out optional(2) bool ok); }; };",
        "1: tag for optional parameter `ok' is already in use",
    );
}

#[test]
fn data_types() {
    check(
        "module M { struct N {}; };",
        "1: struct `N' must have at least one member",
    );
    check(
        "module M\n{\nstruct Node\n{\nint value;\nNode next;\n};\n};",
        "6: struct `Node' cannot contain itself",
    );
    check(
        "module M { struct P { int x; long x; }; };",
        "1: redefinition of struct member `x'",
    );
    check(
        "module M { exception F { string r; int r; }; };",
        "1: redefinition of exception member `r'",
    );
    check(
        "module M { exception B { string r; }; exception D extends B { string r; }; };",
        "1: exception member `r' is already defined in a base exception",
    );
    check(
        "module M { local exception B {}; exception D extends B {}; };",
        "1: non-local exception `D' cannot have local base exception `B'",
    );
    check(
        "module M { struct I { int c; }; exception F extends I {}; };",
        "1: `I' is not an exception",
    );
    check(
        "module M { local interface L { void p(); }; struct C { L log; }; };",
        "1: non-local struct`C' cannot contain local member `log'",
    );
    check(
        "module M { class K { LocalObject t; }; };",
        "1: non-local class`K' cannot contain local member `t'",
    );
    check(
        "module M { local struct H { int fd; }; sequence<H> Hs; };",
        "1: non-local sequence `Hs' cannot have local element type",
    );
    check(
        "module M { local struct H { int fd; }; dictionary<int, H> Hs; };",
        "1: non-local dictionary `Hs' cannot have local value type",
    );
}

#[test]
fn dictionary_keys() {
    check(
        "module M { dictionary<double, string> T; };",
        "1: dictionary `T' uses an illegal key type",
    );
    check(
        "module M { class I { int x; }; dictionary<I, string> T; };",
        "1: dictionary `T' uses an illegal key type",
    );
    check(
        "module M { interface D { void o(); }; dictionary<D*, int> T; };",
        "1: dictionary `T' uses an illegal key type",
    );
    check(
        "module M { struct S { int id; float w; }; dictionary<S, string> T; };",
        "1: dictionary `T' uses an illegal key type",
    );
    check(
        "module M { struct A { int id; }; struct S { A a; string s; }; enum E { x }; dictionary<S, int> T; dictionary<E, int> U; };",
        "",
    );
    check(
        "module M { sequence<byte> B; dictionary<B, string> T; };",
        "1: warning: use of sequences in dictionary keys has been deprecated",
    );
}

#[test]
fn enums() {
    check(
        "module M { enum N {}; };",
        "1: enum `N' must have at least one enumerator",
    );
    check(
        "module M { enum L { low = 1, mid = 2, high = 1 }; };",
        "1: enumerator `high' has the same value as enumerator `low'",
    );
    check(
        "module M { enum L { low = 2, mid = 1, high }; };",
        "1: enumerator `high' has the same value as enumerator `low'",
    );
    check(
        "module M { enum L { low = -1, high = 5 }; };",
        "1: value for enumerator `low' is out of range",
    );
    check(
        "module M { enum L { low = 1, high = 2147483648 }; };",
        "1: value for enumerator `high' is out of range",
    );
    check(
        "module M { const string S = \"one\"; enum L { low = S, high }; };",
        "1: illegal initializer: `S' is not an integer constant",
    );
    check(
        "module M {\nenum E { a, b = 3, c, d = 2147483647, e };\n};",
        "2: value for enumerator `e' is out of range\n2: enumerator `e' has the same value as enumerator `d'",
    );
    check(
        "module M { enum A { x }; enum B { x }; const int x = 1; };",
        "",
    );
}

#[test]
fn constants() {
    check(
        "module M { const byte L = 256; };",
        "1: initializer `256' for constant `L' out of range for type byte",
    );
    check(
        "module M { const short C = 7.5; };",
        "1: initializer of type `double' is incompatible with the type `short' of constant `C'",
    );
    check(
        "module M { sequence<int> I; const I E = 0; };",
        "1: constant `E' has illegal type",
    );
    check(
        "module M { enum C { red }; const int F = C; };",
        "1: illegal initializer: `C' is an enumeration\n\
         1: type of initializer is incompatible with the type `int' of constant `F'",
    );
    check(
        "module M { const int B = 2147483648; };",
        "1: initializer `2147483648' for constant `B' out of range for type int",
    );
    check(
        "module M { enum C { red, green }; const C F = 1; };",
        "1: type of initializer is incompatible with the type of constant `F'",
    );
    check(
        "module M { const Object N = 0; };",
        "1: constant `N' has illegal type: `Object'",
    );
    check(
        "module M { const int C = \"7\"; };",
        "1: initializer of type `string' is incompatible with the type `int' of constant `C'",
    );
    check(
        "module M { const bool F = 1; };",
        "1: initializer of type `long' is incompatible with the type `bool' of constant `F'",
    );
    check(
        "module M { const long W = 70000; const short N = W; };",
        "1: initializer `70000' for constant `N' out of range for type short",
    );
    check(
        "module M { enum C { red, green }; enum F { apple }; const C X = apple; };",
        "1: `apple' does not designate an enumerator of `::M::C'",
    );
    check(
        "module M { enum L { low, high }; const L X = M::high; };",
        "1: warning: referencing enumerator `high' in its enumeration's enclosing scope is deprecated",
    );
    check(
        "module M { enum C { red }; enum O { red2 }; const C X = O::red2; };",
        "1: enumerator `O::red2' is not defined in enumeration `::M::C'",
    );
    check(
        "module M { const float F = 1.5e39; const double D = 3; const float G = 2; };",
        "",
    );
}

#[test]
fn default_values() {
    check(
        "module M { class I { Object p = 0; }; };",
        "1: default value not allowed for data member `p' of type `Object'",
    );
    check(
        "module M { struct L { short max = 40000; }; };",
        "1: initializer `40000' for data member `max' out of range for type short",
    );
    check(
        "module M { enum C { red, green }; struct P { C c = blue; }; };",
        "1: `blue' does not designate an enumerator of `::M::C'",
    );
    // The reference does not diagnose a default naming nothing for a non-enum member.
    check("module M { struct S { int i = Undefined; }; };", "");
    check(
        "module M { enum L { low, mid = 5, high }; const L A = low; struct S { L l1 = high; L l2 = L::low; L l3 = A; }; };",
        "",
    );
}

#[test]
fn tags_and_compact_ids() {
    check(
        "module M { class I { optional(1) int a; optional(1) string b; }; };",
        "1: tag for optional data member `b' is already in use",
    );
    check(
        "module M { enum F { one, two }; enum S { two }; class I { optional(two) int a; }; };",
        "1: enumerator `two' could designate `::M::F::two' or `::M::S::two'",
    );
    check(
        "module M { class I { optional(-1) int a; }; };",
        "1: tag for optional is out of range",
    );
    check(
        "module M { const double T = 1.5; class I { optional(T) int a; }; };",
        "1: invalid tag `T' for optional",
    );
    check(
        "module M { class I { optional(Missing) int a; }; };",
        "1: `Missing' is not defined",
    );
    check(
        "module M { enum T { first, second }; class I { optional(second) int x; }; };",
        "1: warning: referencing enumerator `::M::T::second' without its enumeration's scope is deprecated",
    );
    check(
        "module M { class A(7) { int a; }; class B(7) { int b; }; };",
        "1: invalid compact id for class: already assigned to class `::M::A'",
    );
    check(
        "module M { class A(-3) { int a; }; };",
        "1: invalid compact id for class: id must be a positive integer",
    );
    check(
        "module M { class A(4294967296) { int a; }; };",
        "1: invalid compact id for class: value is out of range",
    );
    check(
        "module M { const int K = 1; class X(K) {}; class Y(M::K) {}; };",
        "1: invalid compact id for class: already assigned to class `::M::X'",
    );
    check(
        "module M { struct P { optional(1) int x; }; };",
        "1: optional data members not supported in struct",
    );
}

#[test]
fn deprecation_warnings() {
    check(
        "module W { interface D { void open(); }; class P implements D { int w; }; };",
        "1: warning: classes implementing interfaces are deprecated",
    );
    check(
        "module W { class N { int v; }; interface A { N* find(); }; };",
        "1: warning: proxy for a class is deprecated",
    );
    check(
        "module W\n{\nclass C\n{\nint v;\nvoid inc();\nvoid dec();\n};\n};",
        "6: warning: classes with operations are deprecated",
    );
    check(
        "module W { interface D { void open(); }; struct E { D door; }; };",
        "1: warning: interface by value is deprecated",
    );
    check(
        "[[\"suppress-warning:deprecated\"]]\nmodule Q { interface D { void o(); }; class L implements D { int s; void c(); }; sequence<L*> Ls; };",
        "",
    );
    check(
        "[[\"suppress-warning:bogus\"]]\nmodule W { const int A = 1; };",
        "warning: invalid category `bogus' in file metadata suppress-warning\n\
         warning: invalid category `bogus' in file metadata suppress-warning",
    );
    check("module L { local class C { void op(); }; };", "");
}

#[test]
fn identifiers() {
    check(
        "module Lex { const int max_size = 10; };",
        "1: illegal underscore in identifier `max_size'",
    );
    check(
        "[[\"underscore\"]]\nmodule Lex { const int _h = 10; };",
        "2: illegal leading underscore in identifier `_h'",
    );
    check(
        "[[\"underscore\"]]\nmodule Lex { const int s_ = 10; };",
        "2: illegal trailing underscore in identifier `s_'",
    );
    check(
        "[[\"underscore\"]]\nmodule Lex { const int a__b = 10; };",
        "2: illegal double underscore in identifier `a__b'",
    );
    check(
        "module Lex { struct icebox { int c; }; };",
        "1: illegal identifier `icebox': `ice' prefix is reserved",
    );
    check(
        "module Lex { sequence<int> NodePtr; };",
        "1: illegal identifier `NodePtr': `Ptr' suffix is reserved",
    );
    check(
        "module Lex { interface R { void lookupPrx(); }; };",
        "1: illegal identifier `lookupPrx': `Prx' suffix is reserved",
    );
    check(
        "[[\"ice-prefix\"]]\n[[\"underscore\"]]\nmodule IceTools { const int max_size = 10; struct ice_point { int x_pos; }; };",
        "",
    );
    let opts = Options {
        ice_prefix: true,
        underscore: true,
        ..Options::default()
    };
    check_opts("module IceTools { const int max_size = 10; };", &opts, "");
}

#[test]
fn file_metadata_placement() {
    check(
        "module S { const int A = 1; };\n[[\"python:package:late\"]]",
        "2: file metadata must appear before any definitions",
    );
    check(
        "module S {\n[[\"x\"]]\nconst int A = 1; };",
        "2: file metadata must appear before any definitions",
    );
}

#[test]
fn scopes_and_reuse() {
    check(
        "module Cases\n{\nsequence<long> ls;\nstruct Box { ls ls; int box; };\nclass Item { string item; Box Box; };\nexception Problem { string Problem; };\ninterface Api { void call(ls ls, int call); Box fetch(Box Box); };\nmodule Inner { struct point { int x; }; };\nmodule inner2 { struct Point { int x; }; };\n};",
        "",
    );
    check(
        "module M { class C; class C; class C { int x; }; class C; interface I; interface I { void o(); }; };",
        "",
    );
}

/// Compares our diagnostics with slice2py's on each input, with no written expectation;
/// reports every input where they differ.
#[track_caller]
fn same_as_reference(inputs: &[&str]) {
    let mut failures = Vec::new();
    for src in inputs {
        let dir = write_case(src);
        let options = Options::default();
        let want = reference(&dir, &options);
        let comp = compile_file(&dir.join("t.ice"), &options);
        let got = render(&comp, &dir);
        let _ = std::fs::remove_dir_all(&dir);
        if got != want {
            failures.push(format!(
                "--- input ---\n{src}\n--- slice2py ---\n{want}\n--- ours ---\n{got}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn differential_names_and_scopes() {
    same_as_reference(&[
        "module A { module B { struct S { int x; }; }; sequence<B::S> Ss; sequence<A::B::S> Ts; sequence<::A::B::S> Us; };",
        "module A { struct S { int x; }; module B { sequence<S> Ss; struct S { int y; }; }; };",
        "module A { struct S { int x; }; module B { struct T { S s; }; struct S { int y; }; }; };",
        "module A { module B { struct S { int x; }; }; module C { sequence<B::S> Ss; module B { }; }; };",
        "module A { interface I { void op(); }; interface J extends I { void I(); }; };",
        "module A { module E { exception X {}; }; interface I { void op() throws E::X; void E(); }; };",
        "module A { module M { struct T { int x; }; }; interface I { M::T op(); void M(); }; };",
        "module A { struct S { int x; }; struct s { int y; }; };",
        "module A { struct S { int x; }; sequence<int> s; };",
        "module A { struct S { int x; }; module s { }; };",
        "module A { module s { }; struct S { int x; }; };",
        "module A { class C; class c { int x; }; };",
        "module A { class C { int x; }; class c; };",
        "module A { class C { int x; }; interface c; };",
        "module A { struct C { int x; }; class C; };",
        "module A { struct C { int x; }; class c; };",
        "module A { struct C { int x; }; interface C { void o(); }; };",
        "module A { class C { int x; }; class c { int x; }; };",
        "module A { interface I; class I; };",
        "module A { class I; local class I; };",
        "module A { local class I { void o(); }; class I; };",
        "module A { module A { }; };",
        "module A { module a { }; };",
        "module A { module B { module A { }; }; };",
        "module A { module B { enum a { x }; }; };",
        "module A { enum E { A }; };",
        "module A { sequence<int> a; };",
        "module A { interface a { void o(); }; };",
        "module A { class a; };",
        "module A { const int a = 1; };",
        "module A { dictionary<int, int> a; };",
        "module A { exception a {}; };",
        "module M { struct S { int x; }; sequence<m::S> Ss; };",
        "module M { struct S { int x; }; sequence<M::s> Ss; };",
        "module M { struct S { int x; }; sequence<::m::S> Ss; };",
        "module M { const int K = 1; sequence<K> Ks; };",
        "module M { enum E { a }; sequence<E::a> Ks; };",
        "module M { interface I { void op(); }; sequence<I::op> Ks; };",
        "module M { sequence<\\int> S; sequence<\\Object> O; };",
        "module M { struct S { int x; }; interface I { void op(S s, int S); }; };",
        "module M { interface I { void op(int a, int b, int a); }; };",
        "module M { interface I { void op(int a); void OP(); }; };",
        "module M { interface I { void op(); }; interface J extends I { void OP(); }; };",
        "module M { interface I { void op(); }; interface J { void OP(); }; interface K extends I, J {}; };",
        "module M { interface I { void op(); }; interface K extends I, I {}; };",
        "module M { class B { int x; }; class D extends B { void x(); }; };",
        "module M { class B { void x(); }; class D extends B { int X; }; };",
        "module M { interface I { void x(); }; class D implements I { int x; }; };",
        "module M { interface Door { void door(); }; };",
        "module M { class Door { void door(); }; };",
    ]);
}

#[test]
fn differential_values_and_types() {
    same_as_reference(&[
        "module M { const bool B = true; const byte Y = 0xff; const short S = -32768; const long L = -9223372036854775808; const string T = \"x\"; const float F = 1; const double D = 1.5; };",
        "module M { const byte Y = -1; };",
        "module M { const short S = 32768; };",
        "module M { const int I = -2147483649; };",
        "module M { const string S = 1; };",
        "module M { const string S = true; };",
        "module M { const float F = \"x\"; };",
        "module M { const double F = false; };",
        "module M { const bool B = 1.0; };",
        "module M { const int A = 1; const string S = A; };",
        "module M { const double D = 1.5; const int I = D; };",
        "module M { const bool B = true; const int I = B; };",
        "module M { const int A = 5; const float F = A; };",
        "module M { const int A = Nope; };",
        "module M { enum E { a }; const E X = Nope; };",
        "module M { enum E { a }; const E X = E::b; };",
        "module M { enum E { a }; enum F { b }; const E X = F::b; };",
        "module M { enum E { a }; enum F { b }; const F Y = b; const E X = Y; };",
        "module M { enum E { a }; const E Y = a; const E X = Y; const int I = Y; };",
        "module M { enum E { a }; const E X = ::M::E::a; const E Z = M::E::a; const E W = M::a; };",
        "module M { struct S { int x; }; const S X = 1; };",
        "module M { class C { int x; }; const C X = 1; };",
        "module M { const Object* X = 1; };",
        "module M { const Value X = 1; };",
        "module M { const LocalObject X = 1; };",
        "module M { interface I { void o(); }; const I* X = 1; };",
        "module M { struct S { int x; }; const int X = S; };",
        "module M { interface I { void o(); }; const int X = I; };",
        "module M { exception E {}; const int X = E; };",
        "module M { module N {}; const int X = N; };",
        "module M { struct S { string s = 1; int i = \"x\"; bool b = 0; }; };",
        "module M { struct S { Object* p = 0; }; };",
        "module M { struct T { int x; }; struct S { T t = 0; }; };",
        "module M { enum E { a, b }; struct S { E e = 1; }; };",
        "module M { enum E { a, b }; struct S { E e = c; }; };",
        "module M { enum E { a, b }; enum F { c }; struct S { E e = F::c; }; };",
        "module M { enum E { a, b }; struct S { E e = M::b; }; };",
        "module M { const int K = 3; struct S { int e = K; long l = K; float f = K; }; };",
        "module M { struct S { byte b = 256; }; };",
        "module M { exception X { int i = 1; string s = \"a\"; }; class C { double d = 1e10; }; };",
        "module M { const int T = 5; class C { optional(T) int a; optional(M::T) int b; }; };",
        "module M { const long T = 3000000000; class C { optional(T) int a; }; };",
        "module M { const long T = -1; class C { optional(T) int a; }; };",
        "module M { const long T = 4294967297; class C { optional(T) int a; }; };",
        "module M { const string T = \"x\"; class C { optional(T) int a; }; };",
        "module M { enum E { a, b }; class C { optional(E::b) int a; optional(b) int c; }; };",
        "module M { struct S { int x; }; class C { optional(S) int a; }; };",
        "module M { class C { optional(2147483648) int a; }; };",
        "module M { class C { optional(2147483647) int a; }; };",
        "module M { exception X { optional(1) int a; optional(1) int b; }; };",
        "module M { class B { optional(1) int a; }; class D extends B { optional(1) int b; }; };",
        "module M { interface I { optional(1) int op(optional(1) int a); }; };",
        "module M { interface I { void op(optional(1) int a, out optional(1) int b); }; };",
        "module M { const long K = 3000000000; class C(K) {}; };",
        "module M { const long K = -5; class C(K) {}; };",
        "module M { const string K = \"x\"; class C(K) {}; };",
        "module M { enum E { a, b }; class C(E::b) {}; class D(b) {}; };",
        "module M { class C(Nope) {}; };",
        "module M { class C(0) {}; class D(2147483647) {}; };",
        "module M { enum E { a = 0x10, b, c = 017 }; };",
        "module M { enum E { a = 2147483647 }; };",
        "module M { enum E { a = 2147483646, b, c }; };",
        "module M { const int K = 4; enum E { a = K, b = M::K }; };",
        "module M { const long K = 3000000000; enum E { a = K }; };",
        "module M { const long K = -1; enum E { a = K }; };",
        "module M { enum E { a = Nope }; };",
        "module M { enum F { x }; enum E { a = F::x }; };",
        "module M { enum E { a, A }; };",
        "module M { enum E { a, b, c = 0, d }; };",
        "module M { enum E { a = 5, b = 3, c, d, e }; };",
        "module M { enum E {}; enum F { x,, y, }; };",
        "module M { dictionary<y, K> IceX; sequence<Nope> a_b; const Nope NodePtr = 1; };",
        "module M { interface I { void op(Nope a, int b_c) throws IceX; }; };",
        "module M { struct S { Nope x; int _y; }; };",
        "module M { enum E { a, a, b = 1 }; enum F { x, X, y = 1 }; enum A { mid, a, mid = 0 }; };",
    ]);
}

#[test]
fn differential_definitions() {
    same_as_reference(&[
        "module M { class C; sequence<C> Cs; sequence<C*> Ps; struct S { C c; }; };",
        "module M { interface I; sequence<I*> Ps; interface I { void o(); }; };",
        "module M { class B; class D extends B {}; class B {}; };",
        "module M { interface I; interface J extends I {}; };",
        "module M { struct S { int x; }; interface I extends S {}; };",
        "module M { struct S { int x; }; class C implements S {}; };",
        "module M { class B {}; class C implements B {}; };",
        "module M { interface I { void o(); }; class C extends I {}; };",
        "module M { local interface L { void o(); }; class C implements L {}; };",
        "module M { interface I { void o(); }; local class C implements I { void p(); }; };",
        "module M { class B {}; local class D extends B {}; };",
        "module M { local class B {}; class D extends B {}; };",
        "module M { local interface L {}; interface I extends L {}; };",
        "module M { exception B {}; local exception D extends B {}; };",
        "module M { exception E extends Nope {}; };",
        "module M { exception E extends e {}; };",
        "module M { exception B { int x; }; exception D extends B { int X; }; };",
        "module M { exception B { int x; }; exception E extends B {}; exception D extends E { int x; }; };",
        "module M { exception E { int x; int X; }; };",
        "module M { struct S { int x; int X; }; };",
        "module M { struct S { int x; }; struct T { S s; T t; }; };",
        "module M { local struct L { int x; }; struct S { L l; }; exception E { L l; }; class C { L l; }; };",
        "module M { local class L {}; sequence<L> Ls; dictionary<L, int> D; dictionary<int, L> D2; };",
        "module M { local struct L { int x; }; dictionary<L, int> D; };",
        "module M { interface I { LocalObject op(LocalObject a); }; };",
        "module M { local interface I { LocalObject op(LocalObject a) throws E; }; };",
        "module M { local exception L {}; class C { void op() throws L; }; };",
        "module M { exception E {}; interface I { void op() throws E, E, E; }; };",
        "module M { exception E {}; exception F {}; interface I { void op() throws E, F, E, F; }; };",
        "module M { interface I { void op() throws Nope; }; };",
        "module M { interface I { void op() throws Nope, Nope; }; };",
        "module M { interface I { void op() throws Nope::X, Nope::X; }; };",
        "module M { interface I { void op() throws I; }; };",
        "module M { interface I { void op(out int a, int b, out int c, int d); }; };",
        "module M { interface I { void op(Nope a, int b); }; };",
        "module M { struct S { int x; }; interface I { void op(Nope a, int b) throws S; }; };",
        "module N { interface y { Object Op(BASE a) throws N; }; };",
        "module N { local exception x {}; exception F {}; interface I { void op(F* a) throws x, x; }; };",
        "module M { interface I { Nope op(int b); }; };",
        "module M { interface I { void op(I a, I* b); }; };",
        "module M { class C {}; interface I { C* op(C c); }; };",
        "module M { interface I { void o(); }; sequence<I> Is; dictionary<int, I> D; };",
        "module M { sequence<Object> O; sequence<Object*> P; sequence<Value> V; sequence<LocalObject> L; };",
        "module M { dictionary<Object, int> D; };",
        "module M { dictionary<Value, int> D; };",
        "module M { dictionary<LocalObject, int> D; };",
        "module M { dictionary<bool, int> D; dictionary<byte, int> E; dictionary<long, int> F; dictionary<float, int> G; };",
        "module M { sequence<float> F; dictionary<F, int> D; };",
        "module M { dictionary<int, int> D; dictionary<D, int> E; };",
        "module M { struct S { Object o; }; dictionary<S, int> D; };",
        "module M { sequence<int> Q; struct S { Q q; }; dictionary<S, int> D; };",
        "module M { class C { int a; void op(); void op2(); }; class D { void op(); }; };",
        "module M { class C { void C(); }; };",
        "module M { class C { void c(); }; };",
        "module M { class C { int c; }; };",
        "module M { class C { int op; void op(); }; };",
        "module M { class C { void op(); int op; }; };",
    ]);
}

#[test]
fn differential_lines() {
    same_as_reference(&[
        "module M\n{\n    struct\n    Point\n    {\n        int x;\n        int x;\n    }\n    ;\n}\n;\n",
        "module M\n{\n    class A\n    extends\n    Nope\n    {\n        int\n        x\n        ;\n    };\n};\n",
        "module M\n{\n    interface I\n    {\n        void\n        op(\n        int a,\n        int a)\n        throws\n        Nope\n        ;\n    };\n};\n",
        "module M\n{\n    enum E\n    {\n        a = 1,\n        b = 1\n        ,\n        c\n    };\n};\n",
        "module M\n{\n    const\n    byte\n    B\n    =\n    300\n    ;\n};\n",
        "module M\n{\n    sequence\n    <\n    Nope\n    >\n    S\n    ;\n};\n",
        "module M\n{\n    dictionary\n    <\n    double\n    ,\n    int\n    >\n    D\n    ;\n};\n",
        "module M\n{\n    struct S\n    {\n        int x =\n        \"a\"\n        ;\n    };\n};\n",
        "module M\n{\n    class C\n    {\n        optional(\n        -1\n        )\n        int\n        x;\n    };\n};\n",
        "module M\n{\n    class C;\n    interface C\n    ;\n};\n",
        "module\nM\n{\n};\nmodule\nm\n{\n};\n",
        "module M\n{\n    struct E { int x; };\n    enum\n    E\n    {\n        a\n    };\n    enum\n    M\n    {\n    };\n};\n",
    ]);
}

#[test]
fn differential_more_lines() {
    same_as_reference(&[
        "module M\n{\n    struct S\n    {\n        Nope\n        x\n        ;\n    };\n};\n",
        "module M\n{\n    dictionary\n    <\n    Nope\n    ,\n    int\n    >\n    D\n    ;\n};\n",
        "module M\n{\n    dictionary\n    <\n    int\n    ,\n    Nope\n    >\n    D\n    ;\n};\n",
        // (Not `class C\n(-1)`: slice2py loses a line on a newline before `(`.)
        "module M\n{\n    class C(\n    -1\n    )\n    {\n    };\n};\n",
        "module M\n{\n    class C(\n    Nope\n    )\n    {\n    };\n};\n",
        "module M\n{\n    interface I\n    {\n        optional(\n        Nope\n        )\n        int op();\n    };\n};\n",
        "module M\n{\n    struct P\n    {\n        int x;\n    };\n    sequence\n    <\n    P\n    *\n    >\n    Ps;\n};\n",
        "module M\n{\n    interface I\n    {\n        void op()\n        throws\n        I\n        ;\n    };\n};\n",
        "module M\n{\n    exception E\n    extends\n    Nope\n    {\n    };\n};\n",
        "module M\n{\n    interface I\n    extends\n    Nope\n    ,\n    Other\n    {\n    };\n};\n",
        "module M\n{\n    class C\n    implements\n    Nope\n    {\n    };\n};\n",
        "module M\n{\n    enum E\n    {\n        a\n        ,\n        a\n        ,\n    };\n};\n",
        "module M\n{\n    enum E\n    {\n        a\n        =\n        Nope\n        ,\n    };\n};\n",
        "module M\n{\n    struct S\n    {\n    }\n    ;\n    enum E\n    {\n    }\n    ;\n};\n",
        "module M\n{\n    struct icebox\n    {\n        int a_b;\n    };\n};\n",
        "module M\n{\n    const\n    int\n    K\n    =\n    Nope\n    ;\n};\n",
        "module M\n{\n    interface I\n    {\n        void op(\n        Nope\n        x\n        );\n    };\n};\n",
        "module M\n{\n    interface I\n    {\n        Nope\n        op\n        (\n        );\n    };\n};\n",
    ]);
}

/// Like [`same_as_reference`] for a set of files: the first is compiled, with `-I` set to
/// the case directory.
#[track_caller]
fn same_as_reference_files(cases: &[&[(&str, &str)]]) {
    let mut failures = Vec::new();
    for files in cases {
        let dir = write_case("");
        for (name, text) in *files {
            std::fs::write(dir.join(name), text).expect("write");
        }
        let main = files[0].0;
        let out = Command::new("slice2py")
            .current_dir(&dir)
            .arg("--output-dir")
            .arg(&dir)
            .arg(format!("-I{}", dir.display()))
            .arg(main)
            .output()
            .expect("slice2py must be installed");
        let prefix = format!("{}/", dir.display());
        let want = String::from_utf8_lossy(&out.stderr)
            .lines()
            .map(|l| l.replace(&prefix, ""))
            .collect::<Vec<_>>()
            .join("\n");
        let options = Options {
            include_dirs: vec![dir.clone()],
            ..Options::default()
        };
        let comp = compile_file(&dir.join(main), &options);
        let got = comp
            .diagnostics
            .iter()
            .map(|d| {
                let sev = if d.severity == Severity::Warning {
                    "warning: "
                } else {
                    ""
                };
                let s = match d.location {
                    Location::Span(s) => {
                        let (name, line) = comp.sources.file(s.file).presumed_line(s.start);
                        format!("{name}:{line}: {sev}{}", d.message)
                    }
                    Location::File(f) => {
                        format!("{}: {sev}{}", comp.sources.file(f).name, d.message)
                    }
                    Location::None => format!("{sev}{}", d.message),
                };
                s.replace(&prefix, "")
            })
            .collect::<Vec<_>>()
            .join("\n");
        let _ = std::fs::remove_dir_all(&dir);
        if got != want {
            failures.push(format!(
                "--- files ---\n{files:?}\n--- slice2py ---\n{want}\n--- ours ---\n{got}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn differential_includes() {
    same_as_reference_files(&[
        &[
            (
                "main.ice",
                "#include <inc.ice>\nmodule M { sequence<Ice_Thing> S; };\n",
            ),
            (
                "inc.ice",
                "#pragma once\nmodule M { struct Ice_Thing { int a_b; }; };\n",
            ),
        ],
        &[
            (
                "main.ice",
                "#include <inc.ice>\nmodule Ice { struct X { int x; }; };\n",
            ),
            (
                "inc.ice",
                "#pragma once\nmodule IceInc { struct _X { int x; }; };\n",
            ),
        ],
        &[
            (
                "main.ice",
                "#include \"inc.ice\"\n#include \"inc.ice\"\nmodule M { };\n",
            ),
            ("inc.ice", "module N { struct Pair { int a; }; };\n"),
        ],
        &[
            (
                "main.ice",
                "#include <inc.ice>\n[[\"underscore\"]]\nmodule M { const int a_b = 1; };\n",
            ),
            ("inc.ice", "#pragma once\nmodule N { const int K = 1; };\n"),
        ],
        &[
            (
                "main.ice",
                "module M { const int A = 1; };\n#include <inc.ice>\n",
            ),
            (
                "inc.ice",
                "#pragma once\n[[\"suppress-warning\"]]\nmodule N { class C { void op(); }; };\n",
            ),
        ],
        &[
            (
                "main.ice",
                "#include <inc.ice>\nmodule M { class D { void op(); }; };\n",
            ),
            (
                "inc.ice",
                "#pragma once\n[[\"suppress-warning\"]]\nmodule N { class C { void op(); }; };\n",
            ),
        ],
        &[
            (
                "main.ice",
                "module M {\n#include <inc.ice>\nsequence<S> Ss;\n};\n",
            ),
            ("inc.ice", "struct S { int x; };\n"),
        ],
        &[
            (
                "main.ice",
                "#include <inc.ice>\nmodule N { class B(3) {}; };\n",
            ),
            ("inc.ice", "#pragma once\nmodule M { class A(3) {}; };\n"),
        ],
        &[
            (
                "main.ice",
                "#include <inc.ice>\nmodule M { class C { int x; }; };\n",
            ),
            (
                "inc.ice",
                "#pragma once\nmodule M { class C; interface I { void op(C c); }; };\n",
            ),
        ],
        &[
            ("main.ice", "#include <inc.ice>\nmodule m { };\n"),
            ("inc.ice", "#pragma once\nmodule M { };\n"),
        ],
        &[
            (
                "main.ice",
                "#include <inc.ice>\nmodule A { module B { interface A {}; }; };\n",
            ),
            ("inc.ice", "#pragma once\nmodule A { };\n"),
        ],
        &[
            ("main.ice", "module A\n{\nmodule B\n{\n#include \"inc.ice\"\n};\n};\n"),
            ("inc.ice", "interface A {};\nstruct b { int x; };\n"),
        ],
        &[
            ("main.ice", "module A {\n#include \"inc.ice\"\n};\n"),
            ("inc.ice", "module B\n{\nstruct a { int x; };\n};\n"),
        ],
        &[
            ("main.ice", "#include \"inc.ice\"\nmodule M { sequence<icebox> S; struct T { Door_Ptr d; }; };\n"),
            ("inc.ice", "#pragma once\nmodule M { struct icebox { int x; }; struct Door_Ptr { int x; }; };\n"),
        ],
    ]);
}

#[test]
fn differential_suppress_and_metadata() {
    same_as_reference(&[
        "[[\"suppress-warning:all\"]]\nmodule W { class C { void op(); }; };",
        "[[\"suppress-warning:invalid-metadata\"]]\nmodule W { class C { void op(); }; };",
        "[[\"suppress-warning:invalid-metadata, bogus\"]]\nmodule W { };",
        "[[\"suppress-warning:bogus, deprecated\"]]\nmodule W { class C { void op(); }; };",
        "[[\"suppress-warning:deprecated\"]]\n[[\"suppress-warning:bogus\"]]\nmodule W { };",
        "[[\"suppress-warning:bogus\"]]\n[[\"suppress-warning:deprecated\"]]\nmodule W { class C { void op(); }; };",
        "[[\"suppress-warning\"]]\nmodule W { class C { void op(); }; };",
        "[[\"suppress-warnings\"]]\nmodule W { class C { void op(); }; };",
        "[[\"a\"]] [[\"b\"]]\nmodule W { };\n[[\"c\"]]",
        "module W { };\n[[\"c\"]]\n[[\"d\"]]",
        "[\"amd\"] module W { [\"x\"] interface I { [\"y\"] void op([\"z\"] int a); }; };",
    ]);
}

#[test]
fn differential_bad_categories() {
    same_as_reference(&["[[\"suppress-warning:bogus\"]]\nmodule W { const int x = \"a\"; };"]);
    same_as_reference_files(&[&[
        ("d.ice", "#include \"inc2.ice\"\nmodule W { };\n"),
        (
            "inc2.ice",
            "[[\"suppress-warning:bogus\"]]\nmodule V { };\n",
        ),
    ]]);
}
