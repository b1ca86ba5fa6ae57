//! `vais-types`: name resolution and type checking of a merged Vais module (or of REPL inputs),
//! producing the fully concrete, monomorphised typed IR of `vais_tir`.
//!
//! Layout: `ty` (internal types, unification), `env` (declarations, written types), `items`
//! (registration, constants, driving), `check` (per-function state), `expr`/`call`/`pattern`
//! (the rules), `lower` (monomorphisation and placeholder resolution), `errors` (all wording),
//! `session` (the REPL).

mod call;
mod check;
mod env;
mod errors;
mod expr;
mod fx;
mod items;
mod journal;
mod lower;
mod pattern;
mod session;
mod ty;

pub use session::{InputResult, Session};

use vais_ast::ast::Module;
use vais_ast::Diagnostic;

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
pub struct Scratch(#[allow(dead_code)] Box<lower::Ctx>);

/// `check_program_owned` that hands the checker's working data back instead of dropping it.
pub fn check_program_keep(mut module: Module) -> (Option<vais_tir::Program>, Vec<Diagnostic>, Scratch) {
    let mut cx = Box::new(lower::Ctx::default());
    cx.take_bodies(&mut module.items);
    let decls = cx.register(&module.items, false);
    cx.check_decls(&decls);
    cx.drain();
    if let Some(d) = cx.env.free_fns.get("main").copied() {
        cx.prog.main = cx.fn_insts.get(&(d, vec![])).copied();
    }
    let mut diags = std::mem::take(&mut cx.diags);
    diags.sort_by_key(|d| (d.span.file, d.span.start));
    cx.module = Some(module);
    let program = (cx.errors == 0).then(|| std::mem::take(&mut cx.prog));
    (program, diags, Scratch(cx))
}
