//! `tests.json`: what wasm-run ran and how each test ended, for CI systems
//! and people who want more than the exit code.
//!
//! Refs: docs/formats.md, "tests.json".

use serde::{Deserialize, Serialize};

use crate::FormatError;

pub const TESTS_FORMAT: &str = "wasm-run-tests";
pub const TESTS_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct TestReport {
    pub format: String,
    pub version: u32,
    /// `libtest`, `compat`, `wasm-bindgen` or `exec`.
    pub harness: String,
    /// SHA-256 of the module the tests ran in, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    /// The component that `module` is the code module of (a wasm32-wasip2
    /// binary); absent for a core module.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<ComponentSource>,
    pub tests: Vec<TestOutcome>,
    pub passed: u64,
    pub failed: u64,
    pub ignored: u64,
    pub filtered_out: u64,
    pub duration_ms: f64,
    /// True when the run was stopped (Ctrl-C, SIGTERM) before the end;
    /// the tests that never started are `not-run`.
    pub interrupted: bool,
}

/// Where a component's code module came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct ComponentSource {
    /// SHA-256 of the whole component, as it was built.
    pub sha256: String,
    /// The code module's place among the component's core modules.
    pub core_module: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct TestOutcome {
    pub name: String,
    pub outcome: Outcome,
    pub duration_ms: f64,
    /// Failure output: the panic message, the test's own output, the trap.
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Passed,
    Failed,
    Ignored,
    TimedOut,
    NotRun,
}

impl TestReport {
    /// Builds a report and its counts from the outcomes.
    pub fn new(
        harness: &str,
        module: Option<String>,
        tests: Vec<TestOutcome>,
        filtered_out: u64,
        duration_ms: f64,
        interrupted: bool,
    ) -> Self {
        let count = |o: &[Outcome]| tests.iter().filter(|t| o.contains(&t.outcome)).count() as u64;
        TestReport {
            format: TESTS_FORMAT.to_owned(),
            version: TESTS_VERSION,
            harness: harness.to_owned(),
            module,
            component: None,
            passed: count(&[Outcome::Passed]),
            failed: count(&[Outcome::Failed, Outcome::TimedOut]),
            ignored: count(&[Outcome::Ignored]),
            filtered_out,
            duration_ms,
            interrupted,
            tests,
        }
    }

    pub fn from_json(bytes: &[u8]) -> Result<Self, FormatError> {
        let doc: TestReport = serde_json::from_slice(bytes)?;
        if doc.format != TESTS_FORMAT || doc.version != TESTS_VERSION {
            return Err(FormatError::Invalid(format!(
                "{} version {} is not supported (this build reads {TESTS_FORMAT} version {TESTS_VERSION})",
                doc.format, doc.version
            )));
        }
        Ok(doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_round_trips() {
        let t = |name: &str, outcome| TestOutcome {
            name: name.into(),
            outcome,
            duration_ms: 1.5,
            message: None,
        };
        let r = TestReport::new(
            "libtest",
            None,
            vec![
                t("a", Outcome::Passed),
                t("b", Outcome::TimedOut),
                t("c", Outcome::Ignored),
                t("d", Outcome::NotRun),
            ],
            2,
            10.0,
            true,
        );
        assert_eq!((r.passed, r.failed, r.ignored), (1, 1, 1));
        let text = serde_json::to_string(&r).unwrap();
        assert!(text.contains(r#""outcome":"timed-out""#), "{text}");
        assert_eq!(TestReport::from_json(text.as_bytes()).unwrap(), r);
        assert!(!text.contains("component"), "{text}");
        let r = TestReport {
            component: Some(ComponentSource {
                sha256: "ab".repeat(32),
                core_module: 0,
            }),
            ..r
        };
        let text = serde_json::to_string(&r).unwrap();
        assert!(text.contains(r#""component":{"sha256":"#), "{text}");
        assert!(text.contains(r#""coreModule":0"#), "{text}");
        assert_eq!(TestReport::from_json(text.as_bytes()).unwrap(), r);
    }
}
