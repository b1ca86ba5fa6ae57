//! Freeing what a REPL input's entry function leaves behind once it has run.
//!
//! An input with top-level statements (`1 + 1`, `x := f(3)`) is compiled as an entry function
//! (`FuncKind::ReplEntry`) that runs once: nothing calls it afterwards (it has no indirection
//! cell, no other code refers to its symbol, and the REPL never runs an old input again). Kept,
//! each one cost its machine code, its Cranelift IR (kept for `:clif`), its frame description
//! registered with the unwinder and its entries in the runtime's code tables: a session grew
//! by kilobytes per expression, forever. [`Jit::release_entry`] frees all of that, as a
//! redefinition frees the replaced version of a function (`Jit::place`).
//!
//! Kept: the entry's frame (a data object holding its slots; array literals placed there may
//! be pointed to by session variables, see [`Jit::known_array`]), the lambdas it created
//! (closure values hold their code address) and the module's declaration of its symbol
//! (cranelift-module has no way to remove one; a few dozen bytes).

use crate::Jit;
use vais_tir::FuncId;

/// What a JIT session holds, for tests that check a session does not grow with the number of
/// inputs (see [`Jit::retained`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Retained {
    /// Functions with compiled code (and, in the REPL, their IR).
    pub functions: usize,
    /// Bytes of JIT memory (code and data) in use (0 without the packing provider).
    pub memory_bytes: usize,
    /// Functions registered with the unwinder one by one (REPL sessions).
    pub unwind_registrations: usize,
}

impl Jit {
    /// Frees the code of REPL entry function `f` after its (only) run, with its IR and the
    /// unwinder's and the runtime's records of it. Nothing may use its code afterwards: the
    /// caller ran it and has its result; no other code refers to an entry function.
    pub fn release_entry(&mut self, f: FuncId) {
        let Some(c) = self.compiled.remove(&f) else { return };
        self.s.funcs.remove(&f);
        let mut freed = vec![(c.code, c.len)];
        if let Some(e) = c.entry.filter(|e| *e != c.code) {
            // A separate entry wrapper (not made for REPL entries, which are direct; kept for
            // generality): its length is unknown here, and nothing but the observers'
            // tables keyed by address need it.
            freed.push((e, 0));
        }
        for (code, len) in freed {
            if code == 0 {
                continue;
            }
            self.placed.last.retain(|p| p.addr != code);
            // SAFETY: nothing can reach the code (see above).
            unsafe { self.free_code(code, len) };
        }
    }

    /// Frees placed code at `code` (`len` bytes): the observers and the unwinder forget it
    /// first, then its memory goes back to the packing provider (the replaced version of a
    /// redefined function, a tier-up version invalidated, a REPL entry that has run).
    ///
    /// # Safety
    /// Nothing may reach the code any more: no cell points at it, no other code calls it, and
    /// no JIT code runs now.
    pub(crate) unsafe fn free_code(&mut self, code: usize, len: usize) {
        for o in &mut self.observers {
            o.freed(code, len);
        }
        self.placed.forget(code);
        if let Some(m) = &self.memory {
            // SAFETY: unreachable (this function's contract); everything that knew it forgot
            // it above.
            unsafe { m.free(code) };
        }
    }

    /// What this session holds now (see [`Retained`]).
    pub fn retained(&self) -> Retained {
        Retained {
            functions: self.compiled.len(),
            memory_bytes: self.memory.as_ref().map_or(0, |m| m.live_bytes()),
            unwind_registrations: self.placed.registered(),
        }
    }
}
