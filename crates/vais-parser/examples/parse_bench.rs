//! Parser throughput benchmark: `cargo run --release -p vais-parser --example parse_bench -- FILE [N]`.
//! Prints the minimum over N runs of lexing alone, `parse_file`, and `load_program`.
use std::time::{Duration, Instant};
use vais_ast::{FileId, SourceMap};

fn min_time(n: usize, mut f: impl FnMut()) -> Duration {
    (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = std::path::PathBuf::from(&args[1]);
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10);
    let text = std::fs::read_to_string(&path).expect("read");
    let lines = text.lines().count();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let lex = min_time(n, || {
        std::hint::black_box(vais_parser::lexer::lex(FileId(0), &text));
    });
    let parse = min_time(n, || {
        std::hint::black_box(vais_parser::parse_file(FileId(0), &text));
    });
    let load = min_time(n, || {
        let mut sm = SourceMap::new();
        std::hint::black_box(vais_parser::load_program(&path, &mut sm).expect("load"));
    });
    println!(
        "{lines} lines: lex {:.2}ms, parse_file {:.2}ms ({:.2}M lines/s), load_program {:.2}ms",
        ms(lex),
        ms(parse),
        lines as f64 / parse.as_secs_f64() / 1e6,
        ms(load)
    );
}
