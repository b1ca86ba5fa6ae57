//! The standard library as shipped (EXTENSIONS.md decision 18): embedded in the binary,
//! overridden by `VAIS_STD_PATH`, named by `vaisc --version --verbose`; `std/io` reading
//! standard input (the per-module programs are in `tests/programs/std_*`).

mod common;

use common::*;

#[test]
fn version_verbose_names_the_std_location() {
    let out = vaisc().args(["--version", "--verbose"]).env_remove("VAIS_STD_PATH").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(text.starts_with("vaisc "), "{text}");
    assert!(text.contains("std: embedded in vaisc") && text.contains("vec"), "{text}");
    let out = vaisc().args(["--version", "--verbose"]).env("VAIS_STD_PATH", "/some/where/std").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("std: /some/where/std (from VAIS_STD_PATH)"));
    let out = vaisc().arg("--version").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
}

#[test]
fn vais_std_path_overrides_the_embedded_library() {
    let dir = std::env::temp_dir().join(format!("vais_std_path_{}", std::process::id()));
    let std_dir = dir.join("mystd");
    std::fs::create_dir_all(&std_dir).unwrap();
    std::fs::write(std_dir.join("vec.vais"), "F from_my_std() -> i64 = 42\n").unwrap();
    let prog = dir.join("main.vais");
    std::fs::write(&prog, "U std/vec\nF main() -> i64 = from_my_std()\n").unwrap();
    let out = vaisc().arg("run").arg(&prog).env("VAIS_STD_PATH", &std_dir).output().unwrap();
    assert_eq!(out.status.code(), Some(42), "{}", String::from_utf8_lossy(&out.stderr));
    // The embedded copy has no such function.
    let out = vaisc().arg("check").arg(&prog).env_remove("VAIS_STD_PATH").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("from_my_std"));
    // A module missing there is E043, naming the directory; a bad directory is E044.
    std::fs::write(&prog, "U std/string\nF main() -> i64 = 0\n").unwrap();
    let out = vaisc().arg("check").arg(&prog).env("VAIS_STD_PATH", &std_dir).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("error[E043]: no module `std/string`") && err.contains("mystd"), "{err}");
    let out = vaisc().arg("check").arg(&prog).env("VAIS_STD_PATH", dir.join("nope")).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("error[E044]") && err.contains("is not a directory"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn std_works_from_any_directory() {
    // The library is embedded: no std/ folder next to the program or the binary is needed.
    let dir = std::env::temp_dir().join(format!("vais_std_anywhere_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let prog = dir.join("p.vais");
    std::fs::write(&prog, "U std/vec\nU std/string\nF main() -> i64 {\n v := Vec.new()\n v.push(String.from(\"ab\"))\n v.get(0).len()\n}\n").unwrap();
    let out = vaisc().arg("run").arg(&prog).current_dir(&dir).env_remove("VAIS_STD_PATH").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn io_reads_standard_input() {
    let prog = repo_root().join("tests/std/read_input.vais");
    let out = run_with_stdin(&["run", prog.to_str().unwrap()], "1\n2\n 39 \n");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "sum 42\n", "{}", String::from_utf8_lossy(&out.stderr));
    let out = run_with_stdin(&["run", prog.to_str().unwrap()], "");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "sum 0\n");
    let prog = repo_root().join("tests/std/read_mixed.vais");
    let out = run_with_stdin(&["run", prog.to_str().unwrap()], "hello there\r\n2.5\nxy\n");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "line: hello there\nf64: 2.500\nchar: 120\nnot a number\nend: -1 1\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr), "done\n");
}

#[test]
fn programs_without_std_are_unaffected() {
    // Nothing of the library is loaded unless imported: a program may use the names std
    // defines (Vec, String, panic, ...) for its own items.
    let dir = std::env::temp_dir().join(format!("vais_no_std_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let prog = dir.join("p.vais");
    std::fs::write(&prog, "S Vec { n: i64 }\nF panic(x: i64) -> i64 = x\nF main() -> i64 = panic(Vec { n: 7 }.n)\n").unwrap();
    let out = vaisc().arg("run").arg(&prog).output().unwrap();
    assert_eq!(out.status.code(), Some(7), "{}", String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn load_of_a_file_using_std_in_the_repl() {
    let prog = repo_root().join("tests/programs/std_vec.vais");
    let input = format!(":load {}\nU std/vec\nv := Vec.new()\nv.push(4)\nshow(v)\nv\n", prog.display());
    let out = run_with_stdin(&["repl"], &input);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "4 \n=> Vec [4]\n", "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn save_writes_std_imports_not_their_items() {
    let path = std::env::temp_dir().join(format!("vais_save_std_{}.vais", std::process::id()));
    let out = run_with_stdin(&["repl"], &format!("U std/vec\nF f() -> i64 = 7\n:save {}\n", path.display()));
    assert!(out.status.success());
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("U std/vec\n") && text.contains("F f() -> i64 = 7") && !text.contains("S Vec"), "{text}");
    let out = run_with_stdin(&["repl"], &format!(":load {}\nv := Vec.new()\nv.push(f())\nv\n", path.display()));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "=> Vec [7]\n", "{}", String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::remove_file(&path);
}

/// Every complete program (a ```vais block with a `main`) in the user documentation checks.
#[test]
fn documentation_programs_check() {
    let mut failures = Vec::new();
    let mut count = 0;
    for doc in ["docs/guide.md", "docs/std.md"] {
        let text = std::fs::read_to_string(repo_root().join(doc)).unwrap();
        for (i, block) in text.split("```vais\n").skip(1).enumerate() {
            let code = block.split("```").next().unwrap();
            if !code.contains("F main") {
                continue;
            }
            count += 1;
            let path = std::env::temp_dir().join(format!("vais_doc_{}_{}_{i}.vais", std::process::id(), doc.replace('/', "_")));
            std::fs::write(&path, code).unwrap();
            let out = vaisc().arg("check").arg(&path).output().unwrap();
            if !out.status.success() {
                failures.push(format!("{doc} block {i}:\n{code}\n{}", String::from_utf8_lossy(&out.stderr)));
            }
            let _ = std::fs::remove_file(&path);
        }
    }
    assert!(count >= 10, "found {count} programs");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
