//! Which component a file belongs to and who owns it, for the report: a relative path in,
//! `(component, owners)` out.
//!
//! A deliberately small stand-in for the plan stage, which owns components and owners for
//! real; when it lands, `ReportData` takes its assignment and this module goes away.
//! Component: the first `[[components]]` entry whose `paths` glob matches, else the nearest
//! directory holding a build manifest (go.mod, package.json, pyproject.toml…), else the top
//! two path segments. Owners: the last matching CODEOWNERS rule, as GitHub resolves them.

use crate::config::Config;
use anyhow::{Context, Result};
use globset::{Glob, GlobMatcher};
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use std::path::{Path, PathBuf};

/// Files that make a directory a deployable unit of its own. Sorted; a test checks it.
const MANIFESTS: &[&str] = &[
    "Cargo.toml",
    "Dockerfile",
    "Gemfile",
    "build.gradle",
    "composer.json",
    "go.mod",
    "package.json",
    "pom.xml",
    "pyproject.toml",
    "requirements.txt",
    "setup.py",
];

/// Where GitHub looks for CODEOWNERS, in its order of precedence.
const CODEOWNERS: &[&str] = &[".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"];

/// One CODEOWNERS rule: a gitignore-style pattern and its owners.
struct OwnerRule {
    matcher: Gitignore,
    owners: Vec<String>,
}

/// Assigns files to components and owners.
pub struct Attributor {
    root: PathBuf,
    components: Vec<(String, Vec<GlobMatcher>)>,
    rules: Vec<OwnerRule>,
}

impl Attributor {
    pub fn new(config: &Config) -> Result<Attributor> {
        // A scan of a single file attributes relative to the file's directory.
        let root = if config.root.is_file() {
            config.root.parent().unwrap_or(&config.root).to_path_buf()
        } else {
            config.root.clone()
        };
        let mut components = Vec::new();
        for c in &config.components {
            let mut globs = Vec::new();
            for p in &c.paths {
                let glob = Glob::new(p)
                    .with_context(|| format!("invalid path glob `{p}` in component {}", c.name))?;
                globs.push(glob.compile_matcher());
            }
            components.push((c.name.clone(), globs));
        }
        let rules = match CODEOWNERS
            .iter()
            .map(|p| root.join(p))
            .find(|p| p.is_file())
        {
            Some(path) => {
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                parse_codeowners(&root, &text)
            }
            None => Vec::new(),
        };
        Ok(Attributor {
            root,
            components,
            rules,
        })
    }

    /// The component and owners of `file` (relative to the root, `/` separators).
    pub fn attribute(&self, file: &str) -> (String, Vec<String>) {
        (self.component(file), self.owners(file))
    }

    fn component(&self, file: &str) -> String {
        if let Some((name, _)) = self
            .components
            .iter()
            .find(|(_, globs)| globs.iter().any(|g| g.is_match(file)))
        {
            return name.clone();
        }
        let parts: Vec<&str> = file.split('/').collect();
        let dirs = &parts[..parts.len().saturating_sub(1)];
        for depth in (1..=dirs.len()).rev() {
            let dir = dirs[..depth].join("/");
            let abs = self.root.join(&dir);
            if MANIFESTS.iter().any(|m| abs.join(m).is_file()) {
                return dir;
            }
        }
        match dirs {
            [] => "(root)".to_string(),
            [one] => (*one).to_string(),
            [a, b, ..] => format!("{a}/{b}"),
        }
    }

    fn owners(&self, file: &str) -> Vec<String> {
        let path = self.root.join(file);
        self.rules
            .iter()
            .rev()
            .find(|r| {
                r.matcher
                    .matched_path_or_any_parents(&path, false)
                    .is_ignore()
            })
            .map(|r| r.owners.clone())
            .unwrap_or_default()
    }
}

/// Parse CODEOWNERS text; lines that are blank, comments or bad patterns are left out.
fn parse_codeowners(root: &Path, text: &str) -> Vec<OwnerRule> {
    let mut rules = Vec::new();
    for line in text.lines() {
        let line = line.split(" #").next().unwrap_or("").trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.split_whitespace();
        let Some(pattern) = fields.next() else {
            continue;
        };
        let owners: Vec<String> = fields.map(str::to_string).collect();
        let mut builder = GitignoreBuilder::new(root);
        if builder.add_line(None, pattern).is_err() {
            continue;
        }
        if let Ok(matcher) = builder.build() {
            rules.push(OwnerRule { matcher, owners });
        }
    }
    rules
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_are_sorted() {
        let mut sorted = MANIFESTS.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, MANIFESTS);
    }

    fn demo() -> Attributor {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
        let config = Config::load(&root, &crate::config::Overrides::default()).unwrap();
        Attributor::new(&config).unwrap()
    }

    #[test]
    fn demo_components_come_from_config_then_manifests_then_segments() {
        let a = demo();
        assert_eq!(
            a.attribute("services/billing/billing/repository.py").0,
            "billing"
        );
        // services/api has a go.mod and no [[components]] entry.
        assert_eq!(a.attribute("services/api/orders.go").0, "services/api");
        // No manifest anywhere above db/migrations.
        assert_eq!(
            a.attribute("db/migrations/0001_create_orders_legacy.sql").0,
            "db/migrations"
        );
        assert_eq!(a.attribute("top.sql").0, "(root)");
    }

    #[test]
    fn demo_owners_follow_the_last_matching_codeowners_rule() {
        let a = demo();
        assert_eq!(
            a.attribute("services/billing/billing/db.py").1,
            ["@acme/billing"]
        );
        assert_eq!(a.attribute("db/views/order_summary.sql").1, ["@acme/dba"]);
        // Only the catch-all `*` rule matches.
        assert_eq!(
            a.attribute("packages/order-events/src/index.ts").1,
            ["@acme/platform"]
        );
    }
}
