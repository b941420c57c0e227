//! The effect the demo shows, measured: with ONE dispatch thread and 30 concurrent calls of
//! 100 ms each, the sync style answers one call after the other (at least 3 s in all), while
//! queue, chain and async answer them together (about 100 ms, 100 ms and 200 ms; bounds are
//! generous for a loaded machine). Every answer is checked against the local computation.

mod support;

use demo::client::{run_load, sample_grid};
use demo::demo::ModelPrx;
use demo::interpolate::interpolate;
use demo::server::{DemoServer, ServerOptions, Style};
use ice_runtime::communicator::Communicator;
use ice_runtime::properties::Properties;
use std::process::Command;
use std::time::Duration;
use support::ServerProcess;

const CALLS: usize = 30;
const DELAY: Duration = Duration::from_millis(100);

async fn measure(style: Style) -> Duration {
    let server = Communicator::with_properties(Properties::new()).unwrap();
    let client = Communicator::with_properties(Properties::new()).unwrap();
    let options = ServerOptions {
        style,
        threads: Some(1),
        delay: DELAY,
        workers: CALLS,
        ..ServerOptions::default()
    };
    let s = DemoServer::start(&server, &options).await.unwrap();
    let proxy = ModelPrx::unchecked_cast(&client.string_to_proxy(&s.proxy).unwrap());
    proxy.ice_ping().await.unwrap();
    let grid = sample_grid(4, 5);
    let report = run_load(&proxy, &grid, 2.0, CALLS, CALLS, || {}).await;
    assert_eq!(report.errors, 0, "{style}: {:?}", report.first_error);
    assert_eq!(report.latencies.len(), CALLS);

    let got = proxy.interpolate(&grid, 2.0).await.unwrap();
    let once = interpolate(&grid, 2.0).unwrap();
    let want = if style == Style::Async {
        interpolate(&once, 4.0).unwrap()
    } else {
        once
    };
    assert_eq!(got, want, "{style} answered something else");

    client.destroy_async().await;
    server.destroy_async().await;
    report.wall
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_dispatch_thread_serves_many_pending_calls() {
    let sync = measure(Style::Sync).await;
    let queue = measure(Style::Queue).await;
    let chain = measure(Style::Chain).await;
    let asynch = measure(Style::Async).await;
    eprintln!("sync {sync:?}, queue {queue:?}, chain {chain:?}, async {asynch:?}");
    assert!(sync >= DELAY * CALLS as u32, "sync took {sync:?}");
    for (style, wall, stages) in [
        ("queue", queue, 1),
        ("chain", chain, 1),
        ("async", asynch, 2),
    ] {
        assert!(
            wall >= DELAY * stages,
            "{style} took {wall:?}: too fast to have slept"
        );
        assert!(
            wall < DELAY * CALLS as u32 / 2,
            "{style} took {wall:?}: the calls were not served concurrently"
        );
    }
}

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
