//! Token-level classification for statements sqlparser rejects. Input: one statement's text.
//! Output: `TableUse`s.
//! - `known` recognises statements with a small fixed grammar that sqlparser 0.63 does not
//!   support (VACUUM, ANALYZE, REINDEX, CLUSTER, OPTIMIZE/REPAIR/CHECK TABLE, REFRESH
//!   MATERIALIZED VIEW, LOAD DATA INFILE, MySQL LOCK TABLES, DO): their tables are certain.
//! - `scan` is the heuristic for anything else: the leading keyword gives the target's role
//!   (INSERT INTO t, UPDATE t, DELETE FROM t, MERGE INTO t, COPY t FROM, …) and every name
//!   after FROM / JOIN / USING is a read. CTE names and function arguments (`EXTRACT(x FROM
//!   y)`) are skipped. The caller marks the result `Heuristic`.

use super::lex::{LexOptions, Lexer, Tok, Token, significant};
use super::{TableName, TableUse, normalize_ident};
use crate::model::{Access, Operation};

/// Significant tokens of a statement with their lower-cased text for words.
struct Toks<'a> {
    text: &'a str,
    toks: Vec<Token>,
}

impl<'a> Toks<'a> {
    fn new(text: &'a str, opts: LexOptions) -> Toks<'a> {
        Toks {
            text,
            toks: Lexer::without_spaces(text, opts)
                .filter(significant)
                .collect(),
        }
    }

    fn kw(&self, i: usize, k: &str) -> bool {
        self.toks.get(i).is_some_and(|t| {
            t.kind == Tok::Word && self.text[t.start..t.end].eq_ignore_ascii_case(k)
        })
    }

    fn any_kw(&self, i: usize, ks: &[&str]) -> bool {
        ks.iter().any(|k| self.kw(i, k))
    }

    fn punct(&self, i: usize, p: &str) -> bool {
        self.toks
            .get(i)
            .is_some_and(|t| t.kind == Tok::Punct && &self.text[t.start..t.end] == p)
    }

    fn find_kw(&self, from: usize, k: &str) -> Option<usize> {
        (from..self.toks.len()).find(|&i| self.kw(i, k))
    }

    /// A possibly qualified name starting at `i`: the name and the index after it.
    fn name(&self, i: usize) -> Option<(TableName, usize)> {
        let mut parts: Vec<(String, bool)> = Vec::new();
        let mut j = i;
        loop {
            let t = self.toks.get(j)?;
            match t.kind {
                Tok::Word | Tok::QuotedIdent => {}
                _ => return None,
            }
            let raw = &self.text[t.start..t.end];
            if t.kind == Tok::Word && parts.is_empty() && is_reserved(raw) {
                return None;
            }
            parts.push(normalize_ident(raw));
            j += 1;
            if self.punct(j, ".") {
                j += 1;
            } else {
                break;
            }
        }
        let (name, nq) = parts.pop()?;
        let schema = parts.pop();
        Some((
            TableName {
                quoted: nq || schema.as_ref().is_some_and(|s| s.1),
                schema: schema.map(|s| s.0),
                name,
            },
            j,
        ))
    }
}

/// Words that follow FROM / JOIN / INTO but are not table names.
fn is_reserved(w: &str) -> bool {
    const RESERVED: &[&str] = &[
        "all",
        "as",
        "dual",
        "each",
        "exists",
        "from",
        "ignore",
        "join",
        "lateral",
        "local",
        "low_priority",
        "not",
        "null",
        "on",
        "only",
        "outfile",
        "dumpfile",
        "select",
        "set",
        "stdin",
        "stdout",
        "table",
        "unnest",
        "using",
        "values",
        "where",
        "with",
    ];
    RESERVED.iter().any(|r| w.eq_ignore_ascii_case(r))
}

fn push(uses: &mut Vec<TableUse>, table: TableName, access: Access, operation: Operation) {
    uses.push(TableUse {
        table,
        access,
        operation,
    });
}

/// Statements with a fixed grammar that sqlparser does not parse. `None`: not one of them.
pub fn known(text: &str, opts: LexOptions) -> Option<Vec<TableUse>> {
    let t = Toks::new(text, opts);
    let mut uses = Vec::new();
    let maint = |uses: &mut Vec<TableUse>, from: usize| {
        // A comma-separated list of names, each maybe followed by a column list.
        let mut i = from;
        while let Some((name, next)) = t.name(i) {
            push(uses, name, Access::Ddl, Operation::Maintenance);
            i = next;
            if t.punct(i, "(") {
                while i < t.toks.len() && !t.punct(i, ")") {
                    i += 1;
                }
                i += 1;
            }
            if !t.punct(i, ",") {
                break;
            }
            i += 1;
        }
    };
    if t.any_kw(0, &["vacuum", "analyze", "analyse"]) {
        let mut i = 1;
        loop {
            if t.any_kw(
                i,
                &[
                    "full",
                    "freeze",
                    "verbose",
                    "analyze",
                    "analyse",
                    "skip_locked",
                    "table",
                    "no_write_to_binlog",
                    "local",
                ],
            ) {
                i += 1;
            } else if t.punct(i, "(") {
                while i < t.toks.len() && !t.punct(i, ")") {
                    i += 1;
                }
                i += 1;
            } else {
                break;
            }
        }
        maint(&mut uses, i);
        return Some(uses);
    }
    if t.kw(0, "reindex") {
        let mut i = 1;
        if t.punct(i, "(") {
            while i < t.toks.len() && !t.punct(i, ")") {
                i += 1;
            }
            i += 1;
        }
        if t.kw(i, "table") {
            i += 1;
            if t.kw(i, "concurrently") {
                i += 1;
            }
            maint(&mut uses, i);
        }
        return Some(uses);
    }
    if t.kw(0, "cluster") {
        let i = if t.kw(1, "verbose") { 2 } else { 1 };
        maint(&mut uses, i);
        return Some(uses);
    }
    if t.any_kw(0, &["optimize", "repair", "check", "checksum"]) && t.kw(1, "table") {
        maint(&mut uses, 2);
        return Some(uses);
    }
    if t.kw(0, "refresh") && t.kw(1, "materialized") && t.kw(2, "view") {
        let i = if t.kw(3, "concurrently") { 4 } else { 3 };
        maint(&mut uses, i);
        return Some(uses);
    }
    if t.kw(0, "load") && t.any_kw(1, &["data", "xml"]) {
        let into = t.find_kw(2, "into")?;
        let i = if t.kw(into + 1, "table") {
            into + 2
        } else {
            into + 1
        };
        let (name, _) = t.name(i)?;
        push(&mut uses, name, Access::Write, Operation::Load);
        return Some(uses);
    }
    if t.kw(0, "lock") && t.kw(1, "tables") {
        let mut i = 2;
        while let Some((name, next)) = t.name(i) {
            push(&mut uses, name, Access::Ddl, Operation::Lock);
            // Skip `[AS alias] READ [LOCAL] | [LOW_PRIORITY] WRITE` up to the next comma.
            i = next;
            while i < t.toks.len() && !t.punct(i, ",") {
                i += 1;
            }
            i += 1;
        }
        return Some(uses);
    }
    if t.kw(0, "copy") && !t.punct(1, "(") {
        // `COPY t [(cols)] FROM|TO …` with options sqlparser does not know (`FREEZE ON`).
        let (name, mut i) = t.name(1)?;
        if t.punct(i, "(") {
            while i < t.toks.len() && !t.punct(i, ")") {
                i += 1;
            }
            i += 1;
        }
        let access = if t.kw(i, "from") {
            Access::Write
        } else if t.kw(i, "to") {
            Access::Read
        } else {
            return None;
        };
        push(&mut uses, name, access, Operation::Copy);
        return Some(uses);
    }
    if t.kw(0, "create") {
        // Routine definitions sqlparser rejects (MySQL bodies): the body is classified
        // separately; a trigger is DDL on its table.
        let k = (1..t.toks.len().min(14))
            .find(|&i| t.any_kw(i, &["function", "procedure", "event", "trigger"]))?;
        if t.kw(k, "trigger") {
            let on = t.find_kw(k + 1, "on")?;
            let (name, _) = t.name(on + 1)?;
            push(&mut uses, name, Access::Ddl, Operation::Create);
        }
        return Some(uses);
    }
    if t.kw(0, "do")
        && t.toks
            .get(1)
            .is_some_and(|x| x.kind == Tok::Dollar || t.kw(1, "language"))
    {
        return Some(uses);
    }
    None
}

/// Heuristic scan of a statement no parser accepted.
pub fn scan(text: &str, opts: LexOptions) -> Vec<TableUse> {
    let t = Toks::new(text, opts);
    let mut uses = Vec::new();
    let n = t.toks.len();
    // CTE names: `WITH [RECURSIVE] a AS (…), b AS (…)`.
    let mut ctes: Vec<String> = Vec::new();
    for i in 0..n {
        if t.kw(i, "as") && t.punct(i + 1, "(") && i > 0 {
            let prev = t.toks[i - 1];
            if matches!(prev.kind, Tok::Word | Tok::QuotedIdent) {
                ctes.push(normalize_ident(&text[prev.start..prev.end]).0);
            }
        }
    }
    // The statement's verb: the first word after a leading `WITH …` list.
    let l = if t.kw(0, "with") {
        let mut depth = 0i32;
        (0..n)
            .find(|&i| {
                if t.punct(i, "(") {
                    depth += 1;
                } else if t.punct(i, ")") {
                    depth -= 1;
                }
                depth == 0
                    && t.any_kw(
                        i,
                        &["insert", "update", "delete", "merge", "select", "replace"],
                    )
            })
            .unwrap_or(0)
    } else {
        0
    };
    // The write target of the leading keyword.
    let mut target: Option<usize> = None;
    let (access, op, at) = if t.kw(l, "insert") || t.kw(l, "replace") {
        let op = if t.kw(l, "replace") {
            Operation::Replace
        } else if text.to_ascii_lowercase().contains("on duplicate key")
            || (t.find_kw(l, "conflict").is_some() && t.find_kw(l, "update").is_some())
        {
            Operation::Upsert
        } else {
            Operation::Insert
        };
        (Access::Write, op, t.find_kw(l, "into").map(|i| i + 1))
    } else if t.kw(l, "update") {
        let mut i = l + 1;
        while t.any_kw(i, &["low_priority", "ignore", "only"]) {
            i += 1;
        }
        (Access::Write, Operation::Update, Some(i))
    } else if t.kw(l, "delete") {
        (
            Access::Write,
            Operation::Delete,
            t.find_kw(l, "from").map(|i| i + 1),
        )
    } else if t.kw(l, "merge") {
        (
            Access::Write,
            Operation::Merge,
            t.find_kw(l, "into").map(|i| i + 1),
        )
    } else if t.kw(l, "truncate") {
        let i = if t.kw(l + 1, "table") { l + 2 } else { l + 1 };
        (
            Access::Write,
            Operation::Truncate,
            Some(if t.kw(i, "only") { i + 1 } else { i }),
        )
    } else if t.kw(l, "copy") && !t.punct(l + 1, "(") {
        let to = t.find_kw(l + 1, "to").is_some() && t.find_kw(l + 1, "from").is_none();
        let access = if to { Access::Read } else { Access::Write };
        (access, Operation::Copy, Some(l + 1))
    } else if t.any_kw(l, &["create", "alter", "drop"]) {
        let op = if t.kw(l, "create") {
            Operation::Create
        } else if t.kw(l, "alter") {
            Operation::Alter
        } else {
            Operation::Drop
        };
        let at = if t.find_kw(l + 1, "index").is_some() || t.find_kw(l + 1, "trigger").is_some() {
            t.find_kw(l + 1, "on").map(|i| i + 1)
        } else {
            t.find_kw(l + 1, "table")
                .or_else(|| t.find_kw(l + 1, "view"))
                .map(|i| {
                    let mut j = i + 1;
                    while t.any_kw(j, &["if", "not", "exists", "only"]) {
                        j += 1;
                    }
                    j
                })
        };
        (Access::Ddl, op, at)
    } else {
        (Access::Read, Operation::Select, None)
    };
    if let Some(i) = at
        && let Some((name, _)) = t.name(i)
    {
        push(&mut uses, name, access, op);
        target = Some(i);
    }
    if t.kw(l, "truncate") {
        // `TRUNCATE a, b`
        let mut i = target.unwrap_or(n);
        while let Some((_, next)) = t.name(i) {
            if !t.punct(next, ",") {
                break;
            }
            i = next + 1;
            if let Some((name, _)) = t.name(i) {
                push(&mut uses, name, access, op);
            }
        }
    }
    // Reads: names after FROM / JOIN / USING, outside EXTRACT(… FROM …)-style calls.
    let mut call_depth: Vec<bool> = Vec::new();
    let mut i = 0;
    while i < n {
        if t.punct(i, "(") {
            let call = i > 0
                && t.any_kw(
                    i - 1,
                    &["extract", "substring", "trim", "overlay", "position"],
                );
            call_depth.push(call);
        } else if t.punct(i, ")") {
            call_depth.pop();
        }
        let in_call = call_depth.last().copied().unwrap_or(false);
        // `CREATE TABLE t (LIKE legacy …)` copies legacy's definition.
        if i > 0
            && t.kw(i, "like")
            && t.punct(i - 1, "(")
            && let Some((name, _)) = t.name(i + 1)
        {
            push(&mut uses, name, Access::Read, Operation::Select);
        }
        // `UPDATE a, b SET …` (MySQL): names after the target's comma are read.
        let lead_list = i == l && t.kw(i, "update");
        if !in_call && (lead_list || t.any_kw(i, &["from", "join", "using"])) {
            let mut j = i + 1;
            while let Some((name, next)) = t.name(j) {
                if t.punct(next, "(") {
                    break; // a function call
                }
                let is_cte = name.schema.is_none() && ctes.iter().any(|c| c == &name.name);
                if !is_cte && Some(j) != target {
                    push(&mut uses, name, Access::Read, Operation::Select);
                }
                // `FROM a x, b y`: skip an alias, continue after a comma.
                let mut k = next;
                if t.kw(k, "as") {
                    k += 1;
                }
                if t.toks.get(k).is_some_and(|x| x.kind == Tok::Word)
                    && !t.punct(k, ",")
                    && t.name(k).is_some()
                {
                    k += 1;
                }
                if !t.punct(k, ",") {
                    break;
                }
                j = k + 1;
            }
        }
        i += 1;
    }
    uses
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(uses: &[TableUse]) -> Vec<String> {
        uses.iter()
            .map(|u| format!("{} {} {}", u.table.name, u.access, u.operation))
            .collect()
    }

    #[test]
    fn scan_finds_targets_and_reads() {
        let u = scan(
            "WITH c AS (SELECT 1) INSERT INTO a SELECT extract(year FROM d) FROM b x, c JOIN e ON true RETURNING id INTO v",
            LexOptions::POSTGRES,
        );
        assert_eq!(
            show(&u),
            ["a write insert", "b read select", "e read select"]
        );
    }

    #[test]
    fn known_statements() {
        let u = known(
            "LOAD DATA LOCAL INFILE '/x.csv' INTO TABLE audit_log FIELDS TERMINATED BY ','",
            LexOptions::MYSQL,
        );
        assert_eq!(show(&u.unwrap_or_default()), ["audit_log write load"]);
        let u = known("VACUUM (VERBOSE, ANALYZE) a, s.b", LexOptions::POSTGRES);
        assert_eq!(
            show(&u.unwrap_or_default()),
            ["a ddl maintenance", "b ddl maintenance"]
        );
        assert!(known("SELECT 1", LexOptions::POSTGRES).is_none());
    }
}
