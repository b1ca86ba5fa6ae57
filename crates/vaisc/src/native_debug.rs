//! DWARF for executables built with `vaisc build -g` (placeholder until written).

use std::path::Path;
use vais_ast::SourceMap;

pub fn add_dwarf(_exe: &Path, _sources: &SourceMap, _functions: &[(String, vais_jit::LinkedFunction)], _dir: &Path) -> Result<(), String> {
    Err("not yet".into())
}
