//! The data a proxy carries ([`ProxyData`]): its wire form (ICE-PROTOCOL.md section 3) and
//! its string form (section 11), byte-exact and text-exact with ZeroC Ice 3.7.
//!
//! A null proxy is `None` wherever a proxy may be null (`Option<ProxyData>`). This module
//! only describes proxies; invoking through them is the business of `crate::proxy`.

use super::endpoint::{
    parse_endpoint_list, parse_version, split_endpoints, EndpointData, ParseDefaults,
};
use super::{
    Decode, Encode, EncodingVersion, InputStream, MarshalError, OptionalFormat, OutputStream,
};
use crate::identity::{
    escape_string, unescape_string, Identity, ProtocolVersion, ToStringMode, PROTOCOL_1_0,
};
use crate::Error;
use std::fmt;

/// How a proxy sends its requests (the mode byte of a marshaled proxy).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum InvocationMode {
    /// `-t`: a request and a reply (0).
    #[default]
    Twoway = 0,
    /// `-o`: a request, no reply (1).
    Oneway = 1,
    /// `-O`: requests queued and sent together, no reply (2).
    BatchOneway = 2,
    /// `-d`: a request over UDP, no reply (3).
    Datagram = 3,
    /// `-D`: batched datagrams (4).
    BatchDatagram = 4,
}

impl InvocationMode {
    /// The mode for a wire byte (0..=4).
    pub fn from_byte(b: u8) -> Option<InvocationMode> {
        Some(match b {
            0 => InvocationMode::Twoway,
            1 => InvocationMode::Oneway,
            2 => InvocationMode::BatchOneway,
            3 => InvocationMode::Datagram,
            4 => InvocationMode::BatchDatagram,
            _ => return None,
        })
    }

    /// The option that selects this mode in a proxy string (`-t`, `-o`, ...).
    pub fn option(self) -> &'static str {
        match self {
            InvocationMode::Twoway => "-t",
            InvocationMode::Oneway => "-o",
            InvocationMode::BatchOneway => "-O",
            InvocationMode::Datagram => "-d",
            InvocationMode::BatchDatagram => "-D",
        }
    }
}

/// Everything a marshaled or stringified proxy holds.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ProxyData {
    /// The target object's identity (its name is never empty: that would be a null proxy).
    pub identity: Identity,
    /// The facet; empty for the default facet.
    pub facet: String,
    /// Twoway, oneway, batch, datagram.
    pub mode: InvocationMode,
    /// Whether only secure endpoints may be used (`-s`).
    pub secure: bool,
    /// The protocol version (`-p`, 1.0).
    pub protocol: ProtocolVersion,
    /// The encoding of the requests' parameters (`-e`, `Ice.Default.EncodingVersion`).
    pub encoding: EncodingVersion,
    /// The endpoints of a direct proxy; empty for an indirect or well-known proxy.
    pub endpoints: Vec<EndpointData>,
    /// The adapter id of an indirect proxy (`@ adapter`); empty otherwise. Only meaningful
    /// when there are no endpoints.
    pub adapter_id: String,
}

impl ProxyData {
    /// A well-known proxy for `identity` with Ice's defaults (twoway, encoding 1.1).
    pub fn new(identity: Identity) -> ProxyData {
        ProxyData {
            identity,
            facet: String::new(),
            mode: InvocationMode::Twoway,
            secure: false,
            protocol: PROTOCOL_1_0,
            encoding: super::ENCODING_1_1,
            endpoints: Vec::new(),
            adapter_id: String::new(),
        }
    }

    /// Parses a stringified proxy with Ice's default settings; a string that denotes the
    /// null proxy (`""`) is an error here, see [`ProxyData::parse_nullable`].
    pub fn parse(s: &str) -> crate::Result<ProxyData> {
        ProxyData::parse_nullable(s)?.ok_or_else(|| Error::ProxyParse {
            input: s.to_owned(),
            reason: "the string denotes a null proxy".to_owned(),
        })
    }

    /// Parses a stringified proxy with Ice's default settings; `Ok(None)` for the null
    /// proxy (an empty string or an empty identity such as `""`).
    pub fn parse_nullable(s: &str) -> crate::Result<Option<ProxyData>> {
        ProxyData::parse_with(s, &ParseDefaults::default())
    }

    /// Parses a stringified proxy exactly as Ice's `stringToProxy` does, with `defaults`
    /// standing for the communicator's `Ice.Default.*` properties.
    pub fn parse_with(s: &str, defaults: &ParseDefaults) -> crate::Result<Option<ProxyData>> {
        parse_proxy(s, defaults)
    }

    /// The string form in the given escaping mode (Ice's `proxyToString`).
    pub fn to_string_mode(&self, mode: ToStringMode) -> String {
        let mut s = String::with_capacity(64);
        push_maybe_quoted(&mut s, &self.identity.to_string_mode(mode));
        if !self.facet.is_empty() {
            s.push_str(" -f ");
            push_maybe_quoted(&mut s, &escape_string(&self.facet, "", mode));
        }
        s.push(' ');
        s.push_str(self.mode.option());
        if self.secure {
            s.push_str(" -s");
        }
        if self.protocol != PROTOCOL_1_0 {
            s.push_str(&format!(" -p {}", self.protocol));
        }
        s.push_str(&format!(" -e {}", self.encoding));
        if !self.endpoints.is_empty() {
            for e in &self.endpoints {
                s.push(':');
                s.push_str(&e.to_string());
            }
        } else if !self.adapter_id.is_empty() {
            s.push_str(" @ ");
            push_maybe_quoted(&mut s, &escape_string(&self.adapter_id, "", mode));
        }
        s
    }

    /// Writes the proxy (never null) in the encoding in effect in `out`.
    pub fn encode(&self, out: &mut OutputStream) {
        self.identity.encode(out);
        if self.facet.is_empty() {
            out.write_size(0);
        } else {
            out.write_size(1);
            out.write_string(&self.facet);
        }
        out.write_u8(self.mode as u8);
        out.write_bool(self.secure);
        if out.encoding() != super::ENCODING_1_0 {
            out.write_u8(self.protocol.major);
            out.write_u8(self.protocol.minor);
            out.write_u8(self.encoding.major);
            out.write_u8(self.encoding.minor);
        }
        out.write_size(self.endpoints.len());
        if self.endpoints.is_empty() {
            out.write_string(&self.adapter_id);
        } else {
            for e in &self.endpoints {
                e.encode(out);
            }
        }
    }

    /// Writes a proxy that may be null (a null proxy is an empty identity).
    pub fn encode_nullable(proxy: Option<&ProxyData>, out: &mut OutputStream) {
        match proxy {
            Some(p) => p.encode(out),
            None => Identity::default().encode(out),
        }
    }

    /// Reads a proxy; `None` for the null proxy.
    pub fn decode(input: &mut InputStream<'_>) -> Result<Option<ProxyData>, MarshalError> {
        let identity = Identity::decode(input)?;
        if identity.name.is_empty() {
            if identity.category.is_empty() {
                return Ok(None);
            }
            return Err(input.error(format!(
                "proxy identity with category `{}' and an empty name",
                identity.category
            )));
        }
        let facet = match input.read_size()? {
            0 => String::new(),
            1 => input.read_string()?,
            n => return Err(input.error(format!("proxy facet sequence with {n} elements"))),
        };
        let b = input.read_u8()?;
        let mode = InvocationMode::from_byte(b)
            .ok_or_else(|| input.error(format!("invalid proxy invocation mode {b}")))?;
        let secure = input.read_bool()?;
        let (protocol, encoding) = if input.encoding() == super::ENCODING_1_0 {
            (PROTOCOL_1_0, super::ENCODING_1_0)
        } else {
            let protocol = ProtocolVersion {
                major: input.read_u8()?,
                minor: input.read_u8()?,
            };
            let encoding = EncodingVersion {
                major: input.read_u8()?,
                minor: input.read_u8()?,
            };
            (protocol, encoding)
        };
        // Each endpoint takes at least a type (2 bytes) and an empty encapsulation (6).
        let n = input.read_count(8)?;
        let mut endpoints = Vec::with_capacity(n);
        for _ in 0..n {
            endpoints.push(EndpointData::decode(input)?);
        }
        let adapter_id = if n == 0 {
            input.read_string()?
        } else {
            String::new()
        };
        Ok(Some(ProxyData {
            identity,
            facet,
            mode,
            secure,
            protocol,
            encoding,
            endpoints,
            adapter_id,
        }))
    }
}

/// Ice's stringified form, e.g. `test -t -e 1.1:tcp -h 127.0.0.1 -p 10000 -t 60000`.
impl fmt::Display for ProxyData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_string_mode(ToStringMode::Unicode))
    }
}

impl std::str::FromStr for ProxyData {
    type Err = Error;
    fn from_str(s: &str) -> crate::Result<ProxyData> {
        ProxyData::parse(s)
    }
}

impl Encode for ProxyData {
    const OPTIONAL_FORMAT: OptionalFormat = OptionalFormat::FSize;
    fn encode(&self, out: &mut OutputStream) {
        ProxyData::encode(self, out);
    }
}

/// A nullable proxy (Slice `Object*`).
impl Encode for Option<ProxyData> {
    const OPTIONAL_FORMAT: OptionalFormat = OptionalFormat::FSize;
    fn encode(&self, out: &mut OutputStream) {
        ProxyData::encode_nullable(self.as_ref(), out);
    }
}

/// A nullable proxy (Slice `Object*`).
impl Decode for Option<ProxyData> {
    const MIN_WIRE_SIZE: usize = 2;
    const OPTIONAL_FORMAT: OptionalFormat = OptionalFormat::FSize;
    fn decode(input: &mut InputStream<'_>) -> Result<Self, MarshalError> {
        ProxyData::decode(input)
    }
}

/// Encloses `text` in double quotes when it contains a character the proxy parser treats
/// as a separator (blank, `:` or `@`).
pub(crate) fn push_maybe_quoted(s: &mut String, text: &str) {
    if text.contains([' ', ':', '@']) {
        s.push('"');
        s.push_str(text);
        s.push('"');
    } else {
        s.push_str(text);
    }
}

fn is_delim(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

/// Ice's `checkQuote`: if `s[start]` opens a quote, the index of the matching unescaped
/// closing quote (`Err` when there is none); `Ok(None)` when not quoted.
fn check_quote(s: &[u8], start: usize) -> Result<Option<usize>, ()> {
    let q = s[start];
    if q != b'"' && q != b'\'' {
        return Ok(None);
    }
    let mut pos = start + 1;
    while pos < s.len() {
        match s[pos..].iter().position(|&c| c == q) {
            None => break,
            Some(p) => {
                let p = p + pos;
                if s[p - 1] != b'\\' {
                    return Ok(Some(p));
                }
                pos = p + 1;
            }
        }
    }
    Err(())
}

fn find_not_delim(b: &[u8], from: usize) -> Option<usize> {
    (from..b.len()).find(|&i| !is_delim(b[i]))
}

fn find_delim_or(b: &[u8], from: usize, extra: &[u8]) -> usize {
    (from..b.len())
        .find(|&i| is_delim(b[i]) || extra.contains(&b[i]))
        .unwrap_or(b.len())
}

/// Reads a token at `beg` that may be quoted; returns it and the index after it.
fn quoted_token<'s>(s: &'s str, beg: usize, stop: &[u8]) -> Result<(&'s str, usize), ()> {
    let b = s.as_bytes();
    match check_quote(b, beg)? {
        None => {
            let end = find_delim_or(b, beg, stop);
            Ok((&s[beg..end], end))
        }
        Some(close) => Ok((&s[beg + 1..close], close + 1)),
    }
}

/// Ice's `ReferenceFactory::create(string)`.
fn parse_proxy(s: &str, defaults: &ParseDefaults) -> crate::Result<Option<ProxyData>> {
    let err = |reason: String| Error::ProxyParse {
        input: s.to_owned(),
        reason,
    };
    if s.is_empty() {
        return Ok(None);
    }
    let b = s.as_bytes();
    let Some(beg) = find_not_delim(b, 0) else {
        return Err(err(format!("no non-whitespace characters found in `{s}'")));
    };
    let (idstr, mut end) = quoted_token(s, beg, b":@")
        .map_err(|_| err(format!("mismatched quotes around identity in `{s}'")))?;
    if end == beg {
        return Err(err(format!("no identity in `{s}'")));
    }
    let identity = Identity::parse(idstr)?;
    if identity.name.is_empty() {
        if !identity.category.is_empty() {
            return Err(err(format!(
                "illegal identity: category `{}' with an empty name",
                identity.category
            )));
        }
        if find_not_delim(b, end).is_some() {
            return Err(err(format!("invalid characters after identity in `{s}'")));
        }
        return Ok(None);
    }

    let mut proxy = ProxyData::new(identity);
    proxy.encoding = defaults.encoding;
    let mut next = None;
    while let Some(beg) = find_not_delim(b, end) {
        if b[beg] == b':' || b[beg] == b'@' {
            next = Some(beg);
            break;
        }
        end = find_delim_or(b, beg, b":@");
        let option = &s[beg..end];
        if option.len() != 2 || !option.starts_with('-') {
            return Err(err(format!(
                "expected a proxy option but found `{option}' in `{s}'"
            )));
        }
        let mut argument: Option<&str> = None;
        if let Some(abeg) = find_not_delim(b, end) {
            if !matches!(b[abeg], b'@' | b':' | b'-') {
                let (a, aend) = quoted_token(s, abeg, b":@").map_err(|_| {
                    err(format!(
                        "mismatched quotes around value for {option} option in `{s}'"
                    ))
                })?;
                argument = Some(a);
                end = aend;
            }
        }
        let no_argument = |mode: InvocationMode| match argument {
            Some(a) if !a.is_empty() => Err(err(format!(
                "unexpected argument `{a}' provided for {option} option in `{s}'"
            ))),
            _ => Ok(mode),
        };
        let need_argument = || match argument {
            Some(a) if !a.is_empty() => Ok(a),
            _ => Err(err(format!(
                "no argument provided for {option} option in `{s}'"
            ))),
        };
        match option.as_bytes()[1] {
            b'f' => {
                proxy.facet = unescape_string(need_argument()?, "")
                    .map_err(|e| err(format!("invalid facet in `{s}': {e}")))?;
            }
            b't' => proxy.mode = no_argument(InvocationMode::Twoway)?,
            b'o' => proxy.mode = no_argument(InvocationMode::Oneway)?,
            b'O' => proxy.mode = no_argument(InvocationMode::BatchOneway)?,
            b'd' => proxy.mode = no_argument(InvocationMode::Datagram)?,
            b'D' => proxy.mode = no_argument(InvocationMode::BatchDatagram)?,
            b's' => {
                no_argument(proxy.mode)?;
                proxy.secure = true;
            }
            b'e' => {
                let a = need_argument()?;
                let (major, minor) = parse_version(a)
                    .map_err(|e| err(format!("invalid encoding version `{a}' in `{s}': {e}")))?;
                proxy.encoding = EncodingVersion { major, minor };
            }
            b'p' => {
                let a = need_argument()?;
                let (major, minor) = parse_version(a)
                    .map_err(|e| err(format!("invalid protocol version `{a}' in `{s}': {e}")))?;
                proxy.protocol = ProtocolVersion { major, minor };
            }
            _ => return Err(err(format!("unknown option `{option}' in `{s}'"))),
        }
    }

    let Some(beg) = next else {
        return Ok(Some(proxy));
    };
    if b[beg] == b':' {
        proxy.endpoints = parse_endpoint_list(split_endpoints(s, beg + 1), s, defaults, false)?;
        return Ok(Some(proxy));
    }

    // `@ adapter`
    let Some(abeg) = find_not_delim(b, beg + 1) else {
        return Err(err(format!("missing adapter id in `{s}'")));
    };
    let (adapter, aend) = quoted_token(s, abeg, b"")
        .map_err(|_| err(format!("mismatched quotes around adapter id in `{s}'")))?;
    if find_not_delim(b, aend).is_some() {
        return Err(err(format!(
            "invalid trailing characters after `{}' in `{s}'",
            s.get(..aend + 1).unwrap_or(s)
        )));
    }
    proxy.adapter_id = unescape_string(adapter, "")
        .map_err(|e| err(format!("invalid adapter id in `{s}': {e}")))?;
    if proxy.adapter_id.is_empty() {
        return Err(err(format!("empty adapter id in `{s}'")));
    }
    Ok(Some(proxy))
}
