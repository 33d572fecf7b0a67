CREATE FUNCTION api.f() RETURNS int LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$ SELECT 1 $$;
-- not a definer and no SET: runs with its caller's (pinned) path
CREATE FUNCTION api.h() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
