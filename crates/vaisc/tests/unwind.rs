//! Unwinding through JIT frames with the process's own unwinder: a Vais program calls glibc's
//! `backtrace()`, which walks the stack with libgcc's `_Unwind_Backtrace` (the unwinder of
//! Rust panics and `std::backtrace`). It stops at the first frame it has no frame
//! description for, so it reaches the host's frames below the JIT code (more than a dozen)
//! only when the JIT registered its code's `.eh_frame` data (without it: 1 frame). In the
//! REPL, `:clear` deregisters the old code's frames before freeing it (libgcc aborts on a
//! deregistration it cannot match), and the new code's frames work again; a redefinition
//! deregisters the replaced function's frames before its code is freed.

mod common;

#[test]
fn libgcc_unwinds_through_jit_frames_in_run() {
    let path = common::repo_root().join("tests/unwind/host_backtrace.vais");
    let out = common::vaisc().arg("run").arg(&path).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout, "host frames below JIT code: yes\n", "stderr: {}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success());
}

#[test]
fn libgcc_unwinds_through_repl_code_and_clear_deregisters_it() {
    let path = common::repo_root().join("tests/unwind/host_backtrace.vais");
    let load = format!(":load {}\n", path.display());
    let input = format!("{load}main()\n:clear\n{load}main()\nouter(5)\n");
    let out = common::run_with_stdin(&["repl"], &input);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.matches("host frames below JIT code: yes").count(), 3, "{stdout}\nstderr: {}", String::from_utf8_lossy(&out.stderr));
    assert!(!stdout.contains(": no"), "{stdout}");
    assert!(out.status.success(), "{:?}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
}

#[test]
fn redefined_code_takes_its_frame_description_with_it() {
    // Each `:load` redefines every function: the old versions' code is freed (and its memory
    // reused by later code), so their frame descriptions must go with them; the unwinder then
    // still finds the live code's own descriptions, and no deregistration goes wrong.
    let path = common::repo_root().join("tests/unwind/host_backtrace.vais");
    let load = format!(":load {}\n", path.display());
    let mut input = String::new();
    for _ in 0..6 {
        input.push_str(&load);
        input.push_str("main()\n");
    }
    input.push_str("outer(7)\n:clear\n");
    let out = common::run_with_stdin(&["repl"], &input);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.matches("host frames below JIT code: yes").count(), 7, "{stdout}\nstderr: {}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{:?}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
}
