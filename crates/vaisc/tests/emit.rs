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

/// `sqrt` and `fabs` declared as C externs compile to Cranelift's instructions; `sqrt` keeps a
/// call to C's only on the cold path of a negative argument (errno), and no interrupt poll
/// follows it (a C call is followed by one).
#[test]
fn libm_sqrt_and_fabs_are_instructions() {
    let prog = common::repo_root().join("tests/programs/libm_inline.vais");
    let out = common::vaisc().arg("run").arg(&prog).args(["--emit", "clif"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    // From the line `; hyp` to the next function's header line.
    let hyp: String = text.lines().skip_while(|l| *l != "; hyp").take_while(|l| *l == "; hyp" || !l.starts_with("; "))
        .map(|l| format!("{l}\n")).collect();
    assert!(hyp.starts_with("; hyp"), "no hyp in\n{text}");
    assert!(hyp.contains(" = sqrt v"), "no sqrt instruction in\n{hyp}");
    assert_eq!(hyp.matches("call fn").count(), 1, "one (cold) call expected in\n{hyp}");
    assert!(hyp.contains("cold:"), "the call is not on a cold block in\n{hyp}");
    assert_eq!(hyp.matches("atomic_load").count(), 1, "only the entry poll expected in\n{hyp}");
}

/// The Cranelift IR of each function of `vaisc run --emit clif` on a program (a path from
/// the repository's root), by name.
fn clif_functions(program: &str) -> std::collections::HashMap<String, String> {
    let prog = common::repo_root().join(program);
    let out = common::vaisc().arg("run").arg(&prog).args(["--emit", "clif"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let mut funcs = std::collections::HashMap::new();
    let mut cur: Option<(String, String)> = None;
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("; ") {
            funcs.extend(cur.take());
            cur = Some((name.to_string(), String::new()));
        } else if let Some((_, body)) = &mut cur {
            body.push_str(line);
            body.push('\n');
        }
    }
    funcs.extend(cur);
    funcs
}

#[test]
fn integer_reductions_over_arrays_run_as_vectors() {
    let f = clif_functions("tests/programs/vector_reductions.vais");
    // Lane-wise bodies: i64x2 loads and vector arithmetic.
    for name in ["sum", "ops", "nest"] {
        let ir = &f[name];
        assert!(ir.contains("load.i64x2"), "{name}: no vector load in\n{ir}");
    }
    assert!(f["ops"].contains("bxor") && f["ops"].contains("bor") && f["ops"].contains("isub"), "{}", f["ops"]);
    // Not lane-wise: a stride of 16, a multiply, the loop variable, a cast.
    for name in ["lookalikes", "unsigned"] {
        assert!(!f[name].contains("i64x2"), "{name} was vectorised:\n{}", f[name]);
    }
}

#[test]
fn division_by_constants_in_loops_multiplies() {
    let f = clif_functions("tests/programs/const_division.vais");
    // i64 `/` and `%` by constants: magic multiplies, no division instruction.
    assert!(f["show"].contains("smulhi") && !f["show"].contains("sdiv") && !f["show"].contains("srem"), "{}", f["show"]);
    // 2^k +- 1 multipliers: shifts.
    assert!(f["muls"].contains(" = ishl") && !f["muls"].contains(" = imul v"), "{}", f["muls"]);
}

/// A match on an enum local copied from an array element (an interpreter's dispatch) reads the
/// element into word variables and switches on them: no copy in a stack slot.
#[test]
fn enum_local_match_stays_in_registers() {
    let f = &clif_functions("tests/programs/match_enum_locals.vais")["run_ops"];
    assert!(f.contains("br_table"), "no switch in\n{f}");
    assert!(!f.contains("explicit_slot") && !f.contains("stack_addr"), "the enum went through memory in\n{f}");
}

/// Calls to C functions that never block (`malloc`, `free`, `memcpy`, `strlen`, `sin`) have no
/// interrupt poll after them; a call that can block (`puts`) keeps one; a function without
/// loops and calls has no entry poll; one with a loop keeps it.
#[test]
fn no_poll_after_non_blocking_c_calls() {
    let funcs = clif_functions("tests/emit/polls.vais");
    let func = |name: &str| -> String { funcs.get(name).unwrap_or_else(|| panic!("no {name} in {:?}", funcs.keys())).clone() };
    let f = func("churn");
    assert_eq!(f.matches("call fn").count(), 8, "eight calls expected in\n{f}");
    assert_eq!(f.matches("atomic_load").count(), 2, "the entry poll and the one after `puts` expected in\n{f}");
    let f = func("leaf");
    assert_eq!(f.matches("atomic_load").count(), 0, "no poll expected in a function without loops and calls\n{f}");
    let f = func("spin");
    assert!(f.matches("atomic_load").count() >= 2, "the entry and back-edge polls expected in\n{f}");
}

#[test]
fn loops_are_rotated() {
    let f = clif_functions("tests/emit/rotated.vais");
    let w = &f["wsum"];
    // `i < n` before the loop and at the back-edge, both branching to the body.
    assert_eq!(w.lines().filter(|l| l.contains("icmp") && l.contains(" slt ")).count(), 2, "{w}");
    let targets: Vec<&str> = w
        .lines()
        .filter_map(|l| l.split("brif ").nth(1))
        .map(|r| r.split(',').nth(1).expect("two targets").trim().split('(').next().unwrap())
        .collect();
    assert_eq!(targets.len(), 2, "{w}");
    assert_eq!(targets[0], targets[1], "{w}");
    // fib's loops (its own and its inlined copies') are while loops `n >= 2`, each tested
    // twice; one real call is left.
    let fib = &f["fib"];
    let tests = fib.lines().filter(|l| l.contains("icmp") && l.contains(" sge ")).count();
    assert!(tests >= 4 && tests % 2 == 0, "{fib}");
    assert_eq!(fib.matches("call fn").count(), 1, "{fib}");
    // Its loops call `fib` in every iteration (`LoopKind::Recursion`): the entry's interrupt
    // poll is the only one, where wsum's loop polls at its back-edge too.
    assert_eq!(fib.matches("atomic_load").count(), 1, "{fib}");
    assert_eq!(w.matches("atomic_load").count(), 2, "{w}");
}

#[test]
fn early_returns_and_lets_become_tail_recursion_loops() {
    // Written with an early `R`, with `let`s, with `M`, or on unsigned integers, fib is looped
    // and self-inlined (one real call left) with one interrupt poll, at its entry.
    let f = clif_functions("tests/programs/tail_shapes.vais");
    for name in ["fib_ret", "fib_lets", "fib_u", "fib_u8", "fib_match", "fib_or", "fib_eq", "w8", "wu"] {
        let body = &f[name];
        assert_eq!(body.matches("call fn").count(), 1, "{name}:\n{body}");
        assert_eq!(body.matches("atomic_load").count(), 1, "{name}:\n{body}");
    }
}
