#!/usr/bin/env python3
"""Stress shapes for compile-time scaling: generates one program per shape at size N and 10N,
runs `vaisc check` and `vaisc run` on each (release build) and prints wall times, so a
super-linear phase shows as a ratio well above 10.

Usage: stress.py [--vaisc PATH] [--n N] [--only SHAPE,...] [--out DIR] [--keep] [--phases]
       stress.py --emit SHAPE N > prog.vais    (print one program)
`--phases` adds the `--time` phase breakdown of `vaisc run` at 10N.

Measured on the 2-core VM (release; seconds, check/run at 10N; noisy under load):
  shape              before (3d42a47)            after
  sum 100k           0.55 / 1.17 (110k: SIGSEGV)  0.42 / 0.90
  unwraps 10k        14.6 / 8.7 (110k: 23 GB)     0.04 / 0.04
  index/call 100k    SIGSEGV in run               0.43 / 0.38, 0.29 / 0.25 (diagnostics)
  method_chain 100k  SIGSEGV                      0.53 / 1.53
  struct_fields 100k 65 / 47 (after the names fix) 0.13 / 0.17
  enum_variants 100k 28.8 / >120                  0.15 / 1.50
  match_arms 100k    0.42 / >120                  0.12 / 0.62
  lambda_capt. 10k   1.33 / 23.6                  0.33 / 0.29
  fn_locals 100k     0.71 / 2.95                  0.12 / 0.16
  block_stmts 100k   0.20 / 5.21                  0.13 / 0.31
  consts 100k        >120 / >120                  0.58 / 0.18
  else_if 10k        P003 (nesting too deep)      0.06 / 0.16"""
import argparse
import os
import subprocess
import sys
import tempfile
import time


def sum_expr(n):
    # A flat left-associative sum: an AST n levels deep.
    return f"F main() -> i64 {{\n    x := {'+'.join(['1'] * n)}\n    x % 256\n}}\n"


def unwraps(n):
    # Postfix `!` chain on a value of type `i64?` (ill-typed past the first: a clean error).
    return f"F g(x: i64?) -> i64 = x{'!' * n}\nF main() -> i64 = 0\n"


def index_chain(n):
    return f"F main() -> i64 {{\n    a := [1, 2]\n    a{'[0]' * n}\n}}\n"


def field_chain(n):
    return f"S N {{ f: i64 }}\nF main() -> i64 {{\n    a := N {{ f: 1 }}\n    a{'.f' * n}\n}}\n"


def method_chain(n):
    return ("S Ac { v: i64 }\nX Ac { F m(&self) -> Ac = Ac { v: self.v + 1 } }\n"
            f"F main() -> i64 {{\n    a := Ac {{ v: 0 }}\n    a{'.m()' * n}.v % 256\n}}\n")


def call_chain(n):
    return f"F f() -> i64 = 1\nF main() -> i64 = f{'()' * n}\n"


def struct_fields(n):
    fields = ", ".join(f"x{i}: i64" for i in range(n))
    lit = ", ".join(f"x{i}: {i % 7}" for i in range(n))
    return (f"S Big {{ {fields} }}\nF main() -> i64 {{\n    b := Big {{ {lit} }}\n"
            f"    r := b.x0 + b.x{n - 1}\n    r % 256\n}}\n")


def struct_reads(n):
    # Every field read once (one statement each).
    fields = ", ".join(f"x{i}: i64" for i in range(n))
    lit = ", ".join(f"x{i}: {i % 7}" for i in range(n))
    reads = "\n".join(f"    r += b.x{i}" for i in range(n))
    return (f"S Big {{ {fields} }}\nF main() -> i64 {{\n    b := Big {{ {lit} }}\n    r := mut 0\n"
            f"{reads}\n    r % 256\n}}\n")


def enum_variants(n):
    variants = ", ".join(f"V{i}" for i in range(n))
    arms = ", ".join(f"V{i} => {i % 7}" for i in range(n))
    return (f"E Big {{ {variants} }}\nF pick(b: Big) -> i64 = M b {{ {arms} }}\n"
            f"F main() -> i64 = pick(V{n - 1}) + pick(V1)\n")


def match_arms(n):
    arms = ",\n".join(f"        {i} => {i % 7}" for i in range(n))
    return (f"F pick(x: i64) -> i64 {{\n    M x {{\n{arms},\n        _ => 99\n    }}\n}}\n"
            f"F main() -> i64 = pick({n - 1}) + pick(1)\n")


def lambda_captures(n):
    locals_ = "\n".join(f"    v{i} := {i % 5}" for i in range(n))
    body = " + ".join(f"v{i}" for i in range(n))
    return (f"F main() -> i64 {{\n{locals_}\n    f := |x: i64| x + {body}\n"
            f"    f(1) % 256\n}}\n")


def fn_params(n):
    params = ", ".join(f"p{i}: i64" for i in range(n))
    args = ", ".join(str(i % 3) for i in range(n))
    return f"F big({params}) -> i64 = p0 + p{n - 1}\nF main() -> i64 = big({args})\n"


def fn_locals(n):
    locals_ = "\n".join(f"    v{i} := mut {i % 5}" for i in range(n))
    return (f"F main() -> i64 {{\n{locals_}\n    v0 += v{n - 1}\n    v0 + v{n // 2}\n}}\n")


def string_literals(n):
    lines = "\n".join(f'    s{i % 10} = "text number {i}"' for i in range(n))
    decl = "\n".join(f'    s{i} := mut ""' for i in range(10))
    return f"F main() -> i64 {{\n{decl}\n{lines}\n    puts(s3)\n    0\n}}\n"


def block_stmts(n):
    lines = "\n".join(f"    x += {i % 3}" for i in range(n))
    return f"F main() -> i64 {{\n    x := mut 0\n{lines}\n    x % 256\n}}\n"


def fn_chain(n):
    out = ["F g0(x: i64) -> i64 = x + 1"]
    out += [f"F g{i}(x: i64) -> i64 = g{i - 1}(x) % 1000 + 1" for i in range(1, n)]
    out.append(f"F main() -> i64 = g{n - 1}(0) % 256")
    return "\n".join(out) + "\n"


def else_if(n):
    arms = " E ".join(f"I x == {i} {{ {i % 7} }}" for i in range(n))
    return f"F pick(x: i64) -> i64 = {arms} E {{ 99 }}\nF main() -> i64 = pick({n - 1}) + pick(2)\n"


def nested_ifs(n):
    # Nesting is limited by the parser (P003 past its depth); n stays small.
    body = "1"
    for i in range(n):
        body = f"I x > {i} {{ {body} }} E {{ {i} }}"
    return f"F pick(x: i64) -> i64 = {body}\nF main() -> i64 = pick(1000) + pick(3)\n"


def tuple_elems(n):
    elems = ", ".join(str(i % 9) for i in range(n))
    return f"F main() -> i64 {{\n    t := ({elems})\n    7\n}}\n"


def array_elems(n):
    elems = ", ".join(str(i % 9) for i in range(n))
    return f"F main() -> i64 {{\n    a := [{elems}]\n    a[0] + a[{n - 1}]\n}}\n"


def consts(n):
    out = [f"C K{i}: i64 = {i % 11}" for i in range(n)]
    out.append(f"F main() -> i64 = K0 + K{n - 1}")
    return "\n".join(out) + "\n"


def consts_chain(n):
    # Each constant uses the next one, declared after it.
    out = [f"C K{i}: i64 = K{i + 1} % 1000 + 1" for i in range(n - 1)]
    out.append(f"C K{n - 1}: i64 = 1")
    out.append("F main() -> i64 = K0 % 256")
    return "\n".join(out) + "\n"


def structs_many(n):
    out = [f"S T{i} {{ a: i64, b: i64 }}" for i in range(n)]
    out.append(f"F main() -> i64 {{\n    t := T{n - 1} {{ a: 1, b: 2 }}\n    t.a + t.b\n}}")
    return "\n".join(out) + "\n"


def lambdas_many(n):
    lines = "\n".join(f"    f{i % 10} = |x: i64| x + {i % 7}" for i in range(n))
    decl = "\n".join(f"    f{i} := mut |x: i64| x" for i in range(10))
    return f"F main() -> i64 {{\n{decl}\n{lines}\n    f3(1)\n}}\n"


# name: (generator, N): N is chosen so that the 10N run of a linear phase takes well under a second.
SHAPES = {
    "sum": (sum_expr, 10000),
    "unwraps": (unwraps, 1000),
    "index_chain": (index_chain, 10000),
    "field_chain": (field_chain, 10000),
    "method_chain": (method_chain, 10000),
    "call_chain": (call_chain, 10000),
    "struct_fields": (struct_fields, 10000),
    "struct_reads": (struct_reads, 10000),
    "enum_variants": (enum_variants, 10000),
    "match_arms": (match_arms, 10000),
    "lambda_captures": (lambda_captures, 1000),
    "fn_params": (fn_params, 10000),
    "fn_locals": (fn_locals, 10000),
    "string_literals": (string_literals, 10000),
    "block_stmts": (block_stmts, 10000),
    "fn_chain": (fn_chain, 1000),
    "else_if": (else_if, 1000),
    "nested_ifs": (nested_ifs, 5),
    "tuple_elems": (tuple_elems, 1000),
    "array_elems": (array_elems, 10000),
    "consts": (consts, 10000),
    "consts_chain": (consts_chain, 10000),
    "structs_many": (structs_many, 10000),
    "lambdas_many": (lambdas_many, 1000),
}


class TimedOut:
    returncode = "timeout"
    stderr = ""


def timed(cmd, limit=120):
    t = time.perf_counter()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        p = TimedOut()
    return time.perf_counter() - t, p


def status(p):
    if p.returncode == "timeout":
        return "timeout"
    if p.returncode < 0:
        return f"signal {-p.returncode}"
    first = next((l for l in p.stderr.splitlines() if l.strip()), "")
    return f"exit {p.returncode}" + (f" ({first[:60]})" if p.returncode and first else "")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vaisc", default=os.path.join(os.path.dirname(__file__), "..", "target", "release", "vaisc"))
    ap.add_argument("--n", type=int, help="override every shape's base size N")
    ap.add_argument("--only", help="comma-separated shape names")
    ap.add_argument("--out", help="directory for the generated programs (default: a temporary one)")
    ap.add_argument("--phases", action="store_true")
    ap.add_argument("--emit", nargs=2, metavar=("SHAPE", "N"))
    a = ap.parse_args()
    if a.emit:
        sys.stdout.write(SHAPES[a.emit[0]][0](int(a.emit[1])))
        return
    names = a.only.split(",") if a.only else list(SHAPES)
    out = a.out or tempfile.mkdtemp(prefix="vais-stress-")
    print(f"{'shape':16} {'N':>7} {'check':>8} {'run':>8} {'check10N':>9} {'run10N':>8}  ratio(run)  status")
    for name in names:
        gen, n = SHAPES[name]
        n = a.n or n
        row = []
        stat = []
        for size in (n, 10 * n):
            path = os.path.join(out, f"{name}_{size}.vais")
            with open(path, "w") as f:
                f.write(gen(size))
            tc, pc = timed([a.vaisc, "check", path])
            tr, pr = timed([a.vaisc, "run", "--no-cache", path])  # compiling is what scales
            row += [tc, tr]
            stat.append(f"{status(pc)}/{status(pr)}")
            if a.phases and size == 10 * n:
                _, pt = timed([a.vaisc, "run", "--no-cache", "--time", path])
                stat.append(" ".join(l.strip() for l in pt.stderr.splitlines() if "ms" in l))
        ratio = row[3] / max(row[1], 1e-6)
        print(f"{name:16} {n:>7} {row[0]:8.3f} {row[1]:8.3f} {row[2]:9.3f} {row[3]:8.3f}  {ratio:8.1f}x  "
              + " | ".join(stat), flush=True)


if __name__ == "__main__":
    main()
