//! Unroll-and-jam of a range loop nest that only reduces: `L r: a..b { L i: c..d { body } }`
//! where the inner body reads memory and updates reduction accumulators (`crate::reduce`) and
//! nothing else. The outer loop then runs two values of `r` per pass over the inner loop, whose
//! body holds both copies (`body` with `r`, then with `r + 1`); the last value, if the count is
//! odd, runs as before. Each element the inner loop reads is read once for both values of `r`:
//! half the memory traffic on a loop that streams a buffer too large for the nearer caches
//! (`bench/loops.vais`: `cc -O2` does the same by vectorising the outer loop).
//!
//! Exact when the order of the inner bodies does not matter, which this module checks on the
//! TIR: the outer body is the inner loop alone; the inner bounds are constants and locals the
//! nest never writes (not `r`), so every pass runs the same trip; the inner body is small, calls
//! nothing but the load built-ins (no stores: memory does not change during the nest), has no
//! operation that can stop the program with a different error in a different order (division,
//! remainder, shifts, indexing, unwrap, `B`/`C`/`R`, nested loops), and writes only locals it
//! binds itself and reduction accumulators (whose wrapping integer updates give the same bits
//! in any order). The loop variables are never written. A load that faults reports the same
//! site in either order. The translator still checks that each accumulator is an integer in an
//! SSA variable.

use std::collections::HashSet;

use vais_tir::{BinaryOp, Builtin, Callee, Expr, ExprKind, LocalId, LoopKind, Stmt};

/// How many TIR nodes the inner body may have (it is translated twice per unrolled copy).
const JAM_MAX_NODES: usize = 24;

/// The inner loop of a jammable nest whose outer loop variable is `outer_var` and body
/// `outer_body`, with the reduction accumulators the translator must check.
pub(crate) fn candidate(outer_body: &Expr, outer_var: Option<LocalId>) -> Option<(&Expr, Vec<LocalId>)> {
    let inner = match &outer_body.kind {
        ExprKind::Loop { .. } => outer_body,
        ExprKind::Block(b) => match (b.stmts.as_slice(), &b.value) {
            ([Stmt::Expr(x)], None) if matches!(x.kind, ExprKind::Loop { .. }) => x,
            ([], Some(x)) if matches!(x.kind, ExprKind::Loop { .. }) => &**x,
            _ => return None,
        },
        _ => return None,
    };
    let ExprKind::Loop { kind: LoopKind::Range { var, start, end, inclusive: false }, body } = &inner.kind else {
        return None;
    };
    let mut budget = JAM_MAX_NODES;
    let mut written = HashSet::new();
    let mut bound = HashSet::new();
    if !body_ok(body, &mut budget, &mut written, &mut bound) {
        return None;
    }
    let fixed = |l: &Option<LocalId>| l.is_none_or(|l| !written.contains(&l));
    if !fixed(var) || !fixed(&outer_var) {
        return None;
    }
    if !invariant(start, &written, outer_var) || !invariant(end, &written, outer_var) {
        return None;
    }
    let reds: Vec<LocalId> = crate::reduce::reductions(body).into_iter().map(|(l, _)| l).collect();
    if written.iter().any(|l| !bound.contains(l) && !reds.contains(l)) {
        return None;
    }
    let accs = reds.into_iter().filter(|l| written.contains(l) && !bound.contains(l)).collect();
    Some((inner, accs))
}

/// A bound of the inner loop: the same value on every pass of the outer loop.
fn invariant(e: &Expr, written: &HashSet<LocalId>, outer_var: Option<LocalId>) -> bool {
    match &e.kind {
        ExprKind::Int(_) => true,
        ExprKind::Local(l) => !written.contains(l) && Some(*l) != outer_var,
        ExprKind::Binary { op: BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul, lhs, rhs } => {
            invariant(lhs, written, outer_var) && invariant(rhs, written, outer_var)
        }
        _ => false,
    }
}

/// The inner body's nodes are all of the allowed kinds (see the module comment); collects the
/// locals it assigns and those it binds.
fn body_ok(e: &Expr, budget: &mut usize, written: &mut HashSet<LocalId>, bound: &mut HashSet<LocalId>) -> bool {
    if *budget == 0 {
        return false;
    }
    *budget -= 1;
    match &e.kind {
        ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Bool(_) | ExprKind::Local(_) | ExprKind::Unit => {}
        ExprKind::Block(b) => {
            for s in &b.stmts {
                if let Stmt::Let { local, .. } = s {
                    bound.insert(*local);
                }
            }
        }
        ExprKind::If { .. } | ExprKind::Unary { .. } | ExprKind::Cast(_) => {}
        ExprKind::Binary { op, .. } => {
            if matches!(op, BinaryOp::Div | BinaryOp::Rem | BinaryOp::Shl | BinaryOp::Shr) {
                return false;
            }
        }
        ExprKind::Call { callee: Callee::Builtin(Builtin::LoadI64 | Builtin::LoadByte), .. } => {}
        ExprKind::Assign { target, .. } | ExprKind::CompoundAssign { target, .. } => {
            let ExprKind::Local(l) = target.kind else { return false };
            written.insert(l);
            if let ExprKind::CompoundAssign { op: BinaryOp::Div | BinaryOp::Rem | BinaryOp::Shl | BinaryOp::Shr, .. } =
                e.kind
            {
                return false;
            }
        }
        _ => return false,
    }
    let mut ok = true;
    vais_tir::visit::children(e, &mut |x| ok = ok && body_ok(x, budget, written, bound));
    ok
}
