//! Rendering: the one seam between what a command computed and the bytes a user sees.
//! `write(&Document, Format, out)` picks the renderer (`write_styled` with colour); each
//! renderer is a file of its own and keeps its output schema private, so renaming an
//! internal field cannot change the output. Human-readable formats go through
//! `escape::Guard`, so no control character from scanned text reaches a terminal or a CI
//! log; `style` holds colour, alignment and plurals.

pub mod audit_json;
pub mod burndown;
pub mod db;
pub mod diagnostic;
pub mod doctor;
pub mod document;
pub mod dot;
pub mod dualwrite;
pub mod escape;
pub mod github;
pub mod gitlab;
pub mod html;
pub mod json;
pub mod logs;
pub mod markdown;
pub mod mermaid;
pub mod plan;
pub mod sarif;
pub mod style;
pub mod svg;
pub mod text;

use crate::audit::Audit;
use crate::burndown::Burndown;
use crate::cli;
use crate::dualwrite::Analysis;
use crate::logs::LogReport;
use crate::logs::doctor::Diagnosis;
use crate::logs::reconcile::Reconciliation;
use crate::plan::Plan;
use crate::scan::Inventory;
use anyhow::{Result, bail};
use std::io::Write;
use std::path::Path;
use style::Style;

/// What a command produced, ready to render.
pub enum Document<'a> {
    Inventory {
        inventory: &'a Inventory,
        /// `--logs`: the code findings reconciled with the query logs.
        runtime: Option<&'a Reconciliation>,
        /// `--db`: the database read (its objects are already among the findings).
        database: Option<&'a crate::db::Catalog>,
    },
    Logs(&'a LogReport),
    Doctor {
        logs: &'a LogReport,
        diagnosis: &'a Diagnosis,
    },
    Audit {
        audit: &'a Audit,
        /// GitHub's step summary file, for the `github` format.
        step_summary: Option<&'a Path>,
    },
    Plan(&'a Plan),
    DualWrite(&'a Analysis),
    Burndown(&'a Burndown),
    BurndownChart {
        burndown: &'a Burndown,
        title: Option<&'a str>,
    },
    Report(&'a document::ReportData),
    /// `cutover db`: the live catalog of the legacy tables.
    Db(&'a crate::db::Catalog),
    /// `cutover db lock-writes` / `unlock-writes`: the SQL and whether it ran.
    DbLock(&'a crate::db::LockScript),
}

/// Every output format; which ones a document supports is decided by `write`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Jsonl,
    Csv,
    Sarif,
    Github,
    Gitlab,
    Dot,
    Mermaid,
    Svg,
    Html,
    Markdown,
}

impl Format {
    /// Formats people read (as opposed to programs): their output is made terminal-safe.
    pub fn is_human(self) -> bool {
        matches!(
            self,
            Format::Text | Format::Github | Format::Markdown | Format::Html
        )
    }

    /// What `--output` file names fit this format (lower case, without the dot); any name
    /// whose extension is not a known format fits too.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            Format::Text => &["txt"],
            Format::Json => &["json"],
            Format::Jsonl => &["jsonl", "ndjson"],
            Format::Csv => &["csv"],
            Format::Sarif => &["sarif", "json"],
            Format::Github => &["txt"],
            Format::Gitlab => &["json"],
            Format::Dot => &["dot", "gv"],
            Format::Mermaid => &["mmd", "mermaid", "md"],
            Format::Svg => &["svg"],
            Format::Html => &["html", "htm"],
            Format::Markdown => &["md", "markdown"],
        }
    }

    /// The format's name as `--format` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
            Format::Sarif => "sarif",
            Format::Github => "github",
            Format::Gitlab => "gitlab",
            Format::Dot => "dot",
            Format::Mermaid => "mermaid",
            Format::Svg => "svg",
            Format::Html => "html",
            Format::Markdown => "md",
        }
    }
}

/// File extensions that name a document format: an `--output` name with one of these must
/// match what is written (`report -o x.pdf` would be HTML in a file called PDF). Names of
/// plain text (`.txt`, `.log`, `.out`) fit every format.
const KNOWN_EXTENSIONS: &[&str] = &[
    "csv", "doc", "docx", "dot", "gif", "gv", "htm", "html", "jpeg", "jpg", "json", "jsonl",
    "markdown", "md", "mermaid", "mmd", "ndjson", "odt", "pdf", "png", "ps", "rtf", "sarif", "svg",
    "xls", "xlsx", "xml", "yaml", "yml",
];

/// Refuse a file name given with `flag` (`--output`, `--svg`) whose extension says another
/// format than `format`.
pub fn check_output_name(flag: &str, path: &Path, format: Format) -> Result<()> {
    let Some(ext) = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
    else {
        return Ok(());
    };
    if !KNOWN_EXTENSIONS.contains(&ext.as_str()) || format.extensions().contains(&ext.as_str()) {
        return Ok(());
    }
    let or_format = if flag == "--output" {
        " or choose another --format"
    } else {
        ""
    };
    bail!(
        "{flag} {}: this writes {} (not {ext}); name the file .{}{or_format}",
        path.display(),
        format.name(),
        format.extensions()[0]
    )
}

/// Render `doc` as `format` to `out`, without colour.
pub fn write(doc: &Document<'_>, format: Format, out: &mut dyn Write) -> Result<()> {
    write_styled(doc, format, Style::PLAIN, out)
}

/// Render `doc` as `format` to `out`; `style` says whether human-readable text is coloured.
pub fn write_styled(
    doc: &Document<'_>,
    format: Format,
    style: Style,
    out: &mut dyn Write,
) -> Result<()> {
    if format.is_human() {
        let mut guarded = escape::Guard::new(out, style.color);
        render(doc, format, style, &mut guarded)
    } else {
        render(doc, format, Style::PLAIN, out)
    }
}

fn render(doc: &Document<'_>, format: Format, style: Style, out: &mut dyn Write) -> Result<()> {
    use Format as F;
    match (doc, format) {
        (
            Document::Inventory {
                inventory,
                runtime,
                database,
            },
            F::Text,
        ) => {
            text::write_inventory(inventory, style, out)?;
            if let Some(r) = runtime {
                logs::write_reconciliation_text(r, style, out)?;
            }
            if let Some(c) = database {
                db::write_source_text(c, out)?;
            }
            text::write_next_step(&inventory.root_display, runtime.is_some(), style, out)
        }
        (
            Document::Inventory {
                inventory,
                runtime,
                database,
            },
            F::Json,
        ) => json::write_inventory(inventory, *runtime, *database, out),
        (Document::Inventory { inventory, .. }, F::Jsonl) => {
            json::write_findings_jsonl(&inventory.scan.findings, out)?;
            json::write_findings_jsonl(&inventory.scan.callers, out)
        }
        (Document::Logs(r), F::Text) => logs::write_text(r, style, out),
        (Document::Logs(r), F::Json) => logs::write_json(r, out),
        (Document::Logs(r), F::Jsonl) => logs::write_jsonl(r, out),
        (Document::Doctor { logs, diagnosis }, F::Text) => {
            doctor::write_text(logs, diagnosis, style, out)
        }
        (Document::Doctor { diagnosis, .. }, F::Json | F::Jsonl) => {
            doctor::write_json(diagnosis, out)
        }
        (Document::Audit { audit, .. }, F::Text) => {
            diagnostic::write_audit(audit, style.color, out)
        }
        (Document::Audit { audit, .. }, F::Json) => audit_json::write_audit(audit, out),
        (Document::Audit { audit, .. }, F::Jsonl) => audit_json::write_audit_jsonl(audit, out),
        (Document::Audit { audit, .. }, F::Sarif) => sarif::write_audit(audit, out),
        (
            Document::Audit {
                audit,
                step_summary,
                ..
            },
            F::Github,
        ) => github::write_audit(audit, *step_summary, out),
        (Document::Audit { audit, .. }, F::Gitlab) => gitlab::write_audit(audit, out),
        (Document::Plan(p), F::Text) => plan::write_text(p, style, out),
        (Document::Plan(p), F::Json) => plan::write_json(p, out),
        (Document::Plan(p), F::Dot) => dot::write(p, out),
        (Document::Plan(p), F::Mermaid) => mermaid::write(p, out),
        (Document::DualWrite(a), F::Text) => dualwrite::write_text(a, style, out),
        (Document::DualWrite(a), F::Json) => dualwrite::write_json(a, out),
        (Document::Burndown(b), F::Text) => burndown::write_text(b, style, out),
        (Document::Burndown(b), F::Csv) => burndown::write_csv(b, out),
        (Document::Burndown(b), F::Json) => burndown::write_json(b, out),
        (Document::BurndownChart { burndown, title }, F::Svg) => {
            out.write_all(svg::render(burndown, *title)?.as_bytes())?;
            Ok(())
        }
        (Document::Report(data), F::Html) => html::write_report(data, out),
        (Document::Report(data), F::Markdown) => markdown::write_report(data, out),
        (Document::Db(c), F::Text) => db::write_text(c, out),
        (Document::Db(c), F::Json) => db::write_json(c, out),
        (Document::DbLock(s), F::Text) => db::write_lock(s, out),
        (_, format) => bail!("this output cannot be written as {format:?}"),
    }
}

impl From<cli::FindingsFormat> for Format {
    fn from(f: cli::FindingsFormat) -> Format {
        match f {
            cli::FindingsFormat::Text => Format::Text,
            cli::FindingsFormat::Json => Format::Json,
            cli::FindingsFormat::Jsonl => Format::Jsonl,
        }
    }
}

impl From<cli::AuditFormat> for Format {
    fn from(f: cli::AuditFormat) -> Format {
        match f {
            cli::AuditFormat::Text => Format::Text,
            cli::AuditFormat::Json => Format::Json,
            cli::AuditFormat::Jsonl => Format::Jsonl,
            cli::AuditFormat::Sarif => Format::Sarif,
            cli::AuditFormat::Github => Format::Github,
            cli::AuditFormat::Gitlab => Format::Gitlab,
        }
    }
}

impl From<cli::PlanFormat> for Format {
    fn from(f: cli::PlanFormat) -> Format {
        match f {
            cli::PlanFormat::Text => Format::Text,
            cli::PlanFormat::Json => Format::Json,
            cli::PlanFormat::Dot => Format::Dot,
            cli::PlanFormat::Mermaid => Format::Mermaid,
        }
    }
}

impl From<cli::DualWriteFormat> for Format {
    fn from(f: cli::DualWriteFormat) -> Format {
        match f {
            cli::DualWriteFormat::Text => Format::Text,
            cli::DualWriteFormat::Json => Format::Json,
        }
    }
}

impl From<cli::BurndownFormat> for Format {
    fn from(f: cli::BurndownFormat) -> Format {
        match f {
            cli::BurndownFormat::Text => Format::Text,
            cli::BurndownFormat::Csv => Format::Csv,
            cli::BurndownFormat::Json => Format::Json,
        }
    }
}
