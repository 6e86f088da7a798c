//! Configuration: `cutover.toml` (found in the scanned path or its parents, or given with
//! `--config`) merged with command-line flags into one checked `Config`. Unknown keys and bad
//! values are errors naming the file, line and key. Every value is checked here, while the
//! file is read, so that each command rejects the same file with the same message: globs
//! compile, component kinds and `db_clients` entries are known, sinks name a call, sizes
//! are sane. Checks run inside deserialization, so the TOML parser's error (file, line,
//! column, the line itself) carries them. No other stage reads the file or the command line.

use crate::model::Language;
use crate::sql::{Dialect, TableName};
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Deserializer};
use std::path::{Path, PathBuf};

pub const CONFIG_FILE_NAME: &str = "cutover.toml";
const DEFAULT_MAX_FILE_SIZE: u64 = 4 * 1024 * 1024;
/// Minified bundles and generated dumps put megabytes on one line; parsing them costs
/// gigabytes of syntax tree and minutes, and they are not code anyone migrates by hand.
const DEFAULT_MAX_LINE_LENGTH: u64 = 1024 * 1024;
/// The largest size setting accepted: a file is read into memory whole, so a larger limit
/// is a typo, not a choice (and would overflow the reader's arithmetic near `u64::MAX`).
pub const MAX_SIZE_SETTING: u64 = 16 << 30;
/// `MAX_SIZE_SETTING` as users write it.
const MAX_SIZE_SETTING_TEXT: &str = "16GiB";

/// The migration phase of a legacy table; it decides what `audit` forbids.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Deserialize, serde::Serialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    #[default]
    Prepare,
    DualWrite,
    ShadowRead,
    Cutover,
    Cleanup,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Prepare => "prepare",
            Phase::DualWrite => "dual-write",
            Phase::ShadowRead => "shadow-read",
            Phase::Cutover => "cutover",
            Phase::Cleanup => "cleanup",
        }
    }
}

/// `replacement = "orders"` or `replacement = ["orders", "newdb.orders"]`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            OneOrMany::None => Vec::new(),
            OneOrMany::One(s) => vec![s.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

/// Severity override for a table's audit findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
    Note,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DualWriteConfig {
    #[serde(default)]
    pub helpers: Vec<String>,
}

/// One `[[tables]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableConfig {
    #[serde(deserialize_with = "de_name")]
    pub name: String,
    #[serde(default)]
    pub replacement: OneOrMany,
    #[serde(default)]
    pub phase: Phase,
    #[serde(default)]
    pub severity: Option<Severity>,
    #[serde(default)]
    pub dual_write: Option<DualWriteConfig>,
}

/// `[scan]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanConfig {
    #[serde(default, deserialize_with = "de_globs")]
    pub exclude: Vec<String>,
    #[serde(default = "default_max_file_size", deserialize_with = "de_size")]
    pub max_file_size: u64,
    /// A file that mentions a legacy table but has a longer line (minified or generated) is
    /// reported as too large instead of parsed.
    #[serde(default = "default_max_line_length", deserialize_with = "de_size")]
    pub max_line_length: u64,
    /// Follow symbolic links while walking (off: a link is reported, not followed).
    #[serde(default)]
    pub follow_symlinks: bool,
    /// Scan hidden files and directories too.
    #[serde(default)]
    pub hidden: bool,
    /// Scan vendored, minified and generated code too (`--include-generated`).
    #[serde(default)]
    pub include_generated: bool,
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            exclude: Vec::new(),
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            max_line_length: DEFAULT_MAX_LINE_LENGTH,
            follow_symlinks: false,
            hidden: false,
            include_generated: false,
        }
    }
}

fn default_max_file_size() -> u64 {
    DEFAULT_MAX_FILE_SIZE
}

fn default_max_line_length() -> u64 {
    DEFAULT_MAX_LINE_LENGTH
}

fn de_size<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Int(u64),
        Text(String),
    }
    match Raw::deserialize(d)? {
        Raw::Int(n) => check_size(n, &n.to_string()).map_err(serde::de::Error::custom),
        Raw::Text(s) => parse_size(&s).map_err(serde::de::Error::custom),
    }
}

fn check_size(bytes: u64, text: &str) -> Result<u64, String> {
    if bytes > MAX_SIZE_SETTING {
        return Err(format!(
            "size `{text}` is over the limit of {MAX_SIZE_SETTING_TEXT} (files are read into \
             memory whole)"
        ));
    }
    Ok(bytes)
}

/// Parse `4MiB`, `512 KB`, `100000` into bytes; at most `MAX_SIZE_SETTING`.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| format!("invalid size `{text}`: expected a number with a unit like 4MiB"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "kib" => 1 << 10,
        "m" | "mb" => 1_000_000,
        "mib" => 1 << 20,
        "g" | "gb" => 1_000_000_000,
        "gib" => 1 << 30,
        other => {
            return Err(format!(
                "invalid size unit `{other}` in `{text}`: use B, KB, KiB, MB, MiB, GB or GiB"
            ));
        }
    };
    let bytes = value * mult as f64;
    // `as` saturates: a huge or infinite value becomes `u64::MAX`, which the check refuses.
    check_size(bytes as u64, text)
}

/// A `Vec<String>` of globs, each of which must compile (`scan.exclude`, `paths`).
fn de_globs<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let globs = Vec::<String>::deserialize(d)?;
    for g in &globs {
        globset::Glob::new(g)
            .map_err(|e| serde::de::Error::custom(format!("invalid glob `{g}`: {}", e.kind())))?;
    }
    Ok(globs)
}

/// A name that must not be blank (tables, models, components).
fn de_name<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let name = String::deserialize(d)?;
    if name.trim().is_empty() {
        return Err(serde::de::Error::custom("the name is empty"));
    }
    Ok(name)
}

/// A component's declared kind, one of the plan's kinds.
fn de_kind<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let kind = String::deserialize(d)?;
    if crate::plan::kinds::ComponentKind::parse(&kind).is_none() {
        let known: Vec<&str> = crate::plan::kinds::ComponentKind::ALL
            .iter()
            .map(|k| k.as_str())
            .collect();
        return Err(serde::de::Error::custom(format!(
            "unknown component kind `{kind}`: expected one of {}",
            known.join(", ")
        )));
    }
    Ok(Some(kind))
}

/// `db_clients` entries, each a selector the log reconciliation understands.
fn de_db_clients<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let clients = Vec::<String>::deserialize(d)?;
    for c in &clients {
        crate::logs::reconcile::Selector::parse(c)
            .map_err(|e| serde::de::Error::custom(format!("{e:#}")))?;
    }
    Ok(clients)
}

/// A `log_line_prefix` the stderr reader understands.
fn de_log_line_prefix<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let prefix = String::deserialize(d)?;
    crate::logs::postgres_stderr::Prefix::parse(&prefix)
        .map_err(|e| serde::de::Error::custom(format!("{e:#}")))?;
    Ok(Some(prefix))
}

/// Whether `call` is `function`, `method` or `receiver.method` (names joined by dots).
fn is_call_pattern(call: &str) -> bool {
    !call.is_empty()
        && call.split('.').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '$')
        })
}

/// A user-declared SQL sink (`[[sinks]]`): a wrapper whose argument is SQL, or names a table.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(try_from = "RawSink")]
pub struct SinkConfig {
    pub language: Language,
    /// `receiver.method` or a bare function name.
    pub call: String,
    #[serde(default)]
    pub sql_arg: Option<usize>,
    #[serde(default)]
    pub table_arg: Option<usize>,
    /// With `table_arg`: what the call does to the table.
    #[serde(default)]
    pub access: Option<crate::model::Access>,
    #[serde(default)]
    pub operation: Option<crate::model::Operation>,
}

/// `[[sinks]]` as written, before its checks.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSink {
    language: Language,
    call: String,
    #[serde(default)]
    sql_arg: Option<usize>,
    #[serde(default)]
    table_arg: Option<usize>,
    #[serde(default)]
    access: Option<crate::model::Access>,
    #[serde(default)]
    operation: Option<crate::model::Operation>,
}

impl TryFrom<RawSink> for SinkConfig {
    type Error = String;

    fn try_from(r: RawSink) -> Result<SinkConfig, String> {
        if !is_call_pattern(&r.call) {
            return Err(format!(
                "sink call `{}` is not a function name or `receiver.method` (names of letters, \
                 digits, `_` or `$`, joined by dots)",
                r.call
            ));
        }
        if r.sql_arg.is_none() && r.table_arg.is_none() {
            return Err(format!(
                "sink `{}` needs `sql_arg` or `table_arg` (the 0-based position of the SQL or \
                 of the table name)",
                r.call
            ));
        }
        Ok(SinkConfig {
            language: r.language,
            call: r.call,
            sql_arg: r.sql_arg,
            table_arg: r.table_arg,
            access: r.access,
            operation: r.operation,
        })
    }
}

/// A user-declared ORM row (`[[orm]]`): a house framework's or a repository wrapper's
/// method that reads or writes the table of the model it is called on. Same fields as a
/// row of `catalog/<lang>.toml`, plus the language.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(try_from = "RawOrm")]
pub struct OrmConfig {
    pub language: Language,
    pub framework: String,
    pub receiver: crate::catalog::OrmReceiver,
    pub method: String,
    #[serde(default)]
    pub access: Option<crate::model::Access>,
    #[serde(default)]
    pub operation: Option<crate::model::Operation>,
    #[serde(default)]
    pub model_arg: Option<usize>,
    #[serde(default)]
    pub instance_arg: Option<usize>,
    #[serde(default)]
    pub table_arg: Option<usize>,
    #[serde(default)]
    pub kind: Option<crate::model::Kind>,
}

/// `[[orm]]` as written, before its checks.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOrm {
    language: Language,
    framework: String,
    receiver: crate::catalog::OrmReceiver,
    method: String,
    #[serde(default)]
    access: Option<crate::model::Access>,
    #[serde(default)]
    operation: Option<crate::model::Operation>,
    #[serde(default)]
    model_arg: Option<usize>,
    #[serde(default)]
    instance_arg: Option<usize>,
    #[serde(default)]
    table_arg: Option<usize>,
    #[serde(default)]
    kind: Option<crate::model::Kind>,
}

impl TryFrom<RawOrm> for OrmConfig {
    type Error = String;

    fn try_from(r: RawOrm) -> Result<OrmConfig, String> {
        if !is_call_pattern(&r.method) || r.method.contains('.') {
            return Err(format!(
                "orm method `{}` is not a method name (letters, digits, `_` or `$`)",
                r.method
            ));
        }
        if r.access.is_some() != r.operation.is_some() {
            return Err(format!(
                "orm row `{}` needs both `access` and `operation`, or neither",
                r.method
            ));
        }
        if r.access.is_none()
            && r.model_arg.is_none()
            && r.instance_arg.is_none()
            && r.table_arg.is_none()
        {
            return Err(format!(
                "orm row `{}` needs `access` or an argument that names the model \
                 (`model_arg`, `instance_arg`, `table_arg`)",
                r.method
            ));
        }
        Ok(OrmConfig {
            language: r.language,
            framework: r.framework,
            receiver: r.receiver,
            method: r.method,
            access: r.access,
            operation: r.operation,
            model_arg: r.model_arg,
            instance_arg: r.instance_arg,
            table_arg: r.table_arg,
            kind: r.kind,
        })
    }
}

/// A user-declared wrapper (`[[wrappers]]`): a project function that reads or writes
/// legacy tables on behalf of its callers (`billing.charge_customer` writes
/// `payments_legacy`). Its call sites are listed as callers of those tables, apart from the
/// direct findings.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(try_from = "RawWrapper")]
pub struct WrapperConfig {
    /// `module.function`, `Type.method` or a bare name; calls match on the last segment
    /// and, when the call is qualified, on the qualifier's last name too.
    pub function: String,
    pub writes: Vec<String>,
    pub reads: Vec<String>,
}

/// `[[wrappers]]` as written, before its checks.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWrapper {
    function: String,
    #[serde(default)]
    writes: Vec<String>,
    #[serde(default)]
    reads: Vec<String>,
}

impl TryFrom<RawWrapper> for WrapperConfig {
    type Error = String;

    fn try_from(r: RawWrapper) -> Result<WrapperConfig, String> {
        if !is_call_pattern(&r.function) {
            return Err(format!(
                "wrapper function `{}` is not a function name or `module.function` (names of \
                 letters, digits, `_` or `$`, joined by dots)",
                r.function
            ));
        }
        if r.writes.is_empty() && r.reads.is_empty() {
            return Err(format!(
                "wrapper `{}` needs `writes` or `reads` (the legacy tables it touches)",
                r.function
            ));
        }
        if let Some(t) = r
            .writes
            .iter()
            .chain(&r.reads)
            .find(|t| t.trim().is_empty())
        {
            return Err(format!(
                "wrapper `{}` names an empty table `{t}`",
                r.function
            ));
        }
        Ok(WrapperConfig {
            function: r.function,
            writes: r.writes,
            reads: r.reads,
        })
    }
}

/// A user-declared model (`[[models]]`): a model whose table the resolver cannot see (a
/// computed `db_table`, a table name from settings).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// The class, struct or entity name as code refers to it (`LegacyOrder`).
    #[serde(deserialize_with = "de_name")]
    pub name: String,
    /// The table it maps to (`orders_legacy`, may be schema-qualified).
    #[serde(deserialize_with = "de_name")]
    pub table: String,
    pub language: Language,
    /// The framework whose calls use it (`django`, `sqlalchemy`, `gorm`…); any when absent.
    #[serde(default)]
    pub framework: Option<String>,
}

/// A declared component (`[[components]]`): a service, worker or job and its DB identity.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentConfig {
    #[serde(deserialize_with = "de_name")]
    pub name: String,
    #[serde(default, deserialize_with = "de_globs")]
    pub paths: Vec<String>,
    /// One of the plan's kinds (`api`, `worker`, `cron`, `cli`, `library`, `infra`).
    #[serde(default, deserialize_with = "de_kind")]
    pub kind: Option<String>,
    /// How the component shows up in query logs: `app=…`, `user=…`, `host=…`, `db=…`.
    #[serde(default, deserialize_with = "de_db_clients")]
    pub db_clients: Vec<String>,
}

/// `[audit]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    #[serde(default)]
    pub baseline: Option<String>,
}

/// `[logs]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogsConfig {
    /// PostgreSQL `log_line_prefix` of the server whose stderr logs are read.
    #[serde(default, deserialize_with = "de_log_line_prefix")]
    pub log_line_prefix: Option<String>,
}

/// `[database]`: the live database `cutover db` and `--db` read. Prefer the
/// `CUTOVER_DATABASE_URL` environment variable for a URL that holds a password.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    #[serde(default)]
    pub url: Option<String>,
}

/// The file as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    #[serde(default)]
    pub dialect: Option<Dialect>,
    #[serde(default)]
    pub tables: Vec<TableConfig>,
    #[serde(default)]
    pub scan: ScanConfig,
    #[serde(default)]
    pub sinks: Vec<SinkConfig>,
    #[serde(default)]
    pub wrappers: Vec<WrapperConfig>,
    #[serde(default)]
    pub orm: Vec<OrmConfig>,
    #[serde(default)]
    pub models: Vec<ModelConfig>,
    #[serde(default)]
    pub components: Vec<ComponentConfig>,
    #[serde(default)]
    pub audit: AuditConfig,
    #[serde(default)]
    pub logs: LogsConfig,
    #[serde(default)]
    pub database: DatabaseConfig,
}

impl FileConfig {
    /// Parse and check a config file's text. `path` only names the file in errors.
    pub fn parse(text: &str, path: &Path) -> Result<FileConfig> {
        let cfg: FileConfig = toml::from_str(text).map_err(|e| {
            anyhow::anyhow!(
                "{}: invalid configuration: {}",
                path.display(),
                e.to_string().trim_end()
            )
        })?;
        Ok(cfg)
    }

    pub fn load(path: &Path) -> Result<FileConfig> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read configuration {}", path.display()))?;
        FileConfig::parse(&text, path)
    }
}

/// Look for `cutover.toml` in `start` and its parents.
pub fn find_config(start: &Path) -> Option<PathBuf> {
    let start = if start.is_file() {
        start.parent()?
    } else {
        start
    };
    let abs = std::fs::canonicalize(start).ok()?;
    abs.ancestors()
        .map(|dir| dir.join(CONFIG_FILE_NAME))
        .find(|p| p.is_file())
}

/// A legacy table as the rest of the pipeline sees it.
#[derive(Debug, Clone)]
pub struct LegacyTable {
    /// The name as configured (what findings report in `table`).
    pub display: String,
    pub name: TableName,
    pub replacements: Vec<String>,
    pub phase: Phase,
    pub severity: Option<Severity>,
    pub dual_write_helpers: Vec<String>,
}

/// Decides whether a table name found in SQL is one of the configured legacy tables.
/// Identifiers match case-insensitively unless quoted; a qualified reference matches a
/// configured bare name, and a configured `schema.table` matches a bare reference.
#[derive(Debug, Clone, Default)]
pub struct TableMatcher {
    tables: Vec<LegacyTable>,
}

impl TableMatcher {
    pub fn new(tables: Vec<LegacyTable>) -> TableMatcher {
        TableMatcher { tables }
    }

    pub fn tables(&self) -> &[LegacyTable] {
        &self.tables
    }

    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }

    /// The configured table that `found` refers to, if any.
    pub fn resolve(&self, found: &TableName) -> Option<&LegacyTable> {
        self.tables.iter().find(|t| names_match(&t.name, found))
    }

    /// The configured table a name written like a configuration entry (`billing.invoices`,
    /// `"Orders"`) refers to: what migrations, models and declared wrappers name.
    pub fn resolve_name(&self, name: &str) -> Option<&LegacyTable> {
        self.resolve(&TableName::parse_config(name))
    }

    /// Bare table names, for prefilters (lower-case).
    pub fn bare_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .tables
            .iter()
            .map(|t| t.name.name.to_ascii_lowercase())
            .collect();
        names.sort();
        names.dedup();
        names
    }
}

fn ident_eq(configured: &str, found: &str, quoted: bool) -> bool {
    if quoted {
        configured == found
            || configured.eq_ignore_ascii_case(found) && found == found.to_ascii_lowercase()
    } else {
        configured.eq_ignore_ascii_case(found)
    }
}

fn names_match(configured: &TableName, found: &TableName) -> bool {
    if !ident_eq(&configured.name, &found.name, found.quoted) {
        return false;
    }
    match (&configured.schema, &found.schema) {
        (Some(a), Some(b)) => ident_eq(a, b, found.quoted),
        _ => true,
    }
}

/// Output format shared by the commands that print findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    #[default]
    Text,
    Json,
    Jsonl,
}

/// Everything a scan needs, checked.
#[derive(Debug, Clone)]
pub struct Config {
    /// The scanned directory (absolute).
    pub root: PathBuf,
    /// The configuration file used, if any.
    pub config_path: Option<PathBuf>,
    pub dialect: Dialect,
    pub tables: TableMatcher,
    pub scan: ScanConfig,
    pub sinks: Vec<SinkConfig>,
    /// `[[wrappers]]`: project functions whose call sites are callers of legacy tables.
    pub wrappers: Vec<WrapperConfig>,
    pub orm: Vec<OrmConfig>,
    pub models: Vec<ModelConfig>,
    pub components: Vec<ComponentConfig>,
    pub audit: AuditConfig,
    pub logs: LogsConfig,
    pub database: DatabaseConfig,
    /// Worker threads; 0 = one per core.
    pub threads: usize,
}

/// What the command line contributes to a `Config`.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub tables: Vec<String>,
    pub threads: Option<usize>,
    /// `--include-generated`.
    pub include_generated: bool,
}

impl Config {
    /// Build the configuration for scanning `root`.
    pub fn load(root: &Path, overrides: &Overrides) -> Result<Config> {
        if !root.exists() {
            bail!("path {} does not exist", root.display());
        }
        let config_path = match &overrides.config {
            Some(p) => {
                if !p.is_file() {
                    bail!("configuration file {} not found", p.display());
                }
                Some(p.clone())
            }
            None => find_config(root),
        };
        let file = match &config_path {
            Some(p) => FileConfig::load(p)?,
            None => FileConfig::default(),
        };
        let root = std::fs::canonicalize(root)
            .with_context(|| format!("cannot resolve path {}", root.display()))?;
        Config::from_file(root, config_path, file, overrides)
    }

    pub fn from_file(
        root: PathBuf,
        config_path: Option<PathBuf>,
        file: FileConfig,
        overrides: &Overrides,
    ) -> Result<Config> {
        let mut tables: Vec<LegacyTable> = file
            .tables
            .iter()
            .map(|t| LegacyTable {
                display: t.name.trim().to_string(),
                name: TableName::parse_config(&t.name),
                replacements: t.replacement.to_vec(),
                phase: t.phase,
                severity: t.severity,
                dual_write_helpers: t
                    .dual_write
                    .as_ref()
                    .map(|d| d.helpers.clone())
                    .unwrap_or_default(),
            })
            .collect();
        for extra in &overrides.tables {
            if extra.trim().is_empty() {
                bail!("--table needs a table name");
            }
            if !tables.iter().any(|t| t.display == extra.trim()) {
                tables.push(LegacyTable {
                    display: extra.trim().to_string(),
                    name: TableName::parse_config(extra),
                    replacements: Vec::new(),
                    phase: Phase::default(),
                    severity: None,
                    dual_write_helpers: Vec::new(),
                });
            }
        }
        Ok(Config {
            root,
            config_path,
            dialect: file.dialect.unwrap_or_default(),
            tables: TableMatcher::new(tables),
            scan: ScanConfig {
                include_generated: file.scan.include_generated || overrides.include_generated,
                ..file.scan
            },
            sinks: file.sinks,
            wrappers: file.wrappers,
            orm: file.orm,
            models: file.models,
            components: file.components,
            audit: file.audit,
            logs: file.logs,
            database: file.database,
            threads: overrides.threads.unwrap_or(0),
        })
    }

    /// Fail with a usage error when no table is configured.
    pub fn require_tables(&self) -> Result<()> {
        if self.tables.is_empty() {
            bail!(
                "no legacy tables configured: add [[tables]] to {} or pass --table NAME",
                CONFIG_FILE_NAME
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<FileConfig> {
        FileConfig::parse(text, Path::new("cutover.toml"))
    }

    #[test]
    fn parses_the_documented_example() {
        let cfg = parse(
            r#"
dialect = "postgres"
[[tables]]
name = "billing.orders_legacy"
replacement = "orders"
phase = "dual-write"
[scan]
exclude = ["vendor/**", "**/*.min.js"]
max_file_size = "4MiB"
"#,
        )
        .unwrap();
        assert_eq!(cfg.dialect, Some(Dialect::Postgres));
        assert_eq!(cfg.tables[0].phase, Phase::DualWrite);
        assert_eq!(cfg.tables[0].replacement.to_vec(), vec!["orders"]);
        assert_eq!(cfg.scan.max_file_size, 4 * 1024 * 1024);
    }

    #[test]
    fn max_line_length_defaults_to_one_mebibyte_and_takes_a_size() {
        let cfg = parse("").unwrap();
        assert_eq!(cfg.scan.max_line_length, 1024 * 1024);
        let cfg = parse("[scan]\nmax_line_length = \"200KB\"\n").unwrap();
        assert_eq!(cfg.scan.max_line_length, 200_000);
        assert!(parse("[scan]\nmax_line_length = \"lots\"\n").is_err());
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let err = parse("[[tables]]\nname = \"a\"\nphaze = \"prepare\"\n").unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("cutover.toml"), "{msg}");
        assert!(msg.contains("line 3"), "{msg}");
        assert!(msg.contains("phaze"), "{msg}");
    }

    #[test]
    fn bad_value_names_line_and_value() {
        let err = parse("[[tables]]\nname = \"a\"\nphase = \"later\"\n").unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("line 3") && msg.contains("later"), "{msg}");
        let err = parse("[scan]\nmax_file_size = \"4 parsecs\"\n").unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("line 2") && msg.contains("parsecs"), "{msg}");
    }

    #[test]
    fn orm_rows_and_models() {
        let cfg = parse(
            r#"
[[orm]]
language = "python"
framework = "house"
receiver = "manager"
method = "archive"
access = "write"
operation = "update"

[[models]]
name = "LegacyOrder"
table = "billing.orders_legacy"
language = "python"
framework = "django"
"#,
        )
        .unwrap();
        assert_eq!(cfg.orm[0].receiver, crate::catalog::OrmReceiver::Manager);
        assert_eq!(cfg.orm[0].access, Some(crate::model::Access::Write));
        assert_eq!(cfg.models[0].table, "billing.orders_legacy");
        assert_eq!(cfg.models[0].framework.as_deref(), Some("django"));
        let err = parse(
            "[[orm]]\nlanguage = \"go\"\nframework = \"x\"\nreceiver = \"db\"\nmethod = \"M\"\naccess = \"read\"\n",
        )
        .unwrap_err();
        let msg = format!("{err:#}");
        assert!(
            msg.contains("line ") && msg.contains("both `access`"),
            "{msg}"
        );
        let err = parse(
            "[[orm]]\nlanguage = \"go\"\nframework = \"x\"\nreceiver = \"pool\"\nmethod = \"M\"\n",
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("pool"), "{err:#}");
        let err = parse("[[models]]\nname = \"X\"\ntable = \"\"\nlanguage = \"go\"\n").unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("line 3") && msg.contains("empty"), "{msg}");
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4MiB").unwrap(), 4 << 20);
        assert_eq!(parse_size("512 KB").unwrap(), 512_000);
        assert_eq!(parse_size("100").unwrap(), 100);
        assert_eq!(parse_size("16GiB").unwrap(), MAX_SIZE_SETTING);
        assert!(parse_size("lots").is_err());
    }

    /// The error for `text`, which must name the file and `line`, and contain `what`.
    fn rejected(text: &str, line: u32, what: &str) {
        let err = parse(text).expect_err(text);
        let msg = format!("{err:#}");
        assert!(msg.contains("cutover.toml"), "{msg}");
        assert!(msg.contains(&format!("line {line}")), "{msg}");
        assert!(msg.contains(what), "{msg}");
    }

    /// Issue 19: every value is checked when the file is read, with its line, whatever the
    /// command.
    #[test]
    fn issue_19_values_are_checked_at_load_with_their_line() {
        // A size that wrapped `take(max + 1)` and read every file as empty.
        rejected(
            "[scan]\nmax_file_size = \"99999999999999999999GiB\"\n",
            2,
            "over the limit of 16GiB",
        );
        rejected(
            "[scan]\nmax_line_length = 18446744073709551615\n",
            2,
            "16GiB",
        );
        rejected("[scan]\nexclude = [\"src/[\"]\n", 2, "invalid glob `src/[`");
        rejected(
            "[[components]]\nname = \"web\"\nkind = \"web\"\n",
            3,
            "unknown component kind `web`",
        );
        rejected(
            "[[components]]\nname = \"api\"\npaths = [\"a/{b\"]\n",
            3,
            "invalid glob",
        );
        rejected(
            "[[components]]\nname = \"api\"\ndb_clients = [\"application=api\"]\n",
            3,
            "unknown key `application`",
        );
        rejected(
            "[[sinks]]\nlanguage = \"python\"\ncall = \"\"\nsql_arg = 0\n",
            1,
            "sink call ``",
        );
        rejected(
            "[[sinks]]\nlanguage = \"go\"\ncall = \"db.Run\"\n",
            1,
            "needs `sql_arg` or `table_arg`",
        );
        rejected("[[tables]]\nname = \" \"\n", 2, "empty");
        rejected(
            "[[tables]]\nname = \"p\"\n[[wrappers]]\nfunction = \"billing.charge\"\n",
            3,
            "needs `writes` or `reads`",
        );
        rejected(
            "[[wrappers]]\nfunction = \"a b\"\nwrites = [\"p\"]\n",
            1,
            "wrapper function `a b`",
        );
        rejected("[logs]\nlog_line_prefix = \"%m %\"\n", 2, "lone `%`");
        let ok = parse(
            "[[sinks]]\nlanguage = \"typescript\"\ncall = \"this.db.$run\"\nsql_arg = 0\n\
             [[components]]\nname = \"api\"\nkind = \"api\"\npaths = [\"api/**\"]\n\
             db_clients = [\"app=api\", \"tag:service=api*\"]\n",
        );
        assert!(ok.is_ok(), "{ok:?}");
    }

    #[test]
    fn matching_rules() {
        let m = TableMatcher::new(vec![
            LegacyTable {
                display: "orders_legacy".into(),
                name: TableName::parse_config("orders_legacy"),
                replacements: vec![],
                phase: Phase::Prepare,
                severity: None,
                dual_write_helpers: vec![],
            },
            LegacyTable {
                display: "billing.invoices".into(),
                name: TableName::parse_config("billing.invoices"),
                replacements: vec![],
                phase: Phase::Prepare,
                severity: None,
                dual_write_helpers: vec![],
            },
        ]);
        let t = |s: &str| TableName::parse_config(s);
        assert!(m.resolve(&t("ORDERS_LEGACY")).is_some());
        assert!(m.resolve(&t("public.orders_legacy")).is_some());
        assert!(m.resolve(&t("\"orders_legacy\"")).is_some());
        assert!(
            m.resolve(&t("\"Orders_Legacy\"")).is_none(),
            "quoted keeps case"
        );
        assert!(
            m.resolve(&t("invoices")).is_some(),
            "bare matches qualified config"
        );
        assert!(m.resolve(&t("other.invoices")).is_none());
        assert!(m.resolve(&t("orders")).is_none());
    }
}
