//! `cutover plan`: scan, read the repository's layout, order the migration.

use crate::cli::PlanArgs;
use crate::report::{Document, Format};
use crate::session::{Outcome, Session};
use crate::{plan, scan};
use anyhow::Result;
use std::io::Write;

pub fn run(args: &PlanArgs, out: &mut dyn Write) -> Result<Outcome> {
    let format = Format::from(args.format);
    let session = Session::for_scan(&args.scan, &args.output, format)?;
    let mut input = plan::load_repo(&session.config)?;
    let inventory =
        session.install(|| scan::scan(session.config.clone(), session.root_display.clone()))?;
    let outcome = session.outcome(&inventory.scan.problems);
    input.findings = inventory.scan.findings;
    input.problems.extend(inventory.scan.problems);
    input.problems.sort();
    // The scan and plan's own reading may both report one file (e.g. too large).
    input
        .problems
        .dedup_by(|a, b| a.file == b.file && a.line == b.line && a.reason == b.reason);
    let plan = plan::build(&input, &session.root_display)?;
    session.write(&Document::Plan(&plan), format, out)?;
    Ok(outcome)
}
