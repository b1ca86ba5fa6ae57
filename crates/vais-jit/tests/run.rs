//! End-to-end tests of the back end on hand-built typed IR (no parser or checker needed), with
//! stub runtime symbols.


use vais_ast::Span;
use vais_jit::{call_entry, value::format_value, Jit, JitConfig};
use vais_tir::*;

// ----- runtime stubs ---------------------------------------------------------------------------

/// What the stubbed `print_i64` printed (one test prints; protected runs happen on the
/// runtime's worker thread, so this is process-wide).
static OUT: std::sync::Mutex<Vec<i64>> = std::sync::Mutex::new(Vec::new());

extern "C" fn stub_print_i64(n: i64) -> i32 {
    OUT.lock().unwrap().push(n);
    0
}
fn stubs() -> Vec<(&'static str, *const u8)> {
    vec![("vais_print_i64", stub_print_i64 as *const u8)]
}

// ----- TIR building helpers --------------------------------------------------------------------

fn sp() -> Span {
    Span::default()
}
fn ex(kind: ExprKind, ty: Ty) -> Expr {
    Expr::new(kind, ty, sp())
}
fn int(v: i128) -> Expr {
    ex(ExprKind::Int(v), Ty::I64)
}
fn intt(v: i128, t: IntTy) -> Expr {
    ex(ExprKind::Int(v), Ty::Int(t))
}
fn loc(l: u32, ty: Ty) -> Expr {
    ex(ExprKind::Local(LocalId(l)), ty)
}
fn bin(op: BinaryOp, a: Expr, b: Expr) -> Expr {
    let ty = match op {
        BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge | BinaryOp::Eq | BinaryOp::Ne => Ty::Bool,
        _ => a.ty.clone(),
    };
    ex(ExprKind::Binary { op, lhs: Box::new(a), rhs: Box::new(b) }, ty)
}
fn call(f: u32, args: Vec<Expr>, ret: Ty) -> Expr {
    ex(ExprKind::Call { callee: Callee::Func(FuncId(f)), args }, ret)
}
fn block(stmts: Vec<Stmt>, value: Option<Expr>) -> Expr {
    let ty = value.as_ref().map(|v| v.ty.clone()).unwrap_or(Ty::Unit);
    ex(ExprKind::Block(Block { stmts, value: value.map(Box::new) }), ty)
}
fn let_(l: u32, v: Expr) -> Stmt {
    Stmt::Let { local: LocalId(l), value: v }
}
fn field(base: Expr, i: u32, ty: Ty) -> Expr {
    ex(ExprKind::Field { base: Box::new(base), index: i }, ty)
}
fn assign(t: Expr, v: Expr) -> Expr {
    ex(ExprKind::Assign { target: Box::new(t), value: Box::new(v) }, Ty::Unit)
}
fn ldef(name: &str, ty: Ty) -> LocalDef {
    LocalDef { name: name.into(), ty, mutable: true, span: sp() }
}
fn func(name: &str, params: Vec<u32>, locals: Vec<LocalDef>, ret: Ty, body: Expr) -> FuncDef {
    FuncDef {
        name: name.into(),
        kind: FuncKind::Free,
        is_async: false,
        params: params.into_iter().map(LocalId).collect(),
        captures: vec![],
        ret,
        locals,
        body,
        span: sp(),
    }
}

/// A JIT without interrupt polls: most tests call their code directly, outside `run_protected`,
/// on threads running in parallel with `interrupt_flag_stops_a_loop`; a poll there that saw
/// that test's flag would trap with nothing to contain it.
fn jit(repl: bool) -> Jit {
    jit_with(repl, false)
}

fn jit_with(repl: bool, interrupt_polls: bool) -> Jit {
    let cfg = JitConfig { repl_mode: repl, interrupt_polls, verify: true, verify_tir: true, opt_speed: false, keep_ir: true };
    Jit::with_symbols(cfg, stubs()).expect("jit")
}

/// Compiles `p` (its `main`) and returns main's result as raw 64-bit words. It runs protected,
/// as every JIT program does: the interrupt flag is process-wide, and a test that raises it
/// (`interrupt_flag_stops_a_loop`) must not stop another test's code (protected calls are
/// serialised, and the flag is cleared around each).
fn run(p: &Program) -> [u64; 8] {
    let main = p.main.unwrap();
    let mut j = jit(false);
    j.compile(p, &[main], &|_| "t.vais:1:1".into()).unwrap_or_else(|e| panic!("{e}"));
    let entry = j.entry_ptr(main).unwrap() as usize;
    let out = vais_runtime::run_protected(move || {
        let mut out = [0u64; 8];
        // SAFETY: entry wrapper of a compiled main; out is 64 bytes.
        unsafe { call_entry(entry as *const u8, out.as_mut_ptr() as *mut u8) };
        out
    });
    drop(j);
    out.unwrap_or_else(|f| panic!("runtime error: {f}"))
}

fn run_i64(p: &Program) -> i64 {
    run(p)[0] as i64
}

// ----- programs --------------------------------------------------------------------------------

fn fib_def() -> FuncDef {
    // F fib(n: i64) -> i64 = n < 2 ? n : fib(n - 1) + fib(n - 2)
    let n = || loc(0, Ty::I64);
    let body = ex(
        ExprKind::If {
            cond: Box::new(bin(BinaryOp::Lt, n(), int(2))),
            then_expr: Box::new(n()),
            else_expr: Some(Box::new(bin(
                BinaryOp::Add,
                call(0, vec![bin(BinaryOp::Sub, n(), int(1))], Ty::I64),
                call(0, vec![bin(BinaryOp::Sub, n(), int(2))], Ty::I64),
            ))),
        },
        Ty::I64,
    );
    func("fib", vec![0], vec![ldef("n", Ty::I64)], Ty::I64, body)
}

#[test]
fn fib() {
    let mut p = Program::default();
    p.funcs.push(fib_def());
    p.funcs.push(func("main", vec![], vec![], Ty::I64, call(0, vec![int(20)], Ty::I64)));
    p.main = Some(FuncId(1));
    assert_eq!(run_i64(&p), 6765);
}

fn point(p: &mut Program) -> Ty {
    p.structs.push(StructDef {
        name: "Point".into(),
        fields: vec![FieldDef { name: "x".into(), ty: Ty::I64 }, FieldDef { name: "y".into(), ty: Ty::I64 }],
    });
    Ty::Struct(StructId(p.structs.len() as u32 - 1))
}

fn lit(pt: &Ty, x: Expr, y: Expr) -> Expr {
    let Ty::Struct(id) = pt else { unreachable!() };
    ex(ExprKind::StructLit { id: *id, fields: vec![(1, y), (0, x)] }, pt.clone())
}

#[test]
fn loop_with_struct() {
    let mut p = Program::default();
    let pt = point(&mut p);
    // p := Point{0,0}; L i: 0..10 { p.x += i; p.y = p.y + 2; print_i64(i) }; p.x * 100 + p.y
    let pl = || loc(0, pt.clone());
    let body = block(
        vec![
            Stmt::Expr(ex(
                ExprKind::CompoundAssign {
                    op: BinaryOp::Add,
                    target: Box::new(field(pl(), 0, Ty::I64)),
                    value: Box::new(loc(1, Ty::I64)),
                },
                Ty::Unit,
            )),
            Stmt::Expr(assign(field(pl(), 1, Ty::I64), bin(BinaryOp::Add, field(pl(), 1, Ty::I64), int(2)))),
        ],
        None,
    );
    let lp = ex(
        ExprKind::Loop {
            kind: LoopKind::Range {
                var: Some(LocalId(1)),
                start: Box::new(int(0)),
                end: Box::new(int(10)),
                inclusive: false,
            },
            body: Box::new(body),
        },
        Ty::Unit,
    );
    let main = block(
        vec![let_(0, lit(&pt, int(0), int(0))), Stmt::Expr(lp)],
        Some(bin(BinaryOp::Add, bin(BinaryOp::Mul, field(pl(), 0, Ty::I64), int(100)), field(pl(), 1, Ty::I64))),
    );
    p.funcs.push(func("main", vec![], vec![ldef("p", pt.clone()), ldef("i", Ty::I64)], Ty::I64, main));
    p.main = Some(FuncId(0));
    assert_eq!(run_i64(&p), 4520);
}

#[test]
fn struct_by_value_and_receiver_by_address() {
    let mut p = Program::default();
    let pt = point(&mut p);
    let rt = Ty::Ref(Box::new(pt.clone()));
    // F bump(q: Point) -> Point { q.x = q.x + 1; q }
    let q = || loc(0, pt.clone());
    p.funcs.push(func(
        "bump",
        vec![0],
        vec![ldef("q", pt.clone())],
        pt.clone(),
        block(vec![Stmt::Expr(assign(field(q(), 0, Ty::I64), bin(BinaryOp::Add, field(q(), 0, Ty::I64), int(1))))], Some(q())),
    ));
    // Point.inc(&self) { (*self).x += 5 }
    let deref = ex(ExprKind::Deref(Box::new(loc(0, rt.clone()))), pt.clone());
    let mut inc = func(
        "Point.inc",
        vec![0],
        vec![ldef("self", rt.clone())],
        Ty::Unit,
        ex(
            ExprKind::CompoundAssign { op: BinaryOp::Add, target: Box::new(field(deref, 0, Ty::I64)), value: Box::new(int(5)) },
            Ty::Unit,
        ),
    );
    inc.kind = FuncKind::Method { of: StructId(0), instance: true };
    p.funcs.push(inc);
    // main: a := Point{1,2}; b := bump(a); a.inc(); a.x * 1000 + b.x * 10 + b.y
    let a = || loc(0, pt.clone());
    let b = || loc(1, pt.clone());
    let main = block(
        vec![
            let_(0, lit(&pt, int(1), int(2))),
            let_(1, call(0, vec![a()], pt.clone())),
            Stmt::Expr(call(1, vec![ex(ExprKind::AddrOf(Box::new(a())), rt.clone())], Ty::Unit)),
        ],
        Some(bin(
            BinaryOp::Add,
            bin(BinaryOp::Add, bin(BinaryOp::Mul, field(a(), 0, Ty::I64), int(1000)), bin(BinaryOp::Mul, field(b(), 0, Ty::I64), int(10))),
            field(b(), 1, Ty::I64),
        )),
    );
    p.funcs.push(func("main", vec![], vec![ldef("a", pt.clone()), ldef("b", pt.clone())], Ty::I64, main));
    p.main = Some(FuncId(2));
    assert_eq!(run_i64(&p), 6000 + 20 + 2);
}

#[test]
fn struct_return_from_main_formats() {
    let mut p = Program::default();
    let pt = point(&mut p);
    p.funcs.push(func("main", vec![], vec![], pt.clone(), lit(&pt, int(1), int(-2))));
    p.main = Some(FuncId(0));
    let main = FuncId(0);
    let mut j = jit(false);
    j.compile(&p, &[main], &|_| "t.vais:1:1".into()).unwrap();
    assert_eq!(j.size_of(&pt), 16);
    let mut out = [0u64; 2];
    // SAFETY: entry wrapper of main; out has room for a Point.
    unsafe { call_entry(j.entry_ptr(main).unwrap(), out.as_mut_ptr() as *mut u8) };
    // SAFETY: `out` holds the value main just returned, of type `pt`.
    let s = unsafe { format_value(&p, &j, &pt, out.as_ptr() as *const u8) };
    assert_eq!(s, "Point { x: 1, y: -2 }");
}

#[test]
fn closures_and_function_values() {
    let mut p = Program::default();
    p.funcs.push(fib_def()); // 0
    let fnty = Ty::Fn(vec![Ty::I64], Box::new(Ty::I64));
    // lambda #1: |x| x + k  (k captured)
    let mut lam = func(
        "main::lambda#0",
        vec![0],
        vec![ldef("x", Ty::I64), ldef("k", Ty::I64)],
        Ty::I64,
        bin(BinaryOp::Add, loc(0, Ty::I64), loc(1, Ty::I64)),
    );
    lam.kind = FuncKind::Lambda;
    lam.captures = vec![LocalId(1)];
    p.funcs.push(lam); // 1
    let callv = |f: Expr, a: Expr| ex(ExprKind::Call { callee: Callee::Value(Box::new(f)), args: vec![a] }, Ty::I64);
    // main: k := 10; f := |x| x + k; g := fib; f(5) * 100 + g(10)
    let main = block(
        vec![
            let_(0, int(10)),
            let_(1, ex(ExprKind::Closure { func: FuncId(1), captures: vec![loc(0, Ty::I64)] }, fnty.clone())),
            let_(2, ex(ExprKind::FuncRef(FuncId(0)), fnty.clone())),
        ],
        Some(bin(BinaryOp::Add, bin(BinaryOp::Mul, callv(loc(1, fnty.clone()), int(5)), int(100)), callv(loc(2, fnty.clone()), int(10)))),
    );
    p.funcs.push(func("main", vec![], vec![ldef("k", Ty::I64), ldef("f", fnty.clone()), ldef("g", fnty.clone())], Ty::I64, main));
    p.main = Some(FuncId(2));
    assert_eq!(run_i64(&p), 1500 + 55);
}

fn shape(p: &mut Program) -> Ty {
    p.enums.push(EnumDef {
        name: "Shape".into(),
        variants: vec![
            VariantDef { name: "Circle".into(), fields: vec![Ty::I64], field_names: vec![] },
            VariantDef { name: "Rect".into(), fields: vec![Ty::I64, Ty::I64], field_names: vec![] },
            VariantDef { name: "Empty".into(), fields: vec![], field_names: vec![] },
        ],
    });
    Ty::Enum(EnumId(0))
}

#[test]
fn match_on_enum() {
    let mut p = Program::default();
    let sh = shape(&mut p);
    let pat = |kind: PatternKind, ty: Ty| Pattern { kind, ty, span: sp() };
    let var = |v: u32, args: Vec<Pattern>| pat(PatternKind::Variant { enum_id: EnumId(0), variant: v, args }, sh.clone());
    let bind = |l: u32| pat(PatternKind::Bind(LocalId(l)), Ty::I64);
    let arms = vec![
        Arm {
            pattern: var(0, vec![bind(1)]),
            guard: None,
            body: bin(BinaryOp::Mul, bin(BinaryOp::Mul, int(3), loc(1, Ty::I64)), loc(1, Ty::I64)),
        },
        // Rect(w, h) I w == h => 1000
        Arm {
            pattern: var(1, vec![bind(2), bind(3)]),
            guard: Some(bin(BinaryOp::Eq, loc(2, Ty::I64), loc(3, Ty::I64))),
            body: int(1000),
        },
        Arm { pattern: var(1, vec![bind(2), bind(3)]), guard: None, body: bin(BinaryOp::Mul, loc(2, Ty::I64), loc(3, Ty::I64)) },
        Arm { pattern: pat(PatternKind::Wildcard, sh.clone()), guard: None, body: int(0) },
    ];
    let body = ex(ExprKind::Match { scrutinee: Box::new(loc(0, sh.clone())), arms }, Ty::I64);
    p.funcs.push(func(
        "area",
        vec![0],
        vec![ldef("s", sh.clone()), ldef("r", Ty::I64), ldef("w", Ty::I64), ldef("h", Ty::I64)],
        Ty::I64,
        body,
    ));
    let mk = |v: u32, args: Vec<Expr>| ex(ExprKind::Variant { enum_id: EnumId(0), variant: v, args }, sh.clone());
    let area = |s: Expr| call(0, vec![s], Ty::I64);
    let main = bin(
        BinaryOp::Add,
        bin(BinaryOp::Add, area(mk(1, vec![int(3), int(4)])), area(mk(0, vec![int(2)]))),
        bin(BinaryOp::Add, area(mk(2, vec![])), area(mk(1, vec![int(5), int(5)]))),
    );
    p.funcs.push(func("main", vec![], vec![], Ty::I64, main));
    p.main = Some(FuncId(1));
    assert_eq!(run_i64(&p), 12 + 12 + 1000); // Empty has area 0
}

#[test]
fn match_int_range_tuple_or() {
    let mut p = Program::default();
    let tt = Ty::Tuple(vec![Ty::I64, Ty::Bool]);
    let pat = |kind: PatternKind, ty: Ty| Pattern { kind, ty, span: sp() };
    let arms = vec![
        Arm {
            pattern: pat(
                PatternKind::Tuple(vec![
                    pat(PatternKind::Or(vec![pat(PatternKind::Int(1), Ty::I64), pat(PatternKind::Int(2), Ty::I64)]), Ty::I64),
                    pat(PatternKind::Bool(true), Ty::Bool),
                ]),
                tt.clone(),
            ),
            guard: None,
            body: int(10),
        },
        Arm {
            pattern: pat(
                PatternKind::Tuple(vec![
                    pat(PatternKind::Range { lo: 0, hi: 10, inclusive: false }, Ty::I64),
                    pat(PatternKind::Wildcard, Ty::Bool),
                ]),
                tt.clone(),
            ),
            guard: None,
            body: int(20),
        },
        Arm { pattern: pat(PatternKind::Tuple(vec![pat(PatternKind::Bind(LocalId(1)), Ty::I64), pat(PatternKind::Wildcard, Ty::Bool)]), tt.clone()), guard: None, body: loc(1, Ty::I64) },
    ];
    let body = ex(ExprKind::Match { scrutinee: Box::new(loc(0, tt.clone())), arms }, Ty::I64);
    p.funcs.push(func("classify", vec![0], vec![ldef("t", tt.clone()), ldef("n", Ty::I64)], Ty::I64, body));
    let tup = |n: i128, b: bool| ex(ExprKind::Tuple(vec![int(n), ex(ExprKind::Bool(b), Ty::Bool)]), tt.clone());
    let c = |t: Expr| call(0, vec![t], Ty::I64);
    let main = bin(
        BinaryOp::Add,
        bin(BinaryOp::Add, c(tup(2, true)), bin(BinaryOp::Mul, c(tup(2, false)), int(100))),
        bin(BinaryOp::Mul, c(tup(77, true)), int(10000)),
    );
    p.funcs.push(func("main", vec![], vec![], Ty::I64, main));
    p.main = Some(FuncId(1));
    assert_eq!(run_i64(&p), 10 + 2000 + 770000);
}

#[test]
fn async_future_awaited_from_variable() {
    let mut p = Program::default();
    let mut add = func("add", vec![0, 1], vec![ldef("a", Ty::I64), ldef("b", Ty::I64)], Ty::I64, bin(BinaryOp::Add, loc(0, Ty::I64), loc(1, Ty::I64)));
    add.is_async = true;
    p.funcs.push(add);
    let fut = Ty::Future(Box::new(Ty::I64));
    let main = block(
        vec![let_(0, ex(ExprKind::MakeFuture { func: FuncId(0), args: vec![int(1), int(2)] }, fut.clone()))],
        Some(bin(BinaryOp::Mul, ex(ExprKind::Await(Box::new(loc(0, fut.clone()))), Ty::I64), int(10))),
    );
    p.funcs.push(func("main", vec![], vec![ldef("f", fut)], Ty::I64, main));
    p.main = Some(FuncId(1));
    assert_eq!(run_i64(&p), 30);
}

#[test]
fn integer_semantics() {
    // u8: 200 + 100 wraps to 44; i32: -17 % 5 = -2; u64 >> is logical; i64 >> arithmetic;
    // casts: i8 -1 -> u16 sign-extends to 65535. Literals are in their type's range (TIR
    // invariant, checked by the TIR verifier): u64 `-16` is written 2^64 - 16.
    let mut p = Program::default();
    let cast = |e: Expr, t: IntTy| ex(ExprKind::Cast(Box::new(e)), Ty::Int(t));
    let print = |e: Expr| Stmt::Expr(ex(ExprKind::Call { callee: Callee::Builtin(Builtin::PrintI64), args: vec![e] }, Ty::Int(IntTy::I32)));
    let main = block(
        vec![
            print(cast(bin(BinaryOp::Add, intt(200, IntTy::U8), intt(100, IntTy::U8)), IntTy::I64)),
            print(cast(bin(BinaryOp::Rem, intt(-17, IntTy::I32), intt(5, IntTy::I32)), IntTy::I64)),
            print(cast(bin(BinaryOp::Shr, intt((1i128 << 64) - 16, IntTy::U64), intt(60, IntTy::U64)), IntTy::I64)),
            print(bin(BinaryOp::Shr, int(-16), int(2))),
            print(cast(cast(intt(-1, IntTy::I8), IntTy::U16), IntTy::I64)),
            print(ex(ExprKind::Bool(false), Ty::Bool).pipe_not_as_int()),
            print(bin(BinaryOp::Lt, intt(u32::MAX as i128, IntTy::U32), intt(1, IntTy::U32)).pipe_not_as_int()),
            print(cast(bin(BinaryOp::Div, intt(-7, IntTy::I16), intt(2, IntTy::I16)), IntTy::I64)),
        ],
        Some(int(0)),
    );
    p.funcs.push(func("main", vec![], vec![], Ty::I64, main));
    p.main = Some(FuncId(0));
    OUT.lock().unwrap().clear();
    run(&p);
    let got = OUT.lock().unwrap().clone();
    assert_eq!(got, vec![44, -2, 15, -4, 65535, 1, 1, -3]);
}

/// `!b` as an i64 0/1 via an `If` (keeps the test's TIR well-typed).
trait NotAsInt {
    fn pipe_not_as_int(self) -> Expr;
}
impl NotAsInt for Expr {
    fn pipe_not_as_int(self) -> Expr {
        let not = ex(ExprKind::Unary { op: UnaryOp::Not, operand: Box::new(self) }, Ty::Bool);
        ex(ExprKind::If { cond: Box::new(not), then_expr: Box::new(int(1)), else_expr: Some(Box::new(int(0))) }, Ty::I64)
    }
}

#[test]
fn repl_redefinition_reaches_callers() {
    let mut p = Program::default();
    p.funcs.push(func("f", vec![], vec![], Ty::I64, int(1)));
    p.funcs.push(func("g", vec![], vec![], Ty::I64, bin(BinaryOp::Mul, call(0, vec![], Ty::I64), int(10))));
    let mut entry = func("__repl_1", vec![], vec![], Ty::I64, call(1, vec![], Ty::I64));
    entry.kind = FuncKind::ReplEntry;
    p.funcs.push(entry);
    let mut j = jit(true);
    let loc_ = |_s: Span| "<input 1>:1:1".to_string();
    j.compile(&p, &[FuncId(2)], &loc_).unwrap();
    let call_it = |j: &Jit| {
        let mut out = 0i64;
        // SAFETY: entry wrapper of a compiled REPL entry returning i64.
        unsafe { call_entry(j.entry_ptr(FuncId(2)).unwrap(), &mut out as *mut i64 as *mut u8) };
        out
    };
    assert_eq!(call_it(&j), 10);
    p.funcs[0].body = int(7);
    j.compile(&p, &[FuncId(0)], &loc_).unwrap();
    assert_eq!(call_it(&j), 70);
    assert!(j.clif(FuncId(0)).unwrap().contains("iconst.i64 7"));
}

#[test]
fn globals_and_strings() {
    let mut p = Program::default();
    p.globals.push(GlobalDef { name: "counter".into(), ty: Ty::I64, mutable: true, span: vais_ast::Span::default() });
    let g = || ex(ExprKind::Global(GlobalId(0)), Ty::I64);
    let s = |t: &str| ex(ExprKind::Str(t.as_bytes().to_vec()), Ty::Str);
    let main = block(
        vec![
            Stmt::Expr(assign(g(), int(41))),
            Stmt::Expr(ex(ExprKind::CompoundAssign { op: BinaryOp::Add, target: Box::new(g()), value: Box::new(int(1)) }, Ty::Unit)),
        ],
        Some(ex(
            ExprKind::If {
                cond: Box::new(bin(BinaryOp::Eq, s("abc"), s("abc"))),
                then_expr: Box::new(g()),
                else_expr: Some(Box::new(int(-1))),
            },
            Ty::I64,
        )),
    );
    let mut entry = func("__repl_1", vec![], vec![], Ty::I64, main);
    entry.kind = FuncKind::ReplEntry;
    p.funcs.push(entry);
    let mut j = jit(true);
    j.compile(&p, &[FuncId(0)], &|_| "x".into()).unwrap();
    let mut out = 0i64;
    // SAFETY: entry wrapper returning i64.
    unsafe { call_entry(j.entry_ptr(FuncId(0)).unwrap(), &mut out as *mut i64 as *mut u8) };
    assert_eq!(out, 42);
    // SAFETY: the global holds an i64.
    assert_eq!(unsafe { *(j.global_addr(GlobalId(0)).unwrap() as *const i64) }, 42);
}

#[test]
fn division_is_checked() {
    let mut p = Program::default();
    p.funcs.push(func(
        "div",
        vec![0, 1],
        vec![ldef("a", Ty::I64), ldef("b", Ty::I64)],
        Ty::I64,
        bin(BinaryOp::Div, loc(0, Ty::I64), loc(1, Ty::I64)),
    ));
    p.funcs.push(func("main", vec![], vec![], Ty::I64, call(0, vec![int(-9), int(2)], Ty::I64)));
    p.main = Some(FuncId(1));
    assert_eq!(run_i64(&p), -4);
    let mut j = jit(false);
    j.compile(&p, &[FuncId(1)], &|_| "x".into()).unwrap();
    let clif = j.clif(FuncId(0)).unwrap();
    assert!(clif.contains("sdiv"), "{clif}");
    // Both checks (zero divisor, `MIN / -1`) are conditional traps with site codes, not calls.
    assert!(clif.contains("trapz v1, user"), "{clif}");
    assert!(clif.contains("trapnz"), "{clif}");
    assert!(!clif.contains("call"), "{clif}");
}

/// Runs `main` of `p` under the runtime's protection; `Err` is the fault message.
fn run_protected(p: &Program) -> Result<i64, String> {
    let main = p.main.unwrap();
    let mut j = jit_with(false, true);
    j.compile(p, &[main], &|_| "t.vais:3:5".into()).unwrap_or_else(|e| panic!("{e}"));
    let entry = j.entry_ptr(main).unwrap() as usize;
    let r = vais_runtime::run_protected(move || {
        let mut out = 0i64;
        // SAFETY: entry wrapper of a compiled main returning i64.
        unsafe { call_entry(entry as *const u8, &mut out as *mut i64 as *mut u8) };
        out
    });
    drop(j);
    r.map_err(|f| f.to_string())
}

fn div_prog(op: BinaryOp, a: i128, b: i128, t: IntTy) -> Program {
    let mut p = Program::default();
    let ty = Ty::Int(t);
    p.funcs.push(func(
        "div",
        vec![0, 1],
        vec![ldef("a", ty.clone()), ldef("b", ty.clone())],
        ty.clone(),
        bin(op, loc(0, ty.clone()), loc(1, ty.clone())),
    ));
    let c = ex(ExprKind::Cast(Box::new(call(0, vec![intt(a, t), intt(b, t)], ty.clone()))), Ty::I64);
    p.funcs.push(func("main", vec![], vec![], Ty::I64, c));
    p.main = Some(FuncId(1));
    p
}

#[test]
fn runtime_errors_are_reported_with_site() {
    assert_eq!(run_protected(&div_prog(BinaryOp::Div, 7, 2, IntTy::I64)), Ok(3));
    assert_eq!(run_protected(&div_prog(BinaryOp::Rem, -17, 5, IntTy::I32)), Ok(-2));
    assert_eq!(
        run_protected(&div_prog(BinaryOp::Div, 7, 0, IntTy::I64)),
        Err("division by zero in `div` at t.vais:3:5".to_string())
    );
    assert!(run_protected(&div_prog(BinaryOp::Rem, 7, 0, IntTy::U8)).unwrap_err().starts_with("remainder by zero"));
    assert!(run_protected(&div_prog(BinaryOp::Div, i64::MIN as i128, -1, IntTy::I64))
        .unwrap_err()
        .starts_with("integer overflow in division"));
    assert!(run_protected(&div_prog(BinaryOp::Rem, -128, -1, IntTy::I8)).unwrap_err().starts_with("integer overflow"));
    // u8: 255 / 255 is fine (no signed overflow check for unsigned types).
    assert_eq!(run_protected(&div_prog(BinaryOp::Div, 255, 255, IntTy::U8)), Ok(1));
}

#[test]
fn no_match_arm_is_a_runtime_error() {
    let mut p = Program::default();
    let arms = vec![Arm { pattern: Pattern { kind: PatternKind::Int(1), ty: Ty::I64, span: sp() }, guard: None, body: int(5) }];
    let m = ex(ExprKind::Match { scrutinee: Box::new(int(2)), arms }, Ty::I64);
    p.funcs.push(func("main", vec![], vec![], Ty::I64, m));
    p.main = Some(FuncId(0));
    assert!(run_protected(&p).unwrap_err().starts_with("no match arm"));
}

#[test]
fn i128_arithmetic() {
    let t = IntTy::I128;
    let ty = Ty::Int(t);
    let mut p = Program::default();
    // ((10^20 * 3) / 7) % 1000 as i64, plus (-5 >> 1) and a compare
    let big = intt(100_000_000_000_000_000_000, t);
    let e = bin(BinaryOp::Rem, bin(BinaryOp::Div, bin(BinaryOp::Mul, big, intt(3, t)), intt(7, t)), intt(1000, t));
    let cmp = bin(BinaryOp::Lt, intt(-1, t), intt(1, t)).pipe_not_as_int();
    let main = bin(
        BinaryOp::Add,
        ex(ExprKind::Cast(Box::new(bin(BinaryOp::Add, e, bin(BinaryOp::Shr, intt(-5, t), intt(1, t))))), Ty::I64),
        cmp,
    );
    let _ = ty;
    p.funcs.push(func("main", vec![], vec![], Ty::I64, main));
    p.main = Some(FuncId(0));
    // 3e20 / 7 = 42857142857142857142 (trunc); % 1000 = 142; + (-3) = 139; !(-1 < 1) = 0
    assert_eq!(run_i64(&p), 139);
}

#[test]
fn interrupt_flag_stops_a_loop() {
    let mut p = Program::default();
    // The loop itself sets the flag (as SIGINT would): set from another thread, it could come
    // before the protected call starts (which clears it) and the loop would never end.
    let flag = vais_runtime::VAIS_INTERRUPT_FLAG.as_ptr() as usize as i128;
    let set = ex(ExprKind::Call { callee: Callee::Builtin(Builtin::StoreByte), args: vec![int(flag), int(1)] }, Ty::Unit);
    let lp = ex(ExprKind::Loop { kind: LoopKind::Infinite, body: Box::new(block(vec![Stmt::Expr(set)], None)) }, Ty::Unit);
    p.funcs.push(func("main", vec![], vec![], Ty::I64, block(vec![Stmt::Expr(lp)], Some(int(0)))));
    p.main = Some(FuncId(0));
    let r = run_protected(&p);
    assert_eq!(r, Err("interrupted".to_string()));
}

#[test]
fn diverging_expressions_anywhere() {
    let mut p = Program::default();
    let never = |k: ExprKind| ex(k, Ty::Never);
    let ret = |v: i128| never(ExprKind::Return(Some(Box::new(int(v)))));
    // F f(c: bool) -> i64 { x := I c { R 1 } E { 2 }; y := x + (I !c { R 3 } E { 4 }); y }
    let c = || loc(0, Ty::Bool);
    let notc = ex(ExprKind::Unary { op: UnaryOp::Not, operand: Box::new(c()) }, Ty::Bool);
    let body = block(
        vec![
            let_(1, ex(ExprKind::If { cond: Box::new(c()), then_expr: Box::new(ret(1)), else_expr: Some(Box::new(int(2))) }, Ty::I64)),
            let_(
                2,
                bin(
                    BinaryOp::Add,
                    loc(1, Ty::I64),
                    ex(ExprKind::If { cond: Box::new(notc), then_expr: Box::new(ret(3)), else_expr: Some(Box::new(int(4))) }, Ty::I64),
                ),
            ),
        ],
        Some(loc(2, Ty::I64)),
    );
    p.funcs.push(func("f", vec![0], vec![ldef("c", Ty::Bool), ldef("x", Ty::I64), ldef("y", Ty::I64)], Ty::I64, body));
    // F g() -> i64 { n := 0; L { n += 1; I n == 5 { B }; I n > 100 { C } }; L _: n < 20 { n += 2; I n % 2 == 1 { C } }; h(R n * 10) }
    let n = || loc(0, Ty::I64);
    let inc = |k: i128| Stmt::Expr(ex(ExprKind::CompoundAssign { op: BinaryOp::Add, target: Box::new(n()), value: Box::new(int(k)) }, Ty::Unit));
    let if_ = |c: Expr, t: Expr| Stmt::Expr(ex(ExprKind::If { cond: Box::new(c), then_expr: Box::new(t), else_expr: None }, Ty::Unit));
    let l1 = ex(
        ExprKind::Loop {
            kind: LoopKind::Infinite,
            body: Box::new(block(
                vec![
                    inc(1),
                    if_(bin(BinaryOp::Eq, n(), int(5)), never(ExprKind::Break(None))),
                    if_(bin(BinaryOp::Gt, n(), int(100)), never(ExprKind::Continue)),
                ],
                None,
            )),
        },
        Ty::Unit,
    );
    let l2 = ex(
        ExprKind::Loop {
            kind: LoopKind::While(Box::new(bin(BinaryOp::Lt, n(), int(20)))),
            body: Box::new(block(vec![inc(2), if_(bin(BinaryOp::Eq, bin(BinaryOp::Rem, n(), int(2)), int(1)), never(ExprKind::Continue))], None)),
        },
        Ty::Unit,
    );
    let ret_n = never(ExprKind::Return(Some(Box::new(bin(BinaryOp::Mul, n(), int(10))))));
    let g_body = block(vec![let_(0, int(0)), Stmt::Expr(l1), Stmt::Expr(l2)], Some(call(0, vec![ret_n], Ty::I64)));
    p.funcs.push(func("g", vec![], vec![ldef("n", Ty::I64)], Ty::I64, g_body));
    let tr = ex(ExprKind::Bool(true), Ty::Bool);
    let fa = ex(ExprKind::Bool(false), Ty::Bool);
    let main = bin(
        BinaryOp::Add,
        bin(BinaryOp::Add, call(0, vec![tr], Ty::I64), bin(BinaryOp::Mul, call(0, vec![fa], Ty::I64), int(10))),
        bin(BinaryOp::Mul, call(1, vec![], Ty::I64), int(100)),
    );
    p.funcs.push(func("main", vec![], vec![], Ty::I64, main));
    p.main = Some(FuncId(2));
    // f(true) = 1, f(false) returns 3 from the second if; g: n reaches 5, then 21 → returns 210
    assert_eq!(run_i64(&p), 1 + 30 + 21000);
}

#[test]
fn arrays_index_and_slices() {
    let mut p = Program::default();
    let pty = Ty::Ptr(Box::new(Ty::I64));
    let a = || loc(0, pty.clone());
    let idx = |b: Expr, i: i128| ex(ExprKind::Index { base: Box::new(b), index: Box::new(int(i)) }, Ty::I64);
    let main = block(
        vec![
            let_(0, ex(ExprKind::Array(vec![int(10), int(20), int(30), int(40)]), pty.clone())),
            Stmt::Expr(assign(idx(a(), 1), int(25))),
            let_(
                1,
                ex(
                    ExprKind::Slice { base: Box::new(a()), start: Some(Box::new(int(1))), end: Box::new(int(2)), inclusive: true },
                    pty.clone(),
                ),
            ),
            Stmt::Expr(assign(idx(a(), 2), int(0))),
        ],
        Some(bin(
            BinaryOp::Add,
            bin(BinaryOp::Mul, idx(loc(1, pty.clone()), 0), int(100)),
            bin(BinaryOp::Add, idx(loc(1, pty.clone()), 1), ex(ExprKind::Deref(Box::new(a())), Ty::I64)),
        )),
    );
    p.funcs.push(func("main", vec![], vec![ldef("a", pty.clone()), ldef("s", pty.clone())], Ty::I64, main));
    p.main = Some(FuncId(0));
    assert_eq!(run_i64(&p), 2500 + 30 + 10);
}

#[test]
fn floats_and_fmod() {
    let mut p = Program::default();
    let f = |x: f64| ex(ExprKind::Float(x), Ty::F64);
    // (7.5 % 2.0) * 10 + (1.0 / 4.0) * 100 → 15 + 25 = 40 (compare, as int via If)
    let v = bin(BinaryOp::Add, bin(BinaryOp::Mul, bin(BinaryOp::Rem, f(7.5), f(2.0)), f(10.0)), bin(BinaryOp::Mul, bin(BinaryOp::Div, f(1.0), f(4.0)), f(100.0)));
    let main = ex(
        ExprKind::If { cond: Box::new(bin(BinaryOp::Eq, v, f(40.0))), then_expr: Box::new(int(1)), else_expr: Some(Box::new(int(0))) },
        Ty::I64,
    );
    p.funcs.push(func("main", vec![], vec![], Ty::I64, main));
    p.main = Some(FuncId(0));
    assert_eq!(run_i64(&p), 1);
}

#[test]
fn escaping_closure_and_aggregate_if() {
    let mut p = Program::default();
    let pt = point(&mut p);
    let fnty = Ty::Fn(vec![Ty::I64], Box::new(Ty::I64));
    // F make_adder(k: i64) -> (i64) -> i64 = |x| x + k
    p.funcs.push(func(
        "make_adder",
        vec![0],
        vec![ldef("k", Ty::I64)],
        fnty.clone(),
        ex(ExprKind::Closure { func: FuncId(1), captures: vec![loc(0, Ty::I64)] }, fnty.clone()),
    ));
    let mut lam = func("make_adder::lambda#0", vec![0], vec![ldef("x", Ty::I64), ldef("k", Ty::I64)], Ty::I64, bin(BinaryOp::Add, loc(0, Ty::I64), loc(1, Ty::I64)));
    lam.kind = FuncKind::Lambda;
    lam.captures = vec![LocalId(1)];
    p.funcs.push(lam);
    let callv = |f: Expr, a: Expr| ex(ExprKind::Call { callee: Callee::Value(Box::new(f)), args: vec![a] }, Ty::I64);
    // main: add5 := make_adder(5); q := I add5(1) == 6 { Point{1,2} } E { Point{3,4} }; add5(q.y)
    let q = ex(
        ExprKind::If {
            cond: Box::new(bin(BinaryOp::Eq, callv(loc(0, fnty.clone()), int(1)), int(6))),
            then_expr: Box::new(lit(&pt, int(1), int(2))),
            else_expr: Some(Box::new(lit(&pt, int(3), int(4)))),
        },
        pt.clone(),
    );
    let main = block(
        vec![let_(0, call(0, vec![int(5)], fnty.clone())), let_(1, q)],
        Some(callv(loc(0, fnty.clone()), field(loc(1, pt.clone()), 1, Ty::I64))),
    );
    p.funcs.push(func("main", vec![], vec![ldef("add5", fnty.clone()), ldef("q", pt.clone())], Ty::I64, main));
    p.main = Some(FuncId(2));
    assert_eq!(run_i64(&p), 7);
}

#[test]
fn failed_batch_leaves_session_usable() {
    let mut p = Program::default();
    // A body the checker would never produce (break outside a loop): an internal error.
    p.funcs.push(func("bad", vec![], vec![], Ty::Unit, ex(ExprKind::Break(None), Ty::Never)));
    let mut e1 = func("__repl_1", vec![], vec![], Ty::I64, block(vec![Stmt::Expr(call(0, vec![], Ty::Unit))], Some(int(1))));
    e1.kind = FuncKind::ReplEntry;
    p.funcs.push(e1);
    let mut e2 = func("__repl_2", vec![], vec![], Ty::I64, int(2));
    e2.kind = FuncKind::ReplEntry;
    p.funcs.push(e2);
    let mut j = jit(true);
    let e = j.compile(&p, &[FuncId(1)], &|_| "x".into()).unwrap_err();
    assert_eq!(e.function.as_deref(), Some("bad"), "{e}");
    j.compile(&p, &[FuncId(2)], &|_| "x".into()).unwrap();
    let mut out = 0i64;
    // SAFETY: entry wrapper returning i64.
    unsafe { call_entry(j.entry_ptr(FuncId(2)).unwrap(), &mut out as *mut i64 as *mut u8) };
    assert_eq!(out, 2);
}

#[test]
fn ill_typed_tir_is_named_by_the_tir_verifier_when_verification_is_off() {
    // `x: i64 = 1.5`, as a checker bug would make it. With both verifiers off (the release
    // default) code generation fails; the TIR verifier then runs on the failure path and names
    // the cause instead of leaving only Cranelift's complaint.
    let mut p = Program::default();
    let body = block(vec![let_(0, ex(ExprKind::Float(1.5), Ty::F64))], Some(loc(0, Ty::I64)));
    p.funcs.push(func("main", vec![], vec![ldef("x", Ty::I64)], Ty::I64, body));
    p.main = Some(FuncId(0));
    let cfg = JitConfig { repl_mode: false, interrupt_polls: true, verify: false, verify_tir: false, opt_speed: true, keep_ir: false };
    let mut j = Jit::with_symbols(cfg, stubs()).expect("jit");
    let e = j.compile(&p, &[FuncId(0)], &|_| "t.vais:1:1".into()).unwrap_err();
    assert_eq!(e.function.as_deref(), Some("main"), "{e}");
    assert!(e.message.starts_with("TIR verifier: the value of `x`: expected `i64`, found `f64`"), "{e}");
    assert!(e.message.contains("code generation then failed"), "{e}");
}
