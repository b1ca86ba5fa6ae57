//! Runtime support for the standard library written in Vais (`std/`, EXTENSIONS.md decision
//! 18). The library declares these as `X F` externs; they resolve to this crate (see
//! [`STD_SYMBOLS`] and `host::resolve`), not to libc:
//!
//! * `vais_std_raise(kind, what, a, b)`: raises a runtime error with a message (kind 0: `what`
//!   itself; kind 1: `index A out of bounds for length B in WHAT`; kind 2: `WHAT: A`), reported
//!   like every runtime error (backtrace of Vais frames, exit status 101, the REPL session goes
//!   on). It never returns.
//! * `vais_std_addr(tag, ...)`: returns its second argument. Declared variadic by the library,
//!   it turns any pointer or reference (`*T`, `&T`) into its address as an `i64`; `std` uses it
//!   to measure element sizes and to type raw heap memory.
//! * `vais_std_fmt_f64(buf, cap, x)`: writes `x` as `printf("%f")` does into `buf` (at most
//!   `cap` bytes with the NUL); returns the length of the whole text.
//! * `vais_std_parse_f64(addr, out)`: parses the NUL-terminated text at `addr` (surrounding
//!   blanks allowed) as a float; on success stores it at `out` and returns 1, else 0.

/// Runtime symbols that `X F` declarations may name besides libc and libm (the standard
/// library's hooks).
pub const STD_SYMBOLS: &[&str] = &["vais_std_raise", "vais_std_addr", "vais_std_fmt_f64", "vais_std_parse_f64"];

/// The message of a `vais_std_raise` call.
fn raise_message(kind: i64, what: &str, a: i64, b: i64) -> String {
    match kind {
        1 => format!("index {a} out of bounds for length {b} in {what}"),
        2 => format!("{what}: {a}"),
        _ => what.to_string(),
    }
}

/// See the module documentation. Passes the caller's frame pointer and return address on to
/// [`raise_body`] (fifth and sixth arguments), so the report starts at the Vais call.
#[cfg(target_arch = "x86_64")]
#[unsafe(naked)]
#[no_mangle]
pub extern "C" fn vais_std_raise(kind: i64, what: *const u8, a: i64, b: i64) -> ! {
    core::arch::naked_asm!("mov r8, rbp", "mov r9, [rsp]", "jmp {target}", target = sym raise_body)
}

/// `vais_std_raise` where a naked entry is not written: no backtrace.
#[cfg(not(target_arch = "x86_64"))]
#[no_mangle]
pub extern "C" fn vais_std_raise(kind: i64, what: *const u8, a: i64, b: i64) -> ! {
    raise_body(kind, what, a, b, 0, 0)
}

extern "C" fn raise_body(kind: i64, what: *const u8, a: i64, b: i64, fp: usize, ret: usize) -> ! {
    let what = if what.is_null() {
        String::new()
    } else {
        // SAFETY: the library passes a `str`: a NUL-terminated string that stays alive.
        unsafe { std::ffi::CStr::from_ptr(what as *const libc::c_char) }.to_string_lossy().into_owned()
    };
    crate::faults::raise_from(raise_message(kind, &what, a, b), fp, ret)
}

/// See the module documentation (called with C's variadic convention; the integer-class
/// arguments are in the same registers either way).
#[no_mangle]
pub extern "C" fn vais_std_addr(_tag: i64, addr: i64) -> i64 {
    addr
}

/// See the module documentation.
#[no_mangle]
pub extern "C" fn vais_std_fmt_f64(buf: i64, cap: i64, x: f64) -> i64 {
    crate::faults::guard("String.from_f64", || {
        let text = crate::printf::format_printf(b"%f", &[(crate::printf::KIND_F64, x.to_bits())]);
        if cap > 0 && buf != 0 {
            let n = text.len().min(cap as usize - 1);
            // SAFETY: the library passes `cap` writable bytes at `buf`.
            unsafe {
                std::ptr::copy_nonoverlapping(text.as_ptr(), buf as usize as *mut u8, n);
                *((buf as usize + n) as *mut u8) = 0;
            }
        }
        text.len() as i64
    })
}

/// See the module documentation.
#[no_mangle]
pub extern "C" fn vais_std_parse_f64(addr: i64, out: i64) -> i64 {
    crate::faults::guard("parse_f64", || {
        if addr == 0 || out == 0 {
            return 0;
        }
        // SAFETY: the library passes NUL-terminated text.
        let text = unsafe { std::ffi::CStr::from_ptr(addr as usize as *const libc::c_char) }.to_string_lossy();
        match text.trim().parse::<f64>() {
            Ok(v) => {
                // SAFETY: the library passes room for one f64 at `out`.
                unsafe { (out as usize as *mut f64).write_unaligned(v) };
                1
            }
            Err(_) => 0,
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn messages() {
        assert_eq!(super::raise_message(1, "Vec.get", 7, 3), "index 7 out of bounds for length 3 in Vec.get");
        assert_eq!(super::raise_message(0, "unwrap on None", 0, 0), "unwrap on None");
        assert_eq!(super::raise_message(2, "negative capacity in Vec.with_capacity", -1, 0), "negative capacity in Vec.with_capacity: -1");
        assert_eq!(super::vais_std_addr(0, 1234), 1234);
        let mut buf = [0u8; 8];
        assert_eq!(super::vais_std_fmt_f64(buf.as_mut_ptr() as i64, 8, 2.5), 8);
        assert_eq!(&buf, b"2.50000\0");
        let mut v = 0.0f64;
        assert_eq!(super::vais_std_parse_f64(c" 1.25\n".as_ptr() as i64, &mut v as *mut f64 as i64), 1);
        assert_eq!(v, 1.25);
        assert_eq!(super::vais_std_parse_f64(c"x".as_ptr() as i64, &mut v as *mut f64 as i64), 0);
    }
}
