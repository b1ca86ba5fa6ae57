//! Running `vaisc` (and this fuzzer's own in-process compile check) as child processes with a
//! time limit: a crash signal, a hang or an internal compiler error is a finding, never a crash
//! of the fuzzer.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Outcome {
    pub stdout: Vec<u8>,
    pub stderr: String,
    /// Exit code, or None when killed by a signal or by the time limit.
    pub code: Option<i32>,
    pub signal: Option<i32>,
    pub timed_out: bool,
}

impl Outcome {
    /// A problem that is always a bug, whatever the input: a crash signal, a hang, a panic
    /// or an internal compiler error.
    pub fn fatal(&self) -> Option<String> {
        if self.timed_out {
            return Some("timed out (hang)".into());
        }
        if let Some(s) = self.signal {
            return Some(format!("killed by signal {s}"));
        }
        if self.stderr.contains("internal compiler error") {
            return Some("internal compiler error".into());
        }
        if self.stderr.contains("panicked at") || self.code == Some(101) && self.stderr.contains("RUST_BACKTRACE") {
            return Some("panic".into());
        }
        None
    }
}

/// Runs `program args` with `stdin`, killing it after `limit`.
pub fn run(program: &Path, args: &[&str], stdin: &[u8], limit: Duration) -> Outcome {
    let mut child = Command::new(program)
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
    let mut pin = child.stdin.take().unwrap();
    let input = stdin.to_vec();
    let w = std::thread::spawn(move || {
        let _ = pin.write_all(&input);
    });
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let ro = std::thread::spawn(move || {
        let mut v = vec![];
        let _ = out.read_to_end(&mut v);
        v
    });
    let re = std::thread::spawn(move || {
        let mut v = vec![];
        let _ = err.read_to_end(&mut v);
        v
    });
    let start = Instant::now();
    let mut timed_out = false;
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if start.elapsed() > limit {
            timed_out = true;
            let _ = child.kill();
            break child.wait().expect("wait");
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let _ = w.join();
    let stdout = ro.join().unwrap_or_default();
    let stderr = String::from_utf8_lossy(&re.join().unwrap_or_default()).into_owned();
    use std::os::unix::process::ExitStatusExt;
    Outcome { stdout, stderr, code: status.code(), signal: if timed_out { None } else { status.signal() }, timed_out }
}

/// Where the `vaisc` binary is: `$VAISC`, else next to this executable (target/<profile>/),
/// also when this executable is a test in target/<profile>/deps/.
pub fn find_vaisc() -> PathBuf {
    if let Some(p) = std::env::var_os("VAISC") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("current exe");
    let mut dir = exe.parent().unwrap().to_path_buf();
    if dir.ends_with("deps") {
        dir.pop();
    }
    dir.join("vaisc")
}

/// A scratch directory for the files of one worker.
pub fn scratch_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vais-fuzz-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}
