//! The inliner end to end (`vaisc run`): small callees in loops really are inlined (no call
//! left in the caller's code), the program's output is the same with and without the inliner
//! (`VAIS_INLINE=0`) on every test program, and Ctrl-C still stops a loop that runs inside
//! inlined copies. Backtraces through inlined copies: `tests/backtrace/inlined*.vais`.

mod common;

use common::*;
use std::process::Stdio;
use std::time::{Duration, Instant};

fn write(name: &str, src: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("vais_inline_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, src).unwrap();
    path
}

/// The Cranelift IR of function `f` in `vaisc run --emit clif`.
fn clif_of(path: &std::path::Path, f: &str, env: Option<(&str, &str)>) -> String {
    let mut cmd = vaisc();
    cmd.arg("run").arg(path).args(["--emit", "clif"]);
    if let Some((k, v)) = env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let start = text.find(&format!("; {f}\n")).unwrap_or_else(|| panic!("no `{f}` in\n{text}"));
    let rest = &text[start + 3 + f.len()..];
    rest[..rest.find("\n; ").unwrap_or(rest.len())].to_string()
}

#[test]
fn small_callees_in_loops_leave_no_call() {
    let src = "S V { x: f64, y: f64 }\n\
               F add(a: V, b: V) -> V = V { x: a.x + b.x, y: a.y + b.y }\n\
               F at(m: i64, i: i64) -> i64 = load_i64(m + i * 8)\n\
               F fold<T>(n: i64, init: T, f: (T, i64) -> T) -> T {\n    acc := mut init\n    L i: 0..n { acc = f(acc, i) }\n    acc\n}\n\
               F main() -> i64 {\n    m := malloc(80)\n    v := mut V { x: 0.0, y: 1.0 }\n    s := mut 0\n    L i: 0..10 {\n        store_i64(m + i * 8, i)\n        v = add(v, V { x: 1.0, y: 0.5 })\n        s += at(m, i) + fold(3, 0, |a: i64, j: i64| a + j * i)\n    }\n    free(m)\n    printf(\"%d %.1f\\n\", s, v.x + v.y)\n    0\n}\n";
    let path = write("calls.vais", src);
    let out = vaisc().arg("run").arg(&path).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "180 16.0\n");
    let inlined = clif_of(&path, "main", None);
    // `add`, `at`, `fold` and the lambda are inlined; malloc, free and printf stay calls.
    let calls = inlined.lines().filter(|l| l.contains(" call ") || l.contains("call_indirect")).count();
    let plain = clif_of(&path, "main", Some(("VAIS_INLINE", "0")));
    let plain_calls = plain.lines().filter(|l| l.contains(" call ") || l.contains("call_indirect")).count();
    assert!(plain_calls >= calls + 3, "inlined main still has {calls} calls (without the inliner {plain_calls}):\n{inlined}");
}

#[test]
fn output_is_the_same_without_the_inliner() {
    let dir = repo_root().join("tests/programs");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        let p = e.path();
        if p.extension().is_none_or(|x| x != "vais") {
            continue;
        }
        let on = vaisc().current_dir(&dir).arg("run").arg(&p).output().unwrap();
        let off = vaisc().current_dir(&dir).arg("run").arg(&p).env("VAIS_INLINE", "0").output().unwrap();
        assert_eq!(on.stdout, off.stdout, "{}", p.display());
        assert_eq!(on.status.code(), off.status.code(), "{}", p.display());
        n += 1;
    }
    assert!(n >= 10, "expected the test programs in {}", dir.display());
}

#[test]
fn sigint_stops_a_loop_inside_inlined_copies() {
    // `spin` (a loop) is inlined into `step`, which is inlined into main's loop.
    let src = "F spin(n: i64) -> i64 {\n    k := mut n\n    L { k = (k + 1) % 7 }\n    k\n}\n\
               F step(n: i64) -> i64 = spin(n) + 1\n\
               F main() -> i64 {\n    puts(\"spinning\")\n    s := mut 0\n    L i: 0..3 { s += step(i) }\n    s\n}\n";
    let path = write("spin.vais", src);
    let plain = clif_of(&path, "main", None);
    assert!(!plain.lines().any(|l| l.contains(" call ") && !l.contains("fn0(")), "spin was not inlined:\n{plain}");
    interrupt_after_half_a_second(&path);
}

/// Runs `path` (which prints `spinning` and then runs until stopped), sends SIGINT after
/// 500 ms and requires exit status 130 within 5 s with the output kept.
fn interrupt_after_half_a_second(path: &std::path::Path) {
    let name = path.display();
    let mut child = vaisc().arg("run").arg(path).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert!(child.try_wait().unwrap().is_none(), "{name} ended before the signal");
    let t = Instant::now();
    sigint(&child);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(t.elapsed() < Duration::from_secs(5), "Ctrl-C did not stop {name}");
        std::thread::sleep(Duration::from_millis(2));
    };
    let waited = t.elapsed();
    let out = child.wait_with_output().unwrap();
    assert_eq!(status.code(), Some(130), "{name}: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.stdout, b"spinning\n");
    eprintln!("{name}: stopped {waited:?} after SIGINT");
}

#[test]
fn sigint_stops_tail_recursion_loops() {
    // `fib`'s loops (and its inlined copies') have no back-edge poll: every iteration calls
    // `fib`, whose entry polls. `sum`'s loop makes no call: it keeps its poll.
    for (name, src) in [
        ("fibloop.vais", "F fib(n: i64) -> i64 = n < 2 ? n : @(n - 1) + @(n - 2)\nF main() -> i64 {\n    puts(\"spinning\")\n    fib(90)\n}\n"),
        ("matchloop.vais", "F fib(n: i64) -> i64 = M n { 0 => 0, 1 => 1, _ => @(n - 1) + @(n - 2) }\nF main() -> i64 {\n    puts(\"spinning\")\n    fib(90)\n}\n"),
        ("sumloop.vais", "F sum(n: i64) -> i64 = n < 1 ? 0 : n + @(n - 1)\nF main() -> i64 {\n    puts(\"spinning\")\n    sum(4000000000000000000) & 1\n}\n"),
    ] {
        interrupt_after_half_a_second(&write(name, src));
    }
}
