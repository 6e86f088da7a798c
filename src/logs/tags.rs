//! Query tags: a logged statement in, the tags that name its origin out. Three conventions
//! put them in a comment: sqlcommenter (`/*application='billing',route='%2Forders'*/`,
//! usually trailing), Datadog's database monitoring propagation, which is sqlcommenter
//! syntax in a leading comment (`/*dddbs='shop-db',ddps='checkout'*/`), and Rails' marginalia
//! (`/*application:Shop,controller:orders,action:pay,line:app/x.rb:12:in 'pay'*/`). Only
//! the tags that name a service or a place in the code are kept, under one spelling:
//! per-request tags (`traceparent`) would make every request a client of its own.

/// Tags kept, after renaming (sorted).
pub const KEPT: &[&str] = &[
    "action",
    "application",
    "controller",
    "framework",
    "route",
    "service",
    "source_location",
];

/// The kept spelling of a tag key, if it is kept.
fn rename(key: &str) -> Option<&'static str> {
    Some(match key {
        "application" | "app" | "application_name" => "application",
        // Datadog: the service that sent the query (`ddps`, parent service).
        "service" | "ddps" => "service",
        "controller" => "controller",
        "action" => "action",
        "route" => "route",
        "framework" => "framework",
        // Rails query log tags, marginalia's `line`, and a plain `file` tag.
        "source_location" | "line" | "file" | "code_location" => "source_location",
        _ => return None,
    })
}

/// The kept tags of `sql`'s comments, sorted by key (the first value of a key wins).
pub fn extract(sql: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut push = |k: &str, v: String| {
        if let Some(k) = rename(k)
            && !v.is_empty()
            && !out.iter().any(|(o, _)| o == k)
        {
            let v = if k == "source_location" {
                source_location(&v)
            } else {
                v
            };
            out.push((k.to_string(), v));
        }
    };
    for (k, v) in crate::sql::comment_tags(sql) {
        push(&k, v);
    }
    for body in comments(sql) {
        if let Some(pairs) = marginalia(body) {
            for (k, v) in pairs {
                push(k, v.to_string());
            }
        }
    }
    out.sort();
    out
}

/// `path/to/file.rb:12:in 'method'` → `path/to/file.rb:12`; a bare path stays as it is.
fn source_location(v: &str) -> String {
    let v = v.trim();
    match v.find(":in ") {
        Some(p) => v[..p].to_string(),
        None => v.to_string(),
    }
}

/// Bodies of the `/* … */` comments of `sql` outside string literals.
fn comments(sql: &str) -> Vec<&str> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut quote: Option<u8> = None;
    while i < b.len() {
        match quote {
            Some(q) => {
                if b[i] == q {
                    quote = None;
                }
                i += 1;
            }
            None if b[i] == b'\'' || b[i] == b'"' => {
                quote = Some(b[i]);
                i += 1;
            }
            None if b[i] == b'/' && b.get(i + 1) == Some(&b'*') => {
                let end = sql[i + 2..].find("*/").map_or(b.len(), |p| i + 2 + p);
                out.push(&sql[i + 2..end]);
                i = end + 2;
            }
            None => i += 1,
        }
    }
    out
}

/// marginalia: `key:value` pairs separated by commas, every key a plain word.
fn marginalia(body: &str) -> Option<Vec<(&str, &str)>> {
    let body = body.trim();
    if body.contains('=') {
        return None;
    }
    let mut out = Vec::new();
    for part in body.split(',') {
        let (k, v) = part.split_once(':')?;
        let k = k.trim();
        if k.is_empty() || !k.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_') {
            return None;
        }
        out.push((k, v.trim()));
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(sql: &str) -> Vec<(String, String)> {
        extract(sql)
    }

    fn kv(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn kept_keys_are_sorted() {
        assert!(KEPT.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn sqlcommenter_datadog_and_marginalia() {
        assert_eq!(
            t(
                "UPDATE t SET a = 1 /*application='billing',route='%2Forders',traceparent='00-ab-cd-01',source_location='services%2Fb%2Frepo.py%3A22'*/"
            ),
            kv(&[
                ("application", "billing"),
                ("route", "/orders"),
                ("source_location", "services/b/repo.py:22")
            ])
        );
        assert_eq!(
            t("/*dddbs='shop-db',dde='prod',ddps='checkout',ddpv='1.4.2'*/ SELECT 1"),
            kv(&[("service", "checkout")])
        );
        assert_eq!(
            t(
                "SELECT 1 /*application:Shop,controller:orders,action:pay,line:app/controllers/orders_controller.rb:12:in `pay'*/"
            ),
            kv(&[
                ("action", "pay"),
                ("application", "Shop"),
                ("controller", "orders"),
                ("source_location", "app/controllers/orders_controller.rb:12")
            ])
        );
        // Ordinary comments and comment-like text in strings are not tags.
        assert!(t("SELECT '/*a:b*/' /* just a note */").is_empty());
        assert!(t("SELECT 1 /* TODO: fix, later */").is_empty());
    }
}
