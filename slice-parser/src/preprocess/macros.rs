//! Macros: `#define` parsing and expansion (object-like and function-like, `#` and `##`).
//!
//! Expansion follows the C rules closely enough for Slice files: arguments are expanded
//! before substitution (except next to `#` or `##`), the result is rescanned with the macro
//! itself disabled, and a name met while its macro is disabled is painted and never expanded
//! again. Depth and output size are bounded so that hostile input cannot exhaust the stack or
//! memory.

use super::lex::{Kind, Tok};
use std::collections::HashMap;

/// Deepest nesting of macro expansions before giving up.
const MAX_DEPTH: usize = 200;
/// Most tokens one expansion may produce.
const MAX_TOKENS: usize = 1 << 20;

/// One macro definition.
#[derive(Clone, Debug)]
pub(crate) struct Macro {
    /// Parameter names of a function-like macro (`None` for object-like).
    pub params: Option<Vec<String>>,
    /// Whether the last parameter is `...` (`__VA_ARGS__`).
    pub variadic: bool,
    /// The replacement list.
    pub body: Vec<Tok>,
    /// `#define ...` as written (white space normalised), for messages.
    pub text: String,
}

impl Macro {
    /// An object-like macro whose body is `value` (a `-D` argument or a predefined macro).
    pub fn object(name: &str, value: &str) -> Macro {
        let (body, _, _) = super::lex::tokenize_line(value.as_bytes(), 0, false, |_| false);
        Macro {
            params: None,
            variadic: false,
            text: format!("#define {name} {value}"),
            body,
        }
    }

    /// Whether two definitions are the same (redefinition is then silent).
    pub fn same_as(&self, other: &Macro) -> bool {
        self.params == other.params
            && self.variadic == other.variadic
            && self.body.len() == other.body.len()
            && self
                .body
                .iter()
                .zip(&other.body)
                .enumerate()
                .all(|(i, (a, b))| a.text == b.text && (i == 0 || a.space == b.space))
    }
}

/// Parses the tokens after `#define`: `NAME body` or `NAME(params) body`.
pub(crate) fn parse_define(toks: &[Tok]) -> Result<(String, Macro), String> {
    let Some(name) = toks.first() else {
        return Err("No identifier".into());
    };
    if name.kind != Kind::Ident {
        return Err(format!("Not an identifier \"{}\"", name.text));
    }
    if name.text == "defined" {
        return Err("\"defined\" shouldn't be defined".into());
    }
    let mut rest = &toks[1..];
    let mut params = None;
    let mut variadic = false;
    if rest.first().is_some_and(|t| t.is("(") && !t.space) {
        let mut list: Vec<String> = Vec::new();
        let mut i = 1;
        let mut spelled = String::from("(");
        loop {
            let Some(t) = rest.get(i) else {
                return Err(format!(
                    "Missing \",\" or \")\" in parameter list \"{spelled}\""
                ));
            };
            if t.is(")") && list.is_empty() {
                i += 1;
                break;
            }
            if t.is("...") {
                variadic = true;
                list.push("__VA_ARGS__".into());
            } else if t.kind == Kind::Ident {
                if list.contains(&t.text) {
                    return Err(format!("Duplicate parameter name \"{}\"", t.text));
                }
                list.push(t.text.clone());
            } else {
                return Err(format!("Illegal parameter \"{}\"", t.text));
            }
            spelled.push_str(&t.text);
            match rest.get(i + 1) {
                Some(t) if t.is(")") => {
                    i += 2;
                    break;
                }
                Some(t) if t.is(",") && !variadic => {
                    spelled.push(',');
                    i += 2;
                }
                _ => {
                    return Err(format!(
                        "Missing \",\" or \")\" in parameter list \"{spelled}\""
                    ))
                }
            }
        }
        rest = &rest[i..];
        params = Some(list);
    }
    let mut body = rest.to_vec();
    if let Some(first) = body.first_mut() {
        first.space = false;
    }
    if body.first().is_some_and(|t| t.is("##")) {
        return Err("No token before ##".into());
    }
    if body.last().is_some_and(|t| t.is("##")) {
        return Err("No token after ##".into());
    }
    if let Some(ps) = &params {
        for (i, t) in body.iter().enumerate() {
            if t.is("#") {
                match body.get(i + 1) {
                    Some(n) if n.kind == Kind::Ident && ps.contains(&n.text) => {}
                    n => {
                        let n = n.map_or("", |n| n.text.as_str());
                        return Err(format!("Not a formal parameter \"{n}\""));
                    }
                }
            }
        }
    }
    let head = match &params {
        None => name.text.clone(),
        Some(p) => format!("{}({})", name.text, p.join(", ")),
    };
    let text = format!("#define {head} {}", super::lex::spell(&body));
    Ok((
        name.text.clone(),
        Macro {
            params,
            variadic,
            body,
            text,
        },
    ))
}

/// The defined macros.
pub(crate) type MacroTable = HashMap<String, Macro>;

/// Why an expansion failed (the message is mcpp's where it has one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ExpandError {
    /// A function-like macro call with no closing parenthesis (the call as far as it goes).
    Unterminated(String),
    /// Wrong number of arguments: (name, call as written, expected, given).
    ArgCount(String, String, usize, usize),
    /// Nesting or size limit reached.
    TooLarge(String),
    /// `##` made something that is not one token.
    InvalidPaste(String),
}

impl ExpandError {
    /// The message to report.
    pub fn message(&self) -> String {
        match self {
            ExpandError::Unterminated(call) => format!("Unterminated macro call \"{call}\""),
            ExpandError::ArgCount(_, call, want, got) if got < want => {
                format!("Less than necessary {want} argument(s) in macro call \"{call}\"")
            }
            ExpandError::ArgCount(_, call, want, _) => {
                format!("More than necessary {want} argument(s) in macro call \"{call}\"")
            }
            ExpandError::TooLarge(n) => format!("Macro \"{n}\" expands too deeply or too much"),
            ExpandError::InvalidPaste(t) => format!("Not a valid preprocessing token \"{t}\""),
        }
    }
}

/// Expands macros in token lists.
pub(crate) struct Expander<'m> {
    macros: &'m MacroTable,
    produced: usize,
    disabled: Vec<String>,
}

impl<'m> Expander<'m> {
    /// An expander over `macros`.
    pub fn new(macros: &'m MacroTable) -> Expander<'m> {
        Expander {
            macros,
            produced: 0,
            disabled: Vec::new(),
        }
    }

    /// Whether the token list has a complete call of function-like `name` starting at its
    /// first token (used to know when to stop reading arguments across lines).
    pub fn call_complete<'t>(toks: impl IntoIterator<Item = &'t Tok>) -> bool {
        let mut depth = 0usize;
        for t in toks.into_iter().skip(1) {
            if t.is("(") {
                depth += 1;
            } else if t.is(")") {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return true;
                }
            }
        }
        false
    }

    /// Fully expands `input`.
    pub fn expand(&mut self, input: Vec<Tok>) -> Result<Vec<Tok>, ExpandError> {
        let mut out = Vec::with_capacity(input.len());
        let mut i = 0;
        while i < input.len() {
            let t = &input[i];
            let m = match t.kind {
                Kind::Ident if !t.painted => self.macros.get(&t.text),
                _ => None,
            };
            let Some(m) = m else {
                out.push(t.clone());
                i += 1;
                continue;
            };
            if self.disabled.contains(&t.text) {
                let mut p = t.clone();
                p.painted = true;
                out.push(p);
                i += 1;
                continue;
            }
            if self.disabled.len() >= MAX_DEPTH {
                return Err(ExpandError::TooLarge(t.text.clone()));
            }
            let (body, next) = match &m.params {
                None => (self.substitute(m, &[], t)?, i + 1),
                Some(params) => {
                    if !input.get(i + 1).is_some_and(|n| n.is("(")) {
                        out.push(t.clone());
                        i += 1;
                        continue;
                    }
                    let (args, next) = collect_args(&input, i + 2)
                        .ok_or_else(|| ExpandError::Unterminated(super::lex::spell(&input[i..])))?;
                    let args = fit_args(args, params.len(), m.variadic).map_err(|got| {
                        ExpandError::ArgCount(
                            t.text.clone(),
                            super::lex::spell(&input[i..next]),
                            params.len(),
                            got,
                        )
                    })?;
                    (self.substitute(m, &args, t)?, next)
                }
            };
            self.disabled.push(t.text.clone());
            let expanded = self.expand(body);
            self.disabled.pop();
            let mut expanded = expanded?;
            if let Some(first) = expanded.first_mut() {
                first.space = t.space;
            }
            self.produced += expanded.len();
            if self.produced > MAX_TOKENS {
                return Err(ExpandError::TooLarge(t.text.clone()));
            }
            out.extend(expanded);
            i = next;
        }
        Ok(out)
    }

    /// The replacement list of `m` with parameters replaced by `args`, `#` and `##` applied.
    /// Every token is placed at the call's offset.
    fn substitute(
        &mut self,
        m: &Macro,
        args: &[Vec<Tok>],
        call: &Tok,
    ) -> Result<Vec<Tok>, ExpandError> {
        let params: &[String] = m.params.as_deref().unwrap_or(&[]);
        let param_index = |t: &Tok| {
            if t.kind == Kind::Ident {
                params.iter().position(|p| *p == t.text)
            } else {
                None
            }
        };
        let body = &m.body;
        let mut out: Vec<Tok> = Vec::new();
        let mut paste_next = false;
        let mut j = 0;
        while j < body.len() {
            let t = &body[j];
            if t.is("##") && !out.is_empty() {
                paste_next = true;
                j += 1;
                continue;
            }
            // `#param`: stringize the argument as written.
            if t.is("#") && m.params.is_some() {
                if let Some(k) = body.get(j + 1).and_then(param_index) {
                    let s = stringize(args.get(k).map_or(&[][..], Vec::as_slice), call.off);
                    push_tok(
                        &mut out,
                        Tok {
                            space: t.space,
                            ..s
                        },
                        &mut paste_next,
                    )?;
                    j += 2;
                    continue;
                }
            }
            let mut pieces = match param_index(t) {
                Some(k) => {
                    let arg = args.get(k).cloned().unwrap_or_default();
                    let next_is_paste = body.get(j + 1).is_some_and(|n| n.is("##"));
                    if paste_next || next_is_paste {
                        arg
                    } else {
                        self.expand(arg)?
                    }
                }
                None => vec![t.clone()],
            };
            for p in &mut pieces {
                p.off = call.off;
            }
            if let Some(first) = pieces.first_mut() {
                first.space = t.space;
            }
            for p in pieces {
                push_tok(&mut out, p, &mut paste_next)?;
            }
            paste_next = false;
            j += 1;
        }
        Ok(out)
    }
}

/// Appends `t`, pasting it onto the previous token when a `##` is pending; the pasted
/// text must be one valid token.
fn push_tok(out: &mut Vec<Tok>, t: Tok, paste_next: &mut bool) -> Result<(), ExpandError> {
    if *paste_next {
        *paste_next = false;
        if let Some(last) = out.last_mut() {
            last.text.push_str(&t.text);
            let (toks, _, err) =
                super::lex::tokenize_line(last.text.as_bytes(), 0, false, |_| false);
            if err.is_some() || toks.len() != 1 {
                return Err(ExpandError::InvalidPaste(last.text.clone()));
            }
            last.kind = retoken_kind(&last.text);
            return Ok(());
        }
    }
    out.push(t);
    Ok(())
}

/// The kind of a token produced by `##`.
fn retoken_kind(s: &str) -> Kind {
    match s.bytes().next() {
        Some(c) if super::lex::is_ident_start(c) => Kind::Ident,
        Some(c) if c.is_ascii_digit() => Kind::Number,
        Some(b'"') => Kind::Str,
        Some(b'\'') => Kind::Char,
        Some(c) if c.is_ascii_punctuation() => Kind::Punct,
        _ => Kind::Other,
    }
}

/// `#x`: the argument spelled as a string literal.
fn stringize(arg: &[Tok], off: u32) -> Tok {
    let mut s = String::from("\"");
    for (i, t) in arg.iter().enumerate() {
        if i > 0 && t.space {
            s.push(' ');
        }
        if matches!(t.kind, Kind::Str | Kind::Char) {
            for c in t.text.chars() {
                if c == '"' || c == '\\' {
                    s.push('\\');
                }
                s.push(c);
            }
        } else {
            s.push_str(&t.text);
        }
    }
    s.push('"');
    Tok::new(Kind::Str, s, off)
}

/// Splits the tokens after a call's `(` into arguments; returns them and the index after the
/// closing `)`, or `None` when there is none.
fn collect_args(input: &[Tok], start: usize) -> Option<(Vec<Vec<Tok>>, usize)> {
    let mut args = vec![Vec::new()];
    let mut depth = 0usize;
    for (k, t) in input.iter().enumerate().skip(start) {
        if t.is("(") {
            depth += 1;
        } else if t.is(")") {
            if depth == 0 {
                return Some((args, k + 1));
            }
            depth -= 1;
        } else if t.is(",") && depth == 0 {
            args.push(Vec::new());
            continue;
        }
        if let Some(a) = args.last_mut() {
            a.push(t.clone());
        }
    }
    None
}

/// Checks the argument count; merges the extra arguments of a variadic macro. `Err` holds
/// the number given.
fn fit_args(mut args: Vec<Vec<Tok>>, want: usize, variadic: bool) -> Result<Vec<Vec<Tok>>, usize> {
    if want == 0 && args.len() == 1 && args[0].is_empty() {
        return Ok(Vec::new());
    }
    if variadic && args.len() > want && want > 0 {
        let rest: Vec<Vec<Tok>> = args.split_off(want - 1);
        let mut merged = Vec::new();
        for (i, a) in rest.into_iter().enumerate() {
            if i > 0 {
                merged.push(Tok::new(Kind::Punct, ",", 0));
            }
            merged.extend(a);
        }
        args.push(merged);
    }
    if variadic && args.len() + 1 == want {
        args.push(Vec::new());
    }
    if args.len() == want {
        Ok(args)
    } else {
        Err(args.len())
    }
}

#[cfg(test)]
mod tests {
    use super::super::lex::{spell, tokenize_line};
    use super::*;

    fn table(defs: &[&str]) -> MacroTable {
        let mut t = MacroTable::new();
        for d in defs {
            let (toks, _, _) = tokenize_line(d.as_bytes(), 0, false, |_| false);
            let (name, m) = parse_define(&toks).unwrap();
            t.insert(name, m);
        }
        t
    }

    fn expand(defs: &[&str], text: &str) -> Result<String, String> {
        let t = table(defs);
        let (toks, _, _) = tokenize_line(text.as_bytes(), 0, false, |_| false);
        Expander::new(&t)
            .expand(toks)
            .map(|r| spell(&r))
            .map_err(|e| e.message())
    }

    #[test]
    fn object_and_function_like() {
        assert_eq!(
            expand(&["INT int", "DEF(X) = X"], "INT a DEF(3);"),
            Ok("int a = 3;".into())
        );
        assert_eq!(
            expand(&["F(x) #x", "G(a,b) a##b"], "F(hi  there) G(B,C)"),
            Ok("\"hi there\" BC".into())
        );
        assert_eq!(expand(&["A B", "B A"], "A"), Ok("A".into()));
        assert_eq!(expand(&["F(x) x"], "F"), Ok("F".into()));
        assert_eq!(expand(&["F(x) [x]", "G F(1)"], "G"), Ok("[1]".into()));
        assert_eq!(
            expand(&["V(...) f(__VA_ARGS__)"], "V(1, 2)"),
            Ok("f(1, 2)".into())
        );
    }

    #[test]
    fn errors() {
        assert_eq!(
            expand(&["F(x,y) x y"], "F(1)"),
            Err("Less than necessary 2 argument(s) in macro call \"F(1)\"".into())
        );
        assert_eq!(
            parse_define(&tokenize_line(b"F(x,x) x", 0, false, |_| false).0).err(),
            Some("Duplicate parameter name \"x\"".into())
        );
        assert_eq!(
            parse_define(&tokenize_line(b"F(x x", 0, false, |_| false).0).err(),
            Some("Missing \",\" or \")\" in parameter list \"(x\"".into())
        );
    }

    #[test]
    fn exponential_growth_is_bounded() {
        let mut defs = vec!["M0 x x".to_string()];
        for i in 1..40 {
            defs.push(format!("M{i} M{} M{}", i - 1, i - 1));
        }
        let defs: Vec<&str> = defs.iter().map(String::as_str).collect();
        assert!(expand(&defs, "M39").is_err());
    }
}
