//! `M` expressions and patterns (§8): the unit-variant rule, or-patterns binding the same
//! locals, guards, and a simple non-exhaustiveness warning (E010).

use std::collections::HashMap;

use vais_ast::ast::{self, PatternKind as P};
use vais_ast::Span;
use vais_tir::*;

use crate::check::Fc;
use crate::errors;
use crate::ty::{self, T};

/// Names bound by the first alternative of an or-pattern, reused by the others.
type Binds = Option<HashMap<String, LocalId>>;

impl<'c> Fc<'c> {
    pub fn match_expr(&mut self, scrutinee: &ast::Expr, arms: &[ast::MatchArm], span: Span) -> Expr {
        let s = self.expr(scrutinee);
        // `M self { .. }` in a method of an enum: matching sees through one level of `&`, as
        // field access and method calls do.
        let (s, st) = self.auto_deref(s);
        let mut out = vec![];
        let mut result: Option<T> = None;
        let mut covers: Vec<Pattern> = vec![];
        for arm in arms {
            self.push_scope();
            let mut alts = vec![];
            let mut first: HashMap<String, LocalId> = HashMap::new();
            for (i, p) in arm.patterns.iter().enumerate() {
                if i == 0 {
                    let mut b = Some(HashMap::new());
                    alts.push(self.pattern(p, &st, &mut b, true));
                    first = b.unwrap_or_default();
                } else {
                    let mut b = Some(first.clone());
                    alts.push(self.pattern(p, &st, &mut b, false));
                }
            }
            let pat = if alts.len() == 1 {
                alts.pop().expect("one")
            } else {
                let ty = self.out(st.clone());
                Pattern { kind: PatternKind::Or(alts), ty, span: arm.span }
            };
            let guard = arm.guard.as_ref().map(|g| {
                let x = self.expr(g);
                self.coerce_ctx(x, &T::Bool, Some("a match guard must be `bool`"))
            });
            let body = self.expr(&arm.body);
            let body = match &result {
                None => {
                    let bt = self.t(&body);
                    if !matches!(self.sh(&bt), T::Never) {
                        result = Some(bt);
                    }
                    body
                }
                Some(rt) => {
                    let rt = rt.clone();
                    self.coerce_ctx(body, &rt, Some("all match arms must have compatible types"))
                }
            };
            self.pop_scope();
            if guard.is_none() {
                covers.push(pat.clone());
            }
            out.push(Arm { pattern: pat, guard, body });
        }
        let t = match result {
            Some(t) => t,
            None if arms.is_empty() => T::Unit,
            None => T::Never,
        };
        if !arms.is_empty() {
            if let Some(missing) = self.missing(&st, &covers) {
                self.err(errors::non_exhaustive(&missing, span));
            }
        }
        self.mk(ExprKind::Match { scrutinee: Box::new(s), arms: out }, t, span)
    }

    fn bind(&mut self, name: &str, t: &T, span: Span, binds: &mut Binds, first: bool) -> LocalId {
        let b = binds.get_or_insert_with(HashMap::new);
        if !first {
            if let Some(id) = b.get(name).copied() {
                let lt = self.frames.last().map(|f| f.local_t[id.index()].clone()).unwrap_or(T::Err);
                let same = self.inf.unify(&lt, t) && {
                    let (a, b) = (self.inf.zonk(&lt), self.inf.zonk(t));
                    a == b || !matches!((&a, &b), (T::Int(_), T::Int(_)))
                };
                if !same {
                    let (a, b) = (self.show(&lt), self.show(t));
                    self.err(errors::mismatch_ctx(&a, &b, span, "every alternative must bind this name with the same type"));
                }
                return id;
            }
            self.err(errors::invalid(format!("`{}` is not bound in the first alternative of this pattern", name), span));
        }
        let id = self.new_local(name, t.clone(), false, span);
        binds.get_or_insert_with(HashMap::new).insert(name.to_string(), id);
        id
    }

    pub fn pattern(&mut self, p: &ast::Pattern, t: &T, binds: &mut Binds, first: bool) -> Pattern {
        let span = p.span;
        let kind = match &p.kind {
            P::Wildcard => PatternKind::Wildcard,
            P::Ident(n) => {
                if let Some((en, idx)) = self.unit_variant_for(n, t) {
                    let ng = self.cx.env.enums.get(&en).map(|e| e.generics.len()).unwrap_or(0);
                    let args: Vec<T> = (0..ng).map(|_| self.inf.fresh()).collect();
                    let et = T::Enum(en.clone(), args);
                    self.check_pat_ty(&et, t, span);
                    return self.variant_pattern(et, idx, vec![], span);
                }
                PatternKind::Bind(self.bind(n, t, span, binds, first))
            }
            P::Variant { name, args } => {
                let Some((en, idx)) = self.cx.env.variants.get(&name.name).cloned() else {
                    let c: Vec<String> = self.cx.env.variants.keys().cloned().collect();
                    self.err(errors::undefined_var(&name.name, name.span, c.iter().map(|s| s.as_str())));
                    for a in args {
                        self.pattern(a, &T::Err, binds, first);
                    }
                    return Pattern { kind: PatternKind::Wildcard, ty: self.out(t.clone()), span };
                };
                let Some(ed) = self.cx.env.enums.get(&en).cloned().filter(|e| idx < e.variants.len()) else {
                    return Pattern { kind: PatternKind::Wildcard, ty: self.out(t.clone()), span };
                };
                // The matched value's own arguments when it is known to be this enum: a fresh
                // variable unified with a generic parameter (in the one-off check of a generic
                // body) would stay unbound, and the payload's type unknown.
                let targs: Vec<T> = match self.sh(t) {
                    T::Enum(n, a) if n == en && a.len() == ed.generics.len() => a,
                    _ => ed.generics.iter().map(|_| self.inf.fresh()).collect(),
                };
                let sub: Vec<(String, T)> = ed.generics.iter().cloned().zip(targs.iter().cloned()).collect();
                let et = T::Enum(en.clone(), targs);
                self.check_pat_ty(&et, t, span);
                let tys: Vec<ast::Type> = match &ed.variants[idx].1 {
                    ast::VariantKind::Unit => vec![],
                    ast::VariantKind::Tuple(ts) => ts.clone(),
                    ast::VariantKind::Struct(fs) => fs.iter().map(|f| f.ty.clone()).collect(),
                };
                if tys.len() != args.len() {
                    self.err(errors::arg_count(&name.name, tys.len(), args.len(), span));
                }
                let mut subs = vec![];
                for (i, a) in args.iter().enumerate() {
                    let pt = match tys.get(i) {
                        Some(ty) => {
                            let mut d = vec![];
                            self.cx.env.resolve(ty, &sub, None, &mut d)
                        }
                        None => T::Err,
                    };
                    subs.push(self.pattern(a, &pt, binds, first));
                }
                return self.variant_pattern(et, idx, subs, span);
            }
            P::Int(v) => {
                self.int_pat(t, span);
                PatternKind::Int(*v as i128)
            }
            P::Range { lo, hi, inclusive } => {
                self.int_pat(t, span);
                PatternKind::Range { lo: *lo as i128, hi: *hi as i128, inclusive: *inclusive }
            }
            P::Bool(b) => {
                self.check_pat_ty(&T::Bool, t, span);
                PatternKind::Bool(*b)
            }
            P::Str(s) => {
                self.check_pat_ty(&T::Str, t, span);
                PatternKind::Str(s.clone())
            }
            P::Tuple(ps) if ps.is_empty() => {
                // `()`: the one value of the unit type.
                self.check_pat_ty(&T::Unit, t, span);
                PatternKind::Wildcard
            }
            P::Tuple(ps) => {
                let elems: Vec<T> = match self.sh(t) {
                    T::Tuple(ts) if ts.len() == ps.len() => ts,
                    _ => {
                        let ts: Vec<T> = ps.iter().map(|_| self.inf.fresh()).collect();
                        self.check_pat_ty(&T::Tuple(ts.clone()), t, span);
                        ts
                    }
                };
                PatternKind::Tuple(ps.iter().zip(elems).map(|(p, et)| self.pattern(p, &et, binds, first)).collect())
            }
        };
        let ty = self.out(t.clone());
        Pattern { kind, ty, span }
    }

    fn variant_pattern(&mut self, et: T, idx: usize, args: Vec<Pattern>, span: Span) -> Pattern {
        let ty = self.out(et);
        let Ty::Struct(StructId(k)) = ty else { unreachable!() };
        Pattern { kind: PatternKind::Variant { enum_id: EnumId(k), variant: idx as u32, args }, ty, span }
    }

    fn check_pat_ty(&mut self, pat_t: &T, scrut: &T, span: Span) {
        if !self.inf.unify(scrut, pat_t) {
            let (a, b) = (self.show(scrut), self.show(pat_t));
            self.err(errors::mismatch_ctx(&a, &b, span, "the pattern must match the type of the matched value"));
        }
    }

    fn int_pat(&mut self, t: &T, span: Span) {
        match self.sh(t) {
            T::Int(_) | T::Err | T::Param(_) | T::Never => {}
            T::Var(_) => {
                self.inf.unify(t, &ty::I64);
            }
            other => {
                let s = self.show(&other);
                self.err(errors::mismatch_ctx(&s, "integer", span, "an integer pattern needs an integer value"));
            }
        }
    }

    /// The unit-variant rule (§8.2).
    fn unit_variant_for(&self, n: &str, t: &T) -> Option<(String, usize)> {
        if let T::Enum(en, _) = self.sh(t) {
            let ed = self.cx.env.enums.get(&en)?;
            let unit = |i: usize| ed.variants.get(i).filter(|(v, k)| v == n && matches!(k, ast::VariantKind::Unit)).is_some();
            // The global variant table names the index directly (one lookup per pattern, not a
            // scan of the variants: a 100,000-arm match over a 100,000-variant enum).
            if let Some((e2, i)) = self.cx.env.variants.get(n) {
                if *e2 == en {
                    return unit(*i).then_some((en, *i));
                }
            }
            if let Some(i) = ed.variants.iter().position(|(v, k)| v == n && matches!(k, ast::VariantKind::Unit)) {
                return Some((en, i));
            }
            return None;
        }
        let (en, i) = self.cx.env.variants.get(n)?;
        let ed = self.cx.env.enums.get(en)?;
        if ed.variants.get(*i).is_some_and(|v| matches!(v.1, ast::VariantKind::Unit)) {
            Some((en.clone(), *i))
        } else {
            None
        }
    }

    /// A description of what is not covered, for simple cases (enums, bools, others without a
    /// catch-all).
    fn missing(&self, t: &T, covers: &[Pattern]) -> Option<String> {
        fn irrefutable(p: &Pattern) -> bool {
            match &p.kind {
                PatternKind::Wildcard | PatternKind::Bind(_) => true,
                PatternKind::Tuple(ps) => ps.iter().all(irrefutable),
                PatternKind::Or(ps) => ps.iter().any(irrefutable),
                _ => false,
            }
        }
        fn collect<'p>(p: &'p Pattern, out: &mut Vec<&'p Pattern>) {
            if let PatternKind::Or(ps) = &p.kind {
                ps.iter().for_each(|q| collect(q, out));
            } else {
                out.push(p);
            }
        }
        if covers.iter().any(irrefutable) {
            return None;
        }
        let mut flat = vec![];
        covers.iter().for_each(|p| collect(p, &mut flat));
        match self.sh(t) {
            T::Enum(en, _) => {
                let ed = self.cx.env.enums.get(&en)?;
                let mut covered = vec![false; ed.variants.len()];
                for p in &flat {
                    if let PatternKind::Variant { variant, args, .. } = &p.kind {
                        if args.iter().all(irrefutable) {
                            if let Some(c) = covered.get_mut(*variant as usize) {
                                *c = true;
                            }
                        }
                    }
                }
                let missing: Vec<&str> =
                    ed.variants.iter().zip(&covered).filter(|(_, c)| !**c).map(|((n, _), _)| n.as_str()).collect();
                if missing.is_empty() {
                    None
                } else {
                    Some(missing.iter().map(|m| format!("`{}`", m)).collect::<Vec<_>>().join(", "))
                }
            }
            T::Bool => {
                let has = |b: bool| flat.iter().any(|p| matches!(p.kind, PatternKind::Bool(x) if x == b));
                match (has(true), has(false)) {
                    (true, true) => None,
                    (true, false) => Some("`false`".into()),
                    (false, true) => Some("`true`".into()),
                    _ => Some("`true`, `false`".into()),
                }
            }
            T::Err | T::Param(_) | T::Var(_) | T::Never => None,
            T::Tuple(_) => None,
            _ => Some("`_`".into()),
        }
    }
}
