//! Glue between generated code and the runtime: the few helper symbols the JIT itself provides
//! (`vais$fmod`, `vais$fmodf`, `vais$memeq`, `vais$i128op`) and the runtime's symbol list.
//! (Placed code is registered with the runtime by the linker's observer, `link.rs`.)

extern "C" fn jit_fmod(a: f64, b: f64) -> f64 {
    a % b
}

extern "C" fn jit_fmodf(a: f32, b: f32) -> f32 {
    a % b
}

extern "C" fn jit_memeq(a: *const u8, b: *const u8, n: i64) -> i8 {
    vais_runtime::faults::guard("memeq", || {
        let n = usize::try_from(n).unwrap_or(0);
        // SAFETY: generated code passes two readable aggregates of `n` bytes each.
        let (x, y) = unsafe { (std::slice::from_raw_parts(a, n), std::slice::from_raw_parts(b, n)) };
        (x == y) as i8
    })
}

extern "C" fn jit_i128op(op: i32, a: *const u8, b: *const u8, out: *mut u8) {
    // SAFETY: generated code passes three 16-byte stack buffers; the divisor was checked.
    unsafe {
        let x = (a as *const i128).read_unaligned();
        let y = (b as *const i128).read_unaligned();
        // Never a panic across the C boundary, even if a divisor check were missing: a zero
        // divisor is the runtime error it would have been.
        if y == 0 {
            vais_runtime::faults::vais_rt_trap(if op >= 2 { vais_runtime::TrapKind::RemainderByZero } else { vais_runtime::TrapKind::DivisionByZero } as i32, -1);
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
extern "C" fn jit_i128cvt(op: i32, input: *const u8, out: *mut u8) {
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

/// Helper symbols provided by this crate (registered with every JIT module).
pub fn jit_symbols() -> Vec<(&'static str, *const u8)> {
    vec![
        ("vais$fmod", jit_fmod as *const u8),
        ("vais$fmodf", jit_fmodf as *const u8),
        ("vais$memeq", jit_memeq as *const u8),
        ("vais$i128op", jit_i128op as *const u8),
        ("vais$i128cvt", jit_i128cvt as *const u8),
        ("vais_rt_hot", crate::tierup::vais_rt_hot as *const u8),
    ]
}

/// The runtime's built-in symbols (`vais_puts`, `vais_rt_trap`, ...).
pub fn runtime_symbols() -> Vec<(&'static str, *const u8)> {
    vais_runtime::symbols()
}
