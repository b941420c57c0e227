//! Creating object adapters from a [`Communicator`]: configuration from its properties,
//! listeners on the adapter's endpoints, deactivation at communicator shutdown.

use super::{parse_endpoints, AdapterConfig, ObjectAdapter, TcpEndpoint};
use crate::communicator::{on_runtime_thread, Communicator};
use crate::connection::{listen_endpoint, ConnectionConfig, Side};
use crate::encoding::EndpointData;
use crate::error::{Error, Result};
use std::future::Future;

impl Communicator {
    /// Creates an object adapter configured by the properties `<name>.Endpoints`,
    /// `<name>.ThreadPool.*` (else `Ice.ThreadPool.Server.*`), `<name>.ACM.*`,
    /// `<name>.Connection.MaxDispatches`, ... It listens at once and starts holding: call
    /// [`ObjectAdapter::activate`]. The communicator's shutdown deactivates it.
    ///
    /// Blocks while binding; on a runtime thread use
    /// [`Communicator::create_object_adapter_async`].
    pub fn create_object_adapter(&self, name: &str) -> Result<ObjectAdapter> {
        block(self, self.create_object_adapter_async(name))?
    }

    /// Creates an object adapter listening on `endpoints` (Ice syntax, e.g.
    /// `tcp -h 127.0.0.1 -p 0`), other settings as [`Communicator::create_object_adapter`].
    pub fn create_object_adapter_with_endpoints(
        &self,
        name: &str,
        endpoints: &str,
    ) -> Result<ObjectAdapter> {
        block(
            self,
            self.create_object_adapter_with_endpoints_async(name, endpoints),
        )?
    }

    /// [`Communicator::create_object_adapter`] for async code.
    pub async fn create_object_adapter_async(&self, name: &str) -> Result<ObjectAdapter> {
        create(self, name, None).await
    }

    /// [`Communicator::create_object_adapter_with_endpoints`] for async code.
    pub async fn create_object_adapter_with_endpoints_async(
        &self,
        name: &str,
        endpoints: &str,
    ) -> Result<ObjectAdapter> {
        create(self, name, Some(endpoints)).await
    }
}

/// Runs `future` to completion from synchronous code, on or off a runtime thread.
fn block<F: Future>(communicator: &Communicator, future: F) -> Result<F::Output> {
    if !on_runtime_thread() {
        return communicator.block_on(future);
    }
    match tokio::runtime::Handle::current().runtime_flavor() {
        tokio::runtime::RuntimeFlavor::MultiThread => Ok(tokio::task::block_in_place(|| {
            communicator.runtime_handle().block_on(future)
        })),
        _ => Err(Error::WouldBlock(
            "creating an object adapter on a single-threaded runtime: use the _async form".into(),
        )),
    }
}

async fn create(
    communicator: &Communicator,
    name: &str,
    endpoints: Option<&str>,
) -> Result<ObjectAdapter> {
    if communicator.is_destroyed() {
        return Err(Error::CommunicatorDestroyed);
    }
    let props = communicator.properties();
    let mut config = AdapterConfig::from_properties(name, |k| props.get_opt(k))?;
    if let Some(e) = endpoints {
        config.endpoints = e.to_owned();
    }
    let parsed = parse_endpoints(&config.endpoints, &communicator.client_defaults().parse)?;
    let connection_config = ConnectionConfig::from_properties(props, Side::Server, Some(name))?;
    let adapter = ObjectAdapter::create(
        name.to_owned(),
        config,
        communicator.runtime_handle().clone(),
        Some(communicator.clone()),
    )?;
    for endpoint in parsed {
        // parse_endpoints keeps only tcp endpoints.
        let EndpointData::Tcp(tcp) = &endpoint else {
            continue;
        };
        let listener = match listen_endpoint(
            &endpoint,
            connection_config.clone(),
            adapter.request_handler(),
        )
        .await
        {
            Ok(l) => l,
            Err(e) => {
                adapter.destroy();
                return Err(e);
            }
        };
        let published = TcpEndpoint::published(tcp, listener.local_addr().port());
        adapter.shared.listeners.lock().push((published, listener));
    }
    let a = adapter.clone();
    communicator.on_shutdown(move || {
        Box::pin(async move {
            a.begin_deactivate();
            a.deactivated().await;
        })
    });
    Ok(adapter)
}
