//! Shared helpers for the data-driven tests: locating test data and running the real binary.
#![allow(dead_code)] // each test file uses a different part of this module

pub mod pty;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn conformance_dir() -> PathBuf {
    repo_root().join("tests/conformance")
}

/// The `vaisc` under test, with both verifiers on (Cranelift's and the TIR one) even in a
/// release build: every program a test compiles is verified, and a verifier failure is an
/// internal error the test sees. Its cache of compiled code is [`test_cache_dir`], never the
/// user's.
pub fn vaisc() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vaisc"));
    c.env("VAIS_VERIFY", "1").env("VAIS_CACHE_DIR", test_cache_dir()).env_remove("VAIS_CACHE");
    c
}

/// The compiled-code cache the tests share (under the build's temporary directory): tests
/// never read or write `~/.cache`. Tests about the cache itself use directories of their own.
pub fn test_cache_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("vais-cache")
}

/// Runs `vaisc` with `args`, feeding `stdin` through a pipe.
pub fn run_with_stdin(args: &[&str], stdin: &str) -> Output {
    let mut child = vaisc()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn vaisc");
    let mut pipe = child.stdin.take().expect("stdin pipe");
    let input = stdin.to_string();
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(input.as_bytes());
    });
    let out = child.wait_with_output().expect("wait vaisc");
    let _ = writer.join();
    out
}

/// One conformance case: the program, expected stdout, expected exit (None = TRAP), and
/// optionally its arguments (`NAME.args`, one per line) and standard input (`NAME.stdin`).
pub struct Case {
    pub name: String,
    pub program: PathBuf,
    pub stdout: Vec<u8>,
    pub exit: Option<u8>,
    /// The first line the program writes on standard error (`NAME.stderr`, optional): a
    /// runtime error's message.
    pub stderr_first: Option<String>,
    pub args: Option<Vec<String>>,
    pub stdin: Option<Vec<u8>>,
}

impl Case {
    /// `vaisc run` on this case, with its arguments and standard input.
    pub fn run(&self) -> Output {
        let mut c = vaisc();
        c.arg("run").arg(&self.program);
        if let Some(a) = &self.args {
            c.arg("--").args(a);
        }
        self.feed(c)
    }

    /// The executable built from this case, run with its arguments and standard input.
    pub fn run_built(&self, exe: &std::path::Path) -> Output {
        let mut c = Command::new(exe);
        if let Some(a) = &self.args {
            c.args(a);
        }
        self.feed(c)
    }

    /// Runs `c` with this case's standard input (none: the test's own, as `vaisc run` gets).
    fn feed(&self, mut c: Command) -> Output {
        match &self.stdin {
            None => c.output().expect("run vaisc"),
            Some(input) => {
                let mut child = c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn vaisc");
                let mut pipe = child.stdin.take().expect("stdin pipe");
                let input = input.clone();
                let writer = std::thread::spawn(move || {
                    let _ = pipe.write_all(&input);
                });
                let out = child.wait_with_output().expect("wait vaisc");
                let _ = writer.join();
                out
            }
        }
    }
}

/// The conformance `A_` programs plus our own per-feature programs (`tests/programs`, same
/// file format: `NAME.vais`, `NAME.stdout`, `NAME.exit`).
pub fn a_cases() -> Vec<Case> {
    let mut cases = cases_in(&conformance_dir(), "A_");
    assert!(cases.len() >= 60, "expected the conformance programs, found {}", cases.len());
    let own = cases_in(&repo_root().join("tests/programs"), "");
    assert!(own.len() >= 4, "expected our own feature programs, found {}", own.len());
    cases.extend(own);
    // The examples folder (`examples/NAME.vais` with `.stdout` and `.exit`) runs the same way.
    let examples = cases_in(&repo_root().join("examples"), "");
    assert!(examples.len() >= 5, "expected the examples, found {}", examples.len());
    cases.extend(examples);
    cases
}

fn cases_in(dir: &std::path::Path, prefix: &str) -> Vec<Case> {
    let dir = dir.to_path_buf();
    let mut cases = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&dir).expect("conformance dir").flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().to_string();
        if !name.starts_with(prefix) {
            continue;
        }
        let (stem, base, program) = if e.path().is_dir() {
            (name.clone(), e.path().join("main"), e.path().join("main.vais"))
        } else if let Some(stem) = name.strip_suffix(".vais") {
            (stem.to_string(), dir.join(stem), e.path())
        } else {
            continue;
        };
        let stdout = std::fs::read(base.with_extension("stdout")).expect("stdout file");
        let exit_text = std::fs::read_to_string(base.with_extension("exit")).expect("exit file");
        let exit = match exit_text.trim() {
            "TRAP" => None,
            n => Some(n.parse::<u8>().expect("exit status")),
        };
        let stderr_first = std::fs::read_to_string(base.with_extension("stderr")).ok().map(|s| s.trim_end().to_string());
        let args = std::fs::read_to_string(base.with_extension("args")).ok().map(|t| t.lines().map(String::from).collect());
        let stdin = std::fs::read(base.with_extension("stdin")).ok();
        cases.push(Case { name: stem, program, stdout, exit, stderr_first, args, stdin });
    }
    cases
}

/// Starts `vaisc repl` on pipes; returns the child, its stdin, a reader of its stdout and a
/// channel of its standard error lines.
pub fn spawn_repl() -> (std::process::Child, std::process::ChildStdin, std::io::BufReader<std::process::ChildStdout>, std::sync::mpsc::Receiver<String>) {
    let mut child = vaisc().arg("repl").stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    let stdin = child.stdin.take().unwrap();
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufRead::lines(std::io::BufReader::new(stderr)).map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    (child, stdin, stdout, rx)
}

/// Ends a session from [`spawn_repl`]: sends `inputs`, closes its standard input, and returns
/// the rest of its standard output, after checking that the REPL then exited successfully.
pub fn finish_repl(mut child: std::process::Child, mut stdin: std::process::ChildStdin, mut out: std::io::BufReader<std::process::ChildStdout>, inputs: &str) -> String {
    std::io::Write::write_all(&mut stdin, inputs.as_bytes()).unwrap();
    drop(stdin);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    assert!(child.wait().unwrap().success(), "the REPL did not exit successfully; output after the session: {rest}");
    rest
}

/// Sends SIGINT (Ctrl-C) to a child process.
pub fn sigint(child: &std::process::Child) {
    // SAFETY: plain kill(2) on our own child's pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
}

/// Writes `inputs` to a session from [`spawn_repl`] and returns the next line of its output.
pub fn send_and_read_line(stdin: &mut std::process::ChildStdin, out: &mut std::io::BufReader<std::process::ChildStdout>, inputs: &str) -> String {
    std::io::Write::write_all(stdin, inputs.as_bytes()).unwrap();
    std::io::Write::flush(stdin).unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(out, &mut line).unwrap();
    line
}

/// Interrupts the input a session from [`spawn_repl`] is running (`err`: its standard error
/// lines): requires the `interrupted` report within 5 s and returns how long it took.
pub fn interrupt_repl(child: &std::process::Child, err: &std::sync::mpsc::Receiver<String>, what: &str) -> std::time::Duration {
    let sent = std::time::Instant::now();
    sigint(child);
    let msg = err.recv_timeout(std::time::Duration::from_secs(5)).expect("an `interrupted` report");
    assert_eq!(msg, "interrupted", "{what}");
    sent.elapsed()
}

/// Runs `program ARGS` under gdb in batch mode in `dir`, each of `commands` an `-ex`, with
/// `env` set; returns gdb's standard output and error together. Fails when gdb is missing.
pub fn gdb_batch(dir: &std::path::Path, commands: &[&str], env: &[(&str, &str)], program: &std::ffi::OsStr, args: &[&str]) -> String {
    assert!(
        Command::new("gdb").arg("--version").output().is_ok_and(|o| o.status.success()),
        "gdb is not installed (.ci/run installs it: apt-get install gdb)"
    );
    let mut cmd = Command::new("gdb");
    cmd.current_dir(dir).args(["-batch", "-nx"]);
    for c in commands {
        cmd.args(["-ex", c]);
    }
    cmd.envs(env.iter().copied());
    let out = cmd.arg("--args").arg(program).args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr)
}
