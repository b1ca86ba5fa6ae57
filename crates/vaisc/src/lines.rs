//! Source lines of placed JIT code, for the tools that show them (perf jitdump, gdb images):
//! the runtime keeps each function's code-offset ranges as byte offsets into a file number;
//! this turns them into the file's name and 1-based lines and columns through the session's
//! source map, and builds the debugger's image of all of it ([`debug_image`]). Code of an
//! inlined copy gets the inlined function's own lines (and file), and the copies are
//! described as the debugger's inlined calls.

use vais_ast::SourceMap;

/// From `offset` (bytes into the function's code) on, the code belongs to `line:col` of
/// `files[file]` of its [`FunctionLines`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineRow {
    pub offset: u32,
    pub file: u32,
    pub line: u32,
    pub col: u32,
}

/// The line table of one function.
#[derive(Clone, Debug, Default)]
pub struct FunctionLines {
    /// The function's own file (also `files[0]`).
    pub file: String,
    /// The files its rows name: an inlined copy's rows are in the inlined function's file.
    pub files: Vec<String>,
    /// One row per change of line (the first row of a run of equal lines is kept). Code of an
    /// inlined copy has the inlined function's own lines (the innermost copy's).
    pub rows: Vec<LineRow>,
    /// The inlined copies in the function's code, as the debugger's tree of calls (call
    /// positions' files index `files`).
    pub calls: Vec<vais_debug::InlinedCall>,
}

/// The line table of the placed function whose code starts at `start` (from the runtime's
/// tables of placed code).
pub fn line_rows(sources: &SourceMap, start: usize) -> Option<FunctionLines> {
    let (file, ranges) = vais_runtime::faults::lines_of(start)?;
    let inlined = vais_runtime::faults::inlined_of(start);
    rows_of(sources, file, &ranges, &inlined)
}

/// The line table of a function of file number `file` whose code has the source positions
/// `ranges` and the inlined copies `inlined` (both sorted by code offset).
pub fn rows_of(
    sources: &SourceMap,
    file: u32,
    ranges: &[vais_runtime::faults::SrcRange],
    inlined: &[vais_runtime::faults::InlinedRange],
) -> Option<FunctionLines> {
    let name = sources.files.get(file as usize)?.name.clone();
    let mut files = vec![name.clone()];
    // Compiler file number -> index in `files`.
    let mut index: Vec<(u32, u32)> = vec![(file, 0)];
    let mut file_of = |n: u32| -> Option<u32> {
        if let Some(&(_, i)) = index.iter().find(|(k, _)| *k == n) {
            return Some(i);
        }
        files.push(sources.files.get(n as usize)?.name.clone());
        let i = (files.len() - 1) as u32;
        index.push((n, i));
        Some(i)
    };
    let line_col = |n: u32, byte: u32| -> Option<(u32, u32)> {
        let src = sources.files.get(n as usize)?;
        let (l, c) = src.line_col(byte.min(src.text.len() as u32));
        Some((l as u32, c as u32))
    };
    let mut rows: Vec<LineRow> = Vec::with_capacity(ranges.len());
    let mut calls: Vec<vais_debug::InlinedCall> = vec![];
    let mut j = 0;
    for &(offset, end, byte) in ranges {
        while j < inlined.len() && inlined[j].end <= offset {
            j += 1;
        }
        let copy = inlined.get(j).filter(|r| r.start <= offset).map(|r| &r.frames);
        let mut here = (file, byte);
        if let Some(frames) = copy {
            // The copies at this code, outermost first: each is called where the code around
            // it is (the function's own position here for the outermost one).
            let mut level = &mut calls;
            let mut call = (file, byte);
            for (name, n, o) in frames.iter().rev() {
                let (Some(call_file), Some((call_line, call_col))) = (file_of(call.0), line_col(call.0, call.1)) else { break };
                let at = match level.iter().position(|c| c.name == *name && c.call_file == call_file && c.call_line == call_line && c.call_col == call_col) {
                    Some(i) => i,
                    None => {
                        level.push(vais_debug::InlinedCall { name: name.clone(), call_file, call_line, call_col, ranges: vec![], calls: vec![] });
                        level.len() - 1
                    }
                };
                let node = &mut level[at];
                match node.ranges.last_mut() {
                    Some(r) if r.1 == offset => r.1 = end,
                    _ => node.ranges.push((offset, end)),
                }
                level = &mut node.calls;
                call = (*n, *o);
            }
            here = call;
        }
        let (Some(fi), Some((line, col))) = (file_of(here.0), line_col(here.0, here.1)) else { continue };
        if rows.last().is_some_and(|r| r.file == fi && r.line == line) {
            continue;
        }
        rows.push(LineRow { offset, file: fi, line, col });
    }
    Some(FunctionLines { file: name, files, rows, calls })
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
    let mut files = BatchFiles::default();
    let mut functions = Vec::new();
    let mut inlined = Vec::new();
    for p in placed {
        let lines = if p.func.is_some() { line_rows(sources, p.addr).unwrap_or_default() } else { FunctionLines::default() };
        let (file, rows, calls) = describe(sources, lines, p.span, &mut |n| files.index(n), rename);
        inlined.push(calls);
        let line = rows.first().map_or(0, |r| r.line);
        functions.push(vais_debug::Function { name: p.name.clone(), addr: p.addr as u64, size: p.len as u64, file, line, rows });
    }
    let batch = files.batch(sources, functions, frames.cloned());
    vais_debug::elf_image_inlined(&batch, &inlined).map_err(|e| e.to_string())
}

/// The files of a debug batch, numbered in the order they are first named.
#[derive(Default)]
pub struct BatchFiles(Vec<String>);

impl BatchFiles {
    /// The number of file `name` in the batch (added if new).
    pub fn index(&mut self, name: &str) -> u32 {
        match self.0.iter().position(|f| f == name) {
            Some(i) => i as u32,
            None => {
                self.0.push(name.to_string());
                (self.0.len() - 1) as u32
            }
        }
    }

    /// The batch of `functions` over these files (the first source file when none was named),
    /// relative to the current directory.
    pub fn batch(self, sources: &SourceMap, functions: Vec<vais_debug::Function>, frames: Option<vais_debug::Frames>) -> vais_debug::Batch {
        let mut files = self.0;
        if files.is_empty() {
            files.push(sources.files.first().map_or_else(|| "<unknown>".to_string(), |f| f.name.clone()));
        }
        let comp_dir = std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_else(|_| ".".into());
        vais_debug::Batch { comp_dir, files, functions, frames }
    }
}

/// One function of a debug batch: its file (in the batch's file list, through `file_index`),
/// its line rows and its inlined calls, from its line table and declaration (`decl`, for a row
/// at the prologue). File names are what `rename` makes of them, or as they are.
pub fn describe(
    sources: &SourceMap,
    lines: FunctionLines,
    decl: Option<vais_ast::Span>,
    file_index: &mut dyn FnMut(&str) -> u32,
    rename: &dyn Fn(&str) -> Option<String>,
) -> (u32, Vec<vais_debug::Row>, Vec<vais_debug::InlinedCall>) {
    let file = if lines.file.is_empty() { 0 } else { file_index(&rename(&lines.file).unwrap_or(lines.file.clone())) };
    // The function's files (its own, and those of functions inlined into it) in the batch.
    let to_batch: Vec<u32> =
        lines.files.iter().enumerate().map(|(i, f)| if i == 0 { file } else { file_index(&rename(f).unwrap_or(f.clone())) }).collect();
    let batch_file = |i: u32| to_batch.get(i as usize).copied().unwrap_or(file);
    let mut rows: Vec<vais_debug::Row> =
        lines.rows.iter().map(|r| vais_debug::Row { offset: r.offset, file: batch_file(r.file), line: r.line, col: r.col }).collect();
    let mut calls = lines.calls;
    let mut todo: Vec<&mut vais_debug::InlinedCall> = calls.iter_mut().collect();
    // Where each copy starts, a row at its call's line comes first (outer copies' first):
    // the call's line then has code (`break FILE:LINE` on a line that calls an inlined
    // function stops where the copy starts, and shows the caller at that line, as for C
    // compiled with -O2 -g); the copy's own row at the same address follows.
    let mut entries: Vec<(u32, usize, vais_debug::Row)> = Vec::new();
    let mut depth_of: Vec<usize> = vec![0; todo.len()];
    while let Some(c) = todo.pop() {
        let depth = depth_of.pop().unwrap_or(0);
        c.call_file = batch_file(c.call_file);
        if let Some(&(start, _)) = c.ranges.first() {
            entries.push((start, depth, vais_debug::Row { offset: start, file: c.call_file, line: c.call_line, col: c.call_col }));
        }
        depth_of.extend(std::iter::repeat_n(depth + 1, c.calls.len()));
        todo.extend(c.calls.iter_mut());
    }
    entries.sort_by_key(|e| (e.0, e.1));
    for (offset, _, row) in entries.into_iter().rev() {
        let at = rows.partition_point(|r| r.offset < offset);
        rows.insert(at, row);
    }
    // The prologue has no source position. A row for it at the declaration's line makes
    // gdb see line information at the function's first instruction (otherwise `step`
    // steps over the call as into code without debug info) and start the body at the
    // next row (its prologue analysis skips to the next line).
    if rows.first().is_none_or(|r| r.offset > 0) {
        if let Some(line) = decl.and_then(|s| Some(sources.files.get(s.file.0 as usize)?.line_col(s.start).0 as u32)) {
            rows.insert(0, vais_debug::Row { offset: 0, file, line, col: 1 });
        }
    }
    (file, rows, calls)
}
