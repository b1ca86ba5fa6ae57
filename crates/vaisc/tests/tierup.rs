//! REPL tier-up end to end: Ctrl-C stops loops in optimised code (a function that tiered up in
//! an earlier input, and one that tiers up while the interrupted input runs), and the session
//! goes on with the optimised code in place.

mod common;

use common::*;
use std::io::{BufRead, Write};
use std::time::{Duration, Instant};

/// Sends SIGINT and returns how long the `interrupted` report took.
fn interrupt(child: &std::process::Child, err: &std::sync::mpsc::Receiver<String>) -> Duration {
    let sent = Instant::now();
    // SAFETY: plain kill(2) on our own child's pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let msg = err.recv_timeout(Duration::from_secs(5)).expect("an `interrupted` report");
    assert_eq!(msg, "interrupted");
    sent.elapsed()
}

#[test]
fn sigint_stops_loops_in_optimised_code() {
    let (child, mut stdin, mut out, err) = spawn_repl();
    writeln!(stdin, ":set tierup 50").unwrap();
    writeln!(stdin, "F step(k: i64) -> i64 = k % 7 + 1").unwrap();
    writeln!(stdin, "F spin(n: i64) -> i64 {{\n    k := mut 0\n    L i: 0..n {{ k = k + step(k) }}\n    k\n}}").unwrap();
    writeln!(stdin, "spin(1000)\n:tiers").unwrap();
    stdin.flush().unwrap();
    let mut lines = vec![];
    for _ in 0..4 {
        let mut l = String::new();
        out.read_line(&mut l).unwrap();
        lines.push(l);
    }
    assert_eq!(lines, ["tier-up after 50 counts\n", "=> 2332\n", "step\n", "spin (inlined: step)\n"]);
    // `spin` runs optimised code (`step` inlined): only its back-edge poll can stop it.
    writeln!(stdin, "puts(\"started\"); ()\nspin(1 << 62)").unwrap();
    stdin.flush().unwrap();
    let mut l = String::new();
    out.read_line(&mut l).unwrap();
    assert_eq!(l, "started\n");
    std::thread::sleep(Duration::from_millis(300));
    let t = interrupt(&child, &err);
    assert!(t < Duration::from_secs(2), "took {t:?}");
    // A loop of this input calls `step2`, which tiers up while it runs; then Ctrl-C.
    writeln!(stdin, "F step2(k: i64) -> i64 = k % 5 + 1\nk := mut 0\nputs(\"again\"); ()\nL {{ k = k + step2(k) }}").unwrap();
    stdin.flush().unwrap();
    let mut l = String::new();
    out.read_line(&mut l).unwrap();
    assert_eq!(l, "again\n");
    std::thread::sleep(Duration::from_millis(500));
    let t = interrupt(&child, &err);
    assert!(t < Duration::from_secs(2), "took {t:?}");
    assert_eq!(finish_repl(child, stdin, out, ":tiers\nk > 0\n"), "step\nspin (inlined: step)\nstep2\n=> true\n");
}
