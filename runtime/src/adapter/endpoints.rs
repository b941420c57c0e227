//! The endpoints an adapter listens on: a small parser for the `tcp` endpoints of an
//! `<Adapter>.Endpoints` value (`tcp -h host -p port [-t timeout] [-z]`, several separated
//! by `:`). Other transports are refused with a clear error.

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

/// Parses an endpoint list; an empty list gives no endpoints.
pub fn parse_endpoints(input: &str) -> Result<Vec<TcpEndpoint>> {
    let err = |reason: String| Error::EndpointParse {
        input: input.to_owned(),
        reason,
    };
    let mut out = Vec::new();
    for part in input.split(':') {
        let words: Vec<&str> = part.split_whitespace().collect();
        let Some((&transport, options)) = words.split_first() else {
            continue;
        };
        if transport != "tcp" && transport != "default" {
            return Err(err(format!(
                "transport `{transport}' is not supported by object adapters (only tcp)"
            )));
        }
        let mut e = TcpEndpoint {
            host: String::new(),
            port: 0,
            timeout: None,
            compress: false,
        };
        let mut it = options.iter();
        while let Some(&opt) = it.next() {
            let mut value = |name: &str| {
                it.next()
                    .copied()
                    .ok_or_else(|| err(format!("option {name} needs an argument")))
            };
            match opt {
                "-h" => e.host = value("-h")?.trim_matches('"').to_owned(),
                "-p" => {
                    let v = value("-p")?;
                    e.port = v.parse().map_err(|_| err(format!("invalid port `{v}'")))?;
                }
                "-t" => {
                    let v = value("-t")?;
                    e.timeout = Some(if v == "infinite" {
                        -1
                    } else {
                        v.parse()
                            .map_err(|_| err(format!("invalid timeout `{v}'")))?
                    });
                }
                "-z" => e.compress = true,
                other => return Err(err(format!("unknown option `{other}'"))),
            }
        }
        out.push(e);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tcp_endpoints() {
        let e = parse_endpoints("tcp -h 127.0.0.1 -p 0 -t 5000:tcp -p 4061 -z").unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].host, "127.0.0.1");
        assert_eq!(e[0].timeout, Some(5000));
        assert_eq!(e[1].port, 4061);
        assert!(e[1].compress);
        assert!(parse_endpoints("udp -p 1").is_err());
        assert!(parse_endpoints("tcp -p x").is_err());
        assert!(parse_endpoints("").unwrap().is_empty());
    }
}
