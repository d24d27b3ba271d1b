//! libtest's side of a wasmtime run: the user's arguments, and a failed
//! test's message, as `js/runner.cjs` has them.

use super::instance::Ran;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ignored {
    #[default]
    Normal,
    Only,
    Include,
}

/// The user's libtest arguments: those that select tests (given to
/// `--list`) and those wasm-run honours itself (`js/runner.cjs`'s
/// `parseArgs`).
#[derive(Debug, Default)]
pub(super) struct Args {
    pub select: Vec<String>,
    pub ignored: Ignored,
    pub nocapture: bool,
    pub threads: Option<usize>,
}

impl Args {
    pub(super) fn parse(args: &[String]) -> Args {
        let mut o = Args::default();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            match a.as_str() {
                "--ignored" => o.ignored = Ignored::Only,
                "--include-ignored" => o.ignored = Ignored::Include,
                "--nocapture" | "--no-capture" => o.nocapture = true,
                "--quiet" | "-q" | "--show-output" => {}
                "--test-threads" => o.threads = it.next().and_then(|n| n.parse().ok()),
                "--format" | "--color" | "-Z" => {
                    it.next();
                }
                "--skip" => {
                    o.select.push(a.clone());
                    if let Some(v) = it.next() {
                        o.select.push(v.clone());
                    }
                }
                s if s.starts_with("--test-threads=") => {
                    o.threads = s["--test-threads=".len()..].parse().ok();
                }
                s if s.starts_with("--format=") || s.starts_with("--color=") => {}
                _ => o.select.push(a.clone()),
            }
        }
        o
    }
}

/// The failure message of test `name` (`None`: not libtest, all its output
/// is its own), as `js/runner.cjs`'s `testOutput` makes it.
pub(super) fn test_output(ran: &Ran, name: Option<&str>) -> String {
    let own = |l: &str| {
        (l.starts_with("running ") && (l.ends_with(" test") || l.ends_with(" tests")))
            || (l.starts_with("test ")
                && (l.contains(" ... ok")
                    || l.contains(" ... FAILED")
                    || l.contains(" ... ignored")))
            || l.starts_with("test result: ")
    };
    let mut text = match name {
        None => ran.stdout.trim().to_owned(),
        Some(name) => {
            let prefix = format!("test {name} ... ");
            ran.stdout
                .split('\n')
                .map(|l| l.strip_prefix(&prefix).unwrap_or(l))
                .filter(|l| !own(l))
                .collect::<Vec<_>>()
                .join("\n")
                .trim()
                .to_owned()
        }
    };
    let mut add = |s: &str| {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(s);
    };
    if !ran.stderr.trim().is_empty() {
        add(ran.stderr.trim());
    }
    if let Some(t) = &ran.trap {
        if !ran.timed_out {
            add(&format!("({t})"));
        }
    } else if let Some(c) = ran.code.filter(|&c| c != 0) {
        add(&format!("(exit status {c})"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn libtest_arguments_split_as_the_node_runner_splits_them() {
        let args: Vec<String> = [
            "parse",
            "--skip",
            "slow",
            "--test-threads=3",
            "--ignored",
            "--nocapture",
            "--format",
            "json",
        ]
        .map(str::to_owned)
        .to_vec();
        let a = Args::parse(&args);
        assert_eq!(a.select, ["parse", "--skip", "slow"]);
        assert_eq!(a.threads, Some(3));
        assert_eq!(a.ignored, Ignored::Only);
        assert!(a.nocapture);
    }

    #[test]
    fn a_failure_message_is_the_test_output_and_why_it_ended() {
        let ran = Ran {
            code: None,
            trap: Some("wasm trap: unreachable".into()),
            timed_out: false,
            stopped: false,
            stdout: "\nrunning 1 test\ntest t ... hello\nthread 'main' panicked at src/lib.rs:3:5:\nboom\n".into(),
            stderr: String::new(),
            counts: None,
            duration: Duration::ZERO,
        };
        assert_eq!(
            test_output(&ran, Some("t")),
            "hello\nthread 'main' panicked at src/lib.rs:3:5:\nboom\n(wasm trap: unreachable)"
        );
    }
}
