//! Diagnostics as data: a code, a message, a primary span, secondary labels and notes.
//! Produced by the parser and the checker; rendered only by `vaisc`.
//!
//! Codes are the [`Code`] enum: one variant per stable code, with its meaning; producers and
//! consumers (tests, renderers) share it instead of string literals.

use crate::source::Span;

/// A diagnostic's stable code (`error[E001]`): the contract between the crates that report
/// diagnostics and the ones that render or test them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    /// Lexical error.
    L001,
    /// Unexpected token.
    P001,
    /// Unexpected end of input.
    P002,
    /// Invalid expression.
    P003,
    /// Type mismatch.
    E001,
    /// Undefined variable.
    E002,
    /// Undefined type.
    E003,
    /// Undefined function or method.
    E004,
    /// Not callable.
    E005,
    /// Wrong argument count.
    E006,
    /// Cannot infer a type.
    E007,
    /// Duplicate definition.
    E008,
    /// Assignment to an immutable variable.
    E009,
    /// Non-exhaustive match (a warning).
    E010,
    /// Invalid assignment target.
    E012,
    /// `B` or `C` outside a loop.
    E013,
    /// Unknown field.
    E014,
    /// Invalid use (miscellaneous semantic errors).
    E015,
    /// Import error.
    E016,
    /// Extern symbol not found in the host process.
    E017,
    /// Cyclic type alias.
    E018,
    /// Struct or enum recursive by value (infinite size).
    E019,
    /// Recursion limit reached while instantiating a generic function or type.
    E020,
    /// Extern declared again with another signature.
    E021,
    /// Integer pattern outside the matched type's range.
    E022,
    /// Division or remainder by zero in a constant.
    E023,
    /// Overflow (`MIN / -1`) in a constant.
    E024,
    /// Constant that depends on itself.
    E025,
    /// Expression nested too deeply (past `stack::MAX_EXPR_DEPTH` levels).
    E026,
    /// Cast between types with no conversion (`as`, Extensions decision 12).
    E027,
    /// Integer literal out of range for the type its context gives it (decision 13).
    E028,
    /// A keyword or operator of another language (`let`, `fn`, `if`, `while`, `x++`, ...).
    E029,
    /// Method call on a generic parameter that none of its trait bounds declares.
    E035,
    /// Type argument that does not implement a bound.
    E036,
    /// Unknown trait in a bound.
    E037,
    /// Misuse of a range value (open range, non-integer bounds, `Range<f64>`).
    E038,
    /// Loop over a value that is neither a range nor a collection with `len`/`get`.
    E039,
    /// No such module in the standard library (`U std/x`).
    E043,
    /// `VAIS_STD_PATH` is not a directory.
    E044,
    /// `vaisc build` of a program without a `main` function.
    E045,
}

impl Code {
    /// The code as rendered (`"E001"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Code::L001 => "L001",
            Code::P001 => "P001",
            Code::P002 => "P002",
            Code::P003 => "P003",
            Code::E001 => "E001",
            Code::E002 => "E002",
            Code::E003 => "E003",
            Code::E004 => "E004",
            Code::E005 => "E005",
            Code::E006 => "E006",
            Code::E007 => "E007",
            Code::E008 => "E008",
            Code::E009 => "E009",
            Code::E010 => "E010",
            Code::E012 => "E012",
            Code::E013 => "E013",
            Code::E014 => "E014",
            Code::E015 => "E015",
            Code::E016 => "E016",
            Code::E017 => "E017",
            Code::E018 => "E018",
            Code::E019 => "E019",
            Code::E020 => "E020",
            Code::E021 => "E021",
            Code::E022 => "E022",
            Code::E023 => "E023",
            Code::E024 => "E024",
            Code::E025 => "E025",
            Code::E026 => "E026",
            Code::E027 => "E027",
            Code::E028 => "E028",
            Code::E029 => "E029",
            Code::E035 => "E035",
            Code::E036 => "E036",
            Code::E037 => "E037",
            Code::E038 => "E038",
            Code::E039 => "E039",
            Code::E043 => "E043",
            Code::E044 => "E044",
            Code::E045 => "E045",
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Tests and tools may compare with the rendered form (`d.code == "E001"`).
impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<str> for Code {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}


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
    pub code: Code,
    pub message: String,
    pub span: Span,
    /// Text attached to the primary caret (may be empty).
    pub label: String,
    pub secondary: Vec<Label>,
    /// `help:`/`note:` lines, e.g. "did you mean `count`?".
    pub notes: Vec<String>,
}

impl Diagnostic {
    pub fn error(code: Code, message: impl Into<String>, span: Span) -> Diagnostic {
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
    pub fn warning(code: Code, message: impl Into<String>, span: Span) -> Diagnostic {
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
