#!/usr/bin/env bash
# `make bench`: measures the pipeline against what users would run instead,
# each figure a ratio of two commands timed side by side in the same run,
# and rewrites docs/performance.md from the results.
#
#   bench/run.sh
#
# Environment:
#   BENCH_DIR   scratch folder (default target/bench): crate sources, their
#               wasm and native builds (cached, so a rerun is quick), results
#   BENCH_RUNS  timed runs per command (default 5; the slow ones use fewer)
#   BENCH_DOC   where the report goes (default docs/performance.md)
#   BENCH_SKIP  sections to leave out, for working on the others:
#               any of "overhead engines hosts mapper report shards e2e"
#
# Needs hyperfine, genhtml/lcov, llvm-dwarfdump and GNU time (installed from
# Debian when run as root), the rustup component llvm-tools-preview (added
# here), and what `make setup` installs (Node 26, the wasm32 targets).
# Third-party crates are fetched by cargo into BENCH_DIR, never committed.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
B=${BENCH_DIR:-$repo/target/bench}
mkdir -p "$B"
B=$(cd "$B" && pwd)
RUNS=${BENCH_RUNS:-5}
DOC=${BENCH_DOC:-$repo/docs/performance.md}
node=$repo/node_modules/.bin/node
bin=$repo/target/release
res=$B/results
started=$(date +%s)
# A partial run (BENCH_SKIP) keeps the other sections' results.
[[ -n ${BENCH_SKIP:-} ]] || rm -rf "$res"
rm -rf "$B/tmp"
mkdir -p "$res" "$B/logs" "$B/tmp" "$B/runs"

want() { [[ " ${BENCH_SKIP:-} " != *" $1 "* ]]; }
say() { printf '\nbench: %s\n' "$*" >&2; }
# meta KEY VALUE: a number or word for the report (JSON lines).
meta() { printf '{"key":"%s","value":"%s"}\n' "$1" "$2" >>"$res/meta.jsonl"; }
# hf NAME HYPERFINE-ARGS...: one side-by-side measurement, kept as NAME.json.
hf() {
    local name=$1
    shift
    hyperfine --style basic --export-json "$res/$name.json" "$@" >&2
}
# rss NAME COMMAND...: peak resident set of one run, in KB.
rss() {
    local name=$1
    shift
    /usr/bin/time -f '%M' -o "$B/tmp/rss" "$@" >/dev/null 2>&1 || true
    meta "rss.$name" "$(tail -1 "$B/tmp/rss")"
}

# ------------------------------------------------------------------ tools
say "tools"
missing=()
command -v hyperfine >/dev/null || missing+=(hyperfine)
command -v genhtml >/dev/null || missing+=(lcov)
command -v llvm-dwarfdump >/dev/null || missing+=(llvm)
[[ -x /usr/bin/time ]] || missing+=(time)
if [[ ${#missing[@]} -gt 0 ]]; then
    if [[ $(id -u) = 0 ]] && command -v apt-get >/dev/null; then
        apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "bench: install ${missing[*]} (Debian package names) first" >&2
        exit 2
    fi
fi
rustup component add llvm-tools-preview >/dev/null 2>&1 || true
cargo build --quiet --release --bin wasm-run --bin v8cov-extract --bin wasm-cov-mapper --bin cov-report
meta machine.cpus "$(nproc)"
meta machine.cpu "$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
meta machine.load "$(cut -d' ' -f1-3 /proc/loadavg)"
meta version.node "$("$node" --version)"
meta version.rustc "$(rustc --version)"
meta version.hyperfine "$(hyperfine --version)"
meta version.genhtml "$(genhtml --version | sed 's/.*version //')"
meta version.dwarfdump "$(llvm-dwarfdump --version | sed -n 's/.*LLVM version //p' | head -1)"
meta runs "$RUNS"

# ------------------------------------------------------- crates and builds
say "crates (cargo fetch, copied into $B/crates)"
"$repo/bench/fetch-crates.sh" "$B"
semver=$B/crates/semver-1.0.28
rsyntax=$B/crates/regex-syntax-0.8.10
sjson=$B/crates/serde_json-1.0.149

say "building the test wasm (cached in each crate's target/wasm-cov-target)"
pick() { grep -E "/$2-[0-9a-f]{16}\.wasm\$" "$B/logs/$1.list" | head -1; }
for c in "$semver" "$rsyntax" "$sjson"; do
    name=$(basename "$c")
    s=$SECONDS
    (cd "$c" && "$bin/cargo-wasm-cov" --no-run) >"$B/logs/$name.list" 2>"$B/logs/$name.build.log" \
        || { tail -20 "$B/logs/$name.build.log" >&2; exit 2; }
    printf 'bench:   %-22s %4d s\n' "$name" "$((SECONDS - s))" >&2
done
# The same tests as a wasm32-wasip2 component, for the engines section.
(cd "$rsyntax" && "$bin/cargo-wasm-cov" --no-run --target wasm32-wasip2) \
    >"$B/logs/regex-syntax-p2.list" 2>"$B/logs/regex-syntax-p2.build.log" \
    || { tail -20 "$B/logs/regex-syntax-p2.build.log" >&2; exit 2; }
# The mapper's inputs, small to large: name, wasm, crate.
cases=(
    "semver|$(pick semver-1.0.28 semver)|$semver"
    "serde_json-regression|$(pick serde_json-1.0.149 regression)|$sjson"
    "regex-syntax|$(pick regex-syntax-0.8.10 regex_syntax)|$rsyntax"
    "serde_json-test|$(pick serde_json-1.0.149 test)|$sjson"
)

say "running each test wasm once under wasm-run (the mapper's inputs; cached)"
for case in "${cases[@]}"; do
    IFS='|' read -r name wasm crate <<<"$case"
    run=$B/runs/$name
    if [[ ! -f $run/offsets.csv || $run/offsets.csv -ot $wasm ]]; then
        rm -rf "$run"
        rc=0
        "$bin/wasm-run" --out "$run" "$wasm" >"$B/logs/$name.run.log" 2>&1 || rc=$?
        # 1 is "some test failed": serde_json's TCP test cannot pass on WASI.
        [[ $rc -le 1 ]] || { tail -20 "$B/logs/$name.run.log" >&2; exit 2; }
        "$bin/v8cov-extract" "$run/v8-coverage.json" -o "$run/offsets.csv"
    fi
    sizes=$("$node" "$repo/bench/lib/wasm-sizes.cjs" "$wasm")
    meta "case.$name.sizes" "$(sed 's/"/\\"/g' <<<"$sizes")"
    meta "case.$name.wasm" "$(basename "$wasm")"
    meta "case.$name.blocks" "$(($(wc -l <"$run/offsets.csv") - 1))"
    meta "case.$name.rows" "$(llvm-dwarfdump --debug-line "$wasm" | grep -c '^0x0')"
done

# ------------------------------------------------------------ run overhead
if want overhead; then
say "run overhead: regex-syntax's own tests under wasm-run, by --counters, and the plain run"
wasm=$(pick regex-syntax-0.8.10 regex_syntax)
meta overhead.tests "$(grep -o '"outcome":"passed"' "$B/runs/regex-syntax/tests.json" | wc -l)"
meta overhead.threads "$(nproc)"
# The same tool, the same runner, the same worker threads; only where the
# counts come from differs. -i: a test that fails must not stop the bench.
wr="$bin/wasm-run --test-threads $(nproc) --out $B/tmp/overhead"
hf overhead -N -i -w 1 -r "$RUNS" \
    -n "counters off" "$wr --counters off $wasm" \
    -n "counters inject (default)" "$wr --counters inject $wasm" \
    -n "counters inject, every block incremented" "env WASM_RUN_COUNT_EVERY_BLOCK=1 $wr --counters inject $wasm" \
    -n "counters v8" "$wr --counters v8 $wasm" \
    -n "plain node:wasi, one instance" "$node --disable-warning=ExperimentalWarning $repo/bench/lib/plain-wasi.cjs $wasm $rsyntax"
# How many blocks have an increment, and how many block entries the
# increments counted (the rest are derived: docs/formats.md §3b).
for m in 0 1; do
    WASM_RUN_COUNT_EVERY_BLOCK=$m WASM_RUN_COUNTER_STATS="$B/tmp/stats-$m.json" \
        $wr --counters inject "$wasm" >/dev/null 2>&1 || true
    meta "counters.every$m" "$(sed 's/"/\\"/g' "$B/tmp/stats-$m.json")"
done
# Equality on a real published suite: our counters and V8's (one thread:
# V8 loses increments with two) give the same blocks and counts, with the
# deterministic WASI clock the equality test uses (tests/tests/counters.rs).
det="--require $repo/crates/wasm-cov-instrument/tests/js/deterministic-wasi.cjs"
for m in inject v8; do
    NODE_OPTIONS="$det" "$bin/wasm-run" --counters "$m" --test-threads 1 --out "$B/tmp/eq-$m" "$wasm" \
        >"$B/logs/equality-$m.log" 2>&1 || true
    "$bin/v8cov-extract" "$B/tmp/eq-$m/v8-coverage.json" -o "$B/tmp/eq-$m.csv"
done
if cmp -s "$B/tmp/eq-inject.csv" "$B/tmp/eq-v8.csv"; then
    meta equality "identical ($(($(wc -l <"$B/tmp/eq-v8.csv") - 1)) blocks, V8 $("$node" -p process.versions.v8))"
else
    meta equality "DIFFERENT (V8 $("$node" -p process.versions.v8)): $(cmp "$B/tmp/eq-inject.csv" "$B/tmp/eq-v8.csv" | head -1)"
fi
# A module's first instrumentation (wasm-run keeps no cache: this is paid
# on every run).
hf instrument -N -w 1 -r "$RUNS" \
    -n "instrumenting regex-syntax's test wasm" "$bin/wasm-run __instrument $wasm $B/tmp/instrumented.wasm $B/tmp/instrumented.json"
# A browser suite, coverage against none in the same browser: headless
# Chromium (our counters, and V8's) and headless Firefox (our counters).
if command -v chromium >/dev/null; then
    web=$(cd "$repo/examples/browser" && "$bin/cargo-wasm-cov" --no-run 2>"$B/logs/browser.build.log" | grep -E '/web-[0-9a-f]{16}\.wasm$' | head -1)
    wb="$bin/wasm-run --wasm-bindgen-runner $repo/.tools/bin/wasm-bindgen-test-runner --out $B/tmp/browser"
    hf overhead-browser -N -i -w 1 -r 3 \
        -n "chrome, --counters off" "$wb --browser chrome --counters off $web" \
        -n "chrome, --counters inject" "$wb --browser chrome --counters inject $web" \
        -n "chrome, --counters v8" "$wb --browser chrome --counters v8 $web"
fi
if command -v firefox-esr >/dev/null || command -v firefox >/dev/null; then
    web=$(cd "$repo/examples/browser" && "$bin/cargo-wasm-cov" --no-run 2>"$B/logs/browser.build.log" | grep -E '/web-[0-9a-f]{16}\.wasm$' | head -1)
    wb="$bin/wasm-run --wasm-bindgen-runner $repo/.tools/bin/wasm-bindgen-test-runner --out $B/tmp/browser"
    hf overhead-firefox -N -i -w 1 -r 3 \
        -n "firefox, --counters off" "$wb --browser firefox --counters off $web" \
        -n "firefox, --counters inject" "$wb --browser firefox --counters inject $web"
fi
# The tier each function ends in, on a hot loop (see bench/lib/tier.js).
for f in "" "--wasm-code-coverage" "--liftoff-only" "--wasm-code-coverage --no-liftoff"; do
    # shellcheck disable=SC2086
    meta "tier.${f:-none}" "$("$node" --allow-natives-syntax --no-wasm-lazy-compilation $f "$repo/bench/lib/tier.js")"
done

fi

# ----------------------------------------------------------------- engines
if want engines; then
say "engines: regex-syntax's tests on Node and on the embedded wasmtime, and as a wasip2 component"
wasm=$(pick regex-syntax-0.8.10 regex_syntax)
p2=$(grep -E '/regex_syntax-[0-9a-f]{16}\.wasm$' "$B/logs/regex-syntax-p2.list" | head -1)
# wasmtime's compiled code goes to a cache of the bench's own: "first
# compile" turns it off, the others find it warm (hyperfine's warm-up run
# fills it). The plain run is what `cargo test` with a wasmtime runner
# does: every test in one instance, no coverage (wasm-run's program
# harness runs `_start` once, the way the wasmtime CLI does).
export WASM_COV_CACHE=$B/cache
wr="$bin/wasm-run --test-threads $(nproc) --out $B/tmp/engines"
hf engines -N -i -w 1 -r "$RUNS" \
    -n "node, inject" "$wr --engine node $wasm" \
    -n "wasmtime, inject, first compile" "env WASM_RUN_CACHE=off $wr --engine wasmtime $wasm" \
    -n "wasmtime, inject, cached compile" "$wr --engine wasmtime $wasm" \
    -n "wasmtime, off, cached compile" "$wr --engine wasmtime --counters off $wasm" \
    -n "plain wasmtime, one instance" "$bin/wasm-run --engine wasmtime --counters off --harness program --out $B/tmp/engines-plain $wasm" \
    -n "wasip2 component, inject, cached compile" "$wr $p2"
unset WASM_COV_CACHE
meta engines.p2 "$(basename "$p2")"
fi

# ------------------------------------------------------------------- hosts
if want hosts; then
say "hosts: examples/plugins' host tests, with and without collecting the plugins' counts"
ex=$repo/examples/plugins
# The plugins as cargo wasm-cov builds them (coverage flags, wasm32-wasip2),
# the host's tests as cargo test builds them; both sides load the same
# plugin files, so only the collecting differs.
(cd "$ex" && CARGO_ENCODED_RUSTFLAGS=$(printf -- '-C\x1fdebuginfo=2\x1f-C\x1fopt-level=0\x1f-C\x1fcodegen-units=1\x1f-C\x1flink-dead-code') \
    cargo build --quiet --lib --target wasm32-wasip2 -p title -p stats) >&2
host_tests=$(cd "$ex" && cargo test --quiet -p host --no-run --message-format=json 2>/dev/null \
    | "$node" -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{for(const l of s.split("\n")){try{const m=JSON.parse(l);if(m.executable&&m.target.name==="plugins")console.log(m.executable)}catch{}}})')
hf hosts -N -w 1 -r "$RUNS" \
    -n "host tests, plain" "$host_tests -q" \
    -n "host tests, collecting" "env WASM_COV_WASMTIME_DIR=$B/tmp/host-collect $host_tests -q"
fi

# ------------------------------------------------------------------ mapper
if want mapper; then
say "mapper vs llvm-dwarfdump --debug-line, small to large"
for case in "${cases[@]}"; do
    IFS='|' read -r name wasm crate <<<"$case"
    run=$B/runs/$name
    map=("$bin/wasm-cov-mapper" --modules "$run/modules" "$run/offsets.csv" --source-root "$crate" --format json -o "$B/tmp/$name.json")
    hf "mapper-$name" -N -w 1 -r "$RUNS" -n "wasm-cov-mapper" "${map[*]}" -n "llvm-dwarfdump --debug-line" "llvm-dwarfdump --debug-line $wasm"
    rss "mapper.$name" "${map[@]}"
    rss "dwarfdump.$name" llvm-dwarfdump --debug-line "$wasm"
done
IFS='|' read -r name wasm crate <<<"${cases[3]}"
run=$B/runs/$name
hf mapper-variants -N -w 1 -r "$RUNS" \
    -n "mapper (default)" "$bin/wasm-cov-mapper --modules $run/modules $run/offsets.csv --source-root $crate -o $B/tmp/v.json --format json" \
    -n "mapper --no-sources --branch-filter off" "$bin/wasm-cov-mapper --modules $run/modules $run/offsets.csv --source-root $crate -o $B/tmp/v.json --format json --no-sources --branch-filter off" \
    -n "mapper --include-deps" "$bin/wasm-cov-mapper --modules $run/modules $run/offsets.csv --include-deps -o $B/tmp/v.json --format json" \
    -n "v8cov-extract" "$bin/v8cov-extract $run/v8-coverage.json -o $B/tmp/v.csv"
meta v8json.bytes "$(stat -c %s "$run/v8-coverage.json")"
rss extract "$bin/v8cov-extract" "$run/v8-coverage.json" -o "$B/tmp/v.csv"
# Extract against parsing the same file into a serde_json::Value, in one
# process so start-up does not count (crates/v8cov-extract/examples).
cargo run --quiet --release -p v8cov-extract --example bench_extract -- \
    "$run/v8-coverage.json" "$((RUNS * 3))" >"$res/extract-vs-value.txt"
cat "$res/extract-vs-value.txt" >&2

fi

# ------------------------------------------------------------------ report
if want report; then
say "cov-report vs genhtml and lcov -a, on regex-syntax's LCOV"
run=$B/runs/regex-syntax
"$bin/wasm-cov-mapper" --modules "$run/modules" "$run/offsets.csv" --source-root "$rsyntax" -o "$run/lcov.info" 2>/dev/null
meta report.files "$(grep -c '^SF:' "$run/lcov.info")"
meta report.lines "$(grep -c '^DA:' "$run/lcov.info")"
meta report.branches "$(grep -c '^BRDA:' "$run/lcov.info")"
# genhtml reads the sources relative to the current folder, as cov-report does.
hf html -w 1 -r "$RUNS" \
    -n "cov-report --html" "cd $rsyntax && $bin/cov-report $run/lcov.info --html $B/tmp/html-cov -q" \
    -n "genhtml --branch-coverage" "cd $rsyntax && genhtml -q --branch-coverage $run/lcov.info -o $B/tmp/html-genhtml"
# A large report, the size issue 24 measures at: 320 files, 200k lines,
# 80k branches. Each run starts from an empty output folder for both
# tools, as in a fresh CI checkout: on a reused one, cov-report's swap of
# its pages folder (delete 320 pages, create 320) is what gets timed on
# some file systems, while genhtml overwrites its files in place.
big=$B/tmp/big
rm -rf "$big"
"$node" "$repo/bench/lib/big-lcov.cjs" "$big"
meta report-big.files "$(grep -c '^SF:' "$big/big.info")"
meta report-big.lines "$(grep -c '^DA:' "$big/big.info")"
meta report-big.branches "$(grep -c '^BRDA:' "$big/big.info")"
hf html-big -w 1 -r "$RUNS" --prepare "rm -rf $B/tmp/big-html-cov $B/tmp/big-html-genhtml" \
    -n "cov-report --html" "cd $big && $bin/cov-report big.info --html $B/tmp/big-html-cov -q" \
    -n "genhtml --branch-coverage" "cd $big && genhtml -q --branch-coverage big.info -o $B/tmp/big-html-genhtml"
# 50 CI shards: the same files, counts varied per shard (deterministic).
mkdir -p "$B/tmp/shards"
args=()
for i in $(seq 1 50); do
    awk -v i="$i" -F'[:,]' '
        /^DA:/ { print "DA:" $2 "," $3 * (($2 * 7 + i) % 5); next }
        /^BRDA:/ && $5 != "-" { print "BRDA:" $2 "," $3 "," $4 "," $5 * (($2 + i) % 3); next }
        { print }' "$run/lcov.info" >"$B/tmp/shards/shard-$i.info"
    args+=(-a "$B/tmp/shards/shard-$i.info")
done
hf merge -N -w 1 -r 3 \
    -n "cov-report (50 shards)" "$bin/cov-report $(echo "$B"/tmp/shards/shard-*.info) --no-exclusion-markers --lcov $B/tmp/merged-cov.info -q" \
    -n "lcov -a (50 shards)" "lcov -q --rc lcov_branch_coverage=1 ${args[*]} -o $B/tmp/merged-lcov.info"

fi

# ------------------------------------------------------------------ shards
if want shards; then
say "shards: regex-syntax's tests in 8 CI shards, each one's output folder, and the merge"
# --no-doc as in e2e: the doctests would make every shard a rustdoc build.
# Each shard is one CI job's `cargo wasm-cov --no-report --partition`;
# the anchors are one unpartitioned run's folder and its report.
sh=$B/tmp/shards8
rm -rf "$sh"
(cd "$rsyntax" && "$bin/cargo-wasm-cov" --no-doc --no-report --output-dir "$sh/whole") \
    >"$B/logs/shards-whole.log" 2>&1 || { tail -20 "$B/logs/shards-whole.log" >&2; exit 2; }
dirs=()
for m in $(seq 1 8); do
    (cd "$rsyntax" && "$bin/cargo-wasm-cov" --no-doc --no-report --partition "slice:$m/8" --output-dir "$sh/shard-$m") \
        >"$B/logs/shards-$m.log" 2>&1 || { tail -20 "$B/logs/shards-$m.log" >&2; exit 2; }
    dirs+=("$sh/shard-$m")
done
# What a CI job uploads: the whole folder (runs/, modules, shard.json).
meta shards.n 8
meta shards.bytes.whole "$(du -sb "$sh/whole" | cut -f1)"
meta shards.bytes.one "$(du -sb "$sh/shard-1" | cut -f1)"
meta shards.bytes.all "$(du -scb "${dirs[@]}" | tail -1 | cut -f1)"
meta shards.files.one "$(find "$sh/shard-1" -type f | wc -l)"
# CI artifact stores compress it (upload-artifact zips, GitLab's too).
meta shards.gzip.one "$(tar -C "$sh" -cf - shard-1 | gzip -6 | wc -c)"
meta shards.tests "$(awk -F'[:,]' '/"tests"/ { n += $2 } END { print n }' "$sh"/shard-*/shard.json)"
hf shards -w 1 -r "$RUNS" \
    -n "report --runs (8 shards)" "cd $rsyntax && $bin/cargo-wasm-cov report --runs ${dirs[*]} --output-dir $sh/merged" \
    -n "report (one unpartitioned run)" "cd $rsyntax && $bin/cargo-wasm-cov report --output-dir $sh/whole"
# The merge is exact: the same lcov.info as the unpartitioned run's.
if cmp -s "$sh/merged/lcov.info" "$sh/whole/lcov.info"; then
    meta shards.exact "identical lcov.info"
else
    meta shards.exact "DIFFERENT: $(cmp "$sh/merged/lcov.info" "$sh/whole/lcov.info" | head -1)"
fi
fi

# -------------------------------------------------------------- end to end
if want e2e; then
say "end to end on regex-syntax: make coverage (wasm) vs instrument-coverage (native)"
# Dependencies stay built; the crate's own code is rebuilt each run, as in
# CI with a warm cache.
# cargo wasm-cov is what `make coverage` runs once its prerequisites
# (setup, tools) are done; calling it directly keeps a rebuild of the tools
# (someone editing the workspace) out of the timing. --no-doc: the native
# side runs no doctests either.
hf e2e -r 3 --prepare "touch $rsyntax/src/lib.rs" \
    -n "cargo wasm-cov (wasm)" "cd $rsyntax && $bin/cargo-wasm-cov --no-doc --html --output-dir $B/tmp/e2e-wasm" \
    -n "native -C instrument-coverage" "$repo/bench/native-coverage.sh $rsyntax $B/tmp/e2e-native"
fi

[[ -n ${BENCH_SKIP:-} ]] || meta bench.seconds "$(($(date +%s) - started))"
say "writing $DOC"
"$node" "$repo/bench/lib/report.cjs" "$res" "$repo/bench/analysis.md" >"$DOC.tmp"
mv "$DOC.tmp" "$DOC"
sed -n '/^## Summary/,/^## Run overhead/p' "$DOC" | sed '$d' >&2
say "done in $(($(date +%s) - started)) s"
