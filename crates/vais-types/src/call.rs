//! Calls: declared functions (with generic instantiation), `@` recursion, built-ins, externs,
//! tuple-variant constructors, function values, method and static calls (§5.5, §7.9).

use vais_ast::ast::{self, ExprKind as A};
use vais_ast::Span;
use vais_tir::*;

use crate::check::Fc;
use crate::errors;
use crate::lower::Pending;
use crate::ty::T;

impl<'c> Fc<'c> {
    pub fn call(&mut self, callee: &ast::Expr, args: &[ast::Expr], span: Span, hint: Option<T>) -> Expr {
        match &callee.kind {
            A::Ident(n) if self.lookup(n).is_none() && !self.cx.globals.contains_key(n) => {
                if let Some(decl) = self.cx.env.free_fns.get(n).copied() {
                    return self.call_decl(decl, None, None, args, span, callee.span);
                }
                if let Some(b) = Builtin::from_name(n) {
                    return self.call_builtin(b, args, span);
                }
                if let Some(x) = self.cx.env.externs.get(n).copied() {
                    return self.call_extern(x, args, span);
                }
                if let Some((en, idx)) = self.cx.env.variants.get(n).cloned() {
                    return self.construct(&en, idx, args, span, callee.span, hint);
                }
                if self.cx.env.consts.contains_key(n) {
                    let c = self.expr(callee);
                    return self.call_value(c, args, span);
                }
                for a in args {
                    self.expr(a);
                }
                let mut cands: Vec<String> = self.cx.env.free_fns.keys().cloned().collect();
                cands.extend(Builtin::ALL.iter().map(|b| b.name().to_string()));
                cands.extend(self.cx.env.variants.keys().cloned());
                cands.extend(self.local_names());
                self.err(errors::undefined_fn(n, callee.span, cands.iter().map(|s| s.as_str())));
                self.err_expr(span)
            }
            A::At if !self.at_is_self => match self.self_fn.clone() {
                Some((decl, targs)) => self.call_decl(decl, Some(targs), None, args, span, callee.span),
                None => {
                    for a in args {
                        self.expr(a);
                    }
                    self.err(errors::undefined_fn("@", callee.span, []).with_note("note: in a static method, call it by name: `Type.m(...)`"));
                    self.err_expr(span)
                }
            },
            _ => {
                let c = self.expr(callee);
                self.call_value(c, args, span)
            }
        }
    }

    fn call_value(&mut self, c: Expr, args: &[ast::Expr], span: Span) -> Expr {
        let ct = self.t(&c);
        let (ps, r) = match self.sh(&ct) {
            T::Fn(ps, r) => (ps, *r),
            T::Err => {
                for a in args {
                    self.expr(a);
                }
                return self.err_expr(span);
            }
            T::Var(_) => {
                let ps: Vec<T> = args.iter().map(|_| self.inf.fresh()).collect();
                let r = self.inf.fresh();
                self.inf.unify(&ct, &T::Fn(ps.clone(), Box::new(r.clone())));
                (ps, r)
            }
            other => {
                for a in args {
                    self.expr(a);
                }
                let x = self.show(&other);
                self.err(errors::not_callable(&x, c.span));
                return self.err_expr(span);
            }
        };
        let xs = self.args_against(&ps, args, "function value", span);
        self.mk(ExprKind::Call { callee: Callee::Value(Box::new(c)), args: xs }, r, span)
    }

    /// Check `args` against parameter types (arity error E006 when they differ).
    pub fn args_against(&mut self, ps: &[T], args: &[ast::Expr], name: &str, span: Span) -> Vec<Expr> {
        if ps.len() != args.len() {
            self.err(errors::arg_count(name, ps.len(), args.len(), span));
        }
        let mut xs = vec![];
        for (i, a) in args.iter().enumerate() {
            xs.push(match ps.get(i) {
                Some(p) => self.expr_to(a, p),
                None => self.expr(a),
            });
        }
        xs
    }

    /// Call a declared function or method. `owner_args` fixes the owner's generic arguments
    /// (method calls); `recv` is the already-addressed receiver.
    pub fn call_decl(
        &mut self,
        decl: usize,
        targs: Option<Vec<T>>,
        recv: Option<(Expr, Vec<T>)>,
        args: &[ast::Expr],
        span: Span,
        name_span: Span,
    ) -> Expr {
        let d = self.cx.env.fns[decl].clone();
        if let Some(b) = &d.broken {
            self.err(errors::invalid(
                format!("`{}` cannot be called: it no longer type-checks (it uses `{}`, which was redefined)", d.name, b),
                name_span,
            ));
        }
        let targs = match (targs, &recv) {
            (Some(t), _) => t,
            (None, Some((_, owner))) => {
                let mut t = owner.clone();
                t.extend(d.ast.generics.iter().map(|_| self.inf.fresh()));
                t
            }
            (None, None) => d.all_generics().iter().map(|_| self.inf.fresh()).collect(),
        };
        let (ps, r) = self.signature(decl, &targs);
        let mut xs = vec![];
        if let Some((rv, _)) = recv {
            xs.push(rv);
        }
        xs.extend(self.args_against(&ps, args, &d.name, span));
        if d.ast.generics.iter().any(|g| !g.bounds.is_empty()) || d.owner_bounds.iter().any(|b| !b.is_empty()) {
            let z: Vec<T> = targs.iter().map(|t| self.inf.zonk(t)).collect();
            if let Some((p, tr, t)) = self.cx.unmet_bound(decl, &z, &self.bounds) {
                let shown = crate::ty::show(&t);
                self.err(errors::bound_not_met(&shown, &tr, &p, &d.name, span));
            }
        }
        let f = self.pend(Pending::Inst(decl, targs));
        if d.ast.is_async {
            self.mk(ExprKind::MakeFuture { func: f, args: xs }, T::Future(Box::new(r)), span)
        } else {
            self.mk(ExprKind::Call { callee: Callee::Func(f), args: xs }, r, span)
        }
    }

    fn call_builtin(&mut self, b: Builtin, args: &[ast::Expr], span: Span) -> Expr {
        let (ps, r) = b.signature();
        let ps: Vec<T> = ps.iter().map(|t| self.cx.t_of(t)).collect();
        let r = self.cx.t_of(&r);
        let xs = if b == Builtin::Printf {
            if args.is_empty() {
                self.err(errors::arg_count("printf", 1, 0, span));
            }
            let mut xs = vec![];
            for (i, a) in args.iter().enumerate() {
                let x = self.expr(a);
                if i == 0 {
                    xs.push(self.coerce(x, &T::Str));
                } else {
                    let t = self.t(&x);
                    let st = self.sh(&t);
                    if !matches!(st, T::Int(_) | T::F32 | T::F64 | T::Bool | T::Str | T::Ptr(_) | T::Ref(_) | T::Err | T::Param(_) | T::Var(_)) {
                        let s = self.show(&t);
                        self.err(errors::invalid(format!("`printf` cannot format a value of type `{}`", s), a.span));
                    }
                    xs.push(x);
                }
            }
            xs
        } else {
            self.args_against(&ps, args, b.name(), span)
        };
        self.mk(ExprKind::Call { callee: Callee::Builtin(b), args: xs }, r, span)
    }

    fn call_extern(&mut self, x: ExternId, args: &[ast::Expr], span: Span) -> Expr {
        let ed = self.cx.prog.externs[x.index()].clone();
        let ps: Vec<T> = ed.params.iter().map(|t| self.cx.t_of(t)).collect();
        let r = self.cx.t_of(&ed.ret);
        if !ed.variadic {
            let xs = self.args_against(&ps, args, &ed.name, span);
            return self.mk(ExprKind::Call { callee: Callee::Extern(x), args: xs }, r, span);
        }
        if args.len() < ps.len() {
            self.err(errors::arg_count(&ed.name, ps.len(), args.len(), span));
        }
        let mut xs = vec![];
        for (i, a) in args.iter().enumerate() {
            let e = self.expr(a);
            if let Some(p) = ps.get(i) {
                xs.push(self.coerce(e, p));
                continue;
            }
            let t = self.t(&e);
            match self.sh(&t) {
                T::F32 | T::F64 => self.err(
                    errors::invalid(format!("cannot pass a float to the variadic extern `{}`", ed.name), a.span)
                        .with_note("help: format floats with `printf` or print them with `print_f64`"),
                ),
                T::Int(_) | T::Str | T::Ptr(_) | T::Ref(_) | T::Bool | T::Err | T::Var(_) | T::Param(_) => {}
                other => {
                    let s = self.show(&other);
                    self.err(errors::invalid(format!("cannot pass `{}` to a variadic extern", s), a.span));
                }
            }
            xs.push(e);
        }
        self.mk(ExprKind::Call { callee: Callee::Extern(x), args: xs }, r, span)
    }

    fn construct(&mut self, en: &str, idx: usize, args: &[ast::Expr], span: Span, name_span: Span, hint: Option<T>) -> Expr {
        let Some(ed) = self.cx.env.enums.get(en).cloned().filter(|e| idx < e.variants.len()) else {
            return self.err_expr(span);
        };
        let targs: Vec<T> = match hint.map(|h| self.sh(&h)) {
            Some(T::Enum(n, a)) if n == en && a.len() == ed.generics.len() => a,
            _ => ed.generics.iter().map(|_| self.inf.fresh()).collect(),
        };
        let sub: Vec<(String, T)> = ed.generics.iter().cloned().zip(targs.iter().cloned()).collect();
        let (vname, kind) = &ed.variants[idx];
        let tys = match kind {
            ast::VariantKind::Tuple(ts) => ts.clone(),
            ast::VariantKind::Unit => {
                for a in args {
                    self.expr(a);
                }
                self.err(errors::not_callable(&format!("unit variant {}", vname), name_span));
                return self.err_expr(span);
            }
            ast::VariantKind::Struct(_) => {
                for a in args {
                    self.expr(a);
                }
                self.err(errors::invalid(format!("struct-like variant `{}` cannot be constructed", vname), name_span));
                return self.err_expr(span);
            }
        };
        let mut d = vec![];
        let ps: Vec<T> = tys.iter().map(|t| self.cx.env.resolve(t, &sub, None, &mut d)).collect();
        let xs = self.args_against(&ps, args, vname, span);
        self.check_type_bounds(&T::Enum(en.to_string(), targs.clone()), span);
        self.variant_expr(en, targs, idx, xs, span)
    }

    pub fn method_call(&mut self, receiver: &ast::Expr, method: &ast::Ident, args: &[ast::Expr], span: Span) -> Expr {
        let rv = self.expr(receiver);
        let rt = self.t(&rv);
        // A built-in type with methods (`X i64: Hash { .. }`) is looked up by its name.
        let prim_owner = |cx: &crate::lower::Ctx, t: &T| match t {
            T::Int(_) | T::F32 | T::F64 | T::Bool | T::Str => {
                let n = crate::ty::show(t);
                cx.env.type_methods(&n).is_some_and(|m| m.contains_key(&method.name)).then_some(n)
            }
            _ => None,
        };
        let (sname, sargs, is_ref) = match self.sh(&rt) {
            T::Struct(n, a) | T::Enum(n, a) => (n, a, false),
            t if prim_owner(self.cx, &t).is_some() => (prim_owner(self.cx, &t).unwrap_or_default(), vec![], false),
            T::Ref(inner) => match self.sh(&inner) {
                T::Struct(n, a) | T::Enum(n, a) => (n, a, true),
                t if prim_owner(self.cx, &t).is_some() => (prim_owner(self.cx, &t).unwrap_or_default(), vec![], true),
                T::Range(x) => return self.range_method(rv, *x, method, args, span),
                T::Param(p) => return self.bounded_method(Some(rv), &p, method, args, span),
                other => return self.no_method(&other, method, args, span),
            },
            T::Range(x) => return self.range_method(rv, *x, method, args, span),
            T::Param(p) => return self.bounded_method(Some(rv), &p, method, args, span),
            other => return self.no_method(&other, method, args, span),
        };
        let Some(decl) = self.cx.env.type_methods(&sname).and_then(|m| m.get(&method.name)).copied() else {
            let st = self.sh(&rt);
            return self.no_method(&st, method, args, span);
        };
        if !self.cx.env.fns[decl].instance {
            self.err(errors::invalid(
                format!("`{}` is a static method; call it as `{}.{}(...)`", method.name, sname, method.name),
                method.span,
            ));
        }
        let recv = if is_ref {
            rv
        } else {
            let s = rv.span;
            let t = T::Ref(Box::new(self.cx.env.owner_t(&sname, sargs.clone())));
            self.mk(ExprKind::AddrOf(Box::new(rv)), t, s)
        };
        self.call_decl(decl, None, Some((recv, sargs)), args, span, method.span)
    }

    /// A struct literal or variant of a generic type whose parameters have trait bounds
    /// (`S Map<K: Hash, V>`): each argument known here must implement them (E036).
    pub fn check_type_bounds(&mut self, t: &T, span: Span) {
        let (T::Struct(n, args) | T::Enum(n, args)) = self.inf.zonk(t) else { return };
        let bounds = self.cx.env.type_bounds(&n);
        if bounds.iter().all(|b| b.is_empty()) {
            return;
        }
        let names = self.cx.env.type_generics(&n).map(|g| g.to_vec()).unwrap_or_default();
        for ((p, bs), a) in names.iter().zip(&bounds).zip(&args) {
            for b in bs {
                if !self.cx.env.traits.contains_key(b) {
                    continue;
                }
                let ok = match a {
                    T::Struct(m, _) | T::Enum(m, _) => self.cx.env.type_traits(m).contains(b),
                    T::Param(q) => self.bounds.iter().any(|(x, xs)| x == q && xs.iter().any(|y| self.cx.env.trait_closure(y).contains(b))),
                    T::Var(_) | T::Err | T::Never => true,
                    _ => false,
                };
                if !ok {
                    let shown = crate::ty::show(a);
                    self.err(errors::bound_not_met(&shown, b, p, &n, span));
                    return;
                }
            }
        }
    }

    /// `x.m(..)` on a value of generic parameter `p`'s type, in the one-off check of a generic
    /// body: `m` must be declared by one of `p`'s trait bounds (E035). Each instance checks the
    /// call again with the concrete type, which calls that type's impl (static dispatch).
    /// `T.m(..)` (`rv` is `None`) calls a static method of a bound the same way.
    fn bounded_method(&mut self, rv: Option<Expr>, p: &str, method: &ast::Ident, args: &[ast::Expr], span: Span) -> Expr {
        let instance_call = rv.is_some();
        drop(rv);
        let bounds = self.bounds.iter().find(|(n, _)| n == p).map(|(_, b)| b.clone()).unwrap_or_default();
        let mut all: Vec<String> = vec![];
        for b in &bounds {
            for t in self.cx.env.trait_closure(b) {
                if !all.contains(&t) {
                    all.push(t);
                }
            }
        }
        for b in &all {
            let Some(m) = self.cx.env.traits.get(b).and_then(|td| td.methods.iter().find(|m| m.name.name == method.name)).cloned() else {
                continue;
            };
            let st = T::Param(p.to_string());
            let g: Vec<(String, T)> = m.generics.iter().map(|q| (q.name.name.clone(), T::Param(q.name.name.clone()))).collect();
            let mut d = vec![];
            let ps: Vec<T> = m
                .params
                .iter()
                .filter_map(|q| if let ast::Param::Named { ty, .. } = q { Some(self.cx.env.resolve(ty, &g, Some(&st), &mut d)) } else { None })
                .collect();
            let r = m.ret.as_ref().map(|t| self.cx.env.resolve(t, &g, Some(&st), &mut d)).unwrap_or(T::Unit);
            let is_instance = matches!(m.params.first(), Some(ast::Param::SelfRef { .. }));
            if is_instance && !instance_call {
                self.err(errors::invalid(
                    format!("`{}` is an instance method; call it on a value: `x.{}(...)`", method.name, method.name),
                    method.span,
                ));
            } else if !is_instance && instance_call {
                self.err(errors::invalid(format!("`{}` is a static method; call it as `{}.{}(...)`", method.name, p, method.name), method.span));
            }
            self.args_against(&ps, args, &method.name, span);
            return self.mk(ExprKind::Unit, r, span);
        }
        for a in args {
            self.expr(a);
        }
        self.err(errors::not_in_bounds(p, &method.name, &bounds, method.span));
        self.err_expr(span)
    }

    fn no_method(&mut self, t: &T, method: &ast::Ident, args: &[ast::Expr], span: Span) -> Expr {
        for a in args {
            self.expr(a);
        }
        match t {
            T::Err => {}
            T::Var(_) => self.err(errors::cannot_infer("the receiver of this method call", span)),
            _ => {
                let cands: Vec<String> = match t {
                    T::Struct(n, _) | T::Enum(n, _) => self.cx.env.type_methods(n).map(|s| s.keys().cloned().collect()).unwrap_or_default(),
                    _ => vec![],
                };
                let x = self.show(t);
                self.err(errors::undefined_method(&x, &method.name, method.span, cands.iter().map(|s| s.as_str())));
            }
        }
        self.err_expr(span)
    }

    pub fn static_call(&mut self, type_name: &ast::Ident, method: &ast::Ident, args: &[ast::Expr], span: Span) -> Expr {
        let mut tn = type_name.name.clone();
        if tn == "Self" {
            if let Some(T::Struct(n, _) | T::Enum(n, _)) = &self.self_ty {
                tn = n.clone();
            }
        }
        // `T.m(..)` on a generic parameter: through its bounds in the one-off check of the
        // generic body, the concrete type's static method in each instance.
        let mut param_args: Option<Vec<T>> = None;
        if let Some((_, t)) = self.subst.iter().find(|(n, _)| *n == tn).cloned() {
            match self.sh(&t) {
                T::Param(p) => return self.bounded_method(None, &p, method, args, span),
                T::Struct(n, a) | T::Enum(n, a) => {
                    tn = n;
                    param_args = Some(a);
                }
                other => {
                    for a in args {
                        self.expr(a);
                    }
                    let x = self.show(&other);
                    self.err(errors::undefined_method(&x, &method.name, method.span, []));
                    return self.err_expr(span);
                }
            }
        }
        let (Some(generics), Some(methods)) = (self.cx.env.type_generics(&tn).map(|g| g.to_vec()), self.cx.env.type_methods(&tn).cloned()) else {
            for a in args {
                self.expr(a);
            }
            let c: Vec<String> = self.cx.env.structs.keys().chain(self.cx.env.enums.keys()).cloned().collect();
            self.err(errors::undefined_type(&tn, type_name.span, c.iter().map(|s| s.as_str())));
            return self.err_expr(span);
        };
        let Some(decl) = methods.get(&method.name).copied() else {
            for a in args {
                self.expr(a);
            }
            self.err(errors::undefined_method(&tn, &method.name, method.span, methods.keys().map(|s| s.as_str())));
            return self.err_expr(span);
        };
        let d = self.cx.env.fns[decl].clone();
        if d.instance {
            self.err(errors::invalid(
                format!("`{}` is an instance method; call it on a value: `x.{}(...)`", method.name, method.name),
                method.span,
            ));
        }
        let same = matches!(&self.self_ty, Some(T::Struct(n, _) | T::Enum(n, _)) if *n == tn);
        let mut targs: Vec<T> = if let Some(a) = param_args {
            a
        } else if same {
            match &self.self_ty {
                Some(T::Struct(_, a) | T::Enum(_, a)) if type_name.name == "Self" => a.clone(),
                _ => generics.iter().map(|_| self.inf.fresh()).collect(),
            }
        } else {
            generics.iter().map(|_| self.inf.fresh()).collect()
        };
        targs.extend(d.ast.generics.iter().map(|_| self.inf.fresh()));
        self.call_decl(decl, Some(targs), None, args, span, method.span)
    }
}
