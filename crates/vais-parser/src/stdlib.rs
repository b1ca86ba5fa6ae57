//! The standard library's sources (EXTENSIONS.md decision 18): the `std/` folder at the
//! repository root, embedded in the binary so that `U std/NAME` works with no setup, or the
//! directory named by `$VAIS_STD_PATH`, which overrides it.

use std::path::PathBuf;
use vais_ast::{Diagnostic, Span};

/// Every module of the embedded standard library: (name, source text).
pub const EMBEDDED: &[(&str, &str)] = &[
    ("box", include_str!("../../../std/box.vais")),
    ("deque", include_str!("../../../std/deque.vais")),
    ("file", include_str!("../../../std/file.vais")),
    ("hashmap", include_str!("../../../std/hashmap.vais")),
    ("io", include_str!("../../../std/io.vais")),
    ("math", include_str!("../../../std/math.vais")),
    ("mem", include_str!("../../../std/mem.vais")),
    ("option", include_str!("../../../std/option.vais")),
    ("priority_queue", include_str!("../../../std/priority_queue.vais")),
    ("result", include_str!("../../../std/result.vais")),
    ("set", include_str!("../../../std/set.vais")),
    ("string", include_str!("../../../std/string.vais")),
    ("vec", include_str!("../../../std/vec.vais")),
];

/// Where `U std/...` imports come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StdSource {
    /// The copy embedded in this binary.
    Embedded,
    /// `$VAIS_STD_PATH`.
    Dir(PathBuf),
}

/// Where the standard library is found now (`$VAIS_STD_PATH` if set and not empty).
pub fn std_source() -> StdSource {
    match std::env::var_os("VAIS_STD_PATH") {
        Some(p) if !p.is_empty() => StdSource::Dir(PathBuf::from(p)),
        _ => StdSource::Embedded,
    }
}

/// One line saying where `std` comes from (`vaisc --version --verbose`).
pub fn describe() -> String {
    match std_source() {
        StdSource::Embedded => {
            let names: Vec<&str> = EMBEDDED.iter().map(|(n, _)| *n).collect();
            format!("std: embedded in vaisc ({} modules: {}); set VAIS_STD_PATH to use another copy", names.len(), names.join(", "))
        }
        StdSource::Dir(d) => {
            let state = if d.is_dir() { "" } else { " (not a directory!)" };
            format!("std: {} (from VAIS_STD_PATH){state}", d.display())
        }
    }
}

/// Whether a source file (by its name in the source map) is part of the standard library: an
/// embedded module (`std/NAME.vais`) or a file under `$VAIS_STD_PATH`.
pub fn is_std_file(name: &str) -> bool {
    if name.starts_with("std/") && name.ends_with(".vais") {
        return true;
    }
    match std_source() {
        StdSource::Dir(d) => std::path::Path::new(name).starts_with(&d),
        StdSource::Embedded => false,
    }
}

/// A standard-library module found for an import.
pub(crate) enum Found {
    Embedded(&'static str, &'static str),
    File(PathBuf),
}

/// Why a `std` import failed; becomes a diagnostic at the import.
pub(crate) enum Missing {
    /// E043: no such module.
    NoModule { looked: String },
    /// E044: `$VAIS_STD_PATH` is not a directory.
    BadPath(PathBuf),
}

impl Missing {
    pub(crate) fn at(self, shown: &str, span: Span) -> Diagnostic {
        match self {
            Missing::NoModule { looked } => Diagnostic::error(vais_ast::Code::E043, format!("no module `{shown}` in the standard library"), span)
                .with_label("imported here")
                .with_note(format!("note: {looked}")),
            Missing::BadPath(p) => Diagnostic::error(vais_ast::Code::E044, format!("cannot import `{shown}`: VAIS_STD_PATH `{}` is not a directory", p.display()), span)
                .with_label("imported here")
                .with_note("help: unset VAIS_STD_PATH to use the standard library embedded in vaisc"),
        }
    }
}

/// The module `std/<segs>`.
pub(crate) fn find(segs: &[&str]) -> Result<Found, Missing> {
    match std_source() {
        StdSource::Embedded => {
            let name = segs.join("/");
            match EMBEDDED.iter().find(|(n, _)| *n == name) {
                Some((n, t)) => Ok(Found::Embedded(n, t)),
                None => {
                    let names: Vec<&str> = EMBEDDED.iter().map(|(n, _)| *n).collect();
                    Err(Missing::NoModule { looked: format!("the standard library has: {}", names.join(", ")) })
                }
            }
        }
        StdSource::Dir(d) => {
            if !d.is_dir() {
                return Err(Missing::BadPath(d));
            }
            crate::loader::find_in(&d, segs).map(Found::File).ok_or_else(|| {
                let rel = segs.join("/");
                Missing::NoModule { looked: format!("looked for `{rel}.vais` and `{rel}/mod.vais` in `{}` (VAIS_STD_PATH)", d.display()) }
            })
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_embedded_module_parses_cleanly() {
        for (name, text) in super::EMBEDDED {
            let (_, diags) = crate::parse_file(vais_ast::FileId(0), text);
            assert!(diags.is_empty(), "std/{name}.vais: {diags:?}");
        }
    }

    #[test]
    fn the_embedded_list_matches_the_std_folder() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../std");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.strip_suffix(".vais").map(String::from))
            .collect();
        on_disk.sort();
        let embedded: Vec<String> = super::EMBEDDED.iter().map(|(n, _)| n.to_string()).collect();
        assert_eq!(on_disk, embedded, "add new std modules to stdlib::EMBEDDED");
        for (name, text) in super::EMBEDDED {
            assert_eq!(std::fs::read_to_string(dir.join(format!("{name}.vais"))).unwrap(), *text);
        }
    }
}
