//! Function symbols of an ELF file (the `vaisc` executable's own `.symtab`), for naming
//! profile samples that fall in the compiler's runtime (allocator, built-ins) rather than in
//! JIT code or a shared library: `dladdr` only sees exported symbols, and the executable
//! exports none. Rust's legacy symbol mangling is undone ([`demangle`]).
//!
//! Pure: bytes in, a table out. It must not know where the bytes come from.


/// Function symbols: (address as linked, size, name), sorted by address.
#[derive(Debug, Default)]
pub struct Symbols {
    /// (address, size, offset of the name in `names`), sorted by address.
    funcs: Vec<(u64, u64, u32)>,
    /// The file's string table (names are read from it, and demangled, when looked up).
    names: Vec<u8>,
    /// The lowest address a loadable segment is linked at (0 for a position-independent
    /// executable): where the loader's base address maps to.
    base: u64,
}

impl Symbols {
    /// The function symbols of the ELF file at `path` (none when it is not a 64-bit ELF file,
    /// or has no symbol table). Only the headers and the symbol and string tables are read,
    /// with one read each (the `vaisc` executable is ~14 MB: reading or mapping it whole cost
    /// a profile 10-25 ms); names are demangled when looked up.
    pub fn of_file(path: &std::path::Path) -> Symbols {
        Self::read(path).unwrap_or_default()
    }

    fn read(path: &std::path::Path) -> Option<Symbols> {
        use object::elf::{FileHeader64, ProgramHeader64, SectionHeader64, Sym64, PT_LOAD, SHT_SYMTAB, STT_FUNC};
        use object::pod::{from_bytes, slice_from_bytes};
        use object::read::elf::{FileHeader, ProgramHeader, SectionHeader, Sym};
        use std::os::unix::fs::FileExt;
        type E = object::Endianness;
        let f = std::fs::File::open(path).ok()?;
        let read = |off: u64, len: usize| -> Option<Vec<u8>> {
            let mut v = vec![0; len];
            f.read_exact_at(&mut v, off).ok()?;
            Some(v)
        };
        let head = read(0, std::mem::size_of::<FileHeader64<E>>())?;
        let (h, _) = from_bytes::<FileHeader64<E>>(&head).ok()?;
        if !h.is_supported() {
            return None;
        }
        let endian = h.endian().ok()?;
        let shnum = usize::from(h.e_shnum(endian));
        let shbytes = read(h.e_shoff(endian), shnum * std::mem::size_of::<SectionHeader64<E>>())?;
        let (sections, _) = slice_from_bytes::<SectionHeader64<E>>(&shbytes, shnum).ok()?;
        let symtab = sections.iter().find(|s| s.sh_type(endian) == SHT_SYMTAB)?;
        let strtab = sections.get(symtab.sh_link(endian) as usize)?;
        let symbytes = read(symtab.sh_offset(endian), symtab.sh_size(endian) as usize)?;
        let names = read(strtab.sh_offset(endian), strtab.sh_size(endian) as usize)?;
        let count = symbytes.len() / std::mem::size_of::<Sym64<E>>();
        let (syms, _) = slice_from_bytes::<Sym64<E>>(&symbytes, count).ok()?;
        let mut funcs: Vec<(u64, u64, u32)> = syms
            .iter()
            .filter(|s| s.st_type() == STT_FUNC && s.st_size(endian) > 0)
            .map(|s| (s.st_value(endian), s.st_size(endian), s.st_name(endian)))
            .collect();
        funcs.sort_unstable_by_key(|f| f.0);
        let phnum = usize::from(h.e_phnum(endian));
        let phbytes = read(h.e_phoff(endian), phnum * std::mem::size_of::<ProgramHeader64<E>>())?;
        let (phs, _) = slice_from_bytes::<ProgramHeader64<E>>(&phbytes, phnum).ok()?;
        let base = phs.iter().filter(|p| p.p_type(endian) == PT_LOAD).map(|p| p.p_vaddr(endian)).min().unwrap_or(0);
        Some(Symbols { funcs, names, base })
    }

    /// The function containing the address `offset` bytes past where the file was loaded.
    pub fn at_offset(&self, offset: u64) -> Option<String> {
        self.at(self.base.wrapping_add(offset))
    }

    /// The (demangled) name of the function containing the linked address `addr`.
    pub fn at(&self, addr: u64) -> Option<String> {
        let i = self.funcs.partition_point(|f| f.0 <= addr).checked_sub(1)?;
        let (start, size, name) = self.funcs[i];
        if addr >= start + size {
            return None;
        }
        let raw = self.names.get(name as usize..)?;
        let raw = &raw[..raw.iter().position(|&b| b == 0).unwrap_or(raw.len())];
        Some(demangle(&String::from_utf8_lossy(raw)))
    }

    pub fn len(&self) -> usize {
        self.funcs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.funcs.is_empty()
    }
}

/// A Rust legacy-mangled name (`_ZN4core3ptr13drop_in_place17h0123456789abcdefE`) as a path
/// (`core::ptr::drop_in_place`, the hash dropped, `$LT$`-style escapes decoded); any other
/// name unchanged.
pub fn demangle(name: &str) -> String {
    let Some(mut rest) = name.strip_prefix("_ZN") else { return name.to_string() };
    let mut parts: Vec<String> = vec![];
    loop {
        if rest.starts_with('E') || rest.is_empty() {
            break;
        }
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let Ok(len) = rest[..digits].parse::<usize>() else { return name.to_string() };
        let Some(part) = rest.get(digits..digits + len) else { return name.to_string() };
        parts.push(part.to_string());
        rest = &rest[digits + len..];
    }
    if parts.last().is_some_and(|p| p.len() == 17 && p.starts_with('h') && p[1..].bytes().all(|b| b.is_ascii_hexdigit())) {
        parts.pop();
    }
    let unescape = |p: &str| -> String {
        let p = p.strip_prefix('_').filter(|r| r.starts_with('$')).unwrap_or(p);
        let mut out = String::new();
        let mut s = p;
        while !s.is_empty() {
            if let Some(r) = s.strip_prefix("..") {
                out.push_str("::");
                s = r;
            } else if s.starts_with('$') {
                let Some(end) = s[1..].find('$') else { break };
                let code = &s[1..1 + end];
                out.push_str(match code {
                    "LT" => "<",
                    "GT" => ">",
                    "LP" => "(",
                    "RP" => ")",
                    "C" => ",",
                    "BP" => "*",
                    "RF" => "&",
                    "SP" => "@",
                    "u20" => " ",
                    "u27" => "'",
                    "u5b" => "[",
                    "u5d" => "]",
                    "u7b" => "{",
                    "u7d" => "}",
                    "u7e" => "~",
                    _ => "?",
                });
                s = &s[2 + end..];
            } else {
                let c = s.chars().next().unwrap();
                out.push(c);
                s = &s[c.len_utf8()..];
            }
        }
        out
    };
    parts.iter().map(|p| unescape(p)).collect::<Vec<_>>().join("::")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_names_demangle() {
        assert_eq!(demangle("_ZN4core3ptr13drop_in_place17h0123456789abcdefE"), "core::ptr::drop_in_place");
        assert_eq!(demangle("_ZN12vais_runtime5alloc4free17hfedcba9876543210E"), "vais_runtime::alloc::free");
        assert_eq!(demangle("_ZN60_$LT$alloc..string..String$u20$as$u20$core..fmt..Display$GT$3fmt17h0000000000000000E"), "<alloc::string::String as core::fmt::Display>::fmt");
        assert_eq!(demangle("mi_free"), "mi_free");
        assert_eq!(demangle("_ZN3bad"), "bad");
    }

    #[test]
    fn symbols_of_this_test_binary_name_a_function_in_it() {
        let syms = Symbols::of_file(std::path::Path::new("/proc/self/exe"));
        assert!(!syms.is_empty(), "no function symbols in the test binary");
        // A function of this crate, by its own (linked) address: the test binary is a PIE, so
        // compare through the symbol table itself: every listed start names its own function.
        let start = syms.funcs.iter().map(|f| f.0).find(|a| syms.at(*a).is_some_and(|n| n.ends_with("legacy_names_demangle"))).expect("this test's symbol");
        let name = syms.at(start).unwrap();
        assert_eq!(syms.at(start + 1), Some(name.clone()));
        assert_eq!(syms.at_offset(start - syms.base), Some(name));
        let not_elf = std::env::temp_dir().join(format!("vais_not_elf_{}", std::process::id()));
        std::fs::write(&not_elf, b"not an elf file at all, but long enough to hold a header of sixty-four bytes").unwrap();
        assert!(Symbols::of_file(&not_elf).is_empty());
        assert!(Symbols::of_file(std::path::Path::new("/nonexistent/vais")).is_empty());
        let _ = std::fs::remove_file(not_elf);
    }
}
