//! Fault containment end to end: runtime errors in `vaisc run` (exit 101, output kept), a real
//! SIGINT stopping a running REPL input, and 1,000 faults in one REPL session.

mod common;

use common::*;
use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::time::{Duration, Instant};

fn run_program(src: &str) -> std::process::Output {
    let dir = std::env::temp_dir().join(format!("vais_fault_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A name of its own per call: tests run in parallel.
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let path = dir.join(format!("p{}.vais", NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)));
    std::fs::write(&path, src).unwrap();
    vaisc().arg("run").arg(&path).output().unwrap()
}

#[test]
fn run_reports_faults_keeps_output_and_exits_101() {
    let cases = [
        ("F main() -> i64 {\n    puts(\"before\")\n    z := 0\n    10 / z\n}\n", "division by zero"),
        ("F main() -> i64 {\n    puts(\"before\")\n    z := 0\n    10 % z\n}\n", "remainder by zero"),
        ("F main() -> i64 {\n    puts(\"before\")\n    m := 0 - 9223372036854775807 - 1\n    d := 0 - 1\n    m / d\n}\n", "overflow"),
        ("F f(n: i64) -> i64 = 1 + @(n + 1)\nF main() -> i64 {\n    puts(\"before\")\n    f(0)\n}\n", "stack overflow"),
        // Runaway recursions that tail recursion elimination loops: the match window (from
        // below, each iteration's own call descends first) and the `n == 0` budget form.
        ("F f(n: i64) -> i64 = M n { 0 => 0, 1 => 1, _ => @(n - 1) + @(n - 2) }\nF main() -> i64 {\n    puts(\"before\")\n    f(0 - 1)\n}\n", "stack overflow"),
        ("F f(n: i64) -> i64 = n == 0 ? 0 : 1 + @(n - 1)\nF main() -> i64 {\n    puts(\"before\")\n    f(0 - 1)\n}\n", "stack overflow"),
        ("F f(n: i64) -> i64 = n == 0 ? 0 : (n == 1 ? 1 : @(n - 1) + @(n - 2))\nF main() -> i64 {\n    puts(\"before\")\n    f(0 - 1)\n}\n", "stack overflow"),
        ("F main() -> i64 {\n    puts(\"before\")\n    load_i64(8)\n}\n", "invalid memory access"),
        ("E Col { Ca, Cb }\nF main() -> i64 {\n    puts(\"before\")\n    c := Cb\n    M c { Ca => 1 }\n}\n", "no match arm"),
    ];
    for (src, what) in cases {
        let out = run_program(src);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(101), "{what}: {stderr}");
        assert_eq!(out.stdout, b"before\n", "{what}: output before the fault must be kept");
        let report = stderr.lines().find(|l| l.starts_with("runtime error:")).unwrap_or("");
        assert!(report.contains(what), "{what}: {stderr}");
    }
}

#[test]
fn a_fault_in_a_large_batch_names_its_function_and_line() {
    // 60 functions: code generation runs on helper threads while translation goes on, and each
    // function's trap sites are registered from the machine code the threads produced.
    let mut src = String::new();
    for i in 0..60 {
        src.push_str(&format!("F g{i}(a: i64, d: i64) -> i64 {{\n    x := a * {i} + 1\n    x / d + x % (d + 1)\n}}\n"));
    }
    src.push_str("F main() -> i64 {\n    s := mut 0\n    L i: 0..59 { s += g0(i, 1) + g45(i, i + 1) }\n    puts(\"before\")\n    s + g45(3, 0)\n}\n");
    let out = run_program(&src);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(101), "{stderr}");
    assert_eq!(out.stdout, b"before\n");
    let report = stderr.lines().find(|l| l.starts_with("runtime error:")).unwrap_or("");
    // g45 starts on line 45 * 4 + 1 (4 lines per function): its division is on
    // line 45 * 4 + 3.
    assert!(report.contains("division by zero in `g45`"), "{stderr}");
    assert!(report.contains(&format!(":{}:", 45 * 4 + 3)), "{stderr}");
}

#[test]
fn deep_recursion_of_100k_frames_works() {
    let out = run_program("F d(n: i64) -> i64 = n == 0 ? 0 : 1 + @(n - 1)\nF main() -> i64 = d(100000) % 256\n");
    assert_eq!(out.status.code(), Some(100000 % 256), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_thousand_faults_leave_the_session_healthy() {
    // Tier-up off: `sink`'s optimised code (self-inlined, 16-byte frames) overflows after
    // ~16M machine frames instead of ~5.5M, and each overflow's walk takes ~3x as long in a
    // debug build (2.6 s instead of 0.8 s); this test is about containment, not tier-up.
    let mut input = String::from(":set tierup off\nz := 0\nF boom(n: i64) -> i64 = n / z\nF sink(n: i64) -> i64 = 1 + @(n + 1)\n");
    for i in 0..1000 {
        input.push_str(if i % 10 == 0 { "sink(0)\n" } else { "boom(1)\n" });
    }
    input.push_str("40 + 2\n");
    let out = run_with_stdin(&["repl"], &input);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("runtime error:").count(), 1000, "{}", &stderr[..stderr.len().min(2000)]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "tier-up off\n=> 42\n");
    assert!(out.status.success());
}

#[test]
fn sigint_stops_a_running_input_and_the_session_goes_on() {
    let (child, mut stdin, mut out, rx) = spawn_repl();
    // A loop that calls nothing: only the back-edge poll can stop it.
    assert_eq!(send_and_read_line(&mut stdin, &mut out, "k := mut 0\nputs(\"started\"); ()\nL { k += 1 }\n"), "started\n");
    std::thread::sleep(Duration::from_millis(300));
    let latency = interrupt_repl(&child, &rx, "a loop");
    assert!(latency < Duration::from_secs(2), "took {latency:?}");
    assert_eq!(common::finish_repl(child, stdin, out, "k > 0\n40 + 2\n"), "=> true\n=> 42\n");
}

#[test]
fn sigint_ends_run_with_130_after_flushing_output() {
    let dir = std::env::temp_dir().join(format!("vais_sigint_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("spin.vais");
    std::fs::write(&path, "F main() -> i64 {\n    puts(\"spinning\")\n    k := mut 0\n    L { k += 1 }\n    0\n}\n").unwrap();
    let child = vaisc().arg("run").arg(&path).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    sigint(&child);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.stdout, b"spinning\n", "output written before Ctrl-C must be flushed");
    assert!(String::from_utf8_lossy(&out.stderr).contains("interrupted"));
}

#[test]
fn checks_beyond_the_trap_codes_of_a_function_are_reported_with_their_site() {
    // 300 divisions by a non-constant value: 600 checks, more than a function's 247 trap codes,
    // so the last ones take the block-based path. Both kinds must name the right line.
    let mut src = String::from("F f(d: i64) -> i64 {\n    s := mut 0\n");
    for i in 0..300 {
        src.push_str(&format!("    s += 1000 / (d + {i})\n"));
    }
    src.push_str("    s\n}\n");
    for zero_at in [0, 5, 122, 123, 124, 150, 299] {
        let prog = format!("{src}F main() -> i64 {{\n    puts(\"before\")\n    f(0 - {zero_at})\n}}\n");
        let out = run_program(&prog);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(101), "{stderr}");
        assert_eq!(out.stdout, b"before\n");
        let want = "runtime error: division by zero in `f` at ";
        let report = stderr.lines().find(|l| l.starts_with(want)).unwrap_or_else(|| panic!("{stderr}"));
        // The column is the `/`'s.
        assert!(report.ends_with(&format!(".vais:{}:15", zero_at + 3)), "{zero_at}: {report}");
    }
}

#[test]
fn a_closed_output_pipe_ends_the_process_quietly() {
    // `vaisc run --emit clif big.vais | head -1`: the reader goes away after one line.
    let mut src = String::new();
    // Far more than a pipe buffer of CLIF.
    for i in 0..2000 {
        src.push_str(&format!("F g{i}(a: i64) -> i64 = a * {i} + 1\n"));
    }
    src.push_str("F main() -> i64 = g1(2)\n");
    let dir = std::env::temp_dir().join(format!("vais_pipe_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("many.vais");
    std::fs::write(&path, src).unwrap();
    let mut child = vaisc()
        .args(["run", "--emit", "clif"])
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(first.starts_with("; "), "{first}");
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    // Killed by SIGPIPE (like a C program), or finished before the reader left.
    use std::os::unix::process::ExitStatusExt;
    assert!(out.status.signal() == Some(13) || out.status.success(), "{:?} {stderr}", out.status);
}

#[test]
fn printf_with_huge_fields_behaves_like_c_and_never_kills_the_session() {
    // Rust's formatter panics above 65535, and a panic inside an `extern "C"` built-in used to
    // abort the whole process (a REPL session with it).
    let out = run_program(
        "F main() -> i64 {\n    n := printf(\"%.65536f|\\n\", 1.0)\n    m := printf(\"ab%9999999999d|\\n\", 1)\n    print_i64(n)\n    putchar(32)\n    print_i64(m)\n    0\n}\n",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let want = format!("1.{}|\nab65540 -1", "0".repeat(65536));
    assert!(stdout == want, "stdout of {} bytes: {:?}...", stdout.len(), &stdout[..stdout.len().min(80)]);
    let session = run_with_stdin(&["repl"], "n := printf(\"%.70000e|%-70000d|\\n\", 2.5, 7)\nn\n");
    let stdout = String::from_utf8_lossy(&session.stdout);
    assert!(stdout.ends_with("|\n=> 140009\n"), "{:?}", &stdout[stdout.len().saturating_sub(80)..]);
    assert!(session.status.success());
}

#[test]
fn abort_flushes_output_and_exits_134() {
    // Through a pipe, stdout is fully buffered: without the SIGABRT handling the text was lost.
    for body in ["    abort()\n", "    p := malloc(5000)\n    free(p)\n    free(p)\n    0\n"] {
        let src = format!("X F abort() -> i64\nF main() -> i64 {{\n    printf(\"before \")\n    puts(\"abort\")\n{body}}}\n");
        let out = run_program(&src);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(134), "{body}: {stderr}");
        assert_eq!(out.stdout, b"before abort\n", "{body}: {stderr}");
        assert!(stderr.contains("runtime error: the program aborted (SIGABRT)"), "{stderr}");
    }
}


#[test]
fn sigint_cuts_a_blocking_c_call_short_in_the_repl() {
    let (child, mut stdin, mut out, err) = spawn_repl();
    writeln!(stdin, "X F sleep(s: u32) -> u32").unwrap();
    // `read` on an empty pipe: restarted after a signal unless the handler lacks SA_RESTART.
    writeln!(stdin, "X F pipe(fds: i64) -> i32\nX F read(fd: i32, buf: i64, n: i64) -> i64").unwrap();
    writeln!(stdin, "fds := malloc(8)\nok := pipe(fds)\nfd: i32 = load_i64(fds) & 4294967295").unwrap();
    for (n, call) in ["sleep(100)", "read(fd, fds, 1)"].iter().enumerate() {
        // Output is flushed at the end of each input: `started` shows the call is next.
        let line = send_and_read_line(&mut stdin, &mut out, &format!("puts(\"started {n}\"); ()\n{call}; puts(\"not reached\")\n"));
        assert!(line.ends_with(&format!("started {n}\n")), "{line:?}");
        std::thread::sleep(Duration::from_millis(300));
        let took = interrupt_repl(&child, &err, call);
        assert!(took < Duration::from_secs(2), "{call}: took {took:?}");
    }
    assert_eq!(common::finish_repl(child, stdin, out, "40 + 2\n"), "=> 42\n");
}

#[test]
fn sigint_cuts_a_blocking_c_call_short_in_run() {
    let dir = std::env::temp_dir().join(format!("vais_sigint_c_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("sleep.vais");
    std::fs::write(&path, "X F sleep(s: u32) -> u32\nF main() -> i64 {\n    puts(\"sleeping\")\n    sleep(100)\n    puts(\"not reached\")\n    0\n}\n").unwrap();
    let mut child = vaisc().arg("run").arg(&path).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    sigint(&child);
    let status = wait_at_most(&mut child, Duration::from_secs(2));
    let mut stdout = Vec::new();
    std::io::Read::read_to_end(child.stdout.as_mut().unwrap(), &mut stdout).unwrap();
    assert_eq!(status.and_then(|s| s.code()), Some(130), "Ctrl-C did not stop `sleep` within 2 s");
    assert_eq!(stdout, b"sleeping\n");
}

/// The child's exit status, or None (and the child killed) if it runs longer than `limit`.
fn wait_at_most(child: &mut std::process::Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return Some(s);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigint_stops_a_loop_whose_poll_follows_another_with_no_store_between() {
    // Cranelift merged the back-edge poll's load with the function-entry poll (no store or call
    // between them), so the loop never saw the flag: Ctrl-C could not stop `spin` (nor the
    // mandelbrot benchmark's inner loop).
    let dir = std::env::temp_dir().join(format!("vais_sigint_loop_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("spin.vais");
    std::fs::write(&path, "F spin() -> i64 {\n    k := mut 0\n    L { k += 1 }\n    k\n}\nF main() -> i64 = spin()\n").unwrap();
    let mut child = vaisc().arg("run").arg(&path).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    sigint(&child);
    let status = wait_at_most(&mut child, Duration::from_secs(5));
    assert_eq!(status.and_then(|s| s.code()), Some(130), "Ctrl-C did not stop the loop");
}

/// Element offsets past a three-element local array: the words just above it (the program's own
/// frame), the frames of the protected call above the program's, the guard region above the
/// stack, and beyond it.
const PAST_THE_ARRAY: [i64; 12] = [3, 5, 8, 12, 16, 24, 48, 100, 1000, 100_000, 1_000_000, 3_000_000];

/// A function that writes `50` at element `k` of a local three-element array (out of range: the
/// language leaves it undefined, as C does).
fn smashing_function(name: &str, k: i64) -> String {
    format!("F {name}() -> i64 {{ arr := [1, 2, 3]; arr[{k}] = 50; 0 }}")
}

#[test]
fn out_of_range_writes_to_a_local_array_never_lose_the_repl_session() {
    // Every offset from 0 to 160 words and the far ones: after each, the session still answers.
    let mut inputs = String::new();
    let offsets: Vec<i64> = (0..=160).chain(PAST_THE_ARRAY).collect();
    for (i, k) in offsets.iter().enumerate() {
        inputs.push_str(&smashing_function(&format!("f{i}"), *k));
        inputs.push_str(&format!("\nf{i}()\n{i} + 1000000\n"));
    }
    let out = run_with_stdin(&["repl"], &inputs);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "the session ended: {:?}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    for (i, k) in offsets.iter().enumerate() {
        assert!(stdout.contains(&format!("=> {}\n", i + 1_000_000)), "no answer after offset {k}:\n{stdout}");
    }
}

#[test]
fn out_of_range_writes_to_a_local_array_end_run_with_a_report_not_a_signal() {
    for k in PAST_THE_ARRAY {
        let src = format!("{}\nF main() -> i64 {{\n    puts(\"before\")\n    s()\n}}\n", smashing_function("s", k));
        let out = run_program(&src);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(matches!(out.status.code(), Some(0) | Some(101)), "offset {k}: {:?}\n{stderr}", out.status);
        assert_eq!(out.stdout, b"before\n", "offset {k}");
        if out.status.code() == Some(101) {
            assert!(stderr.starts_with("runtime error: invalid memory access"), "offset {k}: {stderr}");
        }
    }
    // Past the frames of the protected call, the write faults in the guard region at once: the
    // report names the function and the line of the store.
    let src = format!("{}\nF main() -> i64 = s()\n", smashing_function("s", 1000));
    let out = run_program(&src);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(101), "{stderr}");
    assert!(stderr.contains("invalid memory access") && stderr.contains("in `s`") && stderr.contains(":1:"), "{stderr}");
}

/// A bad pointer handed to C or runtime code faults there, outside JIT code, where frame
/// pointers are not kept: the report still names the Vais function that made the call, its
/// line, and the Vais frames above it (inlined or not).
#[test]
fn faults_in_c_code_name_the_vais_caller_and_its_line() {
    let src = "F f(p: i64) -> i64 {\n    strlen(p) + 1\n}\nF g(p: i64) -> i64 = f(p) * 2\nF main() -> i64 {\n    puts(\"before\")\n    g(8)\n}\n";
    for inline in ["1", "0"] {
        let dir = std::env::temp_dir().join(format!("vais_native_fault_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("native.vais");
        std::fs::write(&path, src).unwrap();
        let out = vaisc().arg("run").arg(&path).env("VAIS_INLINE", inline).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(101), "{stderr}");
        assert_eq!(out.stdout, b"before\n");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.first().copied(), Some("runtime error: invalid memory access at 0x8 in `f`"), "inline {inline}: {stderr}");
        assert!(lines.get(1).is_some_and(|l| l.starts_with("  at f (") && l.ends_with("native.vais:2:5)")), "inline {inline}: {stderr}");
        assert!(lines.get(2).is_some_and(|l| l.starts_with("  at g (") && l.ends_with("native.vais:4:22)")), "inline {inline}: {stderr}");
        assert!(lines.get(3).is_some_and(|l| l.starts_with("  at main (") && l.ends_with("native.vais:7:5)")), "inline {inline}: {stderr}");
    }
    // Our `printf` (Rust code, which uses `rbp` for its own values): the caller's frame is
    // found by its frame-pointer shape above the call's return address.
    let dir = std::env::temp_dir().join(format!("vais_native_fault_{}", std::process::id()));
    let path = dir.join("printf.vais");
    std::fs::write(&path, "F f(p: i64) -> i64 {\n    printf(\"%s\\n\", p)\n    1\n}\nF main() -> i64 = f(16)\n").unwrap();
    // The same with `f` inlined into `main`, the outermost frame (whose return address is in
    // the entry adapter, not in a Vais function): found by its shape near the top of the stack.
    // Either way `f`'s frame points at the call, not at an argument (inlined, the call's
    // position was lost and the format string's was shown: Cranelift's relative positions).
    for inline in ["0", "1"] {
        let out = vaisc().arg("run").arg(&path).env("VAIS_INLINE", inline).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.starts_with("runtime error: invalid memory access at 0x10 in `f`\n  at f ("), "{stderr}");
        assert!(stderr.lines().nth(1).is_some_and(|l| l.ends_with("printf.vais:2:5)")), "inline {inline}: {stderr}");
        assert!(stderr.lines().nth(2).is_some_and(|l| l.starts_with("  at main (") && l.ends_with("printf.vais:5:19)")), "{stderr}");
    }
    // A function whose body is the call, inlined with its argument substituted.
    let path = dir.join("printf_tail.vais");
    std::fs::write(&path, "F f(p: i64) -> i64 { printf(\"%s\\n\", p) }\nF main() -> i64 {\n    f(16)\n}\n").unwrap();
    for inline in ["0", "1"] {
        let out = vaisc().arg("run").arg(&path).env("VAIS_INLINE", inline).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.first().copied(), Some("runtime error: invalid memory access at 0x10 in `f`"), "inline {inline}: {stderr}");
        assert!(lines.get(1).is_some_and(|l| l.starts_with("  at f (") && l.ends_with("printf_tail.vais:1:22)")), "inline {inline}: {stderr}");
        assert!(lines.get(2).is_some_and(|l| l.starts_with("  at main (") && l.ends_with("printf_tail.vais:3:5)")), "inline {inline}: {stderr}");
    }
    // `puts_ptr` (the runtime's own code) the same way.
    let out = run_program("F main() -> i64 {\n    p := 8\n    puts_ptr(p)\n    0\n}\n");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("runtime error: invalid memory access at 0x8 in `main`\n  at main ("), "{stderr}");
    assert!(stderr.lines().nth(1).is_some_and(|l| l.ends_with(":3:5)")), "{stderr}");
}
