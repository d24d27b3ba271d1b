#!/usr/bin/env python3
"""The mapper against `llvm-dwarfdump --debug-line`, by hand, for comparing
builds of the mapper on the inputs `bench/run.sh` prepares (its mapper
section, without hyperfine): each command started with os.wait4 for its
CPU time and peak RSS, the commands interleaved, medians.

    bench/lib/mapper-vs-dwarfdump.py BIN_DIR[,BIN_DIR...] CASE...

BIN_DIR holds a wasm-cov-mapper (e.g. target/release, or a copy of an
older build); CASE is a folder name under $BENCH_DIR/runs (semver,
serde_json-regression, regex-syntax, serde_json-test). dwarfdump reads the
module wasm-run saved in runs/CASE/modules/ (the test wasm's very bytes).
Each build's output goes to $BENCH_DIR/tmp/out-<bin dir name>-CASE.json,
for `cmp` between builds. RUNS (default 11) timed runs after one warm-up.
"""
import os
import statistics
import subprocess
import sys
import time

B = os.environ.get("BENCH_DIR", os.path.join(os.path.dirname(__file__), "../../target/bench"))
RUNS = int(os.environ.get("RUNS", "11"))
CRATE = {
    "semver": "semver-1.0.28",
    "serde_json-regression": "serde_json-1.0.149",
    "regex-syntax": "regex-syntax-0.8.10",
    "serde_json-test": "serde_json-1.0.149",
}


def timed(cmd):
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    if status != 0:
        sys.exit(f"failed: {' '.join(cmd)}")
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024


def main():
    bins, cases = sys.argv[1].split(","), sys.argv[2:]
    os.makedirs(f"{B}/tmp", exist_ok=True)
    for case in cases:
        run = f"{B}/runs/{case}"
        saved = sorted(os.listdir(f"{run}/modules"))
        wasm = f"{run}/modules/{saved[0]}"
        cmds = {}
        for b in bins:
            name = os.path.basename(os.path.normpath(b))
            cmds[name] = [f"{b}/wasm-cov-mapper", "--modules", f"{run}/modules", f"{run}/offsets.csv",
                          "--source-root", f"{B}/crates/{CRATE[case]}", "--format", "json",
                          "-o", f"{B}/tmp/out-{name}-{case}.json"]
        cmds["dwarfdump"] = ["llvm-dwarfdump", "--debug-line", wasm]
        for c in cmds.values():
            timed(c)
        res = {k: [] for k in cmds}
        for _ in range(RUNS):
            for k, c in cmds.items():
                res[k].append(timed(c))
        dw = statistics.median(r[0] for r in res["dwarfdump"])
        dc = statistics.median(r[1] for r in res["dwarfdump"])
        for k, v in res.items():
            w = statistics.median(r[0] for r in v)
            cpu = statistics.median(r[1] for r in v)
            rss = max(r[2] for r in v)
            print(f"{case:24} {k:12} wall {w:.3f} s  cpu {cpu:.3f} s  rss {rss:.0f} MB"
                  f"  vs dwarfdump: wall {w / dw:.2f}x  cpu {cpu / dc:.2f}x")


main()
