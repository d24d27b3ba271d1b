//! The mapper's front end: module layout, DWARF (line programs, DIEs,
//! strings) and the fold of rows against blocks.
//!
//! Input: a mode byte, then
//! - mode 0 (even): a whole wasm module;
//! - mode 1 (odd): DWARF sections, each a 4-byte little-endian length and
//!   its bytes, in the order .debug_abbrev, .debug_info, .debug_line,
//!   .debug_str (missing ones are empty), put into a fixed small module
//!   whose code section has two functions of 42 and 3 bytes.
//!
//! Every defined function gets one block over its whole body, so the fold
//! and function counts run on every row. Sources are never read (the DWARF
//! names arbitrary paths).
#![no_main]

use libfuzzer_sys::fuzz_target;
use wasm_cov_format::{Coverage, ModuleLayout, OffsetRow};
use wasm_cov_mapper::{map_module, BranchFilter, MapOptions, Sources};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let module = if mode % 2 == 0 {
        rest.to_vec()
    } else {
        let mut sections = Vec::new();
        let mut r = rest;
        while r.len() >= 4 && sections.len() < 4 {
            let n = u32::from_le_bytes([r[0], r[1], r[2], r[3]]) as usize;
            let n = n.min(r.len() - 4);
            sections.push(&r[4..4 + n]);
            r = &r[4 + n..];
        }
        sections.resize(4, &[]);
        skeleton(&[
            (".debug_abbrev", sections[0]),
            (".debug_info", sections[1]),
            (".debug_line", sections[2]),
            (".debug_str", sections[3]),
        ])
    };
    let Ok(layout) = ModuleLayout::parse(&module) else {
        return;
    };
    let rows: Vec<OffsetRow> = layout
        .bodies
        .iter()
        .filter(|b| b.start < b.end)
        .map(|b| OffsetRow {
            module: layout.sha256.clone(),
            function: b.index,
            start: b.start,
            end: b.end,
            count: u64::from(mode),
        })
        .collect();
    for branch_filter in [BranchFilter::Panics, BranchFilter::Off] {
        let opts = MapOptions {
            include_deps: mode & 2 != 0,
            source_root: None,
            branch_filter,
        };
        let mut cov = Coverage::default();
        let _ = map_module(
            &module,
            &layout,
            &rows,
            &opts,
            &mut Sources::disabled(),
            &mut cov,
        );
    }
});

/// (func (40 x nop)) (func nop) with the given custom sections after the
/// code section. Code section payload at offset 21: count, then bodies.
fn skeleton(custom: &[(&str, &[u8])]) -> Vec<u8> {
    let mut m = b"\0asm\x01\0\0\0".to_vec();
    m.extend([1, 4, 1, 0x60, 0, 0]); // type: () -> ()
    m.extend([3, 3, 2, 0, 0]); // two functions of type 0
    let mut body1 = vec![0u8]; // no locals
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
    for (name, bytes) in custom {
        let mut payload = Vec::new();
        leb(&mut payload, name.len() as u64);
        payload.extend(name.as_bytes());
        payload.extend(*bytes);
        m.push(0);
        leb(&mut m, payload.len() as u64);
        m.extend(payload);
    }
    m
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
