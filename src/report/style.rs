//! How human-readable output looks: colour (ANSI SGR) when the session decided the reader
//! is a terminal that wants it, aligned columns, plurals. Renderers ask for a role
//! (`Role::Path`, `Role::Write`…), never for a colour, so every command paints the same
//! thing the same way; with colour off, `paint` returns the text unchanged.
//!
//! Everything painted is first made safe for a terminal (`escape::control`), so the only
//! escape sequences in the output are the ones written here.

use super::escape;
use std::borrow::Cow;

/// What a piece of text is; each role has one look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A section title (a table, "summary", "Wave 1").
    Heading,
    /// A file path (ripgrep's colour for paths).
    Path,
    /// A line number after a path.
    Line,
    /// A write, or something that fails the check.
    Write,
    /// A read, or a warning.
    Read,
    /// A schema change.
    Ddl,
    /// Good news (covered, passed).
    Good,
    /// Secondary text: confidence tags, hints, counts in passing.
    Dim,
}

impl Role {
    fn sgr(self) -> &'static str {
        match self {
            Role::Heading => "1",
            Role::Path => "35",
            Role::Line => "32",
            Role::Write => "1;31",
            Role::Read => "33",
            Role::Ddl => "36",
            Role::Good => "32",
            Role::Dim => "2",
        }
    }

    /// The role of an access's findings.
    pub fn of_access(access: crate::model::Access) -> Role {
        match access {
            // An unresolved reference may be a write: painted as one.
            crate::model::Access::Write | crate::model::Access::Unknown => Role::Write,
            crate::model::Access::Read => Role::Read,
            crate::model::Access::Ddl | crate::model::Access::Declare => Role::Ddl,
        }
    }
}

/// The look of one rendering: with or without colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Style {
    pub color: bool,
}

impl Style {
    /// No colour: files, pipes, tests.
    pub const PLAIN: Style = Style { color: false };

    /// `text` with control characters escaped, in the colour of `role` when colour is on.
    pub fn paint(self, role: Role, text: &str) -> String {
        let safe = escape::control(text);
        if self.color && !safe.is_empty() {
            format!("\x1b[{}m{safe}\x1b[0m", role.sgr())
        } else {
            safe.into_owned()
        }
    }
}

/// `1 reference`, `2 references`; `plural` when the plural is not `word` + `s`.
pub fn count(n: impl Into<u64>, word: &str, plural: &str) -> String {
    let n = n.into();
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {plural}")
    }
}

/// Rows of cells as lines whose columns line up: each cell but the last is padded to the
/// widest of its column (in characters, before colour). `paint` colours a cell after
/// padding is computed, so escape sequences never count as width.
pub fn columns(rows: &[Vec<Cow<'_, str>>], paint: impl Fn(usize, &str) -> String) -> Vec<String> {
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..n)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    rows.iter()
        .map(|row| {
            let mut line = String::new();
            for (c, cell) in row.iter().enumerate() {
                if c > 0 {
                    line.push_str("  ");
                }
                line.push_str(&paint(c, cell));
                if c + 1 < row.len() {
                    let pad = widths[c].saturating_sub(cell.chars().count());
                    line.extend(std::iter::repeat_n(' ', pad));
                }
            }
            line
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_style_only_escapes() {
        assert_eq!(Style::PLAIN.paint(Role::Path, "a\x1b[2Jb"), "a\\x1b[2Jb");
        assert_eq!(
            Style { color: true }.paint(Role::Line, "7"),
            "\x1b[32m7\x1b[0m"
        );
    }

    #[test]
    fn plurals() {
        assert_eq!(
            count(1u64, "schema change", "schema changes"),
            "1 schema change"
        );
        assert_eq!(
            count(0u64, "schema change", "schema changes"),
            "0 schema changes"
        );
    }

    #[test]
    fn columns_line_up_whatever_the_colour() {
        let rows: Vec<Vec<Cow<'_, str>>> = vec![
            vec!["a.py:1".into(), "f".into(), "update".into()],
            vec!["long/path.py:12".into(), "-".into(), "select".into()],
        ];
        let plain = columns(&rows, |_, s| s.to_string());
        assert_eq!(plain[0], "a.py:1           f  update");
        assert_eq!(plain[1], "long/path.py:12  -  select");
        let painted = columns(&rows, |c, s| {
            if c == 0 {
                Style { color: true }.paint(Role::Path, s)
            } else {
                s.to_string()
            }
        });
        assert!(painted[0].starts_with("\x1b[35ma.py:1\x1b[0m           f"));
    }
}
