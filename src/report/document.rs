//! The sign-off report's model: a scanned `Inventory` plus optional runtime, plan and burndown
//! sections in; `ReportData` out, the only input of the HTML and Markdown renderers.
//!
//! Each optional section has its own small view type here, filled by an adapter from the stage
//! that owns the data (query logs, plan, burndown), so a renderer never depends on another
//! stage's internals and a section missing from a run simply renders as absent.
//! Which component a finding belongs to, and its owners, come from the plan stage: its
//! component layout and its CODEOWNERS reader.

use crate::burndown::Burndown;
use crate::logs::reconcile::Reconciliation;
use crate::model::{Access, Finding, Problem};
use crate::plan::codeowners::CodeOwners;
use crate::plan::components::Layout;
use crate::plan::{Plan, PlanInput};
use crate::scan::Inventory;
use anyhow::Result;
use std::collections::{BTreeMap, BTreeSet};

/// A finding outside every component (a top-level file that holds no code).
pub const UNASSIGNED: &str = "(unassigned)";

/// One configured legacy table, as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableInfo {
    pub name: String,
    pub phase: String,
    pub replacements: Vec<String>,
}

/// A finding with the component that owns the code and that component's owners.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub finding: Finding,
    pub component: String,
    /// Code owners of the file (CODEOWNERS handles or emails), empty when unknown.
    pub owners: Vec<String>,
}

/// Scan totals shown in the report's footer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanTotals {
    pub files_scanned: u64,
    pub files_parsed: u64,
    pub files_skipped: u64,
}

/// One client seen in the query logs reading or writing a legacy table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeClient {
    pub table: String,
    /// How the client identified itself (`app=billing user=billing host=10.0.0.5`).
    pub client: String,
    /// The component the client maps to through `db_clients`, when it does.
    pub component: Option<String>,
    /// `Write` or `Read`: a client that does both appears once for each.
    pub access: Access,
    pub executions: u64,
    /// Whether code of the client's component accounts for this access.
    pub explained: bool,
    /// Why it is (un)explained, in words.
    pub reason: String,
    /// The client's most frequent statement (normalized), for context.
    pub sample: Option<String>,
}

/// Writers in the code of a table that the log window never saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotObserved {
    pub table: String,
    pub component: Option<String>,
    pub reason: String,
    /// `file:line` of each code writer.
    pub locations: Vec<String>,
}

/// What the query logs say: filled by the logs stage's adapter when `--logs` is given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuntimeSection {
    /// The log files read, as given.
    pub sources: Vec<String>,
    /// First and last timestamp seen, when the logs carry them.
    pub window: Option<(String, String)>,
    pub clients: Vec<RuntimeClient>,
    pub not_observed: Vec<NotObserved>,
    /// Clients that touched a legacy table and map to no component.
    pub unmapped_clients: Vec<String>,
}

impl RuntimeSection {
    /// The reconciliation of the query logs with the code, as the report shows it.
    pub fn from_reconciliation(r: &Reconciliation) -> RuntimeSection {
        let mut clients = Vec::new();
        let mut not_observed = Vec::new();
        for t in &r.tables {
            let lists = [
                (&t.explained_writers, Access::Write, true),
                (&t.unexplained_writers, Access::Write, false),
                (&t.explained_readers, Access::Read, true),
                (&t.unexplained_readers, Access::Read, false),
            ];
            for (list, access, explained) in lists {
                for c in list {
                    // The statement run most often says best what the client does.
                    let sample = c
                        .statements
                        .iter()
                        .max_by(|a, b| {
                            a.executions
                                .cmp(&b.executions)
                                .then_with(|| b.statement.cmp(&a.statement))
                        })
                        .map(|st| st.statement.clone());
                    clients.push(RuntimeClient {
                        table: t.table.clone(),
                        client: c.client.clone(),
                        component: c.component.clone(),
                        access,
                        executions: c.executions,
                        explained,
                        reason: c.reason.clone(),
                        sample,
                    });
                }
            }
            for n in &t.not_observed_writers {
                not_observed.push(NotObserved {
                    table: t.table.clone(),
                    component: n.component.clone(),
                    reason: n.reason.clone(),
                    locations: n
                        .locations
                        .iter()
                        .map(|l| format!("{}:{}", l.file, l.line))
                        .collect(),
                });
            }
        }
        RuntimeSection {
            sources: r.files.clone(),
            window: r.window.clone(),
            clients,
            not_observed,
            unmapped_clients: r.unmapped_clients.clone(),
        }
    }

    /// Clients that write a table and that no code finding accounts for.
    pub fn unexplained_writers<'a>(
        &'a self,
        table: &'a str,
    ) -> impl Iterator<Item = &'a RuntimeClient> + 'a {
        self.clients
            .iter()
            .filter(move |c| c.table == table && c.access == Access::Write && !c.explained)
    }
}

/// One component in a migration wave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanItem {
    pub component: String,
    /// `api`, `worker`, `job`… when the plan could tell.
    pub kind: Option<String>,
    pub owners: Vec<String>,
    /// Why the component is in this wave (e.g. "writes orders_legacy; read by reporting").
    pub reason: String,
    /// Whether it reads, writes or changes a legacy table (else it is in the plan only for
    /// its imports, and the report lists it briefly).
    pub touches: bool,
}

/// One wave of the migration plan: components that can move together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wave {
    pub number: u32,
    pub items: Vec<PlanItem>,
}

/// The migration plan: filled by the plan stage's adapter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanSection {
    pub waves: Vec<Wave>,
    /// Data that must be in place before a wave can move (backfills), in words.
    pub preconditions: Vec<String>,
    /// What the reader should know about the plan (tables nobody writes, root component…).
    pub notes: Vec<String>,
    /// The plan as a Mermaid flowchart (rendered by the plan stage), for Markdown.
    pub mermaid: Option<String>,
}

/// References over git history: filled by the burndown stage's adapter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BurndownSection {
    /// What each series counts, for the caption ("references per access").
    pub what: String,
    /// Sample dates (ISO), oldest first.
    pub dates: Vec<String>,
    /// Commit of each sample, when known.
    pub commits: Vec<Option<String>>,
    /// Series name and one value per date, in display order.
    pub series: Vec<(String, Vec<u64>)>,
    /// The burndown's projection, in words ("projected finish 2027-03-01").
    pub projection: Option<String>,
}

impl PlanSection {
    /// The waves of a plan, each component with its kind, owners and reason, and the plan as
    /// Mermaid (rendered by the plan's own Mermaid writer).
    pub fn from_plan(plan: &Plan) -> Result<PlanSection> {
        let waves = plan
            .waves
            .iter()
            .enumerate()
            .map(|(i, names)| Wave {
                number: i as u32 + 1,
                items: names
                    .iter()
                    .map(|name| {
                        let c = plan.component(name);
                        PlanItem {
                            component: name.clone(),
                            kind: c.and_then(|c| c.kind).map(|k| k.as_str().to_string()),
                            owners: c.map(|c| c.owners.clone()).unwrap_or_default(),
                            reason: c.map(|c| c.reason.clone()).unwrap_or_default(),
                            touches: c
                                .is_some_and(|c| !c.usage.is_empty() || !c.inherited.is_empty()),
                        }
                    })
                    .collect(),
            })
            .collect();
        let mut mermaid = Vec::new();
        crate::report::mermaid::write(plan, &mut mermaid)?;
        Ok(PlanSection {
            waves,
            preconditions: plan.preconditions.iter().map(|p| p.text()).collect(),
            notes: plan.notes.clone(),
            mermaid: Some(String::from_utf8_lossy(&mermaid).into_owned()),
        })
    }
}

impl BurndownSection {
    /// The burndown's samples as dated series, with its projection in words.
    pub fn from_burndown(b: &Burndown) -> BurndownSection {
        BurndownSection {
            what: format!("references per {}", b.by.as_str()),
            dates: b
                .samples
                .iter()
                .map(|s| s.date.format("%Y-%m-%d").to_string())
                .collect(),
            commits: b.samples.iter().map(|s| s.commit.clone()).collect(),
            series: b
                .series
                .iter()
                .map(|name| {
                    let values = b
                        .samples
                        .iter()
                        .map(|s| s.counts.get(name).copied().unwrap_or(0))
                        .collect();
                    (name.clone(), values)
                })
                .collect(),
            projection: Some(b.projection.describe()),
        }
    }
}

/// One database object of a table, as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseObject {
    pub location: String,
    pub access: Access,
    pub operation: String,
    pub detail: String,
    pub via: Vec<String>,
}

/// A role or account that may write a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseWriter {
    pub role: String,
    pub privileges: String,
    pub how: String,
}

/// What the live database says about one legacy table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DatabaseTable {
    pub table: String,
    /// The relation it resolved to; `None` when the table is not in the database.
    pub relation: Option<String>,
    pub owner: Option<String>,
    pub objects: Vec<DatabaseObject>,
    pub may_write: Vec<DatabaseWriter>,
    /// The live counters in words.
    pub counters: Option<String>,
}

/// `report --db`: filled by the db stage's adapter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DatabaseSection {
    /// The connection, without password.
    pub target: String,
    pub version: String,
    pub tables: Vec<DatabaseTable>,
    /// What could not be read.
    pub notes: Vec<String>,
}

impl DatabaseSection {
    pub fn from_catalog(c: &crate::db::Catalog) -> DatabaseSection {
        DatabaseSection {
            target: c.target.clone(),
            version: c.version.clone(),
            tables: c
                .tables
                .iter()
                .map(|t| DatabaseTable {
                    table: t.table.clone(),
                    relation: t.relation.clone(),
                    owner: t.owner.clone(),
                    objects: t
                        .objects
                        .iter()
                        .map(|o| DatabaseObject {
                            location: o.location.clone(),
                            access: o.access,
                            operation: o.operation.as_str().to_string(),
                            detail: o.detail.clone(),
                            via: o.via.clone(),
                        })
                        .collect(),
                    may_write: t
                        .may_write
                        .iter()
                        .map(|m| DatabaseWriter {
                            role: m.role.clone(),
                            privileges: m.privileges.join(", "),
                            how: m.how.join("; "),
                        })
                        .collect(),
                    counters: t.counters.as_ref().map(crate::report::db::counters_text),
                })
                .collect(),
            notes: c.notes.clone(),
        }
    }

    /// The reports of one configured table (one per relation it matched).
    pub fn tables_of<'a>(&'a self, table: &'a str) -> impl Iterator<Item = &'a DatabaseTable> {
        self.tables.iter().filter(move |t| t.table == table)
    }
}

/// The component a database object's row is listed under.
pub const DATABASE_COMPONENT: &str = "(database)";

/// Everything the sign-off report shows. Sections that a build or a run cannot fill are `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportData {
    /// The scanned path as the user gave it.
    pub root: String,
    /// The repository's name, for titles: the scanned directory's own name (`cutover
    /// report .` names the directory, not `.`).
    pub name: String,
    pub tables: Vec<TableInfo>,
    /// Sorted like the inventory (file, line, column, table, access).
    pub rows: Vec<Row>,
    pub problems: Vec<Problem>,
    pub totals: ScanTotals,
    pub runtime: Option<RuntimeSection>,
    pub plan: Option<PlanSection>,
    pub burndown: Option<BurndownSection>,
    /// Dual-write and shadow-read verdicts, when a table has a replacement to check.
    pub dual_write: Option<crate::dualwrite::Analysis>,
    /// `--db`: the live database's catalog of each table.
    pub database: Option<DatabaseSection>,
}

/// The name of the directory `root` (a file's directory), else `fallback`.
fn directory_name(root: &std::path::Path, fallback: &str) -> String {
    let dir = if root.is_file() {
        root.parent().unwrap_or(root)
    } else {
        root
    };
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| fallback.to_string())
}

/// The headline numbers: "how many writers, in how many components, how many unexplained".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub writers: usize,
    pub readers: usize,
    pub schema_changes: usize,
    /// Distinct components with at least one writer.
    pub writer_components: usize,
    /// Distinct owners of those components.
    pub writer_owners: usize,
    /// Runtime writers no code accounts for; `None` without logs.
    pub unexplained: Option<usize>,
    pub problems: usize,
}

impl ReportData {
    /// The dual-write verdicts about `table`, worst first (the analysis's order within).
    pub fn dual_write_of(&self, table: &str) -> Vec<&crate::dualwrite::Check> {
        let mut checks: Vec<&crate::dualwrite::Check> = self
            .dual_write
            .iter()
            .flat_map(|a| &a.checks)
            .filter(|c| c.table == table)
            .collect();
        checks.sort_by_key(|c| c.verdict);
        checks
    }

    /// Build the report from a scan and the plan built from the same scan (`input` is what
    /// the plan was built from): each finding goes to the plan's component of its file and
    /// to the file's CODEOWNERS owners.
    pub fn new(inv: &Inventory, input: &PlanInput, plan: &Plan) -> Result<ReportData> {
        let layout: Layout = crate::plan::components::detect(&input.files, &input.components)?;
        let owners = crate::plan::codeowners::LOCATIONS
            .iter()
            .find_map(|loc| input.texts.get(*loc).map(|t| CodeOwners::parse(loc, t)));
        let rows = inv
            .scan
            .findings
            .iter()
            .map(|f| Row {
                finding: f.clone(),
                component: layout
                    .component_of(&f.file)
                    .map_or(UNASSIGNED.to_string(), |i| {
                        layout.components[i].name.clone()
                    }),
                owners: owners
                    .as_ref()
                    .map_or_else(Vec::new, |co| co.owners_of(&f.file)),
            })
            .collect();
        Ok(ReportData {
            root: inv.root_display.clone(),
            name: directory_name(&inv.config.root, &inv.root_display),
            tables: inv
                .config
                .tables
                .tables()
                .iter()
                .map(|t| TableInfo {
                    name: t.display.clone(),
                    phase: t.phase.as_str().to_string(),
                    replacements: t.replacements.clone(),
                })
                .collect(),
            rows,
            problems: inv.scan.problems.clone(),
            totals: ScanTotals {
                files_scanned: inv.scan.stats.files_scanned,
                files_parsed: inv.scan.stats.files_parsed,
                files_skipped: inv.scan.stats.files_skipped,
            },
            runtime: None,
            plan: Some(PlanSection::from_plan(plan)?),
            burndown: None,
            dual_write: None,
            database: None,
        })
    }

    /// Add what the live database said: its objects become rows of the `(database)`
    /// component, and each table gets its database section.
    pub fn add_database(&mut self, catalog: &crate::db::Catalog) {
        for f in catalog.findings() {
            self.rows.push(Row {
                finding: f,
                component: DATABASE_COMPONENT.to_string(),
                owners: Vec::new(),
            });
        }
        self.rows
            .sort_by(|a, b| a.finding.sort_key().cmp(&b.finding.sort_key()));
        self.database = Some(DatabaseSection::from_catalog(catalog));
    }

    /// The rows of one table with one access, in report order.
    pub fn rows_of(&self, table: &str, access: Access) -> Vec<&Row> {
        self.rows
            .iter()
            .filter(|r| r.finding.table == table && r.finding.access == access)
            .collect()
    }

    /// Runtime clients of one table (empty without logs).
    pub fn runtime_of(&self, table: &str) -> Vec<&RuntimeClient> {
        self.runtime
            .iter()
            .flat_map(|r| r.clients.iter())
            .filter(|c| c.table == table)
            .collect()
    }

    /// Headline numbers over all tables, or over one when `table` is given.
    pub fn summary(&self, table: Option<&str>) -> Summary {
        let in_scope = |t: &str| table.is_none_or(|want| want == t);
        let rows: Vec<&Row> = self
            .rows
            .iter()
            .filter(|r| in_scope(&r.finding.table))
            .collect();
        let count = |a: Access| rows.iter().filter(|r| r.finding.access == a).count();
        let writers: Vec<&&Row> = rows
            .iter()
            .filter(|r| r.finding.access == Access::Write)
            .collect();
        let components: BTreeSet<&str> = writers.iter().map(|r| r.component.as_str()).collect();
        let owners: BTreeSet<&str> = writers
            .iter()
            .flat_map(|r| r.owners.iter().map(String::as_str))
            .collect();
        let unexplained = self.runtime.as_ref().map(|rt| {
            rt.clients
                .iter()
                .filter(|c| in_scope(&c.table) && c.access == Access::Write && !c.explained)
                .count()
        });
        Summary {
            writers: writers.len(),
            readers: count(Access::Read),
            schema_changes: count(Access::Ddl),
            writer_components: components.len(),
            writer_owners: owners.len(),
            unexplained,
            problems: if table.is_some() {
                0
            } else {
                self.problems.len()
            },
        }
    }

    /// Who must sign off: each owner of writing code with the number of writers it owns,
    /// sorted by owner; writers without an owner count under `None` (listed last).
    pub fn sign_off(&self) -> Vec<(Option<&str>, usize)> {
        let mut by: BTreeMap<Option<&str>, usize> = BTreeMap::new();
        for r in self
            .rows
            .iter()
            .filter(|r| r.finding.access == Access::Write)
        {
            if r.owners.is_empty() {
                *by.entry(None).or_default() += 1;
            }
            for o in &r.owners {
                *by.entry(Some(o.as_str())).or_default() += 1;
            }
        }
        let mut list: Vec<(Option<&str>, usize)> = by.into_iter().collect();
        // `None` sorts first in a BTreeMap; unowned writers read best at the end.
        let unowned_first = usize::from(list.first().is_some_and(|(o, _)| o.is_none()));
        list.rotate_left(unowned_first);
        list
    }

    /// Per component: (owners, writes, reads, ddl) of one table, sorted by component.
    pub fn components_of(&self, table: &str) -> BTreeMap<&str, ComponentCounts> {
        let mut by: BTreeMap<&str, ComponentCounts> = BTreeMap::new();
        for r in self.rows.iter().filter(|r| r.finding.table == table) {
            let entry = by.entry(r.component.as_str()).or_default();
            for o in &r.owners {
                entry.owners.insert(o.clone());
            }
            match r.finding.access {
                Access::Write => entry.writes += 1,
                Access::Read => entry.reads += 1,
                Access::Ddl => entry.ddl += 1,
                Access::Declare => entry.declarations += 1,
                Access::Unknown => entry.unresolved += 1,
            }
        }
        by
    }
}

/// How one component touches one table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComponentCounts {
    pub owners: BTreeSet<String>,
    pub writes: usize,
    pub reads: usize,
    pub ddl: usize,
    /// ORM models mapped to the table (`kind: model_declaration`).
    pub declarations: usize,
    /// Unresolved references (access `unknown`).
    pub unresolved: usize,
}

/// A finding's evidence, and for an unresolved reference why it could not be classified.
pub fn evidence_and_reason(f: &crate::model::Finding) -> String {
    match &f.reason {
        Some(why) => format!("{}  (why: {why})", f.evidence),
        None => f.evidence.clone(),
    }
}

/// A one-sentence answer to "how many writers, in how many components, how many unexplained".
pub fn headline(s: &Summary, tables: usize) -> String {
    let plural = |n: usize, one: &str, many: &str| {
        if n == 1 {
            format!("{n} {one}")
        } else {
            format!("{n} {many}")
        }
    };
    let mut text = format!(
        "{} in {} across {}",
        plural(s.writers, "writer", "writers"),
        plural(s.writer_components, "component", "components"),
        plural(tables, "legacy table", "legacy tables"),
    );
    match s.unexplained {
        Some(n) => text.push_str(&format!(
            "; {} in the query logs.",
            plural(n, "unexplained writer", "unexplained writers")
        )),
        None => text.push_str("; no query logs given, so unexplained writers are unknown."),
    }
    text
}

/// `text` with its first letter in upper case.
pub fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// How a burndown series is named: accesses read as in the rest of the report.
pub fn series_label(name: &str) -> String {
    match name {
        "write" => "writers".to_string(),
        "read" => "readers".to_string(),
        "ddl" => "schema changes".to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::{Confidence, Kind, Language, Operation, Site, SkipReason};

    pub(crate) fn finding(table: &str, access: Access, op: Operation, file: &str) -> Finding {
        let site = Site {
            file: file.into(),
            line: 12,
            column: 9,
            language: Language::Python,
            function: Some("OrderRepository.create_order".into()),
            evidence: format!("{} {table} ...", op.as_str().to_uppercase()),
            sink: Some("cursor.execute".into()),
            framework: None,
        };
        site.finding(table.into(), access, op, Kind::RawSql, Confidence::Parsed)
    }

    fn row(f: Finding, component: &str, owners: &[&str]) -> Row {
        Row {
            finding: f,
            component: component.into(),
            owners: owners.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// A report with every section filled, used by the renderer tests.
    pub(crate) fn sample() -> ReportData {
        let mut evil = finding(
            "orders_legacy",
            Access::Write,
            Operation::Update,
            "services/evil/<img src=x onerror=alert(1)>.py",
        );
        evil.evidence =
            "UPDATE orders_legacy SET note = '</script><script>alert(1)</script>' | `x`".into();
        evil.function = Some("<b>handler</b>".into());
        let mut go = finding(
            "orders_legacy",
            Access::Write,
            Operation::Insert,
            "services/api/orders.go",
        );
        go.language = Language::Go;
        go.function = Some("(*Store).CreateOrder".into());
        go.confidence = Confidence::Heuristic;
        let rows = vec![
            row(
                finding(
                    "orders_legacy",
                    Access::Ddl,
                    Operation::Alter,
                    "db/migrations/0002.sql",
                ),
                "db/migrations",
                &["@acme/dba"],
            ),
            row(go, "services/api", &["@acme/orders-api"]),
            row(
                finding(
                    "orders_legacy",
                    Access::Read,
                    Operation::Select,
                    "services/reporting/daily.py",
                ),
                "reporting",
                &["@acme/data"],
            ),
            row(evil, "services/evil", &[]),
            row(
                finding(
                    "order_items_legacy",
                    Access::Write,
                    Operation::Delete,
                    "services/billing/billing/repository.py",
                ),
                "billing",
                &["@acme/billing"],
            ),
        ];
        ReportData {
            root: "fixtures/demo".into(),
            name: "demo".into(),
            tables: vec![
                TableInfo {
                    name: "orders_legacy".into(),
                    phase: "dual-write".into(),
                    replacements: vec!["orders".into()],
                },
                TableInfo {
                    name: "order_items_legacy".into(),
                    phase: "prepare".into(),
                    replacements: vec![],
                },
            ],
            rows,
            problems: vec![Problem {
                file: "services/broken.py".into(),
                line: Some(3),
                reason: SkipReason::SyntaxError,
                detail: "error node <here>".into(),
            }],
            totals: ScanTotals {
                files_scanned: 19,
                files_parsed: 13,
                files_skipped: 1,
            },
            runtime: Some(RuntimeSection {
                sources: vec!["logs/postgresql.log".into()],
                window: Some(("2026-11-01 00:00".into(), "2026-11-07 23:59".into())),
                clients: vec![
                    RuntimeClient {
                        table: "orders_legacy".into(),
                        client: "app=billing".into(),
                        component: Some("billing".into()),
                        access: Access::Write,
                        executions: 4,
                        explained: true,
                        reason: "billing writes orders_legacy in its code".into(),
                        sample: Some("INSERT INTO orders_legacy ...".into()),
                    },
                    RuntimeClient {
                        table: "orders_legacy".into(),
                        client: "user=<script>alert(1)</script>".into(),
                        component: None,
                        access: Access::Write,
                        executions: 2,
                        explained: false,
                        reason: "maps to no component".into(),
                        sample: Some("DELETE FROM orders_legacy WHERE id = $1".into()),
                    },
                ],
                not_observed: vec![NotObserved {
                    table: "orders_legacy".into(),
                    component: Some("services/api".into()),
                    reason: "no client of services/api wrote orders_legacy".into(),
                    locations: vec!["services/api/orders.go:12".into()],
                }],
                unmapped_clients: vec!["user=<script>alert(1)</script>".into()],
            }),
            plan: Some(PlanSection {
                waves: vec![
                    Wave {
                        number: 1,
                        items: vec![PlanItem {
                            component: "reporting".into(),
                            kind: Some("job".into()),
                            owners: vec!["@acme/data".into()],
                            reason: "reads only".into(),
                            touches: true,
                        }],
                    },
                    Wave {
                        number: 2,
                        items: vec![
                            PlanItem {
                                component: "services/api".into(),
                                kind: None,
                                owners: vec!["@acme/orders-api".into()],
                                reason: "writes orders_legacy".into(),
                                touches: true,
                            },
                            PlanItem {
                                component: "docs".into(),
                                kind: None,
                                owners: vec![],
                                reason: "touches no legacy table".into(),
                                touches: false,
                            },
                        ],
                    },
                ],
                preconditions: vec![
                    "backfill orders from orders_legacy before reporting reads it".into(),
                ],
                notes: vec!["nothing in the code writes <orders_legacy>".into()],
                mermaid: Some("flowchart LR\n  reporting --> api".into()),
            }),
            dual_write: None,
            database: Some(DatabaseSection {
                target: "postgresql://cutover@127.0.0.1/shop".into(),
                version: "PostgreSQL 15.10".into(),
                tables: vec![DatabaseTable {
                    table: "orders_legacy".into(),
                    relation: Some("public.orders_legacy".into()),
                    owner: Some("shop_owner".into()),
                    objects: vec![DatabaseObject {
                        location: "trigger <audit> ON orders_legacy".into(),
                        access: Access::Declare,
                        operation: "declare".into(),
                        detail: "AFTER UPDATE ... EXECUTE FUNCTION audit()".into(),
                        via: vec![],
                    }],
                    may_write: vec![DatabaseWriter {
                        role: "billing".into(),
                        privileges: "insert, update".into(),
                        how: "granted directly".into(),
                    }],
                    counters: Some("inserts 3, updates 1, deletes 0".into()),
                }],
                notes: vec!["pg_stat_statements is not installed".into()],
            }),
            burndown: Some(BurndownSection {
                what: "references per access".into(),
                dates: vec![
                    "2026-09-01".into(),
                    "2026-10-01".into(),
                    "2026-11-01".into(),
                ],
                commits: vec![Some("aaaaaaa".into()), Some("bbbbbbb".into()), None],
                series: vec![
                    ("write".into(), vec![6, 4, 2]),
                    ("read".into(), vec![9, 7, 5]),
                    ("ddl".into(), vec![1, 1, 1]),
                ],
                projection: Some("projected finish 2026-12-01".into()),
            }),
        }
    }

    #[test]
    fn summary_counts_writers_components_and_unexplained() {
        let data = sample();
        let s = data.summary(None);
        assert_eq!(s.writers, 3);
        assert_eq!(s.readers, 1);
        assert_eq!(s.schema_changes, 1);
        assert_eq!(s.writer_components, 3);
        assert_eq!(s.writer_owners, 2);
        assert_eq!(s.unexplained, Some(1));
        let one = data.summary(Some("order_items_legacy"));
        assert_eq!((one.writers, one.writer_components), (1, 1));
        assert_eq!(one.unexplained, Some(0));
        assert_eq!(
            headline(&s, 2),
            "3 writers in 3 components across 2 legacy tables; 1 unexplained writer in the query logs."
        );
        let mut no_logs = data.clone();
        no_logs.runtime = None;
        assert!(headline(&no_logs.summary(None), 2).contains("no query logs given"));
    }

    #[test]
    fn sign_off_lists_writer_owners_then_unowned() {
        let data = sample();
        assert_eq!(
            data.sign_off(),
            [
                (Some("@acme/billing"), 1),
                (Some("@acme/orders-api"), 1),
                (None, 1)
            ]
        );
    }

    #[test]
    fn components_of_groups_by_component() {
        let data = sample();
        let by = data.components_of("orders_legacy");
        let names: Vec<&str> = by.keys().copied().collect();
        assert_eq!(
            names,
            [
                "db/migrations",
                "reporting",
                "services/api",
                "services/evil"
            ]
        );
        assert_eq!(by["services/api"].writes, 1);
        assert_eq!(by["reporting"].reads, 1);
    }
}
