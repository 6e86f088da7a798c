//! The playbook per legacy table: the plan's components, waves and copy list in; for each
//! table the steps prepare → dual-write → backfill → shadow reads → cutover → cleanup out,
//! each naming who does it and when, with the table's current phase (from cutover.toml)
//! marked. The backfill sits between dual-write and shadow reads: it copies the rows that
//! exist before every writer dual-writes, and it replays, so it must be idempotent.

use super::replica::{CopyItem, CopyKind};
use super::{PlannedComponent, TableInfo, order::join_and};
use crate::config::Phase;

/// One step of one table's migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// `prepare`, `dual-write`, `backfill`, `shadow reads`, `cutover`, `cleanup`.
    pub name: &'static str,
    pub text: String,
    /// The table is in this phase now (cutover.toml).
    pub current: bool,
}

/// The steps of one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSteps {
    pub table: String,
    pub steps: Vec<Step>,
}

/// "a (wave 2), b (wave 4)"
fn with_waves(comps: &[&PlannedComponent]) -> String {
    let v: Vec<String> = comps
        .iter()
        .map(|c| format!("{} (wave {})", c.name, c.wave))
        .collect();
    join_and(&v)
}

/// The steps for every table.
pub fn build(
    tables: &[TableInfo],
    components: &[PlannedComponent],
    copies: &[CopyItem],
) -> Vec<TableSteps> {
    tables
        .iter()
        .map(|t| TableSteps {
            table: t.name.clone(),
            steps: for_table(t, components, copies),
        })
        .collect()
}

fn for_table(t: &TableInfo, comps: &[PlannedComponent], copies: &[CopyItem]) -> Vec<Step> {
    let repl = t
        .replacements
        .first()
        .cloned()
        .unwrap_or_else(|| "the replacement".to_string());
    let touching = |f: &dyn Fn(&super::Usage) -> bool| -> Vec<&PlannedComponent> {
        let mut v: Vec<&PlannedComponent> = comps
            .iter()
            .filter(|c| c.wave > 0)
            .filter(|c| {
                c.usage.get(&t.name).is_some_and(f) || c.inherited.get(&t.name).is_some_and(f)
            })
            .collect();
        v.sort_by_key(|c| (c.wave, c.name.clone()));
        v
    };
    let writers = touching(&|u| u.writes > 0);
    let readers = touching(&|u| u.reads > 0);
    let schema: Vec<&PlannedComponent> = comps
        .iter()
        .filter(|c| c.kind == Some(super::kinds::ComponentKind::Schema) && c.wave > 0)
        .collect();
    let mine: Vec<&CopyItem> = copies.iter().filter(|c| c.table == t.name).collect();
    let last_writer = writers.iter().map(|c| c.wave).max();
    let prepare = match (schema.first(), mine.len()) {
        (Some(s), 0) => format!(
            "create {repl} in {} (wave {}); no trigger, foreign key, type or sequence of {} found in the .sql files (check the live database)",
            s.name, s.wave, t.name
        ),
        (Some(s), n) => format!(
            "create {repl} in {} (wave {}) with the {n} item(s) it must copy (below)",
            s.name, s.wave
        ),
        (None, n) => format!(
            "create {repl} (no schema directory found) with the {n} item(s) it must copy (below)"
        ),
    };
    let dual = if writers.is_empty() {
        format!("no writer of {} in the code; check the query logs", t.name)
    } else {
        format!(
            "{}: each also writes {repl}, after the legacy write, failures caught and counted, idempotently (`cutover dual-write` checks it)",
            with_waves(&writers)
        )
    };
    let backfill = format!(
        "{}copy the rows of {} into {repl} with an idempotent upsert on its key, in batches, re-runnable; compare counts and checksums after",
        last_writer.map_or(String::new(), |w| format!(
            "once every writer dual-writes (after wave {w}): "
        )),
        t.name
    );
    let shadow = if readers.is_empty() {
        format!("no reader of {} in the code", t.name)
    } else {
        format!(
            "{}: read {repl} beside {} and compare, still answering from {}",
            with_waves(&readers),
            t.name,
            t.name
        )
    };
    let cutover = format!(
        "readers switch to {repl} (see the preconditions), then writers stop writing {}",
        t.name
    );
    let cleanup = {
        let triggers = mine.iter().filter(|c| c.what == CopyKind::Trigger).count();
        let fks = mine
            .iter()
            .filter(|c| matches!(c.what, CopyKind::ForeignKeyIn | CopyKind::ForeignKeyOut))
            .count();
        format!(
            "drop {}'s {triggers} trigger(s) and {fks} foreign key(s), then the table",
            t.name
        )
    };
    // The backfill has no phase of its own in cutover.toml: it ends the dual-write one.
    [
        ("prepare", Some(Phase::Prepare), prepare),
        ("dual-write", Some(Phase::DualWrite), dual),
        ("backfill", None, backfill),
        ("shadow reads", Some(Phase::ShadowRead), shadow),
        ("cutover", Some(Phase::Cutover), cutover),
        ("cleanup", Some(Phase::Cleanup), cleanup),
    ]
    .into_iter()
    .map(|(name, phase, text)| Step {
        name,
        text,
        current: phase == Some(t.phase),
    })
    .collect()
}
