//! `vaisc`: the command-line driver and the only code that prints or exits.
//!
//! `vaisc check FILE`, `vaisc run FILE [--emit clif]`, `vaisc repl` (also plain `vaisc`).
//! It wires the pipeline together (parser → checker → JIT → runtime) and owns rendering.

mod diagnostics;
mod driver;
mod repl;

use clap::{Parser, Subcommand};

/// The compiler's own allocations (AST, types, IR) go through mimalloc; JIT-compiled programs
/// keep using C `malloc` through the runtime's built-ins.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "vaisc", version, about = "The Vais toolchain: a Cranelift JIT, a REPL and a checker")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Parse and type-check a program; prints nothing on success.
    Check {
        file: PathBuf,
        /// Print phase timings on standard error.
        #[arg(long)]
        time: bool,
    },
    /// JIT-compile a program and run `main`; its value (mod 256) is the exit status.
    Run {
        file: PathBuf,
        /// Print an intermediate form instead of running.
        #[arg(long, value_enum)]
        emit: Option<driver::Emit>,
        /// Print phase timings (parse, check, compile, run) on standard error.
        #[arg(long)]
        time: bool,
    },
    /// Start the interactive prompt (the default).
    Repl,
}


fn main() -> ExitCode {
    let cli = Cli::parse();
    vais_runtime::default_sigpipe();
    // A panic inside code generation is caught and reported as an internal compiler error that
    // carries its message (`vais_jit::in_codegen`): print nothing more for it. Any other panic
    // prints as usual.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !vais_jit::in_codegen() {
            default_hook(info)
        }
    }));
    // The whole command runs on a prepared big-stack thread: JIT code then runs inline there
    // (`run_protected` needs no handoff to a worker thread), and the compiler gets a deep stack.
    let code = vais_runtime::run_on_big_stack(move || {
        let code = match cli.command {
            Some(Command::Check { file, time }) => driver::check(&file, time),
            Some(Command::Run { file, emit, time }) => driver::run(&file, emit, time),
            Some(Command::Repl) | None => repl::main(),
        };
        vais_runtime::flush_output();
        code
    });
    vais_runtime::flush_output();
    ExitCode::from(code)
}
