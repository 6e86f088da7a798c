-- Role membership: member belongs to role.
SELECT pg_get_userbyid(m.member)::text AS member,
       pg_get_userbyid(m.roleid)::text AS role
FROM pg_auth_members m
ORDER BY 1, 2
