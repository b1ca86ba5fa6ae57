#!/usr/bin/env python3
"""The compiled-code cache of `vaisc run` (issue 14) on the generated 10,000-line program
(bench/gen.py): compile phase (`--time`) and whole-process wall time of
  - no-cache: `--no-cache` (what every run cost before the cache),
  - cold:     an empty cache (compiles everything and writes every entry),
  - warm:     an unchanged program on a full cache,
  - edit:     one function's body edited (a different constant each time) on a full cache.
Minimum (and median) of N interleaved rounds. Usage: cache.py [N] [VAISC]"""
import os, re, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
N = int(sys.argv[1]) if len(sys.argv) > 1 else 9
VAISC = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "target/release/vaisc")

work = tempfile.mkdtemp(prefix="vais-cache-bench-")
prog = os.path.join(work, "gen.vais")
subprocess.run([sys.executable, os.path.join(ROOT, "bench/gen.py"), "10000", prog], check=True)
text = open(prog).read()
lines = text.count("\n")


def run(cache_dir, extra=()):
    env = dict(os.environ, VAIS_CACHE_DIR=cache_dir)
    env.pop("VAIS_CACHE", None)
    t = time.perf_counter()
    p = subprocess.run([VAISC, "run", "--time", *extra, prog], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t
    m = re.search(r"compile ([0-9.]+)ms", p.stderr)
    c = re.search(r"(\d+) of (\d+) functions from the cache", p.stderr)
    return float(m.group(1)), wall * 1000, (c.group(1), c.group(2)) if c else None


results = {k: ([], []) for k in ("no-cache", "cold", "warm", "edit")}
warm_dir = os.path.join(work, "warm")
edit_dir = os.path.join(work, "edit")
run(warm_dir)
run(edit_dir)
counts = {}
for i in range(N):
    cold_dir = os.path.join(work, f"cold{i}")
    for kind in ("no-cache", "cold", "warm", "edit"):
        if kind == "edit":
            # fun17's body gets a new constant: it is recompiled (and cached) this round.
            with open(prog, "w") as f:
                f.write(text.replace("x := mut a * 4 + b\n    L k: 0..3 {\n        x += k * 2", f"x := mut a * 4 + b\n    L k: 0..3 {{\n        x += k * {1000 + i}", 1))
        c, w, n = run({"cold": cold_dir, "edit": edit_dir}.get(kind, warm_dir), ["--no-cache"] if kind == "no-cache" else [])
        if kind == "edit":
            with open(prog, "w") as f:
                f.write(text)
        results[kind][0].append(c)
        results[kind][1].append(w)
        counts[kind] = n
    shutil.rmtree(cold_dir, ignore_errors=True)

print(f"{lines} lines, {N} rounds; compile phase and whole process (wall), min / median, ms")
base_c = min(results["cold"][0])
base_w = min(results["cold"][1])
for kind, (c, w) in results.items():
    n = counts.get(kind)
    cached = f"  ({n[0]} of {n[1]} from the cache)" if n else ""
    print(f"{kind:9} compile {min(c):8.1f} / {statistics.median(c):8.1f} ({min(c) / base_c:5.1%} of cold)"
          f"   process {min(w):8.1f} / {statistics.median(w):8.1f} ({min(w) / base_w:5.1%} of cold){cached}")
print(f"throughput (no-cache, compile phase only: parse+check+compile from --time is separate): "
      f"{lines / (min(results['no-cache'][0]) / 1000):,.0f} lines/s of compile")
shutil.rmtree(work, ignore_errors=True)
