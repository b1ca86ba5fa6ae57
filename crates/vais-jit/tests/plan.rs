//! The whole-program plan of the disk cache (`plan.rs`): recorded by a compile, followed by a
//! later linker under the same whole-program key (every function from the bundle, right
//! result), ignored under another key, and refused when the program does not fit it (a
//! checker that numbered or named functions otherwise), without placing anything.

use std::path::{Path, PathBuf};

use vais_ast::{FileId, SourceMap};
use vais_jit::{call_entry, CacheMode, Jit, JitConfig};
use vais_tir::{FuncId, Program};

fn check(text: &str) -> (Program, SourceMap) {
    let mut sources = SourceMap::new();
    sources.add("p.vais", text);
    let (module, diags) = vais_parser::parse_file(FileId(0), text);
    assert!(diags.is_empty(), "{diags:?}");
    let (program, diags) = vais_types::check_program(&module);
    (program.unwrap_or_else(|| panic!("{diags:?}")), sources)
}

fn jit(dir: &Path, whole: u128) -> Jit {
    let mut j = Jit::new(JitConfig { repl_mode: false, interrupt_polls: true, verify: true, verify_tir: true, opt_speed: true, keep_ir: false }).unwrap();
    let config = vais_cache::Config { root: dir.to_path_buf(), namespace: "plan-test".into(), cap: vais_cache::DEFAULT_CAP };
    j.set_cache(CacheMode::Disk { config, write: true, program: "p".into(), whole });
    j
}

/// `main`'s `i64` result.
fn run_main(j: &Jit, p: &Program) -> i64 {
    let entry = j.entry_ptr(p.main.unwrap()).unwrap() as usize;
    let bytes = vais_runtime::run_protected(move || {
        let mut out = vec![0u8; 16];
        // SAFETY: the entry wrapper of `main`; `out` holds its `i64` result.
        unsafe { call_entry(entry as *const u8, out.as_mut_ptr()) };
        out
    })
    .unwrap();
    i64::from_le_bytes(bytes[..8].try_into().unwrap())
}

#[test]
fn a_plan_is_followed_only_by_the_program_it_fits() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("plan-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (a, sa) = check("F f(x: i64) -> i64 = x * 3\nF main() -> i64 = f(5)\n");
    let locate_a = |s: vais_ast::Span| sa.location(s);
    let all = |p: &Program| (0..p.funcs.len() as u32).map(FuncId).collect::<Vec<_>>();

    let mut first = jit(&dir, 7);
    assert!(!first.planned(), "an empty cache has a plan");
    first.compile(&a, &all(&a), &locate_a).unwrap();
    first.finish_cache();
    assert!(!first.cache_stats().whole_program);
    assert_eq!(run_main(&first, &a), 15);

    let mut second = jit(&dir, 7);
    assert!(second.planned(), "the plan was not recorded");
    second.compile_planned(&a, &locate_a).unwrap();
    let stats = second.cache_stats();
    assert!(stats.whole_program);
    assert_eq!((stats.from_cache, stats.compiled), (a.funcs.len() as u64, 0));
    assert_eq!(run_main(&second, &a), 15);

    assert!(!jit(&dir, 8).planned(), "a plan was offered under another whole-program key");

    // Another program under the same key (what a front end that numbered functions otherwise
    // would give): the plan names functions it does not have, and is refused.
    let (b, sb) = check("F g(x: i64) -> i64 = x + 1\nF f(x: i64) -> i64 = g(x) * 3\nF main() -> i64 = f(5)\n");
    let mut third = jit(&dir, 7);
    assert!(third.planned());
    assert!(third.compile_planned(&b, &|s| sb.location(s)).is_err(), "a plan was followed by a program it does not fit");
    let _ = std::fs::remove_dir_all(&dir);
}
