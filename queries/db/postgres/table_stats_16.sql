-- table_stats.sql on PostgreSQL 16 and later, which also records the last scans.
SELECT s.relid AS table_oid,
       s.n_tup_ins, s.n_tup_upd, s.n_tup_del, s.n_live_tup,
       s.seq_scan, s.idx_scan,
       s.last_seq_scan::text AS last_seq_scan,
       s.last_idx_scan::text AS last_idx_scan,
       (SELECT stats_reset::text FROM pg_stat_database WHERE datname = current_database())
           AS since
FROM pg_stat_user_tables s
WHERE s.relid = ANY($1::oid[])
ORDER BY 1
