//! Test helpers shared by the integration tests: a fully parenthesised printer for
//! expressions (to check precedence) and small parse shortcuts.
#![allow(dead_code)]

use vais_ast::ast::*;
use vais_ast::{Diagnostic, FileId};
use vais_parser::{parse_file, parse_repl_input, ReplParse};

pub fn parse_ok(src: &str) -> Module {
    let (m, d) = parse_file(FileId(0), src);
    assert!(d.is_empty(), "unexpected diagnostics for {src:?}: {d:#?}");
    m
}

pub fn diags(src: &str) -> Vec<Diagnostic> {
    parse_file(FileId(0), src).1
}

pub fn codes(src: &str) -> Vec<&'static str> {
    diags(src).iter().map(|d| d.code.as_str()).collect()
}

/// Parses `src` as the body of `F main() { <src> }` and returns the statements.
pub fn stmts(src: &str) -> Vec<Stmt> {
    let m = parse_ok(&format!("F main() {{ {src} }}"));
    match &m.items[0].kind {
        ItemKind::Function(f) => match &f.body {
            Some(Expr {
                kind: ExprKind::Block(b),
                ..
            }) => b.stmts.clone(),
            other => panic!("unexpected body {other:?}"),
        },
        other => panic!("unexpected item {other:?}"),
    }
}

/// The single expression of a REPL input, printed with `show`.
pub fn ex(src: &str) -> String {
    match parse_repl_input(FileId(0), src) {
        ReplParse::Complete(entries, d) => {
            assert!(d.is_empty(), "diagnostics for {src:?}: {d:#?}");
            assert_eq!(entries.len(), 1, "entries for {src:?}: {entries:#?}");
            match &entries[0] {
                ReplEntry::Stmt(s) => show_stmt(s),
                ReplEntry::Item(i) => panic!("item {i:?}"),
            }
        }
        ReplParse::Incomplete => panic!("incomplete: {src:?}"),
    }
}

pub fn show_stmt(s: &Stmt) -> String {
    let body = match &s.kind {
        StmtKind::Let {
            name,
            mutable,
            ty,
            value,
        } => format!(
            "let {}{}{} = {}",
            if *mutable { "mut " } else { "" },
            name.name,
            if ty.is_some() { ": T" } else { "" },
            show(value)
        ),
        StmtKind::Expr(e) => show(e),
        StmtKind::Return(e) => format!("return {}", e.as_ref().map(show).unwrap_or_default())
            .trim_end()
            .to_string(),
        StmtKind::Break(e) => format!("break {}", e.as_ref().map(show).unwrap_or_default())
            .trim_end()
            .to_string(),
        StmtKind::Continue => "continue".to_string(),
    };
    if s.semicolon {
        format!("{body};")
    } else {
        body
    }
}

fn list(es: &[Expr]) -> String {
    es.iter().map(show).collect::<Vec<_>>().join(", ")
}

fn block(b: &Block) -> String {
    format!(
        "{{{}}}",
        b.stmts.iter().map(show_stmt).collect::<Vec<_>>().join(" ")
    )
}

pub fn show_pat(p: &Pattern) -> String {
    match &p.kind {
        PatternKind::Wildcard => "_".into(),
        PatternKind::Ident(n) => n.clone(),
        PatternKind::Variant { name, args } => {
            format!(
                "{}({})",
                name.name,
                args.iter().map(show_pat).collect::<Vec<_>>().join(", ")
            )
        }
        PatternKind::Int(v) => v.to_string(),
        PatternKind::Range { lo, hi, inclusive } => {
            format!("{lo}{}{hi}", if *inclusive { "..=" } else { ".." })
        }
        PatternKind::Bool(b) => b.to_string(),
        PatternKind::Str(s) => format!("{:?}", String::from_utf8_lossy(s)),
        PatternKind::Tuple(ps) => format!(
            "({})",
            ps.iter().map(show_pat).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// Fully parenthesised form of an expression.
pub fn show(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Int(v) => v.to_string(),
        ExprKind::Float(v) => format!("{v:?}"),
        ExprKind::Str(s) => format!("{:?}", String::from_utf8_lossy(s)),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Unit => "()".into(),
        ExprKind::Ident(n) => n.clone(),
        ExprKind::SelfValue => "self".into(),
        ExprKind::At => "@".into(),
        ExprKind::Tuple(es) => format!("tuple({})", list(es)),
        ExprKind::Array(es) => format!("[{}]", list(es)),
        ExprKind::StructLit { name, fields } => format!(
            "{} {{{}}}",
            name.name,
            fields
                .iter()
                .map(|(n, v)| format!("{}: {}", n.name, show(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        ExprKind::Block(b) => block(b),
        ExprKind::If {
            cond,
            then_block,
            else_branch,
        } => match else_branch {
            Some(e) => format!("if {} {} else {}", show(cond), block(then_block), show(e)),
            None => format!("if {} {}", show(cond), block(then_block)),
        },
        ExprKind::Loop { header, body } => match header.as_deref() {
            Some((p, it)) => format!("loop {}: {} {}", show_pat(p), show(it), block(body)),
            None => format!("loop {}", block(body)),
        },
        ExprKind::Match { scrutinee, arms } => format!(
            "match {} {{{}}}",
            show(scrutinee),
            arms.iter()
                .map(|a| format!(
                    "{}{} => {}",
                    a.patterns
                        .iter()
                        .map(show_pat)
                        .collect::<Vec<_>>()
                        .join(" | "),
                    a.guard
                        .as_ref()
                        .map(|g| format!(" if {}", show(g)))
                        .unwrap_or_default(),
                    show(&a.body)
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        ExprKind::Lambda { params, body } => format!(
            "(|{}| {})",
            params
                .iter()
                .map(|p| p.name.name.clone())
                .collect::<Vec<_>>()
                .join(", "),
            show(body)
        ),
        ExprKind::Spawn(e) => format!("spawn({})", show(e)),
        ExprKind::Unary { op, operand } => {
            let o = match op {
                UnaryOp::Neg => "-",
                UnaryOp::Not => "!",
                UnaryOp::BitNot => "~",
                UnaryOp::Ref => "&",
                UnaryOp::Deref => "*",
            };
            format!("({o}{})", show(operand))
        }
        ExprKind::Binary { op, lhs, rhs, .. } => {
            format!("({} {} {})", show(lhs), op.symbol(), show(rhs))
        }
        ExprKind::Range {
            start,
            end,
            inclusive,
        } => format!(
            "({}{}{})",
            start.as_ref().map(|e| show(e)).unwrap_or_default(),
            if *inclusive { "..=" } else { ".." },
            end.as_ref().map(|e| show(e)).unwrap_or_default()
        ),
        ExprKind::Ternary {
            cond,
            then_expr,
            else_expr,
        } => {
            format!(
                "({} ? {} : {})",
                show(cond),
                show(then_expr),
                show(else_expr)
            )
        }
        ExprKind::Assign { op, target, value } => {
            let o = match op {
                AssignOp::Assign => "=",
                AssignOp::Add => "+=",
                AssignOp::Sub => "-=",
                AssignOp::Mul => "*=",
                AssignOp::Div => "/=",
            };
            format!("({} {o} {})", show(target), show(value))
        }
        ExprKind::Call { callee, args } => format!("{}({})", show(callee), list(args)),
        ExprKind::MethodCall {
            receiver,
            method,
            args,
        } => {
            format!("{}.{}({})", show(receiver), method.name, list(args))
        }
        ExprKind::StaticCall {
            type_name,
            method,
            args,
        } => {
            format!("{}::{}({})", type_name.name, method.name, list(args))
        }
        ExprKind::Field { base, field } => format!("{}.{}", show(base), field.name),
        ExprKind::Index { base, index } => format!("{}[{}]", show(base), show(index)),
        ExprKind::Await(e) => format!("{}.await", show(e)),
        ExprKind::Unwrap(e) => format!("{}!", show(e)),
        ExprKind::Cast { expr, ty, .. } => format!("({} as {})", show(expr), show_ty(ty)),
        ExprKind::Error => "<error>".into(),
    }
}

/// A written type, compactly (only the forms the tests cast to).
pub fn show_ty(t: &vais_ast::ast::Type) -> String {
    use vais_ast::ast::TypeKind;
    match &t.kind {
        TypeKind::Prim(p) => p.name().to_string(),
        TypeKind::Pointer(x) => format!("*{}", show_ty(x)),
        TypeKind::Named { name, .. } => name.name.clone(),
        other => format!("{other:?}"),
    }
}
