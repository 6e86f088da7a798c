//! The sign-off report as GitHub-flavoured Markdown, for a wiki page or a pull-request
//! comment: `ReportData` in, Markdown out.
//!
//! Same content as the HTML page, in tables that stay readable as plain text. Scanned text
//! goes in code spans (fenced with more backticks than it contains, `|` escaped, newlines
//! folded) or is backslash-escaped, so it can neither break a table nor become markup, links
//! or mentions. Owners are code spans so that a comment does not ping every team.

use crate::model::Access;
use crate::report::document::{
    DatabaseSection, ReportData, Row, RuntimeClient, capitalize, headline, series_label,
};
use anyhow::Result;
use std::fmt::Write as _;
use std::io::Write;

/// Fold line breaks into spaces (a table row is one line) and show other control
/// characters and bidi overrides as visible escapes (`\x1b`), as in text output.
fn one_line(text: &str) -> String {
    let folded: String = text
        .chars()
        .map(|c| {
            if matches!(c, '\n' | '\r' | '\t') {
                ' '
            } else {
                c
            }
        })
        .collect();
    crate::report::escape::control(&folded).into_owned()
}

/// The longest run of backticks in `text`.
fn longest_backtick_run(text: &str) -> usize {
    let mut best = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best
}

/// A code span that shows `text` verbatim, outside tables.
pub fn code(text: &str) -> String {
    let text = one_line(text);
    if text.is_empty() {
        return String::new();
    }
    let fence = "`".repeat(longest_backtick_run(&text) + 1);
    // A space on each side keeps a leading or trailing backtick out of the fence; CommonMark
    // strips exactly one such space.
    if text.starts_with('`') || text.ends_with('`') || text.starts_with(' ') {
        format!("{fence} {text} {fence}")
    } else {
        format!("{fence}{text}{fence}")
    }
}

/// A code span inside a table cell: GFM splits cells on `|` even inside code spans.
pub fn code_cell(text: &str) -> String {
    code(text).replace('|', "\\|")
}

/// Plain text with every character that Markdown or GitHub could interpret escaped.
pub fn text(text: &str) -> String {
    let chars: Vec<char> = one_line(text).chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        // An underscore inside a word (`orders_legacy`) is never emphasis in GFM; leaving it
        // bare keeps the plain text readable.
        let inside_word = |i: usize| {
            i > 0
                && chars[i - 1].is_alphanumeric()
                && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric())
        };
        let special = match c {
            '_' => !inside_word(i),
            '\\' | '`' | '*' | '[' | ']' | '<' | '>' | '|' | '&' | '~' | '#' | '!' | '@' => true,
            _ => false,
        };
        if special {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn owners(owners: &[String]) -> String {
    if owners.is_empty() {
        "*unowned*".to_string()
    } else {
        owners
            .iter()
            .map(|o| code_cell(o))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn table(out: &mut String, header: &[&str], numeric: &[bool], rows: &[Vec<String>]) {
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let align: Vec<&str> = numeric
        .iter()
        .map(|n| if *n { "---:" } else { "---" })
        .collect();
    let _ = writeln!(out, "| {} |", align.join(" | "));
    for r in rows {
        let _ = writeln!(out, "| {} |", r.join(" | "));
    }
    out.push('\n');
}

fn finding_cells(r: &Row) -> Vec<String> {
    let f = &r.finding;
    vec![
        text(&r.component),
        owners(&r.owners),
        code_cell(&format!("{}:{}", f.file, f.line)),
        f.function.as_deref().map(code_cell).unwrap_or_default(),
        f.operation.as_str().to_string(),
        code_cell(&crate::report::document::evidence_and_reason(f)),
        f.confidence.as_str().to_string(),
    ]
}

fn client_cells(c: &RuntimeClient) -> Vec<String> {
    vec![
        code_cell(&c.client),
        c.component.as_deref().map(text).unwrap_or_default(),
        c.access.as_str().to_string(),
        c.executions.to_string(),
        if c.explained { "yes" } else { "**no**" }.to_string(),
        text(&c.reason),
        c.sample.as_deref().map(code_cell).unwrap_or_default(),
    ]
}

const CLIENT_HEADER: [&str; 7] = [
    "Client",
    "Component",
    "Access",
    "Executions",
    "In code",
    "Why",
    "Most frequent statement",
];
const CLIENT_NUMERIC: [bool; 7] = [false, false, false, true, false, false, false];

pub fn write_report(data: &ReportData, out: &mut dyn Write) -> Result<()> {
    out.write_all(render(data).as_bytes())?;
    Ok(())
}

/// Render the whole document.
pub fn render(data: &ReportData) -> String {
    let mut md = String::new();
    let s = data.summary(None);
    let _ = writeln!(md, "# Legacy table writers in {}\n", code(&data.name));
    let _ = writeln!(md, "**{}**\n", text(&headline(&s, data.tables.len())));

    let sign_off: Vec<String> = data
        .sign_off()
        .into_iter()
        .map(|(owner, n)| {
            let who = owner.map(code).unwrap_or_else(|| "*no owner*".to_string());
            format!("{who} ({n})")
        })
        .collect();
    if !sign_off.is_empty() {
        let _ = writeln!(md, "Sign-off from: {}\n", sign_off.join(", "));
    }

    if let Some(rt) = &data.runtime {
        let window = rt
            .window
            .as_ref()
            .map(|(a, b)| format!(", {} to {}", text(a), text(b)))
            .unwrap_or_default();
        let files: Vec<String> = rt.sources.iter().map(|f| code(f)).collect();
        let _ = writeln!(md, "Query logs: {}{window}\n", files.join(", "));
    }

    let unexplained = |n: Option<usize>| n.map(|n| n.to_string()).unwrap_or("–".to_string());
    let mut rows = Vec::new();
    for t in &data.tables {
        let ts = data.summary(Some(&t.name));
        rows.push(vec![
            code_cell(&t.name),
            text(&t.phase),
            t.replacements
                .iter()
                .map(|r| code_cell(r))
                .collect::<Vec<_>>()
                .join(", "),
            ts.writers.to_string(),
            ts.writer_components.to_string(),
            ts.readers.to_string(),
            ts.schema_changes.to_string(),
            unexplained(ts.unexplained),
        ]);
    }
    rows.push(vec![
        "**all**".into(),
        String::new(),
        String::new(),
        format!("**{}**", s.writers),
        format!("**{}**", s.writer_components),
        format!("**{}**", s.readers),
        format!("**{}**", s.schema_changes),
        format!("**{}**", unexplained(s.unexplained)),
    ]);
    table(
        &mut md,
        &[
            "Table",
            "Phase",
            "Replaced by",
            "Writers",
            "Components",
            "Readers",
            "Schema changes",
            "Unexplained",
        ],
        &[false, false, false, true, true, true, true, true],
        &rows,
    );

    for t in &data.tables {
        let repl = if t.replacements.is_empty() {
            String::new()
        } else {
            format!(
                ", replaced by {}",
                t.replacements
                    .iter()
                    .map(|r| code(r))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let _ = writeln!(
            md,
            "## {} (phase: {}{repl})\n",
            code(&t.name),
            text(&t.phase)
        );
        let by = data.components_of(&t.name);
        let _ = writeln!(md, "### Components ({})\n", by.len());
        if by.is_empty() {
            md.push_str("No code references this table.\n\n");
        } else {
            let rows: Vec<Vec<String>> = by
                .iter()
                .map(|(name, c)| {
                    let o: Vec<String> = c.owners.iter().cloned().collect();
                    vec![
                        text(name),
                        owners(&o),
                        c.writes.to_string(),
                        c.reads.to_string(),
                        c.ddl.to_string(),
                    ]
                })
                .collect();
            table(
                &mut md,
                &["Component", "Owners", "Writes", "Reads", "Schema"],
                &[false, false, true, true, true],
                &rows,
            );
        }
        for (access, title, empty) in [
            (Access::Write, "Writers", "No code writes this table."),
            (Access::Read, "Readers", "No code reads this table."),
            (
                Access::Ddl,
                "Schema changes",
                "No statement changes this table's schema.",
            ),
            (
                Access::Declare,
                "Model declarations",
                "No ORM model maps to this table.",
            ),
            (Access::Unknown, "Unresolved references", ""),
        ] {
            let found = data.rows_of(&t.name, access);
            // Unresolved references get a section only when there are some.
            if access == Access::Unknown && found.is_empty() {
                continue;
            }
            let _ = writeln!(md, "### {title} ({})\n", found.len());
            if found.is_empty() {
                let _ = writeln!(md, "{empty}\n");
                continue;
            }
            let rows: Vec<Vec<String>> = found.iter().map(|r| finding_cells(r)).collect();
            table(
                &mut md,
                &[
                    "Component",
                    "Owners",
                    "Location",
                    "Function",
                    "Operation",
                    "Statement",
                    "Confidence",
                ],
                &[false; 7],
                &rows,
            );
        }
        if data.dual_write.is_some() {
            let checks = data.dual_write_of(&t.name);
            let _ = writeln!(md, "### Dual-write coverage ({})\n", checks.len());
            if checks.is_empty() {
                md.push_str("No function writes this table or its replacement in a phase that is checked.\n\n");
            } else {
                let ops = |v: &[crate::model::Operation]| {
                    v.iter().map(|o| o.as_str()).collect::<Vec<_>>().join(", ")
                };
                let rows: Vec<Vec<String>> = checks
                    .iter()
                    .map(|c| {
                        vec![
                            format!("**{}**", c.verdict.as_str()),
                            code_cell(c.function.as_deref().unwrap_or("(top level)")),
                            code_cell(&format!("{}:{}", c.file, c.line)),
                            text(&ops(&c.operations)),
                            text(&ops(&c.missing)),
                            text(&c.via.join("; ")),
                        ]
                    })
                    .collect();
                table(
                    &mut md,
                    &[
                        "Verdict",
                        "Function",
                        "Location",
                        "Operations",
                        "Missing",
                        "Via",
                    ],
                    &[false; 6],
                    &rows,
                );
            }
        }
        if let Some(rt) = &data.runtime {
            let clients = data.runtime_of(&t.name);
            let _ = writeln!(md, "### Runtime clients ({})\n", clients.len());
            if clients.is_empty() {
                md.push_str("No client read or wrote this table in the logs.\n\n");
            } else {
                let rows: Vec<Vec<String>> = clients.iter().map(|c| client_cells(c)).collect();
                table(&mut md, &CLIENT_HEADER, &CLIENT_NUMERIC, &rows);
            }
            let unexplained: Vec<&RuntimeClient> = rt.unexplained_writers(&t.name).collect();
            let _ = writeln!(md, "### Unexplained writers ({})\n", unexplained.len());
            if unexplained.is_empty() {
                md.push_str("Every client that wrote this table in the logs is accounted for by a writer in the code.\n\n");
            } else {
                md.push_str("These clients wrote the table according to the query logs, but no writer in the code accounts for them.\n\n");
                let rows: Vec<Vec<String>> = unexplained.iter().map(|c| client_cells(c)).collect();
                table(&mut md, &CLIENT_HEADER, &CLIENT_NUMERIC, &rows);
            }
            let unseen: Vec<Vec<String>> = rt
                .not_observed
                .iter()
                .filter(|n| n.table == t.name)
                .map(|n| {
                    vec![
                        n.component.as_deref().map(text).unwrap_or_default(),
                        n.locations
                            .iter()
                            .map(|l| code_cell(l))
                            .collect::<Vec<_>>()
                            .join(" "),
                        text(&n.reason),
                    ]
                })
                .collect();
            if !unseen.is_empty() {
                let _ = writeln!(
                    md,
                    "### Writers in the code not seen in the logs ({})\n",
                    unseen.len()
                );
                table(
                    &mut md,
                    &["Component", "Locations", "Why"],
                    &[false; 3],
                    &unseen,
                );
            }
        }
        if let Some(db) = &data.database {
            database_md(&mut md, db, &t.name);
        }
    }

    if let Some(b) = data.burndown.as_ref().filter(|b| !b.dates.is_empty()) {
        md.push_str("## Burndown\n\n");
        let projection = b
            .projection
            .as_deref()
            .map(|p| format!(" ({})", text(p)))
            .unwrap_or_default();
        let _ = writeln!(
            md,
            "{} at each sampled commit{projection}.\n",
            text(&capitalize(&b.what))
        );
        let mut header = vec!["Date".to_string(), "Commit".to_string()];
        header.extend(
            b.series
                .iter()
                .map(|(name, _)| text(&capitalize(&series_label(name)))),
        );
        let mut numeric = vec![false, false];
        numeric.extend(b.series.iter().map(|_| true));
        let rows: Vec<Vec<String>> = b
            .dates
            .iter()
            .enumerate()
            .map(|(i, date)| {
                let commit = b
                    .commits
                    .get(i)
                    .and_then(|c| c.as_deref())
                    .map(|c| code_cell(&c[..c.len().min(10)]))
                    .unwrap_or_default();
                let mut row = vec![text(date), commit];
                row.extend(
                    b.series
                        .iter()
                        .map(|(_, v)| v.get(i).map(u64::to_string).unwrap_or_default()),
                );
                row
            })
            .collect();
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        table(&mut md, &header, &numeric, &rows);
    }

    if let Some(plan) = &data.plan {
        md.push_str("## Migration plan\n\n");
        if let Some(mermaid) = plan.mermaid.as_deref().filter(|m| !m.trim().is_empty()) {
            let fence = "`".repeat(longest_backtick_run(mermaid).max(2) + 1);
            let _ = writeln!(md, "{fence}mermaid\n{}\n{fence}\n", mermaid.trim_end());
        }
        if plan.waves.is_empty() {
            md.push_str("Nothing to migrate: no component references the legacy tables.\n\n");
        }
        for wave in &plan.waves {
            let _ = writeln!(md, "**Wave {}**\n", wave.number);
            for item in wave.items.iter().filter(|i| i.touches) {
                let kind = item
                    .kind
                    .as_deref()
                    .map(|k| format!(" *{}*", text(k)))
                    .unwrap_or_default();
                let o = if item.owners.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", owners(&item.owners))
                };
                let _ = writeln!(
                    md,
                    "- **{}**{kind}{o}: {}",
                    text(&item.component),
                    text(&item.reason)
                );
            }
            let others: Vec<String> = wave
                .items
                .iter()
                .filter(|i| !i.touches)
                .map(|i| text(&i.component))
                .collect();
            if !others.is_empty() {
                let _ = writeln!(
                    md,
                    "- also in this wave, touching no legacy table: {}",
                    others.join(", ")
                );
            }
            md.push('\n');
        }
        for (title, list) in [
            ("Before the waves can move", &plan.preconditions),
            ("Notes", &plan.notes),
        ] {
            if list.is_empty() {
                continue;
            }
            let _ = writeln!(md, "### {title}\n");
            for item in list {
                let _ = writeln!(md, "- {}", text(item));
            }
            md.push('\n');
        }
    }

    if !data.problems.is_empty() {
        let _ = writeln!(md, "## Problems ({})\n", data.problems.len());
        md.push_str("Files or statements that could not be fully analysed.\n\n");
        let rows: Vec<Vec<String>> = data
            .problems
            .iter()
            .map(|p| {
                let at = p.line.map(|l| format!(":{l}")).unwrap_or_default();
                vec![
                    code_cell(&format!("{}{at}", p.file)),
                    p.reason.as_str().to_string(),
                    text(&p.detail),
                ]
            })
            .collect();
        table(
            &mut md,
            &["Location", "Reason", "Detail"],
            &[false; 3],
            &rows,
        );
    }

    let t = &data.totals;
    let _ = writeln!(
        md,
        "<sub>Generated by cutover {} from {}: {} files scanned, {} parsed, {} skipped.</sub>",
        env!("CARGO_PKG_VERSION"),
        code(&data.root),
        t.files_scanned,
        t.files_parsed,
        t.files_skipped
    );
    md
}

/// The "Database" section of one table (`report --db`).
fn database_md(md: &mut String, db: &DatabaseSection, table_name: &str) {
    for t in db.tables_of(table_name) {
        let _ = writeln!(md, "### Database ({})\n", t.objects.len());
        let Some(relation) = &t.relation else {
            let _ = writeln!(md, "Not found in {}.\n", code(&db.target));
            continue;
        };
        let owner = t
            .owner
            .as_deref()
            .map(|o| format!(", owner {}", code(o)))
            .unwrap_or_default();
        let _ = writeln!(
            md,
            "{} in {} ({}){owner}.\n",
            code(relation),
            code(&db.target),
            text(&db.version)
        );
        if t.objects.is_empty() {
            md.push_str("No trigger, rule, view, routine or foreign key touches it.\n\n");
        } else {
            let rows: Vec<Vec<String>> = t
                .objects
                .iter()
                .map(|o| {
                    vec![
                        code_cell(&o.location),
                        text(o.access.as_str()),
                        text(&o.operation),
                        code_cell(&o.detail),
                        text(&o.via.join(" → ")),
                    ]
                })
                .collect();
            table(
                md,
                &["Object", "Access", "Operation", "Definition", "Via"],
                &[false; 5],
                &rows,
            );
        }
        let _ = writeln!(md, "Who may write ({}):\n", t.may_write.len());
        if !t.may_write.is_empty() {
            let rows: Vec<Vec<String>> = t
                .may_write
                .iter()
                .map(|m| vec![code_cell(&m.role), text(&m.privileges), text(&m.how)])
                .collect();
            table(md, &["Role", "Privileges", "Why"], &[false; 3], &rows);
        }
        if let Some(c) = &t.counters {
            let _ = writeln!(md, "Counters: {}.\n", text(c));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::document::tests::sample;

    #[test]
    fn code_spans_survive_backticks_pipes_and_newlines() {
        assert_eq!(code("SELECT 1"), "`SELECT 1`");
        assert_eq!(code("a `b` c"), "``a `b` c``");
        assert_eq!(code("`x`"), "`` `x` ``");
        assert_eq!(code("a\nb"), "`a b`");
        assert_eq!(code_cell("a | b"), "`a \\| b`");
    }

    #[test]
    fn text_cannot_become_markup() {
        assert_eq!(
            text("<img src=x onerror=alert(1)>"),
            "\\<img src=x onerror=alert(1)\\>"
        );
        assert_eq!(text("@acme/team [x](y)"), "\\@acme/team \\[x\\](y)");
        assert_eq!(text("orders_legacy _x_"), "orders_legacy \\_x\\_");
    }

    #[test]
    fn every_table_row_has_the_header_column_count() {
        let md = render(&sample());
        let mut columns = None;
        for line in md.lines() {
            if !line.starts_with('|') {
                columns = None;
                continue;
            }
            // Count unescaped pipes: cell separators.
            let bytes = line.as_bytes();
            let pipes = (0..bytes.len())
                .filter(|&i| bytes[i] == b'|' && (i == 0 || bytes[i - 1] != b'\\'))
                .count();
            match columns {
                None => columns = Some(pipes),
                Some(n) => assert_eq!(n, pipes, "ragged row: {line}"),
            }
        }
    }

    /// Parse with a CommonMark + GFM-tables parser, as GitHub does, and check what a reader
    /// sees: every row has the header's cells, scanned text arrives verbatim in code spans,
    /// and no raw HTML gets through except the footer's `<sub>`.
    #[test]
    fn renders_as_intended_by_a_gfm_parser() {
        use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
        let data = sample();
        let md = render(&data);
        let mut code_spans = Vec::new();
        let mut html = Vec::new();
        let (mut tables, mut header_cells, mut cells) = (0, 0, 0);
        for event in Parser::new_ext(&md, Options::ENABLE_TABLES) {
            match event {
                Event::Start(Tag::Table(_)) => tables += 1,
                Event::Start(Tag::TableHead | Tag::TableRow) => cells = 0,
                Event::Start(Tag::TableCell) => cells += 1,
                Event::End(TagEnd::TableHead) => header_cells = cells,
                Event::End(TagEnd::TableRow) => assert_eq!(cells, header_cells),
                Event::Code(c) => code_spans.push(c.to_string()),
                Event::Html(h) | Event::InlineHtml(h) => html.push(h.to_string()),
                _ => {}
            }
        }
        // 12, plus the database objects and the roles that may write.
        assert_eq!(tables, 14);
        assert_eq!(html, ["<sub>", "</sub>"]);
        let evil = data
            .rows
            .iter()
            .find(|r| r.component == "services/evil")
            .unwrap();
        for text in [
            evil.finding.evidence.clone(),
            format!("{}:12", evil.finding.file),
            "<b>handler</b>".to_string(),
            "user=<script>alert(1)</script>".to_string(),
        ] {
            assert!(code_spans.contains(&text), "{text} not shown verbatim");
        }
    }

    #[test]
    fn sample_report_snapshot() {
        insta::assert_snapshot!(render(&sample()));
    }
}
