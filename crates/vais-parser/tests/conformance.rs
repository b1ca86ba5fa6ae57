//! Every conformance program of the repository: A_* parse cleanly, B_05/B_06 are P001 on the
//! right line, the other B_* parse cleanly (they fail later, in the checker).

use std::path::PathBuf;
use vais_ast::SourceMap;
use vais_parser::{load_program, parse_file};

fn conformance_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/conformance")
}

fn vais_files(prefix: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(conformance_dir())
        .expect("conformance dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x == "vais")
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(prefix))
        })
        .collect();
    out.sort();
    out
}

#[test]
fn all_a_programs_parse_cleanly() {
    let files = vais_files("A_");
    assert!(files.len() >= 60, "found only {} A_ files", files.len());
    let mut failures = Vec::new();
    for f in files {
        let mut sm = SourceMap::new();
        let (m, d) = load_program(&f, &mut sm).expect("read");
        if !d.is_empty() || m.items.is_empty() {
            failures.push(format!("{}: {:?}", f.display(), d));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn a37_two_file_import_merges() {
    let mut sm = SourceMap::new();
    let (m, d) = load_program(&conformance_dir().join("A_37/main.vais"), &mut sm).expect("read");
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(sm.files.len(), 2);
    let names: Vec<String> = m
        .items
        .iter()
        .map(|i| match &i.kind {
            vais_ast::ast::ItemKind::Function(f) => f.name.name.clone(),
            other => panic!("unexpected item {other:?}"),
        })
        .collect();
    // util's items are spliced at the position of `U util`, which is the first item.
    assert_eq!(names, ["add1", "triple", "main"]);
    // Spans of imported items point into the imported file.
    assert_eq!(m.items[0].span.file, vais_ast::FileId(1));
    assert_eq!(m.items[2].span.file, vais_ast::FileId(0));
}

fn expect_p001_on_line(name: &str, line: usize) {
    let path = conformance_dir().join(name);
    let text = std::fs::read_to_string(&path).expect("read");
    let mut sm = SourceMap::new();
    let id = sm.add(name, text.clone());
    let (_, d) = parse_file(id, &text);
    assert!(!d.is_empty(), "{name}: no diagnostics");
    assert_eq!(d[0].code, "P001", "{name}: {d:?}");
    assert_eq!(
        sm.get(id).line_col(d[0].span.start).0,
        line,
        "{name}: {d:?}"
    );
}

#[test]
fn b05_upper_ident_brace_is_struct_literal() {
    expect_p001_on_line("B_05.vais", 3);
}

#[test]
fn b06_mut_before_name_is_rejected() {
    expect_p001_on_line("B_06.vais", 2);
}

#[test]
fn other_b_programs_parse() {
    for f in vais_files("B_") {
        let n = f
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        if n.starts_with("B_05") || n.starts_with("B_06") {
            continue;
        }
        let text = std::fs::read_to_string(&f).expect("read");
        let (_, d) = parse_file(vais_ast::FileId(0), &text);
        assert!(d.is_empty(), "{n}: {d:?}");
    }
}
