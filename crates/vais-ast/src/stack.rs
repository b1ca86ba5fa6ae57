//! Deep recursion over data-driven trees (syntax trees, typed IR): every recursive pass wraps
//! its per-node step in [`guard`], which runs it on a fresh heap-allocated stack segment when
//! the current stack is nearly exhausted, so a long flat expression (`1+1+...` with 100,000
//! terms is 100,000 levels deep) never overflows whatever thread it runs on. The depth itself
//! is limited once, by the checker ([`MAX_EXPR_DEPTH`]), so later passes see bounded trees.

/// Stack that must remain before a guarded step runs inline. Covers the largest stack use
/// between two guarded levels (the checker guards every 8th expression level; its frames in
/// an unoptimised build are the largest).
pub const RED_ZONE: usize = 1 << 20;

/// Size of each new stack segment (mapped lazily: only the pages used are touched). Much
/// larger than [`RED_ZONE`], so that a segment holds many levels: a segment barely larger than
/// the red zone would make every guarded step map a new one.
pub const SEGMENT: usize = 64 << 20;

/// Deepest expression tree the checker accepts (E026 beyond). Left-associative chains and
/// postfix chains are as deep as they are long; this allows a 1,000,000-term sum while keeping
/// the deepest pass's stack in the low gigabytes at worst.
pub const MAX_EXPR_DEPTH: u32 = 1_000_000;

/// [`MAX_EXPR_DEPTH`], or a smaller limit from `VAIS_MAX_EXPR_DEPTH` (a test knob: the tests
/// reach the limit without building a million-node program in a debug build).
pub fn max_expr_depth() -> u32 {
    static LIMIT: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *LIMIT.get_or_init(|| {
        std::env::var("VAIS_MAX_EXPR_DEPTH")
            .ok()
            .and_then(|v| v.parse().ok())
            .map_or(MAX_EXPR_DEPTH, |n: u32| n.min(MAX_EXPR_DEPTH))
    })
}

/// Runs `f`, first switching to a new stack segment if less than [`RED_ZONE`] remains.
#[inline(always)]
pub fn guard<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(RED_ZONE, SEGMENT, f)
}
