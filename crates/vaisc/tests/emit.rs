//! `vaisc run --emit tir`: the typed IR printer on a sample that uses every common form
//! (snapshot: review a change by reading it), and on every runnable test program (it prints
//! each function, before and without code generation).

mod common;

#[test]
fn tir_of_the_sample_program() {
    let dir = common::repo_root().join("tests/emit");
    let out = common::vaisc().current_dir(&dir).args(["run", "tir_sample.vais", "--emit", "tir"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    insta::assert_snapshot!("tir_sample", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn tir_of_every_program_names_every_function() {
    for case in common::a_cases() {
        let out = common::vaisc().arg("run").arg(&case.program).args(["--emit", "tir"]).output().unwrap();
        assert!(out.status.success(), "{}: {}", case.name, String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(" main#"), "{}: no main in\n{text}", case.name);
        // One `fn` header per function, and nothing ran: the program's output is absent.
        let headers = text.lines().filter(|l| l.contains("fn ") && l.ends_with('{') && !l.starts_with(' ')).count();
        assert!(headers >= 1, "{}: no function headers", case.name);
        if !case.stdout.is_empty() {
            assert!(!text.starts_with(&*String::from_utf8_lossy(&case.stdout)), "{}: the program ran", case.name);
        }
    }
}
