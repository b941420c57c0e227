//! `demo` with no arguments (what `cargo run --release -p demo` runs): every style answers
//! correctly, the table has a row per style, and the sync style takes about 100 x 100 ms
//! while the others take a fraction of it.

use std::process::Command;

/// The wall time in ms of `style`'s row.
fn wall_ms(table: &str, style: &str) -> f64 {
    let row = table
        .lines()
        .find(|l| l.starts_with(&format!("{style} ")))
        .unwrap_or_else(|| panic!("no {style} row in:\n{table}"));
    assert!(
        row.contains(" same "),
        "{style} answered differently:\n{row}"
    );
    row.split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no wall time in `{row}'"))
}

#[test]
fn the_demo_table_shows_the_amd_effect() {
    let out = Command::new(env!("CARGO_BIN_EXE_demo"))
        .output()
        .expect("cannot run demo");
    let table = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{table}{err}");
    // Not a terminal: one progress line per style on stderr.
    for style in ["sync", "queue", "chain", "async"] {
        assert!(err.contains(&format!("] {style}")), "{err}");
    }
    let sync = wall_ms(&table, "sync");
    assert!(sync >= 10_000.0, "sync took {sync} ms:\n{table}");
    for style in ["queue", "chain", "async"] {
        let wall = wall_ms(&table, style);
        assert!(
            wall >= 100.0 && wall < sync / 3.0,
            "{style} took {wall} ms:\n{table}"
        );
    }
}
