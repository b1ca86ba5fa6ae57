//! Walking TIR: the one place that knows which parts of each node are sub-expressions and
//! sub-patterns. Every pass that walks TIR (the JIT's scans, the session's dependency scan,
//! the verifier, tests) uses these instead of matching every variant itself, so a new node
//! kind is added here once.
//!
//! `children`/`children_mut` call a function on the direct sub-expressions of one node, in
//! evaluation order (invariant 7), for passes that recurse themselves. `preorder` and
//! `preorder_mut` visit a whole tree without recursion (an explicit stack), so a tree as deep
//! as the input is long (a flat `1+1+...` chain) never overflows the stack.

use crate::*;

/// The body of `children` and `children_mut`: one list of every node's sub-expressions, in
/// evaluation order, for shared (`iter`, no `mut`) and mutable (`iter_mut`, `mut`) access.
macro_rules! for_each_child {
    ($e:expr, $f:expr, $iter:ident $(, $m:tt)?) => {{
        let f = $f;
        match & $($m)? $e.kind {
            ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Bool(_)
            | ExprKind::Str(_)
            | ExprKind::Unit
            | ExprKind::Local(_)
            | ExprKind::Global(_)
            | ExprKind::FuncRef(_)
            | ExprKind::Continue => {}
            ExprKind::Tuple(es) | ExprKind::Array(es) => es.$iter().for_each(f),
            ExprKind::StructLit { fields, .. } => fields.$iter().for_each(|(_, x)| f(x)),
            ExprKind::Variant { args, .. } => args.$iter().for_each(f),
            ExprKind::Block(b) => {
                for s in b.stmts.$iter() {
                    match s {
                        Stmt::Let { value, .. } => f(value),
                        Stmt::Expr(x) => f(x),
                    }
                }
                if let Some(v) = & $($m)? b.value {
                    f(v)
                }
            }
            ExprKind::If { cond, then_expr, else_expr } => {
                f(cond);
                f(then_expr);
                if let Some(x) = else_expr {
                    f(x)
                }
            }
            ExprKind::Loop { kind, body } => {
                match kind {
                    LoopKind::Infinite => {}
                    LoopKind::While(c) | LoopKind::Recursion(c) => f(c),
                    LoopKind::Range { start, end, .. } => {
                        f(start);
                        f(end)
                    }
                }
                f(body)
            }
            ExprKind::Break(x) | ExprKind::Return(x) => {
                if let Some(x) = x {
                    f(x)
                }
            }
            ExprKind::Match { scrutinee, arms } => {
                f(scrutinee);
                for a in arms.$iter() {
                    if let Some(g) = & $($m)? a.guard {
                        f(g)
                    }
                    f(& $($m)? a.body)
                }
            }
            ExprKind::Unary { operand, .. } => f(operand),
            ExprKind::Binary { lhs, rhs, .. } => {
                f(lhs);
                f(rhs)
            }
            ExprKind::Cast(x)
            | ExprKind::Deref(x)
            | ExprKind::AddrOf(x)
            | ExprKind::Await(x)
            | ExprKind::Unwrap(x) => {
                f(x)
            }
            ExprKind::Call { callee, args } => {
                if let Callee::Value(c) = callee {
                    f(c)
                }
                args.$iter().for_each(f)
            }
            ExprKind::Field { base, .. } => f(base),
            ExprKind::Index { base, index } => {
                f(base);
                f(index)
            }
            ExprKind::Slice { base, start, end, .. } => {
                f(base);
                if let Some(s) = start {
                    f(s)
                }
                f(end)
            }
            ExprKind::Assign { target, value } | ExprKind::CompoundAssign { target, value, .. } => {
                f(target);
                f(value)
            }
            ExprKind::Closure { captures, .. } => captures.$iter().for_each(f),
            ExprKind::MakeFuture { args, .. } => args.$iter().for_each(f),
            ExprKind::Inlined { args, body, .. } => {
                args.$iter().for_each(|(_, x)| f(x));
                f(body)
            }
        }
    }};
}

/// Calls `f` on every direct sub-expression of `e`, in evaluation order. Patterns are not
/// expressions: see `arm_patterns`.
pub fn children<'a>(e: &'a Expr, f: &mut dyn FnMut(&'a Expr)) {
    for_each_child!(e, f, iter)
}

/// `children` for passes that rewrite: `f` gets each direct sub-expression mutably, in the
/// same order.
pub fn children_mut<'a>(e: &'a mut Expr, f: &mut dyn FnMut(&'a mut Expr)) {
    for_each_child!(e, f, iter_mut, mut)
}

/// Every expression of the tree rooted at `e` (itself first), parents before children and
/// siblings in evaluation order. Uses a heap stack, not recursion.
pub fn preorder<'a>(e: &'a Expr, mut f: impl FnMut(&'a Expr)) {
    let mut stack = vec![e];
    let mut kids = Vec::new();
    while let Some(x) = stack.pop() {
        f(x);
        children(x, &mut |c| kids.push(c));
        stack.extend(kids.drain(..).rev());
    }
}

/// `preorder` for passes that rewrite in place: each node is handed to `f` before its
/// children are visited (so `f` may replace a node's children, and then the new ones are
/// visited).
pub fn preorder_mut(e: &mut Expr, mut f: impl FnMut(&mut Expr)) {
    let mut stack: Vec<&mut Expr> = vec![e];
    let mut kids: Vec<&mut Expr> = Vec::new();
    while let Some(x) = stack.pop() {
        f(x);
        children_mut(x, &mut |c| kids.push(c));
        stack.extend(kids.drain(..).rev());
    }
}

/// The patterns directly inside a match expression's arms (empty for other nodes).
pub fn arm_patterns(e: &Expr) -> impl Iterator<Item = &Pattern> {
    let arms: &[Arm] = match &e.kind {
        ExprKind::Match { arms, .. } => arms,
        _ => &[],
    };
    arms.iter().map(|a| &a.pattern)
}

/// Every pattern of the tree rooted at `p` (itself first), without recursion.
pub fn pattern_preorder<'a>(p: &'a Pattern, mut f: impl FnMut(&'a Pattern)) {
    let mut stack = vec![p];
    while let Some(q) = stack.pop() {
        f(q);
        match &q.kind {
            PatternKind::Variant { args: ps, .. } | PatternKind::Tuple(ps) | PatternKind::Or(ps) => {
                stack.extend(ps.iter().rev())
            }
            _ => {}
        }
    }
}

/// Every type nested in `t` (itself first).
pub fn each_ty<'a>(t: &'a Ty, f: &mut impl FnMut(&'a Ty)) {
    f(t);
    match t {
        Ty::Ptr(x) | Ty::Ref(x) | Ty::Array(x) | Ty::Future(x) | Ty::Range(x) | Ty::Optional(x) => each_ty(x, f),
        Ty::Map(k, v) => {
            each_ty(k, f);
            each_ty(v, f)
        }
        Ty::Tuple(ts) => ts.iter().for_each(|x| each_ty(x, f)),
        Ty::Fn(ps, r) => {
            ps.iter().for_each(|x| each_ty(x, f));
            each_ty(r, f)
        }
        _ => {}
    }
}

/// The user function a node refers to directly (a call, a function value, a closure's code,
/// an async call), if any.
pub fn referenced_func(e: &Expr) -> Option<FuncId> {
    match &e.kind {
        ExprKind::FuncRef(f)
        | ExprKind::Closure { func: f, .. }
        | ExprKind::MakeFuture { func: f, .. }
        | ExprKind::Call { callee: Callee::Func(f), .. } => Some(*f),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(v: i128) -> Expr {
        Expr::new(ExprKind::Int(v), Ty::I64, Span::default())
    }
    fn add(a: Expr, b: Expr) -> Expr {
        Expr::new(ExprKind::Binary { op: BinaryOp::Add, lhs: Box::new(a), rhs: Box::new(b) }, Ty::I64, Span::default())
    }

    #[test]
    fn preorder_visits_parents_first_in_evaluation_order() {
        let e = add(add(int(1), int(2)), int(3));
        let mut seen = vec![];
        preorder(&e, |x| {
            seen.push(match x.kind {
                ExprKind::Int(v) => v.to_string(),
                _ => "+".into(),
            })
        });
        assert_eq!(seen, ["+", "+", "1", "2", "3"]);
    }

    #[test]
    fn preorder_mut_rewrites_every_node_of_a_deep_tree() {
        let mut e = int(1);
        for _ in 0..300_000 {
            e = add(e, int(1));
        }
        preorder_mut(&mut e, |x| {
            if let ExprKind::Int(v) = &mut x.kind {
                *v += 1
            }
        });
        let mut sum = 0;
        preorder(&e, |x| {
            if let ExprKind::Int(v) = x.kind {
                sum += v
            }
        });
        assert_eq!(sum, 2 * 300_001);
        std::mem::forget(e); // a recursive drop of the chain would overflow the test's stack
    }

    #[test]
    fn each_ty_sees_nested_types() {
        let t = Ty::Fn(vec![Ty::Ptr(Box::new(Ty::Struct(StructId(4))))], Box::new(Ty::Tuple(vec![Ty::Enum(EnumId(2))])));
        let mut n = vec![];
        each_ty(&t, &mut |x| {
            if let Ty::Struct(s) = x {
                n.push(s.0)
            }
            if let Ty::Enum(e) = x {
                n.push(100 + e.0)
            }
        });
        assert_eq!(n, [4, 102]);
    }
}
