//! The linker is generic over `cranelift_module::Module`: the same translation and code
//! generation that feed the JIT link a program into a `cranelift_object::ObjectModule`, and the
//! object file has the expected symbols and relocations (calls between user functions, string
//! data, runtime built-ins and the interrupt flag resolved by symbol, never by address).

use cranelift_module::default_libcall_names;
use cranelift_object::{ObjectBuilder, ObjectModule};
use object::{Object, ObjectSection, ObjectSymbol, RelocationTarget};
use vais_ast::{FileId, SourceMap};
use vais_jit::{JitConfig, Linker};
use vais_tir::FuncId;

const PROGRAM: &str = r#"
F twice(x: i64) -> i64 = x * 2
F half(x: i64) -> i64 = x / 2
F main() -> i64 {
    puts("linked")
    half(twice(21))
}
"#;

fn isa() -> cranelift_codegen::isa::OwnedTargetIsa {
    let mut b = cranelift_codegen::settings::builder();
    for (k, v) in [("preserve_frame_pointers", "true"), ("enable_llvm_abi_extensions", "true"), ("is_pic", "false")] {
        cranelift_codegen::settings::Configurable::set(&mut b, k, v).unwrap();
    }
    cranelift_native::builder().unwrap().finish(cranelift_codegen::settings::Flags::new(b)).unwrap()
}

fn link(config: JitConfig) -> Vec<u8> {
    let mut sources = SourceMap::new();
    let file = sources.add("prog.vais", PROGRAM);
    assert_eq!(file, FileId(0));
    let (module, diags) = vais_parser::parse_file(file, PROGRAM);
    assert!(diags.is_empty(), "{diags:?}");
    let (program, diags) = vais_types::check_program(&module);
    let program = program.unwrap_or_else(|| panic!("{diags:?}"));
    let main = program.main.expect("main");
    let isa = isa();
    let builder = ObjectBuilder::new(isa.clone(), "prog", default_libcall_names()).unwrap();
    let mut linker = Linker::with_module(ObjectModule::new(builder), config, isa);
    let locate = |s: vais_ast::Span| sources.location(s);
    let linked = linker.link(&program, &[main], &locate).expect("link");
    // main and what it calls, found through the references.
    assert_eq!(linked.functions().len(), 3, "{:?}", linked.functions());
    assert!(linked.functions().contains(&FuncId(main.0)));
    linker.into_module().finish().emit().expect("emit")
}

/// (symbol names defined, symbol names undefined, relocation targets of the text section).
fn read(bytes: &[u8]) -> (Vec<String>, Vec<String>, Vec<String>) {
    let obj = object::File::parse(bytes).expect("parse object");
    let mut defined = vec![];
    let mut undefined = vec![];
    for s in obj.symbols() {
        let name = s.name().unwrap_or("").to_string();
        if name.is_empty() {
            continue;
        }
        if s.is_undefined() {
            undefined.push(name);
        } else {
            defined.push(name);
        }
    }
    let text = obj.section_by_name(".text").expect(".text");
    let mut targets = vec![];
    for (_, r) in text.relocations() {
        if let RelocationTarget::Symbol(i) = r.target() {
            targets.push(obj.symbol_by_index(i).and_then(|s| s.name().map(str::to_string)).unwrap_or_default());
        }
    }
    (defined, undefined, targets)
}

#[test]
fn a_program_links_into_an_object_file() {
    let config = JitConfig { repl_mode: false, interrupt_polls: true, verify: true, verify_tir: true, opt_speed: false, keep_ir: false };
    let (defined, undefined, targets) = read(&link(config));
    for f in ["vais$main", "vais$twice", "vais$half", "vais$main$entry"] {
        assert!(defined.iter().any(|d| d == f), "{f} not defined in {defined:?}");
    }
    // Runtime built-ins and the interrupt flag stay undefined, for the runtime library to provide.
    for u in ["vais_puts", "vais_interrupt_flag"] {
        assert!(undefined.iter().any(|d| d == u), "{u} not imported: {undefined:?}");
    }
    // Calls and data are relocations against those symbols.
    for t in ["vais$twice", "vais$half", "vais_puts", "vais_interrupt_flag", "vais$main"] {
        assert!(targets.iter().any(|x| x == t), "no relocation against {t}: {targets:?}");
    }
    assert!(targets.iter().any(|x| x.starts_with("vais$str$")), "no relocation against the string: {targets:?}");
}

/// REPL mode: calls between user functions go through indirection cells, which are data
/// objects the code refers to by symbol (no absolute address is embedded in the code).
#[test]
fn repl_cells_are_symbols() {
    let config = JitConfig { repl_mode: true, interrupt_polls: true, verify: true, verify_tir: true, opt_speed: false, keep_ir: false };
    let (defined, _, targets) = read(&link(config));
    for c in ["vais$cell$twice", "vais$cell$half"] {
        assert!(defined.iter().any(|d| d == c), "{c} not defined in {defined:?}");
        assert!(targets.iter().any(|t| t == c), "no relocation against {c}: {targets:?}");
    }
    // No code refers to a user function's code directly (only its cell), which is what lets
    // the linker free a replaced version.
    for f in ["vais$twice", "vais$half"] {
        assert!(!targets.iter().any(|t| t == f), "direct relocation against {f}: {targets:?}");
    }
}
