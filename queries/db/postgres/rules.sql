-- Rules (not the _RETURN rule of a view) on a legacy table, or whose action depends on one.
SELECT DISTINCT r.rulename::text AS name,
       c.oid AS table_oid,
       n.nspname::text AS schema,
       c.relname::text AS table_name,
       pg_get_ruledef(r.oid) AS definition,
       d.refobjid AS touches
FROM pg_rewrite r
JOIN pg_class c ON c.oid = r.ev_class
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_depend d
       ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
      AND d.refclassid = 'pg_class'::regclass AND d.refobjid = ANY($1::oid[])
WHERE r.rulename <> '_RETURN'
  AND (r.ev_class = ANY($1::oid[]) OR d.refobjid IS NOT NULL)
ORDER BY 3, 4, 1
