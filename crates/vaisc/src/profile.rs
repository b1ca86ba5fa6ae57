//! Rendering the built-in profiler's results (`vaisc run --profile`, `--flamegraph`, REPL
//! `:profile`): the table of functions by self time on standard error, an SVG flame graph
//! (inferno), and folded stacks (the text format flame graph and profile viewers read).
//! Sampling itself is `vais_runtime::profile`.

use vais_ast::SourceMap;
use vais_runtime::profile::Profile;

/// Names a sample in this executable (its runtime, its allocator) from its own symbol table,
/// read once when first needed (`vais_runtime::profile::set_executable_namer`).
pub fn name_in_executable(offset: usize) -> Option<String> {
    static SYMBOLS: std::sync::OnceLock<vais_debug::symbols::Symbols> = std::sync::OnceLock::new();
    SYMBOLS.get_or_init(|| vais_debug::symbols::Symbols::of_file(std::path::Path::new("/proc/self/exe"))).at_offset(offset as u64)
}

/// What `--profile` / `--flamegraph` asked for.
#[derive(Clone, Debug)]
pub struct Options {
    /// Samples per second of CPU time.
    pub hz: u32,
    /// Write the table to standard error.
    pub table: bool,
    /// Write an SVG flame graph here.
    pub flamegraph: Option<std::path::PathBuf>,
    /// Write the folded stacks here.
    pub folded: Option<std::path::PathBuf>,
}

/// Rows shown in the table (the rest are summed in one line).
const TABLE_ROWS: usize = 25;
/// Source lines shown under the table.
const LINE_ROWS: usize = 10;

/// The report: a header line, then function, self %, total %, samples (self), by self time;
/// then the hottest source lines (samples whose innermost frame is Vais code, by line).
pub fn table(p: &Profile, sources: &SourceMap) -> String {
    let mut out = String::new();
    out.push_str(&format!("profile: {} samples at {} Hz over {:.3} s of CPU time", p.samples, p.hz, p.cpu_time.as_secs_f64()));
    if p.dropped > 0 {
        out.push_str(&format!(", {} dropped (buffer full)", p.dropped));
    }
    if p.truncated > 0 {
        out.push_str(&format!(", {} stacks cut at {} frames", p.truncated, p.max_depth));
    }
    out.push('\n');
    if p.samples == 0 {
        out.push_str("  (no samples: the program ran for less than one sampling interval)\n");
        return out;
    }
    let pct = |n: u64| 100.0 * n as f64 / p.samples as f64;
    out.push_str(&format!("  {:>6}  {:>6}  {:>8}  function\n", "self%", "total%", "samples"));
    let rows = p.functions();
    for (name, own, total) in rows.iter().take(TABLE_ROWS) {
        out.push_str(&format!("  {:>5.1}%  {:>5.1}%  {:>8}  {}\n", pct(*own), pct(*total), own, display_name(name)));
    }
    if rows.len() > TABLE_ROWS {
        let rest: u64 = rows[TABLE_ROWS..].iter().map(|r| r.1).sum();
        out.push_str(&format!("  {:>5.1}%  {:>6}  {:>8}  ({} more functions)\n", pct(rest), "", rest, rows.len() - TABLE_ROWS));
    }
    let lines = hot_lines(p, sources);
    if !lines.is_empty() {
        out.push_str(&format!("  {:>6}  {:>8}  line\n", "self%", "samples"));
        for (place, n) in lines.iter().take(LINE_ROWS) {
            out.push_str(&format!("  {:>5.1}%  {:>8}  {}\n", pct(*n), n, place));
        }
    }
    out
}

/// Samples per `file:line` (from the positions of innermost Vais frames), most first.
pub fn hot_lines(p: &Profile, sources: &SourceMap) -> Vec<(String, u64)> {
    let mut per: std::collections::HashMap<(u32, usize), u64> = std::collections::HashMap::new();
    for ((file, offset), n) in &p.positions {
        let Some(f) = sources.files.get(*file as usize) else { continue };
        let (line, _) = f.line_col((*offset).min(f.text.len() as u32));
        *per.entry((*file, line)).or_default() += n;
    }
    let mut rows: Vec<((u32, usize), u64)> = per.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    rows.into_iter().map(|((file, line), n)| (format!("{}:{line}", sources.files[file as usize].name), n)).collect()
}

/// A function as the user knows it: a REPL input's generated entry function is the input.
fn display_name(name: &str) -> &str {
    if name.starts_with("__repl_") {
        "<input>"
    } else {
        name
    }
}

/// Writes the samples as an interactive SVG flame graph.
pub fn flamegraph(p: &Profile, path: &std::path::Path, title: &str) -> Result<(), String> {
    let lines = p.folded();
    let mut opts = inferno::flamegraph::Options::default();
    opts.title = title.to_string();
    opts.count_name = "samples".into();
    let file = std::fs::File::create(path).map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
    let mut w = std::io::BufWriter::new(file);
    if lines.is_empty() {
        // inferno refuses empty input; an empty graph still says what happened.
        opts.title = format!("{title} (no samples)");
        return inferno::flamegraph::from_lines(&mut opts, ["(no samples) 1"].iter().copied(), &mut w)
            .map_err(|e| format!("cannot write the flame graph: {e}"));
    }
    inferno::flamegraph::from_lines(&mut opts, lines.iter().map(String::as_str), &mut w)
        .map_err(|e| format!("cannot write the flame graph: {e}"))
}

/// Writes the samples as folded stacks: one line per distinct stack, its frames from the
/// outermost to the innermost separated by `;`, then a space and its sample count (what
/// `inferno-flamegraph`, `flamegraph.pl` and speedscope read).
pub fn folded(p: &Profile, path: &std::path::Path) -> Result<(), String> {
    let mut text = p.folded().join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write `{}`: {e}", path.display()))
}

/// Runs `f` under the profiler and reports as `opts` asks (stderr table, SVG file, folded
/// stacks).
pub fn around<R>(opts: &Options, title: &str, sources: &SourceMap, f: impl FnOnce() -> R) -> R {
    let sampler = match vais_runtime::profile::start(opts.hz) {
        Ok(s) => Some(s),
        Err(e) => {
            eprintln!("warning: profiler not started: {e}");
            None
        }
    };
    let r = f();
    if let Some(s) = sampler {
        let p = s.stop();
        vais_runtime::flush_output();
        if opts.table {
            eprint!("{}", table(&p, sources));
        }
        if let Some(path) = &opts.flamegraph {
            match flamegraph(&p, path, title) {
                Ok(()) => eprintln!("profile: flame graph written to {}", path.display()),
                Err(e) => eprintln!("error: {e}"),
            }
        }
        if let Some(path) = &opts.folded {
            match folded(&p, path) {
                Ok(()) => eprintln!("profile: folded stacks written to {}", path.display()),
                Err(e) => eprintln!("error: {e}"),
            }
        }
    }
    r
}
