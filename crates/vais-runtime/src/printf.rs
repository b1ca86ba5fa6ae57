//! C `printf` formatting, implemented in Rust.
//!
//! Cranelift cannot make C varargs calls (floats would need `%al` set on x86-64), so Vais
//! `printf(fmt, args...)` is lowered to a call of [`crate::io::vais_printf`] with the
//! arguments spilled into 8-byte slots plus a parallel array of argument *kinds*. This module
//! turns the format and those slots into bytes, following glibc's output for every supported
//! conversion (`%d %i %u %x %X %o %c %s %f %F %e %E %g %G %p %% %n`), flags (`- + space # 0`),
//! width, precision, `*` width/precision taken from the arguments, and length modifiers
//! (`hh h l ll z j t L q`).
//!
//! Deliberate differences from C (Vais has no `int`; every integer is passed widened to 64
//! bits, already sign- or zero-extended from its Vais type):
//! * `%d`/`%i`/`%u`/`%x`/`%X`/`%o` with no length modifier, or with `l`/`ll`/`z`/`j`/`t`,
//!   use the full 64-bit value (C would read a 32-bit `int` when there is no modifier). `hh`
//!   and `h` truncate to 8 and 16 bits like C.
//! * A float argument (kind 2) given to an integer conversion is converted numerically
//!   (truncated toward zero); an integer argument given to `%f`/`%e`/`%g` is converted to
//!   `f64`. C would print garbage in both cases.
//! * A missing argument reads as 0 (so `%s` with a missing argument prints `(null)`).
//! * `%n` consumes its argument and writes nothing.
//! * An unknown conversion is copied to the output as written; `%a`/`%A` print like `%e`/`%E`.

/// Argument kind: signed integer, already sign-extended to 64 bits.
pub const KIND_SIGNED: u8 = 0;
/// Argument kind: unsigned integer, zero-extended to 64 bits.
pub const KIND_UNSIGNED: u8 = 1;
/// Argument kind: the bits of an `f64`.
pub const KIND_F64: u8 = 2;
/// Argument kind: an address (a `str` or a pointer).
pub const KIND_PTR: u8 = 3;

#[derive(Default, Clone, Copy)]
struct Spec {
    left: bool,
    plus: bool,
    space: bool,
    alt: bool,
    zero: bool,
    width: usize,
    precision: Option<usize>,
}

/// The sign a signed conversion prints: `-` for negatives, else `+` or ` ` per the flags.
fn sign_prefix(negative: bool, spec: &Spec) -> &'static [u8] {
    if negative {
        b"-"
    } else if spec.plus {
        b"+"
    } else if spec.space {
        b" "
    } else {
        b""
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Len {
    None,
    Hh,
    H,
    Long,
}

struct Args<'a> {
    args: &'a [(u8, u64)],
    next: usize,
}

impl Args<'_> {
    fn next(&mut self) -> (u8, u64) {
        let a = self.args.get(self.next).copied().unwrap_or((KIND_SIGNED, 0));
        self.next += 1;
        a
    }
    fn next_i64(&mut self) -> i64 {
        let (k, v) = self.next();
        as_i64(k, v)
    }
}

fn as_i64(kind: u8, v: u64) -> i64 {
    if kind == KIND_F64 {
        let x = f64::from_bits(v);
        // `as` saturates and maps NaN to 0, which is what we want here.
        x as i64
    } else {
        v as i64
    }
}

fn as_f64(kind: u8, v: u64) -> f64 {
    match kind {
        KIND_F64 => f64::from_bits(v),
        KIND_UNSIGNED | KIND_PTR => v as f64,
        _ => (v as i64) as f64,
    }
}

/// Reads a NUL-terminated string at `addr`, at most `max` bytes.
///
/// # Safety
/// `addr` must be 0 or point at readable bytes up to a NUL or `max` bytes.
unsafe fn read_cstr(addr: u64, max: Option<usize>) -> Vec<u8> {
    let p = addr as usize as *const u8;
    let mut out = Vec::new();
    let limit = max.unwrap_or(usize::MAX);
    while out.len() < limit {
        // SAFETY: the caller guarantees readability up to the NUL / limit.
        let b = unsafe { *p.add(out.len()) };
        if b == 0 {
            break;
        }
        out.push(b);
    }
    out
}

/// Formats `fmt` with `args` (pairs of kind and 8-byte slot) with C `printf` semantics.
///
/// `%s` (and `%p`-like reads) dereference the given addresses: a wrong address faults, which
/// the fault handling of [`crate::faults::run_protected`] reports as an invalid memory access.
pub fn format_printf(fmt: &[u8], args: &[(u8, u64)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(fmt.len() + 16);
    let mut args = Args { args, next: 0 };
    let mut i = 0;
    while i < fmt.len() {
        let c = fmt[i];
        if c != b'%' {
            // Copy the run of literal bytes.
            let start = i;
            while i < fmt.len() && fmt[i] != b'%' {
                i += 1;
            }
            out.extend_from_slice(&fmt[start..i]);
            continue;
        }
        let spec_start = i;
        i += 1;
        let mut spec = Spec::default();
        // Flags.
        while i < fmt.len() {
            match fmt[i] {
                b'-' => spec.left = true,
                b'+' => spec.plus = true,
                b' ' => spec.space = true,
                b'#' => spec.alt = true,
                b'0' => spec.zero = true,
                _ => break,
            }
            i += 1;
        }
        // Width.
        if i < fmt.len() && fmt[i] == b'*' {
            i += 1;
            let w = args.next_i64();
            if w < 0 {
                spec.left = true;
                spec.width = w.unsigned_abs().min(1 << 20) as usize;
            } else {
                spec.width = (w as u64).min(1 << 20) as usize;
            }
        } else {
            let mut w: usize = 0;
            while i < fmt.len() && fmt[i].is_ascii_digit() {
                w = (w * 10 + (fmt[i] - b'0') as usize).min(1 << 20);
                i += 1;
            }
            spec.width = w;
        }
        // Precision.
        if i < fmt.len() && fmt[i] == b'.' {
            i += 1;
            if i < fmt.len() && fmt[i] == b'*' {
                i += 1;
                let p = args.next_i64();
                spec.precision = if p < 0 { None } else { Some((p as u64).min(1 << 20) as usize) };
            } else {
                let mut p: usize = 0;
                while i < fmt.len() && fmt[i].is_ascii_digit() {
                    p = (p * 10 + (fmt[i] - b'0') as usize).min(1 << 20);
                    i += 1;
                }
                spec.precision = Some(p);
            }
        }
        // Length modifiers.
        let mut len = Len::None;
        while i < fmt.len() {
            match fmt[i] {
                b'h' => {
                    len = if len == Len::H { Len::Hh } else { Len::H };
                }
                b'l' | b'z' | b'j' | b't' | b'L' | b'q' => len = Len::Long,
                _ => break,
            }
            i += 1;
        }
        if i >= fmt.len() {
            // Incomplete specification at the end: print it as written.
            out.extend_from_slice(&fmt[spec_start..]);
            break;
        }
        let conv = fmt[i];
        i += 1;
        match conv {
            b'%' => out.push(b'%'),
            b'd' | b'i' => {
                let v = args.next_i64();
                let v = match len {
                    Len::Hh => v as i8 as i64,
                    Len::H => v as i16 as i64,
                    _ => v,
                };
                let sign = sign_prefix(v < 0, &spec);
                let digits = v.unsigned_abs().to_string().into_bytes();
                emit_int(&mut out, &spec, sign, b"", digits, v == 0, false);
            }
            b'u' | b'x' | b'X' | b'o' => {
                let v = args.next_i64() as u64;
                let v = match len {
                    Len::Hh => v as u8 as u64,
                    Len::H => v as u16 as u64,
                    _ => v,
                };
                let digits = match conv {
                    b'u' => v.to_string().into_bytes(),
                    b'x' => format!("{v:x}").into_bytes(),
                    b'X' => format!("{v:X}").into_bytes(),
                    _ => format!("{v:o}").into_bytes(),
                };
                let prefix: &[u8] = match conv {
                    b'x' if spec.alt && v != 0 => b"0x",
                    b'X' if spec.alt && v != 0 => b"0X",
                    _ => b"",
                };
                let alt_octal = conv == b'o' && spec.alt;
                emit_int(&mut out, &spec, b"", prefix, digits, v == 0, alt_octal);
            }
            b'c' => {
                let v = args.next_i64();
                let body = [v as u8];
                pad(&mut out, &spec, &body, false);
            }
            b's' => {
                let (_, v) = args.next();
                let body = if v == 0 {
                    // glibc prints "(null)" unless the precision is too small for it.
                    if spec.precision.is_none_or(|p| p >= 6) {
                        b"(null)".to_vec()
                    } else {
                        Vec::new()
                    }
                } else {
                    // SAFETY: a `%s` argument is the address of a NUL-terminated string, as in
                    // C; a bad address faults and is contained by `run_protected`.
                    unsafe { read_cstr(v, spec.precision) }
                };
                pad(&mut out, &spec, &body, false);
            }
            b'p' => {
                let (_, v) = args.next();
                let body = if v == 0 {
                    b"(nil)".to_vec()
                } else {
                    let mut s = format!("{v:x}");
                    if let Some(p) = spec.precision {
                        while s.len() < p {
                            s.insert(0, '0');
                        }
                    }
                    let sign = if spec.plus {
                        "+"
                    } else if spec.space {
                        " "
                    } else {
                        ""
                    };
                    format!("{sign}0x{s}").into_bytes()
                };
                pad(&mut out, &spec, &body, false);
            }
            b'n' => {
                let _ = args.next();
            }
            b'f' | b'F' | b'e' | b'E' | b'g' | b'G' | b'a' | b'A' => {
                let (k, v) = args.next();
                let x = as_f64(k, v);
                let conv = match conv {
                    b'a' => b'e',
                    b'A' => b'E',
                    c => c,
                };
                format_float(&mut out, &spec, conv, x);
            }
            _ => {
                // Unknown conversion: print the specification unchanged.
                out.extend_from_slice(&fmt[spec_start..i]);
            }
        }
    }
    out
}

/// Pads `body` to the width with spaces (left or right). `zero_ok` is unused for non-numeric.
fn pad(out: &mut Vec<u8>, spec: &Spec, body: &[u8], _zero_ok: bool) {
    let fill = spec.width.saturating_sub(body.len());
    if !spec.left {
        out.extend(std::iter::repeat_n(b' ', fill));
    }
    out.extend_from_slice(body);
    if spec.left {
        out.extend(std::iter::repeat_n(b' ', fill));
    }
}

/// Emits an integer: sign, prefix, precision zeros, digits, padded to the width.
fn emit_int(
    out: &mut Vec<u8>,
    spec: &Spec,
    sign: &[u8],
    prefix: &[u8],
    digits: Vec<u8>,
    is_zero: bool,
    alt_octal: bool,
) {
    let mut digits = digits;
    if let Some(p) = spec.precision {
        if p == 0 && is_zero {
            digits.clear();
        }
        if digits.len() < p {
            let mut d = vec![b'0'; p - digits.len()];
            d.extend_from_slice(&digits);
            digits = d;
        }
    }
    // `#o` forces the first digit to be a zero.
    if alt_octal && digits.first() != Some(&b'0') {
        digits.insert(0, b'0');
    }
    let body_len = sign.len() + prefix.len() + digits.len();
    let fill = spec.width.saturating_sub(body_len);
    // The 0 flag is ignored with `-` or when a precision is given.
    let zero_pad = spec.zero && !spec.left && spec.precision.is_none();
    if !spec.left && !zero_pad {
        out.extend(std::iter::repeat_n(b' ', fill));
    }
    out.extend_from_slice(sign);
    out.extend_from_slice(prefix);
    if zero_pad {
        out.extend(std::iter::repeat_n(b'0', fill));
    }
    out.extend_from_slice(&digits);
    if spec.left {
        out.extend(std::iter::repeat_n(b' ', fill));
    }
}

/// Splits Rust's `{:.*e}` output ("1.5e-7") into mantissa and exponent.
fn rust_exp(x: f64, prec: usize) -> (String, i32) {
    let s = format!("{:.*e}", prec, x);
    let (m, e) = s.split_once('e').expect("exponent form");
    (m.to_string(), e.parse().expect("exponent"))
}

fn c_exp_suffix(e: i32, upper: bool) -> String {
    let sign = if e < 0 { '-' } else { '+' };
    let mark = if upper { 'E' } else { 'e' };
    format!("{mark}{sign}{:02}", e.unsigned_abs())
}

/// Formats `x` (non-negative, finite) for %f/%e/%g without sign; returns the body.
fn float_body(spec: &Spec, conv: u8, x: f64) -> String {
    let upper = conv.is_ascii_uppercase();
    let prec = spec.precision.unwrap_or(6);
    match conv.to_ascii_lowercase() {
        b'f' => {
            let mut s = format!("{:.*}", prec, x);
            if spec.alt && prec == 0 {
                s.push('.');
            }
            s
        }
        b'e' => {
            let (mut m, e) = rust_exp(x, prec);
            if spec.alt && prec == 0 {
                m.push('.');
            }
            m + &c_exp_suffix(e, upper)
        }
        _ => {
            // %g: P significant digits; style decided by the exponent after rounding.
            let p = if prec == 0 { 1 } else { prec };
            let (m, e) = rust_exp(x, p - 1);
            let mut s = if e < -4 || e >= p as i32 {
                m
            } else {
                format!("{:.*}", (p as i32 - 1 - e) as usize, x)
            };
            if !spec.alt {
                if s.contains('.') {
                    while s.ends_with('0') {
                        s.pop();
                    }
                    if s.ends_with('.') {
                        s.pop();
                    }
                }
            } else if !s.contains('.') {
                s.push('.');
            }
            if e < -4 || e >= p as i32 {
                s += &c_exp_suffix(e, upper);
            }
            s
        }
    }
}

fn format_float(out: &mut Vec<u8>, spec: &Spec, conv: u8, x: f64) {
    let upper = conv.is_ascii_uppercase();
    let neg = x.is_sign_negative();
    let sign = sign_prefix(neg, spec);
    if !x.is_finite() {
        let body: &[u8] = match (x.is_nan(), upper) {
            (true, false) => b"nan",
            (true, true) => b"NAN",
            (false, false) => b"inf",
            (false, true) => b"INF",
        };
        let mut full = sign.to_vec();
        full.extend_from_slice(body);
        // The 0 flag does not apply to infinities and NaNs.
        pad(out, spec, &full, false);
        return;
    }
    let body = float_body(spec, conv, x.abs());
    let fill = spec.width.saturating_sub(sign.len() + body.len());
    let zero_pad = spec.zero && !spec.left;
    if !spec.left && !zero_pad {
        out.extend(std::iter::repeat_n(b' ', fill));
    }
    out.extend_from_slice(sign);
    if zero_pad {
        out.extend(std::iter::repeat_n(b'0', fill));
    }
    out.extend_from_slice(body.as_bytes());
    if spec.left {
        out.extend(std::iter::repeat_n(b' ', fill));
    }
}

#[cfg(test)]
mod tests {
    //! Expected strings were produced by glibc's printf (gcc, x86-64) and are hard-coded.
    #![allow(clippy::approx_constant)]
    use super::*;

    fn s(v: &str) -> (u8, u64) {
        // Leak a NUL-terminated copy; fine in tests.
        let mut b = v.as_bytes().to_vec();
        b.push(0);
        let p = Box::leak(b.into_boxed_slice()).as_ptr();
        (KIND_PTR, p as u64)
    }
    fn i(v: i64) -> (u8, u64) {
        (KIND_SIGNED, v as u64)
    }
    fn u(v: u64) -> (u8, u64) {
        (KIND_UNSIGNED, v)
    }
    fn f(v: f64) -> (u8, u64) {
        (KIND_F64, v.to_bits())
    }
    fn p(fmt: &str, args: &[(u8, u64)]) -> String {
        String::from_utf8(format_printf(fmt.as_bytes(), args)).unwrap()
    }

    #[test]
    fn floats_g_and_rounding() {
        assert_eq!(
            p(
                "[%.0f][%.0f][%.0f][%g][%g][%g][%g][%g][%#g][%e][%.3e][%G][%g][%g]",
                &[
                    f(0.5),
                    f(1.5),
                    f(2.5),
                    f(100000.0),
                    f(1000000.0),
                    f(0.0001),
                    f(0.00001),
                    f(123456789.0),
                    f(1.0),
                    f(0.0),
                    f(-1234.5678),
                    f(1e-10),
                    f(1e100),
                    f(0.1)
                ]
            ),
            "[0][2][2][100000][1e+06][0.0001][1e-05][1.23457e+08][1.00000][0.000000e+00][-1.235e+03][1E-10][1e+100][0.1]"
        );
    }

    #[test]
    fn ints_strings_pointers() {
        assert_eq!(
            p(
                "[%5d][%-5d][%05d][%+d][% d][%.3d][%8.3d][%x][%#x][%#o][%X][%c][%5s][%-5s][%.2s][%p][%p][%%]",
                &[
                    i(42),
                    i(42),
                    i(42),
                    i(42),
                    i(42),
                    i(7),
                    i(7),
                    i(255),
                    i(255),
                    i(8),
                    i(255),
                    i(65),
                    s("ab"),
                    s("ab"),
                    s("abcdef"),
                    (KIND_PTR, 0),
                    (KIND_PTR, 0x10)
                ]
            ),
            "[   42][42   ][00042][+42][ 42][007][     007][ff][0xff][010][FF][A][   ab][ab   ][ab][(nil)][0x10][%]"
        );
    }

    #[test]
    fn inf_nan_and_float_flags() {
        let neg_nan = f64::from_bits(f64::NAN.to_bits() | (1 << 63));
        assert_eq!(
            p(
                "[%f][%F][%e][%E][%g][%G][%5.1f][%-8.2e][%+.2f][%08.3f][%#.0f][%#.0e][%.0e]",
                &[
                    f(f64::INFINITY),
                    f(f64::NEG_INFINITY),
                    f(neg_nan),
                    f(f64::INFINITY),
                    f(neg_nan),
                    f(f64::INFINITY),
                    f(3.14159),
                    f(31415.9),
                    f(2.0),
                    f(-3.14159),
                    f(3.0),
                    f(3.0),
                    f(15.0)
                ]
            ),
            "[inf][-INF][-nan][INF][-nan][INF][  3.1][3.14e+04][+2.00][-003.142][3.][3.e+00][2e+01]"
        );
        assert_eq!(p("%f|%5f|%05F", &[f(f64::NAN), f(f64::NAN), f(f64::INFINITY)]), "nan|  nan|  INF");
    }

    #[test]
    fn precision_zero_and_lengths() {
        assert_eq!(
            p(
                "[%.0d][%#.0o][%#x][%hhd][%hd][%hhu][%lu][%ld][%lld][%.10g][%.1g][%.0g][%g][%#.3g][%10.4g][%-10g|]",
                &[
                    i(0),
                    i(0),
                    i(0),
                    i(300),
                    i(70000),
                    i(300),
                    i(-1),
                    i(i64::MIN),
                    i(123),
                    f(1.0 / 3.0),
                    f(0.05),
                    f(0.5),
                    f(-0.0),
                    f(100.0),
                    f(3.14159265),
                    f(2.5)
                ]
            ),
            "[][0][0][44][4464][44][18446744073709551615][-9223372036854775808][123][0.3333333333][0.05][0.5][-0][100.][     3.142][2.5       |]"
        );
    }

    #[test]
    fn padding_combinations() {
        assert_eq!(
            p(
                "[%08d][%-08d][%+05d][% 05d][%08x][%#08x][%.5x][%o][%i][%5c][%-3c|][%s][%.8s][%10.3s][%08s]",
                &[
                    i(-42),
                    i(-42),
                    i(42),
                    i(42),
                    i(255),
                    i(255),
                    i(255),
                    i(64),
                    i(-7),
                    i(b'z' as i64),
                    i(b'y' as i64),
                    s("hello"),
                    (KIND_PTR, 0),
                    s("hello"),
                    s("hi")
                ]
            ),
            "[-0000042][-42     ][+0042][ 0042][000000ff][0x0000ff][000ff][100][-7][    z][y  |][hello][(null)][       hel][      hi]"
        );
    }

    #[test]
    fn float_edge_cases() {
        assert_eq!(
            p(
                "[%g][%g][%g][%g][%g][%.3g][%.15g][%.17g][%e][%f][%.20f]",
                &[
                    f(1e-5),
                    f(123456.0),
                    f(1234567.0),
                    f(9.9999949),
                    f(0.00009999996),
                    f(999.5),
                    f(0.1),
                    f(0.1),
                    f(1e300),
                    f(1e20),
                    f(0.1)
                ]
            ),
            "[1e-05][123456][1.23457e+06][9.99999][0.0001][1e+03][0.1][0.10000000000000001][1.000000e+300][100000000000000000000.000000][0.10000000000000000555]"
        );
    }

    #[test]
    fn star_width_precision_and_missing_args() {
        assert_eq!(p("[%*d][%-*d][%.*f][%*.*f]", &[i(5), i(1), i(-4), i(2), i(3), f(3.14159), i(8), i(2), f(2.5)]), "[    1][2   ][3.142][    2.50]");
        // Negative precision through `*` means "no precision".
        assert_eq!(p("[%.*f]", &[i(-1), f(1.5)]), "[1.500000]");
        // Missing arguments read as zero.
        assert_eq!(p("[%d][%s][%f]", &[]), "[0][(null)][0.000000]");
        assert_eq!(p("100%% sure", &[]), "100% sure");
        assert_eq!(p("abc%", &[]), "abc%");
        assert_eq!(p("%y", &[]), "%y");
    }

    #[test]
    fn kinds_convert() {
        assert_eq!(p("%d %f %u %x", &[f(3.9), i(2), u(u64::MAX), i(-1)]), "3 2.000000 18446744073709551615 ffffffffffffffff");
        assert_eq!(p("%ld %lld %zu %c", &[i(-5), i(6), u(7), i(321)]), "-5 6 7 A");
        assert_eq!(p("%5.3s|", &[s("abcdef")]), "  abc|");
    }
}
