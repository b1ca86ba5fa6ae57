//! Checking the bodies of a large program on two threads. It owns the split of the instance
//! queue and the rule that keeps the result identical to a sequential check; it knows nothing
//! of the checking rules themselves (it only calls `Ctx::check_fn`).
//!
//! After registration every ordinary (non-generic) function is queued. A worker thread gets a
//! clone of the context and half of the queue; the calling thread drains the other half as
//! usual. Checking one function normally only *reads* the context: declarations, and the
//! instances that already exist. The worker accepts a result only while that stays true: as
//! soon as checking a function would change anything shared (a new struct, enum or function
//! instance, a lambda, a queued instance, a constant, an error type lowered, or any
//! diagnostic), the worker discards that function's result and stops, and the calling thread
//! checks it and the rest of the worker's share itself. So every accepted result was computed from the context exactly as it
//! was when the worker started, with no instance of the worker's own making in it, and it is
//! the result the calling thread would have computed; all diagnostics and all numbering of new
//! instances come from the calling thread alone.

use crate::lower::Ctx;
use vais_tir::{FuncDef, FuncId};

/// Queues shorter than this are drained on the calling thread (a thread and a context clone
/// cost more than they save).
const PARALLEL_MIN: usize = 256;

/// Everything that checking a function may add to the shared context.
fn footprint(cx: &Ctx) -> [usize; 13] {
    let p = &cx.prog;
    [
        p.funcs.len(),
        p.structs.len(),
        p.enums.len(),
        p.externs.len(),
        p.globals.len(),
        cx.struct_insts.len(),
        cx.enum_insts.len(),
        cx.fn_insts.len(),
        cx.queue.len(),
        cx.new_funcs.len(),
        cx.diags.len(),
        cx.env.consts.len(),
        cx.unresolved,
    ]
}

impl Ctx {
    /// Creates the instance of every non-generic struct and enum now, in declaration order,
    /// rather than at first use: then checking a function that only uses such types leaves the
    /// context unchanged, and the worker can accept it.
    pub fn instantiate_plain_types(&mut self, items: &[vais_ast::ast::Item]) {
        use vais_ast::ast::ItemKind;
        for it in items {
            match &it.kind {
                ItemKind::Struct(s) if s.generics.is_empty() && self.env.structs.contains_key(&s.name.name) => {
                    self.struct_inst(&s.name.name, Vec::new());
                }
                ItemKind::Enum(e) if e.generics.is_empty() && self.env.enums.contains_key(&e.name.name) => {
                    self.enum_inst(&e.name.name, Vec::new());
                }
                _ => {}
            }
        }
    }

    /// `drain`, with half of a long queue checked on a worker thread (see the module doc).
    pub fn drain_parallel(&mut self) {
        if self.repl || self.queue.len() < PARALLEL_MIN || vais_ast::threads::available() < 2 {
            return self.drain();
        }
        let share: Vec<FuncId> = self.queue.drain(..self.queue.len() / 2).collect();
        let mut worker = self.clone();
        worker.queue.clear();
        let outcome = std::thread::scope(|s| {
            let handle = std::thread::Builder::new()
                .stack_size(crate::CHECK_STACK)
                .spawn_scoped(s, || worker.check_read_only(&share));
            self.drain();
            match handle {
                Ok(h) => match h.join() {
                    Ok(r) => Some(r),
                    Err(payload) => std::panic::resume_unwind(payload),
                },
                Err(_) => None,
            }
        });
        let (done, rest) = outcome.unwrap_or((Vec::new(), share));
        self.parallel_stats = (done.len(), rest.len());
        for (id, f) in done {
            self.set_func(id, f);
        }
        self.queue.extend(rest);
        self.drain();
    }

    /// Checks `ids` (non-generic instances) in order while doing so leaves the context's
    /// footprint unchanged; returns the accepted results and the functions left unchecked.
    fn check_read_only(&mut self, ids: &[FuncId]) -> (Vec<(FuncId, FuncDef)>, Vec<FuncId>) {
        let mut done = Vec::with_capacity(ids.len());
        for (i, &id) in ids.iter().enumerate() {
            let decl = match self.fn_rev.get(&id) {
                Some((decl, args)) if args.is_empty() => *decl,
                _ => return (done, ids[i..].to_vec()), // generic instance (or unknown)
            };
            let before = footprint(self);
            let name = self.prog.funcs[id.index()].name.clone();
            let f = self.check_fn(decl, Vec::new(), false, name);
            if footprint(self) != before {
                return (done, ids[i..].to_vec());
            }
            if let Some(f) = f {
                done.push((id, f));
            }
        }
        (done, Vec::new())
    }
}
