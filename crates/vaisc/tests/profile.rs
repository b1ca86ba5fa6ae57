//! The built-in profiler end to end: `vaisc run --profile --flamegraph` on a program whose
//! CPU time splits about 90/10 between two functions (the report puts the first on top with
//! about its share, the program's output and status are unchanged, the SVG names both), and
//! the REPL's `:profile` (also in `tests/repl/profile.repl`).

mod common;

/// `(function, self %)` rows of the report's function table, in order.
fn rows(report: &str) -> Vec<(String, f64)> {
    report
        .lines()
        .filter_map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            let own = cols.first()?.strip_suffix('%')?.parse::<f64>().ok()?;
            Some((cols.get(3)?.to_string(), own))
        })
        .collect()
}

/// `(file:line, self %)` rows of the report's source-line table, in order.
fn line_rows(report: &str) -> Vec<(String, f64)> {
    report
        .lines()
        .filter_map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            let own = cols.first()?.strip_suffix('%')?.parse::<f64>().ok()?;
            (cols.len() == 3).then(|| (cols[2].to_string(), own))
        })
        .collect()
}

/// `vaisc` with the kernel sampler (the default) or the signal sampler (its fallback).
fn vaisc(signals: bool) -> std::process::Command {
    let mut c = common::vaisc();
    c.env("VAIS_PROFILE_SIGNALS", if signals { "1" } else { "0" });
    c
}

#[test]
fn run_profile_ranks_the_hot_function_first_and_changes_nothing_else() {
    ranks_the_hot_function_first(false);
}

#[test]
fn the_signal_sampler_ranks_the_hot_function_first_too() {
    ranks_the_hot_function_first(true);
}

fn ranks_the_hot_function_first(signals: bool) {
    let dir = common::repo_root().join("tests/profile");
    let svg = std::env::temp_dir().join(format!("vais_profile_test_{}_{signals}.svg", std::process::id()));
    let plain = common::vaisc().current_dir(&dir).args(["run", "split.vais"]).output().unwrap();
    let out = vaisc(signals)
        .current_dir(&dir)
        .args(["run", "split.vais", "--profile", "--flamegraph"])
        .arg(&svg)
        .output()
        .unwrap();
    let expected = std::fs::read(dir.join("split.stdout")).unwrap();
    assert_eq!(plain.stdout, expected);
    assert_eq!(out.stdout, expected, "profiling must not change the program's output");
    assert_eq!(out.status.code(), plain.status.code());
    let report = String::from_utf8_lossy(&out.stderr);
    let rows = rows(&report);
    assert!(rows.len() >= 2, "no table in:\n{report}");
    assert_eq!(rows[0].0, "heavy", "{report}");
    assert!((70.0..=99.5).contains(&rows[0].1), "heavy's share: {report}");
    assert_eq!(rows[1].0, "light", "{report}");
    assert!((1.0..=25.0).contains(&rows[1].1), "light's share: {report}");
    let samples: u64 = report
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no sample count in:\n{report}"));
    assert!(samples >= 100, "too few samples for ~0.3 s of CPU time: {report}");
    // The hottest lines: heavy's loop (line 4), then light's (line 9), with about their shares.
    let lines = line_rows(&report);
    assert!(lines.len() >= 2, "no source lines in:\n{report}");
    assert_eq!(lines[0].0, "split.vais:4", "{report}");
    assert!((70.0..=99.5).contains(&lines[0].1), "line 4's share: {report}");
    assert_eq!(lines[1].0, "split.vais:9", "{report}");
    let text = std::fs::read_to_string(&svg).unwrap();
    let _ = std::fs::remove_file(&svg);
    assert!(text.starts_with("<?xml") && text.trim_end().ends_with("</svg>"), "not an SVG document");
    assert_eq!(text.matches("<svg").count(), text.matches("</svg>").count(), "unbalanced svg elements");
    for name in ["main", "heavy", "light"] {
        assert!(text.contains(name), "the flame graph does not name `{name}`");
    }
}

/// Opening the kernel's sampling event can wait in the kernel for milliseconds; signals sample
/// meanwhile and hand over once it is open. However long the opening takes (here at least
/// 300 ms of a ~0.8 s run, or longer than the whole run), every millisecond of CPU time is
/// sampled, the ranking holds, and the run does not wait for the opening to finish.
#[test]
fn the_profile_is_whole_however_long_the_kernel_takes_to_open_its_event() {
    let dir = common::repo_root().join("tests/profile");
    for delay_ms in [300, 30_000] {
        let start = std::time::Instant::now();
        let out = vaisc(false)
            .current_dir(&dir)
            .env("VAIS_PROFILE_OPEN_DELAY_MS", delay_ms.to_string())
            .args(["run", "split.vais", "--profile"])
            .output()
            .unwrap();
        let wall = start.elapsed();
        let report = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.stdout, std::fs::read(dir.join("split.stdout")).unwrap(), "{report}");
        assert!(wall < std::time::Duration::from_secs(10), "the run waited for the opening: {wall:?}");
        // `profile: N samples at 1000 Hz over S s of CPU time`
        let words: Vec<&str> = report.split_whitespace().collect();
        let samples: f64 = words.get(1).and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("no sample count in:\n{report}"));
        let cpu_s: f64 = words.get(7).and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("no CPU time in:\n{report}"));
        assert!(samples >= 0.85 * cpu_s * 1000.0 && samples <= 1.1 * cpu_s * 1000.0 + 5.0, "delay {delay_ms} ms: {report}");
        let rows = rows(&report);
        assert_eq!(rows.first().map(|r| r.0.as_str()), Some("heavy"), "delay {delay_ms} ms: {report}");
        assert!((70.0..=99.5).contains(&rows[0].1), "delay {delay_ms} ms: {report}");
    }
}

#[test]
fn flamegraph_alone_writes_no_table() {
    let dir = common::repo_root().join("tests/profile");
    let svg = std::env::temp_dir().join(format!("vais_profile_only_svg_{}.svg", std::process::id()));
    let out = common::vaisc().current_dir(&dir).args(["run", "split.vais", "--flamegraph"]).arg(&svg).output().unwrap();
    let report = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success());
    assert!(rows(&report).is_empty() && report.contains("flame graph written"), "{report}");
    assert!(std::fs::read_to_string(&svg).unwrap().contains("heavy"));
    let _ = std::fs::remove_file(&svg);
}

/// Ctrl-C during `:profile EXPR` stops the expression, and the report of what was sampled
/// until then still prints; the session goes on.
#[test]
fn interrupting_a_profiled_input_still_reports_its_samples() {
    use std::time::Duration;
    let (child, mut stdin, mut out, rx) = common::spawn_repl();
    let inputs = "F spin() -> i64 { k := mut 0; L { k += 1 }; k }\nputs(\"started\"); ()\n:profile spin()\n";
    assert_eq!(common::send_and_read_line(&mut stdin, &mut out, inputs), "started\n");
    std::thread::sleep(Duration::from_millis(400));
    common::sigint(&child);
    // The report of the samples, then the interruption.
    let mut report = Vec::new();
    while let Ok(l) = rx.recv_timeout(Duration::from_secs(10)) {
        let done = l == "interrupted";
        report.push(l);
        if done {
            break;
        }
    }
    let text = report.join("\n");
    assert!(text.contains("interrupted"), "{text}");
    assert!(text.contains("profile: "), "{text}");
    let rows = rows(&text);
    assert_eq!(rows.first().map(|r| r.0.as_str()), Some("spin"), "{text}");
    assert_eq!(common::finish_repl(child, stdin, out, "40 + 2\n"), "=> 42\n");
}

/// Sampling never interrupts the program's system calls: a profiled program's `usleep`s all
/// sleep their full time (one cut short by a signal returns -1). That holds for the kernel
/// sampler (the default): the kernel samples the running thread in place. The signal
/// sampler (the fallback) skips a thread that is blocked when it looks, but the thread can
/// block between that look and the signal, so it is not tested here.
#[test]
fn profiling_leaves_sleeps_alone() {
    let dir = common::repo_root().join("tests/profile");
    let start = std::time::Instant::now();
    let out = vaisc(false).current_dir(&dir).args(["run", "--profile", "sleeps.vais"]).output().unwrap();
    let wall = start.elapsed();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "usleep results: 0\n", "{}", String::from_utf8_lossy(&out.stderr));
    assert!(wall >= std::time::Duration::from_millis(300), "{wall:?}");
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("profile: "));
}

/// Stopping the profiler does not wait out a sampling interval: at 1 Hz a run of a few
/// milliseconds used to end a second late, waiting for the signal sampler's sleep. Both
/// samplers (the kernel's starts with signals while its event opens).
#[test]
fn a_low_sampling_rate_does_not_delay_the_end_of_a_run() {
    let dir = common::repo_root().join("tests/profile");
    for signals in [true, false] {
        let start = std::time::Instant::now();
        let out = vaisc(signals).current_dir(&dir).args(["run", "--profile", "--profile-hz", "1", "hello.vais"]).output().unwrap();
        let wall = start.elapsed();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "hello\n", "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stderr).starts_with("profile: "), "{}", String::from_utf8_lossy(&out.stderr));
        // The interval is 1 s; the run itself takes milliseconds.
        assert!(wall < std::time::Duration::from_millis(900), "signals {signals}: {wall:?}");
    }
}

/// A program that ends with `exit()` still gets its profile (and its status): `exit` inside
/// the run ends the run, not the process, so the report is printed before `vaisc` exits.
#[test]
fn a_program_that_calls_exit_still_gets_its_profile() {
    let dir = common::repo_root().join("tests/profile");
    for signals in [false, true] {
        let out = vaisc(signals).current_dir(&dir).args(["run", "--profile", "exits.vais"]).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{err}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "28665\n");
        assert!(err.starts_with("profile: "), "signals {signals}: {err}");
        assert_eq!(rows(&err).first().map(|r| r.0.as_str()), Some("spin"), "{err}");
        assert!(!err.contains("runtime error"), "{err}");
    }
}

/// `--folded` writes the samples as folded stacks (`outer;...;inner COUNT` per line): the
/// heaviest stack is `main;heavy` with most of the samples, and the counts add up to the
/// samples the table reports. Without `--profile` it writes the file and no table.
#[test]
fn folded_stacks_hold_the_same_samples_as_the_table() {
    let dir = common::repo_root().join("tests/profile");
    let path = std::env::temp_dir().join(format!("vais_profile_folded_{}.txt", std::process::id()));
    let out = vaisc(false).current_dir(&dir).args(["run", "split.vais", "--profile", "--folded"]).arg(&path).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let samples: u64 = err.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("{err}"));
    let text = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    assert!(text.ends_with('\n'), "{text:?}");
    let mut stacks: Vec<(String, u64)> = text
        .lines()
        .map(|l| {
            let (stack, count) = l.rsplit_once(' ').unwrap_or_else(|| panic!("not `stack count`: {l:?}"));
            (stack.to_string(), count.parse().unwrap_or_else(|_| panic!("bad count in {l:?}")))
        })
        .collect();
    stacks.sort_by_key(|s| std::cmp::Reverse(s.1));
    let total: u64 = stacks.iter().map(|s| s.1).sum();
    assert_eq!(total, samples, "{text}");
    assert_eq!(stacks[0].0, "main;heavy", "{text}");
    assert!(stacks[0].1 * 10 >= samples * 8, "{text}");
    assert!(stacks.iter().any(|s| s.0 == "main;light"), "{text}");

    let quiet = vaisc(false).current_dir(&dir).args(["run", "split.vais", "--folded"]).arg(&path).output().unwrap();
    let err = String::from_utf8_lossy(&quiet.stderr);
    assert!(err.starts_with("profile: folded stacks written to "), "{err}");
    assert!(std::fs::read_to_string(&path).unwrap().lines().any(|l| l.starts_with("main;heavy ")));
    let _ = std::fs::remove_file(&path);
}

/// A sample taken in native code (here `printf`'s formatting, which keeps no frame pointers)
/// counts for the Vais functions that called it: the signal sampler finds the return address
/// into JIT code on the stack above it. (The kernel sampler does not: see `profile/kernel.rs`.)
#[test]
fn samples_in_native_code_name_their_vais_callers() {
    let dir = common::repo_root().join("tests/profile");
    let path = std::env::temp_dir().join(format!("vais_profile_natives_{}.txt", std::process::id()));
    let out = vaisc(true)
        .current_dir(&dir)
        .args(["run", "--profile", "natives.vais", "--folded"])
        .arg(&path)
        .stdout(std::process::Stdio::null())
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{report}");
    let folded = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    let (mut all, mut under_emit, mut native_leaf) = (0u64, 0u64, 0u64);
    for l in folded.lines() {
        let (stack, count) = l.rsplit_once(' ').unwrap();
        let count: u64 = count.parse().unwrap();
        let frames: Vec<&str> = stack.split(';').collect();
        all += count;
        if frames.starts_with(&["main", "count", "emit"]) {
            under_emit += count;
            if frames.len() > 3 {
                native_leaf += count;
            }
        }
    }
    assert!(all > 0, "{report}");
    assert!(under_emit * 10 >= all * 8, "{under_emit} of {all} samples under main;count;emit:\n{folded}");
    assert!(native_leaf * 2 >= all, "{native_leaf} of {all} samples in native code under emit:\n{folded}");
}

/// Samples in inlined code are attributed to the inlined functions and their lines: `mix` is
/// inlined into `walk`'s loop and `walk` into `main` (no call is left), yet the report ranks
/// `mix` first with `walk` and `main` around it, its line (3) first, and the flame graph has
/// the inlined frames.
#[test]
fn samples_in_inlined_code_name_the_inlined_functions_and_lines() {
    let dir = common::repo_root().join("tests/profile");
    let clif = common::vaisc().current_dir(&dir).args(["run", "inlined.vais", "--emit", "clif"]).output().unwrap();
    let clif = String::from_utf8_lossy(&clif.stdout).to_string();
    let main = &clif[clif.find("; main\n").unwrap_or_else(|| panic!("no main in\n{clif}"))..];
    assert_eq!(main.matches(" call ").count(), 1, "only printf should be called from main:\n{main}");
    let svg = std::env::temp_dir().join(format!("vais_profile_inlined_{}.svg", std::process::id()));
    let out = vaisc(false).current_dir(&dir).args(["run", "inlined.vais", "--profile", "--flamegraph"]).arg(&svg).output().unwrap();
    assert_eq!(out.stdout, std::fs::read(dir.join("inlined.stdout")).unwrap());
    let report = String::from_utf8_lossy(&out.stderr);
    let rows = rows(&report);
    assert_eq!(rows.first().map(|r| r.0.as_str()), Some("mix"), "{report}");
    assert!((50.0..=99.5).contains(&rows[0].1), "mix's share: {report}");
    // Totals: every sample is in main, and (but for a few in main's own loop) in walk.
    let total = |name: &str| -> f64 {
        report
            .lines()
            .find_map(|l| {
                let cols: Vec<&str> = l.split_whitespace().collect();
                (cols.len() == 4 && cols[3] == name).then(|| cols[1].trim_end_matches('%').parse().ok()).flatten()
            })
            .unwrap_or_else(|| panic!("no row for {name}: {report}"))
    };
    assert!(total("walk") >= 90.0, "{report}");
    assert!(total("main") >= 99.0, "{report}");
    let lines = line_rows(&report);
    assert_eq!(lines.first().map(|l| l.0.as_str()), Some("inlined.vais:3"), "{report}");
    let text = std::fs::read_to_string(&svg).unwrap();
    let _ = std::fs::remove_file(&svg);
    for name in ["main", "walk", "mix"] {
        assert!(text.contains(&format!("<title>{name} (")), "the flame graph has no `{name}` frame");
    }
}

/// More samples than the kernel's ring buffer holds (split.vais at 10 kHz: ~10,000 samples,
/// about 500 KB of records in a 256 KB ring): the drain thread, woken when the ring is half
/// full, empties it while the program runs, and `stop` reads the rest. None is lost (the
/// kernel would count lost records, reported as dropped), the count matches the CPU time, and
/// the ranking is the same as at 1 kHz.
#[test]
fn samples_beyond_the_ring_buffer_are_all_kept() {
    let dir = common::repo_root().join("tests/profile");
    let out = vaisc(false).current_dir(&dir).args(["run", "split.vais", "--profile", "--profile-hz", "10000"]).output().unwrap();
    assert_eq!(out.stdout, std::fs::read(dir.join("split.stdout")).unwrap());
    let report = String::from_utf8_lossy(&out.stderr);
    let header = report.lines().next().unwrap_or_default();
    assert!(!header.contains("dropped"), "{report}");
    // `profile: N samples at 10000 Hz over S s of CPU time`
    let words: Vec<&str> = header.split_whitespace().collect();
    let samples: f64 = words.get(1).and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("{report}"));
    let cpu: f64 = words.get(7).and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("{report}"));
    assert!(samples >= 4000.0, "too few samples to fill the ring buffer: {report}");
    assert!(samples >= 0.9 * cpu * 10000.0, "samples missing for {cpu} s of CPU time: {report}");
    let rows = rows(&report);
    assert_eq!(rows.first().map(|r| r.0.as_str()), Some("heavy"), "{report}");
    assert!((70.0..=99.5).contains(&rows[0].1), "heavy's share: {report}");
}

/// Samples in the runtime's own code (here its allocator, under `malloc`/`free` called from a
/// loop) are named from the executable's symbol table, not lumped as `[vaisc]`, and by the
/// built-in's name rather than a wrapper's.
#[test]
fn samples_in_the_runtime_are_named() {
    let dir = std::env::temp_dir().join(format!("vais_profile_rt_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("alloc.vais");
    std::fs::write(&path, "F main() -> i64 {\n    s := mut 0\n    L i: 0..3000000 {\n        p := malloc(24 + i % 7)\n        store_i64(p, i)\n        s += load_i64(p)\n        free(p)\n    }\n    s % 256\n}\n").unwrap();
    let out = vaisc(false).args(["run", "--profile"]).arg(&path).output().unwrap();
    let report = String::from_utf8_lossy(&out.stderr);
    let rows = rows(&report);
    assert!(!rows.is_empty(), "no table in\n{report}");
    let lumped: f64 = rows.iter().filter(|(f, _)| f == "[vaisc]").map(|r| r.1).sum();
    assert!(lumped < 5.0, "{lumped}% of samples unnamed in the executable:\n{report}");
    assert!(rows.iter().any(|(f, _)| f.starts_with("vais_runtime::") || f.starts_with("vais_")), "no runtime function named in\n{report}");
    // The built-ins' panic guard is inlined into each built-in: it is never a row of its own
    // (it was, with 11% of bench/bintrees, as if catching panics cost time).
    assert!(!rows.iter().any(|(f, _)| f.contains("faults::guard")), "the panic guard is named in\n{report}");
}

/// A flame graph or folded-stacks path that cannot be written is reported before the program
/// runs (a long run is not wasted), with status 1 and nothing on standard output.
#[test]
fn an_unwritable_profile_output_is_reported_before_the_run() {
    let dir = common::repo_root().join("tests/profile");
    for flag in ["--flamegraph", "--folded"] {
        let out = common::vaisc().current_dir(&dir).args(["run", flag, "/nonexistent-vais-dir/out", "hello.vais"]).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{flag}: {err}");
        assert!(out.stdout.is_empty(), "{flag}: the program ran: {}", String::from_utf8_lossy(&out.stdout));
        assert!(err.starts_with("error: cannot write `/nonexistent-vais-dir/out`"), "{flag}: {err}");
    }
}

/// `--profile-hz` alone (no `--profile`, `--flamegraph` or `--folded`) would sample nothing:
/// it is refused as a usage error, and any of the three makes it valid.
#[test]
fn a_sampling_rate_without_a_profile_is_a_usage_error() {
    let dir = common::repo_root().join("tests/profile");
    let out = common::vaisc().current_dir(&dir).args(["run", "--profile-hz", "100", "hello.vais"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(out.stdout.is_empty() && err.contains("--profile"), "{err}");
    let folded = std::env::temp_dir().join(format!("vais_profile_hz_{}.txt", std::process::id()));
    let out = common::vaisc().current_dir(&dir).args(["run", "--profile", "--profile-hz", "100", "--folded"]).arg(&folded).arg("hello.vais").output().unwrap();
    let _ = std::fs::remove_file(&folded);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hello\n", "{err}");
    assert!(err.starts_with("profile: ") && err.contains("at 100 Hz"), "{err}");
}

/// A sample in native code (`malloc`/`free` here) counts for the Vais function that made the
/// call, with both samplers: the kernel's call chain used to skip that function (its walk
/// starts from the caller's frame pointer, which the runtime leaves alone, so the first
/// return address is the caller's own), and the signal sampler's stack scan used to take a
/// stale return address into `deep`, left by an earlier recursion, for the caller. So `churn`
/// holds nearly every sample in its total, and `deep` no more than its own.
#[test]
fn samples_in_native_code_count_for_the_function_that_called_it() {
    let dir = common::repo_root().join("tests/profile");
    for signals in [false, true] {
        let out = vaisc(signals).current_dir(&dir).env("VAIS_INLINE", "0").args(["run", "--profile", "callers.vais"]).output().unwrap();
        let report = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{report}");
        // `self% total% samples function` rows.
        let row = |name: &str| {
            report.lines().find_map(|l| {
                let c: Vec<&str> = l.split_whitespace().collect();
                (c.len() == 4 && c[3] == name).then(|| (c[0].trim_end_matches('%').parse::<f64>().unwrap(), c[1].trim_end_matches('%').parse::<f64>().unwrap()))
            })
        };
        let (_, churn_total) = row("churn").unwrap_or_else(|| panic!("signals {signals}: no churn in\n{report}"));
        assert!(churn_total >= 85.0, "signals {signals}: churn's total {churn_total}%:\n{report}");
        if let Some((deep_self, deep_total)) = row("deep") {
            assert!(deep_total <= deep_self + 5.0, "signals {signals}: deep counted for native samples:\n{report}");
        }
    }
}
