//! `cutover audit`: the CI gate. Scan, compare with the baseline, apply phase rules and
//! suppressions, report for a terminal or a CI system.

use crate::cli::AuditArgs;
use crate::config::Config;
use crate::report::{Document, Format};
use crate::scan::Wants;
use crate::session::{Outcome, Session};
use crate::{audit, burndown, dualwrite};
use anyhow::Result;
use std::io::Write;
use std::path::PathBuf;

pub fn run(args: &AuditArgs, out: &mut dyn Write) -> Result<Outcome> {
    let format = Format::from(args.format);
    let session = Session::for_scan(&args.scan, &args.output, format)?;
    let opts = audit::Options {
        baseline_path: baseline_path(args, &session.config),
        use_baseline: args.changed_since.is_none()
            || args.baseline.is_some()
            || args.update_baseline,
        update_baseline: args.update_baseline,
        allow_new: args.allow_new,
        changed_since: args.changed_since.clone(),
        today: today(args.today.as_deref())?,
    };
    audit::preflight(&opts)?;
    let inventory = session.scan(Wants {
        replacements: true,
        sources: true,
        ..Wants::default()
    })?;
    // Every reference counts for the burndown, whatever the audit's verdict on it.
    let record = args.record.as_ref().map(|path| {
        let counts = burndown::record::Record::for_scan(
            &inventory.config.root,
            &inventory.config.tables,
            &inventory.scan.findings,
        );
        (path, counts)
    });
    let dual = session.install(|| dualwrite::run(&inventory))?;
    let result = session.install(|| audit::audit(inventory, dual, &opts))?;
    let step_summary = std::env::var_os("GITHUB_STEP_SUMMARY")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    let doc = Document::Audit {
        audit: &result,
        step_summary: step_summary.as_deref(),
    };
    session.write(&doc, format, out)?;
    if let Some((path, counts)) = &record {
        burndown::record::append(path, counts)?;
    }
    Ok(if result.failed() {
        Outcome::Failed
    } else if args.scan.strict && result.incomplete() {
        Outcome::Incomplete
    } else {
        Outcome::Clean
    })
}

fn today(given: Option<&str>) -> Result<chrono::NaiveDate> {
    match given {
        Some(d) => chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| anyhow::anyhow!("--today `{d}` is not a date: use YYYY-MM-DD")),
        None => Ok(chrono::Utc::now().date_naive()),
    }
}

/// Where the audit's baseline lives: `--baseline` (relative to the working directory), else
/// `[audit] baseline` (relative to the configuration file), else `cutover-baseline.json`
/// in the scanned directory.
fn baseline_path(args: &AuditArgs, config: &Config) -> PathBuf {
    if let Some(p) = &args.baseline {
        return p.clone();
    }
    if let Some(b) = &config.audit.baseline {
        let base = config
            .config_path
            .as_deref()
            .and_then(std::path::Path::parent)
            .unwrap_or(&config.root);
        return base.join(b);
    }
    let dir = if config.root.is_file() {
        config.root.parent().unwrap_or(&config.root)
    } else {
        &config.root
    };
    dir.join(audit::baseline::DEFAULT_BASELINE_FILE)
}
