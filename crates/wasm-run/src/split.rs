//! A run's per-test split in the contract's shape: one module's block
//! table as its block list, and each test's `(block index, count)` pairs
//! added with the index checked. Shared by every path that counts with our
//! own counters: modules we instantiate (`direct`), wasm-bindgen suites
//! (`exec`) and host collections (`collected`).

use anyhow::{bail, Result};
use wasm_cov_format::{PerTestBlock, PerTestModule};
use wasm_cov_instrument::Block;

/// A module with `blocks` (its block table) and no test yet.
pub(crate) fn module(blocks: &[Block]) -> PerTestModule {
    PerTestModule {
        blocks: blocks
            .iter()
            .map(|b| PerTestBlock {
                function: b.function,
                start: b.start,
                end: b.end,
            })
            .collect(),
        tests: Default::default(),
    }
}

/// Adds `pairs` (block index, count) to `test` in `m`; an index past the
/// module's blocks is an error naming `source`.
pub(crate) fn add(
    m: &mut PerTestModule,
    test: &str,
    pairs: impl IntoIterator<Item = (u64, u64)>,
    source: &dyn std::fmt::Display,
) -> Result<()> {
    let n = m.blocks.len();
    for (k, count) in pairs {
        let Some(k) = u32::try_from(k).ok().filter(|&k| (k as usize) < n) else {
            bail!("{source} counted a block {k} past the module's {n}");
        };
        m.add_hit(test, k, count);
    }
    Ok(())
}

/// `[k, count, k, count, ...]` as pairs; an odd last number is dropped.
pub(crate) fn pairs(flat: &[u64]) -> impl Iterator<Item = (u64, u64)> + '_ {
    flat.chunks_exact(2).map(|p| (p[0], p[1]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(start: u64, end: u64) -> Block {
        Block {
            function: 0,
            start,
            end,
        }
    }

    #[test]
    fn hits_are_added_and_an_index_past_the_blocks_is_refused() {
        let mut m = module(&[block(10, 12), block(12, 20)]);
        add(&mut m, "t", pairs(&[1, 3, 0, 2, 1, 1]), &"the runner").unwrap();
        assert_eq!(m.tests["t"], [(0, 2), (1, 4)]);
        let e = add(&mut m, "t", [(2, 1)], &"the runner").unwrap_err();
        assert_eq!(
            e.to_string(),
            "the runner counted a block 2 past the module's 2"
        );
    }
}
