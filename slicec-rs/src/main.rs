//! The `slicec-rs` command line: parses flags (slice2py's names) and hands over to
//! [`slicec_rs::driver::run`].

use clap::{ArgAction, CommandFactory, FromArgMatches, Parser, ValueEnum};
use slice_parser::render::Format;
use slice_parser::{MacroArg, Options};
use slicec_rs::driver::{self, Mode, Request, PROGRAM};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// The compiler allocates many small token trees; mimalloc makes that markedly cheaper than
/// the system allocator (measured on Ice's Slice distribution).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Slice-to-Rust compiler for ZeroC Ice 3.7.
#[derive(Parser, Debug)]
#[command(
    name = "slicec-rs",
    disable_version_flag = true,
    after_help = "Examples:\n  \
        slicec-rs Demo.ice                      writes Demo.rs in the current directory\n  \
        slicec-rs --output-dir src/gen -I slice slice/Demo.ice\n  \
        slicec-rs --impl Demo.ice               also writes DemoI.rs, a servant skeleton\n  \
        slicec-rs --validate -DDEBUG Demo.ice   checks only\n  \
        slicec-rs --depend -I slice Demo.ice    prints Makefile dependencies"
)]
struct Cli {
    /// Slice files to compile.
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Add DIR to the include search path (repeatable; searched in order).
    #[arg(short = 'I', value_name = "DIR", action = ArgAction::Append)]
    include: Vec<PathBuf>,
    /// Define NAME (as 1) or NAME=DEF for the preprocessor.
    #[arg(short = 'D', value_name = "NAME[=DEF]", action = ArgAction::Append)]
    define: Vec<String>,
    /// Remove any definition of NAME.
    #[arg(short = 'U', value_name = "NAME", action = ArgAction::Append)]
    undef: Vec<String>,
    /// Print the preprocessed text to stdout; no code generation.
    #[arg(short = 'E')]
    preprocess: bool,
    /// Check the files and report diagnostics; no code generation.
    #[arg(long)]
    validate: bool,
    /// Print Makefile dependencies.
    #[arg(long)]
    depend: bool,
    /// Print dependencies in XML.
    #[arg(long = "depend-xml")]
    depend_xml: bool,
    /// Write dependencies to FILE instead of stdout.
    #[arg(long = "depend-file", value_name = "FILE")]
    depend_file: Option<PathBuf>,
    /// Create generated files in DIR (which must exist).
    #[arg(long = "output-dir", value_name = "DIR")]
    output_dir: Option<PathBuf>,
    /// Accepted for compatibility with slice2py and has no effect: each Slice file becomes its
    /// own module, so compile the included files too.
    #[arg(long)]
    all: bool,
    /// Also write a servant skeleton to start from (`<Name>I.rs`).
    #[arg(long = "impl")]
    implementation: bool,
    /// Allow the reserved `Ice` prefix in identifiers.
    #[arg(long)]
    ice: bool,
    /// Allow underscores in identifiers.
    #[arg(long)]
    underscore: bool,
    /// How to print diagnostics.
    #[arg(long = "diagnostic-format", value_enum, default_value = "human")]
    diagnostic_format: DiagnosticFormat,
    /// When to color diagnostics.
    #[arg(long, value_enum, default_value = "auto")]
    color: Color,
    /// Print the version on stderr and exit.
    #[arg(short = 'v', long)]
    version: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum DiagnosticFormat {
    Human,
    Short,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

fn main() -> ExitCode {
    let matches = match Cli::command().try_get_matches() {
        Ok(m) => m,
        Err(e) => {
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(1);
        }
    };
    if cli.version {
        eprintln!("{}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    if cli.depend && cli.depend_xml {
        eprintln!("{PROGRAM}: error: cannot specify both --depend and --depend-xml");
        return ExitCode::from(1);
    }
    // -D and -U act in command-line order, whatever their kind.
    let mut macros: Vec<(usize, MacroArg)> = Vec::new();
    for (i, d) in matches
        .indices_of("define")
        .into_iter()
        .flatten()
        .zip(&cli.define)
    {
        let arg = match d.split_once('=') {
            Some((n, v)) => MacroArg::Define(n.to_string(), Some(v.to_string())),
            None => MacroArg::Define(d.clone(), None),
        };
        macros.push((i, arg));
    }
    for (i, u) in matches
        .indices_of("undef")
        .into_iter()
        .flatten()
        .zip(&cli.undef)
    {
        macros.push((i, MacroArg::Undefine(u.clone())));
    }
    macros.sort_by_key(|(i, _)| *i);
    let options = Options {
        include_dirs: cli.include,
        macros: macros.into_iter().map(|(_, m)| m).collect(),
        ice_prefix: cli.ice,
        underscore: cli.underscore,
    };
    let mode = if cli.preprocess {
        Mode::Preprocess
    } else if cli.depend || cli.depend_xml {
        Mode::Depend {
            xml: cli.depend_xml,
            file: cli.depend_file,
        }
    } else if cli.validate {
        Mode::Validate
    } else {
        // --all is accepted for slice2py compatibility; each Slice file gets its own output.
        let _ = cli.all;
        Mode::Generate {
            output_dir: cli.output_dir,
            implementation: cli.implementation,
        }
    };
    let format = match cli.diagnostic_format {
        DiagnosticFormat::Human => Format::Human,
        DiagnosticFormat::Short => Format::Short,
        DiagnosticFormat::Json => Format::Json,
    };
    let color = match cli.color {
        Color::Always => true,
        Color::Never => false,
        // `auto`: color for a terminal, unless NO_COLOR is set (no-color.org).
        Color::Auto => {
            std::io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let request = Request {
        files: cli.files,
        options,
        mode,
        format,
        color,
    };
    let status = driver::run(
        &request,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    ExitCode::from(u8::try_from(status).unwrap_or(1))
}
