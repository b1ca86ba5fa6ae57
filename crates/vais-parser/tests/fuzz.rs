//! Property tests: the lexer and parser never panic and always terminate, on random bytes
//! and on random sequences of Vais token spellings.

use proptest::prelude::*;
use vais_ast::FileId;
use vais_parser::{lexer::lex, parse_file, parse_repl_input};

const TOKENS: &[&str] = &[
    "F", "S", "E", "I", "L", "M", "A", "R", "B", "C", "T", "U", "P", "W", "X", "mut", "self",
    "Self", "true", "false", "spawn", "await", "i64", "str", "bool", "x", "y", "Foo", "_", "0",
    "42", "1.5", "\"s\"", "\"", "+", "-", "*", "/", "%", "<", ">", "<=", ">=", "==", "!=", "&",
    "|", "^", "~", "!", "<<", ">>", "=", ":=", "+=", "-=", "*=", "/=", "->", "=>", "..", "..=",
    "?", "@", "(", ")", "{", "}", "[", "]", ",", ":", ";", ".", "::", "\n", "#c\n", "...",
];

fn check(src: &str) {
    let _ = lex(FileId(0), src);
    let (_, d) = parse_file(FileId(0), src);
    for diag in &d {
        assert!(diag.span.start <= diag.span.end && diag.span.end as usize <= src.len());
    }
    let _ = parse_repl_input(FileId(0), src);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        check(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn random_token_sequences_never_panic(idx in proptest::collection::vec(0..TOKENS.len(), 0..120)) {
        let src: Vec<&str> = idx.iter().map(|&i| TOKENS[i]).collect();
        check(&src.join(" "));
    }

    #[test]
    fn random_token_sequences_after_a_header_never_panic(idx in proptest::collection::vec(0..TOKENS.len(), 0..120)) {
        let src: Vec<&str> = idx.iter().map(|&i| TOKENS[i]).collect();
        check(&format!("F main() -> i64 {{ {} }}", src.join(" ")));
    }
}

/// Regression inputs (found while developing or by the property tests above).
#[test]
fn regressions() {
    for src in [
        "",
        "}",
        ")",
        "{",
        "F",
        "X F",
        "X F f(..",
        "M x { | }",
        "C",
        "P",
        "A",
        "A F",
        "E I",
        "\"\\",
        "I E }",
        "S S { F F }",
        "L _: x {",
        "W W",
    ] {
        check(src);
    }
}
