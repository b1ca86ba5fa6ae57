//! Runs every `A_*` conformance program (../../shared/conformance) through parser, checker and
//! this JIT, each in a child process (the test binary re-run with an environment variable), and
//! compares stdout and exit status.

use std::path::{Path, PathBuf};
use std::process::Command;

use vais_ast::SourceMap;
use vais_jit::{call_entry, Jit, JitConfig};
use vais_tir::{FuncId, Ty};

const DIR: &str = "/work/shared/conformance";

fn programs() -> Vec<(String, PathBuf)> {
    let mut v = vec![];
    let Ok(rd) = std::fs::read_dir(DIR) else { return v };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if !name.starts_with("A_") {
            continue;
        }
        if let Some(stem) = name.strip_suffix(".vais") {
            v.push((stem.to_string(), e.path()));
        } else if e.path().is_dir() {
            v.push((name.clone(), e.path().join("main.vais")));
        }
    }
    v.sort();
    v
}

/// Child side: compile and run the program named by `VAIS_JIT_CONF_FILE`, stdout redirected to
/// `VAIS_JIT_CONF_OUT`; exits with main's value mod 256 (101 on a runtime error, 2 on a
/// compile error).
#[test]
fn conformance_child() {
    let Ok(path) = std::env::var("VAIS_JIT_CONF_FILE") else { return };
    let out = std::env::var("VAIS_JIT_CONF_OUT").unwrap();
    let f = std::fs::File::create(&out).unwrap();
    // SAFETY: plain descriptor duplication onto stdout in a child process.
    unsafe {
        use std::os::fd::AsRawFd;
        libc::dup2(f.as_raw_fd(), 1);
    }
    let mut sources = SourceMap::new();
    let (module, diags) = vais_parser::load_program(Path::new(&path), &mut sources).unwrap();
    let (program, cdiags) = vais_types::check_program(&module);
    let Some(program) = program else {
        eprintln!("front end rejected: {:?} {:?}", diags, cdiags);
        std::process::exit(2)
    };
    let main = program.main.unwrap();
    let mut jit = Jit::new(JitConfig { repl_mode: false, interrupt_polls: true, verify: true, verify_tir: true, opt_speed: true, keep_ir: false }).unwrap();
    let all: Vec<FuncId> = (0..program.funcs.len() as u32).map(FuncId).collect();
    let locate = |s: vais_ast::Span| sources.location(s);
    if let Err(e) = jit.compile(&program, &all, &locate) {
        eprintln!("{e}");
        std::process::exit(3)
    }
    let ret = program.func(main).ret.clone();
    let size = jit.size_of(&ret).max(16);
    let entry = jit.entry_ptr(main).unwrap() as usize;
    let r = vais_runtime::run_protected(move || {
        let mut out = vec![0u8; size];
        // SAFETY: entry wrapper of main; out is large enough for its result.
        unsafe { call_entry(entry as *const u8, out.as_mut_ptr()) };
        out
    });
    vais_runtime::flush_output();
    match r {
        Ok(bytes) => {
            let st = match ret {
                Ty::Int(_) | Ty::Bool => bytes[0] as i32,
                _ => 0,
            };
            std::process::exit(st)
        }
        Err(f) => {
            if let vais_runtime::FaultKind::Exited(status) = f.kind {
                std::process::exit(status)
            }
            eprintln!("runtime error: {f}");
            std::process::exit(101)
        }
    }
}

#[test]
fn conformance() {
    let exe = std::env::current_exe().unwrap();
    let tmp = std::env::temp_dir().join(format!("vais-jit-conf-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let mut failures = vec![];
    let progs = programs();
    for (name, path) in &progs {
        let base = path.with_extension("");
        let expected_out = std::fs::read(base.with_extension("stdout")).unwrap_or_default();
        let expected_exit = std::fs::read_to_string(base.with_extension("exit")).unwrap_or_default();
        let expected_exit = expected_exit.trim();
        let out_file = tmp.join(format!("{name}.out"));
        let res = Command::new(&exe)
            .args(["conformance_child", "--exact", "--nocapture", "--test-threads=1", "--quiet"])
            .env("VAIS_JIT_CONF_FILE", path)
            .env("VAIS_JIT_CONF_OUT", &out_file)
            .output()
            .unwrap();
        let got = std::fs::read(&out_file).unwrap_or_default();
        let code = res.status.code().unwrap_or(-1);
        let exit_ok = if expected_exit == "TRAP" { code == 101 } else { expected_exit.parse::<i32>().ok() == Some(code) };
        if !exit_ok || got != expected_out {
            failures.push(format!(
                "{name}: exit {code} (want {expected_exit}); stdout {}\n  stderr: {}",
                if got == expected_out { "ok".to_string() } else { format!("{:?} want {:?}", String::from_utf8_lossy(&got), String::from_utf8_lossy(&expected_out)) },
                String::from_utf8_lossy(&res.stderr).lines().take(6).collect::<Vec<_>>().join("\n    ")
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
    assert!(failures.is_empty(), "{} of {} conformance programs failed:\n{}", failures.len(), progs.len(), failures.join("\n"));
}
