//! `vais-runtime`: the `extern "C"` built-in functions that JIT-compiled Vais code calls, and
//! fault containment (runtime errors, fault signals, stack overflow, Ctrl-C) for running it.
//!
//! * [`io`]: the built-ins (`vais_puts`, `vais_printf`, `vais_malloc`, `vais_fopen`, ...), all
//!   writing through C stdio's `stdout`; [`flush_output`], [`write_output`] and [`end_line`]
//!   for the host.
//! * `alloc`: the per-thread cache of small freed blocks behind the `malloc`/`free` built-ins.
//! * [`mathrt`]: `vais_rt_set_edom` (errno for inline `sqrt`, all registers preserved).
//! * [`args`]: `argc`/`argv`, `getchar` and the standard streams; [`args::set_args`].
//! * [`printf`]: C `printf` formatting in Rust ([`printf::format_printf`]).
//! * [`faults`]: [`faults::run_protected`], [`faults::run_on_big_stack`], [`faults::Fault`], site/code registration and
//!   `vais_rt_trap`.
//! * [`gdbjit`]: the GDB JIT interface (registering debug images of JIT code).
//! * [`helpers`]: arithmetic helpers generated code calls (`vais$fmod`, `vais$i128op`, ...).
//! * [`perf`]: perf map and jitdump files for Linux `perf` (opt-in).
//! * [`profile`]: the built-in sampling profiler (SIGPROF, frame-pointer walks).
//! * [`program_info`]: the code tables a built executable carries (encoded by `vaisc build`).
//! * [`report`]: runtime error reports with backtraces (for `vaisc` and built executables).
//! * [`unwind`]: registration of JIT code's `.eh_frame` data with the system unwinder.
//! * `signals`: the signal handlers (internal), [`faults::install_interrupt_handler`].
//! * `jitstack`: the separate, guarded stack protected code runs on (internal).
//! * [`stdlib`]: the standard library's hooks (`vais_std_raise`, `vais_std_addr`).
//! * [`symbols`]: every symbol the JIT must define, for `JITBuilder::symbol`.

use std::sync::atomic::{AtomicU8, AtomicUsize};

mod alloc;
pub mod args;
pub mod faults;
pub mod gdbjit;
pub mod helpers;
pub mod host;
pub mod io;
pub mod mathrt;
pub mod perf;
pub mod printf;
pub mod profile;
pub mod program_info;
pub mod report;
mod jitstack;
mod signals;
pub mod unwind;
pub mod stdlib;

pub use signals::default_sigpipe;
pub use io::{capture_output, end_line, flush_output, line_open, write_output};
pub use faults::{install_interrupt_handler, run_on_big_stack, run_protected, take_interrupt, Fault, FaultKind, TrapKind};

/// Set to 1 by SIGINT while protected JIT code runs. JIT code loads it (symbol
/// `vais_interrupt_flag`, one byte) at loop back-edges and function entries and calls
/// `vais_rt_trap(6, site)` when it is non-zero. `run_protected` clears it before starting.
#[export_name = "vais_interrupt_flag"]
pub static VAIS_INTERRUPT_FLAG: AtomicU8 = AtomicU8::new(0);

/// Lowest stack address JIT code should use on the thread running protected code (its stack
/// bottom + 256 KiB; 0 until the first protected call). Exported as the data symbol `vais_stack_limit` (8
/// bytes) for an optional Cranelift `stack_limit` prologue check; only meaningful for code run
/// through `run_protected`. A trap raised by that check is reported as a stack overflow.
#[export_name = "vais_stack_limit"]
pub static VAIS_STACK_LIMIT: AtomicUsize = AtomicUsize::new(0);

/// Every symbol JIT code may reference, with its address, for `JITBuilder::symbol`. Functions
/// use their `vais_*` names; the data symbols are `vais_interrupt_flag` (an `i8`) and
/// `vais_stack_limit` (an `i64`).
pub fn symbols() -> Vec<(&'static str, *const u8)> {
    host::load_host_libraries();
    use faults::vais_rt_trap;
    use io::*;
    let mut v = vec![
        ("vais_puts", vais_puts as *const u8),
        ("vais_putchar", vais_putchar as *const u8),
        ("vais_puts_ptr", vais_puts_ptr as *const u8),
        ("vais_print_i64", vais_print_i64 as *const u8),
        ("vais_print_f64", vais_print_f64 as *const u8),
        ("vais_exit", vais_exit as *const u8),
        ("vais_printf", vais_printf as *const u8),
        ("vais_malloc", vais_malloc as *const u8),
        ("vais_free", vais_free as *const u8),
        ("vais_memcpy", vais_memcpy as *const u8),
        ("vais_strlen", vais_strlen as *const u8),
        ("vais_fopen", vais_fopen as *const u8),
        ("vais_fclose", vais_fclose as *const u8),
        ("vais_fread", vais_fread as *const u8),
        ("vais_fwrite", vais_fwrite as *const u8),
        ("vais_fgetc", vais_fgetc as *const u8),
        ("vais_fputc", vais_fputc as *const u8),
        ("vais_fgets", vais_fgets as *const u8),
        ("vais_fputs", vais_fputs as *const u8),
        ("vais_fseek", vais_fseek as *const u8),
        ("vais_ftell", vais_ftell as *const u8),
        ("vais_fflush", vais_fflush as *const u8),
        ("vais_feof", vais_feof as *const u8),
        ("vais_str_eq", vais_str_eq as *const u8),
        ("vais_argc", args::vais_argc as *const u8),
        ("vais_argv", args::vais_argv as *const u8),
        ("vais_getchar", args::vais_getchar as *const u8),
        ("vais_stdin", args::vais_stdin as *const u8),
        ("vais_stdout", args::vais_stdout as *const u8),
        ("vais_stderr", args::vais_stderr as *const u8),
        ("vais_rt_trap", vais_rt_trap as *const u8),
        ("vais_std_raise", stdlib::vais_std_raise as *const u8),
        ("vais_std_addr", stdlib::vais_std_addr as *const u8),
        ("vais_std_fmt_f64", stdlib::vais_std_fmt_f64 as *const u8),
        ("vais_std_parse_f64", stdlib::vais_std_parse_f64 as *const u8),
        ("vais_interrupt_flag", VAIS_INTERRUPT_FLAG.as_ptr() as *const u8),
        ("vais_stack_limit", VAIS_STACK_LIMIT.as_ptr() as *const u8),
        ("vais$fmod", helpers::vais_fmod as *const u8),
        ("vais$fmodf", helpers::vais_fmodf as *const u8),
        ("vais$memeq", helpers::vais_memeq as *const u8),
        ("vais$i128op", helpers::vais_i128op as *const u8),
        ("vais$i128cvt", helpers::vais_i128cvt as *const u8),
    ];
    if let Some(a) = mathrt::set_edom_addr() {
        v.push(("vais_rt_set_edom", a));
    }
    v
}

/// Serialises tests that redirect file descriptor 1.
#[cfg(test)]
pub(crate) fn test_lock() -> std::sync::MutexGuard<'static, ()> {
    static L: std::sync::Mutex<()> = std::sync::Mutex::new(());
    L.lock().unwrap_or_else(|e| e.into_inner())
}
