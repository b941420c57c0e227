//! Every Slice file Ice ships (`/usr/share/ice/slice`: Ice, Glacier2, IceGrid, IceStorm,
//! IceBox, IcePatch2, IceSSL, IceBT, IceIAP) compiles with `-I /usr/share/ice/slice`, with
//! no error and no warning, as with slice2py. Exceptions, if any, are listed with a reason
//! in `tests/ice-distribution-known-failures.txt` (the list may only shrink).

mod support;

use slice_parser::{compile_file, Options};
use std::path::Path;
use support::corpus;

#[test]
fn ice_slice_files_compile_cleanly() {
    let root = corpus::require_ice_slice_dir();
    let options = Options {
        include_dirs: vec![root.clone()],
        ..Options::default()
    };
    let mut results = Vec::new();
    for ice in corpus::ice_distribution_files() {
        let comp = compile_file(&ice, &options);
        let name = ice
            .strip_prefix(&root)
            .unwrap_or(&ice)
            .to_string_lossy()
            .into_owned();
        let lines = corpus::our_lines(&comp, &root);
        let failure = (!lines.is_empty()).then(|| {
            lines
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        });
        results.push((name, failure));
    }
    assert!(
        results.len() >= 60,
        "only {} Ice files found",
        results.len()
    );
    corpus::enforce(
        &results,
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ice-distribution-known-failures.txt"),
    );
}
