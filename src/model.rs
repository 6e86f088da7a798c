//! Shared types that flow between stages: what a reference to a legacy table looks like
//! (`Finding`, built from the `Site` where it was found), how it touches the table
//! (`Access`, `Operation`), how sure we are (`Confidence`), and what could not be read or
//! fully analysed (`Problem`, `SkipReason`). Every renderer and every later stage (audit,
//! plan, burndown, report) consumes these and nothing else.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How a statement or call touches a table. Ordered so that reports list writers first.
/// `Declare`: an ORM model mapped to the table that does not define its schema (e.g. a
/// Django `managed = False` model): it neither reads nor writes, but it must move with the
/// table. `Unknown`: the table (or a model mapped to it) is used in a place the engine
/// cannot classify — an *unresolved* finding, with its `reason`; it may be a writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    Write,
    Read,
    Ddl,
    Declare,
    Unknown,
}

impl Access {
    pub const ALL: [Access; 5] = [
        Access::Write,
        Access::Read,
        Access::Ddl,
        Access::Declare,
        Access::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Access::Write => "write",
            Access::Read => "read",
            Access::Ddl => "ddl",
            Access::Declare => "declare",
            Access::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the statement or call does to the table. `Upsert` is an insert that may update
/// (ON CONFLICT / ON DUPLICATE KEY / get_or_create); `Declare` is a model declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    Select,
    Insert,
    Upsert,
    Update,
    Delete,
    Merge,
    Replace,
    Truncate,
    Copy,
    Load,
    Create,
    Alter,
    Drop,
    Rename,
    Comment,
    Grant,
    Lock,
    Declare,
    Call,
    /// VACUUM, ANALYZE, REINDEX, CLUSTER, OPTIMIZE, REFRESH MATERIALIZED VIEW.
    Maintenance,
    /// A foreign key of another table that points at this one (`REFERENCES t`).
    References,
    Unknown,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Select => "select",
            Operation::Insert => "insert",
            Operation::Upsert => "upsert",
            Operation::Update => "update",
            Operation::Delete => "delete",
            Operation::Merge => "merge",
            Operation::Replace => "replace",
            Operation::Truncate => "truncate",
            Operation::Copy => "copy",
            Operation::Load => "load",
            Operation::Create => "create",
            Operation::Alter => "alter",
            Operation::Drop => "drop",
            Operation::Rename => "rename",
            Operation::Comment => "comment",
            Operation::Grant => "grant",
            Operation::Lock => "lock",
            Operation::Declare => "declare",
            Operation::Call => "call",
            Operation::Maintenance => "maintenance",
            Operation::References => "references",
            Operation::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the table was identified. `Parsed`: a SQL parser saw the table in that role.
/// `Heuristic`: the parser failed and a token scan found the name after FROM/INTO/UPDATE…
/// `Dynamic`: the table name is computed at run time (the evidence shows the expression).
/// `Inferred`: the table comes from resolving a model or query-builder call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    Parsed,
    Heuristic,
    Inferred,
    Dynamic,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Parsed => "parsed",
            Confidence::Heuristic => "heuristic",
            Confidence::Inferred => "inferred",
            Confidence::Dynamic => "dynamic",
        }
    }
}

/// Where the reference was found: SQL text in code, a `.sql` file, a bulk-copy API that
/// names the table as an argument, an ORM or query-builder call, the declaration of a
/// model mapped to the table, or an object of the live database (`--db`: a trigger, view,
/// function, foreign key…, named in `file`). `Caller`: a call site of a function that reads
/// or writes the table (a named query, a `[[wrappers]]` function, a function found writing
/// it): listed apart from the direct findings, with the callee in `via`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    RawSql,
    SqlFile,
    BulkCopy,
    Orm,
    QueryBuilder,
    ModelDeclaration,
    DbObject,
    Caller,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::RawSql => "raw_sql",
            Kind::SqlFile => "sql_file",
            Kind::BulkCopy => "bulk_copy",
            Kind::Orm => "orm",
            Kind::QueryBuilder => "query_builder",
            Kind::ModelDeclaration => "model_declaration",
            Kind::DbObject => "db_object",
            Kind::Caller => "caller",
        }
    }
}

/// Source languages the scanner understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    Go,
    // snake_case would spell these `java_script` / `type_script`; the output contract and
    // `[[sinks]] language = "typescript"` use the names below (same as `as_str`).
    #[serde(rename = "javascript")]
    JavaScript,
    Python,
    Sql,
    #[serde(rename = "typescript")]
    TypeScript,
}

impl Language {
    pub fn as_str(self) -> &'static str {
        match self {
            Language::Go => "go",
            Language::JavaScript => "javascript",
            Language::Python => "python",
            Language::Sql => "sql",
            Language::TypeScript => "typescript",
        }
    }
}

/// One reference to a configured legacy table. This is the output contract of
/// `cutover inventory --format jsonl` (one per line), so field names are part of the
/// interface: add fields, never rename them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The configured table name this reference resolves to (as written in the config).
    pub table: String,
    pub access: Access,
    pub operation: Operation,
    /// Path relative to the scanned root, with `/` separators.
    pub file: String,
    /// 1-based line where the statement's text (or the call) starts.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
    pub language: Language,
    pub kind: Kind,
    /// Enclosing function, qualified by class or receiver (`OrderRepository.create_order`).
    pub function: Option<String>,
    pub confidence: Confidence,
    /// The statement or call on one line, whitespace collapsed, truncated.
    pub evidence: String,
    /// The call that ran the SQL (`cursor.execute`, `db.QueryContext`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sink: Option<String>,
    /// Framework or library that produced an ORM / query-builder finding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub framework: Option<String>,
    /// For implicit writes (cascades, nested writes): the chain that causes them. For a
    /// caller (kind `caller`): the functions it calls that touch the table, each as
    /// `name @ file:line` (the callee's direct finding).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub via: Vec<String>,
    /// For unresolved findings (access `unknown`): why the engine could not classify it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Where a reference was found: the file and position, the function around it, the text
/// shown as evidence, the call that ran it, and the library that call belongs to. One site
/// gives one finding per table it touches (`finding`), so every extractor fills a finding's
/// place the same way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// Path relative to the scanned root, with `/` separators.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
    pub language: Language,
    /// Enclosing function, qualified by class or receiver.
    pub function: Option<String>,
    /// The statement or call on one line, whitespace collapsed, truncated.
    pub evidence: String,
    /// The call that ran the SQL or the ORM method, when known.
    pub sink: Option<String>,
    /// The ORM or query builder, for ORM and query-builder findings.
    pub framework: Option<String>,
}

impl Site {
    /// The finding of this site for `table`. The only place a `Finding` is built.
    pub fn finding(
        &self,
        table: String,
        access: Access,
        operation: Operation,
        kind: Kind,
        confidence: Confidence,
    ) -> Finding {
        Finding {
            table,
            access,
            operation,
            file: self.file.clone(),
            line: self.line,
            column: self.column,
            language: self.language,
            kind,
            function: self.function.clone(),
            confidence,
            evidence: self.evidence.clone(),
            sink: self.sink.clone(),
            framework: self.framework.clone(),
            via: Vec::new(),
            reason: None,
        }
    }

    /// An unresolved finding of this site: `table` (or a model mapped to it) is used here
    /// in a way the engine cannot classify, for `reason` (said so in every report, counted
    /// by audit, never dropped).
    pub fn unresolved(&self, table: String, kind: Kind, reason: impl Into<String>) -> Finding {
        let mut f = self.finding(
            table,
            Access::Unknown,
            Operation::Unknown,
            kind,
            Confidence::Inferred,
        );
        f.reason = Some(reason.into());
        f
    }
}

impl Finding {
    /// The same finding, made implicitly through `chain` (a cascade of a delete, a nested
    /// write, a relation loaded with its model): the declarations and calls that cause it.
    pub fn via(mut self, chain: Vec<String>) -> Finding {
        self.via = chain;
        self
    }

    /// The deterministic order of every report: file, line, column, table, access, then
    /// the rest so that equal positions still sort stably.
    pub fn sort_key(&self) -> impl Ord + '_ {
        (
            &self.file,
            self.line,
            self.column,
            &self.table,
            self.access,
            self.operation,
            &self.evidence,
        )
    }
}

/// Sort findings into the report order and drop exact duplicates (the same table and access
/// found twice at one position, e.g. by two overlapping patterns).
pub fn sort_findings(findings: &mut Vec<Finding>) {
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    findings.dedup_by(|a, b| {
        a.file == b.file
            && a.line == b.line
            && a.column == b.column
            && a.table == b.table
            && a.access == b.access
            && a.operation == b.operation
            && a.evidence == b.evidence
    });
}

/// Why an input was not (fully) analysed. Reported, counted, never silent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// Larger than `scan.max_file_size`.
    TooLarge,
    /// Contains NUL bytes in its first block: not source text.
    Binary,
    /// Not valid UTF-8 (after BOM handling); analysed lossily, reported.
    InvalidUtf8,
    /// The OS refused to read it.
    Unreadable,
    /// Not a regular file (FIFO, socket, device).
    NotAFile,
    /// A symbolic link that loops or leaves the root.
    Symlink,
    /// The parser produced error nodes; what parsed was still analysed.
    SyntaxError,
    /// SQL found in code that no parser could classify.
    UnparsedSql,
    /// Walking the directory failed here.
    WalkError,
    /// Nested deeper than its parser can take (Python past 400 indentation levels would
    /// abort the process in tree-sitter's scanner): not parsed.
    TooDeep,
    /// The syntax-tree search ran out of its work budget: what it found before was
    /// analysed, the rest of the file was not.
    TooComplex,
    /// NUL bytes past the first 8 KiB (binary detection reads only those): replaced by
    /// spaces, the rest analysed.
    NulBytes,
    /// Vendored, minified, bundled or generated code (`.gitattributes`, file name, header,
    /// line length): not scanned unless `--include-generated`.
    Generated,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::TooLarge => "too_large",
            SkipReason::Binary => "binary",
            SkipReason::InvalidUtf8 => "invalid_utf8",
            SkipReason::Unreadable => "unreadable",
            SkipReason::NotAFile => "not_a_file",
            SkipReason::Symlink => "symlink",
            SkipReason::SyntaxError => "syntax_error",
            SkipReason::UnparsedSql => "unparsed_sql",
            SkipReason::WalkError => "walk_error",
            SkipReason::TooDeep => "too_deep",
            SkipReason::TooComplex => "too_complex",
            SkipReason::NulBytes => "nul_bytes",
            SkipReason::Generated => "generated",
        }
    }

    /// Whether `--strict` fails the run for it (exit 3): a file left out or only partly
    /// analysed, except generated code, which is left out by choice (`--include-generated`).
    pub fn is_incomplete(self) -> bool {
        (self.is_skip() && self != SkipReason::Generated) || self == SkipReason::TooComplex
    }

    /// Whether the file was left out entirely (as opposed to analysed with a warning).
    pub fn is_skip(self) -> bool {
        matches!(
            self,
            SkipReason::TooLarge
                | SkipReason::Binary
                | SkipReason::Unreadable
                | SkipReason::NotAFile
                | SkipReason::Symlink
                | SkipReason::WalkError
                | SkipReason::TooDeep
                | SkipReason::Generated
        )
    }
}

/// A file (or a part of one) that was skipped or only partly analysed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Problem {
    pub file: String,
    /// 1-based line when the problem is at a place in the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    pub reason: SkipReason,
    pub detail: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_names_match_as_str() {
        for lang in [
            Language::Go,
            Language::JavaScript,
            Language::Python,
            Language::Sql,
            Language::TypeScript,
        ] {
            let json = serde_json::to_string(&lang).unwrap();
            assert_eq!(json, format!("\"{}\"", lang.as_str()));
            let back: Language = serde_json::from_str(&json).unwrap();
            assert_eq!(back, lang);
        }
    }
}
