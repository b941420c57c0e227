//! The server side: a TCP listener that accepts connections for one object adapter endpoint.

use super::{Connection, ConnectionConfig};
use crate::encoding::{EndpointData, TcpEndpoint};
use crate::error::{Error, Result};
use crate::incoming::RequestHandler;
use crate::transport;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A listening socket and the connections it accepted. Dropping it stops accepting and aborts
/// its connections; [`Listener::close`] closes them gracefully.
pub struct Listener {
    local: SocketAddr,
    /// The endpoint as asked for (timeout, compression and host are kept when published).
    endpoint: TcpEndpoint,
    inner: Arc<Inner>,
    accept_task: JoinHandle<()>,
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listener")
            .field("local", &self.local)
            .finish()
    }
}

struct Inner {
    connections: Mutex<HashMap<u64, Connection>>,
    /// Set by `close`: a connection accepted meanwhile is closed at once.
    closing: AtomicBool,
}

/// Binds `host:port` (host "" or "*" means every IPv4 interface; port 0 lets the system
/// choose) and accepts Ice connections, handing their requests to `handler`.
/// Must be called from inside a tokio runtime (the communicator's).
pub async fn listen(
    host: &str,
    port: u16,
    config: ConnectionConfig,
    handler: Arc<dyn RequestHandler>,
) -> Result<Listener> {
    let listener = transport::bind_tcp(host, port).await?;
    let local = listener
        .local_addr()
        .map_err(|e| Error::Socket(format!("listening socket address: {e}")))?;
    if config.trace_network >= 1 {
        tracing::info!(target: "Ice.Network", "listening for tcp connections at {local}");
    }
    let inner = Arc::new(Inner {
        connections: Mutex::new(HashMap::new()),
        closing: AtomicBool::new(false),
    });
    let accept_task = tokio::spawn(accept_loop(listener, config, handler, inner.clone()));
    Ok(Listener {
        local,
        endpoint: TcpEndpoint::new(host, i32::from(port)),
        inner,
        accept_task,
    })
}

async fn accept_loop(
    listener: TcpListener,
    config: ConnectionConfig,
    handler: Arc<dyn RequestHandler>,
    inner: Arc<Inner>,
) {
    let mut next_id = 0u64;
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                // Typically EMFILE: back off a little instead of spinning.
                tracing::warn!(target: "Ice.Network", "accept failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        next_id += 1;
        let id = next_id;
        let config = config.clone();
        let handler = handler.clone();
        let inner = inner.clone();
        // Validation is written in its own task so a slow peer cannot stall accepting; the
        // task ends with the connection, which the listener closes.
        let io = handler.io_handle();
        let moved = io.is_some();
        let task = async move {
            let stream = match io_stream(stream, moved) {
                Ok(s) => s,
                Err(e) => {
                    tracing::debug!(target: "Ice.Network", "connection from {peer} failed: {e}");
                    return;
                }
            };
            let conn = match Connection::accept(stream, config, handler).await {
                Ok(c) => c,
                Err(e) => {
                    tracing::debug!(target: "Ice.Network", "connection from {peer} failed: {e}");
                    return;
                }
            };
            inner.connections.lock().insert(id, conn.clone());
            if inner.closing.load(Ordering::SeqCst) {
                conn.close().await;
            }
            conn.closed().await;
            inner.connections.lock().remove(&id);
        };
        drop(
            io.unwrap_or_else(tokio::runtime::Handle::current)
                .spawn(task),
        );
    }
}

/// The accepted socket, moved to the runtime the task now runs on when that is the handler's
/// own (`moved`): its readiness events are then delivered to that runtime's thread directly.
fn io_stream(stream: tokio::net::TcpStream, moved: bool) -> std::io::Result<tokio::net::TcpStream> {
    if !moved {
        return Ok(stream);
    }
    tokio::net::TcpStream::from_std(stream.into_std()?)
}

/// Listens on a `tcp` endpoint (parsed with [`EndpointData::parse_with`] in server mode); other
/// transports are refused with [`Error::EndpointParse`].
pub async fn listen_endpoint(
    endpoint: &EndpointData,
    config: ConnectionConfig,
    handler: Arc<dyn RequestHandler>,
) -> Result<Listener> {
    let EndpointData::Tcp(tcp) = endpoint else {
        return Err(Error::EndpointParse {
            input: endpoint.to_string(),
            reason: format!("the `{}' transport is not supported", endpoint.transport()),
        });
    };
    let port = u16::try_from(tcp.port).map_err(|_| Error::EndpointParse {
        input: endpoint.to_string(),
        reason: format!("port {} out of range", tcp.port),
    })?;
    let mut listener = listen(&tcp.host, port, config, handler).await?;
    listener.endpoint = tcp.clone();
    Ok(listener)
}

impl Listener {
    /// The endpoint clients can use: the one asked for, with the port the system chose
    /// (and, when the host was a wildcard, the bound address).
    pub fn local_endpoint(&self) -> EndpointData {
        let mut e = self.endpoint.clone();
        e.port = i32::from(self.local.port());
        if matches!(e.host.as_str(), "" | "*" | "0.0.0.0" | "::") {
            e.host = self.local.ip().to_string();
        }
        EndpointData::Tcp(e)
    }

    /// The address the socket is bound to, with the real port when 0 was asked for.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// The connections currently open.
    pub fn connections(&self) -> Vec<Connection> {
        self.inner.connections.lock().values().cloned().collect()
    }

    /// Stops accepting, then closes every connection gracefully: each one waits for its
    /// outstanding dispatches, sends their replies and a close message, and waits for the
    /// client to close the socket.
    pub async fn close(&self) {
        self.inner.closing.store(true, Ordering::SeqCst);
        self.accept_task.abort();
        let connections = self.connections();
        futures::future::join_all(connections.iter().map(Connection::close)).await;
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.accept_task.abort();
        for c in self.connections() {
            c.abort(Error::ObjectAdapterDeactivated("listener dropped".into()));
        }
    }
}
