//! Sampling by the kernel (the default where the kernel allows it): a `perf_event_open`
//! software event on the profiled thread's CPU clock (`PERF_COUNT_SW_TASK_CLOCK`) with a period
//! of one sampling interval. The kernel arms an hrtimer on the CPU the thread runs on while it
//! runs, so samples come at the exact rate (not at the scheduler tick), cost no signal, no
//! cross-CPU interrupt and no user-space handler, and never interrupt the thread's system
//! calls (`sleep` and `read` are untouched; a blocked thread's clock does not advance).
//! Each sample is the thread's user-space call chain, walked by the kernel through frame
//! pointers (`PERF_SAMPLE_CALLCHAIN`), written to a ring buffer shared with this process.
//!
//! A drain thread empties the ring buffer whenever it is half full (the kernel wakes it; at
//! 1 kHz that is every second or more), and `stop` reads what is left, on the calling thread,
//! after the event is disabled: a run shorter than that never wakes the drain thread and never
//! makes it allocate. Records become the word format the signal handler writes (`n, pc, return
//! addresses...`), keeping, as the handler does, the innermost address and then the return
//! addresses for as long as they are in JIT code (frame pointers are only known to be kept
//! there). Time the thread spends inside the kernel is sampled at its user-space address
//! (the system call's caller) when the kernel lets us see kernel samples, and not at all
//! otherwise (`perf_event_paranoid` 2 without privileges); either way it is outside Vais code.
//!
//! Cost (bench/RESULTS.md, "Profiler overhead"): 22-33 us of CPU per sample, almost all of it
//! the timer interrupt itself on this virtual machine (bench/irq_stalls.c measures it without
//! vaisc). Measured and left as they are, because none moved the cost beyond noise: the
//! call chain (vs the instruction pointer only: 0-5 us, within run-to-run noise),
//! `sample_max_stack`, `PERF_COUNT_SW_CPU_CLOCK` vs `TASK_CLOCK`.
//!
//! Samples taken in native code: the runtime, std and the C library keep no frame pointers and
//! mostly leave the register alone, so the kernel's walk starts at the frame of the Vais
//! function that made the native call and skips that function; `Reader::sample` puts it back
//! from the direct call its return address follows (the entry wrapper's, for the outermost
//! frame). Where the native code used the register for its own values, such a sample names
//! only the native function. Copying
//! the user stack with each sample (`PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER`) and
//! scanning it as the signal handler does (`signals::native_caller`) found every caller with
//! 4 KiB, about 80% with 1 KiB, but cost too much here (150 paired runs, wall: fib +6.1% and
//! bintrees +7.0% at 4 KiB, bintrees +5.6% at 1 KiB, against +2.5% and +1.7% without).

use std::sync::atomic::{AtomicBool, Ordering};

/// Data pages of the ring buffer (a power of two): 256 KiB, half of which holds 1 s of 1 kHz
/// samples of 16 frames.
const RING_PAGES: usize = 64;

const PERF_TYPE_SOFTWARE: u32 = 1;
const PERF_COUNT_SW_TASK_CLOCK: u64 = 1;
const PERF_SAMPLE_CALLCHAIN: u64 = 1 << 5;
const PERF_RECORD_LOST: u32 = 2;
const PERF_RECORD_SAMPLE: u32 = 9;
/// Call-chain entries at or above this are context markers (`PERF_CONTEXT_USER`, ...).
const PERF_CONTEXT_MAX: u64 = -4095i64 as u64;
const PERF_CONTEXT_USER: u64 = -512i64 as u64;
const PERF_FLAG_FD_CLOEXEC: libc::c_ulong = 8;
const PERF_EVENT_IOC_ENABLE: libc::c_ulong = 0x2400;
const PERF_EVENT_IOC_DISABLE: libc::c_ulong = 0x2401;
/// `perf_event_attr` flag bits.
const ATTR_DISABLED: u64 = 1;
const ATTR_EXCLUDE_KERNEL: u64 = 1 << 5;
const ATTR_EXCLUDE_HV: u64 = 1 << 6;
const ATTR_WATERMARK: u64 = 1 << 14;
const ATTR_EXCLUDE_CALLCHAIN_KERNEL: u64 = 1 << 21;

/// `struct perf_event_attr` up to `sample_max_stack` (`PERF_ATTR_SIZE_VER5`, 112 bytes).
#[repr(C)]
#[derive(Default)]
struct PerfEventAttr {
    kind: u32,
    size: u32,
    config: u64,
    sample_period: u64,
    sample_type: u64,
    read_format: u64,
    flags: u64,
    wakeup_watermark: u32,
    bp_type: u32,
    config1: u64,
    config2: u64,
    branch_sample_type: u64,
    sample_regs_user: u64,
    sample_stack_user: u32,
    clockid: i32,
    sample_regs_intr: u64,
    aux_watermark: u32,
    sample_max_stack: u16,
    reserved: u16,
}

/// What the drain loop collected.
#[derive(Default)]
pub(super) struct Drained {
    pub words: Vec<u64>,
    pub lost: u64,
    pub truncated: u64,
}

/// An open perf event with its mapped ring buffer (disabled until [`Event::enable`]) and the
/// eventfd that ends its drain loop. Opening it allocates nothing: it is opened on a helper
/// thread, which must not allocate (see `helper`).
pub(super) struct Event {
    fd: i32,
    ring: usize,
    ring_len: usize,
    wake: i32,
    reader: Reader,
}

/// What the drain loop needs of an [`Event`] (plain numbers, copied to the helper thread).
#[derive(Clone, Copy)]
pub(super) struct Drain {
    fd: i32,
    wake: i32,
    reader: Reader,
}

/// The deepest call chain the kernel records (`kernel.perf_event_max_stack`, 127 by default;
/// a larger `sample_max_stack` is refused). Read without allocating.
fn kernel_max_stack() -> usize {
    let mut buf = [0u8; 24];
    // SAFETY: opens, reads into a stack buffer of the stated size, and closes a descriptor
    // owned here.
    let n = unsafe {
        let fd = libc::open(c"/proc/sys/kernel/perf_event_max_stack".as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC);
        if fd < 0 {
            return 127;
        }
        let n = libc::read(fd, buf.as_mut_ptr().cast(), buf.len());
        libc::close(fd);
        n
    };
    let digits = buf.get(..n.max(0) as usize).unwrap_or_default().iter().take_while(|b| b.is_ascii_digit());
    match digits.fold(0usize, |v, &d| v.saturating_mul(10).saturating_add((d - b'0') as usize)) {
        0 => 127,
        v => v,
    }
}

/// Opens (disabled) sampling of thread `tid` of this process every `period_ns` nanoseconds of
/// its CPU time, with call chains of at most `max_depth` frames (fewer if the kernel allows
/// fewer: [`Event::max_depth`]). An error (the `errno` of `perf_event_open`, not allowed by
/// `perf_event_paranoid` or a sandbox, or of the mapping) means the caller should use the
/// signal sampler. Allocates nothing.
pub(super) fn open(period_ns: u64, max_depth: usize, tid: i32) -> Result<Event, i32> {
    let errno = || std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EINVAL);
    let max_depth = max_depth.min(kernel_max_stack());
    let page = page_size();
    let mut attr = PerfEventAttr {
        kind: PERF_TYPE_SOFTWARE,
        size: std::mem::size_of::<PerfEventAttr>() as u32,
        config: PERF_COUNT_SW_TASK_CLOCK,
        sample_period: period_ns.max(10_000),
        sample_type: PERF_SAMPLE_CALLCHAIN,
        flags: ATTR_DISABLED | ATTR_EXCLUDE_HV | ATTR_EXCLUDE_CALLCHAIN_KERNEL | ATTR_WATERMARK,
        wakeup_watermark: (RING_PAGES * page / 2) as u32,
        sample_max_stack: max_depth.min(u16::MAX as usize) as u16,
        ..PerfEventAttr::default()
    };
    // Kernel-mode samples (system calls) when allowed, else user mode only.
    let mut fd = perf_event_open(&attr, tid);
    if fd < 0 {
        attr.flags |= ATTR_EXCLUDE_KERNEL;
        fd = perf_event_open(&attr, tid);
    }
    if fd < 0 {
        return Err(errno());
    }
    let ring_len = (RING_PAGES + 1) * page;
    // SAFETY: maps the event's ring buffer (metadata page plus RING_PAGES data pages), as the
    // perf_event_open(2) interface defines; the mapping is checked and owned by the event.
    let ring = unsafe {
        libc::mmap(std::ptr::null_mut(), ring_len, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED, fd, 0)
    };
    if ring == libc::MAP_FAILED {
        let e = errno();
        // SAFETY: closes the descriptor opened above.
        unsafe { libc::close(fd) };
        return Err(e);
    }
    let ring = ring as usize;
    // SAFETY: creates a descriptor owned by the event.
    let wake = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC) };
    if wake < 0 {
        let e = errno();
        // SAFETY: undoes the mapping and the descriptor made above.
        unsafe {
            libc::munmap(ring as *mut libc::c_void, ring_len);
            libc::close(fd);
        }
        return Err(e);
    }
    let reader = Reader { ring, page, data_len: RING_PAGES * page, max_depth };
    Ok(Event { fd, ring, ring_len, wake, reader })
}

impl Event {
    /// Starts sampling (after the set-up, which is not the program's time).
    pub(super) fn enable(&self) {
        // SAFETY: enables the event this value owns.
        unsafe { libc::ioctl(self.fd, PERF_EVENT_IOC_ENABLE as _, 0) };
    }

    /// The deepest call chain a sample holds; a sample that deep may have been cut.
    pub(super) fn max_depth(&self) -> usize {
        self.reader.max_depth
    }

    /// What the drain loop needs.
    pub(super) fn drain(&self) -> Drain {
        Drain { fd: self.fd, wake: self.wake, reader: self.reader }
    }

    /// Stops sampling (the drain loop goes on until its stop flag is set and it is woken).
    pub(super) fn disable(&self) {
        // SAFETY: disables the event this value owns; no sample is written after this.
        unsafe { libc::ioctl(self.fd, PERF_EVENT_IOC_DISABLE as _, 0) };
    }

    /// Wakes the drain loop (to see its stop flag).
    pub(super) fn wake(&self) {
        // SAFETY: writes the 8-byte counter increment eventfd expects to an owned descriptor.
        unsafe { libc::write(self.wake, (&1u64 as *const u64).cast(), 8) };
    }

    /// After the drain loop has ended (or never ran): reads what is left into `out`, then
    /// unmaps the ring buffer and closes the descriptors.
    pub(super) fn close(self, out: &mut Drained) {
        self.disable();
        self.reader.drain(out);
        // SAFETY: no drain loop runs any more (the caller's contract); nothing uses the
        // mapping or the descriptors after this.
        unsafe {
            libc::munmap(self.ring as *mut libc::c_void, self.ring_len);
            libc::close(self.fd);
            libc::close(self.wake);
        }
    }
}

impl Drain {
    /// The helper thread's loop: empties the ring buffer whenever the kernel says it is half
    /// full, until `stop` is set and [`Event::wake`] called. Nothing is allocated until the
    /// ring buffer first fills (a run of a second or more at 1 kHz); a shorter run's samples
    /// are read by [`Event::close`], on the profiled thread.
    pub(super) fn run(self, stop: &AtomicBool) -> Drained {
        let mut out = Drained::default();
        let mut pfd = [
            libc::pollfd { fd: self.fd, events: libc::POLLIN, revents: 0 },
            libc::pollfd { fd: self.wake, events: libc::POLLIN, revents: 0 },
        ];
        while !stop.load(Ordering::SeqCst) {
            // SAFETY: polls two open descriptors (the ring buffer's watermark, the stop
            // request), closed only after this loop has ended.
            unsafe { libc::poll(pfd.as_mut_ptr(), 2, -1) };
            if pfd[0].revents & libc::POLLIN != 0 && !stop.load(Ordering::SeqCst) {
                self.reader.drain(&mut out);
            }
        }
        out
    }
}

fn perf_event_open(attr: &PerfEventAttr, tid: i32) -> i32 {
    // SAFETY: `attr` is a valid, initialised perf_event_attr of the size it declares; `tid` and
    // cpu -1 select that thread on any CPU; no group.
    unsafe { libc::syscall(libc::SYS_perf_event_open, attr as *const PerfEventAttr, tid, -1, -1, PERF_FLAG_FD_CLOEXEC) as i32 }
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    (unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).max(4096) as usize
}

/// Reads records out of the ring buffer.
#[derive(Clone, Copy)]
struct Reader {
    ring: usize,
    page: usize,
    data_len: usize,
    max_depth: usize,
}

impl Reader {
    /// Moves every complete record from the ring buffer into `out`.
    fn drain(&self, out: &mut Drained) {
        let meta = self.ring as *mut u64;
        // SAFETY: `data_head` (offset 1024) and `data_tail` (offset 1032) of the mapped
        // metadata page; the kernel writes the head, we write the tail (perf_event_open(2)).
        let head_ptr = unsafe { meta.add(128) };
        let tail_ptr = unsafe { meta.add(129) };
        let head = unsafe { std::ptr::read_volatile(head_ptr) };
        std::sync::atomic::fence(Ordering::Acquire);
        let mut tail = unsafe { std::ptr::read_volatile(tail_ptr) };
        let data = (self.ring + self.page) as *const u8;
        // At most one word per 8 bytes of records: one allocation, not a doubling series.
        out.words.reserve(head.saturating_sub(tail) as usize / 8);
        let mut record = Vec::new();
        while tail + 8 <= head {
            let at = |off: u64| (tail.wrapping_add(off) as usize) % self.data_len;
            let mut header = [0u8; 8];
            self.copy(data, at(0), &mut header);
            let kind = u32::from_ne_bytes(header[0..4].try_into().unwrap_or_default());
            let size = u16::from_ne_bytes(header[6..8].try_into().unwrap_or_default()) as u64;
            if size < 8 || tail + size > head {
                break;
            }
            record.resize(size as usize - 8, 0);
            self.copy(data, at(8), &mut record);
            let word = |i: usize| record.get(i * 8..i * 8 + 8).map_or(0, |b| u64::from_ne_bytes(b.try_into().unwrap_or_default()));
            match kind {
                PERF_RECORD_SAMPLE => {
                    let nr = (word(0) as usize).min(record.len() / 8 - 1);
                    self.sample((1..=nr).map(word), out);
                }
                // { id, lost }
                PERF_RECORD_LOST => out.lost += word(1),
                _ => {}
            }
            tail += size;
        }
        std::sync::atomic::fence(Ordering::Release);
        // SAFETY: see above; tells the kernel the space up to `tail` may be reused.
        unsafe { std::ptr::write_volatile(tail_ptr, tail) };
    }

    /// Copies `buf.len()` bytes from ring offset `at`, wrapping at the end.
    fn copy(&self, data: *const u8, at: usize, buf: &mut [u8]) {
        let first = buf.len().min(self.data_len - at);
        // SAFETY: both pieces lie inside the mapped data pages (`at < data_len`,
        // `buf.len() <= data_len`), which the kernel does not write between head and tail.
        unsafe {
            std::ptr::copy_nonoverlapping(data.add(at), buf.as_mut_ptr(), first);
            std::ptr::copy_nonoverlapping(data, buf.as_mut_ptr().add(first), buf.len() - first);
        }
    }

    /// Appends one sample: its user-space call chain's innermost address, then its return
    /// addresses while they are in JIT code.
    fn sample(&self, chain: impl Iterator<Item = u64>, out: &mut Drained) {
        let start = out.words.len();
        out.words.push(0);
        let mut user = false;
        let mut n = 0;
        for a in chain {
            if a >= PERF_CONTEXT_MAX {
                user = a == PERF_CONTEXT_USER;
                continue;
            }
            if !user {
                continue;
            }
            let in_jit = crate::faults::in_jit_code((a as usize).wrapping_sub(1));
            if n == 1 && !crate::faults::in_jit_code(out.words[start + 1] as usize) {
                // A sample in native code: the walk started at the frame of the Vais function
                // that made the native call, so `a` is that function's own return address and
                // the function itself is missing. The call `a` follows names it: a direct call
                // in JIT code, or the entry wrapper's for the outermost frame. It is put back
                // at its entry, as a return address one past it (names look a return address
                // up at the byte before it).
                let skipped = if in_jit { crate::faults::direct_callee(a as usize) } else { crate::faults::entry_callee(a as usize) };
                if let Some(f) = skipped {
                    out.words.push(f as u64 + 1);
                    n += 1;
                }
            }
            if n > 0 && !in_jit {
                break;
            }
            out.words.push(a);
            n += 1;
        }
        if n == 0 {
            out.words.truncate(start);
            return;
        }
        if n >= self.max_depth {
            out.truncated += 1;
        }
        out.words[start] = n as u64;
    }
}
