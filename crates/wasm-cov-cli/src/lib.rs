//! The command-line conventions every tool of the pipeline shares, so that
//! `-`, error messages, warnings and exit codes behave the same in
//! `wasm-run`, `v8cov-extract`, `wasm-cov-mapper` and `cov-report`.
//!
//! - [`InputArg`] / [`OutputArg`]: a path, or `-` for stdin / stdout, with
//!   the name a message should show (`<stdin>`, `<stdout>`).
//! - [`main`]: runs a tool's `run`, prints an error as one line
//!   (`tool: error: ...`), treats a closed pipe (`tool | head`) as success,
//!   and turns an [`Exit`] into the process status.
//! - [`warn!`]: one-line `tool: warning: ...` on stderr.
//!
//! The contract crate (`wasm-cov-format`) stays free of any CLI library;
//! this crate does not depend on clap either: its types implement
//! `FromStr`, which clap's derive takes as it is.

use std::ffi::OsStr;
use std::fmt;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr;
use std::sync::OnceLock;

pub use wasm_cov_format::{is_broken_pipe, AtomicOutput};

/// The tools' cache folder: `$WASM_COV_CACHE`, else
/// `$XDG_CACHE_HOME/wasm-cov`, else `~/.cache/wasm-cov`; `None` when none
/// of the three is set. cargo wasm-cov installs Node and
/// wasm-bindgen-test-runner there, wasm-run keeps wasmtime's compiled code.
pub fn cache_dir() -> Option<PathBuf> {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if let Some(d) = var("WASM_COV_CACHE") {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = var("XDG_CACHE_HOME") {
        return Some(PathBuf::from(d).join("wasm-cov"));
    }
    var("HOME").map(|h| PathBuf::from(h).join(".cache/wasm-cov"))
}

/// How a tool's run ended. The numbers are the same in every tool
/// (README, "exit codes").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// 0: it ran and the answer is yes.
    Ok,
    /// 1: it ran fine but the answer is no: a test failed, a
    /// `--fail-under` bar was missed.
    No,
    /// 2: a usage or input error; nothing half-written was left behind.
    Error,
}

impl Exit {
    /// The process exit status.
    pub const fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::No => 1,
            Exit::Error => 2,
        }
    }

    /// `No` when `failed`, else `Ok`.
    pub const fn no_if(failed: bool) -> Exit {
        if failed {
            Exit::No
        } else {
            Exit::Ok
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e.code())
    }
}

static TOOL: OnceLock<&'static str> = OnceLock::new();

/// The name [`main`] was given, for [`warn!`]; `wasm-cov` before that.
pub fn tool_name() -> &'static str {
    TOOL.get().copied().unwrap_or("wasm-cov")
}

/// `msg` on one line: line breaks (a file name may hold them, an error
/// chain from a child process often does) become spaces.
pub fn one_line(msg: &str) -> String {
    msg.replace(['\r', '\n'], " ")
}

/// Prints one warning line, `tool: warning: ...`, on stderr. A closed
/// stderr (`tool 2>&1 | head`) loses the line instead of panicking.
pub fn warning(args: fmt::Arguments<'_>) {
    use std::io::Write;
    let line = format!(
        "{}: warning: {}\n",
        tool_name(),
        one_line(&args.to_string())
    );
    let _ = io::stderr().lock().write_all(line.as_bytes());
}

/// `warn!("{} of {} files", a, b)` prints `tool: warning: ...` on one line.
#[macro_export]
macro_rules! warn {
    ($($arg:tt)*) => {
        $crate::warning(::std::format_args!($($arg)*))
    };
}

/// The body of every tool's `main`: runs `run`, and
/// - on `Ok(exit)`, exits with `exit`'s code;
/// - on an error that is (or was caused by) a write to a closed pipe, exits
///   0 quietly, so `tool | head` is not a failure (`docs/formats.md` §8);
/// - on any other error, prints `tool: error: <the chain>` as one line and
///   exits 2.
pub fn main(tool: &'static str, run: impl FnOnce() -> anyhow::Result<Exit>) -> ExitCode {
    let _ = TOOL.set(tool);
    report(tool, run(), &mut io::stderr().lock()).into()
}

/// [`main`] after the run, writing the message to `stderr`: what a test
/// checks.
pub fn report(tool: &str, result: anyhow::Result<Exit>, stderr: &mut dyn io::Write) -> Exit {
    match result {
        Ok(exit) => exit,
        Err(e) if is_broken_pipe(e.as_ref()) => Exit::Ok,
        Err(e) => {
            let _ = writeln!(stderr, "{tool}: error: {}", one_line(&format!("{e:#}")));
            Exit::Error
        }
    }
}

/// An input path; `-` is standard input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputArg(Option<PathBuf>);

impl InputArg {
    /// Standard input.
    pub const STDIN: InputArg = InputArg(None);

    pub fn new(path: impl Into<PathBuf>) -> InputArg {
        let path = path.into();
        if path.as_os_str() == "-" {
            InputArg(None)
        } else {
            InputArg(Some(path))
        }
    }

    /// The file, or `None` for stdin.
    pub fn path(&self) -> Option<&Path> {
        self.0.as_deref()
    }

    pub fn is_stdin(&self) -> bool {
        self.0.is_none()
    }

    /// The path as `wasm_cov_format`'s readers take it (`-` for stdin).
    pub fn as_path(&self) -> &Path {
        self.0.as_deref().unwrap_or(Path::new("-"))
    }

    /// Opens it for reading (buffered).
    pub fn open(&self) -> io::Result<Box<dyn Read>> {
        wasm_cov_format::open_input(self.as_path())
    }

    /// Reads all of it.
    pub fn read_all(&self) -> io::Result<Vec<u8>> {
        wasm_cov_format::read_input(self.as_path())
    }

    /// Opens a JSON document, limited to `wasm_cov_format::MAX_JSON_BYTES`.
    pub fn open_json(&self) -> io::Result<wasm_cov_format::SizeLimit<Box<dyn Read>>> {
        wasm_cov_format::open_json_input(self.as_path())
    }
}

impl Default for InputArg {
    fn default() -> InputArg {
        InputArg::STDIN
    }
}

impl FromStr for InputArg {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<InputArg, Self::Err> {
        Ok(InputArg::new(s))
    }
}

impl From<&OsStr> for InputArg {
    fn from(s: &OsStr) -> InputArg {
        InputArg::new(s)
    }
}

/// The name messages show: the path, or `<stdin>`.
impl fmt::Display for InputArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(p) => write!(f, "{}", p.display()),
            None => f.write_str("<stdin>"),
        }
    }
}

/// An output path; `-` (or no path at all) is standard output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputArg(Option<PathBuf>);

impl OutputArg {
    /// Standard output.
    pub const STDOUT: OutputArg = OutputArg(None);

    pub fn new(path: impl Into<PathBuf>) -> OutputArg {
        let path = path.into();
        if path.as_os_str() == "-" {
            OutputArg(None)
        } else {
            OutputArg(Some(path))
        }
    }

    /// The file, or `None` for stdout.
    pub fn path(&self) -> Option<&Path> {
        self.0.as_deref()
    }

    pub fn is_stdout(&self) -> bool {
        self.0.is_none()
    }

    /// An output that appears whole or not at all (a file is renamed into
    /// place by `commit`); the error names the path.
    pub fn create(&self) -> io::Result<AtomicOutput> {
        AtomicOutput::create(self.path())
    }
}

impl Default for OutputArg {
    fn default() -> OutputArg {
        OutputArg::STDOUT
    }
}

impl FromStr for OutputArg {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<OutputArg, Self::Err> {
        Ok(OutputArg::new(s))
    }
}

/// The name messages show: the path, or `<stdout>`.
impl fmt::Display for OutputArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(p) => write!(f, "{}", p.display()),
            None => f.write_str("<stdout>"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dash_is_stdio_and_named_so() {
        let i: InputArg = "-".parse().unwrap();
        assert!(i.is_stdin());
        assert_eq!(i.to_string(), "<stdin>");
        assert_eq!(i.as_path(), Path::new("-"));
        let i: InputArg = "a.csv".parse().unwrap();
        assert_eq!(i.path(), Some(Path::new("a.csv")));
        assert_eq!(i.to_string(), "a.csv");
        let o: OutputArg = "-".parse().unwrap();
        assert!(o.is_stdout());
        assert_eq!(o.to_string(), "<stdout>");
        assert_eq!(OutputArg::default(), OutputArg::STDOUT);
    }

    #[test]
    fn errors_are_one_line_and_exit_2() {
        let err = anyhow::anyhow!("bad\nthing").context("file\r\nname.csv");
        let mut out = Vec::new();
        assert_eq!(report("tool", Err(err), &mut out), Exit::Error);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "tool: error: file  name.csv: bad thing\n"
        );
    }

    #[test]
    fn broken_pipe_is_success_even_under_context() {
        let err = anyhow::Error::from(io::Error::from(io::ErrorKind::BrokenPipe))
            .context("writing offsets");
        let mut out = Vec::new();
        assert_eq!(report("tool", Err(err), &mut out), Exit::Ok);
        assert!(out.is_empty());
    }

    #[test]
    fn exit_codes_are_the_shared_ones() {
        assert_eq!(
            [Exit::Ok.code(), Exit::No.code(), Exit::Error.code()],
            [0, 1, 2]
        );
        assert_eq!(Exit::no_if(true), Exit::No);
        assert_eq!(Exit::no_if(false), Exit::Ok);
        assert_eq!(report("t", Ok(Exit::No), &mut Vec::new()), Exit::No);
    }
}
