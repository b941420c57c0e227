//! The contract between a connection (which reads requests and writes replies) and the
//! dispatch side (object adapters, servants).
//!
//! A connection decodes each request into an [`IncomingRequest`] and hands it, with a
//! [`Responder`], to the [`RequestHandler`] of its object adapter. The handler must not block:
//! it queues work for a dispatch thread or spawns a future. The responder writes the reply:
//! it reserves the 14-byte header and the request id so the reply is encoded in place, with
//! no copy. A twoway responder dropped without a reply answers `UnknownException` on its own,
//! so no request can hang. The responder also holds the connection's dispatch permit
//! (`MaxDispatches`): the connection reads more only as responders complete.

use crate::encoding::{EncodingVersion, OutputStream};
use crate::identity::{Context, Identity, OperationMode, ReplyStatus};

/// Size of a protocol message header.
pub const HEADER_SIZE: usize = 14;

/// The header bytes of a reply message with a zero size (patched on send).
const REPLY_HEADER: [u8; HEADER_SIZE] = [b'I', b'c', b'e', b'P', 1, 0, 1, 0, 2, 0, 0, 0, 0, 0];

/// One request as the dispatch side sees it.
#[derive(Debug)]
pub struct IncomingRequest {
    /// The request id (0 for oneway and batch requests).
    pub request_id: i32,
    /// Target identity.
    pub identity: Identity,
    /// Target facet (empty for the default facet).
    pub facet: String,
    /// Operation name.
    pub operation: String,
    /// The mode byte the client sent.
    pub mode: OperationMode,
    /// The request context.
    pub context: Context,
    /// Encoding of the parameter encapsulation.
    pub encoding: EncodingVersion,
    /// The parameter encapsulation's body (after its 6-byte header): a view of the received
    /// message, not a copy.
    pub params: bytes::Bytes,
    /// Description of the connection it came on (for `Current` and logs), e.g.
    /// `local address = 127.0.0.1:10000\nremote address = 127.0.0.1:53422`; shared by every
    /// request of the connection.
    pub connection_description: std::sync::Arc<str>,
    /// The connection it came on, when it came on one (set by the connection's reader).
    pub connection: Option<crate::connection::Connection>,
}

/// Receives replies built by a [`Responder`]; implemented by connections.
pub trait ReplySink: Send + 'static {
    /// Sends a complete reply message (header size already patched).
    fn send_reply(self: Box<Self>, message: Vec<u8>);
    /// Releases the dispatch without sending anything (oneway and batch requests).
    fn finish_without_reply(self: Box<Self>);
}

/// Writes the reply to one request; see the module docs.
pub struct Responder {
    request_id: i32,
    sink: Option<Box<dyn ReplySink>>,
}

impl std::fmt::Debug for Responder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Responder")
            .field("request_id", &self.request_id)
            .finish()
    }
}

impl Responder {
    /// A responder for `request_id` replying through `sink`.
    pub fn new(request_id: i32, sink: Box<dyn ReplySink>) -> Responder {
        Responder {
            request_id,
            sink: Some(sink),
        }
    }

    /// The request id (0 for oneway and batch requests).
    pub fn request_id(&self) -> i32 {
        self.request_id
    }

    /// Whether the client expects no reply.
    pub fn is_oneway(&self) -> bool {
        self.request_id == 0
    }

    /// A stream with the reply header, the request id and `status` already written; append
    /// the status's body, then [`Responder::send`] it.
    pub fn start_reply(&self, status: ReplyStatus, capacity: usize) -> OutputStream {
        let mut out = OutputStream::with_capacity(HEADER_SIZE + 5 + capacity);
        out.write_blob(&REPLY_HEADER);
        out.write_i32(self.request_id);
        out.write_u8(status as u8);
        out
    }

    /// Sends a reply started with [`Responder::start_reply`] (dropped for oneway requests).
    pub fn send(mut self, reply: OutputStream) {
        let Some(sink) = self.sink.take() else { return };
        if self.request_id == 0 {
            sink.finish_without_reply();
            return;
        }
        let mut msg = reply.into_vec();
        let size = msg.len() as i32;
        if msg.len() >= HEADER_SIZE {
            msg[10..14].copy_from_slice(&size.to_le_bytes());
        }
        sink.send_reply(msg);
    }

    /// Sends a reply with a status of 5, 6 or 7 and its text.
    pub fn send_unknown(self, status: ReplyStatus, text: &str) {
        let mut out = self.start_reply(status, text.len() + 5);
        out.write_string(text);
        self.send(out);
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        let Some(sink) = self.sink.take() else { return };
        if self.request_id == 0 {
            sink.finish_without_reply();
            return;
        }
        Responder {
            request_id: self.request_id,
            sink: Some(sink),
        }
        .send_unknown(
            ReplyStatus::UnknownException,
            "the dispatch of this request ended without a reply \
             (the servant's promise or future was dropped)",
        );
    }
}

/// What an object adapter implements to receive requests from its connections.
pub trait RequestHandler: Send + Sync + 'static {
    /// Called for each request in arrival order, on a connection's I/O task. Must not block,
    /// unless the handler runs the connection on its own dispatch thread (see `io_handle`).
    fn handle_request(&self, request: IncomingRequest, responder: Responder);

    /// Whether the handler can take another request now. A connection polls it before
    /// reading the next request and stops reading while it is `Pending` (TCP back-pressure);
    /// the handler wakes the waker when it has room again. Calling `handle_request` without
    /// asking is still allowed (the request is then queued beyond the bound).
    fn poll_ready(&self, _cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        std::task::Poll::Ready(())
    }

    /// The runtime on which connections accepted for this handler should run (the adapter's
    /// dispatch thread when it does the I/O itself), or `None` for the accepting runtime.
    fn io_handle(&self) -> Option<tokio::runtime::Handle> {
        None
    }

    /// The runtime on which the ACM monitor of connections accepted for this handler runs,
    /// when it should not be the connection's own: heartbeats must keep flowing while a
    /// one-thread adapter's thread is blocked in a long synchronous dispatch (as Ice's timer
    /// thread sends them).
    fn monitor_handle(&self) -> Option<tokio::runtime::Handle> {
        None
    }
}
