//! `vais-types`: name resolution and type checking, producing `vais_tir` (stub, being written).
