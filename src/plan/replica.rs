//! What the replacement table must copy from the legacy one: `.sql` texts (and, later, the
//! live catalog) in; the triggers on each legacy table, the foreign keys from it and to it
//! with their actions, the enum or composite types its columns use and the sequences that
//! number it out. Statements are cut with the classifier's splitter and read with small
//! patterns: enough for migration scripts, not a SQL parser. The live catalog
//! (`cutover db` / `--db`, built elsewhere) hands its facts in as `CopyItem`s with source
//! `Source::Catalog`; the plan merges both and says where each came from.

use crate::sql::Dialect;
use regex::Regex;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

/// One thing the replacement must have too.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CopyItem {
    /// The legacy table (as configured).
    pub table: String,
    pub what: CopyKind,
    pub name: String,
    /// E.g. `-> customers (id) ON DELETE CASCADE`, `BEFORE INSERT OR UPDATE`.
    pub detail: String,
    /// Where it was seen.
    pub source: Source,
}

/// Kinds of things to copy, in the order the plan lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CopyKind {
    Type,
    Sequence,
    ForeignKeyOut,
    ForeignKeyIn,
    Trigger,
}

impl CopyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CopyKind::Type => "type",
            CopyKind::Sequence => "sequence",
            CopyKind::ForeignKeyOut => "foreign key",
            CopyKind::ForeignKeyIn => "foreign key to it",
            CopyKind::Trigger => "trigger",
        }
    }
}

/// Where a fact comes from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    /// `file:line` of the statement.
    Sql(String),
    /// The live database catalog (`--db`).
    Catalog,
}

impl Source {
    pub fn describe(&self) -> String {
        match self {
            Source::Sql(at) => at.clone(),
            Source::Catalog => "live catalog".to_string(),
        }
    }
}

fn re(p: &str) -> Option<Regex> {
    Regex::new(p).ok()
}

/// A (possibly schema-qualified, possibly quoted) name.
const NAME: &str = r#"((?:"[^"]+"|[\w$]+)(?:\.(?:"[^"]+"|[\w$]+))?)"#;

static CREATE_TABLE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(&format!(
        r"(?is)^create\s+(?:(?:global\s+|local\s+)?(?:temp|temporary|unlogged)\s+)?table\s+(?:if\s+not\s+exists\s+)?{NAME}\s*\((.*)\)"
    ))
});
static ALTER_FK: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(&format!(
        r"(?is)^alter\s+table\s+(?:only\s+)?(?:if\s+exists\s+)?{NAME}\s+add\s+(?:constraint\s+{NAME}\s+)?foreign\s+key\s*\(([^)]*)\)\s*references\s+{NAME}\s*(\([^)]*\))?(.*)"
    ))
});
static REFERENCES: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(&format!(
        r"(?is)references\s+{NAME}\s*(\([^)]*\))?((?:\s*\bon\s+(?:delete|update)\s+(?:set\s+null|set\s+default|no\s+action|cascade|restrict))*)"
    ))
});
static TRIGGER: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(&format!(
        r"(?is)^create\s+(?:or\s+replace\s+)?(?:constraint\s+)?trigger\s+{NAME}\s+(.*?)\s+on\s+{NAME}"
    ))
});
static CREATE_TYPE: LazyLock<Option<Regex>> =
    LazyLock::new(|| re(&format!(r"(?is)^create\s+type\s+{NAME}\s+as\s+(enum|\()")));
static CREATE_SEQUENCE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(&format!(
        r"(?is)^create\s+sequence\s+(?:if\s+not\s+exists\s+)?{NAME}"
    ))
});
static NEXTVAL: LazyLock<Option<Regex>> = LazyLock::new(|| re(r#"(?i)nextval\s*\(\s*'([^']+)'"#));
static SERIAL: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(
        r#"(?im)^\s*("?[\w$]+"?)\s+(smallserial|serial|bigserial|serial2|serial4|serial8)\b|^\s*("?[\w$]+"?)\s+[\w ]+?\s+generated\s+(?:always|by\s+default)\s+as\s+identity"#,
    )
});
static ACTIONS: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(r"(?i)\bon\s+(delete|update)\s+(set\s+null|set\s+default|no\s+action|cascade|restrict)")
});
static LINE_COMMENT: LazyLock<Option<Regex>> = LazyLock::new(|| re(r"--[^\n]*"));

/// ` ON DELETE CASCADE ON UPDATE NO ACTION` (with a leading space); with none written, the
/// default said out loud: the replacement must choose the same.
fn actions(text: &str) -> String {
    let said: String = ACTIONS
        .as_ref()
        .into_iter()
        .flat_map(|r| r.captures_iter(text))
        .map(|c| {
            format!(
                " ON {} {}",
                c[1].to_ascii_uppercase(),
                squash(&c[2]).to_ascii_uppercase()
            )
        })
        .collect();
    if said.is_empty() {
        " (no ON DELETE/ON UPDATE: NO ACTION)".to_string()
    } else {
        said
    }
}

/// `"Billing".Orders` → `billing.orders`; the last part alone is `bare`.
fn normalize(name: &str) -> String {
    name.split('.')
        .map(|p| {
            if p.starts_with('"') {
                p.trim_matches('"').to_string()
            } else {
                p.to_ascii_lowercase()
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

fn bare(name: &str) -> String {
    let n = normalize(name);
    n.rsplit('.').next().unwrap_or(&n).to_string()
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One statement: where it starts and its text without line comments.
struct Stmt<'a> {
    at: String,
    text: String,
    _raw: &'a str,
}

fn statements<'a>(file: &str, text: &'a str, dialect: Dialect) -> Vec<Stmt<'a>> {
    crate::sql::statements(text, dialect)
        .into_iter()
        .map(|(start, end)| {
            let raw = &text[start..end];
            let line = text[..start].matches('\n').count() + 1;
            let clean = LINE_COMMENT
                .as_ref()
                .map_or_else(|| raw.to_string(), |r| r.replace_all(raw, "").into_owned());
            Stmt {
                at: format!("{file}:{line}"),
                text: clean,
                _raw: raw,
            }
        })
        .collect()
}

/// The facts of every `.sql` text about the legacy tables (by bare, lower-cased name →
/// configured name), sorted.
pub fn from_sql(
    texts: &BTreeMap<String, String>,
    legacy: &BTreeMap<String, String>,
    dialect: Dialect,
) -> Vec<CopyItem> {
    let mut all = Vec::new();
    for (file, text) in texts.iter().filter(|(f, _)| f.ends_with(".sql")) {
        all.extend(statements(file, text, dialect));
    }
    let mut out = Vec::new();
    let mut types: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut sequences: BTreeMap<String, String> = BTreeMap::new();
    for s in &all {
        if let Some(c) = CREATE_TYPE.as_ref().and_then(|r| r.captures(&s.text)) {
            let kind = if c[2].eq_ignore_ascii_case("enum") {
                "enum"
            } else {
                "composite type"
            };
            types.insert(bare(&c[1]), (kind.to_string(), s.at.clone()));
        }
        if let Some(c) = CREATE_SEQUENCE.as_ref().and_then(|r| r.captures(&s.text)) {
            sequences.insert(bare(&c[1]), s.at.clone());
        }
    }
    for s in &all {
        table_facts(s, legacy, &types, &sequences, &mut out);
        alter_fk(s, legacy, &mut out);
        trigger(s, legacy, &mut out);
    }
    out.sort();
    out.dedup();
    out
}

fn item(table: &str, what: CopyKind, name: String, detail: String, at: &str) -> CopyItem {
    CopyItem {
        table: table.to_string(),
        what,
        name,
        detail,
        source: Source::Sql(at.to_string()),
    }
}

/// `CREATE TABLE`: a legacy table's outgoing keys, types and sequences; another table's
/// keys that point at a legacy one.
fn table_facts(
    s: &Stmt,
    legacy: &BTreeMap<String, String>,
    types: &BTreeMap<String, (String, String)>,
    sequences: &BTreeMap<String, String>,
    out: &mut Vec<CopyItem>,
) {
    let Some(c) = CREATE_TABLE.as_ref().and_then(|r| r.captures(&s.text)) else {
        return;
    };
    let owner = bare(&c[1]);
    let body = &c[2];
    let own = legacy.get(&owner);
    for r in REFERENCES
        .as_ref()
        .into_iter()
        .flat_map(|r| r.captures_iter(body))
    {
        let target = bare(&r[1]);
        let detail = format!(
            "{}{}{}",
            normalize(&r[1]),
            r.get(2)
                .map_or(String::new(), |m| format!(" {}", squash(m.as_str()))),
            actions(&r[3])
        );
        if let Some(t) = own {
            out.push(item(
                t,
                CopyKind::ForeignKeyOut,
                String::new(),
                format!("-> {detail}"),
                &s.at,
            ));
        }
        if let Some(t) = legacy.get(&target)
            && own != Some(t)
        {
            out.push(item(
                t,
                CopyKind::ForeignKeyIn,
                String::new(),
                format!("{owner} -> {detail}"),
                &s.at,
            ));
        }
    }
    let Some(t) = own else { return };
    let words: BTreeSet<String> = body
        .split(|ch: char| !(ch.is_alphanumeric() || ch == '_' || ch == '$'))
        .map(str::to_ascii_lowercase)
        .collect();
    for (name, (kind, at)) in types {
        if words.contains(name) {
            out.push(item(
                t,
                CopyKind::Type,
                name.clone(),
                format!("{kind}, created at {at}"),
                &s.at,
            ));
        }
    }
    for n in NEXTVAL
        .as_ref()
        .into_iter()
        .flat_map(|r| r.captures_iter(body))
    {
        let name = bare(&n[1]);
        let detail = match sequences.get(&name) {
            Some(at) => format!("column default nextval, created at {at}"),
            None => "column default nextval".to_string(),
        };
        out.push(item(t, CopyKind::Sequence, name, detail, &s.at));
    }
    for m in SERIAL
        .as_ref()
        .into_iter()
        .flat_map(|r| r.captures_iter(body))
    {
        let (col, how) = match (m.get(1), m.get(2), m.get(3)) {
            (Some(col), Some(ty), _) => (col.as_str(), ty.as_str().to_ascii_lowercase()),
            (_, _, Some(col)) => (col.as_str(), "identity".to_string()),
            _ => continue,
        };
        let col = col.trim_matches('"').to_ascii_lowercase();
        out.push(item(
            t,
            CopyKind::Sequence,
            format!("{owner}_{col}_seq"),
            format!("{how} column {col}: its sequence, and its current value"),
            &s.at,
        ));
    }
}

/// `ALTER TABLE x ADD [CONSTRAINT n] FOREIGN KEY (…) REFERENCES y (…) [ON …]`.
fn alter_fk(s: &Stmt, legacy: &BTreeMap<String, String>, out: &mut Vec<CopyItem>) {
    let Some(c) = ALTER_FK.as_ref().and_then(|r| r.captures(&s.text)) else {
        return;
    };
    let from = bare(&c[1]);
    let name = c.get(2).map(|m| normalize(m.as_str()));
    let target = bare(&c[4]);
    let actions = actions(&c[6]);
    let detail = format!(
        "{from} ({}) -> {target}{}{}",
        squash(&c[3]),
        c.get(5)
            .map_or(String::new(), |m| format!(" {}", squash(m.as_str()))),
        actions
    );
    let label = name.unwrap_or_default();
    if let Some(t) = legacy.get(&from) {
        out.push(item(
            t,
            CopyKind::ForeignKeyOut,
            label.clone(),
            detail.clone(),
            &s.at,
        ));
    }
    if let Some(t) = legacy.get(&target)
        && legacy.get(&from) != Some(t)
    {
        out.push(item(t, CopyKind::ForeignKeyIn, label, detail, &s.at));
    }
}

fn trigger(s: &Stmt, legacy: &BTreeMap<String, String>, out: &mut Vec<CopyItem>) {
    let Some(c) = TRIGGER.as_ref().and_then(|r| r.captures(&s.text)) else {
        return;
    };
    if let Some(t) = legacy.get(&bare(&c[3])) {
        let timing = squash(&c[2]);
        out.push(item(t, CopyKind::Trigger, normalize(&c[1]), timing, &s.at));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_compile() {
        for r in [
            &CREATE_TABLE,
            &ALTER_FK,
            &REFERENCES,
            &TRIGGER,
            &CREATE_TYPE,
            &CREATE_SEQUENCE,
            &NEXTVAL,
            &SERIAL,
            &LINE_COMMENT,
        ] {
            assert!(r.is_some());
        }
    }

    #[test]
    fn facts_of_a_migration() {
        let sql = "CREATE TYPE order_status AS ENUM ('new', 'paid');\nCREATE SEQUENCE orders_legacy_id_seq;\n\
            CREATE TABLE orders_legacy (\n  id bigint DEFAULT nextval('orders_legacy_id_seq'),\n  n bigserial,\n  customer_id bigint REFERENCES customers (id) ON DELETE CASCADE, -- owner\n  status order_status\n);\n\
            CREATE TABLE items (order_id bigint REFERENCES orders_legacy ON DELETE SET NULL);\n\
            ALTER TABLE shipments ADD CONSTRAINT s_fk FOREIGN KEY (order_id) REFERENCES public.orders_legacy (id) ON DELETE RESTRICT;\n\
            CREATE TRIGGER touch BEFORE INSERT OR UPDATE ON orders_legacy FOR EACH ROW EXECUTE FUNCTION f();\n";
        let texts = BTreeMap::from([("db/001.sql".to_string(), sql.to_string())]);
        let legacy = BTreeMap::from([("orders_legacy".to_string(), "orders_legacy".to_string())]);
        let got: Vec<String> = from_sql(&texts, &legacy, Dialect::Postgres)
            .iter()
            .map(|i| {
                format!(
                    "{} {} | {} | {}",
                    i.what.as_str(),
                    i.name,
                    i.detail,
                    i.source.describe()
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                "type order_status | enum, created at db/001.sql:1 | db/001.sql:3",
                "sequence orders_legacy_id_seq | column default nextval, created at db/001.sql:2 | db/001.sql:3",
                "sequence orders_legacy_n_seq | bigserial column n: its sequence, and its current value | db/001.sql:3",
                "foreign key  | -> customers (id) ON DELETE CASCADE | db/001.sql:3",
                "foreign key to it  | items -> orders_legacy ON DELETE SET NULL | db/001.sql:9",
                "foreign key to it s_fk | shipments (order_id) -> orders_legacy (id) ON DELETE RESTRICT | db/001.sql:10",
                "trigger touch | BEFORE INSERT OR UPDATE | db/001.sql:11",
            ]
        );
    }
}
