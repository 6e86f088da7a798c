//! The catalog of SQL sinks: which calls run SQL (and at which argument) or name a table
//! (bulk copy), per language and library. It is data, embedded from `catalog/<lang>.toml`,
//! and extended by users with `[[sinks]]` in `cutover.toml`. Extractors find call shapes
//! with tree-sitter; the catalog says what a call means.
//!
//! The same files hold the ORM and query-builder rows (`[[orm]]`): which method of which
//! receiver reads or writes the model's table. User rows come from `[[orm]]` in
//! `cutover.toml`.

use crate::config::{OrmConfig, SinkConfig};
use crate::model::{Access, Kind, Language, Operation};
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
    #[serde(default)]
    orm: Vec<OrmRule>,
}

/// What an ORM method is called on. Each extractor knows how to recognise its receivers;
/// the catalog only says what the method means there. Add a variant when a framework has a
/// receiver none of these describe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrmReceiver {
    /// A Django manager or QuerySet reached from a model (`LegacyOrder.objects.filter(…)`,
    /// and every method chained after it), or `self` in a custom manager's method.
    Manager,
    /// A model instance (`o.save()`, `o.delete()`), its type known from a constructor or a
    /// query in the same function.
    Instance,
    /// A SQLAlchemy `Session` (or anything named like one: `session`, `db.session`, `s`).
    Session,
    /// The chain after `session.query(Model)`.
    Query,
    /// A module-level function taking the model (`select(Model)`, `insert(Model)`).
    Function,
    /// A model or `Table` object itself (`orders_table.insert()`).
    Table,
    /// A GORM `*gorm.DB` chain (`db.Model(&X{}).Where(…).Updates(…)`).
    Db,
}

impl OrmReceiver {
    pub fn as_str(self) -> &'static str {
        match self {
            OrmReceiver::Manager => "manager",
            OrmReceiver::Instance => "instance",
            OrmReceiver::Session => "session",
            OrmReceiver::Query => "query",
            OrmReceiver::Function => "function",
            OrmReceiver::Table => "table",
            OrmReceiver::Db => "db",
        }
    }
}

/// One ORM catalog row: `method` on a `receiver` of `framework` reads or writes the table
/// of the model the call resolves to. A row without `access` only tells the chain which
/// model or table it is about (`db.Model(&X{})`, `db.Table("t")`, `session.query(X)`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrmRule {
    pub framework: String,
    pub receiver: OrmReceiver,
    pub method: String,
    #[serde(default)]
    pub access: Option<Access>,
    #[serde(default)]
    pub operation: Option<Operation>,
    /// 0-based argument that is a model class (`session.query(X)`, `select(X)`,
    /// `db.Model(&X{})`).
    #[serde(default)]
    pub model_arg: Option<usize>,
    /// 0-based argument that is a model instance, a pointer to one, or a list/slice of
    /// them (`session.add(o)`, `db.Create(&o)`, `db.Find(&rows)`).
    #[serde(default)]
    pub instance_arg: Option<usize>,
    /// 0-based argument that names a table as a string (`db.Table("orders_legacy")`).
    #[serde(default)]
    pub table_arg: Option<usize>,
    /// `orm` (default) or `query_builder`.
    #[serde(default = "default_orm_kind")]
    pub kind: Kind,
}

fn default_orm_kind() -> Kind {
    Kind::Orm
}

/// The ORM rows of one language: built-in rows plus the user's `[[orm]]` (user rows first).
#[derive(Debug, Clone, Default)]
pub struct OrmCatalog {
    rules: Vec<OrmRule>,
}

impl OrmCatalog {
    pub fn for_language(language: Language, user: &[OrmConfig]) -> OrmCatalog {
        let mut rules: Vec<OrmRule> = user
            .iter()
            .filter(|r| same_family(r.language, language))
            .map(|r| OrmRule {
                framework: r.framework.clone(),
                receiver: r.receiver,
                method: r.method.clone(),
                access: r.access,
                operation: r.operation,
                model_arg: r.model_arg,
                instance_arg: r.instance_arg,
                table_arg: r.table_arg,
                kind: r.kind.unwrap_or(Kind::Orm),
            })
            .collect();
        rules.extend(builtin_orm(language).iter().cloned());
        OrmCatalog { rules }
    }

    pub fn rules(&self) -> &[OrmRule] {
        &self.rules
    }

    /// The first row for `method` on `receiver` (user rows win). `frameworks` limits the
    /// rows to the frameworks the caller is resolving (empty: any).
    pub fn lookup(
        &self,
        frameworks: &[&str],
        receiver: OrmReceiver,
        method: &str,
    ) -> Option<&OrmRule> {
        self.rules.iter().find(|r| {
            r.receiver == receiver
                && r.method == method
                && (frameworks.is_empty() || frameworks.contains(&r.framework.as_str()))
        })
    }
}

fn same_family(l: Language, language: Language) -> bool {
    l == language
        || matches!(
            (l, language),
            (Language::TypeScript, Language::JavaScript)
                | (Language::JavaScript, Language::TypeScript)
        )
}

/// Parse the `[[orm]]` rows of a catalog file's text.
pub fn parse_orm_catalog(text: &str, name: &str) -> Result<Vec<OrmRule>> {
    let file: CatalogFile =
        toml::from_str(text).with_context(|| format!("invalid ORM catalog {name}"))?;
    Ok(file.orm)
}

fn builtin_orm(language: Language) -> &'static [OrmRule] {
    fn load(language: Language) -> Vec<OrmRule> {
        // Tested (`builtin_orm_catalogs_parse`): an error is a bug.
        parse_orm_catalog(builtin_source(language), language.as_str()).unwrap_or_default()
    }
    static PYTHON: LazyLock<Vec<OrmRule>> = LazyLock::new(|| load(Language::Python));
    static GO: LazyLock<Vec<OrmRule>> = LazyLock::new(|| load(Language::Go));
    static TS: LazyLock<Vec<OrmRule>> = LazyLock::new(|| load(Language::TypeScript));
    match language {
        Language::Python => &PYTHON,
        Language::Go => &GO,
        Language::TypeScript | Language::JavaScript => &TS,
        Language::Sql => &[],
    }
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
    fn builtin_orm_catalogs_parse() {
        for lang in [Language::Python, Language::Go] {
            let rules = parse_orm_catalog(builtin_source(lang), lang.as_str()).unwrap();
            assert!(!rules.is_empty(), "{lang:?} has no ORM rows");
            for r in &rules {
                // A row that neither accesses nor locates a model says nothing.
                assert!(
                    r.access.is_some()
                        || r.model_arg.is_some()
                        || r.table_arg.is_some()
                        || r.receiver == OrmReceiver::Session,
                    "{lang:?} ORM row {}.{} says nothing",
                    r.framework,
                    r.method
                );
                assert_eq!(r.access.is_some(), r.operation.is_some(), "{}", r.method);
            }
        }
    }

    #[test]
    fn user_orm_rows_come_first() {
        let user = vec![OrmConfig {
            language: Language::Python,
            framework: "django".into(),
            receiver: OrmReceiver::Manager,
            method: "filter".into(),
            access: Some(Access::Write),
            operation: Some(Operation::Update),
            model_arg: None,
            instance_arg: None,
            table_arg: None,
            kind: None,
        }];
        let cat = OrmCatalog::for_language(Language::Python, &user);
        let row = cat
            .lookup(&["django"], OrmReceiver::Manager, "filter")
            .unwrap();
        assert_eq!(row.access, Some(Access::Write));
        let builtin = OrmCatalog::for_language(Language::Python, &[]);
        let row = builtin
            .lookup(&["django"], OrmReceiver::Manager, "filter")
            .unwrap();
        assert_eq!(row.access, Some(Access::Read));
        assert!(
            builtin
                .lookup(&["sqlalchemy"], OrmReceiver::Manager, "filter")
                .is_none()
        );
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

/// One word of the shared vocabulary (`catalog/vocabulary.toml`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VocabularyWord {
    pub word: String,
    pub access: Access,
    pub operation: Operation,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VocabularyFile {
    skip: Vec<String>,
    word: Vec<VocabularyWord>,
}

/// What a call does to the table of a legacy model handed to it, by the words of its name,
/// when no framework row says otherwise (see `catalog/vocabulary.toml`).
#[derive(Debug)]
pub struct Vocabulary {
    skip: Vec<String>,
    words: Vec<VocabularyWord>,
}

impl Vocabulary {
    /// The built-in vocabulary, parsed once.
    pub fn builtin() -> &'static Vocabulary {
        static VOCABULARY: LazyLock<Vocabulary> = LazyLock::new(|| {
            // Tested (`vocabulary_parses_and_is_sorted`): an error is a bug.
            let file: VocabularyFile = toml::from_str(include_str!("../catalog/vocabulary.toml"))
                .unwrap_or(VocabularyFile {
                    skip: Vec::new(),
                    word: Vec::new(),
                });
            Vocabulary {
                skip: file.skip,
                words: file.word,
            }
        });
        &VOCABULARY
    }

    /// The access and operation of a call named `name` (`findOneOrFail`, `bulk_create`,
    /// `NewSelect`), from its first word that is not in `skip`; `None` when that word is
    /// not in the vocabulary (the caller reports an unresolved reference).
    pub fn classify(&self, name: &str) -> Option<(Access, Operation)> {
        let first = words(name)
            .into_iter()
            .find(|w| !self.skip.iter().any(|s| s == w))?;
        self.words
            .binary_search_by(|v| v.word.as_str().cmp(first.as_str()))
            .ok()
            .map(|i| (self.words[i].access, self.words[i].operation))
    }
}

/// The lower-case words of an identifier: `findOneOrFail` → find, one, or, fail;
/// `bulk_create` → bulk, create; `NewSelect` → new, select.
fn words(name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if c == '_' || c == '-' || c == '$' {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod vocabulary_tests {
    use super::*;

    #[test]
    fn vocabulary_parses_and_is_sorted() {
        let file: VocabularyFile =
            toml::from_str(include_str!("../catalog/vocabulary.toml")).unwrap();
        assert!(!file.word.is_empty());
        assert!(file.word.windows(2).all(|w| w[0].word < w[1].word));
    }

    #[test]
    fn calls_are_classified_by_their_first_meaningful_word() {
        let v = Vocabulary::builtin();
        let access = |n: &str| v.classify(n).map(|(a, _)| a);
        assert_eq!(access("findOneOrFail"), Some(Access::Read));
        assert_eq!(access("fetchOrThrow"), Some(Access::Read));
        assert_eq!(access("bulk_create"), Some(Access::Write));
        assert_eq!(access("NewSelect"), Some(Access::Read));
        assert_eq!(access("softDelete"), Some(Access::Write));
        assert_eq!(access("persistAndFlush"), Some(Access::Write));
        assert_eq!(access("getRepository"), Some(Access::Read));
        assert_eq!(access("dropTable"), Some(Access::Ddl));
        assert_eq!(
            v.classify("upsert").map(|(_, o)| o),
            Some(Operation::Upsert)
        );
        assert_eq!(access("renderInvoice"), None);
        assert_eq!(access("repo_factory"), None);
    }
}
