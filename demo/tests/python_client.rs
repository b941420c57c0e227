//! ZeroC Ice for Python (`python/client.py`, loading the same `Demo.ice`) calls `demo-server`
//! in each style and finds no difference: queue and chain answer what sync answers, async
//! what sync answers for two stages, and all raise the same `RangeError` for bad input.
//! Fails loudly when `/usr/bin/python3` or its Ice module is missing.

mod support;

use ice_tests::run_python;
use std::path::Path;
use std::time::Duration;
use support::ServerProcess;

fn client_py() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("python/client.py")
}

fn run_client(servers: &[(&str, &ServerProcess)]) {
    let args: Vec<String> = servers
        .iter()
        .map(|(style, s)| format!("{style}={}", s.proxy))
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, output) = run_python(&client_py(), &args, Duration::from_secs(120));
    let text = output.text();
    eprintln!("{text}");
    assert_eq!(code, 0, "the Python client found differences:\n{text}");
    assert!(text.contains("ALL OK"), "{text}");
    assert!(!text.contains("FAIL"), "{text}");
    // The type ids of 4 styles, then 17 inputs checked against queue, chain and async.
    let oks = text.lines().filter(|l| l.starts_with("OK ")).count();
    assert_eq!(oks, 4 + 17 * 3, "{text}");
}

#[test]
fn python_client_cannot_tell_the_styles_apart() {
    let sync = ServerProcess::start(&["--style", "sync"]);
    let queue = ServerProcess::start(&["--style", "queue", "--workers", "4"]);
    let chain = ServerProcess::start(&["--style", "chain"]);
    let asynch = ServerProcess::start(&["--style", "async", "--Ice.ThreadPool.Server.Size=2"]);
    run_client(&[
        ("sync", &sync),
        ("queue", &queue),
        ("chain", &chain),
        ("async", &asynch),
    ]);
}

#[test]
fn chain_and_async_through_an_external_internal_server() {
    // The internal server is another process (a sync demo-server), given with --internal.
    let internal = ServerProcess::start(&["--style", "sync", "--threads", "2"]);
    let sync = ServerProcess::start(&["--style", "sync"]);
    let queue = ServerProcess::start(&["--style", "queue", "--delay", "5"]);
    let chain = ServerProcess::start(&["--style", "chain", "--internal", &internal.proxy]);
    let asynch = ServerProcess::start(&["--style", "async", "--internal", &internal.proxy]);
    run_client(&[
        ("sync", &sync),
        ("queue", &queue),
        ("chain", &chain),
        ("async", &asynch),
    ]);
}
