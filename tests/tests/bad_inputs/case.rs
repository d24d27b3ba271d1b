//! The folder cases: one trial per `tests/bad_inputs/<case>/`, named after
//! the folder. A folder holds the inputs, a `case.txt` saying how to run
//! the tool on them, and the goldens: `stderr` (the one error line, with
//! placeholders for what differs between machines), `status` (the exit
//! status, always 2) and, only when the tool prints anything there,
//! `stdout`. `BLESS=1` rewrites the goldens, but never for a run that
//! breaks the contract: exit status 2, one line `TOOL: error: ...`, no
//! panic, every `expect:` fragment in it, and no output file (nor
//! temporary file) left behind; with `old: yes` an older output of the
//! same name must survive untouched.
//!
//! `case.txt`, one `key: value` a line (`#` starts a comment):
//!
//! ```text
//! tool: cov-report             # the binary
//! args: {S}/in.info --lcov {out}
//! expect: in.info: line 2      # repeatable: substrings of the error line
//! generate: long-line-lcov     # optional: a generator (generate.rs) writes inputs
//! needs: demo                  # optional: builds the demo wasm first (implied
//!                              # by a `demo-*` generator)
//! old: yes                     # optional: {out} exists before the run
//! vary: (at offset 0x          # optional, repeatable: the hex digits after
//!                              # this text depend on the toolchain
//! ```
//!
//! Placeholders in `args`, `expect` and files named `NAME.in` (copied as
//! `NAME` with them filled in): `{S}` the case's scratch folder
//! `target/it/bad-inputs/<case>/`, where the inputs are copied; `{out}` an
//! output path in `{S}/out/`; with `needs: demo`, `{demo_sha}` the demo
//! module's SHA-256, `{demo_cso}` its code section offset and `{demo_f}`,
//! `{demo_fs}`, `{demo_fe}` the index, start and end of its first function
//! body.
//!
//! In the goldens the scratch folder is `$TMP`, the repository `$ROOT`, and
//! the demo's values are `$DEMO_SHA`, `$DEMO_CSO`, `$DEMO_F`, `$DEMO_FS`,
//! `$DEMO_FE` (the demo is built by the current rustc, so they change with
//! it); digits after a `vary:` text are `$N`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use integration_tests::{blessing, check_golden, demo_wasm, root, run, scratch, tool};
use libtest_mimic::Trial;

use crate::generate;

/// Files of a case folder that are not inputs.
const NOT_INPUTS: [&str; 4] = ["case.txt", "stderr", "stdout", "status"];

/// One parsed `case.txt`.
#[derive(Debug, Default)]
struct Case {
    name: String,
    dir: PathBuf,
    tool: String,
    args: String,
    expect: Vec<String>,
    generate: Option<String>,
    needs_demo: bool,
    old: bool,
    vary: Vec<String>,
}

/// A trial for every case folder, in name order. A case whose generator
/// writes a 2 GiB sparse file is ignored when the disk has under 5 GB free
/// (said on stderr when `say_skips`).
pub fn trials(say_skips: bool) -> Vec<Trial> {
    cases()
        .into_iter()
        .map(|c| {
            let short_of_disk = c.generate.as_deref().is_some_and(|g| {
                generate::needs_disk(g) && !generate::enough_disk(&c.name, say_skips)
            });
            Trial::test(c.name.clone(), move || run_case(&c).map_err(Into::into))
                .with_ignored_flag(short_of_disk)
        })
        .collect()
}

fn cases() -> Vec<Case> {
    let base = root().join("tests/bad_inputs");
    let mut dirs: Vec<PathBuf> = fs::read_dir(&base)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs.into_iter().map(|dir| parse(&dir)).collect()
}

fn parse(dir: &Path) -> Case {
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let text = fs::read_to_string(dir.join("case.txt"))
        .unwrap_or_else(|e| panic!("tests/bad_inputs/{name}/case.txt: {e}"));
    let mut c = Case {
        name,
        dir: dir.to_path_buf(),
        ..Case::default()
    };
    for line in text.lines() {
        let line = line.split(" #").next().unwrap().trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (k, v) = line
            .split_once(':')
            .unwrap_or_else(|| panic!("{}/case.txt: bad line {line:?}", c.name));
        let v = v.trim().to_owned();
        match k.trim() {
            "tool" => c.tool = v,
            "args" => c.args = v,
            "expect" => c.expect.push(v),
            "generate" => c.generate = Some(v),
            "needs" => c.needs_demo = v == "demo",
            "old" => c.old = v == "yes",
            "vary" => c.vary.push(v),
            other => panic!("{}/case.txt: unknown key {other:?}", c.name),
        }
    }
    // The demo's values are needed to hide them in the goldens.
    c.needs_demo |= c
        .generate
        .as_deref()
        .is_some_and(|g| g.starts_with("demo-"));
    assert!(!c.tool.is_empty(), "{}/case.txt: no tool", c.name);
    assert!(!c.expect.is_empty(), "{}/case.txt: no expect", c.name);
    c
}

/// `text` with every `{key}` of `vars` filled in.
fn fill(text: &str, vars: &BTreeMap<&str, String>) -> String {
    let mut s = text.to_owned();
    for (k, v) in vars {
        s = s.replace(&format!("{{{k}}}"), v);
    }
    s
}

/// `text` with each occurrence of `value` that is a whole token (no ASCII
/// letter or digit right before or after it) replaced by `name`.
fn replace_token(text: &str, value: &str, name: &str) -> String {
    let is_word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    let mut out = String::with_capacity(text.len());
    let mut done = 0;
    for (at, _) in text.match_indices(value) {
        let before = text[..at].chars().next_back();
        let after = text[at + value.len()..].chars().next();
        if !is_word(before) && !is_word(after) {
            out.push_str(&text[done..at]);
            out.push_str(name);
            done = at + value.len();
        }
    }
    out.push_str(&text[done..]);
    out
}

/// `text` with the hex digits right after each `prefix` replaced by `$N`.
fn mask_after(text: &str, prefix: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(prefix) {
        let end = at + prefix.len();
        out.push_str(&rest[..end]);
        rest = &rest[end..];
        let digits = rest.len()
            - rest
                .trim_start_matches(|c: char| c.is_ascii_hexdigit())
                .len();
        if digits > 0 {
            out.push_str("$N");
            rest = &rest[digits..];
        }
    }
    out.push_str(rest);
    out
}

/// What the tool printed, as the goldens hold it: scratch and repository
/// paths, the demo's values and the `vary:` digits made placeholders.
fn normalise(text: &str, c: &Case, vars: &BTreeMap<&str, String>) -> String {
    let mut s = text
        .replace(&vars["S"], "$TMP")
        .replace(&root().display().to_string(), "$ROOT");
    if c.needs_demo {
        s = s.replace(&vars["demo_sha"], "$DEMO_SHA");
        for (k, name) in [
            ("demo_cso", "$DEMO_CSO"),
            ("demo_fs", "$DEMO_FS"),
            ("demo_fe", "$DEMO_FE"),
            ("demo_f", "$DEMO_F"),
        ] {
            s = replace_token(&s, &vars[k], name);
        }
    }
    for v in &c.vary {
        s = mask_after(&s, v);
    }
    s
}

/// Runs one case; on failure says everything that was wrong with it.
fn run_case(c: &Case) -> Result<(), String> {
    let s = scratch(&format!("bad-inputs/{}", c.name));
    let out_dir = s.join("out");
    fs::create_dir_all(&out_dir).unwrap();
    let out = out_dir.join("result");
    let mut vars: BTreeMap<&str, String> = BTreeMap::new();
    vars.insert("S", s.display().to_string());
    vars.insert("out", out.display().to_string());
    if c.needs_demo {
        let demo = fs::read(demo_wasm(&[])).unwrap();
        let l = wasm_cov_format::ModuleLayout::parse(&demo).unwrap();
        vars.insert("demo_sha", l.sha256.clone());
        vars.insert("demo_cso", l.code_section_offset.to_string());
        vars.insert("demo_f", l.bodies[0].index.to_string());
        vars.insert("demo_fs", l.bodies[0].start.to_string());
        vars.insert("demo_fe", l.bodies[0].end.to_string());
    }
    for e in fs::read_dir(&c.dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if NOT_INPUTS.contains(&name.as_str()) {
            continue;
        }
        match name.strip_suffix(".in") {
            Some(stem) => {
                fs::write(s.join(stem), fill(&fs::read_to_string(&p).unwrap(), &vars)).unwrap()
            }
            None => {
                fs::copy(&p, s.join(&name)).unwrap();
            }
        }
    }
    if let Some(g) = &c.generate {
        generate::generate(g, &s);
    }
    if c.old {
        fs::write(&out, "OLD").unwrap();
    }
    let args: Vec<String> = fill(&c.args, &vars)
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let r = run(Command::new(tool(&c.tool)).args(&args));

    let msg = r.stderr.trim_end();
    let mut wrong = Vec::new();
    if r.code != 2 {
        wrong.push(format!("exit status {} (wanted 2)", r.code));
    }
    if msg.lines().count() != 1 || !r.stderr.ends_with('\n') {
        wrong.push("stderr is not one line".to_owned());
    }
    if !msg.starts_with(&format!("{}: error: ", c.tool)) {
        wrong.push(format!("stderr does not start with `{}: error: `", c.tool));
    }
    if msg.contains("panicked") {
        wrong.push("panicked".to_owned());
    }
    for e in &c.expect {
        let e = fill(e, &vars);
        if !msg.contains(&e) {
            wrong.push(format!("stderr does not mention {e:?}"));
        }
    }
    if c.old {
        if fs::read_to_string(&out).ok().as_deref() != Some("OLD") {
            wrong.push("the older output was changed or deleted".to_owned());
        }
    } else if out.exists() {
        wrong.push("an output file was left behind".to_owned());
    }
    let tmp: Vec<String> = fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    if !tmp.is_empty() {
        wrong.push(format!("temporary files left: {tmp:?}"));
    }
    let mut report = Vec::new();
    if !wrong.is_empty() {
        report.push(format!(
            "{} {args:?} broke the contract: {}\n--- stderr\n{}--- stdout\n{}",
            c.tool,
            wrong.join("; "),
            r.stderr,
            r.stdout
        ));
        if blessing() {
            report.push("(not blessed)".to_owned());
            return Err(report.join("\n"));
        }
    }
    let goldens = [
        ("stderr", normalise(&r.stderr, c, &vars)),
        ("stdout", normalise(&r.stdout, c, &vars)),
        ("status", format!("{}\n", r.code)),
    ];
    for (file, actual) in goldens {
        if let Err(e) = check_golden(&c.dir.join(file), &actual) {
            report.push(e);
        }
    }
    if report.is_empty() {
        Ok(())
    } else {
        Err(report.join("\n"))
    }
}
