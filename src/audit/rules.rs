//! Audit rules: what each kind of result means, its help text, and how a table's migration
//! phase and severity turn a finding's status into a rule and a level. Pure data and one
//! decision function; the verdict applies it, the renderers print the texts.

use crate::config::{LegacyTable, Phase, Severity};
use crate::model::Access;
use serde::Serialize;

/// How bad a result is. Ordered most important first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Error,
    Warning,
    Note,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Note => "note",
        }
    }

    fn of(severity: Severity) -> Level {
        match severity {
            Severity::Error => Level::Error,
            Severity::Warning => Level::Warning,
            Severity::Note => Level::Note,
        }
    }
}

/// Every kind of result `audit` reports. Sorted by id (a test checks it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Rule {
    /// A dual write whose new write runs only under a condition or flag.
    DualWriteConditional,
    /// A writer of a dual-write-phase legacy table that also writes the replacement with
    /// every matching operation (directly, through calls, or through a declared helper).
    DualWriteCovered,
    /// A dual write whose new write is a plain INSERT (no conflict handling).
    DualWriteNotIdempotent,
    /// A dual write whose new write runs first, or can fail the request (no guard).
    DualWriteOrder,
    /// A writer that writes the replacement but misses some legacy operations.
    DualWritePartial,
    /// A writer of the replacement that does not write the legacy table (before `cutover`).
    DualWriteReplacementOnly,
    /// A dual write whose new write's failure is caught with no metric and no log.
    DualWriteSwallowed,
    /// A writer of a dual-write-phase legacy table with no reachable replacement write.
    DualWriteUncovered,
    /// A suppression whose `until=` date has passed.
    ExpiredAllowance,
    /// A read of a table in the `cutover` phase.
    ForbiddenRead,
    /// Any reference to a table in the `cleanup` phase.
    ForbiddenReference,
    /// A malformed `cutover: allow` comment.
    InvalidSuppression,
    /// A reference recorded in the baseline (or older than `--changed-since`).
    KnownReference,
    /// A reference the baseline does not cover.
    NewReference,
    /// A read of a `shadow-read` legacy table with no read of the replacement.
    ShadowReadMissing,
    /// A `cutover: allow` comment that matches no reference.
    UnusedSuppression,
}

impl Rule {
    pub const ALL: [Rule; 16] = [
        Rule::DualWriteConditional,
        Rule::DualWriteCovered,
        Rule::DualWriteNotIdempotent,
        Rule::DualWriteOrder,
        Rule::DualWritePartial,
        Rule::DualWriteReplacementOnly,
        Rule::DualWriteSwallowed,
        Rule::DualWriteUncovered,
        Rule::ExpiredAllowance,
        Rule::ForbiddenRead,
        Rule::ForbiddenReference,
        Rule::InvalidSuppression,
        Rule::KnownReference,
        Rule::NewReference,
        Rule::ShadowReadMissing,
        Rule::UnusedSuppression,
    ];

    /// The stable rule id shown in every format.
    pub fn id(self) -> &'static str {
        match self {
            Rule::DualWriteCovered => "cutover/dual-write-covered",
            Rule::DualWriteConditional => "cutover/dual-write-conditional",
            Rule::DualWriteNotIdempotent => "cutover/dual-write-not-idempotent",
            Rule::DualWriteOrder => "cutover/dual-write-order",
            Rule::DualWriteSwallowed => "cutover/dual-write-swallowed",
            Rule::DualWritePartial => "cutover/dual-write-partial",
            Rule::DualWriteReplacementOnly => "cutover/dual-write-replacement-only",
            Rule::DualWriteUncovered => "cutover/dual-write-uncovered",
            Rule::ShadowReadMissing => "cutover/shadow-read-missing",
            Rule::ExpiredAllowance => "cutover/expired-allowance",
            Rule::ForbiddenReference => "cutover/forbidden-reference",
            Rule::ForbiddenRead => "cutover/forbidden-read",
            Rule::InvalidSuppression => "cutover/invalid-suppression",
            Rule::KnownReference => "cutover/known-reference",
            Rule::NewReference => "cutover/new-reference",
            Rule::UnusedSuppression => "cutover/unused-suppression",
        }
    }

    /// A short title (GitHub annotation titles, SARIF short descriptions).
    pub fn title(self) -> &'static str {
        match self {
            Rule::DualWriteCovered => "Dual write covered",
            Rule::DualWriteConditional => "Dual write behind a condition",
            Rule::DualWriteNotIdempotent => "Dual write not idempotent",
            Rule::DualWriteOrder => "Dual write out of order",
            Rule::DualWriteSwallowed => "Dual write failure swallowed",
            Rule::DualWritePartial => "Dual write misses some operations",
            Rule::DualWriteReplacementOnly => "Write of the replacement table only",
            Rule::DualWriteUncovered => "Write of the legacy table only (no dual write)",
            Rule::ShadowReadMissing => "Read of the legacy table without a shadow read",
            Rule::ExpiredAllowance => "Expired allowance for a legacy table",
            Rule::ForbiddenReference => "Reference to a legacy table in cleanup",
            Rule::ForbiddenRead => "Read of a legacy table after cutover",
            Rule::InvalidSuppression => "Invalid cutover suppression",
            Rule::KnownReference => "Known reference to a legacy table",
            Rule::NewReference => "New reference to a legacy table",
            Rule::UnusedSuppression => "Unused cutover suppression",
        }
    }

    /// What to do about it.
    pub fn help(self) -> &'static str {
        match self {
            Rule::DualWriteCovered => {
                "This function writes the legacy table and its replacement with matching \
                 operations (directly, through calls followed 3 levels deep, or through a \
                 declared `[tables.dual_write] helpers` wrapper). Nothing to do."
            }
            Rule::DualWriteConditional => {
                "The new write runs only under a condition or feature flag, so some legacy writes \
                 are never mirrored (a flag that is off by default mirrors nothing). Mirror on \
                 every path; turn the flag on everywhere before the backfill."
            }
            Rule::DualWriteNotIdempotent => {
                "The new write is a plain INSERT. Retries and the backfill replay rows: use an \
                 upsert (ON CONFLICT / ON DUPLICATE KEY) or an idempotent key."
            }
            Rule::DualWriteOrder => {
                "The legacy write must come first and stay authoritative: the new write runs \
                 before it, or its failure is not caught and fails the request (in one \
                 transaction, it rolls the legacy write back). Write the legacy table first, then \
                 the replacement inside try/except (or an error check) that logs and counts."
            }
            Rule::DualWriteSwallowed => {
                "The new write's failure is caught and dropped with neither a metric nor a log: \
                 the replacement diverges and nobody knows. Log it and count it with a metric."
            }
            Rule::DualWritePartial => {
                "This function writes the replacement table, but not for every operation it \
                 performs on the legacy table (insert needs insert/upsert, update needs \
                 update/upsert, delete needs delete). Mirror the missing operations, or declare \
                 the wrapper that does in `[tables.dual_write] helpers`."
            }
            Rule::DualWriteReplacementOnly => {
                "This function writes the replacement table but not the legacy table, which is \
                 still the source of truth before `cutover`: the two diverge. Write both, or go \
                 through the dual-write wrapper."
            }
            Rule::DualWriteUncovered => {
                "The table is in the `dual-write` phase and this function writes it, but no write \
                 of the replacement is reachable from it: the new table silently diverges. Write \
                 the replacement too (same operation), call a function that does, or declare the \
                 wrapper that does it (e.g. behind an interface) in `[tables.dual_write] helpers`."
            }
            Rule::ShadowReadMissing => {
                "The table is in the `shadow-read` phase and this function reads it, but never \
                 reads the replacement to compare: add the shadow read, or declare the wrapper \
                 that does it in `[tables.dual_write] helpers`."
            }
            Rule::ExpiredAllowance => {
                "The `until=` date of this `cutover: allow` comment has passed. Migrate the reference \
                 to the replacement table, or extend the date with a new reason."
            }
            Rule::ForbiddenReference => {
                "The table is in the `cleanup` phase: it is about to be dropped and no code may \
                 reference it, baseline or not. Remove the reference or use the replacement table."
            }
            Rule::ForbiddenRead => {
                "The table is in the `cutover` phase: reads must go to the replacement table. \
                 Change this read, or add `cutover: allow TABLE -- reason` if it must stay for now."
            }
            Rule::InvalidSuppression => {
                "Write the comment as `cutover: allow TABLE [until=YYYY-MM-DD] -- reason` on the line \
                 of the reference or the line above. The reason is required."
            }
            Rule::KnownReference => {
                "This reference to a legacy table is recorded in the baseline. It is allowed for \
                 now; migrate it to the replacement table and run `cutover audit --update-baseline`."
            }
            Rule::NewReference => {
                "New code must not add references to a legacy table. Use the replacement table; \
                 if the reference is intended, add `cutover: allow TABLE -- reason` on its line or \
                 the line above, or accept it with `cutover audit --update-baseline --allow-new`."
            }
            Rule::UnusedSuppression => {
                "This `cutover: allow` comment does not match any reference on its line or the \
                 next one. Remove it."
            }
        }
    }

    /// The level a result of this rule has unless a table's `severity` overrides it.
    pub fn default_level(self) -> Level {
        match self {
            Rule::ExpiredAllowance
            | Rule::ForbiddenReference
            | Rule::ForbiddenRead
            | Rule::InvalidSuppression
            | Rule::NewReference => Level::Error,
            Rule::KnownReference | Rule::UnusedSuppression => Level::Warning,
            // Partial coverage may be deliberate (a soft delete mirrored by an update):
            // the run still passes, the developer sees it.
            Rule::DualWriteUncovered => Level::Error,
            Rule::DualWritePartial
            | Rule::DualWriteReplacementOnly
            | Rule::ShadowReadMissing
            | Rule::DualWriteConditional
            | Rule::DualWriteNotIdempotent
            | Rule::DualWriteOrder
            | Rule::DualWriteSwallowed => Level::Warning,
            Rule::DualWriteCovered => Level::Note,
        }
    }
}

/// Whether a finding is new since the baseline (or REF), known, or suppressed in code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    New,
    Known,
    Suppressed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Known => "known",
            Status::Suppressed => "suppressed",
        }
    }
}

/// The level a table's `severity` asks for.
pub fn level_of(severity: Severity) -> Level {
    Level::of(severity)
}

/// The rule and level of a finding that no valid suppression covers. `expired` says an
/// allowance for it ran out. The table's phase decides what is forbidden outright; its
/// `severity` (default `error`) is the level of everything that fails the run.
pub fn judge(
    table: Option<&LegacyTable>,
    access: Access,
    status: Status,
    expired: bool,
) -> (Rule, Level) {
    let phase = table.map(|t| t.phase).unwrap_or_default();
    let failing = table
        .and_then(|t| t.severity)
        .map(Level::of)
        .unwrap_or(Level::Error);
    let rule = if expired {
        Rule::ExpiredAllowance
    } else if phase == Phase::Cleanup {
        Rule::ForbiddenReference
    } else if phase == Phase::Cutover && access == Access::Read {
        Rule::ForbiddenRead
    } else if status == Status::New {
        Rule::NewReference
    } else {
        Rule::KnownReference
    };
    let level = match rule {
        // A known reference never fails the run; a `note` severity quietens it further.
        Rule::KnownReference => failing.max(Level::Warning),
        _ => failing,
    };
    (rule, level)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::TableName;

    fn table(phase: Phase, severity: Option<Severity>) -> LegacyTable {
        LegacyTable {
            display: "orders_legacy".into(),
            name: TableName::parse_config("orders_legacy"),
            replacements: vec!["orders".into()],
            phase,
            severity,
            dual_write_helpers: vec![],
        }
    }

    #[test]
    fn rules_are_sorted_by_id() {
        assert!(Rule::ALL.windows(2).all(|w| w[0].id() < w[1].id()));
        assert!(Rule::ALL.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn phases() {
        use Access::*;
        use Status::*;
        let cases = [
            (Phase::Prepare, Write, New, Rule::NewReference, Level::Error),
            (
                Phase::DualWrite,
                Read,
                Known,
                Rule::KnownReference,
                Level::Warning,
            ),
            (
                Phase::ShadowRead,
                Write,
                New,
                Rule::NewReference,
                Level::Error,
            ),
            (
                Phase::Cutover,
                Write,
                Known,
                Rule::KnownReference,
                Level::Warning,
            ),
            (
                Phase::Cutover,
                Read,
                Known,
                Rule::ForbiddenRead,
                Level::Error,
            ),
            (
                Phase::Cleanup,
                Ddl,
                Known,
                Rule::ForbiddenReference,
                Level::Error,
            ),
            (
                Phase::Cleanup,
                Write,
                New,
                Rule::ForbiddenReference,
                Level::Error,
            ),
        ];
        for (phase, access, status, rule, level) in cases {
            let t = table(phase, None);
            assert_eq!(
                judge(Some(&t), access, status, false),
                (rule, level),
                "{phase:?} {access:?} {status:?}"
            );
        }
    }

    #[test]
    fn severity_override_and_expiry() {
        let t = table(Phase::Prepare, Some(Severity::Warning));
        assert_eq!(
            judge(Some(&t), Access::Write, Status::New, false),
            (Rule::NewReference, Level::Warning)
        );
        let t = table(Phase::Prepare, Some(Severity::Note));
        assert_eq!(
            judge(Some(&t), Access::Write, Status::Known, false),
            (Rule::KnownReference, Level::Note)
        );
        let t = table(Phase::Prepare, None);
        assert_eq!(
            judge(Some(&t), Access::Write, Status::Known, true),
            (Rule::ExpiredAllowance, Level::Error)
        );
    }
}
