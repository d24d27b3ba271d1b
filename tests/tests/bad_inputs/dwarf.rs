//! Small wasm modules with DWARF written by hand, so every byte is known:
//! the inputs of the `dwarf-*` cases, of the hostile-DWARF and resource
//! trials, and the seeds of the `mapper` fuzz target.

use std::fs;
use std::path::Path;

/// The DWARF sections of a small module, written by hand so every byte is
/// known (DWARF 4, 4-byte addresses). Refs: DWARF 4 §6.2, §7.5.
#[derive(Debug, Clone)]
pub struct Dwarf {
    pub abbrev: Vec<u8>,
    pub info: Vec<u8>,
    pub line: Vec<u8>,
    pub stmt_list: u32,
    /// Namespaces the subprogram is nested in.
    pub depth: usize,
    pub program: Vec<u8>,
    pub files: Vec<&'static str>,
    /// 8-byte addresses (the unit's address size) instead of wasm's 4.
    pub addr8: bool,
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
pub fn row_at_u64_max() -> Dwarf {
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
pub fn rows_in_code() -> Vec<u8> {
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
pub fn rows_past_code() -> Vec<u8> {
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
pub fn many_rows(n: usize) -> Vec<u8> {
    let mut p = Vec::with_capacity(n + 16);
    set_address(&mut p, 3);
    p.push(DW_LNS_COPY);
    p.resize(p.len() + n - 1, SPECIAL_LINE_PLUS_1);
    p.extend([DW_LNS_ADVANCE_PC, 10]);
    end_sequence(&mut p);
    p
}

impl Dwarf {
    pub fn simple(program: Vec<u8>) -> Self {
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

    pub fn nested(program: Vec<u8>, depth: usize) -> Self {
        Dwarf {
            depth,
            ..Dwarf::simple(program)
        }
        .build()
    }

    /// (Re)writes the three sections from `program`, `files` and `depth`.
    pub fn build(mut self) -> Self {
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
    pub fn fuzz_input(&self) -> Vec<u8> {
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
pub fn module_with(d: &Dwarf) -> Vec<u8> {
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
pub fn write_dwarf_case(dir: &Path, d: &Dwarf) {
    let m = module_with(d);
    let sha = wasm_cov_format::sha256_hex(&m);
    fs::write(dir.join("dwarf.wasm"), &m).unwrap();
    fs::write(
        dir.join("dwarf.csv"),
        format!("module,function,start,end,count\n{sha},0,23,65,5\n{sha},1,66,69,1\n"),
    )
    .unwrap();
}
