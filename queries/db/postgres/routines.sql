-- Functions and procedures written in SQL or PL/pgSQL (not those of extensions), with the
-- definition the server would dump: the body is classified like a routine in a .sql file.
SELECT p.oid,
       n.nspname::text AS schema,
       p.proname::text AS name,
       pg_get_function_identity_arguments(p.oid) AS args,
       p.prokind::text AS kind,
       l.lanname::text AS language,
       (p.prorettype = 'trigger'::regtype) AS returns_trigger,
       pg_get_functiondef(p.oid) AS definition
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
JOIN pg_language l ON l.oid = p.prolang
WHERE l.lanname IN ('sql', 'plpgsql')
  AND p.prokind IN ('f', 'p')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND NOT EXISTS (
      SELECT 1 FROM pg_depend d
      WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
ORDER BY n.nspname, p.proname, p.oid
