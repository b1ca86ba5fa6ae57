//! The CI pass of the fuzzers: every mode for a fixed seed and a small fixed count, against
//! this workspace's `vaisc` (debug build: the Cranelift verifier is on). Any failing case
//! fails the test (known open bugs are avoided by the generator, never by hiding a failure).

use std::path::PathBuf;
use std::process::Command;
use vais_fuzz::{mutate, repl, run_gen, Config, Report};

/// Builds `vaisc` (a no-op when it is fresh) and returns the configuration for one mode.
fn config(seed: u64, count: u64) -> Config {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let st = Command::new(cargo)
        .args(["build", "-q", "-p", "vaisc", "--bin", "vaisc"])
        .current_dir(&root)
        .status()
        .expect("run cargo build");
    assert!(st.success(), "cargo build -p vaisc failed");
    let mut cfg = Config::new(seed);
    cfg.seconds = 600.0;
    cfg.count = count;
    cfg.fuzz_exe = PathBuf::from(env!("CARGO_BIN_EXE_vais-fuzz"));
    cfg.vaisc = cfg.fuzz_exe.parent().unwrap().join("vaisc");
    cfg.out_dir = std::env::temp_dir().join(format!("vais-fuzz-ci-{}", std::process::id()));
    cfg.minimise = false;
    cfg
}

fn assert_clean(rep: Report, min_cases: u64) {
    assert!(rep.failures.is_empty(), "{rep}");
    assert!(rep.cases >= min_cases, "too few cases ran: {rep}");
}

#[test]
fn generated_programs_agree_with_the_evaluator_run_and_repl() {
    let cfg = config(20261130, 12);
    assert_clean(run_gen(&cfg), 10);
}

#[test]
fn corpus_mutants_never_crash_the_front_end() {
    let cfg = config(20261130, 60);
    assert_clean(mutate::run_mutate(&cfg), 60);
}

#[test]
fn repl_sessions_match_the_model() {
    let cfg = config(20261130, 4);
    assert_clean(repl::run_repl(&cfg), 4);
}

/// The differential check can fail: a tampered expectation is reported.
#[test]
fn a_wrong_expectation_is_reported() {
    let cfg = config(20261130, 1);
    let dir = vais_fuzz::run::scratch_dir("tamper");
    let mut seed = 1;
    let (p, mut exp) = loop {
        let mut g = vais_fuzz::gen::Gen::new(seed, Default::default());
        let p = g.program();
        if let Some(e) = vais_fuzz::expect(&p) {
            break (p, e);
        }
        seed += 1;
    };
    let text = vais_fuzz::prog::Printer::new(&p).program(None);
    assert_eq!(vais_fuzz::check_program(&cfg, &text, &exp, &dir), None, "seed {seed} should pass");
    exp.out.extend_from_slice(b"tampered\n");
    let r = vais_fuzz::check_program(&cfg, &text, &exp, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(r.is_some_and(|(kind, _)| kind == "run: differs"));
}
