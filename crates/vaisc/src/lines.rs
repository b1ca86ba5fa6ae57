//! Source lines of placed JIT code, for the tools that show them (perf jitdump, gdb images):
//! the runtime keeps each function's code-offset ranges as byte offsets into a file number;
//! this turns them into the file's name and 1-based lines and columns through the session's
//! source map.

use vais_ast::SourceMap;

/// The file name and `(code offset, line, column)` rows of the function whose code starts at
/// `start`, one row per change of line (the first row of a run of equal lines is kept).
pub fn line_rows(sources: &SourceMap, start: usize) -> Option<(String, Vec<(u32, u32, u32)>)> {
    let (file, ranges) = vais_runtime::faults::lines_of(start)?;
    let f = sources.files.get(file as usize)?;
    let mut rows: Vec<(u32, u32, u32)> = Vec::with_capacity(ranges.len());
    for (off, _, byte) in ranges {
        let (line, col) = f.line_col(byte.min(f.text.len() as u32));
        if rows.last().is_some_and(|r| r.1 == line as u32) {
            continue;
        }
        rows.push((off, line as u32, col as u32));
    }
    Some((f.name.clone(), rows))
}
