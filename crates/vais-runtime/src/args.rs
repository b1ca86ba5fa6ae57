//! Program arguments, standard input and the standard streams (Extensions decision 17):
//! `argc()`, `argv(i)`, `getchar()`, `stdin()`, `stdout()`, `stderr()`, and the host's
//! [`set_args`].
//!
//! Standard input is read through C stdio's `stdin` (as `fgetc(stdin())` is), so the two can
//! be mixed; the REPL reads its own piped input through the same stream, so a program run in
//! the REPL reads the input that follows the current one. `stdout()` is the one output stream
//! every built-in writes to.

use std::ffi::CString;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;

extern "C" {
    /// glibc's standard streams.
    static mut stdin: *mut libc::FILE;
    static mut stdout: *mut libc::FILE;
    static mut stderr: *mut libc::FILE;
}

/// The program's arguments (`argv(0)` first), NUL-terminated; leaked so the `str`s handed out
/// stay valid for the rest of the process.
static ARGS: Mutex<Vec<&'static CString>> = Mutex::new(Vec::new());

/// The index and `argc()` of the last out-of-range `argv` (for the fault message).
pub(crate) static ARGV_INDEX: AtomicI64 = AtomicI64::new(0);
pub(crate) static ARGV_COUNT: AtomicI64 = AtomicI64::new(0);

/// `vais_rt_trap` kind of `argv(i)` out of range.
pub(crate) const TRAP_ARGV: i32 = crate::faults::TrapKind::ArgvOutOfRange as i32;

/// Sets what `argc()`/`argv(i)` return: the program path, then its arguments. A byte 0 inside
/// an argument ends it (C's rule).
pub fn set_args<S: AsRef<[u8]>>(args: &[S]) {
    let v = args
        .iter()
        .map(|a| {
            let b = a.as_ref();
            let b = &b[..b.iter().position(|&c| c == 0).unwrap_or(b.len())];
            &*Box::leak(Box::new(CString::new(b).unwrap_or_default()))
        })
        .collect();
    *ARGS.lock().unwrap_or_else(|e| e.into_inner()) = v;
}

/// `argc()`.
#[no_mangle]
pub extern "C" fn vais_argc() -> i64 {
    crate::faults::guard("argc", || ARGS.lock().unwrap_or_else(|e| e.into_inner()).len() as i64)
}

/// `argv(i)`; out of range is a runtime error at `site`.
#[no_mangle]
pub extern "C" fn vais_argv(i: i64, site: i64) -> *const u8 {
    let r = crate::faults::guard("argv", || {
        let args = ARGS.lock().unwrap_or_else(|e| e.into_inner());
        match usize::try_from(i).ok().and_then(|i| args.get(i)) {
            Some(a) => Ok(a.as_ptr() as *const u8),
            None => Err(args.len() as i64),
        }
    });
    match r {
        Ok(p) => p,
        Err(n) => {
            ARGV_INDEX.store(i, Ordering::SeqCst);
            ARGV_COUNT.store(n, Ordering::SeqCst);
            crate::faults::vais_rt_trap(TRAP_ARGV, site)
        }
    }
}

/// `getchar()`: the next byte of standard input (0..=255), or -1 at end (or on an error, an
/// interrupted read included). Pending output is flushed first, so a prompt without a newline
/// shows before the program waits.
#[no_mangle]
pub extern "C" fn vais_getchar() -> i64 {
    crate::faults::guard("getchar", || {
        crate::io::flush_output();
        let f = vais_stdin() as usize as *mut libc::FILE;
        // SAFETY: reading C's standard input stream.
        let c = unsafe { libc::fgetc(f) };
        if c < 0 {
            // SAFETY: as above; an interrupted read must not stick (the REPL reads on).
            unsafe {
                if libc::ferror(f) != 0 {
                    libc::clearerr(f);
                }
            }
            return -1;
        }
        c as i64
    })
}

/// `stdin()`: C's standard input `FILE*`.
#[no_mangle]
pub extern "C" fn vais_stdin() -> i64 {
    // SAFETY: the C runtime initialises the stream pointers before `main`; we only read them.
    unsafe { std::ptr::addr_of!(stdin).read() as i64 }
}

/// `stdout()`: C's standard output `FILE*`, the stream every built-in writes to.
#[no_mangle]
pub extern "C" fn vais_stdout() -> i64 {
    // SAFETY: as for `vais_stdin`.
    unsafe { std::ptr::addr_of!(stdout).read() as i64 }
}

/// `stderr()`: C's standard error `FILE*` (unbuffered). Output pending on `stdout()` is flushed
/// first, so text written to both streams of one terminal keeps its order.
#[no_mangle]
pub extern "C" fn vais_stderr() -> i64 {
    crate::io::flush_output();
    // SAFETY: as for `vais_stdin`.
    unsafe { std::ptr::addr_of!(stderr).read() as i64 }
}

/// Reads one line (without its `\n`, `\r\n`) from C's standard input, for the REPL's piped
/// input (so a program's `getchar()` reads what follows the current input). `None` at end.
pub fn read_stdin_line() -> Option<Vec<u8>> {
    let f = vais_stdin() as usize as *mut libc::FILE;
    let mut line = Vec::new();
    loop {
        // SAFETY: reading C's standard input stream.
        let c = unsafe { libc::fgetc(f) };
        if c < 0 {
            // SAFETY: as above.
            let err = unsafe { libc::ferror(f) } != 0;
            if err && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                // SAFETY: as above.
                unsafe { libc::clearerr(f) };
                continue;
            }
            return if line.is_empty() { None } else { Some(line) };
        }
        if c == b'\n' as i32 {
            break;
        }
        line.push(c as u8);
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Some(line)
}
