-- 0004: the admin schema: operator functions and views for psql (functions/admin/).
CREATE SCHEMA admin AUTHORIZATION claw_owner;
-- claw_operator_reader owns the admin functions (ALTER ... OWNER needs CREATE here).
GRANT USAGE, CREATE ON SCHEMA admin TO claw_operator_reader;
