//! Tail-position normalisation (TIR → TIR, one function at a time), run before tail recursion
//! elimination and inlining: the ways people write a recursive function's body are brought
//! to the one shape `tailrec`, `guard` and the inliner recognise, `I c { base } E { .. }`
//! whose tail positions are expressions:
//!
//! - an early return at the top, `{ I c { R v }; rest }`, becomes `I c { v } E { rest }`
//!   (any statements before it stay in front; the `I` without `E` must diverge);
//! - `R v` in a tail position is `v`;
//! - a tail block `{ a := e1; b := e2; a + b }` whose value uses each of its immutable `let`s
//!   once, in the order they were bound, with nothing evaluated before the last of them but
//!   literals and locals the `let`s do not write, becomes `e1 + e2`.
//!
//! Every rewrite keeps evaluation order and every node's span (runtime errors and backtraces
//! are unchanged); a function left without `R` can then be inlined and looped. What it must
//! not know: what the back end does with the result.

use vais_tir::{visit, Block, Expr, ExprKind, FuncDef, LocalId, Stmt, Ty};

/// Normalises `def`'s tail positions (see the module comment); whether anything changed.
pub fn normalize(def: &mut FuncDef) -> bool {
    let mut n = Norm { ret: def.ret.clone(), mutable: def.locals.iter().map(|d| d.mutable).collect(), changed: false };
    n.tail(&mut def.body);
    n.changed
}

struct Norm {
    ret: Ty,
    /// Per local: declared mutable.
    mutable: Vec<bool>,
    changed: bool,
}

impl Norm {
    fn tail(&mut self, e: &mut Expr) {
        vais_ast::stack::guard(|| {
            match &mut e.kind {
                ExprKind::Return(Some(v)) if v.ty == self.ret => {
                    let v = std::mem::replace(&mut **v, Expr::new(ExprKind::Unit, Ty::Unit, e.span));
                    *e = v;
                    self.changed = true;
                    self.tail(e);
                    return;
                }
                ExprKind::Return(None) if self.ret == Ty::Unit => {
                    e.kind = ExprKind::Unit;
                    e.ty = Ty::Unit;
                    self.changed = true;
                    return;
                }
                ExprKind::Block(b) => {
                    // `{ ..; R v; }`: the `R` is the block's value.
                    if b.value.is_none() && matches!(b.stmts.last(), Some(Stmt::Expr(Expr { kind: ExprKind::Return(_), .. }))) {
                        let Some(Stmt::Expr(r)) = b.stmts.pop() else { unreachable!() };
                        b.value = Some(Box::new(r));
                    }
                    self.early_return(e);
                    if let ExprKind::Block(b) = &mut e.kind {
                        if let Some(v) = &mut b.value {
                            self.tail(v);
                        }
                        self.sink_lets(b);
                    }
                }
                ExprKind::If { then_expr, else_expr: Some(x), .. } => {
                    self.tail(then_expr);
                    self.tail(x);
                }
                ExprKind::Match { arms, .. } => {
                    for a in arms.iter_mut() {
                        self.tail(&mut a.body);
                    }
                }
                _ => return,
            }
            self.retype(e);
        })
    }

    /// A tail node typed `Never` whose tails now give values has the function's type.
    fn retype(&self, e: &mut Expr) {
        if e.ty != Ty::Never {
            return;
        }
        let gives = |x: &Expr| x.ty != Ty::Never;
        let value = match &e.kind {
            ExprKind::If { then_expr, else_expr: Some(x), .. } => gives(then_expr) || gives(x),
            ExprKind::Match { arms, .. } => arms.iter().any(|a| gives(&a.body)),
            ExprKind::Block(b) => b.value.as_deref().is_some_and(gives) && b.stmts.iter().all(|s| !matches!(s, Stmt::Expr(x) if x.ty == Ty::Never)),
            _ => false,
        };
        if value {
            e.ty = self.ret.clone();
        }
    }

    /// `{ s..; I c { .. R v }; rest..; value }` → `{ s..; I c { .. v } E { rest..; value } }`
    /// for the first such `I` (its branch diverges, so `rest` ran only when `c` failed).
    fn early_return(&mut self, e: &mut Expr) {
        let ExprKind::Block(b) = &mut e.kind else { return };
        let hit = b.stmts.iter().position(|s| {
            matches!(s, Stmt::Expr(Expr { kind: ExprKind::If { then_expr, else_expr: None, .. }, .. }) if then_expr.ty == Ty::Never && returns_at_tail(then_expr))
        });
        let Some(i) = hit else { return };
        let rest: Vec<Stmt> = b.stmts.drain(i + 1..).collect();
        let value = b.value.take();
        let Some(Stmt::Expr(mut the_if)) = b.stmts.pop() else { unreachable!() };
        let span = the_if.span;
        let rest_ty = match &value {
            Some(v) => v.ty.clone(),
            None if rest.iter().any(|s| matches!(s, Stmt::Expr(x) if x.ty == Ty::Never)) => Ty::Never,
            None => Ty::Unit,
        };
        let rest_span = value.as_ref().map_or(span, |v| v.span);
        let else_block = Expr::new(ExprKind::Block(Block { stmts: rest, value }), rest_ty, rest_span);
        if let ExprKind::If { else_expr, .. } = &mut the_if.kind {
            *else_expr = Some(Box::new(else_block));
        }
        the_if.ty = Ty::Never;
        b.value = Some(Box::new(the_if));
        self.changed = true;
    }

    /// `{ a := e1; b := e2; a OP b }` → `e1 OP e2` (see the module comment).
    fn sink_lets(&mut self, b: &mut Block) {
        let Some(v) = &b.value else { return };
        if b.stmts.is_empty() || b.stmts.len() > 4 {
            return;
        }
        let mut lets = vec![];
        for s in &b.stmts {
            match s {
                Stmt::Let { local, value } if !self.mutable.get(local.index()).copied().unwrap_or(true) && value.ty != Ty::Never => lets.push((*local, value)),
                _ => return,
            }
        }
        // The value's leaves in evaluation order, through operators only.
        let mut leaves = vec![];
        if !operator_leaves(v, &mut leaves) {
            return;
        }
        let written: std::collections::HashSet<LocalId> = lets.iter().flat_map(|(_, x)| crate::written_locals(x)).collect();
        let mut next = 0;
        for leaf in &leaves {
            match &leaf.kind {
                ExprKind::Local(l) if lets.iter().any(|(x, _)| x == l) => {
                    if next >= lets.len() || lets[next].0 != *l {
                        return;
                    }
                    next += 1;
                }
                // Another local only once every `let`'s value has run (one read earlier could
                // see a change a `let`'s call made through a pointer), and none they assign.
                ExprKind::Local(l) => {
                    if next < lets.len() || written.contains(l) {
                        return;
                    }
                }
                _ => {}
            }
        }
        // Each `let` read exactly once in the whole block: by the value, counted above.
        if next != lets.len() {
            return;
        }
        // (A later `let` reading an earlier one, `b := f(a)`, would lose `a`'s binding.)
        let mut reads = vec![0usize; lets.len()];
        for x in std::iter::once(&**v).chain(lets.iter().map(|(_, x)| *x)) {
            visit::preorder(x, |x| {
                if let ExprKind::Local(l) = x.kind {
                    if let Some(k) = lets.iter().position(|(y, _)| *y == l) {
                        reads[k] += 1;
                    }
                }
            });
        }
        if reads.iter().any(|r| *r != 1) {
            return;
        }
        let mut values: Vec<(LocalId, Expr)> = b
            .stmts
            .drain(..)
            .map(|s| match s {
                Stmt::Let { local, value } => (local, value),
                Stmt::Expr(_) => unreachable!(),
            })
            .collect();
        let v = b.value.as_mut().expect("a value");
        visit::preorder_mut(v, |x| {
            if let ExprKind::Local(l) = x.kind {
                if let Some(k) = values.iter().position(|(y, _)| *y == l) {
                    let (_, value) = values.swap_remove(k);
                    *x = value;
                }
            }
        });
        self.changed = true;
    }
}

/// Whether `e` (typed `Never`) leaves by an `R` with a value at its tail (not a runtime error
/// or `exit`, which an `E` branch would not make clearer).
fn returns_at_tail(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Return(_) => true,
        ExprKind::Block(b) => b.value.as_deref().is_some_and(returns_at_tail) || (b.value.is_none() && matches!(b.stmts.last(), Some(Stmt::Expr(x)) if returns_at_tail(x))),
        _ => false,
    }
}

/// The operands of `e` in evaluation order, through unary, binary (not `&&`/`||`, which may
/// skip their right side) and cast operators; false if `e` has any other inner node.
fn operator_leaves<'a>(e: &'a Expr, out: &mut Vec<&'a Expr>) -> bool {
    use vais_tir::BinaryOp::{And, Or};
    vais_ast::stack::guard(|| match &e.kind {
        ExprKind::Binary { op: And | Or, .. } => false,
        ExprKind::Binary { lhs, rhs, .. } => operator_leaves(lhs, out) && operator_leaves(rhs, out),
        ExprKind::Unary { operand, .. } => operator_leaves(operand, out),
        ExprKind::Cast(x) => operator_leaves(x, out),
        ExprKind::Local(_) | ExprKind::Int(_) | ExprKind::Bool(_) | ExprKind::Float(_) => {
            out.push(e);
            true
        }
        _ => false,
    })
}
