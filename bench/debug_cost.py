#!/usr/bin/env python3
"""Compile-time cost of source positions, line tables and unwind information (issue 12): the
compile phase of `vaisc run --time` on the generated 10,000-line program (bench/gen.py), minimum
of RUNS interleaved runs, in four configurations:
  bare       VAIS_JIT_NO_LINES + VAIS_JIT_NO_UNWIND (measurement knobs: neither is produced)
  lines      VAIS_JIT_NO_UNWIND (source positions and line tables, as before unwind info)
  default    what `vaisc run` does: line tables and unwind info registered with libgcc
  -g         default plus building the gdb image (its time is the `debuginfo` phase)
Usage: cargo build --release -p vaisc && python3 bench/debug_cost.py"""
import os, re, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VAISC = os.path.join(ROOT, "target/release/vaisc")
RUNS = int(os.environ.get("RUNS", "15"))

prog = os.path.join(tempfile.mkdtemp(), "gen10k.vais")
subprocess.run([sys.executable, os.path.join(ROOT, "bench/gen.py"), "10000", prog], check=True)
modes = [
    ("bare", [], {"VAIS_JIT_NO_LINES": "1", "VAIS_JIT_NO_UNWIND": "1"}),
    ("lines", [], {"VAIS_JIT_NO_UNWIND": "1"}),
    ("default", [], {}),
    ("-g", ["-g"], {}),
]

def phases(args, env):
    e = dict(os.environ)
    e.update(env)
    # --no-cache: this measures compiling (the cache would serve every run after the first).
    p = subprocess.run([VAISC, "run", "--no-cache", "--time", *args, prog], capture_output=True, text=True, env=e)
    line = [l for l in p.stderr.splitlines() if l.startswith("time:")][-1]
    return {k: float(v) for k, v in re.findall(r"(\w+) ([\d.]+)ms", line)}

best = {m[0]: {} for m in modes}
for _ in range(RUNS):
    for name, args, env in modes:
        for k, v in phases(args, env).items():
            best[name][k] = min(best[name].get(k, v), v)
base = best["bare"]["compile"]
print(f"{'mode':8} {'compile ms':>11} {'+debuginfo':>11} {'vs bare':>8}")
for name, _, _ in modes:
    c = best[name]["compile"] + best[name].get("debuginfo", 0.0)
    print(f"{name:8} {best[name]['compile']:11.2f} {best[name].get('debuginfo', 0.0):11.2f} {100 * (c / base - 1):7.1f}%")
