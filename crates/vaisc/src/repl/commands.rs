//! REPL commands (`:help`, `:quit`, `:clear`, `:defs`, `:type`, `:tir`, `:clif`, `:asm`, `:time`,
//! `:load`, `:save`, `:history`). Command output goes to standard output and never starts
//! with `=>`; errors go to standard error.

use super::eval::{ReplState, Timings};
use crate::diagnostics;
use vais_ast::ast::ReplEntry;
use vais_ast::Diagnostic;

pub enum Flow {
    Continue,
    Quit,
}

const COMMANDS: &[(&str, &str)] = &[
    (":help", "list commands (also :h)"),
    (":quit", "exit (also :q, Ctrl-D)"),
    (":clear", "forget every definition and variable, free compiled code"),
    (":defs", "list definitions and variables with their types"),
    (":type EXPR", "show the type of an expression without running it (also :t)"),
    (":tir NAME", "show the typed IR of a function (what the checker produced)"),
    (":clif NAME", "show the Cranelift IR of a function"),
    (":asm NAME", "show the machine code of a function"),
    (":profile EXPR", "run EXPR under the sampling profiler; print its hottest functions"),
    (":time", "toggle per-input timing (parse, check, compile, run)"),
    (":load FILE", "evaluate the items of a file (does not run its main)"),
    (":save FILE", "write the session's definitions to a .vais file"),
    (":history", "show the input history"),
];

const NAMES: &[&str] = &[
    ":help", ":h", ":quit", ":q", ":clear", ":defs", ":type", ":t", ":tir", ":clif", ":asm", ":profile", ":time", ":load", ":save",
    ":history",
];

pub fn run(state: &mut ReplState, line: &str) -> Flow {
    // Command output starts on a line of its own, after program output left without a newline.
    if vais_runtime::end_line() {
        vais_runtime::flush_output();
    }
    let (cmd, arg) = match line.split_once(char::is_whitespace) {
        Some((c, a)) => (c, a.trim()),
        None => (line, ""),
    };
    if let Some(usage) = bad_arguments(cmd, arg) {
        eprintln!("error: usage: {usage}");
        return Flow::Continue;
    }
    match cmd {
        ":help" | ":h" => {
            println!("Commands:");
            for (c, d) in COMMANDS {
                println!("  {c:<12} {d}");
            }
            println!("Examples:");
            println!("  F sq(x: i64) -> i64 = x * x     define a function");
            println!("  n := mut 5                      a session variable");
            println!("  sq(n) + 1                       evaluate: prints => 26");
        }
        ":quit" | ":q" | ":exit" => return Flow::Quit,
        ":clear" => match state.clear() {
            Ok(()) => println!("session cleared"),
            Err(e) => eprintln!("error: {e}"),
        },
        ":defs" => {
            for line in state.session.describe_definitions() {
                println!("{line}");
            }
        }
        ":type" | ":t" => type_of(state, arg),
        ":tir" | ":clif" | ":asm" => show_code(state, cmd, arg),
        ":time" => {
            state.show_time = !state.show_time;
            println!("timing {}", if state.show_time { "on" } else { "off" });
        }
        ":profile" => profile(state, arg),
        ":load" => load(state, arg),
        ":save" => save(state, arg),
        ":history" => {
            for (i, h) in state.history.iter().enumerate() {
                println!("{:>4}  {}", i + 1, h.replace('\n', "\n      "));
            }
        }
        _ => {
            let hint = vais_ast::diag::closest(cmd, NAMES.iter().copied())
                .map(|c| format!("; did you mean `{c}`?"))
                .unwrap_or_default();
            eprintln!("error: unknown command `{cmd}`{hint} (:help lists commands)");
        }
    }
    Flow::Continue
}

/// The usage line of a known command given the wrong number of arguments, else None. Commands
/// without arguments take none (a stray word is a mistake, and must not quit the session);
/// `:tir`/`:clif`/`:asm` take one function name; `:type`, `:profile`, `:load`, `:save` need
/// their argument (a file name may contain spaces).
fn bad_arguments(cmd: &str, arg: &str) -> Option<String> {
    let words = arg.split_whitespace().count();
    let usage = |text: &str| Some(format!("{cmd}{text}"));
    match cmd {
        ":help" | ":h" | ":quit" | ":q" | ":exit" | ":clear" | ":defs" | ":time" | ":history" if words > 0 => {
            usage(" (takes no argument)")
        }
        ":tir" | ":clif" | ":asm" if words != 1 => usage(" NAME (the name of one function)"),
        ":type" | ":t" | ":profile" if words == 0 => usage(" EXPR"),
        ":load" | ":save" if words == 0 => usage(" FILE"),
        _ => None,
    }
}

/// Evaluates a final, possibly incomplete input at end of input (reports its error).
pub fn eval_final(state: &mut ReplState, text: &str) {
    if state.eval(text) == super::eval::Outcome::Incomplete {
        eprintln!("error[P002]: unexpected end of input (the last input is incomplete)");
    }
}

fn type_of(state: &mut ReplState, arg: &str) {
    let file = vais_ast::FileId(state.sources.files.len() as u32);
    let parsed = vais_parser::parse_repl_input(file, arg);
    state.sources.add(format!("<type {}>", state.input_count + 1), arg.to_string());
    let (entries, diags) = match parsed {
        vais_parser::ReplParse::Complete(e, d) => (e, d),
        vais_parser::ReplParse::Incomplete => {
            eprintln!("error[P002]: unexpected end of input");
            return;
        }
    };
    if diags.iter().any(Diagnostic::is_error) {
        diagnostics::emit_stderr(&state.sources, &diags);
        return;
    }
    let expr = match entries.as_slice() {
        [ReplEntry::Stmt(vais_ast::ast::Stmt { kind: vais_ast::ast::StmtKind::Expr(e), .. })] => e,
        _ => {
            eprintln!("error: :type takes one expression");
            return;
        }
    };
    match state.session.type_of(expr) {
        Ok(t) => println!("{t}"),
        Err(d) => diagnostics::emit_stderr(&state.sources, &d),
    }
}

fn show_code(state: &ReplState, cmd: &str, name: &str) {
    let program = state.session.program();
    let found = program.funcs.iter().enumerate().rev().find(|(_, f)| f.name == name);
    let Some((index, _)) = found else {
        // A generic function has code only per instance (`id<i64>`, `Bx<i64>.get`); a method
        // is named with its type (`Pt.norm`).
        let mut instances: Vec<&str> = program
            .funcs
            .iter()
            .map(|f| f.name.as_str())
            .filter(|n| n.contains('<') && without_type_arguments(n) == name)
            .collect();
        instances.sort_unstable();
        instances.dedup();
        let suffix = format!(".{name}");
        let mut methods: Vec<String> = program
            .funcs
            .iter()
            .map(|f| without_type_arguments(&f.name))
            .filter(|n| n.ends_with(&suffix))
            .collect();
        methods.sort_unstable();
        methods.dedup();
        if !instances.is_empty() {
            let list: Vec<String> = instances.iter().map(|n| format!("`{n}`")).collect();
            eprintln!("error: `{name}` is generic; name one of its instances: {}", list.join(", "));
        } else if state.session.is_generic_function(name) {
            eprintln!("error: `{name}` is generic and has no compiled instance yet (call it first)");
        } else if !methods.is_empty() {
            let list: Vec<String> = methods.iter().map(|n| format!("`{n}`")).collect();
            eprintln!("error: no function named `{name}`; methods are named with their type: {}", list.join(", "));
        } else {
            let hint = vais_ast::diag::closest(name, program.funcs.iter().map(|f| f.name.as_str()))
                .map(|c| format!("; did you mean `{c}`?"))
                .unwrap_or_default();
            eprintln!("error: no function named `{name}`{hint}");
        }
        return;
    };
    let id = vais_tir::FuncId(index as u32);
    let text = match cmd {
        ":tir" => Some(vais_tir::print::function(program, id)),
        ":clif" => state.jit.clif(id),
        _ => state.jit.asm(id),
    };
    match text {
        Some(t) => println!("{}", t.trim_end()),
        None => eprintln!("error: no {} available for `{name}`", if cmd == ":clif" { "IR" } else { "machine code" }),
    }
}

fn profile(state: &mut ReplState, expr: &str) {
    state.profile = Some(crate::profile::Options { hz: 1000, table: true, flamegraph: None });
    state.eval(expr);
    if state.profile.take().is_some() {
        eprintln!("note: nothing ran, so nothing was profiled (:profile takes an expression)");
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

fn load(state: &mut ReplState, path: &str) {
    if path.is_empty() {
        eprintln!("error: usage: :load FILE");
        return;
    }
    let mut std_loaded = state.std_loaded.clone();
    let (module, diags) = match vais_parser::load_program_in_session(std::path::Path::new(path), &mut state.sources, &mut std_loaded) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: cannot read `{path}`: {e}");
            return;
        }
    };
    if diags.iter().any(Diagnostic::is_error) {
        diagnostics::emit_stderr(&state.sources, &diags);
        return;
    }
    let entries: Vec<ReplEntry> = module.items.into_iter().map(ReplEntry::Item).collect();
    let mut timings = Timings::default();
    if state.eval_entries(&entries, &mut timings) != super::eval::Outcome::Failed {
        state.std_loaded = std_loaded;
    }
}

fn save(state: &ReplState, path: &str) {
    if path.is_empty() {
        eprintln!("error: usage: :save FILE");
        return;
    }
    let (out, count) = state.saved.render(&state.session.broken_functions(), &state.session.variables());
    match std::fs::write(path, out) {
        Ok(()) => println!("saved {count} definitions to {path}"),
        Err(e) => eprintln!("error: cannot write `{path}`: {e}"),
    }
}

/// Names for tab completion: the session's functions, types and variables.
pub fn session_names(state: &ReplState) -> Vec<String> {
    let p = state.session.program();
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

