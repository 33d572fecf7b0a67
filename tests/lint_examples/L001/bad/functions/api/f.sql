-- a definer function that trusts the caller's search_path
CREATE FUNCTION api.f() RETURNS int LANGUAGE sql SECURITY DEFINER AS $$ SELECT 1 $$;
