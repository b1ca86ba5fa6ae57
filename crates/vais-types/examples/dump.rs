//! Debug helper: print the TIR of a file (`cargo run -p vais-types --example dump -- f.vais`).
fn main() {
    let path = std::env::args().nth(1).expect("file");
    let mut sm = vais_ast::SourceMap::new();
    let (m, pd) = vais_parser::load_program(std::path::Path::new(&path), &mut sm).expect("read");
    for d in &pd {
        println!("parse: {} {} at {}", d.code, d.message, sm.location(d.span));
    }
    let (p, d) = vais_types::check_program(&m);
    for d in &d {
        println!("{} {} at {} {:?}", d.code, d.message, sm.location(d.span), d.notes);
    }
    if let Some(p) = p {
        for (i, f) in p.funcs.iter().enumerate() {
            println!("#{} {} {:?} params={:?} caps={:?} ret={}", i, f.name, f.kind, f.params, f.captures, p.ty_name(&f.ret));
            for (j, l) in f.locals.iter().enumerate() {
                println!("   l{} {}: {}", j, l.name, p.ty_name(&l.ty));
            }
            println!("   {:?}", f.body.kind);
        }
        println!("structs {:?}\nenums {:?}\nmain {:?}", p.structs, p.enums, p.main);
    }
}
