//! DWARF in a separate file, on real rustc output: the demo's test module
//! is run once; then a copy with its `.debug_*` sections stripped (and a
//! custom section put in front of its code, so every offset moves) stands
//! for the module that ran, and the unstripped module is its debug file.
//! The offsets are moved to the stripped copy as a re-run would give them,
//! so the LCOV must be byte-identical to the unstripped module's.
#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test"
)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use integration_tests::{
    assert_contains, custom_section, demo_wasm, extract, leb128, root, run, scratch, strip_debug,
    tool, Ran,
};
use wasm_cov_format::{read_offsets, write_offsets, ModuleLayout};

/// The demo run once: its module, offsets and the LCOV mapped from them.
struct Demo {
    dir: PathBuf,
    wasm: PathBuf,
    offsets: PathBuf,
    lcov: Vec<u8>,
}

fn demo() -> &'static Demo {
    static D: OnceLock<Demo> = OnceLock::new();
    D.get_or_init(|| {
        let wasm = demo_wasm(&[]);
        let dir = scratch("debug-files");
        let cov = dir.join("cov");
        run(Command::new(tool("wasm-run"))
            .arg("--out")
            .arg(&cov)
            .arg(&wasm))
        .expect(0);
        let offsets = dir.join("offsets.csv");
        extract(&cov, &offsets);
        let out = dir.join("full.info");
        mapper(&["--wasm".as_ref(), wasm.as_os_str()], &offsets, &out).expect(0);
        Demo {
            lcov: std::fs::read(&out).unwrap(),
            dir,
            wasm,
            offsets,
        }
    })
}

fn mapper(args: &[&std::ffi::OsStr], offsets: &Path, out: &Path) -> Ran {
    run(Command::new(tool("wasm-cov-mapper"))
        .args(args)
        .arg(offsets)
        .arg("--source-root")
        .arg(root().join("examples/demo"))
        .arg("-o")
        .arg(out))
}

/// The demo's offsets moved to `module`, which has the demo's code at
/// another offset: what running `module` would have given.
fn offsets_for(module: &[u8], name: &str) -> PathBuf {
    let d = demo();
    let from = ModuleLayout::parse(&std::fs::read(&d.wasm).unwrap()).unwrap();
    let to = ModuleLayout::parse(module).unwrap();
    let shift = to.code_section_offset - from.code_section_offset;
    let mut rows = read_offsets(std::fs::File::open(&d.offsets).unwrap()).unwrap();
    for r in &mut rows {
        r.module.clone_from(&to.sha256);
        r.start += shift;
        r.end += shift;
    }
    let path = d.dir.join(name);
    write_offsets(&rows, std::fs::File::create(&path).unwrap()).unwrap();
    path
}

/// Writes `bytes` as `dir/name` and returns the path.
fn save(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn a_stripped_module_and_its_debug_file_give_the_unstripped_lcov() {
    let d = demo();
    let full = std::fs::read(&d.wasm).unwrap();
    let stripped = strip_debug(&full, &custom_section("filler", &[7; 300]));
    let l = ModuleLayout::parse(&stripped).unwrap();
    assert!(l.custom_section(&stripped, ".debug_line").is_none());
    let dir = d.dir.join("stripped");
    let module = save(&dir, "app.wasm", &stripped);
    let offsets = offsets_for(&stripped, "stripped.csv");

    let out = dir.join("lcov.info");
    let wasm = ["--wasm".as_ref(), module.as_os_str()];
    let ran = mapper(
        &[
            wasm[0],
            wasm[1],
            "--debug-file".as_ref(),
            d.wasm.as_os_str(),
        ],
        &offsets,
        &out,
    )
    .expect(0);
    assert!(!ran.stderr.contains("warning"), "{}", ran.stderr);
    assert_eq!(
        String::from_utf8_lossy(&std::fs::read(&out).unwrap()),
        String::from_utf8_lossy(&d.lcov)
    );

    // The same file found in a --debug-dir by its content.
    let dbg = save(&dir.join("dbg"), "whatever.wasm", &full);
    let out2 = dir.join("lcov-dir.info");
    let dbg_dir = dbg.parent().unwrap();
    mapper(
        &[
            wasm[0],
            wasm[1],
            "--debug-dir".as_ref(),
            dbg_dir.as_os_str(),
        ],
        &offsets,
        &out2,
    )
    .expect(0);
    assert_eq!(std::fs::read(&out2).unwrap(), d.lcov);

    // Without it: the old error, which now names the way out.
    let ran = mapper(&wasm, &offsets, &dir.join("none.info")).expect(2);
    assert_contains(
        &ran.stderr,
        &[
            "app.wasm: no .debug_line section",
            "--debug-file or --debug-dir",
        ],
    );
}

#[test]
fn external_debug_info_names_the_debug_file() {
    let d = demo();
    let full = std::fs::read(&d.wasm).unwrap();
    let mut name = leb128("demo.debug.wasm".len() as u64);
    name.extend(b"demo.debug.wasm");
    let stripped = strip_debug(&full, &custom_section("external_debug_info", &name));
    let offsets = offsets_for(&stripped, "external.csv");

    // Beside the module.
    let beside = d.dir.join("external-beside");
    let module = save(&beside, "app.wasm", &stripped);
    save(&beside, "demo.debug.wasm", &full);
    let out = beside.join("lcov.info");
    mapper(&["--wasm".as_ref(), module.as_os_str()], &offsets, &out).expect(0);
    assert_eq!(std::fs::read(&out).unwrap(), d.lcov);

    // In a --debug-dir, the module elsewhere (as in wasm-run's modules/).
    let apart = d.dir.join("external-apart");
    let module = save(&apart.join("modules"), "app.wasm", &stripped);
    save(&apart.join("debug"), "demo.debug.wasm", &full);
    let out = apart.join("lcov.info");
    let debug_dir = apart.join("debug");
    let args = [
        "--wasm".as_ref(),
        module.as_os_str(),
        "--debug-dir".as_ref(),
        debug_dir.as_os_str(),
    ];
    mapper(&args, &offsets, &out).expect(0);
    assert_eq!(std::fs::read(&out).unwrap(), d.lcov);

    // Named but nowhere to be found: said so, with the name.
    let ran = mapper(&args[..2], &offsets, &apart.join("none.info")).expect(2);
    assert_contains(
        &ran.stderr,
        &[
            "app.wasm: no .debug_line section, and the debug file its external_debug_info section names, \"demo.debug.wasm\"",
        ],
    );
}

#[test]
fn a_debug_file_of_another_build_is_refused() {
    let d = demo();
    let full = std::fs::read(&d.wasm).unwrap();
    let stripped = strip_debug(&full, &[]);
    let dir = d.dir.join("other-build");
    let module = save(&dir, "app.wasm", &stripped);
    let offsets = offsets_for(&stripped, "other.csv");
    let other = demo_wasm(&["--features=fail-on-purpose"]);
    let out = dir.join("lcov.info");
    let ran = mapper(
        &[
            "--wasm".as_ref(),
            module.as_os_str(),
            "--debug-file".as_ref(),
            other.as_os_str(),
        ],
        &offsets,
        &out,
    )
    .expect(2);
    let other_name = other.display().to_string();
    assert_contains(
        &ran.stderr,
        &[
            "app.wasm: no .debug_line section, and no debug file belongs to it:",
            &other_name,
            "its code section differs",
        ],
    );
    assert!(!out.exists());
}
