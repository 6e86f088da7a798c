//! Python extractor on realistic fixture files (`fixtures/python/*.py`, tables and a user
//! sink in `fixtures/python/cutover.toml`): one snapshot line per finding and per problem.

mod common;

#[test]
fn python_fixtures() {
    let ctx = common::context("python");
    for (name, path) in common::fixtures("python", "py") {
        let rendered = common::render(&ctx, &path, cutover::model::Language::Python);
        insta::assert_snapshot!(format!("python__{name}"), rendered);
    }
}
