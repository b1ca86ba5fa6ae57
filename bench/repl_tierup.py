#!/usr/bin/env python3
"""REPL tier-up (a benchmark, not a test): loads each bench program into `vaisc repl` and runs
its `main()` three times per session, reading each run's time from `:time`. Columns:
  off      VAIS_TIER_THRESHOLD=off: baseline code without counters (the REPL before tier-up)
  count    counters in baseline code that never reach their threshold (their cost)
  tier 1st default threshold, first call: `main`'s own frame stays baseline (no OSR), its hot
           callees tier up while it runs
  tier 2nd default threshold, best of the second and third calls: `main` itself optimised
  run      the same program's `main` under `vaisc run` (optimising tier up front), for reference
Each figure is the minimum over SESSIONS sessions (default 3). Usage: repl_tierup.py [vaisc] [prog...]"""
import os, re, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VAISC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target/release/vaisc")
PROGS = sys.argv[2:] or ["fib", "loops", "mandel", "structs", "matmul", "nbody", "vecmath", "bintrees", "fold", "interp"]
SESSIONS = int(os.environ.get("SESSIONS", "3"))
UNITS = {"ns": 1e-9, "µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0}

def secs(text):
    m = re.match(r"([0-9.]+)(ns|µs|us|ms|s)$", text)
    return float(m.group(1)) * UNITS[m.group(2)]

def session(prog, threshold):
    path = os.path.join(ROOT, "bench", prog + ".vais")
    env = dict(os.environ, VAIS_TIER_THRESHOLD=threshold)
    text = f":load {path}\n:time\nmain()\nmain()\nmain()\n"
    p = subprocess.run([VAISC, "repl"], input=text.encode(), capture_output=True, env=env)
    if p.returncode != 0 or p.stderr:
        sys.exit(f"{prog}: repl failed: {p.stderr.decode()[:500]}")
    runs = [secs(m) for m in re.findall(r"run ([0-9.]+(?:ns|µs|us|ms|s)) \(", p.stdout.decode())]
    return runs[-3:]

def run_time(prog):
    p = subprocess.run([VAISC, "run", "--time", os.path.join(ROOT, "bench", prog + ".vais")], capture_output=True)
    m = re.search(r"run ([0-9.]+(?:ns|µs|us|ms|s))", p.stderr.decode() + p.stdout.decode())
    return secs(m.group(1)) if m else float("nan")

print(f"| program | off | count | tier 1st | tier 2nd | run | 2nd vs off |")
print(f"|---|---|---|---|---|---|---|")
for prog in PROGS:
    off = count = first = later = run = float("inf")
    for _ in range(SESSIONS):
        off = min(off, min(session(prog, "off")))
        count = min(count, min(session(prog, "4000000000")))
        r = session(prog, os.environ.get("THRESHOLD", "20000"))
        first, later = min(first, r[0]), min(later, min(r[1:]))
        run = min(run, run_time(prog))
    ms = lambda s: f"{s * 1000:.1f} ms"
    print(f"| {prog} | {ms(off)} | {ms(count)} | {ms(first)} | {ms(later)} | {ms(run)} | {off / later:.2f}x |")
