//! Validating every Slice file Ice ships (`/usr/share/ice/slice`), as `slicec-rs --validate`
//! does: the whole front end (preprocess, parse, check), and the preprocessor alone.

use criterion::{criterion_group, criterion_main, Criterion};
use slice_parser::{compile_file, preprocess, Diagnostics, Options, SourceMap};
use std::hint::black_box;
use std::path::PathBuf;

const ICE_SLICE_DIR: &str = "/usr/share/ice/slice";

fn ice_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let dirs = std::fs::read_dir(ICE_SLICE_DIR)
        .unwrap_or_else(|e| panic!("{ICE_SLICE_DIR}: {e} (install zeroc-ice-slice)"));
    for d in dirs.filter_map(Result::ok) {
        if let Ok(entries) = std::fs::read_dir(d.path()) {
            files.extend(
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|e| e == "ice")),
            );
        }
    }
    files.sort();
    assert!(files.len() >= 60, "only {} files", files.len());
    files
}

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
