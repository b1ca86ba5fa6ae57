//! Diagnostics as data: a code, a message, a primary span, secondary labels and notes.
//! Produced by the parser and the checker; rendered only by `vaisc`.
//!
//! Codes: `L001` lexical error; `P001` unexpected token, `P002` unexpected end of input,
//! `P003` invalid expression; `E001` type mismatch, `E002` undefined variable, `E003` undefined
//! type, `E004` undefined function/method, `E005` not callable, `E006` wrong argument count,
//! `E007` cannot infer, `E008` duplicate definition, `E009` assignment to immutable variable,
//! `E010` non-exhaustive match (warning), `E012` invalid assignment target, `E013` break or
//! continue outside a loop, `E014` unknown field, `E015` invalid use (misc semantic errors),
//! `E016` import error, `E017` extern symbol not found in the host process, `E018` cyclic type
//! alias, `E019` struct or enum recursive by value (infinite size), `E020` recursion limit
//! reached while instantiating a generic function or type, `E021` extern declared again with
//! another signature, `E022` integer pattern outside the matched type's range, `E023` division or remainder by
//! zero in a constant, `E024` overflow (`MIN / -1`) in a constant, `E025` constant that depends
//! on itself, `E026` expression nested too deeply (a chain longer than
//! `stack::MAX_EXPR_DEPTH` levels), `E027` cast between types with no conversion (`as`,
//! Extensions decision 12), `E028` integer literal out of range for the type its context
//! gives it (decision 13), `E029` a keyword or operator of another language (`let`, `fn`,
//! `if`, `while`, `x++`, ...; issue 16 part 4), `E035` method call on a generic parameter that none of its
//! trait bounds declares, `E036` generic function instantiated with a type that does not
//! implement a bound, `E037` unknown trait in a bound, `E038` misuse of a range value (open
//! range, non-integer bounds, `Range<f64>`), `E039` loop over a value that is neither a range
//! nor a collection with `len`/`get`,
//! `E043` no such module in the standard library (`U std/x`), `E044` `VAIS_STD_PATH` is not a
//! directory.

use crate::source::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable code such as `P001` or `E002`.
    pub code: &'static str,
    pub message: String,
    pub span: Span,
    /// Text attached to the primary caret (may be empty).
    pub label: String,
    pub secondary: Vec<Label>,
    /// `help:`/`note:` lines, e.g. "did you mean `count`?".
    pub notes: Vec<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            span,
            label: String::new(),
            secondary: Vec::new(),
            notes: Vec::new(),
        }
    }
    pub fn warning(code: &'static str, message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(code, message, span) }
    }
    pub fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = label.into();
        self
    }
    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.secondary.push(Label { span, message: message.into() });
        self
    }
    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// The closest candidate by edit distance, for "did you mean" hints (None if nothing is close).
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    // One- and two-letter names are too short for a typo to be recognisable.
    if name.len() < 3 {
        return None;
    }
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        if c == name {
            continue;
        }
        let d = edit_distance(name, c);
        let limit = name.len().max(c.len()).div_ceil(3).max(1);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            let cost = if ca == cb { 0 } else { 1 };
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    #[test]
    fn closest_finds_near_names() {
        assert_eq!(super::closest("cout", ["count", "main"]), Some("count"));
        assert_eq!(super::closest("zzz", ["count", "main"]), None);
        assert_eq!(super::closest("v", ["f", "x"]), None);
    }
}
