//! Large generated programs (issue 9, items 8 and 12): long flat expressions and postfix
//! chains run (or fail with a clean diagnostic) in `check`, `run` and the REPL instead of
//! overflowing a stack; very wide items (fields, variants, arms, constants) compile. Sizes are
//! kept so that each case takes well under a few seconds in a debug build; timings are not
//! asserted here (see `bench/stress.py`).

mod common;

use common::{run_with_stdin, vaisc};
use std::path::PathBuf;
use std::process::Output;

fn write(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vais-scale-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write program");
    path
}

fn run(args: &[&str], path: &PathBuf) -> Output {
    vaisc().args(args).arg(path).output().expect("spawn vaisc")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Exit status, failing on a signal (a crash is never an acceptable answer).
fn status(o: &Output) -> i32 {
    match o.status.code() {
        Some(c) => c,
        None => panic!("vaisc was killed by a signal; stderr:\n{}", text(&o.stderr)),
    }
}

fn sum(n: usize) -> String {
    vec!["1"; n].join("+")
}

fn sum_program(n: usize) -> String {
    format!("F main() -> i64 {{\n    x := {}\n    x % 256\n}}\n", sum(n))
}

// Sizes: a debug build's frames are several times larger than a release build's, so these
// reach deeper stacks than the 105,000-term release case that crashed (and Cranelift in a
// debug build needs ~20 s to compile 105,000 additions).
#[test]
fn a_60000_term_sum_checks() {
    let p = write("sum.vais", &sum_program(60_000));
    let c = run(&["check"], &p);
    assert_eq!(status(&c), 0, "{}", text(&c.stderr));
}

#[test]
fn a_10000_term_sum_runs() {
    let n = 10_000;
    let p = write("sum30.vais", &sum_program(n));
    let r = run(&["run"], &p);
    assert_eq!(status(&r), (n % 256) as i32, "{}", text(&r.stderr));
}

#[test]
fn a_15000_term_sum_in_the_repl_keeps_the_session() {
    let input = format!("{}\nx := 5\nx * 2\n", sum(15_000));
    let o = run_with_stdin(&["repl"], &input);
    assert_eq!(status(&o), 0, "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "=> 15000\n=> 10\n");
}

#[test]
fn long_postfix_chains_give_diagnostics_not_crashes() {
    let n = 30_000;
    let cases = [
        ("index", format!("F main() -> i64 {{\n    a := [1, 2]\n    a{}\n}}\n", "[0]".repeat(n)), "E015"),
        ("field", format!("S N {{ f: i64 }}\nF main() -> i64 {{\n    a := N {{ f: 1 }}\n    a{}\n}}\n", ".f".repeat(n)), "E014"),
        ("call", format!("F f() -> i64 = 1\nF main() -> i64 = f{}\n", "()".repeat(n)), "E005"),
        ("unwrap", format!("F g(x: i64?) -> i64 = x{}\nF main() -> i64 = 0\n", "!".repeat(n)), "E001"),
    ];
    for (name, prog, code) in cases {
        let p = write(&format!("{name}.vais"), &prog);
        let o = run(&["check"], &p);
        assert_eq!(status(&o), 1, "{name}: {}", text(&o.stderr));
        let err = text(&o.stderr);
        assert!(err.contains(&format!("error[{code}]")), "{name}: {err}");
        // One diagnostic for the chain, not one per link.
        assert!(err.matches("error[").count() <= 2, "{name}: {err}");
    }
}

#[test]
fn a_long_method_chain_runs() {
    let n = 5_000;
    let prog = format!(
        "S Ac {{ v: i64 }}\nX Ac {{ F m(&self) -> Ac = Ac {{ v: self.v + 1 }} }}\nF main() -> i64 {{\n    a := Ac {{ v: 0 }}\n    a{}.v % 256\n}}\n",
        ".m()".repeat(n)
    );
    let p = write("methods.vais", &prog);
    let o = run(&["run"], &p);
    assert_eq!(status(&o), (n % 256) as i32, "{}", text(&o.stderr));
}

#[test]
fn past_the_depth_limit_is_e026() {
    // The limit is 1,000,000 levels; the test knob lowers it so a debug build reaches it fast.
    let p = write("deep.vais", &format!("F main() -> i64 = {}\n", sum(3_000)));
    let o = vaisc().env("VAIS_MAX_EXPR_DEPTH", "1000").arg("check").arg(&p).output().expect("spawn vaisc");
    assert_eq!(status(&o), 1, "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(err.contains("error[E026]: expression too deeply nested or too long (more than 1000 levels)"), "{err}");
    assert_eq!(err.matches("error[").count(), 1, "{err}");
    // The same in the REPL: the session goes on.
    let input = format!("{}\n7 * 6\n", sum(3_000));
    let mut child = vaisc()
        .env("VAIS_MAX_EXPR_DEPTH", "1000")
        .arg("repl")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn vaisc");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), input.as_bytes()).expect("write input");
    let o = child.wait_with_output().expect("wait vaisc");
    let _ = status(&o);
    assert!(text(&o.stdout).ends_with("=> 42\n"), "{}", text(&o.stdout));
    assert!(text(&o.stderr).contains("E026"), "{}", text(&o.stderr));
}

#[test]
fn a_long_else_if_chain_is_not_nesting() {
    let n: usize = 2_000;
    let arms: Vec<String> = (0..n).map(|i| format!("I x == {i} {{ {} }}", i % 7)).collect();
    let prog = format!("F pick(x: i64) -> i64 = {} E {{ 99 }}\nF main() -> i64 = pick({}) + pick(9) + pick(-1)\n", arms.join(" E "), n - 1);
    let p = write("elseif.vais", &prog);
    let o = run(&["run"], &p);
    assert_eq!(status(&o), ((n - 1) % 7 + 9 % 7 + 99) as i32, "{}", text(&o.stderr));
}

#[test]
fn wide_items_compile_and_run() {
    let n = 1_000;
    let fields: Vec<String> = (0..n).map(|i| format!("x{i}: i64")).collect();
    let lit: Vec<String> = (0..n).map(|i| format!("x{i}: {}", i % 7)).collect();
    let variants: Vec<String> = (0..n).map(|i| format!("V{i}")).collect();
    let varms: Vec<String> = (0..n).map(|i| format!("V{i} => {}", i % 5)).collect();
    let arms: Vec<String> = (0..n).map(|i| format!("{i} => {}", i % 3)).collect();
    let consts: Vec<String> = (0..n).map(|i| format!("C K{i}: i64 = {}", i % 11)).collect();
    let locals: Vec<String> = (0..300).map(|i| format!("    v{i} := {}", i % 4)).collect();
    let captured: Vec<String> = (0..300).map(|i| format!("v{i}")).collect();
    let prog = format!(
        "S Big {{ {} }}\nE Many {{ {} }}\n{}\n\
         F pickv(m: Many) -> i64 = M m {{ {} }}\n\
         F picki(x: i64) -> i64 = M x {{ {}, _ => 50 }}\n\
         F cap() -> i64 {{\n{}\n    f := |y: i64| y + {}\n    f(0)\n}}\n\
         F main() -> i64 {{\n    b := Big {{ {} }}\n    r := b.x{} + pickv(V{}) + picki({}) + picki(-5) + K{} + cap()\n    r\n}}\n",
        fields.join(", "),
        variants.join(", "),
        consts.join("\n"),
        varms.join(", "),
        arms.join(", "),
        locals.join("\n"),
        captured.join(" + "),
        lit.join(", "),
        n - 1,
        n - 2,
        n - 1,
        n - 1,
    );
    let p = write("wide.vais", &prog);
    let o = run(&["run"], &p);
    let locals_sum: usize = (0..300).map(|i| i % 4).sum();
    let want = (n - 1) % 7 + (n - 2) % 5 + (n - 1) % 3 + 50 + (n - 1) % 11 + locals_sum;
    assert_eq!(status(&o), (want % 256) as i32, "{}", text(&o.stderr));
}
