//! Targeted tests of individual checking rules.

mod common;
use common::*;
use vais_tir::*;

fn func<'p>(p: &'p Program, name: &str) -> &'p FuncDef {
    p.funcs.iter().find(|f| f.name == name).unwrap_or_else(|| panic!("no func {}: {:?}", name, p.funcs.iter().map(|f| &f.name).collect::<Vec<_>>()))
}

fn count(e: &Expr, pred: &dyn Fn(&Expr) -> bool) -> usize {
    let mut n = if pred(e) { 1 } else { 0 };
    let mut sub = |x: &Expr| n += count(x, pred);
    match &e.kind {
        ExprKind::Block(b) => {
            for s in &b.stmts {
                match s {
                    Stmt::Let { value, .. } => sub(value),
                    Stmt::Expr(x) => sub(x),
                }
            }
            if let Some(v) = &b.value {
                sub(v)
            }
        }
        ExprKind::Call { args, callee } => {
            if let Callee::Value(v) = callee {
                sub(v)
            }
            args.iter().for_each(sub)
        }
        ExprKind::Binary { lhs, rhs, .. } => {
            sub(lhs);
            sub(rhs)
        }
        ExprKind::Cast(x) | ExprKind::AddrOf(x) | ExprKind::Deref(x) => sub(x),
        ExprKind::If { cond, then_expr, else_expr } => {
            sub(cond);
            sub(then_expr);
            if let Some(x) = else_expr {
                sub(x)
            }
        }
        ExprKind::Assign { target, value } | ExprKind::CompoundAssign { target, value, .. } => {
            sub(target);
            sub(value)
        }
        ExprKind::Field { base, .. } => sub(base),
        ExprKind::Match { scrutinee, arms } => {
            sub(scrutinee);
            arms.iter().for_each(|a| sub(&a.body))
        }
        ExprKind::Return(Some(x)) => sub(x),
        _ => {}
    }
    n
}

#[test]
fn shadowing_makes_new_locals() {
    let p = ok("F main() -> i64 { x := 1\n x := x + 1\n y := { x := 100\n x }\n x + y }");
    let m = func(&p, "main");
    assert_eq!(m.locals.iter().filter(|l| l.name == "x").count(), 3);
}

#[test]
fn casts_inserted_for_integer_conversions() {
    let p = ok("F f(b: u8) -> u8 = b\nF main() -> i64 { k := 300\n x: u8 = k\n y := f(5)\n z: i32 = 7\n w := z + 1\n putchar(65)\n 0 }");
    let m = func(&p, "main");
    let casts = count(&m.body, &|e| matches!(e.kind, ExprKind::Cast(_)));
    // k -> u8 only: a literal takes its context's type instead (5: u8, 7, 1 and 65: i32).
    assert_eq!(casts, 1, "{:#?}", m.body);
    let lit = |v: i128, t: IntTy| count(&m.body, &|e| matches!(e.kind, ExprKind::Int(x) if x == v) && e.ty == Ty::Int(t));
    assert_eq!((lit(5, IntTy::U8), lit(7, IntTy::I32), lit(1, IntTy::I32), lit(65, IntTy::I32)), (1, 1, 1, 1));
    let f = func(&p, "f");
    assert_eq!(f.ret, Ty::Int(IntTy::U8));
}

#[test]
fn literals_must_fit_their_context_but_constants_convert() {
    let codes = |src: &str| check_src(src).1.iter().filter(|d| d.is_error()).map(|d| d.code.as_str()).collect::<Vec<_>>();
    assert_eq!(codes("F main() -> i64 { x: u8 = 255\n y: i8 = -128\n z: u64 = 0xFFFF_FFFF_FFFF_FFFF\n 0 }"), Vec::<&str>::new());
    assert_eq!(codes("F main() -> i64 { x: u8 = 256\n 0 }"), ["E028"]);
    assert_eq!(codes("F main() -> i64 { x: u8 = -1\n 0 }"), ["E028"]);
    assert_eq!(codes("F main() -> i64 { x: u8 = 1\n I x == 300 { 1 } E { 0 } }"), ["E028"]);
    assert_eq!(codes("F main() -> i64 { x := 0xFFFF_FFFF_FFFF_FFFF\n 0 }"), ["E028"]);
    assert_eq!(codes("C B: u8 = 256\nF main() -> i64 = 0"), ["E028"]);
    // a folded constant is a value, converted like a variable
    assert_eq!(codes("C K: i64 = 300\nF main() -> i64 { x: u8 = 1\n y := x == K\n 0 }"), Vec::<&str>::new());
    // an explicit cast truncates on purpose
    assert_eq!(codes("F main() -> i64 { x: u8 = 256 as u8\n 0 }"), Vec::<&str>::new());
}

#[test]
fn casts_are_checked_and_typed() {
    let codes = |src: &str| check_src(src).1.iter().filter(|d| d.is_error()).map(|d| d.code.as_str()).collect::<Vec<_>>();
    let p = ok("F main() -> i64 { f := 2.5\n a := f as i32\n b := a as f32\n c := true as u8\n p := malloc(8) as *i64\n q := p as *u8\n r := q as u64\n 0 }");
    let m = func(&p, "main");
    let tys: Vec<Ty> = m.locals.iter().map(|l| l.ty.clone()).collect();
    assert_eq!(&tys[1..], &[Ty::Int(IntTy::I32), Ty::F32, Ty::Int(IntTy::U8), Ty::Ptr(Box::new(Ty::I64)), Ty::Ptr(Box::new(Ty::Int(IntTy::U8))), Ty::Int(IntTy::U64)]);
    for bad in ["\"s\" as i64", "1 as bool", "malloc(8) as *i64 as i32", "(1, 2) as i64", "1 as str"] {
        assert_eq!(codes(&format!("F main() -> i64 {{ x := {bad}\n 0 }}")), ["E027"], "{bad}");
    }
    // Floats and 128-bit integers convert both ways (through a runtime helper).
    for good in ["1.5 as i128", "1.5 as u128", "(7 as i128) as f64", "(7 as u128) as f32"] {
        assert!(codes(&format!("F main() -> i64 {{ x := {good}\n 0 }}")).is_empty(), "{good}");
    }
}

#[test]
fn generic_instantiated_twice() {
    let p = ok("F id<T>(x: T) -> T = x\nF main() -> i64 { a := id(1)\n b := id(2.5)\n c := id(3)\n a }");
    let names: Vec<&str> = p.funcs.iter().filter(|f| f.name.starts_with("id")).map(|f| f.name.as_str()).collect();
    assert_eq!(names.len(), 2, "{:?}", names);
    assert!(names.contains(&"id<i64>") && names.contains(&"id<f64>"));
}

#[test]
fn generic_struct_instances_get_struct_ids() {
    let p = ok("S Pair<T> { a: T, b: T }\nF main() -> i64 { p := Pair { a: 1, b: 2 }\n q := Pair { a: 1.0, b: 2.0 }\n p.a }");
    let names: Vec<&str> = p.structs.iter().map(|s| s.name.as_str()).collect();
    assert!(names.contains(&"Pair<i64>") && names.contains(&"Pair<f64>"), "{:?}", names);
}

#[test]
fn trait_default_instantiated_per_struct() {
    let p = ok("W N { F id(&self) -> i64\n F two(&self) -> i64 = self.id() * 2 }\nS Aa { n: i64 }\nS Bb { m: i64 }\nX Aa: N { F id(&self) -> i64 = self.n }\nX Bb: N { F id(&self) -> i64 = self.m }\nF main() -> i64 { a := Aa { n: 1 }\n b := Bb { m: 2 }\n a.two() + b.two() }");
    func(&p, "Aa.two");
    func(&p, "Bb.two");
    let t = func(&p, "Aa.two");
    assert!(matches!(t.kind, FuncKind::Method { instance: true, .. }));
    assert_eq!(t.locals[0].ty, Ty::Ref(Box::new(Ty::Struct(p.structs.iter().position(|s| s.name == "Aa").map(|i| StructId(i as u32)).unwrap()))));
}

#[test]
fn unit_variant_rule() {
    let p = ok("E C { Red, Green, Blue }\nF f(c: C) -> i64 = M c { Red => 1, Green => 2, other => 3 }\nF main() -> i64 = f(Green)");
    let f = func(&p, "f");
    let ExprKind::Match { arms, .. } = &f.body.kind else { panic!("{:?}", f.body.kind) };
    assert!(matches!(arms[0].pattern.kind, PatternKind::Variant { variant: 0, .. }));
    assert!(matches!(arms[1].pattern.kind, PatternKind::Variant { variant: 1, .. }));
    assert!(matches!(arms[2].pattern.kind, PatternKind::Bind(_)));
}

#[test]
fn never_type_fits_anywhere() {
    ok("F f(x: i64) -> i64 { R x }\nF g(x: i64) -> i64 { I x > 0 { R 1 } E { 2 } }\nF main() -> i64 { L { I f(1) > 0 { B } E { C } }\n g(1) }");
}

#[test]
fn e009_immutable() {
    assert_eq!(err_codes("F main() -> i64 { x := 1\n x = 2\n x }"), vec!["E009"]);
    assert_eq!(err_codes("F main() -> i64 { x := 1\n x += 2\n x }"), vec!["E009"]);
    ok("S Pt { x: i64 }\nF main() -> i64 { p := Pt { x: 1 }\n p.x = 2\n p.x }");
}

#[test]
fn e013_break_outside_loop() {
    assert_eq!(err_codes("F main() -> i64 { B\n 0 }"), vec!["E013"]);
    assert_eq!(err_codes("F main() -> i64 { C\n 0 }"), vec!["E013"]);
    assert_eq!(err_codes("F main() -> i64 { L { f := |x: i64| { B\n x }\n B }\n 0 }"), vec!["E013"]);
}

#[test]
fn did_you_mean() {
    let (_, d, _) = check_src("F main() -> i64 { count := 1\n cout + 1 }");
    assert_eq!(d[0].code, "E002");
    assert!(d[0].notes.iter().any(|n| n.contains("count")), "{:?}", d[0].notes);
}

#[test]
fn many_errors_reported() {
    let c = err_codes("F main() -> i64 { a := zz\n b := yy\n c: bool = 1\n 0 }");
    assert_eq!(c, vec!["E002", "E002", "E001"]);
}

#[test]
fn misc_errors() {
    assert_eq!(err_codes("F main() -> i64 = nope(1)"), vec!["E004"]);
    assert_eq!(err_codes("F main() -> i64 { x := 1\n x(2) }"), vec!["E005"]);
    assert_eq!(err_codes("F f() -> i64 = 1\nF f() -> i64 = 2\nF main() -> i64 = 0"), vec!["E008"]);
    assert_eq!(err_codes("F puts(s: str) -> i64 = 1\nF main() -> i64 = 0"), vec!["E008"]);
    assert_eq!(err_codes("S Pt { x: i64 }\nF main() -> i64 { p := Pt { x: 1, y: 2 }\n 0 }"), vec!["E014"]);
    assert_eq!(err_codes("S Pt { x: i64, y: i64 }\nF main() -> i64 { p := Pt { x: 1 }\n 0 }"), vec!["E015"]);
    assert_eq!(err_codes("F main() -> i64 { x: Foo = 1\n 0 }"), vec!["E003"]);
    assert_eq!(err_codes("F main() -> i64 { 5 = 3\n 0 }"), vec!["E012"]);
    assert_eq!(err_codes("F main() -> i64 { a := 1.5\n b := a + 1\n 0 }"), vec!["E001"]);
    assert_eq!(err_codes("X F printf2(f: str, ...) -> i32\nF main() -> i64 { printf2(\"%f\", 1.5)\n 0 }"), vec!["E015"]);
}

#[test]
fn constants_folded() {
    let p = ok("C N: i64 = 10 * 4\nC MM: i64 = N + 2\nC HH: u8 = 300 as u8\nF main() -> i64 = MM + HH");
    let m = func(&p, "main");
    assert!(count(&m.body, &|e| matches!(e.kind, ExprKind::Int(42))) == 1, "{:#?}", m.body);
    assert!(count(&m.body, &|e| matches!(e.kind, ExprKind::Int(44)) && e.ty == Ty::Int(IntTy::U8)) == 1);
}

#[test]
fn self_type_and_methods() {
    let p = ok("S Pt { x: i64 }\nX Pt {\n F new(x: i64) -> Self = Pt { x: x }\n F get(&self) -> i64 = self.x\n F twice(&self) -> i64 = @.get() * 2 }\nF main() -> i64 { p := Pt.new(3)\n p.twice() }");
    let t = func(&p, "Pt.twice");
    assert_eq!(count(&t.body, &|e| matches!(e.kind, ExprKind::Call { .. })), 1);
    let m = func(&p, "main");
    assert_eq!(count(&m.body, &|e| matches!(e.kind, ExprKind::AddrOf(_))), 1);
    let g = func(&p, "Pt.get");
    assert_eq!(count(&g.body, &|e| matches!(e.kind, ExprKind::Deref(_))), 1);
}

#[test]
fn printf_and_print_builtins() {
    ok("F main() -> i64 { printf(\"%d %f %s\\n\", 1, 2.5, \"x\")\n print_i64(3)\n print_f64(1.5)\n 0 }");
}

#[test]
fn empty_array_defaults_to_i64() {
    let p = ok("F main() -> i64 { a := []\n 0 }");
    assert_eq!(func(&p, "main").locals[0].ty, Ty::Ptr(Box::new(Ty::I64)));
}

#[test]
fn or_patterns_share_locals() {
    let p = ok("E Sh { Aa(i64), Bb(i64), Z }\nF f(s: Sh) -> i64 = M s { Aa(v) | Bb(v) => v, Z => 0 }\nF main() -> i64 = f(Aa(1))");
    let f = func(&p, "f");
    assert_eq!(f.locals.iter().filter(|l| l.name == "v").count(), 1);
}

#[test]
fn non_exhaustive_is_warning_only() {
    let (p, d, _) = check_src("E C { R1, G1 }\nF f(c: C) -> i64 = M c { R1 => 1 }\nF main() -> i64 = f(G1)");
    assert!(p.is_some());
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].code, "E010");
    assert!(!d[0].is_error());
}

#[test]
fn generic_body_errors_reported_once() {
    let c = err_codes("F g<T>(x: T) -> T { y := undefined_thing\n x }\nF main() -> i64 = g(1) + g(2)");
    assert_eq!(c, vec!["E002"]);
}

#[test]
fn lambda_captures_and_at() {
    let p = ok("F f(n: i64) -> i64 { k := n\n g := |x: i64| x + k\n I n > 0 { g(@(n - 1)) } E { 0 } }\nF main() -> i64 = f(3)");
    let l = func(&p, "f::lambda#0");
    assert_eq!(l.captures.len(), 1);
}

#[test]
fn expected_type_picks_generic_arguments() {
    let p = ok("S Pair<T> { a: T, b: T }\nE Opt<T> { None, Some(T) }\nF mk() -> Opt<u8> { I true { Some(1) } E { None } }\nF take(p: *u8) -> u8 = p[0]\nF main() -> i64 {\n p: Pair<u8> = Pair { a: 1, b: 2 }\n o: Opt<u8> = Some(3)\n a: *u8 = [1, 2, 3]\n take([4, 5])\n x := mk()\n 0 }");
    assert!(p.structs.iter().any(|s| s.name == "Pair<u8>"));
    assert!(p.enums.iter().all(|e| e.name == "Opt<u8>"), "{:?}", p.enums);
    assert_eq!(err_codes("F take(p: *u8) -> u8 = p[0]\nF main() -> i64 { a := [1, 2]\n take(a)\n 0 }"), vec!["E001"]);
}

#[test]
fn or_pattern_bindings_need_same_type() {
    assert_eq!(err_codes("E Sh { Aa(i64), Bb(u8) }\nF f(s: Sh) -> i64 = M s { Aa(v) | Bb(v) => v }\nF main() -> i64 = f(Aa(1))"), vec!["E001"]);
}

#[test]
fn thousands_of_ordinary_structs_and_functions_are_all_defined() {
    let mut src = String::new();
    for i in 0..6000 {
        src.push_str(&format!("S St{i} {{ a: i64, b: i64 }}\nF fun{i}(s: St{i}) -> i64 = s.a + s.b\n"));
    }
    src.push_str("F main() -> i64 = fun5999(St5999 { a: 1, b: 2 })\n");
    let p = ok(&src);
    assert!(p.structs.len() >= 6000);
    assert!(p.structs.iter().all(|s| s.fields.len() == 2), "every struct keeps its fields");
    assert!(p.funcs.len() > 6000);
    validate(&p);
}

#[test]
fn unbounded_instantiation_stops_quickly() {
    // Each stops with E020 well within a second (debug build: under half a second here);
    // before, they ran until memory ran out.
    for src in [
        "F grow<T>(x: T) -> i64 = grow((x, x))\nF main() -> i64 = grow(1)",
        "F g<T>(x: T) -> i64 = g((x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x))\nF main() -> i64 = g(1)",
        "F deeper<T>(x: T) -> i64 = deeper([x])\nF main() -> i64 = deeper(2)",
        "F h<T>(x: T, n: i64) -> i64 = n == 0 ? 0 : h((x, 1), n - 1) + h((x, true), n - 1)\nF main() -> i64 = h(1, 3)",
        "S Bx<T> { v: T }\nF k<T>(x: T) -> i64 = k(Bx { v: x })\nF main() -> i64 = k(1)",
        "S Wr<T> { v: T, w: *Wr<*T> }\nF u(w: Wr<i64>) -> i64 = w.v\nF main() -> i64 = 0",
        "S Wr<T> { v: T, a: *Wr<(T, i64)>, b: *Wr<(T, bool)> }\nF u(w: Wr<i64>) -> i64 = w.v\nF main() -> i64 = 0",
    ] {
        let t = std::time::Instant::now();
        assert_eq!(err_codes(src), vec!["E020"], "{src}");
        assert!(t.elapsed() < std::time::Duration::from_secs(3), "{src}: {:?}", t.elapsed());
    }
}

#[test]
fn deep_but_bounded_generics_still_work() {
    // Recursion through the same instance, and finite nesting, are not limited.
    let p = ok("S Bx<T> { v: T }\nF same<T>(x: T, n: i64) -> i64 = n == 0 ? 0 : same(x, n - 1)\nF wrap<T>(x: T) -> Bx<Bx<Bx<Bx<T> > > > = Bx { v: Bx { v: Bx { v: Bx { v: x } } } }\nF main() -> i64 = same((1, (2, 3)), 5) + wrap(wrap(wrap(1))).v.v.v.v.v.v.v.v.v.v.v.v");
    validate(&p);
}

#[test]
fn unresolved_types_are_errors_wherever_written() {
    assert_eq!(err_codes("S Q { a: Nope }\nF main() -> i64 = 0"), vec!["E003"]);
    assert_eq!(err_codes("E R { Ra(Nope) }\nF main() -> i64 = 0"), vec!["E003"]);
    assert_eq!(err_codes("T Al = (i64, Nope)\nF main() -> i64 = 0"), vec!["E003"]);
    assert_eq!(err_codes("S Bx<T> { a: T }\nF f(x: Bx) -> i64 = x.a\nF main() -> i64 = f(Bx { a: 2.5 })"), vec!["E015"]);
    assert_eq!(err_codes("S Bx<T> { a: T }\nF f<T>(x: T<i64>) -> i64 = 0\nF main() -> i64 = 0"), vec!["E015"]);
    // Generic aliases bind their parameters.
    let p = ok("T Pair<K> = (K, K)\nF f(p: Pair<i64>) -> u8 = M p { (a, b) => a + b }\nF main() -> i64 = f((1, 2))");
    validate(&p);
}

#[test]
fn struct_literal_through_alias_keeps_the_alias_arguments() {
    let src = "S Bx<T> { a: T }\nT Pi = Bx<i64>\nT Qq<K> = Bx<K>\nF f(p: Pi) -> i64 = p.a\nF main() -> i64 {\n x := Pi { a: 1 }\n y := Qq { a: 2 }\n f(x) + f(y) }";
    validate(&ok(src));
    assert_eq!(err_codes("S Bx<T> { a: T }\nT Pi = Bx<i64>\nF main() -> i64 {\n z := Pi { a: 1.5 }\n 0 }"), vec!["E001"]);
    // A cyclic alias is reported once, at the alias, not again at the literal.
    assert_eq!(err_codes("T Cy = Cy\nF main() -> i64 {\n z := Cy { a: 1 }\n 0 }"), vec!["E018"]);
}

#[test]
fn recursion_by_value_through_self_and_aliases() {
    assert_eq!(err_codes("S N { n: Self }\nF main() -> i64 = 0"), vec!["E019"]);
    assert_eq!(err_codes("S M2 { m: (Self, i64)? }\nF main() -> i64 = 0"), vec!["E019"]);
    assert_eq!(err_codes("T NA = N3\nS N3 { n: NA }\nF main() -> i64 = 0"), vec!["E019"]);
    validate(&ok("S Ok1 { n: *Self, f: (Self) -> i64, a: [Self], v: i64 }\nE Tr<T> { Leaf(T), Two(*Tr<T>, *Tr<T>) }\nF main() -> i64 { t: Tr<i64> = Leaf(1)\n 0 }"));
}

#[test]
fn recursion_through_generic_arguments_follows_how_they_are_held() {
    // `Bx` holds its parameter by value, `PBx` behind a pointer, `Two` in one of its
    // parameters only, `Outer` through another generic type.
    let decls = "S Bx<T> { v: T }\nS PBx<T> { p: *T }\nS Two<A, B> { a: A, b: *B }\nS Outer<T> { i: Bx<(i64, T)> }\n";
    assert_eq!(err_codes(&format!("{decls}S Nd {{ b: Bx<Nd> }}\nF main() -> i64 = 0")), vec!["E019"]);
    assert_eq!(err_codes(&format!("{decls}S Nd {{ t: Two<Nd, i64> }}\nF main() -> i64 = 0")), vec!["E019"]);
    assert_eq!(err_codes(&format!("{decls}S Nd {{ o: Outer<Nd> }}\nF main() -> i64 = 0")), vec!["E019"]);
    validate(&ok(&format!("{decls}S Nd {{ b: PBx<Nd>, t: Two<i64, Nd>, o: Outer<*Nd>, v: i64 }}\nF main() -> i64 = 0")));
}
