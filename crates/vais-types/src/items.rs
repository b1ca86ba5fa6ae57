//! Items: pass 1 registration (§1.4, §7), constant folding (Project decision 5), and checking
//! function bodies (generic ones once with opaque parameters, then every queued instance).

use vais_ast::ast::{self, ExprKind as A, Function, ItemKind, Param};
use vais_tir::*;
use std::collections::{HashMap, HashSet};

use crate::check::Fc;
use crate::env::{ConstVal, FnAst, EnumDecl, FnDecl, StructDecl, TraitDecl};
use crate::errors;
use crate::lower::Ctx;
use crate::ty::T;

fn gnames(g: &[ast::GenericParam]) -> Vec<String> {
    g.iter().map(|p| p.name.name.clone()).collect()
}

fn is_instance(f: &Function) -> bool {
    matches!(f.params.first(), Some(Param::SelfRef { .. }))
}

impl Ctx {
    /// The shared AST of `f`: the body moved out of an owned module by `take_bodies` if there
    /// is one for `f`, else a copy (REPL inputs, trait default methods).
    fn fn_ast(&mut self, f: &Function) -> FnAst {
        if let Some(whole) = self.owned_bodies.remove(&f.span) {
            return FnAst(std::sync::Arc::new(whole));
        }
        FnAst(std::sync::Arc::new(f.clone()))
    }

    /// Whole-program check of an owned module: move every function and method item into
    /// `owned_bodies`, keyed by the function's span, so that registration shares it instead of
    /// copying it. Functions whose span is not unique stay in place and are copied as usual.
    pub fn take_bodies(&mut self, items: &mut [ast::Item]) {
        let mut fns: Vec<&mut Function> = vec![];
        let mut trait_spans: Vec<vais_ast::Span> = vec![];
        for it in items.iter_mut() {
            match &mut it.kind {
                ItemKind::Function(f) => fns.push(f),
                ItemKind::Struct(s) => fns.extend(s.methods.iter_mut()),
                ItemKind::Impl(i) => fns.extend(i.methods.iter_mut()),
                ItemKind::Trait(t) => trait_spans.extend(t.methods.iter().map(|m| m.span)),
                _ => {}
            }
        }
        let mut count: crate::fx::FxHashMap<vais_ast::Span, u32> = Default::default();
        count.reserve(fns.len());
        // Trait methods keep their bodies (defaults are copied per implementing struct), but
        // count their spans so that no function shares a key with one.
        for s in trait_spans {
            *count.entry(s).or_default() += 1;
        }
        for f in &fns {
            *count.entry(f.span).or_default() += 1;
        }
        self.owned_bodies.reserve(fns.len());
        for f in fns {
            if count[&f.span] == 1 {
                // The item keeps what registration reads from it: the name, the generics and
                // whether there is a `&self` receiver.
                let keep = Function {
                    name: f.name.clone(),
                    generics: f.generics.clone(),
                    params: f.params.iter().take(1).filter(|p| matches!(p, Param::SelfRef { .. })).cloned().collect(),
                    ret: None,
                    body: None,
                    is_async: f.is_async,
                    span: f.span,
                };
                self.owned_bodies.insert(f.span, std::mem::replace(f, keep));
            }
        }
    }

    fn name_taken(&self, n: &str) -> bool {
        self.env.free_fns.get(n).is_some_and(|d| !self.env.fns[*d].dead)
            || Builtin::from_name(n).is_some()
            || self.env.externs.contains_key(n)
    }

    pub fn add_method(&mut self, owner: &str, f: &Function, trait_default: bool) -> Option<usize> {
        let sd = self.env.structs.get(owner)?;
        let generics = sd.generics.clone();
        if let Some(old) = sd.methods.get(&f.name.name).copied() {
            if !trait_default && !self.env.fns[old].dead && !self.repl {
                self.report(errors::duplicate("method", &format!("{}.{}", owner, f.name.name), f.name.span));
                return None;
            }
        }
        let id = self.env.fns.len();
        // A trait's default body comes from a copy of the trait declaration, so it is copied.
        let ast = self.fn_ast(f);
        self.env.fns.push(FnDecl {
            name: format!("{}.{}", owner, f.name.name),
            ast,
            owner: Some(owner.to_string()),
            owner_generics: generics,
            instance: is_instance(f),
            broken: None,
            dead: false,
        });
        std::sync::Arc::make_mut(self.env.structs.get_mut(owner).expect("struct")).methods.insert(f.name.name.clone(), id);
        Some(id)
    }

    pub fn add_free_fn(&mut self, f: &Function, allow_redefine: bool) -> Option<usize> {
        let n = &f.name.name;
        if Builtin::from_name(n).is_some() || self.env.externs.contains_key(n) {
            self.report(errors::duplicate("function", n, f.name.span).with_note("note: this name is a built-in"));
            return None;
        }
        if !allow_redefine && self.name_taken(n) {
            self.report(errors::duplicate("function", n, f.name.span));
            return None;
        }
        let id = self.env.fns.len();
        let ast = self.fn_ast(f);
        self.env.fns.push(FnDecl {
            name: n.clone(),
            ast,
            owner: None,
            owner_generics: vec![],
            instance: false,
            broken: None,
            dead: false,
        });
        self.env.free_fns.insert(n.clone(), id);
        Some(id)
    }

    /// Register items (pass 1). Returns the declarations created (functions and methods).
    pub fn register(&mut self, items: &[ast::Item], repl: bool) -> Vec<usize> {
        let first_fn = self.env.fns.len();
        // Types first, so signatures can mention types declared later.
        for it in items {
            match &it.kind {
                ItemKind::Struct(s) => {
                    let n = &s.name.name;
                    if !repl && (self.env.structs.contains_key(n) || self.env.enums.contains_key(n)) {
                        self.report(errors::duplicate("type", n, s.name.span));
                        continue;
                    }
                    if repl {
                        if let Some(old) = self.env.enums.remove(n) {
                            for (v, _) in old.variants.iter() {
                                self.env.variants.remove(v);
                            }
                        }
                    }
                    let fields: Vec<(String, ast::Type)> = s.fields.iter().map(|f| (f.name.name.clone(), f.ty.clone())).collect();
                    self.env.structs.insert(
                        n.clone(),
                        std::sync::Arc::new(StructDecl {
                            name: n.clone(),
                            generics: gnames(&s.generics),
                            field_map: StructDecl::field_map_of(&fields),
                            fields,
                            methods: Default::default(),
                            traits: vec![],
                            span: s.name.span,
                        }),
                    );
                    let mut seen: HashSet<&str> = HashSet::with_capacity(s.fields.len());
                    for f in &s.fields {
                        if !seen.insert(&f.name.name) {
                            self.report(errors::duplicate("field", &f.name.name, f.name.span));
                        }
                    }
                }
                ItemKind::Enum(e) => {
                    let n = &e.name.name;
                    if !repl && (self.env.structs.contains_key(n) || self.env.enums.contains_key(n)) {
                        self.report(errors::duplicate("type", n, e.name.span));
                        continue;
                    }
                    if repl {
                        self.env.structs.remove(n);
                        if let Some(old) = self.env.enums.get(n).cloned() {
                            for (v, _) in old.variants.iter() {
                                self.env.variants.remove(v);
                            }
                        }
                    }
                    for (i, v) in e.variants.iter().enumerate() {
                        if let Some((other, _)) = self.env.variants.get(&v.name.name) {
                            if other != n && !repl {
                                self.report(errors::duplicate("variant", &v.name.name, v.name.span));
                            }
                        }
                        self.env.variants.insert(v.name.name.clone(), (n.clone(), i));
                    }
                    self.env.enums.insert(
                        n.clone(),
                        std::sync::Arc::new(EnumDecl {
                            name: n.clone(),
                            generics: gnames(&e.generics),
                            variants: e.variants.iter().map(|v| (v.name.name.clone(), v.kind.clone())).collect(),
                            span: e.name.span,
                        }),
                    );
                }
                ItemKind::Trait(t) => {
                    if !repl && self.env.traits.contains_key(&t.name.name) {
                        self.report(errors::duplicate("trait", &t.name.name, t.name.span));
                        continue;
                    }
                    self.env.traits.insert(t.name.name.clone(), TraitDecl { name: t.name.name.clone(), methods: t.methods.clone() });
                }
                ItemKind::Alias(a) => {
                    if !repl && self.env.aliases.contains_key(&a.name.name) {
                        self.report(errors::duplicate("type alias", &a.name.name, a.name.span));
                        continue;
                    }
                    self.env.aliases.insert(a.name.name.clone(), a.ty.clone());
                }
                _ => {}
            }
        }
        let mut consts = vec![];
        let mut const_names: HashSet<&str> = HashSet::new();
        for it in items {
            match &it.kind {
                ItemKind::Function(f) => {
                    self.add_free_fn(f, repl);
                }
                ItemKind::Struct(s) => {
                    for m in &s.methods {
                        self.add_method(&s.name.name, m, false);
                    }
                }
                ItemKind::Const(c) => {
                    if !repl && (self.env.consts.contains_key(&c.name.name) || const_names.contains(c.name.name.as_str())) {
                        self.report(errors::duplicate("constant", &c.name.name, c.name.span));
                        continue;
                    }
                    const_names.insert(&c.name.name);
                    consts.push(c);
                }
                ItemKind::Extern(x) => self.add_extern(x),
                ItemKind::Impl(i) => self.add_impl(i),
                _ => {}
            }
        }
        self.fold_consts(&consts);
        (first_fn..self.env.fns.len()).collect()
    }

    fn add_extern(&mut self, x: &ast::ExternFn) {
        let n = &x.name.name;
        if self.name_taken(n) && !self.env.externs.contains_key(n) {
            self.report(errors::duplicate("function", n, x.name.span));
            return;
        }
        let mut d = vec![];
        let params: Vec<T> = x.params.iter().map(|(_, t)| self.env.resolve(t, &[], None, &mut d)).collect();
        let ret = x.ret.as_ref().map(|t| self.env.resolve(t, &[], None, &mut d)).unwrap_or(T::Unit);
        for e in d {
            self.report(e);
        }
        let params = params.iter().map(|t| self.lower(t)).collect();
        let ret = self.lower(&ret);
        let def = ExternDef { name: n.clone(), params, variadic: x.variadic, ret };
        if let Some(old) = self.env.externs.get(n) {
            let old = *old;
            self.set_extern(old, def);
            return;
        }
        let id = ExternId(self.prog.externs.len() as u32);
        self.prog.externs.push(def);
        self.env.externs.insert(n.clone(), id);
    }

    fn add_impl(&mut self, i: &ast::Impl) {
        let target = match &i.target.kind {
            ast::TypeKind::Named { name, .. } => name.clone(),
            _ => {
                self.report(errors::invalid("impl blocks need a struct target", i.target.span));
                return;
            }
        };
        if !self.env.structs.contains_key(&target.name) {
            if self.env.enums.contains_key(&target.name) {
                self.report(errors::invalid(format!("enums cannot have methods (`{}`)", target.name), target.span));
            } else {
                let c: Vec<String> = self.env.structs.keys().cloned().collect();
                self.report(errors::undefined_type(&target.name, target.span, c.iter().map(|s| s.as_str())));
            }
            return;
        }
        for m in &i.methods {
            self.add_method(&target.name, m, false);
        }
        let Some(tn) = &i.trait_name else { return };
        let Some(td) = self.env.traits.get(&tn.name).cloned() else {
            let c: Vec<String> = self.env.traits.keys().cloned().collect();
            self.report(errors::undefined_type(&tn.name, tn.span, c.iter().map(|s| s.as_str())).with_note("note: no trait of this name"));
            return;
        };
        std::sync::Arc::make_mut(self.env.structs.get_mut(&target.name).expect("struct")).traits.push(tn.name.clone());
        for tm in &td.methods {
            let has = i.methods.iter().any(|m| m.name.name == tm.name.name);
            if has {
                continue;
            }
            if tm.body.is_some() {
                let exists = self.env.structs[&target.name].methods.contains_key(&tm.name.name);
                if !exists {
                    self.add_method(&target.name, tm, true);
                }
            } else {
                self.report(errors::invalid(
                    format!("`{}` does not implement `{}` required by trait `{}`", target.name, tm.name.name, tn.name),
                    tn.span,
                ));
            }
        }
    }

    fn fold_consts(&mut self, consts: &[&ast::Const]) {
        let mut left: Vec<&ast::Const> = dependency_order(consts);
        loop {
            let before = left.len();
            let mut next = vec![];
            for c in left {
                match self.eval_const(&c.value) {
                    Some(v) => self.set_const(c, v),
                    None => next.push(c),
                }
            }
            left = next;
            if left.is_empty() || left.len() == before {
                break;
            }
        }
        for c in left {
            self.report(errors::invalid(format!("the value of constant `{}` is not a compile-time constant", c.name.name), c.value.span));
        }
    }

    fn set_const(&mut self, c: &ast::Const, v: ConstVal) {
        let mut d = vec![];
        let t = self.env.resolve(&c.ty, &[], None, &mut d);
        for e in d {
            self.report(e);
        }
        let (ok, v) = match (&t, v) {
            (T::Int(i), ConstVal::Int(x)) => (true, ConstVal::Int(wrap(x, *i))),
            (T::F64 | T::F32, ConstVal::Float(f)) => (true, ConstVal::Float(f)),
            (T::Bool, ConstVal::Bool(b)) => (true, ConstVal::Bool(b)),
            (T::Str, ConstVal::Str(s)) => (true, ConstVal::Str(s)),
            (T::Err, v) => (true, v),
            (_, v) => (false, v),
        };
        if !ok {
            let found = match &v {
                ConstVal::Int(_) => "i64",
                ConstVal::Float(_) => "f64",
                ConstVal::Bool(_) => "bool",
                ConstVal::Str(_) => "str",
            };
            self.report(errors::mismatch(&crate::ty::show(&t), found, c.value.span));
        }
        self.env.consts.insert(c.name.name.clone(), (t, v));
    }

    fn eval_const(&self, e: &ast::Expr) -> Option<ConstVal> {
        vais_ast::stack::guard(|| self.eval_const_here(e))
    }

    fn eval_const_here(&self, e: &ast::Expr) -> Option<ConstVal> {
        use ConstVal as C;
        Some(match &e.kind {
            A::Int(v) => C::Int(*v as i128),
            A::Float(f) => C::Float(*f),
            A::Bool(b) => C::Bool(*b),
            A::Str(s) => C::Str(s.clone()),
            A::Ident(n) => self.env.consts.get(n)?.1.clone(),
            A::Unary { op, operand } => match (op, self.eval_const(operand)?) {
                (ast::UnaryOp::Neg, C::Int(x)) => C::Int(wrap(-x, IntTy::I64)),
                (ast::UnaryOp::Neg, C::Float(x)) => C::Float(-x),
                (ast::UnaryOp::Not, C::Bool(b)) => C::Bool(!b),
                (ast::UnaryOp::BitNot, C::Int(x)) => C::Int(!x),
                _ => return None,
            },
            A::Binary { op, lhs, rhs } => {
                use ast::BinaryOp::*;
                let (l, r) = (self.eval_const(lhs)?, self.eval_const(rhs)?);
                match (l, r) {
                    (C::Int(a), C::Int(b)) => {
                        let (a, b) = (a as i64, b as i64);
                        match op {
                            Add => C::Int(a.wrapping_add(b) as i128),
                            Sub => C::Int(a.wrapping_sub(b) as i128),
                            Mul => C::Int(a.wrapping_mul(b) as i128),
                            Div => C::Int(a.checked_div(b)? as i128),
                            Rem => C::Int(a.checked_rem(b)? as i128),
                            BitAnd => C::Int((a & b) as i128),
                            BitOr => C::Int((a | b) as i128),
                            BitXor => C::Int((a ^ b) as i128),
                            Shl => C::Int(a.wrapping_shl(b as u32) as i128),
                            Shr => C::Int(a.wrapping_shr(b as u32) as i128),
                            Lt => C::Bool(a < b),
                            Le => C::Bool(a <= b),
                            Gt => C::Bool(a > b),
                            Ge => C::Bool(a >= b),
                            Eq => C::Bool(a == b),
                            Ne => C::Bool(a != b),
                            _ => return None,
                        }
                    }
                    (C::Float(a), C::Float(b)) => match op {
                        Add => C::Float(a + b),
                        Sub => C::Float(a - b),
                        Mul => C::Float(a * b),
                        Div => C::Float(a / b),
                        Rem => C::Float(a % b),
                        Lt => C::Bool(a < b),
                        Le => C::Bool(a <= b),
                        Gt => C::Bool(a > b),
                        Ge => C::Bool(a >= b),
                        Eq => C::Bool(a == b),
                        Ne => C::Bool(a != b),
                        _ => return None,
                    },
                    (C::Bool(a), C::Bool(b)) => match op {
                        And => C::Bool(a && b),
                        Or => C::Bool(a || b),
                        Eq => C::Bool(a == b),
                        Ne => C::Bool(a != b),
                        _ => return None,
                    },
                    _ => return None,
                }
            }
            A::Block(b) if b.stmts.len() == 1 => match &b.stmts[0].kind {
                ast::StmtKind::Expr(e) => self.eval_const(e)?,
                _ => return None,
            },
            _ => return None,
        })
    }

    /// Check one declaration. Generic mode (opaque parameters) only reports errors.
    pub fn check_fn(&mut self, decl: usize, targs: Vec<T>, generic: bool, name: String) -> Option<FuncDef> {
        let d = &self.env.fns[decl];
        let ast_rc = d.ast.clone();
        let body_ast = ast_rc.body.as_ref()?;
        let (owner, owner_generics_len, instance, all_generics) = (d.owner.clone(), d.owner_generics.len(), d.instance, d.all_generics());
        let self_ty = owner.as_ref().map(|o| T::Struct(o.clone(), targs[..owner_generics_len.min(targs.len())].to_vec()));
        let kind = match &self_ty {
            Some(st) if !generic => match self.lower(st) {
                Ty::Struct(of) => FuncKind::Method { of, instance },
                _ => FuncKind::Free,
            },
            _ => FuncKind::Free,
        };
        let mut fc = Fc::new(self, generic, name.clone());
        fc.subst = all_generics.into_iter().zip(targs.iter().cloned()).collect();
        fc.self_ty = self_ty;
        fc.at_is_self = instance;
        fc.self_fn = if owner.is_none() { Some((decl, targs.clone())) } else { None };
        let ret = match &ast_rc.ret {
            Some(t) => fc.resolve(t),
            None => T::Unit,
        };
        let params = fc.setup_params(&ast_rc, ret.clone());
        fc.hint = Some(ret.clone());
        let body = fc.expr(body_ast);
        fc.hint = None;
        let body = fc.coerce_tail(body, &ret);
        let frame = fc.frames.pop().expect("frame");
        let ret_ty = fc.out(ret);
        let f = FuncDef {
            name,
            kind,
            is_async: ast_rc.is_async,
            params,
            captures: vec![],
            ret: ret_ty,
            locals: frame.locals,
            body,
            span: ast_rc.span,
        };
        fc.finish(f)
    }

    /// Check every non-generic declaration in `decls` (queueing it) and every generic one once.
    pub fn check_decls(&mut self, decls: &[usize]) {
        for &decl in decls {
            let d = &self.env.fns[decl];
            if d.dead || d.ast.body.is_none() {
                continue;
            }
            let g = d.all_generics();
            if g.is_empty() {
                self.fn_inst(decl, vec![]);
            } else {
                let name = d.name.clone();
                let targs = g.into_iter().map(T::Param).collect();
                self.check_fn(decl, targs, true, name);
            }
        }
    }

    /// Check every queued instance (instances found while checking are queued too).
    pub fn drain(&mut self) {
        // Only generic instances count towards the limit: a program may have any number of
        // ordinary functions, but unbounded instantiation means recursive generics.
        let mut generic_instances = 0;
        while let Some(id) = self.queue.pop() {
            let Some((decl, args)) = self.fn_rev.get(&id).cloned() else { continue };
            if !args.is_empty() {
                generic_instances += 1;
                if generic_instances > 20_000 {
                    let span = self.env.fns[decl].ast.name.span;
                    self.report(errors::invalid("too many generic instantiations (infinitely recursive generics?)", span));
                    self.queue.clear();
                    break;
                }
            }
            let targs: Vec<T> = args.iter().map(|t| self.t_of(t)).collect();
            let name = self.prog.funcs[id.index()].name.clone();
            if let Some(f) = self.check_fn(decl, targs, false, name) {
                self.set_func(id, f);
            }
        }
    }
}

/// Wrap an integer value into the range of `t`.
pub fn wrap(v: i128, t: IntTy) -> i128 {
    let bits = t.bits();
    if bits >= 128 {
        return v;
    }
    let m = v & ((1i128 << bits) - 1);
    if t.signed() && m >= (1i128 << (bits - 1)) {
        m - (1i128 << bits)
    } else {
        m
    }
}

impl<'c> Fc<'c> {
    /// Coerce a function body, reporting a mismatch at the block's last expression.
    pub fn coerce_tail(&mut self, e: Expr, want: &T) -> Expr {
        if let ExprKind::Block(_) = &e.kind {
            let span = e.span;
            let ExprKind::Block(mut b) = e.into_kind() else { unreachable!() };
            match b.value.take() {
                Some(v) => {
                    let v = self.coerce_tail(*v, want);
                    b.value = Some(Box::new(v));
                }
                None => {
                    let unit = self.mk(ExprKind::Unit, T::Unit, span.end_point());
                    if !self.inf.unify(want, &T::Unit) {
                        let w = self.show(want);
                        self.err(errors::mismatch_ctx(&w, "()", span.end_point(), "the block has no final expression"));
                    }
                    drop(unit);
                }
            }
            return self.mk(ExprKind::Block(b), want.clone(), span);
        }
        self.coerce_ctx(e, want, Some("the function body must match the declared return type"))
    }
}

/// `consts` ordered so that each comes after the constants of this batch its value names
/// (declaration order otherwise; a cycle keeps the order in which it is met). Folding then
/// needs one pass: repeated passes over constants declared after their users were quadratic
/// (`C K0 = K1 + 1`, `C K1 = K2 + 1`, ...).
fn dependency_order<'a>(consts: &[&'a ast::Const]) -> Vec<&'a ast::Const> {
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, c) in consts.iter().enumerate() {
        by_name.entry(c.name.name.as_str()).or_default().push(i);
    }
    // 0 = not visited, 1 = on the stack, 2 = emitted.
    let mut state = vec![0u8; consts.len()];
    let mut out = Vec::with_capacity(consts.len());
    for root in 0..consts.len() {
        if state[root] != 0 {
            continue;
        }
        // Iterative depth-first search: (constant, its dependencies, next one to visit).
        let mut stack: Vec<(usize, Vec<usize>, usize)> = vec![];
        state[root] = 1;
        stack.push((root, deps(&consts[root].value, &by_name), 0));
        while let Some((i, ds, k)) = stack.last_mut() {
            if let Some(&d) = ds.get(*k) {
                *k += 1;
                if state[d] == 0 {
                    state[d] = 1;
                    let dd = deps(&consts[d].value, &by_name);
                    stack.push((d, dd, 0));
                }
            } else {
                state[*i] = 2;
                out.push(consts[*i]);
                stack.pop();
            }
        }
    }
    out
}

/// The constants of `by_name` that `e` names (walked with an explicit stack).
fn deps(e: &ast::Expr, by_name: &HashMap<&str, Vec<usize>>) -> Vec<usize> {
    let mut out = vec![];
    let mut todo = vec![e];
    while let Some(e) = todo.pop() {
        match &e.kind {
            A::Ident(n) => out.extend(by_name.get(n.as_str()).into_iter().flatten()),
            A::Unary { operand, .. } => todo.push(operand),
            A::Binary { lhs, rhs, .. } => {
                todo.push(rhs);
                todo.push(lhs);
            }
            A::Block(b) => {
                for st in &b.stmts {
                    if let ast::StmtKind::Expr(x) = &st.kind {
                        todo.push(x);
                    }
                }
            }
            _ => {}
        }
    }
    out
}
