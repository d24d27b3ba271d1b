//! The layout of a wasm module that the offset arithmetic needs: where the
//! code section payload starts and where each function body lies.
//!
//! This is part of the contract because every offset in the pipeline's files
//! is defined against it. Refs: WebAssembly core spec §5.5.13 (code
//! section); "DWARF for WebAssembly" (addresses are offsets into the code
//! section payload); V8 `wasm-coverage` (block offsets relative to the first
//! function body).

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};
use wasmparser::{KnownCustom, Name, Parser, Payload, TypeRef};

use crate::FormatError;

/// One defined function's body: module offsets, `start` at the locals
/// declaration (right after the body's size LEB), `end` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Body {
    /// Index in the function index space, imports included.
    pub index: u32,
    pub start: u64,
    pub end: u64,
}

/// What the pipeline needs to know about one module.
#[derive(Debug, Clone)]
pub struct ModuleLayout {
    /// Lowercase hex SHA-256 of the module bytes.
    pub sha256: String,
    /// Module offset of the code section payload (where the function count
    /// LEB starts). DWARF addresses are relative to this.
    pub code_section_offset: u64,
    /// Module offset one past the code section's last byte.
    pub code_section_end: u64,
    /// Defined functions in order; sorted by `start`.
    pub bodies: Vec<Body>,
    /// Names from the `name` section, by function index.
    pub names: BTreeMap<u32, String>,
    /// Imported functions, as `module::name`, in import order.
    pub imported_functions: Vec<String>,
    /// Exported names, of any kind.
    pub exports: Vec<String>,
    /// Custom section names and their payload ranges.
    pub custom_sections: Vec<(String, std::ops::Range<usize>)>,
}

/// Lowercase hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

impl ModuleLayout {
    /// Parses the module's structure (not its code). Fails on anything that
    /// is not a well-formed core wasm module, with the offset.
    ///
    /// The SHA-256 is computed on a second thread meanwhile: for a large
    /// module the two take about as long.
    pub fn parse(bytes: &[u8]) -> Result<Self, FormatError> {
        if bytes.len() < 8 || &bytes[..4] != b"\0asm" {
            return Err(FormatError::Invalid(
                "not a WebAssembly module (no \\0asm magic at offset 0)".into(),
            ));
        }
        // Small modules are not worth a thread.
        if bytes.len() < 1 << 20 {
            return Self::parse_structure(bytes, sha256_hex(bytes));
        }
        std::thread::scope(|scope| {
            let hash = scope.spawn(|| sha256_hex(bytes));
            let layout = Self::parse_structure(bytes, String::new());
            let sha = hash.join().unwrap_or_else(|_| sha256_hex(bytes));
            layout.map(|l| ModuleLayout { sha256: sha, ..l })
        })
    }

    fn parse_structure(bytes: &[u8], sha256: String) -> Result<Self, FormatError> {
        let mut layout = ModuleLayout {
            sha256,
            code_section_offset: 0,
            code_section_end: 0,
            bodies: Vec::new(),
            names: BTreeMap::new(),
            imported_functions: Vec::new(),
            exports: Vec::new(),
            custom_sections: Vec::new(),
        };
        let wasm_err = |e: wasmparser::BinaryReaderError| {
            FormatError::Invalid(format!(
                "invalid wasm: {} (at offset {:#x})",
                e.message(),
                e.offset()
            ))
        };
        let mut next_index = 0u32;
        for payload in Parser::new(0).parse_all(bytes) {
            match payload.map_err(wasm_err)? {
                Payload::Version { encoding, .. } if encoding != wasmparser::Encoding::Module => {
                    return Err(FormatError::Invalid(
                        "a wasm component, not a core module".into(),
                    ));
                }
                Payload::ImportSection(reader) => {
                    for imp in reader {
                        let imp = imp.map_err(wasm_err)?;
                        if matches!(imp.ty, TypeRef::Func(_)) {
                            layout
                                .imported_functions
                                .push(format!("{}::{}", imp.module, imp.name));
                        }
                    }
                    next_index = layout.imported_functions.len() as u32;
                }
                Payload::ExportSection(reader) => {
                    for exp in reader {
                        layout.exports.push(exp.map_err(wasm_err)?.name.to_owned());
                    }
                }
                Payload::CodeSectionStart { range, .. } => {
                    layout.code_section_offset = range.start as u64;
                    layout.code_section_end = range.end as u64;
                }
                Payload::CodeSectionEntry(body) => {
                    let r = body.range();
                    layout.bodies.push(Body {
                        index: next_index,
                        start: r.start as u64,
                        end: r.end as u64,
                    });
                    next_index += 1;
                }
                Payload::CustomSection(reader) => {
                    let start = reader.data_offset();
                    layout
                        .custom_sections
                        .push((reader.name().to_owned(), start..start + reader.data().len()));
                    if let KnownCustom::Name(names) = reader.as_known() {
                        // A malformed name section only costs us names.
                        for name in names.into_iter().flatten() {
                            if let Name::Function(map) = name {
                                for n in map.into_iter().flatten() {
                                    layout.names.insert(n.index, n.name.to_owned());
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(layout)
    }

    /// Module offset of the first defined function's body, the origin of
    /// V8's raw block offsets.
    pub fn first_body_offset(&self) -> Option<u64> {
        self.bodies.first().map(|b| b.start)
    }

    /// The body containing module offset `off`.
    pub fn body_at(&self, off: u64) -> Option<&Body> {
        let i = self.bodies.partition_point(|b| b.start <= off);
        let b = self.bodies.get(i.checked_sub(1)?)?;
        (off < b.end).then_some(b)
    }

    /// The body of function `index` (function index space).
    pub fn body_of(&self, index: u32) -> Option<&Body> {
        let first = self.imported_functions.len() as u32;
        self.bodies.get(index.checked_sub(first)? as usize)
    }

    /// Name-section name of a function, or V8's `wasm-function[N]`.
    pub fn function_name(&self, index: u32) -> String {
        self.names
            .get(&index)
            .cloned()
            .unwrap_or_else(|| format!("wasm-function[{index}]"))
    }

    /// The code section's payload (from the function count on), `None`
    /// when the module has no code section. DWARF addresses are offsets
    /// into it, so two modules with equal payloads share their DWARF even
    /// when the size LEB in front was encoded differently.
    pub fn code_payload<'a>(&self, bytes: &'a [u8]) -> Option<&'a [u8]> {
        if self.code_section_end == 0 {
            return None;
        }
        bytes.get(self.code_section_offset as usize..self.code_section_end as usize)
    }

    /// The payload of custom section `name`, if present.
    pub fn custom_section<'a>(&self, bytes: &'a [u8], name: &str) -> Option<&'a [u8]> {
        self.custom_sections
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, r)| bytes.get(r.clone()))
    }
}

/// Converts one raw V8 block (`start`/`end` inclusive, relative to the first
/// function body) into absolute module offsets with `end` exclusive.
pub fn v8_block_to_module(first_body_offset: u64, start: u64, end_inclusive: u64) -> (u64, u64) {
    (
        first_body_offset.saturating_add(start),
        first_body_offset
            .saturating_add(end_inclusive)
            .saturating_add(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module with one imported function and two defined ones, written by
    /// hand so every offset is known:
    /// (import "e" "f" (func)) (func nop) (func nop nop)
    fn tiny() -> Vec<u8> {
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        m.extend([1, 4, 1, 0x60, 0, 0]); // type section: () -> ()
        m.extend([2, 7, 1, 1, b'e', 1, b'f', 0, 0]); // import e.f
        m.extend([3, 3, 2, 0, 0]); // two functions of type 0
                                   // code section id at 28, size at 29, payload at 30
        m.extend([10, 9, 2, 3, 0, 0x01, 0x0b, 3, 0, 0x01, 0x0b]);
        m
    }

    #[test]
    fn finds_code_section_and_bodies() {
        let m = tiny();
        let l = ModuleLayout::parse(&m).unwrap();
        assert_eq!(l.code_section_offset, 30);
        assert_eq!(l.imported_functions, ["e::f"]);
        // payload: count (1 byte), size (1 byte), first body at 32
        assert_eq!(
            l.bodies,
            [
                Body {
                    index: 1,
                    start: 32,
                    end: 35
                },
                Body {
                    index: 2,
                    start: 36,
                    end: 39
                }
            ]
        );
        assert_eq!(l.body_at(34).unwrap().index, 1);
        assert_eq!(l.body_at(35), None);
        assert_eq!(l.body_of(2).unwrap().start, 36);
        assert_eq!(l.body_of(0), None);
        assert_eq!(l.function_name(2), "wasm-function[2]");
    }

    #[test]
    fn code_payload_is_after_the_size_leb() {
        let m = tiny();
        let l = ModuleLayout::parse(&m).unwrap();
        assert_eq!(l.code_payload(&m), Some(&m[30..]));
        // The same payload behind a padded size LEB (9 as 0x89 0x00).
        let mut padded = m[..29].to_vec();
        padded.extend([0x89, 0x00]);
        padded.extend(&m[30..]);
        let p = ModuleLayout::parse(&padded).unwrap();
        assert_eq!(p.code_section_offset, 31);
        assert_eq!(p.code_payload(&padded), l.code_payload(&m));
        let no_code = &m[..8];
        assert_eq!(
            ModuleLayout::parse(no_code).unwrap().code_payload(no_code),
            None
        );
    }

    #[test]
    fn converts_v8_blocks() {
        // V8 says [0, 2] inclusive relative to the first body at 34.
        assert_eq!(v8_block_to_module(34, 0, 2), (34, 37));
        assert_eq!(v8_block_to_module(34, 4, 4), (38, 39));
    }

    #[test]
    fn rejects_non_wasm_and_truncated() {
        assert!(ModuleLayout::parse(b"hello world").is_err());
        let mut m = tiny();
        m.truncate(m.len() - 3);
        let e = ModuleLayout::parse(&m).unwrap_err().to_string();
        assert!(e.contains("at offset"), "{e}");
    }
}
