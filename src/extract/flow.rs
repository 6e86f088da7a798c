//! Local data flow shared by the Python and Go extractors: the scopes of a file (functions,
//! methods, classes) and their qualified names, the string bindings made in each scope
//! (`q = "…"`, `q += "…"`, constants), the string values computed from them, and template
//! substitution (`%`, `.format`, `fmt.Sprintf`). Input: nodes picked out by the language's
//! query; output: `Value`s that `code::sql_findings` turns into findings. It does not know
//! any grammar: the language extractors evaluate nodes and call in here.

use super::code::{self, Assembled};
use super::{FileInput, FileScan, LineIndex};
use std::collections::{HashMap, HashSet};
use tree_sitter::Node;

/// A string computed from source: SQL text with its map back to the file, and the start
/// offsets of the literal nodes it was built from (so that a literal that reached a sink is
/// not reported a second time on its own).
#[derive(Debug, Clone, Default)]
pub struct Value {
    pub sql: Assembled,
    pub literals: Vec<usize>,
}

impl Value {
    pub fn append(&mut self, other: &Value) {
        self.sql.append(&other.sql);
        self.literals.extend_from_slice(&other.literals);
    }

    /// An interpolated expression (its source text and offset).
    pub fn push_interpolation(&mut self, expr: &str, offset: usize) {
        self.sql.push_interpolation(expr, offset);
    }

    /// Whether the value is fully known (no run-time interpolation).
    pub fn is_constant(&self) -> bool {
        !self.sql.has_interpolation()
    }
}

/// A function, method, closure or class: its byte range and the name it contributes to the
/// qualified name of what is inside (`None` for closures and lambdas).
#[derive(Debug, Clone)]
pub struct Scope {
    pub start: usize,
    pub end: usize,
    pub name: Option<String>,
    /// Python class bodies: their names are not visible as bare names inside methods.
    pub is_class: bool,
}

/// The scopes of one file, outer ones first, each with the scope it is nested in.
#[derive(Debug, Default)]
pub struct Scopes {
    list: Vec<Scope>,
    parent: Vec<Option<usize>>,
    /// Classes by name (the first one of each name), for `ClassName.ATTR`.
    classes: HashMap<String, usize>,
}

impl Scopes {
    pub fn new(mut list: Vec<Scope>) -> Scopes {
        list.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
        // Syntax nodes nest, so one pass with a stack finds every scope's parent.
        let mut parent = Vec::with_capacity(list.len());
        let mut open: Vec<usize> = Vec::new();
        for (i, s) in list.iter().enumerate() {
            while open.last().is_some_and(|&top| list[top].end <= s.start) {
                open.pop();
            }
            parent.push(open.last().copied());
            open.push(i);
        }
        let mut classes = HashMap::new();
        for (i, s) in list.iter().enumerate() {
            if let (true, Some(name)) = (s.is_class, &s.name) {
                classes.entry(name.clone()).or_insert(i);
            }
        }
        Scopes {
            list,
            parent,
            classes,
        }
    }

    /// The class scope named `name`, if the file defines one.
    pub fn class_named(&self, name: &str) -> Option<usize> {
        self.classes.get(name).copied()
    }

    pub fn get(&self, i: usize) -> &Scope {
        &self.list[i]
    }

    /// Indices of the scopes around `pos`, innermost first.
    pub fn chain(&self, pos: usize) -> Vec<usize> {
        // The scopes around `pos` are the last scope that starts before it and that
        // scope's ancestors (those that have not ended yet): O(depth), not O(scopes).
        let mut out = Vec::new();
        let mut at = self.list.partition_point(|s| s.start <= pos).checked_sub(1);
        while let Some(i) = at {
            if pos < self.list[i].end {
                out.push(i);
            }
            at = self.parent[i];
        }
        out
    }

    pub fn innermost(&self, pos: usize) -> Option<usize> {
        self.chain(pos).first().copied()
    }

    /// `Class.method`, `outer.inner`, `Repo.Create`: the named scopes around `pos`.
    pub fn qualified(&self, pos: usize) -> Option<String> {
        let names: Vec<&str> = self
            .chain(pos)
            .iter()
            .rev()
            .filter_map(|&i| self.list[i].name.as_deref())
            .collect();
        (!names.is_empty()).then(|| names.join("."))
    }
}

/// `name = value` (or `name += value` when `append`) in a scope (`None`: module/package).
#[derive(Debug, Clone)]
pub struct Binding<'t> {
    pub scope: Option<usize>,
    pub name: String,
    pub append: bool,
    /// Byte range of the whole statement: a use sees the bindings that end before it.
    pub start: usize,
    pub end: usize,
    pub value: Node<'t>,
}

/// The string bindings of one file.
#[derive(Debug, Default)]
pub struct Bindings<'t> {
    list: Vec<Binding<'t>>,
    by_key: HashMap<(Option<usize>, String), Vec<usize>>,
}

impl<'t> Bindings<'t> {
    pub fn new(mut list: Vec<Binding<'t>>) -> Bindings<'t> {
        list.sort_by_key(|b| (b.start, b.end));
        let mut by_key: HashMap<(Option<usize>, String), Vec<usize>> = HashMap::new();
        for (i, b) in list.iter().enumerate() {
            by_key.entry((b.scope, b.name.clone())).or_default().push(i);
        }
        Bindings { list, by_key }
    }

    /// The bindings that give `name` its value in `scope` as seen at `pos`: the last
    /// assignment that ends before `pos` and the appends after it. With `pos = None`, the
    /// last assignment anywhere (module constants may be defined below their use).
    /// Control flow is ignored: the last assignment in source order wins.
    pub fn chain(
        &self,
        scope: Option<usize>,
        name: &str,
        pos: Option<usize>,
    ) -> Option<Vec<&Binding<'t>>> {
        let idxs = self.by_key.get(&(scope, name.to_string()))?;
        let visible: Vec<&Binding<'t>> = idxs
            .iter()
            .map(|&i| &self.list[i])
            .filter(|b| pos.is_none_or(|p| b.end <= p))
            .collect();
        let last_assign = visible.iter().rposition(|b| !b.append)?;
        Some(visible[last_assign..].to_vec())
    }

    /// Every assignment with the appends that follow it (until the next assignment of the
    /// same name in the same scope), in source order: the values a variable takes.
    pub fn versions(&self) -> Vec<Vec<&Binding<'t>>> {
        let mut out = Vec::new();
        for (i, b) in self.list.iter().enumerate() {
            if b.append {
                continue;
            }
            let mut version = vec![b];
            if let Some(idxs) = self.by_key.get(&(b.scope, b.name.clone())) {
                for &j in idxs.iter().filter(|&&j| j > i) {
                    let next = &self.list[j];
                    if !next.append {
                        break;
                    }
                    version.push(next);
                }
            }
            out.push(version);
        }
        out
    }
}

/// Limits that keep evaluation linear-ish on hostile input: nesting depth (recursion), total
/// steps per file, and the size of a computed value (`q = q + q` doubling).
#[derive(Debug)]
pub struct Budget {
    steps: usize,
    /// Offset of the expression at which the budget ran out, reported once.
    pub exhausted_at: Option<usize>,
}

/// Deeper nesting than this is not evaluated (the stack stays small).
pub const MAX_DEPTH: usize = 48;
/// Evaluation steps every file gets, whatever its size.
const MAX_STEPS: usize = 200_000;
/// Longest computed value.
pub const MAX_TEXT: usize = 1 << 20;

impl Budget {
    /// The budget of a file of `len` bytes: a fixed allowance plus a few steps per byte,
    /// so that large files are evaluated fully and `q = q + q` chains are still cut.
    pub fn for_file(len: usize) -> Budget {
        Budget {
            steps: MAX_STEPS.saturating_add(len.saturating_mul(4)),
            exhausted_at: None,
        }
    }

    /// Take one step at `offset`; `false` when nothing may be evaluated any more.
    pub fn step(&mut self, depth: usize, offset: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        if self.steps == 0 {
            self.exhausted_at.get_or_insert(offset);
            return false;
        }
        self.steps -= 1;
        true
    }
}

/// Which argument fills a placeholder of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpecArg {
    /// Positional (0-based; automatic numbering already resolved).
    Index(usize),
    /// Named (`%(name)s`, `{name}`).
    Name(String),
    /// An escape that stands for fixed text (`%%`, `{{`).
    Text(&'static str),
}

/// One placeholder in a template's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    pub range: std::ops::Range<usize>,
    pub arg: SpecArg,
}

/// Python `%` placeholders: `%s`, `%(name)s`, `%-10.3f`, `%%`.
pub fn percent_specs(text: &str) -> Vec<Spec> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut auto = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'%' {
            i += 1;
            continue;
        }
        let start = i;
        let mut j = i + 1;
        if b.get(j) == Some(&b'%') {
            out.push(Spec {
                range: start..j + 1,
                arg: SpecArg::Text("%"),
            });
            i = j + 1;
            continue;
        }
        let mut name = None;
        if b.get(j) == Some(&b'(') {
            let Some(close) = text[j..].find(')') else {
                break;
            };
            name = Some(text[j + 1..j + close].to_string());
            j += close + 1;
        }
        while j < b.len() && b"#0- +".contains(&b[j]) {
            j += 1;
        }
        while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'*') {
            j += 1;
        }
        if b.get(j) == Some(&b'.') {
            j += 1;
            while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'*') {
                j += 1;
            }
        }
        while j < b.len() && b"hlL".contains(&b[j]) {
            j += 1;
        }
        if j < b.len() && b"diouxXeEfFgGcrsab".contains(&b[j]) {
            let arg = match name {
                Some(n) => SpecArg::Name(n),
                None => {
                    auto += 1;
                    SpecArg::Index(auto - 1)
                }
            };
            out.push(Spec {
                range: start..j + 1,
                arg,
            });
            i = j + 1;
        } else {
            i = start + 1;
        }
    }
    out
}

/// Python `str.format` fields: `{}`, `{0}`, `{name}`, `{name.attr!r:>10}`, `{{`, `}}`.
pub fn brace_specs(text: &str) -> Vec<Spec> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut auto = 0;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'{' if b.get(i + 1) == Some(&b'{') => {
                out.push(Spec {
                    range: i..i + 2,
                    arg: SpecArg::Text("{"),
                });
                i += 2;
            }
            b'}' if b.get(i + 1) == Some(&b'}') => {
                out.push(Spec {
                    range: i..i + 2,
                    arg: SpecArg::Text("}"),
                });
                i += 2;
            }
            b'{' => {
                // The format spec may nest one level of fields: `{x:{width}}`.
                let mut depth = 0usize;
                let mut j = i;
                let mut end = None;
                while j < b.len() {
                    match b[j] {
                        b'{' => depth += 1,
                        b'}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = Some(j);
                                break;
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
                let Some(end) = end else {
                    break;
                };
                let field = &text[i + 1..end];
                let name = field
                    .split(['!', ':'])
                    .next()
                    .unwrap_or("")
                    .split(['.', '['])
                    .next()
                    .unwrap_or("")
                    .trim();
                let arg = if name.is_empty() {
                    auto += 1;
                    SpecArg::Index(auto - 1)
                } else if let Ok(n) = name.parse::<usize>() {
                    SpecArg::Index(n)
                } else {
                    SpecArg::Name(name.to_string())
                };
                out.push(Spec {
                    range: i..end + 1,
                    arg,
                });
                i = end + 1;
            }
            _ => i += 1,
        }
    }
    out
}

/// Go `fmt` verbs: `%s`, `%v`, `%d`, `%-10s`, `%[2]s`, `%%`.
pub fn go_verbs(text: &str) -> Vec<Spec> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut next = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'%' {
            i += 1;
            continue;
        }
        let start = i;
        let mut j = i + 1;
        if b.get(j) == Some(&b'%') {
            out.push(Spec {
                range: start..j + 1,
                arg: SpecArg::Text("%"),
            });
            i = j + 1;
            continue;
        }
        while j < b.len() && b"+-# 0".contains(&b[j]) {
            j += 1;
        }
        let mut explicit = None;
        if b.get(j) == Some(&b'[')
            && let Some(close) = text[j..].find(']')
        {
            explicit = text[j + 1..j + close].parse::<usize>().ok();
            j += close + 1;
        }
        while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'*') {
            j += 1;
        }
        if b.get(j) == Some(&b'.') {
            j += 1;
            while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'*') {
                j += 1;
            }
        }
        if j < b.len() && b[j].is_ascii_alphabetic() {
            let index = match explicit {
                Some(n) if n >= 1 => n - 1,
                _ => next,
            };
            next = index + 1;
            out.push(Spec {
                range: start..j + 1,
                arg: SpecArg::Index(index),
            });
            i = j + 1;
        } else {
            i = start + 1;
        }
    }
    out
}

/// Fill a template's placeholders: the text between them is kept with its source map, and
/// `fill` appends what each placeholder becomes.
pub fn substitute(
    template: &Value,
    specs: &[Spec],
    mut fill: impl FnMut(&Spec, &mut Value),
) -> Value {
    let mut out = Value {
        sql: Assembled::new(),
        literals: template.literals.clone(),
    };
    let mut at = 0;
    for spec in specs {
        out.sql.append(&template.sql.slice(at..spec.range.start));
        match spec.arg {
            SpecArg::Text(t) => {
                let mut piece = template.sql.slice(spec.range.clone());
                piece.text = t.to_string();
                out.sql.append(&piece);
            }
            _ => fill(spec, &mut out),
        }
        at = spec.range.end;
    }
    out.sql
        .append(&template.sql.slice(at..template.sql.text.len()));
    out
}

/// The text an escape sequence stands for (`\\n`, `\\x41`, `\\u00e9`, `\\101`, a
/// backslash-newline). Python and Go share these; unknown escapes stay as written.
pub fn unescape(raw: &str) -> String {
    let Some(body) = raw.strip_prefix('\\') else {
        return raw.to_string();
    };
    let hex = |digits: &str| {
        u32::from_str_radix(digits, 16)
            .ok()
            .and_then(char::from_u32)
    };
    let decoded = match body.chars().next() {
        Some('n') => Some('\n'),
        Some('t') => Some('\t'),
        Some('r') => Some('\r'),
        Some('a') => Some('\u{7}'),
        Some('b') => Some('\u{8}'),
        Some('f') => Some('\u{c}'),
        Some('v') => Some('\u{b}'),
        Some('\\') => Some('\\'),
        Some('\'') => Some('\''),
        Some('"') => Some('"'),
        Some('`') => Some('`'),
        Some('\n') => return String::new(),
        Some('x' | 'u' | 'U') => hex(body.get(1..).unwrap_or("")),
        Some('0'..='7') => u32::from_str_radix(body, 8).ok().and_then(char::from_u32),
        _ => None,
    };
    decoded.map_or_else(|| raw.to_string(), String::from)
}

/// Helpers of the extractors' unit tests.
#[cfg(test)]
pub(crate) mod testing {
    use crate::config::{Config, FileConfig, Overrides};
    use crate::extract::{FileScan, ScanContext, scan_bytes};
    use crate::model::{Finding, Language};
    use std::path::{Path, PathBuf};

    /// Scan `src` as a file of `language`, with `orders_legacy` and
    /// `billing.invoices_legacy` configured.
    pub fn scan(language: Language, src: &str) -> FileScan {
        let file = FileConfig::parse(
            r#"
            dialect = "postgres"
            [[tables]]
            name = "orders_legacy"
            [[tables]]
            name = "billing.invoices_legacy"
            "#,
            Path::new("test.toml"),
        )
        .unwrap();
        let config =
            Config::from_file(PathBuf::from("/"), None, file, &Overrides::default()).unwrap();
        let ctx = ScanContext::new(&config);
        let mut out = scan_bytes("t", language, src.as_bytes(), &ctx);
        crate::model::sort_findings(&mut out.findings);
        out
    }

    /// `line:col function sink | evidence`: what the extractor controls, whatever the SQL
    /// classifier says about access and operation.
    pub fn brief(f: &Finding) -> String {
        format!(
            "{}:{} {} {} | {}",
            f.line,
            f.column,
            f.function.as_deref().unwrap_or("-"),
            f.sink.as_deref().unwrap_or("-"),
            f.evidence
        )
    }

    /// The brief lines of every finding, deduplicated (one per statement).
    pub fn briefs(language: Language, src: &str) -> Vec<String> {
        let mut out: Vec<String> = scan(language, src).findings.iter().map(brief).collect();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(unescape("\\n"), "\n");
        assert_eq!(unescape("\\x41"), "A");
        assert_eq!(unescape("\\u00e9"), "é");
        assert_eq!(unescape("\\101"), "A");
        assert_eq!(unescape("\\\n"), "");
        assert_eq!(unescape("\\q"), "\\q");
        assert_eq!(unescape("\\xZZ"), "\\xZZ");
    }

    #[test]
    fn percent_placeholders() {
        let specs = percent_specs("a %s b %(name)s c %% d %-5.2f e %");
        let args: Vec<_> = specs.iter().map(|s| s.arg.clone()).collect();
        assert_eq!(
            args,
            vec![
                SpecArg::Index(0),
                SpecArg::Name("name".into()),
                SpecArg::Text("%"),
                SpecArg::Index(1),
            ]
        );
        assert_eq!(specs[1].range, 7..15);
    }

    #[test]
    fn brace_fields() {
        let specs = brace_specs("{} {{x}} {0!r} {tbl.name:>{w}} {");
        let args: Vec<_> = specs.iter().map(|s| s.arg.clone()).collect();
        assert_eq!(
            args,
            vec![
                SpecArg::Index(0),
                SpecArg::Text("{"),
                SpecArg::Text("}"),
                SpecArg::Index(0),
                SpecArg::Name("tbl".into()),
            ]
        );
    }

    #[test]
    fn go_fmt_verbs() {
        let specs = go_verbs("%s %d %% %[1]v %-8q %");
        let args: Vec<_> = specs.iter().map(|s| s.arg.clone()).collect();
        assert_eq!(
            args,
            vec![
                SpecArg::Index(0),
                SpecArg::Index(1),
                SpecArg::Text("%"),
                SpecArg::Index(0),
                SpecArg::Index(1),
            ]
        );
    }

    #[test]
    fn substitution_keeps_the_source_map() {
        let mut template = Value::default();
        template
            .sql
            .push_literal("INSERT INTO %s VALUES (%%s)", 100, 27);
        let specs = percent_specs(&template.sql.text);
        let out = substitute(&template, &specs, |_, v| v.push_interpolation("table", 200));
        assert_eq!(out.sql.text, "INSERT INTO __cutover_dyn_0__ VALUES (%s)");
        assert_eq!(
            out.sql.display(&out.sql.text),
            "INSERT INTO ${table} VALUES (%s)"
        );
        assert_eq!(out.sql.source_offset(0), Some(100));
        assert_eq!(
            out.sql.source_offset(out.sql.text.find("VALUES").unwrap()),
            Some(115)
        );
    }

    #[test]
    fn scopes_qualify_and_nest() {
        let scopes = Scopes::new(vec![
            Scope {
                start: 10,
                end: 50,
                name: Some("m".into()),
                is_class: false,
            },
            Scope {
                start: 0,
                end: 100,
                name: Some("Repo".into()),
                is_class: true,
            },
            Scope {
                start: 20,
                end: 30,
                name: None,
                is_class: false,
            },
        ]);
        assert_eq!(scopes.qualified(25).as_deref(), Some("Repo.m"));
        // Many closed siblings before the position: still the right chain.
        let mut many: Vec<Scope> = (0..1000)
            .map(|i| Scope {
                start: 10 + i * 10,
                end: 15 + i * 10,
                name: Some(format!("f{i}")),
                is_class: false,
            })
            .collect();
        many.push(Scope {
            start: 0,
            end: 100_000,
            name: Some("Outer".into()),
            is_class: true,
        });
        let many = Scopes::new(many);
        assert_eq!(many.qualified(12).as_deref(), Some("Outer.f0"));
        assert_eq!(many.qualified(17).as_deref(), Some("Outer"));
        assert_eq!(many.qualified(9_992).as_deref(), Some("Outer.f998"));
        assert_eq!(many.qualified(200_000), None);
        assert_eq!(scopes.qualified(60).as_deref(), Some("Repo"));
        assert_eq!(scopes.qualified(200), None);
        assert_eq!(scopes.chain(25).len(), 3);
    }
}

/// Report a value that reached no known sink, if it reads like SQL and no sink has reported
/// its literals already (shared by the Python and Go extractors).
pub fn report_loose(
    file: &FileInput<'_>,
    index: &LineIndex,
    value: &Value,
    function: Option<String>,
    at: usize,
    consumed: &mut HashSet<usize>,
    out: &mut FileScan,
) {
    if value.literals.iter().any(|l| consumed.contains(l)) {
        return;
    }
    if !file.ctx.may_match(value.sql.text.as_bytes()) && !value.sql.has_interpolation() {
        return;
    }
    if !code::looks_like_sql(&value.sql.text) {
        return;
    }
    consumed.extend(value.literals.iter().copied());
    let site = code::SqlSite {
        function,
        sink: None,
        fallback_offset: at,
    };
    code::sql_findings(file, index, &value.sql, &site, out);
}
