-- Publications that include a legacy table (FOR ALL TABLES and FOR TABLES IN SCHEMA too),
-- with the operations they publish.
SELECT c.oid AS table_oid,
       p.pubname::text AS name,
       p.puballtables AS all_tables,
       p.pubinsert, p.pubupdate, p.pubdelete, p.pubtruncate
FROM pg_publication p
JOIN pg_publication_tables pt ON pt.pubname = p.pubname
JOIN pg_namespace n ON n.nspname = pt.schemaname
JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = pt.tablename
WHERE c.oid = ANY($1::oid[])
ORDER BY 1, 2
