//! The scan engine: discover → models (pass 1) → extract (pass 2) → findings. Every command
//! that looks at code takes its `Inventory`.

use crate::config::Config;
use crate::{discover, extract, model, orm};
use anyhow::Result;
use std::time::Instant;

/// Everything a scan knows; the input of every later stage and renderer.
#[derive(Debug)]
pub struct Inventory {
    /// The scanned path as the user gave it.
    pub root_display: String,
    pub config: Config,
    pub scan: extract::ScanOutput,
    pub discovered_other_files: u64,
    pub elapsed: std::time::Duration,
}

/// Discover and scan the configured root, in the current rayon pool.
pub fn scan(config: Config, root_display: String) -> Result<Inventory> {
    let started = Instant::now();
    let found = discover::discover(&config)?;
    // Pass 1: which models map to which tables; pass 2 resolves ORM calls with it.
    // While pass 1 has each file in memory it also asks pass 2's prefilter, so a file
    // that names no legacy table is read once, not twice.
    let tables_only = extract::ScanContext::new(&config);
    let needs_scan =
        |language, text: &str| tables_only.names_table_where_used(text.as_bytes(), language);
    let (models, settled) = orm::collect_and_triage(&found.files, &config, Some(&needs_scan));
    let declarations = models.declaration_findings();
    let ctx = extract::ScanContext::with_models(&config, models, Vec::new());
    // Legacy models or a naming convention widen the prefilter: then every file is
    // asked again.
    let settled = if ctx.parses_same_files_as(&tables_only) {
        settled
    } else {
        Vec::new()
    };
    let mut scan = extract::extract_unsettled(&found.files, &ctx, &settled);
    scan.findings.extend(declarations);
    model::sort_findings(&mut scan.findings);
    scan.stats.files_skipped += found.problems.iter().filter(|p| p.reason.is_skip()).count() as u64;
    scan.problems.extend(found.problems);
    scan.problems.sort();
    Ok(Inventory {
        root_display,
        config,
        scan,
        discovered_other_files: found.other_files,
        elapsed: started.elapsed(),
    })
}
