//! Items (LANGUAGE.md §7, Appendix C): functions (`[P] [A] F`), structs with inline methods,
//! enums, aliases, `U` imports, traits with associated types and default methods, impl blocks,
//! and the project extensions `C NAME: T = e` constants and `X F` extern declarations.

use super::{PResult, Parser};
use crate::lexer::{Keyword, TokenKind};
use vais_ast::ast::{
    Alias, AssocType, Const, Enum, ExternFn, Field, Function, Impl, Item, ItemKind, Param, Struct,
    Trait, Use, Variant, VariantKind,
};

/// Which body a function may have.
#[derive(Clone, Copy, PartialEq, Eq)]
enum BodyRule {
    Required,
    /// Trait methods: the body is optional.
    Optional,
}

impl Parser<'_> {
    /// One item, including its optional `P` marker.
    pub(crate) fn parse_item(&mut self) -> PResult<Item> {
        self.foreign_item();
        let start = self.span();
        let is_pub = self.eat_kw(Keyword::P);
        let kind = match self.peek() {
            TokenKind::Kw(Keyword::F) => {
                ItemKind::Function(self.parse_function(false, BodyRule::Required)?)
            }
            TokenKind::Kw(Keyword::A) => {
                let a = self.bump();
                if !self.at_kw(Keyword::F) {
                    return Err(self.error_expected("`F` after `A`"));
                }
                let mut f = self.parse_function(true, BodyRule::Required)?;
                f.span = a.to(f.span);
                ItemKind::Function(f)
            }
            TokenKind::Kw(Keyword::S) => ItemKind::Struct(self.parse_struct()?),
            TokenKind::Kw(Keyword::E) => ItemKind::Enum(self.parse_enum()?),
            TokenKind::Kw(Keyword::T) => {
                self.bump();
                let name = self.expect_name("an alias name")?;
                let generics = self.parse_generics_opt()?;
                self.expect(&TokenKind::Eq)?;
                let ty = self.parse_type()?;
                ItemKind::Alias(Alias { name, generics, ty })
            }
            TokenKind::Kw(Keyword::U) => {
                self.bump();
                let mut path = vec![self.expect_name("a module name")?];
                while matches!(self.peek(), TokenKind::Slash | TokenKind::ColonColon) {
                    self.bump();
                    path.push(self.expect_name("a module name")?);
                }
                ItemKind::Use(Use { path })
            }
            TokenKind::Kw(Keyword::W) => ItemKind::Trait(self.parse_trait()?),
            TokenKind::Kw(Keyword::X) => {
                if self.kw_at(1, Keyword::F) {
                    ItemKind::Extern(self.parse_extern()?)
                } else {
                    ItemKind::Impl(self.parse_impl()?)
                }
            }
            TokenKind::Kw(Keyword::C) => {
                self.bump();
                let name = self.expect_name("a constant name")?;
                self.expect(&TokenKind::Colon)?;
                let ty = self.parse_type()?;
                self.expect(&TokenKind::Eq)?;
                let value = self.parse_expr()?;
                ItemKind::Const(Const { name, ty, value })
            }
            _ => {
                return Err(
                    self.error_expected("an item (`F`, `S`, `E`, `T`, `U`, `W`, `X` or `C`)")
                )
            }
        };
        Ok(Item {
            kind,
            is_pub,
            span: self.span_from(start),
        })
    }

    /// `F Name [Generics] ( Params ) [-> Type] ( = Expr | Block )`, at the `F`.
    fn parse_function(&mut self, is_async: bool, rule: BodyRule) -> PResult<Function> {
        let start = self.expect_kw(Keyword::F)?;
        let name = self.expect_name("a function name")?;
        let generics = self.parse_generics_opt()?;
        self.expect(&TokenKind::LParen)?;
        let mut params = Vec::new();
        while !self.at(&TokenKind::RParen) {
            params.push(self.parse_param()?);
            if !self.eat(&TokenKind::Comma) {
                break;
            }
        }
        self.expect(&TokenKind::RParen)?;
        let ret = if self.eat(&TokenKind::Arrow) {
            Some(self.parse_type()?)
        } else {
            None
        };
        let body = if self.eat(&TokenKind::Eq) {
            Some(self.parse_expr()?)
        } else if self.at(&TokenKind::LBrace) || rule == BodyRule::Required {
            let b = self.parse_block()?;
            let span = b.span;
            Some(vais_ast::ast::Expr {
                kind: vais_ast::ast::ExprKind::Block(b),
                span,
            })
        } else {
            None
        };
        Ok(Function {
            name,
            generics,
            params,
            ret,
            body,
            is_async,
            span: self.span_from(start),
        })
    }

    /// `Param = [mut] ( & [mut] self | [&] Name : Type )` (a stray `&` before a name is
    /// dropped, §11.2-15).
    fn parse_param(&mut self) -> PResult<Param> {
        let start = self.span();
        let mut mutable = self.eat_kw(Keyword::Mut);
        if self.eat(&TokenKind::Amp) {
            let m = self.eat_kw(Keyword::Mut);
            if self.eat_kw(Keyword::SelfValue) {
                return Ok(Param::SelfRef {
                    mutable: m || mutable,
                    span: self.span_from(start),
                });
            }
            mutable |= m;
        } else if self.at_kw(Keyword::SelfValue) {
            return Err(
                self.error_expected("`&self` or a parameter name (`self` by value is not allowed)")
            );
        }
        let name = self.expect_name("a parameter name")?;
        self.expect(&TokenKind::Colon)?;
        let ty = self.parse_type()?;
        Ok(Param::Named {
            name,
            ty,
            mutable,
            span: self.span_from(start),
        })
    }

    /// `S Name [Generics] { { [P] Field ("," | before "}") | [P] Function } }`
    fn parse_struct(&mut self) -> PResult<Struct> {
        self.expect_kw(Keyword::S)?;
        let name = self.expect_name("a struct name")?;
        let generics = self.parse_generics_opt()?;
        self.expect(&TokenKind::LBrace)?;
        let mut fields = Vec::new();
        let mut methods = Vec::new();
        while !self.at(&TokenKind::RBrace) {
            let before = self.pos;
            let member_start = self.span();
            if self.at_kw(Keyword::P) && !matches!(self.peek_at(1), TokenKind::Colon) {
                self.bump();
            }
            if self.at_kw(Keyword::F) && !matches!(self.peek_at(1), TokenKind::Colon) {
                methods.push(self.parse_function(false, BodyRule::Required)?);
            } else {
                let fname = self.expect_name("a field name, `F` or `}`")?;
                self.expect(&TokenKind::Colon)?;
                let ty = self.parse_type()?;
                fields.push(Field {
                    name: fname,
                    ty,
                    span: self.span_from(member_start),
                });
                if !self.eat(&TokenKind::Comma) && !self.at(&TokenKind::RBrace) {
                    return Err(self.error_expected("`,` or `}`"));
                }
            }
            if self.pos == before {
                break;
            }
        }
        self.expect(&TokenKind::RBrace)?;
        Ok(Struct {
            name,
            generics,
            fields,
            methods,
        })
    }

    /// `E Name [Generics] { [ Variant { , Variant } [,] ] }`
    fn parse_enum(&mut self) -> PResult<Enum> {
        self.expect_kw(Keyword::E)?;
        let name = self.expect_name("an enum name")?;
        let generics = self.parse_generics_opt()?;
        self.expect(&TokenKind::LBrace)?;
        let variants = self.comma_list(&TokenKind::RBrace, |p| {
            let vstart = p.span();
            let vname = p.expect_name("a variant name")?;
            let kind = if p.eat(&TokenKind::LParen) {
                VariantKind::Tuple(p.comma_list(&TokenKind::RParen, Self::parse_type)?)
            } else if p.eat(&TokenKind::LBrace) {
                VariantKind::Struct(p.comma_list(&TokenKind::RBrace, |p| {
                    let fstart = p.span();
                    let fname = p.expect_name("a field name")?;
                    p.expect(&TokenKind::Colon)?;
                    let ty = p.parse_type()?;
                    Ok(Field { name: fname, ty, span: p.span_from(fstart) })
                })?)
            } else {
                VariantKind::Unit
            };
            Ok(Variant { name: vname, kind, span: p.span_from(vstart) })
        })?;
        Ok(Enum {
            name,
            generics,
            variants,
        })
    }

    /// `W Name [Generics] [: Bounds] { { AssocType | [A] F signature [body] } }`
    fn parse_trait(&mut self) -> PResult<Trait> {
        self.expect_kw(Keyword::W)?;
        let name = self.expect_name("a trait name")?;
        let generics = self.parse_generics_opt()?;
        let supertraits = if self.eat(&TokenKind::Colon) {
            self.parse_bounds()?
        } else {
            Vec::new()
        };
        self.expect(&TokenKind::LBrace)?;
        let mut assoc_types = Vec::new();
        let mut methods = Vec::new();
        while !self.at(&TokenKind::RBrace) {
            if self.eat_kw(Keyword::T) {
                let aname = self.expect_name("an associated type name")?;
                let bounds = if self.eat(&TokenKind::Colon) {
                    self.parse_bounds()?
                } else {
                    Vec::new()
                };
                let default = if self.eat(&TokenKind::Eq) {
                    Some(self.parse_type()?)
                } else {
                    None
                };
                assoc_types.push(AssocType {
                    name: aname,
                    bounds,
                    default,
                });
            } else if self.at_kw(Keyword::A) {
                let a = self.bump();
                if !self.at_kw(Keyword::F) {
                    return Err(self.error_expected("`F` after `A`"));
                }
                let mut f = self.parse_function(true, BodyRule::Optional)?;
                f.span = a.to(f.span);
                methods.push(f);
            } else if self.at_kw(Keyword::F) {
                methods.push(self.parse_function(false, BodyRule::Optional)?);
            } else {
                return Err(self.error_expected("`F`, `T` or `}`"));
            }
        }
        self.expect(&TokenKind::RBrace)?;
        Ok(Trait {
            name,
            generics,
            supertraits,
            assoc_types,
            methods,
        })
    }

    /// `X [Generics] Type [: Name] { { F ... } }`
    fn parse_impl(&mut self) -> PResult<Impl> {
        self.expect_kw(Keyword::X)?;
        let generics = self.parse_generics_opt()?;
        let target = self.parse_type()?;
        let trait_name = if self.eat(&TokenKind::Colon) {
            Some(self.expect_name("a trait name")?)
        } else {
            None
        };
        self.expect(&TokenKind::LBrace)?;
        let mut methods = Vec::new();
        while !self.at(&TokenKind::RBrace) {
            self.eat_kw(Keyword::P);
            if !self.at_kw(Keyword::F) {
                return Err(self.error_expected("`F` or `}`"));
            }
            methods.push(self.parse_function(false, BodyRule::Required)?);
        }
        self.expect(&TokenKind::RBrace)?;
        Ok(Impl {
            generics,
            target,
            trait_name,
            methods,
        })
    }

    /// `X F Name ( [ Name : Type { , Name : Type } ] [ , ... ] ) [ -> Type ]`; `...` is
    /// the tokens `..` `.`.
    fn parse_extern(&mut self) -> PResult<ExternFn> {
        self.expect_kw(Keyword::X)?;
        self.expect_kw(Keyword::F)?;
        let name = self.expect_name("a function name")?;
        self.expect(&TokenKind::LParen)?;
        let mut params = Vec::new();
        let mut variadic = false;
        while !self.at(&TokenKind::RParen) {
            if self.at(&TokenKind::DotDot) && matches!(self.peek_at(1), TokenKind::Dot) {
                self.bump();
                self.bump();
                variadic = true;
                break;
            }
            let pname = self.expect_name("a parameter name or `...`")?;
            self.expect(&TokenKind::Colon)?;
            let ty = self.parse_type()?;
            params.push((pname, ty));
            if !self.eat(&TokenKind::Comma) {
                break;
            }
        }
        self.expect(&TokenKind::RParen)?;
        let ret = if self.eat(&TokenKind::Arrow) {
            Some(self.parse_type()?)
        } else {
            None
        };
        Ok(ExternFn {
            name,
            params,
            variadic,
            ret,
        })
    }
}
