//! Drives `vaisc repl` through a real pseudo-terminal: banner, `vais> ` prompt, `...> `
//! continuation prompt for an incomplete input, evaluation, Ctrl-D, and the history file in
//! `$XDG_STATE_HOME/vais/history`.

mod common;

use common::pty::Pty;
use std::time::{Duration, Instant};

/// Starts `vaisc repl` on a new pseudo-terminal with `XDG_STATE_HOME=state`.
fn spawn_on_pty(state: &std::path::Path) -> Pty {
    Pty::spawn(&["repl"], state)
}

/// Waits (at most 10 s) for the child to end and returns its exit code.
fn wait_exit(child: &mut std::process::Child) -> Option<i32> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        assert!(Instant::now() < deadline, "repl did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn terminal_session_with_prompts_and_history() {
    let state = std::env::temp_dir().join(format!("vais_pty_state_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&state);
    let mut pty = spawn_on_pty(&state);
    pty.expect("JIT");
    pty.expect("vais> ");
    pty.send("1 + 1\r");
    pty.expect("=> 2");
    pty.expect("vais> ");
    pty.send("F twice(x: i64) -> i64 {\r");
    pty.expect("...> ");
    pty.send("x * 2 }\r");
    pty.expect("vais> ");
    pty.send("twice(21)\r");
    pty.expect("=> 42");
    pty.expect("vais> ");
    pty.finish();
    let history = std::fs::read_to_string(state.join("vais/history")).expect("history file");
    assert!(history.contains("twice(21)"), "history: {history}");
    let _ = std::fs::remove_dir_all(&state);
}

#[test]
fn history_is_written_before_each_input_runs_and_keeps_ten_thousand_entries() {
    let state = std::env::temp_dir().join(format!("vais_pty_hist_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&state);
    std::fs::create_dir_all(state.join("vais")).unwrap();
    // An existing history of 10,500 entries (rustyline's file format).
    let mut old = String::from("#V2\n");
    for i in 0..10_500 {
        old.push_str(&format!("{i} + 0\n"));
    }
    std::fs::write(state.join("vais/history"), old).unwrap();
    let mut pty = spawn_on_pty(&state);
    pty.expect("vais> ");
    pty.send("k := 41 + 1\r");
    pty.expect("vais> ");
    // The input ends the process: it must already be in the history file.
    pty.send("exit(k)\r");
    assert_eq!(wait_exit(&mut pty.child), Some(42));
    let history = std::fs::read_to_string(state.join("vais/history")).expect("history file");
    let lines: Vec<&str> = history.lines().filter(|l| !l.starts_with("#V")).collect();
    assert_eq!(lines.last().copied(), Some("exit(k)"), "{:?}", &lines[lines.len().saturating_sub(5)..]);
    assert!(lines.contains(&"k := 41 + 1"));
    assert_eq!(lines.len(), 10_000, "the cap is 10,000 entries");
    assert_eq!(lines[0], "502 + 0");
    let _ = std::fs::remove_dir_all(&state);
}
