//! Go extractor on realistic fixture files (`fixtures/go/*.go`, tables and a user sink in
//! `fixtures/go/cutover.toml`): one snapshot line per finding and per problem.

mod common;

#[test]
fn go_fixtures() {
    let ctx = common::context("go");
    for (name, path) in common::fixtures("go", "go") {
        let rendered = common::render(&ctx, &path, cutover::model::Language::Go);
        insta::assert_snapshot!(format!("go__{name}"), rendered);
    }
}
