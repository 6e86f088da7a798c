-- pg_stat_statements, live, in the columns its CSV export reader attributes.
SELECT coalesce(r.rolname::text, s.userid::text) AS rolname,
       coalesce(d.datname::text, s.dbid::text) AS datname,
       s.query,
       s.calls
FROM pg_stat_statements s
LEFT JOIN pg_roles r ON r.oid = s.userid
LEFT JOIN pg_database d ON d.oid = s.dbid
WHERE s.query IS NOT NULL
ORDER BY 2, 1, 3
