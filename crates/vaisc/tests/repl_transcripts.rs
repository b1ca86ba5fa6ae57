//! REPL transcripts (`tests/repl/*.repl`) run through the real binary over a pipe.
//!
//! Format: `>>> ` starts an input line, `... ` continues it; `!! text` expects `text` as a
//! substring of standard error (in order); every other non-empty line is an expected standard
//! output line, compared exactly and in order. `## ` lines are comments.

mod common;

use common::*;

#[test]
fn transcripts() {
    let dir = repo_root().join("tests/repl");
    let mut files: Vec<_> = std::fs::read_dir(&dir).expect("tests/repl").flatten().map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "repl")).collect();
    files.sort();
    assert!(!files.is_empty());
    let mut failures = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let mut input = String::new();
        let mut want_out = String::new();
        let mut want_err = Vec::new();
        for line in text.lines() {
            if let Some(l) = line.strip_prefix(">>> ").or(line.strip_prefix(">>>")) {
                input.push_str(l);
                input.push('\n');
            } else if let Some(l) = line.strip_prefix("... ") {
                input.push_str(l);
                input.push('\n');
            } else if let Some(l) = line.strip_prefix("!! ") {
                want_err.push(l.to_string());
            } else if line.starts_with("##") || line.trim().is_empty() {
            } else {
                want_out.push_str(line);
                want_out.push('\n');
            }
        }
        let tmp = std::env::temp_dir().display().to_string();
        let input = input.replace("$TMP", &tmp);
        let want_out = want_out.replace("$TMP", &tmp);
        let out = run_with_stdin(&["repl"], &input);
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        let mut pos = 0;
        let mut missing = Vec::new();
        for w in &want_err {
            match stderr[pos..].find(w.as_str()) {
                Some(i) => pos += i + w.len(),
                None => missing.push(w.clone()),
            }
        }
        if stdout != want_out || !missing.is_empty() || !out.status.success() {
            failures.push(format!(
                "{}:\n--- stdout\n{stdout}--- want\n{want_out}--- stderr\n{stderr}--- missing in stderr: {missing:?}; status {:?}",
                path.display(), out.status.code()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Commands whose output is long or machine-dependent, checked by substring.
#[test]
fn commands_help_defs_history_clif_asm_time() {
    let input = "F sq(x: i64) -> i64 = x * x\nS Pt { x: i64, y: i64 }\nE Dir { Up, Down }\nn := mut 3\nd := Down\n\
                 :help\n:defs\n:clif sq\n:asm sq\n:time\nsq(n)\n:time\n:history\n:clif nosuch\n";
    let out = run_with_stdin(&["repl"], input);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    for want in [
        ":clif NAME",                   // :help lists commands
        "F sq(x: i64) -> i64",          // :defs: functions with signatures
        "S Pt { x: i64, y: i64 }",      // :defs: structs
        "n: i64",                       // :defs: variables with types
        "d: Dir",
        "function ",                    // :clif prints Cranelift IR
        "imul",                         // ... of the multiplication
        "\nblock0:\n",                  // :asm prints the machine-code listing (CLIF has `block0(`)
        "time: parse ",                 // :time line for `sq(n)`
        "(baseline tier)",              // ... naming the tier that ran
        "=> 9",
        "   1  F sq(x: i64) -> i64 = x * x", // :history, numbered
    ] {
        assert!(stdout.contains(want), "missing {want:?} in:\n{stdout}\nstderr:\n{stderr}");
    }
    assert!(!stdout.lines().any(|l| l.starts_with("=>") && !l.starts_with("=> 9")), "{stdout}");
    assert!(stderr.contains("no function named `nosuch`"), "{stderr}");
    assert!(out.status.success());
}

/// `:load` of a file that imports another (`U`), then `:save`: the saved file holds the
/// imported items themselves (no `U` line), so it loads from anywhere; broken definitions are
/// commented out with a note, and the session's variables are listed.
#[test]
fn save_after_load_with_imports_is_self_contained() {
    let dir = std::env::temp_dir().join(format!("vais_save_{}", std::process::id()));
    let elsewhere = dir.join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::write(dir.join("util.vais"), "F add1(x: i64) -> i64 = x + 1\n").unwrap();
    std::fs::write(dir.join("main.vais"), "U util\nF twice(x: i64) -> i64 = add1(x) * 2\n").unwrap();
    let saved = elsewhere.join("saved.vais");
    let input = format!(
        ":load {}\nF add1(x: f64) -> f64 = x + 1.0\nF add1(x: i64) -> i64 = x + 2\nF g(x: i64) -> i64 = x\nF h(x: i64) -> i64 = g(x)\nF g(x: f64) -> f64 = x\nn := twice(1)\n:save {}\n",
        dir.join("main.vais").display(),
        saved.display()
    );
    let out = run_with_stdin(&["repl"], &input);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&saved).unwrap();
    assert!(!text.contains("U util"), "{text}");
    assert!(text.contains("\nF add1(x: i64) -> i64 = x + 2\n"), "{text}");
    assert!(text.contains("\nF twice(x: i64) -> i64 = add1(x) * 2\n"), "{text}");
    assert!(text.contains("# not loaded: `h` no longer type-checks (it calls `g`, which was redefined)\n# F h(x: i64) -> i64 = g(x)\n"), "{text}");
    assert!(text.contains("#   n: i64\n"), "{text}");
    let out = run_with_stdin(&["repl"], &format!(":load {}\ntwice(1)\ng(0.5)\n", saved.display()));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "=> 6\n=> 0.5\n", "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `U name` typed at the prompt imports `name.vais` from the current directory (it used to be
/// accepted and silently ignored); a missing module is an E016 error.
#[test]
fn use_at_the_prompt_imports_from_the_current_directory() {
    let dir = std::env::temp_dir().join(format!("vais_use_{}", std::process::id()));
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("util.vais"), "U sub/more\nF add1(x: i64) -> i64 = x + 1\n").unwrap();
    std::fs::write(dir.join("sub/more.vais"), "F add2(x: i64) -> i64 = x + 2\n").unwrap();
    let mut child = vaisc()
        .arg("repl")
        .current_dir(&dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), b"U util\nadd1(add2(1))\nU nothere\n").unwrap();
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "=> 4\n", "{stderr}");
    assert!(stderr.contains("error[E016]: cannot find module `nothere`"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
