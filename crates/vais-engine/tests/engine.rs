//! The engine driven as a library, as a notebook kernel or a language server would: inputs in,
//! events out (definitions, values with their types, diagnostics with spans, captured program
//! output, faults with backtrace frames, redefinitions and their consequences).

use vais_ast::SourceMap;
use vais_engine::{DefKind, Definition, Engine, Event, FaultKind, Note, Outcome};

/// Events of one input, with the source text each diagnostic's span covers.
struct Recorded {
    outcome: Outcome,
    events: Vec<Event>,
    spans: Vec<String>,
}

fn eval(engine: &mut Engine, text: &str) -> Recorded {
    let mut events = vec![];
    let mut spans = vec![];
    let outcome = engine.eval(text, &mut |sources: &SourceMap, e: Event| {
        if let Event::Diagnostics(ds) = &e {
            for d in ds {
                let f = &sources.files[d.span.file.0 as usize];
                spans.push(f.text[d.span.start as usize..d.span.end as usize].to_string());
            }
        }
        events.push(e);
    });
    Recorded { outcome, events, spans }
}

fn value(r: &Recorded) -> Option<(String, String)> {
    r.events.iter().find_map(|e| match e {
        Event::Value(v) => Some((v.type_name.clone(), v.text.clone())),
        _ => None,
    })
}

fn defined(r: &Recorded) -> Vec<Definition> {
    r.events.iter().filter_map(|e| if let Event::Defined(d) = e { Some(d.clone()) } else { None }).collect()
}

#[test]
fn engine_as_a_library() {
    let mut engine = Engine::new().expect("JIT");
    engine.set_capture(true);

    // Definitions: events, no output.
    let r = eval(&mut engine, "F sq(x: i64) -> i64 = x * x\nF half(x: i64) -> i64 = 100 / x");
    assert_eq!(r.outcome, Outcome::Done);
    assert_eq!(
        defined(&r),
        vec![
            Definition { kind: DefKind::Function, name: "sq".into(), replaced: false },
            Definition { kind: DefKind::Function, name: "half".into(), replaced: false },
        ]
    );
    assert!(matches!(r.events.last(), Some(Event::Finished(_))));

    // A value with its type.
    let r = eval(&mut engine, "sq(7) + 1");
    assert_eq!(r.outcome, Outcome::Done);
    assert_eq!(value(&r), Some(("i64".to_string(), "50".to_string())));
    let r = eval(&mut engine, "p := (1, 2.5)");
    assert_eq!(defined(&r), vec![Definition { kind: DefKind::Variable, name: "p".into(), replaced: false }]);
    assert_eq!(value(&eval(&mut engine, "p")), Some(("(i64, f64)".to_string(), "(1, 2.5)".to_string())));

    // A diagnostic as data, with its span in the input's text.
    let r = eval(&mut engine, "sq(\"seven\")");
    assert_eq!(r.outcome, Outcome::Failed);
    let diags: Vec<_> = r.events.iter().filter_map(|e| if let Event::Diagnostics(d) = e { Some(d) } else { None }).flatten().collect();
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert!(diags[0].is_error());
    assert_eq!(diags[0].code, "E001");
    assert_eq!(r.spans, vec!["\"seven\"".to_string()]);
    assert_eq!(engine.sources().files[diags[0].span.file.0 as usize].name, "<input 5>");

    // Captured program output, before the value; nothing reached stdout.
    let r = eval(&mut engine, "puts(\"hello\")\nprintf(\"%d-%s\", 42, \"x\")\n7");
    assert_eq!(r.outcome, Outcome::Done);
    let out: Vec<u8> = r.events.iter().filter_map(|e| if let Event::Output(b) = e { Some(b.clone()) } else { None }).flatten().collect();
    assert_eq!(String::from_utf8(out).unwrap(), "hello\n42-x");
    let order: Vec<&str> = r
        .events
        .iter()
        .map(|e| match e {
            Event::Output(_) => "output",
            Event::Value(_) => "value",
            Event::Finished(_) => "finished",
            _ => "other",
        })
        .collect();
    assert_eq!(order, vec!["output", "value", "finished"]);

    // A fault with its backtrace frames as data.
    let r = eval(&mut engine, "1 + half(0)");
    assert_eq!(r.outcome, Outcome::Failed);
    let fault = r.events.iter().find_map(|e| if let Event::Fault(f) = e { Some(f.clone()) } else { None }).expect("a fault event");
    assert_eq!(fault.kind, FaultKind::DivisionByZero);
    type Frame = (String, Option<(String, usize, usize)>);
    let frames: Vec<Frame> = fault.backtrace.frames.iter().map(|f| (f.function.clone(), engine.frame_location(f))).collect();
    assert_eq!(frames.len(), 2, "{frames:?}");
    assert_eq!(frames[0], ("half".to_string(), Some(("<input 1>".to_string(), 2, 29))));
    assert_eq!(frames[1].1, Some(("<input 7>".to_string(), 1, 5)));

    // Redefinition: same signature replaces the body; another signature breaks the caller,
    // and defining it back repairs it.
    let r = eval(&mut engine, "F four() -> i64 = sq(2)");
    assert_eq!(defined(&r), vec![Definition { kind: DefKind::Function, name: "four".into(), replaced: false }]);
    let r = eval(&mut engine, "F sq(x: i64) -> i64 = x * x * x");
    assert_eq!(defined(&r), vec![Definition { kind: DefKind::Function, name: "sq".into(), replaced: true }]);
    assert_eq!(value(&eval(&mut engine, "four()")), Some(("i64".to_string(), "8".to_string())));
    let r = eval(&mut engine, "F sq(x: f64) -> f64 = x");
    let notes: Vec<Note> = r.events.iter().filter_map(|e| if let Event::Note(n) = e { Some(n.clone()) } else { None }).collect();
    assert_eq!(
        notes,
        vec![Note::Broken { function: "four".into(), verb: "calls", dependency: "sq".into(), transitive: false }]
    );
    assert_eq!(engine.type_of("sq(2.0)").unwrap(), "f64");
    let r = eval(&mut engine, "F sq(x: i64) -> i64 = x + 1");
    let notes: Vec<Note> = r.events.iter().filter_map(|e| if let Event::Note(n) = e { Some(n.clone()) } else { None }).collect();
    assert_eq!(notes, vec![Note::Repaired { function: "four".into() }]);
    assert_eq!(value(&eval(&mut engine, "four()")), Some(("i64".to_string(), "3".to_string())));

    // Incomplete input asks for more; the session's definitions are listed.
    assert_eq!(eval(&mut engine, "F g(x: i64) -> i64 {").outcome, Outcome::Incomplete);
    assert!(engine.definitions().iter().any(|d| d == "F four() -> i64"), "{:?}", engine.definitions());
}
