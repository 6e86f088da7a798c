-- Subscriptions that replicate into a legacy table (their apply worker writes it).
SELECT sr.srrelid AS table_oid,
       s.subname::text AS name,
       s.subenabled AS enabled,
       array_to_string(s.subpublications, ', ') AS publications
FROM pg_subscription_rel sr
JOIN pg_subscription s ON s.oid = sr.srsubid
WHERE sr.srrelid = ANY($1::oid[])
ORDER BY 1, 2
