//! The whole-program fast path of the compiled-code cache (`vaisc run` on an unchanged
//! program): the bundle's *plan* says which functions the last compile linked, in order, and
//! for each one the key of its artifact, the functions inlined into it (its anchors) and its
//! callee list (what its artifact's symbols index). A run whose program and settings are the
//! ones the plan was recorded under links that list directly: no inlining, no per-function
//! keys, no walk of any body.
//!
//! Soundness: the plan is stored under the *whole-program key*, a digest of the linker's salt
//! (compiler build, tier, settings, target), the program's identity and what the caller says
//! the compile depends on besides (`vaisc run`: every source file's name and bytes, the
//! `VAIS_*` environment, the command's flags). Equal keys mean the front end and the inliner
//! see the same input, so they would make the same program (same `FuncId`s, same inlining,
//! same keys); anything else misses and takes the per-function path, which records a new plan.
//! As a guard against a checker whose numbering changed anyway, every function of the plan is
//! checked against the program by name and the program's function count; any mismatch, missing
//! or undecodable artifact, or failure to link one fails [`Jit::compile_planned`], after which
//! the caller must compile with a fresh `Jit` (nothing was placed).
//!
//! Encoding (after the bundle's artifacts): `u128 whole` (0: no plan), `u32 funcs`, `u32 n`,
//! then per function `u32 id`, name, `u128 key`, inlined ids, callee ids (lists and the name
//! length-prefixed with a `u32`). Reading never panics; a malformed plan makes the bundle
//! unreadable (a miss, rewritten).

use vais_ast::Span;
use vais_tir::{FuncId, Program};

use crate::artifact::Rd;
use crate::cache::{Anchors, Tag};
use crate::{err, Defined, Jit, JitError, JitErrorKind};

/// What a compile linked, for the next run of the same program (see the module comment).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Plan {
    /// The whole-program key it was recorded under.
    pub whole: u128,
    /// The program's number of functions.
    pub funcs: u32,
    /// The linked functions, in link order.
    pub items: Vec<PlanItem>,
}

/// One linked function of a [`Plan`].
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PlanItem {
    pub f: FuncId,
    /// Its name (checked against the program).
    pub name: String,
    /// Its artifact's key in the bundle.
    pub key: u128,
    /// The functions inlined into it, in first-use order (its anchors after its own span).
    pub inlined: Vec<FuncId>,
    /// Its callee list (`cache::callees` of its body after inlining).
    pub callees: Vec<FuncId>,
}

/// Appends `plan` (or the mark of none) to a bundle.
pub(crate) fn write(out: &mut Vec<u8>, plan: Option<&Plan>) {
    let Some(p) = plan else {
        out.extend_from_slice(&0u128.to_le_bytes());
        return;
    };
    out.extend_from_slice(&p.whole.to_le_bytes());
    out.extend_from_slice(&p.funcs.to_le_bytes());
    out.extend_from_slice(&(p.items.len() as u32).to_le_bytes());
    let ids = |out: &mut Vec<u8>, ids: &[FuncId]| {
        out.extend_from_slice(&(ids.len() as u32).to_le_bytes());
        for f in ids {
            out.extend_from_slice(&f.0.to_le_bytes());
        }
    };
    for i in &p.items {
        out.extend_from_slice(&i.f.0.to_le_bytes());
        out.extend_from_slice(&(i.name.len() as u32).to_le_bytes());
        out.extend_from_slice(i.name.as_bytes());
        out.extend_from_slice(&i.key.to_le_bytes());
        ids(out, &i.inlined);
        ids(out, &i.callees);
    }
}

/// Reads what [`write`] appended: `Some(None)` for no plan, `None` if the bytes are not one.
pub(crate) fn read(b: &[u8]) -> Option<Option<Plan>> {
    let mut r = Rd(b);
    let whole = r.u128()?;
    if whole == 0 {
        return r.0.is_empty().then_some(None);
    }
    let funcs = r.u32()?;
    let n = r.u32()? as usize;
    let mut items = Vec::with_capacity(n.min(b.len() / 32));
    for _ in 0..n {
        let f = FuncId(r.u32()?);
        let len = r.u32()? as usize;
        let name = String::from_utf8(r.take(len)?.to_vec()).ok()?;
        let key = r.u128()?;
        let inlined = ids(&mut r)?;
        let callees = ids(&mut r)?;
        items.push(PlanItem { f, name, key, inlined, callees });
    }
    r.0.is_empty().then_some(Some(Plan { whole, funcs, items }))
}

/// A list of function ids (a count, then each id).
fn ids(r: &mut Rd<'_>) -> Option<Vec<FuncId>> {
    let k = r.u32()? as usize;
    let b = r.take(k.checked_mul(4)?)?;
    Some(b.chunks_exact(4).map(|c| FuncId(u32::from_le_bytes([c[0], c[1], c[2], c[3]]))).collect())
}

fn tags(plan: &Plan, program: &Program) -> Result<Vec<Option<Tag>>, String> {
    let n = program.funcs.len();
    if plan.funcs as usize != n {
        return Err(format!("the plan has {} functions, the program {n}", plan.funcs));
    }
    let valid = |f: &FuncId| (f.0 as usize) < n;
    let mut out = Vec::with_capacity(plan.items.len());
    for i in &plan.items {
        if !valid(&i.f) || program.func(i.f).name != i.name || !i.inlined.iter().all(valid) || !i.callees.iter().all(valid) {
            return Err(format!("the plan's `{}` is not the program's", i.name));
        }
        let mut anchors: Vec<Span> = Vec::with_capacity(i.inlined.len() + 1);
        anchors.push(program.func(i.f).span);
        anchors.extend(i.inlined.iter().map(|g| program.func(*g).span));
        out.push(Some(Tag { f: i.f, key: i.key, anchors: Anchors(anchors), inlined: vec![], callees: i.callees.clone() }));
    }
    Ok(out)
}

impl Jit {
    /// Whether the disk cache holds a plan recorded under this run's whole-program key.
    pub fn planned(&self) -> bool {
        self.cache.plan.is_some()
    }

    /// Links and places the whole program as the bundle's plan says, every function from its
    /// artifact (see the module comment). `program` is the checker's output: the inlined
    /// bodies are in the artifacts. On `Err` nothing was placed and this `Jit` must not be
    /// used further: compile with a fresh one (the error says why the plan did not fit).
    pub fn compile_planned(&mut self, program: &Program, locate: &dyn Fn(Span) -> String) -> Result<(), JitError> {
        let plan = self.cache.plan.take().ok_or_else(|| err(JitErrorKind::Link, None, "no plan"))?;
        let tags = tags(&plan, program).map_err(|m| err(JitErrorKind::Link, None, m))?;
        let batch: Vec<FuncId> = plan.items.iter().map(|i| i.f).collect();
        self.planned = Some(tags);
        let linked = self.link_batch(program, batch, locate);
        self.planned = None;
        self.place(program, linked?, locate)?;
        self.cache.stats.whole_program = true;
        Ok(())
    }
}

impl<M: cranelift_module::Module + Send + 'static> crate::Linker<M> {
    /// Links function `f` (declared as `id`) from the artifact its plan's tag names; any miss
    /// or misfit is an error (the plan does not fit: the caller compiles afresh).
    pub(crate) fn link_planned(&mut self, program: &Program, f: FuncId, id: cranelift_module::FuncId, t: &Tag) -> Result<Defined, JitError> {
        let name = &program.func(f).name;
        let a = self.cache.get_planned(t.key, self.s.cc).ok_or_else(|| err(JitErrorKind::Link, Some(name), "the plan's artifact is missing"))?;
        self.link_artifact(program, f, id, &a, &t.callees, &t.anchors)
            .map_err(|m| err(JitErrorKind::Link, Some(name), m.unwrap_or_else(|| "the plan's artifact does not fit".into())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Plan {
        Plan {
            whole: 0x1234_5678_9abc_def0_1122_3344_5566_7788,
            funcs: 9,
            items: vec![
                PlanItem { f: FuncId(3), name: "main".into(), key: 77, inlined: vec![FuncId(1), FuncId(2)], callees: vec![FuncId(4)] },
                PlanItem { f: FuncId(4), name: "g".into(), key: 78, inlined: vec![], callees: vec![] },
            ],
        }
    }

    #[test]
    fn a_plan_round_trips() {
        let mut b = vec![];
        write(&mut b, Some(&sample()));
        assert_eq!(read(&b), Some(Some(sample())));
        let mut none = vec![];
        write(&mut none, None);
        assert_eq!(read(&none), Some(None));
    }

    /// Every truncation and any extra byte is rejected; no damaged byte makes reading panic.
    #[test]
    fn damaged_plans_never_read_or_panic() {
        let mut b = vec![];
        write(&mut b, Some(&sample()));
        for n in 0..b.len() {
            assert_eq!(read(&b[..n]), None, "truncated to {n}");
        }
        let mut longer = b.clone();
        longer.push(0);
        assert_eq!(read(&longer), None);
        for i in 0..b.len() {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut d = b.clone();
                d[i] ^= flip;
                let _ = read(&d);
            }
        }
    }
}
