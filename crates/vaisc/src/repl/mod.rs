//! `vaisc repl`: the interactive prompt (`../shared/spec/REPL.md`).
//!
//! Reads inputs from a terminal (rustyline: editing, history, completion, highlighting, banner
//! and prompts) or from a pipe (no banner, no prompt). An input continues over several lines
//! while the real parser answers "incomplete". Lines starting with `:` are commands.

pub mod commands;
mod debug;
pub mod eval;
mod terminal;

use std::io::IsTerminal;

/// Where input lines come from.
pub enum LineSource {
    Terminal(Box<terminal::Editor>),
    /// Piped input, read through C's `stdin` stream: a program's `getchar()` reads the same
    /// stream, so it gets the input after the current one (Extensions decision 17).
    Pipe,
}

pub enum Line {
    Text(String),
    /// Ctrl-C at the prompt: discard the pending input.
    Cancelled,
    Eof,
}

impl LineSource {
    fn read(&mut self, continuation: bool) -> Line {
        match self {
            LineSource::Terminal(ed) => ed.read(if continuation { "...> " } else { "vais> " }),
            LineSource::Pipe => match vais_runtime::args::read_stdin_line() {
                None => Line::Eof,
                Some(bytes) => Line::Text(String::from_utf8_lossy(&bytes).into_owned()),
            },
        }
    }
}

pub fn main() -> u8 {
    // A session is long-lived and grows by small steps: with transparent huge pages allowed,
    // mimalloc's arenas (madvised for them) grow resident memory 2 MiB at a time, which made
    // a redefinition cost ~5 KiB of RSS instead of the ~1.8 KiB it allocates. The kernel then
    // backs every later fault of this process with small pages.
    // SAFETY: prctl with these arguments only sets a flag of this process.
    unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
    let mut state = match eval::ReplState::new() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot start the JIT: {e}");
            return 1;
        }
    };
    vais_runtime::install_interrupt_handler();
    let interactive = std::io::stdin().is_terminal();
    let editor = if interactive { terminal::Editor::new() } else { None };
    let mut source = match editor {
        Some(ed) => {
            println!("Vais {} (Cranelift JIT) — :help for commands, Ctrl-D to exit", env!("CARGO_PKG_VERSION"));
            LineSource::Terminal(Box::new(ed))
        }
        None => LineSource::Pipe,
    };
    // No program arguments in a session: `argc()` is 1, `argv(0)` names the REPL.
    vais_runtime::args::set_args(&["repl"]);
    let mut pending = String::new();
    loop {
        if let LineSource::Terminal(ed) = &mut source {
            ed.set_names(commands::session_names(&state));
            // The prompt is drawn from the start of the line (it would erase `abc` of a
            // `printf("abc")`).
            vais_runtime::end_line();
            vais_runtime::flush_output();
        }
        let line = match source.read(!pending.is_empty()) {
            Line::Text(t) => t,
            Line::Cancelled => {
                pending.clear();
                continue;
            }
            Line::Eof => {
                if !pending.trim().is_empty() {
                    // End of input in the middle of an input: evaluate it to report the error.
                    let text = std::mem::take(&mut pending);
                    commands::eval_final(&mut state, &text);
                }
                break;
            }
        };
        if pending.is_empty() && line.trim_start().starts_with(':') {
            if let LineSource::Terminal(ed) = &mut source {
                ed.add_history(&line);
            }
            match guarded(|| commands::run(&mut state, line.trim())).unwrap_or(commands::Flow::Continue) {
                commands::Flow::Continue => continue,
                commands::Flow::Quit => break,
            }
        }
        if pending.is_empty() && line.trim().is_empty() {
            continue;
        }
        if !pending.is_empty() {
            pending.push('\n');
        }
        pending.push_str(&line);
        // On a terminal, a complete input goes into the history file before it runs (REPL.md:
        // nothing is lost if the input crashes the process or calls `exit()`).
        let mut recorded = false;
        if let LineSource::Terminal(ed) = &mut source {
            if !matches!(vais_parser::parse_repl_input(vais_ast::FileId(0), &pending), vais_parser::ReplParse::Incomplete) {
                ed.add_history(&pending);
                recorded = true;
            }
        }
        match guarded(|| state.eval(&pending)).unwrap_or(eval::Outcome::Failed) {
            eval::Outcome::Incomplete => continue,
            eval::Outcome::Done | eval::Outcome::Failed => {
                if let (LineSource::Terminal(ed), false) = (&mut source, recorded) {
                    ed.add_history(&pending);
                }
                pending.clear();
            }
        }
    }
    if let LineSource::Terminal(ed) = &mut source {
        ed.save_history();
    }
    vais_runtime::flush_output();
    0
}

/// When standard output and standard error are one terminal: ends the line program output left
/// open, so that an error message starts a line of its own. (On a pipe, standard output gets
/// nothing the program or the REPL's own output did not need.)
pub(crate) fn end_line_on_terminal() {
    use std::io::IsTerminal;
    if vais_runtime::line_open() && std::io::stdout().is_terminal() && std::io::stderr().is_terminal() && vais_runtime::end_line() {
        vais_runtime::flush_output();
    }
}

/// Runs one input or command; a panic there is a compiler bug, reported as such (the panic hook
/// has already printed where it happened), and the session goes on instead of ending.
fn guarded<T>(f: impl FnOnce() -> T) -> Option<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(v) => Some(v),
        Err(_) => {
            vais_runtime::flush_output();
            eprintln!("internal compiler error: this is a bug in vaisc; the session continues");
            None
        }
    }
}
