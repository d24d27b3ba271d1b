#!/usr/bin/env bash
# Compares this pipeline's line coverage with LLVM's own source-based
# coverage of the same test suite (docs/fidelity.md explains the columns and
# every kind of disagreement).
#
#   scripts/compare-llvm.sh CRATE_DIR [OUT_DIR]
#
# 1. native: `cargo test --lib --tests` with `-C instrument-coverage`,
#    llvm-profdata merge, `llvm-cov export --format=lcov` (llvm-tools-preview,
#    installed with rustup if missing), paths made relative to CRATE_DIR;
# 2. wasm: cargo wasm-cov --no-doc in CRATE_DIR (wasm32-wasip1, Node, this
#    mapper; $BIN/cargo-wasm-cov, default target/release);
# 3. prints, per file and in total: lines both instrument, lines only one
#    side instruments, agreement on covered/uncovered for the shared lines,
#    both line percentages and their difference, and the functions LLVM
#    reports as never executed that the wasm report does not.
#
# Only files under CRATE_DIR are compared; the test suite is the one
# `cargo wasm-cov --no-doc` builds (unit and integration tests, no
# doctests, as on the native side). Leaves OUT_DIR/llvm.lcov, OUT_DIR/wasm/lcov.info and
# OUT_DIR/compare.md (the table, as in docs/fidelity.md).
# Exit status: 0 ok (also when the two disagree), 2 error.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
bin=${BIN:-$here/target/release}
crate=${1:?usage: compare-llvm.sh CRATE_DIR [OUT_DIR]}
crate=$(cd "$crate" && pwd)
name=$(basename "$crate")
out=${2:-$here/coverage/compare/$name}
mkdir -p "$out"
out=$(cd "$out" && pwd)

if [[ -n "${RUSTFLAGS:-}" ]]; then
    echo "compare-llvm: RUSTFLAGS is set and would change both builds; unset it" >&2
    exit 2
fi
host=$(rustc -vV | sed -n 's/^host: //p')
llvm_bin="$(rustc --print sysroot)/lib/rustlib/$host/bin"
if [[ ! -x "$llvm_bin/llvm-cov" ]]; then
    echo "compare-llvm: installing llvm-tools-preview" >&2
    rustup component add llvm-tools-preview >&2
fi

# --- 1. native, LLVM source-based coverage --------------------------------
prof="$out/profraw"
rm -rf "$prof"
mkdir -p "$prof"
echo "compare-llvm: native tests of $name with -C instrument-coverage" >&2
json=$(RUSTFLAGS="-C instrument-coverage" LLVM_PROFILE_FILE="$prof/%p-%m.profraw" \
    cargo test --lib --tests --manifest-path "$crate/Cargo.toml" \
    --target-dir "$crate/target/llvm-cov" --message-format=json-render-diagnostics \
    2>"$out/native-test.log") || {
    echo "compare-llvm: native tests failed: cargo test --lib --tests --manifest-path $crate/Cargo.toml" >&2
    tail -5 "$out/native-test.log" >&2
    exit 2
}
mapfile -t objects < <(grep '"reason":"compiler-artifact"' <<<"$json" \
    | grep -o '"executable":"[^"]*"' | sed -e 's/^"executable":"//' -e 's/"$//')
"$llvm_bin/llvm-profdata" merge -sparse "$prof"/*.profraw -o "$out/native.profdata"
if [[ ${#objects[@]} -eq 0 ]]; then
    echo "compare-llvm: cargo built no native test binaries for $crate" >&2
    exit 2
fi
objargs=("${objects[0]}")
for o in "${objects[@]:1}"; do objargs+=(-object "$o"); done
"$llvm_bin/llvm-cov" export --format=lcov --instr-profile "$out/native.profdata" \
    --ignore-filename-regex='(/rustc/|/\.cargo/(registry|git)/|/lib/rustlib/)' \
    "${objargs[@]}" >"$out/llvm.abs.lcov"
# Paths relative to the crate, as the wasm report writes them.
sed -e "s#^SF:$crate/#SF:#" "$out/llvm.abs.lcov" >"$out/llvm.lcov"
rm -f "$out/llvm.abs.lcov"

# --- 2. wasm, this pipeline ------------------------------------------------
echo "compare-llvm: wasm tests of $name through cargo wasm-cov" >&2
rc=0
(cd "$crate" && "$bin/cargo-wasm-cov" --no-doc --output-dir "$out/wasm") \
    >"$out/wasm-test.log" 2>&1 || rc=$?
if [[ $rc -ge 2 ]]; then
    echo "compare-llvm: cargo wasm-cov in $crate failed (exit $rc)" >&2
    tail -5 "$out/wasm-test.log" >&2
    exit 2
fi

# --- 3. compare ------------------------------------------------------------
python3 - "$name" "$out/llvm.lcov" "$out/wasm/lcov.info" "$crate" <<'PY' | tee "$out/compare.md"
import os, sys
from collections import defaultdict

name, llvm_path, wasm_path, crate = sys.argv[1:5]

def read(path):
    """LCOV -> {file: ({line: count}, {fn line: summed count})}."""
    files = {}
    cur = None
    fn_line = {}
    for raw in open(path, encoding="utf-8"):
        line = raw.strip()
        key, _, val = line.partition(":")
        if key == "SF":
            cur = files.setdefault(val, ({}, defaultdict(int)))
            fn_line = {}
        elif key == "DA" and cur is not None:
            ln, cnt = val.split(",")[:2]
            cur[0][int(ln)] = cur[0].get(int(ln), 0) + int(cnt)
        elif key == "FN" and cur is not None:
            parts = val.split(",", 2)
            ln = int(parts[0])
            nm = parts[-1] if len(parts) == 3 and parts[1].isdigit() else val.split(",", 1)[1]
            fn_line[nm] = ln
            cur[1][ln] += 0
        elif key == "FNDA" and cur is not None:
            cnt, nm = val.split(",", 1)
            if nm in fn_line:
                cur[1][fn_line[nm]] += int(cnt)
    return {f: v for f, v in files.items() if not os.path.isabs(f)}

llvm, wasm = read(llvm_path), read(wasm_path)
rows = []
tot = defaultdict(int)
missing_fns = []
for f in sorted(set(llvm) | set(wasm)):
    L = llvm.get(f, ({}, {}))[0]
    W = wasm.get(f, ({}, {}))[0]
    both = set(L) & set(W)
    agree = sum(1 for l in both if (L[l] > 0) == (W[l] > 0))
    r = {
        "both": len(both), "llvm_only": len(set(L) - set(W)), "wasm_only": len(set(W) - set(L)),
        "agree": agree,
        "lf_l": len(L), "lh_l": sum(1 for c in L.values() if c > 0),
        "lf_w": len(W), "lh_w": sum(1 for c in W.values() if c > 0),
    }
    # Functions LLVM says never ran: the wasm side must have a function
    # declared on that line with count 0 (instantiations summed by line).
    LF = llvm.get(f, ({}, {}))[1]
    WF = wasm.get(f, ({}, {}))[1]
    r["fn0_l"] = sum(1 for c in LF.values() if c == 0)
    miss = [ln for ln, c in LF.items() if c == 0 and WF.get(ln) != 0]
    r["fn0_miss"] = len(miss)
    missing_fns += [f"{f}:{ln}" + ("" if ln in WF else " (absent)") for ln in sorted(miss)]
    for k, v in r.items():
        tot[k] += v
    rows.append((f, r))

def pct(h, n):
    return h * 100.0 / n if n else float("nan")

def fmt(f, r):
    pl, pw = pct(r["lh_l"], r["lf_l"]), pct(r["lh_w"], r["lf_w"])
    ag = pct(r["agree"], r["both"])
    return (f"| {f} | {r['both']} | {r['llvm_only']} | {r['wasm_only']} | "
            f"{r['agree']}/{r['both']} ({ag:.1f}%) | {pl:.1f}% | {pw:.1f}% | {pw - pl:+.1f} | "
            f"{r['fn0_l']} | {r['fn0_miss']} |")

print(f"### {name}\n")
print("| file | both | LLVM only | wasm only | agree (covered/uncovered) | LLVM line % | wasm line % | diff | fns LLVM never ran | of those not 0 in wasm |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for f, r in rows:
    print(fmt(f, r))
print(fmt("**TOTAL**", tot))
if missing_fns:
    print("\nFunctions LLVM reports never executed that the wasm report does not report with count 0:")
    for m in missing_fns:
        print(f"- {m}")
# Lines that differ, for the explanations in docs/fidelity.md.
print("\n<details><summary>disagreements</summary>\n")
for f in sorted(set(llvm) | set(wasm)):
    L = llvm.get(f, ({}, {}))[0]
    W = wasm.get(f, ({}, {}))[0]
    src = []
    p = os.path.join(crate, f)
    if os.path.isfile(p):
        src = open(p, encoding="utf-8", errors="replace").read().split("\n")
    def text(l):
        return src[l - 1].strip()[:70] if 0 < l <= len(src) else ""
    for l in sorted(set(L) | set(W)):
        kind = None
        if l not in W:
            kind = "llvm-only" + (" (hit)" if L[l] else " (0)")
        elif l not in L:
            kind = "wasm-only" + (" (hit)" if W[l] else " (0)")
        elif (L[l] > 0) != (W[l] > 0):
            kind = f"disagree llvm={L[l]} wasm={W[l]}"
        if kind:
            print(f"    {f}:{l} {kind}: {text(l)}")
print("\n</details>")
PY
