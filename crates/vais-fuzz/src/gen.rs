//! The grammar-based generator of well-typed Vais programs: integers of every width and
//! signedness (with the checker's implicit conversions made explicit), bool, f64, structs with
//! methods, enums and `M`, bounded loops (range, conditional, infinite with `B`), bounded
//! recursion through a depth parameter, closures and function values, arrays, constants and
//! output through `print_i64`/`print_f64`/`printf`/`putchar`/`puts`.
//!
//! Termination is by construction (loop trip counts are literals, recursion decreases a
//! depth parameter that callers pass as a small literal) and enforced by the evaluator's fuel.

use crate::prog::*;
use crate::rng::Rng;

/// Generator options.
#[derive(Clone, Debug, Default)]
pub struct Opts {
    /// Also generate shapes that hit known open compiler bugs (see crates/vais-fuzz/FINDINGS.md).
    pub known_bugs: bool,
}

#[derive(Clone, Debug)]
pub struct Local {
    pub name: String,
    pub ty: Ty,
    pub mutable: bool,
    /// Length of an array local (known at generation).
    pub len: usize,
}

#[derive(Clone, Debug, Default)]
struct Ctx {
    /// Index of the function being generated (for `@`), when it is recursive.
    self_fn: Option<usize>,
    self_calls: u32,
    ret: Option<Ty>,
    loops: u32,
    in_lambda: bool,
    /// Scopes below this index belong to the enclosing function of a lambda (captured by
    /// value: not assignable from the lambda).
    lambda_base: usize,
    calls: u32,
    nodes: u32,
    /// No calls, prints or statements: the body of a loop the back end may unroll.
    pure: bool,
}

pub struct Gen {
    pub rng: Rng,
    pub opts: Opts,
    pub p: Program,
    pub scopes: Vec<Vec<Local>>,
    names: usize,
    /// Functions an expression may call (indices into `p.fns`), and which ones take a
    /// leading depth parameter.
    pub callable: Vec<usize>,
    pub recursive: Vec<bool>,
    /// Structs whose methods may be called.
    pub methods_ready: bool,
    /// `scopes[0]` holds REPL session variables: a closure reads those live, not as a copy
    /// (crates/vais-fuzz/FINDINGS.md F3), so closures do not see the ones that can change (mutable, or
    /// structs) unless `known_bugs`.
    pub global_scope: bool,
    cx: Ctx,
}

const FLOATS: [f64; 10] = [0.0, 0.5, 1.0, 1.5, 2.25, 3.0, 10.125, 100.0, 0.375, 7.75];

impl Gen {
    pub fn new(seed: u64, opts: Opts) -> Gen {
        Gen {
            rng: Rng::new(seed),
            opts,
            p: Program::default(),
            scopes: vec![],
            names: 0,
            callable: vec![],
            recursive: vec![],
            methods_ready: true,
            global_scope: false,
            cx: Ctx::default(),
        }
    }

    pub fn fresh(&mut self, prefix: &str) -> String {
        self.names += 1;
        format!("{prefix}{}", self.names)
    }

    // ----- types ------------------------------------------------------------------------

    pub fn int_ty(&mut self) -> IT {
        if self.rng.chance(2, 5) {
            IT::I64
        } else {
            *self.rng.pick(&ALL_INTS)
        }
    }

    /// A type for a local, parameter, field or result.
    pub fn value_ty(&mut self, allow_fn: bool) -> Ty {
        loop {
            let t = match self.rng.below(20) {
                0..=10 => Ty::Int(self.int_ty()),
                11 | 12 => Ty::Bool,
                13 if self.rng.chance(1, 3) => self.tuple_ty(),
                13 | 14 => Ty::F64,
                15 | 16 if !self.p.structs.is_empty() => Ty::Struct(self.rng.below(self.p.structs.len())),
                17 | 18 if !self.p.enums.is_empty() => Ty::Enum(self.rng.below(self.p.enums.len())),
                19 if allow_fn => {
                    let n = self.rng.range(1, 2) as usize;
                    let ps = (0..n).map(|_| Ty::Int(self.int_ty())).collect();
                    let r = if self.rng.chance(3, 4) { Ty::Int(self.int_ty()) } else { Ty::Bool };
                    Ty::Fn(ps, Box::new(r))
                }
                _ => continue,
            };
            return t;
        }
    }

    pub fn scalar_ty(&mut self) -> Ty {
        match self.rng.below(6) {
            0 => Ty::Bool,
            1 => Ty::F64,
            _ => Ty::Int(self.int_ty()),
        }
    }

    pub fn tuple_ty(&mut self) -> Ty {
        let n = self.rng.range(2, 3) as usize;
        Ty::Tuple((0..n).map(|_| self.scalar_ty()).collect())
    }

    // ----- scopes -----------------------------------------------------------------------

    pub fn push(&mut self) {
        self.scopes.push(vec![]);
    }
    pub fn pop(&mut self) {
        self.scopes.pop();
    }
    pub fn declare(&mut self, name: &str, ty: Ty, mutable: bool, len: usize) {
        self.scopes.last_mut().unwrap().push(Local { name: name.into(), ty, mutable, len });
    }
    fn locals(&self) -> Vec<Local> {
        // Later declarations shadow earlier ones.
        let mut out: Vec<Local> = vec![];
        for s in self.scopes.iter().rev() {
            for l in s.iter().rev() {
                if !out.iter().any(|o| o.name == l.name) {
                    out.push(l.clone());
                }
            }
        }
        out
    }
    fn local_expr(name: &str) -> Expr {
        if name == "self" {
            Expr::SelfValue
        } else {
            Expr::Var(name.into())
        }
    }

    /// Readable places of exactly type `ty`: locals and fields of struct locals.
    fn readable(&self, ty: &Ty) -> Vec<Expr> {
        let mut out = vec![];
        for l in self.locals() {
            if self.cx.in_lambda && matches!(l.ty, Ty::Arr(_)) {
                continue;
            }
            let base = Self::local_expr(&l.name);
            if let (Ty::Struct(st), "self") = (&l.ty, l.name.as_str()) {
                // `self` is a `&S`: only its fields are values of the struct's field types.
                for (i, (n, ft)) in self.p.structs[*st].fields.iter().enumerate() {
                    self.collect_fields(Expr::Field(Box::new(base.clone()), i, n.clone()), ft, ty, 1, &mut out);
                }
                continue;
            }
            self.collect_fields(base, &l.ty, ty, 2, &mut out);
        }
        out
    }
    fn collect_fields(&self, base: Expr, bt: &Ty, want: &Ty, depth: u32, out: &mut Vec<Expr>) {
        if bt == want {
            out.push(base.clone());
        }
        if let (Ty::Struct(s), true) = (bt, depth > 0) {
            for (i, (n, ft)) in self.p.structs[*s].fields.iter().enumerate() {
                self.collect_fields(Expr::Field(Box::new(base.clone()), i, n.clone()), ft, want, depth - 1, out);
            }
        }
    }

    // ----- literals ---------------------------------------------------------------------

    /// An i64-typed literal expression with value `v`.
    pub fn lit_i64(v: i64) -> Expr {
        if v >= 0 {
            Expr::Int(v)
        } else if v == i64::MIN {
            Expr::Bin(
                Bin::Sub,
                Box::new(Expr::Bin(Bin::Sub, Box::new(Expr::Int(0)), Box::new(Expr::Int(i64::MAX)))),
                Box::new(Expr::Int(1)),
            )
        } else {
            Expr::Bin(Bin::Sub, Box::new(Expr::Int(0)), Box::new(Expr::Int(-v)))
        }
    }

    /// An interesting value in `t`'s range.
    pub fn int_val(&mut self, t: IT) -> i128 {
        let (lo, hi) = (t.min(), t.max());
        match self.rng.below(10) {
            0 => lo,
            1 => hi,
            2 => *self.rng.pick(&[0, 1, -1, 2, 127, 128, 255, 256, 32767, 65535, 1 << 31, (1 << 32) - 1]),
            3 => lo + self.rng.range(0, 3) as i128,
            4 => hi - self.rng.range(0, 3) as i128,
            5 => (self.rng.next_u64() as i128).rem_euclid(hi - lo + 1) + lo,
            _ => self.rng.range(-20, 100) as i128,
        }
    }

    /// An expression of exactly type `t` holding a literal value (a block with an annotated
    /// `let` for the narrow types).
    pub fn int_leaf(&mut self, t: IT) -> Expr {
        let v = t.wrap(self.int_val(t));
        let lit = Self::lit_i64(v as i64);
        if t == IT::I64 {
            return lit;
        }
        let n = self.fresh("t");
        Expr::Block(Box::new(Block {
            stmts: vec![Stmt::Let { name: n.clone(), mutable: false, ann: Some(Ty::Int(t)), value: Expr::Conv(Box::new(lit), t) }],
            value: Some(Expr::Var(n)),
        }))
    }

    fn float_lit(&mut self) -> Expr {
        let f = *self.rng.pick(&FLOATS);
        if self.rng.chance(1, 4) {
            Expr::Float(-f)
        } else {
            Expr::Float(f)
        }
    }

    /// The value of a literal as the checker sees one (`5`, `-5`, `(-5)`).
    fn literal_value(e: &Expr) -> Option<i128> {
        match e {
            Expr::Int(v) => Some(*v as i128),
            Expr::Neg(x) => match **x {
                Expr::Int(v) => Some(-(v as i128)),
                _ => None,
            },
            _ => None,
        }
    }

    /// Whether a literal in a value position of `e` (`e` itself, a block's value, a branch of
    /// `I`/`E` or `?:`, an arm) is out of `to`'s range: the checker gives such a literal the
    /// type of the context (Extensions decision 13), so it would be E028.
    fn literal_out_of(e: &Expr, to: IT) -> bool {
        let block = |b: &Block| b.value.as_ref().is_some_and(|v| Self::literal_out_of(v, to));
        match e {
            Expr::Block(b) => block(b),
            Expr::If(_, a, b) => block(a) || block(b),
            Expr::Ternary(_, a, b) => Self::literal_out_of(a, to) || Self::literal_out_of(b, to),
            Expr::Match(_, arms) => arms.iter().any(|a| Self::literal_out_of(&a.body, to)),
            // An implicit conversion is no boundary: the context reaches the literal.
            Expr::Conv(x, _) => Self::literal_out_of(x, to),
            e => matches!(Self::literal_value(e), Some(v) if v < to.min() || v > to.max()),
        }
    }

    pub fn conv(e: Expr, from: IT, to: IT) -> Expr {
        if from == to {
            e
        } else if Self::literal_out_of(&e, to) {
            // A literal out of the target's range is an error (Extensions decision 13): the
            // truncation is written as a cast.
            Expr::Cast(Box::new(e), Ty::Int(to))
        } else {
            Expr::Conv(Box::new(e), to)
        }
    }

    // ----- expressions ------------------------------------------------------------------

    /// Any integer expression; returns it and its type.
    pub fn ex_int(&mut self, d: u32) -> (Expr, IT) {
        let t = self.int_ty();
        (self.ex(&Ty::Int(t), d), t)
    }

    /// An integer expression converted to `t`.
    pub fn ex_to(&mut self, t: IT, d: u32) -> Expr {
        if self.rng.chance(2, 3) {
            self.ex(&Ty::Int(t), d)
        } else {
            let (e, from) = self.ex_int(d);
            Self::conv(e, from, t)
        }
    }

    /// A value for a slot of type `ty` (implicit conversion for integers).
    pub fn ex_for(&mut self, ty: &Ty, d: u32) -> Expr {
        match ty {
            Ty::Int(t) => self.ex_to(*t, d),
            _ => self.ex(ty, d),
        }
    }

    fn leaf(&mut self, ty: &Ty) -> Expr {
        let places = self.readable(ty);
        if !places.is_empty() && self.rng.chance(3, 4) {
            return self.rng.pick(&places).clone();
        }
        match ty {
            Ty::Int(t) => {
                let cs: Vec<String> = self.p.consts.iter().filter(|c| c.ty == *t).map(|c| c.name.clone()).collect();
                if !cs.is_empty() && self.rng.chance(1, 3) {
                    return Expr::Const(self.rng.pick(&cs).clone());
                }
                self.int_leaf(*t)
            }
            Ty::Bool => Expr::Bool(self.rng.chance(1, 2)),
            Ty::F64 => self.float_lit(),
            Ty::Unit => Expr::Block(Box::default()),
            Ty::Struct(s) => {
                let fs: Vec<Ty> = self.p.structs[*s].fields.iter().map(|f| f.1.clone()).collect();
                let vals = fs.iter().map(|t| self.leaf(t)).collect();
                Expr::StructLit(*s, vals)
            }
            Ty::Enum(e) => {
                let v = self.rng.below(self.p.enums[*e].variants.len());
                let ts = self.p.enums[*e].variants[v].1.clone();
                let vals = ts.iter().map(|t| self.leaf(t)).collect();
                Expr::Variant(*e, v, vals)
            }
            Ty::Fn(ps, r) => {
                // A matching function, else a lambda.
                let fs: Vec<usize> = self
                    .callable
                    .iter()
                    .copied()
                    .filter(|&f| {
                        let fd = &self.p.fns[f];
                        !self.recursive[f]
                            && !self.p.async_fns.contains(&fd.name)
                            && fd.ret == **r
                            && fd.params.iter().map(|p| &p.1).eq(ps.iter())
                    })
                    .collect();
                if !fs.is_empty() && self.rng.chance(1, 2) {
                    return Expr::FnRef(self.p.fns[*self.rng.pick(&fs)].name.clone());
                }
                self.lambda(ps, r, 1)
            }
            Ty::Tuple(ts) => {
                let ts = ts.clone();
                Expr::Tuple(ts.iter().map(|t| self.leaf(t)).collect())
            }
            Ty::Arr(et) => {
                // A fresh array literal (it lives as long as the current call).
                let et = (**et).clone();
                let first = self.leaf(&et);
                let rest = self.leaf_for(&et);
                Expr::Array(vec![first, rest])
            }
        }
    }

    fn leaf_for(&mut self, ty: &Ty) -> Expr {
        match ty {
            Ty::Int(t) => {
                let f = self.int_ty();
                let e = self.leaf(&Ty::Int(f));
                Self::conv(e, f, *t)
            }
            _ => self.leaf(ty),
        }
    }

    fn lambda(&mut self, ps: &[Ty], r: &Ty, d: u32) -> Expr {
        // In the REPL a lambda's references to functions outlive a redefinition of the
        // function holding it (crates/vais-fuzz/FINDINGS.md F4): there, lambdas call no named function.
        let saved_callable = if self.global_scope && !self.opts.known_bugs { Some(std::mem::take(&mut self.callable)) } else { None };
        let e = self.lambda_inner(ps, r, d);
        if let Some(c) = saved_callable {
            self.callable = c;
        }
        e
    }

    fn lambda_inner(&mut self, ps: &[Ty], r: &Ty, d: u32) -> Expr {
        let saved = std::mem::take(&mut self.cx);
        self.cx.in_lambda = true;
        self.cx.lambda_base = self.scopes.len();
        self.cx.calls = saved.calls;
        self.push();
        let mut params = vec![];
        for t in ps {
            let n = self.fresh("a");
            self.declare(&n, t.clone(), false, 0);
            params.push((n, t.clone()));
        }
        let body = self.ex(r, d);
        self.pop();
        let calls = self.cx.calls;
        self.cx = saved;
        self.cx.calls = calls;
        Expr::Lambda(params, Box::new(body))
    }

    fn args_for(&mut self, params: &[(String, Ty)], rec: bool, d: u32) -> Vec<Expr> {
        params
            .iter()
            .enumerate()
            .map(|(i, (_, t))| if rec && i == 0 { Expr::Int(self.rng.range(0, 3)) } else { self.ex_for(t, d) })
            .collect()
    }

    /// Starts a fresh top-level context (a REPL input).
    pub fn reset_ctx(&mut self) {
        self.cx = Ctx::default();
    }

    /// An expression of exactly type `ty`.
    pub fn ex(&mut self, ty: &Ty, d: u32) -> Expr {
        self.cx.nodes += 1;
        if d == 0 || self.cx.nodes > 400 || self.rng.chance(1, 5) {
            return self.leaf(ty);
        }
        for _ in 0..8 {
            if let Some(e) = self.try_ex(ty, d) {
                return e;
            }
        }
        self.leaf(ty)
    }

    fn try_ex(&mut self, ty: &Ty, d: u32) -> Option<Expr> {
        let d1 = d - 1;
        let choice = self.rng.below(16);
        // Forms valid at every type.
        match choice {
            0 => {
                let c = self.ex(&Ty::Bool, d1);
                let t = self.ex(ty, d1);
                let f = self.ex_for(ty, d1);
                return Some(Expr::Ternary(Box::new(c), Box::new(t), Box::new(f)));
            }
            1 => {
                let c = self.ex(&Ty::Bool, d1);
                let t = self.block_expr(ty, d1, false);
                let f = self.block_expr(ty, d1, true);
                return Some(Expr::If(Box::new(c), Box::new(t), Box::new(f)));
            }
            2 => {
                // A call of a function returning `ty`.
                if self.cx.calls >= 4 || self.cx.pure {
                    return None;
                }
                let fs: Vec<usize> = self.callable.iter().copied().filter(|&f| self.p.fns[f].ret == *ty).collect();
                if fs.is_empty() {
                    return None;
                }
                let f = *self.rng.pick(&fs);
                self.cx.calls += 1;
                let params = self.p.fns[f].params.clone();
                let args = self.args_for(&params, self.recursive[f], d1);
                let call = Expr::Call(self.p.fns[f].name.clone(), args);
                return Some(if self.p.async_fns.contains(&self.p.fns[f].name) { Expr::Await(Box::new(call)) } else { call });
            }
            3 => {
                let sf = self.cx.self_fn?;
                if self.cx.self_calls >= 2 || self.cx.in_lambda || self.cx.pure || self.p.fns[sf].ret != *ty {
                    return None;
                }
                self.cx.self_calls += 1;
                let params = self.p.fns[sf].params.clone();
                let mut args = vec![Expr::Bin(Bin::Sub, Box::new(Expr::Var(params[0].0.clone())), Box::new(Expr::Int(1)))];
                for (_, t) in &params[1..] {
                    args.push(self.ex_for(t, d1));
                }
                return Some(Expr::SelfCall(args));
            }
            4 => return self.match_expr(ty, d1),
            5 => {
                // Calling a function-typed local.
                if self.cx.pure {
                    return None;
                }
                let cands: Vec<Local> =
                    self.locals().into_iter().filter(|l| matches!(&l.ty, Ty::Fn(_, r) if **r == *ty)).collect();
                if cands.is_empty() {
                    return None;
                }
                let l = self.rng.pick(&cands).clone();
                let Ty::Fn(ps, _) = &l.ty else { unreachable!() };
                let args = ps.iter().map(|t| self.ex_for(t, d1)).collect();
                return Some(Expr::CallVal(l.name, args));
            }
            6 => {
                // Indexing an array local (not from a closure, which may outlive the array).
                if self.cx.in_lambda {
                    return None;
                }
                let cands: Vec<Local> =
                    self.locals().into_iter().filter(|l| matches!(&l.ty, Ty::Arr(e) if **e == *ty)).collect();
                if cands.is_empty() {
                    return None;
                }
                let l = self.rng.pick(&cands).clone();
                let idx = self.index_for(l.len, d1);
                return Some(Expr::Index(Box::new(Expr::Var(l.name)), Box::new(idx)));
            }
            7 => {
                // A method call on a struct place (not from a closure: it would write to
                // the closure's captured copy).
                if !self.methods_ready || self.cx.in_lambda || self.cx.pure {
                    return None;
                }
                let mut cands = vec![];
                for (si, s) in self.p.structs.iter().enumerate() {
                    for (mi, m) in s.methods.iter().enumerate() {
                        if m.ret == *ty {
                            cands.push((si, mi));
                        }
                    }
                }
                if cands.is_empty() {
                    return None;
                }
                let (si, mi) = *self.rng.pick(&cands);
                let recvs = self.readable(&Ty::Struct(si));
                if recvs.is_empty() {
                    return None;
                }
                let r = self.rng.pick(&recvs).clone();
                let params = self.p.structs[si].methods[mi].params.clone();
                let args = params.iter().map(|(_, t)| self.ex_for(t, d1)).collect();
                return Some(Expr::Method(Box::new(r), si, mi, args));
            }
            8 => {
                let b = self.block_expr(ty, d1, false);
                return Some(Expr::Block(Box::new(b)));
            }
            9 if self.p.generics => {
                // The generic helpers, instantiated at `ty`.
                return Some(if self.rng.chance(1, 2) {
                    Expr::Call("gid".into(), vec![self.ex(ty, d1)])
                } else {
                    let c = self.ex(&Ty::Bool, d1);
                    Expr::Call("gpick".into(), vec![c, self.ex(ty, d1), self.ex(ty, d1)])
                });
            }
            _ => {}
        }
        match ty {
            Ty::Int(t) => {
                let t = *t;
                Some(match self.rng.below(9) {
                    // `e as T` from another integer type, a float or a bool.
                    7 | 8 => {
                        let x = match self.rng.below(5) {
                            0..=2 => self.ex_int(d1).0,
                            3 => self.ex(&Ty::F64, d1),
                            _ => self.ex(&Ty::Bool, d1),
                        };
                        Expr::Cast(Box::new(x), Ty::Int(t))
                    }
                    0..=3 => {
                        let ops = [Bin::Add, Bin::Sub, Bin::Mul, Bin::Div, Bin::Rem, Bin::And, Bin::Or, Bin::Xor, Bin::Shl, Bin::Shr];
                        let op = *self.rng.pick(&ops);
                        let l = self.ex(&Ty::Int(t), d1);
                        let (mut r, rt) = self.ex_int(d1);
                        if matches!(op, Bin::Div | Bin::Rem) && self.rng.chance(9, 10) {
                            r = Expr::Bin(Bin::Or, Box::new(r), Box::new(Self::conv(Expr::Int(1), IT::I64, rt)));
                        }
                        Expr::Bin(op, Box::new(l), Box::new(Self::conv(r, rt, t)))
                    }
                    4 => Expr::Neg(Box::new(self.ex(&Ty::Int(t), d1))),
                    5 => Expr::BitNot(Box::new(self.ex(&Ty::Int(t), d1))),
                    _ => {
                        // A field of a struct-valued expression.
                        let mut cands = vec![];
                        for (si, s) in self.p.structs.iter().enumerate() {
                            for (fi, (n, ft)) in s.fields.iter().enumerate() {
                                if *ft == Ty::Int(t) {
                                    cands.push((si, fi, n.clone()));
                                }
                            }
                        }
                        if cands.is_empty() {
                            return None;
                        }
                        let (si, fi, n) = self.rng.pick(&cands).clone();
                        let b = self.ex(&Ty::Struct(si), d1);
                        Expr::Field(Box::new(b), fi, n)
                    }
                })
            }
            Ty::Bool => Some(match self.rng.below(8) {
                0..=2 => {
                    let ops = [Bin::Lt, Bin::Le, Bin::Gt, Bin::Ge, Bin::Eq, Bin::Ne];
                    let op = *self.rng.pick(&ops);
                    let (l, lt) = self.ex_int(d1);
                    let r = self.ex_to(lt, d1);
                    Expr::Bin(op, Box::new(l), Box::new(r))
                }
                3 => {
                    let ops = [Bin::Lt, Bin::Le, Bin::Gt, Bin::Ge, Bin::Eq, Bin::Ne];
                    let op = *self.rng.pick(&ops);
                    let l = self.ex(&Ty::F64, d1);
                    let r = self.ex(&Ty::F64, d1);
                    Expr::Bin(op, Box::new(l), Box::new(r))
                }
                4 | 5 => {
                    let op = if self.rng.chance(1, 2) { Bin::LAnd } else { Bin::LOr };
                    let l = self.ex(&Ty::Bool, d1);
                    let r = self.ex(&Ty::Bool, d1);
                    Expr::Bin(op, Box::new(l), Box::new(r))
                }
                6 => Expr::Not(Box::new(self.ex(&Ty::Bool, d1))),
                _ => {
                    let op = if self.rng.chance(1, 2) { Bin::Eq } else { Bin::Ne };
                    let l = self.ex(&Ty::Bool, d1);
                    let r = self.ex(&Ty::Bool, d1);
                    Expr::Bin(op, Box::new(l), Box::new(r))
                }
            }),
            Ty::F64 => Some(match self.rng.below(5) {
                0..=2 => {
                    let op = *self.rng.pick(&[Bin::Add, Bin::Sub, Bin::Mul, Bin::Div, Bin::Add, Bin::Mul, Bin::Rem]);
                    let l = self.ex(&Ty::F64, d1);
                    let r = self.ex(&Ty::F64, d1);
                    Expr::Bin(op, Box::new(l), Box::new(r))
                }
                3 => Expr::Neg(Box::new(self.ex(&Ty::F64, d1))),
                4 if self.rng.chance(1, 2) => Expr::Cast(Box::new(self.ex_int(d1).0), Ty::F64),
                _ => return None,
            }),
            Ty::Struct(s) => {
                let fs: Vec<Ty> = self.p.structs[*s].fields.iter().map(|f| f.1.clone()).collect();
                let vals = fs.iter().map(|t| self.ex_for(t, d1)).collect();
                Some(Expr::StructLit(*s, vals))
            }
            Ty::Enum(e) => {
                let v = self.rng.below(self.p.enums[*e].variants.len());
                let ts = self.p.enums[*e].variants[v].1.clone();
                let vals = ts.iter().map(|t| self.ex_for(t, d1)).collect();
                Some(Expr::Variant(*e, v, vals))
            }
            Ty::Fn(ps, r) => Some(self.lambda(ps, r, d1.min(2))),
            Ty::Tuple(ts) => {
                let ts = ts.clone();
                Some(Expr::Tuple(ts.iter().map(|t| self.ex(t, d1)).collect()))
            }
            _ => None,
        }
    }

    fn index_for(&mut self, len: usize, d: u32) -> Expr {
        if self.rng.chance(1, 2) || len < 2 {
            Expr::Int(self.rng.below(len) as i64)
        } else {
            let (e, t) = self.ex_int(d.min(1));
            Expr::Bin(Bin::And, Box::new(e), Box::new(Self::conv(Expr::Int(1), IT::I64, t)))
        }
    }

    /// A block `{ stmts; value }` whose value has type `ty` (`coerce`: any int is fine).
    fn block_expr(&mut self, ty: &Ty, d: u32, coerce: bool) -> Block {
        self.push();
        let n = if self.rng.chance(1, 3) && !self.cx.pure { self.rng.range(1, 2) as usize } else { 0 };
        let mut stmts = vec![];
        for _ in 0..n {
            self.stmt(&mut stmts, d.min(2));
        }
        let value = if coerce { self.ex_for(ty, d) } else { self.ex(ty, d) };
        self.pop();
        Block { stmts, value: Some(value) }
    }

    fn match_expr(&mut self, ty: &Ty, d: u32) -> Option<Expr> {
        let mut arms = vec![];
        let exhaustive = !self.rng.chance(1, 25);
        let scrut;
        match self.rng.below(3) {
            0 => {
                let (s, st) = self.ex_int(d);
                scrut = s;
                let maxv = st.max().min(300) as i64;
                let n = self.rng.range(1, 3);
                for _ in 0..n {
                    let pat = match self.rng.below(5) {
                        0 | 1 => vec![Pat::Int(self.rng.range(0, maxv))],
                        2 => {
                            let a = self.rng.range(0, maxv);
                            let b = self.rng.range(a, maxv);
                            if b > a && self.rng.chance(1, 2) {
                                vec![Pat::Range(a, b, false)]
                            } else {
                                vec![Pat::Range(a, b, true)]
                            }
                        }
                        3 => vec![Pat::Int(self.rng.range(0, maxv)), Pat::Int(self.rng.range(0, maxv))],
                        _ => {
                            let x = self.fresh("x");
                            self.push();
                            self.declare(&x, Ty::Int(st), false, 0);
                            let (g, gt) = self.ex_int(1);
                            let guard = Expr::Bin(Bin::Gt, Box::new(Expr::Var(x.clone())), Box::new(Self::conv(g, gt, st)));
                            let body = self.arm_body(ty, d, arms.is_empty());
                            self.pop();
                            arms.push(Arm { pats: vec![Pat::Bind(x)], guard: Some(guard), body });
                            continue;
                        }
                    };
                    self.push();
                    let body = self.arm_body(ty, d, arms.is_empty());
                    self.pop();
                    arms.push(Arm { pats: pat, guard: None, body });
                }
                if exhaustive {
                    self.push();
                    let pat = if self.rng.chance(1, 2) {
                        Pat::Wild
                    } else {
                        let x = self.fresh("x");
                        self.declare(&x, Ty::Int(st), false, 0);
                        Pat::Bind(x)
                    };
                    let body = self.arm_body(ty, d, arms.is_empty());
                    self.pop();
                    arms.push(Arm { pats: vec![pat], guard: None, body });
                }
            }
            1 if !self.p.enums.is_empty() => {
                let e = self.rng.below(self.p.enums.len());
                scrut = self.ex(&Ty::Enum(e), d);
                let variants = self.p.enums[e].variants.clone();
                let mut order: Vec<usize> = (0..variants.len()).collect();
                for i in (1..order.len()).rev() {
                    let j = self.rng.below(i + 1);
                    order.swap(i, j);
                }
                let mut covered = true;
                for v in order {
                    if self.rng.chance(1, 6) {
                        covered = false;
                        continue;
                    }
                    self.push();
                    let mut pats = vec![];
                    for t in &variants[v].1 {
                        if self.rng.chance(1, 4) {
                            pats.push(Pat::Wild);
                        } else {
                            let x = self.fresh("x");
                            self.declare(&x, t.clone(), false, 0);
                            pats.push(Pat::Bind(x));
                        }
                    }
                    let guard = if self.rng.chance(1, 6) {
                        covered = false;
                        Some(self.ex(&Ty::Bool, 1))
                    } else {
                        None
                    };
                    let body = self.arm_body(ty, d, arms.is_empty());
                    self.pop();
                    arms.push(Arm { pats: vec![Pat::Variant(e, v, pats)], guard, body });
                }
                if !covered && exhaustive {
                    self.push();
                    let body = self.arm_body(ty, d, arms.is_empty());
                    self.pop();
                    arms.push(Arm { pats: vec![Pat::Wild], guard: None, body });
                }
            }
            2 if self.rng.chance(1, 2) => {
                let tt = self.tuple_ty();
                let Ty::Tuple(ts) = tt.clone() else { unreachable!() };
                scrut = self.ex(&tt, d);
                let n = self.rng.range(1, 3);
                for _ in 0..n {
                    self.push();
                    let mut pats = vec![];
                    for t in &ts {
                        pats.push(match (t, self.rng.below(4)) {
                            (Ty::Int(it), 0) => Pat::Int(self.rng.range(0, it.max().min(5) as i64)),
                            (Ty::Bool, 0) => Pat::Bool(self.rng.chance(1, 2)),
                            (_, 1) => Pat::Wild,
                            _ => {
                                let x = self.fresh("x");
                                self.declare(&x, t.clone(), false, 0);
                                Pat::Bind(x)
                            }
                        });
                    }
                    let body = self.arm_body(ty, d, arms.is_empty());
                    self.pop();
                    arms.push(Arm { pats: vec![Pat::Tuple(pats)], guard: None, body });
                }
                if exhaustive {
                    let body = self.arm_body(ty, d, arms.is_empty());
                    arms.push(Arm { pats: vec![Pat::Wild], guard: None, body });
                }
            }
            _ => {
                scrut = self.ex(&Ty::Bool, d);
                let first = self.rng.chance(1, 2);
                for (i, b) in [first, !first].into_iter().enumerate() {
                    let body = self.arm_body(ty, d, i == 0);
                    let pat = if i == 1 && self.rng.chance(1, 3) { Pat::Wild } else { Pat::Bool(b) };
                    arms.push(Arm { pats: vec![pat], guard: None, body });
                }
            }
        }
        if arms.is_empty() {
            return None;
        }
        Some(Expr::Match(Box::new(scrut), arms))
    }

    fn arm_body(&mut self, ty: &Ty, d: u32, first: bool) -> Expr {
        if first {
            self.ex(ty, d)
        } else {
            self.ex_for(ty, d)
        }
    }

    // ----- statements -------------------------------------------------------------------

    fn mutable_places(&self) -> Vec<(Place, Ty)> {
        let mut out = vec![];
        let inner: Vec<String> = self.scopes[self.cx.lambda_base.min(self.scopes.len())..]
            .iter()
            .flat_map(|s| s.iter().map(|l| l.name.clone()))
            .collect();
        for l in self.locals() {
            if self.cx.in_lambda && !inner.contains(&l.name) {
                continue;
            }
            if l.name == "self" {
                // A method may write its receiver's fields.
                if let (Ty::Struct(s), false) = (&l.ty, self.cx.in_lambda) {
                    for (i, (n, ft)) in self.p.structs[*s].fields.iter().enumerate() {
                        out.push((Place::Field(Box::new(Place::Var("self".into())), i, n.clone()), ft.clone()));
                    }
                }
                continue;
            }
            if l.mutable && !matches!(l.ty, Ty::Fn(..) | Ty::Arr(_)) {
                out.push((Place::Var(l.name.clone()), l.ty.clone()));
            }
            if let Ty::Struct(s) = &l.ty {
                for (i, (n, ft)) in self.p.structs[*s].fields.iter().enumerate() {
                    out.push((Place::Field(Box::new(Place::Var(l.name.clone())), i, n.clone()), ft.clone()));
                }
            }
            if let Ty::Arr(e) = &l.ty {
                let i = self.rng.clone().below(l.len) as i64;
                out.push((Place::Index(l.name.clone(), Expr::Int(i)), (**e).clone()));
            }
        }
        out
    }

    /// Appends one or two statements to `out`.
    pub fn stmt(&mut self, out: &mut Vec<Stmt>, d: u32) {
        match self.rng.below(20) {
            0..=4 => self.let_stmt(out, d),
            5 | 6 => {
                let places = self.mutable_places();
                if places.is_empty() {
                    return self.let_stmt(out, d);
                }
                let (p, t) = self.rng.pick(&places).clone();
                if matches!(t, Ty::Int(_) | Ty::F64) && self.rng.chance(1, 2) {
                    let op = *self.rng.pick(&[Bin::Add, Bin::Sub, Bin::Mul, Bin::Div]);
                    let mut v = self.ex_for(&t, d);
                    if op == Bin::Div {
                        if let Ty::Int(it) = t {
                            if self.rng.chance(9, 10) {
                                v = Expr::Bin(Bin::Or, Box::new(v), Box::new(Self::conv(Expr::Int(1), IT::I64, it)));
                            }
                        }
                    }
                    out.push(Stmt::OpAssign(op, p, v));
                } else {
                    let v = self.ex_for(&t, d);
                    out.push(Stmt::Assign(p, v));
                }
            }
            7..=9 => self.print_stmt(out, d),
            10 | 11 => {
                let c = self.ex(&Ty::Bool, d);
                let t = self.stmt_block(d);
                let e = if self.rng.chance(1, 2) { Some(self.stmt_block(d)) } else { None };
                out.push(Stmt::If(c, t, e));
            }
            12 | 13 if self.cx.loops < 2 => {
                let t = self.int_ty();
                let (lo, hi, inclusive);
                if self.rng.chance(1, 5) {
                    // Up to the type's maximum (inclusive): the counter must not wrap.
                    let m = t.max();
                    let k = self.rng.range(0, 3) as i128;
                    lo = self.typed_lit(t, m - k);
                    hi = self.typed_lit(t, m);
                    inclusive = true;
                } else {
                    let a = self.rng.range(-3, 5) as i128;
                    let a = if t.signed() { a } else { a.abs() };
                    let b = a + self.rng.range(0, 5) as i128;
                    lo = self.typed_lit(t, a);
                    hi = Self::conv(Self::lit_i64(b as i64), IT::I64, t);
                    inclusive = self.rng.chance(1, 3);
                }
                let var = self.fresh("ix");
                self.cx.loops += 1;
                self.push();
                self.declare(&var, Ty::Int(t), false, 0);
                let body = self.stmt_block(d);
                self.pop();
                self.cx.loops -= 1;
                out.push(Stmt::For { var, lo, hi, inclusive, body });
            }
            14 if self.cx.loops < 2 => {
                let c = self.fresh("c");
                let k = self.rng.range(0, 5);
                out.push(Stmt::Let { name: c.clone(), mutable: true, ann: None, value: Expr::Int(0) });
                self.declare(&c, I64, false, 0);
                self.cx.loops += 1;
                let mut body = self.stmt_block(d);
                self.cx.loops -= 1;
                body.stmts.insert(0, Stmt::OpAssign(Bin::Add, Place::Var(c.clone()), Expr::Int(1)));
                let infinite = self.rng.chance(1, 2);
                if infinite {
                    let stop = Stmt::If(
                        Expr::Bin(Bin::Ge, Box::new(Expr::Var(c.clone())), Box::new(Expr::Int(k))),
                        Block { stmts: vec![Stmt::Break], value: None },
                        None,
                    );
                    body.stmts.insert(0, stop);
                    out.push(Stmt::Loop(body));
                } else {
                    let cond = Expr::Bin(Bin::Lt, Box::new(Expr::Var(c)), Box::new(Expr::Int(k)));
                    out.push(Stmt::While(cond, body));
                }
            }
            15 if self.cx.loops > 0 && !self.cx.in_lambda => {
                let c = self.ex(&Ty::Bool, d.min(2));
                let s = if self.rng.chance(1, 2) { Stmt::Break } else { Stmt::Continue };
                out.push(Stmt::If(c, Block { stmts: vec![s], value: None }, None));
            }
            16 if !self.cx.in_lambda && self.cx.ret.is_some() => {
                let c = self.ex(&Ty::Bool, d.min(2));
                let rt = self.cx.ret.clone().unwrap();
                let v = self.ex_for(&rt, d.min(2));
                out.push(Stmt::If(c, Block { stmts: vec![Stmt::Return(v)], value: None }, None));
            }
            18 if self.cx.loops == 0 && self.rng.chance(1, 2) => self.hot_loop(out, d),
            17 => {
                // A call for its effects.
                let fs = self.callable.clone();
                if fs.is_empty() || self.cx.calls >= 4 {
                    return self.print_stmt(out, d);
                }
                let f = *self.rng.pick(&fs);
                self.cx.calls += 1;
                let params = self.p.fns[f].params.clone();
                let args = self.args_for(&params, self.recursive[f], d.min(2));
                let call = Expr::Call(self.p.fns[f].name.clone(), args);
                // An async call is awaited, or left as a future that never runs.
                let awaited = self.p.async_fns.contains(&self.p.fns[f].name) && self.rng.chance(1, 2);
                out.push(Stmt::Expr(if awaited { Expr::Await(Box::new(call)) } else { call }));
            }
            _ => self.let_stmt(out, d),
        }
    }

    /// A range loop with computed bounds (up to 31 trips) and a call-free body that
    /// accumulates into a local: the shape the back end unrolls (x4 plus a remainder).
    fn hot_loop(&mut self, out: &mut Vec<Stmt>, d: u32) {
        let t = self.int_ty();
        // Each bound: `vb: t = <any int>` (a coercion site), then `(vb & 31) - 16` at `t`.
        let bound = |g: &mut Gen, out: &mut Vec<Stmt>| {
            let raw = g.fresh("v");
            let v = g.ex_to(t, d.min(2));
            out.push(Stmt::Let { name: raw.clone(), mutable: false, ann: Some(Ty::Int(t)), value: v });
            g.declare(&raw, Ty::Int(t), false, 0);
            let m = Expr::Bin(Bin::And, Box::new(Expr::Var(raw)), Box::new(Gen::conv(Expr::Int(31), IT::I64, t)));
            if t.signed() {
                Expr::Bin(Bin::Sub, Box::new(m), Box::new(Gen::conv(Expr::Int(16), IT::I64, t)))
            } else {
                m
            }
        };
        let lo = bound(self, out);
        let hi = bound(self, out);
        let (lo_n, hi_n) = (self.fresh("v"), self.fresh("v"));
        out.push(Stmt::Let { name: lo_n.clone(), mutable: false, ann: Some(Ty::Int(t)), value: lo });
        out.push(Stmt::Let { name: hi_n.clone(), mutable: false, ann: Some(Ty::Int(t)), value: hi });
        self.declare(&lo_n, Ty::Int(t), false, 0);
        self.declare(&hi_n, Ty::Int(t), false, 0);
        let at = self.int_ty();
        let acc = self.fresh("v");
        out.push(Stmt::Let { name: acc.clone(), mutable: true, ann: Some(Ty::Int(at)), value: Gen::conv(Expr::Int(self.rng.range(0, 9)), IT::I64, at) });
        self.declare(&acc, Ty::Int(at), true, 0);
        let var = self.fresh("ix");
        let saved_pure = self.cx.pure;
        self.cx.pure = true;
        self.cx.loops += 1;
        self.push();
        self.declare(&var, Ty::Int(t), false, 0);
        let mut body = vec![];
        for _ in 0..self.rng.range(1, 3) {
            let op = *self.rng.pick(&[Bin::Add, Bin::Sub, Bin::Mul, Bin::Add]);
            let v = self.ex_to(at, 2);
            body.push(Stmt::OpAssign(op, Place::Var(acc.clone()), v));
        }
        if self.rng.chance(1, 3) {
            let c = self.ex(&Ty::Bool, 1);
            body.push(Stmt::If(c, Block { stmts: vec![if self.rng.chance(1, 2) { Stmt::Break } else { Stmt::Continue }], value: None }, None));
        }
        self.pop();
        self.cx.loops -= 1;
        self.cx.pure = saved_pure;
        let inclusive = self.rng.chance(1, 3);
        out.push(Stmt::For { var, lo: Expr::Var(lo_n), hi: Expr::Var(hi_n), inclusive, body: Block { stmts: body, value: None } });
        out.push(Stmt::PrintI64(Gen::conv(Expr::Var(acc), at, IT::I64)));
    }

    fn typed_lit(&mut self, t: IT, v: i128) -> Expr {
        let v = t.wrap(v);
        if t == IT::I64 {
            return Self::lit_i64(v as i64);
        }
        let n = self.fresh("t");
        Expr::Block(Box::new(Block {
            stmts: vec![Stmt::Let {
                name: n.clone(),
                mutable: false,
                ann: Some(Ty::Int(t)),
                value: Expr::Conv(Box::new(Self::lit_i64(v as i64)), t),
            }],
            value: Some(Expr::Var(n)),
        }))
    }

    fn stmt_block(&mut self, d: u32) -> Block {
        self.push();
        let n = self.rng.range(1, 3);
        let mut stmts = vec![];
        for _ in 0..n {
            self.stmt(&mut stmts, d.saturating_sub(1).max(1));
        }
        self.pop();
        Block { stmts, value: None }
    }

    pub fn print_stmt(&mut self, out: &mut Vec<Stmt>, d: u32) {
        match self.rng.below(8) {
            0..=2 => {
                let (e, t) = self.ex_int(d);
                out.push(Stmt::PrintI64(Self::conv(e, t, IT::I64)));
            }
            3 => {
                let e = self.ex(&Ty::F64, d);
                out.push(Stmt::PrintF64(e));
            }
            4 | 5 => {
                let n = self.rng.range(1, 3);
                let mut fmt = String::from("[");
                let mut args = vec![];
                for _ in 0..n {
                    match self.rng.below(6) {
                        0 => {
                            fmt.push_str("%.2f ");
                            args.push(self.ex(&Ty::F64, d.min(2)));
                        }
                        k => {
                            fmt.push_str(["%d ", "%u ", "%x ", "%ld ", "%d "][k - 1]);
                            args.push(self.ex_int(d.min(2)).0);
                        }
                    }
                }
                fmt.push_str("]\n");
                out.push(Stmt::Printf(fmt, args));
            }
            6 => {
                let b = self.ex(&Ty::Bool, d);
                out.push(Stmt::PrintI64(Expr::Ternary(Box::new(b), Box::new(Expr::Int(1)), Box::new(Expr::Int(0)))));
            }
            _ => {
                let s = format!("p{}", self.rng.below(1000));
                out.push(Stmt::Puts(s));
            }
        }
    }

    fn let_stmt(&mut self, out: &mut Vec<Stmt>, d: u32) {
        // Sometimes shadow a visible local (never `self`, a recursion depth or a loop counter).
        let shadowable: Vec<String> = self
            .locals()
            .into_iter()
            .map(|l| l.name)
            .filter(|n| n.starts_with('v') || n.starts_with('p') || n.starts_with("sv"))
            .collect();
        let name = if !shadowable.is_empty() && self.rng.chance(1, 6) {
            self.rng.pick(&shadowable).clone()
        } else {
            self.fresh("v")
        };
        let mutable = self.rng.chance(2, 5);
        match self.rng.below(10) {
            0 if self.rng.chance(1, 3) => {
                // A slice (a copy) of an array local.
                let arrs: Vec<Local> = self.locals().into_iter().filter(|l| matches!(l.ty, Ty::Arr(_)) && l.len >= 2).collect();
                if arrs.is_empty() || self.cx.in_lambda {
                    return self.print_stmt(out, d);
                }
                let a = self.rng.pick(&arrs).clone();
                // At least MIN_ARR elements (callees may index 0..MIN_ARR).
                let lo = self.rng.below(a.len - MIN_ARR + 1);
                let len = self.rng.range(MIN_ARR as i64, (a.len - lo) as i64) as usize;
                let inc = self.rng.chance(1, 2);
                let hi = if inc { lo + len - 1 } else { lo + len };
                let v = Expr::Slice(Box::new(Expr::Var(a.name.clone())), lo as i64, hi as i64, inc);
                out.push(Stmt::Let { name: name.clone(), mutable: false, ann: None, value: v });
                self.declare(&name, a.ty.clone(), false, len);
            }
            0 => {
                // An array.
                let et = match self.rng.below(6) {
                    0 => Ty::F64,
                    1 => Ty::Bool,
                    2 if !self.p.structs.is_empty() => Ty::Struct(self.rng.below(self.p.structs.len())),
                    3 => self.tuple_ty(),
                    _ => Ty::Int(self.int_ty()),
                };
                let n = self.rng.range(MIN_ARR as i64, 4) as usize;
                let ann = self.rng.chance(1, 2);
                let mut xs = vec![];
                for i in 0..n {
                    xs.push(if i == 0 && !ann { self.ex(&et, d.min(2)) } else { self.ex_for(&et, d.min(2)) });
                }
                let arr_ty = Ty::Arr(Box::new(et));
                out.push(Stmt::Let { name: name.clone(), mutable: false, ann: ann.then(|| arr_ty.clone()), value: Expr::Array(xs) });
                self.declare(&name, arr_ty, false, n);
            }
            1 if !self.cx.in_lambda => {
                // A closure.
                let n = self.rng.range(1, 2) as usize;
                let ps: Vec<Ty> = (0..n).map(|_| Ty::Int(self.int_ty())).collect();
                let r = if self.rng.chance(4, 5) { Ty::Int(self.int_ty()) } else { Ty::Bool };
                let l = self.lambda(&ps, &r, d.min(2));
                out.push(Stmt::Let { name: name.clone(), mutable: false, ann: None, value: l });
                self.declare(&name, Ty::Fn(ps, Box::new(r)), false, 0);
            }
            _ => {
                let t = self.value_ty(false);
                let ann = self.rng.chance(1, 2);
                let v = if ann { self.ex_for(&t, d) } else { self.ex(&t, d) };
                out.push(Stmt::Let { name: name.clone(), mutable, ann: ann.then(|| t.clone()), value: v });
                self.declare(&name, t, mutable, 0);
            }
        }
    }

    // ----- items ------------------------------------------------------------------------

    pub fn gen_consts(&mut self, n: usize) {
        for i in 0..n {
            for _ in 0..10 {
                // Constants of every integer type (narrow and unsigned ones folded at the wrong
                // width until the typed constant evaluator: crates/vais-fuzz/FINDINGS.md F1, now fixed).
                let t = if self.rng.chance(1, 2) { IT::I64 } else { *self.rng.pick(&ALL_INTS) };
                let value = Self::conv(self.const_expr(2), IT::I64, t);
                let value = match value {
                    Expr::Conv(x, _) => *x,
                    v => v,
                };
                let c = ConstDef { name: format!("K{}", (b'A' + i as u8) as char), ty: t, value };
                let mut p = self.p.clone();
                p.consts.push(c.clone());
                let mut ev = crate::eval::Ev::new(&p, 10_000);
                if ev.init_consts().is_ok() {
                    self.p.consts.push(c);
                    break;
                }
            }
        }
    }

    fn const_expr(&mut self, d: u32) -> Expr {
        let prev: Vec<(String, IT)> = self.p.consts.iter().map(|c| (c.name.clone(), c.ty)).collect();
        self.const_expr_in(d, &prev).0
    }

    fn const_expr_in(&mut self, d: u32, prev: &[(String, IT)]) -> (Expr, IT) {
        if d == 0 || self.rng.chance(1, 3) {
            if !prev.is_empty() && self.rng.chance(1, 2) {
                let (n, t) = self.rng.pick(prev).clone();
                return (Expr::Const(n), t);
            }
            let v = self.int_val(IT::I64) as i64;
            return (Self::lit_i64(v), IT::I64);
        }
        let ops = [Bin::Add, Bin::Sub, Bin::Mul, Bin::Div, Bin::Rem, Bin::And, Bin::Or, Bin::Xor, Bin::Shl, Bin::Shr];
        let op = *self.rng.pick(&ops);
        let (l, lt) = self.const_expr_in(d - 1, prev);
        let (r, rt) = self.const_expr_in(d - 1, prev);
        (Expr::Bin(op, Box::new(l), Box::new(Self::conv(r, rt, lt))), lt)
    }

    pub fn gen_enums(&mut self, n: usize) {
        for i in 0..n {
            let name = format!("En{}", (b'a' + i as u8) as char);
            let nv = self.rng.range(1, 4) as usize;
            let mut variants = vec![];
            for v in 0..nv {
                let arity = if self.rng.chance(1, 3) { 0 } else { self.rng.range(1, 2) as usize };
                let ts = (0..arity)
                    .map(|_| match self.rng.below(6) {
                        0 => Ty::Bool,
                        1 => Ty::F64,
                        _ => Ty::Int(self.int_ty()),
                    })
                    .collect();
                variants.push((format!("{}V{v}", &name[2..].to_uppercase()), ts));
            }
            self.p.enums.push(EnumDef { name, variants });
        }
    }

    /// Enums whose payloads may hold structs and tuples (made after the structs, so no
    /// by-value cycle is possible).
    pub fn gen_rich_enums(&mut self, n: usize) {
        for _ in 0..n {
            let i = self.p.enums.len();
            let name = format!("En{}", (b'a' + i as u8) as char);
            let nv = self.rng.range(1, 3) as usize;
            let mut variants = vec![];
            for v in 0..nv {
                let arity = if self.rng.chance(1, 4) { 0 } else { self.rng.range(1, 2) as usize };
                let ts = (0..arity)
                    .map(|_| match self.rng.below(5) {
                        0 if !self.p.structs.is_empty() => Ty::Struct(self.rng.below(self.p.structs.len())),
                        1 => self.tuple_ty(),
                        2 if i > 0 => Ty::Enum(self.rng.below(i)),
                        _ => self.scalar_ty(),
                    })
                    .collect();
                variants.push((format!("{}V{v}", &name[2..].to_uppercase()), ts));
            }
            self.p.enums.push(EnumDef { name, variants });
        }
    }

    pub fn gen_structs(&mut self, n: usize) {
        for i in 0..n {
            let name = format!("St{}", (b'a' + i as u8) as char);
            let nf = self.rng.range(1, 3) as usize;
            let mut fields = vec![];
            for f in 0..nf {
                let t = match self.rng.below(10) {
                    0 => Ty::Bool,
                    1 => Ty::F64,
                    2 if i > 0 => Ty::Struct(self.rng.below(i)),
                    3 if !self.p.enums.is_empty() => Ty::Enum(self.rng.below(self.p.enums.len())),
                    _ => Ty::Int(self.int_ty()),
                };
                fields.push((format!("f{f}"), t));
            }
            self.p.structs.push(StructDef { name, fields, methods: vec![] });
        }
    }

    /// Methods for every struct (after structs, enums and consts exist; methods call no
    /// free function).
    pub fn gen_methods(&mut self) {
        self.methods_ready = false;
        let saved = std::mem::take(&mut self.callable);
        let saved_scopes = std::mem::take(&mut self.scopes);
        for s in 0..self.p.structs.len() {
            let nm = self.rng.range(0, 2);
            for m in 0..nm {
                self.cx = Ctx::default();
                let ret = self.value_ty(false);
                self.cx.ret = Some(ret.clone());
                self.push();
                self.declare("self", Ty::Struct(s), false, 0);
                let np = self.rng.range(0, 2);
                let mut params = vec![];
                for _ in 0..np {
                    let n = self.fresh("p");
                    let t = Ty::Int(self.int_ty());
                    self.declare(&n, t.clone(), false, 0);
                    params.push((n, t));
                }
                let mut stmts = vec![];
                for _ in 0..self.rng.range(0, 2) {
                    self.stmt(&mut stmts, 2);
                }
                let value = self.ex(&ret, 3);
                self.pop();
                self.p.structs[s].methods.push(FnDef { name: format!("m{m}"), params, ret, body: Block { stmts, value: Some(value) } });
            }
        }
        self.callable = saved;
        self.scopes = saved_scopes;
        self.methods_ready = true;
    }

    /// A new function named `name` that may call everything in `self.callable`.
    pub fn gen_fn(&mut self, name: &str, index: usize, recursive: bool) -> FnDef {
        let np = self.rng.range(0, 3) as usize;
        self.gen_fn_sig(name, index, recursive, np, None)
    }

    /// `gen_fn` with `np` parameters besides the depth parameter, or with the signature
    /// `sig` (parameters including the depth parameter, result).
    pub fn gen_fn_sig(&mut self, name: &str, index: usize, recursive: bool, np: usize, sig: Option<(Vec<(String, Ty)>, Ty)>) -> FnDef {
        self.cx = Ctx::default();
        let mut params = vec![];
        self.push();
        let ret = if let Some((ps, ret)) = sig {
            for (n, t) in &ps {
                self.declare(n, t.clone(), false, MIN_ARR);
            }
            params = ps;
            ret
        } else {
            if recursive {
                params.push(("dp".to_string(), I64));
                self.declare("dp", I64, false, 0);
            }
            for _ in 0..np {
                let n = self.fresh("p");
                let t = if self.rng.chance(1, 12) {
                    Ty::Arr(Box::new(Ty::Int(self.int_ty())))
                } else {
                    self.value_ty(true)
                };
                self.declare(&n, t.clone(), false, MIN_ARR);
                params.push((n, t));
            }
            let allow_fn = self.rng.chance(1, 2);
            self.value_ty(allow_fn)
        };
        self.cx.ret = Some(ret.clone());
        self.cx.self_fn = recursive.then_some(index);
        // Register the signature first so that `@` sees it.
        let def = FnDef { name: name.to_string(), params: params.clone(), ret: ret.clone(), body: Block::default() };
        if index == self.p.fns.len() {
            self.p.fns.push(def);
            self.recursive.push(recursive);
        } else {
            self.p.fns[index] = def;
            self.recursive[index] = recursive;
        }
        let mut stmts = vec![];
        if recursive {
            let base = self.ex_for(&ret, 1);
            stmts.push(Stmt::If(
                Expr::Bin(Bin::Le, Box::new(Expr::Var("dp".into())), Box::new(Expr::Int(0))),
                Block { stmts: vec![Stmt::Return(base)], value: None },
                None,
            ));
        }
        for _ in 0..self.rng.range(0, 4) {
            self.stmt(&mut stmts, 3);
        }
        let value = self.ex_for(&ret, 3);
        self.pop();
        let body = Block { stmts, value: Some(value) };
        self.p.fns[index].body = body.clone();
        FnDef { name: name.to_string(), params, ret, body }
    }

    pub fn gen_main(&mut self) -> FnDef {
        self.cx = Ctx::default();
        self.cx.ret = Some(I64);
        self.push();
        let mut stmts = vec![];
        for _ in 0..self.rng.range(3, 9) {
            if self.rng.chance(1, 3) {
                self.print_stmt(&mut stmts, 3);
            } else {
                self.stmt(&mut stmts, 3);
            }
        }
        let value = self.ex_to(IT::I64, 3);
        self.pop();
        FnDef { name: "main".into(), params: vec![], ret: I64, body: Block { stmts, value: Some(value) } }
    }

    /// A whole program: items plus `main` (the last function).
    pub fn program(&mut self) -> Program {
        self.p.generics = self.rng.chance(1, 2);
        let nc = self.rng.range(0, 3) as usize;
        self.gen_consts(nc);
        let ne = self.rng.range(0, 2) as usize;
        self.gen_enums(ne);
        let ns = self.rng.range(0, 3) as usize;
        self.gen_structs(ns);
        let nr = self.rng.range(0, 1) as usize;
        self.gen_rich_enums(nr);
        self.gen_methods();
        let nf = self.rng.range(1, 5) as usize;
        for i in 0..nf {
            let rec = self.rng.chance(1, 3);
            let name = format!("fn{i}");
            self.gen_fn(&name, i, rec);
            if !rec && self.rng.chance(1, 5) {
                self.p.async_fns.push(name);
            }
            self.callable.push(i);
        }
        let main = self.gen_main();
        self.p.fns.push(main);
        self.recursive.push(false);
        self.p.clone()
    }
}
