//! `#if` / `#elif` expressions: C integer arithmetic on macro-expanded tokens.
//!
//! `defined` has already been replaced by `0`/`1` and macros expanded; any identifier left is
//! `0`. Arithmetic is done in `i64` and wraps (mcpp uses `long long`). Error messages are
//! mcpp's.

use super::lex::{Kind, Tok};

/// Deepest nesting of parentheses and unary operators.
const MAX_DEPTH: usize = 64;

/// Evaluates an expression; `Err` holds mcpp's message.
pub(crate) fn eval(toks: &[Tok]) -> Result<i64, String> {
    if toks.is_empty() {
        return Err("No argument".into());
    }
    let mut p = Parser {
        toks,
        pos: 0,
        depth: 0,
    };
    let v = p.ternary(true)?;
    match p.toks.get(p.pos) {
        None => Ok(v),
        Some(t) if t.is(")") => Err("Excessive \")\"".into()),
        Some(t) if matches!(t.kind, Kind::Number | Kind::Ident | Kind::Char) => {
            Err(format!("Misplaced constant \"{}\"", t.text))
        }
        Some(t) => Err(format!("Operator \"{}\" in incorrect context", t.text)),
    }
}

struct Parser<'t> {
    toks: &'t [Tok],
    pos: usize,
    depth: usize,
}

/// Binary operators by precedence level, loosest first (after `?:`).
const LEVELS: [&[&str]; 10] = [
    &["||"],
    &["&&"],
    &["|"],
    &["^"],
    &["&"],
    &["==", "!="],
    &["<", ">", "<=", ">="],
    &["<<", ">>"],
    &["+", "-"],
    &["*", "/", "%"],
];

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    /// `live` is false in an operand that is not evaluated (after `0 &&`, `1 ||`, or the
    /// branch of `?:` not taken), where C does not report division by zero.
    fn ternary(&mut self, live: bool) -> Result<i64, String> {
        let c = self.binary(0, live)?;
        if self.peek().is_some_and(|t| t.is("?")) {
            self.pos += 1;
            let a = self.ternary(live && c != 0)?;
            match self.peek() {
                Some(t) if t.is(":") => self.pos += 1,
                None => return Err("Unterminated expression".into()),
                Some(t) => return Err(format!("Operator \"{}\" in incorrect context", t.text)),
            }
            let b = self.ternary(live && c == 0)?;
            return Ok(if c != 0 { a } else { b });
        }
        Ok(c)
    }

    fn binary(&mut self, level: usize, live: bool) -> Result<i64, String> {
        let Some(ops) = LEVELS.get(level) else {
            return self.unary(live);
        };
        let mut lhs = self.binary(level + 1, live)?;
        while let Some(op) = self
            .peek()
            .filter(|t| t.kind == Kind::Punct && ops.contains(&t.text.as_str()))
            .map(|t| t.text.clone())
        {
            self.pos += 1;
            let rhs_live = match op.as_str() {
                "||" => live && lhs == 0,
                "&&" => live && lhs != 0,
                _ => live,
            };
            let rhs = self.binary(level + 1, rhs_live)?;
            lhs = apply(&op, lhs, rhs, rhs_live)?;
        }
        Ok(lhs)
    }

    fn unary(&mut self, live: bool) -> Result<i64, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err("Expression too deeply nested".into());
        }
        let r = self.unary_inner(live);
        self.depth -= 1;
        r
    }

    fn unary_inner(&mut self, live: bool) -> Result<i64, String> {
        let toks = self.toks;
        let Some(t) = toks.get(self.pos) else {
            return Err("Unterminated expression".into());
        };
        self.pos += 1;
        match t.kind {
            Kind::Number => number(&t.text),
            Kind::Ident => Ok(0),
            Kind::Char => Ok(char_value(&t.text)),
            Kind::Str => Err(format!("Can't use a string literal {}", t.text)),
            Kind::Punct => match t.text.as_str() {
                "(" => {
                    let v = self.ternary(live)?;
                    match self.peek() {
                        Some(t) if t.is(")") => {
                            self.pos += 1;
                            Ok(v)
                        }
                        _ => Err("Missing \")\"".into()),
                    }
                }
                "-" => Ok(self.unary(live)?.wrapping_neg()),
                "+" => self.unary(live),
                "~" => Ok(!self.unary(live)?),
                "!" => Ok(i64::from(self.unary(live)? == 0)),
                other => Err(format!("Operator \"{other}\" in incorrect context")),
            },
            Kind::Other => Err(format!("Operator \"{}\" in incorrect context", t.text)),
        }
    }
}

fn apply(op: &str, a: i64, b: i64, live: bool) -> Result<i64, String> {
    Ok(match op {
        "||" => i64::from(a != 0 || b != 0),
        "&&" => i64::from(a != 0 && b != 0),
        "|" => a | b,
        "^" => a ^ b,
        "&" => a & b,
        "==" => i64::from(a == b),
        "!=" => i64::from(a != b),
        "<" => i64::from(a < b),
        ">" => i64::from(a > b),
        "<=" => i64::from(a <= b),
        ">=" => i64::from(a >= b),
        "<<" => a.wrapping_shl((b & 63) as u32),
        ">>" => a.wrapping_shr((b & 63) as u32),
        "+" => a.wrapping_add(b),
        "-" => a.wrapping_sub(b),
        "*" => a.wrapping_mul(b),
        "/" | "%" if b == 0 && live => return Err("Division by zero".into()),
        "/" | "%" if b == 0 => 0,
        "/" => a.wrapping_div(b),
        _ => a.wrapping_rem(b),
    })
}

/// The value of an integer literal (decimal, octal or hex, with `u`/`l` suffixes).
fn number(s: &str) -> Result<i64, String> {
    let digits = s.trim_end_matches(['u', 'U', 'l', 'L']);
    let (radix, body) = if let Some(h) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        (16, h)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, &digits[1..])
    } else {
        (10, digits)
    };
    if body.is_empty() && radix == 16 {
        return Err(format!("Not an integer \"{s}\""));
    }
    match u64::from_str_radix(body, radix) {
        Ok(v) => Ok(v as i64),
        Err(e) if *e.kind() == std::num::IntErrorKind::PosOverflow => {
            Err(format!("Constant \"{s}\" is out of range"))
        }
        Err(_) => Err(format!("Not an integer \"{s}\"")),
    }
}

/// The value of a character constant such as `'a'` or `'\n'`.
fn char_value(s: &str) -> i64 {
    let inner = s.trim_start_matches('\'').trim_end_matches('\'');
    let mut chars = inner.chars();
    match (chars.next(), chars.next()) {
        (Some('\\'), Some(e)) => match e {
            'n' => 10,
            't' => 9,
            'r' => 13,
            '0' => 0,
            'a' => 7,
            'b' => 8,
            'f' => 12,
            'v' => 11,
            other => other as i64,
        },
        (Some(c), _) => c as i64,
        (None, _) => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::super::lex::tokenize_line;
    use super::*;

    fn ev(s: &str) -> Result<i64, String> {
        let (t, _, _) = tokenize_line(s.as_bytes(), 0, false, |_| false);
        eval(&t)
    }

    #[test]
    fn arithmetic() {
        assert_eq!(ev("1 + 2 * 3"), Ok(7));
        assert_eq!(ev("(1 + 2) * 3 == 9 && 010 == 8 && 0x10 == 16"), Ok(1));
        assert_eq!(ev("-1 < 0 ? 5 : 6"), Ok(5));
        assert_eq!(
            ev("~0 == -1 && !0 && (1 << 3) == 8 && 30708 >= 30700"),
            Ok(1)
        );
        assert_eq!(ev("'a' == 97 && 2L && 1u"), Ok(1));
        assert_eq!(ev("UNKNOWN"), Ok(0));
    }

    #[test]
    fn mcpp_messages() {
        assert_eq!(ev(""), Err("No argument".into()));
        assert_eq!(ev("1/0"), Err("Division by zero".into()));
        assert_eq!(ev("1 || 1/0"), Ok(1));
        assert_eq!(ev("0 && 1%0"), Ok(0));
        assert_eq!(ev("1 ? 2 : 1/0"), Ok(2));
        assert_eq!(ev("0 ? 1/0 : 3"), Ok(3));
        assert_eq!(ev("0 || 1/0"), Err("Division by zero".into()));
        assert_eq!(ev("(1"), Err("Missing \")\"".into()));
        assert_eq!(ev("1 +"), Err("Unterminated expression".into()));
        assert_eq!(ev("1 )"), Err("Excessive \")\"".into()));
        assert_eq!(ev("1 x"), Err("Misplaced constant \"x\"".into()));
        assert_eq!(ev("\"s\""), Err("Can't use a string literal \"s\"".into()));
        assert_eq!(ev("1.0"), Err("Not an integer \"1.0\"".into()));
        assert_eq!(
            ev("1 +* 2"),
            Err("Operator \"*\" in incorrect context".into())
        );
        assert_eq!(ev("1 ? 2"), Err("Unterminated expression".into()));
    }

    #[test]
    fn deep_nesting_is_an_error() {
        let s = "(".repeat(100_000);
        assert!(ev(&s).is_err());
        let s = "-".repeat(100_000);
        assert!(ev(&s).is_err());
    }
}
