//! Burndown: how many references to the legacy tables existed over time. Input: a git
//! repository (walked by `history`, scanned from blobs by `scan`, with results cached by blob
//! id in memory and optionally on disk by `cache`) or a JSON Lines history recorded in CI
//! (`record`). Output: a `Burndown` (one sample per period, counts per series, a projected
//! finish date), rendered by `report::burndown` (text, CSV, JSON) and `report::svg` (the chart).

pub mod history;
pub mod record;
pub mod twins;

use crate::config::Config;
use crate::model::{Access, Problem};
use crate::scan::cache;
use crate::scan::git as scan;
use anyhow::Result;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use indicatif::ProgressBar;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// How often to sample: the last commit (or record) of each period is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Every {
    Commit,
    Day,
    Week,
    Month,
}

impl Every {
    pub fn as_str(self) -> &'static str {
        match self {
            Every::Commit => "commit",
            Every::Day => "day",
            Every::Week => "week",
            Every::Month => "month",
        }
    }

    /// The period an item falls in; items of one period share a key. `index` is the item's
    /// position in history, so that `commit` keeps every item.
    fn period(self, date: DateTime<Utc>, index: usize) -> i64 {
        let day = date.date_naive();
        match self {
            Every::Commit => index as i64,
            Every::Day => i64::from(day.num_days_from_ce()),
            // Weeks start on Monday (ISO 8601).
            Every::Week => {
                i64::from(day.num_days_from_ce()) - i64::from(day.weekday().num_days_from_monday())
            }
            Every::Month => i64::from(day.year()) * 12 + i64::from(day.month0()),
        }
    }
}

/// What one series of the chart counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    /// One series per configured table.
    Table,
    /// One series per access (write, read, ddl), all tables together.
    Access,
    /// One series per component: `plan`'s components (declared `[[components]]`, then
    /// directories with a manifest, `services/*`-style roots, infrastructure directories),
    /// detected in the last sampled commit; files outside all of them count for `(root)`.
    Component,
}

impl By {
    pub fn as_str(self) -> &'static str {
        match self {
            By::Table => "table",
            By::Access => "access",
            By::Component => "component",
        }
    }
}

/// Keep the last item of each period, in period order. Items come oldest first.
pub fn sample<T>(items: Vec<T>, every: Every, date_of: impl Fn(&T) -> DateTime<Utc>) -> Vec<T> {
    let mut kept: BTreeMap<i64, T> = BTreeMap::new();
    for (i, item) in items.into_iter().enumerate() {
        // A later item of the same period replaces the earlier one: the period's end state.
        kept.insert(every.period(date_of(&item), i), item);
    }
    kept.into_values().collect()
}

/// Reference counts of one sampled point in time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// The commit id, when known (always for git history; when recorded for `--from`).
    pub commit: Option<String>,
    pub date: DateTime<Utc>,
    /// Count per series; every series of the burndown has an entry.
    pub counts: BTreeMap<String, u64>,
    /// Since the previous sample, references moved between copies of the same code (a file
    /// deleted, its twin kept): a refactor, not migration progress. Git history only.
    pub refactor: Option<String>,
}

impl Sample {
    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }
}

/// Counts of one point in time by table and access: what the git walk and recorded
/// histories both provide. `components` is filled by the git walk only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// (table, access) -> references.
    pub by_table: BTreeMap<(String, Access), u64>,
    /// component -> references (all tables); filled for `By::Component` only.
    pub by_component: BTreeMap<String, u64>,
}

/// Where the samples came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The first-parent history of `rev` in the repository at `root`.
    Git { root: String, rev: String },
    /// A history file written by `audit --record`.
    Record { path: String },
}

/// Counters of the git walk; `blobs_scanned + blobs_from_disk_cache + blobs_reused` is the
/// number of source files over all sampled commits.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct WalkStats {
    /// First-parent commits in the selected range (before sampling).
    pub commits_walked: u64,
    /// Commits scanned (one per period).
    pub commits_sampled: u64,
    /// Source files over all sampled commits (a file present in 10 samples counts 10 times).
    pub files_seen: u64,
    /// Distinct blobs read and run through the scanner in this run.
    pub blobs_scanned: u64,
    /// Distinct blobs whose result came from the on-disk cache.
    pub blobs_from_disk_cache: u64,
    /// Files whose blob had already been scanned (same content elsewhere or earlier).
    pub blobs_reused: u64,
    /// Distinct directory trees read from the object database.
    pub trees_read: u64,
    /// Blobs parsed again under a commit's model index (they name a legacy model or table).
    pub blobs_rescanned: u64,
}

/// The projected end of the migration, from the recent slope of the total.
#[derive(Debug, Clone, PartialEq)]
pub enum Projection {
    /// Fewer than two samples, or all in the same instant: no slope.
    Unknown,
    /// The last sample has no references left.
    Done { date: NaiveDate },
    /// The total is going down: at this slope it reaches zero on `date`.
    Finish {
        slope_per_day: f64,
        window: usize,
        date: NaiveDate,
    },
    /// The total is flat or rising over the window.
    NoProgress { slope_per_day: f64, window: usize },
}

impl Projection {
    /// The legend / summary wording.
    pub fn describe(&self) -> String {
        match self {
            Projection::Unknown => "projection: not enough history".to_string(),
            Projection::Done { date } => format!("done: no references left on {date}"),
            Projection::Finish { date, .. } => format!("projected finish {date}"),
            Projection::NoProgress { .. } => "projection: no progress".to_string(),
        }
    }
}

/// Slopes closer to zero than this (references per day) count as no progress.
const FLAT_SLOPE: f64 = 1e-6;
/// A finish further away than this many days is no finish at all.
const MAX_PROJECTION_DAYS: f64 = 365.0 * 100.0;

/// Project the total to zero from the samples of the most recent third of the time span
/// (at least the last two samples), with a least-squares slope.
pub fn project(samples: &[Sample]) -> Projection {
    let Some(last) = samples.last() else {
        return Projection::Unknown;
    };
    if last.total() == 0 {
        return Projection::Done {
            date: last.date.date_naive(),
        };
    }
    if samples.len() < 2 {
        return Projection::Unknown;
    }
    let first = samples[0].date;
    let span = (last.date - first).num_seconds();
    let cutoff = last.date - chrono::Duration::seconds(span / 3);
    let mut start = samples.partition_point(|s| s.date < cutoff);
    start = start.min(samples.len() - 2);
    let window = &samples[start..];
    let xs: Vec<f64> = window
        .iter()
        .map(|s| (s.date - last.date).num_seconds() as f64 / 86_400.0)
        .collect();
    let ys: Vec<f64> = window.iter().map(|s| s.total() as f64).collect();
    let n = xs.len() as f64;
    let mx = xs.iter().sum::<f64>() / n;
    let my = ys.iter().sum::<f64>() / n;
    let sxx: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
    if sxx <= f64::EPSILON {
        return Projection::Unknown;
    }
    let sxy: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let slope = sxy / sxx;
    let slope_per_day = (slope * 1000.0).round() / 1000.0;
    if slope > -FLAT_SLOPE {
        return Projection::NoProgress {
            slope_per_day,
            window: window.len(),
        };
    }
    // From the last actual total, not the fitted line: the chart draws the projection from
    // the last point.
    let days = last.total() as f64 / -slope;
    if days > MAX_PROJECTION_DAYS {
        return Projection::NoProgress {
            slope_per_day,
            window: window.len(),
        };
    }
    let date =
        (last.date + chrono::Duration::seconds((days * 86_400.0).ceil() as i64)).date_naive();
    Projection::Finish {
        slope_per_day,
        window: window.len(),
        date,
    }
}

/// Everything the burndown renderers need.
#[derive(Debug, Clone)]
pub struct Burndown {
    pub source: Source,
    pub every: Every,
    pub by: By,
    /// Series names in display order.
    pub series: Vec<String>,
    /// Oldest first.
    pub samples: Vec<Sample>,
    pub projection: Projection,
    /// Present for git history.
    pub stats: Option<WalkStats>,
    /// Files of the last sample that could not be (fully) analysed, and bad history lines.
    pub problems: Vec<Problem>,
}

/// One sampled point before it is split into series.
#[derive(Debug, Clone)]
pub struct Point {
    pub commit: Option<String>,
    pub date: DateTime<Utc>,
    pub counts: Counts,
}

impl Burndown {
    /// Split points into series. `tables` are the configured tables, listed even at zero.
    pub fn new(
        source: Source,
        every: Every,
        by: By,
        tables: &[String],
        points: Vec<Point>,
        stats: Option<WalkStats>,
        problems: Vec<Problem>,
    ) -> Burndown {
        let mut names: BTreeSet<String> = BTreeSet::new();
        let series: Vec<String> = match by {
            By::Table => {
                names.extend(tables.iter().cloned());
                for p in &points {
                    names.extend(p.counts.by_table.keys().map(|(t, _)| t.clone()));
                }
                names.into_iter().collect()
            }
            // Access order is the report order: writers first. The three SQL accesses are
            // always shown; model declarations and unresolved references only when a sample
            // has some.
            By::Access => Access::ALL
                .iter()
                .filter(|a| {
                    matches!(a, Access::Write | Access::Read | Access::Ddl)
                        || points
                            .iter()
                            .any(|p| p.counts.by_table.keys().any(|(_, x)| x == *a))
                })
                .map(|a| a.as_str().to_string())
                .collect(),
            By::Component => {
                for p in &points {
                    names.extend(p.counts.by_component.keys().cloned());
                }
                names.into_iter().collect()
            }
        };
        let samples: Vec<Sample> = points
            .into_iter()
            .map(|p| {
                let mut counts: BTreeMap<String, u64> =
                    series.iter().map(|s| (s.clone(), 0)).collect();
                match by {
                    By::Table => {
                        for ((table, _), n) in &p.counts.by_table {
                            *counts.entry(table.clone()).or_default() += n;
                        }
                    }
                    By::Access => {
                        for ((_, access), n) in &p.counts.by_table {
                            *counts.entry(access.as_str().to_string()).or_default() += n;
                        }
                    }
                    By::Component => {
                        for (component, n) in &p.counts.by_component {
                            *counts.entry(component.clone()).or_default() += n;
                        }
                    }
                }
                Sample {
                    commit: p.commit,
                    date: p.date,
                    counts,
                    refactor: None,
                }
            })
            .collect();
        let projection = project(&samples);
        Burndown {
            source,
            every,
            by,
            series,
            samples,
            projection,
            stats,
            problems,
        }
    }
}

/// Where the disk cache lives, if used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiskCacheMode {
    Off,
    /// `.cutover/cache` in the repository's work tree (its git directory when bare).
    Default,
    Dir(PathBuf),
}

/// What `from_git` walks and how.
#[derive(Debug, Clone)]
pub struct GitOptions {
    /// The scanned path as the user gave it (for reports).
    pub root_display: String,
    pub rev: String,
    pub range: history::Range,
    pub every: Every,
    pub by: By,
    pub cache: DiskCacheMode,
    /// Rescan every sampled commit from scratch (benchmark baseline); no caches at all.
    pub naive: bool,
}

/// Walk the first-parent history of `opts.rev` in the repository containing `config.root`
/// and count references at one commit per period. Runs in the current rayon pool.
pub fn from_git(config: &Config, opts: &GitOptions, progress: ProgressBar) -> Result<Burndown> {
    let repo = history::open(&config.root)?;
    let commits = history::first_parent(&repo.repo, &opts.rev, &opts.range)?;
    let walked = commits.len() as u64;
    let sampled = sample(commits, opts.every, |c| c.date);
    let rules = scan::Rules {
        exclude: crate::discover::build_globset(&config.scan.exclude)?,
        hidden: config.scan.hidden,
        max_file_size: config.scan.max_file_size,
    };
    let mut problems = Vec::new();
    let cache_dir = match (&opts.cache, opts.naive) {
        (DiskCacheMode::Off, _) | (_, true) => None,
        (DiskCacheMode::Default, false) => Some(repo.home.join(cache::DEFAULT_DIR)),
        (DiskCacheMode::Dir(dir), false) => Some(dir.clone()),
    };
    let mut disk = cache_dir.map(|dir| {
        let (disk, problem) = cache::DiskCache::open(&dir, config);
        problems.extend(problem);
        disk
    });
    // Objects are only read, never written: verifying each one's hash on read costs about a
    // tenth of the walk and protects nothing here.
    git2::opts::strict_hash_verification(false);
    // Each tree and blob is read once (the scanner remembers what it has seen), so libgit2's
    // object cache would only cost insertions and memory.
    git2::opts::enable_caching(false);
    let mut scanner = scan::Scanner::new(&repo, config, rules, progress.clone());
    if let Some(disk) = &disk {
        scanner.preload(disk.results());
    }
    // Components as `plan` detects them in the last sampled commit's files (and as declared
    // in `[[components]]`), applied to the whole history.
    let layout = match (opts.by, sampled.last()) {
        (By::Component, Some(last)) => Some(crate::plan::components::detect(
            &scanner.file_list(last)?,
            &config.components,
        )?),
        _ => None,
    };
    let counts = scanner.run(&sampled, opts.naive, layout.as_ref())?;
    if let Some(disk) = &mut disk {
        disk.store(scanner.new_results())?;
    }
    if let Some(last) = sampled.last() {
        problems.extend(scanner.problems(last)?);
    }
    problems.sort();
    let mut stats = scanner.stats().clone();
    stats.commits_walked = walked;
    progress.finish_and_clear();
    let points = sampled
        .iter()
        .zip(counts)
        .map(|(c, counts)| Point {
            commit: Some(c.id.to_string()),
            date: c.date,
            counts,
        })
        .collect();
    let tables: Vec<String> = config
        .tables
        .tables()
        .iter()
        .map(|t| t.display.clone())
        .collect();
    let mut burndown = Burndown::new(
        Source::Git {
            root: opts.root_display.clone(),
            rev: opts.rev.clone(),
        },
        opts.every,
        opts.by,
        &tables,
        points,
        Some(stats),
        problems,
    );
    mark_refactors(&repo, &sampled, &tables, &mut burndown.samples);
    Ok(burndown)
}

/// Mark the samples whose count fell because a file was deleted while its copy stayed.
fn mark_refactors(
    repo: &history::Repo,
    sampled: &[history::Commit],
    tables: &[String],
    samples: &mut [Sample],
) {
    let names: Vec<String> = tables
        .iter()
        .map(|t| t.rsplit('.').next().unwrap_or(t).to_ascii_lowercase())
        .collect();
    for i in 1..sampled.len().min(samples.len()) {
        if samples[i].total() >= samples[i - 1].total() {
            continue;
        }
        let pairs = twins::moved_between_copies(
            &repo.repo,
            &repo.prefix,
            sampled[i - 1].id,
            sampled[i].id,
            &names,
        );
        if !pairs.is_empty() {
            let said: Vec<String> = pairs
                .iter()
                .map(|(gone, kept)| format!("{gone} deleted, its copy {kept} kept"))
                .collect();
            samples[i].refactor = Some(said.join("; "));
        }
    }
}

/// Plot a history file written by `audit --record`: its records cut to `range`, one per
/// period. Tables come from the records.
pub fn from_record(path: &Path, range: &history::Range, every: Every, by: By) -> Result<Burndown> {
    if by == By::Component {
        anyhow::bail!(
            "--by component needs the git history: recorded runs keep counts per table and access only"
        );
    }
    let (mut points, problems) = record::read(path)?;
    if let Some(since) = range.since {
        points.retain(|p| p.date.date_naive() >= since);
    }
    if let Some(n) = range.last {
        let cut = points.len().saturating_sub(n);
        points.drain(..cut);
    }
    let points = sample(points, every, |p| p.date);
    Ok(Burndown::new(
        Source::Record {
            path: path.display().to_string(),
        },
        every,
        by,
        &[],
        points,
        None,
        problems,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
    }

    fn sample_at(date: DateTime<Utc>, total: u64) -> Sample {
        Sample {
            commit: None,
            date,
            counts: BTreeMap::from([("t".to_string(), total)]),
            refactor: None,
        }
    }

    #[test]
    fn sampling_keeps_the_last_item_of_each_period() {
        let items = vec![
            at(2026, 1, 5),  // Monday, week 2
            at(2026, 1, 6),  // same week
            at(2026, 1, 12), // Monday, week 3
            at(2026, 1, 31), // January
            at(2026, 2, 1),  // Sunday, February, week of Jan 26
        ];
        let week = sample(items.clone(), Every::Week, |d| *d);
        assert_eq!(week, vec![at(2026, 1, 6), at(2026, 1, 12), at(2026, 2, 1)]);
        let month = sample(items.clone(), Every::Month, |d| *d);
        assert_eq!(month, vec![at(2026, 1, 31), at(2026, 2, 1)]);
        let day = sample(items.clone(), Every::Day, |d| *d);
        assert_eq!(day.len(), 5);
        let same_day = vec![at(2026, 1, 5), at(2026, 1, 5)];
        assert_eq!(sample(same_day.clone(), Every::Day, |d| *d).len(), 1);
        assert_eq!(sample(same_day, Every::Commit, |d| *d).len(), 2);
    }

    #[test]
    fn projection_of_a_steady_decline() {
        // 10 references, minus one per day: zero 10 days after day 0.
        let samples: Vec<Sample> = (0..6)
            .map(|i| sample_at(at(2026, 3, 1 + i), 10 - u64::from(i)))
            .collect();
        match project(&samples) {
            Projection::Finish {
                slope_per_day,
                date,
                ..
            } => {
                assert_eq!(slope_per_day, -1.0);
                assert_eq!(date, NaiveDate::from_ymd_opt(2026, 3, 11).unwrap());
            }
            other => panic!("expected a finish date, got {other:?}"),
        }
    }

    #[test]
    fn projection_uses_the_recent_slope() {
        // Flat for a long time, then falling fast: the recent third decides.
        let mut samples: Vec<Sample> = (0..20).map(|i| sample_at(at(2026, 1, 1 + i), 40)).collect();
        samples.extend((0..10).map(|i| sample_at(at(2026, 1, 21 + i), 38 - 2 * u64::from(i))));
        assert!(matches!(project(&samples), Projection::Finish { .. }));
    }

    #[test]
    fn flat_or_rising_is_no_progress() {
        let flat: Vec<Sample> = (0..4).map(|i| sample_at(at(2026, 3, 1 + i), 5)).collect();
        assert!(matches!(project(&flat), Projection::NoProgress { .. }));
        let rising: Vec<Sample> = (0..4)
            .map(|i| sample_at(at(2026, 3, 1 + i), 5 + u64::from(i)))
            .collect();
        assert!(matches!(project(&rising), Projection::NoProgress { .. }));
        let done = vec![sample_at(at(2026, 3, 1), 3), sample_at(at(2026, 3, 2), 0)];
        assert!(matches!(project(&done), Projection::Done { .. }));
        assert_eq!(
            project(&[sample_at(at(2026, 3, 1), 3)]),
            Projection::Unknown
        );
        assert_eq!(project(&[]), Projection::Unknown);
    }
}
