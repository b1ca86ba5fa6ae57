//! Tail recursion elimination (TIR → TIR, one function at a time), run before inlining: a
//! self-call whose value is the function's value becomes a jump back to the start of a loop
//! with the parameters reassigned, and "tail recursion modulo accumulator" turns
//! `x OP @(..)` / `@(..) OP x` (OP one of `+ * & | ^` on integers, which wrap, so
//! reassociating is exact) into a loop that folds `x` into an accumulator (`fib`'s
//! `@(n - 1) + @(n - 2)` keeps one real call and loops on the other, as `gcc -O2` does).
//!
//! Tail positions: the body, a block's value, both branches of `I`/`E` and `?:`, every `M`
//! arm, and the value of an `R` outside any inner loop. An operand chain of one operator is
//! flattened in evaluation order and the last self-call in it is the one that loops, provided
//! every operand after it is *pure* (literals, locals, non-trapping arithmetic): those are
//! evaluated before the loop's next iteration instead of after the call's body, which nothing
//! can observe; operands before it run first as they did. Floats are never reassociated.
//!
//! Not transformed: lambdas, async functions, REPL entries, and functions that take the
//! address of anything in their frame or build array literals or closures there (a loop
//! reuses the frame, so an address passed to the next "call" would see it overwritten).
//!
//! Runaway recursion still ends in a stack overflow: every [`BUDGET`] iterations the loop
//! makes a real call instead of jumping (`I budget == 0 { @(t..) } E { budget -= 1; .. }`),
//! so a recursion that never ends overflows after `BUDGET` times its former depth, and a
//! deep one uses `1 / BUDGET` of its former stack. A recursion that provably ends (its entry
//! guard stops an integer parameter below a constant and every self-call lowers that parameter
//! by a constant, see [`bounded`]) cannot run away: its loop has no budget (`fib`: the counter
//! was a spilled register and a store per iteration). Such a function whose body is
//! `I c { base } E { looping }` (either way round, every value of `looping` looping) becomes a
//! while loop, `acc := id; L _: !c { looping' }; base OP acc`, which the back end rotates (one
//! compare-and-branch per iteration), and after inlining a site that adds an inlined copy of
//! such a function starts the copy's accumulator at its own ([`share_accumulators`]). The
//! loop's back-edge polls for Ctrl-C, and
//! every node keeps its span, so runtime errors name the function and line as before (with
//! fewer frames in backtraces, as with gcc).

use std::collections::HashMap;

use vais_tir::visit;
use vais_tir::{BinaryOp, Block, Callee, Expr, ExprKind, FuncDef, FuncId, FuncKind, IntTy, LocalDef, LocalId, LoopKind, Stmt, Ty, UnaryOp};

/// Iterations of a transformed loop between two real calls.
pub const BUDGET: i128 = 16;

/// The name of the budget's local.
pub const BUDGET_LOCAL: &str = "tail$budget";

/// What [`eliminate`] made of a function.
#[derive(Clone, Debug)]
pub struct Looped {
    /// The budget's local.
    pub budget: LocalId,
    /// Spans of the real calls the budget makes (never worth inlining: they run once every
    /// [`BUDGET`] iterations).
    pub calls: Vec<vais_ast::Span>,
}

/// Rewrites `def` (function `id`) as described in the module comment; `None` when nothing
/// changed.
pub fn eliminate(def: &mut FuncDef, id: FuncId) -> Option<Looped> {
    if !matches!(def.kind, FuncKind::Free | FuncKind::Method { .. }) || def.is_async || def.ret == Ty::Never {
        return None;
    }
    if !def.captures.is_empty() || !frame_safe(&def.body) {
        return None;
    }
    narrow_tails(&mut def.body, id, def.params.len(), &def.ret);
    let has_return = contains_return(&def.body);
    // What the tail positions hold: the first accumulating operator found decides.
    let mut scan = Scan { id, nparams: def.params.len(), ret: &def.ret, plain: 0, op: None, base: false, silent: 0 };
    scan.tail(&def.body);
    let mut returns = vec![];
    if has_return {
        collect_returns(&def.body, 0, &mut returns);
        for v in returns {
            scan.tail(v);
        }
    }
    // Without a way out (every path recurses), the recursion only ends in a stack overflow or
    // a runtime error: a loop would change that report and buy nothing.
    if (scan.plain == 0 && scan.op.is_none()) || !scan.base {
        return None;
    }
    let op = scan.op;
    // Decided on the body as written (before it is rewritten below).
    let bounded = bounded(def, id, scan.silent == 0);
    let span = def.body.span;
    let ret = def.ret.clone();
    let scalar_zero = zero(&ret, span);
    let break_form = !has_return && (ret == Ty::Unit || scalar_zero.is_some());
    let mut rw = Rewrite { id, params: def.params.clone(), locals: std::mem::take(&mut def.locals), op, ret: ret.clone(), budget: LocalId(0), acc: None, calls: vec![], bounded: false, silent: 0 };
    for p in &rw.params {
        rw.locals[p.index()].mutable = true;
    }
    rw.budget = rw.local(BUDGET_LOCAL, Ty::I64, true, span);
    let mut stmts = vec![Stmt::Let { local: rw.budget, value: Expr::new(ExprKind::Int(BUDGET), Ty::I64, span) }];
    if let Some((op, ity)) = op {
        let acc = rw.local(ACC_LOCAL, ret.clone(), true, span);
        rw.acc = Some(acc);
        stmts.push(Stmt::Let { local: acc, value: Expr::new(ExprKind::Int(identity(op, ity)), ret.clone(), span) });
    }
    let mut body = std::mem::replace(&mut def.body, Expr::new(ExprKind::Unit, Ty::Unit, span));
    if bounded && !has_return {
        if let Some((cond, base, mut looping)) = rw.split_guard(&mut body) {
            // The while form: `acc := id; L _: cond { looping' }; base OP acc`.
            rw.bounded = true;
            rw.tail(&mut looping);
            let looping = block(vec![Stmt::Expr(looping)], None, Ty::Unit, span);
            // Every iteration calls the function (`fib(n - 1)`): no back-edge poll.
            let kind = if rw.silent == 0 { LoopKind::Recursion(Box::new(cond)) } else { LoopKind::While(Box::new(cond)) };
            let the_loop = Expr::new(ExprKind::Loop { kind, body: Box::new(looping) }, Ty::Unit, span);
            stmts.push(Stmt::Expr(the_loop));
            let value = rw.accumulate(base);
            def.body = block(stmts, Some(value), ret, span);
            def.locals = rw.locals;
            drop_budget(&mut def.body, rw.budget);
            return Some(Looped { budget: rw.budget, calls: rw.calls });
        }
        // Not of that shape: the body goes back as it was.
    }
    rw.tail(&mut body);
    if has_return {
        rw.returns(&mut body, 0);
    }
    let never = |kind| Expr::new(kind, Ty::Never, span);
    let (last, end, value) = match (break_form, ret == Ty::Unit) {
        // `L { body; B }`
        (true, true) => (Some(body), ExprKind::Break(None), None),
        // `res := 0; L { res = body OP acc; B }; res`
        (true, false) => {
            let res = rw.local("tail$result", ret.clone(), true, span);
            stmts.push(Stmt::Let { local: res, value: scalar_zero.expect("a scalar result") });
            let target = Expr::new(ExprKind::Local(res), ret.clone(), span);
            let value = rw.accumulate(body);
            let assign = Expr::new(ExprKind::Assign { target: Box::new(target), value: Box::new(value) }, Ty::Unit, span);
            (Some(assign), ExprKind::Break(None), Some(Expr::new(ExprKind::Local(res), ret.clone(), span)))
        }
        // `L { body; R }`
        (false, true) => (Some(body), ExprKind::Return(None), None),
        // `L { R body OP acc }`
        (false, false) => (None, ExprKind::Return(Some(Box::new(rw.accumulate(body)))), None),
    };
    let the_loop = looped(last.map(Stmt::Expr).into_iter().collect(), never(end), span);
    stmts.push(Stmt::Expr(the_loop));
    // Without a value (the `R` form), the block never finishes: the loop only returns.
    def.body = block(stmts, value, ret, span);
    def.locals = rw.locals;
    if bounded {
        drop_budget(&mut def.body, rw.budget);
    }
    Some(Looped { budget: rw.budget, calls: rw.calls })
}

/// Whether every chain of `def`'s self-calls provably ends, so its loop needs no budget: the
/// body as written starts with an entry guard ([`crate::guard`]) whose cheap case is taken
/// when an integer parameter `p` (never assigned in the body) is below a constant `c`
/// (`p < c`, `p <= c`, either way round or negated), and every self-call passes `p - k` for
/// that parameter with a constant `k >= 1`. Each iteration of the loop then lowers `p` by at
/// least one without wrapping (`c - k` is within `p`'s type), and the loop leaves as soon as
/// `p` is below `c`: it ends, as the recursion would have (where the recursion was deep enough
/// to overflow the stack, the loop finishes instead, as with gcc; `fib`'s and `sum`'s shapes).
/// A recursion that may run away keeps its budget, so it still overflows.
///
/// Also a window guard `p >= c && p < c + w` (from a match, `tails`) when every self-call
/// passes `p - k`, `1 <= k <= w`, and every looping site calls the function itself before it
/// loops (`every_call_descends`): from `p >= c` the recursion lands in the window; from below
/// it never returns, but each iteration's own call descends first, so it still overflows.
fn bounded(def: &FuncDef, id: FuncId, every_call_descends: bool) -> bool {
    let Some(g) = crate::guard::guard_of(def) else { return false };
    // The cheap case must end the recursion (`n < 2 ? @(n - 1) : ..` never does).
    let mut recurses = false;
    visit::preorder(&g.value, |e| recurses |= matches!(&e.kind, ExprKind::Call { callee: Callee::Func(f), .. } if *f == id));
    if recurses {
        return false;
    }
    let lit = |e: &Expr| match e.kind {
        ExprKind::Int(v) => Some(v),
        _ => None,
    };
    let param = |e: &Expr| match e.kind {
        ExprKind::Local(l) if def.params.contains(&l) => Some(l),
        _ => None,
    };
    // A window `c <= p < c + w` (a match's literal arms, `tails::window_of`): every
    // self-call lowers `p` by at most the window's width, so from above it lands in the
    // window; from below it never returns, and each iteration's own call of the function
    // descends first.
    if let Some((p, _, w)) = crate::tails::window_of(&g.cond) {
        if param(&Expr::new(ExprKind::Local(p), Ty::Unit, g.cond.span)).is_none() || g.negated || !every_call_descends || crate::written_locals(&def.body).contains(&p) {
            return false;
        }
        return descends(def, id, p, |k| (1..=w).contains(&k));
    }
    // The guard as `p < c` or `p <= c` (the cheap case's condition).
    let ExprKind::Binary { op, lhs, rhs } = &g.cond.kind else { return false };
    let (p, c, op) = match (param(lhs), lit(rhs), param(rhs), lit(lhs)) {
        (Some(p), Some(c), _, _) => (p, c, *op),
        (_, _, Some(p), Some(c)) => (
            p,
            c,
            match op {
                BinaryOp::Lt => BinaryOp::Gt,
                BinaryOp::Le => BinaryOp::Ge,
                BinaryOp::Gt => BinaryOp::Lt,
                BinaryOp::Ge => BinaryOp::Le,
                o => *o,
            },
        ),
        _ => return false,
    };
    let below = matches!((op, g.negated), (BinaryOp::Lt | BinaryOp::Le, false) | (BinaryOp::Ge | BinaryOp::Gt, true));
    let Ty::Int(ity) = &def.local(p).ty else { return false };
    if !below || crate::written_locals(&def.body).contains(&p) {
        return false;
    }
    // The type's least value: `p - k` for `p >= c` stays within the type when `c - k >= min`.
    let min = match (ity.signed(), ity.bits()) {
        (false, _) => 0,
        (true, 128) => i128::MIN,
        (true, b) => -(1i128 << (b - 1)),
    };
    descends(def, id, p, |k| (1..=1 << 32).contains(&k) && c.checked_sub(k).is_some_and(|d| d >= min)) && c.abs() <= 1 << 62
}

/// Whether `def` calls itself (function `id`) at least once and every self-call passes
/// `p - k` for its parameter `p`, with a constant `k` that `step` accepts.
fn descends(def: &FuncDef, id: FuncId, p: LocalId, step: impl Fn(i128) -> bool) -> bool {
    let index = def.params.iter().position(|q| *q == p).expect("a parameter");
    let mut ok = true;
    let mut calls = 0;
    visit::preorder(&def.body, |e| {
        if let ExprKind::Call { callee: Callee::Func(f), args } = &e.kind {
            if *f == id {
                calls += 1;
                ok &= args.len() == def.params.len()
                    && matches!(&args[index].kind, ExprKind::Binary { op: BinaryOp::Sub, lhs, rhs }
                        if matches!(lhs.kind, ExprKind::Local(l) if l == p) && matches!(rhs.kind, ExprKind::Int(k) if step(k)));
            }
        }
    });
    ok && calls > 0
}

/// The name of the accumulator's local.
const ACC_LOCAL: &str = "tail$acc";

/// After inlining: a looping site whose operand before the call is an inlined copy of a
/// function in the while form (of `f` itself or of another looped function with the same
/// operator), `u := <copy: acc' := id; L _: c { .. }; base OP acc'>; .. acc = acc OP u`, starts
/// the copy's accumulator at `acc` and assigns `acc = u`: every level of `fib`'s nest of
/// copies adds into one accumulator, which then needs one register across the innermost real
/// call instead of one per level (exact: the operator is associative and commutative on
/// wrapping integers, and `acc` is neither read nor written between the two points, the copy
/// only reading its own locals).
pub fn share_accumulators(def: &mut FuncDef) {
    if !def.locals.iter().any(|d| d.name == ACC_LOCAL) {
        return;
    }
    let locals = &def.locals;
    let named = |l: LocalId, name: &str| locals.get(l.index()).is_some_and(|d| d.name == name);
    let mut reads: HashMap<LocalId, usize> = HashMap::new();
    visit::preorder(&def.body, |e| {
        if let ExprKind::Local(l) = e.kind {
            *reads.entry(l).or_default() += 1;
        }
    });
    visit::preorder_mut(&mut def.body, |e| {
        let ExprKind::Block(b) = &mut e.kind else { return };
        for j in 0..b.stmts.len() {
            // `acc = acc OP u`
            let Stmt::Expr(Expr { kind: ExprKind::Assign { target, value }, .. }) = &b.stmts[j] else { continue };
            let (ExprKind::Local(acc), ExprKind::Binary { op, lhs, rhs }) = (&target.kind, &value.kind) else { continue };
            let (ExprKind::Local(a), ExprKind::Local(u)) = (&lhs.kind, &rhs.kind) else { continue };
            let (acc, op, u) = (*acc, *op, *u);
            if *a != acc || !named(acc, ACC_LOCAL) || !named(u, "tail$before") || reads.get(&u) != Some(&1) {
                continue;
            }
            // `u := <copy>`, with only the arguments' temporaries between.
            let Some(i) = b.stmts[..j].iter().rposition(|s| matches!(s, Stmt::Let { local, .. } if *local == u)) else { continue };
            let between_ok = b.stmts[i + 1..j].iter().all(|s| matches!(s, Stmt::Let { local, value } if named(*local, "tail$arg") && pure(value)));
            if !between_ok {
                continue;
            }
            let Stmt::Let { value: copy, .. } = &mut b.stmts[i] else { unreachable!() };
            let ty = copy.ty.clone();
            let ExprKind::Inlined { body, .. } = &mut copy.kind else { continue };
            let ExprKind::Block(cb) = &mut body.kind else { continue };
            // The copy's value is `base OP acc'`, `acc' := identity` among its statements.
            let Some(ExprKind::Binary { op: cop, rhs: cacc, .. }) = cb.value.as_deref().map(|v| &v.kind) else { continue };
            let ExprKind::Local(inner) = cacc.kind else { continue };
            if *cop != op || !named(inner, ACC_LOCAL) || locals[inner.index()].ty != locals[acc.index()].ty || ty != locals[acc.index()].ty {
                continue;
            }
            let init = cb.stmts.iter_mut().find_map(|s| match s {
                Stmt::Let { local, value } if *local == inner && matches!(value.kind, ExprKind::Int(_)) => Some(value),
                _ => None,
            });
            let Some(init) = init else { continue };
            init.kind = ExprKind::Local(acc);
            let Stmt::Expr(Expr { kind: ExprKind::Assign { value, .. }, .. }) = &mut b.stmts[j] else { unreachable!() };
            value.kind = ExprKind::Local(u);
        }
    });
}

/// In a copy of a looped function inlined into itself (locals shifted by `off`), the budget
/// is never spent: the copy's loop jumps at every tail call and the counter disappears. The
/// copy runs inside one iteration of the function's own loop, whose budget still makes real
/// calls, so a runaway recursion through the function's own tail calls still overflows (one
/// that runs away only inside a copy's tail calls loops instead, and Ctrl-C stops it); every
/// nested loop's counter would otherwise take a register at each level of `fib`.
pub fn drop_budget(body: &mut Expr, budget: LocalId) {
    visit::preorder_mut(body, |e| {
        let hit = match &e.kind {
            ExprKind::Binary { op: BinaryOp::Eq, lhs, rhs } => matches!(lhs.kind, ExprKind::Local(l) if l == budget) && matches!(rhs.kind, ExprKind::Int(0)),
            ExprKind::Assign { target, .. } => matches!(target.kind, ExprKind::Local(l) if l == budget),
            _ => false,
        };
        if hit {
            e.kind = if e.ty == Ty::Bool { ExprKind::Bool(false) } else { ExprKind::Unit };
        }
    });
}

/// The checker computes `x OP @(..)` at a narrow type in `i64` when a literal operand is
/// one (`(2000000000 + (@(n - 1) as i64)) as i32`) or extends and truncates around it: at
/// the tail positions, a truncation of a chain of `+ * & | ^ -` is pushed down to its
/// operands (truncation commutes with those operations on wrapping integers) and
/// `(x as W) as T` with `x: T` is `x`, so the chain is one of `T` again.
fn narrow_tails(e: &mut Expr, id: FuncId, nparams: usize, ret: &Ty) {
    vais_ast::stack::guard(|| match &mut e.kind {
        ExprKind::Cast(x) if e.ty == *ret && ret.is_int() && ring_chain_reaches_call(x, id, nparams, ret) => {
            let x = std::mem::replace(&mut **x, Expr::new(ExprKind::Unit, Ty::Unit, e.span));
            *e = truncate(x, ret);
        }
        ExprKind::Block(b) => {
            if let Some(v) = &mut b.value {
                narrow_tails(v, id, nparams, ret);
            }
        }
        ExprKind::If { then_expr, else_expr, .. } => {
            narrow_tails(then_expr, id, nparams, ret);
            if let Some(x) = else_expr {
                narrow_tails(x, id, nparams, ret);
            }
        }
        ExprKind::Match { arms, .. } => {
            for a in arms {
                narrow_tails(&mut a.body, id, nparams, ret);
            }
        }
        _ => {}
    })
}

fn ring_op(op: BinaryOp) -> bool {
    matches!(op, BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::BitAnd | BinaryOp::BitOr | BinaryOp::BitXor)
}

/// Whether `x` (an integer at least as wide as `t`) is a chain of ring operations with an
/// operand `(@(..) as W)`, the call's value of type `t`.
fn ring_chain_reaches_call(x: &Expr, id: FuncId, nparams: usize, t: &Ty) -> bool {
    let (Ty::Int(w), Ty::Int(n)) = (&x.ty, t) else { return false };
    if w.bits() < n.bits() {
        return false;
    }
    vais_ast::stack::guard(|| match &x.kind {
        _ if x.ty == *t && self_call(x, id, nparams) => true,
        ExprKind::Binary { op, lhs, rhs } if ring_op(*op) => ring_chain_reaches_call(lhs, id, nparams, t) || ring_chain_reaches_call(rhs, id, nparams, t),
        ExprKind::Cast(c) => ring_chain_reaches_call(c, id, nparams, t),
        _ => false,
    })
}

/// `x as t` for an integer `x` at least as wide, pushed through ring operations.
fn truncate(x: Expr, t: &Ty) -> Expr {
    vais_ast::stack::guard(|| {
        let span = x.span;
        match &x.kind {
            ExprKind::Binary { op, .. } if ring_op(*op) && x.ty.is_int() => {
                let ExprKind::Binary { op, lhs, rhs } = x.into_kind() else { unreachable!() };
                let (l, r) = (truncate(*lhs, t), truncate(*rhs, t));
                Expr::new(ExprKind::Binary { op, lhs: Box::new(l), rhs: Box::new(r) }, t.clone(), span)
            }
            // Truncating an integer cast from a type at least as wide truncates its operand.
            ExprKind::Cast(c) if matches!((&c.ty, t), (Ty::Int(a), Ty::Int(b)) if a.bits() >= b.bits()) => {
                let ExprKind::Cast(c) = x.into_kind() else { unreachable!() };
                truncate(*c, t)
            }
            ExprKind::Int(v) => {
                let Ty::Int(it) = t else { unreachable!() };
                Expr::new(ExprKind::Int(wrap(*v, *it)), t.clone(), span)
            }
            _ if x.ty == *t => x,
            _ => Expr::new(ExprKind::Cast(Box::new(x)), t.clone(), span),
        }
    })
}

/// `v` reduced to the range of `t` (two's complement truncation).
fn wrap(v: i128, t: IntTy) -> i128 {
    let bits = t.bits();
    if bits >= 128 {
        return v;
    }
    let m = v & ((1i128 << bits) - 1);
    if t.signed() && m >= 1i128 << (bits - 1) {
        m - (1i128 << bits)
    } else {
        m
    }
}

/// `L { stmts; end }` (it never finishes normally: `end` leaves it).
/// Typed `Never` when `end` is an `R` (no `B` leaves it).
fn looped(mut stmts: Vec<Stmt>, end: Expr, span: vais_ast::Span) -> Expr {
    let ty = if matches!(end.kind, ExprKind::Return(_)) { Ty::Never } else { Ty::Unit };
    stmts.push(Stmt::Expr(end));
    let body = block(stmts, None, Ty::Never, span);
    Expr::new(ExprKind::Loop { kind: LoopKind::Infinite, body: Box::new(body) }, ty, span)
}

fn block(stmts: Vec<Stmt>, value: Option<Expr>, ty: Ty, span: vais_ast::Span) -> Expr {
    Expr::new(ExprKind::Block(Block { stmts, value: value.map(Box::new) }), ty, span)
}

/// A literal zero of a scalar type (the result local's first value, never read).
fn zero(t: &Ty, span: vais_ast::Span) -> Option<Expr> {
    let kind = match t {
        Ty::Int(_) => ExprKind::Int(0),
        Ty::Bool => ExprKind::Bool(false),
        Ty::F32 | Ty::F64 => ExprKind::Float(0.0),
        _ => return None,
    };
    Some(Expr::new(kind, t.clone(), span))
}

/// The negation of a condition: an integer or `bool` comparison inverted (`!(n < 2)` is
/// `n >= 2`; not for floats, where NaN compares false both ways), `!x` is `x`, else `!c`.
fn negate(c: Expr) -> Expr {
    let span = c.span;
    let inverse = |op: BinaryOp| match op {
        BinaryOp::Lt => Some(BinaryOp::Ge),
        BinaryOp::Le => Some(BinaryOp::Gt),
        BinaryOp::Gt => Some(BinaryOp::Le),
        BinaryOp::Ge => Some(BinaryOp::Lt),
        BinaryOp::Eq => Some(BinaryOp::Ne),
        BinaryOp::Ne => Some(BinaryOp::Eq),
        _ => None,
    };
    let flip = match &c.kind {
        ExprKind::Binary { op, lhs, .. } if lhs.ty.is_int() || lhs.ty == Ty::Bool => inverse(*op),
        _ => None,
    };
    match (flip, c.into_kind()) {
        (Some(op), ExprKind::Binary { lhs, rhs, .. }) => Expr::new(ExprKind::Binary { op, lhs, rhs }, Ty::Bool, span),
        (_, ExprKind::Unary { op: UnaryOp::Not, operand }) => *operand,
        (_, kind) => {
            let c = Expr::new(kind, Ty::Bool, span);
            Expr::new(ExprKind::Unary { op: UnaryOp::Not, operand: Box::new(c) }, Ty::Bool, span)
        }
    }
}

/// The identity of an accumulating operator at an integer type.
fn identity(op: BinaryOp, ity: IntTy) -> i128 {
    match op {
        BinaryOp::Mul => 1,
        BinaryOp::BitAnd if ity.signed() => -1,
        // All ones: the type's maximum (u128's does not fit an i128: never accumulated).
        BinaryOp::BitAnd => (1i128 << ity.bits()) - 1,
        _ => 0,
    }
}

/// Operators an accumulator may fold: associative and commutative on wrapping integers.
fn accumulating(op: BinaryOp, t: &Ty) -> Option<IntTy> {
    let Ty::Int(ity) = t else { return None };
    let ok = matches!(op, BinaryOp::Add | BinaryOp::Mul | BinaryOp::BitOr | BinaryOp::BitXor)
        || (op == BinaryOp::BitAnd && *ity != IntTy::U128);
    ok.then_some(*ity)
}

/// Whether nothing in `body` takes the address of the frame's storage (a local, a field of
/// one, a temporary) or places an array literal, closure or future there.
fn frame_safe(body: &Expr) -> bool {
    let mut ok = true;
    visit::preorder(body, |e| match &e.kind {
        ExprKind::AddrOf(x) => {
            let mut cur = &**x;
            loop {
                match &cur.kind {
                    ExprKind::Field { base, .. } => cur = base,
                    // Memory behind a pointer, or a session variable: not the frame.
                    ExprKind::Deref(_) | ExprKind::Index { .. } | ExprKind::Global(_) => break,
                    _ => {
                        ok = false;
                        break;
                    }
                }
            }
        }
        ExprKind::Array(_) | ExprKind::Closure { .. } | ExprKind::MakeFuture { .. } | ExprKind::Await(_) | ExprKind::Inlined { .. } => ok = false,
        _ => {}
    });
    ok
}

fn contains_return(body: &Expr) -> bool {
    let mut r = false;
    visit::preorder(body, |e| r |= matches!(e.kind, ExprKind::Return(_)));
    r
}

/// The values of the `R`s of `e` outside any loop.
fn collect_returns<'a>(e: &'a Expr, loops: usize, out: &mut Vec<&'a Expr>) {
    vais_ast::stack::guard(|| {
        if let ExprKind::Return(Some(v)) = &e.kind {
            if loops == 0 {
                out.push(v);
            }
        }
        let inner = loops + usize::from(matches!(e.kind, ExprKind::Loop { .. }));
        visit::children(e, &mut |c| collect_returns(c, inner, out));
    })
}

/// Whether `e` can be evaluated earlier than written, before a call of the function: it
/// reads only locals (no address of the frame is taken, so no call changes them) and
/// constants, and cannot trap.
pub(crate) fn pure(e: &Expr) -> bool {
    vais_ast::stack::guard(|| match &e.kind {
        ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Bool(_) | ExprKind::Unit | ExprKind::Local(_) => true,
        ExprKind::Unary { op: UnaryOp::Neg | UnaryOp::Not | UnaryOp::BitNot, operand } => pure(operand),
        ExprKind::Binary { op, lhs, rhs } => {
            use BinaryOp::*;
            matches!(op, Add | Sub | Mul | Lt | Le | Gt | Ge | Eq | Ne | And | Or | BitAnd | BitOr | BitXor) && lhs.ty != Ty::Str && pure(lhs) && pure(rhs)
        }
        ExprKind::Cast(x) => x.ty.is_int() && e.ty.is_int() && pure(x),
        _ => false,
    })
}

/// The operands of a chain of `op` at type `t`, in evaluation order.
fn operands<'a>(e: &'a Expr, op: BinaryOp, t: &Ty, out: &mut Vec<&'a Expr>) {
    vais_ast::stack::guard(|| match &e.kind {
        ExprKind::Binary { op: o, lhs, rhs } if *o == op && e.ty == *t => {
            operands(lhs, op, t, out);
            operands(rhs, op, t, out);
        }
        _ => out.push(e),
    })
}

/// `operands`, moving them out of `e`.
fn take_operands(e: Expr, op: BinaryOp, t: &Ty, out: &mut Vec<Expr>) {
    vais_ast::stack::guard(|| {
        let matches = matches!(&e.kind, ExprKind::Binary { op: o, .. } if *o == op) && e.ty == *t;
        if matches {
            let ExprKind::Binary { lhs, rhs, .. } = e.into_kind() else { unreachable!() };
            take_operands(*lhs, op, t, out);
            take_operands(*rhs, op, t, out);
        } else {
            out.push(e);
        }
    })
}

fn self_call(e: &Expr, id: FuncId, nparams: usize) -> bool {
    matches!(&e.kind, ExprKind::Call { callee: Callee::Func(g), args } if *g == id && args.len() == nparams)
}

/// Whether evaluating `e` always calls the function `id` itself (a self-call, or an operand,
/// argument or cast of one; not behind `&&`, `||` or a branch).
fn calls_itself(e: &Expr, id: FuncId, nparams: usize) -> bool {
    vais_ast::stack::guard(|| match &e.kind {
        _ if self_call(e, id, nparams) => true,
        ExprKind::Binary { op: BinaryOp::And | BinaryOp::Or, lhs, .. } => calls_itself(lhs, id, nparams),
        ExprKind::Binary { lhs, rhs, .. } => calls_itself(lhs, id, nparams) || calls_itself(rhs, id, nparams),
        ExprKind::Unary { operand: x, .. } | ExprKind::Cast(x) => calls_itself(x, id, nparams),
        ExprKind::Call { args, .. } => args.iter().any(|a| calls_itself(a, id, nparams)),
        _ => false,
    })
}

/// The operand of a chain that loops: the last self-call with only pure operands after it.
fn looping_operand(ops: &[&Expr], id: FuncId, nparams: usize) -> Option<usize> {
    let j = ops.iter().rposition(|x| self_call(x, id, nparams))?;
    ops[j + 1..].iter().all(|x| pure(x)).then_some(j)
}

/// First pass: what the tail positions hold.
struct Scan<'a> {
    id: FuncId,
    nparams: usize,
    ret: &'a Ty,
    /// Plain tail self-calls.
    plain: usize,
    /// The accumulating operator (and type) of the first chain that can loop.
    op: Option<(BinaryOp, IntTy)>,
    /// Whether some tail position gives a value without looping (a base case).
    base: bool,
    /// Looping sites whose operands make no call of the function ([`calls_itself`]).
    silent: usize,
}

impl Scan<'_> {
    fn tail(&mut self, e: &Expr) {
        vais_ast::stack::guard(|| match &e.kind {
            _ if self_call(e, self.id, self.nparams) => {
                self.plain += 1;
                self.silent += 1;
            }
            ExprKind::Binary { op, .. } if e.ty == *self.ret && accumulating(*op, &e.ty).is_some() && self.op.is_none_or(|(o, _)| o == *op) => {
                let mut ops = vec![];
                operands(e, *op, &e.ty, &mut ops);
                if let Some(j) = looping_operand(&ops, self.id, self.nparams) {
                    self.op = accumulating(*op, &e.ty).map(|ity| (*op, ity));
                    if !ops[..j].iter().any(|x| calls_itself(x, self.id, self.nparams)) {
                        self.silent += 1;
                    }
                } else {
                    self.base = true;
                }
            }
            ExprKind::Block(b) => {
                if let Some(v) = &b.value {
                    self.tail(v);
                }
            }
            ExprKind::If { then_expr, else_expr: Some(x), .. } => {
                self.tail(then_expr);
                self.tail(x);
            }
            ExprKind::If { then_expr, else_expr: None, .. } if *self.ret == Ty::Unit => {
                // No `E`: the way out.
                self.base = true;
                self.tail(then_expr);
            }
            ExprKind::Match { arms, .. } => {
                for a in arms {
                    self.tail(&a.body);
                }
            }
            // `R`, `exit(..)`, a runtime error: not a way out by value.
            _ if e.ty == Ty::Never => {}
            _ => self.base = true,
        })
    }
}

/// Second pass: the rewrite.
struct Rewrite {
    id: FuncId,
    params: Vec<LocalId>,
    locals: Vec<LocalDef>,
    op: Option<(BinaryOp, IntTy)>,
    ret: Ty,
    budget: LocalId,
    acc: Option<LocalId>,
    /// Spans of the budget's real calls.
    calls: Vec<vais_ast::Span>,
    /// The recursion provably ends ([`bounded`]): looping sites jump without a budget.
    bounded: bool,
    /// Looping sites whose operands make no call of the function ([`calls_itself`]).
    silent: usize,
}

impl Rewrite {
    fn local(&mut self, name: &str, ty: Ty, mutable: bool, span: vais_ast::Span) -> LocalId {
        self.locals.push(LocalDef { name: name.into(), ty, mutable, span });
        LocalId(self.locals.len() as u32 - 1)
    }

    /// A body `I c { base } E { looping }` (through blocks without statements, either way
    /// round) whose `base` has no looping site and whose `looping` branch loops at every tail
    /// position that gives a value, taken apart as the loop's condition (`!c`, or `c` when the
    /// branches are the other way round), `base` and `looping`. `None` (and `body` unchanged)
    /// when it is not of that shape.
    fn split_guard(&self, body: &mut Expr) -> Option<(Expr, Expr, Expr)> {
        let mut e = &*body;
        while let ExprKind::Block(Block { stmts, value: Some(v) }) = &e.kind {
            if !stmts.is_empty() {
                return None;
            }
            e = v;
        }
        let ExprKind::If { then_expr, else_expr: Some(else_expr), .. } = &e.kind else { return None };
        let scan = |x: &Expr| {
            let mut s = Scan { id: self.id, nparams: self.params.len(), ret: &self.ret, plain: 0, op: self.op, base: false, silent: 0 };
            s.tail(x);
            s
        };
        let loops = |x: &Expr| {
            let s = scan(x);
            !s.base && (s.plain > 0 || s.op.is_some())
        };
        let base = |x: &Expr| {
            let mut s = Scan { id: self.id, nparams: self.params.len(), ret: &self.ret, plain: 0, op: None, base: false, silent: 0 };
            s.tail(x);
            s.plain == 0 && s.op.is_none()
        };
        let negated = match (base(then_expr) && loops(else_expr), base(else_expr) && loops(then_expr)) {
            (true, _) => false,
            (_, true) => true,
            _ => return None,
        };
        let mut e = std::mem::replace(body, Expr::new(ExprKind::Unit, Ty::Unit, body.span));
        while let ExprKind::Block(Block { value: Some(_), .. }) = &e.kind {
            let ExprKind::Block(Block { value: Some(v), .. }) = e.into_kind() else { unreachable!() };
            e = *v;
        }
        let ExprKind::If { cond, then_expr, else_expr: Some(else_expr) } = e.into_kind() else { unreachable!() };
        Some(if negated { (*cond, *else_expr, *then_expr) } else { (negate(*cond), *then_expr, *else_expr) })
    }

    /// `v OP acc` (or `v` without an accumulator). The accumulator is read after `v`: a
    /// looping site in `v` that makes the real call has folded its operands into it.
    fn accumulate(&self, v: Expr) -> Expr {
        match (self.op, self.acc) {
            (Some((op, _)), Some(acc)) => {
                let span = v.span;
                let a = Expr::new(ExprKind::Local(acc), self.ret.clone(), span);
                Expr::new(ExprKind::Binary { op, lhs: Box::new(v), rhs: Box::new(a) }, self.ret.clone(), span)
            }
            _ => v,
        }
    }

    /// Rewrites the `R` values outside loops (the `R` form): `R v` becomes `R acc OP v'`.
    fn returns(&mut self, e: &mut Expr, loops: usize) {
        vais_ast::stack::guard(|| {
            if let ExprKind::Return(Some(v)) = &mut e.kind {
                // Values inside `v` (nested `R`s) first, then `v` itself.
                self.returns(v, loops);
                if loops == 0 {
                    self.tail(v);
                }
                let inner = std::mem::replace(&mut **v, Expr::new(ExprKind::Unit, Ty::Unit, e.span));
                **v = self.accumulate(inner);
                return;
            }
            let inner = loops + usize::from(matches!(e.kind, ExprKind::Loop { .. }));
            visit::children_mut(e, &mut |c| self.returns(c, inner));
        })
    }

    fn tail(&mut self, e: &mut Expr) {
        vais_ast::stack::guard(|| {
            let nparams = self.params.len();
            if self_call(e, self.id, nparams) {
                let span = e.span;
                let ExprKind::Call { args, .. } = std::mem::replace(&mut e.kind, ExprKind::Unit) else { unreachable!() };
                *e = self.site(vec![], args, vec![], span, span);
                return;
            }
            match &mut e.kind {
                ExprKind::Binary { op, .. } if e.ty == self.ret && self.op.is_some_and(|(o, _)| o == *op) => {
                    let op = *op;
                    let mut ops = vec![];
                    operands(e, op, &self.ret, &mut ops);
                    let Some(j) = looping_operand(&ops, self.id, nparams) else { return };
                    let span = e.span;
                    let whole = std::mem::replace(e, Expr::new(ExprKind::Unit, Ty::Unit, span));
                    let mut ops = vec![];
                    take_operands(whole, op, &self.ret, &mut ops);
                    let after = ops.split_off(j + 1);
                    let call = ops.pop().expect("the looping call");
                    let call_span = call.span;
                    let ExprKind::Call { args, .. } = call.into_kind() else { unreachable!() };
                    *e = self.site(ops, args, after, span, call_span);
                }
                ExprKind::Block(b) => {
                    if let Some(v) = &mut b.value {
                        self.tail(v);
                    }
                }
                ExprKind::If { then_expr, else_expr: Some(x), .. } => {
                    self.tail(then_expr);
                    self.tail(x);
                }
                ExprKind::If { then_expr, else_expr: None, .. } if self.ret == Ty::Unit => self.tail(then_expr),
                ExprKind::Match { arms, .. } => {
                    for a in arms {
                        self.tail(&mut a.body);
                    }
                }
                _ => {}
            }
        })
    }

    /// A looping site: `before OP @(args) OP after` (operands of the accumulator's operator;
    /// both empty for a plain tail call) becomes
    /// `{ u := before..; t_i := arg_i; acc = acc OP u OP after..;
    ///    I budget == 0 { @(t..) } E { budget = budget - 1; p_i = t_i; C } }`.
    /// `call_span` is the call's own (the real call's, for backtraces).
    fn site(&mut self, before: Vec<Expr>, args: Vec<Expr>, after: Vec<Expr>, span: vais_ast::Span, call_span: vais_ast::Span) -> Expr {
        let ret = self.ret.clone();
        let local = |l: LocalId, t: &Ty| Expr::new(ExprKind::Local(l), t.clone(), span);
        let fold = |xs: Vec<Expr>, op: BinaryOp| -> Option<Expr> {
            xs.into_iter().reduce(|a, b| Expr::new(ExprKind::Binary { op, lhs: Box::new(a), rhs: Box::new(b) }, ret.clone(), span))
        };
        let op = self.op.map(|(o, _)| o).unwrap_or(BinaryOp::Add);
        if !before.iter().any(|x| calls_itself(x, self.id, self.params.len())) {
            self.silent += 1;
        }
        let mut stmts = vec![];
        let mut folded = vec![];
        if let Some(u) = fold(before, op) {
            let l = self.local("tail$before", ret.clone(), false, span);
            stmts.push(Stmt::Let { local: l, value: u });
            folded.push(local(l, &ret));
        }
        let mut temps = vec![];
        for (i, a) in args.into_iter().enumerate() {
            let p = self.params[i];
            let t = self.locals[p.index()].ty.clone();
            // An argument that is the parameter itself needs no copy (nor an assignment).
            if matches!(a.kind, ExprKind::Local(l) if l == p) {
                temps.push(None);
                continue;
            }
            let l = self.local("tail$arg", t, false, a.span);
            stmts.push(Stmt::Let { local: l, value: a });
            temps.push(Some(l));
        }
        folded.extend(after);
        if let (Some(acc), Some(x)) = (self.acc, fold(folded, op)) {
            let a = local(acc, &ret);
            let value = Expr::new(ExprKind::Binary { op, lhs: Box::new(a.clone()), rhs: Box::new(x) }, ret.clone(), span);
            stmts.push(Stmt::Expr(Expr::new(ExprKind::Assign { target: Box::new(a), value: Box::new(value) }, Ty::Unit, span)));
        }
        // The real call: every argument is its temporary (or the parameter).
        let call_args = self
            .params
            .iter()
            .zip(&temps)
            .map(|(p, t)| {
                let l = t.unwrap_or(*p);
                local(l, &self.locals[l.index()].ty)
            })
            .collect();
        let call = Expr::new(ExprKind::Call { callee: Callee::Func(self.id), args: call_args }, ret.clone(), call_span);
        self.calls.push(call_span);
        let budget = local(self.budget, &Ty::I64);
        let zero = Expr::new(ExprKind::Int(0), Ty::I64, span);
        let cond = Expr::new(ExprKind::Binary { op: BinaryOp::Eq, lhs: Box::new(budget.clone()), rhs: Box::new(zero) }, Ty::Bool, span);
        let one = Expr::new(ExprKind::Int(1), Ty::I64, span);
        let dec = Expr::new(ExprKind::Binary { op: BinaryOp::Sub, lhs: Box::new(budget.clone()), rhs: Box::new(one) }, Ty::I64, span);
        let mut jump = vec![Stmt::Expr(Expr::new(ExprKind::Assign { target: Box::new(budget), value: Box::new(dec) }, Ty::Unit, span))];
        for (p, t) in self.params.iter().zip(&temps) {
            if let Some(t) = t {
                let ty = self.locals[p.index()].ty.clone();
                let assign = ExprKind::Assign { target: Box::new(local(*p, &ty)), value: Box::new(local(*t, &ty)) };
                jump.push(Stmt::Expr(Expr::new(assign, Ty::Unit, span)));
            }
        }
        jump.push(Stmt::Expr(Expr::new(ExprKind::Continue, Ty::Never, span)));
        if self.bounded {
            // No budget: the assignments and the jump.
            self.calls.pop();
            stmts.extend(jump.into_iter().skip(1));
            return block(stmts, None, Ty::Never, span);
        }
        let jump = block(jump, None, Ty::Never, span);
        let branch = Expr::new(ExprKind::If { cond: Box::new(cond), then_expr: Box::new(call), else_expr: Some(Box::new(jump)) }, ret.clone(), span);
        block(stmts, Some(branch), ret, span)
    }
}
