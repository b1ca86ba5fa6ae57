//! The syntax tree, exactly as written (after escape processing of string literals).
//! Every node carries its span. Nothing here is resolved or typed: names are strings.
//! Large, rare parts of expressions and statements are boxed so that `Expr` stays small (it
//! is moved through every level of the expression parser).

use crate::source::Span;

#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A whole file (imports not yet merged).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Module {
    pub items: Vec<Item>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub kind: ItemKind,
    /// `P` marker (no semantic effect).
    pub is_pub: bool,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ItemKind {
    Function(Function),
    Struct(Struct),
    Enum(Enum),
    Alias(Alias),
    Use(Use),
    Trait(Trait),
    Impl(Impl),
    /// `C NAME: Type = expr` (Project decision 5).
    Const(Const),
    /// `X F name(params [, ...]) [-> T]` (Project decision 4).
    Extern(ExternFn),
}

#[derive(Clone, Debug, PartialEq)]
pub struct GenericParam {
    pub name: Ident,
    pub bounds: Vec<Ident>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Param {
    /// `&self` / `&mut self` (the only receiver forms).
    SelfRef { mutable: bool, span: Span },
    Named { name: Ident, ty: Type, mutable: bool, span: Span },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Function {
    pub name: Ident,
    pub generics: Vec<GenericParam>,
    pub params: Vec<Param>,
    /// `None` means `-> ()`.
    pub ret: Option<Type>,
    /// `= expr` bodies are stored as that expression; block bodies as an `ExprKind::Block`.
    /// `None` only for trait method signatures without a default.
    pub body: Option<Expr>,
    pub is_async: bool,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub name: Ident,
    pub ty: Type,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Struct {
    pub name: Ident,
    pub generics: Vec<GenericParam>,
    pub fields: Vec<Field>,
    /// Inline methods (`S P { x: i64, F get(&self) -> i64 = self.x }`).
    pub methods: Vec<Function>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum VariantKind {
    Unit,
    Tuple(Vec<Type>),
    /// Declarable only (cannot be constructed, §7.6).
    Struct(Vec<Field>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Variant {
    pub name: Ident,
    pub kind: VariantKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Enum {
    pub name: Ident,
    pub generics: Vec<GenericParam>,
    pub variants: Vec<Variant>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Alias {
    pub name: Ident,
    pub generics: Vec<GenericParam>,
    pub ty: Type,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Use {
    pub path: Vec<Ident>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AssocType {
    pub name: Ident,
    pub bounds: Vec<Ident>,
    pub default: Option<Type>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Trait {
    pub name: Ident,
    pub generics: Vec<GenericParam>,
    pub supertraits: Vec<Ident>,
    pub assoc_types: Vec<AssocType>,
    /// Signatures; `body` is `Some` for default methods.
    pub methods: Vec<Function>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Impl {
    pub generics: Vec<GenericParam>,
    pub target: Type,
    pub trait_name: Option<Ident>,
    pub methods: Vec<Function>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Const {
    pub name: Ident,
    pub ty: Type,
    pub value: Expr,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ExternFn {
    pub name: Ident,
    pub params: Vec<(Ident, Type)>,
    pub variadic: bool,
    pub ret: Option<Type>,
}

// ---------------------------------------------------------------- types

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PrimType {
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
    F32,
    F64,
    Bool,
    Str,
}

impl PrimType {
    pub fn from_name(s: &str) -> Option<PrimType> {
        Some(match s {
            "i8" => PrimType::I8,
            "i16" => PrimType::I16,
            "i32" => PrimType::I32,
            "i64" => PrimType::I64,
            "i128" => PrimType::I128,
            "u8" => PrimType::U8,
            "u16" => PrimType::U16,
            "u32" => PrimType::U32,
            "u64" => PrimType::U64,
            "u128" => PrimType::U128,
            "f32" => PrimType::F32,
            "f64" => PrimType::F64,
            "bool" => PrimType::Bool,
            "str" => PrimType::Str,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            PrimType::I8 => "i8",
            PrimType::I16 => "i16",
            PrimType::I32 => "i32",
            PrimType::I64 => "i64",
            PrimType::I128 => "i128",
            PrimType::U8 => "u8",
            PrimType::U16 => "u16",
            PrimType::U32 => "u32",
            PrimType::U64 => "u64",
            PrimType::U128 => "u128",
            PrimType::F32 => "f32",
            PrimType::F64 => "f64",
            PrimType::Bool => "bool",
            PrimType::Str => "str",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Type {
    pub kind: TypeKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TypeKind {
    Unit,
    Prim(PrimType),
    /// `Self`
    SelfType,
    /// A user type name or generic parameter, with optional arguments (`Pair<i64>`).
    Named { name: Ident, args: Vec<Type> },
    /// `(A, B, ...)`, two or more elements.
    Tuple(Vec<Type>),
    /// `(A, B) -> R`, one or more parameters.
    Fn { params: Vec<Type>, ret: Box<Type> },
    /// `[T]`
    Array(Box<Type>),
    /// `[K:V]`
    Map(Box<Type>, Box<Type>),
    /// `*T`
    Pointer(Box<Type>),
    /// `&T`, `&mut T`
    Ref { mutable: bool, inner: Box<Type> },
    /// `T?`
    Optional(Box<Type>),
    /// `T!`
    Result(Box<Type>),
}

// ---------------------------------------------------------------- expressions

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    /// `-e`
    Neg,
    /// `!e`
    Not,
    /// `~e`
    BitNot,
    /// `&e`
    Ref,
    /// `*e`
    Deref,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    /// `&&` (short-circuit, Project decision 2)
    And,
    /// `||`
    Or,
    BitAnd,
    BitOr,
    BitXor,
    Shl,
    Shr,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::And => "&&",
            BinaryOp::Or => "||",
            BinaryOp::BitAnd => "&",
            BinaryOp::BitOr => "|",
            BinaryOp::BitXor => "^",
            BinaryOp::Shl => "<<",
            BinaryOp::Shr => ">>",
        }
    }
}

/// `=` or a compound assignment operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssignOp {
    Assign,
    Add,
    Sub,
    Mul,
    Div,
}

/// An expression node. `Clone`, `Debug`, `PartialEq` and `Drop` are written out so that each
/// level runs under [`crate::stack::guard`]: a chain `1+1+...` is as deep as it is long.
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

impl Expr {
    /// Moves the kind out (leaving `Error`): `Expr` implements `Drop`, so fields cannot be
    /// moved out of it directly.
    pub fn into_kind(mut self) -> ExprKind {
        std::mem::replace(&mut self.kind, ExprKind::Error)
    }
}

impl Clone for Expr {
    fn clone(&self) -> Self {
        crate::stack::guard(|| Expr { kind: self.kind.clone(), span: self.span })
    }
}

impl std::fmt::Debug for Expr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        crate::stack::guard(|| f.debug_struct("Expr").field("kind", &self.kind).field("span", &self.span).finish())
    }
}

impl PartialEq for Expr {
    fn eq(&self, o: &Self) -> bool {
        crate::stack::guard(|| self.span == o.span && self.kind == o.kind)
    }
}

impl Drop for Expr {
    fn drop(&mut self) {
        use ExprKind as K;
        match self.kind {
            K::Int(_) | K::Float(_) | K::Bool(_) | K::Unit | K::SelfValue | K::At | K::Error => {}
            K::Str(_) | K::Ident(_) => {}
            _ => {
                let kind = std::mem::replace(&mut self.kind, K::Error);
                crate::stack::guard(|| drop(kind));
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct LambdaParam {
    pub name: Ident,
    pub ty: Type,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MatchArm {
    /// Alternatives of an or-pattern (at least one).
    pub patterns: Vec<Pattern>,
    pub guard: Option<Box<Expr>>,
    pub body: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// Integer literal (any base, or a character literal), `0..=u64::MAX`; whether it fits
    /// its type is checked by the checker.
    Int(u64),
    Float(f64),
    /// Bytes after escape processing (Project decision 1), without the NUL.
    Str(Vec<u8>),
    Bool(bool),
    /// `()`
    Unit,
    /// A variable, function, constant or unit variant name (lowercase or uppercase).
    Ident(String),
    /// `self`
    SelfValue,
    /// `@`
    At,
    /// `(a, b)`, `(a,)`
    Tuple(Vec<Expr>),
    /// `[a, b, c]`
    Array(Vec<Expr>),
    /// `Name { f: e, ... }` (fields in written order)
    StructLit { name: Ident, fields: Vec<(Ident, Expr)> },
    Block(Block),
    /// `I cond { } [E ...]`; `else_branch` is a `Block` or another `If` expression.
    If { cond: Box<Expr>, then_block: Block, else_branch: Option<Box<Expr>> },
    /// `L { }` (header `None`) or `L pat: e { }`.
    Loop { header: Option<Box<(Pattern, Expr)>>, body: Block },
    Match { scrutinee: Box<Expr>, arms: Vec<MatchArm> },
    Lambda { params: Vec<LambdaParam>, body: Box<Expr> },
    /// `spawn e` / `spawn { e }`
    Spawn(Box<Expr>),
    Unary { op: UnaryOp, operand: Box<Expr> },
    /// `op_span` is the operator itself (runtime errors point at the `/`, not the operand).
    Binary { op: BinaryOp, op_span: Span, lhs: Box<Expr>, rhs: Box<Expr> },
    /// `a..b`, `a..=b`, `..b`, `a..`
    Range { start: Option<Box<Expr>>, end: Option<Box<Expr>>, inclusive: bool },
    /// `c ? a : b`
    Ternary { cond: Box<Expr>, then_expr: Box<Expr>, else_expr: Box<Expr> },
    Assign { op: AssignOp, target: Box<Expr>, value: Box<Expr> },
    Call { callee: Box<Expr>, args: Vec<Expr> },
    /// `recv.name(args)` with a receiver that is not an uppercase identifier.
    MethodCall { receiver: Box<Expr>, method: Ident, args: Vec<Expr> },
    /// `Type.name(args)` where `Type` is an uppercase-initial identifier.
    StaticCall { type_name: Box<Ident>, method: Ident, args: Vec<Expr> },
    Field { base: Box<Expr>, field: Ident },
    Index { base: Box<Expr>, index: Box<Expr> },
    /// `e.await`
    Await(Box<Expr>),
    /// postfix `e!`
    Unwrap(Box<Expr>),
    /// `e as T` (Extensions decision 12); `as_span` is the keyword.
    Cast { expr: Box<Expr>, ty: Box<Type>, as_span: Span },
    /// Placeholder after a syntax error (the parser already reported it).
    Error,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub stmts: Vec<Stmt>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    /// Whether a `;` followed (it does not change the block's value).
    pub semicolon: bool,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    /// `x := [mut] e` or `x: [mut] T = e`
    Let { name: Ident, mutable: bool, ty: Option<Box<Type>>, value: Expr },
    Expr(Expr),
    /// `R [e]`
    Return(Option<Expr>),
    /// `B [e]`
    Break(Option<Expr>),
    /// `C`
    Continue,
}

// ---------------------------------------------------------------- patterns

#[derive(Clone, Debug, PartialEq)]
pub struct Pattern {
    pub kind: PatternKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum PatternKind {
    /// `_`
    Wildcard,
    /// A binding, or a unit variant (decided by the checker, §8.2).
    Ident(String),
    /// `V(p, ...)`
    Variant { name: Ident, args: Vec<Pattern> },
    /// Non-negative integer literal.
    Int(u64),
    /// `lo..hi` / `lo..=hi` with integer-literal bounds.
    Range { lo: u64, hi: u64, inclusive: bool },
    Bool(bool),
    Str(Vec<u8>),
    /// `(p, ...)`; `(p)` is a 1-tuple.
    Tuple(Vec<Pattern>),
}

// ---------------------------------------------------------------- REPL input

/// One top-level entry of a REPL input: an item, or a statement (Project decision 10).
#[derive(Clone, Debug, PartialEq)]
pub enum ReplEntry {
    Item(Item),
    Stmt(Stmt),
}
