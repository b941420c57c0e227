//! Core Ice types used everywhere: identities, contexts, operation modes, versions.

use crate::encoding::{Decode, Encode, InputStream, MarshalError, OutputStream};
use std::collections::HashMap;

/// An object identity (`Ice::Identity`): a name and a category.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Identity {
    /// The name (must not be empty for a usable identity).
    pub name: String,
    /// The category (often empty).
    pub category: String,
}

impl Identity {
    /// An identity with an empty category.
    pub fn new(name: impl Into<String>) -> Identity {
        Identity {
            name: name.into(),
            category: String::new(),
        }
    }

    /// An identity with a category.
    pub fn with_category(name: impl Into<String>, category: impl Into<String>) -> Identity {
        Identity {
            name: name.into(),
            category: category.into(),
        }
    }
}

impl Encode for Identity {
    fn encode(&self, out: &mut OutputStream) {
        out.write_string(&self.name);
        out.write_string(&self.category);
    }
}

impl Decode for Identity {
    fn decode(input: &mut InputStream<'_>) -> Result<Self, MarshalError> {
        Ok(Identity {
            name: input.read_string()?,
            category: input.read_string()?,
        })
    }
}

/// A request context (`Ice::Context`).
pub type Context = HashMap<String, String>;

/// How an operation was declared; travels in every request (the mode byte).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum OperationMode {
    /// An ordinary operation (0).
    #[default]
    Normal = 0,
    /// `["nonmutating"]` (1): the built-in operations and some Ice services.
    Nonmutating = 1,
    /// `idempotent` (2).
    Idempotent = 2,
}

impl OperationMode {
    /// The mode for a wire byte.
    pub fn from_byte(b: u8) -> Option<OperationMode> {
        match b {
            0 => Some(OperationMode::Normal),
            1 => Some(OperationMode::Nonmutating),
            2 => Some(OperationMode::Idempotent),
            _ => None,
        }
    }
}

/// A protocol version (`major.minor`); Ice 3.7 speaks 1.0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProtocolVersion {
    /// Major version.
    pub major: u8,
    /// Minor version.
    pub minor: u8,
}

/// Protocol 1.0.
pub const PROTOCOL_1_0: ProtocolVersion = ProtocolVersion { major: 1, minor: 0 };

/// The status byte of a reply (ICE-PROTOCOL.md 8.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ReplyStatus {
    /// 0: results follow in an encapsulation.
    Ok = 0,
    /// 1: a user exception follows in an encapsulation.
    UserException = 1,
    /// 2: no servant for the identity.
    ObjectNotExist = 2,
    /// 3: no servant for the facet.
    FacetNotExist = 3,
    /// 4: the servant does not implement the operation.
    OperationNotExist = 4,
    /// 5: an Ice local exception; a text follows.
    UnknownLocalException = 5,
    /// 6: a user exception that could not be sent; a text follows.
    UnknownUserException = 6,
    /// 7: any other failure; a text follows.
    UnknownException = 7,
}

impl ReplyStatus {
    /// The status for a wire byte.
    pub fn from_byte(b: u8) -> Option<ReplyStatus> {
        Some(match b {
            0 => ReplyStatus::Ok,
            1 => ReplyStatus::UserException,
            2 => ReplyStatus::ObjectNotExist,
            3 => ReplyStatus::FacetNotExist,
            4 => ReplyStatus::OperationNotExist,
            5 => ReplyStatus::UnknownLocalException,
            6 => ReplyStatus::UnknownUserException,
            7 => ReplyStatus::UnknownException,
            _ => return None,
        })
    }
}
