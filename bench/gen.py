#!/usr/bin/env python3
"""Generates a Vais program of at least N lines (and a C twin) for throughput benchmarks.
Usage: gen.py N OUT.vais [OUT.c]"""
import sys

n = int(sys.argv[1])
out = open(sys.argv[2], "w")
c = open(sys.argv[3], "w") if len(sys.argv) > 3 else None
if c:
    c.write("#include <stdio.h>\n")
funcs = n // 9 + 1  # 9 lines per function: at least N lines in all
out.write("S Acc { total: i64, count: i64 }\n")
for i in range(funcs):
    out.write(f"""F fun{i}(a: i64, b: i64) -> i64 {{
    x := mut a * {i % 7 + 1} + b
    L k: 0..3 {{
        x += k * {i % 5}
    }}
    acc := Acc {{ total: x, count: {i} }}
    r := M x % 4 {{ 0 => acc.total, 1 => acc.count, _ => x - 1 }}
    I r > 1000 {{ r % 1000 }} E {{ r }}
}}
""")
    if c:
        c.write(f"""long fun{i}(long a, long b) {{
    long x = a * {i % 7 + 1} + b;
    for (long k = 0; k < 3; k++) x += k * {i % 5};
    long r; switch (x % 4) {{ case 0: r = x; break; case 1: r = {i}; break; default: r = x - 1; }}
    return r > 1000 ? r % 1000 : r;
}}
""")
out.write("F main() -> i64 {\n    s := mut 0\n")
for i in range(0, funcs, max(1, funcs // 50)):
    out.write(f"    s += fun{i}(s % 100, {i})\n")
out.write("    s % 256\n}\n")
if c:
    c.write("int main(void) {\n    long s = 0;\n")
    for i in range(0, funcs, max(1, funcs // 50)):
        c.write(f"    s += fun{i}(s % 100, {i});\n")
    c.write("    return s % 256;\n}\n")
