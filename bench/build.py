#!/usr/bin/env python3
"""Native executables (`vaisc build`) against C; see run.sh (`bash bench/run.sh build`).

1. Run time: each bench/ program built with `vaisc build` and run as a process, against the
   same algorithm built with `cc -O2`; output compared byte for byte; the figure is the
   minimum CPU time (user + system) of RUNS runs, and `xO2` the ratio (target: geomean <= 1.3).
2. Build time: the generated 10,000-line program (bench/gen.py) built into an executable by
   `vaisc build`, against `cc -O0` building its C twin (gen.py writes both); wall time of the
   whole build command (compile and link), minimum of RUNS. Also `--emit obj` against
   `cc -O0 -c` (compile only, no link).
Environment: RUNS (default 5), CC (default cc), ONLY (comma-separated program names),
VAISC (default target/release/vaisc).
"""
import math, os, resource, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
RUNS = int(os.environ.get("RUNS", "5"))
CC = os.environ.get("CC", "cc")
VAISC = os.environ.get("VAISC", os.path.join(ROOT, "target/release/vaisc"))
PROGRAMS = ["fib", "loops", "mandel", "structs", "matmul", "nbody", "vecmath", "bintrees", "fold", "interp"]
tmp = tempfile.mkdtemp()


def cpu_timed(cmd, runs=RUNS):
    best_cpu, best_wall, out = None, None, None
    for _ in range(runs):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True)
        wall = time.perf_counter() - t
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        if p.returncode != 0:
            sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr.decode()}")
        cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        out = p
        best_cpu = cpu if best_cpu is None else min(best_cpu, cpu)
        best_wall = wall if best_wall is None else min(best_wall, wall)
    return best_cpu, best_wall, out


def main():
    only = os.environ.get("ONLY")
    progs = only.split(",") if only else PROGRAMS
    print(f"vaisc: {VAISC}")
    print(f"{'program':9} {'cc -O2':>8} {'built':>8} {'xO2':>5} {'vaisc build':>11}")
    ratios = []
    for name in progs:
        src, csrc = os.path.join(BENCH, name + ".vais"), os.path.join(BENCH, name + ".c")
        cexe, vexe = os.path.join(tmp, name + "_O2"), os.path.join(tmp, name + "_vais")
        subprocess.run([CC, "-O2", "-o", cexe, csrc, "-lm"], check=True)
        _, build_wall, _ = cpu_timed([VAISC, "build", src, "-o", vexe], runs=1)
        c_cpu, _, pc = cpu_timed([cexe])
        v_cpu, _, pv = cpu_timed([vexe])
        if pv.stdout != pc.stdout:
            sys.exit(f"{name}: output of the built program differs from C:\n{pv.stdout!r}\n{pc.stdout!r}")
        r = v_cpu / max(c_cpu, 1e-3)
        ratios.append(r)
        print(f"{name:9} {c_cpu * 1000:6.0f}ms {v_cpu * 1000:6.0f}ms {r:5.2f} {build_wall * 1000:9.0f}ms", flush=True)
    g = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
    print(f"{'geomean':9} {'':8} {'':8} {g:5.2f}")

    src, csrc = os.path.join(tmp, "gen10000.vais"), os.path.join(tmp, "gen10000.c")
    subprocess.run([sys.executable, os.path.join(BENCH, "gen.py"), "10000", src, csrc], check=True)
    n = sum(1 for _ in open(src))
    rows = [
        ("vaisc build (executable)", [VAISC, "build", src, "-o", os.path.join(tmp, "gen_v")]),
        ("cc -O0 (executable)", [CC, "-O0", "-o", os.path.join(tmp, "gen_c"), csrc]),
        ("vaisc build --emit obj", [VAISC, "build", "--emit", "obj", src, "-o", os.path.join(tmp, "gen_v.o")]),
        ("cc -O0 -c (object)", [CC, "-O0", "-c", "-o", os.path.join(tmp, "gen_c.o"), csrc]),
    ]
    print(f"build time of the generated {n}-line program (wall, min of {RUNS}):")
    for label, cmd in rows:
        _, wall, _ = cpu_timed(cmd)
        print(f"  {label:26} {wall * 1000:7.0f}ms", flush=True)
    a = subprocess.run([os.path.join(tmp, "gen_v")]).returncode
    b = subprocess.run([os.path.join(tmp, "gen_c")]).returncode
    if a != b:
        sys.exit(f"the generated program exits {a} built by vaisc, {b} built by cc")


main()
