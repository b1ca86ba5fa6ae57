//! The DWARF description of an executable built with `vaisc build -g`: each linked function's
//! line table (from its source positions) as a `vais_debug::Batch`, which the object writer
//! turns into relocated `.debug_*` sections. Same rows as `vaisc run -g` gives gdb
//! (`lines::debug_image`): one per change of line, plus the declaration's line for the prologue.

use vais_ast::SourceMap;
use vais_jit::LinkedFunction;
use vais_tir::Program;

/// The debug batch of `functions` (addresses are relocations, so `addr` is 0).
pub fn batch(sources: &SourceMap, program: &Program, functions: &[(String, LinkedFunction)]) -> vais_debug::Batch {
    let mut files: Vec<String> = Vec::new();
    let mut out = Vec::with_capacity(functions.len());
    for (symbol, f) in functions {
        let src = sources.files.get(f.file as usize);
        let file = match src {
            Some(s) => match files.iter().position(|n| *n == s.name) {
                Some(i) => i as u32,
                None => {
                    files.push(s.name.clone());
                    (files.len() - 1) as u32
                }
            },
            None => 0,
        };
        let mut rows: Vec<vais_debug::Row> = Vec::new();
        if let Some(src) = src {
            for &(offset, _, byte) in &f.tables.lines {
                let (line, col) = src.line_col(byte.min(src.text.len() as u32));
                if rows.last().is_some_and(|r| r.line == line as u32) {
                    continue;
                }
                rows.push(vais_debug::Row { offset, file, line: line as u32, col: col as u32 });
            }
            // The prologue has no source position: a row at the declaration's line makes gdb
            // see line information at the first instruction (see `lines::debug_image`).
            if rows.first().is_none_or(|r| r.offset > 0) {
                let decl = program.func(f.func).span;
                if decl.file.0 == f.file {
                    rows.insert(0, vais_debug::Row { offset: 0, file, line: src.line_col(decl.start).0 as u32, col: 1 });
                }
            }
        }
        let line = rows.first().map_or(0, |r| r.line);
        // gdb shows the Vais name; the symbol (`vais$name`) stays in the symbol table.
        let _ = symbol;
        out.push(vais_debug::Function { name: f.name.clone(), addr: 0, size: f.len as u64, file, line, rows });
    }
    if files.is_empty() {
        files.push(sources.files.first().map_or_else(|| "<unknown>".to_string(), |f| f.name.clone()));
    }
    let comp_dir = std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_else(|_| ".".into());
    vais_debug::Batch { comp_dir, files, functions: out, frames: None }
}
