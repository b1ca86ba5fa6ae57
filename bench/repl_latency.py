#!/usr/bin/env python3
"""REPL latency (a benchmark, not a test): pipes 2,000 small inputs to `vaisc repl` and divides;
repeats after 1,000 earlier definitions; and times start-up to the first result. Besides wall
time, each figure is given in the child's CPU time (user + system, best of 3), which a loaded
machine disturbs much less.
Usage: repl_latency.py [path/to/vaisc]"""
import os, resource, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VAISC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target/release/vaisc")

def small_inputs(n, tag):
    out = []
    for i in range(n):
        k = i % 4
        if k == 0:
            out.append(f"F {tag}f{i}(x: i64) -> i64 = x * {i % 9 + 1} + 1")
        elif k == 1:
            out.append(f"{tag}f{i - 1}({i}) + 2")
        elif k == 2:
            out.append(f"{tag}v{i} := {i} * 3")
        else:
            out.append(f"I {i} % 2 == 0 {{ {i} }} E {{ 0 - {i} }}")
    return "\n".join(out) + "\n"

def cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime

CPU = {}

def run(text):
    best = best_cpu = None
    for _ in range(3):
        t, c = time.perf_counter(), cpu()
        p = subprocess.run([VAISC, "repl"], input=text.encode(), capture_output=True)
        dt, dc = time.perf_counter() - t, cpu() - c
        if p.returncode != 0 or p.stderr:
            sys.exit(f"repl failed: {p.stderr.decode()[:500]}")
        best = dt if best is None else min(best, dt)
        best_cpu = dc if best_cpu is None else min(best_cpu, dc)
    CPU[text] = best_cpu
    return best

startup = min(run("1 + 1\n") for _ in range(5))
empty = run("")
base = run(small_inputs(2000, "a"))
defs = "".join(f"F d{i}(x: i64) -> i64 = x + {i}\n" for i in range(1000))
with_defs_only = run(defs)
with_defs = run(defs + small_inputs(2000, "b"))
per_input = (base - empty) / 2000
per_input_late = (with_defs - with_defs_only) / 2000
print(f"start-up to first result: {startup * 1000:.2f} ms (empty session {empty * 1000:.2f} ms)")
cpu_input = (CPU[small_inputs(2000, "a")] - CPU[""]) / 2000
cpu_late = (CPU[defs + small_inputs(2000, "b")] - CPU[defs]) / 2000
print(f"mean per input, fresh session: {per_input * 1e6:.1f} us (CPU {cpu_input * 1e6:.1f} us)")
print(f"mean per input after 1,000 definitions: {per_input_late * 1e6:.1f} us ({per_input_late / per_input:.2f}x; CPU {cpu_late * 1e6:.1f} us)")
