//! One level of self-recursion inlining (batch mode only): in a small, simple, directly
//! recursive function, each self-call in the body is replaced by a copy of the body whose
//! parameters are fresh locals bound to the arguments (`fib(n - 1)` becomes
//! `{ n' := n - 1; n' < 2 ? n' : fib(n' - 1) + fib(n' - 2) }`), halving the calls.
//!
//! Only bodies made of scalar arithmetic, conditionals, blocks with `let`s and calls are
//! considered (no loops, matches, returns, assignments, address-taking or aggregates), so a
//! copy needs nothing but its locals renumbered, and evaluation order is unchanged (arguments
//! are evaluated left to right into the parameter locals, as a call does).

use vais_tir::{Block, Callee, Expr, ExprKind, FuncDef, FuncId, FuncKind, LocalId, Stmt, Ty};

/// How many levels of self-calls are expanded.
const LEVELS: usize = 2;

/// Largest body (in expression nodes) that gets inlined into itself.
const MAX_NODES: usize = 40;

fn scalar(ty: &Ty) -> bool {
    matches!(ty, Ty::Int(_) | Ty::Bool | Ty::F32 | Ty::F64)
}

/// Counts nodes of a simple body; `None` if it contains anything else.
fn simple(e: &Expr, n: &mut usize, calls: &mut usize, f: FuncId) -> Option<()> {
    *n += 1;
    if *n > MAX_NODES || !(scalar(&e.ty) || matches!(e.ty, Ty::Unit)) {
        return None;
    }
    match &e.kind {
        ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Bool(_) | ExprKind::Local(_) => Some(()),
        ExprKind::Unary { operand, .. } => simple(operand, n, calls, f),
        ExprKind::Cast(x) => simple(x, n, calls, f),
        ExprKind::Binary { lhs, rhs, .. } => {
            simple(lhs, n, calls, f)?;
            simple(rhs, n, calls, f)
        }
        ExprKind::If { cond, then_expr, else_expr } => {
            simple(cond, n, calls, f)?;
            simple(then_expr, n, calls, f)?;
            match else_expr {
                Some(x) => simple(x, n, calls, f),
                None => Some(()),
            }
        }
        ExprKind::Block(b) => {
            for s in &b.stmts {
                match s {
                    Stmt::Let { value, .. } | Stmt::Expr(value) => simple(value, n, calls, f)?,
                }
            }
            match &b.value {
                Some(v) => simple(v, n, calls, f),
                None => Some(()),
            }
        }
        ExprKind::Call { callee: Callee::Func(g), args } => {
            if *g == f {
                *calls += 1;
            }
            for a in args {
                simple(a, n, calls, f)?;
            }
            Some(())
        }
        _ => None,
    }
}

/// Renumbers the locals of a (simple) body copy by `off`.
fn shift(e: &mut Expr, off: u32) {
    match &mut e.kind {
        ExprKind::Local(l) => l.0 += off,
        ExprKind::Unary { operand, .. } => shift(operand, off),
        ExprKind::Cast(x) => shift(x, off),
        ExprKind::Binary { lhs, rhs, .. } => {
            shift(lhs, off);
            shift(rhs, off);
        }
        ExprKind::If { cond, then_expr, else_expr } => {
            shift(cond, off);
            shift(then_expr, off);
            if let Some(x) = else_expr {
                shift(x, off);
            }
        }
        ExprKind::Block(b) => {
            for s in &mut b.stmts {
                match s {
                    Stmt::Let { local, value } => {
                        local.0 += off;
                        shift(value, off);
                    }
                    Stmt::Expr(value) => shift(value, off),
                }
            }
            if let Some(v) = &mut b.value {
                shift(v, off);
            }
        }
        ExprKind::Call { args, .. } => args.iter_mut().for_each(|a| shift(a, off)),
        _ => {}
    }
}

/// Replaces every self-call in `e` (not inside arguments of another self-call) by a copy.
fn expand(e: &mut Expr, def: &FuncDef, f: FuncId, locals: &mut Vec<vais_tir::LocalDef>) {
    vais_ast::stack::guard(|| expand_here(e, def, f, locals))
}

fn expand_here(e: &mut Expr, def: &FuncDef, f: FuncId, locals: &mut Vec<vais_tir::LocalDef>) {
    if let ExprKind::Call { callee: Callee::Func(g), args } = &mut e.kind {
        if *g == f && args.len() == def.params.len() {
            let off = locals.len() as u32;
            locals.extend(def.locals.iter().cloned());
            let mut body = def.body.clone();
            shift(&mut body, off);
            let stmts = std::mem::take(args)
                .into_iter()
                .zip(&def.params)
                .map(|(value, p)| Stmt::Let { local: LocalId(p.0 + off), value })
                .collect();
            let ty = e.ty.clone();
            e.kind = ExprKind::Block(Block { stmts, value: Some(Box::new(body)) });
            e.ty = ty;
            return;
        }
    }
    match &mut e.kind {
        ExprKind::Unary { operand, .. } => expand(operand, def, f, locals),
        ExprKind::Cast(x) => expand(x, def, f, locals),
        ExprKind::Binary { lhs, rhs, .. } => {
            expand(lhs, def, f, locals);
            expand(rhs, def, f, locals);
        }
        ExprKind::If { cond, then_expr, else_expr } => {
            expand(cond, def, f, locals);
            expand(then_expr, def, f, locals);
            if let Some(x) = else_expr {
                expand(x, def, f, locals);
            }
        }
        ExprKind::Block(b) => {
            for s in &mut b.stmts {
                match s {
                    Stmt::Let { value, .. } | Stmt::Expr(value) => expand(value, def, f, locals),
                }
            }
            if let Some(v) = &mut b.value {
                expand(v, def, f, locals);
            }
        }
        ExprKind::Call { args, .. } => args.iter_mut().for_each(|a| expand(a, def, f, locals)),
        _ => {}
    }
}

/// `def` (function `f`) with its self-calls inlined once, when it qualifies.
pub(crate) fn self_inline(def: &FuncDef, f: FuncId) -> Option<FuncDef> {
    if !matches!(def.kind, FuncKind::Free) || def.is_async || !def.captures.is_empty() {
        return None;
    }
    if !scalar(&def.ret) || !def.params.iter().all(|p| scalar(&def.local(*p).ty)) {
        return None;
    }
    let (mut n, mut calls) = (0, 0);
    simple(&def.body, &mut n, &mut calls, f)?;
    if calls == 0 || calls > 2 {
        return None;
    }
    let mut out = def.clone();
    let mut locals = std::mem::take(&mut out.locals);
    // Two levels: the second pass expands the self-calls left inside the first copies (with
    // at most two self-calls and a 40-node body, at most 7 copies of the body).
    for _ in 0..LEVELS {
        expand(&mut out.body, def, f, &mut locals);
    }
    out.locals = locals;
    Some(out)
}
