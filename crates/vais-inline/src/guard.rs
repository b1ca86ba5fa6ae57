//! Partial inlining of entry guards: a call that is not inlined (the callee is too big, or a
//! recursion is as deep as [`crate::Limits::self_levels`] allows) still gets a copy of the
//! callee's *entry guard* when it has one, so the cheap case never makes the call.
//!
//! A function has an entry guard when its body, as written, is `I c { v } E { .. }` (or
//! `c ? v : ..`, or with the branches the other way round) where `c` and `v` are small and
//! read no local but the parameters; `c` is pure and cannot trap (literals, parameters,
//! non-trapping arithmetic, comparisons and logic: `tailrec`'s notion of pure), while `v` may
//! call, read memory or trap but binds, assigns and addresses nothing. The call `g(a, b)`
//! becomes
//!
//! ```text
//! { t := a; u := b; c[t, u] ? <inlined copy of g: v[t, u]> : g(t, u) }
//! ```
//!
//! which is what `gcc -O2` gets from partial inlining and shrink-wrapping: `fib`'s innermost
//! calls with `n < 2` cost a compare instead of a call that saves five registers. The
//! arguments are evaluated once, in order, as before; `c` is evaluated again by the callee
//! when it is called, which nothing can observe because `c` is pure. `v` is an inlined copy
//! of `g` (an `ExprKind::Inlined` node: the profiler attributes it to `g`, a REPL
//! redefinition of `g` recompiles the caller, the cache keys the caller by `g`); `c` and the
//! call keep the call's position, so a backtrace through the call has no extra frame.
//!
//! What it must not know: how the back end translates any of it.

use std::collections::HashMap;

use vais_tir::{visit, Block, Callee, Expr, ExprKind, FuncDef, FuncId, LocalDef, LocalId, Stmt};

/// Nodes of `c` and `v` together, at most (a guard is the size of a call).
const GUARD_NODES: usize = 16;

/// A function's entry guard: when `cond` holds (or fails, `negated`), the function's value is
/// `value`. Both read only the function's parameters.
#[derive(Clone, Debug)]
pub struct Guard {
    pub cond: Expr,
    pub value: Expr,
    /// The cheap case is the `E` branch: it runs when `cond` is false.
    pub negated: bool,
}

/// `def`'s entry guard, from its body as written (before tail recursion elimination).
pub fn guard_of(def: &FuncDef) -> Option<Guard> {
    if !def.captures.is_empty() || def.is_async {
        return None;
    }
    let mut body = &def.body;
    while let ExprKind::Block(Block { stmts, value: Some(v) }) = &body.kind {
        if !stmts.is_empty() {
            return None;
        }
        body = v;
    }
    let ExprKind::If { cond, then_expr, else_expr: Some(else_expr) } = &body.kind else { return None };
    let cheap = |e: &Expr| e.ty == def.ret && nodes(e) < GUARD_NODES && copyable(e, def);
    let calls = |e: &Expr| {
        let mut n = 0;
        visit::preorder(e, |x| n += usize::from(matches!(x.kind, ExprKind::Call { .. })));
        n
    };
    let (value, negated) = match (cheap(then_expr), cheap(else_expr)) {
        (true, false) => (then_expr, false),
        (false, true) => (else_expr, true),
        // Both small: the one that calls nothing is the cheap case (`m == 0 ? n + 1 :
        // (n == 0 ? @(m - 1, 1) : ..)`); two call-free branches make a function small enough
        // to inline whole.
        (true, true) => match (calls(then_expr), calls(else_expr)) {
            (0, c) if c > 0 => (then_expr, false),
            (c, 0) if c > 0 => (else_expr, true),
            _ => return None,
        },
        _ => return None,
    };
    if !trivial(cond, def) || nodes(cond) + nodes(value) > GUARD_NODES {
        return None;
    }
    Some(Guard { cond: (**cond).clone(), value: (**value).clone(), negated })
}

/// Whether `e` (a guard's value) can run as an inlined copy in a caller: it reads no local
/// but a parameter of `def`, binds none, takes no address, assigns nothing and leaves
/// nothing early. It may call, read memory or trap: it runs inside an `Inlined` node, so a
/// runtime error in it names `def` and its own line, as inlining does.
fn copyable(e: &Expr, def: &FuncDef) -> bool {
    let mut ok = true;
    visit::preorder(e, |x| {
        ok &= match &x.kind {
            ExprKind::Local(l) => def.params.contains(l),
            ExprKind::Block(b) => b.stmts.iter().all(|s| matches!(s, vais_tir::Stmt::Expr(_))),
            ExprKind::Return(_)
            | ExprKind::Break(_)
            | ExprKind::Continue
            | ExprKind::Loop { .. }
            | ExprKind::Assign { .. }
            | ExprKind::CompoundAssign { .. }
            | ExprKind::AddrOf(_)
            | ExprKind::Match { .. }
            | ExprKind::Closure { .. }
            | ExprKind::MakeFuture { .. }
            | ExprKind::Await(_)
            | ExprKind::Inlined { .. }
            | ExprKind::Global(_) => false,
            _ => true,
        };
    });
    ok
}

/// Pure, cannot trap, and reads no local but a parameter of `def`.
fn trivial(e: &Expr, def: &FuncDef) -> bool {
    if !crate::tailrec::pure(e) {
        return false;
    }
    let mut params_only = true;
    visit::preorder(e, |x| {
        if let ExprKind::Local(l) = &x.kind {
            params_only &= def.params.contains(l);
        }
    });
    params_only
}

fn nodes(e: &Expr) -> usize {
    let mut n = 0;
    visit::preorder(e, |_| n += 1);
    n
}

/// The call `call` (a `Call` of `g` by `Callee::Func`, arguments already rewritten), made
/// into its guarded form: `locals` are the caller's (fresh ones are appended for arguments
/// that are not `stable`). Returns the new expression and the nodes it added.
pub fn apply(call: Expr, g: FuncId, def: &FuncDef, guard: &Guard, locals: &mut Vec<LocalDef>) -> (Expr, usize) {
    let span = call.span;
    let ty = call.ty.clone();
    let ExprKind::Call { args, .. } = call.into_kind() else { unreachable!("guard::apply on a call") };
    let mut lets = vec![];
    // What each parameter reads as in the copy: the argument itself when `stable`, else a
    // fresh immutable local bound to it.
    let mut subst: Vec<Expr> = vec![];
    for (p, a) in def.params.iter().zip(args) {
        let pd = def.local(*p);
        if crate::stable(&a, locals) {
            subst.push(a);
            continue;
        }
        let l = LocalId(locals.len() as u32);
        locals.push(LocalDef { name: format!("{}$guard", pd.name), ty: pd.ty.clone(), mutable: false, span: a.span });
        lets.push(Stmt::Let { local: l, value: a });
        subst.push(Expr::new(ExprKind::Local(l), pd.ty.clone(), span));
    }
    // The copy's parameters are renumbered past every caller local, then replaced, as an
    // inlined copy's are (`crate::shift_locals`, `crate::substitute`).
    let off = locals.len() as u32;
    let map: HashMap<LocalId, Expr> = def.params.iter().zip(&subst).map(|(p, v)| (LocalId(p.0 + off), v.clone())).collect();
    let read = |e: &Expr, at_call: bool| {
        let mut e = e.clone();
        crate::shift_locals(&mut e, off);
        if at_call {
            visit::preorder_mut(&mut e, |x| x.span = span);
        }
        crate::substitute(&mut e, &map);
        e
    };
    let cond = read(&guard.cond, true);
    let value = read(&guard.value, false);
    let added = nodes(&cond) + nodes(&value) + 2;
    let value = Expr::new(ExprKind::Inlined { func: g, args: vec![], body: Box::new(value) }, ty.clone(), span);
    let args = subst;
    let call = Expr::new(ExprKind::Call { callee: Callee::Func(g), args }, ty.clone(), span);
    let (then_expr, else_expr) = if guard.negated { (call, value) } else { (value, call) };
    let choice = Expr::new(ExprKind::If { cond: Box::new(cond), then_expr: Box::new(then_expr), else_expr: Some(Box::new(else_expr)) }, ty.clone(), span);
    let out = if lets.is_empty() { choice } else { Expr::new(ExprKind::Block(Block { stmts: lets, value: Some(Box::new(choice)) }), ty, span) };
    (out, added)
}
