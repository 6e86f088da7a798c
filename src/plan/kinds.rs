//! Component kinds: the components, their file texts and the import edges in, a kind per
//! component with the evidence for it out. A declared `kind` wins. Otherwise evidence is
//! collected line by line with small regular expressions (decorators, route registrations,
//! consumers, schedules, `package main`) in the component's own code — vendored and
//! minified files excluded — plus crontab entries that name it and the deployables mapped to
//! it (`deploy::Deployment`: Kubernetes workloads, docker-compose services, Procfile
//! processes, serverless functions). Priority when several kinds show: api, worker, cron,
//! cli. With no entry point, a component imported by others is a library, and one without
//! code is infra; the schema directories are `schema`. Each verdict says how sure it is: a
//! declaration or a deployment file is `high`, several signals in the code `medium`, one
//! signal (or only being imported) `low`.

use super::components::{Component, Layout, Origin};
use super::deploy::{Deployment, is_vendored};
use crate::discover::language_of;
use crate::model::Language;
use anyhow::{Result, bail};
use regex::Regex;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

/// What a component is, from most to least "entry point".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ComponentKind {
    Api,
    Worker,
    Cron,
    Cli,
    Library,
    Infra,
    /// Schema and migration directories: the replacement table is created here, first.
    Schema,
}

impl ComponentKind {
    pub const ALL: [ComponentKind; 7] = [
        ComponentKind::Api,
        ComponentKind::Worker,
        ComponentKind::Cron,
        ComponentKind::Cli,
        ComponentKind::Library,
        ComponentKind::Infra,
        ComponentKind::Schema,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ComponentKind::Api => "api",
            ComponentKind::Worker => "worker",
            ComponentKind::Cron => "cron",
            ComponentKind::Cli => "cli",
            ComponentKind::Library => "library",
            ComponentKind::Infra => "infra",
            ComponentKind::Schema => "schema",
        }
    }

    pub fn parse(s: &str) -> Option<ComponentKind> {
        ComponentKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One observation that supports a kind.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Evidence {
    pub kind: ComponentKind,
    pub file: String,
    /// 0 when the evidence is not a line (e.g. "imported by").
    pub line: u32,
    pub what: String,
    /// From a deployment file (manifest, crontab, Procfile) rather than the code.
    pub deployment: bool,
}

/// How sure a kind is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// Declared, or said by a deployment file, or by the directory's role (schema, infra).
    High,
    /// Several signals in the component's own code.
    Medium,
    /// One signal in the code, or only that others import it.
    Low,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::High => "high",
            Confidence::Medium => "medium",
            Confidence::Low => "low",
        }
    }
}

/// How the kind was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KindSource {
    Declared,
    Inferred,
    /// No evidence for any kind.
    Unknown,
}

/// A component's kind and everything seen that bears on it.
#[derive(Debug, Clone)]
pub struct KindVerdict {
    pub kind: Option<ComponentKind>,
    pub source: KindSource,
    /// Sorted; includes evidence for kinds that lost.
    pub evidence: Vec<Evidence>,
    /// How sure the kind is, and why; `None` without a kind.
    pub confidence: Option<(Confidence, String)>,
}

/// Which files a signal applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Python,
    Go,
    Js,
}

/// (scope, kind, pattern, description). Data, not code: add a framework with one row.
const SIGNALS: &[(Scope, ComponentKind, &str, &str)] = &[
    // --- Python ----------------------------------------------------------------------
    (
        Scope::Python,
        ComponentKind::Api,
        r"^\s*@[\w.]+\.(?:route|get|post|put|patch|delete)\s*\(",
        "HTTP route (Flask/FastAPI)",
    ),
    (
        Scope::Python,
        ComponentKind::Api,
        r"\b(?:FastAPI|APIRouter|Flask)\s*\(",
        "web application object",
    ),
    (
        Scope::Python,
        ComponentKind::Api,
        r"\bgrpc\.(?:aio\.)?server\s*\(",
        "gRPC server",
    ),
    (
        Scope::Python,
        ComponentKind::Api,
        r"^\s*urlpatterns\s*[=+]",
        "Django URL patterns",
    ),
    (
        Scope::Python,
        ComponentKind::Worker,
        r"^\s*@(?:[\w.]+\.)?(?:shared_task|task)\b",
        "Celery task",
    ),
    (
        Scope::Python,
        ComponentKind::Worker,
        r"\b(?:basic_consume|start_consuming|KafkaConsumer)\s*\(",
        "queue consumer",
    ),
    (
        Scope::Python,
        ComponentKind::Worker,
        r"^\s*@dramatiq\.actor\b",
        "Dramatiq actor",
    ),
    (
        Scope::Python,
        ComponentKind::Cron,
        r"\b(?:beat_schedule|CELERYBEAT_SCHEDULE)\b",
        "Celery beat schedule",
    ),
    (
        Scope::Python,
        ComponentKind::Cron,
        r"^\s*@periodic_task\b",
        "Celery periodic task",
    ),
    (
        Scope::Python,
        ComponentKind::Cron,
        r"\b(?:BlockingScheduler|BackgroundScheduler)\s*\(",
        "APScheduler",
    ),
    (
        Scope::Python,
        ComponentKind::Cron,
        r"\bschedule\.every\b",
        "schedule library",
    ),
    (
        Scope::Python,
        ComponentKind::Cli,
        r#"^if\s+__name__\s*==\s*['"]__main__['"]"#,
        "script entry point",
    ),
    (
        Scope::Python,
        ComponentKind::Cli,
        r"\bargparse\.ArgumentParser\s*\(|^\s*@click\.command\b|\btyper\.Typer\s*\(",
        "command-line parser",
    ),
    // --- Go --------------------------------------------------------------------------
    (
        Scope::Go,
        ComponentKind::Api,
        r"\bhttp\.(?:HandleFunc|Handle|ListenAndServe|ListenAndServeTLS)\s*\(",
        "net/http server",
    ),
    (
        Scope::Go,
        ComponentKind::Api,
        r"\b(?:gin\.Default|gin\.New|chi\.NewRouter|echo\.New|mux\.NewRouter|fiber\.New)\s*\(",
        "HTTP router",
    ),
    (
        Scope::Go,
        ComponentKind::Api,
        r#"\.(?:GET|POST|PUT|PATCH|DELETE|Get|Post|Put|Patch|Delete|HandleFunc|Handle)\s*\(\s*"(?:[A-Z]+\s+)?/"#,
        "HTTP route",
    ),
    (
        Scope::Go,
        ComponentKind::Api,
        r"\bgrpc\.NewServer\s*\(",
        "gRPC server",
    ),
    (
        Scope::Go,
        ComponentKind::Worker,
        r"\b(?:sarama\.NewConsumerGroup|kafka\.NewReader|asynq\.NewServer)\s*\(",
        "queue consumer",
    ),
    (
        Scope::Go,
        ComponentKind::Worker,
        r"\.(?:Consume|ReceiveMessage|QueueSubscribe)\s*\(",
        "queue consumer",
    ),
    (
        Scope::Go,
        ComponentKind::Cron,
        r"\bcron\.New\s*\(|\bgocron\.NewScheduler\s*\(",
        "cron scheduler",
    ),
    // --- TypeScript / JavaScript -----------------------------------------------------
    (
        Scope::Js,
        ComponentKind::Api,
        r"\bexpress\s*\(\s*\)|\bfastify\s*\(|\bnew\s+Hono\b",
        "HTTP server",
    ),
    (
        Scope::Js,
        ComponentKind::Api,
        r#"\b(?:app|router|server|api)\.(?:get|post|put|patch|delete|all)\s*\(\s*['"`]/"#,
        "HTTP route",
    ),
    (
        Scope::Js,
        ComponentKind::Api,
        r"\bnew\s+grpc\.Server\s*\(",
        "gRPC server",
    ),
    (
        Scope::Js,
        ComponentKind::Api,
        r"^\s*@Controller\s*\(",
        "Nest controller",
    ),
    (
        Scope::Js,
        ComponentKind::Api,
        r"^export\s+(?:(?:async\s+)?function|const|let)\s+(?:GET|POST|PUT|PATCH|DELETE)\b|^export\s*\{[^}]*\bas\s+(?:GET|POST|PUT|PATCH|DELETE)\b",
        "route handler (Next.js / SvelteKit / Remix)",
    ),
    (
        Scope::Js,
        ComponentKind::Worker,
        r"\bnew\s+Worker\s*\(|\bconsumer\.run\s*\(|\.consume\s*\(|\bReceiveMessageCommand\b",
        "queue consumer",
    ),
    (
        Scope::Js,
        ComponentKind::Cron,
        r"\bcron\.schedule\s*\(|\bnew\s+CronJob\s*\(|^\s*@Cron\s*\(",
        "cron schedule",
    ),
    (
        Scope::Js,
        ComponentKind::Cli,
        r"^#!/usr/bin/env\s+node|\bprocess\.argv\b",
        "command-line entry point",
    ),
];

static COMPILED: LazyLock<Vec<(Scope, ComponentKind, Regex, &'static str)>> = LazyLock::new(|| {
    SIGNALS
        .iter()
        .filter_map(|(s, k, p, d)| Regex::new(p).ok().map(|r| (*s, *k, r, *d)))
        .collect()
});

static CRON_LINE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:@(?:yearly|annually|monthly|weekly|daily|hourly|midnight|reboot)|(?:[\d*/,\-]+\s+){4}[\d*/,\-A-Za-z]+)\s+\S")
        .ok()
});

fn scope_of(path: &str) -> Option<Scope> {
    match language_of(std::path::Path::new(path))? {
        Language::Python => Some(Scope::Python),
        Language::Go => Some(Scope::Go),
        Language::TypeScript | Language::JavaScript => Some(Scope::Js),
        Language::Sql => None,
    }
}

/// Extensions of application code in any language, analysed or not (sorted): a component
/// holding one of these is not infrastructure even when cutover cannot read its language.
pub const CODE_EXTENSIONS: &[&str] = &[
    "c", "cc", "cjs", "clj", "cpp", "cs", "cts", "dart", "ex", "exs", "fs", "go", "h", "hpp",
    "java", "js", "jsx", "kt", "lua", "mjs", "mts", "php", "pl", "py", "rb", "rs", "scala",
    "swift", "ts", "tsx",
];

pub fn is_application_code(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.rsplit_once('.').is_some_and(|(_, ext)| {
        CODE_EXTENSIONS
            .binary_search(&ext.to_ascii_lowercase().as_str())
            .is_ok()
    })
}

fn is_crontab(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name == "crontab"
        || name.ends_with(".crontab")
        || name.ends_with(".cron")
        || path.starts_with("cron.d/")
        || path.contains("/cron.d/")
}

fn is_comment(scope: Scope, line: &str) -> bool {
    let t = line.trim_start();
    match scope {
        Scope::Python => t.starts_with('#'),
        Scope::Go | Scope::Js => t.starts_with("//") || t.starts_with("/*") || t.starts_with('*'),
    }
}

fn snippet(line: &str) -> String {
    let t: String = line.split_whitespace().collect::<Vec<_>>().join(" ");
    if t.chars().count() > 70 {
        let cut: String = t.chars().take(67).collect();
        format!("{cut}...")
    } else {
        t
    }
}

/// Lines longer than this are minified or generated: no evidence.
const MAX_LINE: usize = 400;

/// Evidence found in the files of one component's own code.
fn code_evidence(c: &Component, texts: &BTreeMap<String, String>) -> Vec<Evidence> {
    let mut out = Vec::new();
    for f in c.files.iter().filter(|f| !is_vendored(f)) {
        let Some(text) = texts.get(f) else { continue };
        if let Some(scope) = scope_of(f) {
            let mut package_main = None;
            let mut func_main = false;
            for (i, line) in text.lines().enumerate() {
                // A line this long is generated or minified code, not the component's own.
                if is_comment(scope, line) || line.len() > MAX_LINE {
                    continue;
                }
                let n = i as u32 + 1;
                for (s, k, re, what) in COMPILED.iter() {
                    if *s == scope && re.is_match(line) {
                        out.push(Evidence {
                            kind: *k,
                            file: f.clone(),
                            line: n,
                            what: format!("{what}: {}", snippet(line)),
                            deployment: false,
                        });
                    }
                }
                if scope == Scope::Go {
                    if line.trim() == "package main" {
                        package_main = Some(n);
                    }
                    if line.starts_with("func main()") {
                        func_main = true;
                    }
                }
            }
            if let (Some(n), true) = (package_main, func_main) {
                let under_cmd = f.starts_with("cmd/") || f.contains("/cmd/");
                out.push(Evidence {
                    kind: ComponentKind::Cli,
                    file: f.clone(),
                    line: n,
                    what: if under_cmd {
                        "main package under cmd/".to_string()
                    } else {
                        "main package".to_string()
                    },
                    deployment: false,
                });
            }
        } else if f.ends_with("package.json")
            && serde_json::from_str::<serde_json::Value>(text).is_ok_and(|v| v.get("bin").is_some())
        {
            out.push(Evidence {
                kind: ComponentKind::Cli,
                file: f.clone(),
                line: 0,
                what: "package.json declares `bin`".to_string(),
                deployment: false,
            });
        }
    }
    out
}

/// Crontab entries: (line, text) of each. Kubernetes CronJobs are deployables
/// (`deploy::survey`), matched by what they run rather than by the words they contain.
fn crontab_entries(path: &str, text: &str) -> Vec<(u32, String)> {
    if !is_crontab(path) {
        return Vec::new();
    }
    text.lines()
        .enumerate()
        .filter(|(_, line)| {
            !line.trim_start().starts_with('#')
                && CRON_LINE.as_ref().is_some_and(|r| r.is_match(line))
        })
        .map(|(i, line)| (i as u32 + 1, line.to_string()))
        .collect()
}

/// Whether schedule `entry` names component `c`: its directory path, or its name as a word
/// (`word` is that name's compiled pattern).
fn names_component(entry: &str, c: &Component, word: Option<&Regex>) -> bool {
    if c.origin == Origin::Root {
        return false;
    }
    if !c.dir.is_empty() && entry.contains(&format!("{}/", c.dir)) {
        return true;
    }
    word.is_some_and(|r| r.is_match(entry))
}

/// Crontab entries in a shared directory (deploy/, the root) count for the components they
/// name; elsewhere for their own component.
fn crontab_evidence(
    comps: &[Component],
    texts: &BTreeMap<String, String>,
    evidence: &mut [Vec<Evidence>],
) {
    let words: Vec<Option<Regex>> = comps
        .iter()
        .map(|c| {
            Regex::new(&format!(
                r"(?:^|[^\w-]){}(?:[^\w-]|$)",
                regex::escape(&c.name)
            ))
            .ok()
        })
        .collect();
    for (ci, c) in comps.iter().enumerate() {
        for f in &c.files {
            let Some(text) = texts.get(f) else { continue };
            for (line, entry) in crontab_entries(f, text) {
                let shared = matches!(c.origin, Origin::InfraDir | Origin::Root);
                let targets: Vec<usize> = if shared {
                    (0..comps.len())
                        .filter(|&o| {
                            o != ci && names_component(&entry, &comps[o], words[o].as_ref())
                        })
                        .collect()
                } else {
                    vec![ci]
                };
                for t in targets {
                    evidence[t].push(Evidence {
                        kind: ComponentKind::Cron,
                        file: f.clone(),
                        line,
                        what: format!("crontab entry: {}", snippet(&entry)),
                        deployment: true,
                    });
                }
            }
        }
    }
}

/// The deployables mapped to a component, as evidence of its kind.
fn deployment_evidence(deployment: &Deployment, evidence: &mut [Vec<Evidence>]) {
    for d in &deployment.deployables {
        let (Some(c), Some(kind)) = (d.component, d.kind) else {
            continue;
        };
        let schedule = d
            .schedule
            .as_ref()
            .map(|s| format!(", schedule {s}"))
            .unwrap_or_default();
        evidence[c].push(Evidence {
            kind,
            file: d.file.clone(),
            line: d.line,
            what: format!("{} `{}` ({}{schedule})", d.source, d.name, d.matched),
            deployment: true,
        });
    }
}

/// Evidence that a component is infrastructure or schema, from its place and contents.
fn structural_evidence(c: &Component, imported_by: &BTreeSet<String>) -> Vec<Evidence> {
    let mut ev = Vec::new();
    let mut push = |kind, what: String| {
        ev.push(Evidence {
            kind,
            file: String::new(),
            line: 0,
            what,
            deployment: false,
        })
    };
    if !imported_by.is_empty() {
        let names: Vec<String> = imported_by.iter().cloned().collect();
        push(
            ComponentKind::Library,
            format!("imported by {}", names.join(", ")),
        );
    }
    let has_code = c.files.iter().any(|f| is_application_code(f));
    let sql = c.files.iter().filter(|f| f.ends_with(".sql")).count();
    match c.origin {
        Origin::Schema => push(
            ComponentKind::Schema,
            format!("schema and migration directories: {}", c.dirs.join(", ")),
        ),
        // A top-level infrastructure directory is infra even with helper scripts in it.
        Origin::InfraDir if has_code => push(
            ComponentKind::Infra,
            format!(
                "infrastructure directory {}/ (its scripts do not make it a service)",
                c.dir
            ),
        ),
        Origin::InfraDir => push(
            ComponentKind::Infra,
            format!(
                "infrastructure directory {}/ with no application code",
                c.dir
            ),
        ),
        Origin::Root => {}
        _ if has_code => {}
        _ if sql > 0 => push(
            ComponentKind::Infra,
            format!("no application code; {sql} .sql file(s)"),
        ),
        _ => push(ComponentKind::Infra, "no application code".to_string()),
    }
    ev
}

/// How sure the chosen kind is.
fn confidence(c: &Component, kind: ComponentKind, ev: &[Evidence]) -> (Confidence, String) {
    if matches!(c.origin, Origin::Schema | Origin::InfraDir) {
        return (Confidence::High, "the directory's role".to_string());
    }
    let chosen: Vec<&Evidence> = ev.iter().filter(|e| e.kind == kind).collect();
    if let Some(e) = chosen.iter().find(|e| e.deployment) {
        return (
            Confidence::High,
            format!("a deployment file says so ({})", e.file),
        );
    }
    let in_code = chosen.iter().filter(|e| e.line > 0).count();
    match kind {
        ComponentKind::Library => (
            Confidence::Medium,
            "no entry point, and other components import it".to_string(),
        ),
        ComponentKind::Infra => (Confidence::Medium, "no application code".to_string()),
        _ if in_code >= 2 => (
            Confidence::Medium,
            format!("{in_code} signals in its code, no deployment file"),
        ),
        _ => (
            Confidence::Low,
            "one signal in its code, no deployment file".to_string(),
        ),
    }
}

/// Decide every component's kind. `imported_by[i]` lists the names of components that
/// import component `i`.
pub fn infer(
    layout: &Layout,
    texts: &BTreeMap<String, String>,
    imported_by: &[BTreeSet<String>],
    deployment: &Deployment,
) -> Result<Vec<KindVerdict>> {
    let comps = &layout.components;
    let mut evidence: Vec<Vec<Evidence>> = comps.iter().map(|c| code_evidence(c, texts)).collect();
    crontab_evidence(comps, texts, &mut evidence);
    deployment_evidence(deployment, &mut evidence);

    let mut verdicts = Vec::new();
    for (i, c) in comps.iter().enumerate() {
        let mut ev = std::mem::take(&mut evidence[i]);
        if let Some(declared) = &c.declared_kind {
            let Some(kind) = ComponentKind::parse(declared) else {
                bail!(
                    "cutover.toml: component `{}` has unknown kind `{declared}` (expected one of api, worker, cron, cli, library, infra, schema)",
                    c.name
                );
            };
            ev.sort();
            verdicts.push(KindVerdict {
                kind: Some(kind),
                source: KindSource::Declared,
                evidence: ev,
                confidence: Some((Confidence::High, "declared in cutover.toml".to_string())),
            });
            continue;
        }
        ev.extend(structural_evidence(c, &imported_by[i]));
        ev.sort();
        // What a deployment file says wins over what the code suggests; within each,
        // api > worker > cron > cli > library > infra: the enum order.
        let deployed = ev.iter().filter(|e| e.deployment).map(|e| e.kind).min();
        let kind = match c.origin {
            Origin::Schema => Some(ComponentKind::Schema),
            Origin::InfraDir => Some(ComponentKind::Infra),
            _ => deployed.or_else(|| ev.iter().map(|e| e.kind).min()),
        };
        verdicts.push(KindVerdict {
            kind,
            source: if kind.is_some() {
                KindSource::Inferred
            } else {
                KindSource::Unknown
            },
            confidence: kind.map(|k| confidence(c, k, &ev)),
            evidence: ev,
        });
    }
    Ok(verdicts)
}

#[cfg(test)]
mod tests {
    use super::super::components::detect;
    use super::*;

    #[test]
    fn code_extensions_are_sorted() {
        assert!(CODE_EXTENSIONS.windows(2).all(|w| w[0] < w[1]));
        assert!(is_application_code("src/cart/Program.cs"));
        assert!(!is_application_code("db/001.sql"));
        assert!(!is_application_code("deploy/Dockerfile"));
    }

    #[test]
    fn signals_compile() {
        assert_eq!(COMPILED.len(), SIGNALS.len());
        assert!(CRON_LINE.is_some());
    }

    fn kinds(files: &[(&str, &str)]) -> Vec<(String, Option<ComponentKind>, Vec<String>)> {
        let mut list: Vec<String> = files.iter().map(|(p, _)| p.to_string()).collect();
        list.sort();
        let texts: BTreeMap<String, String> = files
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect();
        let layout = detect(&list, &[]).unwrap();
        let imported = vec![BTreeSet::new(); layout.components.len()];
        let deployment = crate::plan::deploy::survey(&layout, &list, &texts);
        let v = infer(&layout, &texts, &imported, &deployment).unwrap();
        layout
            .components
            .iter()
            .zip(v)
            .map(|(c, v)| {
                (
                    c.name.clone(),
                    v.kind,
                    v.evidence
                        .iter()
                        .map(|e| format!("{} {}:{} {}", e.kind.as_str(), e.file, e.line, e.what))
                        .collect(),
                )
            })
            .collect()
    }

    #[test]
    fn infers_kinds_with_evidence() {
        let k = kinds(&[
            (
                "services/api/app.py",
                "from flask import Flask\napp = Flask(__name__)\n@app.route('/orders')\ndef orders(): pass\n# @app.route('/old')\n",
            ),
            (
                "services/worker/tasks.py",
                "from celery import shared_task\n@shared_task\ndef charge(): pass\n",
            ),
            (
                "jobs/cleanup/run.py",
                "if __name__ == '__main__':\n    main()\n",
            ),
            ("cmd/report/main.go", "package main\n\nfunc main() {}\n"),
            (
                "deploy/crontab",
                "# m h dom mon dow\n15 3 * * * python /app/jobs/cleanup/run.py\n",
            ),
            (
                "deploy/k8s.yaml",
                "kind: Deployment\nmetadata:\n  name: api\n---\napiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: report\n",
            ),
            ("migrations/001.sql", "create table t();\n"),
            (
                "apps/web/app/api/orders/route.ts",
                "export { handler as GET, handler as POST };\n",
            ),
            (
                "apps/site/src/routes/+server.ts",
                "export async function POST({ request }) {}\n",
            ),
        ]);
        let get = |n: &str| k.iter().find(|x| x.0 == n).unwrap();
        assert_eq!(get("api").1, Some(ComponentKind::Api));
        assert_eq!(get("api").2.len(), 2, "{:?}", get("api").2);
        assert_eq!(get("worker").1, Some(ComponentKind::Worker));
        assert_eq!(get("cleanup").1, Some(ComponentKind::Cron));
        assert!(get("cleanup").2.iter().any(|e| e == "cron deploy/crontab:2 crontab entry: 15 3 * * * python /app/jobs/cleanup/run.py"), "{:?}", get("cleanup").2);
        assert!(
            get("cleanup")
                .2
                .iter()
                .any(|e| e.starts_with("cli jobs/cleanup/run.py:1"))
        );
        assert_eq!(get("report").1, Some(ComponentKind::Cron));
        assert!(
            get("report")
                .2
                .iter()
                .any(|e| e == "cron deploy/k8s.yaml:6 Kubernetes CronJob `report` (named report like the component)"),
            "{:?}",
            get("report").2
        );
        assert!(
            get("report")
                .2
                .iter()
                .any(|e| e == "cli cmd/report/main.go:1 main package under cmd/")
        );
        assert_eq!(get("schema").1, Some(ComponentKind::Schema));
        assert_eq!(get("deploy").1, Some(ComponentKind::Infra));
        assert_eq!(get("web").1, Some(ComponentKind::Api));
        assert_eq!(get("site").1, Some(ComponentKind::Api));
    }

    #[test]
    fn declared_kind_must_be_known() {
        let layout = detect(
            &["a/x.py".to_string()],
            &[crate::config::ComponentConfig {
                name: "a".into(),
                paths: vec!["a".into()],
                kind: Some("daemon".into()),
                db_clients: vec![],
            }],
        )
        .unwrap();
        let err = infer(
            &layout,
            &BTreeMap::new(),
            &[BTreeSet::new()],
            &Deployment::default(),
        )
        .unwrap_err();
        assert!(format!("{err}").contains("unknown kind `daemon`"));
    }
}
