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
//!
//! As in glibc, widths and precisions up to `INT_MAX` work (the output is streamed in chunks,
//! and float digits past the exact value are zeros, so they cost no memory), and a larger one
//! stops formatting with [`Overflow`] (`printf` then returns -1, C's `EOVERFLOW`). Nothing a
//! program passes makes this module panic.

/// The kind byte of each `vais_printf` argument: the contract between the code generator (which
/// stores one per 8-byte argument slot) and the formatter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ArgKind {
    /// A signed integer, already sign-extended to 64 bits.
    Signed = 0,
    /// An unsigned integer (or `bool`), zero-extended to 64 bits.
    Unsigned = 1,
    /// The bits of an `f64` (an `f32` is promoted first).
    F64 = 2,
    /// An address (a `str` or a pointer).
    Ptr = 3,
}

/// Argument kind: signed integer, already sign-extended to 64 bits.
pub const KIND_SIGNED: u8 = ArgKind::Signed as u8;
/// Argument kind: unsigned integer, zero-extended to 64 bits.
pub const KIND_UNSIGNED: u8 = ArgKind::Unsigned as u8;
/// Argument kind: the bits of an `f64`.
pub const KIND_F64: u8 = ArgKind::F64 as u8;
/// Argument kind: an address (a `str` or a pointer).
pub const KIND_PTR: u8 = ArgKind::Ptr as u8;

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

/// Largest field width or precision C accepts (`INT_MAX`); a larger one makes glibc's
/// `printf` stop with `EOVERFLOW` (the text before it is written, the call returns -1).
const MAX_FIELD: u64 = i32::MAX as u64;

/// A width or precision above [`MAX_FIELD`]: formatting stopped there (C's `EOVERFLOW`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overflow;

/// Formatted bytes are buffered here and handed to the sink in chunks, so a huge width or
/// precision (up to `INT_MAX`, as in C) streams out instead of being built in memory.
struct Out<'a> {
    buf: Vec<u8>,
    sink: &'a mut dyn FnMut(&[u8]),
    total: u64,
}

/// Buffered bytes that trigger a hand-over to the sink.
const CHUNK: usize = 64 * 1024;

impl Out<'_> {
    fn flush(&mut self) {
        if !self.buf.is_empty() {
            (self.sink)(&self.buf);
            self.buf.clear();
        }
    }
    fn push(&mut self, b: u8) {
        self.extend(&[b]);
    }
    fn extend(&mut self, bytes: &[u8]) {
        self.total += bytes.len() as u64;
        if self.buf.len() + bytes.len() > CHUNK {
            self.flush();
            if bytes.len() > CHUNK {
                (self.sink)(bytes);
                return;
            }
        }
        self.buf.extend_from_slice(bytes);
    }
    /// `n` copies of `b`.
    fn fill(&mut self, b: u8, n: usize) {
        let chunk = [b; 4096];
        let mut left = n;
        while left > 0 {
            let k = left.min(chunk.len());
            self.extend(&chunk[..k]);
            left -= k;
        }
    }
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
        self.next = self.next.saturating_add(1);
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

/// A decimal field (width or precision) written in the format: digits at `fmt[*i..]`.
fn read_number(fmt: &[u8], i: &mut usize) -> u64 {
    let mut n: u64 = 0;
    while *i < fmt.len() && fmt[*i].is_ascii_digit() {
        n = n.saturating_mul(10).saturating_add((fmt[*i] - b'0') as u64);
        *i += 1;
    }
    n
}

/// Formats `fmt` with `args` (pairs of kind and 8-byte slot) with C `printf` semantics.
/// A width or precision above `INT_MAX` stops formatting there (see [`format_printf_to`]).
///
/// `%s` (and `%p`-like reads) dereference the given addresses: a wrong address faults, which
/// the fault handling of [`crate::faults::run_protected`] reports as an invalid memory access.
pub fn format_printf(fmt: &[u8], args: &[(u8, u64)]) -> Vec<u8> {
    let mut text = Vec::with_capacity(fmt.len() + 16);
    let _ = format_printf_to(fmt, args, &mut |b: &[u8]| text.extend_from_slice(b));
    text
}

/// Formats `fmt` with `args` into `sink` (called with chunks of at most 64 KiB, in order) and
/// returns the number of bytes produced. As in glibc, a width or precision above `INT_MAX`
/// (written in the format or taken from a `*` argument) ends formatting there with
/// `Err(Overflow)`; the text before it has been produced. Never panics, whatever the format
/// and arguments.
pub fn format_printf_to(fmt: &[u8], args: &[(u8, u64)], sink: &mut dyn FnMut(&[u8])) -> Result<u64, Overflow> {
    let mut out = Out { buf: Vec::with_capacity(fmt.len().min(CHUNK) + 16), sink, total: 0 };
    let r = format_into(fmt, args, &mut out);
    out.flush();
    r.map(|()| out.total)
}

fn format_into(fmt: &[u8], args: &[(u8, u64)], out: &mut Out<'_>) -> Result<(), Overflow> {
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
            out.extend(&fmt[start..i]);
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
            }
            let w = w.unsigned_abs();
            if w > MAX_FIELD {
                return Err(Overflow);
            }
            spec.width = w as usize;
        } else {
            let w = read_number(fmt, &mut i);
            if w > MAX_FIELD {
                return Err(Overflow);
            }
            spec.width = w as usize;
        }
        // Precision.
        if i < fmt.len() && fmt[i] == b'.' {
            i += 1;
            if i < fmt.len() && fmt[i] == b'*' {
                i += 1;
                let p = args.next_i64();
                if p > MAX_FIELD as i64 {
                    return Err(Overflow);
                }
                spec.precision = if p < 0 { None } else { Some(p as usize) };
            } else {
                let p = read_number(fmt, &mut i);
                if p > MAX_FIELD {
                    return Err(Overflow);
                }
                spec.precision = Some(p as usize);
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
            out.extend(&fmt[spec_start..]);
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
                emit_int(out, &spec, sign, b"", &digits, v == 0, false);
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
                emit_int(out, &spec, b"", prefix, &digits, v == 0, alt_octal);
            }
            b'c' => {
                let v = args.next_i64();
                let body = [v as u8];
                pad(out, &spec, &body);
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
                pad(out, &spec, &body);
            }
            b'p' => {
                let (_, v) = args.next();
                if v == 0 {
                    pad(out, &spec, b"(nil)");
                } else {
                    let digits = format!("{v:x}").into_bytes();
                    let sign: &[u8] = if spec.plus {
                        b"+"
                    } else if spec.space {
                        b" "
                    } else {
                        b""
                    };
                    // `%p` is padded with spaces only, like a string.
                    let p = Spec { zero: false, ..spec };
                    emit_int(out, &p, sign, b"0x", &digits, false, false);
                }
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
                format_float(out, &spec, conv, x);
            }
            _ => {
                // Unknown conversion: print the specification unchanged.
                out.extend(&fmt[spec_start..i]);
            }
        }
    }
    Ok(())
}

/// Pads `body` to the width with spaces (left or right).
fn pad(out: &mut Out<'_>, spec: &Spec, body: &[u8]) {
    let fill = spec.width.saturating_sub(body.len());
    if !spec.left {
        out.fill(b' ', fill);
    }
    out.extend(body);
    if spec.left {
        out.fill(b' ', fill);
    }
}

/// Emits an integer: sign, prefix, precision zeros, digits, padded to the width.
fn emit_int(out: &mut Out<'_>, spec: &Spec, sign: &[u8], prefix: &[u8], digits: &[u8], is_zero: bool, alt_octal: bool) {
    let mut digits = digits;
    let mut prec_zeros = 0;
    if let Some(p) = spec.precision {
        if p == 0 && is_zero {
            digits = b"";
        }
        prec_zeros = p.saturating_sub(digits.len());
    }
    // `#o` forces the first digit to be a zero.
    if alt_octal && prec_zeros == 0 && digits.first() != Some(&b'0') {
        prec_zeros = 1;
    }
    let body_len = (sign.len() + prefix.len() + digits.len()).saturating_add(prec_zeros);
    let fill = spec.width.saturating_sub(body_len);
    // The 0 flag is ignored with `-` or when a precision is given.
    let zero_pad = spec.zero && !spec.left && spec.precision.is_none();
    if !spec.left && !zero_pad {
        out.fill(b' ', fill);
    }
    out.extend(sign);
    out.extend(prefix);
    if zero_pad {
        out.fill(b'0', fill);
    }
    out.fill(b'0', prec_zeros);
    out.extend(digits);
    if spec.left {
        out.fill(b' ', fill);
    }
}

/// Fraction digits beyond which `%f` of any `f64` is all zeros (2^-1074 has 1074).
const FIXED_EXACT: usize = 1100;
/// Significant digits beyond which `%e` of any `f64` is all zeros (at most 767 are non-zero).
const EXP_EXACT: usize = 800;

/// Splits Rust's `{:.*e}` output ("1.5e-7") into mantissa and exponent; `prec` at most
/// [`EXP_EXACT`] (Rust's formatter takes precisions up to 65535 only).
fn rust_exp(x: f64, prec: usize) -> (String, i32) {
    let s = format!("{:.*e}", prec.min(EXP_EXACT), x);
    match s.split_once('e') {
        Some((m, e)) => (m.to_string(), e.parse().unwrap_or(0)),
        None => (s, 0),
    }
}

fn c_exp_suffix(e: i32, upper: bool) -> String {
    let sign = if e < 0 { '-' } else { '+' };
    let mark = if upper { 'E' } else { 'e' };
    format!("{mark}{sign}{:02}", e.unsigned_abs())
}

/// The text of a float conversion: `head`, then `zeros` zero digits, then `tail` (digits past
/// what an `f64` can hold are zeros, so a precision of millions costs no memory).
struct FloatBody {
    head: String,
    zeros: usize,
    tail: String,
}

impl FloatBody {
    fn len(&self) -> usize {
        (self.head.len() + self.tail.len()).saturating_add(self.zeros)
    }
}

/// `x` with `prec` fraction digits (`%f`), as head and trailing zeros.
fn fixed(x: f64, prec: usize) -> (String, usize) {
    let exact = prec.min(FIXED_EXACT);
    (format!("{:.*}", exact, x), prec - exact)
}

/// Formats `x` (non-negative, finite) for %f/%e/%g without sign.
fn float_body(spec: &Spec, conv: u8, x: f64) -> FloatBody {
    let upper = conv.is_ascii_uppercase();
    let prec = spec.precision.unwrap_or(6);
    match conv.to_ascii_lowercase() {
        b'f' => {
            let (mut head, zeros) = fixed(x, prec);
            if spec.alt && prec == 0 {
                head.push('.');
            }
            FloatBody { head, zeros, tail: String::new() }
        }
        b'e' => {
            let (mut m, e) = rust_exp(x, prec);
            if spec.alt && prec == 0 {
                m.push('.');
            }
            FloatBody { head: m, zeros: prec.saturating_sub(EXP_EXACT), tail: c_exp_suffix(e, upper) }
        }
        _ => {
            // %g: P significant digits; style decided by the exponent after rounding.
            let p = if prec == 0 { 1 } else { prec };
            let (m, e) = rust_exp(x, p - 1);
            let exp_style = e < -4 || e as i64 >= p as i64;
            let (mut s, mut zeros) = if exp_style {
                (m, (p - 1).saturating_sub(EXP_EXACT))
            } else {
                // -4 <= e < p here, so the fraction digits are at most p + 3.
                fixed(x, (p as i64 - 1 - e as i64) as usize)
            };
            if !spec.alt {
                zeros = 0;
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
            let tail = if exp_style { c_exp_suffix(e, upper) } else { String::new() };
            FloatBody { head: s, zeros, tail }
        }
    }
}

fn format_float(out: &mut Out<'_>, spec: &Spec, conv: u8, x: f64) {
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
        pad(out, spec, &full);
        return;
    }
    let body = float_body(spec, conv, x.abs());
    let fill = spec.width.saturating_sub(body.len().saturating_add(sign.len()));
    let zero_pad = spec.zero && !spec.left;
    if !spec.left && !zero_pad {
        out.fill(b' ', fill);
    }
    out.extend(sign);
    if zero_pad {
        out.fill(b'0', fill);
    }
    out.extend(body.head.as_bytes());
    out.fill(b'0', body.zeros);
    out.extend(body.tail.as_bytes());
    if spec.left {
        out.fill(b' ', fill);
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

    /// glibc's own `snprintf` of one float or integer argument.
    fn c_format(fmt: &str, arg: (u8, u64)) -> String {
        let f = std::ffi::CString::new(fmt).unwrap();
        let call = |buf: *mut libc::c_char, len: usize| -> i32 {
            // SAFETY: `f` is a NUL-terminated format with exactly one conversion matching
            // the argument's type; `buf` has room for `len` bytes (or is null with len 0).
            unsafe {
                if arg.0 == KIND_F64 {
                    libc::snprintf(buf, len, f.as_ptr(), f64::from_bits(arg.1))
                } else {
                    libc::snprintf(buf, len, f.as_ptr(), arg.1 as i64)
                }
            }
        };
        let n = call(std::ptr::null_mut(), 0);
        assert!(n >= 0, "{fmt}");
        let mut buf = vec![0u8; n as usize + 1];
        call(buf.as_mut_ptr() as *mut libc::c_char, buf.len());
        buf.truncate(n as usize);
        String::from_utf8(buf).unwrap()
    }

    /// Compares long texts, reporting the first difference instead of both texts.
    fn same(a: &str, b: &str, what: &str) {
        if a != b {
            let at = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
            let near = |t: &str| t.get(at.saturating_sub(20)..(at + 20).min(t.len())).unwrap_or("").to_string();
            panic!("{what}: lengths {} and {}, first difference at {at}: {:?} vs {:?}", a.len(), b.len(), near(a), near(b));
        }
    }

    #[test]
    fn huge_widths_and_precisions_match_glibc() {
        // Rust's formatter panics above 65535; these used to abort the process.
        let floats = [1.0, 0.1, -2.5, 5e-324, 1e300, 123.456, 0.0, 1e-300];
        let formats = [
            "%.65536f", "%.1100f", "%.2000e", "%.900g", "%#.900g", "%#.70000g", "%.70000G", "%70000.3f",
            "%-70000.3e|", "%0100000.2f", "%+.1080f", "%#.0f", "%.800e", "%.767e", "%.766e", "%#.0e",
        ];
        for fmt in formats {
            for x in floats {
                same(&p(fmt, &[f(x)]), &c_format(fmt, f(x)), &format!("{fmt} {x}"));
            }
        }
        for fmt in ["%.70000ld", "%#.70000lo", "%#70000lx", "%-70000lu|", "%070000ld", "%+.66000ld", "%#lo", "%#.3lo", "%#.0lo"] {
            for v in [0i64, 7, -42, i64::MIN, i64::MAX] {
                same(&p(fmt, &[i(v)]), &c_format(fmt, i(v)), &format!("{fmt} {v}"));
            }
        }
        assert_eq!(p("%70000s|", &[s("ab")]).len(), 70001);
        same(&p("%.70000p", &[(KIND_PTR, 0xff)]), &c_format("%.70000p", (KIND_PTR, 0xff)), "%p");
        same(&p("%*.*f", &[i(-70000), i(70000), f(0.5)]), &c_format("%-70000.70000f", f(0.5)), "stars");
    }

    #[test]
    fn fields_above_int_max_stop_like_glibc() {
        let mut text = Vec::new();
        let r = format_printf_to(b"abc%9999999999d|", &[i(1)], &mut |b: &[u8]| text.extend_from_slice(b));
        assert_eq!((r, text.as_slice()), (Err(Overflow), &b"abc"[..]));
        assert_eq!(p("abc%.2147483648f|", &[f(1.0)]), "abc");
        assert_eq!(p("x%*d|", &[i(3_000_000_000), i(1)]), "x");
        assert_eq!(p("x%.*d|", &[i(i64::MAX), i(1)]), "x");
        assert_eq!(p("x%99999999999999999999999999d|", &[i(1)]), "x");
        // At the limit itself nothing is refused (only counted here, not kept).
        let mut n = 0u64;
        let r = format_printf_to(b"%2147483647d", &[i(1)], &mut |b: &[u8]| n += b.len() as u64);
        assert_eq!((r, n), (Ok(2147483647), 2147483647));
    }

    #[test]
    fn big_output_is_streamed_in_chunks() {
        let mut chunks = vec![];
        let r = format_printf_to(b"[%300000d]", &[i(5)], &mut |b: &[u8]| chunks.push(b.len()));
        assert_eq!(r, Ok(300002));
        assert!(chunks.iter().all(|&c| c <= CHUNK), "{chunks:?}");
        assert_eq!(chunks.iter().sum::<usize>(), 300002);
    }
}
