//! The start-up code of executables built by `vaisc build`, linked into them as a static library
//! (`libvais_start.a`, which also carries the whole runtime).
//!
//! It defines the C `main`: it registers the program's code tables (the object defines
//! `__vais_info`/`__vais_info_len`, a [`vais_runtime::program_info::ProgramInfo`], and
//! `__vais_code`, the relocated address of each function in that table's order), installs the
//! same signal handlers as `vaisc run`, runs the program's entry `__vais_main` protected with
//! the stack `vaisc run` gives (on the main thread, its stack limit raised, so the process stays
//! single-threaded; else on a big-stack thread), and ends exactly as `vaisc run` would: output flushed, a runtime error
//! reported with its backtrace on standard error and status 101 (130 for Ctrl-C, 134 for
//! `abort`), otherwise `main`'s value modulo 256.
//!
//! It must not know how the object was compiled; the symbols above are the whole contract.
//! (The crate is empty in its own test build, whose harness has a `main` of its own; it is
//! tested by linking programs against the library, `tests/start.rs`.)
#![cfg(not(test))]

use std::ffi::c_int;
use vais_runtime::program_info::ProgramInfo;

extern "C" {
    /// The program's entry adapter: runs `main` and writes its result to `out`.
    fn __vais_main(out: *mut u8);
    static __vais_info: u8;
    static __vais_info_len: u64;
    static __vais_code: usize;
}

/// Exit status when the executable's own tables are damaged (as for a runtime error).
const EXIT_RUNTIME_ERROR: c_int = 101;

/// The C entry point of a built executable.
///
/// # Safety
/// Called by the C runtime's start-up code with `argc` valid strings in `argv`.
#[no_mangle]
pub unsafe extern "C" fn main(argc: c_int, argv: *const *const u8) -> c_int {
    // First, before any work that a re-exec would repeat (see `main_stack_ready`).
    let on_main_thread = main_stack_ready(argv);
    vais_runtime::default_sigpipe();
    // The program's arguments (`argc()`, `argv(i)`), `argv(0)` being the executable's name.
    let args: Vec<&[u8]> = (0..argc.max(0) as usize)
        .map(|i| {
            // SAFETY: C's `main` receives `argc` valid NUL-terminated strings in `argv`.
            unsafe { std::ffi::CStr::from_ptr(*argv.add(i) as *const std::ffi::c_char) }.to_bytes()
        })
        .collect();
    vais_runtime::args::set_args(&args);
    // SAFETY: `vaisc build` defines `__vais_info` as `__vais_info_len` bytes of an encoded
    // ProgramInfo, and `__vais_code` as one address per function of that table; both are
    // read-only data of this executable, alive for the whole process.
    let (bytes, code) = unsafe {
        let bytes = std::slice::from_raw_parts(&raw const __vais_info, __vais_info_len as usize);
        (bytes, &raw const __vais_code)
    };
    let info = match ProgramInfo::decode(bytes) {
        Ok(info) => info,
        Err(e) => {
            eprintln!("error: this executable's program tables are damaged: {e}");
            return EXIT_RUNTIME_ERROR;
        }
    };
    // SAFETY: see above: `__vais_code` holds `info.funcs.len()` addresses.
    let addrs: Vec<usize> = unsafe { std::slice::from_raw_parts(code, info.funcs.len()) }.to_vec();
    info.register(&addrs);
    let body = move || {
        vais_runtime::install_interrupt_handler();
        // Room for any result `main` may return (an integer or unit: the entry adapter writes at
        // most 16 bytes).
        let mut out = [0u8; 16];
        let out_addr = out.as_mut_ptr() as usize;
        let result = vais_runtime::run_protected(move || {
            // SAFETY: `__vais_main` is the entry adapter `extern "C" fn(*mut u8)` compiled by
            // `vaisc build`; `out_addr` points to `out`, 16 bytes that outlive the call.
            unsafe { __vais_main(out_addr as *mut u8) }
        });
        match result {
            Ok(()) if info.main_status => out[0] as c_int,
            Ok(()) => 0,
            Err(fault) => {
                vais_runtime::report::print(&fault, &|file, offset| info.place(file, offset));
                c_int::from(fault.kind.exit_status())
            }
        }
    };
    // The program runs on this (the main) thread when its stack may grow to the size of
    // `vaisc run`'s big-stack thread (see `main_stack_ready`), else on such a thread.
    let status = if on_main_thread { vais_runtime::faults::run_on_this_thread(body) } else { vais_runtime::run_on_big_stack(body) };
    vais_runtime::flush_output();
    status
}

/// Whether the main thread's stack may grow to [`vais_runtime::faults::WORKER_STACK_SIZE`]
/// (the stack `vaisc run` gives programs). If the soft `RLIMIT_STACK` is lower and the hard
/// limit allows, raises it and re-executes this program (the kernel sizes the main stack's
/// room at `exec`), so that the program runs single-threaded: glibc's malloc/free are about
/// 2x faster then. Returns false (run on a big-stack thread instead) when the limit cannot be
/// raised or is unlimited (another memory layout), or the re-exec failed.
fn main_stack_ready(argv: *const *const u8) -> bool {
    let want = (vais_runtime::faults::WORKER_STACK_SIZE + (1 << 20)) as libc::rlim_t;
    // SAFETY: getrlimit/setrlimit on a local struct; execv with the argv C's `main` received
    // (NUL-terminated array of C strings), which only returns on failure.
    unsafe {
        let mut rl: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_STACK, &mut rl) != 0 || rl.rlim_cur == libc::RLIM_INFINITY {
            return false;
        }
        if rl.rlim_cur >= want {
            return true;
        }
        if rl.rlim_max != libc::RLIM_INFINITY && rl.rlim_max < want {
            return false;
        }
        let old = rl.rlim_cur;
        rl.rlim_cur = want;
        if libc::setrlimit(libc::RLIMIT_STACK, &rl) != 0 {
            return false;
        }
        libc::execv(c"/proc/self/exe".as_ptr(), argv as *const *const libc::c_char);
        // Still here: the re-exec failed; keep the limit this process started with.
        rl.rlim_cur = old;
        libc::setrlimit(libc::RLIMIT_STACK, &rl);
        false
    }
}
