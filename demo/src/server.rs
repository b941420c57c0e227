//! Starting a `Demo::Model` server in one of the dispatch styles: the object adapter `Model`
//! serving identity `model`, and for the chain and async styles an internal server (adapter
//! `Internal`, identity `internal`, OS-assigned port on 127.0.0.1) unless a proxy to one is
//! given.

use crate::generated::demo::{ModelPrx, ModelServant};
use crate::servants::{AsyncModel, ChainModel, LeafModel, QueueModel, SyncModel};
use ice_runtime::adapter::ObjectAdapter;
use ice_runtime::communicator::Communicator;
use ice_runtime::dispatch::Servant;
use ice_runtime::identity::Identity;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// The identity every demo server serves.
pub const IDENTITY: &str = "model";

/// How the `Model` servant answers (see [`crate::servants`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// On the dispatch thread.
    Sync,
    /// Through a job queue and worker threads completing promises.
    Queue,
    /// By returning the future of a call to an internal server.
    Chain,
    /// By an `async` block calling the internal server twice.
    Async,
}

impl Style {
    /// Every style, in the order the demo runs them.
    pub const ALL: [Style; 4] = [Style::Sync, Style::Queue, Style::Chain, Style::Async];

    /// The style's command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Style::Sync => "sync",
            Style::Queue => "queue",
            Style::Chain => "chain",
            Style::Async => "async",
        }
    }

    /// Whether the style forwards to an internal server.
    pub fn uses_internal(self) -> bool {
        matches!(self, Style::Chain | Style::Async)
    }
}

impl fmt::Display for Style {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Style {
    type Err = String;
    fn from_str(s: &str) -> Result<Style, String> {
        Style::ALL
            .into_iter()
            .find(|st| st.name() == s)
            .ok_or_else(|| format!("unknown style `{s}': use sync, queue, chain or async"))
    }
}

/// What a server is asked to be.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// The dispatch style.
    pub style: Style,
    /// Where the `Model` adapter listens (Ice syntax).
    pub endpoints: String,
    /// Dispatch threads of the `Model` adapter (`Model.ThreadPool.Size`); `None` leaves the
    /// properties (`Ice.ThreadPool.Server.Size`, default 1) in charge.
    pub threads: Option<usize>,
    /// The internal server for chain and async; `None` starts one in this process.
    pub internal: Option<String>,
    /// Simulated slow work per call.
    pub delay: Duration,
    /// Worker threads of the queue style.
    pub workers: usize,
}

impl Default for ServerOptions {
    fn default() -> ServerOptions {
        ServerOptions {
            style: Style::Sync,
            endpoints: "tcp -h 127.0.0.1 -p 0".into(),
            threads: None,
            internal: None,
            delay: Duration::ZERO,
            workers: 100,
        }
    }
}

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The Ice runtime refused (bad endpoints, port in use, bad proxy, ...).
    #[error(transparent)]
    Ice(#[from] ice_runtime::Error),
    /// A worker thread could not be started.
    #[error("cannot start the worker threads: {0}")]
    Threads(#[from] std::io::Error),
}

/// A running demo server: its adapter and, when started here, the internal server's.
#[derive(Debug)]
pub struct DemoServer {
    /// The `Model` adapter.
    pub adapter: ObjectAdapter,
    /// The internal adapter, when this server started one.
    pub internal: Option<ObjectAdapter>,
    /// The proxy of the `model` object.
    pub proxy: String,
}

impl DemoServer {
    /// Starts a server on `communicator` and activates it.
    pub async fn start(
        communicator: &Communicator,
        options: &ServerOptions,
    ) -> Result<DemoServer, ServerError> {
        if let Some(n) = options.threads {
            let props = communicator.properties();
            props.set("Model.ThreadPool.Size", &n.to_string());
            props.set("Model.ThreadPool.SizeMax", &n.to_string());
        }
        let mut internal_adapter = None;
        let servant: Arc<dyn Servant> = match options.style {
            Style::Sync => ModelServant::new(SyncModel {
                delay: options.delay,
            }),
            Style::Queue => ModelServant::new(QueueModel::new(options.workers, options.delay)?),
            Style::Chain => {
                let (internal, a) = internal_server(communicator, options).await?;
                internal_adapter = a;
                ModelServant::new(ChainModel { internal })
            }
            Style::Async => {
                let (internal, a) = internal_server(communicator, options).await?;
                internal_adapter = a;
                ModelServant::new(AsyncModel { internal })
            }
        };
        let adapter = communicator
            .create_object_adapter_with_endpoints_async("Model", &options.endpoints)
            .await?;
        let id = Identity::new(IDENTITY);
        adapter.add(servant, id.clone())?;
        adapter.activate()?;
        let proxy = adapter.proxy_string(&id);
        Ok(DemoServer {
            adapter,
            internal: internal_adapter,
            proxy,
        })
    }
}

/// The proxy of the internal server: the one given, or a [`LeafModel`] started here (then
/// its adapter too).
async fn internal_server(
    communicator: &Communicator,
    options: &ServerOptions,
) -> Result<(ModelPrx, Option<ObjectAdapter>), ServerError> {
    if let Some(p) = &options.internal {
        return Ok((
            ModelPrx::unchecked_cast(&communicator.string_to_proxy(p)?),
            None,
        ));
    }
    let adapter = communicator
        .create_object_adapter_with_endpoints_async("Internal", "tcp -h 127.0.0.1 -p 0")
        .await?;
    let id = Identity::new("internal");
    adapter.add(
        ModelServant::new(LeafModel {
            delay: options.delay,
        }),
        id.clone(),
    )?;
    adapter.activate()?;
    let proxy = communicator.string_to_proxy(&adapter.proxy_string(&id))?;
    Ok((ModelPrx::unchecked_cast(&proxy), Some(adapter)))
}
