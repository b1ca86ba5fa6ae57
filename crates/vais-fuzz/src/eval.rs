//! The reference evaluator for generated programs (LANGUAGE.md semantics): wrapping integer
//! arithmetic at the left operand's width, traps for division by zero and `MIN / -1`, value
//! semantics for structs, pointer semantics for arrays, closures capturing by value, and the
//! exact bytes `print_i64`/`print_f64`/`printf`/`putchar`/`puts` write. A fuel budget bounds
//! every run; programs that run out of fuel, or would print text the oracle cannot predict
//! exactly (NaN), are discarded by the generator.

use crate::prog::*;
use std::cell::RefCell;
use std::rc::Rc;

#[derive(Clone, Debug)]
pub enum Val {
    Int(IT, i128),
    Bool(bool),
    F(f64),
    Unit,
    Struct(Vec<Val>),
    Enum(usize, Vec<Val>),
    Arr(Rc<RefCell<Vec<Val>>>),
    Closure(Rc<Closure>),
    Func(usize),
}

#[derive(Debug)]
pub struct Closure {
    pub params: Vec<String>,
    pub body: Expr,
    pub env: Vec<Vec<(String, Val)>>,
}

impl Val {
    pub fn int(&self) -> i128 {
        match self {
            Val::Int(_, v) => *v,
            _ => panic!("not an int: {self:?}"),
        }
    }
    pub fn bool(&self) -> bool {
        match self {
            Val::Bool(b) => *b,
            _ => panic!("not a bool: {self:?}"),
        }
    }
    pub fn f(&self) -> f64 {
        match self {
            Val::F(f) => *f,
            _ => panic!("not a float: {self:?}"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trap {
    DivZero,
    RemZero,
    Overflow,
    NoArm,
}

#[derive(Debug)]
pub enum Flow {
    Trap(Trap),
    Ret(Val),
    Brk,
    Cont,
    /// Out of fuel or unpredictable output: the case is discarded.
    Discard(&'static str),
}

type R<T> = Result<T, Flow>;

pub struct Ev<'p> {
    pub p: &'p Program,
    pub out: Vec<u8>,
    pub fuel: u64,
    envs: Vec<Vec<(String, Val)>>,
    consts: Vec<(String, Val)>,
    /// Function index for `@`, and the `self` value of a method.
    cur_fn: Vec<usize>,
    selfs: Vec<Val>,
    depth: usize,
}

pub fn int_bin(op: Bin, t: IT, a: i128, b: i128) -> Result<i128, Trap> {
    let b = t.wrap(b);
    Ok(t.wrap(match op {
        Bin::Add => a.wrapping_add(b),
        Bin::Sub => a.wrapping_sub(b),
        Bin::Mul => a.wrapping_mul(b),
        Bin::Div | Bin::Rem => {
            if b == 0 {
                return Err(if op == Bin::Div { Trap::DivZero } else { Trap::RemZero });
            }
            if t.signed() && a == t.min() && b == -1 {
                return Err(Trap::Overflow);
            }
            if op == Bin::Div {
                a / b
            } else {
                a % b
            }
        }
        Bin::And => a & b,
        Bin::Or => a | b,
        Bin::Xor => a ^ b,
        Bin::Shl => a << ((b as u32) & (t.bits() - 1)),
        Bin::Shr => a >> ((b as u32) & (t.bits() - 1)),
        _ => unreachable!("not an integer operator"),
    }))
}

/// C's `%f`-family text for a finite or infinite double; `None` for NaN.
pub fn c_fixed(f: f64, prec: usize) -> Option<String> {
    if f.is_nan() {
        return None;
    }
    if f.is_infinite() {
        return Some(if f < 0.0 { "-inf".into() } else { "inf".into() });
    }
    Some(format!("{:.*}", prec, f))
}

impl<'p> Ev<'p> {
    pub fn new(p: &'p Program, fuel: u64) -> Self {
        Ev { p, out: vec![], fuel, envs: vec![vec![]], consts: vec![], cur_fn: vec![], selfs: vec![], depth: 0 }
    }

    /// An evaluator whose outermost scope holds `env` (REPL session variables).
    pub fn with_env(p: &'p Program, fuel: u64, env: Vec<(String, Val)>) -> Self {
        let mut e = Ev::new(p, fuel);
        e.envs = vec![env];
        e
    }

    /// The session variables after evaluating top-level inputs.
    pub fn env(&self) -> &[(String, Val)] {
        &self.envs[0]
    }

    /// Evaluates the constants (in order); a trap means the program is invalid.
    pub fn init_consts(&mut self) -> R<()> {
        for c in &self.p.consts {
            let v = self.expr(&c.value)?;
            let v = conv(v, c.ty);
            self.consts.push((c.name.clone(), v));
        }
        Ok(())
    }

    fn tick(&mut self) -> R<()> {
        if self.fuel == 0 {
            return Err(Flow::Discard("out of fuel"));
        }
        self.fuel -= 1;
        Ok(())
    }

    fn lookup(&self, n: &str) -> Val {
        for f in self.envs.iter().rev() {
            if let Some((_, v)) = f.iter().rev().find(|(k, _)| k == n) {
                return v.clone();
            }
        }
        panic!("evaluator: unbound {n}")
    }

    fn slot(&mut self, n: &str) -> &mut Val {
        for f in self.envs.iter_mut().rev() {
            if let Some((_, v)) = f.iter_mut().rev().find(|(k, _)| k == n) {
                return v;
            }
        }
        panic!("evaluator: unbound {n}")
    }

    fn bind(&mut self, n: &str, v: Val) {
        self.envs.last_mut().unwrap().push((n.to_string(), v));
    }

    pub fn call_fn(&mut self, fi: usize, args: Vec<Val>) -> R<Val> {
        let f = &self.p.fns[fi];
        self.depth += 1;
        if self.depth > 200 {
            return Err(Flow::Discard("too deep"));
        }
        let frame: Vec<(String, Val)> = f.params.iter().map(|(n, _)| n.clone()).zip(args).collect();
        let saved = std::mem::replace(&mut self.envs, vec![frame]);
        self.cur_fn.push(fi);
        let r = self.block(&f.body);
        self.cur_fn.pop();
        self.envs = saved;
        self.depth -= 1;
        match r {
            Ok(v) => Ok(v),
            Err(Flow::Ret(v)) => Ok(v),
            Err(e) => Err(e),
        }
    }

    fn call_method(&mut self, s: usize, m: usize, recv: Val, args: Vec<Val>) -> R<(Val, Val)> {
        let f = &self.p.structs[s].methods[m];
        self.depth += 1;
        if self.depth > 200 {
            return Err(Flow::Discard("too deep"));
        }
        let frame: Vec<(String, Val)> = f.params.iter().map(|(n, _)| n.clone()).zip(args).collect();
        let saved = std::mem::replace(&mut self.envs, vec![frame]);
        self.selfs.push(recv);
        let r = self.block(&f.body);
        let new_self = self.selfs.pop().unwrap();
        self.envs = saved;
        self.depth -= 1;
        match r {
            Ok(v) | Err(Flow::Ret(v)) => Ok((v, new_self)),
            Err(e) => Err(e),
        }
    }

    fn call_value(&mut self, f: Val, args: Vec<Val>) -> R<Val> {
        match f {
            Val::Func(i) => self.call_fn(i, args),
            Val::Closure(c) => {
                self.depth += 1;
                if self.depth > 200 {
                    return Err(Flow::Discard("too deep"));
                }
                let mut env = c.env.clone();
                env.push(c.params.iter().cloned().zip(args).collect());
                let saved = std::mem::replace(&mut self.envs, env);
                let r = self.expr(&c.body);
                self.envs = saved;
                self.depth -= 1;
                r
            }
            v => panic!("evaluator: calling {v:?}"),
        }
    }

    pub fn block(&mut self, b: &Block) -> R<Val> {
        self.envs.last_mut().unwrap();
        let mark = self.envs.len();
        self.envs.push(vec![]);
        let r = self.block_inner(b);
        self.envs.truncate(mark);
        r
    }

    fn block_inner(&mut self, b: &Block) -> R<Val> {
        for s in &b.stmts {
            self.stmt(s)?;
        }
        match &b.value {
            Some(v) => self.expr(v),
            None => Ok(Val::Unit),
        }
    }

    fn store(&mut self, p: &Place, v: Val) -> R<()> {
        match p {
            Place::Var(n) if n == "self" => *self.selfs.last_mut().unwrap() = v,
            Place::Var(n) => {
                *self.slot(n) = v;
            }
            Place::Field(..) => {
                let (root, path) = flatten(p);
                let slot = if root == "self" { self.selfs.last_mut().unwrap() } else { self.slot(&root) };
                let mut cur = slot;
                for i in path {
                    cur = match cur {
                        Val::Struct(fs) => &mut fs[i],
                        _ => panic!("evaluator: field of non-struct"),
                    };
                }
                *cur = v;
            }
            Place::Index(a, i) => {
                let i = self.expr(i)?.int();
                let Val::Arr(arr) = self.lookup(a) else { panic!("evaluator: index of non-array") };
                let mut arr = arr.borrow_mut();
                let n = arr.len() as i128;
                if i < 0 || i >= n {
                    panic!("evaluator: index out of bounds");
                }
                arr[i as usize] = v;
            }
        }
        Ok(())
    }

    fn load(&mut self, p: &Place) -> R<Val> {
        match p {
            Place::Var(n) if n == "self" => Ok(self.selfs.last().unwrap().clone()),
            Place::Var(n) => Ok(self.lookup(n)),
            Place::Field(b, i, _) => match self.load(b)? {
                Val::Struct(fs) => Ok(fs[*i].clone()),
                _ => panic!("evaluator: field of non-struct"),
            },
            Place::Index(a, i) => {
                let i = self.expr(i)?.int();
                let Val::Arr(arr) = self.lookup(a) else { panic!("evaluator: index of non-array") };
                let v = arr.borrow()[i as usize].clone();
                Ok(v)
            }
        }
    }

    fn write_int(&mut self, v: &Val) {
        let s = match v {
            Val::Int(t, x) => {
                if t.signed() {
                    (*x as i64).to_string()
                } else {
                    (*x as u64 as i64).to_string()
                }
            }
            _ => panic!("print_i64 of non-int"),
        };
        self.out.extend_from_slice(s.as_bytes());
    }

    fn printf(&mut self, fmt: &str, args: Vec<Val>) -> R<()> {
        let mut it = args.into_iter();
        let b = fmt.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] != b'%' {
                self.out.push(b[i]);
                i += 1;
                continue;
            }
            // Supported by the generator: %d %ld %u %x %c %s %f %.Nf %%
            i += 1;
            let mut prec = None;
            if b[i] == b'.' {
                i += 1;
                let st = i;
                while b[i].is_ascii_digit() {
                    i += 1;
                }
                prec = Some(fmt[st..i].parse::<usize>().unwrap());
            }
            if b[i] == b'l' {
                i += 1;
            }
            let c = b[i];
            i += 1;
            if c == b'%' {
                self.out.push(b'%');
                continue;
            }
            let a = it.next().expect("printf argument");
            let bits: u64 = match &a {
                Val::Int(_, x) => *x as i64 as u64,
                _ => 0,
            };
            let s = match c {
                b'd' => (bits as i64).to_string(),
                b'u' => bits.to_string(),
                b'x' => format!("{:x}", bits),
                b'c' => {
                    self.out.push(bits as u8);
                    continue;
                }
                b's' => match a {
                    Val::Bool(b) => b.to_string(),
                    _ => panic!("%s of non-bool"),
                },
                b'f' => match c_fixed(a.f(), prec.unwrap_or(6)) {
                    Some(s) => s,
                    None => return Err(Flow::Discard("nan printed")),
                },
                _ => panic!("unsupported printf conversion"),
            };
            self.out.extend_from_slice(s.as_bytes());
        }
        Ok(())
    }

    pub fn stmt(&mut self, s: &Stmt) -> R<()> {
        self.tick()?;
        match s {
            Stmt::Let { name, value, ann, .. } => {
                let v = self.expr(value)?;
                let v = match ann {
                    Some(Ty::Int(t)) => conv(v, *t),
                    _ => v,
                };
                self.bind(name, v);
            }
            Stmt::Assign(p, v) => {
                let v = self.expr(v)?;
                self.store(p, v)?;
            }
            Stmt::OpAssign(op, p, v) => {
                let cur = self.load(p)?;
                let v = self.expr(v)?;
                let r = self.arith(*op, cur, v)?;
                self.store(p, r)?;
            }
            Stmt::Expr(e) => {
                self.expr(e)?;
            }
            Stmt::PrintI64(e) => {
                let v = self.expr(e)?;
                let v = conv(v, IT::I64);
                self.write_int(&v);
                self.out.push(b'\n');
            }
            Stmt::PrintF64(e) => {
                let v = self.expr(e)?.f();
                match c_fixed(v, 6) {
                    Some(s) => self.out.extend_from_slice(s.as_bytes()),
                    None => return Err(Flow::Discard("nan printed")),
                }
                self.out.push(b'\n');
            }
            Stmt::Putchar(c) => self.out.push(*c as u8),
            Stmt::Printf(f, args) => {
                let mut vs = vec![];
                for a in args {
                    vs.push(self.expr(a)?);
                }
                self.printf(f, vs)?;
            }
            Stmt::Puts(t) => {
                self.out.extend_from_slice(t.as_bytes());
                self.out.push(b'\n');
            }
            Stmt::If(c, t, e) => {
                if self.expr(c)?.bool() {
                    self.block(t)?;
                } else if let Some(e) = e {
                    self.block(e)?;
                }
            }
            Stmt::For { var, lo, hi, inclusive, body } => {
                let lo = self.expr(lo)?;
                let hi = self.expr(hi)?;
                let Val::Int(t, lo) = lo else { panic!("range of non-int") };
                let hi = t.wrap(hi.int());
                let mut i = lo;
                loop {
                    if (*inclusive && i > hi) || (!*inclusive && i >= hi) {
                        break;
                    }
                    self.tick()?;
                    self.envs.push(vec![(var.clone(), Val::Int(t, i))]);
                    let r = self.block(body);
                    self.envs.pop();
                    match r {
                        Ok(_) | Err(Flow::Cont) => {}
                        Err(Flow::Brk) => break,
                        Err(e) => return Err(e),
                    }
                    if i == hi {
                        break;
                    }
                    i += 1;
                }
            }
            Stmt::While(c, b) => loop {
                self.tick()?;
                if !self.expr(c)?.bool() {
                    break;
                }
                match self.block(b) {
                    Ok(_) | Err(Flow::Cont) => {}
                    Err(Flow::Brk) => break,
                    Err(e) => return Err(e),
                }
            },
            Stmt::Loop(b) => loop {
                self.tick()?;
                match self.block(b) {
                    Ok(_) | Err(Flow::Cont) => {}
                    Err(Flow::Brk) => break,
                    Err(e) => return Err(e),
                }
            },
            Stmt::Break => return Err(Flow::Brk),
            Stmt::Continue => return Err(Flow::Cont),
            Stmt::Return(e) => {
                let v = self.expr(e)?;
                return Err(Flow::Ret(v));
            }
        }
        Ok(())
    }

    fn arith(&mut self, op: Bin, a: Val, b: Val) -> R<Val> {
        match a {
            Val::Int(t, x) => match int_bin(op, t, x, b.int()) {
                Ok(v) => Ok(Val::Int(t, v)),
                Err(tr) => Err(Flow::Trap(tr)),
            },
            Val::F(x) => {
                let y = b.f();
                Ok(Val::F(match op {
                    Bin::Add => x + y,
                    Bin::Sub => x - y,
                    Bin::Mul => x * y,
                    Bin::Div => x / y,
                    Bin::Rem => x % y,
                    _ => panic!("float op"),
                }))
            }
            _ => panic!("arith on {a:?}"),
        }
    }

    fn pat(&mut self, p: &Pat, v: &Val, binds: &mut Vec<(String, Val)>) -> bool {
        match p {
            Pat::Wild => true,
            Pat::Bind(n) => {
                binds.push((n.clone(), v.clone()));
                true
            }
            Pat::Int(k) => v.int() == *k as i128,
            Pat::Range(a, b, inc) => {
                let x = v.int();
                x >= *a as i128 && (if *inc { x <= *b as i128 } else { x < *b as i128 })
            }
            Pat::Bool(b) => v.bool() == *b,
            Pat::Tuple(ps) => match v {
                Val::Struct(fs) => {
                    for (p, f) in ps.iter().zip(fs) {
                        if !self.pat(p, f, binds) {
                            return false;
                        }
                    }
                    true
                }
                _ => panic!("tuple pattern on a non-tuple"),
            },
            Pat::Variant(_, vi, ps) => match v {
                Val::Enum(tag, fs) => {
                    if tag != vi {
                        return false;
                    }
                    for (p, f) in ps.iter().zip(fs) {
                        if !self.pat(p, f, binds) {
                            return false;
                        }
                    }
                    true
                }
                _ => panic!("variant pattern on non-enum"),
            },
        }
    }

    pub fn expr(&mut self, e: &Expr) -> R<Val> {
        self.tick()?;
        Ok(match e {
            Expr::Int(v) => Val::Int(IT::I64, *v as i128),
            Expr::Float(f) => Val::F(*f),
            Expr::Bool(b) => Val::Bool(*b),
            Expr::Var(n) => self.lookup(n),
            Expr::Const(n) => self.consts.iter().find(|c| &c.0 == n).expect("const").1.clone(),
            Expr::Bin(op, l, r) => {
                let a = self.expr(l)?;
                match op {
                    Bin::LAnd => {
                        if !a.bool() {
                            return Ok(Val::Bool(false));
                        }
                        return self.expr(r);
                    }
                    Bin::LOr => {
                        if a.bool() {
                            return Ok(Val::Bool(true));
                        }
                        return self.expr(r);
                    }
                    _ => {}
                }
                let b = self.expr(r)?;
                match op {
                    Bin::Lt | Bin::Le | Bin::Gt | Bin::Ge | Bin::Eq | Bin::Ne => Val::Bool(compare(*op, &a, &b)),
                    _ => self.arith(*op, a, b)?,
                }
            }
            Expr::Neg(x) => match self.expr(x)? {
                Val::Int(t, v) => Val::Int(t, t.wrap(-v)),
                Val::F(f) => Val::F(-f),
                v => panic!("neg {v:?}"),
            },
            Expr::Not(x) => Val::Bool(!self.expr(x)?.bool()),
            Expr::BitNot(x) => match self.expr(x)? {
                Val::Int(t, v) => Val::Int(t, t.wrap(!v)),
                v => panic!("bitnot {v:?}"),
            },
            Expr::If(c, t, f) => {
                if self.expr(c)?.bool() {
                    self.block(t)?
                } else {
                    self.block(f)?
                }
            }
            Expr::Ternary(c, t, f) => {
                if self.expr(c)?.bool() {
                    self.expr(t)?
                } else {
                    self.expr(f)?
                }
            }
            Expr::Await(x) => {
                let Expr::Call(n, args) = &**x else { panic!("await of a non-call") };
                let mut vs = vec![];
                for a in args {
                    vs.push(self.expr(a)?);
                }
                let fi = self.p.fn_index(n).expect("function");
                self.call_fn(fi, vs)?
            }
            Expr::Call(n, args) => {
                let mut vs = vec![];
                for a in args {
                    vs.push(self.expr(a)?);
                }
                if self.p.async_fns.contains(n) {
                    // A future nobody awaits: the body never runs.
                    return Ok(Val::Unit);
                }
                match n.as_str() {
                    "gid" => vs.pop().unwrap(),
                    "gpick" => {
                        let b = vs.pop().unwrap();
                        let a = vs.pop().unwrap();
                        if vs[0].bool() {
                            a
                        } else {
                            b
                        }
                    }
                    _ => {
                        let fi = self.p.fn_index(n).expect("function");
                        self.call_fn(fi, vs)?
                    }
                }
            }
            Expr::SelfCall(args) => {
                let mut vs = vec![];
                for a in args {
                    vs.push(self.expr(a)?);
                }
                let fi = *self.cur_fn.last().expect("@ outside a function");
                self.call_fn(fi, vs)?
            }
            Expr::CallVal(n, args) => {
                let f = self.lookup(n);
                let mut vs = vec![];
                for a in args {
                    vs.push(self.expr(a)?);
                }
                self.call_value(f, vs)?
            }
            Expr::FnRef(n) => Val::Func(self.p.fn_index(n).expect("function")),
            Expr::Lambda(ps, body) => Val::Closure(Rc::new(Closure {
                params: ps.iter().map(|p| p.0.clone()).collect(),
                body: (**body).clone(),
                env: self.envs.clone(),
            })),
            Expr::Field(b, i, _) => match self.expr(b)? {
                Val::Struct(fs) => fs[*i].clone(),
                v => panic!("field of {v:?}"),
            },
            Expr::SelfValue => self.selfs.last().expect("self").clone(),
            Expr::StructLit(_, fs) => {
                let mut vs = vec![];
                for f in fs {
                    vs.push(self.expr(f)?);
                }
                Val::Struct(vs)
            }
            Expr::Variant(_, v, args) => {
                let mut vs = vec![];
                for a in args {
                    vs.push(self.expr(a)?);
                }
                Val::Enum(*v, vs)
            }
            Expr::Match(s, arms) => {
                let v = self.expr(s)?;
                for a in arms {
                    for p in &a.pats {
                        let mut binds = vec![];
                        if self.pat(p, &v, &mut binds) {
                            self.envs.push(binds);
                            let ok = match &a.guard {
                                Some(g) => match self.expr(g) {
                                    Ok(b) => b.bool(),
                                    Err(e) => {
                                        self.envs.pop();
                                        return Err(e);
                                    }
                                },
                                None => true,
                            };
                            if ok {
                                let r = self.expr(&a.body);
                                self.envs.pop();
                                return r;
                            }
                            self.envs.pop();
                        }
                    }
                }
                return Err(Flow::Trap(Trap::NoArm));
            }
            Expr::Index(a, i) => {
                let a = self.expr(a)?;
                let i = self.expr(i)?.int();
                let Val::Arr(arr) = a else { panic!("index of non-array") };
                let arr = arr.borrow();
                if i < 0 || i as usize >= arr.len() {
                    panic!("evaluator: index {i} out of bounds {}", arr.len());
                }
                arr[i as usize].clone()
            }
            Expr::Array(xs) => {
                let mut vs = vec![];
                for x in xs {
                    vs.push(self.expr(x)?);
                }
                Val::Arr(Rc::new(RefCell::new(vs)))
            }
            Expr::Slice(b, lo, hi, inc) => {
                let Val::Arr(a) = self.expr(b)? else { panic!("slice of non-array") };
                let hi = if *inc { *hi + 1 } else { *hi } as usize;
                let part = a.borrow()[*lo as usize..hi].to_vec();
                Val::Arr(Rc::new(RefCell::new(part)))
            }
            Expr::Tuple(xs) => {
                let mut vs = vec![];
                for x in xs {
                    vs.push(self.expr(x)?);
                }
                Val::Struct(vs)
            }
            Expr::Block(b) => self.block(b)?,
            Expr::Method(r, s, m, args) => {
                // The method gets the receiver's address: it sees what the arguments did to
                // it, and its writes to `self` land in the receiver.
                let mut vs = vec![];
                for a in args {
                    vs.push(self.expr(a)?);
                }
                let place = expr_place(r);
                let recv = match &place {
                    Some(p) => self.load(p)?,
                    None => self.expr(r)?,
                };
                let (v, new_self) = self.call_method(*s, *m, recv, vs)?;
                if let Some(p) = place {
                    self.store(&p, new_self)?;
                }
                v
            }
            Expr::Conv(x, t) => conv(self.expr(x)?, *t),
            Expr::Cast(x, t) => cast(self.expr(x)?, t),
        })
    }
}

fn flatten(p: &Place) -> (String, Vec<usize>) {
    match p {
        Place::Var(n) => (n.clone(), vec![]),
        Place::Field(b, i, _) => {
            let (r, mut path) = flatten(b);
            path.push(*i);
            (r, path)
        }
        Place::Index(..) => panic!("field of an indexed place"),
    }
}

/// The place a receiver expression names (a local or a field path of one).
fn expr_place(e: &Expr) -> Option<Place> {
    match e {
        Expr::Var(n) => Some(Place::Var(n.clone())),
        Expr::SelfValue => Some(Place::Var("self".into())),
        Expr::Field(b, i, n) => Some(Place::Field(Box::new(expr_place(b)?), *i, n.clone())),
        _ => None,
    }
}

/// `v as t` (Extensions decision 12): integers wrap to the target, float to integer truncates
/// toward zero and saturates (NaN is 0), integer to float is the nearest value, `bool` is 0/1.
pub fn cast(v: Val, t: &Ty) -> Val {
    match (v, t) {
        (Val::Int(_, x), Ty::Int(to)) => Val::Int(*to, to.wrap(x)),
        (Val::Int(_, x), Ty::F64) => Val::F(x as f64),
        (Val::Bool(b), Ty::Int(to)) => Val::Int(*to, b as i128),
        (Val::F(f), Ty::Int(to)) => {
            let x = if f.is_nan() {
                0
            } else {
                let f = f.trunc();
                if f <= to.min() as f64 {
                    to.min()
                } else if f >= to.max() as f64 {
                    to.max()
                } else {
                    f as i128
                }
            };
            Val::Int(*to, x)
        }
        (v, _) => v,
    }
}

pub fn conv(v: Val, t: IT) -> Val {
    match v {
        Val::Int(_, x) => Val::Int(t, t.wrap(x)),
        v => v,
    }
}

fn compare(op: Bin, a: &Val, b: &Val) -> bool {
    use std::cmp::Ordering;
    let ord = match (a, b) {
        (Val::Int(t, x), Val::Int(_, y)) => Some(x.cmp(&t.wrap(*y))),
        (Val::F(x), Val::F(y)) => x.partial_cmp(y),
        (Val::Bool(x), Val::Bool(y)) => Some(x.cmp(y)),
        _ => panic!("compare {a:?} {b:?}"),
    };
    match op {
        Bin::Eq => ord == Some(Ordering::Equal),
        Bin::Ne => ord != Some(Ordering::Equal),
        Bin::Lt => ord == Some(Ordering::Less),
        Bin::Le => matches!(ord, Some(Ordering::Less | Ordering::Equal)),
        Bin::Gt => ord == Some(Ordering::Greater),
        Bin::Ge => matches!(ord, Some(Ordering::Greater | Ordering::Equal)),
        _ => unreachable!(),
    }
}
