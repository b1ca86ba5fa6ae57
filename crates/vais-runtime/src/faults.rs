//! Fault containment for JIT code: [`run_protected`], the [`Fault`] it reports, the tables that
//! give faults a function name and source position ([`register_site`], [`register_code`],
//! [`register_trap`]), and `vais_rt_trap`, which JIT code calls for runtime errors it detects
//! itself (division by zero, no match arm, failed unwrap, Ctrl-C).
//!
//! # How it works
//! Protected code runs on a *prepared* thread: one with an alternate signal stack and a
//! separate 256 MiB stack for protected code (`jitstack`: guard regions below and above it,
//! whose bounds the fault handler knows; the outermost protected call switches to it, so the
//! program cannot write into its host's frames). There are two kinds:
//! a thread started by [`run_on_big_stack`] (a program runs its whole body there, e.g. `vaisc`'s
//! `main`), and one persistent worker thread, created lazily. `run_protected(f)` called on a
//! prepared thread runs `f` inline; called on any other thread it sends `f` to the worker and
//! waits for the answer (a channel round trip). Either way `f` runs inside
//! `vais_protected_call` (`protect.c`), which `sigsetjmp`s. A runtime error (`vais_rt_trap`) or
//! a fault signal `siglongjmp`s back there, and `run_protected` returns `Err(Fault)`. Output is
//! flushed in both cases. Outermost protected calls are serialised process-wide; each publishes
//! the stack bounds of its thread to the signal handler before running.
//!
//! # Rules for the closure
//! A fault abandons the closure's frames without running destructors: the closure must hold no
//! Rust values with destructors (or locks) across the JIT call that may fault. The intended use
//! is a closure that does nothing but call the JIT-compiled function (captured values are plain
//! integers/pointers) and return its result. Values it owns are leaked, never double-dropped.
//! A Rust panic inside the closure is caught and re-raised in the caller of `run_protected`.
//!
//! # Which faults are contained
//! *Any* fault signal (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, and SIGABRT: C `abort()`, or
//! glibc's heap checks on a double `free`) raised on a thread while a
//! protected call runs there is contained, whether the PC is in registered JIT code or not
//! (a bad address handed to `strlen`/`memcpy`/`%s` faults inside the runtime or libc, and that is
//! still the Vais program's error). Outside a protected call (the compiler, the REPL, even on a
//! prepared thread) faults go to the previously installed handler and crash the process as
//! usual.
//! The function is named from the PC when it lies in registered JIT code, else from the first
//! return address in registered code found by walking frame pointers; when the fault is in
//! native code that keeps none (libc's `strlen` on a bad pointer), from the call's return
//! address found by scanning the stack above the fault, used only when its caller's frame is
//! found too (`signals::record_fault_frames`).
//!
//! Caveat: a fault inside a C library function that holds a lock (a `FILE*` lock in `fread` on
//! a bad buffer, `malloc` on a corrupted heap) leaves that lock held. Output built-ins measure
//! strings before entering stdio and check the remaining stack, so `stdout` is not affected.
//! The same holds for SIGABRT: C `abort()` releases its own lock before raising the signal, but
//! glibc's heap checks may abort with an arena lock held (some double-free paths), and the
//! heap is damaged anyway; the REPL session goes on (the compiler itself allocates through
//! mimalloc, not the C heap), and a later C allocation in it may misbehave.

use crate::signals::{self, RECORD, RUNNING, SIGNAL_BASE};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::{mpsc, Mutex};

pub use crate::signals::install_interrupt_handler;

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    DivisionByZero,
    RemainderByZero,
    /// `MIN / -1` or `MIN % -1`.
    DivisionOverflow,
    NoMatchArm,
    UnwrapFailed,
    /// Ctrl-C while JIT code ran.
    Interrupted,
    StackOverflow,
    InvalidMemoryAccess {
        addr: usize,
    },
    /// SIGILL or SIGTRAP (e.g. a Cranelift trap instruction not registered with
    /// [`register_trap`]).
    IllegalInstruction,
    /// SIGFPE not classified further (x86-64 `idiv` by zero or `MIN / -1`).
    ArithmeticSignal,
    /// SIGABRT raised by the program: C `abort()`, or glibc detecting a corrupted heap (a
    /// double `free`). `vaisc run` exits with status 134 (128 + SIGABRT), as C would.
    Aborted,
    /// `argv(index)` with no such argument (`count` is `argc()`).
    ArgvOutOfRange { index: i64, count: i64 },
    /// A Rust panic inside a built-in (a bug in the runtime, never the program's fault): the
    /// built-in's name and the panic message. Contained like any runtime error instead of
    /// aborting the process.
    RuntimeBug(String),
    /// A runtime error raised by library code (`std`) through `vais_std_raise`, with its
    /// message, e.g. `index 7 out of bounds for length 3 in Vec.get`.
    Raised(String),
    /// Not an error: the program called `exit(status)` (output already flushed). The protected
    /// call ends like a runtime error so that its caller finishes its own way (a profile or
    /// timings still printed) and then ends with `status mod 256`; nothing is reported.
    Exited(i32),
}

impl FaultKind {
    /// The exit status of a run that ended with this (`vaisc run` and built executables alike):
    /// the program's own status for `exit`, 130 for Ctrl-C and 134 for an abort (128 + the
    /// signal, as a shell reports for a C program), 101 for any runtime error (LANGUAGE.md
    /// decision 9).
    pub fn exit_status(&self) -> u8 {
        match self {
            FaultKind::Exited(status) => (status & 0xff) as u8,
            FaultKind::Interrupted => 130,
            FaultKind::Aborted => 134,
            _ => 101,
        }
    }
}

/// The `kind` argument of `vais_rt_trap` and of a registered trap instruction: the contract
/// between the code generator (which emits the check) and the runtime (which reports it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum TrapKind {
    DivisionByZero = 1,
    RemainderByZero = 2,
    /// `MIN / -1` or `MIN % -1`.
    DivisionOverflow = 3,
    NoMatchArm = 4,
    UnwrapFailed = 5,
    /// The interrupt flag was set (Ctrl-C).
    Interrupted = 6,
    /// Raised by the runtime itself.
    StackOverflow = 7,
    /// A panic caught in a built-in (its message is in [`BUILTIN_PANIC`]); raised by the runtime.
    RuntimeBug = 8,
    /// `argv(i)` out of range (raised by the `argv` built-in).
    ArgvOutOfRange = 9,
    /// A runtime error raised by library code (`vais_std_raise`; its message is in `RAISED`).
    Raised = 16,
    /// `exit(status)` (the status is in `EXIT_STATUS`); raised by the runtime.
    Exit = 17,
}

impl TrapKind {
    /// The kind with this number (as passed through `vais_rt_trap`), if any.
    pub fn from_raw(k: i32) -> Option<TrapKind> {
        use TrapKind::*;
        [DivisionByZero, RemainderByZero, DivisionOverflow, NoMatchArm, UnwrapFailed, Interrupted, StackOverflow, RuntimeBug, ArgvOutOfRange, Raised, Exit]
            .into_iter()
            .find(|t| *t as i32 == k)
    }
}

/// A contained runtime error, with the function and source position where known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub kind: FaultKind,
    pub function: Option<String>,
    pub location: Option<String>,
    /// The JIT frames active at the fault, innermost first (empty when unknown).
    pub backtrace: Backtrace,
}

/// One JIT frame of a backtrace: its function, and the source position (file number as the
/// compiler numbers files, byte offset) of the fault (innermost frame) or of the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BtFrame {
    pub function: String,
    pub position: Option<(u32, u32)>,
}

/// The frames of a fault, innermost first. A very deep stack (a stack overflow) keeps its
/// innermost and outermost frames; `omitted` frames between them are left out, after
/// `frames[..omitted_at]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Backtrace {
    pub frames: Vec<BtFrame>,
    pub omitted_at: usize,
    pub omitted: usize,
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FaultKind::DivisionByZero => write!(f, "division by zero"),
            FaultKind::RemainderByZero => write!(f, "remainder by zero"),
            FaultKind::DivisionOverflow => write!(f, "integer overflow in division"),
            FaultKind::NoMatchArm => write!(f, "no match arm for value"),
            FaultKind::UnwrapFailed => write!(f, "unwrap failed"),
            FaultKind::Interrupted => write!(f, "interrupted"),
            FaultKind::StackOverflow => write!(f, "stack overflow"),
            FaultKind::InvalidMemoryAccess { addr } => write!(f, "invalid memory access at {addr:#x}"),
            FaultKind::IllegalInstruction => write!(f, "illegal instruction"),
            FaultKind::ArithmeticSignal => write!(f, "arithmetic error (division by zero or overflow)"),
            FaultKind::Aborted => write!(f, "the program aborted (SIGABRT)"),
            FaultKind::ArgvOutOfRange { index, count } => {
                write!(f, "argument index out of range: argv({index}) but argc() is {count}")
            }
            FaultKind::RuntimeBug(what) => write!(f, "internal error in the runtime ({what}); this is a bug in vaisc"),
            FaultKind::Raised(msg) => write!(f, "{msg}"),
            FaultKind::Exited(status) => write!(f, "the program exited with status {status}"),
        }
    }
}

/// The user message, without the `runtime error: ` prefix, e.g.
/// ``division by zero in `main` at a.vais:3:5``; `interrupted` alone for Ctrl-C.
impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        if self.kind == FaultKind::Interrupted {
            return Ok(());
        }
        if let Some(func) = &self.function {
            write!(f, " in `{func}`")?;
        }
        if let Some(loc) = &self.location {
            write!(f, " at {loc}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Fault {}

/// Flushes stdout and prints the fault on standard error: `runtime error: <fault>`, or just
/// `interrupted` for Ctrl-C.
pub fn report(fault: &Fault) {
    crate::io::flush_output();
    if let FaultKind::Exited(_) = fault.kind {
        return;
    }
    if fault.kind == FaultKind::Interrupted {
        eprintln!("{fault}");
    } else {
        eprintln!("runtime error: {fault}");
    }
}

// ---------------------------------------------------------------------------------------------
// Tables

struct Tables {
    /// start -> source locations (`file:line:col`) of the fault sites of the code placed there
    /// (and, for a site inside an inlined copy, the function it was inlined from); a site
    /// argument of `vais_rt_trap` indexes its caller's list.
    sites: BTreeMap<usize, Vec<(String, Option<String>)>>,
    /// start -> (len, function)
    code: BTreeMap<usize, (usize, String)>,
    /// start -> line table of the code registered at `start` (see [`register_lines`]).
    lines: BTreeMap<usize, LineTable>,
    /// pc -> (trap kind, site in the function containing pc)
    traps: BTreeMap<usize, (TrapKind, u32)>,
    /// start -> inlined code of the function registered at `start` (see [`register_inlined`]).
    inlined: BTreeMap<usize, Vec<InlinedRange>>,
}

/// Machine code at offsets `start..end` of a function is an inlined copy of other functions:
/// `frames` names them innermost first, each with its source position (file number, byte
/// offset): the innermost one's position is the code's own, each next one's is the call of
/// the one before. The function's own position there (the outermost call) is in its line table.
#[derive(Debug, Clone)]
pub struct InlinedRange {
    pub start: u32,
    pub end: u32,
    pub frames: std::sync::Arc<[(String, u32, u32)]>,
}

/// `(start, end, byte offset)`: machine code at offsets `start..end` of a function was generated
/// for the source position at that byte offset of its file.
pub type SrcRange = (u32, u32, u32);

/// Where a function's machine code comes from: its source file number (as the compiler numbers
/// files; opaque here) and `(start, end, byte offset)` ranges of code offsets, by start.
struct LineTable {
    file: u32,
    ranges: Vec<SrcRange>,
}

static TABLES: Mutex<Tables> = Mutex::new(Tables {
    sites: BTreeMap::new(),
    code: BTreeMap::new(),
    lines: BTreeMap::new(),
    traps: BTreeMap::new(),
    inlined: BTreeMap::new(),
});

fn tables() -> std::sync::MutexGuard<'static, Tables> {
    TABLES.lock().unwrap_or_else(|e| e.into_inner())
}

/// Registers the fault sites of the code registered at `start`: `vais_rt_trap(kind, i)` called
/// from that code, or a trap registered there with site `i`, happened at `locations[i]`
/// (`file:line:col`). Forgotten with the code ([`unregister_code`]).
pub fn register_sites(start: usize, locations: Vec<(String, Option<String>)>) {
    let mut t = tables();
    if t.code.contains_key(&start) && !locations.is_empty() {
        t.sites.insert(start, locations);
    }
}

/// Forgets the code registered at `start` (it was freed): its range, line table, sites and
/// trap instructions.
pub fn unregister_code(start: usize) {
    let mut t = tables();
    let Some((len, _)) = t.code.remove(&start) else { return };
    t.lines.remove(&start);
    t.sites.remove(&start);
    t.inlined.remove(&start);
    let stale: Vec<usize> = t.traps.range(start..start.saturating_add(len)).map(|(&pc, _)| pc).collect();
    for pc in stale {
        t.traps.remove(&pc);
    }
    // The next publication takes the range out of the level holding it (code freed soon
    // after it was placed, like a REPL entry after its run, is in the newest, smallest one)
    // instead of rebuilding every level from the tables: that was linear in the session's
    // code per input.
    let mut p = PENDING.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(i) = p.added.iter().position(|r| r.0 == start) {
        p.added.swap_remove(i);
    } else {
        p.removed.push(start);
    }
    drop(p);
    SNAPSHOT_STALE.store(true, Ordering::SeqCst);
}

/// Code ranges `[start, end)` for signal handlers (which may not lock `TABLES`): published by
/// the outermost protected call when the registered code changed. The ranges are kept in a few
/// sorted runs ("levels", disjoint from each other), each immutable and shared by the
/// snapshots that contain it, every level more than twice as long as the next: a REPL input
/// that adds a few functions publishes a new small level (and merges it into the levels no
/// longer than twice its size), so a publication costs the added code, amortised over the
/// merges, not a copy of every range of the session.
struct RangeSnapshot(Vec<std::sync::Arc<[(usize, usize)]>>);

static SNAPSHOT: std::sync::atomic::AtomicPtr<RangeSnapshot> = std::sync::atomic::AtomicPtr::new(std::ptr::null_mut());
static SNAPSHOT_STALE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

/// Code registered since the last publication (`(start, end)`), whether the next publication
/// must rebuild every level from the tables instead of merging (overlapping code registered,
/// everything cleared), and the starts of published ranges unregistered since.
struct Pending {
    added: Vec<(usize, usize)>,
    rebuild: bool,
    removed: Vec<usize>,
}

static PENDING: Mutex<Pending> = Mutex::new(Pending { added: Vec::new(), rebuild: true, removed: Vec::new() });

/// `levels` without the ranges starting at `removed` (sorted): only the levels holding one are
/// copied; levels left empty go.
fn remove_ranges(levels: Vec<std::sync::Arc<[(usize, usize)]>>, removed: &[usize]) -> Vec<std::sync::Arc<[(usize, usize)]>> {
    if removed.is_empty() {
        return levels;
    }
    let mut out = Vec::with_capacity(levels.len());
    for level in levels {
        let hit = removed.iter().any(|s| level.binary_search_by_key(s, |r| r.0).is_ok());
        if !hit {
            out.push(level);
            continue;
        }
        let kept: Vec<(usize, usize)> = level.iter().copied().filter(|r| removed.binary_search(&r.0).is_err()).collect();
        if !kept.is_empty() {
            out.push(kept.into());
        }
    }
    out
}

/// Merges two sorted runs of disjoint ranges.
fn merge_runs(a: &[(usize, usize)], b: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i].0 <= b[j].0 {
            out.push(a[i]);
            i += 1;
        } else {
            out.push(b[j]);
            j += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// The levels after adding the sorted run `added` to `levels` (see [`RangeSnapshot`]).
fn add_level(mut levels: Vec<std::sync::Arc<[(usize, usize)]>>, added: Vec<(usize, usize)>) -> Vec<std::sync::Arc<[(usize, usize)]>> {
    if added.is_empty() {
        return levels;
    }
    let mut top = added;
    while let Some(last) = levels.last() {
        if last.len() > 2 * top.len() {
            break;
        }
        top = merge_runs(last, &top);
        levels.pop();
    }
    levels.push(top.into());
    levels
}

/// Snapshots replaced by [`publish_code_ranges_while_running`], freed by the next
/// [`publish_code_ranges`] (when no handler can hold one).
static RETIRED: Mutex<Vec<usize>> = Mutex::new(Vec::new());

/// Publishes the registered code ranges for [`in_jit_code`] if they changed. Called when no
/// protected code runs (so no handler can still read the snapshot it replaces).
fn publish_code_ranges() {
    for old in std::mem::take(&mut *RETIRED.lock().unwrap_or_else(|e| e.into_inner())) {
        // SAFETY: a snapshot retired by `publish_code_ranges_while_running` (a `Box::into_raw`
        // pointer, never freed since); no protected code runs now, so no handler holds it.
        drop(unsafe { Box::from_raw(old as *mut RangeSnapshot) });
    }
    publish_ranges(false);
}

/// Publishes code registered while protected code runs (the REPL's tier-up swaps optimised
/// code in at a safe point of the running thread), so that the walk of a later fault in it
/// goes on through it. Call it on the thread running the protected code, outside any
/// handler; the snapshot it replaces stays allocated until the next protected call starts.
pub fn publish_code_ranges_while_running() {
    publish_ranges(true);
}

fn publish_ranges(running: bool) {
    if !SNAPSHOT_STALE.swap(false, Ordering::SeqCst) {
        return;
    }
    let (mut added, rebuild, mut removed) = {
        let mut p = PENDING.lock().unwrap_or_else(|e| e.into_inner());
        (std::mem::take(&mut p.added), std::mem::replace(&mut p.rebuild, false), std::mem::take(&mut p.removed))
    };
    let old = SNAPSHOT.load(Ordering::SeqCst);
    let levels = if rebuild || old.is_null() {
        let all: Vec<(usize, usize)> = tables().code.iter().map(|(&s, &(l, _))| (s, s.saturating_add(l))).collect();
        vec![all.into()]
    } else {
        added.sort_unstable();
        removed.sort_unstable();
        // SAFETY: `old` is the current snapshot; only this function replaces or frees it.
        add_level(remove_ranges(unsafe { (*old).0.clone() }, &removed), added)
    };
    let old = SNAPSHOT.swap(Box::into_raw(Box::new(RangeSnapshot(levels))), Ordering::SeqCst);
    if running {
        if !old.is_null() {
            RETIRED.lock().unwrap_or_else(|e| e.into_inner()).push(old as usize);
        }
        return;
    }
    if !old.is_null() {
        // SAFETY: `old` came from `Box::into_raw` above; no protected code runs now, so no
        // signal handler holds it. (Levels it shares with the new snapshot stay alive.)
        drop(unsafe { Box::from_raw(old) });
    }
}

/// Whether `pc` lies in JIT code registered before the current protected call started.
/// Async-signal-safe (atomics and reads of an immutable snapshot; no reference count changes).
pub(crate) fn in_jit_code(pc: usize) -> bool {
    jit_range(pc).is_some()
}

/// The registered code range (one function's `[start, end)`) that `pc` lies in, among the
/// ranges published before the current protected call started. Async-signal-safe, as
/// [`in_jit_code`].
pub(crate) fn jit_range(pc: usize) -> Option<(usize, usize)> {
    let p = SNAPSHOT.load(Ordering::Acquire);
    if p.is_null() {
        return None;
    }
    // SAFETY: a published snapshot is only freed by `publish_code_ranges`, which runs while no
    // protected code (hence no fault handler) runs.
    unsafe { &(*p).0 }.iter().find_map(|level| range_of(level, pc))
}

/// The one of the sorted, disjoint `[start, end)` ranges that holds `pc` (binary search; no
/// allocation, so a signal handler may call it).
fn range_of(ranges: &[(usize, usize)], pc: usize) -> Option<(usize, usize)> {
    let i = ranges.partition_point(|r| r.0 <= pc);
    (i > 0 && pc < ranges[i - 1].1).then(|| ranges[i - 1])
}

#[cfg(test)]
fn in_ranges(ranges: &[(usize, usize)], pc: usize) -> bool {
    range_of(ranges, pc).is_some()
}

/// Registers the machine code range `[start, start + len)` of the JIT function `function`.
/// Ranges already registered that overlap it are forgotten (code was freed and reused). An
/// empty `function` marks a transparent helper (a REPL closure's adapter): a fault's walk goes
/// on through its frame, and backtraces leave it out.
pub fn register_code(start: usize, len: usize, function: String) {
    let mut t = tables();
    let end = start.saturating_add(len);
    // Registered ranges are disjoint, so their ends grow with their starts: walking down from
    // the last one starting before `end`, the first that ends at or before `start` ends the
    // overlap. (A forward filter over `..end` visited every range below: linear per function
    // once new code lands above old code, as the linker's packed memory places it.)
    let overlapping: Vec<usize> = t
        .code
        .range(..end)
        .rev()
        .take_while(|(&s, &(l, _))| s.saturating_add(l) > start)
        .map(|(&s, _)| s)
        .collect();
    let removed_any = !overlapping.is_empty();
    for s in overlapping {
        t.code.remove(&s);
        t.lines.remove(&s);
        t.inlined.remove(&s);
        t.sites.remove(&s);
    }
    let stale: Vec<usize> = t.traps.range(start..end).map(|(&pc, _)| pc).collect();
    for pc in stale {
        t.traps.remove(&pc);
    }
    t.code.insert(start, (len.max(1), function));
    let mut p = PENDING.lock().unwrap_or_else(|e| e.into_inner());
    if removed_any {
        p.rebuild = true;
    } else {
        p.added.push((start, end));
    }
    SNAPSHOT_STALE.store(true, Ordering::SeqCst);
}

/// Registers the line table of the code registered at `start`: `file` is its source file
/// number as the compiler numbers files, and each `(start, end, byte offset)` range of code
/// offsets (sorted, disjoint) was generated for that byte offset of the file.
pub fn register_lines(start: usize, file: u32, ranges: Vec<SrcRange>) {
    let mut t = tables();
    if t.code.contains_key(&start) {
        t.lines.insert(start, LineTable { file, ranges });
    }
}

/// Registers the inlined code of the function registered at `start` (ranges sorted by start,
/// disjoint; see [`InlinedRange`]).
pub fn register_inlined(start: usize, ranges: Vec<InlinedRange>) {
    let mut t = tables();
    if t.code.contains_key(&start) && !ranges.is_empty() {
        t.inlined.insert(start, ranges);
    }
}

/// The inlined frames at offset `off` of the code registered at `start`, innermost first
/// (empty when that code is the function's own). As for positions, code without a row of its
/// own belongs to the row before it.
fn inlined_at(t: &Tables, start: usize, off: u32) -> &[(String, u32, u32)] {
    let Some(rs) = t.inlined.get(&start) else { return &[] };
    let Some(lt) = t.lines.get(&start) else { return &[] };
    let Some(row) = lt.ranges.partition_point(|r| r.0 <= off).checked_sub(1).map(|i| lt.ranges[i]) else { return &[] };
    let off = row.0;
    let i = rs.partition_point(|r| r.start <= off);
    match i.checked_sub(1).map(|i| &rs[i]) {
        Some(r) if off < r.end => &r.frames,
        _ => &[],
    }
}

/// The inlined code of the function registered at `start` (see [`register_inlined`]), by
/// start offset; empty when nothing was inlined into it.
pub fn inlined_of(start: usize) -> Vec<InlinedRange> {
    tables().inlined.get(&start).cloned().unwrap_or_default()
}

/// The Vais frames one machine frame at `pc` stands for, innermost first: the copies inlined
/// at that point (each with its own source position), then the function itself (with its
/// position there, the outermost call's). `is_return` says `pc` is a return address (the call
/// before it is looked up). `None` when `pc` is not in registered JIT code.
pub fn frames_at(pc: usize, is_return: bool) -> Option<Vec<BtFrame>> {
    let f = machine_frame(&tables(), pc, is_return);
    (!f.is_empty()).then_some(f)
}

/// See [`frames_at`] (empty outside JIT code).
fn machine_frame(t: &Tables, addr: usize, is_return: bool) -> Vec<BtFrame> {
    let pc = if is_return { addr.wrapping_sub(1) } else { addr };
    let Some((&start, (len, name))) = t.code.range(..=pc).next_back() else { return vec![] };
    if pc >= start + len {
        return vec![];
    }
    if name.is_empty() {
        // A transparent helper (see `register_code`).
        return vec![];
    }
    let off = (pc - start) as u32;
    let mut out: Vec<BtFrame> =
        inlined_at(t, start, off).iter().map(|(f, file, o)| BtFrame { function: f.clone(), position: Some((*file, *o)) }).collect();
    out.push(BtFrame { function: name.clone(), position: position_in(t, start, off) });
    out
}

/// The JIT code at `pc`: its function, and its source position as (file number, byte offset)
/// when its line table has a row at or before `pc`. As in a DWARF line program, a row covers
/// the code up to the next row: code the optimiser made without a position of its own (moves,
/// rewritten arithmetic) belongs to the position before it.
pub fn source_at(pc: usize) -> Option<(String, Option<(u32, u32)>)> {
    let t = tables();
    let (&start, (len, name)) = t.code.range(..=pc).next_back()?;
    if pc >= start + len {
        return None;
    }
    Some((name.clone(), position_in(&t, start, (pc - start) as u32)))
}

/// The source position of offset `off` in the code registered at `start` (see [`source_at`]).
/// The prologue, before the first row, belongs to the first row's position: a stack overflow
/// faults there as often as at the caller's call instruction, depending only on where the
/// guard page falls, and must name a line either way.
fn position_in(t: &Tables, start: usize, off: u32) -> Option<(u32, u32)> {
    let lt = t.lines.get(&start)?;
    let i = lt.ranges.partition_point(|r| r.0 <= off);
    let r = lt.ranges.get(i.saturating_sub(1))?;
    Some((lt.file, r.2))
}

/// The line table of the code registered at `start`: (file number, ranges), see
/// [`register_lines`].
pub fn lines_of(start: usize) -> Option<(u32, Vec<SrcRange>)> {
    tables().lines.get(&start).map(|lt| (lt.file, lt.ranges.clone()))
}

/// Registers a trap instruction at address `pc` (from Cranelift's `traps()` offsets plus the
/// function's address): a SIGILL/SIGFPE/SIGTRAP there is reported as `vais_rt_trap(kind, site)`
/// called from there would be (`site` indexes the function's [`register_sites`] list).
/// Call after [`register_code`] for the same function.
pub fn register_trap(pc: usize, kind: TrapKind, site: u32) {
    tables().traps.insert(pc, (kind, site));
}

/// Forgets every code range and trap (REPL `:clear`).
pub fn clear_code() {
    let mut t = tables();
    t.code.clear();
    t.lines.clear();
    t.traps.clear();
    t.inlined.clear();
    t.sites.clear();
    PENDING.lock().unwrap_or_else(|e| e.into_inner()).rebuild = true;
    SNAPSHOT_STALE.store(true, Ordering::SeqCst);
}

/// The fault site `index` of the code containing `pc`: (function, location).
pub fn site(pc: usize, index: i64) -> Option<(String, String)> {
    let t = tables();
    site_in(&t, pc, index)
}

fn site_in(t: &Tables, pc: usize, index: i64) -> Option<(String, String)> {
    let (&start, (len, name)) = t.code.range(..=pc).next_back()?;
    if pc >= start + len {
        return None;
    }
    let (loc, inlined) = t.sites.get(&start)?.get(usize::try_from(index).ok()?)?;
    Some((inlined.as_ref().unwrap_or(name).clone(), loc.clone()))
}

/// The entry of the JIT code the current protected call runs (`set_entry_function`), or 0
/// (each protected call starts with 0, so a freed wrapper is never read).
static ENTRY: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Tells the fault and profiler walks which JIT function the host calls into (its outermost
/// frame returns into host code, so no call instruction there names it).
pub fn set_entry_function(entry: usize) {
    ENTRY.store(entry, Ordering::Relaxed);
}

/// The function the entry wrapper (`set_entry_function`; generated code, but no registered
/// function) called, when `ret` is the return address of that call: a direct call whose
/// target is a registered function's start. Async-signal-safe.
pub(crate) fn entry_callee(ret: usize) -> Option<usize> {
    const PAGE: usize = 4096;
    let entry = ENTRY.load(Ordering::Relaxed);
    // Only bytes on the wrapper's first page are read: that page is mapped (the wrapper runs),
    // whatever follows it. (A wrapper is a few instructions.)
    if entry == 0 || ret < entry.saturating_add(5) || (ret - 1) / PAGE != entry / PAGE || in_jit_code(ret - 1) {
        return None;
    }
    // SAFETY: `ret - 5 .. ret` lies on the running wrapper's first page (checked above), which
    // is mapped while it runs; unaligned bytes are read as bytes.
    let bytes: [u8; 5] = unsafe { std::ptr::read_unaligned((ret - 5) as *const [u8; 5]) };
    call_target(bytes, ret)
}

/// The registered function a `call rel32` (`bytes`, returning to `ret`) calls.
fn call_target(bytes: [u8; 5], ret: usize) -> Option<usize> {
    if bytes[0] != 0xE8 {
        return None;
    }
    let rel = i32::from_le_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]);
    let target = (ret as isize).wrapping_add(rel as isize) as usize;
    (jit_range(target)?.0 == target).then_some(target)
}

/// The JIT function a direct call (`call rel32`, how JIT code calls JIT code) returning to
/// `ret` called: its entry address, if the five bytes before `ret` in JIT code are such a
/// call and its target is where a registered function starts. Async-signal-safe (reads of
/// registered code and of the published ranges).
pub(crate) fn direct_callee(ret: usize) -> Option<usize> {
    let at = ret.checked_sub(5)?;
    if at < jit_range(ret - 1)?.0 {
        return None;
    }
    // SAFETY: both ends of the five bytes lie in registered JIT code, which stays mapped
    // (readable and executable) while it is registered; unaligned bytes are read as bytes.
    let bytes: [u8; 5] = unsafe { std::ptr::read_unaligned(at as *const [u8; 5]) };
    call_target(bytes, ret)
}

/// The registered JIT function whose code contains `pc`.
pub fn function_at(pc: usize) -> Option<String> {
    lookup_code(&tables(), pc)
}

/// Every registered JIT code range as `(start, len, function)`, by address.
pub fn code_ranges() -> Vec<(usize, usize, String)> {
    tables().code.iter().map(|(&s, (l, n))| (s, *l, n.clone())).collect()
}

fn lookup_code(t: &Tables, pc: usize) -> Option<String> {
    let (&start, (len, name)) = t.code.range(..=pc).next_back()?;
    (pc < start + len).then(|| name.clone())
}

/// Maps a `vais_rt_trap` kind to a fault kind.
fn trap_kind(kind: Option<TrapKind>) -> FaultKind {
    match kind {
        Some(TrapKind::RuntimeBug) => {
            let what = BUILTIN_PANIC.lock().unwrap_or_else(|e| e.into_inner()).take();
            FaultKind::RuntimeBug(what.unwrap_or_else(|| "a built-in panicked".to_string()))
        }
        Some(TrapKind::Raised) => {
            let msg = RAISED.lock().unwrap_or_else(|e| e.into_inner()).take();
            FaultKind::Raised(msg.unwrap_or_else(|| "runtime error raised".to_string()))
        }
        Some(TrapKind::ArgvOutOfRange) => FaultKind::ArgvOutOfRange {
            index: crate::args::ARGV_INDEX.load(Ordering::SeqCst),
            count: crate::args::ARGV_COUNT.load(Ordering::SeqCst),
        },
        Some(TrapKind::DivisionByZero) => FaultKind::DivisionByZero,
        Some(TrapKind::RemainderByZero) => FaultKind::RemainderByZero,
        Some(TrapKind::DivisionOverflow) => FaultKind::DivisionOverflow,
        Some(TrapKind::NoMatchArm) => FaultKind::NoMatchArm,
        Some(TrapKind::UnwrapFailed) => FaultKind::UnwrapFailed,
        Some(TrapKind::Interrupted) => FaultKind::Interrupted,
        Some(TrapKind::Exit) => FaultKind::Exited(EXIT_STATUS.load(Ordering::SeqCst)),
        Some(TrapKind::StackOverflow) => FaultKind::StackOverflow,
        None => FaultKind::IllegalInstruction,
    }
}

/// The fault of trap `kind` at fault site `site` of the code containing `pc`.
fn fault_from_trap(t: &Tables, kind: Option<TrapKind>, site: i64, pc: usize) -> Fault {
    let (function, location) = match site_in(t, pc, site) {
        Some((f, l)) => (Some(f), Some(l)),
        None => (None, None),
    };
    Fault { kind: trap_kind(kind), function, location, backtrace: Backtrace::default() }
}

/// Room below which the stack is considered exhausted.
const STACK_MARGIN: usize = 128 * 1024;
/// Faulting addresses this far below the usable stack still count as stack overflow (the guard
/// region below the stack protected code runs on, and below a prepared thread's own stack).
const GUARD_SIZE: usize = crate::jitstack::GUARD_SIZE;

/// Builds the fault from the raw record left by the signal handler / `vais_rt_trap`, with the
/// backtrace of its JIT frames.
fn take_fault() -> Fault {
    let mut fault = take_fault_kind();
    fault.backtrace = backtrace(&tables());
    if fault.location.is_none() && fault.function.is_some() {
        // A signal fault (no trap site): the innermost Vais frame, an inlined copy included.
        if let Some(f) = fault.backtrace.frames.first() {
            fault.function = Some(f.function.clone());
        }
    }
    fault
}

/// The JIT frames of the recorded walk: the faulting instruction (`RECORD.pc`), then the
/// return addresses, each named with its function and source position. Frames outside JIT
/// code (runtime, libc) are left out.
fn backtrace(t: &Tables) -> Backtrace {
    let r = &RECORD;
    let total = r.nframes.load(Ordering::SeqCst);
    let head = total.min(signals::MAX_FRAMES);
    let tail = total.saturating_sub(signals::MAX_FRAMES).min(signals::MAX_FRAMES);
    // One machine frame, as the Vais frames it stands for: the copies inlined at that point
    // (innermost first), then the function itself.
    let frame = |addr: usize, is_return: bool| machine_frame(t, addr, is_return);
    let mut frames: Vec<BtFrame> = frame(r.pc.load(Ordering::SeqCst), false);
    frames.extend((0..head).flat_map(|i| frame(r.frames[i].load(Ordering::Relaxed), true)));
    let omitted_at = frames.len();
    let first_tail = total - tail;
    frames.extend((first_tail..total).flat_map(|i| frame(r.tail[i % signals::MAX_FRAMES].load(Ordering::Relaxed), true)));
    Backtrace { frames, omitted_at, omitted: first_tail - head }
}

fn take_fault_kind() -> Fault {
    let r = &RECORD;
    let kind = r.kind.swap(0, Ordering::SeqCst);
    let t = tables();
    if kind < SIGNAL_BASE {
        return fault_from_trap(&t, TrapKind::from_raw(kind), r.site.load(Ordering::SeqCst), r.pc.load(Ordering::SeqCst));
    }
    let sig = kind - SIGNAL_BASE;
    let addr = r.addr.load(Ordering::SeqCst);
    let pc = r.pc.load(Ordering::SeqCst);
    let sp = r.sp.load(Ordering::SeqCst);
    let n = r.nframes.load(Ordering::SeqCst).min(signals::MAX_FRAMES);
    let mut function = lookup_code(&t, pc);
    if function.is_none() {
        function = (0..n).find_map(|i| {
            let ret = r.frames[i].load(Ordering::Relaxed);
            lookup_code(&t, ret.wrapping_sub(1))
        });
    }
    if sig == libc::SIGABRT {
        return Fault { kind: FaultKind::Aborted, function, location: None, backtrace: Backtrace::default() };
    }
    if let Some(&(k, site)) = t.traps.get(&pc) {
        if sig != libc::SIGSEGV && sig != libc::SIGBUS {
            let mut f = fault_from_trap(&t, Some(k), site as i64, pc);
            if f.function.is_none() {
                f.function = function;
            }
            return f;
        }
    }
    let (lo, _) = BOUNDS.with(|b| b.get());
    let near_bottom = |a: usize| a >= lo.saturating_sub(GUARD_SIZE + 1024 * 1024) && a < lo + STACK_MARGIN;
    let kind = if sig == libc::SIGSEGV || sig == libc::SIGBUS {
        if lo != 0 && (near_bottom(addr) || near_bottom(sp)) {
            FaultKind::StackOverflow
        } else {
            FaultKind::InvalidMemoryAccess { addr }
        }
    } else if lo != 0 && sp < lo + 2 * STACK_MARGIN + 64 * 1024 && sp >= lo.saturating_sub(GUARD_SIZE) {
        // A trap with the stack (nearly) exhausted: Cranelift's stack-limit check.
        FaultKind::StackOverflow
    } else if sig == libc::SIGFPE {
        FaultKind::ArithmeticSignal
    } else {
        FaultKind::IllegalInstruction
    };
    Fault { kind, function, location: None, backtrace: Backtrace::default() }
}

// ---------------------------------------------------------------------------------------------
// Runtime errors raised by JIT code

/// Runtime error raised by JIT code. `kind`: a [`TrapKind`] number. `site`: an index into the
/// fault sites registered for the calling function ([`register_sites`]), or -1.
///
/// Flushes output, then unwinds to the innermost `run_protected`, which returns `Err(Fault)`.
/// Outside any protected call it prints `runtime error: ...` on stderr and exits with status 101.
#[cfg(target_arch = "x86_64")]
#[unsafe(naked)]
#[no_mangle]
pub extern "C" fn vais_rt_trap(kind: i32, site: i64) -> ! {
    // Passes the caller's frame pointer (JIT code keeps rbp as one) and return address on to
    // `trap_from`, as its third and fourth arguments; the stack is as at the call, so
    // `trap_from` runs as if JIT code had called it.
    core::arch::naked_asm!("mov rdx, rbp", "mov rcx, [rsp]", "jmp {target}", target = sym trap_from)
}

/// `vais_rt_trap` where a naked entry is not written: no backtrace.
#[cfg(not(target_arch = "x86_64"))]
#[no_mangle]
pub extern "C" fn vais_rt_trap(kind: i32, site: i64) -> ! {
    trap_from(kind, site, 0, 0)
}

/// The body of `vais_rt_trap`, called with the frame pointer and return address of its caller.
extern "C" fn trap_from(kind: i32, site: i64, fp: usize, ret: usize) -> ! {
    crate::io::flush_output();
    if signals::protect_active() {
        // The call instruction is the faulting one; the walk from the caller's frame gives its
        // callers.
        RECORD.pc.store(ret.wrapping_sub(1), Ordering::SeqCst);
        let marker = 0u8;
        signals::record_frames(fp, &marker as *const u8 as usize);
        RECORD.site.store(site, Ordering::SeqCst);
        RECORD.kind.store(kind, Ordering::SeqCst);
        // SAFETY: inside a protected call on this thread (checked above); no value with a
        // destructor is live in this frame.
        unsafe { signals::vais_protect_jump() }
    }
    let fault = fault_from_trap(&tables(), TrapKind::from_raw(kind), site, ret.wrapping_sub(1));
    report(&fault);
    std::process::exit(101)
}

/// The status of the last `exit` inside a protected call (see [`exit_protected`]).
static EXIT_STATUS: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

/// `exit(status)` called by the program: inside a protected call, ends it with
/// [`FaultKind::Exited`] (the caller ends the process after its own reports); outside one,
/// returns and the caller exits at once.
pub(crate) fn exit_protected(status: i32) {
    if signals::protect_active() {
        EXIT_STATUS.store(status & 0xff, Ordering::SeqCst);
        trap_from(TrapKind::Exit as i32, -1, 0, 0)
    }
}

/// `vais_rt_trap` kind of a runtime error raised by library code (its message is in [`RAISED`];
/// a number well apart from the JIT's own kinds, which grow from 1).
const TRAP_RAISED: i32 = TrapKind::Raised as i32;

/// The message of the last error raised by [`raise_from`], taken by the fault report.
static RAISED: Mutex<Option<String>> = Mutex::new(None);

/// Raises a runtime error with `msg` as if JIT code had trapped at the call whose frame
/// pointer is `fp` and return address `ret` (see `stdlib::vais_std_raise`): same report,
/// backtrace and exit status as every other runtime error.
pub(crate) fn raise_from(msg: String, fp: usize, ret: usize) -> ! {
    *RAISED.lock().unwrap_or_else(|e| e.into_inner()) = Some(msg);
    trap_from(TRAP_RAISED, -1, fp, ret)
}

/// The message of the last panic caught by [`guard`], taken by the fault report.
static BUILTIN_PANIC: Mutex<Option<String>> = Mutex::new(None);

/// Runs the body of the `extern "C"` built-in `builtin`. A Rust panic there cannot unwind
/// into JIT code (it would abort the whole process, a REPL session with it): it is caught
/// here and reported as a runtime error (`internal error in the runtime (...)`), contained by
/// [`run_protected`] like any other. Built-ins never panic on purpose; this is the safety net.
/// Always inlined, so that a profile or a backtrace names the built-in (`vais_malloc`), not
/// this wrapper (which appeared as `vais_runtime::faults::guard`, 11% of `bench/bintrees`,
/// as if catching panics cost time: it costs nothing until one is thrown).
#[inline(always)]
pub fn guard<R>(builtin: &'static str, f: impl FnOnce() -> R) -> R {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            let msg = if let Some(s) = payload.downcast_ref::<&str>() {
                (*s).to_string()
            } else if let Some(s) = payload.downcast_ref::<String>() {
                s.clone()
            } else {
                "panic".to_string()
            };
            drop(payload);
            let what = format!("`{builtin}`: {msg}");
            drop(msg);
            *BUILTIN_PANIC.lock().unwrap_or_else(|e| e.into_inner()) = Some(what);
            // Nothing with a destructor is live here any more.
            vais_rt_trap(TrapKind::RuntimeBug as i32, -1)
        }
    }
}

/// Traps with "stack overflow" when the worker's stack has less than 128 KiB left (called by
/// the built-ins before entering C stdio, so stdio is never abandoned mid-call by a stack fault).
pub(crate) fn check_stack() {
    if !IS_WORKER.with(|w| w.get()) {
        return;
    }
    let marker = 0u8;
    let sp = &marker as *const u8 as usize;
    let (lo, _) = BOUNDS.with(|b| b.get());
    if lo != 0 && sp < lo + STACK_MARGIN {
        vais_rt_trap(7, -1);
    }
}

/// Bytes of stack left below the caller on a prepared thread (`None` elsewhere): code called
/// from JIT code that needs room (the REPL's tier-up translating a function) can decline when
/// a deep recursion has used the stack up, instead of overflowing it itself.
pub fn stack_room() -> Option<usize> {
    if !IS_WORKER.with(|w| w.get()) {
        return None;
    }
    let marker = 0u8;
    let sp = &marker as *const u8 as usize;
    let (lo, _) = BOUNDS.with(|b| b.get());
    (lo != 0).then(|| sp.saturating_sub(lo))
}

// ---------------------------------------------------------------------------------------------
// Interrupts

/// Returns true (and clears it) if SIGINT arrived since the last call. Requires
/// [`install_interrupt_handler`].
pub fn take_interrupt() -> bool {
    signals::PENDING_INTERRUPT.swap(false, Ordering::SeqCst)
}

// ---------------------------------------------------------------------------------------------
// Prepared threads: the worker and `run_on_big_stack` threads

thread_local! {
    /// Set on a prepared thread (256 MiB stack, 16 MiB guard, alternate signal stack): the
    /// worker, or a thread started by `run_on_big_stack`. `run_protected` runs inline there.
    static IS_WORKER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Usable bounds `(lo, hi)` of the stack protected code runs on, on this prepared thread.
    static BOUNDS: std::cell::Cell<(usize, usize)> = const { std::cell::Cell::new((0, 0)) };
    /// Whether that stack is a mapping of its own (`jitstack`), switched to by each outermost
    /// protected call, rather than the thread's own stack.
    static SEPARATE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Nesting depth of protected calls on this thread.
    static DEPTH: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    /// Set on a prepared thread after a stack overflow (with the time): the touched stack pages
    /// are given back later (by the idle worker, or at the next protected call on a
    /// `run_on_big_stack` thread).
    static STACK_DIRTY: std::cell::Cell<Option<std::time::Instant>> = const { std::cell::Cell::new(None) };
}

/// Serialises outermost protected calls across threads (the fault record, the published stack
/// bounds and the interrupt flag are process-wide).
static RUN_LOCK: Mutex<()> = Mutex::new(());

type Job = Box<dyn FnOnce() + Send>;

static WORKER: Mutex<Option<mpsc::Sender<Job>>> = Mutex::new(None);

/// Usable stack of the worker thread and of `run_on_big_stack` threads.
pub const WORKER_STACK_SIZE: usize = 256 * 1024 * 1024;

/// How long a prepared thread waits after a stack overflow before giving the stack pages back
/// (not after every overflow: re-faulting 256 MiB of pages would make a burst slow).
const RELEASE_DELAY: std::time::Duration = std::time::Duration::from_millis(300);

/// Marks the calling thread as prepared; returns what to tear down when it ends.
fn prepare_current_thread() -> signals::Prepared {
    let prepared = signals::setup_prepared_thread(WORKER_STACK_SIZE);
    BOUNDS.with(|b| b.set((prepared.lo, prepared.hi)));
    SEPARATE.with(|s| s.set(prepared.stack.is_some()));
    IS_WORKER.with(|w| w.set(true));
    prepared
}

fn unprepare_current_thread(prepared: signals::Prepared) {
    IS_WORKER.with(|w| w.set(false));
    BOUNDS.with(|b| b.set((0, 0)));
    SEPARATE.with(|s| s.set(false));
    STACK_DIRTY.with(|d| d.set(None));
    signals::teardown_prepared_thread(prepared);
}

extern "C" fn worker_main(arg: *mut libc::c_void) -> *mut libc::c_void {
    // SAFETY: `arg` is the `Box<Receiver<Job>>` leaked by `spawn_worker` for this thread.
    let rx = unsafe { Box::from_raw(arg as *mut mpsc::Receiver<Job>) };
    let _prepared = prepare_current_thread();
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        loop {
            // After a stack overflow, give the touched stack pages back once the worker has
            // been idle for a moment.
            let job = if STACK_DIRTY.with(|d| d.get()).is_some() {
                match rx.recv_timeout(RELEASE_DELAY) {
                    Ok(job) => job,
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        release_stack();
                        STACK_DIRTY.with(|d| d.set(None));
                        continue;
                    }
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                }
            } else {
                match rx.recv() {
                    Ok(job) => job,
                    Err(_) => break,
                }
            };
            job();
        }
    }));
    std::ptr::null_mut()
}

/// Creates a thread with the prepared-thread stack (`WORKER_STACK_SIZE`, `GUARD_SIZE` guard)
/// running `start(arg)`. Returns the thread id, or the pthread error.
///
/// # Safety
/// `start` must take ownership of `arg` as it expects.
unsafe fn create_big_thread(
    start: extern "C" fn(*mut libc::c_void) -> *mut libc::c_void,
    arg: *mut libc::c_void,
    detached: bool,
) -> Result<libc::pthread_t, i32> {
    // SAFETY: standard pthread creation with an initialised attribute object.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        libc::pthread_attr_init(&mut attr);
        libc::pthread_attr_setstacksize(&mut attr, WORKER_STACK_SIZE);
        libc::pthread_attr_setguardsize(&mut attr, GUARD_SIZE);
        let state = if detached { libc::PTHREAD_CREATE_DETACHED } else { libc::PTHREAD_CREATE_JOINABLE };
        libc::pthread_attr_setdetachstate(&mut attr, state);
        let mut tid: libc::pthread_t = std::mem::zeroed();
        let rc = libc::pthread_create(&mut tid, &attr, start, arg);
        libc::pthread_attr_destroy(&mut attr);
        if rc == 0 {
            Ok(tid)
        } else {
            Err(rc)
        }
    }
}

fn spawn_worker() -> mpsc::Sender<Job> {
    let (tx, rx) = mpsc::channel::<Job>();
    let arg = Box::into_raw(Box::new(rx)) as *mut libc::c_void;
    // SAFETY: `worker_main` takes ownership of `arg`, a leaked `Box<Receiver<Job>>`.
    if let Err(rc) = unsafe { create_big_thread(worker_main, arg, true) } {
        // SAFETY: the thread was not created, so `arg` is still ours.
        drop(unsafe { Box::from_raw(arg as *mut mpsc::Receiver<Job>) });
        panic!("vais-runtime: cannot create the worker thread (error {rc})");
    }
    tx
}

struct BigStackCtx<F, R> {
    f: Option<F>,
    out: Option<std::thread::Result<R>>,
}

extern "C" fn big_stack_main<F: FnOnce() -> R, R>(arg: *mut libc::c_void) -> *mut libc::c_void {
    // SAFETY: `arg` is the `BigStackCtx<F, R>` on the stack of `run_on_big_stack`, which waits
    // in `pthread_join` until this thread ends.
    let ctx = unsafe { &mut *(arg as *mut BigStackCtx<F, R>) };
    let prepared = prepare_current_thread();
    if let Some(f) = ctx.f.take() {
        ctx.out = Some(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
    }
    unprepare_current_thread(prepared);
    std::ptr::null_mut()
}

/// Runs `f` on a new prepared thread (256 MiB stack, 16 MiB guard region known to the fault
/// handler, alternate signal stack) and waits for it. Every [`run_protected`] call made on that
/// thread (at any depth) runs inline there: no handoff to the worker, so a protected call costs
/// about as much as a function call. Intended for a program's whole body (e.g. a REPL's `main`).
/// A panic in `f` is propagated. If the thread cannot be created, `f` runs on the calling
/// thread (and `run_protected` falls back to the worker). Called on a prepared thread, it just
/// runs `f`.
pub fn run_on_big_stack<R: Send + 'static, F: FnOnce() -> R + Send + 'static>(f: F) -> R {
    if IS_WORKER.with(|w| w.get()) {
        return f();
    }
    signals::install_fault_handlers();
    let mut ctx = BigStackCtx { f: Some(f), out: None };
    let arg = &mut ctx as *mut BigStackCtx<F, R> as *mut libc::c_void;
    // SAFETY: `big_stack_main` only borrows `ctx`, which outlives the thread (joined below).
    let created = unsafe { create_big_thread(big_stack_main::<F, R>, arg, false) };
    match created {
        Ok(tid) => {
            // SAFETY: `tid` is a joinable thread we created and join exactly once.
            let rc = unsafe { libc::pthread_join(tid, std::ptr::null_mut()) };
            if rc != 0 {
                // `ctx` must outlive the thread; this cannot normally happen.
                eprintln!("vais-runtime: cannot join the big-stack thread (error {rc})");
                std::process::abort();
            }
        }
        Err(_) => {
            let f = ctx.f.take().expect("the big-stack thread did not start");
            return f();
        }
    }
    match ctx.out.take() {
        Some(Ok(r)) => r,
        Some(Err(panic)) => std::panic::resume_unwind(panic),
        None => panic!("vais-runtime: the big-stack thread produced nothing"),
    }
}

/// Runs `f` on the calling thread, prepared as a [`run_on_big_stack`] thread is (alternate
/// signal stack, stack bounds known to the fault handler) but with the stack it has: for a
/// built executable's main thread once its stack limit allows [`WORKER_STACK_SIZE`]. No second
/// thread is created, so a single-threaded program keeps the C library's single-thread fast
/// paths (glibc's malloc and free take no locks and no atomic instructions then: a
/// malloc-bound program ran about 2x slower on a second thread). A panic in `f` is propagated.
pub fn run_on_this_thread<R>(f: impl FnOnce() -> R) -> R {
    if IS_WORKER.with(|w| w.get()) {
        return f();
    }
    signals::install_fault_handlers();
    let prepared = prepare_current_thread();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    unprepare_current_thread(prepared);
    match r {
        Ok(r) => r,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// The top of the stack protected code runs on when called on this thread (a prepared one),
/// for walks of its frames; `None` on other threads.
pub(crate) fn protected_stack_top() -> Option<usize> {
    let (lo, hi) = BOUNDS.with(|b| b.get());
    (IS_WORKER.with(|w| w.get()) && lo != 0).then_some(hi)
}

/// True on a prepared thread (the worker or a [`run_on_big_stack`] thread), where
/// [`run_protected`] runs inline.
pub fn on_prepared_thread() -> bool {
    IS_WORKER.with(|w| w.get())
}

struct Ctx<F, R> {
    f: Option<F>,
    out: Option<std::thread::Result<R>>,
}

extern "C" fn trampoline<F: FnOnce() -> R, R>(ctx: *mut libc::c_void) {
    // SAFETY: `ctx` is the `Ctx<F, R>` that `execute` passed to `vais_protected_call`.
    let ctx = unsafe { &mut *(ctx as *mut Ctx<F, R>) };
    if let Some(f) = ctx.f.take() {
        ctx.out = Some(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
    }
}

/// Runs `f` protected on the current (prepared) thread.
fn execute<R, F: FnOnce() -> R>(f: F) -> Result<std::thread::Result<R>, Fault> {
    let depth = DEPTH.with(|d| d.get());
    let outer = depth == 0;
    let mut guard = None;
    if outer {
        guard = Some(RUN_LOCK.lock().unwrap_or_else(|e| e.into_inner()));
        // On a `run_on_big_stack` thread, give back the pages of an earlier stack overflow
        // (the worker does this while idle instead). The current frame is shallow.
        if let Some(t) = STACK_DIRTY.with(|d| d.get()) {
            if t.elapsed() >= RELEASE_DELAY {
                release_stack();
                STACK_DIRTY.with(|d| d.set(None));
            }
        }
        let (lo, hi) = BOUNDS.with(|b| b.get());
        signals::publish_stack(lo, hi);
        publish_code_ranges();
        crate::VAIS_INTERRUPT_FLAG.store(0, Ordering::SeqCst);
        RECORD.kind.store(0, Ordering::SeqCst);
        signals::protected_run_state(true);
        RUNNING.store(true, Ordering::SeqCst);
    }
    DEPTH.with(|d| d.set(depth + 1));
    let mut ctx: Ctx<F, R> = Ctx { f: Some(f), out: None };
    // The outermost call moves to the separate stack (nested ones are already on it).
    let stack_top = if outer && SEPARATE.with(|s| s.get()) { BOUNDS.with(|b| b.get()).1 & !15 } else { 0 };
    // SAFETY: `trampoline::<F, R>` matches `ctx`'s type; see the module docs for the rules the
    // closure follows across the longjmp. `stack_top` is 0 or the top of this thread's separate
    // stack, on which nothing runs (this is the outermost protected call).
    let rc = unsafe {
        signals::vais_protected_call(trampoline::<F, R>, &mut ctx as *mut Ctx<F, R> as *mut libc::c_void, stack_top as *mut libc::c_void)
    };
    DEPTH.with(|d| d.set(depth));
    let result = if rc == 0 && outer && matches!(ctx.out, Some(Ok(_))) && crate::VAIS_INTERRUPT_FLAG.load(Ordering::SeqCst) != 0 {
        // Ctrl-C arrived after the last poll (e.g. during a final blocking C call): the input
        // was interrupted all the same.
        crate::io::flush_output();
        Err(Fault { kind: FaultKind::Interrupted, function: None, location: None, backtrace: Backtrace::default() })
    } else if rc == 0 {
        Ok(ctx.out.take().expect("protected closure did not run"))
    } else {
        crate::io::flush_output();
        let fault = take_fault();
        if fault.kind == FaultKind::StackOverflow {
            STACK_DIRTY.with(|d| d.set(Some(std::time::Instant::now())));
        }
        Err(fault)
    };
    if outer {
        RUNNING.store(false, Ordering::SeqCst);
        signals::protected_run_state(false);
        crate::VAIS_INTERRUPT_FLAG.store(0, Ordering::SeqCst);
        if matches!(&result, Err(f) if f.kind == FaultKind::Interrupted) {
            // A write cut short by EINTR left stdout's error flag set.
            crate::io::clear_output_error();
        }
    }
    drop(guard);
    result
}

/// Gives the pages of this prepared thread's stack touched by a runaway recursion back to the
/// system (called outside protected calls, with a shallow stack).
fn release_stack() {
    let (lo, hi) = BOUNDS.with(|b| b.get());
    if SEPARATE.with(|s| s.get()) && lo != 0 {
        // SAFETY: `[lo, hi)` is this thread's separate stack, on which nothing runs outside
        // protected calls; MADV_DONTNEED makes its pages zero-filled on demand.
        unsafe {
            libc::madvise(lo as *mut libc::c_void, hi - lo, libc::MADV_DONTNEED);
        }
        return;
    }
    let marker = 0u8;
    let sp = &marker as *const u8 as usize;
    let top = (sp.saturating_sub(256 * 1024)) & !4095;
    if lo != 0 && top > lo {
        // SAFETY: `[lo, top)` is part of this thread's own stack, well below every live frame
        // (256 KiB below the current one); MADV_DONTNEED makes those pages zero-filled on demand.
        unsafe {
            libc::madvise(lo as *mut libc::c_void, top - lo, libc::MADV_DONTNEED);
        }
    }
}

/// Runs `f` inside a protection point on a prepared thread: inline when called on one (a
/// [`run_on_big_stack`] thread, or nested inside another protected call), otherwise on the
/// persistent worker thread (256 MiB stack, alternate signal stack), waiting for the answer.
/// Returns `Err(Fault)` if `f` raised a runtime error (`vais_rt_trap`) or a fault signal, and
/// `Err` with [`FaultKind::Exited`] if the program called `exit` (not an error: the caller
/// reports nothing and ends as it sees fit, a process with that status).
/// Outermost calls from several threads are serialised. A panic in `f` is propagated to the
/// caller. The interrupt flag is cleared before `f` starts. See the module docs for what `f`
/// may hold.
pub fn run_protected<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> Result<R, Fault> {
    signals::install_fault_handlers();
    // The entry of an earlier call may be freed code by now; the caller sets its own.
    ENTRY.store(0, Ordering::Relaxed);
    let result = if IS_WORKER.with(|w| w.get()) {
        execute(f)
    } else {
        let mut guard = WORKER.lock().unwrap_or_else(|e| e.into_inner());
        let (rtx, rrx) = mpsc::sync_channel(1);
        let job: Job = Box::new(move || {
            let _ = rtx.send(execute(f));
        });
        let sender = guard.get_or_insert_with(spawn_worker);
        if let Err(mpsc::SendError(job)) = sender.send(job) {
            // The worker is gone (cannot normally happen): start a new one.
            let sender = spawn_worker();
            let _ = sender.send(job);
            *guard = Some(sender);
        }
        let r = rrx.recv();
        drop(guard);
        match r {
            Ok(r) => r,
            Err(_) => panic!("vais-runtime: the worker thread stopped"),
        }
    };
    match result {
        Ok(Ok(r)) => Ok(r),
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(fault) => Err(fault),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hint::black_box;

    #[inline(never)]
    fn depth(n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            black_box(depth(black_box(n - 1))) + 1
        }
    }

    #[inline(never)]
    fn forever(n: u64) -> u64 {
        // `black_box` hides from the compiler that this never ends.
        if black_box(n) == u64::MAX {
            0
        } else {
            black_box(forever(n + 1)) + 1
        }
    }

    #[allow(clippy::manual_dangling_ptr)]
    fn null_write() {
        // SAFETY: deliberately faults; run only under `run_protected`.
        unsafe { std::ptr::write_volatile(8 as *mut u64, 1) }
    }

    #[test]
    fn the_prologue_has_the_first_rows_position() {
        // A fake code range far from any real code (the tables are process-wide).
        let start = 0x7ff0_0000_0000usize;
        register_code(start, 64, "prologue_test".into());
        register_lines(start, 3, vec![(12, 20, 100), (20, 64, 140)]);
        // Before the first row (the prologue, where a stack overflow may fault): row one.
        assert_eq!(source_at(start), Some(("prologue_test".into(), Some((3, 100)))));
        assert_eq!(source_at(start + 11), Some(("prologue_test".into(), Some((3, 100)))));
        assert_eq!(source_at(start + 25), Some(("prologue_test".into(), Some((3, 140)))));
        assert_eq!(source_at(start + 64), None);
        register_code(start, 64, String::new());
    }

    #[test]
    fn trap_reports_kind() {
        // Called from code that is not registered JIT code: no function, no site.
        let err = run_protected(move || {
            vais_rt_trap(TrapKind::DivisionByZero as i32, 0);
        })
        .unwrap_err();
        assert_eq!(err.kind, FaultKind::DivisionByZero);
        assert_eq!(err.function, None);
        assert_eq!(err.to_string(), "division by zero");
        let err = run_protected(|| -> i64 { vais_rt_trap(3, -1) }).unwrap_err();
        assert_eq!(err.to_string(), "integer overflow in division");
        let err = run_protected(|| vais_rt_trap(6, 0)).unwrap_err();
        assert_eq!(err.to_string(), "interrupted");
        assert_eq!(run_protected(|| 7), Ok(7));
    }

    #[test]
    fn null_pointer_write() {
        let err = run_protected(null_write).unwrap_err();
        assert_eq!(err.kind, FaultKind::InvalidMemoryAccess { addr: 8 });
        assert_eq!(err.to_string(), "invalid memory access at 0x8");
    }

    #[inline(never)]
    extern "C" fn registered_fault(p: usize) -> u64 {
        // The load is inline so the faulting PC lies inside this function.
        #[cfg(target_arch = "x86_64")]
        {
            let v: u64;
            // SAFETY: deliberately faults; run only under `run_protected`.
            unsafe { std::arch::asm!("mov {v}, qword ptr [{p}]", p = in(reg) p, v = out(reg) v) };
            v
        }
        #[cfg(target_arch = "aarch64")]
        {
            let v: u64;
            // SAFETY: deliberately faults; run only under `run_protected`.
            unsafe { std::arch::asm!("ldr {v}, [{p}]", p = in(reg) p, v = out(reg) v) };
            v
        }
    }

    #[test]
    fn fault_names_registered_function() {
        let start = registered_fault as *const () as usize;
        register_code(start, 512, "get".to_string());
        let err = run_protected(|| registered_fault(black_box(16))).unwrap_err();
        assert_eq!(err.to_string(), "invalid memory access at 0x10 in `get`");
    }

    #[test]
    fn deep_recursion_works() {
        assert_eq!(run_protected(|| depth(100_000)), Ok(100_000));
    }

    #[test]
    fn infinite_recursion_is_stack_overflow() {
        let err = run_protected(|| forever(0)).unwrap_err();
        assert_eq!(err.kind, FaultKind::StackOverflow);
        // And the worker still works, including deep recursion.
        assert_eq!(run_protected(|| depth(100_000)), Ok(100_000));
    }

    #[test]
    fn thousand_faults() {
        for i in 0..1000 {
            let err = if i % 2 == 0 {
                run_protected(null_write).unwrap_err()
            } else {
                run_protected(|| vais_rt_trap(2, -1)).unwrap_err()
            };
            assert!(matches!(err.kind, FaultKind::InvalidMemoryAccess { .. } | FaultKind::RemainderByZero));
        }
        assert_eq!(run_protected(|| 42), Ok(42));
        // The signal mask was restored: SIGSEGV is not blocked on the worker.
        let blocked = run_protected(|| {
            // SAFETY: querying the current thread's signal mask.
            unsafe {
                let mut set: libc::sigset_t = std::mem::zeroed();
                libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), &mut set);
                libc::sigismember(&set, libc::SIGSEGV)
            }
        });
        assert_eq!(blocked, Ok(0));
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn illegal_instruction_and_sigfpe() {
        // SAFETY: `ud2` raises SIGILL, contained by `run_protected`.
        let err = run_protected(|| unsafe { std::arch::asm!("ud2") }).unwrap_err();
        assert_eq!(err.kind, FaultKind::IllegalInstruction);
        let err = run_protected(|| {
            // SAFETY: `idiv` by zero raises SIGFPE, contained by `run_protected`.
            unsafe {
                std::arch::asm!("xor edx, edx", "mov eax, 1", "xor ecx, ecx", "idiv ecx", out("eax") _, out("edx") _, out("ecx") _)
            }
        })
        .unwrap_err();
        assert_eq!(err.kind, FaultKind::ArithmeticSignal);
    }

    /// Machine code in an executable mapping, as the JIT produces it: a `ud2` registered as a
    /// division-by-zero trap at fault site 1, an unregistered `ud2`, then a call of
    /// `vais_rt_trap(remainder by zero, site 0)`; sites are the function's own.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn registered_trap_in_generated_code() {
        let mut code = vec![0x0f_u8, 0x0b, 0x0f, 0x0b];
        // push rbp; mov rbp, rsp; mov edi, 2; mov esi, 0; movabs rax, vais_rt_trap; call rax; ud2
        code.extend([0x55, 0x48, 0x89, 0xe5, 0xbf, 2, 0, 0, 0, 0xbe, 0, 0, 0, 0, 0x48, 0xb8]);
        code.extend((vais_rt_trap as *const () as u64).to_le_bytes());
        code.extend([0xff, 0xd0, 0x0f, 0x0b]);
        // SAFETY: maps one page, writes the code, makes it executable.
        let page = unsafe {
            let p = libc::mmap(std::ptr::null_mut(), 4096, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS, -1, 0);
            assert_ne!(p, libc::MAP_FAILED);
            std::ptr::copy_nonoverlapping(code.as_ptr(), p as *mut u8, code.len());
            libc::mprotect(p, 4096, libc::PROT_READ | libc::PROT_EXEC);
            p as usize
        };
        register_code(page, code.len(), "quot".to_string());
        register_sites(page, vec![("m.vais:3:1".to_string(), None), ("m.vais:2:7".to_string(), None)]);
        register_trap(page, TrapKind::DivisionByZero, 1);
        // SAFETY: `page` holds valid machine code that traps immediately.
        let call = |at: usize| move || unsafe { std::mem::transmute::<usize, extern "C" fn()>(at)() };
        let err = run_protected(call(page)).unwrap_err();
        assert_eq!(err.to_string(), "division by zero in `quot` at m.vais:2:7");
        let err = run_protected(call(page + 2)).unwrap_err();
        assert_eq!(err.to_string(), "illegal instruction in `quot`");
        assert_eq!(function_at(page + 1).as_deref(), Some("quot"));
        let err = run_protected(call(page + 4)).unwrap_err();
        assert_eq!(err.to_string(), "remainder by zero in `quot` at m.vais:3:1");
        // Freed code is forgotten: its trap is no longer a registered one.
        unregister_code(page);
        let err = run_protected(call(page)).unwrap_err();
        assert_eq!(err.to_string(), "illegal instruction");
    }

    #[test]
    fn code_ranges_are_half_open() {
        let r = [(10, 20), (30, 31)];
        assert!(!in_ranges(&r, 9));
        assert!(in_ranges(&r, 10) && in_ranges(&r, 19));
        assert!(!in_ranges(&r, 20) && !in_ranges(&r, 29));
        assert!(in_ranges(&r, 30) && !in_ranges(&r, 31));
        assert!(!in_ranges(&[], 5));
    }

    #[test]
    fn removed_ranges_leave_only_their_levels() {
        // A REPL session: each input adds its entry's range, which goes after the run, and
        // sometimes a function's, which stays; freed addresses are reused by later code.
        let mut levels = vec![];
        let mut live = vec![];
        for i in 0..500usize {
            let entry = (1_000_000, 1_000_040);
            levels = add_level(levels, vec![entry]);
            assert!(levels.iter().any(|l| in_ranges(l, 1_000_010)));
            let kept = levels.clone();
            levels = remove_ranges(levels, &[entry.0]);
            // Only the level holding the entry was copied.
            assert!(kept.iter().filter(|k| !levels.iter().any(|l| std::sync::Arc::ptr_eq(k, l))).count() <= 1);
            assert!(!levels.iter().any(|l| in_ranges(l, 1_000_010)));
            if i % 4 == 0 {
                let f = (i * 100, i * 100 + 50);
                levels = add_level(levels, vec![f]);
                live.push(f);
            }
            assert!(levels.len() <= 16, "{} levels", levels.len());
        }
        for l in &levels {
            assert!(l.windows(2).all(|w| w[0].1 <= w[1].0));
        }
        assert_eq!(levels.iter().map(|l| l.len()).sum::<usize>(), live.len());
        for f in &live {
            assert!(levels.iter().any(|l| in_ranges(l, f.0 + 10)));
        }
    }

    #[test]
    fn range_levels_stay_few_and_sorted() {
        // 1,000 publications of one range each (the REPL's pattern): every range is found,
        // the levels are sorted, disjoint, and logarithmically few.
        let mut levels = vec![];
        for i in (0..1000usize).rev() {
            levels = add_level(levels, vec![(i * 100, i * 100 + 10)]);
            assert!(levels.len() <= 12, "{} levels", levels.len());
        }
        for l in &levels {
            assert!(l.windows(2).all(|w| w[0].1 <= w[1].0));
        }
        assert_eq!(levels.iter().map(|l| l.len()).sum::<usize>(), 1000);
        for i in 0..1000usize {
            assert!(levels.iter().any(|l| in_ranges(l, i * 100 + 5)));
            assert!(!levels.iter().any(|l| in_ranges(l, i * 100 + 50)));
        }
    }

    #[test]
    fn abort_is_contained() {
        for _ in 0..3 {
            // SAFETY: C abort(); its SIGABRT is contained by `run_protected`.
            let err = run_protected(|| unsafe { libc::abort() }).unwrap_err();
            assert_eq!(err.kind, FaultKind::Aborted);
        }
        assert_eq!(run_protected(|| 9), Ok(9));
    }

    #[test]
    fn a_panic_in_a_builtin_is_a_runtime_error() {
        extern "C" fn bad_builtin(x: i64) -> i64 {
            guard("bad", || if x > 0 { panic!("boom {x}") } else { x })
        }
        let err = run_protected(|| bad_builtin(black_box(3))).unwrap_err();
        assert_eq!(err.kind, FaultKind::RuntimeBug("`bad`: boom 3".to_string()));
        assert!(err.to_string().starts_with("internal error in the runtime (`bad`: boom 3)"), "{err}");
        assert_eq!(run_protected(|| bad_builtin(black_box(-1))), Ok(-1));
    }

    #[test]
    fn panics_propagate_and_nesting_works() {
        let r = std::panic::catch_unwind(|| run_protected(|| panic!("boom")));
        assert!(r.is_err());
        let nested = run_protected(|| run_protected(null_write).map_err(|f| f.kind));
        assert_eq!(nested, Ok(Err(FaultKind::InvalidMemoryAccess { addr: 8 })));
        assert_eq!(run_protected(|| 1), Ok(1));
    }

    #[test]
    fn ctrl_c_interrupts() {
        install_interrupt_handler();
        // One SIGINT, sent once the protected loop runs (it cannot end before the signal came,
        // so the signal never reaches another test's protected call running in parallel).
        let running = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let r2 = running.clone();
        let killer = std::thread::spawn(move || {
            while !r2.load(Ordering::SeqCst) {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            // SAFETY: sends SIGINT to this process; our handler only sets flags.
            unsafe { libc::kill(libc::getpid(), libc::SIGINT) };
        });
        let err = run_protected(move || loop {
            running.store(true, Ordering::SeqCst);
            if crate::VAIS_INTERRUPT_FLAG.load(Ordering::Relaxed) != 0 {
                vais_rt_trap(6, -1);
            }
            std::hint::spin_loop();
        })
        .unwrap_err();
        killer.join().unwrap();
        assert_eq!(err.to_string(), "interrupted");
        assert!(take_interrupt());
    }

    #[test]
    fn an_interrupt_after_the_last_poll_still_interrupts() {
        install_interrupt_handler();
        // SAFETY: sends SIGINT to this process from inside the protected call; the closure
        // never polls, yet the input was interrupted.
        let r = run_protected(|| unsafe { libc::raise(libc::SIGINT) });
        assert_eq!(r.map_err(|f| f.kind), Err(FaultKind::Interrupted));
        assert_eq!(run_protected(|| 3), Ok(3));
    }

    #[test]
    fn big_stack_thread_runs_protected_calls_inline() {
        let r = run_on_big_stack(|| {
            assert!(on_prepared_thread());
            let me = std::thread::current().id();
            // Inline: the closure runs on this very thread.
            assert_eq!(run_protected(move || std::thread::current().id() == me), Ok(true));
            let err = run_protected(null_write).unwrap_err();
            assert_eq!(err.kind, FaultKind::InvalidMemoryAccess { addr: 8 });
            let err = run_protected(|| forever(0)).unwrap_err();
            assert_eq!(err.kind, FaultKind::StackOverflow);
            assert_eq!(run_protected(|| depth(100_000)), Ok(100_000));
            for i in 0..1000 {
                let err = if i % 2 == 0 {
                    run_protected(null_write).unwrap_err()
                } else {
                    run_protected(|| vais_rt_trap(2, -1)).unwrap_err()
                };
                assert!(matches!(err.kind, FaultKind::InvalidMemoryAccess { .. } | FaultKind::RemainderByZero));
            }
            let nested = run_protected(|| run_protected(null_write).map_err(|f| f.kind));
            assert_eq!(nested, Ok(Err(FaultKind::InvalidMemoryAccess { addr: 8 })));
            // After the overflow's delay, the next call gives the stack pages back.
            std::thread::sleep(RELEASE_DELAY);
            assert_eq!(run_protected(|| depth(1000)), Ok(1000));
            assert!(STACK_DIRTY.with(|d| d.get()).is_none());
            // Another thread still goes through the worker meanwhile.
            std::thread::spawn(|| run_protected(on_prepared_thread)).join().unwrap()
        });
        assert_eq!(r, Ok(true));
        assert!(!on_prepared_thread());
        let r = std::panic::catch_unwind(|| run_on_big_stack(|| panic!("boom")));
        assert!(r.is_err());
        assert_eq!(run_on_big_stack(|| 5), 5);
    }

    /// Child half of `fault_outside_protection_crashes`.
    #[test]
    #[ignore]
    fn crash_child() {
        if std::env::var_os("VAIS_RT_CRASH_CHILD").is_none() {
            return;
        }
        assert_eq!(run_protected(|| 1), Ok(1));
        null_write();
    }

    #[test]
    fn fault_outside_protection_crashes() {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "faults::tests::crash_child", "--ignored", "--nocapture"])
            .env("VAIS_RT_CRASH_CHILD", "1")
            .output()
            .unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(out.status.signal(), Some(libc::SIGSEGV), "{out:?}");
    }
}
