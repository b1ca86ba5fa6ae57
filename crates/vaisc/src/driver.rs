//! Whole-program commands: `check` and `run`. Loads the file (with imports), checks it,
//! compiles every function with the JIT, and runs `main` under fault protection.

use crate::diagnostics;
use std::path::Path;
use std::time::{Duration, Instant};
use vais_ast::{Diagnostic, SourceMap};
use vais_tir::{Program, Ty};

/// Exit status when compilation fails.
pub const EXIT_COMPILE_ERROR: u8 = 1;

/// Phase timings, printed by `--time` as `time: parse 1.2ms check ...`.
#[derive(Default)]
pub(crate) struct Timer {
    phases: Vec<(&'static str, Duration)>,
    /// The code generation tier, once known.
    pub(crate) tier: Option<&'static str>,
    /// `(from the cache, compiled)` functions, when the cache was used.
    cached: Option<(u64, u64)>,
    /// Whether the whole program came from the cache's plan (`vais_jit` `plan.rs`).
    whole_program: bool,
}

impl Timer {
    pub(crate) fn record<T>(&mut self, phase: &'static str, f: impl FnOnce() -> T) -> T {
        let t = Instant::now();
        let r = f();
        self.phases.push((phase, t.elapsed()));
        r
    }
    pub(crate) fn print(&self) {
        vais_runtime::flush_output();
        let parts: Vec<String> =
            self.phases.iter().map(|(p, d)| format!("{p} {:.3}ms", d.as_secs_f64() * 1000.0)).collect();
        let whole = if self.whole_program { ", whole program" } else { "" };
        let cache = self.cached.map(|(hit, compiled)| format!(", {hit} of {} functions from the cache{whole}", hit + compiled)).unwrap_or_default();
        match self.tier {
            Some(t) => eprintln!("time: {} ({t} tier{cache})", parts.join(", ")),
            None => eprintln!("time: {}", parts.join(", ")),
        }
    }
}

/// Parses and checks; on failure prints diagnostics and returns the exit status.
pub(crate) fn front_end(path: &Path, sources: &mut SourceMap, timer: &mut Timer) -> Result<Program, u8> {
    front_end_with(path, sources, timer, true)
}

/// [`front_end`]; `host_externs`: `X F` externs must exist in this process (E017), as for the
/// JIT. `vaisc build` leaves them to the system linker (libc, libm and any `-- -lNAME`).
pub(crate) fn front_end_with(path: &Path, sources: &mut SourceMap, timer: &mut Timer, host_externs: bool) -> Result<Program, u8> {
    crate::huge_pages_for_source(path);
    let loaded = timer.record("parse", || vais_parser::load_program(path, sources));
    let (module, mut diags) = match loaded {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: cannot read `{}`: {}", path.display(), e);
            return Err(EXIT_COMPILE_ERROR);
        }
    };
    if host_externs {
        diags.extend(vais_engine::unresolved_externs(&module.items));
    }
    let parse_failed = diags.iter().any(Diagnostic::is_error);
    let program = if parse_failed {
        None
    } else {
        let (program, check_diags, scratch) = timer.record("check", || vais_types::check_program_keep(module));
        // `vaisc` is a one-shot process: the OS reclaims the checker's data at exit, faster
        // than freeing its many small allocations one by one (clang's `-disable-free`).
        std::mem::forget(scratch);
        diags.extend(check_diags);
        program
    };
    diagnostics::emit_stderr(sources, &diags);
    match program {
        Some(p) if !diags.iter().any(Diagnostic::is_error) => {
            // The back end trusts the checker: in debug builds and tests (`VAIS_VERIFY`), hold
            // it to the TIR's invariants here, so that `check` reports what `run` would meet.
            if vais_jit::verify_by_default() {
                if let Err(e) = timer.record("verify", || vais_tir::verify::verify_program(&p)) {
                    vais_runtime::flush_output();
                    eprintln!("internal compiler error in `{}`: TIR verifier: {} (at {})", e.function, e.message, sources.location(e.span));
                    return Err(EXIT_COMPILE_ERROR);
                }
            }
            Ok(p)
        }
        _ => Err(EXIT_COMPILE_ERROR),
    }
}

pub fn check(path: &Path, time: bool) -> u8 {
    let mut sources = SourceMap::new();
    let mut timer = Timer::default();
    let status = match front_end(path, &mut sources, &mut timer) {
        // Leaked for the same reason as the checker's data (see `front_end`).
        Ok(program) => {
            std::mem::forget(program);
            0
        }
        Err(code) => code,
    };
    if time {
        timer.print();
    }
    status
}

/// What `vaisc run --emit` prints instead of running.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Emit {
    /// The typed IR the checker produced (printed before code generation, so it shows even
    /// when compiling fails).
    Tir,
    /// Cranelift IR of every function.
    Clif,
    /// Machine code of every function (Cranelift's disassembly of its final instructions).
    Asm,
}

/// What `vaisc run --perf` writes for Linux perf.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PerfOutput {
    /// `/tmp/perf-PID.map`: function names for `perf report`.
    Perfmap,
    /// `./jit-PID.dump`: names, code and line tables for `perf inject --jit`.
    Jitdump,
}

/// The options of `vaisc run`.
pub struct RunOptions {
    pub emit: Option<Emit>,
    pub time: bool,
    /// `--no-cache`: compile everything, read and write no cache.
    pub no_cache: bool,
    pub profile: Option<crate::profile::Options>,
    pub perf: Option<PerfOutput>,
    /// `-g`: register debug info for gdb.
    pub debug: bool,
}

pub fn run(path: &Path, opts: &RunOptions) -> u8 {
    let mut timer = Timer::default();
    let status = run_inner(path, opts, &mut timer);
    if opts.time {
        timer.print();
    }
    status
}

fn run_inner(path: &Path, opts: &RunOptions, timer: &mut Timer) -> u8 {
    let emit = opts.emit;
    if let (Some(p), None) = (&opts.profile, emit) {
        // The profile's files are created now, not after a run that may take minutes: a path
        // that cannot be written is reported before anything runs (as `perf record -o` does).
        for path in [&p.flamegraph, &p.folded].into_iter().flatten() {
            if let Err(e) = std::fs::File::create(path) {
                eprintln!("error: cannot write `{}`: {e}", path.display());
                return EXIT_COMPILE_ERROR;
            }
        }
        // The kernel may keep the opening of its sampling event waiting for milliseconds:
        // that happens while the program compiles.
        vais_runtime::profile::prepare(p.hz);
    }
    let mut sources = SourceMap::new();
    // Leaked for the same reason as the checker's data (see `front_end`): dropping the TIR of
    // a large program costs more than a warm run's whole compile phase.
    let mut program = match front_end(path, &mut sources, timer) {
        Ok(p) => std::mem::ManuallyDrop::new(p),
        Err(code) => return code,
    };
    if emit == Some(Emit::Tir) {
        print!("{}", vais_tir::print::program(&program));
        return 0;
    }
    let Some(main) = program.main else {
        eprintln!("error: `{}` has no `main` function", path.display());
        return EXIT_COMPILE_ERROR;
    };
    // `vaisc run` compiles everything with the optimising tier up front (see
    // `vais_jit::tier`); `VAIS_TIER=baseline` compiles with the REPL's tier instead and no
    // inlining (measurements).
    let (config, baseline) = whole_program_config(emit.is_some());
    let mut jit = match vais_jit::Jit::new(config.clone()) {
        Ok(j) => j,
        Err(e) => {
            eprintln!("{e}");
            return EXIT_COMPILE_ERROR;
        }
    };
    let all: Vec<vais_tir::FuncId> = (0..program.funcs.len() as u32).map(vais_tir::FuncId).collect();
    let roots = roots(&program, &sources);
    let locate = |span: vais_ast::Span| sources.location(span);
    // The optimising tier of `run`: TIR inlining (whole program), then Cranelift at
    // opt_level=speed with the backtracking register allocator. `VAIS_INLINE=0` turns the
    // inliner off (measurements). Its time counts as compile time.
    // The tools that name functions in placed code (`-g`, `--perf`, `--profile`,
    // `--flamegraph`) see the same optimised code: they expand inlined copies from the
    // runtime's inline ranges (`faults::register_inlined`) into the inlined functions and
    // their own lines, as backtraces do.
    let inline = inliner_on(baseline);
    timer.tier = Some(jit.tier().name());
    // The disk cache of compiled code (`vais_jit::cache`): read and written by `run` unless
    // `--no-cache` or `VAIS_CACHE=off`; `--emit` keeps each function's IR, so it compiles.
    // When the sources, the environment and the flags are those the cache's plan was
    // recorded under, the whole program is linked from it (no inlining, no per-function
    // keys); otherwise (or if the plan does not fit) the per-function path runs on a fresh JIT.
    let compiled = timer.record("compile", || {
        let mut disk = None;
        if !opts.no_cache && emit.is_none() {
            if let Ok(config) = vais_cache::Config::from_env(&format!("vaisc-{}-f{}", env!("CARGO_PKG_VERSION"), vais_jit::cache::FORMAT)) {
                let program = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()).to_string_lossy().into_owned();
                let mode = vais_jit::CacheMode::Disk { config, write: true, program, whole: whole_program_input(&sources, opts) };
                jit.set_cache(mode.clone());
                disk = Some(mode);
            }
        }
        if jit.planned() {
            if jit.compile_planned(&program, &locate).is_ok() {
                return Ok(());
            }
            jit = vais_jit::Jit::new(config.clone())?;
            if let Some(mode) = disk {
                jit.set_cache(mode);
            }
        }
        inline_program(&mut program, &sources, inline)?;
        jit.compile(&program, &roots, &locate)
    });
    if let Err(e) = compiled {
        eprintln!("{e}");
        return EXIT_COMPILE_ERROR;
    }
    let stats = jit.cache_stats();
    if !opts.no_cache && emit.is_none() {
        timer.cached = Some((stats.from_cache, stats.compiled));
        timer.whole_program = stats.whole_program;
        timer.record("cache", || jit.finish_cache());
    }
    if let Some(emit) = emit {
        for f in &all {
            let text = match emit {
                Emit::Clif => jit.clif(*f),
                Emit::Asm => jit.asm(*f),
                Emit::Tir => unreachable!("printed before code generation"),
            };
            if let Some(text) = text {
                println!("; {}\n{}", program.func(*f).name, text);
            }
        }
        return 0;
    }
    vais_runtime::install_interrupt_handler();
    let ret = program.func(main).ret.clone();
    if let Some(kind) = opts.perf {
        write_perf_files(kind, &sources);
    }
    if opts.debug {
        let (placed, frames) = jit.last_placed();
        match timer.record("debuginfo", || crate::lines::debug_image(&sources, placed, frames, &|_| None)) {
            // The code lives until the process ends, and so does its registration.
            Ok(image) => std::mem::forget(vais_runtime::gdbjit::register(image)),
            Err(e) => eprintln!("warning: no debug info: {e}"),
        }
    }
    let run = || vais_engine::call_entry(&jit, main, &ret);
    let result = match &opts.profile {
        Some(opts) => {
            let title = format!("vaisc run {}", path.display());
            timer.record("run", || crate::profile::around(opts, &title, &sources, run))
        }
        None => timer.record("run", run),
    };
    match result {
        Ok(bytes) => exit_status(&ret, &bytes),
        Err(fault) => {
            crate::report::fault(&fault, &sources);
            fault.kind.exit_status()
        }
    }
}

/// The functions `run` and `build` compile (the JIT or the object linker adds what they
/// reference). The standard library's functions are compiled only when the program reaches
/// them: importing `std/hashmap` does not mean compiling all of it.
pub(crate) fn roots(program: &Program, sources: &SourceMap) -> Vec<vais_tir::FuncId> {
    (0..program.funcs.len() as u32)
        .map(vais_tir::FuncId)
        .filter(|f| {
            let file = sources.files.get(program.func(*f).span.file.0 as usize).map(|s| s.name.as_str()).unwrap_or("");
            Some(*f) == program.main || !vais_parser::stdlib::is_std_file(file)
        })
        .collect()
}

/// Describes every compiled function to perf (`--perf`); a failure is a warning, the program
/// still runs.
fn write_perf_files(kind: PerfOutput, sources: &SourceMap) {
    let ranges = vais_runtime::faults::code_ranges();
    let lines: Vec<crate::lines::FunctionLines> =
        ranges.iter().map(|(addr, _, _)| crate::lines::line_rows(sources, *addr).unwrap_or_default()).collect();
    let line_refs: Vec<Vec<(u32, &str, u32)>> = lines
        .iter()
        .map(|l| l.rows.iter().map(|r| (r.offset, l.files.get(r.file as usize).map_or(l.file.as_str(), String::as_str), r.line)).collect())
        .collect();
    let records: Vec<vais_runtime::perf::CodeRecord> = ranges
        .iter()
        .zip(&line_refs)
        .map(|((addr, size, name), lines)| vais_runtime::perf::CodeRecord { name, addr: *addr, size: *size, lines })
        .collect();
    let written = match kind {
        PerfOutput::Perfmap => vais_runtime::perf::append_perf_map(&records),
        PerfOutput::Jitdump => vais_runtime::perf::JitDump::create(Path::new(".")).and_then(|mut dump| {
            for r in &records {
                // SAFETY: every registered range is finalized, live JIT code of this process.
                unsafe { dump.record(r)? };
            }
            let path = dump.path().to_path_buf();
            // Stays mapped and open for perf until the process ends.
            std::mem::forget(dump);
            Ok(path)
        }),
    };
    if let Err(e) = written {
        eprintln!("warning: cannot write the perf {} file: {e}", if kind == PerfOutput::Perfmap { "map" } else { "jitdump" });
    }
}

/// What a `vaisc run` compile depends on besides the compiler build and its code generation
/// settings (which the cache's salt covers): every source file the front end read (name and
/// bytes, the standard library's included), every `VAIS_*` environment variable but the
/// cache's own (knobs such as `VAIS_INLINE`, `VAIS_TIER`, `VAIS_MAX_EXPR_DEPTH`, and any added
/// later), and the flags that ask for tools (`-g`, `--profile`, `--perf`). The cache's
/// whole-program plan is valid only under an equal value (`vais_jit` `plan.rs`).
fn whole_program_input(sources: &SourceMap, opts: &RunOptions) -> u128 {
    use std::os::unix::ffi::OsStrExt;
    let mut h = vais_tir::hash::Mix(vais_tir::hash::FNV_OFFSET);
    let part = |h: &mut vais_tir::hash::Mix, b: &[u8]| {
        h.word(b.len() as u64);
        h.bytes(b);
    };
    let mut vars: Vec<(std::ffi::OsString, std::ffi::OsString)> = std::env::vars_os()
        .filter(|(k, _)| k.as_bytes().starts_with(b"VAIS_") && !k.as_bytes().starts_with(b"VAIS_CACHE"))
        .collect();
    vars.sort();
    part(&mut h, b"env");
    for (k, v) in &vars {
        part(&mut h, k.as_bytes());
        part(&mut h, v.as_bytes());
    }
    let profile = opts.profile.as_ref().map(|p| (p.hz, p.table, p.flamegraph.is_some(), p.folded.is_some()));
    let flags = format!("flags g={} profile={profile:?} perf={:?}", opts.debug, opts.perf.map(|p| p as u8));
    part(&mut h, flags.as_bytes());
    for f in &sources.files {
        part(&mut h, f.name.as_bytes());
        part(&mut h, f.text.as_bytes());
    }
    // 0 means "none" to the cache.
    h.0.max(1)
}

/// `main`'s value mod 256 (0 for unit), from the bytes it returned.
fn exit_status(ty: &Ty, bytes: &[u8]) -> u8 {
    match ty {
        Ty::Int(_) | Ty::Bool => bytes.first().copied().unwrap_or(0),
        _ => 0,
    }
}

/// Whether the TIR inliner runs: with the optimising tier, unless `VAIS_INLINE=0`
/// (measurements). The tools (`-g`, `--perf`, `--profile`) keep it: they see through inlined
/// copies.
pub fn inliner_on(baseline: bool) -> bool {
    !baseline && std::env::var_os("VAIS_INLINE").is_none_or(|v| v != "0")
}

/// The optimising tier's TIR pass (`vaisc run` and `vaisc build` alike): inlines `program` when
/// `inline`, then (in debug and test builds) verifies what the inliner made.
pub fn inline_program(program: &mut vais_tir::Program, sources: &SourceMap, inline: bool) -> Result<(), vais_jit::JitError> {
    if !inline {
        return Ok(());
    }
    // `VAIS_TAILREC=0`: no tail recursion elimination (measurements).
    let tail_loops = std::env::var_os("VAIS_TAILREC").is_none_or(|v| v != "0");
    vais_inline::inline_program(program, vais_inline::Limits { tail_loops, ..Default::default() });
    if vais_jit::verify_by_default() {
        if let Err(e) = vais_tir::verify::verify_program(program) {
            let message = format!("TIR verifier after inlining: {} (at {})", e.message, sources.location(e.span));
            return Err(vais_jit::JitError { kind: vais_jit::JitErrorKind::TirVerifier, function: Some(e.function), message });
        }
    }
    Ok(())
}

/// The code generation settings of a whole program (`vaisc run` and `vaisc build` alike): the
/// optimising tier, unless `VAIS_TIER=baseline` (measurements; then no inlining either, so it
/// is returned too). `keep_ir` for `--emit`.
pub fn whole_program_config(keep_ir: bool) -> (vais_jit::JitConfig, bool) {
    let baseline = std::env::var_os("VAIS_TIER").is_some_and(|v| v == "baseline");
    let config = vais_jit::JitConfig {
        repl_mode: false,
        interrupt_polls: true,
        verify: vais_jit::verify_by_default(),
        verify_tir: vais_jit::verify_by_default(),
        opt_speed: !baseline,
        keep_ir,
    };
    (config, baseline)
}
