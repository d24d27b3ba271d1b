//! In the tree only with `extra` on.

pub fn twice_more(x: u32) -> u32 {
    crate::extra(x) * 2 // cov: alpha more
}
