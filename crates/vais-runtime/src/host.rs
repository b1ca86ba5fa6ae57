//! Host-process symbols for `X F` extern declarations (Project decision 4): makes libc and libm
//! visible to symbol lookup and answers whether a name resolves, so a missing symbol is reported
//! as an error before code generation rather than failing inside the JIT's linker.

use std::ffi::CString;
use std::sync::Once;

static LOAD: Once = Once::new();

/// Loads libm into the global symbol namespace (libc is always there). Idempotent.
pub fn load_host_libraries() {
    LOAD.call_once(|| {
        for lib in ["libm.so.6", "libm.so"] {
            let name = CString::new(lib).expect("no NUL in a library name");
            // SAFETY: dlopen with a valid C string; the handle is intentionally kept open for
            // the life of the process so its symbols stay resolvable.
            let handle = unsafe { libc::dlopen(name.as_ptr(), libc::RTLD_NOW | libc::RTLD_GLOBAL) };
            if !handle.is_null() {
                break;
            }
        }
    });
}

/// Address of a C symbol in the host process (after loading libm), if it exists; the standard
/// library's runtime hooks (`crate::stdlib`) resolve too.
pub fn resolve(name: &str) -> Option<*const u8> {
    if crate::stdlib::STD_SYMBOLS.contains(&name) {
        return crate::symbols().into_iter().find(|(n, _)| *n == name).map(|(_, a)| a);
    }
    load_host_libraries();
    let name = CString::new(name).ok()?;
    // SAFETY: dlsym on the default namespace with a valid C string only reads the symbol tables.
    let addr = unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) };
    (!addr.is_null()).then_some(addr as *const u8)
}

#[cfg(test)]
mod tests {
    #[test]
    fn libc_and_libm_symbols_resolve_and_others_do_not() {
        assert!(super::resolve("strlen").is_some());
        assert!(super::resolve("sqrt").is_some());
        assert!(super::resolve("cbrt").is_some());
        assert!(super::resolve("surely_not_a_symbol_xyz").is_none());
        assert!(super::resolve("vais_std_raise").is_some());
        assert!(super::resolve("bad\0name").is_none());
    }
}
