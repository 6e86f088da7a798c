//! The sign-off report as one self-contained HTML page: `ReportData` in, HTML out.
//!
//! Every row is rendered here, escaped, so the page reads the same with scripts off and prints
//! whole; the inline script (`report.js`) only sorts and filters. Data the script needs goes in
//! a `<script type="application/json">` block whose `<`, `>`, `&`, U+2028 and U+2029 are
//! escaped, so scanned text can never close the block. No external fonts, scripts or images.

use crate::model::{Access, Confidence};
use crate::report::document::{
    BurndownSection, DatabaseSection, NotObserved, ReportData, Row, RuntimeClient, Summary,
    TableInfo, capitalize, headline, series_label,
};
use anyhow::Result;
use serde::Serialize;
use std::fmt::Write as _;
use std::io::Write;

const CSS: &str = include_str!("report.css");
const JS: &str = include_str!("report.js");

/// Reports script errors in the page itself, so a headless browser (and a reader) sees them.
const ERROR_CAPTURE: &str = r#"(function () {
  var box = document.getElementById("script-errors");
  function show(msg) {
    document.documentElement.setAttribute("data-script-error", "1");
    box.hidden = false;
    var li = document.createElement("li");
    li.textContent = msg;
    box.querySelector("ul").appendChild(li);
  }
  window.addEventListener("error", function (e) {
    show((e.message || "script error") + (e.lineno ? " (line " + e.lineno + ")" : ""));
  });
  window.addEventListener("unhandledrejection", function (e) { show(String(e.reason)); });
})();"#;

/// Escape text for HTML element content and double-quoted attribute values. Control
/// characters (invalid in HTML, and a NUL makes tools treat the page as binary) and bidi
/// overrides are shown as visible escapes (`\x1b`), like in text output.
pub fn escape(text: &str) -> String {
    let text = crate::report::escape::control(text);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The `data-sort` key of a location: the path, then the line zero-padded, so that rows
/// sort by file and then by line. A space separates them: it sorts before any character
/// of a path in the browser's collation, and keeps the page text (a NUL made `grep` call
/// the report binary).
fn sort_key(file: &str, line: u32) -> String {
    format!("{file} {line:010}")
}

/// Serialize `value` as JSON that is safe inside a `<script>` element: no `<`, `>` or `&`
/// (so no `</script>` or `<!--`), and no U+2028/U+2029 (line terminators in older JS).
pub fn script_json<T: Serialize>(value: &T) -> Result<String> {
    let json = serde_json::to_string(value)?;
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// A fragment-safe id for a table's section.
fn anchor(table: &str) -> String {
    let slug: String = table
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    format!("t-{slug}")
}

/// The data the page script reads.
#[derive(Serialize)]
struct PageData<'a> {
    version: u32,
    root: &'a str,
    /// Data rows rendered in all filterable tables.
    rows: usize,
    tables: Vec<PageTable<'a>>,
}

#[derive(Serialize)]
struct PageTable<'a> {
    name: &'a str,
    phase: &'a str,
    writers: usize,
    readers: usize,
    schema_changes: usize,
}

/// Builds the page; counts the data rows it renders so the script can check them.
struct Page<'a> {
    data: &'a ReportData,
    html: String,
    rows: usize,
}

/// One column of a data table.
struct Col {
    title: &'static str,
    num: bool,
}

const fn col(title: &'static str) -> Col {
    Col { title, num: false }
}

const fn num(title: &'static str) -> Col {
    Col { title, num: true }
}

const CLIENT_COLS: [Col; 7] = [
    col("Client"),
    col("Component"),
    col("Access"),
    num("Runs"),
    col("In code"),
    col("Why"),
    col("Most frequent statement"),
];

pub fn write_report(data: &ReportData, out: &mut dyn Write) -> Result<()> {
    out.write_all(render(data)?.as_bytes())?;
    Ok(())
}

/// Render the whole page.
pub fn render(data: &ReportData) -> Result<String> {
    let mut page = Page {
        data,
        html: String::new(),
        rows: 0,
    };
    let mut body = String::new();
    page.header(&mut body);
    body.push_str("<main class=\"wrap\">\n");
    for table in &data.tables {
        page.table_section(&mut body, table);
    }
    page.burndown_section(&mut body);
    page.plan_section(&mut body);
    page.problems_section(&mut body);
    body.push_str("</main>\n");
    page.footer(&mut body);

    let page_data = PageData {
        version: 1,
        root: &data.root,
        rows: page.rows,
        tables: data
            .tables
            .iter()
            .map(|t| {
                let s = data.summary(Some(&t.name));
                PageTable {
                    name: &t.name,
                    phase: &t.phase,
                    writers: s.writers,
                    readers: s.readers,
                    schema_changes: s.schema_changes,
                }
            })
            .collect(),
    };
    let h = &mut page.html;
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    h.push_str("<meta name=\"generator\" content=\"cutover\">\n");
    let _ = writeln!(
        h,
        "<title>Legacy table inventory: {}</title>",
        escape(&data.name)
    );
    let _ = writeln!(h, "<style>\n{CSS}</style>\n</head>\n<body>");
    h.push_str(
        "<div id=\"script-errors\" class=\"wrap\" role=\"alert\" hidden>\
         <strong>This page hit a script error; sorting and filtering may not work.</strong>\
         <ul></ul></div>\n",
    );
    let _ = writeln!(h, "<script>\n{ERROR_CAPTURE}\n</script>");
    h.push_str(&body);
    let _ = writeln!(
        h,
        "<script type=\"application/json\" id=\"report-data\">{}</script>",
        script_json(&page_data)?
    );
    let _ = writeln!(h, "<script>\n{JS}</script>\n</body>\n</html>");
    Ok(page.html)
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

fn phase_badge(phase: &str) -> String {
    format!(
        "<span class=\"badge phase-{}\" title=\"migration phase\">{}</span>",
        escape(phase),
        escape(phase)
    )
}

fn owners_text(owners: &[String]) -> String {
    if owners.is_empty() {
        "<span class=\"muted\">unowned</span>".to_string()
    } else {
        escape(&owners.join(" "))
    }
}

impl Page<'_> {
    fn header(&self, h: &mut String) {
        let data = self.data;
        let s = data.summary(None);
        h.push_str("<header class=\"top\"><div class=\"wrap\">\n");
        h.push_str("<div class=\"eyebrow\">cutover &middot; writer inventory for sign-off</div>\n");
        let _ = writeln!(
            h,
            "<h1>Who writes the legacy tables in <code>{}</code></h1>",
            escape(&data.name)
        );
        let _ = writeln!(
            h,
            "<p class=\"lede\" id=\"headline\">{}</p>",
            escape(&headline(&s, data.tables.len()))
        );
        h.push_str("<div class=\"cards\">\n");
        let class = if s.writers > 0 { "write" } else { "" };
        card(h, class, s.writers, "writers in code", "writers");
        card(
            h,
            "",
            s.writer_components,
            &format!(
                "components with writers, {}",
                plural(s.writer_owners, "owner", "owners")
            ),
            "components",
        );
        match s.unexplained {
            Some(0) => card(
                h,
                "good",
                0,
                "unexplained writers in the logs",
                "unexplained",
            ),
            Some(n) => card(
                h,
                "alert",
                n,
                "unexplained writers in the logs",
                "unexplained",
            ),
            None => h.push_str(
                "<div class=\"card unknown\" data-metric=\"unexplained\"><div class=\"n\">&ndash;</div>\
                 <div class=\"l\">unexplained writers (no query logs given)</div></div>\n",
            ),
        }
        card(h, "", s.readers, "readers", "readers");
        card(h, "", s.schema_changes, "schema changes", "schema-changes");
        h.push_str("</div>\n");
        let sign_off = data.sign_off();
        if !sign_off.is_empty() {
            h.push_str("<p class=\"signoff\"><span class=\"k\">Sign-off from</span> ");
            for (owner, n) in sign_off {
                let (class, who) = match owner {
                    Some(o) => ("who", escape(o)),
                    None => ("who unowned", "no owner".to_string()),
                };
                let _ = write!(
                    h,
                    "<span class=\"{class}\">{who} <span class=\"c\">{}</span></span> ",
                    plural(n, "writer", "writers")
                );
            }
            h.push_str("</p>\n");
        }
        if let Some(rt) = &data.runtime {
            let window = rt
                .window
                .as_ref()
                .map(|(a, b)| format!(", {} to {}", escape(a), escape(b)))
                .unwrap_or_default();
            let _ = writeln!(
                h,
                "<p class=\"logs\"><span class=\"k\">Query logs</span> {}{window}</p>",
                rt.sources
                    .iter()
                    .map(|f| format!("<code>{}</code>", escape(f)))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        h.push_str("<nav class=\"toc\" aria-label=\"Legacy tables\">\n");
        for t in &data.tables {
            let ts = data.summary(Some(&t.name));
            let _ = writeln!(
                h,
                "<span><a href=\"#{}\"><code>{}</code></a> {} <span class=\"c\">{} &middot; {}</span></span>",
                anchor(&t.name),
                escape(&t.name),
                phase_badge(&t.phase),
                plural(ts.writers, "writer", "writers"),
                plural(ts.readers, "reader", "readers"),
            );
        }
        if data.plan.is_some() {
            h.push_str("<span><a href=\"#plan\">Migration plan</a></span>\n");
        }
        if !data.problems.is_empty() {
            let _ = writeln!(
                h,
                "<span><a href=\"#problems\">Problems</a> <span class=\"c\">{}</span></span>",
                data.problems.len()
            );
        }
        h.push_str("</nav>\n</div></header>\n");
    }

    fn table_section(&mut self, h: &mut String, table: &TableInfo) {
        let data = self.data;
        let s: Summary = data.summary(Some(&table.name));
        let _ = writeln!(
            h,
            "<section class=\"block\" id=\"{}\">",
            anchor(&table.name)
        );
        let repl = if table.replacements.is_empty() {
            String::new()
        } else {
            format!(
                "<span class=\"repl\">replaced by {}</span>",
                table
                    .replacements
                    .iter()
                    .map(|r| format!("<code>{}</code>", escape(r)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let _ = writeln!(
            h,
            "<h2><span class=\"name\">{}</span> {} {}</h2>",
            escape(&table.name),
            phase_badge(&table.phase),
            repl
        );
        let _ = write!(
            h,
            "<div class=\"stats\"><span><b>{}</b> writers</span><span><b>{}</b> components</span>\
             <span><b>{}</b> readers</span><span><b>{}</b> schema changes</span>",
            s.writers, s.writer_components, s.readers, s.schema_changes
        );
        if let Some(n) = s.unexplained {
            let _ = write!(h, "<span><b>{n}</b> unexplained in logs</span>");
        }
        h.push_str("</div>\n");

        // Who to talk to: one line per component touching the table.
        let by = data.components_of(&table.name);
        let mut rows = Vec::new();
        for (component, c) in &by {
            let owners: Vec<String> = c.owners.iter().cloned().collect();
            rows.push(format!(
                "<tr><td class=\"comp\">{}</td><td class=\"owner\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                escape(component),
                owners_text(&owners),
                c.writes,
                c.reads,
                c.ddl
            ));
        }
        let _ = writeln!(
            h,
            "<h3>Components <span class=\"count\">({})</span></h3>",
            by.len()
        );
        self.data_table(
            h,
            &format!("components of {}", table.name),
            &[
                col("Component"),
                col("Owners"),
                num("Writes"),
                num("Reads"),
                num("Schema"),
            ],
            &rows,
            "No code references this table.",
        );

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
            let found = data.rows_of(&table.name, access);
            // Unresolved references get a section only when there are some.
            if access == Access::Unknown && found.is_empty() {
                continue;
            }
            let _ = writeln!(
                h,
                "<h3>{title} <span class=\"count\">({})</span></h3>",
                found.len()
            );
            let rows: Vec<String> = found.iter().map(|r| finding_row(r)).collect();
            self.data_table(
                h,
                &format!("{} of {}", title.to_lowercase(), table.name),
                &[
                    col("Component"),
                    col("Owners"),
                    col("Location"),
                    col("Operation"),
                    col("Statement"),
                    col("Confidence"),
                ],
                &rows,
                empty,
            );
        }

        if data.dual_write.is_some() {
            let checks = data.dual_write_of(&table.name);
            let _ = writeln!(
                h,
                "<h3>Dual-write coverage <span class=\"count\">({})</span></h3>",
                checks.len()
            );
            let rows: Vec<String> = checks
                .iter()
                .map(|c| {
                    let ops = |v: &[crate::model::Operation]| {
                        v.iter().map(|o| o.as_str()).collect::<Vec<_>>().join(", ")
                    };
                    format!(
                        "<tr><td><span class=\"badge verdict-{v}\">{v}</span></td><td class=\"fn\">{}</td>\
                         <td class=\"loc\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                        escape(c.function.as_deref().unwrap_or("(top level)")),
                        path_html(&format!("{}:{}", c.file, c.line)),
                        escape(&ops(&c.operations)),
                        escape(&ops(&c.missing)),
                        escape(&c.via.join("; ")),
                        v = c.verdict.as_str(),
                    )
                })
                .collect();
            self.data_table(
                h,
                &format!("dual-write coverage of {}", table.name),
                &[
                    col("Verdict"),
                    col("Function"),
                    col("Location"),
                    col("Operations"),
                    col("Missing"),
                    col("Via"),
                ],
                &rows,
                "No function writes this table or its replacement in a phase that is checked.",
            );
        }

        if let Some(rt) = &data.runtime {
            let clients = data.runtime_of(&table.name);
            let _ = writeln!(
                h,
                "<h3>Runtime clients <span class=\"count\">({})</span></h3>",
                clients.len()
            );
            let rows: Vec<String> = clients.iter().map(|c| client_row(c)).collect();
            self.data_table(
                h,
                &format!("runtime clients of {}", table.name),
                &CLIENT_COLS,
                &rows,
                "No client read or wrote this table in the logs.",
            );
            let unexplained: Vec<&RuntimeClient> = rt.unexplained_writers(&table.name).collect();
            let _ = writeln!(
                h,
                "<h3>Unexplained writers <span class=\"count\">({})</span></h3>",
                unexplained.len()
            );
            if unexplained.is_empty() {
                h.push_str("<p class=\"note\">Every client that wrote this table in the logs is accounted for by a writer in the code.</p>\n");
            } else {
                h.push_str("<p class=\"note\">These clients wrote the table according to the query logs, but no writer in the code accounts for them. Find them before the cutover.</p>\n");
                let rows: Vec<String> = unexplained.iter().map(|c| client_row(c)).collect();
                self.data_table(
                    h,
                    &format!("unexplained writers of {}", table.name),
                    &CLIENT_COLS,
                    &rows,
                    "",
                );
            }
            let unseen: Vec<&NotObserved> = rt
                .not_observed
                .iter()
                .filter(|n| n.table == table.name)
                .collect();
            if !unseen.is_empty() {
                let _ = writeln!(
                    h,
                    "<h3>Writers in the code not seen in the logs <span class=\"count\">({})</span></h3>",
                    unseen.len()
                );
                h.push_str("<p class=\"note\">Dead code, a rare path, or a client the logs do not name: confirm before relying on the log window.</p>\n");
                let rows: Vec<String> = unseen
                    .iter()
                    .map(|n| {
                        format!(
                            "<tr><td class=\"comp\">{}</td><td class=\"loc\">{}</td><td>{}</td></tr>",
                            n.component
                                .as_deref()
                                .map(escape)
                                .unwrap_or_else(|| "<span class=\"muted\">none</span>".into()),
                            n.locations
                                .iter()
                                .map(|l| path_html(l))
                                .collect::<Vec<_>>()
                                .join("<br>"),
                            escape(&n.reason)
                        )
                    })
                    .collect();
                self.data_table(
                    h,
                    &format!("code writers of {} not seen in the logs", table.name),
                    &[col("Component"), col("Locations"), col("Why")],
                    &rows,
                    "",
                );
            }
        }
        if let Some(db) = &data.database {
            self.database_section(h, db, &table.name);
        }
        h.push_str("</section>\n");
    }

    /// The "Database" section of one table (`report --db`).
    fn database_section(&mut self, h: &mut String, db: &DatabaseSection, table_name: &str) {
        for t in db.tables_of(table_name) {
            let _ = writeln!(
                h,
                "<h3>Database <span class=\"count\">({})</span></h3>",
                t.objects.len()
            );
            let Some(relation) = &t.relation else {
                let _ = writeln!(
                    h,
                    "<p class=\"note\">Not found in <code>{}</code>.</p>",
                    escape(&db.target)
                );
                continue;
            };
            let owner = t
                .owner
                .as_deref()
                .map(|o| format!(", owner <code>{}</code>", escape(o)))
                .unwrap_or_default();
            let _ = writeln!(
                h,
                "<p class=\"note\"><code>{}</code> in <code>{}</code> ({}){owner}.</p>",
                escape(relation),
                escape(&db.target),
                escape(&db.version)
            );
            let rows: Vec<String> = t
                .objects
                .iter()
                .map(|o| {
                    let access = o.access.as_str();
                    format!(
                        "<tr><td class=\"loc\">{}</td><td><span class=\"op {access}\">{access}</span></td>\
                         <td>{}</td><td class=\"stmt\"><code>{}</code></td><td>{}</td></tr>",
                        escape(&o.location),
                        escape(&o.operation),
                        escape(&o.detail),
                        escape(&o.via.join(" → ")),
                    )
                })
                .collect();
            self.data_table(
                h,
                &format!("database objects of {table_name}"),
                &[
                    col("Object"),
                    col("Access"),
                    col("Operation"),
                    col("Definition"),
                    col("Via"),
                ],
                &rows,
                "No trigger, rule, view, routine or foreign key touches it.",
            );
            let _ = writeln!(
                h,
                "<h3>Who may write <span class=\"count\">({})</span></h3>",
                t.may_write.len()
            );
            let rows: Vec<String> = t
                .may_write
                .iter()
                .map(|m| {
                    format!(
                        "<tr><td class=\"client\">{}</td><td>{}</td><td class=\"why\">{}</td></tr>",
                        escape(&m.role),
                        escape(&m.privileges),
                        escape(&m.how)
                    )
                })
                .collect();
            self.data_table(
                h,
                &format!("roles that may write {table_name}"),
                &[col("Role"), col("Privileges"), col("Why")],
                &rows,
                "No role holds a write privilege.",
            );
            if let Some(c) = &t.counters {
                let _ = writeln!(h, "<p class=\"note\">Counters: {}.</p>", escape(c));
            }
        }
    }

    fn burndown_section(&mut self, h: &mut String) {
        let Some(b) = self.data.burndown.as_ref().filter(|b| !b.dates.is_empty()) else {
            return;
        };
        h.push_str("<section class=\"block\" id=\"burndown\">\n<h2>Burndown</h2>\n");
        let _ = writeln!(
            h,
            "<p class=\"note\">{} at each sampled commit, {} to {}.</p>",
            escape(&capitalize(&b.what)),
            escape(&b.dates[0]),
            escape(&b.dates[b.dates.len() - 1])
        );
        h.push_str("<figure class=\"chart\">");
        h.push_str(&burndown_svg(b));
        let changes: Vec<String> = b
            .series
            .iter()
            .filter_map(|(name, values)| {
                Some(format!(
                    "{} {} &rarr; {}",
                    escape(&series_label(name)),
                    values.first()?,
                    values.last()?
                ))
            })
            .collect();
        let projection = b
            .projection
            .as_deref()
            .map(|p| format!("; {}", escape(p)))
            .unwrap_or_default();
        let _ = writeln!(
            h,
            "<figcaption>{}{projection}.</figcaption></figure>",
            capitalize(&changes.join(", "))
        );
        h.push_str("</section>\n");
    }

    fn plan_section(&mut self, h: &mut String) {
        let Some(plan) = &self.data.plan else {
            return;
        };
        h.push_str("<section class=\"block\" id=\"plan\">\n<h2>Migration plan</h2>\n");
        h.push_str("<p class=\"note\">Components in one wave can move together; each wave waits for the ones before it.</p>\n");
        if plan.waves.is_empty() {
            h.push_str("<p class=\"note\">Nothing to migrate: no component references the legacy tables.</p>\n");
        } else {
            h.push_str("<div class=\"waves\">\n");
            for wave in &plan.waves {
                let _ = write!(h, "<div class=\"wave\"><h4>Wave {}</h4><ul>", wave.number);
                for item in wave.items.iter().filter(|i| i.touches) {
                    let kind = item
                        .kind
                        .as_deref()
                        .map(|k| format!(" <span class=\"kind\">{}</span>", escape(k)))
                        .unwrap_or_default();
                    let _ = write!(
                        h,
                        "<li><strong>{}</strong>{kind} <span class=\"who\">{}</span><span class=\"why\">{}</span></li>",
                        escape(&item.component),
                        escape(&item.owners.join(" ")),
                        escape(&item.reason)
                    );
                }
                let others: Vec<String> = wave
                    .items
                    .iter()
                    .filter(|i| !i.touches)
                    .map(|i| escape(&i.component))
                    .collect();
                if !others.is_empty() {
                    let _ = write!(
                        h,
                        "<li class=\"others\">Also in this wave, touching no legacy table: {}</li>",
                        others.join(", ")
                    );
                }
                h.push_str("</ul></div>\n");
            }
            h.push_str("</div>\n");
        }
        for (title, list) in [
            ("Before the waves can move", &plan.preconditions),
            ("Notes", &plan.notes),
        ] {
            if list.is_empty() {
                continue;
            }
            let _ = writeln!(h, "<h3>{title}</h3>\n<ul class=\"notes\">");
            for item in list {
                let _ = writeln!(h, "<li>{}</li>", escape(item));
            }
            h.push_str("</ul>\n");
        }
        h.push_str("</section>\n");
    }

    fn problems_section(&mut self, h: &mut String) {
        let problems = &self.data.problems;
        if problems.is_empty() {
            return;
        }
        h.push_str("<section class=\"block\" id=\"problems\">\n");
        let _ = writeln!(
            h,
            "<h2>Problems <span class=\"count\">({})</span></h2>",
            problems.len()
        );
        h.push_str("<p class=\"note\">Files or statements that could not be fully analysed. A writer may hide in any of them.</p>\n");
        let rows: Vec<String> = problems
            .iter()
            .map(|p| {
                let line = p.line.map(|l| format!(":{l}")).unwrap_or_default();
                format!(
                    "<tr><td class=\"loc\" data-sort=\"{}\">{}{}</td><td><span class=\"op\">{}</span></td><td>{}</td></tr>",
                    escape(&sort_key(&p.file, p.line.unwrap_or(0))),
                    path_html(&p.file),
                    line,
                    p.reason.as_str(),
                    escape(&p.detail)
                )
            })
            .collect();
        self.data_table(
            h,
            "problems",
            &[col("Location"), col("Reason"), col("Detail")],
            &rows,
            "",
        );
        h.push_str("</section>\n");
    }

    fn footer(&self, h: &mut String) {
        let t = &self.data.totals;
        let _ = writeln!(
            h,
            "<footer class=\"wrap\">Generated by <code>cutover {}</code> from <code>{}</code>: \
             {} files scanned, {} parsed, {} skipped. \
             Confidence: <em>parsed</em> by a SQL parser, <em>heuristic</em> from tokens when parsing \
             failed, <em>dynamic</em> when the table name is computed at run time.</footer>",
            env!("CARGO_PKG_VERSION"),
            escape(&self.data.root),
            t.files_scanned,
            t.files_parsed,
            t.files_skipped
        );
    }

    /// A sortable, filterable table of pre-rendered (escaped) rows, or a note when empty.
    fn data_table(
        &mut self,
        h: &mut String,
        label: &str,
        cols: &[Col],
        rows: &[String],
        empty: &str,
    ) {
        if rows.is_empty() {
            let _ = writeln!(h, "<p class=\"note empty\">{}</p>", escape(empty));
            return;
        }
        self.rows += rows.len();
        let _ = write!(h, "<div class=\"datatable\" data-rows=\"{}\">", rows.len());
        let mut classes = Vec::new();
        if rows.len() > 1 {
            classes.push("sortable");
            let _ = write!(
                h,
                "<div class=\"tools\"><input type=\"search\" class=\"filter\" placeholder=\"Filter\u{2026}\" \
                 aria-label=\"Filter {}\"><span class=\"shown\"></span></div>",
                escape(label)
            );
        }
        // Narrow tables of counts read better at their natural width.
        if cols.len() <= 5 {
            classes.push("compact");
        }
        let _ = write!(
            h,
            "<div class=\"scroll\"><table class=\"{}\" aria-label=\"{}\"><thead><tr>",
            classes.join(" "),
            escape(label)
        );
        for c in cols {
            if c.num {
                let _ = write!(h, "<th class=\"num\" scope=\"col\">{}</th>", c.title);
            } else {
                let _ = write!(h, "<th scope=\"col\">{}</th>", c.title);
            }
        }
        h.push_str("</tr></thead>\n<tbody>\n");
        for r in rows {
            h.push_str(r);
            h.push('\n');
        }
        h.push_str("</tbody></table></div></div>\n");
    }
}

fn card(h: &mut String, class: &str, n: usize, label: &str, metric: &str) {
    let _ = writeln!(
        h,
        "<div class=\"card {class}\" data-metric=\"{metric}\"><div class=\"n\">{n}</div><div class=\"l\">{}</div></div>",
        escape(label)
    );
}

/// An escaped path that may wrap after each `/` but never inside a file name.
fn path_html(path: &str) -> String {
    escape(path).replace('/', "/<wbr>")
}

fn finding_row(r: &Row) -> String {
    let f = &r.finding;
    let function = f
        .function
        .as_deref()
        .map(|func| format!("<span class=\"fn\">{}</span>", escape(func)))
        .unwrap_or_default();
    let access = f.access.as_str();
    let confidence = f.confidence.as_str();
    let conf_title = match f.confidence {
        Confidence::Parsed => "a SQL parser identified the table",
        Confidence::Heuristic => "the SQL did not parse; found by a token scan",
        Confidence::Inferred => "resolved from a model or query-builder call",
        Confidence::Dynamic => "the table name is computed at run time",
    };
    format!(
        "<tr><td class=\"comp\">{}</td><td class=\"owner\">{}</td>\
         <td class=\"loc\" data-sort=\"{}\">{}{}{}</td>\
         <td><span class=\"op {access}\">{}</span></td>\
         <td class=\"stmt\"><code>{}</code></td>\
         <td><span class=\"badge conf-{confidence}\" title=\"{conf_title}\">{confidence}</span></td></tr>",
        escape(&r.component),
        owners_text(&r.owners),
        escape(&sort_key(&f.file, f.line)),
        path_html(&f.file),
        // A database object has no line: its name is its location.
        if f.kind == crate::model::Kind::DbObject {
            String::new()
        } else {
            format!(":{}", f.line)
        },
        function,
        f.operation.as_str(),
        escape(&crate::report::document::evidence_and_reason(f)),
    )
}

fn client_row(c: &RuntimeClient) -> String {
    let in_code = if c.explained {
        "<span class=\"badge conf-parsed\">yes</span>"
    } else {
        "<span class=\"badge conf-dynamic\">no</span>"
    };
    let access = c.access.as_str();
    format!(
        "<tr><td class=\"client\">{}</td><td class=\"comp\">{}</td><td><span class=\"op {access}\">{access}</span></td>\
         <td class=\"num\">{}</td><td>{in_code}</td><td class=\"why\">{}</td>\
         <td class=\"stmt\"><code>{}</code></td></tr>",
        escape(&c.client),
        c.component
            .as_deref()
            .map(escape)
            .unwrap_or_else(|| "<span class=\"muted\">unknown</span>".to_string()),
        c.executions,
        escape(&c.reason),
        escape(c.sample.as_deref().unwrap_or("")),
    )
}

/// Writers red, readers blue, schema changes purple as in the tables; others from a palette.
fn series_color(name: &str, index: usize) -> &'static str {
    const PALETTE: [&str; 6] = [
        "#2457c5", "#b42318", "#7a4bc2", "#1a7f4b", "#b54708", "#0f6363",
    ];
    match name {
        "write" => "#b42318",
        "read" => "#2457c5",
        "ddl" => "#7a4bc2",
        _ => PALETTE[index % PALETTE.len()],
    }
}

/// A line chart of every series over time, as inline SVG; all text escaped.
fn burndown_svg(b: &BurndownSection) -> String {
    const W: f64 = 760.0;
    const H: f64 = 240.0;
    const LEFT: f64 = 44.0;
    const RIGHT: f64 = 140.0;
    const TOP: f64 = 14.0;
    const BOTTOM: f64 = 30.0;
    let n = b.dates.len();
    let max = b
        .series
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .max()
        .unwrap_or(0)
        .max(1);
    // Round the axis up to a multiple of a tick step that gives at most five ticks.
    let step = [1u64, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000]
        .into_iter()
        .find(|s| max.div_ceil(*s) <= 5)
        .unwrap_or(max.div_ceil(5));
    let top_value = max.div_ceil(step) * step;
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let x = |i: usize| {
        if n <= 1 {
            LEFT + plot_w / 2.0
        } else {
            LEFT + plot_w * i as f64 / (n - 1) as f64
        }
    };
    let y = |v: u64| TOP + plot_h * (1.0 - v as f64 / top_value as f64);
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" width=\"{W}\" height=\"{H}\" role=\"img\" \
         aria-label=\"{}\" font-family=\"system-ui, sans-serif\" font-size=\"11\">",
        escape(&capitalize(&b.what))
    );
    let mut tick = 0;
    while tick <= top_value {
        let ty = y(tick);
        let _ = write!(
            s,
            "<line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{ty:.1}\" y2=\"{ty:.1}\" stroke=\"#e3e7ec\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#8a93a1\">{tick}</text>",
            LEFT + plot_w,
            LEFT - 8.0,
            ty + 4.0
        );
        tick += step;
    }
    // Label at most about six dates so they never overlap.
    let every = n.div_ceil(6).max(1);
    for (i, date) in b.dates.iter().enumerate() {
        if i % every == 0 || i + 1 == n {
            let _ = write!(
                s,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#5b6472\">{}</text>",
                x(i),
                H - 10.0,
                escape(date)
            );
        }
    }
    for (index, (name, values)) in b.series.iter().enumerate() {
        let color = series_color(name, index);
        let label = series_label(name);
        let values = &values[..values.len().min(n)];
        let path: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", x(i), y(*v)))
            .collect();
        let _ = write!(
            s,
            "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2.5\" stroke-linejoin=\"round\" points=\"{}\"/>",
            path.join(" ")
        );
        for (i, v) in values.iter().enumerate() {
            let commit = b
                .commits
                .get(i)
                .and_then(|c| c.as_deref())
                .map(|c| format!(" {}", &c[..c.len().min(10)]))
                .unwrap_or_default();
            let _ = write!(
                s,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3.5\" fill=\"{color}\"><title>{}{}: {v} {}</title></circle>",
                x(i),
                y(*v),
                escape(&b.dates[i]),
                escape(&commit),
                escape(&label)
            );
        }
        if let Some(last) = values.last() {
            let _ = write!(
                s,
                "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"{color}\" font-weight=\"600\">{last} {}</text>",
                x(values.len() - 1) + 10.0,
                y(*last) + 4.0,
                escape(&label)
            );
        }
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::document::tests::sample;

    #[test]
    fn scanned_text_is_escaped_everywhere() {
        let mut data = sample();
        data.root = "</script><script>alert(1)</script>".into();
        let html = render(&data).unwrap();
        // The only script elements are the page's own three.
        assert_eq!(html.matches("<script").count(), 3, "{html}");
        assert_eq!(html.matches("</script>").count(), 3);
        assert!(!html.contains("<img"), "an injected tag survived");
        assert!(!html.contains("<b>handler"));
        assert!(html.contains("services/<wbr>evil/<wbr>&lt;img src=x onerror=alert(1)&gt;.py:12"));
        assert!(html.contains(
            "UPDATE orders_legacy SET note = &#39;&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#39;"
        ));
        assert!(html.contains("user=&lt;script&gt;alert(1)&lt;/script&gt;"));
        // The JSON block carries the root with its markup escaped as JSON unicode escapes.
        let start = html.find("id=\"report-data\">").unwrap() + "id=\"report-data\">".len();
        let end = start + html[start..].find("</script>").unwrap();
        let json: serde_json::Value = serde_json::from_str(&html[start..end]).unwrap();
        assert_eq!(json["root"], "</script><script>alert(1)</script>");
        assert!(html[start..end].contains("\\u003c/script\\u003e"));
    }

    #[test]
    fn script_json_escapes_html_and_line_separators() {
        let s = script_json(&"a<b>&c\u{2028}d\u{2029}").unwrap();
        assert_eq!(s, "\"a\\u003cb\\u003e\\u0026c\\u2028d\\u2029\"");
        let back: String = serde_json::from_str(&s).unwrap();
        assert_eq!(back, "a<b>&c\u{2028}d\u{2029}");
    }

    #[test]
    fn page_counts_the_rows_it_renders() {
        let data = sample();
        let html = render(&data).unwrap();
        let start = html.find("id=\"report-data\">").unwrap() + "id=\"report-data\">".len();
        let end = start + html[start..].find("</script>").unwrap();
        let json: serde_json::Value = serde_json::from_str(&html[start..end]).unwrap();
        let rows_in_html = html.matches("<tr><td").count();
        assert_eq!(json["rows"].as_u64().unwrap() as usize, rows_in_html);
        // Components (4 + 1), findings (5), runtime clients (2), unexplained (1), not seen in
        // the logs (1), database objects (1) and roles that may write (1), problems (1).
        assert_eq!(rows_in_html, 17);
    }

    #[test]
    fn sections_appear_only_when_their_data_exists() {
        let full = render(&sample()).unwrap();
        assert!(full.contains("<li>nothing in the code writes &lt;orders_legacy&gt;</li>"));
        assert!(full.contains("<span class=\"kind\">job</span>"));
        for needle in [
            "id=\"plan\"",
            "Runtime clients",
            "Unexplained writers",
            "<svg",
            "id=\"problems\"",
        ] {
            assert!(full.contains(needle), "missing {needle}");
        }
        let mut bare = sample();
        bare.runtime = None;
        bare.plan = None;
        bare.burndown = None;
        bare.problems.clear();
        let html = render(&bare).unwrap();
        for needle in [
            "id=\"plan\"",
            "Runtime clients",
            "Unexplained writers",
            "<svg",
            "id=\"problems\"",
        ] {
            assert!(!html.contains(needle), "unexpected {needle}");
        }
        assert!(html.contains("no query logs given"));
    }

    #[test]
    fn page_is_self_contained() {
        let html = render(&sample()).unwrap();
        for external in ["http://", "https://", "src=", "@import", "url("] {
            let hits: Vec<_> = html.match_indices(external).collect();
            // The SVG namespace is an identifier, not a fetch.
            let fetches = hits
                .iter()
                .filter(|(i, _)| !html[..*i].ends_with("xmlns=\""))
                .filter(|(i, _)| !html[i.saturating_sub(20)..*i].contains("&lt;img"))
                .count();
            assert_eq!(fetches, 0, "page refers to {external}");
        }
    }

    #[test]
    fn burndown_scales_to_the_largest_value() {
        let b = sample().burndown.unwrap();
        let svg = burndown_svg(&b);
        // Max 9 rounds up to 10 with a step of 2: ticks 0..=10.
        assert!(svg.contains(">10</text>") && !svg.contains(">12</text>"));
        assert_eq!(svg.matches("<circle").count(), 9);
        assert!(svg.contains(">2 writers</text>"));
        assert!(svg.contains(">1 schema changes</text>"));
    }
}
