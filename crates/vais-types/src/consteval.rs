//! Compile-time evaluation of `C` constants (Project decision 5), typed exactly as the checker
//! types the same expression in a function body, and computed exactly as the JIT computes it at
//! run time: one evaluator parameterised by the operand type.
//!
//! Typing follows `expr.rs`: an integer literal is `i64`, a float literal `f64`; a binary
//! operator has its left operand's type and converts the right one to it (integers of the
//! convertible family by a cast, anything else must match); comparisons give `bool`.
//!
//! Values: an integer of type `t` is held in an `i128` in canonical form, the value that
//! [`wrap`] leaves unchanged (the mathematical value for widths below 128, the bit pattern for
//! `i128`/`u128`); an `f32` is an `f64` holding an exactly representable `f32`.
//!
//! Run-time semantics mirrored here (`vais-jit`, `translate.rs`): `+ - * << -x ~x` wrap at
//! the type's width; `/` and `%` truncate (`%` has the dividend's sign), unsigned types divide
//! and compare unsigned; `>>` is arithmetic on signed and logical on unsigned types; a shift
//! count is taken modulo the width (Cranelift's rule, so `-1` shifts an `i8` by 7); floats
//! follow IEEE at their own width (`%` is C's `fmod`); `&&`/`||` short-circuit. An operation
//! that traps at run time (division or remainder by zero, signed `MIN / -1` and `MIN % -1`) is
//! a compile error in a constant (`E023`, `E024`), except in an operand that `&&`/`||` skip:
//! that one is typed but, as at run time, never evaluated.
//!
//! Constants may refer to each other in any order; they are evaluated in dependency order, and
//! a cycle is an error (`E025`). Nothing here recurses along a chain of operators (a left-deep
//! `1 + 1 + ... + 1` or a run of prefix operators), so long constant expressions cannot
//! overflow the stack.

use std::collections::HashMap;

use vais_ast::ast::{self, BinaryOp, ExprKind as A, UnaryOp as AU};
use vais_ast::{Diagnostic, Span};
use vais_tir::IntTy;

use crate::env::ConstVal;
use crate::errors;
use crate::items::wrap;
use crate::ty::{convertible, show, T};

/// Why a constant expression has no value.
#[derive(Debug)]
pub enum Fail {
    /// Not a compile-time constant (a call, a variable, ...): the span of the offending part.
    NotConst(Span),
    /// An error to report (type error, trap).
    Diag(Box<Diagnostic>),
}

/// What an integer operation that cannot produce a value does at run time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trap {
    DivByZero,
    RemByZero,
    /// Signed `MIN / -1` or `MIN % -1`.
    Overflow,
}

fn min_of(t: IntTy) -> i128 {
    if t.signed() {
        if t.bits() == 128 {
            i128::MIN
        } else {
            -(1i128 << (t.bits() - 1))
        }
    } else {
        0
    }
}

/// `a op b` on two canonical integers of type `t` (`op` arithmetic, bitwise or a shift).
pub fn int_arith(op: BinaryOp, t: IntTy, a: i128, b: i128) -> Result<i128, Trap> {
    use BinaryOp::*;
    let bits = t.bits();
    let u128_ = t == IntTy::U128;
    let r = match op {
        Add => a.wrapping_add(b),
        Sub => a.wrapping_sub(b),
        Mul => a.wrapping_mul(b),
        Div | Rem => {
            if b == 0 {
                return Err(if op == Div { Trap::DivByZero } else { Trap::RemByZero });
            }
            if t.signed() && a == min_of(t) && b == -1 {
                return Err(Trap::Overflow);
            }
            match (op, u128_) {
                (Div, false) => a / b,
                (Div, true) => ((a as u128) / (b as u128)) as i128,
                (_, false) => a % b,
                (_, true) => ((a as u128) % (b as u128)) as i128,
            }
        }
        BitAnd => a & b,
        BitOr => a | b,
        BitXor => a ^ b,
        Shl | Shr => {
            let n = (b & (bits as i128 - 1)) as u32;
            match op {
                Shl => a.wrapping_shl(n),
                // Canonical signed values are sign-extended and canonical unsigned ones below
                // 128 bits are non-negative, so an arithmetic shift of the `i128` is right for
                // both; only `u128` needs a logical one.
                _ if u128_ => ((a as u128) >> n) as i128,
                _ => a >> n,
            }
        }
        _ => unreachable!("int_arith on {}", op.symbol()),
    };
    Ok(wrap(r, t))
}

/// `a op b` (a comparison) on two canonical integers of type `t`.
pub fn int_compare(op: BinaryOp, t: IntTy, a: i128, b: i128) -> bool {
    use std::cmp::Ordering;
    let ord = if t == IntTy::U128 { (a as u128).cmp(&(b as u128)) } else { a.cmp(&b) };
    match op {
        BinaryOp::Eq => ord == Ordering::Equal,
        BinaryOp::Ne => ord != Ordering::Equal,
        BinaryOp::Lt => ord == Ordering::Less,
        BinaryOp::Le => ord != Ordering::Greater,
        BinaryOp::Gt => ord == Ordering::Greater,
        BinaryOp::Ge => ord != Ordering::Less,
        _ => unreachable!("int_compare on {}", op.symbol()),
    }
}

/// `a op b` (arithmetic) on two floats, computed at single precision when `f32`.
pub fn float_arith(op: BinaryOp, f32_: bool, a: f64, b: f64) -> f64 {
    use BinaryOp::*;
    if f32_ {
        let (a, b) = (a as f32, b as f32);
        return match op {
            Add => a + b,
            Sub => a - b,
            Mul => a * b,
            Div => a / b,
            Rem => a % b,
            _ => unreachable!("float_arith on {}", op.symbol()),
        } as f64;
    }
    match op {
        Add => a + b,
        Sub => a - b,
        Mul => a * b,
        Div => a / b,
        Rem => a % b,
        _ => unreachable!("float_arith on {}", op.symbol()),
    }
}

/// `a op b` (a comparison) on two floats (IEEE: every comparison with NaN is false but `!=`).
pub fn float_compare(op: BinaryOp, a: f64, b: f64) -> bool {
    match op {
        BinaryOp::Eq => a == b,
        BinaryOp::Ne => a != b,
        BinaryOp::Lt => a < b,
        BinaryOp::Le => a <= b,
        BinaryOp::Gt => a > b,
        BinaryOp::Ge => a >= b,
        _ => unreachable!("float_compare on {}", op.symbol()),
    }
}

/// The value `v` of type `from` converted to the declared type `to` of a constant, or `None`
/// when no conversion exists. Integers convert as the run-time `Cast` does (truncate, or
/// extend by the source's signedness: canonical form makes both a `wrap`); a float declared
/// `f32` is rounded to single precision. A constant's declaration is the one place where a
/// literal may become an `i128`, `u128` or `f32`.
pub fn convert(v: ConstVal, to: &T) -> Option<ConstVal> {
    Some(match (to, v) {
        (T::Int(i), ConstVal::Int(x)) => ConstVal::Int(wrap(x, *i)),
        (T::F64, ConstVal::Float(f)) => ConstVal::Float(f),
        (T::F32, ConstVal::Float(f)) => ConstVal::Float(f as f32 as f64),
        (T::Bool, ConstVal::Bool(b)) => ConstVal::Bool(b),
        (T::Str, ConstVal::Str(s)) => ConstVal::Str(s),
        (T::Err, v) => v,
        _ => return None,
    })
}

/// The constants already known, by name, with their type and value.
pub type Known<'a> = dyn Fn(&str) -> Option<(T, ConstVal)> + 'a;

/// Evaluates one constant expression. `what` names the constant in messages.
pub struct Eval<'a> {
    pub known: &'a Known<'a>,
    pub what: &'a str,
    /// Resolves the type written in a cast (`e as T`), reporting into the error on failure.
    pub resolve: &'a dyn Fn(&ast::Type) -> Result<T, Box<Diagnostic>>,
}

/// A prefix operator or a cast, applied after its operand is evaluated.
enum Wrap<'e> {
    Unary(AU, &'e ast::Expr),
    Cast(&'e ast::Type, &'e ast::Expr),
}

type V = (T, ConstVal);

impl Eval<'_> {
    /// The type and value of `e`. `live` is false inside an operand that run time would skip
    /// (`false && e`): it is typed but never traps.
    pub fn eval(&self, e: &ast::Expr, live: bool) -> Result<V, Fail> {
        // Prefix operators and casts: peel them iteratively, apply them innermost first.
        let mut prefix: Vec<Wrap> = vec![];
        let mut e = e;
        loop {
            match &e.kind {
                A::Unary { op: AU::Neg, operand } if matches!(operand.kind, A::Int(_)) => break,
                A::Unary { op, operand } => {
                    prefix.push(Wrap::Unary(*op, e));
                    e = operand;
                }
                A::Cast { expr, ty, .. } => {
                    prefix.push(Wrap::Cast(ty, e));
                    e = expr;
                }
                A::Block(b) if b.stmts.len() == 1 => match &b.stmts[0].kind {
                    ast::StmtKind::Expr(x) => e = x,
                    _ => return Err(Fail::NotConst(e.span)),
                },
                _ => break,
            }
        }
        // A literal directly under a cast to an integer type takes that type (as in a body).
        let mut v = match (&e.kind, prefix.last()) {
            (A::Int(_), Some(Wrap::Cast(ty, _))) | (A::Unary { op: AU::Neg, .. }, Some(Wrap::Cast(ty, _))) => {
                let to = (self.resolve)(ty).map_err(Fail::Diag)?;
                match to {
                    T::Int(i) => literal(e, Some(i))?,
                    _ => literal(e, None)?,
                }
            }
            _ => self.eval_binary_chain(e, live)?,
        };
        while let Some(w) = prefix.pop() {
            v = match w {
                Wrap::Unary(op, at) => {
                    let A::Unary { operand, .. } = &at.kind else { unreachable!() };
                    self.unary(op, v, operand.span)?
                }
                Wrap::Cast(ty, at) => {
                    let to = (self.resolve)(ty).map_err(Fail::Diag)?;
                    let (from, x) = v;
                    if let Some(why) = crate::cast::cast_error(&from, &to) {
                        let d = crate::cast::bad_cast(&show(&from), &show(&to), at.span, why);
                        return Err(Fail::Diag(Box::new(d)));
                    }
                    if matches!(from, T::Err) || matches!(to, T::Err) {
                        (T::Err, x)
                    } else {
                        match crate::cast::cast_value(x, &from, &to) {
                            Some(x) => (to, x),
                            None => return Err(Fail::NotConst(at.span)),
                        }
                    }
                }
            };
        }
        Ok(v)
    }

    /// A left-deep chain of binary operators, evaluated along its left spine without recursion.
    fn eval_binary_chain(&self, e: &ast::Expr, live: bool) -> Result<V, Fail> {
        let mut spine: Vec<&ast::Expr> = vec![];
        let mut leftmost = e;
        while let A::Binary { lhs, .. } = &leftmost.kind {
            spine.push(leftmost);
            leftmost = lhs;
        }
        let mut acc = match &leftmost.kind {
            A::Int(_) => literal(leftmost, None)?,
            A::Unary { op: AU::Neg, operand } if matches!(operand.kind, A::Int(_)) => literal(leftmost, None)?,
            A::Cast { .. } => self.eval(leftmost, live)?,
            A::Float(f) => (T::F64, ConstVal::Float(*f)),
            A::Bool(b) => (T::Bool, ConstVal::Bool(*b)),
            A::Str(s) => (T::Str, ConstVal::Str(s.clone())),
            A::Ident(n) => (self.known)(n).ok_or(Fail::NotConst(leftmost.span))?,
            A::Unary { .. } => self.eval(leftmost, live)?,
            A::Block(b) if b.stmts.len() == 1 && matches!(b.stmts[0].kind, ast::StmtKind::Expr(_)) => self.eval(leftmost, live)?,
            // Any other block (`{}`, `{ a; b }`, a `let`) is not a constant expression.
            _ => return Err(Fail::NotConst(leftmost.span)),
        };
        let mut lhs_span = leftmost.span;
        while let Some(node) = spine.pop() {
            let A::Binary { op, rhs, .. } = &node.kind else { unreachable!() };
            acc = self.binary(*op, acc, lhs_span, rhs, live)?;
            lhs_span = node.span;
        }
        Ok(acc)
    }

    fn unary(&self, op: AU, (t, v): V, span: Span) -> Result<V, Fail> {
        let bad = |o: &str| Err(Fail::Diag(Box::new(errors::bad_operand(o, &show(&t), span))));
        let r = match (op, &t, v) {
            (_, T::Err, v) => v,
            (AU::Neg, T::Int(i), ConstVal::Int(x)) => ConstVal::Int(wrap(x.wrapping_neg(), *i)),
            (AU::Neg, T::F32 | T::F64, ConstVal::Float(x)) => ConstVal::Float(-x),
            (AU::Neg, ..) => return bad("-"),
            (AU::BitNot, T::Int(i), ConstVal::Int(x)) => ConstVal::Int(wrap(!x, *i)),
            (AU::BitNot, ..) => return bad("~"),
            (AU::Not, T::Bool, ConstVal::Bool(b)) => ConstVal::Bool(!b),
            (AU::Not, ..) => {
                let d = errors::mismatch_ctx("bool", &show(&t), span, "`!` needs a `bool`; use `~` for bitwise complement");
                return Err(Fail::Diag(Box::new(d)));
            }
            (AU::Ref | AU::Deref, ..) => return Err(Fail::NotConst(span)),
        };
        Ok((t, r))
    }

    /// The right operand converted to the left operand's type `want` (the checker's `coerce`).
    fn coerce(&self, (t, v): V, want: &T, span: Span, ctx: Option<&str>) -> Result<ConstVal, Fail> {
        match (&t, want) {
            (T::Err, _) | (_, T::Err) => Ok(v),
            (T::Int(a), T::Int(b)) if a == b || (convertible(*a) && convertible(*b)) => {
                Ok(convert(v, want).expect("int to int"))
            }
            (a, b) if a == b && matches!(a, T::F32 | T::F64 | T::Bool | T::Str) => Ok(v),
            _ => {
                let (w, h) = (show(want), show(&t));
                Err(Fail::Diag(Box::new(match ctx {
                    Some(c) => errors::mismatch_ctx(&w, &h, span, c),
                    None => errors::mismatch(&w, &h, span),
                })))
            }
        }
    }

    fn binary(&self, op: BinaryOp, (lt, lv): V, lspan: Span, rhs: &ast::Expr, live: bool) -> Result<V, Fail> {
        use BinaryOp::*;
        if let And | Or = op {
            const CTX: &str = "`&&`/`||` need `bool` operands";
            let l = self.coerce((lt, lv), &T::Bool, lspan, Some(CTX))?;
            // The right operand runs only when it decides the result.
            let decided = matches!((op, &l), (And, ConstVal::Bool(false)) | (Or, ConstVal::Bool(true)));
            let r = self.eval(rhs, live && !decided)?;
            let r = self.coerce(r, &T::Bool, rhs.span, Some(CTX))?;
            return Ok((T::Bool, if decided { l } else { r }));
        }
        let cmp = matches!(op, Eq | Ne | Lt | Le | Gt | Ge);
        let numeric = matches!(lt, T::Int(_) | T::F32 | T::F64 | T::Err);
        let ok = match op {
            Add | Sub | Mul | Div | Rem | Lt | Le | Gt | Ge => numeric,
            BitAnd | BitOr | BitXor | Shl | Shr => matches!(lt, T::Int(_) | T::Err),
            _ => true,
        };
        if !ok {
            return Err(Fail::Diag(Box::new(errors::bad_operand(op.symbol(), &show(&lt), lspan))));
        }
        let r = self.eval(rhs, live)?;
        let rv = self.coerce(r, &lt, rhs.span, None)?;
        let out_t = if cmp { T::Bool } else { lt.clone() };
        let v = match (&lt, lv, rv) {
            (T::Err, ..) => return Ok((if cmp { T::Bool } else { T::Err }, ConstVal::Bool(false))),
            (T::Int(i), ConstVal::Int(a), ConstVal::Int(b)) if cmp => ConstVal::Bool(int_compare(op, *i, a, b)),
            (T::Int(i), ConstVal::Int(a), ConstVal::Int(b)) => match int_arith(op, *i, a, b) {
                Ok(x) => ConstVal::Int(x),
                Err(_) if !live => ConstVal::Int(0),
                Err(trap) => {
                    let (sa, sb) = (show_int(a, *i), show_int(b, *i));
                    let d = errors::const_trap(trap, self.what, op.symbol(), &sa, &sb, i.name(), rhs.span, lspan);
                    return Err(Fail::Diag(Box::new(d)));
                }
            },
            (T::F32 | T::F64, ConstVal::Float(a), ConstVal::Float(b)) if cmp => ConstVal::Bool(float_compare(op, a, b)),
            (T::F32 | T::F64, ConstVal::Float(a), ConstVal::Float(b)) => ConstVal::Float(float_arith(op, lt == T::F32, a, b)),
            (_, a, b) => ConstVal::Bool(if op == Eq { a == b } else { a != b }),
        };
        Ok((out_t, v))
    }
}

/// An integer literal (`5`, `-5`) typed `ty` (default `i64`), which it must fit (`E028`).
pub fn literal(e: &ast::Expr, ty: Option<IntTy>) -> Result<V, Fail> {
    let v = match &e.kind {
        A::Int(v) => *v as i128,
        A::Unary { op: AU::Neg, operand } => match operand.kind {
            A::Int(v) => -(v as i128),
            _ => return Err(Fail::NotConst(e.span)),
        },
        _ => return Err(Fail::NotConst(e.span)),
    };
    let t = ty.unwrap_or(IntTy::I64);
    let (lo, hi) = crate::cast::int_range(t);
    if v < lo || v > hi {
        // Under a cast (`300 as u8`) a literal that fits `i64` is an `i64` being converted.
        if ty.is_some() && v >= i64::MIN as i128 && v <= i64::MAX as i128 {
            return Ok((crate::ty::I64, ConstVal::Int(v)));
        }
        return Err(Fail::Diag(Box::new(crate::cast::literal_out_of_range(&v.to_string(), if ty.is_some() && v > i64::MAX as i128 { t } else { IntTy::I64 }, e.span))));
    }
    Ok((T::Int(t), ConstVal::Int(v)))
}

/// A constant declared with an integer type whose value is written as a literal: the literal
/// has that type and must fit it (`C B: u8 = 300` is `E028`, as `b: u8 = 300` is).
pub fn declared_literal(e: &ast::Expr, t: IntTy) -> Option<Result<V, Fail>> {
    let v = match &e.kind {
        A::Int(v) => *v as i128,
        A::Unary { op: AU::Neg, operand } => match operand.kind {
            A::Int(v) => -(v as i128),
            _ => return None,
        },
        _ => return None,
    };
    let (lo, hi) = crate::cast::int_range(t);
    if v < lo || v > hi {
        return Some(Err(Fail::Diag(Box::new(crate::cast::literal_out_of_range(&v.to_string(), t, e.span)))));
    }
    Some(Ok((T::Int(t), ConstVal::Int(wrap(v, t)))))
}

/// A canonical integer as the user writes it.
pub fn show_int(v: i128, t: IntTy) -> String {
    if t == IntTy::U128 {
        (v as u128).to_string()
    } else {
        v.to_string()
    }
}

/// The names of the constants in `pending` that `e` mentions (each once), found without
/// recursion.
fn deps<'a>(e: &'a ast::Expr, pending: &HashMap<&str, usize>) -> Vec<(&'a str, Span)> {
    let mut out: Vec<(&str, Span)> = vec![];
    let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        match &e.kind {
            A::Ident(n) if pending.contains_key(n.as_str()) && seen.insert(n) => out.push((n, e.span)),
            A::Unary { operand, .. } => stack.push(operand),
            A::Cast { expr, .. } => stack.push(expr),
            A::Binary { lhs, rhs, .. } => {
                stack.push(rhs);
                stack.push(lhs);
            }
            A::Block(b) if b.stmts.len() == 1 => {
                if let ast::StmtKind::Expr(x) = &b.stmts[0].kind {
                    stack.push(x);
                }
            }
            _ => {}
        }
    }
    out
}

/// The order in which to evaluate `consts` (indices), every constant after those it mentions,
/// and the cycles found: each as the names along it, starting and ending at the same constant,
/// with the span of its first mention of the next one. A constant that mentions its own name
/// is a cycle unless `own_earlier(name)` (a REPL redefinition reads the previous definition).
pub fn order(consts: &[&ast::Const], own_earlier: &dyn Fn(&str) -> bool) -> (Vec<usize>, Vec<(Vec<String>, Span)>) {
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, c) in consts.iter().enumerate() {
        // A duplicate (already reported) keeps the first.
        index.entry(c.name.name.as_str()).or_insert(i);
    }
    let edges: Vec<Vec<(usize, Span)>> = consts
        .iter()
        .map(|c| {
            deps(&c.value, &index)
                .into_iter()
                .filter(|(n, _)| *n != c.name.name || !own_earlier(n))
                .map(|(n, s)| (index[n], s))
                .collect()
        })
        .collect();
    // Iterative depth-first search: 0 = new, 1 = on the stack, 2 = done.
    let mut state = vec![0u8; consts.len()];
    let mut out = Vec::with_capacity(consts.len());
    let mut cycles = vec![];
    for root in 0..consts.len() {
        if state[root] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        state[root] = 1;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(&(to, span)) = edges[node].get(*next) {
                *next += 1;
                match state[to] {
                    0 => {
                        state[to] = 1;
                        stack.push((to, 0));
                    }
                    1 => {
                        let from = stack.iter().position(|(n, _)| *n == to).expect("on stack");
                        let mut names: Vec<String> = stack[from..].iter().map(|(n, _)| consts[*n].name.name.clone()).collect();
                        names.push(consts[to].name.name.clone());
                        cycles.push((names, span));
                    }
                    _ => {}
                }
            } else {
                state[node] = 2;
                out.push(node);
                stack.pop();
            }
        }
    }
    (out, cycles)
}

/// Calls `f` with every identifier `e` mentions (a local named like a constant counts too:
/// over-approximate). The REPL's dependency index uses it to find the functions a redefined
/// constant's old value was folded into. Walks with an explicit stack.
pub fn each_ident<'a>(e: &'a ast::Expr, f: &mut dyn FnMut(&'a str)) {
    let mut stack = vec![e];
    fn block<'a>(b: &'a ast::Block, stack: &mut Vec<&'a ast::Expr>) {
        for s in &b.stmts {
            match &s.kind {
                ast::StmtKind::Let { value, .. } => stack.push(value),
                ast::StmtKind::Expr(x) => stack.push(x),
                ast::StmtKind::Return(x) | ast::StmtKind::Break(x) => stack.extend(x.as_ref()),
                ast::StmtKind::Continue => {}
            }
        }
    }
    while let Some(e) = stack.pop() {
        match &e.kind {
            A::Ident(n) => f(n),
            A::Int(_) | A::Float(_) | A::Str(_) | A::Bool(_) | A::Unit | A::SelfValue | A::At | A::Error => {}
            A::Tuple(xs) | A::Array(xs) => stack.extend(xs),
            A::StructLit { fields, .. } => stack.extend(fields.iter().map(|(_, x)| x)),
            A::Block(b) => block(b, &mut stack),
            A::If { cond, then_block, else_branch } => {
                stack.push(cond);
                block(then_block, &mut stack);
                stack.extend(else_branch.as_deref());
            }
            A::Loop { header, body } => {
                if let Some(h) = header {
                    stack.push(&h.1);
                }
                block(body, &mut stack);
            }
            A::Match { scrutinee, arms } => {
                stack.push(scrutinee);
                for a in arms {
                    stack.extend(a.guard.as_deref());
                    stack.push(&a.body);
                }
            }
            A::Lambda { body, .. } => stack.push(body),
            A::Spawn(x) | A::Await(x) | A::Unwrap(x) => stack.push(x),
            A::Cast { expr, .. } => stack.push(expr),
            A::Unary { operand, .. } => stack.push(operand),
            A::Binary { lhs, rhs, .. } => {
                stack.push(lhs);
                stack.push(rhs);
            }
            A::Range { start, end, .. } => {
                stack.extend(start.as_deref());
                stack.extend(end.as_deref());
            }
            A::Ternary { cond, then_expr, else_expr } => {
                stack.push(cond);
                stack.push(then_expr);
                stack.push(else_expr);
            }
            A::Assign { target, value, .. } => {
                stack.push(target);
                stack.push(value);
            }
            A::Call { callee, args } => {
                stack.push(callee);
                stack.extend(args);
            }
            A::MethodCall { receiver, args, .. } => {
                stack.push(receiver);
                stack.extend(args);
            }
            A::StaticCall { args, .. } => stack.extend(args),
            A::Field { base, .. } => stack.push(base),
            A::Index { base, index } => {
                stack.push(base);
                stack.push(index);
            }
        }
    }
}
