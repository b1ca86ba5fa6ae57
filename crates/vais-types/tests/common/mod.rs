//! Shared helpers for the vais-types tests: parse + check, and a TIR invariant validator.
#![allow(dead_code)]

use vais_ast::{Diagnostic, SourceMap};
use vais_tir::*;

pub fn check_src(src: &str) -> (Option<Program>, Vec<Diagnostic>, SourceMap) {
    let mut sm = SourceMap::new();
    let f = sm.add("test.vais", src);
    let (m, pd) = vais_parser::parse_file(f, src);
    assert!(pd.is_empty(), "parse errors: {:?}", pd);
    let (p, d) = vais_types::check_program(&m);
    (p, d, sm)
}

pub fn ok(src: &str) -> Program {
    let (p, d, sm) = check_src(src);
    let errs: Vec<String> =
        d.iter().filter(|d| d.is_error()).map(|d| format!("{} {} at {}", d.code, d.message, sm.location(d.span))).collect();
    assert!(errs.is_empty(), "unexpected errors: {:#?}", errs);
    let p = p.expect("program");
    validate(&p);
    p
}

/// The codes of all errors.
pub fn err_codes(src: &str) -> Vec<&'static str> {
    let (p, d, _) = check_src(src);
    let codes: Vec<&'static str> = d.iter().filter(|d| d.is_error()).map(|d| d.code.as_str()).collect();
    assert!(p.is_none() || codes.is_empty());
    codes
}

fn is_placeholder(t: &Ty) -> bool {
    match t {
        Ty::Struct(s) => s.0 >= 0x4000_0000,
        Ty::Ptr(x) | Ty::Ref(x) | Ty::Array(x) | Ty::Future(x) | Ty::Range(x) | Ty::Optional(x) => is_placeholder(x),
        Ty::Map(a, b) => is_placeholder(a) || is_placeholder(b),
        Ty::Tuple(ts) => ts.iter().any(is_placeholder),
        Ty::Fn(ps, r) => ps.iter().any(is_placeholder) || is_placeholder(r),
        _ => false,
    }
}

/// Check the invariants of vais-tir that are cheap to check.
pub fn validate(p: &Program) {
    for (i, f) in p.funcs.iter().enumerate() {
        let ctx = format!("func {} `{}`", i, f.name);
        assert!(!is_placeholder(&f.ret), "{}: ret", ctx);
        for l in &f.locals {
            assert!(!is_placeholder(&l.ty), "{}: local {}", ctx, l.name);
        }
        for p in &f.params {
            assert!(p.index() < f.locals.len(), "{}", ctx);
        }
        expr(p, f, &f.body, &ctx);
    }
    for s in &p.structs {
        for fd in &s.fields {
            assert!(!is_placeholder(&fd.ty));
        }
    }
}

fn expr(p: &Program, f: &FuncDef, e: &Expr, ctx: &str) {
    assert!(!is_placeholder(&e.ty), "{}: placeholder type in {:?}", ctx, e.kind);
    let sub = |x: &Expr| expr(p, f, x, ctx);
    match &e.kind {
        ExprKind::Local(l) => assert!(l.index() < f.locals.len(), "{}: local id", ctx),
        ExprKind::Cast(x) => {
            assert!(vais_tir::cast_exists(&x.ty, &e.ty) && x.ty != e.ty, "{}: bad cast {:?} -> {:?}", ctx, x.ty, e.ty);
            sub(x)
        }
        ExprKind::Binary { op, lhs, rhs } => {
            use BinaryOp::*;
            if !matches!(op, And | Or) && lhs.ty != Ty::Never && rhs.ty != Ty::Never {
                assert_eq!(lhs.ty, rhs.ty, "{}: binary operand types differ", ctx);
            }
            sub(lhs);
            sub(rhs)
        }
        ExprKind::Call { callee, args } => {
            match callee {
                Callee::Func(id) => {
                    assert!(id.index() < p.funcs.len(), "{}: func id", ctx);
                    let g = &p.funcs[id.index()];
                    assert_eq!(g.params.len(), args.len(), "{}: arity of call to {}", ctx, g.name);
                    for (a, t) in args.iter().zip(g.param_types()) {
                        if a.ty != Ty::Never {
                            assert_eq!(a.ty, t, "{}: arg type in call to {}", ctx, g.name);
                        }
                    }
                }
                Callee::Value(v) => sub(v),
                _ => {}
            }
            args.iter().for_each(sub)
        }
        ExprKind::StructLit { id, fields } => {
            assert!(id.index() < p.structs.len(), "{}: struct id", ctx);
            for (i, v) in fields {
                let ft = &p.structs[id.index()].fields[*i as usize].ty;
                assert_eq!(&v.ty, ft, "{}: field init type", ctx);
                sub(v)
            }
        }
        ExprKind::Variant { enum_id, args, .. } => {
            assert!(enum_id.index() < p.enums.len(), "{}: enum id", ctx);
            args.iter().for_each(sub)
        }
        ExprKind::Tuple(es) | ExprKind::Array(es) => es.iter().for_each(sub),
        ExprKind::Block(b) => {
            for s in &b.stmts {
                match s {
                    Stmt::Let { local, value } => {
                        let lt = &f.locals[local.index()].ty;
                        if value.ty != Ty::Never {
                            assert_eq!(&value.ty, lt, "{}: let type", ctx);
                        }
                        sub(value)
                    }
                    Stmt::Expr(x) => sub(x),
                }
            }
            if let Some(v) = &b.value {
                sub(v)
            }
        }
        ExprKind::If { cond, then_expr, else_expr } => {
            assert_eq!(cond.ty, Ty::Bool);
            sub(cond);
            sub(then_expr);
            if let Some(x) = else_expr {
                sub(x)
            }
        }
        ExprKind::Loop { body, kind } => {
            if let LoopKind::While(c) = kind {
                sub(c)
            }
            if let LoopKind::Range { start, end, .. } = kind {
                assert_eq!(start.ty, end.ty);
                sub(start);
                sub(end)
            }
            sub(body)
        }
        ExprKind::Break(x) | ExprKind::Return(x) => {
            if let Some(x) = x {
                sub(x)
            }
        }
        ExprKind::Match { scrutinee, arms } => {
            sub(scrutinee);
            for a in arms {
                if let Some(g) = &a.guard {
                    sub(g)
                }
                sub(&a.body)
            }
        }
        ExprKind::Unary { operand, .. } => sub(operand),
        ExprKind::Field { base, index } => {
            let Ty::Struct(s) = &base.ty else { panic!("{}: field of non-struct {:?}", ctx, base.ty) };
            assert_eq!(p.structs[s.index()].fields[*index as usize].ty, e.ty, "{}: field type", ctx);
            sub(base)
        }
        ExprKind::Index { base, index } => {
            assert_eq!(index.ty, Ty::I64);
            sub(base);
            sub(index)
        }
        ExprKind::Slice { base, end, .. } => {
            sub(base);
            sub(end)
        }
        ExprKind::Deref(x) | ExprKind::AddrOf(x) | ExprKind::Await(x) | ExprKind::Unwrap(x) => sub(x),
        ExprKind::Inlined { args, body, .. } => {
            args.iter().for_each(|(_, x)| sub(x));
            sub(body)
        }
        ExprKind::Assign { target, value } | ExprKind::CompoundAssign { target, value, .. } => {
            if value.ty != Ty::Never {
                assert_eq!(target.ty, value.ty, "{}: assign types", ctx);
            }
            sub(target);
            sub(value)
        }
        ExprKind::Closure { func, captures } => {
            let g = &p.funcs[func.index()];
            assert_eq!(g.kind, FuncKind::Lambda);
            assert_eq!(g.captures.len(), captures.len());
            captures.iter().for_each(sub)
        }
        ExprKind::MakeFuture { func, args } => {
            assert!(p.funcs[func.index()].is_async);
            args.iter().for_each(sub)
        }
        _ => {}
    }
}
