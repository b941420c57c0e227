//! Endpoints as a proxy carries them: the data of each transport (tcp, ssl, udp, ws, wss),
//! their wire form (a type and an encapsulation, ICE-PROTOCOL.md 3.1) and their string form
//! (section 11.3), byte-exact and text-exact with ZeroC Ice 3.7.
//!
//! Endpoints of a type this runtime does not know are kept as [`OpaqueEndpoint`]s and written
//! back unchanged. This module only describes endpoints; it never resolves or connects.

use super::{EncodingVersion, InputStream, MarshalError, OutputStream, ENCODING_1_0};
use crate::Error;
use std::fmt;
use std::net::IpAddr;

/// Endpoint type of `tcp`.
pub const TCP_ENDPOINT_TYPE: i16 = 1;
/// Endpoint type of `ssl`.
pub const SSL_ENDPOINT_TYPE: i16 = 2;
/// Endpoint type of `udp`.
pub const UDP_ENDPOINT_TYPE: i16 = 3;
/// Endpoint type of `ws`.
pub const WS_ENDPOINT_TYPE: i16 = 4;
/// Endpoint type of `wss`.
pub const WSS_ENDPOINT_TYPE: i16 = 5;

/// `Ice.Default.Timeout`: the timeout of a tcp-like endpoint given without `-t`.
pub const DEFAULT_TIMEOUT: i32 = 60_000;

/// The `Ice.Default.*` settings that fill in what a stringified proxy or endpoint omits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseDefaults {
    /// `Ice.Default.Protocol`: the transport meant by `default` (`tcp`).
    pub protocol: String,
    /// `Ice.Default.Host`: the host of an endpoint without `-h` (empty).
    pub host: String,
    /// `Ice.Default.Timeout` in milliseconds, -1 for infinite (60000).
    pub timeout: i32,
    /// `Ice.Default.SourceAddress` (none).
    pub source_address: Option<IpAddr>,
    /// `Ice.Default.EncodingVersion`: a proxy's encoding without `-e` (1.1).
    pub encoding: EncodingVersion,
}

impl Default for ParseDefaults {
    fn default() -> ParseDefaults {
        ParseDefaults {
            protocol: "tcp".to_owned(),
            host: String::new(),
            timeout: DEFAULT_TIMEOUT,
            source_address: None,
            encoding: super::ENCODING_1_1,
        }
    }
}

/// A tcp or ssl endpoint (and the transport part of ws and wss).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TcpEndpoint {
    /// Host name or IP address; empty means `Ice.Default.Host` / any interface.
    pub host: String,
    /// Port (an int on the wire; valid values fit in 16 bits).
    pub port: i32,
    /// Timeout in milliseconds, -1 for infinite.
    pub timeout: i32,
    /// Whether requests through this endpoint may be compressed (`-z`).
    pub compress: bool,
    /// `--sourceAddress`: the local address to connect from (not transmitted).
    pub source_address: Option<IpAddr>,
}

impl TcpEndpoint {
    /// An endpoint for `host:port` with the default timeout.
    pub fn new(host: impl Into<String>, port: i32) -> TcpEndpoint {
        TcpEndpoint {
            host: host.into(),
            port,
            timeout: DEFAULT_TIMEOUT,
            compress: false,
            source_address: None,
        }
    }
}

/// A ws or wss endpoint: a tcp (or ssl) endpoint and an HTTP resource.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct WsEndpoint {
    /// The underlying transport's data.
    pub tcp: TcpEndpoint,
    /// The resource path of the upgrade request (`-r`, default `/`).
    pub resource: String,
}

/// A udp endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UdpEndpoint {
    /// Host name, IP address or multicast group.
    pub host: String,
    /// Port.
    pub port: i32,
    /// Whether requests may be compressed (`-z`).
    pub compress: bool,
    /// `-c`: connect the socket (not transmitted).
    pub connect: bool,
    /// `--interface`: the multicast interface (not transmitted).
    pub mcast_interface: String,
    /// `--ttl`: the multicast time-to-live, -1 when not set (not transmitted).
    pub mcast_ttl: i32,
    /// `--sourceAddress` (not transmitted).
    pub source_address: Option<IpAddr>,
}

/// An endpoint of a type this runtime does not understand: kept byte for byte.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OpaqueEndpoint {
    /// The endpoint type (`-t`).
    pub endpoint_type: i16,
    /// The encoding of the body (`-e`), i.e. the version of its encapsulation.
    pub encoding: EncodingVersion,
    /// The encapsulation's body (`-v`, base64 in the string form).
    pub bytes: Vec<u8>,
}

/// One endpoint of a proxy.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum EndpointData {
    /// `tcp` (type 1).
    Tcp(TcpEndpoint),
    /// `ssl` (type 2).
    Ssl(TcpEndpoint),
    /// `udp` (type 3).
    Udp(UdpEndpoint),
    /// `ws` (type 4).
    Ws(WsEndpoint),
    /// `wss` (type 5).
    Wss(WsEndpoint),
    /// Any other type, kept as is.
    Opaque(OpaqueEndpoint),
}

impl EndpointData {
    /// The endpoint type written on the wire.
    pub fn endpoint_type(&self) -> i16 {
        match self {
            EndpointData::Tcp(_) => TCP_ENDPOINT_TYPE,
            EndpointData::Ssl(_) => SSL_ENDPOINT_TYPE,
            EndpointData::Udp(_) => UDP_ENDPOINT_TYPE,
            EndpointData::Ws(_) => WS_ENDPOINT_TYPE,
            EndpointData::Wss(_) => WSS_ENDPOINT_TYPE,
            EndpointData::Opaque(o) => o.endpoint_type,
        }
    }

    /// The transport name used in the string form (`tcp`, `ssl`, `udp`, `ws`, `wss`,
    /// `opaque`).
    pub fn transport(&self) -> &'static str {
        match self {
            EndpointData::Tcp(_) => "tcp",
            EndpointData::Ssl(_) => "ssl",
            EndpointData::Udp(_) => "udp",
            EndpointData::Ws(_) => "ws",
            EndpointData::Wss(_) => "wss",
            EndpointData::Opaque(_) => "opaque",
        }
    }

    /// Whether the transport is secure (ssl, wss).
    pub fn is_secure(&self) -> bool {
        matches!(self, EndpointData::Ssl(_) | EndpointData::Wss(_))
    }

    /// Writes the endpoint: its type, then an encapsulation holding its data, in the
    /// encoding in effect in `out` (opaque endpoints keep their own).
    pub fn encode(&self, out: &mut OutputStream) {
        out.write_i16(self.endpoint_type());
        if let EndpointData::Opaque(o) = self {
            out.start_encapsulation(o.encoding);
            out.write_blob(&o.bytes);
            out.end_encapsulation();
            return;
        }
        let encoding = out.encoding();
        out.start_encapsulation(encoding);
        match self {
            EndpointData::Tcp(t) | EndpointData::Ssl(t) => write_tcp(t, out),
            EndpointData::Ws(w) | EndpointData::Wss(w) => {
                write_tcp(&w.tcp, out);
                out.write_string(&w.resource);
            }
            EndpointData::Udp(u) => {
                out.write_string(&u.host);
                out.write_i32(u.port);
                if encoding == ENCODING_1_0 {
                    // Protocol 1.0 and encoding 1.0, kept for Ice 3.3 and earlier.
                    out.write_blob(&[1, 0, 1, 0]);
                }
                out.write_bool(u.compress);
            }
            EndpointData::Opaque(_) => {}
        }
        out.end_encapsulation();
    }

    /// Reads an endpoint written by [`EndpointData::encode`].
    pub fn decode(input: &mut InputStream<'_>) -> Result<EndpointData, MarshalError> {
        let endpoint_type = input.read_i16()?;
        let encoding = input.start_encapsulation()?;
        let e = match endpoint_type {
            TCP_ENDPOINT_TYPE => EndpointData::Tcp(read_tcp(input)?),
            SSL_ENDPOINT_TYPE => EndpointData::Ssl(read_tcp(input)?),
            WS_ENDPOINT_TYPE | WSS_ENDPOINT_TYPE => {
                let w = WsEndpoint {
                    tcp: read_tcp(input)?,
                    resource: input.read_string()?,
                };
                if endpoint_type == WS_ENDPOINT_TYPE {
                    EndpointData::Ws(w)
                } else {
                    EndpointData::Wss(w)
                }
            }
            UDP_ENDPOINT_TYPE => {
                let host = input.read_string()?;
                let port = input.read_i32()?;
                if encoding == ENCODING_1_0 {
                    input.read_blob(4)?;
                }
                EndpointData::Udp(UdpEndpoint {
                    host,
                    port,
                    compress: input.read_bool()?,
                    connect: false,
                    mcast_interface: String::new(),
                    mcast_ttl: -1,
                    source_address: None,
                })
            }
            _ => {
                let n = input.remaining();
                EndpointData::Opaque(OpaqueEndpoint {
                    endpoint_type,
                    encoding,
                    bytes: input.read_blob(n)?.to_vec(),
                })
            }
        };
        input.end_encapsulation()?;
        Ok(e)
    }

    /// Parses one endpoint string such as `tcp -h host -p 10000` with Ice's defaults, as a
    /// proxy endpoint (`-h *` is refused).
    pub fn parse(s: &str) -> crate::Result<EndpointData> {
        EndpointData::parse_with(s, &ParseDefaults::default(), false)
    }

    /// Parses one endpoint string. `server` accepts what only object adapter endpoints may
    /// say (`-h *`, `--interface *`) and refuses `--sourceAddress`.
    pub fn parse_with(
        s: &str,
        defaults: &ParseDefaults,
        server: bool,
    ) -> crate::Result<EndpointData> {
        parse_endpoint(s, defaults, server)?.ok_or_else(|| Error::EndpointParse {
            input: s.to_owned(),
            reason: "unknown transport".to_owned(),
        })
    }

    /// Parses a list of endpoints separated by `:` (as in a proxy string or
    /// `<adapter>.Endpoints`). Endpoints of unknown transports are left out with a warning,
    /// as Ice does, unless none is known.
    pub fn parse_list(
        s: &str,
        defaults: &ParseDefaults,
        server: bool,
    ) -> crate::Result<Vec<EndpointData>> {
        parse_endpoint_list(split_endpoints(s, 0), s, defaults, server)
    }
}

/// Parses the endpoints of a list; `whole` is the text they come from (for messages).
pub(crate) fn parse_endpoint_list(
    parts: Vec<&str>,
    whole: &str,
    defaults: &ParseDefaults,
    server: bool,
) -> crate::Result<Vec<EndpointData>> {
    let mut endpoints = Vec::new();
    let mut unknown = Vec::new();
    for es in parts {
        match parse_endpoint(es, defaults, server)? {
            Some(e) => endpoints.push(e),
            None => unknown.push(es),
        }
    }
    if endpoints.is_empty() {
        return Err(Error::EndpointParse {
            input: whole.to_owned(),
            reason: format!(
                "invalid endpoint `{}' in `{whole}'",
                unknown.first().copied().unwrap_or_default()
            ),
        });
    }
    if !unknown.is_empty() {
        tracing::warn!(
            "proxy contains unknown endpoints: `{}'",
            unknown.join("', `")
        );
    }
    Ok(endpoints)
}

fn write_tcp(t: &TcpEndpoint, out: &mut OutputStream) {
    out.write_string(&t.host);
    out.write_i32(t.port);
    out.write_i32(t.timeout);
    out.write_bool(t.compress);
}

fn read_tcp(input: &mut InputStream<'_>) -> Result<TcpEndpoint, MarshalError> {
    Ok(TcpEndpoint {
        host: input.read_string()?,
        port: input.read_i32()?,
        timeout: input.read_i32()?,
        compress: input.read_bool()?,
        source_address: None,
    })
}

/// Splits the endpoint part of a proxy string, starting after the `:` at `start - 1`, at
/// every `:` that is not inside double quotes (Ice's rule for proxy strings).
pub(crate) fn split_endpoints(s: &str, start: usize) -> Vec<&str> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut beg = start;
    loop {
        let mut end = beg;
        loop {
            let Some(colon) = s[end..].find(':').map(|p| p + end) else {
                end = s.len();
                break;
            };
            end = colon;
            // Is this colon inside a quoted section that began after `beg`?
            let mut quoted = false;
            let mut q = beg;
            while let Some(open) = s[q..].find('"').map(|p| p + q) {
                if end < open {
                    break;
                }
                let Some(close) = s[open + 1..].find('"').map(|p| p + open + 1) else {
                    break;
                };
                if end < close {
                    quoted = true;
                    break;
                }
                q = close + 1;
            }
            if !quoted {
                break;
            }
            end += 1;
        }
        out.push(&s[beg..end]);
        if end < b.len() && b[end] == b':' {
            beg = end + 1;
        } else {
            return out;
        }
    }
}

/// Ice's `splitString` on blanks: quotes group words and are removed, `\"` and `\'` escape a
/// quote. Fails on an unmatched quote.
fn split_args(s: &str) -> Result<Vec<String>, String> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut elt: Vec<u8> = Vec::new();
    let mut quote = 0u8;
    let mut pos = 0;
    while pos < b.len() {
        let c = b[pos];
        if quote == 0 && (c == b'"' || c == b'\'') {
            quote = c;
            pos += 1;
            continue;
        } else if c == b'\\'
            && pos + 1 < b.len()
            && ((quote == 0 && matches!(b[pos + 1], b'"' | b'\''))
                || (quote != 0 && b[pos + 1] == quote))
        {
            // An escaped quote: keep the quote, drop the backslash.
            pos += 1;
        } else if quote != 0 && c == quote {
            pos += 1;
            quote = 0;
            continue;
        } else if quote == 0 && matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
            pos += 1;
            if !elt.is_empty() {
                out.push(String::from_utf8_lossy(&elt).into_owned());
                elt.clear();
            }
            continue;
        }
        if pos < b.len() {
            elt.push(b[pos]);
            pos += 1;
        }
    }
    if !elt.is_empty() {
        out.push(String::from_utf8_lossy(&elt).into_owned());
    }
    if quote != 0 {
        return Err("mismatched quote".to_owned());
    }
    Ok(out)
}

/// `istringstream >> int` followed by an end-of-input check, as Ice parses numbers.
pub(crate) fn parse_int(s: &str) -> Option<i32> {
    s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c'])
        .parse()
        .ok()
}

/// Ice's `stringToMajorMinor`: `MAJOR.MINOR` with 1 <= major <= 255 and minor <= 255.
pub(crate) fn parse_version(s: &str) -> Result<(u8, u8), String> {
    let Some((major, minor)) = s.split_once('.') else {
        return Err(format!("malformed version value `{s}'"));
    };
    let major = parse_int(major).ok_or_else(|| format!("invalid major version value `{s}'"))?;
    let minor = parse_int(minor).ok_or_else(|| format!("invalid minor version value `{s}'"))?;
    if !(1..=255).contains(&major) || !(0..=255).contains(&minor) {
        return Err(format!("range error in version `{s}'"));
    }
    Ok((major as u8, minor as u8))
}

/// What the options of an endpoint string set, before defaults are applied.
#[derive(Default)]
struct Options {
    host: Option<String>,
    port: i32,
    source_address: Option<IpAddr>,
    timeout: Option<i32>,
    compress: bool,
    resource: Option<String>,
    connect: bool,
    mcast_interface: String,
    mcast_ttl: i32,
    opaque_type: Option<i16>,
    opaque_encoding: Option<EncodingVersion>,
    opaque_bytes: Option<Vec<u8>>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Tcp,
    Ssl,
    Udp,
    Ws,
    Wss,
    Opaque,
}

/// Parses one endpoint; `Ok(None)` for a transport this runtime does not know.
fn parse_endpoint(
    s: &str,
    defaults: &ParseDefaults,
    server: bool,
) -> crate::Result<Option<EndpointData>> {
    let err = |reason: String| Error::EndpointParse {
        input: s.to_owned(),
        reason,
    };
    let mut args = split_args(s).map_err(err)?;
    if args.is_empty() {
        return Err(err("value has no non-whitespace characters".to_owned()));
    }
    let mut protocol = args.remove(0);
    if protocol == "default" {
        protocol = defaults.protocol.clone();
    }
    let kind = match protocol.as_str() {
        "tcp" => Kind::Tcp,
        "ssl" => Kind::Ssl,
        "udp" => Kind::Udp,
        "ws" => Kind::Ws,
        "wss" => Kind::Wss,
        "opaque" => Kind::Opaque,
        _ => return Ok(None),
    };
    // Ice's messages quote the endpoint as `proto  arg arg'.
    let mut desc = format!("`{protocol} ");
    for a in &args {
        if a.contains([' ', '\t', '\n', '\r']) {
            desc.push_str(&format!(" \"{a}\""));
        } else {
            desc.push(' ');
            desc.push_str(a);
        }
    }
    desc.push('\'');

    let mut o = Options {
        mcast_ttl: -1,
        ..Options::default()
    };
    let mut unknown: Vec<&str> = Vec::new();
    let mut n = 0;
    while n < args.len() {
        let option = args[n].as_str();
        if option.len() < 2 || !option.starts_with('-') {
            unknown.push(option);
            n += 1;
            continue;
        }
        let argument = match args.get(n + 1) {
            Some(a) if !a.starts_with('-') => {
                n += 1;
                Some(a.as_str())
            }
            _ => None,
        };
        n += 1;
        if !check_option(kind, option, argument, &desc, &mut o).map_err(err)? {
            unknown.push(option);
            if let Some(a) = argument {
                unknown.push(a);
            }
        }
    }
    if let Some(first) = unknown.first() {
        return Err(err(format!(
            "unrecognized argument `{first}' in endpoint `{s}'"
        )));
    }

    if kind == Kind::Opaque {
        let Some(endpoint_type) = o.opaque_type else {
            return Err(err(format!("no -t option in endpoint {desc}")));
        };
        let Some(bytes) = o.opaque_bytes else {
            return Err(err(format!("no -v option in endpoint {desc}")));
        };
        let opaque = OpaqueEndpoint {
            endpoint_type,
            encoding: o.opaque_encoding.unwrap_or(ENCODING_1_0),
            bytes,
        };
        if !(TCP_ENDPOINT_TYPE..=WSS_ENDPOINT_TYPE).contains(&endpoint_type) {
            return Ok(Some(EndpointData::Opaque(opaque)));
        }
        // A known type: decode its body into the real endpoint, as Ice does.
        let mut out = OutputStream::new();
        EndpointData::Opaque(opaque).encode(&mut out);
        let mut input = InputStream::new(out.as_slice());
        // Ice fails here with a marshal error (UnmarshalOutOfBoundsException).
        return EndpointData::decode(&mut input)
            .map(Some)
            .map_err(Error::Marshal);
    }

    let mut host = o.host.unwrap_or_default();
    if host.is_empty() {
        host = defaults.host.clone();
    } else if host == "*" {
        if server {
            host.clear();
        } else {
            return Err(err(format!("`-h *' not valid for proxy endpoint `{s}'")));
        }
    }
    if o.source_address.is_some() {
        if server {
            return Err(err(format!(
                "`--sourceAddress' not valid for object adapter endpoint `{s}'"
            )));
        }
    } else {
        o.source_address = defaults.source_address;
    }
    let tcp = TcpEndpoint {
        host,
        port: o.port,
        timeout: o.timeout.unwrap_or(defaults.timeout),
        compress: o.compress,
        source_address: o.source_address,
    };
    let ws = |tcp| WsEndpoint {
        tcp,
        resource: o.resource.clone().unwrap_or_else(|| "/".to_owned()),
    };
    Ok(Some(match kind {
        Kind::Tcp => EndpointData::Tcp(tcp),
        Kind::Ssl => EndpointData::Ssl(tcp),
        Kind::Ws => EndpointData::Ws(ws(tcp)),
        Kind::Wss => EndpointData::Wss(ws(tcp)),
        Kind::Udp | Kind::Opaque => {
            let mut mcast_interface = o.mcast_interface.clone();
            if mcast_interface == "*" {
                if server {
                    mcast_interface.clear();
                } else {
                    return Err(err(format!(
                        "`--interface *' not valid for proxy endpoint `{s}'"
                    )));
                }
            }
            EndpointData::Udp(UdpEndpoint {
                host: tcp.host,
                port: tcp.port,
                compress: o.compress,
                connect: o.connect,
                mcast_interface,
                mcast_ttl: o.mcast_ttl,
                source_address: tcp.source_address,
            })
        }
    }))
}

/// Applies one option; `Ok(false)` when the transport does not know it.
fn check_option(
    kind: Kind,
    option: &str,
    argument: Option<&str>,
    desc: &str,
    o: &mut Options,
) -> Result<bool, String> {
    let need = |what: &str| -> Result<&str, String> {
        argument.ok_or_else(|| format!("no argument provided for {what} option in endpoint {desc}"))
    };
    let none = |what: &str| -> Result<(), String> {
        match argument {
            Some(a) => Err(format!(
                "unexpected argument `{a}' provided for {what} option in {desc}"
            )),
            None => Ok(()),
        }
    };
    // Ice matches some options by their second character only (`-tx` is `-t`).
    let second = option.as_bytes().get(1).copied().unwrap_or(0);
    if kind == Kind::Opaque {
        match second {
            b't' => {
                if o.opaque_type.is_some() {
                    return Err(format!("multiple -t options in endpoint {desc}"));
                }
                let a = need("-t")?;
                let t = parse_int(a)
                    .ok_or_else(|| format!("invalid type value `{a}' in endpoint {desc}"))?;
                if !(0..=65535).contains(&t) {
                    return Err(format!("type value `{a}' out of range in endpoint {desc}"));
                }
                // Ice stores the type in a short: 32768 and above read as "no -t option".
                let t = t as u16 as i16;
                if t >= 0 {
                    o.opaque_type = Some(t);
                }
            }
            b'v' => {
                if o.opaque_bytes.is_some() {
                    return Err(format!("multiple -v options in endpoint {desc}"));
                }
                let a = need("-v")?;
                if let Some(c) = a.chars().find(|&c| !is_base64(c)) {
                    return Err(format!(
                        "invalid base64 character `{c}' (ordinal {}) in endpoint {desc}",
                        c as u32
                    ));
                }
                o.opaque_bytes = Some(base64_decode(a));
            }
            b'e' => {
                let a = need("-e")?;
                let (major, minor) = parse_version(a).map_err(|e| {
                    format!("invalid encoding version `{a}' in endpoint {desc}: {e}")
                })?;
                o.opaque_encoding = Some(EncodingVersion { major, minor });
            }
            _ => return Ok(false),
        }
        return Ok(true);
    }
    match option {
        "-h" => {
            o.host = Some(need("-h")?.to_owned());
            return Ok(true);
        }
        "-p" => {
            let a = need("-p")?;
            let p = parse_int(a)
                .ok_or_else(|| format!("invalid port value `{a}' in endpoint {desc}"))?;
            if !(0..=65535).contains(&p) {
                return Err(format!("port value `{a}' out of range in endpoint {desc}"));
            }
            o.port = p;
            return Ok(true);
        }
        "--sourceAddress" => {
            let a = need("--sourceAddress")?;
            o.source_address = Some(a.parse().map_err(|_| {
                format!("invalid IP address provided for --sourceAddress option in endpoint {desc}")
            })?);
            return Ok(true);
        }
        _ => {}
    }
    if kind == Kind::Udp {
        match option {
            "-c" => {
                none("-c")?;
                o.connect = true;
            }
            "-z" => {
                none("-z")?;
                o.compress = true;
            }
            "-v" | "-e" => {
                let a = need(option)?;
                let v = parse_version(a)
                    .map_err(|e| format!("invalid version `{a}' in endpoint {desc}: {e}"))?;
                if v != (1, 0) {
                    tracing::warn!("deprecated udp endpoint option: {option}");
                }
            }
            "--ttl" => {
                let a = need("--ttl")?;
                let t = parse_int(a)
                    .ok_or_else(|| format!("invalid TTL value `{a}' in endpoint {desc}"))?;
                if t < 0 {
                    return Err(format!("TTL value `{a}' out of range in endpoint {desc}"));
                }
                o.mcast_ttl = t;
            }
            "--interface" => o.mcast_interface = need("--interface")?.to_owned(),
            _ => return Ok(false),
        }
        return Ok(true);
    }
    match second {
        b't' => {
            let a = need("-t")?;
            o.timeout = Some(if a == "infinite" {
                -1
            } else {
                match parse_int(a) {
                    Some(t) if t >= 1 => t,
                    _ => return Err(format!("invalid timeout value `{a}' in endpoint {desc}")),
                }
            });
        }
        b'z' => {
            none("-z")?;
            o.compress = true;
        }
        b'r' if matches!(kind, Kind::Ws | Kind::Wss) => {
            o.resource = Some(need("-r")?.to_owned());
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// Appends ` OPT value`, quoting the value when it contains a `:` (as Ice does).
fn push_quoted_option(f: &mut fmt::Formatter<'_>, option: &str, value: &str) -> fmt::Result {
    if value.contains(':') {
        write!(f, " {option} \"{value}\"")
    } else {
        write!(f, " {option} {value}")
    }
}

fn fmt_ip(
    f: &mut fmt::Formatter<'_>,
    host: &str,
    port: i32,
    source: Option<IpAddr>,
) -> fmt::Result {
    if !host.is_empty() {
        push_quoted_option(f, "-h", host)?;
    }
    write!(f, " -p {port}")?;
    if let Some(a) = source {
        push_quoted_option(f, "--sourceAddress", &a.to_string())?;
    }
    Ok(())
}

fn fmt_tcp(f: &mut fmt::Formatter<'_>, t: &TcpEndpoint) -> fmt::Result {
    fmt_ip(f, &t.host, t.port, t.source_address)?;
    if t.timeout == -1 {
        f.write_str(" -t infinite")?;
    } else {
        write!(f, " -t {}", t.timeout)?;
    }
    if t.compress {
        f.write_str(" -z")?;
    }
    Ok(())
}

/// Ice's string form of the endpoint, e.g. `tcp -h 127.0.0.1 -p 10000 -t 60000`.
impl fmt::Display for EndpointData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.transport())?;
        match self {
            EndpointData::Tcp(t) | EndpointData::Ssl(t) => fmt_tcp(f, t),
            EndpointData::Ws(w) | EndpointData::Wss(w) => {
                fmt_tcp(f, &w.tcp)?;
                if !w.resource.is_empty() {
                    push_quoted_option(f, "-r", &w.resource)?;
                }
                Ok(())
            }
            EndpointData::Udp(u) => {
                fmt_ip(f, &u.host, u.port, u.source_address)?;
                if !u.mcast_interface.is_empty() {
                    push_quoted_option(f, "--interface", &u.mcast_interface)?;
                }
                if u.mcast_ttl != -1 {
                    write!(f, " --ttl {}", u.mcast_ttl)?;
                }
                if u.connect {
                    f.write_str(" -c")?;
                }
                if u.compress {
                    f.write_str(" -z")?;
                }
                Ok(())
            }
            EndpointData::Opaque(o) => {
                write!(f, " -t {} -e {}", o.endpoint_type, o.encoding)?;
                if !o.bytes.is_empty() {
                    write!(f, " -v {}", base64_encode(&o.bytes))?;
                }
                Ok(())
            }
        }
    }
}

impl std::str::FromStr for EndpointData {
    type Err = Error;
    fn from_str(s: &str) -> crate::Result<EndpointData> {
        EndpointData::parse(s)
    }
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn is_base64(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=')
}

/// Ice's base64: padded, with a CRLF after every 76 characters.
fn base64_encode(bytes: &[u8]) -> String {
    let mut plain = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b0 = chunk[0];
        let b1 = chunk.get(1).copied();
        let b2 = chunk.get(2).copied();
        let n =
            (u32::from(b0) << 16) | (u32::from(b1.unwrap_or(0)) << 8) | u32::from(b2.unwrap_or(0));
        plain.push(BASE64[(n >> 18) as usize & 63] as char);
        plain.push(BASE64[(n >> 12) as usize & 63] as char);
        plain.push(if b1.is_some() {
            BASE64[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        plain.push(if b2.is_some() {
            BASE64[n as usize & 63] as char
        } else {
            '='
        });
    }
    let mut out = String::with_capacity(plain.len() + plain.len() / 76 * 2);
    let mut rest = plain.as_str();
    while rest.len() > 76 {
        out.push_str(&rest[..76]);
        out.push_str("\r\n");
        rest = &rest[76..];
    }
    out.push_str(rest);
    out
}

/// Ice's lenient base64 decoder: characters outside the alphabet are dropped, a short last
/// group is completed with `A`, and `=` ends a group early.
fn base64_decode(s: &str) -> Vec<u8> {
    let chars: Vec<u8> = s.bytes().filter(|&c| is_base64(c as char)).collect();
    let value = |c: u8| -> u8 {
        match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            _ => 63,
        }
    };
    let mut out = Vec::with_capacity(chars.len() * 3 / 4 + 1);
    for group in chars.chunks(4) {
        let c = |i: usize| group.get(i).copied().unwrap_or(b'A');
        let (b1, b2, b3, b4) = (value(c(0)), value(c(1)), value(c(2)), value(c(3)));
        out.push((b1 << 2) | (b2 >> 4));
        if c(2) != b'=' {
            out.push(((b2 & 0xf) << 4) | (b3 >> 2));
        }
        if c(3) != b'=' {
            out.push(((b3 & 0x3) << 6) | b4);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_ice() {
        assert_eq!(base64_encode(&[1, 2, 3, 4]), "AQIDBA==");
        assert_eq!(base64_decode("AQIDBA=="), [1, 2, 3, 4]);
        // Ice's quirks: a lone character decodes to three zero bytes; `=` ends a group.
        assert_eq!(base64_encode(&base64_decode("A")), "AAAA");
        assert_eq!(base64_encode(&base64_decode("AQ==AQ==")), "AQE=");
        let long = base64_encode(&[0u8; 90]);
        assert_eq!(&long[76..78], "\r\n");
    }

    #[test]
    fn endpoints_split_at_colons_outside_quotes() {
        assert_eq!(
            split_endpoints("tcp -h \"::1\" -p 1:udp -h x", 0),
            ["tcp -h \"::1\" -p 1", "udp -h x"]
        );
    }
}
