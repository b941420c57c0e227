//! `cargo run --release -p demo`: the effect of Asynchronous Method Dispatch in one process.
//!
//! For each style (sync, queue, chain, async) it starts a `Demo::Model` server with ONE
//! dispatch thread on 127.0.0.1 (OS-assigned ports), sends it 100 concurrent `interpolate`
//! calls that each take 100 ms of simulated work, checks the answer, and prints a table.
//! Expected: sync about 100 x 100 ms = 10 s (the one thread sleeps for each call in turn);
//! queue and chain about 100 ms (the thread only hands the call on); async about 200 ms (two
//! chained stages of 100 ms).

use demo::client::{describe, ms, run_load, sample_grid, Report};
use demo::demo::ModelPrx;
use demo::interpolate::interpolate;
use demo::progress::Progress;
use demo::server::{DemoServer, ServerOptions, Style};
use ice_runtime::communicator::Communicator;
use ice_runtime::properties::Properties;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

const CONCURRENCY: usize = 100;
const REQUESTS: usize = 100;
const DELAY: Duration = Duration::from_millis(100);
const FACTOR: f32 = 1.5;

/// One row of the table.
struct Row {
    style: Style,
    report: Report,
    answer: String,
}

#[tokio::main]
async fn main() -> ExitCode {
    let client = match Communicator::with_properties(Properties::new()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("demo: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "Demo::Model::interpolate served in four dispatch styles, each with ONE dispatch thread;\n\
         {CONCURRENCY} concurrent calls, {REQUESTS} in total, each with {} ms of simulated work.\n",
        DELAY.as_millis()
    );
    let progress = Arc::new(Progress::new(REQUESTS * Style::ALL.len()));
    let mut rows = Vec::new();
    let mut failed = false;
    for style in Style::ALL {
        progress.set_label(style.name());
        match run_style(&client, style, &progress).await {
            Ok(row) => {
                failed |= row.report.errors > 0 || row.answer != "same";
                rows.push(row);
            }
            Err(e) => {
                progress.finish();
                eprintln!("demo: the {style} server failed: {e}");
                failed = true;
            }
        }
    }
    progress.finish();
    client.destroy_async().await;
    print_table(&rows);
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Starts a server in `style`, warms up its connection, runs the load, stops the server.
async fn run_style(
    client: &Communicator,
    style: Style,
    progress: &Arc<Progress>,
) -> Result<Row, Box<dyn std::error::Error>> {
    let server_communicator = Communicator::with_properties(Properties::new())?;
    let options = ServerOptions {
        style,
        endpoints: "tcp -h 127.0.0.1 -p 0".into(),
        threads: Some(1),
        internal: None,
        delay: DELAY,
        workers: CONCURRENCY,
    };
    let result = async {
        let server = DemoServer::start(&server_communicator, &options).await?;
        let proxy = ModelPrx::unchecked_cast(&client.string_to_proxy(&server.proxy)?);
        // Connect first, so that connection set-up is not measured.
        proxy.ice_ping().await?;
        let grid = sample_grid(16, 16);
        let p = Arc::clone(progress);
        let report = run_load(&proxy, &grid, FACTOR, CONCURRENCY, REQUESTS, move || {
            p.inc()
        })
        .await;
        let answer = check_answer(&proxy, style, &grid).await;
        Ok::<_, Box<dyn std::error::Error>>(Row {
            style,
            report,
            answer,
        })
    }
    .await;
    server_communicator.destroy_async().await;
    result
}

/// Calls once more and compares the answer with the computation done here: `same`, or what
/// differs.
async fn check_answer(proxy: &ModelPrx, style: Style, grid: &[Vec<f32>]) -> String {
    let expected = match style {
        Style::Async => interpolate(grid, FACTOR).and_then(|g| interpolate(&g, FACTOR * 2.0)),
        _ => interpolate(grid, FACTOR),
    };
    match (proxy.interpolate(grid, FACTOR).await, expected) {
        (Ok(got), Ok(want)) if got == want => "same".into(),
        (Ok(_), Ok(_)) => "DIFFERENT".into(),
        (Err(e), _) => describe(&e),
        (Ok(_), Err(e)) => format!("expected RangeError {}", e.reason),
    }
}

fn print_table(rows: &[Row]) {
    println!(
        "{:<7} {:>10} {:>12} {:>10} {:>10}  {:<8} expected wall",
        "style", "wall", "requests/s", "p50", "p99", "answer"
    );
    for r in rows {
        let expected = match r.style {
            Style::Sync => "~10 s (100 x 100 ms on one thread)",
            Style::Queue => "~100 ms (workers complete promises)",
            Style::Chain => "~100 ms (the internal call's future)",
            Style::Async => "~200 ms (two 100 ms stages)",
        };
        println!(
            "{:<7} {:>10} {:>12.1} {:>10} {:>10}  {:<8} {}",
            r.style.name(),
            ms(r.report.wall),
            r.report.throughput(),
            ms(r.report.percentile(50.0)),
            ms(r.report.percentile(99.0)),
            r.answer,
            expected
        );
        if r.report.errors > 0 {
            println!(
                "        {} calls failed; first: {}",
                r.report.errors,
                r.report.first_error.as_deref().unwrap_or("?")
            );
        }
    }
}
