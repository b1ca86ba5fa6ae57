//! Range values and loops over values (extensions decisions 19 and 20): `r := a..b` is a
//! value of type `Range<T>` (lowered to a struct of `start`, `end` and whether the end is
//! included, see `vais_tir::RANGE_INCLUSIVE_FIELD`), with `r.start`, `r.end`, `r.len()`,
//! `r.is_empty()` and `r.contains(x)`; `L i: r { }` iterates it, and `L x: c { }` iterates a
//! value whose type has `len(&self) -> i64` and `get(&self, i: i64) -> T`.
//!
//! Everything here is built from existing TIR forms (struct literals, fields, `Range` loops,
//! `While` loops, method calls), so the back end needs nothing new and a loop over a range
//! variable is a `LoopKind::Range` loop like a literal one (the x4 unroller applies to it).

use vais_ast::ast::{self, ExprKind as A};
use vais_ast::Span;
use vais_tir::*;

use crate::check::Fc;
use crate::errors;
use crate::expr::is_intish;
use crate::ty::{self, T};

/// A range loop body of at most this many TIR nodes (and no nested loop or closure) is checked
/// twice, once per kind of end (`..=` or `..`), so that each copy is a plain range loop; a
/// larger body gets one loop whose end is adjusted at run time (no unrolling would apply to it
/// anyway, and its code is not duplicated).
const DUPLICATE_MAX_NODES: usize = 40;

impl<'c> Fc<'c> {
    /// `a..b` / `a..=b` as a value.
    pub fn range_value(&mut self, start: Option<&ast::Expr>, end: Option<&ast::Expr>, inclusive: bool, span: Span, hint: Option<T>) -> Expr {
        let (Some(s), Some(en)) = (start, end) else {
            for x in start.into_iter().chain(end) {
                self.expr(x);
            }
            self.err(
                errors::range_misuse("a range value needs both a start and an end", span)
                    .with_label("open range")
                    .with_note("note: `..b` and `a..` are only meaningful as slice indices (`p[..b]`)"),
            );
            return self.err_expr(span);
        };
        let want = match hint.map(|h| self.sh(&h)) {
            Some(T::Range(x)) => Some(*x),
            _ => None,
        };
        let s = match &want {
            Some(w) => self.expr_to(s, w),
            None => self.expr(s),
        };
        let st = self.t(&s);
        if !is_intish(&self.sh(&st)) {
            let x = self.show(&st);
            self.err(errors::range_misuse(format!("the bounds of a range must be integers, found `{}`", x), s.span).with_label("not an integer"));
            return self.err_expr(span);
        }
        let en = self.expr_to(en, &st);
        let incl = self.mk(ExprKind::Bool(inclusive), T::Bool, span);
        let rt = T::Range(Box::new(st));
        let ty = self.out(rt);
        let Ty::Struct(id) = ty else { unreachable!("a range type is a placeholder") };
        Expr::new(ExprKind::StructLit { id, fields: vec![(0, s), (1, en), (2, incl)] }, ty, span)
    }

    /// `r.start`, `r.end` (the end as written) of range value `b` (already dereferenced).
    pub fn range_field(&mut self, b: Expr, elem: T, field: &ast::Ident, span: Span) -> Expr {
        let (index, t) = match field.name.as_str() {
            "start" => (0, elem),
            "end" => (1, elem),
            n if n == RANGE_INCLUSIVE_FIELD => (2, T::Bool),
            _ => {
                let shown = self.show(&T::Range(Box::new(elem)));
                self.err(errors::unknown_field(&shown, &field.name, field.span, ["start", "end"]));
                return self.err_expr(span);
            }
        };
        self.mk(ExprKind::Field { base: Box::new(b), index }, t, span)
    }

    /// Field `i` of the range held in local `r`.
    fn rfield(&mut self, r: LocalId, rt: &T, i: u32, t: T, span: Span) -> Expr {
        let base = self.mk(ExprKind::Local(r), rt.clone(), span);
        self.mk(ExprKind::Field { base: Box::new(base), index: i }, t, span)
    }

    fn bin(&mut self, op: BinaryOp, l: Expr, r: Expr, t: T, span: Span) -> Expr {
        self.mk(ExprKind::Binary { op, lhs: Box::new(l), rhs: Box::new(r) }, t, span)
    }

    fn if_else(&mut self, c: Expr, a: Expr, b: Expr, t: T, span: Span) -> Expr {
        self.mk(ExprKind::If { cond: Box::new(c), then_expr: Box::new(a), else_expr: Some(Box::new(b)) }, t, span)
    }

    /// `r.len()`, `r.is_empty()`, `r.contains(x)` on range value `rv` (or a reference to one).
    pub fn range_method(&mut self, rv: Expr, elem: T, method: &ast::Ident, args: &[ast::Expr], span: Span) -> Expr {
        let arity = match method.name.as_str() {
            "len" | "is_empty" => 0,
            "contains" => 1,
            _ => {
                for a in args {
                    self.expr(a);
                }
                let shown = self.show(&T::Range(Box::new(elem)));
                self.err(errors::undefined_method(&shown, &method.name, method.span, ["len", "is_empty", "contains"]));
                return self.err_expr(span);
            }
        };
        if args.len() != arity {
            self.err(errors::arg_count(&method.name, arity, args.len(), span));
        }
        let (rv, _) = self.auto_deref(rv);
        let rt = T::Range(Box::new(elem.clone()));
        self.push_scope();
        let r = self.new_local("..range", rt.clone(), false, rv.span);
        let mut stmts = vec![Stmt::Let { local: r, value: rv }];
        let incl = self.rfield(r, &rt, 2, T::Bool, span);
        let (value, t) = match method.name.as_str() {
            "len" => {
                let mut ends = vec![];
                for i in [0, 1] {
                    let f = self.rfield(r, &rt, i, elem.clone(), span);
                    let f = self.coerce(f, &ty::I64);
                    let l = self.new_local(if i == 0 { "..start" } else { "..end" }, ty::I64, false, span);
                    stmts.push(Stmt::Let { local: l, value: f });
                    ends.push(l);
                }
                let get = |this: &mut Self, i: usize| this.mk(ExprKind::Local(ends[i]), ty::I64, span);
                let (s1, e1) = (get(self, 0), get(self, 1));
                let ge = self.bin(BinaryOp::Ge, e1, s1, T::Bool, span);
                let (s1, e1) = (get(self, 0), get(self, 1));
                let d1 = self.bin(BinaryOp::Sub, e1, s1, ty::I64, span);
                let one = self.mk(ExprKind::Int(1), ty::I64, span);
                let d1 = self.bin(BinaryOp::Add, d1, one, ty::I64, span);
                let zero = self.mk(ExprKind::Int(0), ty::I64, span);
                let a = self.if_else(ge, d1, zero, ty::I64, span);
                let (s2, e2) = (get(self, 0), get(self, 1));
                let gt = self.bin(BinaryOp::Gt, e2, s2, T::Bool, span);
                let (s2, e2) = (get(self, 0), get(self, 1));
                let d2 = self.bin(BinaryOp::Sub, e2, s2, ty::I64, span);
                let zero = self.mk(ExprKind::Int(0), ty::I64, span);
                let b = self.if_else(gt, d2, zero, ty::I64, span);
                (self.if_else(incl, a, b, ty::I64, span), ty::I64)
            }
            "is_empty" => {
                let s = self.rfield(r, &rt, 0, elem.clone(), span);
                let e = self.rfield(r, &rt, 1, elem.clone(), span);
                let a = self.bin(BinaryOp::Gt, s, e, T::Bool, span);
                let s = self.rfield(r, &rt, 0, elem.clone(), span);
                let e = self.rfield(r, &rt, 1, elem.clone(), span);
                let b = self.bin(BinaryOp::Ge, s, e, T::Bool, span);
                (self.if_else(incl, a, b, T::Bool, span), T::Bool)
            }
            _ => {
                let x = match args.first() {
                    Some(a) => self.expr_to(a, &elem),
                    None => self.err_expr(span),
                };
                for a in args.iter().skip(1) {
                    self.expr(a);
                }
                let xl = self.new_local("..x", elem.clone(), false, span);
                stmts.push(Stmt::Let { local: xl, value: x });
                let xv = |this: &mut Self| this.mk(ExprKind::Local(xl), elem.clone(), span);
                let s = self.rfield(r, &rt, 0, elem.clone(), span);
                let x1 = xv(self);
                let lo = self.bin(BinaryOp::Ge, x1, s, T::Bool, span);
                let e = self.rfield(r, &rt, 1, elem.clone(), span);
                let x2 = xv(self);
                let le = self.bin(BinaryOp::Le, x2, e, T::Bool, span);
                let e = self.rfield(r, &rt, 1, elem.clone(), span);
                let x3 = xv(self);
                let lt = self.bin(BinaryOp::Lt, x3, e, T::Bool, span);
                let hi = self.if_else(incl, le, lt, T::Bool, span);
                (self.bin(BinaryOp::And, lo, hi, T::Bool, span), T::Bool)
            }
        };
        self.pop_scope();
        self.mk(ExprKind::Block(Block { stmts, value: Some(Box::new(value)) }), t, span)
    }

    /// `L pat: e { }` where `e` is not a range literal: a range value, a collection (decision
    /// 20), or (the existing form, given back as `Err`) a `bool` condition. `c` is `e` checked.
    pub fn value_loop(&mut self, pat: &ast::Pattern, c: Expr, body: &ast::Block, span: Span) -> Result<Expr, Expr> {
        let ct = self.t(&c);
        let (c, ct) = match self.sh(&ct) {
            T::Ref(inner) if matches!(self.sh(&inner), T::Range(_)) => self.auto_deref(c),
            _ => (c, ct),
        };
        match self.sh(&ct) {
            T::Range(elem) => Ok(self.range_loop(pat, c, *elem, body, span)),
            T::Struct(n, a) | T::Enum(n, a) => Ok(self.collection_loop(pat, c, n, a, false, body, span)),
            T::Ref(inner) => match self.sh(&inner) {
                T::Struct(n, a) | T::Enum(n, a) => Ok(self.collection_loop(pat, c, n, a, true, body, span)),
                _ => Err(c),
            },
            _ => Err(c),
        }
    }

    /// Binds a range loop's pattern (a name or `_`) in a new scope.
    fn loop_var(&mut self, pat: &ast::Pattern, t: &T) -> Option<LocalId> {
        match &pat.kind {
            ast::PatternKind::Ident(n) => Some(self.new_local(n, t.clone(), false, pat.span)),
            ast::PatternKind::Wildcard => None,
            _ => {
                self.err(errors::invalid("a range loop binds a name or `_`", pat.span));
                None
            }
        }
    }

    /// One range loop over the range in local `r`: `start..=end` when `incl`, else
    /// `start..end`.
    fn range_loop_of(&mut self, pat: &ast::Pattern, r: LocalId, elem: &T, incl: bool, body: &ast::Block, span: Span) -> Expr {
        let rt = T::Range(Box::new(elem.clone()));
        let s = self.rfield(r, &rt, 0, elem.clone(), span);
        let e = self.rfield(r, &rt, 1, elem.clone(), span);
        self.push_scope();
        let var = self.loop_var(pat, elem);
        self.frame().loops += 1;
        let b = self.block(body);
        self.frame().loops -= 1;
        self.pop_scope();
        let kind = LoopKind::Range { var, start: Box::new(s), end: Box::new(e), inclusive: incl };
        self.mk(ExprKind::Loop { kind, body: Box::new(b) }, T::Unit, span)
    }

    /// `L i: r { }` over range value `c`.
    fn range_loop(&mut self, pat: &ast::Pattern, c: Expr, elem: T, body: &ast::Block, span: Span) -> Expr {
        let rt = T::Range(Box::new(elem.clone()));
        self.push_scope();
        let r = self.new_local("..range", rt.clone(), false, c.span);
        let mut stmts = vec![Stmt::Let { local: r, value: c }];
        let excl = self.range_loop_of(pat, r, &elem, false, body, span);
        let small = {
            let mut n = 0usize;
            let mut ok = true;
            let ExprKind::Loop { body: b, .. } = &excl.kind else { unreachable!() };
            count(b, &mut n, &mut ok);
            ok && n <= DUPLICATE_MAX_NODES
        };
        let value = if small {
            // Two plain range loops: the exclusive one is unrolled like a literal `a..b` loop.
            let incl = self.range_loop_of(pat, r, &elem, true, body, span);
            let c = self.rfield(r, &rt, 2, T::Bool, span);
            self.if_else(c, incl, excl, T::Unit, span)
        } else {
            // One loop (the body checked once): `start..=end` when the end is included, else
            // `start..=end-1` when `start < end` (so `end - 1` cannot overflow), else none.
            let cinc = self.rfield(r, &rt, 2, T::Bool, span);
            let s = self.rfield(r, &rt, 0, elem.clone(), span);
            let e = self.rfield(r, &rt, 1, elem.clone(), span);
            let lt = self.bin(BinaryOp::Lt, s, e, T::Bool, span);
            let tru = self.mk(ExprKind::Bool(true), T::Bool, span);
            let run = self.if_else(cinc, tru, lt, T::Bool, span);
            let cinc = self.rfield(r, &rt, 2, T::Bool, span);
            let e1 = self.rfield(r, &rt, 1, elem.clone(), span);
            let e2 = self.rfield(r, &rt, 1, elem.clone(), span);
            let one = self.mk(ExprKind::Int(1), elem.clone(), span);
            let em1 = self.bin(BinaryOp::Sub, e2, one, elem.clone(), span);
            let end_adj = self.if_else(cinc, e1, em1, elem.clone(), span);
            let mut lp = excl;
            if let ExprKind::Loop { kind: LoopKind::Range { end, inclusive, .. }, .. } = &mut lp.kind {
                **end = end_adj;
                *inclusive = true;
            }
            self.mk(ExprKind::If { cond: Box::new(run), then_expr: Box::new(lp), else_expr: None }, T::Unit, span)
        };
        self.pop_scope();
        stmts.push(Stmt::Expr(value));
        self.mk(ExprKind::Block(Block { stmts, value: None }), T::Unit, span)
    }

    /// `L x: c { }` over a value whose type (struct or enum `n`) has `len` and `get`: `x` is
    /// `c.get(0)` to `c.get(c.len() - 1)`, `len()` read before each step (decision 20).
    #[allow(clippy::too_many_arguments)]
    fn collection_loop(&mut self, pat: &ast::Pattern, c: Expr, n: String, args: Vec<T>, is_ref: bool, body: &ast::Block, span: Span) -> Expr {
        let methods = self.cx.env.type_methods(&n).cloned().unwrap_or_default();
        let shown = self.show(&self.cx.env.owner_t(&n, args.clone()));
        let find = |m: &str, np: usize| {
            methods.get(m).copied().filter(|&d| {
                let f = &self.cx.env.fns[d];
                f.instance && f.ast.params.len() == np + 1
            })
        };
        let (len, get) = (find("len", 0), find("get", 1));
        let (Some(len), Some(get)) = (len, get) else {
            let why = match (len, get) {
                (None, None) => format!("`{}` has no methods `len(&self) -> i64` and `get(&self, i: i64) -> T`", n),
                (None, _) => format!("`{}` has no method `len(&self) -> i64`", n),
                _ => format!("`{}` has no method `get(&self, i: i64) -> T`", n),
            };
            self.err(errors::not_iterable(&shown, &why, c.span));
            return self.err_expr(span);
        };
        let st = self.cx.env.owner_t(&n, args.clone());
        let rt = T::Ref(Box::new(st));
        let cspan = c.span;
        let c = if is_ref { c } else { self.mk(ExprKind::AddrOf(Box::new(c)), rt.clone(), cspan) };
        self.push_scope();
        let cl = self.new_local("..coll", rt.clone(), false, cspan);
        let il = self.new_local("..i", ty::I64, true, cspan);
        let zero = self.mk(ExprKind::Int(0), ty::I64, span);
        let mut stmts = vec![Stmt::Let { local: cl, value: c }, Stmt::Let { local: il, value: zero }];
        // `..i < ..coll.len()`
        let recv = self.mk(ExprKind::Local(cl), rt.clone(), cspan);
        let lcall = self.call_decl(len, None, Some((recv, args.clone())), &[], cspan, cspan);
        let lt = self.t(&lcall);
        if !is_intish(&self.sh(&lt)) {
            let x = self.show(&lt);
            self.err(errors::not_iterable(&shown, &format!("`{}.len` returns `{}`, not `i64`", n, x), cspan));
        }
        let lcall = self.coerce(lcall, &ty::I64);
        let iv = self.mk(ExprKind::Local(il), ty::I64, cspan);
        let cond = self.bin(BinaryOp::Lt, iv, lcall, T::Bool, cspan);
        // `x := ..coll.get(..i); ..i += 1; body`
        self.push_scope();
        let recv = self.mk(ExprKind::Local(cl), rt.clone(), cspan);
        let iarg = ast::Expr { kind: A::Ident("..i".into()), span: cspan };
        let gcall = self.call_decl(get, None, Some((recv, args)), std::slice::from_ref(&iarg), cspan, cspan);
        let gt = self.t(&gcall);
        let mut inner = vec![];
        match &pat.kind {
            ast::PatternKind::Ident(x) => {
                let xl = self.new_local(x, gt, false, pat.span);
                inner.push(Stmt::Let { local: xl, value: gcall });
            }
            ast::PatternKind::Wildcard => inner.push(Stmt::Expr(gcall)),
            _ => {
                self.err(errors::invalid("a loop over a collection binds a name or `_`", pat.span));
                inner.push(Stmt::Expr(gcall));
            }
        }
        let iv = self.mk(ExprKind::Local(il), ty::I64, cspan);
        let one = self.mk(ExprKind::Int(1), ty::I64, cspan);
        inner.push(Stmt::Expr(self.mk(ExprKind::CompoundAssign { op: BinaryOp::Add, target: Box::new(iv), value: Box::new(one) }, T::Unit, cspan)));
        self.frame().loops += 1;
        let b = self.block(body);
        self.frame().loops -= 1;
        self.pop_scope();
        inner.push(Stmt::Expr(b));
        let lbody = self.mk(ExprKind::Block(Block { stmts: inner, value: None }), T::Unit, body.span);
        let lp = self.mk(ExprKind::Loop { kind: LoopKind::While(Box::new(cond)), body: Box::new(lbody) }, T::Unit, span);
        self.pop_scope();
        stmts.push(Stmt::Expr(lp));
        self.mk(ExprKind::Block(Block { stmts, value: None }), T::Unit, span)
    }
}

/// Counts TIR nodes into `n`; clears `ok` at a nested loop, closure or future (a body the
/// unroller would not take).
fn count(e: &Expr, n: &mut usize, ok: &mut bool) {
    *n += 1;
    if *n > DUPLICATE_MAX_NODES || !*ok {
        return;
    }
    if matches!(e.kind, ExprKind::Loop { .. } | ExprKind::Closure { .. } | ExprKind::MakeFuture { .. }) {
        *ok = false;
        return;
    }
    vais_tir::visit::children(e, &mut |c| count(c, n, ok));
}
