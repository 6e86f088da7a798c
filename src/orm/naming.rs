//! Naming conventions that change identifiers between code and database: the functions
//! ORMs apply to turn a model name into a table name (Django's `<app_label>_<model>`,
//! GORM's snake_case plural with a `NamingStrategy` prefix or singular tables), and the
//! reverse direction query builders need (Kysely's `CamelCasePlugin`, Knex
//! `knexSnakeCaseMappers`, TypeORM naming strategies): a configured table → the identifiers
//! code may spell it with. Pure functions, no I/O.

/// A convention that maps a name written in code to the database identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Convention {
    /// The code name is the table name.
    Identity,
    /// `orderItems` / `OrderItems` → `order_items` (Kysely `CamelCasePlugin`, Knex
    /// `knexSnakeCaseMappers`, TypeORM `SnakeNamingStrategy`).
    SnakeCase,
    /// GORM's default: snake_case, then plural (`LegacyOrder` → `legacy_orders`).
    SnakePlural,
    /// Lower-case only (Django's model part: `LegacyOrder` → `legacyorder`).
    Lower,
}

impl Convention {
    /// The database name of `code_name` under this convention.
    pub fn apply(self, code_name: &str) -> String {
        match self {
            Convention::Identity => code_name.to_string(),
            Convention::SnakeCase => snake_case(code_name),
            Convention::SnakePlural => pluralize(&snake_case(code_name)),
            Convention::Lower => code_name.to_lowercase(),
        }
    }
}

/// Django's default table: `<app_label>_<model name lower-cased>`.
pub fn django_table(app_label: &str, model: &str) -> String {
    format!("{}_{}", app_label.to_lowercase(), model.to_lowercase())
}

/// GORM's `NamingStrategy` (`gorm.io/gorm/schema`): table prefix and singular tables.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GormNaming {
    pub table_prefix: String,
    pub singular_table: bool,
}

impl GormNaming {
    /// The default table of a struct: `TablePrefix + snake_case(name)` pluralised unless
    /// `SingularTable`.
    pub fn table(&self, struct_name: &str) -> String {
        let snake = snake_case(struct_name);
        let base = if self.singular_table {
            snake
        } else {
            pluralize(&snake)
        };
        format!("{}{}", self.table_prefix, base)
    }
}

/// `LegacyOrder` → `legacy_order`, `HTTPRequestLog` → `http_request_log`, `orderItems` →
/// `order_items`, `UserID` → `user_id` (an acronym stays one word, as GORM's and
/// Kysely's converters do).
pub fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev = i.checked_sub(1).map(|p| chars[p]);
            let next = chars.get(i + 1).copied();
            let boundary = match prev {
                None => false,
                Some('_') => false,
                Some(p) if p.is_lowercase() || p.is_ascii_digit() => true,
                // The last capital of an acronym followed by a lower-case letter starts a
                // word: `HTTPRequest` → `http_request`.
                Some(p) if p.is_uppercase() => next.is_some_and(char::is_lowercase),
                Some(_) => false,
            };
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// `order_items` → `orderItems`.
pub fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = !out.is_empty();
            continue;
        }
        if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `order_items` → `OrderItems`.
pub fn pascal_case(snake: &str) -> String {
    let camel = camel_case(snake);
    let mut chars = camel.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Irregular plurals (sorted).
pub(crate) const IRREGULAR: &[(&str, &str)] = &[
    ("child", "children"),
    ("man", "men"),
    ("person", "people"),
    ("woman", "women"),
];
/// Words without a plural (sorted).
pub(crate) const UNCOUNTABLE: &[&str] = &[
    "equipment",
    "fish",
    "information",
    "money",
    "rice",
    "series",
    "sheep",
    "species",
];

/// English plural of the last word of a snake_case name, with the rules of the inflection
/// library GORM uses for the common cases (`order` → `orders`, `category` → `categories`,
/// `box` → `boxes`, `person` → `people`). Words already plural are left alone only when
/// irregular; `news` → `news` is not modelled.
pub fn pluralize(snake: &str) -> String {
    let (head, last) = match snake.rfind('_') {
        Some(i) => snake.split_at(i + 1),
        None => ("", snake),
    };
    let lower = last.to_lowercase();
    if UNCOUNTABLE.contains(&lower.as_str()) {
        return snake.to_string();
    }
    if let Some((_, plural)) = IRREGULAR.iter().find(|(s, _)| *s == lower) {
        return format!("{head}{plural}");
    }
    let is_vowel = |c: char| "aeiou".contains(c);
    let plural = if lower.ends_with("s")
        || lower.ends_with('x')
        || lower.ends_with('z')
        || lower.ends_with("ch")
        || lower.ends_with("sh")
    {
        format!("{last}es")
    } else if lower.ends_with('y') && lower.chars().rev().nth(1).is_some_and(|c| !is_vowel(c)) {
        format!("{}ies", &last[..last.len() - 1])
    } else {
        format!("{last}s")
    };
    format!("{head}{plural}")
}

/// The singular of the last word of a name, undoing `pluralize` for the common cases
/// (`orders` → `order`, `categories` → `category`, `boxes` → `box`, `people` → `person`),
/// as Sequelize's association accessors need (`items` → `addItem`).
pub fn singularize(name: &str) -> String {
    let lower = name.to_lowercase();
    if let Some((single, plural)) = IRREGULAR.iter().find(|(_, p)| lower.ends_with(p)) {
        let (head, word) = name.split_at(name.len() - plural.len());
        let single = if word.starts_with(char::is_uppercase) {
            pascal_case(single)
        } else {
            single.to_string()
        };
        return format!("{head}{single}");
    }
    if UNCOUNTABLE.iter().any(|u| lower.ends_with(u)) {
        return name.to_string();
    }
    let strip = |n: usize| name[..name.len() - n].to_string();
    if lower.ends_with("ies") && lower.len() > 3 {
        format!("{}y", strip(3))
    } else if ["sses", "uses", "xes", "zes", "ches", "shes"]
        .iter()
        .any(|e| lower.ends_with(e))
    {
        strip(2)
    } else if lower.ends_with('s') && !lower.ends_with("ss") {
        strip(1)
    } else {
        name.to_string()
    }
}

/// The identifiers code may use for a configured table when the project maps names
/// (CamelCasePlugin, snake-case mappers): the table itself, its camelCase and its
/// PascalCase, deduplicated, in that order. Query-builder extractors compare the names they
/// see against these.
pub fn code_identifiers(table: &str) -> Vec<String> {
    let mut out = vec![table.to_string()];
    for candidate in [camel_case(table), pascal_case(table)] {
        if !out.contains(&candidate) {
            out.push(candidate);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_like_gorm_and_kysely() {
        assert_eq!(snake_case("LegacyOrder"), "legacy_order");
        assert_eq!(snake_case("HTTPRequestLog"), "http_request_log");
        assert_eq!(snake_case("UserID"), "user_id");
        assert_eq!(snake_case("orderItems"), "order_items");
        assert_eq!(snake_case("order_items"), "order_items");
        assert_eq!(snake_case("Order2Item"), "order2_item");
    }

    #[test]
    fn plurals() {
        assert_eq!(pluralize("legacy_order"), "legacy_orders");
        assert_eq!(pluralize("category"), "categories");
        assert_eq!(pluralize("day"), "days");
        assert_eq!(pluralize("tax_box"), "tax_boxes");
        assert_eq!(pluralize("address"), "addresses");
        assert_eq!(pluralize("sales_person"), "sales_people");
        assert_eq!(pluralize("fish"), "fish");
    }

    #[test]
    fn singulars() {
        assert_eq!(singularize("orders"), "order");
        assert_eq!(singularize("OrderItems"), "OrderItem");
        assert_eq!(singularize("categories"), "category");
        assert_eq!(singularize("taxBoxes"), "taxBox");
        assert_eq!(singularize("addresses"), "address");
        assert_eq!(singularize("salesPeople"), "salesPerson");
        assert_eq!(singularize("address"), "address");
        assert_eq!(singularize("author"), "author");
        assert_eq!(singularize("statuses"), "status");
    }

    #[test]
    fn conventions_and_strategies() {
        assert_eq!(Convention::SnakePlural.apply("OrderItem"), "order_items");
        assert_eq!(Convention::Lower.apply("LegacyOrder"), "legacyorder");
        assert_eq!(
            django_table("Billing", "LegacyOrder"),
            "billing_legacyorder"
        );
        let strategy = GormNaming {
            table_prefix: "t_".into(),
            singular_table: true,
        };
        assert_eq!(strategy.table("LegacyOrder"), "t_legacy_order");
        assert_eq!(GormNaming::default().table("LegacyOrder"), "legacy_orders");
    }

    #[test]
    fn identifiers_for_mapped_projects() {
        assert_eq!(
            code_identifiers("order_items"),
            vec!["order_items", "orderItems", "OrderItems"]
        );
        assert_eq!(code_identifiers("orders"), vec!["orders", "Orders"]);
    }
}
