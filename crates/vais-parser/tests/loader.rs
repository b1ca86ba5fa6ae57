//! `load_program`: import resolution (`<name>.vais`, then `<name>/mod.vais`), textual merge at
//! the position of `U`, load-once (duplicates and cycles contribute nothing), E016 for missing
//! modules, and only an unreadable root being an `Err`.

use std::path::{Path, PathBuf};
use vais_ast::ast::ItemKind;
use vais_ast::SourceMap;
use vais_parser::load_program;

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vais-parser-loader-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("mkdir");
    d
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(p, text).expect("write");
}

fn fn_names(m: &vais_ast::ast::Module) -> Vec<String> {
    m.items
        .iter()
        .filter_map(|i| match &i.kind {
            ItemKind::Function(f) => Some(f.name.name.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn merges_recursively_once_with_cycles() {
    let d = temp_dir("merge");
    write(
        &d,
        "main.vais",
        "F first() = 0\nU a\nU lib/b\nU a\nF main() -> i64 = 0",
    );
    write(&d, "a.vais", "U main\nU lib/b\nF in_a() = 1");
    write(&d, "lib/b/mod.vais", "U c\nF in_b() = 2");
    write(&d, "lib/b/c.vais", "F in_c() = 3");
    let mut sm = SourceMap::new();
    let (m, diags) = load_program(&d.join("main.vais"), &mut sm).expect("load");
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(fn_names(&m), ["first", "in_c", "in_b", "in_a", "main"]);
    assert!(m.items.iter().all(|i| !matches!(i.kind, ItemKind::Use(_))));
    assert_eq!(sm.files.len(), 4);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn missing_import_is_e016_at_the_use_item() {
    let d = temp_dir("missing");
    let src = "F a() = 0\nU nothere/x\nF main() -> i64 = 0";
    write(&d, "main.vais", src);
    let mut sm = SourceMap::new();
    let (m, diags) = load_program(&d.join("main.vais"), &mut sm).expect("load");
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].code, "E016");
    let s = diags[0].span;
    assert_eq!(&src[s.start as usize..s.end as usize], "U nothere/x");
    assert_eq!(fn_names(&m), ["a", "main"]);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn parse_errors_in_imported_files_point_into_them() {
    let d = temp_dir("errs");
    write(&d, "main.vais", "U bad\nF main() -> i64 = 0");
    write(&d, "bad.vais", "F f() = )");
    let mut sm = SourceMap::new();
    let (_, diags) = load_program(&d.join("main.vais"), &mut sm).expect("load");
    assert_eq!(diags[0].code, "P001");
    assert_eq!(
        sm.get(diags[0].span.file).name,
        d.join("bad.vais").display().to_string()
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn unreadable_root_is_an_error() {
    let mut sm = SourceMap::new();
    assert!(load_program(Path::new("/nonexistent/dir/x.vais"), &mut sm).is_err());
}

#[test]
fn endless_directory_and_binary_inputs_are_errors_not_hangs() {
    let mut sm = SourceMap::new();
    // An endless device stops at the size limit instead of reading until memory runs out.
    let e = load_program(Path::new("/dev/zero"), &mut sm).expect_err("/dev/zero");
    assert!(e.to_string().contains("larger than 64 MiB"), "{e}");
    let e = load_program(Path::new("/tmp"), &mut sm).expect_err("a directory");
    assert!(e.to_string().contains("directory"), "{e}");
    let d = temp_dir("binary");
    std::fs::write(d.join("bin.vais"), [0x46u8, 0x20, 0xff, 0xfe]).unwrap();
    let e = load_program(&d.join("bin.vais"), &mut sm).expect_err("not UTF-8");
    assert!(e.to_string().contains("not UTF-8 text (byte 2)"), "{e}");
    // An import of such a file is a diagnostic at the import (module lookup wants files).
    write(&d, "main.vais", "U zero\nF main() -> i64 = 0");
    std::os::unix::fs::symlink("/dev/zero", d.join("zero.vais")).unwrap();
    let (_, diags) = load_program(&d.join("main.vais"), &mut sm).expect("root loads");
    assert!(diags.iter().any(|x| x.code == "E016" && x.span.start == 0), "{diags:?}");
    let _ = std::fs::remove_dir_all(&d);
}
