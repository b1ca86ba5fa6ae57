//! Code generation as a pure function: one TIR function (or one helper of it) in, one
//! module-free [`Artifact`] out.
//!
//! [`translate`] lowers a function to Cranelift IR with no `cranelift_module::Module` in
//! scope: every function and data object the code refers to is a [`Sym`] interned in the
//! function's own symbol table ([`Syms`]), and the IR names it by its index there (a
//! `UserExternalName` in namespace 0 for functions, 1 for data). [`generate`] compiles that IR
//! and turns the machine code, its relocations (through the table), trap instructions,
//! source ranges, fault sites and unwind description into an [`Artifact`]. Neither reads or
//! writes any global state, registers anything or embeds an address, so both run on any
//! thread (the batch path runs [`generate`] on helper threads, tier-up runs it on its own).
//!
//! Invariants:
//! - A user function is named by its position in the unit's reference list ([`Unit::refs`]):
//!   a function's list starts as its callees in first-use order (`cache::callees`, which the
//!   content hash fixes), a helper's as empty (the wrapped function is then its only entry).
//!   The linker resolves the list against the program it links; an artifact whose list grew
//!   past the callees (never expected) is simply not cached.
//! - Whether a symbol is colocated follows the linkage the linker gives it (its own code and
//!   data: yes; imports and the runtime's interrupt flag: no), as `declare_func_in_func` did.
//! - Source positions in the artifact are relative to the unit's anchors (empty: absolute).

use std::collections::HashMap;

use cranelift_codegen::ir::{self, ExternalName, Function, Signature, UserExternalName, UserFuncName};
use cranelift_codegen::isa::{CallConv, TargetFrontendConfig, TargetIsa};
use cranelift_codegen::{Context, FinalizedRelocTarget};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use vais_ast::Span;
use vais_tir::{FuncDef, FuncId, FuncKind, Program, Ty};
use vais_runtime::TrapKind;

use crate::abi;
use crate::artifact::{ArtReloc, Artifact, Pos, Sym, Unwind};
use crate::cache::Anchors;
use crate::translate::{InlineTable, Tr, INLINE_LOC};
use crate::JitConfig;

/// What translation needs to know about the target and the session's settings (no module).
#[derive(Clone)]
pub(crate) struct TrTarget {
    pub cc: CallConv,
    pub frontend: TargetFrontendConfig,
    pub repl_mode: bool,
    pub interrupt_polls: bool,
    pub keep_ir: bool,
    /// Source positions on instructions (line tables); off only by the `VAIS_JIT_NO_LINES`
    /// measurement knob.
    pub lines: bool,
    /// Unwind descriptions; off only by the `VAIS_JIT_NO_UNWIND` measurement knob.
    pub unwind: bool,
}

impl TrTarget {
    pub fn new(isa: &dyn TargetIsa, config: &JitConfig) -> TrTarget {
        TrTarget {
            cc: isa.default_call_conv(),
            frontend: isa.frontend_config(),
            repl_mode: config.repl_mode,
            interrupt_polls: config.interrupt_polls,
            keep_ir: config.keep_ir,
            lines: crate::placed::lines_enabled(),
            unwind: crate::placed::unwind_enabled(),
        }
    }
}

/// What a unit is: a function's own body, or one of the helpers the linker makes for a
/// function (`session::Aux`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum What {
    /// The function itself (a lambda takes the closure convention).
    Function,
    /// The `(out?, env, params...)` adapter of a function used as a value.
    Adapter(FuncId),
    /// The `(out?, env)` thunk running a future of an async function.
    Thunk(FuncId),
    /// The `extern "C" fn(out)` wrapper of an entry function.
    Entry(FuncId),
}

/// The Cranelift signature of `what` for `def` (the linker declares it with the same one).
pub(crate) fn signature(cc: CallConv, def: &FuncDef, what: What) -> Signature {
    match what {
        What::Function => abi::func_sig(cc, def),
        What::Adapter(_) => abi::vais_sig(cc, &def.param_types(), &def.ret, true),
        What::Thunk(_) => abi::thunk_sig(cc, &def.ret),
        What::Entry(_) => abi::entry_sig(cc),
    }
}

/// A function's symbol table: every symbol its code refers to, by index, and its reference
/// list of user functions (see the module comment).
#[derive(Debug, Default)]
pub(crate) struct Syms {
    pub list: Vec<Sym>,
    index: HashMap<Sym, u32>,
    pub refs: Vec<FuncId>,
    ref_index: HashMap<FuncId, u32>,
    /// How many entries of `refs` are the function's callees (the rest were added).
    pub callees: usize,
}

impl Syms {
    pub fn new(refs: Vec<FuncId>) -> Syms {
        let ref_index = refs.iter().enumerate().map(|(i, f)| (*f, i as u32)).collect();
        Syms { list: vec![], index: HashMap::new(), callees: refs.len(), refs, ref_index }
    }

    /// The position of `f` in the reference list (added at the end if missing).
    pub fn func(&mut self, f: FuncId) -> u32 {
        if let Some(k) = self.ref_index.get(&f) {
            return *k;
        }
        let k = self.refs.len() as u32;
        self.refs.push(f);
        self.ref_index.insert(f, k);
        k
    }

    /// The index of `s` in the table, and whether it was new.
    pub fn intern(&mut self, s: Sym) -> (u32, bool) {
        if let Some(i) = self.index.get(&s) {
            return (*i, false);
        }
        let i = self.list.len() as u32;
        self.list.push(s.clone());
        self.index.insert(s, i);
        (i, true)
    }
}

/// Whether code refers to `s` as to something the linker places near it (see the module
/// comment).
pub(crate) fn colocated(s: &Sym) -> bool {
    !matches!(s, Sym::Import(..) | Sym::Interrupt)
}

/// A translated function, ready for [`generate`] (on any thread).
pub(crate) struct Unit {
    pub func: Function,
    pub syms: Syms,
    /// `(kind, site)` of each site trap code.
    pub trap_sites: Vec<(TrapKind, u32)>,
    /// Each fault site's span and the inlined function it is in.
    pub sites: Vec<(Span, Option<String>)>,
    pub inline: InlineTable,
    /// A REPL entry's frame: its size and alignment.
    pub frame: Option<(u32, u32)>,
    /// Array literals in the frame: (offset, length, element type).
    pub arrays: Vec<(u32, u32, Ty)>,
    /// The source file of the function's own positions.
    pub file: u32,
    pub anchors: Anchors,
    pub keep_ir: bool,
    /// Whether to describe how to unwind the code (see [`TrTarget::unwind`]).
    pub unwind: bool,
}

/// Translates `def` (or a helper of it, see [`What`]) into a Cranelift function named `name`.
/// `hot`: baseline REPL code that counts towards tier-up in its counter (`Sym::Counter`, see
/// `tierup.rs`). `Err`: why translation failed (a panic included; `fbc`
/// must then be replaced).
#[allow(clippy::too_many_arguments)]
pub(crate) fn translate(
    p: &Program,
    def: &FuncDef,
    what: What,
    target: &TrTarget,
    name: &str,
    hot: bool,
    anchors: Anchors,
    fbc: &mut FunctionBuilderContext,
) -> Result<Unit, String> {
    let sig = signature(target.cc, def, what);
    let mut func = Function::with_name_signature(UserFuncName::testcase(name), sig);
    // Cranelift stores each instruction's position relative to a base, by default the first
    // position set, and a relative position of -1 is its "no position" marker: the position
    // one below the first was silently lost (in an inlined copy, typically its first call,
    // whose arguments are positioned first: a fault in `printf` reported the format string's
    // column). Positions are byte offsets or inline-table indexes, never `u32::MAX`: with a
    // base of 0 every one survives.
    func.params.ensure_base_srcloc(cranelift_codegen::ir::SourceLoc::new(0));
    let refs = if what == What::Function { crate::cache::callees(def) } else { vec![] };
    let r = crate::catch_codegen(|| {
        let b = FunctionBuilder::new(&mut func, fbc);
        let mut tr = Tr::new(target, Syms::new(refs), p, def, b);
        match what {
            What::Function => {
                tr.hot = hot;
                tr.translate_function(def.kind == FuncKind::Lambda)?
            }
            // Helpers are not registered as code ranges: any check they make calls
            // `vais_rt_trap` (no site trap codes).
            What::Adapter(f) => {
                tr.trap_codes_left = 0;
                tr.translate_adapter(f)?
            }
            What::Thunk(f) => {
                tr.trap_codes_left = 0;
                tr.translate_thunk(f)?
            }
            What::Entry(f) => {
                tr.trap_codes_left = 0;
                tr.translate_entry(f)?
            }
        }
        tr.b.finalize(target.frontend);
        Ok::<_, String>((tr.syms, tr.trap_sites, tr.sites, std::mem::take(&mut tr.inline), tr.frame_size, std::mem::take(&mut tr.arrays)))
    });
    let (syms, trap_sites, sites, inline, frame, arrays) = match r {
        Ok(Ok(x)) => x,
        Ok(Err(m)) => return Err(m),
        Err(msg) => return Err(format!("codegen panicked: {msg}")),
    };
    Ok(Unit { func, syms, trap_sites, sites, inline, frame, arrays, file: def.span.file.0, anchors, keep_ir: target.keep_ir, unwind: target.unwind })
}

/// What [`generate`] made of a unit: the artifact (or why there is none), and what the linker
/// resolves it with.
pub(crate) struct Generated {
    pub artifact: Result<Artifact, String>,
    /// The unit's reference list ([`Unit::refs`]).
    pub refs: Vec<FuncId>,
    pub anchors: Anchors,
    /// Whether the reference list is exactly the function's callees (the artifact can then
    /// be cached).
    pub cacheable: bool,
}

/// Compiles `unit` with `isas[0]`, or `isas[1]` for a function of more than
/// `BIG_FUNCTION` instructions, into its artifact. `ctx` is scratch space.
pub(crate) fn generate(ctx: &mut Context, isas: [&dyn TargetIsa; 2], unit: Unit) -> Generated {
    let Unit { func, syms, trap_sites, sites, inline, frame, arrays, file, anchors, keep_ir, unwind } = unit;
    let cacheable = syms.refs.len() == syms.callees;
    let ir = keep_ir.then(|| Box::new(func.clone()));
    ctx.clear();
    ctx.func = func;
    let isa = if crate::is_big(&ctx.func) { isas[1] } else { isas[0] };
    let artifact = compile(ctx, isa, unwind).and_then(|(align, code, relocs, traps, srcs, unwind)| {
        let a = &anchors;
        let loc = |bits: u32| -> Result<Pos, u32> {
            if bits & INLINE_LOC != 0 {
                Err(bits & !INLINE_LOC)
            } else {
                Ok(a.pos(file, bits))
            }
        };
        let mut out = Vec::with_capacity(relocs.len());
        for r in relocs {
            let sym = match r.target {
                FinalizedRelocTarget::ExternalName(ExternalName::User(n)) => {
                    let i = ctx.func.params.user_named_funcs()[n].index;
                    syms.list.get(i as usize).cloned().ok_or_else(|| format!("relocation against unknown symbol {i}"))?
                }
                FinalizedRelocTarget::ExternalName(ExternalName::LibCall(l)) => Sym::LibCall(l),
                FinalizedRelocTarget::Func(o) => Sym::SelfOffset(o),
                t => return Err(format!("unexpected relocation target {t:?}")),
            };
            out.push(ArtReloc { offset: r.offset, kind: r.kind, sym, addend: r.addend });
        }
        Ok(Artifact {
            align,
            code,
            relocs: out,
            traps: traps.iter().map(|(o, c)| (*o, c.as_raw().get())).collect(),
            srcs: srcs.iter().map(|(s, e, l)| (*s, *e, loc(*l))).collect(),
            sites: trap_sites,
            locs: sites.iter().map(|(sp, n)| (a.rel_span(*sp), n.clone())).collect(),
            inline_frames: inline.frames.iter().map(|(n, p, sp)| (n.clone(), *p, a.rel_span(*sp))).collect(),
            inline_locs: inline.locs.iter().map(|(fr, file, off)| (*fr, a.pos(*file, *off))).collect(),
            trap_locs: inline.trap_locs.iter().map(|b| (*b != u32::MAX).then(|| loc(*b))).collect(),
            unwind: unwind.map(Unwind::Fresh),
            frame,
            arrays,
            ir,
        })
    });
    Generated { artifact, refs: syms.refs, anchors, cacheable }
}

/// Machine code of the function in `ctx`: (alignment, bytes, relocations, trap instructions,
/// source ranges, unwind information), or why there is none.
#[allow(clippy::type_complexity)]
fn compile(
    ctx: &mut Context,
    isa: &dyn TargetIsa,
    unwind: bool,
) -> Result<(u64, Vec<u8>, Vec<cranelift_codegen::FinalizedMachReloc>, Vec<(u32, ir::TrapCode)>, Vec<vais_runtime::faults::SrcRange>, Option<cranelift_codegen::isa::unwind::UnwindInfo>), String> {
    let mut cp = cranelift_codegen::control::ControlPlane::default();
    let r = crate::catch_codegen(|| match ctx.compile(isa, &mut cp) {
        Ok(c) => Ok(c.buffer.alignment as u64),
        Err(e) => Err(crate::codegen_error(&e.inner)),
    });
    match (r, ctx.compiled_code()) {
        (Ok(Ok(align)), Some(c)) => Ok((
            align,
            c.code_buffer().to_vec(),
            c.buffer.relocs().to_vec(),
            crate::trap_list(c),
            crate::src_ranges(c),
            if unwind { c.create_unwind_info(isa).ok().flatten() } else { None },
        )),
        (Ok(Err(m)), _) => Err(format!("{}\n{}", crate::codegen_failure(isa, &ctx.func, m), ctx.func.display())),
        (Ok(Ok(_)), None) => Err("no compiled code".into()),
        (Err(p), _) => Err(crate::codegen_failure(isa, &ctx.func, format!("code generation panicked: {p}"))),
    }
}

/// Names symbol `i` of the table in `func`: a function reference.
pub(crate) fn import_function(func: &mut Function, i: u32, sig: Signature, colocated: bool) -> ir::FuncRef {
    let signature = func.import_signature(sig);
    let name = func.declare_imported_user_function(UserExternalName { namespace: 0, index: i });
    func.import_function(ir::ExtFuncData { name: ExternalName::user(name), signature, colocated, patchable: false })
}

/// Names symbol `i` of the table in `func`: a data object's address.
pub(crate) fn import_data(func: &mut Function, i: u32, colocated: bool) -> ir::GlobalValue {
    let name = func.declare_imported_user_function(UserExternalName { namespace: 1, index: i });
    func.create_global_value(ir::GlobalValueData::Symbol { name: ExternalName::user(name), offset: ir::immediates::Imm64::new(0), colocated, tls: false })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifact::Sym;

    const PROGRAM: &str = r#"
F twice(x: i64) -> i64 = x * 2
F main() -> i64 {
    puts("pure")
    L i: 0..3 { twice(i) }
    twice(21) / 3
}
"#;

    fn isa() -> cranelift_codegen::isa::OwnedTargetIsa {
        let mut b = cranelift_codegen::settings::builder();
        cranelift_codegen::settings::Configurable::set(&mut b, "preserve_frame_pointers", "true").unwrap();
        cranelift_native::builder().unwrap().finish(cranelift_codegen::settings::Flags::new(b)).unwrap()
    }

    fn program() -> Program {
        let (module, diags) = vais_parser::parse_file(vais_ast::FileId(0), PROGRAM);
        assert!(diags.is_empty(), "{diags:?}");
        let (program, diags) = vais_types::check_program(&module);
        program.unwrap_or_else(|| panic!("{diags:?}"))
    }

    /// Translation and code generation need no `cranelift_module::Module` (none is in scope
    /// here): a function compiles to an artifact on two threads at once, with identical bytes,
    /// relocations by symbol and metadata, in either mode.
    #[test]
    fn a_function_compiles_to_an_artifact_without_a_module() {
        let p = program();
        let main = p.main.expect("main");
        let isa = isa();
        for repl_mode in [false, true] {
            let config = JitConfig { repl_mode, interrupt_polls: true, ..JitConfig::default() };
            let target = TrTarget::new(&*isa, &config);
            let compile = || {
                let mut fbc = FunctionBuilderContext::new();
                let unit = translate(&p, p.func(main), What::Function, &target, "main", repl_mode, Anchors::default(), &mut fbc).expect("translates");
                let g = generate(&mut Context::new(), [&*isa, &*isa], unit);
                (g.artifact.expect("generates"), g.refs)
            };
            let (a, b) = std::thread::scope(|s| {
                let a = s.spawn(compile);
                let b = s.spawn(compile);
                (a.join().unwrap(), b.join().unwrap())
            });
            assert_eq!(a, b, "repl_mode={repl_mode}");
            let (art, refs) = a;
            assert_eq!(refs.iter().map(|f| p.func(*f).name.as_str()).collect::<Vec<_>>(), ["twice"]);
            let syms: Vec<&Sym> = art.relocs.iter().map(|r| &r.sym).collect();
            let has = |want: &dyn Fn(&Sym) -> bool| syms.iter().any(|s| want(s));
            assert!(has(&|s| *s == Sym::Str(b"pure".to_vec())), "{syms:?}");
            assert!(has(&|s| matches!(s, Sym::Import(n, _) if n == "vais_puts")), "{syms:?}");
            assert!(has(&|s| *s == Sym::Interrupt), "{syms:?}");
            // Calls go to the callee's symbol, or in REPL mode through its cell.
            let call = if repl_mode { Sym::Cell(0) } else { Sym::User(0) };
            assert!(has(&|s| *s == call), "{syms:?}");
            // Tier-up counting refers to the counter by symbol too: no address in the code.
            assert_eq!(has(&|s| *s == Sym::Counter), repl_mode, "{syms:?}");
            assert!(!art.srcs.is_empty() && !art.code.is_empty());
            assert!(!art.traps.is_empty(), "the interrupt polls are trap instructions");
            // Nothing in it is session-bound: it encodes for the cache and reads back.
            let cached = art.for_cache(isa.create_systemv_cie().as_ref()).expect("has an unwind description");
            let bytes = cached.encode().expect("cacheable");
            let back = Artifact::decode(&bytes, target.cc).expect("decodes");
            assert_eq!((back.code, back.relocs), (art.code.clone(), art.relocs.clone()));
        }
    }
}
