//! Client-side proxies: [`ObjectPrx`] and the invocation path.
//!
//! Every invocation marshals its request at once, then runs on the communicator's runtime, so
//! the future a call returns is `Send + 'static`, needs no particular executor, and can be
//! awaited, spawned, dropped, or waited for with [`Wait::wait`] from a plain thread.
//! Retries follow Ice: a request that surely did not reach a servant (connection failures
//! before sending, a graceful close by the server) is retried per `Ice.RetryIntervals`; after
//! a connection loss only idempotent and nonmutating operations are retried.

use crate::communicator::{on_runtime_thread, Communicator, LocatorKey};
use crate::connection::{Connection, InvokeFailure};
use crate::encoding::Encode;
use crate::encoding::{
    EncodingVersion, EndpointData, Format, InputStream, InvocationMode, OutputStream, ProxyData,
};
use crate::error::{Error, Result};
use crate::identity::{Context, Identity, OperationMode, ReplyStatus};
use crate::incoming::HEADER_SIZE;
use crate::protocol::{self, MessageType};
use parking_lot::Mutex;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// The result of a twoway invocation that reached a servant: its results (status 0) or a user
/// exception (status 1), still encoded. Statuses 2 to 7 arrive as `Err` values instead.
#[derive(Clone, Debug)]
pub struct Reply {
    status: ReplyStatus,
    encoding: EncodingVersion,
    payload: Vec<u8>,
    communicator: Communicator,
}

impl Reply {
    /// `ReplyStatus::Ok` or `ReplyStatus::UserException`.
    pub fn status(&self) -> ReplyStatus {
        self.status
    }

    /// Whether the servant returned normally.
    pub fn is_ok(&self) -> bool {
        self.status == ReplyStatus::Ok
    }

    /// The encoding of the encapsulation.
    pub fn encoding(&self) -> EncodingVersion {
        self.encoding
    }

    /// The encapsulation's body: results, or the user exception's slices.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// A stream over the body, in the reply's encoding.
    /// The communicator's class decoding limits (`Ice.ClassGraphDepthMax`, ...) apply.
    pub fn input(&self) -> InputStream<'_> {
        let mut input = InputStream::with_encoding(&self.payload, self.encoding);
        if let Some(options) = &self.communicator.client_defaults().class_options {
            input.set_class_options(options);
        }
        input
    }

    /// The communicator of the proxy (to build proxies decoded from the results).
    pub fn communicator(&self) -> &Communicator {
        &self.communicator
    }

    /// The results' body, or [`Error::UnknownUserException`] naming the exception when the
    /// servant raised one (for callers that declare no user exception).
    pub fn into_ok_payload(self) -> Result<Vec<u8>> {
        if self.is_ok() {
            Ok(self.payload)
        } else {
            Err(Error::UnknownUserException(user_exception_id(
                &self.payload,
                self.encoding,
            )))
        }
    }
}

/// The most derived type id of an encoded user exception (for `UnknownUserException` texts).
fn user_exception_id(payload: &[u8], encoding: EncodingVersion) -> String {
    let mut input = InputStream::with_encoding(payload, encoding);
    let id = if encoding.minor == 0 {
        input.read_bool().and_then(|_| input.read_string())
    } else {
        input.read_u8().and_then(|_| input.read_string())
    };
    id.unwrap_or_else(|_| "user exception".to_owned())
}

/// Calls `operation` (`findAdapterById` or `findObjectById`) on the locator and decodes the
/// proxy it returns; a null proxy or the operation's user exception mean "not registered".
async fn find(
    locator: &ObjectPrx,
    operation: &str,
    what: &str,
    params: impl FnOnce(&mut OutputStream),
) -> Result<ProxyData> {
    let mut out = OutputStream::new();
    out.set_encoding(locator.ice_get_encoding_version());
    params(&mut out);
    let reply = locator
        .ice_twoway()
        .invoke(operation, OperationMode::Nonmutating, out.as_slice(), None)
        .await?;
    if !reply.is_ok() {
        return Err(Error::NotRegistered(format!(
            "{what}: the locator raised {}",
            user_exception_id(reply.payload(), reply.encoding())
        )));
    }
    let mut input = reply.input();
    ProxyData::decode(&mut input)?
        .ok_or_else(|| Error::NotRegistered(format!("{what}: unknown to the locator")))
}

/// Blocking waits for invocation futures, for code outside the tokio runtime.
pub trait Wait<T, E>: Future<Output = std::result::Result<T, E>> + Sized {
    /// Blocks the calling thread until the future completes. Refuses with
    /// [`Error::WouldBlock`] on a tokio runtime thread, where blocking could deadlock.
    fn wait(self) -> std::result::Result<T, E>;
}

impl<F, T, E> Wait<T, E> for F
where
    F: Future<Output = std::result::Result<T, E>>,
    E: From<Error>,
{
    fn wait(self) -> std::result::Result<T, E> {
        if on_runtime_thread() {
            return Err(Error::WouldBlock(
                "a proxy call cannot be waited for on a tokio runtime thread: await it".into(),
            )
            .into());
        }
        // An invocation first polled here knows it is being waited for (see
        // `ObjectPrx::send`): a self-call that would deadlock the dispatch pool refuses.
        struct Restore(bool);
        impl Drop for Restore {
            fn drop(&mut self) {
                BLOCKING_WAIT.with(|w| w.set(self.0));
            }
        }
        let _restore = Restore(BLOCKING_WAIT.with(|w| w.replace(true)));
        futures::executor::block_on(self)
    }
}

thread_local! {
    /// Whether this thread is inside [`Wait::wait`].
    static BLOCKING_WAIT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A request being built by [`ObjectPrx::start_request`]: write the parameters into
/// [`OutgoingRequest::params`], then [`OutgoingRequest::invoke`].
pub struct OutgoingRequest {
    proxy: ObjectPrx,
    out: OutputStream,
    mode: OperationMode,
}

impl std::fmt::Debug for OutgoingRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutgoingRequest")
            .field("proxy", &self.proxy)
            .field("bytes", &self.out.len())
            .finish()
    }
}

impl OutgoingRequest {
    /// The stream to write the parameters into (inside the parameter encapsulation, in the
    /// proxy's encoding).
    pub fn params(&mut self) -> &mut OutputStream {
        &mut self.out
    }

    /// Closes the parameters and sends the request; see [`ObjectPrx::invoke`].
    pub fn invoke(mut self) -> impl Future<Output = Result<Reply>> + Send + 'static {
        self.out.end_encapsulation();
        protocol::finish_message(&mut self.out);
        self.proxy.send(self.out.into_vec(), self.mode)
    }
}

/// Batched oneway requests waiting for a flush (shared by the clones of a batch proxy).
#[derive(Default)]
struct BatchQueue {
    inner: Mutex<BatchInner>,
}

#[derive(Default)]
struct BatchInner {
    /// Request bodies (without request id), one after another.
    bodies: Vec<u8>,
    count: i32,
}

impl BatchQueue {
    /// Takes the queued requests as one batch message, if any.
    fn take_message(&self) -> Option<Vec<u8>> {
        self.inner.lock().take_message()
    }

    /// Queues one request body; returns the batch to send first when adding it would pass
    /// `auto_flush` bytes (0: never).
    fn push(&self, body: &[u8], auto_flush: usize) -> Option<Vec<u8>> {
        let mut q = self.inner.lock();
        let full = auto_flush > 0
            && q.count > 0
            && q.bodies.len() + body.len() + HEADER_SIZE + 4 > auto_flush;
        let flush = if full { q.take_message() } else { None };
        q.bodies.extend_from_slice(body);
        q.count += 1;
        flush
    }
}

impl BatchInner {
    fn take_message(&mut self) -> Option<Vec<u8>> {
        let q = self;
        if q.count == 0 {
            return None;
        }
        let bodies = std::mem::take(&mut q.bodies);
        let count = std::mem::take(&mut q.count);
        let mut out = OutputStream::with_capacity(HEADER_SIZE + 4 + bodies.len());
        protocol::write_header(&mut out, MessageType::BatchRequest);
        out.write_i32(count);
        out.write_blob(&bodies);
        protocol::finish_message(&mut out);
        Some(out.into_vec())
    }
}

/// In which order a proxy tries its endpoints when it needs a new connection (Ice's
/// `EndpointSelectionType`; `Ice.Default.EndpointSelection`, default `Random`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum EndpointSelection {
    /// A random order for each new connection: clients spread over a server's endpoints.
    #[default]
    Random,
    /// The order of the proxy's endpoints.
    Ordered,
}

impl EndpointSelection {
    /// Parses `Random` or `Ordered` (the property's values).
    pub fn parse(text: &str) -> Option<EndpointSelection> {
        match text.trim() {
            "Random" => Some(EndpointSelection::Random),
            "Ordered" => Some(EndpointSelection::Ordered),
            _ => None,
        }
    }
}

/// Shuffles `items` (Fisher-Yates) with the standard library's randomly keyed hasher as the
/// source of randomness.
fn shuffle<T>(items: &mut [T]) {
    use std::hash::{BuildHasher, Hasher};
    let state = std::collections::hash_map::RandomState::new();
    for i in (1..items.len()).rev() {
        let mut h = state.build_hasher();
        h.write_usize(i);
        let j = (h.finish() % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

struct PrxInner {
    communicator: Communicator,
    data: ProxyData,
    context: Context,
    /// Milliseconds, -1 for none.
    invocation_timeout: i32,
    endpoint_selection: EndpointSelection,
    fixed: Option<Connection>,
    batch: Option<Arc<BatchQueue>>,
    /// `ice_locator`; `None` means `Ice.Default.Locator`.
    locator: Option<ObjectPrx>,
}

/// A proxy for a remote Ice object (cheap to clone).
#[derive(Clone)]
pub struct ObjectPrx {
    inner: Arc<PrxInner>,
}

impl std::fmt::Debug for ObjectPrx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ObjectPrx({})", self.inner.data)
    }
}

impl std::fmt::Display for ObjectPrx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.inner.data, f)
    }
}

impl Eq for ObjectPrx {}

impl std::hash::Hash for ObjectPrx {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // Equal proxies have equal data; the other fields only refine equality.
        self.inner.data.hash(state);
    }
}

impl PartialEq for ObjectPrx {
    fn eq(&self, other: &Self) -> bool {
        self.inner.data == other.inner.data
            && self.inner.context == other.inner.context
            && self.inner.invocation_timeout == other.inner.invocation_timeout
            && self.inner.endpoint_selection == other.inner.endpoint_selection
            && self.inner.fixed == other.inner.fixed
    }
}

/// What generated typed proxies implement, so that casts work for them.
pub trait TypedProxy: Sized {
    /// The Slice type id of the interface, e.g. `::Demo::Model`.
    const TYPE_ID: &'static str;
    /// Wraps an untyped proxy (no check).
    fn from_object_prx(proxy: ObjectPrx) -> Self;
    /// The untyped proxy inside.
    fn as_object_prx(&self) -> &ObjectPrx;
}

impl TypedProxy for ObjectPrx {
    const TYPE_ID: &'static str = "::Ice::Object";
    fn from_object_prx(proxy: ObjectPrx) -> Self {
        proxy
    }
    fn as_object_prx(&self) -> &ObjectPrx {
        self
    }
}

/// Batch datagram proxies are refused like datagram ones (no udp transport).
fn is_batch(mode: InvocationMode) -> bool {
    mode == InvocationMode::BatchOneway
}

/// Whether Ice retries after `error` (ICE-PROTOCOL.md 9.2 and Ice's retry rules).
fn retryable(error: &Error, sent: bool, idempotent: bool) -> bool {
    match error {
        Error::ConnectionClosed(_) => true,
        Error::ConnectionRefused(_)
        | Error::ConnectTimeout(_)
        | Error::ConnectionLost(_)
        | Error::Socket(_) => !sent || idempotent,
        _ => false,
    }
}

impl ObjectPrx {
    /// A proxy for `data` on `communicator`.
    pub fn new(communicator: Communicator, data: ProxyData) -> ObjectPrx {
        let timeout = communicator.client_defaults().invocation_timeout;
        let endpoint_selection = communicator.client_defaults().endpoint_selection;
        let batch = is_batch(data.mode).then(|| Arc::new(BatchQueue::default()));
        ObjectPrx {
            inner: Arc::new(PrxInner {
                communicator,
                data,
                context: Context::new(),
                invocation_timeout: timeout,
                endpoint_selection,
                fixed: None,
                batch,
                locator: None,
            }),
        }
    }

    fn with(&self, f: impl FnOnce(&mut PrxInner)) -> ObjectPrx {
        let mut inner = PrxInner {
            communicator: self.inner.communicator.clone(),
            data: self.inner.data.clone(),
            context: self.inner.context.clone(),
            invocation_timeout: self.inner.invocation_timeout,
            endpoint_selection: self.inner.endpoint_selection,
            fixed: self.inner.fixed.clone(),
            batch: None,
            locator: self.inner.locator.clone(),
        };
        f(&mut inner);
        if is_batch(inner.data.mode) {
            inner.batch = Some(Arc::new(BatchQueue::default()));
        }
        ObjectPrx {
            inner: Arc::new(inner),
        }
    }

    /// The marshaled form of the proxy.
    pub fn data(&self) -> &ProxyData {
        &self.inner.data
    }

    /// The communicator.
    pub fn communicator(&self) -> &Communicator {
        &self.inner.communicator
    }

    /// The identity.
    pub fn ice_get_identity(&self) -> &Identity {
        &self.inner.data.identity
    }

    /// The facet ("" for the default facet).
    pub fn ice_get_facet(&self) -> &str {
        &self.inner.data.facet
    }

    /// The adapter id ("" for a direct or well-known proxy).
    pub fn ice_get_adapter_id(&self) -> &str {
        &self.inner.data.adapter_id
    }

    /// The per-proxy context.
    pub fn ice_get_context(&self) -> &Context {
        &self.inner.context
    }

    /// The encoding used for parameters.
    pub fn ice_get_encoding_version(&self) -> EncodingVersion {
        self.inner.data.encoding
    }

    /// The invocation mode.
    pub fn ice_get_mode(&self) -> InvocationMode {
        self.inner.data.mode
    }

    /// Whether the proxy sends twoway requests.
    pub fn ice_is_twoway(&self) -> bool {
        self.inner.data.mode == InvocationMode::Twoway
    }

    /// The invocation timeout in milliseconds (-1: none).
    pub fn ice_get_invocation_timeout(&self) -> i32 {
        self.inner.invocation_timeout
    }

    /// The fixed connection, if any.
    pub fn ice_get_fixed_connection(&self) -> Option<&Connection> {
        self.inner.fixed.as_ref()
    }

    /// A proxy with another identity.
    pub fn ice_identity(&self, identity: Identity) -> ObjectPrx {
        self.with(|p| p.data.identity = identity)
    }

    /// A proxy for another facet.
    pub fn ice_facet(&self, facet: &str) -> ObjectPrx {
        self.with(|p| p.data.facet = facet.to_owned())
    }

    /// A proxy with another adapter id (and no endpoints when the id is not empty).
    pub fn ice_adapter_id(&self, adapter_id: &str) -> ObjectPrx {
        self.with(|p| {
            p.data.adapter_id = adapter_id.to_owned();
            if !adapter_id.is_empty() {
                p.data.endpoints.clear();
            }
        })
    }

    /// A proxy with these endpoints (and no adapter id).
    pub fn ice_endpoints(&self, endpoints: Vec<EndpointData>) -> ObjectPrx {
        self.with(|p| {
            p.data.endpoints = endpoints;
            p.data.adapter_id.clear();
        })
    }

    /// A proxy whose invocations carry `context` (unless a call passes its own).
    pub fn ice_context(&self, context: Context) -> ObjectPrx {
        self.with(|p| p.context = context)
    }

    /// A proxy whose twoway invocations fail with [`Error::InvocationTimeout`] after
    /// `timeout_ms` milliseconds (-1: wait forever).
    pub fn ice_invocation_timeout(&self, timeout_ms: i32) -> ObjectPrx {
        self.with(|p| p.invocation_timeout = timeout_ms.max(-1))
    }

    /// A proxy that tries its endpoints in `selection`'s order when it needs a connection.
    pub fn ice_endpoint_selection(&self, selection: EndpointSelection) -> ObjectPrx {
        self.with(|p| p.endpoint_selection = selection)
    }

    /// The order in which the proxy tries its endpoints.
    pub fn ice_get_endpoint_selection(&self) -> EndpointSelection {
        self.inner.endpoint_selection
    }

    fn with_mode(&self, mode: InvocationMode) -> ObjectPrx {
        self.with(|p| p.data.mode = mode)
    }

    /// A twoway proxy.
    pub fn ice_twoway(&self) -> ObjectPrx {
        self.with_mode(InvocationMode::Twoway)
    }

    /// A oneway proxy (requests with id 0, never answered).
    pub fn ice_oneway(&self) -> ObjectPrx {
        self.with_mode(InvocationMode::Oneway)
    }

    /// A batch oneway proxy: requests are queued until
    /// [`ObjectPrx::ice_flush_batch_requests`] or `Ice.BatchAutoFlushSize`.
    pub fn ice_batch_oneway(&self) -> ObjectPrx {
        self.with_mode(InvocationMode::BatchOneway)
    }

    /// A proxy that uses only secure endpoints (or not).
    pub fn ice_secure(&self, secure: bool) -> ObjectPrx {
        self.with(|p| p.data.secure = secure)
    }

    /// A proxy whose requests are compressed (or not), as if every endpoint had `-z`.
    pub fn ice_compress(&self, compress: bool) -> ObjectPrx {
        self.with(|p| {
            for e in &mut p.data.endpoints {
                match e {
                    EndpointData::Tcp(t) | EndpointData::Ssl(t) => t.compress = compress,
                    EndpointData::Ws(w) | EndpointData::Wss(w) => w.tcp.compress = compress,
                    EndpointData::Udp(u) => u.compress = compress,
                    _ => {}
                }
            }
        })
    }

    /// A proxy with another encoding for its parameters.
    pub fn ice_encoding_version(&self, encoding: EncodingVersion) -> ObjectPrx {
        self.with(|p| p.data.encoding = encoding)
    }

    /// A proxy that resolves adapter ids and well-known identities with `locator` instead
    /// of `Ice.Default.Locator`.
    pub fn ice_locator(&self, locator: Option<ObjectPrx>) -> ObjectPrx {
        self.with(|p| p.locator = locator)
    }

    /// A proxy bound to `connection`: every invocation uses it, without retries.
    pub fn ice_fixed(&self, connection: &Connection) -> ObjectPrx {
        self.with(|p| p.fixed = Some(connection.clone()))
    }

    /// The connection invocations would use (established if needed).
    pub async fn ice_get_connection(&self) -> Result<Connection> {
        let me = self.clone();
        self.spawn(async move { me.connection().await }).await
    }

    /// Whether compression is requested by the endpoints.
    fn compress(&self) -> bool {
        self.inner.data.endpoints.iter().any(|e| match e {
            EndpointData::Tcp(t) | EndpointData::Ssl(t) => t.compress,
            EndpointData::Ws(w) | EndpointData::Wss(w) => w.tcp.compress,
            _ => false,
        })
    }

    /// Runs `fut` on the communicator's runtime.
    fn spawn<T: Send + 'static>(
        &self,
        fut: impl Future<Output = Result<T>> + Send + 'static,
    ) -> impl Future<Output = Result<T>> + Send + 'static {
        let communicator = self.inner.communicator.clone();
        let task = communicator.runtime_handle().spawn(fut);
        async move {
            task.await.map_err(|e| {
                if communicator.is_destroyed() {
                    Error::CommunicatorDestroyed
                } else {
                    Error::Other(format!("invocation task failed: {e}"))
                }
            })?
        }
    }

    /// The endpoints to use: the proxy's own, or those its locator returns for its adapter
    /// id or identity (with the cache key, so that failing endpoints can be forgotten).
    async fn endpoints(&self) -> Result<(Vec<EndpointData>, Option<LocatorKey>)> {
        let data = &self.inner.data;
        if !data.endpoints.is_empty() {
            return Ok((data.endpoints.clone(), None));
        }
        let communicator = &self.inner.communicator;
        let locator = match &self.inner.locator {
            Some(l) => l.clone(),
            None => communicator.default_locator()?.ok_or_else(|| {
                Error::NoEndpoint(format!(
                    "proxy `{data}' has no endpoints and no locator is configured \
                     (Ice.Default.Locator)"
                ))
            })?,
        };
        let key = if data.adapter_id.is_empty() {
            LocatorKey::Object(data.identity.clone())
        } else {
            LocatorKey::Adapter(data.adapter_id.clone())
        };
        if let Some(e) = communicator.cached_endpoints(&key) {
            return Ok((e, Some(key)));
        }
        let mut found = match &key {
            LocatorKey::Adapter(id) => {
                find(&locator, "findAdapterById", id, |out| out.write_string(id)).await?
            }
            LocatorKey::Object(identity) => {
                let what = format!("object `{}'", identity);
                find(&locator, "findObjectById", &what, |out| {
                    identity.encode(out)
                })
                .await?
            }
        };
        // A well-known object may be registered with an adapter id: resolve that too.
        if found.endpoints.is_empty() && !found.adapter_id.is_empty() {
            let id = found.adapter_id.clone();
            found = find(&locator, "findAdapterById", &id, |out| {
                out.write_string(&id)
            })
            .await?;
        }
        if found.endpoints.is_empty() {
            return Err(Error::NotRegistered(format!(
                "the locator returned no endpoints for `{data}'"
            )));
        }
        communicator.cache_endpoints(key.clone(), found.endpoints.clone());
        Ok((found.endpoints, Some(key)))
    }

    /// Finds (or establishes) the connection for the next attempt: the fixed one, else the
    /// first endpoint that connects.
    async fn connection(&self) -> Result<Connection> {
        if let Some(c) = &self.inner.fixed {
            return match c.close_reason() {
                Some(e) => Err(e),
                None => Ok(c.clone()),
            };
        }
        let communicator = &self.inner.communicator;
        let defaults = communicator.client_defaults();
        let (endpoints, key) = self.endpoints().await?;
        let mut targets: Vec<(&str, u16, i32)> = endpoints
            .iter()
            .filter_map(|e| {
                let EndpointData::Tcp(t) = e else { return None };
                if self.inner.data.secure {
                    return None;
                }
                let host = if !t.host.is_empty() {
                    t.host.as_str()
                } else if !defaults.default_host.is_empty() {
                    defaults.default_host.as_str()
                } else {
                    "localhost"
                };
                let port = u16::try_from(t.port).ok().filter(|p| *p > 0)?;
                Some((host, port, t.timeout))
            })
            .collect();
        // As Ice: a connection already open to any of the endpoints is used first.
        if let Some(c) = targets
            .iter()
            .find_map(|(host, port, _)| communicator.open_connection(host, *port))
        {
            return Ok(c);
        }
        if self.inner.endpoint_selection == EndpointSelection::Random {
            shuffle(&mut targets);
        }
        let mut last = None;
        for (host, port, timeout) in targets {
            match communicator
                .connection_for_endpoint(host, port, timeout)
                .await
            {
                Ok(c) => return Ok(c),
                Err(err) => last = Some(err),
            }
        }
        if let Some(key) = &key {
            communicator.forget_endpoints(key);
        }
        Err(last.unwrap_or_else(|| {
            Error::NoEndpoint(format!(
                "proxy `{}' has no usable tcp endpoint",
                self.inner.data
            ))
        }))
    }

    /// Starts a request for `operation`: the header, identity, facet, operation, mode and
    /// context are written, and the parameter encapsulation is open (in the proxy's encoding)
    /// for the caller to write the parameters into [`OutgoingRequest::params`]. `context`
    /// replaces the proxy's context for this call when given. This is what generated typed
    /// proxies use: the parameters are encoded in place, in the final message buffer.
    pub fn start_request(
        &self,
        operation: &str,
        mode: OperationMode,
        context: Option<&Context>,
    ) -> OutgoingRequest {
        let data = &self.inner.data;
        let mut out = OutputStream::with_capacity(128);
        let format = self.inner.communicator.client_defaults().default_format;
        if format != Format::Compact {
            out.set_format(format);
        }
        protocol::write_header(&mut out, MessageType::Request);
        out.write_i32(0);
        protocol::write_request_prefix(
            &mut out,
            &data.identity,
            &data.facet,
            operation,
            mode,
            context.unwrap_or(&self.inner.context),
        );
        out.start_encapsulation(data.encoding);
        OutgoingRequest {
            proxy: self.clone(),
            out,
            mode,
        }
    }

    /// Invokes `operation` with the encoded parameters `params` (the body of the parameter
    /// encapsulation, in [`ObjectPrx::ice_get_encoding_version`]'s encoding); see
    /// [`ObjectPrx::start_request`] for the in-place form.
    pub fn invoke(
        &self,
        operation: &str,
        mode: OperationMode,
        params: &[u8],
        context: Option<&Context>,
    ) -> impl Future<Output = Result<Reply>> + Send + 'static {
        let mut request = self.start_request(operation, mode, context);
        request.params().write_blob(params);
        request.invoke()
    }

    /// Sends a complete request message (request id 0, patched per attempt) according to the
    /// proxy's mode. The returned future resolves to the reply (twoway), or to an empty `Ok`
    /// reply once a oneway request is queued or a batch request is queued in the batch.
    fn send(
        &self,
        message: Vec<u8>,
        mode: OperationMode,
    ) -> impl Future<Output = Result<Reply>> + Send + 'static {
        let data = &self.inner.data;
        let me = self.clone();
        let empty = Reply {
            status: ReplyStatus::Ok,
            encoding: data.encoding,
            payload: Vec::new(),
            communicator: self.inner.communicator.clone(),
        };
        if let Some(batch) = &self.inner.batch {
            // A batched request is the message without its header and request id.
            let body = message.get(HEADER_SIZE + 4..).unwrap_or_default();
            let auto = self
                .inner
                .communicator
                .client_defaults()
                .batch_auto_flush_size;
            let flush = batch.push(body, auto);
            let task = flush.map(|message| {
                let me = me.clone();
                self.spawn(async move { me.send_batch(message).await })
            });
            return futures::future::Either::Left(futures::future::Either::Left(async move {
                if let Some(task) = task {
                    task.await?;
                }
                Ok(empty)
            }));
        }
        if matches!(
            data.mode,
            InvocationMode::Datagram | InvocationMode::BatchDatagram
        ) {
            let e = Error::NoEndpoint(format!(
                "proxy `{data}' is a datagram proxy: udp is not supported"
            ));
            return futures::future::Either::Left(futures::future::Either::Right(
                async move { Err(e) },
            ));
        }
        let twoway = data.mode == InvocationMode::Twoway;
        let idempotent = mode != OperationMode::Normal;
        let timeout = self.inner.invocation_timeout;
        let refusal = if twoway {
            self.self_call_refusal()
        } else {
            None
        };
        let work = async move {
            let attempt = me.invoke_with_retries(message, twoway, idempotent);
            let reply = if timeout > 0 && twoway {
                tokio::time::timeout(Duration::from_millis(timeout as u64), attempt)
                    .await
                    .map_err(|_| Error::InvocationTimeout(timeout as u64))??
            } else {
                attempt.await?
            };
            Ok(match reply {
                None => empty,
                Some(reply) => {
                    let (status, encoding, payload) = reply.body.into_result()?;
                    Reply {
                        status,
                        encoding,
                        payload,
                        communicator: me.inner.communicator.clone(),
                    }
                }
            })
        };
        let Some(refusal) = refusal else {
            return futures::future::Either::Right(futures::future::Either::Left(self.spawn(work)));
        };
        // A self-call from a dispatch thread of a full pool: it is fine as a future returned
        // to the runtime (`Dispatch::pending`), a certain deadlock when waited for on this
        // thread. The first poll tells which; only then is the request sent.
        let me = self.clone();
        // Boxed: the request's future can contain a locator call, i.e. this very type.
        let work = futures::FutureExt::boxed(work);
        futures::future::Either::Right(futures::future::Either::Right(async move {
            if BLOCKING_WAIT.with(|w| w.get()) {
                return Err(refusal);
            }
            me.spawn(work).await
        }))
    }

    /// On a dispatch thread whose adapter has no free thread: the error for a blocking call
    /// to one of that adapter's own endpoints (see
    /// [`crate::adapter::check_blocking_invocation`]). Proxies resolved through a locator
    /// and fixed proxies are not checked.
    fn self_call_refusal(&self) -> Option<Error> {
        if !crate::dispatch::is_dispatch_thread() {
            return None;
        }
        self.inner.data.endpoints.iter().find_map(|e| {
            let EndpointData::Tcp(t) = e else { return None };
            let port = u16::try_from(t.port).ok()?;
            crate::adapter::check_blocking_invocation(&t.host, port).err()
        })
    }

    /// [`ObjectPrx::invoke`], waiting for the reply on the calling thread (refused on a
    /// runtime thread with [`Error::WouldBlock`]).
    pub fn invoke_blocking(
        &self,
        operation: &str,
        mode: OperationMode,
        params: &[u8],
        context: Option<&Context>,
    ) -> Result<Reply> {
        self.invoke(operation, mode, params, context).wait()
    }

    async fn invoke_with_retries(
        &self,
        mut message: Vec<u8>,
        twoway: bool,
        idempotent: bool,
    ) -> Result<Option<protocol::ReplyMessage>> {
        let intervals = if self.inner.fixed.is_some() {
            &[][..]
        } else {
            &self.inner.communicator.client_defaults().retry_intervals[..]
        };
        let compress = self.compress();
        let mut attempt = 0;
        loop {
            let last = attempt >= intervals.len();
            let msg = if last {
                std::mem::take(&mut message)
            } else {
                message.clone()
            };
            let result = match self.connection().await {
                Ok(c) => c.invoke(msg, twoway, compress).await,
                Err(error) => Err(InvokeFailure { error, sent: false }),
            };
            // Ice retries an indirect proxy whose object does not exist: the locator's answer
            // may be stale (the cache entry of a well-known object is dropped first).
            let stale = matches!(
                &result,
                Ok(Some(protocol::ReplyMessage {
                    body: protocol::ReplyBody::NotExist {
                        status: ReplyStatus::ObjectNotExist,
                        ..
                    },
                    ..
                }))
            ) && self.inner.data.endpoints.is_empty()
                && self.inner.fixed.is_none();
            if stale && !last {
                if self.inner.data.adapter_id.is_empty() {
                    self.inner
                        .communicator
                        .forget_endpoints(&LocatorKey::Object(self.inner.data.identity.clone()));
                }
                attempt += 1;
                continue;
            }
            match result {
                Ok(reply) => return Ok(reply),
                Err(f) => {
                    if last || !retryable(&f.error, f.sent, idempotent) {
                        return Err(f.error);
                    }
                    if self.inner.communicator.is_destroyed() {
                        return Err(Error::CommunicatorDestroyed);
                    }
                    tracing::debug!(target: "Ice.Retry", "retrying after: {}", f.error);
                    if let Some(d) = intervals.get(attempt) {
                        if !d.is_zero() {
                            tokio::time::sleep(*d).await;
                        }
                    }
                    attempt += 1;
                }
            }
        }
    }

    async fn send_batch(&self, message: Vec<u8>) -> Result<()> {
        let c = self.connection().await?;
        c.invoke(message, false, self.compress())
            .await
            .map(|_| ())
            .map_err(|f| f.error)
    }

    /// Sends the queued batch requests of this (batch) proxy in one message.
    pub fn ice_flush_batch_requests(&self) -> impl Future<Output = Result<()>> + Send + 'static {
        let message = self.inner.batch.as_ref().and_then(|b| b.take_message());
        let me = self.clone();
        let task = message.map(|m| self.spawn(async move { me.send_batch(m).await }));
        async move {
            match task {
                Some(t) => t.await,
                None => Ok(()),
            }
        }
    }

    /// `Ok` on a twoway proxy, else [`Error::TwowayOnly`] naming `operation`: generated proxies
    /// call it for operations that return something (as Ice's `checkTwowayOnly`).
    pub fn require_twoway(&self, operation: &str) -> Result<()> {
        if self.ice_is_twoway() {
            Ok(())
        } else {
            Err(Error::TwowayOnly(format!(
                "`{operation}' returns a result and needs a twoway proxy"
            )))
        }
    }

    /// Sends `ice_ping` (mode nonmutating, as Ice does).
    pub fn ice_ping(&self) -> impl Future<Output = Result<()>> + Send + 'static {
        let call = self.invoke("ice_ping", OperationMode::Nonmutating, &[], None);
        async move {
            call.await?.into_ok_payload()?;
            Ok(())
        }
    }

    /// Asks whether the object implements `type_id`.
    pub fn ice_is_a(&self, type_id: &str) -> impl Future<Output = Result<bool>> + Send + 'static {
        let check = self.require_twoway("ice_isA");
        let mut params = OutputStream::new();
        params.write_string(type_id);
        let call = self.invoke(
            "ice_isA",
            OperationMode::Nonmutating,
            params.as_slice(),
            None,
        );
        async move {
            check?;
            let reply = call.await?;
            let payload = reply.into_ok_payload()?;
            Ok(InputStream::new(&payload).read_bool()?)
        }
    }

    /// The most derived type id of the object.
    pub fn ice_id(&self) -> impl Future<Output = Result<String>> + Send + 'static {
        let check = self.require_twoway("ice_id");
        let call = self.invoke("ice_id", OperationMode::Nonmutating, &[], None);
        async move {
            check?;
            let payload = call.await?.into_ok_payload()?;
            Ok(InputStream::new(&payload).read_string()?)
        }
    }

    /// Every type id of the object, sorted.
    pub fn ice_ids(&self) -> impl Future<Output = Result<Vec<String>>> + Send + 'static {
        let check = self.require_twoway("ice_ids");
        let call = self.invoke("ice_ids", OperationMode::Nonmutating, &[], None);
        async move {
            check?;
            let payload = call.await?.into_ok_payload()?;
            let mut input = InputStream::new(&payload);
            let n = input.read_count(1)?;
            let mut ids = Vec::with_capacity(n);
            for _ in 0..n {
                ids.push(input.read_string()?);
            }
            Ok(ids)
        }
    }

    /// `T` for this object if it implements `T` (asks the server with `ice_isA`), else `None`.
    pub fn checked_cast<T>(&self) -> impl Future<Output = Result<Option<T>>> + Send + 'static
    where
        T: TypedProxy + Send + 'static,
    {
        let call = self.ice_is_a(T::TYPE_ID);
        let me = self.clone();
        async move {
            Ok(if call.await? {
                Some(T::from_object_prx(me))
            } else {
                None
            })
        }
    }

    /// `T` for this object without asking the server.
    pub fn unchecked_cast<T: TypedProxy>(&self) -> T {
        T::from_object_prx(self.clone())
    }
}
