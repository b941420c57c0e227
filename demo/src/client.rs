//! The load generator: `concurrency` tasks share `requests` calls of `interpolate` on one
//! proxy (one connection), each call timed; [`Report`] turns the times into percentiles and
//! throughput.

use crate::generated::demo::{Grid, InterpolateError, ModelPrx};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The grid the clients send: `rows` x `cols` samples of a smooth surface.
pub fn sample_grid(rows: usize, cols: usize) -> Grid {
    (0..rows)
        .map(|i| {
            (0..cols)
                .map(|j| ((i as f32) * 0.5).sin() + ((j as f32) * 0.25).cos())
                .collect()
        })
        .collect()
}

/// What a load run measured.
#[derive(Clone, Debug)]
pub struct Report {
    /// From the first call sent to the last reply received.
    pub wall: Duration,
    /// The latency of every successful call, sorted.
    pub latencies: Vec<Duration>,
    /// Failed calls (with the first failure's text).
    pub errors: usize,
    /// The first failure, if any.
    pub first_error: Option<String>,
}

impl Report {
    /// The `p`-th percentile latency (`p` in 0..=100, nearest rank), zero when nothing
    /// succeeded.
    pub fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((p / 100.0) * self.latencies.len() as f64).ceil() as usize;
        let i = rank.clamp(1, self.latencies.len()) - 1;
        self.latencies.get(i).copied().unwrap_or_default()
    }

    /// Successful calls per second of wall time.
    pub fn throughput(&self) -> f64 {
        let secs = self.wall.as_secs_f64();
        if secs > 0.0 {
            self.latencies.len() as f64 / secs
        } else {
            0.0
        }
    }
}

/// Calls `proxy.interpolate(grid, factor)` `requests` times with at most `concurrency` calls
/// outstanding; `progress` is called after each call. Call `ice_ping` on the proxy first if
/// connection setup should not count.
pub async fn run_load(
    proxy: &ModelPrx,
    grid: &Grid,
    factor: f32,
    concurrency: usize,
    requests: usize,
    progress: impl Fn() + Send + Sync + 'static,
) -> Report {
    let next = Arc::new(AtomicUsize::new(0));
    let grid = Arc::new(grid.clone());
    let progress = Arc::new(progress);
    let start = Instant::now();
    let tasks: Vec<_> = (0..concurrency.clamp(1, requests.max(1)))
        .map(|_| {
            let (proxy, next, grid, progress) = (
                proxy.clone(),
                Arc::clone(&next),
                Arc::clone(&grid),
                Arc::clone(&progress),
            );
            // Owned here: every task is awaited below.
            tokio::spawn(async move {
                let mut times = Vec::new();
                let mut errors = Vec::new();
                while next.fetch_add(1, Ordering::Relaxed) < requests {
                    let t = Instant::now();
                    match proxy.interpolate(&grid, factor).await {
                        Ok(_) => times.push(t.elapsed()),
                        Err(e) => errors.push(describe(&e)),
                    }
                    progress();
                }
                (times, errors)
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(requests);
    let mut errors = 0;
    let mut first_error = None;
    for task in tasks {
        match task.await {
            Ok((times, errs)) => {
                latencies.extend(times);
                errors += errs.len();
                if first_error.is_none() {
                    first_error = errs.into_iter().next();
                }
            }
            Err(e) => {
                errors += 1;
                first_error.get_or_insert_with(|| format!("client task failed: {e}"));
            }
        }
    }
    let wall = start.elapsed();
    latencies.sort_unstable();
    Report {
        wall,
        latencies,
        errors,
        first_error,
    }
}

/// A one-line description of a failed call.
pub fn describe(e: &InterpolateError) -> String {
    match e {
        InterpolateError::RangeError(r) => format!("RangeError: {}", r.reason),
        InterpolateError::Ice(e) => format!("Ice error: {e}"),
    }
}

/// A duration in milliseconds with one decimal, e.g. `100.4 ms`.
pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}
