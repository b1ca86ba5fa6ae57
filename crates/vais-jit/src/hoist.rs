//! Loop-invariant parts of addresses: inside a loop, an address such as
//! `m + (i * n + k) * 8` (`at(m, n, i, k)` inlined into the `k` loop of a matrix multiply, or
//! `m[i * n + k]`) is computed as `(m + (i * n) * 8) + k * 8`, the terms that do not change in
//! the loop first. Cranelift's mid-end then hoists the invariant sum out of the loop (one value
//! per row instead of `m`, `i * n` and the arithmetic kept live across the loop, which cost
//! `bench/matmul` a stack reload of each per use), and the x64 back end folds `base + k * 8` into
//! the memory instruction.
//!
//! Exact: the address is a sum of terms times constants in wrapping 64-bit arithmetic, where
//! `+`, `-` and `*` by a constant distribute and reassociate freely. Only pure terms (locals,
//! literals, `+ - *` of them) that read no local the loop writes or binds are moved; anything
//! else (a load, a call, a division) stays in place, in the order written.
//!
//! This module only reads the TIR; the translator emits the sums.

use std::collections::HashSet;

use vais_tir::{BinaryOp, Expr, ExprKind, LocalId, LoopKind, PatternKind, Stmt, Ty};

/// Most terms an address is split into (larger sums are left as written).
const MAX_TERMS: usize = 8;

/// The locals a loop may change between iterations: its range variable and every local its
/// body (or condition) assigns, takes the address of or binds.
pub(crate) fn variant(kind: &LoopKind, body: &Expr) -> HashSet<LocalId> {
    let mut out = HashSet::new();
    match kind {
        LoopKind::Range { var: Some(v), .. } => {
            out.insert(*v);
        }
        LoopKind::While(c) | LoopKind::Recursion(c) => collect(c, &mut out),
        _ => {}
    }
    collect(body, &mut out);
    out
}

fn collect(e: &Expr, out: &mut HashSet<LocalId>) {
    vais_tir::visit::preorder(e, |x| match &x.kind {
        ExprKind::Assign { target, .. } | ExprKind::CompoundAssign { target, .. } => out.extend(target.root_local()),
        ExprKind::AddrOf(p) => out.extend(p.root_local()),
        ExprKind::Block(b) => {
            for s in &b.stmts {
                if let Stmt::Let { local, .. } = s {
                    out.insert(*local);
                }
            }
        }
        ExprKind::Loop { kind: LoopKind::Range { var: Some(v), .. }, .. } => {
            out.insert(*v);
        }
        ExprKind::Inlined { args, .. } => out.extend(args.iter().map(|(l, _)| *l)),
        _ => {
            for p in vais_tir::visit::arm_patterns(x) {
                vais_tir::visit::pattern_preorder(p, |q| {
                    if let PatternKind::Bind(l) = q.kind {
                        out.insert(l);
                    }
                });
            }
        }
    });
}

/// `e * factor` as a sum of `(factor, term)`: `+` and `-` of `i64`s split, `*` by a literal
/// scales. `None` when there are more than [`MAX_TERMS`] terms.
pub(crate) fn terms(e: &Expr, factor: i64) -> Option<Vec<(i64, &Expr)>> {
    let mut out = vec![];
    split(e, factor, &mut out).then_some(out)
}

fn split<'e>(e: &'e Expr, f: i64, out: &mut Vec<(i64, &'e Expr)>) -> bool {
    if out.len() >= MAX_TERMS {
        return false;
    }
    let int64 = matches!(e.ty, Ty::Int(i) if i.bits() == 64);
    match &e.kind {
        ExprKind::Binary { op: BinaryOp::Add, lhs, rhs } if int64 => split(lhs, f, out) && split(rhs, f, out),
        ExprKind::Binary { op: BinaryOp::Sub, lhs, rhs } if int64 => split(lhs, f, out) && split(rhs, f.wrapping_neg(), out),
        ExprKind::Binary { op: BinaryOp::Mul, lhs, rhs } if int64 => match (&lhs.kind, &rhs.kind) {
            (_, ExprKind::Int(c)) => split(lhs, f.wrapping_mul(*c as i64), out),
            (ExprKind::Int(c), _) => split(rhs, f.wrapping_mul(*c as i64), out),
            _ => {
                out.push((f, e));
                true
            }
        },
        _ => {
            out.push((f, e));
            true
        }
    }
}

/// Whether `e` is pure arithmetic on locals outside `variant` and literals (its value is the
/// same in every iteration of the loop, and computing it earlier has no effect).
pub(crate) fn invariant(e: &Expr, variant: &HashSet<LocalId>) -> bool {
    vais_ast::stack::guard(|| match &e.kind {
        ExprKind::Int(_) => true,
        ExprKind::Local(l) => !variant.contains(l),
        ExprKind::Binary { op: BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul, lhs, rhs } => {
            e.ty.is_int() && invariant(lhs, variant) && invariant(rhs, variant)
        }
        _ => false,
    })
}

/// Whether evaluating `e` writes nothing (it may read memory and trap): then the pure terms
/// of the same address can be computed before or after it with no difference.
pub(crate) fn writes_nothing(e: &Expr) -> bool {
    let mut ok = true;
    vais_tir::visit::preorder(e, |x| {
        ok &= match &x.kind {
            ExprKind::Call { callee, .. } => matches!(callee, vais_tir::Callee::Builtin(vais_tir::Builtin::LoadI64 | vais_tir::Builtin::LoadByte)),
            ExprKind::Assign { .. }
            | ExprKind::CompoundAssign { .. }
            | ExprKind::Block(_)
            | ExprKind::Loop { .. }
            | ExprKind::Inlined { .. }
            | ExprKind::Closure { .. }
            | ExprKind::MakeFuture { .. }
            | ExprKind::Await(_)
            | ExprKind::Return(_)
            | ExprKind::Break(_)
            | ExprKind::Continue => false,
            _ => true,
        };
    });
    ok
}
