//! Inputs that are not committed, written into a case's scratch folder by
//! the generator its `case.txt` names: 2 GiB lines (sparse files, a hole
//! where the reader must stop early), the demo test module saved or
//! damaged (it is built by the current rustc), and hand-made DWARF.

use std::fs;
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;
use std::process::Command;

use integration_tests::{demo_wasm, root};

use crate::dwarf::{rows_in_code, rows_past_code, write_dwarf_case, Dwarf};

/// Whether generator `name` writes a 2 GiB sparse file, which wants 5 GB
/// of free disk in case the file system does not keep holes.
pub fn needs_disk(name: &str) -> bool {
    name.starts_with("long-line-")
}

/// Writes the inputs of generator `name` into `dir`.
pub fn generate(name: &str, dir: &Path) {
    match name {
        // SF then one line of 2 GiB: the reader must stop at its cap.
        "long-line-lcov" => sparse_line(&dir.join("long.info"), b"TN:\nSF:", b"\n"),
        "long-line-csv" => sparse_line(
            &dir.join("long.csv"),
            b"module,function,start,end,count\nab",
            b",1,2,3,4\n",
        ),
        // One 2 GiB line of JSON: a valid start, a hole, a valid end.
        // v8cov-extract refuses it from its size before reading it.
        "long-line-json" => sparse_line(
            &dir.join("long.json"),
            br#"{"result":[{"scriptId":""#,
            br#"","url":"","functions":[]}]}"#,
        ),
        // The demo as wasm-run leaves it: modules/<sha256>.wasm.
        "demo-module" => {
            let bytes = fs::read(demo_wasm(&[])).unwrap();
            let sha = wasm_cov_format::sha256_hex(&bytes);
            fs::create_dir_all(dir.join("modules")).unwrap();
            fs::write(dir.join(format!("modules/{sha}.wasm")), &bytes).unwrap();
        }
        // The demo as `demo.wasm`, for `--wasm`.
        "demo-wasm" => {
            fs::copy(demo_wasm(&[]), dir.join("demo.wasm")).unwrap();
        }
        "demo-cut-code" => {
            // The demo cut in the middle of its code section.
            let bytes = fs::read(demo_wasm(&[])).unwrap();
            let l = wasm_cov_format::ModuleLayout::parse(&bytes).unwrap();
            let mid = (l.code_section_offset + l.code_section_end) / 2;
            fs::write(dir.join("cut.wasm"), &bytes[..mid as usize]).unwrap();
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
        }
        "dwarf-rows-past-code" => write_dwarf_case(dir, &Dwarf::simple(rows_past_code())),
        "dwarf-truncated-line-program" => {
            let mut d = Dwarf::simple(rows_in_code());
            let n = d.line.len();
            d.line.truncate(n - 5);
            write_dwarf_case(dir, &d);
        }
        "dwarf-bad-abbrev" => {
            let mut d = Dwarf::simple(rows_in_code());
            d.abbrev = vec![1, 0x11, 1, 0x03, 0x7f, 0, 0, 0]; // form 0x7f: none such
            write_dwarf_case(dir, &d);
        }
        other => panic!("no generator {other:?}"),
    }
}

/// `head`, then a 2 GiB run of NUL bytes that takes no disk (a hole), then
/// `tail`: one line of 2 GiB.
pub fn sparse_line(path: &Path, head: &[u8], tail: &[u8]) {
    let mut f = fs::File::create(path).unwrap();
    f.write_all(head).unwrap();
    f.seek(SeekFrom::Current(2 << 30)).unwrap();
    f.write_all(tail).unwrap();
}

/// True when the disk holding the scratch folders has at least 5 GB free;
/// otherwise says so when `say` (the trial `name` is then ignored, not
/// failed).
pub fn enough_disk(name: &str, say: bool) -> bool {
    let dir = root().join("target/it");
    fs::create_dir_all(&dir).unwrap();
    let out = Command::new("df")
        .arg("-Pk")
        .arg(&dir)
        .output()
        .expect("df");
    let avail_kb: u64 = String::from_utf8_lossy(&out.stdout)
        .lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let ok = avail_kb >= 5 << 20;
    if !ok && say {
        eprintln!(
            "note: {} has {avail_kb} KiB free, under 5 GB: {name} (a 2 GiB sparse line) is ignored",
            dir.display()
        );
    }
    ok
}
