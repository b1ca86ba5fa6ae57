#!/usr/bin/env python3
"""Overhead of the built-in profiler: CPU time (user + system, all threads: the sampler's too)
of `vaisc run` on each bench/ program without and with `--profile` at the default rate,
minimum of RUNS runs each (interleaved). CPU time, not wall time, because this 2-core
machine's wall times move by tens of percent under load. Output must be identical. Usage:
    cargo build --release -p vaisc && python3 bench/profile_overhead.py"""
import os, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VAISC = os.path.join(ROOT, "target/release/vaisc")
RUNS = int(os.environ.get("RUNS", "9"))

def run_phase(args):
    p = subprocess.Popen([VAISC, "run", *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return (ru.ru_utime + ru.ru_stime) * 1000, out

print(f"{'program':10} {'plain cpu ms':>13} {'profiled cpu ms':>16} {'overhead':>9}")
ratios = []
for name in ["fib", "loops", "mandel", "structs"]:
    src = os.path.join(ROOT, "bench", name + ".vais")
    plain, prof = [], []
    for _ in range(RUNS):
        t, out_plain = run_phase([src])
        plain.append(t)
        t, out_prof = run_phase([src, "--profile"])
        prof.append(t)
        if out_plain != out_prof:
            sys.exit(f"{name}: output differs under --profile")
    a, b = min(plain), min(prof)
    ratios.append(b / a)
    print(f"{name:10} {a:13.1f} {b:16.1f} {100 * (b / a - 1):8.1f}%")
geo = 1.0
for r in ratios:
    geo *= r
print(f"geometric mean overhead: {100 * (geo ** (1 / len(ratios)) - 1):.1f}%")
