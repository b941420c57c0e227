//! Ice properties: `Name=value` settings from command-line arguments (`--Ice.Trace.Network=1`),
//! configuration files (`--Ice.Config=file`, the `ICE_CONFIG` environment variable) and code.
//!
//! Names and defaults are Ice's; this module never invents spellings. A `Properties` is a
//! cheap shared handle: clones see the same settings, as in Ice.

use crate::error::{Error, Result};
use parking_lot::RwLock;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The prefixes `initialize` parses from the command line, as Ice does.
pub const RESERVED_PREFIXES: &[&str] = &[
    "Ice",
    "IceBox",
    "IceBoxAdmin",
    "IceBridge",
    "IceGridAdmin",
    "IceGrid",
    "IcePatch2",
    "IcePatch2Client",
    "IceSSL",
    "IceStorm",
    "IceStormAdmin",
    "IceBT",
    "IceDiscovery",
    "IceLocatorDiscovery",
    "Glacier2",
    "Freeze",
];

/// A shared, mutable set of properties.
#[derive(Clone, Debug, Default)]
pub struct Properties {
    map: Arc<RwLock<BTreeMap<String, String>>>,
}

impl Properties {
    /// An empty property set.
    pub fn new() -> Properties {
        Properties::default()
    }

    /// A property set from command-line arguments: loads `--Ice.Config` files (or the file in
    /// `ICE_CONFIG`), then applies every `--Prefix.Name=value` argument of a reserved prefix.
    /// Returns the properties and the arguments that were not consumed.
    pub fn from_args<I, S>(args: I) -> Result<(Properties, Vec<String>)>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let props = Properties::new();
        let mut args: Vec<String> = args.into_iter().map(Into::into).collect();
        // Ice.Config first, so that command-line settings override the file.
        let mut config_files = Vec::new();
        args.retain(|a| match a.strip_prefix("--Ice.Config") {
            Some(rest) if rest.is_empty() || rest.starts_with('=') => {
                config_files.push(rest.trim_start_matches('=').to_owned());
                false
            }
            _ => true,
        });
        if config_files.is_empty() {
            if let Ok(env) = std::env::var("ICE_CONFIG") {
                config_files.push(env);
            }
        }
        for files in &config_files {
            for file in files.split(',').map(str::trim).filter(|f| !f.is_empty()) {
                props.load(file)?;
            }
        }
        if let Some(files) = config_files.last() {
            props.set("Ice.Config", files);
        }
        let mut rest = args;
        for prefix in RESERVED_PREFIXES {
            rest = props.parse_command_line_options(prefix, rest);
        }
        Ok((props, rest))
    }

    /// The value of `name`, or "" when unset (as Ice's `getProperty`).
    pub fn get(&self, name: &str) -> String {
        self.map.read().get(name).cloned().unwrap_or_default()
    }

    /// The value of `name` if it is set.
    pub fn get_opt(&self, name: &str) -> Option<String> {
        self.map.read().get(name).cloned()
    }

    /// The value of `name`, or `default` when unset.
    pub fn get_with_default(&self, name: &str, default: &str) -> String {
        self.get_opt(name).unwrap_or_else(|| default.to_owned())
    }

    /// The integer value of `name`, or 0 when unset; an error when it is not an integer.
    pub fn get_int(&self, name: &str) -> Result<i64> {
        self.get_int_with_default(name, 0)
    }

    /// The integer value of `name`, or `default` when unset; an error when it is not an integer.
    pub fn get_int_with_default(&self, name: &str, default: i64) -> Result<i64> {
        match self.get_opt(name) {
            None => Ok(default),
            Some(v) if v.trim().is_empty() => Ok(default),
            Some(v) => v.trim().parse().map_err(|_| Error::InvalidProperty {
                name: name.to_owned(),
                reason: format!("`{v}' is not an integer"),
            }),
        }
    }

    /// The value of `name` split into a list (whitespace or commas separate elements).
    pub fn get_list(&self, name: &str) -> Vec<String> {
        self.get(name)
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// Sets `name` to `value`; an empty value removes the property (as in Ice).
    pub fn set(&self, name: &str, value: &str) {
        let name = name.trim();
        if name.is_empty() {
            return;
        }
        let mut map = self.map.write();
        if value.is_empty() {
            map.remove(name);
        } else {
            map.insert(name.to_owned(), value.to_owned());
        }
    }

    /// Every property whose name starts with `prefix`.
    pub fn get_for_prefix(&self, prefix: &str) -> BTreeMap<String, String> {
        self.map
            .read()
            .range(prefix.to_owned()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// A copy of every property.
    pub fn all(&self) -> BTreeMap<String, String> {
        self.map.read().clone()
    }

    /// Applies every `--prefix.Name=value` (or `--prefix.Name`, meaning value 1) argument and
    /// returns the other arguments.
    pub fn parse_command_line_options(&self, prefix: &str, args: Vec<String>) -> Vec<String> {
        let dashed = format!("--{prefix}.");
        let mut rest = Vec::with_capacity(args.len());
        for arg in args {
            match arg.strip_prefix(&dashed) {
                Some(_) => {
                    let body = &arg[2..];
                    match body.split_once('=') {
                        Some((k, v)) => self.set(k, v),
                        None => self.set(body, "1"),
                    }
                }
                None => rest.push(arg),
            }
        }
        rest
    }

    /// Loads a configuration file.
    pub fn load(&self, path: &str) -> Result<()> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::InvalidProperty {
            name: "Ice.Config".into(),
            reason: format!("cannot read `{path}': {e}"),
        })?;
        self.load_str(&text);
        Ok(())
    }

    /// Loads properties from the text of a configuration file: `name = value` lines, `#`
    /// comments, and `\#`, `\=`, `\\` escapes; blanks around names and values are dropped.
    pub fn load_str(&self, text: &str) {
        for line in text.lines() {
            if let Some((k, v)) = parse_line(line) {
                self.set(&k, &v);
            }
        }
    }
}

/// Parses one line of a configuration file into a name and a value.
fn parse_line(line: &str) -> Option<(String, String)> {
    let mut key = String::new();
    let mut value = String::new();
    let mut in_value = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek().copied() {
                Some(n @ ('#' | '=' | '\\')) => {
                    chars.next();
                    if in_value { &mut value } else { &mut key }.push(n);
                }
                _ => if in_value { &mut value } else { &mut key }.push('\\'),
            },
            '#' => break,
            '=' if !in_value => in_value = true,
            c => if in_value { &mut value } else { &mut key }.push(c),
        }
    }
    let key = key.trim();
    if key.is_empty() || !in_value {
        return None;
    }
    Some((key.to_owned(), value.trim().to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_and_file() {
        let (p, rest) = Properties::from_args([
            "prog",
            "--Ice.Trace.Network=2",
            "--Ice.Warn.Dispatch",
            "--Other.X=1",
            "plain",
        ])
        .unwrap();
        assert_eq!(p.get("Ice.Trace.Network"), "2");
        assert_eq!(p.get_int("Ice.Warn.Dispatch").unwrap(), 1);
        assert_eq!(p.get("Other.X"), "");
        assert_eq!(rest, ["prog", "--Other.X=1", "plain"]);
        p.load_str("# comment\n  Hello.Endpoints = tcp -p 0  # trailing\nA\\=b = c\\#d\n");
        assert_eq!(p.get("Hello.Endpoints"), "tcp -p 0");
        assert_eq!(p.get("A=b"), "c#d");
        assert!(p.get_int("Hello.Endpoints").is_err());
        assert_eq!(p.get_with_default("Nope", "x"), "x");
        assert_eq!(p.get_for_prefix("Hello.").len(), 1);
    }
}
