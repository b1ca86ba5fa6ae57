//! Every message the checker emits is worded here: error data in, `Diagnostic` out.

use vais_ast::{diag::closest, Diagnostic, Span};

fn hint<'a>(d: Diagnostic, name: &str, cands: impl IntoIterator<Item = &'a str>) -> Diagnostic {
    match closest(name, cands) {
        Some(c) => d.with_note(format!("help: did you mean `{}`?", c)),
        None => d,
    }
}

pub fn mismatch(expected: &str, found: &str, span: Span) -> Diagnostic {
    Diagnostic::error("E001", format!("mismatched types: expected `{}`, found `{}`", expected, found), span)
        .with_label(format!("expected `{}`, found `{}`", expected, found))
}

pub fn mismatch_ctx(expected: &str, found: &str, span: Span, ctx: &str) -> Diagnostic {
    mismatch(expected, found, span).with_note(format!("note: {}", ctx))
}

pub fn bad_operand(op: &str, ty: &str, span: Span) -> Diagnostic {
    let d = Diagnostic::error("E001", format!("cannot apply `{}` to `{}`", op, ty), span)
        .with_label(format!("operand of type `{}`", ty));
    if op == "+" && ty == "str" {
        d.with_note("note: strings cannot be concatenated; build text in malloc'd memory")
    } else {
        d
    }
}

pub fn undefined_var<'a>(name: &str, span: Span, cands: impl IntoIterator<Item = &'a str>) -> Diagnostic {
    hint(
        Diagnostic::error("E002", format!("undefined variable `{}`", name), span).with_label("not found in this scope"),
        name,
        cands,
    )
}

pub fn undefined_type<'a>(name: &str, span: Span, cands: impl IntoIterator<Item = &'a str>) -> Diagnostic {
    hint(Diagnostic::error("E003", format!("undefined type `{}`", name), span).with_label("unknown type"), name, cands)
}

pub fn undefined_fn<'a>(name: &str, span: Span, cands: impl IntoIterator<Item = &'a str>) -> Diagnostic {
    hint(
        Diagnostic::error("E004", format!("undefined function `{}`", name), span).with_label("not found"),
        name,
        cands,
    )
}

pub fn undefined_method<'a>(ty: &str, name: &str, span: Span, cands: impl IntoIterator<Item = &'a str>) -> Diagnostic {
    hint(
        Diagnostic::error("E004", format!("no method `{}` on type `{}`", name, ty), span).with_label("method not found"),
        name,
        cands,
    )
}

pub fn not_callable(ty: &str, span: Span) -> Diagnostic {
    Diagnostic::error("E005", format!("expression of type `{}` is not callable", ty), span).with_label("not a function")
}

pub fn arg_count(name: &str, expected: usize, found: usize, span: Span) -> Diagnostic {
    Diagnostic::error(
        "E006",
        format!(
            "`{}` takes {} argument{} but {} {} supplied",
            name,
            expected,
            if expected == 1 { "" } else { "s" },
            found,
            if found == 1 { "was" } else { "were" }
        ),
        span,
    )
    .with_label(format!("expected {} argument{}", expected, if expected == 1 { "" } else { "s" }))
}

pub fn cannot_infer(what: &str, span: Span) -> Diagnostic {
    Diagnostic::error("E007", format!("cannot infer the type of {}", what), span).with_label("type must be known here")
}

pub fn duplicate(kind: &str, name: &str, span: Span) -> Diagnostic {
    Diagnostic::error("E008", format!("duplicate definition of {} `{}`", kind, name), span).with_label("defined again here")
}

pub fn immutable(name: &str, span: Span, decl: Span) -> Diagnostic {
    Diagnostic::error("E009", format!("cannot assign to immutable variable `{}`", name), span)
        .with_label("cannot assign twice")
        .with_secondary(decl, format!("`{}` declared here", name))
        .with_note(format!("help: declare it mutable: `{} := mut ...`", name))
}

pub fn non_exhaustive(what: &str, span: Span) -> Diagnostic {
    Diagnostic::warning("E010", format!("non-exhaustive match: {} not covered", what), span)
        .with_label("some values are not matched")
}

pub fn bad_target(span: Span) -> Diagnostic {
    Diagnostic::error("E012", "invalid assignment target", span)
        .with_label("expected a variable, field, index or dereference")
}

pub fn outside_loop(what: &str, span: Span) -> Diagnostic {
    Diagnostic::error("E013", format!("`{}` outside of a loop", what), span).with_label("not inside `L`")
}

pub fn unknown_field<'a>(ty: &str, name: &str, span: Span, cands: impl IntoIterator<Item = &'a str>) -> Diagnostic {
    hint(
        Diagnostic::error("E014", format!("no field `{}` on type `{}`", name, ty), span).with_label("unknown field"),
        name,
        cands,
    )
}

pub fn invalid(msg: impl Into<String>, span: Span) -> Diagnostic {
    Diagnostic::error("E015", msg, span)
}

pub fn too_deep(span: Span) -> Diagnostic {
    let limit = vais_ast::stack::max_expr_depth();
    Diagnostic::error("E026", format!("expression too deeply nested or too long (more than {} levels)", limit), span)
        .with_label("this part is not checked")
        .with_note("note: each operator, call, field access, index or `!` in a chain is one level; split the chain with intermediate variables")
}
