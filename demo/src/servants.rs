//! `Demo::Model` implemented in each dispatch style. All of them answer the same thing for the
//! same input (they all end in [`crate::interpolate::interpolate`]); they differ only in which
//! thread does the work and how long a dispatch thread is held:
//!
//! | style | what the servant returns | dispatch thread held for |
//! | --- | --- | --- |
//! | [`SyncModel`] | `Dispatch::Ready` after computing (and sleeping `delay`) | the whole call |
//! | [`QueueModel`] | a promise; a worker thread computes and completes it | pushing the job |
//! | [`ChainModel`] | `Dispatch::pending(internal.interpolate(..))` | marshaling the call |
//! | [`AsyncModel`] | an `async` block: two calls to the internal server | marshaling the first call |
//! | [`LeafModel`] | the internal server: a tokio sleep, then the result | nothing |

use crate::generated::demo::{Grid, InterpolateError, Model, ModelPrx};
use crate::interpolate::interpolate;
use ice_runtime::dispatch::{Current, Dispatch, Promise};
use ice_runtime::Error;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Computes the answer now, as a `Result` of the operation's error type.
fn compute(data: &Grid, factor: f32) -> Result<Grid, InterpolateError> {
    interpolate(data, factor).map_err(InterpolateError::RangeError)
}

/// Synchronous: computes on the dispatch thread; a `delay` blocks that thread, so with one
/// dispatch thread requests are answered one after the other.
#[derive(Debug)]
pub struct SyncModel {
    /// Simulated slow work, slept on the dispatch thread.
    pub delay: Duration,
}

impl Model for SyncModel {
    fn interpolate(
        &self,
        data: Grid,
        factor: f32,
        _: &Current,
    ) -> Dispatch<Grid, InterpolateError> {
        if !self.delay.is_zero() {
            std::thread::sleep(self.delay);
        }
        compute(&data, factor).into()
    }
}

/// One queued request: the promise that answers it and its arguments (the seed's `Job`).
struct Job {
    promise: Promise<Grid, InterpolateError>,
    data: Grid,
    factor: f32,
}

/// Jobs that may wait for a worker before the dispatch thread blocks on pushing one (which
/// stops the adapter from reading more requests: back-pressure, not unbounded memory).
const QUEUE_CAPACITY: usize = 10_000;

/// The seed's job queue: the servant pushes a job with its [`Promise`] and returns at
/// once; `workers` threads take jobs, sleep `delay` (simulated slow work), compute, and
/// complete the promise (`set_result`, or `set_exception` with the `RangeError`).
///
/// The worker threads end when the servant is dropped (the queue closes).
pub struct QueueModel {
    jobs: SyncSender<Job>,
}

impl std::fmt::Debug for QueueModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueueModel").finish_non_exhaustive()
    }
}

impl QueueModel {
    /// Starts `workers` (at least one) worker threads.
    pub fn new(workers: usize, delay: Duration) -> std::io::Result<QueueModel> {
        let (tx, rx) = sync_channel::<Job>(QUEUE_CAPACITY);
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..workers.max(1) {
            let rx = Arc::clone(&rx);
            std::thread::Builder::new()
                .name(format!("demo-worker-{i}"))
                .spawn(move || work(&rx, delay))?;
        }
        Ok(QueueModel { jobs: tx })
    }
}

/// A worker's loop: until the queue closes, take a job and complete its promise.
fn work(jobs: &Mutex<Receiver<Job>>, delay: Duration) {
    loop {
        // Hold the lock only to take one job, so the other workers can take the next.
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(Job {
            promise,
            data,
            factor,
        }) = job
        else {
            return;
        };
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
        match interpolate(&data, factor) {
            Ok(grid) => promise.set_result(grid),
            Err(e) => promise.set_exception(InterpolateError::RangeError(e)),
        }
    }
}

impl Model for QueueModel {
    fn interpolate(
        &self,
        data: Grid,
        factor: f32,
        _: &Current,
    ) -> Dispatch<Grid, InterpolateError> {
        let (promise, dispatch) = Dispatch::promise();
        if let Err(std::sync::mpsc::SendError(job)) = self.jobs.send(Job {
            promise,
            data,
            factor,
        }) {
            job.promise
                .set_exception(InterpolateError::Ice(Error::Other(
                    "the job queue is closed".into(),
                )));
        }
        dispatch
    }
}

/// Chaining: forwards the call to an internal `Model` server and returns that call's future.
/// Its error type is the servant's, so no conversion is needed.
#[derive(Debug)]
pub struct ChainModel {
    /// The internal server.
    pub internal: ModelPrx,
}

impl Model for ChainModel {
    fn interpolate(
        &self,
        data: Grid,
        factor: f32,
        _: &Current,
    ) -> Dispatch<Grid, InterpolateError> {
        Dispatch::pending(self.internal.interpolate(&data, factor))
    }
}

/// An `async` block in two stages: interpolates through the internal server, then
/// interpolates that result again with `factor * 2`. A `RangeError` of either stage is
/// the answer.
#[derive(Debug)]
pub struct AsyncModel {
    /// The internal server.
    pub internal: ModelPrx,
}

impl Model for AsyncModel {
    fn interpolate(
        &self,
        data: Grid,
        factor: f32,
        _: &Current,
    ) -> Dispatch<Grid, InterpolateError> {
        let internal = self.internal.clone();
        Dispatch::pending(async move {
            let once = internal.interpolate(&data, factor).await?;
            internal.interpolate(&once, factor * 2.0).await
        })
    }
}

/// The internal server of [`ChainModel`] and [`AsyncModel`]: answers at once when `delay` is
/// zero, else after a tokio sleep that holds no thread.
#[derive(Debug)]
pub struct LeafModel {
    /// Simulated slow work (a timer, not a thread).
    pub delay: Duration,
}

impl Model for LeafModel {
    fn interpolate(
        &self,
        data: Grid,
        factor: f32,
        _: &Current,
    ) -> Dispatch<Grid, InterpolateError> {
        if self.delay.is_zero() {
            return compute(&data, factor).into();
        }
        let delay = self.delay;
        Dispatch::pending(async move {
            tokio::time::sleep(delay).await;
            compute(&data, factor)
        })
    }
}
