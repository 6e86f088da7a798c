//! `cutover inventory`: scan, optionally reconcile with query logs and merge the live
//! database's objects (`--db`), print.

use crate::cli::InventoryArgs;
use crate::logs;
use crate::plan;
use crate::report::{Document, Format};
use crate::scan::Wants;
use crate::session::{Outcome, Session};
use anyhow::Result;
use std::io::Write;

pub fn run(args: &InventoryArgs, out: &mut dyn Write) -> Result<Outcome> {
    super::check_path_is_not_a_log(&args.scan.path, &args.logs)?;
    let format = Format::from(args.format);
    let session = Session::for_scan(&args.scan, &args.output, format)?;
    let mut inventory = session.scan(Wants::default())?;
    let mut incomplete = false;
    let runtime = if args.logs.is_empty() {
        None
    } else {
        logs::check_paths(&args.logs)?;
        let opts = super::log_options(&session.config, None, None);
        let logged = session.install(|| logs::read_logs(&args.logs, &opts))?;
        // Code only: a trigger runs inside its client's statement, so the logs never show
        // it as a client of its own.
        let layout = plan::components::detect(&inventory.files, &session.config.components)?;
        incomplete = logs_incomplete(&logged);
        Some(logs::reconcile::reconcile(
            &logged,
            &inventory.scan.findings,
            &session.config,
            &layout,
        )?)
    };
    let database = match &args.db {
        Some(url) => Some(super::db::read_for(&session.config, url)?),
        None => None,
    };
    if let Some(c) = &database {
        inventory.scan.findings.extend(c.findings());
        crate::model::sort_findings(&mut inventory.scan.findings);
    }
    if args.unresolved {
        inventory
            .scan
            .findings
            .retain(|f| f.access == crate::model::Access::Unknown);
    }
    let doc = Document::Inventory {
        inventory: &inventory,
        runtime: runtime.as_ref(),
        database: database.as_ref(),
    };
    session.write(&doc, format, out)?;
    let outcome = session.outcome(&inventory.scan.problems);
    if session.strict && incomplete {
        return Ok(Outcome::Incomplete);
    }
    Ok(outcome)
}

fn logs_incomplete(r: &logs::LogReport) -> bool {
    !r.incomplete().is_empty()
}
