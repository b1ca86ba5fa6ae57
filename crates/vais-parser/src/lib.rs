//! `vais-parser`: lexer and parser (stub, being written).
