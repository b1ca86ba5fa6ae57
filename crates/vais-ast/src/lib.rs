//! `vais-ast`: the data every later stage shares — source files and spans, the syntax tree,
//! and diagnostics as plain data.
//!
//! This crate owns no logic beyond trivial helpers (line/column lookup). It must not know how
//! text is parsed, how types are checked, or how diagnostics are rendered: the parser fills
//! these types, the checker reads them, and `vaisc` renders `Diagnostic`s.

pub mod ast;
pub mod diag;
pub mod source;
pub mod stack;
pub mod threads;

pub use diag::{Code, Diagnostic, Label, Severity};
pub use source::{FileId, SourceFile, SourceMap, Span};
