//! One file per command: each turns its arguments into a `Session`, runs the stages it
//! needs, and hands the result to `report`.

mod audit;
mod burndown;
mod completions;
mod db;
mod dual_write;
mod inventory;
mod logs;
mod plan;
mod report;

use crate::cli::{Cli, Command};
use crate::session::Outcome;
use anyhow::Result;
use std::io::Write;

/// Run one command, writing its report to `out`.
pub fn run(cli: Cli, out: &mut dyn Write) -> Result<Outcome> {
    match cli.command {
        Command::Inventory(args) => inventory::run(&args, out),
        Command::Burndown(args) => burndown::run(&args, out),
        Command::Logs(args) => logs::run(&args, out),
        Command::Audit(args) => audit::run(&args, out),
        Command::Plan(args) => plan::run(&args, out),
        Command::DualWrite(args) => dual_write::run(&args, out),
        Command::Report(args) => report::run(&args, out),
        Command::Db(args) => db::run(&args, out),
        Command::Completions(args) => completions::run(&args, out),
    }
}

/// `inventory --logs a.log b.log`: `b.log` is the path to scan, not a second log. Say so
/// rather than scan a log file as code (or report it missing).
fn check_path_is_not_a_log(path: &std::path::Path, logs: &[std::path::PathBuf]) -> Result<()> {
    const LOG_EXTENSIONS: &[&str] = &["csv", "gz", "json", "log", "zst"];
    let is_log = path.extension().is_some_and(|e| {
        LOG_EXTENSIONS.contains(&e.to_string_lossy().to_ascii_lowercase().as_str())
    });
    if !logs.is_empty() && is_log {
        anyhow::bail!(
            "PATH {} looks like a query log, not a directory to scan: --logs takes one file, \
             repeat it for more (--logs a.log --logs b.log)",
            path.display()
        );
    }
    Ok(())
}

/// The options `cutover logs` and `--logs` of other commands read logs with.
fn log_options(
    config: &crate::config::Config,
    prefix: Option<&str>,
    format: Option<crate::logs::LogFormat>,
) -> crate::logs::ReadOptions {
    crate::logs::ReadOptions {
        format,
        log_line_prefix: prefix
            .map(str::to_string)
            .or_else(|| config.logs.log_line_prefix.clone()),
        tables: config.tables.clone(),
        chunk_size: None,
        // A progress bar on stderr, drawn once reading takes more than a second.
        progress: Some(crate::session::progress_bar("bytes")),
    }
}
