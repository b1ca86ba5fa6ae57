//! A per-thread cache of small freed blocks in front of C `malloc`/`free`, for the `malloc` and
//! `free` built-ins.
//!
//! Why: `vaisc` is multi-threaded (the program runs on a big-stack thread; compilation uses
//! helper threads), and once a process has created a thread glibc's allocator leaves its
//! single-threaded fast path: every `malloc`/`free` that misses the small per-thread tcache
//! (7 blocks per size) takes the arena lock and atomic fast-bin operations. A program that frees
//! many small blocks and allocates them again (trees, lists) then ran ~2.4x slower than the same
//! C program (measured: C's `bintrees` 0.27 s single-threaded, 0.65 s on a second thread).
//!
//! The cache keeps up to [`BUDGET`] bytes of freed blocks per thread in size classes and hands
//! them out again without touching glibc. Every block is and stays a genuine C `malloc` block
//! (a cached block is simply one not yet given back), so C code may `free` or `realloc` what a
//! Vais program allocated and the other way round. A freed block is marked with a per-process
//! key in its second word (as glibc's tcache does) so that freeing it again is detected and
//! aborts like glibc's "double free" check (a contained `SIGABRT`).

use std::cell::UnsafeCell;

/// The cache knows glibc's chunk header (64-bit); elsewhere every call goes straight to C.
const ENABLED: bool = cfg!(all(target_os = "linux", target_env = "gnu", target_pointer_width = "64"));
/// Blocks of up to this many usable bytes are cached.
const MAX_USABLE: usize = 1016;
/// glibc's chunk sizes go in 16-byte steps from 32 (24 usable bytes on 64-bit targets).
const MIN_USABLE: usize = 24;
const CLASSES: usize = (MAX_USABLE - MIN_USABLE) / 16 + 1;
/// The most usable bytes one thread keeps cached; beyond it, freed blocks go back to C.
const BUDGET: usize = 16 << 20;

struct Cache {
    heads: [usize; CLASSES],
    counts: [u32; CLASSES],
    bytes: usize,
}

thread_local! {
    static CACHE: UnsafeCell<Cache> = const {
        UnsafeCell::new(Cache { heads: [0; CLASSES], counts: [0; CLASSES], bytes: 0 })
    };
}

impl Drop for Cache {
    fn drop(&mut self) {
        for head in self.heads.iter_mut() {
            let mut p = std::mem::take(head);
            while p != 0 {
                // SAFETY: every cached block is a live C `malloc` block whose first word links
                // the next one.
                unsafe {
                    let next = *(p as *const usize);
                    libc::free(p as *mut libc::c_void);
                    p = next;
                }
            }
        }
    }
}

/// The mark of a cached block (second word): differs from run to run (address layout).
fn key() -> usize {
    static ANCHOR: u8 = 0;
    (&ANCHOR as *const u8 as usize) ^ 0x9e37_79b9_7f4a_7c15
}

/// The size class of a request of `n` bytes, if cached.
fn class_of_request(n: usize) -> Option<usize> {
    if n <= MIN_USABLE {
        Some(0)
    } else if n <= MAX_USABLE {
        Some((n - MIN_USABLE).div_ceil(16))
    } else {
        None
    }
}

/// `malloc(n)` for `n >= 0`.
pub(crate) fn malloc(n: usize) -> *mut libc::c_void {
    if let Some(c) = class_of_request(n).filter(|_| ENABLED) {
        let hit = CACHE.try_with(|cache| {
            // SAFETY: the cache is this thread's own, and nothing here re-enters it.
            let cache = unsafe { &mut *cache.get() };
            let p = cache.heads[c];
            if p == 0 {
                return 0;
            }
            // SAFETY: `p` is a cached block: at least 24 usable bytes, first word the link.
            unsafe {
                cache.heads[c] = *(p as *const usize);
                *((p + 8) as *mut usize) = 0;
            }
            cache.counts[c] -= 1;
            cache.bytes -= MIN_USABLE + 16 * c;
            p
        });
        if let Ok(p) = hit {
            if p != 0 {
                return p as *mut libc::c_void;
            }
        }
    }
    // SAFETY: plain C allocation.
    unsafe { libc::malloc(n) }
}

/// `free(p)`.
///
/// # Safety
/// `p` is 0 or a live block from C `malloc` (or this module's [`malloc`]).
pub(crate) unsafe fn free(p: *mut libc::c_void) {
    let a = p as usize;
    if a == 0 {
        return;
    }
    // SAFETY: the caller passes a live `malloc` block (as for C `free`, which reads the same
    // words).
    if let Some(usable) = unsafe { small_usable(a) } {
        let c = (usable - MIN_USABLE) / 16;
        let key = key();
        let kept = CACHE.try_with(|cache| {
            // SAFETY: the cache is this thread's own, and nothing here re-enters it.
            let cache = unsafe { &mut *cache.get() };
            // SAFETY: the block has at least 24 usable bytes.
            if unsafe { *((a + 8) as *const usize) } == key && cached(cache, c, a) {
                double_free();
            }
            if cache.bytes + usable > BUDGET {
                return false;
            }
            // SAFETY: as above; the block is ours until handed out again.
            unsafe {
                *(a as *mut usize) = cache.heads[c];
                *((a + 8) as *mut usize) = key;
            }
            cache.heads[c] = a;
            cache.counts[c] += 1;
            cache.bytes += usable;
            true
        });
        if kept == Ok(true) {
            return;
        }
    }
    // SAFETY: as the caller promises.
    unsafe { libc::free(p) }
}

/// The usable size of the live glibc block at `a` when it is small enough to cache, read from
/// its chunk header as glibc's `free` does (never past the chunk: `malloc_usable_size` reads
/// the next chunk's header, which for a block already freed and merged into the top chunk can
/// lie beyond the heap). Blocks that look wrong (misaligned, mmapped, a bad size or a bad next
/// chunk size) are left to C's `free`, which reports them as before.
///
/// # Safety
/// `a` is a live block from C `malloc` (as `free` requires).
unsafe fn small_usable(a: usize) -> Option<usize> {
    if !ENABLED || a & 15 != 0 {
        return None;
    }
    // SAFETY: the chunk header precedes a live block.
    let hdr = unsafe { *((a - 8) as *const usize) };
    let size = hdr & !7;
    if hdr & 2 != 0 || !(MIN_USABLE + 8..=MAX_USABLE + 8).contains(&size) || size % 16 != 0 {
        return None;
    }
    // SAFETY: the next chunk's size word ends this chunk (the last 8 of its usable bytes'
    // neighbour), inside the heap for any live block.
    let next = unsafe { *((a + size - 8) as *const usize) } & !7;
    (next >= MIN_USABLE + 8).then_some(size - 8)
}

/// Whether block `a` is on class `c`'s list (only asked when its mark says it may be).
fn cached(cache: &Cache, c: usize, a: usize) -> bool {
    let mut p = cache.heads[c];
    while p != 0 {
        if p == a {
            return true;
        }
        // SAFETY: cached blocks link through their first word.
        p = unsafe { *(p as *const usize) };
    }
    false
}

/// As glibc's check: a message on standard error, then `abort()`.
fn double_free() -> ! {
    crate::flush_output();
    let msg = b"free(): double free detected (vais allocation cache)\n";
    // SAFETY: writing a static buffer to fd 2, then aborting.
    unsafe {
        libc::write(2, msg.as_ptr() as *const libc::c_void, msg.len());
        libc::abort()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reuses_blocks_by_class_and_keeps_them_c_blocks() {
        let a = malloc(16);
        // SAFETY: `a` is a live block.
        unsafe { free(a) };
        let b = malloc(20);
        assert_eq!(a, b, "a freed small block is handed out again for the same class");
        // SAFETY: the mark is cleared when the block is handed out.
        assert_eq!(unsafe { *((b as usize + 8) as *const usize) }, 0);
        // A cached block is still C's: C `free` takes it.
        // SAFETY: `b` is live.
        unsafe { libc::free(b) };
        let big = malloc(4096);
        // SAFETY: live, not cached (too big): straight back to C.
        unsafe { free(big) };
        assert_eq!(class_of_request(0), Some(0));
        assert_eq!(class_of_request(25), Some(1));
        assert_eq!(class_of_request(1016), Some(CLASSES - 1));
        assert_eq!(class_of_request(1017), None);
    }

    #[test]
    fn each_class_serves_requests_up_to_its_size() {
        for n in [0usize, 1, 24, 25, 40, 41, 100, 1000, 1016] {
            let p = malloc(n);
            // SAFETY: live block.
            let u = unsafe { libc::malloc_usable_size(p) };
            assert!(u >= n);
            // SAFETY: live block, freed once.
            unsafe { free(p) };
            let q = malloc(n);
            // SAFETY: live block.
            assert!(unsafe { libc::malloc_usable_size(q) } >= n);
            // SAFETY: live block, freed once.
            unsafe { free(q) };
        }
    }
}
