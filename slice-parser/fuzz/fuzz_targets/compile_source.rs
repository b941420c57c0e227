//! Arbitrary bytes through the whole front end: preprocess, parse, check, render.
//! Any panic, stack overflow or timeout is a bug.
//!
//! Run: `cd slice-parser/fuzz && cargo +nightly fuzz run compile_source -- -max_total_time=60`
//! (seed it with the corpus: add `../../../shared/slice/corpus/valid` as a second corpus dir).
#![no_main]

use libfuzzer_sys::fuzz_target;
use slice_parser::render::{render, Format};
use slice_parser::{compile_source, Options};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let comp = compile_source("fuzz.ice", &text, &Options::default());
    let _ = render(&comp.diagnostics, &comp.sources, Format::Short);
    let _ = render(&comp.diagnostics, &comp.sources, Format::Json);
});
