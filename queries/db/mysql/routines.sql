-- Stored procedures and functions with their bodies and parameter lists.
SELECT r.ROUTINE_SCHEMA, r.ROUTINE_NAME, r.ROUTINE_TYPE, r.ROUTINE_DEFINITION,
       (SELECT GROUP_CONCAT(p.DTD_IDENTIFIER ORDER BY p.ORDINAL_POSITION SEPARATOR ', ')
        FROM information_schema.PARAMETERS p
        WHERE p.SPECIFIC_SCHEMA = r.ROUTINE_SCHEMA
          AND p.SPECIFIC_NAME = r.ROUTINE_NAME
          AND p.ROUTINE_TYPE = r.ROUTINE_TYPE
          AND p.ORDINAL_POSITION > 0) AS PARAMS
FROM information_schema.ROUTINES r
WHERE r.ROUTINE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')
ORDER BY r.ROUTINE_SCHEMA, r.ROUTINE_NAME, r.ROUTINE_TYPE
