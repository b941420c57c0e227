//! Reading the shared Slice corpus (`shared/slice/corpus`): where it is, its `.args` and
//! `.expected` files, and the known-failures lists that keep the corpus tests strict.

use slice_parser::diagnostics::Location;
use slice_parser::{Compilation, Diagnostic, MacroArg, Options, Severity};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where Ice's own Slice files are installed (package `zeroc-ice-slice`).
pub const ICE_SLICE_DIR: &str = "/usr/share/ice/slice";

/// The corpus directory: `$SLICE_CORPUS_DIR`, else `shared/slice/corpus` beside the
/// repository (or beside the folder of work trees the repository is checked out in).
pub fn corpus_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("SLICE_CORPUS_DIR") {
        return PathBuf::from(d);
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        manifest.join("../../shared/slice/corpus"),
        manifest.join("../../../shared/slice/corpus"),
    ];
    for c in &candidates {
        if c.is_dir() {
            return std::fs::canonicalize(c).unwrap_or_else(|_| c.clone());
        }
    }
    panic!(
        "the Slice corpus was not found (tried {candidates:?}); set SLICE_CORPUS_DIR to \
         shared/slice/corpus"
    );
}

/// Fails loudly when Ice's Slice files are not installed.
pub fn require_ice_slice_dir() -> PathBuf {
    let d = PathBuf::from(ICE_SLICE_DIR);
    assert!(
        d.join("Ice/Identity.ice").is_file(),
        "{ICE_SLICE_DIR} is missing: install the Debian package zeroc-ice-slice"
    );
    d
}

/// The options of a corpus file: its `.args` (with `@ICE_SLICE_DIR@` replaced and relative
/// `-I` directories made relative to the file's folder).
pub fn options_for(ice: &Path) -> Options {
    let mut o = Options::default();
    let args_file = ice.with_extension("args");
    let Ok(args) = std::fs::read_to_string(&args_file) else {
        return o;
    };
    let folder = ice.parent().unwrap_or(Path::new("."));
    for a in args.split_whitespace() {
        let a = if a.contains("@ICE_SLICE_DIR@") {
            a.replace(
                "@ICE_SLICE_DIR@",
                require_ice_slice_dir().to_str().unwrap_or(ICE_SLICE_DIR),
            )
        } else {
            a.to_string()
        };
        if let Some(d) = a.strip_prefix("-I") {
            o.include_dirs.push(folder.join(d));
        } else if let Some(d) = a.strip_prefix("-D") {
            o.macros.push(match d.split_once('=') {
                Some((n, v)) => MacroArg::Define(n.into(), Some(v.into())),
                None => MacroArg::Define(d.into(), None),
            });
        } else if let Some(u) = a.strip_prefix("-U") {
            o.macros.push(MacroArg::Undefine(u.into()));
        } else if a == "--ice" {
            o.ice_prefix = true;
        } else if a == "--underscore" {
            o.underscore = true;
        } else {
            panic!("{}: unsupported argument {a}", args_file.display());
        }
    }
    o
}

/// One diagnostic line in slice2py's terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// The file, relative to the corpus folder (`None` for diagnostics without a file).
    pub file: Option<String>,
    /// The line (`None` for file-level diagnostics).
    pub line: Option<u32>,
    /// Whether it is a warning.
    pub warning: bool,
    /// The message (for mcpp's messages, without its `error: ` prefix).
    pub message: String,
}

impl std::fmt::Display for Line {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{file}:")?;
            if let Some(l) = self.line {
                write!(f, "{l}:")?;
            }
            write!(f, " ")?;
        }
        if self.warning {
            write!(f, "warning: ")?;
        }
        write!(f, "{}", self.message)
    }
}

/// A parsed `.expected` file.
pub struct Expected {
    /// slice2py's exit status.
    pub status: i32,
    /// Its diagnostics, without mcpp's context lines.
    pub lines: Vec<Line>,
}

/// Parses `NAME.expected` (README.md of the corpus describes the format).
pub fn read_expected(ice: &Path) -> Expected {
    let path = ice.with_extension("expected");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut it = text.lines();
    let status = it
        .next()
        .and_then(|l| l.strip_prefix("exit-status: "))
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| panic!("{}: no exit-status line", path.display()));
    let mut lines = Vec::new();
    for l in it {
        // mcpp's context lines (indented source, `from ...`), blank lines and its summary.
        if l.is_empty()
            || l.starts_with(' ')
            || l.starts_with('\t')
            || l.ends_with("in preprocessor.")
        {
            continue;
        }
        lines.push(parse_line(l));
    }
    Expected { status, lines }
}

fn parse_line(l: &str) -> Line {
    let (warning, rest) = match l.strip_prefix("warning: ") {
        Some(r) => (true, r),
        None => (false, l),
    };
    if warning {
        return Line {
            file: None,
            line: None,
            warning,
            message: rest.to_string(),
        };
    }
    // FILE:LINE: MESSAGE, FILE:LINE: warning: MESSAGE, FILE:LINE: error: MESSAGE (mcpp),
    // FILE: warning: MESSAGE.
    let mut parts = l.splitn(3, ':');
    let file = parts.next().unwrap_or_default().to_string();
    let second = parts.next().unwrap_or_default();
    let (line, rest) = match second.parse::<u32>() {
        Ok(n) => (Some(n), parts.next().unwrap_or_default()),
        Err(_) => (None, l[file.len() + 1..].as_ref()),
    };
    let rest = rest.strip_prefix(' ').unwrap_or(rest);
    let (warning, message) = if let Some(m) = rest.strip_prefix("warning: ") {
        (true, m)
    } else if let Some(m) = rest.strip_prefix("error: ") {
        (false, m)
    } else {
        (false, rest)
    };
    Line {
        file: Some(file),
        line,
        warning,
        message: message.to_string(),
    }
}

/// Our diagnostics in the same terms (file names relative to `folder`).
pub fn our_lines(comp: &Compilation, folder: &Path) -> Vec<Line> {
    comp.diagnostics
        .iter()
        .map(|d| our_line(d, comp, folder))
        .collect()
}

fn our_line(d: &Diagnostic, comp: &Compilation, folder: &Path) -> Line {
    let rel = |name: &str| {
        let p = Path::new(name);
        p.strip_prefix(folder)
            .unwrap_or(p)
            .to_string_lossy()
            .into_owned()
    };
    let (file, line) = match d.location {
        Location::Span(s) => {
            let (name, line) = comp.sources.file(s.file).presumed_line(s.start);
            (Some(rel(name)), Some(line))
        }
        Location::File(f) => (Some(rel(&comp.sources.file(f).name)), None),
        Location::None => (None, None),
    };
    // The corpus removed the folder's absolute path everywhere, messages included.
    let prefix = format!("{}/", folder.display());
    Line {
        file,
        line,
        warning: d.severity == Severity::Warning,
        message: d.message.replace(&prefix, ""),
    }
}

/// The `.ice` files directly in `dir`, sorted.
pub fn ice_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "ice") && p.is_file())
        .collect();
    v.sort();
    v
}

/// Every Slice file Ice ships (`ICE_SLICE_DIR/*/*.ice`), sorted; fails loudly when they
/// are not installed.
pub fn ice_distribution_files() -> Vec<PathBuf> {
    let root = require_ice_slice_dir();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let files: Vec<PathBuf> = dirs.iter().flat_map(|d| ice_files(d)).collect();
    assert!(
        files.len() >= 60,
        "only {} Ice Slice files found",
        files.len()
    );
    files
}

/// A known-failures list: `NAME  reason` per line, `#` comments.
pub fn read_known_failures(path: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| match l.split_once(char::is_whitespace) {
            Some((n, r)) => (n.to_string(), r.trim().to_string()),
            None => (l.to_string(), String::new()),
        })
        .collect()
}

/// Checks results against a known-failures list: every failure must be listed and every
/// listed case must fail. Panics with a full table otherwise.
pub fn enforce(results: &[(String, Option<String>)], known_path: &Path) {
    let known = read_known_failures(known_path);
    let mut unexpected = Vec::new();
    let mut fixed = Vec::new();
    let mut failing = 0;
    for (name, failure) in results {
        match (failure, known.contains_key(name)) {
            (Some(why), false) => {
                unexpected.push(format!("{name}\n    {}", why.replace('\n', "\n    ")))
            }
            (None, true) => fixed.push(name.clone()),
            (Some(_), true) => failing += 1,
            (None, false) => {}
        }
    }
    let stale: Vec<&String> = known
        .keys()
        .filter(|k| !results.iter().any(|(n, _)| n == *k))
        .collect();
    let passed = results.iter().filter(|(_, f)| f.is_none()).count();
    eprintln!(
        "{} cases: {passed} pass, {failing} known failures ({}), {} new failures, {} fixed",
        results.len(),
        known_path.display(),
        unexpected.len(),
        fixed.len()
    );
    let mut report = String::new();
    if !unexpected.is_empty() {
        report.push_str(&format!(
            "\n{} case(s) fail and are not in {}:\n",
            unexpected.len(),
            known_path.display()
        ));
        for u in &unexpected {
            report.push_str(&format!("  {u}\n"));
        }
    }
    if !fixed.is_empty() {
        report.push_str(&format!(
            "\n{} case(s) pass now: remove them from {}:\n",
            fixed.len(),
            known_path.display()
        ));
        for f in &fixed {
            report.push_str(&format!("  {f}\n"));
        }
    }
    if !stale.is_empty() {
        report.push_str(&format!("\nlisted but not in the corpus: {stale:?}\n"));
    }
    assert!(report.is_empty(), "{report}");
}
