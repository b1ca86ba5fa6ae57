//! What the JIT tells the rest of the process about code it placed, after each `compile`:
//!
//! * the system unwinder gets the batch's call-frame information (always): Cranelift's unwind
//!   description of every function defined in the batch (user functions, entry wrappers,
//!   adapters, thunks), as frame descriptions at their final addresses, encoded by
//!   `vais_debug::eh_frame` and registered by `vais_runtime::unwind`. Rust panics and
//!   backtraces (libgcc) then walk through JIT frames. The registrations live as long as the
//!   code: they are dropped by [`crate::Jit::free_memory`] before the code is freed. A REPL
//!   session registers each function on its own, so that the code a redefinition frees
//!   (`place`) takes its description with it; `vaisc run` registers one section per batch.
//! * the tools (`vaisc run -g`, REPL `:debug`) read the batch's functions and frames back with
//!   [`crate::Jit::last_placed`] to build debugger images.
//!
//! This is the one place that turns Cranelift's unwind information into addresses; `compile`
//! calls [`crate::Jit::place`] once, right after finalizing.

use crate::Jit;

use cranelift_module::Module;
use std::sync::atomic::{AtomicBool, Ordering};
use vais_tir::{FuncId, Program};

/// Measurement knobs (`bench/debug_cost.py`; never set by the tools): `VAIS_JIT_NO_LINES`
/// compiles without source positions (so without line tables), `VAIS_JIT_NO_UNWIND` without
/// unwind information, to time what they cost.
static NO_LINES: AtomicBool = AtomicBool::new(false);
static NO_UNWIND: AtomicBool = AtomicBool::new(false);

/// Reads the measurement knobs (when a session starts).
pub(crate) fn read_knobs() {
    NO_LINES.store(std::env::var_os("VAIS_JIT_NO_LINES").is_some(), Ordering::Relaxed);
    NO_UNWIND.store(std::env::var_os("VAIS_JIT_NO_UNWIND").is_some(), Ordering::Relaxed);
}

/// A function placed by the last `compile`.
#[derive(Clone, Debug)]
pub struct PlacedFunction {
    /// The Vais function's name, or the internal symbol of a helper (`vais$main$entry`).
    pub name: String,
    pub addr: usize,
    pub len: usize,
    /// The Vais function it is, `None` for helpers.
    pub func: Option<FuncId>,
    /// The Vais function's declaration (`None` for helpers).
    pub span: Option<vais_ast::Span>,
}

/// The placements of a session (see the module comment).
#[derive(Default)]
pub(crate) struct Placed {
    /// The last batch's functions, by address.
    pub(crate) last: Vec<PlacedFunction>,
    /// The last batch's call-frame information.
    pub(crate) frames: Option<vais_debug::Frames>,
    /// Every batch's registration with the unwinder, oldest first.
    registrations: Vec<vais_runtime::unwind::FrameRegistration>,
    /// REPL sessions: each function's own registration, by code address, so that code freed
    /// by a redefinition takes its frame description with it (its memory may hold other code
    /// next, which must not be unwound by the old description).
    by_addr: std::collections::HashMap<usize, vais_runtime::unwind::FrameRegistration>,
}

impl Placed {
    /// Deregisters every batch's frames (before the session's code is freed), newest first:
    /// libgcc keeps registrations in a list, newest at the head, and searches it from there.
    pub(crate) fn release(&mut self) {
        while self.registrations.pop().is_some() {}
        self.by_addr.clear();
    }

    /// How many functions are registered one by one (REPL sessions).
    pub(crate) fn registered(&self) -> usize {
        self.by_addr.len()
    }

    /// The code at `addr` is about to be freed: its frame description goes first.
    pub(crate) fn forget(&mut self, addr: usize) {
        self.by_addr.remove(&addr);
    }
}

impl Drop for Placed {
    fn drop(&mut self) {
        self.release();
    }
}

/// Whether instructions carry source positions (the `VAIS_JIT_NO_LINES` knob is not set).
pub(crate) fn lines_enabled() -> bool {
    !NO_LINES.load(Ordering::Relaxed)
}

/// Whether unwind information is produced (the `VAIS_JIT_NO_UNWIND` knob is not set).
pub(crate) fn unwind_enabled() -> bool {
    !NO_UNWIND.load(Ordering::Relaxed)
}

impl Jit {
    /// After finalizing a batch: records its functions and registers their frames with the
    /// unwinder (see the module comment). `batch[i]` was declared as `ids[i]`.
    pub(crate) fn record_placed(&mut self, program: &Program, batch: &[FuncId], ids: &[cranelift_module::FuncId]) {
        let user: std::collections::HashMap<cranelift_module::FuncId, FuncId> = ids.iter().copied().zip(batch.iter().copied()).collect();
        let unwinds = std::mem::take(&mut self.unwinds);
        let cie = self.s.module.isa().create_systemv_cie();
        let mut last = Vec::with_capacity(unwinds.len());
        let mut fdes = Vec::with_capacity(unwinds.len());
        for (id, len, unwind) in unwinds {
            let addr = self.s.module.get_finalized_function(id) as usize;
            let func = user.get(&id).copied();
            let name = match func {
                Some(f) => program.func(f).name.clone(),
                None => self.s.module.declarations().get_function_decl(id).name.clone().unwrap_or_default(),
            };
            if let Some(fde) = unwind.and_then(|u| u.fde(addr as u64)) {
                if self.s.config.repl_mode {
                    // One registration per function, dropped when the function's code is.
                    if let Some(cie) = &cie {
                        let one = vais_debug::Frames { cie: cie.clone(), fdes: vec![fde.clone()] };
                        if let Some(r) = vais_debug::eh_frame(&one).ok().and_then(vais_runtime::unwind::FrameRegistration::new) {
                            self.placed.by_addr.insert(addr, r);
                        }
                    }
                }
                fdes.push(fde);
            }
            let span = func.map(|f| program.func(f).span);
            last.push(PlacedFunction { name, addr, len, func, span });
        }
        last.sort_by_key(|p| p.addr);
        let frames = cie.filter(|_| !fdes.is_empty()).map(|cie| vais_debug::Frames { cie, fdes });
        if self.s.config.repl_mode {
            // Registered per function above.
        } else if let Some(section) = frames.as_ref().and_then(|f| vais_debug::eh_frame(f).ok()) {
            self.placed.registrations.extend(vais_runtime::unwind::FrameRegistration::new(section));
        }
        self.placed.last = last;
        self.placed.frames = frames;
    }

    /// The functions (user and helpers) and call-frame information of the last `compile`, for
    /// debugger images.
    pub fn last_placed(&self) -> (&[PlacedFunction], Option<&vais_debug::Frames>) {
        (&self.placed.last, self.placed.frames.as_ref())
    }
}
