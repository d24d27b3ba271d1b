//! `--partition slice:M/N|hash:M/N|count:M/N`: which of the selected
//! tests this shard runs, with nextest's meanings.
//!
//! Every shard lists every test binary (libtest's own `--list`, once per
//! binary, with no counters, so the listing adds nothing to the coverage)
//! and every package's doctests, and deals the same way, so each shard
//! knows the whole assignment without talking to the others. A binary
//! then runs with the user's libtest flags and `--exact` and its names;
//! a binary that got none of its tests does not run at all. A suite that
//! cannot be split (a wasm-bindgen suite runs as one instance; a native
//! host's tests run under cargo) goes whole to the shard its binary id
//! hashes to.
//!
//! The listing runs libtest makes inside each run (counted under
//! `<no test>`) happen in every shard that runs the binary; only the
//! first such shard keeps their counts (`strip_listing`), so merged
//! shards count them once, as one unpartitioned run does.

use std::ffi::OsString;
use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};
use wasm_cov_format::{Partition, PerTest, V8Coverage, NO_TEST};

use crate::compile::TestBinary;
use crate::runs::RunPlan;

/// What a unit of the run holds, for dealing.
#[derive(Debug, Clone)]
pub enum Listing {
    /// Tests in libtest's order (by name).
    Tests(Vec<String>),
    /// A suite that runs whole.
    Whole,
}

/// One unit's share: the tests of it this shard runs, and which shard
/// keeps the counts of its listing runs (the first that runs it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Share {
    Tests {
        mine: Vec<String>,
        of: usize,
        /// The lowest shard (from 1) dealt any test of it; shard 1 when
        /// none is (it still runs there, to say it ran 0 tests).
        owner: u32,
    },
    Whole(bool),
}

impl Share {
    /// Whether this shard runs the unit at all.
    pub fn runs(&self, p: Partition) -> bool {
        match self {
            Share::Tests { mine, owner, .. } => !mine.is_empty() || *owner == p.shard,
            Share::Whole(mine) => *mine,
        }
    }
}

/// Deals `units` (binary id, listing), which must be sorted by id: slice
/// counts across all of them in that order, count within each, hash by
/// id and name.
pub fn deal(p: Partition, units: &[(String, Listing)]) -> Vec<Share> {
    let mut slice_index = 0u64;
    units
        .iter()
        .map(|(id, listing)| match listing {
            Listing::Whole => Share::Whole(p.holds_whole(id)),
            Listing::Tests(names) => {
                let dealt = p.deal(slice_index, id, names);
                slice_index += names.len() as u64;
                Share::Tests {
                    mine: dealt.mine.iter().map(|&i| names[i].clone()).collect(),
                    of: names.len(),
                    owner: dealt.owner(),
                }
            }
        })
        .collect()
}

/// The user's libtest arguments without those that select tests (the
/// filters, `--skip X`, `--exact`), which the listing has already
/// applied: the split `js/runner.cjs` makes.
pub fn without_filters(args: &[OsString]) -> Vec<OsString> {
    let mut kept = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = args[i].to_string_lossy();
        match a.as_ref() {
            "--ignored" | "--include-ignored" | "--nocapture" | "--no-capture" | "--quiet"
            | "-q" | "--show-output" => kept.push(args[i].clone()),
            "--test-threads" | "--format" | "--color" | "-Z" => {
                kept.extend(args[i..].iter().take(2).cloned());
                i += 1;
            }
            "--skip" => i += 1,
            _ if a.starts_with("--test-threads=")
                || a.starts_with("--format=")
                || a.starts_with("--color=") =>
            {
                kept.push(args[i].clone())
            }
            _ => {}
        }
        i += 1;
    }
    kept
}

/// The test arguments that run exactly `names`.
pub fn exact_args(user: &[OsString], names: &[String]) -> Vec<OsString> {
    let mut a = without_filters(user);
    a.push("--exact".into());
    a.extend(names.iter().map(OsString::from));
    a
}

/// The arguments for listing: libtest's `--list --format terse` with the
/// user's filters and flags (not their own `--format`).
fn list_args(user: &[OsString]) -> Vec<OsString> {
    let mut a: Vec<OsString> = args!["--list", "--format", "terse"];
    a.extend(without_flags(user));
    a
}

/// The user's libtest arguments without `--format` and `--color`, which
/// would change what `--list --format terse` prints.
pub fn without_flags(user: &[OsString]) -> Vec<OsString> {
    let mut a = Vec::new();
    let mut i = 0;
    while i < user.len() {
        let s = user[i].to_string_lossy();
        if s == "--format" || s == "--color" {
            i += 2;
            continue;
        }
        if !(s.starts_with("--format=") || s.starts_with("--color=")) {
            a.push(user[i].clone());
        }
        i += 1;
    }
    a
}

/// libtest's list of `bin`'s tests under the user's filters, from a run
/// with no counters into `scratch` (removed after). wasm-run runs in a
/// child (this program, `__wasm-run`) so the list does not reach the
/// user's terminal.
pub fn list_tests(
    plan: &RunPlan,
    bin: &TestBinary,
    scratch: &Path,
    verbose: bool,
) -> Result<Vec<String>> {
    let mut plan = plan.clone();
    plan.test_args = list_args(&plan.test_args);
    let mut a: Vec<OsString> = args!["--counters", "off"];
    a.extend(plan.wasm_run_args(bin, scratch));
    let me = std::env::current_exe().context("cannot find this program's path")?;
    if verbose {
        eprintln!("+ {}", crate::stages::command_line("wasm-run", &a));
    }
    let out = Command::new(&me)
        .arg(crate::cli::WASM_RUN_CMD)
        .arg("--")
        .args(&a)
        .output()
        .with_context(|| format!("cannot start {}", me.display()))?;
    let _ = std::fs::remove_dir_all(scratch);
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = err.lines().rev().take(3).collect();
        bail!(
            "listing the tests failed ({}): {}",
            crate::stages::command_line("wasm-run", &a),
            tail.into_iter().rev().collect::<Vec<_>>().join(" / ")
        );
    }
    Ok(terse_names(&String::from_utf8_lossy(&out.stdout)))
}

/// The tests in libtest's `--list --format terse` output (benches left out).
pub fn terse_names(out: &str) -> Vec<String> {
    out.lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .map(str::to_owned)
        .collect()
}

/// In a shard that does not own a binary's listing counts: takes the
/// `<no test>` counts out of the run's `per-test.jsonl` and subtracts
/// them from its `v8-coverage.json` (block for block, the ranges the
/// counters were converted to), so they are counted in one shard only.
/// Without a `per-test.jsonl` (no per-test split) nothing can be told
/// apart and nothing changes.
pub fn strip_listing(run_dir: &Path) -> Result<()> {
    let pt_path = run_dir.join("per-test.jsonl");
    let v8_path = run_dir.join("v8-coverage.json");
    let Ok(pt_bytes) = std::fs::read(&pt_path) else {
        return Ok(());
    };
    let mut pt = PerTest::read(&pt_bytes[..])
        .with_context(|| format!("cannot read {}", pt_path.display()))?;
    let v8_bytes =
        std::fs::read(&v8_path).with_context(|| format!("cannot read {}", v8_path.display()))?;
    let mut v8: V8Coverage = serde_json::from_slice(&v8_bytes)
        .with_context(|| format!("cannot read {}", v8_path.display()))?;
    let mut changed = false;
    for (sha, m) in pt.modules.iter_mut() {
        let Some(hits) = m.tests.remove(NO_TEST) else {
            continue;
        };
        changed = true;
        // (function, start, end) -> count to take off.
        let mut take: std::collections::BTreeMap<(u32, u64, u64), u64> = Default::default();
        for &(k, c) in hits.iter() {
            let b = &m.blocks[k as usize];
            *take.entry((b.function, b.start, b.end)).or_default() += c;
        }
        for script in v8.result.iter_mut() {
            let Some(w) = &script.wasm else { continue };
            if !w.sha256.eq_ignore_ascii_case(sha) {
                continue;
            }
            for f in script.functions.iter_mut() {
                let Some(index) = f.function_index else {
                    continue;
                };
                let body_start = f.ranges.first().map(|r| r.start_offset);
                let mut entry_taken = 0;
                for r in f.ranges.iter_mut().skip(1) {
                    if let Some(c) = take.remove(&(index, r.start_offset, r.end_offset)) {
                        r.count = r.count.saturating_sub(c);
                        if Some(r.start_offset) == body_start {
                            entry_taken = c;
                        }
                    }
                }
                if let Some(first) = f.ranges.first_mut() {
                    first.count = first.count.saturating_sub(entry_taken);
                }
            }
            // The same module in two entries: what is left goes on.
        }
        if !take.is_empty() {
            bail!(
                "{}: {} of the listing's blocks are not in {}",
                pt_path.display(),
                take.len(),
                v8_path.display()
            );
        }
    }
    if !changed {
        return Ok(());
    }
    let mut out = Vec::new();
    pt.write(&mut out)?;
    std::fs::write(&pt_path, out).with_context(|| format!("cannot write {}", pt_path.display()))?;
    let json = serde_json::to_vec(&v8)?;
    std::fs::write(&v8_path, json)
        .with_context(|| format!("cannot write {}", v8_path.display()))?;
    Ok(())
}

/// How many distinct tests a run list names (for the shard record).
pub fn count(shares: &[Share]) -> (u64, u64) {
    let mut tests = 0u64;
    let mut whole = 0u64;
    for s in shares {
        match s {
            Share::Tests { mine, .. } => tests += mine.len() as u64,
            Share::Whole(true) => whole += 1,
            Share::Whole(false) => {}
        }
    }
    (tests, whole)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units() -> Vec<(String, Listing)> {
        let t = |n: &[&str]| Listing::Tests(n.iter().map(|s| s.to_string()).collect());
        vec![
            ("a".into(), t(&["a1", "a2", "a3", "a4"])),
            ("a::it".into(), t(&["i1", "i2"])),
            ("a::web".into(), Listing::Whole),
            ("b".into(), t(&[])),
        ]
    }

    fn mine(p: &str) -> Vec<Vec<String>> {
        deal(p.parse().unwrap(), &units())
            .into_iter()
            .map(|s| match s {
                Share::Tests { mine, .. } => mine,
                Share::Whole(w) => vec![format!("whole {w}")],
            })
            .collect()
    }

    #[test]
    fn slice_deals_across_binaries_and_count_within_each() {
        assert_eq!(
            mine("slice:1/3")[..2],
            [vec!["a1".to_owned(), "a4".into()], vec![]]
        );
        assert_eq!(mine("slice:2/3")[1], ["i1"]);
        assert_eq!(mine("slice:3/3")[1], ["i2"]);
        assert_eq!(mine("count:1/3")[1], ["i1"]);
        assert_eq!(mine("count:2/3")[1], ["i2"]);
    }

    #[test]
    fn every_test_and_every_whole_suite_runs_once_across_the_shards() {
        for kind in ["slice", "hash", "count"] {
            let mut all: Vec<String> = Vec::new();
            for m in 1..=3 {
                for share in mine(&format!("{kind}:{m}/3")) {
                    all.extend(share.into_iter().filter(|s| s != "whole false"));
                }
            }
            all.sort();
            assert_eq!(
                all,
                ["a1", "a2", "a3", "a4", "i1", "i2", "whole true"],
                "{kind}"
            );
        }
    }

    #[test]
    fn the_first_shard_that_runs_a_binary_keeps_its_listing_counts() {
        let p: Partition = "slice:2/3".parse().unwrap();
        let shares = deal(p, &units());
        assert!(matches!(
            shares[0],
            Share::Tests {
                owner: 1,
                of: 4,
                ..
            }
        ));
        // a::it's tests went to shards 2 and 3.
        assert!(matches!(shares[1], Share::Tests { owner: 2, .. }));
        // An empty binary runs in shard 1 only.
        assert!(!shares[3].runs(p));
        assert!(shares[3].runs("slice:1/3".parse().unwrap()));
    }

    #[test]
    fn filters_are_dropped_and_names_run_exactly() {
        let user = args![
            "parse",
            "--skip",
            "slow",
            "--include-ignored",
            "--test-threads",
            "2",
            "--exact"
        ];
        assert_eq!(
            exact_args(&user, &["t::a".into()]),
            args![
                "--include-ignored",
                "--test-threads",
                "2",
                "--exact",
                "t::a"
            ]
        );
        let user = args!["x", "--format", "pretty"];
        assert_eq!(list_args(&user), args!["--list", "--format", "terse", "x"]);
        assert_eq!(
            terse_names("a::b: test\nc: bench\nd: test\n"),
            ["a::b", "d"]
        );
    }
}
