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
    const MIN_WIRE_SIZE: usize = 2;
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

/// How identities, facets and adapter ids are escaped when printed (`Ice.ToStringMode`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ToStringMode {
    /// Non-ASCII characters are printed as they are (UTF-8); Ice's default.
    #[default]
    Unicode,
    /// Non-ASCII characters are printed as `\uXXXX` or `\UXXXXXXXX`.
    Ascii,
    /// Every byte outside printable ASCII is printed as a 3-digit octal escape, as Ice 3.6
    /// and earlier do.
    Compat,
}

impl ToStringMode {
    /// The mode named by an `Ice.ToStringMode` property value (`Unicode`, `ASCII`, `Compat`).
    pub fn from_property(value: &str) -> Option<ToStringMode> {
        match value {
            "Unicode" => Some(ToStringMode::Unicode),
            "ASCII" => Some(ToStringMode::Ascii),
            "Compat" => Some(ToStringMode::Compat),
            _ => None,
        }
    }
}

/// Escapes `s` as Ice's `escapeString` does: backslash, quotes, control characters, the
/// characters of `special` (each preceded by a backslash) and, depending on `mode`,
/// non-ASCII characters.
pub(crate) fn escape_string(s: &str, special: &str, mode: ToStringMode) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(s.len() + 2);
    if mode == ToStringMode::Compat {
        // Compat works on the UTF-8 bytes, octal-escaping everything outside 32..=126.
        for &b in s.as_bytes() {
            match b {
                b'\\' => out.push_str("\\\\"),
                b'\'' => out.push_str("\\'"),
                b'"' => out.push_str("\\\""),
                0x07 => out.push_str("\\007"),
                0x08 => out.push_str("\\b"),
                0x0c => out.push_str("\\f"),
                b'\n' => out.push_str("\\n"),
                b'\r' => out.push_str("\\r"),
                b'\t' => out.push_str("\\t"),
                0x0b => out.push_str("\\013"),
                _ if special.as_bytes().contains(&b) => {
                    out.push('\\');
                    out.push(b as char);
                }
                32..=126 => out.push(b as char),
                _ => {
                    let _ = write!(out, "\\{b:03o}");
                }
            }
        }
        return out;
    }
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '\u{07}' => out.push_str("\\a"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{0b}' => out.push_str("\\v"),
            _ if c.is_ascii() && special.contains(c) => {
                out.push('\\');
                out.push(c);
            }
            '\u{0}'..='\u{1f}' | '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            _ if c.is_ascii() || mode == ToStringMode::Unicode => out.push(c),
            _ if (c as u32) <= 0xffff => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            _ => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out
}

/// Undoes [`escape_string`] as Ice's `unescapeString` does. A backslash before a character
/// of `special` yields that character; before any other unknown character it is kept.
/// Unescaped control characters are refused.
pub(crate) fn unescape_string(s: &str, special: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let check = |pos: usize| -> Result<u8, String> {
        let c = b[pos];
        if c < 32 || c == 127 {
            let what = if pos > 0 {
                format!("character after `{}'", String::from_utf8_lossy(&b[..pos]))
            } else {
                "first character".to_owned()
            };
            Err(format!(
                "{what} is not a printable ASCII character (ordinal {c})"
            ))
        } else {
            Ok(c)
        }
    };
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(check(i)?);
            i += 1;
            continue;
        }
        if i + 1 == b.len() {
            // A trailing backslash is kept.
            out.push(b'\\');
            i += 1;
            continue;
        }
        i += 1;
        let c = b[i];
        match c {
            b'\\' | b'\'' | b'"' | b'?' => {
                out.push(c);
                i += 1;
            }
            b'a' | b'b' | b'f' | b'n' | b'r' | b't' | b'v' => {
                out.push(match c {
                    b'a' => 0x07,
                    b'b' => 0x08,
                    b'f' => 0x0c,
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    _ => 0x0b,
                });
                i += 1;
            }
            b'u' | b'U' => {
                let mut digits = if c == b'u' { 4 } else { 8 };
                let mut code: u32 = 0;
                i += 1;
                while digits > 0 && i < b.len() {
                    let Some(d) = (b[i] as char).to_digit(16) else {
                        i += 1;
                        break;
                    };
                    i += 1;
                    code = code.wrapping_mul(16).wrapping_add(d);
                    digits -= 1;
                }
                if digits > 0 {
                    return Err("invalid universal character name: too few hex digits".into());
                }
                if (0xd800..=0xdfff).contains(&code) {
                    return Err("a universal character name cannot designate a surrogate".into());
                }
                let ch = char::from_u32(code)
                    .ok_or_else(|| format!("invalid universal character name \\U{code:08x}"))?;
                let mut tmp = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
            }
            b'0'..=b'7' => {
                let mut digits = 3;
                let mut oct: u32 = 0;
                while digits > 0 && i < b.len() && (b'0'..=b'7').contains(&b[i]) {
                    oct = oct * 8 + u32::from(b[i] - b'0');
                    i += 1;
                    digits -= 1;
                }
                if oct > 255 {
                    return Err(format!("octal value \\{oct:o} ({oct}) is out of range"));
                }
                out.push(oct as u8);
            }
            b'x' => {
                let mut digits = 2;
                let mut val: u32 = 0;
                i += 1;
                while digits > 0 && i < b.len() {
                    let Some(d) = (b[i] as char).to_digit(16) else {
                        break;
                    };
                    i += 1;
                    val = val * 16 + d;
                    digits -= 1;
                }
                if digits == 2 {
                    return Err("invalid \\x escape sequence: no hex digit".into());
                }
                out.push(val as u8);
            }
            _ => {
                if !special.as_bytes().contains(&c) {
                    out.push(b'\\');
                }
                out.push(check(i)?);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| "the unescaped text is not valid UTF-8".to_owned())
}

impl Identity {
    /// Parses the string form of an identity (`category/name` or `name`), undoing Ice's
    /// escapes, exactly as Ice's `stringToIdentity` does.
    pub fn parse(s: &str) -> crate::Result<Identity> {
        let err = |reason: String| crate::Error::IdentityParse {
            input: s.to_owned(),
            reason,
        };
        let b = s.as_bytes();
        let mut slash = None;
        for (pos, _) in s.match_indices('/') {
            let escapes = b[..pos].iter().rev().take_while(|&&c| c == b'\\').count();
            if escapes % 2 == 0 {
                if slash.is_some() {
                    return Err(err(format!("unescaped '/' in identity `{s}'")));
                }
                slash = Some(pos);
            }
        }
        match slash {
            None => Ok(Identity {
                name: unescape_string(s, "/")
                    .map_err(|e| err(format!("invalid identity name `{s}': {e}")))?,
                category: String::new(),
            }),
            Some(slash) => Ok(Identity {
                category: unescape_string(&s[..slash], "/")
                    .map_err(|e| err(format!("invalid category in identity `{s}': {e}")))?,
                name: unescape_string(&s[slash + 1..], "/")
                    .map_err(|e| err(format!("invalid name in identity `{s}': {e}")))?,
            }),
        }
    }

    /// The string form in the given escaping mode (Ice's `identityToString`).
    pub fn to_string_mode(&self, mode: ToStringMode) -> String {
        if self.category.is_empty() {
            escape_string(&self.name, "/", mode)
        } else {
            let mut s = escape_string(&self.category, "/", mode);
            s.push('/');
            s.push_str(&escape_string(&self.name, "/", mode));
            s
        }
    }
}

/// Ice's `identityToString` with the default mode (`Unicode`), e.g. `cat/name`.
impl std::fmt::Display for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_string_mode(ToStringMode::Unicode))
    }
}

impl std::str::FromStr for Identity {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Identity> {
        Identity::parse(s)
    }
}

impl std::fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}
