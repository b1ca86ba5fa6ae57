//! Unit tests of the inliner on hand-built TIR.
use super::*;
use vais_ast::Span;

fn ex(kind: ExprKind, ty: Ty) -> Expr {
    Expr::new(kind, ty, Span::default())
}
fn int(v: i128) -> Expr {
    ex(ExprKind::Int(v), Ty::I64)
}
fn local(l: u32) -> Expr {
    ex(ExprKind::Local(LocalId(l)), Ty::I64)
}
fn add(a: Expr, b: Expr) -> Expr {
    ex(ExprKind::Binary { op: vais_tir::BinaryOp::Add, lhs: Box::new(a), rhs: Box::new(b) }, Ty::I64)
}
fn ld(name: &str, mutable: bool) -> LocalDef {
    LocalDef { name: name.into(), ty: Ty::I64, mutable, span: Span::default() }
}
fn func(name: &str, params: usize, locals: Vec<LocalDef>, body: Expr) -> FuncDef {
    FuncDef {
        name: name.into(),
        kind: FuncKind::Free,
        is_async: false,
        params: (0..params as u32).map(LocalId).collect(),
        captures: vec![],
        ret: Ty::I64,
        locals,
        body,
        span: Span::default(),
    }
}
fn call(f: u32, args: Vec<Expr>) -> Expr {
    ex(ExprKind::Call { callee: Callee::Func(FuncId(f)), args }, Ty::I64)
}

fn count(e: &Expr, pred: impl Fn(&Expr) -> bool) -> usize {
    let mut n = 0;
    visit::preorder(e, |x| n += usize::from(pred(x)));
    n
}

#[test]
fn small_callee_is_inlined_with_its_locals_renumbered() {
    // inc(x) = x + 1; main: m := mut 5 (local 0); inc(m)
    let inc = func("inc", 1, vec![ld("x", false)], add(local(0), int(1)));
    let body = ex(
        ExprKind::Block(vais_tir::Block { stmts: vec![Stmt::Let { local: LocalId(0), value: int(5) }], value: Some(Box::new(call(0, vec![local(0)]))) }),
        Ty::I64,
    );
    let main = func("main", 0, vec![ld("m", true)], body);
    let mut p = Program { funcs: vec![inc, main], main: Some(FuncId(1)), ..Default::default() };
    let st = inline_program(&mut p, Limits::default());
    assert_eq!(st.inlined, 1);
    let m = &p.funcs[1];
    assert_eq!(m.locals.len(), 2, "the callee's parameter became a caller local");
    assert_eq!(count(&m.body, |x| matches!(x.kind, ExprKind::Call { .. })), 0);
    // `m` is mutable: bound to a fresh local, not substituted.
    let ExprKind::Block(b) = &m.body.kind else { panic!() };
    let ExprKind::Inlined { args, body, .. } = &b.value.as_ref().unwrap().kind else { panic!("not inlined") };
    assert_eq!(args.len(), 1);
    assert_eq!(args[0].0, LocalId(1));
    assert!(matches!(body.kind, ExprKind::Binary { .. }));
    assert_eq!(count(body, |x| matches!(x.kind, ExprKind::Local(LocalId(1)))), 1);
    vais_tir::verify::verify_program(&p).expect("verifies");
}

#[test]
fn self_recursion_is_bounded() {
    // f(n) = f(n) + 1 (never run): inlined into itself self_levels deep, no further.
    let f = func("f", 1, vec![ld("n", false)], add(call(0, vec![local(0)]), int(1)));
    let mut p = Program { funcs: vec![f], ..Default::default() };
    let st = inline_program(&mut p, Limits::default());
    assert_eq!(st.inlined, Limits::default().self_levels);
    assert_eq!(count(&p.funcs[0].body, |x| matches!(x.kind, ExprKind::Call { .. })), 1);
}

#[test]
fn callee_with_return_or_too_big_is_kept() {
    let ret = func("r", 1, vec![ld("x", false)], ex(ExprKind::Return(Some(Box::new(local(0)))), Ty::Never));
    let mut big = local(0);
    for _ in 0..Limits::default().callee_nodes {
        big = add(big, int(1));
    }
    let big = func("big", 1, vec![ld("x", false)], big);
    let main = func("main", 0, vec![], add(call(0, vec![int(1)]), call(1, vec![int(2)])));
    let mut p = Program { funcs: vec![ret, big, main], ..Default::default() };
    let st = inline_program(&mut p, Limits::default());
    assert_eq!(st.inlined, 0);
}
