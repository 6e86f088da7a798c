-- MySQL 8 role membership: TO_USER@TO_HOST was granted the role FROM_USER@FROM_HOST.
SELECT CONCAT('''', TO_USER, '''@''', TO_HOST, ''''), CONCAT('''', FROM_USER, '''@''', FROM_HOST, '''')
FROM mysql.role_edges
ORDER BY 1, 2
