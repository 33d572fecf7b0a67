-- a definer function that trusts the caller's search_path
CREATE FUNCTION api.f() RETURNS int LANGUAGE sql SECURITY DEFINER AS $$ SELECT 1 $$;
-- pinned to '': pg_temp, which every login role can write, is then searched first for types
CREATE FUNCTION api.g() RETURNS int LANGUAGE sql SECURITY DEFINER
SET search_path = '' AS $$ SELECT 1 $$;
-- not a definer, but run inside one: the same
CREATE FUNCTION api.h() RETURNS int LANGUAGE sql
SET search_path = pg_temp, pg_catalog AS $$ SELECT 1 $$;
