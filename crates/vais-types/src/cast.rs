//! Explicit conversions `e as T` (Extensions decision 12) and the literal rules of decision 13
//! and 14: which casts exist, how a constant value converts (the run-time semantics of
//! `vais-jit`'s `Cast`, shared by the constant evaluator), and how a literal takes the type of
//! its context (an integer literal out of range for it is `E028`; a float literal becomes
//! `f32` where one is expected).
//!
//! Cast semantics (TIR `Cast`, computed the same way by `consteval`): integer to integer
//! truncates or extends by the *source* signedness; integer to float gives the nearest value;
//! float to integer truncates toward zero, saturates at the target's limits, NaN gives 0;
//! `f32`/`f64` round or widen; `bool` gives 0 or 1; pointers and `i64`/`u64` addresses convert
//! bit for bit, and so do pointers to other pointers. Floats and 128-bit integers convert
//! through a runtime helper (no machine instruction does it), with the same rules.

use vais_ast::ast;
use vais_ast::{Diagnostic, Span};
use vais_tir::*;

use crate::check::Fc;
use crate::env::ConstVal;
use crate::items::wrap;
use crate::ty::T;

/// Why `from as to` is rejected, or `None` when the cast exists. Both types must be resolved
/// (no variables at the top).
pub fn cast_error(from: &T, to: &T) -> Option<&'static str> {
    use T::*;
    match (from, to) {
        (Err | Never | Param(_), _) | (_, Err | Param(_)) => None,
        (Int(_), Int(_)) => None,
        (Int(_), F32 | F64) | (F32 | F64, Int(_)) | (F32 | F64, F32 | F64) => None,
        (Bool, Int(_)) | (Bool, Bool) => None,
        (Int(IntTy::I64 | IntTy::U64), Ptr(_)) | (Ptr(_), Int(IntTy::I64 | IntTy::U64)) | (Ptr(_), Ptr(_)) => None,
        (Int(_), Ptr(_)) | (Ptr(_), Int(_)) => Some("a pointer converts only to and from `i64` or `u64`"),
        (Int(_), Bool) => Some("compare with zero instead: `x != 0`"),
        (Str, Int(_) | Ptr(_)) => Some("use `str_ptr(s)` for the address of a string's bytes"),
        (Int(_) | Ptr(_), Str) => Some("use `str_from_ptr(addr)` to view NUL-terminated bytes as a `str`"),
        (Ref(_), _) => Some("a reference cannot be cast; dereference it first"),
        _ => Some("only numbers, `bool` (to an integer) and pointers (to pointers or `i64`/`u64`) can be cast"),
    }
}

/// The canonical value (see `consteval`) of `v: from` cast to `to`, as the JIT computes it.
/// `None` when the cast is not a constant operation (pointers) or does not exist.
pub fn cast_value(v: ConstVal, from: &T, to: &T) -> Option<ConstVal> {
    Some(match (from, to, v) {
        (T::Int(_), T::Int(b), ConstVal::Int(x)) => ConstVal::Int(wrap(x, *b)),
        // A `u128` above `i128::MAX` is held wrapped (canonical values are `i128`).
        (T::Int(a), T::F64, ConstVal::Int(x)) if *a == IntTy::U128 => ConstVal::Float(x as u128 as f64),
        (T::Int(_), T::F64, ConstVal::Int(x)) => ConstVal::Float(x as f64),
        // One rounding, straight from the integer (not through `f64`).
        (T::Int(a), T::F32, ConstVal::Int(x)) if *a == IntTy::U128 => ConstVal::Float(x as u128 as f32 as f64),
        (T::Int(_), T::F32, ConstVal::Int(x)) => ConstVal::Float(x as f32 as f64),
        (T::F32 | T::F64, T::Int(IntTy::I128), ConstVal::Float(f)) => ConstVal::Int(f as i128),
        (T::F32 | T::F64, T::Int(IntTy::U128), ConstVal::Float(f)) => ConstVal::Int(f as u128 as i128),
        (T::F32 | T::F64, T::Int(b), ConstVal::Float(f)) => ConstVal::Int(float_to_int(f, *b)),
        (T::F32 | T::F64, T::F64, ConstVal::Float(f)) => ConstVal::Float(f),
        (T::F32 | T::F64, T::F32, ConstVal::Float(f)) => ConstVal::Float(f as f32 as f64),
        (T::Bool, T::Int(_), ConstVal::Bool(b)) => ConstVal::Int(b as i128),
        (T::Bool, T::Bool, ConstVal::Bool(b)) => ConstVal::Bool(b),
        _ => return None,
    })
}

/// Float to integer of width < 128: truncate toward zero, saturate, NaN is 0 (Rust's `as`).
pub fn float_to_int(f: f64, t: IntTy) -> i128 {
    let (lo, hi) = int_range(t);
    if f.is_nan() {
        return 0;
    }
    let x = f.trunc();
    if x <= lo as f64 {
        lo
    } else if x >= hi as f64 {
        hi
    } else {
        x as i128
    }
}

/// The values of an integer type (mathematical, so `u128` tops out at `i128::MAX` here).
pub fn int_range(t: IntTy) -> (i128, i128) {
    let bits = t.bits();
    match (t.signed(), bits >= 128) {
        (true, true) => (i128::MIN, i128::MAX),
        (false, true) => (0, i128::MAX),
        (true, false) => (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1),
        (false, false) => (0, (1i128 << bits) - 1),
    }
}

/// E027: `e as T` between types with no conversion.
pub fn bad_cast(from: &str, to: &str, span: Span, why: &str) -> Diagnostic {
    Diagnostic::error(vais_ast::Code::E027, format!("cannot cast `{}` to `{}`", from, to), span)
        .with_label(format!("`{}` as `{}` is not a conversion", from, to))
        .with_note(format!("help: {}", why))
}

/// E028: an integer literal that does not fit the type its context gives it.
pub fn literal_out_of_range(lit: &str, ty: IntTy, span: Span) -> Diagnostic {
    let (min, max) = int_range(ty);
    let max = if ty == IntTy::U128 { u128::MAX.to_string() } else { max.to_string() };
    let d = Diagnostic::error(vais_ast::Code::E028, format!("integer literal `{}` is out of range for `{}`", lit, ty.name()), span)
        .with_label(format!("does not fit in `{}`", ty.name()))
        .with_note(format!("note: `{}` values are {}..={}", ty.name(), min, max));
    if ty == IntTy::I64 && !lit.starts_with('-') {
        d.with_note("help: a literal above the largest `i64` needs a `u64` context, e.g. `x: u64 = ...`")
    } else {
        d.with_note(format!("help: to truncate on purpose, write `{} as {}`", lit, ty.name()))
    }
}

impl Fc<'_> {
    /// A literal node built by this checker (not a folded constant).
    #[inline]
    pub fn is_literal(&self, e: &Expr) -> bool {
        matches!(e.kind, ExprKind::Int(_) | ExprKind::Float(_))
            && (self.const_nodes.is_empty() || !self.const_nodes.contains(&e.span))
    }

    pub fn literal(&mut self, kind: ExprKind, t: T, span: Span) -> Expr {
        self.mk(kind, t, span)
    }

    /// An integer literal `v` (already negated for `-lit`) in context `hint`: `i64`, unless
    /// it is above `i64::MAX` and the context wants a type that holds it.
    #[inline]
    pub fn int_literal(&mut self, v: i128, hint: Option<T>, span: Span) -> Expr {
        if (0..=i64::MAX as i128).contains(&v) {
            // The common case: an `i64`, which it fits.
            return self.mk(ExprKind::Int(v), crate::ty::I64, span);
        }
        self.wide_int_literal(v, hint, span)
    }

    /// `int_literal` of a negative value or one above `i64::MAX`.
    fn wide_int_literal(&mut self, v: i128, hint: Option<T>, span: Span) -> Expr {
        let t = match hint {
            Some(h) if v > i64::MAX as i128 => match self.sh(&h) {
                T::Int(i) if int_range(i).1 >= v => T::Int(i),
                _ => crate::ty::I64,
            },
            _ => crate::ty::I64,
        };
        if let T::Int(i) = t {
            let (lo, hi) = int_range(i);
            if v < lo || v > hi {
                self.err(literal_out_of_range(&v.to_string(), i, span));
            }
        }
        self.literal(ExprKind::Int(v), t, span)
    }

    /// A float literal in context `hint`: `f32` where one is expected, else `f64`.
    pub fn float_literal(&mut self, f: f64, hint: Option<T>, span: Span) -> Expr {
        match hint.map(|h| self.sh(&h)) {
            Some(T::F32) => self.literal(ExprKind::Float(f as f32 as f64), T::F32, span),
            _ => self.literal(ExprKind::Float(f), T::F64, span),
        }
    }

    /// `coerce`'s rule for literals: an integer literal going into another integer type is
    /// retyped (E028 when it does not fit) instead of converted; a float literal going into
    /// `f32` is rounded to it. `None` when `e` is not such a literal.
    pub fn coerce_literal(&mut self, e: &Expr, have: &T, want: &T) -> Option<Expr> {
        if !self.is_literal(e) {
            return None;
        }
        let (h, w) = (self.inf.resolve(have), self.inf.resolve(want));
        let (h, w) = match (h, w) {
            (T::Int(h), T::Int(w)) => (T::Int(*h), T::Int(*w)),
            (T::F64, T::F32) => (T::F64, T::F32),
            _ => return None,
        };
        match (&e.kind, h, w) {
            (ExprKind::Int(v), T::Int(h), T::Int(w)) if h != w => {
                let (lo, hi) = int_range(w);
                if *v < lo || *v > hi {
                    self.err(literal_out_of_range(&v.to_string(), w, e.span));
                }
                let v = *v;
                Some(self.literal(ExprKind::Int(v), T::Int(w), e.span))
            }
            (ExprKind::Float(f), T::F64, T::F32) => {
                let f = *f;
                Some(self.literal(ExprKind::Float(f as f32 as f64), T::F32, e.span))
            }
            _ => None,
        }
    }

    /// `e as T`.
    pub fn cast(&mut self, operand: &ast::Expr, ty: &ast::Type, as_span: Span, span: Span) -> Expr {
        let to = self.resolve(ty);
        // A big literal can be cast to the unsigned type that holds it (`0xFFFF_FFFF_FFFF_FFFF as u64`).
        self.hint = match &to {
            T::Int(_) | T::F32 => Some(to.clone()),
            _ => None,
        };
        let v = self.expr(operand);
        self.hint = None;
        let from = self.inf.zonk(&self.t(&v));
        let to = self.inf.zonk(&to);
        if let T::Var(_) = self.sh(&from) {
            self.err(crate::errors::cannot_infer("the value being cast", operand.span));
            return self.mk(ExprKind::Cast(Box::new(v)), to, span);
        }
        if let Some(why) = cast_error(&from, &to) {
            let (f, t) = (self.show(&from), self.show(&to));
            let _ = as_span;
            self.err(bad_cast(&f, &t, span, why));
            return self.err_expr(span);
        }
        self.mk(ExprKind::Cast(Box::new(v)), to, span)
    }
}
