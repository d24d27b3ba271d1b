//! Why a test target ran no test: a test file compiled out by its own
//! `#![cfg(...)]` (on a feature that is off, or for the wasm target), or a
//! target cargo did not build for its `required-features`. Said with the
//! feature and the flag that turns it on, so a run where nothing ran ends
//! in one line a user can act on.

use std::collections::{BTreeMap, BTreeSet};

use cargo_metadata::Package;

/// Why one test target has no test in this build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// Its `#![cfg(...)]` needs these features, which are off.
    CfgFeatures(Vec<String>),
    /// Its `#![cfg(PREDICATE)]` is off for the target, features aside.
    CfgTarget(String),
    /// cargo skipped it: its `required-features` lists these, which are off.
    Required(Vec<String>),
}

/// One test target and why it ran no test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untested {
    /// Its source, relative to the workspace root (`tests/web.rs`).
    pub source: String,
    pub package: String,
    pub why: Why,
}

/// What the first `#![cfg(...)]` of a file needs: the features it asks for
/// that `enabled` lacks (never one under `not(...)`, which turning on
/// would not help), else the predicate itself. `None` when the file has no
/// `#![cfg]` of its own.
pub fn cfg_of(src: &str, enabled: &[String]) -> Option<Why> {
    let start = src
        .lines()
        .map(str::trim_start)
        .find(|l| l.starts_with("#![cfg("))?;
    // The attribute may go on over several lines: from its start in `src`.
    let at = src.find(start)? + "#![cfg(".len();
    let mut depth = 1usize;
    let mut end = None;
    let mut in_str = false;
    for (i, c) in src[at..].char_indices() {
        match c {
            '"' => in_str = !in_str,
            '(' if !in_str => depth += 1,
            ')' if !in_str => {
                depth -= 1;
                if depth == 0 {
                    end = Some(at + i);
                    break;
                }
            }
            _ => {}
        }
    }
    let predicate = &src[at..end?];
    let missing: Vec<String> = wanted_features(predicate)
        .into_iter()
        .filter(|f| !enabled.iter().any(|e| e == f))
        .collect();
    Some(if missing.is_empty() {
        Why::CfgTarget(predicate.split_whitespace().collect::<Vec<_>>().join(" "))
    } else {
        Why::CfgFeatures(missing)
    })
}

/// The `feature = "X"` of a cfg predicate that are not under a `not(...)`,
/// in order, once each.
fn wanted_features(predicate: &str) -> Vec<String> {
    #[derive(Debug, PartialEq)]
    enum Tok<'a> {
        Ident(&'a str),
        Str(&'a str),
        Open,
        Close,
        Eq,
    }
    let mut toks = Vec::new();
    let b = predicate.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'(' {
            toks.push(Tok::Open);
        } else if c == b')' {
            toks.push(Tok::Close);
        } else if c == b'=' {
            toks.push(Tok::Eq);
        } else if c == b'"' {
            let end = predicate[i + 1..].find('"').map_or(b.len(), |e| i + 1 + e);
            toks.push(Tok::Str(&predicate[i + 1..end]));
            i = end;
        } else if c.is_ascii_alphanumeric() || c == b'_' {
            let s = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            toks.push(Tok::Ident(&predicate[s..i]));
            continue;
        }
        i += 1;
    }
    let mut found: Vec<String> = Vec::new();
    // The function (all, any, not) each open parenthesis belongs to.
    let mut stack: Vec<&str> = Vec::new();
    for (k, t) in toks.iter().enumerate() {
        match t {
            Tok::Open => stack.push(match k.checked_sub(1).map(|p| &toks[p]) {
                Some(Tok::Ident(f)) => f,
                _ => "",
            }),
            Tok::Close => {
                stack.pop();
            }
            Tok::Ident("feature") => {
                if let (Some(Tok::Eq), Some(Tok::Str(f))) = (toks.get(k + 1), toks.get(k + 2)) {
                    if !stack.contains(&"not") && !found.iter().any(|x| x == f) {
                        found.push((*f).to_owned());
                    }
                }
            }
            _ => {}
        }
    }
    found
}

/// The test and bin targets of `packages` that cargo skipped for their
/// `required-features`, given each package's features in this build
/// (by package name; a package cargo built nothing of counts as having
/// none on). `kinds` are the target kinds the selection tests.
pub fn required_skipped(
    packages: &[&Package],
    enabled: &BTreeMap<String, Vec<String>>,
    kinds: &[&str],
    workspace_root: &std::path::Path,
) -> Vec<Untested> {
    let none = Vec::new();
    let mut out = Vec::new();
    for p in packages {
        let on = enabled.get(p.name.as_str()).unwrap_or(&none);
        for t in &p.targets {
            if !t
                .kind
                .iter()
                .any(|k| kinds.contains(&k.to_string().as_str()))
            {
                continue;
            }
            // `dep/feature` and `dep?/feature` are named as given.
            let missing: Vec<String> = t
                .required_features
                .iter()
                .filter(|f| !on.contains(f))
                .cloned()
                .collect();
            if missing.is_empty() {
                continue;
            }
            let source = t
                .src_path
                .as_std_path()
                .strip_prefix(workspace_root)
                .map_or_else(|_| t.src_path.to_string(), |p| p.display().to_string());
            out.push(Untested {
                source,
                package: p.name.to_string(),
                why: Why::Required(missing),
            });
        }
    }
    out
}

/// One clause per target and the flag that turns on every feature named:
/// `tests/web.rs needs feature "futures" (its #![cfg]); tests/slow.rs was
/// not built: it requires feature "futures" (required-features); add
/// --features futures (or --all-features)`. With more than one package
/// selected the features are qualified (`--features pkg/futures`).
/// `None` when there is nothing to say.
pub fn describe(list: &[Untested], qualify: bool) -> Option<String> {
    if list.is_empty() {
        return None;
    }
    let quoted = |fs: &[String]| {
        let q: Vec<String> = fs.iter().map(|f| format!("\"{f}\"")).collect();
        format!(
            "feature{} {}",
            if fs.len() == 1 { "" } else { "s" },
            q.join(", ")
        )
    };
    let mut flags: BTreeSet<String> = BTreeSet::new();
    let mut clauses = Vec::new();
    for u in list {
        let mut add = |fs: &[String]| {
            for f in fs {
                flags.insert(if qualify && !f.contains('/') {
                    format!("{}/{f}", u.package)
                } else {
                    f.clone()
                });
            }
        };
        clauses.push(match &u.why {
            Why::CfgFeatures(fs) => {
                add(fs);
                format!(
                    "{} ({}) has no test: its #![cfg] needs {} (off)",
                    u.source,
                    u.package,
                    quoted(fs)
                )
            }
            Why::Required(fs) => {
                add(fs);
                format!(
                    "{} ({}) was not built: it requires {} (required-features)",
                    u.source,
                    u.package,
                    quoted(fs)
                )
            }
            Why::CfgTarget(p) => format!(
                "{} ({}) has no test: its #![cfg({p})] is off for this wasm target",
                u.source, u.package
            ),
        });
    }
    let mut line = clauses.join("; ");
    if !flags.is_empty() {
        line.push_str(&format!(
            "; add --features {} (or --all-features)",
            flags.into_iter().collect::<Vec<_>>().join(",")
        ));
    }
    Some(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_features_a_cfg_asks_for_are_named_unless_negated_or_on() {
        let src =
            "//! Docs.\n#![cfg(all(target_family = \"wasm\", feature = \"futures\"))]\n\nuse x;\n";
        assert_eq!(
            cfg_of(src, &[]),
            Some(Why::CfgFeatures(vec!["futures".into()]))
        );
        assert_eq!(
            cfg_of(src, &["futures".into()]),
            Some(Why::CfgTarget(
                "all(target_family = \"wasm\", feature = \"futures\")".into()
            ))
        );
        let spread = "#![cfg(any(\n    feature = \"a\",\n    not(feature = \"b\"),\n    feature = \"a\"\n))]\nfn f() {}";
        assert_eq!(
            cfg_of(spread, &[]),
            Some(Why::CfgFeatures(vec!["a".into()]))
        );
        assert_eq!(
            cfg_of("#![cfg(not(target_arch = \"wasm32\"))]", &[]),
            Some(Why::CfgTarget("not(target_arch = \"wasm32\")".into()))
        );
        assert_eq!(cfg_of("#[cfg(test)]\nmod tests {}", &[]), None);
        // Unclosed: nothing said rather than a guess.
        assert_eq!(cfg_of("#![cfg(feature = \"a\"", &[]), None);
    }

    #[test]
    fn one_line_names_each_target_and_the_flag() {
        let list = [
            Untested {
                source: "tests/web.rs".into(),
                package: "feature-suite".into(),
                why: Why::CfgFeatures(vec!["futures".into()]),
            },
            Untested {
                source: "tests/required.rs".into(),
                package: "feature-suite".into(),
                why: Why::Required(vec!["futures".into()]),
            },
        ];
        assert_eq!(
            describe(&list, false).unwrap(),
            "tests/web.rs (feature-suite) has no test: its #![cfg] needs feature \"futures\" (off); \
             tests/required.rs (feature-suite) was not built: it requires feature \"futures\" \
             (required-features); add --features futures (or --all-features)"
        );
        assert!(describe(&list, true)
            .unwrap()
            .ends_with("add --features feature-suite/futures (or --all-features)"));
        assert_eq!(describe(&[], false), None);
    }
}
