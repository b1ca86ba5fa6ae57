//! The verifiers in every build: `vaisc` under test has `VAIS_VERIFY=1` (see `common::vaisc`),
//! so a program the checker lets through ill-typed is stopped before it runs, as a clean error,
//! in release-mode tests as well as debug ones. The programs below reached code generation
//! ill-typed when this test was written (checker bugs: cyclic aliases, a generic struct named
//! without arguments); once the checker rejects them, they must still never run or panic.

mod common;

const ILL_TYPED: &[(&str, &str)] = &[
    ("alias_cycle", "T A1 = B1\nT B1 = A1\nF main() -> i64 {\n    x: A1 = 1.5\n    printf(\"%d\\n\", x)\n    0\n}\n"),
    ("alias_self", "T AA = AA\nF g(x: AA) -> AA = x\nF main() -> i64 {\n    y := g(2.5)\n    0\n}\n"),
    ("generic_without_args", "S Bx<T> { a: T }\nF f(x: Bx) -> i64 = x.a\nF main() -> i64 {\n    b := Bx { a: 1.5 }\n    f(b)\n}\n"),
];

#[test]
fn ill_typed_programs_never_run() {
    let dir = std::env::temp_dir().join(format!("vaisc-verify-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, src) in ILL_TYPED {
        let path = dir.join(format!("{name}.vais"));
        std::fs::write(&path, src).unwrap();
        let out = common::vaisc().arg("run").arg(&path).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: must not run; stderr:\n{stderr}");
        assert!(out.stdout.is_empty(), "{name}: printed {:?}", String::from_utf8_lossy(&out.stdout));
        assert!(!stderr.contains("panicked"), "{name}: a panic instead of a clean error:\n{stderr}");
        assert!(stderr.contains("error"), "{name}: no error reported:\n{stderr}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A verifier failure names the function and the source position.
#[test]
fn tir_verifier_failure_is_an_internal_error_naming_the_function() {
    let dir = std::env::temp_dir().join(format!("vaisc-verify-named-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("generic.vais");
    std::fs::write(&path, ILL_TYPED[2].1).unwrap();
    let out = common::vaisc().arg("run").arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Once the checker reports this program itself, there is nothing left to verify.
    if stderr.contains("TIR verifier") {
        assert!(stderr.starts_with("internal compiler error in `main`: TIR verifier:"), "{stderr}");
        assert!(stderr.contains("generic.vais:5:"), "{stderr}");
    } else {
        assert!(stderr.contains("error["), "neither a checker error nor a verifier failure:\n{stderr}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// With verification off (`VAIS_VERIFY=0`, the release default), an ill-typed program still
/// never runs: code generation fails, the TIR verifier then names the cause, and the caught
/// panic prints nothing of its own (no "thread ... panicked" text, which reads as a crash).
#[test]
fn without_verification_a_codegen_failure_is_still_a_clean_error() {
    let dir = std::env::temp_dir().join(format!("vaisc-verify-off-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("alias_cycle.vais");
    std::fs::write(&path, ILL_TYPED[0].1).unwrap();
    let out = common::vaisc().env("VAIS_VERIFY", "0").arg("run").arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(out.stdout.is_empty(), "{:?}", String::from_utf8_lossy(&out.stdout));
    assert!(!stderr.contains("panicked at"), "a panic message escaped:\n{stderr}");
    // Once the checker rejects the program itself, its diagnostic is all there is.
    if !stderr.contains("error[") {
        assert!(stderr.starts_with("internal compiler error in `main`: TIR verifier: the value of `x`"), "{stderr}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
