//! The cache of compiled code: keys, the in-memory table of a session, the disk cache of
//! `vaisc run` (`vais-cache`), and the conversion between defined code and [`Artifact`]s.
//!
//! **Key** ([`key`]): FNV-1a/128 over
//! - the linker's *salt*: compiler version and build (the executable's size and modification
//!   time), the artifact format, the tier and every setting that changes code (REPL mode,
//!   interrupt polls, the line-table knob), the target triple and every ISA flag;
//! - the function's TIR content hash (`vais_tir::hash::function`) *after inlining*: callees and
//!   types are named by definition (name, signature, full layout), constants are values in the
//!   TIR, and inlined bodies are part of the TIR, so an edited callee that was inlined changes
//!   its callers' keys;
//! - every source position of the TIR, relative to its anchor (the function's span, then each
//!   inlined callee's span, in first-use order); if any position lies outside every anchor,
//!   the anchors' absolute positions too.
//!
//! Equal keys mean equal machine code against the same symbols, and positions that rebase to
//! the ones a fresh compile would record. Not cached: REPL entries (one-off, they own session
//! frames), functions that use session variables, and code with a relocation or signature the
//! artifact format cannot carry; those are always compiled.
//!
//! The REPL keeps artifacts in memory (bounded) and never writes files; `vaisc run` reads and
//! writes the disk cache (see [`CacheMode`]). A `vaisc run` bundle also records what its
//! compile linked, so that an unchanged program is linked without inlining or keys
//! (`plan.rs`).

use std::collections::HashMap;
use std::sync::Arc;

use vais_ast::Span;
use vais_tir::{ExprKind, FuncDef, FuncId, FuncKind, Program};

use crate::artifact::{Artifact, Pos, RelSpan, ABS};
use crate::plan::{Plan, PlanItem};

/// The artifact format (part of the salt and of the disk cache's directory name).
pub const FORMAT: u32 = 2;

/// Where a linker keeps compiled code for reuse.
#[derive(Clone, Debug, Default)]
pub enum CacheMode {
    /// Never reuse code.
    Off,
    /// In memory, for the linker's lifetime (the REPL; the default).
    #[default]
    Memory,
    /// In memory and in this disk cache (read, and written when `write`), as one entry per
    /// `program` (an identity such as the main file's canonical path): the artifacts of
    /// every function its last compile linked, each under its own key (see [`CodeCache`]).
    /// `whole`: what the program's compile depends on besides the compiler and its settings
    /// (its sources, the environment, the command's flags; 0 for none), which lets an
    /// unchanged program link its bundle as a whole (see [`crate::plan`]).
    Disk { config: vais_cache::Config, write: bool, program: String, whole: u128 },
}

/// What the cache did for the functions linked so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Functions linked from cached code (memory or disk).
    pub from_cache: u64,
    /// Of those, read from disk.
    pub from_disk: u64,
    /// Functions compiled (user functions; helpers are always compiled and not counted).
    pub compiled: u64,
    /// Entries written to disk.
    pub written: u64,
    /// Whether the whole program was linked from its bundle's plan (no inlining, no keys).
    pub whole_program: bool,
}

/// The in-memory table's size cap (bytes of code, metadata and kept IR, estimated): small, so
/// that a long REPL session's memory stays flat (`tests/repl_memory.rs`: 5,000 redefinitions,
/// at most 4 KiB each; an entry with its IR is ~4 KiB); when full, the table starts over.
const MEMORY_CAP: usize = 1 << 20;

/// The compiled code a linker may reuse.
///
/// On disk, one `vais-cache` entry per program (its *bundle*) holds the encoded artifacts of
/// every function the program's last compile linked, each with its own key: a warm run reads
/// one file, and a run after an edit finds every unchanged function there (keys are per
/// function, so an edit invalidates exactly the functions whose key changed), compiles the
/// rest, and writes the bundle anew. One file per program rather than per function keeps a
/// warm run's I/O to one read (a thousand small files cost more than compiling a thousand
/// small functions). The bundle is written atomically with a checksum by `vais-cache`; an
/// entry inside it that fails to decode is a miss and is replaced.
pub(crate) struct CodeCache {
    enabled: bool,
    memory: HashMap<u128, Arc<Artifact>>,
    memory_bytes: usize,
    disk: Option<vais_cache::DiskCache>,
    write: bool,
    /// The program's bundle: its key, its payload and each function key's byte range in it.
    bundle_key: u128,
    bundle: Vec<u8>,
    index: HashMap<u128, (usize, usize)>,
    /// What this process linked, in order, for the next bundle (a range of the bundle read,
    /// or fresh bytes); whether it differs from the bundle read.
    used: Vec<(u128, Used)>,
    dirty: bool,
    /// The whole-program key of this run (0: none), the bundle's plan when it was written
    /// under this key, and the plan this compile records for the next bundle.
    whole: u128,
    pub(crate) plan: Option<Plan>,
    record: Option<Plan>,
    pub stats: CacheStats,
}

/// An artifact of the next bundle: bytes of the bundle read, or freshly encoded ones.
enum Used {
    Bundle(usize, usize),
    Fresh(Vec<u8>),
}

impl CodeCache {
    pub fn new(mode: CacheMode, salt: u128) -> CodeCache {
        let mut c = CodeCache {
            enabled: false,
            memory: HashMap::new(),
            memory_bytes: 0,
            disk: None,
            write: false,
            bundle_key: 0,
            bundle: vec![],
            index: HashMap::new(),
            used: vec![],
            dirty: false,
            whole: 0,
            plan: None,
            record: None,
            stats: CacheStats::default(),
        };
        match mode {
            CacheMode::Off => {}
            CacheMode::Memory => c.enabled = true,
            CacheMode::Disk { config, write, program, whole } => {
                c.enabled = true;
                c.write = write;
                c.disk = vais_cache::DiskCache::open(&config).ok();
                c.bundle_key = digest(&[&salt.to_le_bytes(), b"bundle", program.as_bytes()]);
                if whole != 0 {
                    c.whole = digest(&[&salt.to_le_bytes(), b"whole", program.as_bytes(), &whole.to_le_bytes()]);
                    c.record = Some(Plan { whole: c.whole, funcs: 0, items: vec![] });
                }
                if let Some(b) = c.disk.as_ref().and_then(|d| d.get(vais_cache::Key(c.bundle_key))) {
                    if let Some((index, plan)) = read_bundle(&b) {
                        c.index = index;
                        c.plan = plan.filter(|p| c.whole != 0 && p.whole == c.whole);
                    }
                    c.bundle = b;
                }
            }
        }
        c
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The artifact stored under `key`, from memory or the program's bundle.
    pub fn get(&mut self, key: u128, cc: cranelift_codegen::isa::CallConv) -> Option<Arc<Artifact>> {
        if let Some(a) = self.memory.get(&key) {
            return Some(a.clone());
        }
        let &(start, end) = self.index.get(&key)?;
        let a = Arc::new(Artifact::decode(&self.bundle[start..end], cc)?);
        self.stats.from_disk += 1;
        if self.write {
            self.used.push((key, Used::Bundle(start, end)));
        }
        Some(a)
    }

    /// The artifact of a plan's function, decoded from the bundle (no copy kept: a run that
    /// follows its plan links exactly what the bundle holds, and writes nothing).
    pub fn get_planned(&mut self, key: u128, cc: cranelift_codegen::isa::CallConv) -> Option<Artifact> {
        let &(start, end) = self.index.get(&key)?;
        let a = Artifact::decode(&self.bundle[start..end], cc)?;
        self.stats.from_disk += 1;
        Some(a)
    }

    /// Adds function `f` (linked under `tag`; `None`: not cacheable) to the plan this compile
    /// records, if it records one.
    pub fn record(&mut self, p: &Program, f: FuncId, tag: Option<&Tag>) {
        let Some(r) = &mut self.record else { return };
        match tag {
            Some(t) => {
                r.funcs = p.funcs.len() as u32;
                r.items.push(PlanItem { f, name: p.func(f).name.clone(), key: t.key, inlined: t.inlined.clone(), callees: t.callees.clone() });
            }
            // A function compiled every time: no plan can replace this compile.
            None => self.record = None,
        }
    }

    fn remember(&mut self, key: u128, a: Arc<Artifact>) {
        let ir = a.ir.as_ref().map_or(0, |f| f.dfg.num_insts() * 64 + f.dfg.num_values() * 16 + f.dfg.num_blocks() * 64);
        let size = 2 * a.code.len() + a.srcs.len() * 16 + a.relocs.len() * 48 + a.locs.len() * 32 + a.unwind.as_ref().map_or(0, |u| u.len()) + ir + 512;
        if self.memory_bytes + size > MEMORY_CAP {
            self.memory.clear();
            self.memory_bytes = 0;
        }
        self.memory_bytes += size;
        self.memory.insert(key, a);
    }

    /// Stores a freshly compiled artifact.
    pub fn put(&mut self, key: u128, a: Artifact) {
        if self.disk.is_some() {
            if self.write {
                if let Some(bytes) = a.encode() {
                    self.used.push((key, Used::Fresh(bytes)));
                    self.dirty = true;
                }
            }
            // `vaisc run` links each function once: no need to keep it in memory.
            return;
        }
        self.remember(key, Arc::new(a));
    }

    /// Writes the program's bundle when this compile changed it, then keeps the disk cache
    /// under its size cap (call once, after compiling).
    pub fn finish(&mut self) {
        let Some(d) = &self.disk else { return };
        // A plan is kept only if every function it names has its artifact in the bundle
        // (an artifact that could not be encoded is compiled every time).
        let stored: std::collections::HashSet<u128> = self.used.iter().map(|u| u.0).collect();
        let plan = self.record.take().filter(|r| !r.items.is_empty() && r.items.iter().all(|i| stored.contains(&i.key)));
        let plan_changed = plan.as_ref().map(|p| p.whole) != self.plan.as_ref().map(|p| p.whole);
        if !self.write || self.stats.whole_program || !(self.dirty || self.used.len() != self.index.len() || plan_changed) {
            return;
        }
        let bundle = &self.bundle[..];
        fn bytes<'a>(bundle: &'a [u8], u: &'a Used) -> &'a [u8] {
            match u {
                Used::Bundle(s, e) => &bundle[*s..*e],
                Used::Fresh(b) => b,
            }
        }
        let mut out = Vec::with_capacity(self.used.iter().map(|u| bytes(bundle, &u.1).len() + 20).sum::<usize>() + 4);
        out.extend_from_slice(&(self.used.len() as u32).to_le_bytes());
        for (k, b) in &self.used {
            let b = bytes(bundle, b);
            out.extend_from_slice(&k.to_le_bytes());
            out.extend_from_slice(&(b.len() as u32).to_le_bytes());
            out.extend_from_slice(b);
        }
        crate::plan::write(&mut out, plan.as_ref());
        if d.put(vais_cache::Key(self.bundle_key), &out).is_ok() {
            self.stats.written += 1;
            let _ = d.trim();
        }
        self.used.clear();
        self.dirty = false;
    }
}

/// Each artifact's byte range in a bundle, by key.
type Index = HashMap<u128, (usize, usize)>;

/// The byte range of each function's artifact in a bundle, and its plan (`None`: not a
/// bundle).
fn read_bundle(b: &[u8]) -> Option<(Index, Option<Plan>)> {
    let n = u32::from_le_bytes(b.get(..4)?.try_into().ok()?) as usize;
    let mut at = 4;
    let mut m = HashMap::with_capacity(n.min(b.len() / 20));
    for _ in 0..n {
        let k = u128::from_le_bytes(b.get(at..at + 16)?.try_into().ok()?);
        let len = u32::from_le_bytes(b.get(at + 16..at + 20)?.try_into().ok()?) as usize;
        let start = at + 20;
        let end = start.checked_add(len).filter(|e| *e <= b.len())?;
        m.insert(k, (start, end));
        at = end;
    }
    let plan = crate::plan::read(&b[at..])?;
    Some((m, plan))
}

/// A function being compiled whose artifact is to be stored under `key`.
pub(crate) struct Tag {
    pub f: FuncId,
    pub key: u128,
    pub anchors: Anchors,
    /// The functions inlined into it, in first-use order (the anchors after its own span).
    pub inlined: Vec<FuncId>,
    /// Its references that artifacts name by index ([`callees`]).
    pub callees: Vec<FuncId>,
}

/// The spans a function's positions are relative to: its own, then each inlined callee's.
#[derive(Clone, Debug, Default)]
pub(crate) struct Anchors(pub Vec<Span>);

impl Anchors {
    /// `off` of `file` relative to the first anchor holding it, else absolute.
    pub fn pos(&self, file: u32, off: u32) -> Pos {
        for (i, a) in self.0.iter().enumerate() {
            if a.file.0 == file && a.start <= off && off <= a.end {
                return Pos { anchor: i as u32, file: 0, off: off - a.start };
            }
        }
        Pos { anchor: ABS, file, off }
    }

    /// The absolute `(file, offset)` of `p` (`None`: no such anchor, a corrupt artifact).
    pub fn abs(&self, p: Pos) -> Option<(u32, u32)> {
        if p.anchor == ABS {
            return Some((p.file, p.off));
        }
        let a = self.0.get(p.anchor as usize)?;
        Some((a.file.0, a.start.checked_add(p.off)?))
    }

    pub fn rel_span(&self, s: Span) -> RelSpan {
        RelSpan { start: self.pos(s.file.0, s.start), len: s.end.saturating_sub(s.start) }
    }

    pub fn span(&self, s: RelSpan) -> Option<Span> {
        let (file, start) = self.abs(s.start)?;
        Some(Span::new(vais_ast::FileId(file), start, start.checked_add(s.len)?))
    }
}

// The key hasher: `vais_tir::hash`'s mixing state.
use vais_tir::hash::Mix as Fnv;

/// A 128-bit digest of `parts` (see [`Fnv`]).
pub(crate) fn digest(parts: &[&[u8]]) -> u128 {
    let mut h = Fnv(vais_tir::hash::FNV_OFFSET);
    for p in parts {
        h.u32(p.len() as u32);
        h.bytes(p);
    }
    h.0
}

/// The cache key of function `f` and its anchors, or `None` if it is not cacheable (see the
/// module comment). One walk of the body collects its spans, its inlined callees (the anchors)
/// and whether it uses a session variable.
pub(crate) fn key(salt: u128, p: &Program, f: FuncId) -> Option<(u128, Anchors, Vec<FuncId>)> {
    let def = p.func(f);
    if def.kind == FuncKind::ReplEntry {
        return None;
    }
    let mut anchors = vec![def.span];
    let mut seen: Vec<FuncId> = vec![];
    let mut spans = vec![def.span];
    let mut global = false;
    vais_tir::visit::preorder(&def.body, |e| {
        spans.push(e.span);
        match &e.kind {
            ExprKind::Inlined { func, .. } if !seen.contains(func) => {
                seen.push(*func);
                anchors.push(p.func(*func).span);
            }
            ExprKind::Global(_) => global = true,
            _ => {}
        }
    });
    if global {
        return None;
    }
    let anchors = Anchors(anchors);
    let mut h = Fnv(salt);
    h.bytes(&vais_tir::hash::function(p, f).0.to_le_bytes());
    let mut absolute = false;
    for s in spans {
        let r = anchors.rel_span(s);
        absolute |= r.start.anchor == ABS;
        h.pair(r.start.anchor, r.start.file);
        h.pair(r.start.off, r.len);
    }
    if absolute {
        for a in &anchors.0 {
            h.pair(a.file.0, a.start);
            h.u32(a.end);
        }
    }
    Some((h.0, anchors, seen))
}

/// The tags (key and anchors) of every function of `batch` (`None`: not cacheable), computed
/// on several threads for large batches (keys are a warm run's largest cost after linking).
pub(crate) fn tags(salt: u128, p: &Program, batch: &[FuncId]) -> Vec<Option<Tag>> {
    let tag = |f: &FuncId| key(salt, p, *f).map(|(key, anchors, inlined)| Tag { f: *f, key, anchors, inlined, callees: callees(p.func(*f)) });
    if batch.len() < 64 || vais_ast::threads::available() < 2 {
        return batch.iter().map(tag).collect();
    }
    let threads = vais_ast::threads::available().min(4);
    let chunk = batch.len().div_ceil(threads);
    std::thread::scope(|sc| {
        let parts: Vec<_> = batch.chunks(chunk).map(|c| sc.spawn(move || c.iter().map(tag).collect::<Vec<_>>())).collect();
        parts.into_iter().flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
    })
}

/// What identifies the build of this compiler: its version and the executable's size and
/// modification time (a rebuilt compiler never reads a previous build's code).
pub fn build_id() -> String {
    let exe = std::env::current_exe().ok().and_then(|p| std::fs::metadata(p).ok());
    let stamp = exe
        .map(|m| {
            let t = m.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos());
            format!("{}-{t}", m.len())
        })
        .unwrap_or_default();
    format!("{}-f{FORMAT}-{stamp}", env!("CARGO_PKG_VERSION"))
}

/// The references of `def` that artifacts name by index: its callees in first-use order.
pub(crate) fn callees(def: &FuncDef) -> Vec<FuncId> {
    let mut refs = vec![];
    crate::translate::referenced_funcs(&def.body, &mut refs);
    let mut seen = std::collections::HashSet::new();
    refs.retain(|f| seen.insert(*f));
    refs
}
