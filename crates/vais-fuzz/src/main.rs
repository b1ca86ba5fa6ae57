//! `vais-fuzz`: command line of the project's fuzzers (see the crate documentation and the
//! README's Fuzzing section).
//!
//! ```text
//! vais-fuzz [--mode gen|mutate|repl|all] [--seconds N] [--count N] [--seed N] [--out DIR]
//!           [--vaisc PATH] [--known-bugs] [--no-minimise] [-v]
//! vais-fuzz show SEED         # print the generated program of one case seed
//! vais-fuzz compile-check FILE  # (internal) check + compile with the verifier, in process
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use vais_fuzz::*;

fn usage() -> ! {
    eprintln!(
        "usage: vais-fuzz [--mode gen|mutate|repl|all] [--seconds N] [--count N] [--seed N] [--out DIR] \
         [--vaisc PATH] [--known-bugs] [--no-minimise] [-v] [--case SEED]\n       vais-fuzz show SEED [--known-bugs]\n       \
         vais-fuzz compile-check FILE"
    );
    std::process::exit(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("compile-check") {
        let Some(f) = args.get(1) else { usage() };
        let f = PathBuf::from(f);
        let code = vais_runtime::run_on_big_stack(move || compile::compile_check(&f));
        return ExitCode::from(code as u8);
    }
    if args.first().map(String::as_str) == Some("show") {
        let Some(seed) = args.get(1).and_then(|s| s.parse().ok()) else { usage() };
        let known_bugs = args.iter().any(|a| a == "--known-bugs");
        let mut g = gen::Gen::new(seed, Opts { known_bugs });
        let p = g.program();
        print!("{}", prog::Printer::new(&p).program(None));
        match expect(&p) {
            Some(e) => eprintln!("expected: {:?}, stdout {:?}", e.result, String::from_utf8_lossy(&e.out)),
            None => eprintln!("(discarded: out of fuel or unpredictable output)"),
        }
        return ExitCode::SUCCESS;
    }
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(1);
    let mut cfg = Config::new(seed);
    let mut mode = "all".to_string();
    let mut case: Option<u64> = None;
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        let mut val = || it.next().unwrap_or_else(|| usage());
        match a.as_str() {
            "--mode" => mode = val(),
            "--seconds" => cfg.seconds = val().parse().unwrap_or_else(|_| usage()),
            "--count" => cfg.count = val().parse().unwrap_or_else(|_| usage()),
            "--seed" => cfg.seed = val().parse().unwrap_or_else(|_| usage()),
            "--out" => cfg.out_dir = PathBuf::from(val()),
            "--vaisc" => cfg.vaisc = PathBuf::from(val()),
            "--case" => case = Some(val().parse::<u64>().unwrap_or_else(|_| usage())),
            "--known-bugs" => cfg.known_bugs = true,
            "--no-minimise" => cfg.minimise = false,
            "-v" | "--verbose" => cfg.verbose = true,
            _ => usage(),
        }
    }
    if !cfg.vaisc.exists() {
        eprintln!("vais-fuzz: no vaisc at {} (build it, or pass --vaisc / set VAISC)", cfg.vaisc.display());
        return ExitCode::from(2);
    }
    let modes: Vec<&str> = match mode.as_str() {
        "all" => vec!["gen", "mutate", "repl"],
        "gen" | "mutate" | "repl" => vec![mode.as_str()],
        _ => usage(),
    };
    if let Some(seed) = case {
        // One case seed (as printed in a failure), in one mode.
        let dir = run::scratch_dir("case");
        let r = match mode.as_str() {
            "gen" => match gen_case(&cfg, seed, &dir) {
                CaseResult::Fail(f) => Some(f.what + "\n" + &f.file.display().to_string()),
                CaseResult::Discard => Some("discarded".into()),
                CaseResult::Pass => None,
            },
            "repl" => repl::repl_case(&cfg, seed, 40).map(|(t, w)| format!("{w}\n--- session:\n{t}")),
            "mutate" => mutate::mutate_case(&cfg, seed, &dir).map(|f| f.what + "\n" + &f.file.display().to_string()),
            _ => usage(),
        };
        let _ = std::fs::remove_dir_all(&dir);
        return match r {
            Some(w) => {
                eprintln!("{w}");
                ExitCode::FAILURE
            }
            None => {
                eprintln!("case {seed}: pass");
                ExitCode::SUCCESS
            }
        };
    }
    // With several modes, the time budget is shared equally.
    let per_mode = cfg.seconds / modes.len() as f64;
    eprintln!("vais-fuzz: seed {} ({} s per mode, failures go to {})", cfg.seed, per_mode, cfg.out_dir.display());
    let mut failed = false;
    for m in modes {
        let c = Config { seconds: per_mode, ..cfg.clone() };
        let rep = match m {
            "gen" => run_gen(&c),
            "mutate" => mutate::run_mutate(&c),
            _ => repl::run_repl(&c),
        };
        eprint!("{rep}");
        failed |= !rep.failures.is_empty();
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
