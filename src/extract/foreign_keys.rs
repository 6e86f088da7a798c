//! Foreign keys the database enforces, read from any file's text in pass 1: SQL DDL
//! (`CREATE TABLE t (… REFERENCES p (id) ON DELETE CASCADE …)`, `ALTER TABLE t ADD …
//! FOREIGN KEY … REFERENCES p … ON DELETE SET NULL`) in `.sql` files and in strings of any
//! language, and Alembic / SQLAlchemy Core (`op.create_table("t", … sa.ForeignKey("p.id",
//! ondelete="CASCADE") …)`, `op.create_foreign_key(name, "t", "p", …, ondelete=…)`).
//! A statement that deletes rows of `p` (or `TRUNCATE p CASCADE`, which empties every
//! table referencing it, whatever its action) writes `t` too: `cascades`.
//!
//! A byte scan with regular expressions, not a parse: DDL in strings and migrations is
//! regular enough, and pass 1 must stay cheap on files that hold none.

use crate::model::Operation;
use regex::Regex;
use std::sync::LazyLock;

/// `child` has a foreign key to `parent`; deleting a `parent` row does `on_delete` to the
/// child's rows (`Delete` for CASCADE, `Update` for SET NULL / SET DEFAULT, `None` for
/// RESTRICT / NO ACTION / not said).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ForeignKey {
    pub child: String,
    pub parent: String,
    pub on_delete: Option<Operation>,
}

/// Whether the text may hold a foreign key worth the regular expressions.
pub fn may_hold(bytes: &[u8]) -> bool {
    let has = |n: &[u8]| memchr::memmem::find(bytes, n).is_some();
    has(b"REFERENCES") || has(b"references") || has(b"ForeignKey") || has(b"foreign_key")
}

/// Every foreign key the text declares, in order.
pub fn extract(text: &str) -> Vec<ForeignKey> {
    let mut out = Vec::new();
    sql_create_tables(text, &mut out);
    sql_alter_tables(text, &mut out);
    python_tables(text, &mut out);
    python_create_foreign_keys(text, &mut out);
    out
}

/// An identifier as SQL or code writes it: quotes and schema dropped, lower-cased.
fn bare(name: &str) -> String {
    let last = name.rsplit('.').next().unwrap_or(name);
    last.trim_matches(|c| matches!(c, '"' | '`' | '[' | ']' | '\''))
        .to_ascii_lowercase()
}

fn on_delete_sql(clause: &str) -> Option<Operation> {
    static ON_DELETE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\bon\s+delete\s+(cascade|set\s+null|set\s+default)\b").unwrap()
    });
    let action = ON_DELETE
        .captures(clause)?
        .get(1)?
        .as_str()
        .to_ascii_lowercase();
    Some(match action.as_str() {
        "cascade" => Operation::Delete,
        _ => Operation::Update,
    })
}

fn on_delete_word(action: &str) -> Option<Operation> {
    match action.trim().to_ascii_uppercase().as_str() {
        "CASCADE" => Some(Operation::Delete),
        "SET NULL" | "SET DEFAULT" => Some(Operation::Update),
        _ => None,
    }
}

/// The text between the `(` at `open` and its matching `)` (bounded; strings not skipped:
/// DDL rarely holds parentheses in literals).
fn balanced(text: &str, open: usize) -> &str {
    let mut depth = 0usize;
    for (i, c) in text[open..].char_indices().take(200_000) {
        match c {
            '(' => depth += 1,
            ')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return &text[open + 1..open + i];
                }
            }
            _ => {}
        }
    }
    &text[open + 1..]
}

/// The top-level, comma-separated elements of a parenthesised list.
fn elements(body: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in body.char_indices() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                out.push(&body[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&body[start..]);
    out
}

/// `CREATE TABLE child ( … REFERENCES parent … )`.
fn sql_create_tables(text: &str, out: &mut Vec<ForeignKey>) {
    static CREATE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r#"(?i)\bcreate\s+(?:\w+\s+)*?table\s+(?:if\s+not\s+exists\s+)?([\w."`\[\]]+)\s*\("#,
        )
        .unwrap()
    });
    static REFERENCES: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#"(?i)\breferences\s+([\w."`\[\]]+)"#).unwrap());
    for c in CREATE.captures_iter(text) {
        let (Some(name), Some(all)) = (c.get(1), c.get(0)) else {
            continue;
        };
        let child = bare(name.as_str());
        for element in elements(balanced(text, all.end() - 1)) {
            if let Some(r) = REFERENCES.captures(element).and_then(|r| r.get(1)) {
                out.push(ForeignKey {
                    child: child.clone(),
                    parent: bare(r.as_str()),
                    on_delete: on_delete_sql(&element[r.end()..]),
                });
            }
        }
    }
}

/// `ALTER TABLE child ADD [CONSTRAINT c] FOREIGN KEY (…) REFERENCES parent … [ON DELETE …]`.
fn sql_alter_tables(text: &str, out: &mut Vec<ForeignKey>) {
    static ALTER: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r#"(?is)\balter\s+table\s+(?:only\s+)?(?:if\s+exists\s+)?([\w."`\[\]]+)\s+add\s+(?:constraint\s+\S+\s+)?foreign\s+key\s*\([^)]*\)\s*references\s+([\w."`\[\]]+)([^;]*)"#,
        )
        .unwrap()
    });
    for c in ALTER.captures_iter(text) {
        let (Some(child), Some(parent)) = (c.get(1), c.get(2)) else {
            continue;
        };
        let rest = c.get(3).map(|m| m.as_str()).unwrap_or("");
        out.push(ForeignKey {
            child: bare(child.as_str()),
            parent: bare(parent.as_str()),
            on_delete: on_delete_sql(rest),
        });
    }
}

/// `op.create_table("child", … ForeignKey("parent.id", ondelete="CASCADE") …)` and
/// `sa.Table("child", metadata, …)`.
fn python_tables(text: &str, out: &mut Vec<ForeignKey>) {
    static TABLE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#"\b(?:create_table|Table)\(\s*["']([\w.]+)["']"#).unwrap());
    static FK: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#"ForeignKey\(\s*["']([\w.]+)\.\w+["']([^)]*)\)"#).unwrap());
    static ONDELETE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#"ondelete\s*=\s*["']([\w ]+)["']"#).unwrap());
    for c in TABLE.captures_iter(text) {
        let (Some(name), Some(all)) = (c.get(1), c.get(0)) else {
            continue;
        };
        let open = all.start() + all.as_str().find('(').unwrap_or(0);
        let child = bare(name.as_str());
        for fk in FK.captures_iter(balanced(text, open)) {
            let (Some(parent), rest) = (fk.get(1), fk.get(2).map(|m| m.as_str()).unwrap_or(""))
            else {
                continue;
            };
            out.push(ForeignKey {
                child: child.clone(),
                parent: bare(parent.as_str()),
                on_delete: ONDELETE
                    .captures(rest)
                    .and_then(|o| o.get(1))
                    .and_then(|o| on_delete_word(o.as_str())),
            });
        }
    }
}

/// `op.create_foreign_key("name", "child", "parent", [...], [...], ondelete="CASCADE")`.
fn python_create_foreign_keys(text: &str, out: &mut Vec<ForeignKey>) {
    static CREATE_FK: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"create_foreign_key\(\s*(?:None|["'][^"']*["'])\s*,\s*["']([\w.]+)["']\s*,\s*["']([\w.]+)["']"#)
            .unwrap()
    });
    static ONDELETE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#"ondelete\s*=\s*["']([\w ]+)["']"#).unwrap());
    for c in CREATE_FK.captures_iter(text) {
        let (Some(child), Some(parent), Some(all)) = (c.get(1), c.get(2), c.get(0)) else {
            continue;
        };
        let open = all.start() + all.as_str().find('(').unwrap_or(0);
        let args = balanced(text, open);
        out.push(ForeignKey {
            child: bare(child.as_str()),
            parent: bare(parent.as_str()),
            on_delete: ONDELETE
                .captures(args)
                .and_then(|o| o.get(1))
                .and_then(|o| on_delete_word(o.as_str())),
        });
    }
}

/// A table a delete reaches: the table, what is done to its rows, and the foreign keys
/// followed as `(child, parent)` pairs.
pub type Reached = (String, Operation, Vec<(String, String)>);

/// The tables a statement deleting rows of `parent` writes through foreign keys: children
/// with ON DELETE CASCADE (and theirs, transitively) are deleted, SET NULL children are
/// updated. `truncate_cascade`: `TRUNCATE parent CASCADE`, which empties every table
/// referencing it (transitively), whatever its action. Each child once, with the shortest
/// path, breadth first; the path is `(child, parent)` pairs.
pub fn cascades(keys: &[ForeignKey], parent: &str, truncate_cascade: bool) -> Vec<Reached> {
    let mut out: Vec<Reached> = Vec::new();
    let mut frontier: Vec<(String, Vec<(String, String)>)> = vec![(parent.to_string(), Vec::new())];
    let mut seen = vec![parent.to_string()];
    for _depth in 0..8 {
        let mut next = Vec::new();
        for (table, path) in &frontier {
            for k in keys.iter().filter(|k| k.parent == *table) {
                let operation = match (truncate_cascade, k.on_delete) {
                    (true, _) => Operation::Truncate,
                    (false, Some(op)) => op,
                    (false, None) => continue,
                };
                if seen.contains(&k.child) {
                    continue;
                }
                seen.push(k.child.clone());
                let mut p = path.clone();
                p.push((k.child.clone(), k.parent.clone()));
                out.push((k.child.clone(), operation, p.clone()));
                if operation != Operation::Update {
                    next.push((k.child.clone(), p));
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

/// The tables (not legacy themselves) whose rows' deletion or `TRUNCATE … CASCADE` can
/// reach a legacy table through foreign keys, sorted.
pub fn parents_reaching(keys: &[ForeignKey], tables: &crate::config::TableMatcher) -> Vec<String> {
    let legacy = |t: &str| tables.resolve_name(t).is_some();
    let mut out: Vec<String> = keys
        .iter()
        .map(|k| k.parent.clone())
        .filter(|p| !legacy(p))
        .filter(|p| cascades(keys, p, true).iter().any(|(c, ..)| legacy(c)))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Findings for the legacy tables a statement's deletes reach through foreign keys
/// (`DELETE FROM articles` when `favorites.article_id` cascades; `TRUNCATE accounts
/// CASCADE`), at the statement's site, besides the tables it names itself (`named`).
pub fn statement_cascades(
    file: &super::FileInput<'_>,
    stmt: &crate::sql::Statement,
    body: &str,
    at: &crate::model::Site,
    kind: crate::model::Kind,
    named: &[String],
) -> Vec<crate::model::Finding> {
    use crate::model::Access;
    static CASCADE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)\bcascade\b").unwrap());
    let keys = file.ctx.models.foreign_keys();
    let mut out: Vec<crate::model::Finding> = Vec::new();
    if keys.is_empty() {
        return out;
    }
    for u in stmt.uses.iter().filter(|u| u.access == Access::Write) {
        let truncate = match u.operation {
            Operation::Delete => false,
            Operation::Truncate if CASCADE.is_match(body) => true,
            _ => continue,
        };
        let parent = u.table.name.to_ascii_lowercase();
        for (child, operation, path) in cascades(keys, &parent, truncate) {
            let Some(table) = file.ctx.tables.resolve_name(&child) else {
                continue;
            };
            let display = table.display.clone();
            if named.contains(&display) || out.iter().any(|f| f.table == display) {
                continue;
            }
            let last = path.len().saturating_sub(1);
            let via = path
                .iter()
                .enumerate()
                .map(|(i, (c, p))| match (truncate, i == last) {
                    (true, _) => format!("TRUNCATE {p} CASCADE empties {c} (foreign key to {p})"),
                    (false, true) => format!("{c} REFERENCES {p} ON DELETE {}", action(operation)),
                    (false, false) => format!("{c} REFERENCES {p} ON DELETE CASCADE"),
                })
                .collect();
            let finding = at.finding(
                display,
                Access::Write,
                operation,
                kind,
                crate::model::Confidence::Inferred,
            );
            out.push(finding.via(via));
        }
    }
    out
}

fn action(operation: Operation) -> &'static str {
    match operation {
        Operation::Update => "SET NULL",
        _ => "CASCADE",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str) -> Vec<(String, String, Option<Operation>)> {
        extract(text)
            .into_iter()
            .map(|k| (k.child, k.parent, k.on_delete))
            .collect()
    }

    #[test]
    fn sql_ddl_column_and_table_constraints() {
        let text = "CREATE TABLE IF NOT EXISTS public.\"Tokens\" (\n  id serial,\n  account_id int NOT NULL REFERENCES accounts(id),\n  owner int REFERENCES owners (id) ON DELETE CASCADE,\n  CONSTRAINT f FOREIGN KEY (x, y) REFERENCES pairs (a, b) ON DELETE SET NULL\n);\nALTER TABLE notes ADD CONSTRAINT n_fk FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE;";
        assert_eq!(
            keys(text),
            [
                ("tokens".into(), "accounts".into(), None),
                ("tokens".into(), "owners".into(), Some(Operation::Delete)),
                ("tokens".into(), "pairs".into(), Some(Operation::Update)),
                ("notes".into(), "orders".into(), Some(Operation::Delete)),
            ]
        );
    }

    #[test]
    fn alembic_tables_and_foreign_keys() {
        let text = "op.create_table(\n    \"favorites\",\n    sa.Column(\"user_id\", sa.Integer, sa.ForeignKey(\"users.id\", ondelete=\"CASCADE\")),\n    sa.Column(\"article_id\", sa.ForeignKey(\"articles.id\")),\n)\nop.create_foreign_key(None, 'item', 'user', ['owner_id'], ['id'], ondelete='SET NULL')\n";
        assert_eq!(
            keys(text),
            [
                ("favorites".into(), "users".into(), Some(Operation::Delete)),
                ("favorites".into(), "articles".into(), None),
                ("item".into(), "user".into(), Some(Operation::Update)),
            ]
        );
    }

    #[test]
    fn deletes_follow_cascades_and_truncate_cascade_follows_every_key() {
        let k = |c: &str, p: &str, d| ForeignKey {
            child: c.into(),
            parent: p.into(),
            on_delete: d,
        };
        let all = [
            k("articles", "users", Some(Operation::Delete)),
            k("favorites", "articles", Some(Operation::Delete)),
            k("comments", "users", Some(Operation::Update)),
            k("tokens", "users", None),
        ];
        let names = |v: Vec<Reached>| v.into_iter().map(|(c, op, _)| (c, op)).collect::<Vec<_>>();
        assert_eq!(
            names(cascades(&all, "users", false)),
            [
                ("articles".to_string(), Operation::Delete),
                ("comments".to_string(), Operation::Update),
                ("favorites".to_string(), Operation::Delete),
            ]
        );
        assert_eq!(names(cascades(&all, "users", true)).len(), 4);
    }
}
