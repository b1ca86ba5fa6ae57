//! Expressions (LANGUAGE.md §5, Appendix C): assignment, ternary, the precedence-climbing
//! binary levels (see the algorithm in `parser.rs`), prefix operators, postfix forms
//! (calls, fields, method/static calls, `.await`, indexing, unwrap `!`) and primaries
//! (literals, names, struct literals, tuples, arrays, blocks, `I`, `L`, `M`, lambdas, `spawn`).

use super::{PResult, Parser, Reported};
use crate::lexer::{Keyword, TokenKind};
use vais_ast::ast::{AssignOp, BinaryOp, Expr, ExprKind, Ident, LambdaParam, MatchArm, UnaryOp};
use vais_ast::Span;

/// Precedence of the range level (§5.1 level 9).
const RANGE_PREC: u8 = 9;
/// Precedence of an atom (no binary operator applied yet).
const ATOM_PREC: u8 = 100;

impl Parser<'_> {
    /// `Expr = Assign`
    pub(crate) fn parse_expr(&mut self) -> PResult<Expr> {
        self.nested(|p| p.parse_assign())
    }

    /// `Assign = Ternary [ op Assign ]` (right-associative).
    fn parse_assign(&mut self) -> PResult<Expr> {
        let target = self.parse_ternary()?;
        let op = match self.peek() {
            TokenKind::Eq => AssignOp::Assign,
            TokenKind::PlusEq => AssignOp::Add,
            TokenKind::MinusEq => AssignOp::Sub,
            TokenKind::StarEq => AssignOp::Mul,
            TokenKind::SlashEq => AssignOp::Div,
            _ => return Ok(target),
        };
        self.bump();
        let value = self.nested(|p| p.parse_assign())?;
        let span = target.span.to(value.span);
        Ok(Expr {
            kind: ExprKind::Assign {
                op,
                target: Box::new(target),
                value: Box::new(value),
            },
            span,
        })
    }

    /// `Ternary = LogOr [ "?" Ternary ":" Ternary ]` (right-associative).
    fn parse_ternary(&mut self) -> PResult<Expr> {
        let cond = self.parse_binary(3)?;
        if !self.eat(&TokenKind::Question) {
            return Ok(cond);
        }
        let then_expr = self.nested(|p| p.parse_ternary())?;
        self.expect(&TokenKind::Colon)?;
        let else_expr = self.nested(|p| p.parse_ternary())?;
        let span = cond.span.to(else_expr.span);
        Ok(Expr {
            kind: ExprKind::Ternary {
                cond: Box::new(cond),
                then_expr: Box::new(then_expr),
                else_expr: Box::new(else_expr),
            },
            span,
        })
    }

    /// Whether the token at offset `n` is a binary or range operator.
    pub(crate) fn peek_binop_at(&self, n: usize) -> bool {
        matches!(
            self.peek_at(n),
            TokenKind::Pipe | TokenKind::Amp | TokenKind::Caret | TokenKind::EqEq | TokenKind::Ne | TokenKind::Lt
                | TokenKind::Le | TokenKind::Gt | TokenKind::Ge | TokenKind::Shl | TokenKind::Shr | TokenKind::Plus
                | TokenKind::Minus | TokenKind::Star | TokenKind::Slash | TokenKind::Percent | TokenKind::DotDot
                | TokenKind::DotDotEq | TokenKind::Kw(Keyword::As)
        )
    }

    /// The binary operator at the cursor: (op, precedence, number of tokens).
    fn peek_binop(&self) -> Option<(BinaryOp, u8, usize)> {
        Some(match self.peek() {
            TokenKind::Pipe if matches!(self.peek_at(1), TokenKind::Pipe) => (BinaryOp::Or, 3, 2),
            TokenKind::Amp if matches!(self.peek_at(1), TokenKind::Amp) => (BinaryOp::And, 4, 2),
            TokenKind::Pipe => (BinaryOp::BitOr, 5, 1),
            TokenKind::Caret => (BinaryOp::BitXor, 6, 1),
            TokenKind::Amp => (BinaryOp::BitAnd, 7, 1),
            TokenKind::EqEq => (BinaryOp::Eq, 8, 1),
            TokenKind::Ne => (BinaryOp::Ne, 8, 1),
            TokenKind::Lt => (BinaryOp::Lt, 10, 1),
            TokenKind::Le => (BinaryOp::Le, 10, 1),
            TokenKind::Gt => (BinaryOp::Gt, 10, 1),
            TokenKind::Ge => (BinaryOp::Ge, 10, 1),
            TokenKind::Shl => (BinaryOp::Shl, 11, 1),
            TokenKind::Shr => (BinaryOp::Shr, 11, 1),
            TokenKind::Plus => (BinaryOp::Add, 12, 1),
            TokenKind::Minus => (BinaryOp::Sub, 12, 1),
            TokenKind::Star => (BinaryOp::Mul, 13, 1),
            TokenKind::Slash => (BinaryOp::Div, 13, 1),
            TokenKind::Percent => (BinaryOp::Rem, 13, 1),
            _ => return None,
        })
    }

    fn at_range_op(&self) -> Option<bool> {
        match self.peek() {
            TokenKind::DotDot => Some(false),
            TokenKind::DotDotEq => Some(true),
            _ => None,
        }
    }

    /// Whether a range that just saw `..` has no end (§3.2 rule 11).
    fn range_end_omitted(&self) -> bool {
        matches!(
            self.peek(),
            TokenKind::RBracket
                | TokenKind::RParen
                | TokenKind::Comma
                | TokenKind::RBrace
                | TokenKind::Eof
        )
    }

    /// Precedence climbing over levels `min..=13` (see `parser.rs`).
    fn parse_binary(&mut self, min: u8) -> PResult<Expr> {
        self.nested(|p| p.parse_binary_inner(min))
    }

    fn parse_binary_inner(&mut self, min: u8) -> PResult<Expr> {
        let (mut lhs, mut lhs_prec) = if min <= RANGE_PREC && self.at_range_op().is_some() {
            // Prefix range `..e` / `..=e`.
            let start = self.span();
            let inclusive = self.at_range_op() == Some(true);
            self.bump();
            let end = self.parse_binary(RANGE_PREC + 1)?;
            let span = start.to(end.span);
            (
                Expr {
                    kind: ExprKind::Range {
                        start: None,
                        end: Some(Box::new(end)),
                        inclusive,
                    },
                    span,
                },
                RANGE_PREC,
            )
        } else {
            (self.parse_cast()?, ATOM_PREC)
        };
        loop {
            if let Some(inclusive) = self.at_range_op() {
                if min > RANGE_PREC || lhs_prec <= RANGE_PREC {
                    break;
                }
                let op_span = self.bump();
                let end = if self.range_end_omitted() {
                    None
                } else {
                    Some(self.parse_binary(RANGE_PREC + 1)?)
                };
                let span = match &end {
                    Some(e) => lhs.span.to(e.span),
                    None => lhs.span.to(op_span),
                };
                lhs = Expr {
                    kind: ExprKind::Range {
                        start: Some(Box::new(lhs)),
                        end: end.map(Box::new),
                        inclusive,
                    },
                    span,
                };
                lhs_prec = RANGE_PREC;
                continue;
            }
            let Some((op, prec, ntoks)) = self.peek_binop() else {
                break;
            };
            if prec < min {
                break;
            }
            let op_start = self.span();
            for _ in 0..ntoks {
                self.bump();
            }
            let op_span = self.span_from(op_start);
            let rhs = self.parse_binary(prec + 1)?;
            let span = lhs.span.to(rhs.span);
            lhs = Expr {
                kind: ExprKind::Binary {
                    op,
                    op_span,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                span,
            };
            lhs_prec = prec;
        }
        Ok(lhs)
    }

    /// `Cast = Unary { "as" Type }` (Extensions decision 12): tighter than every binary
    /// operator, looser than prefix and postfix forms, left-associative. A loop, so a long
    /// chain of casts is flat here. The target is a base type: a `?` after it is the ternary
    /// operator (`x as i64 ? a : b`), since no cast gives an optional.
    fn parse_cast(&mut self) -> PResult<Expr> {
        let mut e = self.parse_unary()?;
        while self.at_kw(Keyword::As) {
            let as_span = self.bump();
            let ty = self.parse_base_type()?;
            let span = e.span.to(ty.span);
            e = Expr {
                kind: ExprKind::Cast { expr: Box::new(e), ty: Box::new(ty), as_span },
                span,
            };
        }
        Ok(e)
    }

    /// `Unary = ( "-" | "!" | "~" | "&" | "*" ) Unary | Postfix`
    fn parse_unary(&mut self) -> PResult<Expr> {
        let op = match self.peek() {
            TokenKind::Minus => UnaryOp::Neg,
            TokenKind::Bang => UnaryOp::Not,
            TokenKind::Tilde => UnaryOp::BitNot,
            TokenKind::Amp => UnaryOp::Ref,
            TokenKind::Star => UnaryOp::Deref,
            _ => return self.parse_postfix(),
        };
        let start = self.bump();
        let operand = self.nested(|p| p.parse_unary())?;
        let span = start.to(operand.span);
        Ok(Expr {
            kind: ExprKind::Unary {
                op,
                operand: Box::new(operand),
            },
            span,
        })
    }

    /// `Postfix = Primary { call | .await | .name [call] | [index] | ! }`
    fn parse_postfix(&mut self) -> PResult<Expr> {
        // `Upper.m(` is a static call, decided by the spelling of the primary token.
        let upper_primary = match self.peek() {
            TokenKind::Ident => is_upper(self.text_at(0)) && !matches!(self.peek_at(1), TokenKind::LBrace),
            _ => false,
        };
        // `Self.m(..)`: a static call on the impl's target (Project decision 7).
        let self_static = matches!(self.peek(), TokenKind::Kw(Keyword::SelfType)) && matches!(self.peek_at(1), TokenKind::Dot);
        let upper_primary = upper_primary || self_static;
        let mut e = if self_static {
            let span = self.bump();
            Expr { kind: ExprKind::Ident("Self".into()), span }
        } else {
            self.parse_primary()?
        };
        let mut first = true;
        loop {
            match self.peek() {
                TokenKind::LParen => {
                    self.bump();
                    let (args, close) = self.parse_args(TokenKind::RParen)?;
                    let span = e.span.to(close);
                    e = Expr {
                        kind: ExprKind::Call {
                            callee: Box::new(e),
                            args,
                        },
                        span,
                    };
                }
                TokenKind::LBracket => {
                    self.bump();
                    let index = self.parse_expr()?;
                    let close = self.expect(&TokenKind::RBracket)?;
                    let span = e.span.to(close);
                    e = Expr {
                        kind: ExprKind::Index {
                            base: Box::new(e),
                            index: Box::new(index),
                        },
                        span,
                    };
                }
                TokenKind::Bang => {
                    let close = self.bump();
                    let span = e.span.to(close);
                    e = Expr {
                        kind: ExprKind::Unwrap(Box::new(e)),
                        span,
                    };
                }
                TokenKind::Dot | TokenKind::ColonColon => {
                    if self.at(&TokenKind::ColonColon) {
                        // A parse error (P001) as before, now with the hint, and parsed on as `.`.
                        let d = vais_ast::Diagnostic::error(vais_ast::Code::P001, "expected an operator or the end of the expression, found `::`", self.span())
                            .with_label("Vais has no `::` path separator")
                            .with_note("help: use `.`: `Type.function(...)` for a static call, `value.method(...)` for a method");
                        self.report(d);
                    }
                    self.bump();
                    if self.at_kw(Keyword::Await) {
                        let close = self.bump();
                        let span = e.span.to(close);
                        e = Expr {
                            kind: ExprKind::Await(Box::new(e)),
                            span,
                        };
                    } else {
                        let name = self.expect_name("a field or method name")?;
                        if self.eat(&TokenKind::LParen) {
                            let (args, close) = self.parse_args(TokenKind::RParen)?;
                            let span = e.span.to(close);
                            let kind = match (&e.kind, first && upper_primary) {
                                (ExprKind::Ident(tn), true) => ExprKind::StaticCall {
                                    type_name: Box::new(Ident {
                                        name: tn.clone(),
                                        span: e.span,
                                    }),
                                    method: name,
                                    args,
                                },
                                _ => ExprKind::MethodCall {
                                    receiver: Box::new(e),
                                    method: name,
                                    args,
                                },
                            };
                            e = Expr { kind, span };
                        } else {
                            let span = e.span.to(name.span);
                            e = Expr {
                                kind: ExprKind::Field {
                                    base: Box::new(e),
                                    field: name,
                                },
                                span,
                            };
                        }
                    }
                }
                _ => break,
            }
            first = false;
        }
        Ok(e)
    }

    /// After the opener: `[ Expr { "," Expr } [","] ] close`. Element errors are recovered by
    /// skipping to the next `,` or the closer. Returns the elements and the closer's span.
    pub(crate) fn parse_args(&mut self, close: TokenKind) -> PResult<(Vec<Expr>, Span)> {
        let mut out = Vec::new();
        loop {
            if self.at(&close) {
                break;
            }
            match self.parse_expr() {
                Ok(e) => out.push(e),
                Err(Reported) => {
                    if self.at_eof() {
                        return Err(Reported);
                    }
                    self.skip_until(&[TokenKind::Comma, close, TokenKind::Semi]);
                    if !self.at(&TokenKind::Comma) && !self.at(&close) {
                        return Err(Reported);
                    }
                }
            }
            if !self.eat(&TokenKind::Comma) {
                break;
            }
        }
        let span = self.expect(&close)?;
        Ok((out, span))
    }

    fn parse_primary(&mut self) -> PResult<Expr> {
        let start = self.span();
        let kind = match self.peek() {
            TokenKind::Int(v) => {
                let v = *v;
                self.bump();
                ExprKind::Int(v)
            }
            TokenKind::Float(v) => {
                let v = *v;
                self.bump();
                ExprKind::Float(v)
            }
            TokenKind::Str(_) => ExprKind::Str(self.take_str()),
            TokenKind::Kw(Keyword::True) => {
                self.bump();
                ExprKind::Bool(true)
            }
            TokenKind::Kw(Keyword::False) => {
                self.bump();
                ExprKind::Bool(false)
            }
            TokenKind::Kw(Keyword::SelfValue) => {
                self.bump();
                ExprKind::SelfValue
            }
            TokenKind::At => {
                self.bump();
                ExprKind::At
            }
            TokenKind::Ident => {
                let name = self.take_ident();
                // In a header, `NAME {` that cannot start a struct literal (`{` then neither
                // `}` nor `field:`) is the trap of a constant before the body: the parse error
                // a struct literal gives there (P001, as the reference grammar has it) with a
                // hint, then the name is read as a value so the body parses (no cascade).
                let lit_shape = || {
                    matches!(self.peek_at(1), TokenKind::RBrace)
                        || (self.is_name_at(1) && matches!(self.peek_at(2), TokenKind::Colon))
                };
                if self.in_header && self.at(&TokenKind::LBrace) && is_upper(&name) && !lit_shape() {
                    let (save_pos, save_prev) = (self.pos, self.prev_end);
                    self.bump();
                    let r = if self.is_name_at(0) {
                        self.bump();
                        let w = TokenKind::Colon.describe();
                        self.error_expected(&w)
                    } else {
                        self.error_expected("a field name")
                    };
                    self.note_last(format!(
                        "help: in an `I`, `L` or `M` header, `{name} {{` starts a struct literal; if `{name}` is a value, put it in parentheses: `({name})`"
                    ));
                    if self.at_eof() {
                        return Err(r);
                    }
                    self.pos = save_pos;
                    self.prev_end = save_prev;
                    ExprKind::Ident(name)
                } else if is_upper(&name) && self.at(&TokenKind::LBrace) {
                    self.bump();
                    let header = self.in_header;
                    let fields = match self.parse_struct_lit_fields() {
                        Ok(f) => f,
                        Err(r) => {
                            if header {
                                self.note_last(format!(
                                    "help: in an `I`, `L` or `M` header, `{name} {{` starts a struct literal; if `{name}` is a value, put it in parentheses: `({name})`"
                                ));
                            }
                            return Err(r);
                        }
                    };
                    ExprKind::StructLit {
                        name: Ident { name, span: start },
                        fields,
                    }
                } else {
                    ExprKind::Ident(name)
                }
            }
            TokenKind::LParen => {
                self.bump();
                let header = std::mem::replace(&mut self.in_header, false);
                let r = self.paren_rest();
                self.in_header = header;
                r?
            }
            TokenKind::LBracket => {
                self.bump();
                let header = std::mem::replace(&mut self.in_header, false);
                let r = self.parse_args(TokenKind::RBracket);
                self.in_header = header;
                ExprKind::Array(r?.0)
            }
            TokenKind::LBrace => {
                let header = std::mem::replace(&mut self.in_header, false);
                let r = self.parse_block();
                self.in_header = header;
                ExprKind::Block(r?)
            }
            TokenKind::Kw(Keyword::I) => return self.parse_if(),
            TokenKind::Kw(Keyword::L) => {
                self.bump();
                if self.at(&TokenKind::LBrace) {
                    let body = self.parse_block()?;
                    ExprKind::Loop { header: None, body }
                } else {
                    let pat = self.parse_pattern()?;
                    self.expect(&TokenKind::Colon)?;
                    let iter = self.header(|p| p.parse_expr())?;
                    let body = self.parse_block()?;
                    ExprKind::Loop {
                        header: Some(Box::new((pat, iter))),
                        body,
                    }
                }
            }
            TokenKind::Kw(Keyword::M) => {
                self.bump();
                let scrutinee = self.header(|p| p.parse_expr())?;
                self.expect(&TokenKind::LBrace)?;
                let arms = self.parse_arms()?;
                ExprKind::Match {
                    scrutinee: Box::new(scrutinee),
                    arms,
                }
            }
            TokenKind::Pipe => {
                self.bump();
                let header = std::mem::replace(&mut self.in_header, false);
                let r = self.lambda_rest();
                self.in_header = header;
                r?
            }
            TokenKind::Kw(Keyword::Spawn) => {
                self.bump();
                if self.eat(&TokenKind::LBrace) {
                    let inner = self.parse_expr()?;
                    self.expect(&TokenKind::RBrace)?;
                    ExprKind::Spawn(Box::new(inner))
                } else {
                    let inner = self.nested(|p| p.parse_unary())?;
                    ExprKind::Spawn(Box::new(inner))
                }
            }
            _ => return Err(self.error_expected("an expression")),
        };
        Ok(Expr {
            kind,
            span: self.span_from(start),
        })
    }

    /// Runs `f` for the header expression of an `I`, `L` or `M` (where `Name {` is a trap).
    fn header<T>(&mut self, f: impl FnOnce(&mut Self) -> PResult<T>) -> PResult<T> {
        let saved = std::mem::replace(&mut self.in_header, true);
        let r = f(self);
        self.in_header = saved;
        r
    }

    /// After `(`: `()`, a tuple or a parenthesised expression.
    fn paren_rest(&mut self) -> PResult<ExprKind> {
        if self.eat(&TokenKind::RParen) {
            return Ok(ExprKind::Unit);
        }
        let first = self.parse_expr()?;
        if self.eat(&TokenKind::Comma) {
            let (mut rest, _) = self.parse_args(TokenKind::RParen)?;
            rest.insert(0, first);
            Ok(ExprKind::Tuple(rest))
        } else {
            self.expect(&TokenKind::RParen)?;
            // Parenthesised expression: keep the inner node, widen its span.
            Ok(first.into_kind())
        }
    }

    /// After `|`: `params | body`.
    fn lambda_rest(&mut self) -> PResult<ExprKind> {
        let mut params = Vec::new();
        while !self.at(&TokenKind::Pipe) {
            let name = self.expect_name("a lambda parameter name")?;
            self.expect(&TokenKind::Colon)?;
            let ty = self.parse_type()?;
            params.push(LambdaParam { name, ty });
            if !self.eat(&TokenKind::Comma) {
                break;
            }
        }
        self.expect(&TokenKind::Pipe)?;
        let body = self.parse_expr()?;
        Ok(ExprKind::Lambda { params, body: Box::new(body) })
    }

    /// After `Name {`: `[ Name ":" Expr { "," Name ":" Expr } [","] ] "}"`.
    fn parse_struct_lit_fields(&mut self) -> PResult<Vec<(Ident, Expr)>> {
        let mut fields = Vec::new();
        while !self.at(&TokenKind::RBrace) {
            let name = self.expect_name("a field name")?;
            self.expect(&TokenKind::Colon)?;
            let value = self.parse_expr()?;
            fields.push((name, value));
            if !self.eat(&TokenKind::Comma) {
                break;
            }
        }
        self.expect(&TokenKind::RBrace)?;
        Ok(fields)
    }

    /// `If = "I" Expr Block [ "E" ( If | Block ) ]`. An `E I` chain is read by a loop (one
    /// nesting level for the whole chain: a long else-if chain is flat code), then built into
    /// nested `If` nodes from the last one outwards.
    fn parse_if(&mut self) -> PResult<Expr> {
        self.nested(|p| {
            let mut links = vec![];
            let else_block = loop {
                let start = p.expect_kw(Keyword::I)?;
                let cond = p.header(|p| p.parse_expr())?;
                let then_block = p.parse_block()?;
                links.push((start, cond, then_block));
                if !p.eat_kw(Keyword::E) {
                    if matches!(p.peek(), TokenKind::Ident) && p.text_at(0) == "else" {
                        let d = vais_ast::Diagnostic::error(vais_ast::Code::E029, "`else` is not a Vais keyword", p.span())
                            .with_label("a keyword of another language")
                            .with_note("help: Vais writes this as `E { ... }` (and `E I cond { ... }` for else-if)");
                        p.report(d);
                        p.bump();
                    } else {
                        break None;
                    }
                }
                if !p.at_kw(Keyword::I) {
                    let b = p.parse_block()?;
                    let span = b.span;
                    break Some(Box::new(Expr {
                        kind: ExprKind::Block(b),
                        span,
                    }));
                }
            };
            let mut else_branch = else_block;
            let mut links = links.into_iter().rev();
            let mut link = links.next();
            loop {
                let Some((start, cond, then_block)) = link else { return Err(Reported) };
                let e = Expr {
                    kind: ExprKind::If {
                        cond: Box::new(cond),
                        then_block,
                        else_branch,
                    },
                    span: p.span_from(start),
                };
                link = links.next();
                if link.is_none() {
                    return Ok(e);
                }
                else_branch = Some(Box::new(e));
            }
        })
    }

    /// After `M scrutinee {`: arms separated by `,` (trailing allowed), then `}`.
    /// An arm that fails is skipped up to the next `,` or `}`.
    fn parse_arms(&mut self) -> PResult<Vec<MatchArm>> {
        let mut arms = Vec::new();
        loop {
            if self.at(&TokenKind::RBrace) {
                break;
            }
            match self.parse_arm() {
                Ok(a) => arms.push(a),
                Err(Reported) => {
                    if self.at_eof() {
                        return Err(Reported);
                    }
                    self.skip_until(&[TokenKind::Comma, TokenKind::RBrace]);
                    if self.at_eof() {
                        return Err(Reported);
                    }
                }
            }
            if !self.eat(&TokenKind::Comma) {
                break;
            }
        }
        self.expect(&TokenKind::RBrace)?;
        Ok(arms)
    }

    /// `Arm = Pattern { "|" Pattern } [ "I" Expr ] "=>" Expr`
    fn parse_arm(&mut self) -> PResult<MatchArm> {
        let start = self.span();
        let mut patterns = vec![self.parse_pattern()?];
        while self.eat(&TokenKind::Pipe) {
            patterns.push(self.parse_pattern()?);
        }
        let guard = if self.eat_kw(Keyword::I) {
            Some(Box::new(self.parse_expr()?))
        } else {
            None
        };
        self.expect(&TokenKind::FatArrow)?;
        let body = self.parse_expr()?;
        Ok(MatchArm {
            patterns,
            guard,
            body,
            span: self.span_from(start),
        })
    }
}

/// Whether a name starts with an uppercase ASCII letter (struct literal / static call rule).
pub(crate) fn is_upper(name: &str) -> bool {
    name.as_bytes()
        .first()
        .is_some_and(|b| b.is_ascii_uppercase())
}
