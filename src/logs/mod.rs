//! Query-log reading: log files (plain, .gz, .zst) in, a `LogReport` out: per (table, access,
//! client) the executions, first/last timestamps and normalised statements, plus the
//! accounting of everything read (lines, records, statements, what could not be parsed,
//! lines that match no format). One file per format parses records; this module detects the
//! format, streams the file in chunks cut at record boundaries, parses the chunks in
//! parallel, merges them in file order, and classifies each distinct normalised statement
//! once. Matching against components and code findings is `reconcile`'s job.

pub mod doctor;
pub mod mysql_general;
pub mod mysql_slow;
pub mod pg_stat_statements;
pub mod postgres_csv;
pub mod postgres_json;
pub mod postgres_stderr;
pub mod reconcile;

use crate::config::TableMatcher;
use crate::model::{Access, Operation};
use crate::sql::{Dialect, TableName};
use anyhow::{Context, Result, bail};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

use crate::sql::{classify, comment_tags, fingerprint_dialect};

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
/// Bytes sniffed to detect the format.
const SNIFF_BYTES: usize = 64 << 10;

/// The log formats cutover reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LogFormat {
    PostgresStderr,
    PostgresCsv,
    PostgresJson,
    MysqlGeneral,
    MysqlSlow,
    PgStatStatements,
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
        }
    }

    pub fn dialect(self) -> Dialect {
        match self {
            LogFormat::MysqlGeneral | LogFormat::MysqlSlow => Dialect::Mysql,
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
            // Small exports: read as one chunk.
            LogFormat::PgStatStatements => false,
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
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
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
}

impl Client {
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
}

/// A problem location: file, 1-based line, and the text (truncated).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Example {
    pub file: String,
    pub line: u64,
    pub text: String,
}

/// Everything counted while reading. Nothing read is dropped without being counted here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
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
    pub by_setting: BTreeMap<&'static str, u64>,
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
        });
        self.fp_ids.insert(self.fp_buf.clone(), id);
        id
    }

    /// Record one executed statement.
    pub(crate) fn exec(&mut self, e: Exec<'_>) {
        let _ = self.record_exec(e, false);
    }

    fn record_exec(&mut self, e: Exec<'_>, failed: bool) -> (u32, u32) {
        let tags = if has_comment(e.sql) {
            comment_tags(e.sql)
        } else {
            Vec::new()
        };
        let cid = self.client_id(&e.client, &tags, e.session);
        let fid = self.fp_id(e.sql, e.line);
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
                comment_tags(e.sql)
            } else {
                Vec::new()
            };
            let cid_now = self.client_id(&e.client, &tags, e.session);
            let fid_now = self.fp_id(e.sql, e.line);
            if cid_now == cid && fid_now == fid {
                self.sessions.remove(&s);
                if let Some(stat) = self.stats.get_mut(&(cid, fid))
                    && stat.executions > 0
                {
                    stat.executions -= 1;
                    stat.failed += 1;
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
            cmap.push(self.intern_client(c));
        }
        for (t, c) in std::mem::take(&mut o.connects) {
            threads.insert(t, c);
        }
        let mut fmap = Vec::with_capacity(o.fps.len());
        for mut f in std::mem::take(&mut o.fps) {
            f.line += line_base;
            let id = match self.fp_ids.get(f.text.as_str()) {
                Some(&id) => id,
                None => {
                    let id = self.fps.len() as u32;
                    self.fp_ids.insert(f.text.clone(), id);
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
            if self.sessions.get(&s) == Some(&key)
                && let Some(stat) = self.stats.get_mut(&key)
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
    pub notes: Vec<String>,
    /// Application names on statements with their executions ("" = none).
    pub app_names: BTreeMap<String, u64>,
    /// The PostgreSQL `log_line_prefix` used for stderr files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_line_prefix: Option<String>,
}

impl LogReport {
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

/// A log to read: a file, or bytes already in memory (the fuzz targets and tests read
/// thousands of inputs a second, and a temporary file per input costs more than the parse).
#[derive(Debug, Clone, Copy)]
pub enum LogInput<'a> {
    File(&'a Path),
    Bytes { name: &'a str, bytes: &'a [u8] },
}

impl<'a> LogInput<'a> {
    /// The name reports and messages use.
    fn name(&self) -> String {
        match self {
            LogInput::File(path) => path.display().to_string(),
            LogInput::Bytes { name, .. } => (*name).to_string(),
        }
    }

    /// A reader of the decompressed content, and the compression undone.
    fn open(&self) -> Result<(Box<dyn Read + Send + 'a>, Option<&'static str>)> {
        match *self {
            LogInput::File(path) => open(path),
            LogInput::Bytes { name, bytes } => {
                if bytes.starts_with(&[0x1f, 0x8b]) {
                    Ok((
                        Box::new(flate2::read::MultiGzDecoder::new(bytes)),
                        Some("gzip"),
                    ))
                } else if bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
                    let d = zstd::stream::read::Decoder::new(bytes)
                        .with_context(|| format!("cannot start zstd decoding of {name}"))?;
                    Ok((Box::new(d), Some("zstd")))
                } else {
                    Ok((Box::new(bytes), None))
                }
            }
        }
    }
}

/// Read, parse and aggregate `paths` as one log window.
pub fn read_logs(paths: &[PathBuf], opts: &ReadOptions) -> Result<LogReport> {
    let inputs: Vec<LogInput<'_>> = paths.iter().map(|p| LogInput::File(p)).collect();
    read_inputs(&inputs, opts)
}

/// Read, parse and aggregate `inputs` as one log window.
pub fn read_inputs(inputs: &[LogInput<'_>], opts: &ReadOptions) -> Result<LogReport> {
    let prefix = postgres_stderr::Prefix::parse(
        opts.log_line_prefix
            .as_deref()
            .unwrap_or(postgres_stderr::DEFAULT_PREFIX),
    )?;
    let mut global = Agg::new(0, Dialect::Postgres);
    let mut files = Vec::new();
    let mut dialects: Vec<Dialect> = Vec::new();
    let mut threads: HashMap<u64, Client> = HashMap::new();
    for (idx, input) in inputs.iter().enumerate() {
        let info = read_one(idx as u32, input, opts, &prefix, &mut global, &mut threads)?;
        if !dialects.contains(&info.format.dialect()) {
            dialects.push(info.format.dialect());
        }
        files.push(info);
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
    let dialect = if dialects.len() == 1 {
        dialects[0]
    } else {
        Dialect::Postgres
    };
    let mut report = build_report(global, dialect, &opts.tables, &display);
    report.files = files;
    report.unmatched_examples = unmatched;
    report.prefix_mismatch_examples = mismatch;
    report.log_line_prefix = report
        .files
        .iter()
        .any(|f| f.format == LogFormat::PostgresStderr)
        .then(|| prefix.text().to_string());
    Ok(report)
}

/// Open a file, undoing gzip or zstd compression (detected from the magic bytes).
pub fn open(path: &Path) -> Result<(Box<dyn Read + Send>, Option<&'static str>)> {
    let mut f =
        std::fs::File::open(path).with_context(|| format!("cannot open log {}", path.display()))?;
    let mut magic = [0u8; 4];
    let mut n = 0;
    while n < magic.len() {
        let k = f
            .read(&mut magic[n..])
            .with_context(|| format!("cannot read log {}", path.display()))?;
        if k == 0 {
            break;
        }
        n += k;
    }
    f.rewind()
        .with_context(|| format!("cannot read log {}", path.display()))?;
    if n >= 2 && magic[..2] == [0x1f, 0x8b] {
        Ok((
            Box::new(flate2::read::MultiGzDecoder::new(std::io::BufReader::new(
                f,
            ))),
            Some("gzip"),
        ))
    } else if n == 4 && magic == [0x28, 0xb5, 0x2f, 0xfd] {
        let d = zstd::stream::read::Decoder::new(f)
            .with_context(|| format!("cannot start zstd decoding of {}", path.display()))?;
        Ok((Box::new(d), Some("zstd")))
    } else {
        Ok((Box::new(f), None))
    }
}

/// Guess the format from the first bytes of a (decompressed) file.
pub fn detect(head: &[u8]) -> Option<LogFormat> {
    let text = String::from_utf8_lossy(head);
    let lines: Vec<&str> = text.lines().take(200).collect();
    let first = lines.iter().find(|l| !l.trim().is_empty())?;
    if first.starts_with('{') && first.contains("\"timestamp\"") {
        return Some(LogFormat::PostgresJson);
    }
    let lower = first.to_ascii_lowercase();
    if lower.contains("query") && lower.contains("calls") && lower.contains(',') {
        return Some(LogFormat::PgStatStatements);
    }
    if starts_with_timestamp(first.as_bytes())
        && first.contains(',')
        && (first.contains(",LOG,")
            || first.contains(",ERROR,")
            || first.contains(",FATAL,")
            || first.split(',').count() >= 14)
    {
        return Some(LogFormat::PostgresCsv);
    }
    if lines
        .iter()
        .any(|l| l.starts_with("# User@Host:") || l.starts_with("# Query_time:"))
    {
        return Some(LogFormat::MysqlSlow);
    }
    if lines.iter().any(|l| mysql_general::parse_line(l).is_some()) {
        return Some(LogFormat::MysqlGeneral);
    }
    if lines
        .iter()
        .any(|l| postgres_stderr::find_severity(l).is_some())
    {
        return Some(LogFormat::PostgresStderr);
    }
    None
}

fn read_one(
    idx: u32,
    input: &LogInput<'_>,
    opts: &ReadOptions,
    prefix: &postgres_stderr::Prefix,
    global: &mut Agg,
    threads: &mut HashMap<u64, Client>,
) -> Result<FileInfo> {
    let name = input.name();
    let (mut reader, compression) = input.open()?;
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    (&mut reader)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)
        .with_context(|| format!("cannot read log {name}"))?;
    let format = match opts.format {
        Some(f) => f,
        None => detect(&head).with_context(|| {
            format!("{name}: cannot tell the log format from its first lines; pass --log-format")
        })?,
    };
    let reader = std::io::Cursor::new(head).chain(reader);
    let chunk_size = match format {
        LogFormat::PgStatStatements => usize::MAX,
        _ => opts.chunk_size.unwrap_or(DEFAULT_CHUNK_SIZE).max(1),
    };
    let mut chunker = Chunker {
        reader,
        carry: Vec::new(),
        eof: false,
        format,
        target: chunk_size,
        spare: Vec::new(),
        forced_cuts: 0,
        cut_short: None,
    };
    // Two batches are in memory at once (one parsed while the next is read): at most
    // 2 × 12 × 4 MiB of text whatever the file size.
    let batch = (rayon::current_num_threads() * 2).clamp(2, 12);
    let mut line_base = 0u64;
    let mut bytes = 0u64;
    let mut last_byte = None;
    let mut seen = std::sync::Arc::new(Seen::default());
    let mut carry_time: Option<String> = None;
    let read_batch = |chunker: &mut Chunker<_>| -> Result<Vec<Vec<u8>>> {
        let mut chunks = Vec::with_capacity(batch);
        while chunks.len() < batch {
            match chunker
                .next_chunk()
                .with_context(|| format!("cannot read log {name}"))?
            {
                Some(c) => chunks.push(c),
                None => break,
            }
        }
        Ok(chunks)
    };
    let mut next = read_batch(&mut chunker)?;
    loop {
        let chunks = std::mem::take(&mut next);
        if chunks.is_empty() {
            break;
        }
        if let Some(c) = chunks.last() {
            last_byte = c.last().copied();
        }
        // The general log stamps only the first line of each second: each chunk starts
        // with the last time of the chunks before it.
        let mut starts = Vec::with_capacity(chunks.len());
        for c in &chunks {
            starts.push(carry_time.clone());
            if format == LogFormat::MysqlGeneral
                && let Some(t) = mysql_general::last_time(c)
            {
                carry_time = Some(t);
            }
        }
        // Read the next batch while this one is parsed.
        let ctx = ChunkCtx {
            format,
            prefix,
            seen: &seen,
        };
        let (read, mut results) = rayon::join(
            || read_batch(&mut chunker),
            || -> Vec<(Agg, u64)> {
                chunks
                    .par_iter()
                    .zip(&starts)
                    .map(|(c, t)| parse_chunk(idx, c, t.as_deref(), &ctx))
                    .collect()
            },
        );
        next = read?;
        for (agg, _) in &mut results {
            agg.seen = None;
        }
        // Every chunk's handle is dropped, so the map can grow; if it could not, later
        // chunks only fingerprint more.
        if let Some(seen) = std::sync::Arc::get_mut(&mut seen) {
            for (agg, _) in &mut results {
                for (raw, id) in std::mem::take(&mut agg.fresh) {
                    if seen.len() >= SEEN_ENTRIES {
                        break;
                    }
                    if let Some(f) = agg.fps.get(id as usize) {
                        seen.entry(raw).or_insert_with(|| f.text.as_str().into());
                    }
                }
            }
        }
        for (c, (agg, lines)) in chunks.iter().zip(results) {
            bytes += c.len() as u64;
            global.merge(agg, line_base, threads);
            line_base += lines;
        }
        chunker.recycle(chunks);
    }
    if chunker.forced_cuts > 0 {
        global.note(format!(
            "{name}: {} record(s) longer than {} bytes were split at a line end; the lines \
             after each cut may be counted as unmatched",
            chunker.forced_cuts,
            record_limit(chunk_size)
        ));
    }
    if let Some(e) = &chunker.cut_short {
        global.note(format!(
            "{name}: compressed data ends early ({e}); the {line_base} line(s) before the \
             cut were read"
        ));
    }
    if bytes > 0 && last_byte != Some(b'\n') {
        global.note(format!(
            "{name}:{line_base}: the file does not end with a newline; its last record may \
             be truncated (it was read as it is)"
        ));
    }
    Ok(FileInfo {
        path: name.replace('\\', "/"),
        format,
        compression,
        bytes,
        lines: line_base,
    })
}

struct ChunkCtx<'a> {
    format: LogFormat,
    prefix: &'a postgres_stderr::Prefix,
    seen: &'a std::sync::Arc<Seen>,
}

/// Parse one chunk; returns its aggregate and its line count.
fn parse_chunk(file: u32, bytes: &[u8], time: Option<&str>, ctx: &ChunkCtx<'_>) -> (Agg, u64) {
    let mut agg = Agg::new(file, ctx.format.dialect());
    agg.seen = Some(ctx.seen.clone());
    // `from_utf8` has an ASCII fast path that the lossy decoder lacks.
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => std::borrow::Cow::Borrowed(t),
        Err(_) => String::from_utf8_lossy(bytes),
    };
    if let std::borrow::Cow::Owned(_) = text {
        agg.note(format!(
            "{file}: invalid UTF-8 in a chunk was replaced with U+FFFD"
        ));
    }
    let lines = match ctx.format {
        LogFormat::PostgresStderr => postgres_stderr::parse(&text, ctx.prefix, &mut agg),
        LogFormat::PostgresCsv => postgres_csv::parse(&text, &mut agg),
        LogFormat::PostgresJson => postgres_json::parse(&text, &mut agg),
        LogFormat::MysqlGeneral => mysql_general::parse(&text, time, &mut agg),
        LogFormat::MysqlSlow => mysql_slow::parse(&text, &mut agg),
        LogFormat::PgStatStatements => pg_stat_statements::parse(&text, &mut agg),
    };
    agg.acc.bytes += bytes.len() as u64;
    agg.acc.lines += lines;
    (agg, lines)
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

/// Reads a stream in chunks of about `target` bytes that end at a record boundary.
struct Chunker<R: Read> {
    reader: R,
    carry: Vec<u8>,
    eof: bool,
    format: LogFormat,
    target: usize,
    /// Buffers of parsed chunks, to be filled again.
    spare: Vec<Vec<u8>>,
    /// Chunks cut inside a record because no boundary came within `MAX_RECORD_BYTES`.
    forced_cuts: u64,
    /// The decompressor's error when compressed data ended early.
    cut_short: Option<String>,
}

impl<R: Read> Chunker<R> {
    fn fill(&mut self, buf: &mut Vec<u8>, want: usize) -> std::io::Result<()> {
        if buf.len() < want && !self.eof {
            buf.reserve((want - buf.len()).min(DEFAULT_CHUNK_SIZE));
            // `read_to_end` fills spare capacity without zeroing it first.
            let n = match (&mut self.reader)
                .take((want - buf.len()) as u64)
                .read_to_end(buf)
            {
                Ok(n) => n,
                // A compressed log cut short (an interrupted copy, a file still being
                // written): what was decompressed is in `buf` and is read; the cut is noted.
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    self.cut_short = Some(e.to_string());
                    self.eof = true;
                    return Ok(());
                }
                Err(e) => return Err(e),
            };
            if n == 0 || buf.len() < want {
                self.eof = true;
            }
        }
        Ok(())
    }

    /// Take back parsed chunks so that their buffers are filled again: a fresh buffer per
    /// chunk cost a page fault and a zeroed page every 4 KiB read.
    fn recycle(&mut self, chunks: Vec<Vec<u8>>) {
        for c in chunks {
            if c.capacity() <= self.target.saturating_mul(2) && self.spare.len() < 16 {
                self.spare.push(c);
            }
        }
    }

    fn next_chunk(&mut self) -> std::io::Result<Option<Vec<u8>>> {
        let mut buf = self.spare.pop().unwrap_or_default();
        buf.clear();
        buf.extend_from_slice(&self.carry);
        self.carry.clear();
        let mut want = self.target.max(buf.len() + 1);
        loop {
            self.fill(&mut buf, want.min(usize::MAX - 1))?;
            if self.eof {
                return Ok((!buf.is_empty()).then_some(buf));
            }
            if let Some(cut) = find_cut(&buf, self.format) {
                self.carry.extend_from_slice(&buf[cut..]);
                buf.truncate(cut);
                return Ok(Some(buf));
            }
            if buf.len() >= record_limit(self.target) {
                // No record boundary in 16 chunks (64 MiB by default): cut at a line end
                // anyway so that memory stays bounded, and say so.
                let cut = memchr::memrchr(b'\n', &buf).map_or(buf.len(), |p| p + 1);
                self.carry.extend_from_slice(&buf[cut..]);
                buf.truncate(cut);
                self.forced_cuts += 1;
                return Ok(Some(buf));
            }
            // One record longer than the chunk: keep reading.
            want = want.saturating_mul(2);
        }
    }
}

/// The longest record held whole: 16 chunks, at least 1 MiB, at most `MAX_RECORD_BYTES`.
fn record_limit(target: usize) -> usize {
    target.saturating_mul(16).clamp(1 << 20, MAX_RECORD_BYTES)
}

/// The start of the last complete-enough line in `buf` at which a record starts.
fn find_cut(buf: &[u8], format: LogFormat) -> Option<usize> {
    let mut end = buf.len();
    while let Some(nl) = memchr::memrchr(b'\n', &buf[..end]) {
        let start = nl + 1;
        // The line after the newline must be long enough to decide on.
        let line_end = memchr::memchr(b'\n', &buf[start..]).map(|p| start + p);
        if start > 0
            && start < buf.len()
            && (line_end.is_some() || buf.len() - start >= 64)
            && format.is_record_start(&buf[start..line_end.unwrap_or(buf.len())])
        {
            return Some(start);
        }
        if nl == 0 {
            return None;
        }
        end = nl;
    }
    None
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
        .map(|f| classify(&f.sample, dialect))
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
            let mut statements: Vec<StatementCount> = r
                .statements
                .into_iter()
                .map(|(f, (e, x))| StatementCount {
                    statement: g.fps[f as usize].text.clone(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_folds_whitespace_and_stops_at_max() {
        assert_eq!(truncate("  a \n b\tc ", 160), "a b c");
        assert_eq!(truncate("abc def", 7), "abc def");
        assert_eq!(truncate("abc def", 4), "abc …");
        assert_eq!(truncate("abc def", 3), "abc…");
        assert_eq!(truncate("ééé", 2), "éé…");
        assert_eq!(truncate("", 5), "");
    }

    #[test]
    fn detects_formats_from_first_lines() {
        let pg = b"2026-11-21 11:31:09.156 UTC [24195] LOG:  starting PostgreSQL 15.18\n";
        assert_eq!(detect(pg), Some(LogFormat::PostgresStderr));
        let csv = b"2026-11-21 11:31:09.339 UTC,\"postgres\",\"postgres\",24214,\"127.0.0.1:45868\",6b0180fd.5e96,3,\"idle\",2026-11-21 11:31:09 UTC,3/2,0,LOG,00000,\"statement: x\",,,,,,,,,\"setup\",\"client backend\",,0\n";
        assert_eq!(detect(csv), Some(LogFormat::PostgresCsv));
        assert_eq!(
            detect(b"{\"timestamp\":\"2026-11-21 11:31:09.339 UTC\",\"message\":\"x\"}\n"),
            Some(LogFormat::PostgresJson)
        );
        assert_eq!(
            detect(b"query,calls,rolname,datname\n\"SELECT 1\",3,app,db\n"),
            Some(LogFormat::PgStatStatements)
        );
        assert_eq!(detect(b"hello world\n"), None);
    }

    #[test]
    fn cuts_only_at_record_starts() {
        let text = b"2026-01-01 00:00:00 UTC [1] LOG:  statement: SELECT\n\t1\n2026-01-01 00:00:01 UTC [1] LOG:  statement: SELECT 2\n\tFROM t\n";
        let cut = find_cut(text, LogFormat::PostgresStderr);
        assert_eq!(cut, Some(55));
        assert!(text[55..].starts_with(b"2026-01-01 00:00:01"));
        // An error's STATEMENT line stays with its ERROR line.
        let err = b"2026-01-01 00:00:00 UTC [1] ERROR:  boom\n2026-01-01 00:00:00 UTC [1] STATEMENT:  SELECT 1\n";
        assert_eq!(find_cut(err, LogFormat::PostgresStderr), None);
    }
}
