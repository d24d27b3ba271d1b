//! Function names shared by the mapper and cov-report.

/// One name for several functions declared on one line (the expansions of
/// one macro, such as `<impl Sealed for u8>::write` and `<impl Sealed for
/// u16>::write`): their common beginning and end, cut at a path boundary,
/// with `_` for what differs. Names are normalized already; duplicates and
/// order do not matter.
pub fn common_name(names: &[&str]) -> String {
    let mut uniq: Vec<&str> = names.to_vec();
    uniq.sort_unstable();
    uniq.dedup();
    let (first, rest) = match uniq.split_first() {
        Some((f, r)) if !r.is_empty() => (*f, r),
        Some((f, _)) => return (*f).to_owned(),
        None => return String::new(),
    };
    let boundary = |c: u8| {
        matches!(
            c,
            b':' | b'<' | b'>' | b' ' | b'(' | b')' | b',' | b'[' | b']' | b'&' | b'*' | b';'
        )
    };
    let fb = first.as_bytes();
    let mut pre = fb.len();
    let mut suf = fb.len();
    for n in rest {
        let nb = n.as_bytes();
        pre = pre.min(fb.iter().zip(nb).take_while(|(a, b)| a == b).count());
        suf = suf.min(
            fb.iter()
                .rev()
                .zip(nb.iter().rev())
                .take_while(|(a, b)| a == b)
                .count(),
        );
    }
    // Back off to boundaries so no identifier is cut in two.
    while pre > 0 && !boundary(fb[pre - 1]) {
        pre -= 1;
    }
    let mut s = fb.len() - suf;
    while s < fb.len() && !boundary(fb[s]) {
        s += 1;
    }
    let s = s.max(pre);
    format!("{}_{}", &first[..pre], &first[s..])
}

#[cfg(test)]
mod tests {
    use super::common_name;

    #[test]
    fn cuts_at_type_punctuation_too() {
        // Two instantiations of `impl<T> Tr for [T]` under v0 symbols.
        assert_eq!(
            common_name(&["<[u8] as a::Tr>::f", "<[u16] as a::Tr>::f"]),
            "<[_] as a::Tr>::f"
        );
        assert_eq!(
            common_name(&["<&u8 as a::Tr>::f", "<&a::S as a::Tr>::f"]),
            "<&_ as a::Tr>::f"
        );
        assert_eq!(
            common_name(&["<[u8; 3] as a::Tr>::f", "<[u8; 4] as a::Tr>::f"]),
            "<[u8; _] as a::Tr>::f"
        );
    }
}
