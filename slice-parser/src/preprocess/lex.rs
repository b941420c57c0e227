//! Preprocessing tokens: what directive lines, macro bodies and macro arguments are made of.
//!
//! Ordinary Slice text is never tokenized here (the text scanner in [`super`] copies it byte
//! for byte); only the few places where the preprocessor must understand tokens use this.

/// The kind of a preprocessing token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// An identifier (or keyword).
    Ident,
    /// A preprocessing number (`12`, `0x1F`, `1.5e+3`, `10u`).
    Number,
    /// A string literal, quotes included.
    Str,
    /// A character constant, quotes included.
    Char,
    /// An operator or punctuator.
    Punct,
    /// Any other byte sequence (non-ASCII text, a lone backslash, ...).
    Other,
}

/// One preprocessing token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Tok {
    /// What it is.
    pub kind: Kind,
    /// Its spelling.
    pub text: String,
    /// Whether white space (or a comment) came before it.
    pub space: bool,
    /// Byte offset in the file where it (or the macro call that produced it) starts.
    pub off: u32,
    /// Set on an identifier that names a macro being expanded: it is never expanded again.
    pub painted: bool,
}

impl Tok {
    /// A token with no space before it, at `off`.
    pub fn new(kind: Kind, text: impl Into<String>, off: u32) -> Tok {
        Tok {
            kind,
            text: text.into(),
            space: false,
            off,
            painted: false,
        }
    }

    /// Whether this is the punctuator `p`.
    pub fn is(&self, p: &str) -> bool {
        self.kind == Kind::Punct && self.text == p
    }
}

/// What was left open when a stretch of text could not be tokenized to its end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Unclosed {
    /// A `"` with no closing `"` on its line (offset of the quote).
    String(u32),
    /// A `'` with no closing `'` on its line (offset of the quote).
    Char(u32),
    /// A `/*` with no `*/` before the end of the input (offset of the `/*`); the tokens
    /// before it are complete.
    Comment(u32),
}

/// Whether `b` may start an identifier.
pub(crate) fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

/// Whether `b` may continue an identifier.
pub(crate) fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Horizontal white space, as C sees it (`\r` included so CRLF files behave).
pub(crate) fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | 0x0b | 0x0c)
}

/// The end of a pp-number starting at `i` (a digit, or `.` followed by a digit).
pub(crate) fn number_end(b: &[u8], mut i: usize) -> usize {
    i += 1;
    while let Some(&c) = b.get(i) {
        let sign = matches!(c, b'+' | b'-')
            && matches!(b.get(i.wrapping_sub(1)), Some(b'e' | b'E' | b'p' | b'P'));
        if sign || is_ident_char(c) || c == b'.' {
            i += 1;
        } else {
            break;
        }
    }
    i
}

/// The end of an identifier starting at `i`.
pub(crate) fn ident_end(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(|&c| is_ident_char(c)) {
        i += 1;
    }
    i
}

/// The end of a quoted literal whose opening quote is at `i`: the offset after the closing
/// quote, or `None` when the line (or the input) ends first.
pub(crate) fn quoted_end(b: &[u8], i: usize) -> Option<usize> {
    let quote = *b.get(i)?;
    let mut j = i + 1;
    while let Some(&c) = b.get(j) {
        match c {
            b'\\' => match b.get(j + 1) {
                Some(b'\n') | None => return None,
                _ => j += 2,
            },
            b'\n' => return None,
            c if c == quote => return Some(j + 1),
            _ => j += 1,
        }
    }
    None
}

/// If a line splice (`\` then newline, optionally `\r\n`) starts at `i`, its end.
pub(crate) fn splice_end(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'\\') {
        return None;
    }
    match (b.get(i + 1), b.get(i + 2)) {
        (Some(b'\n'), _) => Some(i + 2),
        (Some(b'\r'), Some(b'\n')) => Some(i + 3),
        _ => None,
    }
}

/// Punctuators of more than one character, longest first.
const PUNCTS: [&str; 11] = [
    "...", "##", "&&", "||", "==", "!=", "<=", ">=", "<<", ">>", "::",
];

/// Tokenizes `b[start..]` up to the end of the logical line (a newline that is not spliced
/// and not inside a block comment). Comments count as white space. Returns the tokens and the
/// offset just after the terminating newline (or the end of input).
///
/// With `multiline`, newlines are white space too and scanning stops only when `stop` says so
/// (used to read a macro call's arguments across lines); `stop` sees the tokens so far.
pub(crate) fn tokenize_line(
    b: &[u8],
    start: usize,
    multiline: bool,
    mut stop: impl FnMut(&[Tok]) -> bool,
) -> (Vec<Tok>, usize, Option<Unclosed>) {
    let mut toks: Vec<Tok> = Vec::new();
    let mut i = start;
    let mut space = false;
    while i < b.len() {
        if multiline && stop(&toks) {
            return (toks, i, None);
        }
        let c = b[i];
        if let Some(e) = splice_end(b, i) {
            i = e;
            continue;
        }
        if c == b'\n' {
            if multiline {
                space = true;
                i += 1;
                continue;
            }
            return (toks, i + 1, None);
        }
        if is_blank(c) {
            space = true;
            i += 1;
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'*') {
            match find(b, i + 2, b"*/") {
                Some(e) => i = e + 2,
                None => return (toks, b.len(), Some(Unclosed::Comment(i as u32))),
            }
            space = true;
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            space = true;
            continue;
        }
        let (kind, end) = if is_ident_start(c) {
            (Kind::Ident, ident_end(b, i))
        } else if c.is_ascii_digit() || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            (Kind::Number, number_end(b, i))
        } else if c == b'"' || c == b'\'' {
            match quoted_end(b, i) {
                Some(e) => (if c == b'"' { Kind::Str } else { Kind::Char }, e),
                None => {
                    let err = if c == b'"' {
                        Unclosed::String(i as u32)
                    } else {
                        Unclosed::Char(i as u32)
                    };
                    let end = line_end(b, i);
                    return (toks, end, Some(err));
                }
            }
        } else if c.is_ascii_punctuation() {
            let len = PUNCTS
                .iter()
                .find(|p| b[i..].starts_with(p.as_bytes()))
                .map_or(1, |p| p.len());
            (Kind::Punct, i + len)
        } else {
            // Non-ASCII text or a control character: one UTF-8 sequence at a time.
            let mut e = i + 1;
            while e < b.len() && (b[e] & 0xC0) == 0x80 {
                e += 1;
            }
            (Kind::Other, e)
        };
        toks.push(Tok {
            kind,
            text: String::from_utf8_lossy(&b[i..end]).into_owned(),
            space,
            off: i as u32,
            painted: false,
        });
        space = false;
        i = end;
    }
    (toks, b.len(), None)
}

/// The offset after the end of the line containing `i` (after its newline).
pub(crate) fn line_end(b: &[u8], i: usize) -> usize {
    let mut j = i;
    loop {
        match b.get(j) {
            None => return b.len(),
            Some(b'\n') => return j + 1,
            _ => {
                if let Some(e) = splice_end(b, j) {
                    j = e;
                } else {
                    j += 1;
                }
            }
        }
    }
}

/// The first occurrence of `pat` in `b` at or after `from`.
pub(crate) fn find(b: &[u8], from: usize, pat: &[u8]) -> Option<usize> {
    if from >= b.len() || pat.is_empty() {
        return None;
    }
    b[from..]
        .windows(pat.len())
        .position(|w| w == pat)
        .map(|p| p + from)
}

/// Writes tokens back as text, one blank where the source had white space.
pub(crate) fn spell(toks: &[Tok]) -> String {
    let mut s = String::new();
    for (i, t) in toks.iter().enumerate() {
        if i > 0 && t.space {
            s.push(' ');
        }
        s.push_str(&t.text);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<(Kind, String)> {
        let (t, _, e) = tokenize_line(s.as_bytes(), 0, false, |_| false);
        assert_eq!(e, None);
        t.into_iter().map(|t| (t.kind, t.text)).collect()
    }

    #[test]
    fn tokens_of_a_directive_line() {
        assert_eq!(
            kinds("if defined(X) && 0x1F>=1e+3 /* c\n */ || 'a'\nnext"),
            vec![
                (Kind::Ident, "if".into()),
                (Kind::Ident, "defined".into()),
                (Kind::Punct, "(".into()),
                (Kind::Ident, "X".into()),
                (Kind::Punct, ")".into()),
                (Kind::Punct, "&&".into()),
                (Kind::Number, "0x1F".into()),
                (Kind::Punct, ">=".into()),
                (Kind::Number, "1e+3".into()),
                (Kind::Punct, "||".into()),
                (Kind::Char, "'a'".into()),
            ]
        );
    }

    #[test]
    fn splices_and_line_end() {
        let s = b"define A 1 \\\n + 2\nrest";
        let (t, end, _) = tokenize_line(s, 0, false, |_| false);
        assert_eq!(spell(&t), "define A 1 + 2");
        assert_eq!(&s[end..], b"rest");
    }

    #[test]
    fn unterminated_string() {
        let (_, end, e) = tokenize_line(b"x \"abc\ny", 0, false, |_| false);
        assert_eq!(e, Some(Unclosed::String(2)));
        assert_eq!(end, 7);
    }
}
