#!/usr/bin/env python3
"""Times the bench/ programs against the same algorithm in C; see run.sh.

Each program runs as a whole process (compile + run for vaisc), several times; the figure is the
minimum. Both wall-clock and CPU time (user + system of the child) are kept; the ratio uses CPU
time, which a busy shared machine disturbs less. Output must match the C program's byte for
byte. Several vaisc binaries can be compared side by side: `measure.py A B` (default: this
tree's target/release/vaisc); `ENV=VAL:PATH` runs PATH with ENV set (e.g.
`VAIS_TIER=baseline:target/release/vaisc`, `VAIS_INLINE=0:target/release/vaisc`).
Environment: RUNS (default 5), CC (default cc), ONLY (comma-separated program names),
NO_THROUGHPUT=1 to skip the compile-throughput lines.
"""
import math, os, re, resource, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
RUNS = int(os.environ.get("RUNS", "5"))
CC = os.environ.get("CC", "cc")
PROGRAMS = ["fib", "loops", "mandel", "structs", "matmul", "nbody", "vecmath", "bintrees", "fold", "interp"]
tmp = tempfile.mkdtemp()


def split_spec(v):
    """`ENV=VAL:PATH` -> (PATH, {ENV: VAL}); a plain path -> (path, {})."""
    head = v.split(":", 1)[0]
    if "=" in head and ":" in v:
        k, val = head.split("=", 1)
        return v.split(":", 1)[1], {k: val}
    return v, {}


def cpu_timed(cmd, runs=RUNS, any_status=False, env=None):
    best_cpu, best_wall, out = None, None, None
    full_env = dict(os.environ, **(env or {}))
    for _ in range(runs):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, env=full_env)
        wall = time.perf_counter() - t
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        if p.returncode != 0 and not any_status:
            sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr.decode()}")
        out = p
        best_cpu = cpu if best_cpu is None else min(best_cpu, cpu)
        best_wall = wall if best_wall is None else min(best_wall, wall)
    return best_cpu, best_wall, out


def phases(stderr):
    m = dict(re.findall(r"(\w+) ([0-9.]+)ms", stderr.decode()))
    return {k: float(v) / 1000 for k, v in m.items()}


def main():
    vaiscs = sys.argv[1:] or [os.path.join(ROOT, "target/release/vaisc")]
    only = os.environ.get("ONLY")
    progs = only.split(",") if only else PROGRAMS
    names = [f"v{i}" for i in range(len(vaiscs))]
    for n, v in zip(names, vaiscs):
        print(f"{n}: {v}")
    head = f"{'program':9} {'cc-O2 cpu':>9}"
    for n in names:
        head += f" | {n[:10]:>10} cpu {'xO2':>5} {'jit':>6}"
    print(head)
    ratios = [[] for _ in vaiscs]
    for name in progs:
        src, csrc = os.path.join(BENCH, name + ".vais"), os.path.join(BENCH, name + ".c")
        exe = os.path.join(tmp, name + "_O2")
        subprocess.run([CC, "-O2", "-o", exe, csrc, "-lm"], check=True)
        c_cpu, c_wall, pc = cpu_timed([exe])
        line = f"{name:9} {c_cpu * 1000:7.0f}ms"
        for i, v in enumerate(vaiscs):
            exe, env = split_spec(v)
            cpu, wall, pv = cpu_timed([exe, "run", "--time", src], env=env)
            if pv.stdout != pc.stdout:
                sys.exit(f"{name}: output of {v} differs from C:\n{pv.stdout!r}\n{pc.stdout!r}")
            jit = phases(pv.stderr).get("compile", float("nan"))
            r = cpu / max(c_cpu, 1e-3)
            ratios[i].append(r)
            line += f" | {cpu * 1000:12.0f}ms {r:5.2f} {jit * 1000:4.1f}ms"
        print(line, flush=True)
    line = f"{'geomean':9} {'':9}"
    for rs in ratios:
        g = math.exp(sum(math.log(r) for r in rs) / len(rs))
        line += f" | {'':14} {g:5.2f} {'':6}"
    print(line)
    if os.environ.get("NO_THROUGHPUT"):
        return
    for lines, label in [(10000, "compile"), (100000, "front end")]:
        src = os.path.join(tmp, f"gen{lines}.vais")
        subprocess.run([sys.executable, os.path.join(BENCH, "gen.py"), str(lines), src], check=True)
        n = sum(1 for _ in open(src))
        for v, vn in zip(vaiscs, names):
            exe, env = split_spec(v)
            # --no-cache: this line measures compiling (the cache would serve runs after the first).
            cmd = [exe, "run", "--no-cache", "--time", src] if label == "compile" else [exe, "check", "--time", src]
            best = None
            for _ in range(RUNS):
                p = subprocess.run(cmd, capture_output=True, env=dict(os.environ, **env))
                ph = phases(p.stderr)
                tot = ph.get("parse", 0) + ph.get("check", 0) + (ph.get("compile", 0) if label == "compile" else 0)
                if best is None or tot < best[0]:
                    best = (tot, ph)
            total, ph = best
            print(f"{vn[:10]:10} {label} throughput: {n} lines in {total * 1000:.1f}ms = {n / total:,.0f} lines/s "
                  f"(parse {ph.get('parse', 0) * 1000:.1f}ms, check {ph.get('check', 0) * 1000:.1f}ms"
                  + (f", compile {ph.get('compile', 0) * 1000:.1f}ms)" if label == "compile" else ")"))


main()
