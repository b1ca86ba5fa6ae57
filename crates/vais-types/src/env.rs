//! Declarations known to the checker (the result of pass 1 of §1.4) and the resolution of
//! written types (`ast::Type`) to internal types.

use std::collections::HashMap;

use vais_ast::ast::{self, Function, PrimType, TypeKind, VariantKind};
use vais_ast::{Diagnostic, Span};
use vais_tir::{ExternId, IntTy};

use crate::errors;
use crate::journal::{JMap, JVec, VecSave};
use crate::ty::T;

/// A function's AST, shared (not copied) between clones of its declaration. `check_program_owned`
/// moves each function's body out of the module into it (`Ctx::take_bodies`); REPL inputs,
/// `check_program(&Module)` and trait default methods pay one copy per function.
#[derive(Clone)]
pub struct FnAst(pub std::sync::Arc<Function>);

impl std::ops::Deref for FnAst {
    type Target = Function;
    fn deref(&self) -> &Function {
        &self.0
    }
}

impl std::fmt::Debug for FnAst {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

#[derive(Clone, Debug)]
pub struct FnDecl {
    /// Display name: `sq`, `Counter.tick`.
    pub name: String,
    pub ast: FnAst,
    /// The struct a method belongs to.
    pub owner: Option<String>,
    pub owner_generics: Vec<String>,
    /// Trait bounds of the owner's generic parameters (from the type's declaration and the
    /// impl block's header), parallel to `owner_generics`.
    pub owner_bounds: Vec<Vec<String>>,
    /// Has a `&self` receiver.
    pub instance: bool,
    /// REPL: set when a dependency was redefined and this no longer checks.
    pub broken: Option<String>,
    /// REPL: replaced by a newer definition.
    pub dead: bool,
}

impl FnDecl {
    /// All generic parameter names, owner's first.
    pub fn all_generics(&self) -> Vec<String> {
        let mut g = self.owner_generics.clone();
        g.extend(self.ast.generics.iter().map(|p| p.name.name.clone()));
        g
    }

    /// The trait bounds of every generic parameter (owner's first), by name.
    pub fn all_bounds(&self) -> Vec<(String, Vec<String>)> {
        let mut b: Vec<(String, Vec<String>)> = self.owner_generics.iter().cloned().zip(self.owner_bounds.iter().cloned()).collect();
        b.extend(self.ast.generics.iter().map(|g| (g.name.name.clone(), g.bounds.iter().map(|x| x.name.clone()).collect())));
        b
    }
}

#[derive(Clone, Debug)]
#[allow(dead_code)]
pub struct StructDecl {
    pub name: String,
    pub generics: Vec<String>,
    /// Trait bounds written on the generic parameters (`S Map<K: Hash, V>`), parallel to
    /// `generics`.
    pub bounds: Vec<Vec<String>>,
    pub fields: Vec<(String, ast::Type)>,
    /// Field name -> index, for structs of more than 16 fields (see [`StructDecl::field_index`]).
    pub field_map: HashMap<String, usize>,
    pub methods: HashMap<String, usize>,
    pub traits: Vec<String>,
    pub span: Span,
}

impl StructDecl {
    /// The map for [`StructDecl::field_map`]: empty for a small struct (a scan is faster).
    pub fn field_map_of(fields: &[(String, ast::Type)]) -> HashMap<String, usize> {
        if fields.len() <= 16 {
            return HashMap::new();
        }
        let mut m = HashMap::with_capacity(fields.len());
        for (i, (n, _)) in fields.iter().enumerate() {
            m.entry(n.clone()).or_insert(i);
        }
        m
    }

    /// Index of the (first) field named `name`: one lookup per field access or literal field,
    /// not a scan (a 100,000-field struct made that quadratic).
    pub fn field_index(&self, name: &str) -> Option<usize> {
        if self.fields.len() <= 16 {
            self.fields.iter().position(|(n, _)| n == name)
        } else {
            self.field_map.get(name).copied()
        }
    }
}

#[derive(Clone, Debug)]
#[allow(dead_code)]
pub struct EnumDecl {
    pub name: String,
    pub generics: Vec<String>,
    /// Trait bounds written on the generic parameters, parallel to `generics`.
    pub bounds: Vec<Vec<String>>,
    pub variants: Vec<(String, VariantKind)>,
    /// Methods (from `X Name { .. }` blocks, extensions decision 16), as for structs.
    pub methods: HashMap<String, usize>,
    pub traits: Vec<String>,
    pub span: Span,
}

/// `T Name<P..> = Type`: the written right-hand side, resolved at each use with the alias's
/// generic parameters bound to the use's arguments.
#[derive(Clone, Debug)]
pub struct AliasDecl {
    pub generics: Vec<String>,
    pub ty: ast::Type,
    pub span: Span,
    /// Part of (or leads into) an alias cycle, already reported (E018): resolves to the error
    /// type without a further message.
    pub cyclic: bool,
}

#[derive(Clone, Debug)]
#[allow(dead_code)]
pub struct TraitDecl {
    pub name: String,
    pub methods: Vec<Function>,
    /// `W Fancy: Shape + Other`: a bound `T: Fancy` also offers `Shape`'s methods.
    pub supers: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ConstVal {
    Int(i128),
    Float(f64),
    Bool(bool),
    Str(Vec<u8>),
}

#[derive(Clone, Debug, Default)]
pub struct Env {
    pub structs: JMap<String, std::sync::Arc<StructDecl>>,
    pub enums: JMap<String, std::sync::Arc<EnumDecl>>,
    pub traits: JMap<String, TraitDecl>,
    pub aliases: JMap<String, AliasDecl>,
    pub fns: JVec<FnDecl>,
    pub free_fns: JMap<String, usize>,
    pub consts: JMap<String, (T, ConstVal)>,
    pub externs: JMap<String, ExternId>,
    /// Variant name -> (enum name, index).
    pub variants: JMap<String, (String, usize)>,
}

impl Env {
    pub fn begin(&mut self) {
        self.structs.begin();
        self.enums.begin();
        self.traits.begin();
        self.aliases.begin();
        self.fns.begin();
        self.free_fns.begin();
        self.consts.begin();
        self.externs.begin();
        self.variants.begin();
    }

    pub fn commit(&mut self) {
        self.structs.commit();
        self.enums.commit();
        self.traits.commit();
        self.aliases.commit();
        self.fns.commit();
        self.free_fns.commit();
        self.consts.commit();
        self.externs.commit();
        self.variants.commit();
    }

    pub fn savepoint(&mut self) -> (Vec<usize>, VecSave) {
        let m = vec![
            self.structs.savepoint(),
            self.enums.savepoint(),
            self.traits.savepoint(),
            self.aliases.savepoint(),
            self.free_fns.savepoint(),
            self.consts.savepoint(),
            self.externs.savepoint(),
            self.variants.savepoint(),
        ];
        (m, self.fns.savepoint())
    }

    pub fn rollback_to(&mut self, sp: (Vec<usize>, VecSave)) {
        let m = sp.0;
        self.structs.rollback_to(m[0]);
        self.enums.rollback_to(m[1]);
        self.traits.rollback_to(m[2]);
        self.aliases.rollback_to(m[3]);
        self.free_fns.rollback_to(m[4]);
        self.consts.rollback_to(m[5]);
        self.externs.rollback_to(m[6]);
        self.variants.rollback_to(m[7]);
        self.fns.rollback_to(sp.1);
    }

    pub fn release(&mut self, sp: (Vec<usize>, VecSave)) {
        self.fns.release(sp.1);
    }

    pub fn rollback(&mut self) {
        self.structs.rollback();
        self.enums.rollback();
        self.traits.rollback();
        self.aliases.rollback();
        self.fns.rollback();
        self.free_fns.rollback();
        self.consts.rollback();
        self.externs.rollback();
        self.variants.rollback();
    }
}

impl Env {
    /// The methods of struct or enum `n` (extensions decision 16: enums have methods too).
    pub fn type_methods(&self, n: &str) -> Option<&HashMap<String, usize>> {
        match self.structs.get(n) {
            Some(s) => Some(&s.methods),
            None => self.enums.get(n).map(|e| &e.methods),
        }
    }

    /// The method table of struct or enum `n`, for adding to it.
    pub fn type_methods_mut(&mut self, n: &str) -> Option<&mut HashMap<String, usize>> {
        if self.structs.contains_key(n) {
            return self.structs.get_mut(n).map(|s| &mut std::sync::Arc::make_mut(s).methods);
        }
        self.enums.get_mut(n).map(|e| &mut std::sync::Arc::make_mut(e).methods)
    }

    /// The traits struct or enum `n` implements.
    pub fn type_traits(&self, n: &str) -> &[String] {
        match (self.structs.get(n), self.enums.get(n)) {
            (Some(s), _) => &s.traits,
            (_, Some(e)) => &e.traits,
            _ => &[],
        }
    }

    /// Trait `n` and its super-traits, transitively (each once; unknown names left out).
    pub fn trait_closure(&self, n: &str) -> Vec<String> {
        let mut out: Vec<String> = vec![];
        let mut todo = vec![n.to_string()];
        while let Some(t) = todo.pop() {
            if out.contains(&t) {
                continue;
            }
            if let Some(td) = self.traits.get(&t) {
                todo.extend(td.supers.iter().rev().cloned());
                out.push(t);
            }
        }
        out
    }

    /// The trait bounds declared on the generic parameters of struct or enum `n`.
    pub fn type_bounds(&self, n: &str) -> Vec<Vec<String>> {
        match (self.structs.get(n), self.enums.get(n)) {
            (Some(s), _) => s.bounds.clone(),
            (_, Some(e)) => e.bounds.clone(),
            _ => vec![],
        }
    }

    /// The generic parameters of struct or enum `n`.
    pub fn type_generics(&self, n: &str) -> Option<&[String]> {
        match self.structs.get(n) {
            Some(s) => Some(&s.generics),
            None => self.enums.get(n).map(|e| &e.generics[..]),
        }
    }

    /// The type `Self` of a method of `owner` (a struct or an enum) with these arguments.
    pub fn owner_t(&self, owner: &str, args: Vec<T>) -> T {
        if let Some(p) = PrimType::from_name(owner) {
            return prim(p); // methods of a built-in type (`X i64: Hash { .. }`)
        }
        if self.enums.contains_key(owner) && !self.structs.contains_key(owner) {
            T::Enum(owner.to_string(), args)
        } else {
            T::Struct(owner.to_string(), args)
        }
    }
}

pub fn prim(p: PrimType) -> T {
    match p {
        PrimType::I8 => T::Int(IntTy::I8),
        PrimType::I16 => T::Int(IntTy::I16),
        PrimType::I32 => T::Int(IntTy::I32),
        PrimType::I64 => T::Int(IntTy::I64),
        PrimType::I128 => T::Int(IntTy::I128),
        PrimType::U8 => T::Int(IntTy::U8),
        PrimType::U16 => T::Int(IntTy::U16),
        PrimType::U32 => T::Int(IntTy::U32),
        PrimType::U64 => T::Int(IntTy::U64),
        PrimType::U128 => T::Int(IntTy::U128),
        PrimType::F32 => T::F32,
        PrimType::F64 => T::F64,
        PrimType::Bool => T::Bool,
        PrimType::Str => T::Str,
    }
}

/// Alias expansions nested inside one another beyond which resolution stops (a cycle the
/// registration check did not see; never reached by an accepted program).
const MAX_ALIAS_HOPS: u32 = 4096;

impl Env {
    /// Resolve a written type. `generics` maps generic parameter names in scope; `self_ty` is
    /// what `Self` means here. Every `T::Err` in the result comes with an error in `diags`,
    /// or stands for an error reported earlier (a cyclic alias, E018).
    pub fn resolve(&self, ty: &ast::Type, generics: &[(String, T)], self_ty: Option<&T>, diags: &mut Vec<Diagnostic>) -> T {
        self.resolve_in(ty, generics, self_ty, diags, 0)
    }

    /// `hops`: alias expansions this type is nested in. Structural nesting is bounded by the
    /// parser's nesting limit.
    fn resolve_in(&self, ty: &ast::Type, g: &[(String, T)], st: Option<&T>, d: &mut Vec<Diagnostic>, hops: u32) -> T {
        let mut r = |t: &ast::Type| self.resolve_in(t, g, st, d, hops);
        match &ty.kind {
            TypeKind::Unit => T::Unit,
            TypeKind::Prim(p) => prim(*p),
            TypeKind::SelfType => match st {
                Some(t) => t.clone(),
                None => {
                    d.push(errors::invalid("`Self` is only meaningful inside an impl or struct", ty.span));
                    T::Err
                }
            },
            TypeKind::Tuple(ts) => T::Tuple(ts.iter().map(&mut r).collect()),
            TypeKind::Fn { params, ret } => {
                let ps = params.iter().map(&mut r).collect();
                T::Fn(ps, Box::new(r(ret)))
            }
            TypeKind::Array(t) => T::Array(Box::new(r(t))),
            TypeKind::Map(k, v) => {
                let k = r(k);
                T::Map(Box::new(k), Box::new(r(v)))
            }
            TypeKind::Pointer(t) => T::Ptr(Box::new(r(t))),
            TypeKind::Ref { inner, .. } => T::Ref(Box::new(r(inner))),
            TypeKind::Optional(t) | TypeKind::Result(t) => T::Optional(Box::new(r(t))),
            TypeKind::Named { name, args } => {
                let n = name.name.as_str();
                if let Some((_, t)) = g.iter().find(|(k, _)| k == n) {
                    if !args.is_empty() {
                        d.push(errors::type_args(n, 0, args.len(), name.span).with_note("note: a generic parameter takes no type arguments"));
                    }
                    return t.clone();
                }
                let args: Vec<T> = args.iter().map(&mut r).collect();
                if let Some(s) = self.structs.get(n) {
                    return T::Struct(n.to_string(), fit_args(n, args, s.generics.len(), name.span, d));
                }
                if let Some(e) = self.enums.get(n) {
                    return T::Enum(n.to_string(), fit_args(n, args, e.generics.len(), name.span, d));
                }
                if let Some(a) = self.aliases.get(n) {
                    if a.cyclic {
                        return T::Err;
                    }
                    if hops >= MAX_ALIAS_HOPS {
                        d.push(errors::alias_too_deep(n, name.span));
                        return T::Err;
                    }
                    let args = fit_args(n, args, a.generics.len(), name.span, d);
                    let sub: Vec<(String, T)> = a.generics.iter().cloned().zip(args).collect();
                    return self.resolve_in(&a.ty, &sub, None, d, hops + 1);
                }
                if n == "Range" {
                    // `Range<T>` (extensions decision 19), unless a user type has the name.
                    let mut args = fit_args(n, args, 1, name.span, d);
                    let t = args.pop().unwrap_or(T::Err);
                    if !matches!(t, T::Int(_) | T::Err | T::Param(_) | T::Var(_)) {
                        d.push(errors::range_misuse(format!("`Range<{}>`: a range's bounds must be integers", crate::ty::show(&t)), ty.span).with_label("not an integer type"));
                        return T::Err;
                    }
                    return T::Range(Box::new(t));
                }
                let cands: Vec<&str> = self
                    .structs
                    .keys()
                    .chain(self.enums.keys())
                    .chain(self.aliases.keys())
                    .map(|s| s.as_str())
                    .chain(g.iter().map(|(k, _)| k.as_str()))
                    .collect();
                d.push(errors::undefined_type(n, name.span, cands));
                T::Err
            }
        }
    }
}

/// The type arguments of a use of generic type `name` with `n` parameters: a missing or extra
/// argument is an error, and the missing ones are error types.
fn fit_args(name: &str, mut args: Vec<T>, n: usize, span: Span, d: &mut Vec<Diagnostic>) -> Vec<T> {
    if args.len() != n {
        d.push(errors::type_args(name, n, args.len(), span));
        args.resize(n, T::Err);
    }
    args
}
