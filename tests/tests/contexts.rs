//! Per-test contexts of wasm-bindgen-test suites: one suite
//! (examples/contexts, whose tests each reach one function of the lib, an
//! async one after a timer) on Node, in a page and in dedicated, shared and
//! service workers, in headless Chromium and Firefox. All of a suite's
//! tests run in one instance; wasm-run splits its counts at each test's
//! boundaries (js/contexts.cjs). Each test's LCOV section must hold exactly
//! its own lines, and the per-test counts must add up to the totals.
#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use integration_tests::{
    example_line, map_per_test, per_test_sums, root, run, scratch, tool, v8_block_counts,
    wasm_bindgen_suites,
};
use wasm_cov_format::{PerTest, V8Coverage, NO_TEST};

/// Each test, the function of the lib only it reaches, and its LCOV name.
const TESTS: [(&str, &str); 3] = [
    ("adds", "ctx-add"),
    ("doubles_after_a_timer", "ctx-double"),
    ("negates", "ctx-negate"),
];

/// examples/contexts's suites by target name, built once.
fn suites() -> &'static BTreeMap<String, PathBuf> {
    static SUITES: OnceLock<BTreeMap<String, PathBuf>> = OnceLock::new();
    SUITES.get_or_init(|| wasm_bindgen_suites("contexts", &[]))
}

/// `src/lib.rs`'s `DA` lines of each `TN:` section: test -> line -> count.
fn lib_sections(text: &str) -> BTreeMap<String, BTreeMap<u32, u64>> {
    let mut out: BTreeMap<String, BTreeMap<u32, u64>> = BTreeMap::new();
    let (mut tn, mut sf) = (String::new(), String::new());
    for l in text.lines() {
        if let Some(n) = l.strip_prefix("TN:") {
            tn = n.to_owned();
        } else if let Some(f) = l.strip_prefix("SF:") {
            sf = f.to_owned();
        } else if let Some(da) = l.strip_prefix("DA:") {
            let (line, count) = da.split_once(',').unwrap();
            let count: u64 = count.parse().unwrap();
            if sf == "src/lib.rs" && count > 0 {
                out.entry(tn.clone())
                    .or_default()
                    .insert(line.parse().unwrap(), count);
            }
        }
    }
    out
}

/// Runs suite `name` (in `browser`, or on Node) and checks its contexts.
fn check(name: &str, browser: Option<&str>) {
    let dir = scratch(&format!("contexts-{name}-{}", browser.unwrap_or("node")));
    let cov = dir.join("cov");
    let mut cmd = Command::new(tool("wasm-run"));
    cmd.arg("--out")
        .arg(&cov)
        .arg("--wasm-bindgen-runner")
        .arg(root().join(".tools/bin/wasm-bindgen-test-runner"))
        .env_remove("WASM_RUN_BROWSER")
        .env_remove("WASM_RUN_BROWSER_BIN");
    if let Some(b) = browser {
        cmd.args(["--browser", b]);
    }
    let ran = run(cmd.arg(&suites()[name])).expect(0);
    let what = format!("{name} in {}", browser.unwrap_or("Node"));
    assert!(
        ran.stdout.contains("test result: ok. 3 passed"),
        "{what}: {}",
        ran.stdout
    );

    // Every test that ran has its counts; the ignored one has none; and
    // the tests add up to the totals exactly, <no test> included.
    let doc = PerTest::read(
        std::fs::read(cov.join("per-test.jsonl"))
            .unwrap()
            .as_slice(),
    )
    .unwrap();
    assert_eq!(doc.modules.len(), 1, "{what}");
    let m = doc.modules.values().next().unwrap();
    let names: Vec<&str> = m.tests.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [NO_TEST, TESTS[0].0, TESTS[1].0, TESTS[2].0],
        "{what}"
    );
    let sums = per_test_sums(m);
    assert_eq!(
        sums,
        v8_block_counts(&cov.join("v8-coverage.json")),
        "{what}: tests do not add up to the totals"
    );

    // wasm-run's own scripts are not the user's JavaScript.
    let doc: V8Coverage =
        serde_json::from_slice(&std::fs::read(cov.join("v8-coverage.json")).unwrap()).unwrap();
    for s in &doc.result {
        let ours = ["hook.cjs", "browser.cjs", "counters.cjs", "contexts.cjs"];
        assert!(
            !ours.iter().any(|f| s.url.ends_with(&format!("/{f}"))),
            "{what}: wasm-run's own {} is in v8-coverage.json",
            s.url
        );
    }

    // Mapped: each test's section holds exactly the lines of its function.
    map_per_test(&cov, &dir, &root().join("examples/contexts"));
    let sections = lib_sections(&std::fs::read_to_string(dir.join("lcov-per-test.info")).unwrap());
    for (test, marker) in TESTS {
        let line = example_line("contexts", marker);
        // The function's signature, body and closing brace.
        let want: BTreeSet<u32> = (line - 1..=line + 1).collect();
        let got: BTreeSet<u32> = sections
            .get(test)
            .map(|l| l.keys().copied().collect())
            .unwrap_or_default();
        assert_eq!(got, want, "{what}: the lines of src/lib.rs that {test} ran");
    }
    assert_eq!(
        sections.keys().collect::<Vec<_>>(),
        TESTS.iter().map(|(t, _)| t).collect::<Vec<_>>(),
        "{what}: only the three tests ran lines of the lib; <no test> none"
    );
}

#[test]
fn each_node_test_has_exactly_its_own_lines() {
    check("node", None);
}

#[test]
fn each_chromium_test_has_exactly_its_own_lines_in_a_page_and_in_workers() {
    for suite in ["web", "worker", "shared", "service"] {
        check(suite, Some("chrome"));
    }
}

#[test]
fn each_firefox_test_has_exactly_its_own_lines_in_a_page_and_in_workers() {
    for suite in ["web", "worker", "shared", "service"] {
        check(suite, Some("firefox"));
    }
}

/// The listening TCP ports (127.0.0.1) of process `pid` and all its
/// descendants, as a local process of the same user can find them in
/// /proc: the sockets among their file descriptors, looked up in
/// /proc/net/tcp.
fn listening_ports(pid: u32) -> BTreeSet<u16> {
    let mut parent = BTreeMap::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(p) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        // "pid (comm) state ppid ...": comm may hold spaces and parens.
        let after = &stat[stat.rfind(')').unwrap_or(0) + 1..];
        if let Some(pp) = after
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse::<u32>().ok())
        {
            parent.insert(p, pp);
        }
    }
    let mut tree = BTreeSet::from([pid]);
    loop {
        let more: Vec<u32> = parent
            .iter()
            .filter(|(p, pp)| tree.contains(pp) && !tree.contains(p))
            .map(|(p, _)| *p)
            .collect();
        if more.is_empty() {
            break;
        }
        tree.extend(more);
    }
    let mut inodes = BTreeSet::new();
    for p in &tree {
        let Ok(fds) = std::fs::read_dir(format!("/proc/{p}/fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            if let Ok(link) = std::fs::read_link(fd.path()) {
                let link = link.to_string_lossy().into_owned();
                if let Some(n) = link
                    .strip_prefix("socket:[")
                    .and_then(|l| l.strip_suffix(']'))
                {
                    inodes.insert(n.to_owned());
                }
            }
        }
    }
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    table
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            // Field 3 is the state (0A: listening), field 9 the inode.
            let (addr, port) = f.get(1)?.split_once(':')?;
            let ours = f.get(3) == Some(&"0A") && addr == "0100007F" && inodes.contains(*f.get(9)?);
            ours.then(|| u16::from_str_radix(port, 16).ok()).flatten()
        })
        .collect()
}

/// POSTs `body` to `path` on 127.0.0.1:`port`; the HTTP status, if any.
fn post(port: u16, path: &str, body: &[u8]) -> Option<u16> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(1)))
        .ok()?;
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).ok()?;
    s.write_all(body).ok()?;
    // The status line only: a server may keep the connection open.
    let mut reply = Vec::new();
    let mut buf = [0u8; 256];
    while !reply.contains(&b'\n') {
        let n = s.read(&mut buf).ok().filter(|n| *n > 0)?;
        reply.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&reply)
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Counters posted to a browser run's endpoint by anyone but the page
/// wasm-run started are refused (403) and counted in run.log, and none of
/// the forged counts are taken. The forged POST is one the
/// driver would have taken without the secret: the right module, a
/// million in every block, and a forged test.
#[test]
fn the_counters_endpoint_takes_only_the_page_wasm_run_started() {
    let dir = scratch("contexts-endpoint");
    let wasm = &suites()["waits"];
    let start = |out: &Path| {
        let mut cmd = Command::new(tool("wasm-run"));
        cmd.arg("--out")
            .arg(out)
            .arg("--wasm-bindgen-runner")
            .arg(root().join(".tools/bin/wasm-bindgen-test-runner"))
            .args(["--browser", "chrome"])
            .env_remove("WASM_RUN_BROWSER")
            .env_remove("WASM_RUN_BROWSER_BIN")
            .arg(wasm)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        cmd.spawn().unwrap()
    };

    // An undisturbed run: the module, its blocks, its counts.
    let quiet = dir.join("quiet");
    assert!(start(&quiet).wait().unwrap().success());
    let doc = PerTest::read(
        std::fs::read(quiet.join("per-test.jsonl"))
            .unwrap()
            .as_slice(),
    )
    .unwrap();
    let (sha, m) = doc.modules.iter().next().unwrap();
    let blocks = m.blocks.len();
    let head = serde_json::json!({
        "realm": "forged", "seq": 1, "from": 0,
        "instances": [{"module": sha, "blocks": blocks}],
        "tests": [{"module": sha, "test": "forged", "idx": [0], "half": [1_000_000, 0]}],
    });
    let mut body = format!("{head}\n").into_bytes();
    for _ in 0..blocks {
        body.extend_from_slice(&1_000_000u64.to_le_bytes());
    }

    // The same run, while every port it listens on gets the forged POST,
    // at the old endpoint and under a wrong secret.
    let attacked = dir.join("attacked");
    let mut child = start(&attacked);
    let mut tried = BTreeSet::new();
    let mut statuses = Vec::new();
    while child.try_wait().unwrap().is_none() {
        for port in listening_ports(child.id()) {
            if tried.insert(port) {
                for path in [
                    "/__wasm_run/counters",
                    "/__wasm_run/counters/0123456789abcdef",
                ] {
                    statuses.push((port, path, post(port, path, &body)));
                }
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(child.wait().unwrap().success());
    assert!(
        statuses.iter().any(|(_, _, s)| *s == Some(403)),
        "no port of the run refused the forged counters: {statuses:?}"
    );
    let refused = statuses.iter().filter(|(_, _, s)| *s == Some(403)).count();
    let log = std::fs::read_to_string(attacked.join("run.log")).unwrap();
    assert!(
        log.contains(&format!(
            "refused {refused} request(s) to the counters endpoint"
        )),
        "{log}"
    );
    // The suite's own counts vary a little from run to run (the harness
    // reads the clock), so the test is that none of the forged ones came
    // in, and that the blocks are the same.
    let counts = v8_block_counts(&attacked.join("v8-coverage.json"));
    let forged: Vec<_> = counts
        .iter()
        .filter(|(_, c)| **c >= 1_000_000)
        .take(5)
        .collect();
    assert!(
        forged.is_empty(),
        "the forged counters were taken: {forged:?}"
    );
    assert!(
        counts
            .keys()
            .eq(v8_block_counts(&quiet.join("v8-coverage.json")).keys()),
        "the blocks differ between the runs"
    );
    let doc = PerTest::read(
        std::fs::read(attacked.join("per-test.jsonl"))
            .unwrap()
            .as_slice(),
    )
    .unwrap();
    let names: Vec<&str> = doc.modules[sha].tests.keys().map(String::as_str).collect();
    assert_eq!(names, [NO_TEST, "adds_after_a_while"]);
}
