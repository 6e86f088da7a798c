//! `cutover dual-write`: scan, then judge every writer of a dual-write-phase legacy table.
//! Exit 1 when a writer is uncovered (the audit's failing verdict).

use crate::cli::DualWriteArgs;
use crate::dualwrite;
use crate::report::{Document, Format};
use crate::scan::Wants;
use crate::session::{Outcome, Session};
use anyhow::Result;
use std::io::Write;

pub fn run(args: &DualWriteArgs, out: &mut dyn Write) -> Result<Outcome> {
    let format = Format::from(args.format);
    let session = Session::for_scan(&args.scan, &args.output, format)?;
    let inventory = session.scan(Wants {
        replacements: true,
        ..Wants::default()
    })?;
    let analysis = session.install(|| dualwrite::run(&inventory))?;
    session.write(&Document::DualWrite(&analysis), format, out)?;
    Ok(if analysis.count(dualwrite::Verdict::Uncovered) > 0 {
        Outcome::Failed
    } else {
        session.outcome(&inventory.scan.problems)
    })
}
