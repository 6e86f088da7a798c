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

/// The components in a wave that touch `table` as `f` says, by wave.
fn touching<'a>(
    comps: &'a [PlannedComponent],
    table: &str,
    f: &dyn Fn(&super::Usage) -> bool,
) -> Vec<&'a PlannedComponent> {
    let mut v: Vec<&PlannedComponent> = comps
        .iter()
        .filter(|c| c.wave > 0)
        .filter(|c| c.usage.get(table).is_some_and(f) || c.inherited.get(table).is_some_and(f))
        .collect();
    v.sort_by_key(|c| (c.wave, c.name.clone()));
    v
}

fn prepare(t: &TableInfo, repl: &str, comps: &[PlannedComponent], items: usize) -> String {
    let schema = comps
        .iter()
        .find(|c| c.kind == Some(super::kinds::ComponentKind::Schema) && c.wave > 0);
    match (schema, items) {
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
    }
}

fn dual_write(t: &TableInfo, repl: &str, writers: &[&PlannedComponent]) -> String {
    if writers.is_empty() {
        return format!("no writer of {} in the code; check the query logs", t.name);
    }
    format!(
        "{}: each also writes {repl}, after the legacy write, failures caught and counted, idempotently (`cutover dual-write` checks it)",
        with_waves(writers)
    )
}

fn backfill(t: &TableInfo, repl: &str, writers: &[&PlannedComponent]) -> String {
    let after = writers.iter().map(|c| c.wave).max();
    format!(
        "{}copy the rows of {} into {repl} with an idempotent upsert on its key, in batches, re-runnable; compare counts and checksums after",
        after.map_or(String::new(), |w| format!(
            "once every writer dual-writes (after wave {w}): "
        )),
        t.name
    )
}

fn shadow(t: &TableInfo, repl: &str, readers: &[&PlannedComponent]) -> String {
    if readers.is_empty() {
        return format!("no reader of {} in the code", t.name);
    }
    format!(
        "{}: read {repl} beside {} and compare, still answering from {}",
        with_waves(readers),
        t.name,
        t.name
    )
}

fn cleanup(t: &TableInfo, items: &[&CopyItem]) -> String {
    let triggers = items.iter().filter(|c| c.what == CopyKind::Trigger).count();
    let fks = items
        .iter()
        .filter(|c| matches!(c.what, CopyKind::ForeignKeyIn | CopyKind::ForeignKeyOut))
        .count();
    format!(
        "drop {}'s {triggers} trigger(s) and {fks} foreign key(s), then the table",
        t.name
    )
}

fn for_table(t: &TableInfo, comps: &[PlannedComponent], copies: &[CopyItem]) -> Vec<Step> {
    let repl = t
        .replacements
        .first()
        .cloned()
        .unwrap_or_else(|| "the replacement".to_string());
    let writers = touching(comps, &t.name, &|u| u.writes > 0);
    let readers = touching(comps, &t.name, &|u| u.reads > 0);
    let items: Vec<&CopyItem> = copies.iter().filter(|c| c.table == t.name).collect();
    let cutover = format!(
        "readers switch to {repl} (see the preconditions), then writers stop writing {}",
        t.name
    );
    // The backfill has no phase of its own in cutover.toml: it ends the dual-write one.
    [
        (
            "prepare",
            Some(Phase::Prepare),
            prepare(t, &repl, comps, items.len()),
        ),
        (
            "dual-write",
            Some(Phase::DualWrite),
            dual_write(t, &repl, &writers),
        ),
        ("backfill", None, backfill(t, &repl, &writers)),
        (
            "shadow reads",
            Some(Phase::ShadowRead),
            shadow(t, &repl, &readers),
        ),
        ("cutover", Some(Phase::Cutover), cutover),
        ("cleanup", Some(Phase::Cleanup), cleanup(t, &items)),
    ]
    .into_iter()
    .map(|(name, phase, text)| Step {
        name,
        text,
        current: phase == Some(t.phase),
    })
    .collect()
}
