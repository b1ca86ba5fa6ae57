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
pub mod stdlib;

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

/// Runs `f` on the caller's thread when that thread has a stack as large as the parsing
/// thread's would be (e.g. `vaisc`'s 256 MiB main thread) or `text` cannot nest deeply
/// ([`nesting_cost`]); else on a scoped thread with a large stack (inline if the thread cannot
/// be created).
fn with_big_stack<T: Send>(text: &str, f: impl FnOnce() -> T + Send) -> T {
    if stacker::remaining_stack().is_some_and(|n| n >= PARSE_STACK) || nesting_cost(text) <= INLINE_BUDGET {
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
    parse_pieces(file, text).unwrap_or_else(|| parse_range(file, text, 0, text.len()))
}

/// Parses the items of `text[start..end]` (`start` and `end` on char boundaries; spans are
/// offsets into the whole `text`). Lexical diagnostics come first, then parse diagnostics.
fn parse_range(file: FileId, text: &str, start: usize, end: usize) -> (Module, Vec<Diagnostic>) {
    let lexed = lexer::lex_range(file, &text[..end], start);
    let mut p = parser::Parser::new(file, &text[..end], lexed.tokens, lexed.strings);
    let module = p.parse_module();
    let mut diags = lexed.diags;
    diags.append(&mut p.diags);
    (module, diags)
}

/// Texts at least this long are cut into pieces of at least half of it, parsed in parallel.
const PARALLEL_MIN: usize = 128 * 1024;

/// Cut points for `pieces` pieces: offsets just after a line holding only `}` and followed by a
/// line that starts with `F ` or `S ` (a function or struct item), near the evenly spaced
/// targets. Fewer cuts if no such line is found.
fn cut_points(text: &str, pieces: usize) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut cuts = vec![0];
    for k in 1..pieces {
        let from = (text.len() * k / pieces).max(*cuts.last().unwrap_or(&0));
        let mut at = from;
        let found = loop {
            let Some(i) = text.get(at..).and_then(|rest| rest.find("\n}\n")) else { break None };
            let cut = at + i + 3;
            if matches!(bytes.get(cut), Some(b'F' | b'S')) && bytes.get(cut + 1) == Some(&b' ') {
                break Some(cut);
            }
            at = at + i + 1;
        };
        match found {
            Some(c) if c + PARALLEL_MIN / 4 < text.len() => cuts.push(c),
            _ => break,
        }
    }
    cuts.push(text.len());
    cuts
}

/// A large `text` is cut between top-level items (see [`cut_points`]) and the pieces are lexed
/// and parsed on parallel threads, then their items concatenated. A cut is only trusted when
/// every piece parses without any diagnostic: a piece that ends inside a string, a comment or
/// an unclosed bracket, or any other problem, makes this return `None`, and the caller parses
/// the whole text in one go (so diagnostics are always those of a sequential parse). When all
/// pieces are clean, each piece ends right after a complete item at brace depth 0 and the next
/// begins with an item keyword, so the items are exactly those of a sequential parse.
fn parse_pieces(file: FileId, text: &str) -> Option<(Module, Vec<Diagnostic>)> {
    if text.len() < 2 * PARALLEL_MIN {
        return None;
    }
    let pieces = vais_ast::threads::available().min(text.len() / PARALLEL_MIN);
    if pieces < 2 {
        return None;
    }
    let cuts = cut_points(text, pieces);
    if cuts.len() < 3 {
        return None;
    }
    let results: Option<Vec<(Module, Vec<Diagnostic>)>> = std::thread::scope(|s| {
        let handles: Vec<_> = cuts
            .windows(2)
            .skip(1)
            .map(|w| {
                let (start, end) = (w[0], w[1]);
                std::thread::Builder::new()
                    .stack_size(PARSE_STACK)
                    .spawn_scoped(s, move || parse_range(file, text, start, end))
            })
            .collect();
        let first = parse_range(file, text, 0, cuts[1]);
        let mut out = vec![first];
        let mut ok = true;
        for h in handles {
            match h {
                Ok(h) => match h.join() {
                    Ok(r) => out.push(r),
                    Err(payload) => std::panic::resume_unwind(payload),
                },
                Err(_) => ok = false,
            }
        }
        ok.then_some(out)
    });
    let results = results?;
    if results.iter().any(|(_, d)| !d.is_empty()) {
        return None;
    }
    let mut items = Vec::with_capacity(results.iter().map(|(m, _)| m.items.len()).sum());
    for (m, _) in results {
        items.extend(m.items);
    }
    Some((Module { items }, Vec::new()))
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
    let mut p = parser::Parser::new(file, text, lexed.tokens, lexed.strings);
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

/// Replaces the `U` items among `items` (REPL inputs: resolved relative to `dir`, the current
/// directory) by the items of the files they name, recursively, each file at most once; the
/// files are added to `sources`. Missing modules are E016 diagnostics, as for `load_program`.
/// Standard-library modules in `std_loaded` (a REPL session's, from earlier inputs) are not
/// loaded again, and those this call loads are added to it.
pub fn expand_imports(
    items: Vec<vais_ast::ast::Item>,
    dir: &std::path::Path,
    sources: &mut SourceMap,
    std_loaded: &mut std::collections::HashSet<std::path::PathBuf>,
) -> (Vec<vais_ast::ast::Item>, Vec<Diagnostic>) {
    loader::expand_imports(items, dir, sources, std_loaded)
}

/// [`load_program`] in a REPL session (`:load`): standard-library modules in `std_loaded` are
/// not loaded again, and those this call loads are added to it.
pub fn load_program_in_session(
    path: &std::path::Path,
    sources: &mut SourceMap,
    std_loaded: &mut std::collections::HashSet<std::path::PathBuf>,
) -> std::io::Result<(Module, Vec<Diagnostic>)> {
    loader::load_program_in_session(path, sources, std_loaded)
}

#[cfg(test)]
mod tests {
    use super::{cut_points, nesting_cost, parse_pieces, parse_range, INLINE_BUDGET, PARALLEL_MIN};
    use vais_ast::FileId;

    /// A program of `n` small functions (well over `PARALLEL_MIN` bytes for n = 8000).
    fn big_program(n: usize, middle: &str) -> String {
        let mut s = String::from("S Acc { total: i64 }\n");
        for i in 0..n {
            if i == n / 2 {
                s.push_str(middle);
            }
            s.push_str(&format!("F fun{i}(a: i64) -> i64 {{\n    x := mut a * {i}\n    L k: 0..3 {{ x += k }}\n    M x % 2 {{ 0 => x, _ => x + 1 }}\n}}\n"));
        }
        s
    }

    #[test]
    fn large_texts_are_cut_between_items_and_parse_like_one_piece() {
        let text = big_program(8000, "");
        assert!(text.len() >= 2 * PARALLEL_MIN);
        let cuts = cut_points(&text, 2);
        assert_eq!(cuts.len(), 3, "one cut");
        assert!(text[cuts[1]..].starts_with("F fun"), "cut before an item");
        assert!(text[..cuts[1]].ends_with("}\n"));
        let file = FileId(0);
        let whole = parse_range(file, &text, 0, text.len());
        let pieces = parse_pieces(file, &text).expect("clean pieces");
        assert!(whole.1.is_empty());
        assert_eq!(pieces.0.items.len(), 8001);
        assert_eq!(pieces, whole);
    }

    #[test]
    fn a_cut_inside_a_string_or_an_error_falls_back_to_one_piece() {
        let file = FileId(0);
        // A string literal full of lines that look like item boundaries, around every target.
        let fake = "}\nF g() {\n".repeat(40_000);
        let text = big_program(2000, &format!("F s() -> str {{ \"\n{fake}\" }}\n"));
        let cuts = cut_points(&text, 2);
        assert_eq!(cuts.len(), 3);
        assert!(parse_pieces(file, &text).is_none());
        let (m, d) = super::parse_file(file, &text);
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(m.items.len(), 2002);
        // An error in the second half: the diagnostics are those of a sequential parse.
        let text = big_program(8000, "F bad( {\n}\n");
        assert!(parse_pieces(file, &text).is_none());
        assert_eq!(super::parse_file(file, &text), parse_range(file, &text, 0, text.len()));
    }

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
