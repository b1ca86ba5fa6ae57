//! REPL commands (`:help`, `:quit`, `:clear`, `:defs`, `:type`, `:tir`, `:clif`, `:asm`, `:debug`, `:time`,
//! `:load`, `:save`, `:history`). Command output goes to standard output and never starts
//! with `=>`; errors go to standard error.

use super::eval::ReplState;
use crate::diagnostics;

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
    (":clif NAME", "show the Cranelift IR of a function (:clif opt|base NAME: that tier's)"),
    (":asm NAME", "show the machine code of a function (:asm opt|base NAME: that tier's)"),
    (":tiers", "list the functions that tiered up (run optimised code) and what they inlined"),
    (":set tierup N|off", "recompile functions optimised after N calls + loop iterations (or never)"),
    (":debug on|off", "register debug info of compiled code for gdb (break input-N.vais:LINE)"),
    (":profile EXPR", "run EXPR under the sampling profiler; print its hottest functions"),
    (":time", "toggle per-input timing (parse, check, compile, run)"),
    (":load FILE", "evaluate the items of a file (does not run its main)"),
    (":save FILE", "write the session's definitions to a .vais file"),
    (":history", "show the input history"),
];

const NAMES: &[&str] = &[
    ":help", ":h", ":quit", ":q", ":clear", ":defs", ":type", ":t", ":tir", ":clif", ":asm", ":tiers", ":set", ":debug", ":profile", ":time", ":load", ":save",
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
            for line in state.engine.definitions() {
                println!("{line}");
            }
        }
        ":type" | ":t" => type_of(state, arg),
        ":tir" | ":clif" | ":asm" => show_code(state, cmd, arg),
        ":tiers" => {
            let list = state.engine.tiers();
            if list.is_empty() {
                println!("no function has tiered up");
            }
            for l in list {
                println!("{l}");
            }
        }
        ":set" => set(state, arg),
        ":time" => {
            state.show_time = !state.show_time;
            println!("timing {}", if state.show_time { "on" } else { "off" });
        }
        ":profile" => profile(state, arg),
        ":debug" => {
            if arg == "on" {
                let n = state.debug.turn_on(state.engine.sources());
                println!("debug info on ({n} compiled input{} registered)", if n == 1 { "" } else { "s" });
            } else {
                state.debug.turn_off();
                println!("debug info off");
            }
        }
        ":load" => load(state, arg),
        ":save" => save(state, arg),
        ":history" => {
            for (i, h) in state.engine.history().iter().enumerate() {
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
        ":help" | ":h" | ":quit" | ":q" | ":exit" | ":clear" | ":defs" | ":time" | ":history" | ":tiers" if words > 0 => {
            usage(" (takes no argument)")
        }
        ":tir" if words != 1 => usage(" NAME (the name of one function)"),
        ":clif" | ":asm" if !(words == 1 || words == 2 && matches!(arg.split_whitespace().next(), Some("opt" | "base"))) => {
            usage(" NAME (the name of one function; `opt NAME` or `base NAME` for one tier's code)")
        }
        ":set" if !(words == 2 && arg.starts_with("tierup")) => usage(" tierup N|off"),
        ":type" | ":t" | ":profile" if words == 0 => usage(" EXPR"),
        ":load" | ":save" if words == 0 => usage(" FILE"),
        ":debug" if arg != "on" && arg != "off" => usage(" on|off"),
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
    match state.engine.type_of(arg) {
        Ok(t) => println!("{t}"),
        Err(vais_engine::TypeError::Incomplete) => eprintln!("error[P002]: unexpected end of input"),
        Err(vais_engine::TypeError::NotAnExpression) => eprintln!("error: :type takes one expression"),
        Err(vais_engine::TypeError::Diagnostics(d)) => diagnostics::emit_stderr(state.engine.sources(), &d),
    }
}

fn show_code(state: &ReplState, cmd: &str, name: &str) {
    let kind = match cmd {
        ":tir" => vais_engine::CodeKind::Tir,
        ":clif" => vais_engine::CodeKind::Clif,
        _ => vais_engine::CodeKind::Asm,
    };
    let (tier, name) = match name.split_once(char::is_whitespace) {
        Some(("opt", n)) => (Some(vais_engine::Tier::Optimising), n.trim()),
        Some(("base", n)) => (Some(vais_engine::Tier::Baseline), n.trim()),
        _ => (None, name),
    };
    match state.engine.code_at(kind, name, tier) {
        Ok(t) => println!("{}", t.trim_end()),
        Err(e) => eprintln!("error: {e}"),
    }
}

/// `:set tierup N|off`.
fn set(state: &mut ReplState, arg: &str) {
    let value = arg.split_whitespace().nth(1).unwrap_or("");
    let threshold = match value {
        "off" | "0" => None,
        n => match n.parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => {
                eprintln!("error: usage: :set tierup N|off (N a count of calls and loop iterations)");
                return;
            }
        },
    };
    match state.engine.set_tier_threshold(threshold) {
        Ok(()) => match threshold {
            Some(n) => println!("tier-up after {n} counts"),
            None => println!("tier-up off"),
        },
        Err(e) => eprintln!("error: {e}"),
    }
}

fn profile(state: &mut ReplState, expr: &str) {
    state.profile = Some(crate::profile::Options { hz: 1000, table: true, flamegraph: None, folded: None });
    state.eval(expr);
    if state.profile.take().is_some() {
        eprintln!("note: nothing ran, so nothing was profiled (:profile takes an expression)");
    }
}

fn load(state: &mut ReplState, path: &str) {
    if path.is_empty() {
        eprintln!("error: usage: :load FILE");
        return;
    }
    state.load(path);
}

fn save(state: &ReplState, path: &str) {
    if path.is_empty() {
        eprintln!("error: usage: :save FILE");
        return;
    }
    let (out, count) = state.engine.save_text();
    match std::fs::write(path, out) {
        Ok(()) => println!("saved {count} definitions to {path}"),
        Err(e) => eprintln!("error: cannot write `{path}`: {e}"),
    }
}

/// Names for tab completion: the session's functions, types and variables.
pub fn session_names(state: &ReplState) -> Vec<String> {
    state.engine.names()
}
