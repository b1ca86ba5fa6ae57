//! Links a hand-written C "program" (standing in for `vaisc build`'s object) against
//! `libvais_start.a` and checks the executable starts, reports and exits as `vaisc run` does.

use std::path::{Path, PathBuf};
use std::process::Command;
use vais_runtime::program_info::{FileLines, FuncInfo, ProgramInfo};

/// `target/<profile>`, where cargo put `libvais_start.a` (the test binary is in its `deps/`).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(Path::parent).unwrap().to_path_buf()
}

const PROGRAM: &str = r#"
#include <stdint.h>
#include <stdlib.h>
extern int vais_puts(const char *);
extern void vais_rt_trap(int kind, int64_t site);
void __vais_main(uint8_t *out);
const uintptr_t __vais_code[] = { (uintptr_t)&__vais_main };
__attribute__((noinline)) void __vais_main(uint8_t *out) {
    vais_puts("hello from the program");
    if (getenv("FAIL")) vais_rt_trap(1, 0);
    out[0] = (uint8_t)atoi(getenv("STATUS") ? getenv("STATUS") : "0");
}
"#;

fn build(dir: &Path) -> PathBuf {
    let info = ProgramInfo {
        main_status: true,
        files: vec![FileLines { name: "prog.vais".into(), line_starts: vec![0, 20, 40] }],
        funcs: vec![FuncInfo { name: "main".into(), size: 4096, file: 0, lines: vec![(0, 4096, 26)], traps: vec![], sites: vec![("prog.vais:2:7".into(), None)], inlined: vec![] }],
    };
    let bytes = info.encode();
    let mut c = String::from(PROGRAM);
    c.push_str(&format!("const uint64_t __vais_info_len = {};\nconst uint8_t __vais_info[] = {{", bytes.len()));
    for b in &bytes {
        c.push_str(&format!("{b},"));
    }
    c.push_str("};\n");
    let src = dir.join("prog.c");
    std::fs::write(&src, c).unwrap();
    let lib = target_dir().join("libvais_start.a");
    assert!(lib.exists(), "{} was not built", lib.display());
    let exe = dir.join("prog");
    let out = Command::new("cc")
        .arg("-fno-omit-frame-pointer")
        .arg(&src)
        .arg(&lib)
        .args(["-o"])
        .arg(&exe)
        .args(["-lpthread", "-ldl", "-lm", "-lgcc_s"])
        .output()
        .expect("cc runs");
    assert!(out.status.success(), "link failed: {}", String::from_utf8_lossy(&out.stderr));
    exe
}

#[test]
fn built_program_starts_reports_and_exits_like_vaisc_run() {
    let dir = std::env::temp_dir().join(format!("vais-start-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let exe = build(&dir);

    let ok = Command::new(&exe).env("STATUS", "300").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&ok.stdout), "hello from the program\n");
    assert_eq!(ok.status.code(), Some(300 % 256), "main's value modulo 256");
    assert_eq!(String::from_utf8_lossy(&ok.stderr), "");

    let bad = Command::new(&exe).env("FAIL", "1").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&bad.stdout), "hello from the program\n", "output flushed before the report");
    assert_eq!(bad.status.code(), Some(101));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.starts_with("runtime error: division by zero in `main` at prog.vais:2:7\n"), "{err}");
    assert!(err.contains("  at main (prog.vais:2:7)"), "backtrace from the embedded tables: {err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
