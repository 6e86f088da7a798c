//! The SQL classifier against a table of statements across dialects, each with the exact set
//! of (table, access, operation) it must report. Format of an expectation: statements
//! separated by ` | `; each statement is `[routine] ` (when it comes from a routine body),
//! then its uses `table access operation` separated by `, `, sorted by access (write, read, ddl) then name,
//! `-` when it touches no table, and a trailing ` ~` when it was classified by the heuristic
//! fallback. Quoted names are shown in double quotes.

use cutover::sql::{Dialect, Statement, classify};
use proptest::prelude::*;

const PG: Dialect = Dialect::Postgres;
const MY: Dialect = Dialect::Mysql;
const LITE: Dialect = Dialect::Sqlite;
const GEN: Dialect = Dialect::Generic;

fn show(stmts: &[Statement]) -> String {
    stmts
        .iter()
        .map(|s| {
            let mut out = String::new();
            if let Some(r) = &s.routine {
                out.push_str(&format!("[{r}] "));
            }
            let mut uses: Vec<(cutover::model::Access, String)> = s
                .uses
                .iter()
                .map(|u| {
                    let name = if u.table.quoted {
                        format!("\"{}\"", u.table.name)
                    } else {
                        u.table.name.clone()
                    };
                    let full = match &u.table.schema {
                        Some(sch) => format!("{sch}.{name}"),
                        None => name,
                    };
                    (u.access, format!("{full} {} {}", u.access, u.operation))
                })
                .collect();
            uses.sort();
            let uses: Vec<String> = uses.into_iter().map(|u| u.1).collect();
            if uses.is_empty() {
                out.push('-');
            } else {
                out.push_str(&uses.join(", "));
            }
            if s.confidence == cutover::model::Confidence::Heuristic {
                out.push_str(" ~");
            }
            out
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

/// (dialect, SQL, expected).
const CASES: &[(Dialect, &str, &str)] = &[
    // --- reads ---------------------------------------------------------------------------
    (GEN, "SELECT * FROM a", "a read select"),
    // --- foreign keys: a schema dependency on the referenced table ---------------------------
    (
        PG,
        "CREATE TABLE items (id int, order_id bigint REFERENCES orders_legacy (id))",
        "items ddl create, orders_legacy ddl references",
    ),
    (
        PG,
        "ALTER TABLE items ADD CONSTRAINT items_order_fk FOREIGN KEY (order_id) REFERENCES billing.orders_legacy (id)",
        "billing.orders_legacy ddl references, items ddl alter",
    ),
    (
        MY,
        "CREATE TABLE items (id int, order_id int, FOREIGN KEY (order_id) REFERENCES `orders_legacy` (id))",
        "\"orders_legacy\" ddl references, items ddl create",
    ),
    (
        GEN,
        "SELECT a.x FROM a JOIN b ON a.id = b.id LEFT JOIN c USING (id)",
        "a read select, b read select, c read select",
    ),
    (
        GEN,
        "SELECT * FROM a WHERE id IN (SELECT id FROM b) AND EXISTS (SELECT 1 FROM c)",
        "a read select, b read select, c read select",
    ),
    (PG, "SELECT * FROM ONLY public.a", "public.a read select"),
    (
        PG,
        "SELECT * FROM a TABLESAMPLE SYSTEM (10)",
        "a read select",
    ),
    (
        PG,
        "SELECT * FROM generate_series(1, 3) g JOIN a ON a.id = g",
        "a read select",
    ),
    (
        PG,
        "SELECT * FROM a CROSS JOIN LATERAL (SELECT * FROM b WHERE b.a = a.id) x",
        "a read select, b read select",
    ),
    (
        PG,
        "SELECT * FROM \"Billing\".\"Orders\" o",
        "Billing.\"Orders\" read select",
    ),
    (
        MY,
        "SELECT * FROM `shop`.`orders_legacy` WHERE id = ?",
        "shop.\"orders_legacy\" read select",
    ),
    (
        MY,
        "SELECT SQL_CALC_FOUND_ROWS * FROM a LIMIT 10, 20",
        "a read select",
    ),
    (
        GEN,
        "SELECT * FROM Orders_Legacy",
        "orders_legacy read select",
    ),
    // CTE names are not tables, even when they shadow one.
    (
        PG,
        "WITH orders_legacy AS (SELECT * FROM orders_new) SELECT * FROM orders_legacy",
        "orders_new read select",
    ),
    (
        PG,
        "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 5) SELECT * FROM t",
        "-",
    ),
    // Placeholders of every style.
    (PG, "SELECT * FROM a WHERE id = $1", "a read select"),
    (
        PG,
        "SELECT * FROM a WHERE id = ? AND b = ?",
        "a read select",
    ),
    (
        PG,
        "SELECT * FROM a WHERE id = %s AND name = %(name)s AND s = '%s'",
        "a read select",
    ),
    (
        PG,
        "SELECT * FROM a WHERE id = :id AND t = :t::int",
        "a read select",
    ),
    (GEN, "SELECT * FROM a WHERE id = @p", "a read select"),
    (
        PG,
        "SELECT * FROM __cutover_dyn_1__ WHERE id = $1",
        "__cutover_dyn_1__ read select",
    ),
    (
        PG,
        "SELECT id FROM a WHERE id = ANY($1::int[]) FOR UPDATE SKIP LOCKED",
        "a read select",
    ),
    (PG, "EXPLAIN ANALYZE SELECT * FROM a", "a read select"),
    // --- writes --------------------------------------------------------------------------
    (GEN, "INSERT INTO a (x) VALUES (1)", "a write insert"),
    (
        PG,
        "INSERT INTO a SELECT * FROM b WHERE t < now() - interval '1 year'",
        "a write insert, b read select",
    ),
    (
        PG,
        "INSERT INTO a (id, x) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET x = EXCLUDED.x",
        "a write upsert",
    ),
    (
        PG,
        "INSERT INTO a (id) VALUES (1) ON CONFLICT DO NOTHING",
        "a write insert",
    ),
    (
        MY,
        "INSERT INTO a (id, x) VALUES (?, ?) ON DUPLICATE KEY UPDATE x = VALUES(x)",
        "a write upsert",
    ),
    (
        MY,
        "INSERT IGNORE INTO `a` (`id`) VALUES (1)",
        "\"a\" write insert",
    ),
    (MY, "REPLACE INTO a VALUES (?, ?)", "a write replace"),
    (
        LITE,
        "INSERT OR REPLACE INTO a (id) VALUES (?)",
        "a write replace",
    ),
    (
        PG,
        "INSERT INTO a DEFAULT VALUES RETURNING id",
        "a write insert",
    ),
    (GEN, "UPDATE a SET x = 1 WHERE id = 2", "a write update"),
    (
        PG,
        "UPDATE a SET x = b.x FROM b WHERE a.id = b.id",
        "a write update, b read select",
    ),
    (
        PG,
        "UPDATE a SET (x, y) = (SELECT x, y FROM b WHERE b.id = a.id)",
        "a write update, b read select",
    ),
    (
        MY,
        "UPDATE a JOIN b ON a.id = b.id SET a.x = b.x",
        "a write update, b read select",
    ),
    (
        MY,
        "UPDATE a JOIN b ON a.id = b.id SET a.x = 1, b.y = 2",
        "a write update, b write update",
    ),
    (PG, "UPDATE ONLY a SET x = 1", "a write update"),
    (GEN, "DELETE FROM a WHERE id = 1", "a write delete"),
    (
        PG,
        "DELETE FROM a USING b WHERE a.id = b.id",
        "a write delete, b read select",
    ),
    (MY, "DELETE FROM a WHERE id = ? LIMIT 10", "a write delete"),
    (
        MY,
        "DELETE o FROM orders_legacy o JOIN customers c ON c.id = o.cid WHERE c.gone",
        "orders_legacy write delete, customers read select",
    ),
    (
        PG,
        "MERGE INTO a USING b ON a.id = b.id WHEN MATCHED THEN UPDATE SET x = b.x WHEN NOT MATCHED THEN INSERT (id) VALUES (b.id)",
        "a write merge, b read select",
    ),
    (
        PG,
        "TRUNCATE a, b CASCADE",
        "a write truncate, b write truncate",
    ),
    (MY, "TRUNCATE TABLE a", "a write truncate"),
    (
        PG,
        "COPY a (id, x) FROM STDIN WITH (FORMAT csv)",
        "a write copy",
    ),
    (PG, "COPY a TO '/tmp/a.csv'", "a read copy"),
    (
        PG,
        "COPY (SELECT * FROM a JOIN b ON a.id = b.id) TO STDOUT",
        "a read select, b read select",
    ),
    (
        PG,
        "SELECT * INTO new_a FROM a",
        "new_a write insert, a read select",
    ),
    (
        MY,
        "LOAD DATA LOCAL INFILE '/tmp/x.csv' INTO TABLE audit_log FIELDS TERMINATED BY ','",
        "audit_log write load",
    ),
    // Data-modifying CTEs.
    (
        PG,
        "WITH m AS (DELETE FROM a RETURNING *) INSERT INTO b SELECT * FROM m",
        "a write delete, b write insert",
    ),
    (
        PG,
        "WITH x AS (UPDATE a SET n = n + 1 RETURNING *) SELECT * FROM x",
        "a write update",
    ),
    // --- DDL -----------------------------------------------------------------------------
    (PG, "CREATE TABLE a (id int PRIMARY KEY)", "a ddl create"),
    (
        PG,
        "CREATE TABLE z AS SELECT * FROM a",
        "a read select, z ddl create",
    ),
    (
        PG,
        "CREATE VIEW v AS SELECT * FROM legacy",
        "legacy read select, v ddl create",
    ),
    (
        PG,
        "CREATE MATERIALIZED VIEW mv AS SELECT * FROM a",
        "a read select, mv ddl create",
    ),
    (
        PG,
        "CREATE INDEX CONCURRENTLY i ON a (c) WHERE c > 0",
        "a ddl create",
    ),
    (PG, "ALTER TABLE a ADD COLUMN c int", "a ddl alter"),
    (
        PG,
        "ALTER TABLE a RENAME TO z",
        "a ddl rename, z ddl rename",
    ),
    (
        PG,
        "DROP TABLE IF EXISTS a, b CASCADE",
        "a ddl drop, b ddl drop",
    ),
    (PG, "DROP INDEX i", "-"),
    (MY, "RENAME TABLE a TO b", "a ddl rename, b ddl rename"),
    (PG, "COMMENT ON TABLE a IS 'legacy'", "a ddl comment"),
    (PG, "COMMENT ON COLUMN a.c IS 'legacy'", "a ddl comment"),
    (PG, "GRANT SELECT, INSERT ON a TO app", "a ddl grant"),
    (PG, "REVOKE ALL ON TABLE a FROM app", "a ddl grant"),
    (PG, "LOCK TABLE a IN ACCESS EXCLUSIVE MODE", "a ddl lock"),
    (MY, "LOCK TABLES a WRITE, b READ", "a ddl lock, b ddl lock"),
    (
        PG,
        "CREATE TRIGGER t AFTER INSERT ON a FOR EACH ROW EXECUTE FUNCTION f()",
        "a ddl create",
    ),
    // Maintenance.
    (PG, "VACUUM ANALYZE a", "a ddl maintenance"),
    (
        PG,
        "VACUUM (VERBOSE) a, b",
        "a ddl maintenance, b ddl maintenance",
    ),
    (
        PG,
        "ANALYZE pgbench_history",
        "pgbench_history ddl maintenance",
    ),
    (MY, "ANALYZE TABLE sbtest1", "sbtest1 ddl maintenance"),
    (PG, "REINDEX TABLE a", "a ddl maintenance"),
    (PG, "CLUSTER a USING a_pkey", "a ddl maintenance"),
    (
        PG,
        "REFRESH MATERIALIZED VIEW CONCURRENTLY mv",
        "mv ddl maintenance",
    ),
    (MY, "OPTIMIZE TABLE a", "a ddl maintenance"),
    // Nothing to invent.
    (PG, "CALL p(1)", "-"),
    (PG, "SELECT f(1)", "-"),
    (PG, "SET search_path TO billing", "-"),
    (PG, "BEGIN", "-"),
    // --- real workloads: pgbench and sysbench scripts -------------------------------------
    (
        PG,
        "UPDATE pgbench_accounts SET abalance = abalance + -2345 WHERE aid = 1234;",
        "pgbench_accounts write update",
    ),
    (
        PG,
        "SELECT abalance FROM pgbench_accounts WHERE aid = 1234;",
        "pgbench_accounts read select",
    ),
    (
        PG,
        "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (3, 1, 1234, -2345, CURRENT_TIMESTAMP);",
        "pgbench_history write insert",
    ),
    (
        PG,
        "copy pgbench_accounts from stdin with (freeze on)",
        "pgbench_accounts write copy",
    ),
    (
        PG,
        "COPY  audit_events ( aid, action, payload ) FROM STDIN WITH (FORMAT csv)",
        "audit_events write copy",
    ),
    (
        PG,
        "UPDATE pgbench_branches AS b\n   SET bbalance = s.total\n  FROM (SELECT bid, sum(tbalance) AS total\n          FROM pgbench_tellers\n         GROUP BY bid) AS s\n WHERE b.bid = s.bid\n   AND b.bid = :bid;",
        "pgbench_branches write update, pgbench_tellers read select",
    ),
    (
        PG,
        "WITH moved AS (\n    DELETE FROM pgbench_history\n     WHERE mtime < now() - interval '10 seconds'\n       AND bid = :bid\n    RETURNING tid, bid, aid, delta, mtime\n)\nINSERT INTO history_archive (tid, bid, aid, delta, mtime)\nSELECT tid, bid, aid, delta, mtime FROM moved;",
        "history_archive write insert, pgbench_history write delete",
    ),
    (
        PG,
        "SELECT b.bid, count(a.aid) FROM public.pgbench_accounts a JOIN \"pgbench_branches\" b ON b.bid = a.bid WHERE a.aid BETWEEN :aid AND :aid + 1000 GROUP BY b.bid",
        "\"pgbench_branches\" read select, public.pgbench_accounts read select",
    ),
    (
        PG,
        "WITH recent AS (SELECT tid, delta FROM pgbench_history ORDER BY mtime DESC LIMIT 100) SELECT t.tid, coalesce(sum(r.delta), 0) FROM pgbench_tellers t LEFT JOIN recent r USING (tid) GROUP BY t.tid",
        "pgbench_history read select, pgbench_tellers read select",
    ),
    (
        PG,
        "ANALYZE pgbench_history; DELETE FROM audit_events WHERE id > 0 AND id < (SELECT max(id) - 5000 FROM audit_events);",
        "pgbench_history ddl maintenance | audit_events write delete, audit_events read select",
    ),
    (
        MY,
        "INSERT INTO daily_totals (k_bucket, total, n)\nSELECT k DIV 1000, SUM(id), COUNT(*) FROM sbtest2 WHERE id <= 500 GROUP BY k DIV 1000\n    ON DUPLICATE KEY UPDATE total = VALUES(total), n = VALUES(n);",
        "daily_totals write upsert, sbtest2 read select",
    ),
    (
        MY,
        "UPDATE daily_totals d\n  JOIN (SELECT k DIV 1000 AS b, COUNT(*) AS cnt FROM sbtest3 WHERE id <= 300 GROUP BY b) s\n    ON s.b = d.k_bucket\n   SET d.n = d.n + s.cnt;",
        "daily_totals write update, sbtest3 read select",
    ),
    (
        MY,
        "DELETE a FROM orders_archive a\n  JOIN sbtest3 t ON t.id = a.id\n WHERE a.archived_at < NOW(6) - INTERVAL 20 SECOND;",
        "orders_archive write delete, sbtest3 read select",
    ),
    (
        MY,
        "SELECT c FROM sbtest1 WHERE id BETWEEN 10 AND 109 ORDER BY c",
        "sbtest1 read select",
    ),
    (
        MY,
        "SELECT s1.k, COUNT(*) AS n FROM bankdb.sbtest1 AS s1 JOIN `sbtest2` s2 ON s2.id = s1.id GROUP BY s1.k",
        "\"sbtest2\" read select, bankdb.sbtest1 read select",
    ),
    // --- routine bodies ------------------------------------------------------------------
    (
        PG,
        "CREATE FUNCTION bump_branch(p_bid int) RETURNS void LANGUAGE sql AS\n  $$ UPDATE pgbench_branches SET bbalance = bbalance + 1 WHERE bid = p_bid $$;",
        "- | [bump_branch] pgbench_branches write update",
    ),
    (
        PG,
        "CREATE OR REPLACE FUNCTION billing.sync_orders() RETURNS trigger AS $fn$\nDECLARE\n  n int := 0;\nBEGIN\n  IF TG_OP = 'INSERT' THEN\n    INSERT INTO orders_new (id, total) VALUES (NEW.id, NEW.total)\n      ON CONFLICT (id) DO UPDATE SET total = EXCLUDED.total;\n  ELSIF TG_OP = 'DELETE' THEN\n    DELETE FROM orders_new WHERE id = OLD.id;\n  END IF;\n  SELECT count(*) INTO n FROM orders_legacy WHERE customer = NEW.customer;\n  PERFORM 1 FROM audit WHERE id = NEW.id;\n  RETURN NEW;\nEND;\n$fn$ LANGUAGE plpgsql;",
        "- | [billing.sync_orders] orders_new write upsert | [billing.sync_orders] orders_new write delete | [billing.sync_orders] orders_legacy read select | [billing.sync_orders] audit read select",
    ),
    (
        PG,
        "DO $$ BEGIN UPDATE a SET x = 1; END $$",
        "- | a write update",
    ),
    (
        MY,
        "CREATE TRIGGER orders_ai AFTER INSERT ON orders_legacy FOR EACH ROW BEGIN\n  IF NEW.total > 0 THEN\n    INSERT INTO orders_new (id, total) VALUES (NEW.id, NEW.total);\n  END IF;\n  UPDATE stats SET n = n + 1;\nEND;",
        "orders_legacy ddl create | [orders_ai] orders_new write insert | [orders_ai] stats write update",
    ),
    (
        MY,
        "CREATE TRIGGER t1 BEFORE UPDATE ON a FOR EACH ROW INSERT INTO a_log (id) VALUES (OLD.id)",
        "a ddl create | [t1] a_log write insert",
    ),
    (
        LITE,
        "CREATE TRIGGER t2 AFTER DELETE ON a BEGIN DELETE FROM b WHERE b.a = OLD.id; END;",
        "a ddl create | [t2] b write delete",
    ),
    (
        MY,
        "CREATE PROCEDURE bump_totals() BEGIN\n  DECLARE done INT DEFAULT 0;\n  UPDATE daily_totals SET n = n + 1 WHERE k_bucket = 99;\nEND",
        "- | [bump_totals] daily_totals write update",
    ),
    // --- more shapes ----------------------------------------------------------------------
    (
        GEN,
        "SELECT * FROM a, b AS x, c y WHERE a.id = x.id",
        "a read select, b read select, c read select",
    ),
    (
        PG,
        "DELETE FROM a WHERE id IN (SELECT id FROM a_old)",
        "a write delete, a_old read select",
    ),
    (
        PG,
        "UPDATE a SET x = (SELECT max(y) FROM b)",
        "a write update, b read select",
    ),
    (
        PG,
        "WITH s AS (SELECT id FROM src) UPDATE t SET x = 1 FROM s WHERE t.id = s.id",
        "t write update, src read select",
    ),
    (
        PG,
        "MERGE INTO a t USING (SELECT * FROM b WHERE ok) s ON t.id = s.id WHEN MATCHED THEN DELETE",
        "a write merge, b read select",
    ),
    (MY, "INSERT INTO a SET x = 1", "a write insert"),
    (
        LITE,
        "INSERT OR IGNORE INTO a (id) VALUES (?1)",
        "a write insert",
    ),
    (
        PG,
        "CREATE UNIQUE INDEX i ON \"Billing\".\"T\" (c)",
        "Billing.\"T\" ddl create",
    ),
    (PG, "DROP VIEW v", "v ddl drop"),
    (PG, "TRUNCATE ONLY a", "a write truncate"),
    (
        PG,
        "ALTER TABLE a ADD CONSTRAINT fk FOREIGN KEY (bid) REFERENCES b (id)",
        "a ddl alter, b ddl references",
    ),
    (
        PG,
        "CREATE TABLE c (id int, bid int REFERENCES b (id))",
        "b ddl references, c ddl create",
    ),
    (
        PG,
        "CREATE VIEW v AS WITH legacy AS (SELECT * FROM n) SELECT * FROM legacy",
        "n read select, v ddl create",
    ),
    (
        PG,
        "SELECT * FROM a WHERE s = 'FROM b' -- JOIN c\n AND t = $$ JOIN d $$",
        "a read select",
    ),
    (PG, "SELECT * FROM café", "café read select"),
    (
        MY,
        "SELECT * FROM a WHERE s = 'it\\'s; DELETE FROM b'",
        "a read select",
    ),
    (
        PG,
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'UPDATE a SET s = ''x''; SELECT 1 FROM b'",
        "- | [f] a write update | [f] b read select",
    ),
    (
        PG,
        "CREATE FUNCTION g() RETURNS void AS $$\nDECLARE v int;\nBEGIN\n  INSERT INTO a (x) VALUES (1) RETURNING id INTO v;\n  IF NOT FOUND THEN RAISE EXCEPTION 'no'; END IF;\n  <<lbl>> LOOP EXIT; END LOOP;\n  WHILE (SELECT count(*) FROM q) > 0 LOOP DELETE FROM q WHERE id = v; END LOOP;\nEXCEPTION WHEN others THEN UPDATE log SET n = n + 1;\nEND $$ LANGUAGE plpgsql",
        "- | [g] a write insert | [g] q read select | [g] q write delete | [g] log write update",
    ),
    (
        PG,
        "CREATE FUNCTION h() RETURNS int LANGUAGE plpython3u AS $$ return 1 $$",
        "-",
    ),
    (
        PG,
        "SELECT * FROM a; SELECT * FROM b",
        "a read select | b read select",
    ),
    (
        GEN,
        "SELECT * FROM t1 UNION SELECT * FROM t2 EXCEPT SELECT * FROM t3",
        "t1 read select, t2 read select, t3 read select",
    ),
    (
        PG,
        "PREPARE p (int) AS SELECT * FROM a WHERE id = $1",
        "a read select",
    ),
    (
        PG,
        "INSERT INTO a (x) SELECT x FROM b ON CONFLICT (x) DO UPDATE SET x = excluded.x RETURNING *",
        "a write upsert, b read select",
    ),
    (
        PG,
        "CREATE TABLE orders_2024 PARTITION OF orders_legacy FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
        "orders_2024 ddl create, orders_legacy ddl alter",
    ),
    (
        PG,
        "CREATE TABLE orders_copy (LIKE orders_legacy INCLUDING ALL)",
        "orders_legacy read select, orders_copy ddl create ~",
    ),
    (
        PG,
        "CREATE POLICY p ON orders_legacy USING (tenant = current_user)",
        "orders_legacy ddl create",
    ),
    (PG, "ALTER VIEW v RENAME TO w", "v ddl alter ~"),
    (
        PG,
        "CREATE FUNCTION purge(part text) RETURNS void AS $$\nBEGIN\n  EXECUTE 'UPDATE orders_legacy SET archived = true WHERE id = $1' USING 1;\n  EXECUTE format('DELETE FROM %I WHERE ts < now()', part);\n  RETURN QUERY EXECUTE 'SELECT * FROM ' || quote_ident(part);\nEND $$ LANGUAGE plpgsql",
        "- | [purge] orders_legacy write update | [purge] __cutover_dyn_exec__ write delete | [purge] __cutover_dyn_exec__ read select",
    ),
    (
        MY,
        "UPDATE a, b SET a.x = b.y WHERE a.id = b.id",
        "a write update, b read select ~",
    ),
    (
        MY,
        "DELETE t1, t2 FROM t1 INNER JOIN t2 ON t1.id = t2.id WHERE t1.id = 1",
        "t1 write delete, t2 write delete",
    ),
    (
        MY,
        "INSERT INTO a (x) VALUES (1) AS new ON DUPLICATE KEY UPDATE x = new.x",
        "a write upsert",
    ),
    (GEN, "SELECT 1\nGO\nDELETE FROM a\nGO", "- | a write delete"),
    // SQLite.
    (
        LITE,
        "CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT) WITHOUT ROWID",
        "notes ddl create",
    ),
    (
        LITE,
        "SELECT * FROM notes WHERE id = ?1 LIMIT ? OFFSET ?",
        "notes read select",
    ),
    (
        LITE,
        "DELETE FROM notes WHERE rowid IN (SELECT rowid FROM old_notes)",
        "notes write delete, old_notes read select",
    ),
    (
        LITE,
        "REPLACE INTO notes (id, body) VALUES (:id, :body)",
        "notes write replace",
    ),
    (
        LITE,
        "ALTER TABLE notes RENAME TO notes_old",
        "notes ddl rename, notes_old ddl rename",
    ),
    (
        LITE,
        "UPDATE notes SET body = $body WHERE id = @id",
        "notes write update",
    ),
    (LITE, "ANALYZE notes", "notes ddl maintenance"),
    (LITE, "PRAGMA table_info(notes)", "- ~"),
    // --- heuristic fallback --------------------------------------------------------------
    (PG, "SELECT * FROM a WHERE x = ${id}", "a read select"),
    (
        PG,
        "SELECT * FROM a WHERE data ? 'key' AND tags ?| array['x']",
        "a read select",
    ),
    (
        MY,
        "SELECT * FROM t1 INTO OUTFILE '/tmp/x'",
        "t1 read select ~",
    ),
    (
        PG,
        "ALTER TABLE orders_legacy ATTACH PARTITION p FOR VALUES IN (1)",
        "orders_legacy ddl alter ~",
    ),
    (
        PG,
        "SELEC * FROM a JOIN b ON true",
        "a read select, b read select ~",
    ),
    (
        PG,
        "INSERT INTO a (x) VALUES (1) ON CONFLICT (x) DO UPDATE SET x = 1 WHERE x = = 1",
        "a write upsert ~",
    ),
    (
        PG,
        "INSERT INTO a (id) VALUES (1) RETURNING id INTO v",
        "a write insert ~",
    ),
    (
        PG,
        "UPDATE a SET x = 1 FROM b WHERE %%weird%%",
        "a write update, b read select ~",
    ),
];

#[test]
fn classifies_the_statement_table() {
    let mut failures = Vec::new();
    for (dialect, sql, want) in CASES {
        let got = show(&classify(sql, *dialect));
        if got != *want {
            failures.push(format!(
                "{dialect:?} {sql}\n   want: {want}\n    got: {got}"
            ));
        }
    }
    assert!(CASES.len() >= 70, "the table must stay large");
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

#[test]
fn multi_statement_offsets() {
    let sql = "-- migration 42\nBEGIN;\n\n  /* legacy */ UPDATE a SET x = 1;\nINSERT INTO b SELECT * FROM a; -- done\nCOMMIT";
    let got = classify(sql, PG);
    let starts: Vec<(usize, &str)> = got
        .iter()
        .map(|s| (s.start, &sql[s.start..s.end]))
        .collect();
    assert_eq!(
        starts,
        [
            (16, "BEGIN"),
            (39, "UPDATE a SET x = 1"),
            (59, "INSERT INTO b SELECT * FROM a"),
            (98, "COMMIT"),
        ]
    );
}

#[test]
fn routine_statements_point_into_the_body() {
    let sql = "CREATE FUNCTION f() RETURNS trigger AS $$\nBEGIN\n  UPDATE orders_new SET x = 1;\n  RETURN NEW;\nEND $$ LANGUAGE plpgsql;";
    let got = classify(sql, PG);
    assert_eq!(got.len(), 2);
    assert_eq!(
        &sql[got[1].start..got[1].end],
        "UPDATE orders_new SET x = 1"
    );
    assert_eq!(got[1].routine.as_deref(), Some("f"));
}

#[test]
fn unparsable_sql_reports_the_parser_error() {
    let got = classify("SELEC * FROM orders_legacy", PG);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].confidence, cutover::model::Confidence::Heuristic);
    assert!(got[0].error.as_deref().is_some_and(|e| !e.is_empty()));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn never_panics_and_offsets_are_valid(s in "\\PC*", d in 0u8..4) {
        let dialect = [PG, MY, LITE, GEN][d as usize];
        for st in classify(&s, dialect) {
            prop_assert!(st.start <= st.end && st.end <= s.len());
            prop_assert!(s.is_char_boundary(st.start) && s.is_char_boundary(st.end));
        }
    }

    #[test]
    fn fingerprint_never_panics(s in "\\PC*") {
        let fp = cutover::sql::fingerprint(&s);
        prop_assert!(fp.len() <= 2 * s.len());
        let _ = cutover::sql::fingerprint_dialect(&s, MY);
        let _ = cutover::sql::comment_tags(&format!("/*{s}*/"));
    }

    #[test]
    fn sql_like_noise_never_panics(
        parts in prop::collection::vec(prop::sample::select(vec![
            "SELECT", "FROM", "a", "'x", "'", "\"", "`", "$$", "$t$", "BEGIN", "END", ";", "(", ")",
            "--", "/*", "*/", "CREATE", "FUNCTION", "TRIGGER", "AS", "DO", "IF", "THEN", "\n",
            "DELIMITER //", "\\copy", "?", "%s", ":x", "INSERT", "INTO", "é", "𝕊", "LANGUAGE", "plpgsql",
        ]), 0..40),
        d in 0u8..4,
    ) {
        let s = parts.join(" ");
        let dialect = [PG, MY, LITE, GEN][d as usize];
        for st in classify(&s, dialect) {
            prop_assert!(st.start <= st.end && st.end <= s.len());
            prop_assert!(s.is_char_boundary(st.start) && s.is_char_boundary(st.end));
        }
    }
}

/// Throughput on the workload scripts and on a mysqldump-style bulk INSERT. Run with
/// `cargo test --release --test sql_classify speed -- --ignored --nocapture`.
#[test]
#[ignore = "timing, not a check"]
#[expect(clippy::print_stderr, reason = "reports a measurement")]
fn speed() {
    let scripts = [
        (PG, include_str!("../fixtures/sql/workload_pg.sql")),
        (MY, include_str!("../fixtures/sql/workload_mysql.sql")),
        (PG, include_str!("../fixtures/sql/migration_pg.sql")),
        (MY, include_str!("../fixtures/sql/procedures_mysql.sql")),
    ];
    let t = std::time::Instant::now();
    let mut n = 0;
    for _ in 0..100 {
        for (d, s) in scripts {
            n += classify(s, d).len();
        }
    }
    let el = t.elapsed();
    eprintln!(
        "{n} statements in {el:?}: {:.1} µs/statement",
        el.as_secs_f64() * 1e6 / n as f64
    );
    let mut dump = String::from("INSERT INTO `orders_legacy` VALUES ");
    for i in 0..20_000 {
        dump.push_str(&format!("({i},'name {i}','2024-01-01 00:00:00',{i}.5),"));
    }
    dump.pop();
    dump.push(';');
    let t = std::time::Instant::now();
    let got = classify(&dump, MY);
    eprintln!("{} MB INSERT in {:?}", dump.len() / 1_000_000, t.elapsed());
    assert_eq!(show(&got), "\"orders_legacy\" write insert");
    let log = std::fs::read_to_string("/work/shared/sample-logs/postgres/statement/postgresql.log")
        .unwrap_or_default();
    // Best of several runs: the machine is shared.
    let mut el = std::time::Duration::MAX;
    let mut fp = String::new();
    for _ in 0..10 {
        let t = std::time::Instant::now();
        fp = cutover::sql::fingerprint(&log);
        el = el.min(t.elapsed());
    }
    // Baseline on the same machine and moment: a byte loop that lower-cases into a buffer.
    let t = std::time::Instant::now();
    let mut copy: Vec<u8> = Vec::with_capacity(log.len());
    copy.extend(log.bytes().map(|b| b.to_ascii_lowercase()));
    let base = t.elapsed();
    eprintln!(
        "lower-case copy baseline: {:.0} MB/s ({} bytes)",
        log.len() as f64 / 1e6 / base.as_secs_f64(),
        copy.len()
    );
    eprintln!(
        "fingerprint: {} MB in {el:?} ({:.0} MB/s), {} bytes out",
        log.len() / 1_000_000,
        log.len() as f64 / 1e6 / el.as_secs_f64(),
        fp.len()
    );
}

/// Every statement of each `fixtures/sql/*.sql` file: `line:column [routine] uses`, then the
/// statement's first line. The dialect comes from the file name.
#[test]
fn fixture_files() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sql");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|n| n.ends_with(".sql"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    assert!(names.len() >= 4, "fixtures/sql/*.sql missing");
    for name in names {
        let text = std::fs::read_to_string(dir.join(&name)).unwrap_or_default();
        let dialect = if name.contains("mysql") { MY } else { PG };
        let mut out = String::new();
        for st in classify(&text, dialect) {
            let before = &text[..st.start];
            let line = before.matches('\n').count() + 1;
            let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            let first = text[st.start..st.end].lines().next().unwrap_or_default();
            out.push_str(&format!(
                "{line}:{col} {}\n    {first}\n",
                show(std::slice::from_ref(&st))
            ));
        }
        insta::assert_snapshot!(name.trim_end_matches(".sql"), out);
    }
}

#[test]
fn bulk_inserts_keep_their_roles() {
    let rows = "(1, 'a;b', 2.5),".repeat(2000);
    let sql = format!(
        "INSERT INTO `orders_legacy` (id, s, x) VALUES {rows}(0, 'z', 0) ON DUPLICATE KEY UPDATE x = VALUES(x);\nSELECT 1"
    );
    let got = classify(&sql, MY);
    assert_eq!(show(&got), "\"orders_legacy\" write upsert | -");
    assert!(sql[..got[0].end].ends_with("VALUES(x)"));
    let with_subquery = format!(
        "INSERT INTO a (id) VALUES {}((SELECT max(id) FROM b))",
        "(1),".repeat(5000)
    );
    assert_eq!(
        show(&classify(&with_subquery, PG)),
        "a write insert, b read select"
    );
}

#[test]
fn deep_nesting_falls_back_instead_of_overflowing() {
    let deep = format!(
        "SELECT * FROM a WHERE x = {}1{}",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    let got = classify(&deep, PG);
    assert_eq!(show(&got), "a read select ~");
    let subqueries = format!(
        "SELECT * FROM a WHERE id IN {}SELECT id FROM b{}",
        "(SELECT id FROM c WHERE id IN ".repeat(300),
        ")".repeat(300)
    );
    let got = classify(&subqueries, GEN);
    assert_eq!(got.len(), 1);
    assert!(got[0].uses.iter().any(|u| u.table.name == "b"));
}

/// Statements from real query logs grouped by fingerprint: the literal values differ from line
/// to line, the groups must not.
#[test]
fn log_fingerprints() {
    let text = include_str!("../fixtures/sql/log_statements.txt");
    let mut groups: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        *groups.entry(cutover::sql::fingerprint(line)).or_default() += 1;
    }
    let out: String = groups
        .iter()
        .map(|(fp, n)| format!("{n:>3}  {fp}\n"))
        .collect();
    insta::assert_snapshot!(out);
}

/// `burndown` remembers classifications by text while it scans the versions of a file: a
/// remembered result must be the result, for each dialect.
#[test]
fn remembered_results_are_the_results() {
    let texts = [
        "SELECT * FROM users # ; DELETE FROM books",
        "UPDATE users SET name = $1",
        "SELECT 1; DELETE FROM books",
        "not sql at all",
    ];
    let run = || -> Vec<String> {
        [PG, MY, PG]
            .iter()
            .flat_map(|d| texts.iter().map(move |t| show(&classify(t, *d))))
            .collect()
    };
    let fresh = run();
    // `#` starts a comment in MySQL only, so a memo that ignored the dialect would show.
    assert_ne!(fresh[0], fresh[texts.len()]);
    let _memo = cutover::sql::Memo::start();
    assert_eq!(run(), fresh);
    assert_eq!(run(), fresh, "from the memo");
}
