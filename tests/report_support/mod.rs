//! Shared by the report tests: a small repository whose file names, statements and function
//! names try to inject markup into the report, built in a temporary directory (such names
//! cannot be checked out on every OS, so they are not committed as fixtures).

#![allow(dead_code, reason = "each test crate uses a different part")]

use std::path::Path;

/// Marks the page when any injected script runs; the tests check it never appears.
pub const PWNED: &str = "data-pwned";

/// A file name with an inline event handler.
pub fn hostile_file_name() -> String {
    format!("<img src=x onerror=document.documentElement.setAttribute('{PWNED}',1)>.sql")
}

/// Statements that close the script element and open another.
pub fn hostile_statement() -> String {
    format!(
        "INSERT INTO orders_legacy (note) VALUES ('</script><script>document.documentElement.setAttribute(\"{PWNED}\",1)</script>');"
    )
}

/// Write a repository with one legacy table, a hostile file, and two components
/// (`billing` with a manifest, `api` without) that reference the table.
pub fn write_hostile_repo(root: &Path) {
    std::fs::write(
        root.join("cutover.toml"),
        "[[tables]]\nname = \"orders_legacy\"\nphase = \"prepare\"\n",
    )
    .unwrap();
    std::fs::create_dir_all(root.join(".github")).unwrap();
    std::fs::write(
        root.join(".github/CODEOWNERS"),
        "* @acme/<b>platform</b>\n/billing/ @acme/billing\n",
    )
    .unwrap();
    std::fs::create_dir_all(root.join("billing/db")).unwrap();
    std::fs::write(
        root.join("billing/pyproject.toml"),
        "[project]\nname = \"billing\"\n",
    )
    .unwrap();
    std::fs::write(
        root.join("billing/db/charge.sql"),
        "UPDATE orders_legacy SET status = 'paid' WHERE id = 1;\n",
    )
    .unwrap();
    std::fs::create_dir_all(root.join("api/queries")).unwrap();
    std::fs::write(
        root.join("api/queries/list.sql"),
        "SELECT id FROM orders_legacy;\n",
    )
    .unwrap();
    std::fs::write(root.join(hostile_file_name()), hostile_statement()).unwrap();
}
