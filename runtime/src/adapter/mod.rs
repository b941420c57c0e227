//! Object adapters: the map from identity (and facet) to servant, default servants, servant
//! locators, the adapter's life cycle, and its dispatch threads.
//!
//! An adapter is the [`RequestHandler`] of the connections accepted on its endpoints. With
//! several dispatch threads, [`RequestHandler::handle_request`] only queues the request for a
//! dispatch thread (see [`crate::dispatch`]), and [`RequestHandler::poll_ready`] tells the
//! connection to stop reading while the queue is full or the adapter is holding. With one
//! dispatch thread (Ice's default), that thread runs the adapter's connections itself and
//! dispatches each request where it was read (see `dispatch/pool.rs`).

mod communicator;
mod endpoints;
mod servants;

pub use crate::dispatch::pool::ThreadPoolConfig;
pub use endpoints::{parse_endpoints, TcpEndpoint};

use crate::dispatch::pool::{Job, Pool, Runner};
use crate::dispatch::{Current, IntoServant, Request, Servant, ServantLocator};
use crate::error::{Error, Result};
use crate::identity::{Identity, ReplyStatus};
use crate::incoming::{IncomingRequest, RequestHandler, Responder};
use parking_lot::{Condvar, Mutex, RwLock};
use servants::{Found, ServantMaps};
use std::collections::HashMap;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

/// How an adapter is set up: its endpoints and its dispatch threads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AdapterConfig {
    /// Endpoints to listen on (Ice syntax, e.g. `tcp -h 127.0.0.1 -p 0`), empty for none.
    pub endpoints: String,
    /// `<name>.PublishedEndpoints`: the endpoints put in the adapter's proxies instead of
    /// those it listens on (e.g. a host name or the address of a proxy in front of it);
    /// empty for the listening ones.
    pub published_endpoints: String,
    /// The dispatch thread pool.
    pub thread_pool: ThreadPoolConfig,
}

impl AdapterConfig {
    /// Reads `<name>.Endpoints` and the thread pool properties: `<name>.ThreadPool.*` when
    /// `<name>.ThreadPool.Size` or `.SizeMax` is set, else `Ice.ThreadPool.Server.*`.
    pub fn from_properties(
        name: &str,
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<AdapterConfig> {
        let server = ThreadPoolConfig::from_properties(
            "Ice.ThreadPool.Server",
            &ThreadPoolConfig::default(),
            &get,
        )?;
        let own = format!("{name}.ThreadPool");
        let thread_pool =
            if get(&format!("{own}.Size")).is_some() || get(&format!("{own}.SizeMax")).is_some() {
                ThreadPoolConfig::from_properties(&own, &ThreadPoolConfig::default(), &get)?
            } else {
                server
            };
        Ok(AdapterConfig {
            endpoints: get(&format!("{name}.Endpoints")).unwrap_or_default(),
            published_endpoints: get(&format!("{name}.PublishedEndpoints")).unwrap_or_default(),
            thread_pool,
        })
    }
}

/// An object adapter: cheap to clone (all clones are the same adapter).
#[derive(Clone)]
pub struct ObjectAdapter {
    shared: Arc<AdapterShared>,
}

impl fmt::Debug for ObjectAdapter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectAdapter")
            .field("name", &self.shared.name)
            .finish()
    }
}

/// The adapter's life cycle, as Ice's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Created or held: requests wait (connections stop reading).
    Holding,
    /// Dispatching.
    Active,
    /// No new requests; pending ones finish.
    Deactivated,
    /// Deactivated, drained and emptied.
    Destroyed,
}

pub(crate) struct AdapterShared {
    name: String,
    servants: RwLock<ServantMaps>,
    pool: Pool,
    runtime: tokio::runtime::Handle,
    state: Mutex<State>,
    /// False from deactivation on; read without a lock on the request path.
    accepting: AtomicBool,
    in_flight: Arc<InFlight>,
    /// Resources (listeners, ...) closed on deactivation, in order.
    on_deactivate: Mutex<Vec<Box<dyn FnOnce() + Send>>>,
    config: AdapterConfig,
    /// The communicator that created the adapter, if any.
    communicator: Option<crate::communicator::Communicator>,
    /// The listening sockets and the endpoints they were asked for.
    listeners: Mutex<Vec<(TcpEndpoint, crate::connection::Listener)>>,
    /// Listener closes started by deactivation.
    closing: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    /// `<name>.PublishedEndpoints`, parsed, when set.
    published: Option<Vec<TcpEndpoint>>,
}

impl Drop for AdapterShared {
    fn drop(&mut self) {
        // The threads hold only a weak reference: tell them to finish.
        self.pool.shutdown();
    }
}

/// Counts dispatches from the moment a request is accepted until its reply is sent. The
/// count is atomic (no lock on the request path); the mutex only orders the wake-up of
/// threads waiting for zero.
#[derive(Default)]
struct InFlight {
    count: AtomicUsize,
    lock: Mutex<()>,
    zero: Condvar,
    zero_async: tokio::sync::Notify,
}

impl InFlight {
    fn get(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    /// Blocks until the count is zero.
    fn wait_zero(&self) {
        let mut guard = self.lock.lock();
        while self.get() > 0 {
            self.zero.wait(&mut guard);
        }
    }
}

/// Held by each request from acceptance until its dispatch is over.
pub(crate) struct DispatchToken(Arc<InFlight>);

impl DispatchToken {
    fn new(in_flight: &Arc<InFlight>) -> DispatchToken {
        in_flight.count.fetch_add(1, Ordering::SeqCst);
        DispatchToken(Arc::clone(in_flight))
    }
}

impl Drop for DispatchToken {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::SeqCst) == 1 {
            // Taking the lock orders this wake-up after a waiter's check of the count.
            let _guard = self.0.lock.lock();
            self.0.zero.notify_all();
            self.0.zero_async.notify_waiters();
        }
    }
}

impl ObjectAdapter {
    /// A new adapter, holding (call [`ObjectAdapter::activate`]); its pending dispatches run
    /// on `runtime`. Communicators create adapters with
    /// `Communicator::create_object_adapter`; this is for embedding the dispatch side alone.
    pub fn new(
        name: impl Into<String>,
        config: AdapterConfig,
        runtime: tokio::runtime::Handle,
    ) -> Result<ObjectAdapter> {
        ObjectAdapter::create(name.into(), config, runtime, None)
    }

    fn create(
        name: String,
        config: AdapterConfig,
        runtime: tokio::runtime::Handle,
        communicator: Option<crate::communicator::Communicator>,
    ) -> Result<ObjectAdapter> {
        let published = if config.published_endpoints.trim().is_empty() {
            None
        } else {
            let defaults = communicator
                .as_ref()
                .map(|c| c.client_defaults().parse.clone())
                .unwrap_or_default();
            let parsed = parse_endpoints(&config.published_endpoints, &defaults)?;
            Some(
                parsed
                    .iter()
                    .filter_map(|e| match e {
                        crate::encoding::EndpointData::Tcp(t) => Some(TcpEndpoint::published(
                            t,
                            u16::try_from(t.port).unwrap_or(0),
                        )),
                        _ => None,
                    })
                    .collect(),
            )
        };
        let shared = Arc::new(AdapterShared {
            pool: Pool::new(&name, config.thread_pool.clone()),
            name,
            servants: RwLock::new(ServantMaps::default()),
            runtime,
            state: Mutex::new(State::Holding),
            accepting: AtomicBool::new(true),
            in_flight: Arc::new(InFlight::default()),
            on_deactivate: Mutex::new(Vec::new()),
            config,
            communicator,
            listeners: Mutex::new(Vec::new()),
            closing: Mutex::new(Vec::new()),
            published,
        });
        shared.pool.start(&Arc::downgrade(&shared))?;
        Ok(ObjectAdapter { shared })
    }

    /// The adapter's name.
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// The configuration it was created with.
    pub fn config(&self) -> &AdapterConfig {
        &self.shared.config
    }

    /// The communicator that created the adapter (none for [`ObjectAdapter::new`]).
    pub fn communicator(&self) -> Option<&crate::communicator::Communicator> {
        self.shared.communicator.as_ref()
    }

    /// The endpoints the adapter publishes in its proxies: `<name>.PublishedEndpoints` when
    /// set, else those it listens on, with the ports the system chose. As in Ice, an endpoint
    /// listening on every interface (host empty, `*` or `0.0.0.0`) is published once for each
    /// of the machine's IPv4 addresses other than loopback ones (`127.0.0.1` when it has no
    /// other).
    pub fn endpoints(&self) -> Vec<TcpEndpoint> {
        if let Some(published) = &self.shared.published {
            return published.clone();
        }
        let mut out = Vec::new();
        for (e, l) in self.shared.listeners.lock().iter() {
            let port = l.local_addr().port();
            if endpoints::is_wildcard(&e.host) {
                for host in endpoints::local_hosts() {
                    out.push(TcpEndpoint {
                        host,
                        port,
                        ..e.clone()
                    });
                }
            } else {
                out.push(TcpEndpoint { port, ..e.clone() });
            }
        }
        out
    }

    /// Whether the adapter listens on `host:port` (a wildcard endpoint listens on every
    /// local address).
    fn listens_on(&self, host: &str, port: u16) -> bool {
        let loopback = |h: &str| matches!(h, "127.0.0.1" | "localhost" | "::1");
        let local = |h: &str| {
            loopback(h)
                || endpoints::is_wildcard(h)
                || endpoints::local_hosts().iter().any(|a| a == h)
        };
        self.shared.listeners.lock().iter().any(|(e, l)| {
            l.local_addr().port() == port
                && (e.host == host
                    || (loopback(&e.host) && loopback(host))
                    || (endpoints::is_wildcard(&e.host) && local(host)))
        })
    }

    /// The stringified proxy (Ice syntax) for `identity` on this adapter's endpoints.
    pub fn proxy_string(&self, identity: &Identity) -> String {
        let mut s = String::new();
        crate::encoding::proxy::push_maybe_quoted(
            &mut s,
            &crate::dispatch::DisplayIdentityOwned(identity).to_string(),
        );
        for e in self.endpoints() {
            s.push(':');
            s.push_str(&e.to_string());
        }
        s
    }

    /// A proxy for `identity` on this adapter's endpoints (Ice's `createProxy`); needs an
    /// adapter created by a communicator.
    pub fn create_proxy(&self, identity: &Identity) -> Result<crate::proxy::ObjectPrx> {
        let communicator = self.shared.communicator.as_ref().ok_or_else(|| {
            Error::Other(format!(
                "object adapter `{}' has no communicator to create proxies with",
                self.shared.name
            ))
        })?;
        communicator.string_to_proxy(&self.proxy_string(identity))
    }

    /// The runtime on which pending dispatches run.
    pub fn runtime_handle(&self) -> &tokio::runtime::Handle {
        &self.shared.runtime
    }

    /// This adapter as the [`RequestHandler`] of a connection or listener.
    pub fn request_handler(&self) -> Arc<dyn RequestHandler> {
        Arc::new(self.clone())
    }

    /// Runs `f` when the adapter is deactivated (e.g. to close a listener).
    pub fn on_deactivate(&self, f: impl FnOnce() + Send + 'static) {
        let state = *self.shared.state.lock();
        if matches!(state, State::Deactivated | State::Destroyed) {
            f();
        } else {
            self.shared.on_deactivate.lock().push(Box::new(f));
        }
    }

    // ---- servants ----

    /// Adds a servant for `identity` (default facet).
    pub fn add(&self, servant: impl IntoServant, identity: Identity) -> Result<()> {
        self.add_facet(servant, identity, "")
    }

    /// Adds a servant for `identity` and `facet`.
    pub fn add_facet(
        &self,
        servant: impl IntoServant,
        identity: Identity,
        facet: &str,
    ) -> Result<()> {
        self.check_not_destroyed()?;
        check_identity(&identity)?;
        self.shared
            .servants
            .write()
            .add(servant.into_servant(), identity, facet.to_owned())
    }

    /// Adds a servant under a new identity whose name is a random UUID; returns the identity.
    pub fn add_with_uuid(&self, servant: impl IntoServant) -> Result<Identity> {
        let identity = Identity::new(servants::uuid());
        self.add(servant, identity.clone())?;
        Ok(identity)
    }

    /// Adds a servant for `identity` and `facet` with a random UUID name.
    pub fn add_facet_with_uuid(&self, servant: impl IntoServant, facet: &str) -> Result<Identity> {
        let identity = Identity::new(servants::uuid());
        self.add_facet(servant, identity.clone(), facet)?;
        Ok(identity)
    }

    /// Removes the default-facet servant of `identity` and returns it.
    pub fn remove(&self, identity: &Identity) -> Result<Arc<dyn Servant>> {
        self.remove_facet(identity, "")
    }

    /// Removes the servant of `identity` and `facet` and returns it.
    pub fn remove_facet(&self, identity: &Identity, facet: &str) -> Result<Arc<dyn Servant>> {
        self.check_not_destroyed()?;
        check_identity(identity)?;
        self.shared.servants.write().remove(identity, facet)
    }

    /// Removes every facet of `identity`; returns them by facet name.
    pub fn remove_all_facets(
        &self,
        identity: &Identity,
    ) -> Result<HashMap<String, Arc<dyn Servant>>> {
        self.check_not_destroyed()?;
        check_identity(identity)?;
        self.shared.servants.write().remove_all(identity)
    }

    /// The default-facet servant of `identity`, if any (active servants only).
    pub fn find(&self, identity: &Identity) -> Option<Arc<dyn Servant>> {
        self.find_facet(identity, "")
    }

    /// The servant of `identity` and `facet` (active servant map, then default servants).
    pub fn find_facet(&self, identity: &Identity, facet: &str) -> Option<Arc<dyn Servant>> {
        match self.shared.servants.read().find(identity, facet) {
            Found::Servant(s) => Some(s),
            _ => None,
        }
    }

    /// Every facet of `identity`.
    pub fn find_all_facets(&self, identity: &Identity) -> HashMap<String, Arc<dyn Servant>> {
        self.shared.servants.read().all_facets(identity)
    }

    /// Adds a default servant for `category` (`""`: for every category without one). It
    /// serves every identity of that category that has no servant of its own.
    pub fn add_default_servant(&self, servant: impl IntoServant, category: &str) -> Result<()> {
        self.check_not_destroyed()?;
        self.shared
            .servants
            .write()
            .add_default(servant.into_servant(), category.to_owned())
    }

    /// Removes the default servant of `category` and returns it.
    pub fn remove_default_servant(&self, category: &str) -> Result<Arc<dyn Servant>> {
        self.check_not_destroyed()?;
        self.shared.servants.write().remove_default(category)
    }

    /// The default servant of `category`.
    pub fn find_default_servant(&self, category: &str) -> Option<Arc<dyn Servant>> {
        self.shared.servants.read().default_servant(category)
    }

    /// Adds a servant locator for `category` (`""`: for every category without one).
    pub fn add_servant_locator(
        &self,
        locator: Arc<dyn ServantLocator>,
        category: &str,
    ) -> Result<()> {
        self.check_not_destroyed()?;
        self.shared
            .servants
            .write()
            .add_locator(locator, category.to_owned())
    }

    /// Removes the servant locator of `category` and returns it.
    pub fn remove_servant_locator(&self, category: &str) -> Result<Arc<dyn ServantLocator>> {
        self.check_not_destroyed()?;
        self.shared.servants.write().remove_locator(category)
    }

    /// The servant locator of `category`.
    pub fn find_servant_locator(&self, category: &str) -> Option<Arc<dyn ServantLocator>> {
        self.shared.servants.read().locator(category)
    }

    // ---- life cycle ----

    /// Starts dispatching (requests received while holding are dispatched now).
    pub fn activate(&self) -> Result<()> {
        let mut state = self.shared.state.lock();
        match *state {
            State::Holding => {
                *state = State::Active;
                drop(state);
                self.shared.pool.set_held(false);
                Ok(())
            }
            State::Active => Ok(()),
            State::Deactivated | State::Destroyed => {
                Err(Error::ObjectAdapterDeactivated(self.shared.name.clone()))
            }
        }
    }

    /// Stops dispatching for now: requests wait and connections stop reading until
    /// [`ObjectAdapter::activate`].
    pub fn hold(&self) -> Result<()> {
        let mut state = self.shared.state.lock();
        match *state {
            State::Holding | State::Active => {
                *state = State::Holding;
                drop(state);
                self.shared.pool.set_held(true);
                Ok(())
            }
            State::Deactivated | State::Destroyed => {
                Err(Error::ObjectAdapterDeactivated(self.shared.name.clone()))
            }
        }
    }

    /// Whether the adapter was deactivated (or destroyed).
    pub fn is_deactivated(&self) -> bool {
        matches!(
            *self.shared.state.lock(),
            State::Deactivated | State::Destroyed
        )
    }

    /// Deactivates: closes the endpoints, answers later requests with `ObjectNotExist`, lets
    /// the requests already received finish, and waits for them (including pending futures)
    /// unless called where waiting would deadlock (on one of the adapter's dispatch threads,
    /// or on an I/O runtime thread; use [`ObjectAdapter::deactivated`] there).
    pub fn deactivate(&self) {
        self.begin_deactivate();
        if crate::dispatch::pool::current_pool_name().is_none()
            && tokio::runtime::Handle::try_current().is_err()
        {
            self.wait_for_deactivate();
        }
    }

    fn begin_deactivate(&self) {
        let closers = {
            let mut state = self.shared.state.lock();
            if matches!(*state, State::Deactivated | State::Destroyed) {
                return;
            }
            *state = State::Deactivated;
            self.shared.accepting.store(false, Ordering::SeqCst);
            std::mem::take(&mut *self.shared.on_deactivate.lock())
        };
        // Queued requests are still dispatched.
        self.shared.pool.set_held(false);
        let listeners = std::mem::take(&mut *self.shared.listeners.lock());
        if !listeners.is_empty() {
            let task = self.shared.runtime.spawn(async move {
                // Each connection finishes its dispatches, replies, and closes gracefully.
                for (_, listener) in &listeners {
                    listener.close().await;
                }
            });
            self.shared.closing.lock().push(task);
        }
        for close in closers {
            if catch_unwind(AssertUnwindSafe(close)).is_err() {
                tracing::warn!(adapter = %self.shared.name, "a deactivation hook panicked");
            }
        }
    }

    /// Blocks until the adapter is deactivated and every dispatch is over.
    pub fn wait_for_deactivate(&self) {
        {
            let mut state = self.shared.state.lock();
            while !matches!(*state, State::Deactivated | State::Destroyed) {
                drop(state);
                std::thread::sleep(std::time::Duration::from_millis(10));
                state = self.shared.state.lock();
            }
        }
        self.shared.in_flight.wait_zero();
        let closing = std::mem::take(&mut *self.shared.closing.lock());
        for task in closing {
            let _ = futures::executor::block_on(task);
        }
    }

    /// Waits, without blocking a thread, until every dispatch is over after deactivation
    /// (returns at once if the adapter is not deactivated).
    pub async fn deactivated(&self) {
        if !self.is_deactivated() {
            return;
        }
        loop {
            let notified = self.shared.in_flight.zero_async.notified();
            if self.shared.in_flight.get() == 0 {
                break;
            }
            notified.await;
        }
        let closing = std::mem::take(&mut *self.shared.closing.lock());
        for task in closing {
            let _ = task.await;
        }
    }

    /// Deactivates, waits for pending dispatches (where that cannot deadlock), removes every
    /// servant, tells the servant locators, and stops the dispatch threads.
    pub fn destroy(&self) {
        self.deactivate();
        let locators = {
            let mut state = self.shared.state.lock();
            if *state == State::Destroyed {
                return;
            }
            *state = State::Destroyed;
            std::mem::take(&mut *self.shared.servants.write()).into_locators()
        };
        for (category, locator) in locators {
            let _ = catch_unwind(AssertUnwindSafe(|| locator.deactivate(&category)));
        }
        self.shared.pool.shutdown();
    }

    /// Dispatch threads running now (between `Size` and `SizeMax`).
    pub fn dispatch_thread_count(&self) -> usize {
        self.shared.pool.thread_count()
    }

    /// Requests received and not yet answered (queued, on a thread, or pending).
    pub fn dispatch_count(&self) -> usize {
        self.shared.in_flight.get()
    }

    /// Whether the calling thread is one of this adapter's dispatch threads and every one of
    /// them is busy (with no room to start another): a blocking call that needs this
    /// adapter to dispatch would never return. Blocking invocation forms check it.
    pub fn blocking_call_would_deadlock(&self) -> bool {
        self.shared.pool.calling_thread_would_deadlock()
    }

    fn check_not_destroyed(&self) -> Result<()> {
        if *self.shared.state.lock() == State::Destroyed {
            return Err(Error::ObjectAdapterDeactivated(self.shared.name.clone()));
        }
        Ok(())
    }
}

/// The name of the adapter whose dispatch thread the caller runs on, if any.
pub fn current_dispatch_thread_adapter() -> Option<String> {
    crate::dispatch::pool::current_pool_name()
}

/// For blocking invocation forms, before they block: refuses (with [`Error::WouldBlock`])
/// a call to `host:port` made from a dispatch thread of an adapter that listens there when
/// every dispatch thread of that adapter is busy and the pool cannot grow. The request
/// would wait for a thread that waits for its reply: a certain deadlock (as in Ice with a
/// pool of size 1). Answer such operations with `Dispatch::Pending` instead.
///
/// Not detected: cycles through other servers or other adapters (A calls B which calls A).
pub fn check_blocking_invocation(host: &str, port: u16) -> Result<()> {
    let Some(shared) = crate::dispatch::pool::current_adapter() else {
        return Ok(());
    };
    let adapter = ObjectAdapter { shared };
    if !adapter.blocking_call_would_deadlock() {
        return Ok(());
    }
    if adapter.listens_on(host, port) {
        return Err(Error::WouldBlock(format!(
            "a blocking call from a dispatch thread of object adapter `{}' to its own \
             endpoint {host}:{port} would deadlock: all {} of its dispatch threads are busy \
             (this one included); return Dispatch::pending(...) with the call's future \
             instead, or raise {}.ThreadPool.SizeMax",
            adapter.name(),
            adapter.shared.pool.size_max(),
            adapter.name()
        )));
    }
    Ok(())
}

fn check_identity(identity: &Identity) -> Result<()> {
    if identity.name.is_empty() {
        return Err(Error::Other(format!(
            "illegal identity `{}': the name is empty",
            crate::dispatch::DisplayIdentityOwned(identity)
        )));
    }
    Ok(())
}

impl RequestHandler for ObjectAdapter {
    fn handle_request(&self, request: IncomingRequest, responder: Responder) {
        // Counted before the check: deactivation clears `accepting` and then waits for the
        // count, so a request is either refused here or waited for there.
        let token = DispatchToken::new(&self.shared.in_flight);
        if !self.shared.accepting.load(Ordering::SeqCst) {
            // As Ice: a deactivated adapter's objects no longer exist.
            crate::dispatch::send_not_exist(responder, &request);
            return;
        }
        let runner: Runner = Arc::downgrade(&self.shared);
        let job = Job {
            request,
            responder,
            token,
        };
        if self.shared.pool.dispatches_inline() {
            // This is the adapter's one thread, reading its connections: dispatch right here.
            crate::dispatch::pool::run_inline(job, &runner);
        } else {
            self.shared.pool.push(job, &runner);
        }
    }

    fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<()> {
        self.shared.pool.poll_ready(cx)
    }

    fn io_handle(&self) -> Option<tokio::runtime::Handle> {
        self.shared.pool.io_handle().cloned()
    }

    fn monitor_handle(&self) -> Option<tokio::runtime::Handle> {
        // The connections run on the adapter's one thread; their monitor must not.
        self.shared
            .pool
            .io_handle()
            .map(|_| self.shared.runtime.clone())
    }
}

impl AdapterShared {
    /// The runtime on which pending dispatches run.
    pub(crate) fn runtime_handle(&self) -> &tokio::runtime::Handle {
        &self.runtime
    }

    /// Dispatches one request on the calling dispatch thread: find the servant (active map,
    /// default servants, locators), dispatch, and spawn what remains pending.
    pub(crate) fn run_job(self: Arc<Self>, job: Job) {
        let Job {
            request,
            responder,
            token,
        } = job;
        let IncomingRequest {
            request_id,
            identity,
            facet,
            operation,
            mode,
            context,
            encoding,
            params,
            connection_description,
            connection,
        } = request;
        let current = Current {
            adapter: ObjectAdapter {
                shared: Arc::clone(&self),
            },
            id: identity,
            facet,
            operation,
            mode,
            ctx: context,
            request_id,
            encoding,
            connection: connection_description,
            con: connection,
        };
        let found = self.servants.read().find(&current.id, &current.facet);
        let mut completion = crate::dispatch::Completion {
            current,
            located: None,
            token: Some(token),
        };
        let servant = match found {
            Found::Servant(s) => s,
            Found::Locator(locator, has_identity) => {
                let current = &completion.current;
                let located = catch_unwind(AssertUnwindSafe(|| locator.locate(current)));
                match located {
                    Ok(Ok(Some((servant, cookie)))) => {
                        completion.located = Some(crate::dispatch::Located {
                            locator,
                            servant: Arc::clone(&servant),
                            cookie,
                        });
                        servant
                    }
                    Ok(Ok(None)) => {
                        return Request::new(completion, params, responder)
                            .not_found(not_found_status(has_identity))
                    }
                    Ok(Err(e)) => return Request::new(completion, params, responder).fail(&e),
                    Err(_) => {
                        return Request::new(completion, params, responder).fail(
                            &Error::UnknownException(String::from(
                                "the servant locator panicked in locate",
                            )),
                        )
                    }
                }
            }
            Found::Nothing(has_identity) => {
                return Request::new(completion, params, responder)
                    .not_found(not_found_status(has_identity))
            }
        };
        let request = Request::new(completion, params, responder);
        // A panic in hand-written dispatch code drops the request while unwinding, which
        // answers UnknownException.
        let dispatched = match catch_unwind(AssertUnwindSafe(|| servant.dispatch(request))) {
            Ok(d) => d,
            Err(_) => return,
        };
        if let Some(future) = dispatched.into_future() {
            crate::dispatch::pending::start(&self.runtime, future);
        }
    }
}

fn not_found_status(has_identity: bool) -> ReplyStatus {
    if has_identity {
        ReplyStatus::FacetNotExist
    } else {
        ReplyStatus::ObjectNotExist
    }
}
