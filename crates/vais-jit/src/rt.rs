//! Glue between generated code and the runtime: the symbol list the JIT registers. (The
//! helpers `vais$fmod`, `vais$memeq`, ... live in `vais_runtime::helpers`, so that built
//! executables link the same copy; placed code is registered with the runtime by the linker's
//! observer, `link.rs`.)

/// The runtime's symbols (`vais_puts`, `vais_rt_trap`, `vais$fmod`, ...).
pub fn runtime_symbols() -> Vec<(&'static str, *const u8)> {
    vais_runtime::symbols()
}

/// The symbols the JIT itself provides to generated code (the REPL's tier-up request).
pub fn jit_symbols() -> Vec<(&'static str, *const u8)> {
    vec![("vais_rt_hot", crate::tierup::vais_rt_hot as *const u8)]
}
