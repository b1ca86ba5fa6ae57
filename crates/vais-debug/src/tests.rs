//! Reads the images back (object's ELF reader, gimli's DWARF reader) and checks what a
//! debugger would find: sections, symbols at their addresses, and address-to-line rows.

use super::*;
use object::read::elf::{ElfFile64, FileHeader as _, SectionHeader as _};
use object::{Object, ObjectSection, ObjectSymbol};

fn batch() -> Batch {
    Batch {
        comp_dir: "/src".into(),
        files: vec!["prog.vais".into(), "lib.vais".into()],
        functions: vec![
            Function {
                name: "fib".into(),
                addr: 0x7f00_0000_1000,
                size: 0x40,
                file: 0,
                line: 2,
                rows: vec![
                    Row { offset: 0, file: 0, line: 2, col: 1 },
                    Row { offset: 8, file: 0, line: 3, col: 5 },
                    Row { offset: 12, file: 0, line: 3, col: 9 }, // same line: merged
                    Row { offset: 0x20, file: 0, line: 4, col: 5 },
                ],
            },
            Function {
                name: "helper".into(),
                addr: 0x7f00_0000_2000,
                size: 0x10,
                file: 1,
                line: 7,
                rows: vec![Row { offset: 0, file: 1, line: 8, col: 3 }],
            },
        ],
        frames: None,
    }
}

/// An x86-64 CIE and, for each function of [`batch`], the FDE of a frame-pointer prologue
/// (`push rbp` at 0, `mov rbp, rsp` at 1; the CFA is then rbp + 16).
fn frames() -> Frames {
    use gimli::write::CallFrameInstruction as I;
    let (rsp, rbp, ra) = (gimli::X86_64::RSP, gimli::X86_64::RBP, gimli::X86_64::RA);
    let mut cie = CommonInformationEntry::new(Encoding { format: Format::Dwarf32, version: 1, address_size: 8 }, 1, -8, ra);
    cie.add_instruction(I::Cfa(rsp, 8));
    cie.add_instruction(I::Offset(ra, -8));
    let fdes = batch()
        .functions
        .iter()
        .map(|f| {
            let mut fde = FrameDescriptionEntry::new(Address::Constant(f.addr), f.size as u32);
            fde.add_instruction(1, I::CfaOffset(16));
            fde.add_instruction(1, I::Offset(rbp, -16));
            fde.add_instruction(4, I::CfaRegister(rbp));
            fde
        })
        .collect();
    Frames { cie, fdes }
}

/// The CFA rule at `pc` found through `section` (an `.eh_frame` or `.debug_frame` reader).
fn cfa_at<R: gimli::Reader<Offset = usize>, S: gimli::UnwindSection<R>>(section: &S, pc: u64) -> gimli::CfaRule<usize> {
    let bases = gimli::BaseAddresses::default();
    let mut ctx = gimli::UnwindContext::new();
    let row = section.unwind_info_for_address(&bases, &mut ctx, pc, S::cie_from_offset).unwrap();
    row.cfa().clone()
}

/// The DWARF sections of an ELF image (a missing section reads as empty).
fn dwarf_of(image: &[u8]) -> gimli::read::Dwarf<gimli::EndianSlice<'_, gimli::LittleEndian>> {
    let elf = ElfFile64::<object::Endianness>::parse(image).unwrap();
    let load = |id: gimli::SectionId| -> Result<gimli::EndianSlice<'_, gimli::LittleEndian>, gimli::Error> {
        let data = elf.section_by_name(id.name()).and_then(|s| s.data().ok()).unwrap_or(&[]);
        Ok(gimli::EndianSlice::new(data, gimli::LittleEndian))
    };
    gimli::read::Dwarf::load(load).unwrap()
}

/// (address, file name, line) of every row of every sequence.
fn line_rows(image: &[u8]) -> Vec<(u64, String, u64)> {
    let dwarf = dwarf_of(image);
    let mut units = dwarf.units();
    let header = units.next().unwrap().expect("one unit");
    let unit = dwarf.unit(header).unwrap();
    let program = unit.line_program.clone().expect("a line program");
    let mut rows = program.rows();
    let mut out = Vec::new();
    while let Some((header, row)) = rows.next_row().unwrap() {
        if row.end_sequence() {
            continue;
        }
        let file = row.file(header).unwrap();
        let name = dwarf.attr_string(&unit, file.path_name()).unwrap();
        out.push((row.address(), String::from_utf8_lossy(&name).to_string(), row.line().map_or(0, |l| l.get())));
    }
    out
}

#[test]
fn text_is_nobits_at_the_code_address_and_symbols_are_section_relative() {
    let image = elf_image(&batch()).unwrap();
    let elf = ElfFile64::<object::Endianness>::parse(&*image).unwrap();
    let e = elf.endian();
    assert_eq!(elf.elf_header().e_type(e), object::elf::ET_REL);
    assert_eq!(elf.elf_header().e_machine(e), object::elf::EM_X86_64);
    let text = elf.section_by_name(".text").unwrap();
    assert_eq!(text.elf_section_header().sh_type(e), object::elf::SHT_NOBITS);
    assert_eq!(text.address(), 0x7f00_0000_1000);
    assert_eq!(text.size(), 0x1010);
    let syms: Vec<(String, u64, u64)> = elf
        .symbols()
        .map(|s| (s.name().unwrap().to_string(), s.address(), s.size()))
        .collect();
    assert_eq!(syms, vec![("fib".into(), 0, 0x40), ("helper".into(), 0x1000, 0x10)]);
    for s in elf.elf_symbol_table().symbols().iter().skip(1) {
        assert_eq!(s.st_type(), object::elf::STT_FUNC);
    }
    for name in [".debug_info", ".debug_line", ".debug_abbrev", ".debug_ranges"] {
        assert!(elf.section_by_name(name).is_some(), "{name} missing");
    }
}

#[test]
fn line_rows_map_addresses_to_files_and_lines_merging_repeats() {
    let rows = line_rows(&elf_image(&batch()).unwrap());
    assert_eq!(
        rows,
        vec![
            (0x7f00_0000_1000, "prog.vais".into(), 2),
            (0x7f00_0000_1008, "prog.vais".into(), 3),
            (0x7f00_0000_1020, "prog.vais".into(), 4),
            (0x7f00_0000_2000, "lib.vais".into(), 8),
        ]
    );
}

#[test]
fn subprograms_carry_name_range_and_declaration() {
    let image = elf_image(&batch()).unwrap();
    let dwarf = dwarf_of(&image);
    let unit = dwarf.unit(dwarf.units().next().unwrap().unwrap()).unwrap();
    let mut entries = unit.entries();
    let mut found = Vec::new();
    while let Some(entry) = entries.next_dfs().unwrap() {
        if entry.tag() != gimli::DW_TAG_subprogram {
            continue;
        }
        let name = dwarf.attr_string(&unit, entry.attr_value(gimli::DW_AT_name).unwrap()).unwrap();
        let low = match entry.attr_value(gimli::DW_AT_low_pc) {
            Some(gimli::AttributeValue::Addr(a)) => a,
            other => panic!("low_pc {other:?}"),
        };
        let len = entry.attr_value(gimli::DW_AT_high_pc).and_then(|v| v.udata_value()).unwrap();
        let line = entry.attr_value(gimli::DW_AT_decl_line).and_then(|v| v.udata_value()).unwrap();
        found.push((String::from_utf8_lossy(&name).to_string(), low, len, line));
    }
    assert_eq!(found, vec![("fib".into(), 0x7f00_0000_1000, 0x40, 2), ("helper".into(), 0x7f00_0000_2000, 0x10, 7)]);
}

#[test]
fn an_empty_file_list_is_an_error_not_a_panic() {
    let mut b = batch();
    b.files.clear();
    assert!(elf_image(&b).is_err());
}

#[test]
fn frames_go_to_debug_frame_in_the_image_and_to_a_terminated_eh_frame() {
    let mut b = batch();
    b.frames = Some(frames());
    let image = elf_image(&b).unwrap();
    let elf = ElfFile64::<object::Endianness>::parse(&*image).unwrap();
    let data = elf.section_by_name(".debug_frame").expect(".debug_frame").data().unwrap();
    let debug_frame = gimli::DebugFrame::new(data, gimli::LittleEndian);
    let rbp16 = gimli::CfaRule::RegisterAndOffset { register: gimli::X86_64::RBP, offset: 16 };
    assert_eq!(cfa_at(&debug_frame, 0x7f00_0000_1020), rbp16);
    assert_eq!(cfa_at(&debug_frame, 0x7f00_0000_2008), rbp16);
    assert_eq!(
        cfa_at(&debug_frame, 0x7f00_0000_1000),
        gimli::CfaRule::RegisterAndOffset { register: gimli::X86_64::RSP, offset: 8 }
    );

    let eh = eh_frame(&frames()).unwrap();
    assert_eq!(&eh[eh.len() - 4..], &[0, 0, 0, 0], "the terminator libgcc stops at");
    let eh_frame = gimli::EhFrame::new(&eh, gimli::LittleEndian);
    assert_eq!(cfa_at(&eh_frame, 0x7f00_0000_1020), rbp16);
    assert_eq!(cfa_at(&eh_frame, 0x7f00_0000_200f), rbp16);

    // Without frames there is no .debug_frame at all.
    let plain = elf_image(&batch()).unwrap();
    let elf = ElfFile64::<object::Endianness>::parse(&*plain).unwrap();
    assert!(elf.section_by_name(".debug_frame").is_none());
}

/// For an object file: the same sections as the image, each function's address a relocation
/// against its symbol (index into `functions`, in `.debug_info` and `.debug_line` both), the
/// references to other DWARF sections relocations against them, and no absolute address
/// written into the bytes.
#[test]
fn object_sections_relocate_function_addresses() {
    use gimli::write::RelocationTarget;
    let sections = object_sections(&batch(), &[]).unwrap();
    let names: Vec<&str> = sections.iter().map(|s| s.name).collect();
    for n in [".debug_info", ".debug_abbrev", ".debug_line", ".debug_ranges"] {
        assert!(names.contains(&n), "{n} missing from {names:?}");
    }
    assert!(!names.contains(&".debug_frame"));
    let get = |n: &str| sections.iter().find(|s| s.name == n).unwrap();
    for n in [".debug_info", ".debug_line"] {
        let syms: Vec<usize> = get(n).relocs.iter().filter_map(|r| match r.target {
            RelocationTarget::Symbol(i) => Some(i),
            _ => None,
        }).collect();
        assert!(syms.contains(&0) && syms.contains(&1), "{n}: {syms:?}");
        assert!(get(n).relocs.iter().all(|r| r.offset + r.size as usize <= get(n).data.len()));
    }
    let info = get(".debug_info");
    assert!(info.relocs.iter().any(|r| r.target == RelocationTarget::Section(gimli::SectionId::DebugAbbrev)));
    assert!(info.relocs.iter().any(|r| r.target == RelocationTarget::Section(gimli::SectionId::DebugLine)));
    for s in &sections {
        assert!(!s.data.windows(6).any(|w| w == [0x00, 0x10, 0x00, 0x00, 0x00, 0x7f]), "{}: an absolute address", s.name);
    }
}

/// Copies inlined into `fib` (`helper` at 0x10..0x18 and 0x20..0x28, called at prog.vais:3,
/// with `leaf` inlined into it at lib.vais:8): one abstract subprogram per inlined function,
/// one `DW_TAG_inlined_subroutine` per copy, nested as the calls are, with the call's file and
/// line and the copy's ranges. Without copies the image has none of this.
#[test]
fn inlined_copies_are_inlined_subroutines_with_their_calls() {
    let leaf = InlinedCall { name: "leaf".into(), call_file: 1, call_line: 8, call_col: 5, ranges: vec![(0x12, 0x14)], calls: vec![] };
    let helper =
        InlinedCall { name: "helper".into(), call_file: 0, call_line: 3, call_col: 9, ranges: vec![(0x10, 0x18), (0x20, 0x28)], calls: vec![leaf] };
    let image = elf_image_inlined(&batch(), &[vec![helper]]).unwrap();
    let dwarf = dwarf_of(&image);
    let unit = dwarf.unit(dwarf.units().next().unwrap().unwrap()).unwrap();
    let mut entries = unit.entries();
    // (depth, name, call line, ranges) of every inlined subroutine; names of abstract ones.
    let mut copies = Vec::new();
    let mut abstracts = Vec::new();
    while let Some(entry) = entries.next_dfs().unwrap() {
        let depth = entry.depth();
        let name_of = |e: &gimli::DebuggingInformationEntry<_>| {
            let v = e.attr_value(gimli::DW_AT_name).unwrap();
            String::from_utf8_lossy(&dwarf.attr_string(&unit, v).unwrap()).to_string()
        };
        if entry.tag() == gimli::DW_TAG_subprogram && entry.attr_value(gimli::DW_AT_inline).is_some() {
            abstracts.push(name_of(entry));
        }
        if entry.tag() != gimli::DW_TAG_inlined_subroutine {
            continue;
        }
        let Some(gimli::AttributeValue::UnitRef(origin)) = entry.attr_value(gimli::DW_AT_abstract_origin) else { panic!("no origin") };
        let name = name_of(&unit.entry(origin).unwrap());
        let line = entry.attr_value(gimli::DW_AT_call_line).and_then(|v| v.udata_value()).unwrap();
        let mut ranges = Vec::new();
        let mut it = dwarf.die_ranges(&unit, entry).unwrap();
        while let Some(r) = it.next().unwrap() {
            ranges.push((r.begin - 0x7f00_0000_1000, r.end - 0x7f00_0000_1000));
        }
        copies.push((depth, name, line, ranges));
    }
    abstracts.sort();
    assert_eq!(abstracts, vec!["helper".to_string(), "leaf".to_string()]);
    assert_eq!(copies.len(), 2, "{copies:?}");
    assert_eq!((copies[0].1.as_str(), copies[0].2, copies[0].3.clone()), ("helper", 3, vec![(0x10, 0x18), (0x20, 0x28)]));
    assert_eq!((copies[1].1.as_str(), copies[1].2, copies[1].3.clone()), ("leaf", 8, vec![(0x12, 0x14)]));
    assert_eq!(copies[1].0, copies[0].0 + 1, "leaf's copy is inside helper's");
}
