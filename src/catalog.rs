//! The catalog of SQL sinks: which calls run SQL (and at which argument) or name a table
//! (bulk copy), per language and library. It is data, embedded from `catalog/<lang>.toml`,
//! and extended by users with `[[sinks]]` in `cutover.toml`. Extractors find call shapes
//! with tree-sitter; the catalog says what a call means.

use crate::config::SinkConfig;
use crate::model::{Access, Language, Operation};
use anyhow::{Context, Result};
use serde::Deserialize;
use std::sync::LazyLock;

/// One catalog row.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sink {
    /// `method` (any receiver), `receiver.method` (the receiver's last name segment must
    /// match), or a bare `function` (`call = "text"` matches `text(...)` and `sa.text(...)`).
    pub call: String,
    /// 0-based position of the argument holding SQL text.
    #[serde(default)]
    pub sql_arg: Option<usize>,
    /// Keyword name of the SQL argument where the language has keywords (Python).
    #[serde(default)]
    pub sql_kwarg: Option<String>,
    /// 0-based position of the argument naming a table (bulk-copy APIs).
    #[serde(default)]
    pub table_arg: Option<usize>,
    #[serde(default)]
    pub table_kwarg: Option<String>,
    /// With `table_arg`: what the call does to the table.
    #[serde(default)]
    pub access: Option<Access>,
    #[serde(default)]
    pub operation: Option<Operation>,
    /// Tagged template literal (TS/JS: sql`...`).
    #[serde(default)]
    pub tagged_template: bool,
    /// The library this row models, for the report and the docs.
    #[serde(default)]
    pub library: String,
}

impl Sink {
    /// `(receiver, method)` split of `call`.
    pub fn parts(&self) -> (Option<&str>, &str) {
        match self.call.rsplit_once('.') {
            Some((recv, method)) => (Some(recv), method),
            None => (None, self.call.as_str()),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    #[serde(default)]
    sinks: Vec<Sink>,
}

/// The sinks of one language.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    sinks: Vec<Sink>,
}

fn builtin_source(language: Language) -> &'static str {
    match language {
        Language::Python => include_str!("../catalog/python.toml"),
        Language::Go => include_str!("../catalog/go.toml"),
        Language::TypeScript | Language::JavaScript => include_str!("../catalog/typescript.toml"),
        Language::Sql => "",
    }
}

/// Parse a catalog file's text.
pub fn parse_catalog(text: &str, name: &str) -> Result<Vec<Sink>> {
    let file: CatalogFile =
        toml::from_str(text).with_context(|| format!("invalid sink catalog {name}"))?;
    Ok(file.sinks)
}

fn builtin(language: Language) -> &'static [Sink] {
    fn load(language: Language) -> Vec<Sink> {
        // The built-in catalogs are tested (`builtin_catalogs_parse`): an error is a bug.
        parse_catalog(builtin_source(language), language.as_str()).unwrap_or_default()
    }
    static PYTHON: LazyLock<Vec<Sink>> = LazyLock::new(|| load(Language::Python));
    static GO: LazyLock<Vec<Sink>> = LazyLock::new(|| load(Language::Go));
    static TS: LazyLock<Vec<Sink>> = LazyLock::new(|| load(Language::TypeScript));
    match language {
        Language::Python => &PYTHON,
        Language::Go => &GO,
        Language::TypeScript | Language::JavaScript => &TS,
        Language::Sql => &[],
    }
}

impl Catalog {
    /// Built-in sinks of `language` plus the user's `[[sinks]]` for it (user rows first, so
    /// they win when both match).
    pub fn for_language(language: Language, user: &[SinkConfig]) -> Catalog {
        let same_family = |l: Language| {
            l == language
                || matches!(
                    (l, language),
                    (Language::TypeScript, Language::JavaScript)
                        | (Language::JavaScript, Language::TypeScript)
                )
        };
        let mut sinks: Vec<Sink> = user
            .iter()
            .filter(|s| same_family(s.language))
            .map(|s| Sink {
                call: s.call.clone(),
                sql_arg: s.sql_arg,
                sql_kwarg: None,
                table_arg: s.table_arg,
                table_kwarg: None,
                access: s.access,
                operation: s.operation,
                tagged_template: false,
                library: "cutover.toml".to_string(),
            })
            .collect();
        sinks.extend(builtin(language).iter().cloned());
        Catalog { sinks }
    }

    pub fn sinks(&self) -> &[Sink] {
        &self.sinks
    }

    /// Every sink a call matches, in catalog order (user rows first). A method name can
    /// mean different argument layouts in different libraries (`Exec(query)` in
    /// database/sql, `Exec(ctx, query)` in pgx): extractors try the rows in order.
    pub fn lookup_all(&self, receiver: Option<&str>, method: &str) -> Vec<&Sink> {
        self.sinks
            .iter()
            .filter(|s| call_matches(s, receiver, method))
            .collect()
    }

    /// The sink a call matches. `receiver` is the callee's object expression as written
    /// (`self.db`, `conn`, `sa`), `method` the called name. A bare function call has no
    /// receiver.
    pub fn lookup(&self, receiver: Option<&str>, method: &str) -> Option<&Sink> {
        self.sinks
            .iter()
            .find(|s| call_matches(s, receiver, method))
    }

    /// Like `lookup`, among the rows that say which argument holds SQL or a table: a row
    /// that is only a template tag (`sql`) does not make `sql(x)` a sink.
    pub fn lookup_call(&self, receiver: Option<&str>, method: &str) -> Option<&Sink> {
        self.sinks.iter().find(|s| {
            (s.sql_arg.is_some() || s.table_arg.is_some()) && call_matches(s, receiver, method)
        })
    }

    /// Sinks used as tagged templates (sql`...`).
    pub fn tagged(&self, tag: &str) -> Option<&Sink> {
        self.sinks
            .iter()
            .filter(|s| s.tagged_template)
            .find(|s| s.call == tag || s.parts().1 == tag)
    }
}

fn call_matches(sink: &Sink, receiver: Option<&str>, method: &str) -> bool {
    let receiver_last = receiver.map(|r| r.rsplit('.').next().unwrap_or(r));
    let (want_recv, want_method) = sink.parts();
    if want_method != method {
        return false;
    }
    match want_recv {
        None => true,
        Some(want) => receiver_last.is_some_and(|r| r == want) || receiver == Some(want),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_all_keeps_catalog_order() {
        let cat = Catalog::for_language(Language::Go, &[]);
        let exec: Vec<Option<usize>> = cat
            .lookup_all(Some("db"), "Exec")
            .iter()
            .map(|s| s.sql_arg)
            .collect();
        assert_eq!(exec, vec![Some(0), Some(1)]);
        let get: Vec<Option<usize>> = cat
            .lookup_all(Some("sqlx"), "Get")
            .iter()
            .map(|s| s.sql_arg)
            .collect();
        assert_eq!(get, vec![Some(2), Some(1)]);
        assert!(cat.lookup_all(Some("db"), "Nope").is_empty());
    }

    #[test]
    fn builtin_catalogs_parse() {
        for lang in [Language::Python, Language::Go, Language::TypeScript] {
            let sinks = parse_catalog(builtin_source(lang), lang.as_str()).unwrap();
            assert!(!sinks.is_empty(), "{lang:?} catalog is empty");
            for s in &sinks {
                assert!(
                    s.sql_arg.is_some()
                        || s.sql_kwarg.is_some()
                        || s.table_arg.is_some()
                        || s.table_kwarg.is_some()
                        || s.tagged_template,
                    "{lang:?} sink {} says nothing about its arguments",
                    s.call
                );
            }
        }
    }

    #[test]
    fn user_sinks_come_first_and_match_receivers() {
        let user = vec![SinkConfig {
            language: Language::Python,
            call: "db.run_legacy".into(),
            sql_arg: Some(0),
            table_arg: None,
            access: None,
            operation: None,
        }];
        let cat = Catalog::for_language(Language::Python, &user);
        assert_eq!(
            cat.lookup(Some("self.db"), "run_legacy").unwrap().library,
            "cutover.toml"
        );
        assert!(cat.lookup(Some("other"), "run_legacy").is_none());
    }

    #[test]
    fn lookup_call_skips_tag_only_rows() {
        let cat = Catalog::for_language(Language::TypeScript, &[]);
        assert!(cat.lookup(None, "sql").is_some());
        assert!(cat.lookup_call(None, "sql").is_none());
        assert!(cat.tagged("sql").is_some());
        // A receiver-restricted row only matches that receiver's last segment.
        let user = vec![SinkConfig {
            language: Language::TypeScript,
            call: "db.runLegacy".into(),
            sql_arg: Some(0),
            table_arg: None,
            access: None,
            operation: None,
        }];
        let cat = Catalog::for_language(Language::JavaScript, &user);
        assert!(cat.lookup_call(Some("this.db"), "runLegacy").is_some());
        assert!(cat.lookup_call(Some("other"), "runLegacy").is_none());
        assert_eq!(
            cat.lookup_call(Some("this.pool"), "query").unwrap().call,
            "query"
        );
    }
}
