//! Object files for `vaisc build`: the linker drives a `cranelift_object::ObjectModule` with
//! the same translation, tier and settings as `vaisc run` (non-PIC code, as the JIT's), and
//! adds what `vais-start` (the executable's C `main`) expects:
//! - `__vais_info` / `__vais_info_len`: an encoded `vais_runtime::program_info::ProgramInfo`
//!   (function names, sizes, line tables, trap and fault sites, inlined frames, and each
//!   source file's name and line starts);
//! - `__vais_code`: one address per function of that table, in its order (data relocations
//!   against the functions' symbols);
//! - `__vais_main`: the entry `extern "C" fn(out: *mut u8)`, forwarding to `main`'s entry
//!   wrapper.
//!
//! Runtime built-ins and `X F` externs stay undefined symbols, for the system linker to
//! resolve against the runtime library and libc/libm.

use cranelift_codegen::ir::InstBuilder;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_module::{default_libcall_names, DataDescription, Linkage, Module};
use cranelift_object::{ObjectBuilder, ObjectModule};
use vais_ast::Span;
use vais_runtime::program_info::{FileLines, FuncInfo, ProgramInfo};
use vais_tir::{FuncId, Program, Ty};

use crate::{err, JitConfig, JitError, JitErrorKind, Linker, LinkedFunction};

/// Adds DWARF sections to the object, with their relocations: `Symbol(i)` is the start of
/// `functions[i]`, `Section(id)` the start of that DWARF section (as added here).
fn add_debug_sections(product: &mut cranelift_object::ObjectProduct, sections: &[vais_debug::RelocatedSection], functions: &[(String, LinkedFunction)]) -> Result<(), String> {
    use cranelift_object::object::write::{Relocation, SectionKind};
    use cranelift_object::object::{RelocationEncoding, RelocationFlags, RelocationKind};
    let obj = &mut product.object;
    let ids: Vec<_> = sections
        .iter()
        .map(|s| {
            let id = obj.add_section(vec![], s.name.as_bytes().to_vec(), SectionKind::Debug);
            obj.set_section_data(id, s.data.clone(), 1);
            id
        })
        .collect();
    for (s, &id) in sections.iter().zip(&ids) {
        for r in &s.relocs {
            let symbol = match r.target {
                gimli::write::RelocationTarget::Symbol(i) => {
                    let f = functions.get(i).ok_or("debug information refers to an unknown function")?;
                    product.functions[f.1.id].ok_or("a function of the debug information has no symbol")?.0
                }
                gimli::write::RelocationTarget::Section(target) => {
                    let at = sections.iter().position(|t| t.name == target.name()).ok_or_else(|| format!("no {} section", target.name()))?;
                    product.object.section_symbol(ids[at])
                }
            };
            let flags = RelocationFlags::Generic { kind: RelocationKind::Absolute, encoding: RelocationEncoding::Generic, size: r.size * 8 };
            product
                .object
                .add_relocation(id, Relocation { offset: r.offset as u64, symbol, addend: r.addend, flags })
                .map_err(|e| format!("debug information relocation: {e}"))?;
        }
    }
    Ok(())
}

/// Describes the linked functions (with their symbols) for the debugger: `vaisc build -g`
/// turns their tables into line rows (addresses are relocations, see
/// `vais_debug::object_sections`).
pub type DebugBatch<'a> = dyn Fn(&[(String, LinkedFunction)]) -> (vais_debug::Batch, Vec<Vec<vais_debug::InlinedCall>>) + 'a;

/// What [`compile_object`] produced.
pub struct Object {
    /// The relocatable ELF object.
    pub bytes: Vec<u8>,
    /// Each linked function (its tables in code offsets), with its symbol name.
    pub functions: Vec<(String, LinkedFunction)>,
}

/// Compiles `roots` (and everything they reference) of `program` into an object file whose
/// entry is `main`. `files` are the source files (names as reports show them, line starts);
/// `locate` formats a span as `file:line:col`.
pub fn compile_object(
    program: &Program,
    roots: &[FuncId],
    main: FuncId,
    files: Vec<FileLines>,
    config: JitConfig,
    locate: &dyn Fn(Span) -> String,
    debug: Option<&DebugBatch<'_>>,
) -> Result<Object, JitError> {
    let link_err = |m: String| err(JitErrorKind::Link, None, m);
    let mut config = config;
    if std::env::var_os("VAIS_JIT_NO_POLLS").is_some() {
        // Measurement knob (poll overhead), as for the JIT: never set by the tools.
        config.interrupt_polls = false;
    }
    let isas = crate::target_isas(&config)?;
    let mut builder = ObjectBuilder::new(isas.0.clone(), "vais", default_libcall_names()).map_err(|e| link_err(format!("object file: {e}")))?;
    // `.eh_frame` for the system unwinder and debuggers (absolute pointers: the executable is
    // linked without PIE, see `vaisc build`).
    builder.unwind_info(true);
    let mut linker = Linker::with_targets(ObjectModule::new(builder), config, isas);
    let mut roots = roots.to_vec();
    if !roots.contains(&main) {
        roots.push(main);
    }
    let linked = linker.link(program, &roots, locate)?;
    let described = linker.describe(program, &linked, locate);
    let entry = linked.entry(main).ok_or_else(|| err(JitErrorKind::Link, Some(&program.func(main).name), "`main` has no entry wrapper"))?;
    let mut module = linker.into_module();

    // `__vais_main`: calls the entry wrapper with its argument.
    let sig = module.declarations().get_function_decl(entry).signature.clone();
    let id = module.declare_function("__vais_main", Linkage::Export, &sig).map_err(|e| link_err(e.to_string()))?;
    let mut ctx = module.make_context();
    ctx.func.signature = sig;
    let mut fbc = FunctionBuilderContext::new();
    {
        let mut b = FunctionBuilder::new(&mut ctx.func, &mut fbc);
        let block = b.create_block();
        b.append_block_params_for_function_params(block);
        b.switch_to_block(block);
        b.seal_block(block);
        let args = b.block_params(block).to_vec();
        let callee = module.declare_func_in_func(entry, b.func);
        let call = b.ins().call(callee, &args);
        let results = b.inst_results(call).to_vec();
        b.ins().return_(&results);
        b.finalize(module.target_config());
    }
    module.define_function(id, &mut ctx).map_err(|e| link_err(format!("defining __vais_main: {e}")))?;

    // The program's tables, and the address of each function in their order.
    let main_status = matches!(program.func(main).ret, Ty::Int(_) | Ty::Bool);
    let funcs = described
        .iter()
        .map(|f| FuncInfo {
            name: f.name.clone(),
            size: f.len as u32,
            file: f.file,
            lines: f.tables.lines.clone(),
            traps: f.tables.traps.iter().map(|&(off, kind, site)| (off, kind as i32, site)).collect(),
            sites: f.tables.sites.clone(),
            inlined: f.tables.inlined.iter().map(|r| (r.start, r.end, r.frames.to_vec())).collect(),
        })
        .collect();
    let info = ProgramInfo { main_status, files, funcs }.encode();
    let functions: Vec<(String, LinkedFunction)> = described
        .iter()
        .map(|f| (module.declarations().get_function_decl(f.id).name.clone().unwrap_or_default(), f.clone()))
        .collect();
    let mut define = |name: &str, d: &DataDescription| -> Result<(), JitError> {
        let id = module.declare_data(name, Linkage::Export, false, false).map_err(|e| link_err(e.to_string()))?;
        module.define_data(id, d).map_err(|e| link_err(format!("defining {name}: {e}")))
    };
    let mut d = DataDescription::new();
    d.define((info.len() as u64).to_le_bytes().to_vec().into_boxed_slice());
    d.set_align(8);
    define("__vais_info_len", &d)?;
    let mut d = DataDescription::new();
    d.define(info.into_boxed_slice());
    define("__vais_info", &d)?;
    let mut d = DataDescription::new();
    // Explicit zero bytes, not `define_zeroinit`: a zero-initialised object goes to `.bss`, where
    // the relocations below would be lost.
    d.define(vec![0u8; 8 * described.len().max(1)].into_boxed_slice());
    d.set_align(8);
    for (i, f) in described.iter().enumerate() {
        let r = d.import_function(f.id.into());
        d.write_function_addr(8 * i as u32, r);
    }
    define("__vais_code", &d)?;
    let mut product = module.finish();
    if let Some(debug) = debug {
        let (batch, inlined) = debug(&functions);
        let sections = vais_debug::object_sections(&batch, &inlined).map_err(|e| link_err(format!("debug information: {e}")))?;
        add_debug_sections(&mut product, &sections, &functions).map_err(link_err)?;
    }
    let bytes = product.emit().map_err(|e| link_err(format!("writing the object file: {e}")))?;
    Ok(Object { bytes, functions })
}
