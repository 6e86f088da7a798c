//! `cutover plan`: scan, read the repository's layout, order the migration.

use crate::cli::PlanArgs;
use crate::plan;
use crate::report::{Document, Format};
use crate::scan::Wants;
use crate::session::{Outcome, Session};
use anyhow::Result;
use std::io::Write;

pub fn run(args: &PlanArgs, out: &mut dyn Write) -> Result<Outcome> {
    let format = Format::from(args.format);
    let session = Session::for_scan(&args.scan, &args.output, format)?;
    let inventory = session.scan(Wants {
        plan_texts: true,
        ..Wants::default()
    })?;
    let input = plan::input(&inventory);
    let mut plan = plan::build(&input, &session.root_display)?;
    if let Some(url) = &args.db {
        let catalog = super::db::read_for(&session.config, url)?;
        add_database(&mut plan, &catalog);
    }
    let outcome = session.outcome(&inventory.scan.problems);
    session.write(&Document::Plan(&plan), format, out)?;
    Ok(outcome)
}

/// `--db`: what the database itself does to the legacy tables, as notes of the plan (it
/// belongs to no component of the repository): its writers, its readers, the objects that
/// must move with each table, and what could not be read.
fn add_database(plan: &mut plan::Plan, catalog: &crate::db::Catalog) {
    use crate::model::Access;
    for f in catalog.findings() {
        let via = if f.via.is_empty() {
            String::new()
        } else {
            format!(" (via {})", f.via.join(" → "))
        };
        let what = match f.access {
            Access::Write => format!("the database writes {}: {}{via}", f.table, f.file),
            Access::Read => format!("the database reads {}: {}{via}", f.table, f.file),
            Access::Ddl | Access::Declare => {
                format!("moves with {} in the database: {}", f.table, f.file)
            }
            Access::Unknown => format!("the database uses {}: {}{via}", f.table, f.file),
        };
        plan.notes.push(what);
    }
    for n in &catalog.notes {
        plan.problems
            .push(format!("database {}: {n}", catalog.target));
    }
}
