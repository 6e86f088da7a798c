//! Cross-component imports: source texts and the component `Layout` in, import edges out
//! (importer → imported component, with the site). Import statements are found with
//! tree-sitter (queries in `queries/plan-imports-*.scm`), so strings and comments never
//! count. Resolution: Python dotted names against the packages and modules in the
//! repository (relative imports against the file's package); Go import paths against the
//! module path of every `go.mod`; TS/JS relative specifiers against the file's directory
//! and bare specifiers against the `name` of every `package.json` (workspace packages).
//! Imports of code outside the repository resolve to nothing and are not edges.

use super::components::Layout;
use crate::discover::language_of;
use crate::lang::{self, Grammar};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;
use tree_sitter::{Query, QueryCursor, StreamingIterator};

const PY_QUERY: &str = include_str!("../../queries/plan-imports-python.scm");
const GO_QUERY: &str = include_str!("../../queries/plan-imports-go.scm");
const TS_QUERY: &str = include_str!("../../queries/plan-imports-typescript.scm");

/// The grammar of a file plan reads imports from (the scanner's choice, `lang::Grammar`).
fn grammar_of(path: &str) -> Option<Grammar> {
    Grammar::for_file(language_of(std::path::Path::new(path))?, path)
}

/// The compiled queries, built once; a bad built-in query is a bug a test catches.
static QUERIES: LazyLock<[(Grammar, Query); 4]> = LazyLock::new(|| {
    let q = |g: Grammar, text: &str| {
        #[expect(clippy::expect_used, reason = "built-in query; tests compile it")]
        Query::new(&g.language(), text).expect("built-in plan import query compiles")
    };
    [
        (Grammar::Python, q(Grammar::Python, PY_QUERY)),
        (Grammar::Go, q(Grammar::Go, GO_QUERY)),
        (Grammar::TypeScript, q(Grammar::TypeScript, TS_QUERY)),
        (Grammar::Tsx, q(Grammar::Tsx, TS_QUERY)),
    ]
});

/// One import statement as written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ImportSite {
    pub file: String,
    pub line: u32,
    /// The module, path or specifier as written (`shared.db`, `..lib`, `./x`).
    pub spec: String,
    kind: SpecKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum SpecKind {
    PyAbsolute,
    PyRelative,
    Go,
    Js,
}

/// An import resolved to the code it names: a directory (a Go package, a Python or JS
/// package) or a module path without extension (`a/b/c` for `a/b/c.py`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct FileImport {
    pub file: String,
    pub target: String,
}

/// An import that crosses a component boundary.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ImportEdge {
    pub from: usize,
    pub to: usize,
    pub file: String,
    pub line: u32,
    pub spec: String,
}

/// What resolution found.
#[derive(Debug, Default)]
pub struct Imports {
    pub edges: Vec<ImportEdge>,
    /// Every resolved import, within components too: what inheritance follows.
    pub files: Vec<FileImport>,
    /// Imports that matched code in several other components: (file:line, spec, candidates).
    pub ambiguous: Vec<(String, u32, String, Vec<String>)>,
    /// Manifests that could not be read (`package.json` that is not JSON): (file, reason).
    pub problems: Vec<(String, String)>,
}

/// Find the import statements of one file.
fn sites_in(path: &str, text: &str) -> Vec<ImportSite> {
    let Some(grammar) = grammar_of(path) else {
        return Vec::new();
    };
    let Some((_, query)) = QUERIES.iter().find(|(g, _)| *g == grammar) else {
        return Vec::new();
    };
    // tree-sitter turns malformed input into ERROR nodes and keeps going; `None` only on a
    // grammar/ABI mismatch, which the query tests would catch first.
    let Some(tree) = lang::parse(grammar, text) else {
        return Vec::new();
    };
    let names = query.capture_names();
    let mut cursor = QueryCursor::new();
    let mut matches = cursor.matches(query, tree.root_node(), text.as_bytes());
    let mut out = Vec::new();
    while let Some(m) = matches.next() {
        for c in m.captures() {
            let kind = match names[c.index as usize] {
                "module" => SpecKind::PyAbsolute,
                "relative" => SpecKind::PyRelative,
                "path" => SpecKind::Go,
                "source" => SpecKind::Js,
                _ => continue,
            };
            let Ok(raw) = c.node.utf8_text(text.as_bytes()) else {
                continue;
            };
            let spec = raw
                .trim_matches(|ch| ch == '"' || ch == '\'' || ch == '`')
                .to_string();
            if spec.is_empty() {
                continue;
            }
            out.push(ImportSite {
                file: path.to_string(),
                line: c.node.start_position().row as u32 + 1,
                spec,
                kind,
            });
        }
    }
    out
}

/// Where imports can land: Go modules, workspace packages, Python packages and modules.
struct Resolver<'a> {
    layout: &'a Layout,
    /// (module path, directory), longest module path first.
    go_modules: Vec<(String, String)>,
    /// package.json `name` → directory.
    packages: BTreeMap<String, String>,
    /// Python module paths without extension (`a/b/c` for a/b/c.py) and package dirs.
    py_paths: BTreeSet<String>,
    /// First segment of a dotted name → the directories it can be imported from.
    py_bases: BTreeMap<String, BTreeSet<String>>,
}

impl<'a> Resolver<'a> {
    fn new(
        layout: &'a Layout,
        files: &[String],
        texts: &BTreeMap<String, String>,
    ) -> (Self, Vec<(String, String)>) {
        let mut problems = Vec::new();
        let mut go_modules = Vec::new();
        let mut packages = BTreeMap::new();
        let mut py_paths = BTreeSet::new();
        let mut py_bases: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for f in files {
            let (dir, name) = match f.rfind('/') {
                Some(i) => (&f[..i], &f[i + 1..]),
                None => ("", f.as_str()),
            };
            if name == "go.mod" {
                if let Some(text) = texts.get(f) {
                    match go_module_path(text) {
                        Some(m) => go_modules.push((m, dir.to_string())),
                        None => problems.push((f.clone(), "no `module` line".to_string())),
                    }
                }
            } else if name == "package.json" {
                if let Some(text) = texts.get(f) {
                    match serde_json::from_str::<serde_json::Value>(text) {
                        Ok(v) => {
                            if let Some(n) = v.get("name").and_then(|n| n.as_str()) {
                                packages.insert(n.to_string(), dir.to_string());
                            }
                        }
                        Err(e) => problems.push((f.clone(), format!("not JSON: {e}"))),
                    }
                }
            } else if let Some(stem) = name
                .strip_suffix(".py")
                .or_else(|| name.strip_suffix(".pyi"))
            {
                let module = if dir.is_empty() {
                    stem.to_string()
                } else {
                    format!("{dir}/{stem}")
                };
                // Every segment may be the first one of an import, with its parent as base.
                let segments: Vec<&str> = module.split('/').collect();
                for i in 0..segments.len() {
                    let base = segments[..i].join("/");
                    let path = segments[..=i].join("/");
                    py_paths.insert(path);
                    py_bases
                        .entry(segments[i].to_string())
                        .or_default()
                        .insert(base);
                }
            }
        }
        go_modules.sort_by(|a: &(String, String), b| b.0.len().cmp(&a.0.len()).then(a.cmp(b)));
        (
            Resolver {
                layout,
                go_modules,
                packages,
                py_paths,
                py_bases,
            },
            problems,
        )
    }

    /// Resolve a site to the components it may point to (empty: outside the repository),
    /// each with the path it names.
    fn resolve(&self, site: &ImportSite, from: usize) -> Vec<(usize, String)> {
        let with_path = |path: Option<String>| -> Vec<(usize, String)> {
            path.and_then(|p| self.layout.component_of(&p).map(|c| (c, p)))
                .into_iter()
                .collect()
        };
        match site.kind {
            SpecKind::Go => with_path(self.go_path(&site.spec)),
            SpecKind::Js => with_path(self.js_path(&site.file, &site.spec)),
            SpecKind::PyRelative => with_path(self.py_relative_path(&site.file, &site.spec)),
            SpecKind::PyAbsolute => self.resolve_py(&site.spec, from),
        }
    }

    fn go_path(&self, spec: &str) -> Option<String> {
        let (module, dir) = self.go_modules.iter().find(|(m, _)| {
            spec == m
                || spec
                    .strip_prefix(m.as_str())
                    .is_some_and(|r| r.starts_with('/'))
        })?;
        let rest = spec[module.len()..].trim_start_matches('/');
        Some(join(dir, rest))
    }

    fn js_path(&self, file: &str, spec: &str) -> Option<String> {
        if spec.starts_with("./") || spec.starts_with("../") || spec == "." || spec == ".." {
            let dir = file.rfind('/').map_or("", |i| &file[..i]);
            return normalize(&join(dir, spec));
        }
        // The longest workspace package name that the specifier starts with.
        let (_, dir) = self
            .packages
            .iter()
            .filter(|(name, _)| {
                spec == name.as_str()
                    || spec
                        .strip_prefix(name.as_str())
                        .is_some_and(|r| r.starts_with('/'))
            })
            .max_by_key(|(name, _)| name.len())?;
        Some(dir.clone())
    }

    fn py_relative_path(&self, file: &str, spec: &str) -> Option<String> {
        let dots = spec.chars().take_while(|c| *c == '.').count();
        let mut dir = file.rfind('/').map_or("", |i| &file[..i]).to_string();
        for _ in 1..dots {
            if dir.is_empty() {
                return None; // beyond the root
            }
            dir = dir
                .rfind('/')
                .map_or(String::new(), |i| dir[..i].to_string());
        }
        let rest = spec[dots..].replace('.', "/");
        Some(join(&dir, &rest))
    }

    /// Python: the packages or modules in the repository that `a.b.c` may name, in the
    /// importer's own component first (then the import is internal), else in the others,
    /// counting only plausible import roots (the repository root, a component directory or
    /// its `src/`, or a package that is itself a component directory).
    fn resolve_py(&self, spec: &str, from: usize) -> Vec<(usize, String)> {
        let parts: Vec<&str> = spec.split('.').collect();
        let Some(bases) = self.py_bases.get(parts[0]) else {
            return Vec::new();
        };
        let mut best: BTreeMap<usize, (usize, String)> = BTreeMap::new();
        for base in bases {
            let top = join(base, parts[0]);
            let Some(comp) = self.layout.component_of(&top) else {
                continue;
            };
            let c = &self.layout.components[comp];
            let plausible = base.is_empty()
                || *base == c.dir
                || *base == format!("{}/src", c.dir)
                || top == c.dir;
            if !plausible {
                continue;
            }
            // How much of the dotted name exists below this base.
            let mut depth = 0;
            let mut path = base.clone();
            let mut found = base.clone();
            for p in &parts {
                path = join(&path, p);
                if self.py_paths.contains(&path) {
                    depth += 1;
                    found = path.clone();
                } else {
                    break;
                }
            }
            let e = best.entry(comp).or_insert((0, found.clone()));
            if depth > e.0 {
                *e = (depth, found);
            }
        }
        if let Some((_, path)) = best.get(&from) {
            // Internal to the importer's component: no edge, but inheritance follows it.
            return vec![(from, path.clone())];
        }
        let Some(max) = best.values().map(|v| v.0).max() else {
            return Vec::new();
        };
        best.into_iter()
            .filter(|(_, d)| d.0 == max)
            .map(|(c, (_, p))| (c, p))
            .collect()
    }
}

/// `module example.com/acme/shop` from a go.mod.
fn go_module_path(text: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let l = l.trim();
        let rest = l.strip_prefix("module")?;
        if !rest.starts_with(char::is_whitespace) {
            return None;
        }
        let m = rest.split("//").next()?.trim().trim_matches('"');
        (!m.is_empty()).then(|| m.to_string())
    })
}

fn join(dir: &str, rest: &str) -> String {
    match (dir.is_empty(), rest.is_empty()) {
        (true, _) => rest.to_string(),
        (false, true) => dir.to_string(),
        (false, false) => format!("{dir}/{rest}"),
    }
}

/// Resolve `.` and `..` in a relative path; `None` when it leaves the root.
pub(crate) fn normalize(path: &str) -> Option<String> {
    let mut out: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            p => out.push(p),
        }
    }
    Some(out.join("/"))
}

/// Find and resolve every import in `texts`; only edges between different components are
/// kept, sorted.
pub fn resolve_all(layout: &Layout, files: &[String], texts: &BTreeMap<String, String>) -> Imports {
    let (resolver, problems) = Resolver::new(layout, files, texts);
    let sources: Vec<(&String, &String)> = texts
        .iter()
        .filter(|(p, _)| grammar_of(p).is_some())
        .collect();
    let mut sites: Vec<ImportSite> = sources
        .par_iter()
        .flat_map_iter(|(path, text)| sites_in(path, text))
        .collect();
    sites.sort();
    let mut out = Imports {
        problems,
        ..Imports::default()
    };
    for site in sites {
        let Some(from) = layout.component_of(&site.file) else {
            continue;
        };
        let targets = resolver.resolve(&site, from);
        if let [(_, path)] = targets.as_slice() {
            out.files.push(FileImport {
                file: site.file.clone(),
                target: path.clone(),
            });
        }
        match targets.as_slice() {
            [] => {}
            [(to, _)] if *to == from => {}
            [(to, _)] => out.edges.push(ImportEdge {
                from,
                to: *to,
                file: site.file,
                line: site.line,
                spec: site.spec,
            }),
            many => out.ambiguous.push((
                site.file,
                site.line,
                site.spec,
                many.iter()
                    .map(|(c, _)| layout.components[*c].name.clone())
                    .collect(),
            )),
        }
    }
    out.edges.sort();
    out.files.sort();
    out.files.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::super::components::detect;
    use super::*;

    #[test]
    fn queries_compile() {
        assert_eq!(QUERIES.len(), 4);
    }

    fn run(files: &[(&str, &str)]) -> (Layout, Imports) {
        let mut list: Vec<String> = files.iter().map(|(p, _)| p.to_string()).collect();
        list.sort();
        let texts: BTreeMap<String, String> = files
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect();
        let layout = detect(&list, &[]).unwrap();
        let imports = resolve_all(&layout, &list, &texts);
        (layout, imports)
    }

    fn edges(layout: &Layout, imports: &Imports) -> Vec<String> {
        imports
            .edges
            .iter()
            .map(|e| {
                format!(
                    "{} -> {} ({}:{} {})",
                    layout.components[e.from].name,
                    layout.components[e.to].name,
                    e.file,
                    e.line,
                    e.spec
                )
            })
            .collect()
    }

    #[test]
    fn python_imports_cross_components() {
        let (l, i) = run(&[
            ("packages/shared/pyproject.toml", ""),
            ("packages/shared/shared/__init__.py", ""),
            ("packages/shared/shared/db.py", "import os\n"),
            ("services/api/requirements.txt", ""),
            (
                "services/api/app/main.py",
                "import os, json\nfrom shared.db import connect\nfrom app import models\nfrom .models import X\n# import shared\ns = 'import shared'\n",
            ),
            ("services/api/app/models.py", "import shared.db as d\n"),
            ("services/api/app/__init__.py", ""),
        ]);
        assert_eq!(
            edges(&l, &i),
            vec![
                "api -> shared (services/api/app/main.py:2 shared.db)",
                "api -> shared (services/api/app/models.py:1 shared.db)",
            ]
        );
    }

    #[test]
    fn go_imports_use_the_module_path() {
        let (l, i) = run(&[
            ("go.mod", "module example.com/shop // the shop\n\ngo 1.22\n"),
            (
                "cmd/report/main.go",
                "package main\n\nimport (\n\t\"fmt\"\n\t\"example.com/shop/internal/store\"\n\tdb \"example.com/shop/cmd/report/db\"\n)\n",
            ),
            ("cmd/report/db/db.go", "package db\n"),
            (
                "internal/store/store.go",
                "package store\nimport \"example.com/shopper/x\"\n",
            ),
        ]);
        assert_eq!(
            edges(&l, &i),
            vec!["report -> (root) (cmd/report/main.go:5 example.com/shop/internal/store)"]
        );
    }

    #[test]
    fn js_relative_and_workspace_imports() {
        let (l, i) = run(&[
            ("packages/db/package.json", r#"{"name": "@acme/db"}"#),
            ("packages/db/index.ts", "export const x = 1;\n"),
            ("apps/web/package.json", r#"{"name": "web"}"#),
            (
                "apps/web/src/page.tsx",
                "import { x } from '@acme/db/orders';\nimport React from 'react';\nconst y = require(\"../../../packages/db\");\nexport * from './local';\nconst el = <div/>;\n",
            ),
            (
                "apps/web/src/local.ts",
                "const z = await import('@acme/dbx');\n",
            ),
            ("apps/bad/package.json", "{ not json"),
        ]);
        assert_eq!(
            edges(&l, &i),
            vec![
                "web -> db (apps/web/src/page.tsx:1 @acme/db/orders)",
                "web -> db (apps/web/src/page.tsx:3 ../../../packages/db)",
            ]
        );
        assert_eq!(i.problems.len(), 1);
        assert_eq!(i.problems[0].0, "apps/bad/package.json");
    }

    #[test]
    fn python_relative_beyond_package() {
        let (l, i) = run(&[
            ("services/a/setup.py", ""),
            ("services/a/mod.py", "from ..b import util\n"),
            ("services/b/setup.py", ""),
            ("services/b/util.py", ""),
        ]);
        assert_eq!(edges(&l, &i), vec!["a -> b (services/a/mod.py:1 ..b)"]);
    }

    #[test]
    fn normalize_paths() {
        assert_eq!(normalize("a/./b/../c").as_deref(), Some("a/c"));
        assert_eq!(normalize("a/../../c"), None);
    }
}
