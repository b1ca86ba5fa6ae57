//! `vaisc run -g` under gdb (batch mode): a breakpoint by Vais file and line is pending until
//! the code exists, then hits; `bt` names the Vais functions with their files and lines; the
//! program then runs to its normal end. `.ci/run` installs gdb when it is missing.

mod common;

use std::process::Command;

#[test]
fn gdb_breaks_on_a_vais_line_and_shows_vais_frames() {
    assert!(
        Command::new("gdb").arg("--version").output().is_ok_and(|o| o.status.success()),
        "gdb is not installed (.ci/run installs it: apt-get install gdb)"
    );
    let dir = common::repo_root().join("tests/profile");
    let out = Command::new("gdb")
        .current_dir(&dir)
        .args(["-batch", "-nx"])
        .args(["-ex", "handle SIGILL nostop noprint pass", "-ex", "handle SIGSEGV nostop noprint pass"])
        .args(["-ex", "set breakpoint pending on", "-ex", "break split.vais:9"])
        .args(["-ex", "run", "-ex", "bt 2", "-ex", "delete", "-ex", "continue"])
        .arg("--args")
        .arg(env!("CARGO_BIN_EXE_vaisc"))
        .args(["run", "-g", "split.vais"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("Breakpoint 1 (split.vais:9) pending"), "{text}");
    assert!(text.contains("hit Breakpoint 1, light () at split.vais:9"), "{text}");
    assert!(text.contains("#0  light () at split.vais:9"), "{text}");
    assert!(text.lines().any(|l| l.starts_with("#1 ") && l.contains("in main () at split.vais:14")), "{text}");
    assert!(text.contains("exited normally"), "{text}");
    let expected = std::fs::read_to_string(dir.join("split.stdout")).unwrap();
    assert!(text.contains(expected.trim()), "the program's output is missing:\n{text}");
}
