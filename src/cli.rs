//! Command-line interface: clap derive structs only. `lib.rs` turns these into a `Config`.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "cutover",
    version,
    about = "Find every reader and writer of a legacy table before you migrate it",
    long_about = "cutover inventories every place that reads, writes or changes the schema of \
                  legacy tables (raw SQL, .sql files, ORMs), checks it against database query \
                  logs, orders the migration and enforces it in CI.\n\n\
                  Exit codes: 0 clean, 1 findings that fail the check, 2 usage or configuration \
                  error, 3 analysis incomplete (with --strict)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List every reader, writer and schema change of the legacy tables in a repository.
    Inventory(InventoryArgs),
    /// Read database query logs and attribute each read and write of a legacy table to a client.
    Logs(LogsArgs),
    /// Count the references over git history (or recorded CI runs) and plot the burndown.
    Burndown(BurndownArgs),
    /// Gate CI: fail on new or forbidden legacy references (ratchet baseline, phase rules,
    /// suppressions), with reports for terminals, SARIF, GitHub and GitLab.
    Audit(AuditArgs),
    /// Order the migration: components, their dependencies, and waves from least to most stateful.
    Plan(PlanArgs),
    /// Check that every writer of a legacy table in the dual-write phase also writes its
    /// replacement (following calls), and report reverse divergence and missing shadow reads.
    DualWrite(DualWriteArgs),
    /// Write the sign-off report: every writer and its owner, as one HTML page or Markdown.
    Report(ReportArgs),
    /// Ask the live database: triggers, views, functions, cascades and grants of each legacy
    /// table, who may write it, its live counters; and the write lock for cutover day.
    Db(DbArgs),
}

/// Options shared by the commands that scan a repository.
#[derive(Debug, Args, Clone)]
pub struct ScanArgs {
    /// Directory (or file) to scan.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Legacy table to look for (repeatable; adds to the configuration's tables).
    #[arg(long = "table", value_name = "NAME")]
    pub tables: Vec<String>,
    /// Configuration file (default: cutover.toml in PATH or its parents).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Exit with code 3 when some files could not be analysed.
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FindingsFormat {
    Text,
    Json,
    Jsonl,
}

#[derive(Debug, Args)]
pub struct InventoryArgs {
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FindingsFormat::Text)]
    pub format: FindingsFormat,
    /// Query logs to reconcile with the code (see `cutover logs`).
    #[arg(long = "logs", value_name = "FILE", num_args = 1..)]
    pub logs: Vec<PathBuf>,
    /// Also read the live database at URL: its triggers, views, functions and cascades become
    /// findings of kind `db_object` (see `cutover db`).
    #[arg(long = "db", value_name = "URL")]
    pub db: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormatArg {
    Auto,
    PostgresStderr,
    PostgresCsv,
    PostgresJson,
    MysqlGeneral,
    MysqlSlow,
    PgStatStatements,
    MariadbAudit,
    MysqlAuditJson,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Log files (plain, .gz or .zst); several files are read as one window.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Legacy table to report on (repeatable; adds to the configuration's tables).
    #[arg(long = "table", value_name = "NAME")]
    pub tables: Vec<String>,
    /// Configuration file (default: cutover.toml in the current directory or its parents).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FindingsFormat::Text)]
    pub format: FindingsFormat,
    /// Log format (default: detected from the content).
    #[arg(long, value_enum, default_value_t = LogFormatArg::Auto)]
    pub log_format: LogFormatArg,
    /// PostgreSQL `log_line_prefix` of the server that wrote stderr logs.
    #[arg(long, value_name = "PREFIX")]
    pub log_line_prefix: Option<String>,
    /// Check the log's settings instead of reporting on tables.
    #[arg(long)]
    pub doctor: bool,
    /// Also write a mergeable summary of this read to PATH (one per input, then `--merge`).
    #[arg(long, value_name = "PATH")]
    pub summary_out: Option<PathBuf>,
    /// The FILEs are summaries written by `--summary-out`: report on all of them as one run.
    #[arg(long)]
    pub merge: bool,
    /// Exit 3 when a log line could not be analysed (unmatched, prefix mismatch, not UTF-8,
    /// data lost to a read error).
    #[arg(long)]
    pub strict: bool,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
}

/// Output formats of `cutover audit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuditFormat {
    Text,
    Json,
    Jsonl,
    Sarif,
    Github,
    Gitlab,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Baseline file (default: `[audit] baseline` of the configuration, else
    /// cutover-baseline.json in PATH).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Rewrite the baseline with the current counts; counts only go down unless --allow-new.
    #[arg(long)]
    pub update_baseline: bool,
    /// With --update-baseline: also add new references (and create a missing baseline).
    #[arg(long, requires = "update_baseline")]
    pub allow_new: bool,
    /// Only references on lines added or changed since this git revision count as new.
    #[arg(long, value_name = "REF")]
    pub changed_since: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = AuditFormat::Text)]
    pub format: AuditFormat,
    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The date `until=` allowances are compared with (YYYY-MM-DD; default: today, UTC).
    #[arg(long, value_name = "DATE", hide = true)]
    pub today: Option<String>,
    /// Append this run's reference counts to FILE (JSON Lines) for `burndown --from FILE`.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EveryArg {
    Commit,
    Day,
    Week,
    Month,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ByArg {
    Table,
    Access,
    Component,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BurndownFormat {
    Text,
    Csv,
    Json,
}

#[derive(Debug, Args)]
pub struct BurndownArgs {
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Revision whose first-parent history is walked.
    #[arg(long, value_name = "REV", default_value = "HEAD")]
    pub rev: String,
    /// Only commits (or records) on or after this day, YYYY-MM-DD (UTC).
    #[arg(long, value_name = "DATE")]
    pub since: Option<chrono::NaiveDate>,
    /// Only the last N first-parent commits (or records).
    #[arg(long, value_name = "N", conflicts_with = "since")]
    pub commits: Option<usize>,
    /// Keep one sample per period: the last commit (or record) of each.
    #[arg(long, value_enum, default_value_t = EveryArg::Commit)]
    pub every: EveryArg,
    /// One series per table, per access (write/read/ddl) or per component (as `plan` finds them).
    #[arg(long, value_enum, default_value_t = ByArg::Table)]
    pub by: ByArg,
    /// Also write the chart as SVG to FILE.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// Title of the chart.
    #[arg(long, value_name = "TEXT")]
    pub title: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = BurndownFormat::Text)]
    pub format: BurndownFormat,
    /// Plot a history recorded by `audit --record FILE` instead of walking git.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["cache", "cache_dir", "rev"])]
    pub from: Option<PathBuf>,
    /// Keep scan results in .cutover/cache of the repository, so reruns only scan new blobs.
    #[arg(long)]
    pub cache: bool,
    /// Keep scan results in DIR (implies --cache).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Rescan every sampled commit from scratch, without any cache (benchmark baseline).
    #[arg(long, hide = true, conflicts_with_all = ["cache", "cache_dir"])]
    pub no_cache: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    Text,
    Json,
    Dot,
    Mermaid,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Output format (`dot` renders with Graphviz, `mermaid` in GitHub Markdown).
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
    /// Also read the live database at URL: its triggers, functions and cascades count as
    /// writers of the tables they touch (see `cutover db`).
    #[arg(long = "db", value_name = "URL")]
    pub db: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// One self-contained page (inline CSS and script; opens offline).
    Html,
    /// GitHub-flavoured Markdown, for a wiki or a pull-request comment.
    Md,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Query logs to reconcile with the code: adds runtime clients and unexplained writers.
    #[arg(long = "logs", value_name = "FILE", num_args = 1..)]
    pub logs: Vec<PathBuf>,
    /// Output format (default: md when --output ends in .md, else html).
    #[arg(long, value_enum)]
    pub format: Option<ReportFormat>,
    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Leave out the burndown over git history (drawn by default when PATH is in a git work tree).
    #[arg(long)]
    pub no_history: bool,
    /// Also read the live database at URL: adds a "database" section per table and its
    /// objects to the writers and readers (see `cutover db`).
    #[arg(long = "db", value_name = "URL")]
    pub db: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DualWriteFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct DualWriteArgs {
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DualWriteFormat::Text)]
    pub format: DualWriteFormat,
}

/// Connection and table options of `cutover db` and its subcommands.
#[derive(Debug, Args, Clone)]
pub struct DbConnArgs {
    /// Database URL: postgres://USER@HOST:PORT/DB or mysql://USER@HOST:PORT/DB (default:
    /// CUTOVER_DATABASE_URL, else `[database] url` of the configuration). Prefer the
    /// environment variable to a password in the URL.
    #[arg(long, value_name = "URL", global = true)]
    pub url: Option<String>,
    /// Legacy table to look for (repeatable; adds to the configuration's tables).
    #[arg(long = "table", value_name = "NAME", global = true)]
    pub tables: Vec<String>,
    /// Configuration file (default: cutover.toml in the current directory or its parents).
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
    /// Seconds to wait for the connection.
    #[arg(long, value_name = "SECONDS", default_value_t = 10, global = true)]
    pub connect_timeout: u64,
}

#[derive(Debug, Args)]
pub struct DbArgs {
    #[command(subcommand)]
    pub action: Option<DbAction>,
    #[command(flatten)]
    pub conn: DbConnArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DbFormat::Text)]
    pub format: DbFormat,
    /// Sample the live counters twice, DURATION apart (e.g. 30s, 2m), and report the writes
    /// per second in between.
    #[arg(long, value_name = "DURATION", value_parser = crate::db::parse_duration)]
    pub watch: Option<std::time::Duration>,
    /// Query logs to compare with the grants: roles that may write but never did, writers
    /// seen that hold no grant.
    #[arg(long = "logs", value_name = "FILE", num_args = 1..)]
    pub logs: Vec<PathBuf>,
    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DbFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum DbAction {
    /// Print (and with --apply, run in one transaction) the SQL that makes a legacy table
    /// reject every write with an error naming the table and the migration.
    LockWrites(LockArgs),
    /// Print (and with --apply, run) the SQL that lifts the lock of `lock-writes`.
    UnlockWrites(LockArgs),
}

#[derive(Debug, Args)]
pub struct LockArgs {
    /// Run the SQL against the database (default: only print it).
    #[arg(long)]
    pub apply: bool,
    /// PostgreSQL: also revoke INSERT, UPDATE, DELETE and TRUNCATE from the roles granted
    /// them (unlock-writes --apply grants them back).
    #[arg(long)]
    pub revoke: bool,
    /// What the rejected writes are told the lock is for (default: "the migration to
    /// REPLACEMENT" from the configuration).
    #[arg(long, value_name = "TEXT")]
    pub migration: Option<String>,
}
