//! User exceptions (Slice `exception`): the trait generated exceptions implement.
//! Encoding (sliced and compact formats) is written by the class/exception layer.

use super::OutputStream;

/// A Slice user exception. Generated code implements it for every non-local exception;
/// the dispatch side uses it to write reply status 1 and the `UnknownUserException` text.
pub trait UserException: std::error::Error + Send + Sync + 'static {
    /// The most derived Slice type id, e.g. `::Demo::RangeError`.
    fn ice_id(&self) -> &'static str;
    /// Writes the exception with all its slices (most derived first) into the current
    /// encapsulation of `out`, in the encapsulation's encoding and in the sliced format.
    fn encode_exception(&self, out: &mut OutputStream);
}
