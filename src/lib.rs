//! cutover: find every reader and writer of a legacy table before migrating it.
//!
//! The pipeline, top to bottom: command line → `Config` → `discover` (parallel walk) →
//! `orm::collect` (pass 1: model → table, parallel) → `extract` (pass 2: tree-sitter + SQL
//! classifier + ORM usages, parallel) → report. Each stage is a module
//! with plain functions, data in and owned data out; only `main.rs` touches the process.

pub mod audit;
pub mod burndown;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod discover;
pub mod dualwrite;
pub mod extract;
pub mod lang;
pub mod logs;
pub mod model;
pub mod orm;
pub mod plan;
pub mod report;
pub mod sql;

use anyhow::Context;
use anyhow::Result;
use cli::{
    AuditArgs, AuditFormat, BurndownArgs, BurndownFormat, ByArg, Cli, Command, DualWriteArgs,
    DualWriteFormat, EveryArg, FindingsFormat, InventoryArgs, LogsArgs, PlanArgs, PlanFormat,
    ReportArgs, ReportFormat, ScanArgs,
};
use config::{Config, Overrides};
use std::io::Write;
use std::time::Instant;

/// How a run ended; `main` turns it into the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing fails the check.
    Clean,
    /// Findings that fail the check (audit).
    Failed,
    /// Some inputs could not be analysed and `--strict` was given.
    Incomplete,
}

impl Outcome {
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Clean => 0,
            Outcome::Failed => 1,
            Outcome::Incomplete => 3,
        }
    }
}

/// Whether an error is a closed stdout (`cutover … | head`), which is not a failure.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Run one command, writing its report to `out`.
pub fn run(cli: Cli, out: &mut dyn Write) -> Result<Outcome> {
    match cli.command {
        Command::Inventory(args) => run_inventory(&args, out),
        Command::Burndown(args) => run_burndown(&args, out),
        Command::Logs(args) => run_logs(&args, out),
        Command::Audit(args) => run_audit(&args, out),
        Command::Plan(args) => run_plan(&args, out),
        Command::DualWrite(args) => run_dual_write(&args, out),
        Command::Report(args) => run_report(&args, out),
    }
}

fn scan_config(args: &ScanArgs) -> Result<Config> {
    let config = Config::load(
        &args.path,
        &Overrides {
            config: args.config.clone(),
            tables: args.tables.clone(),
            threads: args.threads,
        },
    )?;
    config.require_tables()?;
    Ok(config)
}

/// Build the rayon pool the scan runs in, sized by `--threads`.
fn pool(threads: usize) -> Result<rayon::ThreadPool> {
    Ok(rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?)
}

/// Everything `inventory` knows after a scan; the input of its renderers.
#[derive(Debug)]
pub struct Inventory {
    /// The scanned path as the user gave it.
    pub root_display: String,
    pub config: Config,
    pub scan: extract::ScanOutput,
    pub discovered_other_files: u64,
    pub elapsed: std::time::Duration,
}

/// Discover and scan the configured root.
pub fn scan(config: Config, root_display: String) -> Result<Inventory> {
    let started = Instant::now();
    let pool = pool(config.threads)?;
    let (found, mut scan) = pool.install(|| -> Result<_> {
        let found = discover::discover(&config)?;
        // Pass 1: which models map to which tables; pass 2 resolves ORM calls with it.
        // While pass 1 has each file in memory it also asks pass 2's prefilter, so a file
        // that names no legacy table is read once, not twice.
        let tables_only = extract::ScanContext::new(&config);
        let needs_scan =
            |language, text: &str| tables_only.names_table_where_used(text.as_bytes(), language);
        let (models, settled) = orm::collect_and_triage(&found.files, &config, Some(&needs_scan));
        let declarations = models.declaration_findings();
        let ctx = extract::ScanContext::with_models(&config, models, Vec::new());
        // Legacy models or a naming convention widen the prefilter: then every file is
        // asked again.
        let settled = if ctx.parses_same_files_as(&tables_only) {
            settled
        } else {
            Vec::new()
        };
        let mut scan = extract::extract_unsettled(&found.files, &ctx, &settled);
        scan.findings.extend(declarations);
        model::sort_findings(&mut scan.findings);
        Ok((found, scan))
    })?;
    scan.stats.files_skipped += found.problems.iter().filter(|p| p.reason.is_skip()).count() as u64;
    scan.problems.extend(found.problems);
    scan.problems.sort();
    Ok(Inventory {
        root_display,
        config,
        scan,
        discovered_other_files: found.other_files,
        elapsed: started.elapsed(),
    })
}

fn run_inventory(args: &InventoryArgs, out: &mut dyn Write) -> Result<Outcome> {
    let config = scan_config(&args.scan)?;
    let inventory = scan(config, args.scan.path.display().to_string())?;
    let runtime = if args.logs.is_empty() {
        None
    } else {
        logs::check_paths(&args.logs)?;
        let opts = log_options(&inventory.config, None, None);
        let report =
            pool(inventory.config.threads)?.install(|| logs::read_logs(&args.logs, &opts))?;
        Some(logs::reconcile::reconcile(
            &report,
            &inventory.scan.findings,
            &inventory.config,
        )?)
    };
    match (args.format, &runtime) {
        (FindingsFormat::Text, _) => {
            report::text::write_inventory(&inventory, out)?;
            if let Some(r) = &runtime {
                report::logs::write_reconciliation_text(r, out)?;
            }
        }
        (FindingsFormat::Json, None) => report::json::write_inventory(&inventory, out)?,
        (FindingsFormat::Json, Some(r)) => {
            // The inventory document plus a `runtime` object.
            let mut buf = Vec::new();
            report::json::write_inventory(&inventory, &mut buf)?;
            let mut doc: serde_json::Value = serde_json::from_slice(&buf)?;
            if let Some(obj) = doc.as_object_mut() {
                obj.insert("runtime".to_string(), serde_json::to_value(r)?);
            }
            serde_json::to_writer_pretty(&mut *out, &doc)?;
            writeln!(out)?;
        }
        (FindingsFormat::Jsonl, _) => {
            report::json::write_findings_jsonl(&inventory.scan.findings, out)?
        }
    }
    let incomplete = inventory.scan.problems.iter().any(|p| p.reason.is_skip());
    Ok(if args.scan.strict && incomplete {
        Outcome::Incomplete
    } else {
        Outcome::Clean
    })
}

/// A progress bar on stderr when it is a terminal; hidden otherwise (tests, CI, pipes).
fn progress_bar() -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(0);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{msg:>14} [{bar:30}] {pos}/{len} (ETA {eta})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

fn run_burndown(args: &BurndownArgs, out: &mut dyn Write) -> Result<Outcome> {
    use burndown::{By, DiskCacheMode, Every};
    let every = match args.every {
        EveryArg::Commit => Every::Commit,
        EveryArg::Day => Every::Day,
        EveryArg::Week => Every::Week,
        EveryArg::Month => Every::Month,
    };
    let by = match args.by {
        ByArg::Table => By::Table,
        ByArg::Access => By::Access,
        ByArg::Component => By::Component,
    };
    if args.commits == Some(0) {
        anyhow::bail!("--commits needs at least 1");
    }
    let range = burndown::history::Range {
        since: args.since,
        last: args.commits,
    };
    let chart = match &args.from {
        Some(path) => burndown::from_record(path, &range, every, by)?,
        None => {
            let config = scan_config(&args.scan)?;
            let opts = burndown::GitOptions {
                root_display: args.scan.path.display().to_string(),
                rev: args.rev.clone(),
                range,
                every,
                by,
                cache: match (&args.cache_dir, args.cache) {
                    (Some(dir), _) => DiskCacheMode::Dir(dir.clone()),
                    (None, true) => DiskCacheMode::Default,
                    (None, false) => DiskCacheMode::Off,
                },
                naive: args.no_cache,
            };
            pool(config.threads)?.install(|| burndown::from_git(&config, &opts, progress_bar()))?
        }
    };
    if let Some(path) = &args.svg {
        let svg = burndown::svg::render(&chart, args.title.as_deref())?;
        std::fs::write(path, svg)
            .with_context(|| format!("cannot write chart {}", path.display()))?;
    }
    match args.format {
        BurndownFormat::Text => report::burndown::write_text(&chart, out)?,
        BurndownFormat::Csv => report::burndown::write_csv(&chart, out)?,
        BurndownFormat::Json => report::burndown::write_json(&chart, out)?,
    }
    let incomplete = chart.problems.iter().any(|p| p.reason.is_skip());
    Ok(if args.scan.strict && incomplete {
        Outcome::Incomplete
    } else {
        Outcome::Clean
    })
}

/// The options `cutover logs` and `inventory --logs` read logs with.
fn log_options(
    config: &Config,
    args_prefix: Option<&str>,
    format: Option<logs::LogFormat>,
) -> logs::ReadOptions {
    logs::ReadOptions {
        format,
        log_line_prefix: args_prefix
            .map(str::to_string)
            .or_else(|| config.logs.log_line_prefix.clone()),
        tables: config.tables.clone(),
        chunk_size: None,
    }
}

fn run_logs(args: &LogsArgs, out: &mut dyn Write) -> Result<Outcome> {
    let config = Config::load(
        std::path::Path::new("."),
        &Overrides {
            config: args.config.clone(),
            tables: args.tables.clone(),
            threads: args.threads,
        },
    )?;
    logs::check_paths(&args.files)?;
    let opts = log_options(
        &config,
        args.log_line_prefix.as_deref(),
        logs::LogFormat::from_arg(args.log_format),
    );
    let report = pool(config.threads)?.install(|| logs::read_logs(&args.files, &opts))?;
    if args.doctor {
        let diagnosis = logs::doctor::diagnose(&report);
        match args.format {
            FindingsFormat::Text => logs::doctor::write_text(&report, &diagnosis, out)?,
            FindingsFormat::Json | FindingsFormat::Jsonl => {
                logs::doctor::write_json(&diagnosis, out)?
            }
        }
        return Ok(Outcome::Clean);
    }
    match args.format {
        FindingsFormat::Text => report::logs::write_text(&report, out)?,
        FindingsFormat::Json => report::logs::write_json(&report, out)?,
        FindingsFormat::Jsonl => report::logs::write_jsonl(&report, out)?,
    }
    Ok(Outcome::Clean)
}

/// Where the audit's baseline lives: `--baseline` (relative to the working directory), else
/// `[audit] baseline` (relative to the configuration file), else `cutover-baseline.json`
/// in the scanned directory.
fn baseline_path(args: &AuditArgs, config: &Config) -> std::path::PathBuf {
    if let Some(p) = &args.baseline {
        return p.clone();
    }
    if let Some(b) = &config.audit.baseline {
        let base = config
            .config_path
            .as_deref()
            .and_then(std::path::Path::parent)
            .unwrap_or(&config.root);
        return base.join(b);
    }
    let dir = if config.root.is_file() {
        config.root.parent().unwrap_or(&config.root)
    } else {
        &config.root
    };
    dir.join(audit::baseline::DEFAULT_BASELINE_FILE)
}

fn run_audit(args: &AuditArgs, out: &mut dyn Write) -> Result<Outcome> {
    use std::io::IsTerminal;
    let config = scan_config(&args.scan)?;
    let today = match &args.today {
        Some(d) => chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| anyhow::anyhow!("--today `{d}` is not a date: use YYYY-MM-DD"))?,
        None => chrono::Utc::now().date_naive(),
    };
    let opts = audit::Options {
        baseline_path: baseline_path(args, &config),
        use_baseline: args.changed_since.is_none()
            || args.baseline.is_some()
            || args.update_baseline,
        update_baseline: args.update_baseline,
        allow_new: args.allow_new,
        changed_since: args.changed_since.clone(),
        today,
    };
    audit::preflight(&opts)?;
    let threads = config.threads;
    let inventory = scan(config, args.scan.path.display().to_string())?;
    // Every reference counts for the burndown, whatever the audit's verdict on it.
    let record = args.record.as_ref().map(|path| {
        let counts = burndown::record::Record::for_scan(
            &inventory.config.root,
            &inventory.config.tables,
            &inventory.scan.findings,
        );
        (path, counts)
    });
    let result = pool(threads)?.install(|| audit::audit(inventory, &opts))?;

    let color = args.output.is_none()
        && args.format == AuditFormat::Text
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let step_summary = std::env::var_os("GITHUB_STEP_SUMMARY")
        .filter(|v| !v.is_empty())
        .map(std::path::PathBuf::from);
    let mut buffer = Vec::new();
    let target: &mut dyn Write = if args.output.is_some() {
        &mut buffer
    } else {
        out
    };
    match args.format {
        AuditFormat::Text => report::diagnostic::write_audit(&result, color, target)?,
        AuditFormat::Json => report::audit_json::write_audit(&result, target)?,
        AuditFormat::Jsonl => report::audit_json::write_audit_jsonl(&result, target)?,
        AuditFormat::Sarif => report::sarif::write_audit(&result, target)?,
        AuditFormat::Github => {
            report::github::write_audit(&result, step_summary.as_deref(), target)?
        }
        AuditFormat::Gitlab => report::gitlab::write_audit(&result, target)?,
    }
    if let Some(path) = &args.output {
        audit::baseline::write_atomic(path, &buffer)?;
    }
    if let Some((path, counts)) = &record {
        burndown::record::append(path, counts)?;
    }
    Ok(if result.failed() {
        Outcome::Failed
    } else if args.scan.strict && result.incomplete() {
        Outcome::Incomplete
    } else {
        Outcome::Clean
    })
}

/// `cutover plan`: scan, read the repository's layout, order the migration.
fn run_plan(args: &PlanArgs, out: &mut dyn Write) -> Result<Outcome> {
    let config = scan_config(&args.scan)?;
    let root_display = args.scan.path.display().to_string();
    let mut input = plan::load_repo(&config)?;
    let inventory = scan(config, root_display.clone())?;
    let incomplete = inventory.scan.problems.iter().any(|p| p.reason.is_skip());
    input.findings = inventory.scan.findings;
    input.problems.extend(inventory.scan.problems);
    input.problems.sort();
    // The scan and plan's own reading may both report one file (e.g. too large).
    input
        .problems
        .dedup_by(|a, b| a.file == b.file && a.line == b.line && a.reason == b.reason);
    let plan = plan::build(&input, &root_display)?;
    match args.format {
        PlanFormat::Text => report::plan::write_text(&plan, out)?,
        PlanFormat::Json => report::plan::write_json(&plan, out)?,
        PlanFormat::Dot => report::dot::write(&plan, out)?,
        PlanFormat::Mermaid => report::mermaid::write(&plan, out)?,
    }
    Ok(if args.scan.strict && incomplete {
        Outcome::Incomplete
    } else {
        Outcome::Clean
    })
}

fn run_report(args: &ReportArgs, out: &mut dyn Write) -> Result<Outcome> {
    let format = args.format.unwrap_or_else(|| {
        let is_md = args
            .output
            .as_ref()
            .and_then(|p| p.extension())
            .is_some_and(|e| e.eq_ignore_ascii_case("md") || e.eq_ignore_ascii_case("markdown"));
        if is_md {
            ReportFormat::Md
        } else {
            ReportFormat::Html
        }
    });
    let config = scan_config(&args.scan)?;
    let root_display = args.scan.path.display().to_string();
    // Components, owners and waves come from the plan, built from this very scan.
    let mut input = plan::load_repo(&config)?;
    let inventory = scan(config, root_display.clone())?;
    input.findings = inventory.scan.findings.clone();
    let plan = plan::build(&input, &root_display)?;
    let mut data = report::document::ReportData::new(&inventory, &input, &plan)?;
    let analysis = pool(inventory.config.threads)?
        .install(|| dualwrite::run(&inventory.config, &inventory.scan.findings))?;
    if !analysis.checks.is_empty() {
        data.dual_write = Some(analysis);
    }
    if !args.logs.is_empty() {
        logs::check_paths(&args.logs)?;
        let opts = log_options(&inventory.config, None, None);
        let logged =
            pool(inventory.config.threads)?.install(|| logs::read_logs(&args.logs, &opts))?;
        let reconciled =
            logs::reconcile::reconcile(&logged, &inventory.scan.findings, &inventory.config)?;
        data.runtime = Some(report::document::RuntimeSection::from_reconciliation(
            &reconciled,
        ));
    }
    // A path outside any git repository simply has no history to draw.
    if !args.no_history && burndown::history::open(&inventory.config.root).is_ok() {
        let opts = burndown::GitOptions {
            root_display: root_display.clone(),
            rev: "HEAD".to_string(),
            range: burndown::history::Range {
                since: None,
                last: None,
            },
            every: burndown::Every::Week,
            by: burndown::By::Access,
            cache: burndown::DiskCacheMode::Off,
            naive: false,
        };
        let chart = pool(inventory.config.threads)?.install(|| {
            burndown::from_git(&inventory.config, &opts, indicatif::ProgressBar::hidden())
        })?;
        // One sample is a point, not a trend.
        if chart.samples.len() >= 2 {
            data.burndown = Some(report::document::BurndownSection::from_burndown(&chart));
        }
    }
    let mut buf = Vec::new();
    match format {
        ReportFormat::Html => report::html::write_report(&data, &mut buf)?,
        ReportFormat::Md => report::markdown::write_report(&data, &mut buf)?,
    }
    match &args.output {
        Some(path) => write_atomic(path, &buf)?,
        None => out.write_all(&buf)?,
    }
    let incomplete = inventory.scan.problems.iter().any(|p| p.reason.is_skip());
    Ok(if args.scan.strict && incomplete {
        Outcome::Incomplete
    } else {
        Outcome::Clean
    })
}

/// `cutover dual-write`: scan, then judge every writer of a dual-write-phase legacy table.
/// Exit 1 when a writer is uncovered or partial (the audit's failing verdicts).
fn run_dual_write(args: &DualWriteArgs, out: &mut dyn Write) -> Result<Outcome> {
    let config = scan_config(&args.scan)?;
    let threads = config.threads;
    let inventory = scan(config, args.scan.path.display().to_string())?;
    let incomplete = inventory.scan.problems.iter().any(|p| p.reason.is_skip());
    let analysis =
        pool(threads)?.install(|| dualwrite::run(&inventory.config, &inventory.scan.findings))?;
    match args.format {
        DualWriteFormat::Text => report::dualwrite::write_text(&analysis, out)?,
        DualWriteFormat::Json => report::dualwrite::write_json(&analysis, out)?,
    }
    Ok(if analysis.count(dualwrite::Verdict::Uncovered) > 0 {
        Outcome::Failed
    } else if args.scan.strict && incomplete {
        Outcome::Incomplete
    } else {
        Outcome::Clean
    })
}

/// Replace `path` with `bytes` in one rename, so a reader never sees half a report. The
/// temporary file lives next to `path` (a rename cannot cross file systems) and is removed
/// if anything fails.
fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    use anyhow::Context;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    if path.is_dir() {
        anyhow::bail!(
            "cannot write the report to {}: it is a directory",
            path.display()
        );
    }
    let mut tmp = tempfile::Builder::new()
        .prefix(".cutover-report-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("cannot write {}", tmp.path().display()))?;
    // tempfile creates files readable by the owner only; a report is meant to be shared.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644))
            .with_context(|| format!("cannot set permissions of {}", tmp.path().display()))?;
    }
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot write the report to {}", path.display()))?;
    Ok(())
}
