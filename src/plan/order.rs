//! The migration order: groups (import cycles or single components), what each touches and
//! its kind in; numbered waves with a one-line reason per component, and the data
//! preconditions, out.
//!
//! A component touches a legacy table when it, or code it imports or builds (transitively),
//! reads, writes or changes one; the others have nothing to move and are set apart, in no
//! wave. Rank by statefulness: tier 0 = the schema, then infrastructure; tier 1 = read-only,
//! or a worker/cron job whose only writes are upserts (replayable); tier 2 = writers that
//! are not entry points, fewer written tables and write sites first; tier 3 = entry points
//! (api) that write. The import constraints come first: a group moves only after every
//! group it imports (a topological order that always takes the lowest-ranked group that is
//! free). Consecutive tier 0 and tier 1 groups share a wave; every writer gets a wave of
//! its own, so stateful changes go one at a time.

use super::Usage;
use super::graph::Graph;
use super::kinds::ComponentKind;
use crate::model::Operation;
use std::collections::{BTreeMap, BTreeSet};

/// A component as ordering sees it.
#[derive(Debug)]
pub struct Member<'a> {
    pub name: &'a str,
    pub kind: Option<ComponentKind>,
    pub usage: &'a BTreeMap<String, Usage>,
    /// The components it imports or builds (transitively) that touch a legacy table: their
    /// accesses are its accesses too.
    pub through: &'a [String],
    /// The components whose code its Dockerfiles copy or overlay.
    pub builds: &'a [String],
}

/// The order's result.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Order {
    /// Waves of component indexes, in order; members sorted by rank, then name.
    pub waves: Vec<Vec<usize>>,
    /// Component index → (wave number from 1, reason); wave 0 for those set apart.
    pub placement: BTreeMap<usize, (usize, String)>,
    /// Components that touch no legacy table, directly or through what they import.
    pub apart: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Rank {
    tier: u8,
    /// Within tier 0, the schema first.
    not_schema: bool,
    /// Within tier 0, infrastructure next.
    not_infra: bool,
    entry: bool,
    written_tables: usize,
    write_sites: u64,
    other_sites: u64,
    first: String,
}

#[derive(Debug, Default)]
struct Totals {
    reads: BTreeMap<String, u64>,
    writes: BTreeMap<String, u64>,
    ddl: BTreeMap<String, u64>,
    write_ops: BTreeSet<Operation>,
}

/// What the members do themselves.
fn totals(members: &[&Member]) -> Totals {
    let mut t = Totals::default();
    for m in members {
        for (table, u) in m.usage {
            if u.reads > 0 {
                *t.reads.entry(table.clone()).or_default() += u.reads;
            }
            if u.writes > 0 {
                *t.writes.entry(table.clone()).or_default() += u.writes;
            }
            if u.ddl > 0 {
                *t.ddl.entry(table.clone()).or_default() += u.ddl;
            }
            t.write_ops.extend(u.write_ops.iter().copied());
        }
    }
    t
}

fn places(n: u64) -> String {
    if n == 1 {
        "1 place".to_string()
    } else {
        format!("{n} places")
    }
}

/// "orders_legacy in 3 places and customers_legacy in 1 place"
fn list_counts(counts: &BTreeMap<String, u64>) -> String {
    let parts: Vec<String> = counts
        .iter()
        .map(|(t, n)| format!("{t} in {}", places(*n)))
        .collect();
    join_and(&parts)
}

/// "a", "a and b", "a, b and c"
pub fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn is_replayable(kinds: &[Option<ComponentKind>], t: &Totals) -> bool {
    !t.writes.is_empty()
        && kinds
            .iter()
            .all(|k| matches!(k, Some(ComponentKind::Worker | ComponentKind::Cron)))
        && t.write_ops
            .iter()
            .all(|op| matches!(op, Operation::Upsert | Operation::Merge))
}

fn rank(members: &[&Member], t: &Totals) -> Rank {
    let kinds: Vec<Option<ComponentKind>> = members.iter().map(|m| m.kind).collect();
    let schema = kinds.iter().all(|k| *k == Some(ComponentKind::Schema));
    let infra = kinds
        .iter()
        .all(|k| matches!(k, Some(ComponentKind::Infra | ComponentKind::Schema)));
    let legacy = !(t.reads.is_empty() && t.writes.is_empty() && t.ddl.is_empty());
    let entry = kinds.contains(&Some(ComponentKind::Api));
    let tier = if infra || !legacy {
        0
    } else if t.writes.is_empty() || is_replayable(&kinds, t) {
        1
    } else if !entry {
        2
    } else {
        3
    };
    Rank {
        tier,
        not_schema: !schema,
        not_infra: !infra,
        entry,
        written_tables: t.writes.len(),
        write_sites: t.writes.values().sum(),
        other_sites: t.reads.values().sum::<u64>() + t.ddl.values().sum::<u64>(),
        first: members
            .first()
            .map(|m| m.name.to_string())
            .unwrap_or_default(),
    }
}

fn kind_word(kinds: &[Option<ComponentKind>]) -> &'static str {
    kinds
        .iter()
        .flatten()
        .min()
        .map_or("component", |k| k.as_str())
}

/// "writes t in 2 places; reads u in 1 place"
fn access_phrase(t: &Totals) -> String {
    let mut access = Vec::new();
    if !t.writes.is_empty() {
        access.push(format!("writes {}", list_counts(&t.writes)));
    }
    if !t.reads.is_empty() {
        access.push(format!("reads {}", list_counts(&t.reads)));
    }
    if !t.ddl.is_empty() {
        access.push(format!("changes the schema of {}", list_counts(&t.ddl)));
    }
    access.join("; ")
}

/// The one-line reason for a group's place, before the import clauses. `through`: the
/// components outside the group whose accesses it inherits.
fn base_reason(members: &[&Member], through: &[&Member], t: &Totals, r: &Rank) -> String {
    let kinds: Vec<Option<ComponentKind>> = members.iter().map(|m| m.kind).collect();
    let own = access_phrase(&totals(members));
    let inherited = if through.is_empty() {
        String::new()
    } else {
        let names: Vec<String> = through.iter().map(|m| m.name.to_string()).collect();
        format!(
            "through {}: {}",
            join_and(&names),
            access_phrase(&totals(through))
        )
    };
    let access = match (own.is_empty(), inherited.is_empty()) {
        (false, false) => format!("{own}; {inherited}"),
        (true, _) => inherited,
        (false, true) => own,
    };
    match r.tier {
        0 if !r.not_schema => {
            format!("schema: {access}; the replacement is created here, before anyone dual-writes")
        }
        0 => format!("infrastructure: {access}; supporting infrastructure moves first"),
        1 if t.writes.is_empty() => format!("{access}, writes nothing"),
        1 => format!(
            "{} whose only writes are upserts (replayable): {access}",
            kind_word(&kinds)
        ),
        2 => format!(
            "{access}; a {} writer, so before the entry points",
            kind_word(&kinds)
        ),
        _ => format!("entry point: {access}; entry points move last"),
    }
}

/// The groups each group must wait for: those it imports, directly or through groups that
/// touch no legacy table (such a group has nothing to move, so it neither waits nor makes
/// anyone wait, but what it imports still constrains its importers).
fn effective_deps(direct: &[BTreeSet<usize>], touches: &[bool]) -> Vec<BTreeSet<usize>> {
    (0..direct.len())
        .map(|g| {
            let mut out = BTreeSet::new();
            if !touches[g] {
                return out;
            }
            let mut seen = BTreeSet::from([g]);
            let mut stack: Vec<usize> = direct[g].iter().copied().collect();
            while let Some(d) = stack.pop() {
                if !seen.insert(d) {
                    continue;
                }
                if touches[d] {
                    out.insert(d);
                } else {
                    stack.extend(direct[d].iter().copied());
                }
            }
            out
        })
        .collect()
}

/// Order `members` (indexed like `graph.group_of`) into waves.
pub fn order(members: &[Member], graph: &Graph) -> Order {
    let groups = &graph.groups;
    let group_members: Vec<Vec<&Member>> = groups
        .iter()
        .map(|g| g.iter().map(|&i| &members[i]).collect())
        .collect();
    // What each group reaches outside itself; its totals count those accesses as its own.
    let through: Vec<Vec<&Member>> = groups
        .iter()
        .map(|g| {
            let names: BTreeSet<&str> = g
                .iter()
                .flat_map(|&i| members[i].through.iter().map(String::as_str))
                .filter(|n| !g.iter().any(|&i| members[i].name == *n))
                .collect();
            members.iter().filter(|m| names.contains(m.name)).collect()
        })
        .collect();
    let group_totals: Vec<Totals> = group_members
        .iter()
        .zip(&through)
        .map(|(m, t)| {
            let all: Vec<&Member> = m.iter().chain(t).copied().collect();
            totals(&all)
        })
        .collect();
    let ranks: Vec<Rank> = group_members
        .iter()
        .zip(&group_totals)
        .map(|(m, t)| rank(m, t))
        .collect();

    let touches: Vec<bool> = group_totals
        .iter()
        .map(|t| !(t.reads.is_empty() && t.writes.is_empty() && t.ddl.is_empty()))
        .collect();
    let deps = effective_deps(&graph.deps, &touches);

    // Kahn's algorithm, always taking the lowest-ranked free group.
    let mut remaining: Vec<usize> = deps.iter().map(BTreeSet::len).collect();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); groups.len()];
    for (g, deps) in deps.iter().enumerate() {
        for &d in deps {
            dependents[d].push(g);
        }
    }
    let mut free: BTreeSet<(Rank, usize)> = (0..groups.len())
        .filter(|&g| remaining[g] == 0)
        .map(|g| (ranks[g].clone(), g))
        .collect();
    let mut linear = Vec::new();
    while let Some(first) = free.pop_first() {
        let g = first.1;
        linear.push(g);
        for &d in &dependents[g] {
            remaining[d] -= 1;
            if remaining[d] == 0 {
                free.insert((ranks[d].clone(), d));
            }
        }
    }
    // The condensation is acyclic, so every group is placed; this guards the invariant
    // without panicking should it ever break.
    for g in 0..groups.len() {
        if !linear.contains(&g) {
            linear.push(g);
        }
    }

    // Cut the linear order into waves.
    let mut wave_groups: Vec<Vec<usize>> = Vec::new();
    let mut out = Order::default();
    for &g in &linear {
        if !touches[g] {
            for &c in &groups[g] {
                out.apart.push(c);
                out.placement.insert(
                    c,
                    (
                        0,
                        "touches no legacy table and imports nothing that does".to_string(),
                    ),
                );
            }
            continue;
        }
        let joins = wave_groups.last().is_some_and(|wave| {
            let head = wave[0];
            ranks[g].tier <= 1
                && ranks[head].tier == ranks[g].tier
                && (ranks[g].tier == 0 || ranks[head].entry == ranks[g].entry)
                && !wave.iter().any(|w| deps[g].contains(w))
        });
        match wave_groups.last_mut() {
            Some(wave) if joins => wave.push(g),
            _ => wave_groups.push(vec![g]),
        }
    }

    out.apart.sort();
    let mut wave_of_group = vec![0; groups.len()];
    for (wi, wave) in wave_groups.iter().enumerate() {
        for &g in wave {
            wave_of_group[g] = wi + 1;
        }
    }
    for (wi, wave) in wave_groups.iter().enumerate() {
        let mut comps = Vec::new();
        for &g in wave {
            let mut reason =
                base_reason(&group_members[g], &through[g], &group_totals[g], &ranks[g]);
            if groups[g].len() > 1 {
                let names: Vec<String> = groups[g]
                    .iter()
                    .map(|&i| members[i].name.to_string())
                    .collect();
                reason = format!(
                    "import cycle {}, moves as one: {reason}",
                    names.join(" <-> ")
                );
            }
            let after: Vec<String> = deps[g]
                .iter()
                .flat_map(|&d| groups[d].iter().map(|&i| members[i].name.to_string()))
                .collect();
            // Split by how: a Dockerfile that copies another component's code builds it.
            let built: BTreeSet<&str> = groups[g]
                .iter()
                .flat_map(|&i| members[i].builds.iter().map(String::as_str))
                .collect();
            let (builds, imports): (Vec<String>, Vec<String>) =
                after.into_iter().partition(|n| built.contains(n.as_str()));
            for (list, how) in [(imports, "imports it"), (builds, "builds it")] {
                if !list.is_empty() {
                    reason.push_str(&format!("; after {} ({how})", join_and(&list)));
                }
            }
            let before: Vec<String> = dependents[g]
                .iter()
                .filter(|&&d| ranks[d] < ranks[g])
                .flat_map(|&d| groups[d].iter().map(|&i| members[i].name.to_string()))
                .collect();
            if !before.is_empty() && touches[g] {
                reason.push_str(&format!(
                    "; moves before {}, which import{} it",
                    join_and(&before),
                    if before.len() == 1 { "s" } else { "" }
                ));
            }
            for &c in &groups[g] {
                out.placement.insert(c, (wi + 1, reason.clone()));
                comps.push(c);
            }
        }
        out.waves.push(comps);
    }
    out
}

/// A data precondition: a reader may switch its reads only once every writer dual-writes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Precondition {
    pub reader: String,
    pub table: String,
    pub replacement: Option<String>,
    /// Components that write the table, the reader included if it writes too.
    pub writers: Vec<String>,
}

impl Precondition {
    pub fn text(&self) -> String {
        let target = self
            .replacement
            .clone()
            .unwrap_or_else(|| "its replacement".to_string());
        let others: Vec<String> = self
            .writers
            .iter()
            .filter(|w| **w != self.reader)
            .cloned()
            .collect();
        let writers = if self.writers.contains(&self.reader) {
            let mut v = vec!["it".to_string()];
            v.extend(others);
            v
        } else {
            others
        };
        format!(
            "{} may switch its reads of {} to {target} only once {} dual-write{} it",
            self.reader,
            self.table,
            join_and(&writers),
            if writers.len() == 1 && writers[0] != "it" {
                "s"
            } else {
                ""
            }
        )
    }
}

/// Data edges (B reads a table that A writes) stated as preconditions.
pub fn preconditions(
    members: &[Member],
    replacement: &dyn Fn(&str) -> Option<String>,
) -> Vec<Precondition> {
    let mut writers: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for m in members {
        for (t, u) in m.usage {
            if u.writes > 0 {
                writers.entry(t).or_default().push(m.name.to_string());
            }
        }
    }
    let mut out = Vec::new();
    for m in members {
        for (t, u) in m.usage {
            let Some(w) = writers.get(t.as_str()) else {
                continue;
            };
            if u.reads == 0 || (w.len() == 1 && w[0] == m.name) {
                continue;
            }
            let mut w = w.clone();
            w.sort();
            out.push(Precondition {
                reader: m.name.to_string(),
                table: t.clone(),
                replacement: replacement(t),
                writers: w,
            });
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precondition_wording() {
        let p = Precondition {
            reader: "reporting".into(),
            table: "orders_legacy".into(),
            replacement: Some("orders".into()),
            writers: vec!["api".into(), "billing".into()],
        };
        assert_eq!(
            p.text(),
            "reporting may switch its reads of orders_legacy to orders only once api and billing dual-write it"
        );
        let p = Precondition {
            reader: "api".into(),
            writers: vec!["api".into(), "worker".into()],
            replacement: None,
            ..p
        };
        assert_eq!(
            p.text(),
            "api may switch its reads of orders_legacy to its replacement only once it and worker dual-write it"
        );
        let p = Precondition {
            writers: vec!["worker".into()],
            reader: "web".into(),
            ..p
        };
        assert!(p.text().ends_with("only once worker dual-writes it"));
    }

    #[test]
    fn counts_wording() {
        let m: BTreeMap<String, u64> = [("a".to_string(), 1), ("b".to_string(), 3)].into();
        assert_eq!(list_counts(&m), "a in 1 place and b in 3 places");
    }
}

#[cfg(test)]
mod order_tests {
    use super::super::graph;
    use super::*;

    fn usage(reads: u64, writes: u64, op: Operation) -> BTreeMap<String, Usage> {
        let mut u = Usage {
            reads,
            writes,
            ..Usage::default()
        };
        if writes > 0 {
            u.write_ops.insert(op);
        }
        BTreeMap::from([("t".to_string(), u)])
    }

    /// Order members named a, b, c… with `imports` as (importer, imported) pairs.
    fn run(
        specs: &[(Option<ComponentKind>, BTreeMap<String, Usage>)],
        imports: &[(usize, usize)],
    ) -> Vec<Vec<&'static str>> {
        const NAMES: [&str; 6] = ["a", "b", "c", "d", "e", "f"];
        let members: Vec<Member> = specs
            .iter()
            .enumerate()
            .map(|(i, (k, u))| Member {
                name: NAMES[i],
                kind: *k,
                usage: u,
                through: &[],
                builds: &[],
            })
            .collect();
        let usages: Vec<BTreeMap<String, Usage>> = specs.iter().map(|(_, u)| u.clone()).collect();
        let imports: BTreeMap<(usize, usize), u64> = imports.iter().map(|&p| (p, 1)).collect();
        let g = graph::build(specs.len(), &usages, &imports);
        order(&members, &g)
            .waves
            .iter()
            .map(|w| w.iter().map(|&i| NAMES[i]).collect())
            .collect()
    }

    #[test]
    fn imports_constrain_through_components_without_legacy_access() {
        use ComponentKind::*;
        // a (reader) imports b (no access) imports c (library writer): a waits for c, and
        // b (which, in a real plan, would inherit c's writes) is in no wave here.
        let waves = run(
            &[
                (Some(Cli), usage(1, 0, Operation::Select)),
                (Some(Library), BTreeMap::new()),
                (Some(Library), usage(0, 1, Operation::Insert)),
            ],
            &[(0, 1), (1, 2)],
        );
        assert_eq!(waves, vec![vec!["c"], vec!["a"]]);
    }

    #[test]
    fn ranks_by_statefulness() {
        use ComponentKind::*;
        let mut two = usage(0, 1, Operation::Update);
        two.insert(
            "u".to_string(),
            Usage {
                writes: 1,
                write_ops: BTreeSet::from([Operation::Delete]),
                ..Usage::default()
            },
        );
        let waves = run(
            &[
                (Some(Api), usage(0, 1, Operation::Insert)), // a: api writer, last
                (Some(Worker), two),                         // b: writes 2 tables
                (Some(Cron), usage(0, 3, Operation::Update)), // c: writes 1 table, 3 sites
                (Some(Worker), usage(0, 2, Operation::Upsert)), // d: replayable
                (Some(Api), usage(4, 0, Operation::Select)), // e: read-only entry point
                (Some(Infra), usage(0, 1, Operation::Insert)), // f: infra
            ],
            &[],
        );
        assert_eq!(
            waves,
            vec![
                vec!["f"],
                vec!["d"],
                vec!["e"],
                vec!["c"],
                vec!["b"],
                vec!["a"]
            ]
        );
    }
}
