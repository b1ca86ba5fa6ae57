//! Checking bodies on two threads (`check_program_keep`) gives exactly the program and the
//! diagnostics of a one-thread check, whatever the functions do: generic instances, lambdas,
//! warnings and errors make the worker hand functions back, plain ones are accepted from it.

use std::path::Path;
use vais_ast::SourceMap;

/// Both checks of `src`, as (program, diagnostics) debug text, and the worker's statistics.
fn both(src: &str) -> (String, String, (usize, usize)) {
    let mut sm = SourceMap::new();
    let f = sm.add("test.vais", src);
    let (m, pd) = vais_parser::parse_file(f, src);
    assert!(pd.is_empty(), "parse errors: {pd:?}");
    let show = |parallel: bool| {
        let (p, d, scratch) = vais_types::check_program_keep_with(m.clone(), parallel);
        (format!("{p:#?}\n{d:#?}"), scratch.parallel_stats())
    };
    let (par, stats) = show(true);
    let (seq, none) = show(false);
    assert_eq!(none, (0, 0));
    (par, seq, stats)
}

/// `n` plain functions (no instances, no lambdas, no diagnostics).
fn padding(n: usize) -> String {
    (0..n).map(|i| format!("F pad{i}(a: i64) -> i64 {{\n    x := mut a + {i}\n    L k: 0..2 {{ x += k }}\n    x\n}}\n")).collect()
}

#[test]
fn a_mixed_program_checks_the_same_on_two_threads() {
    let mut src = String::from(
        "S Box<T> { v: T }\nE Opt { Some(i64), None }\nF id<T>(x: T) -> T = x\nF wrap<T>(x: T) -> Box<T> = Box { v: x }\nF mk(a: i64) -> Opt = Some(a)\n",
    );
    for i in 0..600 {
        let body = match if i < 150 { 4 } else { i % 6 } {
            0 => format!("id({i}) + a"),
            1 => format!("f := |y: i64| y + {i}\n    f(a)"),
            2 => format!("M mk(a + {i}) {{ Some(v) => v }}"),
            3 => format!("wrap(a).v + {i}"),
            _ => format!("x := mut a * {i}\n    L k: 0..3 {{ x += k }}\n    x"),
        };
        src.push_str(&format!("F fun{i}(a: i64) -> i64 {{\n    {body}\n}}\n"));
    }
    src.push_str("F main() -> i64 { fun0(1) }\n");
    let (par, seq, (accepted, handed_back)) = both(&src);
    assert!(par.contains("fun599"), "the program was checked");
    assert_eq!(par, seq);
    // The worker's half: 150 plain functions (accepted), then one that makes an instance of
    // `id` (handed back, with the rest).
    assert!(accepted >= 150 && handed_back > 0, "{accepted} {handed_back}");
    // With a type error in the worker's half and one in the caller's half.
    let src = src.replacen("wrap(a).v + 3", "wrap(a).v + true", 1).replacen("wrap(a).v + 597", "wrap(a).v + \"s\"", 1);
    let (par, seq, _) = both(&src);
    assert!(par.starts_with("None"), "{}", &par[..200.min(par.len())]);
    assert_eq!(par, seq);
}

#[test]
fn every_a_program_checks_the_same_on_two_threads() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/conformance");
    let mut n = 0;
    let (mut total_accepted, mut total_handed_back) = (0, 0);
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if !name.starts_with("A_") || !name.ends_with(".vais") {
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap();
        if text.contains("\nU ") || text.starts_with("U ") {
            continue; // imports need the loader; covered by the conformance tests
        }
        // The program's own functions come first, in the worker's half of the queue.
        let (par, seq, (accepted, handed_back)) = both(&format!("{text}\n{}", padding(300)));
        assert_eq!(par, seq, "{name}");
        assert!(accepted + handed_back > 0, "{name}: checked on one thread");
        (total_accepted, total_handed_back) = (total_accepted + accepted, total_handed_back + handed_back);
        n += 1;
    }
    assert!(n >= 20, "only {n} programs");
    // Some programs' first functions are plain (accepted), others not (handed back).
    assert!(total_accepted > 0 && total_handed_back > 0, "{total_accepted} {total_handed_back}");
}
