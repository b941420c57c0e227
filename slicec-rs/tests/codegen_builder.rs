//! The build.rs API: files written into the output directory, includes found, Slice errors
//! turned into a failed build.

use slicec_rs::builder::BuildError;
use slicec_rs::Builder;
use std::path::PathBuf;

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("slicec-rs-builder-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.join("slice")).expect("temp dir");
    d
}

#[test]
fn compiles_with_includes_into_the_output_directory() {
    let dir = temp_dir("ok");
    std::fs::write(
        dir.join("slice/Types.ice"),
        "#pragma once\nmodule Demo { sequence<float> Row; }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("slice/Demo.ice"),
        "#include <Types.ice>\nmodule Demo { interface Model { Row get(); } }\n",
    )
    .unwrap();
    let written = Builder::new()
        .include_dir(dir.join("slice"))
        .out_dir(&dir)
        .emit_cargo_lines(false)
        .compile(&[dir.join("slice/Demo.ice")])
        .expect("compiles");
    assert_eq!(written, vec![dir.join("Demo.rs")]);
    let text = std::fs::read_to_string(dir.join("Demo.rs")).unwrap();
    // The included file's type is reached through its own mount point.
    assert!(text.contains("super::super::types::demo::Row"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn slice_errors_fail_the_build() {
    let dir = temp_dir("bad");
    std::fs::write(
        dir.join("slice/Bad.ice"),
        "module Bad { struct S { Nope n; } }\n",
    )
    .unwrap();
    let r = Builder::new()
        .out_dir(&dir)
        .emit_cargo_lines(false)
        .compile(&[dir.join("slice/Bad.ice")]);
    assert!(matches!(r, Err(BuildError::Slice(_))), "{r:?}");
    assert!(!dir.join("Bad.rs").exists());
    let _ = std::fs::remove_dir_all(&dir);
}
