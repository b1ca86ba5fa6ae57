//! The engine's only contact with the JIT (`vais_jit::Jit`): compile the functions an input
//! changed, run an entry function under fault protection, format a value, show a function's
//! IR or machine code, free the code. Everything the engine needs from the back end goes
//! through this adapter, so a change of the JIT's API is a change here only.

use vais_ast::Span;
use vais_runtime::faults::Fault;
use vais_tir::{FuncId, Program, Ty};

/// The JIT configuration of a REPL session.
pub fn repl_config() -> vais_jit::JitConfig {
    vais_jit::JitConfig {
        repl_mode: true,
        interrupt_polls: true,
        verify: vais_jit::verify_by_default(),
        verify_tir: vais_jit::verify_by_default(),
        opt_speed: false,
        keep_ir: true,
    }
}

/// A session's compiled code.
pub struct Backend {
    jit: vais_jit::Jit,
}

impl Backend {
    /// A session whose hot functions tier up past `threshold` (see `vais_jit::TierScope`), or
    /// never (`None`).
    pub fn new(threshold: Option<u32>) -> Result<Backend, String> {
        let mut jit = vais_jit::Jit::new(repl_config()).map_err(|e| e.to_string())?;
        jit.set_tier_threshold(threshold).map_err(|e| e.to_string())?;
        Ok(Backend { jit })
    }

    /// Changes the tier-up threshold (`None`: off).
    pub fn set_tier_threshold(&mut self, threshold: Option<u32>) -> Result<(), String> {
        self.jit.set_tier_threshold(threshold).map_err(|e| e.to_string())
    }

    /// The tier changes since the last call.
    pub fn take_tier_events(&mut self) -> Vec<vais_jit::TierEvent> {
        self.jit.take_tier_events()
    }

    /// The functions running optimised code, with the functions inlined into each.
    pub fn optimised(&self) -> Vec<(FuncId, Vec<FuncId>)> {
        self.jit.optimised()
    }

    /// Compiles (or recompiles) `funcs` of `program`; an error is an internal compiler error
    /// (its text).
    pub fn compile(&mut self, program: &Program, funcs: &[FuncId], locate: &dyn Fn(Span) -> String) -> Result<(), String> {
        self.jit.compile(program, funcs, locate).map_err(|e| e.to_string())
    }

    /// Entry function `f` ran and will not run again: its code goes (see
    /// `Jit::release_entry`).
    pub fn release_entry(&mut self, f: FuncId) {
        self.jit.release_entry(f)
    }

    /// What the JIT holds now (tests: a session must not grow with every expression).
    pub fn retained(&self) -> vais_jit::Retained {
        self.jit.retained()
    }

    /// The JIT itself, for observers of placed code (debugger images).
    pub fn jit(&self) -> &vais_jit::Jit {
        &self.jit
    }

    /// Runs a compiled entry function under fault protection; the bytes of its result.
    /// Hot functions tier up while it runs; a compile still in flight when it ends is swapped
    /// in before this returns.
    pub fn run_entry(&mut self, program: &Program, locate: &dyn Fn(Span) -> String, func: FuncId, ret: &Ty) -> Result<Vec<u8>, Fault> {
        let code = self.jit.entry_ptr(func).expect("a successfully compiled entry function has an entry point");
        let mut out = vec![0u8; self.jit.size_of(ret).max(16)];
        // SAFETY: the session, program and `locate` outlive the run, and nothing touches the
        // session until `run_protected` returns (this thread runs the code or waits for it).
        let scope = unsafe { self.jit.tier_scope(program, locate) };
        let (code, out_addr) = (code as usize, out.as_mut_ptr() as usize);
        let r = vais_runtime::run_protected(move || {
            scope.enter();
            // SAFETY: as in `call_entry`.
            unsafe { vais_jit::call_entry(code as *const u8, out_addr as *mut u8) };
            vais_jit::TierScope::leave();
        });
        self.jit.tier_finish(program, locate);
        r.map(|()| out)
    }

    /// The `=>` text of a value of type `ty` (the result bytes of an entry function), under
    /// fault protection.
    pub fn format(&self, program: &Program, ty: &Ty, bytes: &[u8]) -> Result<String, Fault> {
        format_protected(program, &self.jit, ty, bytes)
    }

    /// Cranelift IR of a compiled function at `tier` (`None`: the version in use).
    pub fn clif(&self, id: FuncId, tier: Option<vais_jit::Tier>) -> Option<String> {
        self.jit.clif_at(id, tier)
    }

    /// Disassembled machine code of a compiled function at `tier` (`None`: the version in use).
    pub fn asm(&self, id: FuncId, tier: Option<vais_jit::Tier>) -> Option<String> {
        self.jit.asm_at(id, tier)
    }

    /// The tier of the code `id`'s calls run now.
    pub fn tier_of(&self, id: FuncId) -> vais_jit::Tier {
        self.jit.tier_of(id)
    }

    /// Frees the compiled code and data.
    ///
    /// # Safety
    /// Nothing may use the code or data any more (no entry point, global or value).
    pub unsafe fn free(self) {
        // SAFETY: the caller's contract.
        unsafe { self.jit.free_memory() }
    }
}

/// Formats a value for `=>` under fault protection: pointers inside it are followed as the
/// program left them, and a bad one (an extern returning a dangling `str`) must cost the
/// value, not the session.
fn format_protected(program: &Program, jit: &vais_jit::Jit, ty: &Ty, bytes: &[u8]) -> Result<String, Fault> {
    let addrs = (program as *const Program as usize, jit as *const vais_jit::Jit as usize, ty as *const Ty as usize, bytes.as_ptr() as usize);
    vais_runtime::run_protected(move || {
        let (program, jit, ty, ptr) = addrs;
        // SAFETY: `run_protected` runs this closure on this thread (a prepared one) or hands it
        // to the worker and waits; either way it returns before the borrows behind these
        // addresses end. `ptr` is the result buffer the entry function wrote for type `ty`.
        unsafe {
            vais_jit::value::format_value(
                &*(program as *const Program),
                &*(jit as *const vais_jit::Jit),
                &*(ty as *const Ty),
                ptr as *const u8,
            )
        }
    })
}

/// Runs a compiled zero-argument entry function under fault protection and returns the bytes
/// of its result (empty for unit). (`vaisc run` calls its `main` wrapper through this too.)
pub fn call_entry(jit: &vais_jit::Jit, func: FuncId, ret: &Ty) -> Result<Vec<u8>, Fault> {
    let code = jit.entry_ptr(func).expect("a successfully compiled entry function has an entry point");
    // The buffer lives out here so that a fault (which abandons the protected closure) does not
    // leak it; the closure only carries its address.
    let mut out = vec![0u8; jit.size_of(ret).max(16)];
    let (code, out_addr) = (code as usize, out.as_mut_ptr() as usize);
    vais_runtime::run_protected(move || {
        // SAFETY: `code` is a finalized entry `extern "C" fn(*mut u8)` produced by the JIT for
        // `func`, and `out_addr` points to a live buffer with room for the result's layout size
        // (`out` outlives this call, which returns before `run_protected` does).
        unsafe { vais_jit::call_entry(code as *const u8, out_addr as *mut u8) };
    })?;
    Ok(out)
}
