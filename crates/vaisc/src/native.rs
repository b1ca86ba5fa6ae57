//! `vaisc build`: native executables from the same code generator as the JIT.
//!
//! The program is checked and inlined exactly as `vaisc run` does, linked into an object file
//! by the linker driving an `ObjectModule` (`vais_jit::object`), and linked by the system C
//! compiler driver (`cc`, or `$CC`) against `libvais_start.a` (the runtime and the C `main`
//! of executables, crate `vais-start`), libc and libm. The executable needs nothing else at
//! run time. `--emit obj` writes the object alone; `-g` adds DWARF (line tables, functions,
//! frames) to the executable for gdb.

use crate::driver::{self, Timer, EXIT_COMPILE_ERROR};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use vais_ast::{Code, Diagnostic, SourceMap, Span};

/// The options of `vaisc build`.
pub struct BuildOptions {
    pub out: Option<PathBuf>,
    /// `-g`: DWARF for debuggers.
    pub debug: bool,
    /// `--emit obj`: write the object file instead of an executable.
    pub emit_obj: bool,
    pub time: bool,
    /// Extra arguments for the C compiler driver's link (after `--`).
    pub cc_args: Vec<OsString>,
}

/// The runtime library's file name.
const RUNTIME_LIB: &str = "libvais_start.a";

/// Libraries the runtime needs (`--print native-static-libs` of the static library).
const SYSTEM_LIBS: &[&str] = &["-lpthread", "-ldl", "-lm", "-lrt", "-lutil", "-lgcc_s", "-lc"];

pub fn build(path: &Path, opts: &BuildOptions) -> u8 {
    let mut timer = Timer::default();
    let status = match build_inner(path, opts, &mut timer) {
        Ok(()) => 0,
        Err(code) => code,
    };
    if opts.time {
        timer.print();
    }
    status
}

fn fail(message: impl std::fmt::Display) -> u8 {
    vais_runtime::flush_output();
    eprintln!("error: {message}");
    EXIT_COMPILE_ERROR
}

fn build_inner(path: &Path, opts: &BuildOptions, timer: &mut Timer) -> Result<(), u8> {
    let mut sources = SourceMap::new();
    let mut program = driver::front_end_with(path, &mut sources, timer, false)?;
    let Some(main) = program.main else {
        let file = vais_ast::FileId(0);
        let d = Diagnostic::error(Code::E045, "this program has no `main` function, so it cannot be built into an executable", Span::new(file, 0, 0))
            .with_note("add `F main() -> i64 { ... }` (its value is the exit status), or use `vaisc check` to check a library");
        crate::diagnostics::emit_stderr(&sources, &[d]);
        return Err(EXIT_COMPILE_ERROR);
    };
    // The runtime library and the output are checked before compiling (cheap, clear errors).
    let runtime = if opts.emit_obj { None } else { Some(find_runtime().map_err(fail)?) };
    let out = opts.out.clone().unwrap_or_else(|| {
        let stem = path.file_stem().map(PathBuf::from).unwrap_or_else(|| PathBuf::from("a"));
        if opts.emit_obj {
            stem.with_extension("o")
        } else {
            stem
        }
    });
    let (config, baseline) = driver::whole_program_config(false);
    // As `vaisc run`: the optimising tier after the TIR inliner (with `-g` too: the DWARF
    // describes inlined copies).
    let inline = driver::inliner_on(baseline);
    let roots = driver::roots(&program, &sources);
    let files: Vec<vais_runtime::program_info::FileLines> = sources
        .files
        .iter()
        .map(|f| {
            let mut line_starts = vec![0u32];
            line_starts.extend(f.text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i as u32 + 1));
            vais_runtime::program_info::FileLines { name: f.name.clone(), line_starts }
        })
        .collect();
    timer.tier = Some(config.tier().name());
    let locate = |span: Span| sources.location(span);
    let object = timer.record("compile", || {
        driver::inline_program(&mut program, &sources, inline)?;
        let debug_batch = |fs: &[(String, vais_jit::LinkedFunction)]| crate::native_debug::batch(&sources, &program, fs);
        let debug: Option<&vais_jit::object::DebugBatch<'_>> = if opts.debug { Some(&debug_batch) } else { None };
        vais_jit::object::compile_object(&program, &roots, main, files, config, &locate, debug)
    });
    let object = object.map_err(|e| {
        eprintln!("{e}");
        EXIT_COMPILE_ERROR
    })?;
    if opts.emit_obj {
        return std::fs::write(&out, &object.bytes).map_err(|e| fail(format_args!("cannot write `{}`: {e}", out.display())));
    }
    let runtime = runtime.expect("found above");
    let dir = TempDir::new().map_err(|e| fail(format_args!("cannot create a temporary directory: {e}")))?;
    let obj_path = dir.0.join("program.o");
    std::fs::write(&obj_path, &object.bytes).map_err(|e| fail(format_args!("cannot write `{}`: {e}", obj_path.display())))?;
    let exe = dir.0.join("program");
    timer.record("link", || link(&obj_path, &runtime, &exe, opts.debug, &opts.cc_args))?;
    place_output(&exe, &out).map_err(|e| fail(format_args!("cannot write `{}`: {e}", out.display())))
}

/// `libvais_start.a`: `$VAISC_RUNTIME_LIB` if set, else beside the `vaisc` executable (cargo's
/// target directory), else in `../lib/vais/` from it (an installed layout).
fn find_runtime() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("VAISC_RUNTIME_LIB") {
        let p = PathBuf::from(p);
        return if p.is_file() { Ok(p) } else { Err(format!("the runtime library `{}` (VAISC_RUNTIME_LIB) does not exist", p.display())) };
    }
    let exe = std::env::current_exe().map_err(|e| format!("cannot find the runtime library {RUNTIME_LIB}: {e}"))?;
    let exe = exe.canonicalize().unwrap_or(exe);
    let dir = exe.parent().unwrap_or(Path::new("."));
    let candidates = [dir.join(RUNTIME_LIB), dir.join("../lib/vais").join(RUNTIME_LIB)];
    candidates.iter().find(|p| p.is_file()).cloned().ok_or_else(|| {
        format!(
            "cannot find the runtime library {RUNTIME_LIB} (looked in {}); build it with `cargo build --release` (it is the `vais-start` crate) or set VAISC_RUNTIME_LIB",
            candidates.iter().map(|p| format!("`{}`", p.display())).collect::<Vec<_>>().join(" and ")
        )
    })
}

/// Links `obj` with the runtime into the executable `exe` with the C compiler driver (`$CC`,
/// else `cc`). Not position-independent: the object's code has absolute relocations (the
/// JIT's code model). Without `-g` the debug sections (the runtime library's, in a debug build
/// of it) are left out.
fn link(obj: &Path, runtime: &Path, exe: &Path, debug: bool, extra: &[OsString]) -> Result<(), u8> {
    let cc = std::env::var_os("CC").filter(|c| !c.is_empty()).unwrap_or_else(|| "cc".into());
    let mut cmd = Command::new(&cc);
    cmd.arg("-no-pie").arg("-o").arg(exe).arg(obj).arg(runtime).arg("-Wl,--gc-sections");
    if !debug {
        cmd.arg("-Wl,--strip-debug");
    }
    cmd.args(SYSTEM_LIBS).args(extra);
    let shown = std::iter::once(cc.to_string_lossy().into_owned())
        .chain(cmd.get_args().map(|a| a.to_string_lossy().into_owned()))
        .collect::<Vec<_>>()
        .join(" ");
    match cmd.output() {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(fail(format_args!(
            "cannot link: the C compiler driver `{}` was not found (install a C compiler, or set CC to one)",
            cc.to_string_lossy()
        ))),
        Err(e) => Err(fail(format_args!("cannot link: running `{shown}` failed: {e}"))),
        Ok(o) if !o.status.success() => {
            let status = o.status.code().map_or_else(|| "a signal".to_string(), |c| format!("status {c}"));
            Err(fail(format_args!("linking failed: `{shown}` exited with {status}:\n{}", String::from_utf8_lossy(&o.stderr).trim_end())))
        }
        Ok(_) => Ok(()),
    }
}

/// Moves the linked executable to `out` (a copy when they are on different file systems).
fn place_output(exe: &Path, out: &Path) -> std::io::Result<()> {
    if out.is_dir() {
        return Err(std::io::Error::other("it is a directory"));
    }
    match std::fs::rename(exe, out) {
        Ok(()) => Ok(()),
        Err(_) => std::fs::copy(exe, out).map(|_| ()),
    }
}

/// A scratch directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> std::io::Result<TempDir> {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!("vaisc-build-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed)));
        std::fs::create_dir_all(&p)?;
        Ok(TempDir(p))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
