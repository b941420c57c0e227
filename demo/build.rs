//! Generates the Rust mapping of `slice/Demo.ice` into `OUT_DIR`, as any user crate does;
//! `src/generated.rs` mounts it with `ice_runtime::include_slice!("Demo")`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    slicec_rs::Builder::new()
        .include_dir("slice")
        .compile(&["slice/Demo.ice"])?;
    Ok(())
}
