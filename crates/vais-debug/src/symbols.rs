//! Function symbols of an ELF file (the `vaisc` executable's own `.symtab`), for naming
//! profile samples that fall in the compiler's runtime (allocator, built-ins) rather than in
//! JIT code or a shared library: `dladdr` only sees exported symbols, and the executable
//! exports none. Rust's legacy symbol mangling is undone ([`demangle`]).
//!
//! Pure: bytes in, a table out. It must not know where the bytes come from.

use object::read::elf::ElfFile64;
use object::{Object, ObjectSegment, ObjectSymbol, SymbolKind};

/// Function symbols: (address as linked, size, name), sorted by address.
#[derive(Debug, Default)]
pub struct Symbols {
    funcs: Vec<(u64, u64, String)>,
    /// The lowest address a loadable segment is linked at (0 for a position-independent
    /// executable): where the loader's base address maps to.
    base: u64,
}

impl Symbols {
    /// The function symbols of the ELF file `bytes` (none when it is not one, or stripped).
    pub fn of_elf(bytes: &[u8]) -> Symbols {
        let Ok(file) = ElfFile64::<object::Endianness>::parse(bytes) else { return Symbols::default() };
        let mut funcs: Vec<(u64, u64, String)> = file
            .symbols()
            .filter(|s| s.kind() == SymbolKind::Text && s.size() > 0)
            .filter_map(|s| Some((s.address(), s.size(), demangle(s.name().ok()?))))
            .collect();
        funcs.sort_by_key(|f| f.0);
        let base = file.segments().map(|s| s.address()).min().unwrap_or(0);
        Symbols { funcs, base }
    }

    /// The function containing the address `offset` bytes past where the file was loaded.
    pub fn at_offset(&self, offset: u64) -> Option<&str> {
        self.at(self.base.wrapping_add(offset))
    }

    /// The function containing the linked address `addr`.
    pub fn at(&self, addr: u64) -> Option<&str> {
        let i = self.funcs.partition_point(|f| f.0 <= addr).checked_sub(1)?;
        let (start, size, name) = &self.funcs[i];
        (addr < start + size).then_some(name.as_str())
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
        let exe = std::fs::read("/proc/self/exe").expect("the test binary");
        let syms = Symbols::of_elf(&exe);
        assert!(!syms.is_empty(), "no function symbols in the test binary");
        // A function of this crate, by its own (linked) address: the test binary is a PIE, so
        // compare through the symbol table itself: every listed start names its own function.
        let (start, _, name) = syms.funcs.iter().find(|f| f.2.ends_with("legacy_names_demangle")).expect("this test's symbol");
        assert_eq!(syms.at(*start), Some(name.as_str()));
        assert_eq!(syms.at(*start + 1), Some(name.as_str()));
        assert_eq!(syms.at_offset(*start - syms.base), Some(name.as_str()));
        assert!(Symbols::of_elf(b"not an elf").is_empty());
    }
}
