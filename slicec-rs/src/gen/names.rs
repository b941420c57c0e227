//! Rust names for Slice names: case conversion, keywords, and the collision rule.
//!
//! * Modules, functions, fields and parameters are snake_case; types and enumerators keep
//!   their Slice names; constants are SCREAMING_SNAKE_CASE.
//! * A Rust keyword becomes a raw identifier (`r#type`); the few keywords that cannot be raw
//!   (`self`, `Self`, `super`, `crate`, `_`) get a trailing underscore.
//! * Collisions after conversion (`fooBar` and `foo_bar` in one scope, possible with
//!   `--underscore`) are resolved deterministically: the first name in declaration order
//!   keeps the converted form, each later one gets `_` appended until it is unique.

use proc_macro2::{Ident, Span};

const KEYWORDS: &[&str] = &[
    "as", "break", "const", "continue", "else", "enum", "extern", "false", "fn", "for", "if",
    "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "static",
    "struct", "trait", "true", "type", "unsafe", "use", "where", "while", "async", "await", "dyn",
    "abstract", "become", "box", "do", "final", "macro", "override", "priv", "typeof", "unsized",
    "virtual", "yield", "try", "gen",
];
const NOT_RAW: &[&str] = &["self", "Self", "super", "crate", "_"];

/// `getValue` → `get_value`, `URLPath` → `url_path`, `Demo` → `demo`.
pub fn snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev = i.checked_sub(1).and_then(|p| chars.get(p)).copied();
            let next = chars.get(i + 1).copied();
            let boundary = match prev {
                None | Some('_') => false,
                Some(p) => {
                    p.is_lowercase()
                        || p.is_ascii_digit()
                        || (p.is_uppercase() && next.is_some_and(|n| n.is_lowercase()))
                }
            };
            if boundary {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The module name for a file or directory name: snake case, anything else than letters
/// and digits replaced by `_` (`amd-and-results` → `amd_and_results`).
pub fn file_module(name: &str) -> String {
    let mut s: String = snake(name)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    s
}

/// `maxSize` → `MAX_SIZE`.
pub fn upper_snake(name: &str) -> String {
    snake(name).to_uppercase()
}

/// `getValue` → `GetValue` (for generated type names derived from operations).
pub fn pascal(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut up = true;
    for c in name.chars() {
        if c == '_' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// An identifier for `name`, raw when it is a keyword.
pub fn ident(name: &str) -> Ident {
    if NOT_RAW.contains(&name) {
        Ident::new(&format!("{name}_"), Span::call_site())
    } else if KEYWORDS.contains(&name) {
        Ident::new_raw(name, Span::call_site())
    } else {
        Ident::new(name, Span::call_site())
    }
}

/// Whether rustc considers `name` UpperCamelCase (else generated code carries a precise
/// `#[allow(non_camel_case_types)]`, since types keep their Slice names).
pub fn is_camel(name: &str) -> bool {
    let trimmed = name.trim_matches('_');
    let chars: Vec<char> = trimmed.chars().collect();
    let cased = |c: char| c.is_uppercase() || c.is_lowercase();
    !chars.first().is_some_and(|c| c.is_lowercase())
        && !trimmed.contains("__")
        && !chars
            .windows(2)
            .any(|w| (cased(w[0]) && w[1] == '_') || (cased(w[1]) && w[0] == '_'))
}

/// `#[allow(non_camel_case_types)]` when one of `names` is not UpperCamelCase.
pub fn allow_case<'a>(names: impl IntoIterator<Item = &'a str>) -> proc_macro2::TokenStream {
    if names.into_iter().all(is_camel) {
        proc_macro2::TokenStream::new()
    } else {
        quote::quote!(#[allow(non_camel_case_types)])
    }
}

/// Makes each name of `names` unique (the collision rule of the module docs).
pub fn unique(names: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for mut n in names {
        while out.contains(&n) {
            n.push('_');
        }
        out.push(n);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases() {
        assert_eq!(snake("getValue"), "get_value");
        assert_eq!(snake("URLPath"), "url_path");
        assert_eq!(snake("Demo"), "demo");
        assert_eq!(snake("IceGrid"), "ice_grid");
        assert_eq!(snake("op2Way"), "op2_way");
        assert_eq!(snake("ABC"), "abc");
        assert_eq!(upper_snake("maxSize"), "MAX_SIZE");
        assert_eq!(pascal("interpolate"), "Interpolate");
        assert_eq!(ident("type").to_string(), "r#type");
        assert_eq!(ident("self").to_string(), "self_");
        assert_eq!(
            unique(["a".into(), "a".into(), "a_".into()]),
            ["a", "a_", "a__"]
        );
    }
}
