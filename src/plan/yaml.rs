//! A small reader of block-style YAML, enough for the deployment files plan reads
//! (docker-compose, Kubernetes manifests, serverless.yml): maps, lists and scalars by
//! indentation, with the line of every key. Flow collections (`[a, b]`) and block scalars
//! (`|`, `>`) stay one scalar's text; anchors, tags and merges are not resolved. Helm
//! template lines (`{{ … }}` alone on a line) are skipped, so a chart's templates read as
//! their literal parts. Multi-document files split on `---`.

/// A YAML node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// Keys in file order, each with its 1-based line.
    Map(Vec<(String, u32, Node)>),
    List(Vec<Node>),
    Scalar(String),
}

impl Node {
    /// The value of `key` in a map.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(entries) => entries.iter().find(|(k, _, _)| k == key).map(|e| &e.2),
            _ => None,
        }
    }

    /// The line of `key` in a map.
    pub fn line_of(&self, key: &str) -> Option<u32> {
        match self {
            Node::Map(entries) => entries.iter().find(|(k, _, _)| k == key).map(|e| e.1),
            _ => None,
        }
    }

    /// Follow a path of keys.
    pub fn at(&self, path: &[&str]) -> Option<&Node> {
        path.iter().try_fold(self, |n, k| n.get(k))
    }

    pub fn str(&self) -> Option<&str> {
        match self {
            Node::Scalar(s) => Some(s),
            _ => None,
        }
    }

    pub fn entries(&self) -> &[(String, u32, Node)] {
        match self {
            Node::Map(e) => e,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Node] {
        match self {
            Node::List(v) => v,
            _ => &[],
        }
    }

    /// Every scalar below this node, joined with spaces (a command written as a list or a
    /// string reads the same).
    pub fn text(&self) -> String {
        match self {
            Node::Scalar(s) => s.clone(),
            Node::List(v) => v.iter().map(Node::text).collect::<Vec<_>>().join(" "),
            Node::Map(e) => e
                .iter()
                .map(|(k, _, n)| format!("{k} {}", n.text()))
                .collect::<Vec<_>>()
                .join(" "),
        }
    }
}

/// One line that holds content: indentation, text without comment, 1-based number.
#[derive(Debug, Clone)]
struct Line {
    indent: usize,
    text: String,
    number: u32,
}

/// The documents of a file, each with the line it starts on.
pub fn documents(text: &str) -> Vec<(u32, Node)> {
    let mut docs = Vec::new();
    let mut current: Vec<Line> = Vec::new();
    let mut start = 1;
    for (i, raw) in text.lines().enumerate() {
        let number = i as u32 + 1;
        if raw.trim_end() == "---" || raw.starts_with("--- ") {
            if !current.is_empty() {
                docs.push((start, parse(&current)));
            }
            current.clear();
            start = number + 1;
            continue;
        }
        let body = strip_comment(raw);
        let trimmed = body.trim();
        if trimmed.is_empty() || (trimmed.starts_with("{{") && trimmed.ends_with("}}")) {
            continue;
        }
        current.push(Line {
            indent: body.len() - body.trim_start().len(),
            text: trimmed.to_string(),
            number,
        });
    }
    if !current.is_empty() {
        docs.push((start, parse(&current)));
    }
    docs
}

/// A line without its trailing `# comment` (not inside quotes).
fn strip_comment(line: &str) -> &str {
    let mut quote = None;
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match (quote, b) {
            (None, b'"' | b'\'') => quote = Some(b),
            (Some(q), _) if q == b => quote = None,
            (None, b'#') if i == 0 || bytes[i - 1] == b' ' || bytes[i - 1] == b'\t' => {
                return &line[..i];
            }
            _ => {}
        }
    }
    line
}

fn parse(lines: &[Line]) -> Node {
    let mut lines = lines.to_vec();
    let indent = lines.first().map_or(0, |l| l.indent);
    let (node, _) = block(&mut lines, 0, indent);
    node
}

/// The block starting at `i` whose lines sit at `indent`.
fn block(lines: &mut [Line], i: usize, indent: usize) -> (Node, usize) {
    if lines.get(i).is_some_and(|l| is_item(&l.text)) {
        list(lines, i, indent)
    } else {
        map(lines, i, indent)
    }
}

fn is_item(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

fn list(lines: &mut [Line], mut i: usize, indent: usize) -> (Node, usize) {
    let mut items = Vec::new();
    while i < lines.len() && lines[i].indent == indent && is_item(&lines[i].text) {
        let rest = lines[i].text[1..].trim_start().to_string();
        if rest.is_empty() {
            i += 1;
            match lines.get(i) {
                Some(next) if next.indent > indent => {
                    let (n, j) = block(lines, i, next.indent);
                    items.push(n);
                    i = j;
                }
                _ => items.push(Node::Scalar(String::new())),
            }
            continue;
        }
        // `- key: value` opens a map whose keys sit where `key` starts.
        let inner = indent + (lines[i].text.len() - rest.len());
        if split_key(&rest).is_some() {
            lines[i].indent = inner;
            lines[i].text = rest;
            let (n, j) = map(lines, i, inner);
            items.push(n);
            i = j;
        } else {
            items.push(Node::Scalar(unquote(&rest)));
            i += 1;
        }
    }
    (Node::List(items), i)
}

fn map(lines: &mut [Line], mut i: usize, indent: usize) -> (Node, usize) {
    let mut entries = Vec::new();
    while i < lines.len() && lines[i].indent == indent && !is_item(&lines[i].text) {
        let number = lines[i].number;
        let Some((key, value)) = split_key(&lines[i].text) else {
            i += 1;
            continue;
        };
        i += 1;
        let node =
            if value == "|" || value == ">" || value.starts_with("|-") || value.starts_with(">-") {
                let mut text = Vec::new();
                while i < lines.len() && lines[i].indent > indent {
                    text.push(lines[i].text.clone());
                    i += 1;
                }
                Node::Scalar(text.join("\n"))
            } else if !value.is_empty() {
                Node::Scalar(unquote(&value))
            } else {
                match lines.get(i) {
                    Some(next)
                        if next.indent > indent
                            || (next.indent == indent && is_item(&next.text)) =>
                    {
                        let (n, j) = block(lines, i, next.indent);
                        i = j;
                        n
                    }
                    _ => Node::Scalar(String::new()),
                }
            };
        entries.push((key, number, node));
    }
    // Lines deeper than expected without a key to hang on: skip them.
    while i < lines.len() && lines[i].indent > indent {
        i += 1;
    }
    (Node::Map(entries), i)
}

/// `key: value` (value may be empty); `None` for a line that is not a key.
fn split_key(text: &str) -> Option<(String, String)> {
    let (key, value) = if let Some(k) = text.strip_suffix(':') {
        (k, "")
    } else {
        let at = text.find(": ")?;
        (&text[..at], &text[at + 2..])
    };
    let key = unquote(key.trim());
    if key.is_empty() || key.contains(' ') && !text.starts_with(['"', '\'']) {
        return None;
    }
    Some((key, value.trim().to_string()))
}

fn unquote(s: &str) -> String {
    let s = s.trim();
    for q in ['"', '\''] {
        if s.len() >= 2 && s.starts_with(q) && s.ends_with(q) {
            return s[1..s.len() - 1].to_string();
        }
    }
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compose_and_kubernetes_shapes() {
        let text = "services:\n  api:\n    build:\n      context: ..\n      dockerfile: api/Dockerfile # the community API\n    ports:\n      - \"8080:8080\"\n  db:\n    image: postgres:16\n---\nkind: CronJob\nmetadata:\n  name: reconcile\nspec:\n  schedule: \"*/5 * * * *\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n            - name: reconcile\n              image: acme/backend:1.2\n              command: [\"/bin/reconcile\", \"--all\"]\n";
        let docs = documents(text);
        assert_eq!(docs.len(), 2);
        let compose = &docs[0].1;
        assert_eq!(
            compose
                .at(&["services", "api", "build", "dockerfile"])
                .and_then(Node::str),
            Some("api/Dockerfile")
        );
        assert_eq!(
            compose.at(&["services", "api", "ports"]).map(Node::text),
            Some("8080:8080".to_string())
        );
        assert_eq!(compose.get("services").unwrap().line_of("db"), Some(8));
        let cron = &docs[1].1;
        assert_eq!(docs[1].0, 11);
        assert_eq!(cron.get("kind").and_then(Node::str), Some("CronJob"));
        let containers = cron
            .at(&[
                "spec",
                "jobTemplate",
                "spec",
                "template",
                "spec",
                "containers",
            ])
            .unwrap();
        assert_eq!(
            containers.items()[0].get("image").and_then(Node::str),
            Some("acme/backend:1.2")
        );
        assert_eq!(
            cron.at(&["spec", "schedule"]).and_then(Node::str),
            Some("*/5 * * * *")
        );
    }

    #[test]
    fn lists_at_the_key_indent_and_helm_lines() {
        let text = "containers:\n- name: a\n  image: x\n{{- if .Values.b }}\n- name: b\n  args:\n  - run\n{{- end }}\n";
        let doc = &documents(text)[0].1;
        let items = doc.get("containers").unwrap().items();
        assert_eq!(items.len(), 2);
        assert_eq!(items[1].get("args").map(Node::text), Some("run".into()));
    }
}
