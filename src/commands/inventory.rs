//! `cutover inventory`: scan, optionally reconcile with query logs, print.

use crate::cli::InventoryArgs;
use crate::report::{self, Document, Format};
use crate::session::{Outcome, Session};
use crate::{logs, plan, scan};
use anyhow::Result;
use std::io::Write;

pub fn run(args: &InventoryArgs, out: &mut dyn Write) -> Result<Outcome> {
    let session = Session::for_scan(&args.scan)?;
    let inventory =
        session.install(|| scan::scan(session.config.clone(), session.root_display.clone()))?;
    let mut incomplete = false;
    let runtime = if args.logs.is_empty() {
        None
    } else {
        logs::check_paths(&args.logs)?;
        let opts = super::log_options(&session.config, None, None);
        let logged = session.install(|| logs::read_logs(&args.logs, &opts))?;
        // one-walk: the plan's file list comes from a second walk of the tree until the scan
        // engine hands over the list of the single scan.
        let files = plan::load_repo(&session.config)?.files;
        let layout = plan::components::detect(&files, &session.config.components)?;
        incomplete = logs_incomplete(&logged);
        Some(logs::reconcile::reconcile(
            &logged,
            &inventory.scan.findings,
            &session.config,
            &layout,
        )?)
    };
    let doc = Document::Inventory {
        inventory: &inventory,
        runtime: runtime.as_ref(),
    };
    report::write(&doc, Format::from(args.format), out)?;
    let outcome = session.outcome(&inventory.scan.problems);
    if session.strict && incomplete {
        return Ok(Outcome::Incomplete);
    }
    Ok(outcome)
}

fn logs_incomplete(r: &logs::LogReport) -> bool {
    !r.incomplete().is_empty()
}
