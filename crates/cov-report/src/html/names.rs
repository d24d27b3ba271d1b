//! File names for the per-file pages, made from untrusted paths.
//!
//! A page name is one plain file name: ASCII letters, digits, `.`, `_` and
//! `-` only, never starting with `.`, at most [`MAX_NAME`] bytes, never a
//! Windows device name, and unique even on a case-insensitive file system.
//! So `../../x`, `/etc/passwd`, `C:\x`, a NUL or a 10 kB path all become a
//! file directly inside `files/`.

use std::collections::{BTreeMap, BTreeSet};

/// Longest page name, `.html` included: well under every file system's
/// 255-byte limit, leaving room for a `-N` suffix.
pub const MAX_NAME: usize = 120;

const DEVICE_NAMES: [&str; 22] = [
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// True for a name [`page_names`] could have made.
pub fn is_safe_page_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME + 8
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The readable stem for `path`: components joined by `_`, other bytes
/// replaced by `_`, the tail kept when too long (it holds the file name).
fn stem(path: &str) -> String {
    let mut out = String::new();
    for comp in path.split(['/', '\\']) {
        let comp = match comp {
            "" | "." => continue,
            ".." => "up",
            c => c,
        };
        if !out.is_empty() {
            out.push('_');
        }
        out.extend(comp.chars().map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        }));
    }
    let budget = MAX_NAME - ".html".len();
    if out.len() > budget {
        // All ASCII by now, so any byte index is a char boundary.
        out = out[out.len() - budget..].to_owned();
    }
    let out = out.trim_start_matches('.').to_owned();
    let first = out.split('.').next().unwrap_or("").to_ascii_lowercase();
    if out.is_empty() {
        "file".to_owned()
    } else if DEVICE_NAMES.contains(&first.as_str()) {
        format!("_{out}")
    } else {
        out
    }
}

/// A page name for each path, `<stem>.html`, with `-2`, `-3`, ... added
/// where two paths would share one (compared without case). Paths are taken
/// in sorted order, so the names are the same on every run.
pub fn page_names<'a>(paths: impl Iterator<Item = &'a str>) -> BTreeMap<String, String> {
    let mut sorted: Vec<&str> = paths.collect();
    sorted.sort_unstable();
    sorted.dedup();
    let mut taken: BTreeSet<String> = BTreeSet::new();
    let mut names = BTreeMap::new();
    for path in sorted {
        let stem = stem(path);
        let mut name = format!("{stem}.html");
        let mut n = 2u64;
        while taken.contains(&name.to_ascii_lowercase()) {
            name = format!("{stem}-{n}.html");
            n += 1;
        }
        taken.insert(name.to_ascii_lowercase());
        names.insert(path.to_owned(), name);
    }
    names
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;

    #[test]
    fn names_are_plain_readable_and_unique() {
        let long = "d/".repeat(3000) + "tail.rs";
        let paths = [
            "src/lib.rs",
            "src_lib.rs",
            "SRC/LIB.rs",
            "../../etc/passwd",
            "/etc/passwd",
            r"C:\Windows\system32\x.rs",
            "a\0b.rs",
            "<script>alert(1)</script>.rs",
            "..",
            "/",
            ".hidden",
            "con",
            "aux.rs",
            "ünïcode.rs",
            long.as_str(),
        ];
        let names = page_names(paths.iter().copied());
        assert_eq!(names.len(), paths.len());
        let mut seen = BTreeSet::new();
        for (path, name) in &names {
            assert!(is_safe_page_name(name), "{path:?} -> {name:?}");
            assert!(name.ends_with(".html"), "{name}");
            assert!(seen.insert(name.to_ascii_lowercase()), "duplicate {name}");
        }
        // Sorted order decides who keeps the plain name.
        assert_eq!(names["SRC/LIB.rs"], "SRC_LIB.rs.html");
        assert_eq!(names["src/lib.rs"], "src_lib.rs-2.html");
        assert_eq!(names["src_lib.rs"], "src_lib.rs-3.html");
        assert_eq!(names["../../etc/passwd"], "up_up_etc_passwd.html");
        assert_eq!(names["/etc/passwd"], "etc_passwd.html");
        assert_eq!(
            names["<script>alert(1)</script>.rs"],
            "_script_alert_1___script_.rs.html"
        );
        assert_eq!(names["con"], "_con.html");
        assert_eq!(names["aux.rs"], "_aux.rs.html");
        assert_eq!(names["/"], "file.html");
        assert_eq!(names[".hidden"], "hidden.html");
        assert!(names[long.as_str()].ends_with("d_d_tail.rs.html"));
        assert!(!is_safe_page_name("../x.html"));
        assert!(!is_safe_page_name(".x.html"));
        assert!(!is_safe_page_name("a/b.html"));
    }
}
