//! `cutover inventory`: scan, optionally reconcile with query logs, print.

use crate::cli::InventoryArgs;
use crate::report::{Document, Format};
use crate::session::{Outcome, Session};
use crate::{logs, scan};
use anyhow::Result;
use std::io::Write;

pub fn run(args: &InventoryArgs, out: &mut dyn Write) -> Result<Outcome> {
    super::check_path_is_not_a_log(&args.scan.path, &args.logs)?;
    let format = Format::from(args.format);
    let session = Session::for_scan(&args.scan, &args.output, format)?;
    let inventory =
        session.install(|| scan::scan(session.config.clone(), session.root_display.clone()))?;
    let runtime = if args.logs.is_empty() {
        None
    } else {
        logs::check_paths(&args.logs)?;
        let opts = super::log_options(&session.config, None, None);
        let logged = session.install(|| logs::read_logs(&args.logs, &opts))?;
        Some(logs::reconcile::reconcile(
            &logged,
            &inventory.scan.findings,
            &session.config,
        )?)
    };
    let doc = Document::Inventory {
        inventory: &inventory,
        runtime: runtime.as_ref(),
    };
    session.write(&doc, format, out)?;
    Ok(session.outcome(&inventory.scan.problems))
}
