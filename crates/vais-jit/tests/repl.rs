//! REPL-mode sessions through the real parser and checker (`vais_types::Session`): incremental
//! compilation, session variables, redefinition through the indirection cells, value printing
//! and runtime errors.

use vais_ast::SourceMap;
use vais_jit::{call_entry, value::format_value, Jit, JitConfig};
use vais_tir::Ty;

/// Evaluates each input and returns what the REPL would print (`=> value`, `runtime error: ..`,
/// or `error` for inputs the front end rejects).
fn transcript(inputs: &[&str]) -> Vec<String> {
    let mut sources = SourceMap::new();
    let mut session = vais_types::Session::new();
    let mut jit = Jit::new(JitConfig { repl_mode: true, interrupt_polls: true, verify: true, verify_tir: true, opt_speed: false, keep_ir: true }).unwrap();
    let mut out = vec![];
    for (i, text) in inputs.iter().enumerate() {
        let file = sources.add(format!("<input {}>", i + 1), text.to_string());
        let entries = match vais_parser::parse_repl_input(file, text) {
            vais_parser::ReplParse::Complete(e, d) if !d.iter().any(|d| d.is_error()) => e,
            _ => {
                out.push("parse error".to_string());
                continue;
            }
        };
        let (result, _) = match session.check_input(&entries) {
            Ok(r) => r,
            Err(d) => {
                out.push(format!("error {:?}", d.first().map(|d| d.message.clone())));
                continue;
            }
        };
        let locate = |s: vais_ast::Span| sources.location(s);
        jit.compile(session.program(), &result.compile, &locate).unwrap_or_else(|e| panic!("{e}"));
        let Some(entry) = result.entry else { continue };
        let size = jit.size_of(&result.value_ty).max(16);
        let code = jit.entry_ptr(entry).unwrap() as usize;
        let r = vais_runtime::run_protected(move || {
            let mut buf = vec![0u64; size.div_ceil(8)];
            // SAFETY: a compiled REPL entry wrapper; buf is large enough for the result.
            unsafe { call_entry(code as *const u8, buf.as_mut_ptr() as *mut u8) };
            buf
        });
        match r {
            Ok(buf) => {
                if !matches!(result.value_ty, Ty::Unit | Ty::Never) {
                    // SAFETY: `buf` holds the value the entry just wrote for `value_ty`.
                    out.push(format!("=> {}", unsafe { format_value(session.program(), &jit, &result.value_ty, buf.as_ptr() as *const u8) }));
                }
            }
            Err(f) => out.push(format!("runtime error: {f}")),
        }
    }
    out
}

#[test]
fn definitions_variables_and_redefinition() {
    let t = transcript(&[
        "F sq(x: i64) -> i64 = x * x",
        "sq(7)",
        "F quad(x: i64) -> i64 = sq(x) * sq(x)",
        "quad(2)",
        "F sq(x: i64) -> i64 = x + x",
        "quad(3)",
        "n := mut 5",
        "n += 1",
        "n * 7",
    ]);
    assert_eq!(t, vec!["=> 49", "=> 16", "=> 36", "=> 42"]);
}

#[test]
fn values_print_like_the_spec() {
    let t = transcript(&[
        "S Point { x: i64, y: i64 }",
        "Point { x: 1, y: -2 }",
        "\"hi\\n\"",
        "2.5",
        "3.0",
        "true",
        "(1, 2)",
        "p := Point { x: 3, y: 4 }",
        "p.x + p.y",
    ]);
    assert_eq!(t, vec!["=> Point { x: 1, y: -2 }", "=> \"hi\\n\"", "=> 2.5", "=> 3.0", "=> true", "=> (1, 2)", "=> 7"]);
}

#[test]
fn runtime_errors_keep_the_session() {
    let t = transcript(&["F d(a: i64, b: i64) -> i64 = a / b", "d(1, 0)", "d(9, 3)"]);
    assert_eq!(t.len(), 2);
    assert!(t[0].starts_with("runtime error: division by zero in `d` at <input 1>:1:"), "{t:?}");
    assert_eq!(t[1], "=> 3");
}

#[test]
fn closures_futures_and_matches_across_inputs() {
    let t = transcript(&[
        "E Shape { Circle(i64), Rect(i64, i64) }",
        "F area(s: Shape) -> i64 = M s { Circle(r) => 3 * r * r, Rect(w, h) => w * h }",
        "area(Rect(3, 4)) + area(Circle(1))",
        "k := 10",
        "add := |x: i64| x + k",
        "add(5)",
        "A F slow(x: i64) -> i64 = x * 2",
        "fut := slow(21)",
        "fut.await",
        "Rect(1, 2)",
    ]);
    assert_eq!(t, vec!["=> 15", "=> 15", "=> 42", "=> Rect(1, 2)"]);
}

#[test]
fn deep_recursion_is_a_runtime_error() {
    let t = transcript(&["F r(n: i64) -> i64 = r(n + 1) + 1", "r(0)", "r", "1 + 1"]);
    assert!(t[0].starts_with("runtime error: stack overflow"), "{t:?}");
    assert_eq!(t[1], "=> <fn(i64) -> i64>");
    assert_eq!(t[2], "=> 2");
}

/// `0x` and hex digits.
fn is_address(s: &str) -> bool {
    s.strip_prefix("0x").is_some_and(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()))
}

#[test]
fn arrays_of_inputs_print_their_elements_other_pointers_their_address() {
    let t = transcript(&[
        "S Nd { v: i64, next: *Nd }",
        "ns := [Nd { v: 1, next: [] }]",
        "ns[0] = Nd { v: 2, next: ns }",
        "ns",
        "F mk() -> *i64 = [1, 2, 3]",
        "mk()",
        "p := 5",
        "(mk(), &p)",
        "E Li<T> { Nil, Cons(T, *Li<T>) }",
        "Cons(1, [Cons(2, [Nil])])",
    ]);
    assert_eq!(t.len(), 4, "{t:?}");
    // The array contains itself: the inner occurrence is its address.
    let inner = t[0].strip_prefix("=> [Nd { v: 2, next: ").and_then(|s| s.strip_suffix(" }]"));
    assert!(inner.is_some_and(is_address), "{t:?}");
    // A function's array literal lives on its stack: only its address is shown.
    assert!(t[1].strip_prefix("=> ").is_some_and(is_address), "{t:?}");
    let pair = t[2].strip_prefix("=> (").and_then(|s| s.strip_suffix(')')).unwrap_or_default();
    assert!(pair.split(", ").all(is_address) && pair.split(", ").count() == 2, "{t:?}");
    assert_eq!(t[3], "=> Cons(1, [Cons(2, [Nil])])");
}

#[test]
fn shared_arrays_print_within_a_budget() {
    // 16 levels of [a, a]: 2^16 leaves; printing stops at the element budget.
    let mut inputs = vec!["a0 := [1, 2]".to_string()];
    for i in 1..=16 {
        inputs.push(format!("a{i} := [a{}, a{}]", i - 1, i - 1));
    }
    inputs.push("a16".into());
    let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let t = transcript(&refs);
    assert_eq!(t.len(), 1);
    assert!(t[0].starts_with("=> [[[[") && t[0].contains("..."), "{}", &t[0][..100]);
    assert!(t[0].len() < 200_000, "{}", t[0].len());
}
