//! The prefilter: file bytes in, "worth parsing?" out. Legacy tables are central entities
//! (`orders`, `products`): their names appear in most files of a code base, as variables,
//! parameters, message keys and prose, where no SQL can use them. Parsing all those files
//! is what made a scan cost 50 times a `rg`. So a name counts only where SQL or a query
//! builder can use it: in a SQL clause (`FROM orders`, `INSERT INTO "orders"`, `ALTER
//! TABLE public.orders`, `FROM a, orders`), or as a whole string literal (`'orders'`,
//! `"public.orders o"`: a query builder's argument, a `db_table`, a constant interpolated
//! into SQL elsewhere). The test is lexical and looks only around each occurrence, so it
//! never loses sync with the language's grammar. It errs towards yes: a false yes costs a
//! parse, a false no loses a finding.

use crate::model::Language;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

/// A case-insensitive multi-name search over file bytes.
pub struct Prefilter {
    names: Vec<String>,
    /// Every occurrence, overlapping (`orders` inside `orders_legacy` too).
    overlapping: Option<AhoCorasick>,
    /// Leftmost-longest occurrences, enough for whole words: the regex engine's literal
    /// search (as `rg` uses it) is several times faster here than an automaton.
    words: Option<regex::bytes::Regex>,
    /// A lower-cased name to its index in `names`.
    index: std::collections::HashMap<Vec<u8>, usize>,
}

impl Prefilter {
    pub fn new(mut names: Vec<String>) -> Prefilter {
        names.retain(|n| !n.is_empty());
        names.sort();
        names.dedup();
        let build = |kind: MatchKind| {
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(kind)
                .kind(Some(AhoCorasickKind::DFA))
                .build(&names)
                .ok()
        };
        // Longest first: the alternation takes the first alternative that matches.
        let mut by_length: Vec<&String> = names.iter().collect();
        by_length.sort_by_key(|n| std::cmp::Reverse(n.len()));
        let alternation: Vec<String> = by_length.iter().map(|n| regex::escape(n)).collect();
        let words = (!names.is_empty())
            .then(|| regex::bytes::Regex::new(&format!("(?i-u:{})", alternation.join("|"))).ok())
            .flatten();
        let mut index = std::collections::HashMap::new();
        for (i, name) in names.iter().enumerate() {
            index
                .entry(name.to_ascii_lowercase().into_bytes())
                .or_insert(i);
        }
        Prefilter {
            overlapping: build(MatchKind::Standard),
            words,
            index,
            names,
        }
    }

    /// The names searched for, sorted.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Whether any name occurs in `text`, even inside a longer word.
    pub fn is_match(&self, text: &[u8]) -> bool {
        self.overlapping.as_ref().is_some_and(|a| a.is_match(text))
    }

    /// The names that occur in `text`, even inside longer words (as given to `new`, sorted,
    /// deduplicated).
    pub fn names_in(&self, text: &[u8]) -> Vec<String> {
        let Some(a) = &self.overlapping else {
            return Vec::new();
        };
        let mut found: Vec<String> = a
            .find_overlapping_iter(text)
            .map(|m| self.names[m.pattern().as_usize()].clone())
            .collect();
        found.sort();
        found.dedup();
        found
    }

    /// Whether a name occurs in `text` where SQL or a query builder can use it.
    pub fn is_used(&self, text: &[u8], language: Language) -> bool {
        self.used(text, language).next().is_some()
    }

    /// The names that occur in `text` where SQL or a query builder can use it (as given to
    /// `new`, sorted, deduplicated).
    pub fn names_used(&self, text: &[u8], language: Language) -> Vec<String> {
        let mut found: Vec<String> = self
            .used(text, language)
            .map(|i| self.names[i].clone())
            .collect();
        found.sort();
        found.dedup();
        found
    }

    fn used<'s>(&'s self, text: &'s [u8], language: Language) -> impl Iterator<Item = usize> + 's {
        // Names are identifiers (word bytes only), so a whole-word occurrence can never
        // start inside another leftmost-longest match: non-overlapping search misses none.
        self.words.iter().flat_map(move |re| {
            re.find_iter(text)
                .filter(move |m| {
                    is_whole_word(text, m.start(), m.end())
                        && (language == Language::Sql
                            || used_at(text, m.start(), m.end(), language))
                })
                .filter_map(|m| self.index.get(&m.as_bytes().to_ascii_lowercase()).copied())
        })
    }
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn is_whole_word(text: &[u8], start: usize, end: usize) -> bool {
    (start == 0 || !is_word_byte(text[start - 1]))
        && text.get(end).is_none_or(|b| !is_word_byte(*b))
}

/// Whether `name` occurs in `text` as a whole identifier, in any case: not as a part of a
/// longer name (`orders_legacy_archive`, `ORDERS_LEGACY_URL`).
pub fn mentions_word(text: &str, name: &str) -> bool {
    if name.is_empty() {
        return false;
    }
    let (hay, needle) = (text.as_bytes(), name.as_bytes());
    let mut from = 0;
    while let Some(i) = hay.get(from..).and_then(|rest| {
        rest.windows(needle.len())
            .position(|w| w.eq_ignore_ascii_case(needle))
    }) {
        let start = from + i;
        if is_whole_word(hay, start, start + needle.len()) {
            return true;
        }
        from = start + 1;
    }
    false
}

/// SQL words a table name follows, in any case: `FROM orders`, `INSERT INTO orders`,
/// `ALTER TABLE orders`, `TRUNCATE orders`, `REFERENCES orders`.
const CLAUSE_WORDS: &[&str] = &[
    "analyze",
    "from",
    "inherits",
    "into",
    "join",
    "references",
    "table",
    "tables",
    "truncate",
    "update",
    "vacuum",
];

/// SQL words a table name follows that are also everyday English ("only orders", "delete
/// orders", "using products"): they count when written in capitals, as SQL usually is, or
/// in the SQL context that makes them SQL (see `weak_word_in_sql`).
const WEAK_WORDS: &[&str] = &[
    "copy", "delete", "describe", "exists", "insert", "like", "lock", "on", "only", "to", "using",
];

/// String keys whose values are labels, not tables (`related_name="orders"`,
/// `title: "Orders"`). `name` is not one of them: TypeORM's `@Entity({ name: "orders" })`.
const LABEL_KEYS: &[&str] = &[
    "alias",
    "description",
    "field",
    "fields",
    "help_text",
    "i18nKey",
    "inversedBy",
    "label",
    "mappedBy",
    "path",
    "populate",
    "related_name",
    "related_query_name",
    "relations",
    "title",
    "to",
    "upload_to",
    "url",
    "verbose_name",
    "verbose_name_plural",
];

/// How far back a comma-separated `FROM a, b, orders` list may start.
const FROM_LIST_REACH: usize = 1024;

/// How far back the clause that makes a weak word SQL may start (`CREATE INDEX … ON`).
const CLAUSE_REACH: usize = 300;

/// Whether the name at `start..end` sits where SQL or a query builder can use it.
fn used_at(text: &[u8], start: usize, end: usize, language: Language) -> bool {
    if in_line_comment(text, start, language) {
        return false;
    }
    let mut i = start;
    loop {
        i = skip_space_back(text, i);
        let Some(&before) = i.checked_sub(1).and_then(|j| text.get(j)) else {
            return false;
        };
        match before {
            b'"' | b'\'' | b'`' => {
                if is_table_literal(text, i - 1, end) {
                    return !is_key_or_label(text, i - 1, end);
                }
                // A quoted identifier in SQL: `FROM "orders" o WHERE`.
                i -= 1;
            }
            b'[' => i -= 1,
            // A qualifier: `schema.orders`, `"schema".orders`, `{schema}.orders`.
            b'.' => {
                i -= 1;
                while i > 0
                    && (is_word_byte(text[i - 1])
                        || matches!(text[i - 1], b'"' | b'`' | b']' | b'[' | b'{' | b'}' | b'$'))
                {
                    i -= 1;
                }
            }
            b',' => return in_from_list(text, i - 1),
            b'\\' => return false,
            b if is_word_byte(b) => {
                let word_end = i;
                while i > 0 && is_word_byte(text[i - 1]) {
                    i -= 1;
                }
                return sql_word_before(text, i, word_end);
            }
            _ => return false,
        }
    }
}

/// Whether the word at `start..end` is one a table name follows, in this context.
fn sql_word_before(text: &[u8], start: usize, end: usize) -> bool {
    let word = &text[start..end];
    let is = |w: &str| word.eq_ignore_ascii_case(w.as_bytes());
    if CLAUSE_WORDS.iter().any(|w| is(w)) {
        return !(is("from") && is_python_import(text, end));
    }
    if !WEAK_WORDS.iter().any(|w| is(w)) {
        return false;
    }
    if word.iter().all(|b| !b.is_ascii_lowercase()) {
        return true;
    }
    weak_word_in_sql(text, start, word)
}

/// A weak word in lower case is SQL when its clause says so: `if exists orders`, `from only
/// orders`, `rename to orders`, `create index … on orders`, `delete from a using orders`,
/// `(like orders)`, `\copy orders`.
fn weak_word_in_sql(text: &[u8], start: usize, word: &[u8]) -> bool {
    let previous = previous_word(text, start);
    let previous_is = |w: &str| previous.is_some_and(|p| p.eq_ignore_ascii_case(w.as_bytes()));
    let reach = &text[start.saturating_sub(CLAUSE_REACH)..start];
    let lower = |w: &[u8]| w.to_ascii_lowercase();
    match lower(word).as_slice() {
        b"exists" => previous_is("if") || previous_is("not"),
        b"only" => ["from", "update", "table", "join", "truncate"]
            .iter()
            .any(|w| previous_is(w)),
        b"to" => previous_is("rename"),
        b"on" => ["index", "trigger", "grant", "policy", "rule"]
            .iter()
            .any(|w| contains_word(reach, w)),
        b"using" => ["delete", "merge"].iter().any(|w| contains_word(reach, w)),
        b"like" => skip_space_back(text, start)
            .checked_sub(1)
            .is_some_and(|j| text[j] == b'('),
        b"copy" => start > 0 && text[start - 1] == b'\\',
        _ => false,
    }
}

/// Whether `text` holds `word` as a whole word, in any case.
fn contains_word(text: &[u8], word: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    memchr::memmem::find_iter(&lower, word.as_bytes())
        .any(|i| is_whole_word(&lower, i, i + word.len()))
}

/// The word that ends just before `at` (after whitespace), if any.
fn previous_word(text: &[u8], at: usize) -> Option<&[u8]> {
    let end = skip_space_back(text, at);
    let mut start = end;
    while start > 0 && is_word_byte(text[start - 1]) {
        start -= 1;
    }
    (start < end).then(|| &text[start..end])
}

fn skip_space_back(text: &[u8], mut i: usize) -> usize {
    while i > 0 && text[i - 1].is_ascii_whitespace() {
        i -= 1;
    }
    i
}

/// Whether the name ending at `name_end` is the whole of the literal that opens at
/// `quote`: `'orders'`, `"public.orders"`, `'orders as o'`, `'orders o'`, `"orders.*"`.
/// (The bytes between the quote and the name are whitespace and qualifiers, as the caller
/// walked them.) A literal that goes on (`"Orders with payment"`, `"orders.refund.title"`,
/// `"orders/42"`) is prose, a key or a path.
fn is_table_literal(text: &[u8], quote: usize, name_end: usize) -> bool {
    let close = text[quote];
    let mut i = name_end;
    let at = |i: usize| text.get(i).copied();
    if at(i) == Some(b'.') && at(i + 1) == Some(b'*') {
        i += 2;
    }
    let skip_space = |mut i: usize| {
        while at(i).is_some_and(|b| b == b' ' || b == b'\t') {
            i += 1;
        }
        i
    };
    let word = |i: usize| {
        let mut j = i;
        while at(j).is_some_and(is_word_byte) {
            j += 1;
        }
        j
    };
    i = skip_space(i);
    // An alias: `orders o`, `orders AS o`.
    if i > name_end && at(i).is_some_and(is_word_byte) {
        let alias_end = word(i);
        let alias = &text[i..alias_end];
        i = skip_space(alias_end);
        if alias.eq_ignore_ascii_case(b"as") && at(i).is_some_and(is_word_byte) {
            i = skip_space(word(i));
        }
    }
    at(i) == Some(close)
}

/// Whether the literal opening at `quote` and holding the name that ends at `name_end` is a
/// key or a label: a subscript (`data["orders"]`), a mapping key (`{"orders": …}`), a dict
/// lookup (`input.get("orders")`), or the value of a label key (`related_name="orders"`).
fn is_key_or_label(text: &[u8], quote: usize, name_end: usize) -> bool {
    let closing = text[name_end..]
        .iter()
        .position(|b| *b == text[quote])
        .map(|p| name_end + p + 1);
    let after = closing.map(|c| {
        let rest = &text[c..];
        rest.iter().copied().find(|b| *b != b' ' && *b != b'\t')
    });
    if after == Some(Some(b':')) {
        return true;
    }
    let before = skip_space_back(text, quote);
    let Some(&opener) = before.checked_sub(1).and_then(|j| text.get(j)) else {
        return false;
    };
    match opener {
        b'[' => {
            let subject = before - 1;
            let subscript = subject > 0
                && (is_word_byte(text[subject - 1]) || matches!(text[subject - 1], b']' | b')'))
                && after == Some(Some(b']'));
            // `relations: ["orders"]`: a list of labels.
            subscript || is_label_value(text, subject)
        }
        b'(' => previous_word(text, before - 1).is_some_and(|w| w == b"get"),
        _ => is_label_value(text, before),
    }
}

/// Whether the value that starts at `value` is assigned to a label key
/// (`related_name="…"`, `title: "…"`, `relations: […]`).
fn is_label_value(text: &[u8], value: usize) -> bool {
    let assign = skip_space_back(text, value);
    if assign == 0 || !matches!(text[assign - 1], b'=' | b':') {
        return false;
    }
    let mut key_end = skip_space_back(text, assign - 1);
    if key_end > 0 && matches!(text[key_end - 1], b'"' | b'\'') {
        key_end -= 1;
    }
    let mut key_start = key_end;
    while key_start > 0 && is_word_byte(text[key_start - 1]) {
        key_start -= 1;
    }
    let key = &text[key_start..key_end];
    LABEL_KEYS.iter().any(|k| k.as_bytes() == key)
}

/// Whether the comma at `comma` continues a `FROM`/`JOIN` table list: walking back over
/// identifiers, qualifiers, quotes, aliases and commas reaches `FROM`.
fn in_from_list(text: &[u8], comma: usize) -> bool {
    let floor = comma.saturating_sub(FROM_LIST_REACH);
    let mut i = comma;
    while i > floor {
        let b = text[i - 1];
        if is_word_byte(b) {
            let end = i;
            while i > floor && is_word_byte(text[i - 1]) {
                i -= 1;
            }
            let word = &text[i..end];
            if word.eq_ignore_ascii_case(b"from") || word.eq_ignore_ascii_case(b"join") {
                return true;
            }
            continue;
        }
        if !(b.is_ascii_whitespace()
            || matches!(
                b,
                b'.' | b',' | b'"' | b'`' | b'[' | b']' | b'{' | b'}' | b'$'
            ))
        {
            return false;
        }
        i -= 1;
    }
    false
}

/// Whether the `from` that ends at `from_end` opens a Python import (`from .orders import
/// x`): a module, not a table.
fn is_python_import(text: &[u8], from_end: usize) -> bool {
    let rest = &text[from_end..];
    let module_end = rest
        .iter()
        .position(|b| !(b.is_ascii_whitespace() || is_word_byte(*b) || *b == b'.'))
        .unwrap_or(rest.len());
    rest[..module_end]
        .split(|b| b.is_ascii_whitespace())
        .filter(|w| !w.is_empty())
        .nth(1)
        == Some(b"import".as_slice())
}

/// Whether `at` is inside a line comment: the line before it holds the language's comment
/// marker with no quote before it (`# update orders`, `// from orders`). A marker after a
/// quote may sit in a string (`"http://…"`), so that line is not a comment.
fn in_line_comment(text: &[u8], at: usize, language: Language) -> bool {
    let line_start = memchr::memrchr(b'\n', &text[..at]).map_or(0, |i| i + 1);
    let line = &text[line_start..at];
    let marker: &[u8] = match language {
        Language::Python => b"#",
        Language::Go | Language::TypeScript | Language::JavaScript => b"//",
        Language::Sql => return false,
    };
    let Some(comment) = memchr::memmem::find(line, marker) else {
        return false;
    };
    !line[..comment]
        .iter()
        .any(|b| matches!(b, b'"' | b'\'' | b'`'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_word_mentions() {
        assert!(mentions_word("FROM Orders_Legacy o", "orders_legacy"));
        assert!(mentions_word("orders_legacy", "orders_legacy"));
        assert!(!mentions_word(
            "ORDERS_LEGACY_URL and orders_legacy2",
            "orders_legacy"
        ));
        assert!(mentions_word(
            "x_orders_legacy orders_legacy.",
            "orders_legacy"
        ));
        assert!(!mentions_word("anything", ""));
    }

    fn used(text: &str, language: Language) -> bool {
        Prefilter::new(vec!["orders".into(), "order_items".into()])
            .is_used(text.as_bytes(), language)
    }

    #[test]
    fn sql_clauses_count() {
        for text in [
            "q = 'SELECT * FROM orders WHERE id = %s'",
            "q = \"\"\"\n  select *\n  from\n    public.orders o\n\"\"\"",
            "q = 'INSERT INTO \"orders\" (id) VALUES (1)'",
            "q = f'UPDATE {schema}.orders SET x = 1'",
            "q = 'SELECT * FROM products p, customers c, orders o'",
            "q = 'DROP TABLE IF EXISTS orders'",
            "q = 'drop table if exists orders'",
            "q = 'CREATE INDEX ix ON orders (id)'",
            "q = 'create index ix on orders (id)'",
            "q = 'ALTER TABLE x RENAME TO orders'",
            "q = 'DELETE FROM a USING orders WHERE a.id = orders.id'",
            "q = 'SELECT * FROM [dbo].[orders]'",
            "q = 'TRUNCATE ONLY orders'",
            "q = 'select * from only orders'",
            "q = 'CREATE TABLE t (LIKE orders)'",
            "q = 'SELECT * FROM ORDER_ITEMS'",
        ] {
            assert!(used(text, Language::Python), "{text}");
        }
    }

    #[test]
    fn whole_literals_count() {
        for text in [
            "knex('orders').insert(row)",
            "db.Table(\"orders\").Create(&o)",
            "db_table = 'orders'",
            "ORDERS = 'public.orders'",
            "knex('orders as o').select('*')",
            "db.selectFrom('orders o')",
            "cursor.copy_from(f, 'orders')",
            "@Entity({ name: 'orders' })",
            "pgx.Identifier{\"orders\"}",
            "db.select('orders.*')",
        ] {
            assert!(used(text, Language::TypeScript), "{text}");
        }
    }

    #[test]
    fn names_where_no_sql_can_use_them_do_not_count() {
        for (text, language) in [
            ("orders = Order.objects.all()", Language::Python),
            ("def cancel(self, voucher, orders):", Language::Python),
            (
                "def f(\n    voucher_type,\n    orders,\n):",
                Language::Python,
            ),
            ("from saleor.orders import models", Language::Python),
            ("from ..orders import models", Language::Python),
            ("x = data['data']['orders']", Language::Python),
            ("x = {'orders': 1}", Language::Python),
            ("x = input.get('orders', [])", Language::Python),
            (
                "models.ForeignKey(Order, related_name='orders')",
                Language::Python,
            ),
            ("title: 'Orders',", Language::TypeScript),
            ("find({ relations: ['orders'] })", Language::TypeScript),
            ("t('orders.refund.title')", Language::TypeScript),
            ("navigate('orders/42')", Language::TypeScript),
            ("msg = 'Orders with payment errors'", Language::Python),
            (
                "    # fetch only orders from this channel",
                Language::Python,
            ),
            (
                "  // update orders when the cart closes",
                Language::TypeScript,
            ),
            (
                "doc = 'Return only orders on sale, using orders'",
                Language::Python,
            ),
            ("const ordersTable = 1", Language::TypeScript),
            ("reorders = 1", Language::Python),
        ] {
            assert!(!used(text, language), "{text}");
        }
    }

    #[test]
    fn a_comment_marker_inside_a_string_is_not_a_comment() {
        assert!(used(
            "q = 'http://x' + ' FROM orders'",
            Language::TypeScript
        ));
        assert!(used("q = '# not a comment FROM orders'", Language::Python));
    }

    #[test]
    fn sql_files_count_every_whole_word() {
        assert!(used("-- orders are archived nightly", Language::Sql));
        assert!(!used("-- reorders", Language::Sql));
    }

    #[test]
    fn names_used_lists_each_name_once() {
        let p = Prefilter::new(vec!["orders".into(), "order_items".into()]);
        let text = b"q = 'SELECT * FROM order_items JOIN orders ON 1=1'; r = 'orders'";
        assert_eq!(
            p.names_used(text, Language::Go),
            vec!["order_items", "orders"]
        );
        assert_eq!(p.names_in(b"x_orders_y"), vec!["orders"]);
        assert!(p.is_match(b"x_orders_y"));
    }
}
