//! Lowering of one TIR function body to Cranelift IR.
//!
//! All per-function state lives in [`Tr`]; there is one `translate_*`-style method per
//! construct. Values are [`Val`]s: `Unit` (no representation, also what a diverging expression
//! yields), `S` (a scalar SSA value) or `M` (the address of an aggregate in memory). Places are
//! [`Place`]s: an SSA variable or a memory address.
//!
//! Invariants:
//! - Each local is decided once: `()` locals have no storage, scalar locals that are never
//!   address-taken are `Variable`s, struct and tuple locals used only through scalar field
//!   paths (never whole, never address-taken) are one `Variable` per scalar leaf, everything
//!   else lives in a stack slot created once per function (never per loop iteration).
//!   Aggregate parameters use the caller's copy in place.
//! - After a diverging instruction (return, jump for break/continue, trap, `exit`) translation
//!   continues in a fresh, sealed, unreachable block.
//! - Aggregate call arguments are copied into a fresh slot as soon as they are evaluated, so
//!   later arguments cannot change an earlier one (value semantics).
//! - Blocks are sealed as soon as all their predecessors are known.

use std::collections::{HashMap, HashSet};

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    types, Block, BlockArg, FuncRef, GlobalValue, InstBuilder, MemFlagsData, StackSlotData,
    StackSlotKind, TrapCode, Type, Value,
};
use cranelift_frontend::{FunctionBuilder, Variable};
use vais_ast::Span;
use vais_tir::{
    BinaryOp, Block as TBlock, Builtin, Callee, EnumId, Expr, ExprKind, FuncDef, FuncId, FuncKind,
    GlobalId, IntTy, LocalId, LoopKind, Pattern, PatternKind, Program, Stmt, Ty, UnaryOp,
};

use crate::abi::{self, pass_ty, scalar_ty, RtFn, PTR};
use crate::layout::{is_aggregate, is_zst, layout_of, Layout};
use crate::artifact::Sym;
use crate::codegen::{self, Syms, TrTarget};
use vais_runtime::printf::ArgKind;
use vais_runtime::TrapKind;

pub(crate) type R<T> = Result<T, String>;

/// A translated value.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Val {
    Unit,
    S(Value),
    M(Value),
}

enum Storage {
    Zst,
    Var(Variable),
    Slot(Slot),
    Addr(Value),
    /// A struct or tuple local whose only uses are scalar field paths (scalar replacement):
    /// one variable per non-zero-sized scalar leaf, keyed by the leaf's byte offset.
    Split(Vec<(u32, Variable, Type)>),
}

/// Storage reserved for the whole invocation of a function: a Cranelift stack slot, or (REPL
/// entries) a range of the input's frame in session memory ([`SessionFrame`]).
#[derive(Clone, Copy, Debug)]
enum Slot {
    Stack(cranelift_codegen::ir::StackSlot),
    Session(u32),
}

/// REPL mode: a top-level input's "stack frame" lives in a data object of the JIT session, so
/// that what the input leaves in session variables or prints (array literals, references to its
/// locals, aggregates holding them) stays valid after the entry returns. An entry runs once and
/// never re-enters, so one fixed block per input has the semantics of its stack frame.
struct SessionFrame {
    /// Address of the data object, computed in the entry block (dominates every use).
    base: Value,
    size: u32,
    align: u32,
}

enum Place {
    Var(Variable),
    /// At `base + offset` (the offset goes into the load/store instructions).
    Mem(Value, u32),
    Zst,
}

/// Where a call to a Vais-convention function goes.
enum Target {
    Direct(FuncRef),
    Indirect(Value),
}

pub(crate) fn flags() -> MemFlagsData {
    MemFlagsData::new()
}

pub(crate) struct Tr<'a, 'f> {
    /// The target and the session's settings (no module: see `codegen.rs`).
    pub t: &'a TrTarget,
    /// Every symbol the code refers to (`codegen::Syms`).
    pub syms: Syms,
    pub p: &'a Program,
    pub def: &'a FuncDef,
    pub b: FunctionBuilder<'f>,
    locals: Vec<Storage>,
    ret_ptr: Option<Value>,
    /// (continue target, exit) of the enclosing loops, innermost last.
    loops: Vec<(Block, Block)>,
    /// Set while translating the inner loop of a jammed nest (`crate::jam`): the outer loop's
    /// variable and its first value; the inner body is translated for it and for the next.
    jam: Option<(Option<LocalId>, Value)>,
    /// The locals each enclosing loop may change between iterations (`crate::hoist`),
    /// innermost last.
    variant: Vec<std::sync::Arc<HashSet<LocalId>>>,
    /// Function references and data addresses named so far, by symbol index.
    frefs: HashMap<u32, FuncRef>,
    gvs: HashMap<u32, GlobalValue>,
    /// Runtime helpers called so far, by symbol name.
    rt_refs: HashMap<&'static str, FuncRef>,
    layouts: HashMap<Ty, std::sync::Arc<Layout>>,
    /// Address of the interrupt flag, computed once in the entry block (dominates every poll).
    flag_addr: Option<Value>,
    /// Locals whose address is taken.
    taken: HashSet<LocalId>,
    /// REPL entries: the input's frame in session memory (see [`SessionFrame`]).
    frame: Option<SessionFrame>,
    /// A REPL entry's frame once translated: (size, alignment).
    pub frame_size: Option<(u32, u32)>,
    /// Array literals placed in the frame: (offset, length, element type); the REPL prints
    /// them by their address.
    pub arrays: Vec<(u32, u32, Ty)>,
    /// The `(kind, site)` of each conditional trap instruction emitted so far: entry `i` uses
    /// the user trap code `FIRST_SITE_CODE + i` (see [`Tr::trap_if`]).
    pub trap_sites: Vec<(TrapKind, u32)>,
    /// The source position of each fault site of this function, by site index (the `site`
    /// argument of `vais_rt_trap`, the site of a trap code), and the inlined function it is in
    /// (inside an inlined copy; fault messages name that function).
    pub sites: Vec<(Span, Option<String>)>,
    /// How many site trap codes this function may still use (0: every check takes the
    /// block-based path that calls `vais_rt_trap`).
    pub trap_codes_left: usize,
    /// The one site trap code every interrupt poll of this function shares (an interrupt is
    /// reported without a position), taken at the first poll.
    interrupt_code: Option<TrapCode>,
    /// Baseline REPL code of a function that may tier up (`tierup.rs`): it counts in its
    /// hotness counter (`Sym::Counter`) and calls `vais_rt_hot` when it runs out.
    pub hot: bool,
    /// Inlined copies translated so far and the source positions inside them (see
    /// [`InlineTable`]); the innermost copy being translated, if any.
    pub inline: InlineTable,
    cur_inline: Option<u32>,
}

/// Source locations with this bit set are not byte offsets but indexes into
/// [`InlineTable::locs`]: positions inside inlined copies (`ExprKind::Inlined`).
pub(crate) const INLINE_LOC: u32 = 1 << 31;

/// Where a function's inlined code comes from: each inlined copy (`frames`: the inlined
/// function's name, the enclosing copy if nested, and the call's span in the enclosing code),
/// and each source position inside a copy (`locs`: the copy, then file number and byte offset).
#[derive(Default, Debug)]
pub(crate) struct InlineTable {
    pub frames: Vec<(String, Option<u32>, Span)>,
    pub locs: Vec<(u32, u32, u32)>,
    /// The source location (as set on instructions) of each site trap code's check, by code
    /// index: Cranelift places the trap instruction itself out of line, with no location.
    pub trap_locs: Vec<u32>,
}

/// The index of a site trap code in the function's site table.
pub(crate) fn site_index(code: TrapCode) -> Option<usize> {
    code.as_raw().get().checked_sub(FIRST_SITE_CODE).map(usize::from)
}

/// The first user trap code that names a per-function trap site (1..3 mark unreachable code:
/// after `vais_rt_trap`, after a call that never returns, a stub body).
pub(crate) const FIRST_SITE_CODE: u8 = 4;

/// How many site codes a function can use: `FIRST_SITE_CODE..=` the last user code Cranelift
/// allows (the codes above it are reserved).
pub(crate) fn site_code_count() -> usize {
    (FIRST_SITE_CODE..=u8::MAX).take_while(|&c| TrapCode::user(c).is_some()).count()
}

/// The `(kind, site)` a trap code stands for in a function whose site table is `sites`, if it
/// is a site code.
pub(crate) fn site_of_code(sites: &[(TrapKind, u32)], code: TrapCode) -> Option<(TrapKind, u32)> {
    let i = code.as_raw().get().checked_sub(FIRST_SITE_CODE)?;
    sites.get(i as usize).copied()
}

/// Iconst of any integer type (including `I128`), value masked to the width.
pub(crate) fn iconst(b: &mut FunctionBuilder, t: Type, v: i128) -> Value {
    if t == types::I128 {
        let lo = b.ins().iconst(types::I64, v as u64 as i64);
        let hi = b.ins().iconst(types::I64, (v >> 64) as u64 as i64);
        return b.ins().iconcat(lo, hi);
    }
    let bits = t.bits();
    let masked = if bits >= 64 { v as u64 } else { (v as u64) & ((1u64 << bits) - 1) };
    b.ins().iconst(t, masked as i64)
}

/// One pass over a body collecting, into `taken`, the locals whose address is taken (they must
/// live in memory) and, into `whole`, the locals used other than through a field path of
/// scalar (or zero-sized) type rooted at the local: a whole-value read, an aggregate field, a
/// capture, an argument... Those cannot be scalar-replaced. (A `Let` initialising the local
/// and an `Assign` of the whole local are not uses: a scalar-replaced local takes the value's
/// leaves; nor is a whole copy into another local, which goes leaf by leaf. Should a copy's
/// destination stay in memory after all, the read gathers the leaves into a temporary.)
fn scan_locals(e: &Expr, taken: &mut HashSet<LocalId>, whole: &mut HashSet<LocalId>) {
    fn root(mut e: &Expr) -> Option<LocalId> {
        loop {
            match &e.kind {
                ExprKind::Local(l) => return Some(*l),
                ExprKind::Field { base, .. } => e = base,
                _ => return None,
            }
        }
    }
    // A local copied whole into another (`let`, an inlined call's argument, an assignment)
    // goes leaf by leaf when both are scalar-replaced: not a whole use.
    let copy = |x: &Expr| matches!(x.kind, ExprKind::Local(_));
    match &e.kind {
        ExprKind::Local(l) => {
            whole.insert(*l);
            return;
        }
        // Assigning a whole local: a scalar-replaced one takes the value's leaves.
        ExprKind::Assign { target, value } if matches!(target.kind, ExprKind::Local(_)) => {
            if !copy(value) {
                scan_locals(value, taken, whole);
            }
            return;
        }
        ExprKind::Block(b) => {
            for s in &b.stmts {
                match s {
                    Stmt::Let { value, .. } if copy(value) => {}
                    Stmt::Let { value: x, .. } | Stmt::Expr(x) => scan_locals(x, taken, whole),
                }
            }
            if let Some(v) = &b.value {
                scan_locals(v, taken, whole);
            }
            return;
        }
        ExprKind::Inlined { args, body, .. } => {
            for (_, v) in args.iter().filter(|(_, v)| !copy(v)) {
                scan_locals(v, taken, whole);
            }
            return scan_locals(body, taken, whole);
        }
        ExprKind::Field { .. } => {
            if let Some(l) = root(e) {
                if is_aggregate(&e.ty) {
                    whole.insert(l);
                }
                return;
            }
        }
        ExprKind::AddrOf(inner) => {
            if let Some(l) = root(inner) {
                taken.insert(l);
            }
        }
        // An enum local switched on (`Tr::switch_match`) reads its tag and the bound payload
        // fields from its word variables: not a whole use.
        ExprKind::Match { scrutinee, arms }
            if matches!(scrutinee.kind, ExprKind::Local(_)) && switch_keys(&scrutinee.ty, arms).is_some() =>
        {
            for a in arms {
                scan_locals(&a.body, taken, whole);
            }
            return;
        }
        _ => {}
    }
    // Recursion as deep as the expression: grows the stack on demand.
    vais_ast::stack::guard(|| vais_tir::visit::children(e, &mut |x| scan_locals(x, taken, whole)));
}

/// The scalar leaves of a struct or tuple type nested only through structs and tuples, as
/// `(byte offset, type)` from `base` (zero-sized leaves left out); false if some leaf is
/// another aggregate (function value, optional, enum, range, future).
fn scalar_leaves(p: &Program, ty: &Ty, base: u32, out: &mut Vec<(u32, Ty)>) -> bool {
    let tys: Vec<Ty> = match ty {
        Ty::Struct(s) => p.struct_def(*s).fields.iter().map(|f| f.ty.clone()).collect(),
        Ty::Tuple(ts) => ts.clone(),
        _ if is_zst(ty) => return true,
        _ if is_aggregate(ty) => return false,
        _ => {
            out.push((base, ty.clone()));
            return true;
        }
    };
    let lay = layout_of(p, ty);
    tys.iter().zip(&lay.fields).all(|(t, off)| scalar_leaves(p, t, base + off, out))
}

/// At most this many scalar leaves for a scalar-replaced local.
const MAX_SPLIT_LEAVES: usize = 16;

/// The leaves of a scalar-replaced local of type `ty`: a struct's or tuple's scalar leaves
/// ([`scalar_leaves`]); an enum's 8-byte words (its tag is word 0; payload fields are read out
/// of the words by `Tr::split_field`). `None` when `ty` cannot be scalar-replaced.
fn split_leaves(p: &Program, ty: &Ty) -> Option<Vec<(u32, Ty)>> {
    let mut leaves = vec![];
    match ty {
        Ty::Enum(_) => {
            let size = layout_of(p, ty).size;
            if !size.is_multiple_of(8) {
                return None;
            }
            leaves.extend((0..size / 8).map(|w| (w * 8, Ty::Int(vais_tir::IntTy::U64))));
        }
        Ty::Struct(_) | Ty::Tuple(_) => {
            if !scalar_leaves(p, ty, 0, &mut leaves) {
                return None;
            }
        }
        _ => return None,
    }
    (leaves.len() <= MAX_SPLIT_LEAVES).then_some(leaves)
}

/// How many TIR nodes a range-loop body may have and still be unrolled (code growth and
/// compile time stay bounded: the body is translated five times).
const UNROLL_MAX_NODES: usize = 40;

/// Whether a range-loop body may be unrolled: at most `budget` TIR nodes, no nested loop
/// (only innermost loops gain from unrolling; nested copies would multiply), no `B`/`C`
/// (they would target the loop being unrolled: a nested loop is rejected as a whole, so every
/// `B`/`C` seen here is the loop's own), and no call other than the inline memory builtins
/// (a call costs far more than the loop overhead saved, and values computed between calls
/// of different copies stay live across the later calls: spills; `bench/structs.vais` ran
/// 1.4x slower unrolled). Closures and futures count as calls.
fn unrollable_body(e: &Expr, budget: &mut usize) -> bool {
    if *budget == 0 {
        return false;
    }
    *budget -= 1;
    match &e.kind {
        ExprKind::Break(_)
        | ExprKind::Continue
        | ExprKind::Loop { .. }
        | ExprKind::Closure { .. }
        | ExprKind::MakeFuture { .. }
        | ExprKind::Await(_) => false,
        ExprKind::Call { callee, .. }
            if !matches!(
                callee,
                Callee::Builtin(Builtin::LoadByte | Builtin::StoreByte | Builtin::LoadI64 | Builtin::StoreI64)
            ) =>
        {
            false
        }
        _ => {
            let mut ok = true;
            vais_tir::visit::children(e, &mut |x| ok = ok && unrollable_body(x, budget));
            ok
        }
    }
}

/// The switch keys of a match's arms, when it can be lowered as one `Switch`
/// (`Tr::switch_match`): on an enum, every arm is a variant pattern whose sub-patterns only
/// bind (key: the variant's tag); on an `i64`/`u64`, every arm is an integer literal (key: its
/// bits); no guards, distinct keys, at least three keyed arms, and at most one irrefutable arm
/// (`None`: the default), which must be the last.
fn switch_keys(sty: &Ty, arms: &[vais_tir::Arm]) -> Option<Vec<Option<u64>>> {
    let int64 = matches!(sty, Ty::Int(i) if i.bits() == 64);
    if !matches!(sty, Ty::Enum(_)) && !int64 {
        return None;
    }
    let mut keys = Vec::with_capacity(arms.len());
    for (i, arm) in arms.iter().enumerate() {
        if arm.guard.is_some() {
            return None;
        }
        let k = match &arm.pattern.kind {
            PatternKind::Variant { args, .. } if matches!(sty, Ty::Enum(_)) && args.iter().all(irrefutable) => {
                match &arm.pattern.kind {
                    PatternKind::Variant { variant, .. } => Some(*variant as u64),
                    _ => unreachable!(),
                }
            }
            PatternKind::Int(n) if int64 => Some(*n as u64),
            _ if irrefutable(&arm.pattern) && i + 1 == arms.len() => None,
            _ => return None,
        };
        if k.is_some() && keys.contains(&k) {
            return None;
        }
        keys.push(k);
    }
    (keys.iter().filter(|k| k.is_some()).count() >= 3).then_some(keys)
}

/// Whether `e` contains a loop or a call that may run Vais code (a user function, a function
/// value, a C function, which can call back; also in inlined bodies; futures). A function
/// whose body has neither runs in bounded time and needs no interrupt poll at its entry (every
/// cycle of calls passes a poll elsewhere). Built-ins never call back into Vais code, and
/// those that can block poll right after themselves (`Tr::builtin`).
///
/// A function with loops but no calls keeps its entry poll although its back-edges poll: the
/// entry poll anchors the flag's address in the entry block, which then stays in a register;
/// without it Cranelift rematerialised the address at every back-edge, and interp, matmul,
/// mandel, structs, vecmath and fold ran 2-5% more instructions.
fn may_run_long(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Call { callee: Callee::Builtin(_), .. } => {}
        ExprKind::Loop { .. } | ExprKind::Call { .. } | ExprKind::Await(_) | ExprKind::MakeFuture { .. } => return true,
        _ => {}
    }
    let mut found = false;
    vais_ast::stack::guard(|| vais_tir::visit::children(e, &mut |x| found = found || may_run_long(x)));
    found
}

/// C library functions that compute and return without blocking (no system call that Ctrl-C
/// interrupts): calls to them need no interrupt poll after them (`Tr::poll`; a loop or caller
/// around them polls).
fn c_never_blocks(name: &str) -> bool {
    matches!(
        name,
        "malloc" | "calloc" | "realloc" | "free" | "memcpy" | "memmove" | "memset" | "memcmp" | "strlen" | "strcmp"
            | "strncmp" | "strcpy" | "strncpy" | "strchr" | "abs" | "labs" | "sqrt" | "sqrtf" | "sin" | "cos" | "tan"
            | "asin" | "acos" | "atan" | "atan2" | "sinh" | "cosh" | "tanh" | "floor" | "ceil" | "round" | "trunc"
            | "fabs" | "fabsf" | "fmod" | "pow" | "log" | "log10" | "log2" | "exp" | "exp2" | "hypot" | "cbrt"
    )
}

/// A pattern that matches every value of its type (binds or ignores, never tests).
fn irrefutable(p: &Pattern) -> bool {
    match &p.kind {
        PatternKind::Wildcard | PatternKind::Bind(_) => true,
        PatternKind::Tuple(ps) => ps.iter().all(irrefutable),
        _ => false,
    }
}

/// The translator is `Send`: it has no module, only its own symbol table (`codegen::Syms`),
/// so a function can be translated on any thread.
#[cfg(test)]
#[test]
fn translator_is_send() {
    fn is_send<T: Send>() {}
    is_send::<Tr<'static, 'static>>();
}

/// Every user function referenced by `e` (calls, function values, closures, futures).
pub(crate) fn referenced_funcs(e: &Expr, out: &mut Vec<FuncId>) {
    vais_tir::visit::preorder(e, |x| out.extend(vais_tir::visit::referenced_func(x)));
}

impl<'a, 'f> Tr<'a, 'f> {
    pub fn new(t: &'a TrTarget, syms: Syms, p: &'a Program, def: &'a FuncDef, b: FunctionBuilder<'f>) -> Self {
        Tr {
            t,
            syms,
            p,
            def,
            b,
            locals: vec![],
            ret_ptr: None,
            loops: vec![],
            jam: None,
            variant: vec![],
            frefs: HashMap::new(),
            gvs: HashMap::new(),
            rt_refs: HashMap::new(),
            layouts: HashMap::new(),
            flag_addr: None,
            taken: HashSet::new(),
            frame: None,
            frame_size: None,
            arrays: vec![],
            trap_sites: vec![],
            sites: vec![],
            trap_codes_left: site_code_count(),
            interrupt_code: None,
            hot: false,
            inline: InlineTable::default(),
            cur_inline: None,
        }
    }

    // ----- small helpers -------------------------------------------------------------------

    /// The layout of `ty`, computed once per function and shared (an enum's layout holds
    /// every variant's offsets: copying it per use was quadratic in the variant count).
    fn lay(&mut self, ty: &Ty) -> std::sync::Arc<Layout> {
        if let Some(l) = self.layouts.get(ty) {
            return l.clone();
        }
        let l = std::sync::Arc::new(layout_of(self.p, ty));
        self.layouts.insert(ty.clone(), l.clone());
        l
    }

    fn new_slot(&mut self, size: u32, align: u32) -> Slot {
        if let Some(f) = &mut self.frame {
            let align = align.max(1);
            let off = f.size.next_multiple_of(align);
            f.size = off + size.max(1);
            f.align = f.align.max(align);
            return Slot::Session(off);
        }
        let shift = align.max(1).trailing_zeros() as u8;
        Slot::Stack(self.b.create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, size.max(1), shift)))
    }

    /// Address of byte `off` of a slot.
    fn slot_addr(&mut self, slot: Slot, off: u32) -> Value {
        match (slot, &self.frame) {
            (Slot::Stack(ss), _) => self.b.ins().stack_addr(PTR, ss, off as i32),
            (Slot::Session(o), Some(f)) => {
                let base = f.base;
                self.add_off(base, o + off)
            }
            (Slot::Session(_), None) => unreachable!("session slots exist only while the frame does"),
        }
    }

    /// A fresh slot for a value of `ty`; returns its address.
    fn temp(&mut self, ty: &Ty) -> Value {
        let l = self.lay(ty);
        let ss = self.new_slot(l.size, l.align);
        self.slot_addr(ss, 0)
    }

    fn copy(&mut self, dst: Value, src: Value, ty: &Ty) {
        let l = self.lay(ty);
        if l.size == 0 {
            return;
        }
        let cfg = self.t.frontend;
        let al = l.align.min(8) as u8;
        self.b.emit_small_memory_copy(cfg, dst, src, l.size as u64, al, al, false, flags());
    }

    fn zero_fill(&mut self, dst: Value, ty: &Ty) {
        let l = self.lay(ty);
        if l.size == 0 {
            return;
        }
        let cfg = self.t.frontend;
        let al = l.align.min(8) as u8;
        self.b.emit_small_memset(cfg, dst, 0, l.size as u64, al, flags());
    }

    fn add_off(&mut self, addr: Value, off: u32) -> Value {
        if off == 0 {
            addr
        } else {
            self.b.ins().iadd_imm_s(addr, off as i64)
        }
    }

    fn zero(&mut self, t: Type) -> Value {
        match t {
            types::F32 => self.b.ins().f32const(0.0),
            types::F64 => self.b.ins().f64const(0.0),
            t => iconst(&mut self.b, t, 0),
        }
    }

    /// The scalar SSA value of `v` (a zero when `v` comes from unreachable code).
    fn sv(&mut self, v: Val, ty: &Ty) -> Value {
        match v {
            Val::S(x) => x,
            Val::M(a) => a,
            Val::Unit => {
                let t = pass_ty(ty).unwrap_or(types::I8);
                self.zero(t)
            }
        }
    }

    /// The address of an aggregate value `v`.
    fn mv(&mut self, v: Val, ty: &Ty) -> Value {
        match v {
            Val::M(a) | Val::S(a) => a,
            Val::Unit => self.temp(ty),
        }
    }

    fn store(&mut self, addr: Value, ty: &Ty, v: Val) {
        self.store_at(addr, 0, ty, v)
    }

    /// `base` and an offset that fits a load/store immediate (a larger one is added first).
    fn imm_off(&mut self, base: Value, off: u32) -> (Value, i32) {
        match i32::try_from(off) {
            Ok(o) => (base, o),
            Err(_) => (self.add_off(base, off), 0),
        }
    }

    /// Reads a value of `ty` at `base + off` (scalars with the offset in the load instruction;
    /// aggregates are addressed).
    fn load_at(&mut self, base: Value, off: u32, ty: &Ty) -> Val {
        if is_zst(ty) {
            Val::Unit
        } else if is_aggregate(ty) {
            Val::M(self.add_off(base, off))
        } else {
            let t = scalar_ty(ty).unwrap();
            let (a, o) = self.imm_off(base, off);
            Val::S(self.b.ins().load(t, flags(), a, o))
        }
    }

    /// Writes `v` of `ty` at `base + off` (scalars with the offset in the store instruction).
    fn store_at(&mut self, base: Value, off: u32, ty: &Ty, v: Val) {
        if is_zst(ty) {
            return;
        }
        if is_aggregate(ty) {
            let src = self.mv(v, ty);
            let dst = self.add_off(base, off);
            self.copy(dst, src, ty);
        } else {
            let x = self.sv(v, ty);
            let (a, o) = self.imm_off(base, off);
            self.b.ins().store(flags(), x, a, o);
        }
    }

    fn new_block(&mut self) -> Block {
        self.b.create_block()
    }

    /// Continue in a fresh unreachable block after a diverging instruction.
    /// The value of a scalar-returning call instruction; after a call to a function that never
    /// returns (`Never`), a trap (never reached) ends the block and translation continues in a
    /// fresh unreachable block.
    fn call_result(&mut self, inst: cranelift_codegen::ir::Inst, ret: &Ty) -> Val {
        if *ret == Ty::Never {
            self.b.ins().trap(TrapCode::unwrap_user(2));
            self.diverge();
            return Val::Unit;
        }
        match self.b.inst_results(inst).first() {
            Some(v) => Val::S(*v),
            None => Val::Unit,
        }
    }

    fn diverge(&mut self) {
        let blk = self.b.create_block();
        self.b.switch_to_block(blk);
        self.b.seal_block(blk);
    }

    fn jump(&mut self, to: Block, args: &[Value]) {
        let a: Vec<BlockArg> = args.iter().map(|v| BlockArg::Value(*v)).collect();
        self.b.ins().jump(to, &a);
    }

    fn brif(&mut self, c: Value, t: Block, e: Block) {
        self.b.ins().brif(c, t, &[], e, &[]);
    }

    /// A reference to function symbol `sym` (interned in the function's symbol table; its
    /// signature follows from the symbol).
    fn func_ref(&mut self, sym: Sym) -> FuncRef {
        let (i, _) = self.syms.intern(sym);
        if let Some(r) = self.frefs.get(&i) {
            return *r;
        }
        let sym = &self.syms.list[i as usize];
        let callee = |k: &u32| self.p.func(self.syms.refs[*k as usize]);
        let sig = match sym {
            Sym::User(k) => abi::func_sig(self.t.cc, callee(k)),
            Sym::Adapter(k) => codegen::signature(self.t.cc, callee(k), codegen::What::Adapter(FuncId(0))),
            Sym::Thunk(k) => codegen::signature(self.t.cc, callee(k), codegen::What::Thunk(FuncId(0))),
            Sym::Import(_, sig) => sig.clone(),
            s => unreachable!("{s:?} is not a function"),
        };
        let r = codegen::import_function(self.b.func, i, sig, codegen::colocated(sym));
        self.frefs.insert(i, r);
        r
    }

    /// The address of data symbol `sym`.
    fn data_addr(&mut self, sym: Sym) -> Value {
        let (i, _) = self.syms.intern(sym);
        let gv = match self.gvs.get(&i) {
            Some(g) => *g,
            None => {
                let g = codegen::import_data(self.b.func, i, codegen::colocated(&self.syms.list[i as usize]));
                self.gvs.insert(i, g);
                g
            }
        };
        self.b.ins().symbol_value(PTR, gv)
    }

    /// User function `f` as a symbol of this function (`make`: which of its symbols).
    fn user_sym(&mut self, f: FuncId, make: fn(u32) -> Sym) -> Sym {
        make(self.syms.func(f))
    }

    /// A host or runtime function by its C name and signature.
    fn import(&mut self, name: &str, sig: cranelift_codegen::ir::Signature) -> FuncRef {
        self.func_ref(Sym::Import(name.to_string(), sig))
    }

    /// Calls a runtime helper (its symbol and signature come from [`RtFn`], in `abi.rs`).
    fn rt_call(&mut self, f: RtFn, args: &[Value]) -> R<Option<Value>> {
        let fr = match self.rt_refs.get(f.symbol()) {
            Some(r) => *r,
            None => {
                let r = self.import(f.symbol(), f.sig(self.t.cc));
                self.rt_refs.insert(f.symbol(), r);
                r
            }
        };
        let call = self.b.ins().call(fr, args);
        Ok(self.b.inst_results(call).first().copied())
    }

    /// A fault site of this function: its index in [`Tr::sites`] (the artifact carries the
    /// list; the linker registers it with the code, so nothing is registered while
    /// translating and no counter is shared between functions).
    fn site(&mut self, span: Span) -> i64 {
        let inlined = self.cur_inline.map(|i| self.inline.frames[i as usize].0.clone());
        self.sites.push((span, inlined));
        (self.sites.len() - 1) as i64
    }

    /// Calls `vais_rt_trap(kind, site)` (never returns) and continues in an unreachable block.
    fn trap(&mut self, kind: TrapKind, span: Span) -> R<()> {
        let site = self.site(span);
        let k = self.b.ins().iconst(types::I32, kind as i32 as i64);
        let s = self.b.ins().iconst(types::I64, site);
        self.rt_call(RtFn::Trap, &[k, s])?;
        self.b.ins().trap(TrapCode::unwrap_user(1));
        self.diverge();
        Ok(())
    }

    /// A fresh site trap code standing for `vais_rt_trap(kind, site of span)`, if the function
    /// has codes left.
    fn site_code(&mut self, kind: TrapKind, span: Span) -> Option<TrapCode> {
        if self.trap_codes_left == 0 {
            return None;
        }
        let code = u8::try_from(self.trap_sites.len()).ok().and_then(|i| FIRST_SITE_CODE.checked_add(i)).and_then(TrapCode::user)?;
        let site = self.site(span) as u32;
        self.trap_sites.push((kind, site));
        let loc = self.b.srcloc();
        self.inline.trap_locs.push(if kind == TrapKind::Interrupted || loc.is_default() { u32::MAX } else { loc.bits() });
        self.trap_codes_left -= 1;
        Some(code)
    }

    /// Traps with `kind` when `cond` (an `I8` truth value) is non-zero: one `trapnz` with a
    /// site code (the fault handler maps its address back to `kind` and the site), or, when
    /// the function ran out of codes, a cold block that calls `vais_rt_trap`.
    fn trap_if(&mut self, cond: Value, kind: TrapKind, span: Span) -> R<()> {
        if let Some(code) = self.site_code(kind, span) {
            self.b.ins().trapnz(cond, code);
            return Ok(());
        }
        let bad = self.new_block();
        let ok = self.new_block();
        self.b.set_cold_block(bad);
        self.brif(cond, bad, ok);
        self.b.seal_block(bad);
        self.b.switch_to_block(bad);
        let site = self.site(span);
        let k = self.b.ins().iconst(types::I32, kind as i32 as i64);
        let s = self.b.ins().iconst(types::I64, site);
        self.rt_call(RtFn::Trap, &[k, s])?;
        self.b.ins().trap(TrapCode::unwrap_user(1));
        self.b.seal_block(ok);
        self.b.switch_to_block(ok);
        Ok(())
    }

    /// Traps with `kind` when the integer `v` is zero (`trapz` when a site code is left).
    fn trap_if_zero(&mut self, v: Value, kind: TrapKind, span: Span) -> R<()> {
        let t = self.b.func.dfg.value_type(v);
        if t != types::I128 {
            if let Some(code) = self.site_code(kind, span) {
                self.b.ins().trapz(v, code);
                return Ok(());
            }
        }
        let zero = iconst(&mut self.b, t, 0);
        let isz = self.b.ins().icmp(IntCC::Equal, v, zero);
        self.trap_if(isz, kind, span)
    }

    /// Interrupt poll (function entries and loop back-edges) when enabled.
    fn poll(&mut self, span: Span) -> R<()> {
        let addr = match self.flag_addr {
            Some(a) => a,
            None => {
                if !self.t.interrupt_polls {
                    return Ok(());
                }
                self.data_addr(Sym::Interrupt)
            }
        };
        // An atomic load: Cranelift's alias analysis would merge a plain load with an earlier
        // poll when no store or call lies between them (a loop after the function-entry poll,
        // or after a call's poll), hoisting the check out of the loop so Ctrl-C never stopped
        // it. On x86-64 and AArch64 it is the same single `mov`/`ldarb`-class load.
        let v = self.b.ins().atomic_load(types::I8, flags(), addr);
        if self.interrupt_code.is_none() {
            self.interrupt_code = self.site_code(TrapKind::Interrupted, span);
        }
        match self.interrupt_code {
            Some(code) => {
                self.b.ins().trapnz(v, code);
                Ok(())
            }
            None => self.trap_if(v, TrapKind::Interrupted, span),
        }
    }

    /// Tier-up counting (function entries and loop back-edges of baseline REPL code, next to
    /// the interrupt poll): decrements the function's counter and, when it reaches zero, calls
    /// `vais_rt_hot` on a cold path (which recompiles the function optimised, or sets the
    /// counter to when to look again). A plain load and store: one thread runs JIT code, and
    /// baseline code is never optimised, so no pass merges the accesses. The counter is the
    /// function's own data object, named by symbol (the code embeds no address); its address
    /// is materialised at each use (one instruction): the baseline register allocator would
    /// keep a value computed once in a stack slot and reload it at every count.
    fn count(&mut self) -> R<()> {
        if !self.hot {
            return Ok(());
        }
        let addr = self.data_addr(Sym::Counter);
        let v = self.b.ins().load(types::I64, flags(), addr, 0);
        let n = self.b.ins().iadd_imm_s(v, -1);
        self.b.ins().store(flags(), n, addr, 0);
        let hot = self.b.create_block();
        let cont = self.b.create_block();
        let zero = self.b.ins().iconst(types::I64, 0);
        let due = self.b.ins().icmp(IntCC::SignedLessThanOrEqual, n, zero);
        self.b.ins().brif(due, hot, &[], cont, &[]);
        self.b.set_cold_block(hot);
        self.b.switch_to_block(hot);
        self.b.seal_block(hot);
        let counter = self.data_addr(Sym::Counter);
        self.rt_call(RtFn::Hot, &[counter])?;
        self.b.ins().jump(cont, &[]);
        self.b.switch_to_block(cont);
        self.b.seal_block(cont);
        Ok(())
    }

    // ----- function body ---------------------------------------------------------------------

    /// Translates the whole function (the builder's function has the right signature).
    pub fn translate_function(&mut self, closure: bool) -> R<()> {
        let entry = self.b.create_block();
        self.b.append_block_params_for_function_params(entry);
        self.b.switch_to_block(entry);
        self.b.seal_block(entry);
        let params: Vec<Value> = self.b.block_params(entry).to_vec();
        let mut idx = 0;
        let def = self.def;
        if is_aggregate(&def.ret) || abi::direct_entry(def) {
            self.ret_ptr = Some(params[0]);
            idx += 1;
        }
        let env = if closure {
            idx += 1;
            Some(params[idx - 1])
        } else {
            None
        };
        if self.t.interrupt_polls {
            self.flag_addr = Some(self.data_addr(Sym::Interrupt));
        }
        if def.kind == FuncKind::ReplEntry && self.t.repl_mode {
            let base = self.data_addr(Sym::Frame);
            self.frame = Some(SessionFrame { base, size: 0, align: 16 });
        }
        let r = self.translate_body(params, idx, env);
        if let Some(f) = self.frame.take() {
            if f.size == 0 {
                // No slot: no frame. The (unused) address computation goes, so the code
                // refers to no frame and the linker allocates none (most expression inputs:
                // a frame kept for each of them was a leak of 16 bytes per input).
                if let Some(inst) = self.b.func.dfg.value_def(f.base).inst() {
                    self.b.func.layout.remove_inst(inst);
                }
            } else {
                self.frame_size = Some((f.size, f.align));
            }
        }
        r
    }

    fn translate_body(&mut self, params: Vec<Value>, mut idx: usize, env: Option<Value>) -> R<()> {
        let def = self.def;
        let mut taken = HashSet::new();
        let mut whole = HashSet::new();
        scan_locals(&def.body, &mut taken, &mut whole);
        // Decide storage for every local once.
        for (i, l) in def.locals.iter().enumerate() {
            let id = LocalId(i as u32);
            let mut leaves = vec![];
            let st = if is_zst(&l.ty) {
                Storage::Zst
            } else if matches!(l.ty, Ty::Struct(_) | Ty::Tuple(_) | Ty::Enum(_))
                && !taken.contains(&id)
                && !whole.contains(&id)
                && !def.params.contains(&id)
                && split_leaves(self.p, &l.ty).map(|ls| leaves = ls).is_some()
            {
                let mut vars = Vec::with_capacity(leaves.len());
                for (off, t) in &leaves {
                    let Some(ct) = scalar_ty(t) else { return Err(format!("no scalar type for {t:?}")) };
                    vars.push((*off, self.b.declare_var(ct), ct));
                }
                Storage::Split(vars)
            } else if is_aggregate(&l.ty) || taken.contains(&id) {
                let lay = self.lay(&l.ty);
                Storage::Slot(self.new_slot(lay.size, lay.align))
            } else {
                Storage::Var(self.b.declare_var(scalar_ty(&l.ty).unwrap()))
            };
            self.locals.push(st);
        }
        for p in &def.params {
            let ty = &def.local(*p).ty;
            if is_zst(ty) {
                continue;
            }
            let v = params[idx];
            idx += 1;
            if is_aggregate(ty) {
                // The caller passed a copy we own: use it in place.
                self.locals[p.index()] = Storage::Addr(v);
            } else {
                self.assign_local(*p, Val::S(v));
            }
        }
        if let Some(env) = env {
            let tys: Vec<Ty> = def.captures.iter().map(|c| def.local(*c).ty.clone()).collect();
            let lay = self.lay(&Ty::Tuple(tys.clone()));
            for (i, c) in def.captures.iter().enumerate() {
                let v = self.load_at(env, lay.fields[i], &tys[i]);
                self.assign_local(*c, v);
            }
        }
        self.taken = taken;
        // The entry poll stops recursion; a body without calls and loops needs none.
        if may_run_long(&def.body) {
            self.poll(def.span)?;
        }
        self.count()?;
        let v = self.expr(&def.body)?;
        self.emit_return(v)?;
        Ok(())
    }

    fn emit_return(&mut self, v: Val) -> R<()> {
        let ret = self.def.ret.clone();
        if let Some(rp) = self.ret_ptr {
            if is_aggregate(&ret) {
                let src = self.mv(v, &ret);
                self.copy(rp, src, &ret);
            } else if !is_zst(&ret) {
                // A direct entry function: the scalar result goes to `out`.
                let x = self.sv(v, &ret);
                self.b.ins().store(flags(), x, rp, 0);
            }
            self.b.ins().return_(&[]);
        } else if is_zst(&ret) {
            self.b.ins().return_(&[]);
        } else {
            let x = self.sv(v, &ret);
            self.b.ins().return_(&[x]);
        }
        self.diverge();
        Ok(())
    }

    // ----- locals and places -------------------------------------------------------------------

    fn local_ty(&self, l: LocalId) -> Ty {
        self.def.local(l).ty.clone()
    }

    fn assign_local(&mut self, l: LocalId, v: Val) {
        let ty = self.local_ty(l);
        match self.locals[l.index()] {
            Storage::Zst => {}
            Storage::Var(var) => {
                let x = self.sv(v, &ty);
                self.b.def_var(var, x);
            }
            Storage::Slot(ss) => {
                let a = self.slot_addr(ss, 0);
                self.store(a, &ty, v);
            }
            Storage::Addr(a) => self.store(a, &ty, v),
            Storage::Split(_) => {
                // Copy the leaves out of the aggregate value now (value semantics).
                let src = self.mv(v, &ty);
                let vals = self.split_loads(l, src);
                self.split_define(l, &vals);
            }
        }
    }

    /// The offset of field `index` of struct or tuple type `ty` (layout cached, not cloned).
    fn field_off(&mut self, ty: &Ty, index: u32) -> Option<u32> {
        if !self.layouts.contains_key(ty) {
            let l = layout_of(self.p, ty);
            self.layouts.insert(ty.clone(), std::sync::Arc::new(l));
        }
        self.layouts.get(ty)?.fields.get(index as usize).copied()
    }

    /// The scalar-replaced local at the root of field path `e` (`None` for any other
    /// expression).
    fn split_root(&self, e: &Expr) -> Option<LocalId> {
        let ExprKind::Field { base, .. } = &e.kind else { return None };
        let mut cur = &**base;
        while let ExprKind::Field { base, .. } = &cur.kind {
            cur = base;
        }
        match &cur.kind {
            ExprKind::Local(l) if matches!(self.locals.get(l.index()), Some(Storage::Split(_))) => Some(*l),
            _ => None,
        }
    }

    /// The place of a scalar (or zero-sized) field path rooted at a scalar-replaced local: its
    /// leaf's variable.
    fn split_place(&mut self, e: &Expr) -> Option<Place> {
        let l = self.split_root(e)?;
        if is_zst(&e.ty) {
            return Some(Place::Zst);
        }
        if is_aggregate(&e.ty) {
            return None;
        }
        let mut off = 0u32;
        let mut cur = e;
        while let ExprKind::Field { base, index } = &cur.kind {
            off = off.checked_add(self.field_off(&base.ty, *index)?)?;
            cur = base;
        }
        self.split_vars(l).iter().find(|(o, _, _)| *o == off).map(|(_, v, _)| Place::Var(*v))
    }

    /// Evaluates the initialiser `e` (of type `ty`) of a scalar-replaced local into `(offset
    /// from the local's start, value)` leaf pairs: struct and tuple literals field by field
    /// without memory, any other aggregate loaded leaf by leaf right away.
    fn split_init(&mut self, e: &Expr, ty: &Ty, base: u32, out: &mut Vec<(u32, Value)>) -> R<()> {
        vais_ast::stack::guard(|| self.split_init_here(e, ty, base, out))
    }

    fn split_init_here(&mut self, e: &Expr, ty: &Ty, base: u32, out: &mut Vec<(u32, Value)>) -> R<()> {
        match &e.kind {
            // The value of a block or an inlined copy goes straight into the variables: an
            // inlined function's struct result makes no trip through memory.
            ExprKind::Block(b) if b.value.is_some() => {
                self.block_stmts(b)?;
                if let Some(v) = &b.value {
                    self.split_init(v, ty, base, out)?;
                }
            }
            ExprKind::Local(l) if matches!(self.locals[l.index()], Storage::Split(_)) => {
                // Leaf by leaf from another scalar-replaced local (same type: same offsets).
                let vars: Vec<(u32, Variable, Type)> = self.split_vars(*l).to_vec();
                for (off, var, _) in vars {
                    out.push((base + off, self.b.use_var(var)));
                }
            }
            ExprKind::Inlined { func, args, body } => {
                for (l, v) in args {
                    self.let_local(*l, v)?;
                }
                let outer = self.enter_inline(*func, e.span);
                let r = self.split_init(body, ty, base, out);
                self.cur_inline = outer;
                r?;
            }
            ExprKind::StructLit { id, fields } => {
                let sty = Ty::Struct(*id);
                for (fi, x) in fields {
                    let off = self.field_off(&sty, *fi).ok_or("field index out of range")?;
                    let fty = self.p.struct_def(*id).fields.get(*fi as usize).ok_or("field index out of range")?.ty.clone();
                    self.split_init(x, &fty, base + off, out)?;
                }
            }
            ExprKind::Tuple(es) if matches!(ty, Ty::Tuple(ts) if ts.len() == es.len()) => {
                let Ty::Tuple(ts) = ty else { return Err("tuple literal of non-tuple type".into()) };
                for (i, (x, t)) in es.iter().zip(ts).enumerate() {
                    let off = self.field_off(ty, i as u32).ok_or("tuple index out of range")?;
                    self.split_init(x, t, base + off, out)?;
                }
            }
            _ => {
                let v = self.expr(e)?;
                if is_zst(ty) || e.ty == Ty::Never {
                    return Ok(());
                }
                if is_aggregate(ty) {
                    let Some(leaves) = split_leaves(self.p, ty) else {
                        return Err(format!("scalar replacement of {ty:?}"));
                    };
                    let src = self.mv(v, ty);
                    for (off, t) in leaves {
                        let ct = scalar_ty(&t).ok_or("leaf without a scalar type")?;
                        let (a, o) = self.imm_off(src, off);
                        out.push((base + off, self.b.ins().load(ct, flags(), a, o)));
                    }
                } else {
                    out.push((base, self.sv(v, ty)));
                }
            }
        }
        Ok(())
    }

    /// The variables of scalar-replaced local `l` (empty for any other local).
    fn split_vars(&self, l: LocalId) -> &[(u32, Variable, Type)] {
        match &self.locals[l.index()] {
            Storage::Split(vs) => vs,
            _ => &[],
        }
    }

    /// Loads every leaf of scalar-replaced local `l`'s type from the aggregate at `src`.
    fn split_loads(&mut self, l: LocalId, src: Value) -> Vec<(u32, Value)> {
        let offs: Vec<(u32, Variable, Type)> = self.split_vars(l).to_vec();
        offs.into_iter()
            .map(|(off, _, t)| {
                let (a, o) = self.imm_off(src, off);
                (off, self.b.ins().load(t, flags(), a, o))
            })
            .collect()
    }

    /// Defines every variable of scalar-replaced local `l` from `(offset, value)` pairs (a
    /// leaf without a value becomes zero).
    fn split_define(&mut self, l: LocalId, vals: &[(u32, Value)]) {
        let vars: Vec<(u32, Variable, Type)> = self.split_vars(l).to_vec();
        for (off, var, t) in vars {
            let x = match vals.iter().rev().find(|(o, _)| *o == off) {
                Some((_, x)) => *x,
                None => self.zero(t),
            };
            self.b.def_var(var, x);
        }
    }

    fn global_addr(&mut self, g: GlobalId) -> R<Value> {
        Ok(self.data_addr(Sym::Global(g.0)))
    }

    fn place(&mut self, e: &Expr) -> R<Place> {
        Ok(match &e.kind {
            ExprKind::Local(l) => match self.locals[l.index()] {
                Storage::Zst => Place::Zst,
                Storage::Var(v) => Place::Var(v),
                Storage::Slot(ss) => Place::Mem(self.slot_addr(ss, 0), 0),
                Storage::Addr(a) => Place::Mem(a, 0),
                // A whole-value read (writes go through `Assign`, field paths or `AddrOf`,
                // which keeps a local in memory): gather the leaves into a copy.
                Storage::Split(_) => Place::Mem(self.split_gather(*l), 0),
            },
            ExprKind::Global(g) => Place::Mem(self.global_addr(*g)?, 0),
            ExprKind::Field { .. } if self.split_root(e).is_some() => {
                self.split_place(e).ok_or("field path of a scalar-replaced local without a variable")?
            }
            ExprKind::Field { base, index } => {
                let (a, base_off) = self.agg_loc(base)?;
                let lay = self.lay(&base.ty);
                let off = *lay.fields.get(*index as usize).ok_or("field index out of range")?;
                match base_off.checked_add(off) {
                    Some(o) => Place::Mem(a, o),
                    None => Place::Mem(self.add_off(a, base_off), off),
                }
            }
            ExprKind::Index { base, index } => {
                let bv = self.expr(base)?;
                let bp = self.sv(bv, &base.ty);
                let size = self.lay(&e.ty).size as i64;
                if let Some(a) = self.hoisted_address(Some(bp), index, size)? {
                    return Ok(Place::Mem(a, 0));
                }
                let iv = self.expr(index)?;
                let i = self.sv(iv, &index.ty);
                let i = self.as_i64(i, &index.ty);
                let size = self.lay(&e.ty).size as i64;
                let scaled = self.b.ins().imul_imm_s(i, size);
                Place::Mem(self.b.ins().iadd(bp, scaled), 0)
            }
            ExprKind::Deref(inner) => {
                let v = self.expr(inner)?;
                Place::Mem(self.sv(v, &inner.ty), 0)
            }
            _ => {
                // Not a place: spill to a temporary.
                let v = self.expr(e)?;
                if is_zst(&e.ty) {
                    Place::Zst
                } else {
                    let t = self.temp(&e.ty);
                    self.store(t, &e.ty, v);
                    Place::Mem(t, 0)
                }
            }
        })
    }

    /// Where an aggregate-typed expression lives (a place's storage, or a temporary), as a base
    /// address and a constant offset.
    fn agg_loc(&mut self, e: &Expr) -> R<(Value, u32)> {
        if e.is_place() {
            match self.place(e)? {
                Place::Mem(a, off) => Ok((a, off)),
                Place::Var(v) => {
                    let x = self.b.use_var(v);
                    let t = self.temp(&e.ty);
                    self.b.ins().store(flags(), x, t, 0);
                    Ok((t, 0))
                }
                Place::Zst => Ok((self.temp(&e.ty), 0)),
            }
        } else {
            let v = self.expr(e)?;
            Ok((self.mv(v, &e.ty), 0))
        }
    }

    fn read_place(&mut self, p: &Place, ty: &Ty) -> Val {
        match p {
            Place::Zst => Val::Unit,
            Place::Var(v) => Val::S(self.b.use_var(*v)),
            Place::Mem(a, off) => self.load_at(*a, *off, ty),
        }
    }

    fn write_place(&mut self, p: &Place, ty: &Ty, v: Val) {
        match p {
            Place::Zst => {}
            Place::Var(var) => {
                let x = self.sv(v, ty);
                self.b.def_var(*var, x);
            }
            Place::Mem(a, off) => self.store_at(*a, *off, ty, v),
        }
    }

    fn as_i64(&mut self, v: Value, ty: &Ty) -> Value {
        match ty {
            Ty::Int(i) => self.cast_int(v, *i, IntTy::I64),
            _ => v,
        }
    }

    // ----- expressions -----------------------------------------------------------------------

    /// Evaluates `e` (for its value or effect). Every instruction emitted for `e` itself (not
    /// for its operands) carries `e`'s source position: its byte offset in the function's file
    /// (the line tables of profiles, perf and debuggers come from these).
    pub fn expr(&mut self, e: &Expr) -> R<Val> {
        let outer = self.enter_position(e.span);
        let r = vais_ast::stack::guard(|| self.expr_at(e));
        self.b.set_srcloc(outer);
        r
    }

    /// Gives the instructions emitted from now on the source position `span` (when line
    /// tables are on; inside an inlined copy, through the inline table) and returns the
    /// position to restore afterwards.
    fn enter_position(&mut self, span: Span) -> cranelift_codegen::ir::SourceLoc {
        let outer = self.b.srcloc();
        if self.t.lines {
            let loc = match self.cur_inline {
                None => span.start,
                Some(i) => {
                    self.inline.locs.push((i, span.file.0, span.start));
                    INLINE_LOC | (self.inline.locs.len() as u32 - 1)
                }
            };
            self.b.set_srcloc(cranelift_codegen::ir::SourceLoc::new(loc));
        }
        outer
    }

    fn expr_at(&mut self, e: &Expr) -> R<Val> {
        match &e.kind {
            ExprKind::Int(v) => {
                let t = scalar_ty(&e.ty).ok_or_else(|| format!("integer literal of type {:?}", e.ty))?;
                Ok(Val::S(iconst(&mut self.b, t, *v)))
            }
            ExprKind::Float(x) => Ok(Val::S(if e.ty == Ty::F32 {
                self.b.ins().f32const(*x as f32)
            } else {
                self.b.ins().f64const(*x)
            })),
            ExprKind::Bool(x) => Ok(Val::S(self.b.ins().iconst(types::I8, *x as i64))),
            ExprKind::Str(bytes) => Ok(Val::S(self.data_addr(Sym::Str(bytes.clone())))),
            ExprKind::Unit => Ok(Val::Unit),
            ExprKind::Local(_) | ExprKind::Global(_) | ExprKind::Field { .. } | ExprKind::Index { .. } | ExprKind::Deref(_) => {
                let p = self.place(e)?;
                Ok(self.read_place(&p, &e.ty))
            }
            ExprKind::FuncRef(f) => {
                let sym = self.user_sym(*f, Sym::Adapter);
                let fr = self.func_ref(sym);
                let code = self.b.ins().func_addr(PTR, fr);
                let env = self.b.ins().iconst(PTR, 0);
                Ok(Val::M(self.pair(code, env)))
            }
            ExprKind::Tuple(es) => {
                let t = self.temp(&e.ty);
                let lay = self.lay(&e.ty);
                for (i, x) in es.iter().enumerate() {
                    let v = self.expr(x)?;
                    self.store_at(t, lay.fields[i], &x.ty, v);
                }
                Ok(Val::M(t))
            }
            ExprKind::Array(es) => {
                let elem = match &e.ty {
                    Ty::Ptr(t) | Ty::Array(t) => (**t).clone(),
                    _ => return Err("array literal without pointer type".into()),
                };
                let el = self.lay(&elem);
                let n = es.len() as u32;
                let ss = self.new_slot(el.size * n, el.align.max(8));
                if let (Slot::Session(off), Some(_)) = (ss, &self.frame) {
                    // Its length and element type are known for good: the REPL prints it.
                    self.arrays.push((off, n, elem.clone()));
                }
                let base = self.slot_addr(ss, 0);
                for (i, x) in es.iter().enumerate() {
                    let v = self.expr(x)?;
                    self.store_at(base, el.size * i as u32, &elem, v);
                }
                Ok(Val::S(base))
            }
            ExprKind::StructLit { id, .. } => {
                let t = self.temp(&Ty::Struct(*id));
                self.build_into(e, t)?;
                Ok(Val::M(t))
            }
            ExprKind::Variant { enum_id, variant, args } => self.variant(*enum_id, *variant, args),
            ExprKind::Block(b) => self.block(b),
            ExprKind::If { cond, then_expr, else_expr } => self.if_expr(e, cond, then_expr, else_expr.as_deref()),
            ExprKind::Loop { kind, body } => self.loop_expr(kind, body, e.span),
            ExprKind::Break(x) => {
                if let Some(x) = x {
                    self.expr(x)?;
                }
                let (_, exit) = *self.loops.last().ok_or("break outside a loop")?;
                self.jump(exit, &[]);
                self.diverge();
                Ok(Val::Unit)
            }
            ExprKind::Continue => {
                let (cont, _) = *self.loops.last().ok_or("continue outside a loop")?;
                self.jump(cont, &[]);
                self.diverge();
                Ok(Val::Unit)
            }
            ExprKind::Return(x) => {
                let v = match x {
                    Some(x) => self.expr(x)?,
                    None => Val::Unit,
                };
                self.emit_return(v)?;
                Ok(Val::Unit)
            }
            ExprKind::Match { scrutinee, arms } => self.match_expr(e, scrutinee, arms),
            ExprKind::Unary { op, operand } => {
                let v = self.expr(operand)?;
                if operand.ty == Ty::Never {
                    return Ok(Val::Unit);
                }
                let x = self.sv(v, &operand.ty);
                Ok(Val::S(match op {
                    UnaryOp::Neg if operand.ty.is_float() => self.b.ins().fneg(x),
                    UnaryOp::Neg => self.b.ins().ineg(x),
                    UnaryOp::Not => self.b.ins().bxor_imm_u(x, 1),
                    UnaryOp::BitNot => self.b.ins().bnot(x),
                }))
            }
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, e.span),
            ExprKind::Cast(x) => {
                let v = self.expr(x)?;
                match (&x.ty, &e.ty) {
                    (Ty::Int(from), Ty::Int(to)) => {
                        let xv = self.sv(v, &x.ty);
                        Ok(Val::S(self.cast_int(xv, *from, *to)))
                    }
                    (Ty::Never, _) => Ok(Val::Unit),
                    (from, to) if from.is_float() || to.is_float() || *from == Ty::Bool => {
                        let xv = self.sv(v, &x.ty);
                        Ok(Val::S(self.cast_scalar(xv, from, to)?))
                    }
                    _ => Ok(v),
                }
            }
            ExprKind::Call { callee, args } => self.call(e, callee, args),
            ExprKind::Slice { base, start, end, inclusive } => self.slice(e, base, start.as_deref(), end, *inclusive),
            ExprKind::AddrOf(inner) => {
                if let Ty::Never = inner.ty {
                    self.expr(inner)?;
                    return Ok(Val::Unit);
                }
                if inner.is_place() {
                    match self.place(inner)? {
                        Place::Mem(a, off) => return Ok(Val::S(self.add_off(a, off))),
                        Place::Zst => return Ok(Val::S(self.temp(&Ty::Unit))),
                        Place::Var(v) => {
                            let x = self.b.use_var(v);
                            let t = self.temp(&inner.ty);
                            self.b.ins().store(flags(), x, t, 0);
                            return Ok(Val::S(t));
                        }
                    }
                }
                let v = self.expr(inner)?;
                let t = self.temp(&inner.ty);
                self.store(t, &inner.ty, v);
                Ok(Val::S(t))
            }
            ExprKind::Assign { target, value } if matches!(&target.kind, ExprKind::Local(l) if matches!(self.locals[l.index()], Storage::Split(_))) => {
                let ExprKind::Local(l) = target.kind else { unreachable!() };
                let mut vals = vec![];
                self.split_init(value, &target.ty, 0, &mut vals)?;
                if value.ty != Ty::Never {
                    self.split_define(l, &vals);
                }
                Ok(Val::Unit)
            }
            ExprKind::Assign { target, value } => {
                let v = self.expr(value)?;
                if value.ty == Ty::Never {
                    return Ok(Val::Unit);
                }
                let p = self.place(target)?;
                self.write_place(&p, &target.ty, v);
                Ok(Val::Unit)
            }
            ExprKind::CompoundAssign { op, target, value } => {
                let p = self.place(target)?;
                let cur = self.read_place(&p, &target.ty);
                let v = self.expr(value)?;
                if value.ty == Ty::Never {
                    return Ok(Val::Unit);
                }
                let a = self.sv(cur, &target.ty);
                let bv = self.sv(v, &target.ty);
                let r = self.arith(*op, &target.ty, a, bv, e.span)?;
                self.write_place(&p, &target.ty, Val::S(r));
                Ok(Val::Unit)
            }
            ExprKind::Closure { func, captures } => {
                let env = self.build_env(captures)?;
                let code = if self.t.repl_mode {
                    // REPL: a closure outlives inputs, and its lambda may be compiled again (a
                    // stub once what it calls changed signature, see vais-types `session.rs`),
                    // which frees the old code: the closure holds the lambda's adapter, which
                    // calls whatever the lambda's cell holds, never the code's own address.
                    let sym = self.user_sym(*func, Sym::Adapter);
                    let fr = self.func_ref(sym);
                    self.b.ins().func_addr(PTR, fr)
                } else {
                    self.user_code_addr(*func)?
                };
                Ok(Val::M(self.pair(code, env)))
            }
            ExprKind::MakeFuture { func, args } => {
                let env = self.build_env(args)?;
                let sym = self.user_sym(*func, Sym::Thunk);
                let fr = self.func_ref(sym);
                let code = self.b.ins().func_addr(PTR, fr);
                Ok(Val::M(self.pair(code, env)))
            }
            ExprKind::Await(x) => {
                let v = self.expr(x)?;
                if x.ty == Ty::Never {
                    return Ok(Val::Unit);
                }
                let a = self.mv(v, &x.ty);
                let code = self.b.ins().load(PTR, flags(), a, 0);
                let env = self.b.ins().load(PTR, flags(), a, 8);
                let sig = abi::thunk_sig(self.t.cc, &e.ty);
                self.vais_call(Target::Indirect(code), sig, &e.ty, Some(env), vec![])
            }
            ExprKind::Inlined { func, args, body } => {
                for (l, v) in args {
                    self.let_local(*l, v)?;
                }
                let outer = self.enter_inline(*func, e.span);
                let r = self.expr(body);
                self.cur_inline = outer;
                r
            }
            ExprKind::Unwrap(x) => {
                let v = self.expr(x)?;
                if x.ty == Ty::Never {
                    return Ok(Val::Unit);
                }
                let a = self.mv(v, &x.ty);
                let tag = self.b.ins().load(types::I64, flags(), a, 0);
                let bad = self.b.ins().icmp_imm_s(IntCC::NotEqual, tag, 0);
                self.trap_if(bad, TrapKind::UnwrapFailed, e.span)?;
                let lay = self.lay(&x.ty);
                let ty = e.ty.clone();
                Ok(self.load_at(a, lay.fields[0], &ty))
            }
        }
    }

    /// Evaluates `e` and, if it is an aggregate, copies it into a fresh slot (value semantics).
    fn expr_owned(&mut self, e: &Expr, ty: &Ty) -> R<Val> {
        let v = self.expr(e)?;
        if is_aggregate(ty) {
            let t = self.temp(ty);
            self.store(t, ty, v);
            Ok(Val::M(t))
        } else {
            Ok(v)
        }
    }

    /// Builds a struct literal `e` at `t` (fields evaluated in order). The slot is zero-filled
    /// first only when some bytes would otherwise stay uninitialised (a field left out, or
    /// padding, which byte-wise aggregate comparison reads).
    fn build_into(&mut self, e: &Expr, t: Value) -> R<()> {
        let ExprKind::StructLit { id, fields } = &e.kind else { return Err("build_into: not a struct literal".into()) };
        let ty = Ty::Struct(*id);
        let lay = self.lay(&ty);
        let sd = self.p.struct_def(*id);
        let mut seen = vec![false; sd.fields.len()];
        for (fi, _) in fields {
            if let Some(s) = seen.get_mut(*fi as usize) {
                *s = true;
            }
        }
        let covered: u32 = sd.fields.iter().map(|f| self.lay(&f.ty).size).sum();
        if !seen.iter().all(|s| *s) || covered != lay.size {
            self.zero_fill(t, &ty);
        }
        for (fi, x) in fields {
            let fty = sd.fields[*fi as usize].ty.clone();
            let v = self.expr(x)?;
            self.store_at(t, lay.fields[*fi as usize], &fty, v);
        }
        Ok(())
    }

    /// A 16-byte (code, env) pair in a fresh slot.
    fn pair(&mut self, code: Value, env: Value) -> Value {
        let ss = self.new_slot(16, 8);
        let a = self.slot_addr(ss, 0);
        self.b.ins().store(flags(), code, a, 0);
        self.b.ins().store(flags(), env, a, 8);
        a
    }

    /// A heap environment holding these values laid out as a tuple (null when empty).
    fn build_env(&mut self, vals: &[Expr]) -> R<Value> {
        if vals.is_empty() {
            return Ok(self.b.ins().iconst(PTR, 0));
        }
        let tys: Vec<Ty> = vals.iter().map(|v| v.ty.clone()).collect();
        let lay = self.lay(&Ty::Tuple(tys.clone()));
        let mut vs = vec![];
        for v in vals {
            vs.push(self.expr(v)?);
        }
        let n = self.b.ins().iconst(types::I64, lay.size.max(1) as i64);
        let env = self.rt_call(RtFn::Malloc, &[n])?.unwrap();
        for (i, v) in vs.into_iter().enumerate() {
            self.store_at(env, lay.fields[i], &tys[i], v);
        }
        Ok(env)
    }

    /// Code address of a user function with its own convention (lambdas: closure convention).
    fn user_code_addr(&mut self, f: FuncId) -> R<Value> {
        if self.t.repl_mode {
            let cell = self.user_sym(f, Sym::Cell);
            let a = self.data_addr(cell);
            return Ok(self.b.ins().load(PTR, MemFlagsData::trusted(), a, 0));
        }
        let sym = self.user_sym(f, Sym::User);
        let fr = self.func_ref(sym);
        Ok(self.b.ins().func_addr(PTR, fr))
    }

    fn variant(&mut self, enum_id: EnumId, variant: u32, args: &[Expr]) -> R<Val> {
        let ty = Ty::Enum(enum_id);
        let t = self.temp(&ty);
        let lay = self.lay(&ty);
        let vd = &self.p.enum_def(enum_id).variants[variant as usize];
        let ftys = vd.fields.clone();
        let tag = self.b.ins().iconst(types::I64, variant as i64);
        self.b.ins().store(flags(), tag, t, 0);
        for (i, x) in args.iter().enumerate() {
            let v = self.expr(x)?;
            self.store_at(t, lay.variants[variant as usize][i], &ftys[i], v);
        }
        Ok(Val::M(t))
    }

    fn block(&mut self, b: &TBlock) -> R<Val> {
        self.block_stmts(b)?;
        match &b.value {
            Some(v) => self.expr(v),
            None => Ok(Val::Unit),
        }
    }

    fn block_stmts(&mut self, b: &TBlock) -> R<()> {
        for s in &b.stmts {
            match s {
                Stmt::Let { local, value } => self.let_local(*local, value)?,
                Stmt::Expr(x) => {
                    self.expr(x)?;
                }
            }
        }
        Ok(())
    }

    /// Starts translating an inlined copy of `func` called at `span`; returns the enclosing
    /// copy, to restore after it.
    fn enter_inline(&mut self, func: FuncId, span: Span) -> Option<u32> {
        let outer = self.cur_inline;
        self.inline.frames.push((self.p.func(func).name.clone(), outer, span));
        self.cur_inline = Some(self.inline.frames.len() as u32 - 1);
        outer
    }

    /// `let local = value` (a `Let` statement, or an inlined call's argument).
    fn let_local(&mut self, local: LocalId, value: &Expr) -> R<()> {
        if matches!(self.locals[local.index()], Storage::Split(_)) {
            let ty = self.local_ty(local);
            let mut vals = vec![];
            self.split_init(value, &ty, 0, &mut vals)?;
            if value.ty != Ty::Never {
                self.split_define(local, &vals);
            }
            return Ok(());
        }
        if let (ExprKind::StructLit { .. }, Storage::Slot(ss)) = (&value.kind, &self.locals[local.index()]) {
            // Built in place: the new binding is not in scope in its initialiser,
            // and its address was never taken.
            if !self.taken.contains(&local) {
                let ss = *ss;
                let a = self.slot_addr(ss, 0);
                return self.build_into(value, a);
            }
        }
        let v = self.expr(value)?;
        if value.ty != Ty::Never {
            self.assign_local(local, v);
        }
        Ok(())
    }

    /// The block parameter type carrying a value of `ty` to a merge point.
    fn merge_ty(ty: &Ty) -> Option<Type> {
        pass_ty(ty)
    }

    fn merge_args(&mut self, v: Val, ty: &Ty) -> Vec<Value> {
        if Self::merge_ty(ty).is_none() {
            vec![]
        } else if is_aggregate(ty) {
            vec![self.mv(v, ty)]
        } else {
            vec![self.sv(v, ty)]
        }
    }

    fn merge_result(&mut self, merge: Block, ty: &Ty) -> Val {
        match Self::merge_ty(ty) {
            None => Val::Unit,
            Some(_) => {
                let p = self.b.block_params(merge)[0];
                if is_aggregate(ty) {
                    Val::M(p)
                } else {
                    Val::S(p)
                }
            }
        }
    }

    /// Whether evaluating `e` has no effect and costs next to nothing (a constant, a local held
    /// in a variable, `()`), so it can be evaluated before a branch instead of in its own block.
    fn is_trivial(&self, e: &Expr) -> bool {
        vais_ast::stack::guard(|| self.is_trivial_here(e))
    }

    fn is_trivial_here(&self, e: &Expr) -> bool {
        match &e.kind {
            ExprKind::Unit | ExprKind::Int(_) | ExprKind::Bool(_) | ExprKind::Float(_) => true,
            ExprKind::Local(l) => matches!(self.locals.get(l.index()), Some(Storage::Var(_) | Storage::Zst)),
            ExprKind::Field { .. } => self.split_root(e).is_some() && !is_aggregate(&e.ty),
            ExprKind::Block(b) => b.stmts.is_empty() && b.value.as_ref().is_none_or(|v| self.is_trivial(v)),
            _ => false,
        }
    }

    /// `I`: an arm that is trivial ([`Tr::is_trivial`]) gets no block of its own (the branch
    /// goes straight to the merge block with its value; both trivial: a `select`).
    fn if_expr(&mut self, e: &Expr, cond: &Expr, then_e: &Expr, else_e: Option<&Expr>) -> R<Val> {
        if Self::compound_cond(cond) {
            return self.if_compound(e, cond, then_e, else_e);
        }
        let c = self.expr(cond)?;
        let c = self.sv(c, &Ty::Bool);
        let ty = if else_e.is_none() { Ty::Unit } else { e.ty.clone() };
        let then_direct = if self.is_trivial(then_e) {
            let v = self.expr(then_e)?;
            Some(self.merge_args(v, &ty))
        } else {
            None
        };
        let else_direct = match else_e {
            None => Some(vec![]),
            Some(x) if self.is_trivial(x) => {
                let v = self.expr(x)?;
                Some(self.merge_args(v, &ty))
            }
            Some(_) => None,
        };
        if let (Some(t), Some(f)) = (&then_direct, &else_direct) {
            return Ok(match (t.first(), f.first()) {
                (Some(a), Some(b)) => {
                    let v = self.b.ins().select(c, *a, *b);
                    if is_aggregate(&ty) {
                        Val::M(v)
                    } else {
                        Val::S(v)
                    }
                }
                _ => Val::Unit,
            });
        }
        let merge = self.new_block();
        if let Some(t) = Self::merge_ty(&ty) {
            self.b.append_block_param(merge, t);
        }
        let arm = |tr: &mut Self, direct: &Option<Vec<Value>>| -> (Block, Vec<BlockArg>) {
            match direct {
                Some(args) => (merge, args.iter().map(|v| BlockArg::Value(*v)).collect()),
                None => (tr.new_block(), vec![]),
            }
        };
        let (tb, targs) = arm(self, &then_direct);
        let (eb, eargs) = arm(self, &else_direct);
        self.b.ins().brif(c, tb, &targs, eb, &eargs);
        let arms: Vec<(Block, Option<&Expr>)> =
            [(tb, Some(then_e), &then_direct), (eb, else_e, &else_direct)].into_iter().filter(|(_, _, d)| d.is_none()).map(|(b, x, _)| (b, x)).collect();
        self.if_arms(&arms, merge, &ty)
    }

    /// The arms of an `I` that have blocks of their own (each sealed here: every branch to it
    /// is emitted), each jumping to `merge` with its value; then the merged value.
    fn if_arms(&mut self, arms: &[(Block, Option<&Expr>)], merge: Block, ty: &Ty) -> R<Val> {
        for (blk, x) in arms {
            self.b.seal_block(*blk);
            self.b.switch_to_block(*blk);
            let v = match x {
                Some(x) => self.expr(x)?,
                None => Val::Unit,
            };
            let args = self.merge_args(v, ty);
            self.jump(merge, &args);
        }
        self.b.seal_block(merge);
        self.b.switch_to_block(merge);
        Ok(self.merge_result(merge, ty))
    }

    /// Whether `c` is a condition [`Tr::branch_on`] turns into branches: `&&`, `||` or `!` of
    /// `bool` operands that can complete.
    fn compound_cond(c: &Expr) -> bool {
        match &c.kind {
            ExprKind::Binary { op: BinaryOp::And | BinaryOp::Or, lhs, rhs } => lhs.ty == Ty::Bool && rhs.ty == Ty::Bool,
            ExprKind::Unary { op: UnaryOp::Not, operand } => operand.ty == Ty::Bool && Self::compound_cond(operand),
            _ => false,
        }
    }

    /// Jumps to `t` when `c` holds and to `e` when not, as control flow: `a && b` tests `a`, then
    /// `b` only when `a` held; `a || b` and `!a` likewise. No `bool` is materialised and tested
    /// again (a loop's `L _: i < n && x <= 4.0` is two compare-and-branches). Evaluation order
    /// and short-circuiting are the operators'. `t` and `e` are left unsealed (they may gain
    /// predecessors here).
    fn branch_on(&mut self, c: &Expr, t: Block, e: Block) -> R<()> {
        vais_ast::stack::guard(|| {
            if !Self::compound_cond(c) {
                let v = self.expr(c)?;
                let v = self.sv(v, &Ty::Bool);
                self.brif(v, t, e);
                return Ok(());
            }
            match &c.kind {
                ExprKind::Binary { op, lhs, rhs } => {
                    let mid = self.new_block();
                    if *op == BinaryOp::And {
                        self.branch_on(lhs, mid, e)?;
                    } else {
                        self.branch_on(lhs, t, mid)?;
                    }
                    self.b.seal_block(mid);
                    self.b.switch_to_block(mid);
                    self.branch_on(rhs, t, e)
                }
                ExprKind::Unary { operand, .. } => self.branch_on(operand, e, t),
                _ => unreachable!("compound_cond"),
            }
        })
    }

    /// `I` on a [`Tr::compound_cond`]: [`Tr::branch_on`] into an arm block each, both jumping
    /// to the merge block with their values.
    fn if_compound(&mut self, e: &Expr, cond: &Expr, then_e: &Expr, else_e: Option<&Expr>) -> R<Val> {
        let ty = if else_e.is_none() { Ty::Unit } else { e.ty.clone() };
        let merge = self.new_block();
        if let Some(t) = Self::merge_ty(&ty) {
            self.b.append_block_param(merge, t);
        }
        let (tb, eb) = (self.new_block(), self.new_block());
        self.branch_on(cond, tb, eb)?;
        self.if_arms(&[(tb, Some(then_e)), (eb, else_e)], merge, &ty)
    }

    fn loop_expr(&mut self, kind: &LoopKind, body: &Expr, span: Span) -> R<Val> {
        self.variant.push(std::sync::Arc::new(crate::hoist::variant(kind, body)));
        let r = self.loop_expr_here(kind, body, span);
        self.variant.pop();
        r
    }

    fn loop_expr_here(&mut self, kind: &LoopKind, body: &Expr, span: Span) -> R<Val> {
        let header = self.new_block();
        let body_b = self.new_block();
        let latch = self.new_block();
        let exit = self.new_block();
        // Range loops: evaluate the bounds once; the counter is a hidden variable.
        let mut range = None;
        let mut unrolled = false;
        if let LoopKind::Range { var, start, end, inclusive } = kind {
            let ity = match &start.ty {
                Ty::Int(i) => *i,
                _ => match &end.ty {
                    Ty::Int(i) => *i,
                    _ => IntTy::I64,
                },
            };
            let t = scalar_ty(&Ty::Int(ity)).unwrap();
            let s = self.expr(start)?;
            let s = self.sv(s, &Ty::Int(ity));
            let en = self.expr(end)?;
            let en = self.sv(en, &Ty::Int(ity));
            let ctr = self.b.declare_var(t);
            self.b.def_var(ctr, s);
            range = Some((ctr, en, ity, *inclusive, *var));
            // A body that is a vector plan (`crate::vector`) runs as vectors.
            let plan = if *inclusive { None } else { var.and_then(|v| crate::vector::plan(body, v).filter(|p| self.vector_fits(p, v)).map(|p| (v, p))) };
            if !*inclusive && self.unroll_range(s, en, ity, plan.is_some(), body) {
                // Ends with a branch to `header` (the remainder loop).
                match plan {
                    Some((v, plan)) => self.vector_range(ctr, (s, en), ity, v, &plan, header, span)?,
                    None => self.unrolled_range(ctr, (s, en), ity, *var, body, (header, latch, exit), span)?,
                }
                unrolled = true;
            } else if let Some(inner) = self.jam_candidate(*inclusive, ity, *var, body) {
                // Ends with a branch to `header` (the last pass when the count is odd).
                self.jammed_range(ctr, (s, en), ity, *var, inner, header, span)?;
                unrolled = true;
            }
        }
        if !unrolled {
            self.jump(header, &[]);
        }
        self.b.switch_to_block(header);
        match kind {
            LoopKind::Infinite => self.jump(body_b, &[]),
            LoopKind::While(c) | LoopKind::Recursion(c) => self.branch_on(c, body_b, exit)?,
            LoopKind::Range { .. } => {
                let (ctr, en, ity, inclusive, _) = range.unwrap();
                let cur = self.b.use_var(ctr);
                let cc = match (inclusive, ity.signed()) {
                    (false, true) => IntCC::SignedLessThan,
                    (false, false) => IntCC::UnsignedLessThan,
                    (true, true) => IntCC::SignedLessThanOrEqual,
                    (true, false) => IntCC::UnsignedLessThanOrEqual,
                };
                let c = self.b.ins().icmp(cc, cur, en);
                self.brif(c, body_b, exit);
            }
        }
        self.b.switch_to_block(body_b);
        if let Some((ctr, _, _, _, Some(var))) = range {
            let cur = self.b.use_var(ctr);
            self.assign_local(var, Val::S(cur));
        }
        self.loops.push((latch, exit));
        self.loop_body(body)?;
        self.loops.pop();
        self.jump(latch, &[]);
        self.b.seal_block(latch);
        self.b.switch_to_block(latch);
        // A recursion's loop polls at the calls in its iterations (`LoopKind::Recursion`).
        if !matches!(kind, LoopKind::Recursion(_)) {
            self.poll(span)?;
        }
        self.count()?;
        if let Some((ctr, en, _, inclusive, _)) = range {
            let cur = self.b.use_var(ctr);
            if inclusive {
                // Stop before incrementing past the end (the end may be the type's maximum).
                let done = self.b.ins().icmp(IntCC::Equal, cur, en);
                let inc = self.new_block();
                self.brif(done, exit, inc);
                self.b.seal_block(inc);
                self.b.switch_to_block(inc);
            }
            let ct = self.b.func.dfg.value_type(cur);
            let one = iconst(&mut self.b, ct, 1);
            let next = self.b.ins().iadd(cur, one);
            self.b.def_var(ctr, next);
            if inclusive {
                // `cur != en` held: `next <= en`.
                self.jump(body_b, &[]);
            } else {
                let (_, _, ity, _, _) = range.unwrap();
                let cc = if ity.signed() { IntCC::SignedLessThan } else { IntCC::UnsignedLessThan };
                let c = self.b.ins().icmp(cc, next, en);
                self.brif(c, body_b, exit);
            }
        } else {
            match kind {
                LoopKind::While(c) | LoopKind::Recursion(c) if Self::repeatable(c) => self.branch_on(c, body_b, exit)?,
                LoopKind::While(_) | LoopKind::Recursion(_) => self.jump(header, &[]),
                _ => self.jump(body_b, &[]),
            }
        }
        self.b.seal_block(body_b);
        self.b.seal_block(header);
        self.b.seal_block(exit);
        self.b.switch_to_block(exit);
        Ok(Val::Unit)
    }

    /// Whether a loop's condition is translated a second time, at the back-edge, so that the
    /// loop is rotated: small, binding nothing (no blocks, matches, closures or inlined copies,
    /// whose locals would be declared twice), and cheap to repeat: comparisons and logic over
    /// locals, constants and integer additions, masks and shifts. A condition that multiplies,
    /// divides, computes in floats, loads or calls is not repeated: the body usually computes
    /// the same values, which the header's test shares with it (mandel's `x*x + y*y <= 4.0`
    /// cost two more multiplications per iteration when repeated at the back-edge).
    fn repeatable(c: &Expr) -> bool {
        use BinaryOp::*;
        let mut nodes = 0;
        let mut ok = true;
        vais_tir::visit::preorder(c, |e| {
            nodes += 1;
            let scalar = |t: &Ty| t.is_int() || *t == Ty::Bool;
            ok &= match &e.kind {
                ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Bool(_) | ExprKind::Local(_) | ExprKind::Global(_) | ExprKind::Field { .. } => true,
                ExprKind::Unary { op: UnaryOp::Not | UnaryOp::Neg | UnaryOp::BitNot, operand } => scalar(&operand.ty),
                ExprKind::Cast(x) => scalar(&x.ty) && scalar(&e.ty),
                ExprKind::Binary { op: Lt | Le | Gt | Ge | Eq | Ne | And | Or, lhs, .. } => lhs.ty != Ty::Str,
                ExprKind::Binary { op: Add | Sub | BitAnd | BitOr | BitXor | Shl | Shr, .. } => scalar(&e.ty),
                _ => false,
            };
        });
        ok && nodes <= 16
    }

    /// A loop body; inside a jammed nest (see `crate::jam`) the inner body, once with the outer
    /// variable at the pass's first value and once at the next.
    fn loop_body(&mut self, body: &Expr) -> R<()> {
        let Some((r, r0)) = self.jam.take() else {
            self.expr(body)?;
            return Ok(());
        };
        for k in 0..2 {
            if let Some(r) = r {
                let x = if k == 0 { r0 } else { self.b.ins().iadd_imm_s(r0, 1) };
                self.assign_local(r, Val::S(x));
            }
            self.expr(body)?;
        }
        self.jam = Some((r, r0));
        Ok(())
    }

    /// The inner loop of an exclusive range loop over `body` that can be jammed (see
    /// `crate::jam`): its accumulators must be integers in SSA variables.
    fn jam_candidate<'e>(&self, inclusive: bool, ity: IntTy, var: Option<LocalId>, body: &'e Expr) -> Option<&'e Expr> {
        if inclusive || ity.bits() > 64 {
            return None;
        }
        let (inner, accs) = crate::jam::candidate(body, var)?;
        let ok = accs.iter().all(|l| matches!(self.locals[l.index()], Storage::Var(_)) && matches!(self.local_ty(*l), Ty::Int(_)));
        ok.then_some(inner)
    }

    /// The jammed part of an exclusive range loop `s..en` whose body is the jammable loop
    /// `inner`: the counter runs from `s` to `s + (n & !1)` two values per pass, each pass one
    /// run of `inner` with both bodies; then the block branches to `header`, where the
    /// ordinary loop runs the last value if `n` is odd.
    #[allow(clippy::too_many_arguments)]
    fn jammed_range(
        &mut self,
        ctr: Variable,
        (s, en): (Value, Value),
        ity: IntTy,
        var: Option<LocalId>,
        inner: &Expr,
        header: Block,
        span: Span,
    ) -> R<()> {
        let stop = self.unrolled_stop((s, en), ity, 2);
        let jhead = self.new_block();
        let jbody = self.new_block();
        self.jump(jhead, &[]);
        self.b.switch_to_block(jhead);
        let cur = self.b.use_var(ctr);
        let more = self.b.ins().icmp(IntCC::NotEqual, cur, stop);
        self.brif(more, jbody, header);
        self.b.seal_block(jbody);
        self.b.switch_to_block(jbody);
        self.poll(span)?;
        self.count()?;
        // The inner loop has no `B`/`C` of the outer one (checked).
        self.jam = Some((var, cur));
        let r = self.expr(inner);
        self.jam = None;
        r?;
        let next = self.b.ins().iadd_imm_s(cur, 2);
        self.b.def_var(ctr, next);
        self.jump(jhead, &[]);
        self.b.seal_block(jhead);
        Ok(())
    }

    /// Whether the exclusive range loop `s..en` (bounds already evaluated) over `body` is
    /// unrolled: counters of at most 64 bits, a small body without nested loops or `B`/`C` (or
    /// a `vector` plan's body, of any size), and not a known trip count below 8 (those loops
    /// are short: unrolling only grows code).
    fn unroll_range(&self, s: Value, en: Value, ity: IntTy, vector: bool, body: &Expr) -> bool {
        let bits = ity.bits();
        if bits > 64 {
            return false;
        }
        if let (Some(a), Some(b)) = (self.const_of(s), self.const_of(en)) {
            // `const_of` sign-extends from the width; unsigned bounds are re-read as unsigned.
            let val = |v: i64| -> i128 {
                if ity.signed() {
                    v as i128
                } else if bits == 64 {
                    v as u64 as i128
                } else {
                    (v as u64 & ((1u64 << bits) - 1)) as i128
                }
            };
            if val(b) - val(a) < 8 {
                return false;
            }
        }
        // A vector plan's body is small per element whatever its size in nodes.
        if vector {
            return true;
        }
        let mut budget = UNROLL_MAX_NODES;
        unrollable_body(body, &mut budget)
    }

    /// Where the unrolled part of the exclusive range `s..en` stops when it runs `k` (a power
    /// of two) iterations per pass: `s` plus the trip count rounded down to a multiple of `k`,
    /// or `s` for an empty range. The subtraction wraps in the counter's width and is read as
    /// unsigned: exact when `s < en`.
    fn unrolled_stop(&mut self, (s, en): (Value, Value), ity: IntTy, k: i128) -> Value {
        let t = self.b.func.dfg.value_type(s);
        let lt = self.b.ins().icmp(if ity.signed() { IntCC::SignedLessThan } else { IntCC::UnsignedLessThan }, s, en);
        let diff = self.b.ins().isub(en, s);
        let mask = iconst(&mut self.b, t, -k);
        let whole = self.b.ins().band(diff, mask);
        let zero = iconst(&mut self.b, t, 0);
        let whole = self.b.ins().select(lt, whole, zero);
        self.b.ins().iadd(s, whole)
    }

    /// The unrolled part of an exclusive range loop (see [`Tr::unroll_range`]): with the trip
    /// count `n` (`en - s` as an unsigned difference when `s < en`, else 0), the counter runs
    /// from `s` to `stop = s + (n & !3)` four elements per iteration: four copies of the body
    /// with the loop variable bound to `i`, `i+1`, `i+2`, `i+3` and one interrupt poll. The
    /// block then ends with a branch to `header`: the ordinary loop runs the last `n % 4`
    /// elements. `blocks` are the ordinary loop's (header, latch, exit).
    #[allow(clippy::too_many_arguments)]
    fn unrolled_range(
        &mut self,
        ctr: Variable,
        (s, en): (Value, Value),
        ity: IntTy,
        var: Option<LocalId>,
        body: &Expr,
        (header, latch, exit): (Block, Block, Block),
        span: Span,
    ) -> R<()> {
        let stop = self.unrolled_stop((s, en), ity, 4);
        // Reductions get a partial accumulator per copy (`crate::reduce`): copy 0 updates the
        // local's own variable, copies 1-3 fresh ones reset to the identity on every entry.
        let mut parts = Vec::new();
        // (The loop variable is assigned by the unroller itself: never split.)
        for (l, fam) in crate::reduce::chain_bound(body).into_iter().filter(|(l, _)| Some(*l) != var) {
            let (Storage::Var(acc), Ty::Int(it)) = (&self.locals[l.index()], self.local_ty(l)) else { continue };
            if it.bits() > 64 {
                continue;
            }
            let acc = *acc;
            let vt = scalar_ty(&Ty::Int(it)).unwrap();
            let mut vars = [acc; 4];
            for p in vars.iter_mut().skip(1) {
                *p = self.b.declare_var(vt);
                let id = iconst(&mut self.b, vt, fam.identity());
                self.b.def_var(*p, id);
            }
            parts.push((l, fam, vars));
        }
        // A rotated loop: the entry tests once, the group ends with the test and the branch
        // back (one branch per group, no separate header block).
        let ubody = self.new_block();
        let combine = if parts.is_empty() { header } else { self.new_block() };
        let cur = self.group_start(ctr, stop, ubody, combine, span)?;
        // The body has no `B`/`C` of its own (checked); the entry keeps the stack's shape.
        self.loops.push((latch, exit));
        for k in 0..4i64 {
            if let Some(v) = var {
                let x = if k == 0 { cur } else { self.b.ins().iadd_imm_s(cur, k) };
                self.assign_local(v, Val::S(x));
            }
            for (l, _, vars) in &parts {
                self.locals[l.index()] = Storage::Var(vars[k as usize]);
            }
            self.loop_body(body)?;
        }
        for (l, _, vars) in &parts {
            self.locals[l.index()] = Storage::Var(vars[0]);
        }
        self.loops.pop();
        let next = self.b.ins().iadd_imm_s(cur, 4);
        self.b.def_var(ctr, next);
        let more = self.b.ins().icmp(IntCC::NotEqual, next, stop);
        self.brif(more, ubody, combine);
        self.b.seal_block(ubody);
        if !parts.is_empty() {
            self.b.seal_block(combine);
            self.b.switch_to_block(combine);
            for (_, fam, vars) in &parts {
                let mut acc = self.b.use_var(vars[0]);
                for p in &vars[1..] {
                    let x = self.b.use_var(*p);
                    acc = self.combine(*fam, acc, x);
                }
                self.b.def_var(vars[0], acc);
            }
            self.jump(header, &[]);
        }
        Ok(())
    }

    /// The entry of a rotated unrolled loop (its test once, before the first group), then the
    /// start of a group in `ubody`: the counter's value, after one poll per group, first (the
    /// copies' loads then have no side effect between them and their uses, so the back end
    /// can fold them into the arithmetic).
    fn group_start(&mut self, ctr: Variable, stop: Value, ubody: Block, done: Block, span: Span) -> R<Value> {
        let cur = self.b.use_var(ctr);
        let more = self.b.ins().icmp(IntCC::NotEqual, cur, stop);
        self.brif(more, ubody, done);
        self.b.switch_to_block(ubody);
        let cur = self.b.use_var(ctr);
        self.poll(span)?;
        self.count()?;
        Ok(cur)
    }

    /// Whether the translator can run `plan` (`crate::vector`) as vectors: every accumulator
    /// is a 64-bit integer in an SSA variable, and every other local the operands read is a
    /// 64-bit integer.
    fn vector_fits(&self, plan: &[crate::vector::Update<'_>], var: LocalId) -> bool {
        let int64 = |t: Ty| matches!(t, Ty::Int(i) if i.bits() == 64);
        plan.iter().all(|u| {
            let mut read = vec![];
            crate::vector::locals_read(u.operand, &mut read);
            matches!(self.locals[u.acc.index()], Storage::Var(_))
                && int64(self.local_ty(u.acc))
                && read.iter().all(|l| *l == var || int64(self.local_ty(*l)))
        })
    }

    /// The unrolled part of an exclusive range loop whose body is a vectorisable reduction
    /// (`crate::vector`): four elements per pass as two `i64x2` vectors with two vector partials
    /// per accumulator (at the operation's identity on every entry), folded into the
    /// accumulator when the pass count is done; then the block branches to `header`, where the
    /// scalar loop runs the remaining elements. Under unroll-and-jam the body runs once per
    /// jammed value of the outer variable, as [`Tr::loop_body`] does.
    #[allow(clippy::too_many_arguments)]
    fn vector_range(
        &mut self,
        ctr: Variable,
        (s, en): (Value, Value),
        ity: IntTy,
        var: LocalId,
        plan: &[crate::vector::Update<'_>],
        header: Block,
        span: Span,
    ) -> R<()> {
        use crate::reduce::Family;
        let stop = self.unrolled_stop((s, en), ity, 4);
        let vt = types::I64X2;
        let mut parts: Vec<(LocalId, Family, [Variable; 2])> = vec![];
        for u in plan {
            if parts.iter().any(|(l, _, _)| *l == u.acc) {
                continue;
            }
            let id = self.b.ins().iconst(types::I64, u.fam.identity() as i64);
            let id = self.b.ins().splat(vt, id);
            let vars = [self.b.declare_var(vt), self.b.declare_var(vt)];
            for v in vars {
                self.b.def_var(v, id);
            }
            parts.push((u.acc, u.fam, vars));
        }
        let ubody = self.new_block();
        let combine = self.new_block();
        let cur = self.group_start(ctr, stop, ubody, combine, span)?;
        let jam = self.jam;
        let copies = if jam.is_some() { 2 } else { 1 };
        for k in 0..copies {
            if let Some((Some(r), r0)) = jam {
                let x = if k == 0 { r0 } else { self.b.ins().iadd_imm_s(r0, 1) };
                self.assign_local(r, Val::S(x));
            }
            for u in plan {
                let (_, fam, vars) = *parts.iter().find(|(l, _, _)| *l == u.acc).expect("a partial");
                for (half, pv) in vars.iter().enumerate() {
                    let x = self.lanes(u.operand, var, cur, 16 * half as i32)?;
                    let x = self.as_vector(x);
                    let acc = self.b.use_var(*pv);
                    let n = if u.sub { self.b.ins().isub(acc, x) } else { self.combine(fam, acc, x) };
                    self.b.def_var(*pv, n);
                }
            }
        }
        let next = self.b.ins().iadd_imm_s(cur, 4);
        self.b.def_var(ctr, next);
        let more = self.b.ins().icmp(IntCC::NotEqual, next, stop);
        self.brif(more, ubody, combine);
        self.b.seal_block(ubody);
        self.b.seal_block(combine);
        self.b.switch_to_block(combine);
        // The lanes go through a stack slot (no lane extraction needed from the target).
        let slot = self.b.create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, 16, 4));
        for (l, fam, [p0, p1]) in parts {
            let (a, b) = (self.b.use_var(p0), self.b.use_var(p1));
            let v = self.combine(fam, a, b);
            let at = self.b.ins().stack_addr(PTR, slot, 0);
            self.b.ins().store(flags(), v, at, 0);
            let lo = self.b.ins().load(types::I64, flags(), at, 0);
            let hi = self.b.ins().load(types::I64, flags(), at, 8);
            let lanes = self.combine(fam, lo, hi);
            let Storage::Var(acc) = self.locals[l.index()] else { unreachable!("checked by vector_fits") };
            let old = self.b.use_var(acc);
            let sum = self.combine(fam, old, lanes);
            self.b.def_var(acc, sum);
        }
        self.jump(header, &[]);
        Ok(())
    }

    /// Two partial results of a reduction (`crate::reduce::Family`) combined: scalars or vectors
    /// alike.
    fn combine(&mut self, fam: crate::reduce::Family, x: Value, y: Value) -> Value {
        use crate::reduce::Family;
        match fam {
            Family::Add => self.b.ins().iadd(x, y),
            Family::Mul => self.b.ins().imul(x, y),
            Family::And => self.b.ins().band(x, y),
            Family::Or => self.b.ins().bor(x, y),
            Family::Xor => self.b.ins().bxor(x, y),
        }
    }

    /// A lane-wise operand of a vector plan for the elements at `var = cur` and `cur + 1`,
    /// `off` bytes further: a scalar when it is the same in every lane.
    fn lanes(&mut self, e: &Expr, var: LocalId, cur: Value, off: i32) -> R<Val> {
        if crate::vector::invariant(e, var, &[]) {
            return self.expr(e);
        }
        match &e.kind {
            ExprKind::Binary { op, lhs, rhs } => {
                let (a, b) = (self.lanes(lhs, var, cur, off)?, self.lanes(rhs, var, cur, off)?);
                let (a, b) = (self.as_vector(a), self.as_vector(b));
                Ok(Val::M(match op {
                    BinaryOp::Add => self.b.ins().iadd(a, b),
                    BinaryOp::Sub => self.b.ins().isub(a, b),
                    BinaryOp::BitXor => self.b.ins().bxor(a, b),
                    BinaryOp::BitAnd => self.b.ins().band(a, b),
                    BinaryOp::BitOr => self.b.ins().bor(a, b),
                    _ => return Err(format!("operator {} in a vector plan", op.symbol())),
                }))
            }
            ExprKind::Call { args, .. } => {
                let p = crate::vector::unit_stride(&args[0], var).ok_or("a load without unit stride in a vector plan")?;
                let base = self.expr(p)?;
                let base = self.sv(base, &Ty::I64);
                // The load carries its own position (a fault names it), as `expr` gives it.
                let outer = self.enter_position(e.span);
                let scaled = self.b.ins().ishl_imm_u(cur, 3);
                let at = self.b.ins().iadd(base, scaled);
                let v = self.b.ins().load(types::I64X2, flags(), at, off);
                self.b.set_srcloc(outer);
                Ok(Val::M(v))
            }
            _ => Err("an operand that is not lane-wise in a vector plan".to_string()),
        }
    }

    /// A lane-wise value as a vector: scalars (`Val::S`) are splatted, vectors (`Val::M`) kept.
    fn as_vector(&mut self, v: Val) -> Value {
        match v {
            Val::M(x) => x,
            Val::S(x) => self.b.ins().splat(types::I64X2, x),
            Val::Unit => unreachable!("a unit lane"),
        }
    }

    // ----- operators ---------------------------------------------------------------------------

    pub(crate) fn cast_int(&mut self, v: Value, from: IntTy, to: IntTy) -> Value {
        let (fb, tb) = (from.bits(), to.bits());
        let tt = scalar_ty(&Ty::Int(to)).unwrap();
        if fb == tb {
            v
        } else if fb > tb {
            self.b.ins().ireduce(tt, v)
        } else if from.signed() {
            self.b.ins().sextend(tt, v)
        } else {
            self.b.ins().uextend(tt, v)
        }
    }

    /// The explicit conversions of Extensions decision 12 that involve a float or `bool` (see
    /// `vais_tir::ExprKind::Cast`): float to integer saturates (NaN gives 0), integer to float
    /// rounds to nearest, `bool` is 0 or 1.
    fn cast_scalar(&mut self, v: Value, from: &Ty, to: &Ty) -> R<Value> {
        let wide = |t: &Ty| matches!(t, Ty::Int(i) if i.bits() == 128);
        if (wide(from) && matches!(to, Ty::F32 | Ty::F64)) || (matches!(from, Ty::F32 | Ty::F64) && wide(to)) {
            return self.cast_wide_float(v, from, to);
        }
        Ok(match (from, to) {
            (Ty::F32, Ty::F64) => self.b.ins().fpromote(types::F64, v),
            (Ty::F64, Ty::F32) => self.b.ins().fdemote(types::F32, v),
            (Ty::Bool, Ty::Int(i)) => self.cast_int(v, IntTy::U8, *i),
            (Ty::Int(i), Ty::F32 | Ty::F64) => {
                let ft = if *to == Ty::F32 { types::F32 } else { types::F64 };
                match (i.signed(), i.bits()) {
                    (false, 64) => self.b.ins().fcvt_from_uint(ft, v),
                    (_, 64) => self.b.ins().fcvt_from_sint(ft, v),
                    // Narrow values are exact in an `i64`: extend by the source's signedness.
                    _ => {
                        let w = self.cast_int(v, *i, IntTy::I64);
                        self.b.ins().fcvt_from_sint(ft, w)
                    }
                }
            }
            (Ty::F32 | Ty::F64, Ty::Int(i)) => match (i.signed(), i.bits()) {
                (true, 64) => self.b.ins().fcvt_to_sint_sat(types::I64, v),
                (false, 64) => self.b.ins().fcvt_to_uint_sat(types::I64, v),
                // Saturate at `i64`'s limits, then clamp to the target's and narrow.
                (signed, bits) => {
                    let w = self.b.ins().fcvt_to_sint_sat(types::I64, v);
                    let (lo, hi) = if signed { (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1) } else { (0, (1i64 << bits) - 1) };
                    let lo = self.b.ins().iconst(types::I64, lo);
                    let hi = self.b.ins().iconst(types::I64, hi);
                    let w = self.b.ins().smax(w, lo);
                    let w = self.b.ins().smin(w, hi);
                    self.cast_int(w, IntTy::I64, *i)
                }
            },
            _ => v,
        })
    }

    /// Conversions between floats and 128-bit integers (no instruction does them on our
    /// targets): the `vais$i128cvt` helper computes them as Rust's `as` does (nearest value;
    /// truncation toward zero with saturation, NaN 0), through a 16-byte stack buffer each way.
    fn cast_wide_float(&mut self, v: Value, from: &Ty, to: &Ty) -> R<Value> {
        let (op, v) = match (from, to) {
            (Ty::Int(i), Ty::F64) => (if i.signed() { 0 } else { 1 }, v),
            (Ty::Int(i), _) => (if i.signed() { 2 } else { 3 }, v),
            (Ty::F32, Ty::Int(i)) => (if i.signed() { 4 } else { 5 }, self.b.ins().fpromote(types::F64, v)),
            (_, Ty::Int(i)) => (if i.signed() { 4 } else { 5 }, v),
            _ => unreachable!("cast_scalar passes only float <-> 128-bit integer casts"),
        };
        let ss = self.new_slot(32, 16);
        let a = self.slot_addr(ss, 0);
        let o = self.slot_addr(ss, 16);
        self.b.ins().store(flags(), v, a, 0);
        let c = self.b.ins().iconst(types::I32, op);
        self.rt_call(RtFn::I128Cvt, &[c, a, o])?;
        let t = match to {
            Ty::F64 => types::F64,
            Ty::F32 => types::F32,
            _ => types::I128,
        };
        Ok(self.b.ins().load(t, flags(), o, 0))
    }

    fn binary(&mut self, op: BinaryOp, lhs: &Expr, rhs: &Expr, span: Span) -> R<Val> {
        if matches!(op, BinaryOp::And | BinaryOp::Or) {
            let a = self.expr(lhs)?;
            let a = self.sv(a, &Ty::Bool);
            let rb = self.new_block();
            let merge = self.new_block();
            self.b.append_block_param(merge, types::I8);
            if op == BinaryOp::And {
                self.b.ins().brif(a, rb, &[], merge, &[BlockArg::Value(a)]);
            } else {
                self.b.ins().brif(a, merge, &[BlockArg::Value(a)], rb, &[]);
            }
            self.b.seal_block(rb);
            self.b.switch_to_block(rb);
            let bv = self.expr(rhs)?;
            let bv = self.sv(bv, &Ty::Bool);
            self.jump(merge, &[bv]);
            self.b.seal_block(merge);
            self.b.switch_to_block(merge);
            return Ok(Val::S(self.b.block_params(merge)[0]));
        }
        let a = self.expr(lhs)?;
        let bv = self.expr(rhs)?;
        let ty = if lhs.ty != Ty::Never { lhs.ty.clone() } else { rhs.ty.clone() };
        if ty == Ty::Never {
            return Ok(Val::Unit);
        }
        let is_cmp = matches!(
            op,
            BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge
        );
        if is_cmp {
            return self.compare(op, &ty, a, bv);
        }
        let x = self.sv(a, &ty);
        let y = self.sv(bv, &ty);
        Ok(Val::S(self.arith(op, &ty, x, y, span)?))
    }

    fn compare(&mut self, op: BinaryOp, ty: &Ty, a: Val, bv: Val) -> R<Val> {
        let r = match ty {
            Ty::F32 | Ty::F64 => {
                let (x, y) = (self.sv(a, ty), self.sv(bv, ty));
                let cc = match op {
                    BinaryOp::Eq => FloatCC::Equal,
                    BinaryOp::Ne => FloatCC::NotEqual,
                    BinaryOp::Lt => FloatCC::LessThan,
                    BinaryOp::Le => FloatCC::LessThanOrEqual,
                    BinaryOp::Gt => FloatCC::GreaterThan,
                    _ => FloatCC::GreaterThanOrEqual,
                };
                self.b.ins().fcmp(cc, x, y)
            }
            Ty::Str => {
                let (x, y) = (self.sv(a, ty), self.sv(bv, ty));
                let eq = self.rt_call(RtFn::StrEq, &[x, y])?.unwrap();
                let eq = self.b.ins().icmp_imm_s(IntCC::NotEqual, eq, 0);
                match op {
                    BinaryOp::Eq => eq,
                    BinaryOp::Ne => self.b.ins().bxor_imm_u(eq, 1),
                    _ => return Err("ordering comparison on str".into()),
                }
            }
            _ if is_zst(ty) => {
                let v = matches!(op, BinaryOp::Eq | BinaryOp::Le | BinaryOp::Ge);
                self.b.ins().iconst(types::I8, v as i64)
            }
            _ if is_aggregate(ty) => {
                // Unspecified by the language: compare the bytes.
                let (x, y) = (self.mv(a, ty), self.mv(bv, ty));
                let size = self.lay(ty).size as i64;
                let n = self.b.ins().iconst(types::I64, size);
                let r = self.rt_call(RtFn::MemEq, &[x, y, n])?.unwrap();
                match op {
                    BinaryOp::Eq => r,
                    BinaryOp::Ne => self.b.ins().bxor_imm_u(r, 1),
                    _ => return Err("ordering comparison on an aggregate".into()),
                }
            }
            _ => {
                let (x, y) = (self.sv(a, ty), self.sv(bv, ty));
                let signed = matches!(ty, Ty::Int(i) if i.signed());
                let cc = match (op, signed) {
                    (BinaryOp::Eq, _) => IntCC::Equal,
                    (BinaryOp::Ne, _) => IntCC::NotEqual,
                    (BinaryOp::Lt, true) => IntCC::SignedLessThan,
                    (BinaryOp::Le, true) => IntCC::SignedLessThanOrEqual,
                    (BinaryOp::Gt, true) => IntCC::SignedGreaterThan,
                    (BinaryOp::Ge, true) => IntCC::SignedGreaterThanOrEqual,
                    (BinaryOp::Lt, false) => IntCC::UnsignedLessThan,
                    (BinaryOp::Le, false) => IntCC::UnsignedLessThanOrEqual,
                    (BinaryOp::Gt, false) => IntCC::UnsignedGreaterThan,
                    _ => IntCC::UnsignedGreaterThanOrEqual,
                };
                self.b.ins().icmp(cc, x, y)
            }
        };
        Ok(Val::S(r))
    }

    /// Arithmetic, bitwise and shift operators on two scalars of type `ty`.
    /// The value of `v` when it is an `iconst` of at most 64 bits (sign-extended), else `None`.
    fn const_of(&self, v: Value) -> Option<i64> {
        use cranelift_codegen::ir::{InstructionData, Opcode, ValueDef};
        let ValueDef::Result(inst, 0) = self.b.func.dfg.value_def(v) else { return None };
        match self.b.func.dfg.insts[inst] {
            InstructionData::UnaryImm { opcode: Opcode::Iconst, imm } => {
                let bits = self.b.func.dfg.value_type(v).bits();
                let raw = imm.bits();
                if bits > 64 {
                    return None;
                }
                Some(if bits == 64 { raw } else { (raw << (64 - bits)) >> (64 - bits) })
            }
            _ => None,
        }
    }

    /// Whether `v` is the float constant 2.0.
    fn is_float_two(&self, v: Value) -> bool {
        use cranelift_codegen::ir::{InstructionData, Opcode, ValueDef};
        let ValueDef::Result(inst, 0) = self.b.func.dfg.value_def(v) else { return false };
        match self.b.func.dfg.insts[inst] {
            InstructionData::UnaryIeee64 { opcode: Opcode::F64const, imm } => imm.as_f64() == 2.0,
            InstructionData::UnaryIeee32 { opcode: Opcode::F32const, imm } => imm.as_f32() == 2.0,
            _ => false,
        }
    }

    fn arith(&mut self, op: BinaryOp, ty: &Ty, x: Value, y: Value, span: Span) -> R<Value> {
        if ty.is_float() {
            return Ok(match op {
                BinaryOp::Add => self.b.ins().fadd(x, y),
                BinaryOp::Sub => self.b.ins().fsub(x, y),
                // `2.0 * x` is `x + x` exactly (rounding, infinities, NaNs and signed zeros
                // alike), and an add is cheaper than a multiply by a constant loaded first.
                BinaryOp::Mul if self.is_float_two(x) => self.b.ins().fadd(y, y),
                BinaryOp::Mul if self.is_float_two(y) => self.b.ins().fadd(x, x),
                BinaryOp::Mul => self.b.ins().fmul(x, y),
                BinaryOp::Div => self.b.ins().fdiv(x, y),
                BinaryOp::Rem => {
                    let name = if *ty == Ty::F32 { RtFn::Fmodf } else { RtFn::Fmod };
                    self.rt_call(name, &[x, y])?.unwrap()
                }
                _ => return Err(format!("operator {} on a float", op.symbol())),
            });
        }
        let ity = match ty {
            Ty::Int(i) => *i,
            Ty::Bool => IntTy::U8,
            _ => IntTy::U64,
        };
        Ok(match op {
            BinaryOp::Add => self.b.ins().iadd(x, y),
            BinaryOp::Sub => self.b.ins().isub(x, y),
            // Strength reduction (`crate::strength`) only inside loops, where a chain of such
            // operations can bound the time; elsewhere the longer IR only costs compile time.
            BinaryOp::Mul if !self.variant.is_empty() => {
                let by_shift = match (self.const_of(x), self.const_of(y)) {
                    (_, Some(c)) => crate::strength::mul_const(&mut self.b, x, c),
                    (Some(c), _) => crate::strength::mul_const(&mut self.b, y, c),
                    _ => None,
                };
                by_shift.unwrap_or_else(|| self.b.ins().imul(x, y))
            }
            BinaryOp::Mul => self.b.ins().imul(x, y),
            BinaryOp::Div | BinaryOp::Rem => {
                let t = self.b.func.dfg.value_type(y);
                // A constant divisor needs no zero check (and, unless it is -1, no overflow
                // check).
                let k = self.const_of(y);
                if k.is_none() || k == Some(0) {
                    self.trap_if_zero(y, if op == BinaryOp::Div { TrapKind::DivisionByZero } else { TrapKind::RemainderByZero }, span)?;
                }
                if ity.signed() && (k.is_none() || k == Some(-1)) {
                    let min = iconst(&mut self.b, t, (-1i128) << (ity.bits() - 1));
                    let m1 = iconst(&mut self.b, t, -1);
                    let c1 = self.b.ins().icmp(IntCC::Equal, x, min);
                    let c2 = self.b.ins().icmp(IntCC::Equal, y, m1);
                    let both = self.b.ins().band(c1, c2);
                    self.trap_if(both, TrapKind::DivisionOverflow, span)?;
                }
                if let (true, Some(d), true) = (ity.signed(), k, !self.variant.is_empty()) {
                    if let Some(v) = crate::strength::sdiv_const(&mut self.b, x, d, op == BinaryOp::Div) {
                        return Ok(v);
                    }
                }
                if ity.bits() == 128 {
                    // No 128-bit division instruction on our targets: call a helper.
                    let code = match (op, ity.signed()) {
                        (BinaryOp::Div, true) => 0,
                        (BinaryOp::Div, false) => 1,
                        (_, true) => 2,
                        (_, false) => 3,
                    };
                    let ss = self.new_slot(48, 16);
                    let a = self.slot_addr(ss, 0);
                    let bb = self.slot_addr(ss, 16);
                    let o = self.slot_addr(ss, 32);
                    self.b.ins().store(flags(), x, a, 0);
                    self.b.ins().store(flags(), y, bb, 0);
                    let c = self.b.ins().iconst(types::I32, code);
                    self.rt_call(RtFn::I128Op, &[c, a, bb, o])?;
                    return Ok(self.b.ins().load(types::I128, flags(), o, 0));
                }
                match (op, ity.signed()) {
                    (BinaryOp::Div, true) => self.b.ins().sdiv(x, y),
                    (BinaryOp::Div, false) => self.b.ins().udiv(x, y),
                    (_, true) => self.b.ins().srem(x, y),
                    (_, false) => self.b.ins().urem(x, y),
                }
            }
            BinaryOp::BitAnd => self.b.ins().band(x, y),
            BinaryOp::BitOr => self.b.ins().bor(x, y),
            BinaryOp::BitXor => self.b.ins().bxor(x, y),
            BinaryOp::Shl => self.b.ins().ishl(x, y),
            BinaryOp::Shr if ity.signed() => self.b.ins().sshr(x, y),
            BinaryOp::Shr => self.b.ins().ushr(x, y),
            _ => return Err(format!("unexpected operator {}", op.symbol())),
        })
    }

    // ----- calls -------------------------------------------------------------------------------

    /// Evaluates arguments left to right into call-boundary values (aggregates copied).
    fn eval_args(&mut self, args: &[Expr], tys: &[Ty]) -> R<Vec<Value>> {
        let mut out = vec![];
        for (i, a) in args.iter().enumerate() {
            let ty = tys.get(i).cloned().unwrap_or_else(|| a.ty.clone());
            let v = self.expr_owned(a, &ty)?;
            if is_zst(&ty) {
                continue;
            }
            out.push(if is_aggregate(&ty) { self.mv(v, &ty) } else { self.sv(v, &ty) });
        }
        Ok(out)
    }

    /// Emits a call with the Vais convention and returns the result.
    fn vais_call(
        &mut self,
        target: Target,
        sig: cranelift_codegen::ir::Signature,
        ret: &Ty,
        env: Option<Value>,
        args: Vec<Value>,
    ) -> R<Val> {
        let mut all = vec![];
        let out = if is_aggregate(ret) {
            let t = self.temp(ret);
            all.push(t);
            Some(t)
        } else {
            None
        };
        if let Some(e) = env {
            all.push(e);
        }
        all.extend(args);
        let inst = match target {
            Target::Direct(fr) => self.b.ins().call(fr, &all),
            Target::Indirect(code) => {
                let sr = self.b.import_signature(sig);
                self.b.ins().call_indirect(sr, code, &all)
            }
        };
        if let Some(o) = out {
            return Ok(Val::M(o));
        }
        Ok(self.call_result(inst, ret))
    }

    /// A call to user function `f` (through its REPL slot when in REPL mode).
    pub(crate) fn call_user(&mut self, f: FuncId, env: Option<Value>, args: Vec<Value>) -> R<Val> {
        let def = self.p.func(f);
        let ret = def.ret.clone();
        let closure = def.kind == FuncKind::Lambda;
        let sig = abi::vais_sig(self.t.cc, &def.param_types(), &ret, closure);
        let env = if closure { Some(env.unwrap_or_else(|| self.b.ins().iconst(PTR, 0))) } else { None };
        if self.t.repl_mode {
            let code = self.user_code_addr(f)?;
            self.vais_call(Target::Indirect(code), sig, &ret, env, args)
        } else {
            let sym = self.user_sym(f, Sym::User);
            let fr = self.func_ref(sym);
            self.vais_call(Target::Direct(fr), sig, &ret, env, args)
        }
    }

    fn call(&mut self, e: &Expr, callee: &Callee, args: &[Expr]) -> R<Val> {
        vais_ast::stack::guard(|| self.call_here(e, callee, args))
    }

    fn call_here(&mut self, e: &Expr, callee: &Callee, args: &[Expr]) -> R<Val> {
        match callee {
            Callee::Func(f) => {
                let tys = self.p.func(*f).param_types();
                let vals = self.eval_args(args, &tys)?;
                self.call_user(*f, None, vals)
            }
            Callee::Value(c) => {
                let (ptys, ret) = match &c.ty {
                    Ty::Fn(p, r) => (p.clone(), (**r).clone()),
                    Ty::Never => {
                        self.expr(c)?;
                        return Ok(Val::Unit);
                    }
                    t => return Err(format!("call of a non-function value of type {t:?}")),
                };
                let fv = self.expr_owned(c, &c.ty)?;
                let a = self.mv(fv, &c.ty);
                let vals = self.eval_args(args, &ptys)?;
                let code = self.b.ins().load(PTR, flags(), a, 0);
                let env = self.b.ins().load(PTR, flags(), a, 8);
                let sig = abi::vais_sig(self.t.cc, &ptys, &ret, true);
                self.vais_call(Target::Indirect(code), sig, &ret, Some(env), vals)
            }
            Callee::Extern(x) => {
                let def = &self.p.externs[x.index()];
                if let Some(v) = self.libm_inline(def, args)? {
                    return Ok(v);
                }
                if is_aggregate(&def.ret) {
                    return Err(format!("extern {} returns an aggregate", def.name));
                }
                let mut tys = def.params.clone();
                let fixed = abi::c_sig(self.t.cc, &def.params, &def.ret);
                for a in args.iter().skip(def.params.len()) {
                    tys.push(a.ty.clone());
                }
                let vals = self.eval_args(args, &tys)?;
                let fr = self.import(&def.name, fixed);
                let inst = if args.len() > def.params.len() {
                    let sig = abi::c_sig(self.t.cc, &tys, &def.ret);
                    let code = self.b.ins().func_addr(PTR, fr);
                    let sr = self.b.import_signature(sig);
                    self.b.ins().call_indirect(sr, code, &vals)
                } else {
                    self.b.ins().call(fr, &vals)
                };
                let r = self.call_result(inst, &def.ret);
                // Ctrl-C during a blocking C call (`sleep`, `read`) makes it return early
                // (EINTR): stop right after it instead of at the next loop back-edge. A C
                // function that never blocks needs no poll after it.
                if !c_never_blocks(&def.name) {
                    self.poll(e.span)?;
                }
                Ok(r)
            }
            Callee::Builtin(bi) => self.builtin(e, *bi, args),
        }
    }

    /// C's `sqrt`/`sqrtf` and `fabs`/`fabsf` declared as externs with their C signatures, as
    /// the instruction computing them (C's results exactly, as `cc -O2` does) instead of a call
    /// through a pointer and the interrupt poll that follows every C call. `sqrt` of a negative
    /// number still sets `errno` (`EDOM`) on a cold path, as C's does.
    fn libm_inline(&mut self, def: &vais_tir::ExternDef, args: &[Expr]) -> R<Option<Val>> {
        let (op, ft) = match (def.name.as_str(), def.params.as_slice(), &def.ret) {
            ("sqrt" | "fabs", [Ty::F64], Ty::F64) => (def.name.as_str(), types::F64),
            ("sqrtf" | "fabsf", [Ty::F32], Ty::F32) => (def.name.as_str(), types::F32),
            _ => return Ok(None),
        };
        if def.variadic || args.len() != 1 {
            return Ok(None);
        }
        let x = self.eval_args(args, &def.params)?[0];
        if op.starts_with("fabs") {
            return Ok(Some(Val::S(self.b.ins().fabs(x))));
        }
        let r = self.b.ins().sqrt(x);
        let zero = if ft == types::F64 { self.b.ins().f64const(0.0) } else { self.b.ins().f32const(0.0) };
        let neg = self.b.ins().fcmp(FloatCC::LessThan, x, zero);
        let slow = self.new_block();
        let join = self.new_block();
        let out = self.b.append_block_param(join, ft);
        self.b.ins().brif(neg, slow, &[], join, &[BlockArg::Value(r)]);
        self.b.set_cold_block(slow);
        self.b.seal_block(slow);
        self.b.switch_to_block(slow);
        let c = if vais_runtime::mathrt::set_edom_addr().is_some() {
            // The instruction's NaN, and `errno = EDOM` through a helper that preserves every
            // register: the hot path keeps its values in registers (a C call here made the
            // register allocator spill them on the hot path too).
            let sig = cranelift_codegen::ir::Signature::new(cranelift_codegen::isa::CallConv::PreserveAll);
            let fr = self.import("vais_rt_set_edom", sig);
            self.b.ins().call(fr, &[]);
            r
        } else {
            let sig = abi::c_sig(self.t.cc, &def.params, &def.ret);
            let fr = self.import(&def.name, sig);
            let inst = self.b.ins().call(fr, &[x]);
            self.b.inst_results(inst)[0]
        };
        self.jump(join, &[c]);
        self.b.seal_block(join);
        self.b.switch_to_block(join);
        Ok(Some(Val::S(out)))
    }

    fn builtin(&mut self, e: &Expr, bi: Builtin, args: &[Expr]) -> R<Val> {
        let (ptys, ret) = bi.signature();
        if bi == Builtin::Printf {
            let r = self.printf(args)?;
            self.poll(e.span)?;
            return Ok(r);
        }
        if matches!(bi, Builtin::LoadByte | Builtin::LoadI64 | Builtin::StoreByte | Builtin::StoreI64) && !args.is_empty() {
            if let Some(a) = self.hoisted_address(None, &args[0], 1)? {
                let mut vals = vec![a];
                for (x, t) in args[1..].iter().zip(&ptys[1..]) {
                    let v = self.expr(x)?;
                    vals.push(self.sv(v, t));
                }
                return self.memory_builtin(bi, &vals);
            }
        }
        let vals = self.eval_args(args, &ptys)?;
        if vals.len() != ptys.len() {
            return Err(format!("builtin {} called with {} arguments", bi.name(), vals.len()));
        }
        match bi {
            Builtin::LoadByte | Builtin::LoadI64 | Builtin::StoreByte | Builtin::StoreI64 => return self.memory_builtin(bi, &vals),
            // A `str` is the address of its bytes.
            Builtin::StrPtr | Builtin::StrFromPtr => return Ok(Val::S(vals[0])),
            Builtin::Argv => {
                // Out of range is a runtime error at this call.
                let site = self.site(e.span);
                let site = self.b.ins().iconst(types::I64, site);
                let r = self.rt_call(RtFn::Argv, &[vals[0], site])?.unwrap();
                return Ok(Val::S(r));
            }
            _ => {}
        }
        let name = match bi {
            Builtin::StrLen => "vais_strlen".to_string(),
            _ => format!("vais_{}", bi.name()),
        };
        let sig = abi::c_sig(self.t.cc, &ptys, &ret);
        let fr = self.import(&name, sig);
        let inst = self.b.ins().call(fr, &vals);
        let r = self.call_result(inst, &ret);
        // The file and output built-ins can block in C (a full pipe, a terminal read); the
        // memory and string ones cannot (a poll after each `malloc`/`free` cost bintrees 25%
        // of its instructions).
        if !matches!(bi, Builtin::Malloc | Builtin::Free | Builtin::Memcpy | Builtin::Strlen | Builtin::StrLen | Builtin::Argc) {
            self.poll(e.span)?;
        }
        Ok(r)
    }

    /// `load_i64`/`load_byte`/`store_i64`/`store_byte` on evaluated arguments (the address
    /// first). A constant part of the address goes into the displacement (`crate::addr`).
    fn memory_builtin(&mut self, bi: Builtin, vals: &[Value]) -> R<Val> {
        let fl = flags();
        let (a, o) = crate::addr::split_offset(&mut self.b, vals[0]);
        Ok(match bi {
            Builtin::LoadByte => Val::S(self.b.ins().uload8(types::I64, fl, a, o)),
            Builtin::LoadI64 => Val::S(self.b.ins().load(types::I64, fl, a, o)),
            Builtin::StoreByte => {
                self.b.ins().istore8(fl, vals[1], a, o);
                Val::Unit
            }
            Builtin::StoreI64 => {
                self.b.ins().store(fl, vals[1], a, o);
                Val::Unit
            }
            _ => return Err(format!("builtin {} is not a memory access", bi.name())),
        })
    }

    /// Inside a loop, `base + e * factor` (`base` absent: 0) with the terms of `e` that do not
    /// change in the innermost loop summed first (`crate::hoist`), so the mid-end can hoist that
    /// sum out of the loop; `None` (nothing emitted) when there is no loop, or no split into
    /// both kinds of terms, or a term that writes.
    fn hoisted_address(&mut self, base: Option<Value>, e: &Expr, factor: i64) -> R<Option<Value>> {
        let Some(variant) = self.variant.last().cloned() else { return Ok(None) };
        if !matches!(e.ty, Ty::Int(i) if i.bits() == 64) {
            return Ok(None);
        }
        let Some(terms) = crate::hoist::terms(e, factor) else { return Ok(None) };
        let (inv, var): (Vec<_>, Vec<_>) = terms.into_iter().partition(|(_, t)| crate::hoist::invariant(t, &variant));
        if inv.is_empty() || var.is_empty() || !var.iter().all(|(_, t)| crate::hoist::writes_nothing(t)) {
            return Ok(None);
        }
        let sum = |tr: &mut Self, acc: Option<Value>, parts: &[(i64, &Expr)]| -> R<Option<Value>> {
            let mut acc = acc;
            for (f, t) in parts {
                let v = tr.expr(t)?;
                let v = tr.sv(v, &Ty::I64);
                let v = if *f == 1 { v } else { tr.b.ins().imul_imm_s(v, *f) };
                acc = Some(match acc {
                    Some(a) => tr.b.ins().iadd(a, v),
                    None => v,
                });
            }
            Ok(acc)
        };
        let fixed = sum(self, base, &inv)?.expect("invariant terms");
        let moving = sum(self, None, &var)?.expect("variant terms");
        Ok(Some(self.b.ins().iadd(fixed, moving)))
    }

    /// `printf(fmt, args...)`: arguments go to the runtime as 8-byte slots plus kind bytes.
    fn printf(&mut self, args: &[Expr]) -> R<Val> {
        let fmt = self.expr(&args[0])?;
        let fmt = self.sv(fmt, &Ty::Str);
        let n = args.len() - 1;
        let ss = self.new_slot((n as u32) * 9 + 8, 8);
        let base = self.slot_addr(ss, 0);
        let kinds = self.slot_addr(ss, (n * 8) as u32);
        for (i, a) in args[1..].iter().enumerate() {
            let v = self.expr(a)?;
            let (word, kind) = match &a.ty {
                Ty::Int(it) => {
                    let x = self.sv(v, &a.ty);
                    let w = if it.bits() == 128 {
                        self.b.ins().ireduce(types::I64, x)
                    } else {
                        self.cast_int(x, *it, if it.signed() { IntTy::I64 } else { IntTy::U64 })
                    };
                    (w, if it.signed() { ArgKind::Signed } else { ArgKind::Unsigned })
                }
                Ty::Bool => {
                    let x = self.sv(v, &a.ty);
                    (self.b.ins().uextend(types::I64, x), ArgKind::Unsigned)
                }
                Ty::F32 => {
                    let x = self.sv(v, &a.ty);
                    let d = self.b.ins().fpromote(types::F64, x);
                    (self.b.ins().bitcast(types::I64, MemFlagsData::new(), d), ArgKind::F64)
                }
                Ty::F64 => {
                    let x = self.sv(v, &a.ty);
                    (self.b.ins().bitcast(types::I64, MemFlagsData::new(), x), ArgKind::F64)
                }
                t if is_zst(t) => (self.b.ins().iconst(types::I64, 0), ArgKind::Unsigned),
                t => {
                    let x = if is_aggregate(t) { self.mv(v, t) } else { self.sv(v, t) };
                    (x, ArgKind::Ptr)
                }
            };
            self.b.ins().store(flags(), word, base, (i * 8) as i32);
            let k = self.b.ins().iconst(types::I8, kind as u8 as i64);
            self.b.ins().store(flags(), k, kinds, i as i32);
        }
        let cnt = self.b.ins().iconst(types::I64, n as i64);
        let r = self
            .rt_call(RtFn::Printf, &[fmt, base, kinds, cnt])?
            .unwrap();
        Ok(Val::S(r))
    }

    fn slice(&mut self, e: &Expr, base: &Expr, start: Option<&Expr>, end: &Expr, inclusive: bool) -> R<Val> {
        let elem = match &base.ty {
            Ty::Ptr(t) | Ty::Array(t) => (**t).clone(),
            Ty::Str => Ty::Int(IntTy::U8),
            _ => match &e.ty {
                Ty::Ptr(t) => (**t).clone(),
                _ => return Err("slice of a non-pointer".into()),
            },
        };
        let size = self.lay(&elem).size as i64;
        let bv = self.expr(base)?;
        let bp = self.sv(bv, &base.ty);
        let s = match start {
            Some(s) => {
                let v = self.expr(s)?;
                let v = self.sv(v, &s.ty);
                self.as_i64(v, &s.ty)
            }
            None => self.b.ins().iconst(types::I64, 0),
        };
        let en = self.expr(end)?;
        let en = self.sv(en, &end.ty);
        let mut en = self.as_i64(en, &end.ty);
        if inclusive {
            en = self.b.ins().iadd_imm_s(en, 1);
        }
        let n = self.b.ins().isub(en, s);
        let bytes = self.b.ins().imul_imm_s(n, size);
        let extra = if base.ty == Ty::Str { 1 } else { 0 };
        let alloc = self.b.ins().iadd_imm_s(bytes, extra);
        let dst = self.rt_call(RtFn::Malloc, &[alloc])?.unwrap();
        let off = self.b.ins().imul_imm_s(s, size);
        let src = self.b.ins().iadd(bp, off);
        self.rt_call(RtFn::Memcpy, &[dst, src, bytes])?;
        if extra == 1 {
            let end_addr = self.b.ins().iadd(dst, bytes);
            let z = self.b.ins().iconst(types::I8, 0);
            self.b.ins().store(flags(), z, end_addr, 0);
        }
        Ok(Val::S(dst))
    }

    // ----- match -------------------------------------------------------------------------------

    fn match_expr(&mut self, e: &Expr, scrutinee: &Expr, arms: &[vais_tir::Arm]) -> R<Val> {
        if let ExprKind::Local(l) = scrutinee.kind {
            if matches!(scrutinee.ty, Ty::Enum(_)) && matches!(self.locals[l.index()], Storage::Split(_)) {
                if let Some(keys) = switch_keys(&scrutinee.ty, arms) {
                    // The enum lives in word variables: switch on word 0, bind from the others.
                    return self.switch_match(e, Val::Unit, Some(l), &scrutinee.ty, arms, &keys);
                }
            }
        }
        let sv = self.expr(scrutinee)?;
        let sty = scrutinee.ty.clone();
        let sv = if is_zst(&sty) || sty == Ty::Never {
            sv
        } else if is_aggregate(&sty) {
            Val::M(self.mv(sv, &sty))
        } else {
            Val::S(self.sv(sv, &sty))
        };
        let ty = e.ty.clone();
        if let Some(keys) = switch_keys(&sty, arms) {
            return self.switch_match(e, sv, None, &sty, arms, &keys);
        }
        let merge = self.new_block();
        if let Some(t) = Self::merge_ty(&ty) {
            self.b.append_block_param(merge, t);
        }
        for (ai, arm) in arms.iter().enumerate() {
            let next = self.new_block();
            if arm.guard.is_none() && self.is_trivial(&arm.body) && sty != Ty::Never {
                if let Some(c) = self.literal_test(&arm.pattern, sv)? {
                    // A test and a trivial body: branch straight to the merge block.
                    let v = self.expr(&arm.body)?;
                    let args: Vec<BlockArg> = self.merge_args(v, &ty).into_iter().map(BlockArg::Value).collect();
                    self.b.ins().brif(c, merge, &args, next, &[]);
                    self.b.seal_block(next);
                    self.b.switch_to_block(next);
                    continue;
                }
            }
            self.pattern(&arm.pattern, sv, next)?;
            let last_total = ai + 1 == arms.len() && arm.guard.is_none() && irrefutable(&arm.pattern);
            if let Some(g) = &arm.guard {
                let gv = self.expr(g)?;
                let gv = self.sv(gv, &Ty::Bool);
                let body = self.new_block();
                self.brif(gv, body, next);
                self.b.seal_block(body);
                self.b.switch_to_block(body);
            }
            let v = self.expr(&arm.body)?;
            let args = self.merge_args(v, &ty);
            self.jump(merge, &args);
            self.b.seal_block(next);
            if last_total {
                // `next` has no predecessor: no no-match trap.
                self.b.seal_block(merge);
                self.b.switch_to_block(merge);
                return Ok(self.merge_result(merge, &ty));
            }
            self.b.switch_to_block(next);
        }
        self.trap(TrapKind::NoMatchArm, e.span)?;
        self.b.seal_block(merge);
        self.b.switch_to_block(merge);
        Ok(self.merge_result(merge, &ty))
    }

    /// A match whose arms test one key each (see [`switch_keys`]): the enum's tag or the
    /// integer is loaded once and dispatched by a `Switch` (a jump table when the keys are
    /// dense, else a search tree) instead of one test per arm in order.
    ///
    /// `split`: the scrutinee is this scalar-replaced enum local (`sv` is then unused).
    fn switch_match(
        &mut self,
        e: &Expr,
        sv: Val,
        split: Option<LocalId>,
        sty: &Ty,
        arms: &[vais_tir::Arm],
        keys: &[Option<u64>],
    ) -> R<Val> {
        let ty = e.ty.clone();
        let merge = self.new_block();
        if let Some(t) = Self::merge_ty(&ty) {
            self.b.append_block_param(merge, t);
        }
        let key = match sty {
            Ty::Enum(_) => {
                // Tags are variant indices (below 2^32): an `i32` key spares the switch's
                // range check on the upper half.
                let tag = match split {
                    Some(l) => self.split_word(l, 0).ok_or("enum local without a tag variable")?,
                    None => {
                        let a = self.mv(sv, sty);
                        self.b.ins().load(types::I64, flags(), a, 0)
                    }
                };
                self.b.ins().ireduce(types::I32, tag)
            }
            _ => self.sv(sv, sty),
        };
        let blocks: Vec<Block> = arms.iter().map(|_| self.b.create_block()).collect();
        let default = keys.iter().position(|k| k.is_none());
        let otherwise = match default {
            Some(i) => blocks[i],
            None => self.new_block(),
        };
        let mut sw = cranelift_frontend::Switch::new();
        for (k, blk) in keys.iter().zip(&blocks) {
            if let Some(k) = k {
                sw.set_entry(*k as u128, *blk);
            }
        }
        sw.emit(&mut self.b, key, otherwise);
        for (arm, blk) in arms.iter().zip(&blocks) {
            self.b.seal_block(*blk);
            self.b.switch_to_block(*blk);
            // Irrefutable sub-patterns: they only bind (`otherwise` is never branched to).
            match &arm.pattern.kind {
                PatternKind::Variant { enum_id, variant, args } => {
                    let ety = Ty::Enum(*enum_id);
                    let a = match split {
                        Some(_) => None,
                        None => Some(self.mv(sv, &ety)),
                    };
                    let lay = self.lay(&ety);
                    let ftys = self.p.enum_def(*enum_id).variants[*variant as usize].fields.clone();
                    for (i, sub) in args.iter().enumerate() {
                        if matches!(sub.kind, PatternKind::Wildcard) {
                            continue;
                        }
                        let off = lay.variants[*variant as usize][i];
                        let fv = match (a, split) {
                            (Some(a), _) => self.load_at(a, off, &ftys[i]),
                            (None, Some(l)) => self.split_field(l, off, &ftys[i]),
                            (None, None) => unreachable!(),
                        };
                        self.pattern(sub, fv, otherwise)?;
                    }
                }
                PatternKind::Int(_) => {}
                PatternKind::Wildcard => {}
                _ => {
                    // The default arm binds the whole value.
                    let v = match split {
                        Some(l) => Val::M(self.split_gather(l)),
                        None => sv,
                    };
                    self.pattern(&arm.pattern, v, otherwise)?
                }
            }
            let v = self.expr(&arm.body)?;
            let args = self.merge_args(v, &ty);
            self.jump(merge, &args);
        }
        if default.is_none() {
            self.b.seal_block(otherwise);
            self.b.switch_to_block(otherwise);
            self.trap(TrapKind::NoMatchArm, e.span)?;
        }
        self.b.seal_block(merge);
        self.b.switch_to_block(merge);
        Ok(self.merge_result(merge, &ty))
    }

    /// The current value of the word at byte `off` of scalar-replaced enum local `l`.
    fn split_word(&mut self, l: LocalId, off: u32) -> Option<Value> {
        let var = self.split_vars(l).iter().find(|(o, _, _)| *o == off).map(|(_, v, _)| *v)?;
        Some(self.b.use_var(var))
    }

    /// The payload field of type `ty` at byte `off` of scalar-replaced enum local `l`, read
    /// out of its words (shift and narrow, bit casts for floats); a field that is no scalar in
    /// one or two whole words is read from a copy of the value in memory.
    fn split_field(&mut self, l: LocalId, off: u32, ty: &Ty) -> Val {
        if is_zst(ty) {
            return Val::Unit;
        }
        let (w, sh) = (off / 8 * 8, off % 8);
        if let Some(t) = scalar_ty(ty) {
            let fits = sh + t.bytes() <= 8;
            let x = match t {
                types::I64 if sh == 0 => self.split_word(l, w),
                types::F64 if sh == 0 => {
                    self.split_word(l, w).map(|x| self.b.ins().bitcast(types::F64, MemFlagsData::new(), x))
                }
                types::I8 | types::I16 | types::I32 | types::F32 if fits => self.split_word(l, w).map(|x| {
                    let x = if sh == 0 { x } else { self.b.ins().ushr_imm_s(x, i64::from(sh * 8)) };
                    let it = if t == types::F32 { types::I32 } else { t };
                    let x = self.b.ins().ireduce(it, x);
                    if t == types::F32 {
                        self.b.ins().bitcast(types::F32, MemFlagsData::new(), x)
                    } else {
                        x
                    }
                }),
                types::I128 if sh == 0 => match (self.split_word(l, w), self.split_word(l, w + 8)) {
                    (Some(lo), Some(hi)) => Some(self.b.ins().iconcat(lo, hi)),
                    _ => None,
                },
                _ => None,
            };
            if let Some(x) = x {
                return Val::S(x);
            }
        }
        // Read the field from a copy of the value in memory.
        let t = self.split_gather(l);
        self.load_at(t, off, ty)
    }

    /// A copy in memory of scalar-replaced local `l`'s value (its leaves stored into a temp).
    fn split_gather(&mut self, l: LocalId) -> Value {
        let ty = self.local_ty(l);
        let t = self.temp(&ty);
        let vars: Vec<(u32, Variable, Type)> = self.split_vars(l).to_vec();
        for (off, var, _) in vars {
            let x = self.b.use_var(var);
            let (a, o) = self.imm_off(t, off);
            self.b.ins().store(flags(), x, a, o);
        }
        t
    }

    /// Continues in the current block when `c` is true, else branches to `fail`.
    fn guard(&mut self, c: Value, fail: Block) {
        let cont = self.new_block();
        self.brif(c, cont, fail);
        self.b.seal_block(cont);
        self.b.switch_to_block(cont);
    }

    /// The truth value of "`v` matches `p`" for a pattern that is a single test and binds
    /// nothing (integer, range, bool, string literal); `None` for any other pattern.
    fn literal_test(&mut self, p: &Pattern, v: Val) -> R<Option<Value>> {
        Ok(Some(match &p.kind {
            PatternKind::Int(n) => {
                let x = self.sv(v, &p.ty);
                let t = self.b.func.dfg.value_type(x);
                let k = iconst(&mut self.b, t, *n);
                self.b.ins().icmp(IntCC::Equal, x, k)
            }
            PatternKind::Range { lo, hi, inclusive } => {
                let x = self.sv(v, &p.ty);
                let t = self.b.func.dfg.value_type(x);
                let signed = matches!(&p.ty, Ty::Int(i) if i.signed());
                let lo_v = iconst(&mut self.b, t, *lo);
                let hi_v = iconst(&mut self.b, t, *hi);
                let (ge, lt, le) = if signed {
                    (IntCC::SignedGreaterThanOrEqual, IntCC::SignedLessThan, IntCC::SignedLessThanOrEqual)
                } else {
                    (IntCC::UnsignedGreaterThanOrEqual, IntCC::UnsignedLessThan, IntCC::UnsignedLessThanOrEqual)
                };
                let c1 = self.b.ins().icmp(ge, x, lo_v);
                let c2 = self.b.ins().icmp(if *inclusive { le } else { lt }, x, hi_v);
                self.b.ins().band(c1, c2)
            }
            PatternKind::Bool(bv) => {
                let x = self.sv(v, &Ty::Bool);
                self.b.ins().icmp_imm_s(IntCC::Equal, x, *bv as i64)
            }
            PatternKind::Str(bytes) => {
                let x = self.sv(v, &Ty::Str);
                let lit = self.data_addr(Sym::Str(bytes.clone()));
                self.rt_call(RtFn::StrEq, &[x, lit])?.ok_or("vais_str_eq without a result")?
            }
            _ => return Ok(None),
        }))
    }

    /// Tests `v` against `p` (branching to `fail` on mismatch) and binds its locals.
    fn pattern(&mut self, p: &Pattern, v: Val, fail: Block) -> R<()> {
        match &p.kind {
            PatternKind::Wildcard => {}
            PatternKind::Bind(l) => {
                let lt = self.local_ty(*l);
                if is_aggregate(&lt) {
                    let a = self.mv(v, &lt);
                    self.assign_local(*l, Val::M(a));
                } else {
                    self.assign_local(*l, v);
                }
            }
            PatternKind::Int(_) | PatternKind::Range { .. } | PatternKind::Bool(_) | PatternKind::Str(_) => {
                if let Some(c) = self.literal_test(p, v)? {
                    self.guard(c, fail);
                }
            }
            PatternKind::Variant { enum_id, variant, args } => {
                let ety = Ty::Enum(*enum_id);
                let a = self.mv(v, &ety);
                let tag = self.b.ins().load(types::I64, flags(), a, 0);
                let c = self.b.ins().icmp_imm_s(IntCC::Equal, tag, *variant as i64);
                self.guard(c, fail);
                let lay = self.lay(&ety);
                let ftys = self.p.enum_def(*enum_id).variants[*variant as usize].fields.clone();
                for (i, sub) in args.iter().enumerate() {
                    let fv = self.load_at(a, lay.variants[*variant as usize][i], &ftys[i]);
                    self.pattern(sub, fv, fail)?;
                }
            }
            PatternKind::Tuple(ps) => {
                let tys = match &p.ty {
                    Ty::Tuple(ts) => ts.clone(),
                    t => return Err(format!("tuple pattern against {t:?}")),
                };
                let a = self.mv(v, &p.ty);
                let lay = self.lay(&p.ty);
                for (i, sub) in ps.iter().enumerate() {
                    let fv = self.load_at(a, lay.fields[i], &tys[i]);
                    self.pattern(sub, fv, fail)?;
                }
            }
            PatternKind::Or(alts) => {
                let ok = self.new_block();
                for (i, alt) in alts.iter().enumerate() {
                    if i + 1 == alts.len() {
                        self.pattern(alt, v, fail)?;
                        self.jump(ok, &[]);
                    } else {
                        let next = self.new_block();
                        self.pattern(alt, v, next)?;
                        self.jump(ok, &[]);
                        self.b.seal_block(next);
                        self.b.switch_to_block(next);
                    }
                }
                if alts.is_empty() {
                    self.jump(fail, &[]);
                }
                self.b.seal_block(ok);
                self.b.switch_to_block(ok);
            }
        }
        Ok(())
    }

    // ----- helper functions (adapters, thunks, entry wrappers) ----------------------------------

    /// Calls user function `f` with exactly these call-boundary arguments (out, env included).
    fn raw_user_call(&mut self, f: FuncId, all: Vec<Value>) -> R<Vec<Value>> {
        let def = self.p.func(f);
        let sig = abi::vais_sig(self.t.cc, &def.param_types(), &def.ret, def.kind == FuncKind::Lambda);
        let inst = if self.t.repl_mode {
            let code = self.user_code_addr(f)?;
            let sr = self.b.import_signature(sig);
            self.b.ins().call_indirect(sr, code, &all)
        } else {
            let sym = self.user_sym(f, Sym::User);
            let fr = self.func_ref(sym);
            self.b.ins().call(fr, &all)
        };
        Ok(self.b.inst_results(inst).to_vec())
    }

    fn aux_entry_params(&mut self) -> Vec<Value> {
        let entry = self.b.create_block();
        self.b.append_block_params_for_function_params(entry);
        self.b.switch_to_block(entry);
        self.b.seal_block(entry);
        self.b.block_params(entry).to_vec()
    }

    /// Body of the `Fn`-value adapter of `f`: `(out?, env, params...)` → `f(out?, params...)`.
    pub fn translate_adapter(&mut self, f: FuncId) -> R<()> {
        let ps = self.aux_entry_params();
        let def = self.p.func(f);
        let has_out = is_aggregate(&def.ret);
        let mut all = vec![];
        let mut i = 0;
        if has_out {
            all.push(ps[0]);
            i = 1;
        }
        if def.kind == FuncKind::Lambda {
            all.push(ps[i]);
        }
        all.extend_from_slice(&ps[i + 1..]);
        let rs = self.raw_user_call(f, all)?;
        self.b.ins().return_(&rs);
        Ok(())
    }

    /// Body of the future thunk of `f`: `(out?, env)`; `env` holds the arguments as a tuple.
    pub fn translate_thunk(&mut self, f: FuncId) -> R<()> {
        let ps = self.aux_entry_params();
        let def = self.p.func(f);
        let has_out = is_aggregate(&def.ret);
        let env = ps[if has_out { 1 } else { 0 }];
        let tys = def.param_types();
        let lay = self.lay(&Ty::Tuple(tys.clone()));
        let mut all = vec![];
        if has_out {
            all.push(ps[0]);
        }
        if def.kind == FuncKind::Lambda {
            all.push(self.b.ins().iconst(PTR, 0));
        }
        for (i, t) in tys.iter().enumerate() {
            if is_zst(t) {
                continue;
            }
            if is_aggregate(t) {
                // The callee owns its argument: give it a private copy.
                let a = self.add_off(env, lay.fields[i]);
                let c = self.temp(t);
                self.copy(c, a, t);
                all.push(c);
            } else if let Val::S(v) = self.load_at(env, lay.fields[i], t) {
                all.push(v);
            }
        }
        let rs = self.raw_user_call(f, all)?;
        self.b.ins().return_(&rs);
        Ok(())
    }

    /// Body of the entry wrapper of `f` (no parameters): `(out)`; stores the result at `out`.
    pub fn translate_entry(&mut self, f: FuncId) -> R<()> {
        let ps = self.aux_entry_params();
        let out = ps[0];
        let def = self.p.func(f);
        let ret = def.ret.clone();
        let mut all = vec![];
        if is_aggregate(&ret) {
            all.push(out);
        }
        if def.kind == FuncKind::Lambda {
            all.push(self.b.ins().iconst(PTR, 0));
        }
        let rs = self.raw_user_call(f, all)?;
        if let Some(r) = rs.first() {
            self.b.ins().store(flags(), *r, out, 0);
        }
        self.b.ins().return_(&[]);
        Ok(())
    }
}
