//! `vais-jit`: typed IR to Cranelift to machine code (stub, being written).
