//! Blocks and statements (LANGUAGE.md §6): `{ stmt* }`, `R`/`B` with their optional operand
//! (omitted iff the next token is `}` or `;`, or at end of input), `C`, lets (recognised iff a
//! statement starts with an identifier followed by `:=` or `:`), expression statements, and at
//! most one `;` after each statement. Newlines mean nothing.

use super::{PResult, Parser, Reported};
use crate::lexer::{Keyword, TokenKind};
use vais_ast::ast::{Block, Ident, Stmt, StmtKind};

impl Parser<'_> {
    /// `Block = "{" { Stmt } "}"`; statement errors are recovered inside.
    pub(crate) fn parse_block(&mut self) -> PResult<Block> {
        self.nested(|p| {
            let start = p.expect(&TokenKind::LBrace)?;
            let mut stmts = Vec::new();
            loop {
                if p.at(&TokenKind::RBrace) {
                    break;
                }
                if p.at_eof() || p.at_item_only_keyword() {
                    // Missing `}`: report it; the item keyword is left for the item level.
                    return Err(p.error_expected("`}`"));
                }
                let before = p.pos;
                match p.parse_stmt() {
                    Ok(s) => stmts.push(s),
                    Err(Reported) => {
                        p.sync_stmt();
                        if p.pos == before && !p.at(&TokenKind::RBrace) && !p.at_item_only_keyword()
                        {
                            p.bump();
                        }
                    }
                }
            }
            p.expect(&TokenKind::RBrace)?;
            Ok(Block {
                stmts,
                span: p.span_from(start),
            })
        })
    }

    /// One statement with its optional `;`.
    pub(crate) fn parse_stmt(&mut self) -> PResult<Stmt> {
        let start = self.span();
        if let Some(kind) = self.foreign_stmt() {
            let kind = kind?;
            let semicolon = self.eat(&TokenKind::Semi);
            return Ok(Stmt { kind, semicolon, span: self.span_from(start) });
        }
        let kind = match self.peek() {
            TokenKind::Kw(Keyword::R) | TokenKind::Kw(Keyword::B) => {
                let is_return = self.at_kw(Keyword::R);
                self.bump();
                let operand = if matches!(
                    self.peek(),
                    TokenKind::RBrace | TokenKind::Semi | TokenKind::Eof
                ) {
                    None
                } else {
                    Some(self.parse_expr()?)
                };
                if is_return {
                    StmtKind::Return(operand)
                } else {
                    StmtKind::Break(operand)
                }
            }
            TokenKind::Kw(Keyword::C) => {
                self.bump();
                StmtKind::Continue
            }
            TokenKind::Ident
                if matches!(self.peek_at(1), TokenKind::ColonEq | TokenKind::Colon) =>
            {
                let name = Ident {
                    name: self.take_ident(),
                    span: start,
                };
                if self.eat(&TokenKind::ColonEq) {
                    let mutable = self.eat_kw(Keyword::Mut);
                    let value = self.parse_expr()?;
                    StmtKind::Let {
                        name,
                        mutable,
                        ty: None,
                        value,
                    }
                } else {
                    self.expect(&TokenKind::Colon)?;
                    let mutable = self.eat_kw(Keyword::Mut);
                    let ty = self.parse_type()?;
                    self.expect(&TokenKind::Eq)?;
                    let value = self.parse_expr()?;
                    StmtKind::Let {
                        name,
                        mutable,
                        ty: Some(Box::new(ty)),
                        value,
                    }
                }
            }
            _ => StmtKind::Expr(self.parse_expr()?),
        };
        let semicolon = self.eat(&TokenKind::Semi);
        Ok(Stmt {
            kind,
            semicolon,
            span: self.span_from(start),
        })
    }
}
