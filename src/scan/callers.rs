//! Callers: the call sites of functions that touch a legacy table, one level up, listed
//! apart from the direct findings (kind `caller`). Three kinds of callee:
//! - a named query (`-- name: GetAccount :one` in a `.sql` file, or the constant sqlc
//!   generates from it): calls that name it (`q.GetAccount(ctx, id)`,
//!   `queries.get_user(conn, …)`), matched by name since the object is usually behind an
//!   interface (`Querier`) or built at run time (aiosql);
//! - a `[[wrappers]]` function of the configuration: calls of its name (and qualifier);
//! - a function the engine found writing a legacy table directly: calls the call graph
//!   resolves to it statically (same file, same Go package, imports). Calls it cannot
//!   resolve (interfaces, dependency injection) are not guessed by name: a method called
//!   `Delete` has too many namesakes.
//!
//! One level only: the callers of callers are not followed. A caller inherits each (table,
//! access, operation) of its callee; `via` names the callee as `name @ file:line`.

use crate::config::Config;
use crate::dualwrite::callgraph::{self, CallGraph, FnId};
use crate::model::{Access, Confidence, Finding, Kind, Language, Operation, Site};
use crate::scan::caller_files::{Reach, Wanted, files_calling};
use crate::scan::discover::SourceFile;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

/// What a caller inherits from one callee.
#[derive(Debug, Clone)]
struct Callee {
    /// The name calls spell (`GetAccount`, `get_user`, `charge_customer`).
    name: String,
    /// A `[[wrappers]]` qualifier (`billing` of `billing.charge_customer`).
    qualifier: Option<String>,
    /// How calls are matched to it.
    matching: Matching,
    framework: Option<String>,
    /// `name @ file:line` of each definition (the finding) it stands for.
    via: BTreeSet<String>,
    accesses: BTreeSet<(String, Access, Operation)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Matching {
    /// A named query: any qualified call of the name (`x.GetAccount(…)`).
    QueryName,
    /// A declared wrapper: a call of the name, with the qualifier when the call has one.
    Wrapper,
    /// A function found writing: calls the call graph resolves to it.
    Resolved,
}

/// Named queries are called by name only when the name is specific enough: `list` or
/// `get` would match every list and get of the code base.
const MIN_QUERY_NAME: usize = 5;

/// The callers of the functions behind `findings` (the direct findings of the scan), in
/// the report order.
pub fn callers(config: &Config, files: &[SourceFile], findings: &[Finding]) -> Vec<Finding> {
    let mut by_name: BTreeMap<String, Callee> = BTreeMap::new();
    let mut resolved: BTreeMap<FnId, Callee> = BTreeMap::new();
    collect_named_queries(findings, &mut by_name);
    collect_generated_methods(findings, &mut by_name);
    collect_wrappers(config, &mut by_name);
    collect_writers(findings, &mut resolved);
    if by_name.is_empty() && resolved.is_empty() {
        return Vec::new();
    }
    // `getattr(queries, f"get_user_by_{kind}")(conn, …)` names queries at run time.
    let dynamic = by_name.values().any(|c| c.matching == Matching::QueryName);
    let mut wanted: Vec<Wanted<'_>> = by_name
        .values()
        .map(|c| c.name.as_str())
        .chain(dynamic.then_some("getattr("))
        .map(|name| Wanted {
            name,
            reach: Reach::Anywhere,
        })
        .collect();
    let language_of: BTreeMap<&str, Language> =
        files.iter().map(|f| (f.rel.as_str(), f.language)).collect();
    for (id, callee) in &resolved {
        let Some(&language) = language_of.get(id.0.as_str()) else {
            continue;
        };
        wanted.push(Wanted {
            name: callee.name.as_str(),
            reach: Reach::Writer { id, language },
        });
    }
    let candidates = files_calling(files, &wanted, &config.scan);
    let graph = callgraph::build(&candidates, config.scan.max_file_size);
    let languages: BTreeMap<&str, Language> = candidates
        .iter()
        .map(|f| (f.rel.as_str(), f.language))
        .collect();
    let texts = CallerTexts::new(&graph);
    let ambiguous = defined_elsewhere(&graph, &by_name);
    let mut out: BTreeMap<(String, u32, String, Access, Operation), Finding> = BTreeMap::new();
    for ((file, function), calls) in &graph.calls {
        let Some(&language) = languages.get(file.as_str()) else {
            continue;
        };
        let me: FnId = (file.clone(), function.clone());
        let named = NamedCallees {
            by_name: &by_name,
            ambiguous: &ambiguous,
            query_objects: texts.query_objects(file),
        };
        for call in calls {
            let mut callees = matching_callees(call, &me, &named, &resolved);
            if call.callee == "getattr" {
                let line = texts.line(file, call.line).unwrap_or_default();
                callees.extend(queries_named_at_run_time(&line, &by_name));
            }
            for callee in callees {
                let site = Site {
                    file: file.clone(),
                    line: call.line,
                    column: 1,
                    language,
                    function: function.clone(),
                    evidence: texts
                        .line(file, call.line)
                        .unwrap_or_else(|| call.callee.clone()),
                    sink: Some(call.callee.clone()),
                    framework: callee.framework.clone(),
                };
                for (table, access, operation) in &callee.accesses {
                    let key = (file.clone(), call.line, table.clone(), *access, *operation);
                    let f = out.entry(key).or_insert_with(|| {
                        site.finding(
                            table.clone(),
                            *access,
                            *operation,
                            Kind::Caller,
                            Confidence::Inferred,
                        )
                    });
                    for v in &callee.via {
                        if !f.via.contains(v) {
                            f.via.push(v.clone());
                        }
                    }
                    f.via.sort();
                }
            }
        }
    }
    let mut list: Vec<Finding> = out.into_values().collect();
    crate::model::sort_findings(&mut list);
    list
}

/// The callees matched by name, and what tells a query object apart in the calling file.
struct NamedCallees<'c> {
    by_name: &'c BTreeMap<String, Callee>,
    /// Query names the code also defines (a wrapper of the same name).
    ambiguous: &'c BTreeSet<String>,
    /// The names the calling file declares with sqlc's query types.
    query_objects: Option<&'c BTreeSet<String>>,
}

/// The callees a call reaches: by resolution first, then by name.
fn matching_callees<'c>(
    call: &callgraph::Call,
    me: &FnId,
    named: &NamedCallees<'c>,
    resolved: &'c BTreeMap<FnId, Callee>,
) -> Vec<&'c Callee> {
    let NamedCallees {
        by_name,
        ambiguous,
        query_objects,
    } = *named;
    let mut found: Vec<&Callee> = call
        .targets
        .iter()
        .filter(|t| *t != me)
        .filter_map(|t| resolved.get(t))
        .collect();
    let (qualifier, name) = match call.callee.rsplit_once('.') {
        Some((q, n)) => (Some(last_segment(q)), n),
        None => (None, call.callee.as_str()),
    };
    if let Some(c) = by_name.get(name) {
        let matches = match c.matching {
            Matching::QueryName => qualifier.is_some(),
            // `billing.charge_customer(…)`, `charge_customer(…)` after an import, and
            // `self.charge_customer(…)` inside its own class.
            Matching::Wrapper => match (&c.qualifier, qualifier) {
                (Some(want), Some(got)) => {
                    want.eq_ignore_ascii_case(got) || matches!(got, "self" | "this" | "cls")
                }
                _ => true,
            },
            Matching::Resolved => false,
        };
        // A query name the code also defines (a repository method `get_user` wrapping
        // `queries.get_user`) is called on the query object only when the qualifier says
        // so (`queries`, `q`, `querier`, or a name the file declares as sqlc's `Queries`
        // or `Querier`: `repo *db.Queries`): the other calls reach the wrapper.
        let plain = c.matching != Matching::QueryName
            || !ambiguous.contains(name)
            || qualifier.is_some_and(|q| {
                is_query_object(q) || query_objects.is_some_and(|o| o.contains(q))
            });
        if matches && plain {
            found.push(c);
        }
    }
    found
}

/// `getattr(queries, "get_user")` and `getattr(queries, f"get_user_by_{kind}")`: the named
/// queries a name computed at run time may be (every query that starts with the literal
/// prefix), on an object named like a query set.
static GETATTR_QUERY: LazyLock<Option<regex::Regex>> = LazyLock::new(|| {
    regex::Regex::new(r#"getattr\(\s*([\w.]+)\s*,\s*f?["']([A-Za-z_]\w*)(\{)?"#).ok()
});

fn queries_named_at_run_time<'c>(
    line: &str,
    by_name: &'c BTreeMap<String, Callee>,
) -> Vec<&'c Callee> {
    let Some(c) = GETATTR_QUERY.as_ref().and_then(|re| re.captures(line)) else {
        return Vec::new();
    };
    let (Some(object), Some(name)) = (c.get(1), c.get(2)) else {
        return Vec::new();
    };
    if !is_query_object(last_segment(object.as_str())) {
        return Vec::new();
    }
    let prefix = c.get(3).is_some();
    by_name
        .values()
        .filter(|q| q.matching == Matching::QueryName)
        .filter(|q| {
            if prefix {
                q.name.starts_with(name.as_str())
            } else {
                q.name == name.as_str()
            }
        })
        .collect()
}

/// Named queries: `.sql` statements under a name marker, and sqlc's generated constants
/// (`const getAccount = "-- name: GetAccount :one …"`).
fn collect_named_queries(findings: &[Finding], by_name: &mut BTreeMap<String, Callee>) {
    for f in findings {
        let named = match (f.kind, f.language) {
            (Kind::SqlFile, _) => f
                .framework
                .as_deref()
                .filter(|fw| matches!(*fw, "sqlc" | "yesql" | "pugsql"))
                .and(f.function.clone()),
            (Kind::RawSql, Language::Go) => sqlc_generated_name(&f.evidence),
            _ => None,
        };
        let Some(name) = named else { continue };
        if name.len() < MIN_QUERY_NAME || f.access == Access::Unknown {
            continue;
        }
        let c = by_name.entry(name.clone()).or_insert_with(|| Callee {
            name: name.clone(),
            qualifier: None,
            matching: Matching::QueryName,
            framework: f.framework.clone(),
            via: BTreeSet::new(),
            accesses: BTreeSet::new(),
        });
        c.via.insert(format!("{name} @ {}:{}", f.file, f.line));
        c.accesses.insert((f.table.clone(), f.access, f.operation));
    }
}

/// sqlc's generated methods (`func (q *Queries) GetAccount`, whose constant the engine
/// already attributes to the method) are their query: same name as a sqlc query of a
/// `.sql` file, in Go.
fn collect_generated_methods(findings: &[Finding], by_name: &mut BTreeMap<String, Callee>) {
    for f in findings {
        if f.language != Language::Go || f.kind != Kind::RawSql || f.access == Access::Unknown {
            continue;
        }
        let Some(name) = f.function.as_deref().map(last_segment) else {
            continue;
        };
        let Some(c) = by_name.get_mut(name) else {
            continue;
        };
        if c.framework.as_deref() == Some("sqlc") {
            c.via.insert(format!(
                "{} @ {}:{}",
                f.function.as_deref().unwrap_or(name),
                f.file,
                f.line
            ));
            c.accesses.insert((f.table.clone(), f.access, f.operation));
        }
    }
}

/// The query name at the head of a sqlc-generated constant's SQL (`-- name: GetAccount
/// :one SELECT …`, as the evidence shows it).
pub fn sqlc_generated_name(evidence: &str) -> Option<String> {
    let rest = evidence.trim_start().strip_prefix("-- name:")?.trim_start();
    let name: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    let after = rest[name.len()..].trim_start();
    (!name.is_empty() && after.starts_with(':')).then_some(name)
}

/// `[[wrappers]]`: what the configuration says each one touches.
fn collect_wrappers(config: &Config, by_name: &mut BTreeMap<String, Callee>) {
    for w in &config.wrappers {
        let (qualifier, name) = match w.function.rsplit_once('.') {
            Some((q, n)) => (Some(last_segment(q).to_string()), n.to_string()),
            None => (None, w.function.clone()),
        };
        let c = by_name.entry(name.clone()).or_insert_with(|| Callee {
            name: name.clone(),
            qualifier,
            matching: Matching::Wrapper,
            framework: None,
            via: BTreeSet::new(),
            accesses: BTreeSet::new(),
        });
        c.matching = Matching::Wrapper;
        c.via
            .insert(format!("{} @ cutover.toml [[wrappers]]", w.function));
        let tables = |names: &[String], access: Access| {
            names
                .iter()
                .map(|t| {
                    let display = config
                        .tables
                        .resolve_name(t)
                        .map_or_else(|| t.trim().to_string(), |l| l.display.clone());
                    (display, access, Operation::Call)
                })
                .collect::<Vec<_>>()
        };
        c.accesses.extend(tables(&w.writes, Access::Write));
        c.accesses.extend(tables(&w.reads, Access::Read));
    }
}

/// Functions found writing a legacy table directly, by where they are defined.
fn collect_writers(findings: &[Finding], resolved: &mut BTreeMap<FnId, Callee>) {
    for f in findings {
        if f.access != Access::Write
            || matches!(
                f.kind,
                Kind::SqlFile | Kind::ModelDeclaration | Kind::DbObject
            )
        {
            continue;
        }
        let Some(function) = &f.function else {
            continue;
        };
        if is_test_function(function, f.language) {
            continue;
        }
        let c = resolved
            .entry((f.file.clone(), Some(function.clone())))
            .or_insert_with(|| Callee {
                name: last_segment(function).to_string(),
                qualifier: None,
                matching: Matching::Resolved,
                framework: f.framework.clone(),
                via: BTreeSet::new(),
                accesses: BTreeSet::new(),
            });
        c.via.insert(format!("{function} @ {}:{}", f.file, f.line));
        c.accesses.insert((f.table.clone(), f.access, f.operation));
    }
}

/// A test (`test_…` for pytest and unittest, `Test…`/`Benchmark…` in Go) is run by its
/// runner, never called by the code: its writes have no callers to list.
fn is_test_function(function: &str, language: Language) -> bool {
    let name = last_segment(function);
    match language {
        Language::Python => name.starts_with("test_"),
        Language::Go => ["Test", "Benchmark", "Fuzz"].iter().any(|p| {
            name.strip_prefix(p).is_some_and(|rest| {
                rest.is_empty() || rest.starts_with(|c: char| c.is_uppercase() || c == '_')
            })
        }),
        _ => false,
    }
}

/// Query names that a function of the code also has, outside the query's own files (sqlc's
/// generated method is the query itself).
fn defined_elsewhere(graph: &CallGraph, by_name: &BTreeMap<String, Callee>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (file, function) in graph.defined.keys() {
        let Some(name) = function.as_deref().map(last_segment) else {
            continue;
        };
        let Some(c) = by_name.get(name) else { continue };
        let own = c.via.iter().any(|v| {
            v.rsplit_once(" @ ")
                .and_then(|(_, at)| at.rsplit_once(':'))
                .is_some_and(|(f, _)| f == file)
        });
        if c.matching == Matching::QueryName && !own {
            out.insert(name.to_string());
        }
    }
    out
}

/// The object a named query is called on, by its name: `queries`, `q`, `querier`.
fn is_query_object(qualifier: &str) -> bool {
    qualifier == "q" || qualifier.to_ascii_lowercase().contains("quer")
}

fn last_segment(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

/// The lines of the files with calls, for evidence, read once each.
struct CallerTexts {
    texts: BTreeMap<String, String>,
    /// Per file, the names it declares with sqlc's query types.
    query_objects: BTreeMap<String, BTreeSet<String>>,
}

/// The names `text` declares with sqlc's query types: struct fields, parameters and
/// variables typed `Queries`/`Querier` (`repo *repo.Queries`, `store db.Querier`).
fn query_objects_in(text: &str) -> BTreeSet<String> {
    static TYPED: LazyLock<Option<regex::Regex>> = LazyLock::new(|| {
        regex::Regex::new(r"(?-u)\b([A-Za-z_]\w*)[ \t]+\*?(?:[A-Za-z_]\w*\.)?(?:Queries|Querier)\b")
            .ok()
    });
    let Some(re) = TYPED.as_ref().filter(|_| text.contains("Quer")) else {
        return BTreeSet::new();
    };
    re.captures_iter(text)
        .filter_map(|c| c.get(1))
        .map(|m| m.as_str().to_string())
        .collect()
}

impl CallerTexts {
    fn new(graph: &CallGraph) -> CallerTexts {
        let files: BTreeSet<&String> = graph.calls.keys().map(|(f, _)| f).collect();
        let texts = files
            .into_iter()
            .filter_map(|f| {
                let path = graph.paths.get(f)?;
                let bytes = std::fs::read(path).ok()?;
                let decoded = crate::extract::decode(&bytes).ok()?;
                Some((f.clone(), decoded.text.to_string()))
            })
            .collect::<BTreeMap<String, String>>();
        let query_objects = texts
            .iter()
            .map(|(f, text)| (f.clone(), query_objects_in(text)))
            .filter(|(_, names)| !names.is_empty())
            .collect();
        CallerTexts {
            texts,
            query_objects,
        }
    }

    /// The names `file` declares with sqlc's query types (see `query_objects_in`).
    fn query_objects(&self, file: &str) -> Option<&BTreeSet<String>> {
        self.query_objects.get(file)
    }

    fn line(&self, file: &str, line: u32) -> Option<String> {
        let text = self.texts.get(file)?;
        let l = text.lines().nth(line.checked_sub(1)? as usize)?;
        Some(crate::extract::evidence(l))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlc_constant_names() {
        assert_eq!(
            sqlc_generated_name("-- name: GetAccount :one SELECT id FROM accounts"),
            Some("GetAccount".to_string())
        );
        assert_eq!(sqlc_generated_name("-- a comment SELECT 1"), None);
        assert_eq!(sqlc_generated_name("-- name: x SELECT 1"), None);
    }

    #[test]
    fn query_objects_are_the_names_typed_with_sqlc_query_types() {
        let text = "type svc struct {\n\trepo *repo.Queries\n}\n\
                    func New(store db.Querier, q *Queries) {}\n\
                    var cache *lru.Cache\n";
        let names: Vec<String> = query_objects_in(text).into_iter().collect();
        assert_eq!(names, ["q", "repo", "store"]);
        assert!(query_objects_in("var cache *lru.Cache\n").is_empty());
    }
}
