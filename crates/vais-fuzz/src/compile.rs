//! The issue-10 differential target, in process: parse and check a file, and when the checker
//! accepts it, generate code for every function with the Cranelift verifier on (also in a
//! release build of the fuzzer, where `vaisc` itself skips the verifier). "The checker accepts"
//! must imply "the back end compiles and the verifier passes", never a panic. The fuzzer runs
//! this in a child process (`vais-fuzz compile-check FILE`) so a crash is a finding, not a
//! crash of the fuzzer.

use std::path::Path;

/// Exit status of `compile-check` when the checker rejected the program.
pub const REJECTED: i32 = 1;
/// Exit status of `compile-check` for an internal compiler error (a failed verification).
pub const ICE: i32 = 70;

/// Checks and compiles `path`; returns the process exit status (0: accepted and compiled).
pub fn compile_check(path: &Path) -> i32 {
    let mut sources = vais_ast::SourceMap::new();
    let (module, mut diags) = match vais_parser::load_program(path, &mut sources) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("cannot read {}: {e}", path.display());
            return 2;
        }
    };
    if diags.iter().any(vais_ast::Diagnostic::is_error) {
        return REJECTED;
    }
    let (program, check_diags, _scratch) = vais_types::check_program_keep(module);
    diags.extend(check_diags);
    let Some(program) = program.filter(|_| !diags.iter().any(vais_ast::Diagnostic::is_error)) else {
        return REJECTED;
    };
    let config = vais_jit::JitConfig { repl_mode: false, interrupt_polls: true, verify: true, verify_tir: true, opt_speed: true, keep_ir: false };
    let mut jit = match vais_jit::Jit::new(config) {
        Ok(j) => j,
        Err(e) => {
            eprintln!("{e}");
            return ICE;
        }
    };
    let all: Vec<vais_tir::FuncId> = (0..program.funcs.len() as u32).map(vais_tir::FuncId).collect();
    let locate = |span: vais_ast::Span| sources.location(span);
    match jit.compile(&program, &all, &locate) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("{e}");
            ICE
        }
    }
}
