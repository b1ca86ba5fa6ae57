//! Tidy checks over the workspace's own sources: every Rust file opens with a `//!` comment
//! saying what it owns, and every `unsafe` block carries a `// SAFETY:` comment nearby.

mod common;

fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "target" && n != "snapshots") {
                rust_files(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn every_file_has_a_module_comment_and_unsafe_has_safety() {
    let mut files = Vec::new();
    rust_files(&common::repo_root().join("crates"), &mut files);
    assert!(files.len() > 10);
    let mut problems = Vec::new();
    for f in files.into_iter().filter(|f| !f.ends_with("tests/tidy.rs")) {
        let text = std::fs::read_to_string(&f).unwrap();
        let is_test_or_build = f.components().any(|c| c.as_os_str() == "tests" || c.as_os_str() == "benches")
            || f.ends_with("build.rs");
        if !text.trim_start().starts_with("//!") && !is_test_or_build {
            problems.push(format!("{}: no leading //! comment", f.display()));
        }
        let lines: Vec<&str> = text.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            let code = l.split("//").next().unwrap_or("");
            if code.contains("unsafe {") || code.trim_end().ends_with("unsafe") {
                let window = &lines[i.saturating_sub(6)..=i];
                if !window.iter().any(|w| w.contains("SAFETY")) {
                    problems.push(format!("{}:{}: unsafe block without a // SAFETY: comment", f.display(), i + 1));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
