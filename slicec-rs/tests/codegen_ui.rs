//! Code that must not compile (and its counterpart that must): a servant raising an
//! exception its operation does not declare is a type error pointing at the servant.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
