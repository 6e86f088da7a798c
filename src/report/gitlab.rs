//! GitLab Code Quality output of `audit`: a JSON array of issues (`description`,
//! `check_name`, `fingerprint`, `severity`, `location.path`, `location.lines.begin`) that a
//! job publishes as `artifacts:reports:codequality`. Fingerprints are unique per result
//! (GitLab merges issues that share one). Suppressed findings are left out: Code Quality
//! has no notion of them.

use crate::audit::Audit;
use crate::audit::rules::Level;
use anyhow::Result;
use serde::Serialize;
use std::io::Write;

#[derive(Serialize)]
struct Issue<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    description: &'a str,
    check_name: &'static str,
    fingerprint: &'a str,
    severity: &'static str,
    categories: [&'static str; 1],
    location: Location<'a>,
}

#[derive(Serialize)]
struct Location<'a> {
    path: &'a str,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: u32,
}

fn severity(level: Level) -> &'static str {
    match level {
        Level::Error => "major",
        Level::Warning => "minor",
        Level::Note => "info",
    }
}

pub fn write_audit(audit: &Audit, out: &mut dyn Write) -> Result<()> {
    let issues: Vec<Issue<'_>> = audit
        .items
        .iter()
        // A covered dual write is not a code quality issue.
        .filter(|i| i.allowance.is_none() && i.rule != crate::audit::rules::Rule::DualWriteCovered)
        .map(|i| Issue {
            kind: "issue",
            description: &i.message,
            check_name: i.rule.id(),
            fingerprint: &i.fingerprint,
            severity: severity(i.level),
            categories: ["Compatibility"],
            location: Location {
                path: &i.file,
                lines: Lines {
                    begin: i.line.max(1),
                },
            },
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &issues)?;
    writeln!(out)?;
    Ok(())
}
