//! Backtraces of runtime errors (`tests/backtrace/NAME.vais` with `NAME.stderr`): under
//! `vaisc run` standard error is exactly the expected text (exit 101; the count in
//! `... N frames omitted` is written `N`); through the REPL (`:load` + `main()`) every frame
//! of the file appears the same, and the entry is the input (`<input N>:1:1`), never an
//! internal name.

mod common;

fn normalise(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    text.lines()
        .map(|l| match l.strip_prefix("  ... ").and_then(|r| r.split_once(' ')) {
            Some((n, rest)) if n.chars().all(|c| c.is_ascii_digit()) => format!("  ... N {rest}"),
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[test]
fn runtime_errors_show_vais_backtraces() {
    let dir = common::repo_root().join("tests/backtrace");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().strip_suffix(".vais").map(str::to_string))
        .collect();
    names.sort();
    assert!(names.len() >= 3, "expected the backtrace programs in {}", dir.display());
    for name in names {
        let expected = std::fs::read_to_string(dir.join(format!("{name}.stderr"))).unwrap();
        let out = common::vaisc().current_dir(&dir).args(["run", &format!("{name}.vais")]).output().unwrap();
        assert_eq!(out.status.code(), Some(101), "{name}");
        assert_eq!(normalise(&out.stderr), expected, "{name}: vaisc run");

        let repl = common::run_with_stdin(&["repl"], &format!(":load {}\nmain()\n", dir.join(format!("{name}.vais")).display()));
        let got = String::from_utf8_lossy(&repl.stderr).to_string();
        assert!(!got.contains("__repl"), "{name}: internal name in\n{got}");
        assert!(got.lines().any(|l| l.starts_with("  at <input ")), "{name}: no input frame in\n{got}");
        let full = dir.join(format!("{name}.vais")).display().to_string();
        for line in expected.lines().filter(|l| l.starts_with("  at ") && !l.starts_with("  at main ")) {
            let line = line.replace(&format!("({name}.vais:"), &format!("({full}:"));
            assert!(got.contains(&line), "{name}: REPL lacks `{line}` in\n{got}");
        }
    }
}
