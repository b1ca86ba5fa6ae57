//! REPL tier-up end to end: Ctrl-C stops loops in optimised code (a function that tiered up in
//! an earlier input, and one that tiers up while the interrupted input runs), and the session
//! goes on with the optimised code in place.

mod common;

use common::*;
use std::io::{BufRead, Write};
use std::time::Duration;

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
    assert_eq!(send_and_read_line(&mut stdin, &mut out, "puts(\"started\"); ()\nspin(1 << 62)\n"), "started\n");
    std::thread::sleep(Duration::from_millis(300));
    let t = interrupt_repl(&child, &err, "optimised loop");
    assert!(t < Duration::from_secs(2), "took {t:?}");
    // A loop of this input calls `step2`, which tiers up while it runs; then Ctrl-C.
    let inputs = "F step2(k: i64) -> i64 = k % 5 + 1\nk := mut 0\nputs(\"again\"); ()\nL { k = k + step2(k) }\n";
    assert_eq!(send_and_read_line(&mut stdin, &mut out, inputs), "again\n");
    std::thread::sleep(Duration::from_millis(500));
    let t = interrupt_repl(&child, &err, "optimised loop");
    assert!(t < Duration::from_secs(2), "took {t:?}");
    assert_eq!(finish_repl(child, stdin, out, ":tiers\nk > 0\n"), "step\nspin (inlined: step)\nstep2\n=> true\n");
}
