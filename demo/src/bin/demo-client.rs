//! `demo-client`: calls `interpolate` on a demo server with many calls in flight and prints
//! latency percentiles and throughput.
//!
//! ```text
//! demo-client --proxy "model:tcp -h 127.0.0.1 -p 10000" --concurrency 100 --requests 1000
//! ```

use clap::Parser;
use demo::client::{ms, run_load, sample_grid};
use demo::demo::ModelPrx;
use std::process::ExitCode;

/// Load generator for a Demo::Model server. Ice properties (`--Ice.*`) may be given too.
#[derive(Debug, Parser)]
#[command(name = "demo-client", version)]
struct Args {
    /// The server's proxy.
    #[arg(long, default_value = "model:tcp -h 127.0.0.1 -p 10000")]
    proxy: String,
    /// Calls in flight at once.
    #[arg(long, default_value_t = 100)]
    concurrency: usize,
    /// Calls in total.
    #[arg(long, default_value_t = 1000)]
    requests: usize,
    /// Rows and columns of the grid sent.
    #[arg(long, default_value_t = 16)]
    size: usize,
    /// The interpolation factor.
    #[arg(long, default_value_t = 1.5)]
    factor: f32,
}

#[tokio::main]
async fn main() -> ExitCode {
    let (communicator, rest) = match demo::communicator_from_args(std::env::args()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("demo-client: {e}");
            return ExitCode::FAILURE;
        }
    };
    let args = Args::parse_from(rest);
    let code = run(&communicator, &args).await;
    communicator.destroy_async().await;
    code
}

async fn run(communicator: &ice_runtime::communicator::Communicator, args: &Args) -> ExitCode {
    let proxy = match communicator.string_to_proxy(&args.proxy) {
        Ok(p) => ModelPrx::unchecked_cast(&p),
        Err(e) => {
            eprintln!("demo-client: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = proxy.ice_ping().await {
        eprintln!("demo-client: cannot reach {}: {e}", args.proxy);
        return ExitCode::FAILURE;
    }
    let grid = sample_grid(args.size.max(1), args.size.max(1));
    let report = run_load(
        &proxy,
        &grid,
        args.factor,
        args.concurrency,
        args.requests,
        || {},
    )
    .await;
    println!(
        "{} calls, {} in flight: wall {}, {:.1} requests/s",
        report.latencies.len(),
        args.concurrency,
        ms(report.wall),
        report.throughput()
    );
    println!(
        "latency p50 {}, p90 {}, p99 {}, max {}",
        ms(report.percentile(50.0)),
        ms(report.percentile(90.0)),
        ms(report.percentile(99.0)),
        ms(report.percentile(100.0))
    );
    if report.errors > 0 {
        eprintln!(
            "{} calls failed; first: {}",
            report.errors,
            report.first_error.as_deref().unwrap_or("?")
        );
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
