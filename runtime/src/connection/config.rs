//! Connection settings, read from Ice's properties.

use crate::error::Result;
use crate::properties::Properties;
use std::time::Duration;

/// When a connection sends heartbeats (`Ice.ACM.Heartbeat`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AcmHeartbeat {
    /// 0: never.
    Off,
    /// 1: while a dispatch is in progress and nothing was written for a quarter of the timeout.
    OnDispatch,
    /// 2: when nothing was written for a quarter of the timeout.
    OnIdle,
    /// 3: at every monitor run (every half timeout).
    Always,
}

/// When a connection is closed by the ACM monitor (`Ice.ACM.Close`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AcmClose {
    /// 0: never.
    Off,
    /// 1: gracefully when idle for a whole timeout.
    OnIdle,
    /// 2: forcefully when invocations are outstanding and nothing was read for a timeout.
    OnInvocation,
    /// 3: both of the above.
    OnInvocationAndIdle,
    /// 4: forcefully when nothing was read for a timeout, idle or not.
    OnIdleForceful,
}

/// Active connection management settings (Ice 3.7's ACM).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AcmConfig {
    /// `Timeout` in seconds (0 disables the monitor).
    pub timeout: Duration,
    /// `Heartbeat`.
    pub heartbeat: AcmHeartbeat,
    /// `Close`.
    pub close: AcmClose,
}

/// Which side of a connection the settings are for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// Outgoing connections (`Ice.ACM.Client.*`).
    Client,
    /// Incoming connections of an object adapter (`Ice.ACM.Server.*`, `<Adapter>.ACM.*`).
    Server,
}

/// Everything a connection needs to know from the properties.
#[derive(Clone, Debug)]
pub struct ConnectionConfig {
    /// The side.
    pub side: Side,
    /// `Ice.MessageSizeMax` in bytes (`usize::MAX` for no limit).
    pub message_size_max: usize,
    /// ACM settings.
    pub acm: AcmConfig,
    /// Dispatches a connection may have outstanding before it stops reading
    /// (`Ice.Connection.MaxDispatches`, `<Adapter>.Connection.MaxDispatches`; default 100).
    pub max_dispatches: usize,
    /// Time allowed to connect and receive the validation message
    /// (`Ice.Override.ConnectTimeout`, else `Ice.Override.Timeout`, else the endpoint timeout,
    /// else 60 s).
    pub connect_timeout: Duration,
    /// Time a graceful close waits for the peer to close the socket
    /// (`Ice.Override.CloseTimeout`, default 10 s).
    pub close_timeout: Duration,
    /// How long a write may make no progress before the connection is closed (Ice uses the
    /// endpoint timeout for this; `Ice.Override.Timeout`, default 60 s; zero: no limit).
    pub write_timeout: Duration,
    /// Bytes of outgoing messages a connection may queue; a peer that stops reading its
    /// replies beyond this is disconnected (`Ice.Connection.MaxWriteQueue` in KiB;
    /// default four times the message size limit, at least 4 MiB).
    pub write_queue_max: usize,
    /// `Ice.Compression.Level` (1 to 9, default 1).
    pub compression_level: u32,
    /// `Ice.Trace.Network`.
    pub trace_network: i64,
    /// `Ice.Trace.Protocol`.
    pub trace_protocol: i64,
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        ConnectionConfig::defaults(Side::Client)
    }
}

/// The built-in defaults, spelled out (empty properties cannot fail to parse).
fn builtin_defaults() -> ConnectionConfig {
    ConnectionConfig {
        side: Side::Client,
        message_size_max: 1024 * 1024,
        acm: AcmConfig {
            timeout: Duration::from_secs(60),
            heartbeat: AcmHeartbeat::OnDispatch,
            close: AcmClose::OnInvocationAndIdle,
        },
        max_dispatches: 100,
        connect_timeout: Duration::from_secs(60),
        close_timeout: Duration::from_secs(10),
        write_timeout: Duration::from_secs(60),
        write_queue_max: 4 * 1024 * 1024,
        compression_level: 1,
        trace_network: 0,
        trace_protocol: 0,
    }
}

fn first_int(props: &Properties, names: &[String], default: i64) -> Result<i64> {
    for n in names {
        if props.get_opt(n).is_some() {
            return props.get_int_with_default(n, default);
        }
    }
    Ok(default)
}

impl ConnectionConfig {
    /// Ice's defaults for `side` (no properties set).
    pub fn defaults(side: Side) -> ConnectionConfig {
        ConnectionConfig::from_properties(&Properties::new(), side, None)
            .unwrap_or_else(|_| builtin_defaults())
    }

    /// Settings for `side`, with per-adapter overrides read from `<adapter>.*` when given.
    pub fn from_properties(
        props: &Properties,
        side: Side,
        adapter: Option<&str>,
    ) -> Result<ConnectionConfig> {
        let message_size_max = crate::protocol::message_size_limit(
            props.get_int_with_default("Ice.MessageSizeMax", 1024)?,
        );
        let side_name = match side {
            Side::Client => "Client",
            Side::Server => "Server",
        };
        let acm_names = |key: &str| -> Vec<String> {
            let mut v = Vec::new();
            if let Some(a) = adapter {
                v.push(format!("{a}.ACM.{key}"));
            }
            v.push(format!("Ice.ACM.{side_name}.{key}"));
            v.push(format!("Ice.ACM.{key}"));
            v
        };
        let timeout = first_int(props, &acm_names("Timeout"), 60)?.max(0) as u64;
        let heartbeat = match first_int(props, &acm_names("Heartbeat"), 1)? {
            0 => AcmHeartbeat::Off,
            2 => AcmHeartbeat::OnIdle,
            3 => AcmHeartbeat::Always,
            _ => AcmHeartbeat::OnDispatch,
        };
        let default_close = match side {
            Side::Client => 3,
            Side::Server => 2,
        };
        let close = match first_int(props, &acm_names("Close"), default_close)? {
            0 => AcmClose::Off,
            1 => AcmClose::OnIdle,
            2 => AcmClose::OnInvocation,
            4 => AcmClose::OnIdleForceful,
            _ => AcmClose::OnInvocationAndIdle,
        };
        // Ice 3.8 replaced ACM by an idle timeout: heartbeats whenever nothing was written for
        // a while, and an abort when nothing was read for the whole timeout. When one of its
        // properties is set, behave that way.
        let mut idle_names = Vec::new();
        if let Some(a) = adapter {
            idle_names.push(format!("{a}.Connection.IdleTimeout"));
        }
        idle_names.push(format!("Ice.Connection.{side_name}.IdleTimeout"));
        idle_names.push("Ice.Connection.IdleTimeout".to_owned());
        let idle_set = idle_names.iter().any(|n| props.get_opt(n).is_some());
        let (timeout, heartbeat, close) = if idle_set {
            let idle = first_int(props, &idle_names, 60)?.max(0) as u64;
            let check_names: Vec<String> = idle_names
                .iter()
                .map(|n| n.replace("IdleTimeout", "EnableIdleCheck"))
                .collect();
            let check = first_int(props, &check_names, 1)? > 0;
            let close = if check {
                AcmClose::OnIdleForceful
            } else {
                AcmClose::Off
            };
            (idle, AcmHeartbeat::OnIdle, close)
        } else {
            (timeout, heartbeat, close)
        };
        let mut dispatch_names = Vec::new();
        if let Some(a) = adapter {
            dispatch_names.push(format!("{a}.Connection.MaxDispatches"));
        }
        dispatch_names.push(format!("Ice.Connection.{side_name}.MaxDispatches"));
        dispatch_names.push("Ice.Connection.MaxDispatches".to_owned());
        let max_dispatches = match first_int(props, &dispatch_names, 100)? {
            n if n <= 0 => usize::MAX >> 4,
            n => n as usize,
        };
        let override_timeout = props.get_int_with_default("Ice.Override.Timeout", -1)?;
        let connect_timeout = match props.get_int_with_default("Ice.Override.ConnectTimeout", -1)? {
            n if n > 0 => Duration::from_millis(n as u64),
            _ if override_timeout > 0 => Duration::from_millis(override_timeout as u64),
            _ => Duration::from_secs(60),
        };
        let close_timeout = match props.get_int_with_default("Ice.Override.CloseTimeout", -1)? {
            n if n > 0 => Duration::from_millis(n as u64),
            _ => Duration::from_secs(10),
        };
        let write_timeout = match override_timeout {
            n if n > 0 => Duration::from_millis(n as u64),
            0 => Duration::ZERO,
            _ => Duration::from_secs(60),
        };
        let default_queue = message_size_max.saturating_mul(4).max(4 * 1024 * 1024);
        let write_queue_max = match props.get_int_with_default("Ice.Connection.MaxWriteQueue", 0)? {
            n if n > 0 => (n as usize).saturating_mul(1024),
            _ => default_queue,
        };
        Ok(ConnectionConfig {
            side,
            message_size_max,
            acm: AcmConfig {
                timeout: Duration::from_secs(timeout),
                heartbeat,
                close,
            },
            max_dispatches,
            connect_timeout,
            close_timeout,
            write_timeout,
            write_queue_max,
            compression_level: props
                .get_int_with_default("Ice.Compression.Level", 1)?
                .clamp(1, 9) as u32,
            trace_network: props.get_int("Ice.Trace.Network")?,
            trace_protocol: props.get_int("Ice.Trace.Protocol")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let c = ConnectionConfig::default();
        assert_eq!(c.message_size_max, 1024 * 1024);
        assert_eq!(c.max_dispatches, 100);
        assert_eq!(c.acm.close, AcmClose::OnInvocationAndIdle);
        let p = Properties::new();
        p.set("Ice.ACM.Server.Timeout", "5");
        p.set("A.ACM.Heartbeat", "3");
        p.set("A.Connection.MaxDispatches", "7");
        p.set("Ice.MessageSizeMax", "0");
        let c = ConnectionConfig::from_properties(&p, Side::Server, Some("A")).unwrap();
        assert_eq!(c.acm.timeout, Duration::from_secs(5));
        assert_eq!(c.acm.heartbeat, AcmHeartbeat::Always);
        assert_eq!(c.acm.close, AcmClose::OnInvocation);
        assert_eq!(c.max_dispatches, 7);
        assert_eq!(c.message_size_max, usize::MAX);
        p.set("Ice.Connection.IdleTimeout", "30");
        let c = ConnectionConfig::from_properties(&p, Side::Client, None).unwrap();
        assert_eq!(c.acm.timeout, Duration::from_secs(30));
        assert_eq!(c.acm.heartbeat, AcmHeartbeat::OnIdle);
        assert_eq!(c.acm.close, AcmClose::OnIdleForceful);
    }
}
