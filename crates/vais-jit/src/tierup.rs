//! REPL tier-up: hot baseline functions are recompiled at the optimising tier, with their
//! small callees inlined, while the program runs, and swapped in through their indirection
//! cells (the same cells redefinition uses).
//!
//! - **Counting.** With a threshold set ([`Jit::set_tier_threshold`]), the baseline code of
//!   every plain user function (not REPL entries, not lambdas: a closure value holds its code
//!   address, not a cell) decrements a per-function counter at its entry and at each loop
//!   back-edge, next to the interrupt poll (`Tr::count`). The counter is a data object of the
//!   session (`vais$count$<name>`, one per function, for all its versions) that the code names
//!   by symbol like any other (no address in the code). When the counter reaches zero the cold
//!   path calls [`vais_rt_hot`] with it; its placed address says which function it counts.
//! - **Recompiling.** `vais_rt_hot` runs on the thread running JIT code, inside the run the
//!   engine started with a [`TierScope`]: it inlines the function's callees
//!   (`vais_inline::inline_function`, against the current definitions), translates the result
//!   (`codegen::translate`: no module), and hands the unit to a helper thread that generates
//!   its artifact with the optimising settings (`opt_level=speed`, backtracking allocator);
//!   linking it (the module is not `Sync`) waits for the swap. The program keeps running meanwhile; the
//!   counter is set to look again after [`RECHECK`] more counts.
//! - **Swapping.** At the next `vais_rt_hot` after a helper finished (any hot function's, at
//!   a safe point of the running thread), or when the run ends ([`Jit::tier_finish`]), the
//!   artifact is linked (with the strings and helpers it needs), finalized, registered (line tables, fault sites, inline frames, unwind
//!   information) and stored in the function's cell: the next call runs it. Frames already in
//!   the baseline code finish there (no on-stack replacement; see `bench/RESULTS.md`), so the
//!   baseline code stays until the function is redefined.
//! - **Invalidation.** Recompiling a function (a redefinition, or a caller re-checked because
//!   of one) drops its optimised version, and every optimised version that inlined it goes
//!   back to its baseline code (cell restored, counter reset, so it can tier up again against
//!   the new definition). This happens between inputs, when no JIT code runs.
//!
//! At most [`IN_FLIGHT`] compilations are in flight at a time; a function whose optimised
//! compile failed (an internal error) stays baseline.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use cranelift_codegen::ir::Function;
use cranelift_codegen::Context;
use cranelift_module::{FuncId as ClFuncId, Linkage, Module};
use vais_ast::Span;
use vais_tir::{FuncDef, FuncId, FuncKind, Program};

use crate::{Jit, Tier};

/// Counts between two looks of a function that is waiting for its compile (or for another
/// function's to finish).
pub const RECHECK: i64 = 4096;

/// Compilations in flight at once: a function that got hot in its own loops helps only its
/// next call (its running frame stays in baseline code), while its callees, hot a little
/// later, help at once; with one at a time they waited for it (matmul's first call).
pub const IN_FLIGHT: usize = 2;

/// Stack room `vais_rt_hot` needs to translate a function on the running thread.
const MIN_STACK: usize = 4 << 20;

/// A counter that never runs out in practice (the function has its optimised version, or
/// cannot get one).
const NEVER: i64 = i64::MAX / 2;

/// The default threshold of a REPL session (entries plus back-edges), unless
/// `VAIS_TIER_THRESHOLD` says otherwise (`off` or `0` turns tier-up off).
pub const DEFAULT_THRESHOLD: u32 = 20_000;

/// The threshold `VAIS_TIER_THRESHOLD` asks for: `Some(None)` for off, `None` when unset or
/// unreadable.
pub fn threshold_from_env() -> Option<Option<u32>> {
    let v = std::env::var("VAIS_TIER_THRESHOLD").ok()?;
    match v.trim() {
        "off" | "0" => Some(None),
        n => n.parse::<u32>().ok().map(Some),
    }
}

/// A change of tier, as the engine reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TierEvent {
    /// `function` now runs optimised code, with copies of `inlined` in it; `compile` is the
    /// time from the request to the swap (translation here, code generation on the helper
    /// thread, while the program ran).
    Up { function: String, inlined: Vec<String>, compile: Duration },
    /// `function`'s optimised version was dropped because `because` (it, or a function
    /// inlined into it) was recompiled; it runs its baseline code again.
    Down { function: String, because: String },
}

/// An optimised version in use.
pub(crate) struct Opt {
    code: usize,
    len: usize,
    ir: Option<Box<Function>>,
    /// Functions whose copies it holds.
    inlined: Vec<FuncId>,
}

struct Pending {
    f: FuncId,
    id: ClFuncId,
    inlined: Vec<FuncId>,
    handle: std::thread::JoinHandle<crate::codegen::Generated>,
    started: Instant,
}

/// A session's tier-up state.
pub(crate) struct TierUp {
    threshold: i64,
    /// The address of each placed counter (the session's `vais$count$<name>` data objects,
    /// which code names by symbol), and the function each address counts for.
    counters: HashMap<FuncId, usize>,
    by_counter: HashMap<usize, FuncId>,
    opt_isa: cranelift_codegen::isa::OwnedTargetIsa,
    /// Compilations in flight, oldest first (at most [`IN_FLIGHT`]).
    pending: Vec<Pending>,
    pub(crate) opt: HashMap<FuncId, Opt>,
    failed: HashSet<FuncId>,
    events: Vec<TierEvent>,
    /// Whether `last_placed` already holds code swapped in during the current run (further
    /// swaps add to it, so that the engine's observers hear of all of them after the run).
    placed_this_run: bool,
}

impl TierUp {
    /// Whether baseline code of `def` (id `f`) counts towards tier-up; a (re)compiled
    /// function starts counting again (a counter not placed yet starts at
    /// [`TierUp::start_count`]).
    pub(crate) fn counter(&mut self, f: FuncId, def: &FuncDef) -> bool {
        if matches!(def.kind, FuncKind::Lambda | FuncKind::ReplEntry) || def.is_async {
            return false;
        }
        self.failed.remove(&f);
        self.set(f, self.threshold);
        true
    }

    /// The value a new counter starts at.
    pub(crate) fn start_count(&self) -> i64 {
        self.threshold
    }

    fn set(&self, f: FuncId, v: i64) {
        if let Some(c) = self.counters.get(&f) {
            store(*c, v);
        }
    }
}

/// Stores `v` in the counter at `addr`.
fn store(addr: usize, v: i64) {
    // SAFETY: `addr` is a placed counter: a live, writable, 8-aligned 8-byte data object of
    // the session (never freed before the session), which JIT code only accesses on the
    // thread that also runs the linker.
    unsafe { (*(addr as *const AtomicI64)).store(v, Ordering::Relaxed) }
}

/// What JIT code running on some thread needs to tier up functions of one JIT session: the
/// session, the program its code was compiled from, and how to name source positions.
#[derive(Clone, Copy)]
pub struct TierScope {
    jit: *mut Jit,
    program: *const Program,
    locate: *const (dyn Fn(Span) -> String + 'static),
}

// SAFETY: the scope is only entered on the thread that runs the session's JIT code, while the
// thread that made it waits for that run (see `Jit::tier_scope`); the pointers are used by one
// thread at a time.
unsafe impl Send for TierScope {}

thread_local! {
    static ACTIVE: Cell<Option<TierScope>> = const { Cell::new(None) };
}

impl TierScope {
    /// Makes this scope the one `vais_rt_hot` uses on the current thread (call it on the
    /// thread that runs the JIT code, just before running it; [`TierScope::leave`] after).
    pub fn enter(self) {
        ACTIVE.with(|a| a.set(Some(self)));
    }

    pub fn leave() {
        ACTIVE.with(|a| a.set(None));
    }
}

/// Called by baseline code whose hotness counter ran out (`counter`: its counter, which says
/// which function it is). Outside a [`TierScope`] it only silences the counter.
pub extern "C" fn vais_rt_hot(counter: *mut i64) {
    vais_runtime::faults::guard("tier-up", || {
        let Some(scope) = ACTIVE.with(|a| a.get()) else {
            store(counter as usize, NEVER);
            return;
        };
        if vais_runtime::faults::stack_room().is_some_and(|room| room < MIN_STACK) {
            // Deep in a recursion: translating here could overflow the stack inside the
            // linker (a fault there would abandon it half-way). Look again later.
            store(counter as usize, RECHECK);
            return;
        }
        // SAFETY: the scope's contract (`Jit::tier_scope`): the session, program and `locate`
        // outlive the run, and nothing else uses the session while its code runs, so this is
        // the only reference to it; JIT code on the stack holds no Rust reference into it.
        let (jit, program, locate) = unsafe { (&mut *scope.jit, &*scope.program, &*scope.locate) };
        let f = jit.tier.as_ref().and_then(|t| t.by_counter.get(&(counter as usize)).copied());
        match f {
            Some(f) => jit.on_hot(program, f, locate),
            None => store(counter as usize, NEVER),
        }
    })
}

impl Jit {
    /// Turns REPL tier-up on with this threshold (counts of entries plus loop back-edges), or
    /// off (`None`). It applies to code compiled from now on (REPL mode only).
    pub fn set_tier_threshold(&mut self, threshold: Option<u32>) -> Result<(), crate::JitError> {
        match threshold {
            None => {
                if let Some(t) = &mut self.tier {
                    t.threshold = NEVER;
                    for c in t.counters.values() {
                        store(*c, NEVER);
                    }
                }
            }
            Some(n) => {
                let n = i64::from(n.max(1));
                match &mut self.tier {
                    Some(t) => {
                        t.threshold = n;
                        for (f, c) in &t.counters {
                            if !t.opt.contains_key(f) && !t.failed.contains(f) {
                                store(*c, n);
                            }
                        }
                    }
                    None => {
                        let opt_isa = self.make_isa(Tier::Optimising)?;
                        self.tier = Some(Box::new(TierUp {
                            threshold: n,
                            counters: HashMap::new(),
                            by_counter: HashMap::new(),
                            opt_isa,
                            pending: vec![],
                            opt: HashMap::new(),
                            failed: HashSet::new(),
                            events: vec![],
                            placed_this_run: false,
                        }));
                    }
                }
            }
        }
        Ok(())
    }

    /// The tier-up threshold, if tier-up is on.
    pub fn tier_threshold(&self) -> Option<u32> {
        self.tier.as_ref().filter(|t| t.threshold < NEVER).map(|t| t.threshold as u32)
    }

    /// The tier `f`'s cell points at now.
    pub fn tier_of(&self, f: FuncId) -> Tier {
        match &self.tier {
            Some(t) if t.opt.contains_key(&f) => Tier::Optimising,
            _ => self.tier(),
        }
    }

    /// The functions running optimised code, with the functions inlined into each.
    pub fn optimised(&self) -> Vec<(FuncId, Vec<FuncId>)> {
        let mut v: Vec<(FuncId, Vec<FuncId>)> =
            self.tier.iter().flat_map(|t| t.opt.iter().map(|(f, o)| (*f, o.inlined.clone()))).collect();
        v.sort_by_key(|(f, _)| f.0);
        v
    }

    /// Whether code was swapped in during the last run ([`Jit::last_placed`] lists it then).
    pub fn tier_placed(&self) -> bool {
        self.tier.as_ref().is_some_and(|t| t.placed_this_run)
    }

    /// The tier changes since the last call.
    pub fn take_tier_events(&mut self) -> Vec<TierEvent> {
        self.tier.as_mut().map(|t| std::mem::take(&mut t.events)).unwrap_or_default()
    }

    /// A scope for running this session's code with tier-up (see [`TierScope::enter`]).
    ///
    /// # Safety
    /// Until the run ends, `self`, `program` and `locate` must stay alive and unused by
    /// anything but the JIT code run in the scope (the caller waits for the run), and
    /// `program` must be the program the code was compiled from. Call
    /// [`Jit::tier_finish`] after the run.
    pub unsafe fn tier_scope(&mut self, program: &Program, locate: &dyn Fn(Span) -> String) -> TierScope {
        // SAFETY: only the lifetime is erased; the caller keeps `locate` alive for the run.
        let locate: *const (dyn Fn(Span) -> String + 'static) = unsafe { std::mem::transmute(locate as *const (dyn Fn(Span) -> String + '_)) };
        if let Some(t) = &mut self.tier {
            t.placed_this_run = false;
        }
        TierScope { jit: self as *mut Jit, program: program as *const Program, locate }
    }

    /// After a run: waits for the compilations still in flight and swaps them in (so no
    /// compile outlives the input that started it).
    pub fn tier_finish(&mut self, program: &Program, locate: &dyn Fn(Span) -> String) {
        while self.tier.as_ref().is_some_and(|t| !t.pending.is_empty()) {
            self.install_pending(program, locate, 0);
        }
    }

    fn on_hot(&mut self, program: &Program, f: FuncId, locate: &dyn Fn(Span) -> String) {
        while let Some(i) = self.tier.as_ref().and_then(|t| t.pending.iter().position(|p| p.handle.is_finished())) {
            self.install_pending(program, locate, i);
        }
        let Some(t) = self.tier.as_mut() else { return };
        if t.opt.contains_key(&f) || t.failed.contains(&f) || t.threshold >= NEVER {
            t.set(f, NEVER);
            return;
        }
        if t.pending.len() >= IN_FLIGHT || t.pending.iter().any(|p| p.f == f) {
            t.set(f, RECHECK);
            return;
        }
        t.set(f, RECHECK);
        if let Err(why) = self.start(program, f) {
            let t = self.tier.as_mut().expect("tier-up state");
            t.failed.insert(f);
            t.set(f, NEVER);
            if std::env::var_os("VAIS_TIER_DEBUG").is_some() {
                eprintln!("tier-up of `{}` failed: {why}", program.func(f).name);
            }
        }
    }

    /// Translates `f` with its callees inlined and starts its code generation on a helper
    /// thread.
    fn start(&mut self, program: &Program, f: FuncId) -> Result<(), String> {
        let started = Instant::now();
        let (def, inlined) = vais_inline::inline_function(program, f, vais_inline::Limits::default());
        // Everything the new version calls must have code (a cell) already.
        let mut refs = vec![];
        crate::translate::referenced_funcs(&def.body, &mut refs);
        if let Some(g) = refs.iter().find(|g| !self.compiled.contains_key(g) || self.s.cell(**g).is_none()) {
            return Err(format!("`{}` has no code", program.func(*g).name));
        }
        let sig = abi_sig(self, &def);
        let name = self.s.unique_name(&format!("vais${}$opt", def.name));
        let id = self.s.module.declare_function(&name, Linkage::Local, &sig).map_err(|e| e.to_string())?;
        // Translation declares nothing: whatever the code needs (strings, adapters) is declared
        // and defined when its artifact is linked, at the safe point of `install_pending`.
        let unit = self.translate(program, &def, id, crate::codegen::What::Function, false, crate::cache::Anchors::default()).map_err(|e| e.to_string())?;
        let isas = (self.tier.as_ref().expect("tier-up state").opt_isa.clone(), self.big_isa.clone());
        let handle = std::thread::Builder::new()
            .name("vais-tier-up".into())
            .spawn(move || crate::codegen::generate(&mut Context::new(), [&*isas.0, &*isas.1], unit))
            .map_err(|e| e.to_string())?;
        let t = self.tier.as_mut().expect("tier-up state");
        t.pending.push(Pending { f, id, inlined, handle, started });
        Ok(())
    }

    /// Waits for compilation `i` in flight, then defines, finalizes, registers and swaps in
    /// its code (at a safe point: no JIT code runs on another thread, and this thread's JIT
    /// frames resume only after the finalize).
    fn install_pending(&mut self, program: &Program, locate: &dyn Fn(Span) -> String, i: usize) {
        let Some(t) = self.tier.as_mut() else { return };
        if i >= t.pending.len() {
            return;
        }
        let p = t.pending.remove(i);
        let generated = p.handle.join().unwrap_or_else(|_| crate::codegen::Generated {
            artifact: Err("code generation panicked".into()),
            refs: vec![],
            anchors: crate::cache::Anchors::default(),
            cacheable: false,
        });
        let f = p.f;
        // Linking declares and defines what the code needs (strings, adapters, thunks), maybe
        // in pages holding running code, which stay writable, not executable, until the
        // finalize: before any JIT code runs again.
        let r = self.link_generated(program, f, p.id, generated, None).and_then(|d| {
            self.define_aux(program, &mut vec![]).map_err(|e| e.to_string())?;
            self.s.module.finalize_definitions().map_err(|e| e.to_string())?;
            Ok(d)
        });
        let d = match r {
            Ok(d) => d,
            Err(why) => {
                if std::env::var_os("VAIS_TIER_DEBUG").is_some() {
                    eprintln!("tier-up of `{}` failed: {why}", program.func(f).name);
                }
                // Helpers declared but not defined get trapping bodies, and whatever was
                // defined must still be finalized before it is used.
                self.stub_undefined(&[], &[], &[], &[]);
                let _ = self.s.module.finalize_definitions();
                self.unwinds.clear();
                let t = self.tier.as_mut().expect("tier-up state");
                t.failed.insert(f);
                t.set(f, NEVER);
                return;
            }
        };
        // The tools' record of placed code (`last_placed`) lists every version swapped in
        // during this run.
        let earlier = match self.tier.as_ref().is_some_and(|t| t.placed_this_run) {
            true => Some((std::mem::take(&mut self.placed.last), self.placed.frames.take())),
            false => None,
        };
        self.record_placed(program, &[f], &[p.id]);
        if let Some((mut last, frames)) = earlier {
            last.append(&mut self.placed.last);
            last.sort_by_key(|p| p.addr);
            self.placed.last = last;
            self.placed.frames = match (frames, self.placed.frames.take()) {
                (Some(mut a), Some(b)) => {
                    a.fdes.extend(b.fdes);
                    Some(a)
                }
                (a, b) => a.or(b),
            };
        }
        if let Some(t) = &mut self.tier {
            t.placed_this_run = true;
        }
        let code = self.s.module.get_finalized_function(p.id) as usize;
        let len = d.len;
        self.announce(program, f, p.id, code, &d, locate);
        // Fault walks (from signal handlers) must see the new code before it runs.
        vais_runtime::faults::publish_code_ranges_while_running();
        if let Some(cell) = self.s.cells.get(&f) {
            let at = self.s.module.get_finalized_data(*cell).0 as *mut usize;
            // SAFETY: the cell is this module's writable 8-byte, 8-aligned data object; JIT
            // code reads it only on this thread, which is here.
            unsafe { at.write(code) };
        }
        let names = p.inlined.iter().map(|g| program.func(*g).name.clone()).collect();
        let t = self.tier.as_mut().expect("tier-up state");
        t.set(f, NEVER);
        t.events.push(TierEvent::Up { function: program.func(f).name.clone(), inlined: names, compile: p.started.elapsed() });
        t.opt.insert(f, Opt { code, len, ir: d.ir, inlined: p.inlined });
    }

    /// After a finalize: records where the counters of `batch` were placed (a counter is
    /// placed once and serves every version of its function).
    pub(crate) fn tier_placed_counters(&mut self, batch: &[FuncId]) {
        let Some(t) = self.tier.as_mut() else { return };
        for f in batch {
            if t.counters.contains_key(f) {
                continue;
            }
            if let Some(d) = self.s.counters.get(f) {
                let addr = self.s.module.get_finalized_data(*d).0 as usize;
                t.counters.insert(*f, addr);
                t.by_counter.insert(addr, *f);
            }
        }
    }

    /// Before `batch` is placed (between inputs): drops the optimised versions of its functions
    /// and of every function that inlined one of them (those go back to their baseline code).
    pub(crate) fn tier_invalidate(&mut self, program: &Program, batch: &[FuncId]) {
        let Some(t) = self.tier.as_mut() else { return };
        if t.opt.is_empty() {
            return;
        }
        let changed: HashSet<FuncId> = batch.iter().copied().collect();
        let mut drop: Vec<(FuncId, Option<FuncId>)> = vec![];
        for (g, o) in &t.opt {
            if changed.contains(g) {
                drop.push((*g, None));
            } else if let Some(h) = o.inlined.iter().find(|h| changed.contains(h)) {
                drop.push((*g, Some(*h)));
            }
        }
        drop.sort_by_key(|(g, _)| g.0);
        for (g, because) in drop {
            let t = self.tier.as_mut().expect("tier-up state");
            let Some(o) = t.opt.remove(&g) else { continue };
            t.set(g, t.threshold);
            if let Some(h) = because {
                t.events.push(TierEvent::Down { function: program.func(g).name.clone(), because: program.func(h).name.clone() });
                // Its cell goes back to its baseline code (still placed).
                if let (Some(cell), Some(base)) = (self.s.cells.get(&g), self.compiled.get(&g).map(|c| c.code)) {
                    let at = self.s.module.get_finalized_data(*cell).0 as *mut usize;
                    // SAFETY: as in `place`: a cell of this module; no JIT code runs now.
                    unsafe { at.write(base) };
                }
            }
            // SAFETY: no cell points at it any more and no JIT code runs between inputs.
            unsafe { self.free_code(o.code, o.len) };
        }
    }

    /// Cranelift IR of `f` at `tier` (`None`: the version in use).
    pub fn clif_at(&self, f: FuncId, tier: Option<Tier>) -> Option<String> {
        self.ir_at(f, tier).map(|ir| ir.display().to_string())
    }

    /// Machine code listing of `f` at `tier` (`None`: the version in use), compiled again from
    /// the kept IR with that tier's settings.
    pub fn asm_at(&self, f: FuncId, tier: Option<Tier>) -> Option<String> {
        let opt = matches!(tier, Some(Tier::Optimising)) || (tier.is_none() && self.tier_of(f) == Tier::Optimising);
        let ir = self.ir_at(f, tier)?;
        let isa = match (&self.tier, opt) {
            (Some(t), true) => &*t.opt_isa,
            _ => self.s.module.isa(),
        };
        let mut ctx = Context::for_function(ir.clone());
        ctx.set_disasm(true);
        let mut cp = cranelift_codegen::control::ControlPlane::default();
        ctx.compile(isa, &mut cp).ok()?;
        ctx.compiled_code().and_then(|c| c.vcode.clone())
    }

    fn ir_at(&self, f: FuncId, tier: Option<Tier>) -> Option<&Function> {
        let opt = self.tier.as_ref().and_then(|t| t.opt.get(&f)).and_then(|o| o.ir.as_deref());
        let base = self.compiled.get(&f).and_then(|c| c.ir.as_deref());
        match tier {
            None => opt.or(base),
            Some(Tier::Optimising) => opt,
            Some(Tier::Baseline) => base,
        }
    }
}

fn abi_sig(jit: &Jit, def: &FuncDef) -> cranelift_codegen::ir::Signature {
    crate::abi::func_sig(jit.s.cc, def)
}
