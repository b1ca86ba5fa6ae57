//! The terminal REPL's side of an input: the session engine (`vais_engine::Engine`) parses,
//! checks, compiles and runs it, and reports events; this module renders them (diagnostics
//! and runtime errors to standard error, `=>` values and notes to the program's output stream,
//! timings) and wraps a run in the profiler for `:profile`.

use crate::diagnostics;
use vais_ast::SourceMap;
use vais_engine::{Engine, Event, Fault, Observer};

pub use vais_engine::Outcome;

pub struct ReplState {
    pub engine: Engine,
    pub show_time: bool,
    /// Set by `:profile`: the next entry that runs is sampled (then this is cleared).
    pub profile: Option<crate::profile::Options>,
    /// `:debug`: debugger images of the compiled code.
    pub debug: super::debug::DebugImages,
}

/// Renders the engine's events as the terminal REPL shows them.
struct Renderer<'a> {
    show_time: bool,
    profile: &'a mut Option<crate::profile::Options>,
    debug: &'a mut super::debug::DebugImages,
}

impl Observer for Renderer<'_> {
    fn event(&mut self, sources: &SourceMap, event: Event) {
        match event {
            Event::Diagnostics(d) => diagnostics::emit_stderr(sources, &d),
            Event::Defined(_) => {}
            Event::Note(n) => {
                vais_runtime::end_line();
                vais_runtime::write_output(format!("{n}\n").as_bytes());
            }
            Event::InternalError(e) => {
                vais_runtime::flush_output();
                eprintln!("{e}");
            }
            Event::Output(bytes) => vais_runtime::write_output(&bytes),
            Event::Value(v) => {
                // Program output without a final newline keeps its line.
                vais_runtime::end_line();
                vais_runtime::write_output(format!("=> {}\n", v.text).as_bytes());
            }
            Event::ValueFault(fault) => {
                super::end_line_on_terminal();
                vais_runtime::flush_output();
                eprintln!("runtime error: the value cannot be printed: {}", fault.kind);
            }
            Event::Fault(fault) | Event::Interrupted(fault) => {
                super::end_line_on_terminal();
                crate::report::fault(&fault, sources);
            }
            Event::Exited(status) => {
                // `exit()` ends the session, as in C (the input is in the history already).
                vais_runtime::flush_output();
                std::process::exit(status & 0xff);
            }
            Event::Tier(e) => {
                if self.show_time {
                    vais_runtime::end_line();
                    vais_runtime::flush_output();
                    match e {
                        vais_engine::TierEvent::Up { function, inlined, compile } => {
                            let inl = if inlined.is_empty() { String::new() } else { format!(", inlined {}", inlined.join(", ")) };
                            println!("tier: `{function}` now runs optimised code (compiled in {compile:?} while running{inl})");
                        }
                        vais_engine::TierEvent::Down { function, because } => {
                            println!("tier: `{function}` runs baseline code again (`{because}`, inlined into it, was recompiled)");
                        }
                    }
                }
            }
            Event::Finished(t) => {
                if self.show_time {
                    vais_runtime::end_line();
                }
                vais_runtime::flush_output();
                if self.show_time {
                    let tiers = match (t.optimised, t.tiered_up) {
                        (0, _) => String::new(),
                        (n, 0) => format!("; {n} function{} optimised", if n == 1 { "" } else { "s" }),
                        (n, u) => format!("; {n} function{} optimised, {u} tiered up during this run", if n == 1 { "" } else { "s" }),
                    };
                    let cache = if t.from_cache > 0 { format!(", {} of {} functions from the cache", t.from_cache, t.from_cache + t.compiled) } else { String::new() };
                    println!("time: parse {:?}, check {:?}, compile {:?}, run {:?} ({} tier{cache}{tiers})", t.parse, t.check, t.compile, t.run, t.tier);
                }
            }
        }
    }

    fn compiled(&mut self, sources: &SourceMap, jit: &vais_jit::Jit) {
        self.debug.placed(jit, sources);
    }

    fn released(&mut self, sources: &SourceMap, f: vais_tir::FuncId) {
        self.debug.released(f, sources);
    }

    fn around_run(&mut self, sources: &SourceMap, run: &mut dyn FnMut() -> Result<Vec<u8>, Fault>) -> Result<Vec<u8>, Fault> {
        match self.profile.take() {
            Some(opts) => crate::profile::around(&opts, "vaisc repl :profile", sources, run),
            None => run(),
        }
    }
}

impl ReplState {
    pub fn new() -> Result<ReplState, String> {
        Ok(ReplState { engine: Engine::new()?, show_time: false, profile: None, debug: Default::default() })
    }

    fn renderer(&mut self) -> (&mut Engine, Renderer<'_>) {
        (&mut self.engine, Renderer { show_time: self.show_time, profile: &mut self.profile, debug: &mut self.debug })
    }

    /// `:clear`: forget every definition and variable and free the compiled code.
    pub fn clear(&mut self) -> Result<(), String> {
        // The debugger forgets the code before it is freed; the setting stays.
        self.debug.forget_code();
        self.engine.clear()
    }

    /// Evaluates `text`; `Incomplete` means the caller should read more lines.
    pub fn eval(&mut self, text: &str) -> Outcome {
        super::end_line_on_terminal();
        let (engine, mut r) = self.renderer();
        engine.eval(text, &mut r)
    }

    /// `:load FILE`.
    pub fn load(&mut self, path: &str) {
        let (engine, mut r) = self.renderer();
        if let Err(e) = engine.load(std::path::Path::new(path), &mut r) {
            eprintln!("error: cannot read `{path}`: {e}");
        }
    }
}
