//! Running the future of a pending dispatch: polled once at once, on the dispatching thread,
//! and handed to the communicator's runtime as a task only when something wakes it.
//!
//! A burst of pending dispatches (10,000 `work(100)` calls read together) therefore wakes no
//! runtime thread while the requests are read: each future registers its timer or its
//! promise and waits. Spawning each one instead would wake the runtime's workers for every
//! request, and they would compete with the reader (and the client) for the CPUs.

use parking_lot::Mutex;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

/// The future of a pending dispatch (it catches its own panics and sends the reply).
pub(crate) type PendingFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

enum State {
    /// The first poll is running.
    Polling,
    /// Woken while the first poll ran: spawn it as soon as the poll returns.
    Woken,
    /// Waiting for a wake-up.
    Parked(PendingFuture),
    /// Handed to the runtime (which wakes it from now on), or finished.
    Spawned,
}

struct Lazy {
    state: Mutex<State>,
    runtime: tokio::runtime::Handle,
}

impl Wake for Lazy {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let mut state = self.state.lock();
        match std::mem::replace(&mut *state, State::Spawned) {
            State::Polling | State::Woken => *state = State::Woken,
            State::Parked(future) => {
                drop(state);
                // A runtime that is gone drops the future, which answers the request.
                drop(self.runtime.spawn(future));
            }
            State::Spawned => {}
        }
    }
}

/// Runs `future` to completion on `runtime`, polling it once now (with `runtime`'s context
/// entered, so that the timers and sockets it creates belong to `runtime`).
pub(crate) fn start(runtime: &tokio::runtime::Handle, mut future: PendingFuture) {
    let lazy = Arc::new(Lazy {
        state: Mutex::new(State::Polling),
        runtime: runtime.clone(),
    });
    let waker = Waker::from(Arc::clone(&lazy));
    let polled = {
        let _context = runtime.enter();
        let mut cx = Context::from_waker(&waker);
        // The future catches the servant's panics itself; this guards the thread anyway.
        catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(&mut cx)))
    };
    match polled {
        Ok(Poll::Ready(())) | Err(_) => {
            *lazy.state.lock() = State::Spawned;
        }
        Ok(Poll::Pending) => {
            let mut state = lazy.state.lock();
            if matches!(*state, State::Woken) {
                *state = State::Spawned;
                drop(state);
                drop(runtime.spawn(future));
            } else {
                *state = State::Parked(future);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::start;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap()
    }

    fn wait_until(what: &str, cond: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !cond() {
            assert!(Instant::now() < deadline, "timed out waiting until {what}");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Sets its flag when dropped.
    struct DropFlag(Arc<AtomicBool>);
    impl Drop for DropFlag {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_future_ready_at_once_completes_on_the_calling_thread() {
        let rt = runtime();
        let me = std::thread::current().id();
        let ran_here = Arc::new(AtomicBool::new(false));
        let flag = ran_here.clone();
        start(
            rt.handle(),
            Box::pin(
                async move { flag.store(std::thread::current().id() == me, Ordering::SeqCst) },
            ),
        );
        assert!(ran_here.load(Ordering::SeqCst));
    }

    #[test]
    fn a_future_woken_during_its_first_poll_is_run_by_the_runtime() {
        let rt = runtime();
        let done = Arc::new(AtomicBool::new(false));
        let flag = done.clone();
        start(
            rt.handle(),
            Box::pin(async move {
                tokio::task::yield_now().await;
                flag.store(true, Ordering::SeqCst);
            }),
        );
        wait_until("the future completes", || done.load(Ordering::SeqCst));
    }

    #[test]
    fn a_parked_future_runs_when_woken_from_any_thread() {
        let rt = runtime();
        let polls = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = tokio::sync::oneshot::channel::<u32>();
        let done = Arc::new(AtomicUsize::new(0));
        let (p, d) = (polls.clone(), done.clone());
        start(
            rt.handle(),
            Box::pin(async move {
                p.fetch_add(1, Ordering::SeqCst);
                let v = rx.await.unwrap_or(0);
                d.store(v as usize, Ordering::SeqCst);
            }),
        );
        // Parked: nothing runs it until the value comes.
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(done.load(Ordering::SeqCst), 0);
        std::thread::spawn(move || tx.send(7))
            .join()
            .unwrap()
            .unwrap();
        wait_until("the future completes", || done.load(Ordering::SeqCst) == 7);
        // A timer created during the first poll belongs to the runtime too.
        let fired = Arc::new(AtomicBool::new(false));
        let f = fired.clone();
        start(
            rt.handle(),
            Box::pin(async move {
                tokio::time::sleep(Duration::from_millis(10)).await;
                f.store(true, Ordering::SeqCst);
            }),
        );
        wait_until("the timer fires", || fired.load(Ordering::SeqCst));
    }

    #[test]
    fn a_future_nothing_can_wake_is_dropped_not_kept_forever() {
        let rt = runtime();
        let dropped = Arc::new(AtomicBool::new(false));
        let guard = DropFlag(dropped.clone());
        start(
            rt.handle(),
            Box::pin(async move {
                let _guard = guard;
                std::future::pending::<()>().await;
            }),
        );
        // Dropping it is what answers the request (its responder goes with it).
        assert!(dropped.load(Ordering::SeqCst));
    }

    #[test]
    fn a_panic_in_the_first_poll_is_contained() {
        let rt = runtime();
        start(rt.handle(), Box::pin(async { panic!("servant bug") }));
        // The runtime and this thread go on.
        let done = Arc::new(AtomicBool::new(false));
        let flag = done.clone();
        start(
            rt.handle(),
            Box::pin(async move { flag.store(true, Ordering::SeqCst) }),
        );
        assert!(done.load(Ordering::SeqCst));
    }
}
