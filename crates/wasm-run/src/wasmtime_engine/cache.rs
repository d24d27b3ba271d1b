//! wasmtime's compiled code, kept between runs: compiling a large test
//! binary with Cranelift takes longer than running its tests, and the same
//! binary is often run again (a rerun, another filter, `cargo wasm-cov`
//! after `--no-run`).
//!
//! This is wasmtime's own cache (`Config::cache`), in
//! `<cache>/wasmtime` (`wasm_cov_cli::cache_dir`), not in wasmtime's
//! default place and with no configuration file read: an entry is keyed by
//! the exact bytes and the engine's settings, compressed, and the folder is
//! trimmed past [`MAX_BYTES`]. Anything wrong with it only costs a compile.
//! `WASM_RUN_CACHE=off` turns it off.

use std::path::PathBuf;

use wasmtime::{Cache, CacheConfig};

/// The most the folder keeps, roughly (wasmtime trims past it).
const MAX_BYTES: u64 = 2 << 30;

/// The cache for an engine's config, unless it is off or has no folder.
pub(crate) fn cache() -> Option<Cache> {
    if std::env::var_os("WASM_RUN_CACHE").is_some_and(|v| v == "off") {
        return None;
    }
    in_folder(wasm_cov_cli::cache_dir()?.join("wasmtime"))
}

fn in_folder(dir: PathBuf) -> Option<Cache> {
    let mut config = CacheConfig::new();
    config
        .with_directory(dir)
        .with_files_total_size_soft_limit(MAX_BYTES);
    Cache::new(config).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_compile_comes_from_the_cache() {
        let d = tempfile::tempdir().unwrap();
        let wasm = b"\0asm\x01\0\0\0\x01\x04\x01\x60\0\0\x03\x02\x01\0\x0a\x04\x01\x02\0\x0b";
        let cache = in_folder(d.path().to_path_buf()).unwrap();
        let mut config = wasmtime::Config::new();
        config.cache(Some(cache.clone()));
        let engine = wasmtime::Engine::new(&config).unwrap();
        wasmtime::Module::new(&engine, wasm).unwrap();
        assert_eq!((cache.cache_hits(), cache.cache_misses()), (0, 1));
        // Another engine of the same settings, as the next run has.
        let engine = wasmtime::Engine::new(&config).unwrap();
        wasmtime::Module::new(&engine, wasm).unwrap();
        assert_eq!(cache.cache_hits(), 1);
    }
}
