-- The write privileges granted on each legacy table, as stored (owner defaults included):
-- grantee '' is PUBLIC.
SELECT c.oid AS table_oid,
       CASE WHEN a.grantee = 0 THEN '' ELSE pg_get_userbyid(a.grantee)::text END AS grantee,
       lower(a.privilege_type) AS privilege
FROM pg_class c,
     aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) AS a
WHERE c.oid = ANY($1::oid[])
  AND a.privilege_type IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')
ORDER BY 1, 2, 3
