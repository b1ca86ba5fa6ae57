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

fn in_loop(body: Expr) -> Expr {
    ex(ExprKind::Loop { kind: LoopKind::Infinite, body: Box::new(body) }, Ty::Unit)
}

#[test]
fn medium_callee_is_inlined_in_a_loop_but_not_in_straight_line_code() {
    // 21 nodes: above the straight-line limit, below the loop limit.
    let mut b = local(0);
    for _ in 0..10 {
        b = add(b, int(1));
    }
    let mid = func("mid", 1, vec![ld("x", false)], b);
    let straight = func("straight", 0, vec![], call(0, vec![int(1)]));
    let mut looped = func("looped", 0, vec![], in_loop(call(0, vec![int(1)])));
    looped.ret = Ty::Unit;
    let mut p = Program { funcs: vec![mid, straight, looped], ..Default::default() };
    inline_program(&mut p, Limits::default());
    assert_eq!(count(&p.funcs[1].body, |x| matches!(x.kind, ExprKind::Inlined { .. })), 0);
    assert_eq!(count(&p.funcs[2].body, |x| matches!(x.kind, ExprKind::Inlined { .. })), 1);
}

#[test]
fn a_function_value_bound_to_a_parameter_is_called_directly_and_inlined() {
    // apply(f, x) = f(x), called in a loop as apply(dbl, 3): the copy calls `dbl` directly,
    // and that call is inlined too.
    let fty = Ty::Fn(vec![Ty::I64], Box::new(Ty::I64));
    let dbl = func("dbl", 1, vec![ld("y", false)], add(local(0), local(0)));
    let fparam = LocalDef { name: "f".into(), ty: fty.clone(), mutable: false, span: Span::default() };
    let fcall = ex(ExprKind::Call { callee: Callee::Value(Box::new(ex(ExprKind::Local(LocalId(0)), fty.clone()))), args: vec![local(1)] }, Ty::I64);
    let apply = func("apply", 2, vec![fparam, ld("x", false)], fcall);
    let arg = ex(ExprKind::FuncRef(FuncId(0)), fty);
    let mut main = func("main", 0, vec![], in_loop(call(1, vec![arg, int(3)])));
    main.ret = Ty::Unit;
    let mut p = Program { funcs: vec![dbl, apply, main], ..Default::default() };
    let st = inline_program(&mut p, Limits::default());
    assert_eq!(st.devirtualised, 1);
    let body = &p.funcs[2].body;
    assert_eq!(count(body, |x| matches!(x.kind, ExprKind::Inlined { .. })), 2, "apply and dbl");
    assert_eq!(count(body, |x| matches!(x.kind, ExprKind::Call { .. })), 0);
    vais_tir::verify::verify_program(&p).expect("verifies");
}

fn bin(op: vais_tir::BinaryOp, a: Expr, b: Expr, ty: Ty) -> Expr {
    ex(ExprKind::Binary { op, lhs: Box::new(a), rhs: Box::new(b) }, ty)
}
fn sub(a: Expr, b: Expr) -> Expr {
    bin(vais_tir::BinaryOp::Sub, a, b, Ty::I64)
}
fn cond(c: Expr, t: Expr, e: Expr) -> Expr {
    ex(ExprKind::If { cond: Box::new(c), then_expr: Box::new(t), else_expr: Some(Box::new(e)) }, Ty::I64)
}

#[test]
fn fib_keeps_one_call_and_loops_on_the_other() {
    // fib(n) = n < 2 ? n : fib(n - 1) + fib(n - 2)
    let c = bin(vais_tir::BinaryOp::Lt, local(0), int(2), Ty::Bool);
    let body = cond(c, local(0), add(call(0, vec![sub(local(0), int(1))]), call(0, vec![sub(local(0), int(2))])));
    let mut fib = func("fib", 1, vec![ld("n", false)], body);
    let looped = tailrec::eliminate(&mut fib, FuncId(0)).expect("transformed");
    // The loop, `fib(n - 1)`, and the budget's real call of `fib(n - 2)`.
    assert_eq!(count(&fib.body, |x| matches!(x.kind, ExprKind::Loop { .. })), 1);
    assert_eq!(count(&fib.body, |x| matches!(x.kind, ExprKind::Call { .. })), 2);
    assert_eq!(count(&fib.body, |x| matches!(x.kind, ExprKind::Continue)), 1);
    assert_eq!(looped.calls.len(), 1);
    assert!(fib.local(LocalId(0)).mutable, "the parameter is reassigned");
    let p = Program { funcs: vec![fib], ..Default::default() };
    vais_tir::verify::verify_program(&p).expect("verifies");
}

#[test]
fn tail_recursion_is_left_alone_without_a_base_case_or_with_frame_addresses() {
    // f(n) = 1 + f(n + 1): every path recurses (a stack overflow stays one).
    let mut f = func("f", 1, vec![ld("n", false)], add(int(1), call(0, vec![add(local(0), int(1))])));
    assert!(tailrec::eliminate(&mut f, FuncId(0)).is_none());
    // g(n) = n == 0 ? 0 : g(load_i64(&n) - 1): an address of the frame.
    let c = bin(vais_tir::BinaryOp::Eq, local(0), int(0), Ty::Bool);
    let addr = ex(ExprKind::AddrOf(Box::new(local(0))), Ty::Ref(Box::new(Ty::I64)));
    let load = ex(ExprKind::Deref(Box::new(addr)), Ty::I64);
    let mut g = func("g", 1, vec![ld("n", false)], cond(c, int(0), call(0, vec![sub(load, int(1))])));
    assert!(tailrec::eliminate(&mut g, FuncId(0)).is_none());
    // h(n) = n == 0 ? 0.0 : 0.5 + h(n - 1) on floats: not reassociated.
    let c = bin(vais_tir::BinaryOp::Eq, local(0), int(0), Ty::Bool);
    let fcall = ex(ExprKind::Call { callee: Callee::Func(FuncId(0)), args: vec![sub(local(0), int(1))] }, Ty::F64);
    let fsum = bin(vais_tir::BinaryOp::Add, ex(ExprKind::Float(0.5), Ty::F64), fcall, Ty::F64);
    let mut body = cond(c, ex(ExprKind::Float(0.0), Ty::F64), fsum);
    body.ty = Ty::F64;
    let mut h = func("h", 1, vec![ld("n", false)], body);
    h.ret = Ty::F64;
    assert!(tailrec::eliminate(&mut h, FuncId(0)).is_none());
}
