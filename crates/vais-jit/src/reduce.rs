//! Reductions in the body of an unrolled range loop: locals the body only ever updates as
//! `acc op= e` or `acc = acc op e` (`e op acc` for commutative `op`) with one associative,
//! commutative integer operation (`+`/`-`, `*`, `&`, `|`, `^`) and `e` not reading `acc`. The
//! unroller gives each of the four copies of such a body its own partial accumulator (copy 0
//! the local itself, copies 1-3 fresh variables starting at the operation's identity) and
//! combines them when the unrolled loop ends, so the four updates of one iteration no longer
//! form one dependency chain.
//!
//! Exact for integers: they wrap, and wrapping `+`, `*`, `&`, `|`, `^` are associative and
//! commutative (`a - x` is `a + (-x)`), so any grouping gives the same bits. Never floats (their
//! sums depend on the order). Nothing else observes the accumulator meanwhile: the body reads
//! it only inside its own updates (any other read or write, including a binding of the same
//! local, excludes it), the unroller admits no calls, `B` or `C` in the body, and a runtime
//! error or interrupt inside the loop ends the program (or REPL input) without the local being
//! read again; REPL top-level locals live in memory, not in variables, and are never split.

use std::collections::HashMap;

use vais_tir::{BinaryOp, Builtin, Callee, Expr, ExprKind, LocalId, Stmt};

/// The operation a reduction combines its partial accumulators with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Family {
    /// `+` and `-` (partial sums are added).
    Add,
    Mul,
    And,
    Or,
    Xor,
}

impl Family {
    fn of(op: BinaryOp) -> Option<Family> {
        Some(match op {
            BinaryOp::Add | BinaryOp::Sub => Family::Add,
            BinaryOp::Mul => Family::Mul,
            BinaryOp::BitAnd => Family::And,
            BinaryOp::BitOr => Family::Or,
            BinaryOp::BitXor => Family::Xor,
            _ => return None,
        })
    }

    /// The value a partial accumulator starts from.
    pub(crate) fn identity(self) -> i128 {
        match self {
            Family::Add | Family::Or | Family::Xor => 0,
            Family::Mul => 1,
            Family::And => -1,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Use {
    Reduce(Family),
    Other,
}

/// The locals of `body` that are reductions (see the module comment), in order of first use.
/// The caller still checks each one's type and storage (integers in SSA variables only).
pub(crate) fn reductions(body: &Expr) -> Vec<(LocalId, Family)> {
    let mut uses = HashMap::new();
    let mut order = Vec::new();
    scan(body, &mut uses, &mut order);
    order
        .into_iter()
        .filter_map(|l| match uses[&l] {
            Use::Reduce(f) => Some((l, f)),
            Use::Other => None,
        })
        .collect()
}

/// The reductions worth splitting: those whose chain of updates is what bounds the loop. Per
/// copy of the body, the updates of one accumulator take their latency in sequence (1 cycle for
/// `+ - & | ^`, 3 for `*`), while the body's loads take half a cycle each (two load ports);
/// when the loads take as long, the separate accumulators only add registers, which cost spills
/// in functions with many live values (`bench/matmul.vais`: 2 loads and one `+=` per copy ran
/// ~10% slower split, `bench/loops.vais`: 1 load and one `+=` per copy ran ~25% faster).
pub(crate) fn chain_bound(body: &Expr) -> Vec<(LocalId, Family)> {
    let reds = reductions(body);
    if reds.is_empty() {
        return reds;
    }
    let mut loads = 0usize;
    let mut updates: HashMap<LocalId, usize> = HashMap::new();
    vais_tir::visit::preorder(body, |e| {
        if let ExprKind::Call { callee: Callee::Builtin(Builtin::LoadI64 | Builtin::LoadByte), .. } = e.kind {
            loads += 1;
        }
        if let Some(u) = update(e) {
            *updates.entry(u.acc).or_default() += 1;
        }
    });
    reds.into_iter()
        .filter(|(l, f)| {
            let lat = if *f == Family::Mul { 3 } else { 1 };
            2 * lat * updates.get(l).copied().unwrap_or(0) > loads
        })
        .collect()
}

fn note(uses: &mut HashMap<LocalId, Use>, order: &mut Vec<LocalId>, l: LocalId, u: Use) {
    match uses.get(&l) {
        None => {
            uses.insert(l, u);
            order.push(l);
        }
        Some(&old) if old != u => {
            uses.insert(l, Use::Other);
        }
        Some(_) => {}
    }
}

fn local_of(e: &Expr) -> Option<LocalId> {
    match e.kind {
        ExprKind::Local(l) => Some(l),
        _ => None,
    }
}

/// A reduction update `acc op= e` / `acc = acc op e` / `acc = e op acc` (not `-`).
pub(crate) struct Update<'e> {
    pub acc: LocalId,
    pub fam: Family,
    /// The operation is `-` (family [`Family::Add`]: `acc - e`).
    pub sub: bool,
    pub operand: &'e Expr,
}

/// `e` as a reduction update ([`Update`]), when it is one.
pub(crate) fn update(e: &Expr) -> Option<Update<'_>> {
    let (acc, op, operand) = match &e.kind {
        ExprKind::CompoundAssign { op, target, value } => (local_of(target)?, *op, &**value),
        ExprKind::Assign { target, value } => {
            let l = local_of(target)?;
            let ExprKind::Binary { op, lhs, rhs } = &value.kind else { return None };
            if local_of(lhs) == Some(l) {
                (l, *op, &**rhs)
            } else if local_of(rhs) == Some(l) && *op != BinaryOp::Sub {
                (l, *op, &**lhs)
            } else {
                return None;
            }
        }
        _ => return None,
    };
    Some(Update { acc, fam: Family::of(op)?, sub: op == BinaryOp::Sub, operand })
}

fn scan(e: &Expr, uses: &mut HashMap<LocalId, Use>, order: &mut Vec<LocalId>) {
    if let Some(u) = update(e) {
        note(uses, order, u.acc, Use::Reduce(u.fam));
        return scan(u.operand, uses, order);
    }
    match &e.kind {
        ExprKind::Local(l) => note(uses, order, *l, Use::Other),
        ExprKind::Block(b) => {
            for s in &b.stmts {
                if let Stmt::Let { local, .. } = s {
                    note(uses, order, *local, Use::Other);
                }
            }
        }
        ExprKind::Inlined { args, .. } => {
            for (l, _) in args {
                note(uses, order, *l, Use::Other);
            }
        }
        _ => {}
    }
    for p in vais_tir::visit::arm_patterns(e) {
        vais_tir::visit::pattern_preorder(p, |q| {
            if let vais_tir::PatternKind::Bind(l) = q.kind {
                note(uses, order, l, Use::Other);
            }
        });
    }
    vais_tir::visit::children(e, &mut |c| scan(c, uses, order));
}
