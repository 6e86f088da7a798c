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
    // One cursor walks the tree in pre-order (a node, then its children in order): no
    // cursor nor vector per node, which made this walk a quarter of a burndown's time.
    let mut out = Vec::new();
    let mut cursor = root.walk();
    while out.len() < limit {
        out.push(cursor.node());
        if cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return out;
            }
        }
    }
    out
}
