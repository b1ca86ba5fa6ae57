//! REPL session sequences: random definitions, redefinitions (same signature, and new
//! arities that break callers), session variables and their updates, expressions, faults
//! (division by zero, stack overflow) and `:clear`, half of them with tier-up after a few
//! counts (`:set tierup`), fed to `vaisc repl` through a pipe and
//! compared input by input with a model of the session (the reference evaluator plus the
//! REPL.md rules for broken callers). The REPL must never die, never print an internal error,
//! and every value must agree with the model.
//!
//! Inputs are separated by two sync inputs: a marker value (`=> 876543210000N` on stdout) and
//! an undefined name (`qsyncN`, an error on stderr), so each input's stdout and stderr can be
//! cut out of the streams.

use crate::eval::{self, Ev, Val};
use crate::gen::{Gen, Opts};
use crate::prog::*;
use crate::{case_seed, run, save, Config, Failure, Report};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

type Sig = (Vec<Ty>, Ty);

#[derive(Clone, Debug)]
enum Exp {
    /// Exactly this stdout, nothing on stderr.
    Out(String),
    /// This program output then `=> value`.
    Value(String, String),
    /// This output, then a runtime error on stderr.
    Trap(String),
    /// A diagnostic on stderr, nothing on stdout.
    Error,
    /// Notes naming every newly broken caller (first set), and possibly callers that were
    /// already broken (second set).
    Notes(BTreeSet<String>, BTreeSet<String>),
}

struct Step {
    input: String,
    exp: Exp,
}

struct SVar {
    name: String,
    ty: Ty,
    mutable: bool,
    /// Functions the initializer referenced (a closure or function value calls them later).
    deps: Vec<(usize, Sig)>,
}

struct Session {
    g: Gen,
    /// Per function: the signatures of what it referenced when it was (re)defined.
    deps: Vec<Vec<(usize, Sig)>>,
    arities: Vec<BTreeSet<usize>>,
    vars: Vec<SVar>,
    env: Vec<(String, Val)>,
    steps: Vec<Step>,
    known_bugs: bool,
    deep_defined: Option<String>,
    /// Equivalent whole programs of some value inputs: (step, program, expected stdout).
    fresh: Vec<(usize, String, String)>,
}

fn sig_of(f: &FnDef) -> Sig {
    (f.params.iter().map(|p| p.1.clone()).collect(), f.ret.clone())
}

/// Names of functions referenced (called or used as values) in a block / expression.
fn refs_block(b: &Block, out: &mut BTreeSet<String>) {
    for s in &b.stmts {
        refs_stmt(s, out);
    }
    if let Some(v) = &b.value {
        refs_expr(v, out);
    }
}

fn refs_stmt(s: &Stmt, out: &mut BTreeSet<String>) {
    match s {
        Stmt::Let { value, .. } => refs_expr(value, out),
        Stmt::Assign(p, e) | Stmt::OpAssign(_, p, e) => {
            if let Place::Index(_, i) = p {
                refs_expr(i, out);
            }
            refs_expr(e, out)
        }
        Stmt::Expr(e) | Stmt::PrintI64(e) | Stmt::PrintF64(e) | Stmt::Return(e) => refs_expr(e, out),
        Stmt::Printf(_, a) => a.iter().for_each(|e| refs_expr(e, out)),
        Stmt::If(c, t, e) => {
            refs_expr(c, out);
            refs_block(t, out);
            if let Some(e) = e {
                refs_block(e, out);
            }
        }
        Stmt::For { lo, hi, body, .. } => {
            refs_expr(lo, out);
            refs_expr(hi, out);
            refs_block(body, out);
        }
        Stmt::While(c, b) => {
            refs_expr(c, out);
            refs_block(b, out);
        }
        Stmt::Loop(b) => refs_block(b, out),
        Stmt::Putchar(_) | Stmt::Puts(_) | Stmt::Break | Stmt::Continue => {}
    }
}

fn refs_expr(e: &Expr, out: &mut BTreeSet<String>) {
    match e {
        Expr::Call(n, a) => {
            out.insert(n.clone());
            a.iter().for_each(|e| refs_expr(e, out));
        }
        Expr::FnRef(n) => {
            out.insert(n.clone());
        }
        Expr::Int(_) | Expr::Float(_) | Expr::Bool(_) | Expr::Var(_) | Expr::Const(_) | Expr::SelfValue => {}
        Expr::Bin(_, l, r) => {
            refs_expr(l, out);
            refs_expr(r, out);
        }
        Expr::Neg(x) | Expr::Not(x) | Expr::BitNot(x) | Expr::Conv(x, _) | Expr::Cast(x, _) | Expr::Field(x, _, _) | Expr::Lambda(_, x) => {
            refs_expr(x, out)
        }
        Expr::If(c, t, f) => {
            refs_expr(c, out);
            refs_block(t, out);
            refs_block(f, out);
        }
        Expr::Ternary(a, b, c) => {
            refs_expr(a, out);
            refs_expr(b, out);
            refs_expr(c, out);
        }
        Expr::Slice(x, ..) | Expr::Await(x) => refs_expr(x, out),
        Expr::SelfCall(a) | Expr::CallVal(_, a) | Expr::StructLit(_, a) | Expr::Variant(_, _, a) | Expr::Array(a) | Expr::Tuple(a) => {
            a.iter().for_each(|e| refs_expr(e, out))
        }
        Expr::Match(s, arms) => {
            refs_expr(s, out);
            for a in arms {
                if let Some(g) = &a.guard {
                    refs_expr(g, out);
                }
                refs_expr(&a.body, out);
            }
        }
        Expr::Index(a, i) => {
            refs_expr(a, out);
            refs_expr(i, out);
        }
        Expr::Block(b) => refs_block(b, out),
        Expr::Method(r, _, _, a) => {
            refs_expr(r, out);
            a.iter().for_each(|e| refs_expr(e, out));
        }
    }
}

fn one_line(s: &str) -> String {
    s.lines().map(str::trim).collect::<Vec<_>>().join(" ")
}

fn show_val(v: &Val) -> Option<String> {
    match v {
        Val::Int(_, x) => Some(x.to_string()),
        Val::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl Session {
    fn new(seed: u64, known_bugs: bool) -> Session {
        let mut g = Gen::new(seed, Opts { known_bugs });
        g.global_scope = true;
        Session {
            g,
            deps: vec![],
            arities: vec![],
            vars: vec![],
            env: vec![],
            steps: vec![],
            known_bugs,
            deep_defined: None,
            fresh: vec![],
        }
    }

    fn broken(&self, f: usize) -> bool {
        self.deps[f].iter().any(|(c, s)| sig_of(&self.g.p.fns[*c]) != *s)
    }

    /// Whether `f` and everything it reaches can run.
    fn runnable(&self, f: usize, seen: &mut Vec<usize>) -> bool {
        if seen.contains(&f) {
            return true;
        }
        seen.push(f);
        !self.broken(f) && self.deps[f].iter().all(|(c, _)| self.runnable(*c, seen))
    }

    fn fn_ids(&self, names: &BTreeSet<String>) -> Vec<usize> {
        names.iter().filter_map(|n| self.g.p.fn_index(n)).collect()
    }

    /// A function-valued variable whose functions all still run with the signatures it was
    /// made with. After an incompatible redefinition, a closure made earlier runs the old code
    /// (crates/vais-fuzz/FINDINGS.md F2): such variables are used only with `--known-bugs`.
    fn usable(&self, v: &SVar) -> bool {
        v.deps.iter().all(|(f, sig)| sig_of(&self.g.p.fns[*f]) == *sig && self.runnable(*f, &mut vec![]))
    }

    fn scope_vars(&mut self) {
        let vars: Vec<crate::gen::Local> = self
            .vars
            .iter()
            .filter(|v| self.known_bugs || self.usable(v))
            .map(|v| crate::gen::Local { name: v.name.clone(), ty: v.ty.clone(), mutable: v.mutable, len: 0 })
            .collect();
        self.g.scopes = vec![vars];
    }

    /// Whether evaluating `e` reaches a function that cannot run (a broken one, through a
    /// caller or a function-valued variable): the REPL must refuse it.
    fn reaches_stale(&self, e: &Expr) -> bool {
        let mut names = BTreeSet::new();
        refs_expr(e, &mut names);
        let text = Printer::new(&self.g.p).expr_s(e);
        let fns_ok = self.fn_ids(&names).into_iter().all(|f| self.runnable(f, &mut vec![]));
        let vars_ok = self.vars.iter().all(|v| self.usable(v) || !text.contains(&format!("{}(", v.name)));
        !(fns_ok && vars_ok)
    }

    /// Functions a new input may call: runnable ones (in CI), or also ones that only reach a
    /// broken function through another (a known bug: they run stale code).
    fn set_callable(&mut self, below: usize) {
        let mut c = vec![];
        for f in 0..below.min(self.g.p.fns.len()) {
            if self.runnable(f, &mut vec![]) || (self.known_bugs && !self.broken(f)) {
                c.push(f);
            }
        }
        self.g.callable = c;
    }

    fn eval_expr(&mut self, e: &Expr) -> Option<(String, Result<Val, eval::Trap>)> {
        let mut ev = Ev::with_env(&self.g.p, 100_000, self.env.clone());
        let r = ev.expr(e);
        let out = String::from_utf8_lossy(&ev.out).into_owned();
        // Side effects before a fault stay (REPL.md).
        match r {
            Ok(v) => {
                self.env = ev.env().to_vec();
                Some((out, Ok(v)))
            }
            Err(eval::Flow::Trap(t)) => {
                self.env = ev.env().to_vec();
                Some((out, Err(t)))
            }
            Err(_) => None,
        }
    }

    fn step(&mut self) {
        let k = self.g.rng.below(100);
        match k {
            0..=14 => self.define_fn(),
            15..=24 => self.redefine(false),
            25..=31 => self.redefine(true),
            32..=46 => self.new_var(),
            47..=54 => self.assign_var(),
            55..=84 => self.expression(),
            85..=91 => self.fault(),
            92 | 93 => self.clear(),
            _ => self.call_broken(),
        }
    }

    fn clear(&mut self) {
        self.steps.push(Step { input: ":clear".into(), exp: Exp::Out("session cleared\n".into()) });
        self.g.p = Program::default();
        self.g.recursive.clear();
        self.g.callable.clear();
        self.deps.clear();
        self.arities.clear();
        self.vars.clear();
        self.env.clear();
        self.deep_defined = None;
        self.items();
    }

    /// Structs, enums (and methods) at the start of a session.
    fn items(&mut self) {
        let ne = self.g.rng.range(0, 2) as usize;
        let ns = self.g.rng.range(0, 2) as usize;
        self.g.gen_enums(ne);
        self.g.gen_structs(ns);
        self.g.gen_methods();
        let p = self.g.p.clone();
        for e in &p.enums {
            let mut pr = Printer::new(&p);
            pr.enum_def(e);
            self.steps.push(Step { input: one_line(&pr.out), exp: Exp::Out(String::new()) });
        }
        // Every `S` (one line each) before the `X` blocks, which may name later structs.
        let mut impls = vec![];
        for s in &p.structs {
            let mut pr = Printer::new(&p);
            pr.struct_def(s);
            let (s_line, x_block) = pr.out.split_once('\n').unwrap_or((&pr.out, ""));
            self.steps.push(Step { input: one_line(s_line), exp: Exp::Out(String::new()) });
            if !x_block.trim().is_empty() {
                impls.push(one_line(x_block));
            }
        }
        for x in impls {
            self.steps.push(Step { input: x, exp: Exp::Out(String::new()) });
        }
        self.steps.push(Step { input: "zz := 0".into(), exp: Exp::Out(String::new()) });
        self.vars.push(SVar { name: "zz".into(), ty: I64, mutable: false, deps: vec![] });
        self.env.push(("zz".into(), Val::Int(IT::I64, 0)));
    }

    fn fn_text(&self, f: &FnDef) -> String {
        let mut pr = Printer::new(&self.g.p);
        pr.fn_def(f);
        one_line(&pr.out)
    }

    fn record(&mut self, idx: usize) {
        let mut names = BTreeSet::new();
        refs_block(&self.g.p.fns[idx].body, &mut names);
        let me = self.g.p.fns[idx].name.clone();
        names.remove(&me);
        let ids = self.fn_ids(&names);
        let d = ids.into_iter().map(|c| (c, sig_of(&self.g.p.fns[c]))).collect();
        self.deps[idx] = d;
    }

    fn define_fn(&mut self) {
        let idx = self.g.p.fns.len();
        let name = format!("fn{}", self.g.fresh(""));
        let rec = self.g.rng.chance(1, 3);
        self.g.scopes.clear();
        self.set_callable(idx);
        let np = self.g.rng.range(0, 3) as usize;
        let f = self.g.gen_fn_sig(&name, idx, rec, np, None);
        self.deps.push(vec![]);
        self.arities.push(BTreeSet::from([f.params.len()]));
        self.record(idx);
        let text = self.fn_text(&f);
        self.steps.push(Step { input: text, exp: Exp::Out(String::new()) });
    }

    /// Redefines a function: same signature, or (`arity`) another number of parameters.
    fn redefine(&mut self, arity: bool) {
        let n = self.g.p.fns.len();
        if n == 0 {
            return self.define_fn();
        }
        let idx = self.g.rng.below(n);
        let old = self.g.p.fns[idx].clone();
        let rec = self.g.recursive[idx];
        let old_deps = self.deps[idx].clone();
        // A function that reaches a broken one is broken too (the REPL says so for each, once).
        let was_runnable: Vec<bool> = (0..n).map(|f| self.runnable(f, &mut vec![])).collect();
        self.g.scopes.clear();
        self.set_callable(idx);
        let f = if arity {
            let base = usize::from(rec);
            let choices: Vec<usize> =
                (0..=3).filter(|a| a + base != old.params.len() && (self.known_bugs || !self.arities[idx].contains(&(a + base)))).collect();
            if choices.is_empty() {
                return self.expression();
            }
            let np = *self.g.rng.pick(&choices);
            self.g.gen_fn_sig(&old.name, idx, rec, np, None)
        } else {
            self.g.gen_fn_sig(&old.name, idx, rec, 0, Some((old.params.clone(), old.ret.clone())))
        };
        let changed = sig_of(&f) != sig_of(&old);
        if changed && !self.known_bugs {
            // A changed result type with the same arity can keep callers type-correct with
            // other semantics (not modelled): keep only arity changes.
            if f.params.len() == old.params.len() {
                self.g.p.fns[idx] = old;
                self.deps[idx] = old_deps;
                return;
            }
        }
        self.arities[idx].insert(f.params.len());
        self.record(idx);
        let text = self.fn_text(&f);
        if changed {
            let (mut notes, mut may) = (BTreeSet::new(), BTreeSet::new());
            for (c, &was) in was_runnable.iter().enumerate() {
                if c == idx {
                    continue;
                }
                let name = self.g.p.fns[c].name.clone();
                match (was, self.runnable(c, &mut vec![])) {
                    (true, false) => {
                        notes.insert(name);
                    }
                    // Already broken (no second note), or repaired by the change.
                    (false, _) => {
                        may.insert(name);
                    }
                    (true, true) => {}
                }
            }
            self.steps.push(Step { input: text, exp: Exp::Notes(notes, may) });
        } else {
            // The same signature with a new body: functions blocked only by the old body's
            // calls come back ("type-checks again").
            let repaired: BTreeSet<String> = (0..n)
                .filter(|&c| c != idx && !was_runnable[c] && self.runnable(c, &mut vec![]))
                .map(|c| self.g.p.fns[c].name.clone())
                .collect();
            let exp = if repaired.is_empty() { Exp::Out(String::new()) } else { Exp::Notes(repaired, BTreeSet::new()) };
            self.steps.push(Step { input: text, exp });
        }
    }

    fn new_var(&mut self) {
        self.g.reset_ctx();
        self.scope_vars();
        let all = self.g.p.fns.len();
        self.set_callable(all);
        let ty = match self.g.rng.below(9) {
            0 => Ty::Bool,
            1 => Ty::F64,
            2 if !self.g.p.structs.is_empty() => Ty::Struct(self.g.rng.below(self.g.p.structs.len())),
            3 if !self.g.p.enums.is_empty() => Ty::Enum(self.g.rng.below(self.g.p.enums.len())),
            4 => self.g.tuple_ty(),
            5 => {
                let n = self.g.rng.range(1, 2) as usize;
                let ps = (0..n).map(|_| Ty::Int(self.g.int_ty())).collect();
                Ty::Fn(ps, Box::new(Ty::Int(self.g.int_ty())))
            }
            _ => Ty::Int(self.g.int_ty()),
        };
        let ann = self.g.rng.chance(1, 2);
        let e = if ann { self.g.ex_for(&ty, 3) } else { self.g.ex(&ty, 3) };
        if self.reaches_stale(&e) {
            return;
        }
        let mut names = BTreeSet::new();
        refs_expr(&e, &mut names);
        let deps: Vec<(usize, Sig)> = if matches!(ty, Ty::Fn(..)) {
            self.fn_ids(&names).into_iter().map(|f| (f, sig_of(&self.g.p.fns[f]))).collect()
        } else {
            vec![]
        };
        let mutable = self.g.rng.chance(1, 2);
        let name = self.g.fresh("sv");
        let Some((out, r)) = self.eval_expr(&e) else { return };
        let mut pr = Printer::new(&self.g.p);
        let st = Stmt::Let { name: name.clone(), mutable, ann: ann.then(|| ty.clone()), value: e };
        pr.stmt(&st);
        let text = one_line(pr.out.trim_end_matches(';'));
        match r {
            Ok(v) => {
                let v = match &ty {
                    Ty::Int(t) => eval::conv(v, *t),
                    _ => v,
                };
                self.env.push((name.clone(), v));
                self.vars.push(SVar { name, ty, mutable, deps });
                self.steps.push(Step { input: text, exp: Exp::Out(out) });
            }
            Err(_) => self.steps.push(Step { input: text, exp: Exp::Trap(out) }),
        }
    }

    fn assign_var(&mut self) {
        let muts: Vec<usize> = (0..self.vars.len()).filter(|&i| self.vars[i].mutable && !matches!(self.vars[i].ty, Ty::Fn(..))).collect();
        if muts.is_empty() {
            return self.new_var();
        }
        let i = *self.g.rng.pick(&muts);
        let (name, ty) = (self.vars[i].name.clone(), self.vars[i].ty.clone());
        self.g.reset_ctx();
        self.scope_vars();
        let all = self.g.p.fns.len();
        self.set_callable(all);
        let e = self.g.ex_for(&ty, 3);
        if self.reaches_stale(&e) {
            return;
        }
        let op = if matches!(ty, Ty::Int(_) | Ty::F64) && self.g.rng.chance(1, 2) { Some(*self.g.rng.pick(&[Bin::Add, Bin::Sub, Bin::Mul])) } else { None };
        let st = match op {
            Some(op) => Stmt::OpAssign(op, Place::Var(name.clone()), e),
            None => Stmt::Assign(Place::Var(name.clone()), e),
        };
        let mut ev = Ev::with_env(&self.g.p, 100_000, self.env.clone());
        let r = ev.stmt(&st);
        let out = String::from_utf8_lossy(&ev.out).into_owned();
        let mut pr = Printer::new(&self.g.p);
        pr.stmt(&st);
        let text = one_line(pr.out.trim_end_matches(';'));
        match r {
            Ok(()) => {
                self.env = ev.env().to_vec();
                self.steps.push(Step { input: text, exp: Exp::Out(out) });
            }
            Err(eval::Flow::Trap(_)) => {
                self.env = ev.env().to_vec();
                self.steps.push(Step { input: text, exp: Exp::Trap(out) })
            }
            Err(_) => {}
        }
    }

    fn expression(&mut self) {
        self.g.reset_ctx();
        self.scope_vars();
        let all = self.g.p.fns.len();
        self.set_callable(all);
        let ty = if self.g.rng.chance(1, 5) { Ty::Bool } else { Ty::Int(self.g.int_ty()) };
        let e = self.g.ex(&ty, 4);
        let mut pr = Printer::new(&self.g.p);
        let text = one_line(&pr.expr_s(&e));
        if self.reaches_stale(&e) {
            // Only with --known-bugs: what REPL.md asks for (an error naming the broken
            // dependency), where today the old code runs (F2).
            self.steps.push(Step { input: text, exp: Exp::Error });
            return;
        }
        let before = self.env.clone();
        let Some((out, r)) = self.eval_expr(&e) else { return };
        let exp = match r {
            Ok(v) => {
                let shown = show_val(&v).expect("int or bool");
                if self.g.rng.chance(1, 4) {
                    if let Some(prog) = self.equivalent_program(&e, &ty, &before) {
                        self.fresh.push((self.steps.len(), prog, format!("{out}{shown}\n")));
                    }
                }
                Exp::Value(out, shown)
            }
            Err(_) => Exp::Trap(out),
        };
        self.steps.push(Step { input: text, exp });
    }

    /// A whole program equivalent to evaluating `e` now: the session's types and runnable
    /// functions, the session variables as locals of `main` (from literal values), and `e`
    /// printed as the REPL prints it. `None` when a value has no exact literal.
    fn equivalent_program(&self, e: &Expr, ty: &Ty, env: &[(String, Val)]) -> Option<String> {
        let mut p = self.g.p.clone();
        let keep: Vec<bool> = (0..p.fns.len()).map(|f| self.runnable(f, &mut vec![])).collect();
        let mut k = keep.iter();
        p.fns.retain(|_| *k.next().unwrap());
        let mut stmts = vec![];
        let etext = Printer::new(&self.g.p).expr_s(e);
        let idents: BTreeSet<&str> = etext.split(|c: char| !c.is_ascii_alphanumeric() && c != '_').collect();
        for (v, (name, val)) in self.vars.iter().zip(env) {
            debug_assert_eq!(&v.name, name);
            if matches!(v.ty, Ty::Fn(..)) {
                // A function value has no literal: the input must not use it at all.
                if idents.contains(name.as_str()) {
                    return None;
                }
                continue;
            }
            stmts.push(Stmt::Let { name: name.clone(), mutable: v.mutable, ann: Some(v.ty.clone()), value: val_expr(val, &v.ty, &p)? });
        }
        match ty {
            Ty::Int(t) => stmts.push(Stmt::Printf(if t.signed() { "%d\n".into() } else { "%u\n".into() }, vec![e.clone()])),
            _ => stmts.push(Stmt::Printf(
                "%d\n".into(),
                vec![Expr::Ternary(Box::new(e.clone()), Box::new(Expr::Int(1)), Box::new(Expr::Int(0)))],
            )),
        }
        let main = FnDef { name: "main".into(), params: vec![], ret: I64, body: Block { stmts, value: Some(Expr::Int(0)) } };
        let text = Printer::new(&p).program(Some(&main));
        // A bool prints as 1/0 from the program: map back when comparing.
        Some(if matches!(ty, Ty::Bool) { format!("# bool\n{text}") } else { text })
    }

    fn fault(&mut self) {
        match self.g.rng.below(4) {
            0 => {
                let name = match &self.deep_defined {
                    Some(n) => n.clone(),
                    None => {
                        let n = format!("deep{}", self.g.fresh(""));
                        self.steps.push(Step {
                            input: format!("F {n}(n: i64) -> i64 = n == 0 ? 0 : 1 + @(n - 1)"),
                            exp: Exp::Out(String::new()),
                        });
                        self.deep_defined = Some(n.clone());
                        n
                    }
                };
                self.steps.push(Step { input: format!("{name}(100000000000)"), exp: Exp::Trap(String::new()) });
            }
            1 => self.steps.push(Step { input: "(0 - 9223372036854775807 - 1) / (zz - 1)".into(), exp: Exp::Trap(String::new()) }),
            _ => {
                self.g.reset_ctx();
                self.scope_vars();
                let all = self.g.p.fns.len();
                self.set_callable(all);
                let (e, t) = self.g.ex_int(3);
                let op = if self.g.rng.chance(1, 2) { Bin::Div } else { Bin::Rem };
                let e = Expr::Bin(op, Box::new(e), Box::new(Gen::conv(Expr::Var("zz".into()), IT::I64, t)));
                if self.reaches_stale(&e) {
                    return;
                }
                let Some((out, r)) = self.eval_expr(&e) else { return };
                let text = one_line(&Printer::new(&self.g.p).expr_s(&e));
                let exp = match r {
                    Ok(v) => Exp::Value(out, show_val(&v).unwrap()),
                    Err(_) => Exp::Trap(out),
                };
                self.steps.push(Step { input: text, exp });
            }
        }
    }

    /// Calling a broken function directly is an error naming it.
    fn call_broken(&mut self) {
        let broken: Vec<usize> = (0..self.g.p.fns.len()).filter(|&f| self.broken(f)).collect();
        if broken.is_empty() {
            return self.expression();
        }
        let f = *self.g.rng.pick(&broken);
        let fd = self.g.p.fns[f].clone();
        self.g.reset_ctx();
        self.scope_vars();
        self.set_callable(0);
        let args: Vec<Expr> = fd.params.iter().map(|(_, t)| self.g.ex_for(t, 1)).collect();
        let text = one_line(&Printer::new(&self.g.p).expr_s(&Expr::Call(fd.name.clone(), args)));
        self.steps.push(Step { input: text, exp: Exp::Error });
    }
}

/// Removes `warning[...]` diagnostics (each up to its blank line).
fn strip_warnings(s: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for l in s.split_inclusive('\n') {
        if l.starts_with("warning[") {
            skipping = true;
        }
        if !skipping {
            out.push_str(l);
        }
        if skipping && l.trim().is_empty() {
            skipping = false;
        }
    }
    out
}

/// A literal expression of type `ty` with value `v` (None for values without one).
fn val_expr(v: &Val, ty: &Ty, p: &Program) -> Option<Expr> {
    Some(match (v, ty) {
        (Val::Int(_, x), Ty::Int(t)) => Gen::conv(Gen::lit_i64(*x as i64), IT::I64, *t),
        (Val::Bool(b), _) => Expr::Bool(*b),
        (Val::F(f), _) => {
            if !f.is_finite() {
                return None;
            }
            Expr::Float(*f)
        }
        (Val::Struct(fs), Ty::Struct(s)) => {
            let tys: Vec<Ty> = p.structs[*s].fields.iter().map(|f| f.1.clone()).collect();
            Expr::StructLit(*s, fs.iter().zip(&tys).map(|(v, t)| val_expr(v, t, p)).collect::<Option<_>>()?)
        }
        (Val::Struct(fs), Ty::Tuple(ts)) => {
            // Tuple components are not coerced: give each integer its exact type.
            let exact = |v: &Val, t: &Ty| -> Option<Expr> {
                match (v, t) {
                    (Val::Int(_, x), Ty::Int(it)) if *it != IT::I64 => Some(Expr::Block(Box::new(Block {
                        stmts: vec![Stmt::Let {
                            name: "tq".into(),
                            mutable: false,
                            ann: Some(t.clone()),
                            value: Gen::conv(Gen::lit_i64(*x as i64), IT::I64, *it),
                        }],
                        value: Some(Expr::Var("tq".into())),
                    }))),
                    _ => val_expr(v, t, p),
                }
            };
            Expr::Tuple(fs.iter().zip(ts).map(|(v, t)| exact(v, t)).collect::<Option<_>>()?)
        }
        (Val::Enum(vi, fs), Ty::Enum(e)) => {
            let tys = p.enums[*e].variants[*vi].1.clone();
            Expr::Variant(*e, *vi, fs.iter().zip(&tys).map(|(v, t)| val_expr(v, t, p)).collect::<Option<_>>()?)
        }
        _ => return None,
    })
}

const MARK: u64 = 876_543_210_000;

/// The whole session as REPL input, with sync inputs after each step.
fn session_text(steps: &[Step]) -> String {
    let mut s = String::new();
    for (i, st) in steps.iter().enumerate() {
        s.push_str(&st.input);
        s.push('\n');
        s.push_str(&format!("{}\nqsync{i}\n", MARK + i as u64));
    }
    s
}

/// Splits the REPL's streams into per-step chunks and compares them with the model.
fn compare(steps: &[Step], out: &run::Outcome) -> Option<String> {
    if let Some(f) = out.fatal() {
        return Some(format!("REPL: {f}"));
    }
    if out.code != Some(0) {
        return Some(format!("REPL exited with {:?}", out.code));
    }
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut so = stdout.as_str();
    let mut se = out.stderr.as_str();
    for (i, st) in steps.iter().enumerate() {
        let m = format!("=> {}\n", MARK + i as u64);
        let Some(p) = so.find(&m) else {
            return Some(format!("step {i} `{}`: no stdout sync marker (the REPL stopped?)", st.input));
        };
        let chunk_o = &so[..p];
        so = &so[p + m.len()..];
        let em = format!("undefined variable `qsync{i}`");
        let Some(q) = se.find(&em) else {
            return Some(format!("step {i} `{}`: no stderr sync marker", st.input));
        };
        let line_start = se[..q].rfind('\n').map_or(0, |x| x + 1);
        let chunk_e = strip_warnings(&se[..line_start]);
        let chunk_e = chunk_e.as_str();
        // Skip the marker's own diagnostic (up to its blank line).
        let rest = &se[q..];
        se = match rest.find("\n\n") {
            Some(k) => &rest[k + 2..],
            None => "",
        };
        let bad = |why: &str| {
            Some(format!("step {i} `{}`: {why}\n  stdout: {chunk_o:?}\n  stderr: {chunk_e:?}\n  expected: {:?}", st.input, st.exp))
        };
        match &st.exp {
            Exp::Out(o) => {
                if chunk_o != o || !chunk_e.is_empty() {
                    return bad("wrong output or an unexpected diagnostic");
                }
            }
            Exp::Value(o, v) => {
                if chunk_o != format!("{o}=> {v}\n") || !chunk_e.is_empty() {
                    return bad("wrong value");
                }
            }
            Exp::Trap(o) => {
                if chunk_o != o || !chunk_e.starts_with("runtime error") {
                    return bad("expected a runtime error");
                }
            }
            Exp::Error => {
                if !chunk_o.is_empty() || !chunk_e.starts_with("error[") {
                    return bad("expected a diagnostic");
                }
            }
            Exp::Notes(names, may) => {
                let mut got = BTreeSet::new();
                for l in chunk_o.lines() {
                    let Some(rest) = l.strip_prefix("note: `") else { return bad("expected only notes") };
                    got.insert(rest.split('`').next().unwrap_or("").to_string());
                }
                if !got.is_superset(names) || got.iter().any(|g| !names.contains(g) && !may.contains(g)) || !chunk_e.is_empty() {
                    return bad("notes do not name exactly the broken callers");
                }
            }
        }
    }
    None
}

const SESSION_LIMIT: Duration = Duration::from_secs(20);

/// Generates and runs one session; returns the failing session text and description.
pub fn repl_case(cfg: &Config, seed: u64, len: usize) -> Option<(String, String)> {
    let mut s = Session::new(seed, cfg.known_bugs);
    // Half the sessions tier up early, so the optimising tier's rewrites (inlining, tail
    // recursion loops, tail-shape normalisation) run against the model too: a threshold this
    // low recompiles a function after a few calls or loop iterations.
    if s.g.rng.chance(1, 2) {
        let n = *s.g.rng.pick(&[1u32, 3, 20]);
        s.steps.push(Step { input: format!(":set tierup {n}"), exp: Exp::Out(format!("tier-up after {n} counts\n")) });
    }
    s.items();
    while s.steps.len() < len {
        s.step();
    }
    let text = session_text(&s.steps);
    if std::env::var_os("VAIS_FUZZ_DUMP").is_some() {
        for st in &s.steps {
            eprintln!(">>> {}\n    {:?}", st.input, st.exp);
        }
        for f in &s.fresh {
            eprintln!("--- equivalent program of step {}, expecting {:?}:\n{}", f.0, f.2, f.1);
        }
    }
    let o = run::run(&cfg.vaisc, &["repl"], text.as_bytes(), SESSION_LIMIT);
    let Some(what) = compare(&s.steps, &o) else {
        // The REPL agreed with the model: some values must also agree with a fresh `vaisc run`.
        let dir = run::scratch_dir("fresh");
        let mut res = None;
        for (step, prog, want) in &s.fresh {
            let path = dir.join("fresh.vais");
            std::fs::write(&path, prog).expect("write program");
            let r = run::run(&cfg.vaisc, &["run", path.to_str().unwrap()], b"", SESSION_LIMIT);
            let want = if prog.starts_with("# bool") { want.replace("true\n", "1\n").replace("false\n", "0\n") } else { want.clone() };
            if r.stdout != want.as_bytes() || r.code != Some(0) {
                let what = format!(
                    "step {step} `{}`: a fresh `vaisc run` of the equivalent program differs from the REPL\n  want {:?}\n  got {:?} (exit {:?})\n{}",
                    s.steps[*step].input,
                    want,
                    String::from_utf8_lossy(&r.stdout),
                    r.code,
                    r.stderr
                );
                res = Some((format!("{text}\n--- equivalent program:\n{prog}"), what));
                break;
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
        return res;
    };
    // Minimise: the shortest prefix that still fails.
    let fails = |n: usize| {
        let t = session_text(&s.steps[..n]);
        let o = run::run(&cfg.vaisc, &["repl"], t.as_bytes(), SESSION_LIMIT);
        compare(&s.steps[..n], &o).map(|w| (t, w))
    };
    if cfg.minimise {
        let (mut lo, mut hi) = (0usize, s.steps.len());
        // Binary search for the first failing prefix length.
        while lo + 1 < hi {
            let mid = (lo + hi) / 2;
            if fails(mid).is_some() {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        if let Some(x) = fails(hi) {
            return Some(x);
        }
    }
    Some((text, what))
}

pub fn run_repl(cfg: &Config) -> Report {
    let deadline = cfg.deadline();
    let mut rep = Report { mode: "repl", ..Default::default() };
    let mut i = 0;
    while i < cfg.count && Instant::now() < deadline {
        let seed = case_seed(cfg.seed, i);
        i += 1;
        rep.cases += 1;
        // A panic here is a bug of the fuzzer itself (generator/model): report and go on.
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| repl_case(cfg, seed, 40)));
        let r = r.unwrap_or_else(|_| {
            eprintln!("repl: seed {seed}: the fuzzer itself panicked (a generator bug); case skipped");
            rep.discarded += 1;
            None
        });
        if let Some((text, what)) = r {
            if cfg.verbose {
                eprintln!("repl: seed {seed}: {what}");
            }
            let file = save(cfg, "repl", seed, "session", &text, &what);
            rep.failures.push(Failure { mode: "repl", seed, what, file });
        }
    }
    rep
}
