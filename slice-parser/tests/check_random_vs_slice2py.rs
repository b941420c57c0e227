//! Random differential testing of the checker against slice2py: seeded random Slice files,
//! full of near-miss names (wrong case, wrong kind, partial qualification, reserved
//! identifiers), are compiled by both; the diagnostics must be identical, except for the
//! names slice2py gives its internal placeholders (random UUIDs). Half of the files put
//! every token on its own line, which checks the line each diagnostic is reported on.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use slice_parser::diagnostics::Location;
use slice_parser::{compile_file, Options, Severity};

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const NAMES: [&str; 20] = [
    "A", "B", "C", "D", "E", "Point", "Door", "Item", "Base", "Data", "Inner", "M", "K", "x",
    "low", "high", "IceX", "a_b", "NodePtr", "ice",
];
const BUILTINS: [&str; 11] = [
    "int",
    "string",
    "long",
    "bool",
    "byte",
    "double",
    "float",
    "Object",
    "Object*",
    "Value",
    "LocalObject",
];

struct Gen {
    rng: Rng,
    /// Scoped paths defined so far (what references pick from).
    defs: Vec<Vec<String>>,
}

impl Gen {
    fn name(&mut self) -> String {
        let n = self.rng.pick(&NAMES).to_string();
        match self.rng.below(100) {
            0..=4 => n.to_lowercase(),
            5..=7 => n.to_uppercase(),
            _ => n,
        }
    }

    fn reference(&mut self) -> String {
        if self.defs.is_empty() || !self.rng.chance(85) {
            return self.name();
        }
        let path = self.defs[self.rng.below(self.defs.len())].clone();
        let last = path.len() - 1;
        let mut s = match self.rng.below(4) {
            0 | 1 => path[last].clone(),
            2 if path.len() > 1 => path[last - 1..].join("::"),
            _ => format!("::{}", path.join("::")),
        };
        if self.rng.chance(5) {
            s = s.to_uppercase();
        }
        s
    }

    fn ty(&mut self) -> String {
        if self.rng.chance(30) {
            return self.rng.pick(&BUILTINS).to_string();
        }
        let mut t = self.reference();
        if self.rng.chance(15) {
            t.push('*');
        }
        t
    }

    fn value(&mut self) -> String {
        match self.rng.below(10) {
            0..=2 => self
                .rng
                .pick(&["0", "1", "-1", "255", "256", "70000", "2147483648"])
                .to_string(),
            3 => self.rng.pick(&["1.5", "\"s\"", "true"]).to_string(),
            _ => self.reference(),
        }
    }

    fn tag(&mut self) -> String {
        if self.rng.chance(25) {
            let t = if self.rng.chance(50) {
                self.rng.pick(&["1", "2"]).to_string()
            } else {
                self.reference()
            };
            format!("optional({t}) ")
        } else {
            String::new()
        }
    }

    fn definitions(&mut self, scope: &[String], depth: usize, out: &mut String) {
        for _ in 0..1 + self.rng.below(5) {
            let n = self.name();
            let mut path = scope.to_vec();
            path.push(n.clone());
            let local = if self.rng.chance(10) { "local " } else { "" };
            match self.rng.below(20) {
                0..=1 if depth < 3 => {
                    let _ = writeln!(out, "module {n} {{");
                    self.defs.push(path.clone());
                    self.definitions(&path, depth + 1, out);
                    out.push_str("};\n");
                }
                0..=4 => {
                    let mut members = String::new();
                    for _ in 0..self.rng.below(4) {
                        let (t, m) = (self.ty(), self.rng.pick(&["x", "y", "X", "p"]));
                        let d = if self.rng.chance(20) {
                            format!(" = {}", self.value())
                        } else {
                            String::new()
                        };
                        let _ = write!(members, "{t} {m}{d}; ");
                    }
                    let _ = writeln!(out, "{local}struct {n} {{ {members}}};");
                    self.defs.push(path);
                }
                5..=7 => {
                    let mut head = String::new();
                    if self.rng.chance(10) {
                        let id = self.value();
                        let _ = write!(head, "({id})");
                    }
                    if self.rng.chance(30) {
                        let b = self.reference();
                        let _ = write!(head, " extends {b}");
                    }
                    if self.rng.chance(15) {
                        let i = self.reference();
                        let _ = write!(head, " implements {i}");
                    }
                    let mut members = String::new();
                    for _ in 0..self.rng.below(4) {
                        if self.rng.chance(70) {
                            let (tag, t) = (self.tag(), self.ty());
                            let m = self.rng.pick(&["x", "y", "X", "op"]);
                            let _ = write!(members, "{tag}{t} {m}; ");
                        } else {
                            let o = self.rng.pick(&["op", "Op", "x", "run"]);
                            let _ = write!(members, "void {o}(); ");
                        }
                    }
                    let _ = writeln!(out, "{local}class {n}{head} {{ {members}}};");
                    self.defs.push(path);
                }
                8..=10 => {
                    let mut head = String::new();
                    if self.rng.chance(30) {
                        let bases: Vec<String> = (0..1 + self.rng.below(2))
                            .map(|_| self.reference())
                            .collect();
                        let _ = write!(head, " extends {}", bases.join(", "));
                    }
                    let mut ops = String::new();
                    for _ in 0..self.rng.below(4) {
                        let ret = if self.rng.chance(50) {
                            "void".to_string()
                        } else {
                            format!("{}{}", self.tag(), self.ty())
                        };
                        let params: Vec<String> = (0..self.rng.below(3))
                            .map(|_| {
                                let out_kw = if self.rng.chance(30) { "out " } else { "" };
                                let (tag, t) = (self.tag(), self.ty());
                                let p = self.rng.pick(&["a", "b", "A", "c"]);
                                format!("{out_kw}{tag}{t} {p}")
                            })
                            .collect();
                        let throws = if self.rng.chance(30) {
                            let es: Vec<String> = (0..1 + self.rng.below(2))
                                .map(|_| self.reference())
                                .collect();
                            format!(" throws {}", es.join(", "))
                        } else {
                            String::new()
                        };
                        let o = if self.rng.chance(90) {
                            self.rng.pick(&["op", "Op", "run", "get"]).to_string()
                        } else {
                            n.clone()
                        };
                        let _ = write!(ops, "{ret} {o}({}){throws}; ", params.join(", "));
                    }
                    let _ = writeln!(out, "{local}interface {n}{head} {{ {ops}}};");
                    self.defs.push(path);
                }
                11..=12 => {
                    let head = if self.rng.chance(40) {
                        format!(" extends {}", self.reference())
                    } else {
                        String::new()
                    };
                    let mut members = String::new();
                    for _ in 0..self.rng.below(3) {
                        let (tag, t) = (self.tag(), self.ty());
                        let m = self.rng.pick(&["x", "y", "r"]);
                        let _ = write!(members, "{tag}{t} {m}; ");
                    }
                    let _ = writeln!(out, "{local}exception {n}{head} {{ {members}}};");
                    self.defs.push(path);
                }
                13..=14 => {
                    let mut items = Vec::new();
                    for _ in 0..self.rng.below(4) {
                        let e = self.rng.pick(&["low", "high", "a", "b", "mid"]);
                        let mut it = e.to_string();
                        if self.rng.chance(30) {
                            let v = self.rng.pick(&["0", "1", "5"]).to_string();
                            let v = if self.rng.chance(30) {
                                self.reference()
                            } else {
                                v
                            };
                            let _ = write!(it, " = {v}");
                        }
                        let mut p = path.clone();
                        p.push(e.to_string());
                        self.defs.push(p);
                        items.push(it);
                    }
                    let _ = writeln!(out, "{local}enum {n} {{ {} }};", items.join(", "));
                    self.defs.push(path);
                }
                15..=16 => {
                    let t = self.ty();
                    let _ = writeln!(out, "{local}sequence<{t}> {n};");
                    self.defs.push(path);
                }
                17 => {
                    let (k, v) = (self.ty(), self.ty());
                    let _ = writeln!(out, "{local}dictionary<{k}, {v}> {n};");
                    self.defs.push(path);
                }
                18 => {
                    let t = if self.rng.chance(70) {
                        self.rng
                            .pick(&["int", "string", "long", "short", "byte", "bool", "double"])
                            .to_string()
                    } else {
                        self.reference()
                    };
                    let v = self.value();
                    let _ = writeln!(out, "const {t} {n} = {v};");
                    self.defs.push(path);
                }
                _ => {
                    let kw = self.rng.pick(&["class", "interface"]);
                    let _ = writeln!(out, "{local}{kw} {n};");
                    self.defs.push(path);
                }
            }
        }
    }

    fn file(&mut self) -> String {
        let mut out = String::new();
        match self.rng.below(10) {
            0 => out.push_str("[[\"underscore\"]]\n"),
            1 => out.push_str("[[\"ice-prefix\"]]\n"),
            2 => out.push_str("[[\"suppress-warning:deprecated\"]]\n"),
            _ => {}
        }
        for _ in 0..1 + self.rng.below(3) {
            let n = self.name();
            let _ = writeln!(out, "module {n} {{");
            self.defs.push(vec![n.clone()]);
            self.definitions(&[n], 1, &mut out);
            out.push_str("};\n");
        }
        out
    }
}

/// Whether a quoted name is one of slice2py's placeholders (a random UUID, possibly inside a
/// scoped name).
fn is_placeholder(quoted: &str) -> bool {
    quoted
        .split("::")
        .any(|c| c.len() == 36 && c.chars().filter(|&ch| ch == '-').count() == 4)
}

/// Splits a message into text and quoted parts (`` `...' ``).
fn parts(line: &str) -> Vec<(bool, &str)> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(start) = rest.find('`') {
        let Some(len) = rest[start + 1..].find('\'') else {
            break;
        };
        out.push((false, &rest[..start]));
        out.push((true, &rest[start + 1..start + 1 + len]));
        rest = &rest[start + 2 + len..];
    }
    out.push((false, rest));
    out
}

/// Equal, except that a slice2py placeholder matches any name of ours.
fn lines_match(reference: &str, ours: &str) -> bool {
    let (r, o) = (parts(reference), parts(ours));
    r.len() == o.len()
        && r.iter()
            .zip(&o)
            .all(|((quoted, a), (_, b))| a == b || (*quoted && is_placeholder(a)))
}

fn run_case(dir: &Path, src: &str) -> Option<String> {
    std::fs::write(dir.join("t.ice"), src).expect("write");
    let out = Command::new("slice2py")
        .current_dir(dir)
        .arg("--output-dir")
        .arg(dir)
        .arg("t.ice")
        .output()
        .expect("slice2py (zeroc-ice-compilers 3.7) must be installed");
    let prefix = format!("{}/", dir.display());
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("NullHandleException") {
        return None; // slice2py itself crashed
    }
    let want: Vec<String> = stderr.lines().map(|l| l.replace(&prefix, "")).collect();
    let comp = compile_file(&dir.join("t.ice"), &Options::default());
    let got: Vec<String> = comp
        .diagnostics
        .iter()
        .map(|d| {
            let sev = if d.severity == Severity::Warning {
                "warning: "
            } else {
                ""
            };
            let line = match d.location {
                Location::Span(s) => {
                    let (_, line) = comp.sources.file(s.file).presumed_line(s.start);
                    format!("t.ice:{line}: {sev}{}", d.message)
                }
                _ => format!("{sev}{}", d.message),
            };
            line.replace(&prefix, "")
        })
        .collect();
    let syntax = want.iter().chain(&got).any(|l| l.contains("syntax error"));
    let n = if syntax { 1 } else { usize::MAX };
    let (w, g): (Vec<&String>, Vec<&String>) =
        (want.iter().take(n).collect(), got.iter().take(n).collect());
    let same = w.len() == g.len() && w.iter().zip(&g).all(|(a, b)| lines_match(a, b));
    (!same).then(|| {
        format!(
            "--- input ---\n{src}--- slice2py ---\n{}\n--- ours ---\n{}\n",
            want.join("\n"),
            got.join("\n")
        )
    })
}

#[test]
fn random_files_give_the_same_diagnostics_as_slice2py() {
    let dir = std::env::temp_dir().join(format!("slice-random-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut failures = Vec::new();
    for seed in 1..=120u64 {
        let mut gen = Gen {
            rng: Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1),
            defs: Vec::new(),
        };
        let mut src = gen.file();
        if seed % 2 == 0 {
            src = src.replace(' ', "\n");
        }
        if let Some(f) = run_case(&dir, &src) {
            failures.push(format!("seed {seed}:\n{f}"));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        failures.is_empty(),
        "{} of 120 differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
