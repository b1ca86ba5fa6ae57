//! The linker's observer hook: "code placed at address A, size N, with this metadata", and
//! "the code at A was freed".
//!
//! Code generation produces each function's metadata as data (trap instructions with their
//! kind and fault site, the source position of every instruction, the fault sites' locations);
//! nothing is registered while translating. When the linker has placed a batch (the module is
//! finalized, addresses are known) it calls every [`CodeObserver`] once per function; when it
//! frees the code of an old version that nothing can reach any more, it calls
//! [`CodeObserver::freed`] before the memory can be reused. The runtime's fault-site, trap and
//! line tables are one observer ([`RuntimeTables`], always present); debug-info images, perf
//! maps and a cache of compiled code are meant to be others ([`crate::Jit::add_observer`]).

use vais_runtime::faults::SrcRange;
use vais_runtime::TrapKind;

/// What the linker knows about one placed function.
#[derive(Debug)]
pub struct Placed<'a> {
    /// The function's Vais name (a REPL entry: `__repl_N`).
    pub function: &'a str,
    /// The Cranelift symbol it was defined under (`vais$f`, `vais$f$v2`, ...).
    pub symbol: &'a str,
    /// Address and size of its machine code.
    pub code: usize,
    pub len: usize,
    /// Its source file number (`vais_ast::FileId`).
    pub file: u32,
    /// `(start, end, byte offset)`: code offsets `start..end` come from that byte offset of
    /// `file` (sorted; code without a position is left out).
    pub lines: &'a [SrcRange],
    /// `(code offset, kind, fault site)` of every trap instruction standing for a runtime error.
    pub traps: &'a [(u32, TrapKind, u32)],
    /// `file:line:col` of each fault site, by site index (the `site` argument of
    /// `vais_rt_trap` in this code, the site of each entry of `traps`), and the function it is
    /// in when that is an inlined copy of another function (fault messages name it).
    pub sites: &'a [(String, Option<String>)],
}

/// Told about every function the linker places and frees.
pub trait CodeObserver: Send {
    /// `p.code .. p.code + p.len` now holds `p.function`'s code (the module is finalized).
    fn placed(&mut self, p: &Placed<'_>);
    /// The code placed at `code` (size `len`) was freed; its memory may be reused next.
    fn freed(&mut self, code: usize, len: usize);
}

/// The runtime's tables of placed code: ranges (backtraces, the profiler, "in JIT code"),
/// line tables, fault sites and trap instructions (`vais_runtime::faults`).
pub struct RuntimeTables;

impl CodeObserver for RuntimeTables {
    fn placed(&mut self, p: &Placed<'_>) {
        use vais_runtime::faults;
        faults::register_code(p.code, p.len, p.function.to_string());
        faults::register_lines(p.code, p.file, p.lines.to_vec());
        faults::register_sites(p.code, p.sites.to_vec());
        for &(offset, kind, site) in p.traps {
            faults::register_trap(p.code + offset as usize, kind, site);
        }
    }

    fn freed(&mut self, code: usize, _len: usize) {
        vais_runtime::faults::unregister_code(code);
    }
}
