//! One run of any command walks the work tree once (issue 15); burndown reads git objects
//! and never walks it. The only test of its binary, so that no other test of this process
//! walks meanwhile (the counter is per process).

use clap::Parser;
use git2::{IndexAddOption, Repository, Signature, Time};
use std::path::Path;

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The demo, committed to a fresh repository.
fn committed_demo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init(dir.path()).unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo"),
        dir.path(),
    );
    let mut index = repo.index().unwrap();
    index.add_all(["*"], IndexAddOption::DEFAULT, None).unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = Signature::new("Dev", "dev@example.com", &Time::new(1_772_366_400, 0)).unwrap();
    repo.commit(Some("HEAD"), &sig, &sig, "demo", &tree, &[])
        .unwrap();
    dir
}

#[test]
fn one_run_walks_the_tree_once() {
    let repo = committed_demo();
    let root = repo.path().to_str().unwrap().to_string();
    let baseline = repo.path().join("b.json");
    let baseline = baseline.to_str().unwrap();
    let runs: Vec<(Vec<&str>, usize)> = vec![
        (vec!["inventory", &root], 1),
        (vec!["plan", &root], 1),
        (vec!["dual-write", &root], 1),
        (
            vec![
                "audit",
                &root,
                "--baseline",
                baseline,
                "--update-baseline",
                "--allow-new",
            ],
            1,
        ),
        (vec!["report", &root], 1),
        (vec!["burndown", &root], 0),
    ];
    for (args, walks) in runs {
        let before = cutover::discover::walks();
        let mut argv = vec!["cutover"];
        argv.extend(args.iter().copied());
        let cli = cutover::cli::Cli::parse_from(&argv);
        let mut out = Vec::new();
        cutover::run(cli, &mut out).unwrap();
        assert_eq!(
            cutover::discover::walks() - before,
            walks,
            "cutover {args:?} walked the tree {} times",
            cutover::discover::walks() - before
        );
    }
}
