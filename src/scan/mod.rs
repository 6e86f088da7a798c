//! The scan engine, the one place that reads a repository: discover (one walk) → models
//! (pass 1: every file that can declare a model, and every file's first read) → extract
//! (pass 2: the files that name a legacy table or model) → findings. Every command takes
//! its `Inventory`; none of them walks or reads the tree on its own. What a command needs
//! besides the findings (the replacement tables' findings for dual-write, source texts and
//! suppressions for audit, the texts plan reads) is asked for with `Wants` and collected in
//! the same pass.
//!
//! Git history (burndown) is scanned by `git`, with the same per-file functions over a
//! commit's blobs.

pub mod cache;
mod caller_files;
pub mod callers;
pub mod discover;
pub mod git;
mod models;

use crate::audit::suppress::Suppression;
use crate::config::{Config, TableMatcher};
use crate::extract::{self, ScanContext, ScanOutput};
use crate::model::{Finding, Language, Problem, SkipReason, sort_findings};
use crate::session::progress_stage;
use anyhow::Result;
use discover::{Discovered, SourceFile};
use indicatif::ProgressBar;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

/// What a command needs from the scan besides the legacy tables' findings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Wants {
    /// Scan the replacement tables of tables before `cutover` too (dual-write checks).
    pub replacements: bool,
    /// The texts of files with findings and every `cutover:` suppression (audit).
    pub sources: bool,
    /// The texts `plan` reads: source files, manifests, YAML, crontabs, CODEOWNERS.
    pub plan_texts: bool,
}

/// Source texts and suppressions, for audit's code frames and allowances.
#[derive(Debug, Default)]
pub struct Sources {
    pub texts: BTreeMap<String, String>,
    pub suppressions: Vec<Suppression>,
}

/// Everything a scan knows; the input of every later stage and renderer.
#[derive(Debug)]
pub struct Inventory {
    /// The scanned path as the user gave it.
    pub root_display: String,
    pub config: Config,
    /// The legacy tables' findings, problems and counters.
    pub scan: ScanOutput,
    pub elapsed: std::time::Duration,
    /// What was collected besides the legacy findings.
    pub wants: Wants,
    /// Source files the walk kept, sorted (what the call graph reads).
    pub source_files: Vec<SourceFile>,
    /// Every file the walk kept, whatever its kind, sorted (what component detection sees).
    pub files: Vec<String>,
    /// Findings of the replacement tables (`Wants::replacements`), sorted.
    pub replacement_findings: Vec<Finding>,
    /// `Wants::sources`.
    pub sources: Sources,
    /// `Wants::plan_texts`: relative path → text.
    pub plan_texts: BTreeMap<String, String>,
    /// Files plan wanted to read and could not (too large, unreadable).
    pub plan_problems: Vec<Problem>,
}

impl Inventory {
    /// An inventory of findings made elsewhere (tests, fuzzing), with nothing collected
    /// besides them.
    pub fn from_findings(root_display: String, config: Config, scan: ScanOutput) -> Inventory {
        Inventory {
            root_display,
            config,
            scan,
            elapsed: std::time::Duration::ZERO,
            wants: Wants::default(),
            source_files: Vec::new(),
            files: Vec::new(),
            replacement_findings: Vec::new(),
            sources: Sources::default(),
            plan_texts: BTreeMap::new(),
            plan_problems: Vec::new(),
        }
    }
}

/// Scan the configured root for its legacy tables, in the current rayon pool.
pub fn scan(config: Config, root_display: String) -> Result<Inventory> {
    scan_with(config, root_display, Wants::default())
}

/// Scan the configured root, collecting what `wants` asks for in the same pass.
pub fn scan_with(config: Config, root_display: String, wants: Wants) -> Result<Inventory> {
    scan_observed(config, root_display, wants, &ProgressBar::hidden())
}

/// `scan_with`, reporting its passes on `progress`.
pub fn scan_observed(
    config: Config,
    root_display: String,
    wants: Wants,
    progress: &ProgressBar,
) -> Result<Inventory> {
    let started = Instant::now();
    let found = discover::discover(&config)?;
    let tables = scanned_tables(&config.tables, wants.replacements);
    let mut scan_config = config.clone();
    scan_config.tables = tables;
    let tables_only = ScanContext::new(&scan_config);
    progress_stage(progress, "models", found.files.len() as u64);
    let pass1 = models::collect(&found.files, &scan_config, &tables_only, wants, progress);
    let declarations = pass1.models.declaration_findings();
    let ctx = ScanContext::with_models(&scan_config, pass1.models, Vec::new());
    // Legacy models or a naming convention widen the prefilter: then pass 1's answer for
    // pass 2 does not hold, and every file is read again.
    let unsettle_all: &[Option<u64>] = &[];
    let settled = if ctx.parses_same_files_as(&tables_only) {
        &pass1.settled
    } else {
        unsettle_all
    };
    progress_stage(progress, "scanning", found.files.len() as u64);
    let mut scan = extract::extract_unsettled(&found.files, &ctx, settled, progress);
    scan.findings.extend(declarations);
    sort_findings(&mut scan.findings);
    let (findings, replacement_findings) = split_by_role(&config.tables, scan.findings);
    scan.findings = findings;
    scan.callers = callers::callers(&config, &found.files, &scan.findings);
    let mut sources = Sources::default();
    let mut plan_texts = pass1.plan_texts;
    let mut plan_problems = Vec::new();
    if wants.sources {
        let max = config.scan.max_file_size;
        let findings = scan.findings.iter().chain(&replacement_findings);
        // Pass 1 took the suppressions of the files it settled for its own prefilter.
        sources = collect_sources(&found, findings, &pass1.settled, pass1.sources, max);
    }
    if wants.plan_texts {
        let (texts, problems) = read_plan_files(&found, &config);
        plan_texts.extend(texts);
        plan_problems = problems;
    }
    scan.stats.files_skipped += found.problems.iter().filter(|p| p.reason.is_skip()).count() as u64;
    let files = found.all_files();
    scan.problems.extend(found.problems);
    scan.problems.sort();
    Ok(Inventory {
        root_display,
        config,
        scan,
        elapsed: started.elapsed(),
        wants,
        files,
        source_files: found.files,
        replacement_findings,
        sources,
        plan_texts,
        plan_problems,
    })
}

/// The tables a scan looks for: the legacy tables, and with `replacements` the tables that
/// replace those not yet cut over (each once: a replacement may itself be legacy).
pub fn scanned_tables(legacy: &TableMatcher, replacements: bool) -> TableMatcher {
    if !replacements {
        return legacy.clone();
    }
    let mut tables = legacy.tables().to_vec();
    let known: BTreeSet<String> = tables.iter().map(|t| t.display.clone()).collect();
    tables.extend(
        crate::dualwrite::replacement_matcher(legacy)
            .tables()
            .iter()
            .filter(|t| !known.contains(&t.display))
            .cloned(),
    );
    TableMatcher::new(tables)
}

/// Split findings into the legacy tables' and the replacement tables' (a table that is both
/// lands in both).
fn split_by_role(legacy: &TableMatcher, findings: Vec<Finding>) -> (Vec<Finding>, Vec<Finding>) {
    let legacy_names: BTreeSet<&str> = legacy.tables().iter().map(|t| t.display.as_str()).collect();
    let replacement_names: BTreeSet<String> = crate::dualwrite::replacement_matcher(legacy)
        .tables()
        .iter()
        .map(|t| t.display.clone())
        .collect();
    let mut legacy_out = Vec::new();
    let mut replacement_out = Vec::new();
    for f in findings {
        if replacement_names.contains(&f.table) {
            replacement_out.push(f.clone());
        }
        if legacy_names.contains(f.table.as_str()) {
            legacy_out.push(f);
        }
    }
    (legacy_out, replacement_out)
}

/// The texts of files with findings (pass 2 read them; read once more here, they are few)
/// and the suppressions of every file: from pass 1 for the files it settled, from here for
/// the rest.
fn collect_sources<'a>(
    found: &Discovered,
    findings: impl Iterator<Item = &'a Finding>,
    settled: &[Option<u64>],
    settled_sources: Sources,
    max_file_size: u64,
) -> Sources {
    let with_findings: BTreeSet<&str> = findings.map(|f| f.file.as_str()).collect();
    let per_file: Vec<(String, Option<String>, Vec<Suppression>)> = found
        .files
        .par_iter()
        .enumerate()
        .filter(|(i, f)| {
            settled.get(*i).copied().flatten().is_none() || with_findings.contains(f.rel.as_str())
        })
        .map_init(Vec::new, |buf, (_, file)| {
            let wanted = with_findings.contains(file.rel.as_str());
            source_of(file, wanted, max_file_size, buf)
        })
        .collect();
    let mut out = settled_sources;
    for (rel, text, sups) in per_file {
        out.suppressions.extend(sups);
        if let Some(text) = text {
            out.texts.insert(rel, text);
        }
    }
    out.suppressions
        .sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    out.suppressions
        .dedup_by(|a, b| a.file == b.file && a.line == b.line);
    out
}

/// One file's text (when `wanted`) and suppressions. A file that cannot be read here was
/// reported by the scan.
fn source_of(
    file: &SourceFile,
    wanted: bool,
    max_file_size: u64,
    buf: &mut Vec<u8>,
) -> (String, Option<String>, Vec<Suppression>) {
    let none = (file.rel.clone(), None, Vec::new());
    if extract::read_file(file, max_file_size, buf).is_err() {
        return none;
    }
    if !wanted && memchr::memmem::find(buf, crate::audit::suppress::MARKER.as_bytes()).is_none() {
        return none;
    }
    let Ok(decoded) = extract::decode(buf) else {
        return none;
    };
    let sups = crate::audit::suppress::parse(&file.rel, &decoded.text);
    let text = (wanted || !sups.is_empty()).then(|| decoded.text.into_owned());
    (file.rel.clone(), text, sups)
}

/// The files plan reads that are not source files (manifests, YAML, crontabs) and
/// CODEOWNERS, which may sit in a hidden directory the walk skips; and those it could not.
fn read_plan_files(
    found: &Discovered,
    config: &Config,
) -> (BTreeMap<String, String>, Vec<Problem>) {
    let mut wanted: Vec<String> = found
        .others
        .iter()
        .filter(|rel| crate::plan::wanted(rel))
        .cloned()
        .collect();
    for loc in crate::plan::codeowners::LOCATIONS {
        if config.root.join(loc).is_file() && !wanted.iter().any(|f| f == loc) {
            wanted.push((*loc).to_string());
        }
    }
    let read: Vec<Result<(String, String), Problem>> = wanted
        .par_iter()
        .map_init(Vec::new, |buf, rel| {
            let file = SourceFile {
                rel: rel.clone(),
                path: config.root.join(rel),
                language: Language::Sql,
                size: 0,
            };
            extract::read_file(&file, config.scan.max_file_size, buf)?;
            Ok((rel.clone(), String::from_utf8_lossy(buf).into_owned()))
        })
        .collect();
    let mut texts = BTreeMap::new();
    let mut problems = Vec::new();
    for r in read {
        match r {
            Ok((rel, text)) => {
                texts.insert(rel, text);
            }
            Err(p) if p.reason == SkipReason::TooLarge || p.reason == SkipReason::Unreadable => {
                problems.push(p)
            }
            Err(_) => {}
        }
    }
    (texts, problems)
}
