//! `bench-server`: serves `Bench::Service` (identity `bench`) for the anchor harness, in the
//! sync style (`work` sleeps on the dispatch thread) or the AMD style (`work` returns a tokio
//! sleep: no thread is held while a request waits). Exits on SIGTERM, SIGINT or `shutdown()`.
//!
//! ```text
//! bench-server --mode amd --port 10000 --threads 1
//! bench-server --mode sync --endpoint 'tcp -h 127.0.0.1 -p 10000' --Ice.ThreadPool.Server.Size=1
//! ```

use bench::bench::{Busy, ByteSeq, Service, ServiceServant, WorkError};
use clap::{Parser, ValueEnum};
use ice_runtime::communicator::Communicator;
use ice_runtime::dispatch::{Current, Dispatch};
use ice_runtime::identity::Identity;
use ice_runtime::properties::Properties;
use std::process::ExitCode;
use std::time::Duration;

/// How `work` waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Mode {
    /// `std::thread::sleep` on the dispatch thread.
    Sync,
    /// `Dispatch::pending` of a tokio sleep.
    Amd,
}

/// Serves Bench::Service as identity `bench`. Ice properties (`--Ice.*`) may be given too.
#[derive(Debug, Parser)]
#[command(name = "bench-server")]
struct Args {
    /// Dispatch style of `work`.
    #[arg(long, value_enum, default_value = "amd")]
    mode: Mode,
    /// Host to listen on (ignored when --endpoint is given).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (ignored when --endpoint is given).
    #[arg(long, default_value_t = 10000)]
    port: u16,
    /// Where to listen, in Ice endpoint syntax (overrides --host/--port).
    #[arg(long)]
    endpoint: Option<String>,
    /// Dispatch threads (else `Ice.ThreadPool.Server.Size`, default 1).
    #[arg(long)]
    threads: Option<usize>,
    /// Worker threads of the tokio I/O runtime (default: tokio's, one per CPU).
    #[arg(long)]
    io_threads: Option<usize>,
}

/// The longest `work` accepted, as the ZeroC anchor servers.
const MAX_WORK_MS: i32 = 60_000;

/// The benchmark servant.
struct BenchService {
    mode: Mode,
    communicator: Communicator,
}

impl Service for BenchService {
    fn ping(&self, _: &Current) -> Dispatch<(), ice_runtime::Error> {
        Dispatch::ok(())
    }

    fn echo(&self, data: ByteSeq, _: &Current) -> Dispatch<ByteSeq, ice_runtime::Error> {
        Dispatch::ok(data)
    }

    fn work(&self, ms: i32, _: &Current) -> Dispatch<i32, WorkError> {
        if !(0..=MAX_WORK_MS).contains(&ms) {
            return Dispatch::err(WorkError::Busy(Busy {
                reason: format!("work({ms}): ms must be in 0..={MAX_WORK_MS}"),
            }));
        }
        let delay = Duration::from_millis(ms as u64);
        match self.mode {
            Mode::Sync => {
                std::thread::sleep(delay);
                Dispatch::ok(ms)
            }
            Mode::Amd => Dispatch::pending(async move {
                tokio::time::sleep(delay).await;
                Ok(ms)
            }),
        }
    }

    fn shutdown(&self, _: &Current) -> Dispatch<(), ice_runtime::Error> {
        self.communicator.shutdown();
        Dispatch::ok(())
    }
}

fn main() -> ExitCode {
    let (props, rest) = match Properties::from_args(std::env::args()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("bench-server: {e}");
            return ExitCode::FAILURE;
        }
    };
    let args = Args::parse_from(rest);
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = args.io_threads {
        builder.worker_threads(n.max(1));
    }
    let rt = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bench-server: cannot start tokio: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(props, args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-server: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(props: Properties, args: Args) -> Result<(), Box<dyn std::error::Error>> {
    // 1 MiB echo payloads plus headers: raise the 1 MiB default, as the ZeroC servers do.
    if props.get_opt("Ice.MessageSizeMax").is_none() {
        props.set("Ice.MessageSizeMax", "16384");
    }
    // Ice 3.7 (the ZeroC servers compared) has no per-connection dispatch limit; ours
    // defaults to 100, which holds the 101st concurrent work(100) until one completes.
    if props.get_opt("Ice.Connection.MaxDispatches").is_none() {
        props.set("Ice.Connection.MaxDispatches", "0");
    }
    if let Some(n) = args.threads {
        props.set("Ice.ThreadPool.Server.Size", &n.to_string());
        props.set("Bench.ThreadPool.Size", &n.to_string());
        props.set("Bench.ThreadPool.SizeMax", &n.to_string());
    }
    let communicator = Communicator::with_properties(props)?;
    let endpoint = args
        .endpoint
        .unwrap_or_else(|| format!("tcp -h {} -p {}", args.host, args.port));
    let adapter = communicator
        .create_object_adapter_with_endpoints_async("Bench", &endpoint)
        .await?;
    adapter.add(
        ServiceServant::new(BenchService {
            mode: args.mode,
            communicator: communicator.clone(),
        }),
        Identity::new("bench"),
    )?;
    adapter.activate()?;
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = term.recv() => {}
        r = tokio::signal::ctrl_c() => r?,
        () = communicator.shutdown_complete() => {}
    }
    communicator.destroy_async().await;
    Ok(())
}
