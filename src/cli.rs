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
    /// Gate CI: fail on new or forbidden legacy references (ratchet baseline, phase rules,
    /// suppressions), with reports for terminals, SARIF, GitHub and GitLab.
    Audit(AuditArgs),
    /// Order the migration: components, their dependencies, and waves from least to most stateful.
    Plan(PlanArgs),
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
}
