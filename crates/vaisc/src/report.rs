//! Runtime error reports in `vaisc`: the runtime renders them (`vais_runtime::report`, shared
//! with built executables); this module resolves frame positions through the session's source
//! map.

use vais_ast::SourceMap;
use vais_runtime::faults::Fault;

/// `file:line:col` of a byte offset in file number `file` of `sources`.
pub fn place(sources: &SourceMap, file: u32, offset: u32) -> Option<String> {
    let (name, line, col) = sources.position(file, offset)?;
    Some(format!("{name}:{line}:{col}"))
}

/// Flushes program output, then writes the report to standard error.
pub fn fault(fault: &Fault, sources: &SourceMap) {
    vais_runtime::report::print(fault, &|file, offset| place(sources, file, offset));
}
