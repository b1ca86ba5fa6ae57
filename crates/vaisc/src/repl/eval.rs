//! The REPL's evaluation core: one input goes through parse → check (against the session) →
//! compile (only the new or changed functions) → run under fault protection → print.
//! A failed parse or check leaves the session exactly as it was.

use crate::diagnostics;
use std::time::{Duration, Instant};
use vais_ast::ast::ReplEntry;
use vais_ast::{Diagnostic, SourceMap};
use vais_runtime::faults::Fault;
use vais_tir::{FuncId, Ty};

/// What happened to one input (for tests and the driver loop).
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing more is needed (value printed, definitions added, or nothing to do).
    Done,
    /// The text is not complete yet: read another line.
    Incomplete,
    /// Parse/check/compile error or a runtime fault; already reported.
    Failed,
}

/// Per-phase timings of the last input (`:time`).
#[derive(Default, Clone, Copy)]
pub struct Timings {
    pub parse: Duration,
    pub check: Duration,
    pub compile: Duration,
    pub run: Duration,
}

pub struct ReplState {
    pub sources: SourceMap,
    pub session: vais_types::Session,
    pub jit: vais_jit::Jit,
    /// Number of inputs evaluated so far (names `<input N>`).
    pub input_count: usize,
    pub show_time: bool,
    pub history: Vec<String>,
    /// Source text of the live definitions (`:save`).
    pub saved: super::saved::SavedItems,
    /// Set by `:profile`: the next entry that runs is sampled (then this is cleared).
    pub profile: Option<crate::profile::Options>,
}

pub fn jit_config() -> vais_jit::JitConfig {
    vais_jit::JitConfig {
        repl_mode: true,
        interrupt_polls: true,
        verify: vais_jit::verify_by_default(),
        verify_tir: vais_jit::verify_by_default(),
        opt_speed: false,
        keep_ir: true,
    }
}

impl ReplState {
    pub fn new() -> Result<ReplState, String> {
        Ok(ReplState {
            sources: SourceMap::new(),
            session: vais_types::Session::new(),
            jit: vais_jit::Jit::new(jit_config()).map_err(|e| e.to_string())?,
            input_count: 0,
            show_time: false,
            history: Vec::new(),
            saved: Default::default(),
            profile: None,
        })
    }

    /// `:clear`: forget every definition and variable and free the compiled code.
    pub fn clear(&mut self) -> Result<(), String> {
        let mut fresh = ReplState::new()?;
        fresh.history = std::mem::take(&mut self.history);
        fresh.show_time = self.show_time;
        let old = std::mem::replace(self, fresh);
        vais_runtime::faults::clear_code();
        // SAFETY: the old session (its checker state, globals and entry points) is dropped with
        // it, so nothing can reach the old module's code or data any more.
        unsafe { old.jit.free_memory() };
        Ok(())
    }

    /// Parses `text`; `Incomplete` means the caller should read more lines.
    pub fn eval(&mut self, text: &str) -> Outcome {
        super::end_line_on_terminal();
        let t0 = Instant::now();
        let file = vais_ast::FileId(self.sources.files.len() as u32);
        let (entries, parse_diags) = match vais_parser::parse_repl_input(file, text) {
            vais_parser::ReplParse::Incomplete => return Outcome::Incomplete,
            vais_parser::ReplParse::Complete(entries, diags) => (entries, diags),
        };
        self.input_count += 1;
        let name = format!("<input {}>", self.input_count);
        let added = self.sources.add(name, text.to_string());
        debug_assert_eq!(added, file);
        self.history.push(text.to_string());
        let mut timings = Timings { parse: t0.elapsed(), ..Timings::default() };
        if parse_diags.iter().any(Diagnostic::is_error) {
            diagnostics::emit_stderr(&self.sources, &parse_diags);
            return Outcome::Failed;
        }
        let Some(entries) = self.expand_imports(entries) else {
            return Outcome::Failed;
        };
        self.eval_entries(&entries, &mut timings)
    }

    /// Replaces `U path` items of an input by the items of the files they import (relative to
    /// the current directory), as `:load` does; None (reported) if one cannot be loaded.
    fn expand_imports(&mut self, entries: Vec<ReplEntry>) -> Option<Vec<ReplEntry>> {
        let is_use = |e: &ReplEntry| matches!(e, ReplEntry::Item(i) if matches!(i.kind, vais_ast::ast::ItemKind::Use(_)));
        if !entries.iter().any(is_use) {
            return Some(entries);
        }
        let dir = std::env::current_dir().unwrap_or_default();
        let mut out = Vec::with_capacity(entries.len());
        let mut diags = vec![];
        for e in entries {
            match e {
                ReplEntry::Item(item) if matches!(item.kind, vais_ast::ast::ItemKind::Use(_)) => {
                    let (items, mut d) = vais_parser::expand_imports(vec![item], &dir, &mut self.sources);
                    diags.append(&mut d);
                    out.extend(items.into_iter().map(ReplEntry::Item));
                }
                e => out.push(e),
            }
        }
        if diags.iter().any(Diagnostic::is_error) {
            diagnostics::emit_stderr(&self.sources, &diags);
            return None;
        }
        Some(out)
    }

    /// Checks, compiles and runs already-parsed entries (also used by `:load`).
    pub fn eval_entries(&mut self, entries: &[ReplEntry], timings: &mut Timings) -> Outcome {
        let unresolved = crate::driver::unresolved_externs(entries.iter().filter_map(|e| match e {
            ReplEntry::Item(i) => Some(i),
            ReplEntry::Stmt(_) => None,
        }));
        if !unresolved.is_empty() {
            diagnostics::emit_stderr(&self.sources, &unresolved);
            return Outcome::Failed;
        }
        let t1 = Instant::now();
        let checked = self.session.check_input(entries);
        timings.check = t1.elapsed();
        let (result, warnings) = match checked {
            Ok(ok) => ok,
            Err(diags) => {
                diagnostics::emit_stderr(&self.sources, &diags);
                return Outcome::Failed;
            }
        };
        diagnostics::emit_stderr(&self.sources, &warnings);
        let items: Vec<&vais_ast::ast::Item> = entries
            .iter()
            .filter_map(|e| match e {
                ReplEntry::Item(i) => Some(i),
                ReplEntry::Stmt(_) => None,
            })
            .collect();
        self.saved.remember(&items, &self.sources);
        if !result.messages.is_empty() {
            vais_runtime::end_line();
        }
        for m in &result.messages {
            vais_runtime::write_output(format!("{m}\n").as_bytes());
        }
        let t2 = Instant::now();
        let program = self.session.program();
        let sources = &self.sources;
        let locate = |span: vais_ast::Span| sources.location(span);
        if let Err(e) = self.jit.compile(program, &result.compile, &locate) {
            vais_runtime::flush_output();
            eprintln!("{e}");
            return Outcome::Failed;
        }
        timings.compile = t2.elapsed();
        let mut outcome = Outcome::Done;
        if let Some(entry) = result.entry {
            let t3 = Instant::now();
            let run = match self.profile.take() {
                Some(opts) => crate::profile::around(&opts, "vaisc repl :profile", &self.sources, || {
                    call_entry(&self.jit, entry, &result.value_ty)
                }),
                None => call_entry(&self.jit, entry, &result.value_ty),
            };
            timings.run = t3.elapsed();
            match run {
                Ok(bytes) => {
                    if !matches!(result.value_ty, Ty::Unit | Ty::Never) {
                        match format_protected(self.session.program(), &self.jit, &result.value_ty, &bytes) {
                            Ok(text) => {
                                // Program output without a final newline keeps its line.
                                vais_runtime::end_line();
                                vais_runtime::write_output(format!("=> {text}\n").as_bytes());
                            }
                            Err(fault) => {
                                super::end_line_on_terminal();
                                vais_runtime::flush_output();
                                eprintln!("runtime error: the value cannot be printed: {}", fault.kind);
                                outcome = Outcome::Failed;
                            }
                        }
                    }
                }
                Err(fault) => {
                    super::end_line_on_terminal();
                    crate::report::fault(&fault, &self.sources);
                    outcome = Outcome::Failed;
                }
            }
        }
        if self.show_time {
            vais_runtime::end_line();
        }
        vais_runtime::flush_output();
        if self.show_time {
            println!(
                "time: parse {:?}, check {:?}, compile {:?}, run {:?} ({} tier)",
                timings.parse,
                timings.check,
                timings.compile,
                timings.run,
                self.jit.tier().name()
            );
        }
        outcome
    }
}

/// Formats a value for `=>` under fault protection: pointers inside it are followed as the
/// program left them, and a bad one (an extern returning a dangling `str`) must cost the
/// value, not the session.
fn format_protected(program: &vais_tir::Program, jit: &vais_jit::Jit, ty: &Ty, bytes: &[u8]) -> Result<String, Fault> {
    let addrs = (program as *const vais_tir::Program as usize, jit as *const vais_jit::Jit as usize, ty as *const Ty as usize, bytes.as_ptr() as usize);
    vais_runtime::run_protected(move || {
        let (program, jit, ty, ptr) = addrs;
        // SAFETY: `run_protected` runs this closure on this thread (a prepared one) or hands it
        // to the worker and waits; either way it returns before the borrows behind these
        // addresses end. `ptr` is the result buffer the entry function wrote for type `ty`.
        unsafe {
            vais_jit::value::format_value(
                &*(program as *const vais_tir::Program),
                &*(jit as *const vais_jit::Jit),
                &*(ty as *const Ty),
                ptr as *const u8,
            )
        }
    })
}

/// Runs a compiled zero-argument entry function under fault protection and returns the bytes
/// of its result (empty for unit).
pub fn call_entry(jit: &vais_jit::Jit, func: FuncId, ret: &Ty) -> Result<Vec<u8>, Fault> {
    let code = jit.entry_ptr(func).expect("a successfully compiled entry function has an entry point");
    // The buffer lives out here so that a fault (which abandons the protected closure) does not
    // leak it; the closure only carries its address.
    let mut out = vec![0u8; jit.size_of(ret).max(16)];
    let (code, out_addr) = (code as usize, out.as_mut_ptr() as usize);
    vais_runtime::run_protected(move || {
        // SAFETY: `code` is a finalized entry `extern "C" fn(*mut u8)` produced by the JIT for
        // `func`, and `out_addr` points to a live buffer with room for the result's layout size
        // (`out` outlives this call, which returns before `run_protected` does).
        unsafe { vais_jit::call_entry(code as *const u8, out_addr as *mut u8) };
    })?;
    Ok(out)
}
