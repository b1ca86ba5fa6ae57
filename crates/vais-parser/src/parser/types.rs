//! Type syntax (LANGUAGE.md §4.1) and declaration names (§3.2 rule 6): `parse_type`,
//! `expect_name`, generic parameter lists and bound lists.

use super::{PResult, Parser};
use crate::lexer::{Keyword, TokenKind};
use vais_ast::ast::{GenericParam, Ident, Type, TypeKind};

impl Parser<'_> {
    /// A declaration name: an identifier or one of the 13 name letters `F S E I L M A R B C T U P`.
    pub(crate) fn expect_name(&mut self, what: &str) -> PResult<Ident> {
        let span = self.span();
        match self.peek() {
            TokenKind::Ident => Ok(Ident {
                name: self.take_ident(),
                span,
            }),
            &TokenKind::Kw(k) if k.is_name_letter() => {
                self.bump();
                Ok(Ident {
                    name: k.as_str().to_string(),
                    span,
                })
            }
            _ => Err(self.error_expected(what)),
        }
    }

    /// `Type = BaseType [ "?" | "!" ]`
    pub(crate) fn parse_type(&mut self) -> PResult<Type> {
        self.nested(|p| {
            let start = p.span();
            let base = p.parse_base_type()?;
            if p.eat(&TokenKind::Question) {
                return Ok(Type {
                    kind: TypeKind::Optional(Box::new(base)),
                    span: p.span_from(start),
                });
            }
            if p.eat(&TokenKind::Bang) {
                return Ok(Type {
                    kind: TypeKind::Result(Box::new(base)),
                    span: p.span_from(start),
                });
            }
            Ok(base)
        })
    }

    pub(crate) fn parse_base_type(&mut self) -> PResult<Type> {
        self.nested(|p| p.parse_base_type_inner())
    }

    fn parse_base_type_inner(&mut self) -> PResult<Type> {
        let start = self.span();
        let kind = match self.peek() {
            TokenKind::LParen => {
                self.bump();
                if self.eat(&TokenKind::RParen) {
                    TypeKind::Unit
                } else {
                    let mut elems = vec![self.parse_type()?];
                    while self.eat(&TokenKind::Comma) {
                        if self.at(&TokenKind::RParen) {
                            break;
                        }
                        elems.push(self.parse_type()?);
                    }
                    self.expect(&TokenKind::RParen)?;
                    if self.eat(&TokenKind::Arrow) {
                        let ret = self.parse_type()?;
                        TypeKind::Fn {
                            params: elems,
                            ret: Box::new(ret),
                        }
                    } else if elems.len() == 1 {
                        // Parenthesised type: keep the inner type, widen its span.
                        elems.pop().map(|t| t.kind).unwrap_or(TypeKind::Unit)
                    } else {
                        TypeKind::Tuple(elems)
                    }
                }
            }
            TokenKind::LBracket => {
                self.bump();
                let elem = self.parse_type()?;
                if self.eat(&TokenKind::Colon) {
                    let v = self.parse_type()?;
                    self.expect(&TokenKind::RBracket)?;
                    TypeKind::Map(Box::new(elem), Box::new(v))
                } else {
                    self.expect(&TokenKind::RBracket)?;
                    TypeKind::Array(Box::new(elem))
                }
            }
            TokenKind::Star => {
                self.bump();
                TypeKind::Pointer(Box::new(self.parse_base_type()?))
            }
            TokenKind::Amp => {
                self.bump();
                let mutable = self.eat_kw(Keyword::Mut);
                TypeKind::Ref {
                    mutable,
                    inner: Box::new(self.parse_base_type()?),
                }
            }
            &TokenKind::Prim(p) => {
                self.bump();
                TypeKind::Prim(p)
            }
            TokenKind::Kw(Keyword::SelfType) => {
                self.bump();
                TypeKind::SelfType
            }
            _ => {
                let name = self.expect_name("a type")?;
                let mut args = Vec::new();
                if self.eat(&TokenKind::Lt) {
                    while !self.at(&TokenKind::Gt) {
                        args.push(self.parse_type()?);
                        if !self.eat(&TokenKind::Comma) {
                            break;
                        }
                    }
                    self.expect(&TokenKind::Gt)?;
                }
                TypeKind::Named { name, args }
            }
        };
        Ok(Type {
            kind,
            span: self.span_from(start),
        })
    }

    /// `Generics = "<" [ GParam { "," GParam } [","] ] ">"` if the current token is `<`.
    pub(crate) fn parse_generics_opt(&mut self) -> PResult<Vec<GenericParam>> {
        let mut out = Vec::new();
        if !self.eat(&TokenKind::Lt) {
            return Ok(out);
        }
        while !self.at(&TokenKind::Gt) {
            let name = self.expect_name("a generic parameter name")?;
            let bounds = if self.eat(&TokenKind::Colon) {
                self.parse_bounds()?
            } else {
                Vec::new()
            };
            out.push(GenericParam { name, bounds });
            if !self.eat(&TokenKind::Comma) {
                break;
            }
        }
        self.expect(&TokenKind::Gt)?;
        Ok(out)
    }

    /// `Name { "+" Name }`
    pub(crate) fn parse_bounds(&mut self) -> PResult<Vec<Ident>> {
        let mut out = vec![self.expect_name("a trait name")?];
        while self.eat(&TokenKind::Plus) {
            out.push(self.expect_name("a trait name")?);
        }
        Ok(out)
    }
}
