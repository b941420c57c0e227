//! Validating every Slice file Ice ships (`/usr/share/ice/slice`), as `slicec-rs --validate`
//! does: the whole front end (preprocess, parse, check), and the preprocessor alone.

use criterion::{criterion_group, criterion_main, Criterion};
use slice_parser::{compile_file, preprocess, Diagnostics, Options, SourceMap};
use std::hint::black_box;
use std::path::PathBuf;

// The tests' helpers (where Ice's Slice files are).
#[path = "../tests/support/mod.rs"]
mod support;

use support::corpus::{ice_distribution_files as ice_files, ICE_SLICE_DIR};

fn bench(c: &mut Criterion) {
    let files = ice_files();
    let options = Options {
        include_dirs: vec![PathBuf::from(ICE_SLICE_DIR)],
        ..Options::default()
    };
    c.bench_function("validate all Ice slice files", |b| {
        b.iter(|| {
            for f in &files {
                black_box(compile_file(f, &options));
            }
        })
    });
    c.bench_function("preprocess all Ice slice files", |b| {
        b.iter(|| {
            for f in &files {
                let mut sources = SourceMap::new();
                let mut diags = Diagnostics::new();
                black_box(preprocess::preprocess(
                    f,
                    &options,
                    &mut sources,
                    &mut diags,
                ));
            }
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
