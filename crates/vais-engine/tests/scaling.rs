//! Redefinition and `:type` cost no more in a session of 8,000 definitions than in one of 500:
//! the median CPU time of the same inputs (check, compile and run) in both sessions, compared
//! with a generous ratio (the machine may be loaded; a cost linear in the session's size
//! shows as a ratio of about 16). Hardware instruction counters are not available on every
//! machine (virtual machines), so this measures the process's CPU time, not wall time.
//! (The exact, load-independent check is `vais-types/tests/session.rs`,
//! `redefinition_work_does_not_grow_with_the_session`.)

use vais_ast::SourceMap;
use vais_engine::{Engine, Event, Outcome};

fn cpu_time() -> std::time::Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid timespec for clock_gettime to write.
    let r = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    assert_eq!(r, 0);
    std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn eval(engine: &mut Engine, text: &str) {
    let mut errors = vec![];
    let outcome = engine.eval(text, &mut |_: &SourceMap, e: Event| {
        if let Event::Diagnostics(d) = e {
            errors.extend(d.into_iter().filter(|d| d.is_error()).map(|d| d.message));
        }
    });
    assert_eq!(outcome, Outcome::Done, "{text}: {errors:?}");
}

/// Median CPU time (µs) of a redefinition and of a `:type`, in a session of `n` definitions.
fn costs(n: usize) -> (f64, f64) {
    let mut engine = Engine::new().expect("JIT");
    let mut text = String::new();
    for i in 0..n / 2 {
        text.push_str(&format!("F fn{i}(x: i64) -> i64 = x + {i}\nF cl{i}(x: i64) -> i64 = fn{i}(x) * 2\n"));
    }
    eval(&mut engine, &text);
    // Warm-up: the dependency index is built when a redefinition first asks.
    eval(&mut engine, "F fn0(x: i64) -> i64 = x - 1");
    let mut redefs = vec![];
    let mut types = vec![];
    for j in 1..41 {
        let k = (j * 7919) % (n / 2);
        let t = cpu_time();
        if j % 2 == 0 {
            eval(&mut engine, &format!("F fn{k}(x: i64) -> i64 = x + {j}"));
        } else {
            // A signature change breaks the caller; the next one repairs it.
            eval(&mut engine, &format!("F fn{k}(x: i64, y: i64) -> i64 = x + y"));
            eval(&mut engine, &format!("F fn{k}(x: i64) -> i64 = x - {j}"));
        }
        redefs.push((cpu_time() - t).as_secs_f64() * 1e6 / if j % 2 == 0 { 1.0 } else { 2.0 });
        let t = cpu_time();
        assert_eq!(engine.type_of(&format!("cl{k}(3) + fn{j}(1)")).unwrap(), "i64");
        types.push((cpu_time() - t).as_secs_f64() * 1e6);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    (median(&mut redefs), median(&mut types))
}

#[test]
fn redefinition_and_type_cost_does_not_grow_with_the_session() {
    let (r_small, t_small) = costs(500);
    let (r_big, t_big) = costs(8000);
    let msg = format!(
        "median CPU time: redefinition {r_small:.0} us at 500 definitions, {r_big:.0} us at 8,000; \
         :type {t_small:.0} us at 500, {t_big:.0} us at 8,000"
    );
    eprintln!("{msg}");
    // Floors absorb the clock's resolution for the cheap `:type`.
    assert!(r_big <= 4.0 * r_small.max(50.0), "redefinition grows with the session: {msg}");
    assert!(t_big <= 4.0 * t_small.max(50.0), ":type grows with the session: {msg}");
}
