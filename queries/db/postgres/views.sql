-- Views and materialized views that read a legacy table, directly or through other views:
-- the dependencies recorded for each view's _RETURN rule (pg_depend over pg_rewrite), not a
-- text search. `path` is the chain of views from the table to this one.
WITH RECURSIVE reads(table_oid, view_oid, path, depth) AS (
    SELECT DISTINCT d.refobjid, r.ev_class, ARRAY[r.ev_class], 1
    FROM pg_depend d
    JOIN pg_rewrite r ON r.oid = d.objid
    WHERE d.classid = 'pg_rewrite'::regclass
      AND d.refclassid = 'pg_class'::regclass
      AND d.refobjid = ANY($1::oid[])
      AND r.ev_class <> d.refobjid
      AND r.rulename = '_RETURN'
  UNION
    SELECT reads.table_oid, r.ev_class, reads.path || r.ev_class, reads.depth + 1
    FROM reads
    JOIN pg_depend d ON d.refobjid = reads.view_oid
                    AND d.refclassid = 'pg_class'::regclass
                    AND d.classid = 'pg_rewrite'::regclass
    JOIN pg_rewrite r ON r.oid = d.objid AND r.rulename = '_RETURN'
    WHERE r.ev_class <> reads.view_oid
      AND NOT r.ev_class = ANY(reads.path)
      AND reads.depth < 10
)
SELECT reads.table_oid,
       vn.nspname::text AS schema,
       v.relname::text AS name,
       v.relkind::text AS relkind,
       ARRAY(SELECT pn.nspname || '.' || p.relname
             FROM unnest(reads.path[1:array_length(reads.path, 1) - 1]) WITH ORDINALITY AS u(oid, i)
             JOIN pg_class p ON p.oid = u.oid
             JOIN pg_namespace pn ON pn.oid = p.relnamespace
             ORDER BY u.i)::text[] AS via
FROM reads
JOIN pg_class v ON v.oid = reads.view_oid
JOIN pg_namespace vn ON vn.oid = v.relnamespace
ORDER BY 1, 2, 3, 5
