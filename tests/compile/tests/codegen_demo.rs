//! The demo's generated code end to end, Rust to Rust over TCP: a servant answering
//! synchronously, with a declared exception, through a promise and through a chained proxy
//! call; the typed proxy; casts.

use ice_compile_tests::demo_ice::demo::{
    Grid, InterpolateError, Model, ModelPrx, ModelServant, RangeError,
};
use ice_runtime::communicator::Communicator;
use ice_runtime::dispatch::{Current, Dispatch};
use ice_runtime::identity::Identity;
use ice_runtime::properties::Properties;
use ice_runtime::proxy::Wait;

struct ModelI {
    /// Where big factors are forwarded (the same object, to show chaining).
    next: std::sync::Mutex<Option<ModelPrx>>,
}

impl Model for ModelI {
    fn interpolate(
        &self,
        data: Grid,
        factor: f32,
        _: &Current,
    ) -> Dispatch<Grid, InterpolateError> {
        if factor < 0.0 {
            return Dispatch::err(
                RangeError {
                    reason: format!("negative factor {factor}"),
                }
                .into(),
            );
        }
        if factor > 100.0 {
            // Chained: the result of another call on a proxy is this call's result.
            let next = self.next.lock().ok().and_then(|n| n.clone());
            return match next {
                Some(p) => Dispatch::pending(p.interpolate(&data, factor / 100.0)),
                None => Dispatch::err(ice_runtime::Error::Other("no next".into()).into()),
            };
        }
        if factor > 10.0 {
            // Completed later from another thread.
            let (promise, dispatch) = Dispatch::promise();
            std::thread::spawn(move || {
                promise.set_result(scale(data, factor));
            });
            return dispatch;
        }
        Dispatch::ok(scale(data, factor))
    }
}

fn scale(data: Grid, factor: f32) -> Grid {
    data.into_iter()
        .map(|row| row.into_iter().map(|v| v * factor).collect())
        .collect()
}

#[test]
fn demo_round_trip() {
    let properties = Properties::new();
    properties.set("Demo.Endpoints", "tcp -h 127.0.0.1 -p 0");
    let communicator = Communicator::with_properties(properties).expect("communicator");
    let adapter = communicator.create_object_adapter("Demo").expect("adapter");
    let servant = std::sync::Arc::new(ModelI {
        next: std::sync::Mutex::new(None),
    });
    adapter
        .add(
            ModelServant::from_arc(servant.clone()),
            Identity::new("model"),
        )
        .expect("add");
    adapter.activate().expect("activate");
    let port = adapter.endpoints()[0].port;
    let base = communicator
        .string_to_proxy(&format!("model:tcp -h 127.0.0.1 -p {port}"))
        .expect("proxy");
    let model: ModelPrx = ModelPrx::checked_cast(&base)
        .wait()
        .expect("cast")
        .expect("is a Model");
    *servant.next.lock().unwrap() = Some(model.clone());

    let grid: Grid = vec![vec![1.0, 2.0], vec![], vec![3.5]];
    assert_eq!(
        model.interpolate(&grid, 2.0).wait().unwrap(),
        vec![vec![2.0, 4.0], vec![], vec![7.0]]
    );
    assert_eq!(
        model.interpolate(&grid, 20.0).wait().unwrap(),
        vec![vec![20.0, 40.0], vec![], vec![70.0]]
    );
    assert_eq!(
        model.interpolate(&grid, 200.0).wait().unwrap(),
        vec![vec![2.0, 4.0], vec![], vec![7.0]]
    );
    match model.interpolate(&grid, -1.0).wait() {
        Err(InterpolateError::RangeError(e)) => assert_eq!(e.reason, "negative factor -1"),
        other => panic!("expected RangeError, got {other:?}"),
    }
    // A big grid goes through the bulk paths.
    let big: Grid = (0..256)
        .map(|i| (0..256).map(|j| (i * j) as f32).collect())
        .collect();
    let back = model.interpolate(&big, 1.0).wait().unwrap();
    assert_eq!(back, big);

    let other = communicator
        .string_to_proxy(&format!("nobody:tcp -h 127.0.0.1 -p {port}"))
        .expect("proxy");
    match ModelPrx::unchecked_cast(&other)
        .interpolate(&grid, 1.0)
        .wait()
    {
        Err(InterpolateError::Ice(ice_runtime::Error::ObjectNotExist { .. })) => {}
        r => panic!("expected ObjectNotExist, got {r:?}"),
    }
    assert_eq!(ModelPrx::checked_cast(&other).wait().ok().flatten(), None);
    // Typed factories keep the proxy's type; a call with results needs a twoway proxy.
    let oneway: ModelPrx = model.ice_oneway();
    match oneway.interpolate(&grid, 1.0).wait() {
        Err(InterpolateError::Ice(ice_runtime::Error::TwowayOnly(_))) => {}
        r => panic!("expected TwowayOnly, got {r:?}"),
    }
    let back: ModelPrx = oneway.ice_twoway();
    assert_eq!(back.interpolate(&grid, 1.0).wait().unwrap(), grid);
    communicator.destroy();
}
