//! Arithmetic and comparison helpers that generated code calls by symbol: `vais$fmod`,
//! `vais$fmodf`, `vais$memeq`, `vais$i128op`, `vais$i128cvt`. They live here, with exported
//! symbol names, so that the JIT (through [`crate::symbols`]) and executables built by
//! `vaisc build` (through the static library) use one copy.

/// `a % b` on `f64` (Cranelift has no float remainder instruction).
#[export_name = "vais$fmod"]
pub extern "C" fn vais_fmod(a: f64, b: f64) -> f64 {
    a % b
}

/// `a % b` on `f32`.
#[export_name = "vais$fmodf"]
pub extern "C" fn vais_fmodf(a: f32, b: f32) -> f32 {
    a % b
}

/// Whether the `n` bytes at `a` and `b` are equal (aggregate `==`).
///
/// # Safety
/// `a` and `b` must each point to `n` readable bytes (generated code passes two aggregates).
#[export_name = "vais$memeq"]
pub unsafe extern "C" fn vais_memeq(a: *const u8, b: *const u8, n: i64) -> i8 {
    crate::faults::guard("memeq", || {
        let n = usize::try_from(n).unwrap_or(0);
        // SAFETY: generated code passes two readable aggregates of `n` bytes each.
        let (x, y) = unsafe { (std::slice::from_raw_parts(a, n), std::slice::from_raw_parts(b, n)) };
        (x == y) as i8
    })
}

/// 128-bit division and remainder: `op` 0 signed `/`, 1 unsigned `/`, 2 signed `%`, 3
/// unsigned `%`.
#[export_name = "vais$i128op"]
pub extern "C" fn vais_i128op(op: i32, a: *const u8, b: *const u8, out: *mut u8) {
    // SAFETY: generated code passes three 16-byte stack buffers; the divisor was checked.
    unsafe {
        let x = (a as *const i128).read_unaligned();
        let y = (b as *const i128).read_unaligned();
        // Never a panic across the C boundary, even if a divisor check were missing: a zero
        // divisor is the runtime error it would have been.
        if y == 0 {
            crate::faults::vais_rt_trap(if op >= 2 { crate::TrapKind::RemainderByZero } else { crate::TrapKind::DivisionByZero } as i32, -1);
        }
        let r = match op {
            0 => x.wrapping_div(y),
            1 => ((x as u128) / (y as u128)) as i128,
            2 => x.wrapping_rem(y),
            _ => ((x as u128) % (y as u128)) as i128,
        };
        (out as *mut i128).write_unaligned(r);
    }
}

/// Float <-> 128-bit integer conversions, as Rust's `as` computes them (what decision 12 asks:
/// nearest value one way; truncation toward zero, saturation and NaN 0 the other). `op`: 0
/// i128 -> f64, 1 u128 -> f64, 2 i128 -> f32, 3 u128 -> f32, 4 f64 -> i128, 5 f64 -> u128.
#[export_name = "vais$i128cvt"]
pub extern "C" fn vais_i128cvt(op: i32, input: *const u8, out: *mut u8) {
    // SAFETY: generated code passes two 16-byte stack buffers, the input stored at its type
    // (a 128-bit integer, or an `f64`), the output read back at the result's type.
    unsafe {
        match op {
            0..=3 => {
                let x = (input as *const i128).read_unaligned();
                match op {
                    0 => (out as *mut f64).write_unaligned(x as f64),
                    1 => (out as *mut f64).write_unaligned(x as u128 as f64),
                    2 => (out as *mut f32).write_unaligned(x as f32),
                    _ => (out as *mut f32).write_unaligned(x as u128 as f32),
                }
            }
            _ => {
                let f = (input as *const f64).read_unaligned();
                let r = if op == 4 { f as i128 } else { f as u128 as i128 };
                (out as *mut i128).write_unaligned(r);
            }
        }
    }
}
