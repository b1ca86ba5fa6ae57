//! Every message the checker emits is worded here: error data in, `Diagnostic` out.

use vais_ast::{diag::closest, Diagnostic, Span};

fn hint<'a>(d: Diagnostic, name: &str, cands: impl IntoIterator<Item = &'a str>) -> Diagnostic {
    match closest(name, cands) {
        Some(c) => d.with_note(format!("help: did you mean `{}`?", c)),
        None => d,
    }
}

pub fn mismatch(expected: &str, found: &str, span: Span) -> Diagnostic {
    Diagnostic::error(vais_ast::Code::E001, format!("mismatched types: expected `{}`, found `{}`", expected, found), span)
        .with_label(format!("expected `{}`, found `{}`", expected, found))
}

pub fn mismatch_ctx(expected: &str, found: &str, span: Span, ctx: &str) -> Diagnostic {
    mismatch(expected, found, span).with_note(format!("note: {}", ctx))
}

pub fn bad_operand(op: &str, ty: &str, span: Span) -> Diagnostic {
    let d = Diagnostic::error(vais_ast::Code::E001, format!("cannot apply `{}` to `{}`", op, ty), span)
        .with_label(format!("operand of type `{}`", ty));
    if op == "+" && ty == "str" {
        d.with_note("note: strings cannot be concatenated; build text in malloc'd memory")
    } else {
        d
    }
}

pub fn undefined_var<'a>(name: &str, span: Span, cands: impl IntoIterator<Item = &'a str>) -> Diagnostic {
    foreign_word(
        hint(
            Diagnostic::error(vais_ast::Code::E002, format!("undefined variable `{}`", name), span).with_label("not found in this scope"),
            name,
            cands,
        ),
        name,
    )
}

/// A `help:` line when an undefined name is another language's keyword (`if (x)`, `print`).
fn foreign_word(d: Diagnostic, name: &str) -> Diagnostic {
    let how = match name {
        "if" => "`I cond { ... } E { ... }`",
        "else" => "`E { ... }`",
        "while" => "`L _: cond { ... }`",
        "for" => "`L x: start..end { ... }`",
        "loop" => "`L { ... }`",
        "match" | "switch" => "`M value { pattern => result, ... }`",
        "return" => "`R value`",
        "break" => "`B`",
        "continue" => "`C`",
        "let" | "var" | "const" => "`x := value` (`x := mut value` for a variable)",
        "fn" | "func" | "def" | "function" => "`F name(params) -> T { ... }`",
        "print" | "println" | "console" | "echo" => {
            return d.with_note("help: Vais prints with `puts(s)` (adds a newline) or `printf(fmt, ...)`")
        }
        "null" | "nil" | "NULL" => return d.with_note("help: Vais has no null value; `0` is the null address"),
        _ => return d,
    };
    d.with_note(format!("help: `{}` is not a Vais keyword; Vais writes this as {}", name, how))
}

pub fn undefined_type<'a>(name: &str, span: Span, cands: impl IntoIterator<Item = &'a str>) -> Diagnostic {
    hint(Diagnostic::error(vais_ast::Code::E003, format!("undefined type `{}`", name), span).with_label("unknown type"), name, cands)
}

pub fn undefined_fn<'a>(name: &str, span: Span, cands: impl IntoIterator<Item = &'a str>) -> Diagnostic {
    foreign_word(
        hint(
            Diagnostic::error(vais_ast::Code::E004, format!("undefined function `{}`", name), span).with_label("not found"),
            name,
            cands,
        ),
        name,
    )
}

pub fn undefined_method<'a>(ty: &str, name: &str, span: Span, cands: impl IntoIterator<Item = &'a str>) -> Diagnostic {
    hint(
        Diagnostic::error(vais_ast::Code::E004, format!("no method `{}` on type `{}`", name, ty), span).with_label("method not found"),
        name,
        cands,
    )
}

pub fn not_callable(ty: &str, span: Span) -> Diagnostic {
    Diagnostic::error(vais_ast::Code::E005, format!("expression of type `{}` is not callable", ty), span).with_label("not a function")
}

pub fn arg_count(name: &str, expected: usize, found: usize, span: Span) -> Diagnostic {
    Diagnostic::error(
        vais_ast::Code::E006,
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
    Diagnostic::error(vais_ast::Code::E007, format!("cannot infer the type of {}", what), span).with_label("type must be known here")
}

pub fn duplicate(kind: &str, name: &str, span: Span) -> Diagnostic {
    Diagnostic::error(vais_ast::Code::E008, format!("duplicate definition of {} `{}`", kind, name), span).with_label("defined again here")
}

pub fn immutable(name: &str, span: Span, decl: Span) -> Diagnostic {
    Diagnostic::error(vais_ast::Code::E009, format!("cannot assign to immutable variable `{}`", name), span)
        .with_label("cannot assign twice")
        .with_secondary(decl, format!("`{}` declared here", name))
        .with_note(format!("help: declare it mutable: `{} := mut ...`", name))
}

/// Assignment inside a closure to a variable it captured: the closure has its own copy.
pub fn captured(name: &str, span: Span, decl: Span) -> Diagnostic {
    Diagnostic::error(vais_ast::Code::E009, format!("cannot assign to `{}`, which this closure captured by value", name), span)
        .with_label("assignment to the closure's copy")
        .with_secondary(decl, format!("`{}` declared here", name))
        .with_note(format!("note: a closure copies the variables it uses when it is created; assigning to the copy would not change `{}`", name))
        .with_note("help: to change it from a closure, capture a pointer (`p := &x`, then `*p = ...`)")
}

pub fn non_exhaustive(what: &str, span: Span) -> Diagnostic {
    Diagnostic::warning(vais_ast::Code::E010, format!("non-exhaustive match: {} not covered", what), span)
        .with_label("some values are not matched")
}

pub fn bad_target(span: Span) -> Diagnostic {
    Diagnostic::error(vais_ast::Code::E012, "invalid assignment target", span)
        .with_label("expected a variable, field, index or dereference")
}

pub fn outside_loop(what: &str, span: Span) -> Diagnostic {
    Diagnostic::error(vais_ast::Code::E013, format!("`{}` outside of a loop", what), span).with_label("not inside `L`")
}

pub fn unknown_field<'a>(ty: &str, name: &str, span: Span, cands: impl IntoIterator<Item = &'a str>) -> Diagnostic {
    hint(
        Diagnostic::error(vais_ast::Code::E014, format!("no field `{}` on type `{}`", name, ty), span).with_label("unknown field"),
        name,
        cands,
    )
}

pub fn invalid(msg: impl Into<String>, span: Span) -> Diagnostic {
    Diagnostic::error(vais_ast::Code::E015, msg, span)
}

pub fn type_args(name: &str, expected: usize, found: usize, span: Span) -> Diagnostic {
    let s = |n: usize| if n == 1 { "" } else { "s" };
    if found == 0 {
        let ps = vec!["_"; expected].join(", ");
        return Diagnostic::error(vais_ast::Code::E015, format!("missing type arguments for generic type `{}`", name), span)
            .with_label(format!("expected {} type argument{}", expected, s(expected)))
            .with_note(format!("help: write the arguments: `{}<{}>`", name, ps));
    }
    Diagnostic::error(
        vais_ast::Code::E015,
        format!("`{}` takes {} type argument{} but {} {} supplied", name, expected, s(expected), found, if found == 1 { "was" } else { "were" }),
        span,
    )
    .with_label(format!("expected {} type argument{}", expected, s(expected)))
}

/// E018: `T A = B`, `T B = A`. `path` is the cycle from `name` back to it.
pub fn alias_cycle(name: &str, path: &[String], span: Span) -> Diagnostic {
    let chain = path.iter().map(|n| format!("`{}`", n)).collect::<Vec<_>>().join(" -> ");
    Diagnostic::error(vais_ast::Code::E018, format!("cyclic type alias `{}`: {}", name, chain), span)
        .with_label("this alias expands to itself")
        .with_note("note: an alias is another name for a type; a recursive type needs a struct or enum and a pointer (`*Name`)")
}

/// E018 at a use: alias expansion nested too deeply (a cycle not caught at registration).
pub fn alias_too_deep(name: &str, span: Span) -> Diagnostic {
    Diagnostic::error(vais_ast::Code::E018, format!("type alias `{}` expands too deeply (cyclic alias?)", name), span)
        .with_label("expansion stopped here")
}

/// E019: a struct or enum that contains itself by value. `path` is the cycle of type names
/// starting and ending with `name`; `at` is the field type that closes it.
pub fn infinite_type(name: &str, path: &[String], span: Span, at: Span) -> Diagnostic {
    let d = Diagnostic::error(vais_ast::Code::E019, format!("recursive type `{}` has infinite size", name), span)
        .with_label("recursive without a pointer")
        .with_secondary(at, if path.len() > 2 { "the cycle closes here" } else { "contains itself by value here" });
    let d = if path.len() > 2 {
        d.with_note(format!("note: {}", path.iter().map(|n| format!("`{}`", n)).collect::<Vec<_>>().join(" contains ")))
    } else {
        d
    };
    d.with_note(format!("help: go through a pointer to break the cycle, e.g. `*{}`", path.get(path.len().saturating_sub(2)).map_or(name, |s| s.as_str())))
}

/// E020: polymorphic recursion or recursive generic types.
pub fn recursion_limit(what: &str, span: Span, why: &str) -> Diagnostic {
    Diagnostic::error(vais_ast::Code::E020, format!("recursion limit reached while instantiating `{}`", what), span)
        .with_label("instantiated without end")
        .with_note(format!("note: {}", why))
}

/// E021: `X F f(..)` declared twice with different signatures.
pub fn extern_conflict(name: &str, old: &str, new: &str, span: Span) -> Diagnostic {
    Diagnostic::error(vais_ast::Code::E021, format!("extern `{}` is declared again with a different signature", name), span)
        .with_label(format!("declared here as `{}`", new))
        .with_note(format!("note: the first declaration is `{}`; an extern's signature cannot change (C would be called with the wrong types)", old))
}

/// E022: an integer pattern that no value of the scrutinee's type can equal.
pub fn pattern_out_of_range(lit: &str, ty: &str, min: i128, max: i128, span: Span) -> Diagnostic {
    Diagnostic::error(vais_ast::Code::E022, format!("literal pattern `{}` is out of range for `{}`", lit, ty), span)
        .with_label("this arm could never match")
        .with_note(format!("note: `{}` values are {}..={}", ty, min, max))
}

/// A constant expression whose operation traps at run time (`E023` division or remainder by
/// zero, `E024` signed `MIN / -1` or `MIN % -1`). `at` is the divisor, `lhs` the dividend.
#[allow(clippy::too_many_arguments)]
pub fn const_trap(trap: crate::consteval::Trap, name: &str, op: &str, a: &str, b: &str, ty: &str, at: Span, lhs: Span) -> Diagnostic {
    use crate::consteval::Trap;
    match trap {
        Trap::DivByZero | Trap::RemByZero => {
            let what = if trap == Trap::DivByZero { "division" } else { "remainder" };
            Diagnostic::error(vais_ast::Code::E023, format!("{} by zero in constant `{}`", what, name), at)
                .with_label("this divisor is zero")
                .with_note(format!("note: `{} {} {}` traps at run time; a constant must have a value", a, op, b))
        }
        Trap::Overflow => Diagnostic::error(vais_ast::Code::E024, format!("overflow in constant `{}`: `{} {} {}` traps at run time", name, a, op, b), at)
            .with_label("divisor is -1")
            .with_secondary(lhs, format!("dividend is `{}`, the smallest `{}`", a, ty))
            .with_note(format!("note: the quotient of the smallest `{}` by -1 does not fit in `{}`; a constant must have a value", ty, ty)),
    }
}

/// A constant whose value depends on itself (`E025`): `names` runs along the cycle and ends
/// where it starts; `span` is the mention that closes it.
pub fn const_cycle(names: &[String], span: Span) -> Diagnostic {
    let path = names.iter().map(|n| format!("`{}`", n)).collect::<Vec<_>>().join(" -> ");
    let first = names.first().map(|s| s.as_str()).unwrap_or("?");
    Diagnostic::error(vais_ast::Code::E025, format!("constant `{}` depends on itself: {}", first, path), span)
        .with_label("this use closes the cycle")
        .with_note("note: a constant's value must be computable before it is used")
}

/// E026: an expression nested deeper than the passes will follow.
pub fn too_deep(span: Span) -> Diagnostic {
    let limit = vais_ast::stack::max_expr_depth();
    Diagnostic::error(vais_ast::Code::E026, format!("expression too deeply nested or too long (more than {} levels)", limit), span)
        .with_label("this part is not checked")
        .with_note("note: each operator, call, field access, index or `!` in a chain is one level; split the chain with intermediate variables")
}

/// E035: a method call on a value of a generic parameter's type that none of its bounds
/// declares (extensions decision 16), reported at the generic definition.
pub fn not_in_bounds(param: &str, method: &str, bounds: &[String], span: Span) -> Diagnostic {
    let d = Diagnostic::error(vais_ast::Code::E035, format!("no method `{}` on generic type `{}`", method, param), span)
        .with_label("not declared by the bounds of this type parameter");
    if bounds.is_empty() {
        d.with_note(format!("help: add a trait bound that declares `{}`: `<{}: Trait>`", method, param))
    } else {
        d.with_note(format!(
            "note: `{}` is bounded by {}, which do{} not declare `{}`",
            param,
            bounds.iter().map(|b| format!("`{}`", b)).collect::<Vec<_>>().join(" + "),
            if bounds.len() == 1 { "es" } else { "" },
            method
        ))
    }
}

/// E036: a generic function instantiated with a type that does not implement a bound.
pub fn bound_not_met(ty: &str, tr: &str, param: &str, func: &str, span: Span) -> Diagnostic {
    Diagnostic::error(vais_ast::Code::E036, format!("the type `{}` does not implement the trait `{}`", ty, tr), span)
        .with_label(format!("`{}` is `{}` here", param, ty))
        .with_note(format!("note: required by the bound `{}: {}` of `{}`", param, tr, func))
}

/// E037: a generic parameter bounded by a name that is not a trait.
pub fn unknown_bound<'a>(name: &str, span: Span, cands: impl IntoIterator<Item = &'a str>) -> Diagnostic {
    hint(Diagnostic::error(vais_ast::Code::E037, format!("undefined trait `{}` in a bound", name), span).with_label("not a trait"), name, cands)
}

/// E038: a misuse of a range value (extensions decision 19).
pub fn range_misuse(msg: impl Into<String>, span: Span) -> Diagnostic {
    Diagnostic::error(vais_ast::Code::E038, msg, span)
}

/// E039: `L x: e` over a value that is neither a range nor a collection (decision 20).
pub fn not_iterable(ty: &str, why: &str, span: Span) -> Diagnostic {
    Diagnostic::error(vais_ast::Code::E039, format!("cannot iterate over a value of type `{}`", ty), span)
        .with_label(why.to_string())
        .with_note("note: `L x: e` iterates a range, or a value whose type has `len(&self) -> i64` and `get(&self, i: i64) -> T`")
}
