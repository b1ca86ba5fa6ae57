//! `vaisc run --perf perfmap|jitdump`: the files are written only when asked for, name every
//! function, and Linux perf reads them end to end (`perf record -k 1`, `perf inject --jit`,
//! `perf report` shows Vais function names and source lines). `.ci/run` installs perf when it is missing.

mod common;

use std::process::Command;

/// `heavy` (line 4) and `light` (line 9) split about 90/10; ~0.3 s of CPU time.
fn split_program() -> std::path::PathBuf {
    common::repo_root().join("tests/profile/split.vais")
}

#[test]
fn perfmap_names_every_function_and_nothing_is_written_unasked() {
    let plain = common::vaisc().env("PERF_BUILDID_DIR", "/tmp").arg("run").arg(split_program()).spawn().unwrap();
    let plain_pid = plain.id();
    let plain_out = plain.wait_with_output().unwrap();
    assert!(plain_out.status.code().is_some());
    assert!(
        !std::path::Path::new(&format!("/tmp/perf-{plain_pid}.map")).exists(),
        "a perf map was written without --perf (PERF_BUILDID_DIR set, as perf record does)"
    );
    let asked = common::vaisc().arg("run").arg(split_program()).args(["--perf", "perfmap"]).spawn().unwrap();
    let pid = asked.id();
    assert!(asked.wait_with_output().unwrap().status.code().is_some());
    let path = format!("/tmp/perf-{pid}.map");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let _ = std::fs::remove_file(&path);
    let names: Vec<&str> = text
        .lines()
        .map(|l| {
            let cols: Vec<&str> = l.splitn(3, ' ').collect();
            assert_eq!(cols.len(), 3, "bad line {l:?}");
            assert!(usize::from_str_radix(cols[0], 16).is_ok() && usize::from_str_radix(cols[1], 16).is_ok(), "{l:?}");
            cols[2]
        })
        .collect();
    assert!(names.contains(&"heavy") && names.contains(&"light") && names.contains(&"main"), "{text}");
}

/// `perf record -k 1` of `vaisc run --perf jitdump split.vais` (with `env`), then `perf inject
/// --jit`: the directory and the injected data.
fn record_and_inject(tag: &str, env: &[(&str, &str)]) -> (std::path::PathBuf, std::path::PathBuf) {
    assert!(
        Command::new("perf").arg("--version").output().is_ok_and(|o| o.status.success()),
        "perf is not installed (.ci/run installs it: apt-get install linux-perf)"
    );
    let dir = std::env::temp_dir().join(format!("vais_perf_test_{}_{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let data = dir.join("perf.data");
    let record = Command::new("perf")
        .env("VAIS_CACHE_DIR", common::test_cache_dir())
        .current_dir(&dir)
        .args(["record", "-q", "-k", "1", "-e", "cpu-clock", "-o"])
        .arg(&data)
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_vaisc"))
        .arg("run")
        .arg(split_program())
        .args(["--perf", "jitdump"])
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(data.exists(), "perf record failed: {}", String::from_utf8_lossy(&record.stderr));
    let dumps: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("jit-"))
        .collect();
    assert_eq!(dumps.len(), 1, "expected one jit-PID.dump in {}", dir.display());
    let injected = dir.join("perf.jit.data");
    let inject = Command::new("perf").current_dir(&dir).args(["inject", "--jit", "-i"]).arg(&data).arg("-o").arg(&injected).output().unwrap();
    assert!(inject.status.success(), "perf inject: {}", String::from_utf8_lossy(&inject.stderr));
    (dir, injected)
}

/// Function names in `perf report --sort sym`, hottest first.
fn report_names(dir: &std::path::Path, injected: &std::path::Path) -> (Vec<String>, String) {
    let report = Command::new("perf").current_dir(dir).args(["report", "--stdio", "--sort", "sym", "-i"]).arg(injected).output().unwrap();
    let text = String::from_utf8_lossy(&report.stdout).to_string();
    let named = text.lines().filter_map(|l| l.split("[.] ").nth(1)).map(|n| n.trim().to_string()).collect();
    (named, text)
}

/// `perf annotate -l` of `func`: its source lines (`split.vais:N`), hottest first. (`perf
/// report --sort srcline` gives the same, but reads the debug build's own DWARF for half a
/// minute.)
fn annotated_lines(dir: &std::path::Path, injected: &std::path::Path, func: &str) -> Vec<String> {
    let annotate = Command::new("perf").current_dir(dir).args(["annotate", "--stdio", "-l", "-i"]).arg(injected).arg(func).output().unwrap();
    let text = String::from_utf8_lossy(&annotate.stdout).to_string();
    text.lines().filter_map(|l| l.trim_end().rsplit(' ').next().filter(|w| w.starts_with("split.vais:")).map(str::to_string)).collect()
}

#[test]
fn perf_record_inject_report_shows_vais_names() {
    // Every call a call: each function is its own symbol.
    let (dir, injected) = record_and_inject("calls", &[("VAIS_INLINE", "0")]);
    let (named, text) = report_names(&dir, &injected);
    assert_eq!(named.first().map(String::as_str), Some("heavy"), "perf report:\n{text}");
    assert!(named.iter().any(|n| n == "light"), "perf report does not name `light`:\n{text}");
    // Source lines (from the jitdump's line tables).
    for (func, line) in [("heavy", "split.vais:4"), ("light", "split.vais:9")] {
        let lines = annotated_lines(&dir, &injected, func);
        assert_eq!(lines.first().map(String::as_str), Some(line), "{func}'s hottest line should be {line}: {lines:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// With the inliner (the default), `heavy` and `light` are copies inside `main`: perf knows
/// only machine functions (jitdump has no notion of inlining), but the line table of `main`'s
/// code gives each copy its own function's lines, so the time is where the source says.
#[test]
fn perf_attributes_inlined_code_to_the_inlined_functions_lines() {
    let (dir, injected) = record_and_inject("inlined", &[]);
    let (named, text) = report_names(&dir, &injected);
    assert_eq!(named.first().map(String::as_str), Some("main"), "perf report:\n{text}");
    let lines = annotated_lines(&dir, &injected, "main");
    assert_eq!(lines.first().map(String::as_str), Some("split.vais:4"), "heavy's loop should be main's hottest line: {lines:?}");
    assert!(lines.iter().any(|l| l == "split.vais:9"), "light's loop is missing: {lines:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
