//! Expression and statement checking (§4.7, §5, §6): produces TIR with placeholder types.

use vais_ast::ast::{self, AssignOp, BinaryOp, ExprKind as A, StmtKind, UnaryOp as AU};
use vais_ast::Span;
use vais_tir::*;

use crate::check::{Fc, Frame};
use crate::errors;
use vais_ast::stack;
use crate::lower::Pending;
use crate::ty::{self, T};

pub fn is_numeric(t: &T) -> bool {
    matches!(t, T::Int(_) | T::F32 | T::F64 | T::Var(_) | T::Param(_) | T::Err | T::Never)
}

pub fn is_intish(t: &T) -> bool {
    matches!(t, T::Int(_) | T::Var(_) | T::Param(_) | T::Err | T::Never)
}

impl<'c> Fc<'c> {
    pub fn err_expr(&mut self, span: Span) -> Expr {
        self.mk(ExprKind::Unit, T::Err, span)
    }

    pub fn block(&mut self, b: &ast::Block) -> Expr {
        self.block_h(b, None)
    }

    /// A block whose final expression is expected to have type `hint`.
    pub fn block_h(&mut self, b: &ast::Block, hint: Option<T>) -> Expr {
        self.push_scope();
        let mut stmts = Vec::with_capacity(b.stmts.len());
        let mut value = None;
        let n = b.stmts.len();
        for (i, s) in b.stmts.iter().enumerate() {
            let last = i + 1 == n;
            let x = match &s.kind {
                StmtKind::Let { name, mutable, ty, value } => {
                    let (v, t) = match ty {
                        Some(ty) => {
                            let t = self.resolve(ty);
                            (self.expr_to(value, &t), t)
                        }
                        None => {
                            let v = self.expr(value);
                            let t = self.t(&v);
                            (v, t)
                        }
                    };
                    let local = self.new_local(&name.name, t, *mutable, name.span);
                    stmts.push(Stmt::Let { local, value: v });
                    continue;
                }
                StmtKind::Expr(e) => {
                    if last {
                        self.hint = hint.clone();
                    }
                    self.expr(e)
                }
                StmtKind::Return(e) => self.ret_expr(e.as_ref(), s.span),
                StmtKind::Break(e) => self.break_expr(e.as_ref(), s.span, true),
                StmtKind::Continue => self.break_expr(None, s.span, false),
            };
            if last {
                value = Some(Box::new(x));
            } else {
                stmts.push(Stmt::Expr(x));
            }
        }
        self.pop_scope();
        let t = value.as_ref().map(|v| self.t(v)).unwrap_or(T::Unit);
        self.mk(ExprKind::Block(Block { stmts, value }), t, b.span)
    }

    pub fn ret_expr(&mut self, e: Option<&ast::Expr>, span: Span) -> Expr {
        let ret = self.frame().ret.clone();
        let v = match e {
            Some(e) => {
                self.hint = Some(ret.clone());
                let v = self.expr(e);
                self.hint = None;
                Some(Box::new(self.coerce_ctx(v, &ret, Some("returned value must match the function's return type"))))
            }
            None => {
                if !self.inf.unify(&ret, &T::Unit) {
                    let r = self.show(&ret);
                    self.err(errors::mismatch(&r, "()", span));
                }
                None
            }
        };
        self.mk(ExprKind::Return(v), T::Never, span)
    }

    pub fn break_expr(&mut self, e: Option<&ast::Expr>, span: Span, is_break: bool) -> Expr {
        if self.frame().loops == 0 {
            self.err(errors::outside_loop(if is_break { "B" } else { "C" }, span));
        }
        if !is_break {
            return self.mk(ExprKind::Continue, T::Never, span);
        }
        let v = e.map(|e| Box::new(self.expr(e)));
        self.mk(ExprKind::Break(v), T::Never, span)
    }

    /// Branch join (`I`/`E`, ternary, match arms): the first non-diverging type wins.
    pub fn join(&mut self, a: Expr, b: Expr) -> (Expr, Expr, T) {
        // `c ? 1.0 : x` on an `f32` `x`: a float literal first branch takes the other's type
        // (an error before `f32` literals; an integer branch keeps the first branch's type, as
        // it always has).
        let a = if matches!(a.kind, ExprKind::Float(_)) && b.ty == Ty::F32 && self.is_literal(&a) {
            self.coerce_literal(&a, &T::F64, &T::F32).unwrap_or(a)
        } else {
            a
        };
        let ta = self.t(&a);
        if matches!(self.sh(&ta), T::Never) {
            let tb = self.t(&b);
            return (a, b, tb);
        }
        let b = self.coerce_ctx(b, &ta, Some("both branches must have compatible types"));
        (a, b, ta)
    }

    /// Checks one expression. Levels run under `stack::guard` (a long chain such as
    /// `1+1+...` is as deep as it is long); past `MAX_EXPR_DEPTH` levels the subtree is
    /// reported (E026) and not checked, so no later pass sees a deeper tree.
    pub fn expr(&mut self, e: &ast::Expr) -> Expr {
        if self.depth >= self.max_depth {
            self.hint = None;
            // Once per function: the rest of a chain past the limit is one mistake.
            if !std::mem::replace(&mut self.too_deep, true) {
                self.err(errors::too_deep(e.span));
            }
            return self.err_expr(e.span);
        }
        self.depth += 1;
        // The stack check every 8 levels (`RED_ZONE` covers 8 levels of this recursion even
        // in a debug build): checking every level cost ~1.5% of `vaisc check`'s instructions.
        let r = if self.depth.is_multiple_of(8) { stack::guard(|| self.expr_here(e)) } else { self.expr_here(e) };
        self.depth -= 1;
        r
    }

    fn expr_here(&mut self, e: &ast::Expr) -> Expr {
        let span = e.span;
        let hint = self.hint.take();
        match &e.kind {
            A::Int(v) => self.int_literal(*v as i128, hint, span),
            A::Float(f) => self.float_literal(*f, hint, span),
            // `-literal` is one literal (so `-9223372036854775808` is an `i64` and `-1` is out
            // of range for a `u8`).
            A::Unary { op: AU::Neg, operand } if matches!(operand.kind, A::Int(_) | A::Float(_)) => match operand.kind {
                A::Int(v) => self.int_literal(-(v as i128), hint, span),
                A::Float(f) => self.float_literal(-f, hint, span),
                _ => unreachable!(),
            },
            A::Cast { expr, ty, as_span } => self.cast(expr, ty, *as_span, span),
            A::Str(s) => self.mk(ExprKind::Str(s.clone()), T::Str, span),
            A::Bool(b) => self.mk(ExprKind::Bool(*b), T::Bool, span),
            A::Unit => self.mk(ExprKind::Unit, T::Unit, span),
            A::Error => self.err_expr(span),
            A::Ident(n) => self.ident(n, span, hint),
            A::SelfValue => match self.lookup("self") {
                Some((id, t, _, _)) => self.mk(ExprKind::Local(id), t, span),
                None => {
                    self.err(errors::invalid("`self` is only available in a method with a `&self` parameter", span));
                    self.err_expr(span)
                }
            },
            A::At => self.at_value(span),
            A::Tuple(es) => {
                let xs: Vec<Expr> = es.iter().map(|e| self.expr(e)).collect();
                let ts = xs.iter().map(|x| self.t(x)).collect();
                self.mk(ExprKind::Tuple(xs), T::Tuple(ts), span)
            }
            A::Array(es) => {
                let mut xs = vec![];
                let mut elem: Option<T> = match hint.map(|h| self.sh(&h)) {
                    Some(T::Ptr(x)) => Some(*x),
                    _ => None,
                };
                for e in es {
                    let x = self.expr(e);
                    match &elem {
                        None => {
                            elem = Some(self.t(&x));
                            xs.push(x);
                        }
                        Some(t) => {
                            let t = t.clone();
                            xs.push(self.coerce(x, &t));
                        }
                    }
                }
                let elem = elem.unwrap_or_else(|| self.inf.fresh());
                self.mk(ExprKind::Array(xs), T::Ptr(Box::new(elem)), span)
            }
            A::Block(b) => self.block_h(b, hint),
            A::StructLit { name, fields } => self.struct_lit(name, fields, span, hint),
            A::If { cond, then_block, else_branch } => {
                let c = self.expr(cond);
                let c = self.coerce_ctx(c, &T::Bool, Some("the condition of `I` must be `bool`"));
                let th = self.block_h(then_block, hint.clone());
                match else_branch {
                    None => self.mk(
                        ExprKind::If { cond: Box::new(c), then_expr: Box::new(th), else_expr: None },
                        T::Unit,
                        span,
                    ),
                    Some(eb) => {
                        self.hint = hint;
                        let el = self.expr(eb);
                        let (th, el, t) = self.join(th, el);
                        self.mk(
                            ExprKind::If { cond: Box::new(c), then_expr: Box::new(th), else_expr: Some(Box::new(el)) },
                            t,
                            span,
                        )
                    }
                }
            }
            A::Ternary { cond, then_expr, else_expr } => {
                let c = self.expr(cond);
                let c = self.coerce_ctx(c, &T::Bool, Some("the condition of `?:` must be `bool`"));
                let th = self.expr(then_expr);
                let el = self.expr(else_expr);
                let (th, el, t) = self.join(th, el);
                self.mk(ExprKind::If { cond: Box::new(c), then_expr: Box::new(th), else_expr: Some(Box::new(el)) }, t, span)
            }
            A::Loop { header, body } => self.loop_expr(header.as_deref(), body, span),
            A::Match { scrutinee, arms } => self.match_expr(scrutinee, arms, span),
            A::Lambda { params, body } => self.lambda(params, body, span),
            A::Spawn(x) => self.expr(x),
            A::Unary { op, operand } => self.unary(*op, operand, span),
            // The typed node starts at the operator: its instructions and its runtime errors
            // (division by zero) point there.
            A::Binary { op, op_span, lhs, rhs } => self.binary(*op, lhs, rhs, Span::new(span.file, op_span.start, span.end.max(op_span.start)), hint),
            A::Range { start, end, inclusive } => self.range_value(start.as_deref(), end.as_deref(), *inclusive, span, hint),
            A::Assign { op, target, value } => self.assign(*op, target, value, span),
            A::Call { callee, args } => self.call(callee, args, span, hint),
            A::MethodCall { receiver, method, args } => self.method_call(receiver, method, args, span),
            A::StaticCall { type_name, method, args } => self.static_call(type_name, method, args, span),
            A::Field { base, field } => self.field(base, field, span),
            A::Index { base, index } => self.index(base, index, span),
            A::Await(x) => {
                let v = self.expr(x);
                let t = self.t(&v);
                let inner = self.inf.fresh();
                if !self.inf.unify(&t, &T::Future(Box::new(inner.clone()))) {
                    let s = self.show(&t);
                    self.err(errors::mismatch("Future<_>", &s, x.span).with_note("note: `.await` needs the result of an async function call"));
                    // As for `!`: a fresh variable would grow a type as deep as the chain.
                    return self.mk(ExprKind::Await(Box::new(v)), T::Err, span);
                }
                let inner = match self.sh(&t) {
                    T::Future(i) => *i,
                    T::Param(_) | T::Err => T::Err,
                    _ => inner,
                };
                self.mk(ExprKind::Await(Box::new(v)), inner, span)
            }
            A::Unwrap(x) => {
                let v = self.expr(x);
                let t = self.t(&v);
                let inner = self.inf.fresh();
                if !self.inf.unify(&t, &T::Optional(Box::new(inner.clone()))) {
                    let s = self.show(&t);
                    self.err(errors::mismatch("_?", &s, x.span));
                    // The error type, not a fresh variable: each further `!` of a chain would
                    // otherwise unify it with `_?`, building types as deep as the chain.
                    return self.mk(ExprKind::Unwrap(Box::new(v)), T::Err, span);
                }
                let inner = match self.sh(&t) {
                    T::Optional(i) => *i,
                    T::Err => T::Err,
                    _ => inner,
                };
                self.mk(ExprKind::Unwrap(Box::new(v)), inner, span)
            }
        }
    }

    fn at_value(&mut self, span: Span) -> Expr {
        if self.at_is_self {
            if let Some((id, t, _, _)) = self.lookup("self") {
                return self.mk(ExprKind::Local(id), t, span);
            }
        }
        if let Some((decl, args)) = self.self_fn.clone() {
            return self.fn_value(decl, Some(args), span);
        }
        self.err(errors::undefined_fn("@", span, []));
        self.err_expr(span)
    }

    /// A declared function used as a value.
    fn fn_value(&mut self, decl: usize, args: Option<Vec<T>>, span: Span) -> Expr {
        let d = self.cx.env.fns[decl].clone();
        let targs = args.unwrap_or_else(|| d.all_generics().iter().map(|_| self.inf.fresh()).collect());
        let (ps, r) = self.signature(decl, &targs);
        let r = if d.ast.is_async { T::Future(Box::new(r)) } else { r };
        let f = self.pend(Pending::Inst(decl, targs));
        self.mk(ExprKind::FuncRef(f), T::Fn(ps, Box::new(r)), span)
    }

    /// Parameter types (without the receiver) and return type of a declaration instance.
    pub fn signature(&mut self, decl: usize, targs: &[T]) -> (Vec<T>, T) {
        let d = self.cx.env.fns[decl].clone();
        let sub: Vec<(String, T)> = d.all_generics().into_iter().zip(targs.iter().cloned()).collect();
        let self_t = d.owner.as_ref().map(|o| self.cx.env.owner_t(o, targs[..d.owner_generics.len().min(targs.len())].to_vec()));
        let mut diags = vec![];
        let mut ps = vec![];
        for p in &d.ast.params {
            if let ast::Param::Named { ty, .. } = p {
                ps.push(self.cx.env.resolve(ty, &sub, self_t.as_ref(), &mut diags));
            }
        }
        let r = match &d.ast.ret {
            Some(t) => self.cx.env.resolve(t, &sub, self_t.as_ref(), &mut diags),
            None => T::Unit,
        };
        (ps, r)
    }

    fn ident(&mut self, n: &str, span: Span, hint: Option<T>) -> Expr {
        if let Some((id, t, _, _)) = self.lookup(n) {
            return self.mk(ExprKind::Local(id), t, span);
        }
        if let Some(g) = self.cx.globals.get(n).copied() {
            let t = self.global_t(g);
            return self.mk(ExprKind::Global(g), t, span);
        }
        if let Some((t, v)) = self.cx.env.consts.get(n).cloned() {
            return self.const_expr(&t, &v, span);
        }
        if let Some(decl) = self.cx.env.free_fns.get(n).copied() {
            return self.fn_value(decl, None, span);
        }
        if let Some((en, idx)) = self.cx.env.variants.get(n).cloned() {
            let Some(ed) = self.cx.env.enums.get(&en).cloned().filter(|e| idx < e.variants.len()) else {
                return self.err_expr(span);
            };
            let args: Vec<T> = match hint.map(|h| self.sh(&h)) {
                Some(T::Enum(m, a)) if m == en && a.len() == ed.generics.len() => a,
                _ => ed.generics.iter().map(|_| self.inf.fresh()).collect(),
            };
            if matches!(ed.variants[idx].1, ast::VariantKind::Unit) {
                return self.variant_expr(&en, args, idx, vec![], span);
            }
            self.err(errors::invalid(format!("tuple variant `{}` must be called with its fields: `{}(...)`", n, n), span));
            return self.err_expr(span);
        }
        if Builtin::from_name(n).is_some() || self.cx.env.externs.contains_key(n) {
            self.err(errors::invalid(format!("built-in or extern function `{}` cannot be used as a value", n), span));
            return self.err_expr(span);
        }
        let mut cands = self.local_names();
        cands.extend(self.cx.globals.keys().cloned());
        cands.extend(self.cx.env.free_fns.keys().cloned());
        cands.extend(self.cx.env.consts.keys().cloned());
        self.err(errors::undefined_var(n, span, cands.iter().map(|s| s.as_str())));
        self.err_expr(span)
    }

    pub fn const_expr(&mut self, t: &T, v: &crate::env::ConstVal, span: Span) -> Expr {
        use crate::env::ConstVal as C;
        let k = match v {
            C::Int(i) => ExprKind::Int(*i),
            C::Float(f) => ExprKind::Float(*f),
            C::Bool(b) => ExprKind::Bool(*b),
            C::Str(s) => ExprKind::Str(s.clone()),
        };
        if matches!(k, ExprKind::Int(_) | ExprKind::Float(_)) {
            // Not a literal: it converts like any value (`cast.rs`).
            self.const_nodes.insert(span);
        }
        self.mk(k, t.clone(), span)
    }

    pub fn variant_expr(&mut self, en: &str, args: Vec<T>, idx: usize, vals: Vec<Expr>, span: Span) -> Expr {
        let t = T::Enum(en.to_string(), args);
        let ty = self.out(t);
        let Ty::Struct(StructId(k)) = ty else { unreachable!() };
        Expr::new(ExprKind::Variant { enum_id: EnumId(k), variant: idx as u32, args: vals }, ty, span)
    }

    fn struct_lit(&mut self, name: &ast::Ident, fields: &[(ast::Ident, ast::Expr)], span: Span, hint: Option<T>) -> Expr {
        let mut sname = name.name.clone();
        // Through an alias (`T P = Pair<i64>`), the struct it names with the arguments it
        // gives (the alias's own parameters are inferred).
        let mut alias_args: Option<Vec<T>> = None;
        if let Some(a) = self.cx.env.aliases.get(&sname).cloned() {
            if a.cyclic {
                for (_, e) in fields {
                    self.expr(e);
                }
                return self.err_expr(span);
            }
            let g: Vec<(String, T)> = a.generics.iter().map(|p| (p.clone(), self.inf.fresh())).collect();
            let mut d = vec![];
            let t = self.cx.env.resolve(&a.ty, &g, None, &mut d);
            d.into_iter().for_each(|x| self.err(x));
            if let T::Struct(n, args) = t {
                sname = n;
                alias_args = Some(args);
            }
        }
        if name.name == "Self" {
            if let Some(T::Struct(n, _)) = &self.self_ty {
                sname = n.clone();
            }
        }
        let Some(sd) = self.cx.env.structs.get(&sname).cloned() else {
            for (_, e) in fields {
                self.expr(e);
            }
            if self.cx.env.variants.contains_key(&name.name) {
                self.err(errors::invalid(format!("struct-like variant `{}` cannot be constructed", name.name), name.span));
            } else {
                let c: Vec<String> = self.cx.env.structs.keys().cloned().collect();
                self.err(errors::undefined_type(&name.name, name.span, c.iter().map(|s| s.as_str())));
            }
            return self.err_expr(span);
        };
        let args: Vec<T> = if name.name == "Self" {
            match &self.self_ty {
                Some(T::Struct(_, a)) => a.clone(),
                _ => vec![],
            }
        } else if let Some(a) = alias_args.filter(|a| a.len() == sd.generics.len()) {
            if let Some(h) = hint {
                self.inf.unify(&h, &T::Struct(sname.clone(), a.clone()));
            }
            a
        } else {
            match hint.map(|h| self.sh(&h)) {
                Some(T::Struct(m, a)) if m == sname && a.len() == sd.generics.len() => a,
                _ => sd.generics.iter().map(|_| self.inf.fresh()).collect(),
            }
        };
        let sub: Vec<(String, T)> = sd.generics.iter().cloned().zip(args.iter().cloned()).collect();
        let st = T::Struct(sname.clone(), args.clone());
        let mut out = vec![];
        let mut seen = vec![false; sd.fields.len()];
        for (fname, fe) in fields {
            let Some(idx) = sd.field_index(&fname.name) else {
                self.expr(fe);
                let c: Vec<&str> = sd.fields.iter().map(|(n, _)| n.as_str()).collect();
                self.err(errors::unknown_field(&sname, &fname.name, fname.span, c));
                continue;
            };
            if std::mem::replace(&mut seen[idx], true) {
                self.err(errors::invalid(format!("field `{}` is initialised twice", fname.name), fname.span));
            }
            let mut d = vec![];
            let ft = self.cx.env.resolve(&sd.fields[idx].1, &sub, Some(&st), &mut d);
            let v = self.expr_to(fe, &ft);
            out.push((idx as u32, v));
        }
        let missing: Vec<&str> =
            sd.fields.iter().zip(&seen).filter(|(_, s)| !**s).map(|((n, _), _)| n.as_str()).collect();
        if !missing.is_empty() {
            self.err(errors::invalid(
                format!("missing field{} {} in `{}` literal", if missing.len() > 1 { "s" } else { "" }, missing.iter().map(|m| format!("`{}`", m)).collect::<Vec<_>>().join(", "), sname),
                span,
            ));
        }
        self.check_type_bounds(&st, span);
        let ty = self.out(st);
        let Ty::Struct(id) = ty else { unreachable!() };
        Expr::new(ExprKind::StructLit { id, fields: out }, ty, span)
    }

    fn loop_expr(&mut self, header: Option<&(ast::Pattern, ast::Expr)>, body: &ast::Block, span: Span) -> Expr {
        let kind = header.map(|(pat, e)| (pat, e));
        let (kind, bound) = match kind {
            None => (LoopKind::Infinite, false),
            Some((pat, e)) => match &e.kind {
                A::Range { start, end, inclusive } => {
                    let (Some(s), Some(en)) = (start, end) else {
                        self.err(errors::invalid("a range loop needs both a start and an end", e.span));
                        return self.err_expr(span);
                    };
                    let s = self.expr(s);
                    let st = self.t(&s);
                    if !is_intish(&self.sh(&st)) {
                        let x = self.show(&st);
                        self.err(errors::mismatch("integer", &x, s.span));
                    }
                    let en = self.expr(en);
                    let en = self.coerce(en, &st);
                    self.push_scope();
                    let var = match &pat.kind {
                        ast::PatternKind::Ident(n) => Some(self.new_local(n, st.clone(), false, pat.span)),
                        ast::PatternKind::Wildcard => None,
                        _ => {
                            self.err(errors::invalid("a range loop binds a name or `_`", pat.span));
                            None
                        }
                    };
                    (LoopKind::Range { var, start: Box::new(s), end: Box::new(en), inclusive: *inclusive }, true)
                }
                _ => {
                    let c = self.expr(e);
                    let c = match self.value_loop(pat, c, body, span) {
                        Ok(lp) => return lp,
                        Err(c) => c,
                    };
                    let ct = self.sh(&self.t(&c));
                    if let T::Array(elem) | T::Ptr(elem) = ct {
                        self.err(errors::invalid("iterating over an array is not supported; use a range loop", e.span));
                        // Check the body with the name bound to an element, so the one mistake
                        // gives one error (not a `bool` mismatch and an undefined name too).
                        self.push_scope();
                        if let ast::PatternKind::Ident(n) = &pat.kind {
                            self.new_local(n, (*elem).clone(), false, pat.span);
                        }
                        self.frame().loops += 1;
                        self.block(body);
                        self.frame().loops -= 1;
                        self.pop_scope();
                        return self.err_expr(span);
                    }
                    let c = self.coerce_ctx(c, &T::Bool, Some("a conditional loop `L _: cond` needs a `bool` condition"));
                    (LoopKind::While(Box::new(c)), false)
                }
            },
        };
        self.frame().loops += 1;
        let b = self.block(body);
        self.frame().loops -= 1;
        if bound {
            self.pop_scope();
        }
        self.mk(ExprKind::Loop { kind, body: Box::new(b) }, T::Unit, span)
    }

    fn lambda(&mut self, params: &[ast::LambdaParam], body: &ast::Expr, span: Span) -> Expr {
        let ret = self.inf.fresh();
        let pts: Vec<T> = params.iter().map(|p| self.resolve(&p.ty)).collect();
        for (i, p) in params.iter().enumerate() {
            if params[..i].iter().any(|q| q.name.name == p.name.name) {
                self.err(errors::duplicate("parameter", &p.name.name, p.name.span));
            }
        }
        self.frames.push(Frame::new(ret.clone(), true));
        let mut pids = vec![];
        for (p, t) in params.iter().zip(&pts) {
            pids.push(self.new_local(&p.name.name, t.clone(), false, p.name.span));
        }
        let idx = self.lambdas.len();
        let name = format!("{}::lambda#{}", self.fn_name, idx);
        self.lambdas.push(FuncDef::empty(name.clone(), FuncKind::Lambda, span));
        let b = self.expr(body);
        let b = self.coerce(b, &ret);
        let frame = self.frames.pop().expect("lambda frame");
        let ret_ty = self.out(ret.clone());
        let (cap_ids, cap_vals): (Vec<LocalId>, Vec<Expr>) = frame.captures.into_iter().unzip();
        self.lambdas[idx] = FuncDef {
            name,
            kind: FuncKind::Lambda,
            is_async: false,
            params: pids,
            captures: cap_ids,
            ret: ret_ty,
            locals: frame.locals,
            body: b,
            span,
        };
        let f = self.pend(Pending::Lambda(idx));
        self.mk(ExprKind::Closure { func: f, captures: cap_vals }, T::Fn(pts, Box::new(ret)), span)
    }

    fn unary(&mut self, op: AU, operand: &ast::Expr, span: Span) -> Expr {
        let v = self.expr(operand);
        let t = self.t(&v);
        let st = self.sh(&t);
        let bad = |s: &mut Self, o: &str| {
            let x = s.show(&t);
            s.err(errors::bad_operand(o, &x, operand.span));
        };
        match op {
            AU::Neg => {
                if !is_numeric(&st) {
                    bad(self, "-");
                }
                self.mk(ExprKind::Unary { op: UnaryOp::Neg, operand: Box::new(v) }, t, span)
            }
            AU::Not => {
                let v = self.coerce_ctx(v, &T::Bool, Some("`!` needs a `bool`; use `~` for bitwise complement"));
                self.mk(ExprKind::Unary { op: UnaryOp::Not, operand: Box::new(v) }, T::Bool, span)
            }
            AU::BitNot => {
                if !is_intish(&st) {
                    bad(self, "~");
                }
                self.mk(ExprKind::Unary { op: UnaryOp::BitNot, operand: Box::new(v) }, t, span)
            }
            AU::Ref => self.mk(ExprKind::AddrOf(Box::new(v)), T::Ref(Box::new(t)), span),
            AU::Deref => {
                let inner = match st {
                    T::Ref(x) | T::Ptr(x) => *x,
                    T::Err | T::Param(_) => T::Err,
                    T::Var(_) => {
                        self.err(errors::cannot_infer("the dereferenced value", operand.span));
                        T::Err
                    }
                    _ => {
                        bad(self, "*");
                        T::Err
                    }
                };
                self.mk(ExprKind::Deref(Box::new(v)), inner, span)
            }
        }
    }

    fn binary(&mut self, op: BinaryOp, lhs: &ast::Expr, rhs: &ast::Expr, span: Span, hint: Option<T>) -> Expr {
        use BinaryOp::*;
        // An arithmetic result has its left operand's type: a literal there takes the
        // expected type (`x: f32 = 1.0 / 3.0`).
        if matches!(op, Add | Sub | Mul | Div | Rem | BitAnd | BitOr | BitXor | Shl | Shr) {
            self.hint = hint.filter(|h| matches!(self.inf.resolve(h), T::Int(_) | T::F32));
        }
        let mut l = self.expr(lhs);
        // The right operand takes the left one's type: a literal there is typed by it.
        self.hint = match l.ty {
            Ty::Int(i) if !matches!(op, And | Or) => Some(T::Int(i)),
            Ty::F32 => Some(T::F32),
            _ => None,
        };
        let r = self.expr(rhs);
        self.hint = None;
        // `2.0 * x` on an `f32` `x`: the literal on the left becomes an `f32` too.
        if matches!(l.kind, ExprKind::Float(_)) && r.ty == Ty::F32 && self.is_literal(&l) {
            if let Some(x) = self.coerce_literal(&l, &T::F64, &T::F32) {
                l = x;
            }
        }
        let lt = self.t(&l);
        let slt = self.sh(&lt);
        let (l, r, t) = match op {
            And | Or => {
                let l = self.coerce_ctx(l, &T::Bool, Some("`&&`/`||` need `bool` operands"));
                let r = self.coerce_ctx(r, &T::Bool, Some("`&&`/`||` need `bool` operands"));
                (l, r, T::Bool)
            }
            Add | Sub | Mul | Div | Rem | Lt | Le | Gt | Ge => {
                if !is_numeric(&slt) {
                    let x = self.show(&lt);
                    self.err(errors::bad_operand(op.symbol(), &x, lhs.span));
                    (l, r, if matches!(op, Lt | Le | Gt | Ge) { T::Bool } else { T::Err })
                } else {
                    let r = self.coerce(r, &lt);
                    (l, r, if matches!(op, Lt | Le | Gt | Ge) { T::Bool } else { lt })
                }
            }
            BitAnd | BitOr | BitXor | Shl | Shr => {
                if !is_intish(&slt) {
                    let x = self.show(&lt);
                    self.err(errors::bad_operand(op.symbol(), &x, lhs.span));
                    (l, r, T::Err)
                } else {
                    let r = self.coerce(r, &lt);
                    (l, r, lt)
                }
            }
            Eq | Ne => {
                let r = self.coerce(r, &lt);
                (l, r, T::Bool)
            }
        };
        self.mk(ExprKind::Binary { op, lhs: Box::new(l), rhs: Box::new(r) }, t, span)
    }

    fn assign(&mut self, op: AssignOp, target: &ast::Expr, value: &ast::Expr, span: Span) -> Expr {
        let v = self.expr(value);
        let tg = match &target.kind {
            A::Ident(n) => {
                if let Some((id, t, m, decl)) = self.lookup(n) {
                    let frame = self.frames.last().expect("a function frame");
                    if frame.captures.iter().any(|(c, _)| *c == id) {
                        self.err(errors::captured(n, target.span, decl));
                    } else if !m {
                        self.err(errors::immutable(n, target.span, decl));
                    }
                    self.mk(ExprKind::Local(id), t, target.span)
                } else if let Some(g) = self.cx.globals.get(n).copied() {
                    let gd = &self.cx.prog.globals[g.index()];
                    if !gd.mutable {
                        let decl = gd.span;
                        self.err(errors::immutable(n, target.span, decl));
                    }
                    let t = self.global_t(g);
                    self.mk(ExprKind::Global(g), t, target.span)
                } else {
                    let e = self.ident(n, target.span, None);
                    let t = self.t(&e);
                    if !matches!(self.sh(&t), T::Err) {
                        // A constant, a function or a variant: a value, not a place (the
                        // assignment used to be accepted and did nothing).
                        self.err(errors::bad_target(target.span).with_note(format!("note: `{n}` is not a variable")));
                    }
                    e
                }
            }
            A::Field { .. } | A::Index { .. } | A::Unary { op: AU::Deref, .. } => self.expr(target),
            _ => {
                self.expr(target);
                self.err(errors::bad_target(target.span));
                self.err_expr(target.span)
            }
        };
        if matches!(tg.kind, ExprKind::Slice { .. }) {
            self.err(errors::bad_target(target.span));
        }
        let tt = self.t(&tg);
        let bop = match op {
            AssignOp::Assign => None,
            AssignOp::Add => Some(BinaryOp::Add),
            AssignOp::Sub => Some(BinaryOp::Sub),
            AssignOp::Mul => Some(BinaryOp::Mul),
            AssignOp::Div => Some(BinaryOp::Div),
        };
        if let Some(b) = bop {
            let st = self.sh(&tt);
            if !is_numeric(&st) {
                let x = self.show(&tt);
                self.err(errors::bad_operand(&format!("{}=", b.symbol()), &x, target.span));
            }
        }
        let v = self.coerce(v, &tt);
        let kind = match bop {
            None => ExprKind::Assign { target: Box::new(tg), value: Box::new(v) },
            Some(op) => ExprKind::CompoundAssign { op, target: Box::new(tg), value: Box::new(v) },
        };
        self.mk(kind, T::Unit, span)
    }

    fn field(&mut self, base: &ast::Expr, field: &ast::Ident, span: Span) -> Expr {
        let b = self.expr(base);
        let (b, st) = self.auto_deref(b);
        match self.sh(&st) {
            T::Range(elem) => self.range_field(b, *elem, field, span),
            T::Struct(n, args) => {
                let Some(sd) = self.cx.env.structs.get(&n).cloned() else { return self.err_expr(span) };
                let Some(idx) = sd.field_index(&field.name) else {
                    let c: Vec<&str> = sd.fields.iter().map(|(n, _)| n.as_str()).collect();
                    let shown = self.show(&st);
                    self.err(errors::unknown_field(&shown, &field.name, field.span, c));
                    return self.err_expr(span);
                };
                let sub: Vec<(String, T)> = sd.generics.iter().cloned().zip(args.iter().cloned()).collect();
                let mut d = vec![];
                let ft = self.cx.env.resolve(&sd.fields[idx].1, &sub, Some(&st), &mut d);
                self.mk(ExprKind::Field { base: Box::new(b), index: idx as u32 }, ft, span)
            }
            T::Err => self.err_expr(span),
            T::Var(_) => {
                self.err(errors::cannot_infer("the value whose field is read", base.span));
                self.err_expr(span)
            }
            other => {
                let x = self.show(&other);
                self.err(errors::unknown_field(&x, &field.name, field.span, []));
                self.err_expr(span)
            }
        }
    }

    /// Field access and method calls see through one level of `&`.
    pub fn auto_deref(&mut self, b: Expr) -> (Expr, T) {
        let t = self.t(&b);
        if let T::Ref(inner) = self.sh(&t) {
            let span = b.span;
            let inner = *inner;
            (self.mk(ExprKind::Deref(Box::new(b)), inner.clone(), span), inner)
        } else {
            (b, t)
        }
    }

    fn index(&mut self, base: &ast::Expr, index: &ast::Expr, span: Span) -> Expr {
        let b = self.expr(base);
        let bt = self.t(&b);
        let sbt = self.sh(&bt);
        if let A::Range { start, end, inclusive } = &index.kind {
            let elem = match &sbt {
                T::Ptr(x) | T::Array(x) => (**x).clone(),
                T::Err | T::Param(_) => T::Err,
                _ => {
                    let x = self.show(&bt);
                    self.err(errors::invalid(format!("cannot slice a value of type `{}`", x), base.span));
                    T::Err
                }
            };
            let s = start.as_ref().map(|s| {
                let x = self.expr(s);
                Box::new(self.coerce(x, &ty::I64))
            });
            let Some(en) = end else {
                self.err(errors::invalid("a slice needs an end index (`p[a..b]`)", index.span));
                return self.err_expr(span);
            };
            let en = self.expr(en);
            let en = self.coerce(en, &ty::I64);
            return self.mk(
                ExprKind::Slice { base: Box::new(b), start: s, end: Box::new(en), inclusive: *inclusive },
                T::Ptr(Box::new(elem)),
                span,
            );
        }
        let i = self.expr(index);
        let (i, t) = match sbt {
            T::Ptr(x) | T::Array(x) => {
                let it = self.t(&i);
                if !is_intish(&self.sh(&it)) {
                    let x = self.show(&it);
                    self.err(errors::mismatch("i64", &x, index.span));
                }
                (self.coerce(i, &ty::I64), *x)
            }
            T::Map(k, v) => (self.coerce(i, &k), *v),
            T::Err | T::Param(_) => (i, T::Err),
            T::Var(_) => {
                self.err(errors::cannot_infer("the indexed value", base.span));
                (i, T::Err)
            }
            _ => {
                let x = self.show(&bt);
                self.err(errors::invalid(format!("cannot index a value of type `{}`", x), base.span));
                (i, T::Err)
            }
        };
        self.mk(ExprKind::Index { base: Box::new(b), index: Box::new(i) }, t, span)
    }
}
