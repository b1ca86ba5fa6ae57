//! Registers the call-frame information of JIT code with the process's unwinder, so that
//! unwinders that read `.eh_frame` data (libgcc's `_Unwind_Backtrace`, which Rust panics and
//! `std::backtrace` use, and C++ exceptions) walk through JIT frames into the host's frames
//! instead of stopping at the first JIT frame.
//!
//! The section comes from `vais_debug::eh_frame` (Cranelift's frame descriptions at the code's
//! absolute addresses). On glibc the unwinder is libgcc's: `__register_frame(begin)` takes a
//! whole `.eh_frame` section and walks its entries up to the zero terminator, and
//! `__deregister_frame(begin)` with the same pointer takes it back. (LLVM's libunwind, used on
//! macOS, takes one entry per call instead; vaisc runs on Linux with glibc only.)

extern "C" {
    fn __register_frame(begin: *const u8);
    fn __deregister_frame(begin: *const u8);
}

/// A registered `.eh_frame` section; dropping it deregisters the section (do that before the
/// code it describes is freed).
pub struct FrameRegistration {
    /// The bytes libgcc reads from (it keeps a pointer to them): kept alive and unmoved.
    section: Box<[u8]>,
}

impl FrameRegistration {
    /// Registers `section`, an `.eh_frame` section ending with a zero terminator entry whose
    /// descriptions cover live JIT code. `None` for a section with no entry.
    pub fn new(section: Vec<u8>) -> Option<FrameRegistration> {
        // libgcc's `__register_frame` ignores a section whose first word is 0 and keeps
        // nothing; deregistering it later would abort. So nothing is registered for it.
        if section.len() < 8 || section[..4] == [0; 4] || section[section.len() - 4..] != [0; 4] {
            return None;
        }
        let section = section.into_boxed_slice();
        // SAFETY: `section` is a well-formed `.eh_frame` section (CIE and FDEs written by gimli,
        // terminated), and it stays allocated and unmoved until `drop` deregisters it.
        unsafe { __register_frame(section.as_ptr()) };
        Some(FrameRegistration { section })
    }
}

impl Drop for FrameRegistration {
    fn drop(&mut self) {
        // SAFETY: the same pointer was registered by `new` and is deregistered only here, once.
        unsafe { __deregister_frame(self.section.as_ptr()) };
    }
}

// SAFETY: libgcc's registry has its own lock; the section is immutable.
unsafe impl Send for FrameRegistration {}
