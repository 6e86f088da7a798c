//! Robustness (issue 10): the fuzz targets' checks (`fuzz/src/checks.rs`) driven by proptest,
//! so every `cargo test` runs each entry point on a few hundred hostile inputs without
//! cargo-fuzz. Inputs mix raw bytes with fragments of the languages, so the parsers get past
//! their first token. Crashes the fuzzers found are replayed below as named tests.

#[path = "../fuzz/src/checks.rs"]
mod checks;
#[path = "../fuzz/src/generate.rs"]
mod generate;

use proptest::prelude::*;

/// Fragments that steer random input into the interesting parts of each grammar.
const FRAGMENTS: &[&str] = &[
    "SELECT * FROM orders_legacy",
    "UPDATE orders_legacy SET a = 1",
    "INSERT INTO users VALUES (1)",
    "CREATE FUNCTION f() RETURNS void AS $$ DELETE FROM users; $$ LANGUAGE sql;",
    "$$",
    "'",
    "\"",
    "`",
    "/*",
    "*/",
    "--",
    "#",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ";",
    "\n",
    "\r\n",
    "\\",
    "${",
    "%s",
    "?",
    "cursor.execute(\"",
    "db.Exec(`",
    "db.query(`",
    "def f():\n    ",
    "func f() {\n",
    "function f() {\n",
    "sql`",
    "f\"",
    "\u{FEFF}",
    "é",
    "𝕊",
    "[[tables]]\nname = \"",
    "[scan]\nmax_file_size = \"",
    "[[sinks]]\n",
    "= ",
    "{\"version\": 1, \"references\": [",
    "{\"file\": \"a.py\", \"table\": \"orders_legacy\", \"operation\": \"update\", \"count\": 2}",
    "\"function\": null, ",
    ", ",
    "2024-05-01 10:00:00.123 UTC [4242] ",
    "LOG:  statement: ",
    "LOG:  duration: 1.5 ms  statement: ",
    "ERROR:  ",
    "STATEMENT:  ",
    "\t",
    "2024-05-01T10:00:00.123456Z\t  12 Query\t",
    "# Time: 2024-05-01T10:00:00.123456Z\n# User@Host: app[app] @ localhost []\n# Query_time: 0.1\n",
    "{\"timestamp\":\"2024-05-01 10:00:00.123 UTC\",\"user\":\"app\",\"message\":\"statement: ",
    "2024-05-01 10:00:00.123 UTC,\"app\",\"db\",4242,",
    "userid,dbid,query,calls\n",
];

fn hostile() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            3 => prop::sample::select(FRAGMENTS).prop_map(|s| s.as_bytes().to_vec()),
            1 => prop::collection::vec(any::<u8>(), 0..8),
            1 => "[a-z_ ]{0,12}".prop_map(String::into_bytes),
        ],
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn sql_classify_holds(data in hostile()) {
        checks::sql_classify(&data);
    }

    #[test]
    fn sql_fingerprint_holds(data in hostile()) {
        checks::sql_fingerprint(&data);
    }

    #[test]
    fn config_holds(data in hostile()) {
        checks::config(&data);
    }

    #[test]
    fn baseline_holds(data in hostile()) {
        checks::baseline(&data);
    }

    #[test]
    fn logs_postgres_stderr_holds(data in hostile()) {
        checks::logs_postgres_stderr(&data);
    }

    #[test]
    fn logs_postgres_csv_holds(data in hostile()) {
        checks::logs_postgres_csv(&data);
    }

    #[test]
    fn logs_postgres_json_holds(data in hostile()) {
        checks::logs_postgres_json(&data);
    }

    #[test]
    fn logs_mysql_general_holds(data in hostile()) {
        checks::logs_mysql_general(&data);
    }

    #[test]
    fn logs_mysql_slow_holds(data in hostile()) {
        checks::logs_mysql_slow(&data);
    }

    #[test]
    fn logs_pg_stat_statements_holds(data in hostile()) {
        checks::logs_pg_stat_statements(&data);
    }

    #[test]
    fn scan_sql_holds(data in hostile()) {
        checks::scan_sql(&data);
    }

    #[test]
    fn scan_python_holds(data in hostile()) {
        checks::scan_python(&data);
    }

    #[test]
    fn scan_go_holds(data in hostile()) {
        checks::scan_go(&data);
    }

    #[test]
    fn scan_typescript_holds(data in hostile()) {
        checks::scan_typescript(&data);
    }

    #[test]
    fn scan_javascript_holds(data in hostile()) {
        checks::scan_javascript(&data);
    }
}

/// Generator parameters (`fuzz/src/generate.rs`): a few bytes, which choose sizes
/// log-uniformly (mostly small, now and then the largest), operators, languages and places.
fn generator_input() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..12)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn gen_operator_chain_holds(data in generator_input()) {
        checks::gen_operator_chain(&data);
    }

    #[test]
    fn gen_deep_nesting_holds(data in generator_input()) {
        checks::gen_deep_nesting(&data);
    }

    #[test]
    fn gen_deep_indentation_holds(data in generator_input()) {
        checks::gen_deep_indentation(&data);
    }
}

/// Issue 19: a chain of 40,000 terms in one statement overflowed the stack when sqlparser's
/// tree was dropped (exit 134), from a `.sql` file, a string in code and a log line. Every
/// operator and every place, at the size that crashed.
#[test]
fn issue_19_forty_thousand_term_operator_chains_in_every_place() {
    for operator in 0..9u8 {
        for place in 0..6u8 {
            let chain = generate::Chain {
                terms: 40_000,
                operator,
                statement: 0,
                place,
            };
            checks::chain_is_reported(generate::write_chain(chain, ""));
        }
    }
}

/// Issue 10, found by `logs_postgres_csv_holds`: the csv reader ends a record at a lone
/// `\r`, so `\0\r\x0e` (one line) was counted as two unmatched lines.
#[test]
fn issue_10_csvlog_lone_carriage_return_is_one_unmatched_line() {
    checks::logs_postgres_csv(&[0, 13, 14]);
    checks::logs_postgres_csv(b"a\rb\rc\nd\n");
}

/// Issue 10, found by the `logs_postgres_stderr` fuzz target: a multi-byte character in the
/// seconds of a timestamp passed the timestamp check, and the line was sliced inside it.
#[test]
fn issue_10_stderr_log_multibyte_character_in_timestamp_seconds() {
    checks::logs_postgres_stderr(
        "2026-11-21 11:31:1\u{FFFD}.307 UTC [24296] LOG:  statement: SELECT 1\n".as_bytes(),
    );
    checks::logs_postgres_stderr(
        "2026-11-21 11:31:é0 UTC [1] LOG:  statement: SELECT 1\n".as_bytes(),
    );
    checks::logs_postgres_csv("2026-11-21 11:31:1é,\"u\",\"d\",1\n".as_bytes());
}
