//! Helpers shared by the integration tests: locating and building the real
//! tools, building the example crates for wasm, running commands and the
//! pipeline's stages, finding source lines by their `// cov:` markers,
//! taking a module's DWARF out of it, and comparing output with golden
//! files (`BLESS=1` rewrites them).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers: a failure is a failed test"
)]

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, OnceLock};

use wasm_cov_format::{read_lcov, Coverage, TestReport};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Path of a tool binary, built (once per test process) with the same cargo
/// that runs the tests, so the tests never exercise a stale binary.
pub fn tool(name: &str) -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .current_dir(root())
            .args(["build", "--quiet", "--bins"])
            .args([
                "-p",
                "wasm-run",
                "-p",
                "v8cov-extract",
                "-p",
                "wasm-cov-mapper",
                "-p",
                "cov-report",
            ])
            .status()
            .expect("cannot run cargo");
        assert!(status.success(), "building the tools failed");
        let node = root().join("node_modules/.bin/node");
        assert!(
            node.is_file(),
            "{} is missing: run `make test` (or `make setup`) so npm installs the pinned Node",
            node.display()
        );
    });
    target_dir().join("debug").join(name)
}

/// The target dir cargo builds into: `$CARGO_TARGET_DIR` (another
/// toolchain's, under `make test-toolchains`), else the workspace's.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from)
}

/// A fresh scratch folder under `target/it/NAME` (of the target dir in
/// use, so two toolchains' runs never share one), emptied first. Kept
/// after the test so a failure can be inspected.
pub fn scratch(name: &str) -> PathBuf {
    let dir = target_dir().join("it").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The demo crate's test .wasm, built for wasm32-wasip1 with the coverage
/// flags and the given cargo arguments (once per argument list).
pub fn demo_wasm(cargo_args: &[&str]) -> PathBuf {
    build_example("demo", cargo_args, "")
}

/// The first test .wasm of `examples/NAME`, built by
/// `scripts/build-wasm-tests.sh` with `cargo_args` and, after the coverage
/// flags, `extra_rustflags` (`WASM_COV_EXTRA_RUSTFLAGS`); once per test
/// process and combination.
pub fn build_example(name: &str, cargo_args: &[&str], extra_rustflags: &str) -> PathBuf {
    type Key = (String, Vec<String>, String);
    static CACHE: OnceLock<Mutex<HashMap<Key, PathBuf>>> = OnceLock::new();
    let key: Key = (
        name.to_owned(),
        cargo_args.iter().map(|s| s.to_string()).collect(),
        extra_rustflags.to_owned(),
    );
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(p) = cache.get(&key) {
        return p.clone();
    }
    let out = Command::new(root().join("scripts/build-wasm-tests.sh"))
        .arg(root().join("examples").join(name))
        .args(cargo_args)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env("WASM_COV_EXTRA_RUSTFLAGS", extra_rustflags)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "building examples/{name} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let wasm = PathBuf::from(stdout.lines().next().expect("no test binary built"));
    cache.insert(key, wasm.clone());
    wasm
}

/// Node 22 from npm in target/, for `--counters inject` on the oldest Node
/// it supports; None (with the reason printed) when npm is unavailable.
pub fn node22() -> Option<PathBuf> {
    static NODE: OnceLock<Option<PathBuf>> = OnceLock::new();
    NODE.get_or_init(|| {
        let prefix = root().join("target/node22");
        let node = prefix.join("node_modules/.bin/node");
        if !node.is_file() {
            match Command::new("npm")
                .args(["install", "--no-save", "--prefix"])
                .arg(&prefix)
                .arg("node@22")
                .output()
            {
                Err(e) => {
                    eprintln!("npm is unavailable ({e}); the Node 22 checks are skipped");
                    return None;
                }
                Ok(o) => assert!(
                    o.status.success() && node.is_file(),
                    "npm install node@22 failed:\n{}",
                    String::from_utf8_lossy(&o.stderr)
                ),
            }
        }
        Some(node)
    })
    .clone()
}

/// The Node preload that makes node:wasi's clock and random source
/// deterministic (the instrumenter's `deterministic-wasi.cjs`).
pub fn deterministic_hook() -> PathBuf {
    root().join("crates/wasm-cov-instrument/tests/js/deterministic-wasi.cjs")
}

/// Gives a `wasm-run` command the same clock and random source on every
/// run, on Node (`deterministic_hook`, preloaded with NODE_OPTIONS, which
/// reaches the runner's workers) and on wasmtime
/// (`WASM_RUN_DETERMINISTIC_WASI`). A test that compares the counts of two
/// runs needs it: libtest prints "finished in 0.00s", and which paths core's
/// float formatting takes depends on the digits, so a busy machine can
/// change a handful of counts.
pub fn deterministic(cmd: &mut Command) -> &mut Command {
    cmd.env(
        "NODE_OPTIONS",
        format!("--require {}", deterministic_hook().display()),
    )
    .env("WASM_RUN_DETERMINISTIC_WASI", "1")
}

/// Runs a command and returns its output, with stdout/stderr as text.
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(cmd: &mut Command) -> Ran {
    let out: Output = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

impl Ran {
    /// Asserts the exit status, showing all output when it differs.
    #[track_caller]
    pub fn expect(self, code: i32) -> Self {
        assert_eq!(
            self.code, code,
            "exit status {} (wanted {code})\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }
}

/// Fails unless `text` contains every one of `needles`, naming the first
/// missing one and showing all of `text`.
#[track_caller]
pub fn assert_contains(text: &str, needles: &[&str]) {
    for n in needles {
        assert!(text.contains(n), "{n:?} is missing from:\n{text}");
    }
}

/// The 1-based line of `src/lib.rs` in the demo that holds `// cov: MARKER`.
pub fn demo_line(marker: &str) -> u32 {
    example_line("demo", marker)
}

/// The first line of `src/lib.rs` in the demo containing `text`.
pub fn demo_line_of(text: &str) -> u32 {
    let src = std::fs::read_to_string(root().join("examples/demo/src/lib.rs")).unwrap();
    src.lines()
        .position(|l| l.contains(text))
        .map(|i| i as u32 + 1)
        .unwrap_or_else(|| panic!("{text:?} not in the demo"))
}

pub fn read_lcov_file(path: &Path) -> Coverage {
    read_lcov(std::fs::read(path).unwrap().as_slice()).unwrap()
}

/// The test .wasm of `examples/NAME`, built for its wasm target with the
/// coverage flags (once per test process and example).
pub fn example_wasm(name: &str) -> PathBuf {
    build_example(name, &[], "")
}

/// The 1-based line of `examples/EXAMPLE/src/lib.rs` that holds
/// `// cov: MARKER` (exactly once).
pub fn example_line(example: &str, marker: &str) -> u32 {
    let path = root().join("examples").join(example).join("src/lib.rs");
    let src = std::fs::read_to_string(path).unwrap();
    let needle = format!("// cov: {marker}");
    let hits: Vec<u32> = src
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains(&needle))
        .map(|(i, _)| i as u32 + 1)
        .collect();
    assert_eq!(
        hits.len(),
        1,
        "marker {marker:?} must appear exactly once in examples/{example}"
    );
    hits[0]
}

/// The coverage flags for wasm32-unknown-unknown.
pub const WASM_BINDGEN_FLAGS: &str =
    "-C debuginfo=2 -C opt-level=0 -C codegen-units=1 -C link-dead-code";

/// The wasm-bindgen test binaries of examples/`name` (its `--tests`, with
/// `cargo_args`), built for wasm32-unknown-unknown with the coverage flags
/// into its `target/wasm-cov`, by target name.
pub fn wasm_bindgen_suites(name: &str, cargo_args: &[&str]) -> BTreeMap<String, PathBuf> {
    let dir = root().join("examples").join(name);
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "test",
            "--no-run",
            "--tests",
            "--target",
            "wasm32-unknown-unknown",
        ])
        .args(["--message-format", "json-render-diagnostics"])
        .args(cargo_args)
        .arg("--manifest-path")
        .arg(dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(dir.join("target/wasm-cov"))
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS",
            WASM_BINDGEN_FLAGS,
        )
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "building examples/{name} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut found = BTreeMap::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let msg: serde_json::Value = serde_json::from_str(line).unwrap();
        if let (Some(exe), Some(target)) =
            (msg["executable"].as_str(), msg["target"]["name"].as_str())
        {
            found.insert(target.to_owned(), PathBuf::from(exe));
        }
    }
    found
}

/// Each wasm block's count in a v8-coverage.json, by (start, end), over
/// all its modules; the JavaScript scripts beside them are left out.
pub fn v8_block_counts(path: &Path) -> BTreeMap<(u64, u64), u64> {
    let doc: wasm_cov_format::V8Coverage =
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let mut out = BTreeMap::new();
    for s in doc.result.iter().filter(|s| s.wasm.is_some()) {
        for f in &s.functions {
            for r in &f.ranges[1..] {
                *out.entry((r.start_offset, r.end_offset)).or_insert(0) += r.count;
            }
        }
    }
    out
}

/// A per-test module's tests added up, block by block, keyed as
/// [`v8_block_counts`] keys them.
pub fn per_test_sums(m: &wasm_cov_format::PerTestModule) -> BTreeMap<(u64, u64), u64> {
    m.blocks
        .iter()
        .zip(m.totals())
        .map(|(b, c)| ((b.start, b.end), c))
        .collect()
}

/// v8cov-extract with `--per-test` on what wasm-run wrote to `cov`, into
/// `dir/offsets.csv` and `dir/per-test.jsonl`.
pub fn extract_per_test(cov: &Path, dir: &Path) -> Ran {
    run(Command::new(tool("v8cov-extract"))
        .arg(cov.join("v8-coverage.json"))
        .arg("-o")
        .arg(dir.join("offsets.csv"))
        .arg("--per-test")
        .arg(dir.join("per-test.jsonl")))
    .expect(0)
}

/// The per-test half of the pipeline on what wasm-run wrote to `cov`:
/// v8cov-extract with `--per-test`, then the mapper with `--per-test`,
/// writing `dir/offsets.csv`, `dir/per-test.jsonl`, `dir/mapped.json` and
/// `dir/lcov-per-test.info`, paths relative to `source_root`.
pub fn map_per_test(cov: &Path, dir: &Path, source_root: &Path) {
    extract_per_test(cov, dir);
    let per_test = dir.join("per-test.jsonl");
    let lcov = dir.join("lcov-per-test.info");
    let utf8 = |p: &Path| p.to_str().expect("a UTF-8 scratch path").to_owned();
    map_offsets(
        cov,
        &dir.join("offsets.csv"),
        source_root,
        &[
            "--per-test",
            &utf8(&per_test),
            "--format",
            "json",
            "--lcov-per-test",
            &utf8(&lcov),
        ],
        &dir.join("mapped.json"),
    );
}

/// Runs v8cov-extract on what wasm-run wrote to `cov_dir`, into `offsets`.
pub fn extract(cov_dir: &Path, offsets: &Path) {
    run(Command::new(tool("v8cov-extract"))
        .arg(cov_dir.join("v8-coverage.json"))
        .arg("-o")
        .arg(offsets))
    .expect(0);
}

/// Runs wasm-cov-mapper on `offsets` with the modules wasm-run saved in
/// `cov_dir`, paths relative to `source_root`, and `args`; writes `out`.
pub fn map_offsets(cov_dir: &Path, offsets: &Path, source_root: &Path, args: &[&str], out: &Path) {
    run(Command::new(tool("wasm-cov-mapper"))
        .arg("--modules")
        .arg(cov_dir.join("modules"))
        .arg(offsets)
        .arg("--source-root")
        .arg(source_root)
        .args(args)
        .arg("-o")
        .arg(out))
    .expect(0);
}

/// Runs v8cov-extract and wasm-cov-mapper on what wasm-run wrote to
/// `cov_dir` (its `offsets.csv` and `lcov.info` go there too) and returns
/// the coverage, with paths relative to `source_root`.
pub fn map_coverage(cov_dir: &Path, source_root: &Path) -> Coverage {
    let offsets = cov_dir.join("offsets.csv");
    extract(cov_dir, &offsets);
    let lcov = cov_dir.join("lcov.info");
    map_offsets(cov_dir, &offsets, source_root, &[], &lcov);
    read_lcov_file(&lcov)
}

/// The `tests.json` wasm-run wrote to `cov_dir`.
pub fn test_report(cov_dir: &Path) -> TestReport {
    TestReport::from_json(&std::fs::read(cov_dir.join("tests.json")).unwrap()).unwrap()
}

/// The count of `line` in `src/lib.rs`; a line that is not instrumented
/// fails the test.
#[track_caller]
pub fn line_count(cov: &Coverage, line: u32) -> u64 {
    let file = cov
        .files
        .get("src/lib.rs")
        .unwrap_or_else(|| panic!("no src/lib.rs in {:?}", cov.files.keys()));
    *file
        .lines
        .get(&line)
        .unwrap_or_else(|| panic!("line {line} of src/lib.rs is not instrumented"))
}

// ------------------------------------------------------------------ wasm bytes

/// One custom section: id 0, size, name, data.
pub fn custom_section(name: &str, data: &[u8]) -> Vec<u8> {
    let mut payload = leb128(name.len() as u64);
    payload.extend(name.as_bytes());
    payload.extend(data);
    let mut s = vec![0];
    s.extend(leb128(payload.len() as u64));
    s.extend(payload);
    s
}

/// `v` as unsigned LEB128.
pub fn leb128(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return out;
        }
        out.push(b | 0x80);
    }
}

/// `bytes` without its `.debug_*` custom sections, with `front` inserted
/// before the code section. Every other section is copied byte for byte, so
/// the code section payload stays identical.
pub fn strip_debug(bytes: &[u8], front: &[u8]) -> Vec<u8> {
    let mut out = bytes[..8].to_vec();
    let mut at = 8;
    while at < bytes.len() {
        let id = bytes[at];
        let (mut size, mut p, mut shift) = (0u64, at + 1, 0);
        loop {
            let b = bytes[p];
            size |= u64::from(b & 0x7f) << shift;
            shift += 7;
            p += 1;
            if b & 0x80 == 0 {
                break;
            }
        }
        let end = p + size as usize;
        let is_debug = id == 0 && {
            let name_len = bytes[p] as usize; // DWARF section names are short
            bytes[p + 1..p + 1 + name_len].starts_with(b".debug_")
        };
        if id == 10 {
            out.extend(front);
        }
        if !is_debug {
            out.extend(&bytes[at..end]);
        }
        at = end;
    }
    out
}

// ------------------------------------------------------------------ goldens

/// True when `BLESS` is set: goldens are rewritten instead of compared.
pub fn blessing() -> bool {
    std::env::var_os("BLESS").is_some()
}

/// Compares `actual` with the golden file `path`; under `BLESS=1` writes
/// it there instead. A missing golden reads as empty, and blessing an empty
/// output removes the file, so goldens of outputs that should stay empty
/// need not exist (as in wasm-tools `tests/cli.rs`). The error names the
/// file and shows a line diff, expected against actual.
pub fn check_golden(path: &Path, actual: &str) -> Result<(), String> {
    if blessing() {
        if actual.is_empty() {
            let _ = std::fs::remove_file(path);
        } else {
            std::fs::write(path, actual).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        return Ok(());
    }
    let expected = std::fs::read_to_string(path).unwrap_or_default();
    if expected == actual {
        return Ok(());
    }
    let shown = path.strip_prefix(root()).unwrap_or(path);
    Err(format!(
        "{} differs from the actual output (BLESS=1 to accept it):\n{}",
        shown.display(),
        line_diff(&expected, actual)
    ))
}

/// A line diff of `expected` against `actual`: `-` lines only expected,
/// `+` lines only actual, a space before the lines both have (as `diff -u`).
pub fn line_diff(expected: &str, actual: &str) -> String {
    let e: Vec<&str> = expected.lines().collect();
    let a: Vec<&str> = actual.lines().collect();
    let mut out = String::from("--- expected\n+++ actual\n");
    if e.len().saturating_mul(a.len()) > 4_000_000 {
        // Too big for the quadratic table: show both whole.
        e.iter().for_each(|l| out.push_str(&format!("-{l}\n")));
        a.iter().for_each(|l| out.push_str(&format!("+{l}\n")));
        return out;
    }
    // common[i][j]: the longest common subsequence of e[i..] and a[j..].
    let mut common = vec![vec![0usize; a.len() + 1]; e.len() + 1];
    for i in (0..e.len()).rev() {
        for j in (0..a.len()).rev() {
            common[i][j] = if e[i] == a[j] {
                common[i + 1][j + 1] + 1
            } else {
                common[i + 1][j].max(common[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < e.len() || j < a.len() {
        if i < e.len() && j < a.len() && e[i] == a[j] {
            out.push_str(&format!(" {}\n", e[i]));
            (i, j) = (i + 1, j + 1);
        } else if i < e.len() && (j == a.len() || common[i + 1][j] >= common[i][j + 1]) {
            out.push_str(&format!("-{}\n", e[i]));
            i += 1;
        } else {
            out.push_str(&format!("+{}\n", a[j]));
            j += 1;
        }
    }
    if e == a {
        out.push_str("(the lines agree: they differ in line endings or the final newline)\n");
    }
    out
}
