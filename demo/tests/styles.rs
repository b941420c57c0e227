//! Every style raises the same `RangeError` for the same bad input (in-process servers), and
//! the `demo-client` binary prints percentiles and throughput, and reports failures.

mod support;

use demo::demo::ModelPrx;
use demo::interpolate::interpolate;
use demo::server::{DemoServer, ServerOptions, Style};
use ice_runtime::communicator::Communicator;
use ice_runtime::properties::Properties;
use std::process::Command;
use support::ServerProcess;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn range_errors_are_the_same_in_every_style() {
    let server = Communicator::with_properties(Properties::new()).unwrap();
    let client = Communicator::with_properties(Properties::new()).unwrap();
    for style in Style::ALL {
        let options = ServerOptions {
            style,
            workers: 2,
            ..ServerOptions::default()
        };
        let s = DemoServer::start(&server, &options).await.unwrap();
        let proxy = ModelPrx::unchecked_cast(&client.string_to_proxy(&s.proxy).unwrap());
        for (grid, factor) in [
            (vec![], 1.0),
            (vec![vec![1.0, 2.0], vec![3.0]], 1.0),
            (vec![vec![1.0]], 0.0),
            (vec![vec![1.0]], f32::NAN),
        ] {
            let want = interpolate(&grid, factor).unwrap_err();
            match proxy.interpolate(&grid, factor).await {
                Err(demo::demo::InterpolateError::RangeError(e)) => {
                    assert_eq!(e, want, "{style}")
                }
                other => panic!("{style}: expected {want:?}, got {other:?}"),
            }
        }
        s.adapter.destroy();
        if let Some(a) = &s.internal {
            a.destroy();
        }
    }
    client.destroy_async().await;
    server.destroy_async().await;
}

#[test]
fn demo_client_prints_percentiles_and_throughput() {
    let server = ServerProcess::start(&["--style", "async", "--delay", "20"]);
    let out = Command::new(env!("CARGO_BIN_EXE_demo-client"))
        .args([
            "--proxy",
            &server.proxy,
            "--concurrency",
            "10",
            "--requests",
            "50",
        ])
        .args(["--size", "4"])
        .output()
        .expect("cannot run demo-client");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("50 calls, 10 in flight"), "{text}");
    for needle in ["requests/s", "p50 ", "p90 ", "p99 "] {
        assert!(text.contains(needle), "{needle} missing in: {text}");
    }
}

#[test]
fn demo_client_reports_failures() {
    // A factor outside the domain: every call raises RangeError; the client says so.
    let server = ServerProcess::start(&["--style", "queue", "--workers", "2"]);
    let out = Command::new(env!("CARGO_BIN_EXE_demo-client"))
        .args(["--proxy", &server.proxy, "--requests", "5", "--factor=-1"])
        .output()
        .expect("cannot run demo-client");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains(
            "5 calls failed; first: RangeError: factor must be finite and greater than 0, got -1"
        ),
        "{err}"
    );
}
