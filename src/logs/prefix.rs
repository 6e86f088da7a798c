//! `log_line_prefix` inference for PostgreSQL stderr logs: the first bytes of a file in, the
//! prefix that matches most of its statement records out, with how it was chosen. The
//! records that carry statements are the ones whose client matters; the first lines of a
//! log are often the postmaster's start-up, where `%q` cuts the prefix short, so they are
//! not used. Candidates are the defaults of PostgreSQL, Debian and the managed services,
//! plus prefixes derived from the records themselves (`app=…`, `user@db`, `[pid]`).
//! A prefix given by flag or configuration is never replaced (the caller decides).

use super::cloud::Provider;
use super::postgres_stderr::{Prefix, find_severity};

/// Known fixed or default prefixes, with who uses them.
pub const KNOWN: &[(&str, &str, Option<Provider>)] = &[
    ("%m [%p] ", "PostgreSQL's default", None),
    ("%m [%p] %q%u@%d ", "Debian's default", None),
    (
        "%t:%r:%u@%d:[%p]:",
        "AWS RDS/Aurora",
        Some(Provider::AwsRds),
    ),
    (
        "%m [%p]: [%l-1] db=%d,user=%u ",
        "Google Cloud SQL",
        Some(Provider::GoogleCloudSql),
    ),
    (
        "%t-%c-",
        "Azure Database for PostgreSQL",
        Some(Provider::Azure),
    ),
];

/// Statement records tried at most.
const MAX_RECORDS: usize = 2000;
/// Distinct derived candidates tried at most.
const MAX_DERIVED: usize = 16;

/// The chosen prefix and why.
#[derive(Debug, Clone)]
pub struct Inferred {
    pub prefix: Prefix,
    /// One line for the accounting: how many records it matched, and which default it is.
    pub how: String,
    /// The managed service whose fixed prefix this is.
    pub provider: Option<Provider>,
}

/// Whether the message at the start of `msg` carries a statement.
fn is_statement(msg: &str) -> bool {
    let Some(rest) = msg.strip_prefix("LOG:  ") else {
        return false;
    };
    ["statement: ", "execute ", "duration: ", "AUDIT: "]
        .iter()
        .any(|p| rest.starts_with(p))
}

/// Infer the prefix of the stderr log whose first bytes are `head`.
pub fn infer(head: &str) -> Inferred {
    let mut statements: Vec<&str> = Vec::new();
    let mut others: Vec<&str> = Vec::new();
    for line in head.lines() {
        if line.starts_with('\t') || line.is_empty() {
            continue;
        }
        let Some(p) = find_severity(line) else {
            continue;
        };
        if is_statement(&line[p..]) {
            if statements.len() < MAX_RECORDS {
                statements.push(line);
            }
        } else if others.len() < MAX_RECORDS {
            others.push(line);
        }
        if statements.len() >= MAX_RECORDS {
            break;
        }
    }
    let (records, what) = if statements.is_empty() {
        (&others, "records (no statement records in the first bytes)")
    } else {
        (&statements, "statement records")
    };
    let mut candidates: Vec<(String, Option<usize>)> = KNOWN
        .iter()
        .enumerate()
        .map(|(i, (t, _, _))| (t.to_string(), Some(i)))
        .collect();
    for line in records.iter() {
        if candidates.len() >= KNOWN.len() + MAX_DERIVED {
            break;
        }
        if let Some(p) = find_severity(line)
            && let Some(d) = derive(&line[..p])
            && !candidates.iter().any(|(t, _)| *t == d)
        {
            candidates.push((d, None));
        }
    }
    // (matched, client fields captured, known before derived, shorter) → best.
    let mut best: Option<(usize, usize, bool, std::cmp::Reverse<usize>, usize)> = None;
    let mut compiled = Vec::new();
    for (i, (text, known)) in candidates.iter().enumerate() {
        let Ok(p) = Prefix::parse(text) else { continue };
        let mut matched = 0;
        let mut fields = 0;
        for line in records.iter() {
            if let Some((f, _)) = p.matches(line) {
                matched += 1;
                fields += [f.user, f.db, f.app, f.host]
                    .iter()
                    .filter(|v| v.is_some_and(|v| !v.is_empty()))
                    .count();
            }
        }
        let score = (
            matched,
            fields,
            known.is_some(),
            std::cmp::Reverse(text.len()),
            i,
        );
        if best.is_none_or(|b| (score.0, score.1, score.2, score.3) > (b.0, b.1, b.2, b.3)) {
            best = Some(score);
        }
        compiled.push((i, p));
    }
    let fallback = || Inferred {
        prefix: Prefix::postgres_default(),
        how: "PostgreSQL's default: no records to infer from".to_string(),
        provider: None,
    };
    let Some((matched, _, _, _, i)) = best else {
        return fallback();
    };
    if matched == 0 {
        return Inferred {
            how: format!(
                "PostgreSQL's default: no known or derived prefix matched any of {} {what}",
                records.len()
            ),
            ..fallback()
        };
    }
    let Some((_, prefix)) = compiled.into_iter().find(|(j, _)| *j == i) else {
        return fallback();
    };
    let (label, provider) = match candidates[i].1 {
        Some(k) => (KNOWN[k].1.to_string(), KNOWN[k].2),
        None => ("derived from the records".to_string(), None),
    };
    Inferred {
        how: format!(
            "inferred: matches {matched} of {} {what} ({label})",
            records.len()
        ),
        prefix,
        provider,
    }
}

/// The escape a `key=` names in a prefix (`app=%a`, `user=%u`).
fn escape_of(key: &str) -> Option<char> {
    Some(match key.to_ascii_lowercase().as_str() {
        "app" | "application" | "application_name" | "appname" => 'a',
        "user" | "usr" | "u" | "username" | "role" => 'u',
        "db" | "database" | "dbname" => 'd',
        "host" | "client" | "client_addr" | "remote" | "remote_host" | "ip" => 'h',
        "pid" => 'p',
        "session" | "sid" | "session_id" => 'c',
        "line" => 'l',
        "xid" | "txid" => 'x',
        "vxid" => 'v',
        "tag" | "cmd" | "command" => 'i',
        "backend" | "backend_type" => 'b',
        "query_id" | "queryid" => 'Q',
        _ => return None,
    })
}

/// Derive a prefix from the text before the severity of one record, or `None` when a part
/// of it cannot be told apart from a literal.
pub fn derive(p: &str) -> Option<String> {
    let b = p.as_bytes();
    if !super::starts_with_timestamp(b) {
        return None;
    }
    let mut end = 19;
    let ms = b.get(19) == Some(&b'.');
    if ms {
        end += 1;
        while b.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
    }
    if b.get(end) == Some(&b' ') {
        let tz = p[end + 1..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '-'))
            .map_or(p.len(), |q| end + 1 + q);
        if tz > end + 1 && p[end + 1..tz].bytes().any(|c| c.is_ascii_alphabetic()) {
            end = tz;
        }
    }
    let mut out = String::from(if ms { "%m" } else { "%t" });
    let mut q_done = false;
    for (i, word) in p[end..].split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if word.is_empty() {
            continue;
        }
        let core = word.trim_end_matches(':');
        let tail = &word[core.len()..];
        let d = derive_word(core)?;
        if !q_done && ["%u", "%d", "%a", "%h", "%r"].iter().any(|e| d.contains(e)) {
            out.push_str("%q");
            q_done = true;
        }
        out.push_str(&d);
        out.push_str(tail);
    }
    Some(out)
}

fn is_ip(s: &str) -> bool {
    !s.is_empty()
        && (s.bytes().all(|c| c.is_ascii_digit() || c == b'.')
            || s.contains(':') && s.bytes().all(|c| c.is_ascii_hexdigit() || c == b':'))
}

fn derive_word(w: &str) -> Option<String> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    let hex = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_hexdigit());
    if let Some(inner) = w.strip_prefix('[').and_then(|x| x.strip_suffix(']')) {
        if digits(inner) {
            return Some("[%p]".into());
        }
        if let Some((l, n)) = inner.split_once('-')
            && digits(l)
            && digits(n)
        {
            return Some(format!("[%l-{n}]"));
        }
        if inner == "local" || inner == "unknown" {
            return Some("%h".into());
        }
        return None;
    }
    if w.contains('=') {
        let mut parts = Vec::new();
        for kv in w.split(',') {
            let (k, v) = kv.split_once('=')?;
            let mut e = escape_of(k)?;
            if e == 'h' && v.contains('(') {
                e = 'r';
            }
            parts.push(format!("{k}=%{e}"));
        }
        return Some(parts.join(","));
    }
    if let Some((u, d)) = w.split_once('@')
        && !u.is_empty()
        && !d.is_empty()
        && !d.contains('@')
    {
        return Some("%u@%d".into());
    }
    if digits(w) {
        return Some("%p".into());
    }
    if let Some((a, c)) = w.split_once('.')
        && hex(a)
        && hex(c)
        && a.len() >= 6
    {
        return Some("%c".into());
    }
    if let Some((h, port)) = w.split_once('(')
        && port.strip_suffix(')').is_some_and(digits)
        && (is_ip(h) || h == "[local]")
    {
        return Some("%r".into());
    }
    if is_ip(w) {
        return Some("%h".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_the_sample_prefix() {
        let p = "2026-11-21 11:31:10.335 UTC [24296] api_ro@bankdb app=balance-api host=127.0.0.1 ";
        assert_eq!(
            derive(p).as_deref(),
            Some("%m [%p] %q%u@%d app=%a host=%h ")
        );
        assert_eq!(
            derive("2026-12-07 17:04:10.783 UTC [10292]: [3-1] db=postgres,user=postgres ")
                .as_deref(),
            Some("%m [%p]: [%l-1] %qdb=%d,user=%u ")
        );
        assert_eq!(derive("not a time [1] "), None);
        assert_eq!(derive("2026-11-21 11:31:10 UTC [1] Some words "), None);
    }

    #[test]
    fn statement_records_decide_not_the_first_lines() {
        // Start-up lines (short, %q) first, then session records with the full prefix.
        let mut log = String::new();
        for _ in 0..20 {
            log.push_str("2026-11-21 11:31:09.156 UTC [24195] LOG:  checkpoint starting: time\n");
        }
        for i in 0..5 {
            log.push_str(&format!(
                "2026-11-21 11:31:10.{i:03} UTC [2429{i}] api_ro@bankdb app=balance-api host=127.0.0.1 LOG:  statement: SELECT {i}\n"
            ));
        }
        let got = infer(&log);
        assert_eq!(got.prefix.text(), "%m [%p] %q%u@%d app=%a host=%h ");
        assert!(
            got.how.contains("matches 5 of 5 statement records"),
            "{}",
            got.how
        );
        // The managed services' fixed prefixes are recognised by name.
        let rds = "2026-12-07 17:04:04 UTC:127.0.0.1(45270):postgres@postgres:[9902]:LOG:  statement: SELECT 1\n";
        let got = infer(rds);
        assert_eq!(got.prefix.text(), "%t:%r:%u@%d:[%p]:");
        assert_eq!(got.provider, Some(Provider::AwsRds));
        let azure = "2026-12-07 17:04:20 UTC-6b16e714.2a5d-LOG:  statement: SELECT 1\n";
        assert_eq!(infer(azure).provider, Some(Provider::Azure));
        let cloudsql = "2026-12-07 17:04:10.783 UTC [10292]: [3-1] db=postgres,user=postgres LOG:  statement: SELECT 1\n";
        assert_eq!(infer(cloudsql).provider, Some(Provider::GoogleCloudSql));
    }
}
