//! The per-function checker (`Fc`): frames of locals and scopes, placeholders for types that
//! are not known yet, coercion (with explicit integer `Cast`s), and finishing a body into a
//! concrete `FuncDef` (or, for the one-off check of a generic body, only reporting errors).

use crate::fx::FxHashMap as HashMap;

use vais_ast::ast::{self, Param};
use vais_ast::{Diagnostic, Span};
use vais_tir::*;

use crate::errors;
use crate::lower::{Ctx, Pending, Zonker, PH};
use crate::ty::{self, Infer, T};

pub struct Frame {
    pub locals: Vec<LocalDef>,
    pub local_t: Vec<T>,
    pub scopes: Vec<Vec<(String, LocalId)>>,
    pub ret: T,
    pub loops: u32,
    pub is_lambda: bool,
    /// (local inside the lambda, value read in the enclosing frame)
    pub captures: Vec<(LocalId, Expr)>,
    pub captured: HashMap<String, LocalId>,
}

impl Frame {
    pub fn new(ret: T, is_lambda: bool) -> Frame {
        Frame {
            locals: Vec::with_capacity(8),
            local_t: Vec::with_capacity(8),
            scopes: vec![Vec::with_capacity(4)],
            ret,
            loops: 0,
            is_lambda,
            captures: vec![],
            captured: HashMap::default(),
        }
    }
}

pub struct Fc<'c> {
    pub cx: &'c mut Ctx,
    pub inf: Infer,
    pub ph: Vec<T>,
    pub pending: Vec<Pending>,
    pub frames: Vec<Frame>,
    pub lambdas: Vec<FuncDef>,
    /// Checking a generic body once with opaque parameters: output is discarded.
    pub generic: bool,
    pub subst: Vec<(String, T)>,
    pub self_ty: Option<T>,
    /// For `@(...)` in a free function: the current declaration and its type arguments.
    pub self_fn: Option<(usize, Vec<T>)>,
    /// Inside a method with a receiver, `@` is `self`.
    pub at_is_self: bool,
    pub fn_name: String,
    /// REPL entry: globals created by this input (not yet typed in the program).
    pub pending_globals: Vec<(GlobalId, T)>,
    /// The type the next expression is expected to have (taken by `expr` on entry; used to
    /// pick generic arguments of struct literals, variants and array literals).
    pub hint: Option<T>,
    /// Expression nesting depth of `expr` (E026 past `vais_ast::stack::MAX_EXPR_DEPTH`).
    pub depth: u32,
    /// `vais_ast::stack::max_expr_depth()`, read once.
    pub max_depth: u32,
    /// E026 was reported in this function.
    pub too_deep: bool,
    /// Trait bounds of the generic parameters in scope (`<T: Shape>`), by parameter name.
    pub bounds: Vec<(String, Vec<String>)>,
    /// Spans of the nodes that are folded constants (`cast.rs`): every other integer or float
    /// node is a literal, which takes its context's type, while a constant converts like any
    /// other value. (Constants are the rarer ones, so the common case hashes nothing.)
    pub const_nodes: crate::fx::FxHashSet<Span>,
}

impl<'c> Fc<'c> {
    pub fn new(cx: &'c mut Ctx, generic: bool, fn_name: String) -> Fc<'c> {
        Fc {
            cx,
            inf: Infer::default(),
            ph: vec![],
            pending: vec![],
            frames: vec![],
            lambdas: vec![],
            generic,
            subst: vec![],
            self_ty: None,
            self_fn: None,
            at_is_self: false,
            fn_name,
            pending_globals: vec![],
            hint: None,
            depth: 0,
            max_depth: vais_ast::stack::max_expr_depth(),
            too_deep: false,
            bounds: vec![],
            const_nodes: Default::default(),
        }
    }

    /// The type of a session variable.
    pub fn global_t(&self, g: GlobalId) -> T {
        if let Some((_, t)) = self.pending_globals.iter().find(|(id, _)| *id == g) {
            return t.clone();
        }
        self.cx.t_of(&self.cx.prog.globals[g.index()].ty)
    }

    pub fn err(&mut self, d: Diagnostic) {
        self.cx.report(d);
    }

    /// A placeholder TIR type standing for `t`.
    pub fn out(&mut self, t: T) -> Ty {
        // Concrete scalars need no placeholder: they lower to themselves.
        match t {
            T::Int(i) => return Ty::Int(i),
            T::Bool => return Ty::Bool,
            T::Unit => return Ty::Unit,
            T::Never => return Ty::Never,
            T::F64 => return Ty::F64,
            T::F32 => return Ty::F32,
            T::Str => return Ty::Str,
            _ => {}
        }
        self.ph.push(t);
        Ty::Struct(StructId(PH + self.ph.len() as u32 - 1))
    }

    pub fn mk(&mut self, kind: ExprKind, t: T, span: Span) -> Expr {
        let ty = self.out(t);
        Expr::new(kind, ty, span)
    }

    /// The internal type of an expression built by this checker.
    pub fn t(&self, e: &Expr) -> T {
        self.tt(&e.ty)
    }

    pub fn tt(&self, ty: &Ty) -> T {
        match ty {
            Ty::Struct(StructId(k)) if *k >= PH => self.ph[(*k - PH) as usize].clone(),
            Ty::Int(i) => T::Int(*i),
            Ty::Bool => T::Bool,
            Ty::Unit => T::Unit,
            Ty::Never => T::Never,
            other => self.cx.t_of(other),
        }
    }

    pub fn show(&self, t: &T) -> String {
        ty::show(&self.inf.zonk(t))
    }

    pub fn sh(&self, t: &T) -> T {
        self.inf.shallow(t)
    }

    pub fn pend(&mut self, p: Pending) -> FuncId {
        self.pending.push(p);
        FuncId(PH + self.pending.len() as u32 - 1)
    }

    pub fn resolve(&mut self, t: &ast::Type) -> T {
        let mut d = vec![];
        let r = self.cx.env.resolve(t, &self.subst, self.self_ty.as_ref(), &mut d);
        for x in d {
            self.err(x);
        }
        r
    }

    pub fn frame(&mut self) -> &mut Frame {
        self.frames.last_mut().expect("frame")
    }

    pub fn push_scope(&mut self) {
        self.frame().scopes.push(vec![]);
    }

    pub fn pop_scope(&mut self) {
        self.frame().scopes.pop();
    }

    pub fn new_local(&mut self, name: &str, t: T, mutable: bool, span: Span) -> LocalId {
        let ty = self.out(t.clone());
        let f = self.frame();
        let id = LocalId(f.locals.len() as u32);
        f.locals.push(LocalDef { name: name.to_string(), ty, mutable, span });
        f.local_t.push(t);
        f.scopes.last_mut().expect("scope").push((name.to_string(), id));
        id
    }

    /// Find a local by name in frame `fi`, capturing through lambda frames.
    pub fn lookup_in(&mut self, fi: usize, name: &str) -> Option<LocalId> {
        let f = &self.frames[fi];
        for s in f.scopes.iter().rev() {
            if let Some((_, id)) = s.iter().rev().find(|(n, _)| n == name) {
                return Some(*id);
            }
        }
        if let Some(id) = f.captured.get(name) {
            return Some(*id);
        }
        if !f.is_lambda || fi == 0 {
            return None;
        }
        let (outer_e, t, span) = match self.lookup_in(fi - 1, name) {
            Some(outer) => {
                let t = self.frames[fi - 1].local_t[outer.index()].clone();
                let span = self.frames[fi - 1].locals[outer.index()].span;
                (self.mk(ExprKind::Local(outer), t.clone(), span), t, span)
            }
            // A REPL session variable seen from a lambda of the enclosing function: captured
            // by value when the lambda is created, like a local (LANGUAGE.md 5.8), so a
            // closure means the same in a session as in a file.
            None if !self.frames[fi - 1].is_lambda => {
                let g = self.cx.globals.get(name).copied()?;
                let t = self.global_t(g);
                let span = self.cx.prog.globals[g.index()].span;
                (self.mk(ExprKind::Global(g), t.clone(), span), t, span)
            }
            None => return None,
        };
        let ty = self.out(t.clone());
        let f = &mut self.frames[fi];
        let id = LocalId(f.locals.len() as u32);
        f.locals.push(LocalDef { name: name.to_string(), ty, mutable: false, span });
        f.local_t.push(t);
        f.captured.insert(name.to_string(), id);
        f.captures.push((id, outer_e));
        Some(id)
    }

    pub fn lookup(&mut self, name: &str) -> Option<(LocalId, T, bool, Span)> {
        let fi = self.frames.len() - 1;
        let id = self.lookup_in(fi, name)?;
        let f = &self.frames[fi];
        let d = &f.locals[id.index()];
        Some((id, f.local_t[id.index()].clone(), d.mutable, d.span))
    }

    pub fn local_names(&self) -> Vec<String> {
        let mut v = vec![];
        for f in &self.frames {
            for s in &f.scopes {
                v.extend(s.iter().map(|(n, _)| n.clone()));
            }
        }
        v
    }

    /// Make `e` fit `want` (§4.6), inserting an integer `Cast` where the types may differ.
    /// Check `e` expecting type `want` and coerce it.
    pub fn expr_to(&mut self, e: &ast::Expr, want: &T) -> Expr {
        self.hint = Some(want.clone());
        let x = self.expr(e);
        self.hint = None;
        self.coerce(x, want)
    }

    pub fn coerce(&mut self, e: Expr, want: &T) -> Expr {
        self.coerce_ctx(e, want, None)
    }

    pub fn coerce_ctx(&mut self, e: Expr, want: &T, ctx: Option<&str>) -> Expr {
        // A literal going into another numeric type is retyped, not converted (`cast.rs`);
        // decided on the types first, so the common case looks nothing up.
        let retype = match (&e.kind, &e.ty, self.inf.resolve(want)) {
            (ExprKind::Int(_), Ty::Int(h), T::Int(w)) if h != w => Some(T::Int(*h)),
            (ExprKind::Float(_), Ty::F64, T::F32) => Some(T::F64),
            _ => None,
        };
        if let Some(have) = retype.filter(|_| self.is_literal(&e)) {
            if let Some(x) = self.coerce_literal(&e, &have, want) {
                return x;
            }
        }
        // A block, `I`/`E` or `M` whose value goes into another numeric type: each value
        // position is converted on its own, so that a literal there takes the context's type
        // (and an out-of-range one is E028) exactly as it would directly, instead of the whole
        // value being converted (which truncated `x: u8 = { 300 }` to 44 silently).
        let numeric = match (&e.ty, self.inf.resolve(want)) {
            (Ty::Int(h), T::Int(w)) => h != w,
            (Ty::F64, T::F32) => true,
            _ => false,
        };
        if numeric && matches!(e.kind, ExprKind::Block(Block { value: Some(_), .. }) | ExprKind::If { else_expr: Some(_), .. } | ExprKind::Match { .. }) {
            return self.coerce_branches(e, want, ctx);
        }
        let owned;
        let have: &T = match &e.ty {
            Ty::Struct(StructId(k)) if *k >= PH => &self.ph[(*k - PH) as usize],
            other => {
                owned = self.cx.t_of(other);
                &owned
            }
        };
        if !self.inf.unify(have, want) {
            let (w, h) = (self.show(want), self.show(have));
            let d = match ctx {
                Some(c) => errors::mismatch_ctx(&w, &h, e.span, c),
                None => errors::mismatch(&w, &h, e.span),
            };
            // A block that ends in a call whose value nobody wants (`printf(...)` as the last
            // line of a `-> ()` function): the value is the block's value.
            let d = if w == "()" && matches!(e.kind, ExprKind::Call { .. }) {
                d.with_note(format!(
                    "help: the last expression is the block's value, and this call returns `{}`; end it with `;` and add a line `()`, or declare the result type",
                    h
                ))
            } else {
                d
            };
            self.err(d);
            return e;
        }
        let h = self.inf.resolve(have);
        let w = self.inf.resolve(want);
        let intish = |t: &T| matches!(t, T::Int(_) | T::Var(_));
        if intish(h) && intish(w) && h != w {
            let span = e.span;
            return self.mk(ExprKind::Cast(Box::new(e)), want.clone(), span);
        }
        e
    }

    /// `coerce_ctx` of a block, `I`/`E` or `M`: its value positions (the block's value, both
    /// branches, every arm) are coerced to `want` one by one (a diverging one stays as it is),
    /// and the node gets type `want`.
    fn coerce_branches(&mut self, e: Expr, want: &T, ctx: Option<&str>) -> Expr {
        let span = e.span;
        let each = |this: &mut Self, x: Expr| if x.ty == Ty::Never { x } else { this.coerce_ctx(x, want, ctx) };
        let kind = match e.into_kind() {
            ExprKind::Block(mut b) => {
                b.value = b.value.map(|v| Box::new(each(self, *v)));
                ExprKind::Block(b)
            }
            ExprKind::If { cond, then_expr, else_expr } => {
                let then_expr = Box::new(each(self, *then_expr));
                let else_expr = else_expr.map(|x| Box::new(each(self, *x)));
                ExprKind::If { cond, then_expr, else_expr }
            }
            ExprKind::Match { scrutinee, arms } => {
                let arms = arms.into_iter().map(|a| Arm { body: each(self, a.body), ..a }).collect();
                ExprKind::Match { scrutinee, arms }
            }
            other => other,
        };
        self.mk(kind, want.clone(), span)
    }

    /// Set up frame 0 for a declared function and return (params, ret).
    pub fn setup_params(&mut self, f: &ast::Function, ret: T) -> Vec<LocalId> {
        self.frames.push(Frame::new(ret, false));
        let mut params = vec![];
        for p in &f.params {
            match p {
                Param::SelfRef { span, .. } => {
                    let st = self.self_ty.clone().unwrap_or(T::Err);
                    if self.self_ty.is_none() {
                        self.err(errors::invalid("`self` parameter outside of a method", *span));
                    }
                    params.push(self.new_local("self", T::Ref(Box::new(st)), false, *span));
                }
                Param::Named { name, ty, mutable, span } => {
                    let t = self.resolve(ty);
                    params.push(self.new_local(&name.name, t, *mutable, *span));
                }
            }
        }
        params
    }

    /// Finish: zonk everything and produce the function plus its lambdas (registered in the
    /// program). Returns None in generic-check mode.
    pub fn finish(self, mut f: FuncDef) -> Option<FuncDef> {
        if self.generic {
            return None;
        }
        let Fc { cx, inf, ph, pending, lambdas, .. } = self;
        let mut lambda_ids = vec![];
        for l in &lambdas {
            lambda_ids.push(cx.push_func(l.clone()));
        }
        let mut z = Zonker::new(cx, &inf, &ph, &pending, &lambda_ids);
        for (l, id) in lambdas.into_iter().zip(lambda_ids.clone()) {
            let mut l = l;
            z.func(&mut l);
            z.cx.set_func(id, l);
        }
        z.func(&mut f);
        Some(f)
    }
}
