#!/usr/bin/env python3
"""Times the bench/ programs; see run.sh. Each figure is the minimum of several runs."""
import os, re, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VAISC = os.path.join(ROOT, "target/release/vaisc")
BENCH = os.path.join(ROOT, "bench")
RUNS = int(os.environ.get("RUNS", "3"))
tmp = tempfile.mkdtemp()

def timed(cmd, runs=RUNS, any_status=False):
    best, out = None, None
    for _ in range(runs):
        t = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True)
        dt = time.perf_counter() - t
        if p.returncode != 0 and not any_status:
            sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr.decode()}")
        out = p
        best = dt if best is None else min(best, dt)
    return best, out

def phases(stderr):
    m = dict(re.findall(r"(\w+) ([0-9.]+)ms", stderr.decode()))
    return {k: float(v) / 1000 for k, v in m.items()}

print(f"{'program':10} {'vaisc':>8} {'clang-O2':>9} {'clang-O0':>9} {'x O2':>6} {'x O0':>6} {'jit compile':>12} {'clang-O0 compile':>17}")
for name in ["fib", "loops", "mandel", "structs"]:
    src, csrc = os.path.join(BENCH, name + ".vais"), os.path.join(BENCH, name + ".c")
    exe2, exe0 = os.path.join(tmp, name + "_O2"), os.path.join(tmp, name + "_O0")
    subprocess.run(["clang", "-O2", "-o", exe2, csrc], check=True)
    c0, _ = timed(["clang", "-O0", "-o", exe0, csrc])
    tv, pv = timed([VAISC, "run", "--time", src])
    t2, p2 = timed([exe2])
    t0, p0 = timed([exe0])
    if not (pv.stdout == p2.stdout == p0.stdout):
        sys.exit(f"{name}: outputs differ: {pv.stdout!r} {p2.stdout!r} {p0.stdout!r}")
    jit = phases(pv.stderr).get("compile", float("nan"))
    print(f"{name:10} {tv:8.3f} {t2:9.3f} {t0:9.3f} {tv / t2:6.2f} {tv / t0:6.2f} {jit * 1000:10.2f}ms {c0 * 1000:15.1f}ms")

for lines, label in [(10000, "compile"), (100000, "front end")]:
    src = os.path.join(tmp, f"gen{lines}.vais")
    subprocess.run([sys.executable, os.path.join(BENCH, "gen.py"), str(lines), src], check=True)
    n = sum(1 for _ in open(src))
    cmd = [VAISC, "run", "--time", src] if label == "compile" else [VAISC, "check", "--time", src]
    _, p = timed(cmd, any_status=True)
    ph = phases(p.stderr)
    fe = ph.get("parse", 0) + ph.get("check", 0)
    total = fe + (ph.get("compile", 0) if label == "compile" else 0)
    print(f"{label} throughput: {n} lines in {total * 1000:.1f}ms = {n / total:,.0f} lines/s "
          f"(parse {ph.get('parse', 0) * 1000:.1f}ms, check {ph.get('check', 0) * 1000:.1f}ms"
          + (f", compile {ph.get('compile', 0) * 1000:.1f}ms)" if label == "compile" else ")"))
