//! What `:save` writes: the source text of the session's live definitions, latest first-defined
//! order, so that `:load` of the file in a fresh session restores them.
//!
//! * Every item is recorded with the text of its own file (an item `:load` brought in through
//!   `U` is saved itself, never the `U` line, so the saved file is self-contained).
//! * A redefinition replaces the older text; redefining a struct or enum drops the impl blocks
//!   of the old type (their methods died with it); an inherent impl is kept method by method,
//!   so a later impl redefining one method replaces only that one.
//! * Broken functions (a dependency was redefined incompatibly) are written commented out with
//!   a note; so is anything else the file would not type-check with, found by checking the
//!   file in a fresh session before writing it, so `:load` of a saved file never fails on
//!   type errors.
//! * Session variables are listed in a comment (their values are not saved).

use std::collections::HashMap;
use vais_ast::ast::{Item, ItemKind, ReplEntry, TypeKind};
use vais_ast::{FileId, SourceMap};

/// One saved definition.
struct Entry {
    /// Kind and name (`F sq`, `S Pt`, `X Pt.get`, `X Pt: Show`); empty for items never replaced.
    key: String,
    /// The impl target's type name, for impl entries.
    target: Option<String>,
    /// Source text; empty once replaced.
    text: String,
}

#[derive(Default)]
pub struct SavedItems {
    entries: Vec<Entry>,
    /// Index into `entries` of the latest definition of each key.
    index: HashMap<String, usize>,
}

/// The text of `span` in its own file.
fn snippet(sources: &SourceMap, span: vais_ast::Span) -> String {
    sources
        .files
        .get(span.file.0 as usize)
        .and_then(|f| f.text.get(span.start as usize..span.end as usize))
        .unwrap_or("")
        .to_string()
}

fn impl_target(item: &Item) -> Option<String> {
    match &item.kind {
        ItemKind::Impl(im) => match &im.target.kind {
            TypeKind::Named { name, .. } => Some(name.name.clone()),
            _ => None,
        },
        _ => None,
    }
}

impl SavedItems {
    fn push(&mut self, key: String, target: Option<String>, text: String) {
        if !key.is_empty() {
            if let Some(old) = self.index.insert(key.clone(), self.entries.len()) {
                self.entries[old].text.clear();
            }
        }
        self.entries.push(Entry { key, target, text });
    }

    /// Records the items of an input the session accepted.
    pub fn remember(&mut self, items: &[&Item], sources: &SourceMap) {
        for item in items {
            // Items of the embedded standard library are saved as the import that brings them.
            let file = sources.files.get(item.span.file.0 as usize).map(|f| f.name.as_str()).unwrap_or("");
            if let Some(module) = file.strip_prefix("std/").and_then(|m| m.strip_suffix(".vais")) {
                let u = format!("U std/{module}");
                self.push(u.clone(), None, u);
                continue;
            }
            let text = snippet(sources, item.span);
            match &item.kind {
                ItemKind::Function(f) => self.push(format!("F {}", f.name.name), None, text),
                ItemKind::Struct(s) => self.redefine_type(&s.name.name, format!("S {}", s.name.name), text),
                ItemKind::Enum(e) => self.redefine_type(&e.name.name, format!("E {}", e.name.name), text),
                ItemKind::Alias(a) => self.push(format!("T {}", a.name.name), None, text),
                ItemKind::Trait(t) => self.push(format!("W {}", t.name.name), None, text),
                ItemKind::Const(c) => self.push(format!("C {}", c.name.name), None, text),
                ItemKind::Extern(x) => self.push(format!("X F {}", x.name.name), None, text),
                ItemKind::Impl(im) => {
                    let target = impl_target(item);
                    let tname = target.clone().unwrap_or_default();
                    match &im.trait_name {
                        Some(tr) => self.push(format!("X {}: {}", tname, tr.name), target, text),
                        None => {
                            // One entry per method: `X <header> { <method> }`.
                            let header = text.split('{').next().unwrap_or("").trim_end().to_string();
                            for m in &im.methods {
                                let body = snippet(sources, m.span);
                                self.push(
                                    format!("X {}.{}", tname, m.name.name),
                                    target.clone(),
                                    format!("{header} {{\n    {body}\n}}"),
                                );
                            }
                        }
                    }
                }
                ItemKind::Use(_) => self.push(String::new(), None, text),
            }
        }
    }

    /// A struct or enum (re)definition: the impls of an earlier type of that name died with it.
    fn redefine_type(&mut self, name: &str, key: String, text: String) {
        if self.index.contains_key(&key) {
            for e in self.entries.iter_mut().filter(|e| e.target.as_deref() == Some(name)) {
                e.text.clear();
            }
            self.index.retain(|_, &mut i| !self.entries[i].text.is_empty());
        }
        self.push(key, None, text);
    }

    /// The live definitions in order: (key, text).
    fn live(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().filter(|e| !e.text.is_empty()).map(|e| (e.key.as_str(), e.text.as_str()))
    }

    /// The file `:save` writes, and the number of definitions saved live. `broken` maps
    /// `name` / `Type.method` of broken functions to the dependency that broke them;
    /// `variables` are `name: type` lines.
    pub fn render(&self, broken: &HashMap<String, String>, variables: &[String]) -> (String, usize) {
        // (text, why it is commented out)
        let mut items: Vec<(String, Option<String>)> = self
            .live()
            .map(|(key, text)| {
                let name = key.strip_prefix("F ").or_else(|| key.strip_prefix("X ")).unwrap_or("");
                let why = broken.get(name).map(|dep| format!("`{name}` no longer type-checks (it calls `{dep}`, which was redefined)"));
                (text.to_string(), why)
            })
            .collect();
        // Check what would be loaded in a fresh session; comment out what it rejects, again until
        // it loads (each round removes at least one item).
        for _ in 0..=items.len() {
            let mut text = String::new();
            let mut ranges = vec![];
            for (i, (t, why)) in items.iter().enumerate() {
                if why.is_none() {
                    let start = text.len();
                    text.push_str(t);
                    ranges.push((start, text.len(), i));
                    text.push('\n');
                }
            }
            let rejected = rejected_items(&text, &ranges);
            if rejected.is_empty() {
                break;
            }
            for (i, msg) in rejected {
                items[i].1 = Some(format!("does not type-check on its own: {msg}"));
            }
        }
        let mut out = String::from("# saved by vaisc repl\n");
        let mut count = 0;
        for (text, why) in &items {
            match why {
                None => {
                    out.push_str(text);
                    out.push('\n');
                    count += 1;
                }
                Some(why) => {
                    out.push_str(&format!("# not loaded: {why}\n"));
                    for line in text.lines() {
                        out.push_str("# ");
                        out.push_str(line);
                        out.push('\n');
                    }
                }
            }
        }
        if !variables.is_empty() {
            out.push_str("# session variables (values are not saved):\n");
            for v in variables {
                out.push_str(&format!("#   {v}\n"));
            }
        }
        (out, count)
    }
}

/// Items of `text` (by their byte ranges) that a fresh session rejects, with the first message
/// of each. Empty when the text checks (or when an error cannot be attributed to an item).
fn rejected_items(text: &str, ranges: &[(usize, usize, usize)]) -> Vec<(usize, String)> {
    let entries = match vais_parser::parse_repl_input(FileId(0), text) {
        vais_parser::ReplParse::Complete(entries, diags) if !diags.iter().any(|d| d.is_error()) => entries,
        vais_parser::ReplParse::Complete(_, diags) => return attribute(&diags, ranges),
        vais_parser::ReplParse::Incomplete => return vec![],
    };
    if entries.iter().any(|e| !matches!(e, ReplEntry::Item(_))) {
        return vec![];
    }
    match vais_types::Session::new().check_input(&entries) {
        Ok(_) => vec![],
        Err(diags) => attribute(&diags, ranges),
    }
}

fn attribute(diags: &[vais_ast::Diagnostic], ranges: &[(usize, usize, usize)]) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = vec![];
    for d in diags.iter().filter(|d| d.is_error()) {
        let at = d.span.start as usize;
        if let Some(&(_, _, i)) = ranges.iter().find(|(s, e, _)| *s <= at && at <= *e) {
            if !out.iter().any(|(j, _)| *j == i) {
                out.push((i, d.message.clone()));
            }
        }
    }
    out
}
