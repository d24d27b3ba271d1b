//! Renaming one export of a core module: every other section is copied
//! byte for byte, the export section re-encoded with the one name changed.
//! The exports of a component's core module are seen only inside the
//! component, so the host sees nothing of it.

use wasm_encoder::{ExportKind, ExportSection, Section};
use wasmparser::{ExternalKind, Parser, Payload};

/// `wasm` with its export `from` named `to`.
pub fn export(wasm: &[u8], from: &str, to: &str) -> Result<Vec<u8>, String> {
    let err =
        |e: wasmparser::BinaryReaderError| format!("{} (at offset {:#x})", e.message(), e.offset());
    let mut out = Vec::with_capacity(wasm.len() + to.len());
    let mut copied_to = 0;
    let mut renamed = false;
    for payload in Parser::new(0).parse_all(wasm) {
        let Payload::ExportSection(reader) = payload.map_err(err)? else {
            continue;
        };
        let mut section = ExportSection::new();
        for e in reader.clone() {
            let e = e.map_err(err)?;
            let kind = match e.kind {
                ExternalKind::Func => ExportKind::Func,
                ExternalKind::Table => ExportKind::Table,
                ExternalKind::Memory => ExportKind::Memory,
                ExternalKind::Global => ExportKind::Global,
                ExternalKind::Tag => ExportKind::Tag,
            };
            let name = if e.name == from {
                renamed = true;
                to
            } else {
                e.name
            };
            section.export(name, kind, e.index);
        }
        // The section's id and size come just before its payload.
        let start = header_start(wasm, reader.range().start);
        out.extend_from_slice(&wasm[copied_to..start]);
        // Its id, size, count and entries.
        section.append_to(&mut out);
        copied_to = reader.range().end;
    }
    if !renamed {
        return Err(format!("the module exports no {from}"));
    }
    out.extend_from_slice(&wasm[copied_to..]);
    Ok(out)
}

/// Where the section whose payload starts at `payload` starts: back over
/// its size (LEB128) to its id.
fn header_start(wasm: &[u8], payload: usize) -> usize {
    let mut at = payload - 1; // the size's last byte has its high bit clear
    while at > 0 && wasm[at - 1] & 0x80 != 0 {
        at -= 1;
    }
    at - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_export_is_renamed_and_the_rest_kept() {
        // A memory exported as "m" and as "counters", then a custom section.
        let mut wasm = b"\0asm\x01\0\0\0".to_vec();
        wasm.extend_from_slice(&[5, 3, 1, 0, 1]); // one memory, min 1
        wasm.extend_from_slice(&[7, 16, 2, 1, b'm', 2, 0, 8]);
        wasm.extend_from_slice(b"counters");
        wasm.extend_from_slice(&[2, 0]);
        wasm.extend_from_slice(&[0, 2, 1, b'x']);
        let out = export(&wasm, "counters", "counters_0123456789abcdef").unwrap();
        let mut names = Vec::new();
        for p in Parser::new(0).parse_all(&out) {
            if let Payload::ExportSection(r) = p.unwrap() {
                names.extend(r.into_iter().map(|e| e.unwrap().name.to_owned()));
            }
        }
        assert_eq!(names, ["m", "counters_0123456789abcdef"]);
        assert!(out.ends_with(&[0, 2, 1, b'x']));
        assert!(wasmparser::validate(&out).is_ok());
        assert!(export(&wasm, "nope", "x").is_err());
    }
}
