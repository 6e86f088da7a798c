//! PostgreSQL stderr logs: a chunk of text in, executed statements out (into the chunk's
//! `Agg`). Each record is one line that starts with `log_line_prefix`, followed by
//! continuation lines that begin with a TAB (multi-line statements). The prefix is compiled
//! from its `%` escapes; a record whose prefix does not match is still read (its statement
//! counts, its client is unknown) and counted as a prefix mismatch, which is what
//! `--doctor` reports instead of pgBadger's silent "0 queries found".

use super::{Agg, Client, ClientRef, Exec};
use anyhow::{Result, bail};

/// PostgreSQL's default `log_line_prefix`.
pub const DEFAULT_PREFIX: &str = "%m [%p] ";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Lit(String),
    /// An escape letter: m t s n p u d a h r l c x e v i b q.
    Field(char),
    /// `%q`: non-session processes stop the prefix here.
    Q,
}

/// A compiled `log_line_prefix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefix {
    text: String,
    parts: Vec<Part>,
    /// Starts with the only time escape and has more after it (see `matches_cached`).
    cacheable: bool,
}

/// The values a prefix captured from one line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fields<'a> {
    pub ts: Option<&'a str>,
    pub pid: Option<&'a str>,
    pub user: Option<&'a str>,
    pub db: Option<&'a str>,
    pub app: Option<&'a str>,
    pub host: Option<&'a str>,
    pub session: Option<&'a str>,
}

impl Prefix {
    /// Compile a `log_line_prefix` (escapes as in the PostgreSQL documentation; a numeric
    /// padding such as `%-10u` is accepted and ignored).
    pub fn parse(text: &str) -> Result<Prefix> {
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '%' {
                lit.push(c);
                continue;
            }
            while chars
                .peek()
                .is_some_and(|c| c.is_ascii_digit() || *c == '-')
            {
                chars.next();
            }
            let Some(e) = chars.next() else {
                bail!("log_line_prefix `{text}` ends with a lone `%`");
            };
            match e {
                '%' => lit.push('%'),
                'm' | 't' | 's' | 'n' | 'p' | 'u' | 'd' | 'a' | 'h' | 'r' | 'l' | 'c' | 'x'
                | 'e' | 'v' | 'i' | 'b' | 'Q' | 'P' | 'L' => {
                    if !lit.is_empty() {
                        parts.push(Part::Lit(std::mem::take(&mut lit)));
                    }
                    parts.push(Part::Field(e));
                }
                'q' => {
                    if !lit.is_empty() {
                        parts.push(Part::Lit(std::mem::take(&mut lit)));
                    }
                    parts.push(Part::Q);
                }
                other => bail!("log_line_prefix `{text}`: unknown escape `%{other}`"),
            }
        }
        if !lit.is_empty() {
            parts.push(Part::Lit(lit));
        }
        let is_time = |p: &Part| matches!(p, Part::Field('m' | 't' | 's' | 'n'));
        let cacheable = parts.len() > 1 && is_time(&parts[0]) && !parts[1..].iter().any(is_time);
        Ok(Prefix {
            text: text.to_string(),
            parts,
            cacheable,
        })
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// PostgreSQL's default prefix, `%m [%p] `.
    pub fn postgres_default() -> Prefix {
        Prefix {
            text: DEFAULT_PREFIX.to_string(),
            parts: vec![
                Part::Field('m'),
                Part::Lit(" [".to_string()),
                Part::Field('p'),
                Part::Lit("] ".to_string()),
            ],
            cacheable: true,
        }
    }

    /// Which client fields the prefix can capture (doctor input).
    pub fn has(&self, escape: char) -> bool {
        self.parts.contains(&Part::Field(escape))
    }

    /// Match the prefix at the start of `line`: the fields and where the message starts.
    pub fn matches<'a>(&self, line: &'a str) -> Option<(Fields<'a>, usize)> {
        self.matches_reach(line).map(|(f, pos, _)| (f, pos))
    }

    /// `matches`, through `cache`: after a leading timestamp, the rest of a prefix repeats
    /// for every line of a session (`[pid] user@db app=… `), so a line whose bytes after
    /// the timestamp start with a tail matched before takes that tail's fields without
    /// parsing them. Field parsing was a fifth of the reading time. Returns the fields,
    /// the severity and the message.
    pub(crate) fn matches_cached<'a>(
        &self,
        line: &'a str,
        cache: &mut TailCache,
    ) -> Option<(Fields<'a>, &'a str, &'a str)> {
        let with_severity = |(f, pos): (Fields<'a>, usize)| {
            severity_at(&line[pos..]).map(|(sev, msg)| (f, sev, msg))
        };
        let (true, Some(Part::Field(e0)), Some(next)) =
            (self.cacheable, self.parts.first(), self.parts.get(1))
        else {
            return self.matches(line).and_then(with_severity);
        };
        let next_lit = match next {
            Part::Lit(l) => Some(l.as_str()),
            _ => None,
        };
        // The full match starts with this same step, so failing here fails there.
        let end0 = field_end(*e0, line, 0, next_lit)?;
        let b = line.as_bytes();
        let key = tail_key(&b[end0..]);
        let slot = TailCache::slot(key);
        if let Some(t) = cache.tails.get(slot).and_then(Option::as_ref)
            && t.key == key
            && b[end0..].starts_with(&t.bytes)
        {
            let pos = end0 + t.bytes.len();
            // The message check is the only step that reads past the tail; when it fails
            // a longer prefix may still match (`%q`), which the full match decides.
            if let Some((sev, msg)) = severity_at(&line[pos..]) {
                let at = |r: Option<(usize, usize)>| r.map(|(s, e)| &line[end0 + s..end0 + e]);
                let ts = &line[..end0];
                let f = Fields {
                    ts: (!ts.is_empty()).then_some(ts),
                    pid: at(t.fields[0]),
                    user: at(t.fields[1]),
                    db: at(t.fields[2]),
                    app: at(t.fields[3]),
                    host: at(t.fields[4]),
                    session: at(t.fields[5]),
                };
                return Some((f, sev, msg));
            }
        }
        let (f, pos, reach) = self.matches_reach(line)?;
        // Cache only tails that decided everything: long enough for the key, and no `%q`
        // look-ahead past the message start.
        if pos - end0 >= 8 && reach <= pos {
            let off = |v: Option<&str>| {
                v.map(|v| {
                    let s = v.as_ptr() as usize - line.as_ptr() as usize - end0;
                    (s, s + v.len())
                })
            };
            let tail = Tail {
                key,
                bytes: b[end0..pos].into(),
                fields: [
                    off(f.pid),
                    off(f.user),
                    off(f.db),
                    off(f.app),
                    off(f.host),
                    off(f.session),
                ],
            };
            if cache.tails.is_empty() {
                cache.tails.resize_with(TAIL_CACHE_SLOTS, || None);
            }
            cache.tails[slot] = Some(tail);
        }
        with_severity((f, pos))
    }

    /// The full match, and how far the `%q` look-aheads read (a byte offset).
    fn matches_reach<'a>(&self, line: &'a str) -> Option<(Fields<'a>, usize, usize)> {
        let mut f = Fields::default();
        let mut pos = 0;
        let mut reach = 0;
        for (k, part) in self.parts.iter().enumerate() {
            match part {
                Part::Lit(l) => {
                    if !has_at(line.as_bytes(), pos, l.as_bytes()) {
                        return None;
                    }
                    pos += l.len();
                }
                Part::Q => {
                    if severity_at(&line[pos..]).is_some() {
                        return Some((f, pos, reach));
                    }
                    reach = reach.max((pos + SEVERITY_LOOKAHEAD).min(line.len()));
                }
                Part::Field(e) => {
                    let next_lit = match self.parts.get(k + 1) {
                        Some(Part::Lit(l)) => Some(l.as_str()),
                        _ => None,
                    };
                    let end = field_end(*e, line, pos, next_lit)?;
                    let v = &line[pos..end];
                    let v = (!v.is_empty()).then_some(v);
                    match e {
                        'm' | 't' | 's' | 'n' => f.ts = v,
                        'p' => f.pid = v,
                        'u' => f.user = v,
                        'd' => f.db = v,
                        'a' => f.app = v,
                        'h' => f.host = v,
                        'r' => f.host = v.map(strip_port),
                        'c' => f.session = v,
                        _ => {}
                    }
                    pos = end;
                }
            }
        }
        severity_at(&line[pos..]).map(|_| (f, pos, reach))
    }
}

/// Slots of a `TailCache` (a power of two): more than the sessions that usually interleave.
const TAIL_CACHE_SLOTS: usize = 64;
/// Bytes `severity_at` may read: a colon within 12 bytes, then two spaces.
const SEVERITY_LOOKAHEAD: usize = 14;

/// Prefix tails (the bytes between the timestamp and the message) matched recently, with
/// their fields as offsets into the tail. One per chunk. Direct-mapped on the tail's first
/// bytes (` [pid] ` with the usual prefixes): one probe per line, a new tail replaces the
/// one in its slot.
#[derive(Debug, Default)]
pub(crate) struct TailCache {
    tails: Vec<Option<Tail>>,
}

impl TailCache {
    fn slot(key: u64) -> usize {
        // Fibonacci hashing: the top bits of the product mix all the key's bytes.
        (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - TAIL_CACHE_SLOTS.trailing_zeros()))
            as usize
    }
}

#[derive(Debug)]
struct Tail {
    /// The first 8 bytes, compared before the whole tail.
    key: u64,
    bytes: Box<[u8]>,
    /// pid, user, db, app, host, session: byte ranges within `bytes`.
    fields: [Option<(usize, usize)>; 6],
}

fn tail_key(b: &[u8]) -> u64 {
    let mut k = [0u8; 8];
    let n = b.len().min(8);
    k[..n].copy_from_slice(&b[..n]);
    u64::from_le_bytes(k)
}

/// `host(port)` (`%r`) → host.
fn strip_port(h: &str) -> &str {
    match h.find('(') {
        Some(p) => &h[..p],
        None => h,
    }
}

fn field_end(e: char, line: &str, pos: usize, next_lit: Option<&str>) -> Option<usize> {
    let b = line.as_bytes();
    match e {
        'm' | 't' | 's' => {
            // YYYY-MM-DD HH:MM:SS[.mmm][ TZ]
            if !super::starts_with_timestamp(&b[pos..]) {
                return None;
            }
            let mut end = pos + 19;
            if b.get(end) == Some(&b'.') {
                end += 1;
                while b.get(end).is_some_and(u8::is_ascii_digit) {
                    end += 1;
                }
            }
            let lit_ok = |at: usize| next_lit.is_none_or(|l| has_at(b, at, l.as_bytes()));
            if b.get(end) == Some(&b' ') {
                // A zone abbreviation or offset (`UTC`, `CET`, `+03`), which RDS's and
                // Azure's prefixes follow with `:` and `-`.
                let tz_start = end + 1;
                let sign = usize::from(matches!(b.get(tz_start), Some(b'+' | b'-')));
                let tz_end = line[tz_start + sign..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '/' || c == '_'))
                    .map_or(line.len(), |p| tz_start + sign + p);
                if tz_end > tz_start && lit_ok(tz_end) {
                    return Some(tz_end);
                }
            }
            lit_ok(end).then_some(end)
        }
        'p' | 'l' | 'n' => {
            let mut end = pos;
            while b.get(end).is_some_and(|c| c.is_ascii_digit() || *c == b'.') {
                end += 1;
            }
            (end > pos).then_some(end)
        }
        _ => match next_lit {
            // A plain scan for the literal's first byte, then a check: fields and literals
            // are a few bytes long, too short for memchr's setup to pay off.
            Some(l) => {
                let lb = l.as_bytes();
                let first = *lb.first()?;
                (pos..b.len()).find(|&p| b[p] == first && has_at(b, p, lb))
            }
            None => Some(
                line[pos..]
                    .find(char::is_whitespace)
                    .map_or(line.len(), |p| pos + p),
            ),
        },
    }
}

/// Whether `lit` occurs in `b` at `pos`. A byte loop: the literals are a few bytes, and a
/// call to `memcmp` per literal per line was the parser's largest cost.
#[inline]
fn has_at(b: &[u8], pos: usize, lit: &[u8]) -> bool {
    b.get(pos..pos.saturating_add(lit.len()))
        .is_some_and(|w| w.iter().zip(lit).all(|(x, y)| x == y))
}

/// `SEVERITY:  ` at the start of `s`: the severity and the message after it.
fn severity_at(s: &str) -> Option<(&str, &str)> {
    let colon = s.as_bytes().iter().take(12).position(|&c| c == b':')?;
    let word = &s[..colon];
    if !is_severity(word) {
        return None;
    }
    let rest = s[colon + 1..].strip_prefix("  ")?;
    Some((word, rest))
}

/// Whether `word` is a severity that starts a message after the prefix (a `match`, which
/// compiles to length and byte tests instead of a string comparison per entry).
fn is_severity(word: &str) -> bool {
    matches!(
        word,
        "LOG"
            | "ERROR"
            | "STATEMENT"
            | "DETAIL"
            | "HINT"
            | "CONTEXT"
            | "WARNING"
            | "NOTICE"
            | "INFO"
            | "FATAL"
            | "PANIC"
            | "DEBUG1"
            | "DEBUG2"
            | "DEBUG3"
            | "DEBUG4"
            | "DEBUG5"
            | "DEBUG"
            | "LOCATION"
            | "QUERY"
    )
}

/// Position of the two-byte sequence `a b` in `s` (memchr on `a`; the hot path avoids
/// building a substring searcher per line).
fn find_pair(s: &str, a: u8, b: u8) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut from = 0;
    while let Some(p) = memchr::memchr(a, &bytes[from..]) {
        let at = from + p;
        if bytes.get(at + 1) == Some(&b) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Where the severity starts in a line whose prefix is unknown.
pub fn find_severity(line: &str) -> Option<usize> {
    for sev in [
        "LOG",
        "ERROR",
        "STATEMENT",
        "FATAL",
        "DETAIL",
        "WARNING",
        "HINT",
    ] {
        let pat = format!("{sev}:  ");
        let mut from = 0;
        while let Some(p) = line[from..].find(&pat) {
            let at = from + p;
            if at == 0 || matches!(line.as_bytes()[at - 1], b' ' | b':' | b'-') {
                return Some(at);
            }
            from = at + 1;
        }
    }
    None
}

/// One PostgreSQL log message, whatever the destination (stderr, csvlog, jsonlog).
pub(crate) struct Message<'a> {
    pub severity: &'a str,
    pub text: &'a str,
    pub client: ClientRef<'a>,
    pub ts: Option<&'a str>,
    pub session: Option<u64>,
    pub line: u64,
}

/// Remember what a session's connection lines say about its client (`log_connections`):
/// the fields a prefix lacks (no `%a` on RDS and Cloud SQL, nothing on Azure) come from
/// there. Returns whether `text` was such a line.
fn connection_line(m: &Message<'_>, text: &str, agg: &mut Agg) -> bool {
    let Some(s) = m.session else {
        return false;
    };
    if let Some(rest) = text.strip_prefix("connection received: host=") {
        let host = rest.split(' ').next().unwrap_or("");
        // A new session: what an earlier session with this pid said no longer holds.
        let c = Client {
            host: Some(host.to_string()),
            ..Client::default()
        };
        agg.pg_conns.insert(s, c.clone());
        agg.connects.push((s | super::PG_SESSION, c));
        return true;
    }
    let Some(rest) = text.strip_prefix("connection authorized: ") else {
        return false;
    };
    let field = |k: &str| {
        let start = rest.find(k)? + k.len();
        let v = &rest[start..];
        // application_name may hold spaces and comes last, before optional SSL/GSS notes.
        let end = if k == "application_name=" {
            [" SSL enabled", " GSS ", " GSS("]
                .iter()
                .filter_map(|e| v.find(e))
                .min()
                .unwrap_or(v.len())
        } else {
            v.find(' ').unwrap_or(v.len())
        };
        Some(v[..end].to_string()).filter(|x| !x.is_empty())
    };
    let c = agg.pg_conns.entry(s).or_default();
    c.user = field("user=");
    c.db = field("database=");
    c.app = field("application_name=");
    let c = c.clone();
    agg.connects.push((s | super::PG_SESSION, c));
    true
}

/// Turn a message into an execution, a failure, or a counted non-statement record.
pub(crate) fn handle_message(m: Message<'_>, agg: &mut Agg) {
    let needs = m.session.is_some()
        && (m.client.app.is_none()
            || m.client.user.is_none()
            || m.client.db.is_none()
            || m.client.host.is_none());
    if needs {
        if m.severity == "LOG" && connection_line(&m, m.text, agg) {
            agg.acc.other_records += 1;
            return;
        }
        // The completed client borrows the connection map: copy it out first.
        let known = agg.pg_conns.get(&m.session.unwrap_or_default()).cloned();
        let mut client = match &known {
            Some(k) => ClientRef {
                app: m.client.app.or(k.app.as_deref()),
                user: m.client.user.or(k.user.as_deref()),
                db: m.client.db.or(k.db.as_deref()),
                host: m.client.host.or(k.host.as_deref()),
                ..m.client
            },
            None => m.client,
        };
        // Still missing a field: the merge may know it from an earlier chunk.
        if client.app.is_none()
            || client.user.is_none()
            || client.db.is_none()
            || client.host.is_none()
        {
            client.session = m.session;
        }
        return dispatch(Message { client, ..m }, agg);
    }
    dispatch(m, agg)
}

fn dispatch(m: Message<'_>, agg: &mut Agg) {
    match m.severity {
        "LOG" => {
            if let Some(rest) = m.text.strip_prefix("AUDIT: ")
                && super::audit::record_pgaudit(&m, rest, agg)
            {
                return;
            }
            let (text, via_duration) = match m.text.strip_prefix("duration: ") {
                Some(rest) => match find_pair(rest, b' ', b' ') {
                    Some(p) => (&rest[p + 2..], true),
                    None => {
                        agg.acc.other_records += 1;
                        return;
                    }
                },
                None => (m.text, false),
            };
            let sql = if let Some(sql) = text.strip_prefix("statement: ") {
                Some(sql)
            } else if let Some(rest) = text.strip_prefix("execute ") {
                find_pair(rest, b':', b' ').map(|p| &rest[p + 2..])
            } else {
                if text.starts_with("parse ") || text.starts_with("bind ") {
                    agg.acc.protocol_records += 1;
                } else {
                    agg.acc.other_records += 1;
                }
                return;
            };
            match sql {
                Some(sql) => agg.exec(Exec {
                    client: m.client,
                    ts: m.ts,
                    sql,
                    calls: 1,
                    line: m.line,
                    session: m.session,
                    logged_before_run: !via_duration,
                    via: if via_duration {
                        "log_min_duration_statement"
                    } else {
                        "log_statement"
                    },
                    given: None,
                }),
                None => agg.acc.other_records += 1,
            }
        }
        // STATEMENT also follows LOG lines (temporary file, lock wait): only after an
        // error of the same session does it name a failed statement.
        "STATEMENT" if agg.take_error(m.session) => agg.failed(Exec {
            client: m.client,
            ts: m.ts,
            sql: m.text,
            calls: 1,
            line: m.line,
            session: m.session,
            logged_before_run: false,
            via: "error_statement",
            given: None,
        }),
        "ERROR" | "FATAL" | "PANIC" => {
            agg.set_error(m.session);
            agg.acc.other_records += 1;
        }
        _ => agg.acc.other_records += 1,
    }
}

/// The process id inside a session id (`%c`: start time and pid in hex, `6b16e714.2a5d`).
fn session_pid(c: &str) -> Option<u64> {
    u64::from_str_radix(c.split_once('.')?.1, 16).ok()
}

/// Parse a chunk of a stderr log; returns the number of lines.
pub(crate) fn parse(text: &str, prefix: &Prefix, agg: &mut Agg) -> u64 {
    // The record being assembled: first line number, message start, end (byte offsets).
    struct Open<'a> {
        line: u64,
        severity: &'a str,
        msg_start: usize,
        end: usize,
        fields: Fields<'a>,
    }
    let base = text.as_ptr() as usize;
    let mut open: Option<Open<'_>> = None;
    let mut count = 0;
    let mut tails = TailCache::default();
    let flush = |o: Open<'_>, agg: &mut Agg| {
        let msg = text[o.msg_start..o.end].trim_end_matches(['\r', '\n']);
        agg.acc.records += 1;
        handle_message(
            Message {
                severity: o.severity,
                text: msg,
                client: ClientRef {
                    app: o.fields.app,
                    user: o.fields.user,
                    db: o.fields.db,
                    host: o.fields.host,
                    thread: None,
                    session: None,
                },
                ts: o.fields.ts,
                session: o
                    .fields
                    .pid
                    .and_then(|p| p.parse().ok())
                    .or_else(|| o.fields.session.and_then(session_pid)),
                line: o.line,
            },
            agg,
        );
    };
    for (n, line) in super::lines(text) {
        count = n;
        let start = line.as_ptr() as usize - base;
        let end = start + line.len();
        if line.starts_with('\t') {
            match &mut open {
                Some(o) => o.end = end,
                None => agg.unmatched(n, line),
            }
            continue;
        }
        if let Some(o) = open.take() {
            flush(o, agg);
        }
        if line.is_empty() {
            continue;
        }
        if let Some((fields, sev, msg)) = prefix.matches_cached(line, &mut tails) {
            open = Some(Open {
                line: n,
                severity: sev,
                msg_start: end - msg.len(),
                end,
                fields,
            });
            continue;
        }
        match find_severity(line).and_then(|p| severity_at(&line[p..]).map(|s| (p, s))) {
            Some((p, (sev, msg))) => {
                agg.prefix_mismatch(n, line);
                // The timestamp still helps if the line starts with one.
                let ts = super::starts_with_timestamp(line.as_bytes()).then(|| line[..p].trim());
                open = Some(Open {
                    line: n,
                    severity: sev,
                    msg_start: end - msg.len(),
                    end,
                    fields: Fields {
                        ts,
                        ..Fields::default()
                    },
                });
            }
            None => agg.unmatched(n, line),
        }
    }
    if let Some(o) = open.take() {
        flush(o, agg);
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_captures_sample_fields() {
        let p = Prefix::parse("%m [%p] %q%u@%d app=%a host=%h ").unwrap();
        let line = "2026-11-21 11:31:10.335 UTC [24296] api_ro@bankdb app=balance-api host=127.0.0.1 LOG:  execute P_0: SELECT 1";
        let (f, at) = p.matches(line).unwrap();
        assert_eq!(f.ts, Some("2026-11-21 11:31:10.335 UTC"));
        assert_eq!(f.pid, Some("24296"));
        assert_eq!(f.user, Some("api_ro"));
        assert_eq!(f.db, Some("bankdb"));
        assert_eq!(f.app, Some("balance-api"));
        assert_eq!(f.host, Some("127.0.0.1"));
        assert!(line[at..].starts_with("LOG:  execute"));
        // %q: a background process stops after the pid.
        let bg = "2026-11-21 11:31:09.156 UTC [24195] LOG:  checkpoint starting: time";
        let (f, at) = p.matches(bg).unwrap();
        assert_eq!(f.user, None);
        assert!(bg[at..].starts_with("LOG:"));
        // The default prefix does not match the sample's lines past the pid, so the
        // message is not found at the expected position.
        let d = Prefix::parse(DEFAULT_PREFIX).unwrap();
        assert!(d.matches(line).is_none());
        assert!(Prefix::parse("%m %z").is_err());
    }

    #[test]
    fn severities_are_exact_words() {
        for w in [
            "LOG",
            "ERROR",
            "STATEMENT",
            "DETAIL",
            "FATAL",
            "DEBUG",
            "DEBUG5",
            "QUERY",
        ] {
            assert!(is_severity(w), "{w}");
        }
        for w in ["", "Log", "LOGS", "DEBUG6", "ERROR ", "STATEMEN"] {
            assert!(!is_severity(w), "{w}");
        }
        assert_eq!(severity_at("ERROR:  boom"), Some(("ERROR", "boom")));
        assert_eq!(severity_at("ERRORS:  boom"), None);
        assert_eq!(severity_at("LOG: one space"), None);
    }

    #[test]
    fn literal_search_handles_line_ends() {
        assert!(has_at(b"abc", 1, b"bc"));
        assert!(!has_at(b"abc", 2, b"cd"));
        assert!(!has_at(b"abc", 5, b""));
        // A user name that contains the next literal's first byte.
        let p = Prefix::parse("%m [%p] %u@%d ").unwrap();
        let (f, _) = p
            .matches("2024-01-02 03:04:05 UTC [7] a b@shop LOG:  statement: SELECT 1")
            .unwrap();
        assert_eq!(f.user, Some("a b"));
        assert_eq!(f.db, Some("shop"));
        assert!(p.matches("2024-01-02 03:04:05 UTC [7] nobody").is_none());
    }

    #[test]
    fn cached_tails_match_like_the_full_parse() {
        let lines = [
            "2026-11-21 11:31:10.335 UTC [24296] api_ro@bankdb app=balance-api host=127.0.0.1 LOG:  statement: SELECT 1",
            "2026-11-21 11:31:10.336 UTC [24296] api_ro@bankdb app=balance-api host=127.0.0.1 ERROR:  boom",
            // Same tail, then no severity: no match.
            "2026-11-21 11:31:10.337 UTC [24296] api_ro@bankdb app=balance-api host=127.0.0.1 nothing",
            // The same pid as a background process (%q stops the prefix).
            "2026-11-21 11:31:10.338 UTC [24296] LOG:  checkpoint starting: time",
            "2026-11-21 11:31:10.339 UTC [24296] LOG:  checkpoint complete",
            "2026-11-21 11:31:10.340 UTC [24297] api_ro@bankdb app=balance-api host=127.0.0.1 LOG:  statement: SELECT 2",
            "2026-11-21 11:31:10.341 UTC [24296] api_ro@bankdb app=balance-api host=127.0.0.1 LOG:  statement: SELECT 3",
            // Another time zone width and a tail that only starts like a cached one.
            "2026-11-21 11:31:10 CET [24296] api_ro@bankdb app=balance-api host=127.0.0.1 LOG:  x",
            "2026-11-21 11:31:10.342 UTC [24296] api_ro@bankdb app=balance-api2 host=127.0.0.1 LOG:  y",
            "2026-11-21 11:31:10.342 UTC [24296] api_ro@bankdb app=balance-api host=127.0.0.2 LOG:  z",
        ];
        for text in [
            "%m [%p] %q%u@%d app=%a host=%h ",
            DEFAULT_PREFIX,
            "%t [%p]: [%l-1] %q%u ",
            "%m %t [%p] ",
        ] {
            let p = Prefix::parse(text).unwrap();
            let mut cache = TailCache::default();
            for _ in 0..2 {
                for line in lines {
                    // The message starts after `SEVERITY:  `.
                    let cached = p
                        .matches_cached(line, &mut cache)
                        .map(|(f, sev, msg)| (f, line.len() - msg.len() - sev.len() - 3));
                    assert_eq!(cached, p.matches(line), "{text}: {line}");
                }
            }
            if text.starts_with("%m [%p] %q") {
                assert_eq!(cache.tails.iter().flatten().count(), 2, "one tail per pid");
            }
        }
    }

    #[test]
    fn prefix_with_t_and_r() {
        let p = Prefix::parse("%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%r ").unwrap();
        let line = "2024-01-02 03:04:05 CET [77]: [3-1] user=bob,db=shop,app=PostgreSQL JDBC Driver,client=10.0.0.5(5432) LOG:  statement: SELECT 1";
        let (f, _) = p.matches(line).unwrap();
        assert_eq!(f.ts, Some("2024-01-02 03:04:05 CET"));
        assert_eq!(f.app, Some("PostgreSQL JDBC Driver"));
        assert_eq!(f.host, Some("10.0.0.5"));
    }
}
