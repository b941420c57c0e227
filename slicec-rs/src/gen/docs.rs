//! Rustdoc from Slice doc comments: overview, parameters, return value, exceptions, see
//! also, deprecation.
//!
//! Slice doc comments are Javadoc: HTML and `{@link X#y}` tags. They become Markdown, as
//! Ice's own generators turn them into their targets' doc syntax: `{@link X#y}`,
//! `{@code x}` and `<code>x</code>` give code spans (`X::y`), `<em>`/`<i>` emphasis,
//! `<b>`/`<strong>` strong emphasis, `<p>` a new paragraph (`<p class="Note">` one starting
//! with **Note:**), `<li>` a list item; other tags are dropped, a `<` that starts no tag and
//! brackets are escaped so rustdoc reads no HTML tag nor intra-doc link.

use proc_macro2::TokenStream;
use quote::quote;
use slice_parser::model::Info;

/// `#[doc]` attributes for a definition (overview and `@see`; without a doc comment, a line
/// naming the Slice definition, so generated code is `missing_docs`-clean), plus
/// `#[deprecated]`.
pub fn item(info: &Info) -> TokenStream {
    let mut lines = Vec::new();
    if let Some(d) = &info.doc {
        push_text(&mut lines, &d.overview);
        see(&mut lines, &d.see);
    }
    fallback(&mut lines, info);
    let mut out = attrs(&lines);
    out.extend(deprecated(info));
    out
}

/// `#[deprecated]` when the definition is deprecated.
pub fn deprecated(info: &Info) -> TokenStream {
    match info.deprecated() {
        Some(reason) if !reason.is_empty() => quote!(#[deprecated(note = #reason)]),
        Some(_) => quote!(#[deprecated]),
        None => TokenStream::new(),
    }
}

/// Docs for an operation: overview, `# Parameters`, `# Returns`, `# Errors`, see also.
pub fn operation(info: &Info) -> TokenStream {
    let mut lines = Vec::new();
    if let Some(d) = &info.doc {
        push_text(&mut lines, &d.overview);
        if !d.params.is_empty() {
            section(&mut lines, "Parameters");
            for (name, text) in &d.params {
                lines.push(format!(
                    "* `{}`: {}",
                    super::names::snake(name),
                    one_line(&markdown(text))
                ));
            }
        }
        if let Some(r) = &d.returns {
            section(&mut lines, "Returns");
            push_text(&mut lines, r);
        }
        if !d.throws.is_empty() {
            section(&mut lines, "Errors");
            for (name, text) in &d.throws {
                lines.push(format!("* `{name}`: {}", one_line(&markdown(text))));
            }
        }
        see(&mut lines, &d.see);
    }
    fallback(&mut lines, info);
    let mut out = attrs(&lines);
    out.extend(deprecated(info));
    out
}

/// The line for a definition without documentation.
fn fallback(lines: &mut Vec<String>, info: &Info) {
    if lines.iter().all(|l| l.trim().is_empty()) {
        lines.clear();
        lines.push(format!("Slice `{}`.", info.scoped));
    }
}

fn section(lines: &mut Vec<String>, title: &str) {
    if !lines.is_empty() {
        lines.push(String::new());
    }
    lines.push(format!("# {title}"));
}

fn see(lines: &mut Vec<String>, see: &[String]) {
    if see.is_empty() {
        return;
    }
    if !lines.is_empty() {
        lines.push(String::new());
    }
    let refs: Vec<String> = see.iter().map(|s| code_span(&link_target(s))).collect();
    lines.push(format!("See also: {}.", refs.join(", ")));
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Appends `text` as Markdown lines: no indentation (an indented line would be a code
/// block, hence a doctest), at most one blank line in a row.
fn push_text(lines: &mut Vec<String>, text: &str) {
    let md = markdown(text);
    for l in md.trim().lines() {
        let l = l.trim();
        if l.is_empty() && lines.last().is_some_and(|p: &String| p.is_empty()) {
            continue;
        }
        lines.push(l.to_string());
    }
}

/// Markdown from a Slice (Javadoc) doc text (see the module docs).
fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // Within a `<code>` element: written raw, entities decoded.
    let mut in_code = false;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        // `\[`, `\{@`, `\<`: an escaped character (Ice's files write `\["cpp:const"]`).
        if let Some(e) = rest
            .strip_prefix('\\')
            .and_then(|r| r.chars().next())
            .filter(|e| matches!(e, '[' | ']' | '{' | '}' | '@' | '<' | '&'))
        {
            if in_code {
                out.push(e);
            } else {
                push_escaped(&mut out, e);
            }
            rest = &rest[1 + e.len_utf8()..];
            continue;
        }
        if c == '{' {
            if let Some((inline, after)) = inline_tag(rest) {
                out.push_str(&inline);
                rest = after;
                continue;
            }
        }
        if c == '<' {
            if let Some((name, attrs, after)) = html_tag(rest) {
                out.push_str(&tag_markdown(&name, attrs, &mut in_code));
                rest = after;
                continue;
            }
        }
        if c == '&' {
            if let Some((decoded, after)) = entity(rest) {
                match (in_code, decoded) {
                    (true, _) => out.push(decoded),
                    (false, '<') => out.push_str("&lt;"),
                    (false, '&') => out.push_str("&amp;"),
                    (false, d) => push_escaped(&mut out, d),
                }
                rest = after;
                continue;
            }
        }
        if in_code {
            out.push(c);
        } else {
            push_escaped(&mut out, c);
        }
        rest = &rest[c.len_utf8()..];
    }
    if in_code {
        out.push('`');
    }
    out
}

/// Pushes `c` outside a code span, escaped when Markdown or rustdoc would read it.
fn push_escaped(out: &mut String, c: char) {
    match c {
        '[' | ']' | '`' | '*' | '_' | '\\' => {
            out.push('\\');
            out.push(c);
        }
        '<' => out.push_str("&lt;"),
        _ => out.push(c),
    }
}

/// `{@link X#y}`, `{@linkplain X}`, `{@code x}`, `{@literal x}` at the start of `s`: its
/// Markdown and the text after it.
fn inline_tag(s: &str) -> Option<(String, &str)> {
    let body = s.strip_prefix("{@")?;
    let end = body.find('}')?;
    let (inner, after) = (&body[..end], &body[end + 1..]);
    let (tag, arg) = inner.split_once(char::is_whitespace).unwrap_or((inner, ""));
    let arg = arg.trim();
    let md = match tag {
        "link" | "linkplain" => {
            let target = arg.split_whitespace().next().unwrap_or_default();
            code_span(&link_target(target))
        }
        "code" => code_span(arg),
        "literal" => arg.chars().fold(String::new(), |mut o, c| {
            push_escaped(&mut o, c);
            o
        }),
        _ => return None,
    };
    Some((md, after))
}

/// A Javadoc reference (`X`, `X#y`, `#y`, `M::X#y`) as Rust-like path text.
fn link_target(target: &str) -> String {
    let t = target.trim();
    match t.strip_prefix('#') {
        Some(member) => member.to_string(),
        None => t.replace('#', "::"),
    }
}

/// `text` as a code span (with a longer fence when it holds backticks).
fn code_span(text: &str) -> String {
    let text = one_line(text);
    if text.is_empty() {
        return String::new();
    }
    if text.contains('`') {
        format!("`` {text} ``")
    } else {
        format!("`{text}`")
    }
}

/// A known HTML tag at the start of `s` (`<name ...>`, `</name>`, `<name/>`): the lowercase
/// name (with a leading `/` when closing), its attribute text and the text after it.
fn html_tag(s: &str) -> Option<(String, &str, &str)> {
    let body = s.strip_prefix('<')?;
    let end = body.find('>')?;
    let (inner, after) = (&body[..end], &body[end + 1..]);
    let inner = inner.trim_end_matches('/');
    let (closing, name_start) = match inner.strip_prefix('/') {
        Some(n) => (true, n),
        None => (false, inner),
    };
    let name_len = name_start
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(name_start.len());
    let name = name_start[..name_len].to_ascii_lowercase();
    if !HTML_TAGS.contains(&name.as_str()) {
        return None;
    }
    let attrs = &name_start[name_len..];
    if !(attrs.is_empty() || attrs.starts_with(char::is_whitespace)) {
        return None;
    }
    let prefix = if closing { "/" } else { "" };
    Some((format!("{prefix}{name}"), attrs, after))
}

/// The HTML elements recognized in doc comments (`List<T>` or `a <b` are text).
const HTML_TAGS: &[&str] = &[
    "a",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "td",
    "th",
    "tr",
    "tt",
    "u",
    "ul",
];

/// The Markdown of one HTML tag.
fn tag_markdown(name: &str, attrs: &str, in_code: &mut bool) -> String {
    match name {
        "code" | "tt" | "/code" | "/tt" => {
            let open = !name.starts_with('/');
            if open == *in_code {
                return String::new();
            }
            *in_code = open;
            "`".to_string()
        }
        _ if *in_code => String::new(),
        "em" | "i" | "/em" | "/i" => "*".to_string(),
        "b" | "strong" | "/b" | "/strong" => "**".to_string(),
        "p" => {
            let class = attrs
                .split_once("class")
                .map(|(_, v)| v.trim_start_matches(['=', ' ', '"', '\'']))
                .and_then(|v| v.split(['"', '\'', ' ']).next())
                .unwrap_or_default();
            match class {
                "" => "\n\n".to_string(),
                c => format!("\n\n**{c}:** "),
            }
        }
        "br" | "ul" | "/ul" | "ol" | "/ol" | "pre" | "/pre" | "dl" | "/dl" => "\n\n".to_string(),
        "li" | "dt" => "\n* ".to_string(),
        "dd" => " ".to_string(),
        _ => String::new(),
    }
}

/// An HTML entity at the start of `s`: the character and the text after it.
fn entity(s: &str) -> Option<(char, &str)> {
    let end = s.find(';').filter(|e| *e <= 8)?;
    let c = match &s[1..end] {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        _ => return None,
    };
    Some((c, &s[end + 1..]))
}

fn attrs(lines: &[String]) -> TokenStream {
    let docs = lines.iter().map(|l| {
        let l = if l.is_empty() {
            l.clone()
        } else {
            format!(" {l}")
        };
        quote!(#[doc = #l])
    });
    quote!(#(#docs)*)
}

/// A plain `#[doc]` line.
pub fn line(text: &str) -> TokenStream {
    let t = format!(" {text}");
    quote!(#[doc = #t])
}

#[cfg(test)]
mod tests {
    use super::markdown;

    #[test]
    fn html_paragraphs_and_code_become_markdown() {
        assert_eq!(
            markdown("A <code>Normal</code> op.\n<p class=\"Note\">The {@link Locator} is <em>used</em>.</p>"),
            "A `Normal` op.\n\n\n**Note:** The `Locator` is *used*."
        );
        assert_eq!(markdown("<P>x<br/>y"), "\n\nx\n\ny");
    }

    #[test]
    fn links_become_code_spans() {
        assert_eq!(
            markdown("See {@link IceMX#MetricsAdmin} and {@link #inUseForIO}."),
            "See `IceMX::MetricsAdmin` and `inUseForIO`."
        );
        assert_eq!(
            markdown("{@code a<b>} {@linkplain X#y the y}"),
            "`a<b>` `X::y`"
        );
        // An unclosed inline tag stays text.
        assert_eq!(markdown("{@link X"), "{@link X");
    }

    #[test]
    fn text_that_rustdoc_would_misread_is_escaped() {
        assert_eq!(
            markdown("sequence<byte> a < b [x] a_b"),
            "sequence&lt;byte> a &lt; b \\[x\\] a\\_b"
        );
        assert_eq!(
            markdown("<code>x &lt; [y]</code> &lt;z&gt;"),
            "`x < [y]` &lt;z>"
        );
        assert_eq!(markdown("<code>open"), "`open`");
        assert_eq!(
            markdown("<code>\\[\"x\"]</code> \\[y] \\<p>"),
            "`[\"x\"]` \\[y\\] &lt;p>"
        );
    }
}
