//! Whole-program commands: `check` and `run`. Loads the file (with imports), checks it,
//! compiles every function with the JIT, and runs `main` under fault protection.

use crate::diagnostics;
use std::path::Path;
use std::time::{Duration, Instant};
use vais_ast::{Diagnostic, SourceMap};
use vais_tir::{Program, Ty};

/// Exit status when compilation fails.
pub const EXIT_COMPILE_ERROR: u8 = 1;
/// Exit status after a runtime error (LANGUAGE.md decision 9).
pub const EXIT_RUNTIME_ERROR: u8 = 101;
/// Exit status after Ctrl-C.
pub const EXIT_INTERRUPTED: u8 = 130;
/// Exit status after the program aborted (C `abort()`, glibc's double-free check): 128 +
/// SIGABRT, what a shell reports for a C program that aborts; its output is flushed first.
pub const EXIT_ABORTED: u8 = 134;

/// Phase timings, printed by `--time` as `time: parse 1.2ms check ...`.
#[derive(Default)]
struct Timer {
    phases: Vec<(&'static str, Duration)>,
}

impl Timer {
    fn record<T>(&mut self, phase: &'static str, f: impl FnOnce() -> T) -> T {
        let t = Instant::now();
        let r = f();
        self.phases.push((phase, t.elapsed()));
        r
    }
    fn print(&self) {
        vais_runtime::flush_output();
        let parts: Vec<String> =
            self.phases.iter().map(|(p, d)| format!("{p} {:.3}ms", d.as_secs_f64() * 1000.0)).collect();
        eprintln!("time: {}", parts.join(", "));
    }
}

/// Parses and checks; on failure prints diagnostics and returns the exit status.
fn front_end(path: &Path, sources: &mut SourceMap, timer: &mut Timer) -> Result<Program, u8> {
    let loaded = timer.record("parse", || vais_parser::load_program(path, sources));
    let (module, mut diags) = match loaded {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: cannot read `{}`: {}", path.display(), e);
            return Err(EXIT_COMPILE_ERROR);
        }
    };
    diags.extend(unresolved_externs(&module.items));
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
        Some(p) if !diags.iter().any(Diagnostic::is_error) => Ok(p),
        _ => Err(EXIT_COMPILE_ERROR),
    }
}

/// `X F name(...)` declarations whose symbol the host process (libc, libm) does not have:
/// reported at the declaration, before anything is compiled (Project decision 4).
pub fn unresolved_externs<'a>(items: impl IntoIterator<Item = &'a vais_ast::ast::Item>) -> Vec<Diagnostic> {
    items
        .into_iter()
        .filter_map(|item| match &item.kind {
            vais_ast::ast::ItemKind::Extern(x) if vais_runtime::host::resolve(&x.name.name).is_none() => Some(
                Diagnostic::error("E017", format!("cannot find extern function `{}` in the host process", x.name.name), x.name.span)
                    .with_label("no such symbol in libc or libm")
                    .with_note("extern functions are resolved by their C symbol name"),
            ),
            _ => None,
        })
        .collect()
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
    /// Cranelift IR of every function.
    Clif,
    /// Machine code of every function (Cranelift's disassembly of its final instructions).
    Asm,
}

pub fn run(path: &Path, emit: Option<Emit>, time: bool) -> u8 {
    let mut timer = Timer::default();
    let status = run_inner(path, emit, &mut timer);
    if time {
        timer.print();
    }
    status
}

fn run_inner(path: &Path, emit: Option<Emit>, timer: &mut Timer) -> u8 {
    let mut sources = SourceMap::new();
    let program = match front_end(path, &mut sources, timer) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let Some(main) = program.main else {
        eprintln!("error: `{}` has no `main` function", path.display());
        return EXIT_COMPILE_ERROR;
    };
    let config = vais_jit::JitConfig {
        repl_mode: false,
        interrupt_polls: true,
        verify: cfg!(debug_assertions),
        opt_speed: true,
        keep_ir: emit.is_some(),
    };
    let mut jit = match vais_jit::Jit::new(config) {
        Ok(j) => j,
        Err(e) => {
            eprintln!("internal compiler error: {e}");
            return EXIT_COMPILE_ERROR;
        }
    };
    let all: Vec<vais_tir::FuncId> = (0..program.funcs.len() as u32).map(vais_tir::FuncId).collect();
    let locate = |span: vais_ast::Span| sources.location(span);
    if let Err(e) = timer.record("compile", || jit.compile(&program, &all, &locate)) {
        eprintln!("internal compiler error: {e}");
        return EXIT_COMPILE_ERROR;
    }
    if let Some(emit) = emit {
        for f in &all {
            let text = match emit {
                Emit::Clif => jit.clif(*f),
                Emit::Asm => jit.asm(*f),
            };
            if let Some(text) = text {
                println!("; {}\n{}", program.func(*f).name, text);
            }
        }
        return 0;
    }
    vais_runtime::install_interrupt_handler();
    let ret = program.func(main).ret.clone();
    let result = timer.record("run", || crate::repl::eval::call_entry(&jit, main, &ret));
    match result {
        Ok(bytes) => exit_status(&ret, &bytes),
        Err(fault) => {
            vais_runtime::faults::report(&fault);
            if fault.kind == vais_runtime::faults::FaultKind::Interrupted {
                EXIT_INTERRUPTED
            } else if fault.kind == vais_runtime::faults::FaultKind::Aborted {
                EXIT_ABORTED
            } else {
                EXIT_RUNTIME_ERROR
            }
        }
    }
}

/// `main`'s value mod 256 (0 for unit), from the bytes it returned.
fn exit_status(ty: &Ty, bytes: &[u8]) -> u8 {
    match ty {
        Ty::Int(_) | Ty::Bool => bytes.first().copied().unwrap_or(0),
        _ => 0,
    }
}
