#!/usr/bin/env python3
"""Generates tests/programs/const_fold.vais and its expected .stdout/.exit.

Every operator at every integer width and signedness, on floats, bools and strings, is
computed twice: folded as a `C` constant by the checker, and at run time by a generic function
the JIT compiles (the arguments are not constants inside it). Each output line prints both
results, and the expected output is computed here, independently, from the language's
semantics: wrapping at the type's width, truncating division, `%` with the dividend's sign,
shift counts modulo the width, `>>` arithmetic on signed and logical on unsigned types, IEEE
floats at their own width. Run: python3 scripts/gen_const_fold.py
"""
import math
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "programs")

INTS = [(n, int(n[1:]), n[0] == "i") for n in
        ["i8", "i16", "i32", "i64", "i128", "u8", "u16", "u32", "u64", "u128"]]


def wrap(v, bits, signed):
    v &= (1 << bits) - 1
    if signed and v >= 1 << (bits - 1):
        v -= 1 << bits
    return v


def lit(v):
    """An i64 expression whose value is v (-2^63 <= v < 2^63)."""
    if v >= 0:
        return str(v)
    if v == -(1 << 63):
        return "(0 - 9223372036854775807 - 1)"
    return "(0 - %d)" % -v


def tdiv(a, b):
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def arith(op, a, b, bits, signed):
    if op == "+": r = a + b
    elif op == "-": r = a - b
    elif op == "*": r = a * b
    elif op == "/": r = tdiv(a, b)
    elif op == "%": r = a - b * tdiv(a, b)
    elif op == "&": r = a & b
    elif op == "|": r = a | b
    elif op == "^": r = a ^ b
    elif op == "<<": r = a << (b & (bits - 1))
    elif op == ">>": r = a >> (b & (bits - 1))  # a is canonical: sign-extended iff signed
    else: raise ValueError(op)
    return wrap(r, bits, signed)


CMP = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
       ">=": lambda a, b: a >= b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b}
ARITH = ["+", "-", "*", "/", "%", "&", "|", "^"]
NAMES = {"+": "add", "-": "sub", "*": "mul", "/": "div", "%": "rem", "&": "and", "|": "or",
         "^": "xor", "<<": "shl", ">>": "shr", "<": "lt", "<=": "le", ">": "gt", ">=": "ge",
         "==": "eq", "!=": "ne"}

consts = []   # lines of constant declarations
body = []     # lines of main
expect = []   # expected output lines


def show_int(v, bits):
    """What the program prints for a canonical value: i64 for <= 64 bits, else hi/lo hex."""
    if bits <= 64:
        return str(wrap(v, 64, True))
    u = v & ((1 << 128) - 1)
    hi = v >> 64  # arithmetic for signed (v < 0), logical for unsigned (v >= 0)
    return "%x %x" % (hi & ((1 << 64) - 1), u & ((1 << 64) - 1))


def emit_int(label, name, call, ty, v, bits, inl=None):
    """One output line: the constant, the run-time call and, with `inl`, the same operation
    written inline on the constants (the JIT sees literal operands and may fold them)."""
    three = inl is not None
    if bits <= 64:
        if three:
            body.append('    show3("%s", %s, %s, %s)' % (label, name, call, inl))
        else:
            body.append('    show("%s", %s, %s)' % (label, name, call))
    elif three:
        body.append('    show128_3("%s", %s, %s, %s, %s_S64)' % (label, name, call, inl, ty.upper()))
    else:
        body.append('    show128("%s", %s, %s, %s_S64)' % (label, name, call, ty.upper()))
    s = show_int(v, bits)
    expect.append(" ".join([label] + [s] * (3 if three else 2)))


def emit_bool(label, name, call, v, inl=None):
    if inl is None:
        body.append('    showb("%s", %s, %s)' % (label, name, call))
        expect.append("%s %d %d" % (label, v, v))
    else:
        body.append('    showb3("%s", %s, %s, %s)' % (label, name, call, inl))
        expect.append("%s %d %d %d" % (label, v, v, v))


for ty, bits, signed in INTS:
    T = ty.upper()
    lo = -(1 << (bits - 1)) if signed else 0
    hi = (1 << (bits - 1)) - 1 if signed else (1 << bits) - 1
    # Named values of this type: (name, canonical value, declaration expression).
    vals = {}

    def val(key, v):
        """The name of a constant of this type holding v (declared on first use)."""
        if key is None:
            key = "P%d" % v if 0 <= v < 1 << 62 else "M%d" % -v if -(1 << 62) < v < 0 else None
        if key is None:
            key = {lo: "MIN", hi: "MAX"}.get(v) or ("NEAR%d" % ((1 << bits) - v) if v > 1 << 100 and not signed and (1 << bits) - v < 1 << 62 else None) or ("HALF%d" % (v - (1 << (bits - 1))))
        name = "%s_%s" % (T, key)
        if name not in vals:
            if bits <= 64:
                e = lit(wrap(v, 64, True))
            elif -(1 << 63) <= v < (1 << 63):
                e = lit(v)
            elif v == lo:
                e = "%s_ONE << %s_S127" % (T, T)
            elif v == hi and signed:
                e = "~(%s_ONE << %s_S127)" % (T, T)
            elif v == hi:
                e = "%s_ZERO - %s_ONE" % (T, T)
            elif key.startswith("NEAR"):
                e = "%s_ZERO - %s" % (T, val(None, (1 << bits) - v))
            elif key.startswith("HALF"):
                e = "(%s_ONE << %s_S127) | %s" % (T, T, val(None, v - (1 << 127)))
            else:
                raise ValueError(v)
            vals[name] = (v, e)
            consts.append("C %s: %s = %s" % (name, ty, e))
        return name

    if bits == 128:
        for k, v in [("ZERO", 0), ("ONE", 1), ("FIVE", 5), ("S127", 127), ("S64", 64)]:
            val(k, v)
    if signed:
        pairs = [(-100, 7), (lo, 3), (hi, -2), (-7, -100), (lo, lo), (100, -7)]
    else:
        pairs = [((1 << bits) - 100, 7), (hi, 3), (5, hi), ((1 << (bits - 1)) + 5, 2), (hi, hi)]
    shifts = [0, 1, 3, bits - 1, bits, bits + 5, (1 << bits) - 1 if not signed else -1]
    for i, (a, b) in enumerate(pairs):
        a, b = wrap(a, bits, signed), wrap(b, bits, signed)
        na, nb = val(None, a), val(None, b)
        for op in ARITH:
            r = arith(op, a, b, bits, signed)
            name = "%s_%d_%s" % (T, i, NAMES[op])
            consts.append("C %s: %s = %s %s %s" % (name, ty, na, op, nb))
            emit_int("%s %d %s %d" % (ty, a, op, b), name, "rt_%s(%s, %s)" % (NAMES[op], na, nb), ty, r, bits, "%s %s %s" % (na, op, nb))
        for op, f in CMP.items():
            name = "%s_%d_%s" % (T, i, NAMES[op])
            consts.append("C %s: bool = %s %s %s" % (name, na, op, nb))
            emit_bool("%s %d %s %d" % (ty, a, op, b), name, "rt_%s(%s, %s)" % (NAMES[op], na, nb), f(a, b), "%s %s %s" % (na, op, nb))
    base = wrap(-100, bits, signed)
    nbase = val(None, base)
    for s in shifts:
        s = wrap(s, bits, signed)
        ns = val(None, s)
        for op in ["<<", ">>"]:
            r = arith(op, base, s, bits, signed)
            name = "%s_S%s_%s" % (T, ns.split("_", 1)[1], NAMES[op])
            consts.append("C %s: %s = %s %s %s" % (name, ty, nbase, op, ns))
            emit_int("%s %d %s %d" % (ty, base, op, s), name, "rt_%s(%s, %s)" % (NAMES[op], nbase, ns), ty, r, bits, "%s %s %s" % (nbase, op, ns))
    for v in [7, lo if signed else hi]:
        n = val(None, v)
        key = n.split("_", 1)[1]
        for op, f, fname in [("-", lambda x: -x, "neg"), ("~", lambda x: ~x, "not")]:
            name = "%s_%s_%s" % (T, fname, key)
            consts.append("C %s: %s = %s%s" % (name, ty, op, n))
            emit_int("%s %s%d" % (ty, op, v), name, "rt_%s(%s)" % (fname, n), ty, wrap(f(v), bits, signed), bits, "%s%s" % (op, n))

# Conversions at a constant's declaration, and operands of different integer types (the right
# operand converts to the left one's type), against the same conversions at run time.
consts.append("C KA: u64 = 0 - 1")
mixed = [
    ("KA / 3", "u64", "KA_DIV3", "rt_div(KA, 3)", (1 << 64) // 3 * 1 - 0, 64),
    ("KA >> 60", "u64", "KA_SHR60", "rt_shr(KA, 60)", 15, 64),
    ("u8 300", "u8", None, None, 44, 8),
]
consts.append("C KA_DIV3: u64 = KA / 3")
body.append('    show("KA / 3", KA_DIV3, KA / 3)')
expect.append("KA / 3 6148914691236517205 6148914691236517205")
consts.append("C KA_SHR60: u64 = KA >> 60")
body.append('    show("KA >> 60", KA_SHR60, KA >> 60)')
expect.append("KA >> 60 15 15")
consts.append("C KA_GT5: bool = KA > 5")
body.append('    showb("KA > 5", KA_GT5, rt_gt(KA, 5))')
expect.append("KA > 5 1 1")
conv = [  # (declared type, source const type, source value, runtime converter)
    ("u8", "i64", 300), ("i8", "i64", 200), ("u32", "i8", -100), ("i16", "u64", (1 << 64) - 1),
    ("u64", "i32", -100), ("i64", "u32", (1 << 32) - 1), ("u16", "i16", -1), ("i32", "u16", 65535),
]
for i, (to, frm, v) in enumerate(conv):
    fb, fs = int(frm[1:]), frm[0] == "i"
    tb, ts = int(to[1:]), to[0] == "i"
    src = "CV_SRC_%d" % i
    consts.append("C %s: %s = %s" % (src, frm, lit(wrap(v, 64, True))))
    consts.append("C CV_%d: %s = %s" % (i, to, src))
    consts.append("F cv_%d(x: %s) -> %s = x" % (i, frm, to))
    r = wrap(wrap(v, fb, fs), tb, ts)
    emit_int("%s as %s" % (frm, to), "CV_%d" % i, "cv_%d(%s)" % (i, src), to, r, tb)
mix = [  # (lhs type, lhs value, op, rhs type, rhs value)
    ("u8", 156, "+", "i64", 300), ("i64", 300, "+", "u8", 156), ("i8", -100, "<", "i64", 200),
    ("u8", 1, "<<", "i64", 9), ("i16", -5, ">>", "u64", (1 << 64) - 1), ("u32", 7, "-", "i8", -1),
    ("i8", -128, "*", "i64", 255), ("u16", 65535, "/", "i32", -1),
]
for i, (lt, lv, op, rt, rv) in enumerate(mix):
    lb, ls = int(lt[1:]), lt[0] == "i"
    rb, rs = int(rt[1:]), rt[0] == "i"
    consts.append("C MX_L%d: %s = %s" % (i, lt, lit(wrap(lv, 64, True))))
    consts.append("C MX_R%d: %s = %s" % (i, rt, lit(wrap(rv, 64, True))))
    a, b = wrap(lv, lb, ls), wrap(wrap(rv, rb, rs), lb, ls)
    cmp = op in CMP
    out = "bool" if cmp else lt
    consts.append("C MX_%d: %s = MX_L%d %s MX_R%d" % (i, out, i, op, i))
    consts.append("F mx_%d(a: %s, b: %s) -> %s = a %s b" % (i, lt, rt, out, op))
    label = "%s %d %s %s %d" % (lt, a, op, rt, wrap(rv, rb, rs))
    if cmp:
        emit_bool(label, "MX_%d" % i, "mx_%d(MX_L%d, MX_R%d)" % (i, i, i), CMP[op](a, b), "MX_L%d %s MX_R%d" % (i, op, i))
    else:
        emit_int(label, "MX_%d" % i, "mx_%d(MX_L%d, MX_R%d)" % (i, i, i), lt, arith(op, a, b, lb, ls), lb, "MX_L%d %s MX_R%d" % (i, op, i))


# Floats at their own width.
def f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def fop(op, a, b, r):
    if op == "+": v = a + b
    elif op == "-": v = a - b
    elif op == "*": v = a * b
    elif op == "/": v = a / b if b != 0 else (math.copysign(math.inf, a) * math.copysign(1, b))
    elif op == "%": v = math.fmod(a, b)
    return r(v)


for ty, r, fmt in [("f64", lambda x: x, "%.17g"), ("f32", f32, "%.9g")]:
    T = ty.upper()
    fpairs = [("1.5", "0.1"), ("(0.0 - 7.25)", "2.0"), ("1.0e308", "10.0"), ("1.1", "3.3"), ("2.5", "0.0")]
    for i, (sa, sb) in enumerate(fpairs):
        a, b = r(eval(sa.replace("(", "").replace(")", ""))), r(float(sb))
        consts.append("C %s_A%d: %s = %s" % (T, i, ty, sa))
        consts.append("C %s_B%d: %s = %s" % (T, i, ty, sb))
        for op in ["+", "-", "*", "/", "%"]:
            if op == "%" and (b == 0 or math.isinf(a)):
                continue
            name = "%s_%d_%s" % (T, i, NAMES[op])
            consts.append("C %s: %s = %s_A%d %s %s_B%d" % (name, ty, T, i, op, T, i))
            body.append('    showf("%s %s %s", %s, rt_%s(%s_A%d, %s_B%d), %s_A%d %s %s_B%d)' % (ty, sa, op, name, NAMES[op], T, i, T, i, T, i, op, T, i))
            v = fop(op, a, b, r)
            s = fmt % v
            expect.append("%s %s %s %s %s %s" % (ty, sa, op, s, s, s))
        for op, f in CMP.items():
            name = "%s_%d_%s" % (T, i, NAMES[op])
            consts.append("C %s: bool = %s_A%d %s %s_B%d" % (name, T, i, op, T, i))
            emit_bool("%s %s %s %s" % (ty, sa, op, sb), name, "rt_%s(%s_A%d, %s_B%d)" % (NAMES[op], T, i, T, i), f(a, b), "%s_A%d %s %s_B%d" % (T, i, op, T, i))
    consts.append("C %s_NAN: %s = %s_ZERO / %s_ZERO" % (T, ty, T, T))
    consts.append("C %s_ZERO: %s = 0.0" % (T, ty))
    for op, f in CMP.items():
        name = "%s_NAN_%s" % (T, NAMES[op])
        consts.append("C %s: bool = %s_NAN %s %s_NAN" % (name, T, op, T))
        emit_bool("%s nan %s nan" % (ty, op), name, "rt_%s(%s_NAN, %s_NAN)" % (NAMES[op], T, T), op == "!=", "%s_NAN %s %s_NAN" % (T, op, T))
    consts.append("C %s_NEG: %s = -%s_A0" % (T, ty, T))
    body.append('    showf("%s -1.5", %s_NEG, rt_neg(%s_A0), -%s_A0)' % (ty, T, T, T))
    expect.append("%s -1.5 -1.5 -1.5 -1.5" % ty)

# Bools and strings; `&&`/`||` skip an operand that would trap, as at run time.
for i, (e, v) in enumerate([
    ("!BT", 0), ("BT == BF", 0), ("BT != BF", 1), ("BT && BF", 0), ("BT || BF", 1),
    ("BF && 1 / 0 == 0", 0), ("BT || 1 % 0 == 0", 1), ("SA == \"ab\"", 1), ("SA != \"ab\"", 0),
    ("SA == \"abc\"", 0), ("- - - 5 == 0 - 5", 1), ("~~7 == 7", 1), ("(1 + 2) * 3 == 9", 1),
]):
    consts.append("C BX_%d: bool = %s" % (i, e))
    body.append('    showb("bool %s", BX_%d, rt_id(%s))' % (e.replace('"', "'"), i, e))
    expect.append("bool %s %d %d" % (e.replace('"', "'"), v, v))
consts[:0] = ["C BT: bool = true", "C BF: bool = false", 'C SA: str = "ab"']

prelude = """# Generated by scripts/gen_const_fold.py: every operator at every type folded as a constant
# (first number), computed at run time by a generic function (second) and, where there is a
# third, written inline on the constants (the JIT sees literal operands and may fold them);
# the expected output comes from the generator's own model of the semantics.
F show(n: str, c: i64, r: i64) -> i64 { printf("%s %ld %ld\\n", n, c, r); 0 }
F show3(n: str, c: i64, r: i64, i: i64) -> i64 { printf("%s %ld %ld %ld\\n", n, c, r, i); 0 }
F show128<T>(n: str, c: T, r: T, s: T) -> i64 { printf("%s %lx %lx %lx %lx\\n", n, c >> s, c, r >> s, r); 0 }
F show128_3<T>(n: str, c: T, r: T, i: T, s: T) -> i64 { printf("%s %lx %lx %lx %lx %lx %lx\\n", n, c >> s, c, r >> s, r, i >> s, i); 0 }
F showb(n: str, c: bool, r: bool) -> i64 { printf("%s %d %d\\n", n, c, r); 0 }
F showb3(n: str, c: bool, r: bool, i: bool) -> i64 { printf("%s %d %d %d\\n", n, c, r, i); 0 }
F showf<T>(n: str, c: T, r: T, i: T) -> i64 { printf("%s %.17g %.17g %.17g\\n", n, c, r, i); 0 }
F showf32(n: str, c: f32, r: f32, i: f32) -> i64 { printf("%s %.9g %.9g %.9g\\n", n, c, r, i); 0 }
F rt_id<T>(x: T) -> T = x
"""
fns = []
for op in ARITH + ["<<", ">>"]:
    fns.append("F rt_%s<T>(a: T, b: T) -> T = a %s b" % (NAMES[op], op))
for op in CMP:
    fns.append("F rt_%s<T>(a: T, b: T) -> bool = a %s b" % (NAMES[op], op))
fns.append("F rt_neg<T>(a: T) -> T = -a")
fns.append("F rt_not<T>(a: T) -> T = ~a")
src = prelude + "\n".join(fns) + "\n" + "\n".join(consts) + "\nF main() -> i64 {\n" + "\n".join(body) + "\n    0\n}\n"
src = src.replace('showf("f32', 'showf32("f32')
open(os.path.join(ROOT, "const_fold.vais"), "w").write(src)
open(os.path.join(ROOT, "const_fold.stdout"), "w").write("\n".join(expect) + "\n")
open(os.path.join(ROOT, "const_fold.exit"), "w").write("0\n")
