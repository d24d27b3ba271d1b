#!/usr/bin/env bash
# Runs the whole pipeline on one crate:
#   build tests for wasm32-wasip1 -> wasm-run each test binary
#   -> v8cov-extract -> wasm-cov-mapper -> cov-report
#
#   scripts/coverage.sh CRATE_DIR OUT_DIR [extra cargo args...]
#
# Leaves OUT_DIR/lcov.info, OUT_DIR/html/index.html, OUT_DIR/coverage.json (mapper JSON),
# OUT_DIR/offsets.csv and OUT_DIR/runs/<test binary>/ (v8-coverage.json and
# modules/, the artifacts any stage can be replayed from).
# Exit status: 0 ok, 1 some test failed (the report is still written),
# 2 error. Tools come from $BIN (default target/release).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
bin=${BIN:-$here/target/release}
crate=${1:?usage: coverage.sh CRATE_DIR OUT_DIR [cargo args...]}
out=${2:?usage: coverage.sh CRATE_DIR OUT_DIR [cargo args...]}
shift 2
if [[ ! -f "$crate/Cargo.toml" ]]; then
    echo "coverage: $crate/Cargo.toml not found (CRATE must be a crate's folder)" >&2
    exit 2
fi
crate=$(cd "$crate" && pwd)

mapfile -t wasms < <("$here/scripts/build-wasm-tests.sh" "$crate" "$@")
if [[ ${#wasms[@]} -eq 0 ]]; then
    echo "coverage: no test binaries were built for $crate" >&2
    exit 2
fi

rm -rf "$out/runs"
mkdir -p "$out/runs"
status=0
for wasm in "${wasms[@]}"; do
    stem=$(basename "$wasm" .wasm)
    echo "coverage: running $stem" >&2
    rc=0
    "$bin/wasm-run" --out "$out/runs/$stem" "$wasm" || rc=$?
    case $rc in
        0) ;;
        1) status=1 ;;
        *) exit "$rc" ;;
    esac
done

modules=()
for d in "$out"/runs/*/modules; do modules+=(--modules "$d"); done

"$bin/v8cov-extract" "$out"/runs/*/v8-coverage.json -o "$out/offsets.csv"
"$bin/wasm-cov-mapper" "${modules[@]}" "$out/offsets.csv" \
    --source-root "$crate" --format json -o "$out/coverage.json"
"$bin/cov-report" "$out/coverage.json" --lcov "$out/lcov.info" --html "$out/html" \
    --source-root "$crate" --show-missing
echo "coverage: wrote $out/lcov.info" >&2
echo "coverage: HTML report: $out/html/index.html" >&2
if [[ $status -ne 0 ]]; then
    echo "coverage: some tests failed (see above); the report covers what ran" >&2
fi
exit "$status"
