-- Row operations per table since the server started (or the summary was truncated).
SELECT OBJECT_SCHEMA, OBJECT_NAME, COUNT_FETCH, COUNT_INSERT, COUNT_UPDATE, COUNT_DELETE
FROM performance_schema.table_io_waits_summary_by_table
WHERE OBJECT_TYPE = 'TABLE'
ORDER BY OBJECT_SCHEMA, OBJECT_NAME
