//! `vais-tir`: the typed intermediate representation the checker produces and the JIT consumes.
//!
//! Data only; it knows nothing of syntax or of Cranelift. Invariants the producer (vais-types)
//! guarantees and the consumer (vais-jit) trusts without checking again:
//!
//! 1. **Every type is concrete.** No inference variables, no generic parameters: generic
//!    functions, structs and enums are monomorphised; each instantiation has its own
//!    `FuncId` / `StructId` / `EnumId` (`name` shows the arguments, e.g. `id<f64>`).
//! 2. **Every name is resolved**: locals to `LocalId` (per function), session variables to
//!    `GlobalId`, functions to `FuncId`, built-ins to `Builtin`, externs to `ExternId`.
//!    Constants are already folded into literals.
//! 3. **Integer conversions are explicit**: wherever an integer of one type flows into a place of
//!    another integer type (let with annotation, argument, return, assignment, binary operand,
//!    field initialiser, ...) a `Cast` node converts it. Both operands of an arithmetic,
//!    bitwise, shift or comparison `Binary` have the same type (the left operand's).
//!    An implicit `Cast` only converts integer to integer (semantics of §4.6: truncate, or
//!    extend by the *source* signedness); an explicit one (`e as T`, Extensions decision 12)
//!    converts any pair [`cast_exists`] accepts.
//! 4. **Methods are plain functions**: an instance method's first parameter has type
//!    `Ty::Ref(Struct)`; calls pass `AddrOf(receiver)` as the first argument. Trait default
//!    methods are instantiated per implementing struct. `@`/`self` are ordinary locals.
//!    Field access through a reference has an explicit `Deref`.
//! 5. **Diverging expressions** (`Return`, `Break`, `Continue`, calls to `exit`) have type
//!    `Never`. A `Never` expression may appear where any type is expected; code after it in
//!    the same block is unreachable.
//! 6. **Places**: `Local`, `Global`, `Field`, `Index`, `Deref` are place expressions; they are
//!    the only targets of `Assign`/`CompoundAssign` and the usual operands of `AddrOf`
//!    (`AddrOf` of any other expression means "spill to a temporary and take its address").
//! 7. Evaluation order is the order of the vectors (struct literal fields in *written* order).
//! 8. A `Match` whose arms all fail at run time is a runtime error ("no match arm").

use vais_ast::Span;

pub mod hash;
pub mod print;
pub mod visit;

pub use vais_ast::ast::BinaryOp;

pub mod verify;

macro_rules! id_type {
    ($($name:ident),*) => {$(
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u32);
        impl $name {
            pub fn index(self) -> usize { self.0 as usize }
        }
    )*};
}
id_type!(FuncId, StructId, EnumId, LocalId, GlobalId, ExternId);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IntTy {
    I8,
    I16,
    I32,
    I64,
    I128,
    U8,
    U16,
    U32,
    U64,
    U128,
}

impl IntTy {
    pub fn bits(self) -> u32 {
        match self {
            IntTy::I8 | IntTy::U8 => 8,
            IntTy::I16 | IntTy::U16 => 16,
            IntTy::I32 | IntTy::U32 => 32,
            IntTy::I64 | IntTy::U64 => 64,
            IntTy::I128 | IntTy::U128 => 128,
        }
    }
    pub fn signed(self) -> bool {
        matches!(self, IntTy::I8 | IntTy::I16 | IntTy::I32 | IntTy::I64 | IntTy::I128)
    }
    pub fn name(self) -> &'static str {
        match self {
            IntTy::I8 => "i8",
            IntTy::I16 => "i16",
            IntTy::I32 => "i32",
            IntTy::I64 => "i64",
            IntTy::I128 => "i128",
            IntTy::U8 => "u8",
            IntTy::U16 => "u16",
            IntTy::U32 => "u32",
            IntTy::U64 => "u64",
            IntTy::U128 => "u128",
        }
    }
}

/// A concrete type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Ty {
    Int(IntTy),
    F32,
    F64,
    Bool,
    /// Address of immutable NUL-terminated bytes.
    Str,
    Unit,
    /// Type of `R`, `B`, `C` and `exit(...)`: no value is ever produced.
    Never,
    /// `*T`: raw pointer (array literals, slices).
    Ptr(Box<Ty>),
    /// `&T` / `&mut T`.
    Ref(Box<Ty>),
    /// `[T]`: pointer-sized; no value can be built from source.
    Array(Box<Ty>),
    /// `[K:V]`: pointer-sized; no value can be built from source.
    Map(Box<Ty>, Box<Ty>),
    Tuple(Vec<Ty>),
    /// A function value: a named function or a closure. Represented as (code, environment).
    Fn(Vec<Ty>, Box<Ty>),
    Struct(StructId),
    Enum(EnumId),
    /// Result of calling an async function; `.await` runs it.
    Future(Box<Ty>),
    /// `a..b`; only appears as a range-loop header or slice index, never stored.
    Range(Box<Ty>),
    /// `T?` / `T!`: a tag word (0 = has a value) followed by a `T`. No constructor exists.
    Optional(Box<Ty>),
}

impl Ty {
    pub const I64: Ty = Ty::Int(IntTy::I64);
    pub fn is_int(&self) -> bool {
        matches!(self, Ty::Int(_))
    }
    pub fn is_float(&self) -> bool {
        matches!(self, Ty::F32 | Ty::F64)
    }
}

/// Range values (`r := 0..10`, extensions decision 19) are structs of three fields: `start`,
/// `end` (as written) and whether the end is included, a `bool` whose field has this name (no
/// user struct can have it). The struct's name is `Range<T>`. Printers show such a struct as
/// `start..end` / `start..=end`.
pub const RANGE_INCLUSIVE_FIELD: &str = "..=";

impl StructDef {
    /// Whether this struct is a range value (see [`RANGE_INCLUSIVE_FIELD`]).
    pub fn is_range(&self) -> bool {
        self.fields.len() == 3 && self.fields[2].name == RANGE_INCLUSIVE_FIELD
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct FieldDef {
    pub name: String,
    pub ty: Ty,
}

/// One concrete struct (instantiation). Field order is declaration order.
#[derive(Clone, Debug, PartialEq)]
pub struct StructDef {
    /// Display name, with type arguments: `Point`, `Pair<i64>`.
    pub name: String,
    pub fields: Vec<FieldDef>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct VariantDef {
    pub name: String,
    /// Payload types (empty for unit variants). Struct-like variants list their field types.
    pub fields: Vec<Ty>,
    /// Field names of a struct-like variant (empty otherwise).
    pub field_names: Vec<String>,
}

/// One concrete enum (instantiation). The tag of a variant is its index.
#[derive(Clone, Debug, PartialEq)]
pub struct EnumDef {
    pub name: String,
    pub variants: Vec<VariantDef>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LocalDef {
    pub name: String,
    pub ty: Ty,
    pub mutable: bool,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FuncKind {
    /// A free function (or a generic instantiation of one).
    Free,
    /// A method (instance methods take `Ref(Struct)` first); `of` is the struct.
    Method { of: StructId, instance: bool },
    /// A lambda body; its environment fills `captures`.
    Lambda,
    /// A REPL input's top-level code (`__repl_N`).
    ReplEntry,
}

/// One concrete function.
#[derive(Clone, Debug, PartialEq)]
pub struct FuncDef {
    /// Display name: `main`, `Counter.tick`, `id<f64>`, `main::lambda#0`, `__repl_3`.
    pub name: String,
    pub kind: FuncKind,
    /// Declared `A F`: calls to it build a `Future`; the body itself is ordinary code.
    pub is_async: bool,
    /// Parameter locals, in order (the receiver first for instance methods).
    pub params: Vec<LocalId>,
    /// Lambdas only: locals loaded from the closure environment, in `Closure::captures` order.
    pub captures: Vec<LocalId>,
    pub ret: Ty,
    /// Every local of the function (parameters, captures, lets, pattern bindings, loop vars).
    pub locals: Vec<LocalDef>,
    pub body: Expr,
    pub span: Span,
}

impl FuncDef {
    /// A function of `kind` named `name` with no parameters, no locals and a `()` body: the
    /// checker's placeholder for a lambda whose body it has yet to check, and what a REPL
    /// entry that has run is emptied to.
    pub fn empty(name: String, kind: FuncKind, span: Span) -> FuncDef {
        FuncDef {
            name,
            kind,
            is_async: false,
            params: vec![],
            captures: vec![],
            ret: Ty::Unit,
            locals: vec![],
            body: Expr::new(ExprKind::Unit, Ty::Unit, span),
            span,
        }
    }

    pub fn local(&self, id: LocalId) -> &LocalDef {
        &self.locals[id.index()]
    }
    pub fn param_types(&self) -> Vec<Ty> {
        self.params.iter().map(|p| self.local(*p).ty.clone()).collect()
    }
}

/// `X F name(...)`: a C function resolved by symbol name in the host process.
#[derive(Clone, Debug, PartialEq)]
pub struct ExternDef {
    pub name: String,
    pub params: Vec<Ty>,
    pub variadic: bool,
    pub ret: Ty,
}

/// A REPL session variable: a data object in JIT memory.
#[derive(Clone, Debug, PartialEq)]
pub struct GlobalDef {
    pub name: String,
    pub ty: Ty,
    pub mutable: bool,
    /// Its name where it was declared (`x` of `x := 5`, in that input's file), for diagnostics
    /// about it in later inputs.
    pub span: Span,
}

/// Everything known so far. Append-only in a REPL session (a redefined function keeps its
/// `FuncId` when its signature is unchanged and gets a new body in place).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Program {
    pub structs: Vec<StructDef>,
    pub enums: Vec<EnumDef>,
    pub funcs: Vec<FuncDef>,
    pub externs: Vec<ExternDef>,
    pub globals: Vec<GlobalDef>,
    /// `main`, when the program has one.
    pub main: Option<FuncId>,
}

impl Program {
    pub fn func(&self, id: FuncId) -> &FuncDef {
        &self.funcs[id.index()]
    }
    pub fn struct_def(&self, id: StructId) -> &StructDef {
        &self.structs[id.index()]
    }
    pub fn enum_def(&self, id: EnumId) -> &EnumDef {
        &self.enums[id.index()]
    }
    /// The type as a user writes it: `i64`, `*i64`, `Pair<i64>`, `(i64) -> bool`.
    pub fn ty_name(&self, ty: &Ty) -> String {
        match ty {
            Ty::Int(i) => i.name().to_string(),
            Ty::F32 => "f32".into(),
            Ty::F64 => "f64".into(),
            Ty::Bool => "bool".into(),
            Ty::Str => "str".into(),
            Ty::Unit => "()".into(),
            Ty::Never => "!".into(),
            Ty::Ptr(t) => format!("*{}", self.ty_name(t)),
            Ty::Ref(t) => format!("&{}", self.ty_name(t)),
            Ty::Array(t) => format!("[{}]", self.ty_name(t)),
            Ty::Map(k, v) => format!("[{}:{}]", self.ty_name(k), self.ty_name(v)),
            Ty::Tuple(ts) => {
                format!("({})", ts.iter().map(|t| self.ty_name(t)).collect::<Vec<_>>().join(", "))
            }
            Ty::Fn(ps, r) => format!(
                "({}) -> {}",
                ps.iter().map(|t| self.ty_name(t)).collect::<Vec<_>>().join(", "),
                self.ty_name(r)
            ),
            Ty::Struct(s) => self.struct_def(*s).name.clone(),
            Ty::Enum(e) => self.enum_def(*e).name.clone(),
            Ty::Future(t) => format!("Future<{}>", self.ty_name(t)),
            Ty::Range(t) => format!("Range<{}>", self.ty_name(t)),
            Ty::Optional(t) => format!("{}?", self.ty_name(t)),
        }
    }
}

/// Whether a `Cast` from `from` to `to` exists (Extensions decision 12).
pub fn cast_exists(from: &Ty, to: &Ty) -> bool {
    use Ty::*;
    match (from, to) {
        (a, b) if a == b => true,
        (Int(_), Int(_)) | (F32 | F64, F32 | F64) | (Bool, Int(_)) => true,
        (Int(_), F32 | F64) | (F32 | F64, Int(_)) => true,
        (Int(IntTy::I64 | IntTy::U64), Ptr(_)) | (Ptr(_), Int(IntTy::I64 | IntTy::U64)) | (Ptr(_), Ptr(_)) => true,
        _ => false,
    }
}

/// Built-in functions of §9 plus Project decision 6.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Builtin {
    Puts,
    /// `printf(fmt, args...)`: formatted by the runtime (argument types are the arg exprs' types).
    Printf,
    Putchar,
    PutsPtr,
    Exit,
    Malloc,
    Free,
    Memcpy,
    LoadByte,
    StoreByte,
    LoadI64,
    StoreI64,
    Strlen,
    Fopen,
    Fclose,
    Fread,
    Fwrite,
    Fgetc,
    Fputc,
    Fgets,
    Fputs,
    Fseek,
    Ftell,
    Fflush,
    Feof,
    PrintI64,
    PrintF64,
    /// `str_len(s)`: bytes before the NUL (Extensions decision 15).
    StrLen,
    /// `str_ptr(s)`: the address of the bytes.
    StrPtr,
    /// `str_from_ptr(addr)`: a `str` viewing NUL-terminated bytes (no copy).
    StrFromPtr,
    /// `argc()` (Extensions decision 17).
    Argc,
    /// `argv(i)`: out of range is a runtime error.
    Argv,
    /// `getchar()`: next byte of standard input, -1 at end.
    Getchar,
    Stdin,
    Stdout,
    Stderr,
}

impl Builtin {
    pub const ALL: &'static [Builtin] = &[
        Builtin::Puts,
        Builtin::Printf,
        Builtin::Putchar,
        Builtin::PutsPtr,
        Builtin::Exit,
        Builtin::Malloc,
        Builtin::Free,
        Builtin::Memcpy,
        Builtin::LoadByte,
        Builtin::StoreByte,
        Builtin::LoadI64,
        Builtin::StoreI64,
        Builtin::Strlen,
        Builtin::Fopen,
        Builtin::Fclose,
        Builtin::Fread,
        Builtin::Fwrite,
        Builtin::Fgetc,
        Builtin::Fputc,
        Builtin::Fgets,
        Builtin::Fputs,
        Builtin::Fseek,
        Builtin::Ftell,
        Builtin::Fflush,
        Builtin::Feof,
        Builtin::PrintI64,
        Builtin::PrintF64,
        Builtin::StrLen,
        Builtin::StrPtr,
        Builtin::StrFromPtr,
        Builtin::Argc,
        Builtin::Argv,
        Builtin::Getchar,
        Builtin::Stdin,
        Builtin::Stdout,
        Builtin::Stderr,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Builtin::Puts => "puts",
            Builtin::Printf => "printf",
            Builtin::Putchar => "putchar",
            Builtin::PutsPtr => "puts_ptr",
            Builtin::Exit => "exit",
            Builtin::Malloc => "malloc",
            Builtin::Free => "free",
            Builtin::Memcpy => "memcpy",
            Builtin::LoadByte => "load_byte",
            Builtin::StoreByte => "store_byte",
            Builtin::LoadI64 => "load_i64",
            Builtin::StoreI64 => "store_i64",
            Builtin::Strlen => "strlen",
            Builtin::Fopen => "fopen",
            Builtin::Fclose => "fclose",
            Builtin::Fread => "fread",
            Builtin::Fwrite => "fwrite",
            Builtin::Fgetc => "fgetc",
            Builtin::Fputc => "fputc",
            Builtin::Fgets => "fgets",
            Builtin::Fputs => "fputs",
            Builtin::Fseek => "fseek",
            Builtin::Ftell => "ftell",
            Builtin::Fflush => "fflush",
            Builtin::Feof => "feof",
            Builtin::PrintI64 => "print_i64",
            Builtin::PrintF64 => "print_f64",
            Builtin::StrLen => "str_len",
            Builtin::StrPtr => "str_ptr",
            Builtin::StrFromPtr => "str_from_ptr",
            Builtin::Argc => "argc",
            Builtin::Argv => "argv",
            Builtin::Getchar => "getchar",
            Builtin::Stdin => "stdin",
            Builtin::Stdout => "stdout",
            Builtin::Stderr => "stderr",
        }
    }

    pub fn from_name(name: &str) -> Option<Builtin> {
        Builtin::ALL.iter().copied().find(|b| b.name() == name)
    }

    /// Parameter types and result type (§9). `Printf` lists only the format; more arguments
    /// of any scalar type may follow.
    pub fn signature(self) -> (Vec<Ty>, Ty) {
        let i64_ = Ty::I64;
        let i32_ = Ty::Int(IntTy::I32);
        match self {
            Builtin::Puts => (vec![Ty::Str], i32_),
            Builtin::Printf => (vec![Ty::Str], i32_),
            Builtin::Putchar => (vec![i32_.clone()], i32_),
            Builtin::PutsPtr => (vec![i64_], i32_),
            Builtin::Exit => (vec![i32_], Ty::Never),
            Builtin::Malloc => (vec![i64_.clone()], i64_),
            Builtin::Free => (vec![i64_], Ty::Unit),
            Builtin::Memcpy => (vec![i64_.clone(), i64_.clone(), i64_.clone()], i64_),
            Builtin::LoadByte => (vec![i64_.clone()], i64_),
            Builtin::StoreByte => (vec![i64_.clone(), i64_], Ty::Unit),
            Builtin::LoadI64 => (vec![i64_.clone()], i64_),
            Builtin::StoreI64 => (vec![i64_.clone(), i64_], Ty::Unit),
            Builtin::Strlen => (vec![i64_.clone()], i64_),
            Builtin::Fopen => (vec![Ty::Str, Ty::Str], i64_),
            Builtin::Fclose => (vec![i64_], i32_),
            Builtin::Fread | Builtin::Fwrite => (vec![i64_.clone(); 4], i64_),
            Builtin::Fgetc | Builtin::Ftell | Builtin::Fflush | Builtin::Feof => {
                (vec![i64_.clone()], i64_)
            }
            Builtin::Fputc => (vec![i64_.clone(), i64_.clone()], i64_),
            Builtin::Fgets | Builtin::Fseek => (vec![i64_.clone(); 3], i64_),
            Builtin::Fputs => (vec![Ty::Str, i64_.clone()], i64_),
            Builtin::PrintI64 => (vec![i64_], i32_),
            Builtin::PrintF64 => (vec![Ty::F64], i32_),
            Builtin::StrLen | Builtin::StrPtr => (vec![Ty::Str], i64_),
            Builtin::StrFromPtr => (vec![i64_], Ty::Str),
            Builtin::Argv => (vec![i64_], Ty::Str),
            Builtin::Argc | Builtin::Getchar | Builtin::Stdin | Builtin::Stdout | Builtin::Stderr => (vec![], i64_),
        }
    }
}

/// An expression node. `Clone`, `Debug`, `PartialEq` and `Drop` are written out so that each
/// level runs under [`vais_ast::stack::guard`] (trees are as deep as the checker allows).
pub struct Expr {
    pub kind: ExprKind,
    pub ty: Ty,
    pub span: Span,
}

impl Clone for Expr {
    fn clone(&self) -> Self {
        vais_ast::stack::guard(|| Expr { kind: self.kind.clone(), ty: self.ty.clone(), span: self.span })
    }
}

impl std::fmt::Debug for Expr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        vais_ast::stack::guard(|| {
            f.debug_struct("Expr").field("kind", &self.kind).field("ty", &self.ty).field("span", &self.span).finish()
        })
    }
}

impl PartialEq for Expr {
    fn eq(&self, o: &Self) -> bool {
        vais_ast::stack::guard(|| self.span == o.span && self.ty == o.ty && self.kind == o.kind)
    }
}

impl Drop for Expr {
    fn drop(&mut self) {
        use ExprKind as K;
        match self.kind {
            K::Int(_) | K::Float(_) | K::Bool(_) | K::Str(_) | K::Unit | K::Local(_) | K::Global(_) => {}
            K::FuncRef(_) | K::Continue | K::Break(None) | K::Return(None) => {}
            _ => {
                let kind = std::mem::replace(&mut self.kind, K::Unit);
                vais_ast::stack::guard(|| drop(kind));
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    /// Wrapping negation for integers, IEEE negation for floats.
    Neg,
    /// Logical not on `bool`.
    Not,
    /// Bitwise complement on integers.
    BitNot,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Callee {
    Func(FuncId),
    Builtin(Builtin),
    Extern(ExternId),
    /// A value of type `Ty::Fn` (closure or function value).
    Value(Box<Expr>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum LoopKind {
    /// `L { }`
    Infinite,
    /// `L _: cond { }` (cond is `bool`, tested before each iteration).
    While(Box<Expr>),
    /// A `While` loop made by tail recursion elimination (`vais-inline`'s `tailrec`) from a
    /// recursion that provably ends and calls itself in every iteration (`fib`'s
    /// `L _: n >= 2 { u := fib(n - 1); .. }`). Runs as `While`, but its back-edge needs no
    /// interrupt poll: each iteration makes the call, whose entry polls, or an inlined copy of
    /// it, whose loop and entry guard run without a call only while the parameter is within a
    /// constant of the base case, a bounded number of times in a row.
    Recursion(Box<Expr>),
    /// `L i: a..b { }`: `start`/`end` evaluated once; `var` (if named) is bound per iteration.
    Range { var: Option<LocalId>, start: Box<Expr>, end: Box<Expr>, inclusive: bool },
}

#[derive(Clone, Debug, PartialEq)]
pub enum Stmt {
    /// Evaluate `value` and store it into `local` (a fresh local; shadowing makes a new one).
    Let { local: LocalId, value: Expr },
    Expr(Expr),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub stmts: Vec<Stmt>,
    /// The block's value (`None` = unit).
    pub value: Option<Box<Expr>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Pattern {
    pub kind: PatternKind,
    /// Type of the value this pattern is matched against.
    pub ty: Ty,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum PatternKind {
    Wildcard,
    /// Binds the (sub-)value to a local.
    Bind(LocalId),
    /// Integer equal to the value (already in the scrutinee's type range).
    Int(i128),
    /// Integer in `lo..hi` or `lo..=hi`.
    Range { lo: i128, hi: i128, inclusive: bool },
    Bool(bool),
    /// `str` with exactly these bytes.
    Str(Vec<u8>),
    /// Enum value with tag `variant` whose payload fields match `args`.
    Variant { enum_id: EnumId, variant: u32, args: Vec<Pattern> },
    Tuple(Vec<Pattern>),
    /// Alternatives tried left to right (each binds the same locals, if any).
    Or(Vec<Pattern>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Arm {
    pub pattern: Pattern,
    pub guard: Option<Expr>,
    pub body: Expr,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// Integer literal of type `ty` (value already in range for that type).
    Int(i128),
    Float(f64),
    Bool(bool),
    /// String literal bytes (no NUL); one data object per distinct content.
    Str(Vec<u8>),
    Unit,
    Local(LocalId),
    /// A REPL session variable.
    Global(GlobalId),
    /// A named function used as a value (`ty` is `Ty::Fn`).
    FuncRef(FuncId),
    Tuple(Vec<Expr>),
    /// Array literal; `ty` is `Ptr(T)`; storage lives at least as long as the current call.
    Array(Vec<Expr>),
    /// Struct literal: (field index, value) in written order; unlisted fields are zeroed.
    StructLit { id: StructId, fields: Vec<(u32, Expr)> },
    /// Enum constructor (tuple variant call or unit variant).
    Variant { enum_id: EnumId, variant: u32, args: Vec<Expr> },
    Block(Block),
    /// `I`/`E` or ternary. Without `else_expr` the type is unit.
    If { cond: Box<Expr>, then_expr: Box<Expr>, else_expr: Option<Box<Expr>> },
    /// Type unit.
    Loop { kind: LoopKind, body: Box<Expr> },
    /// Leave the innermost loop (the operand is evaluated and discarded). Type `Never`.
    Break(Option<Box<Expr>>),
    /// Type `Never`.
    Continue,
    /// Type `Never`.
    Return(Option<Box<Expr>>),
    Match { scrutinee: Box<Expr>, arms: Vec<Arm> },
    Unary { op: UnaryOp, operand: Box<Expr> },
    /// See invariant 3. `And`/`Or` short-circuit on `bool`. `Eq`/`Ne` on `str` compare bytes.
    Binary { op: BinaryOp, lhs: Box<Expr>, rhs: Box<Expr> },
    /// Conversion to `ty` (see [`cast_exists`]): integers truncate or extend by the source's
    /// signedness; integer to float is the nearest value; float to integer truncates toward
    /// zero and saturates, NaN gives 0; floats round or widen; `bool` gives 0/1; pointers and
    /// `i64`/`u64` keep their bits.
    Cast(Box<Expr>),
    Call { callee: Callee, args: Vec<Expr> },
    /// Field `index` of a struct-typed place or value.
    Field { base: Box<Expr>, index: u32 },
    /// `base[index]`, `base: Ptr(T)` or `Array(T)`; `index` is `i64`.
    Index { base: Box<Expr>, index: Box<Expr> },
    /// `base[start..end]` (start defaults to 0): a fresh heap copy; `ty` is `Ptr(T)`.
    Slice { base: Box<Expr>, start: Option<Box<Expr>>, end: Box<Expr>, inclusive: bool },
    /// `*e` on `Ref(T)` / `Ptr(T)` (element 0).
    Deref(Box<Expr>),
    /// Address of a place (or of a temporary holding the value). `ty` is `Ref(T)`.
    AddrOf(Box<Expr>),
    /// Type unit.
    Assign { target: Box<Expr>, value: Box<Expr> },
    /// `target op= value` (`op` is Add/Sub/Mul/Div; `value` already has the target's type).
    CompoundAssign { op: BinaryOp, target: Box<Expr>, value: Box<Expr> },
    /// A lambda value: `func` (kind `Lambda`) with its captured values, read now.
    Closure { func: FuncId, captures: Vec<Expr> },
    /// Calling an async function: captures the arguments; `ty` is `Future(ret)`.
    MakeFuture { func: FuncId, args: Vec<Expr> },
    /// Runs the future's body to completion and yields its value.
    Await(Box<Expr>),
    /// `e!` on `Optional(T)`: runtime error when the tag is non-zero.
    Unwrap(Box<Expr>),
    /// A call of `func` replaced by a copy of its body (made by the inliner, never by the
    /// checker): `args` binds fresh locals (the callee's parameters and captures, renumbered
    /// into the caller's locals) in order, as part of the caller; then `body`, a copy of the
    /// callee's body with its locals renumbered the same way, runs as the callee. The node's
    /// span is the call's; `body` keeps the callee's spans, so runtime errors inside it name
    /// `func` and its own line (and the call site as the next frame). The callee's body has no
    /// `Return` (a `Return` in `args` is the caller's).
    Inlined { func: FuncId, args: Vec<(LocalId, Expr)>, body: Box<Expr> },
}

impl Expr {
    pub fn new(kind: ExprKind, ty: Ty, span: Span) -> Expr {
        Expr { kind, ty, span }
    }
    /// Moves the kind out (leaving `Unit`): `Expr` implements `Drop`, so fields cannot be
    /// moved out of it directly.
    pub fn into_kind(mut self) -> ExprKind {
        std::mem::replace(&mut self.kind, ExprKind::Unit)
    }
    /// Whether this expression denotes a storage location (invariant 6).
    /// The local a place expression is rooted at through fields and indexes (`a.f[i].g` is
    /// rooted at `a`): the local a write to the place may change. `None` for other roots.
    pub fn root_local(&self) -> Option<LocalId> {
        let mut e = self;
        loop {
            match &e.kind {
                ExprKind::Local(l) => return Some(*l),
                ExprKind::Field { base, .. } | ExprKind::Index { base, .. } => e = base,
                _ => return None,
            }
        }
    }

    pub fn is_place(&self) -> bool {
        matches!(
            self.kind,
            ExprKind::Local(_)
                | ExprKind::Global(_)
                | ExprKind::Field { .. }
                | ExprKind::Index { .. }
                | ExprKind::Deref(_)
        )
    }
}
