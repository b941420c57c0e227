// A servant may only raise the exceptions its operation declares: `Unrelated` is not in
// `interpolate`'s throws clause, so this must not compile.
include!("../../codegen/demo.rs");

use demo::{Grid, InterpolateError, Model, Unrelated};
use ice_runtime::dispatch::{Current, Dispatch};

struct ModelI;

impl Model for ModelI {
    fn interpolate(&self, _data: Grid, _factor: f32, _: &Current) -> Dispatch<Grid, InterpolateError> {
        Dispatch::err(Unrelated { why: "not declared".into() }.into())
    }
}

fn main() {
    let _ = demo::ModelServant::new(ModelI);
}
