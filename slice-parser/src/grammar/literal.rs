//! Decoding of literal tokens (SLICE-LANGUAGE.md 3.6), with the scanner's diagnostics.
//!
//! The grammar only matches the shape of a literal; its value, range and escapes are
//! decided here, the way the reference scanner does it, so the messages are the
//! reference's. Every function returns a value even for bad input (saturated or partially
//! decoded) so that parsing goes on.

/// A problem found while decoding a literal: error or warning, with the reference's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Problem {
    /// An error, with its diagnostic code.
    Error(&'static str, String),
    /// A warning, with its diagnostic code.
    Warning(&'static str, String),
}

/// Decodes an integer literal like C's `strtoll(text, 0, 0)`: optional sign, `0x` hex,
/// `0` octal (stopping silently at the first non-octal digit, so `08` is 0), decimal.
/// Out-of-range values saturate and report ``integer constant `LIT' out of range``.
pub(crate) fn integer(text: &str) -> (i64, Option<Problem>) {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (radix, body) = if let Some(hex) = digits.strip_prefix("0x") {
        (16, hex)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, &digits[1..])
    } else {
        (10, digits)
    };
    // Accumulate the magnitude; anything above 2^63 is out of range whatever the sign.
    let limit: u64 = 1 << 63;
    let mut magnitude: u64 = 0;
    let mut overflow = false;
    for c in body.chars() {
        let Some(d) = c.to_digit(radix) else { break };
        match magnitude
            .checked_mul(u64::from(radix))
            .and_then(|m| m.checked_add(u64::from(d)))
        {
            Some(m) if m <= limit => magnitude = m,
            _ => {
                overflow = true;
                break;
            }
        }
    }
    if !negative && magnitude == limit {
        overflow = true;
    }
    if overflow {
        let value = if negative { i64::MIN } else { i64::MAX };
        let msg = format!("integer constant `{text}' out of range");
        return (value, Some(Problem::Error("lex-integer-range", msg)));
    }
    let value = if negative {
        // magnitude <= 2^63 here; 2^63 itself is i64::MIN.
        0i64.wrapping_sub_unsigned(magnitude)
    } else {
        magnitude as i64
    };
    (value, None)
}

/// Decodes a floating-point literal like `strtod`; overflow and underflow are errors.
pub(crate) fn floating(text: &str) -> (f64, Option<Problem>) {
    let body = text.trim_end_matches(['f', 'F']);
    let value: f64 = body.parse().unwrap_or(0.0);
    if value.is_infinite() {
        let msg = format!("floating-point constant `{text}' too large (overflow)");
        return (value, Some(Problem::Error("lex-float-range", msg)));
    }
    let has_nonzero_digit = body
        .split(['e', 'E'])
        .next()
        .is_some_and(|m| m.bytes().any(|b| (b'1'..=b'9').contains(&b)));
    if (value == 0.0 && has_nonzero_digit) || value.is_subnormal() {
        let msg = format!("floating-point constant `{text}' too small (underflow)");
        return (value, Some(Problem::Error("lex-float-range", msg)));
    }
    (value, None)
}

/// Decodes a string literal (with its quotes) to bytes, processing every escape of 3.6. A
/// literal that stops before its closing quote (the grammar ends it at a control character)
/// is reported as the reference does.
pub(crate) fn string(text: &str) -> (Vec<u8>, Vec<Problem>) {
    let inner = text.strip_prefix('"').unwrap_or(text);
    let bytes = inner.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut problems = Vec::new();
    let mut i = 0;
    let mut terminated = false;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'"' {
            terminated = true;
            break;
        }
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        // An escape sequence; `i + 1` exists because the grammar never ends a literal on
        // a lone backslash, but stay safe anyway.
        let Some(&c) = bytes.get(i + 1) else {
            out.push(b'\\');
            break;
        };
        i += 2;
        match c {
            b'\\' | b'"' | b'\'' | b'?' => out.push(c),
            b'a' => out.push(7),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(11),
            b'0'..=b'7' => {
                let start = i - 1;
                let mut value = u32::from(c - b'0');
                while i < bytes.len() && i - start < 3 && (b'0'..=b'7').contains(&bytes[i]) {
                    value = value * 8 + u32::from(bytes[i] - b'0');
                    i += 1;
                }
                if value > 255 {
                    problems.push(Problem::Error(
                        "lex-string-escape",
                        format!(
                            "octal escape sequence out of range: `\\{}'",
                            &inner[start..i]
                        ),
                    ));
                }
                out.push(value as u8);
            }
            b'x' => {
                let mut value = 0u32;
                let mut n = 0;
                while n < 2 && i < bytes.len() && bytes[i].is_ascii_hexdigit() {
                    value = value * 16 + hex_value(bytes[i]);
                    i += 1;
                    n += 1;
                }
                if n == 0 {
                    problems.push(Problem::Error(
                        "lex-string-escape",
                        "no hex digit in hex escape sequence".to_string(),
                    ));
                } else {
                    out.push(value as u8);
                }
            }
            b'u' | b'U' => {
                let want = if c == b'u' { 4 } else { 8 };
                let start = i - 2;
                let mut value = 0u32;
                let mut n = 0;
                while n < want && i < bytes.len() && bytes[i].is_ascii_hexdigit() {
                    value = value.wrapping_mul(16) + hex_value(bytes[i]);
                    i += 1;
                    n += 1;
                }
                if n < want {
                    // Show the digits read and the character that stopped them.
                    let shown_end = next_char_end(inner, i);
                    problems.push(Problem::Error(
                        "lex-string-escape",
                        format!(
                            "unknown escape sequence in string literal: `{}'",
                            &inner[start..shown_end]
                        ),
                    ));
                    continue;
                }
                if (0xD800..=0xDFFF).contains(&value) {
                    problems.push(Problem::Error(
                        "lex-string-escape",
                        format!(
                            "a universal character name cannot designate a surrogate: `{}'",
                            &inner[start..i]
                        ),
                    ));
                    continue;
                }
                push_utf8(&mut out, value);
            }
            _ => {
                let end = next_char_end(inner, i - 1);
                problems.push(Problem::Warning(
                    "lex-unknown-escape",
                    format!("unknown escape sequence `\\{}'", &inner[i - 1..end]),
                ));
                // The backslash is kept, the character too.
                out.push(b'\\');
                out.extend_from_slice(&bytes[i - 1..end]);
                i = end;
            }
        }
    }
    if !terminated || bytes.iter().any(|&b| b < 32 || b == 127) {
        problems.insert(0, control_character());
    }
    (out, problems)
}

/// The reference's message for a control character in a string literal.
pub(crate) fn control_character() -> Problem {
    Problem::Error(
        "lex-string-char",
        "a string literal can only contain printable ASCII characters and non-ASCII characters"
            .to_string(),
    )
}

fn hex_value(b: u8) -> u32 {
    char::from(b).to_digit(16).unwrap_or(0)
}

/// End of the character starting at byte `i` of `s` (or `i` itself at the end).
fn next_char_end(s: &str, i: usize) -> usize {
    let mut end = (i + 1).min(s.len());
    while end < s.len() && !s.is_char_boundary(end) {
        end += 1;
    }
    end.max(i.min(s.len()))
}

/// UTF-8 encoding, extended to values above U+10FFFF the way old UTF-8 did (the result is
/// then not valid UTF-8, which the checker reports on the constant).
fn push_utf8(out: &mut Vec<u8>, v: u32) {
    if let Some(c) = char::from_u32(v) {
        let mut buf = [0u8; 4];
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    } else if v < 0x20_0000 {
        out.extend_from_slice(&[
            0xF0 | (v >> 18) as u8,
            0x80 | ((v >> 12) & 0x3F) as u8,
            0x80 | ((v >> 6) & 0x3F) as u8,
            0x80 | (v & 0x3F) as u8,
        ]);
    } else if v < 0x400_0000 {
        out.extend_from_slice(&[
            0xF8 | (v >> 24) as u8,
            0x80 | ((v >> 18) & 0x3F) as u8,
            0x80 | ((v >> 12) & 0x3F) as u8,
            0x80 | ((v >> 6) & 0x3F) as u8,
            0x80 | (v & 0x3F) as u8,
        ]);
    } else {
        out.extend_from_slice(&[
            0xFC | ((v >> 30) & 0x01) as u8,
            0x80 | ((v >> 24) & 0x3F) as u8,
            0x80 | ((v >> 18) & 0x3F) as u8,
            0x80 | ((v >> 12) & 0x3F) as u8,
            0x80 | ((v >> 6) & 0x3F) as u8,
            0x80 | (v & 0x3F) as u8,
        ]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers() {
        assert_eq!(integer("42").0, 42);
        assert_eq!(integer("-42").0, -42);
        assert_eq!(integer("+0x1F").0, 31);
        assert_eq!(integer("017").0, 15);
        assert_eq!(integer("08").0, 0);
        assert_eq!(integer("019").0, 1);
        assert_eq!(integer("-9223372036854775808"), (i64::MIN, None));
        assert_eq!(integer("9223372036854775807"), (i64::MAX, None));
        let (v, p) = integer("9223372036854775808");
        assert_eq!(v, i64::MAX);
        assert_eq!(
            p,
            Some(Problem::Error(
                "lex-integer-range",
                "integer constant `9223372036854775808' out of range".into()
            ))
        );
        assert_eq!(integer("-0xFFFFFFFFFFFFFFFFFF").0, i64::MIN);
    }

    #[test]
    fn floats() {
        assert_eq!(floating("1.5").0, 1.5);
        assert_eq!(floating("-.5e1f").0, -5.0);
        assert_eq!(floating("1.").0, 1.0);
        assert!(floating("2.5e309").1.is_some());
        assert!(floating("1.0e-400").1.is_some());
        assert!(floating("0.0e-400").1.is_none());
    }

    #[test]
    fn strings() {
        assert_eq!(string(r#""a\tb""#).0, b"a\tb");
        assert_eq!(string(r#""\1234""#).0, b"S4");
        assert_eq!(string(r#""\303\251""#).0, "é".as_bytes());
        assert_eq!(string(r#""\u00e9""#).0, "é".as_bytes());
        assert_eq!(string(r#""\U0001F600""#).0, "😀".as_bytes());
        assert_eq!(string(r#""\x41\xff""#).0, b"A\xff");
        let (_, p) = string(r#""x\477y""#);
        assert_eq!(
            p,
            vec![Problem::Error(
                "lex-string-escape",
                "octal escape sequence out of range: `\\477'".into()
            )]
        );
        let (_, p) = string(r#""x\u12G4""#);
        assert_eq!(
            p,
            vec![Problem::Error(
                "lex-string-escape",
                "unknown escape sequence in string literal: `\\u12G'".into()
            )]
        );
        let (v, p) = string(r#""a\qb""#);
        assert_eq!(v, b"a\\qb");
        assert_eq!(
            p,
            vec![Problem::Warning(
                "lex-unknown-escape",
                "unknown escape sequence `\\q'".into()
            )]
        );
    }
}
