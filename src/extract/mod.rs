//! Extraction: source files in, findings out. Reads each file once into one buffer, decodes
//! it (BOM, UTF-16, invalid UTF-8 are handled and reported), runs the prefilter, parses a
//! file that may mention a legacy table once, and hands the tree to every extractor that
//! reads it: raw SQL (`python`, `go`, `typescript`), ORM usages and query builders
//! (`orm::*::usages`). Runs in parallel with rayon; the output is sorted, so it does not
//! depend on the thread count.

pub mod flow;
pub mod foreign_keys;
pub mod generated;
pub mod go;
pub mod model_names;
pub mod prefilter;
pub mod python;
pub mod scoped;
pub mod sql_text;
pub mod sqlfile;
pub mod typescript;

use crate::catalog::{Catalog, OrmCatalog};
use crate::config::{Config, TableMatcher};
use crate::discover::SourceFile;
use crate::lang::{self, Grammar};
use crate::model::{Finding, Language, Problem, Site, SkipReason, sort_findings};
use crate::orm::ModelIndex;
use crate::sql::Dialect;
use indicatif::{ParallelProgressIterator, ProgressBar};
use prefilter::Prefilter;
use rayon::prelude::*;
use std::io::Read;
use tree_sitter::Tree;

/// What every extractor needs besides the file: the tables to look for, how to parse SQL,
/// and the models of pass 1.
pub struct ScanContext {
    pub tables: TableMatcher,
    pub dialect: Dialect,
    pub max_file_size: u64,
    pub max_line_length: u64,
    /// Which files are generated code, left out unless included.
    pub generated: generated::GeneratedCode,
    /// The repository's ORM models (pass 1); empty when built with `new`.
    pub models: ModelIndex,
    catalogs: [Catalog; 3],
    orm_catalogs: [OrmCatalog; 3],
    prefilter: Prefilter,
    /// Model names (case-sensitive: `Order` must not match every `order` in a codebase).
    model_names: Option<model_names::ModelNames>,
}

impl ScanContext {
    pub fn new(config: &Config) -> ScanContext {
        ScanContext::with_names(config, Vec::new())
    }

    /// `extra_names` are more words that make a file worth parsing (e.g. ORM model names).
    pub fn with_names(config: &Config, extra_names: Vec<String>) -> ScanContext {
        ScanContext::with_models(config, ModelIndex::default(), extra_names)
    }

    /// A context for pass 2: the names of legacy models (and of what cascades into them)
    /// join the prefilter, so a file that only says `LegacyOrder` is parsed.
    pub fn with_models(
        config: &Config,
        models: ModelIndex,
        extra_names: Vec<String>,
    ) -> ScanContext {
        let mut names = config.tables.bare_names();
        // Under a snake_case naming convention code spells `order_items` as `orderItems`.
        let snake = [Language::TypeScript, Language::JavaScript]
            .iter()
            .any(|l| {
                models
                    .conventions(*l)
                    .contains(&crate::orm::naming::Convention::SnakeCase)
            });
        let camel: Vec<String> = if snake {
            names
                .iter()
                .map(|n| crate::orm::naming::camel_case(n))
                .filter(|c| !names.contains(c))
                .collect()
        } else {
            Vec::new()
        };
        names.extend(camel);
        names.extend(extra_names);
        // A statement deleting from a table whose foreign keys cascade into a legacy one
        // writes it: files naming that table are worth parsing.
        names.extend(foreign_keys::parents_reaching(
            models.foreign_keys(),
            &config.tables,
        ));
        let model_names = models.prefilter_words();
        let model_names = model_names::ModelNames::new(&model_names);
        ScanContext {
            tables: config.tables.clone(),
            dialect: config.dialect,
            max_file_size: config.scan.max_file_size,
            max_line_length: config.scan.max_line_length,
            generated: generated::GeneratedCode::new(&config.root, config.scan.include_generated),
            models,
            catalogs: [
                Catalog::for_language(Language::Python, &config.sinks),
                Catalog::for_language(Language::Go, &config.sinks),
                Catalog::for_language(Language::TypeScript, &config.sinks),
            ],
            orm_catalogs: [
                OrmCatalog::for_language(Language::Python, &config.orm),
                OrmCatalog::for_language(Language::Go, &config.orm),
                OrmCatalog::for_language(Language::TypeScript, &config.orm),
            ],
            prefilter: Prefilter::new(names),
            model_names,
        }
    }

    /// The ORM rows (built-in plus the user's `[[orm]]`) of a language.
    pub fn orm_catalog(&self, language: Language) -> &OrmCatalog {
        match language {
            Language::Python => &self.orm_catalogs[0],
            Language::Go => &self.orm_catalogs[1],
            Language::TypeScript | Language::JavaScript | Language::Sql => &self.orm_catalogs[2],
        }
    }

    /// The sink catalog (built-in rows plus the user's `[[sinks]]`) of a language.
    pub fn catalog(&self, language: Language) -> &Catalog {
        match language {
            Language::Python => &self.catalogs[0],
            Language::Go => &self.catalogs[1],
            Language::TypeScript | Language::JavaScript | Language::Sql => &self.catalogs[2],
        }
    }

    /// Whether `text` may reference a configured table at all (by name, or through a model).
    pub fn may_match(&self, text: &[u8]) -> bool {
        self.may_name_table(text) || self.model_names.as_ref().is_some_and(|m| m.mentioned(text))
    }

    /// Whether `text` may name a configured table (or an extra name).
    pub fn may_name_table(&self, text: &[u8]) -> bool {
        self.prefilter.is_match(text)
    }

    /// Whether `text` uses a model of a legacy table (or its manager, or a parent whose
    /// deletion cascades into it) where `language` can use it as code (`model_names`).
    pub fn may_name_model(&self, text: &[u8], language: Language) -> bool {
        self.model_names
            .as_ref()
            .is_some_and(|m| m.used(text, language))
    }

    /// Whether `text` names a configured table where SQL or a query builder can use it
    /// (see `prefilter`): files that only name it elsewhere cannot produce a finding by
    /// name and are not parsed.
    pub fn names_table_where_used(&self, text: &[u8], language: Language) -> bool {
        self.prefilter.is_used(text, language)
    }

    /// Whether this context parses exactly the files `other` parses: no model names, and
    /// the same prefilter names (no naming convention added any).
    pub fn parses_same_files_as(&self, other: &ScanContext) -> bool {
        self.model_names.is_none()
            && other.model_names.is_none()
            && self.prefilter.names() == other.prefilter.names()
    }

    /// The names the prefilter looks for: the tables, their camelCase forms under a naming
    /// convention, and extra names (the model names are in `models`).
    pub fn prefilter_names(&self) -> &[String] {
        self.prefilter.names()
    }

    /// The prefilter names that occur in `text`, sorted and deduplicated (spelled as the
    /// prefilter holds them: table names lower-case, their camelCase forms under a naming
    /// convention).
    pub fn names_in(&self, text: &[u8]) -> Vec<String> {
        self.prefilter.names_in(text)
    }

    /// The prefilter names that occur in `text` where SQL or a query builder can use them,
    /// sorted and deduplicated (spelled as in `names_in`).
    pub fn names_where_used(&self, text: &[u8], language: Language) -> Vec<String> {
        self.prefilter.names_used(text, language)
    }
}

/// Counts for the summary line.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ScanStats {
    /// Source files read.
    pub files_scanned: u64,
    /// Of those, files that mentioned a legacy table and were parsed.
    pub files_parsed: u64,
    /// Bytes read.
    pub bytes_scanned: u64,
    /// Files left out (too large, binary, unreadable…), see `problems`.
    pub files_skipped: u64,
}

/// The result of scanning a set of files.
#[derive(Debug, Default)]
pub struct ScanOutput {
    pub findings: Vec<Finding>,
    /// Call sites of functions that touch a legacy table (kind `caller`): never among
    /// `findings` nor counted with them (`scan::callers`).
    pub callers: Vec<Finding>,
    pub problems: Vec<Problem>,
    pub stats: ScanStats,
}

/// The result of scanning one file.
#[derive(Debug, Default)]
pub struct FileScan {
    pub findings: Vec<Finding>,
    pub problems: Vec<Problem>,
    /// Whether the file passed the prefilter and was parsed.
    pub parsed: bool,
}

/// Scan all files in parallel; the result is sorted.
pub fn extract_all(files: &[SourceFile], ctx: &ScanContext) -> ScanOutput {
    extract_unsettled(files, ctx, &[], &ProgressBar::hidden())
}

/// Scan the files pass 1 did not settle (`settled[i]` is `Some(bytes)` for a file pass 1
/// read and found nothing to scan in, with this context's names): they are counted as
/// scanned, not read again. The result is sorted.
pub fn extract_unsettled(
    files: &[SourceFile],
    ctx: &ScanContext,
    settled: &[Option<u64>],
    progress: &ProgressBar,
) -> ScanOutput {
    let per_file: Vec<(u64, Result<FileScan, Problem>)> = files
        .par_iter()
        .progress_with(progress.clone())
        .enumerate()
        .map_init(Vec::new, |buf, (i, file)| {
            if let Some(bytes) = settled.get(i).copied().flatten() {
                return (bytes, Ok(FileScan::default()));
            }
            let read = read_file(file, ctx.max_file_size, buf);
            let result = read.map(|()| scan_bytes(&file.rel, file.language, buf, ctx));
            (buf.len() as u64, result)
        })
        .collect();
    let mut out = ScanOutput::default();
    for (bytes, result) in per_file {
        match result {
            Ok(scan) if scan.problems.iter().any(|p| p.reason.is_skip()) => {
                out.stats.files_skipped += 1;
                out.problems.extend(scan.problems);
            }
            Ok(scan) => {
                out.stats.files_scanned += 1;
                out.stats.bytes_scanned += bytes;
                out.stats.files_parsed += u64::from(scan.parsed);
                out.findings.extend(scan.findings);
                out.problems.extend(scan.problems);
            }
            Err(problem) => {
                out.stats.files_skipped += 1;
                out.problems.push(problem);
            }
        }
    }
    sort_findings(&mut out.findings);
    out.problems.sort();
    out
}

pub(crate) fn read_file(file: &SourceFile, max: u64, buf: &mut Vec<u8>) -> Result<(), Problem> {
    buf.clear();
    let problem = |reason, detail: String| Problem {
        file: file.rel.clone(),
        line: None,
        reason,
        detail,
    };
    let mut f = std::fs::File::open(&file.path)
        .map_err(|e| problem(SkipReason::Unreadable, format!("cannot open: {e}")))?;
    let meta = f
        .metadata()
        .map_err(|e| problem(SkipReason::Unreadable, format!("cannot stat: {e}")))?;
    if !meta.is_file() {
        return Err(problem(
            SkipReason::NotAFile,
            "not a regular file".to_string(),
        ));
    }
    if meta.len() > max {
        return Err(problem(
            SkipReason::TooLarge,
            format!(
                "{} bytes, over scan.max_file_size ({} bytes)",
                meta.len(),
                max
            ),
        ));
    }
    // `take` guards against a file that grows while we read it.
    (&mut f)
        .take(max.saturating_add(1))
        .read_to_end(buf)
        .map_err(|e| problem(SkipReason::Unreadable, format!("read failed: {e}")))?;
    if buf.len() as u64 > max {
        return Err(problem(
            SkipReason::TooLarge,
            format!("grew past scan.max_file_size ({max} bytes) while read"),
        ));
    }
    Ok(())
}

/// Decoded source text and what decoding had to do.
pub struct Decoded<'a> {
    pub text: std::borrow::Cow<'a, str>,
    pub problem: Option<(SkipReason, String)>,
}

/// Decode file bytes: strip a UTF-8 BOM, decode UTF-16 with a BOM, replace invalid UTF-8
/// (reported). Returns `Err` for binary content (NUL bytes in the first 8 KiB without a
/// UTF-16 BOM).
pub fn decode(bytes: &[u8]) -> Result<Decoded<'_>, String> {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return Ok(decode_utf8(rest));
    }
    let utf16 = |le: bool, rest: &[u8]| {
        let units: Vec<u16> = rest
            .chunks(2)
            .map(|c| {
                let pair = [c[0], *c.get(1).unwrap_or(&0)];
                if le {
                    u16::from_le_bytes(pair)
                } else {
                    u16::from_be_bytes(pair)
                }
            })
            .collect();
        let text = String::from_utf16_lossy(&units);
        let bad = text.contains('\u{FFFD}');
        Decoded {
            text: std::borrow::Cow::Owned(text),
            problem: bad.then(|| {
                (
                    SkipReason::InvalidUtf8,
                    "invalid UTF-16 sequences replaced".to_string(),
                )
            }),
        }
    };
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return Ok(utf16(true, rest));
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return Ok(utf16(false, rest));
    }
    let head = &bytes[..bytes.len().min(8192)];
    if memchr::memchr(0, head).is_some() {
        return Err("binary content (NUL bytes)".to_string());
    }
    Ok(blank_nul_bytes(decode_utf8(bytes)))
}

/// A NUL byte past the first 8 KiB (which binary detection reads) would end the parse
/// there, losing what follows: NULs become spaces (offsets unchanged) and are reported.
fn blank_nul_bytes(decoded: Decoded<'_>) -> Decoded<'_> {
    let Some(first) = memchr::memchr(0, decoded.text.as_bytes()) else {
        return decoded;
    };
    let detail = format!(
        "NUL byte at byte {first} (past the first 8 KiB, so not binary): NUL bytes read as \
         spaces, the rest analysed"
    );
    let problem = match decoded.problem {
        Some((reason, earlier)) => Some((reason, format!("{earlier}; {detail}"))),
        None => Some((SkipReason::NulBytes, detail)),
    };
    Decoded {
        text: std::borrow::Cow::Owned(decoded.text.replace('\0', " ")),
        problem,
    }
}

fn decode_utf8(bytes: &[u8]) -> Decoded<'_> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Decoded {
            text: std::borrow::Cow::Borrowed(s),
            problem: None,
        },
        Err(e) => Decoded {
            text: String::from_utf8_lossy(bytes),
            problem: Some((
                SkipReason::InvalidUtf8,
                format!(
                    "invalid UTF-8 at byte {}; invalid bytes replaced, rest analysed",
                    e.valid_up_to()
                ),
            )),
        },
    }
}

/// Whether the ORM passes want a file parsed: it uses a legacy model as code, or it is a
/// migration that may touch a legacy table (which names it as `"users.id"` or
/// `model_name="order"`, where the table prefilter does not look).
pub fn for_orm_passes(rel: &str, language: Language, text: &[u8], ctx: &ScanContext) -> bool {
    ctx.may_name_model(text, language)
        || language == Language::Python && crate::orm::python::migration_may_apply(rel, text, ctx)
}

/// Scan one file's bytes. Shared by `inventory` (files on disk) and `burndown` (git blobs).
pub fn scan_bytes(rel: &str, language: Language, bytes: &[u8], ctx: &ScanContext) -> FileScan {
    let mut out = FileScan::default();
    let decoded = match decode(bytes) {
        Ok(d) => d,
        Err(reason) => {
            out.problems.push(Problem {
                file: rel.to_string(),
                line: None,
                reason: SkipReason::Binary,
                detail: reason,
            });
            return out;
        }
    };
    // Most files never mention a legacy table: they are read once and never parsed. A
    // file that only names a model is left to the ORM pass.
    let names_table = ctx.names_table_where_used(decoded.text.as_bytes(), language);
    let names_model = for_orm_passes(rel, language, decoded.text.as_bytes(), ctx);
    if !names_table && !names_model {
        return out;
    }
    if let Some(why) = ctx.generated.reason(rel, language, &decoded.text) {
        out.problems.push(Problem {
            file: rel.to_string(),
            line: None,
            reason: SkipReason::Generated,
            detail: format!(
                "{why} ({} bytes): not scanned (--include-generated scans it)",
                decoded.text.len()
            ),
        });
        return out;
    }
    if let Some((line, len)) = line_over(decoded.text.as_bytes(), ctx.max_line_length) {
        out.problems.push(Problem {
            file: rel.to_string(),
            line: Some(line),
            reason: SkipReason::TooLarge,
            detail: format!(
                "line of {len} bytes, over scan.max_line_length ({} bytes): minified or generated, not parsed",
                ctx.max_line_length
            ),
        });
        return out;
    }
    if let Some((reason, detail)) = decoded.problem {
        out.problems.push(Problem {
            file: rel.to_string(),
            line: None,
            reason,
            detail,
        });
    }
    out.parsed = true;
    let file = FileInput {
        rel,
        language,
        text: &decoded.text,
        ctx,
        mentioned: std::cell::OnceCell::new(),
    };
    let Some(grammar) = Grammar::for_file(language, rel) else {
        // `.sql` files are classified as text; a `.prisma` schema is pass 1's alone.
        if names_table && language == Language::Sql {
            sqlfile::extract(&file, &mut out);
        }
        return out;
    };
    if grammar == Grammar::Python
        && let Some(line) = lang::python_indent_over(file.text, lang::MAX_PYTHON_INDENT)
    {
        out.problems.push(Problem {
            file: rel.to_string(),
            line: Some(line),
            reason: SkipReason::TooDeep,
            detail: format!(
                "indented more than {} levels deep: the Python parser cannot take it, not parsed",
                lang::MAX_PYTHON_INDENT
            ),
        });
        return out;
    }
    // One parse feeds every extractor below (under a `lang::Reuse`, incrementally).
    let Some(tree) = lang::parse(grammar, file.text) else {
        if names_table {
            out.problems.push(parser_failed(&file));
        }
        return out;
    };
    out.problems
        .extend(syntax_problem(&file, grammar, &tree, names_table));
    extract_parsed(&file, grammar, &tree, names_table, &mut out);
    out
}

/// Run the extractors of a parsed code file: raw SQL when it names a table where SQL can
/// use it, ORM usages when pass 1 found models, query builders always (they name tables as
/// strings, or as camelCase identifiers under a naming convention).
fn extract_parsed(
    file: &FileInput<'_>,
    grammar: Grammar,
    tree: &Tree,
    names_table: bool,
    out: &mut FileScan,
) {
    let models = !file.ctx.models.is_empty();
    match file.language {
        Language::Python => {
            if names_table {
                python::extract(file, tree, out);
            }
            if models {
                crate::orm::python::usages(file, tree, out);
            }
            // Migrations name their tables as data (`op.add_column("t", …)`) or by model
            // (`AddField(model_name="order")`): their own passes.
            crate::orm::python::alembic::usages(file, tree, out);
            crate::orm::python::django_migrations::usages(file, tree, out);
        }
        Language::Go => {
            if names_table {
                go::extract(file, tree, out);
            }
            if models {
                crate::orm::go::usages(file, tree, out);
            }
        }
        Language::TypeScript | Language::JavaScript => {
            if names_table {
                typescript::extract(file, grammar, tree, out);
            }
            if models {
                crate::orm::typescript::class_usages::usages(file, tree, out);
            }
            crate::orm::typescript::usages(file, tree, out);
        }
        Language::Sql => {}
    }
}

/// The syntax error of a parsed file, reported once whichever extractors read the tree.
/// TypeScript's is reported only when its raw-SQL extractor runs (as before the tree was
/// shared): a file that only names a model says nothing about its syntax.
fn syntax_problem(
    file: &FileInput<'_>,
    grammar: Grammar,
    tree: &Tree,
    names_table: bool,
) -> Option<Problem> {
    match grammar {
        Grammar::Python | Grammar::Go => first_syntax_error(file, tree),
        Grammar::TypeScript | Grammar::Tsx if names_table => typescript::syntax_problem(file, tree),
        Grammar::TypeScript | Grammar::Tsx => None,
    }
}

/// A problem for a file whose parse tree has error nodes: where the first one is. What
/// parsed around it is still analysed.
fn first_syntax_error(file: &FileInput<'_>, tree: &Tree) -> Option<Problem> {
    let root = tree.root_node();
    if !root.has_error() {
        return None;
    }
    // Iterative descent towards the first error: a deep tree must not overflow the stack.
    let mut cursor = root.walk();
    let mut at = root;
    'down: loop {
        if at.is_error() || at.is_missing() {
            break;
        }
        if !cursor.goto_first_child() {
            break;
        }
        loop {
            let n = cursor.node();
            if n.has_error() {
                at = n;
                continue 'down;
            }
            if !cursor.goto_next_sibling() {
                break 'down;
            }
        }
    }
    let line = at.start_position().row as u32 + 1;
    Some(Problem {
        file: file.rel.to_string(),
        line: Some(line),
        reason: SkipReason::SyntaxError,
        detail: format!(
            "syntax error near line {line} ({}); the rest of the file was analysed",
            if at.is_missing() {
                format!("missing {}", at.kind())
            } else {
                "unexpected input".to_string()
            }
        ),
    })
}

/// The problem of a file tree-sitter refused to parse (only a grammar that does not load
/// does that: malformed input becomes ERROR nodes).
fn parser_failed(file: &FileInput<'_>) -> Problem {
    let detail = match file.language {
        Language::Python => "the Python parser could not be run on this file",
        Language::Go => "the Go parser could not be run on this file",
        _ => "tree-sitter could not parse the file",
    };
    Problem {
        file: file.rel.to_string(),
        line: None,
        reason: SkipReason::SyntaxError,
        detail: detail.to_string(),
    }
}

/// The first line longer than `max` bytes: its 1-based number and length.
pub(crate) fn line_over(text: &[u8], max: u64) -> Option<(u32, u64)> {
    // No line can be longer than the file: the common case costs nothing.
    if text.len() as u64 <= max {
        return None;
    }
    let mut start = 0;
    for (i, end) in memchr::memchr_iter(b'\n', text)
        .chain(std::iter::once(text.len()))
        .enumerate()
    {
        let len = (end - start) as u64;
        if len > max {
            return Some((u32::try_from(i + 1).unwrap_or(u32::MAX), len));
        }
        start = end + 1;
    }
    None
}

/// One decoded file handed to a language extractor.
pub struct FileInput<'a> {
    pub rel: &'a str,
    pub language: Language,
    pub text: &'a str,
    pub ctx: &'a ScanContext,
    /// The configured tables this file names as whole words (computed once, on the first
    /// dynamic statement; see `sql_text::mentioned_tables`).
    pub mentioned: std::cell::OnceCell<Vec<String>>,
}

impl FileInput<'_> {
    /// The site at byte `offset` of this file; function, evidence, sink and framework are
    /// the caller's to fill (`Site { function, ..file.site_at(index, offset) }`).
    pub fn site_at(&self, index: &LineIndex, offset: usize) -> Site {
        let (line, column) = index.position(self.text, offset);
        Site {
            file: self.rel.to_string(),
            line,
            column,
            language: self.language,
            function: None,
            evidence: String::new(),
            sink: None,
            framework: None,
        }
    }
}

/// Maps byte offsets to 1-based (line, column) positions; columns count characters.
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        LineIndex { starts }
    }

    pub fn position(&self, text: &str, offset: usize) -> (u32, u32) {
        let offset = offset.min(text.len());
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let col = text
            .get(start..offset)
            .map(|s| s.chars().count())
            .unwrap_or(offset - start);
        (line as u32 + 1, col as u32 + 1)
    }
}

/// Collapse whitespace and cut long statements for the `evidence` field.
pub fn evidence(text: &str) -> String {
    const MAX: usize = 200;
    let mut out = String::with_capacity(text.len().min(MAX + 4));
    let mut count = 0;
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
            count += 1;
        }
        for ch in word.chars() {
            if count >= MAX {
                out.push('…');
                return out;
            }
            out.push(ch);
            count += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_index_positions() {
        let text = "ab\ncdé\nf";
        let idx = LineIndex::new(text);
        assert_eq!(idx.position(text, 0), (1, 1));
        assert_eq!(idx.position(text, 3), (2, 1));
        assert_eq!(idx.position(text, text.find('f').unwrap()), (3, 1));
        assert_eq!(idx.position(text, text.len()), (3, 2));
    }

    #[test]
    fn evidence_collapses_and_truncates() {
        assert_eq!(evidence("SELECT *\n\t FROM  t"), "SELECT * FROM t");
        let long = "x ".repeat(500);
        assert!(evidence(&long).chars().count() <= 202);
        assert!(evidence(&long).ends_with('…'));
    }

    #[test]
    fn long_lines() {
        assert_eq!(line_over(b"abc\ndefgh\nij", 5), None);
        assert_eq!(line_over(b"abc\ndefghi\nij", 5), Some((2, 6)));
        assert_eq!(line_over(b"abc\nij\nklmnopq", 5), Some((3, 7)));
        assert_eq!(line_over(b"abcdef", 5), Some((1, 6)));
        assert_eq!(line_over(b"", 0), None);
    }

    #[test]
    fn decoding() {
        assert_eq!(decode(b"\xEF\xBB\xBFabc").unwrap().text, "abc");
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("hi".encode_utf16().flat_map(|u| u.to_le_bytes()))
            .collect();
        assert_eq!(decode(&utf16).unwrap().text, "hi");
        assert!(decode(b"ab\0cd").is_err());
        let bad = decode(b"ok \xFF ok").unwrap();
        assert!(bad.problem.is_some());
        assert!(bad.text.contains("ok"));
    }
}
