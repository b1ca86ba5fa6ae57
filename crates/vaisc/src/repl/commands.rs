//! REPL commands (`:help`, `:quit`, `:clear`, `:defs`, `:type`, `:clif`, `:asm`, `:time`,
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
    (":clif NAME", "show the Cranelift IR of a function"),
    (":asm NAME", "show the machine code of a function"),
    (":time", "toggle per-input timing (parse, check, compile, run)"),
    (":load FILE", "evaluate the items of a file (does not run its main)"),
    (":save FILE", "write the session's definitions to a .vais file"),
    (":history", "show the input history"),
];

const NAMES: &[&str] = &[
    ":help", ":h", ":quit", ":q", ":clear", ":defs", ":type", ":t", ":clif", ":asm", ":time", ":load", ":save",
    ":history",
];

pub fn run(state: &mut ReplState, line: &str) -> Flow {
    let (cmd, arg) = match line.split_once(char::is_whitespace) {
        Some((c, a)) => (c, a.trim()),
        None => (line, ""),
    };
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
        ":clif" | ":asm" => show_code(state, cmd, arg),
        ":time" => {
            state.show_time = !state.show_time;
            println!("timing {}", if state.show_time { "on" } else { "off" });
        }
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

/// Evaluates a final, possibly incomplete input at end of input (reports its error).
pub fn eval_final(state: &mut ReplState, text: &str) {
    if state.eval(text) == super::eval::Outcome::Incomplete {
        eprintln!("error[P002]: unexpected end of input (the last input is incomplete)");
    }
}

fn type_of(state: &mut ReplState, arg: &str) {
    if arg.is_empty() {
        eprintln!("error: usage: :type EXPR");
        return;
    }
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
        let hint = vais_ast::diag::closest(name, program.funcs.iter().map(|f| f.name.as_str()))
            .map(|c| format!("; did you mean `{c}`?"))
            .unwrap_or_default();
        eprintln!("error: no function named `{name}`{hint}");
        return;
    };
    let id = vais_tir::FuncId(index as u32);
    let text = if cmd == ":clif" { state.jit.clif(id) } else { state.jit.asm(id) };
    match text {
        Some(t) => println!("{t}"),
        None => eprintln!("error: no {} available for `{name}`", if cmd == ":clif" { "IR" } else { "machine code" }),
    }
}

fn load(state: &mut ReplState, path: &str) {
    if path.is_empty() {
        eprintln!("error: usage: :load FILE");
        return;
    }
    let (module, diags) = match vais_parser::load_program(std::path::Path::new(path), &mut state.sources) {
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
    state.eval_entries(&entries, &mut timings);
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

