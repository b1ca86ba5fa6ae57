//! Program loading: reads the root file, parses it, and resolves `U a/b` imports
//! (LANGUAGE.md §7.12) by textual merge, recursively, loading each file at most once. `U std/NAME`
//! comes from the standard library (`crate::stdlib`: embedded, or `$VAIS_STD_PATH`).

use crate::parse_file;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use vais_ast::ast::{Item, ItemKind, Module};
use vais_ast::{Diagnostic, SourceMap};

/// See `crate::load_program`.
pub(crate) fn load_program(
    path: &Path,
    sources: &mut SourceMap,
) -> std::io::Result<(Module, Vec<Diagnostic>)> {
    let text = read_source(path)?;
    let mut loaded = HashSet::new();
    loaded.insert(canonical(path));
    let mut diags = Vec::new();
    let items = load_text(path, text, sources, &mut loaded, &mut diags);
    Ok((Module { items }, diags))
}

/// Largest source file read (bytes). A file this size is far past any program the tools are
/// meant for (the 100,000-line benchmark is 3 MB, a million lines ~30 MB); the limit makes `/dev/zero`, `/dev/urandom`
/// or an endless pipe an error at once instead of reading until memory runs out.
pub const MAX_SOURCE_BYTES: u64 = 64 << 20;

/// Reads a source file as UTF-8, at most [`MAX_SOURCE_BYTES`] (any kind of file: a pipe such as
/// `/dev/stdin` works too).
fn read_source(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    if file.metadata()?.is_dir() {
        return Err(std::io::Error::other("it is a directory"));
    }
    let mut bytes = Vec::new();
    file.take(MAX_SOURCE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_SOURCE_BYTES {
        return Err(std::io::Error::other(format!("it is larger than {} MiB (the limit for a source file)", MAX_SOURCE_BYTES >> 20)));
    }
    String::from_utf8(bytes).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("it is not UTF-8 text (byte {})", e.utf8_error().valid_up_to())))
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Parses one file's text and returns its items with imports merged in.
fn load_text(
    path: &Path,
    text: String,
    sources: &mut SourceMap,
    loaded: &mut HashSet<PathBuf>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Item> {
    let file = sources.add(path.display().to_string(), text.clone());
    let (module, mut d) = parse_file(file, &text);
    diags.append(&mut d);
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    expand_uses(module.items, &dir, sources, loaded, diags)
}

/// See `crate::expand_imports`.
pub(crate) fn expand_imports(items: Vec<Item>, dir: &Path, sources: &mut SourceMap, std_loaded: &mut HashSet<PathBuf>) -> (Vec<Item>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut loaded = std_loaded.clone();
    let items = expand_uses(items, dir, sources, &mut loaded, &mut diags);
    keep_std(std_loaded, loaded);
    (items, diags)
}

/// See `crate::load_program_in_session`.
pub(crate) fn load_program_in_session(path: &Path, sources: &mut SourceMap, std_loaded: &mut HashSet<PathBuf>) -> std::io::Result<(Module, Vec<Diagnostic>)> {
    let text = read_source(path)?;
    let mut loaded = std_loaded.clone();
    loaded.insert(canonical(path));
    let mut diags = Vec::new();
    let items = load_text(path, text, sources, &mut loaded, &mut diags);
    keep_std(std_loaded, loaded);
    Ok((Module { items }, diags))
}

/// Adds the standard-library modules among `loaded` to `std_loaded`.
fn keep_std(std_loaded: &mut HashSet<PathBuf>, loaded: HashSet<PathBuf>) {
    let dir = match crate::stdlib::std_source() {
        crate::stdlib::StdSource::Dir(d) => Some(canonical(&d)),
        crate::stdlib::StdSource::Embedded => None,
    };
    std_loaded.extend(loaded.into_iter().filter(|k| k.starts_with(EMBEDDED_KEY) || dir.as_ref().is_some_and(|d| k.starts_with(d))));
}

/// Prefix of the keys of embedded standard-library modules in the set of loaded files.
const EMBEDDED_KEY: &str = "<embedded std>";

/// Replaces each `U` item of `items` (resolved relative to `dir`) by the items of that file,
/// with its own imports merged in.
fn expand_uses(
    items: Vec<Item>,
    dir: &Path,
    sources: &mut SourceMap,
    loaded: &mut HashSet<PathBuf>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Item> {
    let mut out = Vec::new();
    for item in items {
        let ItemKind::Use(u) = &item.kind else {
            out.push(item);
            continue;
        };
        let segs: Vec<&str> = u.path.iter().map(|i| i.name.as_str()).collect();
        let shown = segs.join("/");
        if segs.first() == Some(&"std") && segs.len() > 1 {
            match crate::stdlib::find(&segs[1..]) {
                Ok(crate::stdlib::Found::Embedded(name, text)) => {
                    let key = PathBuf::from(format!("{EMBEDDED_KEY}/{name}.vais"));
                    if loaded.insert(key) {
                        let path = PathBuf::from(format!("std/{name}.vais"));
                        out.extend(load_text(&path, text.to_string(), sources, loaded, diags));
                    }
                }
                Ok(crate::stdlib::Found::File(found)) => load_file(&found, &shown, item.span, sources, loaded, diags, &mut out),
                Err(d) => diags.push(d.at(&shown, item.span)),
            }
            continue;
        }
        let Some(found) = resolve(dir, &segs) else {
            diags.push(
                Diagnostic::error(vais_ast::Code::E016, format!("cannot find module `{shown}`"), item.span)
                    .with_label("imported here")
                    .with_note(format!(
                        "looked for `{shown}.vais` and `{shown}/mod.vais` relative to `{}`",
                        if dir.as_os_str().is_empty() {
                            ".".to_string()
                        } else {
                            dir.display().to_string()
                        }
                    )),
            );
            continue;
        };
        load_file(&found, &shown, item.span, sources, loaded, diags, &mut out);
    }
    out
}

/// Loads the file `found` (imported as `shown` by the `U` item at `span`) unless it was
/// loaded already, appending its items (with their imports) to `out`.
fn load_file(
    found: &Path,
    shown: &str,
    span: vais_ast::Span,
    sources: &mut SourceMap,
    loaded: &mut HashSet<PathBuf>,
    diags: &mut Vec<Diagnostic>,
    out: &mut Vec<Item>,
) {
    let key = canonical(found);
    if !loaded.insert(key) {
        return; // already loaded (or a cycle): contributes nothing
    }
    match read_source(found) {
        Ok(t) => out.extend(load_text(found, t, sources, loaded, diags)),
        Err(e) => diags.push(
            Diagnostic::error(vais_ast::Code::E016, format!("cannot read module `{shown}`: {e}"), span).with_label("imported here"),
        ),
    }
}

/// `<dir>/<a>/<b>.vais`, else `<dir>/<a>/<b>/mod.vais`.
fn resolve(dir: &Path, segs: &[&str]) -> Option<PathBuf> {
    find_in(dir, segs)
}

/// `<root>/<a>/<b>.vais`, else `<root>/<a>/<b>/mod.vais`.
pub(crate) fn find_in(root: &Path, segs: &[&str]) -> Option<PathBuf> {
    let (last, dirs) = segs.split_last()?;
    let mut base = root.to_path_buf();
    for s in dirs {
        base.push(s);
    }
    let file = base.join(format!("{last}.vais"));
    base.push(last);
    if file.is_file() {
        return Some(file);
    }
    let m = base.join("mod.vais");
    m.is_file().then_some(m)
}
