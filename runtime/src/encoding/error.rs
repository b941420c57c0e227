//! The error every decoder returns.

/// Malformed or unsupported bytes: what was wrong and where.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at byte {position})")]
pub struct MarshalError {
    /// What was wrong, e.g. "size 1000 exceeds the 12 bytes that remain".
    pub message: String,
    /// Offset in the buffer being read.
    pub position: usize,
}

impl MarshalError {
    /// A new error at `position`.
    pub fn new(position: usize, message: impl Into<String>) -> MarshalError {
        MarshalError {
            message: message.into(),
            position,
        }
    }
}
