//! `cutover report`: the sign-off page. One scan feeds the plan, the dual-write verdicts,
//! the runtime section (with `--logs`) and the burndown over git history.

use crate::cli::{ReportArgs, ReportFormat};
use crate::report::document::{BurndownSection, ReportData, RuntimeSection};
use crate::report::{Document, Format};
use crate::scan::Wants;
use crate::session::{Outcome, Session};
use crate::{burndown, dualwrite, logs, plan};
use anyhow::Result;
use std::io::Write;

pub fn run(args: &ReportArgs, out: &mut dyn Write) -> Result<Outcome> {
    super::check_path_is_not_a_log(&args.scan.path, &args.logs)?;
    let format = format(args);
    let session = Session::for_scan(&args.scan, &args.output, format)?;
    let config = &session.config;
    let inventory = session.scan(Wants {
        replacements: true,
        plan_texts: true,
        ..Wants::default()
    })?;
    // Components, owners and waves come from the plan, built from this very scan.
    let input = plan::input(&inventory);
    let plan = plan::build(&input, &session.root_display)?;
    let mut data = ReportData::new(&inventory, &input, &plan)?;
    let analysis = session.install(|| dualwrite::run(&inventory))?;
    if !analysis.checks.is_empty() {
        data.dual_write = Some(analysis);
    }
    if let Some(url) = &args.db {
        let catalog = super::db::read_for(config, url)?;
        data.add_database(&catalog);
    }
    let mut strict_logs = false;
    if !args.logs.is_empty() {
        logs::check_paths(&args.logs)?;
        let opts = super::log_options(config, None, None);
        let logged = session.install(|| logs::read_logs(&args.logs, &opts))?;
        // The plan's components, from the same file list the plan was built from.
        let layout = plan::components::detect(&input.files, &config.components)?;
        let reconciled =
            logs::reconcile::reconcile(&logged, &inventory.scan.findings, config, &layout)?;
        if session.strict && !logged.incomplete().is_empty() {
            strict_logs = true;
        }
        data.runtime = Some(RuntimeSection::from_reconciliation(&reconciled));
    }
    // A path outside any git repository simply has no history to draw.
    if !args.no_history && burndown::history::open(&config.root).is_ok() {
        let opts = burndown::GitOptions {
            root_display: session.root_display.clone(),
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
        let chart = session
            .install(|| burndown::from_git(config, &opts, indicatif::ProgressBar::hidden()))?;
        // One sample is a point, not a trend.
        if chart.samples.len() >= 2 {
            data.burndown = Some(BurndownSection::from_burndown(&chart));
        }
    }
    session.write(&Document::Report(&data), format, out)?;
    if strict_logs {
        return Ok(Outcome::Incomplete);
    }
    Ok(session.outcome(&inventory.scan.problems))
}

/// `--format`, else Markdown when `--output` ends in `.md`, else HTML.
fn format(args: &ReportArgs) -> Format {
    let format = args.format.unwrap_or_else(|| {
        let is_md = args
            .output
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
    match format {
        ReportFormat::Html => Format::Html,
        ReportFormat::Md => Format::Markdown,
    }
}
