//! `demo-server`: serves `Demo::Model` (identity `model`) in one dispatch style until
//! interrupted. Prints `ready <proxy>` once it accepts requests.
//!
//! ```text
//! demo-server --style async --endpoints "tcp -h 127.0.0.1 -p 10000" --delay 100 \
//!     --Ice.ThreadPool.Server.Size=1
//! ```

use clap::Parser;
use demo::server::{DemoServer, ServerOptions, Style};
use std::process::ExitCode;
use std::time::Duration;

/// Serves Demo::Model in one dispatch style. Ice properties (`--Ice.*`, `--Model.*`,
/// `--Ice.Config=file`) may be given too.
#[derive(Debug, Parser)]
#[command(name = "demo-server", version)]
struct Args {
    /// Dispatch style: sync, queue, chain or async.
    #[arg(long, default_value = "sync")]
    style: Style,
    /// Where to listen (Ice endpoint syntax).
    #[arg(long, default_value = "tcp -h 127.0.0.1 -p 10000")]
    endpoints: String,
    /// Dispatch threads (else `Ice.ThreadPool.Server.Size`, default 1).
    #[arg(long)]
    threads: Option<usize>,
    /// The internal Model server of chain and async (default: one started in this process).
    #[arg(long)]
    internal: Option<String>,
    /// Simulated slow work per call, in milliseconds.
    #[arg(long, default_value_t = 0)]
    delay: u64,
    /// Worker threads of the queue style.
    #[arg(long, default_value_t = 100)]
    workers: usize,
}

#[tokio::main]
async fn main() -> ExitCode {
    let (communicator, rest) = match demo::communicator_from_args(std::env::args()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("demo-server: {e}");
            return ExitCode::FAILURE;
        }
    };
    let args = Args::parse_from(rest);
    let options = ServerOptions {
        style: args.style,
        endpoints: args.endpoints,
        threads: args.threads,
        internal: args.internal,
        delay: Duration::from_millis(args.delay),
        workers: args.workers,
    };
    let server = match DemoServer::start(&communicator, &options).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("demo-server: {e}");
            communicator.destroy_async().await;
            return ExitCode::FAILURE;
        }
    };
    println!("ready {}", server.proxy);
    tokio::select! {
        r = tokio::signal::ctrl_c() => {
            if let Err(e) = r {
                eprintln!("demo-server: cannot wait for Ctrl-C: {e}");
            }
        }
        () = communicator.shutdown_complete() => {}
    }
    communicator.destroy_async().await;
    ExitCode::SUCCESS
}
