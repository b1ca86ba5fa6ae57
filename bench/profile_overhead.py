#!/usr/bin/env python3
"""Overhead of the built-in profiler: CPU time (user + system, all threads: the drain thread's
too) of `vaisc run` on each bench/ program without `--profile`, with it at the default rate
(1 kHz) and at 1 Hz (its fixed cost: setting up, stopping, naming, the report), minimum of RUNS
runs each (interleaved, in a shuffled order each round). CPU time, not wall time, because this
2-core machine's wall times move by tens of percent under load. Output must be identical.

`us/sample` is the cost per sample at 1 kHz, (1 kHz - 1 Hz) / samples: with 30-250 samples a
run, 1 ms of noise moves it by 4-30 us. So the cost per sample is also measured at 10 kHz
(`@10k`, (10 kHz - 1 Hz) / samples over 300-3,000 samples: the same interrupt, ten times the
signal), and `sampling` is the part of the overhead at 1 kHz that cost predicts: samples at
1 kHz x cost at 10 kHz / plain (add the fixed cost, ~0.2 ms: `fixed` here is a difference of
two noisy minimums). Usage:
    cargo build --release -p vaisc && RUNS=15 python3 bench/profile_overhead.py [PROGRAM...]
The floor on this machine (the kernel's sampling interrupt itself, without vaisc):
    cc -O2 -o /tmp/irq_stalls bench/irq_stalls.c && /tmp/irq_stalls none 2 && /tmp/irq_stalls ip 2

`PAIRS=1`: only plain and 1 kHz, in pairs (shuffled within each round), reporting for CPU and
wall time the overhead of the minimums and the median of the rounds' own ratios (a round's two
runs see the same machine load, so their ratio cancels most of a noisy host's drift). Use
RUNS=21 or more: this machine's run-to-run spread is 10-50%."""
import os, random, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VAISC = os.environ.get("VAISC", os.path.join(ROOT, "target/release/vaisc"))
RUNS = int(os.environ.get("RUNS", "15"))

def cpu(args):
    p = subprocess.Popen([VAISC, "run", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = p.stdout.read()
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    return (ru.ru_utime + ru.ru_stime) * 1000, out, err

def samples_of(err):
    return int(err.split()[1])

def timed(args):
    t0 = time.perf_counter()
    c, out, err = cpu(args)
    return c, (time.perf_counter() - t0) * 1000, out, err

if os.environ.get("PAIRS") == "1":
    print(f"{'program':10} {'plain cpu':>9} {'1 kHz cpu':>9} {'min':>7} {'median':>7} | {'plain wall':>10} {'1 kHz wall':>10} {'min':>7} {'median':>7} {'samples':>8}")
    cpu_ratios, wall_ratios = [], []
    for name in sys.argv[1:] or ["fib", "loops", "mandel", "structs"]:
        src = os.path.join(ROOT, "bench", name + ".vais")
        rounds = []
        for _ in range(RUNS):
            order = ["plain", "1k"]
            random.shuffle(order)
            got = {}
            for k in order:
                c, w, out, err = timed([src] if k == "plain" else [src, "--profile"])
                got[k] = (c, w, out, samples_of(err) if k == "1k" else 0)
            if got["plain"][2] != got["1k"][2]:
                sys.exit(f"{name}: output differs under --profile")
            rounds.append(got)
        pc = min(r["plain"][0] for r in rounds); kc = min(r["1k"][0] for r in rounds)
        pw = min(r["plain"][1] for r in rounds); kw = min(r["1k"][1] for r in rounds)
        mc = statistics.median(r["1k"][0] / r["plain"][0] for r in rounds)
        mw = statistics.median(r["1k"][1] / r["plain"][1] for r in rounds)
        samples = statistics.median(r["1k"][3] for r in rounds)
        cpu_ratios.append(kc / pc); wall_ratios.append(kw / pw)
        print(f"{name:10} {pc:9.1f} {kc:9.1f} {100 * (kc / pc - 1):6.1f}% {100 * (mc - 1):6.1f}% | {pw:10.1f} {kw:10.1f} {100 * (kw / pw - 1):6.1f}% {100 * (mw - 1):6.1f}% {samples:8.0f}")
    geo = lambda rs: 100 * (statistics.geometric_mean(rs) - 1)
    print(f"geometric mean overhead of the minimums: CPU {geo(cpu_ratios):.1f}%, wall {geo(wall_ratios):.1f}%")
    sys.exit(0)

print(f"{'program':10} {'plain ms':>9} {'1 kHz ms':>9} {'overhead':>9} {'1 Hz ms':>8} {'fixed':>7} {'samples':>8} {'us/sample':>10} {'@10k':>6} {'sampling':>9}")
ratios = []
for name in sys.argv[1:] or ["fib", "loops", "mandel", "structs"]:
    src = os.path.join(ROOT, "bench", name + ".vais")
    kinds = {"plain": [], "1k": [], "1": [], "10k": []}
    args = {"plain": [src], "1k": [src, "--profile"], "1": [src, "--profile", "--profile-hz", "1"], "10k": [src, "--profile", "--profile-hz", "10000"]}
    out_plain = None
    for _ in range(RUNS):
        order = list(kinds)
        random.shuffle(order)
        for k in order:
            t, out, err = cpu(args[k])
            kinds[k].append((t, samples_of(err) if k != "plain" else 0))
            if k == "plain":
                out_plain = out
            elif out_plain is not None and out != out_plain:
                sys.exit(f"{name}: output differs under --profile")
    (a, _), (b, samples), (c, _), (d, fast) = (min(kinds[k]) for k in ("plain", "1k", "1", "10k"))
    ratios.append(b / a)
    per = (b - c) / samples * 1000 if samples else 0
    per10 = (d - c) / fast * 1000 if fast else 0
    sampling = samples * per10 / 1000 / a
    print(f"{name:10} {a:9.1f} {b:9.1f} {100 * (b / a - 1):8.1f}% {c:8.1f} {100 * (c / a - 1):6.1f}% {samples:8} {per:10.1f} {per10:6.1f} {100 * sampling:8.1f}%")
geo = 1.0
for r in ratios:
    geo *= r
print(f"geometric mean overhead: {100 * (geo ** (1 / len(ratios)) - 1):.1f}%")
