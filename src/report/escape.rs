//! Text from the repository and the logs is untrusted: a file named `x\n::error ::…` turns
//! into a GitHub workflow command when printed raw, an ANSI sequence in a function name or
//! a database client's `application_name` reaches the reader's terminal, and a bidi
//! override reorders what the reader sees. Human-readable output (text, GitHub
//! annotations, Markdown, HTML) shows every such character as a visible escape instead.
//! JSON, SARIF and CSV keep the exact value (their encodings quote it).
//!
//! Two layers: `control` escapes one value where it is printed (it sees newlines, which a
//! stream cannot tell from line ends), and `Guard` wraps the whole output of a
//! human-readable format, so a value a renderer forgot still cannot move the cursor or
//! clear the screen: it escapes every control byte except line ends and tabs, and lets
//! only colour sequences (`ESC [ … m`) through, when colour is on.

use std::borrow::Cow;
use std::io::Write;

/// Characters shown as escapes: C0 and C1 controls, DEL, and the bidi controls of
/// "Trojan Source" (they reorder the text around them).
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// `text` with every unsafe character as a visible escape (`\n`, `\t`, `\x1b`,
/// `\u{202e}`). Borrowed when there is nothing to escape, which is almost always.
pub fn control(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 && is_unsafe(c) => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if is_unsafe(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// The output stream of a human-readable format: every C0 control byte but `\n` and `\t`,
/// and DEL, is written as `\xNN`; with `color`, `ESC [ digits/; m` (a colour) passes.
/// Multi-byte characters are left to `control`: a renderer that prints a field raw still
/// cannot send a command to the terminal (those need C0 bytes).
pub struct Guard<'a> {
    inner: &'a mut dyn Write,
    color: bool,
}

impl<'a> Guard<'a> {
    pub fn new(inner: &'a mut dyn Write, color: bool) -> Guard<'a> {
        Guard { inner, color }
    }
}

/// Length of a colour sequence (`ESC [ 0-9; * m`) at the start of `b`, if it is one.
fn sgr_len(b: &[u8]) -> Option<usize> {
    if b.len() < 3 || b[0] != 0x1b || b[1] != b'[' {
        return None;
    }
    let body = b[2..]
        .iter()
        .take_while(|&&c| c.is_ascii_digit() || c == b';')
        .count();
    (b.get(2 + body) == Some(&b'm')).then_some(3 + body)
}

impl Write for Guard<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut start = 0;
        let mut i = 0;
        while i < buf.len() {
            let b = buf[i];
            let bad = (b < 0x20 && b != b'\n' && b != b'\t') || b == 0x7f;
            if !bad {
                i += 1;
                continue;
            }
            if self.color
                && let Some(n) = sgr_len(&buf[i..])
            {
                i += n;
                continue;
            }
            self.inner.write_all(&buf[start..i])?;
            write!(self.inner, "\\x{b:02x}")?;
            i += 1;
            start = i;
        }
        self.inner.write_all(&buf[start..])?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_visible() {
        assert_eq!(control("orders.py"), "orders.py");
        assert!(matches!(control("plain"), Cow::Borrowed(_)));
        assert_eq!(control("a\n::error ::x"), "a\\n::error ::x");
        assert_eq!(control("\x1b[31mred"), "\\x1b[31mred");
        assert_eq!(control("x\u{202e}y\u{9b}"), "x\\u{202e}y\\u{9b}");
        assert_eq!(control("tab\there\0"), "tab\\there\\x00");
    }

    fn guarded(color: bool, input: &[u8]) -> String {
        let mut out = Vec::new();
        Guard::new(&mut out, color).write_all(input).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_guard_lets_only_line_ends_tabs_and_colours_through() {
        assert_eq!(
            guarded(false, b"a\tb\nc\x1b]0;title\x07"),
            "a\tb\nc\\x1b]0;title\\x07"
        );
        assert_eq!(guarded(false, b"\x1b[31mx\x1b[0m"), "\\x1b[31mx\\x1b[0m");
        assert_eq!(
            guarded(true, b"\x1b[1;31mx\x1b[0m\r"),
            "\x1b[1;31mx\x1b[0m\\x0d"
        );
        assert_eq!(guarded(true, b"\x1b[2J"), "\\x1b[2J");
    }
}
