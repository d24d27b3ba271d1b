//! What a failure on wasm means, said once per run: a test that panicked
//! trapped (a panic aborts on wasm), so a test that passes natively by
//! catching its own panic cannot pass here.

use wasm_cov_format::{Outcome, TestReport};

/// The failed tests of a run that panicked and then trapped. Direct runs
/// say it in each test's message (`panicked at`, `(wasm trap:
/// unreachable)`); wasm-bindgen and `--exec` runs keep no message per
/// test, so there every failed test counts when the log shows a panic
/// that ended in `unreachable`.
pub fn panicked_tests(report: &TestReport, log: &str) -> Vec<String> {
    let trapped = |m: &str| m.contains("panicked at") && m.contains("unreachable");
    let failed = report.tests.iter().filter(|t| t.outcome == Outcome::Failed);
    let with_messages = report.tests.iter().any(|t| t.message.is_some());
    if with_messages {
        failed
            .filter(|t| t.message.as_deref().is_some_and(trapped))
            .map(|t| t.name.clone())
            .collect()
    } else if trapped(log) {
        failed.map(|t| t.name.clone()).collect()
    } else {
        Vec::new()
    }
}

/// The hint for those tests, in one line; `None` when there are none.
pub fn panic_hint(tests: &[String]) -> Option<String> {
    let first = tests.first()?;
    let shown = if tests.len() > 5 {
        format!("{}, ... ({} in all)", tests[..5].join(", "), tests.len())
    } else {
        tests.join(", ")
    };
    Some(format!(
        "hint: {} test{} panicked on wasm ({shown}); a panic aborts there (panic=abort), so a \
         test that relies on catch_unwind or #[should_panic] cannot pass on wasm: skip it with \
         `-- --skip {first}` or a cfg (#[cfg_attr(target_family = \"wasm\", ignore)])",
        tests.len(),
        if tests.len() == 1 { "" } else { "s" },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_cov_format::TestOutcome;

    fn test(name: &str, outcome: Outcome, message: Option<&str>) -> TestOutcome {
        TestOutcome {
            name: name.into(),
            outcome,
            duration_ms: 1.0,
            message: message.map(Into::into),
        }
    }

    #[test]
    fn only_tests_that_trapped_after_a_panic_are_named() {
        let report = TestReport::new(
            "libtest",
            None,
            vec![
                test("tests::ok", Outcome::Passed, None),
                test(
                    "tests::unwinds",
                    Outcome::Failed,
                    Some(
                        "thread 'main' panicked at src/lib.rs:3:5:\nboom\n(wasm trap: unreachable)",
                    ),
                ),
                test(
                    "tests::hangs",
                    Outcome::TimedOut,
                    Some("(timed out after 2 s)"),
                ),
            ],
            0,
            1.0,
            false,
        );
        assert_eq!(panicked_tests(&report, ""), ["tests::unwinds"]);
        let hint = panic_hint(&panicked_tests(&report, "")).unwrap();
        assert!(
            hint.starts_with("hint: 1 test panicked on wasm (tests::unwinds); "),
            "{hint}"
        );
        assert!(hint.contains("panic=abort"), "{hint}");
        assert!(hint.contains("`-- --skip tests::unwinds`"), "{hint}");
        assert_eq!(panic_hint(&[]), None);
    }

    #[test]
    fn without_messages_the_log_tells() {
        let report = TestReport::new(
            "wasm-bindgen",
            None,
            vec![test("web::catches", Outcome::Failed, None)],
            0,
            0.0,
            false,
        );
        let log = "panicked at tests/web.rs:9:5:\nboom\nRuntimeError: unreachable\n";
        assert_eq!(panicked_tests(&report, log), ["web::catches"]);
        assert!(panicked_tests(&report, "assertion failed").is_empty());
    }
}
