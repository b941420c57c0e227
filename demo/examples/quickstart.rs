//! The README's quick start, compiled and runnable: a servant in the simplest style, a
//! server, and a client calling it, in one process.
//!
//! ```text
//! cargo run -p demo --example quickstart
//! ```

use demo::demo::{Grid, InterpolateError, Model, ModelPrx, ModelServant, RangeError};
use ice_runtime::communicator::Communicator;
use ice_runtime::dispatch::{Current, Dispatch};
use ice_runtime::identity::Identity;

/// Doubles every value (`factor` must be positive), answering on the dispatch thread.
struct Doubler;

impl Model for Doubler {
    fn interpolate(
        &self,
        data: Grid,
        factor: f32,
        _: &Current,
    ) -> Dispatch<Grid, InterpolateError> {
        if factor <= 0.0 {
            let reason = format!("factor must be positive, got {factor}");
            return Dispatch::err(InterpolateError::RangeError(RangeError { reason }));
        }
        let grid = data
            .into_iter()
            .map(|row| row.into_iter().map(|v| v * 2.0).collect())
            .collect();
        Dispatch::ok(grid)
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // --Ice.* arguments become properties; the rest is returned.
    let (communicator, _args) = Communicator::initialize(std::env::args())?;

    // Server: an adapter on an OS-assigned port, one servant.
    let adapter = communicator
        .create_object_adapter_with_endpoints_async("Model", "tcp -h 127.0.0.1 -p 0")
        .await?;
    adapter.add(ModelServant::new(Doubler), Identity::new("model"))?;
    adapter.activate()?;
    let proxy_text = adapter.proxy_string(&Identity::new("model"));

    // Client: a typed proxy; every call returns a `Send + 'static` future.
    let model = ModelPrx::checked_cast(&communicator.string_to_proxy(&proxy_text)?)
        .await?
        .ok_or("not a ::Demo::Model")?;
    let grid = model
        .interpolate(&[vec![1.0, 2.0], vec![3.0, 4.0]], 1.0)
        .await?;
    println!("{proxy_text} answered {grid:?}");
    match model.interpolate(&[vec![1.0]], -1.0).await {
        Err(InterpolateError::RangeError(e)) => println!("refused: {}", e.reason),
        other => println!("unexpected: {other:?}"),
    }

    communicator.destroy_async().await;
    Ok(())
}
