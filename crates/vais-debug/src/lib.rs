//! `vais-debug`: debug information for compiled Vais code, as data in and bytes out.
//!
//! [`elf_image`] turns a batch of placed functions (name, address, size, line table) into the
//! in-memory ELF object that gdb reads through its JIT interface (`vais_runtime::gdbjit`
//! registers it): a relocatable x86-64 ELF whose `.text` is `SHT_NOBITS` at the code's real
//! address, one `STT_FUNC` symbol per function, and DWARF 4 (`.debug_info` with a compile unit
//! and a subprogram per function, `.debug_line`, `.debug_abbrev`, `.debug_ranges`;
//! strings inline) with absolute addresses, so nothing needs relocating, plus `.debug_frame`
//! (call-frame information) when the batch has [`Frames`], so gdb unwinds through JIT frames
//! by their CFI. [`elf_image_inlined`] also describes inlined copies ([`InlinedCall`]: an
//! abstract subprogram per inlined function, a `DW_TAG_inlined_subroutine` per copy with its
//! ranges and call position), so gdb shows a frame per inlined call.
//!
//! [`object_sections`] writes the same DWARF for a relocatable object file (`vaisc build -g`):
//! function addresses and references between sections are relocations.
//!
//! [`eh_frame`] encodes the same [`Frames`] as an `.eh_frame` section for the process's own
//! unwinder (libgcc's `__register_frame`, which Rust panics and backtraces use).
//!
//! It knows nothing of Vais syntax, types or Cranelift, and does no I/O: the JIT (or, later,
//! the object-file back end) gathers the facts; this crate only encodes them.

pub mod symbols;
use gimli::write::{
    Address, AttributeValue, CommonInformationEntry, DwarfUnit, EndianVec, FrameDescriptionEntry, FrameTable, LineProgram,
    LineString, Range, RangeList, Sections,
};
use gimli::{Encoding, Format, LineEncoding, RunTimeEndian};

/// One line-table row: from `offset` (bytes into the function's code) on, the code belongs to
/// `line:col` of `files[file]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub offset: u32,
    pub file: u32,
    pub line: u32,
    pub col: u32,
}

/// One function placed in memory.
#[derive(Clone, Debug)]
pub struct Function {
    pub name: String,
    pub addr: u64,
    pub size: u64,
    /// Index into [`Batch::files`] of the file that declares it.
    pub file: u32,
    /// Line of its declaration.
    pub line: u32,
    /// By offset; rows with the same line as the previous one may be present (they are merged).
    pub rows: Vec<Row>,
}

/// A copy of a function inlined into a placed function (DWARF `DW_TAG_inlined_subroutine`):
/// the code at `ranges` (offsets into the placed function's code, sorted, disjoint) is `name`'s
/// body, called at `call_line:call_col` of `files[call_file]` (a line of the enclosing code:
/// the placed function's, or the enclosing copy's when `calls` nest). The line rows of that
/// code name the inlined function's own lines; a debugger shows an extra frame for the copy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InlinedCall {
    pub name: String,
    pub call_file: u32,
    pub call_line: u32,
    pub call_col: u32,
    pub ranges: Vec<(u32, u32)>,
    /// Copies inlined into this copy.
    pub calls: Vec<InlinedCall>,
}

/// Everything compiled together (one registration with the debugger).
#[derive(Clone, Debug)]
pub struct Batch {
    /// Directory relative file names are resolved against.
    pub comp_dir: String,
    /// Source file names (absolute, or relative to `comp_dir`). The first names the unit.
    pub files: Vec<String>,
    pub functions: Vec<Function>,
    /// Call-frame information of the batch's code (written as `.debug_frame`), if known.
    pub frames: Option<Frames>,
}

/// Call-frame information of placed code: the target's common entry (CIE) and one frame
/// description (FDE) per function, each at the function's absolute address
/// (`gimli::write::Address::Constant`), as the code generator describes them.
#[derive(Clone, Debug)]
pub struct Frames {
    pub cie: CommonInformationEntry,
    pub fdes: Vec<FrameDescriptionEntry>,
}

impl Frames {
    fn table(&self) -> FrameTable {
        let mut table = FrameTable::default();
        let cie = table.add_cie(self.cie.clone());
        for fde in &self.fdes {
            table.add_fde(cie, fde.clone());
        }
        table
    }
}

/// `frames` as an `.eh_frame` section ending with the zero-length terminator entry, as
/// libgcc's `__register_frame` reads it (it walks the entries from the start to the
/// terminator).
pub fn eh_frame(frames: &Frames) -> Result<Vec<u8>, ImageError> {
    let mut out = gimli::write::EhFrame(EndianVec::new(RunTimeEndian::Little));
    frames.table().write_eh_frame(&mut out).map_err(err)?;
    let mut bytes = out.0.into_vec();
    bytes.extend_from_slice(&[0; 4]);
    Ok(bytes)
}

/// `frames` as a `.debug_frame` section (what a debugger reads from a symbol file).
fn debug_frame(frames: &Frames) -> Result<Vec<u8>, ImageError> {
    let mut out = gimli::write::DebugFrame(EndianVec::new(RunTimeEndian::Little));
    frames.table().write_debug_frame(&mut out).map_err(err)?;
    Ok(out.0.into_vec())
}

/// Why an image could not be built.
#[derive(Debug)]
pub struct ImageError(pub String);

impl std::fmt::Display for ImageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn err(e: impl std::fmt::Display) -> ImageError {
    ImageError(e.to_string())
}

/// DWARF sections for `batch` (see the crate comment).
pub fn dwarf_sections(batch: &Batch) -> Result<Vec<(&'static str, Vec<u8>)>, ImageError> {
    dwarf_sections_inlined(batch, &[])
}

/// DWARF sections for `batch` whose functions have inlined copies in them: `inlined[i]` are
/// the copies in `batch.functions[i]` (a shorter slice means none for the rest). Each inlined
/// function gets one abstract `DW_TAG_subprogram` (`DW_AT_inline`), and each copy a
/// `DW_TAG_inlined_subroutine` under the subprogram (or copy) it is in, with its code ranges
/// and its call's file, line and column.
pub fn dwarf_sections_inlined(batch: &Batch, inlined: &[Vec<InlinedCall>]) -> Result<Vec<(&'static str, Vec<u8>)>, ImageError> {
    let mut dwarf = dwarf_unit(batch, inlined, &|_, f| Address::Constant(f.addr))?;
    let mut sections = Sections::new(EndianVec::new(RunTimeEndian::Little));
    dwarf.write(&mut sections).map_err(err)?;
    let mut out = Vec::new();
    sections
        .for_each(|id, w| {
            if !w.slice().is_empty() {
                out.push((id.name(), w.slice().to_vec()));
            }
            Ok::<(), ImageError>(())
        })?;
    if let Some(frames) = batch.frames.as_ref().filter(|f| !f.fdes.is_empty()) {
        out.push((".debug_frame", debug_frame(frames)?));
    }
    Ok(out)
}

/// A DWARF section of a relocatable object file: its bytes and the relocations to apply.
#[derive(Debug)]
pub struct RelocatedSection {
    pub name: &'static str,
    pub data: Vec<u8>,
    /// Addresses of functions (`RelocationTarget::Symbol(i)`: the start of
    /// `batch.functions[i]`) and offsets into other DWARF sections
    /// (`RelocationTarget::Section`).
    pub relocs: Vec<gimli::write::Relocation>,
}

/// A section's bytes with the relocations written into them.
#[derive(Clone, Default)]
struct RelocVec {
    w: Option<EndianVec<RunTimeEndian>>,
    relocs: Vec<gimli::write::Relocation>,
}

impl gimli::write::RelocateWriter for RelocVec {
    type Writer = EndianVec<RunTimeEndian>;
    fn writer(&self) -> &Self::Writer {
        self.w.as_ref().expect("initialised in object_sections")
    }
    fn writer_mut(&mut self) -> &mut Self::Writer {
        self.w.as_mut().expect("initialised in object_sections")
    }
    fn relocate(&mut self, r: gimli::write::Relocation) {
        self.relocs.push(r);
    }
}

/// DWARF sections for `batch` in a relocatable object file (`vaisc build -g`): the same
/// information as [`dwarf_sections`], but each function's address is a relocation against its
/// symbol (`functions[i].addr` is not used) and each reference to another DWARF section a
/// relocation against that section, for the system linker to resolve. Frames are not written
/// (the object file carries `.eh_frame`).
pub fn object_sections(batch: &Batch, inlined: &[Vec<InlinedCall>]) -> Result<Vec<RelocatedSection>, ImageError> {
    let mut dwarf = dwarf_unit(batch, inlined, &|i, _| Address::Symbol { symbol: i, addend: 0 })?;
    let mut sections = Sections::new(RelocVec { w: Some(EndianVec::new(RunTimeEndian::Little)), relocs: vec![] });
    dwarf.write(&mut sections).map_err(err)?;
    let mut out = Vec::new();
    sections.for_each(|id, w| {
        let data = w.w.as_ref().map(|v| v.slice().to_vec()).unwrap_or_default();
        if !data.is_empty() {
            out.push(RelocatedSection { name: id.name(), data, relocs: w.relocs.clone() });
        }
        Ok::<(), ImageError>(())
    })?;
    Ok(out)
}

/// The compile unit of `batch`, each function's start address given by `addr(index, f)`.
/// `a` moved by `offset` bytes.
fn plus(a: Address, offset: u64) -> Address {
    match a {
        Address::Constant(c) => Address::Constant(c + offset),
        Address::Symbol { symbol, addend } => Address::Symbol { symbol, addend: addend + offset as i64 },
    }
}

fn dwarf_unit(batch: &Batch, inlined: &[Vec<InlinedCall>], addr: &dyn Fn(usize, &Function) -> Address) -> Result<DwarfUnit, ImageError> {
    if batch.files.is_empty() {
        return Err(ImageError("a debug image needs at least one source file".into()));
    }
    let encoding = Encoding { format: Format::Dwarf32, version: 4, address_size: 8 };
    let mut dwarf = DwarfUnit::new(encoding);
    let non_empty = |s: &str| if s.is_empty() { ".".to_string() } else { s.replace('\0', "") };
    let comp_dir = non_empty(&batch.comp_dir);
    let mut program = LineProgram::new(
        encoding,
        LineEncoding::default(),
        LineString::String(comp_dir.clone().into_bytes()),
        None,
        LineString::String(non_empty(&batch.files[0]).into_bytes()),
        None,
    );
    let dir = program.default_directory();
    let file_ids: Vec<gimli::write::FileId> = batch
        .files
        .iter()
        .map(|f| program.add_file(LineString::String(non_empty(f).into_bytes()), dir, None))
        .collect();
    let file_id = |i: u32| file_ids.get(i as usize).copied().unwrap_or(file_ids[0]);

    let mut ranges = RangeList(Vec::new());
    let root = dwarf.unit.root();
    // Inlined function name -> its abstract subprogram.
    let mut abstracts: std::collections::HashMap<String, gimli::write::UnitEntryId> = std::collections::HashMap::new();
    for (i, f) in batch.functions.iter().enumerate() {
        let start = addr(i, f);
        ranges.0.push(Range::StartLength { begin: start, length: f.size });
        program.begin_sequence(Some(start));
        let mut last: Option<(u32, u32)> = None;
        for r in &f.rows {
            if r.offset as u64 >= f.size || last == Some((r.file, r.line)) {
                continue;
            }
            last = Some((r.file, r.line));
            let row = program.row();
            row.address_offset = r.offset as u64;
            row.file = file_id(r.file);
            row.line = r.line as u64;
            row.column = r.col as u64;
            program.generate_row();
        }
        program.end_sequence(f.size);

        let sub = dwarf.unit.add(root, gimli::DW_TAG_subprogram);
        let entry = dwarf.unit.get_mut(sub);
        entry.set(gimli::DW_AT_name, AttributeValue::String(f.name.clone().into_bytes()));
        entry.set(gimli::DW_AT_external, AttributeValue::Flag(true));
        entry.set(gimli::DW_AT_low_pc, AttributeValue::Address(start));
        entry.set(gimli::DW_AT_high_pc, AttributeValue::Udata(f.size));
        // Frame pointers are kept in JIT code: the frame base is rbp (DWARF register 6).
        let mut frame_base = gimli::write::Expression::new();
        frame_base.op_reg(gimli::Register(6));
        entry.set(gimli::DW_AT_frame_base, AttributeValue::Exprloc(frame_base));
        entry.set(gimli::DW_AT_decl_file, AttributeValue::FileIndex(Some(file_id(f.file))));
        entry.set(gimli::DW_AT_decl_line, AttributeValue::Udata(f.line as u64));
        if let Some(calls) = inlined.get(i) {
            let mut stack: Vec<(gimli::write::UnitEntryId, &InlinedCall)> = calls.iter().rev().map(|c| (sub, c)).collect();
            while let Some((parent, c)) = stack.pop() {
                let origin = *abstracts.entry(c.name.clone()).or_insert_with(|| {
                    let a = dwarf.unit.add(root, gimli::DW_TAG_subprogram);
                    let e = dwarf.unit.get_mut(a);
                    e.set(gimli::DW_AT_name, AttributeValue::String(c.name.replace('\0', "").into_bytes()));
                    e.set(gimli::DW_AT_inline, AttributeValue::Inline(gimli::DW_INL_inlined));
                    a
                });
                let id = dwarf.unit.add(parent, gimli::DW_TAG_inlined_subroutine);
                let mut spans: Vec<(u64, u64)> =
                    c.ranges.iter().filter(|r| r.0 < r.1 && (r.1 as u64) <= f.size).map(|r| (r.0 as u64, (r.1 - r.0) as u64)).collect();
                spans.sort_unstable();
                let e = dwarf.unit.get_mut(id);
                e.set(gimli::DW_AT_abstract_origin, AttributeValue::UnitRef(origin));
                match spans.as_slice() {
                    [(begin, len)] => {
                        e.set(gimli::DW_AT_low_pc, AttributeValue::Address(plus(start, *begin)));
                        e.set(gimli::DW_AT_high_pc, AttributeValue::Udata(*len));
                    }
                    _ => {
                        let list = RangeList(spans.iter().map(|&(begin, length)| Range::StartLength { begin: plus(start, begin), length }).collect());
                        let list = dwarf.unit.ranges.add(list);
                        let e = dwarf.unit.get_mut(id);
                        if let Some(&(begin, _)) = spans.first() {
                            e.set(gimli::DW_AT_entry_pc, AttributeValue::Address(plus(start, begin)));
                        }
                        e.set(gimli::DW_AT_ranges, AttributeValue::RangeListRef(list));
                    }
                }
                let e = dwarf.unit.get_mut(id);
                e.set(gimli::DW_AT_call_file, AttributeValue::FileIndex(Some(file_id(c.call_file))));
                e.set(gimli::DW_AT_call_line, AttributeValue::Udata(c.call_line as u64));
                e.set(gimli::DW_AT_call_column, AttributeValue::Udata(c.call_col as u64));
                stack.extend(c.calls.iter().rev().map(|k| (id, k)));
            }
        }
    }
    let range_list = dwarf.unit.ranges.add(ranges);
    dwarf.unit.line_program = program;
    let unit = dwarf.unit.get_mut(root);
    unit.set(gimli::DW_AT_producer, AttributeValue::String(b"vaisc".to_vec()));
    unit.set(gimli::DW_AT_name, AttributeValue::String(non_empty(&batch.files[0]).into_bytes()));
    unit.set(gimli::DW_AT_comp_dir, AttributeValue::String(comp_dir.into_bytes()));
    // No DWARF language code exists for Vais; C is what debuggers handle best for its scalars.
    unit.set(gimli::DW_AT_language, AttributeValue::Language(gimli::DW_LANG_C99));
    unit.set(gimli::DW_AT_low_pc, AttributeValue::Address(Address::Constant(0)));
    unit.set(gimli::DW_AT_ranges, AttributeValue::RangeListRef(range_list));
    Ok(dwarf)
}

/// The ELF image of `batch` for the GDB JIT interface (see the crate comment).
pub fn elf_image(batch: &Batch) -> Result<Vec<u8>, ImageError> {
    elf_image_inlined(batch, &[])
}

/// [`elf_image`] of a batch whose functions have inlined copies in them (see
/// [`dwarf_sections_inlined`]).
pub fn elf_image_inlined(batch: &Batch, inlined: &[Vec<InlinedCall>]) -> Result<Vec<u8>, ImageError> {
    use object::elf;
    use object::write::elf::{FileHeader, SectionHeader, Sym, Writer};

    let debug = dwarf_sections_inlined(batch, inlined)?;
    let text_start = batch.functions.iter().map(|f| f.addr).min().unwrap_or(0);
    let text_end = batch.functions.iter().map(|f| f.addr + f.size).max().unwrap_or(0);
    let names: Vec<Vec<u8>> = batch.functions.iter().map(|f| f.name.replace('\0', "").into_bytes()).collect();

    let mut buf = Vec::new();
    let mut w = Writer::new(object::Endianness::Little, true, &mut buf);
    w.reserve_file_header();
    w.reserve_null_section_index();
    let text_name = w.add_section_name(b".text");
    let text_index = w.reserve_section_index();
    let debug_ids: Vec<_> = debug
        .iter()
        .map(|(name, _)| (w.add_section_name(name.as_bytes()), w.reserve_section_index()))
        .collect();
    w.reserve_symtab_section_index();
    w.reserve_strtab_section_index();
    w.reserve_shstrtab_section_index();

    w.reserve_null_symbol_index();
    let symbols: Vec<_> = names.iter().map(|n| (w.add_string(n), w.reserve_symbol_index(Some(text_index)))).collect();

    let offsets: Vec<usize> = debug.iter().map(|(_, data)| w.reserve(data.len(), 1)).collect();
    w.reserve_symtab();
    w.reserve_strtab();
    w.reserve_shstrtab();
    w.reserve_section_headers();

    w.write_file_header(&FileHeader {
        os_abi: elf::ELFOSABI_NONE,
        abi_version: 0,
        e_type: elf::ET_REL,
        e_machine: elf::EM_X86_64,
        e_entry: 0,
        e_flags: 0,
    })
    .map_err(err)?;
    for (_, data) in &debug {
        w.write(data);
    }
    w.write_null_symbol();
    for (f, (name, _)) in batch.functions.iter().zip(&symbols) {
        w.write_symbol(&Sym {
            name: Some(*name),
            section: Some(text_index),
            st_info: (elf::STB_GLOBAL << 4) | elf::STT_FUNC,
            st_other: elf::STV_DEFAULT,
            st_shndx: 0,
            st_value: f.addr - text_start,
            st_size: f.size,
        });
    }
    w.write_strtab();
    w.write_shstrtab();

    w.write_null_section_header();
    w.write_section_header(&SectionHeader {
        name: Some(text_name),
        sh_type: elf::SHT_NOBITS,
        sh_flags: (elf::SHF_ALLOC | elf::SHF_EXECINSTR) as u64,
        sh_addr: text_start,
        sh_offset: 0,
        sh_size: text_end - text_start,
        sh_link: 0,
        sh_info: 0,
        sh_addralign: 16,
        sh_entsize: 0,
    });
    for ((name, _), ((_, data), offset)) in debug_ids.iter().zip(debug.iter().zip(&offsets)) {
        w.write_section_header(&SectionHeader {
            name: Some(*name),
            sh_type: elf::SHT_PROGBITS,
            sh_flags: 0,
            sh_addr: 0,
            sh_offset: *offset as u64,
            sh_size: data.len() as u64,
            sh_link: 0,
            sh_info: 0,
            sh_addralign: 1,
            sh_entsize: 0,
        });
    }
    w.write_symtab_section_header(1);
    w.write_strtab_section_header();
    w.write_shstrtab_section_header();
    debug_assert_eq!(w.reserved_len(), w.len());
    Ok(buf)
}

#[cfg(test)]
mod tests;
