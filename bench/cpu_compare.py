#!/usr/bin/env python3
"""Minimum CPU time (user + system, whole process) of `vaisc run FILE` for several vaisc
binaries, interleaved, so a busy machine disturbs them alike:
    python3 bench/cpu_compare.py FILE RUNS VAISC... (an entry `ENV=VAL:PATH` sets ENV for it)."""
import os, resource, subprocess, sys

path, runs, bins = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
best = {b: None for b in bins}
for _ in range(runs):
    for b in bins:
        env = dict(os.environ)
        exe = b
        if "=" in b.split(":")[0]:
            kv, exe = b.split(":", 1)
            k, v = kv.split("=", 1)
            env[k] = v
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([exe, "run", path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime
        best[b] = cpu if best[b] is None else min(best[b], cpu)
for b in bins:
    print(f"{best[b] * 1000:8.1f} ms  {b}")
