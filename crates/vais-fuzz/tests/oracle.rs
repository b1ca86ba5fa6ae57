//! The fuzzer's own oracle: integer semantics of the reference evaluator, the printer's
//! literals, and that generation is reproducible from a seed.

use vais_fuzz::eval::{int_bin, Trap};
use vais_fuzz::prog::{Bin, Expr, Printer, Program, IT};

#[test]
fn integers_wrap_and_trap_at_the_operation_type() {
    assert_eq!(IT::U8.wrap(300), 44);
    assert_eq!(IT::I8.wrap(128), -128);
    assert_eq!(IT::U64.wrap(-1), u64::MAX as i128);
    assert_eq!(int_bin(Bin::Add, IT::I8, 127, 1), Ok(-128));
    assert_eq!(int_bin(Bin::Div, IT::I8, -128, -1), Err(Trap::Overflow));
    assert_eq!(int_bin(Bin::Rem, IT::I64, 5, 0), Err(Trap::RemZero));
    assert_eq!(int_bin(Bin::Div, IT::U32, 7, 0), Err(Trap::DivZero));
    assert_eq!(int_bin(Bin::Div, IT::I32, -7, 2), Ok(-3));
    assert_eq!(int_bin(Bin::Rem, IT::I32, -7, 2), Ok(-1));
    // Shift counts are taken modulo the width; `>>` is logical for unsigned types.
    assert_eq!(int_bin(Bin::Shl, IT::U8, 1, 9), Ok(2));
    assert_eq!(int_bin(Bin::Shr, IT::U64, u64::MAX as i128, 63), Ok(1));
    assert_eq!(int_bin(Bin::Shr, IT::I64, -16, 2), Ok(-4));
}

#[test]
fn float_literals_are_valid_vais_and_exact() {
    let p = Program::default();
    for (f, want) in [(2.5, "2.5"), (1e-7, "1.0e-7"), (1e16, "1.0e16"), (-0.5, "(-0.5)"), (3.0, "3.0")] {
        assert_eq!(Printer::new(&p).expr_s(&Expr::Float(f)), want);
    }
}

#[test]
fn generation_is_reproducible_from_the_seed() {
    let text = |seed| {
        let mut g = vais_fuzz::gen::Gen::new(seed, Default::default());
        let p = g.program();
        Printer::new(&p).program(None)
    };
    assert_eq!(text(42), text(42));
    assert_ne!(text(42), text(43));
}
