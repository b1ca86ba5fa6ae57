//! The TIR inliner (TIR → TIR, whole-program mode): calls of small functions are replaced by
//! `ExprKind::Inlined` copies of their bodies, bounded by callee size, nesting depth, recursion
//! and the growth of each function.
//!
//! What is inlined:
//! - direct calls of plain functions, methods and generic instances whose body has at most
//!   [`Limits::callee_nodes`] nodes, has no `R`, and is neither async nor a REPL entry;
//! - calls through a function value whose target is known at the call site: a function name
//!   (`FuncRef`) or a lambda literal (`Closure`), directly or through an immutable local bound
//!   to one (including the parameter locals of an inlined higher-order function, so a generic
//!   `fold` inlined into its caller calls the caller's lambda directly, and then inlines it:
//!   the specialisation a Rust closure type gives). A higher-order callee that is passed a known
//!   function value may be larger ([`Limits::hof_nodes`]);
//! - self-recursive functions into themselves, [`Limits::self_levels`] levels deep (`fib`).
//!
//! Those sizes apply to calls that may run many times per call of their caller: inside a loop
//! or recursive. A call that runs once (straight-line code such as a `main` that calls each
//! function once) only gets callees of [`Limits::cold_nodes`]: a copy there saves one call and
//! costs compile time (the generated 10,000-line program lost ~8% of its compile throughput
//! when every small callee was inlined into its straight-line `main`).
//!
//! The arguments bind fresh locals (the callee's parameter locals, renumbered into the caller)
//! in the caller's frame; an argument that is a constant, an immutable local or the address of
//! a local place is substituted into the copy instead (then `*&x` is simplified to `x`), so a
//! method's `&self` does not force its receiver into memory. Struct arguments bound to fresh
//! locals are scalar-replaced by the back end like any other local, so small struct parameters
//! and results make no stack round trip.
//!
//! Every node of an inlined body keeps its own span: the back end names the inlined function
//! and its line in runtime errors and backtraces (see `vais-jit`'s inline frames).
//!
//! Before inlining, tail positions are normalised ([`tails`]: early returns, `R` in tail
//! position, single-use `let`s) and self-calls in tail position become loops ([`tailrec`]),
//! with an accumulator for `x OP @(..)` (`fib` keeps one of its two calls).
//!
//! A call that may run many times but is not inlined (too big, or as deep in its own
//! recursion as allowed) still gets a copy of the callee's entry guard ([`guard`]:
//! `n < 2 ? n : fib(n)`), so the cheap case makes no call.

use std::collections::HashMap;
use vais_tir::visit;

pub mod guard;
pub mod tailrec;
pub mod tails;
use vais_tir::{Callee, Expr, ExprKind, FuncDef, FuncId, FuncKind, LocalDef, LocalId, LoopKind, PatternKind, Program, Stmt, Ty};

/// Bounds of the inliner.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest callee body (TIR nodes) inlined at an ordinary call.
    pub callee_nodes: usize,
    /// Largest callee body inlined when a function value it takes is known at the call.
    pub hof_nodes: usize,
    /// Nesting of inlined copies inside inlined copies.
    pub depth: usize,
    /// Copies of a function's own body inlined into itself, levels deep.
    pub self_levels: usize,
    /// Nodes added to one function by inlining, at most.
    pub growth: usize,
    /// Largest callee inlined at a call that runs once per call of its caller (outside every
    /// loop, not recursive): there inlining saves one call, while compile time grows with
    /// every copy, so only callees about the size of a call are inlined.
    pub cold_nodes: usize,
    /// Whether tail self-calls become loops first ([`tailrec`]).
    pub tail_loops: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { callee_nodes: 40, hof_nodes: 120, depth: 4, self_levels: 3, growth: 2000, cold_nodes: 12, tail_loops: true }
    }
}

/// What the inliner did (for tests and `--time`-style reports).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Calls replaced by a copy of the callee.
    pub inlined: usize,
    /// Calls through a known function value turned into direct calls (inlined or not).
    pub devirtualised: usize,
    /// Functions whose tail self-calls became loops.
    pub tail_loops: usize,
    /// Calls that kept the call but got a copy of the callee's entry guard ([`guard`]).
    pub guarded: usize,
}

/// What the inliner knows about one function of the original program.
#[derive(Clone)]
struct Info {
    /// Body size in nodes; `None` when the function is never inlined.
    nodes: Option<usize>,
    /// Whether some parameter is a function value.
    takes_fn: bool,
    /// Its entry guard, from the body as written ([`guard`]).
    guard: Option<std::rc::Rc<guard::Guard>>,
}

/// The inliner's facts about functions: a memo of [`Info`], and the looped functions.
type Facts<'a> = (&'a mut HashMap<FuncId, Info>, &'a HashMap<FuncId, tailrec::Looped>);

/// Inlines small callees into every function of `p` (see the module comment).
pub fn inline_program(p: &mut Program, limits: Limits) -> Stats {
    let mut stats = Stats::default();
    let mut info = HashMap::new();
    let mut looped = HashMap::new();
    for (i, def) in p.funcs.iter_mut().enumerate().filter(|(_, d)| !matches!(d.kind, FuncKind::ReplEntry)) {
        tails::normalize(def, FuncId(i as u32));
    }
    if limits.tail_loops {
        for (i, def) in p.funcs.iter_mut().enumerate() {
            let f = FuncId(i as u32);
            // Sizes are those of the bodies as written: a tail-recursion loop's bookkeeping
            // (budget, accumulator, argument temporaries) is a few register moves, not work.
            let written = info_of(def);
            if let Some(l) = tailrec::eliminate(def, f) {
                info.insert(f, looped_info(written, def));
                looped.insert(f, l);
                stats.tail_loops += 1;
            }
        }
    }
    let orig: Vec<FuncDef> = p.funcs.clone();
    for (i, def) in p.funcs.iter_mut().enumerate() {
        rewrite(def, FuncId(i as u32), &orig, (&mut info, &looped), limits, &mut stats);
    }
    stats
}

/// Inlines small callees into one function of `p` (the REPL's optimising tier recompiles a
/// hot function this way, against the current definitions of its callees): its rewritten
/// definition, and every function an inlined copy in it came from (a redefinition of one of
/// them must replace this version). The work is proportional to the function and the callees
/// it reaches, not to the session's size.
pub fn inline_function(p: &Program, f: FuncId, limits: Limits) -> (FuncDef, Vec<FuncId>) {
    // Copies of `f` inlined into `def` come from `f`'s body as written, not normalised or
    // looped (only `def`'s own budget calls exist): its facts are that body's (an `R` there
    // keeps it out, however `def` itself is rewritten).
    let written = info_of(p.func(f));
    let mut def = p.func(f).clone();
    if !matches!(def.kind, FuncKind::ReplEntry) {
        tails::normalize(&mut def, f);
    }
    let (mut info, mut looped) = (HashMap::new(), HashMap::new());
    if limits.tail_loops {
        if let Some(l) = tailrec::eliminate(&mut def, f) {
            info.insert(f, written);
            looped.insert(f, l);
        }
    }
    rewrite(&mut def, f, &p.funcs, (&mut info, &looped), limits, &mut Stats::default());
    let mut from = vec![];
    visit::preorder(&def.body, |e| {
        if let ExprKind::Inlined { func, .. } = &e.kind {
            from.push(*func);
        }
    });
    from.sort_unstable_by_key(|g| g.0);
    from.dedup();
    (def, from)
}

/// Rewrites `def` (the function `root` of the program whose original definitions are `orig`)
/// in place, inlining its calls. `facts.0` memoises [`info_of`] across calls, filled only for
/// the callees actually considered (and beforehand for looped functions, with their sizes as
/// written); `facts.1` holds the tail-recursion loops of the functions [`tailrec`] rewrote.
fn rewrite(def: &mut FuncDef, root: FuncId, orig: &[FuncDef], facts: Facts<'_>, limits: Limits, stats: &mut Stats) {
    let (info, looped) = facts;
    if matches!(def.kind, FuncKind::ReplEntry) {
        return;
    }
    let mut cx = Cx {
        orig,
        info,
        looped,
        limits,
        root,
        locals: std::mem::take(&mut def.locals),
        bindings: HashMap::new(),
        chain: vec![],
        loops: 0,
        grown: 0,
        stats,
    };
    cx.walk(&mut def.body);
    def.locals = cx.locals;
    tailrec::share_accumulators(def);
}

/// A looped function's facts: those of its body as written, except that a loop that leaves
/// by `R` (the form of a function with a struct result, or with `R`s of its own) makes it
/// never inlined: a copy's `R` would return from its caller (it is the looped body that is
/// copied).
fn looped_info(mut written: Info, looped: &FuncDef) -> Info {
    let mut returns = false;
    visit::preorder(&looped.body, |e| returns |= matches!(e.kind, ExprKind::Return(_)));
    if returns {
        written.nodes = None;
    }
    written
}

fn info_of(def: &FuncDef) -> Info {
    let takes_fn = def.params.iter().any(|p| matches!(def.local(*p).ty, Ty::Fn(..)));
    let inlinable = !def.is_async && !matches!(def.kind, FuncKind::ReplEntry);
    if !inlinable {
        return Info { nodes: None, takes_fn, guard: None };
    }
    let mut n = 0;
    let mut ret = false;
    visit::preorder(&def.body, |e| {
        n += 1;
        ret |= matches!(e.kind, ExprKind::Return(_));
    });
    Info { nodes: (!ret).then_some(n), takes_fn, guard: guard::guard_of(def).map(std::rc::Rc::new) }
}

/// A known function value: the function and, for a closure, its captured values (stable
/// expressions that can be evaluated again where the call is).
#[derive(Clone)]
struct Known {
    func: FuncId,
    captures: Option<Vec<Expr>>,
}

struct Cx<'a> {
    orig: &'a [FuncDef],
    /// What is known of each original function, computed when first needed.
    info: &'a mut HashMap<FuncId, Info>,
    /// Tail-recursion loops ([`tailrec`]): the calls of itself a looped function's budget
    /// makes are never inlined.
    looped: &'a HashMap<FuncId, tailrec::Looped>,
    limits: Limits,
    root: FuncId,
    /// The locals of the function being rewritten (inlined copies append theirs).
    locals: Vec<LocalDef>,
    /// Immutable locals bound to a known function value.
    bindings: HashMap<LocalId, Known>,
    /// The functions whose inlined copies enclose the current point, outermost first.
    chain: Vec<FuncId>,
    /// Loops enclosing the current point (in the caller or an enclosing copy).
    loops: usize,
    grown: usize,
    stats: &'a mut Stats,
}

/// Whether evaluating `e` again later gives the same value with no effect: a literal, an
/// immutable local, or the address of a place rooted at a local through fields.
fn stable(e: &Expr, locals: &[LocalDef]) -> bool {
    match &e.kind {
        ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Bool(_) | ExprKind::Unit => true,
        ExprKind::Local(l) => locals.get(l.index()).is_some_and(|d| !d.mutable),
        ExprKind::AddrOf(x) => {
            let mut cur = &**x;
            loop {
                match &cur.kind {
                    ExprKind::Local(_) => return true,
                    ExprKind::Field { base, .. } => cur = base,
                    _ => return false,
                }
            }
        }
        _ => false,
    }
}

impl Cx<'_> {
    fn walk(&mut self, e: &mut Expr) {
        vais_ast::stack::guard(|| self.walk_here(e))
    }

    fn walk_here(&mut self, e: &mut Expr) {
        match &mut e.kind {
            ExprKind::Block(b) => {
                for s in &mut b.stmts {
                    match s {
                        Stmt::Let { local, value } => {
                            self.walk(value);
                            self.bind(*local, value);
                        }
                        Stmt::Expr(x) => self.walk(x),
                    }
                }
                if let Some(v) = &mut b.value {
                    self.walk(v);
                }
                return;
            }
            ExprKind::Loop { .. } => {
                self.loops += 1;
                visit::children_mut(e, &mut |c| self.walk(c));
                self.loops -= 1;
                return;
            }
            ExprKind::Call { callee: Callee::Value(c), args } => {
                if let Some(k) = self.known(c) {
                    self.stats.devirtualised += 1;
                    if self.orig[k.func.index()].kind != FuncKind::Lambda {
                        // A named function: call it directly (then maybe inline it below).
                        let args = std::mem::take(args);
                        e.kind = ExprKind::Call { callee: Callee::Func(k.func), args };
                    } else {
                        // A lambda's code takes its environment: it is called directly only
                        // as an inlined copy; otherwise the call stays a value call.
                        let value = std::mem::replace(&mut **c, Expr::new(ExprKind::Unit, Ty::Unit, e.span));
                        let args = std::mem::take(args);
                        e.kind = ExprKind::Call { callee: Callee::Func(k.func), args };
                        if self.try_inline(e, k.func, k.captures.unwrap_or_default()) {
                            return;
                        }
                        let ExprKind::Call { args, .. } = std::mem::replace(&mut e.kind, ExprKind::Unit) else { unreachable!() };
                        e.kind = ExprKind::Call { callee: Callee::Value(Box::new(value)), args };
                    }
                }
            }
            _ => {}
        }
        if let ExprKind::Call { callee: Callee::Func(g), .. } = &e.kind {
            let g = *g;
            if self.orig[g.index()].kind != FuncKind::Lambda && (self.try_inline(e, g, vec![]) || self.try_guard(e, g)) {
                return;
            }
        }
        visit::children_mut(e, &mut |c| self.walk(c));
    }

    /// Gives the call `e` of `g` (not inlined) a copy of `g`'s entry guard ([`guard`]) when
    /// the call may run many times per call of its caller, then walks its arguments. False
    /// (and `e` unchanged) when not.
    fn try_guard(&mut self, e: &mut Expr, g: FuncId) -> bool {
        let Some(guard) = self.info_of(g).guard else { return false };
        let hot = self.loops > 0 || g == self.root || self.chain.contains(&g);
        if !hot || self.looped.get(&g).is_some_and(|l| l.calls.contains(&e.span)) {
            return false;
        }
        let def = &self.orig[g.index()];
        let ExprKind::Call { args, .. } = &mut e.kind else { return false };
        if args.len() != def.params.len() {
            return false;
        }
        for a in args.iter_mut() {
            self.walk(a);
        }
        let call = std::mem::replace(e, Expr::new(ExprKind::Unit, Ty::Unit, e.span));
        let (guarded, added) = guard::apply(call, g, def, &guard, &mut self.locals);
        *e = guarded;
        self.grown += added;
        self.stats.guarded += 1;
        true
    }

    /// Records `local` as bound to a known function value when it is immutable.
    fn bind(&mut self, local: LocalId, value: &Expr) {
        if self.locals.get(local.index()).is_none_or(|d| d.mutable) {
            return;
        }
        if let Some(k) = self.known(value) {
            if k.captures.as_ref().is_none_or(|cs| cs.iter().all(|c| stable(c, &self.locals))) {
                self.bindings.insert(local, k);
            }
        }
    }

    /// The function value `c` denotes, when known here.
    fn known(&self, c: &Expr) -> Option<Known> {
        match &c.kind {
            ExprKind::FuncRef(f) => Some(Known { func: *f, captures: None }),
            ExprKind::Closure { func, captures } => {
                captures.iter().all(|x| stable(x, &self.locals)).then(|| Known { func: *func, captures: Some(captures.clone()) })
            }
            ExprKind::Local(l) => self.bindings.get(l).cloned(),
            _ => None,
        }
    }

    fn info_of(&mut self, g: FuncId) -> Info {
        self.info.entry(g).or_insert_with(|| info_of(&self.orig[g.index()])).clone()
    }

    /// Replaces the call `e` (a `Call` of `g` with `Callee::Func`) by an inlined copy of `g`
    /// when the limits allow; `caps` are the closure's captured values for a lambda. Then
    /// walks the copy. False (and `e` unchanged) when not inlined.
    fn try_inline(&mut self, e: &mut Expr, g: FuncId, caps: Vec<Expr>) -> bool {
        let info = self.info_of(g);
        let Some(nodes) = info.nodes else { return false };
        if self.looped.get(&g).is_some_and(|l| l.calls.contains(&e.span)) {
            return false;
        }
        let def = &self.orig[g.index()];
        let ExprKind::Call { args, .. } = &e.kind else { return false };
        if args.len() != def.params.len() || caps.len() != def.captures.len() {
            return false;
        }
        let hof = info.takes_fn
            && args.iter().zip(&def.params).any(|(a, p)| matches!(def.local(*p).ty, Ty::Fn(..)) && self.known(a).is_some());
        let hot = self.loops > 0 || g == self.root || self.chain.contains(&g);
        let limit = match (hot, hof) {
            (false, _) => self.limits.cold_nodes,
            (true, true) => self.limits.hof_nodes,
            (true, false) => self.limits.callee_nodes,
        };
        let times = self.chain.iter().filter(|f| **f == g).count() + usize::from(g == self.root);
        // A recursion whose loop keeps a budget (it may run away: `tak`, `ack`) gets one level
        // of copies; nested deeper, the copies of its loop multiply and spill (tak 1.46x ->
        // 3.3x of cc -O2 at three levels). A provably ending one (`fib`) gets all.
        let levels = match self.looped.get(&g) {
            Some(l) if !l.calls.is_empty() => self.limits.self_levels.min(1),
            _ => self.limits.self_levels,
        };
        let allowed_times = if g == self.root { levels + 1 } else { 1 };
        if nodes > limit || self.chain.len() >= self.limits.depth || times >= allowed_times || self.grown + nodes > self.limits.growth {
            return false;
        }
        self.grown += nodes;
        self.stats.inlined += 1;
        let off = self.locals.len() as u32;
        self.locals.extend(def.locals.iter().cloned());
        let mut body = def.body.clone();
        shift_locals(&mut body, off);
        if let (true, Some(l)) = (g == self.root, self.looped.get(&g)) {
            // Only when the copy is of the looped body (`inline_function` copies the body as
            // written: no budget there, and the index may be nobody's).
            if def.locals.get(l.budget.index()).is_some_and(|d| d.name == tailrec::BUDGET_LOCAL) {
                tailrec::drop_budget(&mut body, LocalId(l.budget.0 + off));
            }
        }
        let ExprKind::Call { args, .. } = std::mem::replace(&mut e.kind, ExprKind::Unit) else { unreachable!() };
        let mut lets = vec![];
        let mut subst: HashMap<LocalId, Expr> = HashMap::new();
        let written = written_locals(&def.body);
        for (p, value) in def.captures.iter().zip(caps).chain(def.params.iter().zip(args)) {
            let l = LocalId(p.0 + off);
            if !def.local(*p).mutable && !written.contains(p) && stable(&value, &self.locals) {
                subst.insert(l, value);
            } else {
                lets.push((l, value));
            }
        }
        if !subst.is_empty() {
            substitute(&mut body, &subst);
        }
        // The arguments belong to the caller: walk them here (outside the copy).
        for (l, v) in &mut lets {
            self.walk(v);
            let l = *l;
            let v: &Expr = v;
            self.bind(l, v);
        }
        for (l, v) in &subst {
            self.bind(*l, v);
        }
        self.chain.push(g);
        self.walk(&mut body);
        self.chain.pop();
        e.kind = ExprKind::Inlined { func: g, args: lets, body: Box::new(body) };
        true
    }
}

/// Locals assigned or whose address is taken in `body` (they cannot be replaced by the
/// argument expression).
pub(crate) fn written_locals(body: &Expr) -> std::collections::HashSet<LocalId> {
    let mut out = std::collections::HashSet::new();
    visit::preorder(body, |e| match &e.kind {
        ExprKind::Assign { target, .. } | ExprKind::CompoundAssign { target, .. } => out.extend(target.root_local()),
        ExprKind::AddrOf(x) => out.extend(x.root_local()),
        _ => {}
    });
    out
}

/// Renumbers every local of a copied body by `off`.
fn shift_locals(body: &mut Expr, off: u32) {
    visit::preorder_mut(body, |e| match &mut e.kind {
        ExprKind::Local(l) => l.0 += off,
        ExprKind::Block(b) => {
            for s in &mut b.stmts {
                if let Stmt::Let { local, .. } = s {
                    local.0 += off;
                }
            }
        }
        ExprKind::Loop { kind: LoopKind::Range { var: Some(v), .. }, .. } => v.0 += off,
        ExprKind::Match { arms, .. } => {
            for a in arms {
                let mut stack = vec![&mut a.pattern];
                while let Some(p) = stack.pop() {
                    match &mut p.kind {
                        PatternKind::Bind(l) => l.0 += off,
                        PatternKind::Variant { args: ps, .. } | PatternKind::Tuple(ps) | PatternKind::Or(ps) => stack.extend(ps.iter_mut()),
                        _ => {}
                    }
                }
            }
        }
        ExprKind::Inlined { args, .. } => {
            for (l, _) in args {
                l.0 += off;
            }
        }
        _ => {}
    });
}

/// Replaces reads of the locals in `subst` by their expressions, then simplifies `*&x` to `x`.
fn substitute(body: &mut Expr, subst: &HashMap<LocalId, Expr>) {
    visit::preorder_mut(body, |e| {
        if let ExprKind::Local(l) = &e.kind {
            if let Some(v) = subst.get(l) {
                let span = e.span;
                *e = v.clone();
                // Keep the copy's position: the value is used here.
                e.span = span;
            }
        }
    });
    visit::preorder_mut(body, |e| {
        if let ExprKind::Deref(inner) = &mut e.kind {
            if let ExprKind::AddrOf(x) = &mut inner.kind {
                if x.is_place() && x.ty == e.ty {
                    let x = std::mem::replace(&mut **x, Expr::new(ExprKind::Unit, Ty::Unit, e.span));
                    *e = x;
                }
            }
        }
    });
}

#[cfg(test)]
mod tests;
