//! `cutover plan`: scan, read the repository's layout, order the migration.

use crate::cli::PlanArgs;
use crate::plan;
use crate::report::{self, Document, Format};
use crate::scan::Wants;
use crate::session::{Outcome, Session};
use anyhow::Result;
use std::io::Write;

pub fn run(args: &PlanArgs, out: &mut dyn Write) -> Result<Outcome> {
    let session = Session::for_scan(&args.scan)?;
    let inventory = session.scan(Wants {
        plan_texts: true,
        ..Wants::default()
    })?;
    let input = plan::input(&inventory);
    let plan = plan::build(&input, &session.root_display)?;
    let outcome = session.outcome(&inventory.scan.problems);
    report::write(&Document::Plan(&plan), Format::from(args.format), out)?;
    Ok(outcome)
}
