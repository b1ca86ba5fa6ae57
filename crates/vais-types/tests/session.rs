//! REPL session: accumulation, globals, redefinition, transactional errors, `:type`, `:defs`.

mod common;

use vais_ast::ast::ReplEntry;
use vais_ast::FileId;
use vais_parser::{parse_repl_input, ReplParse};
use vais_tir::*;
use vais_types::{InputResult, Session};

fn entries(src: &str) -> Vec<ReplEntry> {
    match parse_repl_input(FileId(0), src) {
        ReplParse::Complete(e, d) => {
            assert!(d.is_empty(), "parse errors in {:?}: {:?}", src, d);
            e
        }
        ReplParse::Incomplete => panic!("incomplete: {}", src),
    }
}

fn run(s: &mut Session, src: &str) -> InputResult {
    match s.check_input(&entries(src)) {
        Ok((r, _)) => {
            common::validate(s.program());
            r
        }
        Err(d) => panic!("errors in {:?}: {:?}", src, d.iter().map(|d| format!("{} {}", d.code, d.message)).collect::<Vec<_>>()),
    }
}

fn fails(s: &mut Session, src: &str) -> Vec<&'static str> {
    match s.check_input(&entries(src)) {
        Ok(_) => panic!("expected errors in {:?}", src),
        Err(d) => d.iter().filter(|d| d.is_error()).map(|d| d.code.as_str()).collect(),
    }
}

#[test]
fn definitions_and_expressions() {
    let mut s = Session::new();
    let r = run(&mut s, "F sq(x: i64) -> i64 = x * x");
    assert_eq!(r.entry, None);
    assert_eq!(r.compile.len(), 1);
    assert!(r.messages.is_empty());
    let sq = r.compile[0];
    let r = run(&mut s, "sq(5) + 1");
    let e = r.entry.unwrap();
    assert_eq!(r.value_ty, Ty::I64);
    assert!(r.compile.contains(&e));
    assert_eq!(s.program().func(e).kind, FuncKind::ReplEntry);
    assert_eq!(s.program().func(e).ret, Ty::I64);
    // unit expression: value type unit
    let r = run(&mut s, "puts(\"hi\");");
    assert_eq!(r.value_ty, Ty::Int(IntTy::I32));
    let r = run(&mut s, "L i: 0..3 { }");
    assert_eq!(r.value_ty, Ty::Unit);
    // same-signature redefinition keeps the FuncId
    let r = run(&mut s, "F sq(x: i64) -> i64 = x * x * 1");
    assert!(r.compile.contains(&sq), "{:?}", r.compile);
    assert_eq!(s.type_of(&expr("sq(2)")).unwrap(), "i64");
}

fn expr(src: &str) -> vais_ast::ast::Expr {
    match entries(src).pop().unwrap() {
        ReplEntry::Stmt(vais_ast::ast::Stmt { kind: vais_ast::ast::StmtKind::Expr(e), .. }) => e,
        other => panic!("{:?}", other),
    }
}

#[test]
fn session_variables() {
    let mut s = Session::new();
    let r = run(&mut s, "x := 5");
    assert_eq!(r.new_globals.len(), 1);
    assert_eq!(r.value_ty, Ty::Unit);
    assert_eq!(fails(&mut s, "x = 6"), vec!["E009"]);
    run(&mut s, "y := mut 1");
    run(&mut s, "y += 1");
    let r = run(&mut s, "y");
    assert_eq!(r.value_ty, Ty::I64);
    run(&mut s, "F gy() -> i64 = y + x");
    let r = run(&mut s, "x := 2.5");
    assert_eq!(s.program().globals[r.new_globals[0].index()].ty, Ty::F64);
    assert!(s.describe_definitions().contains(&"x: f64".to_string()), "{:?}", s.describe_definitions());
    assert_eq!(s.type_of(&expr("x")).unwrap(), "f64");
}

#[test]
fn errors_are_transactional() {
    let mut s = Session::new();
    let before = s.program().clone();
    assert_eq!(fails(&mut s, "z := 1\nzz + 1"), vec!["E002"]);
    assert_eq!(s.program(), &before);
    assert_eq!(fails(&mut s, "z"), vec!["E002"]);
}

#[test]
fn redefinition_with_new_signature() {
    let mut s = Session::new();
    run(&mut s, "F f(x: i64) -> i64 = x");
    run(&mut s, "F g() -> i64 = f(1)");
    run(&mut s, "F h() -> i64 = 5");
    let r = run(&mut s, "F f(x: i64, y: i64) -> i64 = x + y");
    assert!(r.messages.iter().any(|m| m.to_string().contains("`g` no longer type-checks")), "{:?}", r.messages);
    let d = s.check_input(&entries("g()")).unwrap_err();
    assert!(d[0].message.contains("`f`"), "{}", d[0].message);
    run(&mut s, "h()");
    // Redefining f back to a compatible signature lets dependents recompile.
    run(&mut s, "F k(x: i64) -> i64 = x");
    run(&mut s, "F user() -> i64 = k(1)");
    let r = run(&mut s, "F k(x: i32) -> i64 = x");
    assert!(r.messages.iter().all(|m| !m.to_string().contains("no longer")), "{:?}", r.messages);
    assert!(r.compile.len() >= 2);
}

#[test]
fn structs_generics_and_defs() {
    let mut s = Session::new();
    run(&mut s, "S Point { x: i64, y: i64 }");
    run(&mut s, "p := Point { x: 1, y: 2 }");
    let r = run(&mut s, "p.x + p.y");
    assert_eq!(r.value_ty, Ty::I64);
    run(&mut s, "F id<T>(v: T) -> T = v");
    let r = run(&mut s, "id(1.5)");
    assert_eq!(r.value_ty, Ty::F64);
    assert!(r.compile.iter().any(|f| s.program().func(*f).name == "id<f64>"));
    let defs = s.describe_definitions();
    assert!(defs.contains(&"S Point { x: i64, y: i64 }".to_string()), "{:?}", defs);
    assert!(defs.contains(&"F id<T>(v: T) -> T".to_string()), "{:?}", defs);
    assert!(defs.contains(&"p: Point".to_string()), "{:?}", defs);
    let r = run(&mut s, "S Point { x: f64 }");
    assert!(r.messages.iter().any(|m| m.to_string().contains("`p` dropped")), "{:?}", r.messages);
    assert_eq!(fails(&mut s, "p"), vec!["E002"]);
    run(&mut s, "q := Point { x: 1.5 }");
}

#[test]
fn method_redefinition_in_place() {
    let mut s = Session::new();
    run(&mut s, "S Cnt { n: i64 }");
    let r = run(&mut s, "X Cnt { F get(&self) -> i64 = self.n }");
    let get = r.compile[0];
    run(&mut s, "F use_it() -> i64 { c := Cnt { n: 3 }; c.get() }");
    let r = run(&mut s, "X Cnt { F get(&self) -> i64 = self.n * 2 }");
    assert!(r.compile.contains(&get), "{:?}", r.compile);
    run(&mut s, "use_it()");
    // signature change: the caller is re-checked and breaks
    let r = run(&mut s, "X Cnt { F get(&self, k: i64) -> i64 = self.n * k }");
    assert!(r.messages.iter().any(|m| m.to_string().contains("`use_it` no longer")), "{:?}", r.messages);
}

#[test]
fn same_signature_redefinition_reaches_callers() {
    let mut s = Session::new();
    let r = run(&mut s, "F base() -> i64 = 1");
    let base = r.compile[0];
    run(&mut s, "F user() -> i64 = base() * 10");
    let r = run(&mut s, "F base() -> i64 = 2");
    assert_eq!(r.compile, vec![base]);
    let r = run(&mut s, "user()");
    assert_eq!(r.value_ty, Ty::I64);
}

/// A failed input after many definitions leaves the session exactly as before: same `:defs`,
/// same program, and later inputs behave as if the failed one never happened.
#[test]
fn failed_input_after_many_definitions_leaves_session_unchanged() {
    let mut s = Session::new();
    for i in 0..300 {
        run(&mut s, &format!("F h{}(x: i64) -> i64 = x + {}", i, i));
    }
    run(&mut s, "S Pt { x: i64, y: i64 }");
    run(&mut s, "X Pt { F sum(&self) -> i64 = self.x + self.y }");
    run(&mut s, "E Sh { Circle(i64), Sq(i64), Nothing }");
    run(&mut s, "F area(s: Sh) -> i64 = M s { Circle(r) => r * r * 3, Sq(a) => a * a, Nothing => 0 }");
    run(&mut s, "F idt<T>(x: T) -> T = x");
    run(&mut s, "F usep(p: Pt) -> i64 = p.sum() + h3(1) + idt(2)");
    run(&mut s, "p := Pt { x: 1, y: 2 }");
    run(&mut s, "v1 := idt(5) * 3");
    run(&mut s, "C K: i64 = 7");
    for i in 0..100 {
        run(&mut s, &format!("w{} := h{}(2) + 1", i, i));
    }
    let failing = [
        // errors in a new function, in a statement, after defining things in the same input
        "F bad(x: i64) -> i64 = x + true",
        "F ok2(x: i64) -> i64 = x\nq := ok2(1) + \"s\"",
        "F ok3(x: f64) -> f64 = idt(x)\nS Q { a: i64 }\nE E2 { Aa, Bb }\nundefined_thing(1)",
        // redefinitions that fail: same signature, new signature, types, methods
        "F h5(x: i64) -> i64 = x + nope",
        "F h6(x: bool) -> bool = x\nh6(3)",
        "S Pt { x: i64 }\nzz := 1 + true",
        "E Sh { Circle(bool) }\nF area(s: Sh) -> i64 = 1 + false",
        "X Pt { F sum(&self) -> bool = self.x }",
        "X Pt { F more(&self) -> i64 = self.x }\nF h7(x: i64) -> i64 = x\np2 := Pt { x: 1, y: 2 }.more() + true",
        "C K: i64 = 8\nv1 := v1 + true",
        "v1 := idt(Pt { x: 1, y: 2 })\nF h8(p: Pt) -> Pt = p\nbad_call()",
        "F idt<T>(x: T, y: T) -> T = x\nidt(1)",
        // callers re-checked in trials (kept, or undone and marked broken) before the error
        "F h3(x: i32) -> i64 = 1\nbad()",
        "F h3(x: bool) -> i64 = 1\nbad()",
        "X Pt { F sum(&self) -> i32 = 1 }\nF h3(x: bool) -> i64 = 1\nF ww() -> i64 = usep(p)\nbad()",
    ];
    for src in failing {
        let defs = s.describe_definitions();
        let prog = s.program().clone();
        let twin = s.clone();
        let codes = fails(&mut s, src);
        assert!(!codes.is_empty(), "{}", src);
        assert_eq!(s.describe_definitions(), defs, "defs changed by failed {:?}", src);
        assert!(*s.program() == prog, "program changed by failed {:?}", src);
        // Later inputs see the same session as a twin that never saw the failure.
        let mut twin = twin;
        for next in ["Aa", "Circle(1)", "ok3(1.0)", "Q { a: 1 }", "q", "v1 + w0", "F h9(x: i64) -> i64 = usep(Pt { x: x, y: 1 }) + area(Circle(2)) + K", "h9(2) + h5(1) + w3", "S Pt { x: i64, y: i64, z: i64 }"] {
            let a = s.check_input(&entries(next)).map(|(r, _)| (r.compile, r.entry, r.value_ty, r.new_globals, r.messages));
            let b = twin.check_input(&entries(next)).map(|(r, _)| (r.compile, r.entry, r.value_ty, r.new_globals, r.messages));
            assert_eq!(format!("{:?}", a), format!("{:?}", b), "after failed {:?}, input {:?}", src, next);
            assert!(*s.program() == *twin.program());
            assert_eq!(s.describe_definitions(), twin.describe_definitions());
        }
        s = twin;
    }
}

/// Redefinitions ask the dependency index who uses what changed: the bodies read per
/// redefinition (the index's work) are the same in a session of 8,000 definitions as in one of
/// 500, and the right callers are found (broken, then repaired).
#[test]
fn redefinition_work_does_not_grow_with_the_session() {
    let work = |n: usize| {
        let mut s = Session::new();
        let mut text = String::new();
        for i in 0..n / 2 {
            text.push_str(&format!("F fn{i}(x: i64) -> i64 = x + {i}\nF cl{i}(x: i64) -> i64 = fn{i}(x) * 2\n"));
        }
        run(&mut s, &text);
        // The index is built lazily (each body once, when a redefinition first asks).
        run(&mut s, "F fn0(x: i64, y: i64) -> i64 = x");
        let k = n / 4;
        let before = s.dependency_work();
        let r = run(&mut s, &format!("F fn{k}(x: i64, y: i64) -> i64 = x + y"));
        assert_eq!(r.messages.iter().map(|m| m.to_string()).collect::<Vec<_>>(), vec![format!("note: `cl{k}` no longer type-checks (calls `fn{k}`); fix or redefine it")]);
        let r = run(&mut s, &format!("F fn{k}(x: i64) -> i64 = x - 1"));
        assert_eq!(r.messages.iter().map(|m| m.to_string()).collect::<Vec<_>>(), vec![format!("note: `cl{k}` type-checks again")]);
        let r = run(&mut s, &format!("F fn{k}(x: i64) -> i64 = x - 2"));
        assert!(r.messages.is_empty());
        assert_eq!(s.type_of(&expr(&format!("cl{k}(1)"))).unwrap(), "i64");
        s.dependency_work() - before
    };
    let (small, big) = (work(500), work(8000));
    assert_eq!(small, big, "bodies indexed by the same redefinitions: {small} at 500 definitions, {big} at 8,000");
    assert!(big < 20, "{big} bodies indexed for three redefinitions");
}

/// A redefined constant's users (its value is folded into them, so the index finds them from
/// the syntax) are found with work that does not grow with the session: after the first
/// question indexes every body once, each constant redefinition reads only new bodies.
#[test]
fn constant_redefinition_work_does_not_grow_with_the_session() {
    let work = |n: usize| {
        let mut s = Session::new();
        let mut text = String::from("C K: i64 = 1\nF usek(x: i64) -> i64 = x + K\n");
        for i in 0..n {
            text.push_str(&format!("F fn{i}(x: i64) -> i64 = x + {i}\n"));
        }
        run(&mut s, &text);
        run(&mut s, "C K: i64 = 2"); // the first question indexes every body
        let before = s.dependency_work();
        let r = run(&mut s, "C K: i64 = 3");
        let compiled: Vec<String> = r.compile.iter().map(|f| s.program().func(*f).name.clone()).collect();
        assert!(compiled.contains(&"usek".to_string()), "the user of K is recompiled: {compiled:?}");
        assert!(compiled.len() <= 2, "only K's users are recompiled: {compiled:?}");
        let r = run(&mut s, "F other(x: i64) -> i64 = x * K\nC K: i64 = 4");
        let compiled: Vec<String> = r.compile.iter().map(|f| s.program().func(*f).name.clone()).collect();
        assert!(compiled.contains(&"usek".to_string()) && compiled.contains(&"other".to_string()), "{compiled:?}");
        s.dependency_work() - before
    };
    let (small, big) = (work(500), work(8000));
    assert_eq!(small, big, "bodies indexed by the same redefinitions: {small} at 500 definitions, {big} at 8,000");
    assert!(big < 20, "{big} bodies indexed for two constant redefinitions");
}
