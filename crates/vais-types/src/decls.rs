//! Checks of type declarations, run when they are registered (whole program or one REPL input),
//! before any body is checked: every written field, payload and alias type resolves (E003,
//! E015), no alias expands to itself (E018), and no struct or enum contains itself by value,
//! directly or through tuples, optionals and generic arguments held by value (E019).
//! After these, lowering a declared type always terminates with a finite layout; the back end
//! never sees a type the checker could not resolve.

use crate::fx::{FxHashMap as HashMap, FxHashSet as HashSet};

use vais_ast::ast::{self, TypeKind, VariantKind};
use vais_ast::Span;

use crate::env::Env;
use crate::errors;
use crate::lower::Ctx;
use crate::ty::T;

/// DFS colour of a node: on the current path, or finished.
#[derive(Clone, Copy, PartialEq)]
enum Mark {
    OnPath,
    Done,
}

/// Every named type mentioned in a written type (including type arguments).
fn named_in<'t>(t: &'t ast::Type, out: &mut Vec<&'t ast::Ident>) {
    match &t.kind {
        TypeKind::Unit | TypeKind::Prim(_) | TypeKind::SelfType => {}
        TypeKind::Tuple(ts) => ts.iter().for_each(|t| named_in(t, out)),
        TypeKind::Fn { params, ret } => {
            params.iter().for_each(|t| named_in(t, out));
            named_in(ret, out);
        }
        TypeKind::Array(x) | TypeKind::Pointer(x) | TypeKind::Optional(x) | TypeKind::Result(x) => named_in(x, out),
        TypeKind::Ref { inner, .. } => named_in(inner, out),
        TypeKind::Map(k, v) => {
            named_in(k, out);
            named_in(v, out);
        }
        TypeKind::Named { name, args } => {
            out.push(name);
            args.iter().for_each(|t| named_in(t, out));
        }
    }
}

impl Env {
    /// REPL: the structs and enums whose fields mention one of `names` (directly, through
    /// aliases, or through other such types), which change when those are redefined.
    pub fn type_users(&self, names: &std::collections::HashSet<String>) -> HashSet<String> {
        // Reverse index: type name -> declarations (structs, enums, aliases) mentioning it.
        let mut users: HashMap<String, Vec<String>> = HashMap::default();
        let mut add = |by: &str, t: &ast::Type| {
            let mut ns = vec![];
            named_in(t, &mut ns);
            for i in ns {
                users.entry(i.name.clone()).or_default().push(by.to_string());
            }
        };
        for (n, s) in self.structs.iter() {
            s.fields.iter().for_each(|(_, t)| add(n, t));
        }
        for (n, e) in self.enums.iter() {
            for (_, k) in &e.variants {
                match k {
                    VariantKind::Unit => {}
                    VariantKind::Tuple(ts) => ts.iter().for_each(|t| add(n, t)),
                    VariantKind::Struct(fs) => fs.iter().for_each(|f| add(n, &f.ty)),
                }
            }
        }
        for (n, a) in self.aliases.iter() {
            add(n, &a.ty);
        }
        let mut seen: HashSet<String> = HashSet::default();
        let mut todo: Vec<&str> = names.iter().map(|n| n.as_str()).collect();
        while let Some(n) = todo.pop() {
            for u in users.get(n).map(|v| v.as_slice()).unwrap_or(&[]) {
                if seen.insert(u.clone()) {
                    todo.push(u);
                }
            }
        }
        seen.retain(|n| self.structs.contains_key(n) || self.enums.contains_key(n));
        seen
    }

    /// A live definition that mentions type name `n` (in a signature, a body, a field, a
    /// payload or another alias), for messages; None if there is none.
    fn alias_user(&self, n: &str) -> Option<String> {
        let mentions = |t: &ast::Type| {
            let mut names = vec![];
            named_in(t, &mut names);
            names.iter().any(|i| i.name == n)
        };
        for (an, a) in self.aliases.iter() {
            if an != n && mentions(&a.ty) {
                return Some(format!("alias `{}`", an));
            }
        }
        for (sn, s) in self.structs.iter() {
            if s.fields.iter().any(|(_, t)| mentions(t)) {
                return Some(format!("struct `{}`", sn));
            }
        }
        for (en, e) in self.enums.iter() {
            let uses = e.variants.iter().any(|(_, k)| match k {
                VariantKind::Unit => false,
                VariantKind::Tuple(ts) => ts.iter().any(mentions),
                VariantKind::Struct(fs) => fs.iter().any(|f| mentions(&f.ty)),
            });
            if uses {
                return Some(format!("enum `{}`", en));
            }
        }
        // Function bodies: by the debug text of their syntax tree (an identifier is printed
        // quoted); a variable of the same name counts too, which only errs on the safe side.
        let quoted = format!("{:?}", n);
        for d in self.fns.iter() {
            if !d.dead && format!("{:?}", d.ast).contains(&quoted) {
                return Some(format!("function `{}`", d.name));
            }
        }
        None
    }

    /// The aliases the right-hand side of alias `a` expands (names that resolve to an alias
    /// there: not its own parameters, not a struct or enum).
    fn alias_edges(&self, a: &str) -> Vec<String> {
        let Some(decl) = self.aliases.get(a) else { return vec![] };
        let mut names = vec![];
        named_in(&decl.ty, &mut names);
        names
            .into_iter()
            .map(|i| i.name.as_str())
            .filter(|n| !decl.generics.iter().any(|g| g == n))
            .filter(|n| !self.structs.contains_key(*n) && !self.enums.contains_key(*n) && self.aliases.contains_key(*n))
            .map(str::to_string)
            .collect()
    }

    /// The field (or payload) types of struct or enum `n` with their written spans, resolved
    /// with the declaration's own parameters opaque. Resolution errors were reported when the
    /// declaration was registered (`check_type_decls`).
    pub fn field_types(&self, n: &str) -> Vec<(T, Span)> {
        self.field_types_reporting(n, &mut vec![])
    }

    /// `field_types`, with the resolution errors.
    fn field_types_reporting(&self, n: &str, d: &mut Vec<vais_ast::Diagnostic>) -> Vec<(T, Span)> {
        if let Some(s) = self.structs.get(n) {
            let g: Vec<(String, T)> = s.generics.iter().map(|p| (p.clone(), T::Param(p.clone()))).collect();
            let st = T::Struct(n.to_string(), g.iter().map(|(_, t)| t.clone()).collect());
            return s.fields.iter().map(|(_, t)| (self.resolve(t, &g, Some(&st), d), t.span)).collect();
        }
        if let Some(e) = self.enums.get(n) {
            let g: Vec<(String, T)> = e.generics.iter().map(|p| (p.clone(), T::Param(p.clone()))).collect();
            let mut out = vec![];
            for (_, k) in &e.variants {
                match k {
                    VariantKind::Unit => {}
                    VariantKind::Tuple(ts) => out.extend(ts.iter().map(|t| (self.resolve(t, &g, None, d), t.span))),
                    VariantKind::Struct(fs) => out.extend(fs.iter().map(|f| (self.resolve(&f.ty, &g, None, d), f.ty.span))),
                }
            }
            return out;
        }
        vec![]
    }

    fn generics_of(&self, n: &str) -> &[String] {
        if let Some(s) = self.structs.get(n) {
            return &s.generics;
        }
        match self.enums.get(n) {
            Some(e) => &e.generics,
            None => &[],
        }
    }

    /// Which generic parameters of struct or enum `n` its values hold by value (directly or
    /// through other types that hold theirs by value). Memoised; a type met again while its
    /// own answer is being computed counts as holding nothing (such a type is recursive by
    /// value and reported as such).
    fn params_by_value(&self, n: &str, memo: &mut HashMap<String, Vec<bool>>) -> Vec<bool> {
        if let Some(v) = memo.get(n) {
            return v.clone();
        }
        let g = self.generics_of(n).to_vec();
        memo.insert(n.to_string(), vec![false; g.len()]);
        let mut held = vec![false; g.len()];
        for (t, _) in self.field_types(n) {
            self.by_value(&t, memo, &mut |x| {
                if let T::Param(p) = x {
                    if let Some(i) = g.iter().position(|q| q == p) {
                        held[i] = true;
                    }
                }
            });
        }
        memo.insert(n.to_string(), held.clone());
        held
    }

    /// Call `f` on every struct, enum and generic parameter that a value of type `t` holds
    /// by value (its own bytes, not behind a pointer, reference, array, map, function or
    /// future).
    fn by_value(&self, t: &T, memo: &mut HashMap<String, Vec<bool>>, f: &mut dyn FnMut(&T)) {
        match t {
            T::Tuple(ts) => ts.iter().for_each(|t| self.by_value(t, memo, f)),
            T::Optional(x) | T::Range(x) => self.by_value(x, memo, f),
            T::Struct(n, args) | T::Enum(n, args) => {
                f(t);
                if !args.is_empty() {
                    let held = self.params_by_value(n, memo);
                    for (a, h) in args.iter().zip(held) {
                        if h {
                            self.by_value(a, memo, f);
                        }
                    }
                }
            }
            T::Param(_) => f(t),
            _ => {}
        }
    }
}

impl Ctx {
    /// REPL: redefining alias `a.name` to another type while a definition mentions it
    /// would change what that definition means without recompiling it (a function compiled
    /// for `i64` called with an `f64`): an error naming a user. Same type, or no user: fine.
    pub fn alias_change_breaks_users(&mut self, a: &ast::Alias) -> bool {
        let n = a.name.name.as_str();
        let Some(old) = self.env.aliases.get(n).cloned() else { return false };
        let new_g = a.generics.iter().map(|p| p.name.name.clone()).collect::<Vec<_>>();
        let same = old.generics == new_g && !old.cyclic && {
            let g: Vec<(String, T)> = new_g.iter().map(|p| (p.clone(), T::Param(p.clone()))).collect();
            let mut d = vec![];
            let was = self.env.resolve(&old.ty, &g, None, &mut d);
            let now = self.env.resolve(&a.ty, &g, None, &mut d);
            d.is_empty() && was == now
        };
        if same {
            return false;
        }
        let Some(user) = self.env.alias_user(n) else { return false };
        let was = {
            let g: Vec<(String, T)> = old.generics.iter().map(|p| (p.clone(), T::Param(p.clone()))).collect();
            crate::ty::show(&self.env.resolve(&old.ty, &g, None, &mut vec![]))
        };
        self.report(
            errors::invalid(format!("type alias `{}` cannot change its type: {} uses it", n, user), a.name.span)
                .with_label("redefined with another type")
                .with_note(format!("note: what uses `{}` was checked and compiled with `{}`", n, was))
                .with_note("help: give the new type another name"),
        );
        true
    }

    /// REPL: report the resolution errors of existing types `names` (they mention a type
    /// this input redefines).
    pub fn check_holders(&mut self, names: &[String]) {
        for n in names {
            let mut d = vec![];
            self.env.field_types_reporting(n, &mut d);
            for x in d {
                self.report(x.with_note(format!("note: `{}` mentions a type that this input redefines", n)));
            }
        }
    }

    /// The types written in a trait's method signatures and associated type defaults resolve
    /// (E003), whether or not anything implements the trait; `Self`, the trait's generic
    /// parameters and associated types, and each method's own generics are opaque there.
    pub fn check_trait_sigs(&mut self, t: &ast::Trait) {
        let mut g: Vec<(String, T)> = t.generics.iter().map(|p| (p.name.name.clone(), T::Param(p.name.name.clone()))).collect();
        g.extend(t.assoc_types.iter().map(|a| (a.name.name.clone(), T::Param(a.name.name.clone()))));
        let st = T::Param("Self".into());
        let mut d = vec![];
        for a in &t.assoc_types {
            if let Some(ty) = &a.default {
                self.env.resolve(ty, &g, Some(&st), &mut d);
            }
        }
        for m in &t.methods {
            let mut gm = g.clone();
            gm.extend(m.generics.iter().map(|p| (p.name.name.clone(), T::Param(p.name.name.clone()))));
            for p in &m.params {
                if let ast::Param::Named { ty, .. } = p {
                    self.env.resolve(ty, &gm, Some(&st), &mut d);
                }
            }
            if let Some(r) = &m.ret {
                self.env.resolve(r, &gm, Some(&st), &mut d);
            }
        }
        d.into_iter().for_each(|x| self.report(x));
    }

    /// Check the type declarations just registered (names of aliases, and of structs and
    /// enums). Declarations they mention may be older (REPL).
    pub fn check_type_decls(&mut self, aliases: &[String], types: &[String]) {
        self.check_alias_cycles(aliases);
        for a in aliases {
            let Some(decl) = self.env.aliases.get(a) else { continue };
            if decl.cyclic {
                continue;
            }
            let g: Vec<(String, T)> = decl.generics.iter().map(|p| (p.clone(), T::Param(p.clone()))).collect();
            let mut d = vec![];
            self.env.resolve(&decl.ty, &g, None, &mut d);
            d.into_iter().for_each(|x| self.report(x));
        }
        // Resolved once: errors reported here, types kept for the recursion check.
        let mut fields: HashMap<String, Vec<(T, Span)>> = HashMap::default();
        for n in types {
            let mut d = vec![];
            fields.insert(n.clone(), self.env.field_types_reporting(n, &mut d));
            d.into_iter().for_each(|x| self.report(x));
        }
        self.check_infinite_types(types, fields);
    }

    /// E018 for every alias on a cycle reachable from `aliases`; those are marked `cyclic`.
    fn check_alias_cycles(&mut self, aliases: &[String]) {
        let mut mark: HashMap<String, Mark> = HashMap::default();
        let mut cycles: Vec<Vec<String>> = vec![];
        for a in aliases {
            if !mark.contains_key(a) {
                let mut path = vec![];
                self.alias_dfs(a, &mut mark, &mut path, &mut cycles);
            }
        }
        for cycle in cycles {
            // `cycle` is [x, ..., x]; report at every alias on it, each naming the cycle from
            // itself.
            let ring = &cycle[..cycle.len() - 1];
            for i in 0..ring.len() {
                let mut path: Vec<String> = ring[i..].iter().chain(&ring[..i]).cloned().collect();
                path.push(ring[i].clone());
                let Some(decl) = self.env.aliases.get_mut(&ring[i]) else { continue };
                decl.cyclic = true;
                let span = decl.span;
                self.report(errors::alias_cycle(&ring[i], &path, span));
            }
        }
    }

    fn alias_dfs(&self, a: &str, mark: &mut HashMap<String, Mark>, path: &mut Vec<String>, cycles: &mut Vec<Vec<String>>) {
        mark.insert(a.to_string(), Mark::OnPath);
        path.push(a.to_string());
        for b in self.env.alias_edges(a) {
            match mark.get(&b) {
                Some(Mark::OnPath) => {
                    let from = path.iter().rposition(|x| *x == b).unwrap_or(0);
                    let mut c: Vec<String> = path[from..].to_vec();
                    c.push(b);
                    cycles.push(c);
                }
                Some(Mark::Done) => {}
                None => self.alias_dfs(&b, mark, path, cycles),
            }
        }
        path.pop();
        mark.insert(a.to_string(), Mark::Done);
    }

    /// E019 for every by-value cycle of structs and enums reachable from `types`.
    /// `fields`: the resolved field types of (some of) the types, to reuse.
    fn check_infinite_types(&mut self, types: &[String], mut fields: HashMap<String, Vec<(T, Span)>>) {
        let mut memo: HashMap<String, Vec<bool>> = HashMap::default();
        let mut mark: HashMap<String, Mark> = HashMap::default();
        let mut found: Vec<(Vec<String>, Span)> = vec![];
        for n in types {
            if !mark.contains_key(n) {
                let mut path = vec![];
                self.type_dfs(n, &mut fields, &mut memo, &mut mark, &mut path, &mut found);
            }
        }
        let mut reported: HashSet<String> = HashSet::default();
        for (cycle, at) in found {
            let n = &cycle[0];
            if !reported.insert(n.clone()) {
                continue;
            }
            let span = match (self.env.structs.get(n), self.env.enums.get(n)) {
                (Some(s), _) => s.span,
                (_, Some(e)) => e.span,
                _ => at,
            };
            self.report(errors::infinite_type(n, &cycle, span, at));
            self.infinite_reported = true;
        }
    }

    fn type_dfs(
        &self,
        n: &str,
        fields: &mut HashMap<String, Vec<(T, Span)>>,
        memo: &mut HashMap<String, Vec<bool>>,
        mark: &mut HashMap<String, Mark>,
        path: &mut Vec<String>,
        found: &mut Vec<(Vec<String>, Span)>,
    ) {
        mark.insert(n.to_string(), Mark::OnPath);
        path.push(n.to_string());
        let fts = fields.remove(n).unwrap_or_else(|| self.env.field_types(n));
        for (t, span) in fts {
            let mut held: Vec<String> = vec![];
            self.env.by_value(&t, memo, &mut |x| {
                if let T::Struct(m, _) | T::Enum(m, _) = x {
                    held.push(m.clone());
                }
            });
            for m in held {
                match mark.get(&m) {
                    Some(Mark::OnPath) => {
                        let from = path.iter().rposition(|x| *x == m).unwrap_or(0);
                        let mut c: Vec<String> = path[from..].to_vec();
                        c.push(m);
                        found.push((c, span));
                    }
                    Some(Mark::Done) => {}
                    None => self.type_dfs(&m, fields, memo, mark, path, found),
                }
            }
        }
        path.pop();
        mark.insert(n.to_string(), Mark::Done);
    }
}
