//! User exceptions (Slice `exception`): the trait generated exceptions implement, the
//! exception factory registry used to decode them, and the value a receiver gets for an
//! exception whose type it does not know.
//!
//! Wire form (ICE-PROTOCOL.md section 6): slices most derived first, each with its type id
//! as a string; compact or sliced format as for classes. Generated code writes and reads the
//! slices ([`UserException::ice_write_slices`], [`UserException::ice_read_slices`]) with
//! [`OutputStream::start_slice`]/[`OutputStream::end_slice`] and
//! [`InputStream::start_slice`]/[`InputStream::end_slice`]; the runtime does the rest.
//!
//! Optional data members are written with [`OutputStream::write_optional_member`] and read
//! with [`InputStream::read_optional_member`] (not the parameter forms: a slice marks and
//! ends its optional members itself).
//!
//! A client that receives reply status 1 decodes the exception with the exceptions its
//! operation declares (generated), falling back on the registry for subclasses:
//!
//! ```
//! use ice_runtime::encoding::*;
//! # let reply_encapsulation = [0x0c, 0, 0, 0, 1, 1, 0x20, 0x04, b':', b':', b'X', b'E'];
//! let declared = |type_id: &str| -> Option<Box<dyn UserException>> {
//!     None // generated: `"::M::E" => Some(Box::new(E::default()))`, ...
//! };
//! let mut input = InputStream::new(&reply_encapsulation);
//! input.start_encapsulation()?;
//! let ex = input.read_exception(Some(&declared))?;
//! input.skip_to_encapsulation_end(); // an unknown exception may leave bytes unread
//! let unknown = ex.downcast_ref::<UnknownSlicedException>().expect("not declared");
//! assert_eq!(unknown.unknown_type_id, "::XE");
//! # Ok::<(), MarshalError>(())
//! ```
//!
//! The writer uses the operation's format: `out.set_format(Format::Sliced)` for an
//! operation marked `["format:sliced"]` before `encode_exception`.

use super::value::SlicedData;
use super::{InputStream, MarshalError, OutputStream};
use parking_lot::RwLock;
use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, LazyLock};

/// Gives `dyn UserException` access to `Any` (for downcasting to the concrete exception).
/// Implemented for every type; never implement it by hand.
pub trait AsAny: Any {
    /// `self` as `&dyn Any`.
    fn as_any(&self) -> &dyn Any;
    /// `self` as `&mut dyn Any`.
    fn as_any_mut(&mut self) -> &mut dyn Any;
    /// `self` as `Box<dyn Any>`.
    fn into_any(self: Box<Self>) -> Box<dyn Any>;
}

impl<T: Any> AsAny for T {
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

/// A Slice user exception. Generated code implements it for every non-local exception;
/// the dispatch side uses it to write reply status 1 and the `UnknownUserException` text,
/// the client side decodes replies with [`InputStream::read_exception`].
pub trait UserException: AsAny + std::error::Error + Send + Sync + 'static {
    /// The most derived Slice type id, e.g. `::Demo::RangeError`.
    fn ice_id(&self) -> &'static str;

    /// Writes the exception with all its slices (most derived first) into the current
    /// encapsulation of `out`, in the encapsulation's encoding and in the stream's format
    /// ([`OutputStream::set_format`]: compact unless the operation says `format:sliced`).
    /// The default writes [`UserException::ice_write_slices`] between
    /// [`OutputStream::start_exception`] and [`OutputStream::end_exception`].
    fn encode_exception(&self, out: &mut OutputStream) {
        out.start_exception(self.ice_sliced_data(), self.ice_uses_classes());
        self.ice_write_slices(out);
        out.end_exception();
    }

    /// Writes every slice, most derived first, each between [`OutputStream::start_slice`]
    /// (type id, no compact id, `last` for the exception without base) and
    /// [`OutputStream::end_slice`]. Generated.
    fn ice_write_slices(&self, out: &mut OutputStream) {
        let _ = out;
    }

    /// Reads every slice, most derived first, each between [`InputStream::start_slice`]
    /// and [`InputStream::end_slice`], into `self` (a default instance). Generated.
    fn ice_read_slices(&mut self, input: &mut InputStream<'_>) -> Result<(), MarshalError> {
        Err(input.error(format!(
            "exception {} does not support decoding",
            self.ice_id()
        )))
    }

    /// Slices kept from the wire (`["preserve-slice"]` exceptions and
    /// [`UnknownSlicedException`]), written back in the sliced format.
    fn ice_sliced_data(&self) -> Option<&SlicedData> {
        None
    }

    /// Called after decoding with the slices that were skipped; preserving exceptions keep
    /// them, others drop them.
    fn ice_set_sliced_data(&mut self, data: SlicedData) {
        let _ = data;
    }

    /// Whether a member of the exception (or of a base) is a class or contains one; only
    /// encoding 1.0 writes this. Generated.
    fn ice_uses_classes(&self) -> bool {
        false
    }
}

impl dyn UserException {
    /// Whether the exception is a `T`.
    pub fn is<T: UserException>(&self) -> bool {
        self.as_any().is::<T>()
    }

    /// The exception as a `T`, if it is one.
    pub fn downcast_ref<T: UserException>(&self) -> Option<&T> {
        self.as_any().downcast_ref()
    }

    /// The exception as a `T`, if it is one; otherwise gives it back.
    pub fn downcast<T: UserException>(self: Box<Self>) -> Result<Box<T>, Box<dyn UserException>> {
        if self.is::<T>() {
            self.into_any()
                .downcast()
                .map_err(|_| unreachable_downcast())
        } else {
            Err(self)
        }
    }
}

/// `is::<T>()` was checked just before: this cannot happen.
#[cold]
fn unreachable_downcast() -> Box<dyn UserException> {
    Box::new(UnknownSlicedException::default())
}

/// A user exception none of whose slices the receiver knows (or, in the compact format,
/// whose most derived slice it does not know). Ice reports it as `UnknownUserException`;
/// `unknown_type_id` is the most derived type id received.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UnknownSlicedException {
    /// The most derived type id that was received, e.g. `::Vec::DerivedError`.
    pub unknown_type_id: String,
    /// The slices (sliced format only), written back unchanged in the sliced format.
    pub sliced_data: SlicedData,
}

impl fmt::Display for UnknownSlicedException {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown user exception `{}'", self.unknown_type_id)
    }
}

impl std::error::Error for UnknownSlicedException {}

impl UserException for UnknownSlicedException {
    fn ice_id(&self) -> &'static str {
        "::Ice::UnknownUserException"
    }
    fn encode_exception(&self, out: &mut OutputStream) {
        out.start_opaque_exception(&self.sliced_data);
        out.end_exception();
    }
    fn ice_read_slices(&mut self, _input: &mut InputStream<'_>) -> Result<(), MarshalError> {
        Ok(())
    }
    fn ice_sliced_data(&self) -> Option<&SlicedData> {
        Some(&self.sliced_data)
    }
    fn ice_set_sliced_data(&mut self, data: SlicedData) {
        self.sliced_data = data;
    }
}

/// Creates a default instance of an exception, to be filled by decoding.
pub type ExceptionFactory = Arc<dyn Fn() -> Box<dyn UserException> + Send + Sync>;

/// Exception factories by type id: how [`InputStream::read_exception`] finds the most
/// derived exception type it knows.
#[derive(Default)]
pub struct ExceptionFactories {
    by_type_id: RwLock<HashMap<String, ExceptionFactory>>,
}

static GLOBAL_EXCEPTION_FACTORIES: LazyLock<ExceptionFactories> = LazyLock::new(Default::default);

impl ExceptionFactories {
    /// The process-wide registry.
    pub fn global() -> &'static ExceptionFactories {
        &GLOBAL_EXCEPTION_FACTORIES
    }

    /// Registers `E` under `type_id`, replacing any previous factory.
    pub fn register<E: UserException + Default>(&self, type_id: &str) {
        self.register_factory(type_id, Arc::new(|| Box::new(E::default())));
    }

    /// Registers a factory under `type_id`.
    pub fn register_factory(&self, type_id: &str, factory: ExceptionFactory) {
        self.by_type_id.write().insert(type_id.to_owned(), factory);
    }

    /// A new default exception of type `type_id`, if registered.
    pub fn create(&self, type_id: &str) -> Option<Box<dyn UserException>> {
        let f = self.by_type_id.read().get(type_id).cloned();
        f.map(|f| f())
    }
}

impl fmt::Debug for ExceptionFactories {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExceptionFactories")
            .field(
                "type_ids",
                &self.by_type_id.read().keys().collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Registers the generated exception `E` (type id `type_id`) in the process-wide registry.
pub fn register_exception<E: UserException + Default>(type_id: &str) {
    ExceptionFactories::global().register::<E>(type_id);
}
