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

/// Runtime symbols that `X F` declarations may name besides libc and libm (the standard
/// library's hooks).
pub const STD_SYMBOLS: &[&str] = &["vais_std_raise", "vais_std_addr"];

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
pub extern "C" fn vais_std_raise(kind: i64, what: *const u8, a: i64, b: i64) -> ! {
    core::arch::naked_asm!("mov r8, rbp", "mov r9, [rsp]", "jmp {target}", target = sym raise_body)
}

/// `vais_std_raise` where a naked entry is not written: no backtrace.
#[cfg(not(target_arch = "x86_64"))]
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
pub extern "C" fn vais_std_addr(_tag: i64, addr: i64) -> i64 {
    addr
}

#[cfg(test)]
mod tests {
    #[test]
    fn messages() {
        assert_eq!(super::raise_message(1, "Vec.get", 7, 3), "index 7 out of bounds for length 3 in Vec.get");
        assert_eq!(super::raise_message(0, "unwrap on None", 0, 0), "unwrap on None");
        assert_eq!(super::raise_message(2, "negative capacity in Vec.with_capacity", -1, 0), "negative capacity in Vec.with_capacity: -1");
        assert_eq!(super::vais_std_addr(0, 1234), 1234);
    }
}
