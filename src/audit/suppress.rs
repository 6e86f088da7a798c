//! In-code suppressions: source text in, `Suppression`s out. A suppression is a comment
//!
//! ```text
//! # cutover: allow orders_legacy -- the nightly export keeps reading it until Q3
//! // cutover: allow orders_legacy, invoices_old until=2026-12-31 -- dual-write shim
//! -- cutover: allow orders_legacy -- backfill
//! /* cutover: allow orders_legacy -- reason */
//! ```
//!
//! on the line of a reference or on the line above. Any comment syntax works: the marker
//! must follow `#`, `//`, `--`, `/*` or a leading `*` on its line. The reason after ` -- `
//! is required; `until=YYYY-MM-DD` makes the allowance expire after that day. Matching the
//! suppressions to findings, and reporting the unused ones, is the verdict's job.

use chrono::NaiveDate;

pub const MARKER: &str = "cutover:";

/// One `cutover: allow` comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    pub file: String,
    /// 1-based line of the comment.
    pub line: u32,
    /// 1-based column (characters) of the `cutover:` marker.
    pub column: u32,
    /// The tables it allows, lower-cased.
    pub tables: Vec<String>,
    pub reason: Option<String>,
    pub until: Option<NaiveDate>,
    /// Why the comment is not a valid suppression (it then suppresses nothing).
    pub invalid: Option<String>,
    /// The comment text from the marker on, for messages.
    pub text: String,
}

impl Suppression {
    /// Whether it names `table` (a configured name, maybe `schema.table`).
    pub fn covers(&self, table: &str) -> bool {
        let table = table.to_ascii_lowercase();
        let bare = table.rsplit('.').next().unwrap_or(&table);
        self.tables.iter().any(|t| *t == table || t == bare)
    }

    /// Whether it applies to a reference on `line`.
    pub fn reaches(&self, line: u32) -> bool {
        self.line == line || self.line + 1 == line
    }

    /// Whether the allowance has run out on `today` (`until` is the last allowed day).
    pub fn expired(&self, today: NaiveDate) -> bool {
        self.until.is_some_and(|u| u < today)
    }
}

/// Whether the text before the marker on its line opens a comment.
fn in_comment(before: &str) -> bool {
    before.contains('#')
        || before.contains("//")
        || before.contains("--")
        || before.contains("/*")
        || before.trim_start().starts_with('*')
}

/// Find the suppressions in one file's text.
pub fn parse(file: &str, text: &str) -> Vec<Suppression> {
    let mut out = Vec::new();
    if memchr::memmem::find(text.as_bytes(), MARKER.as_bytes()).is_none() {
        return out;
    }
    for (i, line) in text.lines().enumerate() {
        let Some(at) = line.find(MARKER) else {
            continue;
        };
        let before = &line[..at];
        if !in_comment(before) {
            continue;
        }
        let after = line[at + MARKER.len()..].trim_start();
        let Some(rest) = after.strip_prefix("allow") else {
            continue;
        };
        if rest.chars().next().is_some_and(|c| !c.is_whitespace()) {
            continue;
        }
        out.push(parse_allow(
            file,
            i as u32 + 1,
            before.chars().count() as u32 + 1,
            &line[at..],
            rest,
        ));
    }
    out
}

fn parse_allow(file: &str, line: u32, column: u32, text: &str, rest: &str) -> Suppression {
    let text = strip_comment_close(text).trim().to_string();
    let (spec, reason) = match rest.find("--") {
        Some(i) => (&rest[..i], Some(strip_comment_close(&rest[i + 2..]).trim())),
        None => (strip_comment_close(rest), None),
    };
    let mut s = Suppression {
        file: file.to_string(),
        line,
        column,
        tables: Vec::new(),
        reason: reason.filter(|r| !r.is_empty()).map(str::to_string),
        until: None,
        invalid: None,
        text,
    };
    let mut problems = Vec::new();
    for token in spec
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
    {
        if let Some(date) = token.strip_prefix("until=") {
            match NaiveDate::parse_from_str(date, "%Y-%m-%d") {
                Ok(d) => s.until = Some(d),
                Err(_) => problems.push(format!("`{token}` is not a date: use until=YYYY-MM-DD")),
            }
        } else if token.contains('=') {
            problems.push(format!(
                "unknown option `{token}`: only until=YYYY-MM-DD is known"
            ));
        } else {
            s.tables.push(token.to_ascii_lowercase());
        }
    }
    if s.tables.is_empty() {
        problems.push("no table named: write `cutover: allow TABLE -- reason`".to_string());
    }
    if s.reason.is_none() {
        problems.push("a reason is required: `cutover: allow TABLE -- reason`".to_string());
    }
    if !problems.is_empty() {
        s.invalid = Some(problems.join("; "));
    }
    s
}

/// Drop the closing of a block comment (`*/`, `-->`) that ends the line.
fn strip_comment_close(s: &str) -> &str {
    let t = s.trim_end();
    t.strip_suffix("*/")
        .or_else(|| t.strip_suffix("-->"))
        .unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(line: &str) -> Suppression {
        let mut all = parse("f", line);
        assert_eq!(all.len(), 1, "{line}");
        all.remove(0)
    }

    #[test]
    fn every_comment_syntax() {
        for line in [
            "x = 1  # cutover: allow orders_legacy -- nightly export",
            "// cutover: allow orders_legacy -- nightly export",
            "-- cutover: allow orders_legacy -- nightly export",
            "/* cutover: allow orders_legacy -- nightly export */",
            "   * cutover: allow orders_legacy -- nightly export",
        ] {
            let s = one(line);
            assert_eq!(s.tables, vec!["orders_legacy"], "{line}");
            assert_eq!(s.reason.as_deref(), Some("nightly export"), "{line}");
            assert!(s.invalid.is_none(), "{line}");
        }
    }

    #[test]
    fn position_and_several_tables() {
        let text = "a\n    # cutover: allow Orders_Legacy, invoices until=2026-12-31 -- why\n";
        let s = &parse("x.py", text)[0];
        assert_eq!((s.line, s.column), (2, 7));
        assert_eq!(s.tables, vec!["orders_legacy", "invoices"]);
        assert_eq!(s.until, NaiveDate::from_ymd_opt(2026, 12, 31));
        assert!(s.covers("ORDERS_LEGACY") && s.covers("billing.invoices"));
        assert!(!s.covers("orders"));
        assert!(s.reaches(2) && s.reaches(3) && !s.reaches(4) && !s.reaches(1));
    }

    #[test]
    fn reason_is_required() {
        let s = one("# cutover: allow orders_legacy");
        assert!(s.invalid.as_deref().unwrap().contains("reason is required"));
        let s = one("# cutover: allow orders_legacy --   ");
        assert!(s.invalid.is_some());
    }

    #[test]
    fn bad_dates_and_options_are_invalid() {
        let s = one("# cutover: allow orders_legacy until=31/12/2026 -- r");
        assert!(s.invalid.as_deref().unwrap().contains("not a date"));
        let s = one("# cutover: allow orders_legacy forever=yes -- r");
        assert!(s.invalid.as_deref().unwrap().contains("unknown option"));
        let s = one("# cutover: allow -- r");
        assert!(s.invalid.as_deref().unwrap().contains("no table"));
    }

    #[test]
    fn expiry_is_inclusive() {
        let s = one("# cutover: allow t until=2026-06-30 -- r");
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        assert!(!s.expired(d(6, 30)));
        assert!(s.expired(d(7, 1)));
    }

    #[test]
    fn not_a_comment_or_not_allow_is_ignored() {
        assert!(parse("f", "x = 'cutover: allow orders_legacy -- r'").is_empty());
        assert!(parse("f", "# cutover: allowed orders_legacy -- r").is_empty());
        assert!(parse("f", "# cutover: plan later").is_empty());
        assert!(parse("f", "nothing here").is_empty());
    }
}
