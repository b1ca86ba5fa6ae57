//! Formatting a value in JIT memory the way the REPL prints it (REPL.md "How values print").
//!
//! The value is read with the layouts of `layout.rs`; this module knows nothing else of the JIT.

use vais_tir::{IntTy, Program, Ty};

use crate::layout::layout_of;

/// Quotes a string with escapes: `"hi\n"`.
pub fn quote(bytes: &[u8]) -> String {
    let mut s = String::from("\"");
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\n' => s.push_str("\\n"),
                '\t' => s.push_str("\\t"),
                '\r' => s.push_str("\\r"),
                '\\' => s.push_str("\\\\"),
                '"' => s.push_str("\\\""),
                '\0' => s.push_str("\\0"),
                c if (c as u32) < 0x20 || c as u32 == 0x7f => s.push_str(&format!("\\x{:02x}", c as u32)),
                c => s.push(c),
            }
        }
        for b in chunk.invalid() {
            s.push_str(&format!("\\x{b:02x}"));
        }
    }
    s.push('"');
    s
}

/// Formats a float: shortest round-trip text, always with a `.` or an exponent.
fn float(text: String) -> String {
    if text.contains(['.', 'e', 'E', 'N', 'i']) {
        text
    } else {
        format!("{text}.0")
    }
}

/// Formats the value of type `ty` stored at `ptr` (the REPL's `=> ...` text).
///
/// A pointer prints as its address (`0x7f3a...`), except one to an array literal of a REPL
/// input ([`crate::Jit::known_array`]: its length is known and its storage lives as long as the
/// session), which prints its elements: `[1, 2, 3]`, also inside aggregates and other arrays. An
/// array met again inside itself prints as its address, and output stops growing (`...`) after
/// [`ELEMENT_BUDGET`] array elements.
///
/// # Safety
/// `ptr` must point to a value of type `ty` as JIT code of `jit` wrote it (e.g. the `out`
/// buffer of [`crate::call_entry`]), laid out as `layout::layout_of` says. Pointers inside the
/// value (`str`, `*T`, closures) are followed as the program left them: a program can make them
/// dangle (an extern returning a bad `str`), so callers run this under fault protection.
pub unsafe fn format_value(program: &Program, jit: &crate::Jit, ty: &Ty, ptr: *const u8) -> String {
    let mut p = Printer { program, jit: Some(jit), open: Vec::new(), budget: ELEMENT_BUDGET };
    // SAFETY: see the contract above; the value was produced by JIT code for this type.
    unsafe { p.format(ty, ptr) }
}

/// [`format_value`] without the session argument (every pointer prints as its address).
///
/// # Safety
/// `ptr` must point to a readable value of type `ty` laid out as `layout::layout_of` says; any
/// `str` it contains must point to a NUL-terminated string.
pub unsafe fn format_raw(program: &Program, ty: &Ty, ptr: *const u8) -> String {
    let mut p = Printer { program, jit: None, open: Vec::new(), budget: ELEMENT_BUDGET };
    // SAFETY: guaranteed by the caller.
    unsafe { p.format(ty, ptr) }
}

/// How many array elements one value prints at most (arrays can share elements, so a small
/// session can describe an exponentially large tree).
pub const ELEMENT_BUDGET: usize = 10_000;

struct Printer<'a> {
    program: &'a Program,
    jit: Option<&'a crate::Jit>,
    /// Addresses of the arrays being printed (a cycle prints as an address).
    open: Vec<usize>,
    /// Array elements left to print.
    budget: usize,
}

impl Printer<'_> {
    /// # Safety
    /// As [`format_raw`], and every array [`crate::Jit::known_array`] reports is readable.
    unsafe fn format(&mut self, ty: &Ty, ptr: *const u8) -> String {
        let program = self.program;
        // SAFETY: guaranteed by the caller for the whole value; sub-values are read at the
        // offsets of the same layout, arrays through their known length.
        unsafe {
            match ty {
                Ty::Int(i) => {
                    let v: i128 = match i {
                        IntTy::I8 => (ptr as *const i8).read_unaligned() as i128,
                        IntTy::I16 => (ptr as *const i16).read_unaligned() as i128,
                        IntTy::I32 => (ptr as *const i32).read_unaligned() as i128,
                        IntTy::I64 => (ptr as *const i64).read_unaligned() as i128,
                        IntTy::I128 => (ptr as *const i128).read_unaligned(),
                        IntTy::U8 => ptr.read() as i128,
                        IntTy::U16 => (ptr as *const u16).read_unaligned() as i128,
                        IntTy::U32 => (ptr as *const u32).read_unaligned() as i128,
                        IntTy::U64 => (ptr as *const u64).read_unaligned() as i128,
                        IntTy::U128 => return (ptr as *const u128).read_unaligned().to_string(),
                    };
                    v.to_string()
                }
                Ty::F64 => float(format!("{:?}", (ptr as *const f64).read_unaligned())),
                Ty::F32 => float(format!("{:?}", (ptr as *const f32).read_unaligned())),
                Ty::Bool => (ptr.read() != 0).to_string(),
                Ty::Str => {
                    let p = (ptr as *const *const std::ffi::c_char).read_unaligned();
                    if p.is_null() {
                        "0x0".into()
                    } else {
                        quote(std::ffi::CStr::from_ptr(p).to_bytes())
                    }
                }
                Ty::Unit | Ty::Never => "()".into(),
                Ty::Ptr(elem) => {
                    let addr = (ptr as *const usize).read_unaligned();
                    match self.jit.and_then(|j| j.known_array(addr)) {
                        Some((len, t)) if t == &**elem && !self.open.contains(&addr) => self.array(elem, addr, len),
                        _ => format!("{addr:#x}"),
                    }
                }
                Ty::Ref(_) | Ty::Array(_) | Ty::Map(..) => {
                    format!("{:#x}", (ptr as *const usize).read_unaligned())
                }
                Ty::Fn(..) => format!("<fn{}>", program.ty_name(ty)),
                Ty::Future(t) => format!("<future {}>", program.ty_name(t)),
                Ty::Range(t) => {
                    let l = layout_of(program, ty);
                    let a = self.format(t, ptr.add(l.fields[0] as usize));
                    let b = self.format(t, ptr.add(l.fields[1] as usize));
                    format!("{a}..{b}")
                }
                Ty::Tuple(ts) => {
                    let l = layout_of(program, ty);
                    let mut parts = Vec::with_capacity(ts.len());
                    for (i, t) in ts.iter().enumerate() {
                        parts.push(self.format(t, ptr.add(l.fields[i] as usize)));
                    }
                    if parts.len() == 1 {
                        format!("({},)", parts[0])
                    } else {
                        format!("({})", parts.join(", "))
                    }
                }
                Ty::Struct(s) if program.struct_def(*s).is_range() => {
                    let def = program.struct_def(*s);
                    let l = layout_of(program, ty);
                    let a = self.format(&def.fields[0].ty, ptr.add(l.fields[0] as usize));
                    let b = self.format(&def.fields[1].ty, ptr.add(l.fields[1] as usize));
                    let incl = ptr.add(l.fields[2] as usize).read() != 0;
                    format!("{a}..{}{b}", if incl { "=" } else { "" })
                }
                Ty::Struct(s) => {
                    let def = program.struct_def(*s);
                    let l = layout_of(program, ty);
                    if let Some(text) = self.std_value(def, &l.fields, ptr, false) {
                        return text;
                    }
                    let mut parts = Vec::with_capacity(def.fields.len());
                    for (i, f) in def.fields.iter().enumerate() {
                        parts.push(format!("{}: {}", f.name, self.format(&f.ty, ptr.add(l.fields[i] as usize))));
                    }
                    if parts.is_empty() {
                        def.name.clone()
                    } else {
                        format!("{} {{ {} }}", def.name, parts.join(", "))
                    }
                }
                Ty::Enum(e) => {
                    let def = program.enum_def(*e);
                    let l = layout_of(program, ty);
                    let tag = (ptr as *const i64).read_unaligned();
                    let Some(v) = usize::try_from(tag).ok().and_then(|t| def.variants.get(t)) else {
                        return format!("<{} with invalid tag {tag}>", def.name);
                    };
                    let offs = &l.variants[tag as usize];
                    let mut vals = Vec::with_capacity(v.fields.len());
                    for (i, t) in v.fields.iter().enumerate() {
                        vals.push(self.format(t, ptr.add(offs[i] as usize)));
                    }
                    if vals.is_empty() {
                        v.name.clone()
                    } else if !v.field_names.is_empty() {
                        let parts: Vec<String> =
                            v.field_names.iter().zip(&vals).map(|(n, x)| format!("{n}: {x}")).collect();
                        format!("{} {{ {} }}", v.name, parts.join(", "))
                    } else {
                        format!("{}({})", v.name, vals.join(", "))
                    }
                }
                Ty::Optional(t) => {
                    let l = layout_of(program, ty);
                    let tag = (ptr as *const i64).read_unaligned();
                    if tag == 0 {
                        format!("Some({})", self.format(t, ptr.add(l.fields[0] as usize)))
                    } else {
                        "None".into()
                    }
                }
            }
        }
    }

    /// The standard library's collections (`std/`), recognised by name and fields, print their
    /// contents: `Vec [1, 2]`, `"abc"` for a `String`, `Deque [..]`, `Box(5)`,
    /// `HashMap {1: 2}`, `Set {1, 2}`, `PriorityQueue [..]` (heap order). None: not one of
    /// them (or not in a consistent state), printed as an ordinary struct.
    ///
    /// # Safety
    /// As [`Self::format`]; the collection's own invariants (a length within its capacity,
    /// storage of that capacity) are checked before anything is read through its pointers.
    unsafe fn std_value(&mut self, def: &vais_tir::StructDef, offs: &[u32], ptr: *const u8, keys_only: bool) -> Option<String> {
        let base = def.name.split('<').next().unwrap_or("");
        let names: Vec<&str> = def.fields.iter().map(|f| f.name.as_str()).collect();
        // SAFETY: the fields are read at the offsets of the struct's layout (caller's contract).
        let int = |i: usize| -> Option<i64> {
            (def.fields[i].ty == Ty::I64).then(|| unsafe { (ptr.add(offs[i] as usize) as *const i64).read_unaligned() })
        };
        let elem = |i: usize| -> Option<(Ty, usize)> {
            match &def.fields[i].ty {
                // SAFETY: as above.
                Ty::Ptr(t) => Some(((**t).clone(), unsafe { (ptr.add(offs[i] as usize) as *const usize).read_unaligned() })),
                _ => None,
            }
        };
        let sane = |len: i64, cap: i64, addr: usize| len >= 0 && len <= cap && (cap == 0 || addr != 0);
        // SAFETY (all reads below): `addr` holds `cap` elements, as the collection's invariants
        // (checked by `sane`) say; the REPL formats under fault protection.
        match (base, names.as_slice()) {
            ("Vec", ["data", "len", "cap"]) => {
                let (t, addr) = elem(0)?;
                let (len, cap) = (int(1)?, int(2)?);
                // SAFETY: `len <= cap` elements of storage at `addr` (checked by `sane`).
                sane(len, cap, addr).then(|| format!("Vec {}", unsafe { self.elements(&t, addr, (0..len as usize).collect()) }))
            }
            ("String", ["data", "len", "cap"]) => {
                let (addr, len, cap) = (int(0)? as usize, int(1)?, int(2)?);
                if !sane(len, cap, addr) {
                    return None;
                }
                // SAFETY: `len <= cap` bytes of storage at `addr` (checked by `sane`).
                let bytes = if len == 0 { &[][..] } else { unsafe { std::slice::from_raw_parts(addr as *const u8, len as usize) } };
                Some(quote(bytes))
            }
            ("Deque", ["data", "head", "len", "cap"]) => {
                let (t, addr) = elem(0)?;
                let (head, len, cap) = (int(1)?, int(2)?, int(3)?);
                if !sane(len, cap, addr) || head < 0 || (cap > 0 && head >= cap) {
                    return None;
                }
                let idx = (0..len).map(|i| ((head + i) % cap.max(1)) as usize).collect();
                // SAFETY: every index is below `cap`, the storage at `addr` (checked above).
                Some(format!("Deque {}", unsafe { self.elements(&t, addr, idx) }))
            }
            ("Box", ["ptr"]) => {
                let (t, addr) = elem(0)?;
                // SAFETY: a live Box points at one value of its type.
                (addr != 0).then(|| format!("Box({})", unsafe { self.format(&t, addr as *const u8) }))
            }
            ("HashMap", ["keys", "vals", "flags", "len", "cap", "used"]) => {
                let (kt, kaddr) = elem(0)?;
                let (vt, vaddr) = elem(1)?;
                let (flags, len, cap) = (int(2)? as usize, int(3)?, int(4)?);
                if !sane(len, cap, kaddr) || (cap > 0 && (flags == 0 || vaddr == 0)) {
                    return None;
                }
                let ks = layout_of(self.program, &kt).size as usize;
                let vs = layout_of(self.program, &vt).size as usize;
                let mut parts = Vec::new();
                for i in 0..cap as usize {
                    // SAFETY: the table has `cap` flag bytes at `flags` (checked above).
                    if unsafe { *((flags + i) as *const u8) } != 1 {
                        continue;
                    }
                    if self.budget == 0 {
                        parts.push("...".to_string());
                        break;
                    }
                    self.budget -= 1;
                    // SAFETY: slot `i < cap` of the key storage holds a key (its flag is 1).
                    let k = unsafe { self.format(&kt, (kaddr + i * ks) as *const u8) };
                    if keys_only {
                        parts.push(k);
                    } else {
                        // SAFETY: as for the key, in the value storage.
                        let v = unsafe { self.format(&vt, (vaddr + i * vs) as *const u8) };
                        parts.push(format!("{k}: {v}"));
                    }
                }
                Some(format!("HashMap {{{}}}", parts.join(", ")))
            }
            ("Set", ["map"]) | ("PriorityQueue", ["items"]) => {
                let Ty::Struct(inner) = &def.fields[0].ty else { return None };
                let idef = self.program.struct_def(*inner);
                let il = layout_of(self.program, &def.fields[0].ty);
                // SAFETY: the one field is an inline struct at offset offs[0].
                let text = unsafe { self.std_value(idef, &il.fields, ptr.add(offs[0] as usize), base == "Set") }?;
                let rest = text.split_once(' ')?.1;
                Some(format!("{base} {rest}"))
            }
            _ => None,
        }
    }

    /// `[e, ...]`: the elements of type `elem` at the indices `idx` of the storage at `addr`.
    ///
    /// # Safety
    /// Every index is an element of readable storage at `addr`.
    unsafe fn elements(&mut self, elem: &Ty, addr: usize, idx: Vec<usize>) -> String {
        let size = layout_of(self.program, elem).size as usize;
        let mut parts = Vec::with_capacity(idx.len().min(64));
        for i in idx {
            if self.budget == 0 {
                parts.push("...".to_string());
                break;
            }
            self.budget -= 1;
            // SAFETY: caller's contract.
            parts.push(unsafe { self.format(elem, (addr + i * size) as *const u8) });
        }
        format!("[{}]", parts.join(", "))
    }

    /// `[e0, e1, ...]`: the `len` elements of type `elem` stored from `addr` on.
    ///
    /// # Safety
    /// `addr` holds `len` elements of `elem` (a known array of the session).
    unsafe fn array(&mut self, elem: &Ty, addr: usize, len: u32) -> String {
        let size = layout_of(self.program, elem).size as usize;
        self.open.push(addr);
        let mut parts = Vec::with_capacity(len.min(64) as usize);
        for i in 0..len as usize {
            if self.budget == 0 {
                parts.push("...".to_string());
                break;
            }
            self.budget -= 1;
            // SAFETY: element `i < len` of the array (caller's contract).
            parts.push(unsafe { self.format(elem, (addr + i * size) as *const u8) });
        }
        self.open.pop();
        format!("[{}]", parts.join(", "))
    }
}
