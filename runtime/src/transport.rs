//! The TCP transport: name resolution, connecting (IPv4 and IPv6, every resolved address in
//! turn), binding listening sockets, and the mapping of socket errors to runtime errors.
//! It knows nothing of the Ice protocol; `connection` frames messages over these sockets.

use crate::error::{Error, Result};
use std::net::SocketAddr;
use tokio::net::{TcpListener, TcpSocket, TcpStream};

/// Maps an I/O error to the runtime error Ice would raise; `what` names the operation.
pub fn map_io_error(e: &std::io::Error, what: &str) -> Error {
    match e.kind() {
        std::io::ErrorKind::ConnectionRefused => Error::ConnectionRefused(what.to_owned()),
        std::io::ErrorKind::UnexpectedEof
        | std::io::ErrorKind::ConnectionReset
        | std::io::ErrorKind::ConnectionAborted
        | std::io::ErrorKind::BrokenPipe => Error::ConnectionLost(format!("{what}: {e}")),
        _ => Error::Socket(format!("{what}: {e}")),
    }
}

/// The host a server binds for Ice's "any interface" spellings (empty, `*`).
fn bind_host(host: &str) -> &str {
    match host {
        "" | "*" => "0.0.0.0",
        h => h,
    }
}

/// Resolves `host:port` (a name, an IPv4 or an IPv6 address, with or without brackets).
pub async fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>> {
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| Error::Socket(format!("cannot resolve `{host}': {e}")))?
        .collect();
    if addrs.is_empty() {
        return Err(Error::Socket(format!("`{host}' resolves to no address")));
    }
    Ok(addrs)
}

/// Connects to the first address of `host:port` that accepts, with `TCP_NODELAY` set (as Ice).
pub async fn connect_tcp(host: &str, port: u16) -> Result<TcpStream> {
    let mut last = None;
    for addr in resolve(host, port).await? {
        match TcpStream::connect(addr).await {
            Ok(stream) => {
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Err(e) => last = Some(map_io_error(&e, &addr.to_string())),
        }
    }
    Err(last.unwrap_or_else(|| Error::Socket(format!("cannot connect to {host}:{port}"))))
}

/// Binds and listens on `host:port` (host "" or "*": every IPv4 interface; port 0: a port
/// chosen by the system), with `SO_REUSEADDR` as Ice sets it on Unix.
pub async fn bind_tcp(host: &str, port: u16) -> Result<TcpListener> {
    let addr = resolve(bind_host(host), port).await?[0];
    let bind_error = |e: std::io::Error| Error::Socket(format!("cannot listen on {addr}: {e}"));
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }
    .map_err(bind_error)?;
    socket.set_reuseaddr(true).map_err(bind_error)?;
    socket.bind(addr).map_err(bind_error)?;
    socket.listen(511).map_err(bind_error)
}
