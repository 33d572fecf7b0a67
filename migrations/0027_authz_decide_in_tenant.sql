-- api.is_permitted decides through authz.decide_in_tenant (functions/authz/check.sql): authz.ask
-- no longer takes a flag for it, and authz.decide, its caller, is gone.
DROP FUNCTION IF EXISTS authz.ask(uuid, text, text, text, text, boolean);
DROP FUNCTION IF EXISTS authz.decide(uuid, text, text, text, text);
