//! Renderers of `cutover burndown`: a `Burndown` in, a table as text, CSV or one JSON
//! document out. Deterministic (no timings, sorted series); the chart is `burndown::svg`.

use crate::burndown::{Burndown, Projection, Source, WalkStats};
use crate::model::Problem;
use crate::report::escape::control;
use crate::report::style::{Role, Style, count};
use anyhow::Result;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;

/// Version of the JSON document schema.
pub const SCHEMA_VERSION: u32 = 1;

fn date(d: &DateTime<Utc>) -> String {
    d.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn short(commit: Option<&str>) -> &str {
    commit.map_or("-", |c| c.get(..10).unwrap_or(c))
}

fn source_line(b: &Burndown) -> String {
    match &b.source {
        Source::Git { root, rev } => {
            format!(
                "{} (first-parent history of {})",
                control(root),
                control(rev)
            )
        }
        Source::Record { path } => format!("history file {}", control(path)),
    }
}

/// The table: one row per sample, one column per series, then the total.
pub fn write_text(b: &Burndown, style: Style, out: &mut dyn Write) -> Result<()> {
    let title = format!(
        "burndown of {}: {}, one per {}, by {}",
        source_line(b),
        count(b.samples.len() as u64, "sample", "samples"),
        b.every.as_str(),
        b.by.as_str()
    );
    writeln!(out, "{}", style.paint(Role::Heading, &title))?;
    let mut header: Vec<String> = vec!["date".into(), "commit".into()];
    header.extend(b.series.iter().cloned());
    header.push("total".into());
    let mut rows: Vec<Vec<String>> = vec![header];
    for s in &b.samples {
        let mut row = vec![
            s.date.format("%Y-%m-%d %H:%M").to_string(),
            short(s.commit.as_deref()).to_string(),
        ];
        row.extend(
            b.series
                .iter()
                .map(|name| s.counts.get(name).copied().unwrap_or(0).to_string()),
        );
        row.push(s.total().to_string());
        rows.push(row);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    for row in &rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            let pad = widths[c] - cell.chars().count();
            if c < 2 {
                line.push_str(cell);
                line.push_str(&" ".repeat(pad));
            } else {
                // Numbers right-aligned.
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            }
            line.push_str("  ");
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    let refactors: Vec<_> = b.samples.iter().filter(|s| s.refactor.is_some()).collect();
    if !refactors.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "refactors, not progress (references moved between copies of the same code):"
        )?;
        for s in refactors {
            writeln!(
                out,
                "  {} {}: {}",
                s.date.format("%Y-%m-%d %H:%M"),
                short(s.commit.as_deref()),
                s.refactor.as_deref().unwrap_or("")
            )?;
        }
    }
    writeln!(out)?;
    match &b.projection {
        Projection::Finish {
            slope_per_day,
            window,
            ..
        } => writeln!(
            out,
            "{} ({slope_per_day} references/day over the last {window} samples)",
            b.projection.describe()
        )?,
        Projection::NoProgress {
            slope_per_day,
            window,
        } => writeln!(
            out,
            "{} ({slope_per_day:+} references/day over the last {window} samples)",
            b.projection.describe()
        )?,
        Projection::Unknown | Projection::Done { .. } => {
            writeln!(out, "{}", b.projection.describe())?
        }
    }
    if let Some(s) = &b.stats {
        writeln!(
            out,
            "walked {}, sampled {}: {} in all, {} scanned, {} from the disk cache, {} reused",
            count(s.commits_walked, "commit", "commits"),
            s.commits_sampled,
            count(s.files_seen, "file", "files"),
            count(s.blobs_scanned, "blob", "blobs"),
            s.blobs_from_disk_cache,
            s.blobs_reused
        )?;
    }
    if !b.problems.is_empty() {
        let title = format!("{}:", count(b.problems.len() as u64, "problem", "problems"));
        writeln!(out, "{}", style.paint(Role::Heading, &title))?;
        for p in &b.problems {
            let at = match p.line {
                Some(l) => format!("{}:{l}", control(&p.file)),
                None => control(&p.file).into_owned(),
            };
            writeln!(out, "  {at}: {}: {}", p.reason.as_str(), control(&p.detail))?;
        }
    }
    Ok(())
}

/// CSV: `date,commit,<series…>,total`, one row per sample.
pub fn write_csv(b: &Burndown, out: &mut dyn Write) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let mut header: Vec<&str> = vec!["date", "commit"];
    header.extend(b.series.iter().map(String::as_str));
    header.push("total");
    w.write_record(&header)?;
    for s in &b.samples {
        let mut row = vec![date(&s.date), s.commit.clone().unwrap_or_default()];
        row.extend(
            b.series
                .iter()
                .map(|name| s.counts.get(name).copied().unwrap_or(0).to_string()),
        );
        row.push(s.total().to_string());
        w.write_record(&row)?;
    }
    w.flush()?;
    Ok(())
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum SourceOut<'a> {
    Git { root: &'a str, rev: &'a str },
    Record { path: &'a str },
}

#[derive(Serialize)]
struct SampleOut<'a> {
    commit: Option<&'a str>,
    date: String,
    counts: &'a BTreeMap<String, u64>,
    total: u64,
    /// References moved between copies since the previous sample (a refactor).
    #[serde(skip_serializing_if = "Option::is_none")]
    refactor: Option<&'a str>,
}

#[derive(Serialize)]
struct ProjectionOut {
    /// unknown | done | finish | no_progress
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    slope_per_day: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    window: Option<usize>,
}

#[derive(Serialize)]
struct BurndownOut<'a> {
    version: u32,
    source: SourceOut<'a>,
    every: &'static str,
    by: &'static str,
    series: &'a [String],
    samples: Vec<SampleOut<'a>>,
    projection: ProjectionOut,
    stats: Option<&'a WalkStats>,
    problems: &'a [Problem],
}

/// One JSON document.
pub fn write_json(b: &Burndown, out: &mut dyn Write) -> Result<()> {
    let source = match &b.source {
        Source::Git { root, rev } => SourceOut::Git { root, rev },
        Source::Record { path } => SourceOut::Record { path },
    };
    let projection = match &b.projection {
        Projection::Unknown => ProjectionOut {
            status: "unknown",
            date: None,
            slope_per_day: None,
            window: None,
        },
        Projection::Done { date } => ProjectionOut {
            status: "done",
            date: Some(date.to_string()),
            slope_per_day: None,
            window: None,
        },
        Projection::Finish {
            slope_per_day,
            window,
            date,
        } => ProjectionOut {
            status: "finish",
            date: Some(date.to_string()),
            slope_per_day: Some(*slope_per_day),
            window: Some(*window),
        },
        Projection::NoProgress {
            slope_per_day,
            window,
        } => ProjectionOut {
            status: "no_progress",
            date: None,
            slope_per_day: Some(*slope_per_day),
            window: Some(*window),
        },
    };
    let doc = BurndownOut {
        version: SCHEMA_VERSION,
        source,
        every: b.every.as_str(),
        by: b.by.as_str(),
        series: &b.series,
        samples: b
            .samples
            .iter()
            .map(|s| SampleOut {
                commit: s.commit.as_deref(),
                date: date(&s.date),
                counts: &s.counts,
                total: s.total(),
                refactor: s.refactor.as_deref(),
            })
            .collect(),
        projection,
        stats: b.stats.as_ref(),
        problems: &b.problems,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)?;
    Ok(())
}
