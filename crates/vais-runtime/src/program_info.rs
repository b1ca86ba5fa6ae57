//! The tables a built executable carries about its own code, so that its runtime reports faults
//! exactly as `vaisc run` does: function names and code sizes, line tables, trap sites, fault
//! sites, and each source file's name and line starts (to turn byte offsets into `line:col`).
//!
//! `vaisc build` encodes a [`ProgramInfo`] into a data object of the executable; the start-up
//! code (`vais-start`) decodes it, pairs each function with its code address (a table of
//! relocated addresses beside it) and registers everything in the same registries the JIT
//! feeds ([`crate::faults`]). This module owns the byte format; it must not know how the
//! compiler numbers or computes any of it.
//!
//! Format (little-endian): magic `VAISINF2`; then `main_status` (u8: 1 if `main`'s first result
//! byte is the exit status, 0 for status 0); then counted lists (u32 count) of files (name,
//! line starts) and functions (name, size, file, line ranges, traps, fault sites, inlined ranges: start, end and frames of (function, file,
//! byte offset), innermost first).
//! Strings are a u32 length and UTF-8 bytes.

use crate::faults::{self, SrcRange};

const MAGIC: &[u8; 8] = b"VAISINF2";

/// A source file: its name as reports show it, and the byte offset where each line starts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileLines {
    pub name: String,
    pub line_starts: Vec<u32>,
}

/// One compiled function.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FuncInfo {
    pub name: String,
    /// Machine code size in bytes.
    pub size: u32,
    /// Source file number (index into [`ProgramInfo::files`]).
    pub file: u32,
    /// `(start, end, byte offset)` code ranges, as for [`faults::register_lines`].
    pub lines: Vec<SrcRange>,
    /// `(code offset, trap kind, site)`, as for [`faults::register_trap`] (the kind as its
    /// number, [`faults::TrapKind`]).
    pub traps: Vec<(u32, i32, u32)>,
    /// The function's fault sites, as for [`faults::register_sites`].
    pub sites: Vec<(String, Option<String>)>,
    /// Inlined copies in the code: `(start, end, frames)`, frames innermost first as
    /// `(function, file, byte offset)`, as for [`faults::register_inlined`].
    pub inlined: Vec<InlinedCode>,
}

/// `(start, end, frames)` of an inlined copy: code offsets, and the inlined frames innermost
/// first as `(function, file, byte offset)`.
pub type InlinedCode = (u32, u32, Vec<(String, u32, u32)>);

/// Everything the executable's runtime needs to know about its code.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProgramInfo {
    /// Whether `main` returns an integer whose low byte is the exit status.
    pub main_status: bool,
    pub files: Vec<FileLines>,
    pub funcs: Vec<FuncInfo>,
}

impl ProgramInfo {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Vec::new();
        w.extend_from_slice(MAGIC);
        w.push(self.main_status as u8);
        put_u32(&mut w, self.files.len() as u32);
        for f in &self.files {
            put_str(&mut w, &f.name);
            put_u32(&mut w, f.line_starts.len() as u32);
            for &s in &f.line_starts {
                put_u32(&mut w, s);
            }
        }
        put_u32(&mut w, self.funcs.len() as u32);
        for f in &self.funcs {
            put_str(&mut w, &f.name);
            put_u32(&mut w, f.size);
            put_u32(&mut w, f.file);
            put_u32(&mut w, f.lines.len() as u32);
            for &(a, b, c) in &f.lines {
                put_u32(&mut w, a);
                put_u32(&mut w, b);
                put_u32(&mut w, c);
            }
            put_u32(&mut w, f.traps.len() as u32);
            for &(off, kind, site) in &f.traps {
                put_u32(&mut w, off);
                w.extend_from_slice(&kind.to_le_bytes());
                put_u32(&mut w, site);
            }
            put_u32(&mut w, f.sites.len() as u32);
            for (loc, inlined) in &f.sites {
                put_str(&mut w, loc);
                w.push(inlined.is_some() as u8);
                if let Some(name) = inlined {
                    put_str(&mut w, name);
                }
            }
            put_u32(&mut w, f.inlined.len() as u32);
            for (start, end, frames) in &f.inlined {
                put_u32(&mut w, *start);
                put_u32(&mut w, *end);
                put_u32(&mut w, frames.len() as u32);
                for (name, file, off) in frames {
                    put_str(&mut w, name);
                    put_u32(&mut w, *file);
                    put_u32(&mut w, *off);
                }
            }
        }
        w
    }

    /// Decodes [`ProgramInfo::encode`]'s bytes; damaged input is an error, never a panic.
    pub fn decode(bytes: &[u8]) -> Result<ProgramInfo, String> {
        let mut r = Reader { bytes, pos: 0 };
        if r.take(8)? != MAGIC {
            return Err("not a Vais program information table".into());
        }
        let main_status = r.take(1)?[0] != 0;
        let mut info = ProgramInfo { main_status, ..ProgramInfo::default() };
        for _ in 0..r.count()? {
            let name = r.string()?;
            let line_starts = (0..r.count()?).map(|_| r.u32()).collect::<Result<_, _>>()?;
            info.files.push(FileLines { name, line_starts });
        }
        for _ in 0..r.count()? {
            let name = r.string()?;
            let (size, file) = (r.u32()?, r.u32()?);
            let lines = (0..r.count()?).map(|_| Ok((r.u32()?, r.u32()?, r.u32()?))).collect::<Result<_, String>>()?;
            let traps = (0..r.count()?)
                .map(|_| Ok((r.u32()?, i32::from_le_bytes(r.array()?), r.u32()?)))
                .collect::<Result<_, String>>()?;
            let sites = (0..r.count()?)
                .map(|_| {
                    let loc = r.string()?;
                    let inlined = if r.take(1)?[0] != 0 { Some(r.string()?) } else { None };
                    Ok((loc, inlined))
                })
                .collect::<Result<_, String>>()?;
            let inlined = (0..r.count()?)
                .map(|_| {
                    let (start, end) = (r.u32()?, r.u32()?);
                    let frames = (0..r.count()?).map(|_| Ok((r.string()?, r.u32()?, r.u32()?))).collect::<Result<_, String>>()?;
                    Ok((start, end, frames))
                })
                .collect::<Result<_, String>>()?;
            info.funcs.push(FuncInfo { name, size, file, lines, traps, sites, inlined });
        }
        if r.pos != bytes.len() {
            return Err("trailing bytes after the program information table".into());
        }
        Ok(info)
    }

    /// `file:line:col` of byte `offset` of file number `file`.
    pub fn place(&self, file: u32, offset: u32) -> Option<String> {
        let f = self.files.get(file as usize)?;
        let line = f.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = f.line_starts.get(line - 1).copied().unwrap_or(0);
        Some(format!("{}:{line}:{}", f.name, offset.saturating_sub(start) + 1))
    }

    /// Registers each function placed at `addrs[i]` (its code range, line table, fault sites
    /// and trap instructions) with the runtime's fault tables.
    pub fn register(&self, addrs: &[usize]) {
        for (f, &addr) in self.funcs.iter().zip(addrs) {
            faults::register_code(addr, f.size as usize, f.name.clone());
            faults::register_lines(addr, f.file, f.lines.clone());
            faults::register_sites(addr, f.sites.clone());
            for &(off, kind, site) in &f.traps {
                if let Some(kind) = faults::TrapKind::from_raw(kind) {
                    faults::register_trap(addr + off as usize, kind, site);
                }
            }
            if !f.inlined.is_empty() {
                let ranges = f
                    .inlined
                    .iter()
                    .map(|(start, end, frames)| faults::InlinedRange { start: *start, end: *end, frames: frames.clone().into() })
                    .collect();
                faults::register_inlined(addr, ranges);
            }
        }
    }
}

fn put_u32(w: &mut Vec<u8>, v: u32) {
    w.extend_from_slice(&v.to_le_bytes());
}

fn put_str(w: &mut Vec<u8>, s: &str) {
    put_u32(w, s.len() as u32);
    w.extend_from_slice(s.as_bytes());
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len()).ok_or("truncated program information table")?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        Ok(self.take(N)?.try_into().expect("take returns N bytes"))
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    /// A count, checked against the bytes left (each element takes at least one byte), so a
    /// damaged count cannot make the decoder allocate or loop without bound.
    fn count(&mut self) -> Result<u32, String> {
        let n = self.u32()?;
        if n as usize > self.bytes.len() - self.pos {
            return Err("damaged program information table (count too large)".into());
        }
        Ok(n)
    }
    fn string(&mut self) -> Result<String, String> {
        let n = self.u32()? as usize;
        String::from_utf8(self.take(n)?.to_vec()).map_err(|_| "damaged program information table (bad string)".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ProgramInfo {
        ProgramInfo {
            main_status: true,
            files: vec![FileLines { name: "a.vais".into(), line_starts: vec![0, 15, 25] }],
            funcs: vec![
                FuncInfo { name: "f".into(), size: 64, file: 0, lines: vec![(0, 10, 0), (10, 64, 21)], traps: vec![(12, 1, 0)], sites: vec![("a.vais:2:7".into(), None), ("a.vais:3:2".into(), Some("g".into()))], inlined: vec![(10, 20, vec![("g".into(), 0, 21), ("h".into(), 0, 3)])] },
                FuncInfo { name: "main".into(), size: 32, file: 0, lines: vec![], traps: vec![], sites: vec![], inlined: vec![] },
            ],
        }
    }

    #[test]
    fn round_trip() {
        let info = sample();
        assert_eq!(ProgramInfo::decode(&info.encode()), Ok(info));
        assert_eq!(ProgramInfo::decode(&ProgramInfo::default().encode()), Ok(ProgramInfo::default()));
    }

    #[test]
    fn damaged_tables_are_errors() {
        let bytes = sample().encode();
        for n in 0..bytes.len() {
            assert!(ProgramInfo::decode(&bytes[..n]).is_err(), "truncated at {n} accepted");
        }
        let mut extra = bytes.clone();
        extra.push(0);
        assert!(ProgramInfo::decode(&extra).is_err());
        let mut huge = bytes.clone();
        huge[9..13].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(ProgramInfo::decode(&huge).is_err());
    }

    #[test]
    fn places() {
        let info = sample();
        assert_eq!(info.place(0, 0).as_deref(), Some("a.vais:1:1"));
        assert_eq!(info.place(0, 21).as_deref(), Some("a.vais:2:7"));
        assert_eq!(info.place(0, 30).as_deref(), Some("a.vais:3:6"));
        assert_eq!(info.place(1, 0), None);
    }
}
