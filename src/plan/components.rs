//! Component detection: the repository's file list and the declared `[[components]]` in,
//! a `Layout` out (the components and which one owns each path). A declared component wins
//! over detection for every path it matches. Otherwise a file belongs to the nearest
//! directory above it that is a Go `main` package, holds a manifest, is a child of a
//! conventional root (`services/x`), or is a top-level infrastructure directory
//! (`deploy/`); every schema and migration directory (see `deploy::schema_dirs`) belongs to
//! the one component `schema`; whatever is left goes to the root component, and the plan
//! says so.

use crate::config::ComponentConfig;
use anyhow::{Context, Result};
use globset::{Glob, GlobMatcher};
use std::collections::{BTreeMap, BTreeSet};

/// Files whose directory is a component (sorted, byte order; a test checks it).
pub const MANIFESTS: &[&str] = &[
    "Cargo.toml",
    "Dockerfile",
    "go.mod",
    "package.json",
    "pyproject.toml",
    "requirements.txt",
    "setup.cfg",
    "setup.py",
];

/// Top-level directories whose children are components (sorted).
pub const CONVENTIONAL_ROOTS: &[&str] = &["apps", "cmd", "jobs", "packages", "services"];

/// Top-level directories that hold deployment infrastructure (sorted). Schema directories
/// are the `schema` component instead.
pub const INFRA_DIRS: &[&str] = &["deploy", "helm", "infra", "k8s", "kubernetes", "terraform"];

/// Words that make a top-level directory infrastructure wherever they appear in its name
/// (`kubernetes-manifests`, `helm-chart`), sorted.
pub const INFRA_WORDS: &[&str] = &[
    "deploy",
    "helm",
    "infra",
    "k8s",
    "kubernetes",
    "kustomize",
    "manifests",
    "terraform",
];

fn is_infra_dir(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    INFRA_DIRS.binary_search(&lower.as_str()).is_ok()
        || INFRA_WORDS.iter().any(|w| lower.contains(w))
}

/// The name of the component that collects files outside every other component.
pub const ROOT_NAME: &str = "(root)";

/// The name of the component that holds every schema and migration directory.
pub const SCHEMA_NAME: &str = "schema";

/// Why a set of files is a component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// `[[components]]` in cutover.toml.
    Declared,
    /// The directory holds this manifest.
    Manifest(String),
    /// The directory is a child of this conventional root.
    ConventionalRoot(String),
    /// A top-level infrastructure directory.
    InfraDir,
    /// A Go `main` package: a binary of its own.
    GoMain,
    /// Schema and migration directories (all of them form one component).
    Schema,
    /// A top-level `db/` that holds code beside its migrations (a data-access package).
    DataDir,
    /// Files outside any other component.
    Root,
}

impl Origin {
    pub fn describe(&self, dir: &str) -> String {
        match self {
            Origin::Declared => "declared in cutover.toml".to_string(),
            Origin::Manifest(m) if dir.is_empty() => format!("{m} at the repository root"),
            Origin::Manifest(m) => format!("{m} in {dir}/"),
            Origin::ConventionalRoot(r) => format!("child of {r}/"),
            Origin::InfraDir => format!("infrastructure directory {dir}/"),
            Origin::GoMain => format!("Go main package in {dir}/"),
            Origin::Schema => "schema and migration directories".to_string(),
            Origin::DataDir => format!("top-level directory {dir}/ (code beside the schema)"),
            Origin::Root => "files outside any other component".to_string(),
        }
    }
}

/// One component and its files.
#[derive(Debug, Clone)]
pub struct Component {
    pub name: String,
    /// Directory relative to the root (`""` for the root); for a declared component, its
    /// first path as written.
    pub dir: String,
    /// Every directory it covers (more than one for `schema`).
    pub dirs: Vec<String>,
    pub origin: Origin,
    /// Files it owns, sorted.
    pub files: Vec<String>,
    /// `kind` from cutover.toml, if declared.
    pub declared_kind: Option<String>,
    pub db_clients: Vec<String>,
}

/// A declared path: a glob when it has wildcards, else a directory or file prefix.
#[derive(Debug)]
enum PathRule {
    Prefix(String),
    Glob(GlobMatcher),
}

impl PathRule {
    fn matches(&self, path: &str) -> bool {
        match self {
            PathRule::Prefix(p) => {
                p.is_empty()
                    || path == p
                    || path
                        .strip_prefix(p.as_str())
                        .is_some_and(|r| r.starts_with('/'))
            }
            PathRule::Glob(g) => g.is_match(path),
        }
    }
}

#[derive(Debug)]
struct Declared {
    index: usize,
    rules: Vec<(usize, PathRule)>,
}

/// All components and the rule that assigns paths to them.
#[derive(Debug)]
pub struct Layout {
    /// Sorted by name.
    pub components: Vec<Component>,
    declared: Vec<Declared>,
    /// Detected component directories → component index.
    detected_dirs: BTreeMap<String, usize>,
    root: Option<usize>,
    /// Paths of files that were assigned, for quick lookups.
    by_file: BTreeMap<String, usize>,
    /// Files at the top that hold no code or configuration (README, LICENSE): no component.
    pub unassigned: Vec<String>,
}

impl Layout {
    /// The component that owns `path` (a file or directory, relative, `/`-separated).
    pub fn component_of(&self, path: &str) -> Option<usize> {
        if let Some(&i) = self.by_file.get(path) {
            return Some(i);
        }
        if let Some(i) = best_declared(&self.declared, path) {
            return Some(i);
        }
        let mut dir = path;
        loop {
            if let Some(&i) = self.detected_dirs.get(dir) {
                return Some(i);
            }
            match dir.rfind('/') {
                Some(cut) => dir = &dir[..cut],
                None if !dir.is_empty() => dir = "",
                None => return self.root,
            }
        }
    }

    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.components.iter().position(|c| c.name == name)
    }
}

fn best_declared(declared: &[Declared], path: &str) -> Option<usize> {
    // The most specific (longest) matching pattern wins; ties go to the first declared.
    declared
        .iter()
        .flat_map(|d| d.rules.iter().map(move |(len, r)| (d.index, *len, r)))
        .filter(|(_, _, r)| r.matches(path))
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
        .map(|(i, _, _)| i)
}

fn parent(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Directories that are components because of how they ship, found by `deploy`.
#[derive(Debug, Default)]
pub struct Shipped {
    /// Go `main` package directories.
    pub go_mains: BTreeSet<String>,
    /// Schema and migration directories, outermost only.
    pub schema: BTreeSet<String>,
}

/// Detect the components of a repository whose files are `files` (relative, sorted).
/// Schema directories need only the file list; Go main packages need the texts
/// (`detect_shipped`).
pub fn detect(files: &[String], declared_cfg: &[ComponentConfig]) -> Result<Layout> {
    let shipped = Shipped {
        go_mains: BTreeSet::new(),
        schema: super::deploy::schema_dirs(files),
    };
    detect_shipped(files, declared_cfg, &shipped)
}

/// The declared components' path rules.
fn declared_rules(declared_cfg: &[ComponentConfig]) -> Result<Vec<Declared>> {
    let mut declared = Vec::new();
    for (index, d) in declared_cfg.iter().enumerate() {
        let mut rules = Vec::new();
        for p in &d.paths {
            let p = p.trim().trim_start_matches("./");
            // `dir/**` is the directory itself and everything under it: a prefix, so that
            // the directory path (an import target) matches too.
            let literal = p.strip_suffix("/**").unwrap_or(p);
            let rule = if !literal.contains(['*', '?', '[', '{']) {
                PathRule::Prefix(literal.trim_end_matches('/').to_string())
            } else {
                PathRule::Glob(
                    Glob::new(p)
                        .with_context(|| {
                            format!("invalid glob `{p}` in components[{index}].paths")
                        })?
                        .compile_matcher(),
                )
            };
            rules.push((p.len(), rule));
        }
        declared.push(Declared { index, rules });
    }
    Ok(declared)
}

/// Candidate directories and why each is one; deeper origins are found by walking up.
fn candidates(files: &[String], shipped: &Shipped) -> BTreeMap<String, Origin> {
    let mut candidates: BTreeMap<String, Origin> = BTreeMap::new();
    for f in files {
        let name = file_name(f);
        if MANIFESTS.binary_search(&name).is_ok() {
            // A manifest is the stronger reason; it replaces a conventional-root origin.
            let entry = candidates
                .entry(parent(f).to_string())
                .or_insert(Origin::Root);
            if !matches!(entry, Origin::Manifest(_)) {
                *entry = Origin::Manifest(name.to_string());
            }
        }
        let mut parts = f.split('/');
        if let (Some(top), Some(child), Some(_)) = (parts.next(), parts.next(), parts.next())
            && CONVENTIONAL_ROOTS.binary_search(&top).is_ok()
        {
            candidates
                .entry(format!("{top}/{child}"))
                .or_insert_with(|| Origin::ConventionalRoot(top.to_string()));
        }
        if let (Some(top), Some(_)) = (f.split('/').next(), f.find('/'))
            && is_infra_dir(top)
        {
            candidates
                .entry(top.to_string())
                .or_insert(Origin::InfraDir);
        }
    }
    // A Go main package is its own binary, whatever manifest sits there (the module's
    // `go.mod` at the same directory makes it no less a binary).
    for d in &shipped.go_mains {
        if !d.is_empty() {
            candidates.insert(d.clone(), Origin::GoMain);
        }
    }
    if !shipped.schema.contains("db") && files.iter().any(|f| f.starts_with("db/")) {
        candidates
            .entry("db".to_string())
            .or_insert(Origin::DataDir);
    }
    for d in &shipped.schema {
        candidates.insert(d.clone(), Origin::Schema);
    }
    candidates
}

/// Detect the components, with the directories `shipped` names as components too.
pub fn detect_shipped(
    files: &[String],
    declared_cfg: &[ComponentConfig],
    shipped: &Shipped,
) -> Result<Layout> {
    let declared = declared_rules(declared_cfg)?;
    let candidates = candidates(files, shipped);

    // Assign files.
    let mut declared_files: Vec<Vec<String>> = vec![Vec::new(); declared_cfg.len()];
    let mut detected_files: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in files {
        if let Some(i) = best_declared(&declared, f) {
            declared_files[i].push(f.clone());
            continue;
        }
        let mut dir = parent(f);
        let owner = loop {
            if candidates.contains_key(dir) {
                break dir.to_string();
            }
            if dir.is_empty() {
                break String::new();
            }
            dir = parent(dir);
        };
        detected_files.entry(owner).or_default().push(f.clone());
    }

    // A root that holds only documents (README, LICENSE, cutover.toml) is no component.
    let mut unassigned = Vec::new();
    if detected_files
        .get("")
        .is_some_and(|fs| !fs.iter().any(|f| holds_code_or_config(f)))
    {
        unassigned = detected_files.remove("").unwrap_or_default();
    }

    let mut components: Vec<Component> = Vec::new();
    for (i, d) in declared_cfg.iter().enumerate() {
        let dir = d.paths.first().map(|p| literal_dir(p)).unwrap_or_default();
        components.push(Component {
            name: d.name.clone(),
            dirs: vec![dir.clone()],
            dir,
            origin: Origin::Declared,
            files: std::mem::take(&mut declared_files[i]),
            declared_kind: d.kind.clone(),
            db_clients: d.db_clients.clone(),
        });
    }
    let declared_names: BTreeSet<&str> = declared_cfg.iter().map(|d| d.name.as_str()).collect();
    components.extend(schema_component(
        &mut detected_files,
        &candidates,
        &declared_names,
    ));
    // Short names (the directory's last segment) unless two would collide.
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for dir in detected_files.keys() {
        *seen.entry(short_name(dir)).or_default() += 1;
    }
    let taken: BTreeSet<String> = components.iter().map(|c| c.name.clone()).collect();
    for (dir, files) in detected_files {
        let short = short_name(&dir);
        let name = if seen.get(&short) == Some(&1) && !taken.contains(short.as_str()) {
            short
        } else {
            dir.clone()
        };
        let origin = candidates.get(&dir).cloned().unwrap_or(Origin::Root);
        components.push(Component {
            name,
            dirs: vec![dir.clone()],
            dir,
            origin,
            files,
            declared_kind: None,
            db_clients: Vec::new(),
        });
    }
    components.sort_by(|a, b| a.name.cmp(&b.name).then(a.dir.cmp(&b.dir)));
    Ok(index_layout(components, declared, declared_cfg, unassigned))
}

/// The schema directories' files, taken out of `detected`, as the one `schema` component.
fn schema_component(
    detected: &mut BTreeMap<String, Vec<String>>,
    candidates: &BTreeMap<String, Origin>,
    declared_names: &BTreeSet<&str>,
) -> Option<Component> {
    let dirs: Vec<String> = detected
        .keys()
        .filter(|d| candidates.get(*d) == Some(&Origin::Schema))
        .cloned()
        .collect();
    let first = dirs.first()?.clone();
    let mut files: Vec<String> = dirs
        .iter()
        .flat_map(|d| detected.remove(d).unwrap_or_default())
        .collect();
    files.sort();
    let name = if declared_names.contains(SCHEMA_NAME) {
        format!("{SCHEMA_NAME} ({first})")
    } else {
        SCHEMA_NAME.to_string()
    };
    Some(Component {
        name,
        dir: first,
        dirs,
        origin: Origin::Schema,
        files,
        declared_kind: None,
        db_clients: Vec::new(),
    })
}

/// The lookups of a layout over its sorted components.
fn index_layout(
    components: Vec<Component>,
    declared: Vec<Declared>,
    declared_cfg: &[ComponentConfig],
    unassigned: Vec<String>,
) -> Layout {
    let mut layout = Layout {
        components,
        declared: Vec::new(),
        detected_dirs: BTreeMap::new(),
        root: None,
        by_file: BTreeMap::new(),
        unassigned,
    };
    for (i, c) in layout.components.iter().enumerate() {
        for f in &c.files {
            layout.by_file.insert(f.clone(), i);
        }
        if c.origin == Origin::Declared {
            continue;
        }
        if c.dir.is_empty() {
            layout.root = Some(i);
        }
        for d in &c.dirs {
            layout.detected_dirs.insert(d.clone(), i);
        }
    }
    // Declared indexes point into the config order; remap to the sorted components.
    for mut d in declared {
        let name = &declared_cfg[d.index].name;
        if let Some(i) = layout
            .components
            .iter()
            .position(|c| c.origin == Origin::Declared && &c.name == name)
        {
            d.index = i;
            layout.declared.push(d);
        }
    }
    layout
}

/// Code, SQL, YAML or a schedule: what makes a file worth a component.
fn holds_code_or_config(path: &str) -> bool {
    let name = file_name(path);
    crate::discover::language_of(std::path::Path::new(path)).is_some()
        || name.ends_with(".yaml")
        || name.ends_with(".yml")
        || name == "crontab"
        || name == "Procfile"
}

/// The directory part of a declared path before any wildcard: `services/billing/**` →
/// `services/billing`.
fn literal_dir(pattern: &str) -> String {
    let p = pattern.trim().trim_start_matches("./");
    p.split('/')
        .take_while(|seg| !seg.contains(['*', '?', '[', '{']))
        .collect::<Vec<_>>()
        .join("/")
}

/// Directory names that say nothing about the component (sorted): `cart/src` is named
/// `cart/src`, not `src`.
const GENERIC_DIRS: &[&str] = &["app", "lib", "server", "source", "src"];

fn short_name(dir: &str) -> String {
    if dir.is_empty() {
        return ROOT_NAME.to_string();
    }
    let last = file_name(dir);
    let up = parent(dir);
    if GENERIC_DIRS.binary_search(&last).is_ok() && !up.is_empty() {
        format!("{}/{last}", file_name(up))
    } else {
        last.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = list.iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    }

    #[test]
    fn constants_are_sorted() {
        assert!(MANIFESTS.windows(2).all(|w| w[0] < w[1]));
        assert!(CONVENTIONAL_ROOTS.windows(2).all(|w| w[0] < w[1]));
        assert!(INFRA_DIRS.windows(2).all(|w| w[0] < w[1]));
        assert!(GENERIC_DIRS.windows(2).all(|w| w[0] < w[1]));
        assert!(INFRA_WORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(is_infra_dir("kubernetes-manifests") && is_infra_dir("deploy"));
        assert!(!is_infra_dir("db") && !is_infra_dir("services"));
        assert_eq!(short_name("src/cartservice/src"), "cartservice/src");
        assert_eq!(short_name("services/api"), "api");
    }

    #[test]
    fn detects_manifests_roots_infra_and_root() {
        let l = detect(
            &files(&[
                "README.md",
                "scripts/cleanup.py",
                "services/api/app/main.py",
                "services/api/requirements.txt",
                "services/web/src/index.ts",
                "libs/shared/go.mod",
                "libs/shared/db.go",
                "libs/shared/sub/x.go",
                "migrations/001.sql",
                "cmd/report/main.go",
            ]),
            &[],
        )
        .unwrap();
        let names: Vec<(&str, &str)> = l
            .components
            .iter()
            .map(|c| (c.name.as_str(), c.dir.as_str()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("(root)", ""),
                ("api", "services/api"),
                ("report", "cmd/report"),
                ("schema", "migrations"),
                ("shared", "libs/shared"),
                ("web", "services/web"),
            ]
        );
        let of = |p: &str| l.components[l.component_of(p).unwrap()].name.as_str();
        assert_eq!(of("libs/shared/sub/x.go"), "shared");
        assert_eq!(of("libs/shared/sub"), "shared");
        assert_eq!(of("scripts/cleanup.py"), "(root)");
        assert_eq!(of("services/api/app"), "api");
        assert_eq!(
            l.components[l.index_of("api").unwrap()].origin,
            Origin::Manifest("requirements.txt".into())
        );
    }

    #[test]
    fn declared_components_win() {
        let declared = vec![
            ComponentConfig {
                name: "billing".into(),
                paths: vec!["services/api/billing/**".into(), "scripts/bill_*.py".into()],
                kind: Some("worker".into()),
                db_clients: vec!["app=billing".into()],
            },
            ComponentConfig {
                name: "api".into(),
                paths: vec!["services/api".into()],
                kind: None,
                db_clients: vec![],
            },
        ];
        let l = detect(
            &files(&[
                "services/api/requirements.txt",
                "services/api/app.py",
                "services/api/billing/charge.py",
                "scripts/bill_run.py",
                "scripts/other.py",
            ]),
            &declared,
        )
        .unwrap();
        let of = |p: &str| l.components[l.component_of(p).unwrap()].name.as_str();
        assert_eq!(of("services/api/billing/charge.py"), "billing");
        assert_eq!(of("services/api/billing"), "billing");
        assert_eq!(of("services/api/billing/deeper/dir"), "billing");
        assert_eq!(of("scripts/bill_run.py"), "billing");
        assert_eq!(of("services/api/app.py"), "api");
        assert_eq!(of("scripts/other.py"), "(root)");
        let api = &l.components[l.index_of("api").unwrap()];
        assert_eq!(api.origin, Origin::Declared);
        // The detected services/api directory lost every file to the declared components.
        assert_eq!(l.components.len(), 3);
    }

    #[test]
    fn colliding_short_names_use_the_path() {
        let l = detect(
            &files(&["apps/web/package.json", "packages/web/package.json"]),
            &[],
        )
        .unwrap();
        let names: Vec<&str> = l.components.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, vec!["apps/web", "packages/web"]);
    }

    #[test]
    fn bad_declared_glob_is_an_error() {
        let declared = vec![ComponentConfig {
            name: "x".into(),
            paths: vec!["a/[".into()],
            kind: None,
            db_clients: vec![],
        }];
        let err = detect(&files(&["a/b"]), &declared).unwrap_err();
        assert!(format!("{err:#}").contains("components[0].paths"));
    }
}
