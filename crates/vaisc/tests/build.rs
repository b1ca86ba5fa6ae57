//! The third execution mode: every conformance program, every `tests/programs` program and
//! every example is built into a native executable (`vaisc build`) and run, with its
//! arguments and standard input; its standard output and exit status must be the expected
//! ones, and its standard error must be exactly `vaisc run`'s (runtime error messages and
//! backtraces naming `file:line:col`). Programs build on parallel threads (one `cc` link each).
//! Also: `--emit obj`, the build errors (no `main`, a missing or failing `cc`, an unwritable
//! output, no runtime library) and an executable that runs without the workspace.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vaisc-build-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn build(program: &Path, out: &Path) -> std::process::Output {
    vaisc().arg("build").arg(program).arg("-o").arg(out).output().expect("run vaisc build")
}

#[test]
fn built_mode() {
    let dir = scratch("all");
    let cases = a_cases();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 8);
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(case) = cases.get(i) else { break };
                let exe = dir.join(&case.name);
                let built = build(&case.program, &exe);
                let problem = if !built.status.success() {
                    Some(format!("build failed ({:?}): {}", built.status.code(), String::from_utf8_lossy(&built.stderr)))
                } else {
                    let out = case.run_built(&exe);
                    let code = out.status.code();
                    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
                    let ok_exit = match case.exit {
                        Some(e) => code == Some(e as i32),
                        None => code == Some(101) && stderr.starts_with("runtime error:"),
                    };
                    let ok_first = case.stderr_first.as_deref().is_none_or(|want| stderr.lines().next() == Some(want));
                    if out.stdout != case.stdout || !ok_exit || !ok_first {
                        Some(format!(
                            "exit {code:?} (want {:?}), stdout {:?} (want {:?}), stderr {stderr}",
                            case.exit,
                            String::from_utf8_lossy(&out.stdout),
                            String::from_utf8_lossy(&case.stdout)
                        ))
                    } else if !stderr.is_empty() {
                        // Whatever the program says on standard error (a runtime error's report
                        // and backtrace) is what `vaisc run` says.
                        let run = case.run();
                        let want = String::from_utf8_lossy(&run.stderr);
                        (stderr != want).then(|| format!("standard error differs from `vaisc run`:\n--- built\n{stderr}--- run\n{want}"))
                    } else {
                        None
                    }
                };
                if let Some(p) = problem {
                    failures.lock().unwrap().push(format!("{}: {p}", case.name));
                }
                let _ = std::fs::remove_file(&exe);
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "{} of {} failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
    let _ = std::fs::remove_dir_all(&dir);
}

const HELLO: &str = "F main() -> i64 {\n    puts(\"hello\")\n    7\n}\n";

/// The executable is self-contained: moved elsewhere and run from another directory, with no
/// environment, it runs as before; `argv(0)` is its own name.
#[test]
fn executables_need_nothing_beside_them() {
    let dir = scratch("alone");
    let src = dir.join("hello.vais");
    std::fs::write(&src, "F main() -> i64 {\n    puts(argv(0))\n    I argc() > 1 { puts(argv(1)) }\n    7\n}\n").unwrap();
    let built = build(&src, &dir.join("hello"));
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    std::fs::remove_file(&src).unwrap();
    let other = scratch("alone-elsewhere");
    std::fs::rename(dir.join("hello"), other.join("prog")).unwrap();
    let out = Command::new(other.join("prog")).arg("x y").env_clear().current_dir("/").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{}\nx y\n", other.join("prog").display()));
    assert_eq!(out.status.code(), Some(7));
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&other);
}

/// `--emit obj` writes a relocatable object with the entry and tables `vais-start` expects,
/// and no executable.
#[test]
fn emit_obj_writes_the_object() {
    let dir = scratch("obj");
    let src = dir.join("hello.vais");
    std::fs::write(&src, HELLO).unwrap();
    let obj = dir.join("hello.o");
    let out = vaisc().arg("build").arg("--emit").arg("obj").arg(&src).arg("-o").arg(&obj).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let bytes = std::fs::read(&obj).unwrap();
    assert_eq!(&bytes[..4], b"\x7fELF");
    assert_eq!(u16::from_le_bytes([bytes[16], bytes[17]]), 1, "ET_REL");
    let nm = Command::new("nm").arg(&obj).output().unwrap();
    let syms = String::from_utf8_lossy(&nm.stdout);
    for s in ["T __vais_main", "R __vais_info", "R __vais_info_len", "__vais_code", "U vais_puts", "T vais$main"] {
        assert!(syms.contains(s), "{s} missing from:\n{syms}");
    }
    assert!(!dir.join("hello").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

fn build_error(src: &str, args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let dir = scratch("err");
    let file = dir.join("prog.vais");
    std::fs::write(&file, src).unwrap();
    let mut c = vaisc();
    c.current_dir(&dir).arg("build").arg(&file).args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"), "{}", String::from_utf8_lossy(&out.stderr));
    (out.status.code(), String::from_utf8_lossy(&out.stderr).to_string())
}

#[test]
fn no_main_is_e045() {
    let (code, err) = build_error("F helper() -> i64 = 1\n", &[], &[]);
    assert_eq!(code, Some(1));
    assert!(err.contains("error[E045]") && err.contains("no `main` function") && err.contains("prog.vais:1:1"), "{err}");
}

#[test]
fn missing_cc_is_an_error() {
    let (code, err) = build_error(HELLO, &[], &[("CC", "/nonexistent/cc-for-vais")]);
    assert_eq!(code, Some(1));
    assert!(err.starts_with("error: cannot link: the C compiler driver `/nonexistent/cc-for-vais` was not found"), "{err}");
}

#[test]
fn failing_cc_shows_the_command_and_its_output() {
    // An extra library that does not exist makes the link fail.
    let (code, err) = build_error(HELLO, &["--", "-lvais_no_such_library"], &[]);
    assert_eq!(code, Some(1));
    assert!(err.starts_with("error: linking failed: `cc -no-pie -o "), "{err}");
    assert!(err.contains("-lvais_no_such_library` exited with status 1:") && err.contains("vais_no_such_library"), "{err}");
}

#[test]
fn unwritable_output_is_an_error() {
    let (code, err) = build_error(HELLO, &["-o", "/nonexistent-dir/prog"], &[]);
    assert_eq!(code, Some(1));
    assert!(err.starts_with("error: cannot write `/nonexistent-dir/prog`:"), "{err}");
    let (code, err) = build_error(HELLO, &["--emit", "obj", "-o", "/nonexistent-dir/prog.o"], &[]);
    assert_eq!(code, Some(1));
    assert!(err.starts_with("error: cannot write `/nonexistent-dir/prog.o`:"), "{err}");
}

#[test]
fn missing_runtime_library_is_an_error() {
    let (code, err) = build_error(HELLO, &[], &[("VAISC_RUNTIME_LIB", "/nonexistent/libvais_start.a")]);
    assert_eq!(code, Some(1));
    assert!(err.starts_with("error: the runtime library `/nonexistent/libvais_start.a` (VAISC_RUNTIME_LIB) does not exist"), "{err}");
}

/// Ctrl-C stops a built executable as it stops `vaisc run`: output flushed, `interrupted`,
/// status 130.
#[test]
fn sigint_ends_a_built_program_with_130() {
    let dir = scratch("sigint");
    let src = dir.join("spin.vais");
    std::fs::write(&src, "F main() -> i64 {\n    puts(\"spinning\")\n    k := mut 0\n    L { k += 1 }\n    0\n}\n").unwrap();
    let exe = dir.join("spin");
    let built = build(&src, &exe);
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    let child = Command::new(&exe).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    // The program runs on the process's main thread (its stack limit raised): one thread.
    let threads = std::fs::read_dir(format!("/proc/{}/task", child.id())).unwrap().count();
    assert_eq!(threads, 1, "a built program runs single-threaded");
    sigint(&child);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.stdout, b"spinning\n", "output written before Ctrl-C must be flushed");
    assert!(String::from_utf8_lossy(&out.stderr).contains("interrupted"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Deep recursion is a contained stack overflow with the same report as `vaisc run`, and
/// `X F` externs resolve against libc/libm at link time.
#[test]
fn stack_overflow_and_externs_match_run() {
    let dir = scratch("overflow");
    let src = dir.join("deep.vais");
    std::fs::write(
        &src,
        "X F sqrt(x: f64) -> f64\nX F abs(x: i32) -> i32\nF down(n: i64) -> i64 = I n == 0 { 0 } E { 1 + down(n - 1) }\nF main() -> i64 {\n    printf(\"%.1f %d\\n\", sqrt(2.25), abs(-3))\n    down(1000000000)\n}\n",
    )
    .unwrap();
    let exe = dir.join("deep");
    let built = build(&src, &exe);
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    let out = Command::new(&exe).output().unwrap();
    let run = vaisc().arg("run").arg(&src).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "1.5 3\n");
    assert_eq!(out.stdout, run.stdout);
    assert_eq!(out.status.code(), Some(101));
    assert_eq!(out.status.code(), run.status.code());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("runtime error: stack overflow"), "{err}");
    assert_eq!(err.lines().next(), String::from_utf8_lossy(&run.stderr).lines().next());
    // With a hard stack limit too low for the main thread, the program runs on a big-stack
    // thread instead, with the same result.
    let mut low = Command::new(&exe);
    // SAFETY: only setrlimit, async-signal-safe, between fork and exec.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut low, || {
            let rl = libc::rlimit { rlim_cur: 8 << 20, rlim_max: 8 << 20 };
            libc::setrlimit(libc::RLIMIT_STACK, &rl);
            Ok(())
        });
    }
    let low = low.output().unwrap();
    assert_eq!(low.stdout, out.stdout);
    assert_eq!(low.status.code(), Some(101));
    assert_eq!(String::from_utf8_lossy(&low.stderr).lines().next(), err.lines().next());
    let _ = std::fs::remove_dir_all(&dir);
}

/// `vaisc build -g`: the executable carries DWARF (relocated by the system linker) and gdb
/// breaks by Vais file and line, shows Vais frames in `bt`, steps into a call, nexts by line
/// and finishes back to the caller, as with `vaisc run -g`.
#[test]
fn gdb_debugs_a_built_executable() {
    let src_dir = repo_root().join("tests/gdb");
    let dir = scratch("gdb");
    let exe = dir.join("step");
    // Every call a real call (with the inliner, `add` would be a copy inside `main`, see
    // `gdb_shows_inlined_copies_in_a_built_executable`).
    let built = vaisc().current_dir(&src_dir).env("VAIS_INLINE", "0").args(["build", "-g", "step.vais", "-o"]).arg(&exe).output().unwrap();
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    let commands = ["set width 0", "break step.vais:9", "run", "bt", "step", "next", "finish", "next", "continue"];
    let text = gdb_batch(&src_dir, &commands, &[], exe.as_os_str(), &[]);
    let at = |needle: &str| text.find(needle).unwrap_or_else(|| panic!("`{needle}` missing:\n{text}"));
    assert!(text.contains("Breakpoint 1 at 0x") && text.contains("file step.vais, line 9."), "{text}");
    let hit = at("Breakpoint 1, main () at step.vais:9");
    let bt = at("#0  main () at step.vais:9");
    at(" in __vais_main ()");
    let step = at("add () at step.vais:3\n3\t    c := a * b + 1");
    let next = at("\n4\t    printf(\"c = %d\\n\", c)");
    let finish = at("main () at step.vais:10\n10\t    printf(\"y = %d\\n\", y)");
    let next2 = at("\n12\t    printf(\"x = %d\\n\", x)");
    assert!(hit < bt && bt < step && step < next && next < finish && finish < next2, "out of order:\n{text}");
    assert!(text.contains("c = 36\ny = 72\nx = 77"), "{text}");
    assert!(text.contains("exited normally"), "{text}");
    // `--emit obj -g`: the object's DWARF refers to the functions by relocation.
    let obj = dir.join("step.o");
    let built = vaisc().current_dir(&src_dir).args(["build", "-g", "--emit", "obj", "step.vais", "-o"]).arg(&obj).output().unwrap();
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    let sections = Command::new("readelf").arg("-S").arg(&obj).output().unwrap();
    let sections = String::from_utf8_lossy(&sections.stdout);
    for s in [".debug_info", ".debug_line", ".rela.debug_info", ".rela.debug_line"] {
        assert!(sections.contains(s), "{s} missing:\n{sections}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `X F` externs are left to the system linker: one the `vaisc` process lacks builds when a
/// library given after `--` has it (here a C object file), and a missing one is the linker's
/// error naming the symbol.
#[test]
fn externs_resolve_at_link_time() {
    let dir = scratch("extern");
    std::fs::write(dir.join("twice.c"), "long vais_test_twice(long x) { return 2 * x; }\n").unwrap();
    let cc = Command::new("cc").current_dir(&dir).args(["-c", "twice.c", "-o", "twice.o"]).output().unwrap();
    assert!(cc.status.success());
    let src = dir.join("prog.vais");
    std::fs::write(&src, "X F vais_test_twice(x: i64) -> i64\nF main() -> i64 {\n    printf(\"%d\\n\", vais_test_twice(21))\n    0\n}\n").unwrap();
    let exe = dir.join("prog");
    let built = vaisc().arg("build").arg(&src).arg("-o").arg(&exe).arg("--").arg(dir.join("twice.o")).output().unwrap();
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    assert_eq!(Command::new(&exe).output().unwrap().stdout, b"42\n");
    let missing = vaisc().arg("build").arg(&src).arg("-o").arg(&exe).output().unwrap();
    let err = String::from_utf8_lossy(&missing.stderr);
    assert_eq!(missing.status.code(), Some(1));
    assert!(err.starts_with("error: linking failed:") && err.contains("vais_test_twice"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `vaisc build -g` inlines as `vaisc run -g` does, and the object's DWARF describes the copies
/// (`DW_TAG_inlined_subroutine`, through the same line tables as the JIT's images): with `get`
/// inlined into `sum` and `sum` into `main`, gdb stops on `get`'s line inside the copies and
/// `bt` shows one frame per inlined function at its own line; the executable's own report of
/// the fault names the same frames.
#[test]
fn gdb_shows_inlined_copies_in_a_built_executable() {
    let src_dir = repo_root().join("tests/gdb");
    let dir = scratch("gdb-inlined");
    let exe = dir.join("fault");
    let built = vaisc().current_dir(&src_dir).args(["build", "-g", "fault.vais", "-o"]).arg(&exe).output().unwrap();
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    let commands = ["set width 0", "break fault.vais:3", "run", "bt 4", "delete", "continue"];
    let text = gdb_batch(&src_dir, &commands, &[], exe.as_os_str(), &[]);
    let frames: Vec<&str> = text.lines().filter(|l| l.starts_with('#')).collect();
    assert!(frames.first().is_some_and(|l| l.starts_with("#0  get () at fault.vais:3")), "{text}");
    // Inlined frames have no address of their own ("#1  sum () at", not "#1  0x... in sum").
    assert!(frames.get(1).is_some_and(|l| l.starts_with("#1  sum () at fault.vais:7")), "{text}");
    assert!(frames.get(2).is_some_and(|l| l.starts_with("#2  main () at fault.vais:12")), "{text}");
    let run = Command::new(&exe).output().unwrap();
    let report = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(101), "{report}");
    assert!(report.contains("runtime error: invalid memory access at 0x0 in `get`\n  at get (fault.vais:3:32)\n  at sum (fault.vais:7:14)\n  at main (fault.vais:12:5)"), "{report}");
    let _ = std::fs::remove_dir_all(&dir);
}
