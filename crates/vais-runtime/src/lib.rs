//! `vais-runtime`: built-ins and fault handling (stub, being written).
