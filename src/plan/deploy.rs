//! How the repository is deployed: the file list and the texts plan reads in; the
//! directories that are components because of how they ship (Go `main` packages, schema and
//! migration directories), the deployables the deployment files declare (docker-compose
//! services, Kubernetes workloads, Procfile processes, serverless functions), and the build
//! edges of Dockerfiles (the directories a Dockerfile copies from outside its own tree, the
//! image it overlays) out. A deployable is mapped to the component whose code it runs, with
//! the reason; one that runs no code of this repository (a database image, another system's
//! Helm chart) maps to none and gives no component a kind.

use super::components::{Layout, Origin};
use super::imports::normalize;
use super::kinds::ComponentKind;
use super::yaml::{self, Node};
use std::collections::{BTreeMap, BTreeSet};

/// Directory names that hold schema changes wherever they are (sorted).
pub const MIGRATION_DIRS: &[&str] = &["migrate", "migration", "migrations"];

/// Directory names that hold schema when they hold `.sql` files (sorted).
pub const SCHEMA_DIRS: &[&str] = &["ddl", "schema", "schemas", "sql"];

/// Path parts that mark code that is not the repository's own (sorted).
pub const VENDORED: &[&str] = &[
    "bower_components",
    "dist",
    "node_modules",
    "third_party",
    "vendor",
];

/// Whether a path is vendored or minified code: not evidence of what a component is.
pub fn is_vendored(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.contains(".min.")
        || name.ends_with(".bundle.js")
        || path
            .split('/')
            .rev()
            .skip(1)
            .any(|d| VENDORED.binary_search(&d).is_ok())
}

fn parent(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Directories of Go `main` packages: a `.go` file (not a test) with `package main` and
/// `func main()`.
pub fn go_main_dirs(files: &[String], texts: &BTreeMap<String, String>) -> BTreeSet<String> {
    files
        .iter()
        .filter(|f| f.ends_with(".go") && !f.ends_with("_test.go") && !is_vendored(f))
        .filter(|f| f.split('/').all(|p| p != "testdata"))
        .filter(|f| {
            texts.get(*f).is_some_and(|t| {
                t.lines().any(|l| l.trim() == "package main")
                    && t.lines().any(|l| l.starts_with("func main()"))
            })
        })
        .map(|f| parent(f).to_string())
        .collect()
}

/// Schema and migration directories, outermost only: any `migrations/` or `migrate/`,
/// Alembic's directory, a `schema/`, `schemas/`, `sql/` or `ddl/` that holds `.sql` files,
/// and a top-level `db/` unless it holds application code outside such directories (sqlc's
/// generated store, a data-access package: code, not schema). A directory of `.sql` files
/// named otherwise is left where it is: such files are as often a job's statements as they
/// are schema.
pub fn schema_dirs(files: &[String]) -> BTreeSet<String> {
    let db_has_code = files.iter().any(|f| {
        f.starts_with("db/")
            && super::kinds::is_application_code(f)
            && !f
                .split('/')
                .any(|d| MIGRATION_DIRS.binary_search(&d).is_ok())
    });
    let mut found = BTreeSet::new();
    for f in files {
        if is_vendored(f) {
            continue;
        }
        let parts: Vec<&str> = f.split('/').collect();
        let sql = f.ends_with(".sql");
        for (k, d) in parts[..parts.len() - 1].iter().enumerate() {
            let dir = parts[..=k].join("/");
            let alembic = *d == "alembic" && parts.get(k + 1) == Some(&"versions");
            let schema = SCHEMA_DIRS.binary_search(d).is_ok() && sql;
            if MIGRATION_DIRS.binary_search(d).is_ok()
                || alembic
                || schema
                || (k == 0 && *d == "db" && !db_has_code)
            {
                found.insert(dir);
                break;
            }
        }
    }
    let all = found.clone();
    found
        .into_iter()
        .filter(|d| {
            !all.iter()
                .any(|o| o != d && d.starts_with(&format!("{o}/")))
        })
        .collect()
}

/// A unit the deployment files run.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Deployable {
    pub file: String,
    pub line: u32,
    /// `docker-compose service`, `Kubernetes CronJob`, `Procfile process`…
    pub source: String,
    pub name: String,
    pub image: Option<String>,
    pub schedule: Option<String>,
    /// The component whose code it runs, and how that was decided.
    pub component: Option<usize>,
    pub matched: String,
    /// The kind it makes its component, if it says.
    pub kind: Option<ComponentKind>,
}

/// A Dockerfile that builds code from another component: it copies a directory from outside
/// its own tree, or starts from the image another component builds.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct BuildEdge {
    pub from: usize,
    pub to: usize,
    pub file: String,
    pub line: u32,
    /// `copies api/`, `overlays acme/api`.
    pub what: String,
}

/// What the deployment files say.
#[derive(Debug, Default)]
pub struct Deployment {
    pub deployables: Vec<Deployable>,
    pub builds: Vec<BuildEdge>,
    /// Component → what builds or ships it besides deployables (e.g. "built by x/Dockerfile").
    pub notes: Vec<String>,
}

/// Read every deployment file.
pub fn survey(layout: &Layout, files: &[String], texts: &BTreeMap<String, String>) -> Deployment {
    let mut out = Deployment::default();
    let mut contexts: BTreeMap<String, String> = BTreeMap::new();
    let mut images: BTreeMap<String, usize> = BTreeMap::new();
    for (f, text) in texts {
        if is_compose(f) {
            compose(layout, f, text, &mut out, &mut contexts, &mut images);
        }
    }
    for (f, text) in texts {
        if file_name(f) == "Procfile" {
            procfile(layout, f, text, &mut out);
        } else if matches!(file_name(f), "serverless.yml" | "serverless.yaml") {
            serverless(layout, files, f, text, &mut out);
        } else if (f.ends_with(".yaml") || f.ends_with(".yml")) && !is_compose(f) {
            kubernetes(layout, files, texts, f, text, &images, &mut out);
        }
    }
    for (f, text) in texts {
        if is_dockerfile(f) {
            dockerfile(layout, files, f, text, &contexts, &images, &mut out);
        }
    }
    out.deployables.sort();
    out.builds.sort();
    // One edge per pair, saying everything that was copied.
    let mut merged: Vec<BuildEdge> = Vec::new();
    for b in std::mem::take(&mut out.builds) {
        match merged.last_mut() {
            Some(last) if last.from == b.from && last.to == b.to => {
                if !last.what.contains(&b.what) {
                    last.what = format!("{}, {}", last.what, b.what);
                }
            }
            _ => merged.push(b),
        }
    }
    out.builds = merged;
    out.notes.sort();
    out.notes.dedup();
    out
}

pub fn is_dockerfile(path: &str) -> bool {
    let name = file_name(path);
    name == "Dockerfile" || name.starts_with("Dockerfile.") || name.ends_with(".Dockerfile")
}

fn is_compose(path: &str) -> bool {
    let name = file_name(path);
    (name.starts_with("docker-compose") || name.starts_with("compose"))
        && (name.ends_with(".yml") || name.ends_with(".yaml"))
}

/// `registry.example.com/acme/api:1.2@sha256:…` → `api`.
fn image_base(image: &str) -> &str {
    let no_digest = image.split('@').next().unwrap_or(image);
    let last = no_digest.rsplit('/').next().unwrap_or(no_digest);
    last.split(':').next().unwrap_or(last)
}

fn join(dir: &str, rest: &str) -> String {
    if dir.is_empty() {
        rest.to_string()
    } else {
        format!("{dir}/{rest}")
    }
}

/// A component named like this image (`acme/billing:2` → `billing`), only for images with
/// an organisation or registry part: `postgres:16` is nobody's code.
fn component_by_image(
    layout: &Layout,
    image: &str,
    images: &BTreeMap<String, usize>,
) -> Option<(usize, String)> {
    if let Some(&c) = images.get(image) {
        return Some((c, format!("image {image}, which docker-compose builds")));
    }
    if !image.contains('/') || image.contains("{{") {
        return None;
    }
    let base = image_base(image);
    let c = layout.index_of(base)?;
    (layout.components[c].origin != Origin::Root)
        .then(|| (c, format!("image {image} is named like the component")))
}

/// A component whose directory or Go binary a command names.
fn component_by_command(layout: &Layout, command: &str) -> Option<(usize, String)> {
    for token in command.split(|c: char| c.is_whitespace() || c == ',' || c == '"' || c == '\'') {
        let t = token.trim_start_matches("./").trim_start_matches('/');
        if t.is_empty() {
            continue;
        }
        for (i, c) in layout.components.iter().enumerate() {
            if c.dir.is_empty() || matches!(c.origin, Origin::Root) {
                continue;
            }
            let as_path = t.replace('.', "/");
            let by_path = t == c.dir
                || t.starts_with(&format!("{}/", c.dir))
                || t.contains(&format!("/{}/", c.dir))
                || as_path.starts_with(&format!("{}/", c.dir));
            let binary = c.origin == Origin::GoMain && file_name(t) == c.name;
            if by_path || binary {
                return Some((i, format!("command names {token}")));
            }
        }
    }
    None
}

fn compose(
    layout: &Layout,
    file: &str,
    text: &str,
    out: &mut Deployment,
    contexts: &mut BTreeMap<String, String>,
    images: &mut BTreeMap<String, usize>,
) {
    let dir = parent(file);
    for (_, doc) in yaml::documents(text) {
        let Some(services) = doc.get("services") else {
            continue;
        };
        for (name, line, svc) in services.entries() {
            let image = svc.get("image").and_then(Node::str).map(str::to_string);
            let built = svc.get("build").and_then(|b| {
                let (context, dockerfile) = match b {
                    Node::Scalar(c) => (c.as_str(), "Dockerfile"),
                    _ => (
                        b.get("context").and_then(Node::str).unwrap_or("."),
                        b.get("dockerfile")
                            .and_then(Node::str)
                            .unwrap_or("Dockerfile"),
                    ),
                };
                let context = normalize(&join(dir, context))?;
                let path = normalize(&join(&context, dockerfile))?;
                contexts.insert(path.clone(), context);
                Some(path)
            });
            let command = svc.get("command").map(Node::text).unwrap_or_default();
            let by_command = component_by_command(layout, &command);
            let (component, matched) = match (&built, by_command) {
                // One build that holds several binaries: the command says which runs.
                (Some(df), Some((c, why))) => (Some(c), format!("builds {df}; {why}")),
                (Some(df), None) => match layout.component_of(df) {
                    Some(c) => (Some(c), format!("builds {df}")),
                    None => (None, format!("builds {df}, which is not in the repository")),
                },
                (None, _) => match image
                    .as_deref()
                    .and_then(|i| component_by_image(layout, i, images))
                {
                    Some((c, why)) => (Some(c), why),
                    None => (None, "runs an image built elsewhere".to_string()),
                },
            };
            if let (Some(c), Some(i)) = (component, &image)
                && built.is_some()
            {
                images.insert(i.clone(), c);
            }
            let kind = if svc.get("ports").is_some() || svc.get("expose").is_some() {
                Some(ComponentKind::Api)
            } else if ["worker", "celery", "consume", "queue"]
                .iter()
                .any(|w| command.contains(w))
            {
                Some(ComponentKind::Worker)
            } else {
                None
            };
            out.deployables.push(Deployable {
                file: file.to_string(),
                line: *line,
                source: "docker-compose service".to_string(),
                name: name.clone(),
                image,
                schedule: None,
                component,
                matched,
                kind: component.and(kind),
            });
        }
    }
}

/// The chart a manifest belongs to (its nearest directory with `Chart.yaml`), if any.
fn chart_of<'a>(files: &'a [String], path: &str) -> Option<&'a str> {
    let mut dir = parent(path);
    loop {
        let chart = join(dir, "Chart.yaml");
        if let Ok(i) = files.binary_search(&chart) {
            return Some(parent(&files[i]));
        }
        if dir.is_empty() {
            return None;
        }
        dir = parent(dir);
    }
}

const WORKLOADS: &[&str] = &["CronJob", "DaemonSet", "Deployment", "Job", "StatefulSet"];

/// The Helm chart a manifest belongs to: (directory, chart name).
fn helm_chart(
    files: &[String],
    texts: &BTreeMap<String, String>,
    file: &str,
) -> Option<(String, String)> {
    chart_of(files, file).map(|dir| {
        let meta = texts.get(&join(dir, "Chart.yaml"));
        let name = meta
            .and_then(|t| yaml::documents(t).into_iter().next())
            .and_then(|(_, d)| d.get("name").and_then(Node::str).map(str::to_string))
            .unwrap_or_else(|| file_name(dir).to_string());
        (dir.to_string(), name)
    })
}

/// What a workload's containers say: the component one of them runs (by command, then by
/// image), the first image, and whether any container declares ports.
fn containers_of(
    layout: &Layout,
    containers: &[Node],
    images: &BTreeMap<String, usize>,
) -> (Option<(usize, String)>, Option<String>, bool) {
    let mut image = None;
    let mut found = None;
    let mut ports = false;
    for c in containers {
        let img = c.get("image").and_then(Node::str).map(str::to_string);
        ports |= c.get("ports").is_some();
        let command = format!(
            "{} {}",
            c.get("command").map(Node::text).unwrap_or_default(),
            c.get("args").map(Node::text).unwrap_or_default()
        );
        image = image.or(img.clone());
        found = found
            .or_else(|| component_by_command(layout, &command))
            .or_else(|| {
                img.as_deref()
                    .and_then(|i| component_by_image(layout, i, images))
            });
    }
    (found, image, ports)
}

fn kubernetes(
    layout: &Layout,
    files: &[String],
    texts: &BTreeMap<String, String>,
    file: &str,
    text: &str,
    images: &BTreeMap<String, usize>,
    out: &mut Deployment,
) {
    let chart = helm_chart(files, texts, file);
    // Another system's chart: its names say nothing about this repository's code.
    let foreign_chart = chart.as_ref().filter(|(_, n)| layout.index_of(n).is_none());
    for (start, doc) in yaml::documents(text) {
        let Some(kind) = doc.get("kind").and_then(Node::str) else {
            continue;
        };
        if WORKLOADS.binary_search(&kind).is_err() {
            continue;
        }
        let name = doc
            .at(&["metadata", "name"])
            .and_then(Node::str)
            .unwrap_or("")
            .to_string();
        let pod = if kind == "CronJob" {
            doc.at(&["spec", "jobTemplate", "spec", "template", "spec"])
        } else {
            doc.at(&["spec", "template", "spec"])
        };
        let containers = pod
            .and_then(|p| p.get("containers"))
            .map(Node::items)
            .unwrap_or(&[]);
        let (mut found, image, ports) = containers_of(layout, containers, images);
        if found.is_none() && foreign_chart.is_none() && !name.contains("{{") {
            found = layout
                .index_of(&name)
                .filter(|&c| layout.components[c].origin != Origin::Root)
                .map(|c| (c, format!("named {name} like the component")));
        }
        let (component, matched) = match (found, foreign_chart) {
            (Some((c, why)), _) => (Some(c), why),
            (None, Some((dir, chart))) => (
                None,
                format!(
                    "part of the Helm chart {chart} ({dir}/), which runs no code of this repository"
                ),
            ),
            (None, None) => (None, "runs no code of this repository".to_string()),
        };
        // A long-running workload without ports may still serve: it says nothing then.
        let k = match kind {
            "CronJob" => Some(ComponentKind::Cron),
            "Job" => Some(ComponentKind::Cli),
            _ if ports => Some(ComponentKind::Api),
            _ => None,
        };
        out.deployables.push(Deployable {
            file: file.to_string(),
            line: doc.line_of("kind").unwrap_or(start),
            source: format!("Kubernetes {kind}"),
            name,
            image,
            schedule: doc
                .at(&["spec", "schedule"])
                .and_then(Node::str)
                .map(str::to_string),
            component,
            matched,
            kind: component.and(k),
        });
    }
}

fn procfile(layout: &Layout, file: &str, text: &str, out: &mut Deployment) {
    let own = layout
        .component_of(file)
        .filter(|&c| layout.components[c].origin != Origin::Root);
    for (i, line) in text.lines().enumerate() {
        let Some((name, command)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim();
        if name.is_empty() || name.starts_with('#') || name.contains(' ') {
            continue;
        }
        let (component, matched) = match component_by_command(layout, command) {
            Some((c, why)) => (Some(c), why),
            None => match own {
                Some(c) => (Some(c), "the Procfile's own component".to_string()),
                None => (None, "names no component's code".to_string()),
            },
        };
        let kind = match name {
            "web" => Some(ComponentKind::Api),
            "worker" => Some(ComponentKind::Worker),
            "clock" | "beat" | "scheduler" => Some(ComponentKind::Cron),
            _ => None,
        };
        out.deployables.push(Deployable {
            file: file.to_string(),
            line: i as u32 + 1,
            source: "Procfile process".to_string(),
            name: name.to_string(),
            image: None,
            schedule: None,
            component,
            matched,
            kind: component.and(kind),
        });
    }
}

fn serverless(layout: &Layout, files: &[String], file: &str, text: &str, out: &mut Deployment) {
    let dir = parent(file);
    for (_, doc) in yaml::documents(text) {
        let Some(functions) = doc.get("functions") else {
            continue;
        };
        for (name, line, f) in functions.entries() {
            let handler = f.get("handler").and_then(Node::str).unwrap_or("");
            let module = handler.rsplit_once('.').map_or(handler, |(m, _)| m);
            let path = normalize(&join(dir, module)).unwrap_or_default();
            let exists = files.iter().any(|x| x.starts_with(&format!("{path}.")));
            let component = exists.then(|| layout.component_of(&path)).flatten();
            let events = f.get("events").map(Node::text).unwrap_or_default();
            let schedule = f.get("events").and_then(|e| {
                e.items()
                    .iter()
                    .find_map(|ev| ev.get("schedule").map(Node::text))
            });
            let kind = if schedule.is_some() {
                ComponentKind::Cron
            } else if events.contains("http") {
                ComponentKind::Api
            } else if ["sqs", "sns", "stream", "kafka"]
                .iter()
                .any(|w| events.contains(w))
            {
                ComponentKind::Worker
            } else {
                ComponentKind::Cli
            };
            out.deployables.push(Deployable {
                file: file.to_string(),
                line: *line,
                source: "serverless function".to_string(),
                name: name.clone(),
                image: None,
                schedule,
                component,
                matched: if component.is_some() {
                    format!("handler {handler}")
                } else {
                    format!("handler {handler} is not in the repository")
                },
                kind: component.map(|_| kind),
            });
        }
    }
}

/// Dockerfile instructions with their first line, continuations joined.
fn instructions(text: &str) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut start = 0;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if current.is_empty() && (t.is_empty() || t.starts_with('#')) {
            continue;
        }
        if current.is_empty() {
            start = i as u32 + 1;
        }
        match t.strip_suffix('\\') {
            Some(head) => {
                current.push_str(head);
                current.push(' ');
            }
            None => {
                current.push_str(t);
                out.push((start, std::mem::take(&mut current)));
            }
        }
    }
    out
}

/// The sources of a `COPY`/`ADD` (not `--from` another stage), or `None`.
fn copy_sources(args: &str) -> Option<Vec<String>> {
    let args = args.trim();
    let words: Vec<String> = if args.starts_with('[') {
        serde_json::from_str(args).ok()?
    } else {
        args.split_whitespace().map(str::to_string).collect()
    };
    if words.iter().any(|w| w.starts_with("--from")) {
        return None;
    }
    let plain: Vec<String> = words.into_iter().filter(|w| !w.starts_with("--")).collect();
    let (_, sources) = plain.split_last()?;
    Some(sources.to_vec())
}

/// One Dockerfile being read: where it is, whose it is, where its build context is.
struct Build<'a> {
    layout: &'a Layout,
    files: &'a [String],
    file: &'a str,
    own: usize,
    /// The build context docker-compose gives it, if any.
    context: Option<&'a str>,
}

impl Build<'_> {
    fn edge(&self, to: usize, line: u32, what: String) -> BuildEdge {
        BuildEdge {
            from: self.own,
            to,
            file: self.file.to_string(),
            line,
            what,
        }
    }

    fn exists(&self, p: &str) -> bool {
        p.is_empty()
            || self
                .files
                .iter()
                .any(|f| f == p || f.starts_with(&format!("{p}/")))
    }

    /// `FROM image [AS stage]`: an image another component builds is overlaid.
    fn from(
        &self,
        args: &str,
        line: u32,
        stages: &mut BTreeSet<String>,
        images: &BTreeMap<String, usize>,
        out: &mut Deployment,
    ) {
        let words: Vec<&str> = args
            .split_whitespace()
            .filter(|w| !w.starts_with("--"))
            .collect();
        if let Some(alias) = words.iter().position(|w| w.eq_ignore_ascii_case("as"))
            && let Some(a) = words.get(alias + 1)
        {
            stages.insert(a.to_string());
        }
        let Some(image) = words.first() else { return };
        if stages.contains(*image) {
            return;
        }
        if let Some((c, _)) = component_by_image(self.layout, image, images)
            && c != self.own
        {
            out.builds
                .push(self.edge(c, line, format!("overlays {image}")));
        }
    }

    /// Where a `COPY`/`ADD` source is in the repository: against the compose context, else
    /// the Dockerfile's directory, else the root.
    fn resolve(&self, src: &str) -> Option<String> {
        let literal: String = src
            .split('/')
            .take_while(|p| !p.contains(['*', '?', '[']))
            .collect::<Vec<_>>()
            .join("/");
        let own_dir = parent(self.file);
        let candidates = self.context.map_or_else(|| vec![own_dir, ""], |c| vec![c]);
        candidates
            .iter()
            .filter_map(|c| normalize(&join(c, &literal)))
            .find(|p| self.exists(p))
    }

    /// `COPY`/`ADD` of a directory outside the Dockerfile's own tree builds the components
    /// it holds.
    fn copy(&self, args: &str, line: u32, out: &mut Deployment) {
        let own_dir = parent(self.file);
        for src in copy_sources(args).unwrap_or_default() {
            if src.contains("://") {
                continue;
            }
            let Some(path) = self.resolve(&src) else {
                continue;
            };
            let inside_own = own_dir.is_empty() && path.is_empty()
                || path == own_dir
                || !own_dir.is_empty() && path.starts_with(&format!("{own_dir}/"));
            if inside_own {
                continue;
            }
            if path.is_empty() {
                out.notes.push(format!(
                    "{}:{line}: copies the whole repository; not counted as building any one component",
                    self.file
                ));
                continue;
            }
            let mut targets: BTreeSet<usize> = self
                .files
                .iter()
                .filter(|f| **f == path || f.starts_with(&format!("{path}/")))
                .filter_map(|f| self.layout.component_of(f))
                .collect();
            targets.remove(&self.own);
            for to in targets {
                out.builds
                    .push(self.edge(to, line, format!("copies {src}")));
            }
        }
    }
}

fn dockerfile(
    layout: &Layout,
    files: &[String],
    file: &str,
    text: &str,
    contexts: &BTreeMap<String, String>,
    images: &BTreeMap<String, usize>,
    out: &mut Deployment,
) {
    let Some(own) = layout.component_of(file) else {
        return;
    };
    let build = Build {
        layout,
        files,
        file,
        own,
        context: contexts.get(file).map(String::as_str),
    };
    let mut stages = BTreeSet::new();
    for (line, ins) in instructions(text) {
        let (op, args) = ins.split_once(char::is_whitespace).unwrap_or((&ins, ""));
        match op.to_ascii_uppercase().as_str() {
            "FROM" => build.from(args, line, &mut stages, images, out),
            "COPY" | "ADD" => build.copy(args, line, out),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted() {
        assert!(MIGRATION_DIRS.windows(2).all(|w| w[0] < w[1]));
        assert!(SCHEMA_DIRS.windows(2).all(|w| w[0] < w[1]));
        assert!(VENDORED.windows(2).all(|w| w[0] < w[1]));
        assert!(WORKLOADS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn vendored_and_minified() {
        assert!(is_vendored("web/static/vendor/jquery.js"));
        assert!(is_vendored("web/app.min.js"));
        assert!(!is_vendored("vendor.py"));
        assert!(!is_vendored("services/vendors/api.py"));
    }

    #[test]
    fn schema_directories() {
        let files: Vec<String> = [
            "api/app.py",
            "api/migrations/0001_initial.py",
            "backend/internal/store/orders.go",
            "db/migrate/001.rb",
            "store/db/migration/001.up.sql",
            "prisma/migrations/2024/migration.sql",
            "prisma/schema.prisma",
            "scripts/schema/001.sql",
            "scripts/schema/upgrade/002.sql",
            "scripts/tool.py",
            "src/schemas/user.ts",
            "warehouse/a.sql",
            "warehouse/sql/b.sql",
            "alembic/env.py",
            "alembic/versions/abc.py",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let dirs: Vec<String> = schema_dirs(&files).into_iter().collect();
        assert_eq!(
            dirs,
            vec![
                "alembic",
                "api/migrations",
                "db",
                "prisma/migrations",
                "scripts/schema",
                "store/db/migration",
                "warehouse/sql"
            ]
        );
    }

    #[test]
    fn dockerfile_instructions() {
        let ins = instructions(
            "# x\nFROM golang:1.22 AS build\nCOPY --chown=app \\\n  api/ /app/api\nCOPY --from=build /out /bin\n",
        );
        assert_eq!(ins[1], (3, "COPY --chown=app  api/ /app/api".to_string()));
        assert_eq!(
            copy_sources("--chown=app api/ /app/api"),
            Some(vec!["api/".to_string()])
        );
        assert_eq!(copy_sources("--from=build /out /bin"), None);
        assert_eq!(
            copy_sources(r#"["a", "b", "/c"]"#),
            Some(vec!["a".into(), "b".into()])
        );
        assert_eq!(image_base("registry.example.com/acme/api:1.2"), "api");
    }
}
