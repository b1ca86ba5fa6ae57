//! Memory per redefinition: a REPL session driven over a pipe redefines one function 5,000
//! times; its resident memory (from `/proc`) may grow by at most 4 KiB per redefinition on
//! average (issue 10). Before the linker freed old code and the checker dropped dead bodies,
//! it grew ~9 KiB (a page of code per input, plus the replaced versions' syntax trees).

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc status");
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).expect("VmRSS line");
    line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).expect("VmRSS value")
}

#[test]
fn redefining_a_function_5000_times_stays_under_4_kib_each() {
    if !std::path::Path::new("/proc/self/status").exists() {
        eprintln!("no /proc: skipped");
        return;
    }
    let mut child = common::vaisc()
        // Verification allocates only temporaries; off, the test runs in a third of the time.
        .env("VAIS_VERIFY", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn vaisc");
    let pid = child.id();
    let mut input = child.stdin.take().expect("stdin");
    let mut output = BufReader::new(child.stdout.take().expect("stdout"));
    // Waits until the session printed `marker` (so every input before it was evaluated).
    let mut sync = |input: &mut std::process::ChildStdin, expr: &str, want: &str| {
        writeln!(input, "{expr}").expect("write");
        input.flush().expect("flush");
        let mut line = String::new();
        loop {
            line.clear();
            assert!(output.read_line(&mut line).expect("read") > 0, "the REPL ended early");
            if line.contains(want) {
                return;
            }
        }
    };
    let redefine = |input: &mut std::process::ChildStdin, i: u32| {
        // A call through the other function's cell, a division check (a fault site and a trap
        // instruction) and a constant that changes every time.
        writeln!(input, "F f(x: i64) -> i64 = g(x) * {i} / (x + 1) + {}", i % 7).expect("write");
    };
    writeln!(input, "F g(x: i64) -> i64 = x + 1").expect("write");
    for i in 0..300 {
        redefine(&mut input, i);
    }
    sync(&mut input, "f(1) + 1000000", "1000304"); // g(1) * 299 / 2 + 299 % 7 + 10^6
    let before = rss_kib(pid);
    let n = 5000u32;
    for i in 0..n {
        redefine(&mut input, 1000 + i);
    }
    // The last definition is the one that runs: g(3) * 5999 / 4 + 5999 % 7 = 5999 + 0.
    sync(&mut input, "f(3) + 2000000", "2005999");
    let after = rss_kib(pid);
    drop(input);
    let _ = child.wait();
    let per = (after.saturating_sub(before) * 1024) as f64 / n as f64;
    eprintln!("RSS {before} KiB -> {after} KiB: {per:.0} bytes per redefinition");
    assert!(per <= 4096.0, "redefinition costs {per:.0} bytes of RSS on average (limit 4096)");
}
