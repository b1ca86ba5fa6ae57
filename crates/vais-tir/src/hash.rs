//! A stable content hash of a TIR function: the key a cache of compiled code can trust.
//!
//! Two functions hash alike exactly when they would compile to the same code against the
//! same symbols, whatever session or program they come from:
//! - ids local to one program (`FuncId`, `StructId`, `EnumId`, `GlobalId`, `ExternId`) never
//!   enter the hash. A callee is named by its definition as seen from the call site: its name
//!   and its signature (its body may change without changing this function's code, since calls
//!   go through its symbol). A struct or enum is named by its name and its full layout
//!   (field and payload types, recursively; a type met again while it is being hashed, through
//!   a pointer, is written as a back-reference to its depth). Session variables and externs by
//!   name and type.
//! - `LocalId`s are per function and stable, so they are hashed as they are.
//! - Spans are left out: moving a function in its file does not change its code. (Metadata
//!   that carries source positions must be keyed or relocated separately.)
//!
//! The hasher is FNV-1a-like over 128 bits, a 64-bit word at a time with a fold after each
//! multiply (a measured cost of the compiled-code cache: byte-at-a-time FNV made the keys of a
//! warm `vaisc run` cost more than linking the cached code), written here so the value never
//! depends on the Rust version or on a random seed; every variable-length part is length-prefixed and every node
//! writes a distinct tag, so the encoding is unambiguous.

use crate::*;

/// A 128-bit content hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContentHash(pub u128);

impl std::fmt::Display for ContentHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

/// The hash of function `id` of `p` (see the module comment for what it covers).
pub fn function(p: &Program, id: FuncId) -> ContentHash {
    let mut h = Hasher::new(p);
    h.func_def(p.func(id));
    ContentHash(h.state.0)
}

/// The hash of a type's layout-relevant content (name and fields, recursively).
pub fn ty(p: &Program, t: &Ty) -> ContentHash {
    let mut h = Hasher::new(p);
    h.ty(t);
    ContentHash(h.state.0)
}

/// The FNV-1a/128 offset basis: the usual starting state of a [`Mix`].
pub const FNV_OFFSET: u128 = 0x6c62272e07bb014262b821756295c58d;
const FNV_PRIME: u128 = 0x0000000001000000000000000000013b;

/// The 128-bit mixing state of the content hash, also used for other keys (the JIT's cache):
/// FNV's prime, a 64-bit word at a time.
#[derive(Clone, Copy, Debug)]
pub struct Mix(pub u128);

impl Mix {
    /// Mixes in one 64-bit word: xor, multiply by the FNV prime, and fold the high half down
    /// (each step is a bijection of the state, so inputs that differ in one word never
    /// collide; the fold spreads high bits into low ones, which the multiply alone does not).
    pub fn word(&mut self, w: u64) {
        self.0 ^= w as u128;
        self.0 = self.0.wrapping_mul(FNV_PRIME);
        self.0 ^= self.0 >> 59;
    }

    /// Bytes eight at a time (the last word zero-padded; callers prefix variable-length parts
    /// with their length).
    pub fn bytes(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            self.word(u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.word(u64::from_le_bytes(w));
        }
    }

    pub fn u32(&mut self, v: u32) {
        self.word(v as u64)
    }

    /// Two 32-bit values as one word.
    pub fn pair(&mut self, a: u32, b: u32) {
        self.word(a as u64 | (b as u64) << 32)
    }
}

struct Hasher<'a> {
    p: &'a Program,
    state: Mix,
    /// Structs and enums being hashed (outermost first), for back-references.
    open: Vec<Ty>,
}

impl<'a> Hasher<'a> {
    fn new(p: &'a Program) -> Self {
        Hasher { p, state: Mix(FNV_OFFSET), open: Vec::new() }
    }

    fn word(&mut self, w: u64) {
        self.state.word(w);
    }

    fn bytes(&mut self, bytes: &[u8]) {
        self.state.bytes(bytes);
    }

    fn tag(&mut self, t: u8) {
        self.word(t as u64);
    }

    fn u64(&mut self, v: u64) {
        self.word(v);
    }

    fn len(&mut self, n: usize) {
        self.u64(n as u64);
    }

    fn str(&mut self, s: &str) {
        self.len(s.len());
        self.bytes(s.as_bytes());
    }

    fn bool(&mut self, b: bool) {
        self.tag(b as u8);
    }

    fn func_def(&mut self, f: &FuncDef) {
        self.str(&f.name);
        match f.kind {
            FuncKind::Free => self.tag(0),
            FuncKind::Method { of, instance } => {
                self.tag(1);
                self.ty(&Ty::Struct(of));
                self.bool(instance);
            }
            FuncKind::Lambda => self.tag(2),
            FuncKind::ReplEntry => self.tag(3),
        }
        self.bool(f.is_async);
        self.len(f.locals.len());
        for l in &f.locals {
            self.str(&l.name);
            self.ty(&l.ty);
            self.bool(l.mutable);
        }
        self.len(f.params.len());
        f.params.iter().for_each(|l| self.u64(l.0 as u64));
        self.len(f.captures.len());
        f.captures.iter().for_each(|l| self.u64(l.0 as u64));
        self.ty(&f.ret);
        self.expr(&f.body);
    }

    /// A callee as the caller sees it: name and signature.
    fn callee(&mut self, id: FuncId) {
        let f = self.p.func(id);
        self.str(&f.name);
        self.bool(f.is_async);
        let params = f.param_types();
        self.len(params.len());
        params.iter().for_each(|t| self.ty(t));
        self.ty(&f.ret);
        // A lambda's code reads its captures from the environment the caller builds.
        self.len(f.captures.len());
        for c in &f.captures {
            let ty = f.local(*c).ty.clone();
            self.ty(&ty);
        }
    }

    fn ty(&mut self, t: &Ty) {
        match t {
            Ty::Int(i) => {
                self.tag(1);
                self.str(i.name());
            }
            Ty::F32 => self.tag(2),
            Ty::F64 => self.tag(3),
            Ty::Bool => self.tag(4),
            Ty::Str => self.tag(5),
            Ty::Unit => self.tag(6),
            Ty::Never => self.tag(7),
            Ty::Ptr(x) => self.wrap(8, x),
            Ty::Ref(x) => self.wrap(9, x),
            Ty::Array(x) => self.wrap(10, x),
            Ty::Map(k, v) => {
                self.tag(11);
                self.ty(k);
                self.ty(v);
            }
            Ty::Tuple(ts) => {
                self.tag(12);
                self.len(ts.len());
                ts.iter().for_each(|t| self.ty(t));
            }
            Ty::Fn(ps, r) => {
                self.tag(13);
                self.len(ps.len());
                ps.iter().for_each(|t| self.ty(t));
                self.ty(r);
            }
            Ty::Struct(_) | Ty::Enum(_) => self.nominal(t),
            Ty::Future(x) => self.wrap(16, x),
            Ty::Range(x) => self.wrap(17, x),
            Ty::Optional(x) => self.wrap(18, x),
        }
    }

    fn wrap(&mut self, tag: u8, inner: &Ty) {
        self.tag(tag);
        self.ty(inner);
    }

    fn nominal(&mut self, t: &Ty) {
        if let Some(depth) = self.open.iter().position(|o| o == t) {
            self.tag(19);
            self.len(depth);
            return;
        }
        self.open.push(t.clone());
        match t {
            Ty::Struct(s) => {
                let def = self.p.struct_def(*s);
                self.tag(14);
                self.str(&def.name);
                self.len(def.fields.len());
                for f in &def.fields {
                    self.str(&f.name);
                    self.ty(&f.ty);
                }
            }
            Ty::Enum(e) => {
                let def = self.p.enum_def(*e);
                self.tag(15);
                self.str(&def.name);
                self.len(def.variants.len());
                for v in &def.variants {
                    self.str(&v.name);
                    self.len(v.fields.len());
                    v.fields.iter().for_each(|t| self.ty(t));
                    self.len(v.field_names.len());
                    v.field_names.iter().for_each(|n| self.str(n));
                }
            }
            _ => unreachable!("nominal types are structs and enums"),
        }
        self.open.pop();
    }

    fn expr(&mut self, root: &Expr) {
        // Without recursion: a node's own data, then (through the walk) its children.
        visit::preorder(root, |e| self.node(e));
    }

    fn node(&mut self, e: &Expr) {
        self.ty(&e.ty);
        match &e.kind {
            ExprKind::Int(v) => {
                self.tag(1);
                self.bytes(&v.to_le_bytes());
            }
            ExprKind::Float(v) => {
                self.tag(2);
                self.u64(v.to_bits());
            }
            ExprKind::Bool(b) => {
                self.tag(3);
                self.bool(*b);
            }
            ExprKind::Str(s) => {
                self.tag(4);
                self.len(s.len());
                self.bytes(s);
            }
            ExprKind::Unit => self.tag(5),
            ExprKind::Local(l) => {
                self.tag(6);
                self.u64(l.0 as u64);
            }
            ExprKind::Global(g) => {
                self.tag(7);
                let def = &self.p.globals[g.index()];
                self.str(&def.name);
                self.ty(&def.ty);
                self.bool(def.mutable);
            }
            ExprKind::FuncRef(f) => {
                self.tag(8);
                self.callee(*f);
            }
            ExprKind::Tuple(es) => self.count(9, es.len()),
            ExprKind::Array(es) => self.count(10, es.len()),
            ExprKind::StructLit { fields, .. } => {
                // The struct itself is in the node's type.
                self.tag(11);
                self.len(fields.len());
                fields.iter().for_each(|(i, _)| self.u64(*i as u64));
            }
            ExprKind::Variant { variant, args, .. } => {
                self.tag(12);
                self.u64(*variant as u64);
                self.len(args.len());
            }
            ExprKind::Block(b) => {
                self.tag(13);
                self.len(b.stmts.len());
                for s in &b.stmts {
                    match s {
                        Stmt::Let { local, .. } => {
                            self.tag(1);
                            self.u64(local.0 as u64);
                        }
                        Stmt::Expr(_) => self.tag(2),
                    }
                }
                self.bool(b.value.is_some());
            }
            ExprKind::If { else_expr, .. } => {
                self.tag(14);
                self.bool(else_expr.is_some());
            }
            ExprKind::Loop { kind, .. } => {
                self.tag(15);
                match kind {
                    LoopKind::Infinite => self.tag(0),
                    LoopKind::While(_) => self.tag(1),
                    LoopKind::Recursion(_) => self.tag(3),
                    LoopKind::Range { var, inclusive, .. } => {
                        self.tag(2);
                        self.u64(var.map_or(u64::MAX, |v| v.0 as u64));
                        self.bool(*inclusive);
                    }
                }
            }
            ExprKind::Break(v) => {
                self.tag(16);
                self.bool(v.is_some());
            }
            ExprKind::Continue => self.tag(17),
            ExprKind::Return(v) => {
                self.tag(18);
                self.bool(v.is_some());
            }
            ExprKind::Match { arms, .. } => {
                self.tag(19);
                self.len(arms.len());
                for a in arms {
                    self.pattern(&a.pattern);
                    self.bool(a.guard.is_some());
                }
            }
            ExprKind::Unary { op, .. } => {
                self.tag(20);
                self.tag(*op as u8);
            }
            ExprKind::Binary { op, .. } => {
                self.tag(21);
                self.str(op.symbol());
            }
            ExprKind::Cast(_) => self.tag(22),
            ExprKind::Call { callee, args } => {
                self.tag(23);
                match callee {
                    Callee::Func(f) => {
                        self.tag(0);
                        self.callee(*f);
                    }
                    Callee::Builtin(b) => {
                        self.tag(1);
                        self.str(b.name());
                    }
                    Callee::Extern(x) => {
                        let def = &self.p.externs[x.index()];
                        self.tag(2);
                        self.str(&def.name);
                        self.len(def.params.len());
                        def.params.iter().for_each(|t| self.ty(t));
                        self.bool(def.variadic);
                        self.ty(&def.ret);
                    }
                    Callee::Value(_) => self.tag(3),
                }
                self.len(args.len());
            }
            ExprKind::Field { index, .. } => {
                self.tag(24);
                self.u64(*index as u64);
            }
            ExprKind::Index { .. } => self.tag(25),
            ExprKind::Slice { start, inclusive, .. } => {
                self.tag(26);
                self.bool(start.is_some());
                self.bool(*inclusive);
            }
            ExprKind::Deref(_) => self.tag(27),
            ExprKind::AddrOf(_) => self.tag(28),
            ExprKind::Assign { .. } => self.tag(29),
            ExprKind::CompoundAssign { op, .. } => {
                self.tag(30);
                self.str(op.symbol());
            }
            ExprKind::Closure { func, captures } => {
                self.tag(31);
                self.callee(*func);
                self.len(captures.len());
            }
            ExprKind::MakeFuture { func, args } => {
                self.tag(32);
                self.callee(*func);
                self.len(args.len());
            }
            ExprKind::Await(_) => self.tag(33),
            ExprKind::Unwrap(_) => self.tag(34),
            ExprKind::Inlined { func, args, .. } => {
                self.tag(35);
                self.callee(*func);
                self.len(args.len());
            }
        }
    }

    fn count(&mut self, tag: u8, n: usize) {
        self.tag(tag);
        self.len(n);
    }

    fn pattern(&mut self, root: &Pattern) {
        visit::pattern_preorder(root, |q| {
            self.ty(&q.ty);
            match &q.kind {
                PatternKind::Wildcard => self.tag(1),
                PatternKind::Bind(l) => {
                    self.tag(2);
                    self.u64(l.0 as u64);
                }
                PatternKind::Int(v) => {
                    self.tag(3);
                    self.bytes(&v.to_le_bytes());
                }
                PatternKind::Range { lo, hi, inclusive } => {
                    self.tag(4);
                    self.bytes(&lo.to_le_bytes());
                    self.bytes(&hi.to_le_bytes());
                    self.bool(*inclusive);
                }
                PatternKind::Bool(b) => {
                    self.tag(5);
                    self.bool(*b);
                }
                PatternKind::Str(s) => {
                    self.tag(6);
                    self.len(s.len());
                    self.bytes(s);
                }
                PatternKind::Variant { variant, args, .. } => {
                    self.tag(7);
                    self.u64(*variant as u64);
                    self.len(args.len());
                }
                PatternKind::Tuple(ps) => self.count(8, ps.len()),
                PatternKind::Or(ps) => self.count(9, ps.len()),
            }
        });
    }
}
