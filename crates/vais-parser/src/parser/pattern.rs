//! Patterns (LANGUAGE.md §8.1): wildcard, identifier, tuple-variant, integer literal and
//! integer range (both bounds integer literals), booleans, strings and tuples. Or-patterns
//! exist only at match-arm level and are handled by the match parser in `expr`.

use super::{PResult, Parser};
use crate::lexer::{Keyword, TokenKind};
use vais_ast::ast::{Ident, Pattern, PatternKind};

impl Parser<'_> {
    pub(crate) fn parse_pattern(&mut self) -> PResult<Pattern> {
        self.nested(|p| p.parse_pattern_inner())
    }

    fn parse_pattern_inner(&mut self) -> PResult<Pattern> {
        let start = self.span();
        let kind = match self.peek() {
            TokenKind::Ident => {
                let name = self.take_ident();
                if name == "_" {
                    PatternKind::Wildcard
                } else if self.eat(&TokenKind::LParen) {
                    let args = self.parse_pattern_list()?;
                    PatternKind::Variant {
                        name: Ident { name, span: start },
                        args,
                    }
                } else {
                    PatternKind::Ident(name)
                }
            }
            TokenKind::Int(lo) => {
                let lo = *lo;
                self.bump();
                let inclusive = match self.peek() {
                    TokenKind::DotDot => Some(false),
                    TokenKind::DotDotEq => Some(true),
                    _ => None,
                };
                match inclusive {
                    None => PatternKind::Int(lo),
                    Some(inclusive) => {
                        self.bump();
                        match self.peek() {
                            TokenKind::Int(hi) => {
                                let hi = *hi;
                                self.bump();
                                PatternKind::Range { lo, hi, inclusive }
                            }
                            _ => {
                                return Err(
                                    self.error_expected("an integer literal (range pattern bound)")
                                )
                            }
                        }
                    }
                }
            }
            TokenKind::Kw(Keyword::True) => {
                self.bump();
                PatternKind::Bool(true)
            }
            TokenKind::Kw(Keyword::False) => {
                self.bump();
                PatternKind::Bool(false)
            }
            TokenKind::Str(_) => PatternKind::Str(self.take_str()),
            TokenKind::LParen => {
                self.bump();
                PatternKind::Tuple(self.parse_pattern_list()?)
            }
            _ => return Err(self.error_expected("a pattern")),
        };
        Ok(Pattern {
            kind,
            span: self.span_from(start),
        })
    }

    /// After `(`: `[ Pattern { "," Pattern } [","] ] ")"`.
    fn parse_pattern_list(&mut self) -> PResult<Vec<Pattern>> {
        self.comma_list(&TokenKind::RParen, Self::parse_pattern)
    }
}
