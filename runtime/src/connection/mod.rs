//! Connections: one TCP socket speaking the Ice protocol, client or server side.
//!
//! Each connection runs three tasks on the tokio runtime, all of which end when the connection
//! reaches the `Closed` state (whoever triggers it):
//! * the **reader** reads whole messages (header checked before anything is allocated),
//!   delivers replies to waiting invocations by request id, and hands requests to the
//!   [`RequestHandler`] in arrival order, holding one dispatch permit per request so that at
//!   most `MaxDispatches` are outstanding (it stops reading at the limit: back-pressure);
//! * the **writer** writes queued messages in order, all those queued at the time in one
//!   vectored write; the queue is bounded in bytes (`write_queue_max`): invocations wait for
//!   room, replies that find no room mean that the peer stopped reading, and the connection is
//!   closed. A reply completed while nothing is queued (and, on a dispatch thread, with no
//!   other request waiting for that thread) is written to the socket by the completing thread
//!   itself, without waking the writer; what the socket does not take is queued;
//! * the **monitor** implements Ice 3.7's ACM (heartbeats and idle/timeout closing).
//!
//! A connection never panics or grows without bound on hostile input: any protocol violation
//! closes it (without a close message, as Ice does) and fails every pending invocation at once.

mod config;
mod listener;

pub use config::{AcmClose, AcmConfig, AcmHeartbeat, ConnectionConfig, Side};
pub use listener::{listen, listen_endpoint, Listener};

use crate::error::{Error, Result};
use crate::identity::ReplyStatus;
use crate::incoming::{IncomingRequest, ReplySink, RequestHandler, Responder, HEADER_SIZE};
use crate::protocol::{
    self, Message, MessageType, ReplyMessage, CLOSE_CONNECTION, VALIDATE_CONNECTION,
};
use crate::transport::{self, map_io_error};
use bytes::BytesMut;
use parking_lot::{Mutex, MutexGuard};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, watch, Notify, OwnedSemaphorePermit, Semaphore};

/// Where a connection is in its life.
#[derive(Clone, Debug)]
enum State {
    /// Requests and replies flow.
    Active,
    /// A graceful close was started: no new invocations; a server ignores new requests.
    Closing,
    /// The socket is closed (or being closed); the error says why.
    Closed(Error),
}

/// An outgoing message and the share of the write queue it holds until written.
struct Outgoing {
    bytes: Vec<u8>,
    /// How much of `bytes` was already written (by a direct write that the socket did not
    /// take whole).
    start: usize,
    _budget: Option<OwnedSemaphorePermit>,
}

impl Outgoing {
    /// A whole message to write.
    fn new(bytes: Vec<u8>, budget: Option<OwnedSemaphorePermit>) -> Outgoing {
        Outgoing {
            bytes,
            start: 0,
            _budget: budget,
        }
    }

    /// What remains to be written.
    fn rest(&self) -> &[u8] {
        self.bytes.get(self.start..).unwrap_or_default()
    }
}

/// Lets the thread that completes a reply write it to the socket itself (no wake-up of the
/// writer task) when nothing is queued. Messages stay whole on the wire: a direct write
/// happens only with `queued == 0` and under this lock, and whatever part of it the socket
/// does not take is queued before the lock is released, so the writer sends it next.
struct Direct {
    /// Messages in the channel or being written by the writer task.
    queued: usize,
    /// The socket's write half while the writer task runs.
    wr: Option<Arc<OwnedWriteHalf>>,
    /// Replies held back while the reader dispatches, on its own thread, a request with more
    /// requests already received behind it: the burst's replies leave in one write. Always
    /// written before anything else, so order is kept; at most [`CORK_MAX`] bytes.
    cork: Vec<u8>,
}

/// The most bytes of replies held in a connection's cork.
const CORK_MAX: usize = 64 * 1024;

/// `message` behind the replies held in the cork, which is emptied: what a direct write
/// sends so that the corked replies keep their place.
fn after_cork(direct: &mut Direct, message: Vec<u8>) -> Vec<u8> {
    if direct.cork.is_empty() {
        return message;
    }
    let mut bytes = std::mem::take(&mut direct.cork);
    bytes.extend_from_slice(&message);
    bytes
}

thread_local! {
    /// The connection (the address of its `Shared`) whose reader, on this thread, is
    /// dispatching a request with another complete request behind it; 0 for none.
    static CORKED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Invocations waiting for their reply, by request id.
struct Pending {
    next_id: i32,
    calls: HashMap<i32, oneshot::Sender<Result<ReplyMessage>>>,
}

/// Why an invocation failed, and whether its request had been handed to the connection
/// (which decides whether it may be retried).
#[derive(Debug)]
pub struct InvokeFailure {
    /// The error.
    pub error: Error,
    /// Whether the request may have reached the peer.
    pub sent: bool,
}

struct Shared {
    config: ConnectionConfig,
    description: Arc<str>,
    local: SocketAddr,
    remote: SocketAddr,
    /// Unbounded as a channel, bounded in bytes by `write_budget`.
    out: mpsc::UnboundedSender<Outgoing>,
    /// Who may write to the socket now: see [`Direct`]. Whoever holds it lets go through
    /// [`Shared::release_direct`].
    direct: Mutex<Direct>,
    /// Replies completed by other threads while one held `direct`, which sends them before
    /// it lets go (so that completing threads never wait for each other's writes); at most
    /// [`CORK_MAX`] bytes.
    combined: Mutex<Vec<u8>>,
    write_budget: Arc<Semaphore>,
    budget_max: u32,
    pending: Mutex<Pending>,
    pending_empty: Notify,
    state: watch::Sender<State>,
    dispatches: Arc<Semaphore>,
    dispatch_max: u32,
    /// Who dispatches the requests that arrive: the accepting adapter on a server
    /// connection; on a client connection none, or the adapter set by
    /// [`Connection::set_adapter`] (bidirectional connections).
    handler: parking_lot::RwLock<Option<Arc<dyn RequestHandler>>>,
    started: Instant,
    last_read: AtomicU64,
    last_write: AtomicU64,
}

/// A connection to a peer (cheap to clone; all clones are the same connection).
#[derive(Clone)]
pub struct Connection {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("local", &self.shared.local)
            .field("remote", &self.shared.remote)
            .finish()
    }
}

impl PartialEq for Connection {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl Eq for Connection {}

async fn wait_closed(rx: &mut watch::Receiver<State>) {
    let _ = rx.wait_for(|s| matches!(s, State::Closed(_))).await;
}

/// Opens a client connection to `host:port` and waits for the server's validation message,
/// all within `config.connect_timeout`.
pub async fn connect(host: &str, port: u16, config: ConnectionConfig) -> Result<Connection> {
    let what = format!("{host}:{port}");
    let limit = config.connect_timeout;
    let attempt = async {
        let mut stream = transport::connect_tcp(host, port).await?;
        let mut header = [0u8; HEADER_SIZE];
        stream
            .read_exact(&mut header)
            .await
            .map_err(|e| map_io_error(&e, &format!("validating the connection to {what}")))?;
        let h = protocol::parse_header(&header, config.message_size_max)?;
        if h.message_type != MessageType::ValidateConnection {
            return Err(Error::Protocol(format!(
                "connection to {what} not validated: received a {:?} message first",
                h.message_type
            )));
        }
        Ok(stream)
    };
    let stream = tokio::time::timeout(limit, attempt).await.map_err(|_| {
        Error::ConnectTimeout(format!(
            "{what}: no validated connection within {} ms",
            limit.as_millis()
        ))
    })??;
    Connection::start(stream, config, None)
}

impl Connection {
    /// Starts the tasks of an established (validated) connection.
    fn start(
        stream: TcpStream,
        config: ConnectionConfig,
        handler: Option<Arc<dyn RequestHandler>>,
    ) -> Result<Connection> {
        let local = stream
            .local_addr()
            .map_err(|e| Error::Socket(format!("local address: {e}")))?;
        let remote = stream
            .peer_addr()
            .map_err(|e| Error::Socket(format!("remote address: {e}")))?;
        let (rd, wr) = stream.into_split();
        let wr = Arc::new(wr);
        let (out, out_rx) = mpsc::unbounded_channel();
        let budget_max = u32::try_from(config.write_queue_max.max(HEADER_SIZE)).unwrap_or(u32::MAX);
        let dispatch_max = u32::try_from(config.max_dispatches.max(1)).unwrap_or(u32::MAX);
        let shared = Arc::new(Shared {
            description: format!("local address = {local}\nremote address = {remote}").into(),
            local,
            remote,
            out,
            direct: Mutex::new(Direct {
                queued: 0,
                wr: Some(wr.clone()),
                cork: Vec::new(),
            }),
            combined: Mutex::new(Vec::new()),
            write_budget: Arc::new(Semaphore::new(budget_max as usize)),
            budget_max,
            pending: Mutex::new(Pending {
                next_id: 1,
                calls: HashMap::new(),
            }),
            pending_empty: Notify::new(),
            state: watch::Sender::new(State::Active),
            dispatches: Arc::new(Semaphore::new(dispatch_max as usize)),
            dispatch_max,
            handler: parking_lot::RwLock::new(handler),
            started: Instant::now(),
            last_read: AtomicU64::new(0),
            last_write: AtomicU64::new(0),
            config,
        });
        if shared.config.trace_network >= 1 {
            tracing::info!(target: "Ice.Network", "{} connection established\n{}",
                side_name(shared.config.side), shared.description);
        }
        tokio::spawn(read_loop(shared.clone(), rd));
        tokio::spawn(write_loop(shared.clone(), wr, out_rx));
        if !shared.config.acm.timeout.is_zero() {
            let handle = shared
                .handler
                .read()
                .as_ref()
                .and_then(|h| h.monitor_handle())
                .unwrap_or_else(tokio::runtime::Handle::current);
            drop(handle.spawn(monitor_loop(shared.clone())));
        }
        Ok(Connection { shared })
    }

    /// Accepts a server connection: sends the validation message, then starts the tasks.
    pub(crate) async fn accept(
        mut stream: TcpStream,
        config: ConnectionConfig,
        handler: Arc<dyn RequestHandler>,
    ) -> Result<Connection> {
        let _ = stream.set_nodelay(true);
        tokio::time::timeout(
            config.connect_timeout,
            stream.write_all(&VALIDATE_CONNECTION),
        )
        .await
        .map_err(|_| Error::ConnectTimeout("sending the validation message".into()))?
        .map_err(|e| map_io_error(&e, "sending the validation message"))?;
        Connection::start(stream, config, Some(handler))
    }

    /// Ice's description of the connection: `local address = ...\nremote address = ...`.
    pub fn description(&self) -> &str {
        &self.shared.description
    }

    /// The local socket address.
    pub fn local_addr(&self) -> SocketAddr {
        self.shared.local
    }

    /// The peer's socket address.
    pub fn remote_addr(&self) -> SocketAddr {
        self.shared.remote
    }

    /// The settings in force.
    pub fn config(&self) -> &ConnectionConfig {
        &self.shared.config
    }

    /// Whether new invocations may use this connection.
    pub fn is_active(&self) -> bool {
        matches!(*self.shared.state.borrow(), State::Active)
    }

    /// The reason the connection closed, once it has.
    pub fn close_reason(&self) -> Option<Error> {
        match &*self.shared.state.borrow() {
            State::Closed(e) => Some(e.clone()),
            _ => None,
        }
    }

    /// Number of dispatches in progress (responders alive).
    pub fn dispatch_count(&self) -> usize {
        self.shared.dispatch_count()
    }

    /// Waits until the connection is closed.
    pub async fn closed(&self) {
        let mut rx = self.shared.state.subscribe();
        wait_closed(&mut rx).await;
    }

    /// Closes at once, without a close message; pending invocations fail with `error`.
    pub fn abort(&self, error: Error) {
        self.shared.set_closed(error);
    }

    /// Closes gracefully (Ice's `close(GracefullyWithWait)`): no new invocations; waits for
    /// outstanding dispatches and invocations, sends a close message, and waits (up to the close
    /// timeout) for the peer to close the socket.
    pub async fn close(&self) {
        self.shared.close_gracefully(None).await;
    }

    /// Closes gracefully but fails pending invocations with `error` first (communicator
    /// destruction).
    pub async fn close_failing_pending(&self, error: Error) {
        self.shared.close_gracefully(Some(error)).await;
    }

    /// Lets the peer call objects of `adapter` over this connection (Ice's `setAdapter`): a
    /// server can call back a client behind a firewall through the connection the client
    /// opened. `None` stops dispatching (requests then get `ObjectNotExistException`).
    pub fn set_adapter(&self, adapter: Option<&crate::adapter::ObjectAdapter>) {
        *self.shared.handler.write() = adapter.map(|a| a.request_handler());
    }

    /// A proxy for `identity` that invokes over this connection only (Ice's `createProxy`):
    /// how a server calls back an object of a client that set an adapter on the connection.
    pub fn create_proxy(
        &self,
        communicator: &crate::communicator::Communicator,
        identity: crate::identity::Identity,
    ) -> crate::proxy::ObjectPrx {
        crate::proxy::ObjectPrx::new(
            communicator.clone(),
            crate::encoding::ProxyData::new(identity),
        )
        .ice_fixed(self)
    }

    /// Sends a heartbeat (a validate-connection message).
    pub fn heartbeat(&self) {
        self.shared.send_control(&VALIDATE_CONNECTION);
    }

    /// Sends a request message (header and body complete, request id field 0) and waits for
    /// the reply when `twoway`. The request id is assigned here; with `compress` the message
    /// is compressed as Ice does. Returns `None` for oneway and batch messages once queued.
    pub async fn invoke(
        &self,
        mut message: Vec<u8>,
        twoway: bool,
        compress: bool,
    ) -> std::result::Result<Option<ReplyMessage>, InvokeFailure> {
        let shared = &self.shared;
        let not_sent = |error| InvokeFailure { error, sent: false };
        if let Some(e) = shared.unusable() {
            return Err(not_sent(e));
        }
        let mut guard = None;
        let mut reply_rx = None;
        if twoway {
            let (tx, rx) = oneshot::channel();
            let id = shared.register(tx);
            if let Some(field) = message.get_mut(HEADER_SIZE..HEADER_SIZE + 4) {
                field.copy_from_slice(&id.to_le_bytes());
            }
            guard = Some(PendingGuard {
                shared: shared.clone(),
                id,
            });
            reply_rx = Some(rx);
        }
        if compress {
            message = protocol::compress(message, shared.config.compression_level);
        }
        let want = u32::try_from(message.len())
            .unwrap_or(u32::MAX)
            .min(shared.budget_max);
        let mut state_rx = shared.state.subscribe();
        let budget = tokio::select! {
            p = shared.write_budget.clone().acquire_many_owned(want) => p.ok(),
            _ = wait_closed(&mut state_rx) => None,
        };
        let Some(budget) = budget else {
            return Err(not_sent(shared.unusable().unwrap_or_else(|| {
                Error::ConnectionLost("connection closed".into())
            })));
        };
        // Re-check after waiting: a request queued behind a close message would be ignored.
        if let Some(e) = shared.unusable() {
            return Err(not_sent(e));
        }
        if !shared.enqueue(Outgoing::new(message, Some(budget))) {
            return Err(not_sent(Error::ConnectionLost("connection closed".into())));
        }
        let Some(rx) = reply_rx else { return Ok(None) };
        let result = rx.await;
        drop(guard);
        match result {
            Ok(Ok(reply)) => Ok(Some(reply)),
            Ok(Err(error)) => Err(InvokeFailure {
                // A graceful close by the peer guarantees the request was not dispatched.
                sent: !matches!(error, Error::ConnectionClosed(_)),
                error,
            }),
            Err(_) => Err(InvokeFailure {
                error: Error::ConnectionLost("connection closed".into()),
                sent: true,
            }),
        }
    }
}

/// Removes a pending invocation when its future ends or is dropped (e.g. on timeout).
struct PendingGuard {
    shared: Arc<Shared>,
    id: i32,
}

impl Drop for PendingGuard {
    fn drop(&mut self) {
        self.shared.unregister(self.id);
    }
}

/// The request id after `id`: 1, 2, 3, ... wrapping back to 1 after 2^31-1 (0 means oneway).
fn following_request_id(id: i32) -> i32 {
    if !(1..i32::MAX).contains(&id) {
        1
    } else {
        id + 1
    }
}

fn side_name(side: Side) -> &'static str {
    match side {
        Side::Client => "outgoing",
        Side::Server => "incoming",
    }
}

impl Shared {
    fn elapsed_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    fn dispatch_count(&self) -> usize {
        (self.dispatch_max as usize).saturating_sub(self.dispatches.available_permits())
    }

    /// Why new invocations cannot use the connection, if they cannot.
    fn unusable(&self) -> Option<Error> {
        match &*self.state.borrow() {
            State::Active => None,
            State::Closing => Some(Error::ConnectionClosed(
                "the connection is being closed".into(),
            )),
            State::Closed(e) => Some(e.clone()),
        }
    }

    fn register(&self, tx: oneshot::Sender<Result<ReplyMessage>>) -> i32 {
        let mut p = self.pending.lock();
        loop {
            let id = p.next_id;
            p.next_id = following_request_id(id);
            if let std::collections::hash_map::Entry::Vacant(v) = p.calls.entry(id) {
                v.insert(tx);
                return id;
            }
        }
    }

    fn unregister(&self, id: i32) {
        let mut p = self.pending.lock();
        if p.calls.remove(&id).is_some() && p.calls.is_empty() {
            self.pending_empty.notify_waiters();
        }
    }

    fn has_pending(&self) -> bool {
        !self.pending.lock().calls.is_empty()
    }

    /// Moves to `Closed` (once) and fails every pending invocation with `error`.
    fn set_closed(&self, error: Error) {
        let changed = self.state.send_if_modified(|s| {
            if matches!(s, State::Closed(_)) {
                false
            } else {
                *s = State::Closed(error.clone());
                true
            }
        });
        if !changed {
            return;
        }
        if self.config.trace_network >= 1 {
            tracing::info!(target: "Ice.Network", "closing {} connection: {error}\n{}",
                side_name(self.config.side), self.description);
        }
        let calls = std::mem::take(&mut self.pending.lock().calls);
        for (_, tx) in calls {
            let _ = tx.send(Err(error.clone()));
        }
        self.pending_empty.notify_waiters();
    }

    fn fail_pending(&self, error: &Error) {
        let calls = std::mem::take(&mut self.pending.lock().calls);
        for (_, tx) in calls {
            let _ = tx.send(Err(error.clone()));
        }
        self.pending_empty.notify_waiters();
    }

    /// Queues a message for the writer task; false when the writer is gone.
    fn enqueue(&self, message: Outgoing) -> bool {
        let mut direct = self.direct.lock();
        self.queue_cork(&mut direct);
        direct.queued += 1;
        let sent = self.out.send(message).is_ok();
        self.release_direct(direct, None);
        sent
    }

    /// Moves the corked replies to the writer's queue (ahead of what is queued next).
    fn queue_cork(&self, direct: &mut Direct) {
        if direct.cork.is_empty() {
            return;
        }
        direct.queued += 1;
        let _ = self
            .out
            .send(Outgoing::new(std::mem::take(&mut direct.cork), None));
    }

    /// Whether replies sent from this thread now go to the cork.
    fn corked_here(&self) -> bool {
        CORKED.with(std::cell::Cell::get) == self as *const Shared as usize
    }

    /// Ends corking on this thread and sends what the cork holds.
    fn uncork(&self) {
        CORKED.with(|c| c.set(0));
        let mut direct = self.direct.lock();
        let failure = if direct.cork.is_empty() {
            None
        } else if direct.queued > 0 {
            self.queue_cork(&mut direct);
            None
        } else {
            let cork = after_cork(&mut direct, Vec::new());
            self.write_now(&mut direct, cork)
        };
        self.release_direct(direct, failure);
    }

    /// Writes `bytes` to the socket at once (nothing may be queued), queueing what the socket
    /// does not take; the error to close with, if any.
    fn write_now(&self, direct: &mut Direct, bytes: Vec<u8>) -> Option<Error> {
        let mut written = 0;
        if let Some(wr) = &direct.wr {
            match wr.as_ref().try_write(&bytes) {
                Ok(n) if n >= bytes.len() => {
                    self.last_write.store(self.elapsed_ms(), Ordering::Relaxed);
                    return None;
                }
                Ok(n) => written = n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => return Some(map_io_error(&e, "write")),
            }
        }
        self.queue_reply(direct, bytes, written)
    }

    /// Queues a reply for the writer within the write budget; the error to close with when
    /// the budget is exhausted (the peer does not read).
    fn queue_reply(&self, direct: &mut Direct, bytes: Vec<u8>, written: usize) -> Option<Error> {
        let want = u32::try_from(bytes.len() - written)
            .unwrap_or(u32::MAX)
            .min(self.budget_max);
        match self.write_budget.clone().try_acquire_many_owned(want) {
            Ok(budget) => {
                direct.queued += 1;
                let _ = self.out.send(Outgoing {
                    bytes,
                    start: written,
                    _budget: Some(budget),
                });
                None
            }
            Err(_) => Some(Error::ConnectionLost(format!(
                "the peer does not read its replies: more than {} bytes are waiting to be written",
                self.budget_max
            ))),
        }
    }

    /// Sends a small control message (validate, close) after everything queued before it:
    /// written at once when nothing is queued (so that heartbeats leave even while the thread
    /// of the connection's tasks is busy), queued outside the write budget otherwise.
    fn send_control(&self, message: &[u8]) {
        if matches!(*self.state.borrow(), State::Closed(_)) {
            return;
        }
        let mut direct = self.direct.lock();
        let failure = if direct.queued == 0 && self.config.trace_protocol < 1 {
            let bytes = after_cork(&mut direct, message.to_vec());
            self.write_now(&mut direct, bytes)
        } else {
            self.queue_cork(&mut direct);
            direct.queued += 1;
            let _ = self.out.send(Outgoing::new(message.to_vec(), None));
            None
        };
        self.release_direct(direct, failure);
    }

    /// Sends a reply without waiting: written to the socket at once when nothing is queued
    /// and the socket takes it, queued otherwise; a full queue means the peer does not read:
    /// close.
    fn send_reply(&self, message: Vec<u8>) {
        if matches!(*self.state.borrow(), State::Closed(_)) {
            return;
        }
        let corked = self.corked_here();
        let mut direct = match self.direct.try_lock() {
            Some(d) => d,
            // The reader keeps its replies in order: it waits for the lock.
            None if corked => self.direct.lock(),
            None => {
                // Another thread is writing: it sends this reply too before it lets go.
                let mut combined = self.combined.lock();
                if combined.len() + message.len() <= CORK_MAX {
                    combined.extend_from_slice(&message);
                    drop(combined);
                    // It may have looked before the reply was added: whoever holds the lock
                    // next (this thread, if no one does) sends it.
                    if let Some(d) = self.direct.try_lock() {
                        self.release_direct(d, None);
                    }
                    return;
                }
                drop(combined);
                self.direct.lock()
            }
        };
        let failure = self.send_reply_locked(&mut direct, message, corked);
        self.release_direct(direct, failure);
    }

    /// [`Shared::send_reply`] with the write lock held. `corkable`: the reply may wait in the
    /// cork (it comes from the reader, dispatching on its own thread, with more requests
    /// behind). Returns the error to close with, if any.
    fn send_reply_locked(
        &self,
        direct: &mut Direct,
        message: Vec<u8>,
        corkable: bool,
    ) -> Option<Error> {
        // With protocol tracing on, every message goes through the writer, which traces it.
        // A dispatch thread with more requests to run leaves the reply to the writer, which
        // then sends the replies of the whole burst together.
        if direct.queued == 0
            && self.config.trace_protocol < 1
            && !crate::dispatch::pool::more_work_queued()
        {
            if corkable && direct.cork.len() + message.len() <= CORK_MAX {
                direct.cork.extend_from_slice(&message);
                return None;
            }
            let bytes = after_cork(direct, message);
            self.write_now(direct, bytes)
        } else {
            self.queue_cork(direct);
            self.queue_reply(direct, message, 0)
        }
    }

    /// Lets go of the write lock, after sending the replies that other threads left in
    /// `combined` while it was held; then closes with `failure`, if any.
    fn release_direct<'a>(
        &'a self,
        mut direct: MutexGuard<'a, Direct>,
        mut failure: Option<Error>,
    ) {
        loop {
            let replies = std::mem::take(&mut *self.combined.lock());
            if !replies.is_empty() {
                if failure.is_none() {
                    failure = self.send_reply_locked(&mut direct, replies, false);
                }
                continue;
            }
            drop(direct);
            // A reply added after the look above: send it, unless another thread holds the
            // lock now (it looks again before it lets go).
            if self.combined.lock().is_empty() {
                break;
            }
            match self.direct.try_lock() {
                Some(d) => direct = d,
                None => break,
            }
        }
        if let Some(e) = failure {
            self.set_closed(e);
        }
    }

    async fn close_gracefully(self: &Arc<Self>, fail_with: Option<Error>) {
        let started = self.state.send_if_modified(|s| {
            if matches!(s, State::Active) {
                *s = State::Closing;
                true
            } else {
                false
            }
        });
        let mut state_rx = self.state.subscribe();
        if !started {
            // Someone else is closing: just wait for the end.
            wait_closed(&mut state_rx).await;
            return;
        }
        if let Some(e) = &fail_with {
            self.fail_pending(e);
        }
        // Wait for outstanding dispatches (their replies are queued before the close message)
        // and for outstanding invocations.
        let drained = async {
            let _all = self.dispatches.acquire_many(self.dispatch_max).await;
            loop {
                let notified = self.pending_empty.notified();
                if !self.has_pending() {
                    break;
                }
                notified.await;
            }
        };
        tokio::select! {
            () = drained => {}
            () = wait_closed(&mut state_rx) => return,
        }
        self.send_control(&CLOSE_CONNECTION);
        let timeout = self.config.close_timeout;
        if tokio::time::timeout(timeout, wait_closed(&mut state_rx))
            .await
            .is_err()
        {
            self.set_closed(Error::ConnectionClosed(format!(
                "closed gracefully (the peer did not close the socket within {} ms)",
                timeout.as_millis()
            )));
        }
    }

    /// With `Ice.Trace.Protocol` >= 1, logs a message as Ice's protocol trace does.
    fn trace_message(&self, direction: &str, bytes: &[u8]) {
        if self.config.trace_protocol < 1 {
            return;
        }
        let kind = match bytes.get(8).copied().and_then(MessageType::from_byte) {
            Some(MessageType::Request) => "request",
            Some(MessageType::BatchRequest) => "batch request",
            Some(MessageType::Reply) => "reply",
            Some(MessageType::ValidateConnection) => "validate connection",
            Some(MessageType::CloseConnection) => "close connection",
            None => "unknown message",
        };
        let id = match bytes.get(8) {
            Some(0 | 2) => bytes
                .get(HEADER_SIZE..HEADER_SIZE + 4)
                .map(|b| {
                    format!(
                        "\nrequest id = {}",
                        i32::from_le_bytes([b[0], b[1], b[2], b[3]])
                    )
                })
                .unwrap_or_default(),
            _ => String::new(),
        };
        tracing::info!(target: "Ice.Protocol",
            "{direction} {kind}\ncompression status = {}\nmessage size = {}{id}\n{}",
            bytes.get(9).copied().unwrap_or(0), bytes.len(), self.description);
    }
}

/// The largest rest of a message the reader makes room for in one step.
const READ_AT_ONCE_MAX: usize = 2 << 20;

/// Reads one whole message into `buf`'s front and splits it off. `Ok(None)` means the
/// connection was closed by someone else meanwhile.
async fn read_frame(
    shared: &Shared,
    rd: &mut OwnedReadHalf,
    buf: &mut BytesMut,
    state_rx: &mut watch::Receiver<State>,
) -> Result<Option<(protocol::Header, BytesMut)>> {
    loop {
        if let Some(header) = front_header(buf, shared.config.message_size_max) {
            let header = header?;
            if buf.len() >= header.size {
                return Ok(Some((header, buf.split_to(header.size))));
            }
            // Room for the rest of the message at once when it is at most 2 MiB (one buffer,
            // no regrowth copying what was read); beyond, grow with the data actually
            // received (doubling), not with what the header announces.
            let missing = header.size - buf.len();
            buf.reserve(if missing <= READ_AT_ONCE_MAX {
                missing
            } else {
                buf.len().max(READ_AT_ONCE_MAX / 2)
            });
        } else {
            buf.reserve(4096);
        }
        // `read_buf` is cancel-safe, so racing it against the close signal loses nothing.
        let n = tokio::select! {
            r = rd.read_buf(buf) => r.map_err(|e| map_io_error(&e, "read"))?,
            () = wait_closed(state_rx) => return Ok(None),
        };
        if n == 0 {
            return Err(if buf.is_empty() {
                Error::ConnectionLost("the peer closed the connection".into())
            } else {
                Error::ConnectionLost(format!(
                    "the peer closed the connection in the middle of a message ({} bytes read)",
                    buf.len()
                ))
            });
        }
    }
}

async fn read_loop(shared: Arc<Shared>, mut rd: OwnedReadHalf) {
    let mut buf = BytesMut::with_capacity(8192);
    let mut state_rx = shared.state.subscribe();
    let error = loop {
        let (header, frame) = match read_frame(&shared, &mut rd, &mut buf, &mut state_rx).await {
            Ok(Some(f)) => f,
            Ok(None) => return,
            Err(e) => break e,
        };
        shared
            .last_read
            .store(shared.elapsed_ms(), Ordering::Relaxed);
        shared.trace_message("received", &frame);
        match header.message_type {
            MessageType::ValidateConnection => continue,
            MessageType::CloseConnection => {
                break Error::ConnectionClosed("closed gracefully by the peer".into());
            }
            _ => {}
        }
        let message = if header.compression == 2 {
            match protocol::decompress(&frame, shared.config.message_size_max) {
                Ok(m) => bytes::Bytes::from(m),
                Err(e) => break e,
            }
        } else {
            frame.freeze()
        };
        // Request parameters are views of `body`, not copies.
        let body = message.slice(HEADER_SIZE..);
        let decoded = protocol::decode_body(header.message_type, &body, &shared.description);
        let compress_replies = header.compression > 0;
        match decoded {
            Err(e) => break e,
            Ok(Message::Reply(reply)) => {
                let tx = shared.pending.lock().calls.remove(&reply.request_id);
                if let Some(tx) = tx {
                    let _ = tx.send(Ok(reply));
                }
            }
            Ok(Message::Request(request)) => {
                // Another whole request already received: hold this one's reply back and
                // send the burst's replies together.
                let more = next_request_complete(&buf, shared.config.message_size_max);
                if more {
                    CORKED.with(|c| c.set(Arc::as_ptr(&shared) as usize));
                }
                if !dispatch(&shared, request, compress_replies, &mut state_rx).await {
                    return;
                }
                if !more {
                    shared.uncork();
                }
            }
            Ok(Message::BatchRequest(requests)) => {
                for request in requests {
                    if !dispatch(&shared, request, compress_replies, &mut state_rx).await {
                        return;
                    }
                }
            }
            Ok(Message::ValidateConnection | Message::CloseConnection) => {}
        }
    };
    shared.set_closed(error);
}

/// The checked header at the front of `buf`, once its 14 bytes are there.
fn front_header(buf: &[u8], message_size_max: usize) -> Option<Result<protocol::Header>> {
    let bytes: &[u8; HEADER_SIZE] = buf.get(..HEADER_SIZE)?.try_into().ok()?;
    Some(protocol::parse_header(bytes, message_size_max))
}

/// Whether `buf` starts with a whole request message (uncompressed, with a valid header).
fn next_request_complete(buf: &[u8], message_size_max: usize) -> bool {
    matches!(front_header(buf, message_size_max),
        Some(Ok(header)) if header.message_type == MessageType::Request && buf.len() >= header.size)
}

/// Hands one request to the handler once a dispatch permit is free. Returns false when the
/// connection closed while waiting.
async fn dispatch(
    shared: &Arc<Shared>,
    request: IncomingRequest,
    compress: bool,
    state_rx: &mut watch::Receiver<State>,
) -> bool {
    if matches!(*shared.state.borrow(), State::Closing) && shared.config.side == Side::Server {
        // A closing server ignores new requests; the client retries them elsewhere.
        return true;
    }
    let handler = shared.handler.read().clone();
    if let Some(handler) = &handler {
        // Adapter-wide back-pressure: while the adapter's dispatch queue is full (or the
        // adapter is holding), this connection reads nothing more, so TCP pushes back on
        // the client instead of requests piling up in memory.
        let mut ready = std::pin::pin!(std::future::poll_fn(|cx| handler.poll_ready(cx)));
        if futures::FutureExt::now_or_never(ready.as_mut()).is_none() {
            // Nothing waits in the cork while this connection waits.
            shared.uncork();
            tokio::select! {
                () = ready => {}
                () = wait_closed(state_rx) => return false,
            }
        }
    }
    let permit = match shared.dispatches.clone().try_acquire_owned() {
        Ok(p) => p,
        Err(tokio::sync::TryAcquireError::Closed) => return false,
        Err(tokio::sync::TryAcquireError::NoPermits) => {
            shared.uncork();
            tokio::select! {
                p = shared.dispatches.clone().acquire_owned() => match p {
                    Ok(p) => p,
                    Err(_) => return false,
                },
                () = wait_closed(state_rx) => return false,
            }
        }
    };
    let sink = Box::new(ServerSink {
        shared: shared.clone(),
        compress,
        _permit: permit,
    });
    let responder = Responder::new(request.request_id, sink);
    let mut request = request;
    request.connection = Some(Connection {
        shared: Arc::clone(shared),
    });
    match &handler {
        Some(handler) => handler.handle_request(request, responder),
        None => {
            // No object adapter on this (client) connection: as Ice, the object does not exist.
            if !responder.is_oneway() {
                let mut out = responder.start_reply(ReplyStatus::ObjectNotExist, 64);
                protocol::write_target(
                    &mut out,
                    &request.identity,
                    &request.facet,
                    &request.operation,
                );
                responder.send(out);
            }
        }
    }
    true
}

/// The connection's side of a [`Responder`]: holds a dispatch permit until the reply is sent.
struct ServerSink {
    shared: Arc<Shared>,
    compress: bool,
    _permit: OwnedSemaphorePermit,
}

impl ReplySink for ServerSink {
    fn send_reply(self: Box<Self>, message: Vec<u8>) {
        let message = if self.compress {
            protocol::compress(message, self.shared.config.compression_level)
        } else {
            message
        };
        self.shared.send_reply(message);
    }

    fn finish_without_reply(self: Box<Self>) {}
}

/// The most messages one write gathers (well under the kernel's `IOV_MAX`).
const BATCH_MAX_MESSAGES: usize = 64;

/// The most bytes one write gathers once it holds more than one message.
const BATCH_MAX_BYTES: usize = 256 * 1024;

async fn write_loop(
    shared: Arc<Shared>,
    wr: Arc<OwnedWriteHalf>,
    mut rx: mpsc::UnboundedReceiver<Outgoing>,
) {
    let mut state_rx = shared.state.subscribe();
    let mut batch: Vec<Outgoing> = Vec::with_capacity(BATCH_MAX_MESSAGES);
    loop {
        let msg = tokio::select! {
            m = rx.recv() => match m {
                Some(m) => m,
                None => break,
            },
            () = wait_closed(&mut state_rx) => break,
        };
        // Every message already queued goes out with this one, in one system call.
        let mut size = msg.rest().len();
        batch.push(msg);
        while batch.len() < BATCH_MAX_MESSAGES && size < BATCH_MAX_BYTES {
            match rx.try_recv() {
                Ok(m) => {
                    size += m.rest().len();
                    batch.push(m);
                }
                Err(_) => break,
            }
        }
        for m in &batch {
            shared.trace_message("sending", &m.bytes);
        }
        let result = tokio::select! {
            r = write_with_progress(wr.as_ref().as_ref(), &batch, shared.config.write_timeout) => r,
            () = wait_closed(&mut state_rx) => break,
        };
        {
            let mut direct = shared.direct.lock();
            direct.queued = direct.queued.saturating_sub(batch.len());
            shared.release_direct(direct, None);
        }
        // Written: the messages give their share of the write queue back.
        batch.clear();
        if let Err(e) = result {
            shared.set_closed(e);
            break;
        }
        shared
            .last_write
            .store(shared.elapsed_ms(), Ordering::Relaxed);
    }
    // Dropping the last handle on the write half shuts the socket's sending side down.
    let mut direct = shared.direct.lock();
    direct.wr = None;
    shared.release_direct(direct, None);
    drop(wr);
}

/// Writes every message of `batch` in order (vectored writes), failing when a write makes no
/// progress for `limit` (zero: no limit): a peer that stopped reading cannot hold the
/// connection forever.
async fn write_with_progress(wr: &TcpStream, batch: &[Outgoing], limit: Duration) -> Result<()> {
    // The first message not completely written, and how much of it was.
    let (mut index, mut offset) = (0, 0);
    while index < batch.len() {
        let slices: Vec<std::io::IoSlice<'_>> = batch[index..]
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let rest = m.rest();
                std::io::IoSlice::new(if i == 0 { &rest[offset..] } else { rest })
            })
            .collect();
        let write = write_vectored(wr, &slices);
        let n = if limit.is_zero() {
            write.await
        } else {
            tokio::time::timeout(limit, write).await.map_err(|_| {
                Error::ConnectionLost(format!(
                    "write timed out: the peer read nothing for {} ms",
                    limit.as_millis()
                ))
            })?
        }
        .map_err(|e| map_io_error(&e, "write"))?;
        let empty_left = slices.iter().all(|s| s.is_empty());
        if n == 0 && !empty_left {
            return Err(Error::ConnectionLost("write returned 0 bytes".into()));
        }
        let mut n = n;
        while let Some(m) = batch.get(index) {
            let left = m.rest().len() - offset;
            if n < left {
                offset += n;
                break;
            }
            n -= left;
            index += 1;
            offset = 0;
        }
    }
    Ok(())
}

/// One vectored write once the socket is writable (`&TcpStream`: direct writers share it).
async fn write_vectored(wr: &TcpStream, slices: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
    loop {
        wr.writable().await?;
        match wr.try_write_vectored(slices) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            r => return r,
        }
    }
}

async fn monitor_loop(shared: Arc<Shared>) {
    let acm = shared.config.acm;
    let timeout_ms = acm.timeout.as_millis() as u64;
    let period = (acm.timeout / 2).max(Duration::from_millis(50));
    let mut state_rx = shared.state.subscribe();
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = wait_closed(&mut state_rx) => return,
        }
        let now = shared.elapsed_ms();
        let last_write = shared.last_write.load(Ordering::Relaxed);
        let last_read = shared.last_read.load(Ordering::Relaxed);
        let write_idle = now.saturating_sub(last_write) >= timeout_ms / 4;
        let send = match acm.heartbeat {
            AcmHeartbeat::Off => false,
            AcmHeartbeat::Always => true,
            AcmHeartbeat::OnIdle => write_idle,
            AcmHeartbeat::OnDispatch => write_idle && shared.dispatch_count() > 0,
        };
        if send {
            shared.send_control(&VALIDATE_CONNECTION);
        }
        let read_idle = now.saturating_sub(last_read) >= timeout_ms;
        let idle = read_idle && now.saturating_sub(last_write) >= timeout_ms;
        let busy = shared.has_pending();
        let forceful = match acm.close {
            AcmClose::OnIdleForceful => read_idle,
            AcmClose::OnInvocation | AcmClose::OnInvocationAndIdle => read_idle && busy,
            _ => false,
        };
        if forceful {
            shared.set_closed(Error::ConnectionLost(format!(
                "connection timed out: nothing received for {} s (ACM)",
                acm.timeout.as_secs()
            )));
            return;
        }
        let graceful = matches!(acm.close, AcmClose::OnIdle | AcmClose::OnInvocationAndIdle)
            && idle
            && !busy
            && shared.dispatch_count() == 0;
        if graceful {
            shared.close_gracefully(None).await;
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::following_request_id;

    #[test]
    fn request_ids_wrap_after_i32_max_and_skip_zero() {
        assert_eq!(following_request_id(1), 2);
        assert_eq!(following_request_id(i32::MAX - 1), i32::MAX);
        assert_eq!(following_request_id(i32::MAX), 1);
        assert_eq!(following_request_id(0), 1);
    }
}
