//! Telling Linux `perf` about JIT code (`vaisc run --perf perfmap|jitdump`), opt-in only:
//!
//! * **perf map**: `/tmp/perf-PID.map`, one line `START SIZE name` (hex) per function; `perf
//!   report` then names JIT frames.
//! * **jitdump**: `jit-PID.dump` in the current directory, in the format of the kernel's
//!   `tools/perf/Documentation/jitdump-specification.txt`: a header, then per function a
//!   `JIT_CODE_DEBUG_INFO` record (its line table, when known) followed by a `JIT_CODE_LOAD`
//!   record with its name and machine code. The file's first page is mapped executable so that
//!   `perf record -k 1` sees it; `perf inject --jit` then writes one ELF per function, and
//!   `perf report`/`perf annotate` show names, source lines and instructions.
//!
//! cranelift-jit writes its own perf map (with `vais$` symbol names) whenever
//! `PERF_BUILDID_DIR` is set, which `perf record` does for the programs it starts; the driver
//! clears that variable at start-up (see [`disable_implicit_perf_map`]) so that nothing is
//! written unless asked for.

use std::io::Write;

/// One function's code, for the perf files.
pub struct CodeRecord<'a> {
    pub name: &'a str,
    pub addr: usize,
    pub size: usize,
    /// Line table: (offset in the function's code, file, line), by offset. May be empty.
    pub lines: &'a [(u32, &'a str, u32)],
}

/// Stops cranelift-jit from writing `/tmp/perf-PID.map` on its own. Call at start-up, before
/// any thread is started (it changes the process environment).
pub fn disable_implicit_perf_map() {
    if std::env::var_os("PERF_BUILDID_DIR").is_some() {
        std::env::remove_var("PERF_BUILDID_DIR");
    }
}

/// The perf map line of one function (names are made one line).
pub fn perf_map_line(r: &CodeRecord) -> String {
    format!("{:x} {:x} {}\n", r.addr, r.size, r.name.replace(['\n', '\r'], " "))
}

/// Appends the functions to `/tmp/perf-PID.map` (one `write` per line, as perf expects when
/// several writers share the file).
pub fn append_perf_map(records: &[CodeRecord]) -> std::io::Result<std::path::PathBuf> {
    let path = std::path::PathBuf::from(format!("/tmp/perf-{}.map", std::process::id()));
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&path)?;
    for r in records {
        f.write_all(perf_map_line(r).as_bytes())?;
    }
    Ok(path)
}

const JITDUMP_MAGIC: u32 = 0x4A69_5444;
const JIT_CODE_LOAD: u32 = 0;
const JIT_CODE_DEBUG_INFO: u32 = 2;
#[cfg(target_arch = "x86_64")]
const ELF_MACHINE: u32 = 62;
#[cfg(target_arch = "aarch64")]
const ELF_MACHINE: u32 = 183;
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
const ELF_MACHINE: u32 = 0;

/// An open jitdump file (kept mapped until the process ends, as perf requires).
pub struct JitDump {
    file: std::fs::File,
    path: std::path::PathBuf,
    next_index: u64,
}

fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: reads a clock into an owned timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

impl JitDump {
    /// Creates `dir/jit-PID.dump`, writes its header and maps its first page executable (the
    /// marker `perf inject --jit` looks for).
    pub fn create(dir: &std::path::Path) -> std::io::Result<JitDump> {
        let path = dir.join(format!("jit-{}.dump", std::process::id()));
        let mut file = std::fs::OpenOptions::new().create(true).truncate(true).read(true).write(true).open(&path)?;
        let mut h = Vec::with_capacity(40);
        h.extend_from_slice(&JITDUMP_MAGIC.to_ne_bytes());
        h.extend_from_slice(&1u32.to_ne_bytes()); // version
        h.extend_from_slice(&40u32.to_ne_bytes()); // header size
        h.extend_from_slice(&ELF_MACHINE.to_ne_bytes());
        h.extend_from_slice(&0u32.to_ne_bytes()); // padding
        h.extend_from_slice(&std::process::id().to_ne_bytes());
        h.extend_from_slice(&monotonic_ns().to_ne_bytes());
        h.extend_from_slice(&0u64.to_ne_bytes()); // flags
        file.write_all(&h)?;
        file.flush()?;
        use std::os::fd::AsRawFd;
        // SAFETY: maps the file's first page read+exec, privately; the mapping is deliberately
        // never unmapped (perf reads the MMAP event, and nothing ever touches the memory).
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(4096) as usize;
        let addr = unsafe {
            libc::mmap(std::ptr::null_mut(), page, libc::PROT_READ | libc::PROT_EXEC, libc::MAP_PRIVATE, file.as_raw_fd(), 0)
        };
        if addr == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        Ok(JitDump { file, path, next_index: 0 })
    }

    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// Writes one function: its line table (if any), then its code.
    ///
    /// # Safety
    /// `r.addr .. r.addr + r.size` must be readable memory (finalized JIT code).
    pub unsafe fn record(&mut self, r: &CodeRecord) -> std::io::Result<()> {
        let now = monotonic_ns();
        if !r.lines.is_empty() {
            let mut body = Vec::new();
            body.extend_from_slice(&(r.addr as u64).to_ne_bytes());
            // A sentinel entry at the end of the code closes the last range (perf otherwise
            // reads the last region as `??:0`).
            body.extend_from_slice(&(r.lines.len() as u64 + 1).to_ne_bytes());
            let last = r.lines[r.lines.len() - 1];
            for &(off, file, line) in r.lines.iter().chain(std::iter::once(&(r.size as u32, last.1, last.2))) {
                body.extend_from_slice(&(r.addr as u64 + off as u64).to_ne_bytes());
                body.extend_from_slice(&line.to_ne_bytes());
                body.extend_from_slice(&0u32.to_ne_bytes()); // discriminator
                body.extend_from_slice(file.as_bytes());
                body.push(0);
            }
            self.write_record(JIT_CODE_DEBUG_INFO, now, &body)?;
        }
        // SAFETY: the caller guarantees the code range is readable.
        let code = unsafe { std::slice::from_raw_parts(r.addr as *const u8, r.size) };
        let mut body = Vec::with_capacity(40 + r.name.len() + 1 + r.size);
        body.extend_from_slice(&std::process::id().to_ne_bytes());
        // SAFETY: `gettid` takes no arguments and cannot fail.
        let tid = unsafe { libc::syscall(libc::SYS_gettid) } as u32;
        body.extend_from_slice(&tid.to_ne_bytes());
        body.extend_from_slice(&(r.addr as u64).to_ne_bytes()); // vma
        body.extend_from_slice(&(r.addr as u64).to_ne_bytes()); // code address
        body.extend_from_slice(&(r.size as u64).to_ne_bytes());
        body.extend_from_slice(&self.next_index.to_ne_bytes());
        self.next_index += 1;
        body.extend_from_slice(r.name.replace('\0', " ").as_bytes());
        body.push(0);
        body.extend_from_slice(code);
        self.write_record(JIT_CODE_LOAD, now, &body)
    }

    fn write_record(&mut self, id: u32, timestamp: u64, body: &[u8]) -> std::io::Result<()> {
        let mut rec = Vec::with_capacity(16 + body.len());
        rec.extend_from_slice(&id.to_ne_bytes());
        rec.extend_from_slice(&(16 + body.len() as u32).to_ne_bytes());
        rec.extend_from_slice(&timestamp.to_ne_bytes());
        rec.extend_from_slice(body);
        self.file.write_all(&rec)?;
        self.file.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u32_at(b: &[u8], at: usize) -> u32 {
        u32::from_ne_bytes(b[at..at + 4].try_into().unwrap())
    }
    fn u64_at(b: &[u8], at: usize) -> u64 {
        u64::from_ne_bytes(b[at..at + 8].try_into().unwrap())
    }

    #[test]
    fn perf_map_lines_are_hex_and_one_line() {
        let r = CodeRecord { name: "a\nb", addr: 0x1000, size: 0x2a, lines: &[] };
        assert_eq!(perf_map_line(&r), "1000 2a a b\n");
    }

    #[test]
    fn jitdump_has_header_debug_info_before_load_and_the_code_bytes() {
        let dir = std::env::temp_dir().join(format!("vais_jitdump_test_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let code: Vec<u8> = (0..37u8).collect();
        let lines = [(0, "p.vais", 3), (10, "p.vais", 4)];
        let mut d = JitDump::create(&dir).unwrap();
        let r = CodeRecord { name: "fib", addr: code.as_ptr() as usize, size: code.len(), lines: &lines };
        // SAFETY: `code` is a live vector of `size` bytes.
        unsafe { d.record(&r).unwrap() };
        let bytes = std::fs::read(d.path()).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(u32_at(&bytes, 0), JITDUMP_MAGIC);
        assert_eq!(u32_at(&bytes, 8), 40);
        assert_eq!(u32_at(&bytes, 20), std::process::id());
        // First record: debug info with 2 entries + the sentinel at the end of the code.
        let mut at = 40;
        assert_eq!(u32_at(&bytes, at), JIT_CODE_DEBUG_INFO);
        let size = u32_at(&bytes, at + 4) as usize;
        assert_eq!(u64_at(&bytes, at + 16), code.as_ptr() as u64);
        assert_eq!(u64_at(&bytes, at + 24), 3);
        let first_entry = at + 32;
        assert_eq!(u32_at(&bytes, first_entry + 8), 3);
        assert_eq!(&bytes[first_entry + 16..first_entry + 23], b"p.vais\0");
        at += size;
        // Second record: the load, with the name and the very bytes of the code.
        assert_eq!(u32_at(&bytes, at), JIT_CODE_LOAD);
        let size = u32_at(&bytes, at + 4) as usize;
        assert_eq!(at + size, bytes.len());
        assert_eq!(u64_at(&bytes, at + 24), code.as_ptr() as u64);
        assert_eq!(u64_at(&bytes, at + 40), code.len() as u64);
        assert_eq!(&bytes[at + 56..at + 60], b"fib\0");
        assert_eq!(&bytes[at + 60..], &code[..]);
    }
}
