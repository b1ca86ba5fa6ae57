//! Items: pass 1 registration (§1.4, §7), constant folding (Project decision 5), and checking
//! function bodies (generic ones once with opaque parameters, then every queued instance).

use vais_ast::ast::{self, Function, ItemKind, Param};
use vais_tir::*;
use std::collections::HashSet;

use crate::check::Fc;
use crate::env::{AliasDecl, ConstVal, FnAst, EnumDecl, FnDecl, StructDecl, TraitDecl};
use crate::errors;
use crate::lower::Ctx;
use crate::ty::T;

fn gnames(g: &[ast::GenericParam]) -> Vec<String> {
    g.iter().map(|p| p.name.name.clone()).collect()
}

fn gbounds(g: &[ast::GenericParam]) -> Vec<Vec<String>> {
    g.iter().map(|p| p.bounds.iter().map(|b| b.name.clone()).collect()).collect()
}

fn is_instance(f: &Function) -> bool {
    matches!(f.params.first(), Some(Param::SelfRef { .. }))
}

impl Ctx {
    /// E008 at the second and later of equal names in one list (a function's parameters or
    /// generic parameters, an enum's variants, ...): the later one used to shadow the first
    /// silently, or (variants) make `M` compare against the wrong tag.
    fn no_repeats<'a>(&mut self, kind: &str, names: impl IntoIterator<Item = &'a vais_ast::ast::Ident>) {
        // A set, not a list: a struct of 100,000 fields must not take 10^10 comparisons.
        let mut seen: HashSet<&str> = HashSet::new();
        for n in names {
            if !seen.insert(n.name.as_str()) {
                self.report(errors::duplicate(kind, &n.name, n.span));
            }
        }
    }

    /// Repeated parameter or generic parameter names in a function or method, and bounds
    /// that name no trait (E037).
    fn check_fn_names(&mut self, f: &Function) {
        self.check_bound_names(&f.generics);
        self.no_repeats("generic parameter", f.generics.iter().map(|g| &g.name));
        self.no_repeats("parameter", f.params.iter().filter_map(|p| if let Param::Named { name, .. } = p { Some(name) } else { None }));
    }

    /// E037 at each bound that names no trait.
    fn check_bound_names(&mut self, generics: &[ast::GenericParam]) {
        for g in generics {
            for b in &g.bounds {
                if !self.env.traits.contains_key(&b.name) {
                    let c: Vec<String> = self.env.traits.keys().cloned().collect();
                    self.report(errors::unknown_bound(&b.name, b.span, c.iter().map(|s| s.as_str())));
                }
            }
        }
    }

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

    /// Adds method `f` to struct or enum `owner`; `impl_generics` are the generic parameters
    /// of the `X` block it is in (their bounds join those of the type's declaration).
    pub fn add_method(&mut self, owner: &str, f: &Function, trait_default: bool, impl_generics: &[ast::GenericParam]) -> Option<usize> {
        let generics = self.env.type_generics(owner)?.to_vec();
        let mut owner_bounds = self.env.type_bounds(owner);
        owner_bounds.resize(generics.len(), vec![]);
        for g in impl_generics {
            if let Some(i) = generics.iter().position(|n| *n == g.name.name) {
                for b in &g.bounds {
                    if !owner_bounds[i].contains(&b.name) {
                        owner_bounds[i].push(b.name.clone());
                    }
                }
            }
        }
        if let Some(old) = self.env.type_methods(owner)?.get(&f.name.name).copied() {
            if !trait_default && !self.env.fns[old].dead && !self.repl {
                self.report(errors::duplicate("method", &format!("{}.{}", owner, f.name.name), f.name.span));
                return None;
            }
        }
        let id = self.env.fns.len();
        // A trait's default body comes from a copy of the trait declaration, so it is copied.
        let ast = self.fn_ast(f);
        if !trait_default {
            self.check_fn_names(&ast);
        }
        self.env.fns.push(FnDecl {
            name: format!("{}.{}", owner, f.name.name),
            ast,
            owner: Some(owner.to_string()),
            owner_generics: generics,
            owner_bounds,
            instance: is_instance(f),
            broken: None,
            dead: false,
        });
        self.env.type_methods_mut(owner).expect("struct or enum").insert(f.name.name.clone(), id);
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
        self.check_fn_names(&ast);
        self.env.fns.push(FnDecl {
            name: n.clone(),
            ast,
            owner: None,
            owner_generics: vec![],
            owner_bounds: vec![],
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
        let (mut new_aliases, mut new_types, mut new_traits) = (vec![], vec![], vec![]);
        // Types first, so signatures can mention types declared later.
        for it in items {
            match &it.kind {
                ItemKind::Struct(s) => {
                    let n = &s.name.name;
                    if !repl && (self.env.structs.contains_key(n) || self.env.enums.contains_key(n)) || self.env.aliases.contains_key(n) {
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
                    new_types.push(n.clone());
                    let fields: Vec<(String, ast::Type)> = s.fields.iter().map(|f| (f.name.name.clone(), f.ty.clone())).collect();
                    self.env.structs.insert(
                        n.clone(),
                        std::sync::Arc::new(StructDecl {
                            name: n.clone(),
                            generics: gnames(&s.generics),
                            bounds: gbounds(&s.generics),
                            field_map: StructDecl::field_map_of(&fields),
                            fields,
                            methods: Default::default(),
                            traits: vec![],
                            span: s.name.span,
                        }),
                    );
                    self.no_repeats("field", s.fields.iter().map(|f| &f.name));
                    self.no_repeats("generic parameter", s.generics.iter().map(|g| &g.name));
                }
                ItemKind::Enum(e) => {
                    let n = &e.name.name;
                    if !repl && (self.env.structs.contains_key(n) || self.env.enums.contains_key(n)) || self.env.aliases.contains_key(n) {
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
                    self.no_repeats("variant", e.variants.iter().map(|v| &v.name));
                    self.no_repeats("generic parameter", e.generics.iter().map(|g| &g.name));
                    for v in &e.variants {
                        if let ast::VariantKind::Struct(fs) = &v.kind {
                            self.no_repeats("field", fs.iter().map(|f| &f.name));
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
                    new_types.push(n.clone());
                    self.env.enums.insert(
                        n.clone(),
                        std::sync::Arc::new(EnumDecl {
                            name: n.clone(),
                            generics: gnames(&e.generics),
                            bounds: gbounds(&e.generics),
                            variants: e.variants.iter().map(|v| (v.name.name.clone(), v.kind.clone())).collect(),
                            methods: Default::default(),
                            traits: vec![],
                            span: e.name.span,
                        }),
                    );
                }
                ItemKind::Trait(t) => {
                    if !repl && self.env.traits.contains_key(&t.name.name) {
                        self.report(errors::duplicate("trait", &t.name.name, t.name.span));
                        continue;
                    }
                    self.env.traits.insert(t.name.name.clone(), TraitDecl {
                            name: t.name.name.clone(),
                            methods: t.methods.clone(),
                            supers: t.supertraits.iter().map(|s| s.name.clone()).collect(),
                        });
                    new_traits.push(t);
                }
                ItemKind::Alias(a) => {
                    // Structs, enums and aliases share one namespace; a struct of the same
                    // name would shadow the alias silently (also in a session: the kind of a
                    // type name does not change).
                    let n = &a.name.name;
                    if (!repl && self.env.aliases.contains_key(n)) || self.env.structs.contains_key(n) || self.env.enums.contains_key(n) {
                        self.report(errors::duplicate("type alias", &a.name.name, a.name.span));
                        continue;
                    }
                    if repl && self.alias_change_breaks_users(a) {
                        continue;
                    }
                    self.no_repeats("generic parameter", a.generics.iter().map(|g| &g.name));
                    new_aliases.push(a.name.name.clone());
                    self.env.aliases.insert(
                        a.name.name.clone(),
                        AliasDecl { generics: gnames(&a.generics), ty: a.ty.clone(), span: a.name.span, cyclic: false },
                    );
                }
                _ => {}
            }
        }
        self.check_type_decls(&new_aliases, &new_types);
        for t in new_traits {
            self.check_trait_sigs(t);
        }
        let mut consts = vec![];
        let mut const_names = HashSet::new();
        for it in items {
            match &it.kind {
                ItemKind::Function(f) => {
                    self.add_free_fn(f, repl);
                }
                ItemKind::Enum(e) => self.check_bound_names(&e.generics),
                ItemKind::Struct(s) => {
                    self.check_bound_names(&s.generics);
                    for m in &s.methods {
                        self.add_method(&s.name.name, m, false, &[]);
                    }
                }
                ItemKind::Const(c) => {
                    if !repl && (self.env.consts.contains_key(&c.name.name) || !const_names.insert(c.name.name.as_str())) {
                        self.report(errors::duplicate("constant", &c.name.name, c.name.span));
                        continue;
                    }
                    const_names.insert(&c.name.name);
                    consts.push(c);
                }
                ItemKind::Extern(x) => self.add_extern(x),
                ItemKind::Impl(i) => {
                    self.check_bound_names(&i.generics);
                    self.add_impl(i)
                }
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
            // The same declaration again is harmless; another signature would make calls
            // compiled against one of them pass C the wrong types.
            let old = &self.prog.externs[old.index()];
            if *old != def {
                let (o, d) = (self.extern_sig(old), self.extern_sig(&def));
                self.report(errors::extern_conflict(n, &o, &d, x.name.span));
            }
            return;
        }
        let id = ExternId(self.prog.externs.len() as u32);
        self.prog.externs.push(def);
        self.env.externs.insert(n.clone(), id);
    }

    /// `X F name(i64, ...) -> f64`, as an extern was declared (after resolving aliases).
    fn extern_sig(&self, x: &ExternDef) -> String {
        let mut ps: Vec<String> = x.params.iter().map(|t| self.prog.ty_name(t)).collect();
        if x.variadic {
            ps.push("...".into());
        }
        format!("X F {}({}) -> {}", x.name, ps.join(", "), self.prog.ty_name(&x.ret))
    }

    fn add_impl(&mut self, i: &ast::Impl) {
        let no_args = vec![];
        let (target, targs) = match &i.target.kind {
            ast::TypeKind::Named { name, args } => (name.clone(), args),
            // `X i64: Hash { .. }`: methods of a built-in type live in a method table under the
            // type's name (a struct entry with no fields; the name cannot be written as a
            // struct), so trait bounds can be met by built-in types (std's hash map keys).
            ast::TypeKind::Prim(p) => {
                let name = p.name().to_string();
                if !self.env.structs.contains_key(&name) {
                    let decl = crate::env::StructDecl {
                        name: name.clone(),
                        generics: vec![],
                        bounds: vec![],
                        fields: vec![],
                        field_map: Default::default(),
                        methods: Default::default(),
                        traits: vec![],
                        span: i.target.span,
                    };
                    self.env.structs.insert(name.clone(), std::sync::Arc::new(decl));
                }
                (ast::Ident { name, span: i.target.span }, &no_args)
            }
            _ => {
                self.report(errors::invalid("impl blocks need a struct target", i.target.span));
                return;
            }
        };
        if self.env.type_generics(&target.name).is_none() {
            let c: Vec<String> = self.env.structs.keys().chain(self.env.enums.keys()).cloned().collect();
            self.report(errors::undefined_type(&target.name, target.span, c.iter().map(|s| s.as_str())));
            return;
        }
        if !targs.is_empty() {
            // `X Bx<T> { .. }`: the arguments resolve (the impl's and the struct's own
            // parameters are in scope) and are as many as the struct has. (`X Bx { .. }` is
            // the usual form: its methods are for every instance.)
            let sg = self.env.type_generics(&target.name).unwrap_or_default().to_vec();
            let g: Vec<(String, T)> = i.generics.iter().map(|p| p.name.name.clone()).chain(sg.iter().cloned()).map(|n| (n.clone(), T::Param(n))).collect();
            let mut d = vec![];
            for a in targs {
                self.env.resolve(a, &g, None, &mut d);
            }
            if targs.len() != sg.len() {
                d.push(errors::type_args(&target.name, sg.len(), targs.len(), target.span));
            }
            d.into_iter().for_each(|x| self.report(x));
        }
        for m in &i.methods {
            self.add_method(&target.name, m, false, &i.generics);
        }
        let Some(tn) = &i.trait_name else { return };
        let Some(td) = self.env.traits.get(&tn.name).cloned() else {
            let c: Vec<String> = self.env.traits.keys().cloned().collect();
            self.report(errors::undefined_type(&tn.name, tn.span, c.iter().map(|s| s.as_str())).with_note("note: no trait of this name"));
            return;
        };
        if let Some(s) = self.env.structs.get_mut(&target.name) {
            std::sync::Arc::make_mut(s).traits.push(tn.name.clone());
        } else if let Some(e) = self.env.enums.get_mut(&target.name) {
            std::sync::Arc::make_mut(e).traits.push(tn.name.clone());
        }
        for tm in &td.methods {
            let has = i.methods.iter().any(|m| m.name.name == tm.name.name);
            if has {
                continue;
            }
            if tm.body.is_some() {
                let exists = self.env.type_methods(&target.name).is_some_and(|m| m.contains_key(&tm.name.name));
                if !exists {
                    self.add_method(&target.name, tm, true, &i.generics);
                }
            } else {
                self.report(errors::invalid(
                    format!("`{}` does not implement `{}` required by trait `{}`", target.name, tm.name.name, tn.name),
                    tn.span,
                ));
            }
        }
    }

    /// Evaluates the constants of one batch of items in dependency order (`consteval.rs`).
    /// A constant that has no value (an error was reported) is recorded with the error type, so
    /// that its uses raise no further errors.
    fn fold_consts(&mut self, consts: &[&ast::Const]) {
        let (order, cycles) = {
            let env = &self.env;
            crate::consteval::order(consts, &|n| env.consts.contains_key(n))
        };
        let mut bad = vec![false; consts.len()];
        for (names, span) in cycles {
            for n in &names {
                if let Some(i) = consts.iter().position(|c| &c.name.name == n) {
                    bad[i] = true;
                }
            }
            self.report(errors::const_cycle(&names, span));
        }
        for i in order {
            let c = consts[i];
            let mut d = vec![];
            let t = self.env.resolve(&c.ty, &[], None, &mut d);
            for e in d {
                self.report(e);
            }
            if bad[i] {
                self.env.consts.insert(c.name.name.clone(), (T::Err, ConstVal::Int(0)));
                continue;
            }
            let lit = match &t {
                T::Int(i) => crate::consteval::declared_literal(&c.value, *i),
                _ => None,
            };
            let r = match lit {
                Some(r) => r,
                None => {
                    let env = &self.env;
                    let known = |n: &str| env.consts.get(n).cloned();
                    let resolve = |ty: &ast::Type| {
                        let mut d = vec![];
                        let t = env.resolve(ty, &[], None, &mut d);
                        match d.into_iter().next() {
                            Some(d) => Err(Box::new(d)),
                            None => Ok(t),
                        }
                    };
                    crate::consteval::Eval { known: &known, what: &c.name.name, resolve: &resolve }.eval(&c.value, true)
                }
            };
            let v = match r {
                // An operand already reported: no value, no second error.
                Ok((T::Err, _)) => (T::Err, ConstVal::Int(0)),
                Ok((vt, v)) => match crate::consteval::convert(v, &t) {
                    Some(v) => (t, v),
                    None => {
                        self.report(errors::mismatch(&crate::ty::show(&t), &crate::ty::show(&vt), c.value.span));
                        (T::Err, ConstVal::Int(0))
                    }
                },
                Err(crate::consteval::Fail::NotConst(at)) => {
                    let msg = format!("the value of constant `{}` is not a compile-time constant", c.name.name);
                    self.report(errors::invalid(msg, at).with_label("not a constant"));
                    self.env.consts.insert(c.name.name.clone(), (T::Err, ConstVal::Int(0)));
                    continue;
                }
                Err(crate::consteval::Fail::Diag(d)) => {
                    self.report(*d);
                    self.env.consts.insert(c.name.name.clone(), (T::Err, ConstVal::Int(0)));
                    continue;
                }
            };
            self.env.consts.insert(c.name.name.clone(), v);
        }
    }

    /// Check one declaration. Generic mode (opaque parameters) only reports errors.
    pub fn check_fn(&mut self, decl: usize, targs: Vec<T>, generic: bool, name: String) -> Option<FuncDef> {
        let d = &self.env.fns[decl];
        let ast_rc = d.ast.clone();
        let body_ast = ast_rc.body.as_ref()?;
        let (owner, owner_generics_len, instance, all_generics) = (d.owner.clone(), d.owner_generics.len(), d.instance, d.all_generics());
        let self_ty = owner.as_ref().map(|o| self.env.owner_t(o, targs[..owner_generics_len.min(targs.len())].to_vec()));
        let kind = match &self_ty {
            Some(st) if !generic => match self.lower(st) {
                Ty::Struct(of) => FuncKind::Method { of, instance },
                _ => FuncKind::Free,
            },
            _ => FuncKind::Free,
        };
        let bounds = self.env.fns[decl].all_bounds();
        let mut fc = Fc::new(self, generic, name.clone());
        fc.bounds = bounds;
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
                if self.inst_limit_hit {
                    continue;
                }
                generic_instances += 1;
                if generic_instances > 20_000 {
                    let (name, span) = (self.env.fns[decl].name.clone(), self.env.fns[decl].ast.name.span);
                    self.report(errors::recursion_limit(&name, span, "more than 20000 instances of generic functions"));
                    self.queue.clear();
                    break;
                }
            }
            let targs: Vec<T> = args.iter().map(|t| self.t_of(t)).collect();
            // (Only once an error was reported: a call that left the type open, like
            // `Map.new()` in a REPL input, met no check, and its instance must exist.)
            if self.errors > 0 && self.unmet_bound(decl, &targs, &[]).is_some() {
                // Reported at the call that asked for it (E036); its body would only repeat
                // that as a missing method.
                continue;
            }
            let name = self.prog.funcs[id.index()].name.clone();
            if let Some(f) = self.check_fn(decl, targs, false, name) {
                self.set_func(id, f);
            }
        }
    }
}

impl Ctx {
    /// The first bound of declaration `decl`'s own generic parameters that type arguments
    /// `targs` (owner's first) do not meet: (parameter, trait, argument). `outer` gives the
    /// bounds of generic parameters in scope at the call (a parameter meets the bounds it
    /// has). Arguments not known yet, and traits that do not exist (E037), pass.
    pub fn unmet_bound(&self, decl: usize, targs: &[T], outer: &[(String, Vec<String>)]) -> Option<(String, String, T)> {
        let d = self.env.fns.get(decl)?;
        for (i, (g, bounds)) in d.all_bounds().into_iter().enumerate() {
            let Some(t) = targs.get(i) else { continue };
            for b in bounds {
                if !self.env.traits.contains_key(&b) {
                    continue;
                }
                let ok = match t {
                    T::Struct(n, _) | T::Enum(n, _) => self.env.type_traits(n).contains(&b),
                    T::Int(_) | T::F32 | T::F64 | T::Bool | T::Str => self.env.type_traits(&crate::ty::show(t)).contains(&b),
                    T::Param(q) => outer.iter().any(|(n, bs)| n == q && bs.iter().any(|x| self.env.trait_closure(x).contains(&b))),
                    T::Var(_) | T::Err | T::Never => true,
                    _ => false,
                };
                if !ok {
                    return Some((g, b, t.clone()));
                }
            }
        }
        None
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

