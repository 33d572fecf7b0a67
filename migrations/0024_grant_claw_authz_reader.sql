-- 0024: claw_authz_reader (sql/00_roles.sql) owns authz.evaluate_in_tenant, the evaluation
-- of one permission question as a role that bypasses RLS, inside the tenant the caller
-- verified; a function's owner needs CREATE on its schema. Its table grant (SELECT on
-- authz.tuples) is in policies/authz.sql.
GRANT USAGE, CREATE ON SCHEMA authz TO claw_authz_reader;
