//! The Rust mapping of `slice/Demo.ice`, written by hand in exactly the shape `slicec-rs`
//! generates, until the build script can generate it (then this file goes away and
//! `ice_runtime::include_slice!("Demo")` takes its place).

/// `module Demo`.
pub mod demo {
    use ice_runtime::dispatch::{
        Current, Dispatch, DispatchError, Dispatched, ErrorReply, Request, Servant,
    };
    use ice_runtime::encoding::{InputStream, MarshalError, OutputStream, UserException};
    use ice_runtime::proxy::{ObjectPrx, TypedProxy};
    use ice_runtime::{Error, OperationMode, ReplyStatus};
    use std::future::Future;
    use std::sync::Arc;

    /// One row of a grid of samples.
    pub type Row = Vec<f32>;

    /// A rectangular grid of samples: every row has the same number of values.
    pub type Grid = Vec<Row>;

    /// Raised when a grid or a factor cannot be interpolated.
    #[derive(Clone, Debug, Default, PartialEq)]
    pub struct RangeError {
        /// Why the input was refused, e.g. "row 1 has 2 values, row 0 has 3".
        pub reason: String,
    }

    impl RangeError {
        /// A `RangeError` with `reason`.
        pub fn new(reason: impl Into<String>) -> RangeError {
            RangeError {
                reason: reason.into(),
            }
        }
    }

    impl std::fmt::Display for RangeError {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "::Demo::RangeError {{ reason = {} }}", self.reason)
        }
    }

    impl std::error::Error for RangeError {}

    impl UserException for RangeError {
        fn ice_id(&self) -> &'static str {
            "::Demo::RangeError"
        }
        fn ice_write_slices(&self, out: &mut OutputStream) {
            out.start_slice("::Demo::RangeError", None, true);
            out.write(&self.reason);
            out.end_slice();
        }
        fn ice_read_slices(&mut self, input: &mut InputStream<'_>) -> Result<(), MarshalError> {
            input.start_slice()?;
            self.reason = input.read()?;
            input.end_slice()
        }
    }

    /// The error of `Model::interpolate`: the declared `RangeError`, or a runtime error.
    #[derive(Debug)]
    pub enum InterpolateError {
        /// `throws RangeError`.
        RangeError(RangeError),
        /// A runtime error (connection lost, unknown exception, ...).
        Ice(Error),
    }

    impl From<Error> for InterpolateError {
        fn from(e: Error) -> InterpolateError {
            InterpolateError::Ice(e)
        }
    }

    impl From<RangeError> for InterpolateError {
        fn from(e: RangeError) -> InterpolateError {
            InterpolateError::RangeError(e)
        }
    }

    impl std::fmt::Display for InterpolateError {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            match self {
                InterpolateError::RangeError(e) => std::fmt::Display::fmt(e, f),
                InterpolateError::Ice(e) => std::fmt::Display::fmt(e, f),
            }
        }
    }

    impl std::error::Error for InterpolateError {}

    impl DispatchError for InterpolateError {
        fn error_reply(&self) -> ErrorReply<'_> {
            match self {
                InterpolateError::RangeError(e) => ErrorReply::User(e),
                InterpolateError::Ice(e) => ErrorReply::Runtime(e),
            }
        }
    }

    /// A model that resamples grids (servant trait: implement it, add
    /// `ModelServant::new(servant)` to an object adapter).
    pub trait Model: Send + Sync + 'static {
        /// Resamples `data` bilinearly by `factor` (see `Demo.ice`).
        fn interpolate(
            &self,
            data: Grid,
            factor: f32,
            current: &Current,
        ) -> Dispatch<Grid, InterpolateError>;
    }

    /// Makes a [`Model`] implementation an Ice object: add `ModelServant::new(servant)` to an
    /// object adapter.
    pub struct ModelServant<S: ?Sized + Model = dyn Model>(pub Arc<S>);

    impl<S: Model> ModelServant<S> {
        /// Wraps `servant` for an object adapter.
        pub fn new(servant: S) -> Arc<dyn Servant> {
            Arc::new(ModelServant(Arc::new(servant)))
        }
    }

    impl<S: ?Sized + Model> ModelServant<S> {
        /// Wraps a shared servant for an object adapter.
        pub fn from_arc(servant: Arc<S>) -> Arc<dyn Servant> {
            Arc::new(ModelServant(servant))
        }
    }

    impl<S: ?Sized + Model> Servant for ModelServant<S> {
        fn ice_ids(&self) -> &'static [&'static str] {
            &["::Demo::Model", "::Ice::Object"]
        }
        fn ice_id(&self) -> &'static str {
            "::Demo::Model"
        }
        fn dispatch(&self, request: Request) -> Dispatched {
            let servant = &*self.0;
            match request.operation() {
                "interpolate" => request.dispatch(
                    OperationMode::Normal,
                    |input| Ok((input.read::<Grid>()?, input.read::<f32>()?)),
                    |(data, factor), current| servant.interpolate(data, factor, current),
                    |out, r: Grid| out.write(&r),
                ),
                _ => request.dispatch_builtin(self),
            }
        }
    }

    /// Typed proxy for `::Demo::Model`: cheap to clone; every call marshals at once and
    /// returns a `Send + 'static` future.
    #[derive(Clone, Debug, PartialEq)]
    pub struct ModelPrx(ObjectPrx);

    impl TypedProxy for ModelPrx {
        const TYPE_ID: &'static str = "::Demo::Model";
        fn from_object_prx(proxy: ObjectPrx) -> Self {
            ModelPrx(proxy)
        }
        fn as_object_prx(&self) -> &ObjectPrx {
            &self.0
        }
    }

    impl std::ops::Deref for ModelPrx {
        type Target = ObjectPrx;
        fn deref(&self) -> &ObjectPrx {
            &self.0
        }
    }

    impl std::fmt::Display for ModelPrx {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            std::fmt::Display::fmt(&self.0, f)
        }
    }

    impl ModelPrx {
        /// The proxy for `proxy`'s object if it implements `::Demo::Model` (asks the server
        /// with `ice_isA`), else `None`.
        pub fn checked_cast(
            proxy: &ObjectPrx,
        ) -> impl Future<Output = Result<Option<Self>, Error>> + Send + 'static {
            proxy.checked_cast::<Self>()
        }

        /// The proxy for `proxy`'s object, without asking the server.
        pub fn unchecked_cast(proxy: &ObjectPrx) -> Self {
            ModelPrx(proxy.clone())
        }

        /// The untyped proxy.
        pub fn as_object_prx(&self) -> &ObjectPrx {
            &self.0
        }

        /// Resamples `data` bilinearly by `factor` (see `Demo.ice`).
        pub fn interpolate(
            &self,
            data: &[Row],
            factor: f32,
        ) -> impl Future<Output = Result<Grid, InterpolateError>> + Send + 'static {
            let mut ice_out = OutputStream::with_capacity(16 + data.len() * 8);
            ice_out.write(data);
            ice_out.write(&factor);
            let twoway = if self.0.ice_is_twoway() {
                Ok(())
            } else {
                Err(Error::TwowayOnly(
                    "`interpolate' returns a result and needs a twoway proxy".into(),
                ))
            };
            let call = self.0.invoke(
                "interpolate",
                OperationMode::Normal,
                ice_out.as_slice(),
                None,
            );
            async move {
                twoway?;
                let reply = call.await?;
                let mut input = reply.input();
                if reply.status() == ReplyStatus::UserException {
                    let factory = |id: &str| -> Option<Box<dyn UserException>> {
                        (id == "::Demo::RangeError")
                            .then(|| Box::new(RangeError::default()) as Box<dyn UserException>)
                    };
                    let ex = input.read_exception(Some(&factory)).map_err(Error::from)?;
                    return Err(match ex.downcast::<RangeError>() {
                        Ok(e) => InterpolateError::RangeError(*e),
                        Err(other) => InterpolateError::Ice(Error::UnknownUserException(
                            other.ice_id().to_owned(),
                        )),
                    });
                }
                let r: Grid = input.read().map_err(Error::from)?;
                Ok(r)
            }
        }
    }
}
