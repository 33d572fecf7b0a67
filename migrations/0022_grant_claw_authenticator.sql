-- 0022: claw_authenticator (sql/00_roles.sql) owns tenancy.api_key_credential, the API key
-- lookup api.authenticate makes before any tenant context exists; a function's owner needs
-- CREATE on its schema. Its table grants are column grants in policies/tenancy.sql.
GRANT USAGE, CREATE ON SCHEMA tenancy TO claw_authenticator;
