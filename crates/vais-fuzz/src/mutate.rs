//! Mutation of the test corpus for the front end: byte- and token-level mutants of
//! `tests/conformance/*.vais` and `tests/programs/*.vais` go through `vaisc check`; mutants
//! the checker accepts then go through the in-process compile check (verifier on) and
//! `vaisc run`. Never a panic, an internal compiler error, a crash signal, or a hang of the
//! checker or the compiler (a mutated program may loop forever when run: that is not a bug).

use crate::rng::Rng;
use crate::{case_seed, run, save, Config, Failure, Report};
use std::time::{Duration, Instant};

const TOKENS: &[&str] = &[
    "F", "S", "E", "I", "L", "M", "A", "R", "B", "C", "T", "U", "P", "W", "X", "mut", "self", "Self", "true",
    "false", "spawn", "await", "i8", "u8", "i16", "u16", "i32", "u32", "i64", "u64", "i128", "u128", "f32", "f64",
    "bool", "str", "x", "y", "_", "0", "1", "255", "256", "65536", "2147483648", "9223372036854775807", "1.5",
    "\"s\"", "\"%d\\n\"", "+", "-", "*", "/", "%", "<", ">", "<=", ">=", "==", "!=", "&", "|", "^", "~", "!", "<<",
    ">>", "=", ":=", "+=", "-=", "*=", "/=", "->", "=>", "..", "..=", "?", "@", "(", ")", "{", "}", "[", "]", ",",
    ":", ";", ".", "::", "\n", "...", "*i64", "&mut", "(i64) -> i64", "|x: i64| x", "main", "puts", "printf",
    "print_i64", "malloc", "load_i64", "0 - 1", "@(0)", "[1, 2, 3]", "(1, 2)", "Opt<i64>", "<T>",
];

const NUMBERS: &[&str] = &[
    "0", "1", "2", "7", "127", "128", "255", "256", "32767", "32768", "65535", "65536", "2147483647", "2147483648",
    "4294967295", "4294967296", "9223372036854775807", "100000", "1000000000",
];

/// Splits text into rough tokens (identifiers, numbers, strings, punctuation, whitespace).
fn tokens(s: &str) -> Vec<String> {
    let b = s.as_bytes();
    let mut out = vec![];
    let mut i = 0;
    while i < b.len() {
        let st = i;
        let c = b[i];
        if c.is_ascii_alphanumeric() || c == b'_' {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.') {
                i += 1;
            }
        } else if c == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i = (i + 1).min(b.len());
        } else if c.is_ascii_whitespace() {
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
        } else {
            i += 1;
        }
        out.push(String::from_utf8_lossy(&b[st..i.min(b.len())]).into_owned());
    }
    out
}

/// Applies 1-4 random mutations to `src` (`other` is another corpus file, for splicing).
pub fn mutate(rng: &mut Rng, src: &str, other: &str) -> String {
    let mut s = src.to_string();
    let n = rng.range(1, 4);
    for _ in 0..n {
        s = mutate_once(rng, &s, other);
    }
    s
}

fn mutate_once(rng: &mut Rng, s: &str, other: &str) -> String {
    let mut toks = tokens(s);
    if toks.is_empty() {
        return TOKENS[rng.below(TOKENS.len())].to_string();
    }
    let i = rng.below(toks.len());
    match rng.below(14) {
        0 => {
            toks.remove(i);
        }
        1 => {
            let t = toks[i].clone();
            toks.insert(i, t);
        }
        2 | 3 => toks[i] = TOKENS[rng.below(TOKENS.len())].to_string(),
        4 => toks.insert(i, format!(" {} ", TOKENS[rng.below(TOKENS.len())])),
        5 => {
            // Replace a number by an interesting one.
            let nums: Vec<usize> = (0..toks.len()).filter(|&k| toks[k].as_bytes()[0].is_ascii_digit()).collect();
            if let Some(&k) = nums.get(rng.below(nums.len().max(1))) {
                toks[k] = NUMBERS[rng.below(NUMBERS.len())].to_string();
            }
        }
        6 => {
            // Swap two tokens.
            let j = rng.below(toks.len());
            toks.swap(i, j);
        }
        7 => {
            // Delete a range of tokens.
            let j = (i + rng.below(12)).min(toks.len());
            toks.drain(i..j);
        }
        8 => {
            // Duplicate a range of tokens.
            let j = (i + rng.below(12)).min(toks.len());
            let part: Vec<String> = toks[i..j].to_vec();
            for (k, t) in part.into_iter().enumerate() {
                toks.insert(j + k, t);
            }
        }
        9 => {
            // Splice a slice of another file.
            let ot = tokens(other);
            if !ot.is_empty() {
                let a = rng.below(ot.len());
                let b = (a + rng.below(30)).min(ot.len());
                for (k, t) in ot[a..b].iter().enumerate() {
                    toks.insert(i + k, t.clone());
                }
            }
        }
        10 => {
            // Byte-level: flip, insert or delete one byte.
            let mut b = s.as_bytes().to_vec();
            let k = rng.below(b.len().max(1));
            match rng.below(3) {
                0 if !b.is_empty() => b[k] ^= 1 << rng.below(8),
                1 => b.insert(k.min(b.len()), rng.below(128) as u8),
                _ if !b.is_empty() => {
                    b.remove(k);
                }
                _ => {}
            }
            return String::from_utf8_lossy(&b).into_owned();
        }
        11 => {
            // Swap or duplicate lines.
            let mut lines: Vec<&str> = s.lines().collect();
            if lines.len() > 1 {
                let a = rng.below(lines.len());
                let b = rng.below(lines.len());
                if rng.chance(1, 2) {
                    lines.swap(a, b);
                } else {
                    let l = lines[a];
                    lines.insert(b, l);
                }
            }
            return lines.join("\n");
        }
        12 => {
            // Wrap a token in parentheses or braces.
            let (o, c) = if rng.chance(1, 2) { ("(", ")") } else { ("{ ", " }") };
            toks[i] = format!("{o}{}{c}", toks[i]);
        }
        _ => {
            // Repeat a small token many times (long flat input, moderate size).
            let t = TOKENS[rng.below(TOKENS.len())];
            let k = rng.range(2, 200) as usize;
            toks.insert(i, t.repeat(k));
        }
    }
    toks.concat()
}

/// The corpus: every `.vais` file in the configured directories.
pub fn corpus(cfg: &Config) -> Vec<(String, String)> {
    let mut out = vec![];
    for d in &cfg.corpus {
        let Ok(rd) = std::fs::read_dir(d) else { continue };
        let mut files: Vec<_> = rd.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "vais")).collect();
        files.sort();
        for f in files {
            if let Ok(t) = std::fs::read_to_string(&f) {
                out.push((f.file_name().unwrap().to_string_lossy().into_owned(), t));
            }
        }
    }
    out
}

const CHECK_LIMIT: Duration = Duration::from_secs(10);
const RUN_LIMIT: Duration = Duration::from_secs(3);

/// Feeds a mutant to the REPL line by line: the session never dies (whatever the input, the
/// REPL ends at end of input with status 0), never panics or prints an internal error.
pub fn check_mutant_repl(cfg: &Config, text: &str) -> Option<String> {
    let input = format!("{text}\n");
    let r = run::run(&cfg.vaisc, &["repl"], input.as_bytes(), RUN_LIMIT);
    // A mutant may loop forever at top level, or call `exit`: not the REPL's fault.
    if r.timed_out || text.contains("exit") {
        return None;
    }
    const RAW: &[&str] = &["malloc", "free", "store_", "load_", "memcpy", "puts_ptr", "strlen", "fopen", "fread", "fwrite", "fgets", "fclose", "X F"];
    if RAW.iter().any(|w| text.contains(w)) && r.signal.is_some() {
        return None;
    }
    if let Some(f) = r.fatal() {
        return Some(format!("vaisc repl: {f}\n{}", r.stderr));
    }
    if r.code != Some(0) {
        return Some(format!("vaisc repl died: exit {:?}, signal {:?}\n{}", r.code, r.signal, r.stderr));
    }
    None
}

/// Checks one mutant; returns a description of what went wrong.
pub fn check_mutant(cfg: &Config, text: &str, dir: &std::path::Path) -> Option<String> {
    let path = dir.join("mutant.vais");
    std::fs::write(&path, text).expect("write mutant");
    let ps = path.to_str().unwrap();
    let o = run::run(&cfg.vaisc, &["check", ps], b"", CHECK_LIMIT);
    if let Some(f) = o.fatal() {
        return Some(format!("vaisc check: {f}\n{}", o.stderr));
    }
    if o.code != Some(0) {
        if o.code != Some(1) {
            return Some(format!("vaisc check: exit {:?}\n{}", o.code, o.stderr));
        }
        return None;
    }
    let c = run::run(&cfg.fuzz_exe, &["compile-check", ps], b"", CHECK_LIMIT);
    if c.code != Some(0) {
        let f = c.fatal().unwrap_or_else(|| format!("exit {:?}", c.code));
        return Some(format!("accepted by check, but the compile check (verifier on) failed: {f}\n{}", c.stderr));
    }
    let r = run::run(&cfg.vaisc, &["run", ps], b"", RUN_LIMIT);
    // A program that touches raw memory (or C) may corrupt the heap itself: a crash signal of
    // such a program (e.g. an abort after `free(p)` then `store_i64(p, ..)`) is its own
    // undefined behaviour, not the compiler's.
    const RAW: &[&str] = &["malloc", "free", "store_", "load_", "memcpy", "puts_ptr", "strlen", "fopen", "fread", "fwrite", "fgets", "fclose", "X F"];
    let raw = RAW.iter().any(|w| text.contains(w));
    if !(r.timed_out || raw && r.signal.is_some()) {
        if let Some(f) = r.fatal() {
            return Some(format!("vaisc run: {f}\n{}", r.stderr));
        }
        let compile_failed = r.stderr.lines().any(|l| l.starts_with("error"));
        if r.code == Some(1) && compile_failed && !r.stderr.contains("has no `main` function") {
            return Some(format!("accepted by check but vaisc run fails to compile it:\n{}", r.stderr));
        }
    }
    None
}

pub fn run_mutate(cfg: &Config) -> Report {
    let deadline = cfg.deadline();
    let files = corpus(cfg);
    assert!(!files.is_empty(), "no corpus files in {:?}", cfg.corpus);
    let dir = run::scratch_dir("mutate");
    let mut rep = Report { mode: "mutate", ..Default::default() };
    let mut i = 0;
    while i < cfg.count && Instant::now() < deadline {
        let seed = case_seed(cfg.seed, i);
        i += 1;
        rep.cases += 1;
        if let Some(f) = mutate_case_in(cfg, seed, &dir, &files) {
            if cfg.verbose {
                eprintln!("mutate: seed {seed}: {}", f.what);
            }
            rep.failures.push(f);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    rep
}

/// One mutant of the corpus, from its case seed.
pub fn mutate_case(cfg: &Config, seed: u64, dir: &std::path::Path) -> Option<Failure> {
    mutate_case_in(cfg, seed, dir, &corpus(cfg))
}

fn mutate_case_in(cfg: &Config, seed: u64, dir: &std::path::Path, files: &[(String, String)]) -> Option<Failure> {
    let mut rng = Rng::new(seed);
    let (name, src) = &files[rng.below(files.len())];
    let other = &files[rng.below(files.len())].1;
    let m = mutate(&mut rng, src, other);
    let repl = rng.chance(1, 3);
    let what = check_mutant(cfg, &m, dir).or_else(|| if repl { check_mutant_repl(cfg, &m) } else { None })?;
    let (m, what) = if cfg.minimise { minimise_text(cfg, &m, &what, dir) } else { (m, what) };
    let what = format!("mutant of {name}: {what}");
    let file = save(cfg, "mutate", seed, "vais", &m, &what);
    Some(Failure { mode: "mutate", seed, what, file })
}

/// The first line of a failure description, minus numbers (for "same failure" tests).
fn signature(what: &str) -> String {
    what.lines().next().unwrap_or("").chars().filter(|c| !c.is_ascii_digit()).collect()
}

/// Line then token deletion while the failure keeps its signature (bounded attempts).
fn minimise_text(cfg: &Config, text: &str, what: &str, dir: &std::path::Path) -> (String, String) {
    let sig = signature(what);
    let mut best = text.to_string();
    let mut best_what = what.to_string();
    let mut attempts = 0;
    for chunked_lines in [true, false] {
        let mut progress = true;
        while progress && attempts < 200 {
            progress = false;
            let parts: Vec<String> = if chunked_lines {
                best.split_inclusive('\n').map(String::from).collect()
            } else {
                tokens(&best)
            };
            let mut k = parts.len();
            while k > 0 && attempts < 200 {
                k -= 1;
                let cand: String = parts.iter().enumerate().filter(|(j, _)| *j != k).map(|(_, p)| p.as_str()).collect();
                attempts += 1;
                if let Some(w) = check_mutant(cfg, &cand, dir) {
                    if signature(&w) == sig {
                        best = cand;
                        best_what = w;
                        progress = true;
                        break;
                    }
                }
            }
        }
    }
    (best, best_what)
}
