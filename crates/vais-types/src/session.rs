//! The incremental REPL session (REPL.md): definitions accumulate in one append-only Program,
//! top-level statements run in a generated entry function, session variables are globals.
//! Redefinition: same signature keeps the FuncIds (new body in place); another signature gets a
//! new declaration and the functions that called the old one are re-checked (or marked broken).
//! After every input that defines items, broken functions are checked again and repaired when
//! they type-check again (a dependency redefined back to a compatible form), to a fixed point.

use std::collections::{BTreeMap, HashMap, HashSet};

use vais_ast::ast::{self, ItemKind, Param, ReplEntry, StmtKind};
use vais_ast::{Diagnostic, Span};
use vais_tir::*;

use crate::check::{Fc, Frame};
use crate::deps::Dep;
use crate::errors;
use crate::lower::Ctx;
use crate::ty::{self, T};

/// What one REPL input produced.
#[derive(Clone, Debug)]
pub struct InputResult {
    /// Functions whose code must be (re)compiled.
    pub compile: Vec<FuncId>,
    /// The generated entry function running this input's statements; None if only items.
    pub entry: Option<FuncId>,
    /// Type of the value to print (`entry`'s return type), or `Ty::Unit`.
    pub value_ty: Ty,
    /// Session variables created by this input.
    pub new_globals: Vec<GlobalId>,
    /// Consequences of redefinitions (functions that no longer type-check or type-check again,
    /// dropped variables); each displays as the REPL's `note:` line. Plain definitions print
    /// nothing (the REPL transcripts expect silence).
    pub messages: Vec<Note>,
    /// The definitions this input made, in order, each saying whether it replaced a live one.
    pub definitions: Vec<Definition>,
}

/// A consequence of a redefinition for the rest of the session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// `function` no longer type-checks: it calls (`verb` "calls") or uses (`verb` "uses", a
    /// constant) `dependency`, which was redefined; `transitive` when the dependency is itself
    /// a function broken earlier.
    Broken { function: String, verb: &'static str, dependency: String, transitive: bool },
    /// `function`, broken earlier, type-checks again and was recompiled.
    Repaired { function: String },
    /// Session variable `name` was dropped: its type was redefined.
    VariableDropped { name: String },
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Note::Broken { function, dependency, transitive: true, .. } => write!(
                f,
                "note: `{function}` no longer type-checks (calls `{dependency}`, which no longer type-checks); fix or redefine it"
            ),
            Note::Broken { function, verb, dependency, transitive: false } => {
                write!(f, "note: `{function}` no longer type-checks ({verb} `{dependency}`); fix or redefine it")
            }
            Note::Repaired { function } => write!(f, "note: `{function}` type-checks again"),
            Note::VariableDropped { name } => write!(f, "note: variable `{name}` dropped (its type was redefined)"),
        }
    }
}

/// What kind of thing a definition defines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefKind {
    Function,
    Struct,
    Enum,
    Alias,
    Trait,
    Const,
    Extern,
    /// A method defined by an impl block (`Type.method`), or a trait impl (`Type: Trait`).
    Method,
    Variable,
}

/// One definition an input made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Definition {
    pub kind: DefKind,
    pub name: String,
    /// A live definition of that name existed before (it was replaced).
    pub replaced: bool,
}

#[derive(Clone, PartialEq, Eq, Hash)]
enum Def {
    Fn(String),
    Type(String),
    Trait(String),
    Const(String),
    Global(String),
}

/// Incremental REPL session.
#[derive(Clone)]
pub struct Session {
    cx: Ctx,
    inputs: u32,
    /// Definitions in order of their latest (re)definition: sequence number -> definition.
    order: BTreeMap<u64, Def>,
    order_pos: HashMap<Def, u64>,
    order_seq: u64,
    /// Declarations marked broken at some point (a superset: entries that were repaired,
    /// redefined or rolled back are dropped when `repair_broken` next looks at them), so that
    /// looking for broken functions costs nothing in a session that has none.
    broken_candidates: std::collections::BTreeSet<usize>,
}

impl Default for Session {
    fn default() -> Self {
        Session::new()
    }
}

fn ty_mentions(t: &Ty, structs: &HashSet<StructId>, enums: &HashSet<EnumId>) -> bool {
    let mut hit = false;
    visit::each_ty(t, &mut |x| {
        hit = hit
            || match x {
                Ty::Struct(s) => structs.contains(s),
                Ty::Enum(e) => enums.contains(e),
                _ => false,
            }
    });
    hit
}

/// Re-checks instance `id` of declaration `decl` inside a savepoint: when it type-checks, its
/// new body replaces the old one (kept in the input's transaction); otherwise everything the
/// attempt changed is undone. No diagnostic of the attempt is kept.
fn trial_recheck(cx: &mut Ctx, id: FuncId, decl: usize) -> bool {
    let sp = cx.savepoint();
    let diags = std::mem::take(&mut cx.diags);
    let errs = cx.errors;
    let seen = cx.take_seen();
    cx.errors = 0;
    let name = cx.prog.funcs[id.index()].name.clone();
    let args = cx.fn_rev[&id].1.iter().map(|t| cx.t_of(t)).collect();
    let f = cx.check_fn(decl, args, false, name);
    cx.drain();
    let ok = cx.errors == 0;
    cx.diags = diags;
    cx.errors = errs;
    match f {
        Some(f) if ok => {
            cx.release(sp);
            cx.set_func(id, f);
            true
        }
        _ => {
            cx.rollback_to(sp);
            cx.restore_seen(seen);
            false
        }
    }
}

/// After an input defined items: every broken function (a dependency was redefined with another
/// signature or layout) is checked again, and the ones that type-check again (the dependency
/// came back to a compatible form) are repaired, recompiled and reported. Repeated while
/// something was repaired: a function that calls a broken one is broken too, until it is.
/// A function that calls a broken one (directly, or from a lambda its body creates) would run
/// code that no longer matches its callee: it is broken too, and so are its callers, until
/// the broken function is repaired (then `repair_broken` repairs them in turn, since their
/// re-check succeeds again). Without this, `h()` calling a broken `g` ran `g`'s stale code.
fn break_callers(cx: &mut Ctx, candidates: &mut std::collections::BTreeSet<usize>, messages: &mut Vec<Note>) {
    let mut tried: HashSet<FuncId> = HashSet::new();
    loop {
        candidates.retain(|&d| cx.env.fns.get(d).is_some_and(|f| f.broken.is_some() && !f.dead));
        if candidates.is_empty() {
            return;
        }
        let broken: HashSet<FuncId> = candidates.iter().flat_map(|&d| cx.instances_of(d)).collect();
        let users = cx.users_of(broken.iter().map(|&f| Dep::Func(f)));
        let callers: Vec<(FuncId, usize)> = users
            .into_iter()
            .filter_map(|id| cx.fn_rev.get(&id).map(|(d, _)| (id, *d)))
            .filter(|(id, d)| {
                !tried.contains(id) && !broken.contains(id) && cx.env.fns.get(*d).is_some_and(|f| f.broken.is_none() && !f.dead)
            })
            .collect();
        if callers.is_empty() {
            return;
        }
        for (id, decl) in callers {
            tried.insert(id);
            if trial_recheck(cx, id, decl) {
                continue;
            }
            let callee = visit_callees(&cx.prog, id).into_iter().find(|c| broken.contains(c));
            let dep = callee.map_or_else(|| "a broken function".to_string(), |c| cx.prog.funcs[c.index()].name.clone());
            let name = cx.prog.funcs[id.index()].name.clone();
            cx.env.fns[decl].broken = Some(dep.clone());
            candidates.insert(decl);
            messages.push(Note::Broken { function: name, verb: "calls", dependency: dep, transitive: true });
        }
    }
}

/// The first words of the message of every broken function's stub (`broken_stub`).
const BROKEN: &str = "cannot run: ";

/// A function that no longer type-checks cannot run (REPL.md), also when something reaches it
/// that was compiled before it broke (a closure or function value made earlier): the code of
/// every instance of a broken declaration becomes a stub raising a runtime error that names the
/// broken dependency, until it is repaired (then it is compiled from its checked body again).
fn stub_broken(cx: &mut Ctx, candidates: &std::collections::BTreeSet<usize>, compile: &mut Vec<FuncId>) {
    for &decl in candidates {
        let Some(dep) = cx.env.fns.get(decl).filter(|f| !f.dead).and_then(|f| f.broken.clone()) else { continue };
        let name = cx.env.fns[decl].name.clone();
        for id in cx.instances_of(decl) {
            if !is_broken_stub(&cx.prog.funcs[id.index()]) {
                let f = broken_stub(cx, id, &format!("`{name}` {BROKEN}it no longer type-checks (calls `{dep}`, which was redefined); fix or redefine it"));
                cx.set_func(id, f);
                compile.push(id);
            }
        }
    }
}

/// `id` with a body that raises the runtime error `message` (through the runtime's
/// `vais_std_raise`, as `std`'s `panic` does).
fn broken_stub(cx: &mut Ctx, id: FuncId, message: &str) -> FuncDef {
    let raise = match cx.prog.externs.iter().position(|x| x.name == "vais_std_raise") {
        Some(i) => ExternId(i as u32),
        None => {
            let i64_ = Ty::Int(IntTy::I64);
            cx.prog.externs.push(ExternDef { name: "vais_std_raise".into(), params: vec![i64_.clone(), Ty::Str, i64_.clone(), i64_.clone()], variadic: false, ret: i64_ });
            ExternId(cx.prog.externs.len() as u32 - 1)
        }
    };
    let old = &cx.prog.funcs[id.index()];
    let span = old.span;
    let ex = |kind: ExprKind, ty: Ty| Expr { kind, ty, span };
    let int = |v: i128, t: IntTy| ex(ExprKind::Int(v), Ty::Int(t));
    let ret_ty = cx.prog.externs[raise.0 as usize].ret.clone();
    let call = ex(
        ExprKind::Call { callee: Callee::Extern(raise), args: vec![int(0, IntTy::I64), ex(ExprKind::Str(message.as_bytes().to_vec()), Ty::Str), int(0, IntTy::I64), int(0, IntTy::I64)] },
        ret_ty,
    );
    let exit = ex(ExprKind::Call { callee: Callee::Builtin(Builtin::Exit), args: vec![int(101, IntTy::I32)] }, Ty::Never);
    let body = ex(ExprKind::Block(Block { stmts: vec![Stmt::Expr(call)], value: Some(Box::new(exit)) }), Ty::Never);
    FuncDef { body, ..old.clone() }
}

/// Whether `f`'s body is a stub made by `broken_stub`.
fn is_broken_stub(f: &FuncDef) -> bool {
    let ExprKind::Block(b) = &f.body.kind else { return false };
    let [Stmt::Expr(call)] = &b.stmts[..] else { return false };
    let ExprKind::Call { callee: Callee::Extern(_), args } = &call.kind else { return false };
    matches!(args.get(1).map(|a| &a.kind), Some(ExprKind::Str(m)) if m.windows(BROKEN.len()).any(|w| w == BROKEN.as_bytes()))
        && matches!(b.value.as_deref().map(|v| &v.kind), Some(ExprKind::Call { callee: Callee::Builtin(Builtin::Exit), .. }))
}

/// `decls` (in their order) with each after the ones of them it calls, so that notes read in
/// the order of repair; functions that call each other keep their order.
fn callees_first(cx: &mut Ctx, decls: &[usize]) -> Vec<usize> {
    let instances: Vec<(usize, Vec<FuncId>)> = decls.iter().map(|&d| (d, cx.instances_of(d))).collect();
    let of: HashMap<FuncId, usize> = instances.iter().flat_map(|(d, ids)| ids.iter().map(move |&id| (id, *d))).collect();
    let mut waits: Vec<(usize, Vec<usize>)> = instances
        .iter()
        .map(|(d, ids)| {
            let mut deps: Vec<usize> =
                ids.iter().flat_map(|&id| visit_callees(&cx.prog, id)).filter_map(|c| of.get(&c).copied()).filter(|c| c != d).collect();
            deps.sort_unstable();
            deps.dedup();
            (*d, deps)
        })
        .collect();
    let mut out = Vec::with_capacity(decls.len());
    while !waits.is_empty() {
        // The first function none of whose callees is still waiting; in a cycle, the first.
        let next = waits.iter().position(|(_, deps)| deps.iter().all(|d| out.contains(d))).unwrap_or(0);
        out.push(waits.remove(next).0);
    }
    out
}

/// The functions `id`'s body refers to directly (calls, function values, closures).
fn visit_callees(prog: &Program, id: FuncId) -> Vec<FuncId> {
    let mut out = Vec::new();
    visit::preorder(&prog.funcs[id.index()].body, |e| out.extend(visit::referenced_func(e)));
    out
}

fn repair_broken(
    cx: &mut Ctx,
    candidates: &mut std::collections::BTreeSet<usize>,
    compile: &mut Vec<FuncId>,
    messages: &mut Vec<Note>,
) {
    candidates.retain(|&d| cx.env.fns.get(d).is_some_and(|f| f.broken.is_some() && !f.dead));
    // The greatest set that type-checks together: assume every broken function is repaired,
    // check them all, put the ones that fail back, and again until none fails. One at a time,
    // a function that calls itself (or functions that call each other) never came back: each
    // re-check saw its callee still broken.
    let mut set: Vec<usize> = candidates.iter().copied().collect();
    let reasons: HashMap<usize, Option<String>> = set.iter().map(|&d| (d, cx.env.fns[d].broken.clone())).collect();
    while !set.is_empty() {
        for &d in &set {
            cx.env.fns[d].broken = None;
        }
        let sp = cx.savepoint();
        let failed: Vec<bool> = set
            .iter()
            .map(|&d| {
                let ids = cx.instances_of(d);
                !ids.iter().all(|&id| trial_recheck(cx, id, d))
            })
            .collect();
        if !failed.contains(&true) {
            cx.release(sp);
            for decl in callees_first(cx, &set) {
                compile.extend(cx.instances_of(decl));
                messages.push(Note::Repaired { function: cx.env.fns[decl].name.clone() });
            }
            return;
        }
        cx.rollback_to(sp);
        // The ones that failed are broken again; the rest are tried again without them.
        let mut kept = Vec::new();
        for (decl, failed) in set.into_iter().zip(failed) {
            if failed {
                cx.env.fns[decl].broken = reasons[&decl].clone();
            } else {
                kept.push(decl);
            }
        }
        set = kept;
    }
}

impl Session {
    pub fn new() -> Session {
        let mut cx = Ctx::default();
        cx.deps = Some(Default::default());
        Session {
            cx,
            inputs: 0,
            order: BTreeMap::new(),
            order_pos: HashMap::new(),
            order_seq: 0,
            broken_candidates: Default::default(),
        }
    }

    pub fn program(&self) -> &Program {
        &self.cx.prog
    }

    /// Entry function `id` of an earlier input ran and will never run again: its body and
    /// locals go (the function stays, as an empty `FuncKind::ReplEntry`, so ids keep their
    /// meaning), and the dependency index forgets what it used. The lambdas it created are
    /// functions of their own and stay.
    pub fn release_entry(&mut self, id: FuncId) {
        let Some(f) = self.cx.prog.funcs.get(id.index()) else { return };
        if f.kind != FuncKind::ReplEntry {
            return;
        }
        let span = f.span;
        let empty = FuncDef::empty(f.name.clone(), FuncKind::ReplEntry, span);
        self.cx.set_func(id, empty);
    }

    /// Signature text of a declaration: `sq(x: i64) -> i64`.
    fn sig(cx: &Ctx, decl: usize) -> String {
        let d = &cx.env.fns[decl];
        let g: Vec<(String, T)> = d.all_generics().into_iter().map(|n| (n.clone(), T::Param(n))).collect();
        let st = d.owner.as_ref().map(|o| cx.env.owner_t(o, d.owner_generics.iter().map(|n| T::Param(n.clone())).collect()));
        let mut diags = vec![];
        let ps: Vec<String> = d
            .ast
            .params
            .iter()
            .map(|p| match p {
                Param::SelfRef { mutable, .. } => if *mutable { "&mut self".to_string() } else { "&self".to_string() },
                Param::Named { name, ty, mutable, .. } => format!(
                    "{}{}: {}",
                    if *mutable { "mut " } else { "" },
                    name.name,
                    ty::show(&cx.env.resolve(ty, &g, st.as_ref(), &mut diags))
                ),
            })
            .collect();
        let gen = if d.ast.generics.is_empty() {
            String::new()
        } else {
            format!("<{}>", d.ast.generics.iter().map(|g| g.name.name.clone()).collect::<Vec<_>>().join(", "))
        };
        let ret = match &d.ast.ret {
            Some(t) => format!(" -> {}", ty::show(&cx.env.resolve(t, &g, st.as_ref(), &mut diags))),
            None => String::new(),
        };
        format!("{}{}{}({}){}", if d.ast.is_async { "A " } else { "" }, d.ast.name.name, gen, ps.join(", "), ret)
    }

    fn type_desc(cx: &Ctx, name: &str) -> Option<String> {
        let mut diags = vec![];
        if let Some(s) = cx.env.structs.get(name) {
            let g: Vec<(String, T)> = s.generics.iter().map(|n| (n.clone(), T::Param(n.clone()))).collect();
            let fs: Vec<String> =
                s.fields.iter().map(|(n, t)| format!("{}: {}", n, ty::show(&cx.env.resolve(t, &g, None, &mut diags)))).collect();
            let gen = if s.generics.is_empty() { String::new() } else { format!("<{}>", s.generics.join(", ")) };
            return Some(format!("S {}{} {{ {} }}", name, gen, fs.join(", ")));
        }
        if let Some(e) = cx.env.enums.get(name) {
            let g: Vec<(String, T)> = e.generics.iter().map(|n| (n.clone(), T::Param(n.clone()))).collect();
            let vs: Vec<String> = e
                .variants
                .iter()
                .map(|(n, k)| match k {
                    ast::VariantKind::Unit => n.clone(),
                    ast::VariantKind::Tuple(ts) => format!(
                        "{}({})",
                        n,
                        ts.iter().map(|t| ty::show(&cx.env.resolve(t, &g, None, &mut diags))).collect::<Vec<_>>().join(", ")
                    ),
                    ast::VariantKind::Struct(fs) => format!(
                        "{} {{ {} }}",
                        n,
                        fs.iter()
                            .map(|f| format!("{}: {}", f.name.name, ty::show(&cx.env.resolve(&f.ty, &g, None, &mut diags))))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                })
                .collect();
            let gen = if e.generics.is_empty() { String::new() } else { format!("<{}>", e.generics.join(", ")) };
            return Some(format!("E {}{} {{ {} }}", name, gen, vs.join(", ")));
        }
        cx.env.aliases.get(name).map(|a| {
            let g: Vec<(String, T)> = a.generics.iter().map(|n| (n.clone(), T::Param(n.clone()))).collect();
            let gen = if a.generics.is_empty() { String::new() } else { format!("<{}>", a.generics.join(", ")) };
            format!("T {}{} = {}", name, gen, ty::show(&cx.env.resolve(&a.ty, &g, None, &mut diags)))
        })
    }

    /// Move (or add) `d` to the end of the definition order.
    fn note_def(&mut self, d: Def) {
        self.forget_def(&d);
        self.order_seq += 1;
        self.order.insert(self.order_seq, d.clone());
        self.order_pos.insert(d, self.order_seq);
    }

    fn forget_def(&mut self, d: &Def) {
        if let Some(s) = self.order_pos.remove(d) {
            self.order.remove(&s);
        }
    }

    /// Transactional: on any error, the session is exactly as before. The checker state is
    /// journaled (see `journal`), so this costs what the input changes, not the session size.
    pub fn check_input(&mut self, entries: &[ReplEntry]) -> Result<(InputResult, Vec<Diagnostic>), Vec<Diagnostic>> {
        let inputs = self.inputs;
        let candidates = self.broken_candidates.clone();
        self.cx.begin();
        match self.input(entries) {
            Ok(r) => {
                let changed: Vec<usize> = self.cx.env.fns.changed().collect();
                self.cx.commit();
                self.release_dead(&changed);
                Ok(r)
            }
            Err(d) => {
                self.cx.rollback();
                self.inputs = inputs;
                self.broken_candidates = candidates;
                Err(d)
            }
        }
    }

    /// After a committed input: the declarations it replaced (`dead`, among `changed`) keep
    /// their signature but drop their body. Nothing reads a dead declaration's body (the name
    /// resolves to its replacement; instances of a generic one may still be made for old
    /// callers, so generic declarations keep theirs), and a session redefining a function
    /// thousands of times would otherwise keep every version's syntax tree.
    fn release_dead(&mut self, changed: &[usize]) {
        for &d in changed {
            let decl = &self.cx.env.fns[d];
            if decl.dead && decl.ast.body.is_some() && decl.all_generics().is_empty() {
                let stub = ast::Function { body: None, ..(*decl.ast.0).clone() };
                self.cx.env.fns[d].ast = crate::env::FnAst(std::sync::Arc::new(stub));
                if let Some(index) = &mut self.cx.deps {
                    index.forget_names(d);
                }
            }
        }
    }

    fn input(&mut self, entries: &[ReplEntry]) -> Result<(InputResult, Vec<Diagnostic>), Vec<Diagnostic>> {
        self.inputs += 1;
        let cx = &mut self.cx;
        cx.diags.clear();
        cx.errors = 0;
        cx.reset_seen();
        cx.new_funcs.clear();
        cx.unresolved = 0;
        cx.infinite_reported = false;
        cx.inst_limit_hit = false;
        let mut messages = vec![];
        let mut dropped_globals: Vec<String> = vec![];
        let mut compile: Vec<FuncId> = vec![];
        let items: Vec<ast::Item> =
            entries.iter().filter_map(|e| if let ReplEntry::Item(i) = e { Some(i.clone()) } else { None }).collect();

        // Old state of redefined names.
        let mut old_fns = vec![];
        let mut changed_structs: HashSet<StructId> = HashSet::new();
        let mut changed_enums: HashSet<EnumId> = HashSet::new();
        for it in &items {
            match &it.kind {
                ItemKind::Function(f) => {
                    if let Some(&old) = cx.env.free_fns.get(&f.name.name) {
                        if !cx.env.fns[old].dead {
                            old_fns.push((f.name.name.clone(), old, Self::sig(cx, old)));
                        }
                    }
                }
                ItemKind::Struct(s) => {
                    for ((n, _), id) in cx.struct_insts.iter() {
                        if *n == s.name.name {
                            changed_structs.insert(*id);
                        }
                    }
                    cx.struct_insts.retain(|(n, _), _| *n != s.name.name);
                    if let Some(sd) = cx.env.structs.get(&s.name.name) {
                        for d in sd.methods.values() {
                            cx.env.fns[*d].dead = true;
                        }
                    }
                }
                ItemKind::Enum(e) => {
                    for ((n, _), id) in cx.enum_insts.iter() {
                        if *n == e.name.name {
                            changed_enums.insert(*id);
                        }
                    }
                    cx.enum_insts.retain(|(n, _), _| *n != e.name.name);
                    if let Some(ed) = cx.env.enums.get(&e.name.name).cloned() {
                        for (v, _) in ed.variants.iter() {
                            cx.env.variants.remove(v);
                        }
                        for d in ed.methods.values() {
                            cx.env.fns[*d].dead = true;
                        }
                    }
                }
                _ => {}
            }
        }
        // Methods of structs that are not redefined here may be redefined by impls.
        let redefined_types: HashSet<String> = items
            .iter()
            .filter_map(|i| match &i.kind {
                ItemKind::Struct(s) => Some(s.name.name.clone()),
                ItemKind::Enum(e) => Some(e.name.name.clone()),
                _ => None,
            })
            .collect();
        // Types that mention a redefined type (their fields, or their layout, change): their
        // instances are made again too, and what used them is re-checked like the users of
        // the redefined type itself.
        // (Only for types defined before: a first definition has no users yet.)
        let existing: HashSet<String> =
            redefined_types.iter().filter(|n| cx.env.structs.contains_key(*n) || cx.env.enums.contains_key(*n)).cloned().collect();
        let holders: Vec<String> = if existing.is_empty() {
            vec![]
        } else {
            let mut h: Vec<String> = cx.env.type_users(&existing).into_iter().filter(|n| !redefined_types.contains(n)).collect();
            h.sort();
            h
        };
        for n in holders.iter().cloned() {
            for ((m, _), id) in cx.struct_insts.iter() {
                if *m == n {
                    changed_structs.insert(*id);
                }
            }
            cx.struct_insts.retain(|(m, _), _| *m != n);
            for ((m, _), id) in cx.enum_insts.iter() {
                if *m == n {
                    changed_enums.insert(*id);
                }
            }
            cx.enum_insts.retain(|(m, _), _| *m != n);
        }
        // Only impl blocks add methods to an existing struct.
        let impl_targets: HashSet<String> = items
            .iter()
            .filter_map(|i| match &i.kind {
                ItemKind::Impl(im) => match &im.target.kind {
                    ast::TypeKind::Named { name, .. } => Some(name.name.clone()),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        let mut old_methods = vec![];
        let mut targets: Vec<&String> = impl_targets.iter().filter(|t| !redefined_types.contains(*t)).collect();
        targets.sort();
        for sn in targets {
            let Some(methods) = cx.env.type_methods(sn) else { continue };
            let mut ms: Vec<(&String, &usize)> = methods.iter().collect();
            ms.sort();
            for (mn, &d) in ms {
                if !cx.env.fns[d].dead {
                    old_methods.push(((sn.clone(), mn.clone()), d, Self::sig(cx, d)));
                }
            }
        }
        // Constants are folded into the functions that use them: a redefined constant whose
        // type or value changes makes those functions dependents, like a changed signature.
        let old_consts: Vec<(String, (T, crate::env::ConstVal))> = items
            .iter()
            .filter_map(|it| match &it.kind {
                ItemKind::Const(c) => cx.env.consts.get(&c.name.name).map(|v| (c.name.name.clone(), v.clone())),
                _ => None,
            })
            .collect();
        cx.repl = true;
        let decls = cx.register(&items, true);
        // The holders' field types must still resolve (`S Nd { n: Op<i64> }` after `Op` lost
        // its parameter).
        cx.check_holders(&holders);
        let changed_consts: HashSet<String> =
            old_consts.into_iter().filter(|(n, old)| cx.env.consts.get(n) != Some(old)).map(|(n, _)| n).collect();
        let mut redefs: Vec<(String, usize, String, usize)> = vec![];
        for (name, old, old_sig) in &old_fns {
            if let Some(&new) = cx.env.free_fns.get(name) {
                redefs.push((name.clone(), *old, old_sig.clone(), new));
            }
        }
        for ((sn, mn), old, old_sig) in &old_methods {
            if let Some(&new) = cx.env.type_methods(sn).and_then(|s| s.get(mn)) {
                redefs.push((format!("{}.{}", sn, mn), *old, old_sig.clone(), new));
            }
        }
        let mut changed_fns: HashSet<FuncId> = HashSet::new();
        let mut recheck_ids: Vec<FuncId> = vec![];
        for (_, old, old_sig, new) in &redefs {
            let new = *new;
            if new == *old {
                continue;
            }
            cx.env.fns[*old].dead = true;
            let new_sig = Self::sig(cx, new);
            let insts: Vec<((usize, Vec<Ty>), FuncId)> =
                cx.instances_of(*old).into_iter().map(|id| (cx.fn_rev[&id].clone(), id)).collect();
            if new_sig == *old_sig && changed_structs.is_empty() && changed_enums.is_empty() {
                // Same signature: the new body replaces the old one in place.
                for ((_, args), id) in insts {
                    cx.fn_insts.insert((new, args.clone()), id);
                    cx.fn_rev.insert(id, (new, args));
                    cx.touch(id);
                    recheck_ids.push(id);
                }
            } else {
                changed_fns.extend(insts.into_iter().map(|(_, id)| id));
            }
        }
        cx.check_decls(&decls);
        for id in &recheck_ids {
            cx.queue.push(*id);
            compile.push(*id);
        }
        cx.drain();

        // Functions that used something whose signature or layout changed.
        if !changed_fns.is_empty() || !changed_structs.is_empty() || !changed_enums.is_empty() || !changed_consts.is_empty() {
            let new_decls: HashSet<usize> = decls.iter().copied().collect();
            let changed: Vec<Dep> = (changed_fns.iter().map(|&f| Dep::Func(f)))
                .chain(changed_structs.iter().map(|&t| Dep::Struct(t)))
                .chain(changed_enums.iter().map(|&t| Dep::Enum(t)))
                .collect();
            let mut users: Vec<FuncId> = cx.users_of(changed).into_iter().collect();
            // Lambdas using what changed cannot be checked again (their owner's new body makes
            // new ones): the closures made from them earlier would run code compiled against
            // the old definitions, so their code becomes a stub that says so.
            let what = redefs
                .iter()
                .find(|r| r.1 != r.3)
                .map(|r| format!("calls `{}`, which was redefined with another signature", r.0))
                .or_else(|| changed_consts.iter().min().map(|c| format!("uses `{c}`, which was redefined")))
                .unwrap_or_else(|| "uses a type that was redefined".into());
            for id in users.iter().copied().filter(|id| !cx.fn_rev.contains_key(id)).collect::<Vec<_>>() {
                if cx.prog.funcs[id.index()].kind == FuncKind::Lambda && !is_broken_stub(&cx.prog.funcs[id.index()]) {
                    let f = broken_stub(cx, id, &format!("this closure cannot run: it {what}; make the closure again"));
                    cx.set_func(id, f);
                    compile.push(id);
                }
            }
            if !changed_consts.is_empty() {
                // Constants are folded away in TIR: their users are the instances of the
                // declarations whose syntax mentions them.
                for decl in cx.decls_mentioning(&changed_consts) {
                    users.extend(cx.instances_of(decl));
                }
            }
            let mut dependents: Vec<(FuncId, usize)> = users
                .into_iter()
                .filter_map(|id| cx.fn_rev.get(&id).map(|(d, _)| (id, *d)))
                .filter(|(id, decl)| !new_decls.contains(decl) && !cx.env.fns[*decl].dead && !changed_fns.contains(id))
                .collect();
            dependents.sort();
            dependents.dedup();
            for (id, decl) in dependents {
                let name = cx.prog.funcs[id.index()].name.clone();
                let changed_fn = redefs.iter().find(|r| r.1 != r.3).map(|r| r.0.clone());
                let (verb, dep_name) = match (changed_fn, changed_consts.iter().min()) {
                    (Some(f), _) => ("calls", f),
                    (None, Some(c)) if changed_structs.is_empty() && changed_enums.is_empty() => ("uses", c.clone()),
                    _ => ("calls", "a redefined type".into()),
                };
                if trial_recheck(cx, id, decl) {
                    cx.env.fns[decl].broken = None;
                    compile.push(id);
                } else {
                    cx.env.fns[decl].broken = Some(dep_name.clone());
                    self.broken_candidates.insert(decl);
                    messages.push(Note::Broken { function: name, verb, dependency: dep_name, transitive: false });
                }
            }
            // Session variables of a redefined type are dropped.
            let dropped: Vec<(String, GlobalId)> = cx
                .globals
                .iter()
                .filter(|(_, g)| ty_mentions(&cx.prog.globals[g.index()].ty, &changed_structs, &changed_enums))
                .map(|(n, g)| (n.clone(), *g))
                .collect();
            for (n, _) in dropped {
                cx.globals.remove(&n);
                dropped_globals.push(n.clone());
                messages.push(Note::VariableDropped { name: n.clone() });
            }
        }
        let cx = &mut self.cx;
        if !items.is_empty() {
            break_callers(cx, &mut self.broken_candidates, &mut messages);
            repair_broken(cx, &mut self.broken_candidates, &mut compile, &mut messages);
            stub_broken(cx, &self.broken_candidates, &mut compile);
        }

        // Top-level statements.
        let stmts: Vec<&ast::Stmt> = entries.iter().filter_map(|e| if let ReplEntry::Stmt(s) = e { Some(s) } else { None }).collect();
        let mut entry = None;
        let mut value_ty = Ty::Unit;
        let mut new_globals = vec![];
        if !stmts.is_empty() {
            let last_is_value = matches!(entries.last(), Some(ReplEntry::Stmt(s)) if matches!(s.kind, StmtKind::Expr(_)));
            let name = format!("__repl_{}", self.inputs);
            let mut fc = Fc::new(cx, false, name.clone());
            let ret = fc.inf.fresh();
            fc.frames.push(Frame::new(ret.clone(), false));
            let mut out = vec![];
            let mut value = None;
            let mut span = Span::default();
            for (i, s) in stmts.iter().enumerate() {
                span = if i == 0 { s.span } else { span.to(s.span) };
                let last = i + 1 == stmts.len();
                match &s.kind {
                    StmtKind::Let { name, mutable, ty, value } => {
                        // As in a block: the declared type is the value's expected type
                        // (`r: Range<u8> = 0..=255`, `p: *u8 = [1, 2]`; a literal takes it).
                        let (v, t) = match ty {
                            Some(ty) => {
                                let t = fc.resolve(ty);
                                (fc.expr_to(value, &t), t)
                            }
                            None => {
                                let v = fc.expr(value);
                                let t = fc.t(&v);
                                (v, t)
                            }
                        };
                        let g = GlobalId(fc.cx.prog.globals.len() as u32);
                        fc.cx.prog.globals.push(GlobalDef { name: name.name.clone(), ty: Ty::Unit, mutable: *mutable, span: name.span });
                        fc.cx.globals.insert(name.name.clone(), g);
                        fc.pending_globals.push((g, t.clone()));
                        new_globals.push(g);
                        let target = fc.mk(ExprKind::Global(g), t, name.span);
                        out.push(Stmt::Expr(fc.mk(
                            ExprKind::Assign { target: Box::new(target), value: Box::new(v) },
                            T::Unit,
                            s.span,
                        )));
                    }
                    StmtKind::Expr(e) => {
                        let x = fc.expr(e);
                        if last && last_is_value {
                            value = Some(Box::new(x));
                        } else {
                            out.push(Stmt::Expr(x));
                        }
                    }
                    StmtKind::Return(_) => fc.err(errors::invalid("`R` is only allowed inside a function", s.span)),
                    StmtKind::Break(_) => fc.err(errors::outside_loop("B", s.span)),
                    StmtKind::Continue => fc.err(errors::outside_loop("C", s.span)),
                }
            }
            let vt = match &value {
                Some(v) => {
                    let t = fc.t(v);
                    match fc.sh(&t) {
                        T::Never => T::Unit,
                        _ => t,
                    }
                }
                None => T::Unit,
            };
            if matches!(fc.sh(&vt), T::Unit) {
                if let Some(v) = value.take() {
                    out.push(Stmt::Expr(*v));
                }
            }
            fc.inf.unify(&ret, &vt);
            let body_t = if value.is_some() { vt.clone() } else { T::Unit };
            let body = fc.mk(ExprKind::Block(Block { stmts: out, value }), body_t.clone(), span);
            let frame = fc.frames.pop().expect("frame");
            let ret_ty = fc.out(body_t);
            let pend: Vec<(GlobalId, T)> = fc.pending_globals.clone();
            let gtys: Vec<Ty> = pend.iter().map(|(_, t)| fc.out(t.clone())).collect();
            let f = FuncDef {
                name,
                kind: FuncKind::ReplEntry,
                is_async: false,
                params: vec![],
                captures: vec![],
                ret: ret_ty,
                locals: frame.locals,
                // Carry the global types through zonking in a tuple expression.
                body: Expr::new(
                    ExprKind::Tuple(vec![body, Expr::new(ExprKind::Unit, Ty::Tuple(gtys), span)]),
                    Ty::Unit,
                    span,
                ),
                span,
            };
            if let Some(mut f) = fc.finish(f) {
                if let ExprKind::Tuple(mut parts) = std::mem::replace(&mut f.body.kind, ExprKind::Unit) {
                    let mut carrier = parts.pop().expect("carrier");
                    let body = parts.pop().expect("body");
                    if let Ty::Tuple(ts) = std::mem::replace(&mut carrier.ty, Ty::Unit) {
                        for ((g, _), t) in pend.iter().zip(ts) {
                            cx.prog.globals[g.index()].ty = t;
                        }
                    }
                    f.body = body;
                }
                value_ty = f.ret.clone();
                let id = cx.push_func(f);
                entry = Some(id);
            }
            cx.drain();
        }

        cx.check_resolved();
        if cx.errors > 0 {
            return Err(std::mem::take(&mut cx.diags));
        }
        for n in dropped_globals {
            self.forget_def(&Def::Global(n));
        }
        // Definitions made by this input.
        let mut definitions = vec![];
        for it in &items {
            let (kind, def) = match &it.kind {
                ItemKind::Function(f) => (DefKind::Function, Def::Fn(f.name.name.clone())),
                ItemKind::Struct(s) => (DefKind::Struct, Def::Type(s.name.name.clone())),
                ItemKind::Enum(e) => (DefKind::Enum, Def::Type(e.name.name.clone())),
                ItemKind::Alias(a) => (DefKind::Alias, Def::Type(a.name.name.clone())),
                ItemKind::Trait(t) => (DefKind::Trait, Def::Trait(t.name.name.clone())),
                ItemKind::Const(c) => (DefKind::Const, Def::Const(c.name.name.clone())),
                ItemKind::Extern(x) => (DefKind::Extern, Def::Fn(x.name.name.clone())),
                ItemKind::Impl(im) => {
                    let target = match &im.target.kind {
                        ast::TypeKind::Named { name, .. } => name.name.clone(),
                        _ => String::new(),
                    };
                    match &im.trait_name {
                        Some(tr) => definitions.push(Definition {
                            kind: DefKind::Method,
                            name: format!("{}: {}", target, tr.name),
                            replaced: false,
                        }),
                        None => {
                            for m in &im.methods {
                                let replaced = old_methods.iter().any(|((sn, mn), _, _)| *sn == target && *mn == m.name.name);
                                definitions.push(Definition { kind: DefKind::Method, name: format!("{}.{}", target, m.name.name), replaced });
                            }
                        }
                    }
                    continue;
                }
                ItemKind::Use(_) => continue,
            };
            let (Def::Fn(name) | Def::Type(name) | Def::Trait(name) | Def::Const(name) | Def::Global(name)) = &def;
            definitions.push(Definition { kind, name: name.clone(), replaced: self.order_pos.contains_key(&def) });
            self.note_def(def);
        }
        for g in &new_globals {
            let n = self.cx.prog.globals[g.index()].name.clone();
            let def = Def::Global(n.clone());
            definitions.push(Definition { kind: DefKind::Variable, name: n, replaced: self.order_pos.contains_key(&def) });
            self.note_def(def);
        }
        let cx = &mut self.cx;
        let mut seen = HashSet::new();
        let mut all: Vec<FuncId> = vec![];
        for id in compile.into_iter().chain(cx.new_funcs.drain(..)) {
            if seen.insert(id) {
                all.push(id);
            }
        }
        let warnings = std::mem::take(&mut cx.diags);
        Ok((InputResult { compile: all, entry, value_ty, new_globals, messages, definitions }, warnings))
    }

    /// `:type EXPR`: checks the expression inside a transaction that is then rolled back (the
    /// journal undoes the instances, lambdas and declarations it made), so the session is left
    /// as it was and nothing of its size is copied.
    pub fn type_of(&mut self, expr: &ast::Expr) -> Result<String, Vec<Diagnostic>> {
        let cx = &mut self.cx;
        let diags = std::mem::take(&mut cx.diags);
        let errors = std::mem::replace(&mut cx.errors, 0);
        let seen = cx.take_seen();
        let flags = (cx.unresolved, cx.infinite_reported, cx.inst_limit_hit);
        cx.begin();
        let mut fc = Fc::new(cx, false, "__type".into());
        let ret = fc.inf.fresh();
        fc.frames.push(Frame::new(ret, false));
        let e = fc.expr(expr);
        let t = fc.t(&e);
        let shown = fc.show(&t);
        drop(fc);
        let failed = cx.errors > 0;
        let out = std::mem::replace(&mut cx.diags, diags);
        cx.rollback();
        cx.errors = errors;
        cx.restore_seen(seen);
        (cx.unresolved, cx.infinite_reported, cx.inst_limit_hit) = flags;
        if failed {
            return Err(out);
        }
        Ok(shown)
    }

    /// Function bodies the dependency index has read so far (a measure of the work
    /// redefinitions cost, for the scaling tests: it grows with what an input changes, never
    /// with the number of definitions in the session).
    pub fn dependency_work(&self) -> u64 {
        self.cx.deps.as_ref().map_or(0, |d| d.indexed)
    }

    /// Whether `name` (`f`, or `Type.m` for a method) is a live generic function: its code
    /// exists only per instance (`f<i64>`).
    pub fn is_generic_function(&self, name: &str) -> bool {
        self.cx.env.fns.iter().any(|d| !d.dead && d.name == name && !d.all_generics().is_empty())
    }

    /// Broken functions (`name`, or `Type.method` for methods), each with the redefined
    /// dependency that broke it (`:save` writes them commented out).
    pub fn broken_functions(&self) -> HashMap<String, String> {
        let cx = &self.cx;
        let mut out = HashMap::new();
        let live = |d: usize| cx.env.fns[d].broken.clone().filter(|_| !cx.env.fns[d].dead);
        for (name, &d) in cx.env.free_fns.iter() {
            if let Some(dep) = live(d) {
                out.insert(name.clone(), dep);
            }
        }
        let typed = cx.env.structs.iter().map(|(n, s)| (n, &s.methods)).chain(cx.env.enums.iter().map(|(n, e)| (n, &e.methods)));
        for (sn, methods) in typed {
            for (mn, &d) in methods.iter() {
                if let Some(dep) = live(d) {
                    out.insert(format!("{sn}.{mn}"), dep);
                }
            }
        }
        out
    }

    /// Session variables as `name: type`, in definition order.
    pub fn variables(&self) -> Vec<String> {
        let cx = &self.cx;
        self.order
            .values()
            .filter_map(|d| match d {
                Def::Global(n) => cx.globals.get(n).map(|g| format!("{}: {}", n, cx.prog.ty_name(&cx.prog.globals[g.index()].ty))),
                _ => None,
            })
            .collect()
    }

    /// `:defs`.
    pub fn describe_definitions(&self) -> Vec<String> {
        let cx = &self.cx;
        let mut out = vec![];
        for d in self.order.values() {
            match d {
                Def::Fn(n) => {
                    if let Some(&decl) = cx.env.free_fns.get(n) {
                        let b = match &cx.env.fns[decl].broken {
                            Some(dep) => format!("  (broken: calls `{}`)", dep),
                            None => String::new(),
                        };
                        out.push(format!("F {}{}", Self::sig(cx, decl), b));
                    } else if let Some(x) = cx.env.externs.get(n) {
                        let e = &cx.prog.externs[x.index()];
                        let ps: Vec<String> = e.params.iter().map(|t| cx.prog.ty_name(t)).collect();
                        out.push(format!(
                            "X F {}({}{}) -> {}",
                            n,
                            ps.join(", "),
                            if e.variadic { ", ..." } else { "" },
                            cx.prog.ty_name(&e.ret)
                        ));
                    }
                }
                Def::Type(n) => {
                    if let Some(s) = Self::type_desc(cx, n) {
                        out.push(s);
                    }
                    if let Some(methods) = cx.env.type_methods(n) {
                        let mut ms: Vec<usize> = methods.values().copied().collect();
                        ms.sort();
                        for m in ms {
                            out.push(format!("  F {}.{}", n, Self::sig(cx, m)));
                        }
                    }
                }
                Def::Trait(n) => out.push(format!("W {}", n)),
                Def::Const(n) => {
                    if let Some((t, _)) = cx.env.consts.get(n) {
                        out.push(format!("C {}: {}", n, ty::show(t)));
                    }
                }
                Def::Global(n) => {
                    if let Some(g) = cx.globals.get(n) {
                        let gd = &cx.prog.globals[g.index()];
                        out.push(format!("{}: {}", n, cx.prog.ty_name(&gd.ty)));
                    }
                }
            }
        }
        out
    }
}
