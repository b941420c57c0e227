//! The `slicec-rs` command line. STUB: being written.

fn main() {
    eprintln!("slicec-rs: not implemented yet");
    std::process::exit(1);
}
