//! An expression input leaves nothing behind once it has run: its entry function's code, IR,
//! unwinder registration and runtime tables are freed (`Jit::release_entry`), so a session
//! that evaluates N expressions holds as much as one that evaluated a few. Counted, not timed:
//! the JIT's compiled functions, the bytes of JIT memory in use and the unwinder registrations
//! after 40 and after 440 expressions must be the same (before the fix each expression kept
//! one function, its code and one registration).

use vais_ast::SourceMap;
use vais_engine::{Engine, Event, Outcome};

/// Evaluates `text`; whether it ran to a value (or faulted, when `fault` says so).
fn eval(engine: &mut Engine, text: &str, fault: bool) {
    let mut seen_fault = false;
    let mut errors = vec![];
    let outcome = engine.eval(text, &mut |_: &SourceMap, e: Event| match e {
        Event::Fault(_) => seen_fault = true,
        Event::Diagnostics(d) => errors.extend(d.into_iter().filter(|d| d.is_error()).map(|d| d.message)),
        _ => {}
    });
    assert_eq!(seen_fault, fault, "{text}: {errors:?}");
    if !fault {
        assert_eq!(outcome, Outcome::Done, "{text}: {errors:?}");
    }
}

/// Expressions of several shapes: arithmetic, a call, an `I`/`E`, a loop in a block, a
/// runtime error with a backtrace.
fn expressions(engine: &mut Engine, from: usize, to: usize) {
    for i in from..to {
        match i % 5 {
            0 => eval(engine, &format!("{i} + 1"), false),
            1 => eval(engine, &format!("sq({i}) * 2"), false),
            2 => eval(engine, &format!("I {i} % 2 == 0 {{ {i} }} E {{ 0 - {i} }}"), false),
            3 => eval(engine, &format!("sq({i}) / (sq(2) - 4)"), true),
            _ => eval(engine, &format!("sum({i})"), false),
        }
    }
}

#[test]
fn expression_inputs_do_not_grow_the_session() {
    let mut engine = Engine::new().expect("JIT");
    eval(&mut engine, "F sq(x: i64) -> i64 = x * x", false);
    eval(&mut engine, "F sum(n: i64) -> i64 { s := mut 0; L i: 0..n { s += i }; s }", false);
    expressions(&mut engine, 0, 40);
    let before = engine.retained();
    expressions(&mut engine, 40, 440);
    let after = engine.retained();
    assert_eq!(after, before, "400 expression inputs grew the session");
    // The definitions are all still there and callable.
    eval(&mut engine, "sq(sum(4))", false);
}
