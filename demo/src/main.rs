//! The demo: `Demo::Model::interpolate` served in every dispatch style. Not written yet.

fn main() {
    println!("The demo is not written yet: see issue 6. Run `cargo run -p slicec-rs -- --help`.");
}
