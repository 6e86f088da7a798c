//! Tree-sitter helpers shared by the ORM passes of every language: node text, children, and
//! a bounded iterative walk (deep or huge trees must neither grow the stack nor run forever).

use tree_sitter::Node;

/// Nodes past this many are not visited.
const MAX_NODES: usize = 2_000_000;

pub fn text<'s>(src: &'s str, node: Node<'_>) -> &'s str {
    src.get(node.byte_range()).unwrap_or("")
}

/// Named children, comments left out.
pub fn named_children<'t>(node: Node<'t>) -> Vec<Node<'t>> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor)
        .filter(|c| c.kind() != "comment")
        .collect()
}

/// Every node of the tree, in document order, without recursion.
pub fn all_nodes(root: Node<'_>) -> Vec<Node<'_>> {
    all_nodes_within(root, MAX_NODES)
}

/// `all_nodes`, stopping after `limit` nodes.
pub fn all_nodes_within(root: Node<'_>, limit: usize) -> Vec<Node<'_>> {
    let mut out = Vec::new();
    walk(root, limit, |n| out.push(n));
    out
}

/// The nodes of the given kinds, in document order. A pass that looks at a few kinds of a
/// large tree loops over these instead of every node: each node's kind is looked up once
/// (by its kind id, cached), not once per loop of the pass.
pub fn nodes_of_kinds<'t>(root: Node<'t>, kinds: &[&str]) -> Vec<Node<'t>> {
    let mut wanted: Vec<Option<bool>> = Vec::new();
    let mut out = Vec::new();
    walk(root, MAX_NODES, |n| {
        let id = usize::from(n.kind_id());
        if id >= wanted.len() {
            wanted.resize(id + 1, None);
        }
        if *wanted[id].get_or_insert_with(|| kinds.contains(&n.kind())) {
            out.push(n);
        }
    });
    out
}

/// Visit the nodes under `root` in pre-order (a node, then its children in order), at most
/// `limit` of them. One cursor, no recursion: no cursor nor vector per node, which made
/// the walk a quarter of a burndown's time, and no stack to overflow on deep trees.
fn walk<'t>(root: Node<'t>, limit: usize, mut visit: impl FnMut(Node<'t>)) {
    let mut cursor = root.walk();
    for _ in 0..limit {
        visit(cursor.node());
        if cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return;
            }
        }
    }
}
