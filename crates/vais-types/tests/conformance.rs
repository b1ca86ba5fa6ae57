//! Every A_* conformance program checks cleanly into a valid Program; every type-error B_*
//! program is rejected with the expected code.

mod common;

use std::path::Path;
use vais_ast::SourceMap;

fn dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/conformance")
}

#[test]
fn a_programs_check() {
    let mut failures = vec![];
    let mut n = 0;
    for e in std::fs::read_dir(dir()).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if !name.starts_with("A_") {
            continue;
        }
        let file = if p.is_dir() { p.join("main.vais") } else if name.ends_with(".vais") { p.clone() } else { continue };
        n += 1;
        let mut sm = SourceMap::new();
        let (m, pd) = vais_parser::load_program(&file, &mut sm).unwrap();
        if !pd.is_empty() {
            failures.push(format!("{}: parse errors {:?}", name, pd.iter().map(|d| &d.message).collect::<Vec<_>>()));
            continue;
        }
        let (prog, diags) = vais_types::check_program(&m);
        let errs: Vec<String> = diags
            .iter()
            .filter(|d| d.is_error())
            .map(|d| format!("{} {} at {}", d.code, d.message, sm.location(d.span)))
            .collect();
        if !errs.is_empty() || prog.is_none() {
            failures.push(format!("{}: {:?}", name, errs));
            continue;
        }
        let prog = prog.unwrap();
        assert!(prog.main.is_some(), "{}: no main", name);
        let r = std::panic::catch_unwind(|| common::validate(&prog));
        if r.is_err() {
            failures.push(format!("{}: invalid TIR", name));
        }
    }
    assert!(n >= 60, "found only {} A programs", n);
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
}

#[test]
fn b_programs_rejected() {
    let mut failures = vec![];
    for e in std::fs::read_dir(dir()).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if !(name.starts_with("B_") && name.ends_with(".vais")) {
            continue;
        }
        let expect = std::fs::read_to_string(p.with_extension("expect")).unwrap();
        let mut sm = SourceMap::new();
        let (m, pd) = vais_parser::load_program(&p, &mut sm).unwrap();
        if expect.contains("parse error") {
            assert!(!pd.is_empty(), "{}: expected a parse error", name);
            continue;
        }
        assert!(pd.is_empty(), "{}: unexpected parse errors {:?}", name, pd);
        let code = expect.split_whitespace().map(|w| w.trim_matches(|c: char| !c.is_ascii_alphanumeric())).find(|w| w.starts_with('E') && w.len() == 4).unwrap().to_string();
        let (prog, diags) = vais_types::check_program(&m);
        let first = diags.iter().find(|d| d.is_error());
        match first {
            Some(d) if d.code.as_str() == code && prog.is_none() => {
                eprintln!("{}: {} {} at {}", name, d.code, d.message, sm.location(d.span));
            }
            _ => failures.push(format!(
                "{}: expected {} got {:?}",
                name,
                code,
                diags.iter().map(|d| format!("{} {} at {}", d.code, d.message, sm.location(d.span))).collect::<Vec<_>>()
            )),
        }
    }
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
}

/// Mangled conformance programs (a line dropped, text truncated) never make the checker panic.
#[test]
fn mangled_programs_never_panic() {
    let mut n = 0;
    for e in std::fs::read_dir(dir()).unwrap() {
        let p = e.unwrap().path();
        if p.extension().map(|x| x != "vais").unwrap_or(true) {
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let mut variants = vec![];
        for i in 0..lines.len() {
            let mut l = lines.clone();
            l.remove(i);
            variants.push(l.join("\n"));
        }
        let mut cut = 7;
        while cut < text.len() {
            if text.is_char_boundary(cut) {
                variants.push(text[..cut].to_string());
            }
            cut += 23;
        }
        for v in variants {
            let (m, _) = vais_parser::parse_file(vais_ast::FileId(0), &v);
            let _ = vais_types::check_program(&m);
            n += 1;
        }
    }
    assert!(n > 100);
}
