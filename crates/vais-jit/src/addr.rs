//! Constant offsets of memory addresses: `split_offset` rewrites an address computed as
//! `base + (i + k) * 8` (the shape of `load_i64(buf + i * 8)` in the copies of an unrolled range
//! loop, where the loop variable is `i + k`, or of `p[i + 1]`) into `base + i * 8` and the
//! constant `8k`, which goes into the memory instruction's displacement. The x64 back end folds
//! `base + (idx << s)` into an addressing mode, but not a constant nested inside the scaled
//! index, so each copy computed its own address with an extra `lea`; the rewritten copies share
//! one address value (value numbering) and differ only in the displacement.
//!
//! Exact in 64-bit wrapping arithmetic (`+`, `-`, `*` and `<<` distribute over it, and the
//! machine adds the displacement modulo 2^64 too); offsets that do not fit an `i32` are left
//! alone. The walk looks at most [`MAX_DEPTH`] instructions deep and only builds new
//! instructions when it found a non-zero offset.

use cranelift_codegen::ir::{types, InstBuilder, InstructionData, Opcode, Value, ValueDef};
use cranelift_frontend::FunctionBuilder;

/// How deep the walk looks through `iadd`/`isub`/`imul`/`ishl` (compile time stays bounded).
const MAX_DEPTH: u32 = 6;

/// `addr` as `(base, offset)` with `base + offset == addr` (wrapping); `(addr, 0)` when no
/// constant part was found. New instructions, if any, are inserted at the builder's position
/// (every operand they use dominates `addr`'s definition, hence the position).
pub(crate) fn split_offset(b: &mut FunctionBuilder, addr: Value) -> (Value, i32) {
    if b.func.dfg.value_type(addr) != types::I64 {
        return (addr, 0);
    }
    let (rest, off) = walk(b, addr, MAX_DEPTH);
    match (rest, i32::try_from(off)) {
        (_, Ok(0)) | (_, Err(_)) => (addr, 0),
        (Some(r), Ok(o)) => (r, o),
        // The whole address is a constant: keep it one value.
        (None, Ok(_)) => (addr, 0),
    }
}

/// An `i64` constant defined by `iconst`.
fn iconst_of(b: &FunctionBuilder, v: Value) -> Option<i64> {
    let ValueDef::Result(inst, 0) = b.func.dfg.value_def(v) else { return None };
    match b.func.dfg.insts[inst] {
        InstructionData::UnaryImm { opcode: Opcode::Iconst, imm } if b.func.dfg.value_type(v) == types::I64 => {
            Some(imm.bits())
        }
        _ => None,
    }
}

/// `v` as `rest + off` (`rest` `None`: `v` is the constant `off`). Returns `(Some(v), 0)`
/// unchanged when no part of `v` is a constant offset.
fn walk(b: &mut FunctionBuilder, v: Value, depth: u32) -> (Option<Value>, i64) {
    let v = b.func.dfg.resolve_aliases(v);
    if let Some(c) = iconst_of(b, v) {
        return (None, c);
    }
    if depth == 0 || b.func.dfg.value_type(v) != types::I64 {
        return (Some(v), 0);
    }
    let ValueDef::Result(inst, 0) = b.func.dfg.value_def(v) else { return (Some(v), 0) };
    let InstructionData::Binary { opcode, args: [x, y] } = b.func.dfg.insts[inst] else {
        return (Some(v), 0);
    };
    match opcode {
        Opcode::Iadd | Opcode::Isub => {
            let (rx, ox) = walk(b, x, depth - 1);
            let (ry, oy) = walk(b, y, depth - 1);
            if ox == 0 && oy == 0 {
                return (Some(v), 0);
            }
            let add = opcode == Opcode::Iadd;
            let rest = match (rx, ry) {
                (Some(rx), Some(ry)) if add => Some(b.ins().iadd(rx, ry)),
                (Some(rx), Some(ry)) => Some(b.ins().isub(rx, ry)),
                (Some(r), None) => Some(r),
                (None, Some(r)) if add => Some(r),
                (None, Some(r)) => Some(b.ins().ineg(r)),
                (None, None) => None,
            };
            (rest, if add { ox.wrapping_add(oy) } else { ox.wrapping_sub(oy) })
        }
        Opcode::Imul | Opcode::Ishl => {
            let (other, m) = match (opcode, iconst_of(b, x), iconst_of(b, y)) {
                (Opcode::Imul, _, Some(m)) => (x, m),
                (Opcode::Imul, Some(m), None) => (y, m),
                (Opcode::Ishl, _, Some(s)) => (x, 1i64.wrapping_shl((s & 63) as u32)),
                _ => return (Some(v), 0),
            };
            let (r, o) = walk(b, other, depth - 1);
            if o == 0 {
                return (Some(v), 0);
            }
            let rest = r.map(|r| if opcode == Opcode::Imul { b.ins().imul_imm_s(r, m) } else { b.ins().ishl(r, y) });
            (rest, o.wrapping_mul(m))
        }
        _ => (Some(v), 0),
    }
}
