//! `Current`: what a servant method knows about the request it serves.

use crate::adapter::ObjectAdapter;
use crate::encoding::EncodingVersion;
use crate::identity::{Context, Identity, OperationMode};
use std::fmt;

/// Information about the request being dispatched (`Ice::Current`). Servant methods receive it
/// by reference; clone what a pending future needs.
#[derive(Clone, Debug)]
pub struct Current {
    /// The object adapter that dispatches the request.
    pub adapter: ObjectAdapter,
    /// The target identity.
    pub id: Identity,
    /// The target facet (empty for the default facet).
    pub facet: String,
    /// The operation name.
    pub operation: String,
    /// The mode the client sent.
    pub mode: OperationMode,
    /// The request context.
    pub ctx: Context,
    /// The request id (0 for oneway and batch oneway requests).
    pub request_id: i32,
    /// The encoding of the parameters; results and exceptions are written in it too.
    pub encoding: EncodingVersion,
    /// Description of the connection the request came on (local and remote addresses);
    /// shared by every request of the connection.
    pub connection: std::sync::Arc<str>,
    /// The connection the request came on (Ice's `con`): `con.create_proxy(..)` calls back
    /// an object of a client that set an adapter on it.
    pub con: Option<crate::connection::Connection>,
}

impl Current {
    /// Whether the client waits for a reply.
    pub fn is_twoway(&self) -> bool {
        self.request_id != 0
    }
}

/// Displays an identity in Ice's stringified form (`category/name`, `name` alone when the
/// category is empty; `/`, `\\`, `"` and `'` escaped).
pub(crate) struct DisplayIdentity<'a>(pub &'a Identity);

impl fmt::Display for DisplayIdentity<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn escaped(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
            // Most identities need no escape: one write instead of one per character.
            if !s.contains(['/', '\\', '"', '\'']) {
                return f.write_str(s);
            }
            for c in s.chars() {
                match c {
                    '/' => f.write_str("\\/")?,
                    '\\' => f.write_str("\\\\")?,
                    '"' => f.write_str("\\\"")?,
                    '\'' => f.write_str("\\'")?,
                    c => fmt::Write::write_char(f, c)?,
                }
            }
            Ok(())
        }
        if !self.0.category.is_empty() {
            escaped(f, &self.0.category)?;
            f.write_str("/")?;
        }
        escaped(f, &self.0.name)
    }
}
