//! The endpoints an adapter listens on. `<Adapter>.Endpoints` is parsed by the encoding's
//! endpoint parser in server mode ([`EndpointData::parse_list`]); this module only refuses
//! the transports an adapter cannot listen on and describes what the adapter publishes.

use crate::encoding::{EndpointData, ParseDefaults};
use crate::error::{Error, Result};

/// One `tcp` endpoint to listen on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TcpEndpoint {
    /// Host to bind (empty or `*` for every interface).
    pub host: String,
    /// Port (0: chosen by the system).
    pub port: u16,
    /// `-t` timeout in milliseconds, if given (`-1` for infinite).
    pub timeout: Option<i32>,
    /// `-z`: compression wanted.
    pub compress: bool,
}

impl std::fmt::Display for TcpEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "tcp -h {} -p {}", self.host, self.port)?;
        if let Some(t) = self.timeout {
            write!(f, " -t {t}")?;
        }
        if self.compress {
            f.write_str(" -z")?;
        }
        Ok(())
    }
}

/// Parses an `<Adapter>.Endpoints` value with the communicator's `Ice.Default.*` settings
/// (server mode: `-h *` is allowed); an empty value gives no endpoints. Only `tcp` endpoints
/// can be listened on: any other transport is refused.
pub fn parse_endpoints(input: &str, defaults: &ParseDefaults) -> Result<Vec<EndpointData>> {
    if input.trim().is_empty() {
        return Ok(Vec::new());
    }
    let endpoints = EndpointData::parse_list(input, defaults, true)?;
    if let Some(e) = endpoints
        .iter()
        .find(|e| !matches!(e, EndpointData::Tcp(_)))
    {
        return Err(Error::EndpointParse {
            input: input.to_owned(),
            reason: format!(
                "transport `{}' is not supported by object adapters (only tcp)",
                e.transport()
            ),
        });
    }
    Ok(endpoints)
}

/// Whether `host` means every interface (`-h *`, `-h 0.0.0.0`, or no host).
pub(crate) fn is_wildcard(host: &str) -> bool {
    matches!(host, "" | "*" | "0.0.0.0")
}

/// The machine's IPv4 addresses other than loopback ones, in the order the system lists
/// them; `127.0.0.1` alone when there is no other (or the list cannot be read).
pub(crate) fn local_hosts() -> Vec<String> {
    let mut hosts: Vec<String> = Vec::new();
    for interface in if_addrs::get_if_addrs().unwrap_or_default() {
        if let std::net::IpAddr::V4(a) = interface.ip() {
            let text = a.to_string();
            if !a.is_loopback() && !hosts.contains(&text) {
                hosts.push(text);
            }
        }
    }
    if hosts.is_empty() {
        hosts.push("127.0.0.1".to_owned());
    }
    hosts
}

impl TcpEndpoint {
    /// What an adapter publishes for a parsed `tcp` endpoint it listens on at `port` (the
    /// port the system chose for `-p 0`).
    pub(crate) fn published(endpoint: &crate::encoding::TcpEndpoint, port: u16) -> TcpEndpoint {
        TcpEndpoint {
            host: endpoint.host.clone(),
            port,
            timeout: Some(endpoint.timeout),
            compress: endpoint.compress,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp(e: &EndpointData) -> &crate::encoding::TcpEndpoint {
        match e {
            EndpointData::Tcp(t) => t,
            other => panic!("not tcp: {other}"),
        }
    }

    #[test]
    fn parses_tcp_endpoints() {
        let d = ParseDefaults::default();
        let e = parse_endpoints("tcp -h 127.0.0.1 -p 0 -t 5000:tcp -p 4061 -z", &d).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(tcp(&e[0]).host, "127.0.0.1");
        assert_eq!(tcp(&e[0]).timeout, 5000);
        assert_eq!(tcp(&e[1]).port, 4061);
        assert!(tcp(&e[1]).compress);
        let any = parse_endpoints("default -h * -p 1", &d).unwrap();
        assert!(
            matches!(tcp(&any[0]).host.as_str(), "" | "*"),
            "a wildcard host"
        );
        assert!(parse_endpoints("udp -p 1", &d).is_err());
        assert!(parse_endpoints("ssl -p 1", &d).is_err());
        assert!(parse_endpoints("tcp -p x", &d).is_err());
        assert!(parse_endpoints("  ", &d).unwrap().is_empty());
    }
}
