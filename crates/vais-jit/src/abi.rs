//! The one place that builds Cranelift signatures: user functions, closures/function values,
//! future thunks, entry wrappers, externs and runtime calls.
//!
//! Convention for Vais functions (direct and indirect calls alike):
//! `[out: ptr if the result is an aggregate] [env: ptr for closure-convention code] params...`
//! Scalars are passed as their Cranelift type (`bool` = `I8`); aggregates (structs, tuples,
//! enums, optionals, function values, futures) are passed as a pointer to a copy the callee
//! owns; `()` parameters are dropped. A scalar result is returned in a register; an aggregate
//! result is written through `out`; `()`/`!` return nothing.

use cranelift_codegen::ir::{types, AbiParam, Signature, Type};
use cranelift_codegen::isa::CallConv;
use vais_tir::Ty;

use crate::layout::is_aggregate;

/// Pointers are 64 bits on every host we support.
pub const PTR: Type = types::I64;

/// The Cranelift type of a scalar TIR type; `None` for `()`/`!` and for aggregates.
pub fn scalar_ty(ty: &Ty) -> Option<Type> {
    match ty {
        Ty::Int(i) => Some(match i.bits() {
            8 => types::I8,
            16 => types::I16,
            32 => types::I32,
            64 => types::I64,
            _ => types::I128,
        }),
        Ty::F32 => Some(types::F32),
        Ty::F64 => Some(types::F64),
        Ty::Bool => Some(types::I8),
        Ty::Str | Ty::Ptr(_) | Ty::Ref(_) | Ty::Array(_) | Ty::Map(..) => Some(PTR),
        _ => None,
    }
}

/// How a value of `ty` crosses a call boundary: its scalar type, a pointer for aggregates,
/// nothing for `()`/`!`.
pub fn pass_ty(ty: &Ty) -> Option<Type> {
    if is_aggregate(ty) {
        Some(PTR)
    } else {
        scalar_ty(ty)
    }
}

/// Signature of a Vais function (`closure`: takes an environment pointer after `out`).
pub fn vais_sig(cc: CallConv, params: &[Ty], ret: &Ty, closure: bool) -> Signature {
    let mut sig = Signature::new(cc);
    if is_aggregate(ret) {
        sig.params.push(AbiParam::new(PTR));
    }
    if closure {
        sig.params.push(AbiParam::new(PTR));
    }
    for p in params {
        if let Some(t) = pass_ty(p) {
            sig.params.push(AbiParam::new(t));
        }
    }
    if !is_aggregate(ret) {
        if let Some(t) = scalar_ty(ret) {
            sig.returns.push(AbiParam::new(t));
        }
    }
    sig
}

/// A C-ABI parameter: narrow integers are extended by their signedness, `bool` zero-extended.
fn c_param(ty: &Ty) -> Option<AbiParam> {
    let t = pass_ty(ty)?;
    let p = AbiParam::new(t);
    Some(match ty {
        Ty::Int(i) if i.bits() < 32 && i.signed() => p.sext(),
        Ty::Int(i) if i.bits() < 32 => p.uext(),
        Ty::Bool => p.uext(),
        _ => p,
    })
}

/// Signature of an `X F` extern (or a runtime built-in) with these parameter types; extra
/// variadic arguments are passed like fixed ones.
pub fn c_sig(cc: CallConv, params: &[Ty], ret: &Ty) -> Signature {
    let mut sig = Signature::new(cc);
    for p in params {
        if let Some(a) = c_param(p) {
            sig.params.push(a);
        }
    }
    if let Some(a) = c_param(ret) {
        sig.returns.push(a);
    }
    sig
}

/// A runtime helper called by generated code: its symbol and signature, here and nowhere else.
/// (The built-ins a program calls by name take `c_sig` of their `vais_tir::Builtin` signature.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RtFn {
    /// `vais_rt_trap(kind: i32 /* TrapKind */, site: i64) -> !`
    Trap,
    /// `vais_malloc(bytes: i64) -> ptr`
    Malloc,
    /// `vais_memcpy(dst: ptr, src: ptr, bytes: i64) -> ptr`
    Memcpy,
    /// `vais_printf(fmt: ptr, args: ptr, kinds: ptr /* ArgKind bytes */, n: i64) -> i32`
    Printf,
    /// `vais_str_eq(a: ptr, b: ptr) -> bool`
    StrEq,
    /// `vais$memeq(a: ptr, b: ptr, bytes: i64) -> bool` (`vais_runtime::helpers`)
    MemEq,
    /// `vais$i128op(op: i32, a: ptr, b: ptr, out: ptr)` (`vais_runtime::helpers`)
    I128Op,
    /// `vais$fmod(f64, f64) -> f64`, `vais$fmodf(f32, f32) -> f32` (`vais_runtime::helpers`)
    Fmod,
    Fmodf,
    /// `vais$i128cvt(op: i32, in: ptr, out: ptr)` (`vais_runtime::helpers`): float <-> 128-bit
    /// integer conversions
    I128Cvt,
    /// `vais_argv(i: i64, site: i64) -> ptr` (out of range is a runtime error at `site`)
    Argv,
    /// `vais_rt_hot(counter: ptr)` (`tierup.rs`): a baseline function's hotness counter ran
    /// out (the counter, a data object of the function, says which function)
    Hot,
}

impl RtFn {
    pub fn symbol(self) -> &'static str {
        match self {
            RtFn::Trap => "vais_rt_trap",
            RtFn::Malloc => "vais_malloc",
            RtFn::Memcpy => "vais_memcpy",
            RtFn::Printf => "vais_printf",
            RtFn::StrEq => "vais_str_eq",
            RtFn::MemEq => "vais$memeq",
            RtFn::I128Op => "vais$i128op",
            RtFn::Fmod => "vais$fmod",
            RtFn::Fmodf => "vais$fmodf",
            RtFn::I128Cvt => "vais$i128cvt",
            RtFn::Argv => "vais_argv",
            RtFn::Hot => "vais_rt_hot",
        }
    }

    pub fn sig(self, cc: CallConv) -> Signature {
        use types::{F32, F64, I32, I64, I8};
        match self {
            RtFn::Trap => raw_sig(cc, &[I32, I64], None),
            RtFn::Malloc => raw_sig(cc, &[I64], Some(PTR)),
            RtFn::Memcpy => raw_sig(cc, &[PTR, PTR, I64], Some(PTR)),
            RtFn::Printf => raw_sig(cc, &[PTR, PTR, PTR, I64], Some(I32)),
            RtFn::StrEq => raw_sig(cc, &[PTR, PTR], Some(I8)),
            RtFn::MemEq => raw_sig(cc, &[PTR, PTR, I64], Some(I8)),
            RtFn::I128Op => raw_sig(cc, &[I32, PTR, PTR, PTR], None),
            RtFn::Fmod => raw_sig(cc, &[F64, F64], Some(F64)),
            RtFn::Fmodf => raw_sig(cc, &[F32, F32], Some(F32)),
            RtFn::I128Cvt => raw_sig(cc, &[I32, PTR, PTR], None),
            RtFn::Argv => raw_sig(cc, &[I64, I64], Some(PTR)),
            RtFn::Hot => raw_sig(cc, &[PTR], None),
        }
    }
}

/// Signature of a runtime helper given as raw Cranelift types.
pub fn raw_sig(cc: CallConv, params: &[Type], ret: Option<Type>) -> Signature {
    let mut sig = Signature::new(cc);
    sig.params.extend(params.iter().map(|t| AbiParam::new(*t)));
    sig.returns.extend(ret.map(AbiParam::new));
    sig
}

/// Signature of a future thunk: `(out?, env) -> ret`.
pub fn thunk_sig(cc: CallConv, ret: &Ty) -> Signature {
    vais_sig(cc, &[], ret, true)
}

/// Signature of an entry wrapper: `(out: ptr)`.
pub fn entry_sig(cc: CallConv) -> Signature {
    raw_sig(cc, &[PTR], None)
}

/// Whether `def` is compiled directly with the entry signature `(out: ptr)` (a REPL input's
/// top-level code: nothing calls it but [`crate::call_entry`]), so it needs no wrapper.
pub fn direct_entry(def: &vais_tir::FuncDef) -> bool {
    def.kind == vais_tir::FuncKind::ReplEntry && def.params.is_empty()
}

/// The signature `def` is compiled with.
pub fn func_sig(cc: CallConv, def: &vais_tir::FuncDef) -> Signature {
    if direct_entry(def) {
        return entry_sig(cc);
    }
    vais_sig(cc, &def.param_types(), &def.ret, def.kind == vais_tir::FuncKind::Lambda)
}

#[cfg(test)]
mod tests {
    use super::*;
    use vais_tir::{IntTy, StructId};

    #[test]
    fn aggregate_results_use_an_out_pointer() {
        let s = Ty::Struct(StructId(0));
        let sig = vais_sig(CallConv::SystemV, &[s.clone(), Ty::Bool, Ty::Unit], &s, false);
        assert_eq!(sig.params.len(), 3); // out, &copy, bool (unit dropped)
        assert!(sig.returns.is_empty());
        assert_eq!(sig.params[2].value_type, types::I8);
    }

    #[test]
    fn closures_take_env_after_out() {
        let sig = vais_sig(CallConv::SystemV, &[Ty::Int(IntTy::I32)], &Ty::F64, true);
        assert_eq!(sig.params.iter().map(|p| p.value_type).collect::<Vec<_>>(), vec![PTR, types::I32]);
        assert_eq!(sig.returns[0].value_type, types::F64);
    }

    /// Every runtime helper the generated code calls is provided, by the runtime or this crate.
    #[test]
    fn runtime_helpers_exist() {
        let provided: Vec<&str> = crate::rt::runtime_symbols().into_iter().map(|(n, _)| n).collect();
        use RtFn::*;
        for f in [Trap, Malloc, Memcpy, Printf, StrEq, MemEq, I128Op, Fmod, Fmodf, I128Cvt, Argv] {
            assert!(provided.contains(&f.symbol()), "{} is not provided", f.symbol());
            assert!(!f.sig(CallConv::SystemV).params.is_empty());
        }
    }

    #[test]
    fn c_signatures_extend_narrow_ints() {
        let sig = c_sig(CallConv::SystemV, &[Ty::Int(IntTy::I8), Ty::Int(IntTy::U16)], &Ty::Bool);
        assert_eq!(sig.params[0].extension, cranelift_codegen::ir::ArgumentExtension::Sext);
        assert_eq!(sig.params[1].extension, cranelift_codegen::ir::ArgumentExtension::Uext);
        assert_eq!(sig.returns[0].extension, cranelift_codegen::ir::ArgumentExtension::Uext);
    }
}
