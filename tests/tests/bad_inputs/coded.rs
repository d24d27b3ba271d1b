//! The trials defined in code, each named after its function: hostile
//! inputs that are not errors, resource bounds on inputs too big or too
//! deep to commit, counts that must saturate, and the mapper fuzz target's
//! seeds. They assert properties, not goldens.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::path::Path;
use std::process::Command;

use integration_tests::{blessing, root, run, scratch, tool, Ran};
use libtest_mimic::Trial;

use crate::dwarf::{
    many_rows, module_with, row_at_u64_max, rows_in_code, rows_past_code, write_dwarf_case, Dwarf,
};
use crate::generate::{enough_disk, sparse_line};

pub fn trials() -> Vec<Trial> {
    let trial = |name: &'static str, f: fn()| {
        Trial::test(name, move || {
            f();
            Ok(())
        })
    };
    vec![
        trial(
            "tiny_module_layout_is_as_documented",
            tiny_module_layout_is_as_documented,
        ),
        trial(
            "mapper_fuzz_seeds_are_current",
            mapper_fuzz_seeds_are_current,
        ),
        trial("mapper_reads_hand_made_dwarf", mapper_reads_hand_made_dwarf),
        trial(
            "dwarf_paths_with_dotdot_and_absolute_paths_are_normalised",
            dwarf_paths_with_dotdot_and_absolute_paths_are_normalised,
        ),
        trial(
            "dwarf_source_path_of_a_device_is_not_read",
            dwarf_source_path_of_a_device_is_not_read,
        ),
        trial(
            "dwarf_row_at_u64_max_does_not_panic",
            dwarf_row_at_u64_max_does_not_panic,
        ),
        trial(
            "mapper_on_two_million_rows_stays_within_bound",
            mapper_on_two_million_rows_stays_within_bound,
        ),
        trial(
            "mapper_on_deeply_nested_dies_stays_within_bound",
            mapper_on_deeply_nested_dies_stays_within_bound,
        ),
        trial(
            "long_lines_are_refused_within_a_small_bound",
            long_lines_are_refused_within_a_small_bound,
        )
        .with_ignored_flag(!enough_disk(
            "long_lines_are_refused_within_a_small_bound",
            false,
        )),
        trial(
            "counts_saturate_in_every_merge",
            counts_saturate_in_every_merge,
        ),
        trial(
            "lcov_counts_saturate_when_merged",
            lcov_counts_saturate_when_merged,
        ),
    ]
}

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
        if blessing() {
            fs::create_dir_all(&dir).unwrap();
            fs::write(&path, &want).unwrap();
        } else {
            assert_eq!(
                fs::read(&path).ok().as_deref(),
                Some(&want[..]),
                "{} is stale: BLESS=1 cargo test -p integration-tests --test bad_inputs",
                path.display()
            );
        }
    }
}

// --------------------------------------------- hostile inputs that are not errors

/// wasm-cov-mapper on the `dwarf.csv` and `dwarf.wasm` in `dir`, then
/// `extra`, as an argument vector.
fn mapper_argv(dir: &Path, extra: &[&str]) -> Vec<OsString> {
    let mut argv: Vec<OsString> = vec![
        tool("wasm-cov-mapper").into(),
        dir.join("dwarf.csv").into(),
        "--wasm".into(),
        dir.join("dwarf.wasm").into(),
    ];
    argv.extend(extra.iter().map(OsString::from));
    argv
}

/// The mapper on `dwarf.wasm` made by `d`; returns (status, LCOV, stderr).
fn map_dwarf(name: &str, d: &Dwarf, extra: &[&str]) -> (i32, String, String) {
    let s = scratch(&format!("hostile/{name}"));
    write_dwarf_case(&s, d);
    let argv = mapper_argv(&s, extra);
    let r = run(Command::new(&argv[0]).args(&argv[1..]));
    (r.code, r.stdout, r.stderr)
}

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
fn dwarf_source_path_of_a_device_is_not_read() {
    let mut d = Dwarf::simple(rows_in_code());
    d.files = vec!["/dev/zero"];
    let s = scratch("hostile/dev-zero");
    write_dwarf_case(&s, &d.build());
    let r = limited(&mapper_argv(&s, &["--include-deps"]), 1 << 30, 20);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// A row at the top of the 64-bit address space (DWARF 5 lets a line
/// program have 8-byte addresses) must not overflow the fold.
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

/// Runs `argv` under `ulimit -v` of `bytes` and a wall-clock limit.
fn limited(argv: &[impl AsRef<OsStr>], bytes: u64, secs: u64) -> Ran {
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

fn mapper_on_two_million_rows_stays_within_bound() {
    let s = scratch("limits/rows");
    let n = 2_000_000;
    write_dwarf_case(&s, &Dwarf::simple(many_rows(n)));
    let out = s.join("out.info");
    let mut argv = mapper_argv(&s, &["-o"]);
    argv.push(out.clone().into());
    let r = limited(&argv, MAPPER_BOUND, 120);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lcov = fs::read_to_string(&out).unwrap();
    assert!(
        lcov.contains(&format!("\nLF:{n}\n")),
        "not all rows became lines"
    );
}

fn mapper_on_deeply_nested_dies_stays_within_bound() {
    let s = scratch("limits/nested");
    write_dwarf_case(&s, &Dwarf::nested(rows_in_code(), 200_000));
    let r = limited(&mapper_argv(&s, &[]), MAPPER_BOUND, 120);
    assert!(r.code == 0 || r.code == 2, "{}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
}

/// cov-report and the offsets reader hold one capped line, not the file:
/// a 2 GiB line fails within 256 MiB of address space.
fn long_lines_are_refused_within_a_small_bound() {
    let s = scratch("limits/long-lines");
    sparse_line(&s.join("long.info"), b"SF:a\nDA:1,", b"\nend_of_record\n");
    let r = limited(&[tool("cov-report"), s.join("long.info")], 256 << 20, 60);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("line 2: longer than 1048576 bytes"),
        "{}",
        r.stderr
    );
}

// ------------------------------------------------------------ saturation

const H: &str = "ab12000000000000000000000000000000000000000000000000000000000000";

/// Counts saturate at u64::MAX wherever they are added: v8cov-extract
/// summing two V8 documents, cov-report merging mapper JSON with LCOV
/// (lines and functions).
fn counts_saturate_in_every_merge() {
    let s = scratch("saturate-all");
    let v8 = |count: u64| {
        format!(
            r#"{{"result":[{{"scriptId":"1","url":"","wasm":{{"sha256":"{H}","module":"modules/{H}.wasm","codeSectionOffset":30}},"functions":[{{"functionName":"f","functionIndex":1,"isBlockCoverage":true,"ranges":[{{"startOffset":32,"endOffset":40,"count":{count}}},{{"startOffset":32,"endOffset":36,"count":{count}}}]}}]}}],"wasmCoverageVersion":1}}"#
        )
    };
    fs::write(s.join("a.json"), v8(u64::MAX)).unwrap();
    fs::write(s.join("b.json"), v8(1)).unwrap();
    let r = run(Command::new(tool("v8cov-extract"))
        .arg(s.join("a.json"))
        .arg(s.join("b.json")))
    .expect(0);
    assert!(
        r.stdout.contains(&format!("{H},1,32,36,{}\n", u64::MAX)),
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
    let r = merge_to_lcov(&[s.join("m.json"), s.join("b.info")]);
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

/// Two LCOV files, one with a count of u64::MAX: the merged line stays
/// at u64::MAX instead of wrapping to 0.
fn lcov_counts_saturate_when_merged() {
    let s = scratch("saturate-lcov");
    let a = s.join("a.info");
    let b = s.join("b.info");
    fs::write(&a, format!("SF:a.rs\nDA:1,{}\nend_of_record\n", u64::MAX)).unwrap();
    fs::write(&b, "SF:a.rs\nDA:1,1\nend_of_record\n").unwrap();
    let r = merge_to_lcov(&[a, b]);
    assert!(
        r.stdout.contains(&format!("DA:1,{}\n", u64::MAX)),
        "{}",
        r.stdout
    );
}

/// cov-report merging `inputs` into LCOV on stdout.
fn merge_to_lcov(inputs: &[std::path::PathBuf]) -> Ran {
    run(Command::new(tool("cov-report"))
        .args(inputs)
        .args(["--quiet", "--lcov", "-"]))
    .expect(0)
}
