//! Signal handling for JIT code: the fault handlers (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP,
//! SIGABRT),
//! the alternate signal stack of the worker thread, and the SIGINT (Ctrl-C) handler.
//!
//! The fault handler is async-signal-safe: it takes no lock and allocates nothing. When the
//! faulting thread is inside a protected call (`vais_protect_active()`, a C thread-local), it
//! records the raw facts (signal, fault address, PC, SP and a frame-pointer walk of return
//! addresses) in atomics and `siglongjmp`s to the recovery point. Classification and the lookup
//! of function names happen afterwards, in normal context ([`crate::faults`]). Otherwise it
//! chains to the handler that was installed before ours (Rust's own stack-overflow reporter, or
//! the default action), so a fault in the compiler itself still crashes with a clear report.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};
use std::sync::Once;

extern "C" {
    /// Calls `f(ctx)` behind a recovery point; on the stack ending at `stack_top` when that is
    /// non-null (16-byte aligned, the top of a mapped stack), else on the current one.
    pub(crate) fn vais_protected_call(f: extern "C" fn(*mut libc::c_void), ctx: *mut libc::c_void, stack_top: *mut libc::c_void) -> i32;
    pub(crate) fn vais_protect_active() -> i32;
    pub(crate) fn vais_protect_jump() -> !;
}

/// Returns true when the calling thread is inside a protected call.
pub(crate) fn protect_active() -> bool {
    // SAFETY: reads a C thread-local pointer; no preconditions.
    unsafe { vais_protect_active() != 0 }
}

/// Number of return addresses the frame walk records from the innermost end (`frames`) and,
/// for deeper stacks, from the outermost end (`tail`, a ring).
pub(crate) const MAX_FRAMES: usize = 64;

/// Raw record of the last fault, written by the signal handler (or `vais_rt_trap`) just before
/// it jumps to the recovery point and read right after, on the same thread.
pub(crate) struct Record {
    /// 0: none; 1..=7: a `vais_rt_trap` kind; `SIGNAL_BASE + signo`: a signal.
    pub kind: AtomicI32,
    pub site: std::sync::atomic::AtomicI64,
    pub code: AtomicI32,
    pub addr: AtomicUsize,
    pub pc: AtomicUsize,
    pub sp: AtomicUsize,
    /// Return addresses found by the walk: all of them (`nframes` may exceed MAX_FRAMES).
    pub nframes: AtomicUsize,
    /// The first MAX_FRAMES of them, innermost first.
    pub frames: [AtomicUsize; MAX_FRAMES],
    /// The last MAX_FRAMES of them: walk step `i` is stored at `tail[i % MAX_FRAMES]`.
    pub tail: [AtomicUsize; MAX_FRAMES],
}

/// Offset added to a signal number in [`Record::kind`].
pub(crate) const SIGNAL_BASE: i32 = 1000;

#[allow(clippy::declare_interior_mutable_const)]
const ZERO: AtomicUsize = AtomicUsize::new(0);

pub(crate) static RECORD: Record = Record {
    kind: AtomicI32::new(0),
    site: std::sync::atomic::AtomicI64::new(-1),
    code: AtomicI32::new(0),
    addr: AtomicUsize::new(0),
    pc: AtomicUsize::new(0),
    sp: AtomicUsize::new(0),
    nframes: AtomicUsize::new(0),
    frames: [ZERO; MAX_FRAMES],
    tail: [ZERO; MAX_FRAMES],
};

/// Records the frame-pointer chain starting at frame pointer `fp` into `RECORD` (see
/// [`Record::nframes`]), for a backtrace. Cranelift keeps frame pointers, so the chain is exact
/// through JIT frames; it ends at the first return address outside JIT code (the entry
/// wrapper, the runtime), where frames without frame pointers begin, or at the stack's ends.
/// Only addresses inside the protected thread's stack at or above `sp` are read, so the walk
/// cannot fault. Async-signal-safe.
pub(crate) fn record_frames(fp: usize, sp: usize) {
    walk_frames(0, fp, sp, true);
}

/// [`record_frames`] for a fault at `pc`, which may be outside JIT code: in the runtime or C
/// library code a Vais function called (a bad pointer given to `strlen` or `puts_ptr`). That
/// code need not keep frame pointers, so the chain from `fp` may never reach the Vais caller:
/// the call's return address and the caller's frame are found on the stack instead
/// ([`native_caller`]), and the walk goes on from there.
pub(crate) fn record_fault_frames(pc: usize, fp: usize, sp: usize) {
    let lo = WORKER_STACK_LO.load(Ordering::Relaxed);
    let hi = WORKER_STACK_HI.load(Ordering::Relaxed);
    if crate::faults::in_jit_code(pc) || sp < lo || sp >= hi {
        walk_frames(0, fp, sp, true);
        return;
    }
    // SAFETY (of the reads): every address read lies between the interrupted stack pointer
    // and the top of the protected thread's stack, which is mapped and live.
    let word = |a: usize| (a >= sp && a.is_multiple_of(8) && a.saturating_add(8) <= hi).then(|| unsafe { *(a as *const usize) });
    let Some((slot, ret, f)) = native_caller(&word, sp, fp, hi.min(sp.saturating_add(NATIVE_SCAN)), hi) else {
        walk_frames(0, fp, sp, true);
        return;
    };
    RECORD.frames[0].store(ret, Ordering::Relaxed);
    RECORD.tail[0].store(ret, Ordering::Relaxed);
    walk_frames(1, f, slot, false);
}

/// Bytes of stack scanned above a native fault for the return address into JIT code.
const NATIVE_SCAN: usize = 64 * 1024;

/// For a stop in native code (a fault, a profiler sample) that a Vais function called: where
/// that call returns. Scans the stack upwards from `sp` for a word that is a return address
/// into JIT code (the native frames below it hold that code's own data), and accepts it only
/// when the caller's frame is found and is a JIT frame too, so that a stale return address in
/// an uninitialised slot of a native frame never names a function that is not running. The
/// caller's frame: the interrupted frame pointer `bp` when the native code left it alone (it
/// lies above the word); else the frame of the native chain from `bp` whose return address is
/// that word; else, when native code used `rbp` for its own values, the first
/// frame-pointer-shaped pair above the word (a saved frame pointer above it, then a return
/// address into JIT code; or, for the outermost frame, which returns into the entry adapter,
/// any such pair near the top of the stack `hi`). A JIT frame's own return address is in JIT
/// code, or it is that outermost frame; and when that frame's return address follows a direct
/// call, the word must return into the function called. `word` reads the stack (`None` where it may not);
/// nothing at or above `end` is scanned. Returns (the word's address, the return address, the
/// caller's frame pointer). Async-signal-safe: reads and arithmetic only.
pub(crate) fn native_caller(word: &dyn Fn(usize) -> Option<usize>, sp: usize, bp: usize, end: usize, hi: usize) -> Option<(usize, usize, usize)> {
    let jit = |a: usize| crate::faults::in_jit_code(a.wrapping_sub(1));
    let near_top = |a: usize| a < hi && hi - a <= OUTERMOST;
    let mut slot = (sp + 7) & !7;
    while slot + 8 <= end {
        let Some(ret) = word(slot).filter(|&w| jit(w)) else {
            slot += 8;
            continue;
        };
        // The native chain from `bp` down to the frame whose return address is at `slot`.
        let mut f = bp;
        let mut steps = 0;
        while f != 0 && f < slot && steps < 64 {
            match word(f) {
                Some(next) if f + 8 == slot => {
                    f = next;
                    break;
                }
                Some(next) if next > f => f = next,
                _ => f = 0,
            }
            steps += 1;
        }
        let jit_frame = |f: usize| f > slot && word(f + 8).is_some_and(|r| jit(r) || near_top(f));
        if !jit_frame(f) {
            f = (slot + 8..)
                .step_by(8)
                .take_while(|&a| a + 16 <= end)
                .find(|&a| word(a).is_some_and(|saved| saved > a && saved <= hi) && word(a + 8).is_some_and(|r| jit(r) || near_top(a)))
                .unwrap_or(0);
        }
        // The caller's frame must be that of the function the word returns into: when the
        // frame's own return address follows a direct call, its target is that function. A
        // stale return address (a deeper call's, left in an uninitialised slot of a native
        // frame) returns into some other function, and is passed over. (Without the check a
        // recursion's leftovers took the samples of `malloc` called by the function after it.)
        // The outermost frame returns into the entry wrapper, which calls the entry function
        // directly.
        let callee = || match word(f + 8) {
            Some(r) if jit(r) => crate::faults::direct_callee(r),
            Some(r) if near_top(f) => crate::faults::entry_callee(r),
            _ => None,
        };
        if f != 0 && callee().is_none_or(|c| crate::faults::jit_range(ret - 1).is_some_and(|r| r.0 == c)) {
            return Some((slot, ret, f));
        }
        slot += 8;
    }
    None
}

/// Bytes below the top of the protected stack within which the outermost JIT frame lies.
const OUTERMOST: usize = 4096;

/// The frame-pointer walk from `fp`, recording from index `n`. The first frame is kept even
/// when its return address is outside JIT code if `first_any` (the walk from the faulting
/// frame itself); every later one must be in JIT code.
fn walk_frames(mut n: usize, mut fp: usize, sp: usize, first_any: bool) {
    let r = &RECORD;
    let lo = WORKER_STACK_LO.load(Ordering::Relaxed);
    let hi = WORKER_STACK_HI.load(Ordering::Relaxed);
    let start = n;
    while fp >= lo && fp >= sp.saturating_sub(4096) && fp.saturating_add(16) <= hi && fp.is_multiple_of(8) {
        // SAFETY: `fp .. fp + 16` lies inside the protected thread's mapped stack (checked above).
        let (next, ret) = unsafe { (*(fp as *const usize), *((fp + 8) as *const usize)) };
        let kept_anyway = first_any && n == start;
        if !kept_anyway && !crate::faults::in_jit_code(ret.wrapping_sub(1)) {
            break;
        }
        if n < MAX_FRAMES {
            r.frames[n].store(ret, Ordering::Relaxed);
        }
        r.tail[n % MAX_FRAMES].store(ret, Ordering::Relaxed);
        n += 1;
        if next <= fp {
            break;
        }
        fp = next;
    }
    r.nframes.store(n, Ordering::SeqCst);
}

/// Lowest and highest usable address of the stack of the thread running protected code (the
/// worker or a `run_on_big_stack` thread), set by `publish_stack` when an outermost protected
/// call starts (0 until then).
pub(crate) static WORKER_STACK_LO: AtomicUsize = AtomicUsize::new(0);
pub(crate) static WORKER_STACK_HI: AtomicUsize = AtomicUsize::new(0);

/// Set while protected JIT code runs (outermost `run_protected`).
pub(crate) static RUNNING: AtomicBool = AtomicBool::new(false);
/// Set by every SIGINT; cleared by [`crate::faults::take_interrupt`].
pub(crate) static PENDING_INTERRUPT: AtomicBool = AtomicBool::new(false);
/// Kernel thread id of the thread running protected code (0 when none); the SIGINT handler
/// forwards a Ctrl-C that the kernel delivered to another thread there.
static RUNNING_TID: AtomicI32 = AtomicI32::new(0);

/// Signals contained inside protected calls. SIGABRT is among them: C `abort()` (called by the
/// program, or by glibc on a double `free`) raises it, and POSIX lets a handler that does not
/// return end the abort, so the program's output is flushed and the REPL session survives.
const FAULT_SIGNALS: [i32; 6] = [libc::SIGSEGV, libc::SIGBUS, libc::SIGILL, libc::SIGFPE, libc::SIGTRAP, libc::SIGABRT];

struct PrevActions(UnsafeCell<[Option<libc::sigaction>; 32]>);
// SAFETY: written only inside `INSTALL.call_once` before our handlers are installed, read-only
// afterwards (from signal handlers).
unsafe impl Sync for PrevActions {}
static PREV: PrevActions = PrevActions(UnsafeCell::new([None; 32]));
static INSTALL: Once = Once::new();
static INSTALL_INT: Once = Once::new();

/// Installs the fault handlers once (lazily, from `run_protected`), saving the previous ones.
pub(crate) fn install_fault_handlers() {
    INSTALL.call_once(|| {
        for &sig in &FAULT_SIGNALS {
            // SAFETY: plain sigaction calls with valid, zero-initialised structures; `PREV` is
            // written before our handler is installed for that signal (see `PrevActions`).
            unsafe {
                let mut old: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(sig, std::ptr::null(), &mut old) == 0 {
                    (*PREV.0.get())[sig as usize] = Some(old);
                }
                let mut act: libc::sigaction = std::mem::zeroed();
                act.sa_sigaction = fault_handler as *const () as usize;
                act.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
                libc::sigemptyset(&mut act.sa_mask);
                libc::sigaction(sig, &act, std::ptr::null_mut());
            }
        }
    });
}

/// Installs the SIGINT handler (once). While protected JIT code runs, Ctrl-C sets
/// `VAIS_INTERRUPT_FLAG` to 1 (the JIT code polls it and calls `vais_rt_trap(6, ..)`). At any
/// time it also sets a pending flag that [`crate::faults::take_interrupt`] returns and clears;
/// it does nothing else (it does not end the process).
pub fn install_interrupt_handler() {
    INSTALL_INT.call_once(|| set_interrupt_action(true));
}

/// Installs the SIGINT handler, with `SA_RESTART` or without.
fn set_interrupt_action(restart: bool) {
    // SAFETY: plain sigaction call with a valid, zero-initialised structure.
    unsafe {
        let mut act: libc::sigaction = std::mem::zeroed();
        act.sa_sigaction = interrupt_handler as *const () as usize;
        act.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK | if restart { libc::SA_RESTART } else { 0 };
        libc::sigemptyset(&mut act.sa_mask);
        libc::sigaction(libc::SIGINT, &act, std::ptr::null_mut());
    }
}

/// Called when an outermost protected call starts (`running`) and ends, on its thread.
/// While JIT code runs, Ctrl-C must be able to cut a blocking C call short (`sleep`, `read`
/// from a terminal): the handler is installed without `SA_RESTART` (so the call fails with
/// `EINTR` and returns) and the thread's id is published so that a SIGINT the kernel delivers
/// to another thread is forwarded to it. JIT code polls the flag after every call into C.
/// Outside protected calls (the compiler, the REPL's own reading and writing) system calls
/// are restarted as before. Does nothing unless [`install_interrupt_handler`] ran.
pub(crate) fn protected_run_state(running: bool) {
    if !INSTALL_INT.is_completed() {
        return;
    }
    if running {
        RUNNING_TID.store(thread_id(), Ordering::SeqCst);
        set_interrupt_action(false);
    } else {
        set_interrupt_action(true);
        RUNNING_TID.store(0, Ordering::SeqCst);
    }
}

/// The calling thread's kernel id, asked once per thread (a system call per REPL input
/// otherwise).
fn thread_id() -> i32 {
    thread_local! {
        static TID: std::cell::Cell<i32> = const { std::cell::Cell::new(0) };
    }
    TID.with(|t| {
        if t.get() == 0 {
            // SAFETY: gettid has no preconditions.
            t.set(unsafe { libc::gettid() });
        }
        t.get()
    })
}

/// Restores the default action of SIGPIPE (Rust programs start with it ignored): writing to a
/// closed pipe (`vaisc run --emit clif f.vais | head`, a JIT program's output piped into `head`)
/// then ends the process quietly, as it does a C program, instead of failing every later
/// write.
pub fn default_sigpipe() {
    // SAFETY: `signal` with a valid signal number and the default disposition.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

extern "C" fn interrupt_handler(_sig: i32, _info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    PENDING_INTERRUPT.store(true, Ordering::SeqCst);
    if RUNNING.load(Ordering::SeqCst) {
        crate::VAIS_INTERRUPT_FLAG.store(1, Ordering::SeqCst);
        // A process-directed SIGINT goes to any thread (often the main one, waiting for the
        // big-stack thread): forward it to the thread running JIT code, so that a blocking
        // call there returns with EINTR. gettid and tgkill are plain system calls
        // (async-signal-safe); the errno they may change is restored.
        let target = RUNNING_TID.load(Ordering::SeqCst);
        // SAFETY: system calls with no memory arguments; errno is saved and restored.
        unsafe {
            let errno = *libc::__errno_location();
            if target != 0 && libc::gettid() != target {
                libc::syscall(libc::SYS_tgkill, libc::getpid(), target, libc::SIGINT);
            }
            *libc::__errno_location() = errno;
        }
    }
}

/// Returns (pc, sp, frame pointer) from a signal's ucontext.
///
/// # Safety
/// `uctx` must be the ucontext pointer passed to an SA_SIGINFO handler.
unsafe fn registers(uctx: *mut libc::c_void) -> (usize, usize, usize) {
    let uc = uctx as *const libc::ucontext_t;
    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    {
        // SAFETY: the kernel passes a valid ucontext_t.
        let g = unsafe { &(*uc).uc_mcontext.gregs };
        (
            g[libc::REG_RIP as usize] as usize,
            g[libc::REG_RSP as usize] as usize,
            g[libc::REG_RBP as usize] as usize,
        )
    }
    #[cfg(all(target_os = "linux", target_arch = "aarch64"))]
    {
        // SAFETY: the kernel passes a valid ucontext_t.
        let m = unsafe { &(*uc).uc_mcontext };
        (m.pc as usize, m.sp as usize, m.regs[29] as usize)
    }
    #[cfg(not(any(
        all(target_os = "linux", target_arch = "x86_64"),
        all(target_os = "linux", target_arch = "aarch64")
    )))]
    {
        let _ = uc;
        (0, 0, 0)
    }
}

extern "C" fn fault_handler(sig: i32, info: *mut libc::siginfo_t, uctx: *mut libc::c_void) {
    if protect_active() {
        // SAFETY: `info` and `uctx` come from the kernel for an SA_SIGINFO handler.
        let (addr, code) = unsafe { ((*info).si_addr() as usize, (*info).si_code) };
        // SAFETY: as above.
        let (pc, sp, fp) = unsafe { registers(uctx) };
        let r = &RECORD;
        r.kind.store(SIGNAL_BASE + sig, Ordering::SeqCst);
        r.site.store(-1, Ordering::SeqCst);
        r.code.store(code, Ordering::SeqCst);
        r.addr.store(addr, Ordering::SeqCst);
        r.pc.store(pc, Ordering::SeqCst);
        r.sp.store(sp, Ordering::SeqCst);
        // Walk the frame-pointer chain (Cranelift keeps frame pointers): the backtrace, and the
        // JIT function that called a runtime or libc function that faulted.
        record_fault_frames(pc, fp, sp);
        // SAFETY: we are inside a protected call on this thread (checked above); the jump
        // leaves the alternate stack; `vais_protected_call` then restores the signal mask.
        unsafe { vais_protect_jump() }
    }
    // SAFETY: forwarding the kernel's arguments unchanged.
    unsafe { chain(sig, info, uctx) }
}

/// Forwards a fault we do not own to the previous handler, or restores the default action and
/// re-raises the signal.
///
/// # Safety
/// Must be called from the signal handler with the kernel's arguments.
unsafe fn chain(sig: i32, info: *mut libc::siginfo_t, uctx: *mut libc::c_void) {
    // SAFETY: `PREV` is read-only once handlers are installed.
    let prev = unsafe { (*PREV.0.get()).get(sig as usize).copied().flatten() };
    if let Some(prev) = prev {
        let h = prev.sa_sigaction;
        if h != libc::SIG_DFL && h != libc::SIG_IGN {
            if prev.sa_flags & libc::SA_SIGINFO != 0 {
                // SAFETY: an SA_SIGINFO handler has this signature.
                let f: extern "C" fn(i32, *mut libc::siginfo_t, *mut libc::c_void) = unsafe { std::mem::transmute(h) };
                f(sig, info, uctx);
            } else {
                // SAFETY: a plain handler has this signature.
                let f: extern "C" fn(i32) = unsafe { std::mem::transmute(h) };
                f(sig);
            }
            return;
        }
    }
    // SAFETY: restore the default action; the re-raised signal is delivered when this handler
    // returns (or the faulting instruction runs again), ending the process with the usual report.
    unsafe {
        let mut dfl: libc::sigaction = std::mem::zeroed();
        dfl.sa_sigaction = libc::SIG_DFL;
        libc::sigemptyset(&mut dfl.sa_mask);
        libc::sigaction(sig, &dfl, std::ptr::null_mut());
        libc::raise(sig);
    }
}

/// Size of the alternate signal stack of a prepared thread.
const ALT_STACK_SIZE: usize = 256 * 1024;

/// What [`setup_prepared_thread`] set up: the usable bounds of the stack protected code runs on
/// (its own mapping, `stack`; the thread's stack if that could not be mapped) and the alternate
/// signal stack mapping (null if it could not be mapped).
pub(crate) struct Prepared {
    pub lo: usize,
    pub hi: usize,
    /// The separate stack protected code switches to (`None`: it runs on the thread's stack).
    pub stack: Option<crate::jitstack::JitStack>,
    alt: *mut libc::c_void,
}

/// Prepares the calling thread (the worker, or a [`crate::faults::run_on_big_stack`] thread)
/// for faults: installs an alternate signal stack, maps the stack protected code will run on
/// (`stack_size` usable bytes), and returns its bounds. The caller publishes the bounds (see
/// `faults::execute`).
pub(crate) fn setup_prepared_thread(stack_size: usize) -> Prepared {
    let mut prepared = Prepared { lo: 0, hi: 0, stack: None, alt: std::ptr::null_mut() };
    // SAFETY: mmap of a fresh anonymous region plus a PROT_NONE guard page below it, then
    // sigaltstack on it; pthread_getattr_np on the current thread with a destroyed attr after.
    unsafe {
        let page = 4096;
        let total = ALT_STACK_SIZE + page;
        let p = libc::mmap(
            std::ptr::null_mut(),
            total,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        if p != libc::MAP_FAILED {
            libc::mprotect(p, page, libc::PROT_NONE);
            let ss = libc::stack_t { ss_sp: (p as usize + page) as *mut libc::c_void, ss_flags: 0, ss_size: ALT_STACK_SIZE };
            if libc::sigaltstack(&ss, std::ptr::null_mut()) == 0 {
                prepared.alt = p;
            } else {
                libc::munmap(p, total);
            }
        }
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) == 0 {
            let mut addr: *mut libc::c_void = std::ptr::null_mut();
            let mut size: libc::size_t = 0;
            if libc::pthread_attr_getstack(&attr, &mut addr, &mut size) == 0 {
                prepared.lo = addr as usize;
                prepared.hi = addr as usize + size;
            }
            libc::pthread_attr_destroy(&mut attr);
        }
    }
    let below = if prepared.lo != 0 { prepared.lo } else { &prepared as *const Prepared as usize };
    if let Some(stack) = crate::jitstack::JitStack::map(stack_size, below) {
        prepared.lo = stack.lo;
        prepared.hi = stack.hi;
        prepared.stack = Some(stack);
    }
    prepared
}

/// Undoes [`setup_prepared_thread`] on the same thread before it exits: disables and unmaps the
/// alternate signal stack.
pub(crate) fn teardown_prepared_thread(prepared: Prepared) {
    drop(prepared.stack);
    if prepared.alt.is_null() {
        return;
    }
    // SAFETY: called on the thread that installed the alternate stack, outside any signal
    // handler; once disabled, nothing uses the mapping any more.
    unsafe {
        let ss = libc::stack_t { ss_sp: std::ptr::null_mut(), ss_flags: libc::SS_DISABLE, ss_size: 0 };
        if libc::sigaltstack(&ss, std::ptr::null_mut()) == 0 {
            libc::munmap(prepared.alt, ALT_STACK_SIZE + 4096);
        }
    }
}

/// Publishes the stack bounds of the thread about to run protected code (the signal handler's
/// frame walk and the stack-overflow classification read them).
pub(crate) fn publish_stack(lo: usize, hi: usize) {
    if WORKER_STACK_LO.load(Ordering::Relaxed) != lo || WORKER_STACK_HI.load(Ordering::Relaxed) != hi {
        WORKER_STACK_LO.store(lo, Ordering::SeqCst);
        WORKER_STACK_HI.store(hi, Ordering::SeqCst);
        crate::VAIS_STACK_LIMIT.store(if lo == 0 { 0 } else { lo + 256 * 1024 }, Ordering::SeqCst);
    }
}
