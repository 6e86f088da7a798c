//! SARIF 2.1.0 output of `audit`, shaped for GitHub code scanning: one run (category
//! `cutover/audit/`) whose driver lists every rule with help text; one result per finding
//! or suppression problem with ruleId, level, message, a physical location whose region
//! starts at line ≥ 1, `partialFingerprints.primaryLocationLineHash` (the fingerprint recipe
//! of `audit::fingerprint`) and, for suppressed findings, `suppressions`. The schema structs
//! are private: renaming an internal field cannot change the output.

use crate::audit::rules::{Level, Rule, Status};
use crate::audit::{Audit, Item};
use anyhow::Result;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    automation_details: AutomationDetails,
    column_kind: &'static str,
    original_uri_base_ids: BTreeMap<&'static str, UriBase>,
    results: Vec<ResultOut>,
}

#[derive(Serialize)]
struct UriBase {
    description: Text,
}

#[derive(Serialize)]
struct AutomationDetails {
    id: &'static str,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    semantic_version: &'static str,
    rules: Vec<RuleOut>,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RuleOut {
    id: &'static str,
    name: String,
    short_description: Text,
    full_description: Text,
    help: Help,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    tags: [&'static str; 2],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultOut {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    /// With a baseline or `--changed-since`: `new` or `unchanged` (a known reference).
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline_state: Option<&'static str>,
    message: Text,
    locations: Vec<Location>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression>,
    properties: ResultProperties,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    uri_base_id: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    start_column: u32,
}

#[derive(Serialize)]
struct Suppression {
    kind: &'static str,
    justification: String,
}

#[derive(Serialize)]
struct ResultProperties {
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<Status>,
    #[serde(skip_serializing_if = "Option::is_none")]
    table: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    access: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    operation: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    function: Option<String>,
}

/// SARIF's level names happen to be ours.
fn level(l: Level) -> &'static str {
    l.as_str()
}

/// Percent-encode what a relative URI reference cannot hold literally (spaces, `%`, `#`,
/// `?`, non-ASCII), keeping `/` as the separator.
pub fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~!$&'()*+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn rule_out(rule: Rule) -> RuleOut {
    RuleOut {
        id: rule.id(),
        name: rule
            .title()
            .split_whitespace()
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            })
            .collect(),
        short_description: Text {
            text: rule.title().to_string(),
        },
        full_description: Text {
            text: rule.help().to_string(),
        },
        help: Help {
            text: rule.help().to_string(),
            markdown: format!("**{}**\n\n{}", rule.title(), rule.help()),
        },
        default_configuration: Configuration {
            level: level(rule.default_level()),
        },
        properties: RuleProperties {
            tags: ["maintainability", "database-migration"],
        },
    }
}

/// A known reference is the backlog, not news: level `note` and `baselineState: unchanged`,
/// so that code-scanning views show what a change added (issue 18). New and forbidden
/// references keep their level.
fn result_out(item: &Item, compared: bool) -> ResultOut {
    let known = item.rule == Rule::KnownReference;
    let reference = item.finding.is_some();
    let baseline_state = match (compared, reference, known) {
        (true, true, true) => Some("unchanged"),
        (true, true, false) => Some("new"),
        _ => None,
    };
    let rule_index = Rule::ALL.iter().position(|r| *r == item.rule).unwrap_or(0);
    let suppressions = item
        .allowance
        .iter()
        .map(|a| Suppression {
            kind: "inSource",
            justification: match a.until {
                Some(d) => format!("{} (until {d})", a.reason),
                None => a.reason.clone(),
            },
        })
        .collect();
    let f = item.finding.as_ref();
    ResultOut {
        rule_id: item.rule.id(),
        rule_index,
        level: if known { "note" } else { level(item.level) },
        baseline_state,
        message: Text {
            text: item.message.clone(),
        },
        locations: vec![Location {
            physical_location: PhysicalLocation {
                artifact_location: ArtifactLocation {
                    uri: uri(&item.file),
                    uri_base_id: "%SRCROOT%",
                },
                region: Region {
                    start_line: item.line.max(1),
                    start_column: item.column.max(1),
                },
            },
        }],
        partial_fingerprints: BTreeMap::from([(
            "primaryLocationLineHash",
            item.fingerprint.clone(),
        )]),
        suppressions,
        properties: ResultProperties {
            status: item.status,
            table: f
                .map(|f| f.table.clone())
                .or_else(|| item.check.as_ref().map(|c| c.table.clone())),
            access: f.map(|f| f.access.as_str()),
            operation: f.map(|f| f.operation.as_str()),
            function: f
                .and_then(|f| f.function.clone())
                .or_else(|| item.check.as_ref().and_then(|c| c.function.clone())),
        },
    }
}

pub fn write_audit(audit: &Audit, out: &mut dyn Write) -> Result<()> {
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "cutover",
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    rules: Rule::ALL.iter().map(|r| rule_out(*r)).collect(),
                },
            },
            automation_details: AutomationDetails {
                id: "cutover/audit/",
            },
            column_kind: "unicodeCodePoints",
            original_uri_base_ids: BTreeMap::from([(
                "%SRCROOT%",
                UriBase {
                    description: Text {
                        text: "The scanned directory".to_string(),
                    },
                },
            )]),
            results: audit
                .items
                .iter()
                .map(|i| result_out(i, audit.baseline.is_some() || audit.changed_since.is_some()))
                .collect(),
        }],
    };
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_encoded() {
        assert_eq!(uri("src/app.py"), "src/app.py");
        assert_eq!(uri("my dir/100%.sql"), "my%20dir/100%25.sql");
        assert_eq!(uri("é.sql"), "%C3%A9.sql");
        assert_eq!(uri("a#b?.py"), "a%23b%3F.py");
    }
}
