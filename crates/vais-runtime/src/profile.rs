//! The built-in sampling profiler (`vaisc run --profile`, REPL `:profile`).
//!
//! Where the kernel allows it, the kernel samples (`kernel.rs`: a perf event on the thread's
//! CPU clock with call chains; no signal, nothing runs in the profiled thread). Opening that
//! event can wait 6-15 ms in the kernel, so sampling starts with signals and hands over to the
//! kernel once a helper thread has the event open ([`Handover`]). Without kernel sampling, or
//! with `VAIS_PROFILE_SIGNALS=1`, signals throughout: a sampler thread wakes at the sampling rate (default 1 kHz) and, when the profiled thread's CPU clock has
//! advanced since its last wake-up (the thread is running, not blocked), sends that thread
//! `SIGPROF`. (Kernel CPU-time timers, `ITIMER_PROF` or `timer_create` on a CPU clock, fire
//! only at scheduler ticks, 250 Hz on this kernel; a wall-clock timer would also interrupt a
//! program's `sleep`.) the handler records the
//! interrupted instruction address and walks the frame-pointer chain (JIT code keeps frame
//! pointers) into a buffer allocated before sampling starts. After sampling stops, addresses
//! become function names: JIT functions through the code ranges registered with
//! [`crate::faults::register_code`], anything else through the dynamic linker (`dladdr`).
//!
//! It owns no printing: [`Profile`] is data; the driver renders tables and flame graphs.
//! The handler is async-signal-safe: atomics, raw loads from the interrupted thread's own stack
//! (checked against its bounds first) and `gettid`; no allocation, no locks.

use std::sync::atomic::{AtomicBool, AtomicI32, AtomicPtr, AtomicU64, AtomicUsize, Ordering};

/// Frames kept per sample (innermost first); deeper stacks are cut, and the cut is counted.
pub const MAX_DEPTH: usize = 256;
/// Words of sample storage: each sample takes `1 + depth` words. 4 Mi words (32 MiB of address
/// space, of which only the pages samples reach are ever touched) hold about an hour of samples
/// of ten frames at 1 kHz.
const BUFFER_WORDS: usize = 4 << 20;

static ACTIVE: AtomicBool = AtomicBool::new(false);
static TARGET_TID: AtomicI32 = AtomicI32::new(0);
static STACK_HI: AtomicUsize = AtomicUsize::new(0);
static BUFFER: AtomicPtr<u64> = AtomicPtr::new(std::ptr::null_mut());
static USED: AtomicUsize = AtomicUsize::new(0);
static DROPPED: AtomicU64 = AtomicU64::new(0);
static TRUNCATED: AtomicU64 = AtomicU64::new(0);

/// One frame of a sampled stack.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Frame {
    /// A JIT-compiled Vais function (its display name).
    Vais(String),
    /// Code outside the JIT: a runtime built-in, libc, libm (symbol name when known).
    Native(String),
}

impl Frame {
    pub fn name(&self) -> &str {
        match self {
            Frame::Vais(n) | Frame::Native(n) => n,
        }
    }
}

/// What a profiling run collected.
#[derive(Debug, Default)]
pub struct Profile {
    /// Distinct stacks (innermost frame first) with their sample counts, most frequent first.
    pub stacks: Vec<(Vec<Frame>, u64)>,
    pub samples: u64,
    /// Samples lost because the buffer was full.
    pub dropped: u64,
    /// Samples whose stack was deeper than [`MAX_DEPTH`] (kept, cut at the outer end).
    pub truncated: u64,
    pub hz: u32,
    /// Samples whose innermost frame is JIT code with a known source position, by position:
    /// ((file number, byte offset), samples), most first. File numbers are the compiler's.
    pub positions: Vec<((u32, u32), u64)>,
    /// CPU time the profiled thread used while sampled.
    pub cpu_time: std::time::Duration,
    /// Frames kept per sample; deeper stacks were cut at the outer end ([`Profile::truncated`]).
    pub max_depth: usize,
}

/// A running profiler; [`Sampler::stop`] ends sampling and returns the profile.
pub struct Sampler {
    hz: u32,
    cpu_clock: libc::clockid_t,
    cpu_start: std::time::Duration,
    how: How,
}

/// Who takes the samples.
enum How {
    /// Signals only (`VAIS_PROFILE_SIGNALS=1`, or no kernel sampling here).
    Signals(Signals),
    /// The kernel, after signals until its event was open when `signals` is set (see
    /// [`Handover`]).
    Handover { signals: Option<Signals>, kernel: Prepared },
}

/// The signal sampler's parts: its thread, the flag that ends it, the sample buffer the handler
/// fills and the SIGPROF action it replaced.
struct Signals {
    thread: Option<helper::Helper<()>>,
    stop: std::sync::Arc<helper::Stop>,
    buffer: SampleBuffer,
    old_action: libc::sigaction,
}

/// The signal handler's sample storage: [`BUFFER_WORDS`] words mapped straight from the kernel
/// (not the allocator's: a 32 MiB allocation cost a profiled run a dozen `madvise` calls when
/// the allocator purged it at exit, more than the rest of the profiler's set-up), so a short
/// run pays for the one or two pages its samples fill.
struct SampleBuffer {
    words: *mut u64,
}

impl SampleBuffer {
    fn new() -> Option<SampleBuffer> {
        // SAFETY: a fresh private anonymous mapping (zero-filled), owned by the value and
        // unmapped by its `Drop`.
        let words = unsafe {
            libc::mmap(std::ptr::null_mut(), BUFFER_WORDS * 8, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE, -1, 0)
        };
        (words != libc::MAP_FAILED).then_some(SampleBuffer { words: words as *mut u64 })
    }

    /// The first `used` words (a copy: the mapping goes with the value).
    fn words(&self, used: usize) -> Vec<u64> {
        // SAFETY: the mapping holds BUFFER_WORDS initialised (zero-filled or written) words, and
        // no handler writes them any more (the caller unpublished the buffer first).
        unsafe { std::slice::from_raw_parts(self.words, used.min(BUFFER_WORDS)) }.to_vec()
    }
}

// SAFETY: the mapping is owned by the value (freed once, by `Drop`); the signal handler that
// writes it runs on the profiled thread while it is published, whichever thread owns the value.
unsafe impl Send for SampleBuffer {}

impl Drop for SampleBuffer {
    fn drop(&mut self) {
        // SAFETY: unmaps the mapping `new` made, once; nothing refers to it afterwards (the
        // signal handler's pointer to it is unpublished before a `Signals` is dropped).
        unsafe { libc::munmap(self.words.cast(), BUFFER_WORDS * 8) };
    }
}

/// Opening the kernel's event can wait in the kernel: the first per-thread perf event after a
/// second without one enables a scheduler hook and waits for an RCU grace period, 6-15 ms of
/// wall time on this machine, a tenth of a 100 ms program. So sampling starts with signals at
/// once, and a helper thread opens the event meanwhile; once it is open the helper stops the
/// signals and enables it. If the run ends first, the helper closes the event itself.
struct Handover {
    phase: std::sync::Mutex<Phase>,
    /// Ends the helper's drain loop (with [`kernel::Event::wake`]).
    stop: AtomicBool,
}

enum Phase {
    /// The helper thread is opening the event; `signals`: the stop flag of the signal sampler
    /// running meanwhile (`None` before the run starts).
    Opening { signals: Option<std::sync::Arc<helper::Stop>> },
    /// Open, not sampling yet (the run has not started).
    Ready(kernel::Event),
    /// The kernel samples (the signals have been told to stop).
    Kernel(kernel::Event),
    /// The kernel's event could not be opened: signals to the end.
    Failed,
    /// The run ended before the event was open.
    Cancelled,
}

mod helper;
mod kernel;

/// This thread's CPU clock.
fn thread_cpu_clock() -> Result<libc::clockid_t, String> {
    // SAFETY: `pthread_self` cannot fail; `pthread_getcpuclockid` writes the clock id of a live
    // thread (this one) into an owned out-parameter.
    unsafe {
        let mut clock: libc::clockid_t = 0;
        if libc::pthread_getcpuclockid(libc::pthread_self(), &mut clock) != 0 {
            return Err("cannot read this thread's CPU clock".into());
        }
        Ok(clock)
    }
}

/// A kernel event being opened (or open) for thread `tid` by a helper thread, which then
/// drains its ring buffer: ahead of [`start`] when [`prepare`] made it.
struct Prepared {
    tid: i32,
    hz: u32,
    handover: std::sync::Arc<Handover>,
    helper: helper::Helper<kernel::Drained>,
}

static PREPARED: std::sync::Mutex<Option<Prepared>> = std::sync::Mutex::new(None);

/// Begins opening the kernel's sampling event for the calling thread at `hz` (a helper thread
/// does it: the kernel may keep it waiting for milliseconds, see [`Handover`]), so that a
/// [`start`] on this thread a little later finds it open. For a driver that knows, before it
/// compiles, that it will profile the run. Does nothing where kernel sampling is not used.
pub fn prepare(hz: u32) {
    if !cfg!(all(target_arch = "x86_64", target_os = "linux")) || signals_only() {
        return;
    }
    let hz = hz.clamp(1, 100_000);
    let tid = gettid();
    if let Some(p) = open_ahead(tid, hz) {
        let old = PREPARED.lock().unwrap_or_else(|e| e.into_inner()).replace(p);
        if let Some(old) = old {
            old.finish();
        }
    }
}

/// `VAIS_PROFILE_SIGNALS=1`: sample with signals only.
fn signals_only() -> bool {
    std::env::var_os("VAIS_PROFILE_SIGNALS").is_some_and(|v| v != "0")
}

/// Starts the helper thread that opens the kernel's event for thread `tid` and then drains it.
/// Everything the helper needs is allocated here, on the calling thread (see
/// [`kernel::Event`] for why the helper must not allocate).
fn open_ahead(tid: i32, hz: u32) -> Option<Prepared> {
    let handover = std::sync::Arc::new(Handover { phase: std::sync::Mutex::new(Phase::Opening { signals: None }), stop: AtomicBool::new(false) });
    let h = handover.clone();
    let period = 1_000_000_000 / hz as u64;
    // For tests of the handover: how long the kernel keeps the opening waiting, at least.
    let delay = std::env::var("VAIS_PROFILE_OPEN_DELAY_MS").ok().and_then(|v| v.parse().ok()).map(std::time::Duration::from_millis);
    let helper = helper::spawn(move || {
        if let Some(d) = delay {
            std::thread::sleep(d);
        }
        match h.opened(kernel::open(period, MAX_DEPTH, tid)) {
            Some(drain) => drain.run(&h.stop),
            None => kernel::Drained::default(),
        }
    })?;
    Some(Prepared { tid, hz, handover, helper })
}

impl Handover {
    fn lock(&self) -> std::sync::MutexGuard<'_, Phase> {
        self.phase.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// On the helper thread, once the event is open (or could not be): hands over from the
    /// signals if they run, and returns what the drain loop needs if the event is kept.
    fn opened(&self, opened: Result<kernel::Event, i32>) -> Option<kernel::Drain> {
        let mut phase = self.lock();
        match (&*phase, opened) {
            (Phase::Opening { signals }, Ok(ev)) => {
                let drain = ev.drain();
                *phase = match signals {
                    Some(stop) => {
                        stop.set();
                        ev.enable();
                        Phase::Kernel(ev)
                    }
                    None => Phase::Ready(ev),
                };
                Some(drain)
            }
            (Phase::Opening { .. }, Err(_)) => {
                *phase = Phase::Failed;
                None
            }
            (_, Ok(ev)) => {
                // The run ended before the event was open.
                ev.close(&mut kernel::Drained::default());
                None
            }
            (_, Err(_)) => None,
        }
    }
}

impl Prepared {
    /// Ends kernel sampling: what the kernel sampled, and the call-chain depth it was asked
    /// for; `None` if the event was not open (the helper closes it itself then).
    fn finish(self) -> Option<(kernel::Drained, usize)> {
        let mut phase = self.handover.lock();
        let (Phase::Ready(ev) | Phase::Kernel(ev)) = std::mem::replace(&mut *phase, Phase::Cancelled) else {
            return None;
        };
        drop(phase);
        ev.disable();
        self.handover.stop.store(true, Ordering::SeqCst);
        ev.wake();
        let mut out = self.helper.join().unwrap_or_default();
        let depth = ev.max_depth();
        ev.close(&mut out);
        Some((out, depth))
    }
}

/// Starts sampling the calling thread at `hz` samples per second of its CPU time. Only one
/// sampler runs at a time.
pub fn start(hz: u32) -> Result<Sampler, String> {
    if !cfg!(all(target_arch = "x86_64", target_os = "linux")) {
        return Err("the profiler supports x86-64 Linux only".into());
    }
    if ACTIVE.swap(true, Ordering::SeqCst) {
        return Err("a profiler is already running".into());
    }
    let hz = hz.clamp(1, 100_000);
    let cpu_clock = match thread_cpu_clock() {
        Ok(c) => c,
        Err(e) => {
            ACTIVE.store(false, Ordering::SeqCst);
            return Err(e);
        }
    };
    let tid = gettid();
    // The profiled code runs on this thread's protected-call stack (see `jitstack`): the
    // bound of the signal handler's frame walk.
    STACK_HI.store(crate::faults::protected_stack_top().unwrap_or_else(current_stack_top), Ordering::SeqCst);
    let prepared = PREPARED.lock().unwrap_or_else(|e| e.into_inner()).take();
    let prepared = match prepared {
        Some(p) if p.tid == tid && p.hz == hz => Some(p),
        Some(p) => {
            p.finish();
            None
        }
        None => None,
    };
    // Without kernel sampling (not wanted, or its event could not be opened): signals only.
    let signals_alone = || match start_signals(hz, tid, cpu_clock) {
        Ok(signals) => Ok(Sampler { hz, cpu_clock, cpu_start: cpu_time(cpu_clock), how: How::Signals(signals) }),
        Err(e) => {
            ACTIVE.store(false, Ordering::SeqCst);
            Err(e)
        }
    };
    let prepared = if signals_only() { None } else { prepared.or_else(|| open_ahead(tid, hz)) };
    let Some(kernel) = prepared else {
        return signals_alone();
    };
    let mut phase = kernel.handover.lock();
    let signals = match std::mem::replace(&mut *phase, Phase::Cancelled) {
        Phase::Ready(k) => {
            // Open already: the kernel samples from the start.
            k.enable();
            *phase = Phase::Kernel(k);
            None
        }
        Phase::Opening { .. } => {
            // Still opening: signals until it is open (the helper stops them then).
            match start_signals(hz, tid, cpu_clock) {
                Ok(signals) => {
                    *phase = Phase::Opening { signals: Some(signals.stop.clone()) };
                    Some(signals)
                }
                Err(e) => {
                    *phase = Phase::Opening { signals: None };
                    drop(phase);
                    kernel.finish();
                    ACTIVE.store(false, Ordering::SeqCst);
                    return Err(e);
                }
            }
        }
        _ => {
            drop(phase);
            return signals_alone();
        }
    };
    drop(phase);
    Ok(Sampler { hz, cpu_clock, cpu_start: cpu_time(cpu_clock), how: How::Handover { signals, kernel } })
}

/// Starts the signal sampler for the calling thread (`tid`): the SIGPROF handler and the
/// thread that sends it.
fn start_signals(hz: u32, tid: i32, cpu_clock: libc::clockid_t) -> Result<Signals, String> {
    let buffer = SampleBuffer::new().ok_or("cannot map the profiler's sample buffer")?;
    USED.store(0, Ordering::SeqCst);
    DROPPED.store(0, Ordering::SeqCst);
    TRUNCATED.store(0, Ordering::SeqCst);
    TARGET_TID.store(tid, Ordering::SeqCst);
    BUFFER.store(buffer.words, Ordering::SeqCst);
    // SAFETY: installs a handler that only touches the atomics above and the live stack of the
    // thread it interrupts (bounds-checked); the previous action is restored by `stop`.
    let old_action = unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_sigprof as *const () as usize;
        sa.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART | libc::SA_ONSTACK;
        libc::sigemptyset(&mut sa.sa_mask);
        let mut old: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(libc::SIGPROF, &sa, &mut old) != 0 {
            BUFFER.store(std::ptr::null_mut(), Ordering::SeqCst);
            return Err("cannot install the SIGPROF handler".into());
        }
        old
    };
    // SAFETY: `pthread_self` cannot fail.
    let target = unsafe { libc::pthread_self() } as usize;
    let stop = std::sync::Arc::new(helper::Stop::default());
    let interval = std::time::Duration::from_nanos(1_000_000_000 / hz as u64);
    let flag = stop.clone();
    // Opened here: the sampler thread allocates nothing (see `helper` for why).
    let state = ThreadState::open(tid);
    match helper::spawn(move || sample_loop(target as libc::pthread_t, state, cpu_clock, interval, &flag)) {
        Some(t) => Ok(Signals { thread: Some(t), stop, buffer, old_action }),
        None => {
            // SAFETY: puts back the action replaced above.
            unsafe { libc::sigaction(libc::SIGPROF, &old_action, std::ptr::null_mut()) };
            BUFFER.store(std::ptr::null_mut(), Ordering::SeqCst);
            Err("cannot start the sampler thread".into())
        }
    }
}

impl Sampler {
    /// Stops sampling and turns the recorded addresses into named stacks.
    pub fn stop(self) -> Profile {
        let cpu = cpu_time(self.cpu_clock).saturating_sub(self.cpu_start);
        let (signals, kernel) = match self.how {
            How::Signals(signals) => (Some(signals), None),
            How::Handover { signals, kernel } => (signals, kernel.finish()),
        };
        let (mut words, mut dropped, mut truncated) = signals.map_or((Vec::new(), 0, 0), Signals::stop);
        let mut depth = None;
        if let Some((d, kernel_depth)) = kernel {
            words.extend_from_slice(&d.words);
            dropped += d.lost;
            truncated += d.truncated;
            depth = Some(kernel_depth);
        }
        let mut profile = symbolize(&words, self.hz);
        profile.dropped = dropped;
        profile.truncated = truncated;
        if let Some(depth) = depth {
            profile.max_depth = depth;
        }
        profile.cpu_time = cpu;
        ACTIVE.store(false, Ordering::SeqCst);
        profile
    }
}

impl Signals {
    /// Ends the signal sampler; returns the words it recorded, the samples dropped and those
    /// truncated.
    fn stop(mut self) -> (Vec<u64>, u64, u64) {
        self.stop.set();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        // SAFETY: restores the action `start` replaced. The sampler thread has ended, so no new
        // SIGPROF is sent; one already pending still finds a valid handler state (the buffer is
        // unpublished below before it is read, and the handler checks).
        unsafe {
            libc::sigaction(libc::SIGPROF, &self.old_action, std::ptr::null_mut());
        }
        BUFFER.store(std::ptr::null_mut(), Ordering::SeqCst);
        let words = self.buffer.words(USED.load(Ordering::SeqCst));
        (words, DROPPED.load(Ordering::SeqCst), TRUNCATED.load(Ordering::SeqCst))
    }
}

/// `/proc/self/task/TID/stat` of the profiled thread, kept open: its state field says whether
/// the thread is running ('R') or blocked.
struct ThreadState(Option<std::fs::File>);

impl ThreadState {
    fn open(tid: i32) -> ThreadState {
        ThreadState(std::fs::File::open(format!("/proc/self/task/{tid}/stat")).ok())
    }

    /// Whether the thread is running or runnable (true when that cannot be read).
    fn running(&self) -> bool {
        use std::os::unix::fs::FileExt;
        let Some(f) = &self.0 else { return true };
        let mut buf = [0u8; 512];
        let Ok(n) = f.read_at(&mut buf, 0) else { return true };
        // `PID (COMM) S ...`: the state follows the last ')' (COMM may contain one).
        let text = &buf[..n];
        match text.iter().rposition(|&b| b == b')') {
            Some(i) => text.get(i + 2).is_none_or(|&c| c == b'R'),
            None => true,
        }
    }
}

/// The sampler thread: every `interval` (absolute deadlines, so the rate does not drift),
/// signals the target if its CPU clock moved by at least a quarter interval since last time.
fn sample_loop(target: libc::pthread_t, state: ThreadState, clock: libc::clockid_t, interval: std::time::Duration, stop: &helper::Stop) {
    let step = interval.as_nanos() as i64;
    let mut last = cpu_time(clock);
    let mut next = monotonic_ns() + step;
    while !stop.sleep_until(next) {
        next += step;
        let now = monotonic_ns();
        if next < now {
            next = now + step; // fell behind (the machine is busy): skip, do not burst
        }
        let cpu = cpu_time(clock);
        // A thread that ran but is blocked now (in `sleep`, `read`) must not get the signal:
        // it would cut the system call short (`nanosleep` is not restarted after a handler).
        if cpu.saturating_sub(last).as_nanos() as i64 >= step / 4 && state.running() {
            last = cpu;
            // SAFETY: `target` is the profiled thread, alive until `stop` (which joins this
            // thread first) returns; SIGPROF has our handler installed.
            unsafe { libc::pthread_kill(target, libc::SIGPROF) };
        }
    }
}

fn monotonic_ns() -> i64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: reads a clock into an owned timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec * 1_000_000_000 + ts.tv_nsec
}

fn cpu_time(clock: libc::clockid_t) -> std::time::Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: reads a clock into an owned timespec.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn gettid() -> i32 {
    // SAFETY: `gettid` takes no arguments and cannot fail; it is async-signal-safe.
    unsafe { libc::syscall(libc::SYS_gettid) as i32 }
}

/// The highest address of the calling thread's stack.
fn current_stack_top() -> usize {
    // SAFETY: standard pthread attribute queries on the calling thread, with owned out-params.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
            return 0;
        }
        let mut addr: *mut libc::c_void = std::ptr::null_mut();
        let mut size: libc::size_t = 0;
        let rc = libc::pthread_attr_getstack(&attr, &mut addr, &mut size);
        libc::pthread_attr_destroy(&mut attr);
        if rc != 0 {
            return 0;
        }
        addr as usize + size
    }
}

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
fn registers(ctx: *mut libc::c_void) -> (usize, usize, usize) {
    // SAFETY: the kernel passes a valid `ucontext_t` as the third argument of an SA_SIGINFO
    // handler.
    let uc = unsafe { &*(ctx as *const libc::ucontext_t) };
    let g = &uc.uc_mcontext.gregs;
    (g[libc::REG_RIP as usize] as usize, g[libc::REG_RSP as usize] as usize, g[libc::REG_RBP as usize] as usize)
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
fn registers(_ctx: *mut libc::c_void) -> (usize, usize, usize) {
    (0, 0, 0)
}

/// Bytes of stack the signal handler scans above a sample in native code for its Vais caller.
const NATIVE_SCAN: usize = 16 * 1024;

extern "C" fn on_sigprof(_sig: libc::c_int, _info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    let buffer = BUFFER.load(Ordering::Acquire);
    if buffer.is_null() || gettid() != TARGET_TID.load(Ordering::Relaxed) {
        return;
    }
    let (pc, sp, mut fp) = registers(ctx);
    let hi = STACK_HI.load(Ordering::Relaxed);
    let mut frames = [0usize; MAX_DEPTH];
    frames[0] = pc;
    let mut n = 1;
    let mut low = sp;
    let lo = crate::signals::WORKER_STACK_LO.load(Ordering::Relaxed);
    if !crate::faults::in_jit_code(pc) && lo != 0 && sp >= lo && sp < hi {
        // In native code, which keeps no frame pointers: the Vais caller is found on the stack,
        // as for a fault there, and the walk goes on from its frame.
        // SAFETY (of the reads): every address read lies between the interrupted stack
        // pointer and the top of this thread's stack, which is mapped and live.
        let word = |a: usize| (a >= sp && a.is_multiple_of(8) && a.saturating_add(8) <= hi).then(|| unsafe { *(a as *const usize) });
        if let Some((slot, ret, caller)) = crate::signals::native_caller(&word, sp, fp, hi.min(sp.saturating_add(NATIVE_SCAN)), hi) {
            frames[1] = ret;
            n = 2;
            fp = caller;
            low = slot + 8;
        }
    }
    // Each frame-pointer frame is [saved fp, return address]; a valid chain climbs the stack.
    // Only JIT code is known to keep frame pointers: the walk goes on only while the return
    // addresses it finds are in JIT code (the runtime's snapshot of code ranges, published when
    // the profiled protected call started; from a native leaf whose caller was not found above,
    // `rbp` is the JIT caller's frame pointer only if the native code left it alone, which the
    // first check tells).
    while n < MAX_DEPTH && fp >= low && fp.is_multiple_of(8) && fp.saturating_add(16) <= hi {
        // SAFETY: `fp .. fp + 16` lies inside this thread's live stack: at or above the
        // interrupted stack pointer and below the stack's top.
        let (next, ret) = unsafe { (*(fp as *const usize), *((fp + 8) as *const usize)) };
        if !crate::faults::in_jit_code(ret.wrapping_sub(1)) {
            break;
        }
        frames[n] = ret;
        n += 1;
        low = fp + 16;
        fp = next;
    }
    if n == MAX_DEPTH {
        TRUNCATED.fetch_add(1, Ordering::Relaxed);
    }
    let at = USED.fetch_add(n + 1, Ordering::Relaxed);
    if at + n + 1 > BUFFER_WORDS {
        DROPPED.fetch_add(1, Ordering::Relaxed);
        return;
    }
    // SAFETY: `buffer` holds BUFFER_WORDS words while it is published, and this sample's words
    // `at .. at + n + 1` were reserved by the `fetch_add` above.
    unsafe {
        *buffer.add(at) = n as u64;
        for (i, f) in frames[..n].iter().enumerate() {
            *buffer.add(at + 1 + i) = *f as u64;
        }
    }
}

/// Names the frames of every recorded sample and counts identical stacks. Each distinct
/// address is looked up once (its frames interned as numbers); a sample then costs hash look-ups
/// of numbers, and a stack is built and hashed as numbers, named once at the end. A machine
/// frame in inlined code stands for the inlined copies at that point and the function they are
/// in, innermost first (`faults::frames_at`), and a sample's position is its innermost frame's
/// own: the inlined function's line, not the call's.
fn symbolize(words: &[u64], hz: u32) -> Profile {
    use std::collections::HashMap;
    /// What one address stands for: interned frames (innermost first; empty: unnamed) and the
    /// innermost frame's source position.
    struct Site {
        frames: Vec<u32>,
        pos: Option<(u32, u32)>,
    }
    let mut names: Vec<Frame> = Vec::new();
    let mut ids: HashMap<Frame, u32> = HashMap::new();
    let mut intern = |f: Frame, names: &mut Vec<Frame>| -> u32 {
        *ids.entry(f).or_insert_with_key(|f| {
            names.push(f.clone());
            (names.len() - 1) as u32
        })
    };
    let mut sites: HashMap<usize, Site> = HashMap::new();
    let mut counts: HashMap<Vec<u32>, u64> = HashMap::new();
    let mut positions: HashMap<(u32, u32), u64> = HashMap::new();
    let mut stack: Vec<u32> = Vec::with_capacity(64);
    let mut samples = 0;
    let mut i = 0;
    while i < words.len() {
        let n = words[i] as usize;
        let raw = &words[(i + 1).min(words.len())..(i + 1 + n).min(words.len())];
        i += 1 + n;
        samples += 1;
        stack.clear();
        // The length of `stack` up to its outermost Vais frame.
        let mut outer_vais = None;
        for (depth, &addr) in raw.iter().enumerate() {
            // A return address points after its call: look up the call itself.
            let lookup = if depth == 0 { addr as usize } else { (addr as usize).saturating_sub(1) };
            let site = sites.entry(lookup).or_insert_with(|| match crate::faults::frames_at(lookup, false) {
                Some(fs) => Site {
                    pos: fs.first().and_then(|f| f.position),
                    frames: fs.into_iter().map(|f| intern(Frame::Vais(f.function), &mut names)).collect(),
                },
                None => Site { frames: name_of(lookup).map(|f| intern(f, &mut names)).into_iter().collect(), pos: None },
            });
            if depth == 0 {
                if let Some(pos) = site.pos {
                    *positions.entry(pos).or_default() += 1;
                }
            }
            if site.frames.is_empty() {
                // The chain left the code we can name: what follows is not a frame chain.
                if depth > 0 {
                    break;
                }
                stack.push(intern(Frame::Native("[unknown]".into()), &mut names));
                continue;
            }
            stack.extend_from_slice(&site.frames);
            if matches!(names[site.frames[0] as usize], Frame::Vais(_)) {
                outer_vais = Some(stack.len());
            }
        }
        // Native frames above the outermost Vais frame are the host calling in (the
        // driver, the protected-call trampoline): not part of the program's profile.
        if let Some(outer) = outer_vais {
            stack.truncate(outer);
        }
        match counts.get_mut(stack.as_slice()) {
            Some(c) => *c += 1,
            None => {
                counts.insert(stack.clone(), 1);
            }
        }
    }
    let mut stacks: Vec<(Vec<Frame>, u64)> =
        counts.into_iter().map(|(s, c)| (s.iter().map(|&id| names[id as usize].clone()).collect(), c)).collect();
    stacks.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut positions: Vec<((u32, u32), u64)> = positions.into_iter().collect();
    positions.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Profile {
        stacks,
        positions,
        samples,
        dropped: 0,
        truncated: 0,
        hz,
        cpu_time: std::time::Duration::ZERO,
        max_depth: MAX_DEPTH,
    }
}

/// Names an address in the executable by its offset from the executable's load address (see
/// [`set_executable_namer`]).
pub type ExecutableNamer = fn(usize) -> Option<String>;

static NAMER: std::sync::OnceLock<ExecutableNamer> = std::sync::OnceLock::new();

/// Lets profiles name samples in the executable itself (outside JIT code and shared libraries)
/// through `namer`, which the driver gives the executable's symbol table. Called once; later
/// calls are ignored. Consulted only when a profile is turned into names, after sampling.
pub fn set_executable_namer(namer: ExecutableNamer) {
    let _ = NAMER.set(namer);
}

/// The load address of the executable (the object this function is in).
fn exe_base() -> *mut libc::c_void {
    // SAFETY: as in `name_of`: `dladdr` only reads the loader's tables into an owned value.
    unsafe {
        let mut info: libc::Dl_info = std::mem::zeroed();
        if libc::dladdr(exe_base as *const libc::c_void, &mut info) == 0 {
            return std::ptr::null_mut();
        }
        info.dli_fbase
    }
}

fn name_of(pc: usize) -> Option<Frame> {
    if let Some(f) = crate::faults::function_at(pc) {
        return Some(Frame::Vais(f));
    }
    // SAFETY: `dladdr` only reads the loader's tables; `info` is an owned out-parameter and
    // `dli_sname`, when non-null, points to a NUL-terminated string owned by the loader.
    unsafe {
        let mut info: libc::Dl_info = std::mem::zeroed();
        if libc::dladdr(pc as *const libc::c_void, &mut info) == 0 {
            return None;
        }
        if info.dli_sname.is_null() {
            // In the executable itself (its runtime, its allocator): the namer reads its symbol
            // table, which `dladdr` does not (the executable exports no symbols).
            let exe = exe_base();
            if !exe.is_null() && info.dli_fbase == exe {
                if let Some(name) = NAMER.get().and_then(|f| f(pc - exe as usize)) {
                    return Some(Frame::Native(name));
                }
            }
            let lib = if info.dli_fname.is_null() {
                "?".to_string()
            } else {
                let path = std::ffi::CStr::from_ptr(info.dli_fname).to_string_lossy().to_string();
                path.rsplit('/').next().unwrap_or(&path).to_string()
            };
            return Some(Frame::Native(format!("[{lib}]")));
        }
        Some(Frame::Native(std::ffi::CStr::from_ptr(info.dli_sname).to_string_lossy().to_string()))
    }
}

impl Profile {
    /// Per function: (name, self samples, total samples), by self samples, most first.
    /// Total counts a sample once per function even when the function recurses.
    pub fn functions(&self) -> Vec<(String, u64, u64)> {
        let mut per: std::collections::HashMap<&str, (u64, u64)> = std::collections::HashMap::new();
        for (stack, count) in &self.stacks {
            if let Some(leaf) = stack.first() {
                per.entry(leaf.name()).or_default().0 += count;
            }
            let mut seen: Vec<&str> = Vec::new();
            for f in stack {
                if !seen.contains(&f.name()) {
                    seen.push(f.name());
                    per.entry(f.name()).or_default().1 += count;
                }
            }
        }
        let mut rows: Vec<(String, u64, u64)> = per.into_iter().map(|(n, (s, t))| (n.to_string(), s, t)).collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then_with(|| a.0.cmp(&b.0)));
        rows
    }

    /// Folded stacks (`outer;inner count` per line), the input format of flame graph tools.
    pub fn folded(&self) -> Vec<String> {
        self.stacks
            .iter()
            .filter(|(s, _)| !s.is_empty())
            .map(|(stack, count)| {
                let names: Vec<&str> = stack.iter().rev().map(|f| f.name()).collect();
                format!("{} {count}", names.join(";").replace(' ', "_"))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(n: &str) -> Frame {
        Frame::Vais(n.into())
    }

    #[test]
    fn self_and_total_count_recursion_once() {
        let p = Profile {
            stacks: vec![
                (vec![v("fib"), v("fib"), v("fib"), v("main")], 6),
                (vec![v("leaf"), v("fib"), v("main")], 3),
                (vec![Frame::Native("sqrt".into()), v("main")], 1),
            ],
            samples: 10,
            ..Profile::default()
        };
        let rows = p.functions();
        assert_eq!(rows[0], ("fib".to_string(), 6, 9));
        assert_eq!(rows[1], ("leaf".to_string(), 3, 3));
        assert_eq!(rows[2], ("sqrt".to_string(), 1, 1));
        assert_eq!(rows[3], ("main".to_string(), 0, 10));
        assert_eq!(p.folded()[0], "main;fib;fib;fib 6");
        assert_eq!(p.folded()[2], "main;sqrt 1");
    }

    /// A sample in an inlined copy stands for the copy's function (at its own position) and
    /// the function it was inlined into; the return address below it too, as the call itself.
    #[test]
    fn samples_in_inlined_code_expand_into_the_inlined_frames() {
        use crate::faults::{register_code, register_inlined, register_lines, unregister_code, InlinedRange};
        // Addresses no other test uses (the runtime's tables are process-wide).
        let (outer, leaf) = (0x5a5a_0000_0000usize, 0x5a5a_0001_0000usize);
        register_code(outer, 0x100, "walk".into());
        // 0x00..0x20: walk's own code at byte 50; 0x20..0x40: `mix` inlined (its byte 10),
        // called at walk's byte 60.
        register_lines(outer, 0, vec![(0, 0x20, 50), (0x20, 0x40, 60)]);
        register_inlined(outer, vec![InlinedRange { start: 0x20, end: 0x40, frames: vec![("mix".to_string(), 0, 10)].into() }]);
        register_code(leaf, 0x100, "main".into());
        register_lines(leaf, 0, vec![(0, 0x100, 90)]);
        // Two samples in the copy, one in walk's own code; each called from main.
        let words = [2, (outer + 0x28) as u64, (leaf + 0x11) as u64, 2, (outer + 0x30) as u64, (leaf + 0x11) as u64, 2, (outer + 8) as u64, (leaf + 0x11) as u64];
        let p = symbolize(&words, 1000);
        unregister_code(outer);
        unregister_code(leaf);
        assert_eq!(p.samples, 3);
        assert_eq!(p.stacks, vec![(vec![v("mix"), v("walk"), v("main")], 2), (vec![v("walk"), v("main")], 1)]);
        assert_eq!(p.positions, vec![((0, 10), 2), ((0, 50), 1)]);
        let rows = p.functions();
        assert_eq!(rows[0], ("mix".to_string(), 2, 2));
        assert_eq!(rows[1], ("walk".to_string(), 1, 3));
        assert_eq!(p.folded()[0], "main;walk;mix 2");
    }

    #[test]
    fn samples_are_decoded_and_grouped() {
        // Two samples whose addresses nobody can name: each becomes an `[unknown]` leaf
        // (deeper unnamed frames end the stack), and identical stacks are counted together.
        let words = [2, 1, 2, 1, 1];
        let p = symbolize(&words, 1000);
        assert_eq!(p.samples, 2);
        assert_eq!(p.stacks, vec![(vec![Frame::Native("[unknown]".into())], 2)]);
    }
}
