//! Internal types used while checking: like `vais_tir::Ty` but with inference variables,
//! opaque generic parameters, nominal types by name plus arguments, and an error type.
//! The substitution table (`Infer`) binds variables; `unify` implements §4.6 compatibility.

use vais_tir::IntTy;

#[derive(Clone, Debug, PartialEq)]
pub enum T {
    Int(IntTy),
    F32,
    F64,
    Bool,
    Str,
    Unit,
    Never,
    Ptr(Box<T>),
    Ref(Box<T>),
    Array(Box<T>),
    Map(Box<T>, Box<T>),
    Tuple(Vec<T>),
    Fn(Vec<T>, Box<T>),
    Struct(String, Vec<T>),
    Enum(String, Vec<T>),
    Future(Box<T>),
    Range(Box<T>),
    Optional(Box<T>),
    /// An opaque generic parameter (compatible with everything, §4.5).
    Param(String),
    Var(u32),
    /// After an error: compatible with everything, never reported again.
    Err,
}

pub const I64: T = T::Int(IntTy::I64);

/// The instance-table name of range values (`T::Range`, lowered to a struct: see
/// `vais_tir::RANGE_INCLUSIVE_FIELD`); not an identifier, so no user type has it.
pub const RANGE_KEY: &str = "..Range";

/// Whether an integer type belongs to the implicitly convertible family (§4.6 rule 4).
pub fn convertible(i: IntTy) -> bool {
    !matches!(i, IntTy::I128 | IntTy::U128)
}

impl T {
    pub fn from_tir(t: &vais_tir::Ty, structs: &[(String, Vec<vais_tir::Ty>)], enums: &[(String, Vec<vais_tir::Ty>)]) -> T {
        use vais_tir::Ty;
        let f = |t: &Ty| T::from_tir(t, structs, enums);
        match t {
            Ty::Int(i) => T::Int(*i),
            Ty::F32 => T::F32,
            Ty::F64 => T::F64,
            Ty::Bool => T::Bool,
            Ty::Str => T::Str,
            Ty::Unit => T::Unit,
            Ty::Never => T::Never,
            Ty::Ptr(t) => T::Ptr(Box::new(f(t))),
            Ty::Ref(t) => T::Ref(Box::new(f(t))),
            Ty::Array(t) => T::Array(Box::new(f(t))),
            Ty::Map(k, v) => T::Map(Box::new(f(k)), Box::new(f(v))),
            Ty::Tuple(ts) => T::Tuple(ts.iter().map(f).collect()),
            Ty::Fn(ps, r) => T::Fn(ps.iter().map(f).collect(), Box::new(f(r))),
            Ty::Struct(id) => match structs.get(id.index()) {
                Some((n, a)) if n == RANGE_KEY && a.len() == 1 => T::Range(Box::new(f(&a[0]))),
                Some((n, a)) => T::Struct(n.clone(), a.iter().map(f).collect()),
                None => T::Err,
            },
            Ty::Enum(id) => match enums.get(id.index()) {
                Some((n, a)) => T::Enum(n.clone(), a.iter().map(f).collect()),
                None => T::Err,
            },
            Ty::Future(t) => T::Future(Box::new(f(t))),
            Ty::Range(t) => T::Range(Box::new(f(t))),
            Ty::Optional(t) => T::Optional(Box::new(f(t))),
        }
    }
}

/// The inference-variable table.
#[derive(Clone, Debug, Default)]
pub struct Infer {
    vars: Vec<Option<T>>,
}

impl Infer {
    pub fn fresh(&mut self) -> T {
        self.vars.push(None);
        T::Var(self.vars.len() as u32 - 1)
    }

    /// Follow variable bindings at the top level only.
    pub fn shallow(&self, t: &T) -> T {
        self.resolve(t).clone()
    }

    /// Follow variable bindings at the top level only, without copying.
    #[inline]
    pub fn resolve<'a>(&'a self, mut t: &'a T) -> &'a T {
        while let T::Var(v) = t {
            match self.vars.get(*v as usize) {
                Some(Some(b)) => t = b,
                _ => return t,
            }
        }
        t
    }

    /// Fully substitute bound variables.
    pub fn zonk(&self, t: &T) -> T {
        let t = self.shallow(t);
        let z = |t: &T| self.zonk(t);
        let b = |t: &T| Box::new(self.zonk(t));
        match &t {
            T::Ptr(x) => T::Ptr(b(x)),
            T::Ref(x) => T::Ref(b(x)),
            T::Array(x) => T::Array(b(x)),
            T::Map(k, v) => T::Map(b(k), b(v)),
            T::Tuple(ts) => T::Tuple(ts.iter().map(z).collect()),
            T::Fn(ps, r) => T::Fn(ps.iter().map(z).collect(), b(r)),
            T::Struct(n, a) => T::Struct(n.clone(), a.iter().map(z).collect()),
            T::Enum(n, a) => T::Enum(n.clone(), a.iter().map(z).collect()),
            T::Future(x) => T::Future(b(x)),
            T::Range(x) => T::Range(b(x)),
            T::Optional(x) => T::Optional(b(x)),
            _ => t,
        }
    }

    /// Whether variable `v` occurs in `t` (following bindings without copying).
    fn occurs(&self, v: u32, t: &T) -> bool {
        match self.resolve(t) {
            T::Var(w) => v == *w,
            T::Ptr(x) | T::Ref(x) | T::Array(x) | T::Future(x) | T::Range(x) | T::Optional(x) => self.occurs(v, x),
            T::Map(k, x) => self.occurs(v, k) || self.occurs(v, x),
            T::Tuple(ts) | T::Struct(_, ts) | T::Enum(_, ts) => ts.iter().any(|t| self.occurs(v, t)),
            T::Fn(ps, r) => ps.iter().any(|t| self.occurs(v, t)) || self.occurs(v, r),
            _ => false,
        }
    }

    /// §4.6 compatibility; binds variables. Returns false on mismatch (bindings made before the
    /// mismatch stay, which only affects follow-up messages).
    pub fn unify(&mut self, a: &T, b: &T) -> bool {
        self.unify_at(a, b, true)
    }

    /// Integer conversion (§4.6 rule 4) applies only at the top level: a `*u8` is not a `*i64`
    /// at run time, and no conversion could be inserted inside a pointer or function type.
    fn unify_at(&mut self, a: &T, b: &T, top: bool) -> bool {
        // Fast path (no copies) for the common cases decided at the top level; the same
        // answers as the general match below.
        match (self.resolve(a), self.resolve(b)) {
            (T::Var(x), T::Var(y)) if x == y => return true,
            (T::Never, _) | (_, T::Never) => return true,
            (T::Err, _) | (_, T::Err) | (T::Param(_), _) | (_, T::Param(_)) => return true,
            (T::Int(x), T::Int(y)) => return x == y || (top && convertible(*x) && convertible(*y)),
            (T::F32, T::F32) | (T::F64, T::F64) | (T::Bool, T::Bool) | (T::Str, T::Str) | (T::Unit, T::Unit) => return true,
            (T::Struct(n1, a1), T::Struct(n2, a2)) | (T::Enum(n1, a1), T::Enum(n2, a2)) if a1.is_empty() && a2.is_empty() => {
                return n1 == n2
            }
            _ => {}
        }
        let a = self.shallow(a);
        let b = self.shallow(b);
        match (&a, &b) {
            (T::Var(x), T::Var(y)) if x == y => true,
            (T::Never, _) | (_, T::Never) => true,
            (T::Err, _) | (_, T::Err) | (T::Param(_), _) | (_, T::Param(_)) => true,
            (T::Var(x), t) | (t, T::Var(x)) => {
                if self.occurs(*x, t) {
                    return false;
                }
                self.vars[*x as usize] = Some(t.clone());
                true
            }
            (T::Int(x), T::Int(y)) => x == y || (top && convertible(*x) && convertible(*y)),
            (T::F32, T::F32) | (T::F64, T::F64) | (T::Bool, T::Bool) | (T::Str, T::Str) | (T::Unit, T::Unit) => true,
            (T::Ptr(x), T::Ptr(y))
            | (T::Ref(x), T::Ref(y))
            | (T::Array(x), T::Array(y))
            | (T::Future(x), T::Future(y))
            | (T::Range(x), T::Range(y))
            | (T::Optional(x), T::Optional(y)) => self.unify_at(x, y, false),
            (T::Map(k1, v1), T::Map(k2, v2)) => self.unify_at(k1, k2, false) & self.unify_at(v1, v2, false),
            (T::Tuple(x), T::Tuple(y)) => x.len() == y.len() && self.unify_all(x, y),
            (T::Fn(p1, r1), T::Fn(p2, r2)) => p1.len() == p2.len() && self.unify_all(p1, p2) & self.unify_at(r1, r2, false),
            (T::Struct(n1, a1), T::Struct(n2, a2)) | (T::Enum(n1, a1), T::Enum(n2, a2)) => {
                n1 == n2 && a1.len() == a2.len() && self.unify_all(a1, a2)
            }
            _ => false,
        }
    }

    fn unify_all(&mut self, x: &[T], y: &[T]) -> bool {
        let mut ok = true;
        for (a, b) in x.iter().zip(y) {
            ok &= self.unify_at(a, b, false);
        }
        ok
    }
}

/// Display an internal type the way a user writes it.
pub fn show(t: &T) -> String {
    let list = |ts: &[T]| ts.iter().map(show).collect::<Vec<_>>().join(", ");
    match t {
        T::Int(i) => i.name().into(),
        T::F32 => "f32".into(),
        T::F64 => "f64".into(),
        T::Bool => "bool".into(),
        T::Str => "str".into(),
        T::Unit => "()".into(),
        T::Never => "!".into(),
        T::Ptr(x) => format!("*{}", show(x)),
        T::Ref(x) => format!("&{}", show(x)),
        T::Array(x) => format!("[{}]", show(x)),
        T::Map(k, v) => format!("[{}:{}]", show(k), show(v)),
        T::Tuple(ts) => format!("({})", list(ts)),
        T::Fn(ps, r) => format!("({}) -> {}", list(ps), show(r)),
        T::Struct(n, a) | T::Enum(n, a) => {
            if a.is_empty() {
                n.clone()
            } else {
                format!("{}<{}>", n, list(a))
            }
        }
        T::Future(x) => format!("Future<{}>", show(x)),
        T::Range(x) => format!("Range<{}>", show(x)),
        T::Optional(x) => format!("{}?", show(x)),
        T::Param(n) => n.clone(),
        T::Var(_) => "_".into(),
        T::Err => "{error}".into(),
    }
}
