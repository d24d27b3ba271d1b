//! Sharding a run across CI machines: the `--partition M/N` spec, the
//! stable hash that places a test (or a suite that runs whole) in a shard,
//! and `shard.json`, the record a shard's output folder keeps of which
//! shard it was, so a merge can refuse the same shard twice or shards of
//! different partitions.
//!
//! Refs: docs/formats.md, "shard.json"; nextest's `--partition`
//! (`slice:M/N`, `hash:M/N`, `count:M/N`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::FormatError;

pub const SHARD_FORMAT: &str = "wasm-cov-shard";
/// The record's file name in a shard's output folder.
pub const SHARD_FILE: &str = "shard.json";
pub const SHARD_VERSION: u32 = 1;

/// How tests are dealt to shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PartitionKind {
    /// Every selected test of every binary, in one stable order, dealt
    /// round-robin.
    Slice,
    /// By a stable hash of the binary's id and the test's name: a test
    /// keeps its shard when others are added.
    Hash,
    /// Round-robin within each binary (nextest's older form).
    Count,
}

impl PartitionKind {
    pub fn name(self) -> &'static str {
        match self {
            PartitionKind::Slice => "slice",
            PartitionKind::Hash => "hash",
            PartitionKind::Count => "count",
        }
    }
}

/// `KIND:M/N`: shard `M` (from 1) of `N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Partition {
    pub kind: PartitionKind,
    pub shard: u32,
    pub total: u32,
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}/{}", self.kind.name(), self.shard, self.total)
    }
}

impl FromStr for Partition {
    type Err = String;

    fn from_str(s: &str) -> Result<Partition, String> {
        let form = "the forms are slice:M/N, hash:M/N and count:M/N, shard M of N, 1 <= M <= N";
        let Some((kind, rest)) = s.split_once(':') else {
            return Err(format!("{s:?} is not a partition: {form}"));
        };
        let kind = match kind {
            "slice" => PartitionKind::Slice,
            "hash" => PartitionKind::Hash,
            "count" => PartitionKind::Count,
            _ => return Err(format!("{kind:?} is not a kind of partition: {form}")),
        };
        let nums = rest
            .split_once('/')
            .and_then(|(m, n)| Some((m.parse::<u32>().ok()?, n.parse::<u32>().ok()?)));
        let Some((shard, total)) = nums else {
            return Err(format!("{s:?}: {rest:?} is not M/N: {form}"));
        };
        if total == 0 {
            return Err(format!("{s}: the number of shards must be at least 1"));
        }
        if shard == 0 || shard > total {
            return Err(format!(
                "{s}: shard {shard} does not exist: shards are 1 to {total}"
            ));
        }
        Ok(Partition { kind, shard, total })
    }
}

impl Partition {
    /// The shard (from 1) of `total` that the hash of `binary` and `name`
    /// picks: the first 8 bytes of SHA-256 over `binary`, a NUL and `name`,
    /// big-endian, modulo `total`. The same on every machine and every
    /// build, and independent of what else is in the run. A suite that
    /// runs whole is placed by its binary's id and an empty name.
    pub fn hash_shard(binary: &str, name: &str, total: u32) -> u32 {
        let mut h = Sha256::new();
        h.update(binary.as_bytes());
        h.update([0]);
        h.update(name.as_bytes());
        let d = h.finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&d[..8]);
        (u64::from_be_bytes(first) % u64::from(total.max(1))) as u32 + 1
    }

    /// Whether shard `self.shard` holds the test at `index` (its place in
    /// the order the kind deals by) of `binary`, named `name`.
    pub fn holds(&self, index: u64, binary: &str, name: &str) -> bool {
        let dealt = match self.kind {
            PartitionKind::Slice | PartitionKind::Count => {
                (index % u64::from(self.total)) as u32 + 1
            }
            PartitionKind::Hash => Self::hash_shard(binary, name, self.total),
        };
        dealt == self.shard
    }

    /// Whether this shard runs a suite that cannot be split (a
    /// wasm-bindgen suite runs as one instance), placed by `binary`'s hash
    /// whatever the kind.
    pub fn holds_whole(&self, binary: &str) -> bool {
        Self::hash_shard(binary, "", self.total) == self.shard
    }

    /// Deals the tests `names` of `binary` (in libtest's order; `first`
    /// is the slice index of the first one, the tests of the binaries
    /// before it): which of them this shard runs, by their place in
    /// `names`, and the lowest shard dealt any of them (shard 1 when there
    /// are none), which keeps the counts of the binary's `--list` runs.
    pub fn deal(&self, first: u64, binary: &str, names: &[String]) -> Dealt {
        let mut dealt = Dealt {
            mine: Vec::new(),
            owner: None,
        };
        for (i, name) in names.iter().enumerate() {
            let index = match self.kind {
                PartitionKind::Slice => first + i as u64,
                _ => i as u64,
            };
            let shard = (1..=self.total)
                .find(|&m| Partition { shard: m, ..*self }.holds(index, binary, name))
                .unwrap_or(1);
            dealt.owner = Some(dealt.owner.map_or(shard, |o: u32| o.min(shard)));
            if shard == self.shard {
                dealt.mine.push(i);
            }
        }
        dealt
    }
}

/// One binary's tests as [`Partition::deal`] dealt them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dealt {
    /// The places (in the names given) of the tests this shard runs.
    pub mine: Vec<usize>,
    owner: Option<u32>,
}

impl Dealt {
    /// The shard that keeps the counts of the binary's `--list` runs: the
    /// lowest dealt any test, or shard 1 when it has none (it still runs
    /// there, to say it ran 0 tests).
    pub fn owner(&self) -> u32 {
        self.owner.unwrap_or(1)
    }
}

/// Checks the shard records of the runs a merge was given, in order
/// (`label` names each in a message; `same` is true when two labels are
/// the same folder): no run, and no shard, twice (its tests would count
/// twice), and every run a shard of one partition, or none a shard. Ok
/// holds the warning to give when shards of the partition are missing
/// (the merge covers the others).
pub fn check_shard_set(
    runs: &[(String, Option<ShardRecord>)],
    same: impl Fn(usize, usize) -> bool,
) -> Result<Option<String>, String> {
    let said = |r: &Option<ShardRecord>| {
        r.as_ref().map_or_else(
            || "no shard (a run without --partition)".to_owned(),
            |r| format!("shard {}", r.partition),
        )
    };
    for (j, (label, record)) in runs.iter().enumerate() {
        for (i, (first, other)) in runs[..j].iter().enumerate() {
            let twice = same(i, j)
                || matches!((other, record), (Some(a), Some(b)) if a.partition() == b.partition());
            if twice {
                return Err(match record {
                    Some(r) => format!(
                        "shard {} given twice: {first} and {label} (its tests would count twice)",
                        r.partition
                    ),
                    None => format!("{label} given twice (its tests would count twice)"),
                });
            }
            let mixed = match (other, record) {
                (None, None) => false,
                (Some(a), Some(b)) => a.kind != b.kind || a.total != b.total,
                _ => true,
            };
            if mixed {
                return Err(format!(
                    "mixed partitions: {first} is {}, {label} is {}; merge the shards of one --partition",
                    said(other),
                    said(record)
                ));
            }
        }
    }
    let Some((_, Some(first))) = runs.first() else {
        return Ok(None);
    };
    let missing: Vec<String> = (1..=first.total)
        .filter(|m| {
            !runs
                .iter()
                .any(|(_, r)| r.as_ref().is_some_and(|r| r.shard == *m))
        })
        .map(|m| m.to_string())
        .collect();
    if missing.is_empty() {
        return Ok(None);
    }
    Ok(Some(format!(
        "shard{} {} of {}:M/{} not given; the merge covers the other {}",
        if missing.len() == 1 { "" } else { "s" },
        missing.join(", "),
        first.kind.name(),
        first.total,
        first.total as usize - missing.len()
    )))
}

/// `shard.json` in a shard's output folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub struct ShardRecord {
    pub format: String,
    pub version: u32,
    /// The spec as given, normalised: `slice:2/3`.
    pub partition: String,
    pub kind: PartitionKind,
    pub shard: u32,
    pub total: u32,
    /// Tests (and doctests) this shard was dealt.
    pub tests: u64,
    /// Suites that run whole (wasm-bindgen, native hosts) this shard got.
    pub whole_suites: u64,
}

impl ShardRecord {
    pub fn new(p: Partition, tests: u64, whole_suites: u64) -> ShardRecord {
        ShardRecord {
            format: SHARD_FORMAT.into(),
            version: SHARD_VERSION,
            partition: p.to_string(),
            kind: p.kind,
            shard: p.shard,
            total: p.total,
            tests,
            whole_suites,
        }
    }

    pub fn partition(&self) -> Partition {
        Partition {
            kind: self.kind,
            shard: self.shard,
            total: self.total,
        }
    }

    pub fn from_json(bytes: &[u8]) -> Result<ShardRecord, FormatError> {
        let doc: ShardRecord = serde_json::from_slice(bytes)?;
        if doc.format != SHARD_FORMAT || doc.version != SHARD_VERSION {
            return Err(FormatError::Invalid(format!(
                "{} version {} is not supported (this build reads {SHARD_FORMAT} version {SHARD_VERSION})",
                doc.format, doc.version
            )));
        }
        if doc.total == 0 || doc.shard == 0 || doc.shard > doc.total {
            return Err(FormatError::Invalid(format!(
                "shard {} of {} does not exist",
                doc.shard, doc.total
            )));
        }
        Ok(doc)
    }

    /// Writes the record to `dir`'s `shard.json`, atomically.
    pub fn save(&self, dir: &std::path::Path) -> std::io::Result<()> {
        use std::io::Write;
        let mut f = crate::AtomicOutput::create(Some(&dir.join(SHARD_FILE)))?;
        f.write_all(self.to_json().as_bytes())?;
        f.commit()
    }

    /// The record in `dir`'s `shard.json`, if there is one.
    pub fn load(dir: &std::path::Path) -> Result<Option<ShardRecord>, String> {
        let path = dir.join(SHARD_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => ShardRecord::from_json(&bytes)
                .map(Some)
                .map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_and_print_back() {
        for s in ["slice:1/3", "hash:3/3", "count:2/5", "slice:1/1"] {
            assert_eq!(s.parse::<Partition>().unwrap().to_string(), s);
        }
    }

    #[test]
    fn wrong_specs_say_why_in_one_line() {
        for (s, why) in [
            ("slice:0/3", "shard 0 does not exist: shards are 1 to 3"),
            ("slice:4/3", "shard 4 does not exist"),
            ("foo", "is not a partition"),
            ("foo:1/2", "\"foo\" is not a kind of partition"),
            ("hash:1-2", "is not M/N"),
            ("count:1/0", "at least 1"),
            ("slice:-1/3", "is not M/N"),
        ] {
            let e = s.parse::<Partition>().unwrap_err();
            assert!(e.contains(why), "{s}: {e}");
            assert!(!e.contains('\n'), "{e}");
        }
    }

    #[test]
    fn every_test_lands_in_exactly_one_shard() {
        for kind in ["slice", "hash", "count"] {
            for i in 0..40u64 {
                let name = format!("tests::t{i}");
                let n = (1..=3)
                    .filter(|m| {
                        let p: Partition = format!("{kind}:{m}/3").parse().unwrap();
                        p.holds(i, "pkg::it", &name)
                    })
                    .count();
                assert_eq!(n, 1, "{kind} {name}");
            }
        }
    }

    #[test]
    fn the_hash_is_stable_across_builds_and_machines() {
        // Pinned (and checked with Python's hashlib): a change here moves
        // users' tests between shards.
        assert_eq!(Partition::hash_shard("demo", "tests::sums_squares", 3), 2);
        assert_eq!(Partition::hash_shard("demo", "", 8), 2);
    }

    #[test]
    fn one_binary_is_dealt_with_its_listing_owner() {
        let names: Vec<String> = (0..5).map(|i| format!("t{i}")).collect();
        let p: Partition = "slice:2/3".parse().unwrap();
        let d = p.deal(0, "b", &names);
        assert_eq!(d.mine, [1, 4]);
        assert_eq!(d.owner(), 1);
        // Slice goes on from the tests of the binaries before.
        assert_eq!(p.deal(2, "b", &names).mine, [2]);
        assert_eq!(p.deal(0, "b", &[]).owner(), 1);
        let one = ["t0".to_owned()];
        let p3: Partition = "slice:3/3".parse().unwrap();
        assert_eq!(p3.deal(2, "b", &one).owner(), 3);
    }

    fn record(spec: &str) -> Option<ShardRecord> {
        Some(ShardRecord::new(spec.parse().unwrap(), 1, 0))
    }

    #[test]
    fn a_merge_refuses_a_shard_twice_and_mixed_partitions() {
        let runs = |specs: &[Option<&str>]| -> Vec<(String, Option<ShardRecord>)> {
            specs
                .iter()
                .enumerate()
                .map(|(i, s)| (format!("d{i}"), s.and_then(record)))
                .collect()
        };
        let never = |_: usize, _: usize| false;
        let all = runs(&[Some("slice:1/2"), Some("slice:2/2")]);
        assert_eq!(check_shard_set(&all, never), Ok(None));
        let e = check_shard_set(&runs(&[Some("hash:1/2"), Some("hash:1/2")]), never).unwrap_err();
        assert_eq!(
            e,
            "shard hash:1/2 given twice: d0 and d1 (its tests would count twice)"
        );
        let e = check_shard_set(&runs(&[Some("hash:1/2"), Some("slice:2/2")]), never).unwrap_err();
        assert!(
            e.starts_with("mixed partitions: d0 is shard hash:1/2, d1 is shard slice:2/2"),
            "{e}"
        );
        let e = check_shard_set(&runs(&[Some("hash:1/2"), None]), never).unwrap_err();
        assert!(e.contains("d1 is no shard"), "{e}");
        let e = check_shard_set(&runs(&[None, None]), |a, b| a != b).unwrap_err();
        assert_eq!(e, "d1 given twice (its tests would count twice)");
        assert_eq!(check_shard_set(&runs(&[None, None]), never), Ok(None));
        let w = check_shard_set(&runs(&[Some("count:2/3")]), never).unwrap();
        assert_eq!(
            w.unwrap(),
            "shards 1, 3 of count:M/3 not given; the merge covers the other 1"
        );
    }

    #[test]
    fn shard_json_round_trips_and_refuses_other_versions() {
        let r = ShardRecord::new("hash:2/4".parse().unwrap(), 17, 1);
        let back = ShardRecord::from_json(r.to_json().as_bytes()).unwrap();
        assert_eq!(back, r);
        assert_eq!(back.partition().to_string(), "hash:2/4");
        let v2 = r.to_json().replace("\"version\": 1", "\"version\": 2");
        assert!(ShardRecord::from_json(v2.as_bytes()).is_err());
    }
}
