#!/usr/bin/env bash
# The next Rust: the pipeline and fidelity tests on each toolchain named
# (default: beta nightly), so a change in rustc's DWARF or codegen is seen
# when it reaches beta, six weeks before it reaches users.
#
#   scripts/test-toolchains.sh [TOOLCHAIN...]      (make test-toolchains)
#
# Each toolchain is installed with rustup (minimal profile) with both wasm
# targets, and builds into a target dir of its own
# (target/toolchains/<name>), so the stable build beside it is never
# replaced while someone uses it. Not part of `make test` or `.ci/run`: it
# takes a full build per toolchain. Ends with one line per toolchain and
# exits 1 if any failed its tests, 2 if one could not be installed.
set -uo pipefail
cd "$(dirname "$0")/.."
here=$(pwd)
toolchains=("$@")
[[ ${#toolchains[@]} -gt 0 ]] || toolchains=(beta nightly)

declare -A result
status=0
for tc in "${toolchains[@]}"; do
    echo "== $tc: rustup toolchain install $tc (with wasm32-wasip1, wasm32-unknown-unknown)"
    if ! rustup toolchain install "$tc" --profile minimal --no-self-update \
        || ! rustup target add --toolchain "$tc" wasm32-wasip1 wasm32-unknown-unknown; then
        result[$tc]="not installed"
        status=2
        continue
    fi
    version=$(rustc "+$tc" --version)
    target="$here/target/toolchains/$tc"
    echo "== $version, into $target"
    # The driver the tests build examples with must be this toolchain's too
    # (scripts/build-wasm-tests.sh runs $CARGO_WASM_COV).
    if CARGO_TARGET_DIR="$target" cargo "+$tc" build --bins \
        && CARGO_TARGET_DIR="$target" CARGO_WASM_COV="$target/debug/cargo-wasm-cov" \
            cargo "+$tc" test --no-fail-fast -p integration-tests --test pipeline --test fidelity; then
        result[$tc]="ok ($version)"
    else
        result[$tc]="FAILED ($version)"
        [[ $status -eq 2 ]] || status=1
    fi
done
echo
for tc in "${toolchains[@]}"; do
    echo "test-toolchains: $tc: ${result[$tc]}"
done
exit "$status"
