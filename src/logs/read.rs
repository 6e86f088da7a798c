//! Reading: log files (plain, .gz, .zst) in, one aggregate out. Detects each file's format
//! (and cloud envelope, and stderr prefix), streams it in chunks cut at record boundaries,
//! parses the chunks in parallel while the next ones are read, and merges them in file order.
//! A read error (a cut or corrupt compressed file) ends the file where it happened and is
//! reported; nothing after it is invented. Classifying and reporting is `super`'s job.

use super::{
    Agg, Client, DEFAULT_CHUNK_SIZE, FileInfo, LogFormat, MAX_EXAMPLES, MAX_RECORD_BYTES,
    ReadOptions, SEEN_ENTRIES, SNIFF_BYTES, Seen, audit, cloud, lines, mariadb_audit, mysql_audit,
    mysql_general, mysql_slow, pg_stat_statements, postgres_csv, postgres_json, postgres_stderr,
    prefix, starts_with_timestamp,
};
use crate::sql::Dialect;
use anyhow::{Context, Result};
use indicatif::ProgressBar;
use rayon::prelude::*;
use std::collections::HashMap;
use std::io::{Read, Seek};
use std::path::Path;

/// Read `paths` into one aggregate, before classification (what a summary holds).
/// A log to read: a file, or bytes already in memory (the fuzz targets and tests read
/// thousands of inputs a second, and a temporary file per input costs more than the parse).
#[derive(Debug, Clone, Copy)]
pub enum LogInput<'a> {
    File(&'a Path),
    Bytes { name: &'a str, bytes: &'a [u8] },
}

impl<'a> LogInput<'a> {
    /// The size on disk, for progress (0 when unknown).
    fn size(&self) -> u64 {
        match self {
            LogInput::File(path) => std::fs::metadata(path).map_or(0, |m| m.len()),
            LogInput::Bytes { .. } => 0,
        }
    }

    /// The name reports and messages use.
    fn name(&self) -> String {
        match self {
            LogInput::File(path) => path.display().to_string(),
            LogInput::Bytes { name, .. } => (*name).to_string(),
        }
    }

    /// A reader of the decompressed content, and the compression undone; the bytes read
    /// from a file (compressed, as on disk) advance `progress`.
    fn open(
        &self,
        progress: &ProgressBar,
    ) -> Result<(Box<dyn Read + Send + 'a>, Option<&'static str>)> {
        match *self {
            LogInput::File(path) => open_counted(path, progress),
            LogInput::Bytes { name, bytes } => {
                if bytes.starts_with(&[0x1f, 0x8b]) {
                    let gz = flate2::read::MultiGzDecoder::new(bytes);
                    Ok((Box::new(gz), Some("gzip")))
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

pub(crate) fn read_all(
    inputs: &[LogInput<'_>],
    opts: &ReadOptions,
) -> Result<(Agg, Vec<FileInfo>)> {
    // A given prefix (flag or configuration) wins over inference, for every file.
    let given = opts
        .log_line_prefix
        .as_deref()
        .map(postgres_stderr::Prefix::parse)
        .transpose()?;
    let mut global = Agg::new(0, Dialect::Postgres);
    let mut files = Vec::new();
    let mut threads: HashMap<u64, Client> = HashMap::new();
    if let Some(bar) = &opts.progress {
        bar.reset();
        bar.set_message("reading");
        bar.set_length(inputs.iter().map(LogInput::size).sum());
    }
    for (idx, input) in inputs.iter().enumerate() {
        let info = read_one(
            idx as u32,
            input,
            opts,
            given.as_ref(),
            &mut global,
            &mut threads,
        )?;
        files.push(info);
    }
    if let Some(bar) = &opts.progress {
        bar.finish_and_clear();
    }
    Ok((global, files))
}

/// A bar that draws nothing, for reads nobody watches.
fn hidden() -> ProgressBar {
    ProgressBar::hidden()
}

/// Open a file, undoing gzip or zstd compression (detected from the magic bytes).
pub fn open(path: &Path) -> Result<(Box<dyn Read + Send>, Option<&'static str>)> {
    open_counted(path, &ProgressBar::hidden())
}

/// `open`, counting the file's bytes on `progress` as they are read.
fn open_counted(
    path: &Path,
    progress: &ProgressBar,
) -> Result<(Box<dyn Read + Send>, Option<&'static str>)> {
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
    let f = progress.wrap_read(f);
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
    let first = lines
        .iter()
        .find(|l| !l.trim().is_empty() && l.trim() != "[")?;
    if mysql_audit::is_event_line(first) {
        return Some(LogFormat::MysqlAuditJson);
    }
    if mariadb_audit::is_event_line(first.as_bytes()) {
        return Some(LogFormat::MariadbAudit);
    }
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
    given: Option<&postgres_stderr::Prefix>,
    global: &mut Agg,
    threads: &mut HashMap<u64, Client>,
) -> Result<FileInfo> {
    let name = input.name();
    let (mut reader, compression) = input.open(opts.progress.as_ref().unwrap_or(&hidden()))?;
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    // A read error (corrupt or cut compressed data) keeps what was read before it: small
    // reads, since a decoder drops the output of the read call that fails.
    let mut head_error = None;
    let mut piece = vec![0u8; 16 << 10];
    while head.len() < SNIFF_BYTES {
        match reader.read(&mut piece) {
            Ok(0) => break,
            Ok(n) => head.extend_from_slice(&piece[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                head_error = Some(e.to_string());
                break;
            }
        }
    }
    let mut info = FileInfo {
        path: name.replace('\\', "/"),
        format: LogFormat::Empty,
        compression,
        bytes: 0,
        lines: 0,
        envelope: None,
        provider: None,
        log_line_prefix: None,
        prefix_source: None,
    };
    if head.is_empty() {
        if head_error.is_some() {
            global.acc.read_errors += 1;
        }
        global.note(match &head_error {
            Some(e) => format!("{}: nothing could be read ({e})", name),
            None => format!("{}: the file is empty", name),
        });
        return Ok(info);
    }
    let blank = head.iter().all(u8::is_ascii_whitespace);
    if blank && opts.format.is_none() {
        global.note(format!("{}: the file holds only blank lines", name));
    }
    let head_text = String::from_utf8_lossy(&head);
    let envelope = match opts.format {
        Some(_) => None,
        None => cloud::sniff(&head_text),
    };
    let inner_text = match envelope {
        Some((e, _)) if !e.is_structured() => {
            std::borrow::Cow::Owned(cloud::messages(&head_text, e))
        }
        _ => head_text.clone(),
    };
    let format = match (opts.format, envelope) {
        (Some(f), _) => f,
        (None, _) if blank => LogFormat::Empty,
        // Structured records, or only structured ones in the first bytes (pgAudit entries).
        (None, Some((e, _))) if e.is_structured() || inner_text.trim().is_empty() => {
            LogFormat::PostgresJson
        }
        (None, _) => detect(inner_text.as_bytes()).with_context(|| {
            format!(
                "{}: cannot tell the log format from its first lines; pass --log-format",
                name
            )
        })?,
    };
    let (prefix, source, prefix_provider) = match (format, given) {
        (LogFormat::PostgresStderr, Some(p)) => (
            p.clone(),
            Some("given (--log-line-prefix or [logs] log_line_prefix)".to_string()),
            None,
        ),
        (LogFormat::PostgresStderr, None) => {
            let inferred = prefix::infer(&inner_text);
            (inferred.prefix, Some(inferred.how), inferred.provider)
        }
        _ => (postgres_stderr::Prefix::postgres_default(), None, None),
    };
    info.format = format;
    info.envelope = envelope.map(|e| e.0);
    info.provider = envelope.map(|e| e.1).or(prefix_provider);
    if format == LogFormat::PostgresStderr {
        info.log_line_prefix = Some(prefix.text().to_string());
        info.prefix_source = source;
    }
    drop(inner_text);
    drop(head_text);
    // After a read error the decoder is not read again: the head is all there is.
    let rest: Box<dyn Read + Send> = if head_error.is_some() {
        Box::new(std::io::empty())
    } else {
        reader
    };
    let reader = std::io::Cursor::new(head).chain(rest);
    let chunk_size = match format {
        LogFormat::PgStatStatements => usize::MAX,
        _ => opts.chunk_size.unwrap_or(DEFAULT_CHUNK_SIZE).max(1),
    };
    let mut chunker = Chunker {
        reader,
        carry: Vec::new(),
        eof: false,
        format,
        envelope: envelope.is_some(),
        target: chunk_size,
        spare: Vec::new(),
        forced_cuts: 0,
        cut_short: head_error,
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
                .with_context(|| format!("cannot read log {}", name))?
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
                && envelope.is_none()
                && let Some(t) = mysql_general::last_time(c)
            {
                carry_time = Some(t);
            }
        }
        // Read the next batch while this one is parsed.
        let ctx = ChunkCtx {
            format,
            prefix: &prefix,
            envelope: envelope.map(|e| e.0),
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
            "{}: {} record(s) longer than {} bytes were split at a line end; the lines \
             after each cut may be counted as unmatched",
            name,
            chunker.forced_cuts,
            record_limit(chunk_size)
        ));
    }
    if let Some(e) = &chunker.cut_short {
        global.acc.read_errors += 1;
        global.note(format!(
            "{}: compressed data ends early or is corrupt ({e}); the {line_base} line(s) \
             before that point were read, nothing after it",
            name
        ));
    }
    // JSON events need no final newline (Firehose concatenates payloads): a cut last event
    // fails to parse and is counted as unmatched instead.
    if bytes > 0 && last_byte != Some(b'\n') && envelope.is_none() {
        global.note(format!(
            "{}:{}: the file does not end with a newline; its last record may be truncated \
             (it was read as it is)",
            name, line_base
        ));
    }
    info.bytes = bytes;
    info.lines = line_base;
    Ok(info)
}

struct ChunkCtx<'a> {
    format: LogFormat,
    prefix: &'a postgres_stderr::Prefix,
    envelope: Option<cloud::Envelope>,
    seen: &'a std::sync::Arc<Seen>,
}

/// Parse one chunk; returns its aggregate and its line count.
fn parse_chunk(file: u32, bytes: &[u8], time: Option<&str>, ctx: &ChunkCtx<'_>) -> (Agg, u64) {
    let mut agg = Agg::new(file, ctx.format.dialect());
    agg.seen = Some(ctx.seen.clone());
    // `from_utf8` has an ASCII fast path that the lossy decoder lacks.
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => std::borrow::Cow::Borrowed(t),
        Err(_) => {
            invalid_utf8(bytes, &mut agg);
            String::from_utf8_lossy(bytes)
        }
    };
    let lines = match (ctx.envelope, ctx.format) {
        (Some(envelope), format) => cloud::parse(
            &text,
            &cloud::Inner {
                envelope,
                format,
                prefix: ctx.prefix,
            },
            &mut agg,
        ),
        (None, LogFormat::PostgresStderr) => postgres_stderr::parse(&text, ctx.prefix, &mut agg),
        (None, LogFormat::PostgresCsv) => postgres_csv::parse(&text, &mut agg),
        (None, LogFormat::PostgresJson) => postgres_json::parse(&text, &mut agg),
        (None, LogFormat::MysqlGeneral) => mysql_general::parse(&text, time, &mut agg),
        (None, LogFormat::MysqlSlow) => mysql_slow::parse(&text, &mut agg),
        (None, LogFormat::PgStatStatements) => pg_stat_statements::parse(&text, &mut agg),
        (None, LogFormat::MariadbAudit) => mariadb_audit::parse(&text, &mut agg),
        (None, LogFormat::MysqlAuditJson) => mysql_audit::parse(&text, &mut agg),
        (None, LogFormat::Empty) => lines(&text).count() as u64,
    };
    agg.acc.bytes += bytes.len() as u64;
    agg.acc.lines += lines;
    (agg, lines)
}

/// Count and locate the lines of a chunk that are not UTF-8 (they are read with U+FFFD).
fn invalid_utf8(bytes: &[u8], agg: &mut Agg) {
    let mut pos = 0;
    // The line `pos` is on, and the last line counted.
    let mut line = 1u64;
    let mut last = 0u64;
    while pos < bytes.len() {
        let Err(e) = std::str::from_utf8(&bytes[pos..]) else {
            break;
        };
        let bad = pos + e.valid_up_to();
        line += memchr::memchr_iter(b'\n', &bytes[pos..bad]).count() as u64;
        if line != last {
            agg.acc.invalid_utf8_lines += 1;
            if agg.invalid_utf8.len() < MAX_EXAMPLES {
                let start = memchr::memrchr(b'\n', &bytes[..bad]).map_or(0, |p| p + 1);
                let end = memchr::memchr(b'\n', &bytes[bad..]).map_or(bytes.len(), |p| bad + p);
                let text = String::from_utf8_lossy(&bytes[start..end]).into_owned();
                let example = agg.example(line, &text);
                agg.invalid_utf8.push(example);
            }
            last = line;
        }
        // An invalid sequence never holds a newline (an ASCII byte).
        pos = bad + e.error_len().unwrap_or(bytes.len() - bad).max(1);
    }
}

/// Reads a stream in chunks of about `target` bytes that end at a record boundary.
struct Chunker<R: Read> {
    reader: R,
    carry: Vec<u8>,
    eof: bool,
    format: LogFormat,
    /// One JSON event per line (a cloud envelope): any line that opens an object starts one.
    envelope: bool,
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
                // Any other read error (a zstd frame cut short, garbage after the last gzip
                // member) ends the file the same way: what was read is kept and reported.
                Err(e) => {
                    self.cut_short = Some(e.to_string());
                    self.eof = true;
                    return Ok(());
                }
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
            if let Some(cut) = find_cut(&buf, self.format, self.envelope) {
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
fn find_cut(buf: &[u8], format: LogFormat, envelope: bool) -> Option<usize> {
    let mut end = buf.len();
    while let Some(nl) = memchr::memrchr(b'\n', &buf[..end]) {
        let start = nl + 1;
        // The line after the newline must be long enough to decide on.
        let line_end = memchr::memchr(b'\n', &buf[start..]).map(|p| start + p);
        if start > 0
            && start < buf.len()
            && (line_end.is_some() || buf.len() - start >= 64)
            && is_cut(buf, nl, line_end, format, envelope)
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

/// Whether a chunk may start at the line after the newline at `nl`.
fn is_cut(
    buf: &[u8],
    nl: usize,
    line_end: Option<usize>,
    format: LogFormat,
    envelope: bool,
) -> bool {
    let line = &buf[nl + 1..line_end.unwrap_or(buf.len())];
    let starts = if envelope {
        line.first() == Some(&b'{')
    } else {
        format.is_record_start(line)
    };
    // pgaudit logs an OBJECT line just before the SESSION line of the same access: keep them
    // in one chunk so that the access is counted once (plain, CloudNativePG, AlloyDB).
    let prev = || {
        let prev_start = memchr::memrchr(b'\n', &buf[..nl]).map_or(0, |p| p + 1);
        &buf[prev_start..nl]
    };
    // MySQL-family audit logs name each table a statement opens just before the statement:
    // a chunk never starts between them.
    if starts
        && matches!(format, LogFormat::MariadbAudit | LogFormat::MysqlAuditJson)
        && audit::follows_table_event(prev())
    {
        return false;
    }
    starts
        && !(format.is_postgres() && {
            let prev_start = memchr::memrchr(b'\n', &buf[..nl]).map_or(0, |p| p + 1);
            let prev = &buf[prev_start..nl];
            [
                &b"AUDIT: OBJECT,"[..],
                b"\"audit_type\":\"OBJECT\"",
                b"\"auditType\":\"OBJECT\"",
            ]
            .iter()
            .any(|m| memchr::memmem::find(prev, m).is_some())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let cut = find_cut(text, LogFormat::PostgresStderr, false);
        assert_eq!(cut, Some(55));
        assert!(text[55..].starts_with(b"2026-01-01 00:00:01"));
        // An error's STATEMENT line stays with its ERROR line.
        let err = b"2026-01-01 00:00:00 UTC [1] ERROR:  boom\n2026-01-01 00:00:00 UTC [1] STATEMENT:  SELECT 1\n";
        assert_eq!(find_cut(err, LogFormat::PostgresStderr, false), None);
    }
}
