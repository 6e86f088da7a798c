-- User triggers of every table (a trigger on another table may write a legacy one), with
-- the function each runs.
SELECT t.tgname::text AS name,
       c.oid AS table_oid,
       n.nspname::text AS schema,
       c.relname::text AS table_name,
       pg_get_triggerdef(t.oid) AS definition,
       t.tgfoid AS function_oid,
       pn.nspname::text AS function_schema,
       p.proname::text AS function_name,
       pg_get_function_identity_arguments(p.oid) AS function_args,
       t.tgenabled::text AS enabled
FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_proc p ON p.oid = t.tgfoid
JOIN pg_namespace pn ON pn.oid = p.pronamespace
WHERE NOT t.tgisinternal
ORDER BY n.nspname, c.relname, t.tgname
