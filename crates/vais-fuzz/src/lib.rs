//! `vais-fuzz`: the project's kept fuzzers (issue 9 "Fuzzing, kept", issue 10's differential
//! target). Three modes, each bounded in time and count and reproducible from a seed:
//!
//! * `gen`: generated well-typed programs (`gen.rs`) run differentially: `vaisc run` against
//!   the reference evaluator (`eval.rs`), the REPL (`:load` + `main()`) against the same
//!   expectation, and an in-process check + compile with the Cranelift verifier on
//!   (`compile.rs`): the checker accepts => the back end compiles, never a panic.
//! * `mutate`: byte- and token-level mutants of the test corpus through `vaisc check` (and,
//!   when accepted, the compile check and `vaisc run`): no panic, no internal compiler error,
//!   no crash signal, no hang.
//! * `repl`: random REPL sessions (definitions, redefinitions with new signatures, session
//!   variables, expressions, faults, `:clear`) against a model of the session (`repl.rs`).
//!
//! Every failing case is written to the output directory with its seed.

pub mod compile;
pub mod eval;
pub mod gen;
pub mod mutate;
pub mod prog;
pub mod repl;
pub mod rng;
pub mod run;

use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Clone, Debug)]
pub struct Config {
    pub seed: u64,
    /// Stop after this long (whole mode)...
    pub seconds: f64,
    /// ...or after this many cases.
    pub count: u64,
    pub vaisc: PathBuf,
    /// This fuzzer's own binary (for `compile-check` in a child process).
    pub fuzz_exe: PathBuf,
    /// Where failing inputs are written.
    pub out_dir: PathBuf,
    /// Also generate shapes that hit known open bugs.
    pub known_bugs: bool,
    /// Test corpus directories for `mutate`.
    pub corpus: Vec<PathBuf>,
    /// Minimise failing generated programs.
    pub minimise: bool,
    pub verbose: bool,
}

impl Config {
    pub fn new(seed: u64) -> Config {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        Config {
            seed,
            seconds: 60.0,
            count: u64::MAX,
            vaisc: run::find_vaisc(),
            fuzz_exe: std::env::current_exe().expect("current exe"),
            out_dir: PathBuf::from("fuzz-failures"),
            known_bugs: false,
            corpus: vec![root.join("tests/conformance"), root.join("tests/programs")],
            minimise: true,
            verbose: false,
        }
    }
    pub fn deadline(&self) -> Instant {
        Instant::now() + Duration::from_secs_f64(self.seconds)
    }
}

/// One failing case.
#[derive(Clone, Debug)]
pub struct Failure {
    pub mode: &'static str,
    pub seed: u64,
    pub what: String,
    /// The saved input (program or session).
    pub file: PathBuf,
}

#[derive(Clone, Debug, Default)]
pub struct Report {
    pub mode: &'static str,
    pub cases: u64,
    pub discarded: u64,
    pub failures: Vec<Failure>,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{}: {} cases, {} discarded, {} failures", self.mode, self.cases, self.discarded, self.failures.len())?;
        for x in &self.failures {
            writeln!(f, "  seed {}: {} ({})", x.seed, x.what, x.file.display())?;
        }
        Ok(())
    }
}

/// The seed of case `i` of a run with seed `seed`.
pub fn case_seed(seed: u64, i: u64) -> u64 {
    let mut r = rng::Rng::new(seed.wrapping_mul(0x100_0000_01B3) ^ i);
    r.next_u64()
}

/// Saves a failing input and returns its path.
pub fn save(cfg: &Config, mode: &str, seed: u64, ext: &str, text: &str, what: &str) -> PathBuf {
    std::fs::create_dir_all(&cfg.out_dir).expect("output directory");
    let path = cfg.out_dir.join(format!("{mode}-{seed}.{ext}"));
    std::fs::write(&path, text).expect("write failing input");
    let note = cfg.out_dir.join(format!("{mode}-{seed}.txt"));
    std::fs::write(&note, format!("mode {mode}, case seed {seed}\n{what}\n")).expect("write note");
    path
}

pub use gen::Opts;

/// Runs the differential mode over generated programs.
pub fn run_gen(cfg: &Config) -> Report {
    let deadline = cfg.deadline();
    let dir = run::scratch_dir("gen");
    let mut rep = Report { mode: "gen", ..Default::default() };
    let mut i = 0;
    while i < cfg.count && Instant::now() < deadline {
        let seed = case_seed(cfg.seed, i);
        i += 1;
        // A panic here is a bug of the fuzzer itself (generator/evaluator): report and go on.
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| gen_case(cfg, seed, &dir)));
        let r = r.unwrap_or_else(|_| {
            eprintln!("gen: seed {seed}: the fuzzer itself panicked (a generator bug); case skipped");
            CaseResult::Discard
        });
        match r {
            CaseResult::Pass => rep.cases += 1,
            CaseResult::Discard => rep.discarded += 1,
            CaseResult::Fail(f) => {
                rep.cases += 1;
                if cfg.verbose {
                    eprintln!("gen: seed {seed}: {}", f.what);
                }
                rep.failures.push(f);
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    rep
}

pub enum CaseResult {
    Pass,
    Discard,
    Fail(Failure),
}

/// Generates, evaluates and checks the program of one seed.
pub fn gen_case(cfg: &Config, seed: u64, dir: &std::path::Path) -> CaseResult {
    let mut g = gen::Gen::new(seed, Opts { known_bugs: cfg.known_bugs });
    let p = g.program();
    let Some(exp) = expect(&p) else { return CaseResult::Discard };
    let text = prog::Printer::new(&p).program(None);
    match check_program(cfg, &text, &exp, dir) {
        None => CaseResult::Pass,
        Some((kind, what)) => {
            let (text, what) = if cfg.minimise { minimise(cfg, &p, &kind, dir).unwrap_or((text, what)) } else { (text, what) };
            let file = save(cfg, "gen", seed, "vais", &text, &what);
            CaseResult::Fail(Failure { mode: "gen", seed, what, file })
        }
    }
}

/// What a program must do: its output and either main's value or a trap.
#[derive(Clone, Debug)]
pub struct Expect {
    pub out: Vec<u8>,
    pub result: Result<i64, eval::Trap>,
}

pub fn expect(p: &prog::Program) -> Option<Expect> {
    let mut ev = eval::Ev::new(p, 200_000);
    if ev.init_consts().is_err() {
        return None;
    }
    let main = p.fns.len() - 1;
    let r = ev.call_fn(main, vec![]);
    let result = match r {
        Ok(v) => Ok(v.int() as i64),
        Err(eval::Flow::Trap(t)) => Err(t),
        Err(_) => return None,
    };
    Some(Expect { out: ev.out, result })
}

const RUN_LIMIT: Duration = Duration::from_secs(10);

/// Runs one program through `vaisc run`, the compile check and the REPL. Returns the failure
/// kind and a description.
pub fn check_program(cfg: &Config, text: &str, exp: &Expect, dir: &std::path::Path) -> Option<(String, String)> {
    let path = dir.join("case.vais");
    std::fs::write(&path, text).expect("write case");
    let ps = path.to_str().unwrap();
    // 1. vaisc run vs the evaluator.
    let o = run::run(&cfg.vaisc, &["run", ps], b"", RUN_LIMIT);
    if let Some(f) = o.fatal() {
        return Some((format!("run: {f}"), format!("vaisc run: {f}\nstderr:\n{}", o.stderr)));
    }
    let want_code = match exp.result {
        Ok(v) => (v & 0xff) as i32,
        Err(_) => 101,
    };
    let trap_ok = exp.result.is_ok() || o.stderr.contains("runtime error");
    if o.code == Some(1) && o.stderr.contains("error[") {
        return Some(("run: rejected".into(), format!("vaisc rejects a well-typed program:\n{}", o.stderr)));
    }
    if o.stdout != exp.out || o.code != Some(want_code) || !trap_ok {
        return Some((
            "run: differs".into(),
            format!(
                "vaisc run differs from the evaluator\nwant exit {want_code} ({:?}), stdout:\n{}\ngot exit {:?}, stdout:\n{}\nstderr:\n{}",
                exp.result,
                String::from_utf8_lossy(&exp.out),
                o.code,
                String::from_utf8_lossy(&o.stdout),
                o.stderr
            ),
        ));
    }
    // 2. The checker accepts => the back end compiles with the verifier on.
    let c = run::run(&cfg.fuzz_exe, &["compile-check", ps], b"", RUN_LIMIT);
    if c.code != Some(0) {
        let f = c.fatal().unwrap_or_else(|| format!("exit {:?}", c.code));
        return Some((format!("compile-check: {f}"), format!("compile check (verifier on) failed: {f}\n{}", c.stderr)));
    }
    // 3. The REPL: `:load` + `main()` gives the same output and value.
    let input = format!(":load {ps}\nmain()\n");
    let r = run::run(&cfg.vaisc, &["repl"], input.as_bytes(), RUN_LIMIT);
    if let Some(f) = r.fatal() {
        return Some((format!("repl: {f}"), format!("REPL: {f}\nstderr:\n{}", r.stderr)));
    }
    let mut want = exp.out.clone();
    if let Ok(v) = exp.result {
        want.extend_from_slice(format!("=> {v}\n").as_bytes());
    }
    let repl_trap_ok = exp.result.is_ok() || r.stderr.contains("runtime error");
    if r.stdout != want || !repl_trap_ok || r.code != Some(0) {
        return Some((
            "repl: differs".into(),
            format!(
                "REPL (:load + main()) differs\nwant stdout:\n{}\ngot exit {:?}, stdout:\n{}\nstderr:\n{}",
                String::from_utf8_lossy(&want),
                r.code,
                String::from_utf8_lossy(&r.stdout),
                r.stderr
            ),
        ));
    }
    None
}

/// Greedy statement deletion keeping the same failure kind (bounded number of attempts).
fn minimise(cfg: &Config, p: &prog::Program, kind: &str, dir: &std::path::Path) -> Option<(String, String)> {
    let mut best = p.clone();
    let mut best_what = None;
    let mut attempts = 0;
    let mut progress = true;
    while progress && attempts < 150 {
        progress = false;
        let n = count_stmts(&best);
        let mut k = n;
        while k > 0 && attempts < 150 {
            k -= 1;
            let mut cand = best.clone();
            if !remove_stmt(&mut cand, k) {
                continue;
            }
            attempts += 1;
            let Some(exp) = expect(&cand) else { continue };
            let text = prog::Printer::new(&cand).program(None);
            if let Some((k2, what)) = check_program(cfg, &text, &exp, dir) {
                if k2 == kind {
                    best = cand;
                    best_what = Some(what);
                    progress = true;
                }
            }
        }
    }
    let what = best_what?;
    Some((prog::Printer::new(&best).program(None), what))
}

fn blocks_mut(p: &mut prog::Program) -> Vec<&mut prog::Block> {
    let mut out = vec![];
    for f in p.fns.iter_mut() {
        out.push(&mut f.body);
    }
    for s in p.structs.iter_mut() {
        for m in s.methods.iter_mut() {
            out.push(&mut m.body);
        }
    }
    out
}

fn count_stmts(p: &prog::Program) -> usize {
    let mut p = p.clone();
    blocks_mut(&mut p).iter().map(|b| count_block(b)).sum()
}

fn count_block(b: &prog::Block) -> usize {
    use prog::Stmt;
    b.stmts
        .iter()
        .map(|s| {
            1 + match s {
                Stmt::If(_, t, e) => count_block(t) + e.as_ref().map_or(0, count_block),
                Stmt::For { body, .. } | Stmt::While(_, body) | Stmt::Loop(body) => count_block(body),
                _ => 0,
            }
        })
        .sum()
}

/// Removes the `k`-th statement (pre-order over all bodies). Lets are kept when removal
/// would leave a dangling name (the evaluator would panic): only non-`let` statements go.
fn remove_stmt(p: &mut prog::Program, mut k: usize) -> bool {
    for b in blocks_mut(p) {
        if let Some(r) = remove_in(b, &mut k) {
            return r;
        }
    }
    false
}

fn remove_in(b: &mut prog::Block, k: &mut usize) -> Option<bool> {
    use prog::Stmt;
    for i in 0..b.stmts.len() {
        if *k == 0 {
            if matches!(b.stmts[i], Stmt::Let { .. }) {
                return Some(false);
            }
            b.stmts.remove(i);
            return Some(true);
        }
        *k -= 1;
        let r = match &mut b.stmts[i] {
            Stmt::If(_, t, e) => match remove_in(t, k) {
                Some(r) => Some(r),
                None => e.as_mut().and_then(|e| remove_in(e, k)),
            },
            Stmt::For { body, .. } | Stmt::While(_, body) | Stmt::Loop(body) => remove_in(body, k),
            _ => None,
        };
        if r.is_some() {
            return r;
        }
    }
    None
}
