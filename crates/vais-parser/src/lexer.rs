//! The lexer: turns source text into a flat `Vec<Token>` (always ending with `Eof`) plus
//! `L001` diagnostics. It owns the lexical grammar of LANGUAGE.md §2: maximal munch, `#`
//! comments to end of line, decimal integers (underscores dropped, > i64::MAX is an error),
//! floats with digits on both sides of the point, string literals with escape processing
//! (Project decision 1), keyword recognition, and the ASCII-only rule outside strings/comments.
//! Newlines are not tokens. The lexer never fails: bad characters are reported and skipped.

use vais_ast::ast::PrimType;
use vais_ast::{Diagnostic, FileId, Span};

/// Keyword tokens (§2.6). Primitive type names are `TokenKind::Prim`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Keyword {
    F,
    S,
    E,
    I,
    L,
    M,
    A,
    R,
    B,
    C,
    T,
    U,
    P,
    W,
    X,
    Mut,
    SelfValue,
    SelfType,
    True,
    False,
    Spawn,
    Await,
    Weak,
    Clone,
}

impl Keyword {
    pub const ALL: [Keyword; 24] = [
        Keyword::F,
        Keyword::S,
        Keyword::E,
        Keyword::I,
        Keyword::L,
        Keyword::M,
        Keyword::A,
        Keyword::R,
        Keyword::B,
        Keyword::C,
        Keyword::T,
        Keyword::U,
        Keyword::P,
        Keyword::W,
        Keyword::X,
        Keyword::Mut,
        Keyword::SelfValue,
        Keyword::SelfType,
        Keyword::True,
        Keyword::False,
        Keyword::Spawn,
        Keyword::Await,
        Keyword::Weak,
        Keyword::Clone,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Keyword::F => "F",
            Keyword::S => "S",
            Keyword::E => "E",
            Keyword::I => "I",
            Keyword::L => "L",
            Keyword::M => "M",
            Keyword::A => "A",
            Keyword::R => "R",
            Keyword::B => "B",
            Keyword::C => "C",
            Keyword::T => "T",
            Keyword::U => "U",
            Keyword::P => "P",
            Keyword::W => "W",
            Keyword::X => "X",
            Keyword::Mut => "mut",
            Keyword::SelfValue => "self",
            Keyword::SelfType => "Self",
            Keyword::True => "true",
            Keyword::False => "false",
            Keyword::Spawn => "spawn",
            Keyword::Await => "await",
            Keyword::Weak => "weak",
            Keyword::Clone => "clone",
        }
    }

    pub fn from_word(s: &str) -> Option<Keyword> {
        Keyword::from_bytes(s.as_bytes())
    }

    /// `from_word` on raw bytes, dispatching on the length first (the lexer's hot path).
    #[inline]
    fn from_bytes(w: &[u8]) -> Option<Keyword> {
        Some(match w {
            [c] => match c {
                b'F' => Keyword::F,
                b'S' => Keyword::S,
                b'E' => Keyword::E,
                b'I' => Keyword::I,
                b'L' => Keyword::L,
                b'M' => Keyword::M,
                b'A' => Keyword::A,
                b'R' => Keyword::R,
                b'B' => Keyword::B,
                b'C' => Keyword::C,
                b'T' => Keyword::T,
                b'U' => Keyword::U,
                b'P' => Keyword::P,
                b'W' => Keyword::W,
                b'X' => Keyword::X,
                _ => return None,
            },
            b"mut" => Keyword::Mut,
            b"self" => Keyword::SelfValue,
            b"Self" => Keyword::SelfType,
            b"true" => Keyword::True,
            b"false" => Keyword::False,
            b"spawn" => Keyword::Spawn,
            b"await" => Keyword::Await,
            b"weak" => Keyword::Weak,
            b"clone" => Keyword::Clone,
            _ => return None,
        })
    }

    /// The 13 single-letter keywords accepted in declaration-name and type-name positions
    /// (§3.2 rule 6): every single letter except `W` and `X`.
    pub fn is_name_letter(self) -> bool {
        matches!(
            self,
            Keyword::F
                | Keyword::S
                | Keyword::E
                | Keyword::I
                | Keyword::L
                | Keyword::M
                | Keyword::A
                | Keyword::R
                | Keyword::B
                | Keyword::C
                | Keyword::T
                | Keyword::U
                | Keyword::P
        )
    }
}

/// A token's kind. Tokens own no heap data (the lexer's hot path allocates nothing): an
/// identifier's name is the token's text (its span in the source), and a string literal's
/// bytes are in the lexer's string table.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TokenKind {
    /// Decimal integer, already known to fit in `0..=i64::MAX` (0 after an overflow error).
    Int(u64),
    Float(f64),
    /// Index of the literal's bytes (after escape processing) in the lexer's string table.
    Str(u32),
    /// An identifier: its name is the token's text.
    Ident,
    Kw(Keyword),
    Prim(PrimType),
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Lt,
    Gt,
    Le,
    Ge,
    EqEq,
    Ne,
    Amp,
    Pipe,
    Caret,
    Tilde,
    Bang,
    Shl,
    Shr,
    Eq,
    ColonEq,
    PlusEq,
    MinusEq,
    StarEq,
    SlashEq,
    Arrow,
    FatArrow,
    DotDot,
    DotDotEq,
    Question,
    At,
    LParen,
    RParen,
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    Comma,
    Colon,
    Semi,
    Dot,
    ColonColon,
    Eof,
}

impl TokenKind {
    /// The fixed spelling of punctuation tokens (`None` for literals, names and `Eof`).
    pub fn punct_str(&self) -> Option<&'static str> {
        Some(match self {
            TokenKind::Plus => "+",
            TokenKind::Minus => "-",
            TokenKind::Star => "*",
            TokenKind::Slash => "/",
            TokenKind::Percent => "%",
            TokenKind::Lt => "<",
            TokenKind::Gt => ">",
            TokenKind::Le => "<=",
            TokenKind::Ge => ">=",
            TokenKind::EqEq => "==",
            TokenKind::Ne => "!=",
            TokenKind::Amp => "&",
            TokenKind::Pipe => "|",
            TokenKind::Caret => "^",
            TokenKind::Tilde => "~",
            TokenKind::Bang => "!",
            TokenKind::Shl => "<<",
            TokenKind::Shr => ">>",
            TokenKind::Eq => "=",
            TokenKind::ColonEq => ":=",
            TokenKind::PlusEq => "+=",
            TokenKind::MinusEq => "-=",
            TokenKind::StarEq => "*=",
            TokenKind::SlashEq => "/=",
            TokenKind::Arrow => "->",
            TokenKind::FatArrow => "=>",
            TokenKind::DotDot => "..",
            TokenKind::DotDotEq => "..=",
            TokenKind::Question => "?",
            TokenKind::At => "@",
            TokenKind::LParen => "(",
            TokenKind::RParen => ")",
            TokenKind::LBrace => "{",
            TokenKind::RBrace => "}",
            TokenKind::LBracket => "[",
            TokenKind::RBracket => "]",
            TokenKind::Comma => ",",
            TokenKind::Colon => ":",
            TokenKind::Semi => ";",
            TokenKind::Dot => ".",
            TokenKind::ColonColon => "::",
            _ => return None,
        })
    }

    /// How the token is named in "found ..." messages.
    pub fn describe(&self) -> String {
        if let Some(p) = self.punct_str() {
            return format!("`{p}`");
        }
        match self {
            TokenKind::Int(v) => format!("integer literal `{v}`"),
            TokenKind::Float(_) => "float literal".to_string(),
            TokenKind::Str(_) => "string literal".to_string(),
            TokenKind::Ident => "identifier".to_string(),
            TokenKind::Kw(k) => format!("keyword `{}`", k.as_str()),
            TokenKind::Prim(p) => format!("type `{}`", p.name()),
            _ => "end of input".to_string(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Token {
    pub kind: TokenKind,
    /// Byte span in the source text.
    pub span: Span,
}

/// Everything the lexer produces.
#[derive(Clone, Debug)]
pub(crate) struct LexOutput {
    pub tokens: Vec<Token>,
    /// The bytes of the string literals, indexed by `TokenKind::Str`.
    pub strings: Vec<Vec<u8>>,
    pub diags: Vec<Diagnostic>,
    /// The text ended inside a string literal (the REPL then asks for more input).
    pub unterminated_string: bool,
}

/// Lexes `text`; the token list always ends with an `Eof` token whose span is empty and sits
/// at the end of the text.
pub fn lex(file: FileId, text: &str) -> (Vec<Token>, Vec<Diagnostic>) {
    let out = lex_full(file, text);
    (out.tokens, out.diags)
}


pub(crate) fn lex_full(file: FileId, text: &str) -> LexOutput {
    lex_range(file, text, 0)
}

/// Lexes `text[start..]` (`start` on a char boundary); spans are offsets into the whole `text`.
pub(crate) fn lex_range(file: FileId, text: &str, start: usize) -> LexOutput {
    let mut lx = Lexer {
        file,
        src: text.as_bytes(),
        pos: start,
        // Dense code averages about 2.5 bytes per token, typical code 4 or more: reserving one
        // token per 2 bytes avoids a reallocation (and a copy of the whole list) in practice;
        // pages of the reservation that are never written cost nothing.
        tokens: Vec::with_capacity((text.len() - start) / 2 + 1),
        strings: Vec::new(),
        diags: Vec::new(),
        unterminated: false,
    };
    lx.run();
    let end = lx.src.len() as u32;
    lx.tokens.push(Token {
        kind: TokenKind::Eof,
        span: Span::new(file, end, end),
    });
    LexOutput {
        tokens: lx.tokens,
        strings: lx.strings,
        diags: lx.diags,
        unterminated_string: lx.unterminated,
    }
}

struct Lexer<'a> {
    file: FileId,
    src: &'a [u8],
    pos: usize,
    tokens: Vec<Token>,
    strings: Vec<Vec<u8>>,
    diags: Vec<Diagnostic>,
    unterminated: bool,
}

impl Lexer<'_> {
    fn byte(&self, i: usize) -> u8 {
        self.src.get(i).copied().unwrap_or(0)
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start as u32, end as u32)
    }

    fn push(&mut self, kind: TokenKind, start: usize) {
        let span = self.span(start, self.pos);
        self.tokens.push(Token { kind, span });
    }

    fn error(&mut self, msg: impl Into<String>, start: usize, end: usize) {
        let span = self.span(start, end);
        self.diags.push(Diagnostic::error("L001", msg, span));
    }

    fn run(&mut self) {
        while self.pos < self.src.len() {
            let c = self.src[self.pos];
            let start = self.pos;
            match c {
                b' ' | b'\t' | b'\r' | b'\n' => {
                    self.pos += 1;
                    while self.pos < self.src.len()
                        && matches!(self.src[self.pos], b' ' | b'\t' | b'\r' | b'\n')
                    {
                        self.pos += 1;
                    }
                }
                b'#' => {
                    while self.pos < self.src.len() && self.src[self.pos] != b'\n' {
                        self.pos += 1;
                    }
                }
                b'0'..=b'9' => self.number(),
                b'a'..=b'z' | b'A'..=b'Z' | b'_' => self.word(),
                b'"' => self.string(),
                _ if c >= 0x80 => {
                    // Skip the whole UTF-8 sequence (the text is valid UTF-8).
                    self.pos += 1;
                    while self.pos < self.src.len() && (self.src[self.pos] & 0xC0) == 0x80 {
                        self.pos += 1;
                    }
                    self.error(
                        "non-ASCII character outside a string or comment",
                        start,
                        self.pos,
                    );
                }
                _ => {
                    if let Some((kind, len)) = self.punct() {
                        self.pos += len;
                        self.push(kind, start);
                    } else {
                        self.pos += 1;
                        let shown = if c.is_ascii_graphic() {
                            format!("`{}`", c as char)
                        } else {
                            format!("byte 0x{c:02X}")
                        };
                        self.error(format!("invalid character {shown}"), start, self.pos);
                    }
                }
            }
        }
    }

    fn punct(&self) -> Option<(TokenKind, usize)> {
        use TokenKind::*;
        let (a, b, c) = (
            self.byte(self.pos),
            self.byte(self.pos + 1),
            self.byte(self.pos + 2),
        );
        let three = match (a, b, c) {
            (b'.', b'.', b'=') => Some(DotDotEq),
            _ => None,
        };
        if let Some(k) = three {
            return Some((k, 3));
        }
        let two = match (a, b) {
            (b'<', b'=') => Some(Le),
            (b'>', b'=') => Some(Ge),
            (b'=', b'=') => Some(EqEq),
            (b'!', b'=') => Some(Ne),
            (b'<', b'<') => Some(Shl),
            (b'>', b'>') => Some(Shr),
            (b':', b'=') => Some(ColonEq),
            (b'+', b'=') => Some(PlusEq),
            (b'-', b'=') => Some(MinusEq),
            (b'*', b'=') => Some(StarEq),
            (b'/', b'=') => Some(SlashEq),
            (b'-', b'>') => Some(Arrow),
            (b'=', b'>') => Some(FatArrow),
            (b'.', b'.') => Some(DotDot),
            (b':', b':') => Some(ColonColon),
            _ => None,
        };
        if let Some(k) = two {
            return Some((k, 2));
        }
        let one = match a {
            b'+' => Plus,
            b'-' => Minus,
            b'*' => Star,
            b'/' => Slash,
            b'%' => Percent,
            b'<' => Lt,
            b'>' => Gt,
            b'&' => Amp,
            b'|' => Pipe,
            b'^' => Caret,
            b'~' => Tilde,
            b'!' => Bang,
            b'=' => Eq,
            b'?' => Question,
            b'@' => At,
            b'(' => LParen,
            b')' => RParen,
            b'{' => LBrace,
            b'}' => RBrace,
            b'[' => LBracket,
            b']' => RBracket,
            b',' => Comma,
            b':' => Colon,
            b';' => Semi,
            b'.' => Dot,
            _ => return None,
        };
        Some((one, 1))
    }

    fn word(&mut self) {
        let start = self.pos;
        while self.pos < self.src.len()
            && (self.src[self.pos].is_ascii_alphanumeric() || self.src[self.pos] == b'_')
        {
            self.pos += 1;
        }
        // Only ASCII bytes were consumed, so this slice is valid UTF-8.
        let bytes = &self.src[start..self.pos];
        let kind = if let Some(k) = Keyword::from_bytes(bytes) {
            TokenKind::Kw(k)
        } else if let Some(p) = prim_from_bytes(bytes) {
            TokenKind::Prim(p)
        } else {
            TokenKind::Ident
        };
        self.push(kind, start);
    }

    /// `[0-9][0-9_]*` possibly followed by `.` digit (float) and an exponent.
    fn number(&mut self) {
        let start = self.pos;
        // Fast path: an integer literal (no `.digit` after the digits) is accumulated directly.
        let mut p = start;
        let mut value: u64 = 0;
        let mut overflow = false;
        while p < self.src.len() && (self.src[p].is_ascii_digit() || self.src[p] == b'_') {
            let b = self.src[p];
            if b != b'_' {
                match value
                    .checked_mul(10)
                    .and_then(|v| v.checked_add(u64::from(b - b'0')))
                {
                    Some(v) => value = v,
                    None => overflow = true,
                }
            }
            p += 1;
        }
        let is_float = self.byte(p) == b'.' && self.byte(p + 1).is_ascii_digit();
        if !is_float {
            self.pos = p;
            if !overflow && value <= i64::MAX as u64 {
                self.push(TokenKind::Int(value), start);
            } else {
                self.error(
                    "integer literal is too large (the maximum is 9223372036854775807)",
                    start,
                    self.pos,
                );
                self.push(TokenKind::Int(0), start);
            }
            return;
        }
        // A float: the integer digits already scanned, `.`, then the fraction digits
        // (underscores are dropped from the mantissa).
        let mut mantissa: String =
            self.src[start..p].iter().filter(|&&b| b != b'_').map(|&b| b as char).collect();
        mantissa.push('.');
        self.pos = p + 1;
        while self.pos < self.src.len()
            && (self.src[self.pos].is_ascii_digit() || self.src[self.pos] == b'_')
        {
            if self.src[self.pos] != b'_' {
                mantissa.push(self.src[self.pos] as char);
            }
            self.pos += 1;
        }
        // Exponent: [eE][+-]?[0-9]+, taken only if complete.
        if matches!(self.byte(self.pos), b'e' | b'E') {
            let mut p = self.pos + 1;
            if matches!(self.byte(p), b'+' | b'-') {
                p += 1;
            }
            if self.byte(p).is_ascii_digit() {
                while self.byte(p).is_ascii_digit() {
                    p += 1;
                }
                let exp = std::str::from_utf8(&self.src[self.pos..p]).unwrap_or("");
                mantissa.push_str(exp);
                self.pos = p;
            }
        }
        let v = mantissa.parse::<f64>().unwrap_or(0.0);
        self.push(TokenKind::Float(v), start);
    }

    fn string(&mut self) {
        let start = self.pos;
        self.pos += 1;
        let mut bytes = Vec::new();
        loop {
            if self.pos >= self.src.len() {
                self.error("unterminated string literal", start, self.pos);
                self.unterminated = true;
                return;
            }
            let c = self.src[self.pos];
            match c {
                b'"' => {
                    self.pos += 1;
                    break;
                }
                b'\\' => {
                    let n = self.byte(self.pos + 1);
                    if self.pos + 1 >= self.src.len() {
                        self.error("unterminated string literal", start, self.src.len());
                        self.pos = self.src.len();
                        self.unterminated = true;
                        return;
                    }
                    match n {
                        b'n' => bytes.push(b'\n'),
                        b't' => bytes.push(b'\t'),
                        b'r' => bytes.push(b'\r'),
                        b'0' => bytes.push(0),
                        b'\\' => bytes.push(b'\\'),
                        b'"' => bytes.push(b'"'),
                        b'\n' => {
                            self.error(
                                "backslash before a line break in a string literal",
                                self.pos,
                                self.pos + 1,
                            );
                            bytes.push(b'\n');
                        }
                        b'x' if hex(self.byte(self.pos + 2)).is_some()
                            && hex(self.byte(self.pos + 3)).is_some() =>
                        {
                            let hi = hex(self.byte(self.pos + 2)).unwrap_or(0);
                            let lo = hex(self.byte(self.pos + 3)).unwrap_or(0);
                            bytes.push(hi * 16 + lo);
                            self.pos += 2;
                        }
                        _ => {
                            // Unknown escape: keep the backslash; the next char is taken normally.
                            bytes.push(b'\\');
                            self.pos += 1;
                            continue;
                        }
                    }
                    self.pos += 2;
                }
                _ => {
                    bytes.push(c);
                    self.pos += 1;
                }
            }
        }
        self.strings.push(bytes);
        self.push(TokenKind::Str(self.strings.len() as u32 - 1), start);
    }
}

fn prim_from_bytes(w: &[u8]) -> Option<PrimType> {
    // Every primitive type name is 2..=4 bytes and starts with one of `i u f b s`.
    match w.first() {
        Some(b'i' | b'u' | b'f' | b'b' | b's') if (2..=4).contains(&w.len()) => {
            PrimType::from_name(std::str::from_utf8(w).ok()?)
        }
        _ => None,
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}
