//! Rustdoc from Slice doc comments: overview, parameters, return value, exceptions, see
//! also, deprecation.

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
                    one_line(text)
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
                lines.push(format!("* `{name}`: {}", one_line(text)));
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
    lines.push(format!("See also: {}.", see.join(", ")));
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn push_text(lines: &mut Vec<String>, text: &str) {
    for l in text.trim().lines() {
        lines.push(l.trim_end().to_string());
    }
}

fn attrs(lines: &[String]) -> TokenStream {
    let docs = lines.iter().map(|l| {
        // Brackets in Slice docs ({@link X}, [x]) would be read as intra-doc links.
        let l = l.replace('[', "\\[").replace(']', "\\]");
        let l = if l.is_empty() { l } else { format!(" {l}") };
        quote!(#[doc = #l])
    });
    quote!(#(#docs)*)
}

/// A plain `#[doc]` line.
pub fn line(text: &str) -> TokenStream {
    let t = format!(" {text}");
    quote!(#[doc = #t])
}
