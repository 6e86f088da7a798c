//! The string evaluator of every code extractor: the value of an expression built from
//! literals (concatenation, templates and format calls, joins, names bound to constants),
//! as SQL text with a map back to the file (`sql_text::Assembled`) and markers where an
//! expression is only known at run time. `Evaluator` owns recursion, limits, `+` chains,
//! placeholders and joins; each language gives its leaves through `Syntax` (which node is
//! a literal, a name, a call of its own) in `python.rs`, `go.rs` and `typescript.rs`.
//! Also here: the placeholders of templates (`%`, `.format`, `fmt.Sprintf`) and escape
//! sequences. Output: `Value`s that `sql_text::sql_findings` turns into findings.

use super::sql_text::Assembled;
use super::{FileInput, FileScan, LineIndex};
use crate::lang::Field as _;
use crate::model::{Problem, SkipReason};
use tree_sitter::Node;

/// A string computed from source: SQL text with its map back to the file, and the start
/// offsets of the literal nodes it was built from (so that a literal that reached a sink is
/// not reported a second time on its own).
#[derive(Debug, Clone, Default)]
pub struct Value {
    pub sql: Assembled,
    pub literals: Vec<usize>,
    /// Holds text of its own, not only expressions spliced in. Languages whose `+` and
    /// joins keep only text (`Syntax::joins`: TypeScript) read it; it travels with `append`.
    pub text: bool,
    /// Built by a SQL tag or helper (sql`…`, `sql.identifier(…)`): spliced as SQL text
    /// into an enclosing tagged template, where other interpolations are bound values.
    pub fragment: bool,
}

impl Value {
    pub fn append(&mut self, other: &Value) {
        self.sql.append(&other.sql);
        self.literals.extend_from_slice(&other.literals);
        self.text |= other.text;
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

/// Limits that keep evaluation linear-ish on hostile input: nesting depth (recursion), total
/// steps per file, and the size of a computed value (`q = q + q` doubling).
#[derive(Debug)]
pub struct Budget {
    steps: usize,
    /// Offset of the expression at which the budget ran out, reported once.
    pub exhausted_at: Option<usize>,
    /// Offset of the first expression nested deeper than `MAX_DEPTH` (not evaluated),
    /// reported once (`too_complex`): a deep concatenation must not vanish silently.
    pub deep_at: Option<usize>,
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
            deep_at: None,
        }
    }

    /// A budget of `steps` steps (TypeScript gives each reading of a root its own).
    pub fn steps(steps: usize) -> Budget {
        Budget {
            steps,
            exhausted_at: None,
            deep_at: None,
        }
    }

    /// Take one step at `offset`; `false` when nothing may be evaluated any more.
    pub fn step(&mut self, depth: usize, offset: usize) -> bool {
        if depth > MAX_DEPTH {
            self.deep_at.get_or_insert(offset);
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

/// The problem for an expression nested deeper than `MAX_DEPTH` at `at`, when its line
/// names a legacy table and no SQL on that line was found all the same (a literal inside
/// it, read on its own).
pub fn too_deep_problem(
    file: &FileInput<'_>,
    index: &LineIndex,
    at: usize,
    out: &FileScan,
) -> Option<Problem> {
    let line = index.position(file.text, at).0;
    if out.findings.iter().any(|f| f.line == line) {
        return None;
    }
    // Only where SQL of a legacy table may be lost: its line names one.
    let bytes = file.text.as_bytes();
    let start = memchr::memrchr(b'\n', &bytes[..at]).map_or(0, |i| i + 1);
    let end = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |i| at + i);
    if !file.ctx.may_match(&bytes[start..end]) {
        return None;
    }
    Some(Problem {
        file: file.rel.to_string(),
        line: Some(line),
        reason: SkipReason::TooComplex,
        detail: format!(
            "an expression nested more than {MAX_DEPTH} levels deep (parentheses, \
             concatenations) was not evaluated: SQL built inside it is not reported"
        ),
    })
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
        literals: template.literals.clone(),
        ..Value::default()
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

/// What an expression node is to the evaluator (`Syntax::shape`).
pub enum Shape<'t> {
    /// A string or template literal, decoded by the language (`Syntax::literal`).
    Literal,
    /// Parentheses, `await`, a type assertion: the value of the expression inside.
    Inner(Node<'t>),
    /// A `+` chain (`Syntax::operands`).
    Concat,
    /// A name, read where it is used (`Syntax::name`).
    Name,
    /// What only the language knows: format calls, joins, `%`, attributes, tags, ternaries
    /// (`Syntax::form`).
    Form,
    /// Not a string the evaluator follows.
    Opaque,
}

/// One language's leaves of the string evaluator: which node is what, how its literals
/// decode, how its names are read and what its own forms mean. `Evaluator` does the rest
/// (nesting and budget limits, `+` chains, templates, joins, what an operand it cannot
/// follow becomes), the same way for every language.
pub trait Syntax<'t>: Sized {
    /// Longer values end the evaluation of the file (`Budget::exhausted_at`).
    const MAX_TEXT: usize;

    /// Whether the evaluator logs every literal it reads, kept in a value or not
    /// (`take_read`). Off, a value still knows its own literals (`Value::literals`); the
    /// log would grow with the file's whole budget for nothing.
    const LOGS_READS: bool = false;

    fn shape(&self, node: Node<'t>) -> Shape<'t>;

    /// The operands of a `+` chain, in order (`None`: not a string concatenation).
    fn operands(&self, node: Node<'t>) -> Option<Vec<Node<'t>>>;

    fn literal(ev: &mut Evaluator<'t, Self>, node: Node<'t>, depth: usize) -> Option<Value>;

    fn name(ev: &mut Evaluator<'t, Self>, node: Node<'t>, depth: usize) -> Option<Value>;

    fn form(ev: &mut Evaluator<'t, Self>, node: Node<'t>, depth: usize) -> Option<Value>;

    /// Whether an operand's value joins a `+` chain or a list as it is; otherwise the
    /// operand is shown as the expression it is (`${expr}`).
    fn joins(_value: &Value) -> bool {
        true
    }
}

/// The string evaluator: the value of an expression, when it is built from literals.
/// Recursion is bounded by depth and by a step budget, so hostile input (10,000 nested
/// parentheses, `q = q + q` doubling) neither overflows the stack nor runs long.
pub struct Evaluator<'t, S> {
    pub src: &'t str,
    pub syntax: S,
    pub budget: Budget,
    /// Start offsets of every literal read since the last `take_read`, whether or not its
    /// value was kept (`Syntax::LOGS_READS`: TypeScript marks them all as seen).
    read: Vec<usize>,
}

impl<'t, S: Syntax<'t>> Evaluator<'t, S> {
    pub fn new(src: &'t str, syntax: S, budget: Budget) -> Evaluator<'t, S> {
        Evaluator {
            src,
            syntax,
            budget,
            read: Vec::new(),
        }
    }

    pub fn text(&self, node: Node<'_>) -> &'t str {
        self.src.get(node.byte_range()).unwrap_or("")
    }

    /// The string value of an expression, or `None` when it is not a string we can follow.
    pub fn eval(&mut self, node: Node<'t>, depth: usize) -> Option<Value> {
        if !self.budget.step(depth, node.start_byte()) {
            return None;
        }
        let value = match self.syntax.shape(node) {
            Shape::Literal => S::literal(self, node, depth),
            Shape::Inner(inner) => self.eval(inner, depth + 1),
            Shape::Concat => self.concat(node, depth),
            Shape::Name => S::name(self, node, depth),
            Shape::Form => S::form(self, node, depth),
            Shape::Opaque => None,
        }?;
        if value.sql.text.len() > S::MAX_TEXT {
            self.budget.exhausted_at.get_or_insert(node.start_byte());
            return None;
        }
        Some(value)
    }

    /// The empty value of a literal starting at `offset`, which it remembers.
    pub fn literal_at(&mut self, offset: usize) -> Value {
        if S::LOGS_READS {
            self.read.push(offset);
        }
        Value {
            literals: vec![offset],
            ..Value::default()
        }
    }

    /// The literals read since the last call.
    pub fn take_read(&mut self) -> Vec<usize> {
        std::mem::take(&mut self.read)
    }

    /// How many literals have been read, to `forget_read` those of a reading dropped.
    pub fn read_mark(&self) -> usize {
        self.read.len()
    }

    pub fn forget_read(&mut self, mark: usize) {
        self.read.truncate(mark);
    }

    /// `a + b + c`: `None` when no operand joins (numeric addition).
    fn concat(&mut self, node: Node<'t>, depth: usize) -> Option<Value> {
        let operands = self.syntax.operands(node)?;
        let mut out = Value::default();
        let mut joined = false;
        for operand in operands {
            joined |= self.operand(&mut out, operand, depth);
        }
        joined.then_some(out)
    }

    /// Append the value of `node` to `out` when it joins (`Syntax::joins`), else a marker
    /// showing the expression. Whether it joined.
    pub fn operand(&mut self, out: &mut Value, node: Node<'t>, depth: usize) -> bool {
        match self.eval(node, depth + 1) {
            Some(v) if S::joins(&v) => {
                out.append(&v);
                true
            }
            _ => {
                out.push_interpolation(self.text(node), node.start_byte());
                false
            }
        }
    }

    /// Fill a placeholder with `arg`: a known constant is inlined (its text becomes part of
    /// the SQL), anything else becomes a marker showing the expression; with no argument,
    /// a marker showing the placeholder `written` at `offset`.
    pub fn fill(
        &mut self,
        out: &mut Value,
        arg: Option<Node<'t>>,
        (written, offset): (&str, usize),
        depth: usize,
    ) {
        match arg {
            Some(a) => match self.eval(a, depth + 1) {
                Some(v) if v.is_constant() => out.append(&v),
                _ => out.push_interpolation(self.text(a), a.start_byte()),
            },
            None => out.push_interpolation(written, offset),
        }
    }

    /// Fill the `specs` of `template` from positional and keyword arguments.
    pub fn fill_template(
        &mut self,
        template: &Value,
        specs: &[Spec],
        positional: &[Node<'t>],
        keywords: &[(String, Node<'t>)],
        depth: usize,
    ) -> Value {
        substitute(template, specs, |spec, out| {
            let arg = match &spec.arg {
                SpecArg::Index(n) => positional.get(*n).copied(),
                SpecArg::Name(name) => keywords.iter().find(|(k, _)| k == name).map(|(_, v)| *v),
                SpecArg::Text(_) => None,
            };
            let written = template.sql.text.get(spec.range.clone()).unwrap_or("");
            let offset = template.sql.source_offset(spec.range.start).unwrap_or(0);
            self.fill(out, arg, (written, offset), depth);
        })
    }

    /// `schema.table` from parts that are all constants (psycopg `sql.Identifier`, pgx
    /// `Identifier`), else `None`.
    pub fn dotted(&mut self, parts: &[Node<'t>], depth: usize) -> Option<Value> {
        let mut out = Value::default();
        for (i, part) in parts.iter().enumerate() {
            let v = self.eval(*part, depth + 1).filter(Value::is_constant)?;
            if i > 0 {
                out.sql.push_synthetic(".");
            }
            out.append(&v);
        }
        Some(out)
    }

    /// `sep.join(items)`: each item's value (or a marker) with `sep`'s text between them.
    pub fn join(&mut self, items: Vec<Node<'t>>, sep: &Value, depth: usize) -> Value {
        let mut out = Value::default();
        out.literals.extend(sep.literals.iter().copied());
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                out.sql.push_synthetic(&sep.sql.text);
            }
            self.operand(&mut out, item, depth);
        }
        out
    }
}

/// The operands of a left-nested chain of `is_link` nodes (`a + b + c` is `(a + b) + c`),
/// in order, found with a loop: long concatenations are common in SQL builders.
pub fn left_spine<'t>(node: Node<'t>, is_link: impl Fn(Node<'t>) -> bool) -> Vec<Node<'t>> {
    let mut operands = Vec::new();
    let mut cur = node;
    loop {
        if !is_link(cur) {
            operands.push(cur);
            break;
        }
        if let Some(right) = cur.field("right") {
            operands.push(right);
        }
        match cur.field("left") {
            Some(left) => cur = left,
            None => break,
        }
    }
    operands.reverse();
    operands
}

/// A call the language's query found.
pub struct Call<'t> {
    pub node: Node<'t>,
    pub callee: Node<'t>,
    pub args: Node<'t>,
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
}
