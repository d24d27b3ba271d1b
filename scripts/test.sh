#!/usr/bin/env bash
# Runs every test of the workspace and ends with one summary line
# ("total: N passed, N failed, N skipped") added up over all test binaries,
# so the last line says what ran rather than the count of the last binary.
# --no-fail-fast: one failing test binary must not hide the failures of the
# binaries after it (CI once needed two runs to find two broken tests).
set -uo pipefail
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --workspace --no-fail-fast "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
awk '/^test result: / {
        for (i = 1; i <= NF; i++) {
            if ($(i+1) ~ /^passed/) p += $i
            if ($(i+1) ~ /^failed/) f += $i
            if ($(i+1) ~ /^ignored/) s += $i
        }
     }
     END { printf "total: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"
