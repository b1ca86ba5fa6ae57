//! How many threads the parallel stages (parsing large files, checking long queues, computing
//! cache keys, generating code) may use: `std::thread::available_parallelism`, asked once per
//! process. Asking is not free on Linux (it reads the cgroup quota files: several `openat`,
//! `read` and `statx` calls and thousands of instructions), and a REPL session asked it several
//! times per input.

use std::sync::OnceLock;

/// The available parallelism of this process (at least 1), computed on first use.
pub fn available() -> usize {
    static N: OnceLock<usize> = OnceLock::new();
    *N.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}
