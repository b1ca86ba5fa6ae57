//! Vectorised integer reductions: an unrolled range loop (`L i: a..b`) whose body is nothing
//! but reduction updates (`crate::reduce`: `acc += e`, `acc ^= e`, `acc = acc & e`, ...) of
//! 64-bit integers, where every operand `e` is built lane by lane from `load_i64(p + i * 8)`
//! (unit stride: `p` does not change in the loop), values the loop does not change, literals,
//! and `+ - ^ & |`. `bench/loops.vais`'s `total += load_i64(buf + i * 8) ^ r` is one; so are
//! an integer sum, an xor checksum and a bitwise fold over an `i64` array.
//!
//! The translator then runs four elements per pass as two `i64x2` vectors: each operand is
//! evaluated lane-wise (a loop-invariant value is splatted), each accumulator gets two vector
//! partials starting at the operation's identity, and when the vector loop ends the lanes are
//! folded into the accumulator; the remaining elements run as the scalar loop. `*` is left
//! scalar (x86-64 has no 64-bit lane multiply before AVX-512).
//!
//! Exact for the same reasons as `crate::reduce`'s split accumulators: wrapping `+ - & | ^`
//! are associative and commutative, nothing reads an accumulator inside the loop, and the body
//! has no stores, calls or other effects; a load that faults reports the same site (the load's
//! position) whichever lane it is in.
//!
//! It must not know Cranelift: this module only reads the TIR.

use vais_tir::{BinaryOp, Builtin, Callee, Expr, ExprKind, LocalId, Stmt, Ty};

pub(crate) use crate::reduce::{Family, Update};

/// Largest body (TIR nodes) run as vectors: it is translated twice per pass (two vectors).
const MAX_NODES: usize = 160;

fn is_i64(t: &Ty) -> bool {
    matches!(t, Ty::Int(i) if i.bits() == 64)
}

/// The updates of `body` when it is a vectorisable reduction body over loop variable `var`
/// (see the module comment); the translator checks that each accumulator and each invariant
/// local it reads is a 64-bit integer it can read.
pub(crate) fn plan(body: &Expr, var: LocalId) -> Option<Vec<Update<'_>>> {
    let mut nodes = 0;
    vais_tir::visit::preorder(body, |_| nodes += 1);
    if nodes > MAX_NODES {
        return None;
    }
    let mut stmts: Vec<&Expr> = vec![];
    match &body.kind {
        ExprKind::Block(b) => {
            for s in &b.stmts {
                let Stmt::Expr(x) = s else { return None };
                stmts.push(x);
            }
            if let Some(v) = &b.value {
                if v.ty != Ty::Unit {
                    return None;
                }
                stmts.push(v);
            }
        }
        _ => stmts.push(body),
    }
    let mut ups = vec![];
    for s in stmts {
        ups.push(update(s)?);
    }
    // One operation per accumulator: `s += x; s ^= y` is no reduction.
    if ups.iter().any(|u| ups.iter().any(|w| w.acc == u.acc && w.fam != u.fam)) {
        return None;
    }
    let accs: Vec<LocalId> = ups.iter().map(|u| u.acc).collect();
    let mut loads = 0;
    for u in &ups {
        if accs.contains(&var) || !lanewise(u.operand, var, &accs, &mut loads) {
            return None;
        }
    }
    (loads > 0 && !ups.is_empty()).then_some(ups)
}

/// A reduction update ([`crate::reduce::update`]) of a 64-bit operand with `+ - ^ & |` (no
/// lane-wise 64-bit multiply on x86-64 before AVX-512).
fn update(e: &Expr) -> Option<Update<'_>> {
    crate::reduce::update(e).filter(|u| u.fam != Family::Mul && is_i64(&u.operand.ty))
}

/// The element address `p + var * 8` (either order of either operation): `p`.
pub(crate) fn unit_stride(addr: &Expr, var: LocalId) -> Option<&Expr> {
    let ExprKind::Binary { op: BinaryOp::Add, lhs, rhs } = &addr.kind else { return None };
    let scaled = |e: &Expr| match &e.kind {
        ExprKind::Binary { op: BinaryOp::Mul, lhs, rhs } => {
            let is_var = |x: &Expr| matches!(x.kind, ExprKind::Local(l) if l == var);
            (is_var(lhs) && matches!(rhs.kind, ExprKind::Int(8))) || (is_var(rhs) && matches!(lhs.kind, ExprKind::Int(8)))
        }
        _ => false,
    };
    if scaled(rhs) {
        Some(lhs)
    } else if scaled(lhs) {
        Some(rhs)
    } else {
        None
    }
}

/// Whether `e` is the same in every iteration: literals, locals other than the loop variable
/// and the accumulators, and non-trapping integer arithmetic of those.
pub(crate) fn invariant(e: &Expr, var: LocalId, accs: &[LocalId]) -> bool {
    vais_ast::stack::guard(|| match &e.kind {
        ExprKind::Int(_) => true,
        ExprKind::Local(l) => *l != var && !accs.contains(l),
        ExprKind::Binary { op, lhs, rhs } => {
            matches!(op, BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::BitXor | BinaryOp::BitAnd | BinaryOp::BitOr)
                && e.ty.is_int()
                && invariant(lhs, var, accs)
                && invariant(rhs, var, accs)
        }
        _ => false,
    })
}

/// Whether `e` (64-bit) can be evaluated lane by lane; counts its unit-stride loads.
fn lanewise(e: &Expr, var: LocalId, accs: &[LocalId], loads: &mut usize) -> bool {
    if !is_i64(&e.ty) {
        return false;
    }
    if invariant(e, var, accs) {
        return true;
    }
    vais_ast::stack::guard(|| match &e.kind {
        ExprKind::Binary { op: BinaryOp::Add | BinaryOp::Sub | BinaryOp::BitXor | BinaryOp::BitAnd | BinaryOp::BitOr, lhs, rhs } => {
            lanewise(lhs, var, accs, loads) && lanewise(rhs, var, accs, loads)
        }
        ExprKind::Call { callee: Callee::Builtin(Builtin::LoadI64), args } if args.len() == 1 => {
            *loads += 1;
            unit_stride(&args[0], var).is_some_and(|p| invariant(p, var, accs))
        }
        _ => false,
    })
}

/// The invariant locals `e` reads (the translator checks they are 64-bit integers).
pub(crate) fn locals_read(e: &Expr, out: &mut Vec<LocalId>) {
    vais_tir::visit::preorder(e, |x| {
        if let ExprKind::Local(l) = x.kind {
            out.push(l);
        }
    });
}
