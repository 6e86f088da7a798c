//! Languages parsed with tree-sitter: their grammar and their compiled query
//! (`queries/<language>.scm`, embedded at build time). Queries are compiled once and shared;
//! parsers are per thread. Input: source text; output: a syntax tree, parsed from scratch or,
//! under a `Reuse`, incrementally from the previous tree of the same grammar.

use crate::model::Language;
use std::cell::RefCell;
use std::sync::LazyLock;
use tree_sitter::{InputEdit, Parser, Point, Query, Tree};

/// A tree-sitter grammar. TypeScript and JavaScript files are parsed with the TSX grammar
/// when they may contain JSX (`.tsx`, `.jsx`, `.js`), and with the TypeScript grammar
/// otherwise (where `<T>expr` casts would confuse the TSX grammar).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Grammar {
    Python,
    Go,
    TypeScript,
    Tsx,
}

impl Grammar {
    /// The grammar for a file, from its language and extension.
    pub fn for_file(language: Language, rel: &str) -> Option<Grammar> {
        let ext = rel.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
        match language {
            Language::Python => Some(Grammar::Python),
            Language::Go => Some(Grammar::Go),
            Language::TypeScript if ext == "tsx" => Some(Grammar::Tsx),
            // `schema.prisma`: a Prisma schema, read by its own line parser.
            Language::TypeScript if ext == "prisma" => None,
            Language::TypeScript => Some(Grammar::TypeScript),
            Language::JavaScript => Some(Grammar::Tsx),
            Language::Sql => None,
        }
    }

    pub fn language(self) -> tree_sitter::Language {
        match self {
            Grammar::Python => tree_sitter_python::LANGUAGE.into(),
            Grammar::Go => tree_sitter_go::LANGUAGE.into(),
            Grammar::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            Grammar::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
        }
    }

    fn query_source(self) -> &'static str {
        match self {
            Grammar::Python => include_str!("../queries/python.scm"),
            Grammar::Go => include_str!("../queries/go.scm"),
            Grammar::TypeScript | Grammar::Tsx => include_str!("../queries/typescript.scm"),
        }
    }

    /// The compiled query of this grammar. A query that does not compile is a bug in
    /// `queries/`, caught by the tests in this file.
    pub fn query(self) -> &'static Query {
        static PYTHON: LazyLock<Query> = LazyLock::new(|| compile(Grammar::Python));
        static GO: LazyLock<Query> = LazyLock::new(|| compile(Grammar::Go));
        static TYPESCRIPT: LazyLock<Query> = LazyLock::new(|| compile(Grammar::TypeScript));
        static TSX: LazyLock<Query> = LazyLock::new(|| compile(Grammar::Tsx));
        match self {
            Grammar::Python => &PYTHON,
            Grammar::Go => &GO,
            Grammar::TypeScript => &TYPESCRIPT,
            Grammar::Tsx => &TSX,
        }
    }
}

fn compile(grammar: Grammar) -> Query {
    match Query::new(&grammar.language(), grammar.query_source()) {
        Ok(q) => q,
        // Built-in queries are tested (`every_builtin_query_compiles`): a failure is a bug.
        Err(e) => panic!("built-in query for {grammar:?} does not compile: {e}"),
    }
}

thread_local! {
    static PARSER: RefCell<Parser> = RefCell::new(Parser::new());
    /// The last tree of each grammar parsed on this thread while a `Reuse` is alive.
    static PREVIOUS: RefCell<Option<Vec<Previous>>> = const { RefCell::new(None) };
}

/// A parsed text kept so that the next text of the same grammar is parsed incrementally.
struct Previous {
    grammar: Grammar,
    text: String,
    tree: Tree,
}

/// While alive, each parse on this thread starts from the previous tree of the same grammar
/// (edited by the common prefix and suffix of the two texts), so a file parsed again after
/// a small change costs about the change. `burndown` holds one while it scans the versions
/// of one path in history order. Trees with syntax errors are never reused nor kept from a
/// reuse: error recovery may place ERROR nodes differently than a fresh parse would, and
/// results must not depend on what was parsed before.
pub struct Reuse(());

impl Reuse {
    pub fn start() -> Reuse {
        PREVIOUS.with(|p| *p.borrow_mut() = Some(Vec::new()));
        Reuse(())
    }
}

impl Drop for Reuse {
    fn drop(&mut self) {
        PREVIOUS.with(|p| *p.borrow_mut() = None);
    }
}

/// Most indentation levels a Python file may have. tree-sitter-python's scanner keeps one
/// byte per level in a 1 KiB state and aborts the whole process (a C assertion) past about
/// 511 levels; real code stays under 30.
pub const MAX_PYTHON_INDENT: usize = 400;

/// The first line (1-based) where a Python text is indented more than `limit` levels deep,
/// counting levels as tree-sitter-python's scanner does (a new level per deeper line, a
/// tab counts 8, blank and comment lines ignored). Lines inside strings and brackets are
/// counted too, which only makes the guard stricter.
pub fn python_indent_over(text: &str, limit: usize) -> Option<u32> {
    let mut levels: Vec<usize> = vec![0];
    for (i, line) in text.lines().enumerate() {
        let mut width = 0usize;
        let mut rest = "";
        for (at, c) in line.char_indices() {
            match c {
                ' ' => width += 1,
                '\t' => width += 8,
                '\x0c' => width = 0,
                _ => {
                    rest = &line[at..];
                    break;
                }
            }
        }
        if rest.is_empty() || rest.starts_with('#') {
            continue;
        }
        while levels.last().is_some_and(|&top| top > width) {
            levels.pop();
        }
        if levels.last().is_none_or(|&top| top < width) {
            levels.push(width);
        }
        if levels.len() > limit + 1 {
            return Some(u32::try_from(i + 1).unwrap_or(u32::MAX));
        }
    }
    None
}

/// Parse `text` with this thread's parser. `None` when tree-sitter gives up (it does not
/// on malformed input: errors become ERROR nodes; only a grammar/ABI mismatch fails), and
/// for Python nested deeper than `MAX_PYTHON_INDENT` (the parse would abort the process).
pub fn parse(grammar: Grammar, text: &str) -> Option<Tree> {
    if grammar == Grammar::Python && python_indent_over(text, MAX_PYTHON_INDENT).is_some() {
        return None;
    }
    PARSER.with(|p| {
        let mut parser = p.borrow_mut();
        parser.set_language(&grammar.language()).ok()?;
        PREVIOUS.with(|prev| {
            let mut prev = prev.borrow_mut();
            let Some(kept) = prev.as_mut() else {
                return parser.parse(text, None);
            };
            let slot = kept.iter().position(|k| k.grammar == grammar);
            let reused = slot.and_then(|i| {
                let old = &mut kept[i];
                for edit in edits_between(&old.text, text) {
                    old.tree.edit(&edit);
                }
                parser
                    .parse(text, Some(&old.tree))
                    .filter(|t| !t.root_node().has_error())
            });
            let tree = match reused {
                Some(tree) => tree,
                None => parser.parse(text, None)?,
            };
            if let Some(i) = slot {
                kept.swap_remove(i);
            }
            if !tree.root_node().has_error() {
                kept.push(Previous {
                    grammar,
                    text: text.to_string(),
                    tree: tree.clone(),
                });
            }
            Some(tree)
        })
    })
}

/// How long a line diff may take before it settles for a coarser one (fewer, larger edits:
/// slower to reparse, never wrong).
const DIFF_BUDGET: std::time::Duration = std::time::Duration::from_millis(20);

/// The edits that turn `old` into `new`, one per changed run of lines (a line diff), last
/// first: applied in that order, each edit's offsets are still those of `old`.
fn edits_between(old: &str, new: &str) -> Vec<InputEdit> {
    let (old_starts, new_starts) = (line_starts(old), line_starts(new));
    let old_lines: Vec<&str> = old_starts.windows(2).map(|w| &old[w[0]..w[1]]).collect();
    let new_lines: Vec<&str> = new_starts.windows(2).map(|w| &new[w[0]..w[1]]).collect();
    let deadline = std::time::Instant::now() + DIFF_BUDGET;
    let ops = similar::capture_diff_slices_deadline(
        similar::Algorithm::Myers,
        &old_lines,
        &new_lines,
        Some(deadline),
    );
    let mut edits = Vec::new();
    for op in ops.iter().rev() {
        if matches!(op, similar::DiffOp::Equal { .. }) {
            continue;
        }
        let (o, n) = (op.old_range(), op.new_range());
        let start_byte = old_starts[o.start];
        let old_end_byte = old_starts[o.end];
        let inserted = &new[new_starts[n.start]..new_starts[n.end]];
        let start_position = point_of(old, &old_starts, o.start);
        let rows = memchr::memchr_iter(b'\n', inserted.as_bytes()).count();
        let new_end_position = match memchr::memrchr(b'\n', inserted.as_bytes()) {
            Some(i) => Point {
                row: start_position.row + rows,
                column: inserted.len() - i - 1,
            },
            None => Point {
                row: start_position.row,
                column: start_position.column + inserted.len(),
            },
        };
        edits.push(InputEdit {
            start_byte,
            old_end_byte,
            new_end_byte: start_byte + inserted.len(),
            start_position,
            old_end_position: point_of(old, &old_starts, o.end),
            new_end_position,
        });
    }
    edits
}

/// The byte offset of each line's start, and the text's length last: line `i` is
/// `starts[i]..starts[i + 1]`, with its newline.
fn line_starts(text: &str) -> Vec<usize> {
    let mut starts = vec![0];
    starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
    if starts.last() != Some(&text.len()) {
        starts.push(text.len());
    }
    starts
}

/// The position of the start of line `i` (of the end of the text when `i` is past its last
/// line, which may lack a newline).
fn point_of(text: &str, starts: &[usize], i: usize) -> Point {
    let byte = starts[i];
    if i > 0 && byte == text.len() && !text.ends_with('\n') {
        return Point {
            row: i - 1,
            column: byte - starts[i - 1],
        };
    }
    Point { row: i, column: 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_query_compiles() {
        for g in [
            Grammar::Python,
            Grammar::Go,
            Grammar::TypeScript,
            Grammar::Tsx,
        ] {
            let q = Query::new(&g.language(), g.query_source());
            assert!(q.is_ok(), "{g:?}: {:?}", q.err());
        }
    }

    /// Apply `edits` (last first, in `old`'s offsets) to `old`, taking the inserted text
    /// from `new`: where an edit starts in `new` depends on the edits before it.
    fn apply(old: &str, new: &str, edits: &[InputEdit]) -> String {
        let mut text = old.to_string();
        for (i, e) in edits.iter().enumerate() {
            let shift: isize = edits[i + 1..]
                .iter()
                .map(|b| b.new_end_byte as isize - b.old_end_byte as isize)
                .sum();
            let from = (e.start_byte as isize + shift) as usize;
            let inserted = &new[from..from + (e.new_end_byte - e.start_byte)];
            assert_eq!(e.start_position, point_in(&text, e.start_byte));
            assert_eq!(e.old_end_position, point_in(&text, e.old_end_byte));
            text.replace_range(e.start_byte..e.old_end_byte, inserted);
            assert_eq!(e.new_end_position, point_in(&text, e.new_end_byte));
        }
        text
    }

    /// The row and byte column of `byte` in `text`, counted the slow way.
    fn point_in(text: &str, byte: usize) -> Point {
        let before = &text[..byte];
        Point {
            row: before.matches('\n').count(),
            column: before.len() - before.rfind('\n').map_or(0, |i| i + 1),
        }
    }

    const GO_OLD: &str =
        "package p\n\nfunc a() {\n\tq := \"SELECT 1\"\n\t_ = q\n}\n\nfunc b() {}\n";

    /// Versions of `GO_OLD`: a line changed, lines added at both ends, a function removed,
    /// a text without its last newline, an empty file, the same text.
    const GO_NEW: &[&str] = &[
        "package p\n\nfunc a() {\n\tq := \"SELECT 2 FROM users\"\n\t_ = q\n}\n\nfunc b() {}\n",
        "// c\npackage p\n\nfunc a() {\n\tq := \"SELECT 1\"\n\t_ = q\n}\n\nfunc b() {}\n\nfunc c() {}\n",
        "package p\n\nfunc b() {}\n",
        "package p\n\nfunc a() {\n\tq := \"SELECT 1\"\n\t_ = q\n}\n\nfunc b() { x() }",
        "",
        GO_OLD,
    ];

    #[test]
    fn edits_turn_the_old_text_into_the_new() {
        let cases = [
            ("a\nb\nc\n", "a\nB\nc\n"),
            ("a\nb\nc\n", "a\nb\nc\nd\n"),
            ("a\nb\nc", "a\nb\nc\nd"),
            ("a\nb\nc\nd\ne\n", "x\na\nc\nd\nE\ne\n"),
            ("", "a\n"),
            ("a\n", ""),
            ("same\n", "same\n"),
        ];
        for (old, new) in cases {
            let edits = edits_between(old, new);
            assert_eq!(apply(old, new, &edits), new, "{old:?} -> {new:?}");
            assert_eq!(old == new, edits.is_empty(), "{old:?} -> {new:?}");
            assert!(
                edits
                    .windows(2)
                    .all(|w| w[0].start_byte >= w[1].old_end_byte),
                "last first, not overlapping"
            );
        }
        for new in GO_NEW {
            assert_eq!(apply(GO_OLD, new, &edits_between(GO_OLD, new)), *new);
        }
    }

    /// Every node of a tree with its kind, byte range and positions, in document order.
    fn nodes(tree: &Tree) -> Vec<String> {
        let mut out = Vec::new();
        let mut cursor = tree.walk();
        loop {
            let n = cursor.node();
            out.push(format!(
                "{} {:?} {} {}",
                n.kind(),
                n.byte_range(),
                n.start_position(),
                n.end_position()
            ));
            if cursor.goto_first_child() || cursor.goto_next_sibling() {
                continue;
            }
            loop {
                if !cursor.goto_parent() {
                    return out;
                }
                if cursor.goto_next_sibling() {
                    break;
                }
            }
        }
    }

    /// A file long enough that a reparse reuses most of its old tree.
    fn go_file(changed: usize, body: &str) -> String {
        let mut text = "package p\n".to_string();
        for i in 0..40 {
            let line = if i == changed {
                body
            } else {
                "return \"SELECT 1\""
            };
            text.push_str(&format!("\nfunc f{i}() string {{\n\t{line}\n}}\n"));
        }
        text
    }

    #[test]
    fn a_reused_parse_is_the_fresh_parse() {
        let long_old = go_file(99, "");
        let long_new = [
            go_file(10, "return \"SELECT 2\"\n\t// two\n\t// lines more"),
            go_file(0, "x := 1\n\treturn \"\""),
            go_file(39, "return \"é\""),
        ];
        for new in &long_new {
            let fresh = parse_fresh(Grammar::Go, new);
            let _reuse = Reuse::start();
            parse(Grammar::Go, &long_old);
            assert_eq!(parse(Grammar::Go, new).map(|t| nodes(&t)), fresh);
        }
        for new in GO_NEW {
            let fresh = parse(Grammar::Go, new).map(|t| nodes(&t));
            let reused = {
                let _reuse = Reuse::start();
                parse(Grammar::Go, GO_OLD);
                parse(Grammar::Go, new).map(|t| nodes(&t))
            };
            assert!(fresh.is_some());
            assert_eq!(reused, fresh, "{new:?}");
        }
        // A broken version in between is neither reused nor kept: the next version is
        // parsed from the last good one (or from scratch), with the same result.
        let broken = "package p\n\nfunc a( {\n";
        let _reuse = Reuse::start();
        parse(Grammar::Go, GO_OLD);
        let tree = parse(Grammar::Go, broken);
        assert_eq!(
            tree.map(|t| nodes(&t)),
            parse_fresh(Grammar::Go, broken),
            "errors are parsed from scratch"
        );
        assert_eq!(
            parse(Grammar::Go, GO_NEW[0]).map(|t| nodes(&t)),
            parse_fresh(Grammar::Go, GO_NEW[0])
        );
    }

    fn parse_fresh(grammar: Grammar, text: &str) -> Option<Vec<String>> {
        let mut parser = Parser::new();
        parser.set_language(&grammar.language()).ok()?;
        parser.parse(text, None).map(|t| nodes(&t))
    }

    #[test]
    fn grammar_choice() {
        assert_eq!(
            Grammar::for_file(Language::TypeScript, "a/b.tsx"),
            Some(Grammar::Tsx)
        );
        assert_eq!(
            Grammar::for_file(Language::TypeScript, "a/b.mts"),
            Some(Grammar::TypeScript)
        );
        assert_eq!(Grammar::for_file(Language::Sql, "a.sql"), None);
    }
}

/// `Node::field`: the child in a field named by a literal, with the field's id looked up
/// once per grammar and name. `Node::child_by_field_name` compares the name with every field
/// name of the grammar on each call (`ts_language_field_id_for_name`, a linear scan of
/// `strncmp`s): a tenth of the ORM passes' time, which ask for fields all the time.
pub trait Field<'t> {
    fn field(&self, name: &'static str) -> Option<tree_sitter::Node<'t>>;
}

/// Field ids by grammar, then by the name's address and length (a literal's address names
/// its text for the life of the program).
type FieldIds = std::collections::HashMap<
    tree_sitter::Language,
    std::collections::HashMap<(usize, usize), Option<u16>>,
>;

thread_local! {
    static FIELD_IDS: RefCell<FieldIds> = RefCell::new(FieldIds::new());
}

impl<'t> Field<'t> for tree_sitter::Node<'t> {
    fn field(&self, name: &'static str) -> Option<tree_sitter::Node<'t>> {
        let language = self.language();
        let key = (name.as_ptr() as usize, name.len());
        let id = FIELD_IDS.with(|ids| {
            let mut ids = ids.borrow_mut();
            if let Some(&id) = ids.get(&*language).and_then(|by_name| by_name.get(&key)) {
                return id;
            }
            let id = language.field_id_for_name(name).map(u16::from);
            ids.entry((*language).clone()).or_default().insert(key, id);
            id
        })?;
        self.child_by_field_id(id)
    }
}
