//! Snapshot tests of rendered diagnostics: every diagnostic kind (`tests/diagnostics/*.vais`,
//! named after the code) through `vaisc check`, plain text as on a pipe. Review a changed
//! message by reading the snapshot; refresh with `INSTA_UPDATE=always cargo test`.

mod common;

#[test]
fn every_diagnostic_kind() {
    let dir = common::repo_root().join("tests/diagnostics");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "vais")).collect();
    files.sort();
    assert!(files.len() >= 15);
    for path in files {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let code = name.split('_').next().unwrap().to_string();
        let out = common::vaisc().current_dir(&dir).arg("check").arg(path.file_name().unwrap()).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(stderr.contains(&format!("[{code}]")), "{name}: expected a {code} diagnostic, got:\n{stderr}");
        if name.contains("warning") {
            assert!(out.status.success(), "{name}: a warning must not fail the check");
        } else {
            assert!(!out.status.success(), "{name}: must be rejected");
        }
        insta::assert_snapshot!(name, stderr);
    }
}
