//! `vaisc`: the command-line driver and the only code that prints or exits.
//!
//! `vaisc check FILE`, `vaisc run [--emit tir|clif|asm] FILE [ARGS...]`, `vaisc build FILE
//! [-o OUT] [-g] [--emit obj]`, `vaisc repl` (also plain `vaisc`).
//! It wires the pipeline together (parser → checker → JIT → runtime) and owns rendering.

mod diagnostics;
mod driver;
mod lines;
mod native;
mod native_debug;
mod profile;
mod repl;
mod report;

use clap::{Parser, Subcommand};

/// The compiler's own allocations (AST, types, IR) go through mimalloc; JIT-compiled programs
/// keep using C `malloc` through the runtime's built-ins.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::path::PathBuf;
use std::process::ExitCode;

/// Turns transparent huge pages off for this process (the compiler's heap and the program's),
/// until [`huge_pages_for_source`] sees a large input. With THP `always` (this kind of machine),
/// each fresh 2 MB region of a heap is a huge page zeroed on first touch, 0.5-1 ms each time
/// an allocator or a new thread's heap takes one, which a small compile never earns back:
/// `vaisc run` of `hello world` takes 2.5-2.8 ms of CPU instead of 3.0-4.5 ms (perf stat, means
/// of 30). The program's heap too: bintrees (malloc-bound) runs in 233 ms instead of 283 ms
/// (minimums of 31), and no bench program was slower by medians of 15 interleaved runs. A
/// large compile does earn them back (the generated 100,000-line program's `check`: best
/// 121 ms with them, 164 without).
fn no_transparent_huge_pages() {
    set_huge_pages(false);
}

/// Source size (bytes, ~8,000 lines) from which a compile turns transparent huge pages back on.
const HUGE_PAGES_FROM: u64 = 256 * 1024;

/// Turns transparent huge pages back on when the program at `path` is large (see
/// [`no_transparent_huge_pages`]).
pub(crate) fn huge_pages_for_source(path: &std::path::Path) {
    if std::fs::metadata(path).is_ok_and(|m| m.len() >= HUGE_PAGES_FROM) {
        set_huge_pages(true);
    }
}

fn set_huge_pages(on: bool) {
    // SAFETY: `prctl(PR_SET_THP_DISABLE)` only sets a flag of this process; no memory is touched.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, if on { 0 } else { 1 }, 0, 0, 0);
    }
}

#[derive(Parser)]
#[command(name = "vaisc", about = "The Vais toolchain: a Cranelift JIT, a REPL and a checker", disable_version_flag = true)]
struct Cli {
    /// Print the version (with --verbose, also where the standard library `std` comes from).
    #[arg(short = 'V', long)]
    version: bool,
    /// With --version: print more (the standard library's location).
    #[arg(long)]
    verbose: bool,
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
    /// `vaisc run FILE [ARGS...]` (or `FILE -- ARGS...`) passes ARGS to the program.
    #[command(group(clap::ArgGroup::new("sampling").multiple(true)))]
    Run {
        file: PathBuf,
        /// Arguments for the program (`argc()`, `argv(i)`); `argv(0)` is FILE.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, value_name = "ARGS")]
        args: Vec<std::ffi::OsString>,
        /// Print an intermediate form instead of running.
        #[arg(long, value_enum)]
        emit: Option<driver::Emit>,
        /// Print phase timings (parse, check, compile, run) on standard error.
        #[arg(long)]
        time: bool,
        /// Neither read nor write the cache of compiled code (also: VAIS_CACHE=off).
        #[arg(long)]
        no_cache: bool,
        /// Sample the program while it runs and print its hottest functions on standard error.
        #[arg(long, group = "sampling")]
        profile: bool,
        /// Write the profile as an SVG flame graph (samples as --profile; implies sampling).
        #[arg(long, value_name = "OUT.svg", group = "sampling")]
        flamegraph: Option<PathBuf>,
        /// Write the profile as folded stacks, `outer;...;inner COUNT` per line, for other flame
        /// graph and profile viewers (samples as --profile; implies sampling).
        #[arg(long, value_name = "OUT.txt", group = "sampling")]
        folded: Option<PathBuf>,
        /// Samples per second of CPU time for --profile / --flamegraph / --folded.
        #[arg(long, value_name = "HZ", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=100000), requires = "sampling")]
        profile_hz: u32,
        /// Describe the JIT code to a debugger: DWARF line tables and function ranges through
        /// the GDB JIT interface (`gdb --args vaisc run -g prog.vais`, `break prog.vais:LINE`).
        #[arg(short = 'g', long = "debug")]
        debug: bool,
        /// Describe the JIT code to Linux perf: a perf map (/tmp/perf-PID.map) or a jitdump
        /// (./jit-PID.dump, for `perf record -k 1` then `perf inject --jit`).
        #[arg(long, value_enum, value_name = "KIND")]
        perf: Option<driver::PerfOutput>,
    },
    /// Compile a program into a native executable (linked with the system C compiler `cc`
    /// against the runtime library); `vaisc build FILE [-o OUT] [-g] [--emit obj] [-- CC-ARGS...]`.
    Build {
        file: PathBuf,
        /// The executable (default: FILE's name without `.vais`, in the current directory).
        #[arg(short = 'o', value_name = "OUT")]
        out: Option<PathBuf>,
        /// Write DWARF debug information for gdb (`break FILE.vais:LINE`, `bt`, `step`).
        #[arg(short = 'g', long = "debug")]
        debug: bool,
        /// Write only the object file (`-o OUT.o`; default FILE's name with `.o`).
        #[arg(long, value_enum, value_name = "KIND")]
        emit: Option<BuildEmit>,
        /// Print phase timings (parse, check, compile, link) on standard error.
        #[arg(long)]
        time: bool,
        /// Extra arguments for the C compiler's link (after `--`: libraries such as `-lsqlite3`, object files).
        #[arg(last = true, value_name = "CC-ARGS")]
        cc_args: Vec<std::ffi::OsString>,
    },
    /// Start the interactive prompt (the default).
    Repl,
}

/// What `vaisc build --emit` writes instead of an executable.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum BuildEmit {
    /// The relocatable object file.
    Obj,
}

fn main() -> ExitCode {
    no_transparent_huge_pages();
    let cli = Cli::parse();
    if cli.version {
        println!("vaisc {}", env!("CARGO_PKG_VERSION"));
        if cli.verbose {
            println!("{}", vais_parser::stdlib::describe());
        }
        return ExitCode::SUCCESS;
    }
    vais_runtime::default_sigpipe();
    vais_runtime::profile::set_executable_namer(profile::name_in_executable);
    // Perf files are written only when asked for (`--perf`); before any thread starts.
    vais_runtime::perf::disable_implicit_perf_map();
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
            Some(Command::Run { file, args, emit, time, no_cache, profile, flamegraph, folded, profile_hz, perf, debug }) => {
                use std::os::unix::ffi::OsStrExt;
                let mut argv: Vec<&[u8]> = vec![file.as_os_str().as_bytes()];
                // `FILE -- ARGS`: the `--` only separates (clap keeps it after an argument).
                let rest = match args.first() {
                    Some(a) if a == "--" => &args[1..],
                    _ => &args[..],
                };
                argv.extend(rest.iter().map(|a| a.as_bytes()));
                vais_runtime::args::set_args(&argv);
                let profile = (profile || flamegraph.is_some() || folded.is_some())
                    .then_some(profile::Options { hz: profile_hz, table: profile, flamegraph, folded });
                driver::run(&file, &driver::RunOptions { emit, time, profile, perf, debug, no_cache })
            }
            Some(Command::Build { file, out, debug, emit, time, cc_args }) => {
                native::build(&file, &native::BuildOptions { out, debug, emit_obj: emit == Some(BuildEmit::Obj), time, cc_args })
            }
            Some(Command::Repl) | None => repl::main(),
        };
        vais_runtime::flush_output();
        code
    });
    vais_runtime::flush_output();
    ExitCode::from(code)
}
