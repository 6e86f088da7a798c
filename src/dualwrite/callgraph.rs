//! Call graph for dual-write coverage: the Python, Go and TS/JS files of the repository in,
//! the functions they define (qualified like the extractors' `Finding::function`) and the
//! calls between them out. Definitions, calls and imports are found with tree-sitter
//! (`queries/calls-<lang>.scm`); this module resolves what can be resolved statically:
//! same-file functions, methods called on `self`/`cls`/`this`/the Go receiver, Python
//! `from x import f`, Go functions of the same package (directory) or of an imported
//! package, TS/JS named imports. Everything else (dynamic dispatch, interfaces, callbacks,
//! dependency injection) stays unresolved; its callee text is kept so declared helpers can
//! still match it.

use crate::discover::SourceFile;
use crate::lang::Field as _;
use crate::lang::{self, Grammar};
use crate::model::Language;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::LazyLock;
use tree_sitter::{Node, Query, QueryCursor, StreamingIterator};

const PY_QUERY: &str = include_str!("../../queries/calls-python.scm");
const GO_QUERY: &str = include_str!("../../queries/calls-go.scm");
const TS_QUERY: &str = include_str!("../../queries/calls-typescript.scm");

/// The compiled queries, built once; a bad built-in query is a bug a test catches.
static QUERIES: LazyLock<[(Grammar, Query); 4]> = LazyLock::new(|| {
    let q = |g: Grammar, text: &str| {
        #[expect(clippy::expect_used, reason = "built-in query; tests compile it")]
        Query::new(&g.language(), text).expect("built-in call query compiles")
    };
    [
        (Grammar::Python, q(Grammar::Python, PY_QUERY)),
        (Grammar::Go, q(Grammar::Go, GO_QUERY)),
        (Grammar::TypeScript, q(Grammar::TypeScript, TS_QUERY)),
        (Grammar::Tsx, q(Grammar::Tsx, TS_QUERY)),
    ]
});

/// A function: the file it is in and its qualified name (`OrderRepository.create_order`).
/// Module-level code of a file is the function `None`.
pub type FnId = (String, Option<String>);

/// One call inside a function, as written and as resolved.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Call {
    /// The callee as written (`self.insert_new`, `orders.dualWrite`, `repo.Save`).
    pub callee: String,
    pub line: u32,
    /// The functions it may resolve to (empty: not resolved statically).
    pub targets: Vec<FnId>,
}

/// Functions and calls of the whole repository.
#[derive(Debug, Default)]
pub struct CallGraph {
    /// Calls made by each function, in source order.
    pub calls: BTreeMap<FnId, Vec<Call>>,
    /// Where each function is defined (1-based line).
    pub defined: BTreeMap<FnId, u32>,
    /// Files that could not be read for the call graph: (file, reason).
    pub problems: Vec<(String, String)>,
    /// Where each file is on disk, to read the writers' source again for `guard`.
    pub paths: BTreeMap<String, std::path::PathBuf>,
    /// Names assigned an "off" value (`MIRROR = False`, `getenv("X", "0")`): name →
    /// (`file:line`, the assignment as written). Flags that default to off.
    pub off_defaults: BTreeMap<String, (String, String)>,
}

/// `NAME = False` / `const NAME = false` / `NAME: bool = False` / `getenv("NAME", "0")`.
static OFF_DEFAULT: LazyLock<Option<regex::Regex>> = LazyLock::new(|| {
    regex::Regex::new(r#"(?m)^\s*(?:(?:const|let|var|export)\s+)*([A-Za-z_]\w*)\s*(?::\s*[\w.]+\s*)?=\s*(?:False|false|None|nil|0|"false"|'false'|"0"|'0'|"off"|'off')\s*;?\s*$|(?:getenv|environ\.get|env\.get|Getenv|getEnv)\s*\(\s*["']([A-Za-z_]\w*)["']\s*,\s*(?:False|false|None|0|"false"|'false'|"0"|'0'|"off"|'off'|"")\s*\)"#).ok()
});

/// The "off" defaults a file assigns.
fn off_defaults(file: &str, text: &str) -> Vec<(String, String, String)> {
    let Some(re) = OFF_DEFAULT.as_ref() else {
        return Vec::new();
    };
    re.captures_iter(text)
        .filter_map(|c| {
            let m = c.get(0)?;
            let name = c.get(1).or_else(|| c.get(2))?;
            let line = text[..name.start()].matches('\n').count() + 1;
            Some((
                name.as_str().to_string(),
                format!("{file}:{line}"),
                m.as_str().trim().to_string(),
            ))
        })
        .collect()
}

/// What one file contributes before cross-file resolution.
#[derive(Debug, Default)]
struct FileFacts {
    file: String,
    language: Option<Language>,
    /// (qualified name, line)
    defs: Vec<(String, u32)>,
    /// (caller, object text, name, line)
    calls: Vec<(Option<String>, Option<String>, String, u32)>,
    /// local name → (module as written, imported name)
    imports: BTreeMap<String, (String, String)>,
    /// Go: import alias (or last path segment) → import path.
    go_imports: BTreeMap<String, String>,
    /// (name, `file:line`, text) of "off" defaults.
    off: Vec<(String, String, String)>,
}

/// Languages whose calls can resolve to each other (TS and JS import each other).
pub(crate) fn family(language: Language) -> u8 {
    match language {
        Language::Python => 0,
        Language::Go => 1,
        Language::TypeScript | Language::JavaScript => 2,
        Language::Sql => 3,
    }
}

/// Build the call graph of `files` (in parallel; the result does not depend on the order).
pub fn build(files: &[SourceFile], max_file_size: u64) -> CallGraph {
    let facts: Vec<Result<FileFacts, (String, String)>> = files
        .par_iter()
        .filter(|f| f.language != Language::Sql)
        .map(|f| read_facts(f, max_file_size))
        .collect();
    let mut graph = CallGraph {
        paths: files
            .iter()
            .map(|f| (f.rel.clone(), f.path.clone()))
            .collect(),
        ..CallGraph::default()
    };
    let mut all = Vec::new();
    for r in facts {
        match r {
            Ok(f) => all.push(f),
            Err(p) => graph.problems.push(p),
        }
    }
    graph.problems.sort();
    for f in &all {
        for (name, at, text) in &f.off {
            graph
                .off_defaults
                .entry(name.clone())
                .or_insert_with(|| (at.clone(), text.clone()));
        }
    }
    // name → files defining it, per language family.
    let mut by_name: BTreeMap<(u8, &str), BTreeSet<&str>> = BTreeMap::new();
    for f in &all {
        let Some(lang) = f.language else { continue };
        for (name, line) in &f.defs {
            by_name
                .entry((family(lang), name.as_str()))
                .or_default()
                .insert(f.file.as_str());
            graph
                .defined
                .entry((f.file.clone(), Some(name.clone())))
                .or_insert(*line);
        }
    }
    for f in &all {
        let Some(lang) = f.language else { continue };
        let fam = family(lang);
        let defined_in = |name: &str, pick: &dyn Fn(&str) -> bool| -> Vec<FnId> {
            by_name
                .get(&(fam, name))
                .map(|files| {
                    files
                        .iter()
                        .filter(|file| pick(file))
                        .map(|file| (file.to_string(), Some(name.to_string())))
                        .collect()
                })
                .unwrap_or_default()
        };
        for (caller, object, name, line) in &f.calls {
            let targets = resolve(
                f,
                lang,
                caller.as_deref(),
                object.as_deref(),
                name,
                &defined_in,
            );
            let callee = match object {
                Some(o) => format!("{o}.{name}"),
                None => name.clone(),
            };
            graph
                .calls
                .entry((f.file.clone(), caller.clone()))
                .or_default()
                .push(Call {
                    callee,
                    line: *line,
                    targets,
                });
        }
    }
    graph
}

/// The directory of a relative path (`""` at the root).
fn dir_of(file: &str) -> &str {
    file.rsplit_once('/').map_or("", |(d, _)| d)
}

/// The class (or Go receiver type) a method belongs to: its qualified name minus the last part.
fn owner(caller: Option<&str>) -> Option<&str> {
    caller.and_then(|c| c.rsplit_once('.')).map(|(o, _)| o)
}

/// Looks up the definitions of a name in the files a predicate accepts.
type DefinedIn<'a> = dyn Fn(&str, &dyn Fn(&str) -> bool) -> Vec<FnId> + 'a;

fn resolve(
    f: &FileFacts,
    lang: Language,
    caller: Option<&str>,
    object: Option<&str>,
    name: &str,
    defined_in: &DefinedIn<'_>,
) -> Vec<FnId> {
    let same_file = |file: &str| file == f.file;
    match (lang, object) {
        // self.m(), cls.m(), this.m(): a method of the caller's class, in this file.
        (Language::Python, Some("self" | "cls"))
        | (Language::TypeScript | Language::JavaScript, Some("this")) => match owner(caller) {
            Some(class) => defined_in(&format!("{class}.{name}"), &same_file),
            None => Vec::new(),
        },
        (Language::Python | Language::TypeScript | Language::JavaScript, None) => {
            let here = defined_in(name, &same_file);
            if !here.is_empty() {
                return here;
            }
            match f.imports.get(name) {
                Some((module, imported)) => {
                    let wanted = module_files(&f.file, lang, module);
                    defined_in(imported, &|file: &str| file_matches(&wanted, file))
                }
                None => Vec::new(),
            }
        }
        // `from billing import repository` then `repository.create()`: a function of the
        // imported module.
        (Language::Python, Some(object)) => match f.imports.get(object) {
            Some((module, imported)) => {
                let sep = if module.ends_with('.') { "" } else { "." };
                let wanted = module_files(&f.file, lang, &format!("{module}{sep}{imported}"));
                defined_in(name, &|file: &str| file_matches(&wanted, file))
            }
            None => Vec::new(),
        },
        // Go: a function of the same package is any file of the same directory.
        (Language::Go, None) => {
            let dir = dir_of(&f.file);
            defined_in(name, &|file: &str| dir_of(file) == dir)
        }
        (Language::Go, Some(object)) => {
            if let Some(path) = f.go_imports.get(object) {
                // pkg.F(): a function of a directory whose path ends like the import path.
                let path = path.as_str();
                return defined_in(name, &|file: &str| {
                    let dir = dir_of(file);
                    !dir.is_empty() && (path == dir || path.ends_with(&format!("/{dir}")))
                        || path
                            .rsplit('/')
                            .next()
                            .is_some_and(|last| dir == last || dir.ends_with(&format!("/{last}")))
                });
            }
            // recv.M(): a method of the caller's receiver type, in the same package. The
            // receiver's variable name is not kept; any single identifier that is not an
            // import is taken as the receiver when the caller is a method.
            let simple = object.chars().all(|c| c.is_alphanumeric() || c == '_');
            match owner(caller) {
                Some(recv) if simple => {
                    let dir = dir_of(&f.file);
                    defined_in(&format!("{recv}.{name}"), &|file: &str| dir_of(file) == dir)
                }
                _ => Vec::new(),
            }
        }
        _ => Vec::new(),
    }
}

/// The files a Python module or a TS/JS specifier may name, relative to the root.
fn module_files(importer: &str, lang: Language, module: &str) -> Vec<String> {
    let dir = dir_of(importer);
    let join = |base: &str, rest: &str| {
        let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
        for seg in rest.split('/') {
            match seg {
                "" | "." => {}
                ".." => {
                    parts.pop();
                }
                s => parts.push(s),
            }
        }
        parts.join("/")
    };
    match lang {
        Language::Python => {
            let dots = module.chars().take_while(|&c| c == '.').count();
            let rest = module[dots..].replace('.', "/");
            let base = if dots == 0 {
                // Absolute: matched by suffix below (the package root is not known).
                String::new()
            } else {
                let mut b = dir.to_string();
                for _ in 1..dots {
                    b = dir_of(&b).to_string();
                }
                b
            };
            let stem = join(&base, &rest);
            let mut out = vec![format!("{stem}.py"), format!("{stem}/__init__.py")];
            if dots == 0 {
                // `billing.repository` from anywhere: any file ending in that path.
                out = out.into_iter().map(|s| format!("*/{s}")).collect();
                out.push(format!("{stem}.py"));
                out.push(format!("{stem}/__init__.py"));
            }
            out
        }
        _ => {
            if !module.starts_with('.') {
                return Vec::new();
            }
            let stem = join(dir, module);
            [
                "",
                ".ts",
                ".tsx",
                ".js",
                ".jsx",
                ".mts",
                "/index.ts",
                "/index.js",
            ]
            .iter()
            .map(|ext| format!("{stem}{ext}"))
            .collect()
        }
    }
}

/// Whether `file` is one of `wanted` (entries starting with `*/` match any prefix).
pub(crate) fn file_matches(wanted: &[String], file: &str) -> bool {
    wanted.iter().any(|w| match w.strip_prefix("*/") {
        Some(tail) => file == tail || file.ends_with(&format!("/{tail}")),
        None => w == file,
    })
}

fn read_facts(file: &SourceFile, max: u64) -> Result<FileFacts, (String, String)> {
    let mut facts = FileFacts {
        file: file.rel.clone(),
        language: Some(file.language),
        ..FileFacts::default()
    };
    if file.size > max {
        // The scan reports the file as too large; it has no findings to follow either.
        return Ok(facts);
    }
    let bytes =
        std::fs::read(&file.path).map_err(|e| (file.rel.clone(), format!("cannot read: {e}")))?;
    let Ok(decoded) = crate::extract::decode(&bytes) else {
        return Ok(facts);
    };
    let text: &str = &decoded.text;
    facts.off = off_defaults(&file.rel, text);
    let Some(grammar) = Grammar::for_file(file.language, &file.rel) else {
        return Ok(facts);
    };
    let Some((_, query)) = QUERIES.iter().find(|(g, _)| *g == grammar) else {
        return Ok(facts);
    };
    let Some(tree) = lang::parse(grammar, text) else {
        return Err((file.rel.clone(), "the parser gave up".to_string()));
    };
    let src = text.as_bytes();
    let names = query.capture_names();
    let mut cursor = QueryCursor::new();
    let mut matches = cursor.matches(query, tree.root_node(), src);
    let mut defs: Vec<(Node<'_>, String)> = Vec::new();
    let mut calls: Vec<(Node<'_>, Option<String>, String)> = Vec::new();
    while let Some(m) = matches.next() {
        let get = |want: &str| {
            m.captures()
                .iter()
                .find(|c| names[c.index as usize] == want)
                .map(|c| c.node)
        };
        let txt = |n: Node<'_>| n.utf8_text(src).unwrap_or("").to_string();
        if let (Some(def), Some(name)) = (get("def"), get("def.name")) {
            let mut name = txt(name)
                .trim_matches(|c| c == '"' || c == '\'')
                .to_string();
            if let Some(recv) = get("def.receiver") {
                let t = txt(recv);
                let t = t.trim_start_matches('*');
                let t = t.split('[').next().unwrap_or(t).trim();
                if !t.is_empty() {
                    name = format!("{t}.{name}");
                }
            }
            defs.push((def, name));
        } else if let (Some(call), Some(name)) = (get("call"), get("call.name")) {
            calls.push((call, get("call.object").map(txt), txt(name)));
        } else if let Some(module) = get("import.module") {
            let module = txt(module)
                .trim_matches(|c| c == '"' || c == '\'' || c == '`')
                .to_string();
            let alias = get("import.alias").map(txt);
            match get("import.name") {
                Some(n) => {
                    let n = txt(n);
                    facts
                        .imports
                        .insert(alias.unwrap_or_else(|| n.clone()), (module, n));
                }
                None => {
                    let last = module.rsplit('/').next().unwrap_or(&module).to_string();
                    facts.go_imports.insert(alias.unwrap_or(last), module);
                }
            }
        }
    }
    defs.sort_by_key(|(n, _)| (n.start_byte(), std::cmp::Reverse(n.end_byte())));
    defs.dedup_by_key(|(n, _)| (n.start_byte(), n.end_byte()));
    // Qualify by the enclosing classes and functions (Python, TS) the way the extractors do.
    // Defs are sorted outer first, so an enclosing def is qualified before what it holds.
    let index: HashMap<usize, usize> = defs
        .iter()
        .enumerate()
        .map(|(i, (n, _))| (n.id(), i))
        .collect();
    let mut qualified: Vec<String> = Vec::with_capacity(defs.len());
    for (node, name) in &defs {
        let q = qualify(*node, name, &index, &qualified, src, file.language);
        qualified.push(q);
    }
    for ((node, _), q) in defs.iter().zip(&qualified) {
        facts
            .defs
            .push((q.clone(), node.start_position().row as u32 + 1));
    }
    // The innermost definition around each call: one sweep over both, in source order, with
    // the stack of open definitions.
    calls.sort_by_key(|(n, _, _)| n.start_byte());
    let mut open: Vec<usize> = Vec::new();
    let mut next = 0;
    for (call, object, name) in calls {
        let at = call.start_byte();
        while next < defs.len() && defs[next].0.start_byte() <= at {
            while open
                .last()
                .is_some_and(|&top| defs[top].0.end_byte() <= defs[next].0.start_byte())
            {
                open.pop();
            }
            open.push(next);
            next += 1;
        }
        while open.last().is_some_and(|&top| defs[top].0.end_byte() <= at) {
            open.pop();
        }
        let caller = open.last().map(|&i| qualified[i].clone());
        facts
            .calls
            .push((caller, object, name, call.start_position().row as u32 + 1));
    }
    facts.calls.sort();
    facts.defs.sort();
    facts.defs.dedup();
    Ok(facts)
}

/// `Class.method`, `outer.inner`: the names of the classes and functions around `node`,
/// up to the nearest enclosing definition (already qualified in `done`).
fn qualify(
    node: Node<'_>,
    name: &str,
    index: &HashMap<usize, usize>,
    done: &[String],
    src: &[u8],
    language: Language,
) -> String {
    let mut parts = vec![name.to_string()];
    let mut cur = node.parent();
    while let Some(n) = cur {
        match n.kind() {
            "class_definition" | "class_declaration" | "abstract_class_declaration" | "class" => {
                if let Some(c) = n.field("name")
                    && let Ok(t) = c.utf8_text(src)
                {
                    parts.push(t.to_string());
                }
                // TS: a method is qualified by its class only (as the TS extractor does).
                if language != Language::Python {
                    break;
                }
            }
            _ if language == Language::Python => {
                if let Some(q) = index.get(&n.id()).and_then(|&i| done.get(i)) {
                    parts.push(q.clone());
                    break;
                }
            }
            _ => {}
        }
        cur = n.parent();
    }
    parts.reverse();
    parts.join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_call_query_compiles() {
        for (g, text) in [
            (Grammar::Python, PY_QUERY),
            (Grammar::Go, GO_QUERY),
            (Grammar::TypeScript, TS_QUERY),
            (Grammar::Tsx, TS_QUERY),
        ] {
            let q = Query::new(&g.language(), text);
            assert!(q.is_ok(), "{g:?}: {:?}", q.err());
        }
    }

    #[test]
    fn module_paths() {
        let py = module_files("svc/billing/app.py", Language::Python, ".repository");
        assert!(file_matches(&py, "svc/billing/repository.py"));
        let py = module_files(
            "svc/billing/app.py",
            Language::Python,
            "..billing.repository",
        );
        assert!(file_matches(&py, "svc/billing/repository.py"));
        let py = module_files("svc/billing/app.py", Language::Python, "billing.repository");
        assert!(file_matches(&py, "svc/billing/repository.py"));
        assert!(!file_matches(&py, "svc/other/repository.py"));
        let ts = module_files("a/src/x.ts", Language::TypeScript, "../lib/db");
        assert!(file_matches(&ts, "a/lib/db.ts"));
        assert!(module_files("a/x.ts", Language::TypeScript, "pg").is_empty());
    }
}
