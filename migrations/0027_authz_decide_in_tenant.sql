-- api.is_permitted decides through authz.decide_in_tenant (functions/authz/check.sql), so
-- authz.ask no longer takes a flag for it: drop the six-argument version.
DROP FUNCTION IF EXISTS authz.ask(uuid, text, text, text, text, boolean);
