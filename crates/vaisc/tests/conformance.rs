//! Every conformance program (`tests/conformance`, copied from `../shared/conformance`) in
//! every execution mode: `vaisc run`, and the REPL (`:load` then `main()` through a pipe).
//! `B_` programs must be rejected by `vaisc check` with the right code on the right line.

mod common;

use common::*;

#[test]
fn run_mode() {
    let mut failures = Vec::new();
    for case in a_cases() {
        let out = case.run();
        let code = out.status.code();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let ok_exit = match case.exit {
            Some(e) => code == Some(e as i32),
            None => code == Some(101) && stderr.starts_with("runtime error:"),
        };
        let ok_stderr = case.stderr_first.as_deref().is_none_or(|want| stderr.lines().next() == Some(want));
        if out.stdout != case.stdout || !ok_exit || !ok_stderr {
            failures.push(format!(
                "{}: exit {:?} (want {:?}), stdout {:?} (want {:?}), stderr {}",
                case.name,
                code,
                case.exit,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&case.stdout),
                stderr
            ));
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn repl_mode() {
    let mut failures = Vec::new();
    for case in a_cases() {
        // A session has no program arguments (`argc()` is 1).
        if case.args.is_some() {
            continue;
        }
        // The program's standard input follows the input that runs it.
        let mut input = format!(":load {}\nmain()\n", case.program.display());
        if let Some(s) = &case.stdin {
            input.push_str(&String::from_utf8_lossy(s));
        }
        let out = run_with_stdin(&["repl"], &input);
        let stdout = out.stdout.clone();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        let problem = if !stdout.starts_with(&case.stdout) {
            Some("program output differs".to_string())
        } else {
            let rest = String::from_utf8_lossy(&stdout[case.stdout.len()..]).to_string();
            if let Some(want) = case.stderr_first.as_deref().filter(|w| !stderr.lines().any(|l| l == *w)) {
                failures.push(format!("{}: standard error lacks the line {want:?}:\n{stderr}", case.name));
            }
            match case.exit {
                None => (!stderr.contains("runtime error:") || !rest.is_empty() || out.status.code() != Some(0))
                    .then(|| "expected a runtime error and a live session".to_string()),
                Some(e) => {
                    if let Some(v) = rest.strip_prefix("=> ").and_then(|r| r.strip_suffix('\n')) {
                        let as_int = v.parse::<i64>().ok().map(|n| n.rem_euclid(256) as u8);
                        let as_bool = match v { "true" => Some(1), "false" => Some(0), _ => None };
                        (as_int.or(as_bool) != Some(e) || out.status.code() != Some(0))
                            .then(|| format!("value {v} does not give exit {e}"))
                    } else if rest.is_empty() {
                        // A unit main or a program that called exit(): the status tells.
                        let code = out.status.code().unwrap_or(-1);
                        (code != e as i32).then(|| format!("no value printed and exit {code}"))
                    } else {
                        Some(format!("unexpected trailing output {rest:?}"))
                    }
                }
            }
        };
        if let Some(p) = problem {
            failures.push(format!(
                "{}: {p}\n  stdout: {:?}\n  want:   {:?}\n  stderr: {}",
                case.name,
                String::from_utf8_lossy(&stdout),
                String::from_utf8_lossy(&case.stdout),
                stderr
            ));
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn rejected_programs() {
    let dir = conformance_dir();
    let lines = std::fs::read_to_string(dir.join("B_lines.txt")).expect("B_lines.txt");
    let mut failures = Vec::new();
    let mut count = 0;
    for line in lines.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let mut parts = line.split_whitespace();
        let name = parts.next().unwrap();
        let want_lines: Vec<String> = parts.map(String::from).collect();
        let expect = std::fs::read_to_string(dir.join(format!("{name}.expect"))).unwrap();
        let code = expect.split_whitespace().find(|w| w.starts_with('E') || w.starts_with('P')).map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()));
        let code = code.expect("code in .expect");
        let file = dir.join(format!("{name}.vais"));
        let out = vaisc().arg("check").arg(&file).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        count += 1;
        let first_loc = stderr.lines().find_map(|l| l.trim().strip_prefix("--> ")).unwrap_or("");
        let line_no = first_loc.rsplit(':').nth(1).unwrap_or("");
        if out.status.success() || !stderr.contains(&format!("[{code}]")) || !want_lines.iter().any(|w| w == line_no) {
            failures.push(format!("{name}: want {code} on line {want_lines:?}; got status {:?}:\n{stderr}", out.status.code()));
        }
    }
    assert_eq!(count, 10);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn accepted_programs_check_silently() {
    for case in a_cases() {
        let out = vaisc().arg("check").arg(&case.program).output().unwrap();
        assert!(out.status.success() && out.stderr.is_empty() && out.stdout.is_empty(),
            "{}: {}", case.name, String::from_utf8_lossy(&out.stderr));
    }
}
