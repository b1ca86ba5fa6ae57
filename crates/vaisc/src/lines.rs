//! Source lines of placed JIT code, for the tools that show them (perf jitdump, gdb images):
//! the runtime keeps each function's code-offset ranges as byte offsets into a file number;
//! this turns them into the file's name and 1-based lines and columns through the session's
//! source map, and builds the debugger's image of all of it ([`debug_image`]).

use vais_ast::SourceMap;

/// From `offset` (bytes into the function's code) on, the code belongs to `line:col`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineRow {
    pub offset: u32,
    pub line: u32,
    pub col: u32,
}

/// The line table of one function.
#[derive(Clone, Debug, Default)]
pub struct FunctionLines {
    pub file: String,
    /// One row per change of line (the first row of a run of equal lines is kept).
    pub rows: Vec<LineRow>,
}

/// The line table of the function whose code starts at `start`.
pub fn line_rows(sources: &SourceMap, start: usize) -> Option<FunctionLines> {
    let (file, ranges) = vais_runtime::faults::lines_of(start)?;
    let f = sources.files.get(file as usize)?;
    let mut rows: Vec<LineRow> = Vec::with_capacity(ranges.len());
    for (offset, _, byte) in ranges {
        let (line, col) = f.line_col(byte.min(f.text.len() as u32));
        if rows.last().is_some_and(|r| r.line == line as u32) {
            continue;
        }
        rows.push(LineRow { offset, line: line as u32, col: col as u32 });
    }
    Some(FunctionLines { file: f.name.clone(), rows })
}

/// The DWARF image (`vais-debug`) of the functions one `compile` placed (user functions with
/// their line tables, helpers such as entry wrappers with their names only) and their
/// call-frame information, for the GDB JIT interface. File names are as the user gave them,
/// relative to the current directory, or what `rename` makes of them.
pub fn debug_image(
    sources: &SourceMap,
    placed: &[vais_jit::PlacedFunction],
    frames: Option<&vais_debug::Frames>,
    rename: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<u8>, String> {
    let mut files: Vec<String> = Vec::new();
    let mut file_index = |name: &str| -> u32 {
        match files.iter().position(|f| f == name) {
            Some(i) => i as u32,
            None => {
                files.push(name.to_string());
                (files.len() - 1) as u32
            }
        }
    };
    let mut functions = Vec::new();
    for p in placed {
        let lines = if p.func.is_some() { line_rows(sources, p.addr).unwrap_or_default() } else { FunctionLines::default() };
        let file = if lines.file.is_empty() { 0 } else { file_index(&rename(&lines.file).unwrap_or(lines.file)) };
        let rows: Vec<vais_debug::Row> =
            lines.rows.iter().map(|r| vais_debug::Row { offset: r.offset, file, line: r.line, col: r.col }).collect();
        let mut rows = rows;
        // The prologue has no source position. A row for it at the declaration's line makes
        // gdb see line information at the function's first instruction (otherwise `step`
        // steps over the call as into code without debug info) and start the body at the
        // next row (its prologue analysis skips to the next line).
        if rows.first().is_some_and(|r| r.offset > 0) {
            if let Some(line) = p.span.and_then(|s| Some(sources.files.get(s.file.0 as usize)?.line_col(s.start).0 as u32)) {
                rows.insert(0, vais_debug::Row { offset: 0, file, line, col: 1 });
            }
        }
        let line = rows.first().map_or(0, |r| r.line);
        functions.push(vais_debug::Function { name: p.name.clone(), addr: p.addr as u64, size: p.len as u64, file, line, rows });
    }
    if files.is_empty() {
        files.push(sources.files.first().map_or_else(|| "<unknown>".to_string(), |f| f.name.clone()));
    }
    let comp_dir = std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_else(|_| ".".into());
    let batch = vais_debug::Batch { comp_dir, files, functions, frames: frames.cloned() };
    vais_debug::elf_image(&batch).map_err(|e| e.to_string())
}
