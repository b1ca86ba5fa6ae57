//! A readable text form of TIR (`vaisc run --emit tir`, REPL `:tir`): what the checker handed
//! the back end, with every id, type and conversion it made explicit.
//!
//! The form is Vais-like but unambiguous rather than re-parsable: locals are `name%N` (their
//! `LocalId`), session variables `$name`, functions `name#N` (their `FuncId`), integer and float
//! literals carry their type (`3i64`, `1.5f64`), every binary operation is parenthesised, and
//! integer conversions show as `(e as T)`. Output is deterministic: the same program prints the
//! same text. Recursion over expressions grows the stack on demand, so any program that fits in
//! memory prints.

use crate::*;
use std::fmt::Write;

/// The whole program: type definitions, externs, session variables, then every function.
pub fn program(p: &Program) -> String {
    let mut out = String::new();
    for (i, s) in p.structs.iter().enumerate() {
        let fields: Vec<String> = s.fields.iter().map(|f| format!("{}: {}", f.name, p.ty_name(&f.ty))).collect();
        let _ = writeln!(out, "struct #{i} {} {{ {} }}", s.name, fields.join(", "));
    }
    for (i, e) in p.enums.iter().enumerate() {
        let variants: Vec<String> = e.variants.iter().map(|v| variant_decl(p, v)).collect();
        let _ = writeln!(out, "enum #{i} {} {{ {} }}", e.name, variants.join(", "));
    }
    for (i, x) in p.externs.iter().enumerate() {
        let mut params: Vec<String> = x.params.iter().map(|t| p.ty_name(t)).collect();
        if x.variadic {
            params.push("...".into());
        }
        let _ = writeln!(out, "extern #{i} {}({}) -> {}", x.name, params.join(", "), p.ty_name(&x.ret));
    }
    for g in &p.globals {
        let _ = writeln!(out, "global ${}: {}{}", g.name, if g.mutable { "mut " } else { "" }, p.ty_name(&g.ty));
    }
    for i in 0..p.funcs.len() {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&function(p, FuncId(i as u32)));
    }
    out
}

fn variant_decl(p: &Program, v: &VariantDef) -> String {
    if v.fields.is_empty() {
        return v.name.clone();
    }
    if v.field_names.len() == v.fields.len() {
        let fs: Vec<String> =
            v.field_names.iter().zip(&v.fields).map(|(n, t)| format!("{n}: {}", p.ty_name(t))).collect();
        return format!("{} {{ {} }}", v.name, fs.join(", "));
    }
    let fs: Vec<String> = v.fields.iter().map(|t| p.ty_name(t)).collect();
    format!("{}({})", v.name, fs.join(", "))
}

/// One function: its header (kind, parameters, captures, result) and its body.
pub fn function(p: &Program, id: FuncId) -> String {
    let f = p.func(id);
    let mut pr = Printer { p, f, out: String::new() };
    let kind = match f.kind {
        FuncKind::Free => String::new(),
        FuncKind::Method { of, instance } => {
            format!("{} method of {} ", if instance { "instance" } else { "static" }, p.struct_def(of).name)
        }
        FuncKind::Lambda => "lambda ".into(),
        FuncKind::ReplEntry => "repl entry ".into(),
    };
    let params: Vec<String> = f.params.iter().map(|l| pr.local_decl(*l)).collect();
    let _ = write!(
        pr.out,
        "{kind}{}fn {}#{}({}) -> {}",
        if f.is_async { "async " } else { "" },
        f.name,
        id.0,
        params.join(", "),
        p.ty_name(&f.ret)
    );
    if !f.captures.is_empty() {
        let caps: Vec<String> = f.captures.iter().map(|l| pr.local_decl(*l)).collect();
        let _ = write!(pr.out, " captures [{}]", caps.join(", "));
    }
    pr.out.push(' ');
    pr.block_or_expr(&f.body, 0);
    pr.out.push('\n');
    pr.out
}

struct Printer<'a> {
    p: &'a Program,
    f: &'a FuncDef,
    out: String,
}

const INDENT: &str = "    ";

impl Printer<'_> {
    fn local(&self, id: LocalId) -> String {
        match self.f.locals.get(id.index()) {
            Some(l) => format!("{}%{}", l.name, id.0),
            None => format!("<bad local %{}>", id.0),
        }
    }

    fn local_decl(&self, id: LocalId) -> String {
        match self.f.locals.get(id.index()) {
            Some(l) => format!("{}: {}{}", self.local(id), if l.mutable { "mut " } else { "" }, self.ty(&l.ty)),
            None => self.local(id),
        }
    }

    fn ty(&self, t: &Ty) -> String {
        self.p.ty_name(t)
    }

    fn func(&self, id: FuncId) -> String {
        match self.p.funcs.get(id.index()) {
            Some(f) => format!("{}#{}", f.name, id.0),
            None => format!("<bad fn #{}>", id.0),
        }
    }

    fn newline(&mut self, depth: usize) {
        self.out.push('\n');
        for _ in 0..depth {
            self.out.push_str(INDENT);
        }
    }

    /// A body is printed as a block even when it is a single expression.
    fn block_or_expr(&mut self, e: &Expr, depth: usize) {
        match &e.kind {
            ExprKind::Block(b) => self.block(b, depth),
            _ => {
                self.out.push('{');
                self.newline(depth + 1);
                self.expr(e, depth + 1);
                self.newline(depth);
                self.out.push('}');
            }
        }
    }

    fn block(&mut self, b: &Block, depth: usize) {
        if b.stmts.is_empty() && b.value.is_none() {
            self.out.push_str("{}");
            return;
        }
        self.out.push('{');
        for s in &b.stmts {
            self.newline(depth + 1);
            match s {
                Stmt::Let { local, value } => {
                    let _ = write!(self.out, "let {} = ", self.local_decl(*local));
                    self.expr(value, depth + 1);
                }
                Stmt::Expr(e) => self.expr(e, depth + 1),
            }
            self.out.push(';');
        }
        if let Some(v) = &b.value {
            self.newline(depth + 1);
            self.expr(v, depth + 1);
        }
        self.newline(depth);
        self.out.push('}');
    }

    fn list(&mut self, es: &[Expr], depth: usize) {
        for (i, e) in es.iter().enumerate() {
            if i > 0 {
                self.out.push_str(", ");
            }
            self.expr(e, depth);
        }
    }

    fn expr(&mut self, e: &Expr, depth: usize) {
        // Expression trees can be as deep as the input is long (a flat `1+1+...` chain).
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.expr_inner(e, depth))
    }

    fn expr_inner(&mut self, e: &Expr, depth: usize) {
        match &e.kind {
            ExprKind::Int(v) => {
                let _ = write!(self.out, "{v}{}", self.ty(&e.ty));
            }
            ExprKind::Float(v) => {
                let _ = write!(self.out, "{v:?}{}", self.ty(&e.ty));
            }
            ExprKind::Bool(b) => {
                let _ = write!(self.out, "{b}");
            }
            ExprKind::Str(bytes) => self.out.push_str(&quote(bytes)),
            ExprKind::Unit => self.out.push_str("()"),
            ExprKind::Local(l) => self.out.push_str(&self.local(*l)),
            ExprKind::Global(g) => match self.p.globals.get(g.index()) {
                Some(def) => {
                    let _ = write!(self.out, "${}", def.name);
                }
                None => {
                    let _ = write!(self.out, "<bad global ${}>", g.0);
                }
            },
            ExprKind::FuncRef(f) => self.out.push_str(&self.func(*f)),
            ExprKind::Tuple(es) => {
                self.out.push('(');
                self.list(es, depth);
                if es.len() == 1 {
                    self.out.push(',');
                }
                self.out.push(')');
            }
            ExprKind::Array(es) => {
                self.out.push('[');
                self.list(es, depth);
                self.out.push(']');
            }
            ExprKind::StructLit { id, fields } => {
                let def = self.p.structs.get(id.index());
                let _ = write!(self.out, "{} {{ ", def.map_or("<bad struct>", |d| d.name.as_str()));
                for (i, (field, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        self.out.push_str(", ");
                    }
                    let name = def.and_then(|d| d.fields.get(*field as usize)).map_or("?", |f| f.name.as_str());
                    let _ = write!(self.out, "{name}: ");
                    self.expr(value, depth);
                }
                self.out.push_str(" }");
            }
            ExprKind::Variant { enum_id, variant, args } => {
                self.variant_name(*enum_id, *variant);
                if !args.is_empty() {
                    self.out.push('(');
                    self.list(args, depth);
                    self.out.push(')');
                }
            }
            ExprKind::Block(b) => self.block(b, depth),
            ExprKind::If { cond, then_expr, else_expr } => {
                self.out.push_str("if ");
                self.expr(cond, depth);
                self.out.push(' ');
                self.block_or_expr(then_expr, depth);
                if let Some(e) = else_expr {
                    self.out.push_str(" else ");
                    self.block_or_expr(e, depth);
                }
            }
            ExprKind::Loop { kind, body } => {
                match kind {
                    LoopKind::Infinite => self.out.push_str("loop "),
                    LoopKind::While(c) | LoopKind::Recursion(c) => {
                        self.out.push_str(if matches!(kind, LoopKind::While(_)) { "while " } else { "while(recursion) " });
                        self.expr(c, depth);
                        self.out.push(' ');
                    }
                    LoopKind::Range { var, start, end, inclusive } => {
                        let v = var.map_or_else(|| "_".to_string(), |v| self.local_decl(v));
                        let _ = write!(self.out, "for {v} in ");
                        self.expr(start, depth);
                        self.out.push_str(if *inclusive { "..=" } else { ".." });
                        self.expr(end, depth);
                        self.out.push(' ');
                    }
                }
                self.block_or_expr(body, depth);
            }
            ExprKind::Break(v) => self.keyword_operand("break", v.as_deref(), depth),
            ExprKind::Continue => self.out.push_str("continue"),
            ExprKind::Return(v) => self.keyword_operand("return", v.as_deref(), depth),
            ExprKind::Match { scrutinee, arms } => {
                self.out.push_str("match ");
                self.expr(scrutinee, depth);
                self.out.push_str(" {");
                for arm in arms {
                    self.newline(depth + 1);
                    self.pattern(&arm.pattern);
                    if let Some(g) = &arm.guard {
                        self.out.push_str(" if ");
                        self.expr(g, depth + 1);
                    }
                    self.out.push_str(" => ");
                    self.expr(&arm.body, depth + 1);
                    self.out.push(',');
                }
                self.newline(depth);
                self.out.push('}');
            }
            ExprKind::Unary { op, operand } => {
                self.out.push_str(match op {
                    UnaryOp::Neg => "-",
                    UnaryOp::Not => "!",
                    UnaryOp::BitNot => "~",
                });
                self.expr(operand, depth);
            }
            ExprKind::Binary { op, lhs, rhs } => {
                self.out.push('(');
                self.expr(lhs, depth);
                let _ = write!(self.out, " {} ", op.symbol());
                self.expr(rhs, depth);
                self.out.push(')');
            }
            ExprKind::Cast(inner) => {
                self.out.push('(');
                self.expr(inner, depth);
                let _ = write!(self.out, " as {})", self.ty(&e.ty));
            }
            ExprKind::Call { callee, args } => {
                match callee {
                    Callee::Func(f) => self.out.push_str(&self.func(*f)),
                    Callee::Builtin(b) => {
                        let _ = write!(self.out, "builtin {}", b.name());
                    }
                    Callee::Extern(x) => {
                        let name = self.p.externs.get(x.index()).map_or("<bad extern>", |d| d.name.as_str());
                        let _ = write!(self.out, "extern {name}");
                    }
                    Callee::Value(v) => {
                        self.out.push('(');
                        self.expr(v, depth);
                        self.out.push(')');
                    }
                }
                self.out.push('(');
                self.list(args, depth);
                self.out.push(')');
            }
            ExprKind::Field { base, index } => {
                self.expr(base, depth);
                let name = match &base.ty {
                    Ty::Struct(s) => self.p.structs.get(s.index()).and_then(|d| d.fields.get(*index as usize)),
                    _ => None,
                };
                match name {
                    Some(f) => {
                        let _ = write!(self.out, ".{}", f.name);
                    }
                    None => {
                        let _ = write!(self.out, ".{index}");
                    }
                }
            }
            ExprKind::Index { base, index } => {
                self.expr(base, depth);
                self.out.push('[');
                self.expr(index, depth);
                self.out.push(']');
            }
            ExprKind::Slice { base, start, end, inclusive } => {
                self.expr(base, depth);
                self.out.push('[');
                if let Some(s) = start {
                    self.expr(s, depth);
                }
                self.out.push_str(if *inclusive { "..=" } else { ".." });
                self.expr(end, depth);
                self.out.push(']');
            }
            ExprKind::Deref(inner) => {
                self.out.push('*');
                self.expr(inner, depth);
            }
            ExprKind::AddrOf(inner) => {
                self.out.push('&');
                self.expr(inner, depth);
            }
            ExprKind::Assign { target, value } => {
                self.expr(target, depth);
                self.out.push_str(" = ");
                self.expr(value, depth);
            }
            ExprKind::CompoundAssign { op, target, value } => {
                self.expr(target, depth);
                let _ = write!(self.out, " {}= ", op.symbol());
                self.expr(value, depth);
            }
            ExprKind::Closure { func, captures } => {
                let _ = write!(self.out, "closure {} [", self.func(*func));
                self.list(captures, depth);
                self.out.push(']');
            }
            ExprKind::MakeFuture { func, args } => {
                let _ = write!(self.out, "future {}(", self.func(*func));
                self.list(args, depth);
                self.out.push(')');
            }
            ExprKind::Await(inner) => {
                self.expr(inner, depth);
                self.out.push_str(".await");
            }
            ExprKind::Unwrap(inner) => {
                self.expr(inner, depth);
                self.out.push('!');
            }
            ExprKind::Inlined { func, args, body } => {
                let _ = write!(self.out, "inlined {} (", self.func(*func));
                for (i, (l, x)) in args.iter().enumerate() {
                    if i > 0 {
                        self.out.push_str(", ");
                    }
                    let _ = write!(self.out, "_{} = ", l.0);
                    self.expr(x, depth);
                }
                self.out.push_str(") ");
                self.expr(body, depth);
            }
        }
    }

    fn keyword_operand(&mut self, kw: &str, operand: Option<&Expr>, depth: usize) {
        self.out.push_str(kw);
        if let Some(v) = operand {
            self.out.push(' ');
            self.expr(v, depth);
        }
    }

    fn variant_name(&mut self, enum_id: EnumId, variant: u32) {
        match self.p.enums.get(enum_id.index()) {
            Some(def) => {
                let v = def.variants.get(variant as usize).map_or("?", |v| v.name.as_str());
                let _ = write!(self.out, "{}::{v}", def.name);
            }
            None => {
                let _ = write!(self.out, "<bad enum #{}>::{variant}", enum_id.0);
            }
        }
    }

    fn pattern(&mut self, pat: &Pattern) {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.pattern_inner(pat))
    }

    fn pattern_inner(&mut self, pat: &Pattern) {
        match &pat.kind {
            PatternKind::Wildcard => self.out.push('_'),
            PatternKind::Bind(l) => self.out.push_str(&self.local(*l)),
            PatternKind::Int(v) => {
                let _ = write!(self.out, "{v}{}", self.ty(&pat.ty));
            }
            PatternKind::Range { lo, hi, inclusive } => {
                let _ = write!(self.out, "{lo}{}{hi}", if *inclusive { "..=" } else { ".." });
            }
            PatternKind::Bool(b) => {
                let _ = write!(self.out, "{b}");
            }
            PatternKind::Str(bytes) => self.out.push_str(&quote(bytes)),
            PatternKind::Variant { enum_id, variant, args } => {
                self.variant_name(*enum_id, *variant);
                if !args.is_empty() {
                    self.out.push('(');
                    self.patterns(args, ", ");
                    self.out.push(')');
                }
            }
            PatternKind::Tuple(ps) => {
                self.out.push('(');
                self.patterns(ps, ", ");
                self.out.push(')');
            }
            PatternKind::Or(ps) => self.patterns(ps, " | "),
        }
    }

    fn patterns(&mut self, ps: &[Pattern], sep: &str) {
        for (i, q) in ps.iter().enumerate() {
            if i > 0 {
                self.out.push_str(sep);
            }
            self.pattern(q);
        }
    }
}

/// A string literal with C-style escapes for everything outside printable ASCII.
fn quote(bytes: &[u8]) -> String {
    let mut s = String::from("\"");
    for &b in bytes {
        match b {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            b'\r' => s.push_str("\\r"),
            0x20..=0x7e => s.push(b as char),
            _ => {
                let _ = write!(s, "\\x{b:02x}");
            }
        }
    }
    s.push('"');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(kind: ExprKind, ty: Ty) -> Expr {
        Expr::new(kind, ty, Span::default())
    }

    fn sample() -> Program {
        let x = LocalId(0);
        let y = LocalId(1);
        let body = e(
            ExprKind::Block(Block {
                stmts: vec![Stmt::Let {
                    local: y,
                    value: e(
                        ExprKind::Cast(Box::new(e(ExprKind::Local(x), Ty::Int(IntTy::I32)))),
                        Ty::I64,
                    ),
                }],
                value: Some(Box::new(e(
                    ExprKind::Binary {
                        op: BinaryOp::Mul,
                        lhs: Box::new(e(ExprKind::Local(y), Ty::I64)),
                        rhs: Box::new(e(ExprKind::Int(3), Ty::I64)),
                    },
                    Ty::I64,
                ))),
            }),
            Ty::I64,
        );
        let local = |name: &str, ty: Ty, mutable| LocalDef { name: name.into(), ty, mutable, span: Span::default() };
        Program {
            structs: vec![StructDef {
                name: "Point".into(),
                fields: vec![FieldDef { name: "x".into(), ty: Ty::I64 }, FieldDef { name: "y".into(), ty: Ty::F64 }],
            }],
            funcs: vec![FuncDef {
                name: "triple".into(),
                kind: FuncKind::Free,
                is_async: false,
                params: vec![x],
                captures: vec![],
                ret: Ty::I64,
                locals: vec![local("x", Ty::Int(IntTy::I32), false), local("y", Ty::I64, true)],
                body,
                span: Span::default(),
            }],
            ..Program::default()
        }
    }

    #[test]
    fn prints_types_ids_and_casts() {
        let text = program(&sample());
        assert_eq!(
            text,
            "struct #0 Point { x: i64, y: f64 }\n\nfn triple#0(x%0: i32) -> i64 {\n    let y%1: mut i64 = (x%0 as i64);\n    (y%1 * 3i64)\n}\n"
        );
    }

    #[test]
    fn deep_expressions_print_without_overflow() {
        let mut p = sample();
        let mut chain = e(ExprKind::Int(1), Ty::I64);
        for _ in 0..200_000 {
            chain = e(
                ExprKind::Binary { op: BinaryOp::Add, lhs: Box::new(chain), rhs: Box::new(e(ExprKind::Int(1), Ty::I64)) },
                Ty::I64,
            );
        }
        p.funcs[0].body = chain;
        let text = function(&p, FuncId(0));
        assert_eq!(text.matches(" + 1i64)").count(), 200_000);
        // Dropping the chain recursively would overflow the test thread's stack as well.
        std::mem::forget(p);
    }

    #[test]
    fn quotes_escape_non_printable_bytes() {
        assert_eq!(quote(b"a\"b\\\n\x01"), "\"a\\\"b\\\\\\n\\x01\"");
    }
}
