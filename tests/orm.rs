//! ORM coverage on the fixture projects under `fixtures/orm/<framework>/`: the whole
//! two-pass scan (models in one file, usages in others) through `cutover::scan`, with the
//! findings snapshotted, every `expect:` comment checked against them (recall), every
//! finding checked against an `expect:` comment (precision), and the similarly named model
//! on another table never matched.

use cutover::config::{Config, Overrides};
use cutover::model::{Access, Finding, Kind};
use std::fmt::Write;
use std::path::{Path, PathBuf};

fn root(framework: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/orm")
        .join(framework)
}

fn findings(framework: &str) -> Vec<Finding> {
    let root = root(framework);
    let config = Config::load(&root, &Overrides::default()).unwrap();
    let inventory = cutover::scan(config, framework.to_string()).unwrap();
    assert!(
        inventory.scan.problems.is_empty(),
        "{:?}",
        inventory.scan.problems
    );
    inventory.scan.findings
}

fn render(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let via = if f.via.is_empty() {
            String::new()
        } else {
            format!(" via [{}]", f.via.join(" -> "))
        };
        writeln!(
            out,
            "{}:{}:{} {} {} {} ({}, {}) in {} [{}]{via} | {}",
            f.file,
            f.line,
            f.column,
            f.access,
            f.table,
            f.operation,
            f.kind.as_str(),
            f.framework.as_deref().or(f.sink.as_deref()).unwrap_or("-"),
            f.function.as_deref().unwrap_or("<module>"),
            f.confidence.as_str(),
            f.evidence,
        )
        .unwrap();
    }
    out
}

/// `(file, line, access, table)` of every `expect: <access> <table>` in the fixture
/// (`unknown`: an unresolved finding).
fn expectations(framework: &str) -> Vec<(String, u32, String, String)> {
    let re = regex::Regex::new(r"\b(read|write|ddl|unknown) ([A-Za-z_]+)").unwrap();
    let mut out = Vec::new();
    let root = root(framework);
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if !matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("py" | "go" | "ts" | "js")
            ) {
                continue;
            }
            let rel = path
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(&path).unwrap();
            for (i, line) in text.lines().enumerate() {
                let Some((_, spec)) = line.split_once("expect:") else {
                    continue;
                };
                for c in re.captures_iter(spec) {
                    out.push((
                        rel.clone(),
                        i as u32 + 1,
                        c[1].to_string(),
                        c[2].to_string(),
                    ));
                }
            }
        }
    }
    out.sort();
    out
}

/// Findings must sit within a few lines below their `expect:` comment.
const WINDOW: u32 = 5;

fn check(framework: &str) -> Vec<Finding> {
    let found = findings(framework);
    let expected = expectations(framework);
    assert!(expected.len() >= 8, "{framework}: too few expectations");
    for (file, line, access, table) in &expected {
        assert!(
            found.iter().any(|f| f.file == *file
                && f.line > *line
                && f.line <= line + WINDOW
                && f.access.as_str() == access
                && f.table == *table),
            "{framework}: missing {access} {table} expected at {file}:{line}\n{}",
            render(&found)
        );
    }
    for f in found
        .iter()
        .filter(|f| f.kind != Kind::ModelDeclaration && f.access != Access::Unknown)
    {
        assert!(
            expected
                .iter()
                .any(|(file, line, access, table)| f.file == *file
                    && f.line > *line
                    && f.line <= line + WINDOW
                    && f.access.as_str() == access
                    && f.table == *table),
            "{framework}: unexpected finding {f:?}"
        );
    }
    // The similarly named model on another table never matches.
    assert!(
        !found
            .iter()
            .any(|f| f.evidence.to_lowercase().contains("archive")),
        "{framework}: LegacyOrderArchive matched\n{}",
        render(&found)
    );
    found
}

#[test]
fn django_project() {
    let found = check("django");
    insta::assert_snapshot!("django", render(&found));
}

#[test]
fn sqlalchemy_project() {
    let found = check("sqlalchemy");
    insta::assert_snapshot!("sqlalchemy", render(&found));
}

#[test]
fn flask_sqlalchemy_project() {
    let found = check("flask_sqlalchemy");
    insta::assert_snapshot!("flask_sqlalchemy", render(&found));
}

#[test]
fn sqlmodel_project() {
    let found = check("sqlmodel");
    insta::assert_snapshot!("sqlmodel", render(&found));
}

#[test]
fn peewee_project() {
    let found = check("peewee");
    insta::assert_snapshot!("peewee", render(&found));
}

#[test]
fn gorm_project() {
    let found = check("gorm");
    insta::assert_snapshot!("gorm", render(&found));
}

#[test]
fn bun_project() {
    let found = check("bun");
    // The one use nothing classifies is unresolved, with its reason.
    let unresolved: Vec<&Finding> = found
        .iter()
        .filter(|f| f.access == Access::Unknown)
        .collect();
    assert_eq!(unresolved.len(), 1, "{}", render(&found));
    assert!(unresolved[0].evidence.contains("Frobnicate"));
    assert!(
        unresolved[0]
            .reason
            .as_deref()
            .unwrap_or("")
            .contains("Frobnicate")
    );
    insta::assert_snapshot!("bun", render(&found));
}

#[test]
fn ent_project() {
    let found = check("ent");
    insta::assert_snapshot!("ent", render(&found));
}

#[test]
fn knex_project() {
    let found = check("knex");
    insta::assert_snapshot!("knex", render(&found));
}

#[test]
fn prisma_project() {
    let found = check("prisma");
    insta::assert_snapshot!("prisma", render(&found));
}

#[test]
fn drizzle_project() {
    let found = check("drizzle");
    insta::assert_snapshot!("drizzle", render(&found));
}

#[test]
fn kysely_project() {
    let found = check("kysely");
    insta::assert_snapshot!("kysely", render(&found));
}

#[test]
fn typeorm_project() {
    let found = check("typeorm");
    insta::assert_snapshot!("typeorm", render(&found));
}

#[test]
fn typeorm_migrations_project() {
    let found = check("typeorm-migrations");
    insta::assert_snapshot!("typeorm_migrations", render(&found));
}

#[test]
fn objection_project() {
    let found = check("objection");
    insta::assert_snapshot!("objection", render(&found));
}

#[test]
fn mikroorm_project() {
    let found = check("mikroorm");
    insta::assert_snapshot!("mikroorm", render(&found));
}

#[test]
fn sequelize_project() {
    let found = check("sequelize");
    insta::assert_snapshot!("sequelize", render(&found));
}

/// The camelCase table names resolve only because the project turns on a naming
/// convention: without pass 1 (no conventions), `ordersLegacy` names nothing, while the
/// literal `order_items` and the raw SQL still count.
#[test]
fn camel_case_names_need_the_projects_naming_convention() {
    let root = root("kysely");
    let config = Config::load(&root, &Overrides::default()).unwrap();
    let scan_with = |ctx: &cutover::extract::ScanContext| {
        let bytes = std::fs::read(root.join("src/orders.ts")).unwrap();
        cutover::extract::scan_bytes(
            "src/orders.ts",
            cutover::model::Language::TypeScript,
            &bytes,
            ctx,
        )
        .findings
    };
    let bare = scan_with(&cutover::extract::ScanContext::new(&config));
    assert!(
        bare.iter()
            .filter(|f| f.kind == Kind::QueryBuilder)
            .all(|f| f.table == "order_items" && f.evidence.contains("order_items")),
        "{}",
        render(&bare)
    );
    assert!(bare.iter().any(|f| f.kind == Kind::RawSql));
    let discovered = cutover::discover::discover(&config).unwrap();
    let models = cutover::orm::collect(&discovered.files, &config);
    let ctx = cutover::extract::ScanContext::with_models(&config, models, Vec::new());
    let full = scan_with(&ctx);
    assert!(
        full.iter()
            .any(|f| f.table == "orders_legacy" && f.kind == Kind::QueryBuilder),
        "{}",
        render(&full)
    );
    assert!(full.len() > bare.len());
}

/// Same findings whatever the thread count (pass 1 and pass 2 are both parallel).
#[test]
fn thread_count_does_not_change_the_output() {
    for framework in [
        "django",
        "sqlalchemy",
        "gorm",
        "knex",
        "kysely",
        "prisma",
        "drizzle",
        "typeorm",
        "sequelize",
    ] {
        let run = |threads| {
            let root = root(framework);
            let config = Config::load(
                &root,
                &Overrides {
                    threads: Some(threads),
                    ..Overrides::default()
                },
            )
            .unwrap();
            render(
                &cutover::scan(config, framework.to_string())
                    .unwrap()
                    .scan
                    .findings,
            )
        };
        assert_eq!(run(1), run(4), "{framework}");
    }
}

/// Without the model index (pass 1 skipped), none of the ORM usages is found: the
/// findings really come from resolving models.
#[test]
fn orm_findings_need_pass_one() {
    let root = root("django");
    let config = Config::load(&root, &Overrides::default()).unwrap();
    let ctx = cutover::extract::ScanContext::new(&config);
    let path = root.join("billing/services.py");
    let bytes = std::fs::read(&path).unwrap();
    let scan = cutover::extract::scan_bytes(
        "billing/services.py",
        cutover::model::Language::Python,
        &bytes,
        &ctx,
    );
    assert!(scan.findings.iter().all(|f| f.kind == Kind::RawSql));
    assert!(!scan.findings.is_empty());
}

/// Pathological files that name a legacy model go through the ORM pass without a panic
/// or a stack overflow, and every finding points inside the file.
#[test]
fn pathological_input_through_the_orm_pass() {
    let root = root("django");
    let config = Config::load(&root, &Overrides::default()).unwrap();
    let discovered = cutover::discover::discover(&config).unwrap();
    let models = cutover::orm::collect(&discovered.files, &config);
    assert!(!models.is_empty());
    let ctx = cutover::extract::ScanContext::with_models(&config, models, Vec::new());
    let deep_subscript = format!("o = LO(){}\no.save()\n", "[0]".repeat(5000));
    let deep_list = format!(
        "session.add_all({}LegacyOrder(){})\n",
        "[".repeat(3000),
        "]".repeat(3000)
    );
    let long_chain = format!("LO.objects{}.update(x=1)\n", ".filter()".repeat(3000));
    let broken = "class LegacyOrder(models.Model:\n    objects = \nLO.objects.create(\n";
    let go_deep = format!(
        "package x\nimport \"gorm.io/gorm\"\nfunc f(db *gorm.DB) {{ db.Create({}LegacyOrder{{}}) }}\n",
        "&".repeat(3000)
    );
    let ts_chain = format!(
        "knex(\"orders_legacy\"){}.del();\n{}knex.from(\"orders_legacy\"){}\n",
        ".where(1)".repeat(1500),
        "(".repeat(2000),
        ")".repeat(2000)
    );
    let ts_broken = "trx(\"orders_legacy\").insert({ a: \nknex.schema.table(\"orders_legacy\"";
    for (rel, language, src) in [
        ("a.py", cutover::model::Language::Python, deep_subscript),
        ("b.py", cutover::model::Language::Python, deep_list),
        ("c.py", cutover::model::Language::Python, long_chain),
        ("d.py", cutover::model::Language::Python, broken.to_string()),
        ("e.go", cutover::model::Language::Go, go_deep),
        ("f.ts", cutover::model::Language::TypeScript, ts_chain),
        (
            "g.ts",
            cutover::model::Language::TypeScript,
            ts_broken.to_string(),
        ),
    ] {
        let scan = cutover::extract::scan_bytes(rel, language, src.as_bytes(), &ctx);
        let lines = src.lines().count() as u32 + 1;
        for f in &scan.findings {
            assert!(f.line >= 1 && f.line <= lines, "{rel}: {f:?}");
        }
    }
}

/// TypeORM and Sequelize usages come from pass 1's models too: without them, the NestJS
/// service of the fixture only yields its raw SQL.
#[test]
fn typeorm_findings_need_pass_one() {
    let root = root("typeorm");
    let config = Config::load(&root, &Overrides::default()).unwrap();
    let bytes = std::fs::read(root.join("src/orders.service.ts")).unwrap();
    let scan_with = |ctx: &cutover::extract::ScanContext| {
        cutover::extract::scan_bytes(
            "src/orders.service.ts",
            cutover::model::Language::TypeScript,
            &bytes,
            ctx,
        )
        .findings
    };
    let bare = scan_with(&cutover::extract::ScanContext::new(&config));
    assert!(!bare.is_empty());
    assert!(
        bare.iter().all(|f| f.kind == Kind::RawSql),
        "{}",
        render(&bare)
    );
    let discovered = cutover::discover::discover(&config).unwrap();
    let models = cutover::orm::collect(&discovered.files, &config);
    let ctx = cutover::extract::ScanContext::with_models(&config, models, Vec::new());
    let full = scan_with(&ctx);
    assert!(
        full.iter()
            .any(|f| f.kind == Kind::Orm && f.function.as_deref() == Some("OrdersService.close")),
        "{}",
        render(&full)
    );
}

/// Pass 1 resolves names the way each ORM does, and the names code uses for legacy
/// models (the variable, the model name, a parent whose deletion cascades into a legacy
/// table through another model) join the prefilter; the look-alike does not.
#[test]
fn sequelize_and_typeorm_names_join_the_prefilter() {
    let index = |framework: &str| {
        let root = root(framework);
        let config = Config::load(&root, &Overrides::default()).unwrap();
        let discovered = cutover::discover::discover(&config).unwrap();
        cutover::orm::collect(&discovered.files, &config)
    };
    let sequelize = index("sequelize");
    let names = sequelize.prefilter_names();
    for expected in ["Customer", "LegacyOrder", "Order", "OrderItem"] {
        assert!(names.iter().any(|n| n == expected), "{expected}: {names:?}");
    }
    assert!(!names.iter().any(|n| n.contains("Archive")), "{names:?}");
    let item = sequelize
        .models()
        .iter()
        .find(|m| m.name == "OrderItem")
        .unwrap();
    assert_eq!(item.table.as_deref(), Some("OrderItems"));
    let typeorm = index("typeorm");
    let item = |file: &str| {
        typeorm
            .models()
            .iter()
            .find(|m| m.name == "OrderItem" && m.file == file)
            .unwrap()
    };
    assert_eq!(item("src/entities.ts").table.as_deref(), Some("order_item"));
    assert_eq!(
        item("src/entities.ts").legacy.as_deref(),
        Some("order_item")
    );
    // The same class name on another table, in another file.
    assert_eq!(item("src/archive/entities.ts").legacy, None);
    let archive = typeorm
        .models()
        .iter()
        .find(|m| m.name == "LegacyOrderArchive")
        .unwrap();
    assert_eq!(archive.legacy, None);
    // Customer only reaches a legacy table through LegacyOrder's cascade.
    assert!(typeorm.prefilter_names().iter().any(|n| n == "Customer"));
}

/// Pathological TypeScript that names TypeORM entities goes through the model pass without
/// a panic or a stack overflow.
#[test]
fn pathological_input_through_the_typeorm_pass() {
    let root = root("typeorm");
    let config = Config::load(&root, &Overrides::default()).unwrap();
    let discovered = cutover::discover::discover(&config).unwrap();
    let models = cutover::orm::collect(&discovered.files, &config);
    let ctx = cutover::extract::ScanContext::with_models(&config, models, Vec::new());
    let chain = format!(
        "const r = ds.getRepository(LegacyOrder);\nr.createQueryBuilder(\"o\"){}.delete().execute();\n",
        ".where(1)".repeat(3000)
    );
    let nested = format!(
        "const o = {}new LegacyOrder(){};\no.save();\n",
        "(".repeat(3000),
        ")".repeat(3000)
    );
    let awaits = format!(
        "async function f() {{ const o = {}LegacyOrder.findOneBy({{}}); await o.remove(); }}\n",
        "await ".repeat(3000)
    );
    let long = format!(
        "const r = ds.getRepository(LegacyOrder);\nr.createQueryBuilder(\"o\"){}.delete().execute();\n",
        ".where(1)".repeat(100)
    );
    let broken = "@Entity( class LegacyOrder extends { @ManyToOne(() => , { onDelete: }) x\nmanager.save(LegacyOrder, ";
    for (rel, src) in [
        ("a.ts", chain),
        ("b.ts", nested),
        ("c.ts", awaits),
        ("d.ts", broken.to_string()),
        ("e.ts", long),
    ] {
        let scan = cutover::extract::scan_bytes(
            rel,
            cutover::model::Language::TypeScript,
            src.as_bytes(),
            &ctx,
        );
        let lines = src.lines().count() as u32 + 1;
        for f in &scan.findings {
            assert!(f.line >= 1 && f.line <= lines, "{rel}: {f:?}");
        }
        // Within the chain bound, the write at the end of a long chain is still seen.
        if rel == "e.ts" {
            assert!(
                scan.findings
                    .iter()
                    .any(|f| f.access == cutover::model::Access::Write),
                "{rel}: {:?}",
                scan.findings
            );
        }
    }
}

#[test]
fn alembic_project() {
    let found = check("alembic");
    insta::assert_snapshot!("alembic", render(&found));
}

#[test]
fn django_apps_project() {
    let found = check("django_apps");
    insta::assert_snapshot!("django_apps", render(&found));
}

/// An Alembic operation the catalog does not know, on a legacy table (an `op` method or a
/// `batch_op` method of a legacy table's batch block), is reported as unresolved, with the
/// method in the reason: seen, not classified, never dropped.
#[test]
fn an_unknown_alembic_operation_on_a_legacy_table_is_unresolved() {
    use cutover::config::FileConfig;
    use cutover::model::{Access, Language};
    let file = FileConfig::parse("[[tables]]\nname = \"orders_legacy\"\n", Path::new("c")).unwrap();
    let config = Config::from_file(PathBuf::from("/r"), None, file, &Overrides::default()).unwrap();
    let ctx = cutover::extract::ScanContext::new(&config);
    let src = "from alembic import op\n\n\ndef upgrade():\n    op.attach_partition(\"orders_legacy\", \"orders_2024\")\n    with op.batch_alter_table(\"orders_legacy\") as batch_op:\n        batch_op.add_geospatial_column(\"where\")\n        batch_op.drop_column(\"note\")\n";
    let found = cutover::extract::scan_bytes(
        "migrations/versions/0003_partition.py",
        Language::Python,
        src.as_bytes(),
        &ctx,
    )
    .findings;
    let unresolved: Vec<_> = found
        .iter()
        .filter(|f| f.access == Access::Unknown)
        .map(|f| {
            (
                f.line,
                f.table.as_str(),
                f.reason.clone().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        unresolved,
        vec![
            (
                5,
                "orders_legacy",
                "alembic op.attach_partition is not in the catalog".to_string()
            ),
            (
                7,
                "orders_legacy",
                "alembic batch_op.add_geospatial_column is not in the catalog".to_string()
            ),
        ],
        "{}",
        render(&found)
    );
    assert!(
        found
            .iter()
            .any(|f| f.line == 8 && f.access == Access::Ddl && f.table == "orders_legacy"),
        "{}",
        render(&found)
    );
}
