//! Python extractor on realistic fixture files (`fixtures/python/*.py`, tables and a user
//! sink in `fixtures/python/cutover.toml`): one snapshot line per finding and per problem.

mod extract_support;
use extract_support as common;

#[test]
fn python_fixtures() {
    let ctx = common::context("python");
    for (name, path) in common::fixtures("python", "py") {
        let rendered = common::render(&ctx, &path, cutover::model::Language::Python);
        insta::assert_snapshot!(format!("python__{name}"), rendered);
    }
}

mod never_panics {
    use cutover::model::Language;
    use proptest::prelude::*;

    const TOKENS: &[&str] = &[
        "def ",
        "class ",
        "async ",
        "f(",
        ")",
        "(",
        "[",
        "]",
        "{",
        "}",
        ":",
        "\n",
        "    ",
        "=",
        "+=",
        "+",
        "%",
        ".format(",
        ".join(",
        "execute(",
        "cur.",
        "self.",
        "\"",
        "'",
        "\"\"\"",
        "f\"",
        "rb'",
        "{x}",
        "%s",
        "%(a)s",
        "SELECT * FROM orders_legacy",
        "INSERT INTO ",
        "orders_legacy",
        "q",
        ",",
        "\\",
        "\\n",
        "#",
        "@d\n",
        "sql.SQL(",
        "Identifier(",
        "é",
        "copy_from(",
        "text(",
        "lambda ",
        "return ",
        "if ",
        "%%",
        "{{",
        "}}",
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, .. ProptestConfig::default() })]

        #[test]
        fn token_soup(picks in prop::collection::vec(0..TOKENS.len(), 0..200)) {
            let src: String = picks.iter().map(|&i| TOKENS[i]).collect();
            let ctx = super::common::context("python");
            let out = cutover::extract::scan_bytes("soup.py", Language::Python, src.as_bytes(), &ctx);
            super::common::check_positions(&out, src.as_bytes());
        }

        #[test]
        fn damaged_fixture(cut in 0usize..6000, len in 0usize..400, junk in "[\\x00-\\x7f]{0,20}") {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures/python/repository.py");
            let mut bytes = std::fs::read(path).unwrap();
            let cut = cut.min(bytes.len());
            let end = (cut + len).min(bytes.len());
            bytes.splice(cut..end, junk.bytes());
            let ctx = super::common::context("python");
            let out = cutover::extract::scan_bytes("damaged.py", Language::Python, &bytes, &ctx);
            super::common::check_positions(&out, &bytes);
        }
    }
}
