//! `bench-client`: the Rust counterpart of the anchor harness's C++ load client
//! (`anchors/cpp/client.cpp`): the same workloads, options and JSON lines, so both clients can
//! be run against the same servers.
//!
//! ```text
//! bench-client --workload throughput --inflight 16 --connections 4 --seconds 2
//! bench-client --workload amd --k 1000 --ms 100 --proxy 'bench:tcp -h 127.0.0.1 -p 10000'
//! ```
//!
//! Calls run on a tokio runtime with `--client-threads` workers (default 1, like the C++
//! client's one-thread client pool). Connections: one communicator per connection (the
//! runtime caches one connection per host and port per communicator).

use bench::bench::{ServicePrx, WorkError};
use bench::stats::{percentile, Json};
use clap::Parser;
use ice_runtime::communicator::Communicator;
use ice_runtime::properties::Properties;
use ice_runtime::OperationMode;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Load client for Bench::Service servers. Ice properties (`--Ice.*`) may be given too.
#[derive(Clone, Debug, Parser)]
#[command(name = "bench-client")]
struct Options {
    /// latency, throughput, bytes, amd, wait, check or shutdown.
    #[arg(long, default_value = "latency")]
    workload: String,
    /// The server's proxy.
    #[arg(long, default_value = "bench:tcp -h 127.0.0.1 -p 10000")]
    proxy: String,
    /// Copied into the JSON line.
    #[arg(long, default_value = "")]
    label: String,
    /// Measuring window of latency, throughput and bytes.
    #[arg(long, default_value_t = 2.0)]
    seconds: f64,
    /// Warm-up before the window.
    #[arg(long, default_value_t = 0.5)]
    warmup: f64,
    /// Calls in flight (throughput).
    #[arg(long, default_value_t = 1)]
    inflight: usize,
    /// Connections (throughput, amd).
    #[arg(long, default_value_t = 1)]
    connections: usize,
    /// Payload size (bytes).
    #[arg(long, default_value_t = 1 << 20)]
    size: usize,
    /// Concurrent work() calls (amd).
    #[arg(long, default_value_t = 100)]
    k: usize,
    /// Argument of work() (amd).
    #[arg(long, default_value_t = 100)]
    ms: i32,
    /// Give up after this many seconds (amd, wait).
    #[arg(long, default_value_t = 25.0)]
    timeout: f64,
    /// Worker threads of the client's tokio runtime.
    #[arg(long, default_value_t = 1)]
    client_threads: usize,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn main() -> ExitCode {
    let (props, rest) = match Properties::from_args(std::env::args()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("bench-client: {e}");
            return ExitCode::FAILURE;
        }
    };
    let o = Options::parse_from(rest);
    if o.inflight == 0 || o.connections == 0 || o.k == 0 {
        eprintln!("bench-client: --inflight, --connections and --k must be >= 1");
        return ExitCode::FAILURE;
    }
    if props.get_opt("Ice.MessageSizeMax").is_none() {
        props.set("Ice.MessageSizeMax", "16384");
    }
    if props.get_opt("Ice.RetryIntervals").is_none() {
        props.set("Ice.RetryIntervals", "-1");
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(o.client_threads.max(1))
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bench-client: cannot start tokio: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = rt.block_on(run(o.clone(), props));
    // Pending calls (a timed-out amd run) must not hold the process.
    rt.shutdown_timeout(Duration::from_millis(100));
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            let mut j = header(&o);
            j.str("error", &e.to_string());
            println!("{}", j.text());
            ExitCode::FAILURE
        }
    }
}

/// Runs the workload; `Ok(false)` when it printed a failed result.
async fn run(o: Options, props: Properties) -> Result<bool, BoxError> {
    let communicators = (0..o.connections)
        .map(|_| Communicator::with_properties(props.clone()))
        .collect::<Result<Vec<_>, _>>()?;
    let mut prxs = Vec::with_capacity(communicators.len());
    for c in &communicators {
        prxs.push(ServicePrx::unchecked_cast(&c.string_to_proxy(&o.proxy)?));
    }
    let ok = match o.workload.as_str() {
        "latency" => latency(&o, &prxs[0]).await?,
        "throughput" => throughput(&o, &prxs).await?,
        "bytes" => bytes(&o, &prxs[0]).await?,
        "amd" => amd(&o, &prxs).await?,
        "wait" => wait(&o, &prxs[0]).await?,
        "check" => check(&o, &prxs[0]).await?,
        "shutdown" => {
            prxs[0].shutdown().await?;
            true
        }
        w => return Err(format!("unknown workload `{w}'").into()),
    };
    if ok {
        for c in &communicators {
            c.destroy_async().await;
        }
    }
    Ok(ok)
}

fn header(o: &Options) -> Json {
    let mut j = Json::default();
    j.str("workload", &o.workload);
    if !o.label.is_empty() {
        j.str("label", &o.label);
    }
    j.str("proxy", &o.proxy);
    j
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Sequential `ping()`.
async fn latency(o: &Options, prx: &ServicePrx) -> Result<bool, BoxError> {
    let mut warmup_calls = 1u64;
    prx.ping().await?;
    let warm_end = Instant::now() + Duration::from_secs_f64(o.warmup);
    while Instant::now() < warm_end {
        prx.ping().await?;
        warmup_calls += 1;
    }
    let mut us = Vec::with_capacity(1 << 16);
    let t0 = Instant::now();
    let end = t0 + Duration::from_secs_f64(o.seconds);
    loop {
        let a = Instant::now();
        prx.ping().await?;
        let b = Instant::now();
        us.push(micros(b - a));
        if b >= end {
            break;
        }
    }
    let elapsed = t0.elapsed().as_secs_f64();
    let mean = us.iter().sum::<f64>() / us.len() as f64;
    us.sort_by(f64::total_cmp);
    let mut j = header(o);
    j.int("calls", us.len() as u64)
        .int("total_calls", warmup_calls + us.len() as u64)
        .num("seconds", elapsed)
        .num("median_us", percentile(&us, 50.0))
        .num("p90_us", percentile(&us, 90.0))
        .num("p99_us", percentile(&us, 99.0))
        .num("min_us", us.first().copied().unwrap_or(0.0))
        .num("max_us", us.last().copied().unwrap_or(0.0))
        .num("mean_us", mean)
        .num("calls_per_s", us.len() as f64 / elapsed);
    println!("{}", j.text());
    Ok(true)
}

/// `inflight` closed-loop tasks, each issuing the next `ping()` when its last one returned.
async fn throughput(o: &Options, prxs: &[ServicePrx]) -> Result<bool, BoxError> {
    for p in prxs {
        p.ice_ping().await?; // establish every connection outside the window
    }
    let stop = Arc::new(AtomicBool::new(false));
    let completed = Arc::new(AtomicU64::new(0));
    let first_error: Arc<Mutex<Option<String>>> = Arc::default();
    let tasks: Vec<_> = (0..o.inflight)
        .map(|slot| {
            let prx = prxs[slot % prxs.len()].clone();
            let (stop, completed, first_error) =
                (stop.clone(), completed.clone(), first_error.clone());
            // Owned here: every task is awaited below.
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    match prx.ping().await {
                        Ok(()) => {
                            completed.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => {
                            if let Ok(mut f) = first_error.lock() {
                                f.get_or_insert_with(|| e.to_string());
                            }
                            return 1u64;
                        }
                    }
                }
                0
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs_f64(o.warmup)).await;
    let c0 = completed.load(Ordering::Relaxed);
    let t0 = Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(o.seconds)).await;
    let c1 = completed.load(Ordering::Relaxed);
    let elapsed = t0.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let mut errors = 0;
    for t in tasks {
        errors += t.await.unwrap_or(1);
    }
    let mut j = header(o);
    j.int("inflight", o.inflight as u64)
        .int("connections", o.connections as u64)
        .int("calls", c1 - c0)
        .int("total_calls", completed.load(Ordering::Relaxed))
        .num("seconds", elapsed)
        .num("calls_per_s", (c1 - c0) as f64 / elapsed)
        .int("errors", errors);
    if let Some(e) = first_error.lock().ok().and_then(|f| f.clone()) {
        j.str("error", &e);
    }
    println!("{}", j.text());
    Ok(errors == 0)
}

/// Sequential `echo()` of `size` bytes.
async fn bytes(o: &Options, prx: &ServicePrx) -> Result<bool, BoxError> {
    let data: Vec<u8> = (0..o.size).map(|i| ((i * 31 + 7) & 0xff) as u8).collect();
    if prx.echo(&data).await? != data {
        let mut j = header(o);
        j.str("error", "echo returned different bytes");
        println!("{}", j.text());
        return Ok(false);
    }
    let mut warmup_calls = 1u64;
    let warm_end = Instant::now() + Duration::from_secs_f64(o.warmup);
    while Instant::now() < warm_end {
        prx.echo(&data).await?;
        warmup_calls += 1;
    }
    let mut ms = Vec::new();
    let mut size_ok = true;
    let t0 = Instant::now();
    let end = t0 + Duration::from_secs_f64(o.seconds);
    loop {
        let a = Instant::now();
        let r = prx.echo(&data).await?;
        let b = Instant::now();
        size_ok &= r.len() == data.len();
        ms.push((b - a).as_secs_f64() * 1e3);
        if b >= end {
            break;
        }
    }
    let elapsed = t0.elapsed().as_secs_f64();
    ms.sort_by(f64::total_cmp);
    let mut j = header(o);
    j.int("size", o.size as u64)
        .int("calls", ms.len() as u64)
        .int("total_calls", warmup_calls + ms.len() as u64)
        .num("seconds", elapsed)
        .num("mb_per_s", ms.len() as f64 * o.size as f64 / elapsed / 1e6)
        .num("median_ms", percentile(&ms, 50.0));
    if !size_ok {
        j.str("error", "echo returned a sequence of the wrong size");
    }
    println!("{}", j.text());
    Ok(size_ok)
}

/// `k` `work(ms)` calls fired at once; wall time until the last reply.
async fn amd(o: &Options, prxs: &[ServicePrx]) -> Result<bool, BoxError> {
    for p in prxs {
        p.ice_ping().await?;
    }
    let t0 = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..o.k {
        let call = prxs[i % prxs.len()].work(o.ms);
        set.spawn(async move { (call.await, t0.elapsed()) });
    }
    let issue_ms = t0.elapsed().as_secs_f64() * 1e3;
    let (mut ok, mut wrong, mut errors) = (0u64, 0u64, 0u64);
    let mut first_error = None;
    let mut done = Vec::with_capacity(o.k);
    let deadline = tokio::time::sleep(Duration::from_secs_f64(o.timeout));
    tokio::pin!(deadline);
    let mut timed_out = false;
    loop {
        tokio::select! {
            r = set.join_next() => match r {
                None => break,
                Some(Ok((r, at))) => {
                    done.push(at.as_secs_f64() * 1e3);
                    match r {
                        Ok(v) => { ok += 1; if v != o.ms { wrong += 1; } }
                        Err(e) => {
                            errors += 1;
                            first_error.get_or_insert_with(|| match e {
                                WorkError::Busy(b) => format!("Bench::Busy({})", b.reason),
                                WorkError::Ice(e) => e.to_string(),
                            });
                        }
                    }
                }
                Some(Err(e)) => { errors += 1; first_error.get_or_insert_with(|| e.to_string()); }
            },
            () = &mut deadline => { timed_out = true; break; }
        }
    }
    let waited_ms = t0.elapsed().as_secs_f64() * 1e3;
    set.abort_all();
    done.sort_by(f64::total_cmp);
    let mut j = header(o);
    j.int("k", o.k as u64)
        .int("ms", o.ms as u64)
        .int("connections", o.connections as u64)
        .int("completed", ok)
        .int("errors", errors)
        .boolean("timed_out", timed_out)
        .num(
            "wall_ms",
            if timed_out {
                waited_ms
            } else {
                done.last().copied().unwrap_or(0.0)
            },
        )
        .num("issue_ms", issue_ms)
        .num("first_ms", done.first().copied().unwrap_or(0.0))
        .num("median_ms", percentile(&done, 50.0));
    if wrong > 0 {
        j.int("wrong_results", wrong);
    }
    if let Some(e) = first_error {
        j.str("error", &e);
    }
    println!("{}", j.text());
    Ok(!timed_out && errors == 0 && wrong == 0)
}

/// Retries `ping()` until the server answers.
async fn wait(o: &Options, prx: &ServicePrx) -> Result<bool, BoxError> {
    let t0 = Instant::now();
    let mut last = String::new();
    while t0.elapsed().as_secs_f64() < o.timeout {
        match tokio::time::timeout(Duration::from_secs(2), prx.ping()).await {
            Ok(Ok(())) => {
                let mut j = header(o);
                j.boolean("ok", true)
                    .num("waited_ms", t0.elapsed().as_secs_f64() * 1e3);
                println!("{}", j.text());
                return Ok(true);
            }
            Ok(Err(e)) => last = e.to_string(),
            Err(_) => last = "ping timed out".into(),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut j = header(o);
    j.boolean("ok", false)
        .num("waited_ms", t0.elapsed().as_secs_f64() * 1e3)
        .str("error", &last);
    println!("{}", j.text());
    Ok(false)
}

/// The conformance smoke test: the C++ client's checks, each "ok" or a failure text.
async fn check(o: &Options, prx: &ServicePrx) -> Result<bool, BoxError> {
    let mut results: Vec<(String, String)> = Vec::new();
    let mut add = |name: &str, r: Result<(), String>| {
        results.push((name.into(), r.err().unwrap_or_default()));
    };
    let err = |e: ice_runtime::Error| e.to_string();
    add("ping", prx.ping().await.map_err(err));
    add("ice_ping", prx.ice_ping().await.map_err(err));
    add(
        "ice_isA",
        match prx.ice_is_a("::Bench::Service").await {
            Ok(true) => Ok(()),
            Ok(false) => Err("ice_isA(::Bench::Service) returned false".into()),
            Err(e) => Err(e.to_string()),
        },
    );
    add(
        "ice_id",
        match prx.ice_id().await {
            Ok(id) if id == "::Bench::Service" => Ok(()),
            Ok(id) => Err(format!("ice_id returned {id}")),
            Err(e) => Err(e.to_string()),
        },
    );
    for n in [0usize, 1, 1000, 1 << 20] {
        let data: Vec<u8> = (0..n).map(|i| (i % 251) as u8).collect();
        add(
            &format!("echo_{n}"),
            match prx.echo(&data).await {
                Ok(r) if r == data => Ok(()),
                Ok(r) => Err(format!(
                    "echo of {n} bytes returned {} different bytes",
                    r.len()
                )),
                Err(e) => Err(e.to_string()),
            },
        );
    }
    for ms in [0, 20] {
        add(
            &format!("work_{ms}"),
            match prx.work(ms).await {
                Ok(r) if r == ms => Ok(()),
                Ok(r) => Err(format!("work({ms}) returned {r}")),
                Err(e) => Err(format!("{e:?}")),
            },
        );
    }
    add(
        "work_negative_raises_Busy",
        match prx.work(-1).await {
            Err(WorkError::Busy(_)) => Ok(()),
            other => Err(format!("expected Busy, got {other:?}")),
        },
    );
    add(
        "unknown_operation",
        match prx
            .as_object_prx()
            .invoke("noSuchOperation", OperationMode::Normal, &[], None)
            .await
        {
            Err(ice_runtime::Error::OperationNotExist { .. }) => Ok(()),
            other => Err(format!(
                "expected OperationNotExist, got {:?}",
                other.map(|r| r.status())
            )),
        },
    );
    let ghost = prx.ice_identity(ice_runtime::identity::Identity::new("no-such-object"));
    add(
        "unknown_identity",
        match ghost.ice_ping().await {
            Err(ice_runtime::Error::ObjectNotExist { .. }) => Ok(()),
            other => Err(format!("expected ObjectNotExist, got {other:?}")),
        },
    );
    let oneway = ServicePrx::unchecked_cast(&prx.ice_oneway());
    add(
        "oneway_ping_then_twoway",
        match oneway.ping().await {
            Ok(()) => prx.ping().await.map_err(err),
            Err(e) => Err(e.to_string()),
        },
    );
    let failed = results.iter().filter(|(_, f)| !f.is_empty()).count();
    let mut checks = Json::default();
    for (name, f) in &results {
        checks.str(name, if f.is_empty() { "ok" } else { f });
    }
    let mut j = header(o);
    j.int("passed", (results.len() - failed) as u64)
        .int("failed", failed as u64)
        .raw("checks", &checks.text());
    println!("{}", j.text());
    Ok(failed == 0)
}
