//! The servant side: the object-safe [`Servant`] trait that generated code implements for each
//! interface, and [`ServantLocator`].

use super::{Current, Dispatched, Request};
use crate::error::Error;
use std::any::Any;
use std::sync::Arc;

/// The type id of `Ice::Object`, the root of every interface.
pub const ICE_OBJECT_ID: &str = "::Ice::Object";

/// An Ice object as an object adapter holds it (`Arc<dyn Servant>`).
///
/// Generated code implements it for a wrapper around each servant trait: `dispatch` matches
/// the operation name and calls [`Request::dispatch`] with the operation's mode, a decoder for
/// the in-parameters, the typed servant call and an encoder for the results; every other name
/// goes to [`Request::dispatch_builtin`], which answers `ice_ping`, `ice_isA`, `ice_id` and
/// `ice_ids`, and `OperationNotExist` for anything else.
pub trait Servant: Send + Sync + 'static {
    /// Every Slice type id the servant implements, sorted, `::Ice::Object` included.
    fn ice_ids(&self) -> &'static [&'static str];

    /// The most derived type id.
    fn ice_id(&self) -> &'static str;

    /// Dispatches one request; see the trait docs.
    fn dispatch(&self, request: Request) -> Dispatched;

    /// `ice_isA`: whether the servant implements `type_id`.
    fn ice_is_a(&self, type_id: &str, _current: &Current) -> bool {
        self.ice_ids().contains(&type_id)
    }

    /// `ice_ping`: nothing to do by default.
    fn ice_ping(&self, _current: &Current) {}
}

/// Anything an object adapter accepts as a servant: a [`Servant`] by value (e.g. a
/// generated `XxxServant` wrapper) or an `Arc<dyn Servant>` (shared between identities).
pub trait IntoServant {
    /// The servant, shared.
    fn into_servant(self) -> Arc<dyn Servant>;
}

impl<T: Servant> IntoServant for T {
    fn into_servant(self) -> Arc<dyn Servant> {
        Arc::new(self)
    }
}

impl IntoServant for Arc<dyn Servant> {
    fn into_servant(self) -> Arc<dyn Servant> {
        self
    }
}

/// What [`ServantLocator::locate`] hands to [`ServantLocator::finished`].
pub type Cookie = Box<dyn Any + Send>;

/// What [`ServantLocator::locate`] finds: a servant and an optional cookie.
pub type Located = (Arc<dyn Servant>, Option<Cookie>);

/// Finds servants on demand for one identity category (`Ice::ServantLocator`).
///
/// `locate` runs on a dispatch thread before the request is dispatched; `finished` runs when
/// the dispatch is complete (for a pending dispatch: when its reply has been marshaled, on the
/// thread that completed it).
pub trait ServantLocator: Send + Sync + 'static {
    /// The servant for `current.id` and `current.facet`, with an optional cookie for
    /// `finished`; `Ok(None)` makes the request fail with `ObjectNotExist`, an error is sent
    /// back as the dispatch's error.
    fn locate(&self, current: &Current) -> Result<Option<Located>, Error>;

    /// Called once the dispatch through a located servant is complete.
    fn finished(&self, _current: &Current, _servant: &Arc<dyn Servant>, _cookie: Option<Cookie>) {}

    /// Called when the adapter is destroyed.
    fn deactivate(&self, _category: &str) {}
}
