#!/usr/bin/env bash
# The native baseline for `make coverage`: what cargo-llvm-cov does, spelt
# out with rustc's own tools so nothing needs installing but the rustup
# component llvm-tools-preview. Builds CRATE's lib and test targets for the
# host with -C instrument-coverage, runs every test binary, merges the
# profiles and writes OUT/lcov.info and an HTML report in OUT/html, leaving
# out the standard library and registry crates (as cargo-llvm-cov does).
#
#   bench/native-coverage.sh CRATE_DIR OUT_DIR
set -euo pipefail
crate=$(cd "${1:?usage: native-coverage.sh CRATE_DIR OUT_DIR}" && pwd)
out=${2:?usage: native-coverage.sh CRATE_DIR OUT_DIR}
tools=$(rustc --print sysroot)/lib/rustlib/$(rustc -vV | sed -n 's/^host: //p')/bin
rm -rf "$out"
mkdir -p "$out/profraw"
out=$(cd "$out" && pwd)
json=$(RUSTFLAGS="-C instrument-coverage" cargo test --quiet --no-run --tests --lib \
    --manifest-path "$crate/Cargo.toml" --target-dir "$crate/target/native-cov" \
    --message-format=json-render-diagnostics)
mapfile -t exes < <(grep '"reason":"compiler-artifact"' <<<"$json" \
    | grep -o '"executable":"[^"]*"' | sed -e 's/^"executable":"//' -e 's/"$//')
status=0
for exe in "${exes[@]}"; do
    (cd "$crate" && LLVM_PROFILE_FILE="$out/profraw/%p-%m.profraw" "$exe" -q >/dev/null) || status=1
done
"$tools/llvm-profdata" merge -sparse "$out"/profraw/*.profraw -o "$out/merged.profdata"
objects=()
for exe in "${exes[@]}"; do objects+=(-object "$exe"); done
ignore='/rustc/|/\.cargo/registry/|/\.cargo/git/'
"$tools/llvm-cov" export -format=lcov -instr-profile="$out/merged.profdata" \
    -ignore-filename-regex="$ignore" "${objects[@]}" >"$out/lcov.info"
"$tools/llvm-cov" show -format=html -output-dir="$out/html" -instr-profile="$out/merged.profdata" \
    -ignore-filename-regex="$ignore" "${objects[@]}"
exit "$status"
