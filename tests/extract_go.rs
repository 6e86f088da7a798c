//! Go extractor on realistic fixture files (`fixtures/go/*.go`, tables and a user sink in
//! `fixtures/go/cutover.toml`): one snapshot line per finding and per problem.

mod extract_support;
use extract_support as common;

#[test]
fn go_fixtures() {
    let ctx = common::context("go");
    for (name, path) in common::fixtures("go", "go") {
        let rendered = common::render(&ctx, &path, cutover::model::Language::Go);
        insta::assert_snapshot!(format!("go__{name}"), rendered);
    }
}

mod never_panics {
    use cutover::model::Language;
    use proptest::prelude::*;

    const TOKENS: &[&str] = &[
        "package p\n",
        "func ",
        "(r *Repo) ",
        "f(",
        ")",
        "(",
        "{",
        "}",
        "[]string{",
        "\n",
        "\t",
        ":=",
        "=",
        "+=",
        "+",
        "fmt.Sprintf(",
        "strings.Join(",
        "db.Exec(",
        "ctx, ",
        "\"",
        "`",
        "%s",
        "%[1]d",
        "%%",
        "SELECT * FROM orders_legacy",
        "INSERT INTO ",
        "orders_legacy",
        "q",
        ",",
        "\\",
        "\\n",
        "//",
        "const ",
        "var ",
        "pgx.Identifier{",
        "CopyFrom(",
        "append(",
        "é",
        "return ",
        "func() {",
        "...",
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, .. ProptestConfig::default() })]

        #[test]
        fn token_soup(picks in prop::collection::vec(0..TOKENS.len(), 0..200)) {
            let src: String = picks.iter().map(|&i| TOKENS[i]).collect();
            let ctx = super::common::context("go");
            let out = cutover::extract::scan_bytes("soup.go", Language::Go, src.as_bytes(), &ctx);
            super::common::check_positions(&out, src.as_bytes());
        }

        #[test]
        fn damaged_fixture(cut in 0usize..5000, len in 0usize..400, junk in "[\\x00-\\x7f]{0,20}") {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures/go/orders_repo.go");
            let mut bytes = std::fs::read(path).unwrap();
            let cut = cut.min(bytes.len());
            let end = (cut + len).min(bytes.len());
            bytes.splice(cut..end, junk.bytes());
            let ctx = super::common::context("go");
            let out = cutover::extract::scan_bytes("damaged.go", Language::Go, &bytes, &ctx);
            super::common::check_positions(&out, &bytes);
        }
    }
}
