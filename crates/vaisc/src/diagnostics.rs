//! Rendering of `vais_ast::Diagnostic`s: the one place that turns diagnostic data into text.
//! rustc-style (`error[E002]: ...`, `--> file:line:col`, source line, caret), coloured only
//! when the destination is a terminal.

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label, Severity as CsSeverity};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, termcolor, Chars, Config};
use std::io::IsTerminal;
use vais_ast::{Diagnostic, Severity, SourceMap};

/// Adds the explanation for the language's best-known surprise (LANGUAGE.md §6.1): newlines do
/// not end statements, so a line starting with `(` calls the previous line's value. When a "not
/// callable" error's callee is followed by a line break and then `(`, say so.
pub fn explain(sources: &SourceMap, diags: &mut [Diagnostic]) {
    for d in diags.iter_mut().filter(|d| d.code == vais_ast::Code::E005) {
        let Some(file) = sources.files.get(d.span.file.0 as usize) else { continue };
        let rest = file.text.get(d.span.end as usize..).unwrap_or("");
        let gap = &rest[..rest.len() - rest.trim_start().len()];
        if gap.contains('\n') && rest.trim_start().starts_with('(') {
            d.notes.push(
                "help: a line starting with `(` continues the previous expression (newlines do not end statements); \
                 end the previous statement with `;`"
                    .to_string(),
            );
        }
    }
}

/// Writes diagnostics to standard error, coloured on a terminal.
pub fn emit_stderr(sources: &SourceMap, diags: &[Diagnostic]) {
    if diags.is_empty() {
        return;
    }
    let mut diags = diags.to_vec();
    explain(sources, &mut diags);
    let diags = &diags[..];
    vais_runtime::flush_output();
    let choice = if std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
        termcolor::ColorChoice::Auto
    } else {
        termcolor::ColorChoice::Never
    };
    let stream = termcolor::StandardStream::stderr(choice);
    let mut lock = stream.lock();
    emit_all(&mut lock, sources, diags);
}

fn emit_all(out: &mut dyn termcolor::WriteColor, sources: &SourceMap, diags: &[Diagnostic]) {
    // Only the files the diagnostics point into are handed to the renderer (a REPL session
    // has one file per input; copying them all would make every error cost O(session)).
    let mut files = SimpleFiles::new();
    let mut ids = std::collections::HashMap::new();
    for d in diags {
        for span in std::iter::once(d.span).chain(d.secondary.iter().map(|l| l.span)) {
            ids.entry(span.file).or_insert_with(|| {
                let f = sources.get(span.file);
                files.add(f.name.clone(), f.text.clone())
            });
        }
    }
    let config = Config { chars: Chars::ascii(), ..Config::default() };
    for d in diags {
        let cs = to_codespan(sources, d, &ids);
        if term::emit(out, &config, &files, &cs).is_err() {
            // Fall back to a one-line form if rendering fails (e.g. a span past the end).
            let _ = writeln!(out, "error[{}]: {} ({})", d.code, d.message, sources.location(d.span));
        }
    }
}


fn to_codespan(
    sources: &SourceMap,
    d: &Diagnostic,
    ids: &std::collections::HashMap<vais_ast::FileId, usize>,
) -> CsDiagnostic<usize> {
    let severity = match d.severity {
        Severity::Error => CsSeverity::Error,
        Severity::Warning => CsSeverity::Warning,
    };
    let clamp = |span: vais_ast::Span| {
        let len = sources.files.get(span.file.0 as usize).map(|f| f.text.len()).unwrap_or(0);
        let s = (span.start as usize).min(len);
        let e = (span.end as usize).clamp(s, len);
        (ids.get(&span.file).copied().unwrap_or(0), s..e)
    };
    let (file, range) = clamp(d.span);
    let mut labels = vec![Label::primary(file, range).with_message(d.label.clone())];
    for l in &d.secondary {
        let (file, range) = clamp(l.span);
        labels.push(Label::secondary(file, range).with_message(l.message.clone()));
    }
    CsDiagnostic::new(severity)
        .with_code(d.code.as_str())
        .with_message(d.message.clone())
        .with_labels(labels)
        .with_notes(d.notes.clone())
}
