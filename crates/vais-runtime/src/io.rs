//! The built-in functions that JIT-compiled Vais code calls (`puts`, `printf`, `malloc`,
//! the `f*` file functions, ...), as `extern "C"` functions.
//!
//! All output goes through ONE stream: C stdio's `stdout` `FILE*`. That way output of a user
//! `X F printf(...)` extern call (libc's own printf) interleaves correctly with the built-ins,
//! and [`write_output`] (the REPL's `=> value` lines) is ordered exactly with program output.
//!
//! Strings are measured in Rust before stdio is entered, so a bad string address faults
//! *outside* stdio (no stdio lock is held when the fault handler longjmps away).
//!
//! Null `FILE*` arguments (a failed `fopen`) return an error value instead of crashing:
//! `fclose`/`fgetc`/`fputc`/`fputs`/`fseek`/`ftell` give -1, `fread`/`fwrite`/`fgets` give 0,
//! `feof` gives 1 (so a `L !feof(f)` loop ends). `fflush(0)` flushes every stream, as in C.

// The built-ins take raw pointers from JIT code but keep safe `extern "C"` signatures (the
// interface the JIT registers); the pointers are trusted the way C trusts its arguments.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

use crate::printf::{format_printf, format_printf_to};
use std::ffi::c_char;
use std::sync::atomic::{AtomicBool, Ordering};

extern "C" {
    /// glibc's `stdout` stream.
    static mut stdout: *mut libc::FILE;
}

/// The C `stdout` stream.
fn out() -> *mut libc::FILE {
    // SAFETY: `stdout` is initialised by the C runtime before `main` and never reassigned by us;
    // we only read the pointer value.
    unsafe { std::ptr::addr_of!(stdout).read() }
}

/// Length of the NUL-terminated string at `p` (0 for a null pointer).
fn c_len(p: *const u8) -> usize {
    if p.is_null() {
        return 0;
    }
    // SAFETY: the caller passed the address of a NUL-terminated string (a Vais `str` or an
    // address the program built); a bad address faults and is contained by `run_protected`.
    unsafe { libc::strlen(p as *const c_char) }
}

/// Whether the last byte written through [`put_bytes`] (every built-in that writes to stdout,
/// and [`write_output`]) was not a newline: the output's last line is still open.
static LINE_OPEN: AtomicBool = AtomicBool::new(false);

/// Capture mode (see [`capture_output`]): whether the built-ins write into [`CAPTURED`] instead
/// of C stdout. One relaxed load per write when off.
static CAPTURING: AtomicBool = AtomicBool::new(false);
static CAPTURED: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());
/// [`LINE_OPEN`] of the real output, kept while capturing.
static LINE_OPEN_OUTSIDE: AtomicBool = AtomicBool::new(false);

/// Capture mode, for an embedder of the REPL engine (a notebook kernel, a language server)
/// that wants program output as data: `capture_output(true)` sends everything the built-ins
/// (and [`write_output`]) write to stdout into a buffer instead of C stdout;
/// `capture_output(false)` ends the capture and returns the bytes written since it began
/// (`capture_output(true)` while capturing returns them too and starts a fresh buffer).
/// Output that goes around the runtime (a C function called through `X F` that writes to
/// `stdout` or file descriptor 1 itself) is not captured. The open-line state
/// ([`line_open`], [`end_line`]) follows the captured text while capturing and is restored
/// to that of the real output afterwards.
pub fn capture_output(on: bool) -> Vec<u8> {
    let mut buf = CAPTURED.lock().unwrap_or_else(|e| e.into_inner());
    let was = CAPTURING.swap(on, Ordering::SeqCst);
    match (was, on) {
        (false, true) => {
            LINE_OPEN_OUTSIDE.store(LINE_OPEN.swap(false, Ordering::Relaxed), Ordering::Relaxed);
        }
        (true, false) => LINE_OPEN.store(LINE_OPEN_OUTSIDE.load(Ordering::Relaxed), Ordering::Relaxed),
        _ => {}
    }
    std::mem::take(&mut *buf)
}

/// Writes `bytes` to C stdout (or the capture buffer); returns the number written.
fn put_bytes(bytes: &[u8]) -> usize {
    if bytes.is_empty() {
        return 0;
    }
    crate::faults::check_stack();
    if CAPTURING.load(Ordering::Relaxed) {
        let mut buf = CAPTURED.lock().unwrap_or_else(|e| e.into_inner());
        // (Checked again under the lock: the capture may have ended meanwhile.)
        if CAPTURING.load(Ordering::Relaxed) {
            buf.extend_from_slice(bytes);
            LINE_OPEN.store(bytes[bytes.len() - 1] != b'\n', Ordering::Relaxed);
            return bytes.len();
        }
    }
    // SAFETY: `bytes` is a valid slice; `out()` is the process's stdout stream.
    let n = unsafe { libc::fwrite(bytes.as_ptr() as *const libc::c_void, 1, bytes.len(), out()) };
    if n > 0 {
        LINE_OPEN.store(bytes[n.min(bytes.len()) - 1] != b'\n', Ordering::Relaxed);
    }
    n
}

/// Whether the output's last line is open (see [`end_line`]).
pub fn line_open() -> bool {
    LINE_OPEN.load(Ordering::Relaxed)
}

/// Ends the line the program's output left open (it wrote text without a final newline through
/// the built-ins), so that what the host writes next starts a line of its own: writes a newline
/// and returns true, or returns false when the output is at the start of a line. Output written
/// around the runtime (a C function writing to file descriptor 1 itself) is not seen.
pub fn end_line() -> bool {
    if !line_open() {
        return false;
    }
    put_bytes(b"\n");
    true
}

/// Writes `bytes` to the program's output stream (C stdout) and flushes it. The REPL uses this
/// for its `=> value` lines so they are ordered exactly after the program's own output.
pub fn write_output(bytes: &[u8]) {
    put_bytes(bytes);
    flush_output();
}

/// Flushes C stdout (`fflush(stdout)`).
pub fn flush_output() {
    // SAFETY: flushing the process's stdout stream.
    unsafe {
        libc::fflush(out());
    }
}

/// Clears C stdout's error flag (after a write cut short by Ctrl-C).
pub(crate) fn clear_output_error() {
    // SAFETY: clearerr on the process's stdout stream.
    unsafe { libc::clearerr(out()) }
}

/// `puts(s)`: writes the string and a newline.
#[no_mangle]
pub extern "C" fn vais_puts(s: *const u8) -> i32 {
    crate::faults::guard("puts", || {
        let n = c_len(s);
        let mut buf = Vec::with_capacity(n + 1);
        if n > 0 {
            // SAFETY: `c_len` just read `n` bytes at `s`.
            buf.extend_from_slice(unsafe { std::slice::from_raw_parts(s, n) });
        }
        buf.push(b'\n');
        put_bytes(&buf).min(i32::MAX as usize) as i32
    })
}

/// `puts_ptr(addr)`: `puts` for an address.
#[no_mangle]
pub extern "C" fn vais_puts_ptr(addr: i64) -> i32 {
    crate::faults::guard("puts_ptr", || {
        vais_puts(addr as usize as *const u8)
    })
}

/// `putchar(c)`: writes the byte `c mod 256`, returns it (0..=255).
#[no_mangle]
pub extern "C" fn vais_putchar(c: i32) -> i32 {
    crate::faults::guard("putchar", || {
        let b = (c as u32 & 0xff) as u8;
        put_bytes(&[b]);
        b as i32
    })
}

/// `print_i64(n)`: `printf("%ld", n)`, no newline. Returns the bytes written.
#[no_mangle]
pub extern "C" fn vais_print_i64(n: i64) -> i32 {
    crate::faults::guard("print_i64", || {
        put_bytes(n.to_string().as_bytes()) as i32
    })
}

/// `print_f64(x)`: `printf("%f", x)`, no newline. Returns the bytes written.
#[no_mangle]
pub extern "C" fn vais_print_f64(x: f64) -> i32 {
    crate::faults::guard("print_f64", || {
        let text = format_printf(b"%f", &[(crate::printf::KIND_F64, x.to_bits())]);
        put_bytes(&text).min(i32::MAX as usize) as i32
    })
}

/// `printf(fmt, args...)`: `args` are `nargs` 8-byte slots, `kinds[i]` says how to read slot
/// `i` (0 signed, 1 unsigned, 2 `f64` bits, 3 address). Returns the bytes written.
#[no_mangle]
pub extern "C" fn vais_printf(fmt: *const u8, args: *const u64, kinds: *const u8, nargs: i64) -> i32 {
    crate::faults::guard("printf", || {
        let n = c_len(fmt);
        let fmt_bytes: &[u8] = if n == 0 {
            &[]
        } else {
            // SAFETY: `c_len` just read `n` bytes at `fmt`.
            unsafe { std::slice::from_raw_parts(fmt, n) }
        };
        let count = if args.is_null() || kinds.is_null() { 0 } else { nargs.clamp(0, 1 << 16) as usize };
        let mut list = Vec::with_capacity(count);
        for i in 0..count {
            // SAFETY: the JIT passes `nargs` valid slots and kinds.
            let (k, v) = unsafe { (*kinds.add(i), *args.add(i)) };
            list.push((k, v));
        }
        // Streamed in chunks: a width of a billion writes a billion spaces, as C does, without
        // building them in memory first.
        match format_printf_to(fmt_bytes, &list, &mut |chunk: &[u8]| {
            put_bytes(chunk);
        }) {
            Ok(n) if n <= i32::MAX as u64 => n as i32,
            // C: more than INT_MAX bytes, or a width/precision above INT_MAX, is EOVERFLOW.
            _ => -1,
        }
    })
}

/// `exit(code)`: flushes output and ends the process with status `code mod 256`; inside a
/// protected call, by ending that call first ([`crate::FaultKind::Exited`]), so that `vaisc run`
/// still prints what it reports after a run (`--profile`, `--time`) and a REPL saves its history.
#[no_mangle]
pub extern "C" fn vais_exit(code: i32) -> ! {
    flush_output();
    crate::faults::exit_protected(code);
    std::process::exit(code & 0xff)
}

/// `malloc(n)`: C `malloc`; 0 on failure or for a negative size.
#[no_mangle]
pub extern "C" fn vais_malloc(n: i64) -> i64 {
    crate::faults::guard("malloc", || {
        if n < 0 {
            return 0;
        }
        // Small blocks come from this thread's cache of freed ones (`alloc`), else C.
        crate::alloc::malloc(n as usize) as i64
    })
}

/// `free(p)`: C `free`.
#[no_mangle]
pub extern "C" fn vais_free(p: i64) {
    crate::faults::guard("free", || {
        // SAFETY: the program passes a pointer it got from `malloc` (or 0); anything else is
        // undefined behaviour in Vais, as in C.
        // Small blocks go to this thread's cache (`alloc`), others back to C.
        unsafe { crate::alloc::free(p as usize as *mut libc::c_void) }
    })
}

/// `memcpy(d, s, n)`: copies `n` bytes, returns `d`.
#[no_mangle]
pub extern "C" fn vais_memcpy(d: i64, s: i64, n: i64) -> i64 {
    crate::faults::guard("memcpy", || {
        if n > 0 {
            // SAFETY: the program guarantees both ranges are valid; a bad address faults and is
            // contained by `run_protected` (memcpy holds no locks).
            unsafe {
                libc::memcpy(d as usize as *mut libc::c_void, s as usize as *const libc::c_void, n as usize);
            }
        }
        d
    })
}

/// `strlen(p)`: bytes before the first NUL (0 for a null address).
#[no_mangle]
pub extern "C" fn vais_strlen(p: i64) -> i64 {
    crate::faults::guard("strlen", || {
        c_len(p as usize as *const u8) as i64
    })
}

fn file(f: i64) -> *mut libc::FILE {
    f as usize as *mut libc::FILE
}

/// `fopen(path, mode)`: the `FILE*` as an integer, 0 on failure.
#[no_mangle]
pub extern "C" fn vais_fopen(path: *const u8, mode: *const u8) -> i64 {
    crate::faults::guard("fopen", || {
        if path.is_null() || mode.is_null() {
            return 0;
        }
        c_len(path);
        c_len(mode);
        // SAFETY: both are NUL-terminated strings (just measured).
        unsafe { libc::fopen(path as *const c_char, mode as *const c_char) as i64 }
    })
}

/// `fclose(f)`.
#[no_mangle]
pub extern "C" fn vais_fclose(f: i64) -> i32 {
    crate::faults::guard("fclose", || {
        if f == 0 {
            return -1;
        }
        // SAFETY: `f` is a FILE* from `fopen`.
        unsafe { libc::fclose(file(f)) }
    })
}

/// `fread(buf, size, count, f)`.
#[no_mangle]
pub extern "C" fn vais_fread(buf: i64, size: i64, count: i64, f: i64) -> i64 {
    crate::faults::guard("fread", || {
        if f == 0 || size <= 0 || count <= 0 {
            return 0;
        }
        // SAFETY: `f` is a FILE* from `fopen`, `buf` has room for `size * count` bytes.
        unsafe { libc::fread(buf as usize as *mut libc::c_void, size as usize, count as usize, file(f)) as i64 }
    })
}

/// `fwrite(buf, size, count, f)`.
#[no_mangle]
pub extern "C" fn vais_fwrite(buf: i64, size: i64, count: i64, f: i64) -> i64 {
    crate::faults::guard("fwrite", || {
        if f == 0 || size <= 0 || count <= 0 {
            return 0;
        }
        if file(f) == out() {
            // `stdout()`: through the one output path (it tracks the open line).
            let n = (size as usize).saturating_mul(count as usize);
            // SAFETY: `buf` holds `size * count` bytes.
            let bytes = unsafe { std::slice::from_raw_parts(buf as usize as *const u8, n) };
            return (put_bytes(bytes) / size as usize) as i64;
        }
        // SAFETY: `f` is a FILE* from `fopen`, `buf` holds `size * count` bytes.
        unsafe { libc::fwrite(buf as usize as *const libc::c_void, size as usize, count as usize, file(f)) as i64 }
    })
}

/// `fgetc(f)`: next byte 0..=255, or -1 at end of file or on error.
#[no_mangle]
pub extern "C" fn vais_fgetc(f: i64) -> i64 {
    crate::faults::guard("fgetc", || {
        if f == 0 {
            return -1;
        }
        // SAFETY: `f` is a FILE* from `fopen`.
        unsafe { libc::fgetc(file(f)) as i64 }
    })
}

/// `fputc(c, f)`.
#[no_mangle]
pub extern "C" fn vais_fputc(c: i64, f: i64) -> i64 {
    crate::faults::guard("fputc", || {
        if f == 0 {
            return -1;
        }
        if file(f) == out() {
            return if put_bytes(&[(c & 0xff) as u8]) == 1 { c & 0xff } else { -1 };
        }
        // SAFETY: `f` is a FILE* from `fopen`.
        unsafe { libc::fputc((c & 0xff) as i32, file(f)) as i64 }
    })
}

/// `fgets(buf, n, f)`: `buf`, or 0 at end of file / on error.
#[no_mangle]
pub extern "C" fn vais_fgets(buf: i64, n: i64, f: i64) -> i64 {
    crate::faults::guard("fgets", || {
        if f == 0 || n <= 0 || buf == 0 {
            return 0;
        }
        let n = n.min(i32::MAX as i64) as i32;
        // SAFETY: `f` is a FILE* from `fopen` and `buf` has room for `n` bytes.
        unsafe { libc::fgets(buf as usize as *mut c_char, n, file(f)) as i64 }
    })
}

/// `fputs(s, f)`: writes the string (no newline).
#[no_mangle]
pub extern "C" fn vais_fputs(s: *const u8, f: i64) -> i64 {
    crate::faults::guard("fputs", || {
        if f == 0 {
            return -1;
        }
        let n = c_len(s);
        if n == 0 {
            return 0;
        }
        let w = if file(f) == out() {
            // SAFETY: `s` has `n` readable bytes (just measured).
            put_bytes(unsafe { std::slice::from_raw_parts(s, n) })
        } else {
            // SAFETY: `s` has `n` readable bytes (just measured); `f` is a FILE* from `fopen`.
            unsafe { libc::fwrite(s as *const libc::c_void, 1, n, file(f)) }
        };
        if w == n {
            w as i64
        } else {
            -1
        }
    })
}

/// `fseek(f, off, origin)`: origin 0 start, 1 current, 2 end.
#[no_mangle]
pub extern "C" fn vais_fseek(f: i64, off: i64, origin: i64) -> i64 {
    crate::faults::guard("fseek", || {
        if f == 0 {
            return -1;
        }
        // SAFETY: `f` is a FILE* from `fopen`.
        unsafe { libc::fseek(file(f), off as libc::c_long, origin as i32) as i64 }
    })
}

/// `ftell(f)`.
#[no_mangle]
pub extern "C" fn vais_ftell(f: i64) -> i64 {
    crate::faults::guard("ftell", || {
        if f == 0 {
            return -1;
        }
        // SAFETY: `f` is a FILE* from `fopen`.
        unsafe { libc::ftell(file(f)) as i64 }
    })
}

/// `fflush(f)`; `fflush(0)` flushes every stream.
#[no_mangle]
pub extern "C" fn vais_fflush(f: i64) -> i64 {
    crate::faults::guard("fflush", || {
        // SAFETY: `f` is a FILE* from `fopen` or null (flush all).
        unsafe { libc::fflush(file(f)) as i64 }
    })
}

/// `feof(f)`: non-zero once end of file has been seen (1 for a null `FILE*`).
#[no_mangle]
pub extern "C" fn vais_feof(f: i64) -> i64 {
    crate::faults::guard("feof", || {
        if f == 0 {
            return 1;
        }
        // SAFETY: `f` is a FILE* from `fopen`.
        unsafe { libc::feof(file(f)) as i64 }
    })
}

/// String equality for `str` match patterns: 1 if the NUL-terminated strings are equal.
#[no_mangle]
pub extern "C" fn vais_str_eq(a: *const u8, b: *const u8) -> i8 {
    crate::faults::guard("str_eq", || {
        if a.is_null() || b.is_null() {
            return (a.is_null() && b.is_null()) as i8;
        }
        // SAFETY: both are NUL-terminated strings.
        (unsafe { libc::strcmp(a as *const c_char, b as *const c_char) } == 0) as i8
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_roundtrip() {
        let path = std::env::temp_dir().join(format!("vais_rt_io_{}.txt", std::process::id()));
        let cpath = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        let f = vais_fopen(cpath.as_ptr() as *const u8, c"w+".as_ptr() as *const u8);
        assert_ne!(f, 0);
        assert_eq!(vais_fputs(c"hi\nthere".as_ptr() as *const u8, f), 8);
        assert_eq!(vais_fputc(321, f), 65);
        assert_eq!(vais_ftell(f), 9);
        assert_eq!(vais_fseek(f, 0, 0), 0);
        assert_eq!(vais_fgetc(f), b'h' as i64);
        let buf = vais_malloc(64);
        assert_eq!(vais_fgets(buf, 64, f), buf);
        assert_eq!(vais_strlen(buf), 2); // "i\n"
        assert_eq!(vais_fread(buf, 1, 64, f), 6);
        assert_eq!(vais_fgetc(f), -1);
        assert_ne!(vais_feof(f), 0);
        assert_eq!(vais_fseek(f, 0, 2), 0);
        assert_eq!(vais_ftell(f), 9);
        assert_eq!(vais_fflush(f), 0);
        assert_eq!(vais_fclose(f), 0);
        vais_free(buf);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(vais_fopen(c"/nonexistent/x".as_ptr() as *const u8, c"r".as_ptr() as *const u8), 0);
        assert_eq!(vais_fgetc(0), -1);
        assert_eq!(vais_feof(0), 1);
    }

    #[test]
    fn memory_and_strings() {
        let a = vais_malloc(16);
        assert_ne!(a, 0);
        let src = c"hello";
        assert_eq!(vais_memcpy(a, src.as_ptr() as i64, 6), a);
        assert_eq!(vais_strlen(a), 5);
        assert_eq!(vais_str_eq(a as usize as *const u8, src.as_ptr() as *const u8), 1);
        assert_eq!(vais_str_eq(a as usize as *const u8, c"help".as_ptr() as *const u8), 0);
        assert_eq!(vais_str_eq(std::ptr::null(), std::ptr::null()), 1);
        vais_free(a);
        assert_eq!(vais_malloc(-1), 0);
        assert_eq!(vais_strlen(0), 0);
    }

    #[test]
    fn putchar_returns_byte() {
        let _g = crate::test_lock();
        assert_eq!(vais_putchar(321), 65);
        assert_eq!(vais_putchar(-1), 255);
        assert_eq!(vais_putchar(10), 10);
        flush_output();
    }

    #[test]
    fn output_to_stdout() {
        // Redirect fd 1 to a file to capture what the C stream writes.
        let _g = crate::test_lock();
        let path = std::env::temp_dir().join(format!("vais_rt_out_{}.txt", std::process::id()));
        let cap = std::fs::File::create(&path).unwrap();
        flush_output();
        // SAFETY: duplicating and restoring file descriptor 1 around the test.
        let saved = unsafe { libc::dup(1) };
        // SAFETY: `cap` is an open file.
        unsafe { libc::dup2(std::os::fd::AsRawFd::as_raw_fd(&cap), 1) };
        let mut rets = vec![vais_puts(c"ab".as_ptr() as *const u8)];
        vais_putchar(65);
        rets.push(vais_print_i64(-12));
        vais_putchar(32);
        rets.push(vais_print_f64(1.5));
        let args = [42u64, 2.5f64.to_bits(), c"s".as_ptr() as u64];
        let kinds = [0u8, 2, 3];
        rets.push(vais_printf(c"|%5d|%.2f|%s|\n".as_ptr() as *const u8, args.as_ptr(), kinds.as_ptr(), 3));
        write_output(b"=> 1\n");
        vais_puts_ptr(c"x".as_ptr() as i64);
        flush_output();
        // SAFETY: restoring the saved descriptor.
        unsafe {
            libc::dup2(saved, 1);
            libc::close(saved);
        }
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(rets, [3, 3, 8, 15]);
        assert_eq!(text, "ab\nA-12 1.500000|   42|2.50|s|\n=> 1\nx\n");
    }
}
