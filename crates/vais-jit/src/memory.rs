//! JIT memory that packs and frees: the `JITMemoryProvider` behind every `JITModule` of
//! this crate.
//!
//! cranelift-jit's default provider starts a fresh mapping of at least a page for each kind of
//! memory at every `finalize`, and never frees one: a REPL session paid a page of code per
//! input, forever (the 4 KiB of the ~9 KiB each redefinition of a function cost). This one
//! reserves one address range up front (so everything it hands out is within `rel32` reach of
//! everything else), packs allocations of every finalize into the same pages, and takes memory
//! back ([`MemoryHandle::free`]) when the linker frees code nobody can reach any more (old
//! versions of redefined functions, REPL entries that ran); runs of at least 64 KiB of wholly
//! free pages are returned to the kernel.
//!
//! Invariants:
//! - Code and read-only pages are writable only between an allocation that lands in them and
//!   the next `finalize`, which makes them executable (read-only) again. Allocating into a page
//!   that already holds placed code makes that page writable for that window: allowed because
//!   JIT code runs on one thread and the linker allocates only while none of it runs (between
//!   REPL inputs, or at a safe point of the running thread, with no other thread in JIT code).
//! - A block is handed out at most once until it is freed; freed blocks coalesce with their
//!   free neighbours.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};

use cranelift_jit::{BranchProtection, JITMemoryKind, JITMemoryProvider};
use cranelift_module::{ModuleError, ModuleResult};

/// Address space reserved per JIT session (nothing is committed until used).
const RESERVE: usize = 1 << 30;

/// Allocation granule (see [`Inner::allocate`]).
const GRAIN: usize = 16;

/// Least growth of a kind's space (untouched pages cost no memory).
const CHUNK: usize = 64 * 1024;

/// Least run of whole free pages given back to the kernel (see [`Inner::free`]).
const RELEASE_MIN: usize = 64 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Kind {
    Code,
    ReadOnly,
    Writable,
}

impl Kind {
    fn of(k: &JITMemoryKind) -> Kind {
        match k {
            JITMemoryKind::Executable => Kind::Code,
            JITMemoryKind::ReadOnly => Kind::ReadOnly,
            JITMemoryKind::Writable => Kind::Writable,
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// Protection once finalized.
    fn final_prot(self) -> i32 {
        match self {
            Kind::Code => libc::PROT_READ | libc::PROT_EXEC,
            Kind::ReadOnly => libc::PROT_READ,
            Kind::Writable => libc::PROT_READ | libc::PROT_WRITE,
        }
    }
}

struct Inner {
    base: usize,
    size: usize,
    page: usize,
    /// Next never-used page (offset from `base`).
    top: usize,
    /// Free blocks of each kind: start -> length.
    free: [BTreeMap<usize, usize>; 3],
    /// Blocks handed out: start -> (length, kind).
    live: HashMap<usize, (usize, Kind)>,
    /// Code and read-only pages that are writable now (made so by an allocation since the
    /// last finalize): page start -> kind.
    open: BTreeMap<usize, Kind>,
    /// Pages of each kind that were ever handed out (a page never changes kind).
    kind_pages: [BTreeSet<usize>; 3],
}

/// The provider given to `JITBuilder::memory_provider`.
pub struct PackedMemory(Arc<Mutex<Inner>>);

/// A handle on the same memory, kept by the linker to free blocks.
#[derive(Clone)]
pub struct MemoryHandle(Arc<Mutex<Inner>>);

fn lock(m: &Mutex<Inner>) -> MutexGuard<'_, Inner> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn align_up(x: usize, a: usize) -> usize {
    (x + a - 1) & !(a - 1)
}

fn protect(addr: usize, len: usize, prot: i32) -> io::Result<()> {
    // SAFETY: `addr..addr+len` is page-aligned and inside the range this provider mapped.
    if unsafe { libc::mprotect(addr as *mut libc::c_void, len, prot) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

impl PackedMemory {
    /// Reserves the address range; returns the provider and a handle for freeing.
    pub fn new() -> io::Result<(PackedMemory, MemoryHandle)> {
        // SAFETY: an anonymous private mapping with no access; nothing else refers to it.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                RESERVE,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: sysconf has no preconditions.
        let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096).max(4096);
        let inner = Inner {
            base: p as usize,
            size: RESERVE,
            page,
            top: 0,
            free: Default::default(),
            live: HashMap::new(),
            open: BTreeMap::new(),
            kind_pages: Default::default(),
        };
        let a = Arc::new(Mutex::new(inner));
        Ok((PackedMemory(a.clone()), MemoryHandle(a)))
    }
}

impl Inner {
    fn allocate(&mut self, size: usize, align: usize, kind: Kind) -> io::Result<*mut u8> {
        // Every block is a multiple of 16 bytes at a 16-byte boundary (at least): consecutive
        // blocks then leave no alignment gaps, which would each be a free block to scan.
        let align = align.max(GRAIN);
        let size = align_up(size.max(1), GRAIN);
        if !align.is_power_of_two() || align > self.page {
            return Err(io::Error::other(format!("unsupported JIT alignment {align}")));
        }
        let free = &self.free[kind.index()];
        let found = free.iter().find_map(|(&s, &l)| {
            let a = align_up(s, align);
            (a + size <= s + l).then_some((s, l, a))
        });
        let (s, l, a) = match found {
            Some(x) => x,
            None => {
                // Grow by a chunk: each growth can leave the kind's previous remainder as a
                // free block of its own (other kinds may have taken the pages in between).
                let len = align_up(size + align, self.page).max(CHUNK);
                if self.top + len > self.size {
                    return Err(io::Error::other("JIT memory exhausted (1 GiB per session)"));
                }
                let s = self.base + self.top;
                self.top += len;
                protect(s, len, libc::PROT_READ | libc::PROT_WRITE)?;
                for p in (s..s + len).step_by(self.page) {
                    self.kind_pages[kind.index()].insert(p);
                    if kind != Kind::Writable {
                        self.open.insert(p, kind);
                    }
                }
                // Merge with a free block ending right here.
                let (s, len) = match self.free[kind.index()].range(..s).next_back() {
                    Some((&ps, &pl)) if ps + pl == s => {
                        self.free[kind.index()].remove(&ps);
                        (ps, pl + len)
                    }
                    _ => (s, len),
                };
                self.free[kind.index()].insert(s, len);
                (s, len, align_up(s, align))
            }
        };
        let free = &mut self.free[kind.index()];
        free.remove(&s);
        if a > s {
            free.insert(s, a - s);
        }
        if a + size < s + l {
            free.insert(a + size, s + l - (a + size));
        }
        self.live.insert(a, (size, kind));
        if kind != Kind::Writable {
            // Pages of this block that were finalized become writable until the next finalize.
            let first = a & !(self.page - 1);
            for p in (first..a + size).step_by(self.page) {
                if !self.open.contains_key(&p) {
                    protect(p, self.page, libc::PROT_READ | libc::PROT_WRITE)?;
                    self.open.insert(p, kind);
                }
            }
        }
        Ok(a as *mut u8)
    }

    fn finalize(&mut self) -> io::Result<()> {
        // One mprotect per run of consecutive pages of one kind.
        let mut run: Option<(usize, usize, Kind)> = None;
        for (p, kind) in std::mem::take(&mut self.open) {
            match &mut run {
                Some((_, end, k)) if *end == p && *k == kind => *end += self.page,
                _ => {
                    if let Some((s, e, k)) = run {
                        protect(s, e - s, k.final_prot())?;
                    }
                    run = Some((p, p + self.page, kind));
                }
            }
        }
        if let Some((s, e, k)) = run {
            protect(s, e - s, k.final_prot())?;
        }
        Ok(())
    }

    /// Frees the block at `addr`; whole pages left free go back to the kernel. Returns the
    /// block's length.
    fn free(&mut self, addr: usize) -> Option<usize> {
        let (len, kind) = self.live.remove(&addr)?;
        if kind == Kind::Writable {
            // SAFETY: the block is ours and no longer handed out; zero it so a reuse starts
            // like a fresh zero-initialised object.
            unsafe { std::ptr::write_bytes(addr as *mut u8, 0, len) };
        }
        let free = &mut self.free[kind.index()];
        let (mut s, mut e) = (addr, addr + len);
        if let Some((&ps, &pl)) = free.range(..s).next_back() {
            if ps + pl == s {
                free.remove(&ps);
                s = ps;
            }
        }
        if let Some(&nl) = free.get(&e) {
            free.remove(&e);
            e += nl;
        }
        free.insert(s, e - s);
        let (ps, pe) = (align_up(s, self.page), e & !(self.page - 1));
        // Only runs of at least RELEASE_MIN go back to the kernel: the REPL frees each
        // expression's code after its run, and the next input allocates in the same place;
        // giving a lone page back each time cost a `madvise`, a page fault and a page clear per
        // input. A free block keeps less than RELEASE_MIN resident.
        if pe >= ps + RELEASE_MIN {
            // SAFETY: these whole pages lie inside a free block of our mapping; their contents
            // are dead. (Code pages read back as zeros, which is fine: they are written before
            // any later use.)
            unsafe { libc::madvise(ps as *mut libc::c_void, pe - ps, libc::MADV_DONTNEED) };
        }
        Some(len)
    }
}

impl MemoryHandle {
    /// Returns the block at `addr` (the start of a function's code or a data object, as the
    /// module reported it) to the free space. `None` if no such block is handed out.
    ///
    /// # Safety
    /// Nothing may use the block any more: no code runs in it, no pointer into it is used.
    pub unsafe fn free(&self, addr: usize) -> Option<usize> {
        lock(&self.0).free(addr)
    }

    /// Bytes handed out and not freed (tests, `:memory`-style reports).
    pub fn live_bytes(&self) -> usize {
        lock(&self.0).live.values().map(|(l, _)| *l).sum()
    }

    /// Number of free blocks of all kinds (tests: allocation scans them).
    #[cfg(test)]
    pub fn free_blocks(&self) -> usize {
        lock(&self.0).free.iter().map(|f| f.len()).sum()
    }
}

impl JITMemoryProvider for PackedMemory {
    fn allocate(&mut self, size: usize, align: u64, kind: JITMemoryKind) -> io::Result<*mut u8> {
        let align = usize::try_from(align).map_err(|_| io::Error::other("alignment too big"))?;
        lock(&self.0).allocate(size, align, Kind::of(&kind))
    }

    unsafe fn free_memory(&mut self) {
        let mut m = lock(&self.0);
        if m.base != 0 {
            // SAFETY: the caller guarantees nothing uses this module's memory any more.
            unsafe { libc::munmap(m.base as *mut libc::c_void, m.size) };
            m.base = 0;
            m.live.clear();
            m.free = Default::default();
        }
    }

    fn finalize(&mut self, _branch_protection: BranchProtection) -> ModuleResult<()> {
        // x86-64 keeps instruction fetch coherent with stores (the only host this crate is
        // built for; see `Jit::with_symbols`), so no cache maintenance is needed.
        lock(&self.0).finalize().map_err(|e| ModuleError::Backend(e.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_across_finalizes_and_reuses_freed_blocks() {
        let (mut m, h) = PackedMemory::new().unwrap();
        let a = m.allocate(100, 16, JITMemoryKind::Executable).unwrap() as usize;
        m.finalize(BranchProtection::None).unwrap();
        let b = m.allocate(100, 16, JITMemoryKind::Executable).unwrap() as usize;
        m.finalize(BranchProtection::None).unwrap();
        // Same page: a finalize does not start a new one.
        assert_eq!(a & !4095, b & !4095);
        assert_eq!(b, a + 112);
        assert_eq!(h.live_bytes(), 224);
        // SAFETY: nothing uses the block.
        assert_eq!(unsafe { h.free(a) }, Some(112));
        let c = m.allocate(90, 16, JITMemoryKind::Executable).unwrap() as usize;
        assert_eq!(c, a, "a freed block is reused");
        // Data never shares a page with code.
        let d = m.allocate(8, 8, JITMemoryKind::Writable).unwrap() as usize;
        assert_ne!(d & !4095, a & !4095);
        m.finalize(BranchProtection::None).unwrap();
        // SAFETY: the mapping is ours and nothing runs in it.
        unsafe { m.free_memory() };
    }

    /// A batch of many functions of odd sizes leaves no alignment gaps: the free space stays
    /// one block per kind, so each allocation's scan stays short.
    #[test]
    fn odd_sizes_leave_no_gaps() {
        let (mut m, h) = PackedMemory::new().unwrap();
        for i in 0..10_000 {
            m.allocate(37 + i % 50, 16, JITMemoryKind::Executable).unwrap();
            m.allocate(3 + i % 5, 1, JITMemoryKind::ReadOnly).unwrap();
            m.allocate(8, 8, JITMemoryKind::Writable).unwrap();
        }
        // ~640 KiB of code, 160 KiB of each data kind: a remainder per 64 KiB chunk at most.
        assert!(h.free_blocks() <= 16, "{} free blocks", h.free_blocks());
        // SAFETY: the mapping is ours.
        unsafe { m.free_memory() };
    }

    #[test]
    fn big_blocks_span_pages_and_come_back() {
        let (mut m, h) = PackedMemory::new().unwrap();
        let a = m.allocate(3 * 4096, 16, JITMemoryKind::ReadOnly).unwrap() as usize;
        m.finalize(BranchProtection::None).unwrap();
        // SAFETY: nothing uses the block.
        unsafe { h.free(a) };
        assert_eq!(h.live_bytes(), 0);
        let b = m.allocate(2 * 4096, 16, JITMemoryKind::ReadOnly).unwrap() as usize;
        assert_eq!(a, b);
        // Writable after a re-allocation into a finalized page, until finalize.
        // SAFETY: `b` is a fresh block of 8 KiB.
        unsafe { std::ptr::write_bytes(b as *mut u8, 1, 2 * 4096) };
        m.finalize(BranchProtection::None).unwrap();
        // SAFETY: the mapping is ours.
        unsafe { m.free_memory() };
    }
}
