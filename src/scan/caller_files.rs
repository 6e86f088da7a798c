//! Which files the callers pass parses: those that can hold a call reaching one of the
//! callees. A byte search before any parsing, shaped by how the call graph resolves calls
//! (`dualwrite::callgraph::resolve`), so it drops only files whose calls could not resolve
//! to the callee anyway:
//! - a callee matched by name (a named query, a `[[wrappers]]` function): any file that
//!   spells the name;
//! - a function found writing, defined in a class or on a Go receiver (`Order.save`,
//!   `Store.Delete`): only its own file (`self.save()`), or its own Go package;
//! - a module-level function: its own file (and Go package), and the files of the same
//!   language family that spell both its name and the module that holds it (`actions` of
//!   `order/actions.py`, the package `order` of `order/__init__.py`, the Go import path's
//!   last segment), or sit under the package it is the `__init__`/`index` of (`from . import f`).

use crate::config::ScanConfig;
use crate::dualwrite::callgraph::{FnId, family};
use crate::model::Language;
use crate::scan::discover::SourceFile;
use aho_corasick::AhoCorasick;
use memchr::memmem;
use rayon::prelude::*;
use std::collections::BTreeMap;

/// A name to look for, and where a file spelling it can hold a call that reaches the callee.
pub struct Wanted<'a> {
    pub name: &'a str,
    pub reach: Reach<'a>,
}

pub enum Reach<'a> {
    /// Matched by name: any file.
    Anywhere,
    /// Resolved by the call graph: the writer's function and language.
    Writer { id: &'a FnId, language: Language },
}

/// Where a writer's resolved callers can be.
struct Scope {
    file: String,
    dir: String,
    family: u8,
    go: bool,
    /// Defined in a class or on a receiver: not importable on its own.
    method: bool,
    /// The `__init__.py`/`index.ts` of its directory: files below may import it relatively.
    package: bool,
    /// How an importer spells the module (file stem, or the package's directory name).
    module: memmem::Finder<'static>,
}

impl Scope {
    fn of(id: &FnId, language: Language) -> Scope {
        let (file, function) = (id.0.as_str(), id.1.as_deref().unwrap_or(""));
        let (dir, base) = file.rsplit_once('/').unwrap_or(("", file));
        let stem = base.split('.').next().unwrap_or(base);
        let package = matches!(stem, "__init__" | "index");
        let dir_name = dir.rsplit('/').next().unwrap_or(dir);
        let module = if package || language == Language::Go {
            dir_name
        } else {
            stem
        };
        Scope {
            file: file.to_string(),
            dir: dir.to_string(),
            family: family(language),
            go: language == Language::Go,
            method: function.contains('.'),
            package,
            module: memmem::Finder::new(module.as_bytes()).into_owned(),
        }
    }

    /// Whether `file`, which spells the callee's name, can call it.
    fn reaches(&self, file: &SourceFile, bytes: &[u8]) -> bool {
        if file.rel == self.file {
            return true;
        }
        if family(file.language) != self.family {
            return false;
        }
        let dir = file.rel.rsplit_once('/').map_or("", |(d, _)| d);
        if self.go && dir == self.dir {
            return true;
        }
        if self.method {
            return false;
        }
        let below = self.dir.is_empty()
            || dir
                .strip_prefix(self.dir.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
        (self.package && !self.go && below) || self.module.find(bytes).is_some()
    }
}

/// The code files that can hold a call of one of `wanted`, sorted by path. Files the scan
/// does not parse (too large, a minified line) are not parsed here either.
pub fn files_calling(
    files: &[SourceFile],
    wanted: &[Wanted<'_>],
    scan: &ScanConfig,
) -> Vec<SourceFile> {
    // One pattern per distinct name; each holds the reaches of every callee so named.
    let mut by_name: BTreeMap<&str, Vec<Option<Scope>>> = BTreeMap::new();
    for w in wanted {
        by_name.entry(w.name).or_default().push(match w.reach {
            Reach::Anywhere => None,
            Reach::Writer { id, language } => Some(Scope::of(id, language)),
        });
    }
    let (names, scopes): (Vec<&str>, Vec<Vec<Option<Scope>>>) = by_name.into_iter().unzip();
    let Ok(names) = AhoCorasick::new(names) else {
        return Vec::new();
    };
    let mut kept: Vec<SourceFile> = files
        .par_iter()
        .filter(|f| f.language != Language::Sql && f.size <= scan.max_file_size)
        .filter(|f| {
            std::fs::read(&f.path).is_ok_and(|bytes| {
                spells_reachable(f, &bytes, &names, &scopes)
                    && crate::extract::line_over(&bytes, scan.max_line_length).is_none()
            })
        })
        .cloned()
        .collect();
    kept.sort_by(|a, b| a.rel.cmp(&b.rel));
    kept
}

/// Whether the name at `start..end` is spelled as a callee in a file of `language`: not
/// the tail of a longer identifier, and followed (past blanks) by the arguments, or by what
/// may stand between the name and them (type arguments `f<T>(` in TS, `F[T](` in Go, a
/// tagged template `` f`…` ``, `f?.(`), or renamed by an import (`f as g`, whose calls
/// spell `g`). A pattern that ends in `(` is a call already.
fn spelled_as_call(bytes: &[u8], start: usize, end: usize, language: Language) -> bool {
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$';
    if start > 0 && ident(bytes[start - 1]) {
        return false;
    }
    if end > start && bytes[end - 1] == b'(' {
        return true;
    }
    let rest = &bytes[end..];
    let blanks = rest
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\\'))
        .count();
    let rest = &rest[blanks..];
    let Some(&next) = rest.first() else {
        return false;
    };
    let typescript = matches!(language, Language::TypeScript | Language::JavaScript);
    match next {
        b'(' => true,
        b'[' => language == Language::Go,
        b'<' | b'`' | b'?' => typescript,
        b'a' => blanks > 0 && rest.starts_with(b"as") && rest.get(2).is_some_and(|b| !ident(*b)),
        _ => false,
    }
}

/// Whether `bytes` spell a name whose callee `file` can reach.
fn spells_reachable(
    file: &SourceFile,
    bytes: &[u8],
    names: &AhoCorasick,
    scopes: &[Vec<Option<Scope>>],
) -> bool {
    let mut seen = vec![false; scopes.len()];
    for m in names.find_overlapping_iter(bytes) {
        let i = m.pattern().as_usize();
        if seen[i] || !spelled_as_call(bytes, m.start(), m.end(), file.language) {
            continue;
        }
        seen[i] = true;
        let reached = scopes[i].iter().any(|s| match s {
            None => true,
            Some(scope) => scope.reaches(file, bytes),
        });
        if reached {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, name: &str) -> bool {
        let language = if text.contains("await") || text.contains("import {") {
            Language::TypeScript
        } else if text.contains("ctx") {
            Language::Go
        } else {
            Language::Python
        };
        let start = text.find(name).unwrap_or(0);
        spelled_as_call(text.as_bytes(), start, start + name.len(), language)
    }

    #[test]
    fn a_name_counts_where_it_is_called_or_renamed() {
        assert!(at("x = cancel_order(o)", "cancel_order"));
        assert!(at("await repo.cancelOrder<T>(o)", "cancelOrder"));
        assert!(at("q.Cancel[T](ctx)", "Cancel"));
        assert!(at(
            "from .actions import cancel_order as cancel",
            "cancel_order"
        ));
        assert!(at(
            "import { cancelOrder as cancel } from './a'",
            "cancelOrder"
        ));
        assert!(at("getattr(queries, name)", "getattr("));
        assert!(!at("def test(product):\n    product.name", "product"));
        assert!(!at("x = update_product(p)", "product"));
        assert!(!at("from .fixtures import product_assigned", "product"));
        assert!(!at("cancel_order = None", "cancel_order"));
        assert!(!at("first = orders[0]", "orders"));
        assert!(!at("if orders < 3: pass", "orders"));
    }

    fn file(rel: &str, language: Language) -> SourceFile {
        SourceFile {
            path: rel.into(),
            rel: rel.to_string(),
            language,
            size: 0,
        }
    }

    #[test]
    fn a_writer_is_reached_only_where_its_calls_can_resolve() {
        let function = |f: &str, name: &str| (f.to_string(), Some(name.to_string()));
        let py = |rel: &str| file(rel, Language::Python);
        let method = function("shop/order/models.py", "Order.save");
        let scope = Scope::of(&method, Language::Python);
        assert!(scope.reaches(&py("shop/order/models.py"), b""));
        assert!(!scope.reaches(&py("shop/order/views.py"), b"from .models import Order"));

        let top = function("shop/order/actions.py", "cancel_order");
        let scope = Scope::of(&top, Language::Python);
        assert!(scope.reaches(&py("shop/api.py"), b"from shop.order.actions import x"));
        assert!(!scope.reaches(&py("shop/api.py"), b"from shop.order.utils import x"));
        assert!(!scope.reaches(&file("web/a.ts", Language::TypeScript), b"actions"));

        let package = function("shop/order/__init__.py", "cancel_order");
        let scope = Scope::of(&package, Language::Python);
        assert!(scope.reaches(&py("shop/order/sub/views.py"), b"from .. import x"));
        assert!(scope.reaches(&py("shop/api.py"), b"from shop.order import x"));
        assert!(!scope.reaches(&py("shop/api.py"), b"from shop.cart import x"));

        let go = function("internal/store/orders.go", "Store.Delete");
        let scope = Scope::of(&go, Language::Go);
        assert!(scope.reaches(&file("internal/store/tx.go", Language::Go), b""));
        assert!(!scope.reaches(&file("cmd/main.go", Language::Go), b"store"));
        let go = function("internal/store/orders.go", "DeleteOrder");
        let scope = Scope::of(&go, Language::Go);
        assert!(scope.reaches(&file("cmd/main.go", Language::Go), b"\"x/internal/store\""));
    }
}
