//! Hints for habits from other languages (issue 16 part 4), reported as `E029` (`mut x :=`
//! keeps its `P001`, with the hint) where the
//! parser sees them, each followed by a recovery that parses on as the Vais form would: `let`,
//! `var` and `const` declarations, `mut x := e`, `fn`/`func`/`def`, `if`, `else`, `while`,
//! `for x in`, `loop`, `match`, `return`, `break`, `continue`, `struct`, `enum`, `impl`,
//! `trait`, `x++`/`x--`, and `Type::name`. A word counts only where Vais cannot mean it as a
//! name: followed, on the same line, by what would start a declaration or a condition.

use super::{PResult, Parser};
use crate::lexer::{Keyword, TokenKind};
use vais_ast::ast::{AssignOp, Expr, ExprKind, Ident, Pattern, PatternKind, StmtKind};
use vais_ast::{Diagnostic, Span};

/// E029: `word` is another language's keyword; `vais` is how Vais writes it.
fn foreign(word: &str, vais: &str, span: Span) -> Diagnostic {
    Diagnostic::error(vais_ast::Code::E029, format!("`{}` is not a Vais keyword", word), span)
        .with_label("a keyword of another language")
        .with_note(format!("help: Vais writes this as {}", vais))
}

/// The Vais keyword for another language's item keyword at the start of an item.
fn item_keyword(word: &str) -> Option<(Keyword, &'static str)> {
    Some(match word {
        "fn" | "func" | "def" | "function" | "fun" => (Keyword::F, "`F name(params) -> T { ... }`"),
        "struct" | "class" => (Keyword::S, "`S Name { field: T, ... }`"),
        "enum" => (Keyword::E, "`E Name { A, B(T) }`"),
        "impl" => (Keyword::X, "`X Name { F method(&self) ... }`"),
        "trait" | "interface" => (Keyword::W, "`W Name { F method(&self) -> T }`"),
        _ => return None,
    })
}

impl Parser<'_> {
    /// Whether the token at offset `n` starts on the same line as the one before it.
    fn same_line(&self, n: usize) -> bool {
        let (a, b) = (self.tok_span(n.saturating_sub(1)).end as usize, self.tok_span(n).start as usize);
        b >= a && !self.src_text()[a..b].contains('\n')
    }

    /// At an item: `fn name`, `struct Name`, ... Reports E029 and turns the word into the
    /// Vais keyword, so the item parses on.
    pub(crate) fn foreign_item(&mut self) {
        if !matches!(self.peek(), TokenKind::Ident) || !matches!(self.peek_at(1), TokenKind::Ident) || !self.same_line(1) {
            return;
        }
        if let Some((k, how)) = item_keyword(self.text_at(0)) {
            let d = foreign(self.text_at(0), how, self.span());
            self.report(d);
            self.set_kind(TokenKind::Kw(k));
        }
    }

    /// At a statement: another language's statement keyword. `None` when there is none here;
    /// otherwise the statement, parsed as its Vais form after reporting E029.
    pub(crate) fn foreign_stmt(&mut self) -> Option<PResult<StmtKind>> {
        let start = self.span();
        // `mut x := e` / `mut x = e`
        if self.at_kw(Keyword::Mut) && matches!(self.peek_at(1), TokenKind::Ident) && matches!(self.peek_at(2), TokenKind::ColonEq | TokenKind::Eq) {
            // Still the parse error (P001) the conformance suite expects, with the hint.
            let d = Diagnostic::error(vais_ast::Code::P001, "expected an expression, found keyword `mut`", start)
                .with_label("`mut` goes after `:=` in Vais")
                .with_note("help: write `x := mut value` (or `x: mut T = value`)");
            self.report(d);
            self.bump();
            return Some(self.let_rest(true));
        }
        // `x++` / `x--`
        if matches!(self.peek_at(1), TokenKind::Plus | TokenKind::Minus)
            && matches!(self.peek(), TokenKind::Ident)
            && matches!((self.peek_at(1), self.peek_at(2)), (TokenKind::Plus, TokenKind::Plus) | (TokenKind::Minus, TokenKind::Minus))
            && self.tok_span(1).end == self.tok_span(2).start
            // `x--y` is `x - (-y)`: only a statement that ends there is the C operator.
            && (matches!(self.peek_at(1), TokenKind::Plus)
                || matches!(self.peek_at(3), TokenKind::Eof | TokenKind::Semi | TokenKind::RBrace)
                || !self.same_line(3))
        {
            let inc = matches!(self.peek_at(1), TokenKind::Plus);
            let name = self.text_at(0).to_string();
            let op_span = self.tok_span(1).to(self.tok_span(2));
            let d = Diagnostic::error(vais_ast::Code::E029, format!("Vais has no `{}` operator", if inc { "++" } else { "--" }), op_span)
                .with_label("an operator of another language")
                .with_note(format!("help: write `{} {}= 1`", name, if inc { "+" } else { "-" }));
            self.report(d);
            self.bump();
            self.bump();
            self.bump();
            let target = Expr { kind: ExprKind::Ident(name), span: start };
            let one = Expr { kind: ExprKind::Int(1), span: op_span };
            let op = if inc { AssignOp::Add } else { AssignOp::Sub };
            let e = Expr { kind: ExprKind::Assign { op, target: Box::new(target), value: Box::new(one) }, span: self.span_from(start) };
            return Some(Ok(StmtKind::Expr(e)));
        }
        if !matches!(self.peek(), TokenKind::Ident) {
            return None;
        }
        // The common case: a name that is no other language's keyword (no allocation).
        let word: &str = self.text_at(0);
        if !matches!(
            word,
            "let" | "var" | "const" | "auto" | "if" | "match" | "switch" | "loop" | "else" | "return" | "break"
                | "continue" | "while" | "for" | "fn" | "func" | "def" | "function" | "fun" | "struct" | "class"
                | "enum" | "impl" | "trait" | "interface"
        ) {
            return None;
        }
        let word = word.to_string();
        let next_same_line = !matches!(self.peek_at(1), TokenKind::Eof | TokenKind::Semi | TokenKind::RBrace) && self.same_line(1);
        // Words a Vais name could be: only when what follows cannot continue an expression
        // that starts with that name.
        let continues = matches!(
            self.peek_at(1),
            TokenKind::ColonEq | TokenKind::Colon | TokenKind::Eq | TokenKind::PlusEq | TokenKind::MinusEq | TokenKind::StarEq
                | TokenKind::SlashEq | TokenKind::LParen | TokenKind::Dot | TokenKind::LBracket | TokenKind::Question
                | TokenKind::Comma | TokenKind::RParen | TokenKind::RBracket | TokenKind::FatArrow
        ) || self.peek_binop_at(1);
        if !next_same_line || continues {
            return None;
        }
        match word.as_str() {
            "let" | "var" | "const" | "auto" if matches!(self.peek_at(1), TokenKind::Ident | TokenKind::Kw(Keyword::Mut)) => {
                let d = foreign(&word, "`x := value` (and `x := mut value` for a variable that changes)", start);
                self.report(d);
                self.bump();
                let mutable = self.eat_kw(Keyword::Mut) || word == "var";
                Some(self.let_rest(mutable))
            }
            "if" | "match" | "switch" | "loop" | "else" | "return" | "break" | "continue" => {
                let (k, how) = match word.as_str() {
                    "if" => (Keyword::I, "`I cond { ... } E { ... }`"),
                    "match" | "switch" => (Keyword::M, "`M value { pattern => result, ... }`"),
                    "loop" => (Keyword::L, "`L { ... }`"),
                    "else" => (Keyword::E, "`E { ... }` (after an `I` block)"),
                    "return" => (Keyword::R, "`R value`"),
                    "break" => (Keyword::B, "`B`"),
                    _ => (Keyword::C, "`C`"),
                };
                let d = foreign(&word, how, start);
                self.report(d);
                if word == "else" {
                    return Some(Err(super::Reported));
                }
                self.set_kind(TokenKind::Kw(k));
                None
            }
            "while" => {
                let d = foreign(&word, "`L _: cond { ... }`", start);
                self.report(d);
                self.bump();
                Some(self.loop_rest(Pattern { kind: PatternKind::Wildcard, span: start }, start))
            }
            "for" if matches!(self.peek_at(1), TokenKind::Ident) && matches!(self.peek_at(2), TokenKind::Ident) && self.text_at(2) == "in" => {
                let d = foreign(&word, "`L x: start..end { ... }`", start);
                self.report(d);
                self.bump();
                let name = self.take_ident();
                let pat_span = self.span_from(start);
                self.bump();
                Some(self.loop_rest(Pattern { kind: PatternKind::Ident(name), span: pat_span }, start))
            }
            _ => {
                if item_keyword(&word).is_some() && matches!(self.peek_at(1), TokenKind::Ident) {
                    self.foreign_item();
                }
                None
            }
        }
    }

    /// After `let`/`mut`: `name [: T] (= | :=) value`.
    fn let_rest(&mut self, mutable: bool) -> PResult<StmtKind> {
        let name = self.expect_name("a variable name")?;
        let ty = if self.eat(&TokenKind::Colon) { Some(Box::new(self.parse_type()?)) } else { None };
        if !self.eat(&TokenKind::Eq) {
            self.expect(&TokenKind::ColonEq)?;
        }
        let mutable = self.eat_kw(Keyword::Mut) || mutable;
        let value = self.parse_expr()?;
        let name = Ident { name: name.name, span: name.span };
        Ok(StmtKind::Let { name, mutable, ty, value })
    }

    /// After `while` / `for x in`: `expr block`, as `L pat: expr block`.
    fn loop_rest(&mut self, pat: Pattern, start: Span) -> PResult<StmtKind> {
        let iter = self.parse_expr()?;
        let body = self.parse_block()?;
        let e = Expr { kind: ExprKind::Loop { header: Some(Box::new((pat, iter))), body }, span: self.span_from(start) };
        Ok(StmtKind::Expr(e))
    }
}
