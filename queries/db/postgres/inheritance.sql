-- Partitions and inheritance children of a legacy table, and the parents it belongs to.
SELECT i.inhparent AS parent_oid,
       pn.nspname::text AS parent_schema,
       p.relname::text AS parent_name,
       i.inhrelid AS child_oid,
       cn.nspname::text AS child_schema,
       c.relname::text AS child_name,
       c.relispartition AS is_partition,
       coalesce(pg_get_expr(c.relpartbound, c.oid), '') AS bound
FROM pg_inherits i
JOIN pg_class p ON p.oid = i.inhparent
JOIN pg_namespace pn ON pn.oid = p.relnamespace
JOIN pg_class c ON c.oid = i.inhrelid
JOIN pg_namespace cn ON cn.oid = c.relnamespace
WHERE i.inhparent = ANY($1::oid[]) OR i.inhrelid = ANY($1::oid[])
ORDER BY 2, 3, 5, 6
