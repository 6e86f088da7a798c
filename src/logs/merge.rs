//! Mergeable summaries, for logs read on many machines: the aggregate of one read (before
//! classification: clients, normalised statements with a sample and where it was first seen,
//! counts and first/last times per client and statement, the accounting, the first examples
//! of each problem, the notes) in, JSON out; summaries in, one aggregate out, reported as if
//! every file had been read in one run. Merging is associative and commutative: files are put
//! in path order, a statement keeps the sample of its first occurrence in that order, and
//! examples are the first ones in that order, whatever the order the summaries come in.
//! What one input cannot know of another (a session or a MySQL connection that continues in
//! the next file) stays within its input.

use super::cloud::{Envelope, Provider};
use super::{
    Accounting, Agg, Client, Example, FileInfo, FpInfo, LogFormat, LogReport, MAX_EXAMPLES,
    ReadOptions, Stat,
};
use crate::config::TableMatcher;
use crate::model::{Access, Operation};
use crate::sql::{Dialect, TableName, TableUse};
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Read `paths` into a summary (`cutover logs --summary-out`).
pub fn read_summary(paths: &[PathBuf], opts: &ReadOptions) -> Result<Summary> {
    let inputs: Vec<super::LogInput<'_>> = paths.iter().map(|p| super::LogInput::File(p)).collect();
    let (g, files) = super::read_all(&inputs, opts)?;
    summarize(&g, &files)
}

/// The summary and the report of many summaries (`cutover logs --merge`): the report is
/// what one run over every file, in path order, gives.
pub fn merge(parts: &[Summary], tables: &TableMatcher) -> Result<(Summary, LogReport)> {
    let (g, files) = combine(parts)?;
    let summary = summarize(&g, &files)?;
    Ok((summary, super::finish(g, files, tables)))
}

/// The `format` field of every summary.
pub const FORMAT: &str = "cutover-log-summary";
/// Version of the summary layout.
pub const VERSION: u32 = 1;

/// Settings that log statements (`Accounting::by_setting` keys), sorted.
const SETTINGS: &[&str] = &[
    "audit_log",
    "error_statement",
    "general_log",
    "log_min_duration_statement",
    "log_statement",
    "pg_stat_statements",
    "pgaudit",
    "server_audit",
    "slow_query_log",
];

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Summary {
    pub format: String,
    pub version: u32,
    pub files: Vec<SummaryFile>,
    pub clients: Vec<Client>,
    pub statements: Vec<SummaryStatement>,
    pub stats: Vec<SummaryStat>,
    pub accounting: SummaryAccounting,
    pub unmatched: Vec<Example>,
    pub prefix_mismatch: Vec<Example>,
    pub invalid_utf8: Vec<Example>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SummaryFile {
    pub path: String,
    pub format: LogFormat,
    pub compression: Option<String>,
    pub bytes: u64,
    pub lines: u64,
    pub envelope: Option<Envelope>,
    pub provider: Option<Provider>,
    pub log_line_prefix: Option<String>,
    pub prefix_source: Option<String>,
}

/// A table the server named (audit logs).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GivenUse {
    pub schema: Option<String>,
    pub name: String,
    pub quoted: bool,
    pub access: Access,
    pub operation: Operation,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SummaryStatement {
    /// Normalised text.
    pub text: String,
    /// The first statement seen with it, classified on its behalf.
    pub sample: String,
    pub file: String,
    pub line: u64,
    pub given: Option<Vec<GivenUse>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SummaryStat {
    pub client: u32,
    pub statement: u32,
    pub executions: u64,
    pub failed: u64,
    pub first: String,
    pub last: String,
}

/// `Accounting` with owned setting names.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SummaryAccounting {
    #[serde(flatten)]
    pub counts: BTreeMap<String, u64>,
    pub by_setting: BTreeMap<String, u64>,
}

fn accounting_out(a: &Accounting) -> Result<SummaryAccounting> {
    let mut v = serde_json::to_value(a)?;
    let by = v
        .as_object_mut()
        .and_then(|o| o.remove("by_setting"))
        .unwrap_or_default();
    Ok(SummaryAccounting {
        counts: serde_json::from_value(v)?,
        by_setting: serde_json::from_value(by)?,
    })
}

fn accounting_in(s: &SummaryAccounting) -> Result<Accounting> {
    let mut a: Accounting = serde_json::from_value(serde_json::to_value(&s.counts)?)
        .context("the summary's accounting")?;
    for (k, v) in &s.by_setting {
        let Ok(i) = SETTINGS.binary_search(&k.as_str()) else {
            bail!("unknown setting `{k}` in a summary's accounting");
        };
        *a.by_setting.entry(SETTINGS[i]).or_default() += v;
    }
    Ok(a)
}

/// The summary of what `read_all` aggregated.
pub(crate) fn summarize(g: &Agg, files: &[FileInfo]) -> Result<Summary> {
    let path = |i: usize| files.get(i).map(|f| f.path.clone()).unwrap_or_default();
    let example = |e: &Example| Example {
        file: e
            .file
            .parse::<usize>()
            .map(path)
            .unwrap_or_else(|_| e.file.clone()),
        ..e.clone()
    };
    let mut stats: Vec<SummaryStat> = g
        .stats
        .iter()
        .map(|((c, f), s)| SummaryStat {
            client: *c,
            statement: *f,
            executions: s.executions,
            failed: s.failed,
            first: s.first.clone(),
            last: s.last.clone(),
        })
        .collect();
    stats.sort_by_key(|s| (s.client, s.statement));
    let notes = g
        .notes
        .iter()
        .map(|n| match n.split_once(": ") {
            Some((i, rest)) if i.parse::<usize>().is_ok() => {
                format!("{}: {rest}", path(i.parse().unwrap_or(0)))
            }
            _ => n.clone(),
        })
        .collect();
    Ok(Summary {
        format: FORMAT.to_string(),
        version: VERSION,
        files: files
            .iter()
            .map(|f| SummaryFile {
                path: f.path.clone(),
                format: f.format,
                compression: f.compression.map(str::to_string),
                bytes: f.bytes,
                lines: f.lines,
                envelope: f.envelope,
                provider: f.provider,
                log_line_prefix: f.log_line_prefix.clone(),
                prefix_source: f.prefix_source.clone(),
            })
            .collect(),
        clients: g.clients.clone(),
        statements: g
            .fps
            .iter()
            .map(|f| SummaryStatement {
                text: f.text.clone(),
                sample: f.sample.clone(),
                file: path(f.file as usize),
                line: f.line,
                given: f.given.as_ref().map(|g| {
                    g.iter()
                        .map(|u| GivenUse {
                            schema: u.table.schema.clone(),
                            name: u.table.name.clone(),
                            quoted: u.table.quoted,
                            access: u.access,
                            operation: u.operation,
                        })
                        .collect()
                }),
            })
            .collect(),
        stats,
        accounting: accounting_out(&g.acc)?,
        unmatched: g.unmatched.iter().map(example).collect(),
        prefix_mismatch: g.prefix_mismatch.iter().map(example).collect(),
        invalid_utf8: g.invalid_utf8.iter().map(example).collect(),
        notes,
    })
}

/// Load a summary written by `--summary-out`.
pub fn load(path: &Path) -> Result<Summary> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read summary {}", path.display()))?;
    let s: Summary = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a cutover log summary", path.display()))?;
    if s.format != FORMAT || s.version != VERSION {
        bail!(
            "{}: a summary of format `{}` version {}, this cutover reads `{FORMAT}` version {VERSION}",
            path.display(),
            s.format,
            s.version
        );
    }
    Ok(s)
}

fn compression(c: Option<&str>) -> Option<&'static str> {
    match c? {
        "gzip" => Some("gzip"),
        "zstd" => Some("zstd"),
        _ => None,
    }
}

/// One aggregate of many summaries, as `read_all` would have made it from every file in
/// path order.
pub(crate) fn combine(parts: &[Summary]) -> Result<(Agg, Vec<FileInfo>)> {
    // Files in path order (then size, for the same path read twice).
    let mut all: Vec<(&SummaryFile, usize)> = parts
        .iter()
        .enumerate()
        .flat_map(|(p, s)| s.files.iter().map(move |f| (f, p)))
        .collect();
    all.sort_by(|a, b| {
        (&a.0.path, a.0.bytes, a.0.lines, a.1).cmp(&(&b.0.path, b.0.bytes, b.0.lines, b.1))
    });
    let index: BTreeMap<&str, u32> = all
        .iter()
        .enumerate()
        .rev()
        .map(|(i, (f, _))| (f.path.as_str(), i as u32))
        .collect();
    let idx = |p: &str| index.get(p).copied().unwrap_or(0);
    let files: Vec<FileInfo> = all
        .iter()
        .map(|(f, _)| FileInfo {
            path: f.path.clone(),
            format: f.format,
            compression: compression(f.compression.as_deref()),
            bytes: f.bytes,
            lines: f.lines,
            envelope: f.envelope,
            provider: f.provider,
            log_line_prefix: f.log_line_prefix.clone(),
            prefix_source: f.prefix_source.clone(),
        })
        .collect();
    let mut g = Agg::new(0, Dialect::Postgres);
    let mut examples: [Vec<Example>; 3] = Default::default();
    for part in parts {
        let cmap: Vec<u32> = part
            .clients
            .iter()
            .map(|c| g.intern_client(c.clone()))
            .collect();
        let mut fmap = Vec::with_capacity(part.statements.len());
        for st in &part.statements {
            let given: Option<Vec<TableUse>> = st.given.as_ref().map(|g| {
                g.iter()
                    .map(|u| TableUse {
                        table: TableName {
                            schema: u.schema.clone(),
                            name: u.name.clone(),
                            quoted: u.quoted,
                        },
                        access: u.access,
                        operation: u.operation,
                    })
                    .collect()
            });
            let mut info = FpInfo {
                text: st.text.clone(),
                sample: st.sample.clone(),
                file: idx(&st.file),
                line: st.line,
                given: None,
                key: None,
            };
            if let Some(given) = given {
                info.key = Some(super::given_key(&st.text, &given));
                info.given = Some(given);
            }
            let id = match g.fp_ids.get(info.key()) {
                Some(&id) => {
                    // The first occurrence in path order keeps its sample.
                    let cur = &mut g.fps[id as usize];
                    if (info.file, info.line) < (cur.file, cur.line) {
                        *cur = info;
                    }
                    id
                }
                None => {
                    let id = g.fps.len() as u32;
                    g.fp_ids.insert(info.key().to_string(), id);
                    g.fps.push(info);
                    id
                }
            };
            fmap.push(id);
        }
        for s in &part.stats {
            let (Some(&c), Some(&f)) =
                (cmap.get(s.client as usize), fmap.get(s.statement as usize))
            else {
                bail!("a summary's counts refer to a client or statement it does not list");
            };
            g.stats.entry((c, f)).or_default().merge(&Stat {
                executions: s.executions,
                failed: s.failed,
                first: s.first.clone(),
                last: s.last.clone(),
            });
        }
        g.acc.add(&accounting_in(&part.accounting)?);
        for (list, out) in [
            (&part.unmatched, 0),
            (&part.prefix_mismatch, 1),
            (&part.invalid_utf8, 2),
        ] {
            examples[out].extend(list.iter().map(|e| Example {
                file: idx(&e.file).to_string(),
                ..e.clone()
            }));
        }
        g.notes.extend(part.notes.iter().cloned());
    }
    // The first examples in path order, whatever the order of the summaries.
    for list in &mut examples {
        list.sort_by_key(|e| (e.file.parse::<u32>().unwrap_or(0), e.line, e.text.clone()));
        list.dedup();
        list.truncate(MAX_EXAMPLES);
    }
    let [unmatched, prefix_mismatch, invalid_utf8] = examples;
    g.unmatched = unmatched;
    g.prefix_mismatch = prefix_mismatch;
    g.invalid_utf8 = invalid_utf8;
    Ok((g, files))
}
