//! Generates the Rust mapping of `slice/Bench.ice` (a copy of the anchor harness's contract)
//! into `OUT_DIR`; `src/lib.rs` mounts it with `ice_runtime::include_slice!("Bench")`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    slicec_rs::Builder::new()
        .include_dir("slice")
        .compile(&["slice/Bench.ice"])?;
    Ok(())
}
