//! Word counts, on wasm32-wasip2.

/// How many words `text` has.
///
/// ```
/// assert_eq!(wasip2::words("one two  three"), 3);
/// ```
pub fn words(text: &str) -> usize {
    text.split_whitespace().count() // cov: words
}

/// The longest word of `text`, if it has one.
pub fn longest(text: &str) -> Option<&str> {
    let mut best: Option<&str> = None;
    for w in text.split_whitespace() {
        if best.is_none_or(|b| w.len() > b.len()) {
            best = Some(w); // cov: longest-new-best
        }
    }
    best
}

/// `n` plus the WASI preview this build is for: only one of the two is
/// compiled.
#[cfg(target_env = "p2")]
pub fn plus_preview(n: u32) -> u32 {
    n.wrapping_add(2) // cov: p2-only
}

#[cfg(target_env = "p1")]
pub fn plus_preview(n: u32) -> u32 {
    n.wrapping_add(1) // cov: p1-only
}

/// Reads a file of the crate: the crate folder is the test's `.`.
pub fn manifest_words() -> std::io::Result<usize> {
    let text = std::fs::read_to_string("Cargo.toml")?; // cov: reads-manifest
    Ok(words(&text))
}

/// No test calls this.
pub fn never_called(x: u32) -> u32 {
    x.wrapping_mul(3) // cov: never-called
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_longest_word() {
        assert_eq!(longest("a bbb cc"), Some("bbb"));
        assert_eq!(longest(""), None);
    }

    #[test]
    fn knows_its_wasi() {
        let want = if cfg!(target_env = "p2") { 12 } else { 11 };
        assert_eq!(plus_preview(10), want);
    }

    #[test]
    fn reads_its_manifest() {
        assert!(manifest_words().unwrap() > 10);
    }
}
