//! The JIT session: the `JITModule` plus everything declared in it so far (string data,
//! session globals, user functions and their REPL indirection slots, function-value adapters,
//! future thunks, imported symbols).
//!
//! Invariants: one data object per distinct string content; one data object per session global
//! (defined the first time it is needed, never redefined); every Cranelift symbol name of a user
//! function is unique (`vais$<name>`, then `vais$<name>$v2`, ... for redefinitions) and can never
//! collide with a host symbol. Adapters and thunks are generated at most once per user function
//! and queued in `aux` until the batch defines them.

use std::collections::HashMap;

use cranelift_codegen::ir::Signature;
use cranelift_codegen::isa::CallConv;
use cranelift_jit::JITModule;
use cranelift_module::{DataDescription, DataId, FuncId as ClFuncId, Linkage, Module};
use vais_tir::{FuncId, GlobalId, Program};

use crate::abi;
use crate::layout::layout_of;
use crate::translate::R;
use crate::JitConfig;

/// A helper function waiting to be defined in the current batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Aux {
    /// `(out?, env, params...)` adapter around a named function used as a value.
    Adapter(FuncId, ClFuncId),
    /// `(out?, env)` thunk that unpacks a future's captured arguments and calls the function.
    Thunk(FuncId, ClFuncId),
    /// `(out)` wrapper for an entry function.
    Entry(FuncId, ClFuncId),
}

/// Generic over the `Module` it declares into (a `JITModule` for `vaisc run` and the REPL, an
/// `ObjectModule` for object files). Only the linker uses it: translation has no module (it
/// names symbols, `codegen.rs`), and the linker resolves an artifact's symbols here.
pub(crate) struct Session<M: Module + ?Sized = JITModule> {
    pub cc: CallConv,
    pub config: JitConfig,
    strings: HashMap<Vec<u8>, DataId>,
    pub globals: HashMap<GlobalId, DataId>,
    /// Cranelift id of the current definition of each user function (declared or compiled).
    pub funcs: HashMap<FuncId, ClFuncId>,
    /// REPL mode: the indirection cell of each user function, a writable 8-byte data object
    /// (`vais$cell$<name>`) holding the address of its current code. Code refers to it by
    /// symbol (a relocation), never by address; the linker stores each new version's address
    /// there once it is placed.
    pub cells: HashMap<FuncId, DataId>,
    /// REPL tier-up: the hotness counter of each function whose code counts (`tierup.rs`), a
    /// writable 8-byte data object (`vais$count$<name>`), one for all its versions.
    pub counters: HashMap<FuncId, DataId>,
    pub(crate) adapters: HashMap<FuncId, ClFuncId>,
    thunks: HashMap<FuncId, ClFuncId>,
    imports: HashMap<String, ClFuncId>,
    interrupt: Option<DataId>,
    /// How many symbols were named after each base (see [`Session::unique_name`]).
    names: HashMap<String, u32>,
    pub aux: Vec<Aux>,
    /// Array literals placed in REPL input frames by the current batch: (frame, offset, length,
    /// element type); [`crate::Jit::compile`] turns them into addresses once finalized
    /// (artifacts carry them relative to their frame).
    pub session_arrays: Vec<(DataId, u32, u32, vais_tir::Ty)>,
    pub module: M,
}

impl<M: Module> Session<M> {
    pub fn new(module: M, config: JitConfig) -> Session<M> {
        let cc = module.isa().default_call_conv();
        Session {
            module,
            cc,
            config,
            strings: HashMap::new(),
            globals: HashMap::new(),
            funcs: HashMap::new(),
            cells: HashMap::new(),
            counters: HashMap::new(),
            adapters: HashMap::new(),
            thunks: HashMap::new(),
            imports: HashMap::new(),
            interrupt: None,
            names: HashMap::new(),
            aux: vec![],
            session_arrays: vec![],
        }
    }
}

impl<M: Module + ?Sized> Session<M> {

    /// A symbol name not used before in this module, derived from `base`: `base`, then
    /// `base$v2`, `base$v3`, ... (one counter per base: no base ends in `$v<N>`, since Vais
    /// names have no `$`, so no two bases make the same name).
    pub fn unique_name(&mut self, base: &str) -> String {
        let n = self.names.entry(base.to_string()).or_insert(0);
        *n += 1;
        if *n == 1 {
            base.to_string()
        } else {
            format!("{base}$v{n}")
        }
    }

    /// Declares (a new version of) user function `f`.
    pub fn declare_user(&mut self, p: &Program, f: FuncId) -> R<ClFuncId> {
        let def = p.func(f);
        let sig = abi::func_sig(self.cc, def);
        let name = self.unique_name(&format!("vais${}", def.name));
        let id = self
            .module
            .declare_function(&name, Linkage::Export, &sig)
            .map_err(|e| format!("declaring {name}: {e}"))?;
        self.funcs.insert(f, id);
        // (A REPL entry has no cell: nothing calls it, `call_entry` runs it by address.)
        if self.config.repl_mode && !abi::direct_entry(def) && !self.cells.contains_key(&f) {
            let name = self.unique_name(&format!("vais$cell${}", def.name));
            let cell = self.module.declare_data(&name, Linkage::Local, true, false).map_err(|e| e.to_string())?;
            let mut d = DataDescription::new();
            d.define_zeroinit(8);
            d.set_align(8);
            self.module.define_data(cell, &d).map_err(|e| e.to_string())?;
            self.cells.insert(f, cell);
        }
        Ok(id)
    }

    pub fn func_id(&self, f: FuncId) -> R<ClFuncId> {
        self.funcs.get(&f).copied().ok_or_else(|| format!("function #{} was never declared", f.0))
    }

    /// REPL mode: `f`'s indirection cell (calls load the code address from it).
    pub fn cell(&self, f: FuncId) -> Option<DataId> {
        if !self.config.repl_mode {
            return None;
        }
        self.cells.get(&f).copied()
    }

    /// Imports a host or runtime symbol (resolved at finalize time).
    pub fn import(&mut self, name: &str, sig: &Signature) -> R<ClFuncId> {
        if let Some(id) = self.imports.get(name) {
            return Ok(*id);
        }
        let id = self
            .module
            .declare_function(name, Linkage::Import, sig)
            .map_err(|e| format!("importing {name}: {e}"))?;
        self.imports.insert(name.to_string(), id);
        Ok(id)
    }

    /// The hotness counter of `f` (declared the first time, starting at `init`).
    pub fn counter(&mut self, p: &Program, f: FuncId, init: i64) -> R<DataId> {
        if let Some(id) = self.counters.get(&f) {
            return Ok(*id);
        }
        let name = self.unique_name(&format!("vais$count${}", p.func(f).name));
        let id = self.module.declare_data(&name, Linkage::Local, true, false).map_err(|e| e.to_string())?;
        let mut d = DataDescription::new();
        d.define(init.to_le_bytes().to_vec().into_boxed_slice());
        d.set_align(8);
        self.module.define_data(id, &d).map_err(|e| e.to_string())?;
        self.counters.insert(f, id);
        Ok(id)
    }

    /// The read-only data object holding `bytes` plus a NUL.
    pub fn string(&mut self, bytes: &[u8]) -> R<DataId> {
        if let Some(id) = self.strings.get(bytes) {
            return Ok(*id);
        }
        let name = format!("vais$str${}", self.strings.len());
        let id = self
            .module
            .declare_data(&name, Linkage::Local, false, false)
            .map_err(|e| e.to_string())?;
        let mut d = DataDescription::new();
        let mut v = bytes.to_vec();
        v.push(0);
        d.define(v.into_boxed_slice());
        self.module.define_data(id, &d).map_err(|e| e.to_string())?;
        self.strings.insert(bytes.to_vec(), id);
        Ok(id)
    }

    /// The writable, zero-initialised data object of session global `g`.
    pub fn global_data(&mut self, p: &Program, g: GlobalId) -> R<DataId> {
        if let Some(id) = self.globals.get(&g) {
            return Ok(*id);
        }
        let def = &p.globals[g.index()];
        let lay = layout_of(p, &def.ty);
        let name = self.unique_name(&format!("vais$global${}", def.name));
        let id = self
            .module
            .declare_data(&name, Linkage::Export, true, false)
            .map_err(|e| e.to_string())?;
        let mut d = DataDescription::new();
        d.define_zeroinit(lay.size.max(8) as usize);
        d.set_align(lay.align.max(8) as u64);
        self.module.define_data(id, &d).map_err(|e| e.to_string())?;
        self.globals.insert(g, id);
        Ok(id)
    }

    /// Declares the session-memory frame of REPL entry `func` (defined by [`Session::define_frame`]
    /// once its size is known).
    pub fn frame_data(&mut self, func: &str) -> R<DataId> {
        let name = self.unique_name(&format!("vais${func}$frame"));
        self.module.declare_data(&name, Linkage::Local, true, false).map_err(|e| e.to_string())
    }

    /// Defines a frame declared by [`Session::frame_data`]: `size` zeroed bytes aligned to `align`.
    pub fn define_frame(&mut self, id: DataId, size: u32, align: u32) -> R<()> {
        let mut d = DataDescription::new();
        d.define_zeroinit(size.max(8) as usize);
        d.set_align(align.max(8) as u64);
        self.module.define_data(id, &d).map_err(|e| e.to_string())
    }

    /// The runtime's interrupt flag, when polls are enabled.
    pub fn interrupt_flag(&mut self) -> R<Option<DataId>> {
        if !self.config.interrupt_polls {
            return Ok(None);
        }
        if let Some(id) = self.interrupt {
            return Ok(Some(id));
        }
        let id = self
            .module
            .declare_data("vais_interrupt_flag", Linkage::Import, true, false)
            .map_err(|e| e.to_string())?;
        self.interrupt = Some(id);
        Ok(Some(id))
    }

    /// The adapter making named function `f` callable as a closure-convention `Fn` value.
    pub fn adapter(&mut self, p: &Program, f: FuncId) -> R<ClFuncId> {
        if let Some(id) = self.adapters.get(&f) {
            return Ok(*id);
        }
        let def = p.func(f);
        let sig = abi::vais_sig(self.cc, &def.param_types(), &def.ret, true);
        let name = self.unique_name(&format!("vais${}$fnval", def.name));
        let id = self
            .module
            .declare_function(&name, Linkage::Local, &sig)
            .map_err(|e| e.to_string())?;
        self.adapters.insert(f, id);
        self.aux.push(Aux::Adapter(f, id));
        Ok(id)
    }

    /// Forgets an adapter or thunk (its definition failed), so the next use generates a new one.
    pub fn forget_helper(&mut self, id: ClFuncId) {
        self.adapters.retain(|_, v| *v != id);
        self.thunks.retain(|_, v| *v != id);
    }

    /// The thunk that runs a future of async function `f`.
    pub fn thunk(&mut self, p: &Program, f: FuncId) -> R<ClFuncId> {
        if let Some(id) = self.thunks.get(&f) {
            return Ok(*id);
        }
        let def = p.func(f);
        let sig = abi::thunk_sig(self.cc, &def.ret);
        let name = self.unique_name(&format!("vais${}$thunk", def.name));
        let id = self
            .module
            .declare_function(&name, Linkage::Local, &sig)
            .map_err(|e| e.to_string())?;
        self.thunks.insert(f, id);
        self.aux.push(Aux::Thunk(f, id));
        Ok(id)
    }
}
