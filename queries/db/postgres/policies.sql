-- Row-level security policies on a legacy table.
SELECT pol.polrelid AS table_oid,
       pol.polname::text AS name,
       pol.polcmd::text AS command,
       pol.polpermissive AS permissive,
       ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE pg_get_userbyid(r)::text END
             FROM unnest(pol.polroles) AS r ORDER BY 1)::text[] AS roles,
       pg_get_expr(pol.polqual, pol.polrelid) AS using_expr,
       pg_get_expr(pol.polwithcheck, pol.polrelid) AS check_expr
FROM pg_policy pol
WHERE pol.polrelid = ANY($1::oid[])
ORDER BY 1, 2
