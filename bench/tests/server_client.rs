//! bench-client against bench-server, as processes: the conformance checks pass, and AMD mode
//! really holds no thread (200 concurrent work(100) on one dispatch thread finish in far less
//! than the 20 s a sync server needs), while sync mode really serializes.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};

/// A server process, killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `bench-server --mode MODE --threads 1` on a free port and waits until it answers.
fn start(mode: &str) -> (Server, String) {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let child = Command::new(env!("CARGO_BIN_EXE_bench-server"))
        .args([
            "--mode",
            mode,
            "--threads",
            "1",
            "--port",
            &port.to_string(),
        ])
        .stdout(Stdio::null())
        .spawn()
        .expect("bench-server starts");
    let server = Server(child);
    let proxy = format!("bench:tcp -h 127.0.0.1 -p {port}");
    let waited = client(&proxy, &["--workload", "wait", "--timeout", "20"]);
    assert_eq!(waited["ok"], true, "{waited}");
    (server, proxy)
}

/// Runs bench-client and returns its JSON line.
fn client(proxy: &str, args: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_bench-client"))
        .arg("--proxy")
        .arg(proxy)
        .args(args)
        .output()
        .expect("bench-client runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().last().unwrap_or_default();
    serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[test]
fn check_passes_in_both_modes() {
    for mode in ["sync", "amd"] {
        let (_server, proxy) = start(mode);
        let r = client(&proxy, &["--workload", "check"]);
        assert_eq!(r["failed"], 0, "{mode}: {r}");
        assert_eq!(r["passed"], 14, "{mode}: {r}");
    }
}

#[test]
fn amd_mode_holds_no_thread_and_sync_mode_does() {
    let (_server, proxy) = start("amd");
    let r = client(&proxy, &["--workload", "amd", "--k", "200", "--ms", "100"]);
    assert_eq!(r["completed"], 200, "{r}");
    let wall = r["wall_ms"].as_f64().unwrap_or(f64::MAX);
    assert!(
        (100.0..5_000.0).contains(&wall),
        "amd: 200 x work(100) took {wall} ms"
    );

    let (_server, proxy) = start("sync");
    let r = client(&proxy, &["--workload", "amd", "--k", "4", "--ms", "100"]);
    assert_eq!(r["completed"], 4, "{r}");
    let wall = r["wall_ms"].as_f64().unwrap_or(0.0);
    assert!(
        wall >= 390.0,
        "sync: 4 x work(100) on one thread took only {wall} ms"
    );
}

#[test]
fn throughput_bytes_and_latency_report_their_metrics() {
    let (_server, proxy) = start("amd");
    let short = ["--seconds", "0.3", "--warmup", "0.1"];
    let r = client(
        &proxy,
        &[
            &[
                "--workload",
                "throughput",
                "--inflight",
                "8",
                "--connections",
                "2",
            ],
            &short[..],
        ]
        .concat(),
    );
    assert_eq!(r["errors"], 0, "{r}");
    assert!(r["calls_per_s"].as_f64().unwrap_or(0.0) > 0.0, "{r}");
    let r = client(
        &proxy,
        &[&["--workload", "bytes", "--size", "100000"], &short[..]].concat(),
    );
    assert!(r.get("error").is_none(), "{r}");
    assert!(r["mb_per_s"].as_f64().unwrap_or(0.0) > 0.0, "{r}");
    let r = client(&proxy, &[&["--workload", "latency"], &short[..]].concat());
    assert!(r["median_us"].as_f64().unwrap_or(0.0) > 0.0, "{r}");
}
