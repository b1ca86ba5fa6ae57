//! `vais-jit`: lowers the typed IR (`vais-tir`) to Cranelift IR and runs it as machine code in
//! memory (cranelift-jit 0.135).
//!
//! # Using it
//! ```text
//! let mut jit = Jit::new(JitConfig::default())?;
//! jit.compile(&program, &[main], &|span| source_map.location(span))?; // deps are added
//! let ret = &program.func(main).ret;
//! let mut out = vec![0u8; jit.size_of(ret).max(16)];
//! unsafe { call_entry(jit.entry_ptr(main).unwrap(), out.as_mut_ptr()) };
//! println!("{}", unsafe { value::format_value(&program, &jit, ret, out.as_ptr()) });
//! ```
//! `compile` takes the functions to (re)compile; functions they reference that were never
//! compiled are added automatically. It declares everything it needs (string data, session
//! globals, runtime symbols, `X F` externs by their C name, resolved with dlsym), defines, and
//! finalizes once. A failure is an internal compiler error ([`JitError`] names the function).
//!
//! # Conventions (see `abi.rs`, `layout.rs`)
//! - Scalars travel as Cranelift values (`bool` = `I8` 0/1, integers at their width). Aggregates
//!   (structs, tuples, enums, `T?`, function values, futures) live in memory: they are passed
//!   as a pointer to a copy the callee owns, and returned through a hidden first out-pointer
//!   parameter the caller allocates.
//! - Function values and closures are 16 bytes `(code, env)`; the code takes
//!   `(out?, env, params...)`. Lambdas take that convention natively (env = `malloc`'d block of
//!   the captured values, laid out as a tuple); a named function used as a value gets an adapter.
//! - A future is `(thunk, env)`: `env` holds the call's arguments (a tuple, `malloc`'d), the
//!   thunk `(out?, env)` calls the async function; `.await` calls the thunk.
//! - `repl_mode`: every call to a user function loads its code address from a per-function
//!   cell (a data object `vais$cell$f`, referred to by symbol) and calls indirectly, so a
//!   redefinition (compiled under a fresh symbol, `vais$f$v2`) reaches earlier callers; the
//!   replaced version's code is then freed. Otherwise calls are direct.
//! - `repl_mode`: a REPL entry's slots live in a per-input data object (its "frame", see
//!   `translate::SessionFrame`), not on the stack, so values it leaves behind stay valid; its
//!   array literals are recorded for printing ([`Jit::known_array`]).
//! - `main` gets a wrapper `extern "C" fn(out: *mut u8)` that calls it and stores the result at
//!   `out` ([`Jit::entry_ptr`], [`call_entry`]); a REPL entry (`FuncKind::ReplEntry`) is itself
//!   compiled with that signature (its returns store the result at `out`).
//! - Runtime errors call `vais_rt_trap(kind, site)`: `kind` a `vais_runtime::TrapKind`, `site`
//!   an index into the calling function's own fault sites (their spans travel with the code;
//!   the linker's runtime observer registers their locations with the placed code, see
//!   `link.rs`). Conditional checks (division, unwrap, interrupt polls) are single
//!   `trapnz`/`trapz` instructions instead: each gets a user trap code (4..=250, per function)
//!   standing for its `(kind, site)`, and after the function is placed each trap's address is
//!   registered with the runtime, whose fault handler turns the SIGILL there into the same
//!   report. A function with more checks than codes calls `vais_rt_trap` for the rest.

mod abi;
mod hoist;
mod jam;
mod addr;
mod artifact;
pub mod cache;
mod codegen;
pub mod layout;
mod placed;
mod plan;
mod strength;
mod reduce;
mod release;
pub use release::Retained;
pub mod link;
mod memory;
pub mod object;
pub mod rt;
mod session;
mod translate;
pub mod value;

use std::collections::HashMap;

pub mod tier;
pub use tier::Tier;
mod vector;
mod tierup;
pub use tierup::{threshold_from_env, TierEvent, TierScope, DEFAULT_THRESHOLD};
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};

use cranelift_codegen::ir::{Function, InstBuilder, TrapCode, UserFuncName};
use cranelift_codegen::Context;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{default_libcall_names, FuncId as ClFuncId, Linkage, Module};
use vais_ast::Span;
use vais_tir::{FuncDef, FuncId, FuncKind, GlobalId, Program, Ty};

pub use layout::Layout;
pub use cache::{CacheMode, CacheStats};
pub use placed::PlacedFunction;
pub use link::{CodeObserver, Placed};
use session::{Aux, Session};

/// Options of a JIT session.
#[derive(Clone, Debug)]
pub struct JitConfig {
    /// Calls between user functions go through an indirection cell per function, so that a
    /// redefinition reaches earlier callers.
    pub repl_mode: bool,
    /// Poll the runtime's interrupt flag at function entries and loop back-edges.
    pub interrupt_polls: bool,
    /// Run the Cranelift verifier on every function.
    pub verify: bool,
    /// Run the TIR verifier (`vais_tir::verify`) on every function before translating it.
    pub verify_tir: bool,
    /// `opt_level=speed` (otherwise `none`).
    pub opt_speed: bool,
    /// Keep each function's Cranelift IR for [`Jit::clif`] and [`Jit::asm`] (costs a copy of
    /// the IR per function; `asm` recompiles it on demand).
    pub keep_ir: bool,
}

impl JitConfig {
    /// The tier this configuration compiles with.
    pub fn tier(&self) -> Tier {
        Tier::of(self)
    }
}

impl Default for JitConfig {
    fn default() -> Self {
        let verify = verify_by_default();
        JitConfig { repl_mode: false, interrupt_polls: false, verify, verify_tir: verify, opt_speed: false, keep_ir: false }
    }
}

/// Whether to run the verifiers (Cranelift's and the TIR one): as the environment variable
/// `VAIS_VERIFY` says when it is set (`0` off, anything else on; the test suite sets `1`, so
/// release-mode tests verify every program), else in debug builds only (verification is off
/// by default in release builds, to keep compile throughput).
pub fn verify_by_default() -> bool {
    match std::env::var_os("VAIS_VERIFY") {
        Some(v) => v != "0",
        None => cfg!(debug_assertions),
    }
}

/// An internal compiler error in the back end (never a user diagnostic).
#[derive(Clone, Debug)]
pub struct JitError {
    /// Which stage failed.
    pub kind: JitErrorKind,
    /// The function being compiled, when known.
    pub function: Option<String>,
    pub message: String,
}

impl fmt::Display for JitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.function {
            Some(func) => write!(f, "internal compiler error in `{func}`: {}", self.message),
            None => write!(f, "internal compiler error: {}", self.message),
        }
    }
}

impl std::error::Error for JitError {}

/// The stage of the back end that failed (every one is a compiler bug, never the program's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JitErrorKind {
    /// Creating the JIT (target, flags, memory).
    Setup,
    /// The TIR verifier rejected the checker's output.
    TirVerifier,
    /// Translating TIR to Cranelift IR failed or panicked.
    Translation,
    /// Cranelift rejected (verifier) or failed to compile the IR, or panicked.
    Codegen,
    /// Declaring, defining or finalizing symbols in the module failed.
    Link,
}

fn err(kind: JitErrorKind, function: Option<&str>, message: impl Into<String>) -> JitError {
    JitError { kind, function: function.map(str::to_string), message: message.into() }
}

#[derive(Clone, Debug, Default)]
struct Compiled {
    code: usize,
    len: usize,
    ir: Option<Box<Function>>,
    entry: Option<usize>,
}

/// The linker: owns the module and everything declared in it (symbols and their versions,
/// string and data objects, the REPL's indirection cells), runs translation and code
/// generation for batches of functions, and tells its observers where code was placed. Generic
/// over the `cranelift_module::Module` it links into: [`Jit`] places code in memory and runs
/// it; an `ObjectModule` gets the same symbols and relocations for an object file
/// ([`Linker::with_module`], [`Linker::link`], [`Linker::into_module`]).
pub struct Linker<M: Module = JITModule> {
    s: Session<M>,
    ctx: Context,
    fbc: FunctionBuilderContext,
    compiled: HashMap<FuncId, Compiled>,
    /// The target, shared with the code generation threads of batch mode.
    isa: cranelift_codegen::isa::OwnedTargetIsa,
    /// The same target with the single-pass register allocator and no optimiser, for functions
    /// of more than [`BIG_FUNCTION`] instructions (both are super-linear on those).
    big_isa: cranelift_codegen::isa::OwnedTargetIsa,
    /// What translation knows of the target and the settings (it has no module).
    target: codegen::TrTarget,
    /// Batch mode (not REPL, large batches): each translated function is sent to the code
    /// generation threads (see `link`) as `(job index, unit)`; `jobs_meta[index]` says what
    /// it is.
    jobs: Option<std::sync::mpsc::Sender<Job>>,
    jobs_meta: Vec<JobMeta>,
    /// The struct and enum definitions of the last compiled program (for [`Jit::size_of`]).
    types: Program,
    /// REPL mode: address -> (length, element type) of every array literal of a top-level
    /// input (they live in session memory for good; see [`Jit::known_array`]).
    arrays: HashMap<usize, (u32, Ty)>,
    /// Unwind information of every function (user or helper) defined by the current batch,
    /// with its code length (see `placed.rs`).
    unwinds: Vec<(ClFuncId, usize, Option<artifact::Unwind>)>,
    /// What the last `compile` placed, for the tools (see [`Jit::last_placed`]).
    placed: placed::Placed,
    /// Told about every function placed and freed ([`link::CodeObserver`]); the runtime's
    /// tables first.
    observers: Vec<Box<dyn link::CodeObserver>>,
    /// The module's memory, for freeing code nobody can reach (`None`: the default provider).
    memory: Option<memory::MemoryHandle>,
    /// REPL tier-up (`tierup.rs`), when turned on.
    tier: Option<Box<tierup::TierUp>>,
    /// Compiled code kept for reuse (see `cache.rs`), and the key salt of this linker's
    /// compiler build, settings and target.
    cache: cache::CodeCache,
    salt: u128,
    /// While [`Jit::compile_planned`] links: the tags of the plan's batch (`plan.rs`).
    planned: Option<Vec<Option<cache::Tag>>>,
    /// The target's common unwind description (artifacts carry theirs against it).
    cie: Option<cranelift_codegen::gimli::write::CommonInformationEntry>,
}

/// A JIT session: compiled code, data and REPL indirection cells, placed in memory.
pub type Jit = Linker<JITModule>;

/// What [`Linker::link`] defined (the module is not finalized yet).
pub struct Linked {
    batch: Vec<FuncId>,
    done: Vec<(FuncId, Defined)>,
    ids: Vec<ClFuncId>,
    entries: Vec<(FuncId, ClFuncId)>,
    arrays: Vec<(cranelift_module::DataId, u32, u32, Ty)>,
}

impl Linked {
    /// The functions linked (requested ones and their dependencies), in definition order.
    pub fn functions(&self) -> &[FuncId] {
        &self.batch
    }
}

impl Linked {
    /// The entry wrapper (`extern "C" fn(out)`) defined for `f`, if `f` was linked as an entry.
    pub fn entry(&self, f: FuncId) -> Option<ClFuncId> {
        self.entries.iter().find(|(g, _)| *g == f).map(|(_, id)| *id)
    }
}

/// The address-independent tables of one linked function: what the runtime registers when
/// the code is placed (see [`link::Placed`]), with code offsets instead of addresses.
#[derive(Clone, Debug, Default)]
pub struct FunctionTables {
    /// `(start, end, byte offset)` source positions of the code (sorted).
    pub lines: Vec<SrcRange>,
    /// Inlined copies in the code, with their frames (for backtraces).
    pub inlined: Vec<vais_runtime::faults::InlinedRange>,
    /// `(code offset, kind, fault site)` of every trap instruction.
    pub traps: Vec<(u32, vais_runtime::TrapKind, u32)>,
    /// `file:line:col` of each fault site and the inlined function it is in.
    pub sites: Vec<(String, Option<String>)>,
}

/// One function of a [`Linked`] batch, described for a module that is not placed in this
/// process (an object file): its symbol, code size, file and tables.
#[derive(Clone, Debug)]
pub struct LinkedFunction {
    pub func: FuncId,
    /// The Cranelift id it was defined under (for relocations against it).
    pub id: ClFuncId,
    /// Its Vais name.
    pub name: String,
    /// Machine code size in bytes.
    pub len: usize,
    /// Its source file number.
    pub file: u32,
    pub tables: FunctionTables,
}

/// The tables of a defined function (see [`FunctionTables`]).
fn function_tables(d: &Defined, locate: &dyn Fn(Span) -> String) -> FunctionTables {
    let mut srcs = d.srcs.clone();
    // Out-of-line trap instructions get the position of their check.
    let mut added = false;
    for (offset, tc) in &d.traps {
        let Some(&loc) = translate::site_index(*tc).and_then(|i| d.inline.trap_locs.get(i)) else { continue };
        let i = d.srcs.partition_point(|r| r.0 <= *offset);
        if loc != u32::MAX && i.checked_sub(1).is_none_or(|i| *offset >= d.srcs[i].1) {
            srcs.push((*offset, *offset + 1, loc));
            added = true;
        }
    }
    if added {
        srcs.sort_unstable_by_key(|r| r.0);
    }
    let (lines, inlined) = resolve_inlined(srcs, &d.inline);
    let traps = d.traps.iter().filter_map(|(offset, tc)| translate::site_of_code(&d.sites, *tc).map(|(k, s)| (*offset, k, s))).collect();
    let sites = d.locs.iter().map(|(sp, inl)| (locate(*sp), inl.clone())).collect();
    FunctionTables { lines, inlined, traps, sites }
}

impl<M: Module + Send + 'static> Linker<M> {
    /// Describes what [`Linker::link`] defined, for a module whose code is not placed in this
    /// process (an `ObjectModule`): each function's symbol id, size and tables, in link order.
    pub fn describe(&self, program: &Program, linked: &Linked, locate: &dyn Fn(Span) -> String) -> Vec<LinkedFunction> {
        linked
            .done
            .iter()
            .zip(&linked.ids)
            .map(|((f, d), id)| {
                let def = program.func(*f);
                LinkedFunction { func: *f, id: *id, name: def.name.clone(), len: d.len, file: def.span.file.0, tables: function_tables(d, locate) }
            })
            .collect()
    }
}

/// A translated function waiting for code generation: (job index, unit).
type Job = (usize, codegen::Unit);

/// A job's function: its id, its index in the batch's `done` list, and its cache key.
struct JobMeta {
    f: FuncId,
    id: ClFuncId,
    slot: usize,
    key: Option<u128>,
}

use vais_runtime::faults::SrcRange;

/// The source ranges of compiled code (regions without a position, such as the prologue, are
/// left out).
fn src_ranges(c: &cranelift_codegen::CompiledCode) -> Vec<SrcRange> {
    c.buffer
        .get_srclocs_sorted()
        .iter()
        .filter(|r| !r.loc.is_default())
        .map(|r| (r.start, r.end, r.loc.bits()))
        .collect()
}

/// The inlined frames at one point of the code: (function, file number, byte offset),
/// innermost first.
type InlineChain = std::sync::Arc<[(String, u32, u32)]>;

/// Splits source positions inside inlined copies (`translate::INLINE_LOC`) into the
/// function's own position there (the outermost call, for its line table: profiles, perf and
/// debuggers attribute inlined code to the call) and the inlined frames for backtraces.
fn resolve_inlined(srcs: Vec<SrcRange>, t: &translate::InlineTable) -> (Vec<SrcRange>, Vec<vais_runtime::faults::InlinedRange>) {
    if t.frames.is_empty() {
        return (srcs, vec![]);
    }
    let mut chains: HashMap<u32, InlineChain> = HashMap::new();
    let mut inlined: Vec<vais_runtime::faults::InlinedRange> = vec![];
    let mut out = Vec::with_capacity(srcs.len());
    for (s, e, loc) in srcs {
        if loc & translate::INLINE_LOC == 0 {
            out.push((s, e, loc));
            continue;
        }
        let Some(&(frame, file, off)) = t.locs.get((loc & !translate::INLINE_LOC) as usize) else { continue };
        let mut chain = vec![];
        let (mut f, mut pos) = (Some(frame), (file, off));
        let mut outer = off;
        while let Some(i) = f {
            let (name, parent, call) = &t.frames[i as usize];
            chain.push((name.clone(), pos.0, pos.1));
            pos = (call.file.0, call.start);
            outer = call.start;
            f = *parent;
        }
        out.push((s, e, outer));
        let key = loc & !translate::INLINE_LOC;
        let frames = chains.entry(key).or_insert_with(|| chain.into()).clone();
        match inlined.last_mut() {
            Some(r) if r.end == s && *r.frames == *frames => r.end = e,
            _ => inlined.push(vais_runtime::faults::InlinedRange { start: s, end: e, frames }),
        }
    }
    (out, inlined)
}

thread_local! {
    static IN_CODEGEN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether this thread is inside code generation, where a panic (Cranelift's or translation's)
/// is caught and becomes a [`JitError`] that carries its message: a panic hook can stay quiet
/// then (`vaisc` installs one), so that a caught failure does not print like a crash.
pub fn in_codegen() -> bool {
    IN_CODEGEN.with(|c| c.get())
}

/// `catch_unwind` for code generation (see [`in_codegen`]); on a panic, its message.
fn catch_codegen<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    let was = IN_CODEGEN.with(|c| c.replace(true));
    let r = catch_unwind(AssertUnwindSafe(f));
    IN_CODEGEN.with(|c| c.set(was));
    r.map_err(|p| {
        p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_else(|| "panic".into())
    })
}

/// How a Cranelift code generation failure is shown in an internal compiler error.
fn codegen_error(e: &cranelift_codegen::CodegenError) -> String {
    match e {
        cranelift_codegen::CodegenError::Verifier(v) => format!("verifier: {v}"),
        e => format!("{e:?}"),
    }
}

/// Why code generation of `func` failed (`what`: the error or "panicked"). When the verifier
/// did not run before code generation (release builds, see [`verify_by_default`]), it runs now,
/// on the failure path only, so that ill-formed IR is named as such instead of leaving only a
/// Cranelift panic message; it costs nothing when compilation succeeds. (It sees the function
/// as the failed compile left it, after the optimisation passes: type errors survive those.)
fn codegen_failure(isa: &dyn cranelift_codegen::isa::TargetIsa, func: &Function, what: String) -> String {
    if isa.flags().enable_verifier() {
        return what;
    }
    match catch_codegen(|| cranelift_codegen::verify_function(func, isa)) {
        Ok(Err(errors)) => format!("{what}\nverifier: {errors}"),
        _ => what,
    }
}

/// A code generation thread's loop: compiles jobs from `rx` until the channel is closed and
/// empty. Returns each job's index and artifact.
fn generate_code(isas: [&dyn cranelift_codegen::isa::TargetIsa; 2], rx: &std::sync::Mutex<std::sync::mpsc::Receiver<Job>>) -> Vec<(usize, codegen::Generated)> {
    let mut ctx = Context::new();
    let mut out = Vec::new();
    loop {
        let job = match rx.lock() {
            Ok(r) => r.recv(),
            Err(_) => break,
        };
        let Ok((i, unit)) = job else { break };
        out.push((i, codegen::generate(&mut ctx, isas, unit)));
    }
    out
}

/// Functions with more instructions than this are compiled with the single-pass register
/// allocator and without the e-graph optimiser: both the backtracking allocator and the
/// e-graph pass are super-linear on them (a 30,000-arm match took 33 s, then 3.5 s with
/// single-pass, most of it in the e-graph), and the code of such generated functions matters
/// less than the time.
const BIG_FUNCTION: usize = 20_000;

fn is_big(f: &Function) -> bool {
    f.dfg.num_insts() > BIG_FUNCTION
}

/// What linking one artifact defined.
#[derive(Default)]
struct Defined {
    ir: Option<Box<Function>>,
    len: usize,
    /// The function's trap-site table (`translate::site_of_code`).
    sites: Vec<(vais_runtime::TrapKind, u32)>,
    /// The source position of each fault site, and the inlined function it is in (if any).
    locs: Vec<(Span, Option<String>)>,
    /// `(offset, code)` of every trap instruction in the machine code.
    traps: Vec<(u32, TrapCode)>,
    /// Source positions of the machine code.
    srcs: Vec<SrcRange>,
    /// Inlined copies in it (positions in `srcs` marked `translate::INLINE_LOC` index it).
    inline: translate::InlineTable,
}

/// The code generation targets of `config`'s tier for this machine: the tier's own, and the
/// one for functions of more than [`BIG_FUNCTION`] instructions. The JIT and object files
/// (`vaisc build`) compile with the same settings (non-PIC code: an executable is linked
/// without PIE).
pub fn target_isas(config: &JitConfig) -> Result<(cranelift_codegen::isa::OwnedTargetIsa, cranelift_codegen::isa::OwnedTargetIsa), JitError> {
    let (opt, regalloc) = Tier::of(config).cranelift();
    Ok((make_isa(config.verify, regalloc, opt)?, make_isa(config.verify, "single_pass", "none")?))
}

/// The host target with the session's flags and these register allocator and optimiser
/// settings (as `JITBuilder::with_flags`, keeping a handle on the target for our own threads).
fn make_isa(verify: bool, regalloc: &str, opt: &str) -> Result<cranelift_codegen::isa::OwnedTargetIsa, JitError> {
    let verify = if verify { "true" } else { "false" };
    let flags = [
        ("enable_verifier", verify),
        ("preserve_frame_pointers", "true"),
        // `i128`/`u128` parameters and results: without this, Cranelift's x86-64 back end
        // panics on any signature holding one (it passes them in two registers, as C).
        ("enable_llvm_abi_extensions", "true"),
    ];
    let mut flag_builder = cranelift_codegen::settings::builder();
    let more = [("use_colocated_libcalls", "false"), ("is_pic", "false"), ("regalloc_algorithm", regalloc), ("opt_level", opt)];
    for (name, value) in flags.iter().chain(&more) {
        cranelift_codegen::settings::Configurable::set(&mut flag_builder, name, value)
            .map_err(|e| err(JitErrorKind::Setup, None, format!("creating the JIT: {e}")))?;
    }
    cranelift_native::builder()
        .map_err(|e| err(JitErrorKind::Setup, None, format!("host machine is not supported: {e}")))?
        .finish(cranelift_codegen::settings::Flags::new(flag_builder))
        .map_err(|e| err(JitErrorKind::Setup, None, format!("creating the JIT: {e}")))
}

impl Jit {
    /// The target with this session's flags at `tier`.
    fn make_isa(&self, tier: Tier) -> Result<cranelift_codegen::isa::OwnedTargetIsa, JitError> {
        let (opt, regalloc) = tier.cranelift();
        make_isa(self.s.config.verify, regalloc, opt)
    }

    /// A session with the runtime's symbols registered.
    pub fn new(config: JitConfig) -> Result<Jit, JitError> {
        Jit::with_symbols::<&str>(config, vec![])
    }

    /// A session with the runtime's symbols and these extra host symbols registered (they
    /// override runtime symbols of the same name; tests use it for stubs).
    pub fn with_symbols<K: Into<String>>(
        config: JitConfig,
        symbols: Vec<(K, *const u8)>,
    ) -> Result<Jit, JitError> {
        let mut config = config;
        placed::read_knobs();
        if std::env::var_os("VAIS_JIT_NO_POLLS").is_some() {
            // Measurement knob (poll overhead): never set by the tools.
            config.interrupt_polls = false;
        }
        let (isa, big_isa) = target_isas(&config)?;
        let mut builder = JITBuilder::with_isa(isa.clone(), default_libcall_names());
        builder.symbols(rt::jit_symbols());
        builder.symbols(rt::runtime_symbols());
        builder.symbols(symbols);
        // Packed memory that can free code (x86-64 keeps instruction fetch coherent with the
        // stores that write code; elsewhere cranelift-jit's own provider, which never frees).
        let mut memory = None;
        if cfg!(target_arch = "x86_64") {
            let (provider, handle) = memory::PackedMemory::new().map_err(|e| err(JitErrorKind::Setup, None, format!("reserving JIT memory: {e}")))?;
            builder.memory_provider(Box::new(provider));
            memory = Some(handle);
        }
        let mut jit = Linker::with_module(JITModule::new(builder), config, isa);
        jit.big_isa = big_isa;
        jit.observers = vec![Box::new(link::RuntimeTables)];
        jit.memory = memory;
        Ok(jit)
    }

    /// Adds an observer of placed and freed code (after the runtime's tables; see
    /// [`link::CodeObserver`]). It hears about code placed from now on.
    pub fn add_observer(&mut self, o: Box<dyn link::CodeObserver>) {
        self.observers.push(o);
    }

    /// Compiles (or, in REPL mode, recompiles) `funcs`, plus every function they reference that
    /// was never compiled, then finalizes once. `locate` formats a span as `file:line:col`.
    pub fn compile(
        &mut self,
        program: &Program,
        funcs: &[FuncId],
        locate: &dyn Fn(Span) -> String,
    ) -> Result<(), JitError> {
        let linked = self.link(program, funcs, locate)?;
        self.place(program, linked, locate)
    }
}

impl<M: Module + Send + 'static> Linker<M> {
    /// A linker over `module` (for targets other than this process's memory: `isa` is the
    /// module's target, used by the code generation threads).
    pub fn with_module(module: M, config: JitConfig, isa: cranelift_codegen::isa::OwnedTargetIsa) -> Linker<M> {
        let repl = config.repl_mode;
        let settings = format!(
            "{}|{}|tier={}|repl={}|polls={}|lines={}|unwind={}|{}|{}",
            cache::build_id(),
            isa.triple(),
            config.tier().name(),
            config.repl_mode,
            config.interrupt_polls,
            placed::lines_enabled(),
            placed::unwind_enabled(),
            isa.flags(),
            isa.isa_flags().iter().map(|v| v.to_string()).collect::<Vec<_>>().join(","),
        );
        let salt = cache::digest(&[settings.as_bytes()]);
        let cie = isa.create_systemv_cie();
        let target = codegen::TrTarget::new(&*isa, &config);
        Linker {
            target,
            s: Session::new(module, config),
            ctx: Context::new(),
            fbc: FunctionBuilderContext::new(),
            compiled: HashMap::new(),
            big_isa: isa.clone(),
            isa,
            jobs: None,
            jobs_meta: vec![],
            types: Program::default(),
            arrays: HashMap::new(),
            unwinds: vec![],
            placed: placed::Placed::default(),
            observers: vec![],
            memory: None,
            tier: None,
            cache: cache::CodeCache::new(if repl { CacheMode::Memory } else { CacheMode::Off }, salt),
            salt,
            planned: None,
            cie,
        }
    }

    /// A linker over `module` with both targets of [`target_isas`] (as the JIT has).
    pub fn with_targets(module: M, config: JitConfig, isas: (cranelift_codegen::isa::OwnedTargetIsa, cranelift_codegen::isa::OwnedTargetIsa)) -> Linker<M> {
        let mut l = Linker::with_module(module, config, isas.0);
        l.big_isa = isas.1;
        l
    }

    /// Where compiled code is kept for reuse (default: in memory for a REPL session, nowhere
    /// otherwise). Code already compiled is not affected.
    pub fn set_cache(&mut self, mode: CacheMode) {
        self.cache = cache::CodeCache::new(mode, self.salt);
    }

    /// How many functions came from the cache and how many were compiled, so far.
    pub fn cache_stats(&self) -> CacheStats {
        self.cache.stats
    }

    /// Writes what this process compiled to the disk cache and keeps it under its size cap
    /// (call once, after compiling; nothing happens without a disk cache).
    pub fn finish_cache(&mut self) {
        self.cache.finish()
    }

    /// The module linked into.
    pub fn module(&self) -> &M {
        &self.s.module
    }

    /// The module, with everything linked so far (an `ObjectModule` then `finish`es).
    pub fn into_module(self) -> M {
        self.s.module
    }

    /// Translates, generates and defines `funcs`, plus every function they reference that was
    /// never linked, with the helpers they need (adapters, thunks, entry wrappers, data); does
    /// not finalize. Translation and code generation know nothing of the module's kind: they
    /// refer to functions and data by symbol.
    pub fn link(&mut self, program: &Program, funcs: &[FuncId], locate: &dyn Fn(Span) -> String) -> Result<Linked, JitError> {
        // The batch: the requested functions and their uncompiled dependencies.
        let mut batch: Vec<FuncId> = vec![];
        // Members of `batch` (a scan of `batch` per reference was quadratic in its size).
        let mut in_batch: std::collections::HashSet<FuncId> = std::collections::HashSet::new();
        let mut i = 0;
        for f in funcs {
            if in_batch.insert(*f) {
                batch.push(*f);
            }
        }
        while i < batch.len() {
            let mut refs = vec![];
            translate::referenced_funcs(&program.func(batch[i]).body, &mut refs);
            for g in refs {
                if !self.compiled.contains_key(&g) && in_batch.insert(g) {
                    batch.push(g);
                }
            }
            i += 1;
        }
        self.link_batch(program, batch, locate)
    }

    /// [`Linker::link`] of a batch already closed over its references.
    fn link_batch(&mut self, program: &Program, batch: Vec<FuncId>, locate: &dyn Fn(Span) -> String) -> Result<Linked, JitError> {
        self.unwinds.clear();
        if self.types.structs != program.structs || self.types.enums != program.enums {
            self.types.structs = program.structs.clone();
            self.types.enums = program.enums.clone();
        }
        let tir_failure = |e: vais_tir::verify::VerifyError| {
            let at = if e.span == Span::default() { String::new() } else { format!(" (at {})", locate(e.span)) };
            err(JitErrorKind::TirVerifier, Some(&e.function), format!("TIR verifier: {}{at}", e.message))
        };
        if self.s.config.verify_tir {
            vais_tir::verify::verify_funcs(program, &batch).map_err(tir_failure)?;
        }
        let mut ids = vec![];
        for f in &batch {
            let id = self.s.declare_user(program, *f).map_err(|m| err(JitErrorKind::Link, Some(&program.func(*f).name), m))?;
            ids.push(id);
        }
        let mut done: Vec<(FuncId, Defined)> = vec![];
        let mut entries = vec![];
        let mut r;
        // (A planned batch links artifacts only: no code generation threads.)
        if !self.s.config.repl_mode && batch.len() >= 16 && self.planned.is_none() {
            // Code generation runs on helper threads while this thread translates; when it is
            // done translating, it generates code too.
            let (tx, rx) = std::sync::mpsc::channel::<Job>();
            let rx = std::sync::Mutex::new(rx);
            let (isa, big_isa) = (self.isa.clone(), self.big_isa.clone());
            let isas: [&dyn cranelift_codegen::isa::TargetIsa; 2] = [&*isa, &*big_isa];
            let helpers = vais_ast::threads::available().saturating_sub(1).max(1);
            let (translated, outs) = std::thread::scope(|sc| {
                let handles: Vec<_> = (0..helpers).map(|_| sc.spawn(|| generate_code(isas, &rx))).collect();
                self.jobs = Some(tx);
                let translated = self.define_batch(program, &batch, &ids, &mut done);
                self.jobs = None; // closes the channel once the queue is empty
                let mut outs = generate_code(isas, &rx);
                for h in handles {
                    match h.join() {
                        Ok(o) => outs.extend(o),
                        Err(payload) => std::panic::resume_unwind(payload),
                    }
                }
                (translated, outs)
            });
            r = self.define_generated(program, outs, &mut done);
            if translated.is_err() {
                r = translated;
            }
        } else {
            r = self.define_batch(program, &batch, &ids, &mut done);
        }
        if r.is_ok() {
            r = self.define_helpers(program, &batch, &mut entries);
        }
        let arrays: Vec<_> = std::mem::take(&mut self.s.session_arrays);
        if let Err(e) = r {
            // Keep the module consistent: everything declared for this batch but not defined
            // gets a body that traps, so a later finalize never meets an unresolved symbol.
            self.stub_undefined(&batch, &ids, &done, &entries);
            // Code generation failed with the TIR verifier off (release builds): run it now, on
            // the failure path only, so that ill-typed TIR from the checker is named as the
            // cause rather than the Cranelift failure it led to.
            if !self.s.config.verify_tir {
                if let Err(v) = vais_tir::verify::verify_funcs(program, &batch) {
                    let v = tir_failure(v);
                    return Err(JitError { kind: v.kind, function: v.function, message: format!("{}\n(code generation then failed: {})", v.message, e.message) });
                }
            }
            return Err(e);
        }
        for f in &batch {
            self.compiled.entry(*f).or_default();
        }
        Ok(Linked { batch, done, ids, entries, arrays })
    }
}

impl Jit {
    /// Finalizes what [`Linker::link`] defined: the code gets its addresses, the REPL cells the
    /// new versions, the observers each placed function, and the replaced versions are freed.
    fn place(&mut self, program: &Program, linked: Linked, locate: &dyn Fn(Span) -> String) -> Result<(), JitError> {
        let Linked { batch, done, ids, entries, arrays } = linked;
        self.s.module.finalize_definitions().map_err(|e| err(JitErrorKind::Link, None, format!("finalizing: {e}")))?;
        // Unwind registration and the tools' record of what was placed (`placed.rs`).
        if self.s.config.repl_mode {
            self.register_closure_adapters(program);
        }
        self.record_placed(program, &batch, &ids);
        for (data, off, len, elem) in arrays {
            let base = self.s.module.get_finalized_data(data).0 as usize;
            self.arrays.insert(base + off as usize, (len, elem));
        }
        self.tier_placed_counters(&batch);
        // Optimised versions of recompiled functions, and those that inlined one, are dropped.
        self.tier_invalidate(program, &batch);
        for ((f, d), id) in done.into_iter().zip(ids) {
            let code = self.s.module.get_finalized_function(id) as usize;
            if let Some(cell) = self.s.cells.get(&f) {
                let at = self.s.module.get_finalized_data(*cell).0 as *mut usize;
                // SAFETY: the cell is this module's writable 8-byte, 8-aligned data object;
                // no JIT code runs while we compile.
                unsafe { at.write(code) };
            }
            let def = program.func(f);
            let old = self.compiled.get(&f).map(|c| (c.code, c.len)).filter(|(c, _)| *c != 0 && *c != code);
            if let (Some((old, old_len)), true) = (old, self.s.config.repl_mode && def.kind != FuncKind::Lambda) {
                // The previous version of a redefined function: REPL code reaches user functions
                // only through their cells (now pointing at the new version), and no JIT code
                // runs between inputs, so nothing can reach it. (Lambdas are kept: a closure
                // value made earlier holds its code address.)
                // SAFETY: unreachable, as said above.
                unsafe { self.free_code(old, old_len) };
            }
            self.announce(program, f, id, code, &d, locate);
            let c = self.compiled.entry(f).or_default();
            c.code = code;
            c.len = d.len;
            c.ir = d.ir;
            c.entry = None;
        }
        for (f, id) in entries {
            let code = self.s.module.get_finalized_function(id) as usize;
            self.compiled.entry(f).or_default().entry = Some(code);
        }
        Ok(())
    }
}

impl Jit {
    /// REPL closures call their lambda through its adapter (`translate.rs`, `Closure`): the
    /// adapters this batch defined are registered with the runtime as transparent JIT code, so
    /// that a fault's walk goes on through them to the code that called the closure, and
    /// backtraces leave them out.
    fn register_closure_adapters(&mut self, program: &Program) {
        let lambdas: std::collections::HashSet<ClFuncId> =
            self.s.adapters.iter().filter(|(f, _)| program.func(**f).kind == FuncKind::Lambda).map(|(_, id)| *id).collect();
        if lambdas.is_empty() {
            return;
        }
        for (id, len, _) in &self.unwinds {
            if lambdas.contains(id) {
                let code = self.s.module.get_finalized_function(*id) as usize;
                vais_runtime::faults::register_code(code, *len, String::new());
            }
        }
    }

    /// Tells the observers (the runtime's tables first) that `f`'s code defined under `id` was
    /// placed at `code`, and registers its inlined frames.
    fn announce(&mut self, program: &Program, f: FuncId, id: ClFuncId, code: usize, d: &Defined, locate: &dyn Fn(Span) -> String) {
        let def = program.func(f);
        let FunctionTables { lines: srcs, inlined, traps, sites } = function_tables(d, locate);
        let symbol = self.s.module.declarations().get_function_decl(id).name.clone().unwrap_or_default();
        let placed = link::Placed { function: &def.name, symbol: &symbol, code, len: d.len, file: def.span.file.0, lines: &srcs, traps: &traps, sites: &sites };
        for o in &mut self.observers {
            o.placed(&placed);
        }
        if !inlined.is_empty() {
            vais_runtime::faults::register_inlined(code, inlined);
        }
    }
}

impl<M: Module + Send + 'static> Linker<M> {
    /// Defines the batch's functions (no finalize): each from the cache when it has the
    /// function's artifact, else translated, then generated here or (batch mode) sent to the
    /// code generation threads; every artifact is linked by [`Linker::link_artifact`].
    fn define_batch(&mut self, program: &Program, batch: &[FuncId], ids: &[ClFuncId], done: &mut Vec<(FuncId, Defined)>) -> Result<(), JitError> {
        let planned = self.planned.take();
        let is_planned = planned.is_some();
        let mut tags = match planned {
            Some(t) => t,
            None if self.cache.enabled() => cache::tags(self.salt, program, batch),
            None => vec![],
        };
        let keep_ir = self.s.config.keep_ir;
        for (i, (f, id)) in batch.iter().zip(ids).enumerate() {
            let def = program.func(*f);
            let mut tag = tags.get_mut(i).and_then(Option::take);
            debug_assert!(tag.as_ref().is_none_or(|t| t.f == *f), "a tag of another function");
            if is_planned {
                // The whole program from its plan (`plan.rs`): every function from its artifact.
                let t = tag.as_ref().ok_or_else(|| err(JitErrorKind::Link, Some(&def.name), "not in the plan"))?;
                let d = self.link_planned(program, *f, *id, t)?;
                self.cache.stats.from_cache += 1;
                done.push((*f, d));
                continue;
            }
            // REPL tier-up: the code counts its calls in this function's counter (by symbol),
            // so whether it counts is part of what the code is (its key).
            let hot = self.tier.as_mut().is_some_and(|t| t.counter(*f, def));
            if let (Some(t), true) = (tag.as_mut(), hot) {
                t.key = cache::digest(&[&t.key.to_le_bytes(), b"counts"]);
            }
            if self.cache.enabled() {
                self.cache.record(program, *f, tag.as_ref());
            }
            if let Some(t) = &tag {
                if let Some(a) = self.cache.get(t.key, self.s.cc).filter(|a| !keep_ir || a.ir.is_some()) {
                    match self.link_artifact(program, *f, *id, &a, &t.callees, &t.anchors) {
                        Ok(mut d) => {
                            d.ir = a.ir.clone();
                            self.cache.stats.from_cache += 1;
                            done.push((*f, d));
                            continue;
                        }
                        Err(Some(m)) => return Err(err(JitErrorKind::Link, Some(&def.name), m)),
                        // Not linkable here (nothing was defined): compile it.
                        Err(None) => {}
                    }
                }
            }
            self.cache.stats.compiled += 1;
            let (key, anchors) = match tag {
                Some(t) => (Some(t.key), t.anchors),
                None => (None, cache::Anchors::default()),
            };
            let unit = self.translate(program, def, *id, codegen::What::Function, hot, anchors)?;
            if let Some(tx) = &self.jobs {
                if tx.send((self.jobs_meta.len(), unit)).is_err() {
                    return Err(err(JitErrorKind::Setup, Some(&def.name), "the code generation threads stopped"));
                }
                self.jobs_meta.push(JobMeta { f: *f, id: *id, slot: done.len(), key });
                // Filled in by `define_generated`.
                done.push((*f, Defined::default()));
                continue;
            }
            let g = self.generate(unit);
            let d = self.link_generated(program, *f, *id, g, key).map_err(|m| err(JitErrorKind::Codegen, Some(&def.name), m))?;
            done.push((*f, d));
        }
        Ok(())
    }

    /// Declares the entry wrappers of the batch's entry functions, then defines every helper
    /// queued (entry wrappers, and the adapters and thunks that linking the batch needed).
    fn define_helpers(&mut self, program: &Program, batch: &[FuncId], entries: &mut Vec<(FuncId, ClFuncId)>) -> Result<(), JitError> {
        for f in batch {
            let def = program.func(*f);
            if abi::direct_entry(def) {
                entries.push((*f, self.s.func_id(*f).map_err(|m| err(JitErrorKind::Link, Some(&def.name), m))?));
            } else if def.params.is_empty() && (def.kind == FuncKind::ReplEntry || program.main == Some(*f)) {
                let name = self.s.unique_name(&format!("vais${}$entry", def.name));
                let sig = abi::entry_sig(self.s.cc);
                let id = self
                    .s
                    .module
                    .declare_function(&name, Linkage::Local, &sig)
                    .map_err(|e| err(JitErrorKind::Link, Some(&def.name), e.to_string()))?;
                self.s.aux.push(Aux::Entry(*f, id));
            }
        }
        self.define_aux(program, entries)
    }

    /// Defines the helpers in the queue (`Session::aux`), each translated, generated and
    /// linked like a function (an entry wrapper also goes into `entries`). A helper leaves
    /// the queue once defined, so a failure leaves the undefined ones there (to be stubbed).
    fn define_aux(&mut self, program: &Program, entries: &mut Vec<(FuncId, ClFuncId)>) -> Result<(), JitError> {
        while let Some(a) = self.s.aux.last().copied() {
            let (f, id, what) = match a {
                Aux::Adapter(f, id) => (f, id, codegen::What::Adapter(f)),
                Aux::Thunk(f, id) => (f, id, codegen::What::Thunk(f)),
                Aux::Entry(f, id) => (f, id, codegen::What::Entry(f)),
            };
            let def = program.func(f);
            let unit = self.translate(program, def, id, what, false, cache::Anchors::default())?;
            let g = self.generate(unit);
            self.link_generated(program, f, id, g, None).map_err(|m| err(JitErrorKind::Codegen, Some(&def.name), m))?;
            if let Some(i) = self.s.aux.iter().rposition(|x| *x == a) {
                self.s.aux.remove(i);
            }
            if let Aux::Entry(..) = a {
                entries.push((f, id));
            }
        }
        Ok(())
    }

    /// Links the artifacts generated for this batch's jobs (in job order). A function whose
    /// code generation or linking failed gets a trapping body; the first failure is returned.
    fn define_generated(&mut self, program: &Program, outs: Vec<(usize, codegen::Generated)>, done: &mut [(FuncId, Defined)]) -> Result<(), JitError> {
        let meta = std::mem::take(&mut self.jobs_meta);
        let mut by_job: Vec<Option<codegen::Generated>> = (0..meta.len()).map(|_| None).collect();
        for (i, g) in outs {
            by_job[i] = Some(g);
        }
        let mut first: Option<JitError> = None;
        for (m, out) in meta.into_iter().zip(by_job) {
            let res = match out {
                Some(g) => self.link_generated(program, m.f, m.id, g, m.key),
                None => Err("no code was generated".into()),
            };
            match res {
                Ok(d) => done[m.slot].1 = d,
                Err(msg) => {
                    self.stub(m.id);
                    if first.is_none() {
                        first = Some(err(JitErrorKind::Codegen, Some(&program.func(m.f).name), msg));
                    }
                }
            }
        }
        first.map_or(Ok(()), Err)
    }

    /// Defines a body that traps for declared function `id`.
    fn stub(&mut self, id: ClFuncId) {
        let sig = self.s.module.declarations().get_function_decl(id).signature.clone();
        self.ctx.clear();
        self.ctx.func = Function::with_name_signature(UserFuncName::testcase("stub"), sig);
        self.fbc = FunctionBuilderContext::new();
        let mut b = FunctionBuilder::new(&mut self.ctx.func, &mut self.fbc);
        let blk = b.create_block();
        b.append_block_params_for_function_params(blk);
        b.switch_to_block(blk);
        b.seal_block(blk);
        b.ins().trap(cranelift_codegen::ir::TrapCode::unwrap_user(3));
        b.finalize(self.s.module.target_config());
        let _ = self.s.module.define_function(id, &mut self.ctx);
        self.s.module.clear_context(&mut self.ctx);
    }

    /// After a failed batch: defines a trapping body for every function it declared but did
    /// not define.
    fn stub_undefined(&mut self, batch: &[FuncId], ids: &[ClFuncId], done: &[(FuncId, Defined)], entries: &[(FuncId, ClFuncId)]) {
        let _ = entries;
        let mut pending: Vec<ClFuncId> = vec![];
        for (f, id) in batch.iter().zip(ids) {
            if !done.iter().any(|(g, _)| g == f) {
                pending.push(*id);
            }
        }
        for a in std::mem::take(&mut self.s.aux) {
            match a {
                Aux::Adapter(_, id) | Aux::Thunk(_, id) | Aux::Entry(_, id) => {
                    self.s.forget_helper(id);
                    pending.push(id)
                }
            }
        }
        for id in pending {
            self.stub(id);
        }
    }

    /// Translates `what` of `def` (declared as `id`) into a unit (no module involved).
    fn translate(&mut self, program: &Program, def: &FuncDef, id: ClFuncId, what: codegen::What, hot: bool, anchors: cache::Anchors) -> Result<codegen::Unit, JitError> {
        let name = self.s.module.declarations().get_function_decl(id).name.clone().unwrap_or_default();
        codegen::translate(program, def, what, &self.target, &name, hot, anchors, &mut self.fbc).map_err(|m| {
            self.fbc = FunctionBuilderContext::new();
            err(JitErrorKind::Translation, Some(&def.name), m)
        })
    }

    /// Generates `unit`'s artifact on this thread.
    fn generate(&mut self, unit: codegen::Unit) -> codegen::Generated {
        codegen::generate(&mut self.ctx, [&*self.isa, &*self.big_isa], unit)
    }

    /// Links a freshly generated artifact as `f` (or a helper of `f`) declared as `id`, the
    /// same way as a cached one, after storing it in the cache when it has a key.
    fn link_generated(&mut self, program: &Program, f: FuncId, id: ClFuncId, g: codegen::Generated, key: Option<u128>) -> Result<Defined, String> {
        let mut a = g.artifact?;
        if let (Some(key), true) = (key, g.cacheable) {
            if let Some(c) = a.for_cache(self.cie.as_ref()) {
                self.cache.put(key, c);
            }
        }
        let ir = a.ir.take();
        let mut d = self.link_artifact(program, f, id, &a, &g.refs, &g.anchors).map_err(|e| e.unwrap_or_else(|| "its artifact does not link".into()))?;
        d.ir = ir;
        Ok(d)
    }

    /// Links an artifact (fresh or cached) as function `f` (or a helper of `f`) declared as
    /// `id`: resolves its symbols against this program and module (user functions through
    /// `refs`, its reference list; declaring strings, imports, globals, its REPL frame and the
    /// helpers it needs), defines its code, and rebases its positions on `anchors`. The one
    /// place code enters the module. `Err(None)`: the artifact does not fit (nothing was
    /// defined; compile instead); `Err(Some(_))`: defining failed. `ir` is left out.
    fn link_artifact(&mut self, program: &Program, f: FuncId, id: ClFuncId, a: &artifact::Artifact, callees: &[FuncId], anchors: &cache::Anchors) -> Result<Defined, Option<String>> {
        use artifact::Sym;
        use cranelift_module::{ModuleReloc, ModuleRelocTarget};
        let frame = match a.frame {
            Some((size, align)) => {
                let data = self.s.frame_data(&program.func(f).name).map_err(Some)?;
                self.s.define_frame(data, size, align).map_err(Some)?;
                for (off, n, ty) in &a.arrays {
                    self.s.session_arrays.push((data, *off, *n, ty.clone()));
                }
                Some(data)
            }
            None => None,
        };
        let callee = |k: u32| callees.get(k as usize).copied().ok_or(None::<String>);
        let mut relocs = Vec::with_capacity(a.relocs.len());
        for r in &a.relocs {
            let name: ModuleRelocTarget = match &r.sym {
                Sym::User(k) => self.s.func_id(callee(*k)?).map_err(|_| None)?.into(),
                Sym::Adapter(k) => self.s.adapter(program, callee(*k)?).map_err(|_| None)?.into(),
                Sym::Thunk(k) => self.s.thunk(program, callee(*k)?).map_err(|_| None)?.into(),
                Sym::Cell(k) => self.s.cell(callee(*k)?).ok_or(None)?.into(),
                Sym::Import(n, sig) => self.s.import(n, sig).map_err(|_| None)?.into(),
                Sym::Str(b) => self.s.string(b).map_err(|_| None)?.into(),
                Sym::Interrupt => self.s.interrupt_flag().map_err(|_| None)?.ok_or(None)?.into(),
                Sym::LibCall(l) => ModuleRelocTarget::LibCall(*l),
                Sym::SelfOffset(o) => ModuleRelocTarget::FunctionOffset(id, *o),
                Sym::Global(g) => self.s.global_data(program, GlobalId(*g)).map_err(Some)?.into(),
                Sym::Frame => frame.ok_or(None)?.into(),
                Sym::Counter => {
                    let init = self.tier.as_ref().map_or(i64::MAX / 2, |t| t.start_count());
                    self.s.counter(program, f, init).map_err(Some)?.into()
                }
            };
            relocs.push(ModuleReloc { offset: r.offset, kind: r.kind, name, addend: r.addend });
        }
        let loc = |l: Result<artifact::Pos, u32>| -> Result<u32, Option<String>> {
            match l {
                Ok(p) => anchors.abs(p).map(|(_, off)| off).ok_or(None),
                Err(i) => Ok(translate::INLINE_LOC | i),
            }
        };
        let mut srcs = Vec::with_capacity(a.srcs.len());
        for (s, e, l) in &a.srcs {
            srcs.push((*s, *e, loc(*l)?));
        }
        let mut traps = Vec::with_capacity(a.traps.len());
        for (o, c) in &a.traps {
            traps.push((*o, artifact::trap_code(*c).ok_or(None)?));
        }
        let mut locs = Vec::with_capacity(a.locs.len());
        for (sp, n) in &a.locs {
            locs.push((anchors.span(*sp).ok_or(None)?, n.clone()));
        }
        let mut inline = translate::InlineTable::default();
        for (n, p, sp) in &a.inline_frames {
            inline.frames.push((n.clone(), *p, anchors.span(*sp).ok_or(None)?));
        }
        for (fr, p) in &a.inline_locs {
            let (file, off) = anchors.abs(*p).ok_or(None)?;
            inline.locs.push((*fr, file, off));
        }
        for l in &a.trap_locs {
            inline.trap_locs.push(match l {
                None => u32::MAX,
                Some(l) => loc(*l)?,
            });
        }
        self.s.module.define_function_bytes(id, a.align, &a.code, &relocs).map_err(|e| Some(format!("{e:?}")))?;
        self.unwinds.push((id, a.code.len(), a.unwind.clone()));
        Ok(Defined { ir: None, len: a.code.len(), sites: a.sites.clone(), locs, traps, srcs, inline })
    }

    /// The tier this session compiles with.
    pub fn tier(&self) -> Tier {
        self.s.config.tier()
    }

}

impl Jit {
    /// Code pointer of a compiled function (its own convention, see the crate docs).
    pub fn code_ptr(&self, f: FuncId) -> Option<*const u8> {
        self.compiled.get(&f).filter(|c| c.code != 0).map(|c| c.code as *const u8)
    }

    /// The `extern "C" fn(out: *mut u8)` wrapper of an entry function (`main` or a REPL entry
    /// with no parameters), for [`call_entry`].
    pub fn entry_ptr(&self, f: FuncId) -> Option<*const u8> {
        self.compiled.get(&f).and_then(|c| c.entry).map(|c| c as *const u8)
    }

    /// Cranelift IR text of a function, as handed to the code generator (with
    /// [`JitConfig::keep_ir`]), else `None`.
    pub fn clif(&self, f: FuncId) -> Option<String> {
        self.clif_at(f, None)
    }

    /// Disassembly (VCode text, with [`JitConfig::keep_ir`]), else `None`. The kept IR is
    /// compiled again with the session's ISA and flags, so the text matches the code in use.
    pub fn asm(&self, f: FuncId) -> Option<String> {
        self.asm_at(f, None)
    }

    /// Size in bytes of a function's machine code.
    pub fn code_len(&self, f: FuncId) -> Option<usize> {
        self.compiled.get(&f).map(|c| c.len)
    }

    /// Address of a session global's storage (after a `compile` that referenced it, or
    /// [`Jit::define_globals`]).
    pub fn global_addr(&self, g: GlobalId) -> Option<*mut u8> {
        let id = self.s.globals.get(&g)?;
        Some(self.s.module.get_finalized_data(*id).0 as *mut u8)
    }

    /// Allocates storage for every session global not yet allocated (and finalizes).
    pub fn define_globals(&mut self, program: &Program) -> Result<(), JitError> {
        for i in 0..program.globals.len() {
            self.s.global_data(program, GlobalId(i as u32)).map_err(|m| err(JitErrorKind::Link, None, m))?;
        }
        self.s.module.finalize_definitions().map_err(|e| err(JitErrorKind::Link, None, format!("finalizing: {e}")))
    }

    /// The length and element type of the array literal of a REPL input stored at `addr`, if
    /// there is one there. Such storage is never reused, so a pointer with that address always
    /// designates that array (its elements may have been changed since).
    pub fn known_array(&self, addr: usize) -> Option<(u32, &Ty)> {
        self.arrays.get(&addr).map(|(n, t)| (*n, t))
    }

    /// Size, alignment and field offsets of `ty`.
    pub fn layout(&self, program: &Program, ty: &Ty) -> Layout {
        layout::layout_of(program, ty)
    }

    /// Size in bytes of a value of `ty`, with the struct and enum definitions of the program
    /// last passed to [`Jit::compile`].
    pub fn size_of(&self, ty: &Ty) -> usize {
        layout::layout_of(&self.types, ty).size as usize
    }

    /// Frees all compiled code and data (for `:clear`).
    ///
    /// # Safety
    /// No pointer obtained from this session (code, entry, global) may be used afterwards.
    pub unsafe fn free_memory(mut self) {
        // The unwinder must forget the code before it goes.
        self.placed.release();
        // SAFETY: the caller guarantees no code or data of this module is still in use.
        unsafe { self.s.module.free_memory() }
    }
}

/// `(offset from the function's start, code)` of each trap instruction of compiled code.
fn trap_list(c: &cranelift_codegen::CompiledCode) -> Vec<(u32, TrapCode)> {
    c.buffer.traps().iter().map(|t| (t.offset, t.code)).collect()
}

/// Runs an entry wrapper (from [`Jit::entry_ptr`]) and writes the entry function's result into
/// `out`, a buffer of at least `size_of(ret)` bytes (aligned to 8): scalars in host order,
/// aggregates copied.
///
/// # Safety
/// `entry` must come from `entry_ptr` of a live `Jit`; `out` must be valid for the write. Faults
/// in the generated code are the runtime's business (signal handlers / protected call).
pub unsafe fn call_entry(entry: *const u8, out: *mut u8) {
    // SAFETY: entry wrappers are compiled with the host's C calling convention and the
    // signature `(out: ptr) -> ()` (abi::entry_sig); this is the only such cast in the crate.
    vais_runtime::faults::set_entry_function(entry as usize);
    unsafe {
        let f: extern "C" fn(*mut u8) = std::mem::transmute(entry);
        f(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cranelift_codegen::ir::{types, AbiParam, InstBuilder, Signature};

    fn isa(verify: bool) -> cranelift_codegen::isa::OwnedTargetIsa {
        let mut b = cranelift_codegen::settings::builder();
        cranelift_codegen::settings::Configurable::set(&mut b, "enable_verifier", if verify { "true" } else { "false" }).unwrap();
        cranelift_native::builder().unwrap().finish(cranelift_codegen::settings::Flags::new(b)).unwrap()
    }

    /// `fn() -> i64` whose body returns an `i32`: ill-typed IR, as a translation bug would make.
    fn ill_typed(isa: &dyn cranelift_codegen::isa::TargetIsa) -> Function {
        let mut sig = Signature::new(cranelift_codegen::isa::CallConv::SystemV);
        sig.returns.push(AbiParam::new(types::I64));
        let mut func = Function::with_name_signature(UserFuncName::testcase("bad"), sig);
        let mut fbc = FunctionBuilderContext::new();
        let mut b = FunctionBuilder::new(&mut func, &mut fbc);
        let blk = b.create_block();
        b.switch_to_block(blk);
        b.seal_block(blk);
        let v = b.ins().iconst(types::I32, 1);
        b.ins().return_(&[v]);
        b.finalize(isa.frontend_config());
        func
    }

    /// Ill-typed IR never compiles silently and never escapes as a panic: with the verifier on
    /// (debug builds, tests, `VAIS_VERIFY`) it is a verifier error; with it off (release) the
    /// failure, if any, is diagnosed by the verifier on the failure path.
    #[test]
    fn ill_typed_ir_is_a_clean_error() {
        for verify in [true, false] {
            let isa = isa(verify);
            let (tx, rx) = std::sync::mpsc::channel::<Job>();
            let unit = codegen::Unit {
                func: ill_typed(&*isa),
                syms: codegen::Syms::default(),
                trap_sites: vec![],
                sites: vec![],
                inline: translate::InlineTable::default(),
                frame: None,
                arrays: vec![],
                file: 0,
                anchors: cache::Anchors::default(),
                keep_ir: false,
                unwind: true,
            };
            tx.send((0, unit)).unwrap();
            drop(tx);
            let out = generate_code([&*isa, &*isa], &std::sync::Mutex::new(rx));
            assert_eq!(out.len(), 1);
            match (&out[0].1.artifact, verify) {
                (Err(m), _) => assert!(m.contains("verifier"), "verify={verify}: {m}"),
                (Ok(_), true) => panic!("the verifier accepted ill-typed IR"),
                // Cranelift may compile it when nothing checks; that is what `VAIS_VERIFY` and
                // the TIR verifier are for.
                (Ok(_), false) => {}
            }
        }
    }
}
