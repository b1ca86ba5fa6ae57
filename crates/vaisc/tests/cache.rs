//! The compiled-code cache of `vaisc run` (`vais_jit::cache`, issue 14): a warm run behaves
//! exactly like a cold one on every program; an edit invalidates what it must (a changed
//! callee signature, struct layout, constant, inlined callee body, compiler setting) and moving
//! code keeps positions right; corrupt and truncated entries are ignored and rewritten;
//! concurrent cold runs are safe; `--no-cache` and `VAIS_CACHE=off` write nothing. Each test
//! uses a cache directory of its own.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;

/// A fresh, empty directory under the build's temporary directory.
fn fresh_dir(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("cache-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// `vaisc run --time FILE` with the cache in `cache`, plus `extra` arguments before the file.
fn run_in(cache: &Path, file: &Path, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = vaisc();
    c.env("VAIS_CACHE_DIR", cache).arg("run").args(extra).arg("--time").arg(file);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

/// `(from the cache, total)` from a `--time` line.
fn cached(out: &Output) -> (u64, u64) {
    try_cached(out).unwrap_or_else(|| panic!("no --time line in {}", String::from_utf8_lossy(&out.stderr)))
}

/// `(from the cache, total)` from a `--time` line, if there is one (a program that ends with
/// `exit()` prints none).
fn try_cached(out: &Output) -> Option<(u64, u64)> {
    let err = String::from_utf8_lossy(&out.stderr);
    let line = err.lines().find(|l| l.starts_with("time: "))?;
    let Some(at) = line.find(" functions from the cache") else { panic!("no cache count in {line}") };
    let words: Vec<&str> = line[..at].rsplit(", ").next().unwrap().split(' ').collect();
    Some((words[0].parse().unwrap(), words[2].parse().unwrap()))
}

/// Whether the run linked the whole program from the cache's plan (`--time` says so).
fn whole(out: &Output) -> bool {
    String::from_utf8_lossy(&out.stderr).lines().any(|l| l.starts_with("time: ") && l.contains("functions from the cache, whole program)"))
}

/// Standard error without the `--time` line (timings differ from run to run).
fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).lines().filter(|l| !l.starts_with("time: ")).collect::<Vec<_>>().join("\n")
}

/// Every cache entry file under `dir`.
fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n != "tmp") {
                    stack.push(p);
                }
            } else if p.parent().and_then(|p| p.file_name()).is_some_and(|n| n.len() == 2) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Every conformance program, our own programs and the examples: the warm run (all functions
/// from the cache) gives the same output, standard error (runtime errors and their backtraces
/// included: positions come from the cached metadata) and exit status as the cold run, which
/// gives the expected ones.
#[test]
fn warm_run_equals_cold_run() {
    let dir = fresh_dir("warm");
    let mut failures = vec![];
    let mut hits = 0;
    for case in a_cases() {
        if case.stdin.is_some() || case.args.is_some() {
            continue;
        }
        let cold = run_in(&dir, &case.program, &[], &[]);
        let warm = run_in(&dir, &case.program, &[], &[]);
        if cold.stdout != case.stdout {
            failures.push(format!("{}: the cold run's output differs from the expected one", case.name));
        }
        if cold.stdout != warm.stdout || cold.status.code() != warm.status.code() || stderr_of(&cold) != stderr_of(&warm) {
            failures.push(format!(
                "{}: cold {:?} {:?} {}\nwarm {:?} {:?} {}",
                case.name,
                cold.status.code(),
                String::from_utf8_lossy(&cold.stdout),
                stderr_of(&cold),
                warm.status.code(),
                String::from_utf8_lossy(&warm.stdout),
                stderr_of(&warm)
            ));
        }
        let Some((hit, total)) = try_cached(&warm) else { continue };
        let (cold_hit, _) = try_cached(&cold).unwrap_or_default();
        if hit != total || total == 0 {
            failures.push(format!("{}: warm run took {hit} of {total} functions from the cache (cold: {cold_hit})", case.name));
        }
        if whole(&cold) || !whole(&warm) {
            failures.push(format!("{}: whole program from the cache: cold {}, warm {} (expected no, yes)", case.name, whole(&cold), whole(&warm)));
        }
        hits += hit;
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    assert!(hits > 100, "only {hits} functions came from the cache");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Writes `text` as `NAME.vais` in `dir`.
fn program(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(format!("{name}.vais"));
    std::fs::write(&p, text).unwrap();
    p
}

/// Runs `before`, then the same file edited to `after`, both with the cache in `dir`, and
/// checks the second run's output against `want` (and against a `--no-cache` run of it).
/// Returns the second run's `(from the cache, total)`.
fn edit(name: &str, before: &str, after: &str, want: &str) -> (u64, u64) {
    let dir = fresh_dir(name);
    let file = program(&dir, name, before);
    let first = run_in(&dir, &file, &[], &[]);
    assert!(first.status.success(), "{name}: {}", String::from_utf8_lossy(&first.stderr));
    let again = run_in(&dir, &file, &[], &[]);
    assert_eq!(cached(&again).0, cached(&again).1, "{name}: a rerun of the unchanged program compiles");
    assert!(whole(&again), "{name}: a rerun of the unchanged program is not linked whole");
    std::fs::write(&file, after).unwrap();
    let second = run_in(&dir, &file, &[], &[]);
    assert!(!whole(&second), "{name}: the edited program was linked from the old plan");
    let fresh = run_in(&dir, &file, &["--no-cache"], &[]);
    assert_eq!(String::from_utf8_lossy(&second.stdout), want, "{name}: {}", String::from_utf8_lossy(&second.stderr));
    assert_eq!(second.stdout, fresh.stdout, "{name}");
    assert_eq!(second.status.code(), fresh.status.code(), "{name}");
    let _ = std::fs::remove_dir_all(&dir);
    cached(&second)
}

#[test]
fn a_changed_callee_signature_recompiles_the_caller() {
    let before = "F g(x: i64) -> i64 = x + 1\nF main() -> i64 {\n    printf(\"%d\\n\", g(41))\n    0\n}\n";
    let after = "F g(x: i8) -> i64 = x as i64 + 1\nF main() -> i64 {\n    printf(\"%d\\n\", g(41))\n    0\n}\n";
    let (hit, _) = edit("sig", before, after, "42\n");
    assert_eq!(hit, 0);
}

#[test]
fn a_changed_struct_layout_recompiles_its_users() {
    let before = "S Pt { a: i64, b: i64 }\nF get(p: Pt) -> i64 = p.b\nF main() -> i64 {\n    p := Pt { a: 1, b: 2 }\n    printf(\"%d\\n\", get(p))\n    0\n}\n";
    let after = "S Pt { b: i64, a: i64 }\nF get(p: Pt) -> i64 = p.b\nF main() -> i64 {\n    p := Pt { a: 1, b: 2 }\n    printf(\"%d\\n\", get(p))\n    0\n}\n";
    let (hit, _) = edit("layout", before, after, "2\n");
    assert_eq!(hit, 0);
    let wider = "S Pt { a: i32, b: i64 }\nF get(p: Pt) -> i64 = p.b\nF main() -> i64 {\n    p := Pt { a: 1, b: 2 }\n    printf(\"%d\\n\", get(p))\n    0\n}\n";
    edit("layout2", before, wider, "2\n");
}

#[test]
fn a_changed_constant_recompiles_its_users() {
    let before = "C K: i64 = 5\nF twice() -> i64 = K * 2\nF main() -> i64 {\n    printf(\"%d\\n\", twice())\n    0\n}\n";
    let after = "C K: i64 = 7\nF twice() -> i64 = K * 2\nF main() -> i64 {\n    printf(\"%d\\n\", twice())\n    0\n}\n";
    edit("const", before, after, "14\n");
}

/// `sq` is small enough to be inlined into `main`: editing its body must recompile `main`
/// even though `main`'s own text did not change.
#[test]
fn an_edited_inlined_callee_recompiles_its_callers() {
    let before = "F sq(x: i64) -> i64 = x * x\nF main() -> i64 {\n    printf(\"%d\\n\", sq(7))\n    0\n}\n";
    let after = "F sq(x: i64) -> i64 = x * x + 1\nF main() -> i64 {\n    printf(\"%d\\n\", sq(7))\n    0\n}\n";
    edit("inlined", before, after, "50\n");
}

/// Editing one function of several leaves the others cached.
#[test]
fn an_edit_recompiles_only_what_it_touches() {
    let mut before = String::new();
    for i in 0..10 {
        before.push_str(&format!("F f{i}(n: i64) -> i64 {{\n    s := mut 0\n    L k: 0..n {{ s = s + k * {i} }}\n    s\n}}\n"));
    }
    let main = "F main() -> i64 {\n    printf(\"%d %d\\n\", f0(10), f9(10))\n    0\n}\n";
    let after = before.replace("k * 9 }", "k * 9 + 1 }");
    let (hit, total) = edit("one", &(before + main), &(after + main), "0 415\n");
    assert!(hit >= total - 2 && hit < total, "{hit} of {total} from the cache");
}

/// Moving code (lines added above it) keeps it cached, and its runtime errors still name the
/// right line and column.
#[test]
fn moved_code_is_reused_with_the_right_positions() {
    let body = "F div(a: i64, b: i64) -> i64 = a / b\nF main() -> i64 {\n    printf(\"%d\\n\", div(10, 0))\n    0\n}\n";
    let dir = fresh_dir("moved");
    let file = program(&dir, "moved", body);
    let first = run_in(&dir, &file, &["--no-cache"], &[]);
    let cold = run_in(&dir, &file, &[], &[]);
    assert_eq!(stderr_of(&first), stderr_of(&cold));
    std::fs::write(&file, format!("# a comment\n# and another\n\n{body}")).unwrap();
    let warm = run_in(&dir, &file, &[], &[]);
    let fresh = run_in(&dir, &file, &["--no-cache"], &[]);
    let (hit, total) = cached(&warm);
    assert_eq!(hit, total, "moved functions are reused");
    assert_eq!(stderr_of(&warm), stderr_of(&fresh));
    assert!(stderr_of(&warm).contains("moved.vais:4:"), "{}", stderr_of(&warm));
    assert_eq!(warm.status.code(), Some(101));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Another tier and the inliner switch never take code compiled under other settings (`-g`
/// compiles the same code as a plain run, so it may).
#[test]
fn a_changed_compiler_setting_misses() {
    let text = "F sq(x: i64) -> i64 = x * x\nF main() -> i64 {\n    printf(\"%d\\n\", sq(7))\n    0\n}\n";
    let dir = fresh_dir("settings");
    let file = program(&dir, "settings", text);
    run_in(&dir, &file, &[], &[]);
    let baseline = run_in(&dir, &file, &[], &[("VAIS_TIER", "baseline")]);
    assert_eq!(cached(&baseline).0, 0, "another tier reuses code");
    assert_eq!(String::from_utf8_lossy(&baseline.stdout), "49\n");
    let again = run_in(&dir, &file, &[], &[("VAIS_TIER", "baseline")]);
    assert_eq!(cached(&again).0, cached(&again).1);
    // `-g` compiles the same (inlined) code as a plain run: the tools see through inlined
    // copies, so its code is reused.
    let g = run_in(&dir, &file, &["-g"], &[]);
    let (hit, total) = cached(&g);
    assert_eq!(hit, total, "-g compiles what a plain run does ({hit} of {total})");
    // Without the inliner `main` calls `sq` instead of containing it: `main` is compiled again.
    let off = run_in(&dir, &file, &[], &[("VAIS_INLINE", "0")]);
    let (hit, total) = cached(&off);
    assert!(hit < total, "VAIS_INLINE=0 reused inlined code ({hit} of {total})");
    let again = run_in(&dir, &file, &[], &[("VAIS_INLINE", "0")]);
    assert_eq!(cached(&again).0, cached(&again).1, "VAIS_INLINE=0 reuses its own code");
    assert_eq!(String::from_utf8_lossy(&off.stdout), "49\n");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A corrupted or truncated entry is never trusted: the run recompiles and rewrites it.
#[test]
fn corrupt_and_truncated_entries_are_rewritten() {
    let file = repo_root().join("bench/interp.vais");
    for mode in 0..4 {
        let dir = fresh_dir(&format!("corrupt{mode}"));
        let cold = run_in(&dir, &file, &[], &[]);
        let found = entries(&dir);
        assert!(!found.is_empty(), "nothing was written");
        for e in &found {
            let mut bytes = std::fs::read(e).unwrap();
            let n = bytes.len();
            match mode {
                0 => bytes.truncate(n / 2),
                1 => bytes[n - 3] ^= 0x5a,
                2 => bytes.truncate(10),
                _ => bytes[40] ^= 1, // inside the payload, near its start
            }
            std::fs::write(e, bytes).unwrap();
        }
        let damaged = run_in(&dir, &file, &[], &[]);
        assert_eq!(cold.stdout, damaged.stdout, "mode {mode}");
        assert_eq!(cold.status.code(), damaged.status.code(), "mode {mode}");
        assert_eq!(cached(&damaged).0, 0, "mode {mode}: a damaged entry was used");
        let warm = run_in(&dir, &file, &[], &[]);
        assert_eq!(cached(&warm).0, cached(&warm).1, "mode {mode}: damaged entries were not rewritten");
        assert_eq!(cold.stdout, warm.stdout, "mode {mode}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// Four runs of the same program on one cold cache at once all succeed; the cache is then
/// complete and valid.
#[test]
fn concurrent_cold_runs_are_safe() {
    let dir = fresh_dir("concurrent");
    let file = repo_root().join("examples/word_count.vais");
    let want = std::fs::read(repo_root().join("examples/word_count.stdout")).unwrap();
    let children: Vec<_> = (0..4)
        .map(|_| {
            vaisc()
                .env("VAIS_CACHE_DIR", &dir)
                .arg("run")
                .arg(&file)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert_eq!(out.stdout, want, "{}", String::from_utf8_lossy(&out.stderr));
    }
    let warm = run_in(&dir, &file, &[], &[]);
    assert_eq!(warm.stdout, want);
    assert_eq!(cached(&warm).0, cached(&warm).1);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--no-cache` and `VAIS_CACHE=off` neither write nor read.
#[test]
fn no_cache_writes_nothing() {
    let dir = fresh_dir("off");
    let file = repo_root().join("bench/interp.vais");
    let a = run_in(&dir, &file, &["--no-cache"], &[]);
    assert!(a.status.success());
    assert!(!String::from_utf8_lossy(&a.stderr).contains("from the cache"));
    let b = run_in(&dir, &file, &[], &[("VAIS_CACHE", "off")]);
    assert!(b.status.success());
    assert_eq!(entries(&dir), Vec::<PathBuf>::new());
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "the cache directory was created");
    // A real run fills it; --no-cache then does not read it.
    run_in(&dir, &file, &[], &[]);
    assert!(!entries(&dir).is_empty());
    let c = run_in(&dir, &file, &["--no-cache"], &[]);
    assert_eq!(a.stdout, c.stdout);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The REPL reuses an identical definition's code (`:time` says so) and reads no cache
/// directory, nor writes one.
#[test]
fn repl_reuses_identical_definitions_and_writes_no_files() {
    let dir = fresh_dir("repl");
    let out = vaisc()
        .env("VAIS_CACHE_DIR", &dir)
        .arg("repl")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            let text = "F sq(x: i64) -> i64 = x * x\n:time\nF sq(x: i64) -> i64 = x * x + 1\nsq(3)\nF sq(x: i64) -> i64 = x * x\nsq(3)\n";
            c.stdin.take().unwrap().write_all(text.as_bytes())?;
            c.wait_with_output()
        })
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("time: ") || l.starts_with("=> ")).collect();
    assert_eq!(lines.len(), 6, "{text}");
    assert!(!lines[0].contains("from the cache"), "{text}");
    assert_eq!(lines[1], "=> 10");
    assert!(lines[3].contains("(baseline tier, 1 of 1 functions from the cache)"), "{text}");
    assert_eq!(lines[4], "=> 9");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "the REPL wrote files");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Cached code carries its unwind description: libgcc still unwinds through it to the host's
/// frames (`tests/unwind`).
#[test]
fn cached_code_is_unwindable() {
    let dir = fresh_dir("unwind");
    let file = repo_root().join("tests/unwind/host_backtrace.vais");
    for round in ["cold", "warm"] {
        let out = run_in(&dir, &file, &[], &[]);
        assert_eq!(String::from_utf8_lossy(&out.stdout), "host frames below JIT code: yes\n", "{round}: {}", String::from_utf8_lossy(&out.stderr));
        if round == "warm" {
            assert_eq!(cached(&out).0, cached(&out).1);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `:load` of an unchanged file links every function from the session's cache; after an edit
/// of one function, the functions that did not change still come from it.
#[test]
fn repl_reload_of_an_unchanged_file_links_cached_code() {
    let dir = fresh_dir("reload");
    let file = program(&dir, "reload", "F a(x: i64) -> i64 = x * 3\nF b(x: i64) -> i64 = a(x) + 1\nF main() -> i64 {\n    printf(\"%d\\n\", b(4))\n    0\n}\n");
    let load = format!(":load {}\n", file.display());
    let out = run_with_stdin(&["repl"], &format!(":time\n{load}{load}main()\n"));
    let text = String::from_utf8_lossy(&out.stdout);
    let times: Vec<&str> = text.lines().filter(|l| l.starts_with("time: ")).collect();
    assert_eq!(times.len(), 3, "{text}");
    assert!(!times[0].contains("from the cache"), "{text}");
    assert!(times[1].contains("3 of 3 functions from the cache"), "{text}");
    assert!(text.contains("13\n"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The whole-program fast path (`vais_jit` `plan.rs`): an unchanged program is linked from its
/// plan, and anything that could change its code misses it: a one-byte edit of an imported
/// file (even a comment: its functions then still come from the cache one by one), another
/// value of any `VAIS_*` variable, `-g`, `--profile`. Every run's output is the cold run's.
#[test]
fn the_whole_program_path_is_taken_exactly_when_nothing_changed() {
    let dir = fresh_dir("whole");
    let lib = program(&dir, "lib", "# helpers\nF sq(x: i64) -> i64 = x * x\nF add(a: i64, b: i64) -> i64 = a + b\n");
    let file = program(&dir, "main", "U lib\nF main() -> i64 {\n    printf(\"%d\\n\", add(sq(7), 1))\n    0\n}\n");
    let check = |out: &Output, want: &str, what: &str| {
        assert_eq!(String::from_utf8_lossy(&out.stdout), want, "{what}: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.status.code(), Some(0), "{what}");
    };
    let cold = run_in(&dir, &file, &[], &[]);
    check(&cold, "50\n", "cold");
    assert!(!whole(&cold), "a cold run was linked whole");
    let warm = run_in(&dir, &file, &[], &[]);
    check(&warm, "50\n", "warm");
    assert!(whole(&warm), "an unchanged rerun was not linked whole: {}", String::from_utf8_lossy(&warm.stderr));
    assert_eq!(cached(&warm).0, cached(&warm).1);
    // One byte of a comment in the imported file: no plan, every function still cached.
    std::fs::write(&lib, "# helperz\nF sq(x: i64) -> i64 = x * x\nF add(a: i64, b: i64) -> i64 = a + b\n").unwrap();
    let comment = run_in(&dir, &file, &[], &[]);
    check(&comment, "50\n", "comment edit");
    assert!(!whole(&comment), "a changed import was linked from the old plan");
    assert_eq!(cached(&comment).0, cached(&comment).1, "an edited comment recompiled code");
    assert!(whole(&run_in(&dir, &file, &[], &[])), "the new plan was not recorded");
    // One byte of code in the imported file.
    std::fs::write(&lib, "# helperz\nF sq(x: i64) -> i64 = x * x\nF add(a: i64, b: i64) -> i64 = a - b\n").unwrap();
    let code = run_in(&dir, &file, &[], &[]);
    check(&code, "48\n", "code edit");
    assert!(!whole(&code), "an edited import was linked from the old plan");
    assert!(whole(&run_in(&dir, &file, &[], &[])), "the new plan was not recorded");
    // Settings and tools: each misses the plan recorded without them.
    for (extra, env, what) in [
        (&[][..], &[("VAIS_INLINE", "0")][..], "VAIS_INLINE=0"),
        (&[][..], &[("VAIS_TIER", "baseline")][..], "VAIS_TIER=baseline"),
        (&[][..], &[("VAIS_TIER_THRESHOLD", "7")][..], "another VAIS_ variable"),
        (&["-g"][..], &[][..], "-g"),
        (&["--profile"][..], &[][..], "--profile"),
    ] {
        // The bundle holds the previous setting's plan: a plain run records its own again.
        run_in(&dir, &file, &[], &[]);
        let plain = run_in(&dir, &file, &[], &[]);
        assert!(whole(&plain), "{what}: the plain run before it was not linked whole");
        let out = run_in(&dir, &file, extra, env);
        assert_eq!(String::from_utf8_lossy(&out.stdout), "48\n", "{what}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(!whole(&out), "{what} was linked from a plan recorded without it");
        // ... and is linked whole the next time under the same setting.
        let again = run_in(&dir, &file, extra, env);
        assert!(whole(&again), "{what}: an unchanged rerun was not linked whole");
        assert_eq!(String::from_utf8_lossy(&again.stdout), "48\n", "{what}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A bundle whose plan was recorded before an edit (here: put back after the edit, as a
/// concurrent run of the old text could leave it) is never followed: the plan is keyed by the
/// sources, so the run takes the per-function path and is right. (A plan that does not fit
/// the program under its own key is refused too: `vais-jit`'s `tests/plan.rs`.)
#[test]
fn a_plan_recorded_before_an_edit_is_not_followed() {
    let dir = fresh_dir("misfit");
    let a = program(&dir, "a", "F f(x: i64) -> i64 = x * 3\nF main() -> i64 {\n    printf(\"%d\\n\", f(5))\n    0\n}\n");
    run_in(&dir, &a, &[], &[]);
    assert!(whole(&run_in(&dir, &a, &[], &[])));
    // Edit the program (another function list), then put the old bundle, plan included, back.
    let saved: Vec<(PathBuf, Vec<u8>)> = entries(&dir).into_iter().map(|e| { let b = std::fs::read(&e).unwrap(); (e, b) }).collect();
    std::fs::write(&a, "F g(x: i64) -> i64 = x + 100\nF f(x: i64) -> i64 = g(x) * 3\nF main() -> i64 {\n    printf(\"%d\\n\", f(5))\n    0\n}\n").unwrap();
    for (e, b) in &saved {
        std::fs::write(e, b).unwrap();
    }
    let out = run_in(&dir, &a, &[], &[]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "315\n", "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!whole(&out));
    let _ = std::fs::remove_dir_all(&dir);
}
