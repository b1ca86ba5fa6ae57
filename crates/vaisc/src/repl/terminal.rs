//! Terminal front of the REPL: rustyline with history in the user's state directory, tab
//! completion (keywords, built-ins, commands, the session's names) and syntax highlighting
//! from the real lexer.

use super::Line;
use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::FileHistory;
use rustyline::validate::Validator;
use rustyline::{Context, Helper};
use std::borrow::Cow;
use std::path::PathBuf;

pub struct VaisHelper {
    names: Vec<String>,
}

impl Completer for VaisHelper {
    type Candidate = Pair;
    fn complete(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        let before = &line[..pos];
        let start = before
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .map(|i| i + 1)
            .unwrap_or(0);
        let word = &before[start..];
        if word.is_empty() {
            return Ok((pos, Vec::new()));
        }
        let builtins = vais_tir::Builtin::ALL.iter().map(|b| b.name());
        let commands = [":help", ":quit", ":clear", ":defs", ":type", ":clif", ":asm", ":time", ":load", ":save", ":history"];
        let mut out: Vec<Pair> = vais_parser::KEYWORDS
            .iter()
            .copied()
            .chain(builtins)
            .chain(commands)
            .chain(self.names.iter().map(String::as_str))
            .filter(|c| c.starts_with(word) && *c != word)
            .map(|c| Pair { display: c.to_string(), replacement: c.to_string() })
            .collect();
        out.sort_by(|a, b| a.display.cmp(&b.display));
        out.dedup_by(|a, b| a.display == b.display);
        Ok((start, out))
    }
}

impl Hinter for VaisHelper {
    type Hint = String;
}

impl Validator for VaisHelper {}

impl Highlighter for VaisHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        highlight_line(line).map(Cow::Owned).unwrap_or(Cow::Borrowed(line))
    }
    fn highlight_char(&self, _line: &str, _pos: usize, _forced: bool) -> bool {
        true
    }
}

impl Helper for VaisHelper {}

/// Colours keywords (bold blue), literals (green) and comments (grey) by lexing the line.
fn highlight_line(line: &str) -> Option<String> {
    let (tokens, _) = vais_parser::lexer::lex(vais_ast::FileId(0), line);
    let mut out = String::with_capacity(line.len() + 32);
    let mut last = 0usize;
    for t in &tokens {
        let (s, e) = (t.span.start as usize, t.span.end as usize);
        if s < last || e > line.len() || s > e {
            continue;
        }
        out.push_str(&line[last..s]);
        let text = &line[s..e];
        let colour = if vais_parser::KEYWORDS.contains(&text) {
            Some("\x1b[1;34m")
        } else if text.starts_with('"') || text.starts_with(|c: char| c.is_ascii_digit()) || text == "true" || text == "false" {
            Some("\x1b[32m")
        } else {
            None
        };
        match colour {
            Some(c) => {
                out.push_str(c);
                out.push_str(text);
                out.push_str("\x1b[0m");
            }
            None => out.push_str(text),
        }
        last = e;
    }
    let rest = &line[last.min(line.len())..];
    if let Some(i) = rest.find('#') {
        out.push_str(&rest[..i]);
        out.push_str("\x1b[90m");
        out.push_str(&rest[i..]);
        out.push_str("\x1b[0m");
    } else {
        out.push_str(rest);
    }
    Some(out)
}

pub struct Editor {
    rl: rustyline::Editor<VaisHelper, FileHistory>,
    history_path: Option<PathBuf>,
    /// The history directory was created (done once, before the first append).
    dir_ready: bool,
}

/// Entries kept in the history file (rustyline's default is 100).
pub const HISTORY_CAP: usize = 10_000;

/// `$XDG_STATE_HOME/vais/history`, else `~/.local/state/vais/history` (never a shared temp dir).
fn history_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))?;
    Some(base.join("vais").join("history"))
}

impl Editor {
    /// None when the terminal cannot be driven (the caller falls back to plain reading).
    pub fn new() -> Option<Editor> {
        let builder = rustyline::Config::builder().auto_add_history(false);
        let config = builder.max_history_size(HISTORY_CAP).ok()?.build();
        let mut rl = rustyline::Editor::with_config(config).ok()?;
        rl.set_helper(Some(VaisHelper { names: Vec::new() }));
        let history_path = history_path();
        if let Some(p) = &history_path {
            let _ = rl.load_history(p);
        }
        Some(Editor { rl, history_path, dir_ready: false })
    }

    pub fn set_names(&mut self, names: Vec<String>) {
        if let Some(h) = self.rl.helper_mut() {
            h.names = names;
        }
    }

    pub fn read(&mut self, prompt: &str) -> Line {
        match self.rl.readline(prompt) {
            Ok(s) => Line::Text(s),
            Err(ReadlineError::Interrupted) => Line::Cancelled,
            Err(_) => Line::Eof,
        }
    }

    /// Adds `entry` to the history and appends it to the history file at once (rustyline
    /// appends under a file lock, so concurrent sessions interleave instead of overwriting
    /// each other). The REPL calls this as soon as an input is complete, before it is
    /// evaluated: a crash or an `exit()` in the input loses nothing, and no file is written
    /// while the input's code runs.
    pub fn add_history(&mut self, entry: &str) {
        let _ = self.rl.add_history_entry(entry);
        self.save_history();
    }

    /// Appends the entries not yet in the history file (also called when the session ends).
    pub fn save_history(&mut self) {
        if let Some(p) = &self.history_path {
            if !self.dir_ready {
                if let Some(dir) = p.parent() {
                    let _ = std::fs::create_dir_all(dir);
                }
                self.dir_ready = true;
            }
            let _ = self.rl.append_history(p);
        }
    }
}
