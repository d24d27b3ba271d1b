#!/usr/bin/env bash
# Runs every fuzz target of fuzz/ for SECONDS each, one after the other, one
# job each (docs/reliability.md, "Fuzzing").
#
#   scripts/fuzz.sh 600                 # 10 minutes per target
#   TARGETS="lcov mapper" scripts/fuzz.sh 60
#
# Uses cargo-fuzz (libFuzzer) on the stable toolchain with --sanitizer none:
# the tools forbid `unsafe`, so AddressSanitizer would find nothing safe
# Rust does not already check, and without it no nightly is needed. Debug
# assertions (-a) are on, so an arithmetic overflow is a crash too.
# Corpora grow in fuzz/corpus/TARGET (seeded from the test fixtures, kept
# between runs); crashes land in fuzz/artifacts/TARGET. Exits 1 if any
# target found a crash, after running all of them.
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:?usage: scripts/fuzz.sh SECONDS}
targets=${TARGETS:-lcov v8_json offsets_csv mapper}

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-fuzz (once, about 2 minutes)"
    cargo install cargo-fuzz --locked
fi

# Seeds: every fixture of the kind the target reads, and the bad inputs.
seed() {
    local dir=fuzz/corpus/$1
    shift
    mkdir -p "$dir"
    local f
    for f in "$@"; do
        [ -f "$f" ] && cp "$f" "$dir/seed-$(basename "$(dirname "$f")")-$(basename "$f")"
    done
    return 0
}
shopt -s nullglob
seed lcov tests/fixtures/formats/lcov.info tests/fixtures/formats/mapped.json \
    tests/fixtures/report/inputs/* tests/bad_inputs/*/*.info tests/bad_inputs/*/*.lcov
seed v8_json tests/fixtures/formats/v8-coverage.json tests/bad_inputs/*/*.json
seed offsets_csv tests/fixtures/formats/offsets.csv tests/bad_inputs/*/*.csv
seed mapper fuzz/seeds/mapper/*

flags=(--sanitizer none --debug-assertions --release)
cargo fuzz build "${flags[@]}"

found=0
# Every crash found so far, first: each must stay fixed.
for t in $targets; do
    for f in fuzz/regressions/$t/*; do
        if ! cargo fuzz run "${flags[@]}" "$t" "$f" >"fuzz/last-regression-$t.log" 2>&1; then
            echo "fuzz.sh: regression $f crashes again (fuzz/last-regression-$t.log)"
            found=1
        fi
    done
done
for t in $targets; do
    case $t in
        mapper) max_len=65536 ;;
        *) max_len=16384 ;;
    esac
    echo "fuzz.sh: $t for ${secs}s"
    # -rss_limit_mb: an input that makes a reader use 2 GB is a finding.
    if ! cargo fuzz run "${flags[@]}" "$t" "fuzz/corpus/$t" -- \
        -max_total_time="$secs" -max_len="$max_len" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 2>&1 | tee "fuzz/last-$t.log" | grep -E '^(#[0-9]+[[:space:]]+(DONE|INITED)|stat::number_of_executed_units|stat::peak_rss|==[0-9]+== ERROR|SUMMARY|.*panicked at|Test unit written)'; then
        :
    fi
    if grep -qE 'Test unit written|==[0-9]+== ERROR|panicked at' "fuzz/last-$t.log"; then
        echo "fuzz.sh: $t FOUND A CRASH (see fuzz/artifacts/$t and fuzz/last-$t.log)"
        found=1
    else
        echo "fuzz.sh: $t ok"
    fi
done
exit "$found"
