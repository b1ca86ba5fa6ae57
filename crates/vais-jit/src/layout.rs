//! Memory layout of every TIR type: size, alignment and field offsets.
//!
//! Layouts are a pure function of the `Program` and the type, so the JIT, the REPL's value
//! printer and the tests all agree. Invariants: integers by width, `bool` 1 byte, pointer-like
//! types (`str`, `*T`, `&T`, `[T]`, `[K:V]`) 8 bytes, `()`/`!` 0 bytes, function values and
//! futures 16 bytes (code pointer, environment pointer), structs and tuples C-like (declaration
//! order, each field aligned), enums an `i64` tag at offset 0 then the payload (each variant laid
//! out like a struct starting at the payload offset), `T?` an `i64` tag (0 = has a value) then `T`.

use vais_tir::{Program, Ty};

/// Size, alignment and (for structs, tuples, enums, optionals) field offsets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    pub size: u32,
    pub align: u32,
    /// Struct/tuple fields; `Fn`/`Future`: `[0, 8]` (code, env); `Optional`: `[payload]`.
    pub fields: Vec<u32>,
    /// Enums only: for each variant, the offsets of its payload fields (from the value's start).
    pub variants: Vec<Vec<u32>>,
}

impl Layout {
    fn scalar(size: u32) -> Layout {
        Layout { size, align: size.max(1), fields: vec![], variants: vec![] }
    }
}

pub fn align_up(x: u32, a: u32) -> u32 {
    (x + a - 1) / a * a
}

/// Offsets for a C-like sequence of fields starting at `start`; returns (offsets, end, align).
fn seq(program: &Program, tys: &[Ty], start: u32) -> (Vec<u32>, u32, u32) {
    let mut off = start;
    let mut align = 1;
    let mut offs = Vec::with_capacity(tys.len());
    for t in tys {
        let l = layout_of(program, t);
        off = align_up(off, l.align);
        offs.push(off);
        off += l.size;
        align = align.max(l.align);
    }
    (offs, off, align)
}

/// The layout of `ty` (see the module comment).
pub fn layout_of(program: &Program, ty: &Ty) -> Layout {
    match ty {
        Ty::Int(i) => Layout::scalar(i.bits() / 8),
        Ty::F32 => Layout::scalar(4),
        Ty::F64 => Layout::scalar(8),
        Ty::Bool => Layout::scalar(1),
        Ty::Str | Ty::Ptr(_) | Ty::Ref(_) | Ty::Array(_) | Ty::Map(..) => Layout::scalar(8),
        Ty::Unit | Ty::Never => Layout { size: 0, align: 1, fields: vec![], variants: vec![] },
        Ty::Fn(..) | Ty::Future(_) => Layout { size: 16, align: 8, fields: vec![0, 8], variants: vec![] },
        Ty::Range(t) => {
            let (fields, end, align) = seq(program, &[(**t).clone(), (**t).clone()], 0);
            Layout { size: align_up(end, align), align, fields, variants: vec![] }
        }
        Ty::Tuple(ts) => {
            let (fields, end, align) = seq(program, ts, 0);
            Layout { size: align_up(end, align), align, fields, variants: vec![] }
        }
        Ty::Struct(s) => {
            let tys: Vec<Ty> = program.struct_def(*s).fields.iter().map(|f| f.ty.clone()).collect();
            let (fields, end, align) = seq(program, &tys, 0);
            Layout { size: align_up(end, align), align, fields, variants: vec![] }
        }
        Ty::Enum(e) => {
            let def = program.enum_def(*e);
            // Payload alignment: the largest field alignment of any variant (at least 8).
            let mut palign = 8;
            for v in &def.variants {
                for t in &v.fields {
                    palign = palign.max(layout_of(program, t).align);
                }
            }
            let start = align_up(8, palign);
            let mut end = 8;
            let mut variants = Vec::with_capacity(def.variants.len());
            for v in &def.variants {
                let (offs, vend, _) = seq(program, &v.fields, start);
                end = end.max(vend);
                variants.push(offs);
            }
            Layout { size: align_up(end, palign), align: palign, fields: vec![], variants }
        }
        Ty::Optional(t) => {
            let l = layout_of(program, t);
            let align = l.align.max(8);
            let off = align_up(8, l.align);
            Layout { size: align_up(off + l.size, align), align, fields: vec![off], variants: vec![] }
        }
    }
}

/// Whether values of `ty` live in memory (passed by address) rather than in one SSA value.
pub fn is_aggregate(ty: &Ty) -> bool {
    matches!(
        ty,
        Ty::Tuple(_) | Ty::Struct(_) | Ty::Enum(_) | Ty::Optional(_) | Ty::Fn(..) | Ty::Future(_) | Ty::Range(_)
    )
}

/// Whether `ty` has no run-time representation at all.
pub fn is_zst(ty: &Ty) -> bool {
    matches!(ty, Ty::Unit | Ty::Never)
}
