//! Compiles `src/protect.c`, the `sigsetjmp` trampoline used by fault containment.
fn main() {
    println!("cargo:rerun-if-changed=src/protect.c");
    cc::Build::new().file("src/protect.c").flag_if_supported("-fno-omit-frame-pointer").compile("vais_protect");
}
