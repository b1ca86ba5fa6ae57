//! Randomly generated type declarations (structs, enums and aliases that mention each other
//! by value, through pointers, tuples, optionals, arrays and generic arguments): the checker
//! never panics, and when it accepts a program every struct and enum layout in its TIR is
//! finite (no instance holds itself by value) and the TIR validates. Deterministic (fixed
//! seeds), so a failure names its seed.

mod common;
use common::*;
use vais_tir::*;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const NAMES: [&str; 5] = ["Aa", "Bb", "Cc", "Dd", "Ee"];

struct Gen {
    rng: Rng,
    generic: [bool; 5],
    /// 0 struct, 1 enum, 2 alias
    kind: [u8; 5],
}

impl Gen {
    fn ty(&mut self, depth: u32, in_generic: bool) -> String {
        let r = self.rng.below(100);
        if in_generic && r < 15 {
            return "T".into();
        }
        if depth > 2 || r < 30 {
            return ["i64", "u8", "f64", "bool"][self.rng.below(4) as usize].into();
        }
        if r < 50 {
            return format!("*{}", self.named(depth, in_generic));
        }
        if r < 60 {
            return format!("({}, {})", self.ty(depth + 1, in_generic), self.ty(depth + 1, in_generic));
        }
        if r < 66 {
            let inner = self.ty(depth + 1, in_generic);
            // (`T??` is not written: one `?` per type.)
            return if inner.ends_with('?') { inner } else { format!("{}?", inner) };
        }
        if r < 72 {
            return format!("[{}]", self.ty(depth + 1, in_generic));
        }
        self.named(depth, in_generic)
    }

    fn named(&mut self, depth: u32, in_generic: bool) -> String {
        let i = self.rng.below(5) as usize;
        let n = NAMES[i];
        if self.generic[i] && self.kind[i] != 2 {
            // (A space before `>`: the parser reads `>>` as a shift, not two closers.)
            format!("{}<{} >", n, self.ty(depth + 1, in_generic))
        } else {
            n.into()
        }
    }

    fn program(&mut self) -> String {
        for i in 0..5 {
            self.generic[i] = self.rng.below(3) == 0;
            self.kind[i] = [0, 0, 0, 1, 1, 2][self.rng.below(6) as usize];
        }
        let mut src = String::new();
        for (i, n) in NAMES.iter().enumerate() {
            let g = self.generic[i] && self.kind[i] != 2;
            let gp = if g { "<T>" } else { "" };
            let line = match self.kind[i] {
                0 => format!("S {n}{gp} {{ a: {}, b: {} }}\n", self.ty(0, g), self.ty(0, g)),
                1 => format!("E {n}{gp} {{ V{n}({}), W{n} }}\n", self.ty(0, g)),
                _ => format!("T {n} = {}\n", self.ty(0, false)),
            };
            src.push_str(&line);
        }
        for (i, n) in NAMES.iter().enumerate() {
            if self.kind[i] == 2 {
                continue;
            }
            let a = if self.generic[i] { "<i64>" } else { "" };
            src.push_str(&format!("F u{n}(x: {n}{a}, y: *{n}{a}) -> i64 = 0\n"));
        }
        src.push_str("F main() -> i64 = 0\n");
        src
    }
}

/// The structs and enums a value of type `t` holds by value.
fn held(t: &Ty, out: &mut Vec<(bool, u32)>) {
    match t {
        Ty::Struct(id) => out.push((true, id.0)),
        Ty::Enum(id) => out.push((false, id.0)),
        Ty::Tuple(ts) => ts.iter().for_each(|t| held(t, out)),
        Ty::Optional(x) | Ty::Range(x) => held(x, out),
        _ => {}
    }
}

/// Whether some struct or enum of `p` holds itself by value (DFS over the layout graph).
fn has_infinite_layout(p: &Program) -> bool {
    let node = |(s, i): (bool, u32)| if s { i as usize } else { p.structs.len() + i as usize };
    let n = p.structs.len() + p.enums.len();
    let mut edges = vec![vec![]; n];
    for (i, s) in p.structs.iter().enumerate() {
        let mut out = vec![];
        s.fields.iter().for_each(|f| held(&f.ty, &mut out));
        edges[i] = out.into_iter().map(node).collect();
    }
    for (i, e) in p.enums.iter().enumerate() {
        let mut out = vec![];
        e.variants.iter().flat_map(|v| v.fields.iter()).for_each(|t| held(t, &mut out));
        edges[p.structs.len() + i] = out.into_iter().map(node).collect();
    }
    // 0 unvisited, 1 on the path, 2 done
    let mut mark = vec![0u8; n];
    fn dfs(v: usize, edges: &[Vec<usize>], mark: &mut [u8]) -> bool {
        mark[v] = 1;
        for &w in &edges[v] {
            if mark[w] == 1 || (mark[w] == 0 && dfs(w, edges, mark)) {
                return true;
            }
        }
        mark[v] = 2;
        false
    }
    (0..n).any(|v| mark[v] == 0 && dfs(v, &edges, &mut mark))
}

#[test]
fn accepted_declarations_have_finite_layouts() {
    let (mut accepted, mut rejected) = (0, 0);
    for seed in 1..=400u64 {
        let mut g = Gen { rng: Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15)), generic: [false; 5], kind: [0; 5] };
        let src = g.program();
        let (prog, diags, _) = check_src(&src);
        match prog {
            Some(p) => {
                accepted += 1;
                assert!(!has_infinite_layout(&p), "seed {seed}: accepted with a type holding itself by value:\n{src}");
                validate(&p);
            }
            None => {
                rejected += 1;
                for d in diags.iter().filter(|d| d.is_error()) {
                    assert!(matches!(d.code, vais_ast::Code::E018 | vais_ast::Code::E019 | vais_ast::Code::E020), "seed {seed}: unexpected {} {}\n{src}", d.code, d.message);
                }
            }
        }
    }
    // Both outcomes are common, so the property is exercised.
    assert!(accepted > 50 && rejected > 50, "accepted {accepted}, rejected {rejected}");
}
