//! `vais-engine`: the REPL's session engine as a library. Input text in, structured events out:
//! one input goes through parse → check (against the session, `vais_types::Session`) →
//! compile (only the new or changed functions, `backend`) → run under fault protection, and
//! each step reports what happened as an [`Event`] to an [`Observer`] while it happens
//! (diagnostics as data with their spans, definitions added or replaced, functions broken or
//! repaired by a redefinition, the value with its type and text, faults with their backtrace
//! frames, interrupts, timings). The terminal REPL (`vaisc repl`) renders those events; a
//! notebook kernel or a language server can drive the same engine.
//!
//! A failed parse or check leaves the session exactly as it was.
//!
//! Program output: by default the built-ins write to C stdout as they run (so a terminal sees
//! output as it is produced, ordered exactly with the events the renderer prints). With
//! [`Engine::set_capture`], the output of each run is collected instead and delivered as an
//! [`Event::Output`] after the run (before its value).

mod backend;
mod saved;

pub use backend::{call_entry, repl_config};
pub use vais_jit::{Tier, TierEvent};
pub use vais_runtime::faults::{Backtrace, BtFrame, Fault, FaultKind};
pub use vais_types::{DefKind, Definition, Note};

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use vais_ast::ast::{Item, ItemKind, ReplEntry, Stmt, StmtKind};
use vais_ast::{Diagnostic, SourceMap};
use vais_tir::{FuncId, Ty};

/// What happened to one input.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum Outcome {
    /// Nothing more is needed (value produced, definitions added, or nothing to do).
    Done,
    /// The text is not complete yet: the caller should read more lines and try again with the
    /// whole text.
    Incomplete,
    /// Parse/check/compile error or a runtime fault (already reported as events).
    Failed,
}

/// Per-phase timings of one input.
#[derive(Default, Clone, Copy, Debug)]
pub struct Timings {
    pub parse: Duration,
    pub check: Duration,
    pub compile: Duration,
    pub run: Duration,
    /// The code generation tier that compiled the input (`baseline` in a session).
    pub tier: &'static str,
    /// Functions running optimised code when the input finished (tier-up).
    pub optimised: usize,
    /// Of those, how many tiered up while this input ran.
    pub tiered_up: usize,
    /// Functions the input linked from the session's cache of compiled code (an identical
    /// definition compiled earlier), and functions it compiled.
    pub from_cache: u64,
    pub compiled: u64,
}

/// A value an input produced.
#[derive(Clone, Debug)]
pub struct Value {
    /// Its type (ids refer to the session's program, [`Engine::program`]).
    pub ty: Ty,
    /// The type as written in Vais (`i64`, `Pt`, `[i64]`).
    pub type_name: String,
    /// The text `=>` shows.
    pub text: String,
}

/// What the engine reports, in the order it happens.
#[derive(Clone, Debug)]
pub enum Event {
    /// Diagnostics of one phase (parse, imports, check): errors (the input failed) or warnings
    /// (it goes on). Spans point into [`Engine::sources`].
    Diagnostics(Vec<Diagnostic>),
    /// A definition the input made (function, type, constant, method, session variable),
    /// saying whether it replaced a live one.
    Defined(Definition),
    /// A consequence of a redefinition: a function that no longer type-checks, or type-checks
    /// again (recompiled), or a session variable dropped.
    Note(Note),
    /// Code generation failed (a compiler bug): its message.
    InternalError(String),
    /// Program output of the run, when capturing ([`Engine::set_capture`]).
    Output(Vec<u8>),
    /// The value of the input's last expression (not for unit or diverging inputs).
    Value(Value),
    /// The value was computed but following a pointer inside it faulted while formatting it.
    ValueFault(Fault),
    /// The run stopped with a runtime error (its kind, message, and backtrace frames).
    Fault(Fault),
    /// The run was interrupted (SIGINT, Ctrl-C).
    Interrupted(Fault),
    /// The program called `exit(status)` (its output flushed): the engine stays usable, and the
    /// host decides what that means (the REPL ends the process with `status`, as C would).
    Exited(i32),
    /// A function tiered up (its optimised version runs from now on), or went back to its
    /// baseline code because a function inlined into it was recompiled (before the run).
    Tier(TierEvent),
    /// The input went through every step (whether its run faulted or not).
    Finished(Timings),
}

/// Receives the engine's events. `sources` resolves the spans and file numbers in them.
pub trait Observer {
    fn event(&mut self, sources: &SourceMap, event: Event);

    /// The input's functions were compiled and placed (before anything runs): a debugger or
    /// profiler may record the placed code (`Jit::last_placed`). By default nothing.
    fn compiled(&mut self, _sources: &SourceMap, _jit: &vais_jit::Jit) {}

    /// The entry function `f` of an input that has run was freed (its code with it): a
    /// debugger must forget it. By default nothing.
    fn released(&mut self, _sources: &SourceMap, _f: FuncId) {}

    /// Wraps the run of an input's entry function (a profiler, a timer); by default just runs.
    fn around_run(
        &mut self,
        _sources: &SourceMap,
        run: &mut dyn FnMut() -> Result<Vec<u8>, Fault>,
    ) -> Result<Vec<u8>, Fault> {
        run()
    }
}

impl<F: FnMut(&SourceMap, Event)> Observer for F {
    fn event(&mut self, sources: &SourceMap, event: Event) {
        self(sources, event)
    }
}

/// Why `:type` has no answer.
#[derive(Debug, Clone)]
pub enum TypeError {
    /// The expression is not complete.
    Incomplete,
    /// The text is not one expression.
    NotAnExpression,
    /// Parse or check errors.
    Diagnostics(Vec<Diagnostic>),
}

/// What [`Engine::code`] shows of a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeKind {
    /// The typed IR the checker produced.
    Tir,
    /// Cranelift IR.
    Clif,
    /// Machine code.
    Asm,
}

/// One REPL session: its sources, checker state and compiled code.
pub struct Engine {
    sources: SourceMap,
    session: vais_types::Session,
    backend: backend::Backend,
    /// Number of inputs evaluated so far (names `<input N>`).
    input_count: usize,
    history: Vec<String>,
    /// Source text of the live definitions (`:save`).
    saved: saved::SavedItems,
    capture: bool,
    /// Standard-library modules already in the session (`U std/...`), not imported again.
    std_loaded: HashSet<PathBuf>,
    /// Hot functions are recompiled optimised past this many counts (`None`: never).
    tier_threshold: Option<u32>,
}

impl Engine {
    /// A session; hot functions tier up past `VAIS_TIER_THRESHOLD` counts (default
    /// [`vais_jit::DEFAULT_THRESHOLD`]; `off` turns tier-up off).
    pub fn new() -> Result<Engine, String> {
        let threshold = vais_jit::threshold_from_env().unwrap_or(Some(vais_jit::DEFAULT_THRESHOLD));
        Engine::with_tier_threshold(threshold)
    }

    /// A session whose hot functions tier up past `threshold` counts of function entries and
    /// loop back-edges (`None`: never).
    pub fn with_tier_threshold(threshold: Option<u32>) -> Result<Engine, String> {
        Ok(Engine {
            tier_threshold: threshold,
            sources: SourceMap::new(),
            session: vais_types::Session::new(),
            backend: backend::Backend::new(threshold)?,
            input_count: 0,
            history: Vec::new(),
            saved: Default::default(),
            capture: false,
            std_loaded: HashSet::new(),
        })
    }

    /// The session's source files (inputs, loaded files): resolves spans and frame positions.
    pub fn sources(&self) -> &SourceMap {
        &self.sources
    }

    /// The session's typed program (every definition so far).
    pub fn program(&self) -> &vais_tir::Program {
        self.session.program()
    }

    pub fn session(&self) -> &vais_types::Session {
        &self.session
    }

    /// The inputs evaluated so far, in order.
    pub fn history(&self) -> &[String] {
        &self.history
    }

    /// Number of inputs evaluated so far.
    pub fn input_count(&self) -> usize {
        self.input_count
    }

    /// Capture mode: program output of each run is delivered as [`Event::Output`] instead of
    /// going to stdout (see `vais_runtime::capture_output` for what is not captured).
    pub fn set_capture(&mut self, on: bool) {
        self.capture = on;
    }

    /// `file:line:col` of a backtrace frame's position, if it has one.
    pub fn frame_location(&self, frame: &BtFrame) -> Option<(String, usize, usize)> {
        let (file, offset) = frame.position?;
        let (name, line, col) = self.sources.position(file, offset)?;
        Some((name.to_string(), line, col))
    }

    /// Forgets every definition and variable and frees the compiled code (the history stays).
    pub fn clear(&mut self) -> Result<(), String> {
        let mut fresh = Engine::with_tier_threshold(self.tier_threshold)?;
        fresh.history = std::mem::take(&mut self.history);
        fresh.capture = self.capture;
        let old = std::mem::replace(self, fresh);
        vais_runtime::faults::clear_code();
        // SAFETY: the old session (its checker state, globals and entry points) is dropped with
        // it, so nothing can reach the old code or data any more.
        unsafe { old.backend.free() };
        Ok(())
    }

    /// Evaluates one input; `Incomplete` means the caller should read more lines.
    pub fn eval(&mut self, text: &str, obs: &mut dyn Observer) -> Outcome {
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
            obs.event(&self.sources, Event::Diagnostics(parse_diags));
            return Outcome::Failed;
        }
        // Standard-library modules already in the session are not imported again (that would
        // redefine `Option` and drop every variable holding one); the set grows only when the
        // input is accepted.
        let mut std_loaded = self.std_loaded.clone();
        let Some(entries) = self.expand_imports(entries, &mut std_loaded, obs) else {
            return Outcome::Failed;
        };
        let outcome = self.eval_entries(&entries, &mut timings, obs);
        if outcome != Outcome::Failed {
            self.std_loaded = std_loaded;
        }
        outcome
    }

    /// Evaluates the items of a file (`:load`; its `main` is not run). Err: it cannot be read.
    pub fn load(&mut self, path: &std::path::Path, obs: &mut dyn Observer) -> Result<Outcome, std::io::Error> {
        let mut std_loaded = self.std_loaded.clone();
        let (module, diags) = vais_parser::load_program_in_session(path, &mut self.sources, &mut std_loaded)?;
        if diags.iter().any(Diagnostic::is_error) {
            obs.event(&self.sources, Event::Diagnostics(diags));
            return Ok(Outcome::Failed);
        }
        let entries: Vec<ReplEntry> = module.items.into_iter().map(ReplEntry::Item).collect();
        let outcome = self.eval_entries(&entries, &mut Timings::default(), obs);
        if outcome != Outcome::Failed {
            self.std_loaded = std_loaded;
        }
        Ok(outcome)
    }

    /// Replaces `U path` items of an input by the items of the files they import (relative to
    /// the current directory), as `:load` does; None (reported) if one cannot be loaded.
    fn expand_imports(&mut self, entries: Vec<ReplEntry>, std_loaded: &mut HashSet<PathBuf>, obs: &mut dyn Observer) -> Option<Vec<ReplEntry>> {
        let is_use = |e: &ReplEntry| matches!(e, ReplEntry::Item(i) if matches!(i.kind, ItemKind::Use(_)));
        if !entries.iter().any(is_use) {
            return Some(entries);
        }
        let dir = std::env::current_dir().unwrap_or_default();
        let mut out = Vec::with_capacity(entries.len());
        let mut diags = vec![];
        for e in entries {
            match e {
                ReplEntry::Item(item) if matches!(item.kind, ItemKind::Use(_)) => {
                    let (items, mut d) = vais_parser::expand_imports(vec![item], &dir, &mut self.sources, std_loaded);
                    diags.append(&mut d);
                    out.extend(items.into_iter().map(ReplEntry::Item));
                }
                e => out.push(e),
            }
        }
        if diags.iter().any(Diagnostic::is_error) {
            obs.event(&self.sources, Event::Diagnostics(diags));
            return None;
        }
        Some(out)
    }

    /// Checks, compiles and runs already-parsed entries.
    pub fn eval_entries(&mut self, entries: &[ReplEntry], timings: &mut Timings, obs: &mut dyn Observer) -> Outcome {
        let items: Vec<&Item> = entries
            .iter()
            .filter_map(|e| match e {
                ReplEntry::Item(i) => Some(i),
                ReplEntry::Stmt(_) => None,
            })
            .collect();
        let unresolved = unresolved_externs(items.iter().copied());
        if !unresolved.is_empty() {
            obs.event(&self.sources, Event::Diagnostics(unresolved));
            return Outcome::Failed;
        }
        let t1 = Instant::now();
        let checked = self.session.check_input(entries);
        timings.check = t1.elapsed();
        let (result, warnings) = match checked {
            Ok(ok) => ok,
            Err(diags) => {
                obs.event(&self.sources, Event::Diagnostics(diags));
                return Outcome::Failed;
            }
        };
        if !warnings.is_empty() {
            obs.event(&self.sources, Event::Diagnostics(warnings));
        }
        self.saved.remember(&items, &self.sources);
        for d in result.definitions {
            obs.event(&self.sources, Event::Defined(d));
        }
        for n in result.messages {
            obs.event(&self.sources, Event::Note(n));
        }
        let t2 = Instant::now();
        let program = self.session.program();
        let sources = &self.sources;
        let locate = |span: vais_ast::Span| sources.location(span);
        let before = self.backend.jit().cache_stats();
        let compiled = self.backend.compile(program, &result.compile, &locate);
        // Optimised versions the recompiled functions replaced.
        for e in self.backend.take_tier_events() {
            obs.event(&self.sources, Event::Tier(e));
        }
        if let Err(e) = compiled {
            obs.event(&self.sources, Event::InternalError(e));
            return Outcome::Failed;
        }
        obs.compiled(&self.sources, self.backend.jit());
        timings.compile = t2.elapsed();
        timings.tier = self.backend.jit().tier().name();
        let after = self.backend.jit().cache_stats();
        timings.from_cache = after.from_cache - before.from_cache;
        timings.compiled = after.compiled - before.compiled;
        let mut outcome = Outcome::Done;
        if let Some(entry) = result.entry {
            let t3 = Instant::now();
            let backend = &mut self.backend;
            let ty = &result.value_ty;
            if self.capture {
                vais_runtime::capture_output(true);
            }
            let program = self.session.program();
            let run = obs.around_run(&self.sources, &mut || backend.run_entry(program, &locate, entry, ty));
            if self.capture {
                let bytes = vais_runtime::capture_output(false);
                if !bytes.is_empty() {
                    obs.event(&self.sources, Event::Output(bytes));
                }
            }
            timings.run = t3.elapsed();
            if self.backend.jit().tier_placed() {
                // Optimised code swapped in during the run (debugger images, profilers).
                obs.compiled(&self.sources, self.backend.jit());
            }
            for e in self.backend.take_tier_events() {
                if matches!(e, TierEvent::Up { .. }) {
                    timings.tiered_up += 1;
                }
                obs.event(&self.sources, Event::Tier(e));
            }
            match run {
                Ok(bytes) => {
                    if !matches!(result.value_ty, Ty::Unit | Ty::Never) {
                        let program = self.session.program();
                        match self.backend.format(program, &result.value_ty, &bytes) {
                            Ok(text) => {
                                let type_name = program.ty_name(&result.value_ty);
                                obs.event(&self.sources, Event::Value(Value { ty: result.value_ty.clone(), type_name, text }));
                            }
                            Err(fault) => {
                                obs.event(&self.sources, Event::ValueFault(fault));
                                outcome = Outcome::Failed;
                            }
                        }
                    }
                }
                Err(fault) => {
                    let ev = match fault.kind {
                        FaultKind::Exited(status) => Event::Exited(status),
                        FaultKind::Interrupted => Event::Interrupted(fault),
                        _ => Event::Fault(fault),
                    };
                    if !matches!(ev, Event::Exited(_)) {
                        outcome = Outcome::Failed;
                    }
                    obs.event(&self.sources, ev);
                }
            }
            // The entry ran once and nothing can call it again: its code, IR and TIR go, so
            // that a session's memory does not grow with every expression it evaluates.
            obs.released(&self.sources, entry);
            self.backend.release_entry(entry);
            self.session.release_entry(entry);
        }
        timings.optimised = self.backend.optimised().len();
        obs.event(&self.sources, Event::Finished(*timings));
        outcome
    }

    /// What the session's JIT holds now: compiled functions, JIT memory in use, unwinder
    /// registrations (tests check these do not grow with the number of expressions evaluated).
    pub fn retained(&self) -> vais_jit::Retained {
        self.backend.retained()
    }

    /// Changes the tier-up threshold (`None`: hot functions are never recompiled); it applies
    /// to every function from now on.
    pub fn set_tier_threshold(&mut self, threshold: Option<u32>) -> Result<(), String> {
        self.backend.set_tier_threshold(threshold)?;
        self.tier_threshold = threshold;
        Ok(())
    }

    /// The tier-up threshold (`None`: off).
    pub fn tier_threshold(&self) -> Option<u32> {
        self.tier_threshold
    }

    /// `:tiers`: the functions running optimised code, each with the functions inlined into
    /// it (`f (inlined: g, h)`), in definition order.
    pub fn tiers(&self) -> Vec<String> {
        let p = self.session.program();
        self.backend
            .optimised()
            .into_iter()
            .map(|(f, inl)| {
                let name = &p.func(f).name;
                if inl.is_empty() {
                    name.clone()
                } else {
                    let names: Vec<&str> = inl.iter().map(|g| p.func(*g).name.as_str()).collect();
                    format!("{name} (inlined: {})", names.join(", "))
                }
            })
            .collect()
    }

    /// The type of an expression, without running it (`:type`); the session is unchanged.
    pub fn type_of(&mut self, text: &str) -> Result<String, TypeError> {
        let file = vais_ast::FileId(self.sources.files.len() as u32);
        let parsed = vais_parser::parse_repl_input(file, text);
        self.sources.add(format!("<type {}>", self.input_count + 1), text.to_string());
        let (entries, diags) = match parsed {
            vais_parser::ReplParse::Complete(e, d) => (e, d),
            vais_parser::ReplParse::Incomplete => return Err(TypeError::Incomplete),
        };
        if diags.iter().any(Diagnostic::is_error) {
            return Err(TypeError::Diagnostics(diags));
        }
        let expr = match entries.as_slice() {
            [ReplEntry::Stmt(Stmt { kind: StmtKind::Expr(e), .. })] => e,
            _ => return Err(TypeError::NotAnExpression),
        };
        self.session.type_of(expr).map_err(TypeError::Diagnostics)
    }

    /// `:defs`: the live definitions and variables with their types, in definition order.
    pub fn definitions(&self) -> Vec<String> {
        self.session.describe_definitions()
    }

    /// `:save`: the text of a self-contained file of the live definitions, and how many it
    /// holds live (broken or rejected ones are commented out).
    pub fn save_text(&self) -> (String, usize) {
        self.saved.render(&self.session.broken_functions(), &self.session.variables())
    }

    /// `:tir`/`:clif`/`:asm NAME`: the code of function `name`, or the message saying why
    /// there is none.
    pub fn code(&self, kind: CodeKind, name: &str) -> Result<String, String> {
        self.code_at(kind, name, None)
    }

    /// `:clif`/`:asm [base|opt] NAME`: as [`Engine::code`], of the code of one tier (`None`: the
    /// version calls run now).
    pub fn code_at(&self, kind: CodeKind, name: &str, tier: Option<Tier>) -> Result<String, String> {
        let program = self.session.program();
        let found = program.funcs.iter().enumerate().rev().find(|(_, f)| f.name == name);
        let Some((index, _)) = found else {
            return Err(self.no_function(name));
        };
        let id = FuncId(index as u32);
        let text = match kind {
            CodeKind::Tir => Some(vais_tir::print::function(program, id)),
            CodeKind::Clif => self.backend.clif(id, tier),
            CodeKind::Asm => self.backend.asm(id, tier),
        };
        let what = if kind == CodeKind::Clif { "IR" } else { "machine code" };
        if text.is_none() && tier == Some(Tier::Optimising) && self.backend.tier_of(id) != Tier::Optimising {
            return Err(format!("`{name}` has no optimised {what}: it has not tiered up (:tiers lists those that have)"));
        }
        text.ok_or_else(|| format!("no {what} available for `{name}`"))
    }

    /// Why no function is named `name`: a generic function has code only per instance
    /// (`id<i64>`, `Bx<i64>.get`); a method is named with its type (`Pt.norm`).
    fn no_function(&self, name: &str) -> String {
        let program = self.session.program();
        let mut instances: Vec<&str> = program
            .funcs
            .iter()
            .map(|f| f.name.as_str())
            .filter(|n| n.contains('<') && without_type_arguments(n) == name)
            .collect();
        instances.sort_unstable();
        instances.dedup();
        let suffix = format!(".{name}");
        let mut methods: Vec<String> =
            program.funcs.iter().map(|f| without_type_arguments(&f.name)).filter(|n| n.ends_with(&suffix)).collect();
        methods.sort_unstable();
        methods.dedup();
        if !instances.is_empty() {
            let list: Vec<String> = instances.iter().map(|n| format!("`{n}`")).collect();
            format!("`{name}` is generic; name one of its instances: {}", list.join(", "))
        } else if self.session.is_generic_function(name) {
            format!("`{name}` is generic and has no compiled instance yet (call it first)")
        } else if !methods.is_empty() {
            let list: Vec<String> = methods.iter().map(|n| format!("`{n}`")).collect();
            format!("no function named `{name}`; methods are named with their type: {}", list.join(", "))
        } else {
            let hint = vais_ast::diag::closest(name, program.funcs.iter().map(|f| f.name.as_str()))
                .map(|c| format!("; did you mean `{c}`?"))
                .unwrap_or_default();
            format!("no function named `{name}`{hint}")
        }
    }

    /// Names for completion: the session's functions, types, variants and variables.
    pub fn names(&self) -> Vec<String> {
        let p = self.session.program();
        let mut names: Vec<String> = p.funcs.iter().map(|f| f.name.clone()).filter(|n| !n.starts_with("__")).collect();
        names.extend(p.globals.iter().map(|g| g.name.clone()));
        names.extend(p.structs.iter().map(|s| s.name.clone()));
        for e in &p.enums {
            names.push(e.name.clone());
            names.extend(e.variants.iter().map(|v| v.name.clone()));
        }
        names.sort();
        names.dedup();
        names
    }
}

/// A function's name without its type arguments: `Bx<i64>.get<f64>` -> `Bx.get`.
fn without_type_arguments(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut depth = 0usize;
    for c in name.chars() {
        match c {
            '<' => depth += 1,
            '>' => depth = depth.saturating_sub(1),
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// `X F name(...)` declarations whose symbol the host process (libc, libm) does not have:
/// reported at the declaration, before anything is compiled (Project decision 4).
pub fn unresolved_externs<'a>(items: impl IntoIterator<Item = &'a Item>) -> Vec<Diagnostic> {
    items
        .into_iter()
        .filter_map(|item| match &item.kind {
            ItemKind::Extern(x) if vais_runtime::host::resolve(&x.name.name).is_none() => Some(
                Diagnostic::error(vais_ast::Code::E017, format!("cannot find extern function `{}` in the host process", x.name.name), x.name.span)
                    .with_label("no such symbol in libc or libm")
                    .with_note("extern functions are resolved by their C symbol name"),
            ),
            _ => None,
        })
        .collect()
}
