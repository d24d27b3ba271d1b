//! Reading a unified diff as `git diff` writes it: which lines of which
//! files the change added or modified, numbered in the new version.
//!
//! Only what patch coverage needs is kept: the new path of each file (`+++
//! b/<path>`, git's quoting undone) and the new-side line numbers of its `+`
//! lines. Deleted files, binary files and mode changes add no lines. Paths
//! are as the diff spells them: relative to the repository's top.
//!
//! Refs: git-diff(1) "GENERATING PATCH TEXT WITH -P", the combined and
//! quoted-path rules of git's `quote.c`; GNU diffutils "Unified Format".

use std::collections::{BTreeMap, BTreeSet};

/// Why a diff could not be read; with its 1-based line number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct DiffError {
    pub line: usize,
    pub message: String,
}

/// The lines a diff adds, by the file's new path.
pub type ChangedLines = BTreeMap<String, BTreeSet<u32>>;

/// Parses a unified diff. Lines are new-side numbers of `+` lines; a file
/// whose hunks only delete is present with no lines.
pub fn parse_unified_diff(text: &str) -> Result<ChangedLines, DiffError> {
    let mut out = ChangedLines::new();
    let mut file: Option<String> = None;
    // Inside a hunk: the old and new lines still to come, and the next new
    // line number.
    let mut hunk: Option<(u64, u64, u32)> = None;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let err = |message: String| DiffError { line: n, message };
        if let Some((old, new, next)) = hunk.as_mut() {
            if *old == 0 && *new == 0 {
                hunk = None;
            } else {
                let (takes_old, takes_new) = match line.as_bytes().first() {
                    Some(b'+') => (false, true),
                    Some(b'-') => (true, false),
                    Some(b' ') => (true, true),
                    // git writes an empty context line as " ", some tools and
                    // editors strip it to "".
                    None => (true, true),
                    Some(b'\\') => continue, // "\ No newline at end of file"
                    _ => {
                        return Err(err(format!(
                        "{line:?} inside a hunk that expects {old} old and {new} new lines more"
                    )))
                    }
                };
                if (takes_old && *old == 0) || (takes_new && *new == 0) {
                    return Err(err("more lines than the hunk header says".to_owned()));
                }
                if takes_new {
                    if !takes_old {
                        if let Some(f) = &file {
                            out.entry(f.clone()).or_default().insert(*next);
                        }
                    }
                    *next = next.saturating_add(1);
                    *new -= 1;
                }
                if takes_old {
                    *old -= 1;
                }
                continue;
            }
        }
        if line.starts_with("\\") {
            continue;
        }
        if let Some(rest) = line.strip_prefix("+++ ") {
            let path = new_path(rest).map_err(err)?;
            if let Some(p) = &path {
                out.entry(p.clone()).or_default();
            }
            file = path;
        } else if line.starts_with("diff ") {
            file = None;
        } else if let Some(rest) = line.strip_prefix("@@ ") {
            let (old, new, start) = hunk_header(rest)
                .ok_or_else(|| err(format!("{line:?} is not a hunk header (@@ -a,b +c,d @@)")))?;
            hunk = Some((old, new, start));
        }
        // Anything else between files is a header: `index`, `---`, `new
        // file mode`, `similarity index`, `Binary files ... differ`, or text
        // before the diff (a commit message from `git format-patch`).
    }
    if let Some((old, new, _)) = hunk {
        if old > 0 || new > 0 {
            return Err(DiffError {
                line: text.lines().count(),
                message: format!(
                    "the diff ends inside a hunk ({old} old and {new} new lines missing)"
                ),
            });
        }
    }
    Ok(out)
}

/// The path of a `+++` line: `None` for `/dev/null` (a deleted file), else
/// without git's `b/` prefix and quoting, and without the tab and
/// timestamp GNU diff appends.
fn new_path(rest: &str) -> Result<Option<String>, String> {
    let path = if rest.starts_with('"') {
        unquote(rest)?
    } else {
        rest.split('\t').next().unwrap_or(rest).to_owned()
    };
    if path == "/dev/null" {
        return Ok(None);
    }
    let path = path.strip_prefix("b/").map(str::to_owned).unwrap_or(path);
    if path.is_empty() || path.contains('\0') {
        return Err(format!("+++ with an unusable path {rest:?}"));
    }
    Ok(Some(path))
}

/// Undoes git's C-style quoting of a path: `"caf\303\251 \"x\".rs"`.
fn unquote(s: &str) -> Result<String, String> {
    let bad = || format!("badly quoted path {s:?}");
    let inner = s.strip_prefix('"').ok_or_else(bad)?;
    let mut bytes = Vec::with_capacity(inner.len());
    let mut it = inner.bytes();
    loop {
        match it.next().ok_or_else(bad)? {
            b'"' => break,
            b'\\' => {
                let c = it.next().ok_or_else(bad)?;
                bytes.push(match c {
                    b'n' => b'\n',
                    b't' => b'\t',
                    b'r' => b'\r',
                    b'a' => 7,
                    b'b' => 8,
                    b'f' => 12,
                    b'v' => 11,
                    b'0'..=b'3' => {
                        let d1 = it.next().ok_or_else(bad)?;
                        let d2 = it.next().ok_or_else(bad)?;
                        if !matches!(d1, b'0'..=b'7') || !matches!(d2, b'0'..=b'7') {
                            return Err(bad());
                        }
                        (c - b'0') * 64 + (d1 - b'0') * 8 + (d2 - b'0')
                    }
                    other => other,
                });
            }
            b => bytes.push(b),
        }
    }
    String::from_utf8(bytes).map_err(|_| format!("path {s:?} is not UTF-8"))
}

/// `-a[,b] +c[,d] @@ ...` as (old count, new count, first new line).
fn hunk_header(rest: &str) -> Option<(u64, u64, u32)> {
    let mut parts = rest.split(' ');
    let old = parts.next()?.strip_prefix('-')?;
    let new = parts.next()?.strip_prefix('+')?;
    if parts.next()? != "@@" {
        return None;
    }
    let range = |r: &str| -> Option<(u32, u64)> {
        match r.split_once(',') {
            Some((a, b)) => Some((a.parse().ok()?, b.parse().ok()?)),
            None => Some((r.parse().ok()?, 1)),
        }
    };
    let (_, old_count) = range(old)?;
    let (start, new_count) = range(new)?;
    Some((old_count, new_count, start))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;

    fn lines(c: &ChangedLines, p: &str) -> Vec<u32> {
        c[p].iter().copied().collect()
    }

    #[test]
    fn reads_what_git_diff_writes() {
        let diff = "\
diff --git a/src/lib.rs b/src/lib.rs
index 1111111..2222222 100644
--- a/src/lib.rs
+++ b/src/lib.rs
@@ -1,4 +1,5 @@
 fn a() {}
-fn b() {}
+fn b() { x() }
+fn c() {}
 
 fn d() {}
@@ -10 +11,2 @@ fn e() {
-old
+new
+newer
diff --git a/gone.rs b/gone.rs
deleted file mode 100644
--- a/gone.rs
+++ /dev/null
@@ -1,2 +0,0 @@
-a
-b
diff --git a/new.rs b/new.rs
new file mode 100644
--- /dev/null
+++ b/new.rs
@@ -0,0 +1 @@
+fn n() {}
\\ No newline at end of file
diff --git a/img.png b/img.png
Binary files a/img.png and b/img.png differ
diff --git \"a/caf\\303\\251.rs\" \"b/caf\\303\\251.rs\"
--- \"a/caf\\303\\251.rs\"
+++ \"b/caf\\303\\251.rs\"
@@ -2,0 +3 @@
+x
";
        let c = parse_unified_diff(diff).unwrap();
        assert_eq!(
            c.keys().collect::<Vec<_>>(),
            ["café.rs", "new.rs", "src/lib.rs"]
        );
        assert_eq!(lines(&c, "src/lib.rs"), [2, 3, 11, 12]);
        assert_eq!(lines(&c, "new.rs"), [1]);
        assert_eq!(lines(&c, "café.rs"), [3]);
        assert_eq!(parse_unified_diff("").unwrap(), ChangedLines::new());
    }

    #[test]
    fn bad_diffs_say_where() {
        let e = parse_unified_diff("+++ b/a.rs\n@@ -1 +1 @@\n+x\n+y\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 4: more lines than the hunk header says"
        );
        let e = parse_unified_diff("+++ b/a.rs\n@@ -1 +1 @@\n?x\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 3: \"?x\" inside a hunk that expects 1 old and 1 new lines more"
        );
        let e = parse_unified_diff("+++ b/a.rs\n@@ -1 +x @@\n").unwrap_err();
        assert_eq!(e.line, 2);
        let e = parse_unified_diff("+++ b/a.rs\n@@ -1,3 +1,3 @@\n x\n").unwrap_err();
        assert!(e.to_string().contains("ends inside a hunk"), "{e}");
        assert!(parse_unified_diff("+++ \"b/a\\x\n").is_err());
    }
}
