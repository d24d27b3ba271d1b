//! Holds the instrumenter's block rules against V8's real output, one small
//! module per rule: the same calls are made once on the original module
//! under `--wasm-code-coverage` and once on the instrumented module, and the
//! blocks and counts must be equal. Needs the pinned Node
//! (`node_modules/.bin/node`); skips with a message without it.
#![allow(clippy::unwrap_used, reason = "tests: a panic is a failed test")]

mod common;

use std::fmt::Write as _;
use std::process::Command;

use wasm_cov_instrument::{derive_counts, instrument, Instrumented, Options};

/// What `call-exports.cjs derive` prints.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Derive {
    counts: Vec<u64>,
    frames: Vec<u64>,
    js: Vec<u64>,
    js_no_frames: Vec<u64>,
}

/// wasm-run's `DerivedConfig` (direct.rs), the table `counters.cjs`'s
/// `Derivation` reads.
fn derived_config(i: &Instrumented) -> serde_json::Value {
    let (mut blocks, mut at, mut rules) = (vec![], vec![], vec![]);
    for d in &i.derived {
        blocks.push(d.block);
        at.push(rules.len() as u32);
        rules.extend([d.plus.len(), d.minus.len(), d.live.len()].map(|n| n as u32));
        rules.extend(d.plus.iter().chain(&d.minus).chain(&d.live));
    }
    let r = &i.frame_ranges;
    serde_json::json!({
        "blocks": blocks, "at": at, "rules": rules,
        "starts": r.iter().map(|r| r.start).collect::<Vec<_>>(),
        "ends": r.iter().map(|r| r.end).collect::<Vec<_>>(),
        "framed": r.iter().map(|r| r.block).collect::<Vec<_>>(),
    })
}

fn derive_opts() -> Options {
    let mut o = Options::default();
    o.derive = true;
    o
}

/// Our counts as V8's raw blocks: `(start, end inclusive, count)` relative
/// to the first body.
fn as_v8(out: &Instrumented, counts: &[u64]) -> Vec<(u64, u64, u64)> {
    out.blocks
        .iter()
        .zip(counts)
        .map(|(b, &c)| {
            let (s, e) = b.v8_raw(out.first_body_offset);
            (s, e, c)
        })
        .collect()
}

struct Case {
    name: &'static str,
    wat: &'static str,
    /// `[[export, [args...]], ...]`
    calls: &'static str,
}

const CASES: &[Case] = &[
    Case {
        name: "straight line: one block, from the locals to the final end",
        wat: r#"(module (func (export "run") (param i32) (result i32)
                (local i64) local.get 0 i32.const 1 i32.add))"#,
        calls: r#"[["run",[1]],["run",[2]]]"#,
    },
    Case {
        name: "if/else: if, else and end end blocks",
        wat: r#"(module (func (export "run") (param i32) (result i32)
                local.get 0
                (if (result i32) (then i32.const 1 i32.const 2 i32.add)
                    (else i32.const 3))
                i32.const 7 i32.add))"#,
        calls: r#"[["run",[1]],["run",[0]],["run",[5]]]"#,
    },
    Case {
        name: "if without else, empty then: the end is a block of its own",
        wat: r#"(module (func (export "run") (param i32)
                local.get 0 if end
                local.get 0 if nop end))"#,
        calls: r#"[["run",[1]],["run",[0]],["run",[0]]]"#,
    },
    Case {
        name: "if with an empty then and an else",
        wat: r#"(module (func (export "run") (param i32)
                local.get 0 if else nop end))"#,
        calls: r#"[["run",[1]],["run",[0]],["run",[0]]]"#,
    },
    Case {
        name: "blocks that start at else or end: counted on the path that falls into them",
        wat: r#"(module (import "env" "nop" (func $nop))
                (func (export "run") (param i32)
                  (block $out
                    local.get 0 (if (then call $nop) (else nop))
                    local.get 0 (if (then br $out) (else call $nop))
                    local.get 0 (if (then unreachable))
                    call $nop)))"#,
        calls: r#"[["run",[0]],["run",[1]],["run",[0]]]"#,
    },
    Case {
        name: "a function never called that starts with a loop",
        wat: r#"(module (func (export "run") nop)
                (func (export "never") (param i32)
                  (loop $l local.get 0 i32.const 1 i32.sub local.tee 0 br_if $l)))"#,
        calls: r#"[["run",[]]]"#,
    },
    Case {
        name: "loop: starts a block at the loop opcode; back edges count",
        wat: r#"(module (func (export "run") (param i32)
                i32.const 0 drop
                (loop $l local.get 0 i32.const 1 i32.sub local.tee 0 br_if $l)
                nop))"#,
        calls: r#"[["run",[5]],["run",[1]]]"#,
    },
    Case {
        name: "loop as the first instruction",
        wat: r#"(module (func (export "run") (param i32)
                (loop $l local.get 0 i32.const 1 i32.sub local.tee 0 br_if $l)))"#,
        calls: r#"[["run",[3]]]"#,
    },
    Case {
        name: "loop right after a block end (a block starts there already)",
        wat: r#"(module (import "env" "nop" (func $nop))
                (func (export "run") (param i32)
                call $nop
                (loop $l local.get 0 i32.const 1 i32.sub local.tee 0 br_if $l)
                (block (loop $m local.get 0 i32.const 1 i32.add local.tee 0 i32.const 4 i32.lt_s br_if $m))))"#,
        calls: r#"[["run",[3]]]"#,
    },
    Case {
        name: "nested loops and ifs",
        wat: r#"(module (func (export "run") (param i32) (result i32) (local i32 i32)
                (loop $outer
                  i32.const 0 local.set 2
                  (loop $inner
                    local.get 2 i32.const 1 i32.add local.tee 2
                    i32.const 2 i32.rem_u
                    (if (then local.get 1 i32.const 1 i32.add local.set 1))
                    local.get 2 i32.const 3 i32.lt_u br_if $inner)
                  local.get 0 i32.const 1 i32.sub local.tee 0 br_if $outer)
                local.get 1))"#,
        calls: r#"[["run",[4]]]"#,
    },
    Case {
        name: "block does not split; br and dead code after it",
        wat: r#"(module (func (export "run") (param i32) (result i32)
                (block $b local.get 0 br_if $b i32.const 1 drop br $b i32.const 2 drop)
                (block $c (block $d br $d) i32.const 9 drop)
                i32.const 3))"#,
        calls: r#"[["run",[1]],["run",[0]]]"#,
    },
    Case {
        name: "br_table",
        wat: r#"(module (func (export "run") (param i32) (result i32)
                (block $a (block $b (block $c
                  local.get 0 br_table $a $b $c)
                  i32.const 10 return)
                  i32.const 20 return)
                i32.const 30))"#,
        calls: r#"[["run",[0]],["run",[1]],["run",[2]],["run",[7]]]"#,
    },
    Case {
        name: "return in the middle, and the dead code after it",
        wat: r#"(module (func (export "run") (param i32) (result i32)
                local.get 0 (if (then i32.const 1 return))
                i32.const 2 return i32.const 3))"#,
        calls: r#"[["run",[1]],["run",[0]],["run",[0]]]"#,
    },
    Case {
        name: "calls end blocks; a call that throws stops the caller",
        wat: r#"(module (import "env" "nop" (func $nop)) (import "env" "throws" (func $throws))
                (func $inner (param i32) local.get 0 (if (then call $throws)) call $nop)
                (func (export "run") (param i32)
                  call $nop local.get 0 call $inner i32.const 1 drop call $nop))"#,
        calls: r#"[["run",[0]],["run",[1]],["run",[0]]]"#,
    },
    Case {
        name: "chains of calls, and a trap under live frames of one function",
        wat: r#"(module (import "env" "nop" (func $nop))
                (func $rec (param i32)
                  local.get 0 (if (then local.get 0 i32.const 1 i32.sub call $rec))
                  call $nop call $nop
                  local.get 0 i32.const 3 i32.eq (if (then unreachable)))
                (func (export "run") (param i32)
                  call $nop call $nop local.get 0 call $rec call $nop call $nop))"#,
        calls: r#"[["run",[2]],["run",[6]],["run",[1]]]"#,
    },
    Case {
        name: "a block's join fed by br_if and br, in a loop, with a trap",
        wat: r#"(module (func (export "run") (param i32) (local i32)
                (loop $l
                  (block $b
                    local.get 1 i32.const 1 i32.add local.tee 1
                    i32.const 3 i32.rem_u i32.eqz br_if $b
                    local.get 1 local.get 0 i32.eq (if (then unreachable))
                    local.get 1 i32.const 1 i32.and br_if $b
                    br $b)
                  local.get 1 i32.const 10 i32.lt_u br_if $l)))"#,
        calls: r#"[["run",[100]],["run",[4]],["run",[7]]]"#,
    },
    Case {
        name: "a br_if that falls into a loop, whose back edges also enter it",
        wat: r#"(module (func (export "run") (param i32) (local i32)
                (block $b
                  local.get 0 i32.eqz br_if $b
                  (loop $l
                    local.get 1 i32.const 1 i32.add local.tee 1
                    local.get 0 i32.lt_u br_if $l)
                  local.get 1 i32.const 2 i32.rem_u br_if $b
                  br $b)
                nop))"#,
        calls: r#"[["run",[0]],["run",[3]],["run",[4]]]"#,
    },
    Case {
        name: "a stack overflow: the innermost frame ran nothing",
        wat: r#"(module (import "env" "nop" (func $nop))
                (func $down (param i32) (result i32)
                  call $nop local.get 0 i32.const 1 i32.add call $down)
                (func (export "run") (param i32) (result i32)
                  local.get 0 call $down call $nop))"#,
        calls: r#"[["run",[0]]]"#,
    },
    Case {
        name: "a stack overflow in wasm: the function whose entry check failed",
        wat: r#"(module
                (func $down (param i32) (result i32)
                  local.get 0 i32.const 1 i32.add call $down)
                (func (export "run") (param i32) (result i32)
                  local.get 0 call $down))"#,
        calls: r#"[["run",[0]]]"#,
    },
    Case {
        name: "call_indirect and a trap in the middle of a block",
        wat: r#"(module (type $t (func (param i32) (result i32)))
                (table 2 funcref) (elem (i32.const 0) $div)
                (func $div (param i32) (result i32)
                  i32.const 100 local.get 0 i32.div_s i32.const 1 i32.add)
                (func (export "run") (param i32) (result i32)
                  local.get 0 i32.const 0 call_indirect (type $t) drop
                  i32.const 5 local.get 0 i32.const 1 call_indirect (type $t) i32.add))"#,
        calls: r#"[["run",[1]],["run",[0]],["run",[2]]]"#,
    },
    Case {
        name: "unreachable ends a block; trapping there",
        wat: r#"(module (func (export "run") (param i32)
                local.get 0 (if (then unreachable)) nop))"#,
        calls: r#"[["run",[0]],["run",[1]],["run",[0]]]"#,
    },
    Case {
        name: "a function never called still has its blocks, at 0",
        wat: r#"(module (func (export "run") nop)
                (func (export "never") (param i32) (result i32)
                  local.get 0 (if (result i32) (then i32.const 1) (else i32.const 2))))"#,
        calls: r#"[["run",[]]]"#,
    },
    Case {
        name: "select and blocks with results do not split",
        wat: r#"(module (func (export "run") (param i32) (result i32)
                (block (result i32) i32.const 1 i32.const 2 local.get 0 select)
                (block (param i32) (result i32) i32.const 3 i32.add)))"#,
        calls: r#"[["run",[1]],["run",[0]]]"#,
    },
    Case {
        name: "tail calls: return_call and return_call_indirect",
        wat: r#"(module (type $t (func (param i32) (result i32)))
                (table 1 funcref) (elem (i32.const 0) $id)
                (func $id (param i32) (result i32) local.get 0)
                (func (export "run") (param i32) (result i32)
                  local.get 0 (if (then local.get 0 return_call $id))
                  i32.const 4 i32.const 0 return_call_indirect (type $t)))"#,
        calls: r#"[["run",[1]],["run",[0]]]"#,
    },
    Case {
        name: "exceptions: try_table, throw, throw_ref",
        wat: r#"(module (tag $e (param i32))
                (func $thrower (param i32) local.get 0 (if (then local.get 0 throw $e)))
                (func (export "run") (param i32) (result i32)
                  (block $h (result i32)
                    (try_table (catch $e $h) local.get 0 call $thrower i32.const 0 drop)
                    i32.const -1)
                  i32.const 1 i32.add)
                (func (export "rethrow") (param i32)
                  (block $h (result exnref)
                    (try_table (catch_all_ref $h) local.get 0 call $thrower)
                    return)
                  throw_ref))"#,
        calls: r#"[["run",[0]],["run",[3]],["rethrow",[0]],["rethrow",[2]]]"#,
    },
    Case {
        name: "legacy exceptions: try, catch, catch_all, rethrow, delegate",
        wat: r#"(module (tag $e (param i32))
                (func $thrower (param i32) local.get 0 (if (then local.get 0 throw $e)))
                (func (export "run") (param i32) (result i32)
                  try (result i32)
                    local.get 0 call $thrower i32.const 0
                  catch $e
                    i32.const 1 i32.add
                  catch_all
                    i32.const 2
                  end)
                (func (export "again") (param i32)
                  try local.get 0 call $thrower catch_all rethrow 0 end)
                (func (export "deleg") (param i32)
                  try
                    try local.get 0 call $thrower delegate 0
                  catch_all
                  end))"#,
        calls: r#"[["run",[0]],["run",[3]],["again",[0]],["again",[1]],["deleg",[0]],["deleg",[1]]]"#,
    },
    Case {
        name: "function references: call_ref, return_call_ref, br_on_null, br_on_non_null",
        wat: r#"(module (type $t (func (param i32) (result i32)))
                (func $id (type $t) local.get 0)
                (elem declare func $id)
                (func (export "run") (param i32) (result i32)
                  (block $null
                    (block $nonnull (result (ref $t))
                      local.get 0 (if (result (ref null $t)) (then ref.func $id) (else ref.null $t))
                      br_on_non_null $nonnull
                      br $null)
                    local.get 0 i32.const 1 i32.add
                    (ref.func $id) call_ref $t drop
                    local.get 0 ref.func $id br_on_null $null
                    return_call_ref $t)
                  i32.const -1))"#,
        calls: r#"[["run",[1]],["run",[0]],["run",[2]]]"#,
    },
    Case {
        name: "GC casts: br_on_cast and br_on_cast_fail",
        wat: r#"(module (type $s (struct (field i32)))
                (func (export "run") (param i32) (result i32) (local $r anyref)
                  local.get 0
                  (if (result anyref) (then (struct.new $s (i32.const 7))) (else (ref.i31 (i32.const 1))))
                  local.set $r
                  (block $is (result (ref $s))
                    local.get $r
                    br_on_cast $is anyref (ref $s)
                    drop
                    (block $no (result anyref)
                      local.get $r
                      br_on_cast_fail $no anyref (ref $s)
                      drop
                      i32.const 5 return)
                    drop
                    i32.const 0 return)
                  struct.get $s 0))"#,
        calls: r#"[["run",[1]],["run",[0]]]"#,
    },
    Case {
        name: "memory64 program: the counters stay in their own 32-bit memory",
        wat: r#"(module (memory i64 1)
                (func (export "run") (param i32) (result i32)
                  i64.const 8 local.get 0 i32.store
                  local.get 0 (if (result i32) (then i64.const 8 i32.load) (else i32.const 0))))"#,
        calls: r#"[["run",[1]],["run",[0]]]"#,
    },
    Case {
        name: "multi-memory program: its memory indices do not move",
        wat: r#"(module (memory 1) (memory $b 1) (export "memory" (memory 0))
                (func (export "run") (param i32) (result i32)
                  i32.const 0 local.get 0 i32.store $b
                  i32.const 0 i32.load $b))"#,
        calls: r#"[["run",[1]]]"#,
    },
];

#[test]
fn blocks_and_counts_equal_v8s() {
    let Some(node) = common::pinned_node("blocks_and_counts_equal_v8s") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let script = common::js("call-exports.cjs");
    let mut report = String::new();
    let mut any_derived = false;
    for (i, case) in CASES.iter().enumerate() {
        let wasm = wat::parse_str(case.wat).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let out = instrument(&wasm, &Options::default())
            .unwrap_or_else(|e| panic!("{}: instrument: {e}", case.name));
        let orig = dir.path().join(format!("{i}.wasm"));
        let inst = dir.path().join(format!("{i}.inst.wasm"));
        let calls = dir.path().join(format!("{i}.calls.json"));
        std::fs::write(&orig, &wasm).unwrap();
        std::fs::write(&inst, &out.wasm).unwrap();
        std::fs::write(&calls, case.calls).unwrap();

        let v8: Vec<(u64, u64, u64)> = serde_json::from_str(&common::run(
            Command::new(&node)
                .args(common::V8_COVERAGE_FLAGS)
                .arg(&script)
                .args(["v8".as_ref(), orig.as_os_str(), calls.as_os_str()]),
        ))
        .unwrap();
        let counts: Vec<u64> =
            serde_json::from_str(&common::run(Command::new(&node).arg(&script).args([
                "inject".as_ref(),
                inst.as_os_str(),
                calls.as_os_str(),
                out.blocks.len().to_string().as_ref(),
            ])))
            .unwrap();
        let ours = as_v8(&out, &counts);
        if ours != v8 {
            let _ = writeln!(
                report,
                "case {i} ({}):\n  V8:   {v8:?}\n  ours: {ours:?}",
                case.name
            );
        }

        // Derived counters: the blocks after calls get no increment, and
        // their counts come from the next block's and the frames of every
        // call that trapped or threw.
        let derived = instrument(&wasm, &derive_opts())
            .unwrap_or_else(|e| panic!("{}: instrument: {e}", case.name));
        assert_eq!(derived.blocks, out.blocks, "{}", case.name);
        let inst = dir.path().join(format!("{i}.derived.wasm"));
        std::fs::write(&inst, &derived.wasm).unwrap();
        let table = dir.path().join(format!("{i}.derived.json"));
        std::fs::write(&table, derived_config(&derived).to_string()).unwrap();
        let got: Derive =
            serde_json::from_str(&common::run(Command::new(&node).arg(&script).args([
                "derive".as_ref(),
                inst.as_os_str(),
                calls.as_os_str(),
                out.blocks.len().to_string().as_ref(),
                table.as_os_str(),
            ])))
            .unwrap();
        // wasm-run's JS fills in the same counts as this crate, with the
        // frames and without them.
        let mut without = got.counts.clone();
        derive_counts(&mut without, &derived.derived, &derived.frame_ranges, &[]);
        if got.js_no_frames != without {
            let _ = writeln!(
                report,
                "case {i} ({}): counters.cjs without frames {:?}, derive_counts {without:?}",
                case.name, got.js_no_frames
            );
        }
        let mut counts = got.counts;
        derive_counts(
            &mut counts,
            &derived.derived,
            &derived.frame_ranges,
            &got.frames,
        );
        if got.js != counts {
            let _ = writeln!(
                report,
                "case {i} ({}): counters.cjs {:?}, derive_counts {counts:?}",
                case.name, got.js
            );
        }
        let ours = as_v8(&derived, &counts);
        if ours != v8 {
            let _ = writeln!(
                report,
                "case {i} ({}), derived counters (blocks {:?}):\n  V8:   {v8:?}\n  ours: {ours:?}",
                case.name,
                derived.derived.iter().map(|d| d.block).collect::<Vec<_>>()
            );
        }
        any_derived |= !derived.derived.is_empty();
    }
    assert!(any_derived, "no case has a derived block");
    assert!(
        report.is_empty(),
        "the instrumenter disagrees with V8 {} ([start, end inclusive, count] relative to the first body):\n{report}",
        common::v8_version(&node)
    );
}
