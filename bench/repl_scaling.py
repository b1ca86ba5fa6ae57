#!/usr/bin/env python3
"""REPL redefinition and `:type` latency at 500 vs 8,000 definitions (a benchmark, not a test;
`crates/vais-engine/tests/scaling.rs` is the test). Pipes a session of N definitions to
`vaisc repl`, then the same session followed by M redefinitions (same signature; signature
changes that break a caller and repair it) or M `:type` commands, and divides the difference
of the child's CPU time (best of 5).
Usage: repl_scaling.py [path/to/vaisc] [M]"""
import os, resource, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VAISC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target/release/vaisc")
M = int(sys.argv[2]) if len(sys.argv) > 2 else 400

def session(n):
    # n definitions: functions, each with a caller, plus a few types and variables.
    out = []
    for i in range(n // 2):
        out.append(f"F fn{i}(x: i64) -> i64 = x + {i}")
        out.append(f"F cl{i}(x: i64) -> i64 = fn{i}(x) * 2")
    return "\n".join(out) + "\n"

def redefs(n, m):
    out = []
    for j in range(m):
        k = (j * 7919) % (n // 2)
        if j % 2 == 0:
            out.append(f"F fn{k}(x: i64) -> i64 = x + {j}")
        else:
            # signature change (breaks cl{k}), then back (repairs it)
            out.append(f"F fn{k}(x: i64, y: i64) -> i64 = x + y")
            out.append(f"F fn{k}(x: i64) -> i64 = x - {j}")
    return "\n".join(out) + "\n"

def types(n, m):
    return "".join(f":type cl{(j * 7919) % (n // 2)}(3) + fn{j % (n // 2)}(1)\n" for j in range(m))

def cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime

def run(text):
    # CPU time of the child (user + system), not wall time: the machine is shared.
    best = None
    for _ in range(5):
        t = cpu()
        p = subprocess.run([VAISC, "repl"], input=text.encode(), capture_output=True)
        dt = cpu() - t
        if p.returncode != 0 or p.stderr:
            sys.exit(f"repl failed: {p.stderr.decode()[:500]}")
        best = dt if best is None else min(best, dt)
    return best

for n in (500, 8000):
    base = session(n)
    t0 = run(base)
    r = redefs(n, M)
    count = r.count("\n")
    t1 = run(base + r)
    t2 = run(base + types(n, M))
    print(f"{n:>5} definitions: redefinition {(t1 - t0) / count * 1e6:8.1f} us, :type {(t2 - t0) / M * 1e6:8.1f} us")
