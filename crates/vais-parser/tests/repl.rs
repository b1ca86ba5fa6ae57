//! `parse_repl_input`: complete vs incomplete input, items vs statements.

mod common;
use common::*;
use vais_ast::ast::*;
use vais_ast::FileId;
use vais_parser::{parse_repl_input, ReplParse, KEYWORDS};

fn complete(src: &str) -> (Vec<ReplEntry>, Vec<vais_ast::Diagnostic>) {
    match parse_repl_input(FileId(0), src) {
        ReplParse::Complete(e, d) => (e, d),
        ReplParse::Incomplete => panic!("unexpectedly incomplete: {src:?}"),
    }
}

fn incomplete(src: &str) -> bool {
    parse_repl_input(FileId(0), src) == ReplParse::Incomplete
}

#[test]
fn incomplete_inputs() {
    for src in [
        "F f(x: i64) -> i64 {",
        "(1 +",
        "\"abc",
        "\"abc\\",
        "1 +",
        "x :=",
        "[1, 2",
        "I c { 1 }  E",
        "I c {",
        "M x { 0 => 1,",
        "S P { x: i64,",
        "F f(",
        "F sq(x: i64) -> i64 =",
        "f(1,\n2,",
        "x := \"multi\nline",
        "a ? b :",
        "|x: i64|",
        "L i: 0..",
    ] {
        assert!(incomplete(src), "should be incomplete: {src:?}");
    }
}

#[test]
fn statement_entries() {
    let (e, d) = complete("x := 5");
    assert!(d.is_empty());
    assert_eq!(e.len(), 1);
    assert!(matches!(
        &e[0],
        ReplEntry::Stmt(Stmt {
            kind: StmtKind::Let { .. },
            ..
        })
    ));
    for (src, shown) in [
        ("x = 6", "(x = 6)"),
        ("n += 1", "(n += 1)"),
        ("sq(3) + 1", "(sq(3) + 1)"),
        ("I c { 1 } E { 2 }", "if c {1} else {2}"),
        ("L i: 0..3 { puts(\"x\") }", "loop i: (0..3) {puts(\"x\")}"),
        ("x;", "x;"),
    ] {
        assert_eq!(ex(src), shown);
    }
    let (e, d) = complete("x := 1; y := 2\nx + y");
    assert!(d.is_empty());
    assert_eq!(e.len(), 3);
}

#[test]
fn item_entries() {
    let (e, d) = complete("F sq(x: i64) -> i64 = x * x");
    assert!(d.is_empty());
    assert_eq!(e.len(), 1);
    assert!(matches!(
        &e[0],
        ReplEntry::Item(Item {
            kind: ItemKind::Function(_),
            ..
        })
    ));
    let (e, d) = complete("S P { x: i64 }\nE C { A, B }\nC K: i64 = 3\nK + 1");
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(e.len(), 4);
    assert!(matches!(
        &e[2],
        ReplEntry::Item(Item {
            kind: ItemKind::Const(_),
            ..
        })
    ));
    assert!(matches!(&e[3], ReplEntry::Stmt(_)));
    let (e, _) = complete("F f() -> i64 = 1; f()");
    assert_eq!(e.len(), 2);
}

#[test]
fn complete_with_errors() {
    let (_, d) = complete("1 + )");
    assert_eq!(d[0].code, "P001");
    assert_eq!(d[0].message, "expected an expression, found `)`");
    let (_, d) = complete("}");
    assert_eq!(d[0].code, "P001");
    let (_, d) = complete("x := 1 $ (");
    assert_eq!(d[0].code, "L001");
    // an error before the end of input means the input is complete (and wrong)
    let (_, d) = complete("F f() { 1 + ) ");
    assert_eq!(d[0].code, "P001");
    let (e, d) = complete("");
    assert!(e.is_empty() && d.is_empty());
    let (e, d) = complete("   # only a comment");
    assert!(e.is_empty() && d.is_empty());
}

#[test]
fn keywords_list() {
    for k in [
        "F", "S", "E", "I", "L", "M", "A", "R", "B", "C", "T", "U", "P", "W", "X", "mut", "self",
        "Self", "spawn", "await", "i64", "str",
    ] {
        assert!(KEYWORDS.contains(&k), "{k}");
    }
}
