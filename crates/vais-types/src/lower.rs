//! The global checking context (`Ctx`): declarations, the program being built, and the
//! monomorphisation tables. Lowers internal types to concrete `vais_tir::Ty` (interning struct
//! and enum instantiations), queues generic function instances, and replaces the placeholders
//! a function checker leaves in its TIR ("zonking").

use crate::fx::FxHashSet as HashSet;

use vais_ast::ast::VariantKind;
use vais_ast::{Diagnostic, Span};
use vais_tir::*;

use crate::env::Env;
use crate::journal::{JMap, JVec, ProgMark, VecSave};
use crate::ty::{self, T};

/// Types, struct/enum ids and callees inside a function under construction are placeholders
/// at or above this index, resolved when the function is finished.
pub const PH: u32 = 0x4000_0000;

#[derive(Clone, Debug)]
pub enum Pending {
    /// An instance of a declared function with these (internal) type arguments.
    Inst(usize, Vec<T>),
    /// The n-th lambda of the function being checked.
    Lambda(usize),
}

/// Instances of generic structs or enums beyond which instantiation is taken to be unbounded.
const MAX_TYPE_INSTANCES: usize = 20_000;

#[derive(Clone, Default)]
pub struct Ctx {
    pub env: Env,
    pub prog: Program,
    pub struct_insts: JMap<(String, Vec<Ty>), StructId>,
    pub struct_rev: JVec<(String, Vec<Ty>)>,
    pub enum_insts: JMap<(String, Vec<Ty>), EnumId>,
    pub enum_rev: JVec<(String, Vec<Ty>)>,
    pub fn_insts: JMap<(usize, Vec<Ty>), FuncId>,
    /// FuncId -> (decl, type args), for instances.
    pub fn_rev: JMap<FuncId, (usize, Vec<Ty>)>,
    pub queue: Vec<FuncId>,
    pub diags: Vec<Diagnostic>,
    seen: HashSet<(&'static str, Span, String)>,
    /// REPL session variables by name (latest).
    pub globals: JMap<String, GlobalId>,
    /// Instances created since the last `take_new_funcs`.
    pub new_funcs: Vec<FuncId>,
    pub errors: usize,
    /// REPL mode: redefinitions replace instead of being errors.
    pub repl: bool,
    /// Journal of the open transaction's changes to `prog`.
    pmark: ProgMark,
    /// Whole-program check of an owned module: functions moved out of it, by the function's
    /// span (see `Ctx::take_bodies`).
    pub owned_bodies: crate::fx::FxHashMap<Span, vais_ast::ast::Function>,
    /// Whole-program check: what is left of the module (kept for `Scratch`).
    pub module: Option<vais_ast::ast::Module>,
    /// Functions checked by the worker thread and accepted / handed back (see `parallel`).
    pub parallel_stats: (usize, usize),
}

/// A savepoint of `Ctx` (see `Ctx::savepoint`).
pub struct Save {
    env: (Vec<usize>, VecSave),
    maps: Vec<usize>,
    vecs: [VecSave; 2],
    prog: (Option<[usize; 5]>, [usize; 5]),
    main: Option<FuncId>,
    new_funcs: usize,
    queue: usize,
}

/// Borrowed form of a `(String, Vec<Ty>)` instantiation key, for lookups that do not allocate.
/// Hashes and compares exactly like the owned tuple.
pub trait InstKey {
    fn name(&self) -> &str;
    fn args(&self) -> &[Ty];
}

impl InstKey for (String, Vec<Ty>) {
    fn name(&self) -> &str {
        &self.0
    }
    fn args(&self) -> &[Ty] {
        &self.1
    }
}

impl InstKey for (&str, &[Ty]) {
    fn name(&self) -> &str {
        self.0
    }
    fn args(&self) -> &[Ty] {
        self.1
    }
}

impl<'a> std::borrow::Borrow<dyn InstKey + 'a> for (String, Vec<Ty>) {
    fn borrow(&self) -> &(dyn InstKey + 'a) {
        self
    }
}

impl std::hash::Hash for dyn InstKey + '_ {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.name().hash(h);
        self.args().hash(h);
    }
}

impl PartialEq for dyn InstKey + '_ {
    fn eq(&self, o: &Self) -> bool {
        self.name() == o.name() && self.args() == o.args()
    }
}

impl Eq for dyn InstKey + '_ {}

fn dummy_func(name: String) -> FuncDef {
    FuncDef {
        name,
        kind: FuncKind::Free,
        is_async: false,
        params: vec![],
        captures: vec![],
        ret: Ty::Unit,
        locals: vec![],
        body: Expr::new(ExprKind::Unit, Ty::Unit, Span::default()),
        span: Span::default(),
    }
}

impl Ctx {
    /// Start a transaction: from here on every change is journaled (cost proportional to the
    /// change) until `commit` or `rollback`.
    pub fn begin(&mut self) {
        self.env.begin();
        self.struct_insts.begin();
        self.struct_rev.begin();
        self.enum_insts.begin();
        self.enum_rev.begin();
        self.fn_insts.begin();
        self.fn_rev.begin();
        self.globals.begin();
        let p = &self.prog;
        self.pmark = ProgMark {
            lens: Some([p.funcs.len(), p.structs.len(), p.enums.len(), p.externs.len(), p.globals.len()]),
            main: p.main,
            ..Default::default()
        };
    }

    pub fn commit(&mut self) {
        self.env.commit();
        self.struct_insts.commit();
        self.struct_rev.commit();
        self.enum_insts.commit();
        self.enum_rev.commit();
        self.fn_insts.commit();
        self.fn_rev.commit();
        self.globals.commit();
        self.pmark = ProgMark::default();
    }

    /// A nested savepoint inside the open transaction (for trial re-checks).
    pub fn savepoint(&mut self) -> Save {
        let p = &self.prog;
        let pm = &self.pmark;
        let prog = (
            pm.lens,
            [pm.funcs.len(), pm.structs.len(), pm.enums.len(), pm.externs.len(), pm.globals.len()],
        );
        self.pmark.lens = Some([p.funcs.len(), p.structs.len(), p.enums.len(), p.externs.len(), p.globals.len()]);
        Save {
            env: self.env.savepoint(),
            maps: vec![
                self.struct_insts.savepoint(),
                self.enum_insts.savepoint(),
                self.fn_insts.savepoint(),
                self.fn_rev.savepoint(),
                self.globals.savepoint(),
            ],
            vecs: [self.struct_rev.savepoint(), self.enum_rev.savepoint()],
            prog,
            main: self.prog.main,
            new_funcs: self.new_funcs.len(),
            queue: self.queue.len(),
        }
    }

    pub fn rollback_to(&mut self, sp: Save) {
        self.env.rollback_to(sp.env);
        self.struct_insts.rollback_to(sp.maps[0]);
        self.enum_insts.rollback_to(sp.maps[1]);
        self.fn_insts.rollback_to(sp.maps[2]);
        self.fn_rev.rollback_to(sp.maps[3]);
        self.globals.rollback_to(sp.maps[4]);
        self.struct_rev.rollback_to(sp.vecs[0]);
        self.enum_rev.rollback_to(sp.vecs[1]);
        let [f, s, e, x, g] = self.pmark.lens.expect("savepoint");
        let p = &mut self.prog;
        p.funcs.truncate(f);
        p.structs.truncate(s);
        p.enums.truncate(e);
        p.externs.truncate(x);
        p.globals.truncate(g);
        p.main = sp.main;
        let m = &mut self.pmark;
        let [jf, js, je, jx, jg] = sp.prog.1;
        while m.funcs.len() > jf {
            let (i, v) = m.funcs.pop().expect("j");
            p.funcs[i] = v;
        }
        while m.structs.len() > js {
            let (i, v) = m.structs.pop().expect("j");
            p.structs[i] = v;
        }
        while m.enums.len() > je {
            let (i, v) = m.enums.pop().expect("j");
            p.enums[i] = v;
        }
        while m.externs.len() > jx {
            let (i, v) = m.externs.pop().expect("j");
            p.externs[i] = v;
        }
        while m.globals.len() > jg {
            let (i, v) = m.globals.pop().expect("j");
            p.globals[i] = v;
        }
        m.lens = sp.prog.0;
        self.new_funcs.truncate(sp.new_funcs);
        self.queue.truncate(sp.queue);
    }

    /// Keep the changes since the savepoint (they belong to the enclosing transaction).
    pub fn release(&mut self, sp: Save) {
        self.env.release(sp.env);
        self.struct_rev.release(sp.vecs[0]);
        self.enum_rev.release(sp.vecs[1]);
        self.pmark.lens = sp.prog.0;
    }

    pub fn take_seen(&mut self) -> HashSet<(&'static str, Span, String)> {
        std::mem::take(&mut self.seen)
    }

    pub fn restore_seen(&mut self, seen: HashSet<(&'static str, Span, String)>) {
        self.seen = seen;
    }

    /// Undo everything since `begin`.
    pub fn rollback(&mut self) {
        self.env.rollback();
        self.struct_insts.rollback();
        self.struct_rev.rollback();
        self.enum_insts.rollback();
        self.enum_rev.rollback();
        self.fn_insts.rollback();
        self.fn_rev.rollback();
        self.globals.rollback();
        let m = std::mem::take(&mut self.pmark);
        if let Some([f, s, e, x, g]) = m.lens {
            let p = &mut self.prog;
            p.funcs.truncate(f);
            p.structs.truncate(s);
            p.enums.truncate(e);
            p.externs.truncate(x);
            p.globals.truncate(g);
            p.main = m.main;
            // (Entries journaled inside a released savepoint may lie beyond the truncation.)
            for (i, v) in m.funcs.into_iter().rev() {
                if i < p.funcs.len() {
                    p.funcs[i] = v;
                }
            }
            for (i, v) in m.structs.into_iter().rev() {
                if i < p.structs.len() {
                    p.structs[i] = v;
                }
            }
            for (i, v) in m.enums.into_iter().rev() {
                if i < p.enums.len() {
                    p.enums[i] = v;
                }
            }
            for (i, v) in m.externs.into_iter().rev() {
                if i < p.externs.len() {
                    p.externs[i] = v;
                }
            }
            for (i, v) in m.globals.into_iter().rev() {
                if i < p.globals.len() {
                    p.globals[i] = v;
                }
            }
        }
        self.queue.clear();
        self.new_funcs.clear();
    }

    /// Replace a function body (journaled when it predates the open transaction).
    pub fn set_func(&mut self, id: FuncId, f: FuncDef) {
        let i = id.index();
        if let Some(l) = self.pmark.lens {
            if i < l[0] {
                let old = std::mem::replace(&mut self.prog.funcs[i], f);
                self.pmark.funcs.push((i, old));
                return;
            }
        }
        self.prog.funcs[i] = f;
    }

    /// Replace an extern declaration (journaled when it predates the open transaction).
    pub fn set_extern(&mut self, id: ExternId, x: ExternDef) {
        let i = id.index();
        if let Some(l) = self.pmark.lens {
            if i < l[3] {
                let old = std::mem::replace(&mut self.prog.externs[i], x);
                self.pmark.externs.push((i, old));
                return;
            }
        }
        self.prog.externs[i] = x;
    }

    pub fn reset_seen(&mut self) {
        self.seen.clear();
    }

    pub fn report(&mut self, d: Diagnostic) {
        let key = (d.code, d.span, d.message.clone());
        if self.seen.insert(key) {
            if d.is_error() {
                self.errors += 1;
            }
            self.diags.push(d);
        }
    }

    pub fn t_of(&self, t: &Ty) -> T {
        T::from_tir(t, &self.struct_rev, &self.enum_rev)
    }

    /// Lower a fully zonked internal type (unresolved variables default to `i64`).
    pub fn lower(&mut self, t: &T) -> Ty {
        self.lower_in(&ty::Infer::default(), t)
    }

    /// `lower(&inf.zonk(t))` without building the zonked type.
    pub fn lower_in(&mut self, inf: &ty::Infer, t: &T) -> Ty {
        match inf.resolve(t) {
            T::Int(i) => Ty::Int(*i),
            T::F32 => Ty::F32,
            T::F64 => Ty::F64,
            T::Bool => Ty::Bool,
            T::Str => Ty::Str,
            T::Unit => Ty::Unit,
            T::Never => Ty::Never,
            T::Ptr(x) => Ty::Ptr(Box::new(self.lower_in(inf, x))),
            T::Ref(x) => Ty::Ref(Box::new(self.lower_in(inf, x))),
            T::Array(x) => Ty::Array(Box::new(self.lower_in(inf, x))),
            T::Map(k, v) => Ty::Map(Box::new(self.lower_in(inf, k)), Box::new(self.lower_in(inf, v))),
            T::Tuple(ts) => Ty::Tuple(ts.iter().map(|t| self.lower_in(inf, t)).collect()),
            T::Fn(ps, r) => Ty::Fn(ps.iter().map(|t| self.lower_in(inf, t)).collect(), Box::new(self.lower_in(inf, r))),
            T::Future(x) => Ty::Future(Box::new(self.lower_in(inf, x))),
            T::Range(x) => Ty::Range(Box::new(self.lower_in(inf, x))),
            T::Optional(x) => Ty::Optional(Box::new(self.lower_in(inf, x))),
            T::Var(_) | T::Param(_) | T::Err => Ty::I64,
            T::Struct(n, a) => {
                let args: Vec<Ty> = a.iter().map(|t| self.lower_in(inf, t)).collect();
                Ty::Struct(self.struct_inst(n, args))
            }
            T::Enum(n, a) => {
                let args: Vec<Ty> = a.iter().map(|t| self.lower_in(inf, t)).collect();
                Ty::Enum(self.enum_inst(n, args))
            }
        }
    }

    /// Unbounded instantiation of a generic struct or enum (e.g. `S A<T> { x: *A<A<T>> }`):
    /// reported once (`report` drops repeats).
    fn too_many_instances(&mut self, n: &str) {
        let msg = format!("too many instantiations of generic type `{n}` (infinitely recursive generics?)");
        self.report(crate::errors::invalid(&msg, Span::default()));
    }

    fn display(&self, n: &str, args: &[Ty]) -> String {
        if args.is_empty() {
            n.to_string()
        } else {
            format!("{}<{}>", n, args.iter().map(|t| self.prog.ty_name(t)).collect::<Vec<_>>().join(", "))
        }
    }

    pub fn struct_inst(&mut self, n: &str, args: Vec<Ty>) -> StructId {
        if let Some(id) = self.struct_insts.get(&(n, &args[..]) as &dyn InstKey) {
            return *id;
        }
        let key = (n.to_string(), args.clone());
        let id = StructId(self.prog.structs.len() as u32);
        let name = self.display(n, &args);
        self.prog.structs.push(StructDef { name, fields: vec![] });
        self.struct_rev.push(key.clone());
        self.struct_insts.insert(key, id);
        if !args.is_empty() && self.prog.structs.len() > MAX_TYPE_INSTANCES {
            self.too_many_instances(n);
            return id;
        }
        let Some(decl) = self.env.structs.get(n).cloned() else { return id };
        let sub: Vec<(String, T)> = decl.generics.iter().cloned().zip(args.iter().map(|t| self.t_of(t))).collect();
        let self_t = T::Struct(n.to_string(), sub.iter().map(|(_, t)| t.clone()).collect());
        let mut fields = vec![];
        for (fname, fty) in &decl.fields {
            let mut d = vec![];
            let t = self.env.resolve(fty, &sub, Some(&self_t), &mut d);
            // A struct containing itself by value is meaningless; cut the cycle.
            let ty = if matches!(&t, T::Struct(m, _) if m == n) { Ty::I64 } else { self.lower(&t) };
            fields.push(FieldDef { name: fname.clone(), ty });
        }
        self.prog.structs[id.index()].fields = fields;
        id
    }

    pub fn enum_inst(&mut self, n: &str, args: Vec<Ty>) -> EnumId {
        if let Some(id) = self.enum_insts.get(&(n, &args[..]) as &dyn InstKey) {
            return *id;
        }
        let key = (n.to_string(), args.clone());
        let id = EnumId(self.prog.enums.len() as u32);
        let name = self.display(n, &args);
        self.prog.enums.push(EnumDef { name, variants: vec![] });
        self.enum_rev.push(key.clone());
        self.enum_insts.insert(key, id);
        if !args.is_empty() && self.prog.enums.len() > MAX_TYPE_INSTANCES {
            self.too_many_instances(n);
            return id;
        }
        let Some(decl) = self.env.enums.get(n).cloned() else { return id };
        let sub: Vec<(String, T)> = decl.generics.iter().cloned().zip(args.iter().map(|t| self.t_of(t))).collect();
        let mut variants = vec![];
        for (vname, kind) in &decl.variants {
            let mut d = vec![];
            let (tys, names): (Vec<&vais_ast::ast::Type>, Vec<String>) = match kind {
                VariantKind::Unit => (vec![], vec![]),
                VariantKind::Tuple(ts) => (ts.iter().collect(), vec![]),
                VariantKind::Struct(fs) => (fs.iter().map(|f| &f.ty).collect(), fs.iter().map(|f| f.name.name.clone()).collect()),
            };
            let mut fields = vec![];
            for t in tys {
                let t = self.env.resolve(t, &sub, None, &mut d);
                let ty = if matches!(&t, T::Enum(m, _) if m == n) { Ty::I64 } else { self.lower(&t) };
                fields.push(ty);
            }
            variants.push(VariantDef { name: vname.clone(), fields, field_names: names });
        }
        self.prog.enums[id.index()].variants = variants;
        id
    }

    /// The FuncId of an instance of declaration `decl`; queued for checking when new.
    pub fn fn_inst(&mut self, decl: usize, args: Vec<Ty>) -> FuncId {
        let key = (decl, args.clone());
        if let Some(id) = self.fn_insts.get(&key) {
            return *id;
        }
        let id = FuncId(self.prog.funcs.len() as u32);
        let name = match self.env.fns.get(decl) {
            Some(d) => {
                let own = d.owner_generics.len().min(args.len());
                let base = match &d.owner {
                    Some(o) if own > 0 => format!("{}.{}", self.display(o, &args[..own]), d.ast.name.name),
                    _ => d.name.clone(),
                };
                if args.len() > own {
                    self.display(&base, &args[own..])
                } else {
                    base
                }
            }
            None => "?".into(),
        };
        self.prog.funcs.push(dummy_func(name));
        self.fn_insts.insert(key.clone(), id);
        self.fn_rev.insert(id, key);
        self.queue.push(id);
        self.new_funcs.push(id);
        id
    }

    pub fn push_func(&mut self, f: FuncDef) -> FuncId {
        let id = FuncId(self.prog.funcs.len() as u32);
        self.prog.funcs.push(f);
        self.new_funcs.push(id);
        id
    }
}

/// Placeholder resolution for one finished function body.
pub struct Zonker<'a> {
    pub cx: &'a mut Ctx,
    pub inf: &'a ty::Infer,
    pub ph: &'a [T],
    pub pending: &'a [Pending],
    pub lambda_ids: &'a [FuncId],
    cache: Vec<Option<Ty>>,
    /// Expression depth of `expr` (the stack is checked every 8 levels).
    depth: u32,
}

impl<'a> Zonker<'a> {
    pub fn new(cx: &'a mut Ctx, inf: &'a ty::Infer, ph: &'a [T], pending: &'a [Pending], lambda_ids: &'a [FuncId]) -> Self {
        Zonker { cx, inf, ph, pending, lambda_ids, cache: vec![None; ph.len()], depth: 0 }
    }

    fn ph_ty(&mut self, k: u32) -> Ty {
        if let Some(Some(t)) = self.cache.get(k as usize) {
            return t.clone();
        }
        let t = match self.ph.get(k as usize) {
            Some(t) => {
                // Scalars need neither zonking nor the cache.
                match self.inf.resolve(t) {
                    T::Int(i) => return Ty::Int(*i),
                    T::Bool => return Ty::Bool,
                    T::Unit => return Ty::Unit,
                    T::Never => return Ty::Never,
                    T::F64 => return Ty::F64,
                    T::Str => return Ty::Str,
                    T::Var(_) | T::Param(_) | T::Err => return Ty::I64,
                    _ => {}
                }
                self.cx.lower_in(self.inf, t)
            }
            None => Ty::I64,
        };
        if let Some(c) = self.cache.get_mut(k as usize) {
            *c = Some(t.clone());
        }
        t
    }

    pub fn ty(&mut self, t: &mut Ty) {
        match t {
            Ty::Struct(StructId(k)) if *k >= PH => *t = self.ph_ty(*k - PH),
            Ty::Ptr(x) | Ty::Ref(x) | Ty::Array(x) | Ty::Future(x) | Ty::Range(x) | Ty::Optional(x) => self.ty(x),
            Ty::Map(k, v) => {
                self.ty(k);
                self.ty(v)
            }
            Ty::Tuple(ts) => ts.iter_mut().for_each(|t| self.ty(t)),
            Ty::Fn(ps, r) => {
                ps.iter_mut().for_each(|t| self.ty(t));
                self.ty(r)
            }
            _ => {}
        }
    }

    fn struct_id(&mut self, id: &mut StructId) {
        if id.0 >= PH {
            if let Ty::Struct(s) = self.ph_ty(id.0 - PH) {
                *id = s;
            } else {
                *id = StructId(0);
            }
        }
    }

    fn enum_id(&mut self, id: &mut EnumId) {
        if id.0 >= PH {
            if let Ty::Enum(s) = self.ph_ty(id.0 - PH) {
                *id = s;
            } else {
                *id = EnumId(0);
            }
        }
    }

    pub fn func_id(&mut self, id: &mut FuncId) {
        if id.0 < PH {
            return;
        }
        *id = match self.pending.get((id.0 - PH) as usize).cloned() {
            Some(Pending::Lambda(n)) => self.lambda_ids.get(n).copied().unwrap_or(FuncId(0)),
            Some(Pending::Inst(decl, args)) => {
                let args: Vec<Ty> = args
                    .iter()
                    .map(|t| self.cx.lower_in(self.inf, t))
                    .collect();
                self.cx.fn_inst(decl, args)
            }
            None => FuncId(0),
        };
    }

    pub fn func(&mut self, f: &mut FuncDef) {
        for l in &mut f.locals {
            self.ty(&mut l.ty);
        }
        self.ty(&mut f.ret);
        self.expr(&mut f.body);
    }

    pub fn pattern(&mut self, p: &mut Pattern) {
        self.ty(&mut p.ty);
        let it = if let Ty::Int(i) = p.ty { Some(i) } else { None };
        match &mut p.kind {
            PatternKind::Int(v) => {
                if let Some(i) = it {
                    *v = crate::items::wrap(*v, i);
                }
            }
            PatternKind::Range { lo, hi, .. } => {
                if let Some(i) = it {
                    *lo = crate::items::wrap(*lo, i);
                    *hi = crate::items::wrap(*hi, i);
                }
            }
            PatternKind::Variant { enum_id, args, .. } => {
                self.enum_id(enum_id);
                args.iter_mut().for_each(|a| self.pattern(a));
            }
            PatternKind::Tuple(ps) | PatternKind::Or(ps) => ps.iter_mut().for_each(|a| self.pattern(a)),
            _ => {}
        }
    }

    fn block(&mut self, b: &mut Block) {
        for s in &mut b.stmts {
            match s {
                Stmt::Let { value, .. } => self.expr(value),
                Stmt::Expr(e) => self.expr(e),
            }
        }
        if let Some(v) = &mut b.value {
            self.expr(v);
        }
    }

    pub fn expr(&mut self, e: &mut Expr) {
        self.depth += 1;
        if self.depth.is_multiple_of(8) {
            vais_ast::stack::guard(|| self.expr_here(e));
        } else {
            self.expr_here(e);
        }
        self.depth -= 1;
    }

    fn expr_here(&mut self, e: &mut Expr) {
        self.ty(&mut e.ty);
        match &mut e.kind {
            ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Bool(_)
            | ExprKind::Str(_)
            | ExprKind::Unit
            | ExprKind::Local(_)
            | ExprKind::Global(_)
            | ExprKind::Continue => {}
            ExprKind::FuncRef(f) => self.func_id(f),
            ExprKind::Tuple(es) | ExprKind::Array(es) => es.iter_mut().for_each(|e| self.expr(e)),
            ExprKind::StructLit { id, fields } => {
                self.struct_id(id);
                fields.iter_mut().for_each(|(_, e)| self.expr(e));
            }
            ExprKind::Variant { enum_id, args, .. } => {
                self.enum_id(enum_id);
                args.iter_mut().for_each(|e| self.expr(e));
            }
            ExprKind::Block(b) => self.block(b),
            ExprKind::If { cond, then_expr, else_expr } => {
                self.expr(cond);
                self.expr(then_expr);
                if let Some(x) = else_expr {
                    self.expr(x);
                }
            }
            ExprKind::Loop { kind, body } => {
                match kind {
                    LoopKind::Infinite => {}
                    LoopKind::While(c) => self.expr(c),
                    LoopKind::Range { start, end, .. } => {
                        self.expr(start);
                        self.expr(end);
                    }
                }
                self.expr(body);
            }
            ExprKind::Break(x) | ExprKind::Return(x) => {
                if let Some(x) = x {
                    self.expr(x);
                }
            }
            ExprKind::Match { scrutinee, arms } => {
                self.expr(scrutinee);
                for a in arms {
                    self.pattern(&mut a.pattern);
                    if let Some(g) = &mut a.guard {
                        self.expr(g);
                    }
                    self.expr(&mut a.body);
                }
            }
            ExprKind::Unary { operand, .. } => self.expr(operand),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.expr(lhs);
                self.expr(rhs);
            }
            ExprKind::Cast(inner) => {
                self.expr(inner);
                if inner.ty == e.ty || !inner.ty.is_int() || !e.ty.is_int() {
                    let inner = std::mem::replace(&mut **inner, Expr::new(ExprKind::Unit, Ty::Unit, e.span));
                    *e = inner;
                }
            }
            ExprKind::Call { callee, args } => {
                match callee {
                    Callee::Func(f) => self.func_id(f),
                    Callee::Value(v) => self.expr(v),
                    _ => {}
                }
                args.iter_mut().for_each(|e| self.expr(e));
            }
            ExprKind::Field { base, .. } => self.expr(base),
            ExprKind::Index { base, index } => {
                self.expr(base);
                self.expr(index);
            }
            ExprKind::Slice { base, start, end, .. } => {
                self.expr(base);
                if let Some(s) = start {
                    self.expr(s);
                }
                self.expr(end);
            }
            ExprKind::Deref(x) | ExprKind::AddrOf(x) | ExprKind::Await(x) | ExprKind::Unwrap(x) => self.expr(x),
            ExprKind::Assign { target, value } | ExprKind::CompoundAssign { target, value, .. } => {
                self.expr(target);
                self.expr(value);
            }
            ExprKind::Closure { func, captures } => {
                self.func_id(func);
                captures.iter_mut().for_each(|e| self.expr(e));
            }
            ExprKind::MakeFuture { func, args } => {
                self.func_id(func);
                args.iter_mut().for_each(|e| self.expr(e));
            }
        }
    }
}
