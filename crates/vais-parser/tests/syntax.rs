//! Targeted tests: disambiguation rules (LANGUAGE.md §3.2), precedence (§5.1), statements
//! (§6), items (§7), patterns (§8.1) and spans. Expressions are compared through a fully
//! parenthesised printer (`common::show`).

mod common;
use common::*;
use vais_ast::ast::*;
use vais_ast::FileId;
use vais_parser::parse_file;

// ---------------------------------------------------------------- precedence

#[test]
fn arithmetic_precedence() {
    assert_eq!(ex("1 + 2 * 3"), "(1 + (2 * 3))");
    assert_eq!(ex("1 - 2 - 3"), "((1 - 2) - 3)");
    assert_eq!(ex("-2 * 3"), "((-2) * 3)");
    assert_eq!(ex("-x.f()"), "(-x.f())");
    assert_eq!(ex("1 << 4 + 1"), "(1 << (4 + 1))");
    assert_eq!(ex("a % b / c"), "((a % b) / c)");
}

#[test]
fn bitwise_is_looser_than_equality() {
    assert_eq!(ex("6 & 3 | 8"), "((6 & 3) | 8)");
    assert_eq!(ex("5 ^ 1 & 3"), "(5 ^ (1 & 3))");
    assert_eq!(ex("x & 1 == 0"), "(x & (1 == 0))");
    assert_eq!(ex("a | b ^ c"), "(a | (b ^ c))");
}

#[test]
fn logical_operators_are_token_pairs() {
    assert_eq!(ex("a && b || c"), "((a && b) || c)");
    assert_eq!(ex("a & &b"), "(a && b)");
    assert_eq!(ex("a | | b"), "(a || b)");
    assert_eq!(ex("a || b && c"), "(a || (b && c))");
    assert_eq!(ex("a | b && c"), "((a | b) && c)");
}

#[test]
fn comparison_and_equality_chain_left() {
    assert_eq!(ex("1 < 2 < 3"), "((1 < 2) < 3)");
    assert_eq!(ex("a == b == c"), "((a == b) == c)");
    assert_eq!(ex("a < b == c >= d"), "((a < b) == (c >= d))");
}

#[test]
fn range_sits_between_comparison_and_equality() {
    assert_eq!(ex("0..n == r"), "((0..n) == r)");
    assert_eq!(ex("a + 1..=b * 2"), "((a + 1)..=(b * 2))");
    assert_eq!(ex("a < b..c"), "((a < b)..c)");
    assert_eq!(ex("..5"), "(..5)");
    assert_eq!(ex("p[..b]"), "p[(..b)]");
    assert_eq!(ex("p[a..]"), "p[(a..)]");
    assert_eq!(ex("f(a.., b)"), "f((a..), b)");
    assert_eq!(ex("a.."), "(a..)");
    // non-associative: a second `..` is an error (in a block it would start a new statement)
    assert_eq!(codes("F main() = (a..b..c)")[0], "P001");
    assert_eq!(codes("F main() = (a == b..c..d)")[0], "P001");
    assert_eq!(stmts("a..b..c").len(), 2);
}

#[test]
fn ternary_is_right_associative() {
    assert_eq!(ex("a ? b : c ? d : e"), "(a ? b : (c ? d : e))");
    assert_eq!(ex("a || b ? 1 : 2"), "((a || b) ? 1 : 2)");
    assert_eq!(ex("c ? a ? 1 : 2 : 3"), "(c ? (a ? 1 : 2) : 3)");
}

#[test]
fn assignment_is_right_associative_with_ternary_on_the_left() {
    assert_eq!(ex("a = b = c"), "(a = (b = c))");
    assert_eq!(ex("x += 1 + 2"), "(x += (1 + 2))");
    assert_eq!(ex("x -= y ? 1 : 2"), "(x -= (y ? 1 : 2))");
    assert_eq!(ex("p.x *= 2"), "(p.x *= 2)");
    assert_eq!(ex("a[i] /= 2"), "(a[i] /= 2)");
    assert_eq!(ex("*r = 1"), "((*r) = 1)");
}

#[test]
fn prefix_and_postfix() {
    assert_eq!(ex("!a"), "(!a)");
    assert_eq!(ex("~5"), "(~5)");
    assert_eq!(ex("&x"), "(&x)");
    assert_eq!(ex("*p + 1"), "((*p) + 1)");
    assert_eq!(ex("--x"), "(-(-x))");
    assert_eq!(ex("a.b(c)[d]!"), "a.b(c)[d]!");
    assert_eq!(ex("f(x).await"), "f(x).await");
    assert_eq!(ex("o.inner.v"), "o.inner.v");
    assert_eq!(ex("f(1,)(2)"), "f(1)(2)");
    assert_eq!(ex("@(n - 1)"), "@((n - 1))");
    assert_eq!(ex("@.m()"), "@.m()");
    assert_eq!(ex("x.F"), "x.F");
}

#[test]
fn primaries() {
    assert_eq!(ex("()"), "()");
    assert_eq!(ex("(1)"), "1");
    assert_eq!(ex("(1,)"), "tuple(1)");
    assert_eq!(ex("(1, 2,)"), "tuple(1, 2)");
    assert_eq!(ex("[]"), "[]");
    assert_eq!(ex("[1, 2, 3,]"), "[1, 2, 3]");
    assert_eq!(ex("Pt { x: 1, y: 2, }"), "Pt {x: 1, y: 2}");
    assert_eq!(ex("Pt {}"), "Pt {}");
    assert_eq!(ex("spawn f(x)"), "spawn(f(x))");
    assert_eq!(ex("spawn { f(x) }"), "spawn(f(x))");
    assert_eq!(ex("(spawn f(x)).await"), "spawn(f(x)).await");
    assert_eq!(ex("true"), "true");
    assert_eq!(ex("self.v"), "self.v");
    assert_eq!(ex("{ 1; 2 }"), "{1; 2}");
}

// ---------------------------------------------------------------- disambiguation rules

#[test]
fn rule1_else_only_after_if_block() {
    assert_eq!(
        ex("I a { 1 } E I b { 2 } E { 3 }"),
        "if a {1} else if b {2} else {3}"
    );
    assert_eq!(ex("I a {\n 1 \n}\n E { 2 }"), "if a {1} else {2}");
    // `E` at statement start is an error
    assert_eq!(codes("F main() { I a { 1 }; E { 2 } }")[0], "P001");
    // no `E cond { }` form
    assert_eq!(codes("F main() { I a { 1 } E b { 2 } }")[0], "P001");
    // at item level `E` is an enum
    let m = parse_ok("E Color { Red, Green, }");
    assert!(matches!(&m.items[0].kind, ItemKind::Enum(e) if e.variants.len() == 2));
}

#[test]
fn rule2_c_is_continue_in_statements_and_const_at_item_level() {
    let s = stmts("L { C }");
    assert_eq!(show_stmt(&s[0]), "loop {continue}");
    let m = parse_ok("C LIMIT: i64 = 10 * 2\nF main() -> i64 = LIMIT");
    match &m.items[0].kind {
        ItemKind::Const(c) => {
            assert_eq!(c.name.name, "LIMIT");
            assert_eq!(show(&c.value), "(10 * 2)");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn rule3_x_f_is_extern() {
    let m = parse_ok("X F printf(fmt: str, ...) -> i32\nX F sqrt(x: f64) -> f64\nX F abort()");
    match &m.items[0].kind {
        ItemKind::Extern(e) => {
            assert_eq!(e.name.name, "printf");
            assert!(e.variadic);
            assert_eq!(e.params.len(), 1);
            assert!(e.ret.is_some());
        }
        other => panic!("{other:?}"),
    }
    match &m.items[2].kind {
        ItemKind::Extern(e) => assert!(!e.variadic && e.params.is_empty() && e.ret.is_none()),
        other => panic!("{other:?}"),
    }
    let m = parse_ok("S Point { x: i64 }\nX Point: Shape { F area(&self) -> i64 = 0 }\nX<T> Pair<T> { F first(&self) -> T = self.a }");
    match &m.items[1].kind {
        ItemKind::Impl(i) => {
            assert_eq!(
                i.trait_name.as_ref().map(|t| t.name.as_str()),
                Some("Shape")
            );
            assert_eq!(i.methods.len(), 1);
        }
        other => panic!("{other:?}"),
    }
    match &m.items[2].kind {
        ItemKind::Impl(i) => assert_eq!(i.generics.len(), 1),
        other => panic!("{other:?}"),
    }
}

#[test]
fn rule4_i_after_arm_pattern_is_a_guard() {
    assert_eq!(
        ex("M x { n I n > 0 => 1, 0 | 1 => 2, 2..5 => 3, 5..=9 => 4, _ => I c { 5 } E { 6 }, }"),
        "match x {n if (n > 0) => 1, 0 | 1 => 2, 2..5 => 3, 5..=9 => 4, _ => if c {5} else {6}}"
    );
    assert_eq!(
        ex("M t { (a, (b)) => 1, Some(v) => v, \"s\" => 2, true => 3, None => 0 }"),
        "match t {(a, (b)) => 1, Some(v) => v, \"s\" => 2, true => 3, None => 0}"
    );
    // commas are required between arms
    assert_eq!(codes("F main() { M x { 0 => 1 1 => 2 } }")[0], "P001");
}

#[test]
fn range_patterns_need_integer_literal_bounds() {
    assert_eq!(codes("F main() { M x { 1..n => 1 } }")[0], "P001");
    assert_eq!(codes("F main() { M x { -1 => 1 } }")[0], "P001");
}

#[test]
fn rule5_t_is_alias_assoc_type_or_name() {
    let m = parse_ok(
        "T Num = i64\nW Tr { T Item: Show + Eq = i64  F get(&self) -> T }\nF id<T>(x: T) -> T = x",
    );
    assert!(matches!(&m.items[0].kind, ItemKind::Alias(a) if a.name.name == "Num"));
    match &m.items[1].kind {
        ItemKind::Trait(t) => {
            assert_eq!(t.assoc_types.len(), 1);
            assert_eq!(t.assoc_types[0].bounds.len(), 2);
            assert!(t.assoc_types[0].default.is_some());
            assert_eq!(t.methods.len(), 1);
            assert!(t.methods[0].body.is_none());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn rule6_keyword_letters_as_declaration_names_only() {
    let m = parse_ok("S P { v: i64, F: i64 }\nF F(I: i64) -> i64 = I2\nE B { A, S(i64) }");
    assert!(
        matches!(&m.items[0].kind, ItemKind::Struct(s) if s.name.name == "P" && s.fields.len() == 2)
    );
    // `P { v: 1 }` in an expression is a parse error
    assert_eq!(codes("F main() { x := P { v: 1 } }")[0], "P001");
    // not in expressions
    assert_eq!(codes("F main() -> i64 = L + 1")[0], "P001");
    // not as let names: `T := 1` is not a let (and `T` is not an expression)
    assert_eq!(codes("F main() { T := 1 }")[0], "P001");
    // W and X are never names
    assert_eq!(codes("F W() = 1")[0], "P001");
}

#[test]
fn rule7_upper_brace_is_always_a_struct_literal() {
    let d = diags("F main() -> i64 {\n x := 3\n I x == Limit { 1 } E { 0 }\n}");
    assert_eq!(d[0].code, "P001");
    assert_eq!(
        d[0].message,
        "expected a field name, found integer literal `1`"
    );
    assert_eq!(
        ex("I (x == Limit) { 1 } E { 0 }"),
        "if (x == Limit) {1} else {0}"
    );
    assert_eq!(ex("I x == limit { 1 }"), "if (x == limit) {1}");
    // across a newline
    assert_eq!(
        show_stmt(&stmts("x := Max\n{ a: 1 }")[0]),
        "let x = Max {a: 1}"
    );
}

#[test]
fn rule8_upper_dot_call_is_static() {
    assert_eq!(ex("Point.new(1, 2)"), "Point::new(1, 2)");
    assert_eq!(ex("point.len()"), "point.len()");
    assert_eq!(ex("Point.x"), "Point.x");
    assert_eq!(ex("Point.new(1).len()"), "Point::new(1).len()");
    assert_eq!(ex("Pt { x: 1 }.len()"), "Pt {x: 1}.len()");
    assert_eq!(codes("F main() = Point::new(1)")[0], "P001");
}

#[test]
fn rule9_lambda_vs_bitor() {
    assert_eq!(ex("|x: i64, y: i64| x + y"), "(|x, y| (x + y))");
    assert_eq!(ex("|| 5"), "(|| 5)");
    assert_eq!(ex("| | 5"), "(|| 5)");
    assert_eq!(ex("a | b"), "(a | b)");
    assert_eq!(ex("f(|x: i64| x * 2, 3)"), "f((|x| (x * 2)), 3)");
    assert_eq!(codes("F main() = |x| x")[0], "P001");
}

#[test]
fn rule10_newlines_do_not_separate() {
    // A_29: `x := 10` newline `-3` is `x := 10 - 3`
    let s = stmts("x := 10\n-3\nx");
    assert_eq!(s.len(), 2);
    assert_eq!(show_stmt(&s[0]), "let x = (10 - 3)");
    let s = stmts("puts(\"a\")\n(x)");
    assert_eq!(show_stmt(&s[0]), "puts(\"a\")(x)");
    let s = stmts("p := &x\n*p");
    assert_eq!(show_stmt(&s[0]), "let p = ((&x) * p)");
    let s = stmts("a := 1;\n-3");
    assert_eq!(s.len(), 2);
    assert_eq!(show_stmt(&s[1]), "(-3)");
    let s = stmts("I c { a } E { b }\n(1 << 3)");
    assert_eq!(s.len(), 1);
}

#[test]
fn rule11_range_without_end() {
    assert_eq!(ex("[a..]"), "[(a..)]");
    assert_eq!(ex("(a..)"), "(a..)");
    assert_eq!(ex("{ a.. }"), "{(a..)}");
    assert_eq!(ex("a..=b"), "(a..=b)");
}

#[test]
fn rule12_question_is_only_ternary() {
    assert_eq!(codes("F main() = f()?")[0], "P002");
}

#[test]
fn rule13_lt_is_less_than() {
    assert!(!diags("F main() = id<i64>(5)").is_empty());
    assert_eq!(ex("a < b"), "(a < b)");
}

#[test]
fn rule14_return_and_break_operands() {
    let s = stmts("L {\n B\n puts(\"x\")\n}");
    assert_eq!(show_stmt(&s[0]), "loop {break puts(\"x\")}");
    let s = stmts("L { B; puts(\"x\") }");
    assert_eq!(show_stmt(&s[0]), "loop {break; puts(\"x\")}");
    let s = stmts("I d { B }");
    assert_eq!(show_stmt(&s[0]), "if d {break}");
    let s = stmts("R 1 + 2");
    assert_eq!(show_stmt(&s[0]), "return (1 + 2)");
    let s = stmts("R");
    assert_eq!(show_stmt(&s[0]), "return");
}

// ---------------------------------------------------------------- statements

#[test]
fn let_forms() {
    let s = stmts("x := 1; y := mut 2; z: i64 = 3; w: mut i64 = 4; v: Pair<i64> = p");
    let shown: Vec<String> = s.iter().map(show_stmt).collect();
    assert_eq!(
        shown,
        [
            "let x = 1;",
            "let mut y = 2;",
            "let z: T = 3;",
            "let mut w: T = 4;",
            "let v: T = p"
        ]
    );
}

#[test]
fn mut_before_name_is_p001() {
    let d = diags("F main() -> i64 {\n mut x := 1\n x\n}");
    assert_eq!(d[0].code, "P001");
    assert_eq!(d[0].message, "expected an expression, found keyword `mut`");
}

#[test]
fn at_most_one_semicolon() {
    assert_eq!(codes("F main() { x := 1;; }")[0], "P001");
    let s = stmts("f(); g()");
    assert!(s[0].semicolon && !s[1].semicolon);
}

#[test]
fn loops() {
    assert_eq!(ex("L i: 0..10 { s += i }"), "loop i: (0..10) {(s += i)}");
    assert_eq!(ex("L _: i < 10 { i += 1 }"), "loop _: (i < 10) {(i += 1)}");
    assert_eq!(ex("L { B }"), "loop {break}");
}

// ---------------------------------------------------------------- items

#[test]
fn functions_and_params() {
    let m = parse_ok(
        "P A F f<T: Show + Eq, U>(mut a: i64, b: &mut T, c: *i64?, d: [i64], e: [str:i64], g: (i64, bool), h: (i64) -> i64) -> (i64, i64) = (a, a)\n\
         F u() { }\nF v(&self, x: i64,) -> Self = x",
    );
    match &m.items[0].kind {
        ItemKind::Function(f) => {
            assert!(m.items[0].is_pub && f.is_async);
            assert_eq!(f.generics.len(), 2);
            assert_eq!(f.generics[0].bounds.len(), 2);
            assert_eq!(f.params.len(), 7);
            assert!(matches!(&f.params[0], Param::Named { mutable: true, .. }));
            match &f.params[2] {
                Param::Named { ty, .. } => assert!(
                    matches!(&ty.kind, TypeKind::Optional(inner) if matches!(inner.kind, TypeKind::Pointer(_)))
                ),
                _ => panic!(),
            }
            match &f.params[6] {
                Param::Named { ty, .. } => {
                    assert!(matches!(&ty.kind, TypeKind::Fn { params, .. } if params.len() == 1))
                }
                _ => panic!(),
            }
            assert!(
                matches!(&f.ret, Some(Type { kind: TypeKind::Tuple(ts), .. }) if ts.len() == 2)
            );
        }
        other => panic!("{other:?}"),
    }
    match &m.items[1].kind {
        ItemKind::Function(f) => {
            assert!(f.ret.is_none());
            assert!(matches!(
                &f.body,
                Some(Expr {
                    kind: ExprKind::Block(_),
                    ..
                })
            ));
        }
        other => panic!("{other:?}"),
    }
    match &m.items[2].kind {
        ItemKind::Function(f) => {
            assert!(matches!(f.params[0], Param::SelfRef { mutable: false, .. }));
            assert!(matches!(
                &f.ret,
                Some(Type {
                    kind: TypeKind::SelfType,
                    ..
                })
            ));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(codes("F f(self) = 1")[0], "P001");
    assert_eq!(codes("F f(x) = 1")[0], "P001");
}

#[test]
fn structs_enums_uses() {
    let m = parse_ok(
        "S Pair<T> {\n a: T,\n P b: T,\n F sum(&self) -> i64 = self.a + self.b\n P F get(&mut self) -> T { self.a }\n}\n\
         E Msg { Move { x: i64, y: i64 }, Quit, Write(str, i64,), }\nU std/math\nU a::b::c",
    );
    match &m.items[0].kind {
        ItemKind::Struct(s) => {
            assert_eq!(s.fields.len(), 2);
            assert_eq!(s.methods.len(), 2);
        }
        other => panic!("{other:?}"),
    }
    match &m.items[1].kind {
        ItemKind::Enum(e) => {
            assert!(matches!(&e.variants[0].kind, VariantKind::Struct(f) if f.len() == 2));
            assert!(matches!(&e.variants[1].kind, VariantKind::Unit));
            assert!(matches!(&e.variants[2].kind, VariantKind::Tuple(t) if t.len() == 2));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(&m.items[2].kind, ItemKind::Use(u) if u.path.len() == 2));
    assert!(matches!(&m.items[3].kind, ItemKind::Use(u) if u.path.len() == 3));
    // a field followed by a method still needs its comma
    assert_eq!(codes("S A { x: i64 F f() = 1 }")[0], "P001");
}

#[test]
fn nested_generics_need_a_space() {
    parse_ok("F f(v: Vec<Vec<i64> >) = 0");
    assert!(!diags("F f(v: Vec<Vec<i64>>) = 0").is_empty());
}

// ---------------------------------------------------------------- lexer-level

#[test]
fn string_escapes_are_processed() {
    assert_eq!(ex(r#""a\nb\t\r\0\\\"""#), format!("{:?}", "a\nb\t\r\0\\\""));
    assert_eq!(ex(r#""\x41\x7a""#), "\"Az\"");
    // unknown escapes keep both characters
    assert_eq!(ex(r#""\q\x4""#), format!("{:?}", "\\q\\x4"));
    assert_eq!(ex("\"two\nlines\""), format!("{:?}", "two\nlines"));
    assert_eq!(ex("\"h\u{e9}\""), format!("{:?}", "h\u{e9}"));
}

#[test]
fn numbers() {
    assert_eq!(ex("1_000 + 007"), "(1000 + 7)");
    assert_eq!(ex("7_"), "7");
    assert_eq!(ex("9223372036854775807"), "9223372036854775807");
    // Up to u64::MAX lexes (the checker decides whether it fits its type).
    assert_eq!(ex("9223372036854775808"), "9223372036854775808");
    assert_eq!(ex("18446744073709551615"), "18446744073709551615");
    assert_eq!(codes("F main() = 18446744073709551616")[0], "L001");
    assert_eq!(ex("2.5"), "2.5");
    assert_eq!(ex("2.0e-5"), "2e-5");
    assert_eq!(ex("1.5E3"), "1500.0");
    assert_eq!(ex("1_0.2_5"), "10.25");
    assert_eq!(ex("1..5"), "(1..5)");
    // `1.` is int then dot; `1e5` is a float (Extensions decision 13), `1e` an int and a name
    assert_eq!(codes("F main() = 1.")[0], "P002");
    assert_eq!(ex("1e5"), "100000.0");
    assert_eq!(ex("1E+2"), "100.0");
    assert_eq!(stmts("1e").len(), 2);
    // Other bases, with separators
    assert_eq!(ex("0xFF"), "255");
    assert_eq!(ex("0XfF_fF"), "65535");
    assert_eq!(ex("0o17"), "15");
    assert_eq!(ex("0b1010_1010"), "170");
    assert_eq!(ex("0xFFFF_FFFF_FFFF_FFFF"), "18446744073709551615");
    assert_eq!(codes("F main() = 0x")[0], "L001");
    assert_eq!(codes("F main() = 0b102")[0], "L001");
    assert_eq!(codes("F main() = 0o8")[0], "L001");
    assert_eq!(codes("F main() = 0x1_0000_0000_0000_0000")[0], "L001");
    assert_eq!(codes("F main() = 1e999")[0], "L001");
}

#[test]
fn character_literals_are_integers() {
    assert_eq!(ex("'a'"), "97");
    assert_eq!(ex(r"'\n'"), "10");
    assert_eq!(ex(r"'\t'"), "9");
    assert_eq!(ex(r"'\0'"), "0");
    assert_eq!(ex(r"'\\'"), "92");
    assert_eq!(ex(r"'\''"), "39");
    assert_eq!(ex(r"'\x41'"), "65");
    assert_eq!(ex("'\"'"), "34");
    assert_eq!(codes("F main() = 'ab'")[0], "L001");
    assert_eq!(codes("F main() = ''")[0], "L001");
    assert_eq!(codes("F main() = '\u{e9}'")[0], "L001");
    assert_eq!(codes("F main() = '\\q'")[0], "L001");
    assert_eq!(codes("F main() = 'a")[0], "L001");
}

#[test]
fn casts_bind_tighter_than_binary_operators() {
    assert_eq!(ex("-x as f64"), "((-x) as f64)");
    assert_eq!(ex("a * b as f64"), "(a * (b as f64))");
    assert_eq!(ex("x as i32 as f64"), "((x as i32) as f64)");
    assert_eq!(ex("a.b as u8 + 1"), "((a.b as u8) + 1)");
    assert_eq!(ex("p as *i64"), "(p as *i64)");
    assert_eq!(ex("f(x)[0] as u8 < y"), "((f(x)[0] as u8) < y)");
    assert_eq!(codes("F main() = x as")[0], "P002");
    // a `?` after the target is the ternary operator
    assert_eq!(ex("x as bool ? a : b"), "((x as bool) ? a : b)");
    // `as` is a keyword now
    assert!(!codes("F main() { as := 1 }").is_empty());
}

#[test]
fn comments_and_non_ascii() {
    parse_ok("#[inline]\nF main() -> i64 = 0 # trailing\n# end");
    let d = diags("F main() -> i64 = 0 \u{e9}");
    assert_eq!(d[0].code, "L001");
    assert_eq!(codes("F main() = \"abc")[0], "L001");
}

#[test]
fn lexer_tokens_have_byte_spans() {
    use vais_parser::lexer::{lex, Keyword, TokenKind};
    let (toks, d) = lex(FileId(3), "F f() -> i64 = a & &b >> 2 ..= x.await");
    assert!(d.is_empty());
    let kinds: Vec<TokenKind> = toks.iter().map(|t| t.kind).collect();
    assert_eq!(kinds[0], TokenKind::Kw(Keyword::F));
    assert_eq!(kinds[8], TokenKind::Amp);
    assert_eq!(kinds[9], TokenKind::Amp);
    assert_eq!(kinds[11], TokenKind::Shr);
    assert_eq!(kinds[13], TokenKind::DotDotEq);
    assert_eq!(kinds[16], TokenKind::Kw(Keyword::Await));
    assert_eq!(kinds.last(), Some(&TokenKind::Eof));
    assert_eq!((toks[5].span.start, toks[5].span.end), (9, 12)); // i64
    assert_eq!(toks[5].span.file, FileId(3));
}

// ---------------------------------------------------------------- spans

#[test]
fn spans_are_precise() {
    let src = "F add(a: i64, b: i64) -> i64 = a + b * 2\nF main() -> i64 { x := add(1, 2); x }";
    let (m, d) = parse_file(FileId(7), src);
    assert!(d.is_empty());
    let text = |s: vais_ast::Span| &src[s.start as usize..s.end as usize];
    assert_eq!(
        text(m.items[0].span),
        "F add(a: i64, b: i64) -> i64 = a + b * 2"
    );
    assert_eq!(m.items[0].span.file, FileId(7));
    let ItemKind::Function(f) = &m.items[0].kind else {
        panic!()
    };
    assert_eq!(text(f.name.span), "add");
    let body = f.body.as_ref().unwrap();
    assert_eq!(text(body.span), "a + b * 2");
    let ExprKind::Binary { rhs, .. } = &body.kind else {
        panic!()
    };
    assert_eq!(text(rhs.span), "b * 2");
    match &f.params[1] {
        Param::Named { span, ty, .. } => {
            assert_eq!(text(*span), "b: i64");
            assert_eq!(text(ty.span), "i64");
        }
        _ => panic!(),
    }
    let ItemKind::Function(main) = &m.items[1].kind else {
        panic!()
    };
    let Some(Expr {
        kind: ExprKind::Block(b),
        span,
    }) = &main.body
    else {
        panic!()
    };
    assert_eq!(text(*span), "{ x := add(1, 2); x }");
    assert_eq!(text(b.stmts[0].span), "x := add(1, 2);");
    let StmtKind::Let { value, name, .. } = &b.stmts[0].kind else {
        panic!()
    };
    assert_eq!(text(value.span), "add(1, 2)");
    assert_eq!(text(name.span), "x");
    assert_eq!(text(b.stmts[1].span), "x");
}

#[test]
fn more_spans() {
    let src = "F m() { I a { 1 } E { 2 }; M x { 1 | 2 I y => 3 }; p.q(1)[0]!; (1 + 2); -x; Q.n() }";
    let (m, d) = parse_file(FileId(0), src);
    assert!(d.is_empty(), "{d:?}");
    let text = |s: vais_ast::Span| &src[s.start as usize..s.end as usize];
    let ItemKind::Function(f) = &m.items[0].kind else {
        panic!()
    };
    let Some(Expr {
        kind: ExprKind::Block(b),
        ..
    }) = &f.body
    else {
        panic!()
    };
    let e = |i: usize| match &b.stmts[i].kind {
        StmtKind::Expr(e) => e.clone(),
        _ => panic!(),
    };
    assert_eq!(text(e(0).span), "I a { 1 } E { 2 }");
    assert_eq!(text(e(1).span), "M x { 1 | 2 I y => 3 }");
    if let ExprKind::Match { arms, .. } = &e(1).kind {
        assert_eq!(text(arms[0].span), "1 | 2 I y => 3");
        assert_eq!(text(arms[0].patterns[1].span), "2");
    }
    assert_eq!(text(e(2).span), "p.q(1)[0]!");
    assert_eq!(text(e(3).span), "(1 + 2)");
    assert_eq!(text(e(4).span), "-x");
    assert_eq!(text(e(5).span), "Q.n()");
    assert_eq!(b.stmts.len(), 6);
}

// ---------------------------------------------------------------- diagnostics and recovery

#[test]
fn messages_name_the_offending_token() {
    let d = diags("F main() { f(1 }");
    assert_eq!(d[0].code, "P001");
    assert_eq!(d[0].message, "expected `)`, found `}`");
    assert_eq!(d[0].span.start, 15);
    let d = diags("F main() { f(1");
    assert_eq!(d[0].code, "P002");
    assert_eq!(d[0].message, "unexpected end of input");
}

#[test]
fn several_errors_are_reported() {
    let src =
        "F a() { x := ; y := 1 }\nF b() -> i64 = )\nF c() -> i64 { f(1, +, 2) }\nF ok() -> i64 = 1";
    let (m, d) = parse_file(FileId(0), src);
    assert!(d.len() >= 3, "{d:#?}");
    // the valid function after the errors is still parsed
    assert!(m
        .items
        .iter()
        .any(|i| matches!(&i.kind, ItemKind::Function(f) if f.name.name == "ok")));
}

#[test]
fn missing_brace_recovers_at_next_item() {
    let (m, d) = parse_file(FileId(0), "F a() {\n x := 1\nF b() -> i64 = 2");
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(d[0].message, "expected `}`, found keyword `F`");
    assert!(m
        .items
        .iter()
        .any(|i| matches!(&i.kind, ItemKind::Function(f) if f.name.name == "b")));
}

#[test]
fn deep_nesting_is_p003_not_a_crash() {
    for open in ["(", "[", "{", "-", "!", "I a {", "M a { _ => ", "|x: i64| "] {
        let src = format!("F main() = {}", open.repeat(5000));
        let d = diags(&src);
        assert!(
            d.iter().any(|d| d.code == "P003"),
            "{open}: {:?}",
            d.first()
        );
    }
    let src = format!("F f(x: {}i64) = 0", "*".repeat(5000));
    assert!(diags(&src).iter().any(|d| d.code == "P003"));
    let src = format!("F main() = M x {{ {} => 0 }}", "(".repeat(5000));
    assert!(diags(&src).iter().any(|d| d.code == "P003"));
    // moderate nesting is fine
    let src = format!("F main() = {}1{}", "(".repeat(50), ")".repeat(50));
    parse_ok(&src);
}

#[test]
fn lexical_edge_cases() {
    // non-ASCII is fine inside comments and strings
    parse_ok("# h\u{e9}llo \u{1F600}\nF main() = \"\u{1F600}\"");
    // backslash directly before a line break is a lexical error
    assert_eq!(codes("F main() = \"a\\\nb\"")[0], "L001");
    // every bad character is reported, parsing goes on
    let d = diags("F main() = 1 $ + ` 2");
    assert_eq!(d.iter().filter(|d| d.code == "L001").count(), 2);
    // `1.5e` is a float then an identifier; `.5` is `.` then `5`
    assert_eq!(stmts("1.5e").len(), 2);
    assert_eq!(codes("F main() = .5")[0], "P001");
    // `::` exists only for `U` paths; `%=` does not exist
    assert_eq!(codes("F main() { x %= 2 }")[0], "P001");
}
