#!/usr/bin/env python3
"""Overhead of the built-in profiler: CPU time (user + system, all threads: the drain thread's
too) of `vaisc run` on each bench/ program without `--profile`, with it at the default rate
(1 kHz) and at 1 Hz (its fixed cost: setting up, stopping, naming, the report), minimum of RUNS
runs each (interleaved). CPU time, not wall time, because this 2-core machine's wall times
move by tens of percent under load. Output must be identical. The last column is the cost per
sample, (default - 1 Hz) / samples. Usage:
    cargo build --release -p vaisc && python3 bench/profile_overhead.py [PROGRAM...]"""
import os, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VAISC = os.path.join(ROOT, "target/release/vaisc")
RUNS = int(os.environ.get("RUNS", "9"))

def cpu(args):
    p = subprocess.Popen([VAISC, "run", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = p.stdout.read()
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    return (ru.ru_utime + ru.ru_stime) * 1000, out, err

print(f"{'program':10} {'plain ms':>9} {'1 kHz ms':>9} {'overhead':>9} {'1 Hz ms':>8} {'fixed':>7} {'samples':>8} {'us/sample':>10}")
ratios = []
for name in sys.argv[1:] or ["fib", "loops", "mandel", "structs"]:
    src = os.path.join(ROOT, "bench", name + ".vais")
    plain, prof, slow = [], [], []
    counts = []
    for _ in range(RUNS):
        t, out_plain, _ = cpu([src])
        plain.append(t)
        t, out_prof, err = cpu([src, "--profile"])
        prof.append(t)
        counts.append(int(err.split()[1]))
        t, _, _ = cpu([src, "--profile", "--profile-hz", "1"])
        slow.append(t)
        if out_plain != out_prof:
            sys.exit(f"{name}: output differs under --profile")
    a, b, c = min(plain), min(prof), min(slow)
    samples = counts[prof.index(b)]  # of the fastest profiled run
    ratios.append(b / a)
    per = (b - c) / samples * 1000 if samples else 0
    print(f"{name:10} {a:9.1f} {b:9.1f} {100 * (b / a - 1):8.1f}% {c:8.1f} {100 * (c / a - 1):6.1f}% {samples:8} {per:10.1f}")
geo = 1.0
for r in ratios:
    geo *= r
print(f"geometric mean overhead: {100 * (geo ** (1 / len(ratios)) - 1):.1f}%")
