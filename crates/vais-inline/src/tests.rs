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
    // `L { R x }`: an `R` that is not in a tail position (one there would become its value).
    let r = ex(ExprKind::Return(Some(Box::new(local(0)))), Ty::Never);
    let ret = func("r", 1, vec![ld("x", false)], ex(ExprKind::Loop { kind: LoopKind::Infinite, body: Box::new(r) }, Ty::Never));
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
    // It provably ends: the while form `L _: n >= 2 { u := fib(n - 1); .. }; n + acc`, with
    // the one real call and no budget's call.
    // Every iteration calls fib: a `Recursion` loop (no back-edge poll).
    let whiles = |e: &Expr| count(e, |x| matches!(&x.kind, ExprKind::Loop { kind: LoopKind::While(c) | LoopKind::Recursion(c), .. } if matches!(c.kind, ExprKind::Binary { op: vais_tir::BinaryOp::Ge, .. })));
    assert_eq!(count(&fib.body, |x| matches!(x.kind, ExprKind::Loop { .. })), 1);
    assert_eq!(whiles(&fib.body), 1, "{:#?}", fib.body);
    assert_eq!(count(&fib.body, |x| matches!(x.kind, ExprKind::Loop { kind: LoopKind::Recursion(_), .. })), 1);
    assert_eq!(count(&fib.body, |x| matches!(x.kind, ExprKind::Call { .. })), 1);
    assert_eq!(count(&fib.body, |x| matches!(x.kind, ExprKind::Continue)), 1);
    assert!(looped.calls.is_empty());
    assert!(fib.local(LocalId(0)).mutable, "the parameter is reassigned");
    let p = Program { funcs: vec![fib.clone()], ..Default::default() };
    vais_tir::verify::verify_program(&p).expect("verifies");
    // `fib(n) = n == 0 ? .. : ..` may run away: the loop form with the budget's real call.
    let c = bin(vais_tir::BinaryOp::Eq, local(0), int(0), Ty::Bool);
    let body = cond(c, local(0), add(call(0, vec![sub(local(0), int(1))]), call(0, vec![sub(local(0), int(2))])));
    let mut eqf = func("eqf", 1, vec![ld("n", false)], body);
    let looped = tailrec::eliminate(&mut eqf, FuncId(0)).expect("transformed");
    assert_eq!(whiles(&eqf.body), 0);
    assert_eq!(count(&eqf.body, |x| matches!(x.kind, ExprKind::Call { .. })), 2);
    assert_eq!(looped.calls.len(), 1);
    let p = Program { funcs: vec![eqf], ..Default::default() };
    vais_tir::verify::verify_program(&p).expect("verifies");
    // sum(n) = n < 1 ? 0 : n + sum(n - 1): an iteration calls nothing, so the while loop
    // keeps its back-edge poll (`While`, not `Recursion`).
    let c = bin(vais_tir::BinaryOp::Lt, local(0), int(1), Ty::Bool);
    let mut sum = func("sum", 1, vec![ld("n", false)], cond(c, int(0), add(local(0), call(0, vec![sub(local(0), int(1))]))));
    tailrec::eliminate(&mut sum, FuncId(0)).expect("transformed");
    assert_eq!(count(&sum.body, |x| matches!(x.kind, ExprKind::Loop { kind: LoopKind::While(_), .. })), 1, "{:#?}", sum.body);
    assert_eq!(count(&sum.body, |x| matches!(x.kind, ExprKind::Loop { kind: LoopKind::Recursion(_), .. })), 0);
}

#[test]
fn inlined_copies_of_fib_share_one_accumulator() {
    let c = bin(vais_tir::BinaryOp::Lt, local(0), int(2), Ty::Bool);
    let body = cond(c, local(0), add(call(0, vec![sub(local(0), int(1))]), call(0, vec![sub(local(0), int(2))])));
    let fib = func("fib", 1, vec![ld("n", false)], body);
    let mut p = Program { funcs: vec![fib], ..Default::default() };
    let st = inline_program(&mut p, Limits::default());
    assert!(st.inlined >= 2, "{st:?}");
    let f = &p.funcs[0];
    // Every copy's accumulator starts at its caller's (a local, not the identity), and each
    // site assigns the copy's value instead of adding it.
    let accs: Vec<LocalId> = (0..f.locals.len() as u32).map(LocalId).filter(|l| f.local(*l).name == "tail$acc").collect();
    assert!(accs.len() >= 3, "one per level: {accs:?}");
    let mut from_local = 0;
    let mut from_zero = 0;
    visit::preorder(&f.body, |x| {
        if let ExprKind::Block(b) = &x.kind {
            for s in &b.stmts {
                if let Stmt::Let { local, value } = s {
                    if accs.contains(local) {
                        match value.kind {
                            ExprKind::Local(a) if accs.contains(&a) => from_local += 1,
                            ExprKind::Int(0) => from_zero += 1,
                            _ => panic!("{value:?}"),
                        }
                    }
                }
            }
        }
    });
    assert_eq!(from_zero, 1, "only the function's own accumulator starts at zero");
    assert_eq!(from_local, accs.len() - 1);
    vais_tir::verify::verify_program(&p).expect("verifies");
}

#[test]
fn a_cheap_case_that_recurses_is_not_bounded() {
    // f(n) = n < 2 ? (n < k ? 0 : f(n - 1)) : f(n - 1) + f(n - 2) + n + .. + n: the entry
    // guard's cheap case recurses (with k = MIN it never ends), so the budget stays and a
    // runaway recursion still overflows the stack instead of looping for ever.
    let c = bin(vais_tir::BinaryOp::Lt, local(0), int(2), Ty::Bool);
    let low = bin(vais_tir::BinaryOp::Lt, local(0), int(i64::MIN as i128), Ty::Bool);
    let cheap = cond(low, int(0), call(0, vec![sub(local(0), int(1))]));
    let mut big = add(call(0, vec![sub(local(0), int(1))]), call(0, vec![sub(local(0), int(2))]));
    for _ in 0..10 {
        big = add(big, local(0));
    }
    let body = cond(c, cheap, big);
    let mut f = func("f", 1, vec![ld("n", false)], body);
    let l = tailrec::eliminate(&mut f, FuncId(0)).expect("transformed");
    assert!(has_budget(&f, &l), "{:#?}", f.body);
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

/// `x + 1 + 1 + ...`: a body too big to inline.
fn too_big(x: Expr) -> Expr {
    let mut b = x;
    for _ in 0..Limits::default().callee_nodes {
        b = add(b, int(1));
    }
    b
}

/// The guarded form of a call: `(cond, cheap copy, call)` found under `e`.
fn guarded(e: &Expr) -> Vec<(&Expr, &Expr, &Expr)> {
    let mut out = vec![];
    visit::preorder(e, |x| {
        if let ExprKind::If { cond, then_expr, else_expr: Some(else_expr) } = &x.kind {
            let (copy, call) = match (&then_expr.kind, &else_expr.kind) {
                (ExprKind::Inlined { args, .. }, ExprKind::Call { .. }) if args.is_empty() => (&**then_expr, &**else_expr),
                (ExprKind::Call { .. }, ExprKind::Inlined { args, .. }) if args.is_empty() => (&**else_expr, &**then_expr),
                _ => return,
            };
            out.push((&**cond, copy, call));
        }
    });
    out
}

#[test]
fn a_call_too_big_to_inline_gets_the_callees_entry_guard() {
    // g(n) = n < 2 ? n : <too big>; main loops calling g(m) with m a mutable local.
    let lt = bin(vais_tir::BinaryOp::Lt, local(0), int(2), Ty::Bool);
    let g = func("g", 1, vec![ld("n", false)], cond(lt, local(0), too_big(local(0))));
    let mut main = func("main", 0, vec![ld("m", true)], in_loop(call(0, vec![local(0)])));
    main.ret = Ty::Unit;
    let mut p = Program { funcs: vec![g, main], ..Default::default() };
    let st = inline_program(&mut p, Limits::default());
    assert_eq!((st.inlined, st.guarded), (0, 1));
    let m = &p.funcs[1];
    let found = guarded(&m.body);
    assert_eq!(found.len(), 1, "{:#?}", m.body);
    let (c, copy, call) = found[0];
    // The argument (a mutable local) is read once into a fresh immutable local, which the
    // condition, the copy and the call all read.
    assert_eq!(m.locals.len(), 2);
    assert!(!m.locals[1].mutable);
    for part in [c, copy, call] {
        assert_eq!(count(part, |x| matches!(x.kind, ExprKind::Local(LocalId(1)))), 1, "{part:#?}");
        assert_eq!(count(part, |x| matches!(x.kind, ExprKind::Local(LocalId(0)))), 0, "{part:#?}");
    }
    assert!(matches!(copy.kind, ExprKind::Inlined { func: FuncId(0), .. }));
    vais_tir::verify::verify_program(&p).expect("verifies");
}

#[test]
fn a_guard_in_the_else_branch_and_a_constant_argument() {
    // g(n) = n >= 2 ? <too big> : n * 3, called as g(7) in a loop: the copy reads 7.
    let ge = bin(vais_tir::BinaryOp::Ge, local(0), int(2), Ty::Bool);
    let cheap = bin(vais_tir::BinaryOp::Mul, local(0), int(3), Ty::I64);
    let g = func("g", 1, vec![ld("n", false)], cond(ge, too_big(local(0)), cheap));
    let mut main = func("main", 0, vec![], in_loop(call(0, vec![int(7)])));
    main.ret = Ty::Unit;
    let mut p = Program { funcs: vec![g, main], ..Default::default() };
    assert_eq!(inline_program(&mut p, Limits::default()).guarded, 1);
    let found = guarded(&p.funcs[1].body);
    let mut then_call = false;
    visit::preorder(&p.funcs[1].body, |x| {
        if let ExprKind::If { then_expr, .. } = &x.kind {
            then_call |= matches!(then_expr.kind, ExprKind::Call { .. });
        }
    });
    assert!(then_call, "the call runs when the condition holds");
    assert_eq!(p.funcs[1].locals.len(), 0, "a constant is substituted, not bound");
    assert_eq!(count(found[0].1, |x| matches!(x.kind, ExprKind::Int(7))), 1);
    vais_tir::verify::verify_program(&p).expect("verifies");
}

#[test]
fn no_guard_when_it_could_trap_or_reads_more_than_parameters_or_runs_once() {
    // A division in the condition could trap: not copied.
    let q = bin(vais_tir::BinaryOp::Div, int(10), local(0), Ty::I64);
    let c = bin(vais_tir::BinaryOp::Lt, q, int(2), Ty::Bool);
    let div = func("div", 1, vec![ld("n", false)], cond(c, local(0), too_big(local(0))));
    // The cheap branch reads a local bound in the body: not a guard of the entry.
    let body = ex(
        ExprKind::Block(vais_tir::Block {
            stmts: vec![Stmt::Let { local: LocalId(1), value: int(4) }],
            value: Some(Box::new(cond(bin(vais_tir::BinaryOp::Lt, local(0), int(2), Ty::Bool), local(1), too_big(local(0))))),
        }),
        Ty::I64,
    );
    let inner = func("inner", 1, vec![ld("n", false), ld("k", false)], body);
    // A guard proper, but called once (straight-line code): not worth the code.
    let lt = bin(vais_tir::BinaryOp::Lt, local(0), int(2), Ty::Bool);
    let once = func("once", 1, vec![ld("n", false)], cond(lt, local(0), too_big(local(0))));
    let mut main = func("main", 0, vec![], in_loop(add(call(0, vec![int(1)]), call(1, vec![int(1)]))));
    main.ret = Ty::Unit;
    main.body = ex(ExprKind::Block(vais_tir::Block { stmts: vec![Stmt::Expr(call(2, vec![int(1)]))], value: Some(Box::new(main.body.clone())) }), Ty::Unit);
    let mut p = Program { funcs: vec![div, inner, once, main], ..Default::default() };
    let st = inline_program(&mut p, Limits::default());
    assert_eq!((st.inlined, st.guarded), (0, 0));
    assert!(guarded(&p.funcs[3].body).is_empty());
}

/// Whether `def`'s loop still counts a budget (`budget == 0` tested somewhere).
fn has_budget(def: &FuncDef, l: &tailrec::Looped) -> bool {
    count(&def.body, |x| matches!(&x.kind, ExprKind::Binary { op: vais_tir::BinaryOp::Eq, lhs, .. } if matches!(lhs.kind, ExprKind::Local(b) if b == l.budget))) > 0
}

#[test]
fn a_recursion_that_provably_ends_loops_without_a_budget() {
    let lt = |c: i128| bin(vais_tir::BinaryOp::Lt, local(0), int(c), Ty::Bool);
    let fib_body = |cond: Expr, a: Expr, b: Expr| cond_(cond, local(0), add(call(0, vec![a]), call(0, vec![b])));
    fn cond_(c: Expr, t: Expr, e: Expr) -> Expr {
        cond(c, t, e)
    }
    // fib: n < 2, both calls pass n - k with k >= 1: no budget.
    let mut fib = func("fib", 1, vec![ld("n", false)], fib_body(lt(2), sub(local(0), int(1)), sub(local(0), int(2))));
    let l = tailrec::eliminate(&mut fib, FuncId(0)).expect("transformed");
    assert!(!has_budget(&fib, &l), "{:#?}", fib.body);
    // The same with `2 > n` and the cheap case in the `E` branch (`n >= 2 ? .. : n`).
    let ge = bin(vais_tir::BinaryOp::Ge, local(0), int(2), Ty::Bool);
    let mut neg = func("neg", 1, vec![ld("n", false)], cond(ge, add(call(0, vec![sub(local(0), int(1))]), call(0, vec![sub(local(0), int(2))])), local(0)));
    let l = tailrec::eliminate(&mut neg, FuncId(0)).expect("transformed");
    assert!(!has_budget(&neg, &l));
    // `n == 0` does not bound a descent from a negative n: the budget stays.
    let eq = bin(vais_tir::BinaryOp::Eq, local(0), int(0), Ty::Bool);
    let mut eqf = func("eq", 1, vec![ld("n", false)], fib_body(eq, sub(local(0), int(1)), sub(local(0), int(2))));
    let l = tailrec::eliminate(&mut eqf, FuncId(0)).expect("transformed");
    assert!(has_budget(&eqf, &l));
    // A call that does not descend (`n + 1`, or `n - 0`) keeps it too.
    for arg in [add(local(0), int(1)), sub(local(0), int(0))] {
        let mut up = func("up", 1, vec![ld("n", false)], fib_body(lt(2), sub(local(0), int(1)), arg));
        let l = tailrec::eliminate(&mut up, FuncId(0)).expect("transformed");
        assert!(has_budget(&up, &l));
    }
    // On i8, `n - 100` from n >= -100 would wrap: kept.
    let mut narrow = func("narrow", 1, vec![ld("n", false)], fib_body(lt(-100), sub(local(0), int(100)), sub(local(0), int(1))));
    for x in [&mut narrow.locals[0].ty, &mut narrow.ret] {
        *x = Ty::Int(vais_tir::IntTy::I8);
    }
    visit::preorder_mut(&mut narrow.body, |x| {
        if x.ty == Ty::I64 {
            x.ty = Ty::Int(vais_tir::IntTy::I8);
        }
    });
    let l = tailrec::eliminate(&mut narrow, FuncId(0)).expect("transformed");
    assert!(has_budget(&narrow, &l));
}

#[test]
fn a_recursion_that_may_run_away_is_copied_into_itself_one_level_deep() {
    // tak(x, y, z) = y < x ? tak(tak(x - 1, y, z), tak(y - 1, z, x), tak(z - 1, x, y)) : z:
    // the loop keeps its budget; its three inner calls are copied one level deep.
    let c = bin(vais_tir::BinaryOp::Lt, local(1), local(0), Ty::Bool);
    // Each call at its own position (the budget's real call is told apart by its span).
    let at = std::cell::Cell::new(10u32);
    let inner = |a: Expr, b: Expr, c: Expr| {
        let mut e = call(0, vec![a, b, c]);
        at.set(at.get() + 10);
        e.span = Span { start: at.get(), end: at.get() + 5, ..Span::default() };
        e
    };
    let body = cond(
        c,
        inner(
            inner(sub(local(0), int(1)), local(1), local(2)),
            inner(sub(local(1), int(1)), local(2), local(0)),
            inner(sub(local(2), int(1)), local(0), local(1)),
        ),
        local(2),
    );
    let tak = func("tak", 3, vec![ld("x", false), ld("y", false), ld("z", false)], body);
    let mut p = Program { funcs: vec![tak], ..Default::default() };
    inline_program(&mut p, Limits::default());
    let copies = count(&p.funcs[0].body, |x| matches!(x.kind, ExprKind::Inlined { func: FuncId(0), .. }));
    let calls = count(&p.funcs[0].body, |x| matches!(x.kind, ExprKind::Call { .. }));
    // Three copies, and in them nine guarded calls (a guard's cheap value `z` is an inlined
    // copy too): 12. Three levels deep it was 120.
    assert!((3..=12).contains(&copies), "{copies} copies, {calls} calls: {:#?}", p.funcs[0].body);
    vais_tir::verify::verify_program(&p).expect("verifies");
}
