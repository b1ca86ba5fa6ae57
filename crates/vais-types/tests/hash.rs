//! The stable content hash (`vais_tir::hash`): equal for the same definition in different
//! programs (other ids, other positions), different whenever the compiled code would differ:
//! a callee's signature, a struct's layout, a constant, an operator, a type.

mod common;

use vais_tir::{hash, FuncId, Program};

fn hash_of(src: &str, name: &str) -> hash::ContentHash {
    let p: Program = common::ok(src);
    let id = p.funcs.iter().position(|f| f.name == name).unwrap_or_else(|| panic!("no `{name}`"));
    hash::function(&p, FuncId(id as u32))
}

const BASE: &str = "S Pt { x: i64, y: i64 }
C K: i64 = 7
F sq(x: i64) -> i64 = x * x
F f(p: Pt) -> i64 = sq(p.x) + p.y * K
F main() -> i64 = f(Pt { x: 1, y: 2 })
";

#[test]
fn same_definition_same_hash_whatever_the_ids_and_positions() {
    let moved = format!("F other(a: f64) -> f64 = a\nS Q {{ z: i64 }}\n\n\n{BASE}");
    assert_eq!(hash_of(BASE, "f"), hash_of(&moved, "f"));
    // The callee's body is not part of its callers' code.
    let new_body = BASE.replace("F sq(x: i64) -> i64 = x * x", "F sq(x: i64) -> i64 = x + x");
    assert_eq!(hash_of(BASE, "f"), hash_of(&new_body, "f"));
    assert_ne!(hash_of(BASE, "sq"), hash_of(&new_body, "sq"));
}

#[test]
fn every_change_that_changes_the_code_changes_the_hash() {
    let base = hash_of(BASE, "f");
    let variants = [
        ("callee signature", BASE.replace("F sq(x: i64) -> i64 = x * x", "F sq(x: i32) -> i64 = x * x")),
        ("callee result", BASE.replace("F sq(x: i64) -> i64 = x * x", "F sq(x: i64) -> i32 = 1")),
        ("struct layout", BASE.replace("S Pt { x: i64, y: i64 }", "S Pt { y: i64, x: i64 }")),
        ("field type", BASE.replace("S Pt { x: i64, y: i64 }", "S Pt { x: i64, y: i32 }")),
        ("constant", BASE.replace("C K: i64 = 7", "C K: i64 = 8")),
        ("operator", BASE.replace("p.y * K", "p.y - K")),
        ("callee name", BASE.replace("sq", "sqr")),
    ];
    for (what, src) in variants {
        assert_ne!(base, hash_of(&src, "f"), "{what}: the hash must change");
    }
}

#[test]
fn recursive_types_through_pointers_hash_finitely_and_by_content() {
    let list = "S N { v: i64, next: *N }\nF head(n: N) -> i64 = n.v\nF main() -> i64 = 0\n";
    let a = hash_of(list, "head");
    assert_eq!(a, hash_of(&format!("S Pad {{ a: i64 }}\n{list}"), "head"));
    assert_ne!(a, hash_of(&list.replace("v: i64, next", "v: i32, next"), "head"));
}
