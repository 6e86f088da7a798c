//! One file per command: each turns its arguments into a `Session`, runs the stages it
//! needs, and hands the result to `report`.

mod audit;
mod burndown;
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
    }
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
    }
}
