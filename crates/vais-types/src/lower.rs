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

/// Nesting depth of the type arguments of one instance (a struct or enum argument counts with
/// its own arguments) beyond which instantiation is taken to be unbounded (E020): polymorphic
/// recursion (`F f<T>(x: T) = f(&x)`) and recursive generic types (`S W<T> { w: *W<*T> }`)
/// grow it by one per level. rustc's default `recursion_limit` is 128 as well.
pub const MAX_INST_DEPTH: u32 = 128;

/// Size (type nodes) of the type arguments of one instance beyond which instantiation is
/// taken to be unbounded (E020): `F f<T>(x: T) = f((x, x))` doubles it per level, so this
/// stops it after 12 levels, long before memory runs out (a hand-written type has tens of
/// nodes).
pub const MAX_INST_SIZE: u64 = 1 << 12;

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
    seen: HashSet<(vais_ast::Code, Span, String)>,
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
    /// Error types lowered since the last `check_resolved` (see `unresolved`).
    pub unresolved: usize,
    /// A type recursive by value was reported (E019) in this check: instantiating it runs
    /// into the type recursion limit too, which is then not reported again.
    pub infinite_reported: bool,
    /// An instance hit the instantiation limits (E020) in this check: queued generic function
    /// instances are dropped from then on, and new generic struct and enum instances get no
    /// fields (with branching recursion there are exponentially many below the limit).
    pub inst_limit_hit: bool,
    /// REPL sessions: the dependency index (`deps.rs`), kept as bodies change.
    pub deps: Option<crate::deps::DepIndex>,
    /// (nesting depth, size) of each struct instance's type, by `StructId` (see `measure`).
    /// Written whenever an id is created, so entries left by a rolled-back input are
    /// overwritten before they are read.
    struct_meas: Vec<(u32, u64)>,
    /// The same for enum instances, by `EnumId`.
    enum_meas: Vec<(u32, u64)>,
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
    /// Error types lowered so far (`unresolved`): those lowered after the savepoint belong to
    /// the errors a rollback discards.
    unresolved: usize,
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
        if let Some(d) = &mut self.deps {
            d.begin();
        }
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
        if let Some(d) = &mut self.deps {
            d.commit();
        }
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
            unresolved: self.unresolved,
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
        self.unresolved = sp.unresolved;
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
        if let Some(d) = &mut self.deps {
            d.rolled_back(self.env.fns.len());
        }
    }

    /// Keep the changes since the savepoint (they belong to the enclosing transaction).
    pub fn release(&mut self, sp: Save) {
        self.env.release(sp.env);
        self.struct_rev.release(sp.vecs[0]);
        self.enum_rev.release(sp.vecs[1]);
        self.pmark.lens = sp.prog.0;
    }

    pub fn take_seen(&mut self) -> HashSet<(vais_ast::Code, Span, String)> {
        std::mem::take(&mut self.seen)
    }

    pub fn restore_seen(&mut self, seen: HashSet<(vais_ast::Code, Span, String)>) {
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
        if let Some(d) = &mut self.deps {
            d.rolled_back(self.env.fns.len());
            d.commit();
        }
    }

    /// Replace a function body (journaled when it predates the open transaction).
    pub fn set_func(&mut self, id: FuncId, f: FuncDef) {
        self.touch(id);
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

    /// `id`'s body or instance entry changed: the dependency index (if any) re-reads it.
    pub fn touch(&mut self, id: FuncId) {
        if let Some(d) = &mut self.deps {
            d.touch(id);
        }
    }

    /// The dependency index, brought up to date (REPL sessions only).
    fn dep_index(&mut self) -> &crate::deps::DepIndex {
        let fn_rev = &self.fn_rev;
        let d = self.deps.as_mut().expect("a REPL session keeps a dependency index");
        d.refresh(&self.prog, |id| fn_rev.get(&id).map(|(decl, _)| *decl));
        d
    }

    /// The declarations whose bodies mention any of `names` (from the dependency index).
    pub fn decls_mentioning<'a>(&mut self, names: impl IntoIterator<Item = &'a String>) -> std::collections::BTreeSet<usize> {
        let fns = &self.env.fns;
        let d = self.deps.as_mut().expect("a REPL session keeps a dependency index");
        d.decls_mentioning(fns.len(), |i| fns[i].ast.body.as_ref(), names)
    }

    /// The instances of declaration `decl`, in id order (from the dependency index).
    pub fn instances_of(&mut self, decl: usize) -> Vec<FuncId> {
        self.dep_index().instances_of(decl)
    }

    /// The functions using any of `deps`, directly or from lambdas they create (from the
    /// dependency index).
    pub fn users_of(&mut self, deps: impl IntoIterator<Item = crate::deps::Dep>) -> std::collections::BTreeSet<FuncId> {
        self.dep_index();
        self.deps.as_ref().expect("index").users_of(&self.prog, deps)
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
            T::Range(x) => {
                let x = self.lower_in(inf, x);
                Ty::Struct(self.struct_inst(ty::RANGE_KEY, vec![x]))
            }
            T::Optional(x) => Ty::Optional(Box::new(self.lower_in(inf, x))),
            // An unconstrained variable defaults to `i64` (`[]` never used). A generic
            // parameter exists only in the one-off check of a generic body, which is never
            // lowered; here it would be a checker bug like the error type.
            T::Var(_) => Ty::I64,
            T::Param(_) | T::Err => self.unresolved(),
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

    /// The error type (or a generic parameter) reaching lowering. The checker reports an error when it makes one (now
    /// or, for a type it resolved while checking another function, when it checks the
    /// declaration that holds it), so the program is rejected; `check_resolved` turns the
    /// count into an internal error if no error was reported after all.
    #[cold]
    pub fn unresolved(&mut self) -> Ty {
        self.unresolved += 1;
        Ty::I64
    }

    /// At the end of a whole check (program or REPL input): an error type that reached
    /// lowering in a check that reported no error is a checker bug; it must still never reach
    /// the back end.
    pub fn check_resolved(&mut self) {
        if self.unresolved > 0 && self.errors == 0 {
            let d = crate::errors::invalid("internal compiler error: a type the checker could not resolve reached code generation", Span::default());
            self.report(d);
        }
        self.unresolved = 0;
    }

    /// (nesting depth, size in nodes) of a concrete type, struct and enum arguments included.
    pub fn measure(&self, t: &Ty) -> (u32, u64) {
        let inner = |x: &Ty| {
            let (d, s) = self.measure(x);
            (d.saturating_add(1), s.saturating_add(1))
        };
        match t {
            Ty::Struct(id) => self.struct_meas.get(id.index()).copied().unwrap_or((1, 1)),
            Ty::Enum(id) => self.enum_meas.get(id.index()).copied().unwrap_or((1, 1)),
            Ty::Ptr(x) | Ty::Ref(x) | Ty::Array(x) | Ty::Future(x) | Ty::Range(x) | Ty::Optional(x) => inner(x),
            Ty::Map(k, v) => {
                let (d, s) = self.measure_all([&**k, &**v]);
                (d.saturating_add(1), s.saturating_add(1))
            }
            Ty::Tuple(ts) => {
                let (d, s) = self.measure_all(ts.iter());
                (d.saturating_add(1), s.saturating_add(1))
            }
            Ty::Fn(ps, r) => {
                let (d, s) = self.measure_all(ps.iter().chain(std::iter::once(&**r)));
                (d.saturating_add(1), s.saturating_add(1))
            }
            _ => (1, 1),
        }
    }

    /// (largest depth, total size) of a list of types.
    pub fn measure_all<'t>(&self, ts: impl IntoIterator<Item = &'t Ty>) -> (u32, u64) {
        ts.into_iter().fold((0, 0), |(d, s), t| {
            let (d2, s2) = self.measure(t);
            (d.max(d2), s.saturating_add(s2))
        })
    }

    /// Whether type arguments `args` of an instance are beyond the limits (`MAX_INST_DEPTH`,
    /// `MAX_INST_SIZE`): if so, why, for the E020 note.
    fn too_big(&self, args: &[Ty]) -> Option<String> {
        let (d, s) = self.measure_all(args);
        if d > MAX_INST_DEPTH {
            Some(format!("its type arguments nest deeper than {} levels (recursion that changes the type arguments at every level?)", MAX_INST_DEPTH))
        } else if s > MAX_INST_SIZE {
            Some(format!("its type arguments grow beyond {} parts (recursion that changes the type arguments at every level?)", MAX_INST_SIZE))
        } else {
            None
        }
    }

    /// The span of the declaration of struct or enum `n`.
    fn type_span(&self, n: &str) -> Span {
        match (self.env.structs.get(n), self.env.enums.get(n)) {
            (Some(s), _) => s.span,
            (_, Some(e)) => e.span,
            _ => Span::default(),
        }
    }

    /// Unbounded instantiation of a generic struct or enum (e.g. `S A<T> { x: *A<A<T>> }`):
    /// reported once (`report` drops repeats), unless a type recursive by value (E019, also
    /// instantiated without end) was reported.
    fn too_many_instances(&mut self, n: &str, why: &str) {
        self.inst_limit_hit = true;
        if !self.infinite_reported {
            let span = self.type_span(n);
            self.report(crate::errors::recursion_limit(n, span, why));
        }
    }

    fn display(&self, n: &str, args: &[Ty]) -> String {
        if args.is_empty() {
            n.to_string()
        } else {
            format!("{}<{}>", n, args.iter().map(|t| self.prog.ty_name(t)).collect::<Vec<_>>().join(", "))
        }
    }

    /// The nesting depth and size of a new instance whose type arguments are `args`.
    fn new_instance_measure(&self, args: &[Ty]) -> (u32, u64) {
        let (d, s) = self.measure_all(args);
        (d.saturating_add(1), s.saturating_add(1))
    }

    /// Whether the new instance `n<args>`, the `count`-th struct or enum, may be filled in: false
    /// (after reporting why, once) when a limit on generic instances is reached, so that
    /// polymorphic recursion through types ends.
    fn instance_allowed(&mut self, n: &str, args: &[Ty], count: usize) -> bool {
        if !args.is_empty() && self.inst_limit_hit {
            return false;
        }
        if !args.is_empty() && count > MAX_TYPE_INSTANCES {
            self.too_many_instances(n, &format!("more than {} instances of generic types", MAX_TYPE_INSTANCES));
            return false;
        }
        if let Some(why) = self.too_big(args) {
            self.too_many_instances(n, &why);
            return false;
        }
        true
    }

    pub fn struct_inst(&mut self, n: &str, args: Vec<Ty>) -> StructId {
        if let Some(id) = self.struct_insts.get(&(n, &args[..]) as &dyn InstKey) {
            return *id;
        }
        let key = (n.to_string(), args.clone());
        let id = StructId(self.prog.structs.len() as u32);
        let name = self.display(n, &args);
        let m = self.new_instance_measure(&args);
        set_measure(&mut self.struct_meas, id.index(), m);
        self.prog.structs.push(StructDef { name, fields: vec![] });
        self.struct_rev.push(key.clone());
        self.struct_insts.insert(key, id);
        if !self.instance_allowed(n, &args, self.prog.structs.len()) {
            return id;
        }
        if n == ty::RANGE_KEY {
            let elem = args.first().cloned().unwrap_or(Ty::I64);
            self.prog.structs[id.index()].name = format!("Range<{}>", self.prog.ty_name(&elem));
            self.prog.structs[id.index()].fields = vec![
                FieldDef { name: "start".into(), ty: elem.clone() },
                FieldDef { name: "end".into(), ty: elem },
                FieldDef { name: RANGE_INCLUSIVE_FIELD.into(), ty: Ty::Bool },
            ];
            return id;
        }
        let Some(decl) = self.env.structs.get(n).cloned() else { return id };
        let sub: Vec<(String, T)> = decl.generics.iter().cloned().zip(args.iter().map(|t| self.t_of(t))).collect();
        let self_t = T::Struct(n.to_string(), sub.iter().map(|(_, t)| t.clone()).collect());
        let mut fields = vec![];
        for (fname, fty) in &decl.fields {
            let mut d = vec![];
            // Errors in field types were reported at registration (`check_type_decls`), and
            // so were types recursive by value (their lowering ends at the instance table).
            let t = self.env.resolve(fty, &sub, Some(&self_t), &mut d);
            let ty = self.lower(&t);
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
        let m = self.new_instance_measure(&args);
        set_measure(&mut self.enum_meas, id.index(), m);
        self.prog.enums.push(EnumDef { name, variants: vec![] });
        self.enum_rev.push(key.clone());
        self.enum_insts.insert(key, id);
        if !self.instance_allowed(n, &args, self.prog.enums.len()) {
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
                fields.push(self.lower(&t));
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
        let too_big = self.too_big(&key.1);
        self.prog.funcs.push(dummy_func(name));
        self.touch(id);
        self.fn_insts.insert(key.clone(), id);
        self.fn_rev.insert(id, key);
        self.new_funcs.push(id);
        if let Some(why) = too_big {
            // Not checked: its body would ask for a bigger instance still.
            self.inst_limit_hit = true;
            if let Some(d) = self.env.fns.get(decl) {
                let e = crate::errors::recursion_limit(&d.name, d.ast.name.span, &why);
                self.report(e);
            }
            return id;
        }
        self.queue.push(id);
        id
    }

    pub fn push_func(&mut self, f: FuncDef) -> FuncId {
        let id = FuncId(self.prog.funcs.len() as u32);
        self.prog.funcs.push(f);
        self.touch(id);
        self.new_funcs.push(id);
        id
    }
}

use crate::cast::int_range;

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
                    T::Var(_) => return Ty::I64,
                    T::Param(_) | T::Err => return self.cx.unresolved(),
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
        // Integer literals in patterns are never truncated: one outside the scrutinee's type
        // could never match (the scrutinee's type is only final here).
        match &mut p.kind {
            PatternKind::Int(v) => {
                if let Some(i) = it {
                    self.literal_in_range(*v, i, false, p.span);
                }
            }
            PatternKind::Range { lo, hi, inclusive } => {
                if let Some(i) = it {
                    self.literal_in_range(*lo, i, false, p.span);
                    self.literal_in_range(*hi, i, !*inclusive, p.span);
                    // `0..256` on a `u8`: the excluded end is not a `u8` itself; the back end
                    // gets the same range with its included end, which is.
                    if !*inclusive && *hi == int_range(i).1.saturating_add(1) && *hi > *lo {
                        *hi -= 1;
                        *inclusive = true;
                    }
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

    /// E022 unless `v` is a value of `t` (or, for the excluded end of a range, one past its
    /// largest value: `0..256` covers every `u8`).
    fn literal_in_range(&mut self, v: i128, t: IntTy, end: bool, span: Span) {
        let (min, max) = int_range(t);
        let top = if end { max.saturating_add(1) } else { max };
        if v < min || v > top {
            let d = crate::errors::pattern_out_of_range(&v.to_string(), t.name(), min, max, span);
            self.cx.report(d);
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
        // The node's own ids, then (through the TIR walk) its sub-expressions in evaluation order.
        match &mut e.kind {
            ExprKind::FuncRef(f)
            | ExprKind::Closure { func: f, .. }
            | ExprKind::MakeFuture { func: f, .. }
            | ExprKind::Call { callee: Callee::Func(f), .. } => self.func_id(f),
            ExprKind::StructLit { id, .. } => self.struct_id(id),
            ExprKind::Variant { enum_id, .. } => self.enum_id(enum_id),
            ExprKind::Match { arms, .. } => arms.iter_mut().for_each(|a| self.pattern(&mut a.pattern)),
            _ => {}
        }
        vais_tir::visit::children_mut(e, &mut |c| self.expr(c));
        // A conversion that converts nothing (same type, or from `!`) goes.
        if let ExprKind::Cast(inner) = &mut e.kind {
            if inner.ty == e.ty || inner.ty == Ty::Never {
                let inner = std::mem::replace(&mut **inner, Expr::new(ExprKind::Unit, Ty::Unit, e.span));
                *e = inner;
            }
        }
    }
}

/// Records the measure of instance `index` (instances are numbered in creation order; a gap
/// left by a table that grew elsewhere reads as the smallest measure).
fn set_measure(meas: &mut Vec<(u32, u64)>, index: usize, m: (u32, u64)) {
    if meas.len() <= index {
        meas.resize(index + 1, (1, 1));
    }
    meas[index] = m;
}
