//! On a terminal, program output that does not end in a newline keeps its line: the REPL ends
//! it before `=> `, before an error message and before the next prompt (which is drawn from the
//! start of the line and would erase it). Issue 9, item 16.

mod common;

use common::pty::Pty;

#[test]
fn open_output_lines_are_ended_not_erased() {
    let state = std::env::temp_dir().join(format!("vais_pty_lines_{}", std::process::id()));
    let mut pty = Pty::spawn(&["repl"], &state);
    pty.expect("vais> ");
    // `abc` is followed by a line break before the next prompt.
    // (The output is computed, so the echo of the input line does not contain it.)
    pty.send("printf(\"%d\", 1000 + 1); ()\r");
    pty.expect("1001");
    let gap = pty.expect("vais> ");
    assert!(gap.contains('\n'), "no line break between `1001` and the prompt: {gap:?}");
    // ... and before `=> `.
    pty.send("printf(\"%d\", 2000 + 2)\r");
    pty.expect("2002");
    let gap = pty.expect("=> 4");
    assert!(gap.contains('\n'), "`=> ` shares the line of `2002`: {gap:?}");
    // ... and before an error message.
    pty.send("printf(\"%d\", 3000 + 3); 1 / 0\r");
    pty.expect("3003");
    let gap = pty.expect("runtime error");
    assert!(gap.contains('\n'), "the error shares the line of `3003`: {gap:?}");
    pty.expect("vais> ");
    // Output ending in a newline gets no extra blank line.
    pty.send("printf(\"%d\\n\", 4000 + 4); ()\r");
    pty.expect("4004");
    let gap = pty.expect("vais> ");
    assert_eq!(gap.matches('\n').count(), 1, "{gap:?}");
    pty.finish();
    let _ = std::fs::remove_dir_all(&state);
}
