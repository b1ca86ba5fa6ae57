//! The incremental REPL session (REPL.md): definitions accumulate, top-level statements run in a
//! generated entry function, session variables are globals.

use vais_ast::ast::ReplEntry;
use vais_ast::Diagnostic;
use vais_tir::{FuncId, GlobalId, Program, Ty};

use crate::lower::Ctx;

/// What one REPL input produced.
pub struct InputResult {
    pub compile: Vec<FuncId>,
    pub entry: Option<FuncId>,
    pub value_ty: Ty,
    pub new_globals: Vec<GlobalId>,
    pub messages: Vec<String>,
}

/// Incremental REPL session.
pub struct Session {
    cx: Ctx,
    inputs: u32,
}

impl Default for Session {
    fn default() -> Self {
        Session::new()
    }
}

impl Session {
    pub fn new() -> Session {
        Session { cx: Ctx::default(), inputs: 0 }
    }
    pub fn program(&self) -> &Program {
        &self.cx.prog
    }
    pub fn check_input(&mut self, _entries: &[ReplEntry]) -> Result<(InputResult, Vec<Diagnostic>), Vec<Diagnostic>> {
        Err(vec![])
    }
    pub fn type_of(&self, _expr: &vais_ast::ast::Expr) -> Result<String, Vec<Diagnostic>> {
        Err(vec![])
    }
    pub fn describe_definitions(&self) -> Vec<String> {
        vec![]
    }
}
