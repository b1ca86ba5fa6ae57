//! The stack protected code runs on: a mapping of its own per prepared thread, apart from the
//! thread's stack, with an inaccessible region at each end:
//!
//! ```text
//!   low addresses                                                          high addresses
//!   [ bottom guard, GUARD_SIZE ][ usable, WORKER_STACK_SIZE ][ top guard, TOP_GUARD_SIZE ]
//! ```
//!
//! A Vais program may write out of range through a pointer to a local array (undefined
//! behaviour in the language, like C). On the thread's own stack such a write lands in the
//! frames of the host that called the program (the REPL session, `vaisc run`), which then
//! crashes or misbehaves after the program has returned. On this stack the frames above the
//! program's are only the few of the protected call itself, which run while faults are still
//! contained, and past them a write faults in the top guard: a runtime error, not a lost
//! session. The bottom guard is where a runaway recursion faults (a stack overflow).
//!
//! The mapping is placed below the thread's own stack where the system allows it, so that the
//! stack still grows down from the host's frames into the program's (debuggers stop a backtrace
//! that climbs to a lower address).
//!
//! It owns the mapping only; it does not know about signals or faults.

/// Inaccessible bytes below the usable stack (a stack overflow faults there).
pub(crate) const GUARD_SIZE: usize = 16 * 1024 * 1024;
/// Inaccessible bytes above the usable stack (an out-of-range write past the outermost frame
/// faults there: indices up to two million `i64` elements past a local array).
pub(crate) const TOP_GUARD_SIZE: usize = 16 * 1024 * 1024;

/// One stack mapping; unmapped when dropped.
pub(crate) struct JitStack {
    base: usize,
    len: usize,
    /// Lowest usable address.
    pub lo: usize,
    /// One past the highest usable address (16-byte aligned): the stack pointer on entry.
    pub hi: usize,
}

impl JitStack {
    /// Maps a stack of `size` usable bytes, preferably ending below `below` (the thread's own
    /// stack); `None` if the system refuses the mapping.
    pub(crate) fn map(size: usize, below: usize) -> Option<JitStack> {
        let len = GUARD_SIZE + size + TOP_GUARD_SIZE;
        // Leave 64 MiB between the two stacks for the thread stack's own guard and anything
        // the system placed there.
        let hint = below.checked_sub(len + 64 * 1024 * 1024).map_or(0, |a| a & !0xfff_usize);
        // SAFETY: a fresh anonymous private mapping at an address of the kernel's choosing (the
        // hint is only a hint without MAP_FIXED), then two mprotect calls inside it.
        unsafe {
            let p = libc::mmap(
                hint as *mut libc::c_void,
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            );
            if p == libc::MAP_FAILED {
                return None;
            }
            let base = p as usize;
            let lo = base + GUARD_SIZE;
            let hi = lo + size;
            if libc::mprotect(p, GUARD_SIZE, libc::PROT_NONE) != 0
                || libc::mprotect(hi as *mut libc::c_void, TOP_GUARD_SIZE, libc::PROT_NONE) != 0
            {
                libc::munmap(p, len);
                return None;
            }
            Some(JitStack { base, len, lo, hi })
        }
    }
}

impl Drop for JitStack {
    fn drop(&mut self) {
        // SAFETY: the mapping is ours and, when the thread that ran on it is being torn down,
        // no frame lives on it.
        unsafe {
            libc::munmap(self.base as *mut libc::c_void, self.len);
        }
    }
}
