//! Memory layout of every TIR type: size, alignment and field offsets.
//!
//! Layouts are a pure function of the `Program` and the type, so the JIT, the REPL's value
//! printer and the tests all agree. Invariants: integers by width, `bool` 1 byte, pointer-like
//! types (`str`, `*T`, `&T`, `[T]`, `[K:V]`) 8 bytes, `()`/`!` 0 bytes, function values and
//! futures 16 bytes (code pointer, environment pointer), structs and tuples C-like (declaration
//! order, each field aligned), enums an `i64` tag at offset 0 then the payload (each variant laid
//! out like a struct starting at the payload offset), `T?` an `i64` tag (0 = has a value) then `T`.

use vais_tir::{Program, Ty};
#[cfg(test)]
use vais_tir::EnumId;

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
    x.div_ceil(a) * a
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

#[cfg(test)]
mod tests {
    use super::*;
    use vais_tir::{EnumDef, FieldDef, IntTy, StructDef, StructId, VariantDef};

    fn prog() -> Program {
        let mut p = Program::default();
        p.structs.push(StructDef {
            name: "S".into(),
            fields: vec![
                FieldDef { name: "a".into(), ty: Ty::Int(IntTy::I8) },
                FieldDef { name: "b".into(), ty: Ty::I64 },
                FieldDef { name: "c".into(), ty: Ty::Int(IntTy::I32) },
                FieldDef { name: "d".into(), ty: Ty::Bool },
            ],
        });
        p.enums.push(EnumDef {
            name: "E".into(),
            variants: vec![
                VariantDef { name: "A".into(), fields: vec![], field_names: vec![] },
                VariantDef { name: "B".into(), fields: vec![Ty::Int(IntTy::I8), Ty::I64], field_names: vec![] },
                VariantDef { name: "C".into(), fields: vec![Ty::Struct(StructId(0))], field_names: vec![] },
            ],
        });
        p
    }

    #[test]
    fn scalars() {
        let p = prog();
        assert_eq!(layout_of(&p, &Ty::Int(IntTy::U16)).size, 2);
        assert_eq!(layout_of(&p, &Ty::Int(IntTy::I128)).align, 16);
        assert_eq!(layout_of(&p, &Ty::Bool).size, 1);
        assert_eq!(layout_of(&p, &Ty::Str).size, 8);
        assert_eq!(layout_of(&p, &Ty::Unit).size, 0);
        let f = layout_of(&p, &Ty::Fn(vec![], Box::new(Ty::Unit)));
        assert_eq!((f.size, f.align, f.fields.clone()), (16, 8, vec![0, 8]));
        assert_eq!(layout_of(&p, &Ty::Future(Box::new(Ty::I64))).size, 16);
    }

    #[test]
    fn structs_are_c_like() {
        let p = prog();
        let l = layout_of(&p, &Ty::Struct(StructId(0)));
        assert_eq!(l.fields, vec![0, 8, 16, 20]);
        assert_eq!((l.size, l.align), (24, 8));
        let t = layout_of(&p, &Ty::Tuple(vec![Ty::Bool, Ty::Int(IntTy::I16), Ty::Bool]));
        assert_eq!((t.fields.clone(), t.size, t.align), (vec![0, 2, 4], 6, 2));
    }

    #[test]
    fn enums_tag_then_payload() {
        let p = prog();
        let l = layout_of(&p, &Ty::Enum(EnumId(0)));
        assert_eq!(l.variants, vec![vec![], vec![8, 16], vec![8]]);
        assert_eq!((l.size, l.align), (32, 8));
        let o = layout_of(&p, &Ty::Optional(Box::new(Ty::Int(IntTy::I32))));
        assert_eq!((o.fields.clone(), o.size), (vec![8], 16));
    }

    #[test]
    fn aggregates_and_zsts() {
        assert!(is_aggregate(&Ty::Struct(StructId(0))));
        assert!(is_aggregate(&Ty::Fn(vec![], Box::new(Ty::Unit))));
        assert!(!is_aggregate(&Ty::Ref(Box::new(Ty::Struct(StructId(0))))));
        assert!(is_zst(&Ty::Never) && is_zst(&Ty::Unit) && !is_zst(&Ty::Bool));
    }
}
