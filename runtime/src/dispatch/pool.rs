//! The dispatch threads of an object adapter: a bounded pool of OS threads fed by a bounded
//! queue, with Ice's `ThreadPool` properties (`Size`, `SizeMax`, `Serialize`).
//!
//! Synchronous servant code runs here, never on the communicator's I/O threads. When the queue
//! is full (or the adapter is holding), [`Pool::poll_ready`] says so and connections stop
//! reading until a thread takes work; memory stays bounded. Pending futures never occupy these
//! threads.
//!
//! **One thread (`Size` = `SizeMax` = 1, Ice's default): the thread does the I/O too.** As in
//! Ice's leader/follower pool, the adapter's one thread runs a single-threaded tokio runtime
//! that owns the adapter's server connections, and a connection's reader dispatches each
//! request right where it decoded it: no queue, no hand-off between threads, no wake-up per
//! request. The semantics are those of a one-thread pool: one dispatch at a time, and while a
//! synchronous servant blocks, the adapter reads nothing (as Ice's thread would).

use crate::incoming::{IncomingRequest, Responder};
use parking_lot::{Condvar, Mutex};
use std::cell::RefCell;
use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Weak};
use std::task::{Context, Poll, Waker};

/// Configuration of a dispatch thread pool (Ice's `<prefix>.Size`, `.SizeMax`, `.Serialize`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadPoolConfig {
    /// Threads started at once (`Size`, default 1).
    pub size: usize,
    /// Most threads ever running (`SizeMax`, default `size`): more are started while every
    /// thread is busy and work waits.
    pub size_max: usize,
    /// Dispatch at most one request per connection at a time (`Serialize`, default false).
    pub serialize: bool,
    /// Requests that may wait for a thread before connections stop reading
    /// (`QueueMax`, our addition; default 10000).
    pub queue_max: usize,
    /// How long a thread beyond `size` may stay idle before it exits (`ThreadIdleTime` in
    /// seconds, default 60; 0 keeps it forever).
    pub thread_idle_time: std::time::Duration,
}

impl Default for ThreadPoolConfig {
    fn default() -> ThreadPoolConfig {
        ThreadPoolConfig {
            size: 1,
            size_max: 1,
            serialize: false,
            queue_max: 10_000,
            thread_idle_time: std::time::Duration::from_secs(60),
        }
    }
}

impl ThreadPoolConfig {
    /// Reads `<prefix>.Size`, `.SizeMax`, `.Serialize` and `.QueueMax` through `get`, falling
    /// back to `defaults` for unset ones; bad numbers give a clear error.
    pub fn from_properties(
        prefix: &str,
        defaults: &ThreadPoolConfig,
        get: impl Fn(&str) -> Option<String>,
    ) -> crate::Result<ThreadPoolConfig> {
        let num = |key: &str, default: usize| -> crate::Result<usize> {
            let name = format!("{prefix}.{key}");
            match get(&name) {
                None => Ok(default),
                Some(v) if v.trim().is_empty() => Ok(default),
                Some(v) => v
                    .trim()
                    .parse::<usize>()
                    .map_err(|_| crate::Error::InvalidProperty {
                        name,
                        reason: format!("`{v}' is not a non-negative integer"),
                    }),
            }
        };
        let size = num("Size", defaults.size)?.max(1);
        let size_max = num("SizeMax", defaults.size_max.max(size))?.max(size);
        let serialize = num("Serialize", defaults.serialize as usize)? > 0;
        let queue_max = num("QueueMax", defaults.queue_max)?.max(1);
        let idle = num(
            "ThreadIdleTime",
            defaults.thread_idle_time.as_secs() as usize,
        )?;
        Ok(ThreadPoolConfig {
            size,
            size_max,
            serialize,
            queue_max,
            thread_idle_time: std::time::Duration::from_secs(idle as u64),
        })
    }
}

/// One request waiting for a dispatch thread.
pub(crate) struct Job {
    pub(crate) request: IncomingRequest,
    pub(crate) responder: Responder,
    pub(crate) token: crate::adapter::DispatchToken,
}

/// Runs a job on a dispatch thread (the object adapter's dispatch routine).
pub(crate) type Runner = Weak<crate::adapter::AdapterShared>;

pub(crate) struct Pool {
    shared: Arc<PoolShared>,
}

struct PoolShared {
    name: String,
    config: ThreadPoolConfig,
    state: Mutex<PoolState>,
    work: Condvar,
    /// With one thread: the runtime that thread drives (set by [`Pool::start`]).
    inline: std::sync::OnceLock<tokio::runtime::Handle>,
    /// Tells the one thread of an inline pool to stop.
    stop: tokio::sync::Notify,
    /// Tells the one thread of an inline pool that the queue has work (or holding ended).
    queued: tokio::sync::Notify,
}

#[derive(Default)]
struct PoolState {
    queue: VecDeque<Job>,
    threads: usize,
    idle: usize,
    /// Threads running a job now.
    busy: usize,
    held: bool,
    shutdown: bool,
    /// Connections with a request on a thread now (with `Serialize`).
    serial_busy: HashSet<Arc<str>>,
    /// Connections waiting for room in the queue.
    wakers: Vec<Waker>,
    handles: Vec<std::thread::JoinHandle<()>>,
}

thread_local! {
    /// The pool whose thread this is (for deadlock detection).
    static THIS_POOL: RefCell<Option<Weak<PoolShared>>> = const { RefCell::new(None) };
    /// The adapter whose dispatch thread this is.
    static THIS_ADAPTER: RefCell<Option<Runner>> = const { RefCell::new(None) };
    /// Whether more jobs were queued when this dispatch thread took its current one.
    static MORE_QUEUED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Whether this thread is running a dispatch of an inline pool now.
    static INLINE_DISPATCH: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether the calling thread is running a request of a one-thread adapter on the adapter's
/// own runtime: servant code there may block (as on any dispatch thread), although the thread
/// is a tokio runtime thread.
pub(crate) fn inline_dispatching() -> bool {
    INLINE_DISPATCH.with(std::cell::Cell::get)
}

/// Whether the calling thread is a dispatch thread with more jobs waiting behind the one it
/// runs: its replies had better be queued (and written together) than written one by one.
pub(crate) fn more_work_queued() -> bool {
    MORE_QUEUED.with(std::cell::Cell::get)
}

impl Pool {
    /// A pool named after its adapter; threads start with [`Pool::start`].
    pub(crate) fn new(name: &str, config: ThreadPoolConfig) -> Pool {
        Pool {
            shared: Arc::new(PoolShared {
                name: name.to_owned(),
                config,
                state: Mutex::new(PoolState {
                    held: true,
                    ..PoolState::default()
                }),
                work: Condvar::new(),
                inline: std::sync::OnceLock::new(),
                stop: tokio::sync::Notify::new(),
                queued: tokio::sync::Notify::new(),
            }),
        }
    }

    /// Whether the pool's one thread does the I/O and dispatches inline (see the module doc).
    fn wants_inline(&self) -> bool {
        self.shared.config.size == 1 && self.shared.config.size_max == 1
    }

    /// The runtime on which this adapter's server connections run, when its one thread does
    /// the I/O.
    pub(crate) fn io_handle(&self) -> Option<&tokio::runtime::Handle> {
        self.shared.inline.get()
    }

    /// Whether the calling thread is this pool's own thread.
    fn is_own_thread(&self) -> bool {
        THIS_POOL.with(|p| {
            p.borrow()
                .as_ref()
                .is_some_and(|w| std::ptr::eq(w.as_ptr(), Arc::as_ptr(&self.shared)))
        })
    }

    /// Whether a request handed over on the calling thread runs there and then: the thread is
    /// the pool's one thread, which reads the adapter's connections. Requests from anywhere
    /// else are queued ([`Pool::push`]) for that thread.
    pub(crate) fn dispatches_inline(&self) -> bool {
        self.shared.inline.get().is_some() && self.is_own_thread()
    }

    /// Threads running now (busy or idle).
    pub(crate) fn thread_count(&self) -> usize {
        if self.shared.inline.get().is_some() {
            return usize::from(!self.shared.state.lock().shutdown);
        }
        self.shared.state.lock().threads
    }

    /// Most threads the pool may run.
    pub(crate) fn size_max(&self) -> usize {
        self.shared.config.size_max
    }

    /// Starts the initial threads.
    pub(crate) fn start(&self, runner: &Runner) -> crate::Result<()> {
        if self.wants_inline() {
            return self.start_inline(runner);
        }
        let mut st = self.shared.state.lock();
        while st.threads < self.shared.config.size {
            spawn_thread(&self.shared, &mut st, runner.clone())?;
        }
        Ok(())
    }

    /// Starts the one thread of an inline pool, with its runtime.
    fn start_inline(&self, runner: &Runner) -> crate::Result<()> {
        // Sockets and timers; signals are the application's business.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(|e| crate::Error::Other(format!("cannot start a dispatch thread: {e}")))?;
        let _ = self.shared.inline.set(rt.handle().clone());
        let pool = Arc::clone(&self.shared);
        let runner = runner.clone();
        let handle = std::thread::Builder::new()
            .name(format!("{}-dispatch-0", self.shared.name))
            .spawn(move || inline_main(pool, runner, rt))
            .map_err(|e| crate::Error::Other(format!("cannot start a dispatch thread: {e}")))?;
        let mut st = self.shared.state.lock();
        st.threads = 1;
        st.handles.push(handle);
        Ok(())
    }

    /// Queues a job (never blocks). Starts another thread when all are busy and `SizeMax`
    /// allows.
    pub(crate) fn push(&self, job: Job, runner: &Runner) {
        let mut st = self.shared.state.lock();
        st.queue.push_back(job);
        if self.shared.inline.get().is_some() {
            drop(st);
            self.shared.queued.notify_one();
            return;
        }
        if st.idle > 0 {
            self.shared.work.notify_one();
        } else if st.threads < self.shared.config.size_max && !st.held && !st.shutdown {
            if let Err(e) = spawn_thread(&self.shared, &mut st, runner.clone()) {
                tracing::warn!(pool = %self.shared.name, "cannot start a dispatch thread: {e}");
            }
        }
    }

    /// Ready when the queue has room and the pool is not holding; otherwise registers the
    /// waker, to be woken when a thread takes work.
    pub(crate) fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut st = self.shared.state.lock();
        if st.shutdown || (!st.held && st.queue.len() < self.shared.config.queue_max) {
            return Poll::Ready(());
        }
        if !st.wakers.iter().any(|w| w.will_wake(cx.waker())) {
            st.wakers.push(cx.waker().clone());
        }
        Poll::Pending
    }

    /// Stops (true) or resumes (false) taking work from the queue.
    pub(crate) fn set_held(&self, held: bool) {
        let wakers = {
            let mut st = self.shared.state.lock();
            st.held = held;
            if held {
                return;
            }
            self.shared.work.notify_all();
            self.shared.queued.notify_one();
            std::mem::take(&mut st.wakers)
        };
        wakers.into_iter().for_each(Waker::wake);
    }

    /// Stops the threads once the queue is empty and joins them (unless called from one of
    /// them, or from an I/O runtime thread). Queued jobs are still dispatched first.
    pub(crate) fn shutdown(&self) {
        let (handles, wakers) = {
            let mut st = self.shared.state.lock();
            st.shutdown = true;
            st.held = false;
            self.shared.work.notify_all();
            self.shared.stop.notify_one();
            (
                std::mem::take(&mut st.handles),
                std::mem::take(&mut st.wakers),
            )
        };
        wakers.into_iter().for_each(Waker::wake);
        if tokio::runtime::Handle::try_current().is_ok() {
            // Never block an I/O thread: the threads finish the queue and exit by themselves.
            return;
        }
        let me = std::thread::current().id();
        for h in handles {
            if h.thread().id() != me {
                let _ = h.join();
            }
        }
    }

    /// Whether the calling thread is one of this pool's threads and every thread of the pool
    /// is busy with no room to grow: a blocking call that needs this pool would deadlock.
    pub(crate) fn calling_thread_would_deadlock(&self) -> bool {
        if !self.is_own_thread() {
            return false;
        }
        if self.shared.inline.get().is_some() {
            // The one thread is this one; it is busy when it runs a dispatch.
            return inline_dispatching();
        }
        let st = self.shared.state.lock();
        st.busy >= self.shared.config.size_max
    }
}

/// Whether the calling thread is a dispatch thread of an object adapter. Servant code may
/// block there (a synchronous servant calling another server) and may create tokio timers
/// and tasks: a dispatch thread is in a runtime's context (the adapter's own runtime for a
/// one-thread adapter, else the communicator's, unless that one is single-threaded).
pub fn is_dispatch_thread() -> bool {
    THIS_POOL.with(|p| p.borrow().is_some())
}

/// The adapter whose dispatch thread the caller is.
pub(crate) fn current_adapter() -> Option<Arc<crate::adapter::AdapterShared>> {
    THIS_ADAPTER.with(|a| a.borrow().as_ref().and_then(Weak::upgrade))
}

/// Whether the calling thread is a dispatch thread, and the name of its pool.
pub(crate) fn current_pool_name() -> Option<String> {
    THIS_POOL.with(|p| {
        p.borrow()
            .as_ref()
            .and_then(Weak::upgrade)
            .map(|s| s.name.clone())
    })
}

fn spawn_thread(shared: &Arc<PoolShared>, st: &mut PoolState, runner: Runner) -> crate::Result<()> {
    let n = st.threads;
    let pool = Arc::clone(shared);
    let handle = std::thread::Builder::new()
        .name(format!("{}-dispatch-{n}", shared.name))
        .spawn(move || thread_main(pool, runner))
        .map_err(|e| crate::Error::Other(format!("cannot start a dispatch thread: {e}")))?;
    st.threads += 1;
    st.handles.retain(|h| !h.is_finished());
    st.handles.push(handle);
    Ok(())
}

/// How long the one thread of an inline pool, told to stop, still runs the connections it owns
/// so that they finish closing.
const INLINE_STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Runs a job on the calling thread, marked as an inline dispatch for its duration: the pool's
/// one thread (see [`Pool::dispatches_inline`]), where servant code may block as on any
/// dispatch thread.
pub(crate) fn run_inline(job: Job, runner: &Runner) {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            INLINE_DISPATCH.with(|d| d.set(self.0));
        }
    }
    let _reset = Reset(INLINE_DISPATCH.with(|d| d.replace(true)));
    match runner.upgrade() {
        Some(adapter) => adapter.run_job(job),
        // The adapter is gone: dropping the job answers the request.
        None => drop(job),
    }
}

/// Runs the jobs queued for an inline pool (requests handed over from other threads), oldest
/// first, unless the pool holds; yields to the connections now and then.
async fn drain_queue(pool: &Arc<PoolShared>, runner: &Runner) {
    let mut ran = 0u32;
    loop {
        let (job, wakers) = {
            let mut st = pool.state.lock();
            if st.held {
                return;
            }
            // One thread runs one job at a time: `Serialize` holds by construction.
            let Some(job) = st.queue.pop_front() else {
                return;
            };
            let wakers = if st.queue.len() < pool.config.queue_max {
                std::mem::take(&mut st.wakers)
            } else {
                Vec::new()
            };
            (job, wakers)
        };
        wakers.into_iter().for_each(Waker::wake);
        run_inline(job, runner);
        ran += 1;
        if ran % 32 == 0 {
            tokio::task::yield_now().await;
        }
    }
}

fn inline_main(pool: Arc<PoolShared>, runner: Runner, rt: tokio::runtime::Runtime) {
    THIS_POOL.with(|p| *p.borrow_mut() = Some(Arc::downgrade(&pool)));
    THIS_ADAPTER.with(|a| *a.borrow_mut() = Some(runner.clone()));
    let handle = rt.handle().clone();
    rt.block_on(async {
        loop {
            drain_queue(&pool, &runner).await;
            if pool.state.lock().shutdown {
                break;
            }
            tokio::select! {
                () = pool.queued.notified() => {}
                () = pool.stop.notified() => {}
            }
        }
        // Deactivation closes the connections gracefully; let them finish.
        let deadline = tokio::time::Instant::now() + INLINE_STOP_GRACE;
        while handle.metrics().num_alive_tasks() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    });
    pool.state.lock().threads = 0;
    // Whatever still runs on the runtime (a connection that would not close) is dropped.
    drop(rt);
}

fn thread_main(pool: Arc<PoolShared>, runner: Runner) {
    THIS_POOL.with(|p| *p.borrow_mut() = Some(Arc::downgrade(&pool)));
    THIS_ADAPTER.with(|a| *a.borrow_mut() = Some(runner.clone()));
    // Servant code may create timers and tasks here, as on a one-thread adapter's own runtime
    // thread: enter the runtime on which pending results run (unless it is single-threaded,
    // in whose context blocking would be refused).
    let handle = runner.upgrade().map(|a| a.runtime_handle().clone());
    let _context = handle
        .as_ref()
        .filter(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread)
        .map(tokio::runtime::Handle::enter);
    loop {
        let (job, wakers) = {
            let mut st = pool.state.lock();
            loop {
                if !st.held {
                    if let Some(job) = take_job(&pool.config, &mut st) {
                        st.busy += 1;
                        MORE_QUEUED.with(|m| m.set(!st.queue.is_empty()));
                        let wakers = if st.queue.len() < pool.config.queue_max {
                            std::mem::take(&mut st.wakers)
                        } else {
                            Vec::new()
                        };
                        break (job, wakers);
                    }
                }
                if st.shutdown && (st.queue.is_empty() || st.held) {
                    st.threads -= 1;
                    return;
                }
                st.idle += 1;
                let extra = st.threads > pool.config.size;
                let idle_time = pool.config.thread_idle_time;
                let timed_out = if extra && !idle_time.is_zero() {
                    pool.work.wait_for(&mut st, idle_time).timed_out()
                } else {
                    pool.work.wait(&mut st);
                    false
                };
                st.idle -= 1;
                if timed_out && st.threads > pool.config.size && st.queue.is_empty() {
                    // A thread started for a burst, idle since: give it back.
                    st.threads -= 1;
                    return;
                }
            }
        };
        wakers.into_iter().for_each(Waker::wake);
        let key = pool
            .config
            .serialize
            .then(|| job.request.connection_description.clone());
        match runner.upgrade() {
            Some(adapter) => adapter.run_job(job),
            // The adapter is gone: dropping the job answers the request.
            None => drop(job),
        }
        let mut st = pool.state.lock();
        st.busy -= 1;
        if let Some(key) = key {
            st.serial_busy.remove(&key);
            pool.work.notify_all();
        }
    }
}

/// The next job a thread may take: the oldest, or with `Serialize` the oldest whose
/// connection has nothing on a thread now.
fn take_job(config: &ThreadPoolConfig, st: &mut PoolState) -> Option<Job> {
    if !config.serialize {
        return st.queue.pop_front();
    }
    let i = st
        .queue
        .iter()
        .position(|j| !st.serial_busy.contains(&j.request.connection_description))?;
    let job = st.queue.remove(i)?;
    st.serial_busy
        .insert(job.request.connection_description.clone());
    Some(job)
}
