#!/usr/bin/env bash
# Buckets the self time of a `perf record` profile by what the code does
# (DWARF parsing in gimli, Rust source parsing in syn, the offsets CSV, ...),
# so a profile reads as a table of phases even without call graphs.
#
#   bench/lib/perf-buckets.sh perf.data
set -euo pipefail
perf report -i "$1" --no-children --sort symbol --stdio 2>/dev/null \
  | awk '
    /^ +[0-9.]+%/ {
      pct = $1; sub(/%/, "", pct); sym = $0
      b = "other"
      if (sym ~ /gimli::|wasm_cov_mapper::dwarf/) b = "DWARF (gimli + dwarf.rs)"
      else if (sym ~ /syn::|proc_macro2|quote::|wasm_cov_mapper::source/) b = "Rust sources (syn)"
      else if (sym ~ /csv|read_offsets|OffsetRow|StringRecord|DeStringRecord|lexical|dec2flt|from_str_radix/) b = "offsets CSV"
      else if (sym ~ /sha2::/) b = "SHA-256 of the module"
      else if (sym ~ /wasmparser|branches::|ModuleLayout/) b = "wasm code (layout, branches)"
      else if (sym ~ /fold::|map_module|sort|block_at|partition/) b = "fold and line table"
      else if (sym ~ /serde_json|write_lcov|ryu|itoa|AtomicOutput/) b = "output"
      else if (sym ~ /rustc_demangle|names::/) b = "demangling"
      else if (sym ~ /malloc|free|realloc|_int_|unlink_chunk|__rdl|alloc::|memmove|memcpy|memcmp|memset|memchr/) b = "allocation and memcpy"
      else if (sym ~ /\[k\]/) b = "kernel (page faults, I/O)"
      else if (sym ~ /hash|Hash|sip/) b = "hashing (HashMap)"
      sum[b] += pct
    }
    END { for (b in sum) printf "%6.1f%%  %s\n", sum[b], b }' \
  | sort -rn
