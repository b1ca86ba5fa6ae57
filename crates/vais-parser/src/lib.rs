//! `vais-parser`: the lexer and parser of Vais, producing `vais_ast` syntax trees and
//! `L001`/`P001`/`P002`/`P003` diagnostics, plus program loading with `U` import merging.
//!
//! Public API: [`parse_file`] (one file), [`parse_repl_input`] (one REPL input, which may be
//! incomplete), [`load_program`] (a root file with its imports), [`KEYWORDS`], and the
//! [`lexer`] module (tokens with byte spans, e.g. for syntax highlighting).
//! The grammar lives in `parser` and its submodules; import resolution in `loader`.

pub mod lexer;
mod loader;
mod parser;

use vais_ast::ast::{Module, ReplEntry};
use vais_ast::{Diagnostic, FileId, SourceMap};

/// All keyword strings (single letters, word keywords and primitive type names).
pub const KEYWORDS: &[&str] = &[
    "F", "S", "E", "I", "L", "M", "A", "R", "B", "C", "T", "U", "P", "W", "X", "mut", "self",
    "Self", "true", "false", "spawn", "await", "weak", "clone", "i8", "i16", "i32", "i64", "i128",
    "u8", "u16", "u32", "u64", "u128", "f32", "f64", "bool", "str",
];

/// Stack size of the parsing thread: deep (but legal, up to `MAX_DEPTH`) nesting must not
/// overflow the caller's stack, whatever thread it runs on.
const PARSE_STACK: usize = 64 << 20;

/// Inputs whose [`nesting_cost`] is at most this are parsed on the caller's thread (no thread
/// start-up, ~50 µs). One unit is about 4 KiB of parser stack in an unoptimised build at worst,
/// so the budget keeps an inline parse under ~1 MiB even in debug builds on a 2 MiB test
/// thread (optimised builds use several times less).
const INLINE_BUDGET: u32 = 200;

/// An upper bound on the parser stack `text` may need, in units of ~4 KiB (unoptimised build).
/// Every construct that nests must spell out a token for each level: an opening bracket, `|`
/// (lambda), `<` (generic arguments) or `spawn` (~25–36 KiB per level: 10 units), `*` or `&`
/// (pointer types, ~5 KiB: 2 units), or a prefix or right-associative operator (`-` `!` `~` `=`
/// `?` `..`: under 4 KiB per level: 1 unit per punctuation byte). Words and closers cost nothing. The scan stops once past the budget.
fn nesting_cost(text: &str) -> u32 {
    let bytes = text.as_bytes();
    let mut cost = 0u32;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_alphanumeric() || b == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            if &bytes[start..i] == b"spawn" {
                cost += 10;
            }
            continue;
        }
        cost += match b {
            b'(' | b'[' | b'{' | b'|' | b'<' => 10,
            // Pointer and reference types nest at ~5 KiB per level.
            b'*' | b'&' => 2,
            b' ' | b'\t' | b'\n' | b'\r' | b')' | b']' | b'}' | b',' | b';' | b'"' => 0,
            _ => 1,
        };
        if cost > INLINE_BUDGET {
            return cost;
        }
        i += 1;
    }
    cost
}

/// Runs `f` on the caller's thread when `text` cannot nest deeply ([`nesting_cost`]), else on
/// a scoped thread with a large stack (inline if the thread cannot be created).
fn with_big_stack<T: Send>(text: &str, f: impl FnOnce() -> T + Send) -> T {
    if nesting_cost(text) <= INLINE_BUDGET {
        return f();
    }
    let mut f = Some(f);
    let res = std::thread::scope(|s| {
        let handle = std::thread::Builder::new()
            .stack_size(PARSE_STACK)
            .spawn_scoped(s, || f.take().map(|f| f()));
        match handle {
            Ok(h) => match h.join() {
                Ok(v) => v,
                Err(payload) => std::panic::resume_unwind(payload),
            },
            Err(_) => None,
        }
    });
    match (res, f.take()) {
        (Some(v), _) => v,
        (None, Some(f)) => f(),
        (None, None) => unreachable!("the parser thread ran but produced nothing"),
    }
}

/// Parses one source file. Lexical diagnostics come first, then parse diagnostics.
pub fn parse_file(file: FileId, text: &str) -> (Module, Vec<Diagnostic>) {
    with_big_stack(text, || parse_file_here(file, text))
}

fn parse_file_here(file: FileId, text: &str) -> (Module, Vec<Diagnostic>) {
    let lexed = lexer::lex_full(file, text);
    let mut p = parser::Parser::new(file, lexed.tokens);
    let module = p.parse_module();
    let mut diags = lexed.diags;
    diags.append(&mut p.diags);
    (module, diags)
}

/// The result of parsing one REPL input.
#[derive(Clone, Debug, PartialEq)]
pub enum ReplParse {
    Complete(Vec<ReplEntry>, Vec<Diagnostic>),
    /// The text ended while more input could complete it.
    Incomplete,
}

/// One REPL input: items and/or statements/expressions (a statement at top level, e.g. `x := 5`,
/// `x = 6`, `n += 1`, `sq(3) + 1`). Answers `Incomplete` when the text ends while more input could
/// complete it (open brace/paren/bracket, unterminated string, trailing binary operator, `I c {..}`
/// not yet closed, etc.), decided by the real parser hitting end-of-input: the input is
/// incomplete when the lexer's only problem is an unterminated string, or when the first parse
/// error is "unexpected end of input".
pub fn parse_repl_input(file: FileId, text: &str) -> ReplParse {
    with_big_stack(text, || parse_repl_here(file, text))
}

fn parse_repl_here(file: FileId, text: &str) -> ReplParse {
    let lexed = lexer::lex_full(file, text);
    let other_lex_errors = lexed
        .diags
        .iter()
        .any(|d| !d.message.starts_with("unterminated string"));
    if lexed.unterminated_string && !other_lex_errors {
        return ReplParse::Incomplete;
    }
    let mut p = parser::Parser::new(file, lexed.tokens);
    let entries = p.parse_repl();
    if !other_lex_errors && p.first_error_at_eof == Some(true) {
        return ReplParse::Incomplete;
    }
    let mut diags = lexed.diags;
    diags.append(&mut p.diags);
    ReplParse::Complete(entries, diags)
}

/// Reads `path`, parses it, and resolves `U a/b` imports (LANGUAGE.md 7.12): relative to the importing
/// file's directory, `<name>.vais` then `<name>/mod.vais`; textual merge of the imported items at the
/// position of the `U` item (recursively); each file loaded at most once (cycles contribute nothing).
/// The `U` items themselves are dropped from the merged module. Missing imports are an E016 diagnostic
/// at the `U` item's span. Every file read is added to `sources` (so spans point into the right file).
/// Only failure to read the root file is an Err.
pub fn load_program(
    path: &std::path::Path,
    sources: &mut SourceMap,
) -> std::io::Result<(Module, Vec<Diagnostic>)> {
    loader::load_program(path, sources)
}

#[cfg(test)]
mod tests {
    use super::{nesting_cost, INLINE_BUDGET};

    #[test]
    fn small_inputs_parse_inline_and_deep_ones_do_not() {
        for src in ["F f1(x: i64) -> i64 = x + 1", "f1(2) + 1", "v := 3 * 3", "I 3 % 2 == 0 { 3 } E { 0 - 3 }"] {
            assert!(nesting_cost(src) <= INLINE_BUDGET, "{src}");
        }
        for open in ["(", "[", "{", "-", "!", "*", "|x| ", "spawn ", "a = "] {
            assert!(nesting_cost(&open.repeat(256)) > INLINE_BUDGET, "{open}");
        }
    }
}
