-- Sequences owned by a column of a legacy table (serial: deptype a; identity: deptype i).
SELECT d.refobjid AS table_oid,
       sn.nspname::text AS schema,
       s.relname::text AS name,
       a.attname::text AS column_name,
       (d.deptype = 'i') AS identity
FROM pg_depend d
JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
JOIN pg_namespace sn ON sn.oid = s.relnamespace
JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
WHERE d.classid = 'pg_class'::regclass
  AND d.refclassid = 'pg_class'::regclass
  AND d.deptype IN ('a', 'i')
  AND d.refobjid = ANY($1::oid[])
ORDER BY 1, 2, 3
