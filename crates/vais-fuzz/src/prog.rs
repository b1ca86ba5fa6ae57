//! The generated-program model: types, a typed AST of the generated Vais subset, and its
//! printer. Implicit integer conversions are explicit here (`Expr::Conv`, printed as nothing)
//! so that the reference evaluator (`eval.rs`) applies them exactly where the checker does.

use std::fmt::Write;

#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum IT {
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
}

pub const ALL_INTS: [IT; 8] = [IT::I8, IT::I16, IT::I32, IT::I64, IT::U8, IT::U16, IT::U32, IT::U64];

impl IT {
    pub fn bits(self) -> u32 {
        match self {
            IT::I8 | IT::U8 => 8,
            IT::I16 | IT::U16 => 16,
            IT::I32 | IT::U32 => 32,
            IT::I64 | IT::U64 => 64,
        }
    }
    pub fn signed(self) -> bool {
        matches!(self, IT::I8 | IT::I16 | IT::I32 | IT::I64)
    }
    pub fn name(self) -> &'static str {
        match self {
            IT::I8 => "i8",
            IT::I16 => "i16",
            IT::I32 => "i32",
            IT::I64 => "i64",
            IT::U8 => "u8",
            IT::U16 => "u16",
            IT::U32 => "u32",
            IT::U64 => "u64",
        }
    }
    /// `v` reduced to this type's range (two's complement wrap-around).
    pub fn wrap(self, v: i128) -> i128 {
        let b = self.bits();
        let m = (v as u128) & ((1u128 << b) - 1);
        if self.signed() && m >= 1u128 << (b - 1) {
            m as i128 - (1i128 << b)
        } else {
            m as i128
        }
    }
    pub fn min(self) -> i128 {
        if self.signed() {
            -(1i128 << (self.bits() - 1))
        } else {
            0
        }
    }
    pub fn max(self) -> i128 {
        if self.signed() {
            (1i128 << (self.bits() - 1)) - 1
        } else {
            (1i128 << self.bits()) - 1
        }
    }
}

#[derive(Clone, PartialEq, Debug)]
pub enum Ty {
    Int(IT),
    Bool,
    F64,
    Unit,
    Struct(usize),
    Enum(usize),
    /// A pointer to a local array (`*T`) of at least `MIN_ARR` elements.
    Arr(Box<Ty>),
    Fn(Vec<Ty>, Box<Ty>),
    /// 2 or 3 scalar components.
    Tuple(Vec<Ty>),
}

pub const I64: Ty = Ty::Int(IT::I64);
/// Every array the generator makes has at least this many elements.
pub const MIN_ARR: usize = 2;

impl Ty {
    pub fn is_int(&self) -> bool {
        matches!(self, Ty::Int(_))
    }
    pub fn show(&self, p: &Program) -> String {
        match self {
            Ty::Int(i) => i.name().into(),
            Ty::Bool => "bool".into(),
            Ty::F64 => "f64".into(),
            Ty::Unit => "()".into(),
            Ty::Struct(s) => p.structs[*s].name.clone(),
            Ty::Enum(e) => p.enums[*e].name.clone(),
            Ty::Arr(t) => format!("*{}", t.show(p)),
            Ty::Fn(ps, r) => {
                let ps: Vec<String> = ps.iter().map(|t| t.show(p)).collect();
                format!("({}) -> {}", ps.join(", "), r.show(p))
            }
            Ty::Tuple(ts) => {
                let ts: Vec<String> = ts.iter().map(|t| t.show(p)).collect();
                format!("({})", ts.join(", "))
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Bin {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    And,
    Or,
    Xor,
    Shl,
    Shr,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    LAnd,
    LOr,
}

impl Bin {
    pub fn sym(self) -> &'static str {
        match self {
            Bin::Add => "+",
            Bin::Sub => "-",
            Bin::Mul => "*",
            Bin::Div => "/",
            Bin::Rem => "%",
            Bin::And => "&",
            Bin::Or => "|",
            Bin::Xor => "^",
            Bin::Shl => "<<",
            Bin::Shr => ">>",
            Bin::Lt => "<",
            Bin::Le => "<=",
            Bin::Gt => ">",
            Bin::Ge => ">=",
            Bin::Eq => "==",
            Bin::Ne => "!=",
            Bin::LAnd => "&&",
            Bin::LOr => "||",
        }
    }
}

#[derive(Clone, Debug)]
pub enum Pat {
    Wild,
    Bind(String),
    Int(i64),
    Range(i64, i64, bool),
    Bool(bool),
    /// enum, variant, payload patterns (empty for a unit variant)
    Variant(usize, usize, Vec<Pat>),
    Tuple(Vec<Pat>),
}

#[derive(Clone, Debug)]
pub struct Arm {
    pub pats: Vec<Pat>,
    pub guard: Option<Expr>,
    pub body: Expr,
}

#[derive(Clone, Debug)]
pub enum Expr {
    /// A non-negative literal (type i64).
    Int(i64),
    Float(f64),
    Bool(bool),
    Var(String),
    Const(String),
    Bin(Bin, Box<Expr>, Box<Expr>),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    BitNot(Box<Expr>),
    If(Box<Expr>, Box<Block>, Box<Block>),
    Ternary(Box<Expr>, Box<Expr>, Box<Expr>),
    Call(String, Vec<Expr>),
    /// `@(args)` in a free function.
    SelfCall(Vec<Expr>),
    /// Calling a local holding a function value.
    CallVal(String, Vec<Expr>),
    FnRef(String),
    Lambda(Vec<(String, Ty)>, Box<Expr>),
    Field(Box<Expr>, usize, String),
    SelfValue,
    StructLit(usize, Vec<Expr>),
    Variant(usize, usize, Vec<Expr>),
    Match(Box<Expr>, Vec<Arm>),
    Index(Box<Expr>, Box<Expr>),
    Array(Vec<Expr>),
    /// `base[lo..hi]` / `base[lo..=hi]` (a copy; literal bounds)
    Slice(Box<Expr>, i64, i64, bool),
    Tuple(Vec<Expr>),
    Block(Box<Block>),
    /// receiver (a place expression), struct, method index, args
    Method(Box<Expr>, usize, usize, Vec<Expr>),
    /// Implicit integer conversion to the given type (not printed).
    Conv(Box<Expr>, IT),
    /// `e as T` (Extensions decision 12): an integer, `f64` or `bool` operand to an integer
    /// type or `f64`.
    Cast(Box<Expr>, Ty),
    /// `call.await` of an async function's call.
    Await(Box<Expr>),
}

#[derive(Clone, Debug)]
pub enum Place {
    Var(String),
    Field(Box<Place>, usize, String),
    Index(String, Expr),
}

#[derive(Clone, Debug)]
pub enum Stmt {
    Let { name: String, mutable: bool, ann: Option<Ty>, value: Expr },
    Assign(Place, Expr),
    OpAssign(Bin, Place, Expr),
    Expr(Expr),
    PrintI64(Expr),
    PrintF64(Expr),
    Putchar(i64),
    Printf(String, Vec<Expr>),
    Puts(String),
    If(Expr, Block, Option<Block>),
    For { var: String, lo: Expr, hi: Expr, inclusive: bool, body: Block },
    While(Expr, Block),
    Loop(Block),
    Break,
    Continue,
    Return(Expr),
}

#[derive(Clone, Debug, Default)]
pub struct Block {
    pub stmts: Vec<Stmt>,
    pub value: Option<Expr>,
}

#[derive(Clone, Debug)]
pub struct FnDef {
    pub name: String,
    pub params: Vec<(String, Ty)>,
    pub ret: Ty,
    pub body: Block,
}

#[derive(Clone, Debug)]
pub struct StructDef {
    pub name: String,
    pub fields: Vec<(String, Ty)>,
    /// Methods taking `&self`.
    pub methods: Vec<FnDef>,
}

#[derive(Clone, Debug)]
pub struct EnumDef {
    pub name: String,
    pub variants: Vec<(String, Vec<Ty>)>,
}

#[derive(Clone, Debug)]
pub struct ConstDef {
    pub name: String,
    pub ty: IT,
    pub value: Expr,
}

#[derive(Clone, Debug, Default)]
pub struct Program {
    /// Functions declared `A F` (a call makes a future; `.await` runs the body).
    pub async_fns: Vec<String>,
    /// Whether the generic helpers `gid<T>` and `gpick<T>` are defined (and callable).
    pub generics: bool,
    pub consts: Vec<ConstDef>,
    pub structs: Vec<StructDef>,
    pub enums: Vec<EnumDef>,
    pub fns: Vec<FnDef>,
}

impl Program {
    pub fn fn_index(&self, name: &str) -> Option<usize> {
        self.fns.iter().position(|f| f.name == name)
    }
}

/// Generic helpers called as `gid(x)` and `gpick(c, a, b)` (evaluated specially).
pub const GENERIC_PRELUDE: &str = "F gid<T>(x: T) -> T = x\nF gpick<T>(c: bool, a: T, b: T) -> T = c ? a : b\n";

// ----- printing -----------------------------------------------------------------------------

pub struct Printer<'p> {
    pub p: &'p Program,
    pub out: String,
    indent: usize,
}

fn float_lit(f: f64) -> String {
    // Shortest round-trip text, with digits on both sides of the point (Vais float syntax).
    let s = format!("{:?}", f.abs());
    let s = match s.split_once('e') {
        Some((m, e)) if !m.contains('.') => format!("{m}.0e{e}"),
        Some(_) => s,
        None if !s.contains('.') => format!("{s}.0"),
        None => s,
    };
    if f.is_sign_negative() {
        format!("(-{s})")
    } else {
        s
    }
}

pub fn str_lit(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '\n' => o.push_str("\\n"),
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

impl<'p> Printer<'p> {
    pub fn new(p: &'p Program) -> Self {
        Printer { p, out: String::new(), indent: 0 }
    }
    fn nl(&mut self) {
        self.out.push('\n');
        for _ in 0..self.indent {
            self.out.push_str("    ");
        }
    }

    pub fn program(mut self, main: Option<&FnDef>) -> String {
        let p = self.p;
        if p.generics {
            self.out.push_str(GENERIC_PRELUDE);
        }
        for c in &p.consts {
            let v = self.expr_s(&c.value);
            let _ = writeln!(self.out, "C {}: {} = {}", c.name, c.ty.name(), v);
        }
        for s in &p.structs {
            self.struct_def(s);
        }
        for e in &p.enums {
            self.enum_def(e);
        }
        for f in &p.fns {
            self.fn_def(f);
        }
        if let Some(m) = main {
            self.fn_def(m);
        }
        self.out
    }

    pub fn struct_def(&mut self, s: &StructDef) {
        let fs: Vec<String> = s.fields.iter().map(|(n, t)| format!("{n}: {}", t.show(self.p))).collect();
        let _ = writeln!(self.out, "S {} {{ {} }}", s.name, fs.join(", "));
        if !s.methods.is_empty() {
            let _ = write!(self.out, "X {} {{", s.name);
            self.indent += 1;
            for m in &s.methods {
                self.nl();
                self.fn_head(m, true);
                self.block(&m.body);
            }
            self.indent -= 1;
            self.out.push_str("\n}\n");
        }
    }

    pub fn enum_def(&mut self, e: &EnumDef) {
        let vs: Vec<String> = e
            .variants
            .iter()
            .map(|(n, ts)| {
                if ts.is_empty() {
                    n.clone()
                } else {
                    let ts: Vec<String> = ts.iter().map(|t| t.show(self.p)).collect();
                    format!("{n}({})", ts.join(", "))
                }
            })
            .collect();
        let _ = writeln!(self.out, "E {} {{ {} }}", e.name, vs.join(", "));
    }

    fn fn_head(&mut self, f: &FnDef, method: bool) {
        let mut ps: Vec<String> = f.params.iter().map(|(n, t)| format!("{n}: {}", t.show(self.p))).collect();
        if method {
            ps.insert(0, "&self".into());
        }
        let _ = write!(self.out, "F {}({}) -> {} ", f.name, ps.join(", "), f.ret.show(self.p));
    }

    pub fn fn_def(&mut self, f: &FnDef) {
        if self.p.async_fns.contains(&f.name) {
            self.out.push_str("A ");
        }
        self.fn_head(f, false);
        self.block(&f.body);
        self.out.push('\n');
    }

    fn block(&mut self, b: &Block) {
        self.out.push('{');
        self.indent += 1;
        for s in &b.stmts {
            self.nl();
            self.stmt(s);
        }
        if let Some(v) = &b.value {
            self.nl();
            let v = self.expr_s(v);
            self.out.push_str(&v);
        } else if matches!(
            b.stmts.last(),
            Some(Stmt::Expr(_) | Stmt::PrintI64(_) | Stmt::PrintF64(_) | Stmt::Putchar(_) | Stmt::Printf(..) | Stmt::Puts(_))
        ) {
            // A `;` does not discard a value: end a unit block with `()`.
            self.nl();
            self.out.push_str("()");
        }
        self.indent -= 1;
        self.nl();
        self.out.push('}');
    }

    fn place(&mut self, p: &Place) -> String {
        match p {
            Place::Var(n) => n.clone(),
            Place::Field(b, _, n) => format!("{}.{n}", self.place(b)),
            Place::Index(a, i) => format!("{a}[{}]", self.expr_s(i)),
        }
    }

    pub fn stmt(&mut self, s: &Stmt) {
        match s {
            Stmt::Let { name, mutable, ann, value } => {
                let v = self.expr_s(value);
                let m = if *mutable { "mut " } else { "" };
                match ann {
                    Some(t) => {
                        let t = t.show(self.p);
                        let _ = write!(self.out, "{name}: {m}{t} = {v};");
                    }
                    None => {
                        let _ = write!(self.out, "{name} := {m}{v};");
                    }
                }
            }
            Stmt::Assign(p, v) => {
                let (p, v) = (self.place(p), self.expr_s(v));
                let _ = write!(self.out, "{p} = {v};");
            }
            Stmt::OpAssign(op, p, v) => {
                let (p, v) = (self.place(p), self.expr_s(v));
                let _ = write!(self.out, "{p} {}= {v};", op.sym());
            }
            Stmt::Expr(e) => {
                let e = self.expr_s(e);
                let _ = write!(self.out, "{e};");
            }
            Stmt::PrintI64(e) => {
                let e = self.expr_s(e);
                let _ = write!(self.out, "print_i64({e}); putchar(10);");
            }
            Stmt::PrintF64(e) => {
                let e = self.expr_s(e);
                let _ = write!(self.out, "print_f64({e}); putchar(10);");
            }
            Stmt::Putchar(c) => {
                let _ = write!(self.out, "putchar({c});");
            }
            Stmt::Printf(f, args) => {
                let mut s = str_lit(f);
                for a in args {
                    s.push_str(", ");
                    s.push_str(&self.expr_s(a));
                }
                let _ = write!(self.out, "printf({s});");
            }
            Stmt::Puts(t) => {
                let _ = write!(self.out, "puts({});", str_lit(t));
            }
            Stmt::If(c, t, e) => {
                let c = self.expr_s(c);
                let _ = write!(self.out, "I ({c}) ");
                self.block(t);
                if let Some(e) = e {
                    self.out.push_str(" E ");
                    self.block(e);
                }
                self.out.push(';');
            }
            Stmt::For { var, lo, hi, inclusive, body } => {
                let (lo, hi) = (self.expr_s(lo), self.expr_s(hi));
                let _ = write!(self.out, "L {var}: ({lo}){}({hi}) ", if *inclusive { "..=" } else { ".." });
                self.block(body);
                self.out.push(';');
            }
            Stmt::While(c, b) => {
                let c = self.expr_s(c);
                let _ = write!(self.out, "L _: ({c}) ");
                self.block(b);
                self.out.push(';');
            }
            Stmt::Loop(b) => {
                self.out.push_str("L ");
                self.block(b);
                self.out.push(';');
            }
            Stmt::Break => self.out.push_str("B;"),
            Stmt::Continue => self.out.push_str("C;"),
            Stmt::Return(e) => {
                let e = self.expr_s(e);
                let _ = write!(self.out, "R {e};");
            }
        }
    }

    fn pat(&self, p: &Pat) -> String {
        match p {
            Pat::Wild => "_".into(),
            Pat::Bind(n) => n.clone(),
            Pat::Int(v) => v.to_string(),
            Pat::Range(a, b, inc) => format!("{a}{}{b}", if *inc { "..=" } else { ".." }),
            Pat::Bool(b) => b.to_string(),
            Pat::Tuple(ps) => {
                let ps: Vec<String> = ps.iter().map(|p| self.pat(p)).collect();
                format!("({})", ps.join(", "))
            }
            Pat::Variant(e, v, ps) => {
                let name = &self.p.enums[*e].variants[*v].0;
                if self.p.enums[*e].variants[*v].1.is_empty() {
                    name.clone()
                } else {
                    let ps: Vec<String> = ps.iter().map(|p| self.pat(p)).collect();
                    format!("{name}({})", ps.join(", "))
                }
            }
        }
    }

    pub fn expr_s(&mut self, e: &Expr) -> String {
        let saved = std::mem::take(&mut self.out);
        self.expr(e);
        std::mem::replace(&mut self.out, saved)
    }

    fn args(&mut self, args: &[Expr]) -> String {
        let a: Vec<String> = args.iter().map(|a| self.expr_s(a)).collect();
        a.join(", ")
    }

    pub fn expr(&mut self, e: &Expr) {
        match e {
            Expr::Int(v) => {
                let _ = write!(self.out, "{v}");
            }
            Expr::Float(f) => self.out.push_str(&float_lit(*f)),
            Expr::Bool(b) => {
                let _ = write!(self.out, "{b}");
            }
            Expr::Var(n) | Expr::Const(n) | Expr::FnRef(n) => self.out.push_str(n),
            Expr::Bin(op, l, r) => {
                let (l, r) = (self.expr_s(l), self.expr_s(r));
                let _ = write!(self.out, "({l} {} {r})", op.sym());
            }
            Expr::Neg(x) => {
                let x = self.expr_s(x);
                let _ = write!(self.out, "(-{x})");
            }
            Expr::Not(x) => {
                let x = self.expr_s(x);
                let _ = write!(self.out, "(!{x})");
            }
            Expr::BitNot(x) => {
                let x = self.expr_s(x);
                let _ = write!(self.out, "(~{x})");
            }
            Expr::If(c, t, f) => {
                let c = self.expr_s(c);
                let _ = write!(self.out, "(I ({c}) ");
                self.block(t);
                self.out.push_str(" E ");
                self.block(f);
                self.out.push(')');
            }
            Expr::Ternary(c, t, f) => {
                let (c, t, f) = (self.expr_s(c), self.expr_s(t), self.expr_s(f));
                let _ = write!(self.out, "(({c}) ? ({t}) : ({f}))");
            }
            Expr::Call(n, args) => {
                let a = self.args(args);
                let _ = write!(self.out, "{n}({a})");
            }
            Expr::SelfCall(args) => {
                let a = self.args(args);
                let _ = write!(self.out, "@({a})");
            }
            Expr::CallVal(n, args) => {
                let a = self.args(args);
                let _ = write!(self.out, "{n}({a})");
            }
            Expr::Lambda(ps, body) => {
                let ps: Vec<String> = ps.iter().map(|(n, t)| format!("{n}: {}", t.show(self.p))).collect();
                let b = self.expr_s(body);
                let _ = write!(self.out, "(|{}| {b})", ps.join(", "));
            }
            Expr::Field(b, _, n) => {
                let b = self.expr_s(b);
                let _ = write!(self.out, "{b}.{n}");
            }
            Expr::SelfValue => self.out.push_str("self"),
            Expr::StructLit(s, fs) => {
                let sd = &self.p.structs[*s];
                let names: Vec<String> = sd.fields.iter().map(|f| f.0.clone()).collect();
                let name = sd.name.clone();
                let parts: Vec<String> =
                    fs.iter().zip(names).map(|(e, n)| format!("{n}: {}", self.expr_s(e))).collect();
                let _ = write!(self.out, "{name} {{ {} }}", parts.join(", "));
            }
            Expr::Variant(en, v, args) => {
                let name = self.p.enums[*en].variants[*v].0.clone();
                if args.is_empty() {
                    self.out.push_str(&name);
                } else {
                    let a = self.args(args);
                    let _ = write!(self.out, "{name}({a})");
                }
            }
            Expr::Match(s, arms) => {
                let s = self.expr_s(s);
                let _ = write!(self.out, "(M ({s}) {{");
                self.indent += 1;
                for (i, a) in arms.iter().enumerate() {
                    self.nl();
                    let ps: Vec<String> = a.pats.iter().map(|p| self.pat(p)).collect();
                    self.out.push_str(&ps.join(" | "));
                    if let Some(g) = &a.guard {
                        let g = self.expr_s(g);
                        let _ = write!(self.out, " I ({g})");
                    }
                    let b = self.expr_s(&a.body);
                    let _ = write!(self.out, " => {b}{}", if i + 1 < arms.len() { "," } else { "" });
                }
                self.indent -= 1;
                self.nl();
                self.out.push_str("})");
            }
            Expr::Index(a, i) => {
                let (a, i) = (self.expr_s(a), self.expr_s(i));
                let _ = write!(self.out, "{a}[{i}]");
            }
            Expr::Array(xs) => {
                let a = self.args(xs);
                let _ = write!(self.out, "[{a}]");
            }
            Expr::Slice(b, lo, hi, inc) => {
                let b = self.expr_s(b);
                let _ = write!(self.out, "{b}[{lo}{}{hi}]", if *inc { "..=" } else { ".." });
            }
            Expr::Tuple(xs) => {
                let a = self.args(xs);
                let _ = write!(self.out, "({a})");
            }
            Expr::Block(b) => self.block(b),
            Expr::Method(r, s, m, args) => {
                let r = self.expr_s(r);
                let name = self.p.structs[*s].methods[*m].name.clone();
                let a = self.args(args);
                let _ = write!(self.out, "{r}.{name}({a})");
            }
            Expr::Conv(x, _) => self.expr(x),
            Expr::Cast(x, t) => {
                let x = self.expr_s(x);
                let _ = write!(self.out, "({x} as {})", t.show(self.p));
            }
            Expr::Await(x) => {
                self.expr(x);
                self.out.push_str(".await");
            }
        }
    }
}
