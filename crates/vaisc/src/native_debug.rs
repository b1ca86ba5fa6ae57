//! The DWARF description of an executable built with `vaisc build -g`: each linked function's
//! line table and inlined calls (from its source positions and inlined copies) as a
//! `vais_debug::Batch`, which the object writer turns into relocated `.debug_*` sections. The
//! same rows and calls as `vaisc run -g` gives gdb (`lines::rows_of`, `lines::describe`).

use vais_ast::SourceMap;
use vais_jit::LinkedFunction;
use vais_tir::Program;

/// The debug batch of `functions` (addresses are relocations, so `addr` is 0), with the
/// inlined calls of each function.
pub fn batch(sources: &SourceMap, program: &Program, functions: &[(String, LinkedFunction)]) -> (vais_debug::Batch, Vec<Vec<vais_debug::InlinedCall>>) {
    let mut files = crate::lines::BatchFiles::default();
    let mut out = Vec::with_capacity(functions.len());
    let mut inlined = Vec::with_capacity(functions.len());
    for (_symbol, f) in functions {
        let lines = crate::lines::rows_of(sources, f.file, &f.tables.lines, &f.tables.inlined).unwrap_or_default();
        let decl = Some(program.func(f.func).span);
        let (file, rows, calls) = crate::lines::describe(sources, lines, decl, &mut |n| files.index(n), &|_| None);
        let line = rows.first().map_or(0, |r| r.line);
        // gdb shows the Vais name; the symbol (`vais$name`) stays in the symbol table.
        out.push(vais_debug::Function { name: f.name.clone(), addr: 0, size: f.len as u64, file, line, rows });
        inlined.push(calls);
    }
    (files.batch(sources, out, None), inlined)
}
