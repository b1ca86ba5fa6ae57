//! `vaisc run -g` and REPL `:debug on` under gdb (batch mode): a breakpoint by Vais file and
//! line is pending until the code exists, then hits; `bt` names the Vais functions with their
//! files and lines and, through the frames' call-frame information, goes on through the entry
//! wrapper into the host's frames; `step` enters a Vais call, `next` goes by line, `finish`
//! returns to the caller; the program then runs to its normal end. In inlined code (the
//! inliner stays on under `-g`) `bt` shows each inlined copy as a frame at its own line. The
//! tests of real calls (step, finish, frames' CFI) run with `VAIS_INLINE=0`. `.ci/run`
//! installs gdb when it is missing.

mod common;

use std::path::Path;

/// Runs `vaisc ARGS` under gdb in `dir` with the `commands` (each one `-ex`), after the
/// settings every test needs (JIT code's checks raise SIGILL/SIGSEGV, which it handles itself;
/// breakpoints in code that does not exist yet are pending). Returns stdout and stderr.
fn gdb(dir: &Path, commands: &[&str], args: &[&str]) -> String {
    gdb_env(dir, commands, args, &[])
}

/// [`gdb`] with environment variables for `vaisc` (`VAIS_INLINE=0`: every call stays a call).
fn gdb_env(dir: &Path, commands: &[&str], args: &[&str], env: &[(&str, &str)]) -> String {
    let mut all = vec!["handle SIGILL nostop noprint pass", "handle SIGSEGV nostop noprint pass", "set breakpoint pending on", "set width 0"];
    all.extend_from_slice(commands);
    let cache = common::test_cache_dir();
    let cache = cache.to_str().expect("a UTF-8 temporary directory");
    let env: Vec<(&str, &str)> = std::iter::once(("VAIS_CACHE_DIR", cache)).chain(env.iter().copied()).collect();
    common::gdb_batch(dir, &all, &env, env!("CARGO_BIN_EXE_vaisc").as_ref(), args)
}

#[test]
fn gdb_breaks_on_a_vais_line_and_shows_vais_frames() {
    let dir = common::repo_root().join("tests/profile");
    // `light` is inlined into main's loop (and also compiled on its own): the breakpoint has
    // a location in each, and the inlined copy is hit, shown as a frame of its own.
    let text = gdb(&dir, &["break split.vais:9", "run", "bt 2", "info frame", "delete", "continue"], &["run", "-g", "split.vais"]);
    assert!(text.contains("Breakpoint 1 (split.vais:9) pending"), "{text}");
    assert!(text.lines().any(|l| l.contains("hit Breakpoint 1") && l.ends_with(", light () at split.vais:9")), "{text}");
    assert!(text.contains("#0  light () at split.vais:9"), "{text}");
    assert!(text.lines().any(|l| l.starts_with("#1 ") && l.contains("main () at split.vais:14")), "{text}");
    assert!(text.contains("inlined into frame 1"), "{text}");
    assert!(text.contains("exited normally"), "{text}");
    let expected = std::fs::read_to_string(dir.join("split.stdout")).unwrap();
    assert!(text.contains(expected.trim()), "the program's output is missing:\n{text}");
}

/// The lines of a `bt` (frames `#N`).
fn frames(text: &str) -> Vec<&str> {
    text.lines().filter(|l| l.starts_with('#')).collect()
}

#[test]
fn gdb_backtrace_goes_through_jit_frames_into_the_host() {
    let dir = common::repo_root().join("tests/profile");
    let text = gdb_env(&dir, &["break split.vais:4", "run", "bt", "info frame", "delete", "continue"], &["run", "-g", "split.vais"], &[("VAIS_INLINE", "0")]);
    let bt = frames(&text);
    assert!(bt.first().is_some_and(|l| l.starts_with("#0  heavy () at split.vais:4")), "{text}");
    assert!(bt.get(1).is_some_and(|l| l.contains(" in main () at split.vais:14")), "{text}");
    // The entry wrapper is JIT code too: named, and unwound by its frame description.
    assert!(bt.get(2).is_some_and(|l| l.contains(" in vais$main$entry ()")), "{text}");
    // Below it, the host: the protected call that runs JIT code, down to the thread's start.
    assert!(bt.iter().any(|l| l.contains("vais_runtime::faults::run_protected")), "{text}");
    assert!(bt.iter().any(|l| l.contains("vaisc::driver::run")), "{text}");
    assert!(bt.last().is_some_and(|l| l.contains("clone") || l.contains("start_thread")), "{text}");
    assert!(!bt.iter().any(|l| l.contains("?? ")), "an unknown frame:\n{text}");
    // `info frame` reads the saved registers from the call-frame information.
    assert!(text.contains("Saved registers:") && text.contains("rip at 0x"), "{text}");
    assert!(text.contains("exited normally"), "{text}");
}

#[test]
fn gdb_steps_into_nexts_over_and_finishes_vais_functions() {
    let dir = common::repo_root().join("tests/gdb");
    let text = gdb_env(&dir, &["break step.vais:9", "run", "step", "next", "finish", "next", "continue"], &["run", "-g", "step.vais"], &[("VAIS_INLINE", "0")]);
    let at = |needle: &str| text.find(needle).unwrap_or_else(|| panic!("`{needle}` missing:\n{text}"));
    // Breakpoint at `y := add(x, 7)`; `step` enters `add` at its first body line.
    let hit = at("hit Breakpoint 1, main () at step.vais:9");
    let step = at("add () at step.vais:3\n3\t    c := a * b + 1");
    // `next` goes to the next line of `add` (over the printf call).
    let next = at("\n4\t    printf(\"c = %d\\n\", c)");
    // `finish` returns to `main`, whose next line uses the result; `next` goes on by line.
    let finish = at("main () at step.vais:10\n10\t    printf(\"y = %d\\n\", y)");
    let next2 = at("\n12\t    printf(\"x = %d\\n\", x)");
    assert!(hit < step && step < next && next < finish && finish < next2, "out of order:\n{text}");
    assert!(text.contains("c = 36\ny = 72\nx = 77"), "{text}");
    assert!(text.contains("exited normally"), "{text}");
}

/// REPL `:debug on` under gdb, the REPL reading its input from a file: each compiled input
/// is an image whose functions gdb can break in by `input-N.vais:LINE`; a redefinition
/// unregisters the old code's image (its breakpoint goes back to pending), `:clear`
/// unregisters every image of the old session, and each image comes and goes separately
/// (`maint info jit` lists them).
#[test]
fn gdb_follows_repl_inputs_with_debug_on() {
    let dir = std::env::temp_dir().join(format!("vaisc-gdb-repl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = "F tri(n: i64) -> i64 {\n    s := n * (n + 1)\n    s / 2\n}\n:debug on\ntri(10)\n\
                 F tri(n: i64) -> i64 = n + 1000\ntri(10)\n:clear\nF last() -> i64 = 7\nlast()\n:debug off\n1 + 2\n";
    std::fs::write(dir.join("input.txt"), input).unwrap();
    let text = gdb(
        &dir,
        &[
            "break input-1.vais:3",
            "break input-3.vais:1",
            "run < input.txt",
            "bt 2",
            "maint info jit",
            "continue",
            "info breakpoints",
            "maint info jit",
            "delete",
            "break last",
            "continue",
            "maint info jit",
            "continue",
        ],
        &["repl"],
    );
    let _ = std::fs::remove_dir_all(&dir);
    let at = |needle: &str| text.find(needle).unwrap_or_else(|| panic!("`{needle}` missing:\n{text}"));
    // Images made before `:debug on` are registered by it: input 1 (tri); then input 2's.
    let on = at("debug info on (1 compiled input registered)");
    let hit1 = at("hit Breakpoint 1, tri () at ");
    assert!(text.contains("/input-1.vais:3\n3\t    s / 2"), "{text}");
    assert!(text.lines().any(|l| l.starts_with("#1 ") && l.contains("in __repl_2 () at ") && l.ends_with("/input-2.vais:1")), "{text}");
    let first = at("=> 55");
    // The redefinition of `tri` (input 3) hits breakpoint 2; the old tri's image is gone, so
    // breakpoint 1 is pending again.
    let hit2 = at("hit Breakpoint 2, ");
    assert!(text.contains("in tri () at ") && text.contains("/input-3.vais:1\n1\tF tri(n: i64) -> i64 = n + 1000"), "{text}");
    assert!(text.lines().any(|l| l.starts_with("1 ") && l.contains("<PENDING>") && l.ends_with("input-1.vais:3")), "{text}");
    let second = at("=> 1010");
    // After `:clear`, input numbers start again: only the new session's images are left.
    let cleared = at("session cleared");
    let hit3 = at("hit Breakpoint 3, ");
    assert!(text[hit3..].lines().next().is_some_and(|l| l.contains("in last () at ") && l.ends_with("/input-1.vais:1")), "{text}");
    assert!(text[hit3..].contains("1\tF last() -> i64 = 7"), "the new input-1's text, not the old one:\n{text}");
    let last = at("=> 7");
    assert!(on < hit1 && hit1 < first && first < hit2 && hit2 < second && second < cleared && cleared < hit3 && hit3 < last, "{text}");
    // Images registered at each stop: 2 (inputs 1, 2), then 2 (inputs 3, 4: input 2's entry
    // ran, so its code and image are gone), then 2 (the new inputs 1 and 2).
    let images: Vec<usize> = text
        .split("jit_code_entry address")
        .skip(1)
        .map(|s| s.lines().skip(1).take_while(|l| l.starts_with("0x")).count())
        .collect();
    assert_eq!(images, vec![2, 2, 2], "{text}");
    assert!(text.contains("debug info off\n=> 3"), "{text}");
    assert!(text.contains("exited normally"), "{text}");
}

#[test]
fn gdb_stops_at_a_fault_in_jit_code_with_vais_frames() {
    let dir = common::repo_root().join("tests/gdb");
    // The SIGSEGV stops gdb this time (the later `handle` wins); `bt` there, then the program
    // handles it itself and reports the runtime error as usual.
    // (Every call a call: with `get` and `sum` inlined, the fault is the first instruction
    // of both copies, and gdb shows a stop at the start of an inlined copy as the caller at
    // the call's line, as it does for C.)
    let text = gdb_env(&dir, &["handle SIGSEGV stop print", "run", "bt", "continue"], &["run", "-g", "fault.vais"], &[("VAIS_INLINE", "0")]);
    assert!(text.contains("SIGSEGV"), "gdb did not stop at the fault:\n{text}");
    let bt = frames(&text);
    assert!(bt.first().is_some_and(|l| l.contains("get (") && l.contains("at fault.vais:3")), "{text}");
    assert!(bt.iter().any(|l| l.contains(" in sum (") && l.contains("at fault.vais:7")), "{text}");
    assert!(bt.iter().any(|l| l.contains(" in main () at fault.vais:12")), "{text}");
    assert!(text.contains("runtime error: invalid memory access at 0x0 in `get`"), "{text}");
}

/// With the inliner on (the default, `-g` too), `get` is inlined into `sum`, which is inlined
/// into `main`: the image describes the copies (`DW_TAG_inlined_subroutine` with the call's
/// line), so a breakpoint on `get`'s line stops in the copy, and `bt` shows one frame per
/// inlined function, each at its own line, as the runtime's own backtrace does.
#[test]
fn gdb_shows_inlined_copies_as_frames_with_their_lines() {
    let dir = common::repo_root().join("tests/gdb");
    let text = gdb(&dir, &["break fault.vais:3", "run", "bt 4", "delete", "continue"], &["run", "-g", "fault.vais"]);
    // `get` has one location of its own and one per copy.
    assert!(text.lines().any(|l| l.contains("hit Breakpoint 1") && l.ends_with(", get () at fault.vais:3")), "{text}");
    let bt = frames(&text);
    assert!(bt.first().is_some_and(|l| l.starts_with("#0  get () at fault.vais:3")), "{text}");
    // Inlined frames have no address of their own ("#1  sum () at", not "#1  0x... in sum").
    assert!(bt.get(1).is_some_and(|l| l.starts_with("#1  sum () at fault.vais:7")), "{text}");
    assert!(bt.get(2).is_some_and(|l| l.starts_with("#2  main () at fault.vais:12")), "{text}");
    assert!(bt.get(3).is_some_and(|l| l.contains(" in vais$main$entry ()")), "{text}");
    assert!(text.contains("runtime error: invalid memory access at 0x0 in `get`"), "{text}");
}

/// A line that calls an inlined function has code: its row starts the copy (then the copy's
/// own rows), so `break FILE:LINE` on the call stops there, inside the copy called from it.
#[test]
fn gdb_breaks_on_a_line_whose_call_was_inlined() {
    let dir = common::repo_root().join("tests/gdb");
    let text = gdb(&dir, &["break step.vais:9", "run", "bt 2", "delete", "continue"], &["run", "-g", "step.vais"]);
    assert!(text.contains("hit Breakpoint 1, "), "{text}");
    let bt = frames(&text);
    assert!(bt.first().is_some_and(|l| l.starts_with("#0  add () at step.vais:")), "{text}");
    assert!(bt.get(1).is_some_and(|l| l.starts_with("#1  main () at step.vais:9")), "{text}");
    assert!(text.contains("c = 36\ny = 72\nx = 77"), "{text}");
    assert!(text.contains("exited normally"), "{text}");
}
