#!/usr/bin/env bash
# Fetches the benchmark crates' sources through cargo and copies each into
#   $BENCH_DIR/crates/<name>-<version>/
# (a scratch folder outside any source tree; third-party sources are never
# committed). Prints nothing on stdout; idempotent: a copy already there is
# kept, so its target/ folder (the cached wasm builds) survives reruns.
#
#   bench/fetch-crates.sh BENCH_DIR
set -euo pipefail
bench=${1:?usage: fetch-crates.sh BENCH_DIR}
here=$(cd "$(dirname "$0")" && pwd)
fetch=$bench/fetch
node=$(cd "$here/.." && pwd)/node_modules/.bin/node
mkdir -p "$fetch/src" "$bench/crates"
# Exact versions, so every machine benchmarks the same code.
cat >"$fetch/Cargo.toml" <<'TOML'
[package]
name = "wasm-cov-bench-fetch"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
regex-syntax = "=0.8.10"
serde_json = "=1.0.149"
semver = "=1.0.28"

[workspace]
TOML
echo 'fn main() {}' >"$fetch/src/main.rs"
cargo fetch --quiet --manifest-path "$fetch/Cargo.toml"
# cargo metadata knows where cargo put each source; no registry path guessing.
cargo metadata --quiet --format-version 1 --manifest-path "$fetch/Cargo.toml" \
    | "$node" "$here/lib/crate-dirs.cjs" regex-syntax serde_json semver \
    | while read -r name version dir; do
        dest=$bench/crates/$name-$version
        if [[ ! -f $dest/Cargo.toml ]]; then
            echo "bench: copying $name $version from $dir" >&2
            rm -rf "$dest.part"
            cp -r "$dir" "$dest.part"
            # The copy lies below this repository's workspace; an empty
            # [workspace] table makes it a workspace of its own.
            grep -q '^\[workspace\]' "$dest.part/Cargo.toml" \
                || printf '\n[workspace]\n' >>"$dest.part/Cargo.toml"
            mv "$dest.part" "$dest"
        fi
    done
