//! The audit verdict: a scanned `Inventory` plus the baseline, the in-code suppressions and
//! (with `--changed-since`) the git diff in; an `Audit` out, in which every finding has a
//! status (new | known | suppressed), a fingerprint, a rule and a level, plus the results
//! about suppressions themselves, the per-table totals and the ratchet's progress. Rendering
//! is left to `report::{diagnostic, sarif, github, gitlab, audit_json}`; picking the exit
//! code to `main`.

pub mod baseline;
pub mod diff;
pub mod fingerprint;
pub mod rules;
pub mod span;
pub mod suppress;

use crate::config::{Config, LegacyTable};
use crate::dualwrite::{Analysis, Check, Verdict};
use crate::extract::ScanStats;
use crate::model::{Access, Finding, Operation, Problem, SkipReason};
use crate::scan::Inventory;
use anyhow::{Result, bail};
use baseline::{Baseline, BaselineError, Key};
use chrono::NaiveDate;
use rules::{Level, Rule, Status};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// How to audit; built by `lib.rs` from the command line and the configuration.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where the baseline lives (read, and written by `--update-baseline`).
    pub baseline_path: PathBuf,
    /// Whether to use the baseline at all (not with `--changed-since` alone).
    pub use_baseline: bool,
    pub update_baseline: bool,
    pub allow_new: bool,
    pub changed_since: Option<String>,
    /// The day `until=` allowances are compared with.
    pub today: NaiveDate,
}

/// Why a finding is not counted: the `cutover: allow` comment that covers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowance {
    pub line: u32,
    pub reason: String,
    pub until: Option<NaiveDate>,
}

/// One reported result: a finding with its verdict, or a problem with a suppression comment.
#[derive(Debug, Clone)]
pub struct Item {
    pub rule: Rule,
    pub level: Level,
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
    pub fingerprint: String,
    /// The finding, for results about references (`None` for suppression problems).
    pub finding: Option<Finding>,
    pub status: Option<Status>,
    /// Set when a valid, unexpired suppression covers the finding.
    pub allowance: Option<Allowance>,
    /// The dual-write verdict, for results of the `dual-write-*` and shadow-read rules.
    pub check: Option<Check>,
}

impl Item {
    /// Whether this result fails the run.
    pub fn fails(&self) -> bool {
        self.level == Level::Error && self.allowance.is_none()
    }
}

/// Per-table counts for the top of the report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableTotals {
    pub table: String,
    pub phase: &'static str,
    pub references: u64,
    pub new: u64,
    pub known: u64,
    pub suppressed: u64,
    /// What the baseline records for this table (after following renames).
    pub baseline: Option<u64>,
}

/// A baseline key whose count fell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    pub key: Key,
    pub was: u32,
    pub now: u32,
}

/// Baseline entries of a file this run could not analyse (binary, too large, unreadable…):
/// kept as they were, since nothing says its references are gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub file: String,
    pub reason: SkipReason,
    /// The references its baseline entries count.
    pub references: u64,
}

/// What happened to the baseline in this run.
#[derive(Debug, Clone, Default)]
pub struct BaselineReport {
    /// The path as shown to the user.
    pub path: String,
    /// Keys whose counts fell since the baseline.
    pub removals: Vec<Removal>,
    /// Old path → new path for moved files the baseline knew.
    pub renames: BTreeMap<String, String>,
    /// Set when `--update-baseline` wrote the file.
    pub update: Option<baseline::Update>,
    /// Whether the file did not exist before this run.
    pub created: bool,
    /// Files the baseline knows that this run skipped, their entries kept unchanged.
    pub kept: Vec<Kept>,
}

impl BaselineReport {
    pub fn removed(&self) -> u64 {
        self.removals.iter().map(|r| u64::from(r.was - r.now)).sum()
    }
}

/// The audit of one scan.
#[derive(Debug)]
pub struct Audit {
    pub root_display: String,
    /// Findings and suppression results, sorted by file, line, column, rule.
    pub items: Vec<Item>,
    pub tables: Vec<TableTotals>,
    pub baseline: Option<BaselineReport>,
    pub changed_since: Option<String>,
    pub problems: Vec<Problem>,
    pub stats: ScanStats,
    /// The text of every file with a result, for code frames.
    pub sources: BTreeMap<String, String>,
}

/// Counts for summary lines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub errors: u64,
    pub warnings: u64,
    pub notes: u64,
    pub references: u64,
    pub new: u64,
    pub known: u64,
    pub suppressed: u64,
    /// References the engine could not classify (access `unknown`), among `references`.
    pub unresolved: u64,
}

impl Audit {
    pub fn failed(&self) -> bool {
        self.items.iter().any(Item::fails)
    }

    /// Whether some files could not be analysed (for `--strict`).
    pub fn incomplete(&self) -> bool {
        self.problems.iter().any(|p| p.reason.is_incomplete())
    }

    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for item in &self.items {
            // Known references are warnings in SARIF and GitHub, but they are the backlog,
            // not news: summaries count them under `known` only.
            // Covered dual writes are good news, listed but not counted as notes.
            if item.allowance.is_none()
                && item.rule != Rule::KnownReference
                && item.rule != Rule::DualWriteCovered
            {
                match item.level {
                    Level::Error => c.errors += 1,
                    Level::Warning => c.warnings += 1,
                    Level::Note => c.notes += 1,
                }
            }
            match item.status {
                Some(Status::New) => c.new += 1,
                Some(Status::Known) => c.known += 1,
                Some(Status::Suppressed) => c.suppressed += 1,
                None => continue,
            }
            c.references += 1;
            if item
                .finding
                .as_ref()
                .is_some_and(|f| f.access == crate::model::Access::Unknown)
            {
                c.unresolved += 1;
            }
        }
        c
    }
}

/// Load the baseline the options ask for; `None` when the run does not use one.
fn load_baseline(opts: &Options) -> Result<Option<(Baseline, bool)>> {
    if !opts.use_baseline {
        return Ok(None);
    }
    match Baseline::load(&opts.baseline_path) {
        Ok(b) => Ok(Some((b, false))),
        Err(e) => match e.downcast_ref::<BaselineError>() {
            Some(BaselineError::Missing { .. }) if opts.update_baseline && opts.allow_new => {
                Ok(Some((Baseline::default(), true)))
            }
            Some(BaselineError::Missing { path }) if opts.update_baseline => bail!(
                "baseline {} not found: pass --allow-new to create it (`{}`)",
                path.display(),
                baseline::CREATE_COMMAND
            ),
            _ => Err(e),
        },
    }
}

/// Check, before the scan, that the baseline the options ask for can be used, so that a
/// missing or corrupt baseline fails at once rather than after a long scan.
pub fn preflight(opts: &Options) -> Result<()> {
    load_baseline(opts).map(|_| ())
}

/// Follow renames: baseline keys whose file is gone move to the file git says it became.
fn follow_renames(
    config: &Config,
    old: &Baseline,
    opts: &Options,
) -> Result<(Baseline, BTreeMap<String, String>)> {
    let missing: BTreeSet<String> = old
        .counts
        .keys()
        .filter(|k| !config.root.join(&k.file).exists())
        .map(|k| k.file.clone())
        .collect();
    if missing.is_empty() {
        return Ok((old.clone(), BTreeMap::new()));
    }
    let renames = match diff::Git::open(&config.root)? {
        Some(git) => git.renames(&missing, &opts.baseline_path)?,
        None => BTreeMap::new(),
    };
    let mut mapped = Baseline::default();
    for (key, n) in &old.counts {
        let mut key = key.clone();
        if let Some(new) = renames.get(&key.file) {
            key.file = new.clone();
        }
        *mapped.counts.entry(key).or_insert(0) += n;
    }
    Ok((mapped, renames))
}

fn message(f: &Finding, rule: Rule, table: Option<&LegacyTable>) -> String {
    // The legacy table's own schema (its CREATE TABLE, indexes, ALTERs) has no replacement
    // to use instead; a foreign key pointing at it does.
    let own_schema = f.access == Access::Ddl && f.operation != Operation::References;
    let replacement = table
        .filter(|t| !t.replacements.is_empty() && !own_schema)
        .map(|t| format!("; use `{}` instead", t.replacements.join("` or `")))
        .unwrap_or_default();
    let what = format!("{} of legacy table `{}`", f.operation, f.table);
    let place = f
        .function
        .as_deref()
        .map(|func| format!(" in `{func}`"))
        .unwrap_or_default();
    match rule {
        Rule::NewReference => format!("new {what}{place}{replacement}"),
        Rule::KnownReference => format!("known {what}{place} (in the baseline){replacement}"),
        Rule::ForbiddenRead => format!(
            "{what}{place}: `{}` is in the cutover phase, reads are forbidden{replacement}",
            f.table
        ),
        Rule::ForbiddenReference => format!(
            "{what}{place}: `{}` is in the cleanup phase, every reference is forbidden{replacement}",
            f.table
        ),
        Rule::ExpiredAllowance => format!("{what}{place}: its allowance expired{replacement}"),
        // Not about one finding: their messages come from `dual_write_item` and the
        // suppression pass.
        Rule::InvalidSuppression
        | Rule::UnusedSuppression
        | Rule::DualWriteCovered
        | Rule::DualWriteConditional
        | Rule::DualWriteNotIdempotent
        | Rule::DualWriteOrder
        | Rule::DualWriteSwallowed
        | Rule::DualWritePartial
        | Rule::DualWriteReplacementOnly
        | Rule::DualWriteUncovered
        | Rule::ShadowReadMissing => what,
    }
}

/// Statuses of the findings no valid suppression covers, by the ratchet: in each baseline
/// key, as many findings as the baseline counts are known and the rest are new. With
/// `--changed-since`, only findings on changed lines can be new (and without a baseline,
/// every finding on a changed line is).
fn ratchet(
    findings: &[Finding],
    counted: &[usize],
    base: Option<&Baseline>,
    touched: Option<&[bool]>,
) -> BTreeMap<usize, Status> {
    let on_changed = |i: usize| touched.is_none_or(|t| t.get(i).copied().unwrap_or(true));
    let mut out = BTreeMap::new();
    let Some(base) = base else {
        for &i in counted {
            out.insert(
                i,
                if on_changed(i) {
                    Status::New
                } else {
                    Status::Known
                },
            );
        }
        return out;
    };
    let mut groups: BTreeMap<Key, Vec<usize>> = BTreeMap::new();
    for &i in counted {
        groups.entry(Key::of(&findings[i])).or_default().push(i);
    }
    for (key, mut members) in groups {
        // Unchanged lines first, so that the baseline's allowance goes to old code.
        members.sort_by_key(|&i| (on_changed(i), findings[i].line, findings[i].column));
        let allowed = base.counts.get(&key).copied().unwrap_or(0) as usize;
        for (n, i) in members.into_iter().enumerate() {
            let status = if n < allowed || !on_changed(i) {
                Status::Known
            } else {
                Status::New
            };
            out.insert(i, status);
        }
    }
    out
}

/// The files and directories the scan left out entirely, with why.
fn skipped_files(problems: &[Problem]) -> BTreeMap<String, SkipReason> {
    let mut out = BTreeMap::new();
    for p in problems.iter().filter(|p| p.reason.is_skip()) {
        out.entry(p.file.clone()).or_insert(p.reason);
    }
    out
}

/// Why `file` was left out, if it was: it, or a directory above it, is in `skipped`.
fn skip_reason(skipped: &BTreeMap<String, SkipReason>, file: &str) -> Option<SkipReason> {
    if let Some(r) = skipped.get(file) {
        return Some(*r);
    }
    let mut dir = file;
    while let Some((parent, _)) = dir.rsplit_once('/') {
        if let Some(r) = skipped.get(parent) {
            return Some(*r);
        }
        dir = parent;
    }
    None
}

/// The baseline's entries that belong to skipped files, one per file.
fn kept_entries(base: &Baseline, skipped: &BTreeMap<String, SkipReason>) -> Vec<Kept> {
    let mut kept: BTreeMap<&str, Kept> = BTreeMap::new();
    for (key, &n) in &base.counts {
        if let Some(reason) = skip_reason(skipped, &key.file) {
            kept.entry(&key.file)
                .or_insert_with(|| Kept {
                    file: key.file.clone(),
                    reason,
                    references: 0,
                })
                .references += u64::from(n);
        }
    }
    kept.into_values().collect()
}

/// Whether a changed line falls anywhere in each finding's statement (its first line to its
/// last, `span::last_line`).
fn changed_statements(
    findings: &[Finding],
    changed: &diff::ChangedLines,
    texts: &BTreeMap<String, String>,
) -> Vec<bool> {
    findings
        .iter()
        .map(|f| {
            if !changed.whole.contains(&f.file) && !changed.files.contains_key(&f.file) {
                return false;
            }
            let last = texts.get(&f.file).map_or(f.line, |t| span::last_line(t, f));
            changed.touches(&f.file, f.line, last)
        })
        .collect()
}

/// A path for messages: relative to the scanned root when inside it.
fn display_path(path: &std::path::Path, root: &std::path::Path) -> String {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    let dir = if root.is_file() {
        root.parent().unwrap_or(root)
    } else {
        root
    };
    match abs.strip_prefix(dir) {
        Ok(rel) => crate::discover::relative(std::path::Path::new(""), rel),
        Err(_) => path.display().to_string(),
    }
}

/// The audit result of one dual-write verdict. Its fingerprint has no line: rule, file,
/// table, function and operations, so it survives edits elsewhere in the file.
fn dual_write_item(c: &Check, table: Option<&LegacyTable>) -> Item {
    let rule = match c.verdict {
        Verdict::Covered => Rule::DualWriteCovered,
        Verdict::Partial => Rule::DualWritePartial,
        Verdict::Conditional => Rule::DualWriteConditional,
        Verdict::Order => Rule::DualWriteOrder,
        Verdict::Swallowed => Rule::DualWriteSwallowed,
        Verdict::NotIdempotent => Rule::DualWriteNotIdempotent,
        Verdict::Uncovered => Rule::DualWriteUncovered,
        Verdict::ReplacementOnly => Rule::DualWriteReplacementOnly,
        Verdict::NoShadowRead => Rule::ShadowReadMissing,
    };
    // A table's `severity` overrides the level of what fails the run, as for references.
    let level = match (rule.default_level(), table.and_then(|t| t.severity)) {
        (Level::Error, Some(sev)) => rules::level_of(sev),
        (level, _) => level,
    };
    let ops: Vec<&str> = c.operations.iter().map(|o| o.as_str()).collect();
    Item {
        rule,
        level,
        file: c.file.clone(),
        line: c.line,
        column: c.column,
        message: c.message(),
        fingerprint: fingerprint::hash_fields(&[
            fingerprint::RECIPE_VERSION,
            rule.id(),
            &c.file,
            &c.table,
            c.function.as_deref().unwrap_or(""),
            &ops.join(","),
        ]),
        finding: None,
        status: None,
        allowance: None,
        check: Some(c.clone()),
    }
}

/// Audit a scan.
pub fn audit(inv: Inventory, dual: Analysis, opts: &Options) -> Result<Audit> {
    if !inv.wants.sources {
        bail!("the audit needs a scan that collects source texts and suppressions");
    }
    let config = &inv.config;
    let findings = inv.scan.findings;
    let fingerprints = fingerprint::fingerprints(&findings);
    let sources = inv.sources;
    let table_of = |name: &str| config.tables.tables().iter().find(|t| t.display == name);

    // Match suppressions: the first valid one on the line or the line above that names the
    // table covers the finding.
    let mut used = vec![false; sources.suppressions.len()];
    let mut allowance: Vec<Option<Allowance>> = vec![None; findings.len()];
    let mut expired = vec![false; findings.len()];
    let mut by_file: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (si, s) in sources.suppressions.iter().enumerate() {
        if s.invalid.is_none() {
            by_file.entry(s.file.as_str()).or_default().push(si);
        }
    }
    for (i, f) in findings.iter().enumerate() {
        let hit = by_file.get(f.file.as_str()).and_then(|candidates| {
            candidates.iter().copied().find(|&si| {
                let s = &sources.suppressions[si];
                s.reaches(f.line) && s.covers(&f.table)
            })
        });
        if let Some(si) = hit {
            used[si] = true;
            let s = &sources.suppressions[si];
            if s.expired(opts.today) {
                expired[i] = true;
            } else {
                allowance[i] = Some(Allowance {
                    line: s.line,
                    reason: s.reason.clone().unwrap_or_default(),
                    until: s.until,
                });
            }
        }
    }

    let loaded = load_baseline(opts)?;
    let created = loaded.as_ref().is_some_and(|(_, c)| *c);
    let (base, renames) = match &loaded {
        Some((b, _)) => {
            let (mapped, renames) = follow_renames(config, b, opts)?;
            (Some(mapped), renames)
        }
        None => (None, BTreeMap::new()),
    };
    let changed = match &opts.changed_since {
        Some(rev) => {
            let Some(git) = diff::Git::open(&config.root)? else {
                bail!(
                    "--changed-since needs a git repository, and {} is not inside one",
                    config.root.display()
                );
            };
            Some(git.changed_lines(rev)?)
        }
        None => None,
    };

    let touched = changed
        .as_ref()
        .map(|c| changed_statements(&findings, c, &sources.texts));
    // A file the scan skipped has no findings, but that does not make its references gone:
    // its baseline entries count as they were, and the report says which and why.
    let skipped = skipped_files(&inv.scan.problems);
    let mut problems = inv.scan.problems;
    for (file, what) in changed.iter().flat_map(|c| &c.missing) {
        problems.push(Problem {
            file: file.clone(),
            line: None,
            reason: crate::model::SkipReason::Unreadable,
            detail: what.clone(),
        });
    }
    let counted: Vec<usize> = (0..findings.len())
        .filter(|&i| allowance[i].is_none())
        .collect();
    let mut statuses = ratchet(&findings, &counted, base.as_ref(), touched.as_deref());

    let current = base.as_ref().map(|b| {
        let mut current = Baseline::from_findings(counted.iter().map(|&i| &findings[i]));
        for (key, &n) in &b.counts {
            if skip_reason(&skipped, &key.file).is_some() {
                current.counts.insert(key.clone(), n);
            }
        }
        current
    });
    let mut report = base.as_ref().zip(current.as_ref()).map(|(b, current)| {
        let removals = b
            .counts
            .iter()
            .filter_map(|(key, &was)| {
                let now = current.counts.get(key).copied().unwrap_or(0);
                (now < was).then(|| Removal {
                    key: key.clone(),
                    was,
                    now,
                })
            })
            .collect();
        BaselineReport {
            path: display_path(&opts.baseline_path, &config.root),
            removals,
            renames: renames.clone(),
            update: None,
            created,
            kept: kept_entries(b, &skipped),
        }
    });

    if opts.update_baseline
        && let (Some(b), Some(current), Some(report)) = (&base, &current, report.as_mut())
    {
        let update = baseline::update(b, current, opts.allow_new);
        update.baseline.save(&opts.baseline_path)?;
        if opts.allow_new {
            // Everything counted is in the new baseline now.
            for s in statuses.values_mut() {
                *s = Status::Known;
            }
        }
        report.update = Some(update);
    }
    // Totals compare with the baseline as it stands after this run.
    let base = match report.as_ref().and_then(|r| r.update.as_ref()) {
        Some(u) => Some(u.baseline.clone()),
        None => base,
    };

    let mut items = Vec::with_capacity(findings.len() + sources.suppressions.len());
    for (i, f) in findings.iter().enumerate() {
        let table = table_of(&f.table);
        let status = match &allowance[i] {
            Some(_) => Status::Suppressed,
            None => statuses.get(&i).copied().unwrap_or(Status::Known),
        };
        let judged_as = if status == Status::Suppressed {
            Status::New
        } else {
            status
        };
        let (rule, level) = rules::judge(table, f.access, judged_as, expired[i]);
        items.push(Item {
            rule,
            level,
            file: f.file.clone(),
            line: f.line,
            column: f.column,
            message: message(f, rule, table),
            fingerprint: fingerprints[i].clone(),
            finding: Some(f.clone()),
            status: Some(status),
            allowance: allowance[i].clone(),
            check: None,
        });
    }
    // A `cutover: allow TABLE -- reason` on a writer's line allows its dual-write verdict
    // too: the comment accepts that line's use of the legacy table, whatever the rule.
    for c in &dual.checks {
        let mut item = dual_write_item(c, table_of(&c.table));
        let hit = by_file.get(c.file.as_str()).and_then(|candidates| {
            candidates.iter().copied().find(|&si| {
                let s = &sources.suppressions[si];
                s.reaches(c.line) && s.covers(&c.table)
            })
        });
        if let Some(si) = hit {
            used[si] = true;
            let s = &sources.suppressions[si];
            if !s.expired(opts.today) {
                item.allowance = Some(Allowance {
                    line: s.line,
                    reason: s.reason.clone().unwrap_or_default(),
                    until: s.until,
                });
            }
        }
        items.push(item);
    }
    let mut occurrences: BTreeMap<(String, String), u32> = BTreeMap::new();
    for (si, s) in sources.suppressions.iter().enumerate() {
        let (rule, message) = match &s.invalid {
            Some(why) => (
                Rule::InvalidSuppression,
                format!("invalid suppression: {why}"),
            ),
            None if !used[si] => (
                Rule::UnusedSuppression,
                format!(
                    "unused suppression: no reference to `{}` on this line or the next",
                    s.tables.join("`, `")
                ),
            ),
            None => continue,
        };
        let n = occurrences
            .entry((s.file.clone(), s.text.clone()))
            .or_insert(0);
        let fp = fingerprint::hash_fields(&[
            fingerprint::RECIPE_VERSION,
            rule.id(),
            &s.file,
            &fingerprint::normalize_statement(&s.text),
            &n.to_string(),
        ]);
        *n += 1;
        items.push(Item {
            rule,
            level: rule.default_level(),
            file: s.file.clone(),
            line: s.line,
            column: s.column,
            message,
            fingerprint: fp,
            finding: None,
            status: None,
            allowance: None,
            check: None,
        });
    }
    items.sort_by(|a, b| {
        (&a.file, a.line, a.column, a.rule, &a.fingerprint).cmp(&(
            &b.file,
            b.line,
            b.column,
            b.rule,
            &b.fingerprint,
        ))
    });

    let tables = config
        .tables
        .tables()
        .iter()
        .map(|t| {
            let mut tot = TableTotals {
                table: t.display.clone(),
                phase: t.phase.as_str(),
                baseline: base.as_ref().map(|b| {
                    b.counts
                        .iter()
                        .filter(|(k, _)| k.table == t.display)
                        .map(|(_, &n)| u64::from(n))
                        .sum()
                }),
                ..TableTotals::default()
            };
            for item in items
                .iter()
                .filter(|i| i.finding.as_ref().is_some_and(|f| f.table == t.display))
            {
                tot.references += 1;
                match item.status {
                    Some(Status::New) => tot.new += 1,
                    Some(Status::Known) => tot.known += 1,
                    Some(Status::Suppressed) => tot.suppressed += 1,
                    None => {}
                }
            }
            tot
        })
        .collect();

    let wanted: BTreeSet<&str> = items.iter().map(|i| i.file.as_str()).collect();
    let texts = sources
        .texts
        .into_iter()
        .filter(|(f, _)| wanted.contains(f.as_str()))
        .collect();
    Ok(Audit {
        root_display: inv.root_display,
        items,
        tables,
        baseline: report,
        changed_since: opts.changed_since.clone(),
        problems,
        stats: inv.scan.stats,
        sources: texts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Access, Confidence, Kind, Language, Operation, Site};

    fn finding(file: &str, line: u32, func: &str) -> Finding {
        let site = Site {
            file: file.into(),
            line,
            column: 1,
            language: Language::Python,
            function: Some(func.into()),
            evidence: "UPDATE orders_legacy SET x = 1".into(),
            sink: None,
            framework: None,
        };
        let (access, operation) = (Access::Write, Operation::Update);
        site.finding(
            "orders_legacy".into(),
            access,
            operation,
            Kind::RawSql,
            Confidence::Parsed,
        )
    }

    #[test]
    fn no_use_instead_on_the_legacy_tables_own_schema() {
        // Issue 18: a CREATE TABLE of the legacy table has no replacement to use instead.
        let table = LegacyTable {
            display: "orders_legacy".into(),
            name: crate::sql::TableName::parse_config("orders_legacy"),
            replacements: vec!["orders".into()],
            phase: crate::config::Phase::Prepare,
            severity: None,
            dual_write_helpers: Vec::new(),
        };
        let mut create = finding("db/001.sql", 1, "f");
        create.access = Access::Ddl;
        create.operation = Operation::Create;
        assert!(!message(&create, Rule::NewReference, Some(&table)).contains("instead"));
        let mut fk = create.clone();
        fk.operation = Operation::References;
        assert!(message(&fk, Rule::NewReference, Some(&table)).ends_with("use `orders` instead"));
        let read = finding("a.py", 3, "f");
        assert!(message(&read, Rule::NewReference, Some(&table)).ends_with("use `orders` instead"));
    }

    #[test]
    fn ratchet_marks_the_excess_as_new() {
        let findings = vec![
            finding("a.py", 3, "f"),
            finding("a.py", 9, "f"),
            finding("b.py", 1, "g"),
        ];
        let base = Baseline::from_findings(&findings[..1]);
        let s = ratchet(&findings, &[0, 1, 2], Some(&base), None);
        assert_eq!(s[&0], Status::Known);
        assert_eq!(s[&1], Status::New);
        assert_eq!(s[&2], Status::New);
    }

    #[test]
    fn ratchet_prefers_changed_lines_as_new() {
        // A new reference inserted above a known one in the same function: the changed line
        // is the new one, whatever the order.
        let findings = vec![finding("a.py", 3, "f"), finding("a.py", 9, "f")];
        let base = Baseline::from_findings(&findings[..1]);
        let mut changed = diff::ChangedLines::default();
        changed.files.entry("a.py".into()).or_default().insert(3);
        let touched = changed_statements(&findings, &changed, &BTreeMap::new());
        let s = ratchet(&findings, &[0, 1], Some(&base), Some(&touched));
        assert_eq!((s[&0], s[&1]), (Status::New, Status::Known));
    }

    #[test]
    fn without_baseline_only_changed_lines_are_new() {
        let findings = vec![finding("a.py", 3, "f"), finding("a.py", 9, "f")];
        let mut changed = diff::ChangedLines::default();
        changed.files.entry("a.py".into()).or_default().insert(9);
        let touched = changed_statements(&findings, &changed, &BTreeMap::new());
        let s = ratchet(&findings, &[0, 1], None, Some(&touched));
        assert_eq!((s[&0], s[&1]), (Status::Known, Status::New));
    }

    #[test]
    fn a_change_inside_a_statement_counts() {
        // Issue 18: the SQL's third line changed; the finding is on its first.
        let findings = vec![finding("a.py", 3, "f")];
        let mut changed = diff::ChangedLines::default();
        changed.files.entry("a.py".into()).or_default().insert(5);
        let text = "def f(cur):\n    cur.execute(\n        \"UPDATE orders_legacy \"\n        \"SET a = 1 \"\n        \"WHERE id = 2\",\n    )\n";
        let texts = BTreeMap::from([("a.py".to_string(), text.to_string())]);
        let mut f = findings.clone();
        f[0].column = 9;
        assert_eq!(changed_statements(&f, &changed, &texts), vec![true]);
        assert_eq!(
            changed_statements(&f, &changed, &BTreeMap::new()),
            vec![false]
        );
    }
}
