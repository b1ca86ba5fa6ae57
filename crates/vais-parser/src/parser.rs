//! The parser core: the token cursor, diagnostics, recursion guard and error recovery, plus the
//! two entry points (`parse_module`, `parse_repl`). The grammar itself lives in the
//! submodules: `items` (items and their parts), `stmt` (blocks and statements), `expr`
//! (expressions), `types` and `pattern`.
//!
//! ## Vocabulary
//! * `parse_x` parses an `x` that starts at the current token. It may fail softly: it returns
//!   `Err(Reported)` after reporting a diagnostic, and the caller recovers (usually by
//!   skipping to a synchronisation token).
//! * `expect_x` must find `x` at the current token: it consumes it, or reports
//!   "expected x, found y" (`P001`, or `P002` at end of input) and returns `Err(Reported)`.
//! * `eat_x` consumes `x` only if it is the current token and tells whether it did.
//! * `at_x` / `peek*` look without consuming.
//!
//! ## Precedence algorithm
//! Expressions (see `expr`) use recursive descent for the two loosest, right-associative
//! levels (assignment: ternary on the left, assignment on the right; ternary: condition at the
//! `||` level, branches at the ternary level), then *precedence climbing* for the binary levels
//! 3..=13 of LANGUAGE.md §5.1: `parse_binary(min)` parses a unary operand and then repeatedly
//! takes an operator of precedence `p >= min`, parsing its right operand with
//! `parse_binary(p + 1)` (all binary levels are left-associative). The range level (9) is
//! non-associative: an infix `..`/`..=` is taken only when the left operand was built at a
//! level tighter than 9, and a prefix `..e` is recognised only when `min <= 9`. `&&` and `||`
//! are two adjacent `&`/`|` tokens. Below the binary levels come prefix operators, postfix
//! forms and primaries.
//!
//! ## Errors and recovery
//! The first error of a statement aborts it; the block skips to the next `;` or `}` at the
//! same nesting depth. Comma-separated lists skip to the next `,` or their closer. At item
//! level the parser skips to the next item keyword at brace depth 0. Two diagnostics with
//! the same span are never both reported. Nesting deeper than `MAX_DEPTH` is a `P003` error.
//! Every loop consumes at least one token per iteration or stops, so parsing terminates.

mod expr;
mod foreign;
mod items;
mod pattern;
mod stmt;
mod types;

use crate::lexer::{Keyword, Token, TokenKind};
use vais_ast::ast::{Module, ReplEntry};
use vais_ast::{Diagnostic, FileId, Span};

/// Maximum nesting of expressions, types, patterns and blocks.
pub(crate) const MAX_DEPTH: u32 = 256;

/// Marker: an error has been reported; the caller must recover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Reported;

pub(crate) type PResult<T> = Result<T, Reported>;

pub(crate) struct Parser<'a> {
    /// The source text the token spans index (identifiers are read from it).
    text: &'a str,
    toks: Vec<Token>,
    /// String literal bytes, indexed by `TokenKind::Str` (taken when consumed).
    strings: Vec<Vec<u8>>,
    pos: usize,
    file: FileId,
    pub(crate) diags: Vec<Diagnostic>,
    depth: u32,
    /// End offset of the last consumed token.
    prev_end: u32,
    /// Whether the first parse error was reported at end of input (REPL: incomplete).
    pub(crate) first_error_at_eof: Option<bool>,
    /// Parsing the header expression of an `I`, `L` or `M` (outside brackets): where an
    /// uppercase name followed by `{` is a hint-worthy trap.
    pub(crate) in_header: bool,
}

impl<'a> Parser<'a> {
    pub(crate) fn new(file: FileId, text: &'a str, toks: Vec<Token>, strings: Vec<Vec<u8>>) -> Parser<'a> {
        let mut toks = toks;
        if !matches!(
            toks.last(),
            Some(Token {
                kind: TokenKind::Eof,
                ..
            })
        ) {
            let end = toks.last().map(|t| t.span.end).unwrap_or(0);
            toks.push(Token {
                kind: TokenKind::Eof,
                span: Span::new(file, end, end),
            });
        }
        Parser {
            text,
            toks,
            strings,
            pos: 0,
            file,
            diags: Vec::new(),
            depth: 0,
            prev_end: 0,
            first_error_at_eof: None,
            in_header: false,
        }
    }

    // ------------------------------------------------------------ cursor

    fn tok(&self, n: usize) -> &Token {
        let i = (self.pos + n).min(self.toks.len() - 1);
        &self.toks[i]
    }

    pub(crate) fn peek(&self) -> &TokenKind {
        &self.tok(0).kind
    }

    pub(crate) fn peek_at(&self, n: usize) -> &TokenKind {
        &self.tok(n).kind
    }

    pub(crate) fn tok_span(&self, n: usize) -> Span {
        self.tok(n).span
    }

    pub(crate) fn src_text(&self) -> &'a str {
        self.text
    }

    /// Re-reads the current token as `k` (recovery after a hint: `if` parsed as `I`).
    pub(crate) fn set_kind(&mut self, k: TokenKind) {
        let i = self.pos.min(self.toks.len() - 1);
        self.toks[i].kind = k;
    }

    pub(crate) fn span(&self) -> Span {
        self.tok(0).span
    }

    /// Span from `start` to the end of the last consumed token.
    pub(crate) fn span_from(&self, start: Span) -> Span {
        Span::new(self.file, start.start, self.prev_end.max(start.start))
    }

    pub(crate) fn at_eof(&self) -> bool {
        matches!(self.peek(), TokenKind::Eof)
    }

    pub(crate) fn at(&self, k: &TokenKind) -> bool {
        self.peek() == k
    }

    pub(crate) fn at_kw(&self, k: Keyword) -> bool {
        matches!(self.peek(), TokenKind::Kw(x) if *x == k)
    }

    pub(crate) fn kw_at(&self, n: usize, k: Keyword) -> bool {
        matches!(self.peek_at(n), TokenKind::Kw(x) if *x == k)
    }

    /// Consumes the current token (never moves past `Eof`) and returns its span.
    #[inline]
    pub(crate) fn bump(&mut self) -> Span {
        let span = self.tok(0).span;
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        self.prev_end = span.end;
        span
    }

    /// The source text of the token at offset `n`.
    pub(crate) fn text_at(&self, n: usize) -> &'a str {
        let sp = self.tok(n).span;
        self.text.get(sp.start as usize..sp.end as usize).unwrap_or("")
    }

    /// Consumes the current token, which must be an identifier, and returns its name.
    pub(crate) fn take_ident(&mut self) -> String {
        let name = self.text_at(0).to_string();
        self.bump();
        name
    }

    /// Consumes the current token, which must be a string literal, and returns its bytes (the
    /// parser never looks back at consumed tokens, so they are moved out of the table).
    pub(crate) fn take_str(&mut self) -> Vec<u8> {
        let bytes = match *self.peek() {
            TokenKind::Str(i) => self.strings.get_mut(i as usize).map(std::mem::take).unwrap_or_default(),
            _ => Vec::new(),
        };
        self.bump();
        bytes
    }

    pub(crate) fn eat(&mut self, k: &TokenKind) -> bool {
        if self.at(k) {
            self.bump();
            true
        } else {
            false
        }
    }

    pub(crate) fn eat_kw(&mut self, k: Keyword) -> bool {
        if self.at_kw(k) {
            self.bump();
            true
        } else {
            false
        }
    }

    /// Consumes the `>` that closes a generic argument list. `>>` and `>=` are single tokens
    /// (LANGUAGE.md: nested generic types are written `Vec<Vec<i64> >`), so there the error
    /// says how to write it.
    pub(crate) fn expect_close_angle(&mut self) -> PResult<Span> {
        let hint = match self.peek() {
            TokenKind::Shr => "`>>` is the shift operator: write nested type arguments with a space, `> >`",
            TokenKind::Ge => "`>=` is one token: put a space between the type's `>` and `=`",
            _ => return self.expect(&TokenKind::Gt),
        };
        let span = self.span();
        let d = Diagnostic::error(vais_ast::Code::P001, format!("expected `>`, found {}", self.peek().describe()), span)
            .with_label("expected `>`")
            .with_note(hint);
        Err(self.report(d))
    }

    /// Consumes `k` or reports "expected `k`, found ...".
    pub(crate) fn expect(&mut self, k: &TokenKind) -> PResult<Span> {
        if self.at(k) {
            Ok(self.bump())
        } else {
            let what = k.describe();
            Err(self.error_expected(&what))
        }
    }

    pub(crate) fn expect_kw(&mut self, k: Keyword) -> PResult<Span> {
        if self.at_kw(k) {
            Ok(self.bump())
        } else {
            Err(self.error_expected(&format!("`{}`", k.as_str())))
        }
    }

    // ------------------------------------------------------------ diagnostics

    /// Reports a diagnostic unless one with the same span was already reported.
    pub(crate) fn report(&mut self, d: Diagnostic) -> Reported {
        if self.diags.iter().any(|e| e.span == d.span) {
            return Reported;
        }
        if self.first_error_at_eof.is_none() {
            self.first_error_at_eof = Some(d.code == vais_ast::Code::P002);
        }
        self.diags.push(d);
        Reported
    }

    /// `item { , item } [,] close`: a comma-separated list (trailing comma allowed) up to and
    /// including the closing token.
    pub(crate) fn comma_list<T>(
        &mut self,
        close: &TokenKind,
        mut item: impl FnMut(&mut Self) -> PResult<T>,
    ) -> PResult<Vec<T>> {
        let mut out = Vec::new();
        while !self.at(close) {
            out.push(item(self)?);
            if !self.eat(&TokenKind::Comma) {
                break;
            }
        }
        self.expect(close)?;
        Ok(out)
    }

    /// Adds a `help:`/`note:` line to the last diagnostic reported.
    pub(crate) fn note_last(&mut self, note: String) {
        if let Some(d) = self.diags.last_mut() {
            d.notes.push(note);
        }
    }

    /// "expected X, found Y" at the current token (P001), or P002 at end of input.
    pub(crate) fn error_expected(&mut self, expected: &str) -> Reported {
        let span = self.span();
        if self.at_eof() {
            let d = Diagnostic::error(vais_ast::Code::P002, "unexpected end of input", span)
                .with_label(format!("expected {expected}"));
            self.report(d)
        } else {
            let found = match self.peek() {
                TokenKind::Ident => format!("identifier `{}`", self.text_at(0)),
                k => k.describe(),
            };
            let d = Diagnostic::error(vais_ast::Code::P001, format!("expected {expected}, found {found}"), span)
                .with_label(format!("expected {expected}"));
            self.report(d)
        }
    }

    pub(crate) fn error_at(
        &mut self,
        code: vais_ast::Code,
        msg: impl Into<String>,
        span: Span,
    ) -> Reported {
        self.report(Diagnostic::error(code, msg, span))
    }

    // ------------------------------------------------------------ recursion guard

    /// Runs `f` one nesting level deeper; reports P003 past `MAX_DEPTH`.
    pub(crate) fn nested<T>(&mut self, f: impl FnOnce(&mut Parser) -> PResult<T>) -> PResult<T> {
        if self.depth >= MAX_DEPTH {
            let span = self.span();
            let r = self.error_at(
                vais_ast::Code::P003,
                format!("nesting too deep (more than {MAX_DEPTH} levels)"),
                span,
            );
            // Skip everything: recovery inside such input is pointless.
            while !self.at_eof() {
                self.bump();
            }
            return Err(r);
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    // ------------------------------------------------------------ recovery

    /// Skips tokens (keeping brackets balanced) until one of `stops` at depth 0, which is not
    /// consumed, or end of input. An unbalanced closer at depth 0 that is not a stop token is
    /// skipped. Returns whether anything was skipped.
    pub(crate) fn skip_until(&mut self, stops: &[TokenKind]) -> bool {
        let start = self.pos;
        let mut depth = 0usize;
        loop {
            let k = self.peek();
            if *k == TokenKind::Eof {
                break;
            }
            if depth == 0 && stops.contains(k) {
                break;
            }
            match k {
                TokenKind::LParen | TokenKind::LBrace | TokenKind::LBracket => depth += 1,
                TokenKind::RParen | TokenKind::RBrace | TokenKind::RBracket => {
                    depth = depth.saturating_sub(1)
                }
                _ => {}
            }
            self.bump();
        }
        self.pos != start
    }

    /// Whether the current token can only start an item (used to stop statement recovery).
    pub(crate) fn at_item_only_keyword(&self) -> bool {
        matches!(
            self.peek(),
            TokenKind::Kw(Keyword::F | Keyword::S | Keyword::W | Keyword::X | Keyword::U)
        )
    }

    // ------------------------------------------------------------ entry points

    pub(crate) fn parse_module(&mut self) -> Module {
        let mut items = Vec::new();
        while !self.at_eof() {
            let start = self.pos;
            match self.parse_item() {
                Ok(item) => items.push(item),
                Err(Reported) => self.sync_item(),
            }
            if self.pos == start && !self.at_eof() {
                self.bump();
            }
        }
        Module { items }
    }

    /// Skips to the next token that can start an item, at brace depth 0.
    pub(crate) fn sync_item(&mut self) {
        let mut depth = 0usize;
        loop {
            match self.peek() {
                TokenKind::Eof => return,
                TokenKind::LBrace | TokenKind::LParen | TokenKind::LBracket => depth += 1,
                TokenKind::RBrace | TokenKind::RParen | TokenKind::RBracket => {
                    depth = depth.saturating_sub(1)
                }
                TokenKind::Kw(k) if depth == 0 && (starts_item(*k) || *k == Keyword::C) => return,
                _ => {}
            }
            self.bump();
        }
    }

    /// Whether the current token starts an item in REPL input (where statements are also
    /// allowed). `C` is a constant only when followed by `Name :`.
    fn at_repl_item_start(&self) -> bool {
        match self.peek() {
            TokenKind::Kw(k) if starts_item(*k) => true,
            TokenKind::Kw(Keyword::C) => {
                self.is_name_at(1) && matches!(self.peek_at(2), TokenKind::Colon)
            }
            _ => false,
        }
    }

    pub(crate) fn parse_repl(&mut self) -> Vec<ReplEntry> {
        let mut entries = Vec::new();
        while !self.at_eof() {
            let start = self.pos;
            if self.at_repl_item_start() {
                match self.parse_item() {
                    Ok(item) => {
                        self.eat(&TokenKind::Semi);
                        entries.push(ReplEntry::Item(item));
                    }
                    Err(Reported) => self.sync_item(),
                }
            } else {
                match self.parse_stmt() {
                    Ok(s) => entries.push(ReplEntry::Stmt(s)),
                    Err(Reported) => {
                        self.sync_stmt();
                        // A stray closer at top level would stop the sync forever: skip it.
                        if matches!(self.peek(), TokenKind::RBrace) {
                            self.bump();
                        }
                    }
                }
            }
            if self.pos == start && !self.at_eof() {
                self.bump();
            }
        }
        entries
    }

    /// Recovery inside a block: skip to just after the next `;`, or to the next `}` (not
    /// consumed) or item-only keyword, at the current depth.
    pub(crate) fn sync_stmt(&mut self) {
        let mut depth = 0usize;
        loop {
            match self.peek() {
                TokenKind::Eof => return,
                TokenKind::Semi if depth == 0 => {
                    self.bump();
                    return;
                }
                TokenKind::RBrace if depth == 0 => return,
                _ if depth == 0 && self.at_item_only_keyword() => return,
                TokenKind::LBrace | TokenKind::LParen | TokenKind::LBracket => depth += 1,
                TokenKind::RBrace | TokenKind::RParen | TokenKind::RBracket => {
                    depth = depth.saturating_sub(1)
                }
                _ => {}
            }
            self.bump();
        }
    }

    /// Whether the token at offset `n` can be a declaration name (ident or name letter).
    pub(crate) fn is_name_at(&self, n: usize) -> bool {
        match self.peek_at(n) {
            TokenKind::Ident => true,
            TokenKind::Kw(k) => k.is_name_letter(),
            _ => false,
        }
    }
}

/// Keywords that always start an item (`C` starts one only as `C Name :`, a constant).
fn starts_item(k: Keyword) -> bool {
    matches!(
        k,
        Keyword::F
            | Keyword::S
            | Keyword::E
            | Keyword::W
            | Keyword::X
            | Keyword::T
            | Keyword::U
            | Keyword::P
            | Keyword::A
    )
}
