#!/usr/bin/env bash
# Builds a crate's test binaries for wasm with the flags coverage needs and
# prints the path of each test .wasm, one per line. A thin wrapper kept for
# the integration tests (tests/src/lib.rs): the build is cargo wasm-cov's,
#   cd CRATE_DIR && cargo wasm-cov --no-run [cargo args...]
# which keeps the crate's own rustflags and adds the coverage flags
# (README, "Build flags"; docs/cargo-wasm-cov.md).
#
#   scripts/build-wasm-tests.sh CRATE_DIR [extra cargo args...]
#
# $WASM_COV_TARGET sets --target (default: per package, as cargo wasm-cov
# decides). $WASM_COV_EXTRA_RUSTFLAGS is passed as RUSTFLAGS, which cargo
# wasm-cov folds in before its own flags. The driver is
# $CARGO_WASM_COV, else target/debug/cargo-wasm-cov (`make test` builds it
# first with `cargo build --bins`; built here only if missing, since a
# cargo inside `cargo test` may wait on the target dir's lock).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
crate=${1:?usage: build-wasm-tests.sh CRATE_DIR [cargo args...]}
shift
if [[ ! -f "$crate/Cargo.toml" ]]; then
    echo "build-wasm-tests: $crate/Cargo.toml not found" >&2
    exit 2
fi
driver=${CARGO_WASM_COV:-$here/target/debug/cargo-wasm-cov}
if [[ ! -x "$driver" ]]; then
    # Built from the tools' workspace, never with the crate's own config.
    (cd "$here" && cargo build --quiet -p cargo-wasm-cov) >&2
fi
args=(--no-run)
if [[ -n "${WASM_COV_TARGET:-}" ]]; then
    args+=(--target "$WASM_COV_TARGET")
fi
unset CARGO_ENCODED_RUSTFLAGS
if [[ -n "${WASM_COV_EXTRA_RUSTFLAGS:-}" ]]; then
    export RUSTFLAGS="$WASM_COV_EXTRA_RUSTFLAGS"
else
    unset RUSTFLAGS
fi
cd "$crate"
exec "$driver" "${args[@]}" "$@"
