//! Source lines of placed JIT code, for the tools that show them (perf jitdump, gdb images):
//! the runtime keeps each function's code-offset ranges as byte offsets into a file number;
//! this turns them into the file's name and 1-based lines and columns through the session's
//! source map.

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
