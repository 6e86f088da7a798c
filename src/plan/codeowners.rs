//! CODEOWNERS: the text of a GitHub or GitLab `CODEOWNERS` file in, the owners of any
//! repository path out. GitHub: the last matching line wins, and a pattern without owners
//! clears ownership. GitLab adds `[Section]` / `^[Optional section]` headers with default
//! owners; the last match wins within each section and the owners of all sections combine.
//! Patterns follow the gitignore-like rules both hosts document; they are compiled to
//! regular expressions once.

use regex::Regex;

/// Where each host looks for the file, in the order GitHub and GitLab search them.
pub const LOCATIONS: &[&str] = &[
    ".github/CODEOWNERS",
    "CODEOWNERS",
    "docs/CODEOWNERS",
    ".gitlab/CODEOWNERS",
];

/// One pattern line.
#[derive(Debug)]
struct Rule {
    regex: Regex,
    owners: Vec<String>,
}

/// A group of rules where the last match wins (GitHub has one, unnamed).
#[derive(Debug, Default)]
struct Section {
    rules: Vec<Rule>,
}

/// A parsed CODEOWNERS file.
#[derive(Debug, Default)]
pub struct CodeOwners {
    /// The file it came from, relative to the root.
    pub path: String,
    sections: Vec<Section>,
    /// Lines that could not be understood: (line, reason). Reported, never dropped.
    pub problems: Vec<(u32, String)>,
}

impl CodeOwners {
    /// Parse a CODEOWNERS file (both syntaxes; GitHub files simply have no sections).
    pub fn parse(path: &str, text: &str) -> CodeOwners {
        let mut out = CodeOwners {
            path: path.to_string(),
            sections: vec![Section::default()],
            problems: Vec::new(),
        };
        let mut defaults: Vec<String> = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line_no = i as u32 + 1;
            let line = strip_comment(raw);
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            if let Some(header) = section_header(line) {
                defaults = header;
                out.sections.push(Section::default());
                continue;
            }
            let mut parts = split_unescaped(line).into_iter();
            let Some(pattern) = parts.next() else {
                continue;
            };
            let mut owners: Vec<String> = parts.collect();
            if owners.is_empty() {
                // GitLab: an entry under a section with default owners inherits them;
                // GitHub: no owners means the path is explicitly unowned.
                owners = defaults.clone();
            }
            match compile(&pattern) {
                Ok(regex) => {
                    if let Some(section) = out.sections.last_mut() {
                        section.rules.push(Rule { regex, owners });
                    }
                }
                Err(e) => out
                    .problems
                    .push((line_no, format!("bad pattern `{pattern}`: {e}"))),
            }
        }
        out
    }

    /// The owners of `path` (relative, `/`-separated), sorted and deduplicated.
    pub fn owners_of(&self, path: &str) -> Vec<String> {
        let mut owners: Vec<String> = Vec::new();
        for section in &self.sections {
            if let Some(rule) = section.rules.iter().rev().find(|r| r.regex.is_match(path)) {
                owners.extend(rule.owners.iter().cloned());
            }
        }
        owners.sort();
        owners.dedup();
        owners
    }
}

/// A `#` starts a comment unless escaped (`\#` is a literal `#` in a pattern).
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' && (i == 0 || bytes[i - 1] != b'\\') {
            return &line[..i];
        }
    }
    line
}

/// GitLab section headers: `[Name]`, `^[Name]`, `[Name][2]`, each optionally followed by
/// default owners. Returns the default owners when `line` is a header.
fn section_header(line: &str) -> Option<Vec<String>> {
    let rest = line.strip_prefix('^').unwrap_or(line);
    let rest = rest.strip_prefix('[')?;
    let close = rest.find(']')?;
    let mut after = &rest[close + 1..];
    // Optional approval count: `[2]`.
    if let Some(count) = after.strip_prefix('[') {
        let end = count.find(']')?;
        if !count[..end].chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        after = &count[end + 1..];
    }
    if !after.is_empty() && !after.starts_with(char::is_whitespace) {
        return None;
    }
    Some(after.split_whitespace().map(str::to_string).collect())
}

/// Split on whitespace, keeping `\ ` (escaped space) inside a pattern.
fn split_unescaped(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\'
            && let Some(&next) = chars.peek()
        {
            cur.push(next);
            chars.next();
            continue;
        }
        if c.is_whitespace() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        } else {
            cur.push(c);
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Compile a gitignore-style pattern. A pattern with a `/` before its end is anchored at
/// the root, otherwise it matches at any depth; a trailing `/` matches only what is inside
/// the directory; a pattern whose last segment has no wildcard also matches everything
/// under a directory of that name, while `docs/*` matches only direct children (as GitHub
/// documents).
pub(crate) fn compile(pattern: &str) -> Result<Regex, regex::Error> {
    let mut p = pattern;
    let dir_only = p.len() > 1 && p.ends_with('/');
    if dir_only {
        p = &p[..p.len() - 1];
    }
    let anchored = p.starts_with('/') || p.contains('/');
    let p = p.trim_start_matches('/');
    let mut re = String::from("^");
    if !anchored {
        re.push_str("(?:.*/)?");
    }
    let bytes: Vec<char> = p.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            '*' if bytes.get(i + 1) == Some(&'*') => {
                let slash_after = bytes.get(i + 2) == Some(&'/');
                if slash_after {
                    re.push_str("(?:.*/)?");
                    i += 3;
                } else {
                    re.push_str(".*");
                    i += 2;
                }
                continue;
            }
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            _ => re.push_str(&regex::escape(&c.to_string())),
        }
        i += 1;
    }
    let last = p.rsplit('/').next().unwrap_or(p);
    let last_has_wildcard = last.contains('*') || last.contains('?');
    if dir_only {
        re.push_str("/.*");
    } else if !last_has_wildcard {
        re.push_str("(?:/.*)?");
    }
    re.push('$');
    Regex::new(&re)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_last_match_wins_and_empty_owners_clear() {
        let co = CodeOwners::parse(
            "CODEOWNERS",
            "# comment\n\
             *       @org/everyone\n\
             *.go    @go-team   # trailing comment\n\
             /services/billing/ @org/billing\n\
             /services/billing/vendor/\n\
             docs/*  @docs\n\
             apps/   @apps\n",
        );
        assert!(co.problems.is_empty());
        assert_eq!(co.owners_of("README.md"), vec!["@org/everyone"]);
        assert_eq!(co.owners_of("cmd/x/main.go"), vec!["@go-team"]);
        assert_eq!(
            co.owners_of("services/billing/main.go"),
            vec!["@org/billing"]
        );
        assert!(co.owners_of("services/billing/vendor/lib.go").is_empty());
        assert_eq!(co.owners_of("docs/index.md"), vec!["@docs"]);
        assert_eq!(
            co.owners_of("docs/build/deep.md"),
            vec!["@org/everyone"],
            "docs/* does not reach nested files"
        );
        assert_eq!(co.owners_of("x/apps/web/a.ts"), vec!["@apps"]);
    }

    #[test]
    fn gitlab_sections_combine_with_defaults() {
        let co = CodeOwners::parse(
            ".gitlab/CODEOWNERS",
            "* @admins\n\
             [Backend] @backend-leads\n\
             services/\n\
             services/api/ @api-team\n\
             ^[Database][2] @dba\n\
             *.sql\n\
             migrations/ @dba @schema\n",
        );
        assert_eq!(
            co.owners_of("services/api/app.py"),
            vec!["@admins", "@api-team"]
        );
        assert_eq!(
            co.owners_of("services/billing/x.sql"),
            vec!["@admins", "@backend-leads", "@dba"]
        );
        assert_eq!(
            co.owners_of("migrations/001.sql"),
            vec!["@admins", "@dba", "@schema"]
        );
        assert_eq!(co.owners_of("README.md"), vec!["@admins"]);
    }

    #[test]
    fn patterns() {
        let m = |p: &str, path: &str| compile(p).unwrap().is_match(path);
        assert!(m("**/logs", "a/b/logs/x.txt"));
        assert!(m("/build/logs/", "build/logs/a/b"));
        assert!(!m("/build/logs/", "x/build/logs/a"));
        assert!(m("*.js", "a/b.js"));
        assert!(!m("*.js", "a/b.jsx"));
        assert!(m("apps/**", "apps/a/b"));
        assert!(m("a?c", "abc"));
    }

    #[test]
    fn escaped_hash_and_space() {
        let co = CodeOwners::parse("CODEOWNERS", "\\#notes.md @a\nmy\\ file.txt @b\n");
        assert_eq!(co.owners_of("#notes.md"), vec!["@a"]);
        assert_eq!(co.owners_of("my file.txt"), vec!["@b"]);
    }
}
