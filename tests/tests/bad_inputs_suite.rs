//! The bad-input suite (issue 5): one folder per kind of bad input under
//! `tests/bad_inputs/<case>/`, each with a `case.txt` naming the tool, its
//! arguments and the fragments the one-line error must contain, beside the
//! input files. Inputs that are huge or derived from a freshly built module
//! are made here at test time by a named generator. Every case must exit 2
//! with one line `TOOL: error: ...` naming the file and the place, never
//! panic, and leave no output file (nor temporary file) behind; with
//! `old: yes` an older output of the same name must survive untouched.
//!
//! `case.txt`, one `key: value` a line (`#` starts a comment):
//!
//! ```text
//! tool: cov-report             # the binary
//! args: {S}/in.info --lcov {out}
//! expect: in.info              # repeatable: substrings of the error line
//! generate: long-line-lcov     # optional: a generator below writes inputs
//! needs: demo                  # optional: builds the demo wasm first
//! slow: yes                    # optional: only in `huge_bad_inputs`
//! old: yes                     # optional: {out} exists before the run
//! ```
//!
//! Placeholders: `{S}` the case's scratch folder (its files are copied
//! there; a file `NAME.in` is copied as `NAME` with placeholders replaced),
//! `{out}` an output path in `{S}/out/`; with `needs: demo`, `{demo_sha}`
//! the demo module's SHA-256, `{demo_cso}` its code section offset and
//! `{demo_f}`, `{demo_fs}`, `{demo_fe}` the index, start and end of its
//! first function body. Other tests in this file check the hostile inputs that are not
//! errors (paths with `..`, dead DWARF) and the resource bounds.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "in a test, a failed unwrap is a failed test"
)]

use std::collections::BTreeMap;
use std::fs;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use integration_tests::{demo_wasm, root, run, scratch, tool};

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
    slow: bool,
    old: bool,
}

fn cases() -> Vec<Case> {
    let base = root().join("tests/bad_inputs");
    let mut dirs: Vec<PathBuf> = fs::read_dir(&base)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("case.txt").is_file())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .map(|dir| {
            let text = fs::read_to_string(dir.join("case.txt")).unwrap();
            let mut c = Case {
                name: dir.file_name().unwrap().to_string_lossy().into_owned(),
                dir: dir.clone(),
                ..Case::default()
            };
            for line in text.lines() {
                let line = line.split(" #").next().unwrap().trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let (k, v) = line
                    .split_once(':')
                    .unwrap_or_else(|| panic!("{}: bad line {line:?}", c.name));
                let v = v.trim().to_owned();
                match k.trim() {
                    "tool" => c.tool = v,
                    "args" => c.args = v,
                    "expect" => c.expect.push(v),
                    "generate" => c.generate = Some(v),
                    "needs" => c.needs_demo = v == "demo",
                    "slow" => c.slow = v == "yes",
                    "old" => c.old = v == "yes",
                    other => panic!("{}: unknown key {other:?}", c.name),
                }
            }
            assert!(!c.tool.is_empty(), "{}: no tool", c.name);
            assert!(!c.expect.is_empty(), "{}: no expect", c.name);
            c
        })
        .collect()
}

fn fill(text: &str, vars: &BTreeMap<&str, String>) -> String {
    let mut s = text.to_owned();
    for (k, v) in vars {
        s = s.replace(&format!("{{{k}}}"), v);
    }
    s
}

/// Runs one case; returns what was wrong with it, if anything.
fn run_case(c: &Case) -> Result<String, String> {
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
        if name == "case.txt" {
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
        if !generate(g, &s) {
            return Ok(format!("skipped ({g}: not enough free disk)"));
        }
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
    if msg.lines().count() != 1 {
        wrong.push("error is not one line".to_owned());
    }
    if !msg.starts_with(&format!("{}: error: ", c.tool)) {
        wrong.push(format!("error does not start with `{}: error: `", c.tool));
    }
    if msg.contains("panicked") {
        wrong.push("panicked".to_owned());
    }
    for e in &c.expect {
        let e = fill(e, &vars);
        if !msg.contains(&e) {
            wrong.push(format!("does not mention {e:?}"));
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
    if wrong.is_empty() {
        Ok(msg.to_owned())
    } else {
        Err(format!(
            "{}: {}\n  args: {args:?}\n  stderr: {}",
            c.name,
            wrong.join("; "),
            r.stderr.trim_end()
        ))
    }
}

fn run_all(slow: bool) {
    let cases: Vec<Case> = cases().into_iter().filter(|c| c.slow == slow).collect();
    assert!(!cases.is_empty());
    let mut failures = Vec::new();
    for c in &cases {
        match run_case(c) {
            Ok(msg) => println!("ok   {:<28} {msg}", c.name),
            Err(e) => failures.push(e),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} bad-input cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn bad_inputs() {
    run_all(false);
}

/// The 2 GiB-line cases: generated in the scratch folder (sparse where the
/// reader must stop early), skipped with a note when the disk is short.
#[test]
fn huge_bad_inputs() {
    run_all(true);
}

// ---------------------------------------------------------------- generators

/// Writes the inputs of generator `name` into `dir`; `false` to skip.
fn generate(name: &str, dir: &Path) -> bool {
    match name {
        "long-line-lcov" => {
            // SF then one line of 2 GiB: the reader must stop at its cap.
            enough_disk(dir, 0) && sparse_line(&dir.join("long.info"), b"TN:\nSF:", b"\n")
        }
        "long-line-csv" => {
            enough_disk(dir, 0)
                && sparse_line(
                    &dir.join("long.csv"),
                    b"module,function,start,end,count\nab",
                    b",1,2,3,4\n",
                )
        }
        "long-line-json" => {
            // One 2 GiB line of JSON: a valid start, a hole, a valid end.
            // v8cov-extract refuses it from its size before reading it.
            enough_disk(dir, 0)
                && sparse_line(
                    &dir.join("long.json"),
                    br#"{"result":[{"scriptId":""#,
                    br#"","url":"","functions":[]}]}"#,
                )
        }
        "demo-module" => {
            let bytes = fs::read(demo_wasm(&[])).unwrap();
            let sha = wasm_cov_format::sha256_hex(&bytes);
            fs::create_dir_all(dir.join("modules")).unwrap();
            fs::write(dir.join(format!("modules/{sha}.wasm")), &bytes).unwrap();
            true
        }
        "demo-cut-code" => {
            // The demo cut in the middle of its code section.
            let bytes = fs::read(demo_wasm(&[])).unwrap();
            let l = wasm_cov_format::ModuleLayout::parse(&bytes).unwrap();
            let mid = (l.code_section_offset + l.code_section_end) / 2;
            fs::write(dir.join("cut.wasm"), &bytes[..mid as usize]).unwrap();
            true
        }
        "demo-bad-body-size" => {
            // The first body's size LEB made to claim more than the section.
            let mut bytes = fs::read(demo_wasm(&[])).unwrap();
            let l = wasm_cov_format::ModuleLayout::parse(&bytes).unwrap();
            // Payload: function count LEB, then the first body's size LEB.
            let mut at = l.code_section_offset as usize;
            while bytes[at] & 0x80 != 0 {
                at += 1;
            }
            at += 1;
            let size_len = l.bodies[0].start as usize - at;
            let huge = [0xff, 0xff, 0xff, 0xff, 0x0f];
            assert!(size_len <= 5);
            // Keep the LEB's length: continuation bits, then the top.
            for (i, b) in bytes[at..at + size_len].iter_mut().enumerate() {
                *b = if i + 1 == size_len { 0x7f } else { huge[i] };
            }
            fs::write(dir.join("bad-size.wasm"), &bytes).unwrap();
            true
        }
        "dwarf-rows-past-code" => {
            write_dwarf_case(dir, &Dwarf::simple(rows_past_code()));
            true
        }
        "dwarf-truncated-line-program" => {
            let mut d = Dwarf::simple(rows_in_code());
            let n = d.line.len();
            d.line.truncate(n - 5);
            write_dwarf_case(dir, &d);
            true
        }
        "dwarf-bad-abbrev" => {
            let mut d = Dwarf::simple(rows_in_code());
            d.abbrev = vec![1, 0x11, 1, 0x03, 0x7f, 0, 0, 0]; // form 0x7f: none such
            write_dwarf_case(dir, &d);
            true
        }
        other => panic!("no generator {other:?}"),
    }
}

/// True when the disk holding `dir` has at least 5 GB free beyond `need`;
/// otherwise says so (the case is then skipped, not failed).
fn enough_disk(dir: &Path, need: u64) -> bool {
    let out = Command::new("df")
        .args(["-Pk"])
        .arg(dir)
        .output()
        .expect("df");
    let text = String::from_utf8_lossy(&out.stdout);
    let avail_kb: u64 = text
        .lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let ok = avail_kb * 1024 >= need + (5 << 30);
    if !ok {
        println!(
            "note: {} has {avail_kb} KiB free, under 5 GB: 2 GiB-line case skipped",
            dir.display()
        );
    }
    ok
}

/// `head`, then a 2 GiB run of NUL bytes that takes no disk (a hole), then
/// `tail`: one line of 2 GiB.
fn sparse_line(path: &Path, head: &[u8], tail: &[u8]) -> bool {
    let mut f = fs::File::create(path).unwrap();
    f.write_all(head).unwrap();
    f.seek(SeekFrom::Current(2 << 30)).unwrap();
    f.write_all(tail).unwrap();
    true
}

// ------------------------------------------------- hand-made DWARF modules

/// The DWARF sections of a small module, written by hand so every byte is
/// known (DWARF 4, 4-byte addresses). Refs: DWARF 4 §6.2, §7.5.
#[derive(Debug, Clone)]
struct Dwarf {
    abbrev: Vec<u8>,
    info: Vec<u8>,
    line: Vec<u8>,
    stmt_list: u32,
    /// Namespaces the subprogram is nested in.
    depth: usize,
    program: Vec<u8>,
    files: Vec<&'static str>,
    /// 8-byte addresses (the unit's address size) instead of wasm's 4.
    addr8: bool,
}

const DW_LNS_COPY: u8 = 0x01;
const DW_LNS_ADVANCE_PC: u8 = 0x02;
/// A special opcode: address +0, line +1 (line_base -5, line_range 14,
/// opcode_base 13).
const SPECIAL_LINE_PLUS_1: u8 = 19;
/// Address +1, line +1.
const SPECIAL_ADDR_1_LINE_1: u8 = 33;

fn set_address(p: &mut Vec<u8>, a: u32) {
    p.extend([0, 5, 2]);
    p.extend(a.to_le_bytes());
}
fn set_address8(p: &mut Vec<u8>, a: u64) {
    p.extend([0, 9, 2]);
    p.extend(a.to_le_bytes());
}

/// With 8-byte addresses: a live row at 3, then one at u64::MAX.
fn row_at_u64_max() -> Dwarf {
    let mut p = Vec::new();
    set_address8(&mut p, 3);
    p.push(DW_LNS_COPY);
    set_address8(&mut p, u64::MAX);
    p.push(SPECIAL_LINE_PLUS_1);
    end_sequence(&mut p);
    Dwarf {
        addr8: true,
        ..Dwarf::simple(p)
    }
    .build()
}
fn end_sequence(p: &mut Vec<u8>) {
    p.extend([0, 1, 1]);
}

/// Rows at code addresses 3.. for lines 1..=4, inside the first body.
fn rows_in_code() -> Vec<u8> {
    let mut p = Vec::new();
    set_address(&mut p, 3);
    p.push(DW_LNS_COPY);
    p.extend([SPECIAL_ADDR_1_LINE_1; 3]);
    p.extend([DW_LNS_ADVANCE_PC, 10]);
    end_sequence(&mut p);
    p
}

/// A sequence that starts in the code and then jumps 1 MB past its end,
/// and a sequence that starts past the end.
fn rows_past_code() -> Vec<u8> {
    let mut p = Vec::new();
    set_address(&mut p, 3);
    p.push(DW_LNS_COPY);
    set_address(&mut p, 0x0010_0000);
    p.push(SPECIAL_LINE_PLUS_1);
    p.extend([DW_LNS_ADVANCE_PC, 4]);
    end_sequence(&mut p);
    set_address(&mut p, 0x0020_0000);
    p.extend([0x03, 20, DW_LNS_COPY]); // advance_line 20
    p.extend([DW_LNS_ADVANCE_PC, 4]);
    end_sequence(&mut p);
    p
}

/// `n` rows at one address, lines 1..=n: a line table of `n` rows in about
/// `n` bytes.
fn many_rows(n: usize) -> Vec<u8> {
    let mut p = Vec::with_capacity(n + 16);
    set_address(&mut p, 3);
    p.push(DW_LNS_COPY);
    p.resize(p.len() + n - 1, SPECIAL_LINE_PLUS_1);
    p.extend([DW_LNS_ADVANCE_PC, 10]);
    end_sequence(&mut p);
    p
}

impl Dwarf {
    fn simple(program: Vec<u8>) -> Self {
        Dwarf {
            abbrev: Vec::new(),
            info: Vec::new(),
            line: Vec::new(),
            stmt_list: 0,
            depth: 1,
            program,
            files: vec!["src/lib.rs"],
            addr8: false,
        }
        .build()
    }

    fn nested(program: Vec<u8>, depth: usize) -> Self {
        Dwarf {
            depth,
            ..Dwarf::simple(program)
        }
        .build()
    }

    /// (Re)writes the three sections from `program`, `files` and `depth`.
    fn build(mut self) -> Self {
        // Abbrevs: 1 CU (name, comp_dir, stmt_list); 2 namespace (name);
        // 3 subprogram (name, low_pc, high_pc, decl_file, decl_line).
        let asz: u8 = if self.addr8 { 8 } else { 4 };
        self.abbrev = vec![
            1, 0x11, 1, 0x03, 0x08, 0x1b, 0x08, 0x10, 0x17, 0, 0, //
            2, 0x39, 1, 0x03, 0x08, 0, 0, //
            3, 0x2e, 0, 0x03, 0x08, 0x11, 0x01, 0x12, 0x06, 0x3a, 0x0b, 0x3b, 0x0b, 0, 0, //
            0,
        ];
        let mut dies = vec![1];
        dies.extend(b"src/lib.rs\0/nowhere/crate\0");
        dies.extend(self.stmt_list.to_le_bytes());
        for _ in 0..self.depth {
            dies.push(2);
            dies.extend(b"m\0");
        }
        dies.push(3);
        dies.extend(b"f\0");
        dies.extend(&3u64.to_le_bytes()[..asz as usize]); // low_pc
        dies.extend(10u32.to_le_bytes()); // high_pc (length)
        dies.extend([1, 1]); // decl_file 1, decl_line 1
        dies.resize(dies.len() + self.depth, 0); // end of each namespace
        dies.push(0); // end of the CU's children
        let mut info = Vec::new();
        info.extend(((2 + 4 + 1 + dies.len()) as u32).to_le_bytes());
        info.extend(4u16.to_le_bytes());
        info.extend(0u32.to_le_bytes());
        info.push(asz);
        info.extend(dies);
        self.info = info;

        let mut hdr = vec![1, 1, 1, (-5i8) as u8, 14, 13];
        hdr.extend([0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1]);
        hdr.push(0); // no include directories
        for f in &self.files {
            hdr.extend(f.as_bytes());
            hdr.extend([0, 0, 0, 0]);
        }
        hdr.push(0);
        let mut line = Vec::new();
        let unit_len = 2 + 4 + hdr.len() + self.program.len();
        line.extend((unit_len as u32).to_le_bytes());
        line.extend(4u16.to_le_bytes());
        line.extend((hdr.len() as u32).to_le_bytes());
        line.extend(hdr);
        line.extend(&self.program);
        self.line = line;
        self
    }

    /// The fuzz target `mapper`'s mode-1 encoding of these sections.
    fn fuzz_input(&self) -> Vec<u8> {
        let mut v = vec![1u8];
        for s in [&self.abbrev, &self.info, &self.line, &Vec::new()] {
            v.extend((s.len() as u32).to_le_bytes());
            v.extend(s);
        }
        v
    }
}

fn leb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// (func (40 x nop)) (func nop) and the DWARF as custom sections: the same
/// skeleton as the `mapper` fuzz target, code section payload at 21, code
/// 48 bytes.
fn module_with(d: &Dwarf) -> Vec<u8> {
    let mut m = b"\0asm\x01\0\0\0".to_vec();
    m.extend([1, 4, 1, 0x60, 0, 0]);
    m.extend([3, 3, 2, 0, 0]);
    let mut body1 = vec![0u8];
    body1.extend([0x01; 40]);
    body1.push(0x0b);
    let body2 = [0u8, 0x01, 0x0b];
    let mut code = vec![2u8, body1.len() as u8];
    code.extend(&body1);
    code.push(body2.len() as u8);
    code.extend(body2);
    m.push(10);
    leb(&mut m, code.len() as u64);
    m.extend(code);
    for (name, bytes) in [
        (".debug_abbrev", &d.abbrev),
        (".debug_info", &d.info),
        (".debug_line", &d.line),
    ] {
        let mut payload = Vec::new();
        leb(&mut payload, name.len() as u64);
        payload.extend(name.as_bytes());
        payload.extend(bytes);
        m.push(0);
        leb(&mut m, payload.len() as u64);
        m.extend(payload);
    }
    m
}

/// `dwarf.wasm` and an offsets CSV with one block per function.
fn write_dwarf_case(dir: &Path, d: &Dwarf) {
    let m = module_with(d);
    let sha = wasm_cov_format::sha256_hex(&m);
    fs::write(dir.join("dwarf.wasm"), &m).unwrap();
    fs::write(
        dir.join("dwarf.csv"),
        format!("module,function,start,end,count\n{sha},0,23,65,5\n{sha},1,66,69,1\n"),
    )
    .unwrap();
}

#[test]
fn tiny_module_layout_is_as_documented() {
    let m = module_with(&Dwarf::simple(rows_in_code()));
    let l = wasm_cov_format::ModuleLayout::parse(&m).unwrap();
    assert_eq!(l.code_section_offset, 21);
    assert_eq!(l.code_section_end, 69);
    let b: Vec<(u64, u64)> = l.bodies.iter().map(|b| (b.start, b.end)).collect();
    assert_eq!(b, [(23, 65), (66, 69)]);
}

/// The committed seeds of the `mapper` fuzz target are these modules;
/// `BLESS=1` rewrites them.
#[test]
fn mapper_fuzz_seeds_are_current() {
    let seeds = [
        ("rows-in-code", Dwarf::simple(rows_in_code())),
        ("rows-past-code", Dwarf::simple(rows_past_code())),
        ("nested-3", Dwarf::nested(rows_in_code(), 3)),
        ("many-rows-100", Dwarf::simple(many_rows(100))),
        ("addr8", row_at_u64_max()),
    ];
    let dir = root().join("fuzz/seeds/mapper");
    for (name, d) in seeds {
        let path = dir.join(format!("{name}.bin"));
        let want = d.fuzz_input();
        if std::env::var_os("BLESS").is_some() {
            fs::create_dir_all(&dir).unwrap();
            fs::write(&path, &want).unwrap();
        } else {
            assert_eq!(
                fs::read(&path).ok().as_deref(),
                Some(&want[..]),
                "{} is stale: BLESS=1 cargo test -p integration-tests --test bad_inputs_suite",
                path.display()
            );
        }
    }
}

// --------------------------------------------- hostile inputs that are not errors

/// The mapper on `dwarf.wasm` made by `d`; returns (status, LCOV, stderr).
fn map_dwarf(name: &str, d: &Dwarf, extra: &[&str]) -> (i32, String, String) {
    let s = scratch(&format!("hostile/{name}"));
    write_dwarf_case(&s, d);
    let r = run(Command::new(tool("wasm-cov-mapper"))
        .arg(s.join("dwarf.csv"))
        .arg("--wasm")
        .arg(s.join("dwarf.wasm"))
        .args(extra));
    (r.code, r.stdout, r.stderr)
}

#[test]
fn mapper_reads_hand_made_dwarf() {
    let (code, lcov, err) = map_dwarf("plain", &Dwarf::simple(rows_in_code()), &[]);
    assert_eq!(code, 0, "{err}");
    for l in 1..=4 {
        assert!(lcov.contains(&format!("DA:{l},5\n")), "line {l}:\n{lcov}");
    }
    assert!(lcov.contains("SF:/nowhere/crate/src/lib.rs\n"), "{lcov}");
}

/// File names from DWARF with `..` and absolute paths are joined and
/// normalised lexically, never used to write anything.
#[test]
fn dwarf_paths_with_dotdot_and_absolute_paths_are_normalised() {
    let mut d = Dwarf::simple(rows_in_code());
    d.files = vec!["../../../../etc/x.rs"];
    let (code, lcov, err) = map_dwarf("dotdot", &d.clone().build(), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(lcov.contains("SF:/etc/x.rs\n"), "{lcov}");
    d.files = vec!["/abs/./y/../z.rs"];
    let (code, lcov, err) = map_dwarf("absolute", &d.build(), &["--include-deps"]);
    assert_eq!(code, 0, "{err}");
    assert!(lcov.contains("SF:/abs/z.rs\n"), "{lcov}");
}

/// A source path from DWARF that names a device must not be read: the
/// mapper reads the sources the DWARF names (for phantom lines and
/// uninstantiated generics), and `/dev/zero` never ends.
/// Run under a 1 GiB address-space limit and 20 s, so a regression fails
/// rather than eating the machine.
#[test]
fn dwarf_source_path_of_a_device_is_not_read() {
    let mut d = Dwarf::simple(rows_in_code());
    d.files = vec!["/dev/zero"];
    let s = scratch("hostile/dev-zero");
    write_dwarf_case(&s, &d.build());
    let r = limited(
        &[
            tool("wasm-cov-mapper").as_os_str(),
            s.join("dwarf.csv").as_os_str(),
            "--wasm".as_ref(),
            s.join("dwarf.wasm").as_os_str(),
            "--include-deps".as_ref(),
        ],
        1 << 30,
        20,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// A row at the top of the 64-bit address space (DWARF 5 lets a line
/// program have 8-byte addresses) must not overflow the fold.
#[test]
fn dwarf_row_at_u64_max_does_not_panic() {
    let s = scratch("hostile/u64-max");
    fs::write(s.join("m.wasm"), module_with(&row_at_u64_max())).unwrap();
    fs::write(s.join("e.csv"), "module,function,start,end,count\n").unwrap();
    let r = run(Command::new(tool("wasm-cov-mapper"))
        .arg(s.join("e.csv"))
        .arg("--wasm")
        .arg(s.join("m.wasm")));
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    assert!(r.code == 0 || r.code == 2, "{}", r.stderr);
}

// ---------------------------------------------------------- resource bounds

/// Runs `argv` under `ulimit -v KB` and a wall-clock limit.
fn limited(argv: &[&std::ffi::OsStr], bytes: u64, secs: u64) -> integration_tests::Ran {
    let mut cmd = Command::new("timeout");
    cmd.arg(secs.to_string())
        .arg("sh")
        .arg("-c")
        .arg(format!("ulimit -v {}; exec \"$@\"", bytes / 1024))
        .arg("sh")
        .args(argv);
    run(&mut cmd)
}

/// The memory bound the mapper keeps on adversarial DWARF (stated in
/// docs/reliability.md): 1 GiB of address space for 2 million line rows or
/// 200,000 nested DIEs.
const MAPPER_BOUND: u64 = 1 << 30;

#[test]
fn mapper_on_two_million_rows_stays_within_bound() {
    let s = scratch("limits/rows");
    let n = 2_000_000;
    write_dwarf_case(&s, &Dwarf::simple(many_rows(n)));
    let out = s.join("out.info");
    let r = limited(
        &[
            tool("wasm-cov-mapper").as_os_str(),
            s.join("dwarf.csv").as_os_str(),
            "--wasm".as_ref(),
            s.join("dwarf.wasm").as_os_str(),
            "-o".as_ref(),
            out.as_os_str(),
        ],
        MAPPER_BOUND,
        120,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lcov = fs::read_to_string(&out).unwrap();
    assert!(
        lcov.contains(&format!("\nLF:{n}\n")),
        "not all rows became lines"
    );
}

#[test]
fn mapper_on_deeply_nested_dies_stays_within_bound() {
    let s = scratch("limits/nested");
    write_dwarf_case(&s, &Dwarf::nested(rows_in_code(), 200_000));
    let r = limited(
        &[
            tool("wasm-cov-mapper").as_os_str(),
            s.join("dwarf.csv").as_os_str(),
            "--wasm".as_ref(),
            s.join("dwarf.wasm").as_os_str(),
        ],
        MAPPER_BOUND,
        120,
    );
    assert!(r.code == 0 || r.code == 2, "{}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
}

/// cov-report and the offsets reader hold one capped line, not the file:
/// a 2 GiB line fails within 64 MiB of address space over the baseline.
#[test]
fn long_lines_are_refused_within_a_small_bound() {
    let s = scratch("limits/long-lines");
    if !enough_disk(&s, 0) {
        return;
    }
    sparse_line(&s.join("long.info"), b"SF:a\nDA:1,", b"\nend_of_record\n");
    let r = limited(
        &[
            tool("cov-report").as_os_str(),
            s.join("long.info").as_os_str(),
        ],
        256 << 20,
        60,
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("line 2: longer than 1048576 bytes"),
        "{}",
        r.stderr
    );
}

/// Counts saturate at u64::MAX wherever they are added.
#[test]
fn counts_saturate_in_every_merge() {
    let s = scratch("saturate-all");
    let h = "ab12000000000000000000000000000000000000000000000000000000000000";
    let v8 = |count: u64| {
        format!(
            r#"{{"result":[{{"scriptId":"1","url":"","wasm":{{"sha256":"{h}","module":"modules/{h}.wasm","codeSectionOffset":30}},"functions":[{{"functionName":"f","functionIndex":1,"isBlockCoverage":true,"ranges":[{{"startOffset":32,"endOffset":40,"count":{count}}},{{"startOffset":32,"endOffset":36,"count":{count}}}]}}]}}],"wasmCoverageVersion":1}}"#
        )
    };
    fs::write(s.join("a.json"), v8(u64::MAX)).unwrap();
    fs::write(s.join("b.json"), v8(1)).unwrap();
    let r = run(Command::new(tool("v8cov-extract"))
        .arg(s.join("a.json"))
        .arg(s.join("b.json")))
    .expect(0);
    assert!(
        r.stdout.contains(&format!("{h},1,32,36,{}\n", u64::MAX)),
        "{}",
        r.stdout
    );
    fs::write(
        s.join("m.json"),
        format!(
            r#"{{"format":"wasm-cov-mapper","version":1,"files":[{{"path":"a.rs","lines":[{{"line":1,"count":{}}}],"functions":[{{"name":"f","line":1,"count":{}}}]}}]}}"#,
            u64::MAX,
            u64::MAX
        ),
    )
    .unwrap();
    fs::write(
        s.join("b.info"),
        "SF:a.rs\nFN:1,f\nFNDA:1,f\nDA:1,1\nend_of_record\n",
    )
    .unwrap();
    let r = run(Command::new(tool("cov-report"))
        .arg(s.join("m.json"))
        .arg(s.join("b.info"))
        .args(["--quiet", "--lcov", "-"]))
    .expect(0);
    assert!(
        r.stdout.contains(&format!("DA:1,{}\n", u64::MAX)),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(&format!("FNDA:{},f\n", u64::MAX)),
        "{}",
        r.stdout
    );
}
