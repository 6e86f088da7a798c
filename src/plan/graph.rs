//! The dependency graph (petgraph): components and tables as nodes; component → table
//! edges (reads / writes / ddl, with counts) and component → component import edges. Its
//! strongly connected components over the import edges are the groups that must move
//! together (an import cycle); the condensation gives each group the groups it depends on.
//! Nodes are added in sorted order so every traversal is deterministic.

use super::Usage;
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use std::collections::{BTreeMap, BTreeSet};

/// A node: a component (by index into the plan's sorted components) or a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Component(usize),
    Table(String),
}

/// An edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edge {
    /// Component → table, with the number of places in code.
    Access { reads: u64, writes: u64, ddl: u64 },
    /// Importer → imported component, with the number of import statements.
    Import { count: u64 },
}

/// The graph and the groups derived from it.
#[derive(Debug)]
pub struct Graph {
    pub graph: DiGraph<Node, Edge>,
    /// Groups of components that move together, each sorted; singletons included.
    /// Sorted by their first member.
    pub groups: Vec<Vec<usize>>,
    /// Component index → its group.
    pub group_of: Vec<usize>,
    /// Group → the groups it imports (must move no later than it).
    pub deps: Vec<BTreeSet<usize>>,
}

/// Build the graph from per-component table usage and import counts
/// (`imports[(from, to)] = statements`).
pub fn build(
    components: usize,
    usage: &[BTreeMap<String, Usage>],
    imports: &BTreeMap<(usize, usize), u64>,
) -> Graph {
    let mut graph = DiGraph::new();
    let comp_nodes: Vec<NodeIndex> = (0..components)
        .map(|i| graph.add_node(Node::Component(i)))
        .collect();
    let tables: BTreeSet<&String> = usage.iter().flat_map(|u| u.keys()).collect();
    let table_nodes: BTreeMap<&String, NodeIndex> = tables
        .into_iter()
        .map(|t| (t, graph.add_node(Node::Table(t.clone()))))
        .collect();
    for (i, per_table) in usage.iter().enumerate() {
        for (t, u) in per_table {
            if let Some(&tn) = table_nodes.get(t) {
                graph.add_edge(
                    comp_nodes[i],
                    tn,
                    Edge::Access {
                        reads: u.reads,
                        writes: u.writes,
                        ddl: u.ddl,
                    },
                );
            }
        }
    }
    for (&(from, to), &count) in imports {
        graph.add_edge(comp_nodes[from], comp_nodes[to], Edge::Import { count });
    }

    // Tables have no outgoing edges, so every table is its own SCC; keep components only.
    let mut groups: Vec<Vec<usize>> = tarjan_scc(&graph)
        .into_iter()
        .map(|scc| {
            let mut g: Vec<usize> = scc
                .into_iter()
                .filter_map(|n| match graph[n] {
                    Node::Component(i) => Some(i),
                    Node::Table(_) => None,
                })
                .collect();
            g.sort();
            g
        })
        .filter(|g| !g.is_empty())
        .collect();
    groups.sort();
    let mut group_of = vec![0; components];
    for (gi, g) in groups.iter().enumerate() {
        for &c in g {
            group_of[c] = gi;
        }
    }
    let mut deps = vec![BTreeSet::new(); groups.len()];
    for &(from, to) in imports.keys() {
        let (gf, gt) = (group_of[from], group_of[to]);
        if gf != gt {
            deps[gf].insert(gt);
        }
    }
    Graph {
        graph,
        groups,
        group_of,
        deps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycles_become_groups() {
        // 0 → 1 → 2 → 0 is a cycle; 3 → 0; 4 alone.
        let imports: BTreeMap<(usize, usize), u64> =
            [((0, 1), 1), ((1, 2), 2), ((2, 0), 1), ((3, 0), 1)]
                .into_iter()
                .collect();
        let mut usage = vec![BTreeMap::new(); 5];
        usage[1].insert(
            "orders_legacy".to_string(),
            Usage {
                reads: 2,
                ..Usage::default()
            },
        );
        let g = build(5, &usage, &imports);
        assert_eq!(g.groups, vec![vec![0, 1, 2], vec![3], vec![4]]);
        assert_eq!(g.group_of, vec![0, 0, 0, 1, 2]);
        assert_eq!(g.deps[1], BTreeSet::from([0]));
        assert!(g.deps[0].is_empty());
        assert_eq!(g.graph.node_count(), 6);
        assert_eq!(g.graph.edge_count(), 5);
    }
}
