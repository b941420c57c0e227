//! The communicator: the root object of the runtime. It holds the properties, the tokio runtime
//! everything runs on (its own, or the one it was created in), the cache of outgoing
//! connections, and the shutdown and destroy life cycle.
//!
//! It can be created from a plain `fn main` (it then starts its own multi-thread runtime) or
//! from inside tokio (it then uses the current runtime). Blocking methods refuse to run on a
//! runtime thread, where they could deadlock, and return [`Error::WouldBlock`] instead.

use crate::connection::{self, Connection, ConnectionConfig, Side};
use crate::encoding::{
    ClassOptions, EndpointData, Format, ParseDefaults, ProxyData, ENCODING_1_0, ENCODING_1_1,
};
use crate::error::{Error, Result};
use crate::properties::Properties;
use crate::proxy::ObjectPrx;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::runtime::{Handle, Runtime};
use tokio::sync::watch;

/// A future run at shutdown, e.g. an object adapter's deactivation.
pub type ShutdownFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// A hook registered with [`Communicator::on_shutdown`].
type ShutdownHook = Box<dyn FnOnce() -> ShutdownFuture + Send + 'static>;

/// What a locator resolved: an adapter id, or the identity of a well-known object.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum LocatorKey {
    /// `findAdapterById`.
    Adapter(String),
    /// `findObjectById`.
    Object(crate::identity::Identity),
}

/// One entry of the connection cache: a connection being established or established.
type ConnectionSlot = Arc<tokio::sync::Mutex<Option<Connection>>>;

/// Settings every proxy of a communicator starts with (read once from the properties).
#[derive(Clone, Debug)]
pub struct ClientDefaults {
    /// `Ice.Default.Host`: the host of endpoints that give none.
    pub default_host: String,
    /// `Ice.Default.Timeout` (ms): the endpoint timeout when a proxy gives none.
    pub default_timeout: i32,
    /// `Ice.Default.InvocationTimeout` (ms, -1 = none).
    pub invocation_timeout: i32,
    /// `Ice.RetryIntervals` (ms); empty or `-1` means no retries.
    pub retry_intervals: Vec<Duration>,
    /// `Ice.BatchAutoFlushSize` in bytes (KiB in the property; 0 disables auto-flush).
    pub batch_auto_flush_size: usize,
    /// Settings of outgoing connections.
    pub connection: ConnectionConfig,
    /// The `Ice.Default.*` settings used to parse proxy and endpoint strings.
    pub parse: ParseDefaults,
    /// `Ice.Default.SlicedFormat`: the format of classes and exceptions in requests and
    /// replies whose operation names none (`["format:..."]`).
    pub default_format: Format,
    /// `Ice.ClassGraphDepthMax`, `Ice.AcceptClassCycles`, `Ice.SliceValues`, applied to the
    /// streams of incoming requests and replies; `None` when all are Ice's defaults (the
    /// streams then need no setup, keeping the request path allocation-free).
    pub class_options: Option<Arc<ClassOptions>>,
    /// `Ice.Default.EndpointSelection` (`Random`, the default, or `Ordered`).
    pub endpoint_selection: crate::proxy::EndpointSelection,
}

impl ClientDefaults {
    fn from_properties(props: &Properties) -> Result<ClientDefaults> {
        let retry_intervals = {
            let list = props.get_list("Ice.RetryIntervals");
            let list = if list.is_empty() {
                vec!["0".to_owned()]
            } else {
                list
            };
            let mut v = Vec::new();
            for item in list {
                let ms: i64 = item.parse().map_err(|_| Error::InvalidProperty {
                    name: "Ice.RetryIntervals".into(),
                    reason: format!("`{item}' is not an integer"),
                })?;
                if ms < 0 {
                    v.clear();
                    break;
                }
                v.push(Duration::from_millis(ms as u64));
            }
            v
        };
        let flush_kib = props.get_int_with_default("Ice.BatchAutoFlushSize", 1024)?;
        let mut parse = ParseDefaults::default();
        if let Some(p) = props.get_opt("Ice.Default.Protocol") {
            parse.protocol = p;
        }
        parse.host = props.get("Ice.Default.Host");
        parse.timeout = props
            .get_int_with_default("Ice.Default.Timeout", parse.timeout as i64)?
            .clamp(-1, i32::MAX as i64) as i32;
        if let Some(v) = props.get_opt("Ice.Default.EncodingVersion") {
            parse.encoding = match v.trim() {
                "1.0" => ENCODING_1_0,
                "1.1" => ENCODING_1_1,
                other => {
                    return Err(Error::InvalidProperty {
                        name: "Ice.Default.EncodingVersion".into(),
                        reason: format!("unsupported encoding `{other}'"),
                    })
                }
            };
        }
        let endpoint_selection = match props.get_opt("Ice.Default.EndpointSelection") {
            None => crate::proxy::EndpointSelection::Random,
            Some(v) => crate::proxy::EndpointSelection::parse(&v).ok_or_else(|| {
                Error::InvalidProperty {
                    name: "Ice.Default.EndpointSelection".into(),
                    reason: format!("`{v}' is neither Random nor Ordered"),
                }
            })?,
        };
        Ok(ClientDefaults {
            endpoint_selection,
            default_host: props.get("Ice.Default.Host"),
            default_timeout: props
                .get_int_with_default("Ice.Default.Timeout", 60000)?
                .clamp(-1, i32::MAX as i64) as i32,
            invocation_timeout: props
                .get_int_with_default("Ice.Default.InvocationTimeout", -1)?
                .clamp(-1, i32::MAX as i64) as i32,
            retry_intervals,
            batch_auto_flush_size: if flush_kib <= 0 {
                0
            } else {
                (flush_kib as usize).saturating_mul(1024)
            },
            connection: ConnectionConfig::from_properties(props, Side::Client, None)?,
            parse,
            default_format: if props.get_int_with_default("Ice.Default.SlicedFormat", 0)? > 0 {
                Format::Sliced
            } else {
                Format::Compact
            },
            class_options: {
                let options = ClassOptions::from_properties(|name| props.get_opt(name));
                let d = ClassOptions::default();
                let default = options.class_graph_depth_max == d.class_graph_depth_max
                    && options.accept_class_cycles == d.accept_class_cycles
                    && options.slice_values == d.slice_values;
                (!default).then(|| Arc::new(options))
            },
        })
    }
}

pub(crate) struct Inner {
    properties: Properties,
    /// The runtime the communicator started itself, if any (shut down on destroy).
    own_runtime: Mutex<Option<Runtime>>,
    handle: Handle,
    defaults: ClientDefaults,
    connections: Mutex<HashMap<(String, u16), ConnectionSlot>>,
    /// Endpoints found through the locator, by adapter id or identity.
    locator_cache: Mutex<HashMap<LocatorKey, Vec<EndpointData>>>,
    shutdown: watch::Sender<bool>,
    shutdown_hooks: Mutex<Vec<ShutdownHook>>,
    /// Completes when every shutdown future has finished.
    shutdown_done: watch::Sender<bool>,
    destroyed: AtomicBool,
}

/// The communicator (cheap to clone; clones are the same communicator).
#[derive(Clone)]
pub struct Communicator {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Communicator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Communicator")
            .field("destroyed", &self.is_destroyed())
            .finish()
    }
}

/// Creates a communicator from command-line arguments (`--Ice.Config=file`, `--Ice.X=v`, ...);
/// see [`Communicator::initialize`].
pub fn initialize<I, S>(args: I) -> Result<Communicator>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    Communicator::initialize(args).map(|(c, _)| c)
}

/// Whether blocking the calling thread could stall a tokio runtime: the thread is running a
/// tokio task, or it is inside a current-thread runtime (whose only thread it would block).
/// Threads that merely entered a multi-thread runtime's context (such as dispatch threads)
/// and plain threads may block.
pub fn on_runtime_thread() -> bool {
    // A one-thread adapter dispatches on its own runtime's thread, where servant code may
    // block as on any dispatch thread (its invocations run on the communicator's runtime).
    if crate::dispatch::pool::inline_dispatching() {
        return false;
    }
    tokio::task::try_id().is_some()
        || Handle::try_current()
            .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::CurrentThread)
}

impl Communicator {
    /// Creates a communicator from command-line arguments and returns it with the arguments it
    /// did not consume. Ice's reserved prefixes (`--Ice.*`, `--IceSSL.*`, ...) and
    /// `--Ice.Config=file[,file]` are parsed; `ICE_CONFIG` is read when no `--Ice.Config` is given.
    pub fn initialize<I, S>(args: I) -> Result<(Communicator, Vec<String>)>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let (props, rest) = Properties::from_args(args)?;
        Ok((Communicator::with_properties(props)?, rest))
    }

    /// Creates a communicator with the given properties.
    pub fn with_properties(properties: Properties) -> Result<Communicator> {
        let defaults = ClientDefaults::from_properties(&properties)?;
        let (own_runtime, handle) = match Handle::try_current() {
            Ok(h) => (None, h),
            Err(_) => {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .enable_all()
                    .thread_name("ice-io")
                    .build()
                    .map_err(|e| Error::Other(format!("cannot start the tokio runtime: {e}")))?;
                let h = rt.handle().clone();
                (Some(rt), h)
            }
        };
        Ok(Communicator {
            inner: Arc::new(Inner {
                properties,
                own_runtime: Mutex::new(own_runtime),
                handle,
                defaults,
                connections: Mutex::new(HashMap::new()),
                locator_cache: Mutex::new(HashMap::new()),
                shutdown: watch::Sender::new(false),
                shutdown_hooks: Mutex::new(Vec::new()),
                shutdown_done: watch::Sender::new(false),
                destroyed: AtomicBool::new(false),
            }),
        })
    }

    /// The properties (shared: changes are seen by later readers).
    pub fn properties(&self) -> &Properties {
        &self.inner.properties
    }

    /// The tokio runtime the communicator runs its tasks on.
    pub fn runtime_handle(&self) -> &Handle {
        &self.inner.handle
    }

    /// The client-side defaults read from the properties at creation.
    pub fn client_defaults(&self) -> &ClientDefaults {
        &self.inner.defaults
    }

    /// Runs `future` to completion, blocking the calling thread. Refuses (with
    /// [`Error::WouldBlock`]) where blocking could stall the runtime (see [`on_runtime_thread`]).
    pub fn block_on<F: Future>(&self, future: F) -> Result<F::Output> {
        if on_runtime_thread() {
            return Err(Error::WouldBlock(
                "this is a tokio runtime thread: await the call instead of blocking".into(),
            ));
        }
        // The runtime's own threads drive the I/O; this thread only waits (with the runtime
        // entered, so that futures can register timers and sockets).
        let _context = self.inner.handle.enter();
        Ok(futures::executor::block_on(future))
    }

    /// Parses a stringified proxy (`Ice.Default.*` fill in what it omits). The null proxy
    /// (an empty string) is an error; see [`Communicator::string_to_proxy_nullable`].
    pub fn string_to_proxy(&self, s: &str) -> Result<ObjectPrx> {
        self.string_to_proxy_nullable(s)?
            .ok_or_else(|| Error::ProxyParse {
                input: s.to_owned(),
                reason: "the string denotes a null proxy".to_owned(),
            })
    }

    /// Parses a stringified proxy; `Ok(None)` for the null proxy.
    pub fn string_to_proxy_nullable(&self, s: &str) -> Result<Option<ObjectPrx>> {
        if self.is_destroyed() {
            return Err(Error::CommunicatorDestroyed);
        }
        Ok(ProxyData::parse_with(s, &self.inner.defaults.parse)?
            .map(|data| ObjectPrx::new(self.clone(), data)))
    }

    /// A proxy for already parsed or decoded proxy data.
    pub fn proxy_from_data(&self, data: ProxyData) -> ObjectPrx {
        ObjectPrx::new(self.clone(), data)
    }

    /// Ice's stringified form of a proxy ("" for none).
    pub fn proxy_to_string(&self, proxy: Option<&ObjectPrx>) -> String {
        proxy.map(ToString::to_string).unwrap_or_default()
    }

    /// Endpoints cached for `key` by an earlier locator lookup.
    pub(crate) fn cached_endpoints(&self, key: &LocatorKey) -> Option<Vec<EndpointData>> {
        self.inner.locator_cache.lock().get(key).cloned()
    }

    /// Caches the endpoints a locator returned (Ice.Default.LocatorCacheTimeout -1: forever).
    pub(crate) fn cache_endpoints(&self, key: LocatorKey, endpoints: Vec<EndpointData>) {
        self.inner.locator_cache.lock().insert(key, endpoints);
    }

    /// Forgets cached endpoints after they failed.
    pub(crate) fn forget_endpoints(&self, key: &LocatorKey) {
        self.inner.locator_cache.lock().remove(key);
    }

    /// The default locator (`Ice.Default.Locator`), if set.
    pub fn default_locator(&self) -> Result<Option<ObjectPrx>> {
        let s = self.inner.properties.get("Ice.Default.Locator");
        if s.trim().is_empty() {
            return Ok(None);
        }
        self.string_to_proxy_nullable(&s)
    }

    /// Whether [`Communicator::destroy`] was called.
    pub fn is_destroyed(&self) -> bool {
        self.inner.destroyed.load(Ordering::SeqCst)
    }

    /// Whether [`Communicator::shutdown`] was called.
    pub fn is_shutdown(&self) -> bool {
        *self.inner.shutdown.borrow()
    }

    /// Registers work to do at shutdown (object adapters register their deactivation): `hook`
    /// is called by [`Communicator::shutdown`] and the future it returns is awaited by
    /// [`Communicator::wait_for_shutdown`]. A hook registered after shutdown runs at once.
    pub fn on_shutdown<F>(&self, hook: F)
    where
        F: FnOnce() -> ShutdownFuture + Send + 'static,
    {
        if self.is_shutdown() {
            self.inner.handle.spawn(hook());
            return;
        }
        self.inner.shutdown_hooks.lock().push(Box::new(hook));
    }

    /// Starts the shutdown: runs the shutdown hooks (deactivating object adapters). Does not
    /// block; [`Communicator::wait_for_shutdown`] waits for the end.
    pub fn shutdown(&self) {
        if !self
            .inner
            .shutdown
            .send_if_modified(|s| !std::mem::replace(s, true))
        {
            return;
        }
        let hooks = std::mem::take(&mut *self.inner.shutdown_hooks.lock());
        let futures: Vec<ShutdownFuture> = hooks.into_iter().map(|h| h()).collect();
        let done = self.inner.shutdown_done.clone();
        self.inner.handle.spawn(async move {
            futures::future::join_all(futures).await;
            done.send_replace(true);
        });
    }

    /// Waits until [`Communicator::shutdown`] was called and the shutdown work finished.
    pub async fn shutdown_complete(&self) {
        let mut rx = self.inner.shutdown_done.subscribe();
        let _ = rx.wait_for(|d| *d).await;
    }

    /// Blocks until the communicator is shut down (see [`Communicator::shutdown_complete`]);
    /// refuses on a runtime thread.
    pub fn wait_for_shutdown(&self) -> Result<()> {
        self.block_on(self.shutdown_complete())
    }

    /// Shuts down, then closes every outgoing connection gracefully (pending invocations fail
    /// with [`Error::CommunicatorDestroyed`]). Further invocations fail the same way.
    pub async fn destroy_async(&self) {
        if self.inner.destroyed.swap(true, Ordering::SeqCst) {
            return;
        }
        self.shutdown();
        self.shutdown_complete().await;
        let slots: Vec<ConnectionSlot> = self
            .inner
            .connections
            .lock()
            .drain()
            .map(|(_, s)| s)
            .collect();
        let mut connections = Vec::new();
        for slot in slots {
            if let Some(c) = slot.lock().await.take() {
                connections.push(c);
            }
        }
        futures::future::join_all(
            connections
                .iter()
                .map(|c| c.close_failing_pending(Error::CommunicatorDestroyed)),
        )
        .await;
    }

    /// Destroys the communicator: blocks until done when called outside the runtime; on a
    /// runtime thread or a dispatch thread (whose own dispatch the destruction waits for) it
    /// starts the destruction and returns (await [`Communicator::destroy_async`] there to
    /// wait for it).
    pub fn destroy(&self) {
        // On a dispatch thread, waiting would wait for this very dispatch: start and return.
        if on_runtime_thread() || crate::dispatch::is_dispatch_thread() {
            let me = self.clone();
            self.inner
                .handle
                .spawn(async move { me.destroy_async().await });
            return;
        }
        let me = self.clone();
        let _ = self.block_on(async move { me.destroy_async().await });
        if let Some(rt) = self.inner.own_runtime.lock().take() {
            rt.shutdown_timeout(Duration::from_secs(1));
        }
    }

    /// The cached connection to `host:port`, or a new one (established once, even when many
    /// invocations ask at the same time). `connect_timeout` overrides the configured one.
    pub async fn connection_to(
        &self,
        host: &str,
        port: u16,
        connect_timeout: Option<Duration>,
    ) -> Result<Connection> {
        let mut config = self.inner.defaults.connection.clone();
        if let Some(t) = connect_timeout {
            if self
                .inner
                .properties
                .get_opt("Ice.Override.ConnectTimeout")
                .is_none()
            {
                config.connect_timeout = t;
            }
        }
        self.cached_connection(host, port, config).await
    }

    /// [`Communicator::connection_to`] for an endpoint whose `-t` is `endpoint_timeout_ms`
    /// (-1: infinite): as in Ice it bounds connecting and each write, unless
    /// `Ice.Override.ConnectTimeout` / `Ice.Override.Timeout` say otherwise.
    pub async fn connection_for_endpoint(
        &self,
        host: &str,
        port: u16,
        endpoint_timeout_ms: i32,
    ) -> Result<Connection> {
        let mut config = self.inner.defaults.connection.clone();
        let props = &self.inner.properties;
        let endpoint_timeout = match endpoint_timeout_ms {
            t if t > 0 => Duration::from_millis(t as u64),
            _ => Duration::ZERO,
        };
        if props.get_opt("Ice.Override.Timeout").is_none() {
            config.write_timeout = endpoint_timeout;
            if props.get_opt("Ice.Override.ConnectTimeout").is_none() && !endpoint_timeout.is_zero()
            {
                config.connect_timeout = endpoint_timeout;
            }
        }
        self.cached_connection(host, port, config).await
    }

    /// The cached connection to `host:port` when it is open now (never waits, never connects).
    pub(crate) fn open_connection(&self, host: &str, port: u16) -> Option<Connection> {
        let slot = self
            .inner
            .connections
            .lock()
            .get(&(host.to_owned(), port))
            .cloned()?;
        let guard = slot.try_lock().ok()?;
        guard.as_ref().filter(|c| c.is_active()).cloned()
    }

    async fn cached_connection(
        &self,
        host: &str,
        port: u16,
        config: ConnectionConfig,
    ) -> Result<Connection> {
        if self.is_destroyed() {
            return Err(Error::CommunicatorDestroyed);
        }
        let slot = self
            .inner
            .connections
            .lock()
            .entry((host.to_owned(), port))
            .or_default()
            .clone();
        let mut guard = slot.lock().await;
        if let Some(c) = guard.as_ref() {
            if c.is_active() {
                return Ok(c.clone());
            }
        }
        let c = connection::connect(host, port, config).await?;
        if self.is_destroyed() {
            c.abort(Error::CommunicatorDestroyed);
            return Err(Error::CommunicatorDestroyed);
        }
        *guard = Some(c.clone());
        Ok(c)
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Dropping a runtime on a runtime thread panics; shut it down in the background.
        if let Some(rt) = self.own_runtime.lock().take() {
            rt.shutdown_background();
        }
    }
}
