//! Reconciliation of runtime evidence with the code: a `LogReport`, the code findings of an
//! inventory and the plan's component `Layout` (declared and detected components) in; per
//! legacy table out: the runtime writers and readers that no component's code explains, and
//! the code writers that the log window never saw. Runtime clients map to components through
//! `db_clients` (`app=`, `user=`, `host=`, `db=`, `tag:<key>=`; query tags also answer
//! `app=`); a component without `db_clients` is matched by its name (an application name or
//! a `service`/`application` tag equal to it). Code findings belong to the component the
//! layout gives their file. A statement whose tags carry its code location
//! (`source_location`) is joined to the finding at that exact file and line.

use super::{LogReport, Row, StatementCount};
use crate::config::Config;
use crate::model::{Access, Finding};
use crate::plan::components::{Layout, ROOT_NAME};
use anyhow::{Context, Result, bail};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// One `db_clients` entry, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    key: String,
    value: String,
}

impl Selector {
    pub fn parse(text: &str) -> Result<Selector> {
        let Some((k, v)) = text.split_once('=') else {
            bail!(
                "db_clients entry `{text}` must look like app=NAME, user=NAME, host=NAME, db=NAME or tag:KEY=VALUE"
            );
        };
        let key = k.trim().to_ascii_lowercase();
        if !matches!(key.as_str(), "app" | "user" | "host" | "db") && !key.starts_with("tag:") {
            bail!(
                "db_clients entry `{text}`: unknown key `{key}` (use app, user, host, db or tag:KEY)"
            );
        }
        Ok(Selector {
            key,
            value: v.trim().to_string(),
        })
    }

    fn value_matches(&self, v: &str) -> bool {
        match self.value.strip_suffix('*') {
            Some(prefix) => v.starts_with(prefix),
            None => v == self.value,
        }
    }

    /// How strongly this selector matches `c` (0 = not at all). Application names and
    /// tags identify a service; users, hosts and databases are often shared.
    fn score(&self, c: &super::Client) -> u8 {
        let tag = |k: &str| c.tags.get(k).map(String::as_str);
        match self.key.as_str() {
            "app" => {
                let from_tag = ["application", "app", "service", "application_name"]
                    .iter()
                    .filter_map(|k| tag(k))
                    .any(|v| self.value_matches(v));
                if from_tag {
                    4
                } else if c.app.as_deref().is_some_and(|v| self.value_matches(v)) {
                    3
                } else {
                    0
                }
            }
            "user" => u8::from(c.user.as_deref().is_some_and(|v| self.value_matches(v))) * 2,
            "host" => u8::from(c.host.as_deref().is_some_and(|v| self.value_matches(v))),
            "db" => u8::from(c.db.as_deref().is_some_and(|v| self.value_matches(v))),
            k => {
                let key = k.trim_start_matches("tag:");
                u8::from(tag(key).is_some_and(|v| self.value_matches(v))) * 4
            }
        }
    }
}

struct Component<'a> {
    name: &'a str,
    selectors: Vec<Selector>,
    /// Matched by its name, not by declared `db_clients`.
    by_name: bool,
}

fn compile(layout: &Layout) -> Result<Vec<Component<'_>>> {
    let mut out = Vec::new();
    for c in &layout.components {
        // Files outside every other component cannot be matched to a client.
        if c.name == ROOT_NAME {
            continue;
        }
        let by_name = c.db_clients.is_empty();
        let selectors = if by_name {
            vec![Selector {
                key: "app".into(),
                value: c.name.clone(),
            }]
        } else {
            c.db_clients
                .iter()
                .map(|s| Selector::parse(s))
                .collect::<Result<Vec<_>>>()
                .with_context(|| format!("component `{}`", c.name))?
        };
        out.push(Component {
            name: &c.name,
            selectors,
            by_name,
        });
    }
    Ok(out)
}

/// A runtime reader or writer with its evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuntimeClient {
    pub client: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    /// Why it is (un)explained.
    pub reason: String,
    pub executions: u64,
    pub failed: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last: Option<String>,
    pub statements: Vec<StatementCount>,
    /// The code finding the statement's `source_location` tag names, joined exactly.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code_location: Option<CodeLocation>,
}

/// A code location that writes a table.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct CodeLocation {
    pub file: String,
    pub line: u32,
    pub operation: String,
    pub evidence: String,
}

/// Code writers of a table (one component, or none) that no runtime writer matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotObserved {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    pub reason: String,
    pub locations: Vec<CodeLocation>,
}

/// Reconciliation of one legacy table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableReconciliation {
    pub table: String,
    pub unexplained_writers: Vec<RuntimeClient>,
    pub unexplained_readers: Vec<RuntimeClient>,
    pub not_observed_writers: Vec<NotObserved>,
    pub explained_writers: Vec<RuntimeClient>,
    pub explained_readers: Vec<RuntimeClient>,
}

/// The runtime section of `inventory --logs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reconciliation {
    pub files: Vec<String>,
    /// First and last timestamp of any statement of a legacy table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<(String, String)>,
    /// Component → the clients mapped to it.
    pub components: BTreeMap<String, Vec<String>>,
    /// Components matched by their name because they declare no `db_clients`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub matched_by_name: Vec<String>,
    /// Clients that touched a legacy table and map to no component.
    pub unmapped_clients: Vec<String>,
    pub tables: Vec<TableReconciliation>,
    /// The log accounting, so that the reader can judge the window.
    pub accounting: super::Accounting,
}

impl Reconciliation {
    pub fn unexplained_writers(&self) -> usize {
        self.tables
            .iter()
            .map(|t| t.unexplained_writers.len())
            .sum()
    }
}

/// `path:line` of a `source_location` tag.
fn source_location(c: &super::Client) -> Option<(&str, u32)> {
    let v = c.tags.get("source_location")?;
    let (path, line) = v.rsplit_once(':')?;
    Some((path.trim_start_matches("./"), line.trim().parse().ok()?))
}

/// Whether a tag's path names the finding's file (the tag may hold an absolute path or one
/// relative to another root: the file must be its suffix at a `/`).
fn same_file(tag: &str, file: &str) -> bool {
    tag == file || tag.strip_suffix(file).is_some_and(|p| p.ends_with('/'))
}

pub fn reconcile(
    report: &LogReport,
    findings: &[Finding],
    config: &Config,
    layout: &Layout,
) -> Result<Reconciliation> {
    let components = compile(layout)?;
    // Client label → component (best score; ties go to the first by name).
    let mut client_component: BTreeMap<&str, Option<&str>> = BTreeMap::new();
    let mut by_component: BTreeMap<String, Vec<String>> = components
        .iter()
        .filter(|c| !c.by_name)
        .map(|c| (c.name.to_string(), Vec::new()))
        .collect();
    let mut matched_by_name: BTreeSet<String> = BTreeSet::new();
    for (label, summary) in &report.clients {
        let mut best: Option<(u8, &str)> = None;
        for c in &components {
            let score = c
                .selectors
                .iter()
                .map(|s| s.score(&summary.client))
                .max()
                .unwrap_or(0);
            if score > 0 && best.is_none_or(|(b, n)| score > b || (score == b && c.name < n)) {
                best = Some((score, c.name));
            }
        }
        let comp = best.map(|(_, n)| n);
        if let Some(n) = comp {
            if components.iter().any(|c| c.name == n && c.by_name) {
                matched_by_name.insert(n.to_string());
            }
            by_component
                .entry(n.to_string())
                .or_default()
                .push(label.clone());
        }
        client_component.insert(label, comp);
    }
    // Code findings per (component, table, access).
    let mut code: BTreeMap<(Option<&str>, &str, Access), Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        let comp = layout
            .component_of(&f.file)
            .map(|i| layout.components[i].name.as_str())
            .filter(|n| *n != ROOT_NAME);
        code.entry((comp, f.table.as_str(), f.access))
            .or_default()
            .push(f);
    }
    let component_of = |file: &str| {
        layout
            .component_of(file)
            .map(|i| layout.components[i].name.as_str())
            .filter(|n| *n != ROOT_NAME)
    };
    let code_has = |comp: Option<&str>, table: &str, access: Access| {
        comp.is_some() && code.contains_key(&(comp, table, access))
    };
    let mut tables: Vec<String> = config
        .tables
        .tables()
        .iter()
        .map(|t| t.display.clone())
        .collect();
    if tables.is_empty() {
        tables = report.rows.iter().map(|r| r.table.clone()).collect();
    }
    tables.sort();
    tables.dedup();
    let mut unmapped: BTreeSet<String> = BTreeSet::new();
    let mut out_tables = Vec::new();
    let mut first: Option<&str> = None;
    let mut last: Option<&str> = None;
    for table in &tables {
        let mut t = TableReconciliation {
            table: table.clone(),
            unexplained_writers: Vec::new(),
            unexplained_readers: Vec::new(),
            not_observed_writers: Vec::new(),
            explained_writers: Vec::new(),
            explained_readers: Vec::new(),
        };
        let mut observed_writers: BTreeSet<Option<&str>> = BTreeSet::new();
        for row in report.rows_of(table) {
            if let Some(f) = row.first.as_deref() {
                first = Some(first.map_or(f, |x| x.min(f)));
            }
            if let Some(l) = row.last.as_deref() {
                last = Some(last.map_or(l, |x| x.max(l)));
            }
            // The statement names its code location: join it to that finding exactly.
            let located = report
                .clients
                .get(&row.client)
                .and_then(|s| source_location(&s.client))
                .and_then(|(path, line)| {
                    findings.iter().find(|f| {
                        f.table == *table
                            && f.line == line
                            && same_file(path, &f.file)
                            && (f.access == row.access
                                || row.access == Access::Read && f.access == Access::Write)
                    })
                });
            let mapped = client_component.get(row.client.as_str()).copied().flatten();
            let comp = mapped.or_else(|| located.and_then(|f| component_of(&f.file)));
            if comp.is_none() && located.is_none() && row.access != Access::Ddl {
                unmapped.insert(row.client.clone());
            }
            let by_name = |c: &str| {
                if matched_by_name.contains(c) {
                    " (matched by its name: it declares no db_clients)"
                } else {
                    ""
                }
            };
            match row.access {
                Access::Write => {
                    observed_writers.insert(comp);
                    let explained = located.is_some() || code_has(comp, table, Access::Write);
                    let reason = match (located, comp) {
                        (Some(f), _) => format!(
                            "its source_location tag names {}:{}, where the code {}s {table}",
                            f.file,
                            f.line,
                            f.operation.as_str()
                        ),
                        (None, None) => "no component's db_clients match this client".to_string(),
                        (None, Some(c)) if explained => {
                            format!("component `{c}`{} has code that writes {table}", by_name(c))
                        }
                        (None, Some(c)) => format!(
                            "component `{c}`{} has no code that writes {table}",
                            by_name(c)
                        ),
                    };
                    let mut rc = runtime(row, comp, reason);
                    rc.code_location = located.map(location);
                    if explained {
                        t.explained_writers.push(rc);
                    } else {
                        t.unexplained_writers.push(rc);
                    }
                }
                Access::Read => {
                    let explained = located.is_some()
                        || code_has(comp, table, Access::Read)
                        || code_has(comp, table, Access::Write);
                    let reason = match (located, comp) {
                        (Some(f), _) => format!(
                            "its source_location tag names {}:{}, where the code uses {table}",
                            f.file, f.line
                        ),
                        (None, None) => "no component's db_clients match this client".to_string(),
                        (None, Some(c)) if explained => {
                            format!("component `{c}`{} has code that uses {table}", by_name(c))
                        }
                        (None, Some(c)) => format!(
                            "component `{c}`{} has no code that reads {table}",
                            by_name(c)
                        ),
                    };
                    let mut rc = runtime(row, comp, reason);
                    rc.code_location = located.map(location);
                    if explained {
                        t.explained_readers.push(rc);
                    } else {
                        t.unexplained_readers.push(rc);
                    }
                }
                // Query logs never declare models.
                Access::Ddl | Access::Declare | Access::Unknown => {}
            }
        }
        for ((comp, tname, access), fs) in &code {
            // A client with no component cannot stand for code with no component.
            if *tname != table
                || *access != Access::Write
                || (comp.is_some() && observed_writers.contains(comp))
            {
                continue;
            }
            let reason = match comp {
                Some(c) => format!(
                    "component `{c}` writes {table} in code, but no client mapped to it wrote it in the log window"
                ),
                None => "code outside every component's paths: it cannot be matched to a client"
                    .to_string(),
            };
            let mut locations: Vec<CodeLocation> = fs.iter().map(|f| location(f)).collect();
            locations.sort();
            locations.dedup();
            t.not_observed_writers.push(NotObserved {
                component: comp.map(str::to_string),
                reason,
                locations,
            });
        }
        out_tables.push(t);
    }
    Ok(Reconciliation {
        files: report.files.iter().map(|f| f.path.clone()).collect(),
        window: first.zip(last).map(|(a, b)| (a.to_string(), b.to_string())),
        components: by_component,
        matched_by_name: matched_by_name.into_iter().collect(),
        unmapped_clients: unmapped.into_iter().collect(),
        tables: out_tables,
        accounting: report.accounting.clone(),
    })
}

fn location(f: &Finding) -> CodeLocation {
    CodeLocation {
        file: f.file.clone(),
        line: f.line,
        operation: f.operation.as_str().to_string(),
        evidence: super::truncate(&f.evidence, 120),
    }
}

fn runtime(row: &Row, comp: Option<&str>, reason: String) -> RuntimeClient {
    RuntimeClient {
        client: row.client.clone(),
        component: comp.map(str::to_string),
        reason,
        executions: row.executions,
        failed: row.failed,
        first: row.first.clone(),
        last: row.last.clone(),
        statements: row.statements.iter().take(3).cloned().collect(),
        code_location: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::Client;

    #[test]
    fn selectors_prefer_tags_and_apps() {
        let c = Client {
            app: Some("billing".into()),
            user: Some("shared".into()),
            tags: [("application".to_string(), "billing-worker".to_string())].into(),
            ..Client::default()
        };
        assert_eq!(Selector::parse("app=billing-worker").unwrap().score(&c), 4);
        assert_eq!(Selector::parse("app=billing").unwrap().score(&c), 3);
        assert_eq!(Selector::parse("user=shared").unwrap().score(&c), 2);
        assert_eq!(Selector::parse("user=sha*").unwrap().score(&c), 2);
        assert_eq!(Selector::parse("host=10.0.0.1").unwrap().score(&c), 0);
        assert!(Selector::parse("name=x").is_err());
        assert!(Selector::parse("billing").is_err());
    }
}
