//! REPL tier-up through the engine: a hot function is recompiled optimised (with its small
//! callees inlined) while it runs, results do not change, a redefinition of an inlined callee
//! sends its callers back to baseline code and takes effect in them, and faults in optimised
//! code name the inlined function and its line.

use vais_ast::SourceMap;
use vais_engine::{Engine, Event, FaultKind, Tier, TierEvent};

/// A backtrace frame: its function and `(file, line, column)`.
type Frame = (String, Option<(String, usize, usize)>);

struct Run {
    value: Option<String>,
    tiers: Vec<TierEvent>,
    fault: Option<vais_engine::Fault>,
    frames: Vec<Frame>,
}

fn eval(engine: &mut Engine, text: &str) -> Run {
    let mut events = vec![];
    engine.eval(text, &mut |_: &SourceMap, e: Event| events.push(e));
    let mut run = Run { value: None, tiers: vec![], fault: None, frames: vec![] };
    for e in events {
        match e {
            Event::Value(v) => run.value = Some(v.text),
            Event::Tier(t) => run.tiers.push(t),
            Event::Fault(f) => run.fault = Some(f),
            Event::Diagnostics(d) if d.iter().any(|d| d.is_error()) => panic!("{text}: {d:?}"),
            Event::InternalError(e) => panic!("{text}: {e}"),
            _ => {}
        }
    }
    if let Some(f) = &run.fault {
        run.frames = f.backtrace.frames.iter().map(|fr| (fr.function.clone(), engine.frame_location(fr))).collect();
    }
    run
}

fn ups(r: &Run) -> Vec<(String, Vec<String>)> {
    r.tiers
        .iter()
        .filter_map(|t| match t {
            TierEvent::Up { function, inlined, .. } => Some((function.clone(), inlined.clone())),
            _ => None,
        })
        .collect()
}

const DEFS: &str = "F sq(x: i64) -> i64 = x * x\nF sumsq(n: i64) -> i64 {\n    s := mut 0\n    L i: 0..n { s = s + sq(i) }\n    s\n}";

#[test]
fn a_hot_function_tiers_up_with_its_callee_inlined_and_results_do_not_change() {
    let mut base = Engine::with_tier_threshold(None).unwrap();
    let mut hot = Engine::with_tier_threshold(Some(50)).unwrap();
    for e in [&mut base, &mut hot] {
        eval(e, DEFS);
    }
    // Below the threshold: nothing happens.
    let r = eval(&mut hot, "sumsq(10)");
    assert_eq!(r.value.as_deref(), Some("285"));
    assert!(r.tiers.is_empty(), "{:?}", r.tiers);
    assert_eq!(hot.code_at(vais_engine::CodeKind::Clif, "sumsq", Some(Tier::Optimising)).unwrap_err(), "`sumsq` has no optimised IR: it has not tiered up (:tiers lists those that have)");
    // Past it, during the run: `sumsq` is recompiled with `sq` inlined.
    let r = eval(&mut hot, "sumsq(1000)");
    assert_eq!(r.value.as_deref(), Some("332833500"));
    // `sq` is hot too (two compilations may be in flight).
    assert_eq!(ups(&r), vec![("sumsq".to_string(), vec!["sq".to_string()]), ("sq".to_string(), vec![])]);
    assert_eq!(hot.tiers(), vec!["sq".to_string(), "sumsq (inlined: sq)".to_string()]);
    // Optimised and baseline code give the same results (the optimised version runs now).
    for n in [0, 1, 7, 1000, 12345] {
        let want = eval(&mut base, &format!("sumsq({n})")).value;
        assert_eq!(eval(&mut hot, &format!("sumsq({n})")).value, want, "sumsq({n})");
    }
    // Either tier's code can be shown; the current one is the optimised one: `sq` inlined, no
    // counter (baseline code calls `sq` through its cell, and `vais_rt_hot` when hot).
    let opt = hot.code_at(vais_engine::CodeKind::Clif, "sumsq", Some(Tier::Optimising)).unwrap();
    let baseline = hot.code_at(vais_engine::CodeKind::Clif, "sumsq", Some(Tier::Baseline)).unwrap();
    assert!(opt.contains("vais$sumsq$opt") && !opt.contains("call"), "{opt}");
    assert!(baseline.contains("call_indirect") && baseline.contains("call fn"), "{baseline}");
    assert_eq!(hot.code(vais_engine::CodeKind::Clif, "sumsq").unwrap(), opt);
    assert!(hot.code_at(vais_engine::CodeKind::Asm, "sumsq", Some(Tier::Optimising)).is_ok());
}

#[test]
fn redefining_an_inlined_callee_sends_its_callers_back_to_baseline_and_takes_effect() {
    let mut e = Engine::with_tier_threshold(Some(50)).unwrap();
    eval(&mut e, DEFS);
    assert_eq!(ups(&eval(&mut e, "sumsq(1000)")).len(), 2);
    let r = eval(&mut e, "F sq(x: i64) -> i64 = x * x + 1");
    assert_eq!(r.tiers, vec![TierEvent::Down { function: "sumsq".into(), because: "sq".into() }]);
    assert!(e.tiers().is_empty());
    assert_eq!(eval(&mut e, "sumsq(10)").value.as_deref(), Some("295"));
    // It tiers up again, now with the new `sq` inlined.
    let r = eval(&mut e, "sumsq(1000)");
    assert_eq!(r.value.as_deref(), Some("332834500"));
    assert_eq!(ups(&r), vec![("sumsq".to_string(), vec!["sq".to_string()]), ("sq".to_string(), vec![])]);
    assert_eq!(eval(&mut e, "sumsq(10)").value.as_deref(), Some("295"));
    // Redefining the optimised function itself replaces it (`sq` stays optimised).
    eval(&mut e, "F sumsq(n: i64) -> i64 = n");
    assert_eq!(e.tiers(), vec!["sq".to_string()]);
    assert_eq!(eval(&mut e, "sumsq(10)").value.as_deref(), Some("10"));
}

#[test]
fn faults_in_optimised_code_name_the_inlined_function_and_its_line() {
    let defs = "F dv(a: i64, b: i64) -> i64 = a / b\nF ld(n: i64, z: i64) -> i64 {\n    s := mut 0\n    L i: 0..n { s = s + dv(i, z) }\n    s\n}";
    let mut e = Engine::with_tier_threshold(Some(50)).unwrap();
    eval(&mut e, defs);
    let baseline = eval(&mut e, "ld(10, 0)");
    assert_eq!(ups(&eval(&mut e, "ld(1000, 1)")), vec![("ld".to_string(), vec!["dv".to_string()]), ("dv".to_string(), vec![])]);
    let opt = eval(&mut e, "ld(10, 0)");
    for r in [&baseline, &opt] {
        let f = r.fault.as_ref().expect("a fault");
        assert_eq!(f.kind, FaultKind::DivisionByZero);
        assert_eq!(f.function.as_deref(), Some("dv"));
        assert_eq!(f.location.as_deref(), Some("<input 1>:1:33"));
        let at = |name: &str, line: usize, col: usize| -> Frame { (name.to_string(), Some(("<input 1>".to_string(), line, col))) };
        assert_eq!(r.frames[..2], [at("dv", 1, 33), at("ld", 4, 25)], "{:?}", r.frames);
    }
    assert_eq!(e.tiers(), vec!["dv".to_string(), "ld (inlined: dv)".to_string()]);
}

#[test]
fn recursion_tiers_up_mid_call_and_the_threshold_can_change() {
    let mut e = Engine::with_tier_threshold(Some(100)).unwrap();
    eval(&mut e, "F fib(n: i64) -> i64 = n < 2 ? n : fib(n - 1) + fib(n - 2)");
    // Recursive calls go through the cell: the running call switches to the optimised code.
    let r = eval(&mut e, "fib(25)");
    assert_eq!(r.value.as_deref(), Some("75025"));
    assert_eq!(ups(&r).first().map(|u| u.0.as_str()), Some("fib"));
    // Off: new code does not count.
    e.set_tier_threshold(None).unwrap();
    eval(&mut e, "F fib2(n: i64) -> i64 = n < 2 ? n : fib2(n - 1) + fib2(n - 2)");
    let r = eval(&mut e, "fib2(20)");
    assert_eq!(r.value.as_deref(), Some("6765"));
    assert!(r.tiers.is_empty(), "{:?}", r.tiers);
    assert_eq!(e.tier_threshold(), None);
}

/// `big` is too big to inline; a hot loop calling it (`USER`) gets a copy of its entry guard
/// (`n < 0 ? ..`, vais-inline's guard) instead.
fn big(cheap: i64) -> String {
    format!(
        "F big(n: i64) -> i64 {{\n    I n < 0 {{ 0 - {cheap} }} E {{\n        a := n * 3 + 1\n        b := a * a - n\n        c := b % 7 + a % 5\n        d := c * c + b * 2 - a\n        d % 1000 + c + b % 13 + a % 11 + (d ^ c) % 17\n    }}\n}}"
    )
}
const USER: &str = "F user(n: i64) -> i64 {\n    s := mut 0\n    L i: 0..n { s = s + big(i - 5) }\n    s\n}";

#[test]
fn redefining_a_callee_whose_guard_was_copied_sends_its_callers_back_to_baseline() {
    let mut base = Engine::with_tier_threshold(None).unwrap();
    let mut e = Engine::with_tier_threshold(Some(50)).unwrap();
    for x in [&mut base, &mut e] {
        eval(x, &big(1));
        eval(x, USER);
    }
    let want = eval(&mut base, "user(1000)").value;
    let r = eval(&mut e, "user(1000)");
    assert_eq!(r.value, want);
    // The optimised `user` has a copy of `big`'s guard: it depends on `big`.
    assert!(ups(&r).contains(&("user".to_string(), vec!["big".to_string()])), "{:?}", ups(&r));
    let opt = e.code_at(vais_engine::CodeKind::Clif, "user", Some(Tier::Optimising)).unwrap();
    assert!(opt.contains("icmp_imm slt") || opt.contains("icmp slt"), "no guard in\n{opt}");
    // A new cheap case must reach the caller.
    let r = eval(&mut e, &big(2));
    assert!(r.tiers.contains(&TierEvent::Down { function: "user".into(), because: "big".into() }), "{:?}", r.tiers);
    eval(&mut base, &big(2));
    for n in [3, 10, 1000] {
        let want = eval(&mut base, &format!("user({n})")).value;
        assert_eq!(eval(&mut e, &format!("user({n})")).value, want, "user({n})");
    }
}
