//! The two code generation tiers and their Cranelift settings.
//!
//! - **Baseline** (`opt_level=none`, regalloc2's single-pass allocator): compiles fastest; the
//!   REPL compiles every input with it (latency matters there), and recompiles hot functions
//!   at the optimising tier while they run (`tierup.rs`).
//! - **Optimising** (`opt_level=speed`, the e-graph mid-end, the backtracking allocator; and
//!   in `vaisc run` the TIR inliner, `vais-inline`, run by the driver before compiling): code
//!   1.4-2.6x faster than the baseline's for about twice its compile time.
//!
//! `vaisc run` compiles the whole program with the optimising tier up front rather than
//! starting in the baseline and replacing hot code (on-stack replacement at loop headers, or
//! entry counters and recompilation): on the generated 10,000-line program the optimising tier
//! costs ~35 ms more compile time than the baseline, while a long-running loop gains from the
//! first iteration and no counter is paid on any call (figures in `bench/RESULTS.md`).

use crate::JitConfig;

/// A code generation tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tier {
    Baseline,
    Optimising,
}

impl Tier {
    /// The tier a JIT session with this configuration compiles with.
    pub fn of(config: &JitConfig) -> Tier {
        if config.opt_speed {
            Tier::Optimising
        } else {
            Tier::Baseline
        }
    }

    /// As `:time` and `--time` print it.
    pub fn name(self) -> &'static str {
        match self {
            Tier::Baseline => "baseline",
            Tier::Optimising => "optimising",
        }
    }

    /// Cranelift's `opt_level` and `regalloc_algorithm` for this tier.
    pub(crate) fn cranelift(self) -> (&'static str, &'static str) {
        match self {
            Tier::Baseline => ("none", "single_pass"),
            Tier::Optimising => ("speed", "backtracking"),
        }
    }
}
