//! REPL `:debug on|off`: debugger images of the session's code through the GDB JIT interface.
//!
//! Every compiled batch (one input, one `:load`) is recorded, whether debugging is on or not
//! (its placed functions and call-frame information: a few words per function). While it is
//! on, each recorded batch that still has live functions is registered as one image (one
//! registration per batch, as the interface wants, never one per function). A function
//! redefined later leaves its old batch's image: that image is registered again without it, or
//! unregistered when nothing of it is left. `:debug off` and `:clear` unregister everything.
//!
//! REPL inputs have no file, so while debugging is on each input's text is written to
//! `TMPDIR/vaisc-PID/G/input-N.vais` and the images name that file: gdb can `list` it and
//! `break input-N.vais:LINE`. `G` counts `:clear`s (input numbers start again after one, and
//! gdb keeps the text of a file it has read). Files given to `:load` keep their own names.

use vais_ast::SourceMap;
use vais_jit::PlacedFunction;

/// One compiled batch.
struct Batch {
    functions: Vec<PlacedFunction>,
    frames: Option<vais_debug::Frames>,
    image: Option<vais_runtime::gdbjit::Registration>,
}

#[derive(Default)]
pub struct DebugImages {
    on: bool,
    /// Batches by number (in compile order); `None` once none of its functions is live.
    batches: Vec<Option<Batch>>,
    /// The batch holding each function's live code.
    owner: std::collections::HashMap<vais_tir::FuncId, usize>,
    /// Where input texts are written while debugging is on (created on first use).
    dir: Option<std::path::PathBuf>,
    /// `:clear`s so far (names the subdirectory of `dir` for this session's inputs).
    generation: u32,
}

impl DebugImages {
    /// Records the batch `jit` placed last (after each successful compile); functions it
    /// compiles again leave the earlier batches' images. Costs a copy of the batch's function
    /// list and frame descriptions, plus the earlier batches it touches.
    pub fn placed(&mut self, jit: &vais_jit::Jit, sources: &SourceMap) {
        let (functions, frames) = jit.last_placed();
        let number = self.batches.len();
        let mut touched: Vec<usize> = Vec::new();
        for f in functions {
            if let Some(id) = f.func {
                if let Some(old) = self.owner.insert(id, number) {
                    if let Some(b) = self.batches[old].as_mut() {
                        b.functions.retain(|g| g.func != Some(id));
                        b.image = None;
                        touched.push(old);
                    }
                }
            }
        }
        touched.sort_unstable();
        touched.dedup();
        for i in touched {
            if self.batches[i].as_ref().is_some_and(|b| b.functions.iter().any(|f| f.func.is_some())) {
                if self.on {
                    self.register(i, sources);
                }
            } else {
                self.batches[i] = None;
            }
        }
        self.batches.push(Some(Batch { functions: functions.to_vec(), frames: frames.cloned(), image: None }));
        if self.on {
            self.register(number, sources);
        }
    }

    /// The entry function `f` of an input that ran was freed: it leaves its batch's image as a
    /// redefined function does (the batch of an input with no definitions goes entirely).
    pub fn released(&mut self, f: vais_tir::FuncId, sources: &SourceMap) {
        let Some(i) = self.owner.remove(&f) else { return };
        if let Some(b) = self.batches[i].as_mut() {
            b.functions.retain(|g| g.func != Some(f));
            b.image = None;
            if b.functions.iter().any(|g| g.func.is_some()) {
                if self.on {
                    self.register(i, sources);
                }
            } else {
                self.batches[i] = None;
            }
        }
        // Batches are numbered by position: only trailing empty ones can go.
        while matches!(self.batches.last(), Some(None)) {
            self.batches.pop();
        }
    }

    /// `:debug on`: registers every live batch. Returns the images' count.
    pub fn turn_on(&mut self, sources: &SourceMap) -> usize {
        self.on = true;
        for i in 0..self.batches.len() {
            if self.batches[i].as_ref().is_some_and(|b| b.image.is_none()) {
                self.register(i, sources);
            }
        }
        self.batches.iter().flatten().filter(|b| b.image.is_some()).count()
    }

    /// `:debug off` (and before the session's code is freed): unregisters every image.
    pub fn turn_off(&mut self) {
        self.on = false;
        self.drop_images();
    }

    fn drop_images(&mut self) {
        // Newest first (each unregistration is one debugger stop; order does not matter to it).
        for b in self.batches.iter_mut().rev().flatten() {
            b.image = None;
        }
    }

    /// `:clear`, before the session's code is freed: unregisters every image and forgets every
    /// batch (debugging stays on or off).
    pub fn forget_code(&mut self) {
        self.drop_images();
        self.batches.clear();
        self.owner.clear();
        self.generation += 1;
    }

    /// Registers batch `i`'s image (a failure is a warning).
    fn register(&mut self, i: usize, sources: &SourceMap) {
        let dir = self.input_dir();
        let rename = |name: &str| -> Option<String> {
            let n: usize = name.strip_prefix("<input ")?.strip_suffix('>')?.parse().ok()?;
            let text = &sources.files.iter().find(|f| f.name == name)?.text;
            let dir = dir.as_ref()?.join(self.generation.to_string());
            std::fs::create_dir_all(&dir).ok()?;
            let path = dir.join(format!("input-{n}.vais"));
            std::fs::write(&path, text).ok()?;
            Some(path.display().to_string())
        };
        let Some(b) = self.batches[i].as_mut() else { return };
        if !b.functions.iter().any(|f| f.func.is_some()) {
            return;
        }
        match crate::lines::debug_image(sources, &b.functions, b.frames.as_ref(), &rename) {
            Ok(image) => b.image = Some(vais_runtime::gdbjit::register(image)),
            Err(e) => eprintln!("warning: no debug info for this input: {e}"),
        }
    }

    fn input_dir(&mut self) -> Option<std::path::PathBuf> {
        if self.dir.is_none() {
            let dir = std::env::temp_dir().join(format!("vaisc-{}", std::process::id()));
            std::fs::create_dir_all(&dir).ok()?;
            self.dir = Some(dir);
        }
        self.dir.clone()
    }
}

impl Drop for DebugImages {
    fn drop(&mut self) {
        self.turn_off();
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
