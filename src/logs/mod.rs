//! Query logs: log files (plain, .gz, .zst; bare or in a cloud envelope) in, a `LogReport`
//! out: per (table, access, client) the executions, first/last timestamps and normalised
//! statements, plus the accounting of everything read (lines, records, statements, what
//! could not be parsed, lines that match no format). One file per format parses records,
//! `cloud` unwraps envelopes, `read` detects and streams the files in parallel chunks; this
//! module aggregates what they report, merges the chunks, and classifies each distinct
//! normalised statement once (audit records come with their tables). `merge` turns an
//! aggregate into a mergeable summary; matching against components and code findings is
//! `reconcile`'s job.

pub mod audit;
pub mod cloud;
pub mod doctor;
pub mod mariadb_audit;
pub mod merge;
pub mod mysql_audit;
pub mod mysql_general;
pub mod mysql_slow;
pub mod pg_stat_statements;
pub mod postgres_csv;
pub mod postgres_json;
pub mod postgres_stderr;
pub mod prefix;
mod read;
pub mod reconcile;
pub mod tags;

use crate::config::TableMatcher;
use crate::model::{Access, Operation};
use crate::sql::{Dialect, TableName, TableUse};
use anyhow::{Result, bail};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use crate::sql::{classify, fingerprint_dialect};

/// A fast non-cryptographic hasher for the in-memory aggregation maps (FxHash's
/// multiply-rotate; never used for anything that is output or persisted). SipHash was
/// 15% of the reader's time.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type FxBuild = std::hash::BuildHasherDefault<FxHasher>;
type FxMap<K, V> = HashMap<K, V, FxBuild>;
type FxSet<K> = std::collections::HashSet<K, FxBuild>;

/// Examples kept per kind of problem.
const MAX_EXAMPLES: usize = 5;
/// Bytes per parallel chunk; fixed so that output does not depend on the thread count.
pub const DEFAULT_CHUNK_SIZE: usize = 4 << 20;
/// A record longer than this is split (and reported) rather than held in memory whole.
const MAX_RECORD_BYTES: usize = 64 << 20;
/// Entries of the raw-text cache in front of the fingerprint (cleared when full).
const RAW_CACHE_ENTRIES: usize = 4096;
/// Longer statements are not cached.
const RAW_CACHE_MAX_TEXT: usize = 512;
/// Entries of the per-file raw-text → fingerprint map shared with later chunks.
const SEEN_ENTRIES: usize = 1 << 15;

/// Raw statement text → its fingerprint, from the chunks already merged: a statement that
/// repeats through a file (a prepared statement, a job's query) is fingerprinted in the
/// first chunks only, not once per chunk.
type Seen = FxMap<Box<str>, Box<str>>;
/// Bytes sniffed to detect the format and infer a stderr prefix.
const SNIFF_BYTES: usize = 1 << 20;

/// The log formats cutover reads.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum LogFormat {
    PostgresStderr,
    PostgresCsv,
    PostgresJson,
    MysqlGeneral,
    MysqlSlow,
    PgStatStatements,
    /// MariaDB's `server_audit` plugin log (file output).
    MariadbAudit,
    /// Percona's audit log plugin or MySQL Enterprise Audit, JSON, one event per line.
    MysqlAuditJson,
    /// An empty file (or one whose compressed data could not be read at all).
    Empty,
}

impl LogFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::PostgresStderr => "postgres-stderr",
            LogFormat::PostgresCsv => "postgres-csv",
            LogFormat::PostgresJson => "postgres-json",
            LogFormat::MysqlGeneral => "mysql-general",
            LogFormat::MysqlSlow => "mysql-slow",
            LogFormat::PgStatStatements => "pg-stat-statements",
            LogFormat::MariadbAudit => "mariadb-audit",
            LogFormat::MysqlAuditJson => "mysql-audit-json",
            LogFormat::Empty => "empty",
        }
    }

    pub fn from_arg(arg: crate::cli::LogFormatArg) -> Option<LogFormat> {
        use crate::cli::LogFormatArg as A;
        match arg {
            A::Auto => None,
            A::PostgresStderr => Some(LogFormat::PostgresStderr),
            A::PostgresCsv => Some(LogFormat::PostgresCsv),
            A::PostgresJson => Some(LogFormat::PostgresJson),
            A::MysqlGeneral => Some(LogFormat::MysqlGeneral),
            A::MysqlSlow => Some(LogFormat::MysqlSlow),
            A::PgStatStatements => Some(LogFormat::PgStatStatements),
            A::MariadbAudit => Some(LogFormat::MariadbAudit),
            A::MysqlAuditJson => Some(LogFormat::MysqlAuditJson),
        }
    }

    pub fn dialect(self) -> Dialect {
        match self {
            LogFormat::MysqlGeneral
            | LogFormat::MysqlSlow
            | LogFormat::MariadbAudit
            | LogFormat::MysqlAuditJson => Dialect::Mysql,
            _ => Dialect::Postgres,
        }
    }

    pub fn is_postgres(self) -> bool {
        self.dialect() == Dialect::Postgres
    }

    /// Whether a chunk may start at `line` (the bytes after a newline).
    fn is_record_start(self, line: &[u8]) -> bool {
        match self {
            // STATEMENT/DETAIL/HINT/CONTEXT lines belong with the record before them.
            LogFormat::PostgresStderr => {
                !line.is_empty()
                    && line[0] != b'\t'
                    && ![
                        &b"STATEMENT:  "[..],
                        b"DETAIL:  ",
                        b"HINT:  ",
                        b"CONTEXT:  ",
                    ]
                    .iter()
                    .any(|m| memchr::memmem::find(&line[..line.len().min(400)], m).is_some())
            }
            LogFormat::PostgresCsv => starts_with_timestamp(line),
            LogFormat::PostgresJson => line.first() == Some(&b'{'),
            LogFormat::MysqlGeneral => mysql_general::is_record_line(line),
            LogFormat::MysqlSlow => {
                line.starts_with(b"# User@Host:") || line.starts_with(b"# Time:")
            }
            LogFormat::MariadbAudit => mariadb_audit::is_record_start(line),
            LogFormat::MysqlAuditJson => mysql_audit::is_record_start(line),
            // Small exports: read as one chunk.
            LogFormat::PgStatStatements | LogFormat::Empty => false,
        }
    }
}

/// `YYYY-MM-DD HH:MM:SS` at the start of `b`.
pub(crate) fn starts_with_timestamp(b: &[u8]) -> bool {
    // Every digit is checked, not only the separators: callers slice the line at byte 19,
    // which must then be a character boundary (a multi-byte character in the seconds panicked).
    const DIGITS: [usize; 14] = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
    b.len() >= 19
        && DIGITS.iter().all(|&i| b[i].is_ascii_digit())
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b' '
        && b[13] == b':'
        && b[16] == b':'
}

/// Who sent a statement, as far as the log tells. `tags` are sqlcommenter tags from the
/// statement's comment, the strongest attribution when present.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(default)]
pub struct Client {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub db: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// A MySQL connection whose `Connect` line is not in the log window.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread: Option<u64>,
    /// A PostgreSQL session whose prefix lacks client fields and whose `connection
    /// authorized` line is in an earlier chunk: filled in when chunks merge. Not part of the
    /// label, so sessions never resolved fold into one client.
    #[serde(skip)]
    pub session: Option<u64>,
}

/// Marks PostgreSQL session ids among MySQL thread ids in the merge's connection map.
pub(crate) const PG_SESSION: u64 = 1 << 63;

impl Client {
    /// Fill the fields this client lacks from `known` (its session's connection line).
    pub(crate) fn fill_from(&mut self, known: &Client) {
        for (mine, theirs) in [
            (&mut self.app, &known.app),
            (&mut self.user, &known.user),
            (&mut self.db, &known.db),
            (&mut self.host, &known.host),
        ] {
            if mine.is_none() {
                mine.clone_from(theirs);
            }
        }
    }

    /// The stable one-line name of the client used as its key in reports.
    pub fn label(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        for (k, v) in [
            ("app", &self.app),
            ("user", &self.user),
            ("db", &self.db),
            ("host", &self.host),
        ] {
            if let Some(v) = v {
                parts.push(format!("{k}={v}"));
            }
        }
        if let Some(t) = self.thread {
            parts.push(format!("thread={t}"));
        }
        let mut s = if parts.is_empty() {
            "unknown".to_string()
        } else {
            parts.join(" ")
        };
        if !self.tags.is_empty() {
            let tags: Vec<String> = self.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
            s.push_str(&format!(" [{}]", tags.join(" ")));
        }
        s
    }
}

/// The client fields of one record, borrowed from the chunk.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ClientRef<'a> {
    pub app: Option<&'a str>,
    pub user: Option<&'a str>,
    pub db: Option<&'a str>,
    pub host: Option<&'a str>,
    pub thread: Option<u64>,
    /// See `Client::session`.
    pub session: Option<u64>,
}

/// One executed (or attempted) statement as a format parser reports it.
pub(crate) struct Exec<'a> {
    pub client: ClientRef<'a>,
    pub ts: Option<&'a str>,
    pub sql: &'a str,
    /// Executions this record stands for (pg_stat_statements' `calls`, else 1).
    pub calls: u64,
    /// 1-based line in the chunk.
    pub line: u64,
    /// The server session, so that a later error of the session can refer to it.
    pub session: Option<u64>,
    /// Logged before it ran (`log_statement`), so a following ERROR may be its failure.
    pub logged_before_run: bool,
    /// Which server setting produced the record (doctor input).
    pub via: &'static str,
    /// What the server itself logged the statement touching (audit logs): trusted over a
    /// re-parse, the statement is kept as evidence. `Some(empty)`: no table (a function
    /// call, a role change); `None`: classify the statement.
    pub given: Option<Vec<TableUse>>,
}

/// A problem location: file, 1-based line, and the text (truncated).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct Example {
    pub file: String,
    pub line: u64,
    pub text: String,
}

/// Everything counted while reading. Nothing read is dropped without being counted here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Accounting {
    pub bytes: u64,
    pub lines: u64,
    /// Log records (a multi-line statement is one record).
    pub records: u64,
    /// Statement records found (executions and failures, before `calls` weighting).
    pub statements: u64,
    /// Executions, weighting pg_stat_statements rows by `calls`.
    pub executions: u64,
    /// Of those, statements the server reported as failed (ERROR + STATEMENT).
    pub failed: u64,
    /// Protocol records that repeat a statement without running it (parse/bind, Prepare, Close).
    pub protocol_records: u64,
    /// Records that are not statements (connections, checkpoints, DETAIL lines…).
    pub other_records: u64,
    /// Lines that match no record of the format.
    pub unmatched_lines: u64,
    /// PostgreSQL stderr records whose `log_line_prefix` did not match (client unknown).
    pub prefix_mismatches: u64,
    /// Records with the statement logged, by the setting that logged it.
    #[serde(skip_deserializing)]
    pub by_setting: BTreeMap<&'static str, u64>,
    /// Audit records that repeat the one before them for the same access (pgaudit logs an
    /// OBJECT line and a SESSION line for one access when both are on): counted once.
    #[serde(skip_serializing_if = "is_zero")]
    pub audit_repeats: u64,
    /// Lines with bytes that are not UTF-8 (read with U+FFFD in their place).
    #[serde(skip_serializing_if = "is_zero")]
    pub invalid_utf8_lines: u64,
    /// Files whose reading stopped early (corrupt or cut compressed data).
    #[serde(skip_serializing_if = "is_zero")]
    pub read_errors: u64,
}

impl Accounting {
    fn add(&mut self, o: &Accounting) {
        self.bytes += o.bytes;
        self.lines += o.lines;
        self.records += o.records;
        self.statements += o.statements;
        self.executions += o.executions;
        self.failed += o.failed;
        self.protocol_records += o.protocol_records;
        self.other_records += o.other_records;
        self.unmatched_lines += o.unmatched_lines;
        self.prefix_mismatches += o.prefix_mismatches;
        self.audit_repeats += o.audit_repeats;
        self.invalid_utf8_lines += o.invalid_utf8_lines;
        self.read_errors += o.read_errors;
        for (k, v) in &o.by_setting {
            *self.by_setting.entry(k).or_default() += v;
        }
    }
}

#[derive(Debug, Clone, Default)]
struct Stat {
    executions: u64,
    failed: u64,
    first: String,
    last: String,
}

impl Stat {
    fn see(&mut self, ts: Option<&str>) {
        if let Some(ts) = ts.filter(|t| !t.is_empty()) {
            if self.first.is_empty() || ts < self.first.as_str() {
                self.first.clear();
                self.first.push_str(ts);
            }
            if ts > self.last.as_str() {
                self.last.clear();
                self.last.push_str(ts);
            }
        }
    }
    fn merge(&mut self, o: &Stat) {
        self.executions += o.executions;
        self.failed += o.failed;
        if !o.first.is_empty() {
            self.see(Some(&o.first));
        }
        if !o.last.is_empty() {
            self.see(Some(&o.last));
        }
    }
}

#[derive(Debug, Clone)]
struct FpInfo {
    /// Normalised text.
    text: String,
    /// The first statement seen with this fingerprint, classified on its behalf.
    sample: String,
    file: u32,
    line: u64,
    /// Tables the server logged (audit logs), used instead of classifying `sample`.
    given: Option<Vec<TableUse>>,
    /// The interning key when `given` is set: the text plus the tables.
    key: Option<String>,
}

impl FpInfo {
    fn key(&self) -> &str {
        self.key.as_deref().unwrap_or(&self.text)
    }
}

/// Aggregation state: one per chunk while parsing, one global after merging.
#[derive(Debug, Default)]
pub(crate) struct Agg {
    file: u32,
    client_ids: FxMap<String, u32>,
    clients: Vec<Client>,
    fp_ids: FxMap<String, u32>,
    fps: Vec<FpInfo>,
    stats: FxMap<(u32, u32), Stat>,
    pub acc: Accounting,
    unmatched: Vec<Example>,
    prefix_mismatch: Vec<Example>,
    invalid_utf8: Vec<Example>,
    notes: Vec<String>,
    /// Last statement logged before it ran, per session: (client, fingerprint).
    sessions: FxMap<u64, (u32, u32)>,
    /// Sessions whose last ERROR still waits for its STATEMENT line.
    errored: FxSet<u64>,
    /// Sessions with a statement in this chunk (their state replaces the previous chunk's).
    touched: FxSet<u64>,
    /// Failures whose session had no statement earlier in the chunk: the statement they
    /// repeat may be at the end of the previous chunk.
    open_failures: Vec<(u64, u32, u32)>,
    prev_error: bool,
    /// MySQL general log `Connect` lines in order: thread id → client.
    pub connects: Vec<(u64, Client)>,
    key_buf: String,
    /// Session → the client id of its last record (a cache in front of `client_ids`).
    session_clients: FxMap<u64, u32>,
    /// The client id of the last record without a session.
    last_client: Option<u32>,
    fp_buf: String,
    /// Raw statement text → fingerprint id, bounded.
    raw_cache: FxMap<Box<str>, u32>,
    /// Raw text → fingerprint of the chunks before this one's batch (read-only here).
    seen: Option<std::sync::Arc<Seen>>,
    /// Raw texts this chunk fingerprinted itself, for `seen` after the merge.
    fresh: Vec<(Box<str>, u32)>,
    /// Lexical rules for fingerprints (MySQL quotes and comments differ).
    dialect: Dialect,
    /// The last audit access per session, to count an access logged twice once.
    audit_last: FxMap<u64, String>,
    /// PostgreSQL sessions → the client their connection lines named (this chunk).
    pg_conns: FxMap<u64, Client>,
}

impl Agg {
    fn new(file: u32, dialect: Dialect) -> Agg {
        Agg {
            file,
            dialect,
            ..Agg::default()
        }
    }

    /// The id of a record's client. A session keeps its client, so the id last seen for
    /// the session (or for the previous record when the format has no session) is tried
    /// first: building and hashing the full key for every record was a tenth of the time.
    fn client_id(
        &mut self,
        c: &ClientRef<'_>,
        tags: &[(String, String)],
        session: Option<u64>,
    ) -> u32 {
        if tags.is_empty() {
            let guess = match session {
                Some(s) => self.session_clients.get(&s).copied(),
                None => self.last_client,
            };
            if let Some(id) = guess
                && self
                    .clients
                    .get(id as usize)
                    .is_some_and(|k| same_client(k, c))
            {
                return id;
            }
        }
        let id = self.client_id_by_key(c, tags);
        if tags.is_empty() {
            match session {
                Some(s) => {
                    self.session_clients.insert(s, id);
                }
                None => self.last_client = Some(id),
            }
        }
        id
    }

    fn client_id_by_key(&mut self, c: &ClientRef<'_>, tags: &[(String, String)]) -> u32 {
        use std::fmt::Write;
        // Length-prefixed and with empty values as absent, so that two keys are equal
        // exactly when the clients are: the session cache above relies on it.
        let kb = &mut self.key_buf;
        kb.clear();
        for v in [c.app, c.user, c.db, c.host] {
            match v.filter(|s| !s.is_empty()) {
                Some(v) => {
                    let _ = write!(kb, "{}:{v}", v.len());
                }
                None => kb.push('-'),
            }
        }
        if let Some(t) = c.thread {
            let _ = write!(kb, "t{t}");
        }
        if let Some(t) = c.session {
            let _ = write!(kb, "s{t}");
        }
        for (k, v) in tags {
            let _ = write!(kb, "{}:{k}{}:{v}", k.len(), v.len());
        }
        if let Some(&id) = self.client_ids.get(kb.as_str()) {
            return id;
        }
        let own = |v: Option<&str>| v.filter(|s| !s.is_empty()).map(str::to_string);
        let client = Client {
            app: own(c.app),
            user: own(c.user),
            db: own(c.db),
            host: own(c.host),
            tags: tags.iter().cloned().collect(),
            thread: c.thread,
            session: c.session,
        };
        let id = self.clients.len() as u32;
        self.clients.push(client);
        self.client_ids.insert(kb.clone(), id);
        id
    }

    fn fp_id(&mut self, sql: &str, line: u64) -> u32 {
        // Prepared and parameterised statements repeat the same text: skip the fingerprint.
        if let Some(&id) = self.raw_cache.get(sql) {
            return id;
        }
        let id = self.fp_id_uncached(sql, line);
        if sql.len() <= RAW_CACHE_MAX_TEXT {
            if self.raw_cache.len() >= RAW_CACHE_ENTRIES {
                self.raw_cache.clear();
            }
            self.raw_cache.insert(sql.into(), id);
        }
        id
    }

    fn fp_id_uncached(&mut self, sql: &str, line: u64) -> u32 {
        let known = match self.seen.as_ref().and_then(|s| s.get(sql)) {
            Some(fp) => {
                self.fp_buf.clear();
                self.fp_buf.push_str(fp);
                true
            }
            None => {
                self.fp_buf = fingerprint_dialect(sql, self.dialect);
                false
            }
        };
        let id = self.fp_intern(sql, line);
        if !known && sql.len() <= RAW_CACHE_MAX_TEXT && self.fresh.len() < SEEN_ENTRIES {
            self.fresh.push((sql.into(), id));
        }
        id
    }

    /// The id of the fingerprint in `fp_buf`, `sql` being a statement that has it.
    fn fp_intern(&mut self, sql: &str, line: u64) -> u32 {
        if let Some(&id) = self.fp_ids.get(self.fp_buf.as_str()) {
            return id;
        }
        let id = self.fps.len() as u32;
        self.fps.push(FpInfo {
            text: self.fp_buf.clone(),
            sample: sql.trim().to_string(),
            file: self.file,
            line,
            given: None,
            key: None,
        });
        self.fp_ids.insert(self.fp_buf.clone(), id);
        id
    }

    /// Record one executed statement.
    pub(crate) fn exec(&mut self, e: Exec<'_>) {
        let _ = self.record_exec(e, false);
    }

    /// The id of the statement `sql` with the tables the server logged for it.
    fn fp_id_given(&mut self, sql: &str, line: u64, given: &[TableUse]) -> u32 {
        let text = fingerprint_dialect(sql, self.dialect);
        let key = given_key(&text, given);
        if let Some(&id) = self.fp_ids.get(key.as_str()) {
            return id;
        }
        let id = self.fps.len() as u32;
        self.fps.push(FpInfo {
            text,
            sample: sql.trim().to_string(),
            file: self.file,
            line,
            given: Some(given.to_vec()),
            key: Some(key.clone()),
        });
        self.fp_ids.insert(key, id);
        id
    }

    fn record_exec(&mut self, e: Exec<'_>, failed: bool) -> (u32, u32) {
        let tags = if has_comment(e.sql) {
            tags::extract(e.sql)
        } else {
            Vec::new()
        };
        let cid = self.client_id(&e.client, &tags, e.session);
        let fid = match &e.given {
            Some(given) => self.fp_id_given(e.sql, e.line, given),
            None => self.fp_id(e.sql, e.line),
        };
        let stat = self.stats.entry((cid, fid)).or_default();
        if failed {
            stat.failed += e.calls;
            self.acc.failed += e.calls;
        } else {
            stat.executions += e.calls;
        }
        stat.see(e.ts);
        self.acc.statements += 1;
        self.acc.executions += e.calls;
        *self.acc.by_setting.entry(e.via).or_default() += 1;
        if let Some(s) = e.session {
            self.touched.insert(s);
            if e.logged_before_run && !failed {
                self.sessions.insert(s, (cid, fid));
            } else {
                self.sessions.remove(&s);
            }
        }
        (cid, fid)
    }

    /// A statement the server reported as failed (`ERROR` then `STATEMENT`). When the same
    /// session logged that statement just before (log_statement), that execution becomes a
    /// failure instead of being counted twice.
    pub(crate) fn failed(&mut self, e: Exec<'_>) {
        if let Some(s) = e.session
            && let Some(&(cid, fid)) = self.sessions.get(&s)
        {
            let tags = if has_comment(e.sql) {
                tags::extract(e.sql)
            } else {
                Vec::new()
            };
            let cid_now = self.client_id(&e.client, &tags, e.session);
            // An audited statement is keyed with its tables: compare the normalised texts.
            let same = if self
                .fps
                .get(fid as usize)
                .is_some_and(|f| f.given.is_some())
            {
                fingerprint_dialect(e.sql, self.dialect) == self.fps[fid as usize].text
            } else {
                self.fp_id(e.sql, e.line) == fid
            };
            if cid_now == cid && same {
                self.sessions.remove(&s);
                if let Some(stat) = self.stats.get_mut(&(cid, fid))
                    && stat.executions > 0
                {
                    stat.executions -= 1;
                    stat.failed += 1;
                    // The failure's own time, as when it is counted in another chunk.
                    stat.see(e.ts);
                    self.acc.failed += 1;
                    return;
                }
            }
        }
        let session = e.session.filter(|s| !self.touched.contains(s));
        let (cid, fid) = self.record_exec(e, true);
        if let Some(s) = session {
            self.open_failures.push((s, cid, fid));
        }
    }

    /// An ERROR/FATAL record of `session` (or of an unknown session).
    pub(crate) fn set_error(&mut self, session: Option<u64>) {
        match session {
            Some(s) => {
                self.errored.insert(s);
            }
            None => self.prev_error = true,
        }
    }

    /// Whether the last error of `session` is still waiting for its STATEMENT.
    pub(crate) fn take_error(&mut self, session: Option<u64>) -> bool {
        match session {
            Some(s) => self.errored.remove(&s),
            None => std::mem::take(&mut self.prev_error),
        }
    }

    pub(crate) fn unmatched(&mut self, line: u64, text: &str) {
        self.acc.unmatched_lines += 1;
        if self.unmatched.len() < MAX_EXAMPLES {
            self.unmatched.push(self.example(line, text));
        }
    }

    pub(crate) fn prefix_mismatch(&mut self, line: u64, text: &str) {
        self.acc.prefix_mismatches += 1;
        if self.prefix_mismatch.len() < MAX_EXAMPLES {
            self.prefix_mismatch.push(self.example(line, text));
        }
    }

    pub(crate) fn note(&mut self, note: String) {
        self.notes.push(note);
    }

    fn example(&self, line: u64, text: &str) -> Example {
        Example {
            file: self.file.to_string(),
            line,
            text: truncate(text, 160),
        }
    }

    /// Fold a later chunk (`o`, whose line numbers start after `line_base`) into `self`.
    fn merge(&mut self, mut o: Agg, line_base: u64, threads: &mut HashMap<u64, Client>) {
        let mut cmap = Vec::with_capacity(o.clients.len());
        for mut c in std::mem::take(&mut o.clients) {
            // A MySQL thread whose Connect line was in an earlier chunk.
            if let Some(t) = c.thread
                && c.app.is_none()
                && c.user.is_none()
                && let Some(known) = threads.get(&t)
            {
                let tags = std::mem::take(&mut c.tags);
                c = known.clone();
                c.tags = tags;
            }
            // A PostgreSQL session whose `connection authorized` line was in an earlier chunk.
            if let Some(s) = c.session.take()
                && let Some(known) = threads.get(&(s | PG_SESSION))
            {
                c.fill_from(known);
            }
            cmap.push(self.intern_client(c));
        }
        for (t, c) in std::mem::take(&mut o.connects) {
            if t & PG_SESSION == 0 {
                threads.insert(t, c);
                continue;
            }
            // PostgreSQL: `connection received` (host) starts a session, `connection
            // authorized` (user, database, application) completes it.
            match threads.get_mut(&t) {
                Some(known) if c.user.is_some() || c.db.is_some() || c.app.is_some() => {
                    known.user = c.user;
                    known.db = c.db;
                    known.app = c.app;
                    if c.host.is_some() {
                        known.host = c.host;
                    }
                }
                _ => {
                    threads.insert(t, c);
                }
            }
        }
        let mut fmap = Vec::with_capacity(o.fps.len());
        for mut f in std::mem::take(&mut o.fps) {
            f.line += line_base;
            let id = match self.fp_ids.get(f.key()) {
                Some(&id) => id,
                None => {
                    let id = self.fps.len() as u32;
                    self.fp_ids.insert(f.key().to_string(), id);
                    self.fps.push(f);
                    id
                }
            };
            fmap.push(id);
        }
        let mut stats: Vec<((u32, u32), Stat)> = std::mem::take(&mut o.stats).into_iter().collect();
        stats.sort_by_key(|(k, _)| *k);
        for ((c, f), s) in stats {
            self.stats
                .entry((cmap[c as usize], fmap[f as usize]))
                .or_default()
                .merge(&s);
        }
        self.acc.add(&o.acc);
        // A failure whose statement was logged at the end of the previous chunk.
        for (s, c, f) in std::mem::take(&mut o.open_failures) {
            let key = (cmap[c as usize], fmap[f as usize]);
            // The statement logged before it ran: the same client and normalised text (an
            // audited statement is interned with its tables, so its id may differ).
            let logged = self.sessions.get(&s).copied().filter(|prev| {
                prev.0 == key.0
                    && (prev.1 == key.1
                        || self.fps[prev.1 as usize].text == self.fps[key.1 as usize].text)
            });
            if let Some(prev) = logged
                && let Some(stat) = self.stats.get_mut(&prev)
                && stat.executions > 0
            {
                stat.executions -= 1;
                self.acc.statements -= 1;
                self.acc.executions -= 1;
                if let Some(n) = self.acc.by_setting.get_mut("error_statement") {
                    *n -= 1;
                    if *n == 0 {
                        self.acc.by_setting.remove("error_statement");
                    }
                }
                self.sessions.remove(&s);
            }
        }
        #[expect(clippy::iter_over_hash_type, reason = "removals commute")]
        for s in std::mem::take(&mut o.touched) {
            self.sessions.remove(&s);
        }
        let mut carried: Vec<(u64, (u32, u32))> = o.sessions.drain().collect();
        carried.sort();
        for (s, (c, f)) in carried {
            self.sessions
                .insert(s, (cmap[c as usize], fmap[f as usize]));
        }
        for (mut list, mine) in [
            (o.unmatched, &mut self.unmatched),
            (o.prefix_mismatch, &mut self.prefix_mismatch),
            (o.invalid_utf8, &mut self.invalid_utf8),
        ] {
            for e in &mut list {
                e.line += line_base;
            }
            mine.extend(list);
            mine.truncate(MAX_EXAMPLES);
        }
        self.notes.extend(o.notes);
    }

    fn intern_client(&mut self, c: Client) -> u32 {
        let key = format!("{c:?}");
        if let Some(&id) = self.client_ids.get(&key) {
            return id;
        }
        let id = self.clients.len() as u32;
        self.clients.push(c);
        self.client_ids.insert(key, id);
        id
    }
}

/// The interning key of a normalised statement with the tables an audit log named for it.
fn given_key(text: &str, given: &[TableUse]) -> String {
    use std::fmt::Write;
    let mut key = text.to_string();
    key.push('\u{1}');
    for u in given {
        let _ = write!(
            key,
            "{}.{}:{}:{};",
            u.table.schema.as_deref().unwrap_or(""),
            u.table.name,
            u.access.as_str(),
            u.operation.as_str()
        );
    }
    key
}

/// Whether `sql` may hold a `/* … */` comment (sqlcommenter tags): a byte search, cheaper
/// per statement than a substring search.
fn has_comment(sql: &str) -> bool {
    let b = sql.as_bytes();
    memchr::memchr_iter(b'/', b).any(|i| b.get(i + 1) == Some(&b'*'))
}

/// Whether `k` is the client of `c` (a client without sqlcommenter tags).
fn same_client(k: &Client, c: &ClientRef<'_>) -> bool {
    let same = |a: &Option<String>, b: Option<&str>| a.as_deref() == b.filter(|s| !s.is_empty());
    k.thread == c.thread
        && k.session == c.session
        && k.tags.is_empty()
        && same(&k.host, c.host)
        && same(&k.app, c.app)
        && same(&k.user, c.user)
        && same(&k.db, c.db)
}

pub(crate) fn truncate(text: &str, max: usize) -> String {
    // Stops at `max` characters: an unmatched line can be megabytes long, and only its
    // start is shown.
    let mut out = String::new();
    let mut chars = 0;
    for word in text.split_whitespace() {
        let separator = (!out.is_empty()).then_some(' ');
        for c in separator.into_iter().chain(word.chars()) {
            if chars == max {
                out.push('…');
                return out;
            }
            out.push(c);
            chars += 1;
        }
    }
    out
}

/// How to read a set of log files.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Forced format; `None` detects it per file.
    pub format: Option<LogFormat>,
    /// PostgreSQL `log_line_prefix` for stderr logs (default `%m [%p] `).
    pub log_line_prefix: Option<String>,
    /// Tables to report; empty reports every table seen (discovery).
    pub tables: TableMatcher,
    /// Bytes per parallel chunk (tests use small chunks to exercise the cuts).
    pub chunk_size: Option<usize>,
    /// Where the bytes read are counted (the command's progress bar).
    pub progress: Option<indicatif::ProgressBar>,
}

/// One input file as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileInfo {
    pub path: String,
    pub format: LogFormat,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compression: Option<&'static str>,
    /// Bytes after decompression.
    pub bytes: u64,
    pub lines: u64,
    /// The managed-cloud envelope the records came in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub envelope: Option<cloud::Envelope>,
    /// The managed service that wrote the log (from its envelope or its fixed prefix).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<cloud::Provider>,
    /// PostgreSQL stderr: the `log_line_prefix` read with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_line_prefix: Option<String>,
    /// Where that prefix came from: given, or inferred (and how well it matched).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix_source: Option<String>,
}

/// Statement counts of one normalised statement within a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementCount {
    pub statement: String,
    pub executions: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub failed: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One (table, access, client) with its evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    pub table: String,
    pub access: Access,
    pub client: String,
    pub operations: BTreeSet<Operation>,
    /// Successful executions.
    pub executions: u64,
    /// Attempts the server reported as failed: the client tried, the table was not changed.
    pub failed: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last: Option<String>,
    pub statements: Vec<StatementCount>,
}

/// Distinct statements the classifier could not read, by reason.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Unparsed {
    /// Distinct normalised statements.
    pub statements: u64,
    pub executions: u64,
    pub examples: Vec<Example>,
}

/// Classification counts over distinct normalised statements.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ClassifyCounts {
    pub distinct_statements: u64,
    pub classified: u64,
    pub failed_to_parse: u64,
    /// Classified, touching no table (BEGIN, SET, SELECT 1…).
    pub without_tables: u64,
    /// Touching tables, none of them a reported table.
    pub other_tables_only: u64,
}

/// A client with its totals (every statement, whatever the table).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClientSummary {
    pub client: Client,
    pub executions: u64,
    pub failed: u64,
}

/// The result of reading a set of logs: the input of every log renderer, the doctor and
/// the reconciliation.
#[derive(Debug, Clone, Serialize)]
pub struct LogReport {
    pub files: Vec<FileInfo>,
    /// Configured tables reported on; empty means every table seen.
    pub tables: Vec<String>,
    pub accounting: Accounting,
    pub classify: ClassifyCounts,
    pub rows: Vec<Row>,
    pub clients: BTreeMap<String, ClientSummary>,
    pub unparsed: BTreeMap<String, Unparsed>,
    pub unmatched_examples: Vec<Example>,
    pub prefix_mismatch_examples: Vec<Example>,
    /// Lines with bytes that are not UTF-8.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub invalid_utf8_examples: Vec<Example>,
    pub notes: Vec<String>,
    /// Application names on statements with their executions ("" = none).
    pub app_names: BTreeMap<String, u64>,
    /// The PostgreSQL `log_line_prefix` used for stderr files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_line_prefix: Option<String>,
}

impl LogReport {
    /// Why the read is incomplete (`--strict` exits 3 on any): lines that match no record,
    /// records whose prefix did not match, lines that are not UTF-8, data lost to a read
    /// error. Empty when everything read was analysed.
    pub fn incomplete(&self) -> Vec<String> {
        let a = &self.accounting;
        let mut out = Vec::new();
        for (n, what) in [
            (a.unmatched_lines, "lines match no record of the format"),
            (a.prefix_mismatches, "records did not match log_line_prefix"),
            (a.invalid_utf8_lines, "lines are not UTF-8"),
            (a.read_errors, "files could not be read to their end"),
        ] {
            if n > 0 {
                out.push(format!("{n} {what}"));
            }
        }
        out
    }

    /// The rows of one table.
    pub fn rows_of<'a>(&'a self, table: &'a str) -> impl Iterator<Item = &'a Row> + 'a {
        self.rows.iter().filter(move |r| r.table == table)
    }
}

/// Schemas that hold the servers' own catalogs; left out when no tables are configured.
const SYSTEM_SCHEMAS: &[&str] = &[
    "information_schema",
    "mysql",
    "performance_schema",
    "pg_catalog",
    "sys",
];

/// Read, parse and aggregate `paths` as one log window.
pub fn read_logs(paths: &[PathBuf], opts: &ReadOptions) -> Result<LogReport> {
    let inputs: Vec<LogInput<'_>> = paths.iter().map(|p| LogInput::File(p)).collect();
    read_inputs(&inputs, opts)
}

/// Read, parse and aggregate `inputs` (files, or bytes already in memory) as one log window.
pub fn read_inputs(inputs: &[LogInput<'_>], opts: &ReadOptions) -> Result<LogReport> {
    let (global, files) = read_all(inputs, opts)?;
    Ok(finish(global, files, &opts.tables))
}

pub(crate) use read::read_all;
pub use read::{LogInput, detect, open};

/// Classify and report an aggregate of `files`.
pub(crate) fn finish(mut global: Agg, files: Vec<FileInfo>, tables: &TableMatcher) -> LogReport {
    let mut dialects: Vec<Dialect> = Vec::new();
    for f in &files {
        if f.format != LogFormat::Empty && !dialects.contains(&f.format.dialect()) {
            dialects.push(f.format.dialect());
        }
    }
    let display: Vec<String> = files.iter().map(|f| f.path.clone()).collect();
    let fix = |e: &mut Example| {
        if let Ok(i) = e.file.parse::<usize>()
            && let Some(p) = display.get(i)
        {
            e.file = p.clone();
        }
    };
    let mut unmatched = std::mem::take(&mut global.unmatched);
    unmatched.iter_mut().for_each(fix);
    let mut mismatch = std::mem::take(&mut global.prefix_mismatch);
    mismatch.iter_mut().for_each(fix);
    let mut invalid = std::mem::take(&mut global.invalid_utf8);
    invalid.iter_mut().for_each(fix);
    let dialect = if dialects.len() == 1 {
        dialects[0]
    } else {
        Dialect::Postgres
    };
    let mut report = build_report(global, dialect, tables, &display);
    report.files = files;
    report.unmatched_examples = unmatched;
    report.prefix_mismatch_examples = mismatch;
    report.invalid_utf8_examples = invalid;
    report.log_line_prefix = report.files.iter().find_map(|f| f.log_line_prefix.clone());
    report
}

/// Iterate the lines of `text` with their 1-based numbers (without the `\n`, `\r` kept
/// off), and return the count through `count`.
pub(crate) fn lines(text: &str) -> impl Iterator<Item = (u64, &str)> {
    let mut rest = text;
    let mut n = 0u64;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        n += 1;
        let (line, next) = match memchr::memchr(b'\n', rest.as_bytes()) {
            Some(p) => (&rest[..p], &rest[p + 1..]),
            None => (rest, ""),
        };
        rest = next;
        Some((n, line.strip_suffix('\r').unwrap_or(line)))
    })
}

fn table_display(t: &TableName, db: Option<&str>) -> String {
    match &t.schema {
        Some(s) if s != "public" && Some(s.as_str()) != db => format!("{s}.{}", t.name),
        _ => t.name.clone(),
    }
}

fn is_system(t: &TableName) -> bool {
    // `GRANT … ON db.*` names every table, not one.
    if t.name == "*" {
        return true;
    }
    match &t.schema {
        Some(s) => SYSTEM_SCHEMAS.contains(&s.to_ascii_lowercase().as_str()),
        None => t.name.starts_with("pg_"),
    }
}

#[derive(Default)]
struct RowAcc {
    operations: BTreeSet<Operation>,
    stat: Stat,
    statements: BTreeMap<u32, (u64, u64)>,
}

fn build_report(g: Agg, dialect: Dialect, tables: &TableMatcher, display: &[String]) -> LogReport {
    // Classify each distinct normalised statement once, in parallel.
    let classified: Vec<_> = g
        .fps
        .par_iter()
        .map(|f| match &f.given {
            // The server named the tables (audit logs): no re-parse.
            Some(given) => vec![crate::sql::Statement {
                start: 0,
                end: f.sample.len(),
                uses: given.clone(),
                confidence: crate::model::Confidence::Parsed,
                error: None,
                routine: None,
            }],
            None => classify(&f.sample, dialect),
        })
        .collect();
    let mut counts = ClassifyCounts {
        distinct_statements: g.fps.len() as u64,
        ..ClassifyCounts::default()
    };
    let mut executions_per_fp = vec![0u64; g.fps.len()];
    #[expect(clippy::iter_over_hash_type, reason = "sums commute")]
    for ((_, f), s) in &g.stats {
        executions_per_fp[*f as usize] += s.executions + s.failed;
    }
    let mut unparsed: BTreeMap<String, Unparsed> = BTreeMap::new();
    let mut fp_order: Vec<usize> = (0..g.fps.len()).collect();
    fp_order.sort_by(|a, b| {
        (g.fps[*a].file, g.fps[*a].line, &g.fps[*a].text).cmp(&(
            g.fps[*b].file,
            g.fps[*b].line,
            &g.fps[*b].text,
        ))
    });
    let mut relevant = vec![false; g.fps.len()];
    for &i in &fp_order {
        let stmts = &classified[i];
        if let Some(err) = stmts.iter().find_map(|s| s.error.as_ref()) {
            counts.failed_to_parse += 1;
            let u = unparsed.entry(err.clone()).or_default();
            u.statements += 1;
            u.executions += executions_per_fp[i];
            if u.examples.len() < MAX_EXAMPLES {
                let f = &g.fps[i];
                u.examples.push(Example {
                    file: display.get(f.file as usize).cloned().unwrap_or_default(),
                    line: f.line,
                    text: truncate(&f.sample, 160),
                });
            }
        } else {
            counts.classified += 1;
        }
        let any_table = stmts.iter().any(|s| !s.uses.is_empty());
        let any_reported = stmts.iter().flat_map(|s| &s.uses).any(|u| {
            if tables.is_empty() {
                !is_system(&u.table)
            } else {
                tables.resolve(&u.table).is_some()
            }
        });
        relevant[i] = any_reported;
        if !any_table && stmts.iter().all(|s| s.error.is_none()) {
            counts.without_tables += 1;
        } else if any_table && !any_reported {
            counts.other_tables_only += 1;
        }
    }
    let mut rows: BTreeMap<(String, Access, String), RowAcc> = BTreeMap::new();
    let mut clients: BTreeMap<String, ClientSummary> = BTreeMap::new();
    let labels: Vec<String> = g.clients.iter().map(Client::label).collect();
    // Application names on statements with their executions ("" = none): doctor input.
    let mut app_names: BTreeMap<String, u64> = BTreeMap::new();
    let mut keys: Vec<&(u32, u32)> = g.stats.keys().collect();
    keys.sort();
    for key in keys {
        let s = &g.stats[key];
        let (c, f) = (key.0 as usize, key.1 as usize);
        let summary = clients
            .entry(labels[c].clone())
            .or_insert_with(|| ClientSummary {
                client: g.clients[c].clone(),
                executions: 0,
                failed: 0,
            });
        summary.executions += s.executions;
        summary.failed += s.failed;
        let client = &g.clients[c];
        if let Some(app) = &client.app {
            *app_names.entry(app.clone()).or_default() += s.executions + s.failed;
        } else if client.thread.is_none() && client.user.is_some() {
            *app_names.entry(String::new()).or_default() += s.executions + s.failed;
        }
        if !relevant[f] {
            continue;
        }
        let mut seen: BTreeSet<(String, Access)> = BTreeSet::new();
        let mut ops: BTreeMap<(String, Access), BTreeSet<Operation>> = BTreeMap::new();
        for u in classified[f].iter().flat_map(|st| &st.uses) {
            let name = if tables.is_empty() {
                if is_system(&u.table) {
                    continue;
                }
                table_display(&u.table, g.clients[c].db.as_deref())
            } else {
                match tables.resolve(&u.table) {
                    Some(t) => t.display.clone(),
                    None => continue,
                }
            };
            seen.insert((name.clone(), u.access));
            ops.entry((name, u.access)).or_default().insert(u.operation);
        }
        for (name, access) in seen {
            let acc = rows
                .entry((name.clone(), access, labels[c].clone()))
                .or_default();
            if let Some(o) = ops.get(&(name, access)) {
                acc.operations.extend(o.iter().copied());
            }
            acc.stat.merge(s);
            let e = acc.statements.entry(f as u32).or_default();
            e.0 += s.executions;
            e.1 += s.failed;
        }
    }
    let rows = rows
        .into_iter()
        .map(|((table, access, client), r)| {
            // Audited statements are interned with their tables: one text may have several.
            let mut by_text: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
            for (f, (e, x)) in r.statements {
                let c = by_text.entry(g.fps[f as usize].text.as_str()).or_default();
                c.0 += e;
                c.1 += x;
            }
            let mut statements: Vec<StatementCount> = by_text
                .into_iter()
                .map(|(text, (e, x))| StatementCount {
                    statement: text.to_string(),
                    executions: e,
                    failed: x,
                })
                .collect();
            statements.sort_by(|a, b| {
                (b.executions + b.failed)
                    .cmp(&(a.executions + a.failed))
                    .then_with(|| a.statement.cmp(&b.statement))
            });
            Row {
                table,
                access,
                client,
                operations: r.operations,
                executions: r.stat.executions,
                failed: r.stat.failed,
                first: (!r.stat.first.is_empty()).then_some(r.stat.first),
                last: (!r.stat.last.is_empty()).then_some(r.stat.last),
                statements,
            }
        })
        .collect();
    let mut notes = g.notes;
    notes.sort();
    notes.dedup();
    let notes = notes
        .into_iter()
        .map(|n| {
            // Chunk notes name the file by index.
            match n.split_once(": ") {
                Some((i, rest)) if i.parse::<usize>().is_ok() => format!(
                    "{}: {rest}",
                    display
                        .get(i.parse::<usize>().unwrap_or(0))
                        .cloned()
                        .unwrap_or_default()
                ),
                _ => n,
            }
        })
        .collect();
    LogReport {
        files: Vec::new(),
        tables: tables.tables().iter().map(|t| t.display.clone()).collect(),
        accounting: g.acc,
        classify: counts,
        rows,
        clients,
        unparsed,
        unmatched_examples: Vec::new(),
        prefix_mismatch_examples: Vec::new(),
        invalid_utf8_examples: Vec::new(),
        notes,
        app_names,
        log_line_prefix: None,
    }
}

/// Fail early on an obviously wrong input list.
pub fn check_paths(paths: &[PathBuf]) -> Result<()> {
    for p in paths {
        if !p.is_file() {
            bail!("log file {} does not exist or is not a file", p.display());
        }
    }
    Ok(())
}
