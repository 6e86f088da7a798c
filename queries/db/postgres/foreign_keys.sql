-- Foreign keys from and to a legacy table, with their actions: a = no action, r = restrict,
-- c = cascade, n = set null, d = set default.
SELECT con.conname::text AS name,
       con.conrelid AS child_oid,
       cn.nspname::text AS child_schema,
       c.relname::text AS child_name,
       con.confrelid AS parent_oid,
       pn.nspname::text AS parent_schema,
       p.relname::text AS parent_name,
       con.confdeltype::text AS on_delete,
       con.confupdtype::text AS on_update,
       pg_get_constraintdef(con.oid) AS definition
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace cn ON cn.oid = c.relnamespace
JOIN pg_class p ON p.oid = con.confrelid
JOIN pg_namespace pn ON pn.oid = p.relnamespace
WHERE con.contype = 'f'
  AND (con.conrelid = ANY($1::oid[]) OR con.confrelid = ANY($1::oid[]))
ORDER BY 3, 4, 1
