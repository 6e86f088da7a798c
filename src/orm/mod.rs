//! ORM models, pass 1 of the scan: every file that can declare a model (a cheap byte check
//! first) is parsed, in parallel, and its declarations — Django and SQLAlchemy classes,
//! SQLAlchemy `Table(...)`s, GORM structs, Prisma models, Drizzle tables, TypeORM entities,
//! Sequelize models, `[[models]]` from `cutover.toml` — are resolved across the repository
//! into one `ModelIndex`: model name → table (explicit, or by the framework's naming
//! convention), framework, place, abstract / schema-defining flags, custom managers and
//! cascades. Pass 2 (`extract`) gets the index in its `ScanContext`: the usage passes
//! resolve calls through it, and the names of legacy models join the prefilter. Each
//! declaration of a legacy model is itself a finding (`declaration_findings`).
//!
//! One folder per language, the files named by pass: `models.rs` (pass 1: declarations,
//! and `resolve`, which decides tables across files) and `usages.rs` (pass 2), with
//! `<framework>_models.rs` / `<framework>_usages.rs` where one language has several
//! frameworks (`typescript/`: Prisma, TypeORM, Sequelize; `class_usages.rs` resolves
//! TypeORM and Sequelize model classes together). `python/` is Django and SQLAlchemy,
//! `go/` is GORM.
//!
//! Adding a framework in another language: a byte check in `may_declare`, a
//! `declarations` arm returning `ModelDecl`s (with `explicit_table`, or a `Convention`),
//! and a usage pass that calls `ModelIndex::legacy`.

mod digest;
pub mod go;
pub mod naming;
mod nodes;
pub mod python;
pub mod typescript;

use crate::catalog::OrmCatalog;
use crate::config::Config;
use crate::discover::SourceFile;
use crate::extract::{decode, read_file};
use crate::model::{Access, Confidence, Finding, Kind, Language, Operation, Site};
use naming::{Convention, GormNaming};
use rayon::prelude::*;
use std::collections::BTreeMap;
use typescript::{prisma_models, sequelize_models, typeorm_models};

/// Where a model's table name comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TableSource {
    /// Written in the declaration (`db_table`, `__tablename__`, `TableName()`, `Table("t")`).
    Explicit,
    /// Inherited from a parent model (a Django abstract parent's `Meta`, SQLAlchemy
    /// single-table inheritance).
    Inherited,
    /// The framework's naming convention (Django `<app>_<model>`, GORM snake plural).
    Convention,
    /// `[[models]]` in `cutover.toml`.
    Config,
}

/// One model (class, struct, table object or entity) and the table it maps to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelDecl {
    pub language: Language,
    /// `django`, `sqlalchemy`, `gorm`… Empty while pass 1 has not decided (a Python class
    /// whose bases are resolved across files).
    pub framework: String,
    /// The name code uses: class, struct, or the variable holding a `Table`.
    pub name: String,
    /// Dotted module (Python), package directory (Go), file (TS): disambiguates equal names.
    pub module: String,
    /// The table, once resolved; `None` for abstract models and unresolved names.
    pub table: Option<String>,
    pub source: TableSource,
    /// The table as written in the declaration, before resolution.
    pub explicit_table: Option<String>,
    /// Django: `Meta.app_label`, or the app package the file is in.
    pub app_label: Option<String>,
    /// SQLAlchemy `__table__ = some_table`: the name of the `Table` variable.
    pub table_ref: Option<String>,
    /// The configured legacy table this model maps to (its `display`).
    pub legacy: Option<String>,
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub is_abstract: bool,
    /// Django `Meta.managed` (`None`: not said, so inherited or true).
    pub managed: Option<bool>,
    /// Whether the framework creates the table from this declaration (a managed Django
    /// model; a SQLAlchemy model when the repository calls `create_all`).
    pub defines_schema: bool,
    /// Base classes as written (last dotted segment), embedded structs for Go.
    pub bases: Vec<String>,
    /// Base classes exactly as written (`models.Model`), to recognise framework roots.
    pub bases_full: Vec<String>,
    /// Manager attributes: `(attribute, manager class)` (`objects = LegacyOrderManager()`).
    pub managers: Vec<(String, String)>,
    /// Fields holding other models: `(field, model)` (GORM `Orders []LegacyOrder`, for
    /// `Preload("Orders")`).
    pub associations: Vec<(String, String)>,
    /// Django `FileField` / `ImageField` attributes: `o.photo.save(name, content)` and
    /// `o.photo.delete()` save the instance too (their `save=True` default).
    pub file_fields: Vec<String>,
    /// Python methods of the class that set columns of `self` without saving it
    /// (`def revoke_token(self): self.token_expiration = …`): a caller that commits the
    /// session afterwards writes the row.
    pub mutators: Vec<String>,
    /// A Django proxy model: the parent's table.
    pub inherits_table: bool,
    /// The declaration's first line, for evidence.
    pub evidence: String,
    /// Other names code reaches the model by (a Sequelize `define("LegacyOrder", …)` bound
    /// to `const Order`: `Order` is the name, `LegacyOrder` the `db.LegacyOrder` alias).
    pub aliases: Vec<String>,
    /// Framework options written in the declaration that pass 1's resolver needs
    /// (`freezeTableName` = `true`), as `(key, value)`.
    pub options: Vec<(String, String)>,
}

impl ModelDecl {
    /// A declaration with the given identity and nothing resolved yet.
    pub fn new(language: Language, framework: &str, name: &str, file: &str) -> ModelDecl {
        ModelDecl {
            language,
            framework: framework.to_string(),
            name: name.to_string(),
            module: String::new(),
            table: None,
            source: TableSource::Explicit,
            explicit_table: None,
            app_label: None,
            table_ref: None,
            legacy: None,
            file: file.to_string(),
            line: 1,
            column: 1,
            is_abstract: false,
            managed: None,
            defines_schema: false,
            bases: Vec::new(),
            bases_full: Vec::new(),
            managers: Vec::new(),
            associations: Vec::new(),
            file_fields: Vec::new(),
            mutators: Vec::new(),
            inherits_table: false,
            evidence: String::new(),
            aliases: Vec::new(),
            options: Vec::new(),
        }
    }
}

/// A write the ORM performs on `child`'s table when a `parent` row is deleted (Django
/// `on_delete=CASCADE` / `SET_NULL`, SQLAlchemy `cascade="all, delete-orphan"`, Prisma
/// `onDelete`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cascade {
    pub language: Language,
    pub framework: String,
    pub parent: String,
    pub child: String,
    pub operation: Operation,
    /// The declaration that causes it, for `via`: `LegacyOrder.customer on_delete=CASCADE`.
    pub via: String,
    /// The file declaring the child's class when the cascade sits on it (TypeORM and
    /// sequelize-typescript decorators), to tell equal class names apart; empty otherwise.
    pub child_file: String,
}

/// A word of pass 2's model prefilter, and the words one of which must also be in a file
/// for it to count (none: the word alone counts).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ModelWord {
    pub word: String,
    pub companions: Vec<String>,
}

/// What a Python file that deletes says: `delete()`, `session.delete`, `DeleteView`,
/// DRF's `destroy`/`DestroyAPIView`, the vocabulary's `remove`.
const DELETE_WORDS: [&str; 5] = ["delete", "Delete", "destroy", "Destroy", "remove"];

impl ModelWord {
    fn alone(word: String) -> ModelWord {
        ModelWord {
            word,
            companions: Vec::new(),
        }
    }

    fn with(word: String, companions: Vec<String>) -> ModelWord {
        ModelWord { word, companions }
    }

    /// One entry per word, sorted: a word that counts alone for one reason counts alone;
    /// otherwise any companion of any reason will do. Words under 3 bytes are dropped.
    fn merge(mut words: Vec<ModelWord>) -> Vec<ModelWord> {
        words.retain(|w| w.word.len() >= 3);
        words.sort();
        let mut out: Vec<ModelWord> = Vec::new();
        for w in words {
            match out.last_mut() {
                Some(last) if last.word == w.word => {
                    if last.companions.is_empty() || w.companions.is_empty() {
                        last.companions.clear();
                    } else {
                        last.companions.extend(w.companions);
                        last.companions.sort();
                        last.companions.dedup();
                    }
                }
                _ => out.push(w),
            }
        }
        out
    }
}

/// `Related::parent` of a reverse one-to-one accessor named explicitly (`related_name=`),
/// reachable from an instance of any model: `user.usersettings_helpdesk`.
pub const ANY_PARENT: &str = "*";

/// `Cascade::framework` of a cascade the database runs (a foreign key's `ON DELETE`), which
/// bulk deletes trigger too, unlike the ORM's own (SQLAlchemy `relationship(cascade=…)`),
/// which only deleting a loaded instance through the session runs.
pub const DATABASE_CASCADE: &str = "database";

/// Cascades whose parent is a table (`table:users`, from a foreign key) get the model
/// mapped to that table as their parent; those no model maps are dropped.
fn resolve_table_parents(cascades: &mut Vec<Cascade>, models: &[ModelDecl]) {
    let mut out = Vec::with_capacity(cascades.len());
    for c in cascades.drain(..) {
        let Some(table) = c.parent.strip_prefix("table:") else {
            out.push(c);
            continue;
        };
        for m in models.iter().filter(|m| {
            m.language == c.language && !m.is_abstract && m.table.as_deref() == Some(table)
        }) {
            out.push(Cascade {
                parent: m.name.clone(),
                ..c.clone()
            });
        }
    }
    *cascades = out;
}

/// A reverse relation: `parent_instance.accessor` is a manager of `child` (Django's
/// related managers: `customer.orders.all()`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Related {
    pub language: Language,
    pub parent: String,
    pub accessor: String,
    pub child: String,
    /// Through an association table (`secondary=`): adding to the collection writes that
    /// table, not the child's.
    pub secondary: bool,
    /// Loaded with its parent by a join (`lazy="joined"`): reading parents reads it.
    pub joined: bool,
}

/// What a method of a custom manager or QuerySet class does (`def open_orders(self):
/// return self.filter(...)`), so `LegacyOrder.objects.open_orders()` can be resolved.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ManagerMethod {
    pub language: Language,
    pub class: String,
    pub method: String,
    pub access: Access,
    pub operation: Operation,
}

/// What pass 1 found in one file.
#[derive(Debug, Clone, Default)]
pub struct FileDecls {
    pub models: Vec<ModelDecl>,
    pub cascades: Vec<Cascade>,
    pub related: Vec<Related>,
    pub manager_methods: Vec<ManagerMethod>,
    /// Manager / QuerySet classes declared here: `(class, bases)`.
    pub manager_classes: Vec<(String, Vec<String>)>,
    /// A GORM `schema.NamingStrategy{…}` configured here.
    pub gorm_naming: Option<GormNaming>,
    /// Naming conventions the file turns on for its language (Kysely `CamelCasePlugin`,
    /// `knexSnakeCaseMappers`, TypeORM `SnakeNamingStrategy` → `Convention::SnakeCase`):
    /// identifiers code writes map to tables through them.
    pub conventions: Vec<(Language, Convention)>,
    /// The file calls SQLAlchemy's `metadata.create_all`.
    pub sqlalchemy_creates_schema: bool,
    /// GORM `func (T) TableName() string { return "t" }`: `(package dir, type, table)`.
    pub table_names: Vec<(String, String, String)>,
    /// Relation fields of Prisma models.
    pub prisma_relations: Vec<prisma_models::Relation>,
    /// Frameworks the file turns schema synchronisation on for (TypeORM
    /// `synchronize: true`, Sequelize `.sync()`): their models define their tables.
    pub schema_sync: Vec<String>,
    /// Sequelize's repository-wide model options (`new Sequelize(…, { define: { … } })`).
    pub sequelize_defaults: Vec<(String, String)>,
    /// Sequelize associations (`A.hasMany(B, { as })`), for their accessor methods.
    pub sequelize_associations: Vec<sequelize_models::Association>,
    /// Python names whose value is a model instance by their declaration: functions
    /// annotated `-> User`, aliases `CurrentUser = Annotated[User, …]`.
    pub typed_names: Vec<TypedName>,
    /// Strings a JS/TS module exports: `(file without extension, key, value)`
    /// (`module.exports = { user: "user" }`), for `tableNames.user` elsewhere.
    pub module_strings: Vec<(String, String, String)>,
}

/// A Python function or type alias that stands for a model instance (or a collection of
/// them) by its annotation, in `module`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TypedName {
    pub module: String,
    pub name: String,
    /// The class named by the annotation (a model or not: pass 2 looks it up).
    pub model: String,
    /// `-> list[User]`: iterating gives instances.
    pub collection: bool,
}

/// Every model of the repository, resolved; read-only during pass 2.
#[derive(Debug, Clone, Default)]
pub struct ModelIndex {
    models: Vec<ModelDecl>,
    cascades: Vec<Cascade>,
    related: Vec<Related>,
    manager_methods: Vec<ManagerMethod>,
    /// Manager classes and their bases (custom managers subclassing custom managers).
    manager_classes: Vec<(String, Vec<String>)>,
    gorm_naming: GormNaming,
    conventions: Vec<(Language, Convention)>,
    prisma_relations: Vec<prisma_models::Relation>,
    sequelize_associations: Vec<sequelize_models::Association>,
    typed_names: Vec<TypedName>,
    /// `(module, key)` → the string a JS/TS module exports under `key`; `None` when two
    /// files of that module disagree.
    module_strings: BTreeMap<(String, String), Option<String>>,
    /// Base names of the modules that export a legacy table's name (`tableNames`): a file
    /// that says `tableNames.user` is worth parsing.
    table_name_modules: Vec<String>,
    /// Foreign keys the database enforces, from DDL anywhere in the repository (sorted).
    foreign_keys: Vec<crate::extract::foreign_keys::ForeignKey>,
}

impl ModelIndex {
    /// Resolve the declarations of all files (in path order) and the user's `[[models]]`.
    pub fn build(files: Vec<FileDecls>, config: &Config) -> ModelIndex {
        let mut index = ModelIndex::default();
        let mut sqlalchemy_schema = false;
        let mut table_names = Vec::new();
        let mut schema_sync: Vec<String> = Vec::new();
        let mut sequelize_defaults = Vec::new();
        for f in files {
            table_names.extend(f.table_names);
            schema_sync.extend(f.schema_sync);
            // In path order: the first setting of a key wins, as for GORM's strategy.
            sequelize_defaults.extend(f.sequelize_defaults);
            index
                .sequelize_associations
                .extend(f.sequelize_associations);
            index.models.extend(f.models);
            index.cascades.extend(f.cascades);
            index.related.extend(f.related);
            index.manager_methods.extend(f.manager_methods);
            index.manager_classes.extend(f.manager_classes);
            index.conventions.extend(f.conventions);
            index.prisma_relations.extend(f.prisma_relations);
            index.typed_names.extend(f.typed_names);
            for (module, key, value) in f.module_strings {
                let entry = index
                    .module_strings
                    .entry((module, key))
                    .or_insert(Some(value.clone()));
                if entry.as_deref() != Some(value.as_str()) {
                    *entry = None;
                }
            }
            sqlalchemy_schema |= f.sqlalchemy_creates_schema;
            if let Some(n) = f.gorm_naming {
                // Several strategies in one repository: the first (in path order) wins,
                // deterministically; docs/orm.md says so.
                if index.gorm_naming == GormNaming::default() {
                    index.gorm_naming = n;
                }
            }
        }
        python::resolve(&mut index.models, sqlalchemy_schema);
        go::resolve(&mut index.models, &table_names, &index.gorm_naming);
        typeorm_models::resolve(
            &mut index.models,
            schema_sync.iter().any(|f| f == "typeorm"),
        );
        let models = std::mem::take(&mut index.models);
        index.models = models
            .into_iter()
            .map(|mut m| {
                // Objection `static get tableName() { return tableNames.user }`.
                if m.framework == "objection"
                    && m.table.is_none()
                    && let Some((module, key)) =
                        m.table_ref.as_deref().and_then(|r| r.split_once('#'))
                {
                    m.table = index.module_string(module, key);
                }
                m
            })
            .collect();
        sequelize_models::resolve(
            &mut index.models,
            &mut index.cascades,
            &mut index.sequelize_associations,
            &sequelize_defaults,
            schema_sync.iter().any(|f| f == "sequelize"),
        );
        resolve_table_parents(&mut index.cascades, &index.models);
        for m in &config.models {
            let table = m.table.trim().to_string();
            // A declared model overrides what the resolver found for a class of that name
            // (a computed `db_table` it could not read), so the declaration still points at
            // the class; a name no code declares is added on its own.
            let mut matched = false;
            for decl in index
                .models
                .iter_mut()
                .filter(|d| d.language == m.language && d.name == m.name.trim())
            {
                decl.table = Some(table.clone());
                decl.source = TableSource::Config;
                matched = true;
            }
            if !matched {
                let mut decl = ModelDecl::new(
                    m.language,
                    m.framework.as_deref().unwrap_or(""),
                    m.name.trim(),
                    "",
                );
                decl.table = Some(table);
                decl.source = TableSource::Config;
                index.models.push(decl);
            }
        }
        for ((module, _), value) in &index.module_strings {
            if value
                .as_deref()
                .is_some_and(|v| config.tables.resolve_name(v).is_some())
            {
                let base = module.rsplit('/').next().unwrap_or(module);
                index.table_name_modules.push(base.to_string());
            }
        }
        index.table_name_modules.dedup();
        for m in &mut index.models {
            m.legacy = m
                .table
                .as_deref()
                .and_then(|t| config.tables.resolve_name(t).map(|l| l.display.clone()));
        }
        index.models.sort_by(|a, b| {
            (a.language, &a.name, &a.file, a.line).cmp(&(b.language, &b.name, &b.file, b.line))
        });
        index.related.sort();
        index.related.dedup();
        index.cascades.sort();
        index.cascades.dedup();
        index.manager_methods.sort();
        index.manager_methods.dedup();
        index.conventions.sort();
        index.conventions.dedup();
        index.prisma_relations.sort();
        index.prisma_relations.dedup();
        index.sequelize_associations.sort();
        index.sequelize_associations.dedup();
        index.typed_names.sort();
        index.typed_names.dedup();
        index
    }

    /// Record the repository's foreign keys (pass 1 reads them from every file's text).
    pub fn set_foreign_keys(&mut self, mut keys: Vec<crate::extract::foreign_keys::ForeignKey>) {
        keys.sort();
        keys.dedup();
        self.foreign_keys = keys;
    }

    /// The repository's foreign keys, sorted.
    pub fn foreign_keys(&self) -> &[crate::extract::foreign_keys::ForeignKey] {
        &self.foreign_keys
    }

    /// Relation fields of Prisma models, sorted.
    pub fn prisma_relations(&self) -> &[prisma_models::Relation] {
        &self.prisma_relations
    }

    /// The string a JS/TS module (path from the root, no extension; or its `index`)
    /// exports under `key`.
    pub fn module_string(&self, module: &str, key: &str) -> Option<String> {
        [module.to_string(), format!("{module}/index")]
            .into_iter()
            .find_map(|m| self.module_strings.get(&(m, key.to_string())))
            .cloned()
            .flatten()
    }

    /// Every `(key, string)` a JS/TS module exports (its own file, else its `index`).
    pub fn module_entries(&self, module: &str) -> Vec<(String, String)> {
        for m in [module.to_string(), format!("{module}/index")] {
            let found: Vec<(String, String)> = self
                .module_strings
                .iter()
                .filter(|((path, _), _)| *path == m)
                .filter_map(|((_, k), v)| v.clone().map(|v| (k.clone(), v)))
                .collect();
            if !found.is_empty() {
                return found;
            }
        }
        Vec::new()
    }

    /// Sequelize associations, with model names resolved.
    pub fn sequelize_associations(&self) -> &[sequelize_models::Association] {
        &self.sequelize_associations
    }

    /// The naming conventions turned on for `language` (Identity first, always).
    pub fn conventions(&self, language: Language) -> Vec<Convention> {
        let mut out = vec![Convention::Identity];
        out.extend(
            self.conventions
                .iter()
                .filter(|(l, _)| *l == language)
                .map(|(_, c)| *c),
        );
        out.dedup();
        out
    }

    /// The configured legacy table an identifier written in code names (`'orders_legacy'`,
    /// or `'ordersLegacy'` when the project maps camelCase to snake_case), trying the
    /// conventions of `language` in order. For query builders that name tables as strings.
    pub fn table_for_identifier(
        &self,
        tables: &crate::config::TableMatcher,
        language: Language,
        identifier: &str,
    ) -> Option<String> {
        self.conventions(language).into_iter().find_map(|c| {
            tables
                .resolve_name(&c.apply(identifier))
                .map(|t| t.display.clone())
        })
    }

    pub fn is_empty(&self) -> bool {
        self.models.is_empty()
    }

    pub fn models(&self) -> &[ModelDecl] {
        &self.models
    }

    pub fn gorm_naming(&self) -> &GormNaming {
        &self.gorm_naming
    }

    /// The concrete models called `name` in `language` (several when two modules declare
    /// the same name).
    pub fn find(&self, language: Language, name: &str) -> Vec<&ModelDecl> {
        self.models
            .iter()
            .filter(|m| {
                m.language == language
                    && (m.name == name || m.aliases.iter().any(|a| a == name))
                    && !m.framework.is_empty()
            })
            .collect()
    }

    /// The model called `name` if it maps to a legacy table. `module` (a dotted import path
    /// or a package qualifier) picks among equal names when given and known.
    pub fn legacy(
        &self,
        language: Language,
        name: &str,
        module: Option<&str>,
    ) -> Option<&ModelDecl> {
        let found = self.find(language, name);
        let in_module = |m: &&&ModelDecl| {
            module.is_some_and(|q| {
                m.module == q
                    || m.module.ends_with(&format!(".{q}"))
                    || m.module.rsplit(['/', '.']).next() == Some(q)
            })
        };
        let chosen = found.iter().find(in_module).or_else(|| {
            if found.len() == 1 || module.is_none() {
                found.first()
            } else {
                None
            }
        })?;
        chosen.legacy.is_some().then_some(*chosen)
    }

    /// Cascades triggered by deleting a `parent` whose child maps to a legacy table.
    pub fn cascades_from(&self, language: Language, parent: &str) -> Vec<(&Cascade, &ModelDecl)> {
        self.cascades
            .iter()
            .filter(|c| c.language == language && c.parent == parent)
            .filter_map(|c| self.legacy(language, &c.child, None).map(|m| (c, m)))
            .collect()
    }

    /// The legacy tables deleting a `parent` writes, through chains of cascades: a child
    /// deleted by a cascade deletes its own children in turn (`Team` → `Envelope` →
    /// `Recipient`), while `SET NULL` stops there. The shortest chain per (child,
    /// operation), breadth first, bounded.
    pub fn cascade_chains(
        &self,
        language: Language,
        parent: &str,
    ) -> Vec<(Vec<&Cascade>, &ModelDecl)> {
        let mut out: Vec<(Vec<&Cascade>, &ModelDecl)> = Vec::new();
        let mut seen: Vec<&str> = vec![parent];
        let mut frontier: Vec<(&str, Vec<&Cascade>)> = vec![(parent, Vec::new())];
        for _depth in 0..8 {
            let mut next = Vec::new();
            for (model, chain) in &frontier {
                for c in self
                    .cascades
                    .iter()
                    .filter(|c| c.language == language && c.parent == *model)
                {
                    let mut path = chain.clone();
                    path.push(c);
                    if let Some(child) = self.legacy(language, &c.child, None)
                        && !out.iter().any(|(p, m)| {
                            m.name == child.name
                                && p.last().map(|l| l.operation) == Some(c.operation)
                        })
                    {
                        out.push((path.clone(), child));
                    }
                    if c.operation == Operation::Delete && !seen.contains(&c.child.as_str()) {
                        seen.push(&c.child);
                        next.push((c.child.as_str(), path));
                    }
                }
            }
            if next.is_empty() {
                break;
            }
            frontier = next;
        }
        out
    }

    /// Every cascade triggered by deleting a `parent`, whether or not its child is legacy
    /// (the child's own cascades may reach a legacy table).
    pub fn cascades_from_any(&self, language: Language, parent: &str) -> Vec<&Cascade> {
        self.cascades
            .iter()
            .filter(|c| c.language == language && c.parent == parent)
            .collect()
    }

    /// The model whose explicit one-to-one `related_name` is `accessor`, when exactly one
    /// Python model declares it (`user.usersettings_helpdesk` → `UserSettings`).
    pub fn reverse_one_to_one(&self, accessor: &str) -> Option<&ModelDecl> {
        let mut found = self.related.iter().filter(|r| {
            r.language == Language::Python && r.parent == ANY_PARENT && r.accessor == accessor
        });
        let first = found.next()?;
        if found.next().is_some() {
            return None;
        }
        self.find(Language::Python, &first.child).into_iter().next()
    }

    /// The only Python model with a mutator method called `method`, if exactly one has.
    pub fn mutator_owner(&self, method: &str) -> Option<&ModelDecl> {
        let mut owners = self
            .models
            .iter()
            .filter(|m| m.language == Language::Python && m.mutators.iter().any(|x| x == method));
        let first = owners.next()?;
        owners.next().is_none().then_some(first)
    }

    /// The model `parent_instance.accessor` is a related manager of, if any.
    pub fn related(&self, language: Language, parent: &str, accessor: &str) -> Option<&ModelDecl> {
        let r = self
            .related
            .iter()
            .find(|r| r.language == language && r.parent == parent && r.accessor == accessor)?;
        self.find(language, &r.child).into_iter().next()
    }

    /// Python functions / aliases called `name` whose annotation names a class, with the
    /// module they are declared in (sorted).
    pub fn typed_names(&self, name: &str) -> impl Iterator<Item = &TypedName> {
        self.typed_names.iter().filter(move |t| t.name == name)
    }

    /// Related accessors declared on `parent` (`relationship`, Django foreign keys).
    pub fn relations_of(&self, language: Language, parent: &str) -> Vec<&Related> {
        self.related
            .iter()
            .filter(|r| r.language == language && r.parent == parent)
            .collect()
    }

    /// Whether `class` is a manager / QuerySet class declared in the repository.
    pub fn is_manager_class(&self, class: &str) -> bool {
        self.manager_classes.iter().any(|(n, _)| n == class)
    }

    /// What `class.method` does, following the manager class's bases.
    pub fn manager_method(
        &self,
        language: Language,
        class: &str,
        method: &str,
    ) -> Vec<&ManagerMethod> {
        let classes = self.manager_lineage(class);
        for c in &classes {
            let found: Vec<&ManagerMethod> = self
                .manager_methods
                .iter()
                .filter(|m| m.language == language && m.class == *c && m.method == method)
                .collect();
            if !found.is_empty() {
                return found;
            }
        }
        Vec::new()
    }

    /// The legacy models whose manager is `class` or a subclass / `from_queryset` of it
    /// (findings inside a manager's or QuerySet's methods).
    pub fn models_managed_by(&self, language: Language, class: &str) -> Vec<&ModelDecl> {
        self.models
            .iter()
            .filter(|m| m.language == language && m.legacy.is_some())
            .filter(|m| {
                m.managers
                    .iter()
                    .any(|(_, c)| self.manager_lineage(c).iter().any(|x| x == class))
            })
            .collect()
    }

    /// A manager class and its bases, transitively (bounded).
    fn manager_lineage(&self, class: &str) -> Vec<String> {
        let mut classes = vec![class.to_string()];
        let mut i = 0;
        while i < classes.len() && i < 16 {
            if let Some((_, bases)) = self.manager_classes.iter().find(|(n, _)| *n == classes[i]) {
                for b in bases {
                    if !classes.contains(b) {
                        classes.push(b.clone());
                    }
                }
            }
            i += 1;
        }
        classes
    }

    /// Words that make a file worth parsing in pass 2 (see `prefilter_words`), without
    /// their companions.
    pub fn prefilter_names(&self) -> Vec<String> {
        self.prefilter_words().into_iter().map(|w| w.word).collect()
    }

    /// Words that make a file worth parsing in pass 2: legacy model names, their manager
    /// classes, the functions typed as returning one, and the parents that reach a legacy
    /// table through a relation or a cascading delete. A Python parent counts only with a
    /// companion word, since a parent is only a way in when the file follows the relation
    /// (`customer.orders`, `filter(orders__…)`) or deletes (`user.delete()`, `DeleteView`):
    /// a file that merely says `User` never reaches `orders` through it.
    pub fn prefilter_words(&self) -> Vec<ModelWord> {
        let mut words: Vec<ModelWord> = Vec::new();
        let mut alone = |word: String| words.push(ModelWord::alone(word));
        self.table_name_modules.iter().cloned().for_each(&mut alone);
        for m in self.models.iter().filter(|m| m.legacy.is_some()) {
            alone(m.name.clone());
            m.aliases.iter().cloned().for_each(&mut alone);
            if m.framework == "prisma" {
                // Code says `prisma.legacyOrder`, never the model's name.
                alone(prisma_models::accessor(&m.name));
            }
            m.managers
                .iter()
                .map(|(_, c)| c.clone())
                .for_each(&mut alone);
            // `anything.revoke_token()` then a commit writes the model's row.
            m.mutators
                .iter()
                .filter(|x| x.contains('_') && self.mutator_owner(x).is_some())
                .cloned()
                .for_each(&mut alone);
        }
        // A Prisma model whose relation field holds a legacy model: nested writes through
        // `prisma.customer.create({ data: { orders: { create: … } } })`.
        for m in self.models.iter().filter(|m| m.framework == "prisma") {
            if m.associations
                .iter()
                .any(|(_, child)| self.legacy(Language::TypeScript, child, None).is_some())
            {
                alone(prisma_models::accessor(&m.name));
            }
        }
        // A TypeORM entity with a relation to a legacy entity: `relations: ["orders"]`.
        for m in self.models.iter().filter(|m| m.framework == "typeorm") {
            if m.associations
                .iter()
                .any(|(_, child)| self.legacy(m.language, child, None).is_some())
            {
                alone(m.name.clone());
            }
        }
        // Python: a model with a relation to a legacy model (`post.author`), and the
        // functions / aliases whose annotation names one (`crud.get_user(…)`,
        // `current_user`): files naming only those reach the legacy table too.
        for r in self
            .related
            .iter()
            .filter(|r| r.language == Language::Python)
        {
            if self.legacy(Language::Python, &r.child, None).is_some() {
                // A reverse one-to-one named explicitly is reached from any object
                // (`user.usersettings_helpdesk`): the accessor is the word. Otherwise the
                // parent, with the accessor (Django's default `order_set` is `order__` in
                // lookups).
                if r.parent == ANY_PARENT {
                    words.push(ModelWord::alone(r.accessor.clone()));
                } else {
                    let accessor = r.accessor.trim_end_matches("_set").to_string();
                    words.push(ModelWord::with(r.parent.clone(), vec![accessor]));
                }
            }
        }
        for t in &self.typed_names {
            let model = python::models::hint_class(&t.model).map(|(m, _)| m);
            if model.is_some_and(|m| self.legacy(Language::Python, &m, None).is_some()) {
                // `InvoiceSchema.load`, `OrderForm.save`: files name the class.
                words.push(ModelWord::alone(
                    t.name.split('.').next().unwrap_or(&t.name).to_string(),
                ));
            }
        }
        // Parents whose deletion reaches a legacy table, through chains of cascading
        // deletes too (bounded).
        let mut reaching: Vec<(Language, String)> = Vec::new();
        for _ in 0..16 {
            let before = reaching.len();
            for c in &self.cascades {
                let child_reaches = self.legacy(c.language, &c.child, None).is_some()
                    || (c.operation == Operation::Delete
                        && reaching
                            .iter()
                            .any(|(l, n)| *l == c.language && *n == c.child));
                let parent = (c.language, c.parent.clone());
                if child_reaches && !reaching.contains(&parent) {
                    reaching.push(parent);
                }
            }
            if reaching.len() == before {
                break;
            }
        }
        for c in &self.cascades {
            if c.framework == "prisma" && reaching.iter().any(|(_, n)| *n == c.parent) {
                words.push(ModelWord::alone(prisma_models::accessor(&c.parent)));
            }
        }
        for (language, parent) in reaching {
            words.push(match language {
                Language::Python => {
                    ModelWord::with(parent, DELETE_WORDS.map(String::from).to_vec())
                }
                _ => ModelWord::alone(parent),
            });
        }
        ModelWord::merge(words)
    }

    /// One finding per declaration of a model mapped to a legacy table: `ddl create` when
    /// the framework creates the table from it, `declare` otherwise.
    pub fn declaration_findings(&self) -> Vec<Finding> {
        self.models
            .iter()
            .filter(|m| !m.file.is_empty())
            .filter_map(|m| {
                let table = m.legacy.clone()?;
                let (access, operation) = if m.defines_schema {
                    (Access::Ddl, Operation::Create)
                } else {
                    (Access::Declare, Operation::Declare)
                };
                let confidence = match m.source {
                    TableSource::Explicit => Confidence::Parsed,
                    _ => Confidence::Inferred,
                };
                let site = Site {
                    file: m.file.clone(),
                    line: m.line,
                    column: m.column,
                    language: m.language,
                    function: None,
                    evidence: m.evidence.clone(),
                    sink: None,
                    framework: Some(m.framework.clone()),
                };
                Some(site.finding(table, access, operation, Kind::ModelDeclaration, confidence))
            })
            .collect()
    }
}

/// Bytes that make any Python file a model file (sorted).
/// A return annotation or an `Annotated` alias: pass 2 types calls and names by them. A
/// file with only these is read by a byte scan (`python::models::typed_names_by_text`),
/// not parsed: nearly every file of a typed code base has one.
pub(crate) const PYTHON_TYPED_MARKERS: &[&[u8]] = &[b") ->", b"Annotated["];

pub(crate) const PYTHON_MODEL_MARKERS: &[&[u8]] = &[
    b"AutoSchema",
    b"DeclarativeBase",
    b"ModelForm",
    b"__table__",
    b"__tablename__",
    b"create_all(",
    b"db.Model",
    b"declarative_base",
    b"models.Model",
    b"peewee",
    b"playhouse",
    b"table=True",
    b"user_loader",
];

/// Whether a file can declare a model at all: a path and byte check before any parsing.
/// Pass 1 reads every code file, so this must reject most of them: Django requires models
/// to be importable from the app's `models` module, so apart from a direct
/// `models.Model` subclass only `models.py`, `models/…`, `managers.py` and `querysets.py`
/// are looked at; SQLAlchemy and GORM have markers of their own.
pub fn may_declare(language: Language, rel: &str, text: &[u8]) -> bool {
    let has = |n: &[u8]| memchr::memmem::find(text, n).is_some();
    match language {
        Language::Python => {
            PYTHON_TYPED_MARKERS.iter().any(|n| has(n))
                || python::models::declares_models(rel, text)
        }
        Language::Go => {
            has(b"gorm")
                || has(b"TableName()")
                || has(b"uptrace/bun")
                || has(b"bun:\"")
                || has(b"ent.Schema")
        }
        Language::TypeScript | Language::JavaScript => {
            rel.ends_with(".prisma")
                || typescript::may_declare(text)
                || typeorm_models::may_declare(text)
                || sequelize_models::may_declare(text)
                || typescript::objection_models::may_declare(text)
        }
        Language::Sql => false,
    }
}

/// The declarations of one decoded file. `catalog` says what custom manager methods do.
pub fn declarations(language: Language, rel: &str, text: &str, catalog: &OrmCatalog) -> FileDecls {
    match language {
        Language::Python => python::declarations(rel, text, catalog),
        Language::Go => go::declarations(rel, text),
        Language::TypeScript if rel.ends_with(".prisma") => prisma_models::declarations(rel, text),
        Language::TypeScript | Language::JavaScript => {
            typescript::declarations(rel, language, text)
        }
        Language::Sql => FileDecls::default(),
    }
}

/// Pass 1: read every file that can declare a model (in parallel) and build the index.
/// A file that cannot be read or decoded here is skipped silently: pass 2 reads it again
/// and reports it.
pub fn collect(files: &[SourceFile], config: &Config) -> ModelIndex {
    collect_and_triage(files, config, None).0
}

/// Whether pass 2 must parse a decoded file (its language, its text).
pub type NeedsScan<'a> = &'a (dyn Fn(Language, &str) -> bool + Sync);

/// Pass 1, and while each file is in memory, pass 2's question: does it need a scan?
/// Returns the index and, per file (in `files` order), `Some(bytes)` when the file was read
/// and decoded cleanly and `needs_scan` said no, so pass 2 need not read it again; `None`
/// when pass 2 must read it (a `.sql` file, a read or decode failure to report, a yes).
pub fn collect_and_triage(
    files: &[SourceFile],
    config: &Config,
    needs_scan: Option<NeedsScan<'_>>,
) -> (ModelIndex, Vec<Option<u64>>) {
    let catalog = OrmCatalog::for_language(Language::Python, &config.orm);
    let per_file: Vec<(FileDecls, Option<u64>)> = files
        .par_iter()
        .map_init(Vec::new, |buf, file| {
            if file.language == Language::Sql
                || read_file(file, config.scan.max_file_size, buf).is_err()
            {
                return (FileDecls::default(), None);
            }
            let declares = may_declare(file.language, &file.rel, buf);
            if !declares && needs_scan.is_none() {
                return (FileDecls::default(), None);
            }
            let Ok(decoded) = decode(buf) else {
                return (FileDecls::default(), None);
            };
            let settled = needs_scan
                .filter(|needs| !needs(file.language, &decoded.text))
                .map(|_| buf.len() as u64);
            let decls = if declares {
                declarations(file.language, &file.rel, &decoded.text, &catalog)
            } else {
                FileDecls::default()
            };
            (decls, settled)
        })
        .collect();
    let (decls, settled): (Vec<FileDecls>, Vec<Option<u64>>) = per_file.into_iter().unzip();
    (ModelIndex::build(decls, config), settled)
}

/// The first line of a declaration, for evidence.
pub(crate) fn first_line(text: &str) -> String {
    crate::extract::evidence(text.lines().next().unwrap_or(""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{LegacyTable, Phase, TableMatcher};
    use crate::sql::TableName;

    #[test]
    fn a_word_that_counts_alone_for_one_reason_counts_alone() {
        let w = |word: &str, companions: &[&str]| {
            ModelWord::with(
                word.into(),
                companions.iter().map(|c| c.to_string()).collect(),
            )
        };
        let merged = ModelWord::merge(vec![
            w("User", &["orders"]),
            w("Team", &["delete"]),
            w("User", &[]),
            w("Team", &["members", "delete"]),
            w("ab", &[]),
        ]);
        assert_eq!(
            merged,
            vec![w("Team", &["delete", "members"]), w("User", &[])]
        );
    }

    fn tables(names: &[&str]) -> TableMatcher {
        TableMatcher::new(
            names
                .iter()
                .map(|n| LegacyTable {
                    display: n.to_string(),
                    name: TableName::parse_config(n),
                    replacements: Vec::new(),
                    phase: Phase::default(),
                    severity: None,
                    dual_write_helpers: Vec::new(),
                })
                .collect(),
        )
    }

    #[test]
    fn identifiers_map_through_the_languages_conventions() {
        let t = tables(&["order_items"]);
        let mut index = ModelIndex::default();
        assert_eq!(
            index.table_for_identifier(&t, Language::TypeScript, "orderItems"),
            None
        );
        index
            .conventions
            .push((Language::TypeScript, Convention::SnakeCase));
        assert_eq!(
            index
                .table_for_identifier(&t, Language::TypeScript, "orderItems")
                .as_deref(),
            Some("order_items")
        );
        assert_eq!(
            index
                .table_for_identifier(&t, Language::TypeScript, "order_items")
                .as_deref(),
            Some("order_items")
        );
        assert_eq!(
            index.table_for_identifier(&t, Language::Python, "orderItems"),
            None,
            "conventions are per language"
        );
    }

    #[test]
    fn cascades_chain_through_deleted_children_only() {
        let cascade = |parent: &str, child: &str, operation| Cascade {
            language: Language::TypeScript,
            framework: "prisma".into(),
            parent: parent.into(),
            child: child.into(),
            child_file: String::new(),
            operation,
            via: format!("{child}.{parent}"),
        };
        let mut index = ModelIndex::default();
        for name in ["Team", "Envelope", "Recipient", "Note", "Folder"] {
            let mut m = ModelDecl::new(Language::TypeScript, "prisma", name, "schema.prisma");
            m.legacy = matches!(name, "Recipient" | "Note").then(|| name.to_lowercase());
            index.models.push(m);
        }
        index.cascades = vec![
            cascade("Team", "Envelope", Operation::Delete),
            cascade("Envelope", "Recipient", Operation::Delete),
            // A SET NULL child is updated, not deleted: its own children stay.
            cascade("Team", "Folder", Operation::Update),
            cascade("Folder", "Note", Operation::Delete),
            // A cycle ends.
            cascade("Envelope", "Team", Operation::Delete),
        ];
        let got: Vec<(String, Vec<String>)> = index
            .cascade_chains(Language::TypeScript, "Team")
            .into_iter()
            .map(|(path, m)| (m.name.clone(), path.iter().map(|c| c.via.clone()).collect()))
            .collect();
        assert_eq!(
            got,
            [(
                "Recipient".to_string(),
                vec![
                    "Envelope.Team".to_string(),
                    "Recipient.Envelope".to_string()
                ]
            )]
        );
        // Deleting a team reaches a legacy table only through a chain: the name still
        // makes a file worth parsing.
        assert!(index.prefilter_names().contains(&"team".to_string()));
    }

    #[test]
    fn data_tables_are_sorted() {
        assert!(PYTHON_MODEL_MARKERS.is_sorted());
        assert!(python::models::TYPING_WORDS.is_sorted());
        assert!(naming::IRREGULAR.is_sorted());
        assert!(naming::UNCOUNTABLE.is_sorted());
        assert!(typescript::models::SNAKE_CASE_MARKERS.is_sorted());
        assert!(prisma_models::SCALARS.is_sorted());
        assert!(typescript::prisma_usages::WRITE_KEYS.is_sorted());
        assert!(typescript::prisma_usages::LINK_OPERATIONS.is_sorted());
        assert!(typescript::models::DRIZZLE_TABLES.is_sorted());
    }

    #[test]
    fn byte_checks_pick_model_files() {
        let py = |rel: &str, text: &[u8]| may_declare(Language::Python, rel, text);
        assert!(py("a/views.py", b"class A(models.Model):"));
        assert!(py("a/db.py", b"__tablename__ = 't'"));
        assert!(py("a/db.py", b"t = Table('t', metadata)"));
        assert!(!py("a/views.py", b"Table('x')  # a UI table"));
        assert!(!py("a/views.py", b"def f():\n    return 1\n"));
        // A subclass of a project base class: only in a models module.
        assert!(py("shop/models.py", b"class Order(BaseModel):"));
        assert!(py("shop/models/order.py", b"class Order(BaseModel):"));
        assert!(!py("shop/schema.py", b"class OrderType(ModelObjectType):"));
        assert!(may_declare(
            Language::Go,
            "m.go",
            b"import \"gorm.io/gorm\""
        ));
        assert!(!may_declare(
            Language::Go,
            "m.go",
            b"package main\nfunc main() {}"
        ));
    }
}
