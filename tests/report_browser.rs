//! The HTML report in a real browser: headless Chromium loads the demo's report and a report
//! of hostile input, and the dumped DOM shows that the page script ran (`data-ready` with the
//! row count), raised no error (the page writes errors into itself), filtered from a `#q=`
//! link, and that no injected markup executed.
//!
//! Needs Debian's `chromium` (`.ci/run` installs it). Without it the test fails under CI
//! (`CI` or `CUTOVER_REQUIRE_BROWSER` set) and prints a notice and passes elsewhere.

mod report_support;

use report_support::{PWNED, write_hostile_repo};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Flags from the machine notes: without the background-networking ones Chromium keeps
/// trying to reach Google's hosts, which a closed network refuses.
const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
];

fn find_chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

fn browser_required() -> bool {
    ["CI", "CUTOVER_REQUIRE_BROWSER"]
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|s| !s.is_empty() && s != "0" && s != "false"))
}

/// The browser, or `None` (with a notice) when it may be skipped.
fn chromium() -> Option<PathBuf> {
    match find_chromium() {
        Some(p) => Some(p),
        None if browser_required() => {
            panic!(
                "chromium is not installed, and CI requires the browser test: apt-get install chromium"
            )
        }
        None => {
            #[expect(clippy::print_stderr, reason = "tell the developer why nothing ran")]
            {
                eprintln!("SKIPPED report_browser: chromium not found (apt-get install chromium)");
            }
            None
        }
    }
}

/// Run Chromium with a fresh profile and a deadline; return its stdout.
fn run_chromium(browser: &Path, extra: &[String], url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(browser)
        .args(FLAGS)
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn dump_dom(browser: &Path, page: &Path, fragment: &str) -> String {
    let url = format!("file://{}{fragment}", page.display());
    run_chromium(
        browser,
        &["--virtual-time-budget=5000".into(), "--dump-dom".into()],
        &url,
    )
}

fn write_report(repo: &Path, out: &Path, extra: &[&str]) {
    let status = assert_cmd::Command::cargo_bin("cutover")
        .unwrap()
        .arg("report")
        .arg(repo)
        .arg("--output")
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    assert!(status.status.success(), "{status:?}");
}

/// The value of attribute `name` on the root element, from a DOM dump.
fn root_attr(dom: &str, name: &str) -> Option<String> {
    let start = dom.find("<html")?;
    let end = start + dom[start..].find('>')?;
    let tag = &dom[start..end];
    let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    Some(tag[at..at + tag[at..].find('"')?].to_string())
}

/// `data-rows` and `data-visible` of every rendered data table.
fn tables(dom: &str) -> Vec<(usize, usize)> {
    let re = regex::Regex::new(r#"class="datatable" data-rows="(\d+)"[^>]*data-visible="(\d+)""#)
        .unwrap();
    re.captures_iter(dom)
        .map(|c| (c[1].parse().unwrap(), c[2].parse().unwrap()))
        .collect()
}

fn expected_rows(dom: &str) -> usize {
    let re = regex::Regex::new(r#""rows":(\d+)"#).unwrap();
    re.captures(dom).unwrap()[1].parse().unwrap()
}

fn assert_ran_cleanly(dom: &str) {
    assert_eq!(
        root_attr(dom, "data-script-error"),
        None,
        "the page reported a script error: {dom}"
    );
    assert!(
        dom.contains("id=\"script-errors\" class=\"wrap\" role=\"alert\" hidden"),
        "the error box became visible"
    );
    let ready = root_attr(dom, "data-ready").expect("the page script did not finish");
    assert_eq!(ready.parse::<usize>().unwrap(), expected_rows(dom));
}

#[test]
fn demo_report_renders_in_chromium() {
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    // With the demo's query log, so the runtime tables render too.
    write_report(
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/demo")),
        &page,
        &[
            "--logs",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/fixtures/demo/logs/postgresql.log"
            ),
        ],
    );
    let dom = dump_dom(&browser, &page, "");
    assert_ran_cleanly(&dom);
    let tables = tables(&dom);
    assert!(!tables.is_empty(), "no data table in {dom}");
    // Unfiltered, every row is visible; the row count matches what the server rendered.
    for (rows, visible) in &tables {
        assert_eq!(rows, visible);
    }
    let total: usize = tables.iter().map(|t| t.0).sum();
    assert_eq!(total, expected_rows(&dom));
    assert!(
        total >= 30,
        "the demo has dozens of findings and runtime clients"
    );
    assert!(dom.contains("Unexplained writers"));

    let shot = dir.path().join("report.png");
    run_chromium(
        &browser,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,1600".into(),
        ],
        &format!("file://{}", page.display()),
    );
    let png = std::fs::read(&shot).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert!(png.len() > 20_000, "a blank page is a few kilobytes");
}

#[test]
fn hostile_report_runs_no_injected_script_and_filters() {
    let Some(browser) = chromium() else { return };
    let repo = tempfile::tempdir().unwrap();
    write_hostile_repo(repo.path());
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    write_report(repo.path(), &page, &[]);

    let dom = dump_dom(&browser, &page, "");
    assert_ran_cleanly(&dom);
    assert_eq!(root_attr(&dom, PWNED), None, "injected markup executed");
    assert!(!dom.contains("<img"), "an img element was created");
    assert!(
        dom.contains("&lt;img src=x onerror="),
        "the file name is shown as text"
    );

    // `#q=billing` filters every table: of the filterable ones (two rows or more), only the
    // row of the billing component stays.
    let dom = dump_dom(&browser, &page, "#q=billing");
    assert_ran_cleanly(&dom);
    let filterable: Vec<(usize, usize)> = tables(&dom).into_iter().filter(|t| t.0 >= 2).collect();
    assert!(!filterable.is_empty(), "{dom}");
    for (_, visible) in filterable {
        assert_eq!(visible, 1, "filter did not apply");
    }
}
