//! `vais-types`: name resolution and type checking of a merged Vais module (or of REPL inputs),
//! producing the fully concrete, monomorphised typed IR of `vais_tir`.
//!
//! Layout: `ty` (internal types, unification), `env` (declarations, written types), `items`
//! (registration, constants, driving), `check` (per-function state), `expr`/`call`/`pattern`
//! (the rules), `lower` (monomorphisation and placeholder resolution), `errors` (all wording),
//! `session` (the REPL).

mod call;
mod cast;
mod check;
mod consteval;
mod decls;
mod env;
mod errors;
mod expr;
mod fx;
mod items;
mod journal;
mod lower;
mod parallel;
mod pattern;
mod range;
mod session;
mod ty;

pub use session::{InputResult, Session};

use vais_ast::ast::Module;
use vais_ast::Diagnostic;

/// Stack size of the checker's worker thread (`parallel`): room for the deepest nesting the
/// parser accepts.
const CHECK_STACK: usize = 64 << 20;

/// Whole program (imports already merged). Program is Some only if there were no errors.
/// Copies the module; a caller that owns it should use `check_program_owned`.
pub fn check_program(module: &Module) -> (Option<vais_tir::Program>, Vec<Diagnostic>) {
    check_program_owned(module.clone())
}

/// `check_program` of a module the caller gives up: function ASTs are moved into the
/// checker's declarations instead of being copied.
pub fn check_program_owned(module: Module) -> (Option<vais_tir::Program>, Vec<Diagnostic>) {
    let (program, diags, _scratch) = check_program_keep(module);
    (program, diags)
}

/// The checker's working data (declarations, the moved function ASTs, instance tables) after a
/// whole-program check. Dropping it frees a tree of small allocations, about as long as
/// building it; a process about to exit may `std::mem::forget` it instead (as compilers do
/// with their arenas at exit).
pub struct Scratch(Box<lower::Ctx>);

impl Scratch {
    /// Functions whose check the worker thread did and that were accepted, and those it handed
    /// back to the calling thread (both 0 when the program was checked on one thread).
    pub fn parallel_stats(&self) -> (usize, usize) {
        self.0.parallel_stats
    }
}

/// `check_program_owned` that hands the checker's working data back instead of dropping it.
/// Large programs are checked on two threads (see `parallel`).
pub fn check_program_keep(module: Module) -> (Option<vais_tir::Program>, Vec<Diagnostic>, Scratch) {
    check_program_keep_with(module, true)
}

/// `check_program_keep`, with function bodies checked on one thread when `parallel` is false.
/// The result is the same either way (the tests compare them).
pub fn check_program_keep_with(mut module: Module, parallel: bool) -> (Option<vais_tir::Program>, Vec<Diagnostic>, Scratch) {
    let mut cx = Box::new(lower::Ctx::default());
    cx.take_bodies(&mut module.items);
    let decls = cx.register(&module.items, false);
    cx.instantiate_plain_types(&module.items);
    cx.check_decls(&decls);
    if parallel {
        cx.drain_parallel();
    } else {
        cx.drain();
    }
    cx.check_resolved();
    if let Some(d) = cx.env.free_fns.get("main").copied() {
        cx.prog.main = cx.fn_insts.get(&(d, vec![])).copied();
    }
    let mut diags = std::mem::take(&mut cx.diags);
    diags.sort_by_key(|d| (d.span.file, d.span.start));
    cx.module = Some(module);
    let program = (cx.errors == 0).then(|| std::mem::take(&mut cx.prog));
    (program, diags, Scratch(cx))
}
