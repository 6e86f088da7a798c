//! Pass 2's byte check for model names: does a file use a legacy model (or its manager, or a
//! parent that cascades into it) where the language can use it as that model? A model name
//! is often a common word (`Order`, `User`, a Prisma accessor `order`), so a bare substring
//! test sends thousands of files to the parser for `OrderLine`, `reorder` or a comment.
//!
//! A use is a whole-word occurrence, outside a whole-line comment, followed by code rather
//! than by prose: punctuation or the end of the line (`Order.objects`, `Order(`, `: Order`,
//! `Promise<Order>`, `[]Order{`, `"Order"` in `get_model("shop", "Order")`, `import Order`),
//! or one of the few words that may follow a type in code (`Order as O`, `T extends Order`).
//! Anything else — `Order history is kept` — is prose. The check errs towards parsing: a
//! docstring saying `the Order.` still counts.
//!
//! Some words count only with a companion word elsewhere in the file (`ModelWord`): a
//! Python parent model reaches a legacy table only where the file follows the relation or
//! deletes.

use crate::model::Language;
use crate::orm::ModelWord;
use aho_corasick::{AhoCorasick, MatchKind};
use memchr::memmem;

/// The names of legacy models, matched where code can use them.
#[derive(Debug, Clone)]
pub struct ModelNames {
    matcher: AhoCorasick,
    /// Per pattern: the words one of which must also be in the file (none: always).
    companions: Vec<Vec<memmem::Finder<'static>>>,
}

/// Words that may follow a type name in code.
const CODE_WORDS: [&[u8]; 4] = [b"as", b"extends", b"implements", b"satisfies"];

impl ModelNames {
    /// `None` when there are no names (or they cannot be compiled, which makes every file a
    /// candidate through the caller's fallback).
    pub fn new(words: &[ModelWord]) -> Option<ModelNames> {
        if words.is_empty() {
            return None;
        }
        let matcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(words.iter().map(|w| &w.word))
            .ok()?;
        let companions = words
            .iter()
            .map(|w| {
                w.companions
                    .iter()
                    .map(|c| memmem::Finder::new(c.as_bytes()).into_owned())
                    .collect()
            })
            .collect();
        Some(ModelNames {
            matcher,
            companions,
        })
    }

    /// Whether `text` mentions a name anywhere, as a substring (for SQL text and other
    /// places where a name is data, not code).
    pub fn mentioned(&self, text: &[u8]) -> bool {
        self.matcher.is_match(text)
    }

    /// Whether `text`, written in `language`, uses a name as code.
    pub fn used(&self, text: &[u8], language: Language) -> bool {
        // Whether each pattern's companions are in the text, searched once per pattern.
        let mut companion: Vec<Option<bool>> = vec![None; self.companions.len()];
        self.matcher.find_iter(text).any(|m| {
            let i = m.pattern().as_usize();
            is_code_use(text, m.start(), m.end(), language)
                && *companion[i].get_or_insert_with(|| {
                    let words = &self.companions[i];
                    words.is_empty() || words.iter().any(|c| c.find(text).is_some())
                })
        })
    }
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

fn is_code_use(text: &[u8], start: usize, end: usize, language: Language) -> bool {
    let whole_word =
        (start == 0 || !is_ident(text[start - 1])) && text.get(end).is_none_or(|&b| !is_ident(b));
    whole_word && !in_line_comment(text, start, language) && followed_by_code(&text[end..])
}

/// Whether the line holding `at` is a comment line (its first token a comment marker).
fn in_line_comment(text: &[u8], at: usize, language: Language) -> bool {
    let line_start = memchr::memrchr(b'\n', &text[..at]).map_or(0, |i| i + 1);
    let line = &text[line_start..at];
    let Some(first) = line.iter().position(|b| !b" \t".contains(b)) else {
        return false;
    };
    let rest = &line[first..];
    match language {
        Language::Python => rest.starts_with(b"#"),
        Language::Go | Language::TypeScript | Language::JavaScript => {
            rest.starts_with(b"//")
                || rest.starts_with(b"/*")
                || rest.starts_with(b"* ")
                || rest.starts_with(b"*/")
        }
        Language::Sql => rest.starts_with(b"--"),
    }
}

/// Whether what follows a name reads as code: punctuation, the end of the line, or a word
/// code puts after a type.
fn followed_by_code(after: &[u8]) -> bool {
    let next = after.iter().position(|b| !b" \t".contains(b));
    let Some(i) = next else {
        return true;
    };
    let b = after[i];
    if b == b'\n' || b == b'\r' || !b.is_ascii_alphanumeric() {
        return true;
    }
    let word_end = after[i..]
        .iter()
        .position(|&c| !is_ident(c))
        .map_or(after.len(), |n| i + n);
    CODE_WORDS.contains(&&after[i..word_end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn used(names: &[&str], text: &str, language: Language) -> bool {
        let names: Vec<ModelWord> = names
            .iter()
            .map(|s| ModelWord {
                word: s.to_string(),
                companions: Vec::new(),
            })
            .collect();
        ModelNames::new(&names)
            .unwrap()
            .used(text.as_bytes(), language)
    }

    #[test]
    fn code_uses_count() {
        let py = Language::Python;
        for text in [
            "Order.objects.filter(x=1)",
            "from shop.models import Order\n",
            "from shop.models import Order, Line",
            "def f(o: Order) -> Order:",
            "Model = apps.get_model('shop', 'Order')",
            "isinstance(x, Order)",
            "items: Mapped[list[\"Order\"]]",
            "from shop.models import Order as LegacyOrder",
        ] {
            assert!(used(&["Order"], text, py), "{text}");
        }
        let ts = Language::TypeScript;
        for text in [
            "const r: Repository<Order> = x",
            "async find(): Promise<Order[]> {",
            "await prisma.order.create({})",
            "class A<T extends Order> {}",
            "getRepository(Order)",
        ] {
            assert!(used(&["Order", "order"], text, ts), "{text}");
        }
        let go = Language::Go;
        for text in [
            "var orders []Order\n",
            "db.Model(&Order{}).Where(\"x\")",
            "func (r *Repo) Get() (*Order, error) {",
            "\tOrder Order `gorm:\"foreignKey:ID\"`",
        ] {
            assert!(used(&["Order"], text, go), "{text}");
        }
    }

    #[test]
    fn mentions_that_are_not_uses_do_not() {
        let py = Language::Python;
        for text in [
            "OrderLine.objects.all()",
            "def reorder(): pass",
            "# Order is the legacy model\nx = 1",
            "\"\"\"Order history is kept for a year.\"\"\"",
            "subtotal = OrderTotal(1)",
        ] {
            assert!(!used(&["Order"], text, py), "{text}");
        }
        let ts = Language::TypeScript;
        for text in [
            "// Order must be migrated\nconst x = 1",
            " * Order history is kept\n",
            "const orderLines = []",
        ] {
            assert!(!used(&["Order", "order"], text, ts), "{text}");
        }
    }

    #[test]
    fn a_longer_model_name_wins_over_its_prefix() {
        assert!(used(
            &["Order", "OrderLine"],
            "OrderLine.objects.all()",
            Language::Python
        ));
    }

    #[test]
    fn a_parent_counts_only_with_a_companion() {
        let words = [
            ModelWord {
                word: "Order".into(),
                companions: Vec::new(),
            },
            ModelWord {
                word: "User".into(),
                companions: vec!["orders".into(), "delete".into()],
            },
        ];
        let names = ModelNames::new(&words).unwrap();
        let used = |text: &str| names.used(text.as_bytes(), Language::Python);
        assert!(!used("def profile(user: User):\n    return user.email\n"));
        assert!(used(
            "def history(user: User):\n    return user.orders.all()\n"
        ));
        assert!(used("User.objects.filter(pk=1).delete()\n"));
        // The companion does not make a mention in a comment a use.
        assert!(!used("# User orders\nx = 1\n"));
        assert!(used("# see the User\nOrder.objects.all()\n"));
    }
}
