//! The rewrite: copy every section as it is, add the counter memory and its
//! export, and insert one increment at each block's start.

use std::ops::Range;

use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasm_encoder::{
    CodeSection, Encode, ExportKind, ExportSection, Instruction, MemArg, MemorySection, MemoryType,
    RawSection,
};
use wasmparser::{Encoding, Parser, Payload, TypeRef, Validator, WasmFeatures};

use crate::blocks::{body_blocks, RawBlock};
use crate::derive::{choose, Derivation, Derived, FrameRange, Rule};
use crate::table::{Block, BlockTable};
use crate::InstrumentError;

/// The export name of the counter memory.
pub const COUNTERS_EXPORT: &str = "__wasm_cov_counters";

/// Bytes per counter.
const WIDTH: u64 = 8;
const PAGE: u64 = 65536;
/// A 32-bit memory has at most 65536 pages of 64 KiB.
const MAX_COUNTERS: usize = (65536 * PAGE / WIDTH) as usize;

/// How to instrument.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Options {
    /// Validate the input first (with every wasm feature wasmparser knows).
    /// On by default: an invalid module is refused with the offset of the
    /// problem instead of being rewritten into another invalid module.
    pub validate: bool,
    /// Make the counter memory `shared`, so a JS host can read it as a
    /// `SharedArrayBuffer` from another thread, even after the worker that
    /// ran the instance was terminated. On by default.
    pub shared: bool,
    /// Increment with one `i64.atomic.rmw.add` instead of a plain
    /// load/add/store, so that two threads running one instance (or sharing
    /// the memory) lose no counts. Off by default: wasm-run gives every
    /// thread its own instance, and the plain sequence is as fast or faster
    /// (see `docs/formats.md` §3b).
    pub atomic: bool,
    /// Give no increment to the blocks whose counts follow from other
    /// blocks' by flow conservation (after a call, a loop's `end`,
    /// `unreachable`, a `block`'s join: `crate::derive`). The host must then
    /// fill in [`Instrumented::derived`] per instance with
    /// [`Instrumented::derivation`]'s `fill`, given the instance's live
    /// frames when it ended. Ignored (every block counted) in a module that
    /// throws or catches wasm exceptions. Off by default, since a host that
    /// does not derive would see those blocks at 0.
    pub derive: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            validate: true,
            shared: true,
            atomic: false,
            derive: false,
        }
    }
}

/// An instrumented module and what its counters mean.
#[derive(Debug, Clone)]
pub struct Instrumented {
    /// The rewritten module. Only for running: every offset the pipeline
    /// writes refers to the original module.
    pub wasm: Vec<u8>,
    /// Counter `k` counts `blocks[k]` (original module offsets).
    pub blocks: Vec<Block>,
    /// The name under which the counter memory is exported.
    pub counters_export: &'static str,
    /// The counter memory's index in the rewritten module: the original
    /// module's memory count, so the program's memories keep their indices.
    pub counters_memory: u32,
    /// Pages (64 KiB) of the counter memory, its minimum and maximum.
    pub counters_pages: u64,
    /// Module offset of the code section payload in the original module.
    pub code_section_offset: u64,
    /// Module offset of the first defined function's body (0 if none).
    pub first_body_offset: u64,
    /// The blocks that have a counter but no increment, sorted by block:
    /// empty unless [`Options::derive`].
    pub derived: Vec<Derived>,
    /// Where the blocks whose live frames a derived count uses are in the
    /// rewritten module, sorted by start.
    pub frame_ranges: Vec<FrameRange>,
}

impl Instrumented {
    /// The derived blocks and their frame ranges, for a host that fills in
    /// derived counts.
    pub fn derivation(&self) -> Derivation {
        Derivation {
            derived: self.derived.clone(),
            frame_ranges: self.frame_ranges.clone(),
        }
    }

    /// The block table, for writing beside the counters. `module_sha256` is
    /// the hash of the original module (the caller usually has it already).
    pub fn table(&self, module_sha256: &str) -> BlockTable {
        BlockTable {
            module_sha256: module_sha256.to_owned(),
            code_section_offset: self.code_section_offset,
            first_body_offset: self.first_body_offset,
            export: self.counters_export.to_owned(),
            memory_index: self.counters_memory,
            blocks: self.blocks.clone(),
        }
    }
}

/// What the first pass learns.
struct Scan {
    memories: u32,
    bodies: Vec<BodyScan>,
    code_section_offset: u64,
    /// Some body throws or catches wasm exceptions.
    exceptions: bool,
}

struct BodyScan {
    function: u32,
    /// Module range of the body: locals declaration to the final `end`.
    range: Range<usize>,
    blocks: Vec<RawBlock>,
    /// How each block is derived, if it is (empty: none is).
    rules: Vec<Option<Rule>>,
}

fn scan(wasm: &[u8], derive: bool) -> Result<Scan, InstrumentError> {
    let mut s = Scan {
        memories: 0,
        bodies: Vec::new(),
        code_section_offset: 0,
        exceptions: false,
    };
    let mut next_function = 0u32;
    let mut blocks = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload? {
            Payload::Version {
                encoding: Encoding::Component,
                range,
                ..
            } => {
                return Err(InstrumentError::Component {
                    offset: range.start,
                })
            }
            Payload::ImportSection(reader) => {
                for imp in reader {
                    match imp?.ty {
                        TypeRef::Func(_) => next_function += 1,
                        TypeRef::Memory(_) => s.memories += 1,
                        _ => {}
                    }
                }
            }
            Payload::MemorySection(reader) => s.memories += reader.count(),
            Payload::ExportSection(reader) => {
                for exp in reader.into_iter_with_offsets() {
                    let (offset, exp) = exp?;
                    if exp.name == COUNTERS_EXPORT {
                        return Err(InstrumentError::ExportTaken {
                            name: exp.name.to_owned(),
                            offset,
                        });
                    }
                }
            }
            Payload::CodeSectionStart { range, .. } => {
                s.code_section_offset = range.start as u64;
            }
            Payload::CodeSectionEntry(body) => {
                blocks.clear();
                let facts = body_blocks(&body, &mut blocks)?;
                s.exceptions |= facts.exceptions;
                s.bodies.push(BodyScan {
                    function: next_function,
                    range: body.range(),
                    rules: if derive {
                        choose(&blocks, &facts.joins)
                    } else {
                        Vec::new()
                    },
                    blocks: blocks.clone(),
                });
                next_function += 1;
            }
            _ => {}
        }
    }
    Ok(s)
}

/// The rank of a known section id in the order the spec requires, or
/// `None` for custom sections (which may go anywhere).
fn order(id: u8) -> Option<u8> {
    Some(match id {
        1..=5 => id, // type, import, function, table, memory
        13 => 6,     // tag
        6 => 7,      // global
        7 => 8,      // export
        8 => 9,      // start
        9 => 10,     // element
        12 => 11,    // data count
        10 => 12,    // code
        11 => 13,    // data
        _ => return None,
    })
}
const MEMORY_RANK: u8 = 5;
const EXPORT_RANK: u8 = 8;

/// Appends the increment of counter `k` in memory `mem`. It uses no locals
/// and no globals, only the operand stack, and leaves it as it found it, so
/// it is valid anywhere, even in unreachable code.
fn encode_increment(sink: &mut Vec<u8>, mem: u32, k: u64, atomic: bool) {
    let arg = MemArg {
        offset: k * WIDTH,
        align: 3,
        memory_index: mem,
    };
    if atomic {
        Instruction::I32Const(0).encode(sink);
        Instruction::I64Const(1).encode(sink);
        Instruction::I64AtomicRmwAdd(arg).encode(sink);
        Instruction::Drop.encode(sink);
        return;
    }
    Instruction::I32Const(0).encode(sink);
    Instruction::I32Const(0).encode(sink);
    Instruction::I64Load(arg).encode(sink);
    Instruction::I64Const(1).encode(sink);
    Instruction::I64Add.encode(sink);
    Instruction::I64Store(arg).encode(sink);
}

/// Instruments `wasm`: see the crate docs for what is inserted where.
pub fn instrument(wasm: &[u8], opts: &Options) -> Result<Instrumented, InstrumentError> {
    if opts.validate {
        Validator::new_with_features(WasmFeatures::all()).validate_all(wasm)?;
    }
    let scan = scan(wasm, opts.derive)?;
    let n_blocks: usize = scan.bodies.iter().map(|b| b.blocks.len()).sum();
    if n_blocks > MAX_COUNTERS {
        return Err(InstrumentError::TooManyBlocks {
            blocks: n_blocks,
            max: MAX_COUNTERS,
        });
    }
    let mem = scan.memories;
    let pages = (n_blocks as u64 * WIDTH).div_ceil(PAGE).max(1);
    let counter_memory = MemoryType {
        minimum: pages,
        maximum: Some(pages),
        memory64: false,
        shared: opts.shared,
        page_size_log2: None,
    };
    let mut rc = RoundtripReencoder;

    let mut out = wasm_encoder::Module::new();
    let mut memory_done = false;
    let mut export_done = false;
    let add_memory = |out: &mut wasm_encoder::Module| {
        let mut sec = MemorySection::new();
        sec.memory(counter_memory);
        out.section(&sec);
    };
    let add_export = |out: &mut wasm_encoder::Module| {
        let mut sec = ExportSection::new();
        sec.export(COUNTERS_EXPORT, ExportKind::Memory, mem);
        out.section(&sec);
    };

    let mut bodies = scan.bodies.iter();
    let mut code = CodeSection::new();
    let mut code_left = 0u32;
    let mut counter = 0u64;
    let mut body_buf = Vec::new();
    let mut blocks = Vec::with_capacity(n_blocks);
    let derive = opts.derive && !scan.exceptions;
    let mut derived = Vec::new();
    // Frame ranges relative to their body's start in the output, and that
    // body's index; made absolute once the output is done.
    let mut frame_ranges = Vec::new();
    let mut frame_body = Vec::new();
    let mut framed = Vec::new();
    let mut body_index = 0u32;

    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload?;
        if let Some((id, _)) = payload.as_section() {
            if let Some(rank) = order(id) {
                if !memory_done && rank > MEMORY_RANK {
                    add_memory(&mut out);
                    memory_done = true;
                }
                if !export_done && rank > EXPORT_RANK {
                    add_export(&mut out);
                    export_done = true;
                }
            }
        }
        match payload {
            Payload::MemorySection(reader) => {
                let mut sec = MemorySection::new();
                for m in reader {
                    sec.memory(rc.memory_type(m?)?);
                }
                sec.memory(counter_memory);
                out.section(&sec);
                memory_done = true;
            }
            Payload::ExportSection(reader) => {
                let mut sec = ExportSection::new();
                rc.parse_export_section(&mut sec, reader)?;
                sec.export(COUNTERS_EXPORT, ExportKind::Memory, mem);
                out.section(&sec);
                export_done = true;
            }
            Payload::CodeSectionStart { count, .. } => {
                code_left = count;
                if count == 0 {
                    out.section(&code);
                }
            }
            Payload::CodeSectionEntry(body) => {
                // The scan saw the same bodies in the same order.
                let Some(scanned) = bodies.next().filter(|s| s.range == body.range()) else {
                    return Err(InstrumentError::Invalid {
                        message: "function bodies changed between passes".into(),
                        offset: body.range().start,
                    });
                };
                body_buf.clear();
                let mut copied = scanned.range.start;
                let base = counter as u32;
                let rules = if derive { &scanned.rules[..] } else { &[] };
                framed.clear();
                framed.resize(scanned.blocks.len(), false);
                for r in rules.iter().flatten() {
                    for &k in &r.live {
                        framed[k] = true;
                    }
                }
                for (j, b) in scanned.blocks.iter().enumerate() {
                    // The output offset of the block's start: the output so
                    // far plus the input between the last copy and it (no
                    // increment goes in between).
                    let out_start = body_buf.len() + (b.start - copied);
                    let rule = rules.get(j).and_then(Option::as_ref);
                    // The increment's length (it grows with the counter's
                    // offset), 0 without one.
                    let mut inc = 0;
                    if let Some(r) = rule {
                        let global = |v: &[usize]| v.iter().map(|&k| base + k as u32).collect();
                        derived.push(Derived {
                            block: counter as u32,
                            plus: global(&r.plus),
                            minus: global(&r.minus),
                            live: global(&r.live),
                        });
                    } else if let Some(at) = b.insert_at {
                        body_buf.extend_from_slice(&wasm[copied..at]);
                        copied = at;
                        let before = body_buf.len();
                        encode_increment(&mut body_buf, mem, counter, opts.atomic);
                        inc = body_buf.len() - before;
                    }
                    if framed[j] {
                        // A function's first block is framed from its first
                        // instruction on: a frame at the body's start (the
                        // locals declaration) is one whose entry check
                        // failed (a stack overflow), and it ran nothing.
                        let skip = if j == 0 {
                            b.insert_at.map_or(0, |at| at - b.start)
                        } else {
                            0
                        };
                        frame_ranges.push(FrameRange {
                            start: (out_start + skip) as u32,
                            end: (out_start + (b.end - b.start) + inc) as u32,
                            block: counter as u32,
                        });
                        frame_body.push(body_index);
                    }
                    counter += 1;
                    blocks.push(Block {
                        function: scanned.function,
                        start: b.start as u64,
                        end: b.end as u64,
                    });
                }
                body_buf.extend_from_slice(&wasm[copied..scanned.range.end]);
                code.raw(&body_buf);
                body_index += 1;
                code_left = code_left.saturating_sub(1);
                if code_left == 0 {
                    out.section(&code);
                }
            }
            Payload::End(_) => break,
            other => {
                if let Some((id, range)) = other.as_section() {
                    out.section(&RawSection {
                        id,
                        data: &wasm[range],
                    });
                }
            }
        }
    }
    if !memory_done {
        add_memory(&mut out);
    }
    if !export_done {
        add_export(&mut out);
    }
    let wasm = out.finish();
    if !frame_ranges.is_empty() {
        let starts = output_body_starts(&wasm)?;
        for (r, &body) in frame_ranges.iter_mut().zip(&frame_body) {
            let base = starts.get(body as usize).copied().unwrap_or(0);
            r.start += base;
            r.end += base;
        }
    }
    Ok(Instrumented {
        wasm,
        derived,
        frame_ranges,
        blocks,
        counters_export: COUNTERS_EXPORT,
        counters_memory: mem,
        counters_pages: pages,
        code_section_offset: scan.code_section_offset,
        first_body_offset: scan.bodies.first().map_or(0, |b| b.range.start as u64),
    })
}

/// Where each function body of `wasm` starts (its locals declaration) and
/// where its first instruction is, in order, as module offsets. A host
/// whose trap can land at a body's start needs the second: wasmtime puts
/// an `unreachable` that is a function's first instruction there, where V8
/// puts only a frame that ran nothing (see [`FrameRange`]).
pub fn body_entries(wasm: &[u8]) -> Result<Vec<(u32, u32)>, InstrumentError> {
    let mut entries = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload? {
            Payload::CodeSectionEntry(body) => {
                let first = body.get_operators_reader()?.original_position();
                entries.push((body.range().start as u32, first as u32));
            }
            Payload::End(_) => break,
            _ => {}
        }
    }
    Ok(entries)
}

/// Where each body of the rewritten module starts (its locals
/// declaration), in order.
fn output_body_starts(wasm: &[u8]) -> Result<Vec<u32>, InstrumentError> {
    Ok(body_entries(wasm)?
        .into_iter()
        .map(|(start, _)| start)
        .collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests: a panic is a failed test")]
    use super::*;
    use wasmparser::{KnownCustom, MemoryType as PMemoryType};

    fn wat(text: &str) -> Vec<u8> {
        wat::parse_str(text).unwrap()
    }

    fn memories(wasm: &[u8]) -> Vec<PMemoryType> {
        let mut out = Vec::new();
        for p in Parser::new(0).parse_all(wasm) {
            if let Payload::MemorySection(r) = p.unwrap() {
                out.extend(r.into_iter().map(|m| m.unwrap()));
            }
        }
        out
    }

    fn custom_sections(wasm: &[u8]) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        for p in Parser::new(0).parse_all(wasm) {
            if let Payload::CustomSection(r) = p.unwrap() {
                out.push((r.name().to_owned(), r.data().to_vec()));
            }
        }
        out
    }

    fn valid(wasm: &[u8]) {
        Validator::new_with_features(WasmFeatures::all())
            .validate_all(wasm)
            .unwrap();
    }

    #[test]
    fn adds_a_shared_memory_after_the_programs_and_exports_it() {
        let m = wat(r#"(module (memory 1) (memory i64 2)
              (func (export "f") (param i32) (result i32)
                local.get 0 (if (result i32) (then i32.const 1) (else i32.const 2)))
              (func nop))"#);
        let out = instrument(&m, &Options::default()).unwrap();
        valid(&out.wasm);
        assert_eq!(out.counters_memory, 2);
        assert_eq!(out.counters_export, COUNTERS_EXPORT);
        let mems = memories(&out.wasm);
        assert_eq!(mems.len(), 3);
        assert!(mems[1].memory64);
        let c = mems[2];
        assert!(c.shared && !c.memory64);
        assert_eq!((c.initial, c.maximum), (1, Some(1)));
        // f: [locals..if], [then ... else], [else-branch ... end], [end];
        // the second function: one block.
        let per_fn: Vec<u32> = out.blocks.iter().map(|b| b.function).collect();
        assert_eq!(per_fn, [0, 0, 0, 0, 1]);
        assert!(out.blocks.windows(2).all(|w| w[0].end <= w[1].start));
        let exports: Vec<String> = Parser::new(0)
            .parse_all(&out.wasm)
            .filter_map(|p| match p.unwrap() {
                Payload::ExportSection(r) => Some(
                    r.into_iter()
                        .map(|e| e.unwrap().name.to_owned())
                        .collect::<Vec<_>>(),
                ),
                _ => None,
            })
            .flatten()
            .collect();
        assert_eq!(exports, ["f", COUNTERS_EXPORT]);
    }

    #[test]
    fn blocks_tile_every_body_exactly() {
        let m = wat(r#"(module (import "e" "f" (func $f))
              (func (loop $l call $f br $l))
              (func (param i32) (result i32)
                (block $b local.get 0 br_if $b unreachable)
                local.get 0 (if (result i32) (then i32.const 1) (else i32.const 2))))"#);
        let out = instrument(&m, &Options::default()).unwrap();
        let mut bodies = Vec::new();
        for p in Parser::new(0).parse_all(&m) {
            if let Payload::CodeSectionEntry(b) = p.unwrap() {
                bodies.push(b.range());
            }
        }
        for (i, body) in bodies.iter().enumerate() {
            let f = i as u32 + 1; // one imported function comes first
            let mine: Vec<&Block> = out.blocks.iter().filter(|b| b.function == f).collect();
            assert_eq!(mine.first().unwrap().start, body.start as u64);
            assert_eq!(mine.last().unwrap().end, body.end as u64);
            assert!(mine.windows(2).all(|w| w[0].end == w[1].start), "{mine:?}");
        }
        assert_eq!(out.first_body_offset, bodies[0].start as u64);
    }

    #[test]
    fn creates_memory_and_export_sections_in_order_when_absent() {
        // No memory, no export, a start function and data count: the new
        // sections must land in the spec's order or validation fails.
        let m = wat(r#"(module (type (func)) (global i32 (i32.const 0))
              (func $s nop) (start $s) (elem func $s))"#);
        let out = instrument(&m, &Options::default()).unwrap();
        valid(&out.wasm);
        assert_eq!(out.counters_memory, 0);
        // No functions at all: still a (one-page) counter memory.
        let empty = instrument(&wat("(module)"), &Options::default()).unwrap();
        valid(&empty.wasm);
        assert!(empty.blocks.is_empty());
        assert_eq!(empty.counters_pages, 1);
    }

    #[test]
    fn keeps_custom_sections_and_names() {
        let mut m = wat(r#"(module (func $named (export "f") nop))"#);
        // A custom section at the end, as rustc leaves .debug_* sections.
        let mut extra = wasm_encoder::Module::new();
        extra.section(&wasm_encoder::CustomSection {
            name: ".debug_info".into(),
            data: b"stale but kept"[..].into(),
        });
        m.extend_from_slice(&extra.finish()[8..]);
        let before = custom_sections(&m);
        let out = instrument(&m, &Options::default()).unwrap();
        valid(&out.wasm);
        assert_eq!(custom_sections(&out.wasm), before);
        let named = Parser::new(0)
            .parse_all(&out.wasm)
            .any(|p| match p.unwrap() {
                Payload::CustomSection(r) => match r.as_known() {
                    KnownCustom::Name(n) => n.into_iter().any(|s| {
                        matches!(s, Ok(wasmparser::Name::Function(m))
                        if m.clone().into_iter().any(|x| x.unwrap().name == "named"))
                    }),
                    _ => false,
                },
                _ => false,
            });
        assert!(named, "the name section survives");
    }

    #[test]
    fn the_increment_uses_only_the_counter_memory() {
        let m = wat(r#"(module (memory 1) (func (export "f") nop))"#);
        let out = instrument(&m, &Options::default()).unwrap();
        let mut inc = Vec::new();
        encode_increment(&mut inc, 1, 0, false);
        // i32.const 0, i32.const 0, i64.load memory 1, i64.const 1, i64.add,
        // i64.store memory 1 (memarg flags 0x43: align 3 plus "memory index
        // follows")
        assert_eq!(
            inc,
            [0x41, 0, 0x41, 0, 0x29, 0x43, 1, 0, 0x42, 1, 0x7c, 0x37, 0x43, 1, 0]
        );
        let code = out.wasm.windows(inc.len()).filter(|w| *w == inc).count();
        assert_eq!(code, 1);
    }

    #[test]
    fn atomic_increments_validate_and_are_one_rmw() {
        let m = wat(r#"(module (func (export "f") nop))"#);
        let opts = Options {
            atomic: true,
            ..Options::default()
        };
        let out = instrument(&m, &opts).unwrap();
        valid(&out.wasm);
        let mut inc = Vec::new();
        encode_increment(&mut inc, 0, 0, true);
        // i32.const 0, i64.const 1, i64.atomic.rmw.add (0xfe 0x1f) memory 0
        // offset 0 (flags 3: align only, memory 0 needs no index), drop
        assert_eq!(inc, [0x41, 0, 0x42, 1, 0xfe, 0x1f, 3, 0, 0x1a]);
        assert_eq!(out.wasm.windows(inc.len()).filter(|w| *w == inc).count(), 1);
    }

    fn derive_opts() -> Options {
        Options {
            derive: true,
            ..Options::default()
        }
    }

    #[test]
    fn derived_blocks_and_where_their_frames_are() {
        // $f: [locals, call $g] [call $g] [loop ... br_if] [end of the
        // loop] [call $g] [end]. The block after the second call starts
        // with a loop, so that call's block keeps its increment.
        let m = wat(r#"(module (func $g)
              (func $f (param i32) call $g call $g
                (loop $l local.get 0 br_if $l) call $g))"#);
        let plain = instrument(&m, &Options::default()).unwrap();
        assert!(plain.derived.is_empty() && plain.frame_ranges.is_empty());
        let out = instrument(&m, &derive_opts()).unwrap();
        valid(&out.wasm);
        assert_eq!(out.blocks, plain.blocks, "the same table");
        let derived: Vec<u32> = out.derived.iter().map(|d| d.block).collect();
        // Block 0 is $g's; $f's are 1 to 6.
        assert_eq!(derived, [1, 4, 5]);
        assert!(out
            .derived
            .iter()
            .all(|d| d.plus == [d.block + 1] && d.live == [d.block]));
        let mut inc = Vec::new();
        encode_increment(&mut inc, 0, 0, false);
        assert_eq!(
            out.wasm.len(),
            plain.wasm.len() - 3 * inc.len(),
            "three increments fewer"
        );
        // Each derived block's output bytes are its input bytes, from its
        // first instruction on (block 1 starts $f: its locals declaration
        // is left out).
        let ranges: Vec<u32> = out.frame_ranges.iter().map(|r| r.block).collect();
        assert_eq!(ranges, derived);
        for r in &out.frame_ranges {
            let b = out.blocks[r.block as usize];
            let skip = if r.block == 1 { 1 } else { 0 };
            assert_eq!(
                &out.wasm[r.start as usize..r.end as usize],
                &m[b.start as usize + skip..b.end as usize],
                "{r:?}"
            );
        }
    }

    #[test]
    fn a_join_is_derived_from_the_block_after_it_and_the_branches_into_it() {
        // (block $b: [locals, local.get, br_if $b] [local.get, br_if $b]
        // [local.get, br $b] [nop, end]) [end of the function]. The block
        // with the `end` is derived from the join after it and the branch
        // blocks, which stay counted.
        let m = wat(r#"(module (func $g)
              (func (param i32)
                (block $b local.get 0 br_if $b local.get 0 br_if $b
                  (block $c local.get 0 br_if $c) br $b nop)))"#);
        let out = instrument(&m, &derive_opts()).unwrap();
        valid(&out.wasm);
        let rules: Vec<_> = out
            .derived
            .iter()
            .map(|d| (d.block, d.plus.clone(), d.minus.clone(), d.live.clone()))
            .collect();
        // Block 0 is $g's; then 1: br_if $b, 2: br_if $b, 3: br_if $c, 4:
        // $c's end (not derived: the br_if into $c's join falls into 4
        // itself), 5: br $b, 6: nop and $b's end, 7: the function's end.
        assert_eq!(rules, [(6, vec![7, 2, 3], vec![1, 2, 5], vec![6, 1, 2, 5])]);
        let framed: Vec<u32> = out.frame_ranges.iter().map(|r| r.block).collect();
        assert_eq!(framed, [1, 2, 5, 6]);
    }

    #[test]
    fn a_module_with_exceptions_keeps_every_counter() {
        let m = wat(r#"(module (tag $t) (func $g)
              (func call $g call $g)
              (func try call $g catch $t end))"#);
        assert!(instrument(&m, &derive_opts()).unwrap().derived.is_empty());
    }

    #[test]
    fn refuses_a_module_instrumented_twice() {
        let m = wat(r#"(module (func (export "f") nop))"#);
        let once = instrument(&m, &Options::default()).unwrap();
        let err = instrument(&once.wasm, &Options::default()).unwrap_err();
        assert!(matches!(err, InstrumentError::ExportTaken { .. }), "{err}");
        assert!(err.to_string().contains("at offset 0x"), "{err}");
    }

    #[test]
    fn refuses_components_and_garbage_with_offsets() {
        let component = b"\0asm\x0d\0\x01\0";
        let err = instrument(component, &Options::default()).unwrap_err();
        assert!(matches!(err, InstrumentError::Component { .. }), "{err}");
        let err = instrument(b"hello world", &Options::default()).unwrap_err();
        assert!(err.to_string().contains("(at offset 0x"), "{err}");
        // Without validation the structural parse still catches it.
        let no_validate = Options {
            validate: false,
            ..Options::default()
        };
        assert!(instrument(b"\0asm\x01\0\0\0\x0a\x05", &no_validate).is_err());
    }

    /// Fuzz-style: every prefix of a real module, and every single-byte
    /// corruption of its code, must give an error or a valid module, never a
    /// panic. Run with and without validation.
    #[test]
    fn truncated_and_corrupted_inputs_never_panic() {
        let m = wat(r#"(module (memory 1) (export "m" (memory 0))
              (func $a (param i32) (result i32) (local i64)
                (loop $l local.get 0 i32.const 1 i32.sub local.tee 0 br_if $l)
                (block $b local.get 0 br_if $b call $c)
                local.get 0 (if (result i32) (then i32.const 1) (else i32.const 2)))
              (func $c nop) (data (i32.const 0) "abc"))"#);
        for opts in [
            Options::default(),
            Options {
                validate: false,
                ..Options::default()
            },
        ] {
            for len in 0..m.len() {
                let _ = instrument(&m[..len], &opts);
            }
            for i in 8..m.len() {
                for b in [0x00, 0x0b, 0x03, 0xff] {
                    let mut bad = m.clone();
                    bad[i] = b;
                    if let Ok(out) = instrument(&bad, &opts) {
                        if opts.validate {
                            valid(&out.wasm);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn body_entries_step_over_each_locals_declaration() {
        let wasm = wat("(module
            (func unreachable)
            (func (local i32) (local i64 i64) unreachable))");
        let entries = body_entries(&wasm).unwrap();
        assert_eq!(entries.len(), 2);
        // No locals: one byte (the count 0). Two groups: the count 2, then
        // (1, i32) and (2, i64).
        let sizes: Vec<u32> = entries.iter().map(|&(s, f)| f - s).collect();
        assert_eq!(sizes, [1, 5]);
        assert_eq!(wasm[entries[0].1 as usize], 0x00, "unreachable");
        assert_eq!(wasm[entries[1].1 as usize], 0x00, "unreachable");
    }
}
