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
//!   literals, becomes `e1 + e2`;
//! - a tail `M p { 0 => a, 1 => b, _ => e }` on an integer parameter whose literal arms (ints,
//!   `|` of ints, ranges; no guards or bindings) cover a window `c..c+w` of at most
//!   [`WINDOW`] values, and whose `_` arm calls the function itself, becomes
//!   `I (p - c) as uN < w { I p == 0 { a } E { b } } E { e }` (one unsigned compare for
//!   `c <= p < c + w`; `fib` written with `M`: the entry guard and tail recursion elimination
//!   see an `I`, [`window_of`]); so does a chain `I p == 0 { a } E { I p == 1 { b } E { e } }`.
//!
//! Every rewrite keeps evaluation order and every node's span (runtime errors and backtraces
//! are unchanged); a function left without `R` can then be inlined and looped. What it must
//! not know: what the back end does with the result.

use vais_tir::{visit, Arm, BinaryOp, Block, Callee, Expr, ExprKind, FuncDef, FuncId, IntTy, LocalId, Pattern, PatternKind, Stmt, Ty};

/// Most values a match's literal arms may cover to become a window test.
pub const WINDOW: i128 = 8;

/// Normalises `def`'s (function `id`'s) tail positions (see the module comment); whether
/// anything changed.
pub fn normalize(def: &mut FuncDef, id: FuncId) -> bool {
    let mut n = Norm { id, ret: def.ret.clone(), params: def.params.clone(), mutable: def.locals.iter().map(|d| d.mutable).collect(), changed: false };
    n.tail(&mut def.body);
    n.changed
}

struct Norm {
    id: FuncId,
    ret: Ty,
    params: Vec<LocalId>,
    /// Per local: declared mutable.
    mutable: Vec<bool>,
    changed: bool,
}

impl Norm {
    fn tail(&mut self, e: &mut Expr) {
        vais_ast::stack::guard(|| {
            if matches!(e.kind, ExprKind::If { .. }) && self.equality_chain(e) {
                self.tail(e);
                return;
            }
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
                ExprKind::Match { .. } => {
                    if self.window(e) {
                        self.tail(e);
                        return;
                    }
                    let ExprKind::Match { arms, .. } = &mut e.kind else { unreachable!() };
                    for a in arms.iter_mut() {
                        self.tail(&mut a.body);
                    }
                }
                _ => return,
            }
            self.retype(e);
        })
    }

    /// `M p { lits => a, .., _ => e }` → `I p >= c && p < c + w { chain } E { e }` (see the
    /// module comment); false (and `e` unchanged) when it is not of that shape.
    fn window(&mut self, e: &mut Expr) -> bool {
        let ExprKind::Match { scrutinee, arms } = &e.kind else { return false };
        let ExprKind::Local(p) = scrutinee.kind else { return false };
        let Ty::Int(ity) = scrutinee.ty else { return false };
        if !self.params.contains(&p) || self.mutable.get(p.index()).copied().unwrap_or(true) || arms.len() < 2 {
            return false;
        }
        let (last, lits) = arms.split_last().expect("two arms");
        if !matches!(last.pattern.kind, PatternKind::Wildcard) || last.guard.is_some() || !calls(&last.body, self.id) {
            return false;
        }
        // Each literal arm's values, as one inclusive interval.
        let interval = |k: &PatternKind| -> Option<(i128, i128)> {
            match k {
                PatternKind::Int(v) => Some((*v, *v)),
                PatternKind::Range { lo, hi, inclusive } => Some((*lo, if *inclusive { *hi } else { hi.checked_sub(1)? })),
                PatternKind::Or(ps) => {
                    let mut vs: Vec<i128> = ps.iter().map(|q| if let PatternKind::Int(v) = q.kind { Some(v) } else { None }).collect::<Option<_>>()?;
                    vs.sort_unstable();
                    vs.windows(2).all(|w| w[1] == w[0] + 1).then(|| (vs[0], *vs.last().expect("alternatives")))
                }
                _ => None,
            }
        };
        let mut spans = vec![];
        for a in lits {
            let Some((lo, hi)) = interval(&a.pattern.kind) else { return false };
            if a.guard.is_some() || lo > hi {
                return false;
            }
            spans.push((lo, hi));
        }
        let mut sorted = spans.clone();
        sorted.sort_unstable();
        if !sorted.windows(2).all(|w| w[1].0 == w[0].1 + 1) {
            return false;
        }
        let (c, top) = (sorted[0].0, sorted.last().expect("arms").1);
        // `top + 1` must be a value of the type for `p < top + 1`.
        let max = if ity.signed() { (1i128 << (ity.bits().min(127) - 1)) - 1 } else if ity.bits() >= 128 { i128::MAX } else { (1i128 << ity.bits()) - 1 };
        if top - c + 1 > WINDOW || top >= max {
            return false;
        }
        let ExprKind::Match { scrutinee, arms } = std::mem::replace(&mut e.kind, ExprKind::Unit) else { unreachable!() };
        let (sty, sspan) = (scrutinee.ty.clone(), scrutinee.span);
        let local = || Expr::new(ExprKind::Local(p), sty.clone(), sspan);
        let int = |v: i128| Expr::new(ExprKind::Int(v), sty.clone(), sspan);
        let cmp = |op: BinaryOp, v: i128| Expr::new(ExprKind::Binary { op, lhs: Box::new(local()), rhs: Box::new(int(v)) }, Ty::Bool, sspan);
        let and = |a: Expr, b: Expr| Expr::new(ExprKind::Binary { op: BinaryOp::And, lhs: Box::new(a), rhs: Box::new(b) }, Ty::Bool, sspan);
        let within = |lo: i128, hi: i128| if lo == hi { cmp(BinaryOp::Eq, lo) } else { and(cmp(BinaryOp::Ge, lo), cmp(BinaryOp::Le, hi)) };
        let ty = e.ty.clone();
        let mut arms = arms;
        let other = arms.pop().expect("the `_` arm").body;
        // The chain, from the last literal arm (its test is implied) up.
        let mut chain: Option<Expr> = None;
        for (a, (lo, hi)) in arms.into_iter().zip(spans).rev() {
            chain = Some(match chain {
                None => a.body,
                Some(rest) => {
                    let t = if a.body.ty == Ty::Never && rest.ty == Ty::Never { Ty::Never } else { ty.clone() };
                    Expr::new(ExprKind::If { cond: Box::new(within(lo, hi)), then_expr: Box::new(a.body), else_expr: Some(Box::new(rest)) }, t, e.span)
                }
            });
        }
        // `c <= p < c + w` as `(p - c) as uN < w` (wrapping): one compare.
        let uty = Ty::Int(unsigned(ity));
        let mut off = if c == 0 { local() } else { Expr::new(ExprKind::Binary { op: BinaryOp::Sub, lhs: Box::new(local()), rhs: Box::new(int(c)) }, sty.clone(), sspan) };
        if ity.signed() {
            off = Expr::new(ExprKind::Cast(Box::new(off)), uty.clone(), sspan);
        }
        let width = Expr::new(ExprKind::Int(top - c + 1), uty, sspan);
        let cond = Expr::new(ExprKind::Binary { op: BinaryOp::Lt, lhs: Box::new(off), rhs: Box::new(width) }, Ty::Bool, sspan);
        e.kind = ExprKind::If { cond: Box::new(cond), then_expr: Box::new(chain.expect("a literal arm")), else_expr: Some(Box::new(other)) };
        self.changed = true;
        true
    }

    /// `I p == c0 { a } E { I p == c1 { b } E { e } }` (two or more tests of one parameter
    /// against literals, `?:` alike) as a window when [`Norm::window`] takes the match it
    /// stands for; false (and `e` unchanged) when not.
    fn equality_chain(&mut self, e: &mut Expr) -> bool {
        let (p, pty, count) = {
            let mut first: Option<(LocalId, Ty)> = None;
            let mut count = 0;
            let mut cur = &*e;
            while let ExprKind::If { cond, else_expr: Some(x), .. } = &cur.kind {
                let ExprKind::Binary { op: BinaryOp::Eq, lhs, rhs } = &cond.kind else { break };
                let (ExprKind::Local(p), ExprKind::Int(_)) = (&lhs.kind, &rhs.kind) else { break };
                match &first {
                    Some((q, _)) if q != p => break,
                    Some(_) => {}
                    None => first = Some((*p, lhs.ty.clone())),
                }
                count += 1;
                cur = x;
            }
            let Some((p, pty)) = first else { return false };
            if count < 2 || !calls(cur, self.id) || !self.params.contains(&p) {
                return false;
            }
            (p, pty, count)
        };
        // The match the chain stands for (first test wins, as `M`'s first arm does; `window`
        // wants distinct values anyway), built from a copy: `e` changes only if it is taken.
        let span = e.span;
        let ty = e.ty.clone();
        let mut arms = vec![];
        let mut rest = e.clone();
        for _ in 0..count {
            let ExprKind::If { cond, then_expr, else_expr: Some(x) } = rest.into_kind() else { unreachable!() };
            let ExprKind::Binary { rhs, .. } = cond.into_kind() else { unreachable!() };
            let ExprKind::Int(v) = rhs.kind else { unreachable!() };
            arms.push(Arm { pattern: Pattern { kind: PatternKind::Int(v), ty: pty.clone(), span }, guard: None, body: *then_expr });
            rest = *x;
        }
        arms.push(Arm { pattern: Pattern { kind: PatternKind::Wildcard, ty: pty.clone(), span }, guard: None, body: rest });
        let scrutinee = Expr::new(ExprKind::Local(p), pty, span);
        let mut m = Expr::new(ExprKind::Match { scrutinee: Box::new(scrutinee), arms }, ty, span);
        if !self.window(&mut m) {
            return false;
        }
        *e = m;
        true
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
                ExprKind::Local(l) if next < lets.len() || written.contains(l) => return,
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

/// The unsigned integer type of `t`'s width.
fn unsigned(t: IntTy) -> IntTy {
    match t.bits() {
        8 => IntTy::U8,
        16 => IntTy::U16,
        32 => IntTy::U32,
        64 => IntTy::U64,
        _ => IntTy::U128,
    }
}

/// A window test as [`Norm::window`] writes it, `(p - c) as uN < w` (or `p as uN < w` for
/// `c == 0`, or without the cast on an unsigned `p` when `c > 0`): the local `p`, `c` and `w`.
pub fn window_of(cond: &Expr) -> Option<(LocalId, i128, i128)> {
    let ExprKind::Binary { op: BinaryOp::Lt, lhs, rhs } = &cond.kind else { return None };
    let ExprKind::Int(w) = rhs.kind else { return None };
    let (inner, cast) = match &lhs.kind {
        ExprKind::Cast(x) => (&**x, true),
        _ => (&**lhs, false),
    };
    match &inner.kind {
        ExprKind::Local(p) if cast => Some((*p, 0, w)),
        ExprKind::Binary { op: BinaryOp::Sub, lhs: a, rhs: b } => match (&a.kind, &b.kind) {
            (ExprKind::Local(p), ExprKind::Int(c)) if cast || matches!(a.ty, Ty::Int(t) if !t.signed()) => Some((*p, *c, w)),
            _ => None,
        },
        _ => None,
    }
    .filter(|(_, _, w)| *w >= 1)
}

/// Whether `e` calls the function `id` directly somewhere.
fn calls(e: &Expr, id: FuncId) -> bool {
    let mut hit = false;
    visit::preorder(e, |x| hit |= matches!(&x.kind, ExprKind::Call { callee: Callee::Func(f), .. } if *f == id));
    hit
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
