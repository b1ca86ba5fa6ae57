//! The lexer: turns source text into a flat `Vec<Token>` (always ending with `Eof`) plus
//! `L001` diagnostics. It owns the lexical grammar of LANGUAGE.md §2: maximal munch, `#`
//! comments to end of line, integers in decimal, `0x` hex, `0o` octal and `0b` binary
//! (underscores dropped, > u64::MAX is an error), floats with digits on both sides of the point
//! and/or an exponent (`1e10`), character literals (`'a'`, `'\n'`, `'\x41'`: integer tokens
//! holding one byte, Extensions decision 13), string literals with escape processing
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
    /// `as` (Extensions decision 12).
    As,
}

impl Keyword {
    pub const ALL: [Keyword; 25] = [
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
        Keyword::As,
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
            Keyword::As => "as",
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
            b"as" => Keyword::As,
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
    /// Integer literal (any base, or a character literal), `0..=u64::MAX` (0 after an error).
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
        self.diags.push(Diagnostic::error(vais_ast::Code::L001, msg, span));
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
                b'\'' => self.char_lit(),
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

    /// `0x`/`0o`/`0b` integers, or `[0-9][0-9_]*` possibly followed by `.` digit (float)
    /// and/or an exponent (`1e10` is a float too). Underscores may separate digits in any
    /// base. An integer literal holds up to `u64::MAX`; whether it fits its type is the
    /// checker's question (an unsuffixed literal is `i64`).
    fn number(&mut self) {
        let start = self.pos;
        if self.src[start] == b'0' {
            let radix = match self.byte(start + 1) {
                b'x' | b'X' => 16,
                b'o' | b'O' => 8,
                b'b' | b'B' => 2,
                _ => 0,
            };
            if radix != 0 {
                self.radix_int(start, radix);
                return;
            }
        }
        // Fast path: an integer literal (no `.digit` or exponent after the digits) is
        // accumulated directly.
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
        let point = self.byte(p) == b'.' && self.byte(p + 1).is_ascii_digit();
        let exponent = self.exponent_len(p) > 0;
        if !point && !exponent {
            self.pos = p;
            self.int_token(value, overflow, start);
            return;
        }
        // A float: the integer digits already scanned, then `.` and the fraction digits
        // (underscores are dropped from the mantissa).
        let mut mantissa: String =
            self.src[start..p].iter().filter(|&&b| b != b'_').map(|&b| b as char).collect();
        self.pos = p;
        if point {
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
        }
        // Exponent: [eE][+-]?[0-9]+, taken only if complete.
        let n = self.exponent_len(self.pos);
        if n > 0 {
            let exp = std::str::from_utf8(&self.src[self.pos..self.pos + n]).unwrap_or("");
            mantissa.push_str(exp);
            self.pos += n;
        }
        let v = mantissa.parse::<f64>().unwrap_or(0.0);
        if v.is_infinite() {
            self.error("float literal is too large (it would be infinite)", start, self.pos);
        }
        self.push(TokenKind::Float(v), start);
    }

    /// The length of a complete exponent `[eE][+-]?[0-9]+` at `p` (0 if there is none).
    #[inline]
    fn exponent_len(&self, p: usize) -> usize {
        if !matches!(self.byte(p), b'e' | b'E') {
            return 0;
        }
        let mut q = p + 1;
        if matches!(self.byte(q), b'+' | b'-') {
            q += 1;
        }
        if !self.byte(q).is_ascii_digit() {
            return 0;
        }
        while self.byte(q).is_ascii_digit() {
            q += 1;
        }
        q - p
    }

    #[inline]
    fn int_token(&mut self, value: u64, overflow: bool, start: usize) {
        if !overflow {
            self.push(TokenKind::Int(value), start);
        } else {
            self.error(
                "integer literal is too large (the maximum is 18446744073709551615, `u64::MAX`)",
                start,
                self.pos,
            );
            self.push(TokenKind::Int(0), start);
        }
    }

    /// `0x1F`, `0o17`, `0b1010` (with `_` between digits): the prefix is at `start`.
    fn radix_int(&mut self, start: usize, radix: u32) {
        let mut p = start + 2;
        let mut value: u64 = 0;
        let mut overflow = false;
        let mut digits = 0;
        let mut bad: Option<usize> = None;
        while p < self.src.len() && (self.src[p].is_ascii_alphanumeric() || self.src[p] == b'_') {
            let b = self.src[p];
            if b != b'_' {
                match (b as char).to_digit(radix) {
                    Some(d) => {
                        digits += 1;
                        match value.checked_mul(u64::from(radix)).and_then(|v| v.checked_add(u64::from(d))) {
                            Some(v) => value = v,
                            None => overflow = true,
                        }
                    }
                    None => {
                        bad.get_or_insert(p);
                    }
                }
            }
            p += 1;
        }
        self.pos = p;
        let base = match radix {
            16 => "hexadecimal",
            8 => "octal",
            _ => "binary",
        };
        if let Some(b) = bad {
            let c = self.src[b] as char;
            self.error(format!("invalid digit `{c}` in a {base} literal"), b, b + 1);
            self.push(TokenKind::Int(0), start);
        } else if digits == 0 {
            self.error(format!("{base} literal has no digits"), start, self.pos);
            self.push(TokenKind::Int(0), start);
        } else {
            self.int_token(value, overflow, start);
        }
    }

    /// A character literal `'a'`, `'\n'`, `'\x41'`...: an integer literal holding that byte.
    fn char_lit(&mut self) {
        let start = self.pos;
        self.pos += 1;
        let mut bytes: Vec<u8> = Vec::new();
        loop {
            if self.pos >= self.src.len() || self.src[self.pos] == b'\n' {
                self.error("unterminated character literal", start, self.pos);
                self.push(TokenKind::Int(0), start);
                return;
            }
            let c = self.src[self.pos];
            match c {
                b'\'' => {
                    self.pos += 1;
                    break;
                }
                b'\\' => {
                    let n = self.byte(self.pos + 1);
                    let v = match n {
                        b'n' => Some(b'\n'),
                        b't' => Some(b'\t'),
                        b'r' => Some(b'\r'),
                        b'0' => Some(0),
                        b'\\' => Some(b'\\'),
                        b'\'' => Some(b'\''),
                        b'"' => Some(b'"'),
                        b'x' => match (hex(self.byte(self.pos + 2)), hex(self.byte(self.pos + 3))) {
                            (Some(hi), Some(lo)) => {
                                self.pos += 2;
                                Some(hi * 16 + lo)
                            }
                            _ => None,
                        },
                        _ => None,
                    };
                    match v {
                        Some(v) => bytes.push(v),
                        None => {
                            let shown = if n.is_ascii_graphic() { format!("`\\{}`", n as char) } else { "`\\`".to_string() };
                            self.error(
                                format!("unknown escape {shown} in a character literal (known: \\n \\t \\r \\0 \\\\ \\' \\\" \\xHH)"),
                                self.pos,
                                (self.pos + 2).min(self.src.len()),
                            );
                            bytes.push(0);
                        }
                    }
                    self.pos = (self.pos + 2).min(self.src.len());
                }
                _ => {
                    bytes.push(c);
                    self.pos += 1;
                }
            }
        }
        match bytes.len() {
            1 => self.push(TokenKind::Int(u64::from(bytes[0])), start),
            0 => {
                self.error("empty character literal", start, self.pos);
                self.push(TokenKind::Int(0), start);
            }
            n => {
                self.error(
                    format!("character literal holds {n} bytes; it must be exactly one byte (use a string literal for more)"),
                    start,
                    self.pos,
                );
                self.push(TokenKind::Int(0), start);
            }
        }
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
