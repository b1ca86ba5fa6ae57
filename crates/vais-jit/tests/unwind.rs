//! Rust's own unwinder walks through JIT frames: a runtime symbol called from JIT code takes a
//! `std::backtrace::Backtrace` (libgcc's `_Unwind_Backtrace`, as a panic does). It reaches the
//! test function that ran the JIT code only because the JIT registered its code's frame
//! descriptions (`placed.rs`); without them it stops at the first JIT frame.

use vais_ast::Span;
use vais_jit::{call_entry, Jit, JitConfig};
use vais_tir::*;

/// The backtrace the stub took, as text.
static SEEN: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

extern "C" fn capture_backtrace(_n: i64) -> i32 {
    let bt = std::backtrace::Backtrace::force_capture();
    *SEEN.lock().unwrap() = Some(format!("{bt}"));
    0
}

fn ex(kind: ExprKind, ty: Ty) -> Expr {
    Expr::new(kind, ty, Span::default())
}

fn func(name: &str, body: Expr) -> FuncDef {
    FuncDef {
        name: name.into(),
        kind: FuncKind::Free,
        is_async: false,
        params: vec![],
        captures: vec![],
        ret: Ty::I64,
        locals: vec![],
        body,
        span: Span::default(),
    }
}

#[inline(never)]
fn rust_caller_of_jit_code(entry: usize) -> i64 {
    let mut out = [0i64; 2];
    // SAFETY: `entry` is the entry wrapper of a compiled `main`; `out` has room for its i64.
    unsafe { call_entry(entry as *const u8, out.as_mut_ptr() as *mut u8) };
    std::hint::black_box(out[0])
}

#[test]
fn a_rust_backtrace_taken_under_jit_code_reaches_the_rust_frames_below_it() {
    // F inner() -> i64 { print_i64(1); 2 }   F main() -> i64 = inner() + 1
    let print = ex(ExprKind::Call { callee: Callee::Builtin(Builtin::PrintI64), args: vec![ex(ExprKind::Int(1), Ty::I64)] }, Ty::Int(IntTy::I32));
    let inner = ex(ExprKind::Block(Block { stmts: vec![Stmt::Expr(print)], value: Some(Box::new(ex(ExprKind::Int(2), Ty::I64))) }), Ty::I64);
    let call = ex(ExprKind::Call { callee: Callee::Func(FuncId(0)), args: vec![] }, Ty::I64);
    let main = ex(ExprKind::Binary { op: vais_ast::ast::BinaryOp::Add, lhs: Box::new(call), rhs: Box::new(ex(ExprKind::Int(1), Ty::I64)) }, Ty::I64);
    let mut p = Program::default();
    p.funcs.push(func("inner", inner));
    p.funcs.push(func("main", main));
    p.main = Some(FuncId(1));
    let cfg = JitConfig { repl_mode: false, interrupt_polls: false, verify: true, verify_tir: true, opt_speed: false, keep_ir: false };
    let mut jit = Jit::with_symbols(cfg, vec![("vais_print_i64", capture_backtrace as *const u8)]).unwrap();
    jit.compile(&p, &[FuncId(1)], &|_| "t.vais:1:1".into()).unwrap();
    let entry = jit.entry_ptr(FuncId(1)).unwrap() as usize;
    assert_eq!(rust_caller_of_jit_code(entry), 3);
    let bt = SEEN.lock().unwrap().take().expect("the stub ran");
    assert!(bt.contains("capture_backtrace"), "{bt}");
    assert!(bt.contains("rust_caller_of_jit_code"), "the unwinder stopped at the JIT frames:\n{bt}");
    assert!(bt.contains("a_rust_backtrace_taken_under_jit_code"), "{bt}");
}
