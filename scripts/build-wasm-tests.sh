#!/usr/bin/env bash
# Builds a crate's test binaries for wasm with the flags coverage needs and
# prints the path of each test .wasm, one per line.
#
#   scripts/build-wasm-tests.sh CRATE_DIR [extra cargo args...]
#
# The target is $WASM_COV_TARGET, or else wasm32-unknown-unknown for a crate
# whose Cargo.toml names wasm-bindgen-test (its tests need
# wasm-bindgen-test-runner) and wasm32-wasip1 (plain libtest) otherwise.
#
# Flags (see docs/formats.md and the README):
#   -C debuginfo=2            DWARF line tables and subprograms in the .wasm
#   -C opt-level=0            lines map one-to-one to code
#   -C codegen-units=1        one compilation unit per crate, smaller DWARF
#   -C link-dead-code         functions no test calls are still generated...
#   -C link-arg=--no-gc-sections  ...and wasm-ld keeps them, so they count 0
# They are set through CARGO_TARGET_WASM32_WASIP1_RUSTFLAGS so they reach the
# wasm code only, never build scripts or proc macros. A RUSTFLAGS in the
# environment would override them, so it is refused.
# The build goes to CRATE_DIR/target/wasm-cov so it never invalidates the
# crate's ordinary builds.
set -euo pipefail

crate=${1:?usage: build-wasm-tests.sh CRATE_DIR [cargo args...]}
shift
if [[ ! -f "$crate/Cargo.toml" ]]; then
    echo "build-wasm-tests: $crate/Cargo.toml not found" >&2
    exit 2
fi
if [[ -n "${RUSTFLAGS:-}" || -n "${CARGO_ENCODED_RUSTFLAGS:-}" ]]; then
    echo "build-wasm-tests: RUSTFLAGS is set and would replace the coverage flags; unset it" >&2
    exit 2
fi

target=${WASM_COV_TARGET:-}
if [[ -z "$target" ]]; then
    if grep -q 'wasm-bindgen-test' "$crate/Cargo.toml"; then
        target=wasm32-unknown-unknown
    else
        target=wasm32-wasip1
    fi
fi
flags="-C debuginfo=2 -C opt-level=0 -C codegen-units=1 -C link-dead-code"
case $target in
    wasm32-wasip1)
        export CARGO_TARGET_WASM32_WASIP1_RUSTFLAGS="$flags -C link-arg=--no-gc-sections ${WASM_COV_EXTRA_RUSTFLAGS:-}" ;;
    wasm32-unknown-unknown)
        # wasm-bindgen 0.2.130's descriptor interpreter panics on a module
        # built with both link-dead-code and --no-gc-sections. Without the
        # latter, wasm-ld drops functions nothing calls; their DWARF stays
        # behind with tombstone addresses and the mapper counts their lines
        # as 0, so they still show as uncovered.
        export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="$flags ${WASM_COV_EXTRA_RUSTFLAGS:-}" ;;
    *) echo "build-wasm-tests: unsupported target $target" >&2; exit 2 ;;
esac
json=$(cargo test --no-run --tests --lib --target "$target" \
    --manifest-path "$crate/Cargo.toml" \
    --target-dir "$crate/target/wasm-cov" \
    --message-format=json-render-diagnostics "$@")
# One compiler-artifact line per test binary carries its "executable".
grep '"reason":"compiler-artifact"' <<<"$json" \
    | grep -o '"executable":"[^"]*"' \
    | sed -e 's/^"executable":"//' -e 's/"$//'
