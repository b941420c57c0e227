//! A small load test of the server hot path (not run by `cargo test`).
//!
//! `cargo run --release -p ice-runtime --example load` starts itself as a server process
//! (one dispatch thread, a servant answering `ice_ping`), then drives it from this process
//! with 64 `ice_ping` calls in flight over 4 connections for 3 s and prints the calls per
//! second and the server's CPU time per call (utime + stime from `/proc/<pid>/stat`).
//! `load IN_FLIGHT CONNECTIONS` changes the load (e.g. `load 1 1` for latency-bound calls);
//! `load server` runs only the server and prints its proxy on stdout.

use ice_runtime::communicator::Communicator;
use ice_runtime::dispatch::{Dispatched, Request, Servant};
use ice_runtime::identity::Identity;
use ice_runtime::properties::Properties;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SECONDS: u64 = 3;

/// Answers only the built-in operations.
struct Pinger;

impl Servant for Pinger {
    fn ice_ids(&self) -> &'static [&'static str] {
        &["::Ice::Object"]
    }
    fn ice_id(&self) -> &'static str {
        "::Ice::Object"
    }
    fn dispatch(&self, request: Request) -> Dispatched {
        request.dispatch_builtin(self)
    }
}

fn server() -> Result<(), Box<dyn std::error::Error>> {
    let props = Properties::new();
    props.set("A.Endpoints", "tcp -h 127.0.0.1 -p 0");
    props.set("A.ThreadPool.Size", "1");
    props.set("A.ThreadPool.SizeMax", "1");
    let communicator = Communicator::with_properties(props)?;
    let adapter = communicator.create_object_adapter("A")?;
    adapter.add(Pinger, Identity::new("ping"))?;
    adapter.activate()?;
    let proxy = adapter.create_proxy(&Identity::new("ping"))?;
    println!("{}", communicator.proxy_to_string(Some(&proxy)));
    // Serve until the parent closes our stdin.
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    communicator.destroy();
    Ok(())
}

/// utime + stime of `pid`, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let get = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // Fields 14 and 15 of the stat line; index 0 here is field 3.
    get(11) + get(12)
}

fn client(in_flight: usize, connections: usize) -> Result<(), Box<dyn std::error::Error>> {
    let exe = std::env::current_exe()?;
    let mut child = Command::new(exe)
        .arg("server")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let proxy_text = line.trim().to_owned();
    let pid = child.id();
    let calls = Arc::new(AtomicU64::new(0));
    let counting = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    let mut communicators = Vec::new();
    for c in 0..connections {
        let communicator = Communicator::with_properties(Properties::new())?;
        let proxy = communicator.string_to_proxy(&proxy_text)?;
        communicator.block_on(proxy.ice_ping())??;
        // Spread `in_flight` calls over the connections, the first ones taking the remainder.
        let here = in_flight / connections + usize::from(c < in_flight % connections);
        for _ in 0..here {
            let proxy = proxy.clone();
            let (calls, counting, stop) = (calls.clone(), counting.clone(), stop.clone());
            threads.push(communicator.runtime_handle().spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    if proxy.ice_ping().await.is_err() {
                        break;
                    }
                    if counting.load(Ordering::Relaxed) {
                        calls.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }));
        }
        communicators.push(communicator);
    }
    std::thread::sleep(Duration::from_millis(500));
    let ticks0 = cpu_ticks(pid);
    let t0 = Instant::now();
    counting.store(true, Ordering::Relaxed);
    std::thread::sleep(Duration::from_secs(SECONDS));
    counting.store(false, Ordering::Relaxed);
    let elapsed = t0.elapsed().as_secs_f64();
    let ticks = cpu_ticks(pid).saturating_sub(ticks0);
    stop.store(true, Ordering::Relaxed);
    let n = calls.load(Ordering::Relaxed).max(1);
    // Clock ticks are 1/100 s on Linux.
    let cpu_us = ticks as f64 * 10_000.0;
    println!(
        "calls/s {:.0}  server CPU {:.2} us/call  ({} calls, {:.2} s, {} ticks)",
        n as f64 / elapsed,
        cpu_us / n as f64,
        n,
        elapsed,
        ticks
    );
    for c in &communicators {
        c.destroy();
    }
    drop(child.stdin.take());
    let _ = child.wait();
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::args().nth(1).as_deref() == Some("server") {
        server()
    } else {
        let arg = |i: usize, default: usize| {
            std::env::args()
                .nth(i)
                .and_then(|a| a.parse::<usize>().ok())
                .filter(|&n| n > 0)
                .unwrap_or(default)
        };
        client(arg(1, 64), arg(2, 4))
    }
}
