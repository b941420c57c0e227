// The declared exception, a runtime error and every way to answer compile.
include!("../../codegen/demo.rs");

use demo::{Grid, InterpolateError, Model, RangeError};
use ice_runtime::dispatch::{Current, Dispatch};

struct ModelI;

impl Model for ModelI {
    fn interpolate(&self, data: Grid, factor: f32, _: &Current) -> Dispatch<Grid, InterpolateError> {
        if factor < 0.0 {
            return Dispatch::err(RangeError { reason: "negative".into() }.into());
        }
        if factor == 0.0 {
            return Dispatch::err(ice_runtime::Error::Other("zero".into()).into());
        }
        if factor > 1.0 {
            return Dispatch::pending(async move { Ok(data) });
        }
        Dispatch::ok(data)
    }
}

fn main() {
    let _ = demo::ModelServant::new(ModelI);
}
