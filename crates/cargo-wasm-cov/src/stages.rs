//! The four stages, called in-process through their own command lines.
//!
//! Each stage is run by parsing the very arguments a Makefile would give
//! its binary (`Cli::try_parse_from`) and calling its `run`, so the stage
//! CLIs stay the one interface, one `cargo install` gives a user every
//! stage, and `-v` can print a command line that replays the stage alone.

use std::ffi::{OsStr, OsString};
use std::io::{self, Write};

use anyhow::{anyhow, Result};
use clap::Parser;
use wasm_cov_cli::Exit;

/// A stage's verdict, whichever way its `run` spells it (`u8` before the
/// stages moved to [`Exit`], `Exit` after).
pub trait StageExit {
    fn exit(self) -> Exit;
}

impl StageExit for Exit {
    fn exit(self) -> Exit {
        self
    }
}

impl StageExit for u8 {
    fn exit(self) -> Exit {
        match self {
            0 => Exit::Ok,
            1 => Exit::No,
            _ => Exit::Error,
        }
    }
}

/// Runs stages, printing their command lines first when `verbose`.
#[derive(Debug, Clone, Copy)]
pub struct Stages {
    pub verbose: bool,
}

impl Stages {
    fn parse<C: Parser>(&self, tool: &str, args: &[OsString]) -> Result<C> {
        if self.verbose {
            eprintln!("+ {}", command_line(tool, args));
        }
        let argv = std::iter::once(OsString::from(tool)).chain(args.iter().cloned());
        // A rejected command line is our bug, not the user's: say which.
        C::try_parse_from(argv)
            .map_err(|e| anyhow!("internal: {} was refused: {e}", command_line(tool, args)))
    }

    pub fn wasm_run(&self, args: &[OsString]) -> Result<Exit> {
        let mut cli: wasm_run::Cli = self.parse("wasm-run", args)?;
        // The driver says what a panic on wasm means once, for every run.
        cli.hints = false;
        Ok(wasm_run::run(&cli)?.exit())
    }

    pub fn extract(&self, args: &[OsString]) -> Result<Exit> {
        let cli: v8cov_extract::Cli = self.parse("v8cov-extract", args)?;
        Ok(v8cov_extract::run(&cli)?.exit())
    }

    pub fn mapper(&self, args: &[OsString]) -> Result<Exit> {
        let cli: wasm_cov_mapper::Cli = self.parse("wasm-cov-mapper", args)?;
        Ok(wasm_cov_mapper::run(&cli)?.exit())
    }

    pub fn report(&self, args: &[OsString]) -> Result<Exit> {
        let cli: cov_report::Cli = self.parse("cov-report", args)?;
        let mut stdout = io::BufWriter::new(io::stdout().lock());
        let mut stderr = io::stderr().lock();
        let exit = cov_report::run(&cli, &mut stdout, &mut stderr)?.exit();
        stdout.flush()?;
        Ok(exit)
    }
}

/// Whether this build's wasm-run can run a plain program (`--harness
/// program`), which doctests need.
pub fn wasm_run_runs_programs() -> bool {
    wasm_run::Cli::try_parse_from(["wasm-run", "--harness", "program", "probe.wasm"]).is_ok()
}

/// Whether this build's wasm-run takes `--browser NAME` (browser suites).
pub fn wasm_run_has_browsers() -> bool {
    wasm_run::Cli::try_parse_from(["wasm-run", "--help"])
        .err()
        .is_some_and(|e| e.to_string().contains("--browser"))
}

/// Whether this build's wasm-run takes `--test-name NAME` (the name a
/// program's one result is reported under).
pub fn wasm_run_names_tests() -> bool {
    wasm_run::Cli::try_parse_from(["wasm-run", "--test-name", "probe", "probe.wasm"]).is_ok()
}

/// `tool arg...`, quoted for a POSIX shell where needed.
pub fn command_line(tool: &str, args: &[OsString]) -> String {
    let mut s = tool.to_owned();
    for a in args {
        s.push(' ');
        s.push_str(&shell_quote(a));
    }
    s
}

/// A `CARGO_ENCODED_*` value as bash reads it back: `$'-C\x1fopt-level=0'`.
pub fn encoded_quote(value: &str) -> String {
    let escaped = value.replace('\\', r"\\").replace('\'', r"\'");
    format!("$'{}'", escaped.replace('\x1f', r"\x1f"))
}

/// One word as a POSIX shell reads it back.
pub fn shell_quote(word: &OsStr) -> String {
    let w = word.to_string_lossy();
    let plain = !w.is_empty()
        && w.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&b));
    if plain {
        w.into_owned()
    } else {
        format!("'{}'", w.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_replay_in_a_shell() {
        let args = args!["--out", "a b/c", "it's", "x.wasm", ""];
        assert_eq!(
            command_line("wasm-run", &args),
            r"wasm-run --out 'a b/c' 'it'\''s' x.wasm ''"
        );
    }

    #[test]
    fn encoded_flags_print_as_bash_reads_them() {
        assert_eq!(encoded_quote("-C\x1fopt-level=0"), r"$'-C\x1fopt-level=0'");
        assert_eq!(encoded_quote("it's"), r"$'it\'s'");
    }

    #[test]
    fn both_exit_spellings_agree() {
        assert_eq!(1u8.exit(), Exit::No);
        assert_eq!(2u8.exit(), Exit::Error);
        assert_eq!(Exit::Ok.exit(), 0u8.exit());
    }
}
