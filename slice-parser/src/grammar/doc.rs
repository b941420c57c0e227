//! Doc comments: finding them, attaching them to entities, and parsing their tags
//! (SLICE-LANGUAGE.md 3.3, pest-notes.md "Doc comments, precisely").
//!
//! The reference keeps one "pending doc comment" slot: every doc comment replaces it, every
//! entity the parser *creates* takes and empties it, every file switch empties it, and mcpp
//! first hoists each comment to the start of the line it starts on. [`DocSlot`] replays
//! exactly that as the parser creates entities, in source order: a comment is "seen" at the
//! start of its line, an entity takes the slot at its trigger token.

use crate::ast::DocComment;
use crate::source::SourceMap;

/// A doc comment found in the preprocessed buffer.
#[derive(Clone, Copy, Debug)]
struct Found {
    /// Start of the line the comment starts on (where mcpp hoists it to).
    line_start: usize,
    /// The `/**`.
    start: usize,
    /// One past the `*/` (or the end of the buffer for an unterminated comment).
    end: usize,
}

/// The reference's pending-comment slot, replayed over the buffer in order.
pub(crate) struct DocSlot<'a> {
    text: &'a str,
    comments: Vec<Found>,
    next: usize,
    switches: Vec<usize>,
    next_switch: usize,
    slot: Option<usize>,
}

impl<'a> DocSlot<'a> {
    /// Finds every doc comment of `text` and every file switch of the source map.
    pub(crate) fn new(text: &'a str, sources: &SourceMap) -> DocSlot<'a> {
        let mut switches = Vec::new();
        let mut prev: Option<(crate::source::FileId, u32)> = None;
        for seg in sources.segments() {
            let key = (seg.file, seg.level);
            if prev.is_some_and(|p| p != key) {
                switches.push(seg.pp_start as usize);
            }
            prev = Some(key);
        }
        DocSlot {
            text,
            comments: scan(text),
            next: 0,
            switches,
            next_switch: 0,
            slot: None,
        }
    }

    /// The doc comment taken by an entity created at `trigger` (a buffer offset), if any.
    pub(crate) fn take(&mut self, trigger: usize, sources: &SourceMap) -> Option<DocComment> {
        loop {
            let comment = self
                .comments
                .get(self.next)
                .filter(|c| c.line_start <= trigger)
                .map(|c| c.line_start);
            let switch = self
                .switches
                .get(self.next_switch)
                .copied()
                .filter(|&s| s <= trigger);
            match (comment, switch) {
                (Some(c), Some(s)) if s <= c => {
                    self.slot = None;
                    self.next_switch += 1;
                }
                (Some(_), _) => {
                    self.slot = Some(self.next);
                    self.next += 1;
                }
                (None, Some(_)) => {
                    self.slot = None;
                    self.next_switch += 1;
                }
                (None, None) => break,
            }
        }
        let found = self.comments.get(self.slot.take()?).copied()?;
        let raw_end = if self.text[..found.end].ends_with("*/") && found.end >= found.start + 5 {
            found.end - 2
        } else {
            found.end
        };
        let raw = self.text.get(found.start + 3..raw_end).unwrap_or("");
        let mut doc = parse(raw);
        doc.span = Some(sources.pp_span(found.start as u32, found.end as u32));
        Some(doc)
    }
}

/// Every doc comment (`/**...*/` but not `/**/`) outside string literals, in order.
fn scan(text: &str) -> Vec<Found> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut line_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                i += 1;
                line_start = i;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' && bytes.get(i + 1) != Some(&b'\n') {
                        2
                    } else {
                        1
                    };
                }
                if i < bytes.len() && bytes[i] == b'"' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let start = i;
                let close = text[i + 2..].find("*/").map(|p| p + i + 2);
                let end = close.map_or(bytes.len(), |c| c + 2);
                let is_doc = bytes.get(start + 2) == Some(&b'*') && close != Some(start + 2);
                if is_doc {
                    found.push(Found {
                        line_start,
                        start,
                        end,
                    });
                }
                // Newlines inside the comment move the line start past it.
                if let Some(nl) = text[start..end].rfind('\n') {
                    line_start = start + nl + 1;
                }
                i = end;
            }
            _ => i += 1,
        }
    }
    found
}

/// Parses the text between `/**` and `*/` into overview and tags (3.3 rules).
pub fn parse(raw: &str) -> DocComment {
    let mut lines: Vec<&str> = raw
        .split('\n')
        .map(|l| l.trim_start_matches([' ', '\t', '\r', '*']).trim_end())
        .collect();
    if let Some(last) = lines.last_mut() {
        *last = last.trim_end_matches([' ', '\t', '\r', '*']);
    }
    while lines.first().is_some_and(|l| l.is_empty()) {
        lines.remove(0);
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }

    let mut doc = DocComment {
        raw: raw.to_string(),
        ..DocComment::default()
    };
    let first_tag = lines
        .iter()
        .position(|l| l.starts_with('@'))
        .unwrap_or(lines.len());
    let mut overview: Vec<&str> = lines[..first_tag].to_vec();
    while overview.last().is_some_and(|l| l.is_empty()) {
        overview.pop();
    }
    doc.overview = overview.join("\n");

    #[derive(Clone, Copy)]
    enum State {
        Misc,
        Param,
        Throws,
        Return,
        Deprecated,
    }
    let mut state = State::Misc;
    for &l in &lines[first_tag..] {
        let l = l.trim();
        if let Some(t) = tag(l, "@param") {
            if let Some((name, text)) = named(t) {
                doc.params.push((name.to_string(), text.to_string()));
                state = State::Param;
                continue;
            }
        } else if let Some(t) = tag(l, "@throws").or_else(|| tag(l, "@exception")) {
            if let Some((name, text)) = named(t) {
                doc.throws.push((name.to_string(), text.to_string()));
                state = State::Throws;
                continue;
            }
        } else if let Some(t) = tag(l, "@see") {
            if !t.is_empty() {
                doc.see.push(t.to_string());
                state = State::Misc;
                continue;
            }
        } else if let Some(t) = tag(l, "@return") {
            if !t.is_empty() {
                doc.returns = Some(t.to_string());
                state = State::Return;
                continue;
            }
        } else if let Some(t) = tag(l, "@deprecated") {
            if !t.is_empty() {
                doc.deprecated = Some(t.to_string());
                state = State::Deprecated;
                continue;
            }
        }
        if l.is_empty() {
            continue;
        }
        if l.starts_with('@') {
            // Any other tag, or a tag without its text: miscellaneous.
            state = State::Misc;
        }
        let target = match state {
            State::Misc => None,
            State::Param => doc.params.last_mut().map(|p| &mut p.1),
            State::Throws => doc.throws.last_mut().map(|p| &mut p.1),
            State::Return => doc.returns.as_mut(),
            State::Deprecated => doc.deprecated.as_mut(),
        };
        match target {
            Some(text) => {
                text.push('\n');
                text.push_str(l);
            }
            None => doc.misc.push(l.to_string()),
        }
    }
    doc
}

/// The text after `name` when `line` starts with the tag `name` as a whole word.
fn tag<'l>(line: &'l str, name: &str) -> Option<&'l str> {
    let rest = line.strip_prefix(name)?;
    if rest.is_empty() || rest.starts_with([' ', '\t']) {
        Some(rest.trim())
    } else {
        None
    }
}

/// Splits `NAME description`; both parts are required.
fn named(text: &str) -> Option<(&str, &str)> {
    let (name, rest) = text.split_once([' ', '\t'])?;
    let rest = rest.trim();
    (!rest.is_empty()).then_some((name, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tags() {
        let d = parse(
            "*\n * Print a document.\n *\n * Second.\n * @param text The text. The\n *   more.\n \
             * @param copies How many.\n * @return The id.\n * @throws Failure If off.\n \
             * @see Other\n * @deprecated Use X.\n * @since 3.7\n ",
        );
        assert_eq!(d.overview, "Print a document.\n\nSecond.");
        assert_eq!(
            d.params,
            vec![
                ("text".into(), "The text. The\nmore.".into()),
                ("copies".into(), "How many.".into())
            ]
        );
        assert_eq!(d.returns.as_deref(), Some("The id."));
        assert_eq!(d.throws, vec![("Failure".into(), "If off.".into())]);
        assert_eq!(d.see, vec!["Other".to_string()]);
        assert_eq!(d.deprecated.as_deref(), Some("Use X."));
        assert_eq!(d.misc, vec!["@since 3.7".to_string()]);
    }

    #[test]
    fn bare_tags_are_misc() {
        let d = parse(" @deprecated\n @param x ");
        assert_eq!(d.deprecated, None);
        assert!(d.params.is_empty());
        assert_eq!(
            d.misc,
            vec!["@deprecated".to_string(), "@param x".to_string()]
        );
    }

    #[test]
    fn trailing_stars() {
        assert_eq!(parse(" Trailing stars. *").overview, "Trailing stars.");
    }

    #[test]
    fn finds_doc_comments_only() {
        let text = "/**/ /***/ /* x */ \"/** no */\" // /** no\n /** yes */";
        let found = scan(text);
        assert_eq!(found.len(), 2);
        assert_eq!(&text[found[0].start..found[0].end], "/***/");
        assert_eq!(&text[found[1].start..found[1].end], "/** yes */");
        assert_eq!(found[1].line_start, text.find(" /** yes").unwrap_or(0));
    }
}
