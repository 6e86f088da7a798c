//! Languages parsed with tree-sitter: their grammar and their compiled query
//! (`queries/<language>.scm`, embedded at build time). Queries are compiled once and shared;
//! parsers are per thread.

use crate::model::Language;
use std::cell::RefCell;
use std::sync::LazyLock;
use tree_sitter::{Parser, Query, Tree};

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
}

/// Parse `text` with this thread's parser. `None` when tree-sitter gives up (it does not
/// on malformed input: errors become ERROR nodes; only a grammar/ABI mismatch fails).
pub fn parse(grammar: Grammar, text: &str) -> Option<Tree> {
    PARSER.with(|p| {
        let mut parser = p.borrow_mut();
        parser.set_language(&grammar.language()).ok()?;
        parser.parse(text, None)
    })
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
