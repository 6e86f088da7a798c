//! What sqlparser may be given. Input: one statement's text; output: `None` when it can be
//! parsed safely, else why not (the caller classifies it with the token scan instead).
//!
//! sqlparser builds a chain of binary operators (`a = 1 OR a = 2 OR …`, `1 + 1 + …`,
//! `x::int::int…`) in a loop, so its recursion limit does not see it, but the tree it builds
//! is one level deeper per operator, and dropping or walking it recurses once per level:
//! about 35,000 terms overflow a worker thread's stack and abort the process (exit 134).
//! Such chains come from generated SQL and from hostile input (a `.sql` file, a string in
//! code, one statement in a production log), so the statement is measured with the
//! project's lexer before parsing. Nesting (`((((…`) is bounded the same way, although
//! sqlparser's recursion limit already refuses it, so both say the same thing.

use super::lex::{LexOptions, Lexer, Tok};

/// Operator tokens per statement above which sqlparser is not used. A chain of N
/// operators makes a tree N levels deep; this keeps it well below the ~35,000 that
/// overflow a 2 MiB stack in a debug build, and well above hand-written SQL.
pub const MAX_OPERATORS: usize = 2_000;

/// Brackets open at once above which sqlparser is not used (its own recursion limit).
pub const MAX_NESTING: usize = super::RECURSION_LIMIT;

/// Words that join two expressions (or follow one) and so add a level to the tree.
const OPERATOR_WORDS: &[&str] = &[
    "and", "at", "between", "collate", "div", "escape", "ilike", "in", "is", "like", "mod", "not",
    "or", "overlaps", "regexp", "rlike", "similar", "xor",
];

/// Why `text` must not be parsed, if it must not. Every operator token counts, whatever its
/// nesting, so the total bounds the depth of any tree built from it.
pub fn check(text: &str, opts: LexOptions) -> Option<String> {
    // Each operator token takes at least one byte: shorter text cannot exceed either bound
    // by enough to matter (deeper nesting than that is refused by sqlparser itself).
    if text.len() <= MAX_OPERATORS {
        return None;
    }
    let bytes = text.as_bytes();
    let mut operators = 0usize;
    let mut depth = 0usize;
    let mut deepest = 0usize;
    for t in Lexer::without_spaces(text, opts) {
        match t.kind {
            Tok::Punct => match bytes[t.start] {
                b'(' | b'[' => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                b')' | b']' => depth = depth.saturating_sub(1),
                b',' | b'.' => {}
                _ => operators += 1,
            },
            Tok::Word => {
                let w = &text[t.start..t.end];
                if w.len() <= 8 && OPERATOR_WORDS.iter().any(|k| w.eq_ignore_ascii_case(k)) {
                    operators += 1;
                }
            }
            _ => {}
        }
    }
    if operators > MAX_OPERATORS {
        Some(format!(
            "more than {MAX_OPERATORS} operators in one statement (an expression that long \
             could exhaust the stack): not parsed, tables found by a token scan"
        ))
    } else if deepest > MAX_NESTING {
        Some(format!(
            "brackets nested more than {MAX_NESTING} deep: not parsed, tables found by a \
             token scan"
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(terms: usize, op: &str) -> String {
        vec!["a = 1"; terms].join(op)
    }

    #[test]
    fn short_and_ordinary_statements_pass() {
        assert_eq!(check("SELECT 1 + 1 FROM t", LexOptions::GENERIC), None);
        let wide = format!(
            "SELECT {} FROM t",
            (0..3000)
                .map(|i| format!("t.c{i}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        assert_eq!(
            check(&wide, LexOptions::GENERIC),
            None,
            "commas and dots are free"
        );
    }

    #[test]
    fn long_chains_and_deep_nesting_are_refused() {
        let or = format!("DELETE FROM t WHERE {}", chain(MAX_OPERATORS, " OR "));
        assert!(check(&or, LexOptions::POSTGRES).is_some());
        let plus = format!("SELECT {} FROM t", vec!["1"; MAX_OPERATORS + 2].join("+"));
        assert!(check(&plus, LexOptions::MYSQL).is_some());
        let deep = format!(
            "SELECT {}1{} FROM t {}",
            "(".repeat(60),
            ")".repeat(60),
            " ".repeat(MAX_OPERATORS)
        );
        let why = check(&deep, LexOptions::GENERIC).unwrap();
        assert!(why.contains("nested"), "{why}");
    }

    #[test]
    fn operators_inside_strings_and_comments_do_not_count() {
        let text = format!(
            "SELECT '{}' FROM t -- {}",
            "+".repeat(3 * MAX_OPERATORS),
            "OR ".repeat(MAX_OPERATORS)
        );
        assert_eq!(check(&text, LexOptions::GENERIC), None);
    }
}
