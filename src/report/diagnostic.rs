//! Human-readable `audit` output: totals per table first, then rustc-like diagnostics with a
//! code frame (annotate-snippets) for every result that needs attention, the ratchet's
//! progress, problems, and a summary line. Colour only when the caller says the output is a
//! terminal and `NO_COLOR` is unset; that decision is made in `lib.rs`.

use crate::audit::rules::{Level, Rule};
use crate::audit::{Audit, Item};
use crate::report::escape::control;
use annotate_snippets::{AnnotationKind, Renderer, Snippet};
use anyhow::Result;
use std::io::Write;

/// `1 reference`, `2 references`.
fn count(n: u64, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Whether a result gets a diagnostic of its own. Known references and suppressed ones are
/// only counted: a codebase mid-migration has hundreds, and the totals say how many.
fn shown(item: &Item) -> bool {
    item.allowance.is_none()
        && item.rule != Rule::KnownReference
        && item.rule != Rule::DualWriteCovered
}

fn level_of(level: Level) -> annotate_snippets::Level<'static> {
    match level {
        Level::Error => annotate_snippets::Level::ERROR,
        Level::Warning => annotate_snippets::Level::WARNING,
        Level::Note => annotate_snippets::Level::NOTE,
    }
}

fn label(item: &Item) -> &'static str {
    label_of_rule(item.rule)
}

fn label_of_rule(rule: Rule) -> &'static str {
    match rule {
        Rule::NewReference => "new reference",
        Rule::ForbiddenRead => "forbidden read",
        Rule::ForbiddenReference => "forbidden reference",
        Rule::ExpiredAllowance => "allowance expired",
        Rule::InvalidSuppression => "invalid suppression",
        Rule::UnusedSuppression => "matches no reference",
        Rule::KnownReference => "known reference",
        Rule::DualWriteCovered => "covered",
        Rule::DualWriteConditional => "conditional",
        Rule::DualWriteNotIdempotent => "not idempotent",
        Rule::DualWriteOrder => "order",
        Rule::DualWriteSwallowed => "swallowed",
        Rule::DualWritePartial => "partial",
        Rule::DualWriteReplacementOnly => "replacement-only",
        Rule::DualWriteUncovered => "uncovered",
        Rule::ShadowReadMissing => "no shadow read",
    }
}

/// Render one diagnostic. The frame shows the result's line, underlined from its column to
/// the end of the line; without the source text it falls back to `file:line:col`.
fn render_item(item: &Item, audit: &Audit, renderer: &Renderer) -> String {
    let source_line = audit
        .sources
        .get(&item.file)
        .and_then(|t| t.lines().nth(item.line.saturating_sub(1) as usize));
    // The source line's control characters are shown as symbols by annotate-snippets; the
    // path and the message are escaped here (a file name can hold a newline).
    let file = control(&item.file);
    let message = control(&item.message);
    let level = level_of(item.level);
    let title = level.primary_title(message.as_ref()).id(item.rule.id());
    let help = annotate_snippets::Level::HELP.message(item.rule.help());
    let group = match source_line {
        Some(line) => {
            let line = line.trim_end();
            let start = line
                .char_indices()
                .nth(item.column.saturating_sub(1) as usize)
                .map(|(i, _)| i)
                .unwrap_or(0);
            let end = line.len().max(start);
            title
                .element(
                    Snippet::source(line)
                        .line_start(item.line as usize)
                        .path(file.as_ref())
                        .annotation(AnnotationKind::Primary.span(start..end).label(label(item))),
                )
                .element(help)
        }
        None => title
            .element(
                annotate_snippets::Level::NOTE
                    .message(format!("at {file}:{}:{}", item.line, item.column)),
            )
            .element(help),
    };
    renderer.render(&[group])
}

/// Write the text report. `color` turns on ANSI styles.
pub fn write_audit(audit: &Audit, color: bool, out: &mut dyn Write) -> Result<()> {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mode = match (&audit.baseline, &audit.changed_since) {
        (Some(b), Some(rev)) => format!("baseline {}, changes since {rev}", control(&b.path)),
        (Some(b), None) => format!("baseline {}", control(&b.path)),
        (None, Some(rev)) => format!("changes since {rev}, no baseline"),
        (None, None) => "no baseline".to_string(),
    };
    writeln!(
        out,
        "cutover audit of {} ({})",
        control(&audit.root_display),
        control(&mode)
    )?;
    writeln!(out)?;
    writeln!(out, "totals")?;
    for t in &audit.tables {
        let baseline = t
            .baseline
            .map(|n| format!("; baseline {n}"))
            .unwrap_or_default();
        writeln!(
            out,
            "  {} (phase {}): {}: {} new, {} known, {} suppressed{baseline}",
            t.table,
            t.phase,
            count(t.references, "reference"),
            t.new,
            t.known,
            t.suppressed
        )?;
    }
    writeln!(out)?;
    // Dual-write verdicts: counted here; covered writers are listed on one line each (the
    // others get a diagnostic below).
    let dual: Vec<(Rule, usize)> = [
        Rule::DualWriteUncovered,
        Rule::DualWritePartial,
        Rule::DualWriteReplacementOnly,
        Rule::ShadowReadMissing,
        Rule::DualWriteCovered,
    ]
    .into_iter()
    .map(|r| (r, audit.items.iter().filter(|i| i.rule == r).count()))
    .collect();
    if dual.iter().any(|(_, n)| *n > 0) {
        let parts: Vec<String> = dual
            .iter()
            .map(|(r, n)| format!("{n} {}", label_of_rule(*r)))
            .collect();
        writeln!(out, "dual-write coverage: {}", parts.join(", "))?;
        for i in audit
            .items
            .iter()
            .filter(|i| i.rule == Rule::DualWriteCovered)
        {
            writeln!(
                out,
                "  covered  {}:{}  {}",
                control(&i.file),
                i.line,
                control(&i.message)
            )?;
        }
        writeln!(out)?;
    }

    let mut shown_items: Vec<&Item> = audit.items.iter().filter(|i| shown(i)).collect();
    shown_items.sort_by_key(|i| i.level);
    for item in shown_items {
        writeln!(out, "{}", render_item(item, audit, &renderer))?;
        writeln!(out)?;
    }

    if let Some(b) = &audit.baseline {
        for (old, new) in &b.renames {
            writeln!(
                out,
                "followed rename: {} → {} (its baseline entries moved along)",
                control(old),
                control(new)
            )?;
        }
        if !b.kept.is_empty() {
            writeln!(
                out,
                "baseline entries kept for {} this run could not analyse (not counted as removed):",
                count(b.kept.len() as u64, "file")
            )?;
            for k in &b.kept {
                writeln!(
                    out,
                    "  {}: {} ({})",
                    control(&k.file),
                    count(k.references, "reference"),
                    k.reason.as_str()
                )?;
            }
        }
        let removed = b.removed();
        match &b.update {
            Some(u) => {
                let verb = if b.created { "created" } else { "updated" };
                writeln!(
                    out,
                    "baseline {} {verb}: {} recorded ({} removed, {} added)",
                    control(&b.path),
                    count(u.baseline.total(), "reference"),
                    u.removed,
                    u.added
                )?;
                if u.refused > 0 {
                    writeln!(
                        out,
                        "{} not added: fix, suppress, or pass --allow-new to accept",
                        count(u.refused, "new reference")
                    )?;
                }
            }
            None if removed > 0 => {
                writeln!(
                    out,
                    "{} removed: run `cutover audit --update-baseline` to lock in the progress",
                    count(removed, "reference")
                )?;
                for r in &b.removals {
                    writeln!(
                        out,
                        "  {}: {} → {}",
                        control(&r.key.describe()),
                        r.was,
                        r.now
                    )?;
                }
            }
            None => {}
        }
        if !b.renames.is_empty() || !b.kept.is_empty() || removed > 0 || b.update.is_some() {
            writeln!(out)?;
        }
    }

    if !audit.problems.is_empty() {
        writeln!(out, "problems ({})", audit.problems.len())?;
        for p in &audit.problems {
            let at = p.line.map(|l| format!(":{l}")).unwrap_or_default();
            writeln!(
                out,
                "  {}{at}: {}: {}",
                control(&p.file),
                p.reason.as_str(),
                control(&p.detail)
            )?;
        }
        writeln!(out)?;
    }

    let c = audit.counts();
    let verdict = if audit.failed() { "failed" } else { "passed" };
    let unresolved = if c.unresolved > 0 {
        format!(", {} unresolved", c.unresolved)
    } else {
        String::new()
    };
    writeln!(
        out,
        "audit {verdict}: {}, {}; {}: {} new, {} known, {} suppressed{unresolved}; {} files scanned, {} skipped",
        count(c.errors, "error"),
        count(c.warnings, "warning"),
        count(c.references, "reference"),
        c.new,
        c.known,
        c.suppressed,
        audit.stats.files_scanned,
        audit.stats.files_skipped
    )?;
    Ok(())
}
