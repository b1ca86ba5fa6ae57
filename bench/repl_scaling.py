#!/usr/bin/env python3
"""REPL redefinition and `:type` latency at 500 vs 8,000 definitions (a benchmark, not a test;
`crates/vais-engine/tests/scaling.rs` and `crates/vais-types/tests/session.rs` are the tests).

A session of N definitions (functions `fnI` and their callers `clI`) is piped to `vaisc repl`,
then M redefinitions: same-signature ones, and signature changes that break the caller
followed by the original signature (which repairs it). Redefinition latency is the median of
what `:time` reports for each (parse + check + compile). `:type` prints no timing, so its
latency is the difference of the child's CPU time with and without M `:type` commands
(best of 5), divided by M.
Usage: repl_scaling.py [path/to/vaisc] [M]"""
import os, re, resource, statistics, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VAISC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target/release/vaisc")
M = int(sys.argv[2]) if len(sys.argv) > 2 else 400

def session(n):
    out = []
    for i in range(n // 2):
        out.append(f"F fn{i}(x: i64) -> i64 = x + {i}")
        out.append(f"F cl{i}(x: i64) -> i64 = fn{i}(x) * 2")
    # one warm-up redefinition
    out.append("F fn0(x: i64) -> i64 = x - 1")
    return "\n".join(out) + "\n"

def redefs(n, m):
    same, change = [], []
    for j in range(m):
        k = (j * 7919) % (n // 2)
        if j % 2 == 0:
            same.append(f"F fn{k}(x: i64) -> i64 = x + {j}")
        else:
            change.append(f"F fn{k}(x: i64, y: i64) -> i64 = x + y")
            change.append(f"F fn{k}(x: i64) -> i64 = x - {j}")
    return same, change

def types(n, m):
    return "".join(f":type cl{(j * 7919) % (n // 2)}(3) + fn{j % (n // 2)}(1)\n" for j in range(m))

def cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime

def run(text):
    t = cpu()
    p = subprocess.run([VAISC, "repl"], input=text.encode(), capture_output=True)
    dt = cpu() - t
    if p.returncode != 0 or b"error" in p.stderr:
        sys.exit(f"repl failed: {p.stderr.decode()[:500]}")
    return dt, p.stdout.decode()

UNIT = {"ns": 1e-3, "µs": 1.0, "us": 1.0, "ms": 1e3, "s": 1e6}

def timed(lines):
    """Median of the parse+check+compile time `:time` reports for each input (µs)."""
    totals = []
    for line in lines:
        if line.startswith("time: "):
            total = 0.0
            for v, u in re.findall(r"(?:parse|check|compile) ([0-9.]+)(ns|µs|us|ms|s)", line):
                total += float(v) * UNIT[u]
            totals.append(total)
    return statistics.median(totals)

for n in (500, 8000):
    base = session(n)
    same, change = redefs(n, M)
    _, out = run(base + ":time\n" + "\n".join(same) + "\n")
    t_same = timed(out.splitlines()[1:])
    _, out = run(base + ":time\n" + "\n".join(change) + "\n")
    t_change = timed(out.splitlines()[1:])
    t0 = min(run(base)[0] for _ in range(5))
    t1 = min(run(base + types(n, M))[0] for _ in range(5))
    print(f"{n:>5} definitions: redefinition (same signature) {t_same:7.1f} us, "
          f"(signature change, breaks/repairs a caller) {t_change:7.1f} us, :type {(t1 - t0) / M * 1e6:7.1f} us")
