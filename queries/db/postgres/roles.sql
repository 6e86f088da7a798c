-- Every role that is not one of the server's predefined pg_* roles, with what the server
-- says it may do to each legacy table: has_table_privilege follows membership (INHERIT)
-- and superuser status, so it is the authority; Rust explains the answer from the grants.
SELECT c.oid AS table_oid,
       r.rolname::text AS role,
       r.rolsuper AS superuser,
       r.rolbypassrls AS bypass_rls,
       r.rolcanlogin AS can_login,
       (r.oid = c.relowner) AS is_owner,
       has_table_privilege(r.oid, c.oid, 'INSERT') AS can_insert,
       has_table_privilege(r.oid, c.oid, 'UPDATE') AS can_update,
       has_table_privilege(r.oid, c.oid, 'DELETE') AS can_delete,
       has_table_privilege(r.oid, c.oid, 'TRUNCATE') AS can_truncate,
       (has_any_column_privilege(r.oid, c.oid, 'INSERT')
        OR has_any_column_privilege(r.oid, c.oid, 'UPDATE')) AS column_write
FROM pg_roles r
CROSS JOIN pg_class c
WHERE c.oid = ANY($1::oid[])
  AND r.rolname !~ '^pg_'
ORDER BY 1, 2
