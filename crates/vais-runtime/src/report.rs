//! Rendering runtime errors for the user: the runtime's message, then the backtrace of the
//! Vais frames with source positions, e.g.
//!
//! ```text
//! runtime error: division by zero in `inner` at nested.vais:2:5
//!   at inner (nested.vais:2:5)
//!   at middle (nested.vais:5:10)
//!   at main (nested.vais:10:5)
//! ```
//!
//! A REPL input's generated entry function is shown as the input (`<input 7>:1:3`), never by
//! its internal name; a very deep stack shows its innermost and outermost frames with the
//! number of frames left out between them.
//!
//! Turning a frame's (file number, byte offset) into `file:line:col` needs the program's
//! sources, which this crate does not know: the caller passes a [`Place`] (`vaisc` resolves
//! through its source map; a built executable through the tables embedded in it).

use crate::faults::{BtFrame, Fault, FaultKind};

/// `file:line:col` of a (file number, byte offset) position, if known.
pub type Place<'a> = &'a dyn Fn(u32, u32) -> Option<String>;

/// Innermost and outermost frames shown of a deep stack.
const HEAD: usize = 16;
const TAIL: usize = 8;

/// Whether `name` is a REPL input's generated entry function (`__repl_N`).
fn is_input_entry(name: &str) -> bool {
    name.strip_prefix("__repl_").is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()))
}

fn frame_line(place: Place, frame: &BtFrame) -> String {
    match (is_input_entry(&frame.function), frame.position.and_then(|(file, offset)| place(file, offset))) {
        (true, Some(p)) => format!("  at {p}"),
        (true, None) => "  at <input>".to_string(),
        (false, Some(p)) => format!("  at {} ({p})", frame.function),
        (false, None) => format!("  at {}", frame.function),
    }
}

/// The full report: message line(s) and backtrace, each line ending in a newline.
pub fn render(fault: &Fault, place: Place) -> String {
    if fault.kind == FaultKind::Interrupted {
        return format!("{fault}\n");
    }
    if let FaultKind::Exited(_) = fault.kind {
        // Not an error: nothing to report.
        return String::new();
    }
    let mut shown = fault.clone();
    if shown.function.as_deref().is_some_and(is_input_entry) {
        shown.function = None;
    }
    let mut out = format!("runtime error: {shown}\n");
    let bt = &fault.backtrace;
    let machine_fault = matches!(fault.kind, FaultKind::InvalidMemoryAccess { .. } | FaultKind::IllegalInstruction | FaultKind::ArithmeticSignal);
    if machine_fault && fault.function.is_none() && bt.frames.is_empty() {
        // Outside JIT code, and no Vais frame found: native code that keeps no frame pointers
        // (a bad pointer handed to C), or the frames the program returns through were
        // overwritten (a store out of range of a local array).
        out.push_str("  note: outside Vais code, and no Vais frame was found on the stack: a bad pointer passed to a C function, or a store out of range of a local array, can cause this\n");
    }
    let total = bt.frames.len() + bt.omitted;
    let lines: Vec<String> = bt.frames.iter().map(|f| frame_line(place, f)).collect();
    if total <= HEAD + TAIL {
        push_collapsed(&mut out, lines.iter());
        return out;
    }
    // Frames by their index in the whole stack; `bt.omitted` of them were never recorded.
    let index = |i: usize| if i < bt.omitted_at { i } else { i + bt.omitted };
    let head: Vec<&String> = lines.iter().enumerate().filter(|(i, _)| index(*i) < HEAD).map(|(_, l)| l).collect();
    let tail: Vec<&String> = lines.iter().enumerate().filter(|(i, _)| index(*i) >= total - TAIL).map(|(_, l)| l).collect();
    push_collapsed(&mut out, head.iter().copied());
    out.push_str(&format!("  ... {} frames omitted\n", total - head.len() - tail.len()));
    push_collapsed(&mut out, tail.iter().copied());
    out
}

/// Appends frame lines; a run of three or more equal lines (recursion) shows once, then
/// how often it repeats.
fn push_collapsed<'a>(out: &mut String, lines: impl Iterator<Item = &'a String>) {
    let mut lines = lines.peekable();
    while let Some(l) = lines.next() {
        let mut repeats = 0;
        while lines.peek() == Some(&l) {
            lines.next();
            repeats += 1;
        }
        out.push_str(l);
        out.push('\n');
        match repeats {
            0 => {}
            1 => {
                out.push_str(l);
                out.push('\n');
            }
            n => out.push_str(&format!("  [the frame above repeated {n} more times]\n")),
        }
    }
}

/// Flushes program output, then writes the report to standard error.
pub fn print(fault: &Fault, place: Place) {
    crate::io::flush_output();
    eprint!("{}", render(fault, place));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::Backtrace;

    /// Positions in one file `a.vais` whose lines start at the given offsets.
    fn place_in(line_starts: &'static [u32]) -> impl Fn(u32, u32) -> Option<String> {
        move |file, off| {
            (file == 0).then(|| {
                let line = line_starts.partition_point(|&s| s <= off);
                format!("a.vais:{line}:{}", off - line_starts[line - 1] + 1)
            })
        }
    }

    fn nowhere(_: u32, _: u32) -> Option<String> {
        None
    }

    fn frame(name: &str, at: Option<u32>) -> BtFrame {
        BtFrame { function: name.into(), position: at.map(|o| (0, o)) }
    }

    fn fault_with(frames: Vec<BtFrame>, omitted_at: usize, omitted: usize) -> Fault {
        Fault {
            kind: FaultKind::DivisionByZero,
            function: Some(frames[0].function.clone()),
            location: Some("a.vais:2:5".into()),
            backtrace: Backtrace { frames, omitted_at, omitted },
        }
    }

    #[test]
    fn a_machine_fault_outside_any_vais_frame_says_what_can_cause_it() {
        let f = Fault { kind: FaultKind::InvalidMemoryAccess { addr: 0x32 }, function: None, location: None, backtrace: Backtrace::default() };
        let text = render(&f, &nowhere);
        assert!(text.starts_with("runtime error: invalid memory access at 0x32\n  note: outside Vais code, and no Vais frame was found"), "{text}");
        let mut in_code = f.clone();
        in_code.function = Some("f".into());
        in_code.backtrace.frames.push(frame("f", None));
        assert!(!render(&in_code, &nowhere).contains("note:"));
    }

    #[test]
    fn frames_show_function_and_position_and_inputs_by_name() {
        let sources = place_in(&[0, 15, 25]);
        let f = fault_with(vec![frame("f", Some(19)), frame("__repl_3", Some(0)), frame("g", None)], 3, 0);
        assert_eq!(
            render(&f, &sources),
            "runtime error: division by zero in `f` at a.vais:2:5\n  at f (a.vais:2:5)\n  at a.vais:1:1\n  at g\n"
        );
        let mut entry = f.clone();
        entry.function = Some("__repl_3".into());
        assert!(render(&entry, &sources).starts_with("runtime error: division by zero at a.vais:2:5\n"));
    }

    #[test]
    fn deep_stacks_keep_both_ends() {
        let sources = nowhere;
        // 64 recorded innermost frames, 1,000,000 unrecorded, 64 recorded outermost ones.
        let mut frames: Vec<BtFrame> = (0..64).map(|i| frame(&format!("in{i}"), None)).collect();
        frames.extend((0..64).map(|i| frame(&format!("out{i}"), None)));
        let text = render(&fault_with(frames, 64, 1_000_000), &sources);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1 + HEAD + 1 + TAIL);
        assert_eq!(lines[1], "  at in0");
        assert_eq!(lines[HEAD], "  at in15");
        assert_eq!(lines[HEAD + 1], format!("  ... {} frames omitted", 1_000_128 - HEAD - TAIL));
        assert_eq!(lines[HEAD + 2], "  at out56");
        assert_eq!(*lines.last().unwrap(), "  at out63");
    }

    #[test]
    fn recursion_collapses_into_a_repeat_count() {
        let sources = nowhere;
        let frames = vec![frame("f", None), frame("f", None), frame("f", None), frame("f", None), frame("g", None), frame("g", None)];
        assert_eq!(
            render(&fault_with(frames, 6, 0), &sources),
            "runtime error: division by zero in `f` at a.vais:2:5\n  at f\n  [the frame above repeated 3 more times]\n  at g\n  at g\n"
        );
    }
}
