//! The REPL session's dependency index: for every function body in the program, what it uses
//! (the functions it calls or refers to, the struct and enum instances its types name), and
//! the reverse edges (callee -> callers, type -> users), plus each instance's declaration
//! (declaration -> instances). A redefinition asks the index who uses what changed instead of
//! walking every function of the session, so it costs what the change reaches, not the
//! session's size.
//!
//! Kept incrementally and lazily: every change to a body or to the instance table goes through
//! `Ctx::set_func`/`push_func`/`fn_inst` (or `Ctx::touch`), which marks the function dirty;
//! a query first re-indexes the dirty functions from their current bodies. A rollback marks
//! every function touched since the transaction began dirty again, so the index follows the
//! restored bodies without a journal of its own. Only REPL sessions keep an index (a
//! whole-program check never asks).
//!
//! Constants are folded away in TIR, so their users come from the syntax instead: the index
//! also maps each identifier to the declarations whose bodies mention it (`decls_mentioning`),
//! indexing each declaration's body once, when first asked; a rollback that drops declarations
//! drops their entries, and a replaced declaration's entries go when its body is released.

use std::collections::BTreeSet;

use crate::fx::{FxHashMap as HashMap, FxHashSet as HashSet};
use vais_tir::*;

/// Something a function body can use.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub enum Dep {
    Func(FuncId),
    Struct(StructId),
    Enum(EnumId),
}

#[derive(Clone, Default)]
pub struct DepIndex {
    /// Function -> what its current body uses (sorted, deduplicated).
    uses: HashMap<FuncId, Vec<Dep>>,
    /// What is used -> the functions whose bodies use it.
    users: HashMap<Dep, HashSet<FuncId>>,
    /// Instance -> its declaration, and declaration -> instances (ordered).
    decl_of: HashMap<FuncId, usize>,
    instances: HashMap<usize, BTreeSet<FuncId>>,
    /// Functions to re-index before the next query.
    dirty: HashSet<FuncId>,
    /// Functions touched since the open transaction began (dirty again after a rollback).
    txn: Vec<FuncId>,
    /// Function bodies indexed so far (a measure of the work done, for tests).
    pub indexed: u64,
    /// Identifier -> the declarations whose bodies mention it, for declarations below
    /// `names_valid`; `decl_names[d]` is what declaration `d`'s body mentions.
    names: HashMap<String, BTreeSet<usize>>,
    decl_names: Vec<Vec<String>>,
    names_valid: usize,
}

/// What `f` uses: the functions its nodes refer to, and the struct and enum instances named by
/// its result and local types, every expression's and pattern's type, struct literals and
/// variants.
pub fn uses_of(f: &FuncDef) -> Vec<Dep> {
    let mut out: Vec<Dep> = vec![];
    let ty = |t: &Ty, out: &mut Vec<Dep>| {
        visit::each_ty(t, &mut |x| match x {
            Ty::Struct(s) => out.push(Dep::Struct(*s)),
            Ty::Enum(e) => out.push(Dep::Enum(*e)),
            _ => {}
        })
    };
    ty(&f.ret, &mut out);
    for l in &f.locals {
        ty(&l.ty, &mut out);
    }
    visit::preorder(&f.body, |e| {
        ty(&e.ty, &mut out);
        if let Some(id) = visit::referenced_func(e) {
            out.push(Dep::Func(id));
        }
        match &e.kind {
            ExprKind::StructLit { id, .. } => out.push(Dep::Struct(*id)),
            ExprKind::Variant { enum_id, .. } => out.push(Dep::Enum(*enum_id)),
            _ => {}
        }
        for p in visit::arm_patterns(e) {
            visit::pattern_preorder(p, |q| {
                ty(&q.ty, &mut out);
                if let PatternKind::Variant { enum_id, .. } = &q.kind {
                    out.push(Dep::Enum(*enum_id));
                }
            });
        }
    });
    out.sort_unstable();
    out.dedup();
    out
}

impl DepIndex {
    /// `id`'s body or instance entry changed (or may have).
    pub fn touch(&mut self, id: FuncId) {
        self.dirty.insert(id);
        self.txn.push(id);
    }

    pub fn begin(&mut self) {
        self.txn.clear();
    }

    pub fn commit(&mut self) {
        self.txn.clear();
    }

    /// After a rollback (whole or to a savepoint): what was touched may have been restored,
    /// and the declarations from `decls` on were dropped (a later one at the same index is
    /// another declaration).
    pub fn rolled_back(&mut self, decls: usize) {
        self.dirty.extend(self.txn.iter().copied());
        self.names_valid = self.names_valid.min(decls);
    }

    /// The declarations among the first `n` whose bodies (`body(d)`) mention any of `names`.
    /// Indexes each declaration not indexed yet, once.
    pub fn decls_mentioning<'b, 'n>(
        &mut self,
        n: usize,
        body: impl Fn(usize) -> Option<&'b vais_ast::ast::Expr>,
        names: impl IntoIterator<Item = &'n String>,
    ) -> BTreeSet<usize> {
        while self.decl_names.len() > self.names_valid.min(n) {
            let d = self.decl_names.len() - 1;
            self.forget_names(d);
            self.decl_names.pop();
        }
        while self.decl_names.len() < n {
            let d = self.decl_names.len();
            let mut mentioned: Vec<String> = vec![];
            if let Some(b) = body(d) {
                self.indexed += 1;
                let mut seen: HashSet<&str> = HashSet::default();
                crate::consteval::each_ident(b, &mut |x| {
                    if seen.insert(x) {
                        mentioned.push(x.to_string());
                    }
                });
            }
            for x in &mentioned {
                self.names.entry(x.clone()).or_default().insert(d);
            }
            self.decl_names.push(mentioned);
        }
        self.names_valid = n;
        let mut out = BTreeSet::new();
        for x in names {
            out.extend(self.names.get(x).into_iter().flatten().copied());
        }
        out
    }

    /// Declaration `d`'s body is gone (released after a redefinition): it mentions nothing.
    pub fn forget_names(&mut self, d: usize) {
        let Some(mentioned) = self.decl_names.get_mut(d) else { return };
        for x in std::mem::take(mentioned) {
            if let Some(set) = self.names.get_mut(&x) {
                set.remove(&d);
                if set.is_empty() {
                    self.names.remove(&x);
                }
            }
        }
    }

    /// Re-indexes the dirty functions from `prog` and the instance table `decl_of`.
    pub fn refresh(&mut self, prog: &Program, decl_of: impl Fn(FuncId) -> Option<usize>) {
        if self.dirty.is_empty() {
            return;
        }
        let mut dirty: Vec<FuncId> = self.dirty.drain().collect();
        dirty.sort_unstable();
        for id in dirty {
            for d in self.uses.remove(&id).unwrap_or_default() {
                if let Some(set) = self.users.get_mut(&d) {
                    set.remove(&id);
                    if set.is_empty() {
                        self.users.remove(&d);
                    }
                }
            }
            if let Some(decl) = self.decl_of.remove(&id) {
                if let Some(set) = self.instances.get_mut(&decl) {
                    set.remove(&id);
                    if set.is_empty() {
                        self.instances.remove(&decl);
                    }
                }
            }
            let Some(f) = prog.funcs.get(id.index()) else { continue };
            self.indexed += 1;
            let uses = uses_of(f);
            for d in &uses {
                self.users.entry(*d).or_default().insert(id);
            }
            self.uses.insert(id, uses);
            if let Some(decl) = decl_of(id) {
                self.decl_of.insert(id, decl);
                self.instances.entry(decl).or_default().insert(id);
            }
        }
    }

    /// The instances of declaration `decl`, in id order (the index must be fresh).
    pub fn instances_of(&self, decl: usize) -> Vec<FuncId> {
        self.instances.get(&decl).map(|s| s.iter().copied().collect()).unwrap_or_default()
    }

    /// The functions using any of `deps` directly or from a lambda their current body creates
    /// (transitively: a lambda's code is part of its owner). Lambdas themselves are included;
    /// the index must be fresh.
    pub fn users_of(&self, prog: &Program, deps: impl IntoIterator<Item = Dep>) -> BTreeSet<FuncId> {
        let mut out = BTreeSet::new();
        let mut todo: Vec<Dep> = deps.into_iter().collect();
        let mut seen: HashSet<Dep> = todo.iter().copied().collect();
        while let Some(d) = todo.pop() {
            for &u in self.users.get(&d).into_iter().flatten() {
                if out.insert(u) && prog.funcs.get(u.index()).is_some_and(|f| f.kind == FuncKind::Lambda) && seen.insert(Dep::Func(u)) {
                    todo.push(Dep::Func(u));
                }
            }
        }
        out
    }
}
