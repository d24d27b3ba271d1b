//! Browser suites: telling where a wasm-bindgen-test binary wants to run,
//! finding the browser, and running it through `js/browser.cjs`, which
//! drives headless Chromium over the DevTools protocol and headless Firefox
//! over WebDriver BiDi.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use clap::ValueEnum;

/// Where wasm-bindgen-test-runner 0.2.130 runs a test binary
/// (`wasm_bindgen_test_runner.rs`, `TestMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestMode {
    Node,
    Deno,
    Browser,
    DedicatedWorker,
    SharedWorker,
    ServiceWorker,
    Emscripten,
}

impl TestMode {
    /// True for the modes that need a browser.
    pub fn in_browser(self) -> bool {
        matches!(
            self,
            TestMode::Browser
                | TestMode::DedicatedWorker
                | TestMode::SharedWorker
                | TestMode::ServiceWorker
        )
    }

    /// The name wasm-run prints and writes.
    pub fn name(self) -> &'static str {
        match self {
            TestMode::Node => "node",
            TestMode::Deno => "deno",
            TestMode::Browser => "browser",
            TestMode::DedicatedWorker => "dedicated worker",
            TestMode::SharedWorker => "shared worker",
            TestMode::ServiceWorker => "service worker",
            TestMode::Emscripten => "emscripten",
        }
    }

    /// The environment variable that picks this mode when the module has no
    /// `__wasm_bindgen_test_unstable` section.
    fn env(self) -> &'static str {
        match self {
            TestMode::Node => "WASM_BINDGEN_USE_NODE_EXPERIMENTAL",
            TestMode::Deno => "WASM_BINDGEN_USE_DENO",
            TestMode::Browser => "WASM_BINDGEN_USE_BROWSER",
            TestMode::DedicatedWorker => "WASM_BINDGEN_USE_DEDICATED_WORKER",
            TestMode::SharedWorker => "WASM_BINDGEN_USE_SHARED_WORKER",
            TestMode::ServiceWorker => "WASM_BINDGEN_USE_SERVICE_WORKER",
            TestMode::Emscripten => "WASM_BINDGEN_USE_EMSCRIPTEN",
        }
    }
}

/// The custom section `wasm_bindgen_test_configure!` writes.
pub const MODE_SECTION: &str = "__wasm_bindgen_test_unstable";

/// The bytes of [`MODE_SECTION`], in the order the runner looks for them.
const MODE_BYTES: [(u8, TestMode); 6] = [
    (1, TestMode::Browser),
    (2, TestMode::DedicatedWorker),
    (3, TestMode::SharedWorker),
    (4, TestMode::ServiceWorker),
    (5, TestMode::Node),
    (6, TestMode::Emscripten),
];

/// The mode of a wasm-bindgen-test binary, by the runner's own rule: the
/// first of the bytes 1 to 6 the `__wasm_bindgen_test_unstable` section
/// holds (browser, dedicated, shared or service worker, node, emscripten);
/// without the section, the one `WASM_BINDGEN_USE_*` variable set in `env`
/// (Node when none is, an error when several are).
pub fn test_mode(wasm: &[u8], env: impl Fn(&str) -> Option<OsString>) -> Result<TestMode> {
    if let Some(data) = custom_section(wasm, MODE_SECTION) {
        return match MODE_BYTES.iter().find(|(b, _)| data.contains(b)) {
            Some((_, mode)) => Ok(*mode),
            None => {
                bail!("the module's {MODE_SECTION} section holds no test mode the runner knows")
            }
        };
    }
    let set: Vec<TestMode> = [
        TestMode::Deno,
        TestMode::Browser,
        TestMode::DedicatedWorker,
        TestMode::SharedWorker,
        TestMode::ServiceWorker,
        TestMode::Node,
    ]
    .into_iter()
    .filter(|m| env(m.env()).is_some())
    .collect();
    match set[..] {
        [] => Ok(TestMode::Node),
        [one] => Ok(one),
        _ => bail!(
            "only one test mode may be set, found {}",
            set.iter().map(|m| m.env()).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// The payload of the first custom section called `name`, if any. A module
/// that does not parse has none: the harness detection reports it.
fn custom_section<'a>(wasm: &'a [u8], name: &str) -> Option<&'a [u8]> {
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        match payload {
            Ok(wasmparser::Payload::CustomSection(c)) if c.name() == name => {
                return Some(c.data());
            }
            Ok(_) => {}
            Err(_) => return None,
        }
    }
    None
}

/// The browser a browser suite runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Browser {
    /// Headless Chromium (or Chrome): injected counters or V8's own.
    Chrome,
    /// Headless Firefox (tested with ESR 153): injected counters only, as
    /// Firefox has no V8.
    Firefox,
}

impl Browser {
    pub fn name(self) -> &'static str {
        match self {
            Browser::Chrome => "chrome",
            Browser::Firefox => "firefox",
        }
    }
}

/// The browser binaries looked for on PATH, in order.
const CHROME_NAMES: &[&str] = &["chromium", "chromium-browser", "google-chrome", "chrome"];
const FIREFOX_NAMES: &[&str] = &["firefox-esr", "firefox"];

/// Finds the browser: `$WASM_RUN_BROWSER_BIN`, then the usual names on
/// `PATH`. The error says which piece is missing and how to get it.
pub fn find_browser(browser: Browser, env_bin: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(bin) = env_bin {
        if bin.is_file() {
            return Ok(bin);
        }
        bail!("WASM_RUN_BROWSER_BIN={} is not a file", bin.display());
    }
    let (names, what, package) = match browser {
        Browser::Chrome => (CHROME_NAMES, "Chromium", "chromium"),
        Browser::Firefox => (FIREFOX_NAMES, "Firefox", "firefox-esr"),
    };
    if let Some(p) = names.iter().find_map(|name| on_path(name)) {
        return Ok(p);
    }
    bail!(
        "no {what} found to run this browser suite (looked for {} on PATH and \
         $WASM_RUN_BROWSER_BIN); install it (Debian: apt-get install {package}; \
         `make setup` does it as root)",
        names.join(", ")
    )
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The browser's name and version as `BIN --version` prints them
/// (`Chromium 156.0.8078.129`, `Mozilla Firefox 153.8.0esr`), for the line
/// that says which browser ran; `None` when it prints nothing of the kind
/// within five seconds (a binary that is no browser is refused later, by
/// the driver's own 30 s check).
pub fn browser_version(bin: &Path) -> Option<String> {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    let mut child = Command::new(bin)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if start.elapsed() < Duration::from_secs(5) => {
                std::thread::sleep(Duration::from_millis(20));
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take()?, &mut out).ok()?;
    version_line(&out)
}

/// The line of `--version` output that names a browser, without
/// Debian's `built on ...` tail.
fn version_line(out: &str) -> Option<String> {
    out.lines()
        .map(str::trim)
        .find(|l| {
            [
                "Chromium ",
                "Google Chrome ",
                "Chrome ",
                "Mozilla Firefox ",
                "Firefox ",
            ]
            .iter()
            .any(|p| l.starts_with(p))
        })
        .map(|l| l.split(" built on ").next().unwrap_or(l).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_line_names_the_browser() {
        let chromium = "/usr/bin/chromium: 9: [: 1: unexpected operator\n\
                        Chromium 156.0.8078.129 built on Debian GNU/Linux 12 (bookworm)\n";
        assert_eq!(
            version_line(chromium).as_deref(),
            Some("Chromium 156.0.8078.129")
        );
        assert_eq!(
            version_line("Mozilla Firefox 153.8.0esr\n").as_deref(),
            Some("Mozilla Firefox 153.8.0esr")
        );
        assert_eq!(version_line("usage: cat [FILE]\n"), None);
    }

    /// An empty module with one custom section.
    fn with_section(name: &str, data: &[u8]) -> Vec<u8> {
        let mut payload = vec![name.len() as u8];
        payload.extend(name.as_bytes());
        payload.extend(data);
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        m.push(0);
        m.push(payload.len() as u8);
        m.extend(payload);
        m
    }

    #[test]
    fn the_section_decides_by_its_first_known_byte() {
        let none = |_: &str| None;
        // The runner's own table (wasm_bindgen_test_runner.rs), spelled out.
        let mode = |b: u8| test_mode(&with_section(MODE_SECTION, &[b]), none).unwrap();
        assert_eq!(mode(1), TestMode::Browser);
        assert_eq!(mode(2), TestMode::DedicatedWorker);
        assert_eq!(mode(4), TestMode::ServiceWorker);
        assert_eq!(mode(5), TestMode::Node);
        // The runner checks for 0x01 first, wherever it stands.
        let m = with_section(MODE_SECTION, &[5, 1]);
        assert_eq!(test_mode(&m, none).unwrap(), TestMode::Browser);
        let m = with_section(MODE_SECTION, &[9]);
        assert!(test_mode(&m, none).is_err());
        // The section wins over the environment.
        let m = with_section(MODE_SECTION, &[2]);
        let all = |_: &str| Some(OsString::from("1"));
        assert_eq!(test_mode(&m, all).unwrap(), TestMode::DedicatedWorker);
    }

    #[test]
    fn without_the_section_the_environment_decides() {
        let m = with_section("other", &[1]);
        assert_eq!(test_mode(&m, |_| None).unwrap(), TestMode::Node);
        let browser = |k: &str| (k == "WASM_BINDGEN_USE_BROWSER").then(|| OsString::from("1"));
        assert_eq!(test_mode(&m, browser).unwrap(), TestMode::Browser);
        let two = |k: &str| {
            (k == "WASM_BINDGEN_USE_BROWSER" || k == "WASM_BINDGEN_USE_DENO")
                .then(|| OsString::from("1"))
        };
        let e = test_mode(&m, two).unwrap_err().to_string();
        assert!(
            e.contains("WASM_BINDGEN_USE_DENO, WASM_BINDGEN_USE_BROWSER"),
            "{e}"
        );
    }

    #[test]
    fn a_missing_browser_names_the_piece() {
        let e = find_browser(
            Browser::Chrome,
            Some(PathBuf::from("/nonexistent/chromium")),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("/nonexistent/chromium"), "{e}");
        let e = find_browser(Browser::Firefox, Some(PathBuf::from("/nonexistent/ff")))
            .unwrap_err()
            .to_string();
        assert!(e.contains("/nonexistent/ff"), "{e}");
    }
}
