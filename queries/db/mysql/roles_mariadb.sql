-- MariaDB role membership: the account User@Host may use Role.
SELECT CONCAT('''', User, '''@''', Host, ''''), CONCAT('''', Role, '''@''''')
FROM mysql.roles_mapping
ORDER BY 1, 2
