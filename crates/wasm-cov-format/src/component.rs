//! The code module of a wasm component.
//!
//! A `wasm32-wasip2` test binary or plugin is a component: rustc's program
//! is one core module inside it (the one with the code and every `.debug_*`
//! section), next to wit-component's small shim and fixup modules, which
//! have no DWARF. The pipeline counts, saves and maps that code module
//! alone: its bytes are what the offsets refer to, `modules/<sha256>.wasm`
//! holds them, and an instrumented copy is spliced back in its place to run.
//!
//! Only the component's own (top-level) core modules are looked at; a
//! nested component's modules are left as they are.

use std::ops::Range;

use wasmparser::{Encoding, Parser, Payload};

use crate::FormatError;

/// `(module (func (export "probe") unreachable))`: what finds a
/// component's counters. Instantiated in the component's store and called,
/// it traps, and the core dump wasmtime attaches to the trap (with
/// `Config::coredump_on_trap`) lists every core instance of the store
/// (`docs/formats.md` §3, "Components").
pub const PROBE: &[u8] = &[
    0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, // header
    1, 4, 1, 0x60, 0, 0, // type: () -> ()
    3, 2, 1, 0, // one function
    7, 9, 1, 5, b'p', b'r', b'o', b'b', b'e', 0, 0, // export "probe"
    10, 5, 1, 3, 0, 0x00, 0x0b, // body: unreachable
];

/// Whether `bytes` start like a component (the layer field of the header).
pub fn is_component(bytes: &[u8]) -> bool {
    bytes.len() >= 8 && &bytes[..4] == b"\0asm" && bytes[6..8] == [1, 0]
}

/// One top-level core module of a component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreModule {
    /// Its place among the component's core modules (`(core module N)`).
    pub index: u32,
    /// Its bytes within the component, header included.
    pub range: Range<usize>,
    /// The whole section that holds it (id, size, module).
    section: Range<usize>,
    /// It has a `.debug_info` section and a code section.
    pub has_dwarf: bool,
}

/// A component and its top-level core modules.
#[derive(Debug, Clone)]
pub struct ComponentLayout {
    pub modules: Vec<CoreModule>,
}

impl ComponentLayout {
    /// Finds the core modules of a component. Fails on anything that is not
    /// a well-formed component, with the offset.
    pub fn parse(bytes: &[u8]) -> Result<Self, FormatError> {
        let err = |e: wasmparser::BinaryReaderError| {
            FormatError::Invalid(format!(
                "invalid wasm component: {} (at offset {:#x})",
                e.message(),
                e.offset()
            ))
        };
        let mut modules = Vec::new();
        let mut parser = Parser::new(0);
        let mut at = 0usize;
        loop {
            let (payload, consumed) = match parser.parse(&bytes[at..], true).map_err(err)? {
                wasmparser::Chunk::NeedMoreData(_) => {
                    return Err(FormatError::Invalid(format!(
                        "truncated wasm component (at offset {:#x})",
                        bytes.len()
                    )))
                }
                wasmparser::Chunk::Parsed { payload, consumed } => (payload, consumed),
            };
            let section_start = at;
            at += consumed;
            match payload {
                Payload::Version { encoding, .. } if encoding != Encoding::Component => {
                    return Err(FormatError::Invalid(
                        "a core wasm module, not a component".into(),
                    ));
                }
                Payload::ModuleSection {
                    unchecked_range, ..
                } => {
                    let range = unchecked_range.clone();
                    let has_dwarf = module_has_dwarf(&bytes[range.clone()]).map_err(err)?;
                    modules.push(CoreModule {
                        index: modules.len() as u32,
                        section: section_start..range.end,
                        range: range.clone(),
                        has_dwarf,
                    });
                    // The parser has stepped over the nested module; so do we.
                    at = range.end;
                }
                Payload::ComponentSection {
                    unchecked_range, ..
                } => {
                    at = unchecked_range.end;
                }
                Payload::End(_) => break,
                _ => {}
            }
        }
        Ok(ComponentLayout { modules })
    }

    /// The code module: the one core module with DWARF. `None` when no
    /// module has any (a component built without debug info); an error
    /// when several have (a composed component, which the pipeline does
    /// not split yet).
    pub fn code_module(&self) -> Result<Option<&CoreModule>, FormatError> {
        let mut with = self.modules.iter().filter(|m| m.has_dwarf);
        let first = with.next();
        if let Some(second) = with.next() {
            return Err(FormatError::Invalid(format!(
                "core modules {} and {} of the component both have DWARF; one code module per component is supported",
                first.map_or(0, |m| m.index),
                second.index
            )));
        }
        Ok(first)
    }
}

/// Whether a core module has a code section and `.debug_info`.
fn module_has_dwarf(bytes: &[u8]) -> Result<bool, wasmparser::BinaryReaderError> {
    let (mut code, mut info) = (false, false);
    for payload in Parser::new(0).parse_all(bytes) {
        match payload? {
            Payload::CodeSectionStart { .. } => code = true,
            Payload::CustomSection(c) if c.name() == ".debug_info" => info = true,
            // Function bodies are not needed.
            Payload::CodeSectionEntry(_) => {}
            _ => {}
        }
    }
    Ok(code && info)
}

/// `component` with `module`'s bytes replaced by `new`: the same sections
/// in the same order, so every index of the component stays where it was.
pub fn splice(component: &[u8], module: &CoreModule, new: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(component.len() + new.len());
    out.extend_from_slice(&component[..module.section.start]);
    out.push(1); // the core module section's id
    let mut n = new.len() as u64;
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            break;
        }
        out.push(byte | 0x80);
    }
    out.extend_from_slice(new);
    out.extend_from_slice(&component[module.section.end..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A component of `modules`, each a section of its own, with a custom
    /// section after them.
    fn component(modules: &[&[u8]]) -> Vec<u8> {
        let mut c = b"\0asm\x0d\0\x01\0".to_vec();
        for m in modules {
            c.push(1);
            c.push(m.len() as u8);
            c.extend_from_slice(m);
        }
        c.extend_from_slice(&[0, 4, 3, b'a', b'b', b'c']);
        c
    }

    const EMPTY: &[u8] = b"\0asm\x01\0\0\0";

    /// A module with one empty function and a `.debug_info` section.
    fn with_dwarf() -> Vec<u8> {
        let mut m = EMPTY.to_vec();
        m.extend_from_slice(&[1, 4, 1, 0x60, 0, 0]); // type () -> ()
        m.extend_from_slice(&[3, 2, 1, 0]); // one function
        m.extend_from_slice(&[10, 4, 1, 2, 0, 0x0b]); // its body
        m.extend_from_slice(&[0, 12, 11]);
        m.extend_from_slice(b".debug_info");
        m
    }

    #[test]
    fn finds_the_one_module_with_dwarf() {
        let code = with_dwarf();
        let c = component(&[EMPTY, &code, EMPTY]);
        assert!(is_component(&c));
        let layout = ComponentLayout::parse(&c).unwrap();
        assert_eq!(layout.modules.len(), 3);
        let m = layout.code_module().unwrap().unwrap();
        assert_eq!(m.index, 1);
        assert_eq!(&c[m.range.clone()], &code[..]);
    }

    #[test]
    fn splicing_keeps_everything_around_the_module() {
        let code = with_dwarf();
        let c = component(&[EMPTY, &code]);
        let layout = ComponentLayout::parse(&c).unwrap();
        let m = layout.code_module().unwrap().unwrap();
        // A body longer than 127 bytes needs a two-byte size.
        let mut big = EMPTY.to_vec();
        big.extend_from_slice(&[0, 200, 1, 1, b'x']);
        big.extend(std::iter::repeat_n(0u8, 198));
        let spliced = splice(&c, m, &big);
        let again = ComponentLayout::parse(&spliced).unwrap();
        assert_eq!(again.modules.len(), 2);
        assert_eq!(&spliced[again.modules[1].range.clone()], &big[..]);
        assert_eq!(&spliced[..8], &c[..8]);
        assert!(spliced.ends_with(&[0, 4, 3, b'a', b'b', b'c']));
        // Splicing the original back gives the original.
        assert_eq!(splice(&spliced, &again.modules[1], &code), c);
    }

    #[test]
    fn no_dwarf_is_none_and_two_are_an_error() {
        let c = component(&[EMPTY, EMPTY]);
        assert!(ComponentLayout::parse(&c)
            .unwrap()
            .code_module()
            .unwrap()
            .is_none());
        let code = with_dwarf();
        let c = component(&[&code, &code]);
        let e = ComponentLayout::parse(&c)
            .unwrap()
            .code_module()
            .unwrap_err();
        assert!(e.to_string().contains("core modules 0 and 1"), "{e}");
    }

    #[test]
    fn the_probe_is_a_valid_module_exporting_probe() {
        let layout = crate::ModuleLayout::parse(PROBE).unwrap();
        assert_eq!(layout.exports, ["probe"]);
        assert_eq!(layout.bodies.len(), 1);
    }

    #[test]
    fn refuses_modules_and_garbage() {
        assert!(!is_component(EMPTY));
        let e = ComponentLayout::parse(EMPTY).unwrap_err();
        assert!(e.to_string().contains("not a component"), "{e}");
        let mut c = component(&[EMPTY]);
        c.truncate(c.len() - 3);
        assert!(ComponentLayout::parse(&c).is_err());
    }
}
